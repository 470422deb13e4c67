//! maxmemory: every eviction policy, OOM refusal of denyoom commands, INFO memory figures,
//! MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE/HELP, OBJECT FREQ under LFU.
mod common;
use common::*;

fn used(r: &mut Raw) -> u64 {
    let info = r.s("INFO memory");
    let line = info
        .split("\\r\\n")
        .find(|l| l.starts_with("used_memory:"))
        .unwrap_or_else(|| panic!("{info}"))
        .to_string();
    line["used_memory:".len()..]
        .trim_matches('"')
        .parse()
        .unwrap()
}

fn info_u64(r: &mut Raw, section: &str, field: &str) -> u64 {
    let info = r.s(&format!("INFO {section}"));
    let pre = format!("{field}:");
    let line = info
        .split("\\r\\n")
        .find(|l| l.starts_with(&pre))
        .unwrap_or_else(|| panic!("{info}"))
        .to_string();
    line[pre.len()..].trim_matches('"').parse().unwrap()
}

fn dbsize(r: &mut Raw) -> i64 {
    r.s("DBSIZE")[1..].parse().unwrap()
}

/// Sets maxmemory to current usage plus `headroom` bytes.
fn limit(r: &mut Raw, headroom: u64) -> u64 {
    let max = used(r) + headroom;
    assert_eq!(
        r.q(&["CONFIG", "SET", "maxmemory", &max.to_string()]),
        "+OK"
    );
    max
}

const VAL: usize = 100_000;

#[test]
fn info_memory_tracks_usage() {
    let s = Server::start();
    let mut r = s.raw();
    let before = used(&mut r);
    let big = vec![b'x'; VAL];
    for i in 0..50 {
        assert_eq!(
            r.q(&[b"SET".as_slice(), format!("k{i}").as_bytes(), &big]),
            "+OK"
        );
    }
    let during = used(&mut r);
    assert!(during >= before + 50 * VAL as u64, "{before} -> {during}");
    assert_eq!(r.s("FLUSHALL"), "+OK");
    let after = used(&mut r);
    assert!(after < before + 1_000_000, "{before} -> {after}");
    let peak = info_u64(&mut r, "memory", "used_memory_peak");
    assert!(peak >= during, "{peak} {during}");
    assert!(info_u64(&mut r, "memory", "used_memory_rss") > 0);
    let info = r.s("INFO memory");
    assert!(info.contains("maxmemory:0\\r\\n"), "{info}");
    assert!(info.contains("maxmemory_policy:noeviction\\r\\n"), "{info}");
    assert!(info.contains("mem_fragmentation_ratio:"), "{info}");
}

#[test]
fn noeviction_refuses_denyoom_commands() {
    let s = Server::start();
    let mut r = s.raw();
    limit(&mut r, 2_000_000);
    let big = vec![b'x'; VAL];
    let mut refused = None;
    for i in 0..100 {
        let rep = r.q(&[b"SET".as_slice(), format!("k{i}").as_bytes(), &big]);
        if rep != "+OK" {
            refused = Some((i, rep));
            break;
        }
    }
    let (n, rep) = refused.expect("maxmemory never reached");
    assert_eq!(
        rep,
        "-OOM command not allowed when used memory > 'maxmemory'."
    );
    assert!(n > 5, "{n}");
    // Reads and deletes still work; nothing was evicted.
    assert_eq!(dbsize(&mut r), n as i64);
    assert_eq!(r.s("GET k0").len(), VAL + 2);
    assert_eq!(
        r.s("APPEND k0 x"),
        "-OOM command not allowed when used memory > 'maxmemory'."
    );
    assert_eq!(r.s("STRLEN k0"), format!(":{VAL}"));
    // EXEC with a queued denyoom command is refused as a whole.
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("GET k1").len(), "+QUEUED".len());
    assert!(r.s("EXEC").starts_with("[\""));
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(
        r.s("SET x y"),
        "-OOM command not allowed when used memory > 'maxmemory'."
    );
    assert_eq!(
        r.s("EXEC"),
        "-EXECABORT Transaction discarded because of previous errors."
    );
    assert_eq!(info_u64(&mut r, "stats", "evicted_keys"), 0);
    // Freeing the data makes room again (all of it: per-command latency histograms and
    // reply buffers also grew since the limit was reached).
    let keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
    let mut del = vec!["DEL"];
    del.extend(keys.iter().map(String::as_str));
    assert_eq!(r.q(&del), format!(":{n}"));
    assert_eq!(r.s("SET small v"), "+OK");
    assert_eq!(r.s("CONFIG SET maxmemory 0"), "+OK");
    assert_eq!(r.q(&[b"SET".as_slice(), b"again", &big]), "+OK");
}

fn fill(r: &mut Raw, n: usize, ttl: bool, prefix: &str) {
    let big = vec![b'x'; VAL];
    for i in 0..n {
        let key = format!("{prefix}{i}");
        let rep = if ttl {
            r.q(&[b"SET".as_slice(), key.as_bytes(), &big, b"EX", b"100000"])
        } else {
            r.q(&[b"SET".as_slice(), key.as_bytes(), &big])
        };
        assert_eq!(rep, "+OK", "at {key}");
    }
}

#[test]
fn allkeys_lru_keeps_hot_keys_and_stays_under_limit() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET maxmemory-policy allkeys-lru"), "+OK");
    assert_eq!(r.s("CONFIG SET maxmemory-samples 10"), "+OK");
    let max = limit(&mut r, 3_000_000);
    let big = vec![b'x'; VAL];
    assert_eq!(r.q(&[b"SET".as_slice(), b"hot", &big]), "+OK");
    // The LRU clock has a 1 s resolution, as in Redis: write in batches a second apart and
    // touch "hot" at the start of each, so every key evicted is older than its last access.
    for batch in 0..6 {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(r.s("GET hot").len(), VAL + 2, "batch {batch}");
        for i in 0..10 {
            let key = format!("k{}", batch * 10 + i);
            assert_eq!(r.q(&[b"SET".as_slice(), key.as_bytes(), &big]), "+OK");
        }
    }
    let n = dbsize(&mut r);
    assert!(n < 45, "{n} keys left");
    assert!(info_u64(&mut r, "stats", "evicted_keys") >= 15);
    assert!(
        used(&mut r) <= max + 2 * VAL as u64,
        "{} > {max}",
        used(&mut r)
    );
    assert_eq!(r.s("EXISTS hot"), ":1");
    // The oldest batch went first; the newest is intact.
    let old: i64 = r.s("EXISTS k0 k1 k2 k3 k4 k5 k6 k7 k8 k9")[1..]
        .parse()
        .unwrap();
    assert!(old <= 2, "{old} of the oldest batch left");
    assert_eq!(r.s("EXISTS k50 k51 k52 k53 k54 k55 k56 k57 k58 k59"), ":10");
}

#[test]
fn volatile_policies_only_evict_keys_with_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let s = Server::start();
        let mut r = s.raw();
        assert_eq!(r.q(&["CONFIG", "SET", "maxmemory-policy", policy]), "+OK");
        fill(&mut r, 10, false, "persistent");
        limit(&mut r, 2_000_000);
        fill(&mut r, 60, true, "volatile");
        for i in 0..10 {
            assert_eq!(r.s(&format!("EXISTS persistent{i}")), ":1", "{policy}");
        }
        assert!(info_u64(&mut r, "stats", "evicted_keys") > 0, "{policy}");
        // Without keys to evict, writes are refused.
        assert_eq!(r.s("FLUSHALL"), "+OK");
        limit(&mut r, 1_000_000);
        let big = vec![b'x'; VAL];
        let mut oom = false;
        for i in 0..40 {
            let rep = r.q(&[b"SET".as_slice(), format!("p{i}").as_bytes(), &big]);
            if rep.starts_with("-OOM") {
                oom = true;
                break;
            }
        }
        assert!(oom, "{policy}");
    }
}

#[test]
fn volatile_ttl_evicts_nearest_expiry_first() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET maxmemory-policy volatile-ttl"), "+OK");
    assert_eq!(r.s("CONFIG SET maxmemory-samples 20"), "+OK");
    let big = vec![b'x'; VAL];
    let max = limit(&mut r, 3_000_000);
    let _ = max;
    for i in 0..60 {
        // Later keys expire sooner.
        let ttl = (100_000 - i * 100).to_string();
        assert_eq!(
            r.q(&[
                b"SET".as_slice(),
                format!("k{i}").as_bytes(),
                &big,
                b"EX",
                ttl.as_bytes()
            ]),
            "+OK"
        );
    }
    assert!(info_u64(&mut r, "stats", "evicted_keys") > 0);
    // The first keys (longest TTL) survive.
    assert_eq!(r.s("EXISTS k0 k1 k2"), ":3");
}

#[test]
fn allkeys_random_and_lfu_evict() {
    for policy in ["allkeys-random", "allkeys-lfu"] {
        let s = Server::start();
        let mut r = s.raw();
        assert_eq!(r.q(&["CONFIG", "SET", "maxmemory-policy", policy]), "+OK");
        let max = limit(&mut r, 3_000_000);
        let big = vec![b'x'; VAL];
        assert_eq!(r.q(&[b"SET".as_slice(), b"hot", &big]), "+OK");
        for _ in 0..50 {
            assert_eq!(r.s("GET hot").len(), VAL + 2);
        }
        fill(&mut r, 100, false, "k");
        assert!(dbsize(&mut r) < 60, "{policy}");
        assert!(used(&mut r) <= max + 2 * VAL as u64, "{policy}");
        if policy == "allkeys-lfu" {
            assert_eq!(r.s("EXISTS hot"), ":1");
            let f: i64 = r.s("OBJECT FREQ hot")[1..].parse().unwrap();
            assert!(f > 5, "{f}");
        }
    }
}

#[test]
fn evicted_keyspace_event() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET notify-keyspace-events Ee"), "+OK");
    let mut sub = s.raw();
    assert_eq!(
        sub.s("SUBSCRIBE __keyevent@0__:evicted"),
        "[\"subscribe\", \"__keyevent@0__:evicted\", :1]"
    );
    assert_eq!(r.s("CONFIG SET maxmemory-policy allkeys-random"), "+OK");
    limit(&mut r, 1_000_000);
    fill(&mut r, 30, false, "k");
    let msg = sub.read().to_string();
    assert!(
        msg.starts_with("[\"message\", \"__keyevent@0__:evicted\", \"k"),
        "{msg}"
    );
}

#[test]
fn memory_command() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("SET foo bar"), "+OK");
    let n: i64 = r.s("MEMORY USAGE foo")[1..].parse().unwrap();
    assert!(n > 3 && n < 200, "{n}");
    let big = vec![b'x'; VAL];
    assert_eq!(r.q(&[b"SET".as_slice(), b"big", &big]), "+OK");
    let n: i64 = r.s("MEMORY USAGE big")[1..].parse().unwrap();
    assert!(n >= VAL as i64, "{n}");
    assert_eq!(r.s("MEMORY USAGE nokey"), "(nil)");
    assert!(r.s("MEMORY USAGE foo SAMPLES 0").starts_with(':'));
    assert_eq!(r.s("MEMORY USAGE foo SAMPLES"), "-ERR syntax error");
    assert_eq!(
        r.s("MEMORY USAGE foo SAMPLES x"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(r.s("MEMORY USAGE foo x 1"), "-ERR syntax error");
    assert_eq!(
        r.s("MEMORY USAGE"),
        "-ERR wrong number of arguments for 'memory|usage' command"
    );
    let stats = r.s("MEMORY STATS");
    assert!(stats.starts_with("[\"peak.allocated\", :"), "{stats}");
    assert!(stats.contains("\"keys.count\", :2"), "{stats}");
    assert!(
        stats.contains("\"db.0\", [\"overhead.hashtable.main\", :"),
        "{stats}"
    );
    let d = r.s("MEMORY DOCTOR");
    assert!(d.starts_with("\"Hi Sam"), "{d}");
    assert!(r.s("MEMORY MALLOC-STATS").starts_with('"'));
    assert_eq!(r.s("MEMORY PURGE"), "+OK");
    let help = r.s("MEMORY HELP");
    assert!(help.starts_with("[+MEMORY <subcommand>"), "{help}");
    assert_eq!(
        r.s("MEMORY NOPE"),
        "-ERR unknown subcommand 'NOPE'. Try MEMORY HELP."
    );
    let mut r3 = s.raw();
    assert!(r3.s("HELLO 3").starts_with('{'));
    let d = r3.s("MEMORY DOCTOR");
    assert!(d.contains("Hi Sam"), "{d}");
}

#[test]
fn object_freq_under_lfu() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("SET k v"), "+OK");
    assert!(
        r.s("OBJECT FREQ k")
            .starts_with("-ERR An LFU maxmemory policy is not selected")
    );
    assert_eq!(r.s("CONFIG SET maxmemory-policy allkeys-lfu"), "+OK");
    assert_eq!(r.s("SET k v"), "+OK");
    let f0: i64 = r.s("OBJECT FREQ k")[1..].parse().unwrap();
    for _ in 0..200 {
        r.s("GET k");
    }
    let f1: i64 = r.s("OBJECT FREQ k")[1..].parse().unwrap();
    assert!(f1 > f0, "{f0} {f1}");
}
