//! Blocking commands: clients waiting on keys (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...).
//!
//! A handler that finds nothing to serve asks to block ([`crate::cmd::ctx::BlockRequest`]);
//! the dispatcher then registers a [`Waiter`] in the FIFO queue of each key, inside the same
//! critical section that saw the keys empty, so a concurrent push cannot be missed.
//!
//! A write that may satisfy waiters records its key as "ready". After the writing command (or
//! the whole MULTI/EXEC or script) finishes, [`serve_ready`] takes every shard lock and, key by
//! key, re-executes the blocked commands of the waiters in the order they blocked, exactly like
//! Redis 7.2 does: a command that can now run produces its reply (which goes to the client's
//! outbox), one that still finds nothing stays blocked. Serving a BLMOVE pushes into another
//! list, which may make that key ready in turn, so chains of blocked moves work.
//!
//! Hand-over is atomic: a waiter moves out of `Blocked` through one compare-and-swap. Serving
//! claims it (`Blocked -> Serving`) before touching any data; a timeout, CLIENT UNBLOCK or a
//! disconnect claims it (`Blocked -> TimedOut/Cancelled`) before replying. Whoever loses does
//! nothing, so an element is never popped for a client that already gave up, and a client never
//! gets two replies.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::*};
use std::time::Instant;

use super::Server;
use super::client::{ClientShared, ClientState};
use super::dispatch::{self, Exec};
use crate::cmd::ctx::{BlockRequest, Ctx, REPROCESS, TimeoutReply};
use crate::cmd::table::Command;
use crate::protocol::Reply;
use crate::store::db::Db;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum WaiterState {
    Blocked = 0,
    Serving = 1,
    Served = 2,
    TimedOut = 3,
    Cancelled = 4,
}

static NEXT_SEQ: AtomicU64 = AtomicU64::new(1);

pub struct Waiter {
    pub client: Arc<ClientShared>,
    state: AtomicU8,
    pub seq: u64,
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    pub argv: Vec<Vec<u8>>,
    pub cmd: &'static Command,
    pub resp3: bool,
    pub deadline: Option<Instant>,
    pub on_timeout: TimeoutReply,
    pub unblock_on_nokey: bool,
    pub blocked_at: Instant,
}

impl Waiter {
    pub fn state(&self) -> WaiterState {
        match self.state.load(Acquire) {
            0 => WaiterState::Blocked,
            1 => WaiterState::Serving,
            2 => WaiterState::Served,
            3 => WaiterState::TimedOut,
            _ => WaiterState::Cancelled,
        }
    }

    /// Claims the waiter for a timeout/unblock/disconnect. False if it was served meanwhile.
    pub fn try_cancel(&self, to: WaiterState) -> bool {
        self.state
            .compare_exchange(WaiterState::Blocked as u8, to as u8, AcqRel, Acquire)
            .is_ok()
    }

    fn try_serve(&self) -> bool {
        self.state
            .compare_exchange(
                WaiterState::Blocked as u8,
                WaiterState::Serving as u8,
                AcqRel,
                Acquire,
            )
            .is_ok()
    }
}

/// Registers a waiter for `req` (the caller holds the locks of every key in it).
pub fn register(
    db: &mut Db<'_>,
    client: &ClientState,
    cmd: &'static Command,
    args: &[&[u8]],
    req: BlockRequest,
) -> Arc<Waiter> {
    let now = Instant::now();
    let w = Arc::new(Waiter {
        client: client.shared.clone(),
        state: AtomicU8::new(WaiterState::Blocked as u8),
        seq: NEXT_SEQ.fetch_add(1, Relaxed),
        db: db.index,
        keys: req.keys,
        argv: req
            .argv
            .unwrap_or_else(|| args.iter().map(|a| a.to_vec()).collect()),
        cmd,
        resp3: client.resp3,
        deadline: req.timeout.map(|t| now + t),
        on_timeout: req.on_timeout,
        unblock_on_nokey: req.unblock_on_nokey,
        blocked_at: now,
    });
    let dbi = db.index;
    let mut seen: Vec<&[u8]> = Vec::new();
    for k in &w.keys {
        if seen.contains(&k.as_slice()) {
            continue;
        }
        seen.push(k);
        let h = db.srv.ks.hash(k);
        db.shard_db_at(dbi, h)
            .waiters
            .entry(k.clone())
            .or_default()
            .push_back(w.clone());
    }
    db.srv.blocked_clients.fetch_add(1, Relaxed);
    *client.shared.waiter.lock() = Some(w.clone());
    w
}

/// Removes a waiter from its keys' queues (after its owner claimed it).
pub fn remove_waiter(srv: &Server, w: &Arc<Waiter>) {
    let mut locks = srv.ks.lock_keys(w.keys.iter().map(|k| k.as_slice()));
    unlink(&mut locks, srv, w);
    srv.blocked_clients.fetch_sub(1, Relaxed);
}

fn unlink(locks: &mut crate::store::Locks<'_>, srv: &Server, w: &Arc<Waiter>) {
    for k in &w.keys {
        let h = srv.ks.hash(k);
        let d = locks.db_shard(w.db, h);
        if let Some(q) = d.waiters.get_mut(k.as_slice()) {
            q.retain(|x| !Arc::ptr_eq(x, w));
            if q.is_empty() {
                d.waiters.remove(k.as_slice());
            }
        }
    }
}

/// The reply a waiter gets on timeout (or CLIENT UNBLOCK ... TIMEOUT).
pub fn write_timeout_reply(w: &Waiter, out: &mut Vec<u8>) {
    let mut r = Reply::new(out, w.resp3);
    match w.on_timeout {
        TimeoutReply::NullArray => r.null_array(),
        TimeoutReply::Null => r.null(),
        TimeoutReply::Int(n) => r.int(n),
        TimeoutReply::IntPair(a, b) => {
            r.array(2);
            r.int(a);
            r.int(b);
        }
    }
}

/// Serves clients blocked on keys that became ready, in blocking order, until no key is ready.
pub fn serve_ready(ex: &Exec<'_>, ready: Vec<(usize, Vec<u8>)>) {
    let srv = ex.srv;
    let mut queue: std::collections::VecDeque<(usize, Vec<u8>)> = ready.into();
    while !queue.is_empty() {
        let locks = srv.ks.lock_all();
        let mut db = Db::new(srv, locks, 0, crate::util::now_ms());
        while let Some((dbi, key)) = queue.pop_front() {
            serve_key(ex, &mut db, dbi, &key);
            for r in std::mem::take(&mut db.fx.ready) {
                if !queue.contains(&r) {
                    queue.push_back(r);
                }
            }
        }
        dispatch::finish_effects(srv, &mut db, None);
    }
}

fn serve_key<'a>(ex: &Exec<'a>, db: &mut Db<'a>, dbi: usize, key: &[u8]) {
    let srv = ex.srv;
    let h = srv.ks.hash(key);
    let waiters: Vec<Arc<Waiter>> = match db.shard_db_at(dbi, h).waiters.get(key) {
        Some(q) => q.iter().cloned().collect(),
        None => return,
    };
    for w in waiters {
        if w.state() != WaiterState::Blocked {
            continue;
        }
        db.index = dbi;
        let exists = db.contains(key);
        if !exists && !w.unblock_on_nokey {
            break;
        }
        if !w.try_serve() {
            continue;
        }
        let mut out = Vec::new();
        let mut state = ClientState::new(w.client.clone(), true);
        state.db = w.db;
        state.resp3 = w.resp3;
        let args: Vec<&[u8]> = w.argv.iter().map(|a| a.as_slice()).collect();
        let started = Instant::now();
        let dirty_before = db.fx.dirty;
        let (res, still_blocked) = {
            let mut ctx = Ctx {
                srv,
                args: &args,
                out: Reply::new(&mut out, w.resp3),
                db,
                client: &mut state,
                cmd: w.cmd,
                mode: REPROCESS,
                block: None,
                stats: ex.stats,
            };
            let res = (w.cmd.handler)(&mut ctx);
            let still = ctx.block.is_some();
            (res, still)
        };
        if still_blocked && res.is_ok() {
            w.state.store(WaiterState::Blocked as u8, Release);
            continue;
        }
        if let Err(e) = &res {
            Reply::new(&mut out, w.resp3).error(e.as_str());
        }
        let id = srv.commands.id_of(w.cmd);
        dispatch::account_call(
            ex,
            w.cmd,
            id,
            &args,
            started.elapsed(),
            res.as_ref().err(),
            &w.client,
            false,
        );
        dispatch::record_command(db, &args, dirty_before);
        unlink(&mut db.locks, srv, &w);
        srv.blocked_clients.fetch_sub(1, Relaxed);
        hand_over(srv, &w, out);
    }
}

/// Puts a served reply in the client's outbox, then marks the waiter served and wakes the owner
/// (in that order, so the owner never sees "served" without the reply).
fn hand_over(srv: &Server, w: &Arc<Waiter>, out: Vec<u8>) {
    {
        let mut ob = w.client.outbox.lock();
        ob.bytes += out.len();
        ob.chunks.push_back(out.into());
    }
    w.state.store(WaiterState::Served as u8, Release);
    srv.wake_client(&w.client);
}
