//! DEBUG: introspection and test helpers (enabled by `enable-debug-command`).
//!
//! DEBUG is a single command dispatching on its first argument, as in Redis (it has no
//! subcommand entries in COMMAND INFO).

use std::sync::atomic::Ordering::Relaxed;

use super::ctx::Ctx;
use crate::error::{CmdResult, Error};

const HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Options: NOSAVE, NOFLUSH, MERGE.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Print this help.",
];

pub fn debug(ctx: &mut Ctx) -> CmdResult {
    let sub = String::from_utf8_lossy(ctx.arg(1)).to_ascii_lowercase();
    let argc = ctx.argc();
    match (sub.as_str(), argc) {
        ("help", 2) => {
            ctx.out.array(HELP.len());
            for l in HELP {
                ctx.out.simple(l);
            }
            Ok(())
        }
        ("sleep", 3) => {
            // Redis reads the time with strtod: a malformed number sleeps 0 seconds.
            let secs = c_atof(ctx.arg(2));
            if secs > 0.0 {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            }
            ctx.ok()
        }
        ("set-active-expire", 3) => {
            let on = c_atoi(ctx.arg(2)) != 0;
            ctx.srv.hot.active_expire_enabled.store(on, Relaxed);
            ctx.ok()
        }
        ("reload", _) => super::persist::debug_reload(ctx),
        // The argument is the whole error line, code included (no "ERR " is added).
        ("error", 3) => Err(Error::raw(
            String::from_utf8_lossy(ctx.arg(2)).replace(['\r', '\n'], " "),
        )),
        ("log", 3) => {
            eprintln!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.arg(2)));
            ctx.ok()
        }
        ("object", 3) => {
            let key = ctx.arg(2);
            let Some((_, enc, lru, mem)) = ctx.db.entry_info(key) else {
                return Err(Error::err("no such key"));
            };
            let extra = String::new();
            let idle = ctx.srv.lru_idle_ms(lru) / 1000;
            let text = format!(
                "Value at:0x{:x} refcount:1 encoding:{enc} serializedlength:{mem} lru:{lru} lru_seconds_idle:{idle}{extra}",
                key.as_ptr() as usize
            );
            ctx.out.simple(&text);
            Ok(())
        }
        ("protocol", 3) => {
            let t = String::from_utf8_lossy(ctx.arg(2)).to_ascii_lowercase();
            let r = &mut ctx.out;
            match t.as_str() {
                "string" => r.bulk(b"Hello World"),
                "integer" => r.int(12345),
                // The value Redis's DEBUG PROTOCOL double returns (not an approximation of pi).
                #[allow(clippy::approx_constant)]
                "double" => r.double(3.141),
                "bignum" => r.big_number("1234567999999999999999999999999999999"),
                "null" => r.null(),
                "array" => {
                    r.array(3);
                    for i in 0..3 {
                        r.int(i);
                    }
                }
                "set" => {
                    r.set(3);
                    for i in 0..3 {
                        r.int(i);
                    }
                }
                "map" => {
                    r.map(3);
                    for i in 0..3 {
                        r.int(i);
                        r.boolean(i == 1);
                    }
                }
                "attrib" => {
                    if r.resp3 {
                        r.raw(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n");
                    }
                    r.bulk(b"Some real reply following the attribute");
                }
                "push" => {
                    if !r.resp3 {
                        return Err(Error::err("RESP2 is not supported by this command"));
                    }
                    r.push(2);
                    r.bulk(b"server-cpu-usage");
                    r.int(42);
                    r.bulk(b"Some real reply following the push reply");
                }
                "true" => r.boolean(true),
                "false" => r.boolean(false),
                "verbatim" => r.verbatim(b"This is a verbatim\nstring", "txt"),
                _ => {
                    return Err(Error::err(
                        "Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
                    ));
                }
            }
            Ok(())
        }
        _ => Err(Error::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(ctx.arg(1))
        ))),
    }
}

/// C `atoi`: optional leading spaces and sign, then as many digits as there are (0 if none).
fn c_atoi(s: &[u8]) -> i64 {
    let s = s.trim_ascii_start();
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg { v.wrapping_neg() } else { v }
}

/// C `strtod` without an end pointer: the longest numeric prefix (0.0 if none).
fn c_atof(s: &[u8]) -> f64 {
    let s = s.trim_ascii_start();
    let candidate = s
        .iter()
        .take_while(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E'))
        .count();
    (1..=candidate)
        .rev()
        .find_map(|n| std::str::from_utf8(&s[..n]).ok()?.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_number_prefixes() {
        assert_eq!(c_atoi(b"x"), 0);
        assert_eq!(c_atoi(b" 12abc"), 12);
        assert_eq!(c_atoi(b"-3"), -3);
        assert_eq!(c_atof(b"x"), 0.0);
        assert_eq!(c_atof(b"0.5s"), 0.5);
        assert_eq!(c_atof(b"1e-2"), 0.01);
        assert_eq!(c_atof(b"2e"), 2.0);
    }
}
