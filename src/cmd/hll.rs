//! HyperLogLog commands with Redis 7.2 semantics (`hyperloglog.c`): PFADD, PFCOUNT (one key,
//! or the union of several), PFMERGE, PFDEBUG (GETREG, DECODE, ENCODING, TODENSE) and
//! PFSELFTEST.
//!
//! A HyperLogLog is a plain string value holding Redis's own representation (see
//! [`crate::types::hll`]: "HYLL" header, sparse or dense registers, cached cardinality), so
//! GET/SET, DUMP/RESTORE and snapshots interoperate with Redis byte for byte. A string that is
//! not a valid HyperLogLog gets "WRONGTYPE Key is not a valid HyperLogLog string value.", a key
//! of another type the usual WRONGTYPE, and registers that do not decode "INVALIDOBJ Corrupted
//! HLL object detected". Checks happen key by key in argument order, so the same bad command
//! gets the same error as in Redis.
//!
//! PFCOUNT of a single key caches the estimate inside the value when the cache was stale: the
//! value changes, so (like Redis) it counts as a change and is propagated.

use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error, WRONGTYPE};
use crate::server::notify;
use crate::store::entry::{Value, ValueRef};
use crate::types::hll::{self, HllError};

const G: &str = "hyperloglog";

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

/// Elements PFSELFTEST adds (Redis checks its estimates up to ten million).
const SELFTEST_ELEMENTS: u64 = 10_000_000;

fn hll_err(e: HllError) -> Error {
    Error::lit(e.message())
}

/// What a key holds, from a HyperLogLog command's point of view.
enum Held {
    Missing,
    /// A string that passes the HyperLogLog header check.
    Hll,
}

/// Redis's `isHLLObjectOrReply` on `key`: WRONGTYPE for other types, the HyperLogLog
/// WRONGTYPE for strings that are not HyperLogLogs.
fn check_key(ctx: &mut Ctx, key: &[u8]) -> Result<Held, Error> {
    match ctx.db.get(key) {
        None => Ok(Held::Missing),
        Some(ValueRef::Str(s)) if hll::is_valid(s) => Ok(Held::Hll),
        Some(ValueRef::Str(_) | ValueRef::Int(_)) => Err(hll_err(HllError::WrongType)),
        Some(_) => Err(WRONGTYPE),
    }
}

/// The values of `keys` in order (missing keys skipped), failing like Redis's loop that checks
/// and merges one key at a time: a bad key reports its error only if every key before it
/// merged cleanly.
fn collect_values(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Vec<Vec<u8>>, Error> {
    // Read lookups, as Redis's lookupKeyRead: a missing key publishes `keymiss`.
    let saved_miss = std::mem::replace(&mut ctx.db.miss_events, true);
    let r = collect_values_inner(ctx, keys);
    ctx.db.miss_events = saved_miss;
    r
}

fn collect_values_inner(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Vec<Vec<u8>>, Error> {
    let mut values = Vec::with_capacity(keys.len());
    for &key in keys {
        match check_key(ctx, key) {
            Ok(Held::Missing) => {}
            Ok(Held::Hll) => values.push(ctx.db.get_str_vec(key)?.expect("checked above")),
            Err(e) => {
                let earlier: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
                hll::pfcount_union(&earlier).map_err(hll_err)?;
                return Err(e);
            }
        }
    }
    Ok(values)
}

fn pfadd(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args[1];
    let elements = &args[2..];
    let updated = match check_key(ctx, key)? {
        Held::Missing => {
            ctx.db.add(key, Value::RawStr(hll::pfadd_new_key(elements)));
            true
        }
        Held::Hll => {
            let v = ctx.db.string_mut(key)?.expect("checked above");
            hll::pfadd(v, elements).map_err(hll_err)?
        }
    };
    if updated {
        ctx.db.touch(key);
        ctx.db.notify(notify::STRING, "pfadd", key);
        ctx.db.dirty(1);
    }
    ctx.out.int(updated as i64);
    Ok(())
}

fn pfcount(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    if args.len() > 2 {
        let values = collect_values(ctx, &args[1..])?;
        let slices: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
        let card = hll::pfcount_union(&slices).map_err(hll_err)?;
        ctx.out.int(card);
        return Ok(());
    }
    let key = args[1];
    if let Held::Missing = check_key(ctx, key)? {
        ctx.out.int(0);
        return Ok(());
    }
    let v = ctx.db.string_mut(key)?.expect("checked above");
    let header_before: Vec<u8> = v[..16].to_vec();
    let card = hll::pfcount(v).map_err(hll_err)?;
    if v[..16] != header_before[..] {
        // The fresh estimate was cached in the value.
        ctx.db.touch(key);
        ctx.db.dirty(1);
    }
    ctx.out.int(card);
    Ok(())
}

fn pfmerge(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let dst = args[1];
    let values = collect_values(ctx, &args[1..])?;
    let dst_exists = ctx.db.contains(dst);
    // Every value was collected in argument order; the destination's own (if any) is first,
    // and `hll::pfmerge` reads it from the destination itself.
    let sources: Vec<&[u8]> = values
        .iter()
        .skip(dst_exists as usize)
        .map(Vec::as_slice)
        .collect();
    if dst_exists {
        let v = ctx.db.string_mut(dst)?.expect("checked above");
        hll::pfmerge(v, &sources).map_err(hll_err)?;
    } else {
        let mut v = hll::new_hll();
        hll::pfmerge(&mut v, &sources).map_err(hll_err)?;
        ctx.db.add(dst, Value::RawStr(v));
    }
    ctx.db.touch(dst);
    // A PFADD event, as in Redis ("a mix of PFADD and PFCOUNT").
    ctx.db.notify(notify::STRING, "pfadd", dst);
    ctx.db.dirty(1);
    ctx.out.ok();
    Ok(())
}

fn pfdebug(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args[2];
    if let Held::Missing = check_key(ctx, key)? {
        return Err(Error::err("The specified key does not exist"));
    }
    let sub = args[1].to_ascii_lowercase();
    let v = ctx.db.string_mut(key)?.expect("checked above");
    if sub == b"getreg" {
        let (registers, converted) = hll::debug_registers(v).map_err(hll_err)?;
        if converted {
            // Forces propagation of the encoding change, as Redis does.
            ctx.db.dirty(1);
        }
        ctx.out.array(registers.len());
        for r in registers {
            ctx.out.int(r as i64);
        }
    } else if sub == b"decode" {
        let text = hll::debug_decode(v).map_err(hll_err)?;
        ctx.out.bulk(text.as_bytes());
    } else if sub == b"encoding" {
        let e = hll::encoding(v).map_err(hll_err)?;
        ctx.out.simple(e.name());
    } else if sub == b"todense" {
        let converted = hll::debug_to_dense(v).map_err(hll_err)?;
        if converted {
            ctx.db.dirty(1);
        }
        ctx.out.int(converted as i64);
    } else {
        return Err(Error::err(format!(
            "Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(args[1])
        )));
    }
    Ok(())
}

fn pfselftest(ctx: &mut Ctx) -> CmdResult {
    hll::selftest(SELFTEST_ELEMENTS, rand::random()).map_err(Error::raw)?;
    ctx.out.ok();
    Ok(())
}
