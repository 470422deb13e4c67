//! The keyspace API that command handlers use: lookups with lazy expiry and LRU/LFU updates,
//! typed access to values, writes, TTLs, and the after-write hooks (WATCH invalidation, waking
//! blocked clients, keyspace notifications, propagation records for the AOF).
//!
//! A [`Db`] is built by the dispatcher for one command: it holds the locked shards, the selected
//! database and the command's clock (fixed for a whole transaction or script, like Redis's
//! `server.mstime`, so a key cannot expire half-way through one).

use super::entry::{EntryPtr, Value, ValueMut, ValueRef, ValueType};
use super::{DbShard, Keyspace, Locks};
use crate::error::{Error, WRONGTYPE};
use crate::server::Server;
use crate::server::notify;
use crate::types::{Hash, List, Set, Stream, ZSet};

/// What a command did, besides its reply. Consumed by the dispatcher after the handler.
#[derive(Default)]
pub struct Effects {
    /// Number of changes (Redis's `server.dirty` delta).
    pub dirty: u64,
    /// Keys that may unblock waiters: (db, key).
    pub ready: Vec<(usize, Vec<u8>)>,
    /// Records to append to the AOF, in order (db, argv). `None` entries are placeholders for
    /// "the command itself".
    pub records: Vec<(usize, Vec<Vec<u8>>)>,
    /// The handler chose its own propagation (so the command itself is not recorded).
    pub custom_prop: bool,
    /// Whether records must be collected (the AOF is on).
    pub recording: bool,
    /// Modified keys to report to client-side caching (only while some client tracks).
    pub invalidated: Vec<Vec<u8>>,
    /// A database was flushed (tracking clients get a null invalidation).
    pub flushed: bool,
    /// Id of the client whose command this is (0: none), for tracking's NOLOOP.
    pub origin: u64,
}

/// Keyspace access for one command.
pub struct Db<'a> {
    pub srv: &'a Server,
    pub locks: Locks<'a>,
    /// The selected database.
    pub index: usize,
    /// The command's clock, ms since the epoch.
    pub now: i64,
    pub fx: Effects,
    /// CLIENT NO-TOUCH: reads do not update LRU/LFU.
    pub no_touch: bool,
    /// Loading data (AOF/RDB): no lazy expiry, no notifications.
    pub loading: bool,
    /// Lookups are reads in Redis's sense (`lookupKeyRead`): a missing key publishes a
    /// `keymiss` event. Set for read-only commands and around the source reads of writes.
    pub miss_events: bool,
}

/// Result of `lookup`: the slot of a live key.
struct Found {
    hash: u64,
    slot: usize,
}

macro_rules! typed_access {
    ($get:ident, $get_mut:ident, $create:ident, $ty:ident, $variant:ident, $vt:ident) => {
        /// Read access to a value of this type; `Err(WRONGTYPE)` for another type.
        pub fn $get(&mut self, key: &[u8]) -> Result<Option<&$ty>, Error> {
            match self.get(key) {
                None => Ok(None),
                Some(ValueRef::$variant(v)) => Ok(Some(v)),
                Some(_) => Err(WRONGTYPE),
            }
        }

        /// Write access to a value of this type; `Err(WRONGTYPE)` for another type.
        pub fn $get_mut(&mut self, key: &[u8]) -> Result<Option<&mut $ty>, Error> {
            match self.get_mut(key) {
                None => Ok(None),
                Some(ValueMut::$variant(v)) => Ok(Some(v)),
                Some(_) => Err(WRONGTYPE),
            }
        }

        /// Write access, creating an empty value if the key is missing.
        pub fn $create(&mut self, key: &[u8]) -> Result<&mut $ty, Error> {
            match self.value_type(key) {
                Some(ValueType::$vt) => {}
                Some(_) => return Err(WRONGTYPE),
                None => self.add(key, Value::$variant(Box::default())),
            }
            match self.get_mut(key) {
                Some(ValueMut::$variant(v)) => Ok(v),
                _ => unreachable!("just checked or created"),
            }
        }
    };
}

impl<'a> Db<'a> {
    pub fn new(srv: &'a Server, locks: Locks<'a>, index: usize, now: i64) -> Db<'a> {
        Db {
            srv,
            locks,
            index,
            now,
            fx: Effects {
                recording: srv.aof_recording(),
                ..Effects::default()
            },
            no_touch: false,
            loading: false,
            miss_events: false,
        }
    }

    #[inline]
    fn ks(&self) -> &'a Keyspace {
        self.locks.ks
    }

    /// The shard slice of a key (by hash) in the selected db.
    #[inline]
    pub fn shard_db(&mut self, hash: u64) -> &mut DbShard {
        let idx = self.index;
        self.locks.db_shard(idx, hash)
    }

    /// The shard slice of a key in database `db`.
    #[inline]
    pub fn shard_db_at(&mut self, db: usize, hash: u64) -> &mut DbShard {
        self.locks.db_shard(db, hash)
    }

    /// Finds a live key: expired keys are deleted on the way (lazy expiry).
    fn lookup(&mut self, key: &[u8], touch: bool) -> Option<Found> {
        let hash = self.ks().hash(key);
        let now = self.now;
        let loading = self.loading;
        let d = self.shard_db(hash);
        let Some(slot) = d.keys.find(hash, key) else {
            self.key_miss(key);
            return None;
        };
        let expire = d.keys.at(slot).expire();
        if let Some(at) = expire
            && at <= now
            && !loading
        {
            self.expire_now(hash, slot, key);
            self.key_miss(key);
            return None;
        }
        if touch && !self.no_touch {
            let v = self.srv.lru_touch(self.shard_db(hash).keys.at(slot).lru());
            self.shard_db(hash).keys.at_mut(slot).set_lru(v);
        }
        Some(Found { hash, slot })
    }

    #[inline]
    fn key_miss(&mut self, key: &[u8]) {
        if self.miss_events {
            self.notify(notify::KEY_MISS, "keymiss", key);
        }
    }

    /// Runs `f` with read lookups (a missing key publishes `keymiss`), as Redis's
    /// `lookupKeyRead` does for the source keys of write commands (BITOP, ZUNIONSTORE...).
    pub fn reading<R>(&mut self, f: impl FnOnce(&mut Db<'a>) -> R) -> R {
        let saved = std::mem::replace(&mut self.miss_events, true);
        let r = f(self);
        self.miss_events = saved;
        r
    }

    /// Deletes an expired key found at `slot`, with the side effects of an expiry.
    fn expire_now(&mut self, hash: u64, slot: usize, key: &[u8]) {
        let d = self.shard_db(hash);
        let addr = d.keys.remove_at(slot);
        if let Some(i) = d.expires.find_addr(hash, addr) {
            d.expires.remove_at(i);
        }
        // SAFETY: removed from both tables; we own it now.
        drop(unsafe { EntryPtr::from_raw(addr) });
        self.srv
            .stats
            .expired_keys
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.after_delete(key);
        self.touch(key);
        self.record(vec![b"DEL".to_vec(), key.to_vec()]);
        self.notify(notify::EXPIRED, "expired", key);
    }

    /// Whether a key exists (updates LRU like Redis's EXISTS does).
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.lookup(key, true).is_some()
    }

    /// Existence check that does not touch LRU (used internally).
    pub fn contains(&mut self, key: &[u8]) -> bool {
        self.lookup(key, false).is_some()
    }

    pub fn get(&mut self, key: &[u8]) -> Option<ValueRef<'_>> {
        let f = self.lookup(key, true)?;
        Some(self.shard_db(f.hash).keys.at(f.slot).into_value())
    }

    /// Like [`Db::get`] without updating LRU/LFU (OBJECT, TYPE... use lookups that don't touch).
    pub fn peek(&mut self, key: &[u8]) -> Option<ValueRef<'_>> {
        let f = self.lookup(key, false)?;
        Some(self.shard_db(f.hash).keys.at(f.slot).into_value())
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<ValueMut<'_>> {
        let f = self.lookup(key, true)?;
        Some(self.shard_db(f.hash).keys.at_mut(f.slot).into_value_mut())
    }

    /// Type of a key without touching LRU.
    pub fn value_type(&mut self, key: &[u8]) -> Option<ValueType> {
        let f = self.lookup(key, false)?;
        Some(self.shard_db(f.hash).keys.at(f.slot).value_type())
    }

    /// The entry metadata of a live key: (type, encoding, lru field, mem usage).
    pub fn entry_info(&mut self, key: &[u8]) -> Option<(ValueType, &'static str, u32, usize)> {
        let f = self.lookup(key, false)?;
        let e = self.shard_db(f.hash).keys.at(f.slot);
        Some((e.value_type(), e.encoding(), e.lru(), e.mem_usage()))
    }

    /// Sets the raw LRU/LFU field of a key (DEBUG OBJECT / OBJECT FREQ decay).
    pub fn set_lru_field(&mut self, key: &[u8], v: u32) {
        if let Some(f) = self.lookup(key, false) {
            self.shard_db(f.hash).keys.at_mut(f.slot).set_lru(v);
        }
    }

    /// String value of a key: `Ok(None)` if missing, WRONGTYPE if not a string. Integers are
    /// formatted into `buf`.
    pub fn get_str<'b>(
        &'b mut self,
        key: &[u8],
        buf: &'b mut [u8; 24],
    ) -> Result<Option<&'b [u8]>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(ValueRef::Str(s)) => Ok(Some(s)),
            Some(ValueRef::Int(i)) => {
                let mut b = itoa::Buffer::new();
                let s = b.format(i).as_bytes();
                buf[..s.len()].copy_from_slice(s);
                Ok(Some(&buf[..s.len()]))
            }
            Some(_) => Err(WRONGTYPE),
        }
    }

    /// String value as an owned vector.
    pub fn get_str_vec(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let mut buf = [0u8; 24];
        Ok(self.get_str(key, &mut buf)?.map(|s| s.to_vec()))
    }

    /// Integer view of a string (None if missing); errors if not an integer string.
    pub fn get_int(&mut self, key: &[u8]) -> Result<Option<i64>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(ValueRef::Int(i)) => Ok(Some(i)),
            Some(ValueRef::Str(s)) => match crate::util::num::parse_i64(s) {
                Some(i) => Ok(Some(i)),
                None => Err(crate::error::NOT_INT),
            },
            Some(_) => Err(WRONGTYPE),
        }
    }

    /// The in-place buffer of a string key, converting it to the "raw" encoding.
    pub fn string_mut(&mut self, key: &[u8]) -> Result<Option<&mut Vec<u8>>, Error> {
        let Some(f) = self.lookup(key, true) else {
            return Ok(None);
        };
        let d = self.shard_db(f.hash);
        let (vt, kind) = {
            let e = d.keys.at(f.slot);
            (e.value_type(), e.kind())
        };
        if vt != ValueType::String {
            return Err(WRONGTYPE);
        }
        if kind != super::entry::KIND_VEC {
            let (old, new) = d.keys.replace_at(f.slot, |e| {
                let exp = e.expire();
                let v = match e.value() {
                    ValueRef::Str(s) => s.to_vec(),
                    ValueRef::Int(i) => crate::util::num::i64_to_vec(i),
                    _ => unreachable!(),
                };
                e.replace(Value::RawStr(v), exp)
            });
            if let Some(i) = d.expires.find_addr(f.hash, old) {
                d.expires.set_addr_at(i, new);
            }
        }
        Ok(d.keys.at_mut(f.slot).into_vec_mut())
    }

    typed_access!(list, list_mut, list_or_create, List, List, List);
    typed_access!(hash, hash_mut, hash_or_create, Hash, Hash, Hash);
    typed_access!(get_set, set_mut, set_or_create, Set, Set, Set);
    typed_access!(zset, zset_mut, zset_or_create, ZSet, ZSet, ZSet);
    typed_access!(stream, stream_mut, stream_or_create, Stream, Stream, Stream);

    /// Adds a key that does not exist (caller checked).
    pub fn add(&mut self, key: &[u8], v: Value) {
        self.add_with_expire(key, v, None);
    }

    /// Adds a key that does not exist, with an optional absolute expire time.
    pub fn add_with_expire(&mut self, key: &[u8], v: Value, expire: Option<i64>) {
        let hash = self.ks().hash(key);
        let lru = self.srv.lru_new();
        if let Some(at) = super::field_expiry::value_next_expire(&v) {
            self.shard_db(hash).hfe.register(key, at);
        }
        let e = EntryPtr::new(key, v, expire, lru);
        let d = self.shard_db(hash);
        debug_assert!(d.keys.find(hash, key).is_none());
        let addr = e.into_raw();
        d.keys.insert(hash, addr);
        if expire.is_some() {
            d.expires.insert(hash, addr);
        }
        self.signal_ready(key);
        // Redis's dbAdd announces every key it creates.
        self.notify(notify::NEW, "new", key);
    }

    /// Sets a key to a value (overwriting any type). The TTL is cleared unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], v: Value, keep_ttl: bool) {
        let expire = if keep_ttl { self.ttl_at(key) } else { None };
        self.set_with_expire(key, v, expire);
    }

    /// Sets a key to a value with the given absolute expire (or none).
    pub fn set_with_expire(&mut self, key: &[u8], v: Value, expire: Option<i64>) {
        match self.lookup(key, false) {
            None => self.add_with_expire(key, v, expire),
            Some(f) => {
                if let Some(at) = super::field_expiry::value_next_expire(&v) {
                    self.shard_db(f.hash).hfe.register(key, at);
                }
                let old_type = self.shard_db(f.hash).keys.at(f.slot).value_type();
                let d = self.shard_db(f.hash);
                let had_ttl = d.keys.at(f.slot).expire().is_some();
                let (old, new) = d.keys.replace_at(f.slot, |e| e.replace(v, expire));
                match (had_ttl, expire.is_some()) {
                    (true, true) => {
                        let i = d.expires.find_addr(f.hash, old).expect("expires in sync");
                        d.expires.set_addr_at(i, new);
                    }
                    (true, false) => {
                        let i = d.expires.find_addr(f.hash, old).expect("expires in sync");
                        d.expires.remove_at(i);
                    }
                    (false, true) => {
                        d.expires.insert(f.hash, new);
                    }
                    (false, false) => {}
                }
                // Waiters on a key whose type changed get to re-check it (as Redis signals).
                let new_type = self.shard_db(f.hash).keys.at(f.slot).value_type();
                if old_type != new_type || new_type != ValueType::String {
                    self.signal_ready(key);
                }
            }
        }
    }

    /// Deletes a key. Returns whether it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.take(key).is_some()
    }

    /// Removes a key, returning its value and expire time.
    pub fn take(&mut self, key: &[u8]) -> Option<(Value, Option<i64>)> {
        let f = self.lookup(key, false)?;
        let d = self.shard_db(f.hash);
        let addr = d.keys.remove_at(f.slot);
        if let Some(i) = d.expires.find_addr(f.hash, addr) {
            d.expires.remove_at(i);
        }
        // SAFETY: removed from both tables; ownership is ours.
        let e = unsafe { EntryPtr::from_raw(addr) };
        let exp = e.expire();
        let v = e.take_value();
        self.after_delete(key);
        Some((v, exp))
    }

    /// Bookkeeping when a key disappears: waiters that must learn about it (XREADGROUP).
    fn after_delete(&mut self, key: &[u8]) {
        self.signal_deleted(key);
    }

    /// Absolute expire time of a live key (None if no key or no TTL).
    pub fn ttl_at(&mut self, key: &[u8]) -> Option<i64> {
        let f = self.lookup(key, false)?;
        self.shard_db(f.hash).keys.at(f.slot).expire()
    }

    /// `None` if the key is missing, `Some(None)` if it has no TTL, `Some(Some(at))` otherwise.
    pub fn expire_info(&mut self, key: &[u8]) -> Option<Option<i64>> {
        let f = self.lookup(key, false)?;
        Some(self.shard_db(f.hash).keys.at(f.slot).expire())
    }

    /// Sets an absolute expire time on an existing key. Returns false if the key is missing.
    /// A time in the past deletes the key (the caller emits the right events).
    pub fn set_expire(&mut self, key: &[u8], at: i64) -> bool {
        let Some(f) = self.lookup(key, false) else {
            return false;
        };
        let d = self.shard_db(f.hash);
        let had = d.keys.at(f.slot).expire().is_some();
        if had {
            d.keys.at_mut(f.slot).set_expire_in_place(at);
        } else {
            let (_, new) = d.keys.replace_at(f.slot, |e| e.with_expire(Some(at)));
            d.expires.insert(f.hash, new);
        }
        true
    }

    /// Removes a key's TTL. Returns true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let Some(f) = self.lookup(key, false) else {
            return false;
        };
        let d = self.shard_db(f.hash);
        if d.keys.at(f.slot).expire().is_none() {
            return false;
        }
        let (old, _) = d.keys.replace_at(f.slot, |e| e.with_expire(None));
        let i = d.expires.find_addr(f.hash, old).expect("expires in sync");
        d.expires.remove_at(i);
        true
    }

    /// Deletes a collection key that became empty. Returns true if deleted.
    pub fn remove_if_empty(&mut self, key: &[u8]) -> bool {
        let empty = match self.peek(key) {
            Some(ValueRef::List(l)) => l.is_empty(),
            Some(ValueRef::Hash(h)) => h.is_empty(),
            Some(ValueRef::Set(s)) => s.is_empty(),
            Some(ValueRef::ZSet(z)) => z.is_empty(),
            _ => false,
        };
        if empty {
            self.delete(key);
        }
        empty
    }

    /// Marks a key modified for WATCH (Redis's `signalModifiedKey`).
    pub fn touch(&mut self, key: &[u8]) {
        let db = self.index;
        self.touch_in(db, key);
    }

    /// [`Db::touch`] for a key of another database.
    pub fn touch_in(&mut self, db: usize, key: &[u8]) {
        if self.srv.tracking.active() && !self.loading {
            self.fx.invalidated.push(key.to_vec());
        }
        let hash = self.ks().hash(key);
        let d = self.shard_db_at(db, hash);
        if d.watchers.is_empty() {
            return;
        }
        let exists = d.keys.find(hash, key).is_some();
        if let Some(ws) = d.watchers.get_mut(key) {
            for w in ws {
                if w.expired && !exists {
                    // Watched while already expired, and now gone: logically unchanged.
                    w.expired = false;
                    continue;
                }
                w.flag.set_dirty();
            }
        }
    }

    /// Records that `key` may now satisfy blocked clients.
    pub fn signal_ready(&mut self, key: &[u8]) {
        let db = self.index;
        self.signal_ready_in(db, key);
    }

    pub fn signal_ready_in(&mut self, db: usize, key: &[u8]) {
        let hash = self.ks().hash(key);
        let d = self.shard_db_at(db, hash);
        if d.waiters.is_empty() || !d.waiters.contains_key(key) {
            return;
        }
        if !self.fx.ready.iter().any(|(d2, k)| *d2 == db && k == key) {
            self.fx.ready.push((db, key.to_vec()));
        }
    }

    /// A key was deleted: waiters that must be told (blocked XREADGROUP) get to re-check.
    fn signal_deleted(&mut self, key: &[u8]) {
        self.signal_ready(key);
    }

    /// Publishes a keyspace notification if the class is enabled.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        if self.loading {
            return;
        }
        let db = self.index;
        self.srv.notify_keyspace_event(class, event, key, db);
    }

    /// Adds to the change counter.
    pub fn dirty(&mut self, n: u64) {
        self.fx.dirty += n;
    }

    /// Appends a record to propagate (e.g. the DEL of an expired key), in the selected db.
    pub fn record(&mut self, argv: Vec<Vec<u8>>) {
        if self.fx.recording {
            let db = self.index;
            self.fx.records.push((db, argv));
        }
    }

    /// Replaces the propagation of the current command with explicit records.
    pub fn propagate_as(&mut self, argv: Vec<Vec<u8>>) {
        self.fx.custom_prop = true;
        self.record(argv);
    }

    /// Marks the command as propagating nothing by itself (records added explicitly, if any).
    pub fn custom_propagation(&mut self) {
        self.fx.custom_prop = true;
    }

    /// Number of keys in the selected database (needs all shards locked).
    pub fn dbsize(&mut self) -> usize {
        let db = self.index;
        (0..super::SHARDS)
            .map(|i| self.locks.shard(i).dbs[db].keys.len())
            .sum()
    }

    /// Number of keys with a TTL in database `db` (needs all shards locked).
    pub fn expires_count(&mut self, db: usize) -> usize {
        (0..super::SHARDS)
            .map(|i| self.locks.shard(i).dbs[db].expires.len())
            .sum()
    }

    /// Number of keys in database `db` (needs all shards locked).
    pub fn dbsize_of(&mut self, db: usize) -> usize {
        (0..super::SHARDS)
            .map(|i| self.locks.shard(i).dbs[db].keys.len())
            .sum()
    }

    /// Runs `f` with another database selected.
    pub fn with_db<R>(&mut self, db: usize, f: impl FnOnce(&mut Db<'a>) -> R) -> R {
        let old = self.index;
        self.index = db;
        let r = f(self);
        self.index = old;
        r
    }

    /// Empties database `db` (all shards locked). Watchers of keys that existed are touched.
    pub fn flush_db(&mut self, db: usize) -> usize {
        self.fx.flushed = true;
        let mut removed = 0;
        for i in 0..super::SHARDS {
            let d = &mut self.locks.shard(i).dbs[db];
            removed += d.keys.len();
            let ks = self.locks.ks;
            let d = &mut self.locks.shard(i).dbs[db];
            if !d.watchers.is_empty() {
                let mut touched = Vec::new();
                for (k, ws) in d.watchers.iter() {
                    let h = ks.hash(k);
                    if d.keys.find(h, k).is_some() {
                        touched.extend(ws.iter().map(|w| w.flag.clone()));
                    }
                }
                for w in touched {
                    w.set_dirty();
                }
            }
            let d = &mut self.locks.shard(i).dbs[db];
            d.clear();
            // Blocked XREADGROUP clients must learn their stream is gone.
            let keys: Vec<Vec<u8>> = d.waiters.keys().cloned().collect();
            for k in keys {
                if !self.fx.ready.iter().any(|(d2, k2)| *d2 == db && *k2 == k) {
                    self.fx.ready.push((db, k));
                }
            }
        }
        removed
    }

    /// SCAN over the selected database: visits keys from `cursor`, returns the next cursor
    /// (0 when done). The cursor is `1 + shard * 2^20 + tag`, so it only depends on hashes.
    pub fn scan(&mut self, cursor: u64, count: usize, mut f: impl FnMut(&EntryPtr)) -> u64 {
        let db = self.index;
        let now = self.now;
        let tag_span = 1u64 << super::table::TAG_BITS;
        let (mut shard, mut tag) = if cursor == 0 {
            (0usize, 0u64)
        } else {
            let c = cursor - 1;
            ((c / tag_span) as usize, c % tag_span)
        };
        let mut visited = 0;
        while shard < super::SHARDS {
            let d = &mut self.locks.shard(shard).dbs[db];
            let mut n = 0;
            let next = d.keys.scan(tag, count.saturating_sub(visited).max(1), |e| {
                n += 1;
                if e.expire().is_none_or(|at| at > now) {
                    f(e);
                }
            });
            visited += n;
            match next {
                Some(t) => return 1 + shard as u64 * tag_span + t,
                None => {
                    shard += 1;
                    tag = 0;
                    if visited >= count && shard < super::SHARDS {
                        return 1 + shard as u64 * tag_span;
                    }
                }
            }
        }
        0
    }

    /// A random live key of the selected database (all shards locked), or None.
    pub fn random_key(&mut self) -> Option<Vec<u8>> {
        let db = self.index;
        for _ in 0..100 {
            let total = self.dbsize();
            if total == 0 {
                return None;
            }
            // Pick a shard proportionally to its size, then a slot in it.
            let mut r = rand::random::<u64>() % total as u64;
            let mut shard = 0;
            for i in 0..super::SHARDS {
                let n = self.locks.shard(i).dbs[db].keys.len() as u64;
                if r < n {
                    shard = i;
                    break;
                }
                r -= n;
            }
            let d = &mut self.locks.shard(shard).dbs[db];
            let slot = d.keys.random_slot(rand::random())?;
            let key = d.keys.at(slot).key().to_vec();
            // Expired keys found this way are deleted (Redis does the same) and we retry.
            if self.contains(&key) {
                return Some(key);
            }
        }
        None
    }

    /// Exchanges two databases' contents (all shards locked).
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        for i in 0..super::SHARDS {
            let sh = self.locks.shard(i);
            // Waiters and watchers stay with their database number; only data moves.
            let (da, db_) = if a < b {
                let (x, y) = sh.dbs.split_at_mut(b);
                (&mut x[a], &mut y[0])
            } else {
                let (x, y) = sh.dbs.split_at_mut(a);
                (&mut y[0], &mut x[b])
            };
            std::mem::swap(&mut da.keys, &mut db_.keys);
            std::mem::swap(&mut da.expires, &mut db_.expires);
            std::mem::swap(&mut da.expire_cursor, &mut db_.expire_cursor);
            std::mem::swap(&mut da.hfe, &mut db_.hfe);
            for d in [&*da, &*db_] {
                for ws in d.watchers.values() {
                    for w in ws {
                        w.flag.set_dirty();
                    }
                }
            }
            let ka: Vec<Vec<u8>> = da.waiters.keys().cloned().collect();
            let kb: Vec<Vec<u8>> = db_.waiters.keys().cloned().collect();
            for k in ka {
                self.fx.ready.push((a, k));
            }
            for k in kb {
                self.fx.ready.push((b, k));
            }
        }
    }

    /// Type of a key in another database (without changing the selection).
    pub fn value_type_in(&mut self, db: usize, key: &[u8]) -> Option<ValueType> {
        self.with_db(db, |d| d.value_type(key))
    }
}

/// Converts a value to an owned copy (COPY command).
pub fn clone_value(v: &ValueRef<'_>) -> Value {
    match v {
        ValueRef::Str(s) => Value::Str(s.to_vec()),
        ValueRef::Int(i) => Value::Int(*i),
        ValueRef::List(l) => Value::List(Box::new((*l).clone())),
        ValueRef::Hash(h) => Value::Hash(Box::new((*h).clone())),
        ValueRef::Set(s) => Value::Set(Box::new((*s).clone())),
        ValueRef::ZSet(z) => Value::ZSet(Box::new((*z).clone())),
        ValueRef::Stream(s) => Value::Stream(Box::new((*s).clone())),
    }
}
