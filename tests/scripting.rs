//! EVAL scripting: EVAL/EVALSHA/EVAL_RO/EVALSHA_RO, SCRIPT subcommands, the `redis` Lua API,
//! the reply conversion table both ways in RESP2 and RESP3, the sandbox, error texts (checked
//! against Redis 7), shebang flags, BUSY + SCRIPT KILL, SHUTDOWN NOSAVE while busy, atomicity
//! against concurrent plain clients, and effects propagation.
mod common;
use common::*;

use std::time::{Duration, Instant};

fn ev(r: &mut Raw, script: &str) -> String {
    r.q(&["EVAL", script, "0"])
}

fn sha(r: &mut Raw, script: &str) -> String {
    let f = r.q(&["SCRIPT", "LOAD", script]);
    f.trim_matches('"').to_string()
}

fn sha1_hex(script: &str) -> String {
    use sha1::Digest;
    let d = sha1::Sha1::digest(script.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Polls with PING until the server reports a busy script (at most 10 s).
fn wait_busy(a: &mut Raw) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !a.s("PING").starts_with("-BUSY") {
        assert!(Instant::now() < deadline, "the script never became busy");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn hello3(r: &mut Raw) {
    let f = r.cmd(&["HELLO", "3"]);
    assert!(matches!(f, Frame::Map(_)), "{f}");
}

#[test]
fn eval_keys_argv_and_numkeys_errors() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.q(&[
            "EVAL",
            "return {KEYS[1], KEYS[2], ARGV[1], #ARGV}",
            "2",
            "k1",
            "k2",
            "a1",
            "a2"
        ]),
        r#"["k1", "k2", "a1", :2]"#
    );
    assert_eq!(
        r.q(&["EVAL", "return 1", "3", "a"]),
        "-ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(
        r.q(&["EVAL", "return 1", "-1"]),
        "-ERR Number of keys can't be negative"
    );
    assert_eq!(
        r.q(&["EVAL", "return 1", "x"]),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.q(&["EVAL", "return 1"]),
        "-ERR wrong number of arguments for 'eval' command"
    );
    assert_eq!(
        r.q(&["EVALSHA", "x"]),
        "-ERR wrong number of arguments for 'evalsha' command"
    );
    // Binary-safe keys and arguments.
    assert_eq!(
        r.q(&[
            &b"EVAL"[..],
            b"return {KEYS[1], ARGV[1]}",
            b"1",
            b"a\x00b",
            b"\r\n\xff"
        ]),
        r#"["a\x00b", "\r\n\xff"]"#
    );
}

#[test]
fn evalsha_script_load_exists_flush() {
    let s = Server::start();
    let mut r = s.raw();
    let body = "return 'hi'";
    let h = sha(&mut r, body);
    assert_eq!(h, sha1_hex(body));
    assert_eq!(r.q(&["EVALSHA", &h, "0"]), "\"hi\"");
    assert_eq!(r.q(&["EVALSHA", &h.to_uppercase(), "0"]), "\"hi\"");
    assert_eq!(
        r.q(&["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"]),
        "-NOSCRIPT No matching script. Please use EVAL."
    );
    assert_eq!(
        r.q(&[
            "EVALSHA_RO",
            "ffffffffffffffffffffffffffffffffffffffff",
            "0"
        ]),
        "-NOSCRIPT No matching script. Please use EVAL."
    );
    // EVAL caches too: its SHA1 works afterwards.
    assert_eq!(ev(&mut r, "return 42"), ":42");
    let h42 = sha(&mut r, "return 42");
    assert_eq!(r.q(&["SCRIPT", "EXISTS", &h, &h42, "nope"]), "[:1, :1, :0]");
    assert_eq!(r.s("SCRIPT FLUSH"), "+OK");
    assert_eq!(r.q(&["SCRIPT", "EXISTS", &h]), "[:0]");
    assert_eq!(
        r.q(&["EVALSHA", &h, "0"]),
        "-NOSCRIPT No matching script. Please use EVAL."
    );
    assert_eq!(r.s("SCRIPT FLUSH ASYNC"), "+OK");
    assert_eq!(r.s("SCRIPT FLUSH sync"), "+OK");
    assert_eq!(
        r.s("SCRIPT FLUSH bad"),
        "-ERR SCRIPT FLUSH only support SYNC|ASYNC option"
    );
    assert_eq!(
        r.s("SCRIPT EXISTS"),
        "-ERR wrong number of arguments for 'script|exists' command"
    );
    assert_eq!(
        r.q(&["SCRIPT", "LOAD", "return ("]),
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
    );
    assert_eq!(
        r.s("SCRIPT NOPE"),
        "-ERR unknown subcommand 'NOPE'. Try SCRIPT HELP."
    );
    let help = r.cmd(&["SCRIPT", "HELP"]);
    let text = help.to_string();
    assert!(text.starts_with("[+SCRIPT <subcommand>"), "{text}");
    assert!(text.contains("+KILL"), "{text}");
    assert!(text.ends_with("+HELP, +    Prints this help.]"), "{text}");
    // The SHA1 of the empty script is the well-known one.
    assert_eq!(
        r.q(&["SCRIPT", "LOAD", ""]),
        "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\""
    );
}

#[test]
fn lua_to_resp_conversion_resp2() {
    let s = Server::start();
    let mut r = s.raw();
    let cases = [
        ("return 1", ":1"),
        ("return 3.99", ":3"),
        ("return -3.99", ":-3"),
        ("return 'x'", "\"x\""),
        ("return true", ":1"),
        ("return false", "(nil)"),
        ("return nil", "(nil)"),
        ("return {1,2,3,nil,4}", "[:1, :2, :3]"),
        ("return {1,{2,{3}},'x'}", "[:1, [:2, [:3]], \"x\"]"),
        ("return {}", "[]"),
        ("return {err='x'}", "-x"),
        ("return {err='a\\nb'}", "-a b"),
        ("return {ok='fine'}", "+fine"),
        ("return {ok='x\\ny'}", "+x y"),
        ("return redis.error_reply('My Error')", "-My Error"),
        ("return redis.error_reply('-My Error')", "-My Error"),
        ("return redis.status_reply('FINE')", "+FINE"),
        ("return {double=3.5}", "\"3.5\""),
        ("return {map={a=1}}", "[\"a\", :1]"),
        ("return {set={a=true}}", "[\"a\"]"),
        ("return {big_number='123'}", "\"123\""),
        (
            "return {verbatim_string={format='txt',string='hi'}}",
            "\"hi\"",
        ),
        ("redis.setresp(3); return false", ":0"),
        ("redis.setresp(3); return true", ":1"),
        (
            "return redis.status_reply()",
            "-ERR wrong number or type of arguments",
        ),
        (
            "return redis.error_reply()",
            "-ERR wrong number or type of arguments",
        ),
    ];
    for (script, want) in cases {
        assert_eq!(ev(&mut r, script), want, "{script}");
    }
}

#[test]
fn lua_to_resp_conversion_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    hello3(&mut r);
    let cases = [
        ("return 1", ":1"),
        ("return 'x'", "\"x\""),
        ("return true", ":1"),
        ("return false", "(nil)"),
        ("return nil", "(nil)"),
        ("return {double=3.5}", ",3.5"),
        ("return {map={a=1}}", "{\"a\": :1}"),
        ("return {set={a=true}}", "~[\"a\"]"),
        ("return {big_number='123'}", "(123"),
        (
            "return {verbatim_string={format='txt',string='hi'}}",
            "=txt:\"hi\"",
        ),
        ("redis.setresp(3); return false", "#f"),
        ("redis.setresp(3); return true", "#t"),
    ];
    for (script, want) in cases {
        assert_eq!(ev(&mut r, script), want, "{script}");
    }
}

#[test]
fn resp_to_lua_conversion() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("SET s v");
    r.s("SET n 5");
    let cases = [
        // Integer -> number, bulk -> string, nil bulk -> false (RESP2).
        ("return type(redis.call('incr','n'))", "\"number\""),
        ("return redis.call('get','s')", "\"v\""),
        ("return type(redis.call('get','nokey'))", "\"boolean\""),
        ("return tostring(redis.call('get','nokey'))", "\"false\""),
        // Status -> {ok=...}.
        (
            "local t = redis.call('set','kk','v'); return type(t) .. t.ok",
            "\"tableOK\"",
        ),
        ("return redis.call('set','kk','v')", "+OK"),
        ("return redis.call('ping')", "+PONG"),
        // Error -> {err=...} from pcall.
        (
            "local e = redis.pcall('incr','s'); return type(e)",
            "\"table\"",
        ),
        (
            "local e = redis.pcall('incr','s'); return e",
            "-ERR value is not an integer or out of range",
        ),
        (
            "local e = redis.pcall('incr','s'); return e.err",
            "\"ERR value is not an integer or out of range\"",
        ),
        // RESP3 level: nil bulk -> nil.
        (
            "redis.setresp(3); return type(redis.call('get','nokey'))",
            "\"nil\"",
        ),
        // Arguments: numbers become strings.
        (
            "redis.call('set','num',1.5); return redis.call('get','num')",
            "\"1.5\"",
        ),
        (
            "redis.call('set','num',10); return redis.call('get','num')",
            "\"10\"",
        ),
    ];
    for (script, want) in cases {
        assert_eq!(ev(&mut r, script), want, "{script}");
    }
    r.s("XADD st 1-1 f v");
    assert_eq!(
        ev(
            &mut r,
            "redis.setresp(3); local t = redis.call('xinfo','stream','st'); return {type(t.map), t.map.length}"
        ),
        "[\"table\", :1]"
    );
    assert_eq!(
        ev(
            &mut r,
            "local t = redis.call('xinfo','stream','st'); return {t[1], t[2]}"
        ),
        "[\"length\", :1]"
    );
    r.s("ZADD z 1.5 m");
    assert_eq!(
        ev(
            &mut r,
            "redis.setresp(3); local t = redis.call('zscore','z','m'); return {type(t), tostring(t.double)}"
        ),
        "[\"table\", \"1.5\"]"
    );
    assert_eq!(
        ev(
            &mut r,
            "redis.setresp(3); return redis.call('zscore','z','m')"
        ),
        "\"1.5\""
    );
    assert_eq!(
        ev(
            &mut r,
            "redis.setresp(3); return redis.call('exists','nokey') == 0"
        ),
        ":1"
    );
}

#[test]
fn redis_call_errors_match_redis() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("SET s a");
    let h = |script: &str| {
        use sha1::Digest;
        let d = sha1::Sha1::digest(script.as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let cases = [
        (
            "return redis.call('incr','s')",
            "ERR value is not an integer or out of range",
        ),
        (
            "return nil + 1",
            "ERR user_script:1: attempt to perform arithmetic on a nil value",
        ),
        ("error('boom')", "ERR user_script:1: boom"),
        ("error({err='boom'})", "boom"),
        ("error(redis.error_reply('MY x'))", "MY x"),
        (
            "return redis.call('nosuch')",
            "ERR Unknown Redis command called from script",
        ),
        (
            "return redis.call('get')",
            "ERR Wrong number of args calling Redis command from script",
        ),
        (
            "return redis.call('multi')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('eval','return 1','0')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call()",
            "ERR Please specify at least one argument for this redis lib call",
        ),
        (
            "return redis.call({})",
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            "return redis.call('set','k',true)",
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            "return redis.setresp(4)",
            "ERR RESP version must be 2 or 3.",
        ),
        (
            "return redis.setresp()",
            "ERR redis.setresp() requires one argument.",
        ),
        (
            "return redis.set_repl(99)",
            "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        ),
        ("return redis.log(99, 'hello')", "ERR Invalid debug level."),
        (
            "x = 1",
            "ERR user_script:1: Attempt to modify a readonly table",
        ),
        (
            "return y",
            "ERR user_script:1: Script attempted to access nonexistent global variable 'y'",
        ),
        (
            "return _G.x",
            "ERR user_script:1: Script attempted to access nonexistent global variable 'x'",
        ),
    ];
    for (script, msg) in cases {
        let want = format!("-{msg} script: {}, on @user_script:1.", h(script));
        assert_eq!(ev(&mut r, script), want, "{script}");
    }
    // The line number is the one that raised.
    let script = "local a = 1\nlocal b = 2\nreturn redis.call('incr','s')";
    assert_eq!(
        ev(&mut r, script),
        format!(
            "-ERR value is not an integer or out of range script: {}, on @user_script:3.",
            h(script)
        )
    );
    // pcall catches redis.call errors as strings; redis.pcall returns the error table.
    assert_eq!(
        ev(
            &mut r,
            "local ok, e = pcall(redis.call, 'nosuch'); return {tostring(ok), e}"
        ),
        "[\"false\", \"ERR Unknown Redis command called from script\"]"
    );
    assert_eq!(
        ev(
            &mut r,
            "local ok, e = pcall(function() error({err='x'}) end); return e"
        ),
        "\"x\""
    );
    assert_eq!(
        ev(
            &mut r,
            "local ok, e = pcall(function() return nil + 1 end); return e"
        ),
        "\"user_script:1: attempt to perform arithmetic on a nil value\""
    );
    assert_eq!(
        ev(&mut r, "return redis.pcall('nosuch')"),
        "-ERR Unknown Redis command called from script"
    );
    assert_eq!(
        ev(&mut r, "return ("),
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
    );
    // WRONGTYPE passes through with its code.
    assert_eq!(
        ev(&mut r, "return redis.pcall('zadd','s','1','x')"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    let script = "return redis.call('zadd','s','1','x')";
    assert_eq!(
        ev(&mut r, script),
        format!(
            "-WRONGTYPE Operation against a key holding the wrong kind of value script: {}, on @user_script:1.",
            h(script)
        )
    );
}

#[test]
fn redis_api_helpers() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        ev(&mut r, "return redis.sha1hex('')"),
        "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\""
    );
    assert_eq!(ev(&mut r, "return redis.REDIS_VERSION"), "\"7.2.4\"");
    assert_eq!(
        ev(&mut r, "return redis.REDIS_VERSION_NUM"),
        format!(":{}", (7 << 16) | (2 << 8) | 4)
    );
    assert_eq!(
        ev(
            &mut r,
            "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING, redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_SLAVE, redis.REPL_ALL}"
        ),
        "[:0, :1, :2, :3, :0, :1, :2, :2, :3]"
    );
    assert_eq!(ev(&mut r, "return redis.replicate_commands()"), ":1");
    assert_eq!(ev(&mut r, "return redis.set_repl(redis.REPL_ALL)"), "(nil)");
    assert_eq!(
        ev(&mut r, "return redis.log(redis.LOG_DEBUG, 'hello')"),
        "(nil)"
    );
    assert_eq!(ev(&mut r, "return redis.breakpoint()"), "(nil)");
    assert_eq!(ev(&mut r, "return redis.debug('x')"), "(nil)");
    // Libraries.
    assert_eq!(
        ev(&mut r, "return cjson.encode({a=1})"),
        "\"{\\\"a\\\":1}\""
    );
    assert_eq!(
        ev(&mut r, "return cjson.decode('[1,2,\"x\"]')"),
        "[:1, :2, \"x\"]"
    );
    assert_eq!(
        ev(&mut r, "return cmsgpack.unpack(cmsgpack.pack({1,2,'x'}))"),
        "[:1, :2, \"x\"]"
    );
    assert_eq!(
        ev(
            &mut r,
            "local t = cjson.decode(cjson.encode({a={1,2},b='x'})); return {t.a[2], t.b}"
        ),
        "[:2, \"x\"]"
    );
    assert_eq!(
        ev(&mut r, "return struct.pack('>I', 1)"),
        "\"\\x00\\x00\\x00\\x01\""
    );
    assert_eq!(ev(&mut r, "return bit.band(7,3)"), ":3");
    assert_eq!(ev(&mut r, "return loadstring('return 1')()"), ":1");
    assert_eq!(ev(&mut r, "return string.rep('x', 3)"), "\"xxx\"");
    // KEYS/ARGV cannot be reassigned; the globals are protected.
    let e = ev(&mut r, "KEYS = {}");
    assert!(
        e.starts_with("-ERR user_script:1: Attempt to modify a readonly table"),
        "{e}"
    );
    let e = ev(&mut r, "string.x = 1");
    assert!(
        e.starts_with("-ERR user_script:1: Attempt to modify a readonly table"),
        "{e}"
    );
    let e = ev(&mut r, "return os.time()");
    assert!(
        e.starts_with(
            "-ERR user_script:1: Script attempted to access nonexistent global variable 'os'"
        ),
        "{e}"
    );
}

#[test]
fn select_inside_script_does_not_leak() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        ev(
            &mut r,
            "redis.call('select', 5); redis.call('set','k','in5'); return redis.call('get','k')"
        ),
        "\"in5\""
    );
    assert_eq!(r.s("GET k"), "(nil)");
    r.s("SELECT 5");
    assert_eq!(r.s("GET k"), "\"in5\"");
}

#[test]
fn read_only_scripts_and_shebang_flags() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("SET k v");
    let h = |script: &str| {
        use sha1::Digest;
        let d = sha1::Sha1::digest(script.as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let script = "return redis.call('set','x','y')";
    assert_eq!(
        r.q(&["EVAL_RO", script, "0"]),
        format!(
            "-ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:1.",
            h(script)
        )
    );
    assert_eq!(
        r.q(&["EVAL_RO", "return redis.call('get',KEYS[1])", "1", "k"]),
        "\"v\""
    );
    let hh = sha(&mut r, "return redis.call('get',KEYS[1])");
    assert_eq!(r.q(&["EVALSHA_RO", &hh, "1", "k"]), "\"v\"");
    // Shebang without no-writes cannot run through *_RO.
    assert_eq!(
        r.q(&["EVAL_RO", "#!lua\nreturn 1", "0"]),
        "-ERR Can not execute a script with write flag using *_ro command."
    );
    assert_eq!(
        r.q(&["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"]),
        ":1"
    );
    let script = "#!lua flags=no-writes\nreturn redis.call('set','x','y')";
    assert_eq!(
        r.q(&["EVAL", script, "0"]),
        format!(
            "-ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:2.",
            h(script)
        )
    );
    // Line numbers count the shebang line.
    let script = "#!lua\nreturn nil + 1";
    assert_eq!(
        r.q(&["EVAL", script, "0"]),
        format!(
            "-ERR user_script:2: attempt to perform arithmetic on a nil value script: {}, on @user_script:2.",
            h(script)
        )
    );
    assert_eq!(
        r.q(&["EVAL", "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 7", "0"]),
        ":7"
    );
    assert_eq!(r.q(&["EVAL", "#!lua flags=\nreturn 8", "0"]), ":8");
    assert_eq!(
        r.q(&["EVAL", "#!lua flags=no-writes,bad\nreturn 1", "0"]),
        "-ERR Unexpected flag in script shebang: bad"
    );
    assert_eq!(
        r.q(&["SCRIPT", "LOAD", "#!lua x=y\nreturn 1"]),
        "-ERR Unknown lua shebang option: x=y"
    );
    assert_eq!(
        r.q(&["SCRIPT", "LOAD", "#!py\nreturn 1"]),
        "-ERR Unexpected engine in script shebang: #!py"
    );
    // A read-only script can still write nothing; the key is untouched.
    assert_eq!(r.s("GET x"), "(nil)");
}

#[test]
fn scripts_cannot_block() {
    let s = Server::start();
    let mut r = s.raw();
    // A blocking command inside a script answers at once (as if timed out), or is refused.
    let out = ev(
        &mut r,
        "return redis.pcall('xread','block','0','streams','st','$')",
    );
    assert!(
        out == "(nil)" || out == "(nil-array)" || out.starts_with('-'),
        "{out}"
    );
}

#[test]
fn script_kill_and_busy() {
    let s = Server::start_with(&["--busy-reply-threshold", "100", "--io-threads", "2"]);
    // Connections are spread round-robin over the two workers: `a` and `b` land on different
    // ones, so `a` is served while `b`'s worker runs the script.
    let mut a = s.raw();
    let mut b = s.raw();
    assert_eq!(a.s("PING"), "+PONG");
    assert_eq!(b.s("PING"), "+PONG");
    assert_eq!(
        a.s("SCRIPT KILL"),
        "-NOTBUSY No scripts in execution right now."
    );
    assert_eq!(
        a.s("FUNCTION KILL"),
        "-NOTBUSY No scripts in execution right now."
    );
    b.send_cmd(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p = a.s("PING");
        if p.starts_with("-BUSY") {
            assert_eq!(
                p,
                "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
            );
            break;
        }
        assert!(Instant::now() < deadline, "never busy");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(a.s("GET x").starts_with("-BUSY"));
    assert_eq!(
        a.s("FUNCTION KILL"),
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    );
    assert_eq!(a.s("SCRIPT KILL"), "+OK");
    let reply = b.read().to_string();
    assert!(
        reply.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{reply}"
    );
    assert!(reply.ends_with(", on @user_script:1."), "{reply}");
    assert_eq!(a.s("PING"), "+PONG");
    assert_eq!(b.s("PING"), "+PONG");

    // pcall cannot swallow the kill.
    b.send_cmd(&[
        "EVAL",
        "while true do pcall(function() local i = 0 while true do i = i + 1 end end) end",
        "0",
    ]);
    wait_busy(&mut a);
    assert_eq!(a.s("SCRIPT KILL"), "+OK");
    assert!(b.read().to_string().contains("Script killed by user"));

    // Nor can a coroutine escape the kill check.
    b.send_cmd(&[
        "EVAL",
        "coroutine.wrap(function() local i = 0 while true do i = i + 1 end end)()",
        "0",
    ]);
    wait_busy(&mut a);
    assert_eq!(a.s("SCRIPT KILL"), "+OK");
    assert!(b.read().to_string().contains("Script killed by user"));

    // A script that wrote cannot be killed.
    b.send_cmd(&[
        "EVAL",
        "redis.call('set','w','1') local t0 = tonumber(redis.call('time')[1]) while tonumber(redis.call('time')[1]) - t0 < 3 do end return 'done'",
        "0",
    ]);
    wait_busy(&mut a);
    assert_eq!(
        a.s("SCRIPT KILL"),
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
    );
    assert_eq!(b.read().to_string(), "\"done\"");
    assert_eq!(a.s("GET w"), "\"1\"");
}

#[test]
fn shutdown_nosave_while_busy() {
    let mut s = Server::start_with(&["--busy-reply-threshold", "100", "--io-threads", "2"]);
    let mut a = s.raw();
    let mut b = s.raw();
    assert_eq!(a.s("PING"), "+PONG");
    assert_eq!(b.s("PING"), "+PONG");
    b.send_cmd(&["EVAL", "redis.call('set','x','1') while true do end", "0"]);
    wait_busy(&mut a);
    a.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    assert!(
        s.wait_exit(Duration::from_secs(20)).is_some(),
        "server did not exit"
    );
}

#[test]
fn scripts_are_atomic() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("SET counter 0");
    // While a script reads, increments in a loop and writes, plain clients incrementing
    // concurrently never interleave with it: every increment is counted exactly once.
    let script = "for i = 1, 200 do local v = tonumber(redis.call('get', KEYS[1])); redis.call('set', KEYS[1], v + 1) end return 1";
    let mut handles = Vec::new();
    for t in 0..4 {
        let port = s.port;
        let script = script.to_string();
        handles.push(std::thread::spawn(move || {
            let mut c = Raw::connect(port);
            for _ in 0..25 {
                if t % 2 == 0 {
                    assert_eq!(c.q(&["EVAL", &script, "1", "counter"]), ":1");
                } else {
                    for _ in 0..200 {
                        let v = c.q(&["INCR", "counter"]);
                        assert!(v.starts_with(':'), "{v}");
                    }
                }
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(r.s("GET counter"), format!("\"{}\"", 4 * 25 * 200));
}

#[test]
fn multi_exec_with_eval() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("MULTI");
    assert_eq!(
        r.q(&["EVAL", "return redis.call('incr','m')", "0"]),
        "+QUEUED"
    );
    assert_eq!(
        r.q(&["EVAL", "return redis.call('incr','m')", "0"]),
        "+QUEUED"
    );
    assert_eq!(r.s("EXEC"), "[:1, :2]");
}

#[test]
fn effects_are_propagated_not_the_script() {
    let dir = std::env::temp_dir().join(format!("pilgrim-scripting-aof-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    {
        let s = Server::start_in(&dir, &["--appendonly", "yes", "--appendfsync", "always"]);
        let mut r = s.raw();
        assert_eq!(
            ev(
                &mut r,
                "redis.call('set','a','1'); redis.call('incr','a'); redis.call('set','t', redis.call('time')[1]); return 1"
            ),
            ":1"
        );
        assert_eq!(ev(&mut r, "return redis.call('get','a')"), "\"2\"");
        // Stop the server but keep its directory (dropping a Server removes it).
        let mut s = s;
        s.kill9();
        std::mem::forget(s);
    }
    // The AOF holds the writes wrapped in MULTI/EXEC, never EVAL.
    let mut aof = Vec::new();
    for entry in walk(&dir) {
        if entry.to_string_lossy().contains(".aof") {
            aof.extend(std::fs::read(&entry).unwrap_or_default());
        }
    }
    let text = String::from_utf8_lossy(&aof);
    assert!(!text.to_ascii_uppercase().contains("EVAL"), "{text}");
    assert!(text.contains("MULTI"), "{text}");
    assert!(text.contains("incr") || text.contains("INCR"), "{text}");
    let s = Server::start_in(&dir, &["--appendonly", "yes"]);
    let mut r = s.raw();
    assert_eq!(r.s("GET a"), "\"2\"");
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn command_info_and_getkeys() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.q(&["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"]),
        "[\"a\", \"b\"]"
    );
    assert_eq!(
        r.q(&["COMMAND", "GETKEYS", "FCALL", "f", "1", "k", "x"]),
        "[\"k\"]"
    );
    let info = r.q(&["COMMAND", "INFO", "eval"]);
    assert!(info.contains("noscript"), "{info}");
    assert!(info.contains("@scripting"), "{info}");
}

#[test]
fn oom_rules_for_scripts() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("SET big xxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    r.s("CONFIG SET maxmemory 1");
    let script = "return redis.call('set','x','y')";
    assert_eq!(
        ev(&mut r, script),
        format!(
            "-OOM command not allowed when used memory > 'maxmemory'. script: {}, on @user_script:1.",
            sha1_hex(script)
        )
    );
    // A shebang script that may write is refused before it runs, unless allow-oom.
    assert_eq!(
        ev(&mut r, "#!lua\nreturn redis.call('set','x','y')"),
        "-OOM command not allowed when used memory > 'maxmemory'."
    );
    assert_eq!(
        ev(
            &mut r,
            "#!lua flags=allow-oom\nreturn redis.call('set','x','y')"
        ),
        "+OK"
    );
    assert_eq!(
        ev(
            &mut r,
            "#!lua flags=no-writes\nreturn redis.call('get','big')"
        ),
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxx\""
    );
    // Reads and non-denyoom writes still work.
    assert_eq!(
        ev(&mut r, "return redis.call('get','big')"),
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxx\""
    );
    assert_eq!(ev(&mut r, "return redis.call('del','x')"), ":1");
    r.s("CONFIG SET maxmemory 0");
    assert_eq!(ev(&mut r, script), "+OK");
}

#[test]
fn noscript_commands_are_refused() {
    let s = Server::start();
    let mut r = s.raw();
    for cmd in [
        "'subscribe', 'x'",
        "'watch', 'x'",
        "'exec'",
        "'monitor'",
        "'script', 'flush'",
    ] {
        let script = format!("return redis.pcall({cmd})");
        let out = ev(&mut r, &script);
        assert_eq!(
            out, "-ERR This Redis command is not allowed from script",
            "{cmd}"
        );
    }
    assert_eq!(
        ev(&mut r, "return redis.pcall('function', 'list')"),
        "-ERR This Redis command is not allowed from script"
    );
    assert_eq!(
        ev(&mut r, "return redis.pcall('fcall', 'f', '0')"),
        "-ERR This Redis command is not allowed from script"
    );
}

#[test]
fn script_writes_wake_blocked_clients() {
    let s = Server::start();
    let mut a = s.raw();
    let mut b = s.raw();
    b.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "st", "$"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = a.cmd(&["INFO", "clients"]);
        if String::from_utf8_lossy(info.as_bytes()).contains("blocked_clients:1\r\n") {
            break;
        }
        assert!(Instant::now() < deadline, "never blocked");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        a.q(&[
            "EVAL",
            "return redis.call('xadd', KEYS[1], '5-1', 'f', 'v')",
            "1",
            "st"
        ]),
        "\"5-1\""
    );
    assert_eq!(
        b.read().to_string(),
        "[[\"st\", [[\"5-1\", [\"f\", \"v\"]]]]]"
    );
}

#[test]
fn info_memory_counts_scripts_and_functions() {
    let s = Server::start();
    let mut r = s.raw();
    let info =
        |r: &mut Raw| String::from_utf8_lossy(r.cmd(&["INFO", "memory"]).as_bytes()).into_owned();
    assert!(info(&mut r).contains("number_of_cached_scripts:0\r\n"));
    sha(&mut r, "return 1");
    ev(&mut r, "return 2");
    let text = info(&mut r);
    assert!(text.contains("number_of_cached_scripts:2\r\n"), "{text}");
    assert_eq!(
        r.q(&["FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('a', function() return 1 end)\nredis.register_function('b', function() return 1 end)"]),
        "\"l\""
    );
    let text = info(&mut r);
    assert!(text.contains("number_of_functions:2\r\n"), "{text}");
    assert!(text.contains("number_of_libraries:1\r\n"), "{text}");
    r.s("SCRIPT FLUSH");
    r.s("FUNCTION FLUSH");
    let text = info(&mut r);
    assert!(text.contains("number_of_cached_scripts:0\r\n"), "{text}");
    assert!(text.contains("number_of_functions:0\r\n"), "{text}");
}

#[test]
fn redis_crate_script_helper() {
    // The client library's Script type tries EVALSHA, and on NOSCRIPT falls back to EVAL.
    let s = Server::start();
    let mut con = s.conn();
    let script = redis::Script::new("return redis.call('set', KEYS[1], ARGV[1])");
    let res: String = script.key("lib").arg("val").invoke(&mut con).unwrap();
    assert_eq!(res, "OK");
    let v: String = redis::cmd("GET").arg("lib").query(&mut con).unwrap();
    assert_eq!(v, "val");
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut con).unwrap();
    let res: String = script.key("lib").arg("again").invoke(&mut con).unwrap();
    assert_eq!(res, "OK");
    let n: i64 = redis::Script::new("return #KEYS + #ARGV")
        .key("a")
        .key("b")
        .arg(1)
        .invoke(&mut con)
        .unwrap();
    assert_eq!(n, 3);
}

const BUSY_SCRIPT: &str =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
const BUSY_FUNCTION: &str =
    "-BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

#[test]
fn busy_script_serves_clients_of_its_own_worker() {
    // One worker: the script runs on the thread that owns every connection and accepts new
    // ones. While it is busy, that thread still answers them (Redis's processEventsWhileBlocked).
    let s = Server::start_with(&["--busy-reply-threshold", "100", "--io-threads", "1"]);
    let mut a = s.raw();
    let mut b = s.raw();
    let mut r3 = s.raw();
    assert_eq!(a.s("PING"), "+PONG");
    assert_eq!(b.s("PING"), "+PONG");
    hello3(&mut r3);
    assert_eq!(a.s("SET k v"), "+OK");
    // The script's own client pipelines a PING behind the EVAL: it runs after the script, never
    // re-entrantly while the script is busy.
    let spin = "local i = 0 while true do i = i + 1 end";
    b.send(
        format!(
            "*3\r\n$4\r\nEVAL\r\n${}\r\n{spin}\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n",
            spin.len()
        )
        .as_bytes(),
    );
    wait_busy(&mut a);
    assert_eq!(a.s("PING"), BUSY_SCRIPT);
    assert_eq!(a.s("GET k"), BUSY_SCRIPT);
    assert_eq!(
        a.q(&[&b"SET"[..], b"bin\x00\xff", b"\x01\x02"]),
        BUSY_SCRIPT
    );
    // Unknown commands and wrong arity are reported first, as in Redis.
    assert_eq!(
        a.s("NOSUCHCMD"),
        "-ERR unknown command 'NOSUCHCMD', with args beginning with: "
    );
    assert_eq!(
        a.s("GET"),
        "-ERR wrong number of arguments for 'get' command"
    );
    // A pipeline gets one -BUSY per command.
    a.send(b"PING\r\nGET k\r\nINCR n\r\n");
    for _ in 0..3 {
        assert_eq!(a.read().to_string(), BUSY_SCRIPT);
    }
    // RESP3 clients get the same simple error.
    assert_eq!(r3.s("GET k"), BUSY_SCRIPT);
    // MULTI is allowed; a command rejected inside it aborts the EXEC (Redis's EXECABORT).
    assert_eq!(a.s("MULTI"), "+OK");
    assert_eq!(a.s("GET k"), BUSY_SCRIPT);
    assert_eq!(
        a.s("EXEC"),
        "-EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    );
    // SHUTDOWN without NOSAVE is refused while busy.
    assert_eq!(a.s("SHUTDOWN"), BUSY_SCRIPT);
    assert_eq!(a.s("SHUTDOWN SAVE"), BUSY_SCRIPT);
    assert_eq!(a.s("FUNCTION KILL"), BUSY_SCRIPT);
    // A brand-new connection is accepted and served by the busy worker.
    let mut c = s.raw();
    assert_eq!(c.s("PING"), BUSY_SCRIPT);
    let mut many: Vec<Raw> = (0..20).map(|_| s.raw()).collect();
    for r in many.iter_mut() {
        r.send(b"PING\r\n");
    }
    for r in many.iter_mut() {
        assert_eq!(r.read().to_string(), BUSY_SCRIPT);
    }
    drop(many);
    // The script's client sends more while its script runs: answered once it ends.
    b.send(b"ECHO after\r\n");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(c.s("SCRIPT KILL"), "+OK");
    let reply = b.read().to_string();
    assert!(
        reply.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{reply}"
    );
    assert!(reply.ends_with(", on @user_script:1."), "{reply}");
    assert_eq!(b.read().to_string(), "+PONG");
    assert_eq!(b.read().to_string(), "\"after\"");
    assert_eq!(a.s("PING"), "+PONG");
    assert_eq!(c.s("GET k"), "\"v\"");
    assert_eq!(r3.s("GET k"), "\"v\"");
    assert_eq!(b.s("GET k"), "\"v\"");
    assert_eq!(
        c.s("SCRIPT KILL"),
        "-NOTBUSY No scripts in execution right now."
    );
}

#[test]
fn busy_function_killed_from_its_own_worker() {
    let s = Server::start_with(&["--busy-reply-threshold", "100", "--io-threads", "1"]);
    let mut a = s.raw();
    let mut b = s.raw();
    assert_eq!(
        a.q(&[
            "FUNCTION",
            "LOAD",
            "#!lua name=spinlib\nredis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)"
        ]),
        "\"spinlib\""
    );
    b.send_cmd(&["FCALL", "spin", "0"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !a.s("PING").starts_with("-BUSY") {
        assert!(Instant::now() < deadline, "never busy");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(a.s("GET x"), BUSY_FUNCTION);
    assert_eq!(a.s("SCRIPT KILL"), BUSY_FUNCTION);
    let mut c = s.raw();
    assert_eq!(c.s("PING"), BUSY_FUNCTION);
    assert_eq!(c.s("FUNCTION KILL"), "+OK");
    assert_eq!(
        b.read().to_string(),
        "-ERR Script killed by user with FUNCTION KILL... script: spin, on @user_function:2."
    );
    assert_eq!(a.s("PING"), "+PONG");
    assert_eq!(c.s("PING"), "+PONG");
}

#[test]
fn shutdown_nosave_from_the_busy_worker() {
    let mut s = Server::start_with(&["--busy-reply-threshold", "100", "--io-threads", "1"]);
    let mut a = s.raw();
    let mut b = s.raw();
    assert_eq!(a.s("PING"), "+PONG");
    b.send_cmd(&["EVAL", "redis.call('set','x','1') while true do end", "0"]);
    wait_busy(&mut a);
    assert_eq!(
        a.s("SCRIPT KILL"),
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
    );
    let mut c = s.raw();
    c.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    assert!(
        s.wait_exit(Duration::from_secs(20)).is_some(),
        "server did not exit"
    );
}

#[test]
fn busy_worker_defers_watching_and_closing_clients() {
    let s = Server::start_with(&["--busy-reply-threshold", "100", "--io-threads", "1"]);
    let mut a = s.raw();
    let mut w = s.raw();
    let mut gone = s.raw();
    let mut blocked = s.raw();
    let mut b = s.raw();
    blocked.send_cmd(&["BLPOP", "k", "0"]);
    assert_eq!(w.s("WATCH k"), "+OK");
    assert_eq!(gone.s("WATCH k"), "+OK");
    b.send_cmd(&["EVAL", "local i = 0 while true do i = i + 1 end", "1", "k"]);
    wait_busy(&mut a);
    // A client watching keys is left alone until the script is over (unwatching would need
    // the script's locks): its EXEC is answered afterwards.
    w.send(b"MULTI\r\nEXEC\r\n");
    // One that hangs up (or a blocked one) is forgotten afterwards too; the worker keeps
    // serving meanwhile.
    drop(gone);
    drop(blocked);
    assert_eq!(a.s("PING"), BUSY_SCRIPT);
    assert_eq!(a.s("MULTI"), "+OK");
    assert_eq!(a.s("DISCARD"), BUSY_SCRIPT);
    assert_eq!(
        a.s("EXEC"),
        "-EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    );
    // WATCH needs the keyspace locks the script holds: refused while busy on this worker.
    assert_eq!(a.s("WATCH k"), BUSY_SCRIPT);
    assert_eq!(a.s("SCRIPT KILL"), "+OK");
    assert!(b.read().to_string().contains("Script killed by user"));
    assert_eq!(w.read().to_string(), "+OK");
    assert_eq!(w.read().to_string(), "[]");
    assert_eq!(a.s("PING"), "+PONG");
    let list = a.s("CLIENT LIST");
    assert_eq!(list.matches("id=").count(), 3, "{list}");
    let info = a.s("INFO clients");
    assert!(info.contains("blocked_clients:0"), "{info}");
}
