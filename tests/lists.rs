//! List commands: every command and option with exact replies and error texts (RESP2 and RESP3),
//! keyspace events, encodings (listpack/quicklist per list-max-listpack-size), WATCH, and the
//! non-blocking paths of the blocking commands (MULTI, scripts, immediate answers, timeouts).
//! Concurrency and the waking of blocked clients are in tests/blocking_lists.rs.
//!
//! The tables were produced by running tests/difftest/lists.txt against Redis (and replaying it
//! with difftest against both servers), so replies and error texts are Redis's. Where Redis 7.0
//! (the reference binary here) and 7.2 differ, the tables carry 7.2's reply: huge or infinite
//! timeouts are "ERR timeout is out of range" (7.0 said "negative"), and LPOS RANK
//! -9223372036854775808 is an out-of-range error (7.0 negated it into an overflow).
mod common;
mod fixtures;
use common::*;
use fixtures::*;

const PUSH_POP: &[(&str, &str)] = &[
    ("LPUSH l a", ":1"),
    ("LPUSH l b c", ":3"),
    (r#"RPUSH l x "y z" "\x00\xff\r\n""#, ":6"),
    (
        "LRANGE l 0 -1",
        r#"["c", "b", "a", "x", "y z", "\x00\xff\r\n"]"#,
    ),
    ("LLEN l", ":6"),
    ("LLEN nokey", ":0"),
    ("LPUSHX nokey a", ":0"),
    ("RPUSHX nokey a b", ":0"),
    ("EXISTS nokey", ":0"),
    ("LPUSHX l p1 p2", ":8"),
    ("RPUSHX l r1", ":9"),
    (
        "LRANGE l 0 -1",
        r#"["p2", "p1", "c", "b", "a", "x", "y z", "\x00\xff\r\n", "r1"]"#,
    ),
    ("LPOP l", r#""p2""#),
    ("RPOP l", r#""r1""#),
    ("LPOP l 2", r#"["p1", "c"]"#),
    ("RPOP l 2", r#"["\x00\xff\r\n", "y z"]"#),
    ("LPOP l 0", "[]"),
    ("RPOP l 0", "[]"),
    ("LRANGE l 0 -1", r#"["b", "a", "x"]"#),
    ("LPOP l 100", r#"["b", "a", "x"]"#),
    ("EXISTS l", ":0"),
    ("LPOP l", "(nil)"),
    ("RPOP l", "(nil)"),
    ("LPOP l 1", "(nil-array)"),
    ("RPOP l 0", "(nil-array)"),
    ("LPOP l -1", "-ERR value is out of range, must be positive"),
    ("LPOP l abc", "-ERR value is out of range, must be positive"),
    ("RPOP l 1.5", "-ERR value is out of range, must be positive"),
    (
        "LPOP l 1 2",
        "-ERR wrong number of arguments for 'lpop' command",
    ),
    (
        "RPOP l 1 2",
        "-ERR wrong number of arguments for 'rpop' command",
    ),
    ("LPOP", "-ERR wrong number of arguments for 'lpop' command"),
    (
        "LPUSH l",
        "-ERR wrong number of arguments for 'lpush' command",
    ),
    (
        "RPUSHX l",
        "-ERR wrong number of arguments for 'rpushx' command",
    ),
    (r#"RPUSH l """#, ":1"),
    ("LPOP l", r#""""#),
    ("EXISTS l", ":0"),
    ("RPUSH l a b c d e", ":5"),
    ("RPOP l 3", r#"["e", "d", "c"]"#),
    ("LPOP l 9223372036854775807", r#"["a", "b"]"#),
    ("LPUSH l 1 2 3", ":3"),
    (
        "RPOP l 9223372036854775808",
        "-ERR value is out of range, must be positive",
    ),
];

const RANGE_INDEX: &[(&str, &str)] = &[
    ("RPUSH l a b c d e", ":5"),
    ("LRANGE l 0 0", r#"["a"]"#),
    ("LRANGE l -1 -1", r#"["e"]"#),
    ("LRANGE l -2 -1", r#"["d", "e"]"#),
    ("LRANGE l 1 3", r#"["b", "c", "d"]"#),
    ("LRANGE l -100 100", r#"["a", "b", "c", "d", "e"]"#),
    ("LRANGE l 3 1", "[]"),
    ("LRANGE l 5 10", "[]"),
    ("LRANGE l -1 0", "[]"),
    ("LRANGE l 0 -6", "[]"),
    (
        "LRANGE l -9223372036854775808 9223372036854775807",
        r#"["a", "b", "c", "d", "e"]"#,
    ),
    ("LRANGE l 9223372036854775807 -9223372036854775808", "[]"),
    (
        "LRANGE l a 1",
        "-ERR value is not an integer or out of range",
    ),
    (
        "LRANGE l 0 b",
        "-ERR value is not an integer or out of range",
    ),
    (
        "LRANGE l 0 1.0",
        "-ERR value is not an integer or out of range",
    ),
    ("LRANGE nokey 0 -1", "[]"),
    (
        "LRANGE nokey a b",
        "-ERR value is not an integer or out of range",
    ),
    ("LINDEX l 0", r#""a""#),
    ("LINDEX l 4", r#""e""#),
    ("LINDEX l 5", "(nil)"),
    ("LINDEX l -1", r#""e""#),
    ("LINDEX l -5", r#""a""#),
    ("LINDEX l -6", "(nil)"),
    ("LINDEX l 9223372036854775807", "(nil)"),
    ("LINDEX l -9223372036854775808", "(nil)"),
    ("LINDEX l x", "-ERR value is not an integer or out of range"),
    ("LINDEX nokey 0", "(nil)"),
    ("LINDEX nokey x", "(nil)"),
    (
        "LRANGE l 0 -1 extra",
        "-ERR wrong number of arguments for 'lrange' command",
    ),
    (
        "LINDEX l",
        "-ERR wrong number of arguments for 'lindex' command",
    ),
];

const LSET_LINSERT: &[(&str, &str)] = &[
    ("LSET nokey 0 v", "-ERR no such key"),
    ("LSET nokey x v", "-ERR no such key"),
    ("RPUSH l a b c", ":3"),
    ("LSET l 0 A", "+OK"),
    ("LSET l -1 C", "+OK"),
    (r#"LSET l 1 "\x00""#, "+OK"),
    ("LSET l 3 x", "-ERR index out of range"),
    ("LSET l -4 x", "-ERR index out of range"),
    ("LSET l x v", "-ERR value is not an integer or out of range"),
    ("LRANGE l 0 -1", r#"["A", "\x00", "C"]"#),
    ("LINSERT l BEFORE A first", ":4"),
    ("LINSERT l after C last", ":5"),
    (r#"LINSERT l AFTER "\x00" mid"#, ":6"),
    ("LINSERT l before nosuch v", ":-1"),
    ("LINSERT l middle A v", "-ERR syntax error"),
    ("LINSERT nokey BEFORE a v", ":0"),
    ("LINSERT nokey middle a v", "-ERR syntax error"),
    (
        "LRANGE l 0 -1",
        r#"["first", "A", "\x00", "mid", "C", "last"]"#,
    ),
    ("RPUSH dup x y x y", ":4"),
    ("LINSERT dup AFTER x new", ":5"),
    ("LINSERT dup BEFORE y new2", ":6"),
    ("LRANGE dup 0 -1", r#"["x", "new", "new2", "y", "x", "y"]"#),
    (
        "LINSERT l BEFORE A",
        "-ERR wrong number of arguments for 'linsert' command",
    ),
];

const LREM_LTRIM: &[(&str, &str)] = &[
    ("RPUSH l a b a c a b a", ":7"),
    ("LREM l 2 a", ":2"),
    ("LRANGE l 0 -1", r#"["b", "c", "a", "b", "a"]"#),
    ("LREM l -1 b", ":1"),
    ("LRANGE l 0 -1", r#"["b", "c", "a", "a"]"#),
    ("LREM l 0 a", ":2"),
    ("LRANGE l 0 -1", r#"["b", "c"]"#),
    ("LREM l 0 zz", ":0"),
    ("LREM l x a", "-ERR value is not an integer or out of range"),
    ("LREM nokey 1 a", ":0"),
    (
        "LREM nokey x a",
        "-ERR value is not an integer or out of range",
    ),
    ("LREM l 0 c", ":1"),
    ("EXISTS l", ":1"),
    ("RPUSH t 0 1 2 3 4 5 6 7 8 9", ":10"),
    ("LTRIM t 1 -2", "+OK"),
    (
        "LRANGE t 0 -1",
        r#"["1", "2", "3", "4", "5", "6", "7", "8"]"#,
    ),
    ("LTRIM t -3 100", "+OK"),
    ("LRANGE t 0 -1", r#"["6", "7", "8"]"#),
    ("LTRIM t 0 0", "+OK"),
    ("LRANGE t 0 -1", r#"["6"]"#),
    ("LTRIM t 0 -1", "+OK"),
    ("LTRIM t 1 0", "+OK"),
    ("EXISTS t", ":0"),
    ("LTRIM nokey 0 1", "+OK"),
    (
        "LTRIM nokey a 1",
        "-ERR value is not an integer or out of range",
    ),
    ("RPUSH t a b c", ":3"),
    (
        "LTRIM t a 1",
        "-ERR value is not an integer or out of range",
    ),
    (
        "LTRIM t 0 b",
        "-ERR value is not an integer or out of range",
    ),
    ("LTRIM t 5 10", "+OK"),
    ("EXISTS t", ":0"),
    ("RPUSH t a b c", ":3"),
    ("LTRIM t -100 -3", "+OK"),
    ("LRANGE t 0 -1", r#"["a"]"#),
    (
        "LTRIM t 0",
        "-ERR wrong number of arguments for 'ltrim' command",
    ),
];

const LPOS: &[(&str, &str)] = &[
    ("RPUSH l a b c 1 2 3 c c", ":8"),
    ("LPOS l c", ":2"),
    ("LPOS l c RANK 1", ":2"),
    ("LPOS l c RANK 2", ":6"),
    ("LPOS l c RANK -1", ":7"),
    ("LPOS l c RANK -3", ":2"),
    ("LPOS l c RANK 4", "(nil)"),
    ("LPOS l c COUNT 0", "[:2, :6, :7]"),
    ("LPOS l c COUNT 2", "[:2, :6]"),
    ("LPOS l c COUNT 0 RANK 2", "[:6, :7]"),
    ("LPOS l c COUNT 0 RANK -1", "[:7, :6, :2]"),
    ("LPOS l c COUNT 2 RANK -2", "[:6, :2]"),
    ("LPOS l c MAXLEN 3", ":2"),
    ("LPOS l c MAXLEN 2", "(nil)"),
    ("LPOS l c COUNT 0 MAXLEN 7", "[:2, :6]"),
    ("LPOS l c COUNT 0 MAXLEN 1 RANK -1", "[:7]"),
    ("LPOS l c RANK -1 MAXLEN 1", ":7"),
    ("LPOS l zz", "(nil)"),
    ("LPOS l zz COUNT 1", "[]"),
    (
        "LPOS l c RANK 0",
        "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    ),
    (
        "LPOS l c RANK x",
        "-ERR value is not an integer or out of range",
    ),
    ("LPOS l c COUNT -1", "-ERR COUNT can't be negative"),
    ("LPOS l c COUNT x", "-ERR COUNT can't be negative"),
    ("LPOS l c MAXLEN -1", "-ERR MAXLEN can't be negative"),
    ("LPOS l c MAXLEN x", "-ERR MAXLEN can't be negative"),
    ("LPOS l c RANK", "-ERR syntax error"),
    ("LPOS l c COUNT", "-ERR syntax error"),
    ("LPOS l c FOO 1", "-ERR syntax error"),
    ("LPOS l c rank 1 count 1 maxlen 0", "[:2]"),
    ("LPOS nokey c", "(nil)"),
    ("LPOS nokey c COUNT 0", "[]"),
    (
        "LPOS nokey c RANK 0",
        "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    ),
    ("LPOS l c RANK 9223372036854775807", "(nil)"),
    ("LPOS l c COUNT 9223372036854775807", "[:2, :6, :7]"),
    (
        "LPOS l",
        "-ERR wrong number of arguments for 'lpos' command",
    ),
];

const MOVES: &[(&str, &str)] = &[
    ("RPUSH src a b c", ":3"),
    ("LMOVE src dst LEFT RIGHT", r#""a""#),
    ("LMOVE src dst RIGHT LEFT", r#""c""#),
    ("LRANGE src 0 -1", r#"["b"]"#),
    ("LRANGE dst 0 -1", r#"["c", "a"]"#),
    ("LMOVE src dst left left", r#""b""#),
    ("EXISTS src", ":0"),
    ("LRANGE dst 0 -1", r#"["b", "c", "a"]"#),
    ("LMOVE src dst LEFT RIGHT", "(nil)"),
    ("LMOVE dst dst LEFT RIGHT", r#""b""#),
    ("LRANGE dst 0 -1", r#"["c", "a", "b"]"#),
    ("LMOVE dst dst RIGHT LEFT", r#""b""#),
    ("LRANGE dst 0 -1", r#"["b", "c", "a"]"#),
    ("LMOVE dst dst UP LEFT", "-ERR syntax error"),
    ("LMOVE dst dst LEFT DOWN", "-ERR syntax error"),
    ("LMOVE nokey dst UP LEFT", "-ERR syntax error"),
    ("RPOPLPUSH dst other", r#""a""#),
    ("LRANGE other 0 -1", r#"["a"]"#),
    ("RPOPLPUSH nokey other", "(nil)"),
    ("RPOPLPUSH other other", r#""a""#),
    ("RPUSH one x", ":1"),
    ("LMOVE one one LEFT LEFT", r#""x""#),
    ("LRANGE one 0 -1", r#"["x"]"#),
    ("SET str v", "+OK"),
    (
        "LMOVE str dst LEFT LEFT",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LMOVE dst str LEFT LEFT",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    ("LRANGE dst 0 -1", r#"["b", "c"]"#),
    (
        "RPOPLPUSH str dst",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "RPOPLPUSH dst str",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    ("LMOVE nokey str LEFT LEFT", "(nil)"),
    (
        "BLMOVE str dst LEFT LEFT 0",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "BLMOVE dst str LEFT LEFT 0",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    ("BLMOVE dst nd LEFT RIGHT 0", r#""b""#),
    ("LRANGE nd 0 -1", r#"["b"]"#),
    ("BRPOPLPUSH dst nd2 0", r#""c""#),
    ("BRPOPLPUSH nokey nd2 0.01", "(nil-array)"),
    ("BLMOVE nokey nd2 LEFT LEFT 0.01", "(nil-array)"),
    ("BLMOVE nokey nd2 LEFT LEFT -1", "-ERR timeout is negative"),
    (
        "BLMOVE nokey nd2 LEFT LEFT x",
        "-ERR timeout is not a float or out of range",
    ),
    ("BLMOVE nokey nd2 X LEFT x", "-ERR syntax error"),
    ("BRPOPLPUSH nokey nd2 -1", "-ERR timeout is negative"),
    (
        "BRPOPLPUSH nokey nd2 x",
        "-ERR timeout is not a float or out of range",
    ),
    (
        "LMOVE src dst LEFT",
        "-ERR wrong number of arguments for 'lmove' command",
    ),
    (
        "BLMOVE src dst LEFT RIGHT",
        "-ERR wrong number of arguments for 'blmove' command",
    ),
    (
        "RPOPLPUSH src",
        "-ERR wrong number of arguments for 'rpoplpush' command",
    ),
];

const MPOP: &[(&str, &str)] = &[
    ("RPUSH l1 a b c d e", ":5"),
    ("RPUSH l2 x y", ":2"),
    ("LMPOP 2 nokey l1 LEFT", r#"["l1", ["a"]]"#),
    ("LMPOP 2 nokey l1 RIGHT COUNT 2", r#"["l1", ["e", "d"]]"#),
    ("LMPOP 2 l2 l1 left count 10", r#"["l2", ["x", "y"]]"#),
    ("LMPOP 1 l1 RIGHT COUNT 10", r#"["l1", ["c", "b"]]"#),
    ("LMPOP 2 l1 l2 LEFT", "(nil-array)"),
    ("EXISTS l1 l2", ":0"),
    ("LMPOP 0 l1 LEFT", "-ERR numkeys should be greater than 0"),
    ("LMPOP -1 l1 LEFT", "-ERR numkeys should be greater than 0"),
    ("LMPOP x l1 LEFT", "-ERR numkeys should be greater than 0"),
    ("LMPOP 3 l1 LEFT", "-ERR syntax error"),
    ("LMPOP 2 l1 LEFT", "-ERR syntax error"),
    ("LMPOP 1 l1 MIDDLE", "-ERR syntax error"),
    (
        "LMPOP 1 l1 LEFT COUNT 0",
        "-ERR count should be greater than 0",
    ),
    (
        "LMPOP 1 l1 LEFT COUNT -1",
        "-ERR count should be greater than 0",
    ),
    (
        "LMPOP 1 l1 LEFT COUNT x",
        "-ERR count should be greater than 0",
    ),
    ("LMPOP 1 l1 LEFT COUNT", "-ERR syntax error"),
    ("LMPOP 1 l1 LEFT COUNT 1 COUNT 1", "-ERR syntax error"),
    ("LMPOP 1 l1 LEFT FOO", "-ERR syntax error"),
    ("SET s v", "+OK"),
    ("RPUSH l3 q", ":1"),
    (
        "LMPOP 2 s l3 LEFT",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    ("LMPOP 2 l3 s LEFT", r#"["l3", ["q"]]"#),
    (
        "LMPOP 2 nokey s LEFT",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LMPOP 1 l3",
        "-ERR wrong number of arguments for 'lmpop' command",
    ),
    ("RPUSH l1 a b c", ":3"),
    ("BLMPOP 0 2 nokey l1 LEFT", r#"["l1", ["a"]]"#),
    ("BLMPOP 0 2 nokey l1 RIGHT COUNT 5", r#"["l1", ["c", "b"]]"#),
    ("BLMPOP 0.01 1 l1 LEFT", "(nil-array)"),
    ("BLMPOP -1 1 l1 LEFT", "-ERR timeout is negative"),
    (
        "BLMPOP x 1 l1 LEFT",
        "-ERR timeout is not a float or out of range",
    ),
    (
        "BLMPOP -1 0 l1 LEFT",
        "-ERR numkeys should be greater than 0",
    ),
    ("BLMPOP -1 1 l1 UP", "-ERR syntax error"),
    (
        "BLMPOP -1 1 l1 LEFT COUNT 0",
        "-ERR count should be greater than 0",
    ),
    (
        "BLMPOP 0 1 s LEFT",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "BLMPOP 0 1 l1",
        "-ERR wrong number of arguments for 'blmpop' command",
    ),
];

const BPOP: &[(&str, &str)] = &[
    ("RPUSH l1 a b c", ":3"),
    ("RPUSH l2 x", ":1"),
    ("BLPOP nokey l1 l2 0", r#"["l1", "a"]"#),
    ("BRPOP nokey l1 l2 0", r#"["l1", "c"]"#),
    ("BRPOP l2 l1 0", r#"["l2", "x"]"#),
    ("EXISTS l2", ":0"),
    ("BLPOP l1 0.01", r#"["l1", "b"]"#),
    ("BLPOP nokey 0.01", "(nil-array)"),
    ("BRPOP nokey nokey2 0.01", "(nil-array)"),
    ("BLPOP nokey -1", "-ERR timeout is negative"),
    ("BLPOP nokey -0.5", "-ERR timeout is negative"),
    (
        "BLPOP nokey x",
        "-ERR timeout is not a float or out of range",
    ),
    (
        r#"BLPOP nokey """#,
        "-ERR timeout is not a float or out of range",
    ),
    (
        "BLPOP nokey nan",
        "-ERR timeout is not a float or out of range",
    ),
    ("BLPOP nokey inf", "-ERR timeout is out of range"),
    ("BLPOP nokey 1e30", "-ERR timeout is out of range"),
    ("BLPOP nokey -inf", "-ERR timeout is negative"),
    ("BRPOP nokey -1", "-ERR timeout is negative"),
    (
        "BRPOP nokey x",
        "-ERR timeout is not a float or out of range",
    ),
    ("SET s v", "+OK"),
    (
        "BLPOP s 0",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "BLPOP nokey s 0",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    ("RPUSH l3 q", ":1"),
    ("BLPOP l3 s 0", r#"["l3", "q"]"#),
    (
        "BLPOP s l3 0",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    ("BLPOP s x", "-ERR timeout is not a float or out of range"),
    (
        "BLPOP nokey",
        "-ERR wrong number of arguments for 'blpop' command",
    ),
    (
        "BRPOP",
        "-ERR wrong number of arguments for 'brpop' command",
    ),
];

const ARITY_TYPES: &[(&str, &str)] = &[
    ("SET s v", "+OK"),
    (
        "LPUSH s a",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "RPUSH s a",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LPUSHX s a",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "RPUSHX s a",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LPOP s",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "RPOP s",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LPOP s 2",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LLEN s",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LRANGE s 0 1",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LINDEX s 0",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LSET s 0 v",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LINSERT s BEFORE a b",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LREM s 0 a",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LTRIM s 0 1",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LPOS s a",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "RPOPLPUSH s d",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LMOVE s d LEFT LEFT",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LPOP s 0",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LRANGE s x 0",
        "-ERR value is not an integer or out of range",
    ),
    ("LREM s x a", "-ERR value is not an integer or out of range"),
    (
        "LTRIM s x 0",
        "-ERR value is not an integer or out of range",
    ),
    (
        "LINDEX s x",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LSET s x v",
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    ),
    (
        "LPOS s a RANK 0",
        "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    ),
    ("LLEN", "-ERR wrong number of arguments for 'llen' command"),
    (
        "LLEN a b",
        "-ERR wrong number of arguments for 'llen' command",
    ),
    (
        "LRANGE a 0",
        "-ERR wrong number of arguments for 'lrange' command",
    ),
    (
        "LINDEX a",
        "-ERR wrong number of arguments for 'lindex' command",
    ),
    (
        "LSET a 0",
        "-ERR wrong number of arguments for 'lset' command",
    ),
    (
        "LINSERT a BEFORE b",
        "-ERR wrong number of arguments for 'linsert' command",
    ),
    (
        "LREM a 0",
        "-ERR wrong number of arguments for 'lrem' command",
    ),
    (
        "LTRIM a 0",
        "-ERR wrong number of arguments for 'ltrim' command",
    ),
    (
        "LPOS a",
        "-ERR wrong number of arguments for 'lpos' command",
    ),
    (
        "LMOVE a b LEFT",
        "-ERR wrong number of arguments for 'lmove' command",
    ),
    (
        "RPOPLPUSH a",
        "-ERR wrong number of arguments for 'rpoplpush' command",
    ),
    (
        "LMPOP 1 a",
        "-ERR wrong number of arguments for 'lmpop' command",
    ),
    (
        "BLMPOP 0 1 a",
        "-ERR wrong number of arguments for 'blmpop' command",
    ),
    (
        "BLMOVE a b LEFT LEFT",
        "-ERR wrong number of arguments for 'blmove' command",
    ),
    (
        "BRPOPLPUSH a b",
        "-ERR wrong number of arguments for 'brpoplpush' command",
    ),
];

fn run(cases: &[(&str, &str)]) {
    let s = Server::start();
    let mut r = s.raw();
    check(&mut r, cases);
}

#[test]
fn push_and_pop() {
    run(PUSH_POP);
}

#[test]
fn range_and_index() {
    run(RANGE_INDEX);
}

#[test]
fn lset_and_linsert() {
    run(LSET_LINSERT);
}

#[test]
fn lrem_and_ltrim() {
    run(LREM_LTRIM);
}

#[test]
fn lpos_options() {
    run(LPOS);
    // Redis 7.2 bounds RANK to -LONG_MAX..LONG_MAX (7.0 overflowed negating LONG_MIN).
    let s = Server::start();
    let mut r = s.raw();
    r.s("RPUSH l a");
    assert_eq!(
        r.s("LPOS l a RANK -9223372036854775808"),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(r.s("LPOS l a RANK -1"), ":0");
    assert_eq!(r.s("LPOS l a RANK -9223372036854775807"), "(nil)");
}

#[test]
fn moves() {
    run(MOVES);
}

#[test]
fn multi_pops() {
    run(MPOP);
}

#[test]
fn blocking_pops_that_answer_at_once() {
    run(BPOP);
}

#[test]
fn arity_and_wrong_types() {
    run(ARITY_TYPES);
}

#[test]
fn resp3_reply_shapes() {
    let s = Server::start();
    let mut r = s.raw();
    let hello = r.cmd(&["HELLO", "3"]);
    assert!(matches!(hello, Frame::Map(_)), "{hello}");
    // Nulls are RESP3 nulls (`_`), whether RESP2 would send a null bulk or a null array.
    check(
        &mut r,
        &[
            ("LPOP nokey", "(nil)"),
            ("LPOP nokey 2", "(nil)"),
            ("LINDEX nokey 0", "(nil)"),
            ("LPOS nokey a", "(nil)"),
            ("LMPOP 1 nokey LEFT", "(nil)"),
            ("LMOVE nokey d LEFT LEFT", "(nil)"),
            ("BLPOP nokey 0.01", "(nil)"),
            ("BLMOVE nokey d LEFT LEFT 0.01", "(nil)"),
            ("BLMPOP 0.01 1 nokey LEFT", "(nil)"),
            ("LRANGE nokey 0 -1", "[]"),
            ("LPOS nokey a COUNT 0", "[]"),
            ("RPUSH l a b c d", ":4"),
            ("LPOP l 0", "[]"),
            ("LPOP l 1", r#"["a"]"#),
            ("RPOP l", r#""d""#),
            ("LPOS l c COUNT 0", "[:1]"),
            ("BLPOP l 0", r#"["l", "b"]"#),
            ("RPUSH l x y", ":3"),
            ("LMPOP 1 l RIGHT COUNT 2", r#"["l", ["y", "x"]]"#),
            ("BLMPOP 0 1 l LEFT", r#"["l", ["c"]]"#),
            ("EXISTS l", ":0"),
        ],
    );
    // The RESP2 kinds, for contrast: null bulk vs null array.
    let mut r2 = s.raw();
    check(
        &mut r2,
        &[
            ("LPOP nokey", "(nil)"),
            ("LPOP nokey 2", "(nil-array)"),
            ("LMPOP 1 nokey LEFT", "(nil-array)"),
            ("LMOVE nokey d LEFT LEFT", "(nil)"),
            ("BLPOP nokey 0.01", "(nil-array)"),
            ("BLMOVE nokey d LEFT LEFT 0.01", "(nil-array)"),
            ("BRPOPLPUSH nokey d 0.01", "(nil-array)"),
        ],
    );
}

#[test]
fn binary_safe_elements() {
    let s = Server::start();
    let mut r = s.raw();
    let big = vec![0u8; 70_000];
    let odd: &[u8] = b"\x00\r\n\xff*1\r\n$";
    assert_eq!(r.q(&[b"RPUSH".as_slice(), b"b", odd, &big, b""]), ":3");
    assert_eq!(r.cmd(&["LINDEX", "b", "0"]), Frame::Bulk(odd.to_vec()));
    assert_eq!(r.cmd(&["LINDEX", "b", "1"]), Frame::Bulk(big.clone()));
    assert_eq!(r.q(&[b"LPOS".as_slice(), b"b", odd]), ":0");
    assert_eq!(r.q(&[b"LPOS".as_slice(), b"b", &big]), ":1");
    assert_eq!(r.q(&["LPOS", "b", ""]), ":2");
    assert_eq!(r.q(&[b"LREM".as_slice(), b"b", b"0", &big]), ":1");
    assert_eq!(
        r.q(&[b"LINSERT".as_slice(), b"b", b"AFTER", odd, &big]),
        ":3"
    );
    assert_eq!(r.cmd(&["RPOPLPUSH", "b", "c"]), Frame::Bulk(vec![]));
    assert_eq!(r.cmd(&["LPOP", "b", "5"]).items()[1], Frame::Bulk(big));
}

#[test]
fn encodings_follow_list_max_listpack_size() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            (
                "CONFIG GET list-max-listpack-size",
                r#"["list-max-listpack-size", "-2"]"#,
            ),
            ("RPUSH small a b c", ":3"),
            ("OBJECT ENCODING small", r#""listpack""#),
            ("CONFIG SET list-max-listpack-size 4", "+OK"),
            ("RPUSH l 1 2 3 4", ":4"),
            ("OBJECT ENCODING l", r#""listpack""#),
            ("RPUSH l 5", ":5"),
            ("OBJECT ENCODING l", r#""quicklist""#),
            // Shrinking converts back once a single node of at most half the limit remains.
            ("RPOP l 2", r#"["5", "4"]"#),
            ("OBJECT ENCODING l", r#""quicklist""#),
            ("RPOP l", r#""3""#),
            ("OBJECT ENCODING l", r#""listpack""#),
            ("LPUSH l a b c", ":5"),
            ("OBJECT ENCODING l", r#""quicklist""#),
            // Two nodes remain ([c] [b]): only a single node converts back, as in Redis 7.2.
            ("LTRIM l 0 1", "+OK"),
            ("OBJECT ENCODING l", r#""quicklist""#),
            ("CONFIG SET list-max-listpack-size -1", "+OK"),
        ],
    );
    // A value that makes the listpack exceed 4 KiB converts it.
    let big = "x".repeat(5000);
    assert_eq!(r.s("RPUSH e a"), ":1");
    assert_eq!(r.s("OBJECT ENCODING e"), r#""listpack""#);
    assert_eq!(r.q(&["RPUSH", "e", &big]), ":2");
    assert_eq!(r.s("OBJECT ENCODING e"), r#""quicklist""#);
    assert_eq!(r.s("RPOP e"), format!("\"{big}\""));
    assert_eq!(r.s("OBJECT ENCODING e"), r#""listpack""#);
    // LSET with a large value converts too, and the list stays correct.
    assert_eq!(r.q(&["LSET", "e", "0", &big]), "+OK");
    assert_eq!(r.s("OBJECT ENCODING e"), r#""quicklist""#);
    assert_eq!(r.s("RPUSH e b"), ":2");
    assert_eq!(r.s("LINDEX e 1"), r#""b""#);
    assert_eq!(r.s("LSET e 0 small"), "+OK");
    assert_eq!(r.s("LRANGE e 0 -1"), r#"["small", "b"]"#);
}

#[test]
fn long_list_indexing() {
    // 100,000 elements over many nodes: indexes, ranges, LSET, LINSERT and LREM in the middle.
    let s = Server::start();
    let mut r = s.raw();
    for chunk in 0..10 {
        let mut args = vec!["RPUSH".to_string(), "big".to_string()];
        args.extend((chunk * 10_000..(chunk + 1) * 10_000).map(|i| i.to_string()));
        assert_eq!(r.q(&args), format!(":{}", (chunk + 1) * 10_000));
    }
    assert_eq!(r.s("OBJECT ENCODING big"), r#""quicklist""#);
    assert_eq!(r.s("LINDEX big 50000"), r#""50000""#);
    assert_eq!(r.s("LINDEX big -1"), r#""99999""#);
    assert_eq!(
        r.s("LRANGE big 49999 50001"),
        r#"["49999", "50000", "50001"]"#
    );
    assert_eq!(r.s("LSET big 50000 mid"), "+OK");
    assert_eq!(r.s("LPOS big mid"), ":50000");
    assert_eq!(r.s("LINSERT big BEFORE mid ins"), ":100001");
    assert_eq!(r.s("LINDEX big 50000"), r#""ins""#);
    assert_eq!(r.s("LINDEX big 50001"), r#""mid""#);
    assert_eq!(r.s("LREM big 0 ins"), ":1");
    assert_eq!(r.s("LPOS big 99999 RANK -1 MAXLEN 1"), ":99999");
    assert_eq!(r.s("LPOS big 0 RANK -1 MAXLEN 10"), "(nil)");
    assert_eq!(r.s("LTRIM big 10 -11"), "+OK");
    assert_eq!(r.s("LLEN big"), ":99980");
    assert_eq!(r.s("LINDEX big 0"), r#""10""#);
    let popped = r.cmd(&["RPOP", "big", "99990"]);
    assert_eq!(popped.items().len(), 99980);
    assert_eq!(popped.items()[0], Frame::Bulk(b"99989".to_vec()));
    assert_eq!(r.s("EXISTS big"), ":0");
}

#[test]
fn keyspace_events() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "KEA");
    let steps: &[(&str, &[&str])] = &[
        ("RPUSH l a b c d e f", &["rpush l"]),
        ("LPUSH l z", &["lpush l"]),
        ("LPUSHX l y", &["lpush l"]),
        ("RPUSHX l g", &["rpush l"]),
        ("LPUSHX nokey y", &[]),
        ("LPOP l", &["lpop l"]),
        ("RPOP l 2", &["rpop l"]),
        ("LSET l 0 Z", &["lset l"]),
        ("LINSERT l BEFORE Z w", &["linsert l"]),
        ("LINSERT l BEFORE nosuch w", &[]),
        ("LREM l 1 w", &["lrem l"]),
        ("LREM l 1 nosuch", &[]),
        ("LTRIM l 0 -1", &["ltrim l"]),
        ("LMOVE l m LEFT RIGHT", &["rpush m", "lpop l"]),
        ("RPOPLPUSH l m", &["lpush m", "rpop l"]),
        ("LMPOP 1 l LEFT COUNT 1", &["lpop l"]),
        ("BLPOP l 0", &["lpop l"]),
        ("BRPOP m 0", &["rpop m"]),
        ("BLMOVE m l RIGHT LEFT 0", &["lpush l", "rpop m", "del m"]),
        ("BLMPOP 0 1 l RIGHT COUNT 9", &["rpop l", "del l"]),
        ("RPUSH t a b", &["rpush t"]),
        ("LTRIM t 5 6", &["ltrim t", "del t"]),
        ("RPUSH t a", &["rpush t"]),
        ("LREM t 0 a", &["lrem t", "del t"]),
        ("RPUSH t a", &["rpush t"]),
        ("LPOP t 5", &["lpop t", "del t"]),
    ];
    for (cmd, events) in steps {
        let reply = r.q(&split_args(cmd));
        assert!(!reply.starts_with('-'), "{cmd}: {reply}");
        for e in *events {
            assert_eq!(next_event(&mut sub), *e, "after {cmd}");
        }
    }
    // Nothing else was published: the next event is the marker.
    r.s("SET marker 1");
    assert_eq!(next_event(&mut sub), "set marker");
}

#[test]
fn watch_sees_list_writes() {
    let s = Server::start();
    let mut r = s.raw();
    let mut other = s.raw();
    r.s("RPUSH l a b");
    for (write, dirty) in [
        ("RPUSH l c", true),
        ("LPOP nokey", false),
        ("LREM l 0 nosuch", false),
        ("LSET l 0 x", true),
        ("LMOVE l l LEFT RIGHT", true),
        ("LINSERT l BEFORE nosuch v", false),
        ("RPOP l", true),
    ] {
        assert_eq!(r.s("WATCH l"), "+OK");
        other.s(write);
        r.s("MULTI");
        r.s("LLEN l");
        let want = if dirty { "(nil-array)" } else { "[:2]" };
        let got = r.s("EXEC");
        if dirty {
            assert_eq!(got, want, "{write}");
        } else {
            assert!(got.starts_with('['), "{write}: {got}");
        }
    }
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("MULTI", "+OK"),
            ("BLPOP nokey 0", "+QUEUED"),
            ("BRPOP nokey 0", "+QUEUED"),
            ("BLMOVE nokey d LEFT LEFT 0", "+QUEUED"),
            ("BRPOPLPUSH nokey d 0", "+QUEUED"),
            ("BLMPOP 0 1 nokey LEFT", "+QUEUED"),
            ("RPUSH l a", "+QUEUED"),
            ("BLPOP l 0", "+QUEUED"),
            (
                "EXEC",
                r#"[(nil-array), (nil-array), (nil), (nil), (nil-array), :1, ["l", "a"]]"#,
            ),
            ("MULTI", "+OK"),
            ("BLPOP nokey x", "+QUEUED"),
            ("EXEC", "[-ERR timeout is not a float or out of range]"),
        ],
    );
}

#[test]
fn blocking_commands_in_scripts() {
    let s = Server::start();
    let mut r = s.raw();
    // BLPOP/BRPOP/BLMOVE/BRPOPLPUSH are `noscript`; BLMPOP runs and does not block.
    assert_eq!(
        r.q(&["EVAL", "return redis.call('blpop', KEYS[1], 0)", "1", "k"]),
        "-ERR This Redis command is not allowed from script script: 4bec37c9115f995bf276f7704a7ed879c6c262a9, on @user_script:1."
    );
    assert_eq!(
        r.q(&[
            "EVAL",
            "return redis.call('blmove', KEYS[1], 'd', 'LEFT', 'LEFT', 0)",
            "1",
            "k"
        ]),
        "-ERR This Redis command is not allowed from script script: fb7ba8b8d4ba11bbc99e89eeef878ad286997046, on @user_script:1."
    );
    assert_eq!(
        r.q(&[
            "EVAL",
            "return redis.call('blmpop', 0, 1, KEYS[1], 'LEFT')",
            "1",
            "k"
        ]),
        "(nil)"
    );
    r.s("RPUSH k a b");
    assert_eq!(
        r.q(&[
            "EVAL",
            "return redis.call('blmpop', 0, 1, KEYS[1], 'LEFT', 'COUNT', 5)",
            "1",
            "k"
        ]),
        r#"["k", ["a", "b"]]"#
    );
}

#[test]
fn lmove_to_itself_and_between_types() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("RPUSH l a b c", ":3"),
            ("LMOVE l l RIGHT LEFT", r#""c""#),
            ("LRANGE l 0 -1", r#"["c", "a", "b"]"#),
            ("LMOVE l l LEFT RIGHT", r#""c""#),
            ("LRANGE l 0 -1", r#"["a", "b", "c"]"#),
            ("SET s v", "+OK"),
            // The destination's type is checked before anything is popped.
            (
                "LMOVE l s LEFT LEFT",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("LLEN l", ":3"),
            ("GET s", r#""v""#),
        ],
    );
}
