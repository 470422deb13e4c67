//! The append-only file, in Redis 7's multi-part layout: a directory (`appenddirname`) holding a
//! base file (an RDB image, `<appendfilename>.<seq>.base.rdb`), incremental files of RESP
//! commands (`<appendfilename>.<seq>.incr.aof`) and a manifest (`<appendfilename>.manifest`)
//! listing them, so Redis and its tools read what we write and the other way round.
//!
//! # Writing
//! Commands append their effect records to an in-memory buffer while they still hold their
//! shard locks, so the file order is the execution order. Before a worker writes replies it
//! calls [`before_reply`]: the first thread to get there writes the whole buffer to the file
//! and, with `appendfsync always`, fsyncs it; threads that arrive meanwhile find their records
//! already durable (group commit: one fsync serves every client waiting at that moment). So a
//! reply never reaches a client before its write is on disk. With `everysec` the cron thread
//! fsyncs once a second; with `no`, never.
//!
//! # Rewriting (BGREWRITEAOF, auto rewrite, enabling the AOF) without fork
//! With every shard locked: flush and fsync the current incremental file, open a new one that
//! receives all later writes, list it in the manifest, and start a point-in-time snapshot
//! (`snapshot.rs`). A background thread writes the snapshot as the new base, then installs a
//! manifest naming only the new base and the new incremental file, and deletes the old files.
//! A crash at any point leaves a manifest that describes a complete history.
//!
//! # Loading
//! The base (RDB or RESP), then every incremental file. A truncated last command of the last
//! file is dropped with a warning and the file truncated (`aof-load-truncated yes`); any other
//! malformed content stops start-up with an error naming the file and the offset. A MULTI
//! without its EXEC at the end of the last file is dropped the same way.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64};

use parking_lot::Mutex;

use crate::server::Server;
use crate::store::Locks;
use crate::store::db::Db;

const FSYNC_NO: u8 = 0;
const FSYNC_EVERYSEC: u8 = 1;
const FSYNC_ALWAYS: u8 = 2;

#[derive(Default)]
pub struct AofState {
    /// Records are being appended.
    on: AtomicBool,
    fsync: AtomicU8,
    inner: Mutex<Option<Open>>,
    /// Serializes writing the buffer out and fsyncing.
    sync_lock: Mutex<()>,
    /// Logical bytes appended to the buffer / written to the file / fsynced.
    appended: AtomicU64,
    written: AtomicU64,
    synced: AtomicU64,
    rewrite_in_progress: AtomicBool,
    pub rewrite_scheduled: AtomicBool,
    enable_requested: AtomicBool,
    rewrites: AtomicU64,
    rewrite_failed: AtomicBool,
    rewrites_failures: AtomicU64,
    last_rewrite_time_sec: AtomicI64,
    rewrite_ran: AtomicBool,
    rewrite_started_ms: AtomicI64,
    write_failed: AtomicBool,
    last_fsync_ms: AtomicI64,
    /// Size of the AOF (base + incrs) after the last rewrite, and now.
    base_size: AtomicU64,
    current_size: AtomicU64,
    delayed_fsync: AtomicU64,
    started_up: AtomicBool,
}

/// The open incremental file and the manifest it belongs to.
struct Open {
    file: Arc<File>,
    buf: Vec<u8>,
    /// Database selected in the file's command stream.
    db: Option<usize>,
    manifest: Manifest,
}

#[derive(Clone, Default, Debug)]
pub struct Manifest {
    pub base: Option<(String, u64)>,
    pub incrs: Vec<(String, u64)>,
    pub history: Vec<String>,
}

impl Manifest {
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts = split_manifest_line(line);
            let mut name = None;
            let mut seq = None;
            let mut ty = None;
            for kv in parts.chunks(2) {
                if kv.len() < 2 {
                    return Err(format!("Invalid AOF manifest file format (line {})", n + 1));
                }
                match kv[0].as_str() {
                    "file" => name = Some(kv[1].clone()),
                    "seq" => seq = kv[1].parse::<u64>().ok(),
                    "type" => ty = Some(kv[1].clone()),
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(ty)) = (name, seq, ty) else {
                return Err(format!("Invalid AOF manifest file format (line {})", n + 1));
            };
            match ty.as_str() {
                "b" => {
                    if m.base.is_some() {
                        return Err("Found duplicate base file information".into());
                    }
                    m.base = Some((name, seq));
                }
                "i" => {
                    if m.incrs.last().is_some_and(|(_, s)| *s >= seq) {
                        return Err("Found a non-monotonic sequence number".into());
                    }
                    m.incrs.push((name, seq));
                }
                "h" => m.history.push(name),
                _ => return Err(format!("Unknown AOF file type '{ty}'")),
            }
        }
        Ok(m)
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        if let Some((n, seq)) = &self.base {
            s.push_str(&format!("file {} seq {seq} type b\n", quote(n)));
        }
        for n in &self.history {
            s.push_str(&format!("file {} seq 0 type h\n", quote(n)));
        }
        for (n, seq) in &self.incrs {
            s.push_str(&format!("file {} seq {seq} type i\n", quote(n)));
        }
        s
    }

    fn files(&self) -> Vec<String> {
        self.base
            .iter()
            .map(|(n, _)| n.clone())
            .chain(self.incrs.iter().map(|(n, _)| n.clone()))
            .collect()
    }
}

fn quote(name: &str) -> String {
    if name
        .chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\\')
    {
        format!("{name:?}")
    } else {
        name.to_string()
    }
}

fn split_manifest_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut tok = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => {
                        if let Some(n) = chars.next() {
                            tok.push(n);
                        }
                    }
                    _ => tok.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                tok.push(c);
                chars.next();
            }
        }
        out.push(tok);
    }
    out
}

impl AofState {
    pub fn recording(&self) -> bool {
        self.on.load(Relaxed)
    }

    /// With `appendfsync always`: records are waiting for their fsync.
    #[inline]
    pub fn needs_sync(&self) -> bool {
        self.on.load(Relaxed)
            && self.fsync.load(Relaxed) == FSYNC_ALWAYS
            && self.synced.load(SeqCst) < APPENDED_HERE.with(|c| c.get())
    }

    /// The last write or fsync of the AOF failed.
    pub fn write_failing(&self) -> bool {
        self.on.load(Relaxed) && self.write_failed.load(Relaxed)
    }

    pub fn rewrite_in_progress(&self) -> bool {
        self.rewrite_in_progress.load(SeqCst)
    }
}

fn dir(srv: &Server) -> PathBuf {
    PathBuf::from(srv.cfg.get("appenddirname"))
}

fn manifest_name(srv: &Server) -> String {
    format!("{}.manifest", srv.cfg.get("appendfilename"))
}

fn fsync_mode(v: &str) -> u8 {
    match v {
        "always" => FSYNC_ALWAYS,
        "no" => FSYNC_NO,
        _ => FSYNC_EVERYSEC,
    }
}

/// Follows `appendonly` and `appendfsync` changes.
pub fn install_hooks(srv: &Arc<Server>) {
    let w = Arc::downgrade(srv);
    srv.cfg.on_change("appendfsync", move |v| {
        if let Some(s) = w.upgrade() {
            s.persist.aof.fsync.store(fsync_mode(v), Relaxed);
        }
        Ok(())
    });
    let w = Arc::downgrade(srv);
    srv.cfg.on_change("appendonly", move |v| {
        let Some(s) = w.upgrade() else { return Ok(()) };
        if s.loading.load(SeqCst) || !s.persist.aof.rewrite_ran_or_started_up() {
            return Ok(());
        }
        let st = &s.persist.aof;
        if v == "yes" {
            if !st.on.load(SeqCst) {
                st.enable_requested.store(true, SeqCst);
            }
        } else {
            st.enable_requested.store(false, SeqCst);
            disable(&s);
        }
        Ok(())
    });
}

impl AofState {
    /// Start-up is over (hooks act on changes only after the initial load).
    fn rewrite_ran_or_started_up(&self) -> bool {
        self.started_up.load(SeqCst)
    }

    pub fn mark_started(&self) {
        self.started_up.store(true, SeqCst);
    }
}

/// Encodes one command as RESP.
fn encode(out: &mut Vec<u8>, argv: &[Vec<u8>]) {
    out.push(b'*');
    out.extend_from_slice(itoa::Buffer::new().format(argv.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(itoa::Buffer::new().format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends records (called with the command's shard locks held).
pub fn append(srv: &Server, records: Vec<(usize, Vec<Vec<u8>>)>) {
    let st = &srv.persist.aof;
    if !st.on.load(Relaxed) {
        return;
    }
    let mut g = st.inner.lock();
    let Some(open) = g.as_mut() else { return };
    let before = open.buf.len();
    // Transactions arrive wrapped already (EXEC records MULTI ... EXEC).
    let wrap = records.len() > 1 && !records[0].1[0].eq_ignore_ascii_case(b"MULTI");
    if wrap {
        // Select the first record's database before MULTI, as Redis does.
        if open.db != Some(records[0].0) {
            encode(
                &mut open.buf,
                &[b"SELECT".to_vec(), records[0].0.to_string().into_bytes()],
            );
            open.db = Some(records[0].0);
        }
        encode(&mut open.buf, &[b"MULTI".to_vec()]);
    }
    for (db, argv) in &records {
        if open.db != Some(*db) {
            encode(
                &mut open.buf,
                &[b"SELECT".to_vec(), db.to_string().into_bytes()],
            );
            open.db = Some(*db);
        }
        encode(&mut open.buf, argv);
    }
    if wrap {
        encode(&mut open.buf, &[b"EXEC".to_vec()]);
    }
    let n = (open.buf.len() - before) as u64;
    let end = st.appended.fetch_add(n, SeqCst) + n;
    APPENDED_HERE.with(|c| c.set(end));
}

thread_local! {
    /// End offset of the last record this thread appended: its replies wait for that much.
    static APPENDED_HERE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Writes the buffer out (and fsyncs with `always`) before replies go out.
#[inline]
pub fn before_reply(srv: &Server, foreign: bool) {
    let st = &srv.persist.aof;
    if !st.on.load(Relaxed) {
        return;
    }
    let target = if foreign {
        st.appended.load(SeqCst)
    } else {
        APPENDED_HERE.with(|c| c.get())
    };
    let always = st.fsync.load(Relaxed) == FSYNC_ALWAYS;
    let done = if always {
        st.synced.load(SeqCst)
    } else {
        st.written.load(SeqCst)
    };
    if done >= target {
        return;
    }
    write_out(srv, always);
}

/// Writes the pending buffer to the file; fsyncs if `sync`. Group commit: whoever holds the
/// sync lock writes everything appended so far.
fn write_out(srv: &Server, sync: bool) {
    let st = &srv.persist.aof;
    let _g = st.sync_lock.lock();
    let (buf, file, end) = {
        let mut inner = st.inner.lock();
        let Some(open) = inner.as_mut() else { return };
        let end = st.appended.load(SeqCst);
        (std::mem::take(&mut open.buf), open.file.clone(), end)
    };
    if !buf.is_empty() {
        let mut f: &File = &file;
        let mut res = f.write_all(&buf);
        if let Err(e) = &res {
            // Retry once (e.g. a short write after EINTR is handled by write_all already).
            eprintln!("# Error writing to the AOF file: {e}");
            res = f.write_all(&buf);
        }
        if res.is_err() {
            if st.fsync.load(Relaxed) == FSYNC_ALWAYS {
                // Replies are waiting for this write: they must never be sent (as Redis).
                eprintln!(
                    "# Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
                );
                std::process::exit(1);
            }
            st.write_failed.store(true, Relaxed);
            // Keep the data: put it back in front of what was appended meanwhile.
            let mut inner = st.inner.lock();
            if let Some(open) = inner.as_mut() {
                let mut b = buf;
                b.extend_from_slice(&open.buf);
                open.buf = b;
            }
            return;
        }
        st.write_failed.store(false, Relaxed);
        st.current_size.fetch_add(buf.len() as u64, Relaxed);
        st.written.store(end, SeqCst);
    } else if st.written.load(SeqCst) < end {
        st.written.store(end, SeqCst);
    }
    if sync && st.synced.load(SeqCst) < end {
        // SAFETY: fdatasync on a file descriptor we own.
        let r = unsafe { libc::fdatasync(std::os::fd::AsRawFd::as_raw_fd(&*file)) };
        if r == 0 {
            st.synced.store(end, SeqCst);
            st.last_fsync_ms.store(crate::util::now_ms(), Relaxed);
        } else {
            if st.fsync.load(Relaxed) == FSYNC_ALWAYS {
                eprintln!(
                    "# Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                    std::io::Error::last_os_error()
                );
                std::process::exit(1);
            }
            st.write_failed.store(true, Relaxed);
        }
    }
}

/// Cron: write out, fsync every second with `everysec`, auto rewrite, enabling, scheduled
/// rewrites.
pub fn cron(srv: &Server) {
    let st = &srv.persist.aof;
    if st.enable_requested.load(SeqCst)
        && !st.rewrite_in_progress()
        && !srv.persist.bgsave_in_progress.load(SeqCst)
    {
        st.enable_requested.store(false, SeqCst);
        if let Err(RewriteRefusal::Failed(e)) = start_rewrite_ex(srv, None, true) {
            eprintln!("# Can't enable the AOF: {e}");
        }
        return;
    }
    if st.rewrite_scheduled.load(SeqCst)
        && !st.rewrite_in_progress()
        && !srv.persist.bgsave_in_progress.load(SeqCst)
    {
        let _ = start_rewrite(srv, None);
        return;
    }
    if !st.on.load(Relaxed) {
        return;
    }
    let mode = st.fsync.load(Relaxed);
    let now = crate::util::now_ms();
    if mode == FSYNC_EVERYSEC && now - st.last_fsync_ms.load(Relaxed) >= 1000 {
        write_out(srv, true);
        st.last_fsync_ms.store(now, Relaxed);
    } else if st.written.load(SeqCst) < st.appended.load(SeqCst) {
        write_out(srv, mode == FSYNC_ALWAYS);
    }
    if st.rewrite_in_progress() || srv.persist.bgsave_in_progress.load(SeqCst) {
        return;
    }
    let pct = srv.cfg.get_i64("auto-aof-rewrite-percentage");
    let min = srv.cfg.get_i64("auto-aof-rewrite-min-size") as u64;
    let cur = st.current_size.load(Relaxed);
    let base = st.base_size.load(Relaxed).max(1);
    if pct > 0 && cur > min && (cur.saturating_sub(base)) * 100 / base >= pct as u64 {
        eprintln!(
            "* Starting automatic rewriting of AOF on {}% growth",
            (cur - base) * 100 / base
        );
        let _ = start_rewrite(srv, None);
    }
}

/// Why BGREWRITEAOF cannot start.
pub enum RewriteRefusal {
    InProgress,
    /// A BGSAVE runs: the rewrite was scheduled.
    Scheduled,
    Failed(String),
}

fn write_manifest(srv: &Server, m: &Manifest) -> std::io::Result<()> {
    let d = dir(srv);
    let tmp = d.join(format!("temp-{}", manifest_name(srv)));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(m.render().as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, d.join(manifest_name(srv)))?;
    File::open(&d)?.sync_all()
}

fn open_append(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Starts a rewrite (also used to create the AOF when it is turned on). With `locks` the caller
/// already holds every shard; otherwise they are taken here.
pub fn start_rewrite<'a>(srv: &'a Server, locks: Option<&Locks<'a>>) -> Result<(), RewriteRefusal> {
    start_rewrite_ex(srv, locks, false)
}

/// [`start_rewrite`]; with `enable` the AOF is turned on by it (appendonly yes). Without, a
/// rewrite while the AOF is off only writes the files (as BGREWRITEAOF does in Redis).
pub fn start_rewrite_ex<'a>(
    srv: &'a Server,
    locks: Option<&Locks<'a>>,
    enable: bool,
) -> Result<(), RewriteRefusal> {
    let st = &srv.persist.aof;
    if st.rewrite_in_progress() {
        return Err(RewriteRefusal::InProgress);
    }
    if srv.persist.bgsave_in_progress.load(SeqCst) {
        st.rewrite_scheduled.store(true, SeqCst);
        return Err(RewriteRefusal::Scheduled);
    }
    let own;
    let locks = match locks {
        Some(l) => l,
        None => {
            own = srv.ks.lock_all();
            &own
        }
    };
    let Some(me) = srv.persist.server() else {
        return Err(RewriteRefusal::Failed("server gone".into()));
    };
    st.rewrite_in_progress.store(true, SeqCst);
    st.rewrite_scheduled.store(false, SeqCst);
    st.rewrite_started_ms.store(crate::util::now_ms(), Relaxed);
    let d = dir(srv);
    let fname = srv.cfg.get("appendfilename");
    let res = (|| -> std::io::Result<Manifest> {
        std::fs::create_dir_all(&d)?;
        // Everything appended so far goes to the current file, durably.
        write_out(srv, true);
        let mut inner = st.inner.lock();
        let mut manifest = match inner.as_ref() {
            Some(o) => o.manifest.clone(),
            None => match std::fs::read_to_string(d.join(manifest_name(srv))) {
                Ok(t) => Manifest::parse(&t).unwrap_or_default(),
                Err(_) => Manifest::default(),
            },
        };
        let incr_seq = manifest.incrs.last().map_or(0, |(_, s)| *s) + 1;
        let incr = format!("{fname}.{incr_seq}.incr.aof");
        let file = open_append(&d.join(&incr))?;
        manifest.incrs.push((incr, incr_seq));
        write_manifest(srv, &manifest)?;
        if enable || st.on.load(SeqCst) {
            *inner = Some(Open {
                file: Arc::new(file),
                buf: Vec::new(),
                db: None,
                manifest: manifest.clone(),
            });
            st.on.store(true, SeqCst);
        }
        Ok(manifest)
    })();
    let manifest = match res {
        Ok(m) => m,
        Err(e) => {
            st.rewrite_in_progress.store(false, SeqCst);
            st.rewrite_failed.store(true, Relaxed);
            return Err(RewriteRefusal::Failed(e.to_string()));
        }
    };
    let job = super::snapshot::begin(srv, locks);
    let header = super::snapshot::header(srv, true);
    let checksum = srv.cfg.get_bool("rdbchecksum");
    std::thread::Builder::new()
        .name("pilgrim-aofrw".into())
        .spawn(move || {
            let srv = &*me;
            let st = &srv.persist.aof;
            let d = dir(srv);
            let fname = srv.cfg.get("appendfilename");
            let base_seq = manifest.base.as_ref().map_or(0, |(_, s)| *s) + 1;
            let base = format!("{fname}.{base_seq}.base.rdb");
            let tmp = d.join(format!("temp-rewriteaof-{}.aof", std::process::id()));
            let res = super::snapshot::RdbFile::create(tmp, &header).and_then(|mut f| {
                job.write_all(srv, &mut f)?;
                f.finish(checksum, &d.join(&base))
            });
            let res = res.and_then(|()| {
                let mut inner = st.inner.lock();
                let old = match inner.as_ref() {
                    Some(open) => open.manifest.clone(),
                    None => manifest.clone(),
                };
                let cur_incr = old.incrs.last().cloned();
                let mut m = Manifest {
                    base: Some((base.clone(), base_seq)),
                    incrs: cur_incr.into_iter().collect(),
                    history: Vec::new(),
                };
                // Keep incrs opened after ours (none, since only one rewrite runs at a time).
                m.history.clear();
                write_manifest(srv, &m)?;
                if let Some(open) = inner.as_mut() {
                    open.manifest = m.clone();
                }
                drop(inner);
                let keep: Vec<String> = m.files();
                for f in old.files() {
                    if !keep.contains(&f) {
                        let _ = std::fs::remove_file(d.join(&f));
                    }
                }
                let size: u64 = keep.iter().map(|f| file_len(&d.join(f))).sum();
                st.base_size.store(size, Relaxed);
                st.current_size.store(size, Relaxed);
                Ok(())
            });
            let secs = (crate::util::now_ms() - st.rewrite_started_ms.load(Relaxed)) / 1000;
            st.last_rewrite_time_sec.store(secs, Relaxed);
            st.rewrite_ran.store(true, Relaxed);
            match res {
                Ok(()) => {
                    st.rewrite_failed.store(false, Relaxed);
                    st.rewrites.fetch_add(1, Relaxed);
                    st.rewrites_failures.store(0, Relaxed);
                    eprintln!("* Background AOF rewrite finished successfully");
                }
                Err(e) => {
                    st.rewrite_failed.store(true, Relaxed);
                    st.rewrites_failures.fetch_add(1, Relaxed);
                    eprintln!("# Background AOF rewrite failed: {e}");
                }
            }
            st.rewrite_in_progress.store(false, SeqCst);
        })
        .expect("spawn rewrite thread");
    Ok(())
}

/// Turns the AOF off (CONFIG SET appendonly no).
fn disable(srv: &Server) {
    let st = &srv.persist.aof;
    if !st.on.load(SeqCst) {
        return;
    }
    write_out(srv, true);
    let _l = srv.ks.lock_all();
    st.on.store(false, SeqCst);
    *st.inner.lock() = None;
}

/// Flushes and fsyncs on shutdown.
pub fn shutdown(srv: &Server) {
    let st = &srv.persist.aof;
    if st.on.load(SeqCst) {
        write_out(srv, true);
    }
}

/// Whether there is an AOF to load (a manifest, or an old single-file AOF).
pub fn has_files(srv: &Server) -> bool {
    dir(srv).join(manifest_name(srv)).exists()
        || Path::new(&srv.cfg.get("appendfilename")).is_file()
}

/// Loads the AOF at start-up (creating it when missing) and opens it for appending.
pub fn load_at_startup(srv: &Arc<Server>) -> Result<(), String> {
    let st = &srv.persist.aof;
    let d = dir(srv);
    let mpath = d.join(manifest_name(srv));
    let manifest = match std::fs::read_to_string(&mpath) {
        Ok(t) => Some(Manifest::parse(&t)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(format!(
                "Can't open the AOF manifest {}: {e}",
                mpath.display()
            ));
        }
    };
    // A single-file AOF from Redis 6 or older in `dir`: move it into the directory as the base.
    let legacy = PathBuf::from(srv.cfg.get("appendfilename"));
    let manifest = match manifest {
        None if legacy.is_file() => {
            std::fs::create_dir_all(&d)
                .map_err(|e| format!("Can't create {}: {e}", d.display()))?;
            let name = srv.cfg.get("appendfilename");
            std::fs::rename(&legacy, d.join(&name))
                .map_err(|e| format!("Can't move {name} into {}: {e}", d.display()))?;
            let m = Manifest {
                base: Some((name, 1)),
                incrs: Vec::new(),
                history: Vec::new(),
            };
            write_manifest(srv, &m).map_err(|e| e.to_string())?;
            eprintln!("* Upgraded the old-style AOF into {}", d.display());
            Some(m)
        }
        m => m,
    };
    let Some(manifest) = manifest else {
        // No AOF yet: create one from the (empty) data set before serving clients.
        start_rewrite_ex(srv, None, true).map_err(|e| match e {
            RewriteRefusal::Failed(e) => e,
            _ => "can't create the AOF".into(),
        })?;
        while st.rewrite_in_progress() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if st.rewrite_failed.load(SeqCst) {
            return Err("can't create the AOF base file".into());
        }
        return Ok(());
    };
    let files = manifest.files();
    let mut total = 0u64;
    let mut loaded = 0u64;
    for (i, name) in files.iter().enumerate() {
        let path = d.join(name);
        let last = i + 1 == files.len();
        let buf = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && i > 0 && last => {
                // The newest incr file may not exist yet.
                Vec::new()
            }
            Err(e) => return Err(format!("Can't open the append-only file {name}: {e}")),
        };
        total += buf.len() as u64;
        if buf.starts_with(b"REDIS") {
            let mut l = super::Loader::new(srv);
            let aux = super::rdb::load_file(&buf, |k| l.push(k))
                .map_err(|e| format!("Bad file format reading the append only file {name}: {e}"))?;
            crate::scripting::functions::load_from_aux(srv, &aux);
            l.flush();
            loaded += l.loaded;
        } else {
            let good = replay(srv, &buf, name)?;
            if good < buf.len() {
                if !last || !srv.cfg.get_bool("aof-load-truncated") {
                    return Err(format!(
                        "Unexpected end of file reading the append only file {name} at offset {good}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
                    ));
                }
                eprintln!(
                    "# !!! Warning: short read while loading the AOF file {name}!!! Truncating the AOF at offset {good} (was {} bytes)",
                    buf.len()
                );
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| format!("Error truncating the AOF file {name}: {e}"))?;
                f.set_len(good as u64)
                    .and_then(|_| f.sync_all())
                    .map_err(|e| format!("Error truncating the AOF file {name}: {e}"))?;
                total -= (buf.len() - good) as u64;
            }
        }
    }
    srv.persist.load_keys_loaded.store(loaded, Relaxed);
    // Open the last incr file for appending (a new one if the manifest has none).
    let mut manifest = manifest;
    if manifest.incrs.is_empty() {
        let fname = srv.cfg.get("appendfilename");
        manifest.incrs.push((format!("{fname}.1.incr.aof"), 1));
        write_manifest(srv, &manifest).map_err(|e| e.to_string())?;
    }
    let (incr, _) = manifest.incrs.last().cloned().expect("an incr file");
    let file = open_append(&d.join(&incr)).map_err(|e| format!("Can't open {incr}: {e}"))?;
    *st.inner.lock() = Some(Open {
        file: Arc::new(file),
        buf: Vec::new(),
        db: None,
        manifest,
    });
    st.base_size.store(total, Relaxed);
    st.current_size.store(total, Relaxed);
    st.on.store(true, SeqCst);
    Ok(())
}

/// Outcome of parsing one RESP command from the AOF.
enum Parsed<'a> {
    Cmd(Vec<&'a [u8]>, usize),
    Incomplete,
    Bad,
}

fn parse_line(buf: &[u8], pos: usize) -> Option<(i64, usize)> {
    let rest = buf.get(pos..)?;
    let nl = rest.windows(2).position(|w| w == b"\r\n")?;
    let s = std::str::from_utf8(&rest[..nl]).ok()?;
    let n = s.parse::<i64>().ok()?;
    Some((n, pos + nl + 2))
}

fn parse_cmd(buf: &[u8], mut pos: usize) -> Parsed<'_> {
    if buf[pos] != b'*' {
        return Parsed::Bad;
    }
    let Some((n, p)) = parse_line(buf, pos + 1) else {
        return if buf[pos..].windows(2).any(|w| w == b"\r\n") {
            Parsed::Bad
        } else {
            Parsed::Incomplete
        };
    };
    if n < 1 {
        return Parsed::Bad;
    }
    pos = p;
    let mut argv = Vec::with_capacity(n as usize);
    for _ in 0..n {
        match buf.get(pos) {
            None => return Parsed::Incomplete,
            Some(b'$') => {}
            Some(_) => return Parsed::Bad,
        }
        let Some((len, p)) = parse_line(buf, pos + 1) else {
            return if buf[pos..].windows(2).any(|w| w == b"\r\n") {
                Parsed::Bad
            } else {
                Parsed::Incomplete
            };
        };
        if len < 0 {
            return Parsed::Bad;
        }
        let len = len as usize;
        if p + len + 2 > buf.len() {
            return Parsed::Incomplete;
        }
        if &buf[p + len..p + len + 2] != b"\r\n" {
            return Parsed::Bad;
        }
        argv.push(&buf[p..p + len]);
        pos = p + len + 2;
    }
    Parsed::Cmd(argv, pos)
}

/// Replays RESP commands. Returns the offset up to which the content was complete (the file
/// length unless its tail is truncated); malformed content is an error naming the offset.
fn replay(srv: &Arc<Server>, buf: &[u8], name: &str) -> Result<usize, String> {
    use crate::server::client::{ClientShared, ClientState};
    let stats = crate::server::stats::ThreadStats::new(srv.commands.len());
    let ex = crate::server::dispatch::Exec {
        srv,
        stats: &stats,
        worker: 0,
        now_ms: crate::util::now_ms(),
    };
    let shared = Arc::new(ClientShared::new(
        0,
        0,
        String::new(),
        String::new(),
        -1,
        ex.now_ms,
    ));
    let mut client = ClientState::new(shared, true);
    let mut pos = 0;
    let mut good = 0;
    let mut multi: Option<(usize, Vec<Vec<&[u8]>>)> = None;
    let mut out = Vec::new();
    let mut batch: Vec<Vec<&[u8]>> = Vec::new();
    let run = |client: &mut ClientState, batch: &mut Vec<Vec<&[u8]>>, out: &mut Vec<u8>| {
        if batch.is_empty() {
            return;
        }
        let now = crate::util::now_ms();
        let mut db = Db::new(srv, srv.ks.lock_all(), client.db, now);
        db.loading = true;
        for argv in batch.drain(..) {
            if argv[0].eq_ignore_ascii_case(b"select") && argv.len() == 2 {
                if let Some(n) = std::str::from_utf8(argv[1])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    && n < srv.ks.databases
                {
                    client.db = n;
                }
                continue;
            }
            let args = argv;
            let Ok((cmd, _)) = srv.commands.lookup(&args) else {
                eprintln!(
                    "# Unknown command '{}' reading the append only file",
                    String::from_utf8_lossy(args[0])
                );
                continue;
            };
            db.index = client.db;
            out.clear();
            let _ = crate::server::dispatch::run_handler(
                &ex,
                client,
                cmd,
                &args,
                out,
                &mut db,
                crate::cmd::ctx::LOADING,
            );
            db.fx = Default::default();
        }
    };
    while pos < buf.len() {
        if buf[pos] == b'#' {
            // Annotations (timestamps) are lines starting with '#'.
            match buf[pos..].windows(2).position(|w| w == b"\r\n") {
                Some(n) => {
                    pos += n + 2;
                    if multi.is_none() {
                        good = pos;
                    }
                    continue;
                }
                None => break,
            }
        }
        match parse_cmd(buf, pos) {
            Parsed::Cmd(argv, next) => {
                pos = next;
                let is = |n: &str| argv[0].eq_ignore_ascii_case(n.as_bytes());
                if is("multi") {
                    multi = Some((good, Vec::new()));
                    continue;
                }
                if is("exec") {
                    if let Some((_, cmds)) = multi.take() {
                        batch.extend(cmds);
                        run(&mut client, &mut batch, &mut out);
                    }
                    good = pos;
                    continue;
                }
                match multi.as_mut() {
                    Some((_, cmds)) => cmds.push(argv),
                    None => {
                        batch.push(argv);
                        good = pos;
                        if batch.len() >= 1024 {
                            run(&mut client, &mut batch, &mut out);
                        }
                    }
                }
            }
            Parsed::Incomplete => break,
            Parsed::Bad => {
                return Err(format!(
                    "Bad file format reading the append only file {name} at offset {pos}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
                ));
            }
        }
    }
    run(&mut client, &mut batch, &mut out);
    if let Some((start, _)) = multi {
        // A MULTI without EXEC: the transaction is dropped (as a truncated tail).
        return Ok(start);
    }
    Ok(good)
}

/// The AOF fields of INFO persistence: the ones always shown, and the ones shown while the
/// AOF is on (after the module fields, as Redis orders them).
pub fn info_fields(srv: &Server) -> (String, String) {
    let st = &srv.persist.aof;
    let rw = st.rewrite_in_progress();
    let cur = if rw {
        (crate::util::now_ms() - st.rewrite_started_ms.load(Relaxed)) / 1000
    } else {
        -1
    };
    let last = if st.rewrite_ran.load(Relaxed) {
        st.last_rewrite_time_sec.load(Relaxed)
    } else {
        -1
    };
    let s = format!(
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:0\r\n",
        st.on.load(Relaxed) as u8,
        rw as u8,
        (st.rewrite_scheduled.load(Relaxed) || st.enable_requested.load(Relaxed)) as u8,
        last,
        cur,
        if st.rewrite_failed.load(Relaxed) {
            "err"
        } else {
            "ok"
        },
        st.rewrites.load(Relaxed),
        st.rewrites_failures.load(Relaxed),
        if st.write_failed.load(Relaxed) {
            "err"
        } else {
            "ok"
        },
    );
    let mut extra = String::new();
    if st.on.load(Relaxed) {
        let pending = st.appended.load(Relaxed) - st.written.load(Relaxed);
        extra.push_str(&format!(
            "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:0\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:{}\r\n",
            st.current_size.load(Relaxed),
            st.base_size.load(Relaxed),
            pending,
            st.delayed_fsync.load(Relaxed),
        ));
    }
    (s, extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_roundtrip() {
        let text = "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.base, Some(("appendonly.aof.1.base.rdb".into(), 1)));
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.render(), text);
        assert!(Manifest::parse("file x seq 1 type z\n").is_err());
        let q = Manifest::parse("file \"a b\" seq 3 type i\n").unwrap();
        assert_eq!(q.incrs, vec![("a b".to_string(), 3)]);
    }

    #[test]
    fn resp_parsing() {
        let b = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI";
        match parse_cmd(b, 0) {
            Parsed::Cmd(a, n) => {
                assert_eq!(a, vec![b"GET".to_vec(), b"k".to_vec()]);
                assert_eq!(n, 20);
                assert!(matches!(parse_cmd(b, n), Parsed::Incomplete));
            }
            _ => panic!(),
        }
        assert!(matches!(parse_cmd(b"+OK\r\n", 0), Parsed::Bad));
        assert!(matches!(parse_cmd(b"*1\r\n$2\r\nabX\r\n", 0), Parsed::Bad));
    }
}
