//! Counters for INFO. Hot counters are per thread (each worker writes only its own, so no cache
//! line bounces between cores); INFO sums them.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// Per-command counters (INFO commandstats).
#[derive(Default)]
pub struct CmdStat {
    pub calls: AtomicU64,
    pub usec: AtomicU64,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
    /// Latency histogram (latency-tracking).
    pub hist: super::latency::HistSlot,
}

/// Counters owned by one thread.
pub struct ThreadStats {
    pub cmds: Box<[CmdStat]>,
    pub commands_processed: AtomicU64,
    pub keyspace_hits: AtomicU64,
    pub keyspace_misses: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    pub total_error_replies: AtomicU64,
    pub errors: Mutex<HashMap<String, u64>>,
}

impl ThreadStats {
    pub fn new(ncmds: usize) -> ThreadStats {
        ThreadStats {
            cmds: (0..ncmds).map(|_| CmdStat::default()).collect(),
            commands_processed: AtomicU64::new(0),
            keyspace_hits: AtomicU64::new(0),
            keyspace_misses: AtomicU64::new(0),
            net_input_bytes: AtomicU64::new(0),
            net_output_bytes: AtomicU64::new(0),
            total_error_replies: AtomicU64::new(0),
            errors: Mutex::new(HashMap::new()),
        }
    }

    /// Increments a counter this thread owns (a plain load+store: no locked instruction).
    #[inline]
    pub fn bump(c: &AtomicU64, n: u64) {
        c.store(c.load(Relaxed) + n, Relaxed);
    }

    pub fn count_error(&self, code: &str) {
        Self::bump(&self.total_error_replies, 1);
        let mut e = self.errors.lock();
        // Redis stops tracking new error codes past 128 distinct ones.
        if let Some(n) = e.get_mut(code) {
            *n += 1;
        } else if e.len() < 128 {
            e.insert(code.to_string(), 1);
        }
    }

    pub fn reset(&self) {
        for c in self.cmds.iter() {
            c.calls.store(0, Relaxed);
            c.usec.store(0, Relaxed);
            c.rejected.store(0, Relaxed);
            c.failed.store(0, Relaxed);
            c.hist.reset();
        }
        for a in [
            &self.commands_processed,
            &self.keyspace_hits,
            &self.keyspace_misses,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.total_error_replies,
        ] {
            a.store(0, Relaxed);
        }
        self.errors.lock().clear();
    }
}

/// Server-wide counters updated rarely enough that sharing is fine.
#[derive(Default)]
pub struct Stats {
    pub total_connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub expired_keys: AtomicU64,
    pub expired_stale_perc: AtomicU64,
    pub expired_time_cap_reached_count: AtomicU64,
    pub expire_cycle_cpu_milliseconds: AtomicU64,
    pub evicted_keys: AtomicU64,
    pub evicted_clients: AtomicU64,
    pub total_eviction_exceeded_time: AtomicU64,
    pub pubsub_messages: AtomicU64,
    pub client_qbuf_limit_disconnections: AtomicU64,
    pub client_output_buffer_limit_disconnections: AtomicU64,
    pub unexpected_error_replies: AtomicU64,
    pub dump_payload_sanitizations: AtomicU64,
    pub total_blocking_keys: AtomicU64,
    pub io_threaded_reads: AtomicU64,
    pub io_threaded_writes: AtomicU64,
    pub total_reads_processed: AtomicU64,
    pub total_writes_processed: AtomicU64,
    pub stat_numconnections_reset_ms: AtomicI64,
}

impl Stats {
    pub fn reset(&self) {
        for a in [
            &self.total_connections_received,
            &self.rejected_connections,
            &self.expired_keys,
            &self.expired_stale_perc,
            &self.expired_time_cap_reached_count,
            &self.expire_cycle_cpu_milliseconds,
            &self.evicted_keys,
            &self.evicted_clients,
            &self.total_eviction_exceeded_time,
            &self.pubsub_messages,
            &self.client_qbuf_limit_disconnections,
            &self.client_output_buffer_limit_disconnections,
            &self.unexpected_error_replies,
            &self.dump_payload_sanitizations,
            &self.total_blocking_keys,
            &self.io_threaded_reads,
            &self.io_threaded_writes,
            &self.total_reads_processed,
            &self.total_writes_processed,
        ] {
            a.store(0, Relaxed);
        }
    }
}
