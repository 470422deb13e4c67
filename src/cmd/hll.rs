//! HyperLogLog commands (Redis's `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
//! PFSELFTEST over the byte-exact representation in [`crate::types::hll`].
//!
//! A HyperLogLog is a string value. Every command first checks each key it reads in argument
//! order: another type is the usual WRONGTYPE, a string that is not a HyperLogLog is
//! "WRONGTYPE Key is not a valid HyperLogLog string value.". Values are modified in place
//! (the raw string encoding, as Redis's `dbUnshareStringValue`). A single-key PFCOUNT refreshes
//! the cached cardinality, which is a change of the value: it is then signalled and propagated
//! like a write, although the command is read-only.

use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error, WRONGTYPE};
use crate::server::notify;
use crate::store::entry::{Value, ValueType};
use crate::types::hll::{self, HllError};

const G: &str = "hyperloglog";
/// Offset of the last cardinality byte, whose top bit marks the cache stale.
const STALE_BYTE: usize = 15;

pub static COMMANDS: &[Command] = &[
    Command::new("pfadd", -2, pfadd)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HYPERLOGLOG)
        .keys(&[key_at(K_RW | K_INSERT, 1)])
        .doc(G, "2.8.9", "O(1) to add every element.", "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.")
        .syntax("key [element [element ...]]"),
    Command::new("pfcount", -2, pfcount)
        .flags(READONLY | MAY_REPLICATE)
        .acl(HYPERLOGLOG)
        .keys(&[KeySpec {
            flags: K_RW | K_ACCESS,
            begin: Begin::Index(1),
            find: Find::Range {
                last_key: -1,
                step: 1,
                limit: 0,
            },
            notes: "RW because it may change the internal representation of the key, and propagate to replicas",
        }])
        .doc(G, "2.8.9", "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.", "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).")
        .syntax("key [key ...]"),
    Command::new("pfmerge", -2, pfmerge)
        .flags(WRITE | DENYOOM)
        .acl(HYPERLOGLOG)
        .keys(&[
            key_at(K_RW | K_ACCESS | K_INSERT, 1),
            keys_range(K_RO | K_ACCESS, 2, -1, 1),
        ])
        .doc(G, "2.8.9", "O(N) to merge N HyperLogLogs, but with high constant times.", "Merges one or more HyperLogLog values into a single key.")
        .syntax("destkey [sourcekey [sourcekey ...]]"),
    Command::new("pfdebug", 3, pfdebug)
        .flags(WRITE | DENYOOM | ADMIN)
        .acl(HYPERLOGLOG)
        .keys(&[key_at(K_RW | K_ACCESS, 2)])
        .doc(G, "2.8.9", "N/A", "Internal commands for debugging HyperLogLog values.")
        .syntax("subcommand key"),
    Command::new("pfselftest", 1, pfselftest)
        .flags(ADMIN | KS_NONE)
        .acl(HYPERLOGLOG)
        .doc(G, "2.8.9", "N/A", "An internal command for testing HyperLogLog values."),
];

fn hll_err(e: HllError) -> Error {
    Error::lit(e.message())
}

/// Redis's `isHLLObjectOrReply` for an existing key: Ok(true) if it is a HyperLogLog,
/// Ok(false) if missing.
fn check_key(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Error> {
    match ctx.db.value_type(key) {
        None => Ok(false),
        Some(ValueType::String) => {
            let v = ctx.db.get_str_vec(key)?.unwrap_or_default();
            if hll::is_valid(&v) {
                Ok(true)
            } else {
                Err(hll_err(HllError::WrongType))
            }
        }
        Some(_) => Err(WRONGTYPE),
    }
}

fn pfadd(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let elements: Vec<&[u8]> = ctx.args[2..].to_vec();
    let updated = if !check_key(ctx, key)? {
        ctx.db
            .add(key, Value::RawStr(hll::pfadd_new_key(&elements)));
        true
    } else {
        let v = ctx.db.string_mut(key)?.expect("checked");
        hll::pfadd(v, &elements).map_err(hll_err)?
    };
    if updated {
        ctx.db.touch(key);
        ctx.db.notify(notify::STRING, "pfadd", key);
        ctx.db.dirty(1);
    }
    ctx.out.int(i64::from(updated));
    Ok(())
}

fn pfcount(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 2 {
        let mut values: Vec<Vec<u8>> = Vec::new();
        for i in 1..ctx.argc() {
            let key = ctx.arg(i);
            if check_key(ctx, key)? {
                values.push(ctx.db.get_str_vec(key)?.unwrap_or_default());
            }
        }
        let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
        let n = hll::pfcount_union(&refs).map_err(hll_err)?;
        ctx.out.int(n);
        return Ok(());
    }
    let key = ctx.arg(1);
    if !check_key(ctx, key)? {
        ctx.out.int(0);
        return Ok(());
    }
    let v = ctx.db.string_mut(key)?.expect("checked");
    let stale = v[STALE_BYTE] & 0x80 != 0;
    let n = hll::pfcount(v).map_err(hll_err)?;
    if stale {
        // The fresh estimate was cached in the value: a change to propagate.
        ctx.db.touch(key);
        ctx.db.dirty(1);
    }
    ctx.out.int(n);
    Ok(())
}

fn pfmerge(ctx: &mut Ctx) -> CmdResult {
    let dest = ctx.arg(1);
    let dest_exists = check_key(ctx, dest)?;
    let mut sources: Vec<Vec<u8>> = Vec::new();
    for i in 2..ctx.argc() {
        let key = ctx.arg(i);
        if check_key(ctx, key)? {
            sources.push(ctx.db.get_str_vec(key)?.unwrap_or_default());
        }
    }
    let refs: Vec<&[u8]> = sources.iter().map(|v| v.as_slice()).collect();
    if dest_exists {
        let v = ctx.db.string_mut(dest)?.expect("checked");
        hll::pfmerge(v, &refs).map_err(hll_err)?;
    } else {
        let mut v = hll::new_hll();
        hll::pfmerge(&mut v, &refs).map_err(hll_err)?;
        ctx.db.add(dest, Value::RawStr(v));
    }
    ctx.db.touch(dest);
    ctx.db.notify(notify::STRING, "pfadd", dest);
    ctx.db.dirty(1);
    ctx.ok()
}

fn pfdebug(ctx: &mut Ctx) -> CmdResult {
    let sub = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    let key = ctx.arg(2);
    if ctx.db.value_type(key).is_none() {
        return Err(Error::err("The specified key does not exist"));
    }
    check_key(ctx, key)?;
    let v = ctx.db.string_mut(key)?.expect("checked");
    match sub.to_ascii_lowercase().as_str() {
        "getreg" => {
            let (regs, converted) = hll::debug_registers(v).map_err(hll_err)?;
            if converted {
                ctx.db.dirty(1);
            }
            ctx.out.array(regs.len());
            for r in regs {
                ctx.out.int(r as i64);
            }
        }
        "decode" => {
            let s = hll::debug_decode(v).map_err(hll_err)?;
            ctx.out.bulk(s.as_bytes());
        }
        "encoding" => {
            let e = hll::encoding(v).map_err(hll_err)?;
            ctx.out.simple(e.name());
        }
        "todense" => {
            let converted = hll::debug_to_dense(v).map_err(hll_err)?;
            if converted {
                ctx.db.dirty(1);
            }
            ctx.out.int(i64::from(converted));
        }
        _ => {
            return Err(Error::err(format!("Unknown PFDEBUG subcommand '{sub}'")));
        }
    }
    Ok(())
}

fn pfselftest(ctx: &mut Ctx) -> CmdResult {
    let seed = rand::random::<u64>();
    hll::selftest(10_000_000, seed).map_err(Error::raw)?;
    ctx.ok()
}
