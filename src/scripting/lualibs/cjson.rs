//! `cjson`: JSON encoding and decoding compatible with the Lua CJSON 2.1.0 that Redis 7.2
//! bundles (`cjson._VERSION == "2.1.0"`).
//!
//! Representation: each module table (the global `cjson`, or one made by `cjson.new()`)
//! owns a [`Config`] shared by its functions through an `Arc<Mutex<_>>`, matching the
//! per-module configuration userdata of the C library. JSON `null` is a NULL light
//! userdata (`cjson.null`), since Lua tables cannot hold nil.
//!
//! Behaviour kept from the C library, because scripts (and their error handling) see it:
//! * numbers are written with `"%.14g"` (precision configurable 1..14), so integers above
//!   10^14 come out in exponent form; NaN/Infinity are refused by default;
//! * `/` is escaped as `\/`, control characters and DEL as `\uXXXX` (or `\b \t \n \f \r`);
//! * a table is an array when all its keys are positive integral numbers, unless it is
//!   "excessively sparse" (see `encode_sparse_array`); an empty table encodes as `{}`;
//! * decoding numbers uses `strtod`, so hexadecimal, `inf`, `nan` and leading zeros are
//!   accepted while `decode_invalid_numbers` is on (the default);
//! * every error text, including the 1-based "at character N" positions, the nesting
//!   limits (1000 by default) and the C stack-slot checks (`lua_checkstack` against
//!   LUAI_MAXCSTACK = 8000), which the encoder and decoder emulate by counting the slots
//!   the C code would have used.
//!
//! The encoder and decoder are iterative and park the tables enclosing the current one in
//! a Lua table, so neither the Rust stack nor the number of live mlua references (kept
//! on an auxiliary Lua stack that cannot grow past 8000 slots) depends on the nesting.

use std::sync::{Arc, Mutex, PoisonError};

use mlua::{Function, IntoLuaMulti, LightUserData, Lua, LuaString, MultiValue, Table, Value};

use super::bridge::{
    Args, LibResult, arg_error, c_double_to_i32, lib_function, located, raw_next_function,
    type_name,
};

/// Lua 5.1's LUAI_MAXCSTACK: the most stack slots one C function may use.
const MAX_C_STACK: usize = 8000;

/// Configuration of one cjson module table; fields mirror `json_config_t`.
#[derive(Clone, Copy, Debug)]
struct Config {
    sparse_convert: bool,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// 0: refuse NaN/Infinity, 1: write them ("nan", "inf"), 2: write `null`.
    encode_invalid_numbers: i32,
    encode_number_precision: i32,
    encode_keep_buffer: bool,
    decode_invalid_numbers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            encode_number_precision: 14,
            encode_keep_buffer: true,
            decode_invalid_numbers: true,
        }
    }
}

type SharedConfig = Arc<Mutex<Config>>;

fn snapshot(config: &SharedConfig) -> Config {
    *config.lock().unwrap_or_else(PoisonError::into_inner)
}

fn update(config: &SharedConfig, change: impl FnOnce(&mut Config)) {
    change(&mut config.lock().unwrap_or_else(PoisonError::into_inner));
}

/// Creates a `cjson` module table with its own default configuration.
pub fn create_module(lua: &Lua) -> mlua::Result<Table> {
    let config: SharedConfig = Arc::new(Mutex::new(Config::default()));
    let module = lua.create_table()?;

    let cfg = config.clone();
    let next = raw_next_function(lua)?;
    module.set(
        "encode",
        lib_function(lua, move |lua, args| {
            encode(lua, Args::new(args), snapshot(&cfg), &next)
        })?,
    )?;
    let cfg = config.clone();
    module.set(
        "decode",
        lib_function(lua, move |lua, args| {
            decode(lua, Args::new(args), snapshot(&cfg))
        })?,
    )?;
    let cfg = config.clone();
    module.set(
        "encode_sparse_array",
        lib_function(lua, move |lua, args| {
            cfg_encode_sparse_array(lua, Args::new(args), &cfg)
        })?,
    )?;
    let cfg = config.clone();
    module.set(
        "encode_max_depth",
        lib_function(lua, move |lua, args| {
            integer_setting(lua, Args::new(args), &cfg, 1, i32::MAX, |c| {
                &mut c.encode_max_depth
            })
        })?,
    )?;
    let cfg = config.clone();
    module.set(
        "decode_max_depth",
        lib_function(lua, move |lua, args| {
            integer_setting(lua, Args::new(args), &cfg, 1, i32::MAX, |c| {
                &mut c.decode_max_depth
            })
        })?,
    )?;
    let cfg = config.clone();
    module.set(
        "encode_number_precision",
        lib_function(lua, move |lua, args| {
            integer_setting(lua, Args::new(args), &cfg, 1, 14, |c| {
                &mut c.encode_number_precision
            })
        })?,
    )?;
    let cfg = config.clone();
    module.set(
        "encode_keep_buffer",
        lib_function(lua, move |lua, args| {
            bool_setting(lua, Args::new(args), &cfg, |c| &mut c.encode_keep_buffer)
        })?,
    )?;
    let cfg = config.clone();
    module.set(
        "encode_invalid_numbers",
        lib_function(lua, move |lua, args| {
            cfg_encode_invalid_numbers(lua, Args::new(args), &cfg)
        })?,
    )?;
    let cfg = config;
    module.set(
        "decode_invalid_numbers",
        lib_function(lua, move |lua, args| {
            bool_setting(lua, Args::new(args), &cfg, |c| {
                &mut c.decode_invalid_numbers
            })
        })?,
    )?;
    module.set(
        "new",
        lib_function(lua, |lua, _args| {
            Ok(create_module(lua)?.into_lua_multi(lua)?)
        })?,
    )?;
    module.set(
        "null",
        Value::LightUserData(LightUserData(std::ptr::null_mut())),
    )?;
    module.set("_NAME", "cjson")?;
    module.set("_VERSION", "2.1.0")?;
    Ok(module)
}

// ===== Configuration functions =====

/// `json_arg_init`: at most `max_args` arguments.
fn check_arg_count(args: &Args, max_args: usize) -> LibResult<()> {
    if args.len() > max_args {
        return arg_error(max_args as i32 + 1, "found too many arguments");
    }
    Ok(())
}

/// `luaL_checkoption(L, n, NULL, options)`.
fn check_option(lua: &Lua, args: &Args, n: usize, options: &[&str]) -> LibResult<usize> {
    let name = args.check_string(lua, n)?;
    let name = name.as_bytes();
    match options.iter().position(|o| o.as_bytes() == &name[..]) {
        Some(index) => Ok(index),
        None => arg_error(
            n as i32,
            format!("invalid option '{}'", String::from_utf8_lossy(&name)),
        ),
    }
}

/// `json_enum_option` with the boolean options "off"/"on": parses argument `n` when given
/// and returns the (possibly updated) setting.
fn parse_bool_option(lua: &Lua, args: &Args, n: usize, current: bool) -> LibResult<bool> {
    match args.get(n) {
        None | Some(Value::Nil) => Ok(current),
        Some(Value::Boolean(b)) => Ok(*b),
        Some(_) => Ok(check_option(lua, args, n, &["off", "on"])? == 1),
    }
}

/// `json_integer_option`: note that the C code reports range errors against argument 1
/// whatever the option's position.
fn parse_integer_option(
    lua: &Lua,
    args: &Args,
    n: usize,
    current: i32,
    min: i32,
    max: i32,
) -> LibResult<i32> {
    if args.is_none_or_nil(n) {
        return Ok(current);
    }
    // luaL_checkinteger yields a lua_Integer that the C code stores in an int.
    let value = args.check_integer(lua, n)? as i32;
    if value < min || value > max {
        return arg_error(1, format!("expected integer between {min} and {max}"));
    }
    Ok(value)
}

fn integer_setting(
    lua: &Lua,
    args: Args,
    config: &SharedConfig,
    min: i32,
    max: i32,
    field: fn(&mut Config) -> &mut i32,
) -> LibResult<MultiValue> {
    check_arg_count(&args, 1)?;
    let mut current = snapshot(config);
    let value = parse_integer_option(lua, &args, 1, *field(&mut current), min, max)?;
    update(config, |c| *field(c) = value);
    Ok(value.into_lua_multi(lua)?)
}

fn bool_setting(
    lua: &Lua,
    args: Args,
    config: &SharedConfig,
    field: fn(&mut Config) -> &mut bool,
) -> LibResult<MultiValue> {
    check_arg_count(&args, 1)?;
    let mut current = snapshot(config);
    let value = parse_bool_option(lua, &args, 1, *field(&mut current))?;
    update(config, |c| *field(c) = value);
    Ok(value.into_lua_multi(lua)?)
}

fn cfg_encode_sparse_array(lua: &Lua, args: Args, config: &SharedConfig) -> LibResult<MultiValue> {
    check_arg_count(&args, 3)?;
    let current = snapshot(config);
    // The C function stores each option as soon as it is parsed, so an error in a later
    // argument keeps the earlier ones.
    let convert = parse_bool_option(lua, &args, 1, current.sparse_convert)?;
    update(config, |c| c.sparse_convert = convert);
    let ratio = parse_integer_option(lua, &args, 2, current.sparse_ratio, 0, i32::MAX)?;
    update(config, |c| c.sparse_ratio = ratio);
    let safe = parse_integer_option(lua, &args, 3, current.sparse_safe, 0, i32::MAX)?;
    update(config, |c| c.sparse_safe = safe);
    Ok((convert, ratio, safe).into_lua_multi(lua)?)
}

fn cfg_encode_invalid_numbers(
    lua: &Lua,
    args: Args,
    config: &SharedConfig,
) -> LibResult<MultiValue> {
    const OPTIONS: [&str; 3] = ["off", "on", "null"];
    check_arg_count(&args, 1)?;
    let mut setting = snapshot(config).encode_invalid_numbers;
    match args.get(1) {
        None | Some(Value::Nil) => {}
        Some(Value::Boolean(b)) => setting = i32::from(*b),
        Some(_) => setting = check_option(lua, &args, 1, &OPTIONS)? as i32,
    }
    update(config, |c| c.encode_invalid_numbers = setting);
    if setting <= 1 {
        Ok((setting == 1).into_lua_multi(lua)?)
    } else {
        Ok(OPTIONS[setting as usize].into_lua_multi(lua)?)
    }
}

// ===== Encoding =====

/// The escape sequence for bytes that cjson escapes, `None` for bytes copied verbatim.
fn escape_for(byte: u8) -> Option<&'static [u8]> {
    const CONTROL: [&[u8]; 32] = [
        b"\\u0000", b"\\u0001", b"\\u0002", b"\\u0003", b"\\u0004", b"\\u0005", b"\\u0006",
        b"\\u0007", b"\\b", b"\\t", b"\\n", b"\\u000b", b"\\f", b"\\r", b"\\u000e", b"\\u000f",
        b"\\u0010", b"\\u0011", b"\\u0012", b"\\u0013", b"\\u0014", b"\\u0015", b"\\u0016",
        b"\\u0017", b"\\u0018", b"\\u0019", b"\\u001a", b"\\u001b", b"\\u001c", b"\\u001d",
        b"\\u001e", b"\\u001f",
    ];
    match byte {
        0..=31 => Some(CONTROL[byte as usize]),
        b'"' => Some(b"\\\""),
        b'/' => Some(b"\\/"),
        b'\\' => Some(b"\\\\"),
        127 => Some(b"\\u007f"),
        _ => None,
    }
}

fn append_json_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    for &byte in bytes {
        match escape_for(byte) {
            Some(escape) => out.extend_from_slice(escape),
            None => out.push(byte),
        }
    }
    out.push(b'"');
}

/// Formats `x` like C's `printf("%.<precision>g", x)` (glibc spelling of inf/nan).
fn format_g(x: f64, precision: usize, out: &mut Vec<u8>) {
    let precision = precision.max(1);
    if x.is_nan() {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if x.is_infinite() {
        out.extend_from_slice(if x < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // %e with precision-1 digits tells the decimal exponent after rounding.
    let scientific = format!("{:.*e}", precision - 1, x);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if exponent < -4 || exponent >= precision as i32 {
        out.extend_from_slice(strip_fraction_zeros(mantissa).as_bytes());
        out.push(b'e');
        out.push(if exponent < 0 { b'-' } else { b'+' });
        let digits = exponent.unsigned_abs();
        if digits < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(digits.to_string().as_bytes());
    } else {
        let decimals = (precision as i32 - 1 - exponent) as usize;
        let fixed = format!("{x:.decimals$}");
        out.extend_from_slice(strip_fraction_zeros(&fixed).as_bytes());
    }
}

/// Removes trailing zeros of a fraction, and the point if nothing is left after it.
fn strip_fraction_zeros(number: &str) -> &str {
    if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    }
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// One open table of the encoder: an array being walked by index or an object being
/// walked with `next`.
enum EncodeStep {
    Array { length: i32, index: i32 },
    Object { first: bool },
}

struct EncodeFrame {
    step: EncodeStep,
    /// Stack slots the C encoder would use with this table on the stack.
    stack_used: usize,
}

/// Walks nested tables without recursion: the innermost table and its current key are
/// held here, the enclosing ones are parked in a Lua table (`parked[2d-1]` = table,
/// `parked[2d]` = key), so the Rust stack and the mlua references stay constant however
/// deep the nesting.
struct Encoder<'a> {
    lua: &'a Lua,
    config: Config,
    out: Vec<u8>,
    next: Function,
}

impl Encoder<'_> {
    fn number(&mut self, x: f64) -> LibResult<()> {
        if !x.is_finite() {
            match self.config.encode_invalid_numbers {
                0 => return located("Cannot serialise number: must not be NaN or Inf"),
                1 if x.is_nan() => {
                    self.out.extend_from_slice(b"nan");
                    return Ok(());
                }
                1 => {}
                _ => {
                    self.out.extend_from_slice(b"null");
                    return Ok(());
                }
            }
        }
        format_g(
            x,
            self.config.encode_number_precision as usize,
            &mut self.out,
        );
        Ok(())
    }

    /// Encodes a value that is not a table.
    fn scalar(&mut self, value: &Value) -> LibResult<()> {
        match value {
            Value::String(s) => append_json_string(&mut self.out, &s.as_bytes()),
            Value::Integer(_) | Value::Number(_) => {
                self.number(number_of(value).unwrap_or_default())?;
            }
            Value::Boolean(true) => self.out.extend_from_slice(b"true"),
            Value::Boolean(false) => self.out.extend_from_slice(b"false"),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(ud) if ud.0.is_null() => self.out.extend_from_slice(b"null"),
            other => {
                return located(format!(
                    "Cannot serialise {}: type not supported",
                    type_name(other)
                ));
            }
        }
        Ok(())
    }

    /// `lua_array_length`: `None` for an object, else the highest index (which the C code
    /// keeps in an `int`, so indexes of 2^31 and above wrap to a negative number and the
    /// table is then encoded as an object).
    fn array_length(&self, table: &Table) -> LibResult<Option<i32>> {
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        for pair in table.pairs::<Value, Value>() {
            let (key, _) = pair?;
            match number_of(&key) {
                Some(k) if k != 0.0 && k.floor() == k && k >= 1.0 => {
                    if k > f64::from(max) {
                        max = c_double_to_i32(k);
                    }
                    items = items.wrapping_add(1);
                }
                _ => return Ok(None),
            }
        }
        let config = &self.config;
        if config.sparse_ratio > 0
            && max > items.wrapping_mul(config.sparse_ratio)
            && max > config.sparse_safe
        {
            if !config.sparse_convert {
                return located("Cannot serialise table: excessively sparse array");
            }
            return Ok(None);
        }
        Ok(Some(max))
    }

    /// Checks the nesting limits, classifies `table` and writes its opening bracket.
    fn open(&mut self, table: &Table, depth: usize, stack_used: usize) -> LibResult<EncodeFrame> {
        if depth > self.config.encode_max_depth as usize || stack_used + 3 > MAX_C_STACK {
            return located(format!("Cannot serialise, excessive nesting ({depth})"));
        }
        let step = match self.array_length(table)? {
            Some(length) if length > 0 => {
                self.out.push(b'[');
                EncodeStep::Array { length, index: 1 }
            }
            _ => {
                self.out.push(b'{');
                EncodeStep::Object { first: true }
            }
        };
        Ok(EncodeFrame { step, stack_used })
    }

    /// Writes an object key followed by the colon.
    fn key(&mut self, key: &Value) -> LibResult<()> {
        match key {
            Value::Integer(_) | Value::Number(_) => {
                self.out.push(b'"');
                self.number(number_of(key).unwrap_or_default())?;
                self.out.extend_from_slice(b"\":");
            }
            Value::String(s) => {
                append_json_string(&mut self.out, &s.as_bytes());
                self.out.push(b':');
            }
            other => {
                return located(format!(
                    "Cannot serialise {}: table key must be a number or string",
                    type_name(other)
                ));
            }
        }
        Ok(())
    }

    fn encode(&mut self, value: &Value) -> LibResult<()> {
        let Value::Table(root) = value else {
            return self.scalar(value);
        };
        let parked = self.lua.create_table()?;
        let mut table = root.clone();
        let mut key = Value::Nil;
        let mut frames = vec![self.open(&table, 1, 1)?];
        while let Some(frame) = frames.last_mut() {
            // The next element of the innermost table, with the stack slots in use.
            let element = match &mut frame.step {
                EncodeStep::Array { length, index } if *index <= *length => {
                    if *index > 1 {
                        self.out.push(b',');
                    }
                    let element: Value = table.raw_get(*index)?;
                    *index += 1;
                    Some((element, frame.stack_used + 1))
                }
                EncodeStep::Array { .. } => {
                    self.out.push(b']');
                    None
                }
                EncodeStep::Object { first } => {
                    let (next_key, element): (Value, Value) =
                        self.next.call((&table, std::mem::take(&mut key)))?;
                    if next_key.is_nil() {
                        self.out.push(b'}');
                        None
                    } else {
                        if !*first {
                            self.out.push(b',');
                        }
                        *first = false;
                        self.key(&next_key)?;
                        key = next_key;
                        Some((element, frame.stack_used + 2))
                    }
                }
            };
            match element {
                Some((Value::Table(child), stack_used)) => {
                    let depth = frames.len();
                    parked.raw_set(2 * depth - 1, std::mem::replace(&mut table, child))?;
                    parked.raw_set(2 * depth, std::mem::take(&mut key))?;
                    let frame = self.open(&table, depth + 1, stack_used)?;
                    frames.push(frame);
                }
                Some((element, _)) => self.scalar(&element)?,
                None => {
                    frames.pop();
                    let depth = frames.len();
                    if depth > 0 {
                        table = parked.raw_get(2 * depth - 1)?;
                        key = parked.raw_get(2 * depth)?;
                        parked.raw_set(2 * depth - 1, Value::Nil)?;
                        parked.raw_set(2 * depth, Value::Nil)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn encode(lua: &Lua, args: Args, config: Config, next: &Function) -> LibResult<MultiValue> {
    if args.len() != 1 {
        return arg_error(1, "expected 1 argument");
    }
    let mut encoder = Encoder {
        lua,
        config,
        out: Vec::new(),
        next: next.clone(),
    };
    encoder.encode(args.get(1).unwrap_or(&Value::Nil))?;
    Ok(lua.create_string(&encoder.out)?.into_lua_multi(lua)?)
}

// ===== Decoding =====

#[derive(Debug)]
enum TokenKind {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    /// The decoded bytes are in `Parser::string`.
    String,
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl TokenKind {
    /// What "found ..." says about this token.
    fn describe(&self) -> &'static str {
        match self {
            TokenKind::ObjBegin => "T_OBJ_BEGIN",
            TokenKind::ObjEnd => "T_OBJ_END",
            TokenKind::ArrBegin => "T_ARR_BEGIN",
            TokenKind::ArrEnd => "T_ARR_END",
            TokenKind::String => "T_STRING",
            TokenKind::Number(_) => "T_NUMBER",
            TokenKind::Boolean(_) => "T_BOOLEAN",
            TokenKind::Null => "T_NULL",
            TokenKind::Colon => "T_COLON",
            TokenKind::Comma => "T_COMMA",
            TokenKind::End => "T_END",
            TokenKind::Error(reason) => reason,
        }
    }
}

struct Token {
    kind: TokenKind,
    /// 0-based offset where the token (or the error) starts.
    index: usize,
}

struct Parser<'a> {
    lua: &'a Lua,
    /// The JSON text; offsets past the end read as NUL, like the C string terminator.
    data: &'a [u8],
    pos: usize,
    config: Config,
    depth: i32,
    /// Scratch buffer holding the last string token.
    string: Vec<u8>,
}

fn hex_digit(byte: u8) -> Option<u32> {
    (byte as char).to_digit(16)
}

fn utf8_encode(codepoint: u32, out: &mut Vec<u8>) {
    if codepoint <= 0x7F {
        out.push(codepoint as u8);
    } else if codepoint <= 0x7FF {
        out.extend_from_slice(&[
            0xC0 | (codepoint >> 6) as u8,
            0x80 | (codepoint & 0x3F) as u8,
        ]);
    } else if codepoint <= 0xFFFF {
        out.extend_from_slice(&[
            0xE0 | (codepoint >> 12) as u8,
            0x80 | ((codepoint >> 6) & 0x3F) as u8,
            0x80 | (codepoint & 0x3F) as u8,
        ]);
    } else {
        out.extend_from_slice(&[
            0xF0 | (codepoint >> 18) as u8,
            0x80 | ((codepoint >> 12) & 0x3F) as u8,
            0x80 | ((codepoint >> 6) & 0x3F) as u8,
            0x80 | (codepoint & 0x3F) as u8,
        ]);
    }
}

impl Parser<'_> {
    fn byte_at(&self, index: usize) -> u8 {
        self.data.get(index).copied().unwrap_or(0)
    }

    fn starts_with_at(&self, index: usize, text: &[u8]) -> bool {
        self.data
            .get(index..)
            .is_some_and(|rest| rest.starts_with(text))
    }

    fn error_token(&self, reason: &'static str) -> Token {
        Token {
            kind: TokenKind::Error(reason),
            index: self.pos,
        }
    }

    /// `decode_hex4` at `index`.
    fn hex4(&self, index: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, i| {
            Some(acc << 4 | hex_digit(self.byte_at(index + i))?)
        })
    }

    /// Decodes `\uXXXX` (or a surrogate pair) at `self.pos`, appending UTF-8.
    fn unicode_escape(&mut self) -> Option<()> {
        let mut codepoint = self.hex4(self.pos + 2)?;
        let mut escape_len = 6;
        if codepoint & 0xF800 == 0xD800 {
            if codepoint & 0x400 != 0 {
                return None; // a low surrogate cannot come first
            }
            if self.byte_at(self.pos + 6) != b'\\' || self.byte_at(self.pos + 7) != b'u' {
                return None;
            }
            let low = self.hex4(self.pos + 8)?;
            if low & 0xFC00 != 0xDC00 {
                return None;
            }
            codepoint = (((codepoint & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            escape_len = 12;
        }
        utf8_encode(codepoint, &mut self.string);
        self.pos += escape_len;
        Some(())
    }

    fn string_token(&mut self) -> Token {
        let start = self.pos;
        self.pos += 1; // opening quote
        self.string.clear();
        loop {
            let byte = self.byte_at(self.pos);
            match byte {
                b'"' => break,
                0 => return self.error_token("unexpected end of string"),
                b'\\' => {
                    let escaped = match self.byte_at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => 0x0C,
                        b'r' => b'\r',
                        b'u' => {
                            if self.unicode_escape().is_none() {
                                return self.error_token("invalid unicode escape code");
                            }
                            continue;
                        }
                        _ => return self.error_token("invalid escape code"),
                    };
                    self.string.push(escaped);
                    self.pos += 2;
                }
                _ => {
                    self.string.push(byte);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1; // closing quote
        Token {
            kind: TokenKind::String,
            index: start,
        }
    }

    /// `json_is_invalid_number`: a number strict JSON would reject but `strtod` accepts.
    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        match self.byte_at(p) {
            b'+' => return true,
            b'-' => p += 1,
            _ => {}
        }
        let first = self.byte_at(p);
        if first == b'0' {
            let second = self.byte_at(p + 1);
            return second | 0x20 == b'x' || second.is_ascii_digit();
        }
        if first <= b'9' {
            return false;
        }
        let word = [self.byte_at(p), self.byte_at(p + 1), self.byte_at(p + 2)];
        word.eq_ignore_ascii_case(b"inf") || word.eq_ignore_ascii_case(b"nan")
    }

    fn number_token(&mut self) -> Token {
        let start = self.pos;
        let (value, end) = strtod(self.data, start);
        if end == start {
            return self.error_token("invalid number");
        }
        self.pos = end;
        Token {
            kind: TokenKind::Number(value),
            index: start,
        }
    }

    fn next_token(&mut self) -> Token {
        while matches!(self.byte_at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let index = self.pos;
        let single = |kind| Token { kind, index };
        let byte = self.byte_at(index);
        let kind = match byte {
            b'{' => TokenKind::ObjBegin,
            b'}' => TokenKind::ObjEnd,
            b'[' => TokenKind::ArrBegin,
            b']' => TokenKind::ArrEnd,
            b',' => TokenKind::Comma,
            b':' => TokenKind::Colon,
            0 => return single(TokenKind::End),
            b'"' => return self.string_token(),
            b'-' | b'0'..=b'9' => {
                if !self.config.decode_invalid_numbers && self.is_invalid_number() {
                    return self.error_token("invalid number");
                }
                return self.number_token();
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                if self.starts_with_at(index, b"true") {
                    self.pos += 4;
                    return single(TokenKind::Boolean(true));
                }
                if self.starts_with_at(index, b"false") {
                    self.pos += 5;
                    return single(TokenKind::Boolean(false));
                }
                if self.starts_with_at(index, b"null") {
                    self.pos += 4;
                    return single(TokenKind::Null);
                }
                if self.config.decode_invalid_numbers && self.is_invalid_number() {
                    return self.number_token();
                }
                return self.error_token("invalid token");
            }
            _ => return self.error_token("invalid token"),
        };
        self.pos += 1;
        single(kind)
    }

    fn parse_error<T>(&self, expected: &str, token: &Token) -> LibResult<T> {
        located(format!(
            "Expected {expected} but found {} at character {}",
            token.kind.describe(),
            token.index + 1
        ))
    }

    /// `json_decode_descend`: enters a nested structure needing `slots` more stack slots.
    fn descend(&mut self, stack_used: usize, slots: usize) -> LibResult<()> {
        self.depth += 1;
        if self.depth > self.config.decode_max_depth || stack_used + slots > MAX_C_STACK {
            return located(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth, self.pos
            ));
        }
        Ok(())
    }

    /// Reads `"key" :` for an object member whose key token is `token`, leaving the token
    /// after the colon in `token`.
    fn member_key(&mut self, token: &mut Token) -> LibResult<LuaString> {
        if !matches!(token.kind, TokenKind::String) {
            return self.parse_error("object key string", token);
        }
        let key = self.lua.create_string(&self.string)?;
        *token = self.next_token();
        if !matches!(token.kind, TokenKind::Colon) {
            return self.parse_error("colon", token);
        }
        *token = self.next_token();
        Ok(key)
    }

    /// `json_process_value` for the value starting at `token`, without recursion: open
    /// containers are tracked in `frames`, the innermost one and its pending key are held
    /// here and the enclosing ones parked in a Lua table (`parked[2d-1]` = table,
    /// `parked[2d]` = pending key).
    fn parse(&mut self, mut token: Token) -> LibResult<Value> {
        let parked = self.lua.create_table()?;
        let mut frames: Vec<DecodeFrame> = Vec::new();
        let mut current: Option<Table> = None;
        let mut pending_key: Option<LuaString> = None;
        // Stack slots the C decoder would use before pushing the next value.
        let mut stack_used = 1;
        loop {
            let mut value = match token.kind {
                TokenKind::String => Value::String(self.lua.create_string(&self.string)?),
                TokenKind::Number(n) => Value::Number(n),
                TokenKind::Boolean(b) => Value::Boolean(b),
                TokenKind::Null => Value::LightUserData(LightUserData(std::ptr::null_mut())),
                TokenKind::ObjBegin | TokenKind::ArrBegin => {
                    let is_object = matches!(token.kind, TokenKind::ObjBegin);
                    self.descend(stack_used, if is_object { 3 } else { 2 })?;
                    let table = self.lua.create_table()?;
                    if let Some(parent) = current.replace(table) {
                        let depth = frames.len();
                        parked.raw_set(2 * depth - 1, parent)?;
                        parked.raw_set(2 * depth, pending_key.take())?;
                    }
                    frames.push(DecodeFrame {
                        is_object,
                        next_index: 1,
                        stack_used,
                    });
                    token = self.next_token();
                    let empty = if is_object {
                        matches!(token.kind, TokenKind::ObjEnd)
                    } else {
                        matches!(token.kind, TokenKind::ArrEnd)
                    };
                    if !empty {
                        if is_object {
                            pending_key = Some(self.member_key(&mut token)?);
                            stack_used += 2;
                        } else {
                            stack_used += 1;
                        }
                        continue;
                    }
                    self.close(&parked, &mut frames, &mut current, &mut pending_key)?
                }
                _ => return self.parse_error("value", &token),
            };
            // Store `value` in the innermost container; containers it completes are
            // stored in turn into theirs.
            loop {
                let (Some(table), Some(frame)) = (&current, frames.last_mut()) else {
                    return Ok(value);
                };
                let (is_object, frame_stack_used) = (frame.is_object, frame.stack_used);
                if is_object {
                    table.raw_set(pending_key.take(), value)?;
                } else {
                    table.raw_set(frame.next_index, value)?;
                    frame.next_index += 1;
                }
                token = self.next_token();
                let (end, expected) = if is_object {
                    (
                        matches!(token.kind, TokenKind::ObjEnd),
                        "comma or object end",
                    )
                } else {
                    (
                        matches!(token.kind, TokenKind::ArrEnd),
                        "comma or array end",
                    )
                };
                if end {
                    value = self.close(&parked, &mut frames, &mut current, &mut pending_key)?;
                    continue;
                }
                if !matches!(token.kind, TokenKind::Comma) {
                    return self.parse_error(expected, &token);
                }
                token = self.next_token();
                if is_object {
                    pending_key = Some(self.member_key(&mut token)?);
                    stack_used = frame_stack_used + 2;
                } else {
                    stack_used = frame_stack_used + 1;
                }
                break;
            }
        }
    }

    /// Closes the innermost container and returns it, restoring its parent.
    fn close(
        &mut self,
        parked: &Table,
        frames: &mut Vec<DecodeFrame>,
        current: &mut Option<Table>,
        pending_key: &mut Option<LuaString>,
    ) -> LibResult<Value> {
        self.depth -= 1;
        frames.pop();
        let finished = current.take().map_or(Value::Nil, Value::Table);
        let depth = frames.len();
        if depth > 0 {
            *current = parked.raw_get(2 * depth - 1)?;
            *pending_key = parked.raw_get(2 * depth)?;
            parked.raw_set(2 * depth - 1, Value::Nil)?;
            parked.raw_set(2 * depth, Value::Nil)?;
        }
        Ok(finished)
    }
}

/// An open JSON array or object.
struct DecodeFrame {
    is_object: bool,
    /// Index of the next array element.
    next_index: i64,
    /// Stack slots the C decoder uses below this container's table.
    stack_used: usize,
}

fn decode(lua: &Lua, args: Args, config: Config) -> LibResult<MultiValue> {
    if args.len() != 1 {
        return arg_error(1, "expected 1 argument");
    }
    let text = args.check_string(lua, 1)?;
    let data = text.as_bytes();
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return located("JSON parser does not support UTF-16 or UTF-32");
    }
    let mut parser = Parser {
        lua,
        data: &data,
        pos: 0,
        config,
        depth: 0,
        string: Vec::new(),
    };
    let token = parser.next_token();
    let value = parser.parse(token)?;
    let token = parser.next_token();
    if !matches!(token.kind, TokenKind::End) {
        return parser.parse_error("the end", &token);
    }
    Ok(value.into_lua_multi(lua)?)
}

/// glibc `strtod` on the bytes from `start` (a NUL or the end terminates): returns the
/// value and the offset just past the longest prefix that forms a number, which is
/// `start` itself when there is none. Accepts a sign, decimal and hexadecimal (`0x`)
/// forms with exponents, `inf`/`infinity` and `nan`/`nan(...)`, case-insensitively.
fn strtod(data: &[u8], start: usize) -> (f64, usize) {
    let at = |i: usize| data.get(i).copied().unwrap_or(0);
    let mut p = start;
    while matches!(at(p), b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C) {
        p += 1;
    }
    let negative = at(p) == b'-';
    if matches!(at(p), b'+' | b'-') {
        p += 1;
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let word_at = |i: usize, word: &[u8]| {
        word.iter()
            .enumerate()
            .all(|(k, w)| at(i + k).eq_ignore_ascii_case(w))
    };
    if word_at(p, b"inf") {
        let end = if word_at(p, b"infinity") {
            p + 8
        } else {
            p + 3
        };
        return (sign * f64::INFINITY, end);
    }
    if word_at(p, b"nan") {
        let mut end = p + 3;
        if at(end) == b'(' {
            let mut q = end + 1;
            while at(q).is_ascii_alphanumeric() || at(q) == b'_' {
                q += 1;
            }
            if at(q) == b')' {
                end = q + 1;
            }
        }
        return (sign * f64::NAN, end);
    }
    if at(p) == b'0' && at(p + 1) | 0x20 == b'x' {
        let has_digits =
            at(p + 2).is_ascii_hexdigit() || (at(p + 2) == b'.' && at(p + 3).is_ascii_hexdigit());
        if has_digits {
            let (value, end) = parse_hex_float(data, p + 2);
            return (sign * value, end);
        }
        // Only the "0" is a number.
        return (sign * 0.0, p + 1);
    }
    let mantissa_start = p;
    let mut digits = 0;
    while at(p).is_ascii_digit() {
        p += 1;
        digits += 1;
    }
    if at(p) == b'.' {
        p += 1;
        while at(p).is_ascii_digit() {
            p += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return (0.0, start);
    }
    if at(p) | 0x20 == b'e' {
        let mut q = p + 1;
        if matches!(at(q), b'+' | b'-') {
            q += 1;
        }
        if at(q).is_ascii_digit() {
            while at(q).is_ascii_digit() {
                q += 1;
            }
            p = q;
        }
    }
    let text = std::str::from_utf8(&data[mantissa_start..p]).unwrap_or("0");
    // Rust rejects a bare trailing point ("1."), which strtod accepts.
    let value: f64 = text
        .parse()
        .or_else(|_| text.replace(".e", "e").trim_end_matches('.').parse())
        .or_else(|_| text.replace('.', "").parse())
        .unwrap_or(0.0);
    (sign * value, p)
}

/// Hexadecimal significand (after "0x") with optional binary exponent `p[+-]digits`.
fn parse_hex_float(data: &[u8], start: usize) -> (f64, usize) {
    let at = |i: usize| data.get(i).copied().unwrap_or(0);
    let mut p = start;
    let mut mantissa: u128 = 0;
    let mut exponent: i64 = 0;
    let mut sticky = false;
    let mut seen_point = false;
    loop {
        let byte = at(p);
        if byte == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(digit) = hex_digit(byte) {
            if mantissa >> 120 == 0 {
                mantissa = mantissa << 4 | u128::from(digit);
                if seen_point {
                    exponent -= 4;
                }
            } else {
                sticky |= digit != 0;
                if !seen_point {
                    exponent += 4;
                }
            }
        } else {
            break;
        }
        p += 1;
    }
    if at(p) | 0x20 == b'p' {
        let mut q = p + 1;
        let negative = at(q) == b'-';
        if matches!(at(q), b'+' | b'-') {
            q += 1;
        }
        if at(q).is_ascii_digit() {
            let mut value: i64 = 0;
            while at(q).is_ascii_digit() {
                value = (value * 10 + i64::from(at(q) - b'0')).min(1 << 20);
                q += 1;
            }
            exponent += if negative { -value } else { value };
            p = q;
        }
    }
    let mantissa = mantissa | u128::from(sticky);
    let value = mantissa as f64 * 2f64.powi(exponent.clamp(-2000, 2000) as i32);
    (value, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(x: f64, precision: usize) -> String {
        let mut out = Vec::new();
        format_g(x, precision, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn format_g_matches_printf_examples() {
        assert_eq!(g(0.1, 14), "0.1");
        assert_eq!(g(1.0 / 3.0, 14), "0.33333333333333");
        assert_eq!(g(1e15, 14), "1e+15");
        assert_eq!(g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(g(100000000000000.0, 14), "1e+14");
        assert_eq!(g(99999999999999.0, 14), "99999999999999");
        assert_eq!(g(0.0001, 14), "0.0001");
        assert_eq!(g(0.00001, 14), "1e-05");
        assert_eq!(g(-1.5e-7, 14), "-1.5e-07");
        assert_eq!(g(1e100, 14), "1e+100");
        assert_eq!(g(std::f64::consts::PI, 3), "3.14");
        assert_eq!(g(-0.0, 14), "-0");
        assert_eq!(g(f64::INFINITY, 14), "inf");
        assert_eq!(g(f64::NEG_INFINITY, 14), "-inf");
        assert_eq!(g(9.5, 1), "1e+01");
        assert_eq!(g(0.5, 1), "0.5");
    }

    #[test]
    fn strtod_prefixes() {
        let cases: [(&str, f64, usize); 14] = [
            ("123", 123.0, 3),
            ("-1.5e3x", -1500.0, 6),
            ("1e", 1.0, 1),
            ("1.", 1.0, 2),
            ("1.e5", 1e5, 4),
            (".5", 0.5, 2),
            ("0x10", 16.0, 4),
            ("0x", 0.0, 1),
            ("0x1p4", 16.0, 5),
            ("-0x1.8", -1.5, 6),
            ("Infinity", f64::INFINITY, 8),
            ("-inf", f64::NEG_INFINITY, 4),
            ("+7", 7.0, 2),
            ("1e+", 1.0, 1),
        ];
        for (text, value, end) in cases {
            assert_eq!(strtod(text.as_bytes(), 0), (value, end), "{text}");
        }
        let (nan, end) = strtod(b"nan(123)", 0);
        assert!(nan.is_nan());
        assert_eq!(end, 8);
        assert_eq!(strtod(b"-", 0).1, 0);
        assert_eq!(strtod(b"x1", 0).1, 0);
        assert_eq!(strtod(b".", 0).1, 0);
    }
}
