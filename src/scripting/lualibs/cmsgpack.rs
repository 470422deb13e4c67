//! `cmsgpack`: MessagePack encoding and decoding compatible with lua-cmsgpack 0.4.0 as
//! bundled by Redis 7.2.
//!
//! Encoding rules kept from the C library (scripts compare packed bytes):
//! * a number that converts to int64 and back unchanged is packed as the smallest integer
//!   type; any other number as float32 when `(double)(float)d == d`, else as float64
//!   (so `1.5` and `inf` are float32, `0.1` and NaN float64, `-0.0` is the integer 0);
//! * strings use fixstr/str8/str16/str32; booleans true/false; everything that has no
//!   MessagePack form (nil, functions, userdata, threads) packs as nil (0xc0);
//! * a table is an array when its keys are exactly 1..n (an empty table is an empty
//!   array), otherwise a map in `next` order; tables nested 16 deep pack as nil, which
//!   also stops reference cycles;
//! * `pack(a, b, ...)` concatenates the encodings of all arguments.
//!
//! Decoding mirrors the C reader too: uint64 values are reinterpreted as signed, int64 go
//! through a double, unknown type bytes (bin, ext, 0xc1) are "Bad data format in input.",
//! truncated input is "Missing bytes in input.". The C decoder calls `luaL_checkstack` as
//! it pushes values; the decoder here counts the same stack slots (LUAI_MAXCSTACK = 8000)
//! to raise the same "stack overflow (...)" errors. Decoding is iterative (enclosing
//! tables are parked in a Lua table) and results are handed back packed in a table, so
//! neither the Rust stack nor mlua's reference slots grow with the input.

use mlua::{IntoLuaMulti, Lua, MultiValue, Table, Value};

use super::bridge::{
    Args, LibError, LibResult, Returns, arg_error, c_double_to_i32, c_double_to_i64, lib_function,
    located,
};

/// Tables nested this deep are packed as nil.
const MAX_NESTING: usize = 16;
/// Lua 5.1's LUAI_MAXCSTACK.
const MAX_C_STACK: usize = 8000;

/// Creates the `cmsgpack` module table.
pub fn create_module(lua: &Lua) -> mlua::Result<Table> {
    let module = lua.create_table()?;
    module.set(
        "pack",
        lib_function(lua, |lua, args| pack(lua, Args::new(args)))?,
    )?;
    module.set(
        "unpack",
        lib_function(lua, |lua, args| unpack(lua, Args::new(args)))?,
    )?;
    module.set(
        "unpack_one",
        lib_function(lua, |lua, args| unpack_one(lua, Args::new(args)))?,
    )?;
    module.set(
        "unpack_limit",
        lib_function(lua, |lua, args| unpack_limit(lua, Args::new(args)))?,
    )?;
    module.set("_NAME", "cmsgpack")?;
    module.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    module.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    module.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(module)
}

/// `luaL_checkstack` failing: "stack overflow (<what>)" at the caller's position.
fn stack_overflow<T>(what: &str) -> LibResult<T> {
    located(format!("stack overflow ({what})"))
}

// ===== Encoding =====

fn encode_integer(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(out: &mut Vec<u8>, d: f64) {
    // IS_INT64_EQUIVALENT: !isinf(d) && (int64_t)d == d.
    if !d.is_infinite() && c_double_to_i64(d) as f64 == d {
        encode_integer(out, c_double_to_i64(d));
    } else if f64::from(d as f32) == d {
        out.push(0xca);
        out.extend_from_slice(&(d as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&d.to_be_bytes());
    }
}

fn encode_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

/// Array (`base` 0x90) or map (`base` 0x80) header.
fn encode_container_header(out: &mut Vec<u8>, base: u8, n: usize) {
    let (wide16, wide32) = if base == 0x90 {
        (0xdc, 0xdd)
    } else {
        (0xde, 0xdf)
    };
    if n <= 15 {
        out.push(base | n as u8);
    } else if n <= 0xffff {
        out.push(wide16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(wide32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// The encoder; `stack_used` tracks the Lua stack slots the C encoder would hold.
struct Encoder {
    out: Vec<u8>,
}

impl Encoder {
    fn value(&mut self, value: &Value, level: usize, stack_used: usize) -> LibResult<()> {
        match value {
            Value::String(s) => encode_bytes(&mut self.out, &s.as_bytes()),
            Value::Boolean(b) => self.out.push(if *b { 0xc3 } else { 0xc2 }),
            Value::Integer(_) | Value::Number(_) => {
                encode_number(&mut self.out, number_of(value).unwrap_or_default());
            }
            Value::Table(table) if level < MAX_NESTING => self.table(table, level, stack_used)?,
            _ => self.out.push(0xc0),
        }
        Ok(())
    }

    /// `table_is_an_array`: keys are exactly 1..n (counted in C `int`s).
    fn is_array(table: &Table, stack_used: usize) -> LibResult<bool> {
        if stack_used + 2 > MAX_C_STACK {
            return stack_overflow("in function table_is_an_array");
        }
        let mut count: i32 = 0;
        let mut max: i32 = 0;
        for pair in table.pairs::<Value, Value>() {
            let (key, _) = pair?;
            match number_of(&key) {
                Some(n) if n > 0.0 && f64::from(c_double_to_i32(n)) == n => {
                    max = max.max(n as i32);
                    count = count.wrapping_add(1);
                }
                _ => return Ok(false),
            }
        }
        Ok(max == count)
    }

    fn table(&mut self, table: &Table, level: usize, stack_used: usize) -> LibResult<()> {
        if Self::is_array(table, stack_used)? {
            let len = table.raw_len();
            encode_container_header(&mut self.out, 0x90, len);
            if stack_used + 1 > MAX_C_STACK {
                return stack_overflow("in function mp_encode_lua_table_as_array");
            }
            for index in 1..=len {
                let element: Value = table.raw_get(index)?;
                self.value(&element, level + 1, stack_used + 1)?;
            }
        } else {
            if stack_used + 3 > MAX_C_STACK {
                return stack_overflow("in function mp_encode_lua_table_as_map");
            }
            let mut len = 0usize;
            for pair in table.pairs::<Value, Value>() {
                pair?;
                len += 1;
            }
            encode_container_header(&mut self.out, 0x80, len);
            for pair in table.pairs::<Value, Value>() {
                let (key, element) = pair?;
                // Stack while encoding: ... key value key
                self.value(&key, level + 1, stack_used + 3)?;
                self.value(&element, level + 1, stack_used + 2)?;
            }
        }
        Ok(())
    }
}

fn pack(lua: &Lua, args: Args) -> LibResult<MultiValue> {
    let nargs = args.len();
    if nargs == 0 {
        return arg_error(0, "MessagePack pack needs input.");
    }
    if 2 * nargs > MAX_C_STACK {
        return arg_error(0, "Too many arguments for MessagePack pack.");
    }
    let mut encoder = Encoder { out: Vec::new() };
    for i in 1..=nargs {
        // The C loop keeps each argument's encoding on the stack until the final concat.
        let stack_used = nargs + (i - 1);
        if stack_used + 1 > MAX_C_STACK {
            return stack_overflow("in function mp_check");
        }
        encoder.value(args.get(i).unwrap_or(&Value::Nil), 0, stack_used + 1)?;
    }
    Ok(lua.create_string(&encoder.out)?.into_lua_multi(lua)?)
}

// ===== Decoding =====

/// Why decoding stopped early.
enum DecodeError {
    /// Not enough bytes to complete a value.
    Eof,
    /// A type byte the decoder does not know.
    BadFormat,
    /// A library error (stack overflow) or a Lua error (e.g. a nil or NaN map key).
    Lib(LibError),
}

impl From<mlua::Error> for DecodeError {
    fn from(err: mlua::Error) -> Self {
        DecodeError::Lib(LibError::Lua(err))
    }
}

struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
}

/// Lua's error for `t[nil] = v` / `t[NaN] = v` from `lua_settable`, raised without a
/// position like other runtime errors inside C functions.
fn invalid_key_error(key: &Value) -> Option<DecodeError> {
    let reason = match key {
        Value::Nil => "table index is nil",
        Value::Number(n) if n.is_nan() => "table index is NaN",
        _ => return None,
    };
    Some(DecodeError::Lib(LibError::Raw(reason.into())))
}

impl<'a> Decoder<'a> {
    fn need(&self, n: usize) -> Result<&'a [u8], DecodeError> {
        let data = self.data;
        data.get(self.pos..self.pos + n).ok_or(DecodeError::Eof)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let bytes = self.need(n)?;
        self.pos += n;
        Ok(bytes)
    }

    fn be_u64(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
    }

    fn string(&mut self, len_bytes: usize) -> Result<Value, DecodeError> {
        self.need(1 + len_bytes)?;
        self.pos += 1;
        let len = self.be_u64(len_bytes)? as usize;
        let bytes = self.take(len)?;
        Ok(Value::String(self.lua.create_string(bytes)?))
    }

    /// Reads one item at `stack_used` slots: a complete value, or the header of an array
    /// or map (whose table is created, as the C code does, before its elements).
    fn item(&mut self, stack_used: usize) -> Result<Item, DecodeError> {
        let byte = *self.need(1)?.first().ok_or(DecodeError::Eof)?;
        if stack_used + 1 > MAX_C_STACK {
            return Err(DecodeError::Lib(LibError::Located(
                "stack overflow (too many return values at once; use unpack_one or \
                 unpack_limit instead.)"
                    .into(),
            )));
        }
        let value = match byte {
            0xcc..=0xcf => {
                let width = 1 << (byte - 0xcc);
                self.need(1 + width)?;
                self.pos += 1;
                // lua_pushinteger of the unsigned value: uint64 wraps to negative.
                Value::Number(self.be_u64(width)? as i64 as f64)
            }
            0xd0..=0xd3 => {
                let width = 1 << (byte - 0xd0);
                self.need(1 + width)?;
                self.pos += 1;
                let raw = self.be_u64(width)?;
                let shift = 64 - 8 * width as u32;
                Value::Number(((raw << shift) as i64 >> shift) as f64)
            }
            0xc0 => {
                self.pos += 1;
                Value::Nil
            }
            0xc2 | 0xc3 => {
                self.pos += 1;
                Value::Boolean(byte == 0xc3)
            }
            0xca => {
                self.need(5)?;
                self.pos += 1;
                Value::Number(f64::from(f32::from_bits(self.be_u64(4)? as u32)))
            }
            0xcb => {
                self.need(9)?;
                self.pos += 1;
                Value::Number(f64::from_bits(self.be_u64(8)?))
            }
            0xd9 => self.string(1)?,
            0xda => self.string(2)?,
            0xdb => self.string(4)?,
            0xdc..=0xdf => {
                let width = if byte & 1 == 0 { 2 } else { 4 };
                self.need(1 + width)?;
                self.pos += 1;
                let len = self.be_u64(width)? as usize;
                return self.open(byte >= 0xde, len, stack_used);
            }
            _ if byte & 0x80 == 0 => {
                self.pos += 1;
                Value::Number(f64::from(byte))
            }
            _ if byte & 0xe0 == 0xe0 => {
                self.pos += 1;
                Value::Number(f64::from(byte as i8))
            }
            _ if byte & 0xe0 == 0xa0 => {
                let len = usize::from(byte & 0x1f);
                let bytes = self.need(1 + len)?;
                self.pos += 1 + len;
                Value::String(self.lua.create_string(&bytes[1..])?)
            }
            _ if byte & 0xf0 == 0x90 || byte & 0xf0 == 0x80 => {
                self.pos += 1;
                return self.open(byte & 0xf0 == 0x80, usize::from(byte & 0x0f), stack_used);
            }
            _ => return Err(DecodeError::BadFormat),
        };
        Ok(Item::Value(value))
    }

    fn open(&mut self, is_map: bool, len: usize, stack_used: usize) -> Result<Item, DecodeError> {
        let table = self.lua.create_table()?;
        if !is_map && stack_used + 2 > MAX_C_STACK {
            return Err(DecodeError::Lib(LibError::Located(
                "stack overflow (in function mp_decode_to_lua_array)".into(),
            )));
        }
        Ok(Item::Open(
            table,
            DecodeFrame {
                is_map,
                remaining: len,
                next_index: 1,
                stack_used,
            },
        ))
    }

    /// `mp_decode_to_lua_type` for one complete value, without recursion: the innermost
    /// open table and its pending map key are held here, the enclosing ones parked in a
    /// Lua table (`parked[2d-1]` = table, `parked[2d]` = pending key).
    fn value(&mut self, stack_used: usize) -> Result<Value, DecodeError> {
        let parked = self.lua.create_table()?;
        let mut frames: Vec<DecodeFrame> = Vec::new();
        let mut current: Option<Table> = None;
        let mut pending_key: Option<Value> = None;
        let mut stack_used = stack_used;
        loop {
            let mut value = match self.item(stack_used)? {
                Item::Value(value) => value,
                Item::Open(table, frame) if frame.remaining == 0 => Value::Table(table),
                Item::Open(table, frame) => {
                    if let Some(parent) = current.replace(table) {
                        let depth = frames.len();
                        parked.raw_set(2 * depth - 1, parent)?;
                        parked.raw_set(2 * depth, pending_key.take())?;
                    }
                    // Arrays push the index before each element; maps push the key.
                    stack_used = frame.stack_used + if frame.is_map { 1 } else { 2 };
                    frames.push(frame);
                    continue;
                }
            };
            loop {
                let (Some(table), Some(frame)) = (&current, frames.last_mut()) else {
                    return Ok(value);
                };
                if frame.is_map {
                    let Some(key) = pending_key.take() else {
                        pending_key = Some(value);
                        stack_used = frame.stack_used + 2;
                        break;
                    };
                    if let Some(err) = invalid_key_error(&key) {
                        return Err(err);
                    }
                    table.raw_set(key, value)?;
                } else {
                    table.raw_set(frame.next_index as f64, value)?;
                    frame.next_index += 1;
                }
                frame.remaining -= 1;
                if frame.remaining > 0 {
                    stack_used = frame.stack_used + if frame.is_map { 1 } else { 2 };
                    break;
                }
                frames.pop();
                value = current.take().map_or(Value::Nil, Value::Table);
                let depth = frames.len();
                if depth > 0 {
                    current = parked.raw_get(2 * depth - 1)?;
                    pending_key = parked.raw_get(2 * depth)?;
                    parked.raw_set(2 * depth - 1, Value::Nil)?;
                    parked.raw_set(2 * depth, Value::Nil)?;
                }
            }
        }
    }
}

/// An array or map being filled.
struct DecodeFrame {
    is_map: bool,
    /// Elements (or key/value pairs) still to read.
    remaining: usize,
    next_index: usize,
    /// Stack slots in use below the container's table.
    stack_used: usize,
}

/// What [`Decoder::item`] read.
enum Item {
    Value(Value),
    Open(Table, DecodeFrame),
}

/// `mp_unpack_full`: decodes up to `limit` values starting at byte `offset`; with both
/// zero it decodes everything and returns no offset, otherwise the next offset (or -1
/// once the input is consumed) comes first.
///
/// `base_slots` is the number of arguments left on the C stack during decoding.
fn unpack_full(
    lua: &Lua,
    data: &[u8],
    limit: i64,
    offset: i64,
    base_slots: usize,
) -> LibResult<Returns> {
    let len = data.len();
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        // The C message prints the input length where it means the limit.
        return located(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        ));
    }
    if offset as u64 > len as u64 {
        return located(format!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        ));
    }
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut decoder = Decoder {
        lua,
        data,
        pos: offset as usize,
    };
    // Slot 1 is reserved for the next offset, filled in at the end.
    let results = lua.create_table()?;
    let first = if decode_all { 1 } else { 2 };
    let mut count: usize = 0;
    while decoder.pos < len && (count as i64) < limit {
        // Stack: the arguments plus the values decoded so far.
        match decoder.value(base_slots + count) {
            Ok(value) => results.raw_set(first + count, value)?,
            Err(DecodeError::Eof) => return located("Missing bytes in input."),
            Err(DecodeError::BadFormat) => return located("Bad data format in input."),
            Err(DecodeError::Lib(err)) => return Err(err),
        }
        count += 1;
    }
    if !decode_all {
        if base_slots + count + 1 > MAX_C_STACK {
            return stack_overflow("in function mp_unpack_full");
        }
        let next = if decoder.pos == len {
            -1
        } else {
            decoder.pos as i64
        };
        results.raw_set(1, next)?;
        count += 1;
    }
    Ok(Returns::Packed {
        table: results,
        count,
    })
}

fn unpack(lua: &Lua, args: Args) -> LibResult<Returns> {
    let data = args.check_string(lua, 1)?;
    unpack_full(lua, &data.as_bytes(), 0, 0, args.len())
}

fn unpack_one(lua: &Lua, args: Args) -> LibResult<Returns> {
    let offset = args.opt_integer(lua, 2, 0)?;
    let data = args.check_string(lua, 1)?;
    unpack_full(lua, &data.as_bytes(), 1, offset, 1)
}

fn unpack_limit(lua: &Lua, args: Args) -> LibResult<Returns> {
    let limit = args.check_integer(lua, 2)?;
    let offset = args.opt_integer(lua, 3, 0)?;
    let data = args.check_string(lua, 1)?;
    unpack_full(lua, &data.as_bytes(), limit, offset, 1)
}
