//! The server: shared state, start-up, worker threads and shutdown.
//!
//! A small fixed pool of worker threads (`io-threads`, default: one per core) each runs its own
//! event loop over its share of the connections ([`worker`]). Everything shared lives in
//! [`Server`]: configuration, the keyspace, the client registry, Pub/Sub, statistics. A
//! background thread ([`cron`]) runs timed jobs: the active expiry cycle, LRU clock, stats.

pub mod blocking;
pub mod client;
pub mod cron;
pub mod dispatch;
pub mod latency;
pub mod notify;
pub mod pubsub;
pub mod stats;
pub mod tracking;
pub mod worker;

use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering::*,
};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::cmd::CommandTable;
use crate::config::{Config, ObufLimit};
use crate::store::Keyspace;
use crate::util;
use client::{ClientShared, ObufClass};
use stats::{Stats, ThreadStats};
use worker::WorkerShared;

/// Values read on hot paths, mirrored from the configuration by change hooks.
#[derive(Default)]
pub struct Hot {
    pub notify_flags: AtomicU32,
    pub maxmemory: AtomicU64,
    pub policy: AtomicU8,
    pub maxmemory_samples: AtomicU32,
    pub lfu_log_factor: AtomicU32,
    pub lfu_decay_time: AtomicU32,
    pub proto_max_bulk_len: AtomicU64,
    pub query_buf_limit: AtomicU64,
    pub timeout_secs: AtomicU64,
    pub slowlog_slower_than: AtomicI64,
    pub slowlog_max_len: AtomicU64,
    pub busy_threshold_ms: AtomicU64,
    pub obuf: [ObufAtomic; 3],
    pub maxclients: AtomicU64,
    pub hz: AtomicU32,
    pub active_expire_effort: AtomicU32,
    pub active_expire_enabled: AtomicBool,
    pub protected_mode: AtomicBool,
    /// enable-debug-command: 0 no, 1 yes, 2 local.
    pub enable_debug: AtomicU8,
    pub enable_protected_configs: AtomicU8,
    pub enable_module: AtomicU8,
    pub latency_monitor_threshold: AtomicU64,
    pub tcp_keepalive: AtomicU64,
}

#[derive(Default)]
pub struct ObufAtomic {
    pub hard: AtomicU64,
    pub soft: AtomicU64,
    pub soft_secs: AtomicU64,
}

impl ObufAtomic {
    fn store(&self, l: ObufLimit) {
        self.hard.store(l.hard, Relaxed);
        self.soft.store(l.soft, Relaxed);
        self.soft_secs.store(l.soft_secs, Relaxed);
    }
}

/// Eviction policies in the order of `Hot::policy`.
pub const POLICY_NAMES: &[&str] = &[
    "noeviction",
    "allkeys-lru",
    "volatile-lru",
    "allkeys-lfu",
    "volatile-lfu",
    "allkeys-random",
    "volatile-random",
    "volatile-ttl",
];

/// A slow log entry.
pub struct SlowEntry {
    pub id: u64,
    pub time: i64,
    pub duration_us: u64,
    pub args: Vec<Vec<u8>>,
    pub addr: String,
    pub name: Vec<u8>,
}

#[derive(Default)]
pub struct SlowLog {
    pub entries: std::collections::VecDeque<SlowEntry>,
    pub next_id: u64,
}

/// CLIENT PAUSE state.
#[derive(Default, Clone, Copy)]
pub struct Pause {
    /// Deadline in ms since the epoch (0 = not paused).
    pub until_ms: i64,
    /// Only write commands are paused.
    pub write_only: bool,
}

pub struct Server {
    pub cfg: Config,
    pub ks: Keyspace,
    pub hot: Hot,
    pub stats: Stats,
    pub commands: CommandTable,
    pub pubsub: pubsub::PubSub,
    pub clients: RwLock<HashMap<u64, Arc<ClientShared>>>,
    pub next_client_id: AtomicU64,
    pub workers: OnceLock<Vec<Arc<WorkerShared>>>,
    /// One per worker, then one for background threads.
    pub thread_stats: OnceLock<Vec<Arc<ThreadStats>>>,
    pub started: Instant,
    pub start_ms: i64,
    pub run_id: String,
    pub shutdown: AtomicBool,
    /// Set when SHUTDOWN asked for an exit code/options: (save?, exit code).
    pub shutdown_save: AtomicU8,
    pub slowlog: Mutex<SlowLog>,
    pub monitors: RwLock<Vec<Arc<ClientShared>>>,
    /// Number of MONITOR clients (checked without locking on every command).
    pub monitor_count: AtomicUsize,
    pub blocked_clients: AtomicUsize,
    pub pause: Mutex<Pause>,
    /// The bound TCP address (useful with port 0).
    pub local_addr: OnceLock<SocketAddr>,
    pub lru_clock: AtomicU32,
    /// Changes since the last save.
    pub dirty: AtomicU64,
    pub lastsave: AtomicI64,
    pub executable: String,
    /// Start-up warnings about the environment, logged once.
    pub loading: AtomicBool,
    /// A script has held the keyspace since this instant (ms since start), 0 if none.
    pub script_busy_since: AtomicU64,
    pub script_kill: AtomicBool,
    /// Lua scripting: EVAL script cache, FUNCTION libraries, the running script.
    pub scripting: crate::scripting::Engine,
    pub instantaneous: Mutex<cron::InstantMetrics>,
    /// Snapshot and AOF state.
    pub persist: crate::persist::State,
    /// ACL users, log and denial counters.
    pub acl: crate::security::acl::Acl,
    /// Client-side caching: tracked keys and invalidation.
    pub tracking: tracking::Tracking,
    /// LATENCY events and the latency-tracking switch.
    pub latency: latency::LatencyMonitor,
}

/// Maximum LRU clock value (24 bits), as in Redis.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
const LFU_INIT_VAL: u32 = 5;

impl Server {
    pub fn new(cfg: Config) -> Arc<Server> {
        let databases = cfg.get_i64("databases").max(1) as usize;
        let commands = CommandTable::build(&cfg.renames);
        let run_id: String = (0..40)
            .map(|_| format!("{:x}", rand::random::<u8>() % 16))
            .collect();
        let srv = Arc::new(Server {
            ks: Keyspace::new(databases),
            hot: Hot::default(),
            stats: Stats::default(),
            commands,
            pubsub: pubsub::PubSub::default(),
            clients: RwLock::new(HashMap::new()),
            next_client_id: AtomicU64::new(1),
            workers: OnceLock::new(),
            thread_stats: OnceLock::new(),
            started: Instant::now(),
            start_ms: util::now_ms(),
            run_id,
            shutdown: AtomicBool::new(false),
            shutdown_save: AtomicU8::new(0),
            slowlog: Mutex::new(SlowLog::default()),
            monitors: RwLock::new(Vec::new()),
            monitor_count: AtomicUsize::new(0),
            blocked_clients: AtomicUsize::new(0),
            pause: Mutex::new(Pause::default()),
            local_addr: OnceLock::new(),
            lru_clock: AtomicU32::new(((util::now_ms() / 1000) as u32) & LRU_CLOCK_MAX),
            dirty: AtomicU64::new(0),
            lastsave: AtomicI64::new(util::now_ms() / 1000),
            executable: std::env::current_exe()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
            loading: AtomicBool::new(false),
            script_busy_since: AtomicU64::new(0),
            script_kill: AtomicBool::new(false),
            scripting: crate::scripting::Engine::new(),
            instantaneous: Mutex::new(cron::InstantMetrics::default()),
            persist: crate::persist::State::default(),
            acl: Default::default(),
            tracking: tracking::Tracking::default(),
            latency: latency::LatencyMonitor::new(cfg.get_bool("latency-tracking")),
            cfg,
        });
        srv.install_hooks();
        crate::security::init(&srv);
        srv
    }

    /// Mirrors configuration values that hot paths read into atomics.
    fn install_hooks(self: &Arc<Self>) {
        let w = Arc::downgrade(self);
        macro_rules! hook {
            ($name:expr, |$s:ident, $v:ident| $body:expr) => {{
                let w = w.clone();
                self.cfg.on_change($name, move |$v: &str| {
                    let Some($s) = w.upgrade() else { return Ok(()) };
                    $body;
                    Ok(())
                });
            }};
        }
        hook!("notify-keyspace-events", |s, v| s
            .hot
            .notify_flags
            .store(notify::parse_flags(v).unwrap_or(0), Relaxed));
        hook!("maxmemory", |s, v| s
            .hot
            .maxmemory
            .store(v.parse().unwrap_or(0), Relaxed));
        hook!("maxmemory-policy", |s, v| s.hot.policy.store(
            POLICY_NAMES.iter().position(|p| *p == v).unwrap_or(0) as u8,
            Relaxed
        ));
        hook!("maxmemory-samples", |s, v| s
            .hot
            .maxmemory_samples
            .store(v.parse().unwrap_or(5), Relaxed));
        hook!("lfu-log-factor", |s, v| s
            .hot
            .lfu_log_factor
            .store(v.parse().unwrap_or(10), Relaxed));
        hook!("lfu-decay-time", |s, v| s
            .hot
            .lfu_decay_time
            .store(v.parse().unwrap_or(1), Relaxed));
        hook!("proto-max-bulk-len", |s, v| s
            .hot
            .proto_max_bulk_len
            .store(v.parse().unwrap_or(0), Relaxed));
        hook!("client-query-buffer-limit", |s, v| s
            .hot
            .query_buf_limit
            .store(v.parse().unwrap_or(0), Relaxed));
        hook!("timeout", |s, v| s
            .hot
            .timeout_secs
            .store(v.parse().unwrap_or(0), Relaxed));
        hook!("slowlog-log-slower-than", |s, v| s
            .hot
            .slowlog_slower_than
            .store(v.parse().unwrap_or(10000), Relaxed));
        hook!("slowlog-max-len", |s, v| {
            let n: u64 = v.parse().unwrap_or(128);
            s.hot.slowlog_max_len.store(n, Relaxed);
            let mut sl = s.slowlog.lock();
            while sl.entries.len() as u64 > n {
                sl.entries.pop_back();
            }
        });
        hook!("busy-reply-threshold", |s, v| s
            .hot
            .busy_threshold_ms
            .store(v.parse().unwrap_or(5000), Relaxed));
        hook!("maxclients", |s, v| s
            .hot
            .maxclients
            .store(v.parse().unwrap_or(10000), Relaxed));
        hook!("hz", |s, v| s
            .hot
            .hz
            .store(v.parse::<u32>().unwrap_or(10).clamp(1, 500), Relaxed));
        hook!("active-expire-effort", |s, v| s
            .hot
            .active_expire_effort
            .store(v.parse().unwrap_or(1), Relaxed));
        hook!("protected-mode", |s, v| s
            .hot
            .protected_mode
            .store(v == "yes", Relaxed));
        hook!("tcp-keepalive", |s, v| s
            .hot
            .tcp_keepalive
            .store(v.parse().unwrap_or(300), Relaxed));
        hook!("latency-tracking", |s, v| s
            .latency
            .tracking
            .store(v == "yes", Relaxed));
        hook!("latency-monitor-threshold", |s, v| s
            .hot
            .latency_monitor_threshold
            .store(v.parse().unwrap_or(0), Relaxed));
        let tri = |v: &str| match v {
            "yes" => 1,
            "local" => 2,
            _ => 0,
        };
        hook!("enable-debug-command", |s, v| s
            .hot
            .enable_debug
            .store(tri(v), Relaxed));
        hook!("enable-protected-configs", |s, v| s
            .hot
            .enable_protected_configs
            .store(tri(v), Relaxed));
        hook!("enable-module-command", |s, v| s
            .hot
            .enable_module
            .store(tri(v), Relaxed));
        hook!("client-output-buffer-limit", |s, v| {
            if let Ok(limits) = crate::config::parse_obuf_limits(v) {
                for (class, l) in limits {
                    s.hot.obuf[class].store(l);
                }
            }
        });
        {
            // `dir` is the working directory, as in Redis (snapshots and the AOF live there).
            self.cfg.on_change("dir", |v: &str| {
                std::env::set_current_dir(v).map_err(|e| format!("Can't chdir to '{v}': {e}"))
            });
        }
        // Data-structure thresholds live in the type modules.
        crate::types::install_config_hooks(&self.cfg);
        self.hot.active_expire_enabled.store(true, Relaxed);
    }

    /// Stats of the background threads (cron, expiry).
    pub fn bg_stats(&self) -> &ThreadStats {
        self.thread_stats
            .get()
            .and_then(|v| v.last())
            .map(|a| &**a)
            .expect("stats initialised")
    }

    /// Whether the policy tracks LFU data in the LRU field.
    pub fn lfu_policy(&self) -> bool {
        matches!(self.hot.policy.load(Relaxed), 3 | 4)
    }

    /// The LRU field value for a new key.
    pub fn lru_new(&self) -> u32 {
        if self.lfu_policy() {
            (lfu_minutes() << 8) | LFU_INIT_VAL
        } else {
            self.lru_clock.load(Relaxed)
        }
    }

    /// The LRU field value after an access.
    pub fn lru_touch(&self, old: u32) -> u32 {
        if self.lfu_policy() {
            let c = self.lfu_decr_and_return(old);
            let c = lfu_log_incr(c, self.hot.lfu_log_factor.load(Relaxed));
            (lfu_minutes() << 8) | c
        } else {
            self.lru_clock.load(Relaxed)
        }
    }

    /// The LFU counter after applying decay for the time elapsed (Redis's LFUDecrAndReturn).
    pub fn lfu_decr_and_return(&self, field: u32) -> u32 {
        let ldt = field >> 8;
        let counter = field & 255;
        let decay = self.hot.lfu_decay_time.load(Relaxed);
        let now = lfu_minutes();
        let elapsed = if now >= ldt {
            now - ldt
        } else {
            65535 - ldt + now
        };
        let periods = elapsed.checked_div(decay).unwrap_or(0);
        counter.saturating_sub(periods)
    }

    /// Idle time in ms estimated from an LRU field (OBJECT IDLETIME).
    pub fn lru_idle_ms(&self, field: u32) -> u64 {
        let now = self.lru_clock.load(Relaxed);
        let d = if now >= field {
            now - field
        } else {
            (LRU_CLOCK_MAX - field) + now
        };
        d as u64 * 1000
    }

    /// Whether writes must be recorded for the append-only file.
    pub fn aof_recording(&self) -> bool {
        crate::persist::recording(self)
    }

    /// Publishes a keyspace notification if `class` is enabled.
    pub fn notify_keyspace_event(&self, class: u32, event: &str, key: &[u8], db: usize) {
        let flags = self.hot.notify_flags.load(Relaxed);
        if flags & class == 0 {
            return;
        }
        if flags & notify::KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{db}__:").into_bytes();
            ch.extend_from_slice(key);
            self.publish(&ch, event.as_bytes());
        }
        if flags & notify::KEYEVENT != 0 {
            let ch = format!("__keyevent@{db}__:{event}").into_bytes();
            self.publish(&ch, key);
        }
    }

    /// PUBLISH: delivers to subscribers, returns the receiver count.
    pub fn publish(&self, channel: &[u8], message: &[u8]) -> usize {
        self.stats.pubsub_messages.fetch_add(1, Relaxed);
        let mut wakes = pubsub::Wakes::new();
        let n = self.pubsub.publish(channel, message, &mut |c, m| {
            if self.enqueue(c, m) {
                wakes.add(self, c);
            }
        });
        wakes.send(self);
        n
    }

    /// SPUBLISH: delivers to shard channel subscribers, returns the receiver count.
    pub fn spublish(&self, channel: &[u8], message: &[u8]) -> usize {
        let mut wakes = pubsub::Wakes::new();
        let n = self.pubsub.spublish(channel, message, &mut |c, m| {
            if self.enqueue(c, m) {
                wakes.add(self, c);
            }
        });
        wakes.send(self);
        n
    }

    /// Queues bytes for a client owned by any worker and wakes that worker. Enforces the
    /// client's output buffer limit: a client over its hard limit, or over its soft limit for
    /// longer than allowed, is marked for disconnection and gets nothing more.
    pub fn deliver(&self, c: &Arc<ClientShared>, msg: Arc<[u8]>) {
        if self.enqueue(c, msg) {
            self.wake_client(c);
        }
    }

    /// The queueing half of [`Server::deliver`]; true if the client's worker must be woken.
    pub fn enqueue(&self, c: &Arc<ClientShared>, msg: Arc<[u8]>) -> bool {
        if c.kill.load(Relaxed) || pubsub::defer_if_executing(c.id, &msg) {
            return false;
        }
        let over = {
            let mut ob = c.outbox.lock();
            ob.bytes += msg.len();
            ob.chunks.push_back(msg);
            let total = ob.bytes as u64 + c.obuf_bytes.load(Relaxed) as u64;
            self.over_obuf_limit(c, total)
        };
        if over {
            self.kill_for_obuf(c);
        }
        true
    }

    /// Checks a client's pending output against its class limits (Redis's
    /// checkClientOutputBufferLimits); updates the soft-limit timer.
    pub fn over_obuf_limit(&self, c: &ClientShared, total: u64) -> bool {
        let class = c.class.load(Relaxed) as usize;
        let lim = &self.hot.obuf[class.min(2)];
        let hard = lim.hard.load(Relaxed);
        let soft = lim.soft.load(Relaxed);
        if hard > 0 && total >= hard {
            return true;
        }
        if soft > 0 && total >= soft {
            let now = util::now_ms();
            let since = c.soft_limit_since.load(Relaxed);
            if since == 0 {
                c.soft_limit_since.store(now, Relaxed);
                return false;
            }
            return (now - since) as u64 >= lim.soft_secs.load(Relaxed) * 1000;
        }
        c.soft_limit_since.store(0, Relaxed);
        false
    }

    /// Marks a client for disconnection because of its output buffer, counting it once.
    pub fn kill_for_obuf(&self, c: &ClientShared) {
        if !c.obuf_killed.swap(true, AcqRel) {
            self.stats
                .client_output_buffer_limit_disconnections
                .fetch_add(1, Relaxed);
            let mut ob = c.outbox.lock();
            ob.chunks.clear();
            ob.bytes = 0;
            ob.offset = 0;
        }
        c.kill.store(true, Release);
    }

    /// Asks a client's worker to look at it (outbox, kill flag, unblock).
    pub fn wake_client(&self, c: &ClientShared) {
        if !c.pending.swap(true, AcqRel)
            && let Some(ws) = self.workers.get()
        {
            ws[c.worker].attention(c.id);
        }
    }

    pub fn client(&self, id: u64) -> Option<Arc<ClientShared>> {
        self.clients.read().get(&id).cloned()
    }

    /// Requests shutdown of the whole server.
    pub fn request_shutdown(&self) {
        self.shutdown.store(true, Release);
        if let Some(ws) = self.workers.get() {
            for w in ws {
                w.wake();
            }
        }
    }

    /// Selects the client output class for pub/sub subscribers.
    pub fn set_client_class(c: &ClientShared, class: ObufClass) {
        c.class.store(class as u8, Relaxed);
    }

    /// The LRU clock value now (updated by cron; also refreshed here for accuracy).
    pub fn refresh_lru_clock(&self) {
        self.lru_clock
            .store(((util::now_ms() / 1000) as u32) & LRU_CLOCK_MAX, Relaxed);
    }
}

fn lfu_minutes() -> u32 {
    ((util::now_ms() / 1000 / 60) as u32) & 65535
}

fn lfu_log_incr(counter: u32, factor: u32) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let r: f64 = rand::random::<f64>();
    let base = (counter as f64 - LFU_INIT_VAL as f64).max(0.0);
    let p = 1.0 / (base * factor as f64 + 1.0);
    if r < p { counter + 1 } else { counter }
}

/// Starts the server: binds, spawns workers and cron, and blocks until shutdown.
pub fn run(srv: Arc<Server>) -> std::io::Result<()> {
    let handle = start(srv)?;
    handle.join();
    Ok(())
}

/// A running server.
pub struct Handle {
    pub srv: Arc<Server>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Handle {
    /// Waits for shutdown and for every thread to finish.
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
        worker::final_shutdown(&self.srv);
    }

    pub fn addr(&self) -> SocketAddr {
        *self.srv.local_addr.get().expect("bound")
    }
}

/// Binds and starts every thread; returns immediately.
pub fn start(srv: Arc<Server>) -> std::io::Result<Handle> {
    crate::persist::startup(&srv);
    let nthreads = match srv.cfg.get_i64("io-threads") {
        n if n > 0 => n as usize,
        // Default: one worker per core but one, leaving a core to the kernel's network work,
        // the clients on the same machine and the background threads. On this project's 2-core
        // machines one worker gave ~15% more SET/GET throughput and a third of the p99 of two
        // (redis-benchmark -c 50 on the same box); `--io-threads N` overrides it.
        _ => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
    };
    let listeners = worker::bind_listeners(&srv)?;
    let mut shareds = Vec::new();
    let mut polls = Vec::new();
    for i in 0..nthreads {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), worker::WAKER)?;
        shareds.push(Arc::new(WorkerShared::new(i, waker)));
        polls.push(poll);
    }
    let ncmds = srv.commands.len();
    let stats: Vec<Arc<ThreadStats>> = (0..=nthreads)
        .map(|_| Arc::new(ThreadStats::new(ncmds)))
        .collect();
    let _ = srv.thread_stats.set(stats);
    let _ = srv.workers.set(shareds);
    let mut threads = Vec::new();
    let mut listeners = Some(listeners);
    for (i, poll) in polls.into_iter().enumerate() {
        let s = srv.clone();
        let l = if i == 0 { listeners.take() } else { None };
        threads.push(
            std::thread::Builder::new()
                .name(format!("pilgrim-w{i}"))
                .spawn(move || worker::run_worker(s, i, poll, l.unwrap_or_default()))?,
        );
    }
    let s = srv.clone();
    threads.push(
        std::thread::Builder::new()
            .name("pilgrim-cron".into())
            .spawn(move || cron::run_cron(s))?,
    );
    Ok(Handle { srv, threads })
}
