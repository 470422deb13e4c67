//! The side index of hashes with field TTLs (Redis 7.4 hash-field expiration), per database
//! shard, and the bounded active sweep that the server cron runs over it.
//!
//! Per-field expire times live inside the hash itself (`types/hash.rs`: the listpackex
//! order or the hashtable's TTL index). What the keyspace needs on top is a way to find the
//! hashes that have fields due, without scanning every key: [`FieldExpiryIndex`] maps a key
//! to the earliest expire time known for it, ordered by that time. Plain hashes and other
//! keys are never in it, so they pay nothing.
//!
//! The index is a hint, not the truth: a registered time may be earlier than the hash's real
//! next expiry (a field was persisted, deleted or overwritten) or the key may be gone or
//! replaced (DEL, RENAME, a SET over it). The sweep checks the real hash each time it visits
//! a key, re-registers it with its real next time, or drops the entry. What matters is only
//! that a hash with a field TTL is registered no later than its earliest field expiry:
//! HEXPIRE-family commands register on every TTL they set, and keys that arrive with field
//! TTLs already set (RENAME, MOVE, COPY, RESTORE) are registered by `Db::add_with_expire`
//! and `Db::set_with_expire`.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::SHARDS;
use super::db::Db;
use super::entry::{Value, ValueMut};
use crate::server::Server;
use crate::server::dispatch::{self, Exec};
use crate::server::notify;

/// Number of entries in all indexes of the process, so the cron skips its sweep (and the
/// shard locks it would take) when no hash has field TTLs.
static REGISTERED: AtomicUsize = AtomicUsize::new(0);

/// Fields removed per shard visit (one lock hold) at most, and per cron tick at most; the
/// real bound of a tick is its time budget (a quarter of the tick).
const FIELDS_PER_VISIT: usize = 200;
const FIELDS_PER_TICK: usize = 200_000;

/// Where the next sweep starts (a `db * SHARDS + shard` position), so that a sweep cut short
/// by its budget does not always favour the first shards.
static NEXT_POSITION: AtomicUsize = AtomicUsize::new(0);

/// Hashes with field TTLs of one database shard, by earliest expire time.
#[derive(Default)]
pub struct FieldExpiryIndex {
    by_time: BTreeSet<(i64, Vec<u8>)>,
    by_key: HashMap<Vec<u8>, i64>,
}

impl FieldExpiryIndex {
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Records that `key` has a field expiring at `at_ms`; keeps the earlier of the known and
    /// the new time.
    pub fn register(&mut self, key: &[u8], at_ms: i64) {
        match self.by_key.get_mut(key) {
            Some(old) if *old <= at_ms => {}
            Some(old) => {
                self.by_time.remove(&(*old, key.to_vec()));
                *old = at_ms;
                self.by_time.insert((at_ms, key.to_vec()));
            }
            None => {
                self.by_key.insert(key.to_vec(), at_ms);
                self.by_time.insert((at_ms, key.to_vec()));
                REGISTERED.fetch_add(1, Relaxed);
            }
        }
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: &[u8]) {
        if let Some(at) = self.by_key.remove(key) {
            self.by_time.remove(&(at, key.to_vec()));
            REGISTERED.fetch_sub(1, Relaxed);
        }
    }

    /// Removes and returns up to `max` keys whose registered time is `<= now_ms`.
    pub fn pop_due(&mut self, now_ms: i64, max: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while out.len() < max {
            match self.by_time.first() {
                Some((at, _)) if *at <= now_ms => {}
                _ => break,
            }
            let (_, key) = self.by_time.pop_first().expect("checked");
            self.by_key.remove(&key);
            REGISTERED.fetch_sub(1, Relaxed);
            out.push(key);
        }
        out
    }

    /// Earliest registered time.
    pub fn next_ms(&self) -> Option<i64> {
        self.by_time.first().map(|(at, _)| *at)
    }

    pub fn clear(&mut self) {
        REGISTERED.fetch_sub(self.by_key.len(), Relaxed);
        self.by_key.clear();
        self.by_time.clear();
    }
}

impl Drop for FieldExpiryIndex {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The earliest field expire time of a value that is a hash with field TTLs.
pub fn value_next_expire(v: &Value) -> Option<i64> {
    match v {
        Value::Hash(h) => h.next_expire_ms(),
        _ => None,
    }
}

/// Registers `key` of the selected database as having a field expiring at `at_ms`.
pub fn register(db: &mut Db<'_>, key: &[u8], at_ms: i64) {
    let hash = db.locks.ks.hash(key);
    db.shard_db(hash).hfe.register(key, at_ms);
}

/// Removes every field of the hash at `key` whose expire time is `<= now` (up to `max`),
/// with Redis's side effects: one HDEL propagated per field, one `hexpired` event, and the
/// key deleted (`del` event) if the hash is left empty. Re-registers the key with its next
/// expire time. Returns the number of fields removed.
pub fn expire_due_fields(db: &mut Db<'_>, key: &[u8], max: usize) -> usize {
    let now = db.now;
    let (removed, next, empty) = match db.get_mut(key) {
        Some(ValueMut::Hash(h)) => {
            let removed = h.remove_expired(now, max);
            (removed, h.next_expire_ms(), h.is_empty())
        }
        _ => return 0,
    };
    let n = removed.len();
    if n > 0 {
        for f in removed {
            db.record(vec![b"HDEL".to_vec(), key.to_vec(), f]);
        }
        db.notify(notify::HASH, "hexpired", key);
        if empty {
            db.delete(key);
            db.notify(notify::GENERIC, "del", key);
        }
        db.touch(key);
    }
    if !empty && let Some(at) = next {
        register(db, key, at);
    }
    n
}

/// One run of the active field-expiry sweep (called from the server cron): visits the keys
/// whose registered time is due, shard by shard, each under its own shard lock, within a
/// field quota and a quarter of the tick.
pub fn active_expire_cycle(ex: &Exec<'_>, tick: Duration) {
    if REGISTERED.load(Relaxed) == 0 {
        return;
    }
    let srv = ex.srv;
    let start = Instant::now();
    let budget = tick / 4;
    let mut quota = FIELDS_PER_TICK;
    let total = srv.ks.databases * SHARDS;
    let first = NEXT_POSITION.load(Relaxed);
    for i in 0..total {
        let pos = (first + i) % total;
        // A shard with more due fields than one visit takes is visited again, within budget.
        loop {
            if quota == 0 || start.elapsed() > budget {
                NEXT_POSITION.store(pos, Relaxed);
                return;
            }
            let n = sweep_shard(srv, pos / SHARDS, pos % SHARDS, quota.min(FIELDS_PER_VISIT));
            quota -= n;
            if n < FIELDS_PER_VISIT {
                break;
            }
        }
    }
}

/// Sweeps one (db, shard), removing at most `quota` fields; returns how many it removed.
fn sweep_shard(srv: &Server, dbi: usize, shard: usize, quota: usize) -> usize {
    let locks = srv.ks.lock_one(shard);
    let mut db = Db::new(srv, locks, dbi, crate::util::now_ms());
    // Expiry is not an access: no LRU/LFU update.
    db.no_touch = true;
    let now = db.now;
    let due = {
        let d = &mut db.locks.shard(shard).dbs[dbi];
        if d.hfe.next_ms().is_none_or(|at| at > now) {
            return 0;
        }
        d.hfe.pop_due(now, 64)
    };
    let mut removed = 0;
    let mut left = quota;
    for key in due {
        if left == 0 {
            // Out of quota: put the key back for the next tick.
            let h = db.locks.ks.hash(&key);
            db.shard_db(h).hfe.register(&key, now);
            continue;
        }
        let n = expire_due_fields(&mut db, &key, left);
        removed += n;
        left -= n;
    }
    dispatch::finish_effects(srv, &mut db, None);
    removed
}
