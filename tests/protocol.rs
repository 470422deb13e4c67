//! The wire protocol: pipelining, inline commands, protocol errors (exact texts; only the
//! offending connection closes), proto-max-bulk-len, client-query-buffer-limit, big and
//! binary-safe values.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

#[test]
fn pipelining_many_commands_in_one_write() {
    let s = Server::start();
    let mut r = s.raw();
    let mut batch = Vec::new();
    for i in 0..2000 {
        batch.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n$4\r\nk{:03}\r\n$1\r\n{}\r\n",
                i % 1000,
                i % 10
            )
            .as_bytes(),
        );
        batch.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n");
    }
    batch.extend_from_slice(b"PING\r\n*2\r\n$3\r\nGET\r\n$4\r\nk999\r\n");
    r.send(&batch);
    for i in 0..2000 {
        assert_eq!(r.read().to_string(), "+OK");
        assert_eq!(r.read().to_string(), format!(":{}", i + 1));
    }
    assert_eq!(r.read().to_string(), "+PONG");
    assert_eq!(r.read().to_string(), "\"9\"");
    assert_eq!(r.s("DBSIZE"), ":1001");
}

#[test]
fn pipelined_replies_larger_than_the_socket_buffers() {
    let s = Server::start();
    let mut r = s.raw();
    let value = "v".repeat(256 * 1024);
    assert_eq!(r.q(&["SET", "big", &value]), "+OK");
    let mut batch = Vec::new();
    for _ in 0..40 {
        batch.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
    }
    r.send(&batch);
    for _ in 0..40 {
        assert_eq!(r.read().as_bytes().len(), value.len());
    }
    assert_eq!(r.s("PING"), "+PONG");
}

#[test]
fn inline_commands() {
    let s = Server::start();
    let mut r = s.raw();
    r.send(b"PING\r\n");
    assert_eq!(r.read().to_string(), "+PONG");
    // \n alone ends a line; empty lines are skipped without a reply.
    r.send(b"\r\n\n   \r\nSET k \"a b\\x41\\n\"\nGET k\r\n");
    assert_eq!(r.read().to_string(), "+OK");
    assert_eq!(r.read().to_string(), "\"a bA\\n\"");
    r.send(b"SET k2 'it''s' \r\nGET k2\r\n");
    assert_eq!(
        r.read().to_string(),
        "-ERR Protocol error: unbalanced quotes in request"
    );
    assert!(r.closed());
    let mut r = s.raw();
    r.send(b"SET k2 'it\\'s'\r\nGET k2\r\nset   k3    x  \r\nget k3\r\n");
    assert_eq!(r.read().to_string(), "+OK");
    assert_eq!(r.read().to_string(), "\"it's\"");
    assert_eq!(r.read().to_string(), "+OK");
    assert_eq!(r.read().to_string(), "\"x\"");
    // Inline and multibulk mix freely on one connection.
    r.send(b"INCR n\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\nINCR n\r\n");
    for want in [":1", ":2", ":3"] {
        assert_eq!(r.read().to_string(), want);
    }
    // An unknown inline command is an error, not a disconnect.
    r.send(b"NOSUCH a b\r\n");
    assert_eq!(
        r.read().to_string(),
        "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "
    );
    assert_eq!(r.s("PING"), "+PONG");
}

/// Sends `bytes` on a fresh connection and expects exactly `error` and then a close, while
/// another connection keeps working.
fn protocol_error(s: &Server, bystander: &mut Raw, bytes: &[u8], error: &str) {
    let mut r = s.raw();
    r.send(b"ECHO hi\r\n");
    let hi = r.read().to_string();
    assert!(hi == "\"hi\"" || hi.starts_with("-NOAUTH"), "{hi}");
    r.send(bytes);
    assert_eq!(
        r.read().to_string(),
        format!("-ERR Protocol error: {error}"),
        "{bytes:?}"
    );
    assert!(r.closed(), "connection closed after {error}");
    assert_eq!(bystander.s("PING"), "+PONG");
}

#[test]
fn protocol_errors_close_only_that_connection() {
    let s = Server::start();
    let mut other = s.raw();
    other.s("SET survivor yes");
    let big = vec![b'a'; 70 * 1024];
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"*abc\r\n".to_vec(), "invalid multibulk length"),
        (b"*3000000000\r\n".to_vec(), "invalid multibulk length"),
        (b"*1\r\n$abc\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$-1\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$600000000\r\n".to_vec(), "invalid bulk length"),
        (
            b"*2\r\n$3\r\nGET\r\n+k\r\n".to_vec(),
            "expected '$', got '+'",
        ),
        (b"*1\r\nfoo\r\n".to_vec(), "expected '$', got 'f'"),
        (b"GET \"k\r\n".to_vec(), "unbalanced quotes in request"),
        (b"GET \"k\"x\r\n".to_vec(), "unbalanced quotes in request"),
        (big.clone(), "too big inline request"),
        (
            [b"*".as_slice(), &big].concat(),
            "too big mbulk count string",
        ),
        (
            [b"*1\r\n$".as_slice(), &big].concat(),
            "too big bulk count string",
        ),
    ];
    for (bytes, error) in &cases {
        protocol_error(&s, &mut other, bytes, error);
    }
    assert_eq!(other.s("GET survivor"), "\"yes\"");
    // A command before the bad bytes in the same write is still answered.
    let mut r = s.raw();
    r.send(b"SET a 1\r\n*x\r\n");
    assert_eq!(r.read().to_string(), "+OK");
    assert_eq!(
        r.read().to_string(),
        "-ERR Protocol error: invalid multibulk length"
    );
    assert!(r.closed());
}

#[test]
fn unauthenticated_clients_get_small_limits() {
    let s = Server::start_with(&["--requirepass", "pw"]);
    let mut other = s.raw();
    other.s("AUTH pw");
    protocol_error(
        &s,
        &mut other,
        b"*11\r\n",
        "unauthenticated multibulk length",
    );
    protocol_error(
        &s,
        &mut other,
        b"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
        "unauthenticated bulk length",
    );
    let mut ok = s.raw();
    assert_eq!(ok.s("AUTH pw"), "+OK");
    let args: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    let mut cmd = vec!["MSET".to_string()];
    cmd.extend(args);
    assert_eq!(ok.q(&cmd), "+OK");
}

#[test]
fn proto_max_bulk_len() {
    let s = Server::start();
    let mut other = s.raw();
    assert_eq!(other.s("CONFIG SET proto-max-bulk-len 1mb"), "+OK");
    let mut r = s.raw();
    let exact = vec![b'x'; 1024 * 1024];
    assert_eq!(r.q(&[b"SET".as_slice(), b"k", &exact]), "+OK");
    protocol_error(
        &s,
        &mut other,
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n",
        "invalid bulk length",
    );
    // Commands that build strings refuse to exceed it.
    assert_eq!(
        r.s("APPEND k x"),
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );
    assert_eq!(
        r.s("SETRANGE k 1048576 x"),
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );
}

#[test]
fn client_query_buffer_limit_disconnects() {
    let s = Server::start();
    let mut admin = s.raw();
    assert_eq!(admin.s("CONFIG SET client-query-buffer-limit 1mb"), "+OK");
    let mut r = s.raw();
    r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..40 {
        use std::io::Write;
        if r.stream.write_all(&chunk).is_err() {
            break;
        }
    }
    assert!(
        r.closed(),
        "a query buffer over the limit closes the connection"
    );
    assert_eq!(
        info_field(
            &mut admin,
            "stats",
            "client_query_buffer_limit_disconnections"
        ),
        "1"
    );
    assert_eq!(admin.s("EXISTS k"), ":0");
    // Under the limit, a large argument arriving in pieces is fine.
    let mut w = s.raw();
    w.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$900000\r\n");
    for _ in 0..9 {
        w.send(&vec![b'y'; 100_000]);
    }
    w.send(b"\r\n");
    assert_eq!(w.read().to_string(), "+OK");
    assert_eq!(w.s("STRLEN k"), ":900000");
}

#[test]
fn resp3_frames_and_downgrades() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("HELLO 3");
    check(
        &mut r,
        &[
            ("DEBUG PROTOCOL map", "{:0: #f, :1: #t, :2: #f}"),
            ("DEBUG PROTOCOL set", "~[:0, :1, :2]"),
            ("DEBUG PROTOCOL double", ",3.141"),
            ("DEBUG PROTOCOL true", "#t"),
            ("DEBUG PROTOCOL null", "(nil)"),
            (
                "DEBUG PROTOCOL bignum",
                "(1234567999999999999999999999999999999",
            ),
            (
                "DEBUG PROTOCOL verbatim",
                r#"=txt:"This is a verbatim\nstring""#,
            ),
        ],
    );
    assert_eq!(wire(&mut r, b"DEBUG PROTOCOL null\r\n", 3), b"_\r\n");
    assert_eq!(wire(&mut r, b"DEBUG PROTOCOL true\r\n", 4), b"#t\r\n");
    r.s("HELLO 2");
    check(
        &mut r,
        &[
            ("DEBUG PROTOCOL map", "[:0, :0, :1, :1, :2, :0]"),
            ("DEBUG PROTOCOL set", "[:0, :1, :2]"),
            ("DEBUG PROTOCOL double", r#""3.141""#),
            ("DEBUG PROTOCOL true", ":1"),
            (
                "DEBUG PROTOCOL push",
                "-ERR RESP2 is not supported by this command",
            ),
        ],
    );
}
