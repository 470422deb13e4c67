//! Redis 7.4 hash-field expiration: HEXPIRE/HPEXPIRE/HEXPIREAT/HPEXPIREAT (NX XX GT LT, reply
//! codes -2/0/1/2), HTTL/HPTTL/HEXPIRETIME/HPEXPIRETIME, HPERSIST, their errors and order,
//! lazy expiry on access, the active sweep, keyspace events and interactions with the other
//! hash commands (HSET clears a TTL, HINCRBY keeps it, HGETALL/HSCAN skip expired fields).
mod common;
mod fixtures;
use common::*;
use fixtures::*;

use std::time::Duration;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn int(r: &mut Raw, args: &[&str]) -> i64 {
    r.cmd(args).as_int()
}

fn ints(r: &mut Raw, line: &str) -> Vec<i64> {
    let f = r.cmd(&split_args(line));
    f.items().iter().map(|x| x.as_int()).collect()
}

fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[test]
fn hexpire_reply_codes_and_conditions() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h a 1 b 2 c 3"), ":3");
    assert_eq!(r.s("OBJECT ENCODING h"), "\"listpack\"");
    // 1: set; -2: no such field (also repeated in one command).
    assert_eq!(r.s("HEXPIRE h 100 FIELDS 3 a zz a"), "[:1, :-2, :1]");
    assert_eq!(r.s("OBJECT ENCODING h"), "\"listpackex\"");
    // NX: only fields without TTL.
    assert_eq!(r.s("HEXPIRE h 200 NX FIELDS 2 a b"), "[:0, :1]");
    // XX: only fields with a TTL.
    assert_eq!(r.s("HEXPIRE h 300 XX FIELDS 2 a c"), "[:1, :0]");
    // GT: only a later time; a field without TTL counts as infinite (never met).
    assert_eq!(r.s("HEXPIRE h 250 GT FIELDS 3 a b c"), "[:0, :1, :0]");
    assert_eq!(r.s("HTTL h FIELDS 3 a b c"), "[:300, :250, :-1]");
    // LT: only an earlier time; no TTL counts as infinite (always met).
    assert_eq!(r.s("HEXPIRE h 260 LT FIELDS 3 a b c"), "[:1, :0, :1]");
    assert_eq!(r.s("HTTL h FIELDS 3 a b c"), "[:260, :250, :260]");
    // Options are case-insensitive.
    assert_eq!(r.s("hexpire h 270 gt fields 1 a"), "[:1]");
    // 2: a time in the past deletes the field; the last one deletes the key.
    assert_eq!(r.s("HPEXPIREAT h 1 FIELDS 2 a nope"), "[:2, :-2]");
    assert_eq!(r.s("HEXPIRE h 0 FIELDS 1 b"), "[:2]");
    assert_eq!(r.s("HGETALL h"), "[\"c\", \"3\"]");
    assert_eq!(r.s("HEXPIREAT h 0 FIELDS 1 c"), "[:2]");
    assert_eq!(r.s("EXISTS h"), ":0");
    // A condition that is not met does not delete, even with a past time.
    assert_eq!(r.s("HSET h a 1"), ":1");
    assert_eq!(r.s("HPEXPIRE h 0 XX FIELDS 1 a"), "[:0]");
    assert_eq!(r.s("HGET h a"), "\"1\"");
    // Missing key: -2 for every field.
    assert_eq!(r.s("HEXPIRE nokey 10 FIELDS 2 a b"), "[:-2, :-2]");
    assert_eq!(r.s("EXISTS nokey"), ":0");
    // Even without any field getting a TTL, the listpack becomes listpackex.
    assert_eq!(r.s("HSET lp a 1"), ":1");
    assert_eq!(r.s("HEXPIRE lp 10 FIELDS 1 zz"), "[:-2]");
    assert_eq!(r.s("OBJECT ENCODING lp"), "\"listpackex\"");
}

#[test]
fn all_four_expire_commands_agree() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h s 1 ps 2 at 3 pat 4"), ":4");
    let t0 = now_ms();
    assert_eq!(r.s("HEXPIRE h 100 FIELDS 1 s"), "[:1]");
    assert_eq!(r.s("HPEXPIRE h 100000 FIELDS 1 ps"), "[:1]");
    let at_s = t0 / 1000 + 100;
    assert_eq!(
        r.q(&["HEXPIREAT", "h", &at_s.to_string(), "FIELDS", "1", "at"]),
        "[:1]"
    );
    let at_ms = t0 + 100_000;
    assert_eq!(
        r.q(&["HPEXPIREAT", "h", &at_ms.to_string(), "FIELDS", "1", "pat"]),
        "[:1]"
    );
    let t1 = now_ms();
    for f in ["s", "ps", "at", "pat"] {
        let pttl = ints(&mut r, &format!("HPTTL h FIELDS 1 {f}"))[0];
        assert!((90_000..=100_000).contains(&pttl), "{f}: {pttl}");
        let ttl = ints(&mut r, &format!("HTTL h FIELDS 1 {f}"))[0];
        assert!((90..=100).contains(&ttl), "{f}: {ttl}");
        let pt = ints(&mut r, &format!("HPEXPIRETIME h FIELDS 1 {f}"))[0];
        assert!(pt >= t0 + 99_000 - 1000 && pt <= t1 + 100_000, "{f}: {pt}");
        let et = ints(&mut r, &format!("HEXPIRETIME h FIELDS 1 {f}"))[0];
        assert!(
            (pt / 1000..=pt / 1000 + 1).contains(&et),
            "{f}: {et} vs {pt}"
        );
    }
    assert_eq!(
        r.q(&["HPEXPIRETIME", "h", "FIELDS", "1", "pat"]),
        format!("[:{at_ms}]")
    );
    assert_eq!(
        r.q(&["HEXPIRETIME", "h", "FIELDS", "1", "at"]),
        format!("[:{at_s}]")
    );
    assert_eq!(r.s("HPERSIST h FIELDS 1 s"), "[:1]");
    for c in ["HTTL", "HPTTL", "HEXPIRETIME", "HPEXPIRETIME"] {
        assert_eq!(
            r.q(&[c, "h", "FIELDS", "3", "s", "zz", "s"]),
            "[:-1, :-2, :-1]",
            "{c}"
        );
        assert_eq!(
            r.q(&[c, "nokey", "FIELDS", "2", "a", "b"]),
            "[:-2, :-2]",
            "{c}"
        );
    }
}

#[test]
fn errors_and_their_order() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h f v"), ":1");
    assert_eq!(r.s("SET str v"), "+OK");
    let cases: &[(&str, &str)] = &[
        // Arity.
        (
            "HEXPIRE h 10 FIELDS 1",
            "-ERR wrong number of arguments for 'hexpire' command",
        ),
        (
            "HPEXPIRE h",
            "-ERR wrong number of arguments for 'hpexpire' command",
        ),
        (
            "HEXPIREAT h 10 FIELDS",
            "-ERR wrong number of arguments for 'hexpireat' command",
        ),
        (
            "HPEXPIREAT h 1 2 3",
            "-ERR wrong number of arguments for 'hpexpireat' command",
        ),
        (
            "HTTL h FIELDS 1",
            "-ERR wrong number of arguments for 'httl' command",
        ),
        (
            "HPTTL h",
            "-ERR wrong number of arguments for 'hpttl' command",
        ),
        (
            "HEXPIRETIME h FIELDS 1",
            "-ERR wrong number of arguments for 'hexpiretime' command",
        ),
        (
            "HPEXPIRETIME h FIELDS",
            "-ERR wrong number of arguments for 'hpexpiretime' command",
        ),
        (
            "HPERSIST h FIELDS 1",
            "-ERR wrong number of arguments for 'hpersist' command",
        ),
        // The type check comes first.
        ("HEXPIRE str x BAD 0 f", WRONGTYPE),
        ("HTTL str BAD 0 f", WRONGTYPE),
        ("HPERSIST str BAD 0 f", WRONGTYPE),
        // Then the time.
        (
            "HEXPIRE h x FIELDS 1 f",
            "-ERR value is not an integer or out of range",
        ),
        (
            "HEXPIRE h -1 FIELDS 1 f",
            "-ERR invalid expire time, must be >= 0",
        ),
        (
            "HPEXPIREAT h -1 FIELDS 1 f",
            "-ERR invalid expire time, must be >= 0",
        ),
        (
            "HEXPIRE h 70368744177 FIELDS 1 f",
            "-ERR invalid expire time in 'hexpire' command",
        ),
        (
            "HEXPIREAT h 70368744178 FIELDS 1 f",
            "-ERR invalid expire time in 'hexpireat' command",
        ),
        (
            "HPEXPIREAT h 70368744177664 FIELDS 1 f",
            "-ERR invalid expire time in 'hpexpireat' command",
        ),
        (
            "HPEXPIRE h 70368744177663 FIELDS 1 f",
            "-ERR invalid expire time in 'hpexpire' command",
        ),
        (
            "HEXPIRE h 9223372036854775807 FIELDS 1 f",
            "-ERR invalid expire time in 'hexpire' command",
        ),
        // Then the condition / FIELDS keyword.
        (
            "HEXPIRE h 10 BAD FIELDS 1 f",
            "-ERR Mandatory argument FIELDS is missing or not at the right position",
        ),
        (
            "HEXPIRE h 10 NX XX FIELDS 1 f",
            "-ERR Mandatory argument FIELDS is missing or not at the right position",
        ),
        (
            "HEXPIRE h 10 FIELD 1 f",
            "-ERR Mandatory argument FIELDS is missing or not at the right position",
        ),
        (
            "HTTL h FIELD 1 f",
            "-ERR Mandatory argument FIELDS is missing or not at the right position",
        ),
        (
            "HPERSIST h 1 FIELDS f",
            "-ERR Mandatory argument FIELDS is missing or not at the right position",
        ),
        // Then numfields.
        (
            "HEXPIRE h 10 FIELDS 0 f",
            "-ERR Parameter `numFields` should be greater than 0",
        ),
        (
            "HEXPIRE h 10 FIELDS x f",
            "-ERR Parameter `numFields` should be greater than 0",
        ),
        (
            "HEXPIRE h 10 GT FIELDS -1 f",
            "-ERR Parameter `numFields` should be greater than 0",
        ),
        (
            "HTTL h FIELDS 0 f",
            "-ERR Number of fields must be a positive integer",
        ),
        (
            "HPEXPIRETIME h FIELDS x f",
            "-ERR Number of fields must be a positive integer",
        ),
        (
            "HPERSIST h FIELDS -5 f",
            "-ERR Number of fields must be a positive integer",
        ),
        (
            "HEXPIRE h 10 FIELDS 2 f",
            "-ERR The `numfields` parameter must match the number of arguments",
        ),
        (
            "HEXPIRE h 10 FIELDS 1 f g",
            "-ERR The `numfields` parameter must match the number of arguments",
        ),
        (
            "HEXPIRE h 10 NX FIELDS 1",
            "-ERR The `numfields` parameter must match the number of arguments",
        ),
        (
            "HTTL h FIELDS 3 a b",
            "-ERR The `numfields` parameter must match the number of arguments",
        ),
        (
            "HPERSIST h FIELDS 1 a b",
            "-ERR The `numfields` parameter must match the number of arguments",
        ),
        // Missing keys still validate their arguments.
        (
            "HEXPIRE nokey 10 FIELDS 2 f",
            "-ERR The `numfields` parameter must match the number of arguments",
        ),
        (
            "HTTL nokey FIELDS 0 f",
            "-ERR Number of fields must be a positive integer",
        ),
        // The largest accepted times.
        ("HPEXPIREAT h 70368744177663 FIELDS 1 f", "[:1]"),
        ("HEXPIREAT h 70368744177 FIELDS 1 f", "[:1]"),
        ("HPEXPIRETIME h FIELDS 1 f", "[:70368744177000]"),
    ];
    check(&mut r, cases);
    // Nothing above changed the hash apart from the last TTL.
    assert_eq!(r.s("HGETALL h"), "[\"f\", \"v\"]");
}

#[test]
fn hpersist_replies_and_effects() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h a 1 b 2"), ":2");
    assert_eq!(r.s("HPERSIST h FIELDS 2 a zz"), "[:-1, :-2]");
    assert_eq!(r.s("OBJECT ENCODING h"), "\"listpack\"");
    assert_eq!(r.s("HEXPIRE h 100 FIELDS 2 a b"), "[:1, :1]");
    assert_eq!(r.s("HPERSIST h FIELDS 3 a a b"), "[:1, :-1, :1]");
    assert_eq!(r.s("HTTL h FIELDS 2 a b"), "[:-1, :-1]");
    assert_eq!(r.s("HPERSIST nokey FIELDS 1 a"), "[:-2]");
    // An expired (not yet removed) field counts as missing.
    assert_eq!(r.s("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK");
    assert_eq!(r.s("HPEXPIRE h 1 FIELDS 1 a"), "[:1]");
    sleep_ms(20);
    assert_eq!(r.s("HPERSIST h FIELDS 1 a"), "[:-2]");
    assert_eq!(r.s("HTTL h FIELDS 1 a"), "[:-2]");
    assert_eq!(r.s("HEXPIRE h 100 FIELDS 1 a"), "[:-2]");
}

#[test]
fn hset_clears_ttl_and_hincrby_keeps_it() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h a 1 n 5 f 1.5 x 1"), ":4");
    assert_eq!(r.s("HEXPIRE h 100 FIELDS 4 a n f x"), "[:1, :1, :1, :1]");
    assert_eq!(r.s("HSET h a 2"), ":0");
    assert_eq!(r.s("HMSET h x 2"), "+OK");
    assert_eq!(r.s("HINCRBY h n 1"), ":6");
    assert_eq!(r.s("HINCRBYFLOAT h f 1"), "\"2.5\"");
    assert_eq!(r.s("HSETNX h n 0"), ":0");
    assert_eq!(r.s("HTTL h FIELDS 4 a x n f"), "[:-1, :-1, :100, :100]");
    assert_eq!(r.s("HMGET h a x n f"), "[\"2\", \"2\", \"6\", \"2.5\"]");
    // HDEL removes the TTL with the field.
    assert_eq!(r.s("HDEL h n"), ":1");
    assert_eq!(r.s("HSET h n 1"), ":1");
    assert_eq!(r.s("HTTL h FIELDS 1 n"), "[:-1]");
}

#[test]
fn lazy_expiry_on_access() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    assert_eq!(r.s("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK");
    subscribe_keyevents(&mut r, &mut sub, "KEA");
    assert_eq!(r.s("HSET h a 1 b 2 c 3 d 4"), ":4");
    assert_eq!(next_event(&mut sub), "hset h");
    assert_eq!(r.s("HPEXPIRE h 1 FIELDS 3 a b c"), "[:1, :1, :1]");
    assert_eq!(next_event(&mut sub), "hexpire h");
    sleep_ms(20);
    // HLEN counts stored fields until they are removed.
    assert_eq!(r.s("HLEN h"), ":4");
    // Whole-hash reads skip them without removing them.
    assert_eq!(r.s("HGETALL h"), "[\"d\", \"4\"]");
    assert_eq!(r.s("HKEYS h"), "[\"d\"]");
    assert_eq!(r.s("HVALS h"), "[\"4\"]");
    assert_eq!(r.s("HSCAN h 0"), "[\"0\", [\"d\", \"4\"]]");
    assert_eq!(r.s("HLEN h"), ":4");
    // Single-field reads remove what they touch.
    assert_eq!(r.s("HGET h a"), "(nil)");
    assert_eq!(next_event(&mut sub), "hexpired h");
    assert_eq!(r.s("HLEN h"), ":3");
    assert_eq!(r.s("HEXISTS h b"), ":0");
    assert_eq!(next_event(&mut sub), "hexpired h");
    assert_eq!(r.s("HSTRLEN h c"), ":0");
    assert_eq!(next_event(&mut sub), "hexpired h");
    assert_eq!(r.s("HLEN h"), ":1");
    // The last field expiring on access deletes the key.
    assert_eq!(r.s("HPEXPIRE h 1 FIELDS 1 d"), "[:1]");
    assert_eq!(next_event(&mut sub), "hexpire h");
    sleep_ms(20);
    assert_eq!(r.s("HMGET h d x"), "[(nil), (nil)]");
    assert_eq!(next_event(&mut sub), "hexpired h");
    assert_eq!(next_event(&mut sub), "del h");
    assert_eq!(r.s("EXISTS h"), ":0");
    // An expired field is new again for HSET / HSETNX / HINCRBY.
    assert_eq!(r.s("HSET g a 1 b 2 c 5"), ":3");
    assert_eq!(r.s("HPEXPIRE g 1 FIELDS 3 a b c"), "[:1, :1, :1]");
    sleep_ms(20);
    assert_eq!(r.s("HSET g a 9"), ":1");
    assert_eq!(r.s("HSETNX g b 8"), ":1");
    assert_eq!(r.s("HINCRBY g c 1"), ":1");
    assert_eq!(r.s("HTTL g FIELDS 3 a b c"), "[:-1, :-1, :-1]");
    // HRANDFIELD removes every expired field first.
    assert_eq!(r.s("HSET k a 1 b 2"), ":2");
    assert_eq!(r.s("HPEXPIRE k 1 FIELDS 1 a"), "[:1]");
    sleep_ms(20);
    assert_eq!(r.s("HLEN k"), ":2");
    assert_eq!(
        r.s("HRANDFIELD k -5"),
        "[\"b\", \"b\", \"b\", \"b\", \"b\"]"
    );
    assert_eq!(r.s("HLEN k"), ":1");
    assert_eq!(r.s("HPEXPIRE k 1 FIELDS 1 b"), "[:1]");
    sleep_ms(20);
    assert_eq!(r.s("HRANDFIELD k"), "(nil)");
    assert_eq!(r.s("EXISTS k"), ":0");
}

#[test]
fn active_expiry_removes_fields_and_keys() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "KEA");
    // A listpack hash: two fields expire, one stays.
    assert_eq!(r.s("HSET h a 1 b 2 c 3"), ":3");
    assert_eq!(next_event(&mut sub), "hset h");
    assert_eq!(r.s("HPEXPIRE h 50 FIELDS 2 a b"), "[:1, :1]");
    assert_eq!(next_event(&mut sub), "hexpire h");
    wait_until("fields swept", || r.s("HLEN h") == ":1");
    assert_eq!(next_event(&mut sub), "hexpired h");
    assert_eq!(r.s("HGETALL h"), "[\"c\", \"3\"]");
    // All fields: the key goes.
    assert_eq!(r.s("HPEXPIRE h 30 FIELDS 1 c"), "[:1]");
    assert_eq!(next_event(&mut sub), "hexpire h");
    wait_until("key swept", || r.s("EXISTS h") == ":0");
    assert_eq!(next_event(&mut sub), "hexpired h");
    assert_eq!(next_event(&mut sub), "del h");
    // A hashtable with many fields expiring at different times.
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..3000 {
        args.push(format!("f{i}"));
        args.push(i.to_string());
    }
    assert_eq!(r.q(&args), ":3000");
    assert_eq!(r.s("OBJECT ENCODING big"), "\"hashtable\"");
    let mut exp = vec![
        "HPEXPIRE".to_string(),
        "big".into(),
        "100".into(),
        "FIELDS".into(),
        "2000".into(),
    ];
    for i in 0..2000 {
        exp.push(format!("f{i}"));
    }
    let f = r.cmd(&exp);
    assert_eq!(f.items().len(), 2000);
    wait_until("2000 fields swept", || r.s("HLEN big") == ":1000");
    assert_eq!(r.s("HGET big f1999"), "(nil)");
    assert_eq!(r.s("HGET big f2000"), "\"2000\"");
    assert_eq!(r.cmd(&["HKEYS", "big"]).items().len(), 1000);
    // A persisted field survives.
    assert_eq!(r.s("HPEXPIRE big 50 FIELDS 2 f2000 f2001"), "[:1, :1]");
    assert_eq!(r.s("HPERSIST big FIELDS 1 f2001"), "[:1]");
    wait_until("f2000 swept", || r.s("HLEN big") == ":999");
    assert_eq!(r.s("HEXISTS big f2001"), ":1");
}

#[test]
fn active_expiry_follows_renamed_and_moved_keys() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h a 1 b 2"), ":2");
    assert_eq!(r.s("HPEXPIRE h 100 FIELDS 1 a"), "[:1]");
    assert_eq!(r.s("RENAME h h2"), "+OK");
    wait_until("renamed swept", || r.s("HLEN h2") == ":1");
    assert_eq!(r.s("HSET m a 1 b 2"), ":2");
    assert_eq!(r.s("HPEXPIRE m 100 FIELDS 1 a"), "[:1]");
    assert_eq!(r.s("MOVE m 1"), ":1");
    assert_eq!(r.s("SELECT 1"), "+OK");
    wait_until("moved swept", || r.s("HLEN m") == ":1");
    // A key replaced by another value is not disturbed by its stale index entry.
    assert_eq!(r.s("SELECT 0"), "+OK");
    assert_eq!(r.s("HSET x a 1 b 2"), ":2");
    assert_eq!(r.s("HPEXPIRE x 50 FIELDS 1 a"), "[:1]");
    assert_eq!(r.s("DEL x"), ":1");
    assert_eq!(r.s("HSET x a 1 b 2"), ":2");
    sleep_ms(300);
    assert_eq!(r.s("HLEN x"), ":2");
    assert_eq!(r.s("HGETALL x"), "[\"a\", \"1\", \"b\", \"2\"]");
}

#[test]
fn keyspace_events_of_hfe_commands() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "KEA");
    r.s("HSET h a 1 b 2");
    assert_eq!(next_event(&mut sub), "hset h");
    // Nothing changed: no event.
    r.s("HEXPIRE h 100 FIELDS 1 zz");
    r.s("HEXPIRE h 100 XX FIELDS 1 a");
    r.s("HPERSIST h FIELDS 1 a");
    r.s("HEXPIRE h 100 FIELDS 1 a");
    assert_eq!(next_event(&mut sub), "hexpire h");
    r.s("HPERSIST h FIELDS 1 a");
    assert_eq!(next_event(&mut sub), "hpersist h");
    // A past time deletes: hdel (even when another field got a TTL).
    r.s("HEXPIRE h 0 FIELDS 1 a");
    assert_eq!(next_event(&mut sub), "hdel h");
    r.s("HEXPIRE h 0 FIELDS 1 b");
    assert_eq!(next_event(&mut sub), "hdel h");
    assert_eq!(next_event(&mut sub), "del h");
    r.s("HSET h a 1 b 2");
    assert_eq!(next_event(&mut sub), "hset h");
    r.s("HEXPIRE h 0 NX FIELDS 2 a zz");
    assert_eq!(next_event(&mut sub), "hdel h");
}

#[test]
fn resp3_shapes_and_watch() {
    let s = Server::start();
    let mut r = s.raw();
    let f = r.cmd(&["HELLO", "3"]);
    assert!(matches!(f, Frame::Map(_)));
    assert_eq!(r.s("HSET h a 1"), ":1");
    assert_eq!(r.s("HEXPIRE h 100 FIELDS 2 a b"), "[:1, :-2]");
    assert_eq!(r.s("HTTL h FIELDS 1 a"), "[:100]");
    assert_eq!(r.s("HPERSIST nokey FIELDS 1 a"), "[:-2]");
    // WATCH sees TTL changes.
    let mut other = s.raw();
    for write in ["HEXPIRE h 200 FIELDS 1 a", "HPERSIST h FIELDS 1 a"] {
        assert_eq!(r.s("WATCH h"), "+OK");
        assert!(!other.s(write).starts_with('-'));
        assert_eq!(r.s("MULTI"), "+OK");
        assert_eq!(r.s("HGET h a"), "+QUEUED");
        // RESP3: an aborted EXEC is a null.
        assert_eq!(r.s("EXEC"), "(nil)", "{write}");
    }
    // ... but not a command that changed nothing.
    assert_eq!(r.s("WATCH h"), "+OK");
    assert_eq!(other.s("HPERSIST h FIELDS 1 a"), "[:-1]");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("HGET h a"), "+QUEUED");
    assert_eq!(r.s("EXEC"), "[\"1\"]");
}

#[test]
fn inside_multi_the_clock_is_fixed() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("HSET h a 1"), ":1");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("HPEXPIRE h 1000 FIELDS 1 a"), "+QUEUED");
    assert_eq!(r.s("HPTTL h FIELDS 1 a"), "+QUEUED");
    assert_eq!(r.s("EXEC"), "[[:1], [:1000]]");
    assert_eq!(int(&mut r, &["HLEN", "h"]), 1);
}

#[test]
fn ttls_survive_conversion_and_copy() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET hash-max-listpack-entries 4"), "+OK");
    assert_eq!(r.s("HSET h a 1 b 2"), ":2");
    assert_eq!(r.s("HEXPIRE h 100 FIELDS 1 a"), "[:1]");
    assert_eq!(r.s("OBJECT ENCODING h"), "\"listpackex\"");
    assert_eq!(r.s("HSET h c 3 d 4 e 5"), ":3");
    assert_eq!(r.s("OBJECT ENCODING h"), "\"hashtable\"");
    assert_eq!(r.s("HTTL h FIELDS 2 a b"), "[:100, :-1]");
    assert_eq!(r.s("HEXPIRE h 200 FIELDS 1 e"), "[:1]");
    assert_eq!(r.s("HTTL h FIELDS 2 e c"), "[:200, :-1]");
    // A copy keeps the TTLs and is swept on its own.
    assert_eq!(r.s("COPY h h2"), ":1");
    assert_eq!(r.s("HTTL h2 FIELDS 2 a e"), "[:100, :200]");
    assert_eq!(r.s("HPEXPIRE h2 50 FIELDS 1 c"), "[:1]");
    wait_until("copy swept", || r.s("HLEN h2") == ":4");
    assert_eq!(r.s("HLEN h"), ":5");
    // SWAPDB moves the index with the data.
    assert_eq!(r.s("HPEXPIRE h 80 FIELDS 1 b"), "[:1]");
    assert_eq!(r.s("SWAPDB 0 1"), "+OK");
    assert_eq!(r.s("SELECT 1"), "+OK");
    wait_until("swapped db swept", || r.s("HLEN h") == ":4");
    // FLUSHALL forgets everything.
    assert_eq!(r.s("FLUSHALL"), "+OK");
    assert_eq!(r.s("HSET h b 1"), ":1");
    sleep_ms(200);
    assert_eq!(r.s("HLEN h"), ":1");
}

#[test]
fn concurrent_writers_and_the_sweep() {
    let s = Server::start();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let mut r = s.raw();
            std::thread::spawn(move || {
                for i in 0..300 {
                    let key = format!("k{}", i % 7);
                    let field = format!("t{t}f{i}");
                    assert_eq!(r.q(&["HSET", &key, &field, "v"]), ":1");
                    assert_eq!(r.q(&["HPEXPIRE", &key, "5", "FIELDS", "1", &field]), "[:1]");
                    let keep = format!("t{t}keep{i}");
                    assert_eq!(r.q(&["HSET", &key, &keep, "v"]), ":1");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut r = s.raw();
    wait_until("all volatile fields swept", || {
        (0..7)
            .map(|i| int(&mut r, &["HLEN", &format!("k{i}")]))
            .sum::<i64>()
            == 1200
    });
    for i in 0..7 {
        let key = format!("k{i}");
        let keys = r.cmd(&["HKEYS", &key]);
        for k in keys.items() {
            assert!(String::from_utf8_lossy(k.as_bytes()).contains("keep"));
        }
    }
}

#[test]
fn one_hash_with_many_due_fields_is_swept_over_several_visits() {
    let s = Server::start();
    let mut c = s.conn();
    const N: usize = 20_000;
    let mut hset = redis::cmd("HSET");
    hset.arg("big");
    let mut hexpire = redis::cmd("HPEXPIRE");
    hexpire.arg("big").arg(100).arg("FIELDS").arg(N);
    for i in 0..N {
        hset.arg(format!("f{i}")).arg(i);
        hexpire.arg(format!("f{i}"));
    }
    hset.arg("keep").arg("v");
    let n: i64 = hset.query(&mut c).unwrap();
    assert_eq!(n, N as i64 + 1);
    let codes: Vec<i64> = hexpire.query(&mut c).unwrap();
    assert!(codes.len() == N && codes.iter().all(|&x| x == 1));
    let mut r = s.raw();
    wait_until("20k fields swept", || r.s("HLEN big") == ":1");
    assert_eq!(r.s("HGETALL big"), "[\"keep\", \"v\"]");
}
