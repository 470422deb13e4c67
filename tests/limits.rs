//! Connection limits: maxclients, idle timeout (not for subscribers or blocked clients),
//! tcp-keepalive, client-output-buffer-limit (normal and pubsub classes), query buffer and
//! bulk length limits enforced before the data is buffered.
mod common;
use common::*;
use std::io::{Read, Write};
use std::time::Duration;

fn info_field(r: &mut Raw, section: &str, field: &str) -> String {
    let info = r.s(&format!("INFO {section}"));
    let pre = format!("{field}:");
    info.split("\\r\\n")
        .find(|l| l.starts_with(&pre))
        .unwrap_or_else(|| panic!("{field} missing: {info}"))[pre.len()..]
        .trim_matches('"')
        .to_string()
}

#[test]
fn maxclients_rejects_extra_connections() {
    let s = Server::start_with(&["--maxclients", "3"]);
    let mut a = s.raw();
    let mut b = s.raw();
    let mut c = s.raw();
    assert_eq!(a.s("PING"), "+PONG");
    assert_eq!(b.s("PING"), "+PONG");
    assert_eq!(c.s("PING"), "+PONG");
    let mut d = s.raw();
    assert_eq!(d.read().to_string(), "-ERR max number of clients reached");
    assert!(d.closed());
    assert_eq!(info_field(&mut a, "stats", "rejected_connections"), "1");
    assert_eq!(info_field(&mut a, "clients", "maxclients"), "3");
    drop(c);
    // The slot is free again once the server noticed the close.
    let mut ok = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(50));
        let mut e = s.raw();
        e.send(b"PING\r\n");
        let f = e.read().to_string();
        if f == "+PONG" {
            ok = true;
            break;
        }
        assert_eq!(f, "-ERR max number of clients reached");
    }
    assert!(ok);
    assert_eq!(a.s("CONFIG SET maxclients 10"), "+OK");
    assert_eq!(a.s("CONFIG GET maxclients"), "[\"maxclients\", \"10\"]");
}

#[test]
fn idle_timeout_spares_subscribers_and_blocked_clients() {
    let s = Server::start_with(&["--timeout", "1"]);
    let mut idle = s.raw();
    assert_eq!(idle.s("PING"), "+PONG");
    let mut sub = s.raw();
    assert_eq!(sub.s("SUBSCRIBE ch"), "[\"subscribe\", \"ch\", :1]");
    let mut blocked = s.raw();
    blocked.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "st", "$"]);
    let mut busy = s.raw();
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(busy.s("PING"), "+PONG");
    }
    assert!(idle.closed(), "idle client must be disconnected");
    // The subscriber and the blocked client are still there.
    assert_eq!(busy.s("PUBLISH ch hello"), ":1");
    assert_eq!(sub.read().to_string(), "[\"message\", \"ch\", \"hello\"]");
    assert!(busy.s("XADD st * f v").starts_with('"'));
    let got = blocked.read().to_string();
    assert!(got.starts_with("[[\"st\", [[\""), "{got}");
    assert_eq!(busy.s("CONFIG SET timeout 0"), "+OK");
}

#[test]
fn tcp_keepalive_config() {
    let s = Server::start_with(&["--tcp-keepalive", "60"]);
    let mut r = s.raw();
    assert_eq!(
        r.s("CONFIG GET tcp-keepalive"),
        "[\"tcp-keepalive\", \"60\"]"
    );
    assert_eq!(r.s("CONFIG SET tcp-keepalive 0"), "+OK");
    assert_eq!(
        r.s("CONFIG SET tcp-keepalive -1"),
        "-ERR CONFIG SET failed (possibly related to argument 'tcp-keepalive') - argument must be between 0 and 2147483647 inclusive"
    );
    // Accepted connections get SO_KEEPALIVE: the kernel reports a keepalive timer for them.
    let mut c = s.raw();
    assert_eq!(c.s("CONFIG SET tcp-keepalive 60"), "+OK");
    let mut k = s.raw();
    assert_eq!(k.s("PING"), "+PONG");
    let local = k.stream.local_addr().unwrap().port();
    let out = std::process::Command::new("ss")
        .args(["-tnoH", "state", "established"])
        .output();
    if let Ok(out) = out {
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| {
                l.contains(&format!(":{local} ")) && !l.contains(&format!("127.0.0.1:{local} 127"))
            })
            .map(|l| l.to_string());
        if let Some(l) = line {
            assert!(l.contains("keepalive"), "{l}");
        }
    }
}

#[test]
fn output_buffer_limit_normal_class() {
    let s = Server::start();
    let mut a = s.raw();
    let big = vec![b'x'; 1_000_000];
    assert_eq!(a.q(&[b"SET".as_slice(), b"big", &big]), "+OK");
    assert_eq!(
        a.q(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 4mb 0 0"
        ]),
        "+OK"
    );
    // A client that pipelines GETs and never reads its replies.
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let mut req = Vec::new();
    for _ in 0..200 {
        req.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
    }
    slow.write_all(&req).unwrap();
    let mut killed = false;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(50));
        if info_field(&mut a, "stats", "client_output_buffer_limit_disconnections") == "1" {
            killed = true;
            break;
        }
    }
    assert!(killed, "never-reading client must be disconnected");
    // The limit applies while the pipeline's replies pile up: the server never buffered the
    // 200 MB the pipeline asked for.
    let peak: u64 = info_field(&mut a, "memory", "used_memory_peak")
        .parse()
        .unwrap();
    assert!(peak < 60_000_000, "peak used_memory {peak}");
    assert_eq!(a.s("PING"), "+PONG");
    assert_eq!(a.s("STRLEN big"), ":1000000");
    // Memory went back down: the client's buffers were freed.
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut sink = Vec::new();
    let _ = slow.read_to_end(&mut sink);
    assert!(sink.len() < 250_000_000);
}

#[test]
fn output_buffer_limit_pubsub_class() {
    let s = Server::start();
    let mut a = s.raw();
    assert_eq!(
        a.q(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 0 0"
        ]),
        "+OK"
    );
    let mut sub = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    sub.write_all(b"*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let payload = vec![b'm'; 100_000];
    let mut receivers = Vec::new();
    for _ in 0..200 {
        let rep = a.q(&[b"PUBLISH".as_slice(), b"ch", &payload]);
        receivers.push(rep);
        if info_field(&mut a, "stats", "client_output_buffer_limit_disconnections") == "1" {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        info_field(&mut a, "stats", "client_output_buffer_limit_disconnections"),
        "1"
    );
    assert_eq!(a.s("PUBLISH ch x"), ":0");
    assert_eq!(a.s("PING"), "+PONG");
}

#[test]
fn query_buffer_and_bulk_limits() {
    let s = Server::start_with(&["--client-query-buffer-limit", "1mb"]);
    let mut a = s.raw();
    // A bulk length above proto-max-bulk-len is refused from its header alone.
    let mut r = s.raw();
    r.send(b"*1\r\n$600000000\r\n");
    assert_eq!(
        r.read().to_string(),
        "-ERR Protocol error: invalid bulk length"
    );
    assert!(r.closed());
    // An argument bigger than the query buffer limit: the client is closed once the buffer
    // passes the limit, before the whole argument is read.
    let mut q = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    q.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000000\r\n")
        .unwrap();
    let chunk = vec![b'z'; 64 * 1024];
    let mut sent = 0;
    let mut broken = false;
    while sent < 5_000_000 {
        if q.write_all(&chunk).is_err() {
            broken = true;
            break;
        }
        sent += chunk.len();
    }
    q.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 16];
    let closed = matches!(q.read(&mut buf), Ok(0) | Err(_));
    assert!(broken || closed);
    let mut disconnected = false;
    for _ in 0..50 {
        if info_field(&mut a, "stats", "client_query_buffer_limit_disconnections") == "1" {
            disconnected = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(disconnected);
    assert_eq!(a.s("EXISTS k"), ":0");
    // Multibulk counts above 1024*1024 from unauthenticated clients, and bad counts.
    let mut m = s.raw();
    m.send(b"*abc\r\n");
    assert_eq!(
        m.read().to_string(),
        "-ERR Protocol error: invalid multibulk length"
    );
    assert!(m.closed());
    assert_eq!(a.s("PING"), "+PONG");
    // proto-max-bulk-len is configurable (minimum 1mb).
    assert_eq!(a.s("CONFIG SET proto-max-bulk-len 1mb"), "+OK");
    let mut b = s.raw();
    b.send(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n");
    assert_eq!(
        b.read().to_string(),
        "-ERR Protocol error: invalid bulk length"
    );
}

#[test]
fn unauthenticated_clients_get_tight_protocol_limits() {
    let s = Server::start_with(&["--requirepass", "pw"]);
    let mut big_count = s.raw();
    big_count.send(b"*11\r\n");
    assert_eq!(
        big_count.read().to_string(),
        "-ERR Protocol error: unauthenticated multibulk length"
    );
    assert!(big_count.closed());
    let mut big_bulk = s.raw();
    big_bulk.send(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n");
    assert_eq!(
        big_bulk.read().to_string(),
        "-ERR Protocol error: unauthenticated bulk length"
    );
    assert!(big_bulk.closed());
    // Once authenticated, the normal limits apply.
    let mut ok = s.raw();
    assert_eq!(ok.s("AUTH pw"), "+OK");
    let args: Vec<String> = std::iter::once("MSET".to_string())
        .chain((0..20).map(|i| format!("k{}", i / 2)))
        .collect();
    assert_eq!(ok.q(&args), "+OK");
    let v = vec![b'x'; 20_000];
    assert_eq!(ok.q(&[b"SET".as_slice(), b"big", &v]), "+OK");
}
