//! Generic key commands: DEL UNLINK EXISTS TYPE TOUCH KEYS SCAN RANDOMKEY RENAME(NX) COPY MOVE
//! SWAPDB EXPIRE family, TTL family, PERSIST, OBJECT.
//!
//! The tables were produced by running the same commands against Redis (tests/difftest/keys.txt,
//! replayed with difftest against both servers), so every reply and error text is Redis's; the
//! few differences that are Redis 7.0 vs 7.2 changes carry the 7.2 reply. Replies that depend on
//! time or connection ids (`"*"` in the tables) are checked by hand below the tables.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

const DEL_EXISTS_TYPE: &[(&str, &str)] = &[
    ("SET a 1", "+OK"),
    ("SET b 2", "+OK"),
    ("SET c hello", "+OK"),
    ("DEL a", ":1"),
    ("DEL a", ":0"),
    ("DEL b c nokey b", ":2"),
    ("EXISTS a", ":0"),
    ("SET a 1", "+OK"),
    ("EXISTS a a nokey a", ":3"),
    ("UNLINK a nokey", ":1"),
    ("UNLINK a", ":0"),
    ("TYPE nokey", "+none"),
    ("SET s v", "+OK"),
    ("TYPE s", "+string"),
    ("SET i 12", "+OK"),
    ("TYPE i", "+string"),
    ("DEL", "-ERR wrong number of arguments for 'del' command"),
    (
        "UNLINK",
        "-ERR wrong number of arguments for 'unlink' command",
    ),
    (
        "EXISTS",
        "-ERR wrong number of arguments for 'exists' command",
    ),
    ("TYPE", "-ERR wrong number of arguments for 'type' command"),
    (
        "TYPE a b",
        "-ERR wrong number of arguments for 'type' command",
    ),
    ("TOUCH s i nokey s", ":3"),
    (
        "TOUCH",
        "-ERR wrong number of arguments for 'touch' command",
    ),
];

#[test]
fn del_exists_type() {
    let s = Server::start();
    check(&mut s.raw(), DEL_EXISTS_TYPE);
}

const KEYS_GLOB: &[(&str, &str)] = &[
    (
        r#"MSET foo 1 foobar 2 fo 3 bar 4 "f*o" 5 "f?o" 6 "a[b" 7 "h\\llo" 8 hallo 9 hbllo 10 hello 11 "x\x00y" 12"#,
        "+OK",
    ),
    ("~KEYS foo", r#"["foo"]"#),
    ("~KEYS f*", r#"["f*o", "f?o", "fo", "foo", "foobar"]"#),
    (
        "~KEYS *o",
        r#"["f*o", "f?o", "fo", "foo", "h\\llo", "hallo", "hbllo", "hello"]"#,
    ),
    ("~KEYS f?o", r#"["f*o", "f?o", "foo"]"#),
    (r#"~KEYS "f\\*o""#, r#"["f*o"]"#),
    (r#"~KEYS "f\\?o""#, r#"["f?o"]"#),
    ("~KEYS h[ae]llo", r#"["hallo", "hello"]"#),
    ("~KEYS h[^e]llo", r#"["h\\llo", "hallo", "hbllo"]"#),
    ("~KEYS h[a-b]llo", r#"["hallo", "hbllo"]"#),
    ("~KEYS h[b-a]llo", r#"["hallo", "hbllo"]"#),
    ("~KEYS h[!e]llo", r#"["hello"]"#),
    (r#"~KEYS "a\\[b""#, r#"["a[b"]"#),
    (r#"~KEYS "a[b""#, "[]"),
    (r#"~KEYS "h\\\\llo""#, r#"["h\\llo"]"#),
    (r#"~KEYS "h[\\]]llo""#, "[]"),
    ("~KEYS nomatch*", "[]"),
    (r#"~KEYS "x\x00y""#, r#"["x\x00y"]"#),
    (r#"~KEYS "x?y""#, r#"["x\x00y"]"#),
    ("~KEYS *[", "[]"),
    ("~KEYS [", "[]"),
    (r#"~KEYS """#, "[]"),
    ("KEYS", "-ERR wrong number of arguments for 'keys' command"),
    (
        "KEYS a b",
        "-ERR wrong number of arguments for 'keys' command",
    ),
];

#[test]
fn keys_glob() {
    let s = Server::start();
    check(&mut s.raw(), KEYS_GLOB);
}

const RENAME: &[(&str, &str)] = &[
    ("SET a 1", "+OK"),
    ("SET b 2", "+OK"),
    ("RENAME a b", "+OK"),
    ("GET b", r#""1""#),
    ("EXISTS a", ":0"),
    ("RENAME nokey x", "-ERR no such key"),
    ("RENAME b b", "+OK"),
    ("RENAME nokey nokey", "-ERR no such key"),
    ("RENAMENX b c", ":1"),
    ("SET d 4", "+OK"),
    ("RENAMENX c d", ":0"),
    ("RENAMENX c c", ":0"),
    ("RENAMENX nokey c", "-ERR no such key"),
    ("SET t v EX 1000", "+OK"),
    ("RENAME t t2", "+OK"),
    ("EXPIRETIME t", ":-2"),
    (
        "RENAME",
        "-ERR wrong number of arguments for 'rename' command",
    ),
    (
        "RENAME a",
        "-ERR wrong number of arguments for 'rename' command",
    ),
    (
        "RENAMENX a",
        "-ERR wrong number of arguments for 'renamenx' command",
    ),
];

#[test]
fn rename() {
    let s = Server::start();
    check(&mut s.raw(), RENAME);
}

const COPY: &[(&str, &str)] = &[
    ("SET a hello", "+OK"),
    ("COPY a b", ":1"),
    ("GET b", r#""hello""#),
    ("COPY a b", ":0"),
    ("COPY a b REPLACE", ":1"),
    (
        "COPY a a",
        "-ERR source and destination objects are the same",
    ),
    (
        "COPY a a DB 0",
        "-ERR source and destination objects are the same",
    ),
    ("COPY a a DB 1", ":1"),
    ("SELECT 1", "+OK"),
    ("GET a", r#""hello""#),
    ("SELECT 0", "+OK"),
    ("COPY nokey x", ":0"),
    ("COPY a c DB 16", "-ERR DB index is out of range"),
    ("COPY a c DB -1", "-ERR DB index is out of range"),
    (
        "COPY a c DB x",
        "-ERR value is not an integer or out of range",
    ),
    ("COPY a c DB", "-ERR syntax error"),
    ("COPY a c FOO", "-ERR syntax error"),
    ("COPY a c REPLACE REPLACE DB 2 DB 3", ":1"),
    ("SELECT 3", "+OK"),
    ("GET c", r#""hello""#),
    ("SELECT 0", "+OK"),
    ("SET t v PXAT 99999999999999", "+OK"),
    ("COPY t t2", ":1"),
    ("PEXPIRETIME t2", ":99999999999999"),
    ("SET n 123", "+OK"),
    ("COPY n n2", ":1"),
    ("OBJECT ENCODING n2", r#""int""#),
    ("COPY", "-ERR wrong number of arguments for 'copy' command"),
    (
        "COPY a",
        "-ERR wrong number of arguments for 'copy' command",
    ),
];

#[test]
fn copy() {
    let s = Server::start();
    check(&mut s.raw(), COPY);
}

const MOVE_SWAPDB: &[(&str, &str)] = &[
    ("SET a 1", "+OK"),
    ("MOVE a 1", ":1"),
    ("EXISTS a", ":0"),
    ("MOVE a 1", ":0"),
    ("SET a 2", "+OK"),
    ("MOVE a 1", ":0"),
    ("MOVE nokey 1", ":0"),
    (
        "MOVE a 0",
        "-ERR source and destination objects are the same",
    ),
    ("MOVE a 16", "-ERR DB index is out of range"),
    ("MOVE a -1", "-ERR DB index is out of range"),
    ("MOVE a x", "-ERR value is not an integer or out of range"),
    ("SELECT 1", "+OK"),
    ("GET a", r#""1""#),
    ("SELECT 0", "+OK"),
    ("SET sw0 zero", "+OK"),
    ("SWAPDB 0 1", "+OK"),
    ("GET a", r#""1""#),
    ("GET sw0", "(nil)"),
    ("SWAPDB 0 0", "+OK"),
    ("SWAPDB 0 16", "-ERR DB index is out of range"),
    ("SWAPDB -1 0", "-ERR DB index is out of range"),
    ("SWAPDB x 0", "-ERR invalid first DB index"),
    ("SWAPDB 0 x", "-ERR invalid second DB index"),
    ("SWAPDB x y", "-ERR invalid first DB index"),
    (
        "SWAPDB 0",
        "-ERR wrong number of arguments for 'swapdb' command",
    ),
    ("SWAPDB 1 0", "+OK"),
    ("GET sw0", r#""zero""#),
    ("MOVE", "-ERR wrong number of arguments for 'move' command"),
];

#[test]
fn move_swapdb() {
    let s = Server::start();
    check(&mut s.raw(), MOVE_SWAPDB);
}

const EXPIRE: &[(&str, &str)] = &[
    ("SET k v", "+OK"),
    ("EXPIRE k 1000", ":1"),
    ("EXPIRE k 1000 NX", ":0"),
    ("EXPIRE k 1000 XX", ":1"),
    ("EXPIRE k 2000 GT", ":1"),
    ("EXPIRE k 500 GT", ":0"),
    ("EXPIRE k 500 LT", ":1"),
    ("EXPIRE k 3000 LT", ":0"),
    (
        "EXPIRE k 100 NX XX",
        "-ERR NX and XX, GT or LT options at the same time are not compatible",
    ),
    (
        "EXPIRE k 100 GT LT",
        "-ERR GT and LT options at the same time are not compatible",
    ),
    (
        "EXPIRE k 100 NX GT",
        "-ERR NX and XX, GT or LT options at the same time are not compatible",
    ),
    ("EXPIRE k 100 XX GT", ":0"),
    ("EXPIRE k 100 XX LT", ":1"),
    ("EXPIRE k 100 FOO", "-ERR Unsupported option FOO"),
    ("EXPIRE k 100 nx", ":0"),
    ("EXPIRE k a", "-ERR value is not an integer or out of range"),
    (
        "EXPIRE k 1.5",
        "-ERR value is not an integer or out of range",
    ),
    (
        "EXPIRE k 9223372036854775807",
        "-ERR invalid expire time in 'expire' command",
    ),
    (
        "EXPIRE k 9223372036854775",
        "-ERR invalid expire time in 'expire' command",
    ),
    (
        "EXPIRE k -9223372036854775808",
        "-ERR invalid expire time in 'expire' command",
    ),
    (
        "PEXPIRE k 9223372036854775807",
        "-ERR invalid expire time in 'pexpire' command",
    ),
    (
        "EXPIREAT k 9223372036854775807",
        "-ERR invalid expire time in 'expireat' command",
    ),
    ("PEXPIREAT k 9223372036854775807", ":1"),
    ("EXPIREAT k 4000000000", ":1"),
    ("EXPIRETIME k", ":4000000000"),
    ("PEXPIRETIME k", ":4000000000000"),
    ("PEXPIREAT k 4000000000123", ":1"),
    ("PEXPIRETIME k", ":4000000000123"),
    ("EXPIRETIME k", ":4000000000"),
    ("PERSIST k", ":1"),
    ("PERSIST k", ":0"),
    ("TTL k", ":-1"),
    ("PTTL k", ":-1"),
    ("EXPIRETIME k", ":-1"),
    ("PEXPIRETIME k", ":-1"),
    ("EXPIRE k 100 XX", ":0"),
    ("EXPIRE k 100 GT", ":0"),
    ("EXPIRE k 100 LT", ":1"),
    ("PERSIST k", ":1"),
    ("EXPIRE k 100 NX", ":1"),
    ("EXPIRE nokey 100", ":0"),
    ("PEXPIRE nokey 100", ":0"),
    ("EXPIREAT nokey 100", ":0"),
    ("PEXPIREAT nokey 100", ":0"),
    ("TTL nokey", ":-2"),
    ("PTTL nokey", ":-2"),
    ("EXPIRETIME nokey", ":-2"),
    ("PEXPIRETIME nokey", ":-2"),
    ("PERSIST nokey", ":0"),
    ("SET gone v", "+OK"),
    ("EXPIRE gone -1", ":1"),
    ("EXISTS gone", ":0"),
    ("SET gone v", "+OK"),
    ("PEXPIRE gone 0", ":1"),
    ("EXISTS gone", ":0"),
    ("SET gone v", "+OK"),
    ("EXPIREAT gone 1", ":1"),
    ("EXISTS gone", ":0"),
    ("SET gone v", "+OK"),
    ("PEXPIREAT gone 0", ":1"),
    ("EXISTS gone", ":0"),
    ("SET gone v EX 100", "+OK"),
    ("EXPIRE gone 0 GT", ":0"),
    ("EXISTS gone", ":1"),
    ("EXPIRE gone 0 LT", ":1"),
    ("EXISTS gone", ":0"),
    (
        "EXPIRE",
        "-ERR wrong number of arguments for 'expire' command",
    ),
    (
        "EXPIRE k",
        "-ERR wrong number of arguments for 'expire' command",
    ),
    (
        "PEXPIRE k",
        "-ERR wrong number of arguments for 'pexpire' command",
    ),
    (
        "EXPIREAT k",
        "-ERR wrong number of arguments for 'expireat' command",
    ),
    (
        "PEXPIREAT k",
        "-ERR wrong number of arguments for 'pexpireat' command",
    ),
    ("TTL", "-ERR wrong number of arguments for 'ttl' command"),
    ("PTTL", "-ERR wrong number of arguments for 'pttl' command"),
    (
        "EXPIRETIME",
        "-ERR wrong number of arguments for 'expiretime' command",
    ),
    (
        "PEXPIRETIME",
        "-ERR wrong number of arguments for 'pexpiretime' command",
    ),
    (
        "PERSIST",
        "-ERR wrong number of arguments for 'persist' command",
    ),
    (
        "TTL a b",
        "-ERR wrong number of arguments for 'ttl' command",
    ),
];

#[test]
fn expire() {
    let s = Server::start();
    check(&mut s.raw(), EXPIRE);
}

const OBJECT: &[(&str, &str)] = &[
    ("SET n 123", "+OK"),
    ("SET e hello", "+OK"),
    (
        r#"SET r "01234567890123456789012345678901234567890123456789""#,
        "+OK",
    ),
    ("SET neg -5", "+OK"),
    ("SET big 9223372036854775807", "+OK"),
    ("SET lz 0123", "+OK"),
    ("OBJECT ENCODING n", r#""int""#),
    ("OBJECT ENCODING e", r#""embstr""#),
    ("OBJECT ENCODING r", r#""raw""#),
    ("OBJECT ENCODING neg", r#""int""#),
    ("OBJECT ENCODING big", r#""int""#),
    ("OBJECT ENCODING lz", r#""embstr""#),
    ("OBJECT ENCODING nokey", "(nil)"),
    ("APPEND e x", ":6"),
    ("OBJECT ENCODING e", r#""raw""#),
    ("OBJECT REFCOUNT n", ":2147483647"),
    ("OBJECT REFCOUNT e", ":1"),
    ("OBJECT REFCOUNT nokey", "(nil)"),
    (
        "OBJECT FREQ n",
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    ),
    ("OBJECT IDLETIME nokey", "*"),
    ("OBJECT FREQ nokey", "*"),
    (
        "OBJECT FOO n",
        "-ERR unknown subcommand 'FOO'. Try OBJECT HELP.",
    ),
    (
        "OBJECT",
        "-ERR wrong number of arguments for 'object' command",
    ),
    (
        "OBJECT ENCODING",
        "-ERR wrong number of arguments for 'object|encoding' command",
    ),
    (
        "OBJECT ENCODING a b",
        "-ERR wrong number of arguments for 'object|encoding' command",
    ),
    (
        "OBJECT HELP x",
        "-ERR wrong number of arguments for 'object|help' command",
    ),
];

#[test]
fn object() {
    let s = Server::start();
    check(&mut s.raw(), OBJECT);
}

const SCAN: &[(&str, &str)] = &[
    ("MSET k1 1 k2 2 k3 3 other 4", "+OK"),
    ("~SCAN 0 COUNT 100 MATCH k*", r#"["0", ["k1", "k2", "k3"]]"#),
    ("~SCAN 0 COUNT 100 MATCH nomatch", r#"["0", []]"#),
    (
        "~SCAN 0 COUNT 100 TYPE string MATCH other",
        r#"["0", ["other"]]"#,
    ),
    ("~SCAN 0 COUNT 100 TYPE list", r#"["0", []]"#),
    ("~SCAN 0 COUNT 100 TYPE nosuchtype", r#"["0", []]"#),
    ("SCAN 0 COUNT 0", "-ERR syntax error"),
    ("SCAN 0 COUNT -1", "-ERR syntax error"),
    (
        "SCAN 0 COUNT a",
        "-ERR value is not an integer or out of range",
    ),
    ("SCAN 0 MATCH", "-ERR syntax error"),
    ("SCAN 0 FOO bar", "-ERR syntax error"),
    ("SCAN 0 COUNT", "-ERR syntax error"),
    ("SCAN a", "-ERR invalid cursor"),
    ("SCAN 18446744073709551616", "-ERR invalid cursor"),
    ("SCAN 1.5", "-ERR invalid cursor"),
    ("SCAN", "-ERR wrong number of arguments for 'scan' command"),
];

#[test]
fn scan() {
    let s = Server::start();
    check(&mut s.raw(), SCAN);
}

const RANDOMKEY: &[(&str, &str)] = &[
    ("RANDOMKEY", "*"),
    (
        "RANDOMKEY x",
        "-ERR wrong number of arguments for 'randomkey' command",
    ),
    ("SET only v", "+OK"),
    ("RANDOMKEY", "*"),
    (r#"SCAN " 0""#, "-ERR invalid cursor"),
    (r#"SCAN "0 ""#, "-ERR invalid cursor"),
    ("SCAN -", "-ERR invalid cursor"),
    ("SCAN -18446744073709551616", "-ERR invalid cursor"),
];

#[test]
fn randomkey() {
    let s = Server::start();
    check(&mut s.raw(), RANDOMKEY);
}

#[test]
fn object_help() {
    let s = Server::start();
    let mut r = s.raw();
    let help = r.cmd(&["OBJECT", "HELP"]);
    let lines: Vec<String> = help.items().iter().map(|l| l.to_string()).collect();
    assert_eq!(lines.len(), 15, "{help}");
    assert_eq!(
        lines[0],
        "+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(lines[1], "+ENCODING <key>");
    assert_eq!(lines[13], "+HELP");
    assert_eq!(r.s("OBJECT help").to_string(), help.to_string());
}

#[test]
fn scan_cursor_forms_redis_accepts() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("MSET a 1 b 2 c 3");
    // Redis reads the cursor with strtoul: a sign, leading zeros and "" are accepted.
    for cursor in [
        "01",
        "+0",
        "",
        "-1",
        "-18446744073709551615",
        "18446744073709551615",
    ] {
        let reply = r.cmd(&["SCAN", cursor]);
        assert_eq!(reply.items().len(), 2, "SCAN {cursor:?}: {reply}");
    }
    assert_eq!(
        render_sorted(&r.cmd(&["SCAN", "+0", "COUNT", "100"])),
        r#"["0", ["a", "b", "c"]]"#
    );
    for cursor in [
        " 0",
        "0 ",
        "-",
        "1.5",
        "18446744073709551616",
        "-18446744073709551616",
    ] {
        assert_eq!(r.q(&["SCAN", cursor]), "-ERR invalid cursor", "{cursor:?}");
    }
}

#[test]
fn scan_iterates_everything_with_match_count_type() {
    let s = Server::start();
    let mut r = s.raw();
    let mut cmd = vec!["MSET".to_string()];
    for i in 0..1000 {
        cmd.push(format!("key:{i}"));
        cmd.push(i.to_string());
    }
    assert_eq!(r.q(&cmd), "+OK");
    r.s("SET other x");
    let mut all = scan_all(&mut r, &["COUNT", "7"]);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 1001);
    let mut matched = scan_all(&mut r, &["MATCH", "key:1*", "COUNT", "50"]);
    matched.sort();
    matched.dedup();
    assert_eq!(matched.len(), 111); // 1, 10-19, 100-199
    assert!(matched.iter().all(|k| k.starts_with(b"key:1")));
    assert_eq!(
        scan_all(&mut r, &["TYPE", "string", "MATCH", "other"]),
        vec![b"other".to_vec()]
    );
    assert_eq!(
        scan_all(&mut r, &["TYPE", "STRING", "MATCH", "other"]),
        vec![b"other".to_vec()]
    );
    assert!(scan_all(&mut r, &["TYPE", "list"]).is_empty());
    assert!(scan_all(&mut r, &["TYPE", "nosuchtype"]).is_empty());
    if make_list(&mut r, "alist") {
        assert_eq!(scan_all(&mut r, &["TYPE", "list"]), vec![b"alist".to_vec()]);
    }
}

#[test]
fn scan_returns_every_key_present_for_the_whole_iteration_while_keys_are_added() {
    let s = Server::start();
    let mut r = s.raw();
    let mut w = s.raw();
    let mut cmd = vec!["MSET".to_string()];
    for i in 0..2000 {
        cmd.push(format!("orig:{i}"));
        cmd.push("v".into());
    }
    assert_eq!(r.q(&cmd), "+OK");
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut added = 0;
    loop {
        let reply = r.cmd(&["SCAN", &cursor, "COUNT", "20"]);
        let items = reply.items();
        cursor = String::from_utf8(items[0].as_bytes().to_vec()).unwrap();
        for k in items[1].items() {
            seen.insert(k.as_bytes().to_vec());
        }
        if cursor == "0" {
            break;
        }
        // Grow the keyspace between calls (enough to force the tables to resize).
        let mut cmd = vec!["MSET".to_string()];
        for _ in 0..100 {
            cmd.push(format!("new:{added}"));
            cmd.push("v".into());
            added += 1;
        }
        assert_eq!(w.q(&cmd), "+OK");
    }
    assert!(
        added >= 5000,
        "the iteration ran while the keyspace grew ({added} added)"
    );
    for i in 0..2000 {
        assert!(
            seen.contains(format!("orig:{i}").as_bytes()),
            "orig:{i} missed"
        );
    }
}

#[test]
fn randomkey_picks_existing_keys() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("RANDOMKEY"), "(nil)");
    r.s("SET only v");
    assert_eq!(r.s("RANDOMKEY"), "\"only\"");
    r.s("MSET a 1 b 2 c 3");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let k = r.s("RANDOMKEY");
        assert!(
            ["\"only\"", "\"a\"", "\"b\"", "\"c\""].contains(&k.as_str()),
            "{k}"
        );
        seen.insert(k);
    }
    assert!(seen.len() >= 2, "RANDOMKEY is random: {seen:?}");
    r.s("SELECT 3");
    assert_eq!(r.s("RANDOMKEY"), "(nil)");
}

#[test]
fn ttl_pttl_and_lazy_expiry() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK");
    r.s("SET k v EX 100");
    assert_eq!(r.s("TTL k"), ":100");
    let pttl = r.cmd(&["PTTL", "k"]).as_int();
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");
    r.s("PEXPIRE k 1800");
    assert_eq!(r.s("TTL k"), ":2"); // rounded like Redis: (ms left + 500) / 1000
    let at = r.cmd(&["PEXPIRETIME", "k"]).as_int();
    assert_eq!(r.cmd(&["EXPIRETIME", "k"]).as_int(), at / 1000);
    // Lazy expiry: with the active cycle off, an expired key stays in the table (DBSIZE
    // counts it) until something touches it.
    r.s("SET gone v PX 20");
    std::thread::sleep(std::time::Duration::from_millis(30));
    assert_eq!(r.s("DBSIZE"), ":2");
    assert_eq!(info_field(&mut r, "stats", "expired_keys"), "0");
    assert_eq!(r.s("GET gone"), "(nil)");
    assert_eq!(r.s("DBSIZE"), ":1");
    assert_eq!(info_field(&mut r, "stats", "expired_keys"), "1");
    // Every kind of access expires: EXISTS, TTL, TYPE, SET NX...
    for probe in [
        "EXISTS e",
        "TTL e",
        "TYPE e",
        "STRLEN e",
        "GETRANGE e 0 -1",
        "SET e w NX",
    ] {
        r.s("SET e v PX 1");
        std::thread::sleep(std::time::Duration::from_millis(3));
        let want = match probe {
            "EXISTS e" | "STRLEN e" => ":0",
            "TTL e" => ":-2",
            "TYPE e" => "+none",
            "GETRANGE e 0 -1" => "\"\"",
            _ => "+OK",
        };
        assert_eq!(r.s(probe), want, "{probe}");
    }
}

#[test]
fn active_expiry_removes_keys_nobody_reads() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK");
    let mut cmd = vec!["MSET".to_string()];
    for i in 0..200 {
        cmd.push(format!("k{i}"));
        cmd.push("v".into());
    }
    r.q(&cmd);
    for i in 0..200 {
        assert_eq!(r.q(&["PEXPIRE", &format!("k{i}"), "10"]), ":1");
    }
    r.s("SET keep v");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(
        r.s("DBSIZE"),
        ":201",
        "nothing expires while the cycle is off"
    );
    assert_eq!(r.s("DEBUG SET-ACTIVE-EXPIRE 1"), "+OK");
    wait_until("active expiry", || r.s("DBSIZE") == ":1");
    assert_eq!(info_field(&mut r, "stats", "expired_keys"), "200");
    assert_eq!(
        info_field(&mut r, "keyspace", "db0"),
        "keys=1,expires=0,avg_ttl=0"
    );
}

#[test]
fn sixteen_databases() {
    let s = Server::start();
    let mut r = s.raw();
    for db in 0..16 {
        assert_eq!(r.s(&format!("SELECT {db}")), "+OK");
        for i in 0..=db {
            r.s(&format!("SET k{i} {db}"));
        }
    }
    for db in 0..16 {
        r.s(&format!("SELECT {db}"));
        assert_eq!(r.s("DBSIZE"), format!(":{}", db + 1));
        assert_eq!(r.s("GET k0"), format!("\"{db}\""));
    }
    let keyspace = String::from_utf8(r.cmd(&["INFO", "keyspace"]).as_bytes().to_vec()).unwrap();
    let mut want = "# Keyspace\r\n".to_string();
    for db in 0..16 {
        want.push_str(&format!("db{db}:keys={},expires=0,avg_ttl=0\r\n", db + 1));
    }
    assert_eq!(keyspace, want);
    // Another connection starts in db 0 and SWAPDB is seen by every client at once.
    let mut other = s.raw();
    assert_eq!(other.s("GET k0"), "\"0\"");
    assert_eq!(r.s("SWAPDB 0 15"), "+OK");
    assert_eq!(other.s("GET k0"), "\"15\"");
    assert_eq!(other.s("DBSIZE"), ":16");
    assert_eq!(r.s("SELECT 15"), "+OK");
    assert_eq!(r.s("DBSIZE"), ":1");
}

#[test]
fn move_and_copy_keep_the_ttl() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("SET k v PXAT 4000000000123", "+OK"),
            ("MOVE k 5", ":1"),
            ("SELECT 5", "+OK"),
            ("PEXPIRETIME k", ":4000000000123"),
            ("COPY k k2 DB 6", ":1"),
            ("SELECT 6", "+OK"),
            ("PEXPIRETIME k2", ":4000000000123"),
            ("RENAME k2 k3", "+OK"),
            ("PEXPIRETIME k3", ":4000000000123"),
        ],
    );
}

#[test]
fn object_freq_and_idletime_follow_the_policy() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("SET k v");
    assert_eq!(r.s("OBJECT IDLETIME k"), ":0");
    assert_eq!(r.s("OBJECT IDLETIME nokey"), "(nil)");
    assert_eq!(
        r.s("OBJECT FREQ k"),
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    assert_eq!(r.s("CONFIG SET maxmemory-policy allkeys-lfu"), "+OK");
    r.s("SET f v");
    // A new key starts at LFU_INIT_VAL (5).
    assert_eq!(r.s("OBJECT FREQ f"), ":5");
    assert_eq!(r.s("OBJECT FREQ nokey"), "(nil)");
    assert_eq!(
        r.s("OBJECT IDLETIME f"),
        "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
}

#[test]
fn keyspace_events() {
    let s = Server::start();
    let mut r = s.raw();
    let mut sub = s.raw();
    subscribe_keyevents(&mut r, &mut sub, "Egx");
    let cases: &[(&str, &str, &[&str])] = &[
        ("SET a 1", "+OK", &[]),
        ("EXPIRE a 100", ":1", &["expire a"]),
        ("PERSIST a", ":1", &["persist a"]),
        ("PERSIST a", ":0", &[]),
        ("RENAME a b", "+OK", &["rename_from a", "rename_to b"]),
        ("COPY b c", ":1", &["copy_to c"]),
        ("MOVE c 1", ":1", &["move_from c"]),
        ("DEL b nokey", ":1", &["del b"]),
        ("SET e v", "+OK", &[]),
        ("EXPIRE e -1", ":1", &["del e"]),
        ("SET x v PX 1", "+OK", &["expire x"]),
    ];
    for (cmd, reply, events) in cases {
        assert_eq!(r.q(&split_args(cmd)), *reply, "{cmd}");
        for e in *events {
            assert_eq!(next_event(&mut sub), *e, "{cmd}");
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(r.s("GET x"), "(nil)");
    assert_eq!(next_event(&mut sub), "expired x");
    // MOVE publishes move_to in the destination database.
    let mut sub1 = s.raw();
    assert_eq!(
        sub1.s("PSUBSCRIBE __keyevent@1__:*"),
        r#"["psubscribe", "__keyevent@1__:*", :1]"#
    );
    r.s("SET m v");
    assert_eq!(r.s("MOVE m 1"), ":1");
    assert_eq!(next_event(&mut sub), "move_from m");
    assert_eq!(next_event(&mut sub1), "move_to m");
}

/// DB indexes are C ints: beyond 32 bits Redis reports a range error (SWAPDB its own text).
const DB_INDEX_ARGUMENTS: &[(&str, &str)] = &[
    ("SET k v", "+OK"),
    (
        "SELECT -9223372036854775808",
        "-ERR value is out of range, value must between -2147483648 and 2147483647",
    ),
    (
        "SELECT 2147483648",
        "-ERR value is out of range, value must between -2147483648 and 2147483647",
    ),
    (
        "SELECT -2147483649",
        "-ERR value is out of range, value must between -2147483648 and 2147483647",
    ),
    ("SELECT 2147483647", "-ERR DB index is out of range"),
    (
        "SWAPDB 0 -9223372036854775808",
        "-ERR invalid second DB index",
    ),
    (
        "SWAPDB 9223372036854775807 100",
        "-ERR invalid first DB index",
    ),
    ("SWAPDB 2147483648 0", "-ERR invalid first DB index"),
    ("SWAPDB 0 2147483647", "-ERR DB index is out of range"),
    (
        "MOVE k 2147483648",
        "-ERR value is out of range, value must between -2147483648 and 2147483647",
    ),
    (
        "MOVE k -2147483649",
        "-ERR value is out of range, value must between -2147483648 and 2147483647",
    ),
    ("MOVE k 2147483647", "-ERR DB index is out of range"),
    (
        "COPY k k2 DB 2147483648",
        "-ERR value is out of range, value must between -2147483648 and 2147483647",
    ),
    ("COPY k k2 DB 2147483647", "-ERR DB index is out of range"),
];

#[test]
fn db_index_arguments() {
    let s = Server::start();
    check(&mut s.raw(), DB_INDEX_ARGUMENTS);
}

/// COPY keeps the source's string encoding (raw stays raw).
const COPY_KEEPS_ENCODING: &[(&str, &str)] = &[
    ("SET t1 -5", "+OK"),
    ("APPEND t1 c", ":3"),
    ("OBJECT ENCODING t1", r#""raw""#),
    ("COPY t1 p1", ":1"),
    ("OBJECT ENCODING p1", r#""raw""#),
    ("SET e hello", "+OK"),
    ("COPY e e2", ":1"),
    ("OBJECT ENCODING e2", r#""embstr""#),
    ("SET n 12", "+OK"),
    ("COPY n n2", ":1"),
    ("OBJECT ENCODING n2", r#""int""#),
    ("SETRANGE r 0 abc", ":3"),
    ("COPY r r2", ":1"),
    ("OBJECT ENCODING r2", r#""raw""#),
];

#[test]
fn copy_keeps_encoding() {
    let s = Server::start();
    check(&mut s.raw(), COPY_KEEPS_ENCODING);
}
