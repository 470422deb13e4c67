//! Connection commands: PING ECHO SELECT AUTH HELLO CLIENT RESET (error paths and exact replies).
//!
//! The tables were produced by running the same commands against Redis (tests/difftest/connection.txt,
//! replayed with difftest against both servers), so every reply and error text is Redis's; the
//! few differences that are Redis 7.0 vs 7.2 changes carry the 7.2 reply. Replies that depend on
//! time or connection ids (`"*"` in the tables) are checked by hand below the tables.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

const PING_ECHO_SELECT: &[(&str, &str)] = &[
    ("PING", "+PONG"),
    ("PING hello", r#""hello""#),
    (r#"PING """#, r#""""#),
    (
        "PING a b",
        "-ERR wrong number of arguments for 'ping' command",
    ),
    ("ping", "+PONG"),
    ("ECHO x", r#""x""#),
    (r#"ECHO """#, r#""""#),
    (r#"ECHO "a\x00b""#, r#""a\x00b""#),
    ("ECHO", "-ERR wrong number of arguments for 'echo' command"),
    (
        "ECHO a b",
        "-ERR wrong number of arguments for 'echo' command",
    ),
    ("SELECT 1", "+OK"),
    ("SET k v", "+OK"),
    ("SELECT 0", "+OK"),
    ("GET k", "(nil)"),
    ("SELECT 15", "+OK"),
    ("SELECT 16", "-ERR DB index is out of range"),
    ("SELECT -1", "-ERR DB index is out of range"),
    ("SELECT x", "-ERR value is not an integer or out of range"),
    (
        r#"SELECT """#,
        "-ERR value is not an integer or out of range",
    ),
    ("SELECT 01", "-ERR value is not an integer or out of range"),
    ("SELECT 1.0", "-ERR value is not an integer or out of range"),
    (
        "SELECT 9223372036854775808",
        "-ERR value is not an integer or out of range",
    ),
    (
        "SELECT",
        "-ERR wrong number of arguments for 'select' command",
    ),
    (
        "SELECT 1 2",
        "-ERR wrong number of arguments for 'select' command",
    ),
];

#[test]
fn ping_echo_select() {
    let s = Server::start();
    check(&mut s.raw(), PING_ECHO_SELECT);
}

const AUTH_HELLO: &[(&str, &str)] = &[
    (
        "AUTH x",
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    ),
    (
        "AUTH a b",
        "-WRONGPASS invalid username-password pair or user is disabled.",
    ),
    ("AUTH default x", "+OK"),
    (r#"AUTH default """#, "+OK"),
    ("AUTH a b c", "-ERR syntax error"),
    ("AUTH", "-ERR wrong number of arguments for 'auth' command"),
    ("HELLO 1", "-NOPROTO unsupported protocol version"),
    ("HELLO 4", "-NOPROTO unsupported protocol version"),
    (
        "HELLO x",
        "-ERR Protocol version is not an integer or out of range",
    ),
    ("HELLO 2 FOO", "-ERR Syntax error in HELLO option 'FOO'"),
    ("HELLO 3 AUTH", "-ERR Syntax error in HELLO option 'AUTH'"),
    (
        "HELLO 3 AUTH default",
        "-ERR Syntax error in HELLO option 'AUTH'",
    ),
    ("HELLO 3 AUTH default wrong", "*"),
    (
        "HELLO 3 SETNAME",
        "-ERR Syntax error in HELLO option 'SETNAME'",
    ),
    (
        r#"HELLO 3 SETNAME "a b""#,
        "-ERR Client names cannot contain spaces, newlines or special characters.",
    ),
    ("HELLO 2 SETNAME ok", "*"),
    ("CLIENT GETNAME", r#""ok""#),
    ("HELLO 2 AUTH default x SETNAME z", "*"),
    ("HELLO -1", "-NOPROTO unsupported protocol version"),
    ("HELLO 0", "-NOPROTO unsupported protocol version"),
    (
        "HELLO 2.0",
        "-ERR Protocol version is not an integer or out of range",
    ),
    (
        "HELLO 02",
        "-ERR Protocol version is not an integer or out of range",
    ),
];

#[test]
fn auth_hello() {
    let s = Server::start();
    check(&mut s.raw(), AUTH_HELLO);
}

const CLIENT: &[(&str, &str)] = &[
    ("CLIENT SETNAME myname", "+OK"),
    ("CLIENT GETNAME", r#""myname""#),
    (r#"CLIENT SETNAME """#, "+OK"),
    ("CLIENT GETNAME", "(nil)"),
    (
        r#"CLIENT SETNAME "a b""#,
        "-ERR Client names cannot contain spaces, newlines or special characters.",
    ),
    (
        r#"CLIENT SETNAME "a\nb""#,
        "-ERR Client names cannot contain spaces, newlines or special characters.",
    ),
    (
        r#"CLIENT SETNAME "\x7f""#,
        "-ERR Client names cannot contain spaces, newlines or special characters.",
    ),
    (r#"CLIENT SETNAME "~!@#$%^&*()_+""#, "+OK"),
    ("CLIENT GETNAME", r#""~!@#$%^&*()_+""#),
    (
        "CLIENT SETNAME",
        "-ERR wrong number of arguments for 'client|setname' command",
    ),
    (
        "CLIENT GETNAME x",
        "-ERR wrong number of arguments for 'client|getname' command",
    ),
    ("CLIENT NO-EVICT on", "+OK"),
    ("CLIENT NO-EVICT OFF", "+OK"),
    ("CLIENT NO-EVICT maybe", "-ERR syntax error"),
    (
        "CLIENT NO-EVICT",
        "-ERR wrong number of arguments for 'client|no-evict' command",
    ),
    ("CLIENT REPLY ON", "+OK"),
    ("CLIENT REPLY FOO", "-ERR syntax error"),
    (
        "CLIENT REPLY",
        "-ERR wrong number of arguments for 'client|reply' command",
    ),
    ("CLIENT KILL 1.2.3.4:5", "-ERR No such client"),
    ("CLIENT KILL ID 999999", ":0"),
    (
        "CLIENT KILL ID x",
        "-ERR client-id should be greater than 0",
    ),
    ("CLIENT KILL FOO bar", "-ERR syntax error"),
    ("CLIENT KILL ADDR 1.2.3.4:5", ":0"),
    ("CLIENT KILL LADDR 1.2.3.4:5", ":0"),
    (
        "CLIENT KILL USER nosuchuser",
        "-ERR No such user 'nosuchuser'",
    ),
    ("CLIENT KILL SKIPME yes", ":0"),
    ("CLIENT KILL SKIPME maybe", "-ERR syntax error"),
    ("CLIENT KILL TYPE foo", "-ERR Unknown client type 'foo'"),
    ("CLIENT KILL TYPE normal SKIPME yes", ":0"),
    ("CLIENT KILL TYPE pubsub", ":0"),
    ("CLIENT KILL ID", "-ERR No such client"),
    (
        "CLIENT KILL",
        "-ERR wrong number of arguments for 'client|kill' command",
    ),
    (
        "CLIENT PAUSE",
        "-ERR wrong number of arguments for 'client|pause' command",
    ),
    (
        "CLIENT PAUSE x",
        "-ERR timeout is not an integer or out of range",
    ),
    ("CLIENT PAUSE -1", "-ERR timeout is negative"),
    ("CLIENT PAUSE 0", "+OK"),
    ("CLIENT PAUSE 0 WRITE", "+OK"),
    ("CLIENT PAUSE 0 ALL", "+OK"),
    (
        "CLIENT PAUSE 0 FOO",
        "-ERR CLIENT PAUSE mode must be WRITE or ALL",
    ),
    ("CLIENT UNPAUSE", "+OK"),
    (
        "CLIENT UNPAUSE x",
        "-ERR wrong number of arguments for 'client|unpause' command",
    ),
    (
        "CLIENT UNBLOCK",
        "-ERR wrong number of arguments for 'client|unblock' command",
    ),
    (
        "CLIENT UNBLOCK x",
        "-ERR value is not an integer or out of range",
    ),
    ("CLIENT UNBLOCK 999999", ":0"),
    ("CLIENT UNBLOCK 999999 TIMEOUT", ":0"),
    ("CLIENT UNBLOCK 999999 ERROR", ":0"),
    (
        "CLIENT UNBLOCK 999999 FOO",
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
    ),
    ("CLIENT LIST TYPE foo", "-ERR Unknown client type 'foo'"),
    ("CLIENT LIST ID x", "-ERR Invalid client ID"),
    ("CLIENT LIST ID 999999", "*"),
    ("CLIENT LIST FOO", "-ERR syntax error"),
    ("CLIENT LIST TYPE", "-ERR syntax error"),
    (
        "CLIENT INFO x",
        "-ERR wrong number of arguments for 'client|info' command",
    ),
    (
        "CLIENT ID x",
        "-ERR wrong number of arguments for 'client|id' command",
    ),
    (
        "CLIENT FOO",
        "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.",
    ),
    (
        "CLIENT",
        "-ERR wrong number of arguments for 'client' command",
    ),
    (
        "CLIENT HELP x",
        "-ERR wrong number of arguments for 'client|help' command",
    ),
];

#[test]
fn client() {
    let s = Server::start();
    check(&mut s.raw(), CLIENT);
}

const RESET: &[(&str, &str)] = &[
    ("SELECT 2", "+OK"),
    ("CLIENT SETNAME before", "+OK"),
    ("MULTI", "+OK"),
    ("RESET", "+RESET"),
    ("CLIENT GETNAME", "(nil)"),
    ("SET inreset v", "+OK"),
    ("SELECT 0", "+OK"),
    ("GET inreset", r#""v""#),
    (
        "RESET x",
        "-ERR wrong number of arguments for 'reset' command",
    ),
];

#[test]
fn reset() {
    let s = Server::start();
    check(&mut s.raw(), RESET);
}

/// HELLO's map with the connection id replaced by `ID`.
fn hello_without_id(r: &mut Raw, cmd: &str) -> String {
    let reply = r.q(&split_args(cmd));
    let start = reply.find("\"id\", :").or_else(|| reply.find("\"id\": :"));
    let Some(start) = start else { return reply };
    let num_start = start + 7;
    let num_end = num_start + reply[num_start..].find(',').unwrap();
    format!("{}ID{}", &reply[..num_start], &reply[num_end..])
}

#[test]
fn hello_replies_in_both_protocols() {
    let s = Server::start();
    let mut r = s.raw();
    let resp2 = r#"["server", "redis", "version", "7.2.4", "proto", :2, "id", :ID, "mode", "standalone", "role", "master", "modules", []]"#;
    let resp3 = r#"{"server": "redis", "version": "7.2.4", "proto": :3, "id": :ID, "mode": "standalone", "role": "master", "modules": []}"#;
    assert_eq!(hello_without_id(&mut r, "HELLO"), resp2);
    assert_eq!(hello_without_id(&mut r, "HELLO 3"), resp3);
    // Without a version HELLO keeps the current protocol.
    assert_eq!(hello_without_id(&mut r, "HELLO"), resp3);
    assert_eq!(hello_without_id(&mut r, "HELLO 2 SETNAME app"), resp2);
    assert_eq!(r.s("CLIENT GETNAME"), "\"app\"");
    assert_eq!(
        hello_without_id(&mut r, "HELLO 3 AUTH default anything"),
        resp3
    );
    let id = r.cmd(&["CLIENT", "ID"]).as_int();
    let hello = r.s("HELLO 3");
    assert!(hello.contains(&format!("\"id\": :{id},")), "{hello}");
}

#[test]
fn auth_with_requirepass() {
    let s = Server::start_with(&["--requirepass", "secret"]);
    let mut r = s.raw();
    let noauth = "-NOAUTH Authentication required.";
    let wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.";
    let hello_noauth = "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
    check(
        &mut r,
        &[
            ("GET k", noauth),
            ("PING", noauth),
            ("CLIENT ID", noauth),
            ("SELECT 1", noauth),
            ("HELLO 3", hello_noauth),
            ("HELLO", hello_noauth),
            ("HELLO 2 AUTH default wrong", wrongpass),
            ("AUTH wrong", wrongpass),
            ("AUTH default wrong", wrongpass),
            ("AUTH nouser secret", wrongpass),
            ("AUTH secret", "+OK"),
            ("GET k", "(nil)"),
            ("AUTH default secret", "+OK"),
            ("AUTH wrong", wrongpass),
            // A failed AUTH does not log the client out.
            ("GET k", "(nil)"),
            // RESET logs out (the default user has a password).
            ("RESET", "+RESET"),
            ("GET k", noauth),
        ],
    );
    let hello = r.s("HELLO 3 AUTH default secret SETNAME n");
    assert!(hello.starts_with(r#"{"server": "redis""#), "{hello}");
    assert_eq!(r.s("CLIENT GETNAME"), "\"n\"");
    // QUIT needs no authentication.
    let mut q = s.raw();
    assert_eq!(q.s("QUIT"), "+OK");
    assert!(q.closed());
    let mut c = redis::Client::open(format!("redis://:secret@127.0.0.1:{}/", s.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn client_list_info_and_kill() {
    let s = Server::start();
    let mut a = s.raw();
    let mut b = s.raw();
    let id_a = a.cmd(&["CLIENT", "ID"]).as_int();
    let id_b = b.cmd(&["CLIENT", "ID"]).as_int();
    assert!(id_b > id_a, "ids grow: {id_a} {id_b}");
    b.s("CLIENT SETNAME bee");
    b.s("SELECT 3");
    b.s("CLIENT SETINFO LIB-NAME mylib");
    b.s("CLIENT SETINFO LIB-VER 1.2");
    let info = String::from_utf8(b.cmd(&["CLIENT", "INFO"]).as_bytes().to_vec()).unwrap();
    let fields: std::collections::HashMap<&str, &str> = info
        .trim_end()
        .split(' ')
        .map(|kv| kv.split_once('=').unwrap())
        .collect();
    let keys: Vec<&str> = info
        .trim_end()
        .split(' ')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp",
            "lib-name",
            "lib-ver"
        ]
    );
    assert!(info.ends_with('\n'), "{info:?}");
    assert_eq!(fields["id"], id_b.to_string());
    assert_eq!(fields["name"], "bee");
    assert_eq!(fields["db"], "3");
    assert_eq!(fields["flags"], "N");
    assert_eq!(fields["cmd"], "client|info");
    assert_eq!(fields["user"], "default");
    assert_eq!(fields["resp"], "2");
    assert_eq!(fields["lib-name"], "mylib");
    assert_eq!(fields["lib-ver"], "1.2");
    let addr_b = fields["addr"].to_string();

    let list = String::from_utf8(a.cmd(&["CLIENT", "LIST"]).as_bytes().to_vec()).unwrap();
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains(&format!("id={id_a} ")) && list.contains(&format!("id={id_b} ")));

    let only_b = a.cmd(&["CLIENT", "LIST", "ID", &id_b.to_string(), "999999"]);
    let only_b = String::from_utf8(only_b.as_bytes().to_vec()).unwrap();
    assert_eq!(only_b.lines().count(), 1);
    assert!(
        only_b.starts_with(&format!("id={id_b} addr={addr_b} ")),
        "{only_b}"
    );
    let normal = a.cmd(&["CLIENT", "LIST", "TYPE", "normal"]);
    assert_eq!(
        String::from_utf8_lossy(normal.as_bytes()).lines().count(),
        2
    );
    assert_eq!(a.s("CLIENT LIST TYPE pubsub"), "\"\"");

    // Old form: CLIENT KILL addr.
    assert_eq!(a.s("CLIENT KILL 1.2.3.4:5"), "-ERR No such client");
    assert_eq!(a.q(&["CLIENT", "KILL", &addr_b]), "+OK");
    assert!(b.closed(), "killed client is disconnected");
    let mut c = s.raw();
    let id_c = c.cmd(&["CLIENT", "ID"]).as_int();
    // New form: filters, returns the number killed; SKIPME yes spares the caller.
    assert_eq!(a.s(&format!("CLIENT KILL ID {id_a}")), ":0");
    assert_eq!(a.s(&format!("CLIENT KILL ID {id_a} SKIPME no")), ":1");
    assert!(a.closed(), "a client can kill itself with SKIPME no");
    assert_eq!(c.s("CLIENT KILL TYPE normal"), ":0");
    assert_eq!(c.s(&format!("CLIENT KILL ID {id_c} SKIPME yes")), ":0");
    assert_eq!(c.s("PING"), "+PONG");
}

#[test]
fn client_setinfo_and_no_touch() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("CLIENT SETINFO LIB-NAME redis-py", "+OK"),
            ("CLIENT SETINFO lib-ver 5.0.1", "+OK"),
            (
                "CLIENT SETINFO LIB-NAME \"a b\"",
                "-ERR lib-name cannot contain spaces, newlines or special characters.",
            ),
            (
                "CLIENT SETINFO lib-ver \"a\\nb\"",
                "-ERR lib-ver cannot contain spaces, newlines or special characters.",
            ),
            ("CLIENT SETINFO FOO x", "-ERR Unrecognized option 'FOO'"),
            (
                "CLIENT SETINFO LIB-NAME",
                "-ERR wrong number of arguments for 'client|setinfo' command",
            ),
            ("CLIENT NO-TOUCH on", "+OK"),
            ("CLIENT NO-TOUCH maybe", "-ERR syntax error"),
            (
                "CLIENT NO-TOUCH",
                "-ERR wrong number of arguments for 'client|no-touch' command",
            ),
        ],
    );
    let info = String::from_utf8(r.cmd(&["CLIENT", "INFO"]).as_bytes().to_vec()).unwrap();
    assert!(info.contains(" flags=T "), "{info}");
    assert!(info.contains(" lib-name=redis-py lib-ver=5.0.1"), "{info}");
    assert_eq!(r.s("CLIENT NO-TOUCH OFF"), "+OK");
    let info = String::from_utf8(r.cmd(&["CLIENT", "INFO"]).as_bytes().to_vec()).unwrap();
    assert!(info.contains(" flags=N "), "{info}");
    assert_eq!(r.s("CLIENT NO-EVICT on"), "+OK");
    let info = String::from_utf8(r.cmd(&["CLIENT", "INFO"]).as_bytes().to_vec()).unwrap();
    assert!(info.contains(" flags=e "), "{info}");
}

#[test]
fn client_reply_off_skip_on() {
    let s = Server::start();
    let mut r = s.raw();
    // OFF: nothing comes back (not even for OFF itself) until ON, which answers +OK.
    r.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    r.send_cmd(&["SET", "a", "1"]);
    r.send_cmd(&["GET", "a"]);
    r.send_cmd(&["CLIENT", "REPLY", "ON"]);
    assert_eq!(r.read().to_string(), "+OK");
    assert_eq!(r.s("GET a"), "\"1\"");
    // SKIP: only the next command's reply is dropped.
    r.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    r.send_cmd(&["INCR", "a"]);
    r.send_cmd(&["INCR", "a"]);
    assert_eq!(r.read().to_string(), ":3");
}

#[test]
fn client_pause_holds_writes_until_unpause() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut writer = s.raw();
    admin.s("SET k old");
    assert_eq!(admin.s("CLIENT PAUSE 100000 WRITE"), "+OK");
    // Reads go on while writes wait.
    assert_eq!(writer.s("GET k"), "\"old\"");
    writer.send_cmd(&["SET", "k", "new"]);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(admin.s("GET k"), "\"old\"");
    assert_eq!(admin.s("CLIENT UNPAUSE"), "+OK");
    assert_eq!(writer.read().to_string(), "+OK");
    assert_eq!(admin.s("GET k"), "\"new\"");
    // ALL pauses every command of other clients; the pause ends by itself.
    assert_eq!(admin.s("CLIENT PAUSE 30 ALL"), "+OK");
    assert_eq!(writer.s("GET k"), "\"new\"");
}

#[test]
fn reset_restores_the_connection_defaults() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    check(
        &mut sub,
        &[
            ("SUBSCRIBE ch", r#"["subscribe", "ch", :1]"#),
            ("RESET", "+RESET"),
            ("PUBSUB NUMSUB ch", r#"["ch", :0]"#),
        ],
    );
    r.s("HELLO 3");
    r.s("SELECT 5");
    r.s("CLIENT SETNAME someone");
    r.s("CLIENT NO-EVICT ON");
    r.s("CLIENT NO-TOUCH ON");
    r.s("SET k v");
    r.s("MULTI");
    r.s("SET k queued");
    assert_eq!(r.s("RESET"), "+RESET");
    check(
        &mut r,
        &[
            ("CLIENT GETNAME", "(nil)"),
            ("GET k", "(nil)"),
            ("SELECT 5", "+OK"),
            ("GET k", "\"v\""),
            ("EXEC", "-ERR EXEC without MULTI"),
        ],
    );
    let info = String::from_utf8(r.cmd(&["CLIENT", "INFO"]).as_bytes().to_vec()).unwrap();
    assert!(
        info.contains(" flags=N ") && info.contains(" resp=2 "),
        "{info}"
    );
}

#[test]
fn quit_closes_only_that_connection() {
    let s = Server::start();
    let mut a = s.raw();
    let mut b = s.raw();
    a.send_cmd(&["SET", "k", "v"]);
    a.send_cmd(&["QUIT", "extra", "args"]);
    a.send_cmd(&["SET", "k", "after-quit"]);
    assert_eq!(a.read().to_string(), "+OK");
    assert_eq!(a.read().to_string(), "+OK");
    assert!(
        a.closed(),
        "QUIT closes after its reply; later commands are not run"
    );
    assert_eq!(b.s("GET k"), "\"v\"");
}
