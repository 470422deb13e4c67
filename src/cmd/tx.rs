//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queued commands are validated when queued (unknown command, arity and the other
//! pre-execution checks mark the transaction for EXECABORT). EXEC takes every shard lock for its
//! whole run, so no other command, expiry or eviction interleaves; blocked clients made
//! servable by the transaction are served only after it, and its effects reach the AOF wrapped
//! in MULTI/EXEC.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use super::ctx::{Ctx, IN_MULTI};
use super::table::*;
use crate::error::{CmdResult, Error};
use crate::server::Server;
use crate::server::client::{self, ClientState};
use crate::server::dispatch::{self, Exec};
use crate::store::{Locks, WatchReg};

pub static COMMANDS: &[Command] = &[
    Command::new("multi", 1, multi)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY)
        .acl(TRANSACTION)
        .doc("transactions", "1.2.0", "O(1)", "Starts a transaction."),
    Command::new("exec", 1, exec)
        .flags(NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | KS_ALL)
        .acl(TRANSACTION)
        .doc(
            "transactions",
            "1.2.0",
            "Depends on commands in the transaction",
            "Executes all commands in a transaction.",
        ),
    Command::new("discard", 1, discard)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | KS_ALL)
        .acl(TRANSACTION)
        .doc(
            "transactions",
            "2.0.0",
            "O(N), when N is the number of queued commands",
            "Discards a transaction.",
        ),
    Command::new("watch", -2, watch)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY)
        .acl(TRANSACTION)
        .keys(&[keys_range(K_RO, 1, -1, 1)])
        .doc(
            "transactions",
            "2.2.0",
            "O(1) for every key.",
            "Monitors changes to keys to determine the execution of a transaction.",
        )
        .syntax("key [key ...]"),
    Command::new("unwatch", 1, unwatch)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | KS_ALL)
        .acl(TRANSACTION)
        .doc(
            "transactions",
            "2.2.0",
            "O(1)",
            "Forgets about watched keys of a transaction.",
        ),
];

fn multi(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.active {
        return Err(Error::err("MULTI calls can not be nested"));
    }
    ctx.client.multi.active = true;
    ctx.client.multi.queue.clear();
    ctx.client.multi.dirty = false;
    ctx.client.shared.set_flag(client::F_MULTI, true);
    ctx.client.shared.multi_len.store(0, Relaxed);
    ctx.ok()
}

/// Leaves MULTI state (EXEC, DISCARD, RESET).
pub fn end_multi(c: &mut ClientState) {
    c.multi = Default::default();
    c.shared.set_flag(client::F_MULTI, false);
    c.shared.multi_len.store(-1, Relaxed);
}

fn discard(ctx: &mut Ctx) -> CmdResult {
    if !ctx.client.multi.active {
        return Err(Error::err("DISCARD without MULTI"));
    }
    end_multi(ctx.client);
    unwatch_locked(&mut ctx.db.locks, ctx.srv, ctx.client);
    ctx.ok()
}

/// Whether a watched key changed or expired since WATCH.
fn watch_failed(ctx: &mut Ctx) -> bool {
    if ctx.client.watch_flag.is_dirty() {
        return true;
    }
    let watched = ctx.client.watched.clone();
    for (db, key) in watched {
        if ctx.client.watched_expired.contains(&(db, key.clone())) {
            continue;
        }
        // A key that expired after WATCH (even if not yet deleted) fails the transaction.
        let hash = ctx.srv.ks.hash(&key);
        let now = ctx.db.now;
        let d = ctx.db.shard_db_at(db, hash);
        if let Some(slot) = d.keys.find(hash, &key)
            && d.keys.at(slot).expire().is_some_and(|at| at <= now)
        {
            return true;
        }
    }
    false
}

fn exec(ctx: &mut Ctx) -> CmdResult {
    if !ctx.client.multi.active {
        return Err(Error::err("EXEC without MULTI"));
    }
    if ctx.client.multi.dirty {
        end_multi(ctx.client);
        unwatch_locked(&mut ctx.db.locks, ctx.srv, ctx.client);
        return Err(Error::lit(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if watch_failed(ctx) {
        end_multi(ctx.client);
        unwatch_locked(&mut ctx.db.locks, ctx.srv, ctx.client);
        ctx.out.null_array();
        return Ok(());
    }
    let queue = std::mem::take(&mut ctx.client.multi.queue);
    end_multi(ctx.client);
    unwatch_locked(&mut ctx.db.locks, ctx.srv, ctx.client);
    let ex = Exec {
        srv: ctx.srv,
        stats: ctx.stats,
        worker: usize::MAX,
        now_ms: ctx.db.now,
    };
    let records_before = ctx.db.fx.records.len();
    ctx.out.array(queue.len());
    for argv in &queue {
        let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
        match ctx.srv.commands.lookup(&args) {
            Ok((cmd, _)) => {
                // ACL rules may have changed since queueing; re-check as Redis does.
                if let Err(e) = crate::security::check_acl_exec(ctx.srv, ctx.client, cmd, &args) {
                    ctx.out.error(e.as_str());
                    continue;
                }
                let out: &mut Vec<u8> = ctx.out.buf;
                let _ = dispatch::call_nested(&ex, ctx.client, cmd, &args, out, ctx.db, IN_MULTI);
                ctx.out.resp3 = ctx.client.resp3;
            }
            Err(e) => ctx.out.error(e.as_str()),
        }
    }
    // Wrap the transaction's effects in MULTI/EXEC for the AOF.
    if ctx.db.fx.records.len() > records_before + 1 {
        let db = ctx.db.fx.records[records_before].0;
        ctx.db
            .fx
            .records
            .insert(records_before, (db, vec![b"MULTI".to_vec()]));
        ctx.db.fx.records.push((db, vec![b"EXEC".to_vec()]));
    }
    ctx.db.custom_propagation();
    Ok(())
}

fn watch(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.active {
        return Err(Error::err("WATCH inside MULTI is not allowed"));
    }
    let db = ctx.db.index;
    for i in 1..ctx.argc() {
        let key = ctx.arg(i).to_vec();
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, k)| *d == db && *k == key)
        {
            continue;
        }
        let hash = ctx.srv.ks.hash(&key);
        let now = ctx.db.now;
        let flag = ctx.client.watch_flag.clone();
        let d = ctx.db.shard_db_at(db, hash);
        let expired = d
            .keys
            .find(hash, &key)
            .is_some_and(|s| d.keys.at(s).expire().is_some_and(|at| at <= now));
        d.watchers
            .entry(key.clone())
            .or_default()
            .push(WatchReg { flag, expired });
        if expired {
            ctx.client.watched_expired.insert((db, key.clone()));
        }
        ctx.client.watched.push((db, key));
    }
    ctx.client
        .shared
        .watching
        .store(ctx.client.watched.len(), Relaxed);
    ctx.ok()
}

fn unwatch(ctx: &mut Ctx) -> CmdResult {
    unwatch_locked(&mut ctx.db.locks, ctx.srv, ctx.client);
    ctx.ok()
}

fn remove_regs(locks: &mut Locks<'_>, srv: &Server, c: &ClientState) {
    for (db, key) in &c.watched {
        let h = srv.ks.hash(key);
        let d = locks.db_shard(*db, h);
        if let Some(v) = d.watchers.get_mut(key.as_slice()) {
            v.retain(|r| !Arc::ptr_eq(&r.flag, &c.watch_flag));
            if v.is_empty() {
                d.watchers.remove(key.as_slice());
            }
        }
    }
}

/// Forgets every watched key, using locks the caller already holds (all shards of the keys).
pub fn unwatch_locked(locks: &mut Locks<'_>, srv: &Server, c: &mut ClientState) {
    if c.watched.is_empty() {
        c.watch_flag.reset();
        return;
    }
    remove_regs(locks, srv, c);
    c.watched.clear();
    c.watched_expired.clear();
    c.watch_flag.reset();
    c.shared.watching.store(0, Relaxed);
}

/// Forgets every watched key, taking the needed locks.
pub fn unwatch_all(srv: &Server, c: &mut ClientState) {
    if c.watched.is_empty() {
        return;
    }
    let mut locks = srv
        .ks
        .lock_keys(c.watched.iter().map(|(_, k)| k.as_slice()));
    unwatch_locked(&mut locks, srv, c);
}
