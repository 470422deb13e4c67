//! Replication commands of a master that has no replicas: WAIT, WAITAOF, ROLE and
//! REPLICAOF/SLAVEOF NO ONE.
//!
//! Pilgrim does not replicate (yet), so it is always a master with zero connected replicas and a
//! replication offset of 0. The commands answer exactly as Redis 7.2 does in that situation:
//! WAIT with `numreplicas` 0 (or less) answers 0 at once; asking for replicas blocks until the
//! timeout (0: forever) and then answers 0, as no replica will ever acknowledge. Inside MULTI
//! (where blocking is denied) both answer immediately with what is acknowledged now.
//! WAITAOF checks its arguments in Redis's order and refuses `numlocal` while the AOF is off.

use std::time::Duration;

use super::ctx::{BlockRequest, Ctx, TimeoutReply};
use super::table::*;
use crate::error::{CmdResult, Error};
use crate::util::num;

const G_GENERIC: &str = "generic";
const G_SERVER: &str = "server";
const WAIT_TIPS: &[&str] = &["request_policy:all_shards", "response_policy:agg_min"];

pub static COMMANDS: &[Command] = &[
    Command::new("wait", 3, wait)
        .flags(NOSCRIPT | KS_NONE)
        .acl(CONNECTION)
        .doc(G_GENERIC, "3.0.0", "O(1)", "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.")
        .syntax("numreplicas timeout")
        .tips(WAIT_TIPS),
    Command::new("waitaof", 4, waitaof)
        .flags(NOSCRIPT | KS_NONE)
        .acl(CONNECTION)
        .doc(G_GENERIC, "7.2.0", "O(1)", "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.")
        .syntax("numlocal numreplicas timeout")
        .tips(WAIT_TIPS)
        .compat("With appendonly yes, the local fsync is reported as done (1) as soon as the writes were appended, whatever appendfsync says."),
    Command::new("role", 1, role)
        .flags(NOSCRIPT | LOADING | STALE | FAST | KS_NONE)
        .acl(ADMIN_CAT | DANGEROUS)
        .doc(G_SERVER, "2.8.12", "O(1)", "Returns the replication role.")
        .syntax(""),
    Command::new("replicaof", 3, replicaof)
        .flags(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING | KS_NONE)
        .doc(G_SERVER, "5.0.0", "O(1)", "Configures a server as replica of another, or promotes it to a master.")
        .syntax("host port")
        .compat("Only `REPLICAOF NO ONE` (a no-op on a master) is supported; replicating from a master answers an error."),
    Command::new("slaveof", 3, replicaof)
        .flags(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING | KS_NONE)
        .doc(G_SERVER, "1.0.0", "O(1)", "Sets a Redis server as a replica of another, or promotes it to being a master.")
        .syntax("host port")
        .deprecated("5.0.0", "`REPLICAOF`")
        .compat("Only `SLAVEOF NO ONE` (a no-op on a master) is supported; replicating from a master answers an error."),
];

/// Redis's `getTimeoutFromObjectOrReply` in milliseconds: an integer, not negative; 0 is None
/// (forever).
fn timeout_ms(ctx: &Ctx, i: usize) -> Result<Option<Duration>, Error> {
    let v = num::parse_i64(ctx.arg(i))
        .ok_or(Error::lit("ERR timeout is not an integer or out of range"))?;
    if v < 0 {
        return Err(Error::lit("ERR timeout is negative"));
    }
    Ok((v > 0).then(|| Duration::from_millis(v as u64)))
}

fn wait(ctx: &mut Ctx) -> CmdResult {
    let numreplicas = ctx.int(1)?;
    let timeout = timeout_ms(ctx, 2)?;
    // No replica is connected, so none ever acknowledges.
    let acked = 0;
    if acked >= numreplicas || !ctx.can_block() {
        ctx.out.int(acked);
        return Ok(());
    }
    ctx.block_on(BlockRequest {
        keys: Vec::new(),
        timeout,
        on_timeout: TimeoutReply::Int(acked),
        argv: None,
        unblock_on_nokey: false,
    })
}

fn waitaof(ctx: &mut Ctx) -> CmdResult {
    let numlocal = ctx.int(1)?;
    if !(0..=1).contains(&numlocal) {
        return Err(Error::err(
            "value is out of range, value must between 0 and 1",
        ));
    }
    let numreplicas = ctx.int(2)?;
    if numreplicas < 0 {
        return Err(Error::err("value is out of range, must be positive"));
    }
    let timeout = timeout_ms(ctx, 3)?;
    let aof = ctx.srv.cfg.get_bool("appendonly");
    if numlocal > 0 && !aof {
        return Err(Error::err(
            "WAITAOF cannot be used when numlocal is set but appendonly is disabled.",
        ));
    }
    // Every write of this connection is in the AOF once the command that made it returned.
    let acklocal = i64::from(aof);
    let ackreplicas = 0;
    if (ackreplicas >= numreplicas && acklocal >= numlocal) || !ctx.can_block() {
        ctx.out.array(2);
        ctx.out.int(acklocal);
        ctx.out.int(ackreplicas);
        return Ok(());
    }
    ctx.block_on(BlockRequest {
        keys: Vec::new(),
        timeout,
        on_timeout: TimeoutReply::IntPair(acklocal, ackreplicas),
        argv: None,
        unblock_on_nokey: false,
    })
}

fn role(ctx: &mut Ctx) -> CmdResult {
    ctx.out.array(3);
    ctx.out.bulk(b"master");
    ctx.out.int(0);
    ctx.out.array(0);
    Ok(())
}

fn replicaof(ctx: &mut Ctx) -> CmdResult {
    if ctx.is(1, "no") && ctx.is(2, "one") {
        // Already a master: nothing changes (Redis answers OK as well).
        return ctx.ok();
    }
    if !num::parse_i64(ctx.arg(2)).is_some_and(|p| (0..=65535).contains(&p)) {
        return Err(Error::err("Invalid master port"));
    }
    Err(Error::err(
        "REPLICAOF to a master is not supported by this server",
    ))
}
