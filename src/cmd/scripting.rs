//! Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FCALL, FCALL_RO, FUNCTION.
//!
//! EVAL and FCALL are whole-keyspace commands: they lock every shard for the script's run, so a
//! script is atomic with respect to every other client (as MULTI/EXEC is). The engine itself
//! lives in `crate::scripting`.

use std::sync::atomic::Ordering::*;

use mlua::{IntoLuaMulti, MultiValue};

use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error, SYNTAX};
use crate::scripting::engine::{self, EvalVm, F_NO_WRITES};
use crate::scripting::functions;

const EVAL_KEYS: &[KeySpec] = &[KeySpec {
    flags: K_RW | K_ACCESS | K_UPDATE,
    begin: Begin::Index(2),
    find: Find::Keynum {
        keynum_idx: 0,
        first_key: 1,
        step: 1,
    },
    notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
}];

const EVAL_RO_KEYS: &[KeySpec] = &[KeySpec {
    flags: K_RO | K_ACCESS,
    begin: Begin::Index(2),
    find: Find::Keynum {
        keynum_idx: 0,
        first_key: 1,
        step: 1,
    },
    notes: "",
}];

const EVAL_FLAGS: u64 =
    NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE | KS_ALL;
const EVAL_RO_FLAGS: u64 = NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY | KS_ALL;

pub static COMMANDS: &[Command] = &[
    Command::new("eval", -3, eval)
        .flags(EVAL_FLAGS)
        .acl(SCRIPTING)
        .keys(EVAL_KEYS)
        .doc(
            "scripting",
            "2.6.0",
            "Depends on the script that is executed.",
            "Executes a server-side Lua script.",
        )
        .syntax("script numkeys [key [key ...]] [arg [arg ...]]")
        .compat("While a script runs past busy-reply-threshold, every client gets -BUSY as in Redis, except: on the script's own worker thread WATCH, UNWATCH and DISCARD (which need the keyspace locks the script holds) get -BUSY, and clients that WATCH keys are answered once the script ends; on other worker threads allow-busy commands that take keyspace locks wait for the script."),
    Command::new("evalsha", -3, evalsha)
        .flags(EVAL_FLAGS)
        .acl(SCRIPTING)
        .keys(EVAL_KEYS)
        .doc(
            "scripting",
            "2.6.0",
            "Depends on the script that is executed.",
            "Executes a server-side Lua script by SHA1 digest.",
        )
        .syntax("sha1 numkeys [key [key ...]] [arg [arg ...]]"),
    Command::new("eval_ro", -3, eval_ro)
        .flags(EVAL_RO_FLAGS)
        .acl(SCRIPTING)
        .keys(EVAL_RO_KEYS)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the script that is executed.",
            "Executes a read-only server-side Lua script.",
        )
        .syntax("script numkeys [key [key ...]] [arg [arg ...]]"),
    Command::new("evalsha_ro", -3, evalsha_ro)
        .flags(EVAL_RO_FLAGS)
        .acl(SCRIPTING)
        .keys(EVAL_RO_KEYS)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the script that is executed.",
            "Executes a read-only server-side Lua script by SHA1 digest.",
        )
        .syntax("sha1 numkeys [key [key ...]] [arg [arg ...]]"),
    Command::new("fcall", -3, fcall)
        .flags(EVAL_FLAGS)
        .acl(SCRIPTING)
        .keys(EVAL_KEYS)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the function that is executed.",
            "Invokes a function.",
        )
        .syntax("function numkeys [key [key ...]] [arg [arg ...]]")
        .compat("While a script runs past busy-reply-threshold, every client gets -BUSY as in Redis, except: on the script's own worker thread WATCH, UNWATCH and DISCARD (which need the keyspace locks the script holds) get -BUSY, and clients that WATCH keys are answered once the script ends; on other worker threads allow-busy commands that take keyspace locks wait for the script."),
    Command::new("fcall_ro", -3, fcall_ro)
        .flags(EVAL_RO_FLAGS)
        .acl(SCRIPTING)
        .keys(EVAL_RO_KEYS)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the function that is executed.",
            "Invokes a read-only function.",
        )
        .syntax("function numkeys [key [key ...]] [arg [arg ...]]"),
    Command::container("script", -2, SCRIPT_SUBS).acl(SLOW).doc(
        "scripting",
        "2.6.0",
        "Depends on subcommand.",
        "A container for Lua scripts management commands.",
    ),
    Command::container("function", -2, FUNCTION_SUBS)
        .acl(SLOW)
        .compat("FUNCTION DUMP payloads are uncompressed RDB (RESTORE also reads Redis's LZF-compressed ones). At load time library code sees the full API (redis.call fails with an error rather than being absent).")
        .doc(
            "scripting",
            "7.0.0",
            "Depends on subcommand.",
            "A container for function commands.",
        ),
];

static SCRIPT_SUBS: &[Command] = &[
    Command::new("exists", -3, script_exists)
        .flags(NOSCRIPT | KS_NONE)
        .acl(SCRIPTING)
        .doc("scripting", "2.6.0", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", "Determines whether server-side Lua scripts exist in the script cache.")
        .syntax("sha1 [sha1 ...]")
        .tips(&["request_policy:all_shards", "response_policy:agg_logical_and"]),
    Command::new("flush", -2, script_flush)
        .flags(NOSCRIPT | KS_NONE)
        .acl(SCRIPTING)
        .doc("scripting", "2.6.0", "O(N) with N being the number of scripts in cache", "Removes all server-side Lua scripts from the script cache.")
        .syntax("[ASYNC | SYNC]")
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    Command::new("help", 2, script_help)
        .flags(LOADING | STALE | KS_NONE)
        .acl(SCRIPTING)
        .doc("scripting", "5.0.0", "O(1)", "Returns helpful text about the different subcommands."),
    Command::new("kill", 2, script_kill)
        .flags(NOSCRIPT | ALLOW_BUSY | KS_NONE)
        .acl(SCRIPTING)
        .doc("scripting", "2.6.0", "O(1)", "Terminates a server-side Lua script during execution.")
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"]),
    Command::new("load", 3, script_load)
        .flags(NOSCRIPT | STALE | KS_NONE)
        .acl(SCRIPTING)
        .doc("scripting", "2.6.0", "O(N) with N being the length in bytes of the script body.", "Loads a server-side Lua script to the script cache.")
        .syntax("script")
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
];

static FUNCTION_SUBS: &[Command] = &[
    Command::new("delete", 3, function_delete)
        .flags(NOSCRIPT | WRITE | KS_NONE)
        .acl(SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Deletes a library and its functions.",
        )
        .syntax("library-name")
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    Command::new("dump", 2, function_dump)
        .flags(NOSCRIPT | KS_NONE)
        .acl(SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions",
            "Dumps all libraries into a serialized binary payload.",
        ),
    Command::new("flush", -2, function_flush)
        .flags(NOSCRIPT | WRITE | KS_NONE)
        .acl(SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions deleted",
            "Deletes all libraries and functions.",
        )
        .syntax("[ASYNC | SYNC]")
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    Command::new("help", 2, function_help)
        .flags(LOADING | STALE | KS_NONE)
        .acl(SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Returns helpful text about the different subcommands.",
        ),
    Command::new("kill", 2, function_kill)
        .flags(NOSCRIPT | ALLOW_BUSY | KS_NONE)
        .acl(SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Terminates a function during execution.",
        )
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"]),
    Command::new("list", -2, function_list)
        .flags(NOSCRIPT | KS_NONE)
        .acl(SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions",
            "Returns information about all libraries.",
        )
        .syntax("[LIBRARYNAME library-name-pattern] [WITHCODE]")
        .tips(&["nondeterministic_output_order"]),
    Command::new("load", -3, function_load)
        .flags(NOSCRIPT | WRITE | DENYOOM | KS_NONE)
        .acl(SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(1) (considering compilation time is redundant)",
            "Creates a library.",
        )
        .syntax("[REPLACE] function-code")
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    Command::new("restore", -3, function_restore)
        .flags(NOSCRIPT | WRITE | DENYOOM | KS_NONE)
        .acl(SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions on the payload",
            "Restores all libraries from a payload.",
        )
        .syntax("serialized-value [FLUSH | APPEND | REPLACE]")
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    Command::new("stats", 2, function_stats)
        .flags(NOSCRIPT | ALLOW_BUSY | KS_NONE)
        .acl(SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Returns information about a function during execution.",
        )
        .tips(&[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ]),
];

/// Takes a registry lock held by a running script, giving up with -BUSY once the script is
/// busy (instead of stalling this worker for the script's whole run).
fn lock_busy<'m, T>(
    srv: &crate::server::Server,
    m: &'m parking_lot::Mutex<T>,
) -> Result<parking_lot::MutexGuard<'m, T>, Error> {
    loop {
        if let Some(g) = m.try_lock_for(std::time::Duration::from_millis(20)) {
            return Ok(g);
        }
        if crate::server::dispatch::script_busy(srv) {
            return Err(crate::server::dispatch::busy_error());
        }
    }
}

/// Parses numkeys and splits the rest into keys and arguments.
type KeysArgs<'c> = (Vec<&'c [u8]>, Vec<&'c [u8]>);

fn keys_and_args<'c>(ctx: &Ctx<'c, '_>) -> Result<KeysArgs<'c>, Error> {
    let n = ctx.int(2)?;
    let rest = ctx.argc() as i64 - 3;
    if n > rest {
        return Err(Error::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    if n < 0 {
        return Err(Error::err("Number of keys can't be negative"));
    }
    let keys = ctx.args[3..3 + n as usize].to_vec();
    let argv = ctx.args[3 + n as usize..].to_vec();
    Ok((keys, argv))
}

fn eval(ctx: &mut Ctx) -> CmdResult {
    eval_generic(ctx, false, false)
}
fn evalsha(ctx: &mut Ctx) -> CmdResult {
    eval_generic(ctx, true, false)
}
fn eval_ro(ctx: &mut Ctx) -> CmdResult {
    eval_generic(ctx, false, true)
}
fn evalsha_ro(ctx: &mut Ctx) -> CmdResult {
    eval_generic(ctx, true, true)
}

fn noscript() -> Error {
    Error::lit("NOSCRIPT No matching script. Please use EVAL.")
}

fn eval_generic(ctx: &mut Ctx, by_sha: bool, ro: bool) -> CmdResult {
    let (keys, argv) = keys_and_args(ctx)?;
    let srv = ctx.srv;
    let mut guard = lock_busy(srv, &srv.scripting.eval)?;
    if guard.is_none() {
        *guard = Some(EvalVm::new().map_err(|e| Error::err(format!("Lua error: {e}")))?);
    }
    let vm = guard.as_mut().expect("vm");
    let sha = if by_sha {
        let sha = String::from_utf8_lossy(ctx.arg(1)).to_ascii_lowercase();
        if !vm.scripts.contains_key(&sha) {
            return Err(noscript());
        }
        sha
    } else {
        let sha = vm.load(ctx.arg(1))?;
        srv.scripting.cached.store(vm.scripts.len() as u64, Relaxed);
        sha
    };
    let script = &vm.scripts[&sha];
    let flags = script.flags;
    engine::prepare_checks(ctx, flags, ro)?;
    let func = script.func.clone();
    let lua = vm.lua.clone();
    let set = |name: &str, items: &[&[u8]]| -> Result<(), Error> {
        let t = engine::string_table(&lua, items).map_err(|e| Error::err(e.to_string()))?;
        crate::scripting::lualibs::set_global(&lua, name, t).map_err(|e| Error::err(e.to_string()))
    };
    set("KEYS", &keys)?;
    set("ARGV", &argv)?;
    engine::run_script(ctx, &lua, &func, MultiValue::new(), flags, ro, sha, true)
}

fn script_exists(ctx: &mut Ctx) -> CmdResult {
    let guard = lock_busy(ctx.srv, &ctx.srv.scripting.eval)?;
    let n = ctx.argc() - 2;
    let found: Vec<bool> = (2..ctx.argc())
        .map(|i| {
            let sha = String::from_utf8_lossy(ctx.arg(i)).to_ascii_lowercase();
            guard
                .as_ref()
                .is_some_and(|vm| vm.scripts.contains_key(&sha))
        })
        .collect();
    drop(guard);
    ctx.out.array(n);
    for f in found {
        ctx.out.int(f as i64);
    }
    Ok(())
}

fn flush_mode(ctx: &Ctx, what: &str) -> Result<(), Error> {
    if ctx.argc() == 2 {
        return Ok(());
    }
    if ctx.argc() == 3 && (ctx.is(2, "sync") || ctx.is(2, "async")) {
        return Ok(());
    }
    Err(Error::err(what.to_string()))
}

fn script_flush(ctx: &mut Ctx) -> CmdResult {
    flush_mode(ctx, "SCRIPT FLUSH only support SYNC|ASYNC option")?;
    *lock_busy(ctx.srv, &ctx.srv.scripting.eval)? = None;
    ctx.srv.scripting.cached.store(0, Relaxed);
    ctx.ok()
}

fn script_load(ctx: &mut Ctx) -> CmdResult {
    let srv = ctx.srv;
    let mut guard = lock_busy(srv, &srv.scripting.eval)?;
    if guard.is_none() {
        *guard = Some(EvalVm::new().map_err(|e| Error::err(format!("Lua error: {e}")))?);
    }
    let vm = guard.as_mut().expect("vm");
    let sha = vm.load(ctx.arg(2))?;
    srv.scripting.cached.store(vm.scripts.len() as u64, Relaxed);
    drop(guard);
    ctx.out.bulk(sha.as_bytes());
    Ok(())
}

/// SCRIPT KILL and FUNCTION KILL (Redis's scriptKill).
fn kill(ctx: &mut Ctx, is_eval: bool) -> CmdResult {
    let srv = ctx.srv;
    let running = srv.scripting.running.lock();
    let Some(info) = running.as_ref() else {
        return Err(Error::lit("NOTBUSY No scripts in execution right now."));
    };
    if srv.scripting.wrote.load(Relaxed) {
        return Err(Error::lit(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
        ));
    }
    if is_eval && !info.is_eval {
        return Err(Error::lit(
            "BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
        ));
    }
    if !is_eval && info.is_eval {
        return Err(Error::lit(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        ));
    }
    srv.script_kill.store(true, Relaxed);
    drop(running);
    ctx.ok()
}

fn script_kill(ctx: &mut Ctx) -> CmdResult {
    kill(ctx, true)
}

fn function_kill(ctx: &mut Ctx) -> CmdResult {
    kill(ctx, false)
}

fn help(ctx: &mut Ctx, container: &str, lines: &[&str]) -> CmdResult {
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
    Ok(())
}

fn script_help(ctx: &mut Ctx) -> CmdResult {
    help(
        ctx,
        "SCRIPT",
        &[
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    )
}

fn function_help(ctx: &mut Ctx) -> CmdResult {
    help(
        ctx,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    )
}

fn fcall(ctx: &mut Ctx) -> CmdResult {
    fcall_generic(ctx, false)
}

fn fcall_ro(ctx: &mut Ctx) -> CmdResult {
    fcall_generic(ctx, true)
}

fn fcall_generic(ctx: &mut Ctx, ro: bool) -> CmdResult {
    let srv = ctx.srv;
    let guard = lock_busy(srv, &srv.scripting.functions)?;
    let name = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    let Some(def) = guard.functions.get(&name.to_ascii_lowercase()) else {
        return Err(Error::err("Function not found"));
    };
    let (keys, argv) = keys_and_args(ctx)?;
    let flags = def.flags;
    let name = def.name.clone();
    engine::prepare_checks(ctx, flags, ro)?;
    let func = def.func.clone();
    let lua = guard
        .lua
        .clone()
        .expect("functions exist, so does their state");
    let args = functions::call_args(&lua, &keys, &argv)
        .and_then(|a| a.into_lua_multi(&lua))
        .map_err(|e| Error::err(e.to_string()))?;
    let res = engine::run_script(ctx, &lua, &func, args, flags, ro, name, false);
    drop(guard);
    res
}

fn function_load(ctx: &mut Ctx) -> CmdResult {
    let mut replace = false;
    let mut i = 2;
    while i < ctx.argc() - 1 {
        if ctx.is(i, "replace") {
            replace = true;
        } else {
            return Err(Error::err(format!(
                "Unknown option given: {}",
                String::from_utf8_lossy(ctx.arg(i))
            )));
        }
        i += 1;
    }
    let code = ctx.arg(ctx.argc() - 1);
    let name = lock_busy(ctx.srv, &ctx.srv.scripting.functions)?.load(code, replace)?;
    update_counts(ctx);
    ctx.db.dirty(1);
    ctx.out.bulk(name.as_bytes());
    Ok(())
}

fn function_delete(ctx: &mut Ctx) -> CmdResult {
    let name = String::from_utf8_lossy(ctx.arg(2)).into_owned();
    if !lock_busy(ctx.srv, &ctx.srv.scripting.functions)?.delete(&name) {
        return Err(Error::err("Library not found"));
    }
    update_counts(ctx);
    ctx.db.dirty(1);
    ctx.ok()
}

fn function_flush(ctx: &mut Ctx) -> CmdResult {
    flush_mode(ctx, "FUNCTION FLUSH only supports SYNC|ASYNC option")?;
    lock_busy(ctx.srv, &ctx.srv.scripting.functions)?.flush();
    update_counts(ctx);
    ctx.db.dirty(1);
    ctx.ok()
}

fn function_dump(ctx: &mut Ctx) -> CmdResult {
    let payload = lock_busy(ctx.srv, &ctx.srv.scripting.functions)?.dump();
    ctx.out.bulk(&payload);
    Ok(())
}

fn function_restore(ctx: &mut Ctx) -> CmdResult {
    let policy = if ctx.argc() == 4 {
        if ctx.is(3, "flush") {
            "flush"
        } else if ctx.is(3, "append") {
            "append"
        } else if ctx.is(3, "replace") {
            "replace"
        } else {
            return Err(Error::err(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    } else if ctx.argc() > 4 {
        return Err(SYNTAX);
    } else {
        "append"
    };
    ctx.srv
        .scripting
        .functions
        .lock()
        .restore(ctx.arg(2), policy)?;
    update_counts(ctx);
    ctx.db.dirty(1);
    ctx.ok()
}

fn function_list(ctx: &mut Ctx) -> CmdResult {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < ctx.argc() {
        if ctx.is(i, "withcode") && !with_code {
            with_code = true;
        } else if ctx.is(i, "libraryname") && pattern.is_none() {
            if i + 1 >= ctx.argc() {
                return Err(Error::err("library name argument was not given"));
            }
            pattern = Some(ctx.arg(i + 1));
            i += 1;
        } else {
            return Err(Error::err(format!(
                "Unknown argument {}",
                String::from_utf8_lossy(ctx.arg(i))
            )));
        }
        i += 1;
    }
    let guard = lock_busy(ctx.srv, &ctx.srv.scripting.functions)?;
    let libs: Vec<_> = guard
        .libraries
        .values()
        .filter(|l| {
            pattern.is_none_or(|p| crate::util::glob::glob_match(p, l.name.as_bytes(), false))
        })
        .collect();
    ctx.out.array(libs.len());
    for lib in libs {
        ctx.out.map(if with_code { 4 } else { 3 });
        ctx.out.bulk(b"library_name");
        ctx.out.bulk(lib.name.as_bytes());
        ctx.out.bulk(b"engine");
        ctx.out.bulk(b"LUA");
        ctx.out.bulk(b"functions");
        ctx.out.array(lib.functions.len());
        for fname in &lib.functions {
            let f = &guard.functions[&fname.to_ascii_lowercase()];
            ctx.out.map(3);
            ctx.out.bulk(b"name");
            ctx.out.bulk(f.name.as_bytes());
            ctx.out.bulk(b"description");
            match &f.description {
                Some(d) => ctx.out.bulk(d),
                None => ctx.out.null(),
            }
            ctx.out.bulk(b"flags");
            let names = functions::flag_names(f.flags);
            ctx.out.set(names.len());
            for n in names {
                ctx.out.bulk(n.as_bytes());
            }
        }
        if with_code {
            ctx.out.bulk(b"library_code");
            ctx.out.bulk(&lib.code);
        }
    }
    Ok(())
}

fn function_stats(ctx: &mut Ctx) -> CmdResult {
    let srv = ctx.srv;
    ctx.out.map(2);
    ctx.out.bulk(b"running_script");
    {
        let running = srv.scripting.running.lock();
        match running.as_ref().filter(|r| !r.is_eval) {
            None => ctx.out.null(),
            Some(r) => {
                ctx.out.map(3);
                ctx.out.bulk(b"name");
                ctx.out.bulk(r.name.as_bytes());
                ctx.out.bulk(b"command");
                ctx.out.array(r.command.len());
                for a in &r.command {
                    ctx.out.bulk(a);
                }
                ctx.out.bulk(b"duration_ms");
                ctx.out.int(r.started.elapsed().as_millis() as i64);
            }
        }
    }
    // The registry lock is held by a running FCALL: use the counts kept beside it.
    let (libs, funcs) = *srv.scripting.fn_counts.lock();
    ctx.out.bulk(b"engines");
    ctx.out.map(1);
    ctx.out.bulk(b"LUA");
    ctx.out.map(2);
    ctx.out.bulk(b"libraries_count");
    ctx.out.int(libs as i64);
    ctx.out.bulk(b"functions_count");
    ctx.out.int(funcs as i64);
    let _ = F_NO_WRITES;
    Ok(())
}

fn update_counts(ctx: &Ctx) {
    let f = ctx.srv.scripting.functions.lock();
    functions::publish(ctx.srv, &f);
}
