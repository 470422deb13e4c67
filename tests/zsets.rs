//! Sorted set commands: every command and option with exact replies in RESP2 and RESP3, error
//! texts and their order, encodings and their conversions, keyspace events, blocking pops
//! (wake-ups, FIFO, timeouts, MULTI, races with timeouts and disconnects), ZRANDMEMBER's
//! distribution, a randomized comparison against a model over a real connection, and a
//! 1,000,000-member set.
mod common;
use common::*;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

/// Polls `INFO clients` until `blocked_clients` is `n`.
fn wait_blocked(r: &mut Raw, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = r.cmd(&["INFO", "clients"]);
        if String::from_utf8_lossy(info.as_bytes()).contains(&want) {
            return;
        }
        assert!(Instant::now() < deadline, "never reached {want}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn hello3(r: &mut Raw) {
    let f = r.cmd(&["HELLO", "3"]);
    assert!(matches!(f, Frame::Map(_)), "{f}");
}

#[test]
fn zadd_options_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("ZADD z 1 a 2 b 3 c"), ":3");
    assert_eq!(r.s("ZADD z 1 a 5 b 4 d"), ":1");
    assert_eq!(r.s("ZADD z CH 1 a 6 b 4 d 7 e"), ":2");
    assert_eq!(r.s("ZADD z NX 100 a 8 f"), ":1");
    assert_eq!(r.s("ZSCORE z a"), "\"1\"");
    assert_eq!(r.s("ZADD z XX 10 a 9 g"), ":0");
    assert_eq!(r.s("ZSCORE z a"), "\"10\"");
    assert_eq!(r.s("ZSCORE z g"), "(nil)");
    // GT/LT only update existing members in one direction, and always add new ones.
    assert_eq!(r.s("ZADD z GT CH 5 a 20 b 1 h"), ":2");
    assert_eq!(r.s("ZMSCORE z a b h"), "[\"10\", \"20\", \"1\"]");
    assert_eq!(r.s("ZADD z LT CH 50 a 2 b"), ":1");
    assert_eq!(r.s("ZMSCORE z a b"), "[\"10\", \"2\"]");
    assert_eq!(r.s("ZADD z XX GT CH 11 a 1 b"), ":1");
    // INCR: the new score, or nil when the options skipped the element.
    assert_eq!(r.s("ZADD z INCR 1.5 a"), "\"12.5\"");
    assert_eq!(r.s("ZADD z NX INCR 1 a"), "(nil)");
    assert_eq!(r.s("ZADD z XX INCR 1 nx"), "(nil)");
    assert_eq!(r.s("ZADD z GT INCR -1 a"), "(nil)");
    assert_eq!(r.s("ZADD z LT INCR -1 a"), "\"11.5\"");
    assert_eq!(r.s("ZADD nokey XX 1 a"), ":0");
    assert_eq!(r.s("ZADD nokey XX INCR 1 a"), "(nil)");
    assert_eq!(r.s("EXISTS nokey"), ":0");
    // Errors, in Redis's order: syntax, option combinations, INCR arity, scores, type.
    for (cmd, want) in [
        (
            "ZADD z 1",
            "-ERR wrong number of arguments for 'zadd' command",
        ),
        ("ZADD z 1 a 2", "-ERR syntax error"),
        (
            "ZADD z NX",
            "-ERR wrong number of arguments for 'zadd' command",
        ),
        ("ZADD z NX XX", "-ERR syntax error"),
        (
            "ZADD z NX XX 1 a",
            "-ERR XX and NX options at the same time are not compatible",
        ),
        (
            "ZADD z NX GT 1 a",
            "-ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            "ZADD z GT LT 1 a",
            "-ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            "ZADD z INCR 1 a 2 b",
            "-ERR INCR option supports a single increment-element pair",
        ),
        ("ZADD z abc a", "-ERR value is not a valid float"),
        ("ZADD z nan a", "-ERR value is not a valid float"),
        ("ZADD z 1 a x b", "-ERR value is not a valid float"),
    ] {
        assert_eq!(r.s(cmd), want, "{cmd}");
    }
    r.s("SET str v");
    assert_eq!(r.s("ZADD str abc a"), "-ERR value is not a valid float");
    assert_eq!(r.s("ZADD str 1 a"), WRONGTYPE);
    // NaN from an increment leaves the set unchanged.
    assert_eq!(r.s("ZADD n 1 x +inf i"), ":2");
    assert_eq!(
        r.s("ZADD n INCR -inf i"),
        "-ERR resulting score is not a number (NaN)"
    );
    assert_eq!(
        r.s("ZINCRBY n -inf i"),
        "-ERR resulting score is not a number (NaN)"
    );
    assert_eq!(r.s("ZSCORE n i"), "\"inf\"");
    // Scores print as Redis 7.2 does: shortest round trip, integers plainly.
    assert_eq!(
        r.s("ZADD f 1.1 a 1e10 b -0.0000001 c 1.5e300 d -inf e 0x10 f"),
        ":6"
    );
    assert_eq!(
        r.s("ZRANGE f 0 -1 WITHSCORES"),
        "[\"e\", \"-inf\", \"c\", \"-1e-7\", \"a\", \"1.1\", \"f\", \"16\", \"b\", \"10000000000\", \"d\", \"1.5e+300\"]"
    );
    // -0 and 0 are the same score; re-adding keeps the stored one.
    assert_eq!(r.s("ZADD zero 0 a"), ":1");
    assert_eq!(r.s("ZADD zero CH -0 a"), ":0");
    assert_eq!(r.s("ZSCORE zero a"), "\"0\"");
}

#[test]
fn zincrby_and_resp3_doubles() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("ZINCRBY z 2.5 a"), "\"2.5\"");
    assert_eq!(r.s("ZINCRBY z 0.1 a"), "\"2.6\"");
    assert_eq!(r.s("ZINCRBY z x a"), "-ERR value is not a valid float");
    assert_eq!(
        r.s("ZINCRBY z 1"),
        "-ERR wrong number of arguments for 'zincrby' command"
    );
    r.s("SET str v");
    assert_eq!(r.s("ZINCRBY str 1 a"), WRONGTYPE);
    hello3(&mut r);
    assert_eq!(r.s("ZINCRBY z 1 a"), ",3.6");
    assert_eq!(r.s("ZSCORE z a"), ",3.6");
    assert_eq!(r.s("ZSCORE z nx"), "(nil)");
    assert_eq!(r.s("ZMSCORE z a nx"), "[,3.6, (nil)]");
    assert_eq!(r.s("ZADD z INCR +inf b"), ",inf");
    assert_eq!(r.s("ZADD z NX INCR 1 b"), "(nil)");
}

#[test]
fn zrem_card_count_lexcount_score() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD z 1 a 2 b 3 c 4 d");
    assert_eq!(r.s("ZREM z a x b"), ":2");
    assert_eq!(r.s("ZCARD z"), ":2");
    assert_eq!(r.s("ZREM z c d e"), ":2");
    assert_eq!(r.s("EXISTS z"), ":0");
    assert_eq!(r.s("ZREM z a"), ":0");
    assert_eq!(r.s("ZCARD z"), ":0");
    r.s("ZADD z 1 a 2 b 3 c 4 d");
    for (cmd, want) in [
        ("ZCOUNT z -inf +inf", ":4"),
        ("ZCOUNT z (1 3", ":2"),
        ("ZCOUNT z (1 (1", ":0"),
        ("ZCOUNT z 3 1", ":0"),
        ("ZCOUNT z 2 inf", ":3"),
        ("ZCOUNT nokey 0 1", ":0"),
        ("ZCOUNT z a 1", "-ERR min or max is not a float"),
        ("ZCOUNT z 1 (", ":0"),
        ("ZCOUNT z (nan 1", "-ERR min or max is not a float"),
        ("ZLEXCOUNT z - +", ":4"),
        ("ZLEXCOUNT z [b (d", ":2"),
        ("ZLEXCOUNT z (a [c", ":2"),
        ("ZLEXCOUNT z + -", ":0"),
        (
            "ZLEXCOUNT z a c",
            "-ERR min or max not valid string range item",
        ),
        ("ZLEXCOUNT nokey - +", ":0"),
        ("ZSCORE nokey a", "(nil)"),
        ("ZMSCORE nokey a b", "[(nil), (nil)]"),
        ("ZMSCORE z d a x", "[\"4\", \"1\", (nil)]"),
    ] {
        assert_eq!(r.s(cmd), want, "{cmd}");
    }
    r.s("SET str v");
    for cmd in [
        "ZREM str a",
        "ZCARD str",
        "ZCOUNT str 0 1",
        "ZLEXCOUNT str - +",
        "ZSCORE str a",
        "ZMSCORE str a",
    ] {
        assert_eq!(r.s(cmd), WRONGTYPE, "{cmd}");
    }
    // The range is checked before the type.
    assert_eq!(r.s("ZCOUNT str x 1"), "-ERR min or max is not a float");
}

#[test]
fn zrank_withscore() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD z 1 a 2 b 3 c");
    assert_eq!(r.s("ZRANK z a"), ":0");
    assert_eq!(r.s("ZREVRANK z a"), ":2");
    assert_eq!(r.s("ZRANK z c WITHSCORE"), "[:2, \"3\"]");
    assert_eq!(r.s("ZREVRANK z c withscore"), "[:0, \"3\"]");
    assert_eq!(r.s("ZRANK z x"), "(nil)");
    assert_eq!(r.s("ZRANK z x WITHSCORE"), "(nil-array)");
    assert_eq!(r.s("ZRANK nokey x WITHSCORE"), "(nil-array)");
    assert_eq!(r.s("ZRANK z a bogus"), "-ERR syntax error");
    assert_eq!(
        r.s("ZRANK z a WITHSCORE x"),
        "-ERR wrong number of arguments for 'zrank' command"
    );
    hello3(&mut r);
    assert_eq!(r.s("ZRANK z b WITHSCORE"), "[:1, ,2]");
    assert_eq!(r.s("ZRANK z x WITHSCORE"), "(nil)");
}

#[test]
fn zrange_by_rank_score_lex() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD z 1 a 2 b 3 c 4 d 5 e");
    for (cmd, want) in [
        ("ZRANGE z 0 -1", "[\"a\", \"b\", \"c\", \"d\", \"e\"]"),
        ("ZRANGE z -2 100 WITHSCORES", "[\"d\", \"4\", \"e\", \"5\"]"),
        ("ZRANGE z 3 1", "[]"),
        ("ZRANGE z 0 1 REV", "[\"e\", \"d\"]"),
        ("ZREVRANGE z 0 1 WITHSCORES", "[\"e\", \"5\", \"d\", \"4\"]"),
        ("ZRANGE z (1 3 BYSCORE", "[\"b\", \"c\"]"),
        (
            "ZRANGE z -inf +inf BYSCORE LIMIT 1 2 WITHSCORES",
            "[\"b\", \"2\", \"c\", \"3\"]",
        ),
        (
            "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 -1",
            "[\"d\", \"c\", \"b\", \"a\"]",
        ),
        ("ZRANGE z 5 (3 BYSCORE REV", "[\"e\", \"d\"]"),
        ("ZRANGE z 0 10 BYSCORE LIMIT 5 1", "[]"),
        ("ZRANGE z 0 10 BYSCORE LIMIT -1 1", "[]"),
        ("ZRANGE z 0 10 BYSCORE LIMIT 0 0", "[]"),
        ("ZRANGEBYSCORE z 2 4", "[\"b\", \"c\", \"d\"]"),
        (
            "ZREVRANGEBYSCORE z 4 2 WITHSCORES LIMIT 0 2",
            "[\"d\", \"4\", \"c\", \"3\"]",
        ),
        ("ZRANGE z [b (d BYLEX", "[\"b\", \"c\"]"),
        ("ZRANGE z + - BYLEX REV LIMIT 1 2", "[\"d\", \"c\"]"),
        ("ZRANGEBYLEX z - + LIMIT 3 10", "[\"d\", \"e\"]"),
        ("ZREVRANGEBYLEX z [c -", "[\"c\", \"b\", \"a\"]"),
        ("ZRANGE nokey 0 -1", "[]"),
        // LIMIT 0 -1 means "no limit", so it is accepted for a rank range.
        ("ZRANGE z 0 0 LIMIT 0 -1", "[\"a\"]"),
        (
            "ZRANGE z 0 0 LIMIT 0 1",
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
        (
            "ZRANGE z - + BYLEX WITHSCORES",
            "-ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        ("ZRANGE z 0 1 BYSCORE BYLEX", "-ERR syntax error"),
        ("ZRANGE z 0 1 REV REV", "-ERR syntax error"),
        ("ZRANGEBYSCORE z 0 1 BYSCORE", "-ERR syntax error"),
        ("ZREVRANGE z 0 1 REV", "-ERR syntax error"),
        ("ZRANGE z 0 1 LIMIT 1", "-ERR syntax error"),
        (
            "ZRANGE z 0 1 BYSCORE LIMIT x 1",
            "-ERR value is not an integer or out of range",
        ),
        (
            "ZRANGE z a 1",
            "-ERR value is not an integer or out of range",
        ),
        ("ZRANGE z a 1 BYSCORE", "-ERR min or max is not a float"),
        (
            "ZRANGE z a 1 BYLEX",
            "-ERR min or max not valid string range item",
        ),
        (
            "ZRANGEBYLEX z - + WITHSCORES",
            "-ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        (
            "ZREVRANGE z 0 1 LIMIT 0 1",
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
    ] {
        assert_eq!(r.s(cmd), want, "{cmd}");
    }
    r.s("SET str v");
    assert_eq!(r.s("ZRANGE str 0 -1"), WRONGTYPE);
    assert_eq!(
        r.s("ZRANGE str 0 1 BYSCORE LIMIT 0 1 x"),
        "-ERR syntax error"
    );
    hello3(&mut r);
    assert_eq!(r.s("ZRANGE z 0 1 WITHSCORES"), "[[\"a\", ,1], [\"b\", ,2]]");
    assert_eq!(
        r.s("ZRANGEBYSCORE z 4 +inf WITHSCORES"),
        "[[\"d\", ,4], [\"e\", ,5]]"
    );
    assert_eq!(r.s("ZRANGE z 0 1"), "[\"a\", \"b\"]");
}

#[test]
fn zrangestore() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD z 1 a 2 b 3 c 4 d");
    assert_eq!(r.s("ZRANGESTORE dst z 1 2"), ":2");
    assert_eq!(
        r.s("ZRANGE dst 0 -1 WITHSCORES"),
        "[\"b\", \"2\", \"c\", \"3\"]"
    );
    assert_eq!(r.s("ZRANGESTORE dst z +inf (2 BYSCORE REV LIMIT 0 1"), ":1");
    assert_eq!(r.s("ZRANGE dst 0 -1 WITHSCORES"), "[\"d\", \"4\"]");
    assert_eq!(r.s("ZRANGESTORE dst z [b [c BYLEX"), ":2");
    assert_eq!(r.s("ZRANGESTORE dst z 0 1 WITHSCORES"), "-ERR syntax error");
    r.s("SET str v");
    assert_eq!(r.s("ZRANGESTORE str z 0 0"), ":1");
    assert_eq!(r.s("TYPE str"), "+zset");
    // Empty results delete the destination; the source may be the destination.
    assert_eq!(r.s("ZRANGESTORE dst z 10 20"), ":0");
    assert_eq!(r.s("EXISTS dst"), ":0");
    assert_eq!(r.s("ZRANGESTORE dst nokey 0 -1"), ":0");
    assert_eq!(r.s("ZRANGESTORE z z 0 0"), ":1");
    assert_eq!(r.s("ZRANGE z 0 -1"), "[\"a\"]");
    r.s("SET s2 v");
    assert_eq!(r.s("ZRANGESTORE dst s2 0 -1"), WRONGTYPE);
}

#[test]
fn zremrange() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD z 1 a 2 b 3 c 4 d 5 e");
    assert_eq!(r.s("ZREMRANGEBYRANK z 0 0"), ":1");
    assert_eq!(r.s("ZREMRANGEBYRANK z -1 -1"), ":1");
    assert_eq!(r.s("ZREMRANGEBYRANK z 5 10"), ":0");
    assert_eq!(r.s("ZREMRANGEBYSCORE z (2 3"), ":1");
    assert_eq!(r.s("ZREMRANGEBYLEX z [b [d"), ":2");
    assert_eq!(r.s("EXISTS z"), ":0");
    assert_eq!(r.s("ZREMRANGEBYRANK z 0 -1"), ":0");
    assert_eq!(
        r.s("ZREMRANGEBYRANK z a 1"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("ZREMRANGEBYSCORE z a 1"),
        "-ERR min or max is not a float"
    );
    assert_eq!(
        r.s("ZREMRANGEBYLEX z a 1"),
        "-ERR min or max not valid string range item"
    );
    r.s("SET str v");
    assert_eq!(r.s("ZREMRANGEBYRANK str 0 1"), WRONGTYPE);
    // Lex ranges with mixed scores follow Redis's listpack walk: this range cannot overlap
    // because the last member ("10") sorts before "a".
    r.s("ZADD m 1 9223372036854775807 1.5 10 1 1 -1 b");
    assert_eq!(r.s("ZREMRANGEBYLEX m [a +"), ":0");
    assert_eq!(r.s("ZCARD m"), ":4");
}

#[test]
fn pops_resp2_and_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD z 1 a 2 b 3 c 4 d");
    assert_eq!(r.s("ZPOPMIN z"), "[\"a\", \"1\"]");
    assert_eq!(r.s("ZPOPMAX z 2"), "[\"d\", \"4\", \"c\", \"3\"]");
    assert_eq!(r.s("ZPOPMIN z 0"), "[]");
    assert_eq!(
        r.s("ZPOPMIN z -1"),
        "-ERR value is out of range, must be positive"
    );
    assert_eq!(
        r.s("ZPOPMIN z x"),
        "-ERR value is out of range, must be positive"
    );
    assert_eq!(r.s("ZPOPMIN z 1 2"), "-ERR syntax error");
    assert_eq!(r.s("ZPOPMIN z 10"), "[\"b\", \"2\"]");
    assert_eq!(r.s("EXISTS z"), ":0");
    assert_eq!(r.s("ZPOPMIN z"), "[]");
    r.s("ZADD z 1 a 2 b 3 c");
    hello3(&mut r);
    assert_eq!(r.s("ZPOPMIN z"), "[\"a\", ,1]");
    assert_eq!(r.s("ZPOPMAX z 1"), "[[\"c\", ,3]]");
    assert_eq!(r.s("ZMPOP 1 z MIN"), "[\"z\", [[\"b\", ,2]]]");
    assert_eq!(r.s("ZMPOP 1 z MIN"), "(nil)");
    r.s("SET str v");
    assert_eq!(r.s("ZPOPMIN str"), WRONGTYPE);
}

#[test]
fn zmpop_and_bzmpop_forms() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD z2 1 a 2 b 3 c");
    assert_eq!(
        r.s("ZMPOP 2 z1 z2 MAX COUNT 2"),
        "[\"z2\", [[\"c\", \"3\"], [\"b\", \"2\"]]]"
    );
    assert_eq!(
        r.s("ZMPOP 2 z1 z2 min count 10"),
        "[\"z2\", [[\"a\", \"1\"]]]"
    );
    assert_eq!(r.s("ZMPOP 2 z1 z2 MIN"), "(nil-array)");
    assert_eq!(r.s("BZMPOP 0.01 2 z1 z2 MIN"), "(nil-array)");
    r.s("ZADD z1 5 x");
    assert_eq!(
        r.s("BZMPOP 0 2 z1 z2 MIN COUNT 3"),
        "[\"z1\", [[\"x\", \"5\"]]]"
    );
    for (cmd, want) in [
        ("ZMPOP 0 z MIN", "-ERR numkeys should be greater than 0"),
        ("ZMPOP x z MIN", "-ERR numkeys should be greater than 0"),
        ("ZMPOP 2 z MIN", "-ERR syntax error"),
        ("ZMPOP 1 z MID", "-ERR syntax error"),
        (
            "ZMPOP 1 z MIN COUNT 0",
            "-ERR count should be greater than 0",
        ),
        ("ZMPOP 1 z MIN COUNT 1 COUNT 1", "-ERR syntax error"),
        ("ZMPOP 1 z MIN COUNT", "-ERR syntax error"),
        ("ZMPOP 9223372036854775807 z MIN", "-ERR syntax error"),
        (
            "BZMPOP x 1 z MIN",
            "-ERR timeout is not a float or out of range",
        ),
        ("BZMPOP -1 1 z MIN", "-ERR timeout is negative"),
        ("BZMPOP -1 0 z MIN", "-ERR numkeys should be greater than 0"),
    ] {
        assert_eq!(r.s(cmd), want, "{cmd}");
    }
}

#[test]
fn bzpop_immediate_timeout_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD z2 1 a 2 b");
    assert_eq!(r.s("BZPOPMIN z1 z2 0"), "[\"z2\", \"a\", \"1\"]");
    assert_eq!(r.s("BZPOPMAX z1 z2 0"), "[\"z2\", \"b\", \"2\"]");
    assert_eq!(r.s("BZPOPMIN z1 z2 0.02"), "(nil-array)");
    assert_eq!(
        r.s("BZPOPMIN z1 x"),
        "-ERR timeout is not a float or out of range"
    );
    assert_eq!(r.s("BZPOPMIN z1 -1"), "-ERR timeout is negative");
    r.s("SET str v");
    assert_eq!(r.s("BZPOPMIN z1 str 0"), WRONGTYPE);
    hello3(&mut r);
    assert_eq!(r.s("BZPOPMIN z1 0.01"), "(nil)");
    r.s("ZADD z1 1.5 m");
    assert_eq!(r.s("BZPOPMIN z1 0"), "[\"z1\", \"m\", ,1.5]");
    // Inside MULTI a blocking pop answers at once, as a timeout would.
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("BZPOPMIN z1 0"), "+QUEUED");
    assert_eq!(r.s("ZADD z1 1 x"), "+QUEUED");
    assert_eq!(r.s("BZPOPMAX z1 0"), "+QUEUED");
    assert_eq!(r.s("EXEC"), "[(nil), :1, [\"z1\", \"x\", ,1]]");
}

#[test]
fn bzpop_wakes_waiters_in_fifo_order() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut waiters: Vec<Raw> = (0..3).map(|_| s.raw()).collect();
    for (i, w) in waiters.iter_mut().enumerate() {
        w.send_cmd(&["BZPOPMIN", "q1", "q2", "0"]);
        wait_blocked(&mut admin, i + 1);
    }
    // One write that makes three elements available serves the waiters in blocking order.
    assert_eq!(admin.s("ZADD q2 1 a 2 b 3 c 4 d"), ":4");
    let got: Vec<String> = waiters.iter_mut().map(|w| w.read().to_string()).collect();
    assert_eq!(
        got,
        [
            "[\"q2\", \"a\", \"1\"]",
            "[\"q2\", \"b\", \"2\"]",
            "[\"q2\", \"c\", \"3\"]"
        ]
    );
    assert_eq!(admin.s("ZRANGE q2 0 -1"), "[\"d\"]");
    wait_blocked(&mut admin, 0);
    // The first key in argument order that has elements wins.
    let mut w = s.raw();
    w.send_cmd(&["BZPOPMAX", "x1", "x2", "0"]);
    wait_blocked(&mut admin, 1);
    admin.s("MULTI");
    admin.s("ZADD x2 5 five");
    admin.s("ZADD x1 1 one");
    admin.s("EXEC");
    // Both keys have elements once the transaction ends; the command re-runs and checks its
    // keys in argument order, as Redis 7.2 does.
    assert_eq!(w.read().to_string(), "[\"x1\", \"one\", \"1\"]");
    // A waiter on a key that becomes another type keeps waiting; ZUNIONSTORE wakes it.
    let mut w = s.raw();
    w.send_cmd(&["BZMPOP", "0", "1", "t", "MAX", "COUNT", "5"]);
    wait_blocked(&mut admin, 1);
    admin.s("SET t str");
    admin.s("DEL t");
    admin.s("ZADD src 1 a 2 b");
    assert_eq!(admin.s("ZUNIONSTORE t 1 src"), ":2");
    assert_eq!(
        w.read().to_string(),
        "[\"t\", [[\"b\", \"2\"], [\"a\", \"1\"]]]"
    );
    // ZINCRBY and GEOADD on a new key wake waiters too.
    let mut w = s.raw();
    w.send_cmd(&["BZPOPMIN", "i", "0"]);
    wait_blocked(&mut admin, 1);
    admin.s("ZINCRBY i 7 m");
    assert_eq!(w.read().to_string(), "[\"i\", \"m\", \"7\"]");
    let mut w = s.raw();
    w.send_cmd(&["BZPOPMIN", "geo", "10"]);
    wait_blocked(&mut admin, 1);
    admin.s("GEOADD geo 0 0 origin");
    assert_eq!(
        w.read().to_string(),
        "[\"geo\", \"origin\", \"3377699720527872\"]"
    );
}

#[test]
fn bzpop_timeout_and_disconnect_lose_nothing() {
    let s = Server::start();
    let port = s.port;
    let total = 600usize;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    // Readers with short timeouts: every element popped is returned to a live client.
    for _ in 0..4 {
        let stop = stop.clone();
        readers.push(std::thread::spawn(move || {
            let mut c = Raw::connect(port);
            let mut got = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match c.cmd(&["BZPOPMIN", "q", "0.01"]) {
                    Frame::NullArray => {}
                    f => got.push(f.items()[1].as_bytes().to_vec()),
                }
            }
            got
        }));
    }
    // Clients that block and disconnect at once, racing the pushes.
    let quitters = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut c = Raw::connect(port);
                c.send_cmd(&["BZPOPMIN", "never", "q", "0"]);
                drop(c);
                n += 1;
            }
            n
        })
    };
    let mut pusher = s.raw();
    for i in 0..total {
        assert_eq!(
            pusher.q(&["ZADD", "q", &i.to_string(), &format!("m{i}")]),
            ":1"
        );
        if i % 50 == 0 {
            std::thread::sleep(Duration::from_millis(3));
        }
    }
    // Let the readers drain, then stop everyone.
    let deadline = Instant::now() + Duration::from_secs(20);
    while pusher.s("ZCARD q") != ":0" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut received = Vec::new();
    for h in readers {
        received.extend(h.join().unwrap());
    }
    let quit_count = quitters.join().unwrap();
    assert!(quit_count > 0);
    let remaining = pusher.s("ZCARD q");
    let remaining: usize = remaining[1..].parse().unwrap();
    let unique: HashSet<_> = received.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        received.len(),
        "an element was delivered twice"
    );
    // Quitters may legitimately be served just before their connection closes; whatever they
    // got is counted by the server as pops. Nothing else may vanish.
    let popped_for_quitters = total - remaining - received.len();
    assert!(
        popped_for_quitters <= quit_count,
        "{popped_for_quitters} elements lost"
    );
    wait_blocked(&mut pusher, 0);
}

#[test]
fn bzpop_timeouts_race_pushes_exact_count() {
    let s = Server::start();
    let port = s.port;
    let total = 800usize;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..5)
        .map(|i| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                let timeout = ["0.001", "0.005", "0.01", "0.02", "0.003"][i];
                let mut got = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Frame::Array(items) = c.cmd(&["BZPOPMAX", "a", "b", timeout]) {
                        got.push(items[1].as_bytes().to_vec());
                    }
                }
                got
            })
        })
        .collect();
    let mut pusher = s.raw();
    for i in 0..total {
        let key = if i % 2 == 0 { "a" } else { "b" };
        pusher.q(&["ZADD", key, "1", &format!("m{i}")]);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while (pusher.s("EXISTS a b")) != ":0" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut received = Vec::new();
    for h in readers {
        received.extend(h.join().unwrap());
    }
    let unique: HashSet<_> = received.iter().cloned().collect();
    assert_eq!(
        received.len(),
        total,
        "every pushed element reaches exactly one reader"
    );
    assert_eq!(unique.len(), total);
}

#[test]
fn zrandmember_shapes_and_uniformity() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("ZRANDMEMBER nokey"), "(nil)");
    assert_eq!(r.s("ZRANDMEMBER nokey 5"), "[]");
    r.s("ZADD z 1 a 2 b 3 c");
    assert_eq!(r.s("ZRANDMEMBER z 0"), "[]");
    assert_eq!(
        r.s("ZRANDMEMBER z 3 WITHSCORES"),
        "[\"a\", \"1\", \"b\", \"2\", \"c\", \"3\"]"
    );
    assert_eq!(r.s("ZRANDMEMBER z 100"), "[\"a\", \"b\", \"c\"]");
    let f = r.cmd(&["ZRANDMEMBER", "z", "-10"]);
    assert_eq!(f.items().len(), 10);
    let f = r.cmd(&["ZRANDMEMBER", "z", "2"]);
    let picked: HashSet<_> = f.items().iter().map(|i| i.as_bytes().to_vec()).collect();
    assert_eq!(picked.len(), 2);
    for (cmd, want) in [
        (
            "ZRANDMEMBER z x",
            "-ERR value is not an integer or out of range",
        ),
        ("ZRANDMEMBER z 1 x", "-ERR syntax error"),
        ("ZRANDMEMBER z 1 WITHSCORES x", "-ERR syntax error"),
        (
            "ZRANDMEMBER z -9223372036854775808",
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ),
        (
            "ZRANDMEMBER z -9223372036854775807 WITHSCORES",
            "-ERR value is out of range",
        ),
    ] {
        assert_eq!(r.s(cmd), want, "{cmd}");
    }
    hello3(&mut r);
    assert_eq!(
        r.s("ZRANDMEMBER z 3 WITHSCORES"),
        "[[\"a\", ,1], [\"b\", ,2], [\"c\", ,3]]"
    );
    let f = r.cmd(&["ZRANDMEMBER", "z", "-2", "WITHSCORES"]);
    assert_eq!(f.items().len(), 2);
    assert!(matches!(&f.items()[0], Frame::Array(p) if p.len() == 2));

    // Uniformity (generous bound): 20 members, 20000 picks with repetition, and distinct
    // picks of 5 from both the "most of the set" and "small part" strategies (listpack and
    // skiplist encodings).
    for (key, n) in [("u", 20usize), ("big", 300usize)] {
        let mut args = vec!["ZADD".to_string(), key.to_string()];
        for i in 0..n {
            args.push(i.to_string());
            args.push(format!("m{i}"));
        }
        r.q(&args);
        let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
        let picks = 20000;
        let f = r.cmd(&["ZRANDMEMBER", key, &format!("-{picks}")]);
        for i in f.items() {
            *counts.entry(i.as_bytes().to_vec()).or_default() += 1;
        }
        assert_eq!(counts.len(), n);
        let expected = picks as f64 / n as f64;
        for (m, c) in &counts {
            assert!(
                (*c as f64) > expected * 0.4 && (*c as f64) < expected * 1.9,
                "{key}: {} picked {c} times, expected about {expected}",
                String::from_utf8_lossy(m)
            );
        }
        for count in [n / 2 + 1, 3] {
            let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
            let rounds = 3000;
            for _ in 0..rounds {
                let f = r.cmd(&["ZRANDMEMBER", key, &count.to_string()]);
                let set: HashSet<_> = f.items().iter().map(|i| i.as_bytes().to_vec()).collect();
                assert_eq!(set.len(), count);
                for m in set {
                    *counts.entry(m).or_default() += 1;
                }
            }
            let expected = rounds as f64 * count as f64 / n as f64;
            if expected >= 200.0 {
                for c in counts.values() {
                    assert!(
                        (*c as f64) > expected * 0.5 && (*c as f64) < expected * 1.6,
                        "{key} count {count}: {c} vs {expected}"
                    );
                }
            }
        }
    }
}

#[test]
fn set_operations() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD a 1 x 2 y 3 z");
    r.s("ZADD b 10 y 20 z 30 w");
    for (cmd, want) in [
        (
            "ZUNION 2 a b WITHSCORES",
            "[\"x\", \"1\", \"y\", \"12\", \"z\", \"23\", \"w\", \"30\"]",
        ),
        (
            "ZUNION 2 a b WEIGHTS 2 0.5 WITHSCORES",
            "[\"x\", \"2\", \"y\", \"9\", \"w\", \"15\", \"z\", \"16\"]",
        ),
        (
            "ZUNION 2 a b AGGREGATE MIN WITHSCORES",
            "[\"x\", \"1\", \"y\", \"2\", \"z\", \"3\", \"w\", \"30\"]",
        ),
        ("ZUNION 2 a b aggregate max", "[\"x\", \"y\", \"z\", \"w\"]"),
        ("ZINTER 2 a b WITHSCORES", "[\"y\", \"12\", \"z\", \"23\"]"),
        (
            "ZINTER 2 a b WEIGHTS 1 -1 AGGREGATE SUM WITHSCORES",
            "[\"z\", \"-17\", \"y\", \"-8\"]",
        ),
        ("ZINTER 2 a nokey", "[]"),
        ("ZDIFF 2 a b WITHSCORES", "[\"x\", \"1\"]"),
        ("ZDIFF 2 a a", "[]"),
        ("ZDIFF 1 nokey", "[]"),
        ("ZINTERCARD 2 a b", ":2"),
        ("ZINTERCARD 2 a b LIMIT 1", ":1"),
        ("ZINTERCARD 2 a b LIMIT 0", ":2"),
        ("ZINTERCARD 1 nokey", ":0"),
        (
            "ZUNION 0 a",
            "-ERR at least 1 input key is needed for 'zunion' command",
        ),
        (
            "ZUNIONSTORE d 0 a",
            "-ERR at least 1 input key is needed for 'zunionstore' command",
        ),
        (
            "ZINTERCARD 0 a",
            "-ERR at least 1 input key is needed for 'zintercard' command",
        ),
        ("ZUNION x a", "-ERR value is not an integer or out of range"),
        ("ZUNION 3 a b", "-ERR syntax error"),
        ("ZUNION 9223372036854775807 a b", "-ERR syntax error"),
        ("ZUNION 2 a b WEIGHTS 1", "-ERR syntax error"),
        (
            "ZUNION 2 a b WEIGHTS 1 x",
            "-ERR weight value is not a float",
        ),
        ("ZUNION 2 a b AGGREGATE AVG", "-ERR syntax error"),
        ("ZDIFF 2 a b WEIGHTS 1 1", "-ERR syntax error"),
        ("ZUNIONSTORE d 2 a b WITHSCORES", "-ERR syntax error"),
        ("ZINTERCARD 2 a b LIMIT -1", "-ERR LIMIT can't be negative"),
        ("ZINTERCARD 2 a b LIMIT x", "-ERR LIMIT can't be negative"),
        ("ZINTERCARD 2 a b WITHSCORES", "-ERR syntax error"),
    ] {
        assert_eq!(r.s(cmd), want, "{cmd}");
    }
    // Plain sets count as inputs with score 1 (the server may not have SADD in this build:
    // build one with SINTERSTORE-free means is impossible, so only check when available).
    if r.s("SADD s y w") == ":2" {
        assert_eq!(
            r.s("ZUNION 2 a s WITHSCORES"),
            "[\"w\", \"1\", \"x\", \"1\", \"y\", \"3\", \"z\", \"3\"]"
        );
        assert_eq!(
            r.s("ZINTER 2 s b WITHSCORES"),
            "[\"y\", \"11\", \"w\", \"31\"]"
        );
    }
    // inf + -inf sums to 0; weight 0 times inf is 0.
    r.s("ZADD p 1 m +inf n");
    r.s("ZADD q 1 m -inf n");
    assert_eq!(
        r.s("ZUNION 2 p q WITHSCORES"),
        "[\"n\", \"0\", \"m\", \"2\"]"
    );
    assert_eq!(
        r.s("ZUNION 1 p WEIGHTS 0 WITHSCORES"),
        "[\"m\", \"0\", \"n\", \"0\"]"
    );
    r.s("SET str v");
    assert_eq!(r.s("ZUNION 2 a str WEIGHTS x y"), WRONGTYPE);
    hello3(&mut r);
    assert_eq!(
        r.s("ZINTER 2 a b WITHSCORES"),
        "[[\"y\", ,12], [\"z\", ,23]]"
    );
    assert_eq!(r.s("ZDIFF 2 b a"), "[\"w\"]");
}

#[test]
fn set_operation_stores_and_encodings() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD a 1 x 2 y 3 z");
    r.s("ZADD b 10 y 20 z 30 w");
    assert_eq!(r.s("ZUNIONSTORE d 2 a b"), ":4");
    assert_eq!(r.s("OBJECT ENCODING d"), "\"listpack\"");
    assert_eq!(r.s("ZINTERSTORE d 2 a b WEIGHTS 2 1"), ":2");
    assert_eq!(
        r.s("ZRANGE d 0 -1 WITHSCORES"),
        "[\"y\", \"14\", \"z\", \"26\"]"
    );
    assert_eq!(r.s("ZDIFFSTORE d 2 a b"), ":1");
    assert_eq!(r.s("ZDIFFSTORE d 2 a a"), ":0");
    assert_eq!(r.s("EXISTS d"), ":0");
    // A large result, and a long member, make the skiplist encoding.
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..200 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    r.q(&args);
    assert_eq!(r.s("ZUNIONSTORE d 2 big a"), ":203");
    assert_eq!(r.s("OBJECT ENCODING d"), "\"skiplist\"");
    let long = "L".repeat(65);
    r.q(&["ZADD", "l", "1", &long]);
    assert_eq!(r.s("ZUNIONSTORE d 1 l"), ":1");
    assert_eq!(r.s("OBJECT ENCODING d"), "\"skiplist\"");
    // -0 survives in a skiplist result (ZUNION replies from one) but not in a listpack.
    r.s("ZADD nz 0 m");
    assert_eq!(r.s("ZUNION 1 nz WEIGHTS -1 WITHSCORES"), "[\"m\", \"-0\"]");
    assert_eq!(r.s("ZUNIONSTORE d 1 nz WEIGHTS -1"), ":1");
    assert_eq!(r.s("ZSCORE d m"), "\"0\"");
}

#[test]
fn zscan() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("ZADD z 1.1 a 2 b 3 c");
    assert_eq!(
        r.s("ZSCAN z 0"),
        "[\"0\", [\"a\", \"1.1\", \"b\", \"2\", \"c\", \"3\"]]"
    );
    assert_eq!(
        r.s("ZSCAN z 0 MATCH [ab]"),
        "[\"0\", [\"a\", \"1.1\", \"b\", \"2\"]]"
    );
    assert_eq!(r.s("ZSCAN nokey 0 BOGUS"), "[\"0\", []]");
    assert_eq!(r.s("ZSCAN z 0 BOGUS"), "-ERR syntax error");
    assert_eq!(r.s("ZSCAN z 0 COUNT 0"), "-ERR syntax error");
    assert_eq!(r.s("ZSCAN z x"), "-ERR invalid cursor");
    r.s("SET str v");
    assert_eq!(r.s("ZSCAN str 0"), WRONGTYPE);
    // The skiplist encoding scans its scores with %.17g, as Redis does.
    r.s("CONFIG SET zset-max-listpack-entries 0");
    r.s("ZADD s 1.1 a 2 b");
    assert_eq!(r.s("OBJECT ENCODING s"), "\"skiplist\"");
    let f = r.cmd(&["ZSCAN", "s", "0", "COUNT", "100"]);
    let mut pairs: Vec<String> = f.items()[1]
        .items()
        .iter()
        .map(|i| String::from_utf8_lossy(i.as_bytes()).into_owned())
        .collect();
    pairs.sort();
    assert_eq!(pairs, ["1.1000000000000001", "2", "a", "b"]);
    // A full scan of a large set returns every member.
    r.s("CONFIG SET zset-max-listpack-entries 128");
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..5000 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    r.q(&args);
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let f = r.cmd(&["ZSCAN", "big", &cursor, "COUNT", "100"]);
        cursor = String::from_utf8_lossy(f.items()[0].as_bytes()).into_owned();
        for pair in f.items()[1].items().chunks(2) {
            seen.insert(pair[0].as_bytes().to_vec());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 5000);
}

#[test]
fn encoding_conversions() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("CONFIG SET zset-max-listpack-entries 4");
    r.s("CONFIG SET zset-max-listpack-value 8");
    r.s("ZADD z 1 a 2 b 3 c 4 d");
    assert_eq!(r.s("OBJECT ENCODING z"), "\"listpack\"");
    r.s("ZADD z 5 e");
    assert_eq!(r.s("OBJECT ENCODING z"), "\"skiplist\"");
    // Removals never convert back.
    r.s("ZREMRANGEBYRANK z 0 2");
    assert_eq!(r.s("OBJECT ENCODING z"), "\"skiplist\"");
    assert_eq!(
        r.s("ZRANGE z 0 -1 WITHSCORES"),
        "[\"d\", \"4\", \"e\", \"5\"]"
    );
    // A long member converts; a ZADD with more pairs than the limit creates a skiplist at once,
    // even when the pairs repeat members.
    r.s("ZADD v 1 a");
    r.s("ZADD v 2 123456789");
    assert_eq!(r.s("OBJECT ENCODING v"), "\"skiplist\"");
    r.s("ZADD w 1 a 1 a 1 a 1 a 1 a");
    assert_eq!(r.s("OBJECT ENCODING w"), "\"skiplist\"");
    assert_eq!(r.s("ZCARD w"), ":1");
    r.s("ZADD x 1 a");
    r.s("ZADD x 1 a 1 a 1 a 1 a 1 a");
    assert_eq!(r.s("OBJECT ENCODING x"), "\"skiplist\"");
    // Results that fit go back to listpack for the store commands that convert.
    assert_eq!(r.s("ZUNIONSTORE d 1 z"), ":2");
    assert_eq!(r.s("OBJECT ENCODING d"), "\"listpack\"");
    // Both encodings answer every query the same way.
    r.s("CONFIG SET zset-max-listpack-entries 128");
    r.s("CONFIG SET zset-max-listpack-value 64");
    for key in ["p", "k"] {
        if key == "k" {
            r.s("CONFIG SET zset-max-listpack-entries 0");
        }
        r.q(&[
            "ZADD", key, "1", "a", "1", "b", "2", "c", "-3", "d", "2", "e",
        ]);
    }
    assert_eq!(r.s("OBJECT ENCODING p"), "\"listpack\"");
    assert_eq!(r.s("OBJECT ENCODING k"), "\"skiplist\"");
    for q in [
        "ZRANGE {} 0 -1 WITHSCORES",
        "ZRANGE {} (1 +inf BYSCORE REV LIMIT 1 5 WITHSCORES",
        "ZRANK {} e WITHSCORE",
        "ZREVRANK {} d",
        "ZCOUNT {} 1 2",
        "ZRANGE {} 1 3 REV",
        "ZSCORE {} c",
    ] {
        let a = r.s(&q.replace("{}", "p"));
        let b = r.s(&q.replace("{}", "k"));
        assert_eq!(a, b, "{q}");
    }
}

#[test]
fn keyspace_events() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("CONFIG SET notify-keyspace-events KEA");
    let mut sub = s.raw();
    sub.send_cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    sub.read();
    let script = [
        ("ZADD z 1 a 2 b 3 c 4 d 5 e 6 f", vec!["zadd z"]),
        ("ZADD z 1 a", vec![]),
        ("ZINCRBY z 1 a", vec!["zincr z"]),
        ("ZADD z INCR 1 a", vec!["zincr z"]),
        ("ZREM z a", vec!["zrem z"]),
        ("ZREM z nx", vec![]),
        ("ZREMRANGEBYSCORE z 2 2", vec!["zremrangebyscore z"]),
        ("ZREMRANGEBYRANK z 0 0", vec!["zremrangebyrank z"]),
        ("ZREMRANGEBYLEX z [d [d", vec!["zremrangebylex z"]),
        ("ZPOPMIN z", vec!["zpopmin z"]),
        ("ZRANGESTORE r z 0 -1", vec!["zrangestore r"]),
        ("ZUNIONSTORE u 1 r", vec!["zunionstore u"]),
        ("ZINTERSTORE i 1 r", vec!["zinterstore i"]),
        ("ZDIFFSTORE df 1 r", vec!["zdiffstore df"]),
        ("ZDIFFSTORE df 1 nokey", vec!["del df"]),
        ("ZPOPMAX z 5", vec!["zpopmax z", "del z"]),
        ("ZMPOP 1 r MIN", vec!["zpopmin r", "del r"]),
        ("BZPOPMAX u 0", vec!["zpopmax u", "del u"]),
        ("ZADD y 1 a", vec!["zadd y"]),
        (
            "ZREMRANGEBYSCORE y -inf +inf",
            vec!["zremrangebyscore y", "del y"],
        ),
    ];
    for (cmd, events) in script {
        r.s(cmd);
        for e in events {
            let f = sub.read();
            let items = f.items();
            let got = format!(
                "{} {}",
                String::from_utf8_lossy(items[2].as_bytes()).trim_start_matches("__keyevent@0__:"),
                String::from_utf8_lossy(items[3].as_bytes())
            );
            assert_eq!(got, e, "after {cmd}");
        }
    }
    // Nothing else was published.
    r.s("PUBLISH marker x");
    sub.send_cmd(&["SUBSCRIBE", "marker"]);
    sub.read();
}

#[test]
fn command_info_matches_redis_7_2() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.s("COMMAND INFO bzpopmin"),
        "[[\"bzpopmin\", :-3, [+write, +blocking, +fast], :1, :-2, :1, [+@write, +@sortedset, +@fast, +@blocking], [], [[\"flags\", [+RW, +access, +delete], \"begin_search\", [\"type\", \"index\", \"spec\", [\"index\", :1]], \"find_keys\", [\"type\", \"range\", \"spec\", [\"lastkey\", :-2, \"keystep\", :1, \"limit\", :0]]]], []]]"
    );
    assert_eq!(
        r.s("COMMAND INFO zunionstore"),
        "[[\"zunionstore\", :-4, [+write, +denyoom, +movablekeys], :1, :1, :1, [+@write, +@sortedset, +@slow], [], [[\"flags\", [+OW, +update], \"begin_search\", [\"type\", \"index\", \"spec\", [\"index\", :1]], \"find_keys\", [\"type\", \"range\", \"spec\", [\"lastkey\", :0, \"keystep\", :1, \"limit\", :0]]], [\"flags\", [+RO, +access], \"begin_search\", [\"type\", \"index\", \"spec\", [\"index\", :2]], \"find_keys\", [\"type\", \"keynum\", \"spec\", [\"keynumidx\", :0, \"firstkey\", :1, \"keystep\", :1]]]], []]]"
    );
    let info = r.s("COMMAND INFO zrank zrandmember bzmpop");
    assert!(
        info.contains(
            "[\"zrank\", :-3, [+readonly, +fast], :1, :1, :1, [+@read, +@sortedset, +@fast]"
        ),
        "{info}"
    );
    assert!(info.contains("[\"zrandmember\", :-2, [+readonly], :1, :1, :1, [+@read, +@sortedset, +@slow], [\"nondeterministic_output\"]"), "{info}");
    assert!(info.contains("[\"bzmpop\", :-5, [+write, +blocking, +movablekeys], :0, :0, :0, [+@write, +@sortedset, +@slow, +@blocking]"), "{info}");
    assert_eq!(
        r.s("COMMAND GETKEYS ZUNIONSTORE d 2 a b WEIGHTS 1 2"),
        "[\"d\", \"a\", \"b\"]"
    );
    assert_eq!(r.s("COMMAND GETKEYS BZMPOP 0 2 a b MIN"), "[\"a\", \"b\"]");
}

/// A simple model: member -> score, compared through ZRANGE WITHSCORES after every command.
#[test]
fn randomized_against_model() {
    let s = Server::start();
    let mut r = s.raw();
    // Small limits so both encodings and the conversion are exercised.
    r.s("CONFIG SET zset-max-listpack-entries 16");
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut model: BTreeMap<String, f64> = BTreeMap::new();
    let fmt = |v: f64| {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    };
    for step in 0..3000 {
        let member = format!("m{}", rnd(40));
        let score = (rnd(200) as f64 - 100.0) / 4.0;
        match rnd(8) {
            0..=2 => {
                let added = !model.contains_key(&member);
                model.insert(member.clone(), score);
                let want = if added { ":1" } else { ":0" };
                assert_eq!(r.q(&["ZADD", "z", &fmt(score), &member]), want);
            }
            3 => {
                let new = model.get(&member).copied().unwrap_or(0.0) + score;
                model.insert(member.clone(), new);
                assert_eq!(
                    r.q(&["ZINCRBY", "z", &fmt(score), &member]),
                    format!("\"{}\"", fmt(new))
                );
            }
            4 => {
                let existed = model.remove(&member).is_some();
                assert_eq!(
                    r.q(&["ZREM", "z", &member]),
                    if existed { ":1" } else { ":0" }
                );
            }
            5 => {
                let (lo, hi) = (score.min(score + 10.0), score + 10.0);
                let n = model.values().filter(|&&v| v >= lo && v <= hi).count();
                assert_eq!(r.q(&["ZCOUNT", "z", &fmt(lo), &fmt(hi)]), format!(":{n}"));
            }
            6 => {
                let k = rnd(3) as usize;
                let mut sorted: Vec<(f64, String)> =
                    model.iter().map(|(m, s)| (*s, m.clone())).collect();
                sorted.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
                let popped: Vec<String> = sorted.iter().take(k).map(|(_, m)| m.clone()).collect();
                for m in &popped {
                    model.remove(m);
                }
                let f = r.cmd(&["ZPOPMIN", "z", &k.to_string()]);
                let got: Vec<String> = f
                    .items()
                    .chunks(2)
                    .map(|p| String::from_utf8_lossy(p[0].as_bytes()).into_owned())
                    .collect();
                assert_eq!(got, popped);
            }
            _ => {
                if let Some(sc) = model.get(&member) {
                    let rank = model.values().filter(|&&v| v < *sc).count()
                        + model
                            .iter()
                            .filter(|(m, v)| **v == *sc && m.as_str() < member.as_str())
                            .count();
                    assert_eq!(r.q(&["ZRANK", "z", &member]), format!(":{rank}"));
                } else {
                    assert_eq!(r.q(&["ZRANK", "z", &member]), "(nil)");
                }
            }
        }
        if step % 25 == 0 {
            let mut sorted: Vec<(f64, String)> =
                model.iter().map(|(m, s)| (*s, m.clone())).collect();
            sorted.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
            let want: Vec<String> = sorted
                .iter()
                .flat_map(|(s, m)| [format!("\"{m}\""), format!("\"{}\"", fmt(*s))])
                .collect();
            assert_eq!(
                r.s("ZRANGE z 0 -1 WITHSCORES"),
                format!("[{}]", want.join(", ")),
                "step {step}"
            );
            assert_eq!(r.s("ZCARD z"), format!(":{}", model.len()));
        }
    }
}

#[test]
fn million_members() {
    let s = Server::start();
    let mut r = s.raw();
    let n = 1_000_000usize;
    let batch = 1000;
    // Pipelined ZADDs of 1000 pairs each.
    let mut pending = 0;
    for b in 0..n / batch {
        let mut args: Vec<String> = vec!["ZADD".into(), "big".into()];
        for i in b * batch..(b + 1) * batch {
            args.push(i.to_string());
            args.push(format!("member:{i:07}"));
        }
        r.send_cmd(&args);
        pending += 1;
        if pending == 50 {
            for _ in 0..pending {
                assert_eq!(r.read().to_string(), format!(":{batch}"));
            }
            pending = 0;
        }
    }
    for _ in 0..pending {
        assert_eq!(r.read().to_string(), format!(":{batch}"));
    }
    assert_eq!(r.s("ZCARD big"), ":1000000");
    assert_eq!(r.s("OBJECT ENCODING big"), "\"skiplist\"");
    assert_eq!(r.s("ZRANK big member:0500000"), ":500000");
    assert_eq!(r.s("ZREVRANK big member:0000000"), ":999999");
    assert_eq!(r.s("ZSCORE big member:0999999"), "\"999999\"");
    assert_eq!(
        r.s("ZRANGE big 499999 500001 WITHSCORES"),
        "[\"member:0499999\", \"499999\", \"member:0500000\", \"500000\", \"member:0500001\", \"500001\"]"
    );
    assert_eq!(r.s("ZCOUNT big 1000 (2000"), ":1000");
    assert_eq!(
        r.s("ZRANGE big (999997 +inf BYSCORE"),
        "[\"member:0999998\", \"member:0999999\"]"
    );
    assert_eq!(
        r.s("ZRANGE big +inf -inf BYSCORE REV LIMIT 500000 2"),
        "[\"member:0499999\", \"member:0499998\"]"
    );
    assert_eq!(r.s("ZREMRANGEBYRANK big 0 99999"), ":100000");
    assert_eq!(r.s("ZRANK big member:0100000"), ":0");
    assert_eq!(r.s("ZINCRBY big -1000000 member:0999999"), "\"-1\"");
    assert_eq!(r.s("ZRANGE big 0 0"), "[\"member:0999999\"]");
    assert_eq!(r.s("ZPOPMAX big"), "[\"member:0999998\", \"999998\"]");
    assert_eq!(r.s("ZCARD big"), ":899999");
    let f = r.cmd(&["ZRANDMEMBER", "big", "5"]);
    assert_eq!(f.items().len(), 5);
    assert_eq!(r.s("ZINTERCARD 2 big big LIMIT 10"), ":10");
    assert_eq!(r.s("DEL big"), ":1");
}

#[test]
fn blocked_client_that_hangs_up_is_cleaned_up() {
    let s = Server::start();
    let mut admin = s.raw();
    // The command and the end of the stream arrive together.
    for _ in 0..20 {
        let mut c = s.raw();
        c.send_cmd(&["BZPOPMIN", "never", "0"]);
        c.stream.shutdown(std::net::Shutdown::Both).unwrap();
    }
    wait_blocked(&mut admin, 0);
    // A half-closed client still gets the replies to what it sent.
    let mut c = s.raw();
    c.send_cmd(&["ZADD", "z", "1", "a"]);
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(c.read().to_string(), ":1");
    assert!(c.closed());
    assert_eq!(admin.s("ZCARD z"), ":1");
    // Nothing was popped for the clients that left.
    admin.s("ZADD never 1 x");
    assert_eq!(admin.s("ZCARD never"), ":1");
}
