//! Point-in-time snapshots without fork.
//!
//! A snapshot starts while its caller holds every shard lock: it installs a sink in the
//! keyspace's [`SnapshotHook`](crate::store::SnapshotHook) and marks all shards pending. From
//! then on, the first thread to lock a pending shard (the snapshot's own thread walking the
//! shards in order, or a command about to touch it) serializes that shard to RDB bytes before
//! anything else happens to it, so every shard is captured exactly as it was at the start.
//! The snapshot thread writes each serialized shard to the file as soon as it exists.
//!
//! Memory overhead is bounded by the serialized size of the shards commands reached before the
//! snapshot thread did and that are not yet written out: at most the whole dataset's RDB size
//! in the worst case (every shard touched at once), typically one shard (1/16 of it), and
//! nothing is ever copied as live objects. A command that reaches a pending shard pays once for
//! serializing that shard (about 1/16 of a full SAVE).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering::{AcqRel, Relaxed};

use parking_lot::{Condvar, Mutex};

use super::rdb;
use crate::server::Server;
use crate::store::{Locks, SHARDS, ShardData};

/// Serializes every database's keys of one shard (SELECTDB + entries per non-empty db).
pub fn serialize_shard(sd: &ShardData, compress: bool, delay_us: i64) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut keys = 0;
    for (db, d) in sd.dbs.iter().enumerate() {
        if d.keys.is_empty() {
            continue;
        }
        out.push(rdb::OP_SELECTDB);
        rdb::put_len(&mut out, db as u64);
        for e in d.keys.iter() {
            rdb::put_entry(&mut out, e.key(), &e.value(), e.expire(), compress);
            keys += 1;
            if delay_us > 0 {
                std::thread::sleep(std::time::Duration::from_micros(delay_us as u64));
            }
        }
    }
    (out, keys)
}

/// The aux fields Redis writes at the top of an RDB file.
pub fn aux_fields(aof_base: bool) -> Vec<(&'static str, String)> {
    vec![
        ("redis-ver", crate::REDIS_VERSION.to_string()),
        ("redis-bits", "64".to_string()),
        ("ctime", (crate::util::now_ms() / 1000).to_string()),
        ("used-mem", "0".to_string()),
        ("aof-base", if aof_base { "1" } else { "0" }.to_string()),
    ]
}

/// A whole RDB image being written to a file, with its running CRC.
pub struct RdbFile {
    file: std::io::BufWriter<std::fs::File>,
    crc: u64,
    pub tmp: std::path::PathBuf,
    pub keys: usize,
}

impl RdbFile {
    pub fn create(tmp: std::path::PathBuf, header: &[u8]) -> std::io::Result<RdbFile> {
        let f = std::fs::File::create(&tmp)?;
        let mut r = RdbFile {
            file: std::io::BufWriter::with_capacity(1 << 20, f),
            crc: 0,
            tmp,
            keys: 0,
        };
        r.write(header)?;
        Ok(r)
    }

    pub fn write(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.crc = super::codec::crc64(self.crc, b);
        self.file.write_all(b)
    }

    /// Writes EOF and the checksum, fsyncs and renames into place.
    pub fn finish(mut self, checksum: bool, dest: &std::path::Path) -> std::io::Result<()> {
        self.write(&[rdb::OP_EOF])?;
        let crc = if checksum { self.crc } else { 0 };
        self.file.write_all(&crc.to_le_bytes())?;
        let f = self.file.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&self.tmp, dest)?;
        if let Some(dir) = dest.parent()
            && let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                dir
            })
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// RDB header bytes (magic + aux fields).
pub fn header(srv: &Server, aof_base: bool) -> Vec<u8> {
    let mut h = Vec::new();
    rdb::file_header(&mut h, &aux_fields(aof_base));
    // Function libraries come right after the aux fields, as in Redis.
    for code in srv.scripting.library_codes.lock().iter() {
        h.push(rdb::OP_FUNCTION2);
        rdb::put_string(&mut h, code, false);
    }
    h
}

/// Writes a complete RDB file from shards the caller holds locked (SAVE, DEBUG RELOAD,
/// shutdown).
pub fn save_locked(
    srv: &Server,
    locks: &mut Locks<'_>,
    dest: &std::path::Path,
    aof_base: bool,
) -> std::io::Result<usize> {
    let compress = srv.cfg.get_bool("rdbcompression");
    let tmp = dest.with_file_name(format!("temp-{}.rdb", std::process::id()));
    let mut f = RdbFile::create(tmp, &header(srv, aof_base))?;
    let mut keys = 0;
    for i in 0..SHARDS {
        let (b, n) = serialize_shard(locks.shard(i), compress, 0);
        keys += n;
        f.write(&b)?;
    }
    f.finish(srv.cfg.get_bool("rdbchecksum"), dest)?;
    Ok(keys)
}

/// A snapshot in progress: serialized shards waiting to be written.
pub struct Job {
    chunks: Mutex<Vec<(Vec<u8>, usize)>>,
    ready: Condvar,
    compress: bool,
    delay_us: i64,
    /// Serialized bytes waiting to be written, now and at most (the snapshot's memory
    /// overhead; INFO's `current_cow_peak` / `rdb_last_cow_size`).
    pub pending_bytes: std::sync::atomic::AtomicUsize,
    pub peak_bytes: std::sync::atomic::AtomicUsize,
    pub keys_processed: std::sync::atomic::AtomicUsize,
}

/// Starts a snapshot. The caller must hold every shard lock (so the snapshot point is now).
/// Returns the job; [`Job::write_all`] then produces the file from another thread.
pub fn begin(srv: &Server, locks: &Locks<'_>) -> Arc<Job> {
    assert!(locks.is_all(), "a snapshot starts with every shard locked");
    let job = Arc::new(Job {
        chunks: Mutex::new(Vec::new()),
        ready: Condvar::new(),
        compress: srv.cfg.get_bool("rdbcompression"),
        delay_us: srv.cfg.get_i64("rdb-key-save-delay"),
        pending_bytes: Default::default(),
        peak_bytes: Default::default(),
        keys_processed: Default::default(),
    });
    let j = job.clone();
    *srv.ks.snapshot.sink.lock() = Some(Arc::new(move |_i: usize, sd: &ShardData| {
        let chunk = serialize_shard(sd, j.compress, j.delay_us);
        let now = j.pending_bytes.fetch_add(chunk.0.len(), Relaxed) + chunk.0.len();
        j.peak_bytes.fetch_max(now, Relaxed);
        j.chunks.lock().push(chunk);
        j.ready.notify_one();
    }));
    srv.ks.snapshot.pending.store(
        ((1u64 << SHARDS) - 1) as u32,
        std::sync::atomic::Ordering::Release,
    );
    job
}

impl Job {
    /// Visits every shard (serializing those nobody reached yet) and writes all chunks to `f`.
    pub fn write_all(&self, srv: &Server, f: &mut RdbFile) -> std::io::Result<()> {
        let mut written = 0;
        let mut err = None;
        for i in 0..SHARDS {
            drop(srv.ks.lock_one(i));
            let chunks: Vec<(Vec<u8>, usize)> = std::mem::take(&mut *self.chunks.lock());
            for (c, n) in chunks {
                written += 1;
                self.pending_bytes.fetch_sub(c.len(), Relaxed);
                self.keys_processed.fetch_add(n, Relaxed);
                f.keys += n;
                if err.is_none()
                    && let Err(e) = f.write(&c)
                {
                    err = Some(e);
                }
            }
        }
        // Every shard has been visited, so every chunk exists.
        let mut g = self.chunks.lock();
        while written < SHARDS {
            if g.is_empty() {
                self.ready
                    .wait_for(&mut g, std::time::Duration::from_millis(100));
                continue;
            }
            for (c, n) in std::mem::take(&mut *g) {
                written += 1;
                self.pending_bytes.fetch_sub(c.len(), Relaxed);
                f.keys += n;
                if err.is_none()
                    && let Err(e) = f.write(&c)
                {
                    err = Some(e);
                }
            }
        }
        drop(g);
        end(srv);
        match err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Detaches the sink (all shards are done).
fn end(srv: &Server) {
    let _ = srv.ks.snapshot.pending.fetch_and(0, AcqRel);
    *srv.ks.snapshot.sink.lock() = None;
}
