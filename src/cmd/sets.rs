//! Set commands with Redis 7.2 semantics (`t_set.c`): SADD, SREM, membership, SMEMBERS,
//! the random commands SRANDMEMBER and SPOP, SMOVE, the set algebra SINTER/SUNION/SDIFF with
//! their STORE forms and SINTERCARD, and SSCAN.
//!
//! The data structure is [`crate::types::set::Set`] (intset / listpack / hashtable encodings,
//! thresholds `set-max-intset-entries`, `set-max-listpack-entries`, `set-max-listpack-value`,
//! conversions exactly as Redis's). This module parses arguments in Redis's order (so the same
//! invalid command gets the same error), replies in Redis's RESP2/RESP3 shapes (SMEMBERS,
//! SINTER, SUNION, SDIFF and SPOP with a count reply with a RESP3 set; SRANDMEMBER with a count
//! with an array) and does the bookkeeping of every write: WATCH invalidation, keyspace events,
//! the change counter, and propagation (SPOP is not deterministic, so it propagates as the SREM
//! of what it popped, or as DEL when it emptied the set).
//!
//! Randomness: positive counts never repeat a member, negative counts draw independently (so
//! repeats happen); every draw is uniform over the members.

use std::collections::HashMap;

use rand::RngExt;

use super::ctx::Ctx;
use super::keys::{parse_cursor, parse_scan_opts};
use super::table::*;
use crate::error::{self, CmdResult, Error, SYNTAX, WRONGTYPE};
use crate::protocol::Reply;
use crate::server::notify;
use crate::store::entry::{Value, ValueType};
use crate::types::Set;
use crate::types::set::SetMember;
use crate::util::glob::glob_match;

const G: &str = "set";
const RO_1: KeySpec = key_at(K_RO, 1);
const RO_ACCESS_1: KeySpec = key_at(K_RO | K_ACCESS, 1);
const RO_ACCESS_ALL: KeySpec = keys_range(K_RO | K_ACCESS, 1, -1, 1);
const STORE_DST: KeySpec = key_at(K_OW | K_UPDATE, 1);
const STORE_SOURCES: KeySpec = keys_range(K_RO | K_ACCESS, 2, -1, 1);
const SUM_COMPLEXITY: &str = "O(N) where N is the total number of elements in all given sets.";
const INTER_COMPLEXITY: &str =
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.";
const ORDER_TIP: &[&str] = &["nondeterministic_output_order"];
const RANDOM_TIP: &[&str] = &["nondeterministic_output"];

/// Members per propagated SREM when SPOP with a count pops many (Redis batches the same way).
const SPOP_PROPAGATION_BATCH: usize = 1024;

pub static COMMANDS: &[Command] = &[
    Command::new("sadd", -3, sadd)
        .flags(WRITE | DENYOOM | FAST)
        .acl(SET)
        .keys(&[key_at(K_RW | K_INSERT, 1)])
        .doc(G, "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Adds one or more members to a set. Creates the key if it doesn't exist.")
        .syntax("key member [member ...]"),
    Command::new("srem", -3, srem)
        .flags(WRITE | FAST)
        .acl(SET)
        .keys(&[key_at(K_RW | K_DELETE, 1)])
        .doc(G, "1.0.0", "O(N) where N is the number of members to be removed.", "Removes one or more members from a set. Deletes the set if the last member was removed.")
        .syntax("key member [member ...]"),
    Command::new("scard", 2, scard)
        .flags(READONLY | FAST)
        .acl(SET)
        .keys(&[RO_1])
        .doc(G, "1.0.0", "O(1)", "Returns the number of members in a set.")
        .syntax("key"),
    Command::new("sismember", 3, sismember)
        .flags(READONLY | FAST)
        .acl(SET)
        .keys(&[RO_1])
        .doc(G, "1.0.0", "O(1)", "Determines whether a member belongs to a set.")
        .syntax("key member"),
    Command::new("smismember", -3, smismember)
        .flags(READONLY | FAST)
        .acl(SET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "6.2.0", "O(N) where N is the number of elements being checked for membership", "Determines whether multiple members belong to a set.")
        .syntax("key member [member ...]"),
    Command::new("smembers", 2, smembers)
        .flags(READONLY)
        .acl(SET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "1.0.0", "O(N) where N is the set cardinality.", "Returns all members of a set.")
        .syntax("key")
        .tips(ORDER_TIP),
    Command::new("srandmember", -2, srandmember)
        .flags(READONLY)
        .acl(SET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "Get one or multiple random members from a set")
        .syntax("key [count]")
        .tips(RANDOM_TIP),
    Command::new("spop", -2, spop)
        .flags(WRITE | FAST)
        .acl(SET)
        .keys(&[key_at(K_RW | K_ACCESS | K_DELETE, 1)])
        .doc(G, "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.")
        .syntax("key [count]")
        .tips(RANDOM_TIP),
    Command::new("smove", 4, smove)
        .flags(WRITE | FAST)
        .acl(SET)
        .keys(&[
            key_at(K_RW | K_ACCESS | K_DELETE, 1),
            key_at(K_RW | K_INSERT, 2),
        ])
        .doc(G, "1.0.0", "O(1)", "Moves a member from one set to another.")
        .syntax("source destination member"),
    Command::new("sinter", -2, sinter)
        .flags(READONLY)
        .acl(SET)
        .keys(&[RO_ACCESS_ALL])
        .doc(G, "1.0.0", INTER_COMPLEXITY, "Returns the intersect of multiple sets.")
        .syntax("key [key ...]")
        .tips(ORDER_TIP),
    Command::new("sintercard", -3, sintercard)
        .flags(READONLY)
        .acl(SET)
        .keys(&[keys_numkeys(K_RO | K_ACCESS, 1)])
        .doc(G, "7.0.0", INTER_COMPLEXITY, "Returns the number of members of the intersect of multiple sets.")
        .syntax("numkeys key [key ...] [LIMIT limit]"),
    Command::new("sinterstore", -3, sinterstore)
        .flags(WRITE | DENYOOM)
        .acl(SET)
        .keys(&[STORE_DST, STORE_SOURCES])
        .doc(G, "1.0.0", INTER_COMPLEXITY, "Stores the intersect of multiple sets in a key.")
        .syntax("destination key [key ...]"),
    Command::new("sunion", -2, sunion)
        .flags(READONLY)
        .acl(SET)
        .keys(&[RO_ACCESS_ALL])
        .doc(G, "1.0.0", SUM_COMPLEXITY, "Returns the union of multiple sets.")
        .syntax("key [key ...]")
        .tips(ORDER_TIP),
    Command::new("sunionstore", -3, sunionstore)
        .flags(WRITE | DENYOOM)
        .acl(SET)
        .keys(&[STORE_DST, STORE_SOURCES])
        .doc(G, "1.0.0", SUM_COMPLEXITY, "Stores the union of multiple sets in a key.")
        .syntax("destination key [key ...]"),
    Command::new("sdiff", -2, sdiff)
        .flags(READONLY)
        .acl(SET)
        .keys(&[RO_ACCESS_ALL])
        .doc(G, "1.0.0", SUM_COMPLEXITY, "Returns the difference of multiple sets.")
        .syntax("key [key ...]")
        .tips(ORDER_TIP),
    Command::new("sdiffstore", -3, sdiffstore)
        .flags(WRITE | DENYOOM)
        .acl(SET)
        .keys(&[STORE_DST, STORE_SOURCES])
        .doc(G, "1.0.0", SUM_COMPLEXITY, "Stores the difference of multiple sets in a key.")
        .syntax("destination key [key ...]"),
    Command::new("sscan", -3, sscan)
        .flags(READONLY)
        .acl(SET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Iterates over members of a set.")
        .syntax("key cursor [MATCH pattern] [COUNT count]")
        .tips(RANDOM_TIP),
];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Writes one member as a bulk string (integers are formatted without allocating).
#[inline]
fn bulk_member(out: &mut Reply, m: SetMember<'_>) {
    match m {
        SetMember::Bytes(b) => out.bulk(b),
        SetMember::Int(i) => out.bulk_int(i),
    }
}

/// A uniform random index below `n`.
fn picker() -> impl FnMut(usize) -> usize {
    let mut rng = rand::rng();
    move |n| rng.random_range(0..n)
}

/// Looks up `keys` as sets, in order, and calls `f` with them (`None` for a missing key) and
/// the reply writer. Fails with WRONGTYPE at the first key of another type. A key named twice
/// yields the same reference both times (SDIFF relies on it).
///
/// `f` gets no access to the keyspace, which is what makes handing out several shared
/// references into it at once sound.
fn with_sets<R>(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    f: impl FnOnce(&[Option<&Set>], &mut Reply) -> R,
) -> Result<R, Error> {
    let mut ptrs: Vec<Option<*const Set>> = Vec::with_capacity(keys.len());
    let mut seen: HashMap<&[u8], usize> = HashMap::with_capacity(keys.len());
    // Every caller reads its sources the way Redis's lookupKeyRead does (a missing key
    // publishes `keymiss`), the STORE forms included.
    let saved_miss = std::mem::replace(&mut ctx.db.miss_events, true);
    for (i, &key) in keys.iter().enumerate() {
        if let Some(&j) = seen.get(key) {
            if ptrs[j].is_none() {
                // Redis looks a repeated key up again: a missing one is missed again.
                ctx.db.contains(key);
            }
            ptrs.push(ptrs[j]);
            continue;
        }
        seen.insert(key, i);
        match ctx.db.get_set(key) {
            Ok(s) => ptrs.push(s.map(|s| s as *const Set)),
            Err(e) => {
                ctx.db.miss_events = saved_miss;
                return Err(e);
            }
        }
    }
    ctx.db.miss_events = saved_miss;
    // SAFETY: each pointer targets the boxed `Set` of a live key in a shard this command holds
    // locked (the command's key specs cover every key). The box is freed or mutated only by a
    // keyspace write, and the keyspace is not reachable again until `f` returns: `f` borrows
    // only the reply writer. Lookups of later keys may delete *those* keys if expired, never
    // one already found live (the command's clock is fixed), and repeated keys are not looked
    // up again.
    let sets: Vec<Option<&Set>> = ptrs.iter().map(|p| p.map(|p| unsafe { &*p })).collect();
    Ok(f(&sets, &mut ctx.out))
}

/// Stores a computed set in `dst` (or deletes `dst` when it is empty), replies with its size
/// and emits `event`, like the tail of Redis's `sinterGenericCommand`/`sunionDiffGenericCommand`.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: Set, event: &str) -> CmdResult {
    let n = result.len();
    if n > 0 {
        ctx.db.set(dst, Value::Set(Box::new(result)), false);
        ctx.db.touch(dst);
        ctx.out.int(n as i64);
        ctx.db.notify(notify::SET, event, dst);
        ctx.db.dirty(1);
    } else {
        ctx.out.int(0);
        if ctx.db.delete(dst) {
            ctx.db.dirty(1);
            ctx.db.touch(dst);
            ctx.db.notify(notify::GENERIC, "del", dst);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS
// ---------------------------------------------------------------------------------------------

fn sadd(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args[1];
    let members = &args[2..];
    let created = match ctx.db.value_type(key) {
        None => {
            // Redis's setTypeCreate: the encoding is chosen from the first member and the
            // number of members in the command.
            let s = Set::with_expected(members.len(), Set::is_int_member(members[0]));
            ctx.db.add(key, Value::Set(Box::new(s)));
            true
        }
        Some(ValueType::Set) => false,
        Some(_) => return Err(WRONGTYPE),
    };
    let s = ctx.db.set_mut(key)?.expect("checked or created above");
    if !created {
        s.prepare_bulk_insert(members.len());
    }
    let mut added = 0u64;
    for m in members {
        if s.insert(m) {
            added += 1;
        }
    }
    if added > 0 {
        ctx.db.touch(key);
        ctx.db.notify(notify::SET, "sadd", key);
        ctx.db.dirty(added);
    }
    ctx.out.int(added as i64);
    Ok(())
}

fn srem(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args[1];
    let Some(s) = ctx.db.set_mut(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0u64;
    for m in &args[2..] {
        if s.remove(m) {
            deleted += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    let emptied = s.is_empty();
    if deleted > 0 {
        if emptied {
            ctx.db.delete(key);
        }
        ctx.db.touch(key);
        ctx.db.notify(notify::SET, "srem", key);
        if emptied {
            ctx.db.notify(notify::GENERIC, "del", key);
        }
        ctx.db.dirty(deleted);
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

fn scard(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db.get_set(ctx.args[1])?.map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn sismember(ctx: &mut Ctx) -> CmdResult {
    let found = ctx
        .db
        .get_set(ctx.args[1])?
        .is_some_and(|s| s.contains(ctx.args[2]));
    ctx.out.int(found as i64);
    Ok(())
}

fn smismember(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let s = ctx.db.get_set(args[1])?;
    ctx.out.array(args.len() - 2);
    for m in &args[2..] {
        ctx.out.int(s.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

fn smembers(ctx: &mut Ctx) -> CmdResult {
    match ctx.db.get_set(ctx.args[1])? {
        None => ctx.out.set(0),
        Some(s) => {
            ctx.out.set(s.len());
            for m in s.iter() {
                bulk_member(&mut ctx.out, m);
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SRANDMEMBER, SPOP
// ---------------------------------------------------------------------------------------------

fn srandmember(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    if args.len() > 3 {
        return Err(SYNTAX);
    }
    let mut pick = picker();
    if args.len() == 2 {
        match ctx
            .db
            .get_set(args[1])?
            .and_then(|s| s.random_member(&mut pick))
        {
            Some(m) => bulk_member(&mut ctx.out, m),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let l = ctx.int(2)?;
    if l == i64::MIN {
        return Err(Error::lit(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let Some(s) = ctx.db.get_set(args[1])?.filter(|s| !s.is_empty()) else {
        ctx.out.empty_array();
        return Ok(());
    };
    let count = l.unsigned_abs() as usize;
    if count == 0 {
        ctx.out.empty_array();
        return Ok(());
    }
    let out = &mut ctx.out;
    if l < 0 || count == 1 {
        // Independent draws: repeats allowed. Written as drawn, so a huge count costs reply
        // bytes only.
        out.array(count);
        if s.encoding() == "listpack" {
            // The listpack offsets are computed once for the whole batch.
            for chunk_start in (0..count).step_by(4096) {
                let n = (count - chunk_start).min(4096);
                for m in s.random_members(n, &mut pick) {
                    bulk_member(out, m);
                }
            }
        } else {
            for _ in 0..count {
                let m = s.random_member(&mut pick).expect("non-empty set");
                bulk_member(out, m);
            }
        }
        return Ok(());
    }
    let members = s.random_distinct(count, &mut pick);
    out.array(members.len());
    for m in members {
        bulk_member(out, m);
    }
    Ok(())
}

fn spop(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    match args.len() {
        2 => spop_one(ctx),
        3 => spop_count(ctx),
        _ => Err(SYNTAX),
    }
}

fn spop_one(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args[1];
    let Some(s) = ctx.db.set_mut(key)? else {
        ctx.out.null();
        return Ok(());
    };
    let Some(member) = s.pop_random(&mut picker()) else {
        // Stored sets are never empty; answer as for a missing key rather than fail.
        ctx.out.null();
        return Ok(());
    };
    let emptied = s.is_empty();
    ctx.db.notify(notify::SET, "spop", key);
    ctx.db
        .propagate_as(vec![b"SREM".to_vec(), key.to_vec(), member.clone()]);
    ctx.out.bulk(&member);
    if emptied {
        ctx.db.delete(key);
        ctx.db.notify(notify::GENERIC, "del", key);
    }
    ctx.db.touch(key);
    ctx.db.dirty(1);
    Ok(())
}

fn spop_count(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args[1];
    // Redis's getPositiveLongFromObjectOrReply: one error for non-integers and negatives.
    let count = crate::util::num::parse_i64(ctx.arg(2))
        .filter(|&l| l >= 0)
        .ok_or(error::POSITIVE)? as usize;
    let Some(s) = ctx.db.set_mut(key)? else {
        ctx.out.set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.set(0);
        return Ok(());
    }
    let size = s.len();
    let popped = s.pop_random_many(count, &mut picker());
    let emptied = s.is_empty();
    ctx.db.notify(notify::SET, "spop", key);
    ctx.out.set(popped.len());
    for m in &popped {
        ctx.out.bulk(m);
    }
    if emptied {
        ctx.db.delete(key);
        ctx.db.notify(notify::GENERIC, "del", key);
        ctx.db.propagate_as(vec![b"DEL".to_vec(), key.to_vec()]);
    } else {
        ctx.db.custom_propagation();
        for batch in popped.chunks(SPOP_PROPAGATION_BATCH) {
            let mut argv = Vec::with_capacity(batch.len() + 2);
            argv.push(b"SREM".to_vec());
            argv.push(key.to_vec());
            argv.extend(batch.iter().cloned());
            ctx.db.record(argv);
        }
    }
    ctx.db.touch(key);
    ctx.db.dirty(count.min(size) as u64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SMOVE
// ---------------------------------------------------------------------------------------------

fn smove(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (src, dst, member) = (args[1], args[2], args[3]);
    let src_type = ctx.db.value_type(src);
    let dst_type = ctx.db.value_type(dst);
    if src_type.is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    if src_type != Some(ValueType::Set) || dst_type.is_some_and(|t| t != ValueType::Set) {
        return Err(WRONGTYPE);
    }
    if src == dst {
        let found = ctx.db.get_set(src)?.is_some_and(|s| s.contains(member));
        ctx.out.int(found as i64);
        return Ok(());
    }
    let s = ctx.db.set_mut(src)?.expect("checked above");
    if !s.remove(member) {
        ctx.out.int(0);
        return Ok(());
    }
    let emptied = s.is_empty();
    ctx.db.notify(notify::SET, "srem", src);
    if emptied {
        ctx.db.delete(src);
        ctx.db.notify(notify::GENERIC, "del", src);
    }
    if dst_type.is_none() {
        let s = Set::with_expected(1, Set::is_int_member(member));
        ctx.db.add(dst, Value::Set(Box::new(s)));
    }
    ctx.db.touch(src);
    ctx.db.dirty(1);
    let d = ctx.db.set_mut(dst)?.expect("checked or created above");
    if d.insert(member) {
        ctx.db.dirty(1);
        ctx.db.touch(dst);
        ctx.db.notify(notify::SET, "sadd", dst);
    }
    ctx.out.int(1);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE
// ---------------------------------------------------------------------------------------------

/// All present, or None when a key is missing (an intersection with it is empty).
fn all_present<'a>(sets: &[Option<&'a Set>]) -> Option<Vec<&'a Set>> {
    sets.iter().copied().collect()
}

fn sinter(ctx: &mut Ctx) -> CmdResult {
    let keys = &ctx.args[1..];
    with_sets(ctx, keys, |sets, out| match all_present(sets) {
        None => out.set(0),
        Some(sets) => {
            let members = Set::intersection_members(&sets);
            out.set(members.len());
            for m in members {
                bulk_member(out, m);
            }
        }
    })
}

fn sintercard(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let numkeys = crate::util::num::parse_i64(args[1])
        .filter(|&n| n >= 1)
        .ok_or(Error::lit("ERR numkeys should be greater than 0"))?;
    if numkeys > (args.len() - 2) as i64 {
        return Err(Error::lit(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = numkeys as usize;
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < args.len() {
        if ctx.is(j, "limit") && j + 1 < args.len() {
            limit = crate::util::num::parse_i64(args[j + 1])
                .filter(|&l| l >= 0)
                .ok_or(Error::lit("ERR LIMIT can't be negative"))? as usize;
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    let keys = &args[2..2 + numkeys];
    let card = with_sets(ctx, keys, |sets, _| {
        all_present(sets).map_or(0, |sets| Set::intersection_card(&sets, limit))
    })?;
    ctx.out.int(card as i64);
    Ok(())
}

fn sinterstore(ctx: &mut Ctx) -> CmdResult {
    let keys = &ctx.args[2..];
    let result = with_sets(ctx, keys, |sets, _| {
        all_present(sets).map_or_else(Set::new, |sets| Set::intersection(&sets))
    })?;
    store_result(ctx, ctx.args[1], result, "sinterstore")
}

fn union_of(sets: &[Option<&Set>]) -> Set {
    let present: Vec<&Set> = sets.iter().flatten().copied().collect();
    Set::union(&present)
}

fn reply_set(out: &mut Reply, s: &Set) {
    out.set(s.len());
    for m in s.iter() {
        bulk_member(out, m);
    }
}

fn sunion(ctx: &mut Ctx) -> CmdResult {
    let keys = &ctx.args[1..];
    with_sets(ctx, keys, |sets, out| reply_set(out, &union_of(sets)))
}

fn sunionstore(ctx: &mut Ctx) -> CmdResult {
    let keys = &ctx.args[2..];
    let result = with_sets(ctx, keys, |sets, _| union_of(sets))?;
    store_result(ctx, ctx.args[1], result, "sunionstore")
}

fn sdiff(ctx: &mut Ctx) -> CmdResult {
    let keys = &ctx.args[1..];
    with_sets(ctx, keys, |sets, out| {
        reply_set(out, &Set::difference(sets))
    })
}

fn sdiffstore(ctx: &mut Ctx) -> CmdResult {
    let keys = &ctx.args[2..];
    let result = with_sets(ctx, keys, |sets, _| Set::difference(sets))?;
    store_result(ctx, ctx.args[1], result, "sdiffstore")
}

// ---------------------------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------------------------

fn sscan(ctx: &mut Ctx) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(2))?;
    // Options are parsed only for an existing key, after its type check (as Redis does).
    if ctx.db.get_set(ctx.args[1])?.is_none() {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.empty_array();
        return Ok(());
    }
    let opts = parse_scan_opts(ctx, 3, false, false)?;
    let s = ctx.db.get_set(ctx.args[1])?.expect("checked above");
    let mut found = Vec::new();
    let next = s.scan(cursor, opts.count, &mut found);
    if let Some(p) = opts.pattern {
        found.retain(|m| glob_match(p, m, false));
    }
    let out = &mut ctx.out;
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(found.len());
    for m in &found {
        out.bulk(m);
    }
    Ok(())
}
