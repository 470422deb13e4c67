//! Timed background work (Redis's serverCron): the LRU clock, the active expiry cycle,
//! instantaneous metrics and signal-driven shutdown.
//!
//! Active expiry walks each database's `expires` table incrementally (a tag cursor per shard),
//! in small batches under one shard lock at a time; it keeps going while more than 10% of the
//! sampled keys were expired, up to a time budget of 25% of a tick (more with
//! `active-expire-effort`), so its work per tick is bounded and no lock is held for long.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::time::{Duration, Instant};

use super::Server;
use super::dispatch::{self, Exec};
use crate::store::SHARDS;
use crate::store::db::Db;
use crate::util;

/// Set by the SIGINT/SIGTERM handler.
pub static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALLED.store(true, SeqCst);
}

/// Installs SIGINT/SIGTERM handlers that request a graceful shutdown, and ignores SIGPIPE.
pub fn install_signal_handlers() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Samples for INFO's instantaneous_* fields.
#[derive(Default)]
pub struct InstantMetrics {
    pub last_sample: Option<Instant>,
    pub last_ops: u64,
    pub last_in: u64,
    pub last_out: u64,
    pub ops_per_sec: Vec<f64>,
    pub in_kbps: Vec<f64>,
    pub out_kbps: Vec<f64>,
}

impl InstantMetrics {
    fn push(v: &mut Vec<f64>, x: f64) {
        v.push(x);
        if v.len() > 16 {
            v.remove(0);
        }
    }

    pub fn mean(v: &[f64]) -> f64 {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    }
}

pub fn run_cron(srv: Arc<Server>) {
    let stats_idx = srv.thread_stats.get().map_or(0, |v| v.len() - 1);
    let stats = srv.thread_stats.get().expect("stats")[stats_idx].clone();
    let mut cursors = vec![0usize; 1];
    loop {
        let hz = srv.hot.hz.load(Relaxed).max(1);
        let tick = Duration::from_millis((1000 / hz as u64).max(1));
        // Sleep in small steps so shutdown is prompt.
        let wake = Instant::now() + tick;
        while Instant::now() < wake {
            if srv.shutdown.load(Acquire) {
                return;
            }
            if SIGNALLED.swap(false, SeqCst) {
                eprintln!("Received signal, scheduling shutdown...");
                srv.request_shutdown();
                return;
            }
            std::thread::sleep(
                Duration::from_millis(10).min(wake.saturating_duration_since(Instant::now())),
            );
        }
        srv.refresh_lru_clock();
        let ex = Exec {
            srv: &srv,
            stats: &stats,
            worker: usize::MAX,
            now_ms: crate::util::now_ms(),
        };
        if srv.hot.active_expire_enabled.load(Relaxed) && !srv.loading.load(Relaxed) {
            active_expire_cycle(&ex, tick, &mut cursors);
            crate::store::field_expiry::active_expire_cycle(&ex, tick);
        }
        sample_metrics(&srv);
        crate::persist::cron(&srv);
    }
}

fn sample_metrics(srv: &Server) {
    let Some(all) = srv.thread_stats.get() else {
        return;
    };
    let ops: u64 = all.iter().map(|s| s.commands_processed.load(Relaxed)).sum();
    let inb: u64 = all.iter().map(|s| s.net_input_bytes.load(Relaxed)).sum();
    let outb: u64 = all.iter().map(|s| s.net_output_bytes.load(Relaxed)).sum();
    let mut m = srv.instantaneous.lock();
    let now = Instant::now();
    if let Some(last) = m.last_sample {
        let dt = now.duration_since(last).as_secs_f64();
        if dt < 0.1 {
            return;
        }
        let ops_rate = ops.saturating_sub(m.last_ops) as f64 / dt;
        let in_rate = inb.saturating_sub(m.last_in) as f64 / dt / 1024.0;
        let out_rate = outb.saturating_sub(m.last_out) as f64 / dt / 1024.0;
        InstantMetrics::push(&mut m.ops_per_sec, ops_rate);
        InstantMetrics::push(&mut m.in_kbps, in_rate);
        InstantMetrics::push(&mut m.out_kbps, out_rate);
    }
    m.last_sample = Some(now);
    m.last_ops = ops;
    m.last_in = inb;
    m.last_out = outb;
}

/// One run of the active expiry cycle, bounded by a share of the tick.
fn active_expire_cycle(ex: &Exec<'_>, tick: Duration, cursor: &mut [usize]) {
    let srv = ex.srv;
    let effort = srv.hot.active_expire_effort.load(Relaxed).clamp(1, 10) as usize;
    let per_loop = 20 + 20 / 4 * (effort - 1);
    let budget = tick * (25 + 2 * (effort as u32 - 1)) / 100;
    let acceptable_stale = 10usize.saturating_sub(effort - 1);
    let start = Instant::now();
    let dbs = srv.ks.databases;
    let total = dbs * SHARDS;
    let mut visited = 0;
    while visited < total {
        let pos = cursor[0] % total;
        cursor[0] = cursor[0].wrapping_add(1);
        visited += 1;
        let (dbi, shard) = (pos / SHARDS, pos % SHARDS);
        loop {
            if start.elapsed() > budget {
                srv.stats
                    .expired_time_cap_reached_count
                    .fetch_add(1, Relaxed);
                return;
            }
            let (sampled, expired) = expire_batch(ex, dbi, shard, per_loop);
            if sampled == 0 || expired * 100 / sampled <= acceptable_stale {
                break;
            }
        }
    }
}

/// Samples up to `n` keys with a TTL in one (db, shard) and deletes the expired ones.
/// Returns (sampled, expired).
fn expire_batch(ex: &Exec<'_>, dbi: usize, shard: usize, n: usize) -> (usize, usize) {
    let srv = ex.srv;
    let locks = srv.ks.lock_one(shard);
    let mut db = Db::new(srv, locks, dbi, util::now_ms());
    let now = db.now;
    let mut candidates = Vec::new();
    let mut sampled = 0;
    {
        let d = &mut db.locks.shard(shard).dbs[dbi];
        if d.expires.is_empty() {
            return (0, 0);
        }
        let next = d.expires.scan(d.expire_cursor, n, |e| {
            sampled += 1;
            if e.expire().is_some_and(|at| at <= now) {
                candidates.push(e.key().to_vec());
            }
        });
        d.expire_cursor = next.unwrap_or(0);
    }
    let expired = candidates.len();
    for k in candidates {
        // The lookup performs the expiry with all its side effects.
        db.contains(&k);
    }
    let ready = std::mem::take(&mut db.fx.ready);
    dispatch::finish_effects(srv, &mut db, None);
    drop(db);
    if !ready.is_empty() {
        super::blocking::serve_ready(ex, ready);
    }
    (sampled, expired)
}
