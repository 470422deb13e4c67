//! The scripting engine: Lua states with Redis's `redis` API, the script cache, and running a
//! script under the server's rules.
//!
//! Two Lua states exist, as in Redis: one for EVAL scripts (with the script cache: SHA1 →
//! compiled function) and one for FUNCTION libraries. Both are built the same way (Redis's
//! libraries and sandbox from `lualibs`, the `redis` table, Redis's `pcall`), each behind a
//! mutex. A script runs while its command holds every keyspace shard lock (EVAL and FCALL are
//! whole-keyspace commands), so scripts are atomic, and the VM mutexes are only contended by
//! SCRIPT/FUNCTION management commands.
//!
//! While a script runs, the state it needs (the command context: keyspace, client, reply) is
//! reachable from Lua callbacks through a thread-local pointer set for exactly the duration of
//! the run ([`RunGuard`]). A count hook checks every 100 000 VM instructions whether SCRIPT
//! KILL / FUNCTION KILL or SHUTDOWN asked the script to stop. Other clients see the script as
//! busy through `Server::script_busy_since` (dispatch answers -BUSY past busy-reply-threshold).
//!
//! Errors follow Redis 7.2: errors raised inside a script are tables `{err=...}` completed by
//! an error handler with the source and line, and the caller gets
//! `<err> script: <name>, on @user_script:<line>.`.

use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::sync::atomic::Ordering::*;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Instant;

use mlua::{Function, Lua, LuaOptions, MultiValue, Table, Value, ffi};
use parking_lot::Mutex;

use super::convert;
use super::lualibs;
use crate::cmd::ctx::{Ctx, IN_SCRIPT};
use crate::cmd::table as t;
use crate::error::Error;
use crate::server::dispatch::{self, Exec};

/// What is known about the script running right now (SCRIPT KILL, FUNCTION STATS).
pub struct RunningInfo {
    pub name: String,
    pub command: Vec<Vec<u8>>,
    pub started: Instant,
    /// EVAL/EVALSHA (true) or FCALL (false).
    pub is_eval: bool,
}

/// Script flags from a shebang line or `register_function`.
pub const F_NO_WRITES: u32 = 1 << 0;
pub const F_ALLOW_OOM: u32 = 1 << 1;
pub const F_ALLOW_STALE: u32 = 1 << 2;
pub const F_NO_CLUSTER: u32 = 1 << 3;
pub const F_ALLOW_CROSS_SLOT: u32 = 1 << 4;
/// No shebang: the script runs with Redis 6 (EVAL compatibility) rules.
pub const F_EVAL_COMPAT: u32 = 1 << 5;

pub const FLAG_NAMES: &[(u32, &str)] = &[
    (F_NO_WRITES, "no-writes"),
    (F_ALLOW_OOM, "allow-oom"),
    (F_ALLOW_STALE, "allow-stale"),
    (F_NO_CLUSTER, "no-cluster"),
    (F_ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
];

/// A cached EVAL script.
pub struct Script {
    pub body: Vec<u8>,
    pub func: Function,
    pub flags: u32,
}

/// The EVAL Lua state and its script cache.
pub struct EvalVm {
    pub lua: Lua,
    pub scripts: HashMap<String, Script>,
}

/// Engine state shared by the server.
pub struct Engine {
    pub eval: Mutex<Option<EvalVm>>,
    pub functions: Mutex<super::functions::Functions>,
    pub running: Mutex<Option<RunningInfo>>,
    /// The running script executed a write (it cannot be killed any more).
    pub wrote: AtomicBool,
    /// Number of cached scripts (INFO, SCRIPT EXISTS without the VM lock).
    pub cached: AtomicU64,
    /// Libraries and functions loaded (FUNCTION STATS while a function holds the registry).
    pub fn_counts: Mutex<(usize, usize)>,
    /// Code of every loaded library, for snapshots (kept beside the registry, whose lock a
    /// running FCALL holds).
    pub library_codes: Mutex<Vec<Vec<u8>>>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Engine {
        Engine {
            eval: Mutex::new(None),
            functions: Mutex::new(super::functions::Functions::default()),
            running: Mutex::new(None),
            wrote: AtomicBool::new(false),
            cached: AtomicU64::new(0),
            fn_counts: Mutex::new((0, 0)),
            library_codes: Mutex::new(Vec::new()),
        }
    }
}

/// Per-run state reachable from Lua callbacks.
pub struct Run<'r, 'c, 'a> {
    pub ctx: &'r mut Ctx<'c, 'a>,
    pub flags: u32,
    /// EVAL_RO / FCALL_RO.
    pub ro_command: bool,
    pub resp: u8,
    pub killed: bool,
    pub name: String,
}

/// A FUNCTION (not an EVAL script) is running: -BUSY names FUNCTION KILL.
pub static FUNCTION_RUNNING: AtomicBool = AtomicBool::new(false);

thread_local! {
    static CURRENT: Cell<*mut c_void> = const { Cell::new(std::ptr::null_mut()) };
    static KILLED: Cell<bool> = const { Cell::new(false) };
}

/// Makes a run reachable from callbacks while alive.
pub struct RunGuard {
    prev: *mut c_void,
}

impl RunGuard {
    pub fn new(run: &mut Run<'_, '_, '_>) -> RunGuard {
        let p = run as *mut Run<'_, '_, '_> as *mut c_void;
        KILLED.with(|k| k.set(false));
        RunGuard {
            prev: CURRENT.with(|c| c.replace(p)),
        }
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
        KILLED.with(|k| k.set(false));
    }
}

/// The run in progress on this thread, if any.
///
/// # Safety
/// The returned reference must not outlive the [`RunGuard`] that registered it, and must not be
/// held across another call to `current` (callbacks use it for their own duration only).
unsafe fn current<'x>() -> Option<&'x mut Run<'x, 'x, 'x>> {
    let p = CURRENT.with(|c| c.get());
    if p.is_null() {
        None
    } else {
        // SAFETY: set by RunGuard from a live `&mut Run` on this thread's stack; lifetimes are
        // erased, the layout does not depend on them.
        Some(unsafe { &mut *(p as *mut Run<'x, 'x, 'x>) })
    }
}

/// A table `{err=msg}`.
fn err_table(lua: &Lua, msg: &str) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set("err", msg)?;
    Ok(Value::Table(t))
}

/// Redis's luaPushError message normalisation: "-CODE msg" loses its dash, a message without a
/// code gets "ERR ".
fn error_text(msg: &str) -> String {
    match msg.strip_prefix('-') {
        Some(rest) => rest.to_string(),
        None => format!("ERR {msg}"),
    }
}

/// Status protocol for raising callbacks: (true, value) or (false, error value to raise).
fn raise(lua: &Lua, msg: &str) -> mlua::Result<(bool, Value)> {
    Ok((false, err_table(lua, &error_text(msg))?))
}

/// C closure: calls upvalue 1 (returns ok, value); raises value unless ok.
unsafe extern "C-unwind" fn raising_trampoline(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua; LUA_MINSTACK slots are available and we push one value before the
    // call. No Rust value with a destructor is alive when lua_error longjmps.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, nargs, 2);
        if ffi::lua_toboolean(state, -2) == 0 {
            ffi::lua_error(state);
        }
        1
    }
}

pub fn raising_function<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, MultiValue) -> mlua::Result<(bool, Value)> + Send + 'static,
{
    let inner = lua.create_function(move |lua, args: MultiValue| f(lua, args))?;
    // SAFETY: pushes a C closure over the one value exec_raw pushed.
    unsafe {
        lua.exec_raw(inner, |state| {
            ffi::lua_pushcclosure(state, raising_trampoline, 1);
        })
    }
}

/// Redis's `pcall`: an error table is replaced by its `err` string; a killed script's error is
/// not catchable.
unsafe extern "C-unwind" fn redis_pcall(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called by Lua; pushes at most two values beyond its arguments.
    unsafe {
        let argc = ffi::lua_gettop(state);
        ffi::luaL_checkany(state, 1);
        ffi::lua_pushboolean(state, 1);
        ffi::lua_insert(state, 1);
        if ffi::lua_pcall(state, argc - 1, ffi::LUA_MULTRET, 0) != 0 {
            if KILLED.with(|k| k.get()) {
                ffi::lua_error(state);
            }
            ffi::lua_remove(state, 1);
            if ffi::lua_istable(state, -1) != 0 {
                ffi::lua_getfield(state, -1, c"err".as_ptr());
                if ffi::lua_isstring(state, -1) != 0 {
                    ffi::lua_replace(state, -2);
                } else {
                    ffi::lua_pop(state, 1);
                }
            }
            ffi::lua_pushboolean(state, 0);
            ffi::lua_insert(state, 1);
        }
        ffi::lua_gettop(state)
    }
}

/// Error handler: turns any error into `{err=..., source=..., line=...}` (Redis's
/// `__redis__err__handler`).
unsafe extern "C-unwind" fn error_handler(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called by Lua as a message handler with the error at index 1; at
    // most four values are pushed.
    unsafe {
        let mut ar: ffi::lua_Debug = std::mem::zeroed();
        let mut found = false;
        if ffi::lua_getstack(state, 1, &mut ar) != 0 {
            ffi::lua_getinfo(state, c"nSl".as_ptr(), &mut ar);
            found = true;
            if !ar.what.is_null() && std::ffi::CStr::from_ptr(ar.what).to_bytes() == b"C" {
                if ffi::lua_getstack(state, 2, &mut ar) != 0 {
                    ffi::lua_getinfo(state, c"nSl".as_ptr(), &mut ar);
                } else {
                    found = false;
                }
            }
        }
        if ffi::lua_istable(state, 1) == 0 {
            ffi::lua_pushstring(state, c"ERR ".as_ptr());
            ffi::luaL_tolstring(state, 1, std::ptr::null_mut());
            ffi::lua_concat(state, 2);
            ffi::lua_createtable(state, 0, 3);
            ffi::lua_insert(state, -2);
            ffi::lua_setfield(state, -2, c"err".as_ptr());
            ffi::lua_replace(state, 1);
        }
        if found && !ar.source.is_null() {
            ffi::lua_pushstring(state, ar.source);
            ffi::lua_setfield(state, 1, c"source".as_ptr());
            ffi::lua_pushinteger(state, ar.currentline as ffi::lua_Integer);
            ffi::lua_setfield(state, 1, c"line".as_ptr());
        }
        ffi::lua_settop(state, 1);
        1
    }
}

/// `protected(f, ...)`: calls f with the error handler; returns (true, result) or (false, error).
unsafe extern "C-unwind" fn protected_call(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called by Lua with the function at index 1.
    unsafe {
        let n = ffi::lua_gettop(state);
        ffi::lua_pushcfunction(state, error_handler);
        ffi::lua_insert(state, 1);
        let status = ffi::lua_pcall(state, n - 1, 1, 1);
        ffi::lua_pushboolean(state, (status == 0) as c_int);
        ffi::lua_replace(state, 1);
        2
    }
}

/// Converts call arguments to a command argv (strings and numbers only).
fn argv_of(lua: &Lua, args: MultiValue) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for a in args {
        match a {
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            v @ (Value::Integer(_) | Value::Number(_)) => match lua.coerce_string(v) {
                Ok(Some(s)) => argv.push(s.as_bytes().to_vec()),
                _ => return Err("Lua redis lib command arguments must be strings or integers"),
            },
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// Executes a command for redis.call/pcall. Returns the reply as a Lua value; an error reply
/// (or a refusal) comes back as an `{err=...}` table and `false`.
fn script_call(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
    let argv = match argv_of(lua, args) {
        Ok(a) => a,
        Err(e) => return raise(lua, e),
    };
    // SAFETY: used only within this callback, while the run is alive.
    let Some(run) = (unsafe { current() }) else {
        return raise(
            lua,
            "redis.call/pcall can only be called inside a script invocation",
        );
    };
    let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
    let srv = run.ctx.srv;
    let cmd = match srv.commands.lookup(&args) {
        Ok((cmd, _)) => cmd,
        Err(_) => {
            let known = srv.commands.get(args[0]);
            let unknown = match known {
                None => true,
                Some(c) => {
                    c.is_container() && args.len() >= 2 && srv.commands.sub(c, args[1]).is_none()
                }
            };
            return raise(
                lua,
                if unknown {
                    "Unknown Redis command called from script"
                } else {
                    "Wrong number of args calling Redis command from script"
                },
            );
        }
    };
    if cmd.has(t::NOSCRIPT) {
        return raise(lua, "This Redis command is not allowed from script");
    }
    if cmd.has(t::WRITE) {
        if run.flags & F_NO_WRITES != 0 || run.ro_command {
            return raise(
                lua,
                "Write commands are not allowed from read-only scripts.",
            );
        }
        let compat = run.flags & F_EVAL_COMPAT != 0;
        if cmd.has(t::DENYOOM)
            && (compat || run.flags & F_ALLOW_OOM == 0)
            && !srv.scripting.wrote.load(Relaxed)
            && crate::security::over_maxmemory(srv)
        {
            return raise(
                lua,
                "-OOM command not allowed when used memory > 'maxmemory'.",
            );
        }
    }
    if let Err(e) = crate::security::check_acl_in(
        srv,
        run.ctx.client,
        cmd,
        &args,
        crate::security::LogContext::Lua,
    ) {
        let msg = e.as_str().to_string();
        let msg = if msg.starts_with("NOPERM ") {
            "-NOPERM The user executing the script can't run this command or subcommand".to_string()
        } else {
            format!("-{msg}")
        };
        return raise(lua, &msg);
    }
    if cmd.has(t::WRITE) {
        srv.scripting.wrote.store(true, Relaxed);
    }
    let ex = Exec {
        srv,
        stats: run.ctx.stats,
        worker: usize::MAX,
        now_ms: run.ctx.db.now,
    };
    let mut out = Vec::new();
    let saved_resp3 = run.ctx.client.resp3;
    run.ctx.client.resp3 = run.resp == 3;
    let res = dispatch::call_nested(
        &ex,
        run.ctx.client,
        cmd,
        &args,
        &mut out,
        run.ctx.db,
        IN_SCRIPT,
    );
    run.ctx.client.resp3 = saved_resp3;
    let mut pos = 0;
    let v = convert::resp_to_lua(lua, &out, &mut pos)?;
    let _ = res;
    Ok((out.first() != Some(&b'-'), v))
}

fn arg_string(v: Option<&Value>) -> Option<Vec<u8>> {
    match v {
        Some(Value::String(s)) => Some(s.as_bytes().to_vec()),
        Some(Value::Integer(i)) => Some(i.to_string().into_bytes()),
        Some(Value::Number(n)) => Some(lua_number_text(*n).into_bytes()),
        _ => None,
    }
}

fn lua_number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn arg_number(v: Option<&Value>) -> Option<f64> {
    match v {
        Some(Value::Integer(i)) => Some(*i as f64),
        Some(Value::Number(n)) => Some(*n),
        Some(Value::String(s)) => s.to_str().ok().and_then(|s| s.trim().parse().ok()),
        _ => None,
    }
}

pub fn sha1hex(data: &[u8]) -> String {
    use sha1::Digest;
    let d = sha1::Sha1::digest(data);
    let mut s = String::with_capacity(40);
    for b in d.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Builds the `redis` table for a state.
fn redis_api(lua: &Lua) -> mlua::Result<Table> {
    let redis = lua.create_table()?;
    redis.set("call", raising_function(lua, script_call)?)?;
    redis.set(
        "pcall",
        lua.create_function(|lua, args: MultiValue| Ok(script_call(lua, args)?.1))?,
    )?;
    redis.set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| {
            let v: Vec<Value> = args.into_vec();
            if v.len() != 1 || !matches!(v[0], Value::String(_)) {
                return err_table(lua, "ERR wrong number or type of arguments");
            }
            let s = arg_string(v.first()).unwrap_or_default();
            let s = s.strip_prefix(b"-").unwrap_or(&s).to_vec();
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(&s)?)?;
            Ok(Value::Table(t))
        })?,
    )?;
    redis.set(
        "status_reply",
        lua.create_function(|lua, args: MultiValue| {
            let v: Vec<Value> = args.into_vec();
            if v.len() != 1 || !matches!(v[0], Value::String(_)) {
                return err_table(lua, "ERR wrong number or type of arguments");
            }
            let t = lua.create_table()?;
            t.raw_set("ok", v[0].clone())?;
            Ok(Value::Table(t))
        })?,
    )?;
    redis.set(
        "sha1hex",
        raising_function(lua, |lua, args| {
            let v: Vec<Value> = args.into_vec();
            if v.len() != 1 {
                return raise(lua, "wrong number of arguments");
            }
            let s = arg_string(v.first()).unwrap_or_default();
            Ok((true, Value::String(lua.create_string(sha1hex(&s))?)))
        })?,
    )?;
    redis.set(
        "log",
        raising_function(lua, |lua, args| {
            let v: Vec<Value> = args.into_vec();
            if v.len() < 2 {
                return raise(lua, "redis.log() requires two arguments or more.");
            }
            let Some(level) = arg_number(v.first()) else {
                return raise(lua, "First argument must be a number");
            };
            if !(0.0..=3.0).contains(&level) {
                return raise(lua, "Invalid debug level.");
            }
            let mut msg = Vec::new();
            for (i, a) in v[1..].iter().enumerate() {
                if i > 0 {
                    msg.push(b' ');
                }
                msg.extend(arg_string(Some(a)).unwrap_or_default());
            }
            if level as i64 >= 2 {
                eprintln!("{}", String::from_utf8_lossy(&msg));
            }
            Ok((true, Value::Nil))
        })?,
    )?;
    redis.set(
        "setresp",
        raising_function(lua, |lua, args| {
            let v: Vec<Value> = args.into_vec();
            if v.len() != 1 {
                return raise(lua, "redis.setresp() requires one argument.");
            }
            let n = arg_number(v.first()).unwrap_or(0.0) as i64;
            if n != 2 && n != 3 {
                return raise(lua, "RESP version must be 2 or 3.");
            }
            // SAFETY: used within this callback only.
            if let Some(run) = unsafe { current() } {
                run.resp = n as u8;
            }
            Ok((true, Value::Nil))
        })?,
    )?;
    redis.set(
        "set_repl",
        raising_function(lua, |lua, args| {
            let v: Vec<Value> = args.into_vec();
            if v.len() != 1 {
                return raise(lua, "redis.set_repl() requires one argument.");
            }
            let n = arg_number(v.first()).unwrap_or(-1.0) as i64;
            if !(0..=3).contains(&n) {
                return raise(
                    lua,
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            Ok((true, Value::Nil))
        })?,
    )?;
    redis.set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    redis.set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    for (name, v) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        redis.set(name, v)?;
    }
    redis.set("REDIS_VERSION", crate::REDIS_VERSION)?;
    redis.set("REDIS_VERSION_NUM", version_num())?;
    Ok(redis)
}

fn version_num() -> i64 {
    let mut n = 0i64;
    for p in crate::REDIS_VERSION.split('.').take(3) {
        n = n * 256 + p.parse::<i64>().unwrap_or(0);
    }
    n
}

/// Creates a Lua state with Redis's libraries, API and sandbox. `extra` can add fields to the
/// `redis` table (FUNCTION's register_function) before the sandbox seals it.
pub fn new_state(extra: impl FnOnce(&Lua, &Table) -> mlua::Result<()>) -> mlua::Result<Lua> {
    let lua = Lua::new_with(lualibs::redis_std_libs(), LuaOptions::default())?;
    lualibs::register_all(&lua)?;
    let redis = redis_api(&lua)?;
    extra(&lua, &redis)?;
    let g = lua.globals();
    g.set("redis", redis)?;
    // SAFETY: redis_pcall follows the C function protocol.
    g.set("pcall", unsafe { lua.create_c_function(redis_pcall)? })?;
    // SAFETY: as above.
    let protected = unsafe { lua.create_c_function(protected_call)? };
    lua.set_named_registry_value("pilgrim.protected", protected)?;
    lualibs::sandbox(&lua)?;
    // A raw count hook rather than mlua's: Lua 5.1 copies it into every coroutine the script
    // creates, so a loop inside a coroutine is interruptible too.
    // SAFETY: installs a C hook function on the main state; it takes no arguments.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            ffi::lua_sethook(state, Some(count_hook), ffi::LUA_MASKCOUNT, 100_000);
        })?;
    }
    Ok(lua)
}

/// Whether the running script (or FUNCTION LOAD) must stop now, and with what message.
fn hook_verdict() -> Option<&'static std::ffi::CStr> {
    if super::functions::load_timed_out() {
        return Some(c"FUNCTION LOAD timeout");
    }
    // SAFETY: used within the hook only.
    let run = unsafe { current() }?;
    let srv = run.ctx.srv;
    if run.killed || srv.script_kill.load(Relaxed) || srv.shutdown.load(Relaxed) {
        run.killed = true;
        KILLED.with(|k| k.set(true));
        return Some(c"Script killed by user");
    }
    None
}

/// The count hook: raises an error when the script must stop.
unsafe extern "C-unwind" fn count_hook(state: *mut ffi::lua_State, _ar: *mut ffi::lua_Debug) {
    let mut verdict = hook_verdict();
    // SAFETY: used within the hook only, not held across the poll.
    if verdict.is_none()
        && unsafe { current() }.is_some_and(|run| crate::server::dispatch::script_busy(run.ctx.srv))
    {
        // Past busy-reply-threshold: the worker's other clients get -BUSY (and may kill us).
        crate::server::worker::poll_while_busy();
        verdict = hook_verdict();
    }
    if let Some(msg) = verdict {
        // SAFETY: a hook may raise; nothing with a destructor is alive here.
        unsafe {
            ffi::lua_pushstring(state, msg.as_ptr());
            ffi::lua_error(state);
        }
    }
}

/// Runs `func(args...)` protected. Ok(value) or Err(error value).
pub fn protected(
    lua: &Lua,
    func: &Function,
    args: MultiValue,
) -> mlua::Result<Result<Value, Value>> {
    let p: Function = lua.named_registry_value("pilgrim.protected")?;
    let mut all = MultiValue::new();
    all.push_back(Value::Function(func.clone()));
    all.extend(args);
    let (ok, v): (bool, Value) = p.call(all)?;
    Ok(if ok { Ok(v) } else { Err(v) })
}

/// The error reply for a failed script (Redis's luaCallFunction error path).
pub fn script_error_text(err: &Value, name: &str, killed: bool, kill_cmd: &str) -> String {
    let (mut msg, source, line) = match err {
        Value::Table(t) => {
            let msg = match t.raw_get::<Value>("err") {
                Ok(Value::String(s)) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
                _ => None,
            };
            let source = match t.raw_get::<Value>("source") {
                Ok(Value::String(s)) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
                _ => None,
            };
            let line = match t.raw_get::<Value>("line") {
                Ok(Value::Integer(i)) => Some(i),
                Ok(Value::Number(n)) => Some(n as i64),
                _ => None,
            };
            (msg, source, line)
        }
        Value::String(s) => (
            Some(format!("ERR {}", String::from_utf8_lossy(&s.as_bytes()))),
            None,
            None,
        ),
        other => (Some(format!("ERR {other:?}")), None, None),
    };
    if killed {
        msg = Some(format!("ERR Script killed by user with {kill_cmd}..."));
    }
    let Some(msg) = msg else {
        return format!("ERR Error running script (call to {name}): unknown error");
    };
    match (source, line) {
        (Some(s), Some(l)) => format!("{msg} script: {name}, on {s}:{l}."),
        _ => msg,
    }
}

/// Parses a `#!<engine> key=value ...` first line. Returns (engine, options, length of the
/// line without its newline) or None when the body has no shebang.
pub fn parse_shebang(body: &[u8]) -> Option<(String, Vec<String>, usize)> {
    if !body.starts_with(b"#!") {
        return None;
    }
    let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[2..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("").to_string();
    Some((engine, parts.map(|s| s.to_string()).collect(), end))
}

/// Flags of an EVAL script from its shebang (Redis's evalExtractShebangFlags).
pub fn eval_flags(body: &[u8]) -> Result<(u32, usize), Error> {
    let Some((engine, opts, len)) = parse_shebang(body) else {
        return Ok((F_EVAL_COMPAT, 0));
    };
    if engine != "lua" {
        return Err(Error::err(format!(
            "Unexpected engine in script shebang: #!{engine}"
        )));
    }
    let mut flags = 0;
    for o in opts {
        let Some(list) = o.strip_prefix("flags=") else {
            return Err(Error::err(format!("Unknown lua shebang option: {o}")));
        };
        for f in list.split(',').filter(|f| !f.is_empty()) {
            match FLAG_NAMES.iter().find(|(_, n)| *n == f) {
                Some((bit, _)) => flags |= bit,
                None => {
                    return Err(Error::err(format!(
                        "Unexpected flag in script shebang: {f}"
                    )));
                }
            }
        }
    }
    Ok((flags, len))
}

impl EvalVm {
    pub fn new() -> mlua::Result<EvalVm> {
        Ok(EvalVm {
            lua: new_state(|_, _| Ok(()))?,
            scripts: HashMap::new(),
        })
    }

    /// Compiles and caches a script body (no-op when cached). Returns its SHA1.
    pub fn load(&mut self, body: &[u8]) -> Result<String, Error> {
        let sha = sha1hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, skip) = eval_flags(body)?;
        let func = self
            .lua
            .load(&body[skip..])
            .set_name("@user_script")
            .set_mode(mlua::chunk::ChunkMode::Text)
            .into_function()
            .map_err(|e| {
                Error::err(format!(
                    "Error compiling script (new function): {}",
                    lua_error_message(&e)
                ))
            })?;
        self.scripts.insert(
            sha.clone(),
            Script {
                body: body.to_vec(),
                func,
                flags,
            },
        );
        Ok(sha)
    }
}

/// The bare Lua message of an mlua error (syntax errors as Lua reports them).
pub fn lua_error_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_error_message(cause),
        other => other.to_string(),
    }
}

/// Checks done before running a script with explicit flags (Redis's scriptPrepareForRun).
pub fn prepare_checks(ctx: &Ctx, flags: u32, ro_command: bool) -> Result<(), Error> {
    if flags & F_EVAL_COMPAT != 0 {
        return Ok(());
    }
    if flags & F_NO_WRITES == 0 {
        if ro_command {
            return Err(Error::err(
                "Can not execute a script with write flag using *_ro command.",
            ));
        }
        if flags & F_ALLOW_OOM == 0 && crate::security::over_maxmemory(ctx.srv) {
            return Err(Error::lit(
                "OOM command not allowed when used memory > 'maxmemory'.",
            ));
        }
    }
    Ok(())
}

/// Runs `func` for a command: sets up the run, marks the server busy, executes under the
/// error handler, restores the client, and writes the reply (or the error). The script's write
/// effects are propagated wrapped in MULTI/EXEC instead of the command itself.
#[allow(clippy::too_many_arguments)]
pub fn run_script(
    ctx: &mut Ctx,
    lua: &Lua,
    func: &Function,
    args: MultiValue,
    flags: u32,
    ro_command: bool,
    name: String,
    is_eval: bool,
) -> Result<(), Error> {
    let srv = ctx.srv;
    let engine = &srv.scripting;
    *engine.running.lock() = Some(RunningInfo {
        name: name.clone(),
        command: ctx.args.iter().map(|a| a.to_vec()).collect(),
        started: Instant::now(),
        is_eval,
    });
    engine.wrote.store(false, Relaxed);
    srv.script_kill.store(false, Relaxed);
    FUNCTION_RUNNING.store(!is_eval, Relaxed);
    srv.script_busy_since
        .store((srv.started.elapsed().as_millis() as u64).max(1), Release);
    let saved_db = ctx.client.db;
    let records_before = ctx.db.fx.records.len();
    let saved_index = ctx.db.index;
    let mut run = Run {
        ctx,
        flags,
        ro_command,
        resp: 2,
        killed: false,
        name: name.clone(),
    };
    let result = {
        let _guard = RunGuard::new(&mut run);
        protected(lua, func, args)
    };
    let killed = run.killed;
    let resp = run.resp;
    let ctx = run.ctx;
    srv.script_busy_since.store(0, Release);
    FUNCTION_RUNNING.store(false, Relaxed);
    srv.script_kill.store(false, Relaxed);
    *engine.running.lock() = None;
    engine.wrote.store(false, Relaxed);
    ctx.client.db = saved_db;
    ctx.db.index = saved_index;
    // Wrap the script's effects in MULTI/EXEC (inside EXEC the transaction already wraps them).
    if ctx.mode & crate::cmd::ctx::IN_MULTI == 0 && ctx.db.fx.records.len() > records_before + 1 {
        let db = ctx.db.fx.records[records_before].0;
        ctx.db
            .fx
            .records
            .insert(records_before, (db, vec![b"MULTI".to_vec()]));
        ctx.db.fx.records.push((db, vec![b"EXEC".to_vec()]));
    }
    ctx.db.custom_propagation();
    let kill_cmd = if is_eval {
        "SCRIPT KILL"
    } else {
        "FUNCTION KILL"
    };
    match result {
        Ok(Ok(v)) => {
            convert::lua_to_reply(&mut ctx.out, &v, resp, 0);
            Ok(())
        }
        Ok(Err(e)) => {
            let text = script_error_text(&e, &name, killed, kill_cmd);
            Err(Error::raw(text))
        }
        Err(e) => Err(Error::err(format!(
            "Error running script (call to {name}): {}",
            lua_error_message(&e)
        ))),
    }
}

/// KEYS/ARGV-style table of strings.
pub fn string_table(lua: &Lua, items: &[&[u8]]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, a) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(a)?)?;
    }
    Ok(t)
}
