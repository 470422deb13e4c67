//! The keyspace: 16 (configurable) logical databases split into shards by key hash.
//!
//! A key's shard depends only on its hash, not on its database, so commands that move a key
//! between databases (MOVE, COPY ... DB) stay inside one shard. Each shard is a mutex over the
//! per-database tables of its keys plus the bookkeeping that must change atomically with them:
//! clients blocked on a key and clients watching a key. A command locks the shards of its keys
//! in ascending order (deadlock-free) and never holds a lock across I/O; whole-keyspace commands,
//! transactions and scripts lock every shard, which makes them atomic exactly as in Redis.

pub mod db;
pub mod entry;
pub mod field_expiry;
pub mod table;

use parking_lot::{Mutex, MutexGuard};
use smallvec::SmallVec;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Arc;

use crate::server::blocking::Waiter;
use crate::server::client::WatchFlag;

/// A WATCH registration on a key.
pub struct WatchReg {
    pub flag: Arc<WatchFlag>,
    /// The key was already logically expired when watched: its deletion by expiry is not a
    /// change (Redis 7 semantics).
    pub expired: bool,
}
use entry::EntryPtr;
use table::Table;

/// Number of shards. A power of two; 16 keeps whole-keyspace locking cheap while two threads
/// working on different keys almost never meet.
pub const SHARDS: usize = 16;

/// One database's part of one shard.
#[derive(Default)]
pub struct DbShard {
    /// Owns the entries.
    pub keys: Table,
    /// The subset of entries with a TTL (same addresses as in `keys`).
    pub expires: Table,
    /// Clients blocked on a key, in arrival order.
    pub waiters: HashMap<Vec<u8>, VecDeque<Arc<Waiter>>>,
    /// Clients watching a key.
    pub watchers: HashMap<Vec<u8>, Vec<WatchReg>>,
    /// Scan position of the active expiry cycle in `expires` (a tag).
    pub expire_cursor: u64,
    /// Hashes with field TTLs (Redis 7.4 hash-field expiration), by earliest expire time.
    pub hfe: field_expiry::FieldExpiryIndex,
}

impl DbShard {
    /// Frees every entry.
    pub fn clear(&mut self) {
        let addrs: Vec<usize> = self.keys.addrs().collect();
        self.keys.clear();
        self.expires.clear();
        self.hfe.clear();
        for a in addrs {
            // SAFETY: the keys table owned these entries; they were removed from both tables.
            drop(unsafe { EntryPtr::from_raw(a) });
        }
    }
}

impl Drop for DbShard {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A shard: every database's slice of it.
pub struct ShardData {
    pub dbs: Vec<DbShard>,
}

/// The whole keyspace.
pub struct Keyspace {
    shards: Box<[CachePadded<Mutex<ShardData>>]>,
    hasher: foldhash::fast::RandomState,
    pub databases: usize,
    /// A running point-in-time snapshot (see `persist::snapshot`).
    pub snapshot: SnapshotHook,
}

thread_local! {
    static READ_ONLY_LOCKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While alive, locks taken on this thread are for a read-only command: they do not make a
/// running snapshot copy the shards (reads cannot change them, and an expired key removed on
/// the way was logically gone at load time anyway).
pub struct ReadOnlyLocking(bool);

impl ReadOnlyLocking {
    pub fn new(read_only: bool) -> Self {
        ReadOnlyLocking(READ_ONLY_LOCKING.with(|c| c.replace(read_only)))
    }
}

impl Drop for ReadOnlyLocking {
    fn drop(&mut self) {
        READ_ONLY_LOCKING.with(|c| c.set(self.0));
    }
}

/// Copy-on-first-lock support for snapshots taken without fork: `pending` has a bit for every
/// shard the running snapshot has not copied yet. Whoever locks such a shard first (the
/// snapshot thread or a command) hands it to `sink` before doing anything else with it, so the
/// snapshot sees every shard exactly as it was when the snapshot started.
#[derive(Default)]
pub struct SnapshotHook {
    pub pending: std::sync::atomic::AtomicU32,
    #[allow(clippy::type_complexity)]
    pub sink: Mutex<Option<Arc<dyn Fn(usize, &ShardData) + Send + Sync>>>,
}

/// Keeps each shard's mutex on its own cache line so two threads locking neighbouring shards
/// don't bounce one line between cores.
#[repr(align(128))]
pub struct CachePadded<T>(pub T);

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        let shards = (0..SHARDS)
            .map(|_| {
                CachePadded(Mutex::new(ShardData {
                    dbs: (0..databases).map(|_| DbShard::default()).collect(),
                }))
            })
            .collect();
        Keyspace {
            shards,
            hasher: foldhash::fast::RandomState::default(),
            databases,
            snapshot: SnapshotHook::default(),
        }
    }

    /// Gives the shards of `locks` that a running snapshot still needs to its sink.
    #[inline]
    fn visit_snapshot<'a>(&self, locks: Locks<'a>) -> Locks<'a> {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        let pending = self.snapshot.pending.load(Acquire);
        if pending != 0 && !READ_ONLY_LOCKING.with(|c| c.get()) {
            for (i, g) in locks.held.iter() {
                let bit = 1u32 << i;
                if pending & bit != 0 && self.snapshot.pending.fetch_and(!bit, AcqRel) & bit != 0 {
                    let sink = self.snapshot.sink.lock().clone();
                    if let Some(sink) = sink {
                        sink(*i, g);
                    }
                }
            }
        }
        locks
    }

    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    #[inline]
    pub fn shard_of_hash(h: u64) -> usize {
        (h as usize) & (SHARDS - 1)
    }

    #[inline]
    pub fn shard_of(&self, key: &[u8]) -> usize {
        Self::shard_of_hash(self.hash(key))
    }

    /// Locks the given shards (any order, duplicates allowed) in ascending order.
    pub fn lock_shards(&self, mut idx: SmallVec<[usize; 4]>) -> Locks<'_> {
        idx.sort_unstable();
        idx.dedup();
        let held = idx
            .into_iter()
            .map(|i| (i, self.shards[i].0.lock()))
            .collect();
        self.visit_snapshot(Locks {
            ks: self,
            held,
            all: false,
        })
    }

    /// Locks the shards of these keys.
    pub fn lock_keys<'k>(&self, keys: impl IntoIterator<Item = &'k [u8]>) -> Locks<'_> {
        let idx = keys.into_iter().map(|k| self.shard_of(k)).collect();
        self.lock_shards(idx)
    }

    /// Locks every shard.
    pub fn lock_all(&self) -> Locks<'_> {
        let held = (0..SHARDS).map(|i| (i, self.shards[i].0.lock())).collect();
        self.visit_snapshot(Locks {
            ks: self,
            held,
            all: true,
        })
    }

    /// Locks every shard if none is held by someone else right now.
    pub fn try_lock_all(&self) -> Option<Locks<'_>> {
        let mut held: SmallVec<[(usize, MutexGuard<'_, ShardData>); 4]> = SmallVec::new();
        for i in 0..SHARDS {
            held.push((i, self.shards[i].0.try_lock()?));
        }
        Some(self.visit_snapshot(Locks {
            ks: self,
            held,
            all: true,
        }))
    }

    /// Locks the given shards if they are free right now.
    pub fn try_lock_shards(&self, mut idx: SmallVec<[usize; 4]>) -> Option<Locks<'_>> {
        idx.sort_unstable();
        idx.dedup();
        let mut held = SmallVec::new();
        for i in idx {
            held.push((i, self.shards[i].0.try_lock()?));
        }
        Some(self.visit_snapshot(Locks {
            ks: self,
            held,
            all: false,
        }))
    }

    /// Locks every shard, giving up after `timeout` (used while a script may hold them).
    pub fn try_lock_all_for(&self, timeout: std::time::Duration) -> Option<Locks<'_>> {
        let deadline = std::time::Instant::now() + timeout;
        let mut held: SmallVec<[(usize, MutexGuard<'_, ShardData>); 4]> = SmallVec::new();
        for i in 0..SHARDS {
            held.push((i, self.shards[i].0.try_lock_until(deadline)?));
        }
        Some(self.visit_snapshot(Locks {
            ks: self,
            held,
            all: true,
        }))
    }

    /// Locks the given shards in order, giving up after `timeout`.
    pub fn try_lock_shards_for(
        &self,
        mut idx: SmallVec<[usize; 4]>,
        timeout: std::time::Duration,
    ) -> Option<Locks<'_>> {
        idx.sort_unstable();
        idx.dedup();
        let deadline = std::time::Instant::now() + timeout;
        let mut held = SmallVec::new();
        for i in idx {
            held.push((i, self.shards[i].0.try_lock_until(deadline)?));
        }
        Some(self.visit_snapshot(Locks {
            ks: self,
            held,
            all: false,
        }))
    }

    /// (keys, keys with a TTL) of database `db`, locking one shard at a time (INFO keyspace).
    pub fn counts(&self, db: usize) -> (usize, usize) {
        let mut k = 0;
        let mut e = 0;
        for s in self.shards.iter() {
            let g = s.0.lock();
            k += g.dbs[db].keys.len();
            e += g.dbs[db].expires.len();
        }
        (k, e)
    }

    /// Locks a single shard (background jobs walk shards one at a time).
    pub fn lock_one(&self, i: usize) -> Locks<'_> {
        let mut held = SmallVec::new();
        held.push((i, self.shards[i].0.lock()));
        self.visit_snapshot(Locks {
            ks: self,
            held,
            all: false,
        })
    }
}

/// A set of locked shards.
pub struct Locks<'a> {
    pub ks: &'a Keyspace,
    held: SmallVec<[(usize, MutexGuard<'a, ShardData>); 4]>,
    all: bool,
}

impl<'a> Locks<'a> {
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// The locked shard `i`. Panics if it is not held: a command touched a key its key spec
    /// did not declare, which is a bug in the command table.
    #[inline]
    pub fn shard(&mut self, i: usize) -> &mut ShardData {
        if self.all {
            return &mut self.held[i].1;
        }
        for (idx, g) in self.held.iter_mut() {
            if *idx == i {
                return g;
            }
        }
        panic!("shard {i} accessed without holding its lock (key spec mismatch)");
    }

    /// Whether shard `i` is held.
    pub fn holds(&self, i: usize) -> bool {
        self.all || self.held.iter().any(|(idx, _)| *idx == i)
    }

    /// Indexes of the held shards.
    pub fn held_indexes(&self) -> SmallVec<[usize; 16]> {
        self.held.iter().map(|(i, _)| *i).collect()
    }

    /// The database slice of key's shard.
    #[inline]
    pub fn db_shard(&mut self, db: usize, hash: u64) -> &mut DbShard {
        &mut self.shard(Keyspace::shard_of_hash(hash)).dbs[db]
    }

    /// Releases every lock.
    pub fn release(self) {}
}
