//! WAIT, WAITAOF, ROLE and REPLICAOF/SLAVEOF NO ONE on a master without replicas: immediate
//! answers, blocking until the timeout, CLIENT UNBLOCK, MULTI, argument errors in Redis's order,
//! RESP2 and RESP3 shapes.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

use std::time::{Duration, Instant};

fn wait_blocked(r: &mut Raw, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = r.cmd(&["INFO", "clients"]);
        if String::from_utf8_lossy(info.as_bytes()).contains(&want) {
            return;
        }
        assert!(Instant::now() < deadline, "never reached {want}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn role_reply() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("ROLE"), "[\"master\", :0, []]");
    assert_eq!(r.s("ROLE x"), arity_err("role"));
    assert!(r.s("HELLO 3").starts_with('{'));
    assert_eq!(r.s("ROLE"), "[\"master\", :0, []]");
    let mut c = s.conn();
    let v: (String, i64, Vec<String>) = redis::cmd("ROLE").query(&mut c).unwrap();
    assert_eq!(v, ("master".to_string(), 0, vec![]));
}

#[test]
fn wait_immediate_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("WAIT 0 0", ":0"),
            ("WAIT -1 0", ":0"),
            ("WAIT 0 100", ":0"),
            ("WAIT a 0", "-ERR value is not an integer or out of range"),
            ("WAIT 0 -1", "-ERR timeout is negative"),
            (
                "WAIT 0 1.5",
                "-ERR timeout is not an integer or out of range",
            ),
            ("WAIT 0 x", "-ERR timeout is not an integer or out of range"),
            ("WAIT a -1", "-ERR value is not an integer or out of range"),
            ("WAIT 0", &arity_err("wait")),
            ("WAIT 0 0 0", &arity_err("wait")),
        ],
    );
    // Inside MULTI a WAIT cannot block: it answers with what is acknowledged now.
    check(
        &mut r,
        &[
            ("MULTI", "+OK"),
            ("WAIT 5 0", "+QUEUED"),
            ("WAITAOF 0 3 0", "+QUEUED"),
            ("EXEC", "[:0, [:0, :0]]"),
        ],
    );
}

#[test]
fn wait_blocks_until_timeout() {
    let s = Server::start();
    let mut r = s.raw();
    let started = Instant::now();
    assert_eq!(r.s("WAIT 1 150"), ":0");
    assert!(started.elapsed() >= Duration::from_millis(140));
    assert_eq!(r.s("WAITAOF 0 1 100"), "[:0, :0]");
    assert!(r.s("HELLO 3").starts_with('{'));
    assert_eq!(r.s("WAIT 2 50"), ":0");
    assert_eq!(r.s("WAITAOF 0 1 50"), "[:0, :0]");
}

#[test]
fn wait_forever_and_client_unblock() {
    let s = Server::start();
    let mut r = s.raw();
    let mut b = s.raw();
    let id = b.s("CLIENT ID");
    let id = id.trim_start_matches(':').to_string();
    b.send_cmd(&["WAIT", "1", "0"]);
    wait_blocked(&mut r, 1);
    assert_eq!(r.q(&["CLIENT", "UNBLOCK", &id]), ":1");
    assert_eq!(b.read().to_string(), ":0");
    wait_blocked(&mut r, 0);

    b.send_cmd(&["WAITAOF", "0", "1", "0"]);
    wait_blocked(&mut r, 1);
    assert_eq!(r.q(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), ":1");
    assert_eq!(b.read().to_string(), "[:0, :0]");

    b.send_cmd(&["WAIT", "3", "0"]);
    wait_blocked(&mut r, 1);
    assert_eq!(r.q(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1");
    assert_eq!(
        b.read().to_string(),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK"
    );
    assert_eq!(b.s("PING"), "+PONG");

    // A client blocked in WAIT that disconnects is cleaned up.
    let mut gone = s.raw();
    gone.send_cmd(&["WAIT", "1", "0"]);
    wait_blocked(&mut r, 1);
    drop(gone);
    wait_blocked(&mut r, 0);
}

#[test]
fn waitaof_errors_and_appendonly() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("WAITAOF 0 0 0", "[:0, :0]"),
            (
                "WAITAOF 1 0 0",
                "-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.",
            ),
            (
                "WAITAOF 2 0 0",
                "-ERR value is out of range, value must between 0 and 1",
            ),
            (
                "WAITAOF -1 0 0",
                "-ERR value is out of range, value must between 0 and 1",
            ),
            (
                "WAITAOF x 0 0",
                "-ERR value is not an integer or out of range",
            ),
            (
                "WAITAOF 0 -1 0",
                "-ERR value is out of range, must be positive",
            ),
            (
                "WAITAOF 0 x 0",
                "-ERR value is not an integer or out of range",
            ),
            ("WAITAOF 0 0 -1", "-ERR timeout is negative"),
            (
                "WAITAOF 0 0 x",
                "-ERR timeout is not an integer or out of range",
            ),
            // Argument errors come before the appendonly check.
            ("WAITAOF 1 0 -1", "-ERR timeout is negative"),
            ("WAITAOF 0 0", &arity_err("waitaof")),
        ],
    );
    assert_eq!(r.s("CONFIG SET appendonly yes"), "+OK");
    assert_eq!(r.s("SET k v"), "+OK");
    assert_eq!(r.s("WAITAOF 1 0 0"), "[:1, :0]");
    assert_eq!(r.s("WAITAOF 0 0 0"), "[:1, :0]");
    assert_eq!(r.s("WAITAOF 1 1 50"), "[:1, :0]");
}

#[test]
fn replicaof_no_one() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("REPLICAOF NO ONE", "+OK"),
            ("replicaof no one", "+OK"),
            ("SLAVEOF NO ONE", "+OK"),
            ("REPLICAOF \"NO ONE\"", &arity_err("replicaof")),
            ("REPLICAOF host 70000", "-ERR Invalid master port"),
            ("REPLICAOF host abc", "-ERR Invalid master port"),
            (
                "REPLICAOF 127.0.0.1 6379",
                "-ERR REPLICAOF to a master is not supported by this server",
            ),
            ("ROLE", "[\"master\", :0, []]"),
        ],
    );
    let info = r.s("COMMAND INFO wait waitaof");
    assert!(
        info.starts_with("[[\"wait\", :3, [+noscript], :0, :0, :0, [+@slow, +@connection]"),
        "{info}"
    );
    assert!(
        info.contains("[\"waitaof\", :4, [+noscript], :0, :0, :0, [+@slow, +@connection]"),
        "{info}"
    );
}
