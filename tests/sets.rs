//! Set commands: exact replies and error texts in Redis's order (tables replayed from
//! tests/difftest/sets.txt), RESP3 shapes, encodings and their conversions, keyspace events,
//! WATCH, the random commands (no repeats for positive counts, repeats for negative ones,
//! uniform distributions checked with a generous chi-square bound), SSCAN guarantees,
//! concurrent writers, a randomized comparison against a `HashSet` model with thresholds
//! lowered so that every conversion happens, and a 1,000,000-member set.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

use std::collections::{BTreeSet, HashMap, HashSet};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// Section `sadd_srem_card` of tests/difftest/sets.txt.
const SADD_SREM_CARD: &[(&str, &str)] = &[
    (r#"SADD s a b c"#, r#":3"#),
    (r#"SADD s a d a"#, r#":1"#),
    (r#"SCARD s"#, r#":4"#),
    (r#"SISMEMBER s a"#, r#":1"#),
    (r#"SISMEMBER s z"#, r#":0"#),
    (r#"SMISMEMBER s a z b"#, r#"[:1, :0, :1]"#),
    (r#"SMISMEMBER nokey a b"#, r#"[:0, :0]"#),
    (r#"SCARD nokey"#, r#":0"#),
    (r#"SISMEMBER nokey a"#, r#":0"#),
    (r#"SMEMBERS s"#, r#"["a", "b", "c", "d"]"#),
    (r#"SREM s a z"#, r#":1"#),
    (r#"SREM s a"#, r#":0"#),
    (r#"SREM nokey a"#, r#":0"#),
    (r#"SMEMBERS s"#, r#"["b", "c", "d"]"#),
    (r#"SREM s b c d z"#, r#":3"#),
    (r#"EXISTS s"#, r#":0"#),
    (r#"SMEMBERS s"#, r#"[]"#),
    (r#"SADD "bin\x00key" "\x00\xff" "a b" "" "\r\n""#, r#":4"#),
    (r#"SCARD "bin\x00key""#, r#":4"#),
    (r#"SISMEMBER "bin\x00key" """#, r#":1"#),
    (r#"SISMEMBER "bin\x00key" "\x00\xff""#, r#":1"#),
    (
        r#"SMEMBERS "bin\x00key""#,
        r#"["\x00\xff", "a b", "", "\r\n"]"#,
    ),
    (r#"SREM "bin\x00key" """#, r#":1"#),
    (r#"SMEMBERS "bin\x00key""#, r#"["\x00\xff", "a b", "\r\n"]"#),
];

/// Section `intset_order` of tests/difftest/sets.txt.
const INTSET_ORDER: &[(&str, &str)] = &[
    (
        r#"SADD i 5 -3 100 0 9223372036854775807 -9223372036854775808"#,
        r#":6"#,
    ),
    (
        r#"SMEMBERS i"#,
        r#"["-9223372036854775808", "-3", "0", "5", "100", "9223372036854775807"]"#,
    ),
    (r#"OBJECT ENCODING i"#, r#""intset""#),
    (r#"SADD i 07"#, r#":1"#),
    (r#"OBJECT ENCODING i"#, r#""listpack""#),
    (
        r#"SMEMBERS i"#,
        r#"["-9223372036854775808", "-3", "0", "5", "100", "9223372036854775807", "07"]"#,
    ),
    (r#"SISMEMBER i 07"#, r#":1"#),
    (r#"SISMEMBER i 7"#, r#":0"#),
    (r#"SISMEMBER i 5"#, r#":1"#),
    (r#"SREM i 07 5"#, r#":2"#),
    (
        r#"SMEMBERS i"#,
        r#"["-9223372036854775808", "-3", "0", "100", "9223372036854775807"]"#,
    ),
];

/// Section `encodings` of tests/difftest/sets.txt.
const ENCODINGS: &[(&str, &str)] = &[
    (r#"SADD ints 1 2 3"#, r#":3"#),
    (r#"OBJECT ENCODING ints"#, r#""intset""#),
    (r#"SADD ints a"#, r#":1"#),
    (r#"OBJECT ENCODING ints"#, r#""listpack""#),
    (r#"SREM ints a"#, r#":1"#),
    (r#"OBJECT ENCODING ints"#, r#""listpack""#),
    (r#"SADD lp a b c"#, r#":3"#),
    (r#"OBJECT ENCODING lp"#, r#""listpack""#),
    (r#"SADD lp 1"#, r#":1"#),
    (r#"OBJECT ENCODING lp"#, r#""listpack""#),
    (r#"SADD long 1 2 3"#, r#":3"#),
    (
        r#"SADD long aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"#,
        r#":1"#,
    ),
    (r#"OBJECT ENCODING long"#, r#""hashtable""#),
    (
        r#"SADD long2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"#,
        r#":1"#,
    ),
    (r#"OBJECT ENCODING long2"#, r#""hashtable""#),
    (r#"CONFIG SET set-max-intset-entries 4"#, r#"+OK"#),
    (r#"SADD small 1 2 3 4"#, r#":4"#),
    (r#"OBJECT ENCODING small"#, r#""intset""#),
    (r#"SADD small 5"#, r#":1"#),
    (r#"OBJECT ENCODING small"#, r#""hashtable""#),
    (r#"SADD small2 1 2 3 4 5"#, r#":5"#),
    (r#"OBJECT ENCODING small2"#, r#""listpack""#),
    (r#"CONFIG SET set-max-listpack-entries 3"#, r#"+OK"#),
    (r#"SADD lp3 a b c"#, r#":3"#),
    (r#"OBJECT ENCODING lp3"#, r#""listpack""#),
    (r#"SADD lp3 d"#, r#":1"#),
    (r#"OBJECT ENCODING lp3"#, r#""hashtable""#),
    (r#"SADD lp4 a b c d"#, r#":4"#),
    (r#"OBJECT ENCODING lp4"#, r#""hashtable""#),
    (r#"SADD mixed 1 2 3"#, r#":3"#),
    (r#"SADD mixed x"#, r#":1"#),
    (r#"OBJECT ENCODING mixed"#, r#""hashtable""#),
    (r#"CONFIG SET set-max-listpack-value 2"#, r#"+OK"#),
    (r#"SADD lv ab"#, r#":1"#),
    (r#"OBJECT ENCODING lv"#, r#""listpack""#),
    (r#"SADD lv abc"#, r#":1"#),
    (r#"OBJECT ENCODING lv"#, r#""hashtable""#),
    (r#"SADD iv 1 2"#, r#":2"#),
    (r#"SADD iv 100"#, r#":1"#),
    (r#"OBJECT ENCODING iv"#, r#""intset""#),
    (r#"SADD iv x"#, r#":1"#),
    (r#"OBJECT ENCODING iv"#, r#""hashtable""#),
    (r#"CONFIG SET set-max-intset-entries 512"#, r#"+OK"#),
    (r#"CONFIG SET set-max-listpack-entries 128"#, r#"+OK"#),
    (r#"CONFIG SET set-max-listpack-value 64"#, r#"+OK"#),
];

/// Section `smove` of tests/difftest/sets.txt.
const SMOVE: &[(&str, &str)] = &[
    (r#"SADD src a b 1"#, r#":3"#),
    (r#"SADD dst c"#, r#":1"#),
    (r#"SMOVE src dst a"#, r#":1"#),
    (r#"SMEMBERS src"#, r#"["b", "1"]"#),
    (r#"SMEMBERS dst"#, r#"["c", "a"]"#),
    (r#"SMOVE src dst a"#, r#":0"#),
    (r#"SMOVE src dst z"#, r#":0"#),
    (r#"SMOVE nokey dst a"#, r#":0"#),
    (r#"SMOVE src newdst 1"#, r#":1"#),
    (r#"OBJECT ENCODING newdst"#, r#""intset""#),
    (r#"SMEMBERS newdst"#, r#"["1"]"#),
    (r#"SMOVE src newdst2 b"#, r#":1"#),
    (r#"OBJECT ENCODING newdst2"#, r#""listpack""#),
    (r#"EXISTS src"#, r#":0"#),
    (r#"SADD same x y"#, r#":2"#),
    (r#"SMOVE same same x"#, r#":1"#),
    (r#"SMOVE same same z"#, r#":0"#),
    (r#"SMEMBERS same"#, r#"["x", "y"]"#),
    (r#"SADD d2 c"#, r#":1"#),
    (r#"SADD s2 c"#, r#":1"#),
    (r#"SMOVE s2 d2 c"#, r#":1"#),
    (r#"EXISTS s2"#, r#":0"#),
    (r#"SMEMBERS d2"#, r#"["c"]"#),
    (r#"SET str v"#, r#"+OK"#),
    (r#"SADD s3 a"#, r#":1"#),
    (
        r#"SMOVE s3 str a"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SMOVE str s3 a"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (r#"SMOVE nokey str a"#, r#":0"#),
    (r#"SMEMBERS s3"#, r#"["a"]"#),
    (
        r#"SMOVE s3 dst"#,
        r#"-ERR wrong number of arguments for 'smove' command"#,
    ),
];

/// Section `random_deterministic` of tests/difftest/sets.txt.
const RANDOM_DETERMINISTIC: &[(&str, &str)] = &[
    (r#"SADD one x"#, r#":1"#),
    (r#"SRANDMEMBER one"#, r#""x""#),
    (r#"SRANDMEMBER one 1"#, r#"["x"]"#),
    (r#"SRANDMEMBER one 5"#, r#"["x"]"#),
    (r#"SRANDMEMBER one -3"#, r#"["x", "x", "x"]"#),
    (r#"SRANDMEMBER one 0"#, r#"[]"#),
    (r#"SRANDMEMBER nokey"#, r#"(nil)"#),
    (r#"SRANDMEMBER nokey 5"#, r#"[]"#),
    (r#"SRANDMEMBER nokey -5"#, r#"[]"#),
    (
        r#"SRANDMEMBER one abc"#,
        r#"-ERR value is not an integer or out of range"#,
    ),
    (
        r#"SRANDMEMBER one 1.5"#,
        r#"-ERR value is not an integer or out of range"#,
    ),
    (
        r#"SRANDMEMBER one -9223372036854775808"#,
        r#"-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"#,
    ),
    (r#"SRANDMEMBER one 1 2"#, r#"-ERR syntax error"#),
    (r#"SADD i 3 1 2"#, r#":3"#),
    (r#"SRANDMEMBER i 3"#, r#"["1", "2", "3"]"#),
    (r#"SRANDMEMBER i 10"#, r#"["1", "2", "3"]"#),
    (r#"SPOP nokey"#, r#"(nil)"#),
    (r#"SPOP nokey 3"#, r#"[]"#),
    (r#"SPOP nokey 0"#, r#"[]"#),
    (r#"SPOP one 0"#, r#"[]"#),
    (
        r#"SPOP one -1"#,
        r#"-ERR value is out of range, must be positive"#,
    ),
    (
        r#"SPOP one abc"#,
        r#"-ERR value is out of range, must be positive"#,
    ),
    (r#"SPOP one 1 2"#, r#"-ERR syntax error"#),
    (
        r#"SPOP nokey -1"#,
        r#"-ERR value is out of range, must be positive"#,
    ),
    (r#"SPOP one"#, r#""x""#),
    (r#"EXISTS one"#, r#":0"#),
    (r#"SPOP i 10"#, r#"["1", "2", "3"]"#),
    (r#"EXISTS i"#, r#":0"#),
    (r#"SADD lp b a 3 c 1"#, r#":5"#),
    (r#"SPOP lp 5"#, r#"["b", "a", "3", "c", "1"]"#),
    (r#"EXISTS lp"#, r#":0"#),
    (r#"SADD i2 5 6"#, r#":2"#),
    (r#"SPOP i2 2"#, r#"["5", "6"]"#),
];

/// Section `algebra` of tests/difftest/sets.txt.
const ALGEBRA: &[(&str, &str)] = &[
    (r#"SADD a 1 2 3 4"#, r#":4"#),
    (r#"SADD b 3 4 5"#, r#":3"#),
    (r#"SADD c x 3 y"#, r#":3"#),
    (r#"SINTER a b"#, r#"["3", "4"]"#),
    (r#"SINTER a b c"#, r#"["3"]"#),
    (r#"SINTER a nokey"#, r#"[]"#),
    (r#"SINTER nokey a"#, r#"[]"#),
    (r#"SINTER a"#, r#"["1", "2", "3", "4"]"#),
    (r#"SUNION a b"#, r#"["1", "2", "3", "4", "5"]"#),
    (r#"SUNION a nokey b"#, r#"["1", "2", "3", "4", "5"]"#),
    (r#"SUNION nokey"#, r#"[]"#),
    (r#"SUNION a c"#, r#"["1", "2", "3", "4", "x", "y"]"#),
    (r#"SDIFF a b"#, r#"["1", "2"]"#),
    (r#"SDIFF a b c"#, r#"["1", "2"]"#),
    (r#"SDIFF a nokey"#, r#"["1", "2", "3", "4"]"#),
    (r#"SDIFF nokey a"#, r#"[]"#),
    (r#"SDIFF a a"#, r#"[]"#),
    (r#"SDIFF a b a"#, r#"[]"#),
    (r#"SDIFF c a"#, r#"["x", "y"]"#),
    (r#"SINTERSTORE d a b"#, r#":2"#),
    (r#"SMEMBERS d"#, r#"["3", "4"]"#),
    (r#"OBJECT ENCODING d"#, r#""intset""#),
    (r#"SINTERSTORE d a c"#, r#":1"#),
    (r#"SMEMBERS d"#, r#"["3"]"#),
    (r#"OBJECT ENCODING d"#, r#""intset""#),
    (r#"SINTERSTORE d a nokey"#, r#":0"#),
    (r#"EXISTS d"#, r#":0"#),
    (r#"SINTERSTORE d nokey"#, r#":0"#),
    (r#"SUNIONSTORE u a b"#, r#":5"#),
    (r#"SMEMBERS u"#, r#"["1", "2", "3", "4", "5"]"#),
    (r#"OBJECT ENCODING u"#, r#""intset""#),
    (r#"SUNIONSTORE u a c"#, r#":6"#),
    (r#"SMEMBERS u"#, r#"["1", "2", "3", "4", "x", "y"]"#),
    (r#"OBJECT ENCODING u"#, r#""listpack""#),
    (r#"SUNIONSTORE u nokey"#, r#":0"#),
    (r#"EXISTS u"#, r#":0"#),
    (r#"SDIFFSTORE df a b"#, r#":2"#),
    (r#"SMEMBERS df"#, r#"["1", "2"]"#),
    (r#"SDIFFSTORE df c a"#, r#":2"#),
    (r#"SMEMBERS df"#, r#"["x", "y"]"#),
    (r#"OBJECT ENCODING df"#, r#""listpack""#),
    (r#"SDIFFSTORE df a a"#, r#":0"#),
    (r#"EXISTS df"#, r#":0"#),
    (r#"SET str v"#, r#"+OK"#),
    (r#"EXPIRE d 100"#, r#":0"#),
    (r#"SINTERSTORE d a b"#, r#":2"#),
    (r#"TTL d"#, r#":-1"#),
    (r#"SINTERSTORE str a b"#, r#":2"#),
    (r#"TYPE str"#, r#"+set"#),
    (r#"SET str v"#, r#"+OK"#),
    (r#"SUNIONSTORE str nokey"#, r#":0"#),
    (r#"EXISTS str"#, r#":0"#),
    (r#"SET str v"#, r#"+OK"#),
    (
        r#"SINTER a str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SINTER nokey str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SUNION a str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SDIFF nokey str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SDIFF str a"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SINTERSTORE d a str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SUNIONSTORE d str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SDIFFSTORE d a str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (r#"SINTERSTORE a a b"#, r#":2"#),
    (r#"SMEMBERS a"#, r#"["3", "4"]"#),
];

/// Section `sintercard` of tests/difftest/sets.txt.
const SINTERCARD: &[(&str, &str)] = &[
    (r#"SADD a 1 2 3 4 5"#, r#":5"#),
    (r#"SADD b 2 3 4 5 6"#, r#":5"#),
    (r#"SINTERCARD 2 a b"#, r#":4"#),
    (r#"SINTERCARD 2 a b LIMIT 0"#, r#":4"#),
    (r#"SINTERCARD 2 a b LIMIT 2"#, r#":2"#),
    (r#"SINTERCARD 2 a b limit 10"#, r#":4"#),
    (r#"SINTERCARD 1 a"#, r#":5"#),
    (r#"SINTERCARD 2 a nokey"#, r#":0"#),
    (r#"SINTERCARD 2 a b LIMIT 1 LIMIT 3"#, r#":3"#),
    (
        r#"SINTERCARD 0 a"#,
        r#"-ERR numkeys should be greater than 0"#,
    ),
    (
        r#"SINTERCARD -1 a"#,
        r#"-ERR numkeys should be greater than 0"#,
    ),
    (
        r#"SINTERCARD x a"#,
        r#"-ERR numkeys should be greater than 0"#,
    ),
    (
        r#"SINTERCARD 3 a b"#,
        r#"-ERR Number of keys can't be greater than number of args"#,
    ),
    (r#"SINTERCARD 2 a b LIMIT"#, r#"-ERR syntax error"#),
    (
        r#"SINTERCARD 2 a b LIMIT -1"#,
        r#"-ERR LIMIT can't be negative"#,
    ),
    (
        r#"SINTERCARD 2 a b LIMIT x"#,
        r#"-ERR LIMIT can't be negative"#,
    ),
    (r#"SINTERCARD 2 a b FOO"#, r#"-ERR syntax error"#),
    (r#"SINTERCARD 1 a b"#, r#"-ERR syntax error"#),
    (r#"SET str v"#, r#"+OK"#),
    (
        r#"SINTERCARD 2 a str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SINTERCARD 2 nokey str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SINTERCARD 1"#,
        r#"-ERR wrong number of arguments for 'sintercard' command"#,
    ),
];

/// Section `sscan` of tests/difftest/sets.txt.
const SSCAN: &[(&str, &str)] = &[
    (r#"SADD i 1 2 3"#, r#":3"#),
    (r#"SSCAN i 0"#, r#"["0", ["1", "2", "3"]]"#),
    (r#"SSCAN i 123"#, r#"["0", ["1", "2", "3"]]"#),
    (r#"SSCAN i 0 COUNT 1"#, r#"["0", ["1", "2", "3"]]"#),
    (r#"SSCAN i 0 MATCH 2"#, r#"["0", ["2"]]"#),
    (r#"SSCAN i 0 MATCH *3* COUNT 100"#, r#"["0", ["3"]]"#),
    (r#"SADD lp a b c ab"#, r#":4"#),
    (r#"SSCAN lp 0 MATCH a*"#, r#"["0", ["a", "ab"]]"#),
    (r#"SSCAN nokey 0"#, r#"["0", []]"#),
    (r#"SSCAN nokey 0 COUNT 0"#, r#"["0", []]"#),
    (r#"SSCAN i 0 COUNT 0"#, r#"-ERR syntax error"#),
    (r#"SSCAN i 0 COUNT -1"#, r#"-ERR syntax error"#),
    (
        r#"SSCAN i 0 COUNT x"#,
        r#"-ERR value is not an integer or out of range"#,
    ),
    (r#"SSCAN i 0 MATCH"#, r#"-ERR syntax error"#),
    (r#"SSCAN i 0 FOO bar"#, r#"-ERR syntax error"#),
    (r#"SSCAN i abc"#, r#"-ERR invalid cursor"#),
    (r#"SSCAN i -1"#, r#"["0", ["1", "2", "3"]]"#),
    (
        r#"SSCAN i 18446744073709551615"#,
        r#"["0", ["1", "2", "3"]]"#,
    ),
    (r#"SSCAN i 18446744073709551616"#, r#"-ERR invalid cursor"#),
    (r#"SET str v"#, r#"+OK"#),
    (
        r#"SSCAN str 0"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (r#"SSCAN str x"#, r#"-ERR invalid cursor"#),
];

/// Section `wrongtype_and_arity` of tests/difftest/sets.txt.
const WRONGTYPE_AND_ARITY: &[(&str, &str)] = &[
    (r#"SET str v"#, r#"+OK"#),
    (
        r#"SADD str a"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SREM str a"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SCARD str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SISMEMBER str a"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SMISMEMBER str a"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SMEMBERS str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SRANDMEMBER str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SRANDMEMBER str 2"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SPOP str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SPOP str 2"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SINTER str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SUNION str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SDIFF str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SINTERSTORE d str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SUNIONSTORE d str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SDIFFSTORE d str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SINTERCARD 1 str"#,
        r#"-WRONGTYPE Operation against a key holding the wrong kind of value"#,
    ),
    (
        r#"SADD"#,
        r#"-ERR wrong number of arguments for 'sadd' command"#,
    ),
    (
        r#"SADD s"#,
        r#"-ERR wrong number of arguments for 'sadd' command"#,
    ),
    (
        r#"SREM s"#,
        r#"-ERR wrong number of arguments for 'srem' command"#,
    ),
    (
        r#"SCARD"#,
        r#"-ERR wrong number of arguments for 'scard' command"#,
    ),
    (
        r#"SCARD s x"#,
        r#"-ERR wrong number of arguments for 'scard' command"#,
    ),
    (
        r#"SISMEMBER s"#,
        r#"-ERR wrong number of arguments for 'sismember' command"#,
    ),
    (
        r#"SISMEMBER s a b"#,
        r#"-ERR wrong number of arguments for 'sismember' command"#,
    ),
    (
        r#"SMISMEMBER s"#,
        r#"-ERR wrong number of arguments for 'smismember' command"#,
    ),
    (
        r#"SMEMBERS"#,
        r#"-ERR wrong number of arguments for 'smembers' command"#,
    ),
    (
        r#"SMEMBERS s x"#,
        r#"-ERR wrong number of arguments for 'smembers' command"#,
    ),
    (
        r#"SRANDMEMBER"#,
        r#"-ERR wrong number of arguments for 'srandmember' command"#,
    ),
    (
        r#"SPOP"#,
        r#"-ERR wrong number of arguments for 'spop' command"#,
    ),
    (
        r#"SMOVE a b"#,
        r#"-ERR wrong number of arguments for 'smove' command"#,
    ),
    (
        r#"SMOVE a b c d"#,
        r#"-ERR wrong number of arguments for 'smove' command"#,
    ),
    (
        r#"SINTER"#,
        r#"-ERR wrong number of arguments for 'sinter' command"#,
    ),
    (
        r#"SINTERCARD 1"#,
        r#"-ERR wrong number of arguments for 'sintercard' command"#,
    ),
    (
        r#"SINTERSTORE d"#,
        r#"-ERR wrong number of arguments for 'sinterstore' command"#,
    ),
    (
        r#"SUNION"#,
        r#"-ERR wrong number of arguments for 'sunion' command"#,
    ),
    (
        r#"SUNIONSTORE d"#,
        r#"-ERR wrong number of arguments for 'sunionstore' command"#,
    ),
    (
        r#"SDIFF"#,
        r#"-ERR wrong number of arguments for 'sdiff' command"#,
    ),
    (
        r#"SDIFFSTORE d"#,
        r#"-ERR wrong number of arguments for 'sdiffstore' command"#,
    ),
    (
        r#"SSCAN s"#,
        r#"-ERR wrong number of arguments for 'sscan' command"#,
    ),
];

#[test]
fn table_sadd_srem_card() {
    let s = Server::start();
    check(&mut s.raw(), SADD_SREM_CARD);
}

#[test]
fn table_intset_order() {
    let s = Server::start();
    check(&mut s.raw(), INTSET_ORDER);
}

#[test]
fn table_encodings() {
    let s = Server::start();
    check(&mut s.raw(), ENCODINGS);
}

#[test]
fn table_smove() {
    let s = Server::start();
    check(&mut s.raw(), SMOVE);
}

#[test]
fn table_random_deterministic() {
    let s = Server::start();
    check(&mut s.raw(), RANDOM_DETERMINISTIC);
}

#[test]
fn table_algebra() {
    let s = Server::start();
    check(&mut s.raw(), ALGEBRA);
}

#[test]
fn table_sintercard() {
    let s = Server::start();
    check(&mut s.raw(), SINTERCARD);
}

#[test]
fn table_sscan() {
    let s = Server::start();
    check(&mut s.raw(), SSCAN);
}

#[test]
fn table_wrongtype_and_arity() {
    let s = Server::start();
    check(&mut s.raw(), WRONGTYPE_AND_ARITY);
}

fn hello3(r: &mut Raw) {
    assert!(matches!(r.cmd(&["HELLO", "3"]), Frame::Map(_)));
}

#[test]
fn resp3_reply_shapes() {
    let s = Server::start();
    let mut r = s.raw();
    hello3(&mut r);
    assert_eq!(r.s("SADD a 3 1 2"), ":3");
    assert_eq!(r.s("SADD b 2 3 4"), ":3");
    assert_eq!(r.s("SMEMBERS a"), r#"~["1", "2", "3"]"#);
    assert_eq!(r.s("SMEMBERS nokey"), "~[]");
    assert_eq!(r.s("SINTER a b"), r#"~["2", "3"]"#);
    assert_eq!(r.s("SINTER a nokey"), "~[]");
    assert_eq!(r.s("SUNION a b"), r#"~["1", "2", "3", "4"]"#);
    assert_eq!(r.s("SDIFF a b"), r#"~["1"]"#);
    assert_eq!(r.s("SDIFF nokey a"), "~[]");
    assert_eq!(r.s("SISMEMBER a 1"), ":1");
    assert_eq!(r.s("SMISMEMBER a 1 9"), "[:1, :0]");
    assert_eq!(r.s("SCARD a"), ":3");
    // SRANDMEMBER with a count replies an array, SPOP with a count a set.
    assert_eq!(r.s("SRANDMEMBER a 10"), r#"["1", "2", "3"]"#);
    assert_eq!(r.s("SRANDMEMBER a -2").len(), r#"["1", "1"]"#.len());
    assert_eq!(r.s("SRANDMEMBER nokey 3"), "[]");
    assert_eq!(r.s("SRANDMEMBER nokey"), "(nil)");
    assert_eq!(r.s("SPOP nokey"), "(nil)");
    assert_eq!(r.s("SPOP nokey 2"), "~[]");
    assert_eq!(r.s("SPOP a 0"), "~[]");
    assert_eq!(r.s("SPOP a 3"), r#"~["1", "2", "3"]"#);
    assert_eq!(r.s("SADD a x"), ":1");
    assert_eq!(r.s("SPOP a"), "\"x\"");
    assert_eq!(r.s("SADD a x y z"), ":3");
    let f = r.cmd(&["SPOP", "a", "2"]);
    assert!(matches!(&f, Frame::Set(v) if v.len() == 2), "{f}");
    assert_eq!(r.s("SSCAN b 0"), r#"["0", ["2", "3", "4"]]"#);
    assert_eq!(r.s("SINTERCARD 2 a b"), ":0");
    assert_eq!(r.s("SINTERSTORE d a b"), ":0");
    assert_eq!(r.s("SUNIONSTORE d b"), ":3");
    // RESP2 for comparison: sets are plain arrays, nil is a null bulk.
    let mut r2 = s.raw();
    assert_eq!(r2.s("SMEMBERS b"), r#"["2", "3", "4"]"#);
    assert_eq!(r2.s("SPOP nokey 2"), "[]");
    assert_eq!(r2.s("SPOP nokey"), "(nil)");
    assert_eq!(r2.s("SMEMBERS nokey"), "[]");
}

#[test]
fn keyspace_events() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "KEA");
    assert_eq!(r.s("SADD s a b c"), ":3");
    assert_eq!(next_event(&mut sub), "sadd s");
    assert_eq!(r.s("SADD s a"), ":0");
    assert_eq!(r.s("SREM s a zz"), ":1");
    assert_eq!(next_event(&mut sub), "srem s");
    assert_eq!(r.s("SMOVE s t b"), ":1");
    assert_eq!(next_event(&mut sub), "srem s");
    assert_eq!(next_event(&mut sub), "sadd t");
    assert_eq!(r.s("SMOVE s t c"), ":1");
    assert_eq!(next_event(&mut sub), "srem s");
    assert_eq!(next_event(&mut sub), "del s");
    assert_eq!(next_event(&mut sub), "sadd t");
    assert_eq!(r.s("SADD u b"), ":1");
    assert_eq!(next_event(&mut sub), "sadd u");
    assert_eq!(r.s("SMOVE t u b"), ":1");
    assert_eq!(next_event(&mut sub), "srem t");
    // Already in the destination: no sadd event.
    assert_eq!(r.s("SINTERSTORE i t u"), ":0");
    assert_eq!(r.s("SINTERSTORE i t t"), ":1");
    assert_eq!(next_event(&mut sub), "sinterstore i");
    assert_eq!(r.s("SUNIONSTORE un t u"), ":2");
    assert_eq!(next_event(&mut sub), "sunionstore un");
    assert_eq!(r.s("SDIFFSTORE df un t"), ":1");
    assert_eq!(next_event(&mut sub), "sdiffstore df");
    assert_eq!(r.s("SDIFFSTORE df t t"), ":0");
    assert_eq!(next_event(&mut sub), "del df");
    assert_eq!(r.s("SPOP i"), "\"c\"");
    assert_eq!(next_event(&mut sub), "spop i");
    assert_eq!(next_event(&mut sub), "del i");
    assert_eq!(r.s("SADD p 1 2 3 4"), ":4");
    assert_eq!(next_event(&mut sub), "sadd p");
    let f = r.cmd(&["SPOP", "p", "2"]);
    assert_eq!(f.items().len(), 2);
    assert_eq!(next_event(&mut sub), "spop p");
    assert_eq!(r.s("SPOP p 5").matches(',').count(), 1);
    assert_eq!(next_event(&mut sub), "spop p");
    assert_eq!(next_event(&mut sub), "del p");
    assert_eq!(r.s("SREM un b c"), ":2");
    assert_eq!(next_event(&mut sub), "srem un");
    assert_eq!(next_event(&mut sub), "del un");
    // Nothing else was published: the next message is this marker.
    assert_eq!(r.s("PUBLISH __keyevent@0__:marker x"), ":1");
    assert_eq!(next_event(&mut sub), "marker x");
}

#[test]
fn watch_is_invalidated_by_writes_only() {
    let s = Server::start();
    let mut r = s.raw();
    let mut other = s.raw();
    assert_eq!(r.s("SADD s a b"), ":2");
    let run = |r: &mut Raw, other: &mut Raw, cmd: &str| -> String {
        assert_eq!(r.s("WATCH s"), "+OK");
        other.s(cmd);
        assert_eq!(r.s("MULTI"), "+OK");
        assert_eq!(r.s("PING"), "+QUEUED");
        r.s("EXEC")
    };
    assert_eq!(run(&mut r, &mut other, "SADD s a"), "[+PONG]");
    assert_eq!(run(&mut r, &mut other, "SREM s zz"), "[+PONG]");
    assert_eq!(run(&mut r, &mut other, "SMEMBERS s"), "[+PONG]");
    assert_eq!(run(&mut r, &mut other, "SADD s c"), "(nil-array)");
    assert_eq!(run(&mut r, &mut other, "SREM s c"), "(nil-array)");
    assert_eq!(run(&mut r, &mut other, "SMOVE s t a"), "(nil-array)");
    assert_eq!(run(&mut r, &mut other, "SPOP s"), "(nil-array)");
    assert_eq!(run(&mut r, &mut other, "SUNIONSTORE s t"), "(nil-array)");
    assert_eq!(
        run(&mut r, &mut other, "SINTERSTORE s nokey"),
        "(nil-array)"
    );
}

#[test]
fn store_replaces_value_and_ttl() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("SADD a 1 2"), ":2");
    assert_eq!(r.s("SET d string"), "+OK");
    assert_eq!(r.s("EXPIRE d 1000"), ":1");
    assert_eq!(r.s("SUNIONSTORE d a"), ":2");
    assert_eq!(r.s("TYPE d"), "+set");
    assert_eq!(r.s("TTL d"), ":-1");
    // A store whose destination is also a source.
    assert_eq!(r.s("SADD b 2 3"), ":2");
    assert_eq!(r.s("SDIFFSTORE a a b"), ":1");
    assert_eq!(r.s("SMEMBERS a"), r#"["1"]"#);
    assert_eq!(r.s("SUNIONSTORE a a b a"), ":3");
    assert_eq!(r.s("SMEMBERS a"), r#"["1", "2", "3"]"#);
}

// ---------------------------------------------------------------------------------------------
// Random commands
// ---------------------------------------------------------------------------------------------

/// Pearson's chi-square statistic of `counts` against a uniform distribution.
fn chi_square(counts: &HashMap<Vec<u8>, usize>, categories: usize, samples: usize) -> f64 {
    assert_eq!(counts.len(), categories, "every member must be drawn");
    let e = samples as f64 / categories as f64;
    counts.values().map(|&o| (o as f64 - e).powi(2) / e).sum()
}

/// Generous bound for a chi-square with `df` degrees of freedom: the mean plus ten standard
/// deviations (a false failure is astronomically unlikely; a biased picker still fails).
fn chi_bound(df: usize) -> f64 {
    df as f64 + 10.0 * (2.0 * df as f64).sqrt()
}

fn fill(r: &mut Raw, key: &str, members: &[String]) {
    for chunk in members.chunks(1000) {
        let mut args = vec!["SADD".to_string(), key.to_string()];
        args.extend(chunk.iter().cloned());
        assert_eq!(r.cmd(&args), Frame::Int(chunk.len() as i64));
    }
}

/// Members making each encoding: integers (intset), short strings (listpack), many strings
/// (hashtable).
fn encoding_cases() -> Vec<(&'static str, Vec<String>)> {
    vec![
        (
            "intset",
            (0..20).map(|i| (i * 7 - 30).to_string()).collect(),
        ),
        ("listpack", (0..20).map(|i| format!("m{i}")).collect()),
        (
            "hashtable",
            (0..300).map(|i| format!("member-{i}")).collect(),
        ),
    ]
}

#[test]
fn srandmember_negative_count_is_uniform_with_repeats() {
    let s = Server::start();
    let mut r = s.raw();
    for (encoding, members) in encoding_cases() {
        let key = format!("s-{encoding}");
        fill(&mut r, &key, &members);
        assert_eq!(
            r.s(&format!("OBJECT ENCODING {key}")),
            format!("\"{encoding}\"")
        );
        let samples = members.len() * 200;
        let f = r.cmd(&["SRANDMEMBER", &key, &format!("-{samples}")]);
        let items = f.items();
        assert_eq!(items.len(), samples);
        let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
        for it in items {
            *counts.entry(it.as_bytes().to_vec()).or_default() += 1;
        }
        let chi = chi_square(&counts, members.len(), samples);
        assert!(chi < chi_bound(members.len() - 1), "{encoding}: chi2 {chi}");
        // A negative count larger than the set must repeat members.
        let f = r.cmd(&["SRANDMEMBER", &key, &format!("-{}", members.len() + 1)]);
        let distinct: HashSet<&[u8]> = f.items().iter().map(|x| x.as_bytes()).collect();
        assert!(distinct.len() <= members.len());
    }
}

#[test]
fn srandmember_positive_count_never_repeats_and_is_uniform() {
    let s = Server::start();
    let mut r = s.raw();
    for (encoding, members) in encoding_cases() {
        let key = format!("s-{encoding}");
        fill(&mut r, &key, &members);
        let all: HashSet<Vec<u8>> = members.iter().map(|m| m.as_bytes().to_vec()).collect();
        // Several count sizes: a few members, most of the set (other strategies), all of it.
        let n = members.len();
        for count in [1, 3, n / 2, n - 1, n, n + 5] {
            let rounds = (n * 40 / count.min(n)).max(20);
            let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
            for _ in 0..rounds {
                let f = r.cmd(&["SRANDMEMBER", &key, &count.to_string()]);
                let items = f.items();
                assert_eq!(items.len(), count.min(n));
                let distinct: HashSet<&[u8]> = items.iter().map(|x| x.as_bytes()).collect();
                assert_eq!(
                    distinct.len(),
                    items.len(),
                    "{encoding} count {count}: repeats"
                );
                for it in items {
                    assert!(all.contains(it.as_bytes()));
                    *counts.entry(it.as_bytes().to_vec()).or_default() += 1;
                }
            }
            if count < n {
                let samples = rounds * count;
                let chi = chi_square(&counts, n, samples);
                // Draws without replacement vary less than independent ones: the bound holds.
                assert!(
                    chi < chi_bound(n - 1),
                    "{encoding} count {count}: chi2 {chi}"
                );
            }
        }
        // Single draws are uniform too.
        let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
        let samples = n * 60;
        for _ in 0..samples {
            r.send_cmd(&["SRANDMEMBER", &key]);
        }
        for _ in 0..samples {
            *counts.entry(r.read().as_bytes().to_vec()).or_default() += 1;
        }
        let chi = chi_square(&counts, n, samples);
        assert!(chi < chi_bound(n - 1), "{encoding} single: chi2 {chi}");
    }
}

#[test]
fn spop_is_uniform_and_never_repeats() {
    let s = Server::start();
    let mut r = s.raw();
    for (encoding, members) in encoding_cases() {
        let n = members.len();
        // SPOP one member from a fresh set, many times.
        let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
        let rounds = if n > 100 { n * 10 } else { n * 60 };
        for _ in 0..rounds {
            let mut args = vec!["SADD".to_string(), "p".to_string()];
            args.extend(members.iter().cloned());
            r.send_cmd(&args);
            r.send_cmd(&["OBJECT", "ENCODING", "p"]);
            r.send_cmd(&["SPOP", "p"]);
            r.send_cmd(&["DEL", "p"]);
        }
        for _ in 0..rounds {
            let added = r.read();
            assert!(matches!(added, Frame::Int(_)), "{added}");
            assert_eq!(r.read().as_bytes(), encoding.as_bytes());
            *counts.entry(r.read().as_bytes().to_vec()).or_default() += 1;
            assert_eq!(r.read(), Frame::Int(1));
        }
        let chi = chi_square(&counts, n, rounds);
        assert!(chi < chi_bound(n - 1), "{encoding}: chi2 {chi}");
        // SPOP with counts: distinct, removed, and all of them eventually.
        fill(&mut r, "q", &members);
        let mut popped: HashSet<Vec<u8>> = HashSet::new();
        for count in [1usize, 2, 5, n / 3, n] {
            let f = r.cmd(&["SPOP", "q", &count.to_string()]);
            for it in f.items() {
                assert!(popped.insert(it.as_bytes().to_vec()), "popped twice");
                assert_eq!(
                    r.cmd(&["SISMEMBER", "q", &String::from_utf8_lossy(it.as_bytes())]),
                    Frame::Int(0)
                );
            }
        }
        assert_eq!(popped.len(), n);
        assert_eq!(r.s("EXISTS q"), ":0");
    }
}

#[test]
fn spop_count_keeps_the_rest_intact() {
    let s = Server::start();
    let mut r = s.raw();
    for (encoding, members) in encoding_cases() {
        let n = members.len();
        // Both strategies: pop few (one by one) and pop most (rebuild from survivors).
        for count in [2, n - 2] {
            fill(&mut r, "k", &members);
            let popped: BTreeSet<Vec<u8>> = r
                .cmd(&["SPOP", "k", &count.to_string()])
                .items()
                .iter()
                .map(|f| f.as_bytes().to_vec())
                .collect();
            assert_eq!(popped.len(), count);
            let rest: BTreeSet<Vec<u8>> = r
                .cmd(&["SMEMBERS", "k"])
                .items()
                .iter()
                .map(|f| f.as_bytes().to_vec())
                .collect();
            assert_eq!(rest.len(), n - count, "{encoding}");
            assert!(popped.is_disjoint(&rest));
            let union: BTreeSet<Vec<u8>> = popped.union(&rest).cloned().collect();
            let all: BTreeSet<Vec<u8>> = members.iter().map(|m| m.as_bytes().to_vec()).collect();
            assert_eq!(union, all);
            assert_eq!(r.s("SCARD k"), format!(":{}", n - count));
            assert_eq!(r.s("DEL k"), ":1");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------------------------

fn sscan_all(r: &mut Raw, key: &str, extra: &[&str]) -> (Vec<Vec<u8>>, usize) {
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    let mut calls = 0;
    loop {
        let mut args = vec!["SSCAN", key, &cursor];
        args.extend_from_slice(extra);
        let f = r.cmd(&args);
        calls += 1;
        let items = f.items();
        cursor = String::from_utf8(items[0].as_bytes().to_vec()).unwrap();
        out.extend(items[1].items().iter().map(|m| m.as_bytes().to_vec()));
        if cursor == "0" {
            return (out, calls);
        }
    }
}

#[test]
fn sscan_hashtable_returns_every_member_once() {
    let s = Server::start();
    let mut r = s.raw();
    let members: Vec<String> = (0..5000).map(|i| format!("m:{i}")).collect();
    fill(&mut r, "h", &members);
    assert_eq!(r.s("OBJECT ENCODING h"), "\"hashtable\"");
    let (got, calls) = sscan_all(&mut r, "h", &["COUNT", "100"]);
    assert!(
        calls > 10,
        "a hashtable is scanned in steps ({calls} calls)"
    );
    let set: HashSet<Vec<u8>> = got.iter().cloned().collect();
    assert_eq!(set.len(), got.len(), "no duplicates without rehashing");
    assert_eq!(set.len(), 5000);
    // MATCH filters after the step: the cursor still walks the whole table.
    let (got, _) = sscan_all(&mut r, "h", &["MATCH", "m:1?", "COUNT", "500"]);
    let mut got: Vec<String> = got
        .into_iter()
        .map(|m| String::from_utf8(m).unwrap())
        .collect();
    got.sort();
    let mut want: Vec<String> = (10..20).map(|i| format!("m:{i}")).collect();
    want.sort();
    assert_eq!(got, want);
    // Members present for the whole scan are returned even if the set changes meanwhile.
    let mut cursor = "0".to_string();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut step = 0;
    loop {
        let f = r.cmd(&["SSCAN", "h", &cursor, "COUNT", "50"]);
        let items = f.items();
        cursor = String::from_utf8(items[0].as_bytes().to_vec()).unwrap();
        seen.extend(items[1].items().iter().map(|m| m.as_bytes().to_vec()));
        // Grow (forcing rehashes) and shrink the set while scanning: only the members below
        // 2500 stay throughout.
        let mut args = vec!["SADD".to_string(), "h".to_string()];
        args.extend((0..200).map(|i| format!("new:{step}:{i}")));
        r.cmd(&args);
        r.cmd(&["SREM", "h", &format!("m:{}", 4999 - step)]);
        step += 1;
        if cursor == "0" {
            break;
        }
    }
    for i in 0..2500 {
        assert!(seen.contains(format!("m:{i}").as_bytes()), "m:{i} missed");
    }
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

#[test]
fn concurrent_sadd_and_smove_lose_nothing() {
    let s = Server::start();
    let port = s.port;
    let writers: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut r = Raw::connect(port);
                for b in 0..20 {
                    let mut args = vec!["SADD".to_string(), "shared".to_string()];
                    // Overlapping ranges between threads.
                    args.extend((0..100).map(|i| format!("x{}", t * 1000 + b * 50 + i)));
                    let f = r.cmd(&args);
                    assert!(matches!(f, Frame::Int(_)), "{f}");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let mut want: HashSet<String> = HashSet::new();
    for t in 0..4 {
        for b in 0..20 {
            for i in 0..100 {
                want.insert(format!("x{}", t * 1000 + b * 50 + i));
            }
        }
    }
    let mut r = s.raw();
    assert_eq!(r.s("SCARD shared"), format!(":{}", want.len()));

    // Members shuttled between two sets by competing clients: none lost or duplicated.
    let members: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    fill(&mut r, "left", &members);
    let movers: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut r = Raw::connect(port);
                let mut rng = SmallRng::seed_from_u64(t);
                let mut moved = 0;
                for _ in 0..500 {
                    let m = format!("m{}", rng.random_range(0..300));
                    let (a, b) = if rng.random_range(0..2) == 0 {
                        ("left", "right")
                    } else {
                        ("right", "left")
                    };
                    moved += r.cmd(&["SMOVE", a, b, &m]).as_int();
                }
                moved
            })
        })
        .collect();
    let moved: i64 = movers.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(moved > 0);
    let left = r.cmd(&["SMEMBERS", "left"]);
    let right = r.cmd(&["SMEMBERS", "right"]);
    let l: HashSet<&[u8]> = left.items().iter().map(|f| f.as_bytes()).collect();
    let rr: HashSet<&[u8]> = right.items().iter().map(|f| f.as_bytes()).collect();
    assert!(l.is_disjoint(&rr));
    assert_eq!(l.len() + rr.len(), 300);
}

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

fn members_of(r: &mut Raw, key: &str) -> BTreeSet<Vec<u8>> {
    r.cmd(&["SMEMBERS", key])
        .items()
        .iter()
        .map(|f| f.as_bytes().to_vec())
        .collect()
}

fn all_ints(set: &HashSet<Vec<u8>>) -> bool {
    set.iter().all(|m| {
        let s = std::str::from_utf8(m).unwrap_or("x");
        s.parse::<i64>().is_ok_and(|v| v.to_string() == s)
    })
}

/// Random commands over four keys, mirrored on `HashSet`s, with thresholds lowered so that
/// sets keep converting between intset, listpack and hashtable. After every command the
/// reply and the contents (and the encoding's plausibility) are compared with the model.
#[test]
fn randomized_against_hashset_model() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET set-max-intset-entries 12"), "+OK");
    assert_eq!(r.s("CONFIG SET set-max-listpack-entries 8"), "+OK");
    assert_eq!(r.s("CONFIG SET set-max-listpack-value 6"), "+OK");
    let mut rng = SmallRng::seed_from_u64(2026);
    let keys = ["k0", "k1", "k2", "k3"];
    let pool: Vec<Vec<u8>> = (-6..20)
        .map(|i: i32| i.to_string().into_bytes())
        .chain(
            [
                "007",
                "+1",
                "-0",
                "a",
                "b",
                "c",
                "abcdef",
                "abcdefg",
                "longer-member",
                "",
            ]
            .iter()
            .map(|s| s.as_bytes().to_vec()),
        )
        .chain([b"\x00\xff".to_vec(), b"9223372036854775807".to_vec()])
        .collect();
    let mut model: HashMap<&str, HashSet<Vec<u8>>> = HashMap::new();
    for step in 0..3000 {
        let k = keys[rng.random_range(0..keys.len())];
        let k2 = keys[rng.random_range(0..keys.len())];
        let pick = |rng: &mut SmallRng| pool[rng.random_range(0..pool.len())].clone();
        let op = rng.random_range(0..11);
        let ctx = format!("step {step} op {op}");
        match op {
            0..=2 => {
                let n = rng.random_range(1..6);
                let ms: Vec<Vec<u8>> = (0..n).map(|_| pick(&mut rng)).collect();
                let mut args: Vec<Vec<u8>> = vec![b"SADD".to_vec(), k.as_bytes().to_vec()];
                args.extend(ms.iter().cloned());
                let set = model.entry(k).or_default();
                let added = ms.iter().filter(|m| set.insert((*m).clone())).count();
                assert_eq!(r.cmd(&args), Frame::Int(added as i64), "{ctx}");
            }
            3 => {
                let n = rng.random_range(1..4);
                let ms: Vec<Vec<u8>> = (0..n).map(|_| pick(&mut rng)).collect();
                let mut args: Vec<Vec<u8>> = vec![b"SREM".to_vec(), k.as_bytes().to_vec()];
                args.extend(ms.iter().cloned());
                let set = model.entry(k).or_default();
                let removed = ms.iter().filter(|m| set.remove(*m)).count();
                assert_eq!(r.cmd(&args), Frame::Int(removed as i64), "{ctx}");
            }
            4 => {
                let m = pick(&mut rng);
                let in_src = model.get(k).is_some_and(|s| s.contains(&m));
                let moved = in_src;
                if in_src && k != k2 {
                    model.get_mut(k).unwrap().remove(&m);
                    model.entry(k2).or_default().insert(m.clone());
                }
                let f = r.cmd(&[b"SMOVE".as_slice(), k.as_bytes(), k2.as_bytes(), &m]);
                assert_eq!(f, Frame::Int(moved as i64), "{ctx}");
            }
            5 => {
                let count = rng.random_range(0..5);
                let f = r.cmd(&["SPOP", k, &count.to_string()]);
                let set = model.entry(k).or_default();
                assert_eq!(f.items().len(), count.min(set.len()), "{ctx}");
                let mut seen = HashSet::new();
                for it in f.items() {
                    assert!(set.remove(it.as_bytes()), "{ctx}: popped a non-member");
                    assert!(seen.insert(it.as_bytes().to_vec()), "{ctx}: popped twice");
                }
            }
            6 => {
                let count: i64 = rng.random_range(-5..6);
                let f = r.cmd(&["SRANDMEMBER", k, &count.to_string()]);
                let set = model.entry(k).or_default();
                let items = f.items();
                let want = if set.is_empty() {
                    0
                } else if count < 0 {
                    count.unsigned_abs() as usize
                } else {
                    (count as usize).min(set.len())
                };
                assert_eq!(items.len(), want, "{ctx}");
                let distinct: HashSet<&[u8]> = items.iter().map(|x| x.as_bytes()).collect();
                if count > 0 {
                    assert_eq!(distinct.len(), items.len(), "{ctx}");
                }
                assert!(distinct.iter().all(|m| set.contains(*m)), "{ctx}");
            }
            7 => {
                let k3 = keys[rng.random_range(0..keys.len())];
                let which = rng.random_range(0..3);
                let a = model.get(k2).cloned().unwrap_or_default();
                let b = model.get(k3).cloned().unwrap_or_default();
                let (cmd, result): (&str, HashSet<Vec<u8>>) = match which {
                    0 => ("SINTERSTORE", a.intersection(&b).cloned().collect()),
                    1 => ("SUNIONSTORE", a.union(&b).cloned().collect()),
                    _ => ("SDIFFSTORE", a.difference(&b).cloned().collect()),
                };
                let f = r.cmd(&[cmd, k, k2, k3]);
                assert_eq!(f, Frame::Int(result.len() as i64), "{ctx} {cmd}");
                model.insert(k, result);
            }
            8 => {
                let a = model.get(k).cloned().unwrap_or_default();
                let b = model.get(k2).cloned().unwrap_or_default();
                let inter: BTreeSet<Vec<u8>> = a.intersection(&b).cloned().collect();
                let union: BTreeSet<Vec<u8>> = a.union(&b).cloned().collect();
                let diff: BTreeSet<Vec<u8>> = a.difference(&b).cloned().collect();
                let got = |r: &mut Raw, cmd: &str| -> BTreeSet<Vec<u8>> {
                    r.cmd(&[cmd, k, k2])
                        .items()
                        .iter()
                        .map(|f| f.as_bytes().to_vec())
                        .collect()
                };
                assert_eq!(got(&mut r, "SINTER"), inter, "{ctx}");
                assert_eq!(got(&mut r, "SUNION"), union, "{ctx}");
                assert_eq!(got(&mut r, "SDIFF"), diff, "{ctx}");
                assert_eq!(
                    r.cmd(&["SINTERCARD", "2", k, k2]),
                    Frame::Int(inter.len() as i64),
                    "{ctx}"
                );
            }
            10 => {
                let (got, _) = sscan_all(&mut r, k, &["COUNT", "3"]);
                let set = model.entry(k).or_default();
                let distinct: HashSet<Vec<u8>> = got.iter().cloned().collect();
                assert_eq!(distinct.len(), got.len(), "{ctx}: SSCAN repeated a member");
                assert_eq!(&distinct, set, "{ctx}: SSCAN");
            }
            _ => {
                let m = pick(&mut rng);
                let set = model.entry(k).or_default();
                let f = r.cmd(&[b"SISMEMBER".as_slice(), k.as_bytes(), &m]);
                assert_eq!(f, Frame::Int(set.contains(&m) as i64), "{ctx}");
            }
        }
        for key in keys {
            let want: BTreeSet<Vec<u8>> = model
                .get(key)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            assert_eq!(members_of(&mut r, key), want, "{ctx} key {key}");
            let exists = r.cmd(&["EXISTS", key]).as_int();
            assert_eq!(
                exists == 1,
                !want.is_empty(),
                "{ctx}: empty sets are deleted"
            );
            if !want.is_empty() {
                let enc = r.cmd(&["OBJECT", "ENCODING", key]);
                let enc = String::from_utf8(enc.as_bytes().to_vec()).unwrap();
                let set = &model[key];
                match enc.as_str() {
                    "intset" => assert!(all_ints(set) && set.len() <= 12, "{ctx} {key}"),
                    "listpack" => assert!(set.len() <= 8, "{ctx} {key}"),
                    "hashtable" => {}
                    other => panic!("{ctx}: encoding {other}"),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Large sets
// ---------------------------------------------------------------------------------------------

#[test]
fn million_members() {
    let s = Server::start();
    let mut r = s.raw();
    let n = 1_000_000usize;
    let batch = 1000;
    let mut pending = 0;
    for b in 0..n / batch {
        let mut args: Vec<String> = vec!["SADD".into(), "big".into()];
        args.extend((b * batch..(b + 1) * batch).map(|i| format!("member:{i}")));
        r.send_cmd(&args);
        pending += 1;
        if pending == 50 {
            for _ in 0..pending {
                assert_eq!(r.read(), Frame::Int(batch as i64));
            }
            pending = 0;
        }
    }
    for _ in 0..pending {
        assert_eq!(r.read(), Frame::Int(batch as i64));
    }
    assert_eq!(r.s("SCARD big"), ":1000000");
    assert_eq!(r.s("OBJECT ENCODING big"), "\"hashtable\"");
    assert_eq!(r.s("SISMEMBER big member:999999"), ":1");
    assert_eq!(r.s("SISMEMBER big member:1000000"), ":0");
    assert_eq!(
        r.s("SMISMEMBER big member:0 x member:500000"),
        "[:1, :0, :1]"
    );
    assert_eq!(r.s("SADD big member:42"), ":0");
    let f = r.cmd(&["SRANDMEMBER", "big", "1000"]);
    let distinct: HashSet<&[u8]> = f.items().iter().map(|x| x.as_bytes()).collect();
    assert_eq!(distinct.len(), 1000);
    assert_eq!(r.cmd(&["SRANDMEMBER", "big", "-1000"]).items().len(), 1000);
    assert_eq!(r.s("SINTERCARD 2 big big LIMIT 10"), ":10");
    // Set algebra with a small set and with itself.
    assert_eq!(r.s("SADD small member:1 member:2 other"), ":3");
    assert_eq!(r.s("SINTERCARD 2 big small"), ":2");
    assert_eq!(r.s("SINTERSTORE i small big"), ":2");
    assert_eq!(r.s("SDIFFSTORE d small big"), ":1");
    assert_eq!(r.s("SMEMBERS d"), r#"["other"]"#);
    assert_eq!(r.s("SUNIONSTORE u big small"), ":1000001");
    assert_eq!(r.s("SDIFFSTORE d2 u big"), ":1");
    let smembers = r.cmd(&["SMEMBERS", "big"]);
    assert_eq!(smembers.items().len(), n);
    // A full SSCAN with a large COUNT.
    let (got, _) = sscan_all(&mut r, "big", &["COUNT", "20000"]);
    assert_eq!(got.len(), n);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), n);
    // Pops: few (one by one), then most of the rest (rebuild from survivors).
    let f = r.cmd(&["SPOP", "big", "1000"]);
    assert_eq!(f.items().len(), 1000);
    assert_eq!(r.s("SCARD big"), ":999000");
    let f = r.cmd(&["SPOP", "big", "998990"]);
    assert_eq!(f.items().len(), 998990);
    assert_eq!(r.s("SCARD big"), ":10");
    assert_eq!(r.s("OBJECT ENCODING big"), "\"listpack\"");
    assert_eq!(r.cmd(&["SPOP", "big", "100"]).items().len(), 10);
    assert_eq!(r.s("EXISTS big"), ":0");
    // One million integers: an intset only up to its limit, then a hashtable.
    let mut pending = 0;
    for b in 0..n / batch {
        let mut args: Vec<String> = vec!["SADD".into(), "ints".into()];
        args.extend((b * batch..(b + 1) * batch).map(|i| i.to_string()));
        r.send_cmd(&args);
        pending += 1;
        if pending == 50 {
            for _ in 0..pending {
                assert_eq!(r.read(), Frame::Int(batch as i64));
            }
            pending = 0;
        }
    }
    for _ in 0..pending {
        assert_eq!(r.read(), Frame::Int(batch as i64));
    }
    assert_eq!(r.s("SCARD ints"), ":1000000");
    assert_eq!(r.s("OBJECT ENCODING ints"), "\"hashtable\"");
    assert_eq!(r.s("SISMEMBER ints 999999"), ":1");
    assert_eq!(r.s("SISMEMBER ints 0999999"), ":0");
    assert_eq!(r.s("DEL ints"), ":1");
}

/// SPOP with a count close to the size rebuilds the set from the survivors, as Redis 7.2
/// does: an intset stays an intset, a listpack a listpack, and a hashtable becomes a listpack
/// (even when every member is an integer) unless the survivors exceed the listpack limits.
#[test]
fn spop_rebuild_encodings() {
    let s = Server::start();
    let mut r = s.raw();
    let ints: Vec<String> = (0..600).map(|i| i.to_string()).collect();
    fill(&mut r, "h", &ints);
    assert_eq!(r.s("OBJECT ENCODING h"), "\"hashtable\"");
    assert_eq!(r.cmd(&["SPOP", "h", "595"]).items().len(), 595);
    assert_eq!(r.s("SCARD h"), ":5");
    assert_eq!(r.s("OBJECT ENCODING h"), "\"listpack\"");
    let strs: Vec<String> = (0..600).map(|i| format!("s{i}")).collect();
    fill(&mut r, "h2", &strs);
    assert_eq!(r.cmd(&["SPOP", "h2", "400"]).items().len(), 400);
    assert_eq!(r.s("OBJECT ENCODING h2"), "\"hashtable\"");
    fill(&mut r, "i", &ints[..100]);
    assert_eq!(r.s("OBJECT ENCODING i"), "\"intset\"");
    assert_eq!(r.cmd(&["SPOP", "i", "95"]).items().len(), 95);
    assert_eq!(r.s("OBJECT ENCODING i"), "\"intset\"");
    assert_eq!(r.s("SCARD i"), ":5");
    fill(&mut r, "l", &strs[..20]);
    assert_eq!(r.s("OBJECT ENCODING l"), "\"listpack\"");
    assert_eq!(r.cmd(&["SPOP", "l", "18"]).items().len(), 18);
    assert_eq!(r.s("OBJECT ENCODING l"), "\"listpack\"");
    assert_eq!(r.s("SCARD l"), ":2");
}

/// `keymiss` (reads of missing keys, as Redis's lookupKeyRead: read-only commands and the
/// sources of the STORE forms, repeated keys included; not SPOP/SREM/SMOVE) and `new` (every
/// key created). The expected stream is what Redis 7 published for the same commands.
#[test]
fn keymiss_and_new_events() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "EAmn");
    for cmd in [
        "SMEMBERS nokey",
        "SPOP nokey",
        "SPOP nokey 2",
        "SREM nokey a",
        "SADD s a b",
        "SINTERSTORE d nokey1 s nokey1",
        "SUNIONSTORE d s nokey2",
        "SDIFFSTORE d2 nokey3 s",
        "SMOVE nokey4 s a",
        "SMOVE s nokey5 a",
        "SINTER s nokey6",
        "SINTERCARD 2 nokey7 s",
        "SRANDMEMBER nokey8",
        "SSCAN nokey9 0",
        "SISMEMBER nokey10 a",
        "SMISMEMBER nokey11 a",
        "SCARD nokey12",
        "SDIFF s nokey19 nokey19",
    ] {
        let reply = r.s(cmd);
        assert!(!reply.starts_with('-'), "{cmd}: {reply}");
    }
    let expected = [
        "keymiss nokey",
        "new s",
        "sadd s",
        "keymiss nokey1",
        "keymiss nokey1",
        "keymiss nokey2",
        "new d",
        "sunionstore d",
        "keymiss nokey3",
        "srem s",
        "new nokey5",
        "sadd nokey5",
        "keymiss nokey6",
        "keymiss nokey7",
        "keymiss nokey8",
        "keymiss nokey9",
        "keymiss nokey10",
        "keymiss nokey11",
        "keymiss nokey12",
        "keymiss nokey19",
        "keymiss nokey19",
    ];
    for want in expected {
        assert_eq!(next_event(&mut sub), want);
    }
    assert_eq!(r.s("PUBLISH __keyevent@0__:marker x"), ":1");
    assert_eq!(next_event(&mut sub), "marker x");
}

/// SPOP is not deterministic, so the AOF records what it did: SREM of the popped members (in
/// batches), or DEL when the whole set went. Replaying the file rebuilds the same sets.
#[test]
fn aof_replays_spop_as_srem() {
    let dir = std::env::temp_dir().join(format!("pilgrim-sets-aof-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let extra = ["--appendonly", "yes"];
    let mut s = Server::start_in(&dir, &extra);
    let mut r = s.raw();
    wait_until("loaded", || r.s("PING") == "+PONG");
    let members: Vec<String> = (0..3000).map(|i| format!("m{i}")).collect();
    fill(&mut r, "big", &members);
    assert!(r.s("SPOP big").starts_with('"'));
    assert_eq!(r.cmd(&["SPOP", "big", "3"]).items().len(), 3);
    // More than one propagation batch (1024 members per SREM).
    assert_eq!(r.cmd(&["SPOP", "big", "2500"]).items().len(), 2500);
    assert_eq!(r.s("SADD ints 1 2 3 4 5 6"), ":6");
    assert_eq!(r.cmd(&["SPOP", "ints", "5"]).items().len(), 5);
    assert_eq!(r.s("SADD gone a b"), ":2");
    assert_eq!(r.cmd(&["SPOP", "gone", "10"]).items().len(), 2);
    assert_eq!(r.s("SADD one x"), ":1");
    assert_eq!(r.s("SPOP one"), "\"x\"");
    assert_eq!(r.s("SMOVE ints moved 7"), ":0");
    assert_eq!(r.s("SUNIONSTORE u big ints"), ":497");
    let before_big = members_of(&mut r, "big");
    let before_ints = members_of(&mut r, "ints");
    assert_eq!(before_big.len(), 496);
    let incr = std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
    let text = String::from_utf8_lossy(&incr);
    assert!(
        !text.contains("SPOP") && !text.contains("spop"),
        "SPOP recorded as itself"
    );
    assert!(text.contains("SREM"));
    assert!(text.contains("DEL"));
    s.kill9();
    std::mem::forget(s);
    let s = Server::start_in(&dir, &extra);
    let mut r = s.raw();
    wait_until("loaded", || r.s("PING") == "+PONG");
    assert_eq!(members_of(&mut r, "big"), before_big);
    assert_eq!(members_of(&mut r, "ints"), before_ints);
    assert_eq!(r.s("SCARD u"), ":497");
    assert_eq!(r.s("EXISTS gone one"), ":0");
}
