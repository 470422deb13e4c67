//! Hash commands: every command and option with exact replies (RESP2 and RESP3), error texts
//! and their order, listpack -> hashtable conversions, keyspace events, binary-safe fields and
//! values, HRANDFIELD's shapes and distribution, full HSCAN iterations, and a
//! 1,000,000-field hash. The expected replies of the table were checked against Redis 7
//! (tests/difftest/hashes.txt replays the same commands with difftest's script mode).
mod common;
mod fixtures;
use common::*;
use fixtures::*;

use std::collections::{HashMap, HashSet};

fn hello3(r: &mut Raw) {
    let f = r.cmd(&["HELLO", "3"]);
    assert!(matches!(f, Frame::Map(_)), "{f}");
}

#[test]
fn commands_replies_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            (
                "HSET h a 1 b 2 c",
                "-ERR wrong number of arguments for 'hset' command",
            ),
            ("HSET h a 1 b 2", ":2"),
            (
                "HMSET h a",
                "-ERR wrong number of arguments for 'hmset' command",
            ),
            (
                "HSET s x",
                "-ERR wrong number of arguments for 'hset' command",
            ),
            ("SET str v", "+OK"),
            (
                "HSET str a 1",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            (
                "HGET str a",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HGET h a", "\"1\""),
            ("HGET h zz", "(nil)"),
            ("HGET nokey a", "(nil)"),
            ("HMGET h a zz b", "[\"1\", (nil), \"2\"]"),
            ("HMGET nokey a b", "[(nil), (nil)]"),
            (
                "HMGET str a",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HSETNX h a 9", ":0"),
            ("HSETNX h n 9", ":1"),
            (
                "HSETNX str a 1",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HLEN h", ":3"),
            ("HLEN nokey", ":0"),
            (
                "HLEN str",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HSTRLEN h a", ":1"),
            ("HSTRLEN h zz", ":0"),
            ("HSTRLEN nokey a", ":0"),
            ("HEXISTS h a", ":1"),
            ("HEXISTS h zz", ":0"),
            (
                "HEXISTS str a",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HINCRBY h a 10", ":11"),
            (
                "HINCRBY h a x",
                "-ERR value is not an integer or out of range",
            ),
            ("HINCRBY h newint -5", ":-5"),
            ("HSET h f notint", ":1"),
            ("HINCRBY h f 1", "-ERR hash value is not an integer"),
            ("HSET h big 9223372036854775807", ":1"),
            (
                "HINCRBY h big 1",
                "-ERR increment or decrement would overflow",
            ),
            (
                "HINCRBY str a 1",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HINCRBYFLOAT h a 1.5", "\"12.5\""),
            ("HINCRBYFLOAT h a x", "-ERR value is not a valid float"),
            ("HINCRBYFLOAT h a inf", "-ERR value is NaN or Infinity"),
            ("HINCRBYFLOAT h a nan", "-ERR value is not a valid float"),
            ("HINCRBYFLOAT h f 1", "-ERR hash value is not a float"),
            ("HINCRBYFLOAT h fl 10.50", "\"10.5\""),
            ("HINCRBYFLOAT h fl 1e3", "\"1010.5\""),
            ("HINCRBYFLOAT h fl 5.0e3", "\"6010.5\""),
            ("HINCRBYFLOAT h fl -0.1", "\"6010.39999999999999991\""),
            ("HSET h huge 1.7976931348623157e308", ":1"),
            (
                "HINCRBYFLOAT h huge 1.7976931348623157e308",
                "\"359538626972463139991842093548208868096772893888658356970628841530353257046248792709403737216774171128857586838851041378617416726902272110715794556052955234146997955372576789671236326588091188869859074894581254961338834769297758245552436667197907705664206565009503223382416235440319971852753604933726679072768\"",
            ),
            (
                "HINCRBYFLOAT str a 1",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HDEL h a zz b", ":2"),
            ("HDEL nokey a", ":0"),
            (
                "HDEL str a",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HKEYS nokey", "[]"),
            ("HVALS nokey", "[]"),
            ("HGETALL nokey", "[]"),
            (
                "HGETALL str",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HRANDFIELD nokey", "(nil)"),
            ("HRANDFIELD nokey 5", "[]"),
            ("HRANDFIELD nokey 5 withvalues", "[]"),
            (
                "HRANDFIELD h x",
                "-ERR value is not an integer or out of range",
            ),
            ("HRANDFIELD h 1 withscores", "-ERR syntax error"),
            ("HRANDFIELD h 1 withvalues x", "-ERR syntax error"),
            (
                "HRANDFIELD h -9223372036854775808",
                "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ),
            (
                "HRANDFIELD h -9223372036854775807 withvalues",
                "-ERR value is out of range",
            ),
            (
                "HRANDFIELD h 4611686018427387904 withvalues",
                "-ERR value is out of range",
            ),
            (
                "HRANDFIELD str",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("HSCAN nokey 0", "[\"0\", []]"),
            ("HSCAN h x", "-ERR invalid cursor"),
            ("HSCAN h 0 count 0", "-ERR syntax error"),
            (
                "HSCAN h 0 count x",
                "-ERR value is not an integer or out of range",
            ),
            ("HSCAN h 0 match", "-ERR syntax error"),
            ("HSCAN h 0 bogus", "-ERR syntax error"),
            (
                "HSCAN str 0",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            (
                "~HSCAN h 0 match n*",
                "[\"0\", [\"-5\", \"9\", \"n\", \"newint\"]]",
            ),
            ("HSET d f v", ":1"),
            ("HDEL d f", ":1"),
            ("EXISTS d", ":0"),
            ("OBJECT ENCODING h", "\"hashtable\""),
            (
                "HSET enc f aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                ":1",
            ),
            ("OBJECT ENCODING enc", "\"hashtable\""),
            (
                "HSET x",
                "-ERR wrong number of arguments for 'hset' command",
            ),
            (
                "HGET h",
                "-ERR wrong number of arguments for 'hget' command",
            ),
            (
                "HGETALL",
                "-ERR wrong number of arguments for 'hgetall' command",
            ),
        ],
    );
}

#[test]
fn hset_hmset_hsetnx() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h a 1 b 2 a 3"), ":2");
    assert_eq!(r.s("HGET h a"), "\"3\"");
    assert_eq!(r.s("HSET h a 4 c 5"), ":1");
    assert_eq!(r.s("HMSET h a 6 d 7"), "+OK");
    assert_eq!(r.s("HMGET h a b c d"), "[\"6\", \"2\", \"5\", \"7\"]");
    assert_eq!(r.s("HSETNX h a x"), ":0");
    assert_eq!(r.s("HGET h a"), "\"6\"");
    assert_eq!(r.s("HSETNX new f v"), ":1");
    assert_eq!(r.s("HGETALL new"), "[\"f\", \"v\"]");
    // Insertion order is kept by the listpack; an update keeps its place.
    assert_eq!(r.s("HKEYS h"), "[\"a\", \"b\", \"c\", \"d\"]");
    assert_eq!(r.s("HVALS h"), "[\"6\", \"2\", \"5\", \"7\"]");
    assert_eq!(
        r.s("HGETALL h"),
        "[\"a\", \"6\", \"b\", \"2\", \"c\", \"5\", \"d\", \"7\"]"
    );
    // Empty field names and values are fine.
    assert_eq!(r.q(&["HSET", "e", "", ""]), ":1");
    assert_eq!(r.q(&["HGET", "e", ""]), "\"\"");
    assert_eq!(r.q(&["HSTRLEN", "e", ""]), ":0");
    assert_eq!(r.q(&["HEXISTS", "e", ""]), ":1");
    // Arity errors come before the type check.
    assert_eq!(r.s("SET str v"), "+OK");
    assert_eq!(r.s("HSET str a"), arity_err("hset"));
    assert_eq!(r.s("HMSET str a 1 b"), arity_err("hmset"));
    assert_eq!(r.s("HSETNX h a"), arity_err("hsetnx"));
    assert_eq!(r.s("HMGET h"), arity_err("hmget"));
    assert_eq!(r.s("HDEL h"), arity_err("hdel"));
    assert_eq!(r.s("HLEN"), arity_err("hlen"));
    assert_eq!(r.s("HLEN h x"), arity_err("hlen"));
    assert_eq!(r.s("HSTRLEN h"), arity_err("hstrlen"));
    assert_eq!(r.s("HEXISTS h"), arity_err("hexists"));
    assert_eq!(r.s("HKEYS"), arity_err("hkeys"));
    assert_eq!(r.s("HVALS"), arity_err("hvals"));
    assert_eq!(r.s("HINCRBY h a"), arity_err("hincrby"));
    assert_eq!(r.s("HINCRBYFLOAT h a"), arity_err("hincrbyfloat"));
    assert_eq!(r.s("HRANDFIELD"), arity_err("hrandfield"));
    assert_eq!(r.s("HSCAN h"), arity_err("hscan"));
    // A list (when the list family is present) is a wrong type too.
    if make_list(&mut r, "l") {
        for c in ["HSET l a 1", "HGET l a", "HLEN l", "HGETALL l", "HSCAN l 0"] {
            assert_eq!(r.s(c), WRONGTYPE, "{c}");
        }
    }
    // Failed commands create nothing.
    assert_eq!(
        r.s("HINCRBY nokey f x"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("HINCRBYFLOAT nokey f x"),
        "-ERR value is not a valid float"
    );
    assert_eq!(r.s("EXISTS nokey"), ":0");
}

#[test]
fn hdel_deletes_empty_hash_and_counts() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h a 1 b 2 c 3"), ":3");
    assert_eq!(r.s("HDEL h a a x"), ":1");
    assert_eq!(r.s("HLEN h"), ":2");
    assert_eq!(r.s("HDEL h b c d"), ":2");
    assert_eq!(r.s("EXISTS h"), ":0");
    assert_eq!(r.s("TYPE h"), "+none");
    // Same on a hashtable.
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..600 {
        args.push(format!("f{i}"));
        args.push(i.to_string());
    }
    assert_eq!(r.q(&args), ":600");
    assert_eq!(r.s("OBJECT ENCODING big"), "\"hashtable\"");
    let mut del = vec!["HDEL".to_string(), "big".to_string()];
    for i in 0..600 {
        del.push(format!("f{i}"));
    }
    assert_eq!(r.q(&del), ":600");
    assert_eq!(r.s("EXISTS big"), ":0");
}

#[test]
fn hincrby_and_hincrbyfloat() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HINCRBY h n 5"), ":5");
    assert_eq!(r.s("HINCRBY h n -10"), ":-5");
    assert_eq!(r.s("HGET h n"), "\"-5\"");
    assert_eq!(r.s("HSET h min -9223372036854775808"), ":1");
    assert_eq!(
        r.s("HINCRBY h min -1"),
        "-ERR increment or decrement would overflow"
    );
    assert_eq!(r.s("HINCRBY h min 0"), ":-9223372036854775808");
    assert_eq!(
        r.s("HINCRBY h n 9223372036854775808"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(r.q(&["HSET", "h", "sp", " 1"]), ":1");
    assert_eq!(r.s("HINCRBY h sp 1"), "-ERR hash value is not an integer");
    assert_eq!(r.s("HINCRBYFLOAT h sp 1"), "-ERR hash value is not a float");
    assert_eq!(r.s("HINCRBYFLOAT h x 0.1"), "\"0.1\"");
    assert_eq!(r.s("HINCRBYFLOAT h x 0.2"), "\"0.3\"");
    assert_eq!(r.s("HINCRBYFLOAT h x -0.3"), "\"0\"");
    assert_eq!(r.s("HINCRBYFLOAT h y 3.0e3"), "\"3000\"");
    assert_eq!(r.s("HINCRBYFLOAT h y 1.5e-3"), "\"3000.00150000000000006\"");
    assert_eq!(r.s("HINCRBYFLOAT h n 1"), "\"-4\"");
    assert_eq!(r.s("HINCRBY h n 1"), ":-3");
    assert_eq!(
        r.s("HINCRBYFLOAT h n -inf"),
        "-ERR value is NaN or Infinity"
    );
    assert_eq!(
        r.s("HINCRBYFLOAT h n +inf"),
        "-ERR value is NaN or Infinity"
    );
    assert_eq!(r.s("HSET h m 1e308"), ":1");
    assert_eq!(
        r.s("HINCRBYFLOAT h m 1e308"),
        "\"199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096\""
    );
    assert_eq!(r.s("HSET h top 1.18973149535723176502e+4932"), ":1");
    assert_eq!(
        r.s("HINCRBYFLOAT h top 1.18973149535723176502e+4932"),
        "-ERR increment would produce NaN or Infinity"
    );
    // RESP3: HINCRBYFLOAT stays a bulk string.
    hello3(&mut r);
    assert_eq!(r.s("HINCRBYFLOAT h x 1.25"), "\"1.25\"");
    assert_eq!(r.s("HINCRBY h n 1"), ":-2");
}

#[test]
fn resp3_reply_shapes() {
    let s = Server::start();
    let mut r = s.raw();
    hello3(&mut r);
    assert_eq!(r.s("HSET h a 1 b 2"), ":2");
    assert_eq!(r.s("HGETALL h"), r#"{"a": "1", "b": "2"}"#);
    assert_eq!(r.s("HGETALL nokey"), "{}");
    assert_eq!(r.s("HKEYS h"), "[\"a\", \"b\"]");
    assert_eq!(r.s("HVALS nokey"), "[]");
    assert_eq!(wire(&mut r, b"HGET nokey f\r\n", 3), b"_\r\n");
    assert_eq!(r.s("HMGET h a x"), "[\"1\", (nil)]");
    assert_eq!(wire(&mut r, b"HRANDFIELD nokey\r\n", 3), b"_\r\n");
    assert_eq!(
        r.s("HRANDFIELD h 2 WITHVALUES"),
        "[[\"a\", \"1\"], [\"b\", \"2\"]]"
    );
    let f = r.cmd(&["HRANDFIELD", "h", "-5", "WITHVALUES"]);
    assert_eq!(f.items().len(), 5);
    for pair in f.items() {
        let p = pair.items();
        assert_eq!(p.len(), 2, "{f}");
        let (k, v) = (p[0].as_bytes(), p[1].as_bytes());
        assert!(
            (k, v) == (b"a".as_slice(), b"1".as_slice())
                || (k, v) == (b"b".as_slice(), b"2".as_slice()),
            "{f}"
        );
    }
    assert_eq!(r.s("HRANDFIELD h 2"), "[\"a\", \"b\"]");
    assert_eq!(r.s("HSCAN h 0"), "[\"0\", [\"a\", \"1\", \"b\", \"2\"]]");
    // RESP2: flat arrays.
    let mut r2 = s.raw();
    assert_eq!(r2.s("HGETALL h"), "[\"a\", \"1\", \"b\", \"2\"]");
    assert_eq!(r2.s("HGETALL nokey"), "[]");
    assert_eq!(r2.s("HGET nokey f"), "(nil)");
    assert_eq!(
        r2.s("HRANDFIELD h 2 WITHVALUES"),
        "[\"a\", \"1\", \"b\", \"2\"]"
    );
    assert_eq!(
        r2.cmd(&["HRANDFIELD", "h", "-3", "WITHVALUES"])
            .items()
            .len(),
        6
    );
}

#[test]
fn resp3_wire_format() {
    let s = Server::start();
    let mut r = s.raw();
    hello3(&mut r);
    assert_eq!(r.s("HSET h a 1"), ":1");
    let want = b"%1\r\n$1\r\na\r\n$1\r\n1\r\n";
    assert_eq!(wire(&mut r, b"HGETALL h\r\n", want.len()), want.to_vec());
    let want = b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n";
    assert_eq!(
        wire(&mut r, b"HRANDFIELD h 1 WITHVALUES\r\n", want.len()),
        want.to_vec()
    );
    let want = b"%0\r\n";
    assert_eq!(
        wire(&mut r, b"HGETALL nokey\r\n", want.len()),
        want.to_vec()
    );
}

#[test]
fn hrandfield_counts_and_distribution() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h a 1 b 2 c 3 d 4 e 5"), ":5");
    assert_eq!(r.s("HRANDFIELD h 0"), "[]");
    assert_eq!(r.s("HRANDFIELD h 0 WITHVALUES"), "[]");
    // Positive count >= size: the whole hash.
    for c in ["5", "6", "100"] {
        let f = r.cmd(&["HRANDFIELD", "h", c]);
        let got: HashSet<Vec<u8>> = f.items().iter().map(|x| x.as_bytes().to_vec()).collect();
        assert_eq!(got.len(), 5, "{f}");
    }
    // Positive count: distinct fields; values match fields.
    for _ in 0..50 {
        let f = r.cmd(&["HRANDFIELD", "h", "3", "WITHVALUES"]);
        let items = f.items();
        assert_eq!(items.len(), 6);
        let mut seen = HashSet::new();
        for p in items.chunks(2) {
            let (k, v) = (p[0].as_bytes(), p[1].as_bytes());
            assert_eq!(v[0], k[0] - b'a' + b'1', "{f}");
            assert!(seen.insert(k.to_vec()), "repeat in {f}");
        }
    }
    // Negative count: repeats allowed, exactly |count| elements, roughly uniform.
    let f = r.cmd(&["HRANDFIELD", "h", "-10000"]);
    assert_eq!(f.items().len(), 10000);
    let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
    for x in f.items() {
        *counts.entry(x.as_bytes().to_vec()).or_default() += 1;
    }
    assert_eq!(counts.len(), 5);
    for (k, n) in &counts {
        assert!(
            (1600..2400).contains(n),
            "{} drawn {n} times",
            String::from_utf8_lossy(k)
        );
    }
    // Without count: one field, uniformly (hashtable too).
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..1000 {
        args.push(format!("f{i}"));
        args.push("v".into());
    }
    r.q(&args);
    assert_eq!(r.s("OBJECT ENCODING big"), "\"hashtable\"");
    let mut seen = HashSet::new();
    for _ in 0..300 {
        let f = r.cmd(&["HRANDFIELD", "big"]);
        seen.insert(f.as_bytes().to_vec());
    }
    assert!(
        seen.len() > 200,
        "only {} distinct of 300 draws",
        seen.len()
    );
    let f = r.cmd(&["HRANDFIELD", "big", "900"]);
    let distinct: HashSet<Vec<u8>> = f.items().iter().map(|x| x.as_bytes().to_vec()).collect();
    assert_eq!(distinct.len(), 900);
    let f = r.cmd(&["HRANDFIELD", "big", "-900", "WITHVALUES"]);
    assert_eq!(f.items().len(), 1800);
}

/// A whole HSCAN iteration: (field, value) pairs in order.
fn hscan_all(r: &mut Raw, key: &str, extra: &[&str]) -> Vec<Vec<u8>> {
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    loop {
        let mut args = vec!["HSCAN", key, &cursor];
        args.extend_from_slice(extra);
        let reply = r.cmd(&args);
        let items = reply.items();
        cursor = String::from_utf8(items[0].as_bytes().to_vec()).unwrap();
        out.extend(items[1].items().iter().map(|k| k.as_bytes().to_vec()));
        if cursor == "0" {
            return out;
        }
    }
}

#[test]
fn hscan_options() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h a 1 b 2 ab 3"), ":3");
    assert_eq!(
        r.s("HSCAN h 0 MATCH a*"),
        "[\"0\", [\"a\", \"1\", \"ab\", \"3\"]]"
    );
    assert_eq!(r.s("HSCAN h 0 NOVALUES"), "[\"0\", [\"a\", \"b\", \"ab\"]]");
    assert_eq!(
        r.s("HSCAN h 0 MATCH *b NOVALUES COUNT 1"),
        "[\"0\", [\"b\", \"ab\"]]"
    );
    assert_eq!(
        r.s("HSCAN h 0 novalues novalues"),
        "[\"0\", [\"a\", \"b\", \"ab\"]]"
    );
    assert_eq!(r.s("HSCAN h 0 COUNT -1"), "-ERR syntax error");
    assert_eq!(r.s("HSCAN h 0 TYPE string"), "-ERR syntax error");
    assert_eq!(r.s("HSCAN h 18446744073709551616"), "-ERR invalid cursor");
    // Options on a missing key are not even parsed.
    assert_eq!(r.s("HSCAN nokey 0 bogus"), "[\"0\", []]");
    // Hashtable: a full iteration returns every field exactly once.
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..2000 {
        args.push(format!("f{i}"));
        args.push(format!("v{i}"));
    }
    assert_eq!(r.q(&args), ":2000");
    assert_eq!(r.s("OBJECT ENCODING big"), "\"hashtable\"");
    let all = hscan_all(&mut r, "big", &["COUNT", "37"]);
    assert_eq!(all.len(), 4000);
    let mut seen = HashSet::new();
    for p in all.chunks(2) {
        let f = String::from_utf8(p[0].clone()).unwrap();
        assert_eq!(p[1], format!("v{}", &f[1..]).into_bytes());
        assert!(seen.insert(f));
    }
    assert_eq!(seen.len(), 2000);
    let keys = hscan_all(&mut r, "big", &["MATCH", "f1??", "NOVALUES"]);
    assert_eq!(keys.len(), 100);
}

#[test]
fn encoding_conversions() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.s("CONFIG GET hash-max-listpack-entries"),
        "[\"hash-max-listpack-entries\", \"512\"]"
    );
    assert_eq!(r.s("CONFIG SET hash-max-listpack-entries 4"), "+OK");
    assert_eq!(r.s("HSET h a 1 b 2 c 3 d 4"), ":4");
    assert_eq!(r.s("OBJECT ENCODING h"), "\"listpack\"");
    assert_eq!(r.s("HSET h e 5"), ":1");
    assert_eq!(r.s("OBJECT ENCODING h"), "\"hashtable\"");
    // Never back, even when it shrinks.
    assert_eq!(r.s("HDEL h a b c d"), ":4");
    assert_eq!(r.s("OBJECT ENCODING h"), "\"hashtable\"");
    // More pairs in one HSET than the limit convert up front, even if fields repeat.
    assert_eq!(r.s("HSET r a 1 a 2 a 3 a 4 a 5"), ":1");
    assert_eq!(r.s("OBJECT ENCODING r"), "\"hashtable\"");
    // Values: a field or value longer than hash-max-listpack-value.
    assert_eq!(r.s("CONFIG SET hash-max-listpack-value 8"), "+OK");
    assert_eq!(r.s("HSET v a 12345678"), ":1");
    assert_eq!(r.s("OBJECT ENCODING v"), "\"listpack\"");
    assert_eq!(r.s("HSET v b 123456789"), ":1");
    assert_eq!(r.s("OBJECT ENCODING v"), "\"hashtable\"");
    assert_eq!(r.s("HSET w 123456789 x"), ":1");
    assert_eq!(r.s("OBJECT ENCODING w"), "\"hashtable\"");
    assert_eq!(r.s("HSETNX x f 123456789"), ":1");
    assert_eq!(r.s("OBJECT ENCODING x"), "\"hashtable\"");
    assert_eq!(r.s("HINCRBYFLOAT y f 1.000000001"), "\"1.000000001\"");
    assert_eq!(r.s("OBJECT ENCODING y"), "\"hashtable\"");
    // Contents survive the conversion.
    let f = r.cmd(&["HGETALL", "v"]);
    let mut m: Vec<String> = f
        .items()
        .chunks(2)
        .map(|p| {
            format!(
                "{}={}",
                String::from_utf8_lossy(p[0].as_bytes()),
                String::from_utf8_lossy(p[1].as_bytes())
            )
        })
        .collect();
    m.sort();
    assert_eq!(m, vec!["a=12345678", "b=123456789"]);
}

#[test]
fn binary_safe_fields_and_values() {
    let s = Server::start();
    let mut r = s.raw();
    let field: &[u8] = b"f\x00\r\n\xff";
    let value: &[u8] = b"\x00\x01\xfe\r\nv";
    assert_eq!(r.q(&[b"HSET".as_slice(), b"bin", field, value]), ":1");
    assert_eq!(
        r.cmd(&[b"HGET".as_slice(), b"bin", field]).as_bytes(),
        value
    );
    assert_eq!(r.q(&[b"HSTRLEN".as_slice(), b"bin", field]), ":6");
    assert_eq!(r.q(&[b"HEXISTS".as_slice(), b"bin", b"f\x00"]), ":0");
    let all = r.cmd(&["HGETALL", "bin"]);
    assert_eq!(all.items()[0].as_bytes(), field);
    assert_eq!(all.items()[1].as_bytes(), value);
    // Same in a hashtable (large value forces the conversion).
    let big = vec![0u8; 100];
    assert_eq!(r.q(&[b"HSET".as_slice(), b"bin", b"z\x00", &big]), ":1");
    assert_eq!(r.s("OBJECT ENCODING bin"), "\"hashtable\"");
    assert_eq!(
        r.cmd(&[b"HGET".as_slice(), b"bin", field]).as_bytes(),
        value
    );
    assert_eq!(
        r.cmd(&[b"HGET".as_slice(), b"bin", b"z\x00"]).as_bytes(),
        big.as_slice()
    );
    let keys = hscan_all(&mut r, "bin", &["NOVALUES"]);
    let set: HashSet<Vec<u8>> = keys.into_iter().collect();
    assert!(set.contains(field) && set.contains(b"z\x00".as_slice()));
    assert_eq!(r.q(&[b"HDEL".as_slice(), b"bin", field]), ":1");
    assert_eq!(r.s("HLEN bin"), ":1");
}

#[test]
fn keyspace_events() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "KEA");
    r.s("HSET h a 1");
    assert_eq!(next_event(&mut sub), "hset h");
    r.s("HMSET h b 2");
    assert_eq!(next_event(&mut sub), "hset h");
    r.s("HSETNX h a 1");
    r.s("HSETNX h c 1");
    assert_eq!(next_event(&mut sub), "hset h");
    r.s("HINCRBY h n 1");
    assert_eq!(next_event(&mut sub), "hincrby h");
    r.s("HINCRBYFLOAT h n 1");
    assert_eq!(next_event(&mut sub), "hincrbyfloat h");
    r.s("HDEL h zz");
    r.s("HDEL h a b");
    assert_eq!(next_event(&mut sub), "hdel h");
    r.s("HDEL h c n");
    assert_eq!(next_event(&mut sub), "hdel h");
    assert_eq!(next_event(&mut sub), "del h");
}

#[test]
fn watch_is_invalidated_by_hash_writes() {
    let s = Server::start();
    let mut r = s.raw();
    let mut other = s.raw();
    r.s("HSET h a 1");
    for write in [
        "HSET h a 2",
        "HDEL h a",
        "HINCRBY h n 1",
        "HINCRBYFLOAT h n 1",
        "HSETNX h z 1",
    ] {
        assert_eq!(r.s("WATCH h"), "+OK");
        assert!(!other.s(write).starts_with('-'), "{write}");
        assert_eq!(r.s("MULTI"), "+OK");
        assert_eq!(r.s("HGET h a"), "+QUEUED");
        assert_eq!(r.s("EXEC"), "(nil-array)", "{write}");
    }
    // No-op writes do not touch it.
    assert_eq!(r.s("WATCH h"), "+OK");
    assert_eq!(other.s("HDEL h nothing"), ":0");
    assert_eq!(other.s("HSETNX h z 2"), ":0");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("HGET h z"), "+QUEUED");
    assert_eq!(r.s("EXEC"), "[\"1\"]");
}

#[test]
fn concurrent_hincrby_is_atomic() {
    let s = Server::start();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mut c = s.conn();
            std::thread::spawn(move || {
                for _ in 0..500 {
                    let _: i64 = redis::cmd("HINCRBY")
                        .arg("ctr")
                        .arg("n")
                        .arg(1)
                        .query(&mut c)
                        .unwrap();
                    let _: String = redis::cmd("HINCRBYFLOAT")
                        .arg("ctr")
                        .arg("f")
                        .arg("0.5")
                        .query(&mut c)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut r = s.raw();
    assert_eq!(r.s("HMGET ctr n f"), "[\"2000\", \"1000\"]");
}

#[test]
fn redis_crate_roundtrip() {
    let s = Server::start();
    let mut c = s.conn();
    let mut c3 = s.conn3();
    let n: i64 = redis::cmd("HSET")
        .arg("h")
        .arg("a")
        .arg("1")
        .arg("b")
        .arg("2")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2);
    let m: HashMap<String, String> = redis::cmd("HGETALL").arg("h").query(&mut c).unwrap();
    assert_eq!(m.len(), 2);
    let m3: HashMap<String, String> = redis::cmd("HGETALL").arg("h").query(&mut c3).unwrap();
    assert_eq!(m, m3);
    assert_eq!(m3["b"], "2");
}

#[test]
fn one_million_fields() {
    let s = Server::start();
    let mut c = s.conn();
    const N: usize = 1_000_000;
    const BATCH: usize = 10_000;
    let mut pipe = redis::pipe();
    for b in 0..N / BATCH {
        let mut cmd = redis::cmd("HSET");
        cmd.arg("big");
        for i in b * BATCH..(b + 1) * BATCH {
            cmd.arg(format!("field:{i}")).arg(i);
        }
        pipe.add_command(cmd).ignore();
    }
    let () = pipe.query(&mut c).unwrap();
    let mut r = s.raw();
    assert_eq!(r.s("HLEN big"), format!(":{N}"));
    assert_eq!(r.s("OBJECT ENCODING big"), "\"hashtable\"");
    assert_eq!(r.s("HGET big field:0"), "\"0\"");
    assert_eq!(r.s("HGET big field:999999"), "\"999999\"");
    assert_eq!(r.s("HGET big field:1000000"), "(nil)");
    assert_eq!(r.s("HEXISTS big field:543210"), ":1");
    assert_eq!(r.s("HINCRBY big field:7 3"), ":10");
    assert_eq!(r.s("HSTRLEN big field:123456"), ":6");
    assert_eq!(r.cmd(&["HRANDFIELD", "big", "100"]).items().len(), 100);
    assert_eq!(r.cmd(&["HKEYS", "big"]).items().len(), N);
    // A full HSCAN sees every field once.
    let mut cursor = "0".to_string();
    let mut seen = 0usize;
    loop {
        let reply = r.cmd(&["HSCAN", "big", &cursor, "COUNT", "5000", "NOVALUES"]);
        let items = reply.items();
        cursor = String::from_utf8(items[0].as_bytes().to_vec()).unwrap();
        seen += items[1].items().len();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, N);
    // Memory stays within a reasonable bound per field (Redis 7: ~70-80 bytes).
    let usage = r.cmd(&["MEMORY", "USAGE", "big"]);
    if let Frame::Int(bytes) = usage {
        assert!(bytes < 100 * N as i64, "MEMORY USAGE {bytes}");
    }
    assert_eq!(r.s("DEL big"), ":1");
}

/// A small deterministic generator for the model test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn randomized_against_a_model() {
    use std::collections::BTreeMap;
    let s = Server::start();
    let mut r = s.raw();
    // Small limits so the run crosses the listpack -> hashtable conversion often.
    assert_eq!(r.s("CONFIG SET hash-max-listpack-entries 16"), "+OK");
    let mut rng = Lcg(7);
    let mut model: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let keys = ["k0", "k1", "k2"];
    for step in 0..4000 {
        let key = keys[rng.next(3) as usize];
        let field = format!("f{}", rng.next(40));
        let h = model.entry(key.to_string()).or_default();
        match rng.next(8) {
            0 | 1 => {
                let v = format!("v{}", rng.next(1000));
                let new = h.insert(field.clone(), v.clone()).is_none();
                assert_eq!(r.q(&["HSET", key, &field, &v]), format!(":{}", new as i64));
            }
            2 => {
                let existed = h.remove(&field).is_some();
                assert_eq!(r.q(&["HDEL", key, &field]), format!(":{}", existed as i64));
            }
            3 => {
                let by = rng.next(100) as i64 - 50;
                let cur = h
                    .get(&field)
                    .map_or(0, |v| v.parse::<i64>().unwrap_or(i64::MIN));
                let reply = r.q(&["HINCRBY", key, &field, &by.to_string()]);
                if cur == i64::MIN {
                    assert_eq!(reply, "-ERR hash value is not an integer");
                } else {
                    assert_eq!(reply, format!(":{}", cur + by));
                    h.insert(field.clone(), (cur + by).to_string());
                }
            }
            4 => {
                let want = match h.get(&field) {
                    Some(v) => format!("\"{v}\""),
                    None => "(nil)".into(),
                };
                assert_eq!(r.q(&["HGET", key, &field]), want);
            }
            5 => {
                // Far-future TTLs never fire during the test: they only change encodings.
                let reply = r.q(&["HEXPIRE", key, "100000", "FIELDS", "1", &field]);
                let want = if h.contains_key(&field) {
                    "[:1]"
                } else {
                    "[:-2]"
                };
                assert_eq!(reply, want);
            }
            6 => {
                assert_eq!(r.q(&["HLEN", key]), format!(":{}", h.len()));
                let f = r.cmd(&["HGETALL", key]);
                let mut got: BTreeMap<String, String> = BTreeMap::new();
                for p in f.items().chunks(2) {
                    got.insert(
                        String::from_utf8(p[0].as_bytes().to_vec()).unwrap(),
                        String::from_utf8(p[1].as_bytes().to_vec()).unwrap(),
                    );
                }
                assert_eq!(&got, h, "step {step}");
            }
            _ => {
                let f = r.cmd(&["HRANDFIELD", key, "5", "WITHVALUES"]);
                let items = f.items();
                assert_eq!(items.len(), 2 * h.len().min(5));
                for p in items.chunks(2) {
                    let k = String::from_utf8(p[0].as_bytes().to_vec()).unwrap();
                    assert_eq!(h.get(&k).map(|v| v.as_bytes()), Some(p[1].as_bytes()));
                }
            }
        }
        if h.is_empty() {
            model.remove(key);
            assert_eq!(r.q(&["EXISTS", key]), ":0");
        }
    }
}

/// Deleting fields in HSCAN order (a common cleanup pattern) once made the table shrink into
/// one long probe run, so each later removal walked it; the remaining fields must stay
/// correct (and the run stays fast).
#[test]
fn hdel_in_hscan_order() {
    let s = Server::start();
    let mut c = s.conn();
    const N: usize = 50_000;
    let mut hset = redis::cmd("HSET");
    hset.arg("h");
    for i in 0..N {
        hset.arg(format!("f{i}")).arg("v");
    }
    let n: i64 = hset.query(&mut c).unwrap();
    assert_eq!(n, N as i64);
    let mut r = s.raw();
    let order = hscan_all(&mut r, "h", &["COUNT", "1000", "NOVALUES"]);
    assert_eq!(order.len(), N);
    for (i, chunk) in order.chunks(500).enumerate() {
        let mut del = redis::cmd("HDEL");
        del.arg("h");
        for f in chunk {
            del.arg(f.as_slice());
        }
        let n: i64 = del.query(&mut c).unwrap();
        assert_eq!(n, chunk.len() as i64);
        let left = N - (i + 1) * 500;
        if left.is_multiple_of(10_000) && left > 0 {
            assert_eq!(r.s("HLEN h"), format!(":{left}"));
            let f = String::from_utf8(order[N - 1].clone()).unwrap();
            assert_eq!(r.q(&["HGET", "h", &f]), "\"v\"");
        }
    }
    assert_eq!(r.s("EXISTS h"), ":0");
}
