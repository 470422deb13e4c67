//! Stream commands without consumer groups: XADD (IDs, NOMKSTREAM, trimming), XTRIM, XRANGE,
//! XREVRANGE, XLEN, XDEL, XDELEX, XSETID, XREAD (non-blocking and blocking), XINFO STREAM,
//! keyspace notifications, WATCH, key specs. Expected replies are Redis 7.2's (Redis 8.2's for
//! XDELEX and the KEEPREF / DELREF / ACKED options).
mod common;
use common::*;
use std::time::{Duration, Instant};

/// Polls INFO until `n` clients are blocked (generous timeout, no fixed sleeps).
fn wait_blocked(r: &mut Raw, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = r.cmd(&["INFO", "clients"]);
        let text = String::from_utf8_lossy(info.as_bytes()).into_owned();
        let blocked: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("blocked_clients:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("blocked_clients in INFO");
        if blocked == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected {n} blocked clients, have {blocked}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The ID in a bulk reply like `"1700000000000-3"`.
fn parse_id(reply: &str) -> (u64, u64) {
    let text = reply.trim_matches('"');
    let (ms, seq) = text.split_once('-').expect("an ID");
    (ms.parse().unwrap(), seq.parse().unwrap())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn xadd_explicit_ids_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    // Explicit IDs must grow; a missing sequence means 0.
    assert_eq!(r.s("XADD s 1-1 f v"), "\"1-1\"");
    assert_eq!(
        r.s("XADD s 1 f v"),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(
        r.s("XADD s 1-1 f v"),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(r.s("XADD s 2 f v"), "\"2-0\"");
    assert_eq!(
        r.s("XADD s 2-0 f v"),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(
        r.s("XADD s 0-0 f v"),
        "-ERR The ID specified in XADD must be greater than 0-0"
    );
    assert_eq!(
        r.s("XADD s 0 f v"),
        "-ERR The ID specified in XADD must be greater than 0-0"
    );
    assert_eq!(
        r.s("XADD s 0-1 f v"),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    // <ms>-*: next sequence in the same millisecond, 0 in a new one.
    assert_eq!(r.s("XADD s 2-* f v"), "\"2-1\"");
    assert_eq!(r.s("XADD s 2-* f v"), "\"2-2\"");
    assert_eq!(
        r.s("XADD s 1-* f v"),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(r.s("XADD s 5-* f v"), "\"5-0\"");
    assert_eq!(r.s("XADD e 0-* f v"), "\"0-1\"");
    assert_eq!(r.s("XADD e 0-* f v"), "\"0-2\"");
    // Syntax errors in IDs.
    assert_eq!(
        r.s("XADD s 1- f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XADD s -1 f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XADD s 1-2-3 f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XADD s abc f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XADD s 18446744073709551616 f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XADD s 9-18446744073709551616 f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XADD s ** f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XADD s 9-** f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    // strtoull quirks Redis accepts.
    assert_eq!(r.s("XADD s 007-010 f v"), "\"7-10\"");
    assert_eq!(r.s("XADD s +8 f v"), "\"8-0\"");
    // The sequence rolls over into the next millisecond only for auto IDs (`*` keeps going from
    // an ID in the future, so the clock never makes IDs go backwards).
    assert_eq!(
        r.s("XADD r 5-18446744073709551615 f v"),
        "\"5-18446744073709551615\""
    );
    // (Redis 7.0 answered "Elements are too large to be stored" here; 7.2 reports the ID.)
    assert_eq!(
        r.s("XADD r 5-* f v"),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(
        r.s("XADD r2 99999999999999-18446744073709551615 f v"),
        "\"99999999999999-18446744073709551615\""
    );
    assert_eq!(r.s("XADD r2 * f v"), "\"100000000000000-0\"");
    assert_eq!(r.s("XADD r2 * f v"), "\"100000000000000-1\"");
    // The largest ID exhausts the stream.
    assert_eq!(
        r.s("XADD m 18446744073709551615-18446744073709551615 f v"),
        "\"18446744073709551615-18446744073709551615\""
    );
    assert_eq!(
        r.s("XADD m * f v"),
        "-ERR The stream has exhausted the last possible ID, unable to add more items"
    );
    assert_eq!(
        r.s("XADD m 18446744073709551615-* f v"),
        "-ERR The stream has exhausted the last possible ID, unable to add more items"
    );
    // Field/value pairs must be complete.
    assert_eq!(
        r.s("XADD s * f"),
        "-ERR wrong number of arguments for 'xadd' command"
    );
    assert_eq!(
        r.s("XADD s * f v g"),
        "-ERR wrong number of arguments for 'xadd' command"
    );
    assert_eq!(
        r.s("XADD s NOMKSTREAM f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XADD s"),
        "-ERR wrong number of arguments for 'xadd' command"
    );
    assert_eq!(r.s("XLEN s"), ":7");
    // NOMKSTREAM does not create the stream, but adds to an existing one.
    assert_eq!(r.s("XADD n NOMKSTREAM * f v"), "(nil)");
    assert_eq!(r.s("EXISTS n"), ":0");
    assert_eq!(r.s("XADD s NOMKSTREAM 100-1 f v"), "\"100-1\"");
    // Options are case-insensitive; repeated fields are kept.
    assert_eq!(r.s("XADD s nomkstream 100-2 f v f w"), "\"100-2\"");
    assert_eq!(
        r.s("XRANGE s 100 100"),
        "[[\"100-1\", [\"f\", \"v\"]], [\"100-2\", [\"f\", \"v\", \"f\", \"w\"]]]"
    );
    // Wrong type.
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XADD str * f v"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XADD str NOMKSTREAM * f v"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xadd_trims_exactly_with_maxlen_and_minid() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET stream-node-max-entries 10"), "+OK");
    // Exact MAXLEN keeps the newest entries.
    assert_eq!(r.s("XADD s MAXLEN 3 1 f v"), "\"1-0\"");
    assert_eq!(r.s("XADD s MAXLEN 3 2 f v"), "\"2-0\"");
    assert_eq!(r.s("XADD s MAXLEN 3 3 f v"), "\"3-0\"");
    assert_eq!(r.s("XADD s MAXLEN = 3 4 f v"), "\"4-0\"");
    assert_eq!(
        r.s("XRANGE s - +"),
        "[[\"2-0\", [\"f\", \"v\"]], [\"3-0\", [\"f\", \"v\"]], [\"4-0\", [\"f\", \"v\"]]]"
    );
    assert_eq!(r.s("XLEN s"), ":3");
    // MINID removes entries below the threshold.
    assert_eq!(r.s("XADD s MINID 3 5 f v"), "\"5-0\"");
    assert_eq!(
        r.s("XRANGE s - +"),
        "[[\"3-0\", [\"f\", \"v\"]], [\"4-0\", [\"f\", \"v\"]], [\"5-0\", [\"f\", \"v\"]]]"
    );
    assert_eq!(r.s("XADD s MINID = 5-0 6 f v"), "\"6-0\"");
    assert_eq!(
        r.s("XRANGE s - +"),
        "[[\"5-0\", [\"f\", \"v\"]], [\"6-0\", [\"f\", \"v\"]]]"
    );
}

#[test]
fn approximate_trimming_removes_whole_blocks_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET stream-node-max-entries 10"), "+OK");
    // With ~ only whole blocks of 10 entries go.
    assert_eq!(r.s("XADD t 1 f v"), "\"1-0\"");
    assert_eq!(r.s("XADD t 2 f v"), "\"2-0\"");
    assert_eq!(r.s("XADD t 3 f v"), "\"3-0\"");
    assert_eq!(r.s("XADD t 4 f v"), "\"4-0\"");
    assert_eq!(r.s("XADD t 5 f v"), "\"5-0\"");
    assert_eq!(r.s("XADD t 6 f v"), "\"6-0\"");
    assert_eq!(r.s("XADD t 7 f v"), "\"7-0\"");
    assert_eq!(r.s("XADD t 8 f v"), "\"8-0\"");
    assert_eq!(r.s("XADD t 9 f v"), "\"9-0\"");
    assert_eq!(r.s("XADD t 10 f v"), "\"10-0\"");
    assert_eq!(r.s("XADD t 11 f v"), "\"11-0\"");
    assert_eq!(r.s("XADD t 12 f v"), "\"12-0\"");
    assert_eq!(r.s("XADD t 13 f v"), "\"13-0\"");
    assert_eq!(r.s("XADD t 14 f v"), "\"14-0\"");
    assert_eq!(r.s("XADD t 15 f v"), "\"15-0\"");
    assert_eq!(r.s("XADD t 16 f v"), "\"16-0\"");
    assert_eq!(r.s("XADD t 17 f v"), "\"17-0\"");
    assert_eq!(r.s("XADD t 18 f v"), "\"18-0\"");
    assert_eq!(r.s("XADD t 19 f v"), "\"19-0\"");
    assert_eq!(r.s("XADD t 20 f v"), "\"20-0\"");
    assert_eq!(r.s("XADD t 21 f v"), "\"21-0\"");
    assert_eq!(r.s("XADD t 22 f v"), "\"22-0\"");
    assert_eq!(r.s("XADD t 23 f v"), "\"23-0\"");
    assert_eq!(r.s("XADD t 24 f v"), "\"24-0\"");
    assert_eq!(r.s("XADD t 25 f v"), "\"25-0\"");
    assert_eq!(r.s("XTRIM t MAXLEN ~ 20"), ":0");
    assert_eq!(r.s("XLEN t"), ":25");
    assert_eq!(r.s("XTRIM t MAXLEN ~ 10"), ":10");
    assert_eq!(r.s("XLEN t"), ":15");
    assert_eq!(r.s("XTRIM t MAXLEN ~ 10 LIMIT 5"), ":0");
    assert_eq!(r.s("XLEN t"), ":15");
    assert_eq!(r.s("XTRIM t MAXLEN 10"), ":5");
    assert_eq!(r.s("XRANGE t - + COUNT 1"), "[[\"16-0\", [\"f\", \"v\"]]]");
    assert_eq!(r.s("XTRIM t MINID ~ 20"), ":0");
    assert_eq!(r.s("XLEN t"), ":10");
    assert_eq!(r.s("XTRIM t MINID 20"), ":4");
    assert_eq!(r.s("XRANGE t - + COUNT 1"), "[[\"20-0\", [\"f\", \"v\"]]]");
    assert_eq!(r.s("XTRIM t MAXLEN 0"), ":6");
    assert_eq!(r.s("XLEN t"), ":0");
    assert_eq!(
        r.s("XINFO STREAM t"),
        "[\"length\", :0, \"radix-tree-keys\", :0, \"radix-tree-nodes\", :1, \"last-generated-id\", \"25-0\", \"max-deleted-entry-id\", \"0-0\", \"entries-added\", :25, \"recorded-first-entry-id\", \"0-0\", \"groups\", :0, \"first-entry\", (nil), \"last-entry\", (nil)]"
    );
    assert_eq!(r.s("XTRIM missing MAXLEN 0"), ":0");
    assert_eq!(r.s("XTRIM t MAXLEN ~ 0 LIMIT 0"), ":0");
    // Errors.
    assert_eq!(
        r.s("XTRIM t"),
        "-ERR wrong number of arguments for 'xtrim' command"
    );
    assert_eq!(
        r.s("XTRIM t MAXLEN"),
        "-ERR wrong number of arguments for 'xtrim' command"
    );
    assert_eq!(r.s("XTRIM t FOO 1"), "-ERR syntax error");
    assert_eq!(
        r.s("XTRIM t MAXLEN -1"),
        "-ERR The MAXLEN argument must be >= 0."
    );
    assert_eq!(
        r.s("XTRIM t MAXLEN abc"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("XTRIM t MINID abc"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XTRIM t MAXLEN 1 MINID 1"),
        "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    );
    assert_eq!(
        r.s("XTRIM t MAXLEN 1 LIMIT 10"),
        "-ERR syntax error, LIMIT cannot be used without the special ~ option"
    );
    assert_eq!(
        r.s("XTRIM t MAXLEN ~ 1 LIMIT -1"),
        "-ERR The LIMIT argument must be >= 0."
    );
    assert_eq!(
        r.s("XTRIM t MAXLEN ~ 1 LIMIT abc"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(r.s("XTRIM t MAXLEN 1 NOMKSTREAM"), "-ERR syntax error");
    assert_eq!(
        r.s("XADD t LIMIT 5 * f v"),
        "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
    );
    assert_eq!(
        r.s("XADD t LIMIT 0 * f v"),
        "-ERR syntax error, LIMIT cannot be used without the special ~ option"
    );
    assert_eq!(
        r.s("XADD t MAXLEN 1 LIMIT 5 * f v"),
        "-ERR syntax error, LIMIT cannot be used without the special ~ option"
    );
    assert_eq!(
        r.s("XADD t MAXLEN ~ 1 LIMIT 5 MINID 1 * f v"),
        "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    );
    assert_eq!(
        r.s("XADD t MAXLEN 1 ~ * f v"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XADD t MAXLEN ~ * f v"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XTRIM str MAXLEN 1"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xrange_xrevrange_xlen() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XADD s 1-1 a 1"), "\"1-1\"");
    assert_eq!(r.s("XADD s 1-2 b 2"), "\"1-2\"");
    assert_eq!(r.s("XADD s 2-5 c 3"), "\"2-5\"");
    assert_eq!(r.s("XADD s 3-0 d 4 e 5"), "\"3-0\"");
    assert_eq!(
        r.s("XRANGE s - +"),
        "[[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]], [\"2-5\", [\"c\", \"3\"]], [\"3-0\", [\"d\", \"4\", \"e\", \"5\"]]]"
    );
    assert_eq!(
        r.s("XRANGE s 1 1"),
        "[[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]]]"
    );
    assert_eq!(
        r.s("XRANGE s 1-2 +"),
        "[[\"1-2\", [\"b\", \"2\"]], [\"2-5\", [\"c\", \"3\"]], [\"3-0\", [\"d\", \"4\", \"e\", \"5\"]]]"
    );
    assert_eq!(
        r.s("XRANGE s (1-1 (3-0"),
        "[[\"1-2\", [\"b\", \"2\"]], [\"2-5\", [\"c\", \"3\"]]]"
    );
    assert_eq!(
        r.s("XRANGE s (1 +"),
        "[[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]], [\"2-5\", [\"c\", \"3\"]], [\"3-0\", [\"d\", \"4\", \"e\", \"5\"]]]"
    );
    assert_eq!(
        r.s("XRANGE s - (2"),
        "[[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]], [\"2-5\", [\"c\", \"3\"]]]"
    );
    assert_eq!(r.s("XRANGE s 2 -"), "[]");
    assert_eq!(
        r.s("XRANGE s - + COUNT 2"),
        "[[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]]]"
    );
    assert_eq!(r.s("XRANGE s - + COUNT 0"), "(nil-array)");
    assert_eq!(r.s("XRANGE s - + COUNT -1"), "(nil-array)");
    assert_eq!(
        r.s("XRANGE s - + count 1 COUNT 3"),
        "[[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]], [\"2-5\", [\"c\", \"3\"]]]"
    );
    assert_eq!(
        r.s("XREVRANGE s + -"),
        "[[\"3-0\", [\"d\", \"4\", \"e\", \"5\"]], [\"2-5\", [\"c\", \"3\"]], [\"1-2\", [\"b\", \"2\"]], [\"1-1\", [\"a\", \"1\"]]]"
    );
    assert_eq!(
        r.s("XREVRANGE s + - COUNT 2"),
        "[[\"3-0\", [\"d\", \"4\", \"e\", \"5\"]], [\"2-5\", [\"c\", \"3\"]]]"
    );
    assert_eq!(
        r.s("XREVRANGE s (3-0 (1-1"),
        "[[\"2-5\", [\"c\", \"3\"]], [\"1-2\", [\"b\", \"2\"]]]"
    );
    assert_eq!(
        r.s("XREVRANGE s 2 1"),
        "[[\"2-5\", [\"c\", \"3\"]], [\"1-2\", [\"b\", \"2\"]], [\"1-1\", [\"a\", \"1\"]]]"
    );
    assert_eq!(r.s("XREVRANGE s - +"), "[]");
    assert_eq!(r.s("XRANGE missing - +"), "[]");
    assert_eq!(r.s("XRANGE missing - + COUNT 0"), "[]");
    assert_eq!(r.s("XREVRANGE missing + -"), "[]");
    // Errors.
    assert_eq!(r.s("XRANGE s - + COUNT"), "-ERR syntax error");
    assert_eq!(
        r.s("XRANGE s - + COUNT abc"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(r.s("XRANGE s - + FOO 1"), "-ERR syntax error");
    assert_eq!(
        r.s("XRANGE s x +"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XRANGE s - x"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XRANGE s (- +"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XRANGE s - (+"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XRANGE s (18446744073709551615-18446744073709551615 +"),
        "-ERR invalid start ID for the interval"
    );
    assert_eq!(
        r.s("XRANGE s - (0-0"),
        "-ERR invalid end ID for the interval"
    );
    assert_eq!(r.s("XREVRANGE s (0 -"), "[]");
    assert_eq!(
        r.s("XREVRANGE s + (18446744073709551615-18446744073709551615"),
        "-ERR invalid start ID for the interval"
    );
    assert_eq!(
        r.s("XRANGE s -"),
        "-ERR wrong number of arguments for 'xrange' command"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XRANGE str - +"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XREVRANGE str + -"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XLEN str"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(r.s("XLEN missing"), ":0");
}

#[test]
fn xdel_and_xsetid() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XADD s 1-1 a 1"), "\"1-1\"");
    assert_eq!(r.s("XADD s 1-2 b 2"), "\"1-2\"");
    assert_eq!(r.s("XADD s 1-3 c 3"), "\"1-3\"");
    assert_eq!(r.s("XDEL s 1-2 1-2 9-9"), ":1");
    assert_eq!(
        r.s("XDEL s 1-1 bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XRANGE s - +"),
        "[[\"1-1\", [\"a\", \"1\"]], [\"1-3\", [\"c\", \"3\"]]]"
    );
    assert_eq!(r.s("XDEL missing bad"), ":0");
    assert_eq!(r.s("XDEL s 1"), ":0");
    assert_eq!(
        r.s("XINFO STREAM s"),
        "[\"length\", :2, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, \"last-generated-id\", \"1-3\", \"max-deleted-entry-id\", \"1-2\", \"entries-added\", :3, \"recorded-first-entry-id\", \"1-1\", \"groups\", :0, \"first-entry\", [\"1-1\", [\"a\", \"1\"]], \"last-entry\", [\"1-3\", [\"c\", \"3\"]]]"
    );
    assert_eq!(r.s("XDEL s 1-3"), ":1");
    assert_eq!(
        r.s("XINFO STREAM s"),
        "[\"length\", :1, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, \"last-generated-id\", \"1-3\", \"max-deleted-entry-id\", \"1-3\", \"entries-added\", :3, \"recorded-first-entry-id\", \"1-1\", \"groups\", :0, \"first-entry\", [\"1-1\", [\"a\", \"1\"]], \"last-entry\", [\"1-1\", [\"a\", \"1\"]]]"
    );
    assert_eq!(r.s("XDEL s 1-1"), ":1");
    assert_eq!(r.s("XLEN s"), ":0");
    assert_eq!(r.s("EXISTS s"), ":1");
    assert_eq!(
        r.s("XINFO STREAM s"),
        "[\"length\", :0, \"radix-tree-keys\", :0, \"radix-tree-nodes\", :1, \"last-generated-id\", \"1-3\", \"max-deleted-entry-id\", \"1-3\", \"entries-added\", :3, \"recorded-first-entry-id\", \"0-0\", \"groups\", :0, \"first-entry\", (nil), \"last-entry\", (nil)]"
    );
    assert_eq!(r.s("XADD s 1-4 d 4"), "\"1-4\"");
    assert_eq!(
        r.s("XSETID s 1-3"),
        "-ERR The ID specified in XSETID is smaller than the target stream top item"
    );
    assert_eq!(r.s("XSETID s 5-0"), "+OK");
    assert_eq!(
        r.s("XADD s 5-0 f v"),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(r.s("XADD s 5-* f v"), "\"5-1\"");
    assert_eq!(
        r.s("XSETID s 6 ENTRIESADDED 0"),
        "-ERR The entries_added specified in XSETID is smaller than the target stream length"
    );
    assert_eq!(r.s("XSETID s 6 ENTRIESADDED 100 MAXDELETEDID 6"), "+OK");
    assert_eq!(
        r.s("XSETID s 6 MAXDELETEDID 7"),
        "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
    );
    assert_eq!(
        r.s("XSETID s 6 ENTRIESADDED -1"),
        "-ERR entries_added must be positive"
    );
    assert_eq!(
        r.s("XSETID s 6 ENTRIESADDED abc"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("XSETID s 6 MAXDELETEDID abc"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(r.s("XSETID s 6 FOO"), "-ERR syntax error");
    assert_eq!(r.s("XSETID s 6 ENTRIESADDED"), "-ERR syntax error");
    assert_eq!(
        r.s("XSETID s abc"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(r.s("XSETID missing 6"), "-ERR no such key");
    assert_eq!(
        r.s("XSETID missing abc"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XINFO STREAM s"),
        "[\"length\", :2, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, \"last-generated-id\", \"6-0\", \"max-deleted-entry-id\", \"6-0\", \"entries-added\", :100, \"recorded-first-entry-id\", \"1-4\", \"groups\", :0, \"first-entry\", [\"1-4\", [\"d\", \"4\"]], \"last-entry\", [\"5-1\", [\"f\", \"v\"]]]"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XSETID str 6"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XDEL str 1"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xread_non_blocking_resp2() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XADD a 1-1 f 1"), "\"1-1\"");
    assert_eq!(r.s("XADD a 1-2 f 2"), "\"1-2\"");
    assert_eq!(r.s("XADD b 2-1 g 1"), "\"2-1\"");
    assert_eq!(
        r.s("XREAD STREAMS a b 0 0"),
        "[[\"a\", [[\"1-1\", [\"f\", \"1\"]], [\"1-2\", [\"f\", \"2\"]]]], [\"b\", [[\"2-1\", [\"g\", \"1\"]]]]]"
    );
    assert_eq!(
        r.s("XREAD COUNT 1 STREAMS a b 0 0"),
        "[[\"a\", [[\"1-1\", [\"f\", \"1\"]]]], [\"b\", [[\"2-1\", [\"g\", \"1\"]]]]]"
    );
    assert_eq!(
        r.s("XREAD COUNT 0 STREAMS a 0"),
        "[[\"a\", [[\"1-1\", [\"f\", \"1\"]], [\"1-2\", [\"f\", \"2\"]]]]]"
    );
    assert_eq!(
        r.s("XREAD COUNT -3 STREAMS a 1-1"),
        "[[\"a\", [[\"1-2\", [\"f\", \"2\"]]]]]"
    );
    assert_eq!(
        r.s("XREAD STREAMS a b 1-2 0"),
        "[[\"b\", [[\"2-1\", [\"g\", \"1\"]]]]]"
    );
    assert_eq!(r.s("XREAD STREAMS a b 1-2 2-1"), "(nil-array)");
    assert_eq!(r.s("XREAD STREAMS a missing $ 0"), "(nil-array)");
    assert_eq!(r.s("XREAD STREAMS missing 0"), "(nil-array)");
    assert_eq!(
        r.s("XREAD streams a 1"),
        "[[\"a\", [[\"1-1\", [\"f\", \"1\"]], [\"1-2\", [\"f\", \"2\"]]]]]"
    );
    assert_eq!(
        r.s("XREAD STREAMS a a 0 1-1"),
        "[[\"a\", [[\"1-1\", [\"f\", \"1\"]], [\"1-2\", [\"f\", \"2\"]]]], [\"a\", [[\"1-2\", [\"f\", \"2\"]]]]]"
    );
    assert_eq!(r.s("XREAD BLOCK 10 STREAMS a $"), "(nil-array)");
    // Errors.
    assert_eq!(
        r.s("XREAD STREAMS a"),
        "-ERR wrong number of arguments for 'xread' command"
    );
    assert_eq!(
        r.s("XREAD STREAMS a b 0"),
        "-ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or '$' must be specified."
    );
    assert_eq!(r.s("XREAD COUNT 1 a 0"), "-ERR syntax error");
    assert_eq!(
        r.s("XREAD COUNT abc STREAMS a 0"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("XREAD BLOCK abc STREAMS a 0"),
        "-ERR timeout is not an integer or out of range"
    );
    assert_eq!(
        r.s("XREAD BLOCK -1 STREAMS a 0"),
        "-ERR timeout is negative"
    );
    assert_eq!(
        r.s("XREAD BLOCK 1.5 STREAMS a 0"),
        "-ERR timeout is not an integer or out of range"
    );
    assert_eq!(
        r.s("XREAD GROUP g c STREAMS a 0"),
        "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
    );
    assert_eq!(
        r.s("XREAD NOACK STREAMS a 0"),
        "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
    );
    assert_eq!(
        r.s("XREAD STREAMS a >"),
        "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
    );
    assert_eq!(
        r.s("XREAD STREAMS a bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XREAD STREAMS a -"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XREAD STREAMS"),
        "-ERR wrong number of arguments for 'xread' command"
    );
    assert_eq!(
        r.s("XREAD COUNT 1 BLOCK 1 FOO STREAMS a 0"),
        "-ERR syntax error"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XREAD STREAMS a str 0 0"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XREAD STREAMS str a 0 bad"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xread_non_blocking_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    assert!(r.s("HELLO 3").starts_with('{'));
    assert_eq!(r.s("XADD a 1-1 f 1"), "\"1-1\"");
    assert_eq!(r.s("XADD a 1-2 f 2"), "\"1-2\"");
    assert_eq!(r.s("XADD b 2-1 g 1"), "\"2-1\"");
    assert_eq!(
        r.s("XREAD STREAMS a b 0 0"),
        "{\"a\": [[\"1-1\", [\"f\", \"1\"]], [\"1-2\", [\"f\", \"2\"]]], \"b\": [[\"2-1\", [\"g\", \"1\"]]]}"
    );
    assert_eq!(
        r.s("XREAD COUNT 1 STREAMS a b 0 0"),
        "{\"a\": [[\"1-1\", [\"f\", \"1\"]]], \"b\": [[\"2-1\", [\"g\", \"1\"]]]}"
    );
    assert_eq!(
        r.s("XREAD COUNT 0 STREAMS a 0"),
        "{\"a\": [[\"1-1\", [\"f\", \"1\"]], [\"1-2\", [\"f\", \"2\"]]]}"
    );
    assert_eq!(
        r.s("XREAD COUNT -3 STREAMS a 1-1"),
        "{\"a\": [[\"1-2\", [\"f\", \"2\"]]]}"
    );
    assert_eq!(
        r.s("XREAD STREAMS a b 1-2 0"),
        "{\"b\": [[\"2-1\", [\"g\", \"1\"]]]}"
    );
    assert_eq!(r.s("XREAD STREAMS a b 1-2 2-1"), "(nil)");
    assert_eq!(r.s("XREAD STREAMS a missing $ 0"), "(nil)");
    assert_eq!(r.s("XREAD STREAMS missing 0"), "(nil)");
    assert_eq!(
        r.s("XREAD streams a 1"),
        "{\"a\": [[\"1-1\", [\"f\", \"1\"]], [\"1-2\", [\"f\", \"2\"]]]}"
    );
    assert_eq!(
        r.s("XREAD STREAMS a a 0 1-1"),
        "{\"a\": [[\"1-1\", [\"f\", \"1\"]], [\"1-2\", [\"f\", \"2\"]]], \"a\": [[\"1-2\", [\"f\", \"2\"]]]}"
    );
    assert_eq!(r.s("XREAD BLOCK 10 STREAMS a $"), "(nil)");
    // Errors.
    assert_eq!(
        r.s("XREAD STREAMS a"),
        "-ERR wrong number of arguments for 'xread' command"
    );
    assert_eq!(
        r.s("XREAD STREAMS a b 0"),
        "-ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or '$' must be specified."
    );
    assert_eq!(r.s("XREAD COUNT 1 a 0"), "-ERR syntax error");
    assert_eq!(
        r.s("XREAD COUNT abc STREAMS a 0"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("XREAD BLOCK abc STREAMS a 0"),
        "-ERR timeout is not an integer or out of range"
    );
    assert_eq!(
        r.s("XREAD BLOCK -1 STREAMS a 0"),
        "-ERR timeout is negative"
    );
    assert_eq!(
        r.s("XREAD BLOCK 1.5 STREAMS a 0"),
        "-ERR timeout is not an integer or out of range"
    );
    assert_eq!(
        r.s("XREAD GROUP g c STREAMS a 0"),
        "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
    );
    assert_eq!(
        r.s("XREAD NOACK STREAMS a 0"),
        "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
    );
    assert_eq!(
        r.s("XREAD STREAMS a >"),
        "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
    );
    assert_eq!(
        r.s("XREAD STREAMS a bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XREAD STREAMS a -"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XREAD STREAMS"),
        "-ERR wrong number of arguments for 'xread' command"
    );
    assert_eq!(
        r.s("XREAD COUNT 1 BLOCK 1 FOO STREAMS a 0"),
        "-ERR syntax error"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XREAD STREAMS a str 0 0"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XREAD STREAMS str a 0 bad"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xadd_auto_ids_follow_the_clock_and_never_go_back() {
    let s = Server::start();
    let mut r = s.raw();
    let before = now_ms();
    let first = parse_id(&r.s("XADD s * f v"));
    let after = now_ms();
    assert!(
        first.0 >= before && first.0 <= after,
        "{first:?} not in {before}..={after}"
    );
    assert_eq!(first.1, 0);
    // A pipeline of auto IDs: strictly increasing, sequence restarting at 0 on a new ms.
    let n = 2000;
    let mut pipeline = Vec::new();
    for _ in 0..n {
        pipeline
            .extend_from_slice(b"*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$1\r\nf\r\n$1\r\nv\r\n");
    }
    r.send(&pipeline);
    let mut prev = first;
    for _ in 0..n {
        let id = parse_id(&r.read().to_string());
        assert!(id > prev, "{id:?} after {prev:?}");
        if id.0 == prev.0 {
            assert_eq!(id.1, prev.1 + 1);
        } else {
            assert_eq!(id.1, 0);
        }
        prev = id;
    }
    // An explicit ID in the future: `*` continues from it instead of using the clock.
    assert_eq!(r.s("XADD s 99999999999999-7 f v"), "\"99999999999999-7\"");
    assert_eq!(r.s("XADD s * f v"), "\"99999999999999-8\"");
    // <ms>-* in the past of the last ID is refused, in the future starts at 0.
    assert_eq!(
        r.s("XADD s 5-* f v"),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(r.s("XADD s 99999999999999-* f v"), "\"99999999999999-9\"");
    assert_eq!(r.s("XADD s 100000000000000-* f v"), "\"100000000000000-0\"");
    assert_eq!(r.s("XLEN s"), format!(":{}", n + 5));
}

#[test]
fn values_are_binary_safe_and_large() {
    let s = Server::start();
    let mut r = s.raw();
    let big = vec![b'x'; 1 << 20];
    let binary: &[u8] = b"\x00\r\n\xff";
    assert_eq!(
        r.q(&[&b"XADD"[..], b"s", b"1-1", binary, &big, b"", b"-007"]),
        "\"1-1\""
    );
    // Number-like values come back exactly as given (leading zeros, signs).
    assert_eq!(
        r.q(&[
            "XADD",
            "s",
            "1-2",
            "n",
            "000123",
            "m",
            "-0",
            "k",
            "12345678901234567890"
        ]),
        "\"1-2\""
    );
    let reply = r.cmd(&["XRANGE", "s", "-", "+"]);
    let entries = reply.items();
    let pairs = entries[0].items()[1].items();
    assert_eq!(pairs[0].as_bytes(), binary);
    assert_eq!(pairs[1].as_bytes(), &big[..]);
    assert_eq!(pairs[2].as_bytes(), b"");
    assert_eq!(pairs[3].as_bytes(), b"-007");
    assert_eq!(
        entries[1].to_string(),
        "[\"1-2\", [\"n\", \"000123\", \"m\", \"-0\", \"k\", \"12345678901234567890\"]]"
    );
    // Binary key names work everywhere.
    assert_eq!(
        r.q(&[&b"XADD"[..], b"\x00k\xff", b"1-1", b"f", b"v"]),
        "\"1-1\""
    );
    assert_eq!(r.q(&[&b"XLEN"[..], b"\x00k\xff"]), ":1");
}

#[test]
fn xdelex_policies_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XADD s 1-1 f v"), "\"1-1\"");
    assert_eq!(r.s("XADD s 1-2 f v"), "\"1-2\"");
    assert_eq!(r.s("XADD s 1-3 f v"), "\"1-3\"");
    assert_eq!(r.s("XDELEX s IDS 2 1-1 9-9"), "[:1, :-1]");
    assert_eq!(r.s("XDELEX s KEEPREF IDS 1 1-2"), "[:1]");
    // Without consumer groups nothing is referenced: ACKED deletes too.
    assert_eq!(r.s("XDELEX s ACKED IDS 1 1-3"), "[:1]");
    assert_eq!(r.s("XLEN s"), ":0");
    assert_eq!(
        r.s("XINFO STREAM s"),
        "[\"length\", :0, \"radix-tree-keys\", :0, \"radix-tree-nodes\", :1, \"last-generated-id\", \"1-3\", \"max-deleted-entry-id\", \"1-3\", \"entries-added\", :3, \"recorded-first-entry-id\", \"0-0\", \"groups\", :0, \"first-entry\", (nil), \"last-entry\", (nil)]"
    );
    assert_eq!(r.s("XDELEX missing IDS 2 1-1 1-2"), "[:-1, :-1]");
    assert_eq!(
        r.s("XDELEX s IDS 0 1-1"),
        "-ERR Number of IDs must be a positive integer"
    );
    assert_eq!(
        r.s("XDELEX s IDS -1 1-1"),
        "-ERR Number of IDs must be a positive integer"
    );
    assert_eq!(
        r.s("XDELEX s IDS abc 1-1"),
        "-ERR Number of IDs must be a positive integer"
    );
    assert_eq!(
        r.s("XDELEX s IDS 3 1-1 1-2"),
        "-ERR The `numids` parameter must match the number of arguments"
    );
    assert_eq!(r.s("XDELEX s IDS 1 1-1 1-2"), "-ERR syntax error");
    assert_eq!(
        r.s("XDELEX s KEEPREF DELREF IDS 1 1-1"),
        "-ERR syntax error"
    );
    assert_eq!(r.s("XDELEX s BOGUS IDS 1 1-1"), "-ERR syntax error");
    // The policy may also follow the IDs.
    assert_eq!(r.s("XDELEX s IDS 1 1-1 DELREF"), "[:-1]");
    assert_eq!(
        r.s("XDELEX s IDS 1 bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XDELEX s IDS 1"),
        "-ERR wrong number of arguments for 'xdelex' command"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XDELEX str IDS 1 1-1"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xinfo_stream_full_without_groups() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XINFO STREAM missing"), "-ERR no such key");
    assert_eq!(r.s("XADD s 1-1 a 1"), "\"1-1\"");
    assert_eq!(r.s("XADD s 2-2 b 2"), "\"2-2\"");
    assert_eq!(r.s("XADD s 3-3 c 3"), "\"3-3\"");
    assert_eq!(
        r.s("XINFO STREAM s FULL"),
        "[\"length\", :3, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, \"last-generated-id\", \"3-3\", \"max-deleted-entry-id\", \"0-0\", \"entries-added\", :3, \"recorded-first-entry-id\", \"1-1\", \"entries\", [[\"1-1\", [\"a\", \"1\"]], [\"2-2\", [\"b\", \"2\"]], [\"3-3\", [\"c\", \"3\"]]], \"groups\", []]"
    );
    assert_eq!(
        r.s("XINFO STREAM s FULL COUNT 1"),
        "[\"length\", :3, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, \"last-generated-id\", \"3-3\", \"max-deleted-entry-id\", \"0-0\", \"entries-added\", :3, \"recorded-first-entry-id\", \"1-1\", \"entries\", [[\"1-1\", [\"a\", \"1\"]]], \"groups\", []]"
    );
    // COUNT 0 means everything, a negative COUNT the default (10).
    assert!(
        r.s("XINFO STREAM s FULL COUNT 0")
            .contains("\"3-3\", [\"c\", \"3\"]")
    );
    assert!(
        r.s("XINFO STREAM s FULL COUNT -1")
            .contains("\"3-3\", [\"c\", \"3\"]")
    );
    let subcommand_error =
        "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.";
    assert_eq!(r.s("XINFO STREAM s FOO"), subcommand_error);
    assert_eq!(r.s("XINFO STREAM s FULL COUNT"), subcommand_error);
    assert_eq!(r.s("XINFO STREAM s FULL FOO 1"), subcommand_error);
    assert_eq!(
        r.s("XINFO stream s FULL COUNT 1 2"),
        "-ERR unknown subcommand or wrong number of arguments for 'stream'. Try XINFO HELP."
    );
    assert_eq!(
        r.s("XINFO STREAM s FULL COUNT x"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(r.s("XINFO GROUPS s"), "[]");
    assert_eq!(r.s("XINFO GROUPS missing"), "-ERR no such key");
    assert_eq!(
        r.s("XINFO FOO s"),
        "-ERR unknown subcommand 'FOO'. Try XINFO HELP."
    );
    assert_eq!(
        r.s("XINFO"),
        "-ERR wrong number of arguments for 'xinfo' command"
    );
    assert_eq!(
        r.s("XINFO STREAM"),
        "-ERR wrong number of arguments for 'xinfo|stream' command"
    );
    assert_eq!(
        r.s("XINFO HELP"),
        "[+XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +CONSUMERS <key> <groupname>, +    Show consumers of <groupname>., +GROUPS <key>, +    Show the stream consumer groups., +STREAM <key> [FULL [COUNT <count>], +    Show information about the stream., +HELP, +    Prints this help.]"
    );
    // RESP3: maps.
    assert!(r.s("HELLO 3").starts_with('{'));
    assert_eq!(
        r.s("XINFO STREAM s"),
        "{\"length\": :3, \"radix-tree-keys\": :1, \"radix-tree-nodes\": :2, \"last-generated-id\": \"3-3\", \"max-deleted-entry-id\": \"0-0\", \"entries-added\": :3, \"recorded-first-entry-id\": \"1-1\", \"groups\": :0, \"first-entry\": [\"1-1\", [\"a\", \"1\"]], \"last-entry\": [\"3-3\", [\"c\", \"3\"]]}"
    );
    assert_eq!(r.s("XTRIM s MAXLEN 0"), ":3");
    assert_eq!(
        r.s("XINFO STREAM s"),
        "{\"length\": :0, \"radix-tree-keys\": :0, \"radix-tree-nodes\": :1, \"last-generated-id\": \"3-3\", \"max-deleted-entry-id\": \"0-0\", \"entries-added\": :3, \"recorded-first-entry-id\": \"0-0\", \"groups\": :0, \"first-entry\": (nil), \"last-entry\": (nil)}"
    );
}

#[test]
fn keyspace_notifications() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET notify-keyspace-events Et"), "+OK");
    let mut sub = s.raw();
    sub.send_cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    sub.read();
    let expect = |sub: &mut Raw, event: &str| {
        assert_eq!(
            sub.read().to_string(),
            format!("[\"pmessage\", \"__keyevent@0__:*\", \"__keyevent@0__:{event}\", \"s\"]")
        );
    };
    assert_eq!(r.s("XADD s 1-1 f v"), "\"1-1\"");
    expect(&mut sub, "xadd");
    assert_eq!(r.s("XADD s MAXLEN 1 1-2 f v"), "\"1-2\"");
    expect(&mut sub, "xadd");
    expect(&mut sub, "xtrim");
    assert_eq!(r.s("XADD s 1-3 f v"), "\"1-3\"");
    expect(&mut sub, "xadd");
    assert_eq!(r.s("XTRIM s MAXLEN 5"), ":0");
    assert_eq!(r.s("XTRIM s MAXLEN 1"), ":1");
    expect(&mut sub, "xtrim");
    assert_eq!(r.s("XDEL s 9-9"), ":0");
    assert_eq!(r.s("XADD s 1-4 f v"), "\"1-4\"");
    expect(&mut sub, "xadd");
    assert_eq!(r.s("XDEL s 1-4"), ":1");
    expect(&mut sub, "xdel");
    assert_eq!(r.s("XSETID s 5-0"), "+OK");
    expect(&mut sub, "xsetid");
    assert_eq!(r.s("XADD s 6-0 f v"), "\"6-0\"");
    expect(&mut sub, "xadd");
    assert_eq!(r.s("XDELEX s IDS 1 6-0"), "[:1]");
    expect(&mut sub, "xdel");
    assert_eq!(r.s("XGROUP CREATE s g 0"), "+OK");
    expect(&mut sub, "xgroup-create");
    assert_eq!(r.s("XGROUP CREATECONSUMER s g c"), ":1");
    expect(&mut sub, "xgroup-createconsumer");
    assert_eq!(r.s("XGROUP CREATECONSUMER s g c"), ":0");
    assert_eq!(
        r.s("XREADGROUP GROUP g d STREAMS s >"),
        "[[\"s\", [[\"1-3\", [\"f\", \"v\"]]]]]"
    );
    expect(&mut sub, "xgroup-createconsumer");
    assert_eq!(r.s("XCLAIM s g e 0 1-3 JUSTID"), "[\"1-3\"]");
    expect(&mut sub, "xgroup-createconsumer");
    assert_eq!(
        r.s("XAUTOCLAIM s g f 0 0 JUSTID"),
        "[\"0-0\", [\"1-3\"], []]"
    );
    expect(&mut sub, "xgroup-createconsumer");
    assert_eq!(r.s("XGROUP SETID s g 0"), "+OK");
    expect(&mut sub, "xgroup-setid");
    assert_eq!(r.s("XGROUP DELCONSUMER s g nobody"), ":0");
    assert_eq!(r.s("XGROUP DELCONSUMER s g c"), ":0");
    expect(&mut sub, "xgroup-delconsumer");
    assert_eq!(r.s("XACK s g 1-3"), ":1");
    assert_eq!(r.s("XGROUP DESTROY s g"), ":1");
    expect(&mut sub, "xgroup-destroy");
    assert_eq!(r.s("XGROUP DESTROY s g"), ":0");
    // Nothing else was published.
    assert_eq!(r.s("PUBLISH __keyevent@0__:end s"), ":1");
    expect(&mut sub, "end");
}

#[test]
fn watch_sees_stream_writes_but_not_group_bookkeeping() {
    let s = Server::start();
    let mut r = s.raw();
    let mut other = s.raw();
    assert_eq!(r.s("XADD s 1-1 f v"), "\"1-1\"");
    assert_eq!(r.s("XGROUP CREATE s g 0"), "+OK");
    for (write, invalidates) in [
        ("XADD s 2-1 f v", true),
        ("XDEL s 2-1", true),
        ("XTRIM s MAXLEN 5", false),
        ("XGROUP CREATECONSUMER s g c", false),
        ("XREADGROUP GROUP g c STREAMS s >", false),
        ("XACK s g 1-1", false),
        ("XTRIM s MAXLEN 0", true),
    ] {
        assert_eq!(r.s("WATCH s"), "+OK");
        other.s(write);
        assert_eq!(r.s("MULTI"), "+OK");
        assert_eq!(r.s("XLEN s"), "+QUEUED");
        let exec = r.s("EXEC");
        assert_eq!(exec == "(nil-array)", invalidates, "{write}: {exec}");
    }
}

#[test]
fn xread_block_wakes_on_xadd_and_times_out() {
    let s = Server::start();
    let mut r = s.raw();
    let mut w = s.raw();
    assert_eq!(r.s("XADD s 1-1 f v"), "\"1-1\"");
    // `$`: only what arrives after the command.
    r.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XADD s 2-1 g w"), "\"2-1\"");
    assert_eq!(
        r.read().to_string(),
        "[[\"s\", [[\"2-1\", [\"g\", \"w\"]]]]]"
    );
    wait_blocked(&mut w, 0);
    // Several entries added atomically arrive together.
    r.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("MULTI"), "+OK");
    assert_eq!(w.s("XADD s 3-1 a 1"), "+QUEUED");
    assert_eq!(w.s("XADD s 3-2 a 2"), "+QUEUED");
    assert_eq!(w.s("EXEC"), "[\"3-1\", \"3-2\"]");
    assert_eq!(
        r.read().to_string(),
        "[[\"s\", [[\"3-1\", [\"a\", \"1\"]], [\"3-2\", [\"a\", \"2\"]]]]]"
    );
    // Only the streams that got data are in the reply; COUNT applies.
    r.send_cmd(&[
        "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "x", "y", "$", "$",
    ]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("MULTI"), "+OK");
    assert_eq!(w.s("XADD y 1-1 a 1"), "+QUEUED");
    assert_eq!(w.s("XADD y 1-2 a 2"), "+QUEUED");
    assert_eq!(w.s("EXEC"), "[\"1-1\", \"1-2\"]");
    assert_eq!(
        r.read().to_string(),
        "[[\"y\", [[\"1-1\", [\"a\", \"1\"]]]]]"
    );
    // Data already there: no blocking at all.
    assert_eq!(
        r.s("XREAD BLOCK 0 STREAMS s 3-1"),
        "[[\"s\", [[\"3-2\", [\"a\", \"2\"]]]]]"
    );
    // A timeout answers with a null array (RESP3: null).
    assert_eq!(r.s("XREAD BLOCK 20 STREAMS s $"), "(nil-array)");
    assert!(r.s("HELLO 3").starts_with('{'));
    assert_eq!(r.s("XREAD BLOCK 20 STREAMS s $"), "(nil)");
    r.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XADD s 4-1 f v"), "\"4-1\"");
    assert_eq!(r.read().to_string(), "{\"s\": [[\"4-1\", [\"f\", \"v\"]]]}");
    // Inside MULTI, BLOCK cannot block: it answers as a timeout would.
    assert_eq!(w.s("MULTI"), "+OK");
    assert_eq!(w.s("XREAD BLOCK 0 STREAMS s $"), "+QUEUED");
    assert_eq!(w.s("EXEC"), "[(nil-array)]");
}

#[test]
fn xread_plus_reads_the_last_entry_and_blocks_for_the_next() {
    let s = Server::start();
    let mut r = s.raw();
    let mut w = s.raw();
    assert_eq!(r.s("XREAD STREAMS s +"), "(nil-array)");
    assert_eq!(r.s("XADD s 1-1 a 1"), "\"1-1\"");
    assert_eq!(r.s("XADD s 1-2 b 2"), "\"1-2\"");
    assert_eq!(
        r.s("XREAD STREAMS s +"),
        "[[\"s\", [[\"1-2\", [\"b\", \"2\"]]]]]"
    );
    assert_eq!(r.s("XDEL s 1-2"), ":1");
    assert_eq!(
        r.s("XREAD STREAMS s +"),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]]]]]"
    );
    // On an empty stream `+` waits for the next entry.
    assert_eq!(r.s("DEL s"), ":1");
    r.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "+"]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XADD s 5-5 c 3"), "\"5-5\"");
    assert_eq!(
        r.read().to_string(),
        "[[\"s\", [[\"5-5\", [\"c\", \"3\"]]]]]"
    );
}

#[test]
fn xread_blocked_on_a_deleted_or_retyped_key_keeps_waiting() {
    let s = Server::start();
    let mut r = s.raw();
    let mut w = s.raw();
    assert_eq!(w.s("XADD s 5-0 f v"), "\"5-0\"");
    r.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("DEL s"), ":1");
    assert_eq!(w.s("SET s str"), "+OK");
    assert_eq!(w.s("DEL s"), ":1");
    // `$` was fixed to 5-0 when the command blocked: older IDs are not served.
    assert_eq!(w.s("XADD s 4-0 f v"), "\"4-0\"");
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XADD s 6-0 g w"), "\"6-0\"");
    assert_eq!(
        r.read().to_string(),
        "[[\"s\", [[\"6-0\", [\"g\", \"w\"]]]]]"
    );
    // A key of another type among the keys is reported when a stream key gets data.
    r.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$"]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("SET a str"), "+OK");
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XADD b 1-1 f v"), "\"1-1\"");
    assert_eq!(
        r.read().to_string(),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

/// Entries of an XREAD reply on one stream: (id, first value).
fn read_entries(reply: &Frame) -> Vec<String> {
    match reply {
        Frame::NullArray => Vec::new(),
        _ => reply.items()[0].items()[1]
            .items()
            .iter()
            .map(|e| String::from_utf8_lossy(e.items()[0].as_bytes()).into_owned())
            .collect(),
    }
}

#[test]
fn tailing_with_xread_block_survives_a_disconnect_without_gaps() {
    let s = Server::start();
    const TOTAL: usize = 3000;
    let port = s.port;
    let producer = std::thread::spawn(move || {
        let mut p = Raw::connect(port);
        for batch in 0..(TOTAL / 100) {
            let mut pipeline = Vec::new();
            for i in 0..100 {
                let value = format!("{}", batch * 100 + i);
                pipeline.extend_from_slice(
                    format!(
                        "*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$1\r\nn\r\n${}\r\n{}\r\n",
                        value.len(),
                        value
                    )
                    .as_bytes(),
                );
            }
            p.send(&pipeline);
            for _ in 0..100 {
                p.read();
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    let mut seen: Vec<String> = Vec::new();
    let mut last = "0-0".to_string();
    let mut tailer = s.raw();
    let mut disconnected = false;
    while seen.len() < TOTAL {
        if !disconnected && seen.len() >= TOTAL / 3 {
            // Disconnect while blocked (the reply, if any, is lost with the connection), then
            // resume from the last ID actually processed.
            tailer.send_cmd(&[
                "XREAD", "COUNT", "50", "BLOCK", "1000", "STREAMS", "s", &last,
            ]);
            drop(tailer);
            tailer = s.raw();
            disconnected = true;
        }
        let reply = tailer.cmd(&[
            "XREAD", "COUNT", "50", "BLOCK", "2000", "STREAMS", "s", &last,
        ]);
        for id in read_entries(&reply) {
            last = id.clone();
            seen.push(id);
        }
    }
    producer.join().unwrap();
    let all = s.raw().cmd(&["XRANGE", "s", "-", "+"]);
    let all: Vec<String> = all
        .items()
        .iter()
        .map(|e| String::from_utf8_lossy(e.items()[0].as_bytes()).into_owned())
        .collect();
    assert_eq!(all.len(), TOTAL);
    assert_eq!(seen, all);
}

#[test]
fn command_info_and_key_extraction() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.s("COMMAND INFO xread"),
        "[[\"xread\", :-4, [+readonly, +blocking, +movablekeys], :0, :0, :0, [+@read, +@stream, +@slow, +@blocking], [], [[\"flags\", [+RO, +access], \"begin_search\", [\"type\", \"keyword\", \"spec\", [\"keyword\", \"STREAMS\", \"startfrom\", :1]], \"find_keys\", [\"type\", \"range\", \"spec\", [\"lastkey\", :-1, \"keystep\", :1, \"limit\", :2]]]], []]]"
    );
    assert_eq!(
        r.s("COMMAND GETKEYS XREAD COUNT 2 STREAMS a b 0 0"),
        "[\"a\", \"b\"]"
    );
    assert_eq!(
        r.s("COMMAND GETKEYS XREADGROUP GROUP streams c STREAMS a >"),
        "[\"a\"]"
    );
    assert_eq!(r.s("COMMAND GETKEYS XADD s * f v"), "[\"s\"]");
    assert_eq!(r.s("COMMAND GETKEYS XGROUP CREATE s g $"), "[\"s\"]");
    assert_eq!(r.s("COMMAND GETKEYS XINFO STREAM s"), "[\"s\"]");
}
