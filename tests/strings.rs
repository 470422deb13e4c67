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
