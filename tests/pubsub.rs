//! Pub/Sub: subscription replies, message delivery and ordering, RESP2 subscribed mode,
//! RESP3 push frames, pattern matching, PUBSUB introspection.
mod common;
use common::*;

#[test]
fn subscribe_confirmations_resp2() {
    let s = Server::start();
    let mut sub = s.raw();
    sub.send_cmd(&["SUBSCRIBE", "a", "b"]);
    assert_eq!(sub.read().to_string(), "[\"subscribe\", \"a\", :1]");
    assert_eq!(sub.read().to_string(), "[\"subscribe\", \"b\", :2]");
    sub.send_cmd(&["PSUBSCRIBE", "n*"]);
    assert_eq!(sub.read().to_string(), "[\"psubscribe\", \"n*\", :3]");
    // Only (un)subscribe commands, PING, QUIT and RESET are allowed.
    assert_eq!(
        sub.s("GET x"),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    );
    assert_eq!(sub.s("PING"), "[\"pong\", \"\"]");
    assert_eq!(sub.s("PING hi"), "[\"pong\", \"hi\"]");
    let mut p = s.raw();
    assert_eq!(p.s("PUBLISH a hello"), ":1");
    assert_eq!(sub.read().to_string(), "[\"message\", \"a\", \"hello\"]");
    assert_eq!(p.s("PUBLISH news x"), ":1");
    assert_eq!(
        sub.read().to_string(),
        "[\"pmessage\", \"n*\", \"news\", \"x\"]"
    );
    sub.send_cmd(&["UNSUBSCRIBE"]);
    // All channels, in no particular order; the counts go down one by one.
    let (first, second) = (sub.read(), sub.read());
    assert_eq!(first.items()[2].to_string(), ":2");
    assert_eq!(second.items()[2].to_string(), ":1");
    let mut names = vec![first.items()[1].to_string(), second.items()[1].to_string()];
    names.sort();
    assert_eq!(names, vec!["\"a\"", "\"b\""]);
    assert_eq!(sub.s("PUNSUBSCRIBE"), "[\"punsubscribe\", \"n*\", :0]");
    // Not subscribed to anything: a null channel and count 0.
    assert_eq!(sub.s("UNSUBSCRIBE"), "[\"unsubscribe\", (nil), :0]");
    assert_eq!(sub.s("GET x"), "(nil)");
}

#[test]
fn channel_and_pattern_both_deliver() {
    let s = Server::start();
    let mut sub = s.raw();
    sub.send_cmd(&["SUBSCRIBE", "chan"]);
    sub.read();
    sub.send_cmd(&["PSUBSCRIBE", "ch*", "c?an"]);
    sub.read();
    sub.read();
    let mut p = s.raw();
    assert_eq!(p.s("PUBLISH chan m"), ":3");
    let mut got: Vec<String> = (0..3).map(|_| sub.read().to_string()).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            "[\"message\", \"chan\", \"m\"]",
            "[\"pmessage\", \"c?an\", \"chan\", \"m\"]",
            "[\"pmessage\", \"ch*\", \"chan\", \"m\"]",
        ]
    );
}

#[test]
fn resp3_push_frames_and_commands() {
    let s = Server::start();
    let mut sub = s.raw();
    sub.s("HELLO 3");
    sub.send_cmd(&["SUBSCRIBE", "a"]);
    assert_eq!(sub.read().to_string(), ">[\"subscribe\", \"a\", :1]");
    // In RESP3 any command may run while subscribed.
    assert_eq!(sub.s("SET k v"), "+OK");
    assert_eq!(sub.s("PING"), "+PONG");
    let mut p = s.raw();
    p.s("PUBLISH a x");
    assert_eq!(sub.read().to_string(), ">[\"message\", \"a\", \"x\"]");
    // Publishing to ourselves: Redis 7.2 sends the PUBLISH reply first, then the push.
    sub.send_cmd(&["PUBLISH", "a", "self"]);
    assert_eq!(sub.read().to_string(), ":1");
    assert_eq!(sub.read().to_string(), ">[\"message\", \"a\", \"self\"]");
    assert_eq!(sub.s("UNSUBSCRIBE x"), ">[\"unsubscribe\", \"x\", :1]");
}

#[test]
fn ordering_many_messages_several_subscribers() {
    let s = Server::start();
    let n = 100_000;
    // A RESP2 channel subscriber, a RESP3 one and a RESP2 pattern subscriber.
    let mut subs: Vec<Raw> = (0..3).map(|_| s.raw()).collect();
    subs[1].s("HELLO 3");
    subs[0].send_cmd(&["SUBSCRIBE", "q"]);
    subs[1].send_cmd(&["SUBSCRIBE", "q"]);
    subs[2].send_cmd(&["PSUBSCRIBE", "q*"]);
    for sub in subs.iter_mut() {
        sub.read();
    }
    let mut p = s.raw();
    // Pipeline the publishes in chunks.
    let mut sent = 0;
    while sent < n {
        let mut batch = Vec::new();
        for i in sent..(sent + 1000).min(n) {
            let msg = i.to_string();
            batch.extend_from_slice(
                format!(
                    "*3\r\n$7\r\nPUBLISH\r\n$1\r\nq\r\n${}\r\n{}\r\n",
                    msg.len(),
                    msg
                )
                .as_bytes(),
            );
        }
        p.send(&batch);
        for _ in sent..(sent + 1000).min(n) {
            assert_eq!(p.read().to_string(), ":3");
        }
        sent = (sent + 1000).min(n);
    }
    for (k, sub) in subs.iter_mut().enumerate() {
        for i in 0..n {
            let f = sub.read();
            let it = f.items();
            let payload = if k == 2 { &it[3] } else { &it[2] };
            assert_eq!(payload.as_bytes(), i.to_string().as_bytes());
            if i == 0 {
                let shape = match k {
                    0 => "[\"message\", \"q\", \"0\"]",
                    1 => ">[\"message\", \"q\", \"0\"]",
                    _ => "[\"pmessage\", \"q*\", \"q\", \"0\"]",
                };
                assert_eq!(f.to_string(), shape);
            }
        }
    }
}

#[test]
fn pubsub_introspection() {
    let s = Server::start();
    let mut a = s.raw();
    a.send_cmd(&["SUBSCRIBE", "x", "y"]);
    a.read();
    a.read();
    a.send_cmd(&["PSUBSCRIBE", "p*"]);
    a.read();
    let mut b = s.raw();
    b.send_cmd(&["SUBSCRIBE", "x"]);
    b.read();
    let mut q = s.raw();
    let ch = q.cmd(&["PUBSUB", "CHANNELS"]);
    let mut names: Vec<String> = ch.items().iter().map(|f| f.to_string()).collect();
    names.sort();
    assert_eq!(names, vec!["\"x\"", "\"y\""]);
    assert_eq!(q.s("PUBSUB CHANNELS y*"), "[\"y\"]");
    assert_eq!(
        q.s("PUBSUB NUMSUB x y z"),
        "[\"x\", :2, \"y\", :1, \"z\", :0]"
    );
    assert_eq!(q.s("PUBSUB NUMPAT"), ":1");
    assert_eq!(
        q.s("PUBSUB FOO"),
        "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP."
    );
    drop(a);
    // The disconnected subscriber's subscriptions are gone.
    for _ in 0..100 {
        if q.s("PUBSUB NUMPAT") == ":0" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(q.s("PUBSUB NUMSUB x"), "[\"x\", :1]");
}

#[test]
fn shard_channels() {
    let s = Server::start();
    let mut a = s.raw();
    a.send_cmd(&["SSUBSCRIBE", "s1"]);
    assert_eq!(a.read().to_string(), "[\"ssubscribe\", \"s1\", :1]");
    let mut p = s.raw();
    assert_eq!(p.s("PUBLISH s1 x"), ":0");
    assert_eq!(p.s("SPUBLISH s1 hello"), ":1");
    assert_eq!(a.read().to_string(), "[\"smessage\", \"s1\", \"hello\"]");
    assert_eq!(p.s("PUBSUB SHARDCHANNELS"), "[\"s1\"]");
    assert_eq!(p.s("PUBSUB SHARDNUMSUB s1 s2"), "[\"s1\", :1, \"s2\", :0]");
    assert_eq!(p.s("PUBSUB SHARDNUMSUB"), "[]");
    assert_eq!(p.s("PUBSUB SHARDCHANNELS s*"), "[\"s1\"]");
    assert_eq!(p.s("PUBSUB SHARDCHANNELS x*"), "[]");
    assert_eq!(
        p.s("PUBSUB ShardChannels a b"),
        "-ERR unknown subcommand or wrong number of arguments for 'ShardChannels'. Try PUBSUB HELP."
    );
    assert_eq!(
        p.s("PUBSUB CHANNELS a b"),
        "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."
    );
    assert_eq!(
        p.s("SSUBSCRIBE"),
        "-ERR wrong number of arguments for 'ssubscribe' command"
    );
    assert_eq!(
        p.s("SPUBLISH x"),
        "-ERR wrong number of arguments for 'spublish' command"
    );
    // A shard subscription alone keeps a RESP2 client in subscribed mode.
    assert_eq!(
        a.s("GET k"),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    );
    assert_eq!(a.s("PING"), "[\"pong\", \"\"]");
    a.send_cmd(&["SUBSCRIBE", "plain"]);
    assert_eq!(a.read().to_string(), "[\"subscribe\", \"plain\", :1]");
    // SUBSCRIBE counts channels and patterns; SSUBSCRIBE counts shard channels only.
    a.send_cmd(&["SSUBSCRIBE", "s2"]);
    assert_eq!(a.read().to_string(), "[\"ssubscribe\", \"s2\", :2]");
    assert_eq!(a.s("UNSUBSCRIBE"), "[\"unsubscribe\", \"plain\", :0]");
    a.send_cmd(&["SUNSUBSCRIBE", "s2"]);
    assert_eq!(a.read().to_string(), "[\"sunsubscribe\", \"s2\", :1]");
    assert_eq!(a.s("SUNSUBSCRIBE"), "[\"sunsubscribe\", \"s1\", :0]");
    assert_eq!(a.s("SUNSUBSCRIBE"), "[\"sunsubscribe\", (nil), :0]");
}

#[test]
fn keyspace_notifications() {
    let s = Server::start_with(&["--notify-keyspace-events", "KEA"]);
    let mut sub = s.raw();
    sub.send_cmd(&["PSUBSCRIBE", "__key*__:*"]);
    sub.read();
    let mut c = s.raw();
    c.s("SET foo bar");
    let a = sub.read().to_string();
    let b = sub.read().to_string();
    assert_eq!(
        a,
        "[\"pmessage\", \"__key*__:*\", \"__keyspace@0__:foo\", \"set\"]"
    );
    assert_eq!(
        b,
        "[\"pmessage\", \"__key*__:*\", \"__keyevent@0__:set\", \"foo\"]"
    );
    c.s("DEL foo");
    assert_eq!(
        sub.read().to_string(),
        "[\"pmessage\", \"__key*__:*\", \"__keyspace@0__:foo\", \"del\"]"
    );
    assert_eq!(
        sub.read().to_string(),
        "[\"pmessage\", \"__key*__:*\", \"__keyevent@0__:del\", \"foo\"]"
    );
    assert_eq!(
        c.s("CONFIG GET notify-keyspace-events"),
        "[\"notify-keyspace-events\", \"AKE\"]"
    );
    assert_eq!(
        c.s("CONFIG SET notify-keyspace-events Q"),
        "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
    );
    // Expired events from lazy expiry.
    c.s("CONFIG SET notify-keyspace-events Ex");
    c.s("DEBUG SET-ACTIVE-EXPIRE 0");
    c.s("SET t v PX 1");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(c.s("GET t"), "(nil)");
    assert_eq!(
        sub.read().to_string(),
        "[\"pmessage\", \"__key*__:*\", \"__keyevent@0__:expired\", \"t\"]"
    );
    // And from active expiry.
    c.s("DEBUG SET-ACTIVE-EXPIRE 1");
    c.s("SET t2 v PX 1");
    assert_eq!(
        sub.read().to_string(),
        "[\"pmessage\", \"__key*__:*\", \"__keyevent@0__:expired\", \"t2\"]"
    );
}

#[test]
fn slow_subscriber_is_disconnected() {
    let s = Server::start_with(&["--client-output-buffer-limit", "pubsub 1mb 256kb 60"]);
    let mut sub = s.raw();
    sub.send_cmd(&["SUBSCRIBE", "big"]);
    sub.read();
    // Never read from `sub` again; publish far more than its hard limit.
    let mut p = s.raw();
    let payload = vec![b'x'; 64 * 1024];
    let mut receivers_dropped = false;
    for _ in 0..200 {
        let n = p.cmd(&[b"PUBLISH".as_slice(), b"big", &payload]).as_int();
        if n == 0 {
            receivers_dropped = true;
            break;
        }
    }
    assert!(receivers_dropped, "subscriber was never disconnected");
    let info = String::from_utf8(p.cmd(&["INFO", "stats"]).as_bytes().to_vec()).unwrap();
    assert!(
        info.contains("client_output_buffer_limit_disconnections:1"),
        "{info}"
    );
    // The publisher and others keep being served.
    assert_eq!(p.s("PING"), "+PONG");
}

/// Redis 7.2 (pending_push_messages): a push a command causes to its own client follows the
/// command's reply; in a pipeline it comes before the next command's reply; inside MULTI all of
/// them follow the whole EXEC reply.
#[test]
fn self_pushes_follow_the_reply() {
    let s = Server::start();
    let mut c = s.raw();
    c.s("HELLO 3");
    assert_eq!(c.s("SUBSCRIBE ch"), ">[\"subscribe\", \"ch\", :1]");
    c.send(b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$1\r\nm\r\n*1\r\n$4\r\nPING\r\n");
    assert_eq!(c.read().to_string(), ":1");
    assert_eq!(c.read().to_string(), ">[\"message\", \"ch\", \"m\"]");
    assert_eq!(c.read().to_string(), "+PONG");
    assert_eq!(c.s("MULTI"), "+OK");
    assert_eq!(c.s("PUBLISH ch a"), "+QUEUED");
    assert_eq!(c.s("PING"), "+QUEUED");
    assert_eq!(c.s("PUBLISH ch b"), "+QUEUED");
    assert_eq!(c.s("EXEC"), "[:1, +PONG, :1]");
    assert_eq!(c.read().to_string(), ">[\"message\", \"ch\", \"a\"]");
    assert_eq!(c.read().to_string(), ">[\"message\", \"ch\", \"b\"]");
    // A pattern subscription and a keyspace event of the client's own write, too.
    assert_eq!(
        c.s("PSUBSCRIBE __keyevent@0__:*"),
        ">[\"psubscribe\", \"__keyevent@0__:*\", :2]"
    );
    assert_eq!(c.s("CONFIG SET notify-keyspace-events E$"), "+OK");
    assert_eq!(c.s("SET k v"), "+OK");
    assert_eq!(
        c.read().to_string(),
        ">[\"pmessage\", \"__keyevent@0__:*\", \"__keyevent@0__:set\", \"k\"]"
    );
    assert_eq!(c.s("PING"), "+PONG");
    // Messages from others still arrive.
    let mut p = s.raw();
    assert_eq!(p.s("PUBLISH ch other"), ":1");
    assert_eq!(c.read().to_string(), ">[\"message\", \"ch\", \"other\"]");
}

/// Pushes are exempt from CLIENT REPLY OFF/SKIP (Redis 7.2's CLIENT_PUSHING): subscription
/// confirmations and messages still arrive while ordinary replies are dropped.
#[test]
fn client_reply_off_and_skip_keep_pushes() {
    let s = Server::start();
    // RESP2, replies off: the confirmation arrives, the pong pair does not.
    let mut c = s.raw();
    c.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    c.send_cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(c.read().to_string(), "[\"subscribe\", \"ch\", :1]");
    c.send_cmd(&["PING"]);
    let mut p = s.raw();
    assert_eq!(p.s("PUBLISH ch x"), ":1");
    assert_eq!(c.read().to_string(), "[\"message\", \"ch\", \"x\"]");
    c.send_cmd(&["UNSUBSCRIBE"]);
    assert_eq!(c.read().to_string(), "[\"unsubscribe\", \"ch\", :0]");
    c.send_cmd(&["UNSUBSCRIBE"]);
    assert_eq!(c.read().to_string(), "[\"unsubscribe\", (nil), :0]");
    c.send_cmd(&["CLIENT", "REPLY", "ON"]);
    assert_eq!(c.read().to_string(), "+OK");

    // RESP3, replies off: the self-published message arrives, PUBLISH's integer does not.
    let mut d = s.raw();
    d.s("HELLO 3");
    d.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    d.send_cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(d.read().to_string(), ">[\"subscribe\", \"ch\", :1]");
    d.send_cmd(&["PUBLISH", "ch", "self"]);
    assert_eq!(d.read().to_string(), ">[\"message\", \"ch\", \"self\"]");
    d.send_cmd(&["CLIENT", "REPLY", "ON"]);
    assert_eq!(d.read().to_string(), "+OK");

    // SKIP: only the next reply is dropped; its push still comes.
    d.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    d.send_cmd(&["PUBLISH", "ch", "s2"]);
    assert_eq!(d.read().to_string(), ">[\"message\", \"ch\", \"s2\"]");
    assert_eq!(d.s("PING"), "+PONG");
}

fn rss_kb(pid: u32) -> u64 {
    let st = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    st.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn info_field(c: &mut Raw, field: &str) -> String {
    let info = String::from_utf8(c.cmd(&["INFO", "stats"]).as_bytes().to_vec()).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
        .to_string()
}

fn wait_until(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..1000 {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

/// Several subscribers that never read: each is cut off at its hard limit (set at run time with
/// CONFIG SET), the publisher keeps getting its replies, and the server's memory stays far below
/// what the undelivered messages would take.
#[test]
fn never_reading_subscribers_memory_stays_bounded() {
    let s = Server::start();
    let mut p = s.raw();
    assert_eq!(
        p.q(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 2mb 1mb 60"
        ]),
        "+OK"
    );
    assert_eq!(
        p.s("CONFIG GET client-output-buffer-limit"),
        "[\"client-output-buffer-limit\", \"normal 0 0 0 slave 268435456 67108864 60 pubsub 2097152 1048576 60\"]"
    );
    let mut subs: Vec<Raw> = (0..5).map(|_| s.raw()).collect();
    for sub in subs.iter_mut() {
        sub.send_cmd(&["SUBSCRIBE", "flood"]);
        sub.read();
    }
    let before = rss_kb(s.pid());
    let payload = vec![b'x'; 64 * 1024];
    // 1,500 messages of 64 KiB: 96 MiB per subscriber, 480 MiB if nobody were cut off.
    let mut last = -1;
    for _ in 0..30 {
        for _ in 0..50 {
            p.send_cmd(&[b"PUBLISH".as_slice(), b"flood", &payload]);
        }
        for _ in 0..50 {
            last = p.read().as_int();
        }
    }
    assert_eq!(last, 0, "every subscriber is gone by the end");
    let after = rss_kb(s.pid());
    assert!(
        after < before + 64 * 1024,
        "memory grew from {before} kB to {after} kB"
    );
    assert_eq!(
        info_field(&mut p, "client_output_buffer_limit_disconnections"),
        "5"
    );
    assert_eq!(p.s("PUBSUB NUMSUB flood"), "[\"flood\", :0]");
    assert_eq!(p.s("PING"), "+PONG");
    drop(subs);
}

/// The soft limit: over it for longer than its seconds disconnects, even below the hard limit.
#[test]
fn soft_limit_disconnects_after_its_seconds() {
    let s = Server::start_with(&["--client-output-buffer-limit", "pubsub 0 256kb 1"]);
    let mut sub = s.raw();
    sub.send_cmd(&["SUBSCRIBE", "slow"]);
    sub.read();
    let mut p = s.raw();
    let payload = vec![b'y'; 64 * 1024];
    // Enough to fill the socket buffers and stay above 256 KiB on the server side.
    let mut n = 0;
    for _ in 0..300 {
        n = p.cmd(&[b"PUBLISH".as_slice(), b"slow", &payload]).as_int();
        if n == 0 {
            break;
        }
    }
    assert!(
        p.s("CONFIG GET client-output-buffer-limit")
            .contains("pubsub 0 262144 1")
    );
    // No hard limit: the subscriber goes only once the soft limit has lasted a second.
    let _ = n;
    assert!(wait_until(|| p.s("PUBSUB NUMSUB slow") == "[\"slow\", :0]"));
    assert_eq!(
        info_field(&mut p, "client_output_buffer_limit_disconnections"),
        "1"
    );
}

/// The normal class applies to ordinary clients that do not read their replies.
#[test]
fn normal_class_limit_disconnects_a_non_reading_client() {
    let s = Server::start();
    let mut c = s.raw();
    assert_eq!(
        c.q(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 0 0"
        ]),
        "+OK"
    );
    let big = vec![b'z'; 512 * 1024];
    assert_eq!(c.cmd(&[b"SET".as_slice(), b"big", &big]).to_string(), "+OK");
    let mut greedy = s.raw();
    let mut batch = Vec::new();
    for _ in 0..200 {
        batch.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
    }
    greedy.send(&batch);
    assert!(wait_until(|| info_field(
        &mut c,
        "client_output_buffer_limit_disconnections"
    ) == "1"));
    // Subscribers are not affected by the normal class.
    assert_eq!(c.s("PING"), "+PONG");
}

/// Shard channels in RESP3: push frames, SPUBLISH to itself answers first, null channel when
/// nothing is left.
#[test]
fn shard_channels_resp3() {
    let s = Server::start();
    let mut c = s.raw();
    c.s("HELLO 3");
    assert_eq!(c.s("SSUBSCRIBE s1"), ">[\"ssubscribe\", \"s1\", :1]");
    c.send_cmd(&["SPUBLISH", "s1", "me"]);
    assert_eq!(c.read().to_string(), ":1");
    assert_eq!(c.read().to_string(), ">[\"smessage\", \"s1\", \"me\"]");
    // PUBLISH does not reach shard subscribers, nor patterns SPUBLISH.
    let mut p = s.raw();
    p.send_cmd(&["PSUBSCRIBE", "*"]);
    p.read();
    let mut q = s.raw();
    assert_eq!(q.s("PUBLISH s1 x"), ":1");
    assert_eq!(p.read().to_string(), "[\"pmessage\", \"*\", \"s1\", \"x\"]");
    assert_eq!(q.s("SPUBLISH s1 y"), ":1");
    assert_eq!(c.read().to_string(), ">[\"smessage\", \"s1\", \"y\"]");
    assert_eq!(c.s("SUNSUBSCRIBE"), ">[\"sunsubscribe\", \"s1\", :0]");
    assert_eq!(c.s("SUNSUBSCRIBE"), ">[\"sunsubscribe\", (nil), :0]");
    assert_eq!(q.s("PUBSUB SHARDNUMSUB s1"), "[\"s1\", :0]");
    // Binary-safe names and payloads.
    let mut b = s.raw();
    b.send_cmd(&[b"SSUBSCRIBE".as_slice(), b"bin\x00\xff"]);
    assert_eq!(
        b.read().to_string(),
        "[\"ssubscribe\", \"bin\\x00\\xff\", :1]"
    );
    assert_eq!(
        q.cmd(&[b"SPUBLISH".as_slice(), b"bin\x00\xff", b"\r\n\x00"])
            .to_string(),
        ":1"
    );
    assert_eq!(
        b.read().to_string(),
        "[\"smessage\", \"bin\\x00\\xff\", \"\\r\\n\\x00\"]"
    );
}
