//! Redis Functions: FUNCTION LOAD/DELETE/LIST/FLUSH/DUMP/RESTORE/STATS/KILL/HELP, FCALL and
//! FCALL_RO, redis.register_function in both forms with flags, and the error texts of Redis
//! 7.2 (checked against a real server where they agree).
mod common;
use common::*;

use std::time::{Duration, Instant};

const LIB: &str = "#!lua name=mylib
redis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)
redis.register_function{function_name='f2', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end, flags={'no-writes'}, description='desc'}
redis.register_function{function_name='f3', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes', 'allow-oom'}}
redis.register_function('setter', function(keys, args) return redis.call('set', keys[1], args[1]) end)";

fn load(r: &mut Raw, code: &str) -> String {
    r.q(&["FUNCTION", "LOAD", code])
}

#[test]
fn load_and_call() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(load(&mut r, LIB), "\"mylib\"");
    assert_eq!(r.s("FCALL f1 1 k v"), "[\"k\", \"v\"]");
    assert_eq!(r.s("FCALL F1 1 k v"), "[\"k\", \"v\"]");
    assert_eq!(r.s("FCALL setter 1 k v"), "+OK");
    assert_eq!(r.s("FCALL f3 1 k"), "\"v\"");
    assert_eq!(r.s("FCALL_RO f3 1 k"), "\"v\"");
    assert_eq!(
        r.s("FCALL_RO f1 1 k v"),
        "-ERR Can not execute a script with write flag using *_ro command."
    );
    assert_eq!(
        r.s("FCALL f2 1 k v"),
        "-ERR Write commands are not allowed from read-only scripts. script: f2, on @user_function:3."
    );
    assert_eq!(r.s("FCALL nosuch 0"), "-ERR Function not found");
    assert_eq!(r.s("FCALL f1 -1"), "-ERR Number of keys can't be negative");
    assert_eq!(
        r.s("FCALL f1 2 a"),
        "-ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(
        r.s("FCALL f1 x"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("FCALL f1"),
        "-ERR wrong number of arguments for 'fcall' command"
    );
    // Binary-safe arguments.
    assert_eq!(
        r.q(&[&b"FCALL"[..], b"f1", b"1", b"\x00\xff", b"a\r\nb"]),
        r#"["\x00\xff", "a\r\nb"]"#
    );
    // RESP3.
    r.s("HELLO 3");
    assert_eq!(r.s("FCALL f1 1 k v"), "[\"k\", \"v\"]");
}

#[test]
fn runtime_errors_name_the_function() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        load(
            &mut r,
            "#!lua name=lib2
redis.register_function('g', function() return error('oops') end)
redis.register_function('h', function() return redis.call('nosuch') end)
redis.register_function('i', function() return nil + 1 end)"
        ),
        "\"lib2\""
    );
    assert_eq!(
        r.s("FCALL g 0"),
        "-ERR user_function:2: oops script: g, on @user_function:2."
    );
    assert_eq!(
        r.s("FCALL h 0"),
        "-ERR Unknown Redis command called from script script: h, on @user_function:3."
    );
    assert_eq!(
        r.s("FCALL i 0"),
        "-ERR user_function:4: attempt to perform arithmetic on a nil value script: i, on @user_function:4."
    );
}

#[test]
fn load_errors() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(load(&mut r, LIB), "\"mylib\"");
    let cases: &[(&str, &str)] = &[
        ("return 1", "-ERR Missing library metadata"),
        ("#!lua name=x", "-ERR Invalid library metadata"),
        ("#!lua\n", "-ERR Library name was not given"),
        (
            "#!lua name=a b=c\n",
            "-ERR Invalid metadata value given: b=c",
        ),
        (
            "#!lua name=a name=b\n",
            "-ERR Invalid metadata value, name argument was given multiple times",
        ),
        ("#!js name=a\n", "-ERR Engine 'js' not found"),
        (
            "#!lua name=a-b\n",
            "-ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ),
        (
            "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)",
            "-ERR Library 'mylib' already exists",
        ),
        (
            "#!lua name=other\nredis.register_function('f1', function() return 1 end)",
            "-ERR Function f1 already exists",
        ),
        ("#!lua name=zz\nreturn 1", "-ERR No functions registered"),
        (
            "#!lua name=zz\nlocal x =",
            "-ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'",
        ),
        (
            "#!lua name=zz\nwhile true do end",
            "-ERR Error registering functions: ERR FUNCTION LOAD timeout",
        ),
        (
            "#!lua name=zz\nredis.register_function('g-x', function() return 1 end)",
            "-ERR Error registering functions: ERR Function names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ),
        (
            "#!lua name=zz\nredis.register_function('a', function() return 1 end) redis.register_function('a', function() return 1 end)",
            "-ERR Error registering functions: ERR Function already exists in the library",
        ),
        (
            "#!lua name=zz\nredis.register_function({})",
            "-ERR Error registering functions: ERR redis.register_function must get a function name argument",
        ),
        (
            "#!lua name=zz\nredis.register_function('x')",
            "-ERR Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        ),
        (
            "#!lua name=zz\nredis.register_function('x', 1)",
            "-ERR Error registering functions: ERR second argument to redis.register_function must be a function",
        ),
        (
            "#!lua name=zz\nredis.register_function(1, 2, 3)",
            "-ERR Error registering functions: ERR wrong number of arguments to redis.register_function",
        ),
        (
            "#!lua name=zz\nredis.register_function{function_name='x', callback=function() end, flags={'bad'}}",
            "-ERR Error registering functions: ERR unknown flag given",
        ),
        (
            "#!lua name=zz\nredis.register_function{function_name='x', callback=function() end, flags='no-writes'}",
            "-ERR Error registering functions: ERR flags argument to redis.register_function must be a table representing function flags",
        ),
        (
            "#!lua name=zz\nredis.register_function{function_name='x', callback=function() end, xx=1}",
            "-ERR Error registering functions: ERR unknown argument given to redis.register_function",
        ),
        (
            "#!lua name=zz\nredis.register_function{function_name='x'}",
            "-ERR Error registering functions: ERR redis.register_function must get a callback argument",
        ),
        (
            "#!lua name=zz\nredis.register_function{function_name='x', callback=1}",
            "-ERR Error registering functions: ERR callback argument given to redis.register_function must be a function",
        ),
        (
            "#!lua name=zz\nredis.register_function{function_name='x', callback=function() end, description=1}",
            "-ERR Error registering functions: ERR description argument given to redis.register_function must be a string",
        ),
        (
            "#!lua name=zz\nerror('x')",
            "-ERR Error registering functions: ERR user_function:2: x",
        ),
    ];
    for (code, want) in cases {
        assert_eq!(load(&mut r, code), *want, "{code}");
    }
    assert_eq!(
        r.q(&[
            "FUNCTION",
            "LOAD",
            "bad",
            "#!lua name=q\nredis.register_function('q', function() end)"
        ]),
        "-ERR Unknown option given: bad"
    );
    assert_eq!(
        r.s("FUNCTION LOAD"),
        "-ERR wrong number of arguments for 'function|load' command"
    );
    // A failed load leaves the old library in place.
    assert_eq!(r.s("FCALL f1 1 k v"), "[\"k\", \"v\"]");
    // register_function outside FUNCTION LOAD.
    assert_eq!(
        load(
            &mut r,
            "#!lua name=late\nredis.register_function('late', function() return redis.register_function('x', function() end) end)"
        ),
        "\"late\""
    );
    let e = r.s("FCALL late 0");
    assert!(
        e.starts_with("-ERR redis.register_function can only be called on FUNCTION LOAD command"),
        "{e}"
    );
}

#[test]
fn replace_delete_flush() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(load(&mut r, LIB), "\"mylib\"");
    assert_eq!(
        r.q(&[
            "FUNCTION",
            "LOAD",
            "REPLACE",
            "#!lua name=mylib\nredis.register_function('f1', function() return 2 end)"
        ]),
        "\"mylib\""
    );
    assert_eq!(r.s("FCALL f1 0"), ":2");
    // Functions of the replaced library that the new code does not define are gone.
    assert_eq!(r.s("FCALL f2 0"), "-ERR Function not found");
    assert_eq!(r.s("FUNCTION DELETE mylib"), "+OK");
    assert_eq!(r.s("FUNCTION DELETE mylib"), "-ERR Library not found");
    assert_eq!(r.s("FCALL f1 0"), "-ERR Function not found");
    assert_eq!(load(&mut r, LIB), "\"mylib\"");
    assert_eq!(r.s("FUNCTION FLUSH"), "+OK");
    assert_eq!(r.s("FUNCTION LIST"), "[]");
    assert_eq!(load(&mut r, LIB), "\"mylib\"");
    assert_eq!(r.s("FUNCTION FLUSH ASYNC"), "+OK");
    assert_eq!(r.s("FUNCTION FLUSH SYNC"), "+OK");
    assert_eq!(
        r.s("FUNCTION FLUSH bad"),
        "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
    );
}

#[test]
fn list_resp2_and_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(load(&mut r, LIB), "\"mylib\"");
    assert_eq!(
        load(
            &mut r,
            "#!lua name=other\nredis.register_function('o', function() return 1 end)"
        ),
        "\"other\""
    );
    let f3 =
        "[\"name\", \"f3\", \"description\", (nil), \"flags\", [\"no-writes\", \"allow-oom\"]]";
    let expected_mylib = format!(
        "[\"library_name\", \"mylib\", \"engine\", \"LUA\", \"functions\", [[\"name\", \"f1\", \"description\", (nil), \"flags\", []], [\"name\", \"f2\", \"description\", \"desc\", \"flags\", [\"no-writes\"]], {f3}, [\"name\", \"setter\", \"description\", (nil), \"flags\", []]]]"
    );
    assert_eq!(
        r.s("FUNCTION LIST LIBRARYNAME my*"),
        format!("[{expected_mylib}]")
    );
    let all = r.s("FUNCTION LIST");
    assert!(all.contains("\"other\""), "{all}");
    assert!(all.contains("\"mylib\""), "{all}");
    let with_code = r.s("FUNCTION LIST WITHCODE LIBRARYNAME other");
    assert_eq!(
        with_code,
        "[[\"library_name\", \"other\", \"engine\", \"LUA\", \"functions\", [[\"name\", \"o\", \"description\", (nil), \"flags\", []]], \"library_code\", \"#!lua name=other\\nredis.register_function('o', function() return 1 end)\"]]"
    );
    assert_eq!(r.s("FUNCTION LIST LIBRARYNAME zz*"), "[]");
    assert_eq!(r.s("FUNCTION LIST x"), "-ERR Unknown argument x");
    assert_eq!(
        r.s("FUNCTION LIST LIBRARYNAME"),
        "-ERR library name argument was not given"
    );
    r.s("HELLO 3");
    assert_eq!(
        r.s("FUNCTION LIST LIBRARYNAME other"),
        "[{\"library_name\": \"other\", \"engine\": \"LUA\", \"functions\": [{\"name\": \"o\", \"description\": (nil), \"flags\": ~[]}]}]"
    );
}

#[test]
fn dump_restore() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(load(&mut r, LIB), "\"mylib\"");
    let dump = r.cmd(&["FUNCTION", "DUMP"]);
    let payload = dump.as_bytes().to_vec();
    assert_eq!(payload[0], 245, "FUNCTION2 opcode first");
    // APPEND (default) collides with the existing library.
    assert_eq!(
        r.q(&[&b"FUNCTION"[..], b"RESTORE", &payload]),
        "-ERR Library mylib already exists"
    );
    assert_eq!(
        r.q(&[&b"FUNCTION"[..], b"RESTORE", &payload, b"REPLACE"]),
        "+OK"
    );
    assert_eq!(r.s("FUNCTION FLUSH"), "+OK");
    assert_eq!(r.q(&[&b"FUNCTION"[..], b"RESTORE", &payload]), "+OK");
    assert_eq!(r.s("FCALL f1 1 a b"), "[\"a\", \"b\"]");
    assert_eq!(
        load(
            &mut r,
            "#!lua name=extra\nredis.register_function('e', function() return 1 end)"
        ),
        "\"extra\""
    );
    assert_eq!(
        r.q(&[&b"FUNCTION"[..], b"RESTORE", &payload, b"FLUSH"]),
        "+OK"
    );
    assert_eq!(r.s("FCALL e 0"), "-ERR Function not found");
    assert_eq!(r.s("FCALL f1 1 a b"), "[\"a\", \"b\"]");
    // Corrupt payloads and bad policies.
    let mut bad = payload.clone();
    let n = bad.len();
    bad[n - 1] ^= 0xff;
    assert_eq!(
        r.q(&[&b"FUNCTION"[..], b"RESTORE", &bad]),
        "-ERR DUMP payload version or checksum are wrong"
    );
    assert_eq!(
        r.s("FUNCTION RESTORE xxx"),
        "-ERR DUMP payload version or checksum are wrong"
    );
    assert_eq!(
        r.q(&[&b"FUNCTION"[..], b"RESTORE", &payload, b"bad"]),
        "-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
    );
    // An empty registry dumps to a payload that restores to nothing.
    r.s("FUNCTION FLUSH");
    let empty = r.cmd(&["FUNCTION", "DUMP"]).as_bytes().to_vec();
    assert_eq!(empty.len(), 10);
    assert_eq!(r.q(&[&b"FUNCTION"[..], b"RESTORE", &empty]), "+OK");
    assert_eq!(r.s("FUNCTION LIST"), "[]");
}

#[test]
fn stats_help_and_kill() {
    let s = Server::start_with(&["--busy-reply-threshold", "100", "--io-threads", "2"]);
    let mut a = s.raw();
    let mut b = s.raw();
    assert_eq!(a.s("PING"), "+PONG");
    assert_eq!(b.s("PING"), "+PONG");
    assert_eq!(
        a.s("FUNCTION STATS"),
        "[\"running_script\", (nil), \"engines\", [\"LUA\", [\"libraries_count\", :0, \"functions_count\", :0]]]"
    );
    assert_eq!(
        load(
            &mut a,
            "#!lua name=spin\nredis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)\nredis.register_function{function_name='spin_ro', callback=function() local i = 0 while true do i = i + 1 end end, flags={'no-writes'}}"
        ),
        "\"spin\""
    );
    let help = a.s("FUNCTION HELP");
    assert!(help.starts_with("[+FUNCTION <subcommand>"), "{help}");
    assert!(help.ends_with("+HELP, +    Prints this help.]"), "{help}");
    b.send_cmd(&["FCALL", "spin", "0"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if a.s("PING").starts_with("-BUSY") {
            break;
        }
        assert!(Instant::now() < deadline, "never busy");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        a.s("GET x"),
        "-BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    );
    // Registry commands give up with -BUSY instead of waiting for the function.
    assert!(a.s("FUNCTION LIST").starts_with("-BUSY"));
    let stats = a.s("FUNCTION STATS");
    assert!(
        stats.starts_with("[\"running_script\", [\"name\", \"spin\", \"command\", [\"FCALL\", \"spin\", \"0\"], \"duration_ms\", :"),
        "{stats}"
    );
    assert!(
        stats.ends_with(
            "\"engines\", [\"LUA\", [\"libraries_count\", :1, \"functions_count\", :2]]]"
        ),
        "{stats}"
    );
    assert_eq!(
        a.s("SCRIPT KILL"),
        "-BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    );
    assert_eq!(a.s("FUNCTION KILL"), "+OK");
    let reply = b.read().to_string();
    assert_eq!(
        reply,
        "-ERR Script killed by user with FUNCTION KILL... script: spin, on @user_function:2."
    );
    assert_eq!(a.s("PING"), "+PONG");
    b.send_cmd(&["FCALL_RO", "spin_ro", "0"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !a.s("PING").starts_with("-BUSY") {
        assert!(Instant::now() < deadline, "never busy");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(a.s("FUNCTION KILL"), "+OK");
    assert!(b.read().to_string().contains("killed by user"));
    a.s("HELLO 3");
    assert_eq!(
        a.s("FUNCTION STATS"),
        "{\"running_script\": (nil), \"engines\": {\"LUA\": {\"libraries_count\": :1, \"functions_count\": :2}}}"
    );
}

#[test]
fn function_keys_and_atomic_writes() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        load(
            &mut r,
            "#!lua name=ctr\nredis.register_function('bump', function(keys, args) local v = redis.call('incrby', keys[1], args[1]) return v end)"
        ),
        "\"ctr\""
    );
    let mut handles = Vec::new();
    for _ in 0..4 {
        let port = s.port;
        handles.push(std::thread::spawn(move || {
            let mut c = Raw::connect(port);
            for _ in 0..100 {
                let v = c.s("FCALL bump 1 n 2");
                assert!(v.starts_with(':'), "{v}");
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(r.s("GET n"), "\"800\"");
}

#[test]
fn libraries_survive_save_and_restart() {
    let dir = std::env::temp_dir().join(format!("pilgrim-functions-rdb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    {
        let s = Server::start_in(&dir, &[]);
        let mut r = s.raw();
        assert_eq!(load(&mut r, LIB), "\"mylib\"");
        r.s("SET k v");
        assert_eq!(r.s("SAVE"), "+OK");
        // Stop the server but keep its directory (dropping a Server removes it).
        let mut s = s;
        s.kill9();
        std::mem::forget(s);
    }
    let s = Server::start_in(&dir, &[]);
    let mut r = s.raw();
    assert_eq!(r.s("FCALL f3 1 k"), "\"v\"");
    assert_eq!(r.s("FCALL_RO f3 1 k"), "\"v\"");
    let list = r.s("FUNCTION LIST");
    assert!(list.contains("\"mylib\""), "{list}");
    assert!(r.s("INFO memory").contains("number_of_libraries:1"));
    // DEBUG RELOAD keeps them too.
    assert_eq!(r.s("DEBUG RELOAD"), "+OK");
    assert_eq!(r.s("FCALL f1 1 a b"), "[\"a\", \"b\"]");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}
