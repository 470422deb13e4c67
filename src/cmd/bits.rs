//! Bit-level string commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, plus the
//! string commands that need more than byte copies: INCRBYFLOAT and LCS.
//!
//! A bitmap is an ordinary string value. Bit `n` is bit `7 - n % 8` of byte `n / 8`, i.e. bit 0
//! is the most significant bit of the first byte (Redis's order, so `SETBIT k 7 1` on an empty
//! key yields "\x01"). Reading past the end of a string reads zeros; writing past it grows the
//! string with zero bytes, which is why every write first sizes the buffer for the highest bit
//! it will touch. Integer-encoded strings are read through their decimal text, exactly like
//! Redis does, and converted to a plain byte buffer ("raw") when written.
//!
//! Argument checks happen in Redis's order (Redis 7.2): for BITCOUNT and BITPOS the key is looked
//! up before the range arguments are parsed, so a missing key answers 0 / -1 even for malformed
//! ranges; SETBIT, GETBIT and BITFIELD validate every argument before touching the key.

use super::ctx::{self, Ctx};
use super::table::*;
use crate::error::{CmdResult, Error, SYNTAX, WRONGTYPE};
use crate::server::notify;
use crate::store::entry::{Value, ValueType};
use crate::util::num;

const RO_ACCESS_1: KeySpec = key_at(K_RO | K_ACCESS, 1);

pub static COMMANDS: &[Command] = &[
    Command::new("setbit", 4, setbit)
        .flags(WRITE | DENYOOM)
        .acl(BITMAP)
        .keys(&[key_at(K_RW | K_ACCESS | K_UPDATE, 1)])
        .doc("bitmap", "2.2.0", "O(1)", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.")
        .syntax("key offset value"),
    Command::new("getbit", 3, getbit)
        .flags(READONLY | FAST)
        .acl(BITMAP)
        .keys(&[RO_ACCESS_1])
        .doc("bitmap", "2.2.0", "O(1)", "Returns a bit value by offset.")
        .syntax("key offset"),
    Command::new("bitcount", -2, bitcount)
        .flags(READONLY)
        .acl(BITMAP)
        .keys(&[RO_ACCESS_1])
        .doc("bitmap", "2.6.0", "O(N)", "Counts the number of set bits (population counting) in a string.")
        .syntax("key [start end [BYTE | BIT]]"),
    Command::new("bitpos", -3, bitpos)
        .flags(READONLY)
        .acl(BITMAP)
        .keys(&[RO_ACCESS_1])
        .doc("bitmap", "2.8.7", "O(N)", "Finds the first set (1) or clear (0) bit in a string.")
        .syntax("key bit [start [end [BYTE | BIT]]]"),
    Command::new("bitop", -4, bitop)
        .flags(WRITE | DENYOOM)
        .acl(BITMAP)
        .keys(&[key_at(K_OW | K_UPDATE, 2), keys_range(K_RO | K_ACCESS, 3, -1, 1)])
        .doc("bitmap", "2.6.0", "O(N)", "Performs bitwise operations on multiple strings, and stores the result.")
        .syntax("<AND | OR | XOR | NOT> destkey key [key ...]"),
    Command::new("bitfield", -2, bitfield)
        .flags(WRITE | DENYOOM)
        .acl(BITMAP)
        .keys(&[KeySpec {
            notes: "This command allows both access and modification of the key",
            ..key_at(K_RW | K_ACCESS | K_UPDATE | K_VARIABLE_FLAGS, 1)
        }])
        .doc("bitmap", "3.2.0", "O(1) for each subcommand specified", "Performs arbitrary bitfield integer operations on strings.")
        .syntax("key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]"),
    Command::new("bitfield_ro", -2, bitfield_ro)
        .flags(READONLY | FAST)
        .acl(BITMAP)
        .keys(&[RO_ACCESS_1])
        .doc("bitmap", "6.0.0", "O(1) for each subcommand specified", "Performs arbitrary read-only bitfield integer operations on strings.")
        .syntax("key [GET encoding offset [GET encoding offset ...]]"),
    Command::new("incrbyfloat", 3, incrbyfloat)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STRING)
        .keys(&[key_at(K_RW | K_ACCESS | K_UPDATE, 1)])
        .doc("string", "2.6.0", "O(1)", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.")
        .syntax("key increment"),
    Command::new("lcs", -3, lcs)
        .flags(READONLY)
        .acl(STRING)
        .keys(&[keys_range(K_RO | K_ACCESS, 1, 1, 1)])
        .doc("string", "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "Finds the longest common substring.")
        .syntax("key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"),
];

const BIT_OFFSET_ERR: Error = Error::lit("ERR bit offset is not an integer or out of range");
const BIT_VALUE_ERR: Error = Error::lit("ERR bit is not an integer or out of range");

/// Parses a bit offset (Redis's getBitOffsetFromArgument). With `hash_width > 0` (BITFIELD) the
/// form `#n` means `n * hash_width`. Offsets must address a byte below proto-max-bulk-len, except
/// when replaying the AOF, which must accept whatever was once accepted.
fn parse_bit_offset(ctx: &Ctx, arg: &[u8], hash_width: u32) -> Result<u64, Error> {
    let (digits, hashed) = match arg {
        [b'#', rest @ ..] if hash_width > 0 => (rest, true),
        _ => (arg, false),
    };
    let mut offset = num::parse_i64(digits).ok_or(BIT_OFFSET_ERR)?;
    if hashed {
        // Redis multiplies in a signed 64-bit integer; an overflow shows up as negative.
        offset = offset.wrapping_mul(hash_width as i64);
    }
    let limit = ctx
        .srv
        .hot
        .proto_max_bulk_len
        .load(std::sync::atomic::Ordering::Relaxed);
    if offset < 0 || (ctx.mode & ctx::LOADING == 0 && (offset as u64 >> 3) >= limit) {
        return Err(BIT_OFFSET_ERR);
    }
    Ok(offset as u64)
}

/// The bit at `offset` (0 past the end).
fn bit_at(s: &[u8], offset: u64) -> u8 {
    match s.get((offset >> 3) as usize) {
        Some(&b) => (b >> (7 - (offset & 7))) & 1,
        None => 0,
    }
}

/// Number of set bits in a byte slice.
fn popcount(s: &[u8]) -> u64 {
    let mut chunks = s.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        n += u64::from_ne_bytes(c.try_into().expect("8 bytes")).count_ones() as u64;
    }
    n + chunks
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>()
}

/// Number of set bits between bit offsets `first` and `last` (inclusive, both inside `s`).
fn popcount_bits(s: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let mut n = popcount(&s[fb..=lb]);
    // Remove the bits of the edge bytes that lie outside the range.
    let head = s[fb] & !(0xffu8 >> (first & 7));
    let tail = s[lb] & (0x7fu8 >> (last & 7));
    n -= (head.count_ones() + tail.count_ones()) as u64;
    n
}

/// First bit equal to `bit` between bit offsets `first` and `last` (inclusive, inside `s`).
fn find_bit(s: &[u8], first: u64, last: u64, bit: u8) -> Option<u64> {
    let skip_byte = if bit == 1 { 0x00 } else { 0xff };
    let mut i = first;
    while i <= last {
        if i & 7 == 0 && i + 7 <= last {
            // Skip whole bytes that cannot contain the bit.
            let from = (i >> 3) as usize;
            let to = ((last + 1) >> 3) as usize;
            match s[from..to].iter().position(|&b| b != skip_byte) {
                Some(p) => i = ((from + p) as u64) << 3,
                None => {
                    i = (to as u64) << 3;
                    continue;
                }
            }
        }
        if bit_at(s, i) == bit {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Redis's range normalisation for BITCOUNT/BITPOS: negative indexes count from the end, then
/// both ends are clamped into `[0, total - 1]`. The result may be empty (start > end).
fn clamp_range(mut start: i64, mut end: i64, total: i64) -> (i64, i64) {
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    (start, end)
}

/// Parses a BYTE | BIT unit argument: true for BIT.
fn parse_unit(arg: &[u8]) -> Result<bool, Error> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn setbit(ctx: &mut Ctx) -> CmdResult {
    let offset = parse_bit_offset(ctx, ctx.arg(2), 0)?;
    let on = ctx.int_with(3, BIT_VALUE_ERR)?;
    if on & !1 != 0 {
        return Err(BIT_VALUE_ERR);
    }
    let key = ctx.arg(1);
    let byte = (offset >> 3) as usize;
    let mask = 0x80u8 >> (offset & 7);
    // Redis signals a change only when the string was created or grown, or the bit flipped.
    let (old, changed) = match ctx.db.value_type(key) {
        None => {
            let mut v = vec![0u8; byte + 1];
            if on == 1 {
                v[byte] |= mask;
            }
            ctx.db.add(key, Value::RawStr(v));
            (false, true)
        }
        Some(ValueType::String) => {
            let v = ctx.db.string_mut(key)?.expect("checked: a string");
            let grown = v.len() <= byte;
            if grown {
                v.resize(byte + 1, 0);
            }
            let old = v[byte] & mask != 0;
            if on == 1 {
                v[byte] |= mask;
            } else {
                v[byte] &= !mask;
            }
            (old, grown || old != (on == 1))
        }
        Some(_) => return Err(WRONGTYPE),
    };
    if changed {
        ctx.db.touch(key);
        ctx.db.notify(notify::STRING, "setbit", key);
        ctx.db.dirty(1);
    }
    ctx.out.int(old as i64);
    Ok(())
}

fn getbit(ctx: &mut Ctx) -> CmdResult {
    let offset = parse_bit_offset(ctx, ctx.arg(2), 0)?;
    let mut buf = [0u8; 24];
    let bit = match ctx.db.get_str(ctx.arg(1), &mut buf)? {
        Some(s) => bit_at(s, offset),
        None => 0,
    };
    ctx.out.int(bit as i64);
    Ok(())
}

fn bitcount(ctx: &mut Ctx) -> CmdResult {
    let mut buf = [0u8; 24];
    let argc = ctx.argc();
    let Some(s) = ctx.db.get_str(ctx.args[1], &mut buf)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let count = match argc {
        2 => popcount(s),
        4 | 5 => {
            let start = num::parse_i64(ctx.args[2]).ok_or(crate::error::NOT_INT)?;
            let end = num::parse_i64(ctx.args[3]).ok_or(crate::error::NOT_INT)?;
            if start < 0 && end < 0 && start > end {
                ctx.out.int(0);
                return Ok(());
            }
            let is_bit = argc == 5 && parse_unit(ctx.args[4])?;
            let total = s.len() as i64 * if is_bit { 8 } else { 1 };
            let (start, end) = clamp_range(start, end, total);
            if start > end {
                0
            } else if is_bit {
                popcount_bits(s, start as u64, end as u64)
            } else {
                popcount(&s[start as usize..=end as usize])
            }
        }
        _ => return Err(SYNTAX),
    };
    ctx.out.int(count as i64);
    Ok(())
}

fn bitpos(ctx: &mut Ctx) -> CmdResult {
    let bit = ctx.int(2)?;
    if bit != 0 && bit != 1 {
        return Err(Error::err("The bit argument must be 1 or 0."));
    }
    let bit = bit as u8;
    let argc = ctx.argc();
    let mut buf = [0u8; 24];
    // A missing key is an infinite run of zeros.
    let Some(s) = ctx.db.get_str(ctx.args[1], &mut buf)? else {
        ctx.out.int(if bit == 1 { -1 } else { 0 });
        return Ok(());
    };
    let len = s.len() as i64;
    // The searched range in bits, and whether the caller bounded it explicitly.
    let (first, last, end_given) = match argc {
        3 => (0, len * 8 - 1, false),
        4..=6 => {
            let start = num::parse_i64(ctx.args[3]).ok_or(crate::error::NOT_INT)?;
            // Redis reads the unit before the end index.
            let is_bit = argc == 6 && parse_unit(ctx.args[5])?;
            let end = if argc >= 5 {
                num::parse_i64(ctx.args[4]).ok_or(crate::error::NOT_INT)?
            } else {
                len - 1
            };
            let total = if is_bit { len * 8 } else { len };
            let (start, end) = clamp_range(start, end, total);
            if start > end {
                // Checked before scaling to bits: `start` may be huge.
                ctx.out.int(-1);
                return Ok(());
            }
            if is_bit {
                (start, end, argc >= 5)
            } else {
                (start * 8, end * 8 + 7, argc >= 5)
            }
        }
        _ => return Err(SYNTAX),
    };
    if first > last {
        ctx.out.int(-1);
        return Ok(());
    }
    let pos = match find_bit(s, first as u64, last as u64, bit) {
        Some(p) => p as i64,
        // Without an explicit end, the string is seen as padded with zeros on the right.
        None if bit == 0 && !end_given => last + 1,
        None => -1,
    };
    ctx.out.int(pos);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx) -> CmdResult {
    let op = match ctx.arg(1).to_ascii_lowercase().as_slice() {
        b"and" => BitOp::And,
        b"or" => BitOp::Or,
        b"xor" => BitOp::Xor,
        b"not" => BitOp::Not,
        _ => return Err(SYNTAX),
    };
    if op == BitOp::Not && ctx.argc() != 4 {
        return Err(Error::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let dest = ctx.arg(2);
    let sources = &ctx.args[3..];
    // First pass: types and the result length (missing keys are empty strings).
    let mut buf = [0u8; 24];
    let mut maxlen = 0;
    // Sources are read lookups (a missing one publishes `keymiss`), once each as in Redis.
    let saved_miss = std::mem::replace(&mut ctx.db.miss_events, true);
    for key in sources {
        if let Some(s) = ctx.db.get_str(key, &mut buf)? {
            maxlen = maxlen.max(s.len());
        }
    }
    ctx.db.miss_events = saved_miss;
    // Second pass: fold the sources into the result one at a time (no copies of the sources).
    let mut res = vec![0u8; maxlen];
    if maxlen > 0 {
        for (n, key) in sources.iter().enumerate() {
            let s = ctx.db.get_str(key, &mut buf)?.unwrap_or(&[]);
            if n == 0 {
                res[..s.len()].copy_from_slice(s);
                if op == BitOp::Not {
                    res.iter_mut().for_each(|b| *b = !*b);
                }
                continue;
            }
            match op {
                BitOp::And => {
                    res.iter_mut().zip(s).for_each(|(r, b)| *r &= b);
                    res[s.len()..].fill(0);
                }
                BitOp::Or => res.iter_mut().zip(s).for_each(|(r, b)| *r |= b),
                BitOp::Xor => res.iter_mut().zip(s).for_each(|(r, b)| *r ^= b),
                BitOp::Not => unreachable!("NOT has a single source"),
            }
        }
        ctx.db.set(dest, Value::RawStr(res), false);
        ctx.db.touch(dest);
        ctx.db.notify(notify::STRING, "set", dest);
        ctx.db.dirty(1);
    } else if ctx.db.delete(dest) {
        ctx.db.touch(dest);
        ctx.db.notify(notify::GENERIC, "del", dest);
        ctx.db.dirty(1);
    }
    ctx.out.int(maxlen as i64);
    Ok(())
}

/// What to do when a BITFIELD write does not fit its type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldOpKind {
    Get,
    Set,
    IncrBy,
}

/// One parsed BITFIELD operation.
struct FieldOp {
    kind: FieldOpKind,
    offset: u64,
    bits: u32,
    signed: bool,
    /// The SET value or INCRBY increment.
    value: i64,
    overflow: Overflow,
}

const BITFIELD_TYPE_ERR: &str =
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// Parses a bitfield type `i<1..64>` or `u<1..63>`: (signed, bits).
fn parse_field_type(arg: &[u8]) -> Result<(bool, u32), Error> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(Error::err(BITFIELD_TYPE_ERR)),
    };
    match num::parse_i64(&arg[1..]) {
        Some(bits) if bits >= 1 && bits <= if signed { 64 } else { 63 } => {
            Ok((signed, bits as u32))
        }
        _ => Err(Error::err(BITFIELD_TYPE_ERR)),
    }
}

/// Reads `bits` bits at `offset` as an unsigned integer (zeros past the end of `s`).
fn get_field(s: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..bits as u64 {
        v = (v << 1) | bit_at(s, offset + i) as u64;
    }
    v
}

/// Writes the low `bits` bits of `v` at `offset` (`s` is large enough).
fn set_field(s: &mut [u8], offset: u64, bits: u32, v: u64) {
    for i in 0..bits as u64 {
        let bit = (v >> (bits as u64 - 1 - i)) & 1;
        let pos = offset + i;
        let byte = (pos >> 3) as usize;
        let mask = 0x80u8 >> (pos & 7);
        if bit == 1 {
            s[byte] |= mask;
        } else {
            s[byte] &= !mask;
        }
    }
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    if bits == 64 {
        v as i64
    } else {
        let shift = 64 - bits;
        ((v << shift) as i64) >> shift
    }
}

/// Applies a SET or INCRBY to a field: returns the value to store, or None when the operation
/// overflows under OVERFLOW FAIL. `old` is the field's current raw bits. Unsigned SET values are
/// taken as their 64-bit two's complement pattern, like Redis does (so `SET u8 0 -1` under SAT
/// saturates to 255).
fn field_update(op: &FieldOp, old: u64) -> Option<u64> {
    let bits = op.bits;
    let (lo, hi): (i128, i128) = if op.signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    let target: i128 = match (op.kind, op.signed) {
        (FieldOpKind::Set, true) => op.value as i128,
        (FieldOpKind::Set, false) => op.value as u64 as i128,
        (_, true) => sign_extend(old, bits) as i128 + op.value as i128,
        (_, false) => old as i128 + op.value as i128,
    };
    let stored = if target > hi || target < lo {
        match op.overflow {
            Overflow::Fail => return None,
            Overflow::Sat if target > hi => hi,
            Overflow::Sat => lo,
            Overflow::Wrap => target,
        }
    } else {
        target
    };
    // Keep the low `bits` bits (wrapping is exactly this truncation).
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    Some(stored as u64 & mask)
}

/// The reply value of a field's raw bits.
fn field_value(op: &FieldOp, raw: u64) -> i64 {
    if op.signed {
        sign_extend(raw, op.bits)
    } else {
        raw as i64
    }
}

fn bitfield(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, false)
}

fn bitfield_ro(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, true)
}

fn bitfield_generic(ctx: &mut Ctx, readonly_cmd: bool) -> CmdResult {
    let argc = ctx.argc();
    let mut ops: Vec<FieldOp> = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut highest_bit: Option<u64> = None;
    let mut j = 2;
    while j < argc {
        let remaining = argc - j - 1;
        let kind = if ctx.is(j, "get") && remaining >= 2 {
            FieldOpKind::Get
        } else if ctx.is(j, "set") && remaining >= 3 {
            FieldOpKind::Set
        } else if ctx.is(j, "incrby") && remaining >= 3 {
            FieldOpKind::IncrBy
        } else if ctx.is(j, "overflow") && remaining >= 1 {
            overflow = if ctx.is(j + 1, "wrap") {
                Overflow::Wrap
            } else if ctx.is(j + 1, "sat") {
                Overflow::Sat
            } else if ctx.is(j + 1, "fail") {
                Overflow::Fail
            } else {
                return Err(Error::err("Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(SYNTAX);
        };
        let (signed, bits) = parse_field_type(ctx.arg(j + 1))?;
        let offset = parse_bit_offset(ctx, ctx.arg(j + 2), bits)?;
        let mut value = 0;
        if kind != FieldOpKind::Get {
            let top = offset + bits as u64 - 1;
            highest_bit = Some(highest_bit.map_or(top, |h| h.max(top)));
            value = ctx.int(j + 3)?;
        }
        ops.push(FieldOp {
            kind,
            offset,
            bits,
            signed,
            value,
            overflow,
        });
        j += if kind == FieldOpKind::Get { 3 } else { 4 };
    }

    let key = ctx.arg(1);
    let Some(highest_bit) = highest_bit else {
        // Only reads: a missing key reads as zeros (and is a read miss, as in Redis).
        let mut buf = [0u8; 24];
        ctx.db.miss_events = true;
        let s = ctx.db.get_str(key, &mut buf)?.unwrap_or(&[]);
        ctx.out.array(ops.len());
        for op in &ops {
            let raw = get_field(s, op.offset, op.bits);
            ctx.out.int(field_value(op, raw));
        }
        return Ok(());
    };
    if readonly_cmd {
        return Err(Error::err("BITFIELD_RO only supports the GET subcommand"));
    }

    // Size the string for the farthest bit written (creating it if needed).
    let need = (highest_bit >> 3) as usize + 1;
    let grown = match ctx.db.value_type(key) {
        None => {
            ctx.db.add(key, Value::RawStr(vec![0u8; need]));
            true
        }
        Some(ValueType::String) => {
            let v = ctx.db.string_mut(key)?.expect("checked: a string");
            let grown = v.len() < need;
            if grown {
                v.resize(need, 0);
            }
            grown
        }
        Some(_) => return Err(WRONGTYPE),
    };
    let v = ctx.db.string_mut(key)?.expect("exists");
    let mut changes = 0;
    ctx.out.array(ops.len());
    for op in &ops {
        let old = get_field(v, op.offset, op.bits);
        if op.kind == FieldOpKind::Get {
            ctx.out.int(field_value(op, old));
            continue;
        }
        match field_update(op, old) {
            Some(new) => {
                let reply = if op.kind == FieldOpKind::Set {
                    old
                } else {
                    new
                };
                ctx.out.int(field_value(op, reply));
                set_field(v, op.offset, op.bits, new);
                if grown || old != new {
                    changes += 1;
                }
            }
            None => ctx.out.null(),
        }
    }
    if changes > 0 {
        ctx.db.touch(key);
        ctx.db.notify(notify::STRING, "setbit", key);
        ctx.db.dirty(changes);
    }
    Ok(())
}

/// INCRBYFLOAT computes in 80-bit extended precision and prints `%.17Lf` without trailing
/// zeros, exactly like Redis ([`LongDouble`](crate::util::longdouble::LongDouble)); the key keeps
/// its TTL, and the command propagates as `SET key <result> KEEPTTL` so that replaying it can
/// never round differently.
fn incrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let (key, increment) = (ctx.arg(1), ctx.arg(2));
    let mut buf = [0u8; 24];
    let current = ctx.db.get_str(key, &mut buf)?;
    let result = crate::util::longdouble::incrbyfloat(current, increment).map_err(Error::lit)?;
    let ttl = ctx.db.ttl_at(key);
    ctx.db
        .set_with_expire(key, Value::Str(result.clone().into_bytes()), ttl);
    ctx.db.touch(key);
    ctx.db.notify(notify::STRING, "incrbyfloat", key);
    ctx.db.dirty(1);
    if ctx.db.fx.recording {
        ctx.db.propagate_as(vec![
            b"SET".to_vec(),
            key.to_vec(),
            result.clone().into_bytes(),
            b"KEEPTTL".to_vec(),
        ]);
    }
    ctx.out.bulk(result.as_bytes());
    Ok(())
}

/// One matching range of LCS IDX: (start, end) in the first and second string, both inclusive.
struct LcsMatch {
    a: (usize, usize),
    b: (usize, usize),
}

fn lcs(ctx: &mut Ctx) -> CmdResult {
    let mut buf_a = [0u8; 24];
    let mut buf_b = [0u8; 24];
    // Both keys are read before the options are parsed, as Redis does.
    let a = match ctx.db.get_str(ctx.args[1], &mut buf_a) {
        Ok(v) => v.map(|s| s.to_vec()).unwrap_or_default(),
        Err(_) => return Err(LCS_TYPE_ERR),
    };
    let b = match ctx.db.get_str(ctx.args[2], &mut buf_b) {
        Ok(v) => v.map(|s| s.to_vec()).unwrap_or_default(),
        Err(_) => return Err(LCS_TYPE_ERR),
    };
    let (mut want_len, mut want_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len: i64 = 0;
    let mut j = 3;
    while j < ctx.argc() {
        if ctx.is(j, "idx") {
            want_idx = true;
        } else if ctx.is(j, "len") {
            want_len = true;
        } else if ctx.is(j, "withmatchlen") {
            with_match_len = true;
        } else if ctx.is(j, "minmatchlen") && j + 1 < ctx.argc() {
            min_match_len = ctx.int(j + 1)?.max(0);
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if want_len && want_idx {
        return Err(Error::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(Error::err("String too long for LCS"));
    }
    // The dynamic-programming table: cell (i, j) = LCS length of a[..i] and b[..j].
    let width = b.len() + 1;
    let cells = (a.len() as u64 + 1) * width as u64;
    let limit = ctx
        .srv
        .hot
        .proto_max_bulk_len
        .load(std::sync::atomic::Ordering::Relaxed);
    if cells.saturating_mul(4) > limit {
        return Err(Error::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells as usize).is_err() {
        return Err(Error::err(
            "Insufficient memory, failed allocating transient memory for LCS",
        ));
    }
    table.resize(cells as usize, 0);
    for i in 1..=a.len() {
        for k in 1..=b.len() {
            table[i * width + k] = if a[i - 1] == b[k - 1] {
                table[(i - 1) * width + k - 1] + 1
            } else {
                table[(i - 1) * width + k].max(table[i * width + k - 1])
            };
        }
    }
    let total = table[a.len() * width + b.len()] as usize;
    if want_len {
        ctx.out.int(total as i64);
        return Ok(());
    }

    // Walk back from the bottom-right corner, collecting the common subsequence (built
    // backwards) and the contiguous matching ranges, in the order Redis emits them: last first.
    let mut common = vec![0u8; total];
    let mut fill = total;
    let mut matches: Vec<LcsMatch> = Vec::new();
    let mut current: Option<LcsMatch> = None;
    let (mut i, mut k) = (a.len(), b.len());
    while i > 0 && k > 0 {
        let mut emit = false;
        if a[i - 1] == b[k - 1] {
            fill -= 1;
            common[fill] = a[i - 1];
            match &mut current {
                None => {
                    current = Some(LcsMatch {
                        a: (i - 1, i - 1),
                        b: (k - 1, k - 1),
                    })
                }
                // Consecutive matches on the diagonal extend the range backwards.
                Some(m) if m.a.0 == i && m.b.0 == k => {
                    m.a.0 -= 1;
                    m.b.0 -= 1;
                }
                Some(_) => emit = true,
            }
            if let Some(m) = &current
                && (m.a.0 == 0 || m.b.0 == 0)
            {
                emit = true;
            }
            i -= 1;
            k -= 1;
        } else {
            if table[(i - 1) * width + k] > table[i * width + k - 1] {
                i -= 1;
            } else {
                k -= 1;
            }
            emit = current.is_some();
        }
        if emit && let Some(m) = current.take() {
            let len = m.a.1 - m.a.0 + 1;
            if min_match_len == 0 || len as i64 >= min_match_len {
                matches.push(m);
            }
        }
    }
    if !want_idx {
        ctx.out.bulk(&common);
        return Ok(());
    }
    ctx.out.map(2);
    ctx.out.bulk(b"matches");
    ctx.out.array(matches.len());
    for m in &matches {
        ctx.out.array(if with_match_len { 3 } else { 2 });
        ctx.out.array(2);
        ctx.out.int(m.a.0 as i64);
        ctx.out.int(m.a.1 as i64);
        ctx.out.array(2);
        ctx.out.int(m.b.0 as i64);
        ctx.out.int(m.b.1 as i64);
        if with_match_len {
            ctx.out.int((m.a.1 - m.a.0 + 1) as i64);
        }
    }
    ctx.out.bulk(b"len");
    ctx.out.int(total as i64);
    Ok(())
}

const LCS_TYPE_ERR: Error = Error::lit("ERR The specified keys must contain string values");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_helpers() {
        let s = [0b1010_0000u8, 0xff, 0x01];
        assert_eq!(bit_at(&s, 0), 1);
        assert_eq!(bit_at(&s, 1), 0);
        assert_eq!(bit_at(&s, 23), 1);
        assert_eq!(bit_at(&s, 24), 0);
        assert_eq!(popcount(&s), 11);
        assert_eq!(popcount_bits(&s, 0, 23), 11);
        assert_eq!(popcount_bits(&s, 1, 7), 1);
        assert_eq!(popcount_bits(&s, 2, 2), 1);
        assert_eq!(popcount_bits(&s, 3, 22), 8);
        assert_eq!(find_bit(&s, 0, 23, 1), Some(0));
        assert_eq!(find_bit(&s, 1, 23, 1), Some(2));
        assert_eq!(find_bit(&s, 3, 23, 1), Some(8));
        assert_eq!(find_bit(&s, 8, 15, 0), None);
        assert_eq!(find_bit(&s, 8, 23, 0), Some(16));
        assert_eq!(find_bit(&s, 16, 22, 1), None);
    }

    #[test]
    fn popcount_and_find_match_a_bit_by_bit_model() {
        // xorshift64: deterministic pseudo-random bitmaps.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200 {
            let len = (next() % 40) as usize + 1;
            let s: Vec<u8> = (0..len)
                .map(|_| match round % 3 {
                    0 => next() as u8,
                    1 => 0,
                    _ => 0xff,
                })
                .collect();
            let nbits = len as u64 * 8;
            let first = next() % nbits;
            let last = first + next() % (nbits - first);
            let model: Vec<u8> = (first..=last).map(|i| bit_at(&s, i)).collect();
            assert_eq!(
                popcount_bits(&s, first, last),
                model.iter().map(|&b| b as u64).sum::<u64>()
            );
            for bit in [0u8, 1] {
                let want = model
                    .iter()
                    .position(|&b| b == bit)
                    .map(|p| first + p as u64);
                assert_eq!(find_bit(&s, first, last, bit), want);
            }
        }
    }

    #[test]
    fn field_roundtrip_and_overflow() {
        let mut s = vec![0u8; 16];
        set_field(&mut s, 5, 13, 0x1abc);
        assert_eq!(get_field(&s, 5, 13), 0x1abc);
        set_field(&mut s, 64, 64, u64::MAX - 1);
        assert_eq!(get_field(&s, 64, 64), u64::MAX - 1);
        assert_eq!(sign_extend(0xff, 8), -1);
        assert_eq!(sign_extend(0x7f, 8), 127);
        let op = |kind, signed, bits, value, overflow| FieldOp {
            kind,
            offset: 0,
            bits,
            signed,
            value,
            overflow,
        };
        use FieldOpKind::*;
        use Overflow::*;
        assert_eq!(field_update(&op(IncrBy, false, 8, 10, Wrap), 250), Some(4));
        assert_eq!(field_update(&op(IncrBy, false, 8, 10, Sat), 250), Some(255));
        assert_eq!(field_update(&op(IncrBy, false, 8, -300, Sat), 250), Some(0));
        assert_eq!(field_update(&op(IncrBy, false, 8, 10, Fail), 250), None);
        assert_eq!(field_update(&op(Set, false, 8, -1, Sat), 0), Some(255));
        assert_eq!(field_update(&op(Set, false, 8, -1, Wrap), 0), Some(255));
        assert_eq!(field_update(&op(IncrBy, true, 8, 1, Wrap), 127), Some(0x80));
        assert_eq!(
            field_update(&op(IncrBy, true, 8, -1, Sat), 0x80),
            Some(0x80)
        );
        assert_eq!(field_update(&op(Set, true, 8, 200, Wrap), 0), Some(200));
        assert_eq!(field_update(&op(Set, true, 8, 200, Sat), 0), Some(127));
        assert_eq!(
            field_update(&op(IncrBy, true, 64, 1, Wrap), i64::MAX as u64),
            Some(i64::MIN as u64)
        );
        assert_eq!(
            field_update(&op(IncrBy, true, 64, 1, Sat), i64::MAX as u64),
            Some(i64::MAX as u64)
        );
        assert_eq!(
            field_update(&op(IncrBy, false, 63, 1, Wrap), (1u64 << 63) - 1),
            Some(0)
        );
    }
}
