//! Generic key commands: DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, COPY, MOVE, SWAPDB, TTLs, OBJECT.

use super::ctx::Ctx;
use super::table::*;
use crate::error::{self, CmdResult, Error, SYNTAX};
use crate::server::notify;
use crate::store::db::clone_value;
use crate::store::entry::{Value, ValueRef, ValueType};
use crate::util::glob::glob_match;
use crate::util::num;

const KS_RM_DELETE: KeySpec = keys_range(K_RM | K_DELETE, 1, -1, 1);
const KS_RO_1: KeySpec = key_at(K_RO, 1);
const KS_RO_2: KeySpec = key_at(K_RO, 2);
const KS_RO_ALL: KeySpec = keys_range(K_RO, 1, -1, 1);
const KS_RW_UPDATE_1: KeySpec = key_at(K_RW | K_UPDATE, 1);

pub static COMMANDS: &[Command] = &[
    Command::new("del", -2, del)
        .flags(WRITE)
        .acl(KEYSPACE)
        .keys(&[KS_RM_DELETE])
        .doc("generic", "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Deletes one or more keys.")
        .syntax("key [key ...]")
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"]),
    Command::new("unlink", -2, del)
        .flags(WRITE | FAST)
        .acl(KEYSPACE)
        .keys(&[KS_RM_DELETE])
        .doc("generic", "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "Asynchronously deletes one or more keys.")
        .syntax("key [key ...]")
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .compat("Frees the value at once (there is no background free thread)."),
    Command::new("exists", -2, exists)
        .flags(READONLY | FAST)
        .acl(KEYSPACE)
        .keys(&[KS_RO_ALL])
        .doc("generic", "1.0.0", "O(N) where N is the number of keys to check.", "Determines whether one or more keys exist.")
        .syntax("key [key ...]")
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"]),
    Command::new("type", 2, type_cmd)
        .flags(READONLY | FAST)
        .acl(KEYSPACE)
        .keys(&[KS_RO_1])
        .doc("generic", "1.0.0", "O(1)", "Determines the type of value stored at a key.")
        .syntax("key"),
    Command::new("keys", 2, keys)
        .flags(READONLY | KS_ALL)
        .acl(KEYSPACE | DANGEROUS)
        .doc("generic", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "Returns all key names that match a pattern.")
        .syntax("pattern")
        .tips(&["request_policy:all_shards", "nondeterministic_output_order"]),
    Command::new("scan", -2, scan)
        .flags(READONLY | KS_ALL)
        .acl(KEYSPACE)
        .doc("generic", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Iterates over the key names in the database.")
        .syntax("cursor [MATCH pattern] [COUNT count] [TYPE type]")
        .tips(&["nondeterministic_output", "request_policy:special", "response_policy:special"]),
    Command::new("randomkey", 1, randomkey)
        .flags(READONLY | KS_ALL)
        .acl(KEYSPACE)
        .doc("generic", "1.0.0", "O(1)", "Returns a random key name from the database.")
        .tips(&["request_policy:all_shards", "response_policy:special", "nondeterministic_output"]),
    Command::new("rename", 3, rename)
        .flags(WRITE)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RW | K_ACCESS | K_DELETE, 1), key_at(K_OW | K_UPDATE, 2)])
        .doc("generic", "1.0.0", "O(1)", "Renames a key and overwrites the destination.")
        .syntax("key newkey"),
    Command::new("renamenx", 3, renamenx)
        .flags(WRITE | FAST)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RW | K_ACCESS | K_DELETE, 1), key_at(K_OW | K_INSERT, 2)])
        .doc("generic", "1.0.0", "O(1)", "Renames a key only when the target key name doesn't exist.")
        .syntax("key newkey"),
    Command::new("copy", -3, copy)
        .flags(WRITE | DENYOOM)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RO | K_ACCESS, 1), key_at(K_OW | K_UPDATE, 2)])
        .doc("generic", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "Copies the value of a key to a new key.")
        .syntax("source destination [DB destination-db] [REPLACE]"),
    Command::new("move", 3, move_cmd)
        .flags(WRITE | FAST)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RW | K_ACCESS | K_UPDATE, 1)])
        .doc("generic", "1.0.0", "O(1)", "Moves a key to another database.")
        .syntax("key db"),
    Command::new("swapdb", 3, swapdb)
        .flags(WRITE | FAST | KS_ALL)
        .acl(KEYSPACE | DANGEROUS)
        .doc("server", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.", "Swaps two Redis databases.")
        .syntax("index1 index2"),
    Command::new("touch", -2, touch)
        .flags(READONLY | FAST)
        .acl(KEYSPACE)
        .keys(&[KS_RO_ALL])
        .doc("generic", "3.2.1", "O(N) where N is the number of keys that will be touched.", "Returns the number of existing keys out of those specified after updating the time they were last accessed.")
        .syntax("key [key ...]")
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"]),
    Command::new("expire", -3, expire)
        .flags(WRITE | FAST)
        .acl(KEYSPACE)
        .keys(&[KS_RW_UPDATE_1])
        .doc("generic", "1.0.0", "O(1)", "Sets the expiration time of a key in seconds.")
        .syntax("key seconds [NX | XX | GT | LT]"),
    Command::new("pexpire", -3, pexpire)
        .flags(WRITE | FAST)
        .acl(KEYSPACE)
        .keys(&[KS_RW_UPDATE_1])
        .doc("generic", "2.6.0", "O(1)", "Sets the expiration time of a key in milliseconds.")
        .syntax("key milliseconds [NX | XX | GT | LT]"),
    Command::new("expireat", -3, expireat)
        .flags(WRITE | FAST)
        .acl(KEYSPACE)
        .keys(&[KS_RW_UPDATE_1])
        .doc("generic", "1.2.0", "O(1)", "Sets the expiration time of a key to a Unix timestamp.")
        .syntax("key unix-time-seconds [NX | XX | GT | LT]"),
    Command::new("pexpireat", -3, pexpireat)
        .flags(WRITE | FAST)
        .acl(KEYSPACE)
        .keys(&[KS_RW_UPDATE_1])
        .doc("generic", "2.6.0", "O(1)", "Sets the expiration time of a key to a Unix milliseconds timestamp.")
        .syntax("key unix-time-milliseconds [NX | XX | GT | LT]"),
    Command::new("ttl", 2, ttl)
        .flags(READONLY | FAST)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RO | K_ACCESS, 1)])
        .doc("generic", "1.0.0", "O(1)", "Returns the expiration time in seconds of a key.")
        .syntax("key")
        .tips(&["nondeterministic_output"]),
    Command::new("pttl", 2, pttl)
        .flags(READONLY | FAST)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RO | K_ACCESS, 1)])
        .doc("generic", "2.6.0", "O(1)", "Returns the expiration time in milliseconds of a key.")
        .syntax("key")
        .tips(&["nondeterministic_output"]),
    Command::new("expiretime", 2, expiretime)
        .flags(READONLY | FAST)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RO | K_ACCESS, 1)])
        .doc("generic", "7.0.0", "O(1)", "Returns the expiration time of a key as a Unix timestamp.")
        .syntax("key"),
    Command::new("pexpiretime", 2, pexpiretime)
        .flags(READONLY | FAST)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RO | K_ACCESS, 1)])
        .doc("generic", "7.0.0", "O(1)", "Returns the expiration time of a key as a Unix milliseconds timestamp.")
        .syntax("key"),
    Command::new("persist", 2, persist)
        .flags(WRITE | FAST)
        .acl(KEYSPACE)
        .keys(&[KS_RW_UPDATE_1])
        .doc("generic", "2.2.0", "O(1)", "Removes the expiration time of a key.")
        .syntax("key"),
    Command::container("object", -2, OBJECT_SUBS)
        .acl(SLOW)
        .doc("generic", "2.2.3", "Depends on subcommand.", "A container for object introspection commands."),
];

static OBJECT_SUBS: &[Command] = &[
    Command::new("encoding", 3, object_encoding)
        .flags(READONLY)
        .acl(KEYSPACE)
        .keys(&[KS_RO_2])
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Returns the internal encoding of a Redis object.",
        )
        .syntax("key")
        .tips(&["nondeterministic_output"])
        .compat(
            "Reports the Redis encoding name that matches Pilgrim's representation of the value.",
        ),
    Command::new("refcount", 3, object_refcount)
        .flags(READONLY)
        .acl(KEYSPACE)
        .keys(&[KS_RO_2])
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Returns the reference count of a value of a key.",
        )
        .syntax("key")
        .tips(&["nondeterministic_output"])
        .compat(
            "Values are not shared: 1, except small integers, reported as shared like Redis does.",
        ),
    Command::new("idletime", 3, object_idletime)
        .flags(READONLY)
        .acl(KEYSPACE)
        .keys(&[KS_RO_2])
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Returns the time since the last access to a Redis object.",
        )
        .syntax("key")
        .tips(&["nondeterministic_output"]),
    Command::new("freq", 3, object_freq)
        .flags(READONLY)
        .acl(KEYSPACE)
        .keys(&[KS_RO_2])
        .doc(
            "generic",
            "4.0.0",
            "O(1)",
            "Returns the logarithmic access frequency counter of a Redis object.",
        )
        .syntax("key")
        .tips(&["nondeterministic_output"]),
    Command::new("help", 2, object_help)
        .flags(LOADING | STALE)
        .acl(KEYSPACE)
        .doc(
            "generic",
            "6.2.0",
            "O(1)",
            "Returns helpful text about the different subcommands.",
        ),
];

fn del(ctx: &mut Ctx) -> CmdResult {
    let mut n = 0;
    for i in 1..ctx.argc() {
        let k = ctx.arg(i);
        if ctx.db.delete(k) {
            ctx.db.touch(k);
            ctx.db.notify(notify::GENERIC, "del", k);
            ctx.db.dirty(1);
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn exists(ctx: &mut Ctx) -> CmdResult {
    let mut n = 0;
    for i in 1..ctx.argc() {
        if ctx.db.exists(ctx.arg(i)) {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn type_cmd(ctx: &mut Ctx) -> CmdResult {
    match ctx.db.value_type(ctx.arg(1)) {
        Some(t) => ctx.out.simple(t.name()),
        None => ctx.out.simple("none"),
    }
    Ok(())
}

fn keys(ctx: &mut Ctx) -> CmdResult {
    let pat = ctx.arg(1);
    let all = pat == b"*";
    let mut found = Vec::new();
    let mut cursor = 0;
    loop {
        cursor = ctx.db.scan(cursor, 1024, |e| {
            if all || glob_match(pat, e.key(), false) {
                found.push(e.key().to_vec());
            }
        });
        if cursor == 0 {
            break;
        }
    }
    ctx.out.array(found.len());
    for k in found {
        ctx.out.bulk(&k);
    }
    Ok(())
}

/// Parses a SCAN-family cursor the way Redis 7.2 does (C `strtoul`): an optional sign and
/// decimal digits, nothing after them, no leading space, no overflow. A minus sign wraps around
/// (`-1` is the largest cursor) and the empty string is cursor 0.
pub fn parse_cursor(s: &[u8]) -> Result<u64, Error> {
    let invalid = || Error::err("invalid cursor");
    let (neg, digits) = match s {
        [] => return Ok(0),
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((c - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// Options shared by SCAN, HSCAN, SSCAN, ZSCAN: MATCH, COUNT (and TYPE for SCAN).
pub struct ScanOpts<'a> {
    pub pattern: Option<&'a [u8]>,
    pub count: usize,
    pub type_filter: Option<&'a [u8]>,
    pub novalues: bool,
}

pub fn parse_scan_opts<'a>(
    ctx: &Ctx<'a, '_>,
    from: usize,
    allow_type: bool,
    allow_novalues: bool,
) -> Result<ScanOpts<'a>, Error> {
    let mut o = ScanOpts {
        pattern: None,
        count: 10,
        type_filter: None,
        novalues: false,
    };
    let mut i = from;
    while i < ctx.argc() {
        let more = ctx.argc() - i - 1;
        if ctx.is(i, "count") && more >= 1 {
            let n = ctx.int(i + 1)?;
            if n < 1 {
                return Err(SYNTAX);
            }
            o.count = n as usize;
            i += 2;
        } else if ctx.is(i, "match") && more >= 1 {
            let p = ctx.arg(i + 1);
            o.pattern = if p == b"*" { None } else { Some(p) };
            i += 2;
        } else if allow_type && ctx.is(i, "type") && more >= 1 {
            o.type_filter = Some(ctx.arg(i + 1));
            i += 2;
        } else if allow_novalues && ctx.is(i, "novalues") {
            o.novalues = true;
            i += 1;
        } else {
            return Err(SYNTAX);
        }
    }
    Ok(o)
}

fn scan(ctx: &mut Ctx) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(1))?;
    let o = parse_scan_opts(ctx, 2, true, false)?;
    let type_filter = match o.type_filter {
        Some(t) => match ValueType::from_name(t) {
            Some(t) => Some(t),
            // An unknown type matches nothing (Redis 7.2 behaviour).
            None => {
                let next = scan_unknown_type(ctx, cursor, o.count);
                return reply_scan(ctx, next, Vec::new());
            }
        },
        None => None,
    };
    let mut found = Vec::new();
    let next = ctx.db.scan(cursor, o.count, |e| {
        if o.pattern.is_some_and(|p| !glob_match(p, e.key(), false)) {
            return;
        }
        if type_filter.is_some_and(|t| t != e.value_type()) {
            return;
        }
        found.push(e.key().to_vec());
    });
    reply_scan(ctx, next, found)
}

fn scan_unknown_type(ctx: &mut Ctx, cursor: u64, count: usize) -> u64 {
    ctx.db.scan(cursor, count, |_| {})
}

fn reply_scan(ctx: &mut Ctx, next: u64, found: Vec<Vec<u8>>) -> CmdResult {
    ctx.out.array(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array(found.len());
    for k in found {
        ctx.out.bulk(&k);
    }
    Ok(())
}

fn randomkey(ctx: &mut Ctx) -> CmdResult {
    match ctx.db.random_key() {
        Some(k) => ctx.out.bulk(&k),
        None => ctx.out.null(),
    }
    Ok(())
}

fn rename_generic(ctx: &mut Ctx, nx: bool) -> Result<bool, Error> {
    let src = ctx.arg(1);
    let dst = ctx.arg(2);
    if !ctx.db.contains(src) {
        return Err(error::NO_SUCH_KEY);
    }
    if src == dst {
        return Ok(!nx);
    }
    if ctx.db.contains(dst) {
        if nx {
            return Ok(false);
        }
        ctx.db.delete(dst);
    }
    let (v, exp) = ctx.db.take(src).expect("checked above");
    ctx.db.add_with_expire(dst, v, exp);
    ctx.db.touch(src);
    ctx.db.touch(dst);
    ctx.db.notify(notify::GENERIC, "rename_from", src);
    ctx.db.notify(notify::GENERIC, "rename_to", dst);
    ctx.db.dirty(1);
    Ok(true)
}

fn rename(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, false)?;
    ctx.ok()
}

fn renamenx(ctx: &mut Ctx) -> CmdResult {
    let done = rename_generic(ctx, true)?;
    ctx.out.int(done as i64);
    Ok(())
}

fn parse_db(ctx: &Ctx, i: usize) -> Result<usize, Error> {
    let n = ctx.int32(i)?;
    if n < 0 || n as usize >= ctx.srv.ks.databases {
        return Err(error::DB_RANGE);
    }
    Ok(n as usize)
}

fn copy(ctx: &mut Ctx) -> CmdResult {
    let src = ctx.arg(1);
    let dst = ctx.arg(2);
    let mut dstdb = ctx.db.index;
    let mut replace = false;
    let mut i = 3;
    while i < ctx.argc() {
        if ctx.is(i, "replace") {
            replace = true;
            i += 1;
        } else if ctx.is(i, "db") && i + 1 < ctx.argc() {
            dstdb = parse_db(ctx, i + 1)?;
            i += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    if src == dst && dstdb == ctx.db.index {
        return Err(error::SAME_OBJECT);
    }
    // The copy keeps a "raw" string raw (Redis duplicates the object with its encoding).
    // The source is a read lookup: a missing one publishes `keymiss` (once).
    let raw = ctx
        .db
        .reading(|db| db.entry_info(src))
        .is_some_and(|(_, enc, _, _)| enc == "raw");
    let val = match ctx.db.get(src) {
        None => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(ValueRef::Str(s)) if raw => Value::RawStr(s.to_vec()),
        Some(v) => clone_value(&v),
    };
    let exp = ctx.db.ttl_at(src);
    let done = ctx.db.with_db(dstdb, |d| {
        if d.contains(dst) {
            if !replace {
                return false;
            }
            d.delete(dst);
        }
        d.add_with_expire(dst, val, exp);
        d.touch(dst);
        d.notify(notify::GENERIC, "copy_to", dst);
        d.dirty(1);
        true
    });
    ctx.out.int(done as i64);
    Ok(())
}

fn move_cmd(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let dstdb = parse_db(ctx, 2)?;
    let srcdb = ctx.db.index;
    if srcdb == dstdb {
        return Err(error::SAME_OBJECT);
    }
    if !ctx.db.contains(key) {
        ctx.out.int(0);
        return Ok(());
    }
    if ctx.db.with_db(dstdb, |d| d.contains(key)) {
        ctx.out.int(0);
        return Ok(());
    }
    // Redis adds to the target first (its `new` event comes first), then deletes the source.
    let (v, exp) = ctx.db.take(key).expect("checked");
    ctx.db.with_db(dstdb, |d| {
        d.add_with_expire(key, v, exp);
        d.touch(key);
    });
    ctx.db.touch(key);
    ctx.db.notify(notify::GENERIC, "move_from", key);
    ctx.db
        .with_db(dstdb, |d| d.notify(notify::GENERIC, "move_to", key));
    ctx.db.dirty(1);
    ctx.out.int(1);
    Ok(())
}

fn swapdb(ctx: &mut Ctx) -> CmdResult {
    // Both indexes must be C ints; anything else is "invalid ... DB index" (not a range error).
    let a = num::parse_i64(ctx.arg(1))
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| Error::err("invalid first DB index"))? as i64;
    let b = num::parse_i64(ctx.arg(2))
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| Error::err("invalid second DB index"))? as i64;
    let n = ctx.srv.ks.databases as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(error::DB_RANGE);
    }
    if a != b {
        ctx.db.swap_dbs(a as usize, b as usize);
    }
    ctx.db.dirty(1);
    ctx.ok()
}

fn touch(ctx: &mut Ctx) -> CmdResult {
    exists(ctx)
}

/// Flags of the EXPIRE family.
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(ctx: &Ctx) -> Result<ExpireFlags, Error> {
    let mut f = ExpireFlags::default();
    for i in 3..ctx.argc() {
        if ctx.is(i, "nx") {
            f.nx = true;
        } else if ctx.is(i, "xx") {
            f.xx = true;
        } else if ctx.is(i, "gt") {
            f.gt = true;
        } else if ctx.is(i, "lt") {
            f.lt = true;
        } else {
            return Err(Error::err(format!(
                "Unsupported option {}",
                String::from_utf8_lossy(ctx.arg(i))
            )));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(Error::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(Error::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT. `unit_ms` is 1000 for seconds; `relative` adds now.
fn expire_generic(ctx: &mut Ctx, unit_ms: i64, relative: bool) -> CmdResult {
    let key = ctx.arg(1);
    let name = ctx.cmd.name;
    let invalid = || Error::err(format!("invalid expire time in '{name}' command"));
    let flags = parse_expire_flags(ctx)?;
    let mut when = ctx.int(2)?;
    if unit_ms == 1000 {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    if relative {
        when = when.checked_add(ctx.db.now).ok_or_else(invalid)?;
    }
    let Some(cur) = ctx.db.expire_info(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let ok = if flags.nx {
        cur.is_none()
    } else if flags.xx {
        cur.is_some()
            && (!flags.gt || cur.is_some_and(|c| when > c))
            && (!flags.lt || cur.is_some_and(|c| when < c))
    } else if flags.gt {
        cur.is_some_and(|c| when > c)
    } else if flags.lt {
        cur.is_none_or(|c| when < c)
    } else {
        true
    };
    if !ok {
        ctx.out.int(0);
        return Ok(());
    }
    if when <= ctx.db.now && ctx.mode & super::ctx::LOADING == 0 {
        ctx.db.delete(key);
        ctx.db.touch(key);
        ctx.db.notify(notify::GENERIC, "del", key);
        ctx.db.propagate_as(vec![b"DEL".to_vec(), key.to_vec()]);
    } else {
        ctx.db.set_expire(key, when);
        ctx.db.touch(key);
        ctx.db.notify(notify::GENERIC, "expire", key);
        ctx.db.propagate_as(vec![
            b"PEXPIREAT".to_vec(),
            key.to_vec(),
            when.to_string().into_bytes(),
        ]);
    }
    ctx.db.dirty(1);
    ctx.out.int(1);
    Ok(())
}

fn expire(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 1000, true)
}
fn pexpire(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 1, true)
}
fn expireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 1000, false)
}
fn pexpireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 1, false)
}

fn ttl_generic(ctx: &mut Ctx, ms: bool, absolute: bool) -> CmdResult {
    let key = ctx.arg(1);
    // TTL counts as an access (Redis uses a read lookup that touches LRU).
    if !ctx.db.exists(key) {
        ctx.out.int(-2);
        return Ok(());
    }
    match ctx.db.ttl_at(key) {
        None => ctx.out.int(-1),
        Some(at) => {
            let v = if absolute {
                if ms { at } else { at / 1000 }
            } else {
                let left = (at - ctx.db.now).max(0);
                if ms { left } else { (left + 500) / 1000 }
            };
            ctx.out.int(v)
        }
    }
    Ok(())
}

fn ttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, false)
}
fn pttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, false)
}
fn expiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, true)
}
fn pexpiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, true)
}

fn persist(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    if ctx.db.persist(key) {
        ctx.db.touch(key);
        ctx.db.notify(notify::GENERIC, "persist", key);
        ctx.db.dirty(1);
        ctx.out.int(1);
    } else {
        ctx.out.int(0);
    }
    Ok(())
}

fn object_encoding(ctx: &mut Ctx) -> CmdResult {
    match ctx.db.entry_info(ctx.arg(2)) {
        Some((_, enc, _, _)) => ctx.out.bulk(enc.as_bytes()),
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_refcount(ctx: &mut Ctx) -> CmdResult {
    let shared_int =
        matches!(ctx.db.peek(ctx.arg(2)), Some(ValueRef::Int(v)) if (0..10000).contains(&v));
    match ctx.db.entry_info(ctx.arg(2)) {
        Some(_) => {
            // Redis shares the objects of small integers unless an LRU/LFU policy is set.
            let policy_tracks =
                ctx.srv.cfg.get("maxmemory-policy").contains("lru") || ctx.srv.lfu_policy();
            ctx.out.int(if shared_int && !policy_tracks {
                i32::MAX as i64
            } else {
                1
            })
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx) -> CmdResult {
    let Some((_, _, lru, _)) = ctx.db.entry_info(ctx.arg(2)) else {
        ctx.out.null();
        return Ok(());
    };
    if ctx.srv.lfu_policy() {
        return Err(Error::err(
            "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    ctx.out.int((ctx.srv.lru_idle_ms(lru) / 1000) as i64);
    Ok(())
}

fn object_freq(ctx: &mut Ctx) -> CmdResult {
    let Some((_, _, lru, _)) = ctx.db.entry_info(ctx.arg(2)) else {
        ctx.out.null();
        return Ok(());
    };
    if !ctx.srv.lfu_policy() {
        return Err(Error::err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    ctx.out.int(ctx.srv.lfu_decr_and_return(lru) as i64);
    Ok(())
}

fn object_help(ctx: &mut Ctx) -> CmdResult {
    super::connection::help_reply(
        ctx,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    )
}
