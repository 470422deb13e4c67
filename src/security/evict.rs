//! maxmemory enforcement: Redis's performEvictions with approximated LRU / LFU / TTL / random
//! victim selection.
//!
//! When used memory is above `maxmemory`, keys are evicted one at a time until it is below:
//! each round samples `maxmemory-samples` keys of every non-empty database (from all keys or
//! from keys with a TTL, by policy), merges them into a small pool of the best candidates kept
//! across rounds (Redis's eviction pool), and deletes the best one that still exists. Each
//! eviction locks only the victim's shard and produces the effects of a DEL: an `evicted`
//! keyspace event, a DEL record for the AOF, WATCH invalidation.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use smallvec::smallvec;

use crate::server::{Server, notify};
use crate::store::db::Db;

const POOL_SIZE: usize = 16;

/// Policies by `Hot::policy` index.
const NOEVICTION: u8 = 0;
const ALLKEYS_LRU: u8 = 1;
const VOLATILE_LRU: u8 = 2;
const ALLKEYS_LFU: u8 = 3;
const VOLATILE_LFU: u8 = 4;
const ALLKEYS_RANDOM: u8 = 5;
const VOLATILE_RANDOM: u8 = 6;
const VOLATILE_TTL: u8 = 7;

struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// Whether used memory is above `maxmemory` (0 = unlimited).
pub fn over_limit(srv: &Server) -> bool {
    let max = srv.hot.maxmemory.load(Relaxed);
    max > 0 && super::used_memory() > max
}

/// Evicts keys until memory is under `maxmemory`. Returns false when it is still over the
/// limit and nothing more could be evicted (the caller refuses `denyoom` commands).
pub fn perform_evictions(srv: &Server) -> bool {
    let max = srv.hot.maxmemory.load(Relaxed);
    if max == 0 || super::used_memory() <= max {
        return true;
    }
    let policy = srv.hot.policy.load(Relaxed);
    if policy == NOEVICTION {
        return false;
    }
    let started = Instant::now();
    let mut pool: Vec<Candidate> = Vec::new();
    let mut freed = 0u64;
    // Redis bounds one call's work (maxmemory-eviction-tenacity); the next command goes on.
    let budget = Duration::from_millis(5);
    loop {
        if super::used_memory() <= max {
            return true;
        }
        if started.elapsed() > budget && freed > 0 {
            return true;
        }
        fill_pool(srv, policy, &mut pool);
        let Some(c) = pool.pop() else {
            return freed > 0;
        };
        if evict(srv, c.db, &c.key) {
            freed += 1;
        }
        if started.elapsed() > budget * 20 {
            return freed > 0;
        }
    }
}

fn volatile(policy: u8) -> bool {
    matches!(
        policy,
        VOLATILE_LRU | VOLATILE_LFU | VOLATILE_RANDOM | VOLATILE_TTL
    )
}

/// Samples keys into the pool, sorted so the best victim is last.
fn fill_pool(srv: &Server, policy: u8, pool: &mut Vec<Candidate>) {
    let samples = srv.hot.maxmemory_samples.load(Relaxed).max(1) as usize;
    let shards = crate::store::SHARDS;
    let now_ms = crate::util::now_ms();
    for db in 0..srv.ks.databases {
        let (keys, expires) = srv.ks.counts(db);
        let n = if volatile(policy) { expires } else { keys };
        if n == 0 {
            continue;
        }
        let mut taken = 0;
        let mut tries = 0;
        while taken < samples && tries < samples * 4 {
            tries += 1;
            let shard = rand::random::<u64>() as usize % shards;
            let mut locks = srv.ks.lock_one(shard);
            let d = &mut locks.shard(shard).dbs[db];
            let table = if volatile(policy) {
                &d.expires
            } else {
                &d.keys
            };
            let Some(slot) = table.random_slot(rand::random()) else {
                continue;
            };
            let e = table.at(slot);
            let lru = e.lru();
            let score = match policy {
                ALLKEYS_LRU | VOLATILE_LRU => srv.lru_idle_ms(lru),
                ALLKEYS_LFU | VOLATILE_LFU => 255 - srv.lfu_decr_and_return(lru) as u64,
                VOLATILE_TTL => {
                    let at = e.expire().unwrap_or(i64::MAX);
                    u64::MAX - (at.max(now_ms) - now_ms) as u64
                }
                _ => rand::random::<u64>(),
            };
            let key = e.key().to_vec();
            taken += 1;
            if pool.iter().any(|c| c.db == db && c.key == key) {
                continue;
            }
            pool.push(Candidate { score, db, key });
        }
    }
    pool.sort_by_key(|c| c.score);
    if pool.len() > POOL_SIZE {
        pool.drain(..pool.len() - POOL_SIZE);
    }
    if matches!(policy, ALLKEYS_RANDOM | VOLATILE_RANDOM) {
        // Random policies keep no memory between rounds.
        pool.drain(..pool.len().saturating_sub(1));
    }
}

/// Deletes one key as an eviction. Returns whether it existed.
fn evict(srv: &Server, db_index: usize, key: &[u8]) -> bool {
    let shard = srv.ks.shard_of(key);
    let locks = srv.ks.lock_shards(smallvec![shard]);
    let mut db = Db::new(srv, locks, db_index, crate::util::now_ms());
    if !db.delete(key) {
        return false;
    }
    db.touch(key);
    db.notify(notify::EVICTED, "evicted", key);
    db.dirty(1);
    db.record(vec![b"DEL".to_vec(), key.to_vec()]);
    crate::server::dispatch::finish_effects(srv, &mut db, None);
    srv.stats.evicted_keys.fetch_add(1, Relaxed);
    true
}
