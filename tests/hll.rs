//! HyperLogLog commands: exact replies and error texts in Redis's order (tables replayed from
//! tests/difftest/hll.txt, whose replies are Redis's), RESP3 shapes, the sparse/dense
//! representation (byte-identical to Redis: checksums and counts below were taken from Redis
//! for the same inputs), sparse -> dense promotion with `hll-sparse-max-bytes`, PFDEBUG,
//! PFSELFTEST, keyspace events, binary-safe elements and a randomized check of the estimates
//! against an exact model.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

use std::collections::HashSet;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// Section `pfadd_pfcount` of tests/difftest/hll.txt.
const PFADD_PFCOUNT: &[(&str, &str)] = &[
    (r#"PFADD h a b c"#, r#":1"#),
    (r#"PFADD h a"#, r#":0"#),
    (r#"PFADD h d"#, r#":1"#),
    (r#"PFCOUNT h"#, r#":4"#),
    (r#"PFADD h"#, r#":0"#),
    (r#"PFADD new"#, r#":1"#),
    (r#"EXISTS new"#, r#":1"#),
    (r#"PFCOUNT new"#, r#":0"#),
    (r#"PFCOUNT nokey"#, r#":0"#),
    (
        r#"GET new"#,
        r#""HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff""#,
    ),
    (r#"PFADD h2 c d e f"#, r#":1"#),
    (r#"PFCOUNT h h2"#, r#":6"#),
    (r#"PFCOUNT h nokey h2"#, r#":6"#),
    (r#"PFCOUNT nokey nokey2"#, r#":0"#),
    (r#"PFADD bin "\x00\xff" "" "a b""#, r#":1"#),
    (r#"PFCOUNT bin"#, r#":3"#),
    (r#"PFDEBUG ENCODING h"#, r#"+sparse"#),
    (
        r#"PFDEBUG DECODE h"#,
        r#""Z:7292 v:1,1 Z:1143 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603""#,
    ),
    (
        r#"PFDEBUG decode h2"#,
        r#""Z:1646 v:1,1 Z:5645 v:1,1 Z:1143 v:1,1 Z:6720 v:1,1 Z:1226""#,
    ),
    (
        r#"GET h"#,
        r#""HYLL\x01\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\\{\x80Dv\x80P\xb1\x84K\xfb\x80BZ""#,
    ),
    (
        r#"PFADD big 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50"#,
        r#":1"#,
    ),
    (r#"PFCOUNT big"#, r#":50"#),
    (r#"PFCOUNT big h h2 bin"#, r#":59"#),
];

/// Section `pfmerge` of tests/difftest/hll.txt.
const PFMERGE: &[(&str, &str)] = &[
    (r#"PFADD a 1 2 3"#, r#":1"#),
    (r#"PFADD b 3 4 5 6"#, r#":1"#),
    (r#"PFMERGE m a b"#, r#"+OK"#),
    (r#"PFCOUNT m"#, r#":6"#),
    (r#"PFDEBUG ENCODING m"#, r#"+sparse"#),
    (r#"PFMERGE m"#, r#"+OK"#),
    (r#"PFCOUNT m"#, r#":6"#),
    (r#"PFMERGE m2"#, r#"+OK"#),
    (r#"EXISTS m2"#, r#":1"#),
    (r#"PFCOUNT m2"#, r#":0"#),
    (
        r#"GET m2"#,
        r#""HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff""#,
    ),
    (r#"PFMERGE m3 nokey"#, r#"+OK"#),
    (r#"PFCOUNT m3"#, r#":0"#),
    (r#"PFMERGE a a b"#, r#"+OK"#),
    (r#"PFCOUNT a"#, r#":6"#),
    (r#"PFDEBUG TODENSE b"#, r#":1"#),
    (r#"PFDEBUG TODENSE b"#, r#":0"#),
    (r#"PFDEBUG ENCODING b"#, r#"+dense"#),
    (r#"PFMERGE m4 a b"#, r#"+OK"#),
    (r#"PFDEBUG ENCODING m4"#, r#"+dense"#),
    (r#"PFCOUNT m4"#, r#":6"#),
    (r#"PFMERGE m5 a"#, r#"+OK"#),
    (r#"PFDEBUG ENCODING m5"#, r#"+sparse"#),
    (r#"PFCOUNT a b m m2 m3 m4 m5"#, r#":6"#),
    (r#"PFDEBUG DECODE b"#, r#"-ERR HLL encoding is not sparse"#),
];

/// Section `errors` of tests/difftest/hll.txt.
const ERRORS: &[(&str, &str)] = &[
    (r#"SET str hello"#, r#"+OK"#),
    (r#"SET num 123"#, r#"+OK"#),
    (r#"SADD set x"#, r#":1"#),
    (
        r#"PFADD str a"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (
        r#"PFADD num a"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (
        r#"PFADD set a"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFCOUNT str"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (
        r#"PFCOUNT num"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (
        r#"PFCOUNT set"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFCOUNT nokey str"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (
        r#"PFCOUNT nokey set"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFMERGE str"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (
        r#"PFMERGE set"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFMERGE d str"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (
        r#"PFMERGE d set"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFMERGE d nokey set"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (r#"EXISTS d"#, r#":0"#),
    (
        r#"SET bad "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x40\x00""#,
        r#"+OK"#,
    ),
    (
        r#"PFCOUNT bad"#,
        r#"-INVALIDOBJ Corrupted HLL object detected"#,
    ),
    (
        r#"PFADD bad a"#,
        r#"-INVALIDOBJ Corrupted HLL object detected"#,
    ),
    (
        r#"PFCOUNT bad nokey"#,
        r#"-INVALIDOBJ Corrupted HLL object detected"#,
    ),
    (
        r#"PFMERGE d bad"#,
        r#"-INVALIDOBJ Corrupted HLL object detected"#,
    ),
    (r#"EXISTS d"#, r#":0"#),
    (r#"PFDEBUG ENCODING bad"#, r#"+sparse"#),
    (r#"PFDEBUG DECODE bad"#, r#""Z:1""#),
    (
        r#"PFDEBUG TODENSE bad"#,
        r#"-INVALIDOBJ Corrupted HLL object detected"#,
    ),
    (
        r#"PFDEBUG GETREG bad"#,
        r#"-INVALIDOBJ Corrupted HLL object detected"#,
    ),
    (
        r#"SET baddense "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00""#,
        r#"+OK"#,
    ),
    (
        r#"PFCOUNT baddense"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (
        r#"SET badenc "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff""#,
        r#"+OK"#,
    ),
    (
        r#"PFCOUNT badenc"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (r#"PFADD h a"#, r#":1"#),
    (
        r#"PFCOUNT h set"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFCOUNT bad set"#,
        r#"-INVALIDOBJ Corrupted HLL object detected"#,
    ),
    (
        r#"PFCOUNT set bad"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFMERGE h bad set"#,
        r#"-INVALIDOBJ Corrupted HLL object detected"#,
    ),
    (
        r#"PFMERGE h set bad"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFDEBUG ENCODING nokey"#,
        r#"-ERR The specified key does not exist"#,
    ),
    (
        r#"PFDEBUG FOO nokey"#,
        r#"-ERR The specified key does not exist"#,
    ),
    (
        r#"PFDEBUG FOO h"#,
        r#"-ERR Unknown PFDEBUG subcommand 'FOO'"#,
    ),
    (
        r#"PFDEBUG ENCODING str"#,
        r#"-WRONGTYPE Key is not a valid HyperLogLog string value."#,
    ),
    (
        r#"PFDEBUG ENCODING set"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFDEBUG FOO set"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"PFDEBUG"#,
        r#"-ERR wrong number of arguments for 'pfdebug' command"#,
    ),
    (
        r#"PFDEBUG ENCODING"#,
        r#"-ERR wrong number of arguments for 'pfdebug' command"#,
    ),
    (
        r#"PFDEBUG ENCODING h extra"#,
        r#"-ERR wrong number of arguments for 'pfdebug' command"#,
    ),
    (
        r#"PFADD"#,
        r#"-ERR wrong number of arguments for 'pfadd' command"#,
    ),
    (
        r#"PFCOUNT"#,
        r#"-ERR wrong number of arguments for 'pfcount' command"#,
    ),
    (
        r#"PFMERGE"#,
        r#"-ERR wrong number of arguments for 'pfmerge' command"#,
    ),
    (
        r#"PFSELFTEST extra"#,
        r#"-ERR wrong number of arguments for 'pfselftest' command"#,
    ),
];

#[test]
fn table_pfadd_pfcount() {
    let s = Server::start();
    check(&mut s.raw(), PFADD_PFCOUNT);
}

#[test]
fn table_pfmerge() {
    let s = Server::start();
    check(&mut s.raw(), PFMERGE);
}

#[test]
fn table_errors() {
    let s = Server::start();
    check(&mut s.raw(), ERRORS);
}

/// FNV-1a 64 of a value (the expected checksums were computed from Redis's GET replies).
fn fnv(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h ^= c as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn pfadd_range(r: &mut Raw, key: &str, from: usize, to: usize, fmt: impl Fn(usize) -> String) {
    let mut pending = 0;
    let mut i = from;
    while i < to {
        let end = (i + 1000).min(to);
        let mut args = vec!["PFADD".to_string(), key.to_string()];
        args.extend((i..end).map(&fmt));
        r.send_cmd(&args);
        pending += 1;
        i = end;
    }
    for _ in 0..pending {
        let f = r.read();
        assert!(matches!(f, Frame::Int(0 | 1)), "{f}");
    }
}

/// One million elements, checked at every power of ten against what Redis 7 replied for the
/// same PFADDs: the count, the encoding, the value's length and a checksum of its bytes.
#[test]
fn million_elements_match_redis_byte_for_byte() {
    let s = Server::start();
    let mut r = s.raw();
    let expected: &[(usize, i64, &str, usize, u64)] = &[
        (1, 1, "sparse", 21, 0x9b1e762c886f576a),
        (10, 10, "sparse", 48, 0x022be2a3d356c412),
        (100, 100, "sparse", 279, 0x5999824f1bc45151),
        (1000, 995, "sparse", 1880, 0x9a99632d030aa846),
        (10000, 10077, "dense", 12304, 0xc8ba52d84f6d71d6),
        (100000, 100342, "dense", 12304, 0x0abec102fe1c0251),
        (1000000, 1004277, "dense", 12304, 0x361c2bc68eef5ea6),
    ];
    let mut n = 0;
    for &(checkpoint, count, encoding, len, sum) in expected {
        pfadd_range(&mut r, "h", n, checkpoint, |i| format!("e:{i}"));
        n = checkpoint;
        assert_eq!(r.s("PFCOUNT h"), format!(":{count}"), "after {n}");
        assert_eq!(r.s("PFDEBUG ENCODING h"), format!("+{encoding}"));
        let v = r.cmd(&["GET", "h"]);
        assert_eq!(v.as_bytes().len(), len, "after {n}");
        assert_eq!(fnv(v.as_bytes()), sum, "value bytes after {n}");
    }
    // Integers as elements, a multi-key count and a merge (also Redis's numbers).
    pfadd_range(&mut r, "g", 0, 5000, |i| i.to_string());
    assert_eq!(r.s("PFCOUNT g"), ":4985");
    assert_eq!(r.s("PFCOUNT g h"), ":1009965");
    assert_eq!(r.s("PFMERGE m g h"), "+OK");
    // Before PFCOUNT caches the estimate in it.
    assert_eq!(fnv(r.cmd(&["GET", "m"]).as_bytes()), 0x412ffdb58cd9a1c7);
    assert_eq!(r.s("PFCOUNT m"), ":1009965");
}

#[test]
fn values_copy_through_get_and_set() {
    let s = Server::start();
    let mut r = s.raw();
    pfadd_range(&mut r, "h", 0, 300, |i| format!("x{i}"));
    let v = r.cmd(&["GET", "h"]).as_bytes().to_vec();
    assert_eq!(&v[..4], b"HYLL");
    assert_eq!(r.q(&[b"SET".as_slice(), b"copy", &v]), "+OK");
    assert_eq!(r.s("PFCOUNT copy"), r.s("PFCOUNT h"));
    assert_eq!(r.s("PFADD copy x1 x2 x3"), ":0");
    assert_eq!(r.s("PFADD copy brand-new"), ":1");
    // The cached cardinality is part of the value: a stale cache is refreshed by PFCOUNT,
    // which changes the bytes (and counts as a write).
    let before = r.cmd(&["GET", "copy"]).as_bytes().to_vec();
    assert_eq!(before[15] & 0x80, 0x80, "cache marked stale by PFADD");
    let card = r.cmd(&["PFCOUNT", "copy"]).as_int();
    let after = r.cmd(&["GET", "copy"]).as_bytes().to_vec();
    assert_eq!(after[15] & 0x80, 0);
    assert_eq!(
        u64::from_le_bytes(after[8..16].try_into().unwrap()),
        card as u64
    );
    assert_eq!(r.s("OBJECT ENCODING copy"), "\"raw\"");
}

#[test]
fn sparse_to_dense_promotion_follows_config() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.s("CONFIG GET hll-sparse-max-bytes"),
        "[\"hll-sparse-max-bytes\", \"3000\"]"
    );
    assert_eq!(r.s("CONFIG SET hll-sparse-max-bytes 100"), "+OK");
    pfadd_range(&mut r, "h", 0, 10, |i| format!("e:{i}"));
    assert_eq!(r.s("PFDEBUG ENCODING h"), "+sparse");
    pfadd_range(&mut r, "h", 10, 100, |i| format!("e:{i}"));
    assert_eq!(r.s("PFDEBUG ENCODING h"), "+dense");
    assert_eq!(r.s("STRLEN h"), ":12304");
    assert_eq!(r.s("PFCOUNT h"), ":100");
    assert_eq!(r.s("CONFIG SET hll-sparse-max-bytes 3000"), "+OK");
    // TODENSE / GETREG convert a sparse value; the registers are the same either way.
    pfadd_range(&mut r, "s", 0, 100, |i| format!("e:{i}"));
    assert_eq!(r.s("PFDEBUG ENCODING s"), "+sparse");
    let sparse_regs = r.cmd(&["PFDEBUG", "GETREG", "s"]);
    assert_eq!(r.s("PFDEBUG ENCODING s"), "+dense");
    assert_eq!(sparse_regs.items().len(), 16384);
    assert_eq!(sparse_regs, r.cmd(&["PFDEBUG", "GETREG", "h"]));
    let nonzero = sparse_regs
        .items()
        .iter()
        .filter(|f| f.as_int() != 0)
        .count();
    assert!((90..=100).contains(&nonzero), "{nonzero} registers set");
    assert_eq!(r.s("PFDEBUG TODENSE s"), ":0");
    assert_eq!(r.s("PFDEBUG DECODE s"), "-ERR HLL encoding is not sparse");
    // A merge into a sparse destination from a dense source makes the destination dense.
    assert_eq!(r.s("PFADD small a"), ":1");
    assert_eq!(r.s("PFMERGE small s"), "+OK");
    assert_eq!(r.s("PFDEBUG ENCODING small"), "+dense");
    assert_eq!(r.s("PFCOUNT small"), ":101");
}

#[test]
fn resp3_shapes() {
    let s = Server::start();
    let mut r = s.raw();
    assert!(matches!(r.cmd(&["HELLO", "3"]), Frame::Map(_)));
    assert_eq!(r.s("PFADD h a b c"), ":1");
    assert_eq!(r.s("PFCOUNT h"), ":3");
    assert_eq!(r.s("PFCOUNT h nokey"), ":3");
    assert_eq!(r.s("PFMERGE d h"), "+OK");
    assert_eq!(r.s("PFDEBUG ENCODING d"), "+sparse");
    assert_eq!(
        r.s("PFDEBUG DECODE h"),
        "\"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\""
    );
    let regs = r.cmd(&["PFDEBUG", "GETREG", "h"]);
    assert!(matches!(&regs, Frame::Array(v) if v.len() == 16384));
    assert_eq!(r.s("PFDEBUG TODENSE d"), ":1");
    assert_eq!(r.s("PFCOUNT nokey"), ":0");
}

#[test]
fn binary_safe_elements_and_keys() {
    let s = Server::start();
    let mut r = s.raw();
    let key: &[u8] = b"k\x00\xff";
    assert_eq!(
        r.q(&[b"PFADD".as_slice(), key, b"\x00", b"\x00\x00", b""]),
        ":1"
    );
    assert_eq!(r.q(&[b"PFADD".as_slice(), key, b"\x00"]), ":0");
    assert_eq!(r.q(&[b"PFCOUNT".as_slice(), key]), ":3");
    assert_eq!(r.q(&[b"PFADD".as_slice(), key, b"\r\n"]), ":1");
    assert_eq!(r.q(&[b"PFCOUNT".as_slice(), key]), ":4");
}

#[test]
fn keyspace_events() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "KEA");
    assert_eq!(r.s("PFADD h a"), ":1");
    assert_eq!(next_event(&mut sub), "pfadd h");
    // No change, no event.
    assert_eq!(r.s("PFADD h a"), ":0");
    assert_eq!(r.s("PFMERGE m h"), "+OK");
    assert_eq!(next_event(&mut sub), "pfadd m");
    assert_eq!(r.s("PFCOUNT m"), ":1");
    assert_eq!(r.s("DEL h"), ":1");
    assert_eq!(next_event(&mut sub), "del h");
}

#[test]
fn watch_sees_pfadd_and_cache_refresh() {
    let s = Server::start();
    let mut r = s.raw();
    let mut other = s.raw();
    assert_eq!(r.s("PFADD h a"), ":1");
    assert_eq!(r.s("WATCH h"), "+OK");
    assert_eq!(other.s("PFCOUNT h"), ":1");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("PING"), "+QUEUED");
    assert_eq!(r.s("EXEC"), "(nil-array)");
    // A PFCOUNT served from a valid cache changes nothing.
    assert_eq!(r.s("WATCH h"), "+OK");
    assert_eq!(other.s("PFCOUNT h"), ":1");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("PING"), "+QUEUED");
    assert_eq!(r.s("EXEC"), "[+PONG]");
    assert_eq!(r.s("WATCH h"), "+OK");
    assert_eq!(other.s("PFADD h b"), ":1");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("PING"), "+QUEUED");
    assert_eq!(r.s("EXEC"), "(nil-array)");
}

#[test]
fn selftest_passes() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("PFSELFTEST"), "+OK");
}

/// Random elements from a small universe: the estimates stay within the HyperLogLog error
/// (1.04/sqrt(16384) = 0.81% standard error; the bound allows 5 standard errors, and small
/// cardinalities are exact in Redis's estimator up to a few), PFCOUNT of several keys equals
/// the PFCOUNT of their PFMERGE, and PFADD reports 0 for elements already seen.
#[test]
fn estimates_against_exact_model() {
    let s = Server::start();
    let mut r = s.raw();
    let mut rng = SmallRng::seed_from_u64(7);
    let keys = ["a", "b", "c"];
    let mut models: Vec<HashSet<u32>> = vec![HashSet::new(); keys.len()];
    for round in 0..60 {
        let k = rng.random_range(0..keys.len());
        let n = rng.random_range(1..400);
        let mut args = vec!["PFADD".to_string(), keys[k].to_string()];
        let mut fresh = false;
        for _ in 0..n {
            let e: u32 = rng.random_range(0..50_000);
            fresh |= models[k].insert(e);
            args.push(format!("el-{e}"));
        }
        let changed = r.cmd(&args).as_int();
        if !fresh {
            assert_eq!(
                changed, 0,
                "round {round}: nothing new, no register can change"
            );
        }
        for (i, key) in keys.iter().enumerate() {
            let exact = models[i].len() as f64;
            let est = r.cmd(&["PFCOUNT", key]).as_int() as f64;
            let bound = (exact * 0.0081 * 5.0).max(3.0);
            assert!(
                (est - exact).abs() <= bound,
                "round {round} {key}: {est} vs {exact}"
            );
        }
        let union: HashSet<u32> = models.iter().flatten().copied().collect();
        let est = r.cmd(&["PFCOUNT", "a", "b", "c"]).as_int();
        let bound = (union.len() as f64 * 0.0081 * 5.0).max(3.0);
        assert!((est as f64 - union.len() as f64).abs() <= bound);
        assert_eq!(r.s("PFMERGE u a b c"), "+OK");
        assert_eq!(r.cmd(&["PFCOUNT", "u"]).as_int(), est, "round {round}");
        assert_eq!(r.s("DEL u"), ":1");
    }
}

/// `keymiss` for missing keys read by PFCOUNT (one key or several) and by PFMERGE (the
/// destination is read as a source first), `new` for created keys; the expected stream is
/// what Redis 7 published for the same commands.
#[test]
fn keymiss_and_new_events() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "EAmn");
    for (cmd, want) in [
        ("PFCOUNT nokey13", ":0"),
        ("PFCOUNT nokey14 nokey15", ":0"),
        ("PFADD h a", ":1"),
        ("PFMERGE m h nokey16", "+OK"),
        ("PFMERGE h nokey17", "+OK"),
        (
            "PFDEBUG ENCODING nokey18",
            "-ERR The specified key does not exist",
        ),
    ] {
        assert_eq!(r.s(cmd), want, "{cmd}");
    }
    for want in [
        "keymiss nokey13",
        "keymiss nokey14",
        "keymiss nokey15",
        "new h",
        "pfadd h",
        "keymiss m",
        "keymiss nokey16",
        "new m",
        "pfadd m",
        "keymiss nokey17",
        "pfadd h",
    ] {
        assert_eq!(next_event(&mut sub), want);
    }
    assert_eq!(r.s("PUBLISH __keyevent@0__:marker x"), ":1");
    assert_eq!(next_event(&mut sub), "marker x");
}

/// The AOF replays HyperLogLog writes to the same bytes: PFADD, PFMERGE, PFDEBUG TODENSE,
/// and PFCOUNT when it refreshed the cached estimate (Redis propagates that too).
#[test]
fn aof_replay_gives_identical_values() {
    let dir = std::env::temp_dir().join(format!("pilgrim-hll-aof-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let extra = ["--appendonly", "yes"];
    let mut s = Server::start_in(&dir, &extra);
    let mut r = s.raw();
    wait_until("loaded", || r.s("PING") == "+PONG");
    pfadd_range(&mut r, "a", 0, 2000, |i| format!("a{i}"));
    pfadd_range(&mut r, "b", 0, 50, |i| format!("b{i}"));
    let card = r.cmd(&["PFCOUNT", "a"]).as_int();
    assert!((1950..=2050).contains(&card), "{card}");
    assert_eq!(r.s("PFMERGE m a b"), "+OK");
    assert_eq!(r.s("PFDEBUG TODENSE b"), ":1");
    let keys = ["a", "b", "m"];
    let before: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| r.cmd(&["GET", k]).as_bytes().to_vec())
        .collect();
    s.kill9();
    std::mem::forget(s);
    let s = Server::start_in(&dir, &extra);
    let mut r = s.raw();
    wait_until("loaded", || r.s("PING") == "+PONG");
    for (k, v) in keys.iter().zip(&before) {
        assert_eq!(r.cmd(&["GET", k]).as_bytes(), &v[..], "{k}");
    }
    assert_eq!(r.s("PFDEBUG ENCODING b"), "+dense");
}
