//! Connection commands: PING, ECHO, QUIT, RESET, AUTH, HELLO, SELECT, CLIENT.
mod common;
use common::*;

#[test]
fn ping_echo() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("PING"), "+PONG");
    assert_eq!(r.s("PING hello"), "\"hello\"");
    assert_eq!(
        r.s("PING a b"),
        "-ERR wrong number of arguments for 'ping' command"
    );
    assert_eq!(r.s("ECHO x"), "\"x\"");
    assert_eq!(
        r.s("ECHO"),
        "-ERR wrong number of arguments for 'echo' command"
    );
    assert_eq!(
        r.q(&[b"ECHO".as_slice(), b"\x00\xff\r\n"]),
        "\"\\x00\\xff\\r\\n\""
    );
}

#[test]
fn unknown_commands() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.s("FOO bar baz"),
        "-ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' "
    );
    assert_eq!(
        r.s("FOO"),
        "-ERR unknown command 'FOO', with args beginning with: "
    );
    assert_eq!(
        r.s("CLIENT FOO"),
        "-ERR unknown subcommand 'FOO'. Try CLIENT HELP."
    );
    assert_eq!(
        r.s("CLIENT"),
        "-ERR wrong number of arguments for 'client' command"
    );
    assert_eq!(
        r.s("CONFIG GET"),
        "-ERR wrong number of arguments for 'config|get' command"
    );
}

#[test]
fn hello_and_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    let h = r.s("HELLO 3");
    assert!(
        h.starts_with("{\"server\": \"redis\", \"version\": \"7.2.4\", \"proto\": :3, \"id\": :"),
        "{h}"
    );
    assert!(
        h.ends_with("\"mode\": \"standalone\", \"role\": \"master\", \"modules\": []}"),
        "{h}"
    );
    assert_eq!(r.s("HELLO 4"), "-NOPROTO unsupported protocol version");
    assert_eq!(
        r.s("HELLO x"),
        "-ERR Protocol version is not an integer or out of range"
    );
    assert_eq!(r.s("GET nosuch"), "(nil)");
    let h = r.s("HELLO 2");
    assert!(h.starts_with("[\"server\", \"redis\", \"version\""), "{h}");
    assert_eq!(r.s("HELLO 3 SETNAME myname"), r.s("HELLO 3 SETNAME myname"));
    assert_eq!(r.s("CLIENT GETNAME"), "\"myname\"");
}

#[test]
fn select_and_client() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("SELECT 1"), "+OK");
    assert_eq!(r.s("SET k v"), "+OK");
    assert_eq!(r.s("SELECT 0"), "+OK");
    assert_eq!(r.s("GET k"), "(nil)");
    assert_eq!(r.s("SELECT 16"), "-ERR DB index is out of range");
    assert_eq!(
        r.s("SELECT x"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("CLIENT SETNAME a b"),
        "-ERR wrong number of arguments for 'client|setname' command"
    );
    assert_eq!(
        r.q(&["CLIENT", "SETNAME", "a b"]),
        "-ERR Client names cannot contain spaces, newlines or special characters."
    );
    assert_eq!(r.s("CLIENT GETNAME"), "(nil)");
    assert_eq!(r.s("CLIENT SETINFO LIB-NAME redis-py"), "+OK");
    assert_eq!(
        r.s("CLIENT SETINFO FOO x"),
        "-ERR Unrecognized option 'FOO'"
    );
    let id = r.cmd(&["CLIENT", "ID"]).as_int();
    let list = String::from_utf8(r.cmd(&["CLIENT", "LIST"]).as_bytes().to_vec()).unwrap();
    assert!(list.contains(&format!("id={id} ")), "{list}");
    assert!(list.contains("lib-name=redis-py"), "{list}");
}

#[test]
fn quit_closes() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("QUIT"), "+OK");
    assert!(r.closed());
}

#[test]
fn redis_crate_works_resp2_and_resp3() {
    let s = Server::start();
    for mut c in [s.conn(), s.conn3()] {
        let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
        let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
        assert_eq!(v, "v");
        let n: i64 = redis::cmd("INCR").arg("n").query(&mut c).unwrap();
        assert!(n >= 1);
    }
}
