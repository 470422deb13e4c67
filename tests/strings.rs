//! String commands: GET SET (all options) SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX
//! APPEND STRLEN GETRANGE SUBSTR SETRANGE INCR DECR INCRBY DECRBY.
//!
//! The tables were produced by running the same commands against Redis (tests/difftest/strings.txt,
//! replayed with difftest against both servers), so every reply and error text is Redis's; the
//! few differences that are Redis 7.0 vs 7.2 changes carry the 7.2 reply. Replies that depend on
//! time or connection ids (`"*"` in the tables) are checked by hand below the tables.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

const GET_SET: &[(&str, &str)] = &[
    ("GET nokey", "(nil)"),
    ("SET k v", "+OK"),
    ("GET k", r#""v""#),
    (r#"SET k """#, "+OK"),
    ("GET k", r#""""#),
    (r#"SET k "a\x00b\r\n""#, "+OK"),
    ("GET k", r#""a\x00b\r\n""#),
    ("SET k v NX", "(nil)"),
    ("SET k2 v NX", "+OK"),
    ("SET k3 v XX", "(nil)"),
    ("SET k w XX", "+OK"),
    ("GET k", r#""w""#),
    ("SET k v NX XX", "-ERR syntax error"),
    ("SET k v XX NX", "-ERR syntax error"),
    ("SET k v NX NX", "(nil)"),
    ("SET k v GET", r#""w""#),
    ("SET k x GET NX", r#""v""#),
    ("SET k x GET XX", r#""v""#),
    ("SET newk x GET XX", "(nil)"),
    ("SET newk x NX GET", "(nil)"),
    ("GET newk", r#""x""#),
    ("SET k v EX 100 PX 100", "-ERR syntax error"),
    ("SET k v EX 100 KEEPTTL", "-ERR syntax error"),
    ("SET k v KEEPTTL EX 100", "-ERR syntax error"),
    ("SET k v EX", "-ERR syntax error"),
    ("SET k v EX 0", "-ERR invalid expire time in 'set' command"),
    ("SET k v EX -1", "-ERR invalid expire time in 'set' command"),
    ("SET k v PX 0", "-ERR invalid expire time in 'set' command"),
    (
        "SET k v EX a",
        "-ERR value is not an integer or out of range",
    ),
    (
        "SET k v EX 1.5",
        "-ERR value is not an integer or out of range",
    ),
    (
        "SET k v EX 9223372036854775807",
        "-ERR invalid expire time in 'set' command",
    ),
    (
        "SET k v EX 9223372036854776",
        "-ERR invalid expire time in 'set' command",
    ),
    (
        "SET k v PX 9223372036854775807",
        "-ERR invalid expire time in 'set' command",
    ),
    (
        "SET k v EXAT 0",
        "-ERR invalid expire time in 'set' command",
    ),
    (
        "SET k v PXAT 0",
        "-ERR invalid expire time in 'set' command",
    ),
    ("SET k v EXAT 4000000000", "+OK"),
    ("EXPIRETIME k", ":4000000000"),
    ("SET k v2 KEEPTTL", "+OK"),
    ("EXPIRETIME k", ":4000000000"),
    ("GET k", r#""v2""#),
    ("SET k v3", "+OK"),
    ("EXPIRETIME k", ":-1"),
    ("SET k v PXAT 4000000000123", "+OK"),
    ("PEXPIRETIME k", ":4000000000123"),
    ("SET k v EXAT 1", "+OK"),
    ("EXISTS k", ":0"),
    ("SET k v PXAT 1 GET", "(nil)"),
    ("SET k v FOO", "-ERR syntax error"),
    ("SET k v ex 100 nx", "+OK"),
    ("SET k v GET GET", r#""v""#),
    ("SET k v EX 100 EX 100", "+OK"),
    ("SET k", "-ERR wrong number of arguments for 'set' command"),
    ("SET", "-ERR wrong number of arguments for 'set' command"),
    ("SET k v KEEPTTL KEEPTTL", "+OK"),
];

#[test]
fn get_set() {
    let s = Server::start();
    check(&mut s.raw(), GET_SET);
}

const SETNX_SETEX: &[(&str, &str)] = &[
    ("SETNX a 1", ":1"),
    ("SETNX a 2", ":0"),
    ("GET a", r#""1""#),
    ("SETEX b 100 v", "+OK"),
    ("GET b", r#""v""#),
    ("SETEX b 0 v", "-ERR invalid expire time in 'setex' command"),
    (
        "SETEX b -5 v",
        "-ERR invalid expire time in 'setex' command",
    ),
    (
        "SETEX b a v",
        "-ERR value is not an integer or out of range",
    ),
    (
        "SETEX b 9223372036854775807 v",
        "-ERR invalid expire time in 'setex' command",
    ),
    ("PSETEX c 100000 v", "+OK"),
    ("GET c", r#""v""#),
    (
        "PSETEX c 0 v",
        "-ERR invalid expire time in 'psetex' command",
    ),
    (
        "PSETEX c -1 v",
        "-ERR invalid expire time in 'psetex' command",
    ),
    (
        "SETNX a",
        "-ERR wrong number of arguments for 'setnx' command",
    ),
    (
        "SETEX b 100",
        "-ERR wrong number of arguments for 'setex' command",
    ),
    (
        "PSETEX c 100",
        "-ERR wrong number of arguments for 'psetex' command",
    ),
];

#[test]
fn setnx_setex() {
    let s = Server::start();
    check(&mut s.raw(), SETNX_SETEX);
}

const GETSET_GETDEL_GETEX: &[(&str, &str)] = &[
    ("SET a 1", "+OK"),
    ("GETSET a 2", r#""1""#),
    ("GETSET nokey 2", "(nil)"),
    ("GET nokey", r#""2""#),
    ("GETDEL a", r#""2""#),
    ("GETDEL a", "(nil)"),
    ("EXISTS a", ":0"),
    ("SET t v EX 1000", "+OK"),
    ("GETSET t w", r#""v""#),
    ("TTL t", ":-1"),
    ("SET g v", "+OK"),
    ("GETEX g", r#""v""#),
    ("GETEX g EX 1000", r#""v""#),
    ("GETEX g PERSIST", r#""v""#),
    ("TTL g", ":-1"),
    ("GETEX g PXAT 4000000000123", r#""v""#),
    ("PEXPIRETIME g", ":4000000000123"),
    ("GETEX g EXAT 4000000000", r#""v""#),
    ("EXPIRETIME g", ":4000000000"),
    (
        "GETEX g EX 0",
        "-ERR invalid expire time in 'getex' command",
    ),
    (
        "GETEX g EX -1",
        "-ERR invalid expire time in 'getex' command",
    ),
    (
        "GETEX g PX a",
        "-ERR value is not an integer or out of range",
    ),
    ("GETEX g PERSIST EX 10", "-ERR syntax error"),
    ("GETEX g EX 10 PERSIST", "-ERR syntax error"),
    ("GETEX g EX 10 PX 10", "-ERR syntax error"),
    ("GETEX g FOO", "-ERR syntax error"),
    ("GETEX g EX", "-ERR syntax error"),
    ("GETEX g KEEPTTL", "-ERR syntax error"),
    ("GETEX g NX", "-ERR syntax error"),
    ("GETEX nokey EX 10", r#""2""#),
    ("GETEX nokey FOO", "-ERR syntax error"),
    // The expiry value is only checked once the key is known to be a string.
    ("GETEX missing PX abc", "(nil)"),
    ("GETEX missing EX 0", "(nil)"),
    ("GETEX g EXAT 1", r#""v""#),
    ("EXISTS g", ":0"),
    (
        "GETSET",
        "-ERR wrong number of arguments for 'getset' command",
    ),
    (
        "GETDEL",
        "-ERR wrong number of arguments for 'getdel' command",
    ),
    (
        "GETEX",
        "-ERR wrong number of arguments for 'getex' command",
    ),
];

#[test]
fn getset_getdel_getex() {
    let s = Server::start();
    check(&mut s.raw(), GETSET_GETDEL_GETEX);
}

const MGET_MSET: &[(&str, &str)] = &[
    ("MSET a 1 b 2 c 3", "+OK"),
    ("MGET a b c nokey", r#"["1", "2", "3", (nil)]"#),
    (
        "MSET a",
        "-ERR wrong number of arguments for 'mset' command",
    ),
    (
        "MSET a 1 b",
        "-ERR wrong number of arguments for 'mset' command",
    ),
    ("MSETNX a 1 d 4", ":0"),
    ("EXISTS d", ":0"),
    ("MSETNX d 4 e 5", ":1"),
    ("MGET d e", r#"["4", "5"]"#),
    (
        "MSETNX d",
        "-ERR wrong number of arguments for 'msetnx' command",
    ),
    ("MSETNX f 1 f 2", ":1"),
    ("GET f", r#""2""#),
    ("MSET a 1 a 2", "+OK"),
    ("GET a", r#""2""#),
    ("MGET", "-ERR wrong number of arguments for 'mget' command"),
];

#[test]
fn mget_mset() {
    let s = Server::start();
    check(&mut s.raw(), MGET_MSET);
}

const APPEND_STRLEN: &[(&str, &str)] = &[
    ("APPEND a hello", ":5"),
    (r#"APPEND a " world""#, ":11"),
    ("GET a", r#""hello world""#),
    ("STRLEN a", ":11"),
    ("STRLEN nokey", ":0"),
    ("SET n 123", "+OK"),
    ("APPEND n 4", ":4"),
    ("GET n", r#""1234""#),
    ("OBJECT ENCODING n", r#""raw""#),
    ("STRLEN n", ":4"),
    ("SET n2 -99", "+OK"),
    ("STRLEN n2", ":3"),
    (r#"APPEND a """#, ":11"),
    (r#"APPEND new """#, ":0"),
    ("EXISTS new", ":1"),
    (
        "STRLEN",
        "-ERR wrong number of arguments for 'strlen' command",
    ),
    (
        "APPEND a",
        "-ERR wrong number of arguments for 'append' command",
    ),
];

#[test]
fn append_strlen() {
    let s = Server::start();
    check(&mut s.raw(), APPEND_STRLEN);
}

const GETRANGE: &[(&str, &str)] = &[
    (r#"SET s "This is a string""#, "+OK"),
    ("GETRANGE s 0 3", r#""This""#),
    ("GETRANGE s -3 -1", r#""ing""#),
    ("GETRANGE s 0 -1", r#""This is a string""#),
    ("GETRANGE s 10 100", r#""string""#),
    ("GETRANGE s 100 200", r#""""#),
    ("GETRANGE s -100 -50", r#""T""#),
    ("GETRANGE s -1 -5", r#""""#),
    ("GETRANGE s 5 2", r#""""#),
    (
        "GETRANGE s -9223372036854775808 9223372036854775807",
        r#""This is a string""#,
    ),
    (
        "GETRANGE s a 1",
        "-ERR value is not an integer or out of range",
    ),
    (
        "GETRANGE s 0 b",
        "-ERR value is not an integer or out of range",
    ),
    ("GETRANGE nokey 0 -1", r#""""#),
    (
        "GETRANGE nokey a b",
        "-ERR value is not an integer or out of range",
    ),
    ("SET n 12345", "+OK"),
    ("GETRANGE n 1 2", r#""23""#),
    ("SUBSTR s 0 3", r#""This""#),
    ("SUBSTR s -3 -1", r#""ing""#),
    (r#"SET e """#, "+OK"),
    ("GETRANGE e 0 -1", r#""""#),
    ("GETRANGE e 0 0", r#""""#),
    (
        "GETRANGE s 0",
        "-ERR wrong number of arguments for 'getrange' command",
    ),
];

#[test]
fn getrange() {
    let s = Server::start();
    check(&mut s.raw(), GETRANGE);
}

const SETRANGE: &[(&str, &str)] = &[
    (r#"SET s "Hello World""#, "+OK"),
    ("SETRANGE s 6 Redis", ":11"),
    ("GET s", r#""Hello Redis""#),
    ("SETRANGE s 20 x", ":21"),
    (
        "GET s",
        r#""Hello Redis\x00\x00\x00\x00\x00\x00\x00\x00\x00x""#,
    ),
    ("SETRANGE s -1 x", "-ERR offset is out of range"),
    (
        "SETRANGE s a x",
        "-ERR value is not an integer or out of range",
    ),
    (r#"SETRANGE nokey 5 """#, ":0"),
    ("EXISTS nokey", ":0"),
    (r#"SETRANGE nokey 0 """#, ":0"),
    (r#"SETRANGE s 100 """#, ":21"),
    ("STRLEN s", ":21"),
    ("SETRANGE new 3 abc", ":6"),
    ("GET new", r#""\x00\x00\x00abc""#),
    ("SET n 12345", "+OK"),
    ("SETRANGE n 1 x", ":5"),
    ("GET n", r#""1x345""#),
    ("CONFIG SET proto-max-bulk-len 1048576", "+OK"),
    (
        "SETRANGE s 1048576 x",
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    ),
    (
        "SETRANGE s 1048575 xx",
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    ),
    ("SETRANGE s 1048575 x", ":1048576"),
    ("STRLEN s", ":1048576"),
    (r#"SETRANGE s 2000000 """#, ":1048576"),
    (
        "APPEND s x",
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    ),
    (
        "SETRANGE big 1048576 x",
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    ),
    (r#"SETRANGE big 1048575 """#, ":0"),
    ("EXISTS big", ":0"),
    ("CONFIG SET proto-max-bulk-len 536870912", "+OK"),
    (
        "SETRANGE s",
        "-ERR wrong number of arguments for 'setrange' command",
    ),
];

#[test]
fn setrange() {
    let s = Server::start();
    check(&mut s.raw(), SETRANGE);
}

const INCR_DECR: &[(&str, &str)] = &[
    ("INCR n", ":1"),
    ("INCR n", ":2"),
    ("DECR n", ":1"),
    ("INCRBY n 10", ":11"),
    ("INCRBY n -20", ":-9"),
    ("DECRBY n 5", ":-14"),
    ("DECRBY n -5", ":-9"),
    ("GET n", r#""-9""#),
    ("SET m 9223372036854775806", "+OK"),
    ("INCR m", ":9223372036854775807"),
    ("INCR m", "-ERR increment or decrement would overflow"),
    ("GET m", r#""9223372036854775807""#),
    ("SET m -9223372036854775807", "+OK"),
    ("DECR m", ":-9223372036854775808"),
    ("DECR m", "-ERR increment or decrement would overflow"),
    ("DECRBY m 1", "-ERR increment or decrement would overflow"),
    ("SET m 0", "+OK"),
    (
        "DECRBY m -9223372036854775808",
        "-ERR decrement would overflow",
    ),
    ("DECRBY m 9223372036854775807", ":-9223372036854775807"),
    (
        "INCRBY m -9223372036854775808",
        "-ERR increment or decrement would overflow",
    ),
    ("INCRBY m a", "-ERR value is not an integer or out of range"),
    (
        "INCRBY m 1.5",
        "-ERR value is not an integer or out of range",
    ),
    (
        r#"INCRBY m """#,
        "-ERR value is not an integer or out of range",
    ),
    ("SET s abc", "+OK"),
    ("INCR s", "-ERR value is not an integer or out of range"),
    (r#"SET s " 1""#, "+OK"),
    ("INCR s", "-ERR value is not an integer or out of range"),
    (r#"SET s "1 ""#, "+OK"),
    ("INCR s", "-ERR value is not an integer or out of range"),
    ("SET s 01", "+OK"),
    ("INCR s", "-ERR value is not an integer or out of range"),
    ("SET s +1", "+OK"),
    ("INCR s", "-ERR value is not an integer or out of range"),
    ("SET s -0", "+OK"),
    ("INCR s", "-ERR value is not an integer or out of range"),
    ("SET s 1.0", "+OK"),
    ("INCR s", "-ERR value is not an integer or out of range"),
    (r#"SET s """#, "+OK"),
    ("INCR s", "-ERR value is not an integer or out of range"),
    ("SET s 99999999999999999999", "+OK"),
    ("INCR s", "-ERR value is not an integer or out of range"),
    ("SET t 10 EX 1000", "+OK"),
    ("INCR t", ":11"),
    ("TTL t", ":1000"),
    ("SET e 5", "+OK"),
    ("OBJECT ENCODING e", r#""int""#),
    ("INCR e", ":6"),
    ("OBJECT ENCODING e", r#""int""#),
    ("INCR", "-ERR wrong number of arguments for 'incr' command"),
    (
        "INCRBY n",
        "-ERR wrong number of arguments for 'incrby' command",
    ),
    (
        "DECRBY n",
        "-ERR wrong number of arguments for 'decrby' command",
    ),
    ("DECR", "-ERR wrong number of arguments for 'decr' command"),
    ("SET k v EX abc EX 100", "+OK"),
    ("SET k v PX 100 PX 200 NX", "(nil)"),
    ("SET k v KEEPTTL KEEPTTL", "+OK"),
    ("GETEX k PERSIST PERSIST", r#""v""#),
    ("GETEX k EX 100 EX 200", r#""v""#),
    ("GETEX k EX 100 EXAT 200", "-ERR syntax error"),
    ("SET k v NX NX GET GET", r#""v""#),
];

#[test]
fn incr_decr() {
    let s = Server::start();
    check(&mut s.raw(), INCR_DECR);
}

#[test]
fn keyspace_events() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "E$g");
    let cases: &[(&str, &str, &[&str])] = &[
        ("SET a 1", "+OK", &["set a"]),
        ("SET a 1 NX", "(nil)", &[]),
        ("SET a 2 EX 100", "+OK", &["set a", "expire a"]),
        ("SET a 3 KEEPTTL", "+OK", &["set a"]),
        ("SETNX b 1", ":1", &["set b"]),
        ("SETNX b 1", ":0", &[]),
        ("SETEX c 100 v", "+OK", &["set c", "expire c"]),
        ("PSETEX c 100000 v", "+OK", &["set c", "expire c"]),
        ("GETSET c w", r#""v""#, &["set c"]),
        ("MSET d 1 e 2", "+OK", &["set d", "set e"]),
        ("MSETNX f 1 g 2", ":1", &["set f", "set g"]),
        ("MSETNX f 1 h 2", ":0", &[]),
        ("APPEND d x", ":2", &["append d"]),
        ("SETRANGE d 0 y", ":2", &["setrange d"]),
        ("SETRANGE d 0 \"\"", ":2", &[]),
        ("INCR n", ":1", &["incrby n"]),
        ("DECR n", ":0", &["incrby n"]),
        ("INCRBY n 5", ":5", &["incrby n"]),
        ("DECRBY n 5", ":0", &["incrby n"]),
        ("GETEX n EX 100", r#""0""#, &["expire n"]),
        ("GETEX n PERSIST", r#""0""#, &["persist n"]),
        ("GETEX n PERSIST", r#""0""#, &[]),
        ("GETEX n", r#""0""#, &[]),
        ("GETEX n PXAT 1", r#""0""#, &["del n"]),
        ("GETDEL d", r#""yx""#, &["del d"]),
        ("GETDEL d", "(nil)", &[]),
        ("SET t v PXAT 1", "+OK", &["set t", "expire t"]),
    ];
    for (cmd, reply, events) in cases {
        assert_eq!(r.q(&split_args(cmd)), *reply, "{cmd}");
        for e in *events {
            assert_eq!(next_event(&mut sub), *e, "{cmd}");
        }
    }
    // Nothing else was published.
    r.s("SET marker 1");
    assert_eq!(next_event(&mut sub), "set marker");
}

#[test]
fn wrong_type() {
    let s = Server::start();
    let mut r = s.raw();
    if !make_list(&mut r, "l") {
        return;
    }
    check(
        &mut r,
        &[
            ("GET l", WRONGTYPE),
            ("SET l v GET", WRONGTYPE),
            ("TYPE l", "+list"),
            ("GETSET l v", WRONGTYPE),
            ("GETDEL l", WRONGTYPE),
            ("GETEX l", WRONGTYPE),
            ("MGET l nokey", "[(nil), (nil)]"),
            ("APPEND l x", WRONGTYPE),
            ("STRLEN l", WRONGTYPE),
            ("GETRANGE l 0 1", WRONGTYPE),
            ("SUBSTR l 0 1", WRONGTYPE),
            ("SETRANGE l 0 x", WRONGTYPE),
            ("INCR l", WRONGTYPE),
            ("DECR l", WRONGTYPE),
            ("INCRBY l 1", WRONGTYPE),
            ("DECRBY l 1", WRONGTYPE),
            ("SETNX l v", ":0"),
            ("TYPE l", "+list"),
            ("SET l v", "+OK"),
            ("TYPE l", "+string"),
        ],
    );
}

#[test]
fn huge_and_binary_values() {
    let s = Server::start();
    let mut r = s.raw();
    // Every byte value, in a key and in a value.
    let all: Vec<u8> = (0..=255u8).collect();
    assert_eq!(r.q(&[b"SET".as_slice(), &all, &all]), "+OK");
    assert_eq!(r.cmd(&[b"GET".as_slice(), &all]).as_bytes(), all.as_slice());
    assert_eq!(r.q(&[b"STRLEN".as_slice(), &all]), ":256");
    // A 20 MB value made of a pattern that is not valid UTF-8.
    let big: Vec<u8> = (0..20 * 1024 * 1024)
        .map(|i| (i % 251) as u8 ^ 0x80)
        .collect();
    assert_eq!(r.q(&[b"SET".as_slice(), b"big", &big]), "+OK");
    assert_eq!(r.s("STRLEN big"), format!(":{}", big.len()));
    let got = r.cmd(&["GET", "big"]);
    assert!(got.as_bytes() == big.as_slice(), "20 MB value round-trips");
    assert_eq!(
        r.q(&[b"APPEND".as_slice(), b"big", b"\r\n\x00"]),
        format!(":{}", big.len() + 3)
    );
    let tail = r.cmd(&["GETRANGE", "big", "-4", "-1"]);
    assert_eq!(tail.as_bytes(), [big[big.len() - 1], b'\r', b'\n', 0]);
    let mget = r.cmd(&[b"MGET".as_slice(), &all, b"nokey"]);
    assert_eq!(mget.items()[0].as_bytes(), all.as_slice());
    assert_eq!(mget.items()[1].to_string(), "(nil)");
}

#[test]
fn resp3_nulls() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("HELLO 3");
    r.s("SET a 1");
    assert_eq!(wire(&mut r, b"GET nokey\r\n", 3), b"_\r\n");
    assert_eq!(
        wire(&mut r, b"MGET a nokey\r\n", 14),
        b"*2\r\n$1\r\n1\r\n_\r\n"
    );
    assert_eq!(wire(&mut r, b"SET a 1 NX\r\n", 3), b"_\r\n");
    assert_eq!(wire(&mut r, b"GETDEL nokey\r\n", 3), b"_\r\n");
    r.s("HELLO 2");
    assert_eq!(wire(&mut r, b"GET nokey\r\n", 5), b"$-1\r\n");
    assert_eq!(wire(&mut r, b"MGET nokey\r\n", 9), b"*1\r\n$-1\r\n");
}

#[test]
fn set_get_returns_old_value_and_applies_options() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("SET k 1 GET EX 100", "(nil)"),
            ("SET k 2 GET KEEPTTL", r#""1""#),
            ("SET k 3 GET", r#""2""#),
            ("TTL k", ":-1"),
            ("SET k 4 NX GET", r#""3""#),
            ("GET k", r#""3""#),
            ("SET k 5 XX GET PXAT 4000000000000", r#""3""#),
            ("PEXPIRETIME k", ":4000000000000"),
        ],
    );
}

/// INCRBYFLOAT computes in 80-bit long double like Redis (hence "12.59999999999999998").
const INCRBYFLOAT: &[(&str, &str)] = &[
    ("INCRBYFLOAT f 0.1", r#""0.1""#),
    ("INCRBYFLOAT f 0.2", r#""0.3""#),
    ("GET f", r#""0.3""#),
    ("INCRBYFLOAT f -0.3", r#""0""#),
    ("INCRBYFLOAT f 10.5", r#""10.5""#),
    ("INCRBYFLOAT f 0.1", r#""10.6""#),
    ("INCRBYFLOAT f 1e3", r#""1010.59999999999999998""#),
    ("INCRBYFLOAT f -1e3", r#""10.59999999999999998""#),
    ("INCRBYFLOAT f 5.0e3", r#""5010.60000000000000009""#),
    ("INCRBYFLOAT f 0x10", r#""5026.60000000000000009""#),
    ("INCRBYFLOAT f +1", r#""5027.60000000000000009""#),
    ("INCRBYFLOAT f -10", r#""5017.60000000000000009""#),
    (
        "INCRBYFLOAT f 3.0000000000000000000001",
        r#""5020.60000000000000009""#,
    ),
    ("SET n 5", "+OK"),
    ("INCRBYFLOAT n 1", r#""6""#),
    ("INCRBYFLOAT n 1.5", r#""7.5""#),
    ("SET n 1.5e2", "+OK"),
    ("INCRBYFLOAT n 0", r#""150""#),
    ("SET z -0.0", "+OK"),
    ("INCRBYFLOAT z 0", r#""0""#),
    ("INCRBYFLOAT z -0", r#""0""#),
    ("SET big 1e300", "+OK"),
    (
        "INCRBYFLOAT big 1e300",
        r#""2000000000000000000017994648159118387741047888546581495876520164642531293192361871511698304167500994380700745017228549671807185112369345967826192521041497292574654271283687306588168510215212033579453305864740061102765895241989080589545563779241212358535223254194821301134374772211380178849830208012288""#,
    ),
    (
        "INCRBYFLOAT big 1e400",
        r#""10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880""#,
    ),
    ("SET huge 1e4000", "+OK"),
    (
        "INCRBYFLOAT huge 1",
        r#""9999999999999999999965463873099623784932492583506957631301508333043261943306342355481821641865509279862764452073123673540217602217367592344172125881950527999961428582434354754501870958214290741301143014670445026260849443456275333742340822559146220440774502699147116818307775566773571206492036312963397368761826079538161612036724681027980418945071857333802019573184376407974737742100582963439581302474746605828071068162266095350249109360981931695942123253872362355720717867859931997116967823535175344886417435948827492668424224514931596965124928426557313007272003654181606637829648718026332623445964659599411688673612401217012598120557489288735334437118479345590827013160426634334036145971611294094499267930097645158316924242084444005046275789316854264698962537519604804648202558831813320199082274810678546966662106272497006996186529202046612197927965030663016053612055682060855170989021069998476304668166868798327849305544516958630545705436267868123963090419840720786295093297923233166989307185493468005963513556052273926524815064535863034951177115665985606171666708242756198962303861871354719181381961379671761938984704505073921618907144272449828915839083978037993280452559586965504199368256134650271468844247174823646278663567437132739306516943311285144568895817811521270234335023202809923439313537168685792314272771667847310402459453149183490692769538329516243242927105447175974956565949859259880257266623432431660986751258600816348320837727852352371818896648343700947852991058969433541705132345122524048434688325138322933085183721655672137865396358471035067214167360617119527605272354771447437560932908789355181041081978971762346557568230767574027302293460544968752081768656824879994376355163920300385095919688678670907760987187661793434717175760350651419537956103182910121364884637262102263204295329279620360536203761315194554053188934218409316246410738656203852138992492444404026342210499619140876855921277988778676947892152806854950785068014727125536739702656962611964401436187934885803420611286745134838665415365691409110464038694668899344879845822942763373039719688602810444439928037135468898274565353630059446256169978689065593420848456038274366567225299549352683650770160551908116011723880315176381390821744087191159014840466408422036463264182928434780181167746977398743042449413105215463884123801578726746967721334558724520471115335862516435283282393832140500259762370795907195418122260308331006030210104962511689458912869480521025430134047382228141350554394390210188326863538753083190329578149617392735325345607293804019789613107204439729055324106921126322671020066709317012835936925695594694910121291991133040352454029415895421330627924576068200470892536792435143079137382774440346196002593999683669353176553680054317921648423581639781664231716459539510456753265337998256664529200852939049468855419289097785303294946449752258791882954794558753338748235175173730073178466259683916437044889075282877916869627991289792183586849679291189074136405526988632104737613205959150473631599616592564842952439858033179702368199753306698362201401506479407699236396521519654661597132309737381973903141889548031713181771968965861360007055846791276712592611475612847974647898601585527666227738929689128212619681144409905588974943980927948431950098268346459649230305689978542029932792436486452896735925004194782587516473457624352639480090109507295735020460456725638145957022317397784209033998721254961060890916634094880983552750508881669349308347772834504388303087113341878104141612215788330206835981183895501665502020020640589210848902416003156361626873160836225566347750269512599746786860171326806831029087653660341164708808802454022881699049392139574016756146192644415820839590797897050551922334947406004738872332042844089285302334417905996381190171610168845316435533461235902086067935935005063001450522174581772443096538389199989128731679326545348278957788061762018807017602515186853205589875909910708079333605047010115738478105476750550150020629864357825543441956972190272729951206648276349901340672""#,
    ),
    ("STRLEN huge", ":4000"),
    (
        "INCRBYFLOAT huge 1e4932",
        r#""1000000000000000000006018949387963891323837774254533114773785041352533019486608722407533327779433142773666525563666277682061860906440460336623416164931097542108653623739947237824273607755646282077337746770628281083461244709457643633409272844851420914666765408339856497738306756454137037618440476182982865954054046320908299555942321302503320602080070208203623921079151881460203745014774931620490030394998719312614654064081373493248877120892455186383753439197870978041502797716880193955403107721911638646256939484197293128160329482360996995779489224859264034146949087194820794222433687849284561987230134006305414553626323614864479565079390052761980633463640128979696615362545507608303960553830866145592644372289102918602696741767741297153998359263135897985849697638678310586803720024647593066044070323761747439375151949994191528876172274034561238465689530914002496208547488452249219821049217690359246594326188537200846025476936856707726986425804304053688317572380292690880454677852210458790733177421098965346383845533016192965653377533421097553773202105452559589360227732550843545717469715211293029277100649951579279463212875228768700827274629951331584994203243708412190948315614798641721054158397351395747758548328754270534225721361640356227816080094892433366902417454242382629232277544026609640255325557814321580325340352330660617642326696140257239552549121071985189443846777623334881929189773707008403466595204838733621633273383631944856989484138444978386656058755310848833689791896484998847550364264104800800578245511762594691161545730891319744107953897993101008217601269310629890308357893793344340072837782716410520818640099771094401772024731084835860689936533035726854175396195351768096519310944631445923638053214575993378468775292865871435742249777979822775014324475845899615096380079899099538453121043851821349178371736640702645304284254885437611441690360616466368202194307769462209963387690446576691969551571041941288302648912827345194286271122230347823246073498285153708579500062656222714954113329293953346495615947784091175883554988117167387650681525781361864450364992605079129770604793291076559668041153558254765774288831330658676910296506538343982699076824147706077401185501337053676875440863113630172067902223837838525802181406003942606507609826320015193807633035586661539150425605940691768637845815434184585255915074081317250319572700370579877977177644345205933505850374212779064837146242765034714569464306865784829936445754893825213995710137567750342556762329137973387913047300554841737506800154984198686923965286147079273203561004647365286049876790788288301130050437207489067798842078443360167772245834103629301041345252122743437501935254370757049878526838283810705343010153283985958550741661374001212323172562230037290597675029278865489570268803618001520280748588481858632332145422181524500970533738858652881625738158955840469334830106366243262210429210258173978186522208306814207038831590332622155464159216193005478809313772661406449321989529908990407599717265354887081027622412165764793106246309910984757869627982700885055259900973567128498437782671492610351088858271463387495833021819318548705558606395846070390500323204636339383655528123657438115225035433947543876805317781492691295772410403746456774175666884503175504415270824258750305653788473882671038340481278188648013647450190431469737277008003041204693859153544058059108384516541261521127088116402349679151317227395183628490922161336429757386698401928682323657056924758648793848799822907606679071280964393541325129231682456669123450140879120137931548652537601508656209183486928384515842973760163601756230697826779237275078471824258664382133759876151537532598429521999758431018087001817485300919479583171049967781322202936864648780744025361452947117776701129210049872555316467204668470989130203733391349501708713181244068921199587314823974568234174792429139799088587794666528769986602820375968045445209219875596678877912103336949894142378173648692130854177898020194629670311101994938157038765957014792056173739623614871557317714453597336202068774935086409386414223375141765601758268418764114651053088281009248246110195084364468926837572992870110411414878770616397817334529367403238061699632089293543118185299881280463481800696201966723511922556078483839325067415562633057448408746541808590342228476964416681055875561781810005936328191844815915658719683522845979901018335050006246392027657149580332319739660376707180429166280658258434773362764563277134220525779869893832824866422909928484939374964071386248088592408142723646533801882861736205992781965360090000802821408763787641023437653119263757280212773694655213507075717622521160227187157631635583682130089364682543007292042009976150135189415923413244100006421082817394988300265734422677548100741829682842668334472314928702968616204691717366798642916146473018363370523427203416579250811577900985980957404830019403600361860520985937973506956557739754741783354728589350876379371163141086538418113791886622720""#,
    ),
    ("INCRBYFLOAT tiny 1e-20", r#""0""#),
    ("INCRBYFLOAT tiny 1e-4950", r#""0""#),
    (
        "INCRBYFLOAT tiny 1e-5000",
        "-ERR value is not a valid float",
    ),
    (
        "INCRBYFLOAT f inf",
        "-ERR increment would produce NaN or Infinity",
    ),
    (
        "INCRBYFLOAT f -inf",
        "-ERR increment would produce NaN or Infinity",
    ),
    ("INCRBYFLOAT f nan", "-ERR value is not a valid float"),
    ("INCRBYFLOAT f abc", "-ERR value is not a valid float"),
    (r#"INCRBYFLOAT f """#, "-ERR value is not a valid float"),
    (r#"INCRBYFLOAT f " 1""#, "-ERR value is not a valid float"),
    (r#"INCRBYFLOAT f "1 ""#, "-ERR value is not a valid float"),
    ("INCRBYFLOAT f 1.2.3", "-ERR value is not a valid float"),
    ("SET s abc", "+OK"),
    ("INCRBYFLOAT s 1", "-ERR value is not a valid float"),
    (r#"SET s " 1""#, "+OK"),
    ("INCRBYFLOAT s 1", "-ERR value is not a valid float"),
    ("SET s inf", "+OK"),
    (
        "INCRBYFLOAT s 1",
        "-ERR increment would produce NaN or Infinity",
    ),
    ("SET s 0x1p3", "+OK"),
    ("INCRBYFLOAT s 1", r#""9""#),
    ("SET t 1 EX 1000", "+OK"),
    ("INCRBYFLOAT t 1", r#""2""#),
    ("TTL t", ":1000"),
    (
        "INCRBYFLOAT",
        "-ERR wrong number of arguments for 'incrbyfloat' command",
    ),
    (
        "INCRBYFLOAT f",
        "-ERR wrong number of arguments for 'incrbyfloat' command",
    ),
    (
        "INCRBYFLOAT f 1 2",
        "-ERR wrong number of arguments for 'incrbyfloat' command",
    ),
];

#[test]
fn incrbyfloat() {
    let s = Server::start();
    check(&mut s.raw(), INCRBYFLOAT);
}

#[test]
fn incrbyfloat_event_ttl_and_wrong_type() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "E$");
    assert_eq!(r.s("SET f 1.5 PXAT 4000000000000"), "+OK");
    assert_eq!(next_event(&mut sub), "set f");
    assert_eq!(r.s("INCRBYFLOAT f 0.25"), "\"1.75\"");
    assert_eq!(next_event(&mut sub), "incrbyfloat f");
    assert_eq!(r.s("PEXPIRETIME f"), ":4000000000000");
    assert_eq!(r.s("INCRBYFLOAT f abc"), "-ERR value is not a valid float");
    r.s("SET marker 1");
    assert_eq!(
        next_event(&mut sub),
        "set marker",
        "a failed INCRBYFLOAT publishes nothing"
    );
    if make_list(&mut r, "l") {
        assert_eq!(r.s("INCRBYFLOAT l 1"), WRONGTYPE);
    }
}
