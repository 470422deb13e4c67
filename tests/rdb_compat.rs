//! Compatibility with Redis's RDB format: a dump.rdb written by Redis 7.0.15 (committed fixture)
//! loads with every value intact, and, when a `redis-server` binary is installed, files and
//! DUMP payloads travel both ways between Redis and Pilgrim.

mod common;
mod fixtures;

use common::{Raw, Server};
use fixtures::wait_until;
use pilgrim::persist::rdb;
use pilgrim::store::entry::Value;
use pilgrim::types::stream::StreamId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/redis-7.0-dump.rdb"
);

type Keys = BTreeMap<(usize, Vec<u8>), (Value, Option<i64>)>;

fn load_fixture() -> Keys {
    let buf = std::fs::read(FIXTURE).unwrap();
    let mut keys = BTreeMap::new();
    let aux = rdb::load_file(&buf, |k| {
        keys.insert((k.db, k.key), (k.value, k.expire));
        Ok(())
    })
    .unwrap();
    assert!(aux.iter().any(|(k, v)| k == b"redis-ver" && v == b"7.0.15"));
    keys
}

fn get<'a>(m: &'a Keys, db: usize, k: &str) -> &'a Value {
    &m.get(&(db, k.as_bytes().to_vec()))
        .unwrap_or_else(|| panic!("missing {k}"))
        .0
}

fn s(v: &Value) -> Vec<u8> {
    match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string().into_bytes(),
        _ => panic!("not a string"),
    }
}

#[test]
fn redis_written_fixture_decodes_completely() {
    let m = load_fixture();
    assert_eq!(m.len(), 20);
    assert_eq!(s(get(&m, 0, "str")), b"hello");
    assert_eq!(s(get(&m, 0, "int")), b"123456");
    assert_eq!(s(get(&m, 0, "neg")), b"-42");
    assert_eq!(s(get(&m, 0, "empty")), b"");
    assert_eq!(s(get(&m, 0, "bigint")), b"12345678901234");
    // LZF-compressed by Redis.
    assert_eq!(s(get(&m, 0, "comp")), "abc".repeat(200).as_bytes());
    assert_eq!(m[&(0, b"ttl".to_vec())].1, Some(4102444800000));
    assert_eq!(m[&(0, b"str".to_vec())].1, None);
    match get(&m, 0, "lsmall") {
        Value::List(l) => {
            let v: Vec<&[u8]> = l.iter().collect();
            assert_eq!(v, vec![&b"a"[..], b"b", b"c", b"1", b"2", b"-3"]);
        }
        _ => panic!(),
    }
    match get(&m, 0, "lbig") {
        Value::List(l) => {
            assert_eq!(l.len(), 600);
            for (i, e) in l.iter().enumerate() {
                assert_eq!(e, format!("item-{i}").as_bytes());
            }
        }
        _ => panic!(),
    }
    match get(&m, 0, "sint") {
        Value::Set(st) => {
            assert_eq!(st.len(), 5);
            for x in ["1", "2", "3", "-5", "100000"] {
                assert!(st.contains(x.as_bytes()), "{x}");
            }
        }
        _ => panic!(),
    }
    match get(&m, 0, "sstr") {
        Value::Set(st) => assert_eq!(st.len(), 3),
        _ => panic!(),
    }
    match get(&m, 0, "sbig") {
        Value::Set(st) => {
            assert_eq!(st.len(), 300);
            assert!(st.contains(b"m299"));
        }
        _ => panic!(),
    }
    match get(&m, 0, "zsmall") {
        Value::ZSet(z) => {
            let v: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
            assert_eq!(
                v,
                vec![
                    (b"c".to_vec(), -3.0),
                    (b"a".to_vec(), 1.0),
                    (b"b".to_vec(), 2.5),
                    (b"d".to_vec(), f64::INFINITY)
                ]
            );
        }
        _ => panic!(),
    }
    match get(&m, 0, "zbig") {
        Value::ZSet(z) => {
            assert_eq!(z.len(), 200);
            assert_eq!(z.score(b"zm199"), Some(199.0 * 1.5));
        }
        _ => panic!(),
    }
    match get(&m, 0, "hsmall") {
        Value::Hash(h) => {
            assert_eq!(h.len(), 2);
            assert_eq!(h.get(b"f"), Some(&b"v"[..]));
            assert_eq!(h.get(b"n"), Some(&b"10"[..]));
        }
        _ => panic!(),
    }
    match get(&m, 0, "hbig") {
        Value::Hash(h) => {
            assert_eq!(h.len(), 600);
            assert_eq!(h.get(b"f599"), Some(&b"v599"[..]));
        }
        _ => panic!(),
    }
    // HyperLogLog is a string in Redis's format.
    assert!(s(get(&m, 0, "hll")).starts_with(b"HYLL"));
    match get(&m, 0, "stream") {
        Value::Stream(st) => {
            assert_eq!(st.len(), 6);
            assert_eq!(st.last_generated_id(), StreamId { ms: 7, seq: 0 });
            assert_eq!(st.max_deleted_entry_id(), StreamId { ms: 3, seq: 0 });
            assert_eq!(st.entries_added(), 7);
            let ids: Vec<u64> = st
                .range(StreamId::MIN, StreamId::MAX, false)
                .map(|(id, _)| id.ms)
                .collect();
            assert_eq!(ids, vec![1, 2, 4, 5, 6, 7]);
            let (_, last) = st.last_entry().unwrap();
            assert_eq!(
                last.to_vec(),
                vec![
                    (b"other".to_vec(), b"x".to_vec()),
                    (b"y".to_vec(), b"z".to_vec())
                ]
            );
            let g1 = st.group(b"g1").unwrap();
            assert_eq!(g1.last_delivered_id(), StreamId { ms: 4, seq: 0 });
            assert_eq!(g1.pending_len(), 3);
            assert_eq!(g1.consumers_len(), 3);
            let alice = g1.consumer(b"alice").unwrap();
            assert_eq!(alice.pending_len(), 2);
            assert_eq!(g1.consumer(b"carol").unwrap().pending_len(), 0);
            let g2 = st.group(b"g2").unwrap();
            assert_eq!(g2.last_delivered_id(), StreamId { ms: 7, seq: 0 });
            assert_eq!(g2.pending_len(), 0);
        }
        _ => panic!(),
    }
    assert_eq!(s(get(&m, 5, "db5key")), b"inDb5");
    assert!(matches!(get(&m, 5, "db5list"), Value::List(_)));
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pilgrim-rdbcompat-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn wait_loaded(r: &mut Raw) {
    wait_until("loading", || !r.s("PING").starts_with("-LOADING"));
}

#[test]
fn server_loads_the_redis_fixture_at_startup() {
    let dir = tmpdir("startup");
    std::fs::copy(FIXTURE, dir.join("dump.rdb")).unwrap();
    let srv = Server::start_in(&dir, &[]);
    let mut r = srv.raw();
    wait_loaded(&mut r);
    assert_eq!(r.s("DBSIZE"), ":18");
    assert_eq!(r.s("GET str"), "\"hello\"");
    assert_eq!(r.s("GET int"), "\"123456\"");
    assert_eq!(r.s("TYPE lbig"), "+list");
    assert_eq!(r.s("TYPE hbig"), "+hash");
    assert_eq!(r.s("TYPE sint"), "+set");
    assert_eq!(r.s("OBJECT ENCODING sint"), "\"intset\"");
    assert_eq!(r.s("OBJECT ENCODING zbig"), "\"skiplist\"");
    assert_eq!(r.s("OBJECT ENCODING zsmall"), "\"listpack\"");
    assert_eq!(r.s("PEXPIRETIME ttl"), ":4102444800000");
    assert_eq!(
        r.s("ZRANGE zsmall 0 -1 WITHSCORES"),
        "[\"c\", \"-3\", \"a\", \"1\", \"b\", \"2.5\", \"d\", \"inf\"]"
    );
    assert_eq!(r.s("ZSCORE zbig zm10"), "\"15\"");
    assert_eq!(r.s("XLEN stream"), ":6");
    assert_eq!(
        r.s("XRANGE stream 7 7"),
        "[[\"7-0\", [\"other\", \"x\", \"y\", \"z\"]]]"
    );
    let p = r.s("XPENDING stream g1");
    assert!(
        p.starts_with("[:3, \"1-0\", \"4-0\", [[\"alice\", \"2\"], [\"bob\", \"1\"]]]"),
        "{p}"
    );
    assert_eq!(r.s("SELECT 5"), "+OK");
    assert_eq!(r.s("GET db5key"), "\"inDb5\"");
    assert_eq!(r.s("DBSIZE"), ":2");
}

// ---------------------------------------------------------------------------------------------
// Against a real redis-server (skipped when none is installed)
// ---------------------------------------------------------------------------------------------

struct Redis {
    pid: u32,
    port: u16,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
    }
}

fn redis_server() -> Option<PathBuf> {
    for p in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"] {
        if Path::new(p).exists() {
            return Some(p.into());
        }
    }
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_redis(dir: &Path) -> Option<Redis> {
    let bin = redis_server()?;
    let port = free_port();
    let child = Command::new(bin)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            dir.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let redis = Redis {
        pid: child.id(),
        port,
    };
    std::mem::forget(child);
    wait_until("redis-server to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let mut r = Raw::connect(port);
    wait_loaded(&mut r);
    Some(redis)
}

/// Reads every value of Redis's keyspace in a comparable text form, with Redis's commands.
fn snapshot_in_redis(r: &mut Raw) -> Vec<String> {
    let mut out = Vec::new();
    let mut keys: Vec<String> = r
        .cmd(&["KEYS", "*"])
        .items()
        .iter()
        .map(|f| String::from_utf8(f.as_bytes().to_vec()).unwrap())
        .collect();
    keys.sort();
    for k in keys {
        let t = r.q(&["TYPE", &k]);
        let v = match t.as_str() {
            "+string" => r.q(&["GET", &k]),
            "+list" => r.q(&["LRANGE", &k, "0", "-1"]),
            "+set" => {
                let mut m: Vec<String> = r
                    .cmd(&["SMEMBERS", &k])
                    .items()
                    .iter()
                    .map(|f| f.to_string())
                    .collect();
                m.sort();
                m.join(",")
            }
            "+zset" => r.q(&["ZRANGE", &k, "0", "-1", "WITHSCORES"]),
            "+hash" => {
                let mut m: Vec<String> = r
                    .cmd(&["HGETALL", &k])
                    .items()
                    .chunks(2)
                    .map(|p| format!("{}={}", p[0], p[1]))
                    .collect();
                m.sort();
                m.join(",")
            }
            "+stream" => format!(
                "{} {} {}",
                r.q(&["XRANGE", &k, "-", "+"]),
                r.q(&["XINFO", "GROUPS", &k]),
                r.q(&["XPENDING", &k, "g1"])
            ),
            _ => panic!("type {t}"),
        };
        let ttl = r.q(&["PEXPIRETIME", &k]);
        out.push(format!("{k} {t} {ttl} {v}"));
    }
    out
}

#[test]
fn files_and_payloads_travel_between_redis_and_pilgrim() {
    let rdir = tmpdir("redis");
    std::fs::copy(FIXTURE, rdir.join("dump.rdb")).unwrap();
    let Some(redis) = start_redis(&rdir) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let mut rr = Raw::connect(redis.port);
    let original = snapshot_in_redis(&mut rr);
    assert_eq!(original.len(), 18);

    // 1. Every Redis DUMP payload restores in Pilgrim; Pilgrim's DUMP of it restores in Redis
    //    to the same value.
    let pdir = tmpdir("pilgrim");
    let p = Server::start_in(&pdir, &[]);
    let mut pr = p.raw();
    let keys: Vec<String> = rr
        .cmd(&["KEYS", "*"])
        .items()
        .iter()
        .map(|f| String::from_utf8(f.as_bytes().to_vec()).unwrap())
        .collect();
    for k in &keys {
        let payload = rr.cmd(&["DUMP", k]).as_bytes().to_vec();
        let pttl = rr.q(&["PEXPIRETIME", k]);
        let ttl = pttl
            .trim_start_matches(':')
            .parse::<i64>()
            .unwrap()
            .max(0)
            .to_string();
        assert_eq!(
            pr.q(&[
                b"RESTORE".as_slice(),
                k.as_bytes(),
                ttl.as_bytes(),
                &payload,
                b"ABSTTL"
            ]),
            "+OK",
            "{k}"
        );
        let back = pr.cmd(&["DUMP", k]).as_bytes().to_vec();
        assert_eq!(
            rr.q(&[
                b"RESTORE".as_slice(),
                k.as_bytes(),
                ttl.as_bytes(),
                &back,
                b"ABSTTL",
                b"REPLACE"
            ]),
            "+OK",
            "{k}"
        );
    }
    same(&snapshot_in_redis(&mut rr), &original);

    // 2. Pilgrim's own dump.rdb (db 0 holds the same keys) loads in Redis with equal values.
    assert_eq!(pr.s("SAVE"), "+OK");
    drop(redis);
    let rdir2 = tmpdir("redis2");
    std::fs::copy(pdir.join("dump.rdb"), rdir2.join("dump.rdb")).unwrap();
    let redis2 = start_redis(&rdir2).unwrap();
    let mut rr2 = Raw::connect(redis2.port);
    same(&snapshot_in_redis(&mut rr2), &original);

    // 3. A Redis-written AOF directory (RDB base + incr) loads in Pilgrim.
    assert_eq!(rr2.s("CONFIG SET appendonly yes"), "+OK");
    wait_until("redis AOF rewrite", || {
        let info = rr2.q(&["INFO", "persistence"]);
        info.contains("aof_rewrite_in_progress:0")
            && info.contains("aof_rewrite_scheduled:0")
            && rdir2.join("appendonlydir").exists()
    });
    assert_eq!(rr2.s("SET written after-rewrite"), "+OK");
    assert_eq!(rr2.s("RPUSH lsmall tail"), ":7");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    drop(redis2);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let adir = tmpdir("aof");
    copy_dir(&rdir2.join("appendonlydir"), &adir.join("appendonlydir"));
    let p2 = Server::start_in(&adir, &["--appendonly", "yes"]);
    let mut pr2 = p2.raw();
    wait_loaded(&mut pr2);
    assert_eq!(pr2.s("GET written"), "\"after-rewrite\"");
    assert_eq!(pr2.s("DBSIZE"), ":19");
    let _ = std::fs::remove_dir_all(&rdir);
    let _ = std::fs::remove_dir_all(&rdir2);
    let _ = std::fs::remove_dir_all(&adir);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Compares two keyspace snapshots, reporting only the first differing key (shortened).
fn same(a: &[String], b: &[String]) {
    assert_eq!(a.len(), b.len(), "different key counts");
    for (x, y) in a.iter().zip(b) {
        if x != y {
            let cut = |s: &str| s.chars().take(400).collect::<String>();
            panic!("differs:\n  got:      {}\n  expected: {}", cut(x), cut(y));
        }
    }
}
