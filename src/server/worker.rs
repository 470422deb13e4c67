//! A worker thread's event loop.
//!
//! Each worker owns a share of the connections and runs a mio (epoll, edge-triggered) loop over
//! them. A readable connection is read once into its buffer (a short read means the socket is
//! drained; with edge triggering a new event comes when more data arrives), every complete
//! command in the buffer is executed in order, and all replies go out with one write: a pipeline
//! costs one read and one write, not one per command. Nothing blocks the loop except the brief
//! shard locks taken by commands.
//!
//! A Lua script past busy-reply-threshold keeps its worker serving: the script's hook calls
//! [`poll_while_busy`], one non-blocking round of this loop (the script's own connection is out
//! of the map meanwhile), so the other clients get -BUSY and can SCRIPT KILL or SHUTDOWN NOSAVE.
//!
//! Other threads talk to a worker through its [`WorkerShared`] queue: new connections (accepted
//! by worker 0 and spread round-robin) and "attention" notices for clients whose outbox got data
//! (pub/sub, a served blocking command) or that were killed or unblocked. The queue wakes the
//! loop through an eventfd only when the worker is actually sleeping in epoll.

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use parking_lot::Mutex;
use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::time::{Duration, Instant};

use super::Server;
use super::blocking::{self, WaiterState};
use super::client::{ClientShared, ClientState, UNBLOCK_NONE};
use super::dispatch::{self, Exec, Outcome};
use super::stats::ThreadStats;
use crate::protocol::{Arg, Limits, Parser, Step};
use crate::util;

pub const WAKER: Token = Token(usize::MAX - 1);
const LISTENER_BASE: usize = usize::MAX - 64;
const READ_CHUNK: usize = 16 * 1024;

pub enum Msg {
    Conn(TcpStream, SocketAddr),
    Attention(u64),
}

/// The part of a worker other threads can reach.
pub struct WorkerShared {
    pub index: usize,
    waker: mio::Waker,
    queue: Mutex<Vec<Msg>>,
    sleeping: AtomicBool,
}

impl WorkerShared {
    pub fn new(index: usize, waker: mio::Waker) -> WorkerShared {
        WorkerShared {
            index,
            waker,
            queue: Mutex::new(Vec::new()),
            sleeping: AtomicBool::new(false),
        }
    }

    fn push(&self, m: Msg) {
        self.queue.lock().push(m);
        if self.sleeping.swap(false, SeqCst) {
            let _ = self.waker.wake();
        }
    }

    /// Asks the worker to look at client `id`.
    pub fn attention(&self, id: u64) {
        self.push(Msg::Attention(id));
    }

    /// Whether the worker is (about to be) asleep in epoll.
    pub fn is_sleeping(&self) -> bool {
        self.sleeping.load(SeqCst)
    }

    /// Asks the worker to look at several clients: one queue lock, at most one wake-up.
    pub fn attention_many(&self, ids: impl Iterator<Item = u64>) {
        self.queue.lock().extend(ids.map(Msg::Attention));
        if self.sleeping.swap(false, SeqCst) {
            let _ = self.waker.wake();
        }
    }

    /// Wakes the worker unconditionally (shutdown).
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }
}

struct Conn {
    stream: TcpStream,
    rbuf: Vec<u8>,
    parser: Parser,
    wbuf: Vec<u8>,
    wpos: usize,
    state: ClientState,
    closing: bool,
    blocked: bool,
    paused: bool,
    /// Bytes the parser asked for (a big bulk string in progress).
    want: usize,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum TimerKind {
    BlockTimeout,
    PauseCheck,
}

struct Worker {
    srv: Arc<Server>,
    idx: usize,
    shared: Arc<WorkerShared>,
    poll: Poll,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    by_id: HashMap<u64, usize>,
    listeners: Vec<TcpListener>,
    rr: usize,
    timers: BinaryHeap<Reverse<(Instant, u64, TimerKind)>>,
    /// Connections with output to flush before sleeping.
    dirty: Vec<usize>,
    stats: Arc<ThreadStats>,
    last_cron: Instant,
    /// Wall clock (ms) read once per loop iteration; commands of a batch share it.
    now_ms: i64,
    /// Readable events and attention notices that arrived, while a script was busy, for a
    /// connection taken out of `conns` by the command running it: replayed afterwards.
    missed: Vec<(usize, bool)>,
    missed_att: Vec<u64>,
    /// `script_busy_since` of the busy script whose first poll read every connection.
    busy_swept: u64,
    /// Connections to close once the busy script ends (closing may need its locks).
    deferred_close: Vec<usize>,
}

thread_local! {
    /// The worker whose `process` is running a command on this thread (see [`poll_while_busy`]).
    static RUNNING: Cell<*mut Worker> = const { Cell::new(std::ptr::null_mut()) };
    /// Inside [`poll_while_busy`]: commands that take keyspace locks get -BUSY.
    static BUSY_POLLING: Cell<bool> = const { Cell::new(false) };
}

/// Called from the Lua hook while a script runs past busy-reply-threshold (Redis's
/// processEventsWhileBlocked): serves, without waiting, the other connections of the worker
/// running the script and new connections, so they get -BUSY and can send SCRIPT KILL,
/// FUNCTION KILL or SHUTDOWN NOSAVE.
pub fn poll_while_busy() {
    let w = RUNNING.with(|r| r.get());
    if w.is_null() || BUSY_POLLING.with(|b| b.replace(true)) {
        return;
    }
    // SAFETY: `process` published this pointer, derived from its own `&mut self`, for the
    // duration of a command and touches the worker only after the command returns; the
    // connection running the command is out of `conns` meanwhile, so nothing here aliases it.
    let w = unsafe { &mut *w };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.busy_poll()));
    BUSY_POLLING.with(|b| b.set(false));
}

/// Whether this thread is serving other clients from inside a busy script (see
/// [`poll_while_busy`]): commands needing keyspace locks the script holds must be refused.
pub fn in_busy_poll() -> bool {
    BUSY_POLLING.with(|b| b.get())
}

/// Binds the configured addresses (`bind`, `port`).
pub fn bind_listeners(srv: &Server) -> io::Result<Vec<TcpListener>> {
    let port = srv.cfg.get_i64("port") as u16;
    let backlog = srv.cfg.get_i64("tcp-backlog") as i32;
    let mut out = Vec::new();
    if port == 0 && srv.cfg.get("bind").split_whitespace().count() == 0 {
        return Ok(out);
    }
    let mut bound_port = port;
    for a in srv.cfg.get("bind").split_whitespace() {
        let (optional, host) = match a.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, a),
        };
        let host = if host == "*" {
            "0.0.0.0"
        } else if host == "::*" {
            "::"
        } else {
            host
        };
        let addr: SocketAddr = match format!("{host}:{bound_port}")
            .parse()
            .or_else(|_| format!("[{host}]:{bound_port}").parse())
        {
            Ok(a) => a,
            Err(_) if optional => continue,
            Err(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid bind address '{a}'"),
                ));
            }
        };
        let l = match std::net::TcpListener::bind(addr) {
            Ok(l) => l,
            Err(_) if optional => continue,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("Could not create server TCP listening socket {addr}: {e}"),
                ));
            }
        };
        l.set_nonblocking(true)?;
        // SAFETY: listen(2) on our own listening socket only changes its backlog.
        unsafe { libc::listen(l.as_raw_fd(), backlog) };
        let local = l.local_addr()?;
        if bound_port == 0 {
            bound_port = local.port();
        }
        let _ = srv.local_addr.set(local);
        out.push(TcpListener::from_std(l));
    }
    if out.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "Failed listening on any bind address",
        ));
    }
    Ok(out)
}

pub fn run_worker(srv: Arc<Server>, idx: usize, poll: Poll, listeners: Vec<TcpListener>) {
    let shared = srv.workers.get().expect("workers")[idx].clone();
    let stats = srv.thread_stats.get().expect("stats")[idx].clone();
    let mut w = Worker {
        srv,
        idx,
        shared,
        poll,
        conns: Vec::new(),
        free: Vec::new(),
        by_id: HashMap::new(),
        listeners,
        rr: idx,
        timers: BinaryHeap::new(),
        dirty: Vec::new(),
        stats,
        last_cron: Instant::now(),
        now_ms: util::now_ms(),
        missed: Vec::new(),
        missed_att: Vec::new(),
        busy_swept: 0,
        deferred_close: Vec::new(),
    };
    for (i, l) in w.listeners.iter_mut().enumerate() {
        w.poll
            .registry()
            .register(l, Token(LISTENER_BASE + i), Interest::READABLE)
            .expect("register listener");
    }
    w.run();
}

/// Work done once every thread has stopped.
pub fn final_shutdown(srv: &Server) {
    crate::persist::final_shutdown(srv);
}

impl Worker {
    fn run(&mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            if self.srv.shutdown.load(Acquire) {
                self.shutdown();
                return;
            }
            self.drain_queue();
            self.flush_dirty();
            let timeout = self.next_timeout();
            self.shared.sleeping.store(true, SeqCst);
            let timeout = if self.shared.queue.lock().is_empty() {
                timeout
            } else {
                Some(Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout)
                && e.kind() != io::ErrorKind::Interrupted
            {
                eprintln!("poll error: {e}");
            }
            self.shared.sleeping.store(false, SeqCst);
            self.now_ms = util::now_ms();
            self.handle_events(&events);
            for (i, peer_closed) in std::mem::take(&mut self.missed) {
                self.on_readable(i, peer_closed);
            }
            for id in std::mem::take(&mut self.missed_att) {
                if let Some(&i) = self.by_id.get(&id) {
                    self.attention(i);
                }
            }
            for i in std::mem::take(&mut self.deferred_close) {
                self.close(i);
            }
            self.fire_timers();
            if self.last_cron.elapsed() >= Duration::from_millis(100) {
                self.last_cron = Instant::now();
                self.client_cron();
            }
        }
    }

    fn handle_events(&mut self, events: &Events) {
        for ev in events.iter() {
            let t = ev.token();
            if t == WAKER {
                continue;
            }
            if t.0 >= LISTENER_BASE {
                self.accept(t.0 - LISTENER_BASE);
                continue;
            }
            let i = t.0;
            let readable = ev.is_readable() || ev.is_read_closed() || ev.is_error();
            let peer_closed = ev.is_read_closed() || ev.is_error();
            let writable = ev.is_writable();
            if readable && self.conns.get(i).is_some_and(|c| c.is_none()) {
                // Possibly the connection running a busy script: read it once it is back.
                self.missed.push((i, peer_closed));
            }
            // A bug while serving one connection must not take the worker (and every other
            // client on it) down: drop that connection and carry on.
            let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if readable {
                    self.on_readable(i, peer_closed);
                }
                if writable {
                    if crate::persist::defer_replies(&self.srv) {
                        self.dirty.push(i);
                    } else {
                        self.flush(i);
                    }
                }
            }));
            if res.is_err() {
                eprintln!("BUG: panic while serving a connection; closing it");
                self.close(i);
            }
        }
    }

    /// One non-blocking round of the event loop from inside a busy script: queued and new
    /// connections, and every readable connection (their commands get -BUSY in dispatch).
    fn busy_poll(&mut self) {
        if self.srv.shutdown.load(Acquire) {
            return;
        }
        let mut events = Events::with_capacity(256);
        self.drain_queue();
        if let Err(e) = self.poll.poll(&mut events, Some(Duration::ZERO))
            && e.kind() != io::ErrorKind::Interrupted
        {
            eprintln!("poll error: {e}");
        }
        self.now_ms = util::now_ms();
        self.handle_events(&events);
        let since = self.srv.script_busy_since.load(Acquire);
        if self.busy_swept != since {
            // Readiness is edge-triggered: input that arrived with the batch of events the
            // script's command came in was already reported, so read every connection once.
            self.busy_swept = since;
            for i in 0..self.conns.len() {
                if self.conns[i].is_some() {
                    self.on_readable(i, false);
                }
            }
        }
        self.flush_dirty();
    }

    fn next_timeout(&self) -> Option<Duration> {
        let cron = Duration::from_millis(100);
        match self.timers.peek() {
            Some(Reverse((at, _, _))) => {
                Some(at.saturating_duration_since(Instant::now()).min(cron))
            }
            None => Some(cron),
        }
    }

    fn drain_queue(&mut self) {
        let msgs = std::mem::take(&mut *self.shared.queue.lock());
        for m in msgs {
            match m {
                Msg::Conn(s, a) => self.add_conn(s, a),
                Msg::Attention(id) => {
                    if let Some(&i) = self.by_id.get(&id) {
                        if self.conns[i].is_none() || in_busy_poll() {
                            // Its command is running, or a busy script is (unblocking may
                            // need the script's locks): look once the script is over.
                            self.missed_att.push(id);
                        } else {
                            self.attention(i);
                        }
                    }
                }
            }
        }
    }

    fn accept(&mut self, li: usize) {
        loop {
            let (stream, addr) = match self.listeners[li].accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            self.srv
                .stats
                .total_connections_received
                .fetch_add(1, Relaxed);
            let nworkers = self.srv.workers.get().map_or(1, |w| w.len());
            let target = self.rr % nworkers;
            self.rr = self.rr.wrapping_add(1);
            if target == self.idx {
                self.add_conn(stream, addr);
            } else {
                self.srv.workers.get().expect("workers")[target].push(Msg::Conn(stream, addr));
            }
        }
    }

    fn add_conn(&mut self, mut stream: TcpStream, addr: SocketAddr) {
        let _ = stream.set_nodelay(true);
        set_keepalive(&stream, self.srv.hot.tcp_keepalive.load(Relaxed));
        let maxclients = self.srv.hot.maxclients.load(Relaxed) as usize;
        if self.srv.clients.read().len() >= maxclients {
            let _ = io::Write::write(&mut stream, b"-ERR max number of clients reached\r\n");
            self.srv.stats.rejected_connections.fetch_add(1, Relaxed);
            return;
        }
        if let Some(msg) = crate::security::protected_mode_denial(&self.srv, &addr) {
            let _ = io::Write::write(&mut stream, msg.as_bytes());
            self.srv.stats.rejected_connections.fetch_add(1, Relaxed);
            return;
        }
        let id = self.srv.next_client_id.fetch_add(1, Relaxed);
        let laddr = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let shared = Arc::new(ClientShared::new(
            id,
            self.idx,
            addr.to_string(),
            laddr,
            stream.as_raw_fd(),
            util::now_ms(),
        ));
        let authenticated = crate::security::auto_authenticated(&self.srv);
        let state = ClientState::new(shared.clone(), authenticated);
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.conns.push(None);
                self.conns.len() - 1
            }
        };
        if self
            .poll
            .registry()
            .register(
                &mut stream,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            self.free.push(i);
            return;
        }
        self.srv.clients.write().insert(id, shared);
        self.by_id.insert(id, i);
        self.conns[i] = Some(Conn {
            stream,
            rbuf: Vec::new(),
            parser: Parser::default(),
            wbuf: Vec::new(),
            wpos: 0,
            state,
            closing: false,
            blocked: false,
            paused: false,
            want: 0,
        });
    }

    /// Reads what the client sent and runs it. `peer_closed`: the event also reported the end of
    /// the stream, so read on to the EOF (with edge-triggered readiness no further event would
    /// come for a FIN that arrived together with data, and a client that sent a blocking command
    /// and hung up would stay blocked forever).
    fn on_readable(&mut self, i: usize, peer_closed: bool) {
        let qlimit = self.srv.hot.query_buf_limit.load(Relaxed) as usize;
        let now_ms = self.now_ms;
        let Some(c) = self.conns.get_mut(i).and_then(|c| c.as_mut()) else {
            return;
        };
        if c.closing {
            return;
        }
        if in_busy_poll() && (c.blocked || !c.state.watched.is_empty()) {
            // Cancelling its wait or unwatching its keys (EXEC, a hang-up) needs locks the busy
            // script may hold: read it once the script is over.
            self.missed.push((i, peer_closed));
            return;
        }
        let fd = c.stream.as_raw_fd();
        let mut eof = false;
        loop {
            let want = c.want.max(READ_CHUNK).min(qlimit.saturating_add(1024));
            c.rbuf.reserve(want);
            let spare = c.rbuf.capacity() - c.rbuf.len();
            // SAFETY: we read into the vector's spare capacity and then extend its length by
            // exactly the number of bytes the kernel wrote.
            let n = unsafe {
                libc::read(
                    fd,
                    c.rbuf.as_mut_ptr().add(c.rbuf.len()) as *mut libc::c_void,
                    spare,
                )
            };
            if n > 0 {
                let n = n as usize;
                // SAFETY: the kernel initialised n bytes after len.
                unsafe { c.rbuf.set_len(c.rbuf.len() + n) };
                ThreadStats::bump(&self.stats.net_input_bytes, n as u64);
                c.want = c.want.saturating_sub(n);
                if c.rbuf.len() > qlimit {
                    self.srv
                        .stats
                        .client_qbuf_limit_disconnections
                        .fetch_add(1, Relaxed);
                    eof = true;
                    c.rbuf.clear();
                    break;
                }
                if n < spare && !peer_closed {
                    break;
                }
            } else if n == 0 {
                eof = true;
                break;
            } else {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::WouldBlock => break,
                    io::ErrorKind::Interrupted => continue,
                    _ => {
                        eof = true;
                        break;
                    }
                }
            }
        }
        c.state.shared.last_interaction_ms.store(now_ms, Relaxed);
        if eof {
            // Commands that arrived with the end of the stream still run (and their replies
            // are attempted, as Redis writes them before it sees the EOF), then the client goes.
            self.process(i);
            self.settle_waiter(i);
            self.flush(i);
            self.close(i);
            return;
        }
        self.process(i);
        if crate::persist::defer_replies(&self.srv) {
            // appendfsync always: reply after one fsync for every client of this round.
            self.dirty.push(i);
        } else {
            self.flush(i);
        }
    }

    /// A blocked client hung up: cancel its wait, or, if another thread is serving it at this
    /// very moment, wait for that reply, so that it is written (a half-closed peer still reads
    /// it) instead of being dropped with an element the client never saw.
    fn settle_waiter(&mut self, i: usize) {
        let Some(c) = self.conns.get_mut(i).and_then(|c| c.as_mut()) else {
            return;
        };
        let Some(w) = c.state.shared.waiter.lock().clone() else {
            return;
        };
        loop {
            if w.try_cancel(WaiterState::Cancelled) {
                blocking::remove_waiter(&self.srv, &w);
                break;
            }
            if w.state() != WaiterState::Serving {
                break;
            }
            std::thread::yield_now();
        }
        *c.state.shared.waiter.lock() = None;
        c.blocked = false;
    }

    /// Executes every complete command in the connection's buffer.
    fn process(&mut self, i: usize) {
        let srv = self.srv.clone();
        let stats = self.stats.clone();
        let exec = Exec {
            srv: &srv,
            stats: &stats,
            worker: self.idx,
            now_ms: self.now_ms,
        };
        // The connection leaves the map while its commands run: a busy script lets the worker
        // serve its other connections meanwhile (`poll_while_busy`), never this one.
        let Some(mut conn) = self.conns.get_mut(i).and_then(|c| c.take()) else {
            return;
        };
        let c = &mut conn;
        let prev = RUNNING.with(|r| r.replace(self as *mut Worker));
        let mut timer: Option<(Instant, u64, TimerKind)> = None;
        loop {
            if c.closing || c.blocked || c.paused {
                break;
            }
            let lim = Limits {
                max_bulk_len: srv.hot.proto_max_bulk_len.load(Relaxed),
                authenticated: c.state.authenticated,
            };
            let step = match c.parser.step(&c.rbuf, &lim) {
                Ok(s) => s,
                Err(e) => {
                    c.wbuf.extend_from_slice(b"-ERR Protocol error: ");
                    c.wbuf.extend_from_slice(e.0.as_bytes());
                    c.wbuf.extend_from_slice(b"\r\n");
                    c.closing = true;
                    break;
                }
            };
            match step {
                Step::Incomplete(hint) => {
                    c.want = hint;
                    break;
                }
                Step::Empty(_) => continue,
                Step::Command(_) => {
                    let outcome = {
                        let Conn {
                            rbuf,
                            parser,
                            wbuf,
                            state,
                            ..
                        } = &mut *c;
                        let args: smallvec::SmallVec<[&[u8]; 16]> = parser
                            .args
                            .iter()
                            .map(|a| match a {
                                Arg::Buf(r) => &rbuf[r.clone()],
                                Arg::Owned(v) => &v[..],
                            })
                            .collect();
                        dispatch::process_command(&exec, state, &args, wbuf)
                    };
                    // Output limits apply while a pipeline's replies pile up, not only once the
                    // whole batch ran (Redis checks as it appends a reply): a client that never
                    // reads must not make the server buffer an unbounded batch.
                    let pending = c.wbuf.len() - c.wpos;
                    if pending > 64 * 1024 && srv.over_obuf_limit(&c.state.shared, pending as u64) {
                        srv.kill_for_obuf(&c.state.shared);
                        c.wbuf = Vec::new();
                        c.wpos = 0;
                        c.closing = true;
                        break;
                    }
                    match outcome {
                        Outcome::Done => {}
                        Outcome::Close => c.closing = true,
                        Outcome::Blocked(deadline) => {
                            c.blocked = true;
                            if let Some(at) = deadline {
                                timer = Some((at, c.state.id(), TimerKind::BlockTimeout));
                            }
                        }
                        Outcome::Paused => {
                            // The command was not consumed: re-run it when the pause ends.
                            c.parser.rewind();
                            c.paused = true;
                            timer = Some((
                                Instant::now() + Duration::from_millis(10),
                                c.state.id(),
                                TimerKind::PauseCheck,
                            ));
                        }
                    }
                }
            }
        }
        RUNNING.with(|r| r.set(prev));
        // Drop consumed input.
        let start = c.parser.command_start();
        if start > 0 {
            if start >= c.rbuf.len() {
                c.rbuf.clear();
            } else {
                c.rbuf.drain(..start);
            }
            c.parser.shift(start);
        }
        if c.rbuf.is_empty() && c.rbuf.capacity() > 256 * 1024 {
            c.rbuf = Vec::new();
        }
        self.conns[i] = Some(conn);
        if let Some(t) = timer {
            self.timers.push(Reverse(t));
        }
    }

    /// Writes pending output. Returns false if the connection was closed.
    fn flush(&mut self, i: usize) -> bool {
        let Some(c) = self.conns.get_mut(i).and_then(|c| c.as_mut()) else {
            return false;
        };
        // Pull in what other threads queued for this client.
        let foreign = c.state.shared.outbox.lock().bytes > 0;
        if foreign {
            drain_outbox(c);
        }
        crate::persist::before_reply(&self.srv, foreign);
        let fd = c.stream.as_raw_fd();
        while c.wpos < c.wbuf.len() {
            let rest = &c.wbuf[c.wpos..];
            // SAFETY: writing from an initialised slice to our own socket.
            let n = unsafe { libc::write(fd, rest.as_ptr() as *const libc::c_void, rest.len()) };
            if n > 0 {
                c.wpos += n as usize;
                ThreadStats::bump(&self.stats.net_output_bytes, n as u64);
            } else {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::Interrupted => continue,
                    io::ErrorKind::WouldBlock => break,
                    _ => {
                        self.close(i);
                        return false;
                    }
                }
            }
        }
        if c.wpos >= c.wbuf.len() {
            c.wbuf.clear();
            c.wpos = 0;
            if c.wbuf.capacity() > 256 * 1024 {
                c.wbuf = Vec::new();
            }
            c.state.shared.obuf_bytes.store(0, Relaxed);
            if c.closing {
                self.close(i);
                return false;
            }
            // More output may have arrived while we wrote.
            if c.state.shared.outbox.lock().bytes > 0 {
                self.dirty.push(i);
            }
        } else {
            let pending = c.wbuf.len() - c.wpos;
            c.state.shared.obuf_bytes.store(pending, Relaxed);
            if self.srv.over_obuf_limit(&c.state.shared, pending as u64) {
                self.srv.kill_for_obuf(&c.state.shared);
                self.close(i);
                return false;
            }
        }
        true
    }

    fn flush_dirty(&mut self) {
        while let Some(i) = self.dirty.pop() {
            self.flush(i);
        }
    }

    /// Another thread wants us to look at this client.
    fn attention(&mut self, i: usize) {
        let Some(c) = self.conns.get_mut(i).and_then(|c| c.as_mut()) else {
            return;
        };
        c.state.shared.pending.store(false, Release);
        if c.state.shared.kill.load(Acquire) {
            // Deliver what is already queued (e.g. a served reply), except for clients killed
            // for their output buffer.
            if !c.state.shared.obuf_killed.load(Acquire) {
                self.settle_waiter(i);
                if let Some(c) = self.conns.get_mut(i).and_then(|c| c.as_mut()) {
                    drain_outbox(c);
                    c.closing = true;
                }
                self.flush(i);
            }
            self.close(i);
            return;
        }
        if c.blocked {
            let waiter = c.state.shared.waiter.lock().clone();
            match waiter {
                Some(w) => {
                    let req = c.state.shared.unblock.swap(UNBLOCK_NONE, AcqRel);
                    if req != UNBLOCK_NONE && w.try_cancel(WaiterState::Cancelled) {
                        blocking::remove_waiter(&self.srv, &w);
                        *c.state.shared.waiter.lock() = None;
                        if req == super::client::UNBLOCK_ERROR {
                            c.wbuf.extend_from_slice(
                                b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n",
                            );
                        } else {
                            blocking::write_timeout_reply(&w, &mut c.wbuf);
                        }
                        c.blocked = false;
                    } else if w.state() == WaiterState::Served {
                        *c.state.shared.waiter.lock() = None;
                        c.blocked = false;
                    }
                }
                None => c.blocked = false,
            }
            drain_outbox(c);
            if !c.blocked {
                self.process(i);
            }
        }
        self.flush(i);
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(Reverse((at, _, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Reverse((_, id, kind)) = self.timers.pop().expect("peeked");
            let Some(&i) = self.by_id.get(&id) else {
                continue;
            };
            match kind {
                TimerKind::BlockTimeout => self.block_timeout(i),
                TimerKind::PauseCheck => self.pause_check(i),
            }
        }
    }

    fn block_timeout(&mut self, i: usize) {
        let Some(c) = self.conns.get_mut(i).and_then(|c| c.as_mut()) else {
            return;
        };
        if !c.blocked {
            return;
        }
        let Some(w) = c.state.shared.waiter.lock().clone() else {
            return;
        };
        if w.deadline.is_some_and(|d| d > Instant::now()) {
            // A newer block of the same client: re-arm for its own deadline.
            self.timers.push(Reverse((
                w.deadline.expect("checked"),
                c.state.id(),
                TimerKind::BlockTimeout,
            )));
            return;
        }
        if w.try_cancel(WaiterState::TimedOut) {
            blocking::remove_waiter(&self.srv, &w);
            *c.state.shared.waiter.lock() = None;
            blocking::write_timeout_reply(&w, &mut c.wbuf);
            c.blocked = false;
            self.process(i);
            self.flush(i);
        }
    }

    fn pause_check(&mut self, i: usize) {
        let Some(c) = self.conns.get_mut(i).and_then(|c| c.as_mut()) else {
            return;
        };
        if !c.paused {
            return;
        }
        c.paused = false;
        self.process(i);
        self.flush(i);
    }

    /// Once per 100 ms: idle timeouts and soft output limits.
    fn client_cron(&mut self) {
        let timeout = self.srv.hot.timeout_secs.load(Relaxed) as i64;
        let now = util::now_ms();
        let mut to_close = Vec::new();
        for (i, c) in self.conns.iter().enumerate() {
            let Some(c) = c else { continue };
            if timeout > 0
                && !c.blocked
                && c.state.sub_count() + c.state.shard_channels.len() == 0
                && !c.state.monitor
                && now - c.state.shared.last_interaction_ms.load(Relaxed) > timeout * 1000
            {
                to_close.push(i);
                continue;
            }
            if c.wbuf.len() > c.wpos || c.state.shared.outbox.lock().bytes > 0 {
                let total =
                    (c.wbuf.len() - c.wpos) as u64 + c.state.shared.outbox.lock().bytes as u64;
                if self.srv.over_obuf_limit(&c.state.shared, total) {
                    self.srv.kill_for_obuf(&c.state.shared);
                    to_close.push(i);
                }
            }
        }
        for i in to_close {
            self.close(i);
        }
    }

    fn close(&mut self, i: usize) {
        if in_busy_poll() {
            // Forgetting a client may take locks the busy script holds (its watched keys, a
            // blocked wait): close it once the script is over.
            if let Some(c) = self.conns.get_mut(i).and_then(|c| c.as_mut()) {
                c.closing = true;
                self.deferred_close.push(i);
            }
            return;
        }
        let Some(mut c) = self.conns.get_mut(i).and_then(|c| c.take()) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut c.stream);
        dispatch::client_gone(&self.srv, &mut c.state);
        self.by_id.remove(&c.state.id());
        self.free.push(i);
    }

    fn shutdown(&mut self) {
        for i in 0..self.conns.len() {
            if self.conns[i].is_some() {
                self.flush(i);
                self.close(i);
            }
        }
    }
}

/// Moves queued bytes from the shared outbox into the connection's write buffer.
fn drain_outbox(c: &mut Conn) {
    let mut ob = c.state.shared.outbox.lock();
    while let Some(chunk) = ob.chunks.pop_front() {
        let off = ob.offset;
        c.wbuf.extend_from_slice(&chunk[off..]);
        ob.offset = 0;
    }
    ob.bytes = 0;
}

fn set_keepalive(s: &TcpStream, secs: u64) {
    if secs == 0 {
        return;
    }
    let fd = s.as_raw_fd();
    let on: libc::c_int = 1;
    let idle = secs as libc::c_int;
    let intvl = ((secs / 3).max(1)) as libc::c_int;
    let cnt: libc::c_int = 3;
    // SAFETY: setsockopt with valid option pointers/lengths on our own socket.
    unsafe {
        let sz = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &on as *const _ as *const libc::c_void,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPIDLE,
            &idle as *const _ as *const libc::c_void,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            &intvl as *const _ as *const libc::c_void,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPCNT,
            &cnt as *const _ as *const libc::c_void,
            sz,
        );
    }
}
