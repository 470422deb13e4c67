//! Redis Functions: libraries of Lua functions loaded with FUNCTION LOAD and called with FCALL.
//!
//! A library is Lua code whose first line is `#!lua name=<library>`; running it calls
//! `redis.register_function` for each function it defines. All libraries share one Lua state
//! (separate from EVAL's). The registry here maps function names to their compiled callbacks
//! and libraries to their code (which is what FUNCTION DUMP serialises, in Redis's RDB format:
//! one `FUNCTION2` opcode and string per library, then the RDB version and a CRC64).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::engine::{
    self, F_ALLOW_CROSS_SLOT, F_ALLOW_OOM, F_ALLOW_STALE, F_NO_CLUSTER, F_NO_WRITES,
};
use crate::error::Error;

pub struct FunctionDef {
    pub name: String,
    pub library: String,
    pub func: Function,
    pub flags: u32,
    pub description: Option<Vec<u8>>,
}

pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    /// Function names, in registration order.
    pub functions: Vec<String>,
}

#[derive(Default)]
pub struct Functions {
    pub lua: Option<Lua>,
    pub libraries: BTreeMap<String, Library>,
    /// Keyed by lower-cased name (function names are case-insensitive, as in Redis).
    pub functions: HashMap<String, FunctionDef>,
}

struct Pending {
    funcs: Vec<FunctionDef>,
    deadline: Instant,
}

thread_local! {
    static LOADING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// Whether a FUNCTION LOAD on this thread ran past its time limit (checked by the VM hook).
pub fn load_timed_out() -> bool {
    LOADING.with(|l| {
        l.borrow()
            .as_ref()
            .is_some_and(|p| Instant::now() >= p.deadline)
    })
}

fn valid_name(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

const FIRST_ARG: &str = "first argument to redis.register_function must be a string";

fn reg_error(lua: &Lua, msg: &str) -> mlua::Result<(bool, Value)> {
    let t = lua.create_table()?;
    t.raw_set("err", format!("ERR {msg}"))?;
    Ok((false, Value::Table(t)))
}

fn parse_flags(v: &Value) -> Result<u32, &'static str> {
    let Value::Table(t) = v else {
        return Err(
            "flags argument to redis.register_function must be a table representing function flags",
        );
    };
    let mut flags = 0;
    for pair in t.clone().pairs::<Value, Value>() {
        let Ok((_, v)) = pair else {
            return Err("unknown flag given");
        };
        let Value::String(s) = v else {
            return Err("unknown flag given");
        };
        let s = s.to_string_lossy();
        match engine::FLAG_NAMES.iter().find(|(_, n)| *n == s) {
            Some((bit, _)) => flags |= bit,
            None => return Err("unknown flag given"),
        }
    }
    Ok(flags)
}

/// `redis.register_function(name, callback)` or `redis.register_function{...}`.
fn register_function(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
    let loading = LOADING.with(|l| l.borrow().is_some());
    if !loading {
        return reg_error(
            lua,
            "redis.register_function can only be called on FUNCTION LOAD command",
        );
    }
    let args = args.into_vec();
    let (name, func, flags, description) = match args.len() {
        1 => {
            let Value::Table(t) = &args[0] else {
                return reg_error(
                    lua,
                    "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
                );
            };
            let mut name = None;
            let mut func = None;
            let mut flags = 0;
            let mut desc = None;
            for pair in t.clone().pairs::<Value, Value>() {
                let (k, v) = pair?;
                let key = match &k {
                    Value::String(s) => s.to_string_lossy(),
                    _ => {
                        return reg_error(
                            lua,
                            "named argument key given to redis.register_function is not a string",
                        );
                    }
                };
                match key.as_str() {
                    "function_name" => match v {
                        Value::String(s) => name = Some(s.as_bytes().to_vec()),
                        _ => {
                            return reg_error(
                                lua,
                                "function_name argument given to redis.register_function must be a string",
                            );
                        }
                    },
                    "description" => match v {
                        Value::String(s) => desc = Some(s.as_bytes().to_vec()),
                        _ => {
                            return reg_error(
                                lua,
                                "description argument given to redis.register_function must be a string",
                            );
                        }
                    },
                    "callback" => match v {
                        Value::Function(f) => func = Some(f),
                        _ => {
                            return reg_error(
                                lua,
                                "callback argument given to redis.register_function must be a function",
                            );
                        }
                    },
                    "flags" => match parse_flags(&v) {
                        Ok(f) => flags = f,
                        Err(e) => return reg_error(lua, e),
                    },
                    _ => {
                        return reg_error(lua, "unknown argument given to redis.register_function");
                    }
                }
            }
            let Some(name) = name else {
                return reg_error(
                    lua,
                    "redis.register_function must get a function name argument",
                );
            };
            let Some(func) = func else {
                return reg_error(lua, "redis.register_function must get a callback argument");
            };
            (name, func, flags, desc)
        }
        2 => {
            let n = match &args[0] {
                Value::String(s) => s.clone(),
                v @ (Value::Integer(_) | Value::Number(_)) => {
                    match lua.coerce_string(v.clone())? {
                        Some(s) => s,
                        None => return reg_error(lua, FIRST_ARG),
                    }
                }
                _ => return reg_error(lua, FIRST_ARG),
            };
            let Value::Function(f) = &args[1] else {
                return reg_error(
                    lua,
                    "second argument to redis.register_function must be a function",
                );
            };
            (n.as_bytes().to_vec(), f.clone(), 0, None)
        }
        _ => return reg_error(lua, "wrong number of arguments to redis.register_function"),
    };
    if !valid_name(&name) {
        return reg_error(
            lua,
            "Function names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        );
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let dup = LOADING.with(|l| {
        let mut l = l.borrow_mut();
        let p = l.as_mut().expect("loading");
        if p.funcs.iter().any(|f| f.name.eq_ignore_ascii_case(&name)) {
            return true;
        }
        p.funcs.push(FunctionDef {
            name: name.clone(),
            library: String::new(),
            func,
            flags,
            description,
        });
        false
    });
    if dup {
        return reg_error(lua, "Function already exists in the library");
    }
    Ok((true, Value::Nil))
}

/// Parses the library metadata line (Redis 7.2's functionExtractLibMetaData).
fn library_name(code: &[u8]) -> Result<String, Error> {
    if !code.starts_with(b"#!") {
        return Err(Error::err("Missing library metadata"));
    }
    if !code.contains(&b'\n') {
        return Err(Error::err("Invalid library metadata"));
    }
    let (engine_name, opts, _) = engine::parse_shebang(code).expect("has shebang");
    let mut name: Option<String> = None;
    for o in opts {
        if o.len() >= 5 && o[..5].eq_ignore_ascii_case("name=") {
            if name.is_some() {
                return Err(Error::err(
                    "Invalid metadata value, name argument was given multiple times",
                ));
            }
            name = Some(o[5..].to_string());
            continue;
        }
        return Err(Error::err(format!("Invalid metadata value given: {o}")));
    }
    let Some(name) = name else {
        return Err(Error::err("Library name was not given"));
    };
    if !engine_name.eq_ignore_ascii_case("lua") {
        return Err(Error::err(format!("Engine '{engine_name}' not found")));
    }
    if !valid_name(name.as_bytes()) {
        return Err(Error::err(
            "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ));
    }
    Ok(name)
}

impl Functions {
    fn vm(&mut self) -> Result<&Lua, Error> {
        if self.lua.is_none() {
            let lua = engine::new_state(|lua, redis| {
                redis.set("register_function", engine_raising(lua, register_function)?)
            })
            .map_err(|e| Error::err(format!("Lua state creation failed: {e}")))?;
            self.lua = Some(lua);
        }
        Ok(self.lua.as_ref().expect("created"))
    }

    /// Compiles and runs a library's code, returning its name and registered functions.
    fn evaluate(
        &mut self,
        code: &[u8],
        replace: bool,
    ) -> Result<(String, Vec<FunctionDef>), Error> {
        let name = library_name(code)?;
        if self.libraries.contains_key(&name) && !replace {
            return Err(Error::err(format!("Library '{name}' already exists")));
        }
        // The metadata line is skipped but its newline kept, so line numbers stay right.
        let skip = code.iter().position(|&b| b == b'\n').unwrap_or(code.len());
        let lua = self.vm()?;
        let func = lua
            .load(&code[skip..])
            .set_name("@user_function")
            .set_mode(mlua::chunk::ChunkMode::Text)
            .into_function()
            .map_err(|e| {
                Error::err(format!(
                    "Error compiling function: {}",
                    engine::lua_error_message(&e)
                ))
            })?;
        LOADING.with(|l| {
            *l.borrow_mut() = Some(Pending {
                funcs: Vec::new(),
                deadline: Instant::now() + Duration::from_millis(500),
            })
        });
        let res = engine::protected(lua, &func, MultiValue::new());
        let timed_out = load_timed_out();
        let pending = LOADING.with(|l| l.borrow_mut().take()).expect("pending");
        match res {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                let msg = if timed_out {
                    "ERR FUNCTION LOAD timeout".to_string()
                } else {
                    match &e {
                        Value::Table(t) => match t.raw_get::<Value>("err") {
                            Ok(Value::String(s)) => s.to_string_lossy(),
                            _ => "ERR unknown error".to_string(),
                        },
                        other => format!("ERR {other:?}"),
                    }
                };
                return Err(Error::err(format!("Error registering functions: {msg}")));
            }
            Err(e) => {
                return Err(Error::err(format!(
                    "Error registering functions: {}",
                    engine::lua_error_message(&e)
                )));
            }
        }
        if pending.funcs.is_empty() {
            return Err(Error::err("No functions registered"));
        }
        let mut funcs = pending.funcs;
        for f in &mut funcs {
            f.library = name.clone();
        }
        Ok((name, funcs))
    }

    /// FUNCTION LOAD: returns the library name.
    pub fn load(&mut self, code: &[u8], replace: bool) -> Result<String, Error> {
        let (name, funcs) = self.evaluate(code, replace)?;
        for f in &funcs {
            if let Some(existing) = self.functions.get(&f.name.to_ascii_lowercase())
                && existing.library != name
            {
                return Err(Error::err(format!("Function {} already exists", f.name)));
            }
        }
        self.install(name.clone(), code.to_vec(), funcs);
        Ok(name)
    }

    fn install(&mut self, name: String, code: Vec<u8>, funcs: Vec<FunctionDef>) {
        self.delete(&name);
        let names = funcs.iter().map(|f| f.name.clone()).collect();
        for f in funcs {
            self.functions.insert(f.name.to_ascii_lowercase(), f);
        }
        self.libraries.insert(
            name.clone(),
            Library {
                name,
                code,
                functions: names,
            },
        );
    }

    /// Removes a library; false if there is none by that name.
    pub fn delete(&mut self, name: &str) -> bool {
        let Some(lib) = self.libraries.remove(name) else {
            return false;
        };
        for f in lib.functions {
            self.functions.remove(&f.to_ascii_lowercase());
        }
        true
    }

    pub fn flush(&mut self) {
        self.libraries.clear();
        self.functions.clear();
        self.lua = None;
    }

    /// FUNCTION DUMP payload.
    pub fn dump(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for lib in self.libraries.values() {
            out.push(RDB_OPCODE_FUNCTION2);
            rdb_string(&mut out, &lib.code);
        }
        out.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// FUNCTION RESTORE with a policy: "flush", "append" or "replace".
    pub fn restore(&mut self, payload: &[u8], policy: &str) -> Result<(), Error> {
        let bad = || Error::err("DUMP payload version or checksum are wrong");
        if payload.len() < 10 {
            return Err(bad());
        }
        let (body, footer) = payload.split_at(payload.len() - 10);
        let ver = u16::from_le_bytes([footer[0], footer[1]]);
        let crc = u64::from_le_bytes(footer[2..10].try_into().expect("8 bytes"));
        if ver > RDB_VERSION || crc64(0, &payload[..payload.len() - 8]) != crc {
            return Err(bad());
        }
        let mut codes = Vec::new();
        let mut pos = 0;
        while pos < body.len() {
            if body[pos] != RDB_OPCODE_FUNCTION2 {
                return Err(Error::err("given type is not a function"));
            }
            pos += 1;
            let Some(code) = read_rdb_string(body, &mut pos) else {
                return Err(Error::err("Failed loading library"));
            };
            codes.push(code);
        }
        // Evaluate everything first: the restore is all or nothing.
        let mut libs = Vec::new();
        for code in &codes {
            let (name, funcs) = self.evaluate(code, true)?;
            libs.push((name, code.clone(), funcs));
        }
        match policy {
            "flush" => {
                self.libraries.clear();
                self.functions.clear();
            }
            "append" => {
                for (name, _, funcs) in &libs {
                    if self.libraries.contains_key(name) {
                        return Err(Error::err(format!("Library {name} already exists")));
                    }
                    for f in funcs {
                        if self.functions.contains_key(&f.name.to_ascii_lowercase()) {
                            return Err(Error::err(format!("Function {} already exists", f.name)));
                        }
                    }
                }
            }
            _ => {
                for (name, _, funcs) in &libs {
                    for f in funcs {
                        if let Some(existing) = self.functions.get(&f.name.to_ascii_lowercase())
                            && existing.library != *name
                            && !libs.iter().any(|(n, _, _)| *n == existing.library)
                        {
                            return Err(Error::err(format!("Function {} already exists", f.name)));
                        }
                    }
                }
            }
        }
        for (name, code, funcs) in libs {
            self.install(name, code, funcs);
        }
        Ok(())
    }
}

fn engine_raising<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, MultiValue) -> mlua::Result<(bool, Value)> + Send + 'static,
{
    engine::raising_function(lua, f)
}

/// The flags of a function as names (FUNCTION LIST).
pub fn flag_names(flags: u32) -> Vec<&'static str> {
    let mut v = Vec::new();
    for (bit, name) in [
        (F_NO_WRITES, "no-writes"),
        (F_ALLOW_OOM, "allow-oom"),
        (F_ALLOW_STALE, "allow-stale"),
        (F_NO_CLUSTER, "no-cluster"),
        (F_ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ] {
        if flags & bit != 0 {
            v.push(name);
        }
    }
    v
}

/// KEYS and ARGV tables for a function call.
pub fn call_args(lua: &Lua, keys: &[&[u8]], argv: &[&[u8]]) -> mlua::Result<(Table, Table)> {
    Ok((
        engine::string_table(lua, keys)?,
        engine::string_table(lua, argv)?,
    ))
}

const RDB_OPCODE_FUNCTION2: u8 = 245;
const RDB_VERSION: u16 = 11;

fn rdb_string(out: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else if n <= u32::MAX as usize {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn read_rdb_string(buf: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
    let first = *buf.get(*pos)?;
    *pos += 1;
    let len = match first >> 6 {
        0 => (first & 0x3f) as usize,
        1 => {
            let b = *buf.get(*pos)? as usize;
            *pos += 1;
            (((first & 0x3f) as usize) << 8) | b
        }
        2 if first == 0x80 => {
            let b = buf.get(*pos..*pos + 4)?;
            *pos += 4;
            u32::from_be_bytes(b.try_into().ok()?) as usize
        }
        2 if first == 0x81 => {
            let b = buf.get(*pos..*pos + 8)?;
            *pos += 8;
            u64::from_be_bytes(b.try_into().ok()?) as usize
        }
        _ => {
            if first == 0xc3 {
                // LZF-compressed string (as real Redis writes with rdbcompression).
                let clen = read_len(buf, pos)?;
                let ulen = read_len(buf, pos)?;
                let data = buf.get(*pos..*pos + clen)?;
                *pos += clen;
                return lzf_decompress(data, ulen);
            }
            return None;
        }
    };
    let s = buf.get(*pos..*pos + len)?.to_vec();
    *pos += len;
    Some(s)
}

fn read_len(buf: &[u8], pos: &mut usize) -> Option<usize> {
    let first = *buf.get(*pos)?;
    *pos += 1;
    match first >> 6 {
        0 => Some((first & 0x3f) as usize),
        1 => {
            let b = *buf.get(*pos)? as usize;
            *pos += 1;
            Some((((first & 0x3f) as usize) << 8) | b)
        }
        _ if first == 0x80 => {
            let b = buf.get(*pos..*pos + 4)?;
            *pos += 4;
            Some(u32::from_be_bytes(b.try_into().ok()?) as usize)
        }
        _ => None,
    }
}

fn lzf_decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            out.extend_from_slice(input.get(i..i + n)?);
            i += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(i)? as usize;
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..len + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

/// CRC-64/Jones as Redis uses it (reflected, polynomial 0xad93d94678419431, no final xor).
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // reflected 0xad93d94678419431
    for &b in data {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Refreshes the counts and library codes kept beside the registry.
pub fn publish(srv: &crate::server::Server, f: &Functions) {
    *srv.scripting.fn_counts.lock() = (f.libraries.len(), f.functions.len());
    *srv.scripting.library_codes.lock() = f.libraries.values().map(|l| l.code.clone()).collect();
}

/// Loads the function libraries an RDB file carried (returned by `load_file` as aux fields).
pub fn load_from_aux(srv: &crate::server::Server, aux: &[(Vec<u8>, Vec<u8>)]) {
    let codes: Vec<&Vec<u8>> = aux
        .iter()
        .filter(|(k, _)| k.as_slice() == crate::persist::rdb::FUNCTION_AUX)
        .map(|(_, v)| v)
        .collect();
    if codes.is_empty() {
        return;
    }
    let mut f = srv.scripting.functions.lock();
    for code in codes {
        if let Err(e) = f.load(code, true) {
            eprintln!(
                "# Failed loading a function library from the RDB: {}",
                e.as_str()
            );
        }
    }
    publish(srv, &f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_check_value() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn rdb_strings_round_trip() {
        for n in [0usize, 5, 63, 64, 300, 16383, 16384, 70000] {
            let s = vec![b'x'; n];
            let mut out = Vec::new();
            rdb_string(&mut out, &s);
            let mut pos = 0;
            assert_eq!(read_rdb_string(&out, &mut pos).unwrap(), s);
            assert_eq!(pos, out.len());
        }
    }
}
