//! Command dispatch: Redis's `processCommand` and `call`.
//!
//! The checks run in Redis's order (lookup, arity, protected commands, authentication, MULTI
//! restrictions, ACL, OOM, RESP2 subscribed mode, loading, busy script, pause, MULTI queueing),
//! each with Redis's error text; then the command runs under the shard locks its keys need, its
//! effects are recorded, blocked clients it made servable are served, and stats, the slow log
//! and MONITOR are fed.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use super::Server;
use super::blocking;
use super::client::{ClientShared, ClientState, ReplyMode};
use super::stats::ThreadStats;
use crate::cmd::ctx::{Ctx, IN_MULTI};
use crate::cmd::table::{self as t, Command};
use crate::error::Error;
use crate::protocol::Reply;
use crate::store::Locks;
use crate::store::db::Db;
use crate::util;

/// What a worker needs to run commands.
pub struct Exec<'a> {
    pub srv: &'a Server,
    pub stats: &'a ThreadStats,
    pub worker: usize,
    /// Wall-clock ms read once for the batch being processed (commands of one read share it).
    pub now_ms: i64,
}

/// What the connection must do after a command.
pub enum Outcome {
    Done,
    /// Close once the reply is written.
    Close,
    /// The client is blocked; time out at this instant (None: never).
    Blocked(Option<Instant>),
    /// The command must wait for CLIENT PAUSE to end; it was not executed.
    Paused,
}

fn reject(ex: &Exec<'_>, c: &mut ClientState, out: &mut Vec<u8>, e: &Error, cmd_id: Option<usize>) {
    if c.multi.active {
        c.multi.dirty = true;
    }
    if let Some(id) = cmd_id {
        ThreadStats::bump(&ex.stats.cmds[id].rejected, 1);
    }
    if cmd_id.is_some_and(|id| ex.srv.commands.all[id].cmd.name == "exec") {
        // A rejected EXEC discards the transaction and reports it as EXECABORT, even outside
        // MULTI (Redis's execCommandAbort); ERR-class reasons lose their code.
        crate::cmd::tx::end_multi(c);
        crate::cmd::tx::unwatch_all(ex.srv, c);
        let reason = e.as_str().strip_prefix("ERR ").unwrap_or(e.as_str());
        let abort = Error::raw(format!(
            "EXECABORT Transaction discarded because of: {reason}"
        ));
        ex.stats.count_error(abort.code());
        Reply::new(out, c.resp3).error(abort.as_str());
        return;
    }
    ex.stats.count_error(e.code());
    Reply::new(out, c.resp3).error(e.as_str());
}

/// Runs one command from a client.
pub fn process_command(
    ex: &Exec<'_>,
    c: &mut ClientState,
    args: &[&[u8]],
    out: &mut Vec<u8>,
) -> Outcome {
    let srv = ex.srv;
    if args.is_empty() {
        return Outcome::Done;
    }
    // CLIENT REPLY OFF/SKIP: run the command but throw its reply away.
    let mut scratch = Vec::new();
    let suppress = match c.reply_mode {
        ReplyMode::On => false,
        ReplyMode::Off => true,
        ReplyMode::SkipNext => {
            c.reply_mode = ReplyMode::Skipping;
            true
        }
        ReplyMode::Skipping => true,
    };
    let prev = super::pubsub::begin_command(c.id());
    let outcome = {
        let out: &mut Vec<u8> = if suppress { &mut scratch } else { out };
        process_inner(ex, c, args, out)
    };
    let (direct, deferred) = super::pubsub::end_command(prev);
    if suppress && c.reply_mode == ReplyMode::On {
        // CLIENT REPLY ON turned replies back on: its own +OK is sent, as in Redis.
        out.extend_from_slice(&scratch);
    }
    // Pushes are exempt from CLIENT REPLY OFF/SKIP; those the command caused to its own client
    // follow its reply (Redis 7.2).
    out.extend_from_slice(&direct);
    out.extend_from_slice(&deferred);
    if c.reply_mode == ReplyMode::Skipping {
        c.reply_mode = ReplyMode::On;
    }
    let _ = srv;
    outcome
}

fn process_inner(ex: &Exec<'_>, c: &mut ClientState, args: &[&[u8]], out: &mut Vec<u8>) -> Outcome {
    let srv = ex.srv;
    let (cmd, id) = match srv.commands.lookup(args) {
        Ok(x) => x,
        Err(e) => {
            // Wrong arity of a known command still counts as that command's rejection.
            let known = srv.commands.get(args[0]).filter(|c| !c.is_container());
            reject(ex, c, out, &e, known.map(|c| srv.commands.id_of(c)));
            return Outcome::Done;
        }
    };
    if let Err(e) = check_command(srv, c, cmd, args) {
        reject(ex, c, out, &e, Some(id));
        return Outcome::Done;
    }
    // CLIENT PAUSE: hold commands that it pauses (with the client's input left unparsed).
    if is_paused_for(srv, cmd, c) {
        return Outcome::Paused;
    }
    if c.multi.active && !is_multi_control(cmd) {
        c.multi
            .queue
            .push(args.iter().map(|a| a.to_vec()).collect());
        out.extend_from_slice(b"+QUEUED\r\n");
        return Outcome::Done;
    }
    call(ex, c, cmd, id, args, out)
}

fn is_multi_control(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

fn is_paused_for(srv: &Server, cmd: &Command, c: &ClientState) -> bool {
    let p = *srv.pause.lock();
    if p.until_ms == 0 {
        return false;
    }
    if util::now_ms() >= p.until_ms {
        srv.pause.lock().until_ms = 0;
        return false;
    }
    let _ = c;
    if !p.write_only {
        return true;
    }
    // WRITE pause: writes, and commands that may replicate (EVAL, PUBLISH...), wait.
    cmd.has(t::WRITE) || cmd.has(t::MAY_REPLICATE)
}

/// The pre-execution checks, in Redis's order. Returns the rejection error, if any.
pub fn check_command(
    srv: &Server,
    c: &ClientState,
    cmd: &'static Command,
    args: &[&[u8]],
) -> Result<(), Error> {
    if cmd.has(t::PROTECTED) {
        let (setting, what) = match cmd.name {
            "module" => (srv.hot.enable_module.load(Relaxed), "MODULE"),
            _ => (srv.hot.enable_debug.load(Relaxed), "DEBUG"),
        };
        let local = is_local(&c.shared.addr);
        if setting == 0 || (setting == 2 && !local) {
            let opt = if what == "MODULE" {
                "enable-module-command"
            } else {
                "enable-debug-command"
            };
            return Err(Error::err(format!(
                "{what} command not allowed. If the {opt} option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
            )));
        }
    }
    if !c.authenticated && !cmd.has(t::NO_AUTH) {
        return Err(Error::lit("NOAUTH Authentication required."));
    }
    if c.multi.active && cmd.has(t::NO_MULTI) {
        return Err(Error::err("Command not allowed inside a transaction"));
    }
    crate::security::check_acl(srv, c, cmd, args)?;
    crate::security::check_maxmemory(srv, c, cmd)?;
    crate::persist::check_disk_errors(srv, cmd)?;
    if c.in_subscribed_context() && !subscribed_allowed(cmd) {
        return Err(Error::err(format!(
            "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            srv.commands.full_name(cmd)
        )));
    }
    if srv.loading.load(Relaxed) && !cmd.has(t::LOADING) {
        return Err(Error::lit("LOADING Redis is loading the dataset in memory"));
    }
    if script_busy(srv)
        && (!cmd.has(t::ALLOW_BUSY)
            || (super::worker::in_busy_poll()
                && (cmd.has(t::KS_ALL) || !cmd.keys.is_empty() || cmd.get_keys.is_some())))
    {
        // Served from inside the script's own thread, a command must not wait for the
        // keyspace locks the script holds.
        return Err(busy_error());
    }
    Ok(())
}

fn subscribed_allowed(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

pub fn busy_error() -> Error {
    if crate::scripting::engine::FUNCTION_RUNNING.load(Relaxed) {
        return Error::lit(
            "BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
        );
    }
    Error::lit(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
    )
}

/// A script has been running longer than busy-reply-threshold.
pub fn script_busy(srv: &Server) -> bool {
    let since = srv.script_busy_since.load(Acquire);
    if since == 0 {
        return false;
    }
    let now = srv.started.elapsed().as_millis() as u64;
    now.saturating_sub(since) >= srv.hot.busy_threshold_ms.load(Relaxed)
}

fn is_local(addr: &str) -> bool {
    addr.starts_with("127.") || addr.starts_with("[::1]") || addr.starts_with("unix:")
}

/// Acquires the locks a command needs. Waits for a running script unless it turns busy.
fn acquire<'s>(srv: &'s Server, cmd: &Command, args: &[&[u8]]) -> Result<Locks<'s>, Error> {
    let _ro = crate::store::ReadOnlyLocking::new(cmd.has(t::READONLY));
    let idx: Option<smallvec::SmallVec<[usize; 4]>> = if cmd.has(t::KS_ALL) {
        None
    } else {
        let mut v = smallvec::SmallVec::new();
        cmd.for_each_key(args, |i| v.push(srv.ks.shard_of(args[i])))
            .map(|_| v)
    };
    // Fast path: uncontended locks, no clock reads.
    let fast = match &idx {
        None => srv.ks.try_lock_all(),
        Some(v) => srv.ks.try_lock_shards(v.clone()),
    };
    if let Some(l) = fast {
        return Ok(l);
    }
    let step = Duration::from_millis(20);
    loop {
        let got = match &idx {
            None => srv.ks.try_lock_all_for(step),
            Some(v) => srv.ks.try_lock_shards_for(v.clone(), step),
        };
        if let Some(l) = got {
            return Ok(l);
        }
        if script_busy(srv) && !cmd.has(t::ALLOW_BUSY) {
            return Err(busy_error());
        }
        if srv.shutdown.load(Relaxed) {
            return Err(Error::err("server is shutting down"));
        }
    }
}

/// Read-only commands look keys up as reads: a missing key publishes `keymiss` (Redis's
/// `lookupKeyRead`), except the introspection ones that look with LOOKUP_NONOTIFY.
fn reads_notify_misses(cmd: &Command) -> bool {
    cmd.has(t::READONLY)
        && !matches!(
            cmd.name,
            "object" | "memory" | "usage" | "encoding" | "freq" | "idletime" | "refcount"
        )
}

/// Executes a command (after the checks): locks, runs, records effects, serves unblocked
/// clients, updates stats.
pub fn call(
    ex: &Exec<'_>,
    c: &mut ClientState,
    cmd: &'static Command,
    id: usize,
    args: &[&[u8]],
    out: &mut Vec<u8>,
) -> Outcome {
    let srv = ex.srv;
    let started = Instant::now();
    // CLIENT LIST/INFO's `cmd=`: set before running, so CLIENT INFO shows itself as in Redis.
    c.shared.last_cmd.store(id, Relaxed);
    let locks = match acquire(srv, cmd, args) {
        Ok(l) => l,
        Err(e) => {
            reject(ex, c, out, &e, Some(id));
            return Outcome::Done;
        }
    };
    let mut db = Db::new(srv, locks, c.db, ex.now_ms);
    db.no_touch = c.no_touch;
    db.miss_events = reads_notify_misses(cmd);
    db.fx.origin = c.id();
    if srv.monitor_count.load(Relaxed) > 0 && runs_script(cmd) {
        // As Redis: MONITOR shows the EVAL/FCALL itself first, then the script's commands
        // (with `lua` as their origin).
        feed_monitors(srv, args, &c.shared, false);
    }
    let (res, block) = run_handler(ex, c, cmd, args, out, &mut db, 0);
    srv.tracking.after_command(srv, c, cmd, args, false);
    let mut outcome = Outcome::Done;
    if let Err(e) = &res {
        Reply::new(out, c.resp3).error(e.as_str());
    }
    if let Some(req) = block {
        if res.is_ok() {
            let w = blocking::register(&mut db, c, cmd, args, req);
            outcome = Outcome::Blocked(w.deadline);
        }
    } else {
        record_command(&mut db, args, 0);
    }
    let ready = std::mem::take(&mut db.fx.ready);
    finish_effects(srv, &mut db, None);
    drop(db);
    if !ready.is_empty() {
        blocking::serve_ready(ex, ready);
    }
    if !matches!(outcome, Outcome::Blocked(_)) {
        account_call(
            ex,
            cmd,
            id,
            args,
            started.elapsed(),
            res.as_ref().err(),
            &c.shared,
            false,
        );
    }
    c.last_cmd = cmd.name;
    c.shared.last_cmd.store(id, Relaxed);
    c.shared.cur_db.store(c.db, Relaxed);
    if c.close_after_reply {
        outcome = Outcome::Close;
    }
    outcome
}

/// Runs the handler with panic protection. Returns the result and a block request, if any.
pub fn run_handler<'a>(
    ex: &Exec<'a>,
    c: &mut ClientState,
    cmd: &'static Command,
    args: &[&[u8]],
    out: &mut Vec<u8>,
    db: &mut Db<'a>,
    mode: u32,
) -> (Result<(), Error>, Option<crate::cmd::ctx::BlockRequest>) {
    let resp3 = c.resp3;
    let mut ctx = Ctx {
        srv: ex.srv,
        args,
        out: Reply::new(out, resp3),
        db,
        client: c,
        cmd,
        mode,
        block: None,
        stats: ex.stats,
    };
    let res = std::panic::catch_unwind(AssertUnwindSafe(|| (cmd.handler)(&mut ctx)));
    let block = ctx.block.take();
    match res {
        Ok(r) => (r, block),
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            eprintln!("BUG: command '{}' panicked: {msg}", cmd.name);
            (
                Err(Error::err(format!(
                    "internal error while executing '{}'",
                    cmd.name
                ))),
                None,
            )
        }
    }
}

/// Executes a command inside EXEC or a script, reusing the caller's locked keyspace. The reply
/// goes to `out`. Blocking commands do not block (they answer as if timed out).
pub fn call_nested<'a>(
    ex: &Exec<'a>,
    c: &mut ClientState,
    cmd: &'static Command,
    args: &[&[u8]],
    out: &mut Vec<u8>,
    db: &mut Db<'a>,
    mode: u32,
) -> Result<(), Error> {
    let started = Instant::now();
    let dirty_before = db.fx.dirty;
    let saved_index = db.index;
    db.index = c.db;
    let saved_miss = std::mem::replace(&mut db.miss_events, reads_notify_misses(cmd));
    let (res, block) = run_handler(ex, c, cmd, args, out, db, mode | IN_MULTI);
    db.miss_events = saved_miss;
    ex.srv.tracking.after_command(ex.srv, c, cmd, args, true);
    debug_assert!(
        block.is_none(),
        "commands cannot block inside MULTI/scripts"
    );
    if let Err(e) = &res {
        Reply::new(out, c.resp3).error(e.as_str());
    }
    record_command(db, args, dirty_before);
    c.db = db.index;
    db.index = saved_index;
    let id = ex.srv.commands.id_of(cmd);
    account_call(
        ex,
        cmd,
        id,
        args,
        started.elapsed(),
        res.as_ref().err(),
        &c.shared,
        mode & crate::cmd::ctx::IN_SCRIPT != 0,
    );
    res
}

/// Records the command itself for propagation if it changed something and did not choose its
/// own propagation.
pub fn record_command(db: &mut Db<'_>, args: &[&[u8]], dirty_before: u64) {
    if db.fx.dirty > dirty_before && !db.fx.custom_prop {
        db.record(args.iter().map(|a| a.to_vec()).collect());
    }
    db.fx.custom_prop = false;
}

/// Applies a command's (or transaction's) effects: change counter and AOF records.
pub fn finish_effects(srv: &Server, db: &mut Db<'_>, _wrap: Option<()>) {
    if db.fx.dirty > 0 {
        srv.dirty.fetch_add(db.fx.dirty, Relaxed);
        db.fx.dirty = 0;
    }
    let records = std::mem::take(&mut db.fx.records);
    if !records.is_empty() {
        crate::persist::append_records(srv, records);
    }
    if !db.fx.invalidated.is_empty() || db.fx.flushed {
        let keys = std::mem::take(&mut db.fx.invalidated);
        srv.tracking.invalidate(srv, db.fx.origin, &keys);
        if std::mem::take(&mut db.fx.flushed) {
            srv.tracking.flushed(srv);
        }
    }
}

/// Updates commandstats, errorstats, slow log and MONITOR for one executed command.
#[allow(clippy::too_many_arguments)]
pub fn account_call(
    ex: &Exec<'_>,
    cmd: &'static Command,
    id: usize,
    args: &[&[u8]],
    elapsed: Duration,
    err: Option<&Error>,
    client: &Arc<ClientShared>,
    from_script: bool,
) {
    let srv = ex.srv;
    let us = elapsed.as_micros() as u64;
    let st = &ex.stats.cmds[id];
    ThreadStats::bump(&st.calls, 1);
    ThreadStats::bump(&st.usec, us);
    ThreadStats::bump(&ex.stats.commands_processed, 1);
    if srv.latency.tracking.load(Relaxed) {
        st.hist.record_us(us);
    }
    let lat_threshold = srv.hot.latency_monitor_threshold.load(Relaxed);
    if lat_threshold > 0 && us / 1000 >= lat_threshold {
        let event = if cmd.has(t::FAST) {
            "fast-command"
        } else {
            "command"
        };
        srv.latency.add_sample(event, us / 1000);
    }
    if let Some(e) = err {
        ThreadStats::bump(&st.failed, 1);
        ex.stats.count_error(e.code());
    }
    let threshold = srv.hot.slowlog_slower_than.load(Relaxed);
    if threshold >= 0 && us as i64 >= threshold && !cmd.has(t::SKIP_SLOWLOG) {
        slowlog_push(srv, args, us, client);
    }
    if srv.monitor_count.load(Relaxed) > 0 && !cmd.has(t::SKIP_MONITOR) && !cmd.has(t::ADMIN) {
        feed_monitors(srv, args, client, from_script);
    }
}

fn slowlog_push(srv: &Server, args: &[&[u8]], us: u64, client: &ClientShared) {
    let max = srv.hot.slowlog_max_len.load(Relaxed) as usize;
    if max == 0 {
        return;
    }
    let mut kept: Vec<Vec<u8>> = Vec::new();
    let n = args.len().min(32);
    for (i, a) in args.iter().take(n).enumerate() {
        if i == 31 && args.len() > 32 {
            kept.push(format!("... ({} more arguments)", args.len() - 31).into_bytes());
            break;
        }
        if a.len() > 128 {
            let mut v = a[..128].to_vec();
            v.extend_from_slice(format!("... ({} more bytes)", a.len() - 128).as_bytes());
            kept.push(v);
        } else {
            kept.push(a.to_vec());
        }
    }
    let name = client.info.lock().name.clone();
    let mut sl = srv.slowlog.lock();
    let id = sl.next_id;
    sl.next_id += 1;
    sl.entries.push_front(super::SlowEntry {
        id,
        time: util::now_ms() / 1000,
        duration_us: us,
        args: kept,
        addr: client.addr.clone(),
        name,
    });
    while sl.entries.len() > max {
        sl.entries.pop_back();
    }
}

/// Appends a C-style quoted representation (Redis's sdscatrepr).
pub fn repr(out: &mut String, s: &[u8]) {
    out.push('"');
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

/// EVAL, EVALSHA, FCALL and their read-only forms: shown to MONITOR before they run.
fn runs_script(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
    )
}

/// One MONITOR line; commands run by a script show `lua` where Redis shows it instead of the
/// client's address.
fn feed_monitors(srv: &Server, args: &[&[u8]], client: &ClientShared, from_script: bool) {
    let us = util::now_us();
    let db = client.cur_db.load(Relaxed);
    let origin: &dyn std::fmt::Display = if from_script { &"lua" } else { &client.addr };
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        us / 1_000_000,
        us % 1_000_000,
        db,
        origin
    );
    for a in args {
        line.push(' ');
        repr(&mut line, a);
    }
    line.push_str("\r\n");
    let bytes: Arc<[u8]> = line.into_bytes().into();
    let monitors = srv.monitors.read().clone();
    for m in monitors.iter() {
        srv.deliver(m, bytes.clone());
    }
}

/// Cleans up after a client disconnects: blocked state, subscriptions, watches, registry.
pub fn client_gone(srv: &Server, c: &mut ClientState) {
    let w = c.shared.waiter.lock().take();
    if let Some(w) = w
        && w.try_cancel(blocking::WaiterState::Cancelled)
    {
        blocking::remove_waiter(srv, &w);
    }
    crate::cmd::pubsub::unsubscribe_all(srv, c);
    crate::cmd::tx::unwatch_all(srv, c);
    srv.tracking.disable(c.id());
    if c.monitor {
        let mut m = srv.monitors.write();
        m.retain(|m| m.id != c.id());
        srv.monitor_count.store(m.len(), Relaxed);
    }
    srv.clients.write().remove(&c.id());
}

impl<'a> Db<'a> {
    /// A keyspace view holding no locks (for bookkeeping that touches no keys).
    pub fn empty(srv: &'a Server) -> Db<'a> {
        Db::new(srv, srv.ks.lock_shards(smallvec::SmallVec::new()), 0, 0)
    }
}
