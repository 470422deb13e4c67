//! Blocking list commands with real TCP clients: waking, FIFO order of waiters, several keys,
//! chains of BLMOVE, keys that change type while clients wait, CLIENT UNBLOCK / CLIENT KILL,
//! timeouts, and races (workers draining a queue fed by producers, waiters that time out or hang
//! up while pushes race with them) that end with a count proving nothing was lost or duplicated.
mod common;
use common::*;

use std::collections::HashSet;
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::time::{Duration, Instant};

/// Polls `INFO clients` until `blocked_clients` is `n`.
fn wait_blocked(r: &mut Raw, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = r.cmd(&["INFO", "clients"]);
        if String::from_utf8_lossy(info.as_bytes()).contains(&want) {
            return;
        }
        assert!(Instant::now() < deadline, "never reached {want}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn llen(r: &mut Raw, key: &str) -> usize {
    r.cmd(&["LLEN", key]).as_int() as usize
}

/// Blocks `n` fresh clients with `cmd`, in order (each is blocked before the next one starts).
fn block_clients(s: &Server, admin: &mut Raw, cmd: &[&str], n: usize) -> Vec<Raw> {
    let before = {
        let info = admin.cmd(&["INFO", "clients"]);
        let text = String::from_utf8_lossy(info.as_bytes()).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix("blocked_clients:"))
            .unwrap()
            .trim()
            .parse::<usize>()
            .unwrap()
    };
    (0..n)
        .map(|i| {
            let mut w = s.raw();
            w.send_cmd(cmd);
            wait_blocked(admin, before + i + 1);
            w
        })
        .collect()
}

#[test]
fn one_push_serves_waiters_in_fifo_order() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut waiters = block_clients(&s, &mut admin, &["BLPOP", "q", "0"], 3);
    // LPUSH q a b c leaves [c, b, a]: the waiters get c, b, a in the order they blocked.
    assert_eq!(admin.s("LPUSH q a b c"), ":3");
    let got: Vec<String> = waiters.iter_mut().map(|w| w.read().to_string()).collect();
    assert_eq!(got, [r#"["q", "c"]"#, r#"["q", "b"]"#, r#"["q", "a"]"#]);
    assert_eq!(admin.s("EXISTS q"), ":0");
    wait_blocked(&mut admin, 0);

    // More waiters than elements: the first ones are served, the others keep waiting.
    let mut waiters = block_clients(&s, &mut admin, &["BRPOP", "q", "0"], 4);
    assert_eq!(admin.s("RPUSH q 1 2"), ":2");
    assert_eq!(waiters[0].read().to_string(), r#"["q", "2"]"#);
    assert_eq!(waiters[1].read().to_string(), r#"["q", "1"]"#);
    wait_blocked(&mut admin, 2);
    assert_eq!(admin.s("RPUSH q 3"), ":1");
    assert_eq!(waiters[2].read().to_string(), r#"["q", "3"]"#);
    assert_eq!(admin.s("LPUSH q 4"), ":1");
    assert_eq!(waiters[3].read().to_string(), r#"["q", "4"]"#);
    wait_blocked(&mut admin, 0);
}

#[test]
fn first_key_in_argument_order_and_served_once() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut w = block_clients(&s, &mut admin, &["BLPOP", "k1", "k2", "k3", "0"], 1);
    // Both keys get elements in one transaction: the command re-runs after EXEC and takes the
    // first non-empty key in argument order, once.
    admin.s("MULTI");
    admin.s("RPUSH k3 c");
    admin.s("RPUSH k2 b");
    assert_eq!(admin.s("EXEC"), "[:1, :1]");
    assert_eq!(w[0].read().to_string(), r#"["k2", "b"]"#);
    wait_blocked(&mut admin, 0);
    assert_eq!(admin.s("LRANGE k3 0 -1"), r#"["c"]"#);
    assert_eq!(admin.s("EXISTS k2"), ":0");

    // A push inside MULTI/EXEC that is popped again in the same transaction wakes nobody.
    let mut w = block_clients(&s, &mut admin, &["BRPOP", "t", "0"], 1);
    admin.s("MULTI");
    admin.s("RPUSH t x");
    admin.s("RPOP t");
    assert_eq!(admin.s("EXEC"), r#"[:1, "x"]"#);
    wait_blocked(&mut admin, 1);
    admin.s("MULTI");
    admin.s("RPUSH t y z");
    admin.s("LPOP t");
    assert_eq!(admin.s("EXEC"), r#"[:2, "y"]"#);
    assert_eq!(w[0].read().to_string(), r#"["t", "z"]"#);

    // BLMPOP with COUNT takes up to COUNT from the first non-empty key.
    let mut w = block_clients(
        &s,
        &mut admin,
        &["BLMPOP", "0", "2", "m1", "m2", "RIGHT", "COUNT", "2"],
        1,
    );
    assert_eq!(admin.s("RPUSH m2 a b c"), ":3");
    assert_eq!(w[0].read().to_string(), r#"["m2", ["c", "b"]]"#);
    assert_eq!(admin.s("LRANGE m2 0 -1"), r#"["a"]"#);
}

#[test]
fn blmove_chains_wake_waiters_in_turn() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut w1 = block_clients(
        &s,
        &mut admin,
        &["BLMOVE", "a", "b", "RIGHT", "LEFT", "0"],
        1,
    );
    let mut w2 = block_clients(&s, &mut admin, &["BRPOPLPUSH", "b", "c", "0"], 1);
    let mut w3 = block_clients(&s, &mut admin, &["BLPOP", "c", "0"], 1);
    assert_eq!(admin.s("RPUSH a task"), ":1");
    assert_eq!(w1[0].read().to_string(), r#""task""#);
    assert_eq!(w2[0].read().to_string(), r#""task""#);
    assert_eq!(w3[0].read().to_string(), r#"["c", "task"]"#);
    assert_eq!(admin.s("EXISTS a b c"), ":0");
    wait_blocked(&mut admin, 0);

    // Two clients moving between the same two lists in a loop (a ring) terminate: each serves
    // once.
    let mut x = block_clients(
        &s,
        &mut admin,
        &["BLMOVE", "r1", "r2", "LEFT", "LEFT", "0"],
        1,
    );
    let mut y = block_clients(
        &s,
        &mut admin,
        &["BLMOVE", "r2", "r1", "LEFT", "LEFT", "0"],
        1,
    );
    assert_eq!(admin.s("RPUSH r1 e"), ":1");
    assert_eq!(x[0].read().to_string(), r#""e""#);
    assert_eq!(y[0].read().to_string(), r#""e""#);
    assert_eq!(admin.s("LRANGE r1 0 -1"), r#"["e"]"#);
    assert_eq!(admin.s("EXISTS r2"), ":0");

    // BLMOVE onto itself.
    let mut z = block_clients(
        &s,
        &mut admin,
        &["BLMOVE", "self", "self", "LEFT", "RIGHT", "0"],
        1,
    );
    assert_eq!(admin.s("RPUSH self a b"), ":2");
    assert_eq!(z[0].read().to_string(), r#""a""#);
    assert_eq!(admin.s("LRANGE self 0 -1"), r#"["b", "a"]"#);
}

#[test]
fn keys_that_change_type_while_clients_wait() {
    let s = Server::start();
    let mut admin = s.raw();
    // Overwritten with a string: Redis does not serve a list waiter from a string; it waits on.
    let mut w = block_clients(&s, &mut admin, &["BLPOP", "k", "0"], 1);
    assert_eq!(admin.s("SET k str"), "+OK");
    assert_eq!(admin.s("DEL k"), ":1");
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.s("RPUSH k v"), ":1");
    assert_eq!(w[0].read().to_string(), r#"["k", "v"]"#);

    // A later key gets elements while an earlier one holds a string: the command re-runs and
    // the type check of the earlier key answers WRONGTYPE, like Redis 7.2.
    let mut w = block_clients(&s, &mut admin, &["BRPOP", "k1", "k2", "0"], 1);
    admin.s("SET k1 str");
    wait_blocked(&mut admin, 1);
    admin.s("RPUSH k2 v");
    assert_eq!(
        w[0].read().to_string(),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(admin.s("LLEN k2"), ":1");
    wait_blocked(&mut admin, 0);

    // BLMOVE whose destination became a string: WRONGTYPE, and the element stays.
    let mut w = block_clients(
        &s,
        &mut admin,
        &["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"],
        1,
    );
    admin.s("SET dst str");
    admin.s("RPUSH src e");
    assert_eq!(
        w[0].read().to_string(),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(admin.s("LRANGE src 0 -1"), r#"["e"]"#);

    // A renamed list wakes the waiters of its new name.
    let mut w = block_clients(&s, &mut admin, &["BLPOP", "newname", "0"], 1);
    admin.s("RPUSH oldname x");
    assert_eq!(admin.s("RENAME oldname newname"), "+OK");
    assert_eq!(w[0].read().to_string(), r#"["newname", "x"]"#);
    wait_blocked(&mut admin, 0);
}

#[test]
fn timeouts_and_reply_kinds() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut r = s.raw();
    let t = Instant::now();
    assert_eq!(r.s("BLPOP q 0.1"), "(nil-array)");
    assert!(t.elapsed() >= Duration::from_millis(100));
    assert_eq!(r.s("BRPOP q1 q2 0.05"), "(nil-array)");
    assert_eq!(r.s("BLMOVE q d LEFT LEFT 0.05"), "(nil-array)");
    assert_eq!(r.s("BRPOPLPUSH q d 0.05"), "(nil-array)");
    assert_eq!(r.s("BLMPOP 0.05 1 q LEFT"), "(nil-array)");
    // Sub-millisecond timeouts round up to 1 ms instead of blocking forever.
    assert_eq!(r.s("BLPOP q 0.0001"), "(nil-array)");
    // RESP3: the null is `_`.
    let mut r3 = s.raw();
    assert!(matches!(r3.cmd(&["HELLO", "3"]), Frame::Map(_)));
    r3.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$4\r\n0.05\r\n");
    let mut raw = [0u8; 3];
    std::io::Read::read_exact(&mut r3.stream, &mut raw).unwrap();
    assert_eq!(&raw, b"_\r\n");
    wait_blocked(&mut admin, 0);
    // The connection still works after a timeout.
    assert_eq!(r.s("RPUSH q a"), ":1");
    assert_eq!(r.s("BLPOP q 0.05"), r#"["q", "a"]"#);
}

#[test]
fn client_unblock_kill_and_introspection() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut w = s.raw();
    let id = w.cmd(&["CLIENT", "ID"]).as_int().to_string();
    w.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    let list = String::from_utf8(
        admin
            .cmd(&["CLIENT", "LIST", "ID", &id])
            .as_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(list.contains(" flags=b "), "{list}");
    assert!(list.contains(" cmd=blpop "), "{list}");
    assert_eq!(admin.q(&["CLIENT", "UNBLOCK", &id]), ":1");
    assert_eq!(w.read().to_string(), "(nil-array)");
    wait_blocked(&mut admin, 0);
    assert_eq!(admin.q(&["CLIENT", "UNBLOCK", &id]), ":0");

    w.send_cmd(&["BLMOVE", "q", "d", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.q(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1");
    assert_eq!(
        w.read().to_string(),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK"
    );
    w.send_cmd(&["BRPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.q(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), ":1");
    assert_eq!(w.read().to_string(), "(nil-array)");
    // Nothing was consumed by the unblocked clients.
    assert_eq!(admin.s("RPUSH q x"), ":1");
    assert_eq!(w.s("LPOP q"), r#""x""#);

    // CLIENT KILL of a blocked client: the next push stays in the list.
    w.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.q(&["CLIENT", "KILL", "ID", &id]), ":1");
    wait_blocked(&mut admin, 0);
    assert_eq!(admin.s("RPUSH q y"), ":1");
    assert_eq!(admin.s("LRANGE q 0 -1"), r#"["y"]"#);
}

#[test]
fn disconnected_waiter_loses_nothing() {
    let s = Server::start();
    let mut admin = s.raw();
    let gone = block_clients(&s, &mut admin, &["BLPOP", "q", "0"], 2);
    let mut live = block_clients(&s, &mut admin, &["BLPOP", "q", "0"], 1);
    drop(gone);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.s("RPUSH q a b"), ":2");
    assert_eq!(live[0].read().to_string(), r#"["q", "a"]"#);
    assert_eq!(admin.s("LRANGE q 0 -1"), r#"["b"]"#);
    // Same for BLMOVE.
    let gone = block_clients(
        &s,
        &mut admin,
        &["BLMOVE", "m", "d", "LEFT", "LEFT", "0"],
        1,
    );
    drop(gone);
    wait_blocked(&mut admin, 0);
    assert_eq!(admin.s("RPUSH m a"), ":1");
    assert_eq!(admin.s("LRANGE m 0 -1"), r#"["a"]"#);
    assert_eq!(admin.s("EXISTS d"), ":0");
}

/// Element payload of a served BRPOP/BLPOP reply or a BLMOVE bulk.
fn element(f: &Frame) -> Option<Vec<u8>> {
    match f {
        Frame::NullArray | Frame::Null => None,
        Frame::Bulk(b) => Some(b.clone()),
        Frame::Array(items) => Some(items[1].as_bytes().to_vec()),
        other => panic!("unexpected reply {other}"),
    }
}

#[test]
fn workers_drain_a_queue_exactly_once() {
    // 4 producers LPUSH 100,000 tasks (in batches), 8 workers consume them: 4 with BRPOP and 4
    // with the reliable-queue pattern (BLMOVE to a processing list, then LREM). Every task is
    // delivered exactly once.
    let s = Server::start();
    let port = s.port;
    let producers = 4;
    let per_producer = 25_000;
    let total = producers * per_producer;
    let delivered = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for w in 0..8 {
        let delivered = delivered.clone();
        workers.push(std::thread::spawn(move || {
            let mut c = Raw::connect(port);
            let mut got = Vec::new();
            let processing = format!("processing:{w}");
            while delivered.load(Relaxed) < total {
                let reply = if w % 2 == 0 {
                    c.cmd(&["BRPOP", "tasks", "0.05"])
                } else {
                    c.cmd(&["BLMOVE", "tasks", &processing, "RIGHT", "LEFT", "0.05"])
                };
                if let Some(task) = element(&reply) {
                    if w % 2 == 1 {
                        let done = c.cmd(&[b"LREM".as_slice(), processing.as_bytes(), b"1", &task]);
                        assert_eq!(done, Frame::Int(1));
                    }
                    got.push(task);
                    delivered.fetch_add(1, Relaxed);
                }
            }
            got
        }));
    }
    let mut feeders = Vec::new();
    for p in 0..producers {
        feeders.push(std::thread::spawn(move || {
            let mut c = Raw::connect(port);
            for batch in 0..per_producer / 100 {
                let mut args = vec!["LPUSH".to_string(), "tasks".to_string()];
                args.extend((0..100).map(|i| format!("p{p}-{}", batch * 100 + i)));
                c.cmd(&args);
            }
        }));
    }
    for f in feeders {
        f.join().unwrap();
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.join().unwrap());
    }
    assert_eq!(all.len(), total);
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), total, "a task was delivered twice");
    let mut admin = s.raw();
    assert_eq!(admin.s("EXISTS tasks"), ":0");
    assert_eq!(admin.s("DBSIZE"), ":0");
    wait_blocked(&mut admin, 0);
}

#[test]
fn waiters_that_time_out_or_hang_up_during_pushes_lose_nothing() {
    // Readers with 10 ms timeouts and clients that block and then hang up race a pusher. A
    // client that hangs up only half-closes its socket and reads what was already sent, so every
    // element popped on the server is seen by some client: received + remaining == pushed.
    let s = Server::start();
    let port = s.port;
    let total = 3_000usize;
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for i in 0..4 {
        let stop = stop.clone();
        clients.push(std::thread::spawn(move || {
            let mut c = Raw::connect(port);
            let mut got = Vec::new();
            while !stop.load(Relaxed) {
                let reply = match i % 2 {
                    0 => c.cmd(&["BLPOP", "other", "q", "0.01"]),
                    _ => c.cmd(&["BLMOVE", "q", "moved", "LEFT", "LEFT", "0.01"]),
                };
                got.extend(element(&reply));
            }
            got
        }));
    }
    for i in 0..2 {
        let stop = stop.clone();
        clients.push(std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut n = 0u64;
            while !stop.load(Relaxed) {
                let mut c = Raw::connect(port);
                c.send_cmd(&["BRPOP", "q", "0"]);
                if (n + i).is_multiple_of(3) {
                    std::thread::sleep(Duration::from_micros(200));
                }
                n += 1;
                c.stream.shutdown(Shutdown::Write).unwrap();
                while let Some(f) = c.try_read() {
                    got.extend(element(&f));
                }
            }
            got
        }));
    }
    let mut pusher = s.raw();
    for i in 0..total {
        assert!(matches!(
            pusher.cmd(&["RPUSH", "q", &format!("e{i}")]),
            Frame::Int(_)
        ));
        if i.is_multiple_of(100) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while llen(&mut pusher, "q") > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Relaxed);
    let mut received = Vec::new();
    for c in clients {
        received.extend(c.join().unwrap());
    }
    let remaining = llen(&mut pusher, "q");
    let unique: HashSet<_> = received.iter().collect();
    assert_eq!(
        unique.len(),
        received.len(),
        "an element was delivered twice"
    );
    assert_eq!(received.len() + remaining, total, "elements were lost");
    // What the BLMOVE readers moved is all in `moved`.
    wait_blocked(&mut pusher, 0);
}

#[test]
fn killed_waiters_racing_pushes_lose_nothing() {
    // Clients blocked in BLPOP are killed with CLIENT KILL while a pusher feeds the list. A
    // killed client still receives a reply it was served before the kill, so every element is
    // either read by a client or still in the list.
    let s = Server::start();
    let port = s.port;
    let total = 2_000usize;
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..3 {
        let stop = stop.clone();
        clients.push(std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut admin = Raw::connect(port);
            while !stop.load(Relaxed) {
                let mut c = Raw::connect(port);
                let id = c.cmd(&["CLIENT", "ID"]).as_int().to_string();
                c.send_cmd(&["BLPOP", "q", "0"]);
                std::thread::sleep(Duration::from_micros(300));
                admin.cmd(&["CLIENT", "KILL", "ID", &id]);
                // Read to the end; the close may come as a reset, so parse the bytes by hand:
                // the bulk strings after the key are the elements served.
                let mut bytes = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n) = std::io::Read::read(&mut c.stream, &mut buf) {
                    if n == 0 {
                        break;
                    }
                    bytes.extend_from_slice(&buf[..n]);
                }
                let text = String::from_utf8(bytes).unwrap();
                let lines: Vec<&str> = text.split("\r\n").collect();
                for pair in lines.windows(2) {
                    if pair[0].starts_with('$') && pair[1].starts_with('e') {
                        got.push(pair[1].as_bytes().to_vec());
                    }
                }
            }
            got
        }));
    }
    let mut pusher = s.raw();
    for i in 0..total {
        assert!(matches!(
            pusher.cmd(&["RPUSH", "q", &format!("e{i}")]),
            Frame::Int(_)
        ));
        if i.is_multiple_of(50) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while llen(&mut pusher, "q") > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Relaxed);
    let mut received = Vec::new();
    for c in clients {
        received.extend(c.join().unwrap());
    }
    let remaining = llen(&mut pusher, "q");
    let unique: HashSet<_> = received.iter().collect();
    assert_eq!(
        unique.len(),
        received.len(),
        "an element was delivered twice"
    );
    assert_eq!(received.len() + remaining, total, "elements were lost");
    wait_blocked(&mut pusher, 0);
}

#[test]
fn served_blocking_commands_replay_from_the_aof() {
    // Blocking pops and moves served later are propagated as the plain commands they amounted
    // to (LPOP/RPOP [count], LMOVE, RPOPLPUSH), so replaying the AOF rebuilds the same lists.
    let n = std::process::id();
    let dir = std::env::temp_dir().join(format!("pilgrim-lists-aof-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let state = {
        let s = Server::start_in(&dir, &["--appendonly", "yes", "--appendfsync", "always"]);
        let mut admin = s.raw();
        let mut w1 = block_clients(&s, &mut admin, &["BLPOP", "a", "0"], 1);
        let mut w2 = block_clients(
            &s,
            &mut admin,
            &["BLMOVE", "b", "c", "RIGHT", "LEFT", "0"],
            1,
        );
        let mut w3 = block_clients(&s, &mut admin, &["BRPOPLPUSH", "c", "d", "0"], 1);
        let mut w4 = block_clients(
            &s,
            &mut admin,
            &["BLMPOP", "0", "1", "e", "RIGHT", "COUNT", "2"],
            1,
        );
        assert_eq!(admin.s("RPUSH a 1 2 3"), ":3");
        assert_eq!(w1[0].read().to_string(), r#"["a", "1"]"#);
        assert_eq!(admin.s("RPUSH b x y"), ":2");
        assert_eq!(w2[0].read().to_string(), r#""y""#);
        assert_eq!(w3[0].read().to_string(), r#""y""#);
        assert_eq!(admin.s("RPUSH e p q r"), ":3");
        assert_eq!(w4[0].read().to_string(), r#"["e", ["r", "q"]]"#);
        assert_eq!(admin.s("LMPOP 2 z a LEFT COUNT 1"), r#"["a", ["2"]]"#);
        assert_eq!(admin.s("BRPOP a 0"), r#"["a", "3"]"#);
        let state: Vec<String> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|k| admin.q(&["LRANGE", k, "0", "-1"]))
            .collect();
        assert_eq!(state, ["[]", r#"["x"]"#, "[]", r#"["y"]"#, r#"["p"]"#]);
        // Stop without removing the directory (dropping a Server removes it).
        let mut s = s;
        s.kill9();
        std::mem::forget(s);
        state
    };
    let aof = std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
    let aof = String::from_utf8_lossy(&aof).to_ascii_uppercase();
    for absent in ["BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP", "LMPOP"] {
        assert!(!aof.contains(&format!("{absent}\r\n")), "{absent} in {aof}");
    }
    for present in ["LPOP", "RPOP", "LMOVE", "RPOPLPUSH"] {
        assert!(
            aof.contains(&format!("{present}\r\n")),
            "{present} not in {aof}"
        );
    }
    let s = Server::start_in(&dir, &["--appendonly", "yes"]);
    let mut r = s.raw();
    let replayed: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|k| r.q(&["LRANGE", k, "0", "-1"]))
        .collect();
    assert_eq!(replayed, state);
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}
