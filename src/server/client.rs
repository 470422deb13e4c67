//! Per-client state.
//!
//! Each connection is owned by one worker thread, which alone touches its [`ClientState`]
//! (selected db, protocol, MULTI queue, subscriptions...). What other threads need is in the
//! shared [`ClientShared`]: identity and the fields CLIENT LIST prints, an outbox where other
//! threads drop bytes for this client (pub/sub messages, replies to a served blocking command),
//! and flags to request a kill or an unblock. Other threads never write to the socket.

use parking_lot::Mutex;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64, AtomicUsize, Ordering};

use super::blocking::Waiter;

/// A WATCH registration: set when a watched key changes.
#[derive(Default, Debug)]
pub struct WatchFlag {
    dirty: AtomicBool,
}

impl WatchFlag {
    pub fn set_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }
    pub fn reset(&self) {
        self.dirty.store(false, Ordering::Release);
    }
}

/// Output limits class of a client (client-output-buffer-limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObufClass {
    Normal = 0,
    Replica = 1,
    PubSub = 2,
}

/// Bytes queued for a client by other threads.
#[derive(Default)]
pub struct Outbox {
    pub chunks: VecDeque<Arc<[u8]>>,
    /// Offset into the first chunk already copied out.
    pub offset: usize,
    pub bytes: usize,
}

/// Rarely changing descriptive fields CLIENT LIST/INFO print.
#[derive(Default, Clone)]
pub struct ClientInfo {
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub user: String,
    pub resp: u8,
}

/// Requests other threads can make of a client's owner.
pub const UNBLOCK_NONE: u8 = 0;
pub const UNBLOCK_TIMEOUT: u8 = 1;
pub const UNBLOCK_ERROR: u8 = 2;

pub struct ClientShared {
    pub id: u64,
    pub worker: usize,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
    pub last_interaction_ms: AtomicI64,
    pub info: Mutex<ClientInfo>,
    pub outbox: Mutex<Outbox>,
    /// Set when the owner must look at this client (outbox, kill, unblock).
    pub pending: AtomicBool,
    /// Set to make the owner close the connection.
    pub kill: AtomicBool,
    /// CLIENT UNBLOCK request (UNBLOCK_*).
    pub unblock: AtomicU8,
    /// Speaks RESP3 (pub/sub picks the encoding of pushed messages with it).
    pub resp3: AtomicBool,
    /// The waiter while the client is blocked.
    pub waiter: Mutex<Option<Arc<Waiter>>>,
    /// Output bytes pending in the owner's buffer (for limits and CLIENT LIST).
    pub obuf_bytes: AtomicUsize,
    /// When the soft output limit was first exceeded (ms), 0 if not over it.
    pub soft_limit_since: AtomicI64,
    /// Which output-limit class applies (ObufClass as u8).
    pub class: AtomicU8,
    /// Commands processed, for CLIENT INFO-style stats.
    pub commands: AtomicU64,
    /// CLIENT NO-EVICT flag.
    pub no_evict: AtomicBool,
    /// Killed for exceeding its output buffer limit (already counted in stats).
    pub obuf_killed: AtomicBool,
    /// Fields CLIENT LIST shows, kept current by the owner with plain relaxed stores.
    pub cur_db: AtomicUsize,
    pub last_cmd: AtomicUsize,
    pub flags: AtomicU64,
    pub multi_len: AtomicI64,
    pub subs: AtomicUsize,
    pub psubs: AtomicUsize,
    pub ssubs: AtomicUsize,
    pub qbuf: AtomicUsize,
    pub watching: AtomicUsize,
}

/// Bits of `ClientShared::flags`.
pub const F_MULTI: u64 = 1 << 0;
pub const F_PUBSUB: u64 = 1 << 1;
pub const F_MONITOR: u64 = 1 << 2;
pub const F_NO_TOUCH: u64 = 1 << 3;
pub const F_NO_EVICT: u64 = 1 << 4;
pub const F_CLOSE_AFTER_REPLY: u64 = 1 << 5;

impl ClientShared {
    pub fn new(id: u64, worker: usize, addr: String, laddr: String, fd: i32, now_ms: i64) -> Self {
        ClientShared {
            id,
            worker,
            addr,
            laddr,
            fd,
            created_ms: now_ms,
            last_interaction_ms: AtomicI64::new(now_ms),
            info: Mutex::new(ClientInfo {
                user: "default".into(),
                resp: 2,
                ..Default::default()
            }),
            outbox: Mutex::new(Outbox::default()),
            pending: AtomicBool::new(false),
            kill: AtomicBool::new(false),
            unblock: AtomicU8::new(UNBLOCK_NONE),
            resp3: AtomicBool::new(false),
            waiter: Mutex::new(None),
            obuf_bytes: AtomicUsize::new(0),
            soft_limit_since: AtomicI64::new(0),
            class: AtomicU8::new(ObufClass::Normal as u8),
            commands: AtomicU64::new(0),
            no_evict: AtomicBool::new(false),
            obuf_killed: AtomicBool::new(false),
            cur_db: AtomicUsize::new(0),
            last_cmd: AtomicUsize::new(usize::MAX),
            flags: AtomicU64::new(0),
            multi_len: AtomicI64::new(-1),
            subs: AtomicUsize::new(0),
            psubs: AtomicUsize::new(0),
            ssubs: AtomicUsize::new(0),
            qbuf: AtomicUsize::new(0),
            watching: AtomicUsize::new(0),
        }
    }

    pub fn is_blocked(&self) -> bool {
        self.waiter.lock().is_some()
    }

    pub fn set_flag(&self, f: u64, on: bool) {
        let cur = self.flags.load(Ordering::Relaxed);
        let new = if on { cur | f } else { cur & !f };
        if new != cur {
            self.flags.store(new, Ordering::Relaxed);
        }
    }

    pub fn has_flag(&self, f: u64) -> bool {
        self.flags.load(Ordering::Relaxed) & f != 0
    }
}

/// MULTI state.
#[derive(Default)]
pub struct MultiState {
    pub active: bool,
    /// Queued commands (owned argv).
    pub queue: Vec<Vec<Vec<u8>>>,
    /// A command was rejected while queueing: EXEC must fail with EXECABORT.
    pub dirty: bool,
}

/// Reply mode (CLIENT REPLY).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Currently skipping this command's reply.
    Skipping,
}

/// State owned by the connection's worker.
pub struct ClientState {
    pub shared: Arc<ClientShared>,
    pub db: usize,
    pub resp3: bool,
    pub authenticated: bool,
    pub user: String,
    pub multi: MultiState,
    /// Watched keys: (db, key) with the shared flag registered in the keyspace.
    pub watched: Vec<(usize, Vec<u8>)>,
    pub watch_flag: Arc<WatchFlag>,
    /// WATCH saw a key that was already logically expired (so its later deletion by expiry
    /// must not fail EXEC): (db, key).
    pub watched_expired: HashSet<(usize, Vec<u8>)>,
    pub channels: HashSet<Vec<u8>>,
    pub patterns: HashSet<Vec<u8>>,
    pub shard_channels: HashSet<Vec<u8>>,
    pub reply_mode: ReplyMode,
    pub no_touch: bool,
    pub monitor: bool,
    /// Close after the pending output is written (QUIT, protocol error).
    pub close_after_reply: bool,
    /// Name of the last command, for CLIENT LIST.
    pub last_cmd: &'static str,
}

impl ClientState {
    pub fn new(shared: Arc<ClientShared>, authenticated: bool) -> Self {
        ClientState {
            shared,
            db: 0,
            resp3: false,
            authenticated,
            user: "default".into(),
            multi: MultiState::default(),
            watched: Vec::new(),
            watch_flag: Arc::new(WatchFlag::default()),
            watched_expired: HashSet::new(),
            channels: HashSet::new(),
            patterns: HashSet::new(),
            shard_channels: HashSet::new(),
            reply_mode: ReplyMode::On,
            no_touch: false,
            monitor: false,
            close_after_reply: false,
            last_cmd: "NULL",
        }
    }

    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// Number of (non-shard) subscriptions, what SUBSCRIBE replies count.
    pub fn sub_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// In RESP2 subscribed mode only (un)subscribe commands, PING, QUIT and RESET run.
    pub fn in_subscribed_context(&self) -> bool {
        !self.resp3 && (self.sub_count() + self.shard_channels.len()) > 0
    }
}
