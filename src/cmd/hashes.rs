//! Hash commands with Redis 7.2 semantics (`t_hash.c`) plus Redis 7.4 hash-field expiration:
//! HSET and friends, HINCRBY/HINCRBYFLOAT, HRANDFIELD, HSCAN, and HEXPIRE/HPEXPIRE/HEXPIREAT/
//! HPEXPIREAT, HTTL/HPTTL/HEXPIRETIME/HPEXPIRETIME, HPERSIST.
//!
//! The data structure is [`crate::types::Hash`] (listpack / listpackex / hashtable, with the
//! per-field expire times inside it). This module parses arguments in Redis's order (so the
//! same invalid command gets the same error), replies in Redis's RESP2/RESP3 shapes and does
//! the bookkeeping of every write: WATCH invalidation, keyspace events, the change counter and
//! propagation.
//!
//! Field expiry follows Redis 7.4:
//! - a field is logically gone once its expire time is before the command's clock. Commands
//!   that read single fields (HGET, HMGET, HEXISTS, HSTRLEN, HINCRBY*, HSET/HSETNX on that
//!   field) delete it on access: an HDEL is propagated, an `hexpired` event published, and
//!   the key deleted (`del` event) if the hash became empty. HRANDFIELD first deletes every
//!   expired field the same way. HGETALL/HKEYS/HVALS/HSCAN skip expired fields. HLEN counts
//!   stored fields, expired ones included, until they are removed.
//! - the active sweep (`store/field_expiry.rs`, run by the server cron) removes the rest.
//! - HEXPIRE-family commands propagate as HPEXPIREAT with the absolute time and only the
//!   fields that got it; fields deleted because the time was in the past propagate as HDEL.

use rand::RngExt;

use super::ctx::{Ctx, LOADING};
use super::keys::{parse_cursor, parse_scan_opts};
use super::table::*;
use crate::error::{self, CmdResult, Error, WRONGTYPE};
use crate::server::notify;
use crate::store::entry::{ValueMut, ValueRef, ValueType};
use crate::store::field_expiry;
use crate::util::glob::glob_match;
use crate::util::{longdouble, num};

const G: &str = "hash";
const RO_1: KeySpec = key_at(K_RO, 1);
const RO_ACCESS_1: KeySpec = key_at(K_RO | K_ACCESS, 1);
const RW_UPDATE_1: KeySpec = key_at(K_RW | K_UPDATE, 1);
const RW_INSERT_1: KeySpec = key_at(K_RW | K_INSERT, 1);
const RW_DELETE_1: KeySpec = key_at(K_RW | K_DELETE, 1);
const RW_ACCESS_UPDATE_1: KeySpec = key_at(K_RW | K_ACCESS | K_UPDATE, 1);

/// Redis 7.4's `HFE_MAX_ABS_TIME_MSEC` (`EB_EXPIRE_TIME_MAX >> 2`): the latest field expire
/// time accepted, in unix ms.
pub const HFE_MAX_ABS_TIME_MSEC: i64 = ((1i64 << 48) - 1) >> 2;

const FIELDS_MISSING: &str =
    "ERR Mandatory argument FIELDS is missing or not at the right position";
const NUMFIELDS_MISMATCH: &str = "ERR The `numfields` parameter must match the number of arguments";

pub static COMMANDS: &[Command] = &[
    Command::new("hset", -4, hset)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HASH)
        .keys(&[RW_UPDATE_1])
        .doc(G, "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "Creates or modifies the value of a field in a hash.")
        .syntax("key field value [field value ...]"),
    Command::new("hsetnx", 4, hsetnx)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HASH)
        .keys(&[RW_INSERT_1])
        .doc(G, "2.0.0", "O(1)", "Sets the value of a field in a hash only when the field doesn't exist.")
        .syntax("key field value"),
    Command::new("hmset", -4, hmset)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HASH)
        .keys(&[RW_UPDATE_1])
        .doc(G, "2.0.0", "O(N) where N is the number of fields being set.", "Sets the values of multiple fields.")
        .syntax("key field value [field value ...]")
        .deprecated("4.0.0", "`HSET` with multiple field-value pairs"),
    Command::new("hget", 3, hget)
        .flags(READONLY | FAST)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.0.0", "O(1)", "Returns the value of a field in a hash.")
        .syntax("key field"),
    Command::new("hmget", -3, hmget)
        .flags(READONLY | FAST)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.0.0", "O(N) where N is the number of fields being requested.", "Returns the values of all fields in a hash.")
        .syntax("key field [field ...]"),
    Command::new("hdel", -3, hdel)
        .flags(WRITE | FAST)
        .acl(HASH)
        .keys(&[RW_DELETE_1])
        .doc(G, "2.0.0", "O(N) where N is the number of fields to be removed.", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.")
        .syntax("key field [field ...]"),
    Command::new("hlen", 2, hlen)
        .flags(READONLY | FAST)
        .acl(HASH)
        .keys(&[RO_1])
        .doc(G, "2.0.0", "O(1)", "Returns the number of fields in a hash.")
        .syntax("key"),
    Command::new("hstrlen", 3, hstrlen)
        .flags(READONLY | FAST)
        .acl(HASH)
        .keys(&[RO_1])
        .doc(G, "3.2.0", "O(1)", "Returns the length of the value of a field.")
        .syntax("key field"),
    Command::new("hexists", 3, hexists)
        .flags(READONLY | FAST)
        .acl(HASH)
        .keys(&[RO_1])
        .doc(G, "2.0.0", "O(1)", "Determines whether a field exists in a hash.")
        .syntax("key field"),
    Command::new("hkeys", 2, hkeys)
        .flags(READONLY)
        .acl(HASH)
        .keys(&[RO_1])
        .doc(G, "2.0.0", "O(N) where N is the size of the hash.", "Returns all fields in a hash.")
        .syntax("key")
        .tips(&["nondeterministic_output_order"]),
    Command::new("hvals", 2, hvals)
        .flags(READONLY)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.0.0", "O(N) where N is the size of the hash.", "Returns all values in a hash.")
        .syntax("key")
        .tips(&["nondeterministic_output_order"]),
    Command::new("hgetall", 2, hgetall)
        .flags(READONLY)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.0.0", "O(N) where N is the size of the hash.", "Returns all fields and values in a hash.")
        .syntax("key")
        .tips(&["nondeterministic_output_order"]),
    Command::new("hincrby", 4, hincrby)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HASH)
        .keys(&[RW_ACCESS_UPDATE_1])
        .doc(G, "2.0.0", "O(1)", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.")
        .syntax("key field increment"),
    Command::new("hincrbyfloat", 4, hincrbyfloat)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HASH)
        .keys(&[RW_ACCESS_UPDATE_1])
        .doc(G, "2.6.0", "O(1)", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.")
        .syntax("key field increment"),
    Command::new("hrandfield", -2, hrandfield)
        .flags(READONLY)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "6.2.0", "O(N) where N is the number of fields returned", "Returns one or more random fields from a hash.")
        .syntax("key [count [WITHVALUES]]")
        .tips(&["nondeterministic_output"]),
    Command::new("hscan", -3, hscan)
        .flags(READONLY)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Iterates over fields and values of a hash.")
        .syntax("key cursor [MATCH pattern] [COUNT count] [NOVALUES]")
        .tips(&["nondeterministic_output"]),
    Command::new("hexpire", -6, hexpire)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HASH)
        .keys(&[RW_UPDATE_1])
        .doc(G, "7.4.0", "O(N) where N is the number of specified fields", "Set expiry for hash field using relative time to expire (seconds)")
        .syntax("key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]"),
    Command::new("hpexpire", -6, hpexpire)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HASH)
        .keys(&[RW_UPDATE_1])
        .doc(G, "7.4.0", "O(N) where N is the number of specified fields", "Set expiry for hash field using relative time to expire (milliseconds)")
        .syntax("key milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]"),
    Command::new("hexpireat", -6, hexpireat)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HASH)
        .keys(&[RW_UPDATE_1])
        .doc(G, "7.4.0", "O(N) where N is the number of specified fields", "Set expiry for hash field using an absolute Unix timestamp (seconds)")
        .syntax("key unix-time-seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]"),
    Command::new("hpexpireat", -6, hpexpireat)
        .flags(WRITE | DENYOOM | FAST)
        .acl(HASH)
        .keys(&[RW_UPDATE_1])
        .doc(G, "7.4.0", "O(N) where N is the number of specified fields", "Set expiry for hash field using an absolute Unix timestamp (milliseconds)")
        .syntax("key unix-time-milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]"),
    Command::new("httl", -5, httl)
        .flags(READONLY | FAST)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "7.4.0", "O(N) where N is the number of specified fields", "Returns the TTL in seconds of a hash field.")
        .syntax("key FIELDS numfields field [field ...]"),
    Command::new("hpttl", -5, hpttl)
        .flags(READONLY | FAST)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "7.4.0", "O(N) where N is the number of specified fields", "Returns the TTL in milliseconds of a hash field.")
        .syntax("key FIELDS numfields field [field ...]"),
    Command::new("hexpiretime", -5, hexpiretime)
        .flags(READONLY | FAST)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "7.4.0", "O(N) where N is the number of specified fields", "Returns the expiration time of a hash field as a Unix timestamp, in seconds.")
        .syntax("key FIELDS numfields field [field ...]"),
    Command::new("hpexpiretime", -5, hpexpiretime)
        .flags(READONLY | FAST)
        .acl(HASH)
        .keys(&[RO_ACCESS_1])
        .doc(G, "7.4.0", "O(N) where N is the number of specified fields", "Returns the expiration time of a hash field as a Unix timestamp, in msec.")
        .syntax("key FIELDS numfields field [field ...]"),
    Command::new("hpersist", -5, hpersist)
        .flags(WRITE | FAST)
        .acl(HASH)
        .keys(&[RW_UPDATE_1])
        .doc(G, "7.4.0", "O(N) where N is the number of specified fields", "Removes the expiration time for each specified field")
        .syntax("key FIELDS numfields field [field ...]"),
];

// ---------------------------------------------------------------------------------------
// Lazy field expiry

/// Whether the hash at `key` may hold a field expired at `now` (cheap: the earliest TTL).
fn has_due_fields(ctx: &mut Ctx, key: &[u8]) -> bool {
    let now = ctx.db.now;
    if ctx.mode & LOADING != 0 {
        return false;
    }
    matches!(ctx.db.peek(key), Some(ValueRef::Hash(h)) if h.next_expire_ms().is_some_and(|t| t < now))
}

/// The side effects of fields removed by lazy expiry: an HDEL propagated and an `hexpired`
/// event per field, WATCH invalidation, and the key deleted (`del` event) if `empty`.
fn after_lazy_expiry(ctx: &mut Ctx, key: &[u8], gone: Vec<Vec<u8>>, empty: bool) {
    if gone.is_empty() {
        return;
    }
    for f in gone {
        ctx.db.record(vec![b"HDEL".to_vec(), key.to_vec(), f]);
        ctx.db.notify(notify::HASH, "hexpired", key);
    }
    if empty {
        ctx.db.delete(key);
        ctx.db.notify(notify::GENERIC, "del", key);
    }
    ctx.db.touch(key);
}

/// Lazy expiry of the given fields (Redis's `hashTypeGetValue` with `HFE_LAZY_EXPIRE`).
fn expire_fields(ctx: &mut Ctx, key: &[u8], fields: &[&[u8]]) {
    if !has_due_fields(ctx, key) {
        return;
    }
    let now = ctx.db.now;
    let Some(ValueMut::Hash(h)) = ctx.db.get_mut(key) else {
        return;
    };
    let mut gone = Vec::new();
    for f in fields {
        if h.remove_if_expired(f, now) {
            gone.push(f.to_vec());
        }
    }
    let empty = h.is_empty();
    after_lazy_expiry(ctx, key, gone, empty);
}

/// Deletes every expired field of the hash at `key` (Redis's `hashTypeExpireIfNeeded`).
fn expire_all_fields(ctx: &mut Ctx, key: &[u8]) {
    if !has_due_fields(ctx, key) {
        return;
    }
    let now = ctx.db.now;
    let Some(ValueMut::Hash(h)) = ctx.db.get_mut(key) else {
        return;
    };
    // Lazily expired means `expire < now` (the active sweep also takes `== now`).
    let gone = h.remove_expired(now - 1, usize::MAX);
    let empty = h.is_empty();
    after_lazy_expiry(ctx, key, gone, empty);
}

// ---------------------------------------------------------------------------------------
// Writes

/// HSET/HMSET: the pairs after the key; the number of fields created.
fn set_pairs(ctx: &mut Ctx) -> Result<i64, Error> {
    let args = ctx.args;
    if args.len() % 2 == 1 {
        return Err(ctx.wrong_args());
    }
    let key = args[1];
    let pairs = &args[2..];
    let fields: Vec<&[u8]> = pairs.chunks(2).map(|p| p[0]).collect();
    expire_fields(ctx, key, &fields);
    let now = ctx.db.now;
    let longest = pairs.iter().map(|a| a.len()).max().unwrap_or(0);
    let h = ctx.db.hash_or_create(key)?;
    h.prepare_bulk_insert(pairs.len() / 2, longest);
    // Fields expired but still stored (while loading) are logically gone: they count as new.
    let stale = h.next_expire_ms().is_some_and(|t| t < now);
    let mut created = 0;
    for p in pairs.chunks(2) {
        if stale {
            h.remove_if_expired(p[0], now);
        }
        if h.insert(p[0], p[1]) {
            created += 1;
        }
    }
    ctx.db.touch(key);
    ctx.db.notify(notify::HASH, "hset", key);
    ctx.db.dirty((pairs.len() / 2) as u64);
    Ok(created)
}

fn hset(ctx: &mut Ctx) -> CmdResult {
    let n = set_pairs(ctx)?;
    ctx.out.int(n);
    Ok(())
}

fn hmset(ctx: &mut Ctx) -> CmdResult {
    set_pairs(ctx)?;
    ctx.ok()
}

fn hsetnx(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, field, value) = (args[1], args[2], args[3]);
    expire_fields(ctx, key, &[field]);
    let exists = ctx.db.hash(key)?.is_some_and(|h| h.contains(field));
    if exists {
        ctx.out.int(0);
        return Ok(());
    }
    let h = ctx.db.hash_or_create(key)?;
    h.prepare_bulk_insert(1, field.len().max(value.len()));
    h.insert(field, value);
    ctx.db.touch(key);
    ctx.db.notify(notify::HASH, "hset", key);
    ctx.db.dirty(1);
    ctx.out.int(1);
    Ok(())
}

fn hdel(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args[1];
    let Some(h) = ctx.db.hash_mut(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    let mut empty = false;
    for f in &args[2..] {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                empty = true;
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.db.touch(key);
        ctx.db.notify(notify::HASH, "hdel", key);
        if empty {
            ctx.db.delete(key);
            ctx.db.notify(notify::GENERIC, "del", key);
        }
        ctx.db.dirty(deleted as u64);
    }
    ctx.out.int(deleted);
    Ok(())
}

/// Keeps a field's TTL across an overwrite (HINCRBY/HINCRBYFLOAT, Redis 7.4's
/// `HASH_SET_KEEP_TTL`). Returns the kept expire time.
fn insert_keep_ttl(h: &mut crate::types::Hash, field: &[u8], value: &[u8]) -> Option<i64> {
    let ttl = h.field_expire(field);
    h.insert(field, value);
    if let Some(at) = ttl {
        h.set_field_expire(field, at);
    }
    ttl
}

fn hincrby(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, field) = (args[1], args[2]);
    let incr = ctx.int(3)?;
    expire_fields(ctx, key, &[field]);
    let current = match ctx.db.hash(key)?.and_then(|h| h.get(field)) {
        Some(v) => num::parse_i64(v).ok_or(Error::lit("ERR hash value is not an integer"))?,
        None => 0,
    };
    let value = current.checked_add(incr).ok_or(error::OVERFLOW)?;
    let text = num::i64_to_vec(value);
    let h = ctx.db.hash_or_create(key)?;
    insert_keep_ttl(h, field, &text);
    ctx.db.touch(key);
    ctx.db.notify(notify::HASH, "hincrby", key);
    ctx.db.dirty(1);
    ctx.out.int(value);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, field) = (args[1], args[2]);
    let incr = longdouble::hincrbyfloat_increment(args[3]).map_err(Error::lit)?;
    expire_fields(ctx, key, &[field]);
    let current = ctx.db.hash(key)?.and_then(|h| h.get(field));
    let text = longdouble::hincrbyfloat(current, incr).map_err(Error::lit)?;
    let h = ctx.db.hash_or_create(key)?;
    let ttl = insert_keep_ttl(h, field, text.as_bytes());
    ctx.db.touch(key);
    ctx.db.notify(notify::HASH, "hincrbyfloat", key);
    ctx.db.dirty(1);
    // Replayed as HSET with the final value (float formatting must not diverge), plus the
    // kept TTL, which HSET would clear.
    ctx.db.propagate_as(vec![
        b"HSET".to_vec(),
        key.to_vec(),
        field.to_vec(),
        text.as_bytes().to_vec(),
    ]);
    if let Some(at) = ttl {
        ctx.db.record(hpexpireat_record(key, at, &[field]));
    }
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

fn hpexpireat_record(key: &[u8], at: i64, fields: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut v = vec![
        b"HPEXPIREAT".to_vec(),
        key.to_vec(),
        num::i64_to_vec(at),
        b"FIELDS".to_vec(),
        num::i64_to_vec(fields.len() as i64),
    ];
    v.extend(fields.iter().map(|f| f.to_vec()));
    v
}

// ---------------------------------------------------------------------------------------
// Reads

fn hget(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, field) = (args[1], args[2]);
    expire_fields(ctx, key, &[field]);
    match ctx.db.hash(key)?.and_then(|h| h.get(field)) {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args[1];
    expire_fields(ctx, key, &args[2..]);
    let h = ctx.db.hash(key)?;
    ctx.out.array(args.len() - 2);
    for f in &args[2..] {
        match h.and_then(|h| h.get(f)) {
            Some(v) => ctx.out.bulk(v),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn hlen(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db.hash(ctx.args[1])?.map_or(0, |h| h.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, field) = (args[1], args[2]);
    expire_fields(ctx, key, &[field]);
    let n = ctx
        .db
        .hash(key)?
        .and_then(|h| h.get(field))
        .map_or(0, |v| v.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, field) = (args[1], args[2]);
    expire_fields(ctx, key, &[field]);
    let found = ctx.db.hash(key)?.is_some_and(|h| h.contains(field));
    ctx.out.int(found as i64);
    Ok(())
}

const KEYS: u8 = 1;
const VALUES: u8 = 2;

fn getall(ctx: &mut Ctx, what: u8) -> CmdResult {
    let now = ctx.db.now;
    let loading = ctx.mode & LOADING != 0;
    let both = what == KEYS | VALUES;
    let Some(h) = ctx.db.hash(ctx.args[1])? else {
        if both {
            ctx.out.map(0);
        } else {
            ctx.out.empty_array();
        }
        return Ok(());
    };
    // Expired fields are skipped (not deleted) unless loading.
    let has_ttl = !loading && h.next_expire_ms().is_some_and(|t| t < now);
    let n = if has_ttl {
        h.iter_unexpired(now).count()
    } else {
        h.len()
    };
    let out = &mut ctx.out;
    if both {
        out.map(n);
    } else {
        out.array(n);
    }
    let mut emit = |f: &[u8], v: &[u8]| {
        if what & KEYS != 0 {
            out.bulk(f);
        }
        if what & VALUES != 0 {
            out.bulk(v);
        }
    };
    if has_ttl {
        for (f, v) in h.iter_unexpired(now) {
            emit(f, v);
        }
    } else {
        for (f, v) in h.iter() {
            emit(f, v);
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx) -> CmdResult {
    getall(ctx, KEYS)
}

fn hvals(ctx: &mut Ctx) -> CmdResult {
    getall(ctx, VALUES)
}

fn hgetall(ctx: &mut Ctx) -> CmdResult {
    getall(ctx, KEYS | VALUES)
}

fn hrandfield(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args[1];
    let mut rng = rand::rng();
    if args.len() == 2 {
        if ctx.db.hash(key)?.is_none() {
            ctx.out.null();
            return Ok(());
        }
        expire_all_fields(ctx, key);
        match ctx
            .db
            .hash(key)?
            .and_then(|h| h.random_entry(&mut |n| rng.random_range(0..n)))
        {
            Some((f, _)) => ctx.out.bulk(f),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let (l, withvalues) = super::zsets::random_count_args(ctx, "withvalues")?;
    if ctx.db.hash(key)?.is_none() {
        ctx.out.empty_array();
        return Ok(());
    }
    expire_all_fields(ctx, key);
    let Some(h) = ctx.db.hash(key)? else {
        ctx.out.empty_array();
        return Ok(());
    };
    if l == 0 {
        ctx.out.empty_array();
        return Ok(());
    }
    let mut pick = |n: usize| rng.random_range(0..n);
    let picked = if l < 0 {
        h.random_entries(l.unsigned_abs() as usize, &mut pick)
    } else {
        h.random_distinct_entries(l as usize, &mut pick)
    };
    let out = &mut ctx.out;
    if withvalues && !out.resp3 {
        out.array(picked.len() * 2);
    } else {
        out.array(picked.len());
    }
    for (f, v) in picked {
        if withvalues && out.resp3 {
            out.array(2);
        }
        out.bulk(f);
        if withvalues {
            out.bulk(v);
        }
    }
    Ok(())
}

fn hscan(ctx: &mut Ctx) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(2))?;
    // Options are parsed only for an existing key, after its type check (as Redis does).
    if ctx.db.hash(ctx.args[1])?.is_none() {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.empty_array();
        return Ok(());
    }
    let opts = parse_scan_opts(ctx, 3, false, true)?;
    let now = ctx.db.now;
    let loading = ctx.mode & LOADING != 0;
    let h = ctx.db.hash(ctx.args[1])?.expect("checked above");
    let mut found = Vec::new();
    let next = if !loading && h.next_expire_ms().is_some() {
        h.scan_unexpired(cursor, opts.count, now, &mut found)
    } else {
        h.scan(cursor, opts.count, &mut found)
    };
    if let Some(p) = opts.pattern {
        found.retain(|(f, _)| glob_match(p, f, false));
    }
    let out = &mut ctx.out;
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(found.len() * if opts.novalues { 1 } else { 2 });
    for (f, v) in &found {
        out.bulk(f);
        if !opts.novalues {
            out.bulk(v);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Field expiration (Redis 7.4)

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    None,
    Nx,
    Xx,
    Gt,
    Lt,
}

/// Parses `FIELDS numfields field...` whose FIELDS keyword is at `at`: the index of the first
/// field. `numfields_err` is the command's error for a bad count.
fn parse_fields(ctx: &Ctx, at: usize, numfields_err: &'static str) -> Result<usize, Error> {
    if !ctx.is(at, "fields") {
        return Err(Error::lit(FIELDS_MISSING));
    }
    let n = num::parse_i64(ctx.arg(at + 1))
        .filter(|&n| n >= 1)
        .ok_or(Error::lit(numfields_err))?;
    if n as u64 != (ctx.argc() - at - 2) as u64 {
        return Err(Error::lit(NUMFIELDS_MISMATCH));
    }
    Ok(at + 2)
}

/// Type check of the key of an HFE command: whether it exists (as a hash).
fn hash_exists(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Error> {
    match ctx.db.value_type(key) {
        None => Ok(false),
        Some(ValueType::Hash) => Ok(true),
        Some(_) => Err(WRONGTYPE),
    }
}

/// Replies an array of `n` times `code` (missing key).
fn reply_all(ctx: &mut Ctx, n: usize, code: i64) {
    ctx.out.array(n);
    for _ in 0..n {
        ctx.out.int(code);
    }
}

fn hexpire_generic(ctx: &mut Ctx, basetime: i64, unit_secs: bool) -> CmdResult {
    let args = ctx.args;
    let key = args[1];
    let exists = hash_exists(ctx, key)?;
    let bad_time = || {
        Error::err(format!(
            "invalid expire time in '{}' command",
            String::from_utf8_lossy(args[0]).to_ascii_lowercase()
        ))
    };
    let mut at = ctx.int(2)?;
    if at < 0 {
        return Err(Error::lit("ERR invalid expire time, must be >= 0"));
    }
    if unit_secs {
        if at > HFE_MAX_ABS_TIME_MSEC / 1000 {
            return Err(bad_time());
        }
        at *= 1000;
    }
    if at > HFE_MAX_ABS_TIME_MSEC - basetime {
        return Err(bad_time());
    }
    at += basetime;
    let cond = match () {
        _ if ctx.is(3, "nx") => Cond::Nx,
        _ if ctx.is(3, "xx") => Cond::Xx,
        _ if ctx.is(3, "gt") => Cond::Gt,
        _ if ctx.is(3, "lt") => Cond::Lt,
        _ => Cond::None,
    };
    let fields_at = if cond == Cond::None { 3 } else { 4 };
    let first = parse_fields(
        ctx,
        fields_at,
        "ERR Parameter `numFields` should be greater than 0",
    )?;
    let fields = &args[first..];
    if !exists {
        reply_all(ctx, fields.len(), -2);
        return Ok(());
    }
    let now = ctx.db.now;
    let may_delete = ctx.mode & LOADING == 0;
    let h = ctx.db.hash_mut(key)?.expect("checked above");
    h.prepare_field_expiry();
    let mut codes = Vec::with_capacity(fields.len());
    let mut updated: Vec<&[u8]> = Vec::new();
    let mut deleted: Vec<&[u8]> = Vec::new();
    for &f in fields {
        if !h.contains(f) || (may_delete && h.is_field_expired(f, now)) {
            codes.push(-2);
            continue;
        }
        let prev = h.field_expire(f);
        let met = match (cond, prev) {
            (Cond::None, _) => true,
            (Cond::Nx, p) => p.is_none(),
            (Cond::Xx, p) => p.is_some(),
            (Cond::Gt, None) => false,
            (Cond::Gt, Some(p)) => at > p,
            (Cond::Lt, None) => true,
            (Cond::Lt, Some(p)) => at < p,
        };
        if !met {
            codes.push(0);
        } else if may_delete && at <= now {
            h.remove(f);
            deleted.push(f);
            codes.push(2);
        } else {
            h.set_field_expire(f, at);
            updated.push(f);
            codes.push(1);
        }
    }
    let empty = h.is_empty();
    let next = h.next_expire_ms();
    ctx.out.array(codes.len());
    for c in codes {
        ctx.out.int(c);
    }
    ctx.db.custom_propagation();
    for f in &deleted {
        ctx.db
            .record(vec![b"HDEL".to_vec(), key.to_vec(), f.to_vec()]);
    }
    if !updated.is_empty() {
        ctx.db.record(hpexpireat_record(key, at, &updated));
    }
    let changed = deleted.len() + updated.len();
    if changed > 0 {
        ctx.db.dirty(changed as u64);
        ctx.db.touch(key);
        let event = if deleted.is_empty() {
            "hexpire"
        } else {
            "hdel"
        };
        ctx.db.notify(notify::HASH, event, key);
    }
    if empty {
        ctx.db.delete(key);
        ctx.db.notify(notify::GENERIC, "del", key);
    } else if let Some(t) = next {
        field_expiry::register(ctx.db, key, t);
    }
    Ok(())
}

fn hexpire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.db.now;
    hexpire_generic(ctx, now, true)
}

fn hpexpire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.db.now;
    hexpire_generic(ctx, now, false)
}

fn hexpireat(ctx: &mut Ctx) -> CmdResult {
    hexpire_generic(ctx, 0, true)
}

fn hpexpireat(ctx: &mut Ctx) -> CmdResult {
    hexpire_generic(ctx, 0, false)
}

const NUMFIELDS_POSITIVE: &str = "ERR Number of fields must be a positive integer";

fn httl_generic(ctx: &mut Ctx, basetime: i64, unit_secs: bool) -> CmdResult {
    let args = ctx.args;
    let key = args[1];
    let exists = hash_exists(ctx, key)?;
    let first = parse_fields(ctx, 2, NUMFIELDS_POSITIVE)?;
    let fields = &args[first..];
    if !exists {
        reply_all(ctx, fields.len(), -2);
        return Ok(());
    }
    let now = ctx.db.now;
    let h = ctx.db.hash(key)?.expect("checked above");
    ctx.out.array(fields.len());
    for f in fields {
        let code = if !h.contains(f) {
            -2
        } else {
            match h.field_expire(f) {
                None => -1,
                Some(at) if at < now => -2,
                Some(at) if unit_secs => (at + 999 - basetime) / 1000,
                Some(at) => at - basetime,
            }
        };
        ctx.out.int(code);
    }
    Ok(())
}

fn httl(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.db.now;
    httl_generic(ctx, now, true)
}

fn hpttl(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.db.now;
    httl_generic(ctx, now, false)
}

fn hexpiretime(ctx: &mut Ctx) -> CmdResult {
    httl_generic(ctx, 0, true)
}

fn hpexpiretime(ctx: &mut Ctx) -> CmdResult {
    httl_generic(ctx, 0, false)
}

fn hpersist(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args[1];
    let exists = hash_exists(ctx, key)?;
    let first = parse_fields(ctx, 2, NUMFIELDS_POSITIVE)?;
    let fields = &args[first..];
    if !exists {
        reply_all(ctx, fields.len(), -2);
        return Ok(());
    }
    let now = ctx.db.now;
    let h = ctx.db.hash_mut(key)?.expect("checked above");
    let mut codes = Vec::with_capacity(fields.len());
    let mut changed = 0;
    for f in fields {
        let code = if !h.contains(f) {
            -2
        } else {
            match h.field_expire(f) {
                None => -1,
                Some(at) if at < now => -2,
                Some(_) => {
                    h.persist_field(f);
                    changed += 1;
                    1
                }
            }
        };
        codes.push(code);
    }
    ctx.out.array(codes.len());
    for c in codes {
        ctx.out.int(c);
    }
    if changed > 0 {
        ctx.db.dirty(changed);
        ctx.db.touch(key);
        ctx.db.notify(notify::HASH, "hpersist", key);
    }
    Ok(())
}
