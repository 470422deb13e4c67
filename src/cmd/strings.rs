//! String commands: GET/SET and friends, counters, ranges, MGET/MSET.
//!
//! Bit operations, LCS and INCRBYFLOAT live in `bits.rs`.

use super::ctx::Ctx;
use super::table::*;
use crate::error::{self, CmdResult, Error, SYNTAX, WRONGTYPE};
use crate::server::notify;
use crate::store::entry::{Value, ValueRef};
use crate::util::num;

const RO_ACCESS_1: KeySpec = key_at(K_RO | K_ACCESS, 1);
const RW_UPDATE_1: KeySpec = key_at(K_RW | K_ACCESS | K_UPDATE, 1);
const OW_UPDATE_1: KeySpec = key_at(K_OW | K_UPDATE, 1);

pub static COMMANDS: &[Command] = &[
    Command::new("get", 2, get)
        .flags(READONLY | FAST)
        .acl(STRING)
        .keys(&[RO_ACCESS_1])
        .doc("string", "1.0.0", "O(1)", "Returns the string value of a key.")
        .syntax("key"),
    Command::new("set", -3, set)
        .flags(WRITE | DENYOOM)
        .acl(STRING)
        .keys(&[KeySpec { notes: "RW and ACCESS due to the optional `GET` argument", ..key_at(K_RW | K_ACCESS | K_UPDATE | K_VARIABLE_FLAGS, 1) }])
        .doc("string", "1.0.0", "O(1)", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.")
        .syntax("key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"),
    Command::new("setnx", 3, setnx)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STRING)
        .keys(&[key_at(K_OW | K_INSERT, 1)])
        .doc("string", "1.0.0", "O(1)", "Set the string value of a key only when the key doesn't exist.")
        .syntax("key value")
        .deprecated("2.6.12", "`SET` with the `NX` argument"),
    Command::new("setex", 4, setex)
        .flags(WRITE | DENYOOM)
        .acl(STRING)
        .keys(&[OW_UPDATE_1])
        .doc("string", "2.0.0", "O(1)", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.")
        .syntax("key seconds value")
        .deprecated("2.6.12", "`SET` with the `EX` argument"),
    Command::new("psetex", 4, psetex)
        .flags(WRITE | DENYOOM)
        .acl(STRING)
        .keys(&[OW_UPDATE_1])
        .doc("string", "2.6.0", "O(1)", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.")
        .syntax("key milliseconds value")
        .deprecated("2.6.12", "`SET` with the `PX` argument"),
    Command::new("getset", 3, getset)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STRING)
        .keys(&[RW_UPDATE_1])
        .doc("string", "1.0.0", "O(1)", "Returns the previous string value of a key after setting it to a new value.")
        .syntax("key value")
        .deprecated("6.2.0", "`SET` with the `!GET` argument"),
    Command::new("getdel", 2, getdel)
        .flags(WRITE | FAST)
        .acl(STRING)
        .keys(&[key_at(K_RW | K_ACCESS | K_DELETE, 1)])
        .doc("string", "6.2.0", "O(1)", "Returns the string value of a key after deleting the key.")
        .syntax("key"),
    Command::new("getex", -2, getex)
        .flags(WRITE | FAST)
        .acl(STRING)
        .keys(&[KeySpec { notes: "RW and UPDATE because it changes the TTL", ..key_at(K_RW | K_ACCESS | K_UPDATE, 1) }])
        .doc("string", "6.2.0", "O(1)", "Returns the string value of a key after setting its expiration time.")
        .syntax("key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]"),
    Command::new("mget", -2, mget)
        .flags(READONLY | FAST)
        .acl(STRING)
        .keys(&[keys_range(K_RO | K_ACCESS, 1, -1, 1)])
        .doc("string", "1.0.0", "O(N) where N is the number of keys to retrieve.", "Atomically returns the string values of one or more keys.")
        .syntax("key [key ...]")
        .tips(&["request_policy:multi_shard"]),
    Command::new("mset", -3, mset)
        .flags(WRITE | DENYOOM)
        .acl(STRING)
        .keys(&[keys_range(K_OW | K_UPDATE, 1, -1, 2)])
        .doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Atomically creates or modifies the string values of one or more keys.")
        .syntax("key value [key value ...]")
        .tips(&["request_policy:multi_shard", "response_policy:all_succeeded"]),
    Command::new("msetnx", -3, msetnx)
        .flags(WRITE | DENYOOM)
        .acl(STRING)
        .keys(&[keys_range(K_OW | K_INSERT, 1, -1, 2)])
        .doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Atomically modifies the string values of one or more keys only when all keys don't exist.")
        .syntax("key value [key value ...]")
        .tips(&["request_policy:multi_shard", "response_policy:agg_min"]),
    Command::new("append", 3, append)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STRING)
        .keys(&[key_at(K_RW | K_INSERT, 1)])
        .doc("string", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "Appends a string to the value of a key. Creates the key if it doesn't exist.")
        .syntax("key value"),
    Command::new("strlen", 2, strlen)
        .flags(READONLY | FAST)
        .acl(STRING)
        .keys(&[key_at(K_RO, 1)])
        .doc("string", "2.2.0", "O(1)", "Returns the length of a string value.")
        .syntax("key"),
    Command::new("getrange", 4, getrange)
        .flags(READONLY)
        .acl(STRING)
        .keys(&[RO_ACCESS_1])
        .doc("string", "2.4.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Returns a substring of the string stored at a key.")
        .syntax("key start end"),
    Command::new("substr", 4, getrange)
        .flags(READONLY)
        .acl(STRING)
        .keys(&[RO_ACCESS_1])
        .doc("string", "1.0.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Returns a substring from a string value.")
        .syntax("key start end")
        .deprecated("2.0.0", "`GETRANGE`"),
    Command::new("setrange", 4, setrange)
        .flags(WRITE | DENYOOM)
        .acl(STRING)
        .keys(&[key_at(K_RW | K_UPDATE, 1)])
        .doc("string", "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.")
        .syntax("key offset value"),
    Command::new("incr", 2, incr)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STRING)
        .keys(&[RW_UPDATE_1])
        .doc("string", "1.0.0", "O(1)", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.")
        .syntax("key"),
    Command::new("decr", 2, decr)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STRING)
        .keys(&[RW_UPDATE_1])
        .doc("string", "1.0.0", "O(1)", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.")
        .syntax("key"),
    Command::new("incrby", 3, incrby)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STRING)
        .keys(&[RW_UPDATE_1])
        .doc("string", "1.0.0", "O(1)", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.")
        .syntax("key increment"),
    Command::new("decrby", 3, decrby)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STRING)
        .keys(&[RW_UPDATE_1])
        .doc("string", "1.0.0", "O(1)", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.")
        .syntax("key decrement"),
];

fn get(ctx: &mut Ctx) -> CmdResult {
    let mut buf = [0u8; 24];
    match ctx.db.get_str(ctx.args[1], &mut buf)? {
        Some(s) => {
            ThreadStats::bump(&ctx.stats.keyspace_hits, 1);
            ctx.out.bulk(s)
        }
        None => {
            ThreadStats::bump(&ctx.stats.keyspace_misses, 1);
            ctx.out.null()
        }
    }
    Ok(())
}

use crate::server::stats::ThreadStats;

/// Expiry options of SET/GETEX.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ExpOpt {
    None,
    Keep,
    Persist,
    /// Absolute time in ms.
    At(i64),
}

/// Parses `EX|PX|EXAT|PXAT value` at `i` (Redis's getExpireMillisecondsOrReply).
fn parse_expire_value(ctx: &Ctx, i: usize, unit_secs: bool, absolute: bool) -> Result<i64, Error> {
    let name = ctx.srv.commands.full_name(ctx.cmd);
    let invalid = Error::err(format!("invalid expire time in '{name}' command"));
    let v = ctx.int(i)?;
    if v <= 0 || (unit_secs && v > i64::MAX / 1000) {
        return Err(invalid);
    }
    let ms = if unit_secs { v * 1000 } else { v };
    if absolute {
        return Ok(ms);
    }
    ms.checked_add(ctx.db.now).ok_or(invalid)
}

struct SetOpts {
    nx: bool,
    xx: bool,
    get: bool,
    exp: ExpOpt,
    /// The EX/PX/EXAT/PXAT value not yet validated: (argument index, seconds, absolute).
    exp_arg: Option<(usize, bool, bool)>,
}

fn parse_set_opts(ctx: &Ctx, from: usize, is_getex: bool) -> Result<SetOpts, Error> {
    let mut o = SetOpts {
        nx: false,
        xx: false,
        get: false,
        exp: ExpOpt::None,
        exp_arg: None,
    };
    // The expiry option seen so far (lower-case name): repeating the same one is allowed (the
    // last value wins), combining two different ones is a syntax error, as in Redis.
    let mut exp_kind: Option<&'static str> = None;
    let compatible = |kind: Option<&str>, name: &str| kind.is_none_or(|k| k == name);
    // (argument index of the value, unit is seconds, absolute time)
    let mut exp_arg: Option<(usize, bool, bool)> = None;
    let mut i = from;
    while i < ctx.argc() {
        let next = i + 1 < ctx.argc();
        let timed = ["ex", "px", "exat", "pxat"]
            .into_iter()
            .find(|name| ctx.is(i, name));
        if !is_getex && ctx.is(i, "nx") && !o.xx {
            o.nx = true;
        } else if !is_getex && ctx.is(i, "xx") && !o.nx {
            o.xx = true;
        } else if !is_getex && ctx.is(i, "get") {
            o.get = true;
        } else if !is_getex && ctx.is(i, "keepttl") && compatible(exp_kind, "keepttl") {
            o.exp = ExpOpt::Keep;
            exp_kind = Some("keepttl");
        } else if is_getex && ctx.is(i, "persist") && compatible(exp_kind, "persist") {
            o.exp = ExpOpt::Persist;
            exp_kind = Some("persist");
        } else if let Some(name) = timed
            && next
            && compatible(exp_kind, name)
        {
            let secs = name == "ex" || name == "exat";
            let abs = name == "exat" || name == "pxat";
            exp_kind = Some(name);
            exp_arg = Some((i + 1, secs, abs));
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    o.exp_arg = exp_arg;
    Ok(o)
}

/// Validates the expiry value found by [`parse_set_opts`] (Redis checks it after the whole
/// syntax: SET before touching the key, GETEX only once the key is known to be a string).
fn resolve_expire(ctx: &Ctx, o: &mut SetOpts) -> CmdResult {
    if let Some((j, secs, abs)) = o.exp_arg {
        o.exp = ExpOpt::At(parse_expire_value(ctx, j, secs, abs)?);
    }
    Ok(())
}

fn set(ctx: &mut Ctx) -> CmdResult {
    let mut o = parse_set_opts(ctx, 3, false)?;
    resolve_expire(ctx, &mut o)?;
    let key = ctx.args[1];
    let val = ctx.args[2];
    let mut old: Option<Vec<u8>> = None;
    if o.get {
        old = ctx.db.reading(|db| db.get_str_vec(key))?;
    }
    let exists = if o.get {
        old.is_some()
    } else if o.nx || o.xx {
        ctx.db.contains(key)
    } else {
        false
    };
    if (o.nx && exists) || (o.xx && !exists) {
        if o.get {
            reply_opt(ctx, old);
        } else {
            ctx.out.null();
        }
        return Ok(());
    }
    let expire = match o.exp {
        ExpOpt::At(at) => Some(at),
        ExpOpt::Keep => ctx.db.ttl_at(key),
        _ => None,
    };
    ctx.db
        .set_with_expire(key, Value::Str(val.to_vec()), expire);
    ctx.db.touch(key);
    ctx.db.dirty(1);
    ctx.db.notify(notify::STRING, "set", key);
    if let ExpOpt::At(at) = o.exp {
        ctx.db.notify(notify::GENERIC, "expire", key);
        if ctx.db.fx.recording {
            let mut argv = vec![
                b"SET".to_vec(),
                key.to_vec(),
                val.to_vec(),
                b"PXAT".to_vec(),
                at.to_string().into_bytes(),
            ];
            if o.get {
                argv.push(b"GET".to_vec());
            }
            ctx.db.propagate_as(argv);
        }
    }
    if o.get {
        reply_opt(ctx, old);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn reply_opt(ctx: &mut Ctx, v: Option<Vec<u8>>) {
    match v {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
}

fn setnx(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args[1];
    if ctx.db.contains(key) {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.db.add(key, Value::Str(ctx.args[2].to_vec()));
    ctx.db.touch(key);
    ctx.db.dirty(1);
    ctx.db.notify(notify::STRING, "set", key);
    ctx.out.int(1);
    Ok(())
}

fn setex_generic(ctx: &mut Ctx, secs: bool) -> CmdResult {
    let key = ctx.args[1];
    let at = parse_expire_value(ctx, 2, secs, false)?;
    ctx.db
        .set_with_expire(key, Value::Str(ctx.args[3].to_vec()), Some(at));
    ctx.db.touch(key);
    ctx.db.dirty(1);
    ctx.db.notify(notify::STRING, "set", key);
    ctx.db.notify(notify::GENERIC, "expire", key);
    if ctx.db.fx.recording {
        ctx.db.propagate_as(vec![
            b"SET".to_vec(),
            key.to_vec(),
            ctx.args[3].to_vec(),
            b"PXAT".to_vec(),
            at.to_string().into_bytes(),
        ]);
    }
    ctx.ok()
}

fn setex(ctx: &mut Ctx) -> CmdResult {
    setex_generic(ctx, true)
}

fn psetex(ctx: &mut Ctx) -> CmdResult {
    setex_generic(ctx, false)
}

fn getset(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args[1];
    let old = ctx.db.reading(|db| db.get_str_vec(key))?;
    ctx.db.set(key, Value::Str(ctx.args[2].to_vec()), false);
    ctx.db.touch(key);
    ctx.db.dirty(1);
    ctx.db.notify(notify::STRING, "set", key);
    reply_opt(ctx, old);
    Ok(())
}

fn getdel(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args[1];
    let old = ctx.db.reading(|db| db.get_str_vec(key))?;
    if old.is_some() {
        ctx.db.delete(key);
        ctx.db.touch(key);
        ctx.db.dirty(1);
        ctx.db.notify(notify::GENERIC, "del", key);
    }
    reply_opt(ctx, old);
    Ok(())
}

fn getex(ctx: &mut Ctx) -> CmdResult {
    let mut o = parse_set_opts(ctx, 2, true)?;
    let key = ctx.args[1];
    let Some(v) = ctx.db.reading(|db| db.get_str_vec(key))? else {
        ctx.out.null();
        return Ok(());
    };
    resolve_expire(ctx, &mut o)?;
    match o.exp {
        ExpOpt::At(at) if at <= ctx.db.now => {
            ctx.db.delete(key);
            ctx.db.touch(key);
            ctx.db.dirty(1);
            ctx.db.notify(notify::GENERIC, "del", key);
            ctx.db.propagate_as(vec![b"DEL".to_vec(), key.to_vec()]);
        }
        ExpOpt::At(at) => {
            ctx.db.set_expire(key, at);
            ctx.db.touch(key);
            ctx.db.dirty(1);
            ctx.db.notify(notify::GENERIC, "expire", key);
            ctx.db.propagate_as(vec![
                b"PEXPIREAT".to_vec(),
                key.to_vec(),
                at.to_string().into_bytes(),
            ]);
        }
        ExpOpt::Persist if ctx.db.persist(key) => {
            ctx.db.touch(key);
            ctx.db.dirty(1);
            ctx.db.notify(notify::GENERIC, "persist", key);
            ctx.db.propagate_as(vec![b"PERSIST".to_vec(), key.to_vec()]);
        }
        _ => {}
    }
    ctx.out.bulk(&v);
    Ok(())
}

fn mget(ctx: &mut Ctx) -> CmdResult {
    ctx.out.array(ctx.argc() - 1);
    let mut buf = [0u8; 24];
    for i in 1..ctx.argc() {
        // Non-string keys read as null in MGET.
        match ctx.db.get_str(ctx.args[i], &mut buf) {
            Ok(Some(s)) => {
                ThreadStats::bump(&ctx.stats.keyspace_hits, 1);
                ctx.out.bulk(s)
            }
            Ok(None) => {
                ThreadStats::bump(&ctx.stats.keyspace_misses, 1);
                ctx.out.null()
            }
            Err(_) => ctx.out.null(),
        }
    }
    Ok(())
}

fn mset_generic(ctx: &mut Ctx, nx: bool) -> Result<bool, Error> {
    if ctx.argc().is_multiple_of(2) {
        return Err(ctx.wrong_args());
    }
    if nx {
        for i in (1..ctx.argc()).step_by(2) {
            if ctx.db.contains(ctx.args[i]) {
                return Ok(false);
            }
        }
    }
    for i in (1..ctx.argc()).step_by(2) {
        let key = ctx.args[i];
        ctx.db.set(key, Value::Str(ctx.args[i + 1].to_vec()), false);
        ctx.db.touch(key);
        ctx.db.notify(notify::STRING, "set", key);
    }
    ctx.db.dirty((ctx.argc() / 2) as u64);
    Ok(true)
}

fn mset(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, false)?;
    ctx.ok()
}

fn msetnx(ctx: &mut Ctx) -> CmdResult {
    let done = mset_generic(ctx, true)?;
    ctx.out.int(done as i64);
    Ok(())
}

/// The proto-max-bulk-len limit for string sizes.
pub fn check_string_len(ctx: &Ctx, len: u64) -> CmdResult {
    if len
        > ctx
            .srv
            .hot
            .proto_max_bulk_len
            .load(std::sync::atomic::Ordering::Relaxed)
    {
        return Err(error::STRING_TOO_BIG);
    }
    Ok(())
}

fn append(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args[1];
    let add = ctx.args[2];
    let len = match ctx.db.value_type(key) {
        None => {
            // A new key gets the value as SET would store it (an integer when it is one).
            ctx.db.add(key, Value::Str(add.to_vec()));
            add.len()
        }
        Some(crate::store::entry::ValueType::String) => {
            let cur = ctx.db.get_str_vec(key)?.map_or(0, |v| v.len());
            check_string_len(ctx, (cur + add.len()) as u64)?;
            let v = ctx.db.string_mut(key)?.expect("exists");
            v.extend_from_slice(add);
            v.len()
        }
        Some(_) => return Err(WRONGTYPE),
    };
    ctx.db.touch(key);
    ctx.db.dirty(1);
    ctx.db.notify(notify::STRING, "append", key);
    ctx.out.int(len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx) -> CmdResult {
    let n = match ctx.db.get(ctx.args[1]) {
        None => 0,
        Some(ValueRef::Str(s)) => s.len(),
        Some(ValueRef::Int(i)) => num::i64_to_vec(i).len(),
        Some(_) => return Err(WRONGTYPE),
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn getrange(ctx: &mut Ctx) -> CmdResult {
    let mut start = ctx.int(2)?;
    let mut end = ctx.int(3)?;
    let mut buf = [0u8; 24];
    let Some(s) = ctx.db.get_str(ctx.args[1], &mut buf)? else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        ctx.out.bulk(b"");
        return Ok(());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        ctx.out.bulk(b"");
    } else {
        ctx.out.bulk(&s[start as usize..=end as usize]);
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args[1];
    let offset = ctx.int(2)?;
    let val = ctx.args[3];
    if offset < 0 {
        return Err(Error::err("offset is out of range"));
    }
    let offset = offset as usize;
    let len = match ctx.db.value_type(key) {
        None => {
            if val.is_empty() {
                ctx.out.int(0);
                return Ok(());
            }
            check_string_len(ctx, (offset + val.len()) as u64)?;
            let mut v = vec![0u8; offset + val.len()];
            v[offset..].copy_from_slice(val);
            let n = v.len();
            ctx.db.add(key, Value::RawStr(v));
            n
        }
        Some(crate::store::entry::ValueType::String) => {
            let cur = ctx.db.get_str_vec(key)?.map_or(0, |v| v.len());
            if val.is_empty() {
                ctx.out.int(cur as i64);
                return Ok(());
            }
            check_string_len(ctx, (offset + val.len()) as u64)?;
            let v = ctx.db.string_mut(key)?.expect("exists");
            if v.len() < offset + val.len() {
                v.resize(offset + val.len(), 0);
            }
            v[offset..offset + val.len()].copy_from_slice(val);
            v.len()
        }
        Some(_) => return Err(WRONGTYPE),
    };
    ctx.db.touch(key);
    ctx.db.dirty(1);
    ctx.db.notify(notify::STRING, "setrange", key);
    ctx.out.int(len as i64);
    Ok(())
}

fn incr_generic(ctx: &mut Ctx, by: i64) -> CmdResult {
    let key = ctx.args[1];
    let cur = ctx.db.get_int(key)?;
    let v = cur.unwrap_or(0).checked_add(by).ok_or(error::OVERFLOW)?;
    let keep = ctx.db.ttl_at(key);
    ctx.db.set_with_expire(key, Value::Int(v), keep);
    ctx.db.touch(key);
    ctx.db.dirty(1);
    ctx.db.notify(notify::STRING, "incrby", key);
    ctx.out.int(v);
    Ok(())
}

fn incr(ctx: &mut Ctx) -> CmdResult {
    incr_generic(ctx, 1)
}

fn decr(ctx: &mut Ctx) -> CmdResult {
    incr_generic(ctx, -1)
}

fn incrby(ctx: &mut Ctx) -> CmdResult {
    let by = ctx.int(2)?;
    incr_generic(ctx, by)
}

fn decrby(ctx: &mut Ctx) -> CmdResult {
    let by = ctx.int(2)?;
    if by == i64::MIN {
        return Err(Error::err("decrement would overflow"));
    }
    incr_generic(ctx, -by)
}
