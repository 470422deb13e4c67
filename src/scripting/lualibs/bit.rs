//! `bit`: 32-bit bitwise operations compatible with LuaBitOp 1.0.2 as bundled by Redis.
//!
//! Every argument is normalised like LuaBitOp does on Lua 5.1: the number (or numeric
//! string) gets 2^52 + 2^51 added and the low 32 bits of the resulting double are taken,
//! which reduces it modulo 2^32 with round-half-to-even for fractions (so `tobit(2^32+1)`
//! is 1, `tobit(1.5)` is 2 and NaN or infinities become 0). Results are signed 32-bit
//! numbers. A non-numeric argument raises "bad argument #n to 'f' (number expected, got
//! <type>)"; the variadic `band`/`bor`/`bxor` check argument 1 first and then the others
//! from last to second, as the C loop does. `tohex` clamps its width to 8 digits, uses
//! upper case for negative widths, and treats the width -2^31 as 2^31 - 1 (Redis' fix for
//! CVE-2024-31449).

use mlua::{IntoLuaMulti, Lua, MultiValue, Table, Value};

use super::bridge::{Args, LibResult, lib_function};

/// Creates the `bit` module table.
pub fn create_module(lua: &Lua) -> mlua::Result<Table> {
    let module = lua.create_table()?;
    module.set(
        "tobit",
        lib_function(lua, |lua, args| unary(lua, args, |b| b))?,
    )?;
    module.set(
        "bnot",
        lib_function(lua, |lua, args| unary(lua, args, |b| !b))?,
    )?;
    module.set(
        "band",
        lib_function(lua, |lua, args| fold(lua, args, |a, b| a & b))?,
    )?;
    module.set(
        "bor",
        lib_function(lua, |lua, args| fold(lua, args, |a, b| a | b))?,
    )?;
    module.set(
        "bxor",
        lib_function(lua, |lua, args| fold(lua, args, |a, b| a ^ b))?,
    )?;
    module.set(
        "lshift",
        lib_function(lua, |lua, args| shift(lua, args, |b, n| b << n))?,
    )?;
    module.set(
        "rshift",
        lib_function(lua, |lua, args| shift(lua, args, |b, n| b >> n))?,
    )?;
    module.set(
        "arshift",
        lib_function(lua, |lua, args| {
            shift(lua, args, |b, n| ((b as i32) >> n) as u32)
        })?,
    )?;
    module.set(
        "rol",
        lib_function(lua, |lua, args| shift(lua, args, u32::rotate_left))?,
    )?;
    module.set(
        "ror",
        lib_function(lua, |lua, args| shift(lua, args, u32::rotate_right))?,
    )?;
    module.set(
        "bswap",
        lib_function(lua, |lua, args| unary(lua, args, u32::swap_bytes))?,
    )?;
    module.set("tohex", lib_function(lua, tohex)?)?;
    Ok(module)
}

/// LuaBitOp's `barg`: argument `n` reduced to 32 bits.
fn bit_arg(lua: &Lua, args: &Args, n: usize) -> LibResult<u32> {
    let number = args.to_number(lua, n)?;
    let bits = (number.unwrap_or(0.0) + 6_755_399_441_055_744.0).to_bits() as u32;
    if bits == 0 && number.is_none() {
        return args.type_error(n, "number");
    }
    Ok(bits)
}

/// Returns `bits` as a signed 32-bit Lua number.
fn bit_result(lua: &Lua, bits: u32) -> LibResult<MultiValue> {
    Ok(Value::Number(f64::from(bits as i32)).into_lua_multi(lua)?)
}

fn unary(lua: &Lua, args: MultiValue, op: fn(u32) -> u32) -> LibResult<MultiValue> {
    let args = Args::new(args);
    bit_result(lua, op(bit_arg(lua, &args, 1)?))
}

fn fold(lua: &Lua, args: MultiValue, op: fn(u32, u32) -> u32) -> LibResult<MultiValue> {
    let args = Args::new(args);
    let mut bits = bit_arg(lua, &args, 1)?;
    for n in (2..=args.len()).rev() {
        bits = op(bits, bit_arg(lua, &args, n)?);
    }
    bit_result(lua, bits)
}

fn shift(lua: &Lua, args: MultiValue, op: fn(u32, u32) -> u32) -> LibResult<MultiValue> {
    let args = Args::new(args);
    let bits = bit_arg(lua, &args, 1)?;
    let count = bit_arg(lua, &args, 2)? & 31;
    bit_result(lua, op(bits, count))
}

fn tohex(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    let args = Args::new(args);
    let mut bits = bit_arg(lua, &args, 1)?;
    let mut width = if args.get(2).is_none() {
        8
    } else {
        bit_arg(lua, &args, 2)? as i32
    };
    if width == i32::MIN {
        width = i32::MIN + 1;
    }
    let digits: &[u8; 16] = if width < 0 {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let width = width.unsigned_abs().min(8) as usize;
    let mut hex = [0u8; 8];
    for slot in hex[..width].iter_mut().rev() {
        *slot = digits[(bits & 15) as usize];
        bits >>= 4;
    }
    Ok(lua.create_string(&hex[..width])?.into_lua_multi(lua)?)
}
