//! Persistence: RDB snapshots (SAVE, BGSAVE, save points, shutdown saving, loading at start)
//! and the append-only file (see `aof.rs`).
//!
//! Commands record their deterministic effects in [`crate::store::db::Effects`]; when the AOF is
//! on, those records are appended by [`append_records`]. Nothing is recorded while it is off.
//!
//! Snapshots are taken without fork (`snapshot.rs`): a background save serializes each shard
//! either from its own thread or, if a command reaches that shard first, from that command,
//! before the shard changes. The point in time is the moment BGSAVE held every shard lock.

pub mod aof;
pub mod codec;
pub mod rdb;
pub mod snapshot;

use std::path::PathBuf;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::server::Server;
use crate::store::Locks;
use crate::store::db::Db;

/// Persistence state of a server.
#[derive(Default)]
pub struct State {
    me: Mutex<Weak<Server>>,
    pub bgsave_in_progress: AtomicBool,
    pub bgsave_scheduled: AtomicBool,
    pub bgsave_started_ms: AtomicI64,
    pub last_bgsave_failed: AtomicBool,
    pub last_bgsave_try_ms: AtomicI64,
    pub last_bgsave_time_sec: AtomicI64,
    pub rdb_saves: AtomicU64,
    pub load_keys_loaded: AtomicU64,
    pub load_keys_expired: AtomicU64,
    pub keys_processed: AtomicUsize,
    pub keys_total: AtomicUsize,
    /// The running snapshot (INFO progress and memory overhead).
    pub job: Mutex<Option<Arc<snapshot::Job>>>,
    pub last_cow_bytes: AtomicUsize,
    /// Start (Unix seconds) and size of the load in progress.
    pub loading_start: AtomicI64,
    pub loading_total_bytes: AtomicU64,
    /// A save already happened during this shutdown (SHUTDOWN SAVE then process exit).
    pub shutdown_done: AtomicBool,
    pub aof: aof::AofState,
}

impl State {
    fn server(&self) -> Option<Arc<Server>> {
        self.me.lock().upgrade()
    }
}

/// Whether writes must be recorded for the append-only file.
pub fn recording(srv: &Server) -> bool {
    srv.persist.aof.recording()
}

/// Appends a command's effect records to the AOF.
pub fn append_records(srv: &Server, records: Vec<(usize, Vec<Vec<u8>>)>) {
    aof::append(srv, records);
}

/// Called before a worker writes replies: with `appendfsync always`, makes the records this
/// thread appended (every record so far when `foreign` output from other threads is included)
/// durable first; one fsync serves every client waiting at that time.
#[inline]
pub fn before_reply(srv: &Server, foreign: bool) {
    aof::before_reply(srv, foreign);
}

/// Redis refuses writes (and PING) while persistence is failing: the last background save
/// failed with save points configured and `stop-writes-on-bgsave-error yes`, or AOF writes
/// fail.
pub fn check_disk_errors(
    srv: &Server,
    cmd: &crate::cmd::table::Command,
) -> Result<(), crate::error::Error> {
    use crate::cmd::table::WRITE;
    if !(cmd.has(WRITE) || cmd.name == "ping") {
        return Ok(());
    }
    let st = &srv.persist;
    if st.last_bgsave_failed.load(Relaxed)
        && srv.cfg.get_bool("stop-writes-on-bgsave-error")
        && !srv.cfg.get("save").is_empty()
    {
        return Err(crate::error::Error::lit(
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
        ));
    }
    if st.aof.write_failing() {
        return Err(crate::error::Error::lit(
            "MISCONF Errors writing to the AOF file: see the server logs",
        ));
    }
    Ok(())
}

/// Whether a worker should hold replies until the end of its event round, so that one fsync
/// covers every client served in it (`appendfsync always` with records not yet durable).
#[inline]
pub fn defer_replies(srv: &Server) -> bool {
    srv.persist.aof.needs_sync()
}

/// The snapshot file path (`dir` is the working directory).
pub fn rdb_path(srv: &Server) -> PathBuf {
    PathBuf::from(srv.cfg.get("dbfilename"))
}

/// Called once when the server starts: loads the AOF or the RDB file in the background while
/// clients get `-LOADING`.
pub fn startup(srv: &Arc<Server>) {
    *srv.persist.me.lock() = Arc::downgrade(srv);
    aof::install_hooks(srv);
    let aof_on = srv.cfg.get_bool("appendonly");
    let has_data = if aof_on {
        aof::has_files(srv)
    } else {
        rdb_path(srv).exists()
    };
    if !has_data {
        // Nothing to load: no LOADING phase (a new AOF is created right away).
        if aof_on && let Err(e) = aof::load_at_startup(srv) {
            eprintln!("# Fatal error creating the append only file: {e}");
            std::process::exit(1);
        }
        srv.persist.aof.mark_started();
        return;
    }
    srv.loading.store(true, SeqCst);
    srv.persist
        .loading_start
        .store(crate::util::now_ms() / 1000, Relaxed);
    let s = srv.clone();
    std::thread::Builder::new()
        .name("pilgrim-load".into())
        .spawn(move || {
            let t = std::time::Instant::now();
            let res = if s.cfg.get_bool("appendonly") {
                aof::load_at_startup(&s)
            } else {
                load_rdb_file(&s, &rdb_path(&s)).map(|_| ())
            };
            if let Err(e) = res {
                eprintln!("# Fatal error loading the data set: {e}");
                std::process::exit(1);
            }
            s.persist.aof.mark_started();
            s.loading.store(false, SeqCst);
            if s.persist.load_keys_loaded.load(Relaxed) > 0 || s.cfg.get_bool("appendonly") {
                eprintln!(
                    "* DB loaded from disk: {:.3} seconds ({} keys)",
                    t.elapsed().as_secs_f64(),
                    s.persist.load_keys_loaded.load(Relaxed)
                );
            }
        })
        .expect("spawn loader thread");
}

/// Inserts loaded keys in batches (each batch under every shard lock).
pub struct Loader<'a> {
    srv: &'a Server,
    batch: Vec<rdb::LoadedKey>,
    delay_us: i64,
    pub loaded: u64,
    pub expired: u64,
}

impl<'a> Loader<'a> {
    pub fn new(srv: &'a Server) -> Self {
        Loader {
            srv,
            batch: Vec::new(),
            delay_us: srv.cfg.get_i64("key-load-delay"),
            loaded: 0,
            expired: 0,
        }
    }

    pub fn push(&mut self, k: rdb::LoadedKey) -> rdb::RResult<()> {
        if self.delay_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(self.delay_us as u64));
        }
        if k.db >= self.srv.ks.databases {
            return Err(format!(
                "FATAL: Data file was created with a Redis server configured to handle more than {} databases.",
                self.srv.ks.databases
            ));
        }
        self.batch.push(k);
        if self.batch.len() >= 1024 {
            self.flush();
        }
        Ok(())
    }

    pub fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let now = crate::util::now_ms();
        let mut db = Db::new(self.srv, self.srv.ks.lock_all(), 0, now);
        db.loading = true;
        insert_batch(
            &mut db,
            std::mem::take(&mut self.batch),
            now,
            &mut self.loaded,
            &mut self.expired,
        );
    }
}

fn insert_batch(
    db: &mut Db<'_>,
    batch: Vec<rdb::LoadedKey>,
    now: i64,
    loaded: &mut u64,
    expired: &mut u64,
) {
    for k in batch {
        if k.expire.is_some_and(|at| at <= now) {
            *expired += 1;
            continue;
        }
        db.index = k.db;
        db.set_with_expire(&k.key, k.value, k.expire);
        *loaded += 1;
    }
}

/// Loads an RDB file into the keyspace (missing file: nothing to do). Returns keys loaded.
pub fn load_rdb_file(srv: &Server, path: &std::path::Path) -> Result<u64, String> {
    let buf = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("Error opening {}: {e}", path.display())),
    };
    srv.persist
        .loading_total_bytes
        .store(buf.len() as u64, Relaxed);
    let mut l = Loader::new(srv);
    let aux = rdb::load_file(&buf, |k| l.push(k))
        .map_err(|e| format!("Short read or corrupt RDB file {}: {e}", path.display()))?;
    crate::scripting::functions::load_from_aux(srv, &aux);
    l.flush();
    srv.persist.load_keys_loaded.store(l.loaded, Relaxed);
    srv.persist.load_keys_expired.store(l.expired, Relaxed);
    Ok(l.loaded)
}

/// Loads an RDB image held in memory into locked shards (DEBUG RELOAD).
pub fn load_rdb_locked(db: &mut Db<'_>, buf: &[u8]) -> Result<u64, String> {
    let now = db.now;
    let mut loaded = 0;
    let mut expired = 0;
    let databases = db.srv.ks.databases;
    let mut batch = Vec::new();
    let aux = rdb::load_file(buf, |k| {
        if k.db >= databases {
            return Err("database index out of range".into());
        }
        batch.push(k);
        Ok(())
    })?;
    crate::scripting::functions::load_from_aux(db.srv, &aux);
    let saved = db.index;
    let was_loading = db.loading;
    db.loading = true;
    insert_batch(db, batch, now, &mut loaded, &mut expired);
    db.loading = was_loading;
    db.index = saved;
    Ok(loaded)
}

/// SAVE: a synchronous snapshot from shards the caller holds (all of them).
pub fn save_now(srv: &Server, locks: &mut Locks<'_>) -> Result<(), String> {
    let dirty = srv.dirty.load(Relaxed);
    match snapshot::save_locked(srv, locks, &rdb_path(srv), false) {
        Ok(_) => {
            srv.dirty
                .fetch_sub(dirty.min(srv.dirty.load(Relaxed)), Relaxed);
            srv.lastsave.store(crate::util::now_ms() / 1000, Relaxed);
            srv.persist.last_bgsave_failed.store(false, Relaxed);
            srv.persist.rdb_saves.fetch_add(1, Relaxed);
            Ok(())
        }
        Err(e) => {
            eprintln!("# Failed saving the DB: {e}");
            srv.persist.last_bgsave_failed.store(true, Relaxed);
            Err(e.to_string())
        }
    }
}

/// Why a background save cannot start now.
pub enum BgsaveRefusal {
    InProgress,
    RewriteInProgress,
}

/// BGSAVE: starts a background snapshot. The caller holds every shard lock.
pub fn bgsave_start(srv: &Server, locks: &mut Locks<'_>) -> Result<(), BgsaveRefusal> {
    let st = &srv.persist;
    if st.bgsave_in_progress.load(SeqCst) {
        return Err(BgsaveRefusal::InProgress);
    }
    if st.aof.rewrite_in_progress() {
        return Err(BgsaveRefusal::RewriteInProgress);
    }
    let Some(me) = st.server() else {
        return Err(BgsaveRefusal::InProgress);
    };
    st.bgsave_in_progress.store(true, SeqCst);
    st.bgsave_scheduled.store(false, SeqCst);
    let now = crate::util::now_ms();
    st.bgsave_started_ms.store(now, Relaxed);
    st.last_bgsave_try_ms.store(now, Relaxed);
    st.keys_processed.store(0, Relaxed);
    st.keys_total.store(locks_key_count(locks), Relaxed);
    let dirty_at_start = srv.dirty.load(Relaxed);
    let job = snapshot::begin(srv, &*locks);
    *st.job.lock() = Some(job.clone());
    let header = snapshot::header(srv, false);
    let dest = rdb_path(srv);
    let checksum = srv.cfg.get_bool("rdbchecksum");
    std::thread::Builder::new()
        .name("pilgrim-bgsave".into())
        .spawn(move || {
            let tmp = dest.with_file_name(format!("temp-{}-bg.rdb", std::process::id()));
            let res = snapshot::RdbFile::create(tmp, &header).and_then(|mut f| {
                job.write_all(&me, &mut f)?;
                f.finish(checksum, &dest)
            });
            let st = &me.persist;
            st.keys_processed
                .store(st.keys_total.load(Relaxed), Relaxed);
            st.last_cow_bytes
                .store(job.peak_bytes.load(Relaxed), Relaxed);
            *st.job.lock() = None;
            let secs = (crate::util::now_ms() - st.bgsave_started_ms.load(Relaxed)) / 1000;
            st.last_bgsave_time_sec.store(secs, Relaxed);
            match res {
                Ok(()) => {
                    let cur = me.dirty.load(Relaxed);
                    me.dirty.fetch_sub(dirty_at_start.min(cur), Relaxed);
                    me.lastsave.store(crate::util::now_ms() / 1000, Relaxed);
                    st.last_bgsave_failed.store(false, Relaxed);
                    st.rdb_saves.fetch_add(1, Relaxed);
                    eprintln!("* Background saving terminated with success");
                }
                Err(e) => {
                    st.last_bgsave_failed.store(true, Relaxed);
                    eprintln!("# Background saving error: {e}");
                }
            }
            st.bgsave_in_progress.store(false, SeqCst);
        })
        .expect("spawn bgsave thread");
    Ok(())
}

fn locks_key_count(locks: &mut Locks<'_>) -> usize {
    (0..crate::store::SHARDS)
        .map(|i| {
            locks
                .shard(i)
                .dbs
                .iter()
                .map(|d| d.keys.len())
                .sum::<usize>()
        })
        .sum()
}

/// Starts a background save from a context without locks (cron, scheduled saves).
pub fn bgsave_from_cron(srv: &Server) -> bool {
    let mut locks = srv.ks.lock_all();
    bgsave_start(srv, &mut locks).is_ok()
}

/// Periodic persistence work (fsync every second, save policies, rewrites).
pub fn cron(srv: &Server) {
    if srv.loading.load(Relaxed) {
        return;
    }
    aof::cron(srv);
    let st = &srv.persist;
    if st.bgsave_in_progress.load(Relaxed) || st.aof.rewrite_in_progress() {
        return;
    }
    if st.bgsave_scheduled.load(Relaxed) {
        bgsave_from_cron(srv);
        return;
    }
    let save = srv.cfg.get("save");
    if save.is_empty() {
        return;
    }
    let nums: Vec<i64> = save
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let now = crate::util::now_ms();
    let dirty = srv.dirty.load(Relaxed) as i64;
    let lastsave = srv.lastsave.load(Relaxed);
    for p in nums.chunks(2) {
        if p.len() < 2 {
            continue;
        }
        let (secs, changes) = (p[0], p[1]);
        // After a failed save, retry only every 5 seconds (as Redis).
        let can_retry = !st.last_bgsave_failed.load(Relaxed)
            || now - st.last_bgsave_try_ms.load(Relaxed) > 5000;
        if dirty >= changes && now / 1000 - lastsave > secs && can_retry {
            eprintln!("* {changes} changes in {secs} seconds. Saving...");
            bgsave_from_cron(srv);
            return;
        }
    }
}

/// After FLUSHALL: Redis saves an (empty) snapshot when save points are configured.
pub fn after_flushall(srv: &Server) {
    if srv.cfg.get("save").is_empty() || srv.persist.bgsave_in_progress.load(Relaxed) {
        return;
    }
    // FLUSHALL holds every shard lock in its handler; save from the cron thread instead.
    srv.persist.bgsave_scheduled.store(true, Relaxed);
}

/// Waits for a running background save to end.
fn wait_bgsave(srv: &Server) {
    while srv.persist.bgsave_in_progress.load(SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Saving on shutdown (`save` true/false forces, None follows the configuration).
pub fn shutdown_save(srv: &Server, save: Option<bool>) -> Result<(), String> {
    aof::shutdown(srv);
    let want = save.unwrap_or_else(|| !srv.cfg.get("save").is_empty());
    if want {
        eprintln!("* Saving the final RDB snapshot before exiting.");
        wait_bgsave(srv);
        let mut locks = srv.ks.lock_all();
        save_now(srv, &mut locks)?;
        eprintln!("* DB saved on disk");
    }
    srv.persist.shutdown_done.store(true, SeqCst);
    Ok(())
}

/// Process exit after a signal (SIGTERM/SIGINT): save like SHUTDOWN without arguments, unless
/// a SHUTDOWN command already did.
pub fn final_shutdown(srv: &Server) {
    if srv.persist.shutdown_done.load(SeqCst) || srv.loading.load(SeqCst) {
        aof::shutdown(srv);
        return;
    }
    if let Err(e) = shutdown_save(srv, None) {
        eprintln!("# Error trying to save the DB on shutdown: {e}");
    }
}

/// The `# Persistence` section of INFO.
pub fn info_section(srv: &Server) -> String {
    let st = &srv.persist;
    let now = crate::util::now_ms();
    let bg = st.bgsave_in_progress.load(Relaxed);
    let job = st.job.lock().clone();
    let (aof_main, aof_extra) = aof::info_fields(srv);
    let loading_extra = if srv.loading.load(Relaxed) {
        let total = st.loading_total_bytes.load(Relaxed);
        format!(
            "loading_start_time:{}\r\nloading_total_bytes:{total}\r\nloading_rdb_used_mem:0\r\nloading_loaded_bytes:0\r\nloading_loaded_perc:0.00\r\nloading_eta_seconds:1\r\n",
            st.loading_start.load(Relaxed)
        )
    } else {
        String::new()
    };
    let cur_bg = if bg {
        (now - st.bgsave_started_ms.load(Relaxed)) / 1000
    } else {
        -1
    };
    let last_bg = if st.rdb_saves.load(Relaxed) > 0 || st.last_bgsave_failed.load(Relaxed) {
        st.last_bgsave_time_sec.load(Relaxed)
    } else {
        -1
    };
    format!(
        "loading:{}\r\nasync_loading:0\r\ncurrent_cow_peak:{}\r\ncurrent_cow_size:{}\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:{}\r\ncurrent_save_keys_total:{}\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:{}\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\n{}module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n{}{}",
        srv.loading.load(Relaxed) as u8,
        job.as_ref().map_or(0, |j| j.peak_bytes.load(Relaxed)),
        job.as_ref().map_or(0, |j| j.pending_bytes.load(Relaxed)),
        job.as_ref().map_or(0, |j| j.keys_processed.load(Relaxed)),
        if bg { st.keys_total.load(Relaxed) } else { 0 },
        srv.dirty.load(Relaxed),
        bg as u8,
        srv.lastsave.load(Relaxed),
        if st.last_bgsave_failed.load(Relaxed) {
            "err"
        } else {
            "ok"
        },
        last_bg,
        cur_bg,
        st.rdb_saves.load(Relaxed),
        st.last_cow_bytes.load(Relaxed),
        st.load_keys_expired.load(Relaxed),
        st.load_keys_loaded.load(Relaxed),
        aof_main,
        aof_extra,
        loading_extra,
    )
}
