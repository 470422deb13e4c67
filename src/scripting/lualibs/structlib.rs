//! `struct`: binary packing compatible with Roberto Ierusalimschy's struct library 0.2 as
//! bundled (and hardened) by Redis 7.2.
//!
//! Format language (whitespace ignored): `>` big endian, `<` little endian (the default
//! is the native order, little endian on the x86-64 machines this mirrors), `![n]` maximum
//! alignment (default 8; must be a power of two), `x` one zero byte, `b/B` 1-byte,
//! `h/H` 2-byte, `l/L` 8-byte, `T` 8-byte (size_t), `i/I[n]` n-byte (default 4, at most
//! 32) signed/unsigned integers, `f` float, `d` double, `c[n]` n characters (`c0`: the
//! whole string when packing, a length taken from the previous result when unpacking),
//! `s` zero-terminated string.
//!
//! Integers travel through a C `long` (64 bits): packing converts the Lua number with the
//! C casts (negative numbers through int64, others through uint64, both truncating), so
//! sizes above 8 bytes are zero-filled beyond the low 8 bytes; unpacking keeps the last 8
//! bytes shifted in and sign-extends with C's shift semantics. Alignment pads to
//! `min(size, align)` boundaries. Argument positions in error messages reproduce the C
//! code, including its quirks (e.g. "string too short" names the argument after the
//! string; range errors on unpack offsets report argument 2).

use mlua::{IntoLuaMulti, Lua, MultiValue, Table, Value};

use super::bridge::{
    Args, LibResult, Returns, arg_error, c_double_to_i64, c_double_to_u64, lib_function, located,
};

/// Largest integer size, in bytes.
const MAX_INT_SIZE: usize = 32;
/// Default maximum alignment: the alignment of a double on x86-64.
const MAX_ALIGN: usize = 8;
/// Lua 5.1's LUAI_MAXCSTACK.
const MAX_C_STACK: usize = 8000;

/// Creates the `struct` module table.
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
        "size",
        lib_function(lua, |lua, args| size(lua, Args::new(args)))?,
    )?;
    Ok(module)
}

#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Big,
    Little,
}

struct Header {
    endian: Endian,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            endian: Endian::Little,
            align: 1,
        }
    }
}

/// A format string being read; it ends at the first NUL like the C string does.
struct Format<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Format<'_> {
    fn next_option(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    /// `getnum`: an optional decimal number, with overflow checked like Redis does.
    fn number(&mut self, default: usize) -> LibResult<usize> {
        let mut digits = self.bytes.get(self.pos..).unwrap_or_default().iter();
        if !digits.next().is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut value: i32 = 0;
        while let Some(&digit) = self.bytes.get(self.pos).filter(|b| b.is_ascii_digit()) {
            let digit = i32::from(digit - b'0');
            if value > i32::MAX / 10 || value * 10 > i32::MAX - digit {
                return located("integral size overflow");
            }
            value = value * 10 + digit;
            self.pos += 1;
        }
        Ok(value as usize)
    }

    /// `optsize`: the size of option `opt`, reading its count if it has one.
    fn option_size(&mut self, opt: u8) -> LibResult<usize> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size > MAX_INT_SIZE {
                    return located(format!(
                        "integral size {size} is larger than limit of {MAX_INT_SIZE}"
                    ));
                }
                size
            }
            _ => 0,
        })
    }

    /// `controloptions`: endianness, alignment, spaces; anything else is invalid.
    fn control(&mut self, opt: u8, header: &mut Header) -> LibResult<()> {
        match opt {
            b' ' => {}
            b'>' => header.endian = Endian::Big,
            b'<' => header.endian = Endian::Little,
            b'!' => {
                let align = self.number(MAX_ALIGN)?;
                if !align.is_power_of_two() {
                    return located(format!("alignment {align} is not a power of 2"));
                }
                header.align = align;
            }
            _ => return arg_error(1, format!("invalid format option '{}'", opt as char)),
        }
        Ok(())
    }
}

/// `gettoalign`: padding before an item of `size` bytes at offset `len`.
fn padding(len: usize, header: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(header.align);
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

fn format_bytes(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// Bytes of a float or double in the requested order (native order is little endian).
fn ordered(mut bytes: Vec<u8>, endian: Endian) -> Vec<u8> {
    if endian == Endian::Big {
        bytes.reverse();
    }
    bytes
}

fn pack(lua: &Lua, args: Args) -> LibResult<MultiValue> {
    let format = args.check_string(lua, 1)?;
    // The C code then pushes a nil after the arguments (to separate them from its string
    // buffer), so a missing argument right after the last one is reported as "got nil".
    let args = args.with_trailing_nil();
    let format = format.as_bytes();
    let mut fmt = Format {
        bytes: format_bytes(&format),
        pos: 0,
    };
    let mut header = Header::default();
    let mut arg = 2;
    let mut out: Vec<u8> = Vec::new();
    while let Some(opt) = fmt.next_option() {
        let mut size = fmt.option_size(opt)?;
        let pad = padding(out.len(), &header, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = args.check_number(lua, arg)?;
                arg += 1;
                let mut value = if n < 0.0 {
                    c_double_to_i64(n) as u64
                } else {
                    c_double_to_u64(n)
                };
                let mut bytes = vec![0u8; size];
                for byte in bytes.iter_mut() {
                    *byte = value as u8;
                    value >>= 8;
                }
                out.extend(ordered(bytes, header.endian));
            }
            b'x' => out.push(0),
            b'f' => {
                let f = args.check_number(lua, arg)? as f32;
                arg += 1;
                out.extend(ordered(f.to_le_bytes().to_vec(), header.endian));
            }
            b'd' => {
                let d = args.check_number(lua, arg)?;
                arg += 1;
                out.extend(ordered(d.to_le_bytes().to_vec(), header.endian));
            }
            b'c' | b's' => {
                let string = args.check_string(lua, arg)?;
                arg += 1;
                let string = string.as_bytes();
                if size == 0 {
                    size = string.len();
                }
                if string.len() < size {
                    return arg_error(arg as i32, "string too short");
                }
                out.extend_from_slice(&string[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => fmt.control(opt, &mut header)?,
        }
    }
    Ok(lua.create_string(&out)?.into_lua_multi(lua)?)
}

/// `getinteger`: the integer in `bytes`, through a 64-bit C `unsigned long`.
fn read_integer(bytes: &[u8], endian: Endian, signed: bool) -> f64 {
    let mut value: u64 = 0;
    let mut shift_in = |byte: u8| value = value << 8 | u64::from(byte);
    match endian {
        Endian::Big => bytes.iter().copied().for_each(&mut shift_in),
        Endian::Little => bytes.iter().rev().copied().for_each(&mut shift_in),
    }
    if !signed {
        return value as f64;
    }
    // C shifts by (size*8 - 1); x86 uses the count modulo 64.
    let shift = ((bytes.len() as i64 * 8 - 1) & 63) as u32;
    let mask = u64::MAX << shift;
    if value & mask != 0 {
        value |= mask;
    }
    value as i64 as f64
}

fn unpack(lua: &Lua, args: Args) -> LibResult<Returns> {
    let format = args.check_string(lua, 1)?;
    let data = args.check_string(lua, 2)?;
    let data = data.as_bytes();
    let len = data.len();
    let mut pos = args.opt_integer(lua, 3, 1)? as usize;
    if pos == 0 {
        return arg_error(3, "offset must be 1 or greater");
    }
    pos -= 1;
    let format = format.as_bytes();
    let mut fmt = Format {
        bytes: format_bytes(&format),
        pos: 0,
    };
    let mut header = Header::default();
    let results = lua.create_table()?;
    let mut count: usize = 0;
    let fits = |pos: usize, size: usize| size <= len && pos <= len - size;
    while let Some(opt) = fmt.next_option() {
        let mut size = fmt.option_size(opt)?;
        pos = pos.wrapping_add(padding(pos, &header, opt, size));
        if !fits(pos, size) {
            return arg_error(2, "data string too short");
        }
        if args.len() + count + 2 > MAX_C_STACK {
            return located("stack overflow (too many results)");
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let value = read_integer(
                    &data[pos..pos + size],
                    header.endian,
                    opt.is_ascii_lowercase(),
                );
                count += 1;
                results.raw_set(count, value)?;
            }
            b'x' => {}
            b'f' => {
                let raw: [u8; 4] = ordered(data[pos..pos + 4].to_vec(), header.endian)
                    .try_into()
                    .unwrap_or_default();
                count += 1;
                results.raw_set(count, f64::from(f32::from_le_bytes(raw)))?;
            }
            b'd' => {
                let raw: [u8; 8] = ordered(data[pos..pos + 8].to_vec(), header.endian)
                    .try_into()
                    .unwrap_or_default();
                count += 1;
                results.raw_set(count, f64::from_le_bytes(raw))?;
            }
            b'c' => {
                if size == 0 {
                    let previous = match count {
                        0 => None,
                        _ => match results.raw_get::<Value>(count)? {
                            Value::Number(n) => Some(n),
                            Value::Integer(i) => Some(i as f64),
                            v @ Value::String(_) => lua.coerce_number(v)?,
                            _ => None,
                        },
                    };
                    let Some(previous) = previous else {
                        return located("format 'c0' needs a previous size");
                    };
                    size = c_double_to_u64(previous) as usize;
                    results.raw_set(count, Value::Nil)?;
                    count -= 1;
                    if !fits(pos, size) {
                        return arg_error(2, "data string too short");
                    }
                }
                count += 1;
                results.raw_set(count, lua.create_string(&data[pos..pos + size])?)?;
            }
            b's' => {
                let Some(nul) = data[pos..].iter().position(|&b| b == 0) else {
                    return located("unfinished string in data");
                };
                count += 1;
                results.raw_set(count, lua.create_string(&data[pos..pos + nul])?)?;
                size = nul + 1;
            }
            _ => fmt.control(opt, &mut header)?,
        }
        pos = pos.wrapping_add(size);
    }
    count += 1;
    results.raw_set(count, pos.wrapping_add(1) as i64 as f64)?;
    Ok(Returns::Packed {
        table: results,
        count,
    })
}

fn size(lua: &Lua, args: Args) -> LibResult<MultiValue> {
    let format = args.check_string(lua, 1)?;
    let format = format.as_bytes();
    let mut fmt = Format {
        bytes: format_bytes(&format),
        pos: 0,
    };
    let mut header = Header::default();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next_option() {
        let size = fmt.option_size(opt)?;
        pos = pos.wrapping_add(padding(pos, &header, opt, size));
        if opt == b's' {
            return arg_error(1, "option 's' has no fixed size");
        }
        if opt == b'c' && size == 0 {
            return arg_error(1, "option 'c0' has no fixed size");
        }
        if !opt.is_ascii_alphanumeric() {
            fmt.control(opt, &mut header)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(Value::Number(pos as i64 as f64).into_lua_multi(lua)?)
}
