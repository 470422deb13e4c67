//! HyperLogLog commands: PFADD, PFCOUNT (single key with its cached cardinality, and unions),
//! PFMERGE, PFDEBUG (GETREG, DECODE, ENCODING, TODENSE) with byte-exact values, errors in
//! Redis's order (WRONGTYPE for other types, the HyperLogLog WRONGTYPE for other strings,
//! INVALIDOBJ for corrupt values), keyspace events and RESP3.
//!
//! The table is `tests/difftest/hll.txt` with Redis 7's replies.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

const CASES: &[(&str, &str)] = &[
    ("PFADD h a b c", ":1"),
    ("PFADD h a", ":0"),
    ("PFADD h", ":0"),
    ("PFADD e", ":1"),
    ("EXISTS e", ":1"),
    ("PFCOUNT e", ":0"),
    ("PFCOUNT h", ":3"),
    (
        "GET h",
        "\"HYLL\\x01\\x00\\x00\\x00\\x03\\x00\\x00\\x00\\x00\\x00\\x00\\x00`\\xf3\\x80P\\xb1\\x84K\\xfb\\x80BZ\"",
    ),
    ("PFCOUNT h", ":3"),
    ("OBJECT ENCODING h", "\"raw\""),
    ("PFADD h2 c d e f", ":1"),
    ("PFCOUNT h h2", ":6"),
    ("PFCOUNT h nokey h2", ":6"),
    ("PFCOUNT nokey", ":0"),
    ("PFCOUNT nokey nokey2", ":0"),
    ("PFMERGE m h h2", "+OK"),
    ("PFCOUNT m", ":6"),
    (
        "GET m",
        "\"HYLL\\x01\\x00\\x00\\x00\\x06\\x00\\x00\\x00\\x00\\x00\\x00\\x00Fm\\x80V\\x0c\\x80Dv\\x80P\\xb1\\x84I\\x8c\\x80Bm\\x80BZ\"",
    ),
    ("PFMERGE m", "+OK"),
    ("PFMERGE new", "+OK"),
    (
        "GET new",
        "\"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xff\"",
    ),
    ("PFMERGE new2 nokey", "+OK"),
    ("EXISTS new2", ":1"),
    ("SET s foo", "+OK"),
    (
        "PFADD s a",
        "-WRONGTYPE Key is not a valid HyperLogLog string value.",
    ),
    (
        "PFCOUNT s",
        "-WRONGTYPE Key is not a valid HyperLogLog string value.",
    ),
    (
        "PFCOUNT h s",
        "-WRONGTYPE Key is not a valid HyperLogLog string value.",
    ),
    (
        "PFMERGE m s",
        "-WRONGTYPE Key is not a valid HyperLogLog string value.",
    ),
    (
        "PFMERGE s h",
        "-WRONGTYPE Key is not a valid HyperLogLog string value.",
    ),
    ("ZADD z 1 a", ":1"),
    (
        "PFADD z a",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "PFCOUNT z",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "PFCOUNT h z",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "PFMERGE m z",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "PFMERGE z h",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "PFCOUNT s z",
        "-WRONGTYPE Key is not a valid HyperLogLog string value.",
    ),
    ("PFDEBUG ENCODING h", "+sparse"),
    (
        "PFDEBUG DECODE h",
        "\"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\"",
    ),
    ("PFDEBUG TODENSE h2", ":1"),
    ("PFDEBUG TODENSE h2", ":0"),
    ("PFDEBUG ENCODING h2", "+dense"),
    ("PFDEBUG DECODE h2", "-ERR HLL encoding is not sparse"),
    ("PFCOUNT h2", ":4"),
    ("PFMERGE m2 h h2", "+OK"),
    ("PFDEBUG ENCODING m2", "+dense"),
    ("PFCOUNT m2", ":6"),
    ("PFDEBUG FOO h", "-ERR Unknown PFDEBUG subcommand 'FOO'"),
    (
        "PFDEBUG ENCODING nokey",
        "-ERR The specified key does not exist",
    ),
    (
        "PFDEBUG ENCODING s",
        "-WRONGTYPE Key is not a valid HyperLogLog string value.",
    ),
    (
        "PFDEBUG ENCODING z",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "PFADD",
        "-ERR wrong number of arguments for 'pfadd' command",
    ),
    (
        "PFCOUNT",
        "-ERR wrong number of arguments for 'pfcount' command",
    ),
    (
        "PFMERGE",
        "-ERR wrong number of arguments for 'pfmerge' command",
    ),
    (
        "SET bad \"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\"",
        "+OK",
    ),
    ("PFCOUNT bad", "-INVALIDOBJ Corrupted HLL object detected"),
    ("PFADD bad x y", "-INVALIDOBJ Corrupted HLL object detected"),
    (
        "SET bad2 \"HYLL\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\"",
        "+OK",
    ),
    (
        "PFCOUNT bad2",
        "-WRONGTYPE Key is not a valid HyperLogLog string value.",
    ),
    ("PFADD \"\\x00\\xff\" \"\\x00\" \"\\xff\"", ":1"),
    ("PFCOUNT \"\\x00\\xff\"", ":2"),
];

#[test]
fn hll_table_resp2() {
    let s = Server::start();
    let mut r = s.raw();
    check(&mut r, CASES);
}

#[test]
fn hll_table_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    assert!(r.s("HELLO 3").starts_with('{'));
    check(&mut r, CASES);
}

#[test]
fn hll_events_getreg_and_watch() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "KEA");
    assert_eq!(r.s("PFADD h a"), ":1");
    assert_eq!(next_event(&mut sub), "pfadd h");
    assert_eq!(r.s("PFMERGE m h"), "+OK");
    assert_eq!(next_event(&mut sub), "pfadd m");
    assert_eq!(r.s("PFADD h a"), ":0");
    assert_eq!(r.s("SET marker 1"), "+OK");
    assert_eq!(next_event(&mut sub), "set marker");

    // GETREG converts to dense and lists the 16384 registers.
    let regs = r.cmd(&["PFDEBUG", "GETREG", "h"]);
    assert_eq!(regs.items().len(), 16384);
    assert_eq!(regs.items().iter().filter(|f| f.as_int() != 0).count(), 1);
    assert_eq!(r.s("PFDEBUG ENCODING h"), "+dense");

    // A PFCOUNT that refreshes the cache is a change for WATCH; a cached one is not.
    assert_eq!(r.s("PFADD w x"), ":1");
    let mut t = s.raw();
    assert_eq!(t.s("WATCH w"), "+OK");
    assert_eq!(r.s("PFCOUNT w"), ":1");
    assert_eq!(t.s("MULTI"), "+OK");
    assert_eq!(t.s("PING"), "+QUEUED");
    assert_eq!(t.s("EXEC"), "(nil-array)");
    assert_eq!(t.s("WATCH w"), "+OK");
    assert_eq!(r.s("PFCOUNT w"), ":1");
    assert_eq!(t.s("MULTI"), "+OK");
    assert_eq!(t.s("PING"), "+QUEUED");
    assert_eq!(t.s("EXEC"), "[+PONG]");
}

#[test]
fn hll_cardinality_estimate() {
    let s = Server::start();
    let mut c = s.conn();
    for chunk in 0..10 {
        let elems: Vec<String> = (0..1000)
            .map(|i| format!("e{}", chunk * 1000 + i))
            .collect();
        let _: i64 = redis::cmd("PFADD")
            .arg("big")
            .arg(&elems)
            .query(&mut c)
            .unwrap();
    }
    let n: i64 = redis::cmd("PFCOUNT").arg("big").query(&mut c).unwrap();
    assert!((9_500..=10_500).contains(&n), "{n}");
    let enc: String = redis::cmd("PFDEBUG")
        .arg("ENCODING")
        .arg("big")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "dense");
}
