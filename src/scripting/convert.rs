//! Conversions between Redis replies and Lua values, both ways, as Redis 7.2's script_lua.c
//! does them.
//!
//! Command replies reach a script as RESP bytes (the nested command wrote them with the
//! script's protocol, `redis.setresp`), parsed here into Lua values:
//!
//! | RESP                | Lua                                               |
//! |---------------------|---------------------------------------------------|
//! | integer             | number                                            |
//! | bulk string         | string                                            |
//! | null bulk/array (2) | false                                             |
//! | array               | table (array part)                                |
//! | simple string       | table `{ok=...}`                                  |
//! | error               | table `{err=...}`                                 |
//! | null (3)            | nil                                               |
//! | boolean (3)         | true / false                                      |
//! | double (3)          | table `{double=number}`                           |
//! | big number (3)      | table `{big_number=string}`                       |
//! | verbatim (3)        | table `{verbatim_string={format=..., string=...}}`|
//! | map (3)             | table `{map={k=v...}}`                            |
//! | set (3)             | table `{set={member=true...}}`                    |
//!
//! A script's return value goes the other way into the caller's reply, in the caller's
//! protocol (booleans follow the script's `setresp` level, as in Redis).

use mlua::{Lua, Table, Value};

use crate::protocol::Reply;

/// Parses one RESP reply at `pos` into a Lua value. Attribute frames are skipped.
pub fn resp_to_lua(lua: &Lua, buf: &[u8], pos: &mut usize) -> mlua::Result<Value> {
    let line = |pos: &mut usize| -> &[u8] {
        let start = *pos;
        let mut i = start;
        while i + 1 < buf.len() && !(buf[i] == b'\r' && buf[i + 1] == b'\n') {
            i += 1;
        }
        *pos = (i + 2).min(buf.len());
        &buf[start..i.min(buf.len())]
    };
    let num = |s: &[u8]| -> i64 {
        std::str::from_utf8(s)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    if *pos >= buf.len() {
        return Ok(Value::Nil);
    }
    let kind = buf[*pos];
    *pos += 1;
    let text = line(pos);
    match kind {
        b'+' => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(text)?)?;
            Ok(Value::Table(t))
        }
        b'-' => {
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(text)?)?;
            Ok(Value::Table(t))
        }
        b':' => Ok(Value::Number(num(text) as f64)),
        b'$' | b'=' => {
            let n = num(text);
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let n = n as usize;
            let data = &buf[*pos..(*pos + n).min(buf.len())];
            *pos = (*pos + n + 2).min(buf.len());
            if kind == b'$' {
                return Ok(Value::String(lua.create_string(data)?));
            }
            let (format, s) = if data.len() >= 4 && data[3] == b':' {
                (&data[..3], &data[4..])
            } else {
                (&b"txt"[..], data)
            };
            let inner = lua.create_table()?;
            inner.raw_set("format", lua.create_string(format)?)?;
            inner.raw_set("string", lua.create_string(s)?)?;
            let t = lua.create_table()?;
            t.raw_set("verbatim_string", inner)?;
            Ok(Value::Table(t))
        }
        b'*' | b'>' => {
            let n = num(text);
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let t = lua.create_table()?;
            for i in 0..n {
                let v = resp_to_lua(lua, buf, pos)?;
                t.raw_set(i + 1, v)?;
            }
            Ok(Value::Table(t))
        }
        b'%' | b'~' => {
            let n = num(text);
            let inner = lua.create_table()?;
            for _ in 0..n {
                let k = resp_to_lua(lua, buf, pos)?;
                if kind == b'%' {
                    let v = resp_to_lua(lua, buf, pos)?;
                    inner.raw_set(k, v)?;
                } else {
                    inner.raw_set(k, true)?;
                }
            }
            let t = lua.create_table()?;
            t.raw_set(if kind == b'%' { "map" } else { "set" }, inner)?;
            Ok(Value::Table(t))
        }
        b'|' => {
            // Attributes are not exposed to scripts: skip them, return what follows.
            let n = num(text);
            for _ in 0..2 * n {
                resp_to_lua(lua, buf, pos)?;
            }
            resp_to_lua(lua, buf, pos)
        }
        b'_' => Ok(Value::Nil),
        b'#' => Ok(Value::Boolean(text == b"t")),
        b',' => {
            let s = String::from_utf8_lossy(text);
            let v = match s.as_ref() {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                other => other.parse().unwrap_or(0.0),
            };
            let t = lua.create_table()?;
            t.raw_set("double", v)?;
            Ok(Value::Table(t))
        }
        b'(' => {
            let t = lua.create_table()?;
            t.raw_set("big_number", lua.create_string(text)?)?;
            Ok(Value::Table(t))
        }
        _ => Ok(Value::Nil),
    }
}

/// A Lua number as Redis converts it to an integer reply: `(long long)` truncation.
pub fn lua_number_to_i64(d: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if d > -LIMIT - 1.0 && d < LIMIT {
        d as i64
    } else {
        i64::MIN
    }
}

fn string_field(t: &Table, name: &str) -> Option<mlua::LuaString> {
    match t.raw_get::<Value>(name) {
        Ok(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Writes a script's return value as a reply (Redis's luaReplyToRedisReply). `script_resp` is
/// the script's `redis.setresp` level, which decides how booleans are sent.
pub fn lua_to_reply(out: &mut Reply<'_>, v: &Value, script_resp: u8, depth: usize) {
    if depth > 1000 {
        out.error("ERR reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp == 2 {
                if *b {
                    out.int(1);
                } else {
                    out.null();
                }
            } else {
                out.boolean(*b);
            }
        }
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(lua_number_to_i64(*n)),
        Value::Table(t) => table_to_reply(out, t, script_resp, depth),
        _ => out.null(),
    }
}

fn table_to_reply(out: &mut Reply<'_>, t: &Table, script_resp: u8, depth: usize) {
    if let Some(e) = string_field(t, "err") {
        out.error(&String::from_utf8_lossy(&e.as_bytes()));
        return;
    }
    if let Some(s) = string_field(t, "ok") {
        let s = String::from_utf8_lossy(&s.as_bytes()).replace(['\r', '\n'], " ");
        out.simple(&s);
        return;
    }
    match t.raw_get::<Value>("double") {
        Ok(Value::Number(d)) => {
            out.double(d);
            return;
        }
        Ok(Value::Integer(i)) => {
            out.double(i as f64);
            return;
        }
        _ => {}
    }
    if let Some(s) = string_field(t, "big_number") {
        let s = String::from_utf8_lossy(&s.as_bytes()).replace(['\r', '\n'], " ");
        out.big_number(&s);
        return;
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(|p| p.ok()).collect();
        out.map(pairs.len());
        for (k, v) in &pairs {
            lua_to_reply(out, k, script_resp, depth + 1);
            lua_to_reply(out, v, script_resp, depth + 1);
        }
        return;
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok())
            .map(|(k, _)| k)
            .collect();
        out.set(keys.len());
        for k in &keys {
            lua_to_reply(out, k, script_resp, depth + 1);
        }
        return;
    }
    if let Ok(Value::Table(vt)) = t.raw_get::<Value>("verbatim_string")
        && let (Some(format), Some(s)) = (string_field(&vt, "format"), string_field(&vt, "string"))
    {
        let f = String::from_utf8_lossy(&format.as_bytes()).into_owned();
        out.verbatim(&s.as_bytes(), &f);
        return;
    }
    let mut items = Vec::new();
    let mut i = 1i64;
    loop {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
        i += 1;
    }
    out.array(items.len());
    for v in &items {
        lua_to_reply(out, v, script_resp, depth + 1);
    }
}
