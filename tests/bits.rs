//! Bit commands and LCS: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO LCS.
//!
//! The tables were produced by running the same commands against Redis and checked against
//! Pilgrim with difftest (tests/difftest/bits.txt), so every reply is Redis's.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

const SETBIT_GETBIT: &[(&str, &str)] = &[
    ("SET s foobar", "+OK"),
    ("SET i 12345", "+OK"),
    ("SETBIT e 0 0", ":0"),
    ("GETBIT s 0", ":0"),
    ("GETBIT s 1", ":1"),
    ("GETBIT s 47", ":0"),
    ("GETBIT s 48", ":0"),
    ("GETBIT i 2", ":1"),
    ("GETBIT i 100", ":0"),
    ("GETBIT nokey 5", ":0"),
    (
        "GETBIT s -1",
        "-ERR bit offset is not an integer or out of range",
    ),
    ("GETBIT s 4294967295", ":0"),
    (
        "GETBIT s 4294967296",
        "-ERR bit offset is not an integer or out of range",
    ),
    (
        "GETBIT s +1",
        "-ERR bit offset is not an integer or out of range",
    ),
    (
        "GETBIT s 01",
        "-ERR bit offset is not an integer or out of range",
    ),
    ("SETBIT new 7 1", ":0"),
    ("GET new", r#""\x01""#),
    ("SETBIT new 7 1", ":1"),
    ("SETBIT new 7 0", ":1"),
    ("SETBIT new 100 1", ":0"),
    ("STRLEN new", ":13"),
    ("SETBIT i 0 1", ":0"),
    ("GET i", r#""\xb12345""#),
    ("SETBIT s 0 2", "-ERR bit is not an integer or out of range"),
    (
        "SETBIT s 0 -1",
        "-ERR bit is not an integer or out of range",
    ),
    (
        "SETBIT s a 1",
        "-ERR bit offset is not an integer or out of range",
    ),
    ("SETBIT s 0 a", "-ERR bit is not an integer or out of range"),
    (
        "SETBIT s 4294967296 1",
        "-ERR bit offset is not an integer or out of range",
    ),
];

const BITCOUNT: &[(&str, &str)] = &[
    ("SET s foobar", "+OK"),
    ("SET i 12345", "+OK"),
    (r#"SET empty """#, "+OK"),
    ("BITCOUNT s", ":26"),
    ("BITCOUNT s 0 0", ":4"),
    ("BITCOUNT s 1 1", ":6"),
    ("BITCOUNT s 0 -1", ":26"),
    ("BITCOUNT s -2 -1", ":7"),
    ("BITCOUNT s -1 -2", ":0"),
    ("BITCOUNT s -100 100", ":26"),
    ("BITCOUNT s 5 30 BIT", ":17"),
    ("BITCOUNT s 5 30 bit", ":17"),
    ("BITCOUNT s 0 -1 BYTE", ":26"),
    ("BITCOUNT s -5 -1 BIT", ":2"),
    ("BITCOUNT s 100 200 BIT", ":0"),
    ("BITCOUNT s 0 0 BIT", ":0"),
    ("BITCOUNT s 1 1 BIT", ":1"),
    ("BITCOUNT s 9223372036854775807 -9223372036854775808", ":0"),
    (
        "BITCOUNT s -9223372036854775808 9223372036854775807 BIT",
        ":26",
    ),
    ("BITCOUNT s 0", "-ERR syntax error"),
    ("BITCOUNT s 0 1 2 3", "-ERR syntax error"),
    ("BITCOUNT s 0 1 foo", "-ERR syntax error"),
    ("BITCOUNT s -1 -5 foo", ":0"),
    (
        "BITCOUNT s a 1",
        "-ERR value is not an integer or out of range",
    ),
    ("BITCOUNT nokey a b", ":0"),
    ("BITCOUNT nokey 0", ":0"),
    ("BITCOUNT i", ":17"),
    ("BITCOUNT i 1 2", ":7"),
    ("BITCOUNT e", ":0"),
];

const BITPOS: &[(&str, &str)] = &[
    ("SET s foobar", "+OK"),
    ("SET i 12345", "+OK"),
    ("BITPOS s 1", ":1"),
    ("BITPOS s 0", ":0"),
    ("BITPOS s 1 2", ":17"),
    ("BITPOS s 0 2 -1", ":16"),
    ("BITPOS s 1 2 -1 BYTE", ":17"),
    ("BITPOS s 1 7 15 BIT", ":9"),
    ("BITPOS s 0 7 15 BIT", ":7"),
    ("BITPOS s 1 -3 -1 BIT", ":46"),
    ("BITPOS s 0 -3 -1 BIT", ":45"),
    ("BITPOS s 0 100", ":-1"),
    ("BITPOS s 0 9223372036854775807", ":-1"),
    ("BITPOS s 1 -9223372036854775808", ":1"),
    ("BITPOS s 0 0 9223372036854775807 BIT", ":0"),
    ("BITPOS s 1 0 -9223372036854775808", ":1"),
    ("BITPOS s 2", "-ERR The bit argument must be 1 or 0."),
    ("BITPOS s -1", "-ERR The bit argument must be 1 or 0."),
    ("BITPOS s x", "-ERR value is not an integer or out of range"),
    (
        "BITPOS s 1 a",
        "-ERR value is not an integer or out of range",
    ),
    (
        "BITPOS s 1 0 a",
        "-ERR value is not an integer or out of range",
    ),
    ("BITPOS s 1 0 a bad", "-ERR syntax error"),
    (
        "BITPOS s 1 a 1 bad",
        "-ERR value is not an integer or out of range",
    ),
    ("BITPOS s 1 0 1 bit extra", "-ERR syntax error"),
    ("BITPOS nokey 1 a", ":-1"),
    ("BITPOS nokey 0", ":0"),
    ("BITPOS nokey 1", ":-1"),
    ("BITPOS nokey 2", "-ERR The bit argument must be 1 or 0."),
    (r#"SET ones "\xff\xff\xff""#, "+OK"),
    ("BITPOS ones 0", ":24"),
    ("BITPOS ones 0 0", ":24"),
    ("BITPOS ones 0 0 -1", ":-1"),
    ("BITPOS ones 0 1 2 BIT", ":-1"),
    ("BITPOS ones 1 1 2 BIT", ":1"),
    (r#"SET zeros "\x00\x00\x00""#, "+OK"),
    ("BITPOS zeros 1", ":-1"),
    ("BITPOS zeros 0", ":0"),
    ("BITPOS zeros 1 0 -1 BIT", ":-1"),
    ("BITPOS i 0 0 2", ":0"),
    ("BITPOS i 1", ":2"),
    (r#"SET empty """#, "+OK"),
    ("BITPOS empty 0", ":-1"),
    ("BITPOS empty 1", ":-1"),
    ("BITCOUNT empty", ":0"),
    ("BITCOUNT empty 0 -1", ":0"),
];

const BITOP: &[(&str, &str)] = &[
    ("SET s foobar", "+OK"),
    ("SET i 12345", "+OK"),
    ("BITOP AND dest s i", ":6"),
    ("GET dest", r##"" \"# !\x00""##),
    ("BITOP OR dest s i nokey", ":6"),
    ("GET dest", r#""w\x7f\x7fvur""#),
    ("BITOP XOR dest s i", ":6"),
    ("GET dest", r#""W]\\VTr""#),
    ("BITOP NOT dest s", ":6"),
    ("GET dest", r#""\x99\x90\x90\x9d\x9e\x8d""#),
    ("BITOP not dest i", ":5"),
    ("GET dest", r#""\xce\xcd\xcc\xcb\xca""#),
    ("BITOP AND dest s nokey", ":6"),
    ("GET dest", r#""\x00\x00\x00\x00\x00\x00""#),
    ("BITOP AND dest nokey nokey2", ":0"),
    ("EXISTS dest", ":0"),
    ("BITOP OR dest s", ":6"),
    ("BITOP FOO dest s", "-ERR syntax error"),
    (
        "BITOP NOT dest s i",
        "-ERR BITOP NOT must be called with a single source key.",
    ),
    (
        "BITOP NOT dest",
        "-ERR wrong number of arguments for 'bitop' command",
    ),
    (
        "BITOP AND dest",
        "-ERR wrong number of arguments for 'bitop' command",
    ),
    ("SET ttlkey v EX 1000", "+OK"),
    ("BITOP OR ttlkey s", ":6"),
    ("TTL ttlkey", ":-1"),
    ("BITOP OR s s i", ":6"),
    ("GET s", r#""w\x7f\x7fvur""#),
    ("OBJECT ENCODING dest", r#""raw""#),
];

const BITFIELD: &[(&str, &str)] = &[
    ("SET i 12345", "+OK"),
    ("BITFIELD bf", "[]"),
    ("BITFIELD bf GET u8 0", "[:0]"),
    (
        "BITFIELD bf SET u8 0 255 GET u8 0 GET i8 0",
        "[:0, :255, :-1]",
    ),
    ("BITFIELD bf INCRBY u8 0 10 INCRBY u8 0 -300", "[:9, :221]"),
    (
        "BITFIELD bf OVERFLOW SAT INCRBY u8 0 300 INCRBY u8 0 -300 INCRBY i8 0 200 INCRBY i8 0 -200",
        "[:255, :0, :127, :-73]",
    ),
    (
        "BITFIELD bf OVERFLOW FAIL INCRBY u8 0 300 INCRBY u8 0 1 GET u8 0",
        "[(nil), :184, :184]",
    ),
    (
        "BITFIELD bf OVERFLOW WRAP SET u8 0 -1 OVERFLOW SAT SET u8 8 -1 SET i8 16 200 SET i8 24 -200",
        "[:184, :0, :0, :0]",
    ),
    (
        "BITFIELD bf OVERFLOW FAIL SET u8 0 256 SET i8 0 128 SET i8 0 -129 SET i8 0 -128",
        "[(nil), (nil), (nil), :-1]",
    ),
    ("GET bf", r#""\x80\xff\x7f\x80""#),
    (
        "BITFIELD bf SET i64 0 -1 GET i64 0 GET u63 0 GET u63 1 INCRBY i64 0 -9223372036854775807",
        "[:-9151455730061017088, :-1, :9223372036854775807, :9223372036854775807, :-9223372036854775808]",
    ),
    (
        "BITFIELD bf OVERFLOW WRAP INCRBY i64 0 -1 INCRBY i64 0 -1",
        "[:9223372036854775807, :9223372036854775806]",
    ),
    (
        "BITFIELD bf OVERFLOW SAT INCRBY i64 0 -9223372036854775808 INCRBY i64 0 9223372036854775807 INCRBY i64 0 9223372036854775807",
        "[:-2, :9223372036854775805, :9223372036854775807]",
    ),
    (
        "BITFIELD bf OVERFLOW WRAP INCRBY u63 0 9223372036854775807 INCRBY u63 0 1 INCRBY u63 0 9223372036854775807",
        "[:4611686018427387902, :4611686018427387903, :4611686018427387902]",
    ),
    (
        "BITFIELD bf OVERFLOW SAT INCRBY u63 0 9223372036854775807 INCRBY u63 0 -9223372036854775808",
        "[:9223372036854775807, :0]",
    ),
    (
        "BITFIELD bf SET u4 #3 5 GET u4 #3 GET u4 12 SET i5 #0 -3 GET i5 0",
        "[:0, :5, :5, :0, :-3]",
    ),
    (
        "BITFIELD bf GET u64 0",
        "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    ),
    (
        "BITFIELD bf GET i65 0",
        "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    ),
    (
        "BITFIELD bf GET u0 0",
        "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    ),
    (
        "BITFIELD bf GET x8 0",
        "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    ),
    (
        "BITFIELD bf GET i 0",
        "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    ),
    (
        r#"BITFIELD bf GET "" 0"#,
        "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    ),
    (
        "BITFIELD bf GET u8 -1",
        "-ERR bit offset is not an integer or out of range",
    ),
    (
        "BITFIELD bf GET u8 #-1",
        "-ERR bit offset is not an integer or out of range",
    ),
    (
        "BITFIELD bf GET u8 ##1",
        "-ERR bit offset is not an integer or out of range",
    ),
    (
        "BITFIELD bf GET u8 a",
        "-ERR bit offset is not an integer or out of range",
    ),
    (
        "BITFIELD bf GET u8 4294967296",
        "-ERR bit offset is not an integer or out of range",
    ),
    (
        "BITFIELD bf GET u8 #536870912",
        "-ERR bit offset is not an integer or out of range",
    ),
    ("BITFIELD bf GET u8 #536870911", "[:0]"),
    (
        "BITFIELD bf GET i64 #1152921504606846976",
        "[:-1727974882026717183]",
    ),
    (
        "BITFIELD bf SET u8 0 a",
        "-ERR value is not an integer or out of range",
    ),
    ("BITFIELD bf SET u8 0", "-ERR syntax error"),
    ("BITFIELD bf GET u8", "-ERR syntax error"),
    ("BITFIELD bf OVERFLOW", "-ERR syntax error"),
    (
        "BITFIELD bf OVERFLOW FOO GET u8 0",
        "-ERR Invalid OVERFLOW type specified",
    ),
    ("BITFIELD bf FOO", "-ERR syntax error"),
    ("BITFIELD bf GET u8 0 FOO", "-ERR syntax error"),
    (
        "BITFIELD bf SET u8 a 1 SET x 0 1",
        "-ERR bit offset is not an integer or out of range",
    ),
    (
        "BITFIELD bf incrby u2 100 1 overflow sat incrby u2 102 1",
        "[:1, :1]",
    ),
    ("BITFIELD i GET u8 0 SET u8 0 0", "[:49, :49]"),
    ("GET i", r#""\x002345""#),
    ("BITFIELD_RO bf GET u8 0 GET i16 4", "[:232, :-32688]"),
    ("BITFIELD_RO bf", "[]"),
    (
        "BITFIELD_RO bf SET u8 0 1",
        "-ERR BITFIELD_RO only supports the GET subcommand",
    ),
    (
        "BITFIELD_RO bf GET u8 0 INCRBY u8 0 1",
        "-ERR BITFIELD_RO only supports the GET subcommand",
    ),
    ("BITFIELD_RO bf OVERFLOW SAT GET u8 0", "[:232]"),
    ("BITFIELD_RO nokey GET u8 0", "[:0]"),
    (
        "BITFIELD_RO bf GET u64 0",
        "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    ),
    ("BITFIELD nf OVERFLOW FAIL INCRBY u8 0 1000", "[(nil)]"),
    ("EXISTS nf", ":1"),
    ("STRLEN nf", ":1"),
    ("BITFIELD far SET u8 100 1", "[:0]"),
    ("STRLEN far", ":14"),
];

const LCS: &[(&str, &str)] = &[
    ("SET i 12345", "+OK"),
    ("SET l1 ohmytext", "+OK"),
    ("SET l2 mynewtext", "+OK"),
    ("LCS l1 l2", r#""mytext""#),
    ("LCS l1 l2 LEN", ":6"),
    (
        "LCS l1 l2 IDX",
        r#"["matches", [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], "len", :6]"#,
    ),
    (
        "LCS l1 l2 IDX MINMATCHLEN 4",
        r#"["matches", [[[:4, :7], [:5, :8]]], "len", :6]"#,
    ),
    (
        "LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN",
        r#"["matches", [[[:4, :7], [:5, :8], :4]], "len", :6]"#,
    ),
    (
        "LCS l1 l2 IDX WITHMATCHLEN",
        r#"["matches", [[[:4, :7], [:5, :8], :4], [[:2, :3], [:0, :1], :2]], "len", :6]"#,
    ),
    (
        "LCS l1 l2 idx minmatchlen -5 withmatchlen",
        r#"["matches", [[[:4, :7], [:5, :8], :4], [[:2, :3], [:0, :1], :2]], "len", :6]"#,
    ),
    (
        "LCS l1 l2 LEN IDX",
        "-ERR If you want both the length and indexes, please just use IDX.",
    ),
    (
        "LCS l1 l2 IDX LEN",
        "-ERR If you want both the length and indexes, please just use IDX.",
    ),
    ("LCS l1 l2 MINMATCHLEN", "-ERR syntax error"),
    (
        "LCS l1 l2 MINMATCHLEN a",
        "-ERR value is not an integer or out of range",
    ),
    ("LCS l1 l2 FOO", "-ERR syntax error"),
    ("LCS l1 nokey", r#""""#),
    ("LCS l1 nokey IDX", r#"["matches", [], "len", :0]"#),
    ("LCS nokey nokey2 LEN", ":0"),
    ("LCS l1 i", r#""""#),
    ("SET a1 ABCBDAB", "+OK"),
    ("SET a2 BDCABA", "+OK"),
    ("LCS a1 a2", r#""BDAB""#),
    (
        "LCS a1 a2 IDX WITHMATCHLEN",
        r#"["matches", [[[:5, :6], [:3, :4], :2], [[:3, :4], [:0, :1], :2]], "len", :4]"#,
    ),
    (
        "LCS a2 a1 IDX WITHMATCHLEN",
        r#"["matches", [[[:5, :5], [:5, :5], :1], [[:4, :4], [:3, :3], :1], [[:2, :2], [:2, :2], :1], [[:0, :0], [:1, :1], :1]], "len", :4]"#,
    ),
    ("SET r1 aaaaaaaa", "+OK"),
    ("SET r2 aaa", "+OK"),
    (
        "LCS r1 r2 IDX WITHMATCHLEN",
        r#"["matches", [[[:5, :7], [:0, :2], :3]], "len", :3]"#,
    ),
    (
        "LCS r2 r1 IDX",
        r#"["matches", [[[:0, :2], [:5, :7]]], "len", :3]"#,
    ),
    (r#"SET g1 "x\x00y\xffz""#, "+OK"),
    (r#"SET g2 "\x00\xffz""#, "+OK"),
    ("LCS g1 g2", r#""\x00\xffz""#),
    (
        "LCS g1 g2 IDX",
        r#"["matches", [[[:3, :4], [:1, :2]], [[:1, :1], [:0, :0]]], "len", :3]"#,
    ),
    (
        "LCS l1 l1 IDX WITHMATCHLEN",
        r#"["matches", [[[:0, :7], [:0, :7], :8]], "len", :8]"#,
    ),
];

#[test]
fn setbit_getbit() {
    let s = Server::start();
    check(&mut s.raw(), SETBIT_GETBIT);
}

#[test]
fn bitcount() {
    let s = Server::start();
    check(&mut s.raw(), BITCOUNT);
}

#[test]
fn bitpos() {
    let s = Server::start();
    check(&mut s.raw(), BITPOS);
}

#[test]
fn bitop() {
    let s = Server::start();
    check(&mut s.raw(), BITOP);
}

#[test]
fn bitfield() {
    let s = Server::start();
    check(&mut s.raw(), BITFIELD);
}

#[test]
fn lcs() {
    let s = Server::start();
    check(&mut s.raw(), LCS);
}

#[test]
fn lcs_idx_is_a_map_in_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("HELLO 3");
    check(
        &mut r,
        &[
            ("SET l1 ohmytext", "+OK"),
            ("SET l2 mynewtext", "+OK"),
            (
                "LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN",
                r#"{"matches": [[[:4, :7], [:5, :8], :4]], "len": :6}"#,
            ),
            ("LCS l1 nokey IDX", r#"{"matches": [], "len": :0}"#),
            ("LCS l1 l2", r#""mytext""#),
            ("LCS l1 l2 LEN", ":6"),
        ],
    );
}

#[test]
fn lcs_table_is_bounded_by_proto_max_bulk_len() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET proto-max-bulk-len 1048576"), "+OK");
    // The table has (len1 + 1) * (len2 + 1) cells of 4 bytes: 512 * 512 * 4 is exactly 1 MiB.
    let a = "a".repeat(512);
    assert_eq!(r.q(&["SET", "a", &a]), "+OK");
    assert_eq!(r.q(&["SET", "b", &a[..511]]), "+OK");
    assert_eq!(
        r.s("LCS a b LEN"),
        "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
    );
    assert_eq!(r.q(&["SET", "a", &a[..511]]), "+OK");
    assert_eq!(r.s("LCS a b LEN"), ":511");
}

#[test]
fn bit_offsets_are_bounded_by_proto_max_bulk_len() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET proto-max-bulk-len 1048576"), "+OK");
    let err = "-ERR bit offset is not an integer or out of range";
    check(
        &mut r,
        &[
            ("GETBIT k 8388607", ":0"),
            ("GETBIT k 8388608", err),
            ("SETBIT k 8388608 1", err),
            ("BITFIELD k GET u8 8388607", "[:0]"),
            ("BITFIELD k GET u8 8388608", err),
            ("BITFIELD k GET u8 #1048575", "[:0]"),
            ("BITFIELD k GET u8 #1048576", err),
            ("SETBIT k 8388607 1", ":0"),
            ("STRLEN k", ":1048576"),
            ("BITCOUNT k", ":1"),
            ("BITPOS k 1", ":8388607"),
        ],
    );
}

#[test]
fn writes_keep_ttl_and_use_raw_encoding() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("SET n 12345 EX 1000", "+OK"),
            (r#"OBJECT ENCODING n"#, r#""int""#),
            ("SETBIT n 0 1", ":0"),
            ("OBJECT ENCODING n", r#""raw""#),
            ("GET n", r#""\xb12345""#),
            ("BITFIELD n SET u8 0 49", "[:177]"),
            ("GET n", r#""12345""#),
            ("OBJECT ENCODING n", r#""raw""#),
            ("SETBIT new 0 1", ":0"),
            ("OBJECT ENCODING new", r#""raw""#),
            ("BITFIELD bf SET u8 0 1", "[:0]"),
            ("OBJECT ENCODING bf", r#""raw""#),
        ],
    );
    let ttl = r.cmd(&["TTL", "n"]).as_int();
    assert!(
        (990..=1000).contains(&ttl),
        "TTL kept by SETBIT/BITFIELD: {ttl}"
    );
}

#[test]
fn keyspace_events() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "E$g");
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("SETBIT k 7 1", ":0", Some("setbit k")),
        // Unchanged bit, same length: no event.
        ("SETBIT k 7 1", ":1", None),
        // Growing the string is a change even when the bit is 0.
        ("SETBIT k 100 0", ":0", Some("setbit k")),
        ("BITFIELD k SET u8 0 1", "[:1]", None),
        ("BITFIELD k SET u8 0 2", "[:1]", Some("setbit k")),
        ("BITFIELD k INCRBY u8 0 0", "[:2]", None),
        ("BITFIELD k GET u8 0", "[:2]", None),
        // FAIL leaves the new key created but unchanged: no event.
        ("BITFIELD f OVERFLOW FAIL INCRBY u8 0 300", "[(nil)]", None),
        ("BITFIELD k SET u8 200 1", "[:0]", Some("setbit k")),
        ("BITOP NOT dst k", ":26", Some("set dst")),
        ("BITOP AND dst nokey", ":0", Some("del dst")),
        ("BITOP AND dst nokey", ":0", None),
    ];
    for (cmd, reply, event) in cases {
        assert_eq!(r.q(&split_args(cmd)), *reply, "{cmd}");
        // A marker after each command shows whether the command itself published anything.
        assert_eq!(r.s("DEL marker"), ":0");
        assert_eq!(r.s("SET marker x"), "+OK");
        assert_eq!(r.s("DEL marker"), ":1");
        if let Some(e) = event {
            assert_eq!(next_event(&mut sub), *e, "{cmd}");
        }
        assert_eq!(next_event(&mut sub), "set marker", "{cmd}");
        assert_eq!(next_event(&mut sub), "del marker", "{cmd}");
    }
}

#[test]
fn wrong_type_and_arity() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("SETBIT k 1", &arity_err("setbit")),
            ("SETBIT k 1 1 1", &arity_err("setbit")),
            ("GETBIT k", &arity_err("getbit")),
            ("BITCOUNT", &arity_err("bitcount")),
            ("BITPOS k", &arity_err("bitpos")),
            ("BITOP AND d", &arity_err("bitop")),
            ("BITFIELD", &arity_err("bitfield")),
            ("BITFIELD_RO", &arity_err("bitfield_ro")),
            ("LCS a", &arity_err("lcs")),
        ],
    );
    if !make_list(&mut r, "list") {
        return;
    }
    let lcs_err = "-ERR The specified keys must contain string values";
    check(
        &mut r,
        &[
            ("SET s foobar", "+OK"),
            ("SETBIT list 0 1", WRONGTYPE),
            ("GETBIT list 0", WRONGTYPE),
            ("BITCOUNT list", WRONGTYPE),
            ("BITCOUNT list 0 1 BIT", WRONGTYPE),
            ("BITPOS list 1", WRONGTYPE),
            ("BITOP AND d s list", WRONGTYPE),
            ("BITFIELD list GET u8 0", WRONGTYPE),
            ("BITFIELD list SET u8 0 1", WRONGTYPE),
            ("BITFIELD_RO list GET u8 0", WRONGTYPE),
            ("LCS s list", lcs_err),
            ("LCS list s", lcs_err),
            ("LCS list s LEN IDX", lcs_err),
            // BITOP's destination may hold any type: it is overwritten.
            ("BITOP NOT list s", ":6"),
            ("TYPE list", "+string"),
        ],
    );
}

#[test]
fn command_info_key_specs() {
    let s = Server::start();
    let mut r = s.raw();
    let spec = |flags: &str, index: i64, last: i64| {
        format!(
            r#"["flags", [{flags}], "begin_search", ["type", "index", "spec", ["index", :{index}]], "find_keys", ["type", "range", "spec", ["lastkey", :{last}, "keystep", :1, "limit", :0]]]"#
        )
    };
    // Redis 7.2's COMMAND INFO (RESP2), key specs included.
    let expect = [
        (
            "setbit",
            4,
            "+write, +denyoom",
            "@write, +@bitmap, +@slow",
            vec![spec("+RW, +access, +update", 1, 0)],
            "1, :1, :1",
        ),
        (
            "getbit",
            3,
            "+readonly, +fast",
            "@read, +@bitmap, +@fast",
            vec![spec("+RO, +access", 1, 0)],
            "1, :1, :1",
        ),
        (
            "bitcount",
            -2,
            "+readonly",
            "@read, +@bitmap, +@slow",
            vec![spec("+RO, +access", 1, 0)],
            "1, :1, :1",
        ),
        (
            "bitpos",
            -3,
            "+readonly",
            "@read, +@bitmap, +@slow",
            vec![spec("+RO, +access", 1, 0)],
            "1, :1, :1",
        ),
        (
            "bitop",
            -4,
            "+write, +denyoom",
            "@write, +@bitmap, +@slow",
            vec![spec("+OW, +update", 2, 0), spec("+RO, +access", 3, -1)],
            "2, :-1, :1",
        ),
        (
            "bitfield_ro",
            -2,
            "+readonly, +fast",
            "@read, +@bitmap, +@fast",
            vec![spec("+RO, +access", 1, 0)],
            "1, :1, :1",
        ),
        (
            "lcs",
            -3,
            "+readonly",
            "@read, +@string, +@slow",
            vec![spec("+RO, +access", 1, 1)],
            "1, :2, :1",
        ),
    ];
    for (name, arity, flags, cats, specs, range) in expect {
        let want = format!(
            r#"[["{name}", :{arity}, [{flags}], :{range}, [+{cats}], [], [{}], []]]"#,
            specs.join(", ")
        );
        assert_eq!(r.q(&["COMMAND", "INFO", name]), want, "{name}");
    }
    let bitfield = r.s("COMMAND INFO bitfield");
    assert!(
        bitfield.contains(r#""notes", "This command allows both access and modification of the key", "flags", [+RW, +access, +update, +variable_flags]"#),
        "{bitfield}"
    );
}
