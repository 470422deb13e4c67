//! Snapshots (SAVE, BGSAVE, save points, shutdown, DEBUG RELOAD, LASTSAVE, INFO persistence),
//! DUMP / RESTORE, and the append-only file (multi-part layout, rewrite, truncated and corrupt
//! files, enabling at runtime).

mod common;
mod fixtures;

use common::{Raw, Server};
use fixtures::{info_field, wait_until};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pilgrim-persist-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Starts a server in `dir` and waits until it has loaded its data.
fn start(dir: &Path, extra: &[&str]) -> (Server, Raw) {
    let s = Server::start_in(dir, extra);
    let mut r = s.raw();
    wait_loaded(&mut r);
    (s, r)
}

fn wait_loaded(r: &mut Raw) {
    wait_until("loading to finish", || {
        let p = r.s("PING");
        if p.starts_with("-LOADING") {
            return false;
        }
        assert_eq!(p, "+PONG");
        true
    });
}

/// Kills a server without removing its directory.
fn kill(mut s: Server) {
    s.kill9();
    std::mem::forget(s);
}

/// SHUTDOWN (with optional arguments) without removing the directory.
fn shutdown(mut s: Server, r: &mut Raw, args: &str) {
    r.send_cmd(
        &format!("SHUTDOWN {args}")
            .split_whitespace()
            .collect::<Vec<_>>(),
    );
    assert!(
        s.wait_exit(Duration::from_secs(10)).is_some(),
        "server did not exit"
    );
    std::mem::forget(s);
}

fn populate(r: &mut Raw) {
    assert_eq!(r.s("SET str hello"), "+OK");
    assert_eq!(r.s("SET int 12345"), "+OK");
    assert_eq!(r.q(&["SET", "bin", "a\u{0}b\r\n\u{ff}"]), "+OK");
    assert_eq!(r.q(&["SET", "long", &"xyz".repeat(500)]), "+OK");
    assert_eq!(r.s("SET ttl v PX 100000000"), "+OK");
    assert_eq!(r.s("ZADD z 1 a 2.5 b -inf c"), ":3");
    assert_eq!(r.s("XADD st 1-1 f v"), "\"1-1\"");
    assert_eq!(r.s("XADD st 2-1 f w g x"), "\"2-1\"");
    assert_eq!(r.s("XGROUP CREATE st g 0"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice COUNT 1 STREAMS st >"),
        "[[\"st\", [[\"1-1\", [\"f\", \"v\"]]]]]"
    );
    assert_eq!(r.s("SELECT 7"), "+OK");
    assert_eq!(r.s("SET in7 seven"), "+OK");
    assert_eq!(r.s("SELECT 0"), "+OK");
}

fn check_populated(r: &mut Raw) {
    assert_eq!(r.s("SELECT 0"), "+OK");
    assert_eq!(r.s("DBSIZE"), ":7");
    assert_eq!(r.s("GET str"), "\"hello\"");
    assert_eq!(r.s("OBJECT ENCODING int"), "\"int\"");
    assert_eq!(r.s("GET int"), "\"12345\"");
    assert_eq!(
        r.q(&["GET", "bin"]),
        common::Frame::Bulk(b"a\0b\r\n\xc3\xbf".to_vec()).to_string()
    );
    assert_eq!(r.q(&["GET", "long"]), format!("\"{}\"", "xyz".repeat(500)));
    let pttl: i64 = r.s("PTTL ttl")[1..].parse().unwrap();
    assert!(pttl > 99_000_000 && pttl <= 100_000_000, "{pttl}");
    assert_eq!(
        r.s("ZRANGE z 0 -1 WITHSCORES"),
        "[\"c\", \"-inf\", \"a\", \"1\", \"b\", \"2.5\"]"
    );
    assert_eq!(
        r.s("XRANGE st - +"),
        "[[\"1-1\", [\"f\", \"v\"]], [\"2-1\", [\"f\", \"w\", \"g\", \"x\"]]]"
    );
    assert_eq!(
        r.s("XPENDING st g"),
        "[:1, \"1-1\", \"1-1\", [[\"alice\", \"1\"]]]"
    );
    assert_eq!(r.s("SELECT 7"), "+OK");
    assert_eq!(r.s("GET in7"), "\"seven\"");
    assert_eq!(r.s("SELECT 0"), "+OK");
}

#[test]
fn save_then_restart_keeps_everything() {
    let dir = tmpdir("save");
    let (s, mut r) = start(&dir, &[]);
    populate(&mut r);
    assert_ne!(
        info_field(&mut r, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    let before = r.s("LASTSAVE");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(r.s("SAVE"), "+OK");
    assert_ne!(r.s("LASTSAVE"), before);
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert_eq!(info_field(&mut r, "persistence", "rdb_saves"), "1");
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "ok"
    );
    assert!(dir.join("dump.rdb").exists());
    assert_eq!(
        r.s("SAVE extra"),
        "-ERR wrong number of arguments for 'save' command"
    );
    kill(s);
    let (s, mut r) = start(&dir, &[]);
    check_populated(&mut r);
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_load_keys_loaded"),
        "8"
    );
    assert_eq!(info_field(&mut r, "persistence", "loading"), "0");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dbfilename_and_dir_are_followed() {
    let dir = tmpdir("dbfilename");
    let (s, mut r) = start(&dir, &["--dbfilename", "other.rdb"]);
    assert_eq!(r.s("SET k v"), "+OK");
    assert_eq!(r.s("SAVE"), "+OK");
    assert!(dir.join("other.rdb").exists());
    assert!(!dir.join("dump.rdb").exists());
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    assert_eq!(r.q(&["CONFIG", "SET", "dir", sub.to_str().unwrap()]), "+OK");
    assert_eq!(r.s("SAVE"), "+OK");
    assert!(sub.join("other.rdb").exists());
    kill(s);
    let (s, mut r) = start(&dir, &["--dbfilename", "other.rdb"]);
    assert_eq!(r.s("GET k"), "\"v\"");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgsave_is_a_point_in_time_snapshot() {
    let dir = tmpdir("bgsave");
    let (s, mut r) = start(&dir, &[]);
    // Enough keys that the background save takes a while.
    let mut pipe = Vec::new();
    for i in 0..20000 {
        pipe.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\nkey:{i}\r\n$3\r\nold\r\n",
                4 + i.to_string().len()
            )
            .as_bytes(),
        );
    }
    r.send(&pipe);
    for _ in 0..20000 {
        assert_eq!(r.read().to_string(), "+OK");
    }
    assert_eq!(r.s("BGSAVE"), "+Background saving started");
    // Change everything right away: the snapshot must still hold the old values.
    let mut pipe = Vec::new();
    for i in 0..20000 {
        if i % 2 == 0 {
            pipe.extend_from_slice(
                format!(
                    "*3\r\n$3\r\nSET\r\n${}\r\nkey:{i}\r\n$3\r\nnew\r\n",
                    4 + i.to_string().len()
                )
                .as_bytes(),
            );
        } else {
            pipe.extend_from_slice(
                format!(
                    "*2\r\n$3\r\nDEL\r\n${}\r\nkey:{i}\r\n",
                    4 + i.to_string().len()
                )
                .as_bytes(),
            );
        }
    }
    r.send(&pipe);
    for i in 0..20000 {
        let rep = r.read().to_string();
        assert_eq!(rep, if i % 2 == 0 { "+OK" } else { ":1" });
    }
    assert_eq!(r.s("SET added after"), "+OK");
    wait_until("bgsave to end", || {
        info_field(&mut r, "persistence", "rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "ok"
    );
    assert_eq!(r.s("DBSIZE"), ":10001");
    kill(s);
    let (s, mut r) = start(&dir, &[]);
    assert_eq!(r.s("DBSIZE"), ":20000");
    assert_eq!(r.s("EXISTS added"), ":0");
    for i in (0..20000).step_by(997) {
        assert_eq!(r.q(&["GET", &format!("key:{i}")]), "\"old\"");
    }
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgsave_options_and_errors() {
    let dir = tmpdir("bgsave-opts");
    let (s, mut r) = start(&dir, &[]);
    assert_eq!(r.s("SET k v"), "+OK");
    assert_eq!(r.s("BGSAVE foo"), "-ERR syntax error");
    assert_eq!(r.s("BGSAVE SCHEDULE extra"), "-ERR syntax error");
    let rep = r.s("BGSAVE SCHEDULE");
    assert!(
        rep == "+Background saving started" || rep == "+Background saving scheduled",
        "{rep}"
    );
    wait_until("bgsave to end", || {
        info_field(&mut r, "persistence", "rdb_bgsave_in_progress") == "0"
    });
    assert!(dir.join("dump.rdb").exists());
    assert_eq!(info_field(&mut r, "persistence", "rdb_saves"), "1");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("SAVE"), "-ERR Command not allowed inside a transaction");
    assert_eq!(r.s("DISCARD"), "+OK");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn save_points_trigger_background_saves() {
    let dir = tmpdir("savepoints");
    let (s, mut r) = start(&dir, &["--save", "1 2"]);
    assert_eq!(r.s("SET a 1"), "+OK");
    assert_eq!(r.s("SET b 2"), "+OK");
    wait_until("a save point to fire", || dir.join("dump.rdb").exists());
    wait_until("bgsave to end", || {
        info_field(&mut r, "persistence", "rdb_saves") == "1"
    });
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert_eq!(r.q(&["CONFIG", "GET", "save"]), "[\"save\", \"1 2\"]");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shutdown_saves_when_configured() {
    let dir = tmpdir("shutdown");
    // Save points configured: SHUTDOWN saves.
    let (s, mut r) = start(&dir, &["--save", "3600 1"]);
    assert_eq!(r.s("SET k1 v1"), "+OK");
    shutdown(s, &mut r, "");
    assert!(dir.join("dump.rdb").exists());
    // NOSAVE: nothing written.
    let (s, mut r) = start(&dir, &["--save", "3600 1"]);
    assert_eq!(r.s("GET k1"), "\"v1\"");
    assert_eq!(r.s("SET k2 v2"), "+OK");
    shutdown(s, &mut r, "NOSAVE");
    // No save points, SHUTDOWN SAVE forces it.
    let (s, mut r) = start(&dir, &[]);
    assert_eq!(r.s("EXISTS k2"), ":0");
    assert_eq!(r.s("SET k3 v3"), "+OK");
    shutdown(s, &mut r, "SAVE");
    // SIGTERM saves like SHUTDOWN.
    let (mut s, mut r) = start(&dir, &["--save", "3600 1"]);
    assert_eq!(r.s("GET k3"), "\"v3\"");
    assert_eq!(r.s("SET k4 v4"), "+OK");
    unsafe {
        libc_kill(s.pid() as i32, 15);
    }
    assert!(s.wait_exit(Duration::from_secs(10)).is_some());
    std::mem::forget(s);
    let (s, mut r) = start(&dir, &[]);
    assert_eq!(r.s("MGET k1 k3 k4"), "[\"v1\", \"v3\", \"v4\"]");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

#[test]
fn debug_reload_keeps_data() {
    let s = Server::start();
    let mut r = s.raw();
    populate(&mut r);
    assert_eq!(r.s("DEBUG RELOAD"), "+OK");
    check_populated(&mut r);
    assert_eq!(r.s("SET extra 1"), "+OK");
    // NOSAVE reloads the file written above: the new key is gone.
    assert_eq!(r.s("DEBUG RELOAD NOSAVE"), "+OK");
    assert_eq!(r.s("EXISTS extra"), ":0");
    assert_eq!(
        r.s("DEBUG RELOAD BOGUS"),
        "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
    );
}

#[test]
fn corrupt_rdb_stops_startup() {
    let dir = tmpdir("corrupt-rdb");
    let (s, mut r) = start(&dir, &[]);
    assert_eq!(r.s("SET k v"), "+OK");
    assert_eq!(r.s("SAVE"), "+OK");
    kill(s);
    let path = dir.join("dump.rdb");
    let mut b = std::fs::read(&path).unwrap();
    let n = b.len();
    b[n - 12] ^= 0x55; // inside the data: the checksum no longer matches
    std::fs::write(&path, &b).unwrap();
    let out = run_to_exit(&dir, &[]);
    assert!(out.contains("dump.rdb"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the server binary in `dir` expecting it to exit; returns its stderr.
fn run_to_exit(dir: &Path, extra: &[&str]) -> String {
    let mut args: Vec<String> = vec![
        "--port".into(),
        "0".into(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--save".into(),
        "".into(),
        "--dir".into(),
        dir.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pilgrim-server"))
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(!out.status.success(), "server should fail to start");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ---------------------------------------------------------------------------------------------
// DUMP / RESTORE
// ---------------------------------------------------------------------------------------------

#[test]
fn dump_restore_roundtrip_and_options() {
    let s = Server::start();
    let mut r = s.raw();
    populate(&mut r);
    for key in ["str", "int", "bin", "long", "z", "st"] {
        let p = r.cmd(&["DUMP", key]);
        let payload = p.as_bytes().to_vec();
        // Version 10 and a CRC64 footer.
        assert_eq!(&payload[payload.len() - 10..payload.len() - 8], &[10, 0]);
        let copy = format!("{key}-copy");
        assert_eq!(
            r.q(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &payload]),
            "+OK"
        );
        let a = r.q(&["DUMP", key]);
        let b = r.q(&["DUMP", &copy]);
        assert_eq!(a, b, "{key}");
        assert_eq!(r.q(&["TTL", &copy]), ":-1");
    }
    assert_eq!(
        r.s("XPENDING st-copy g"),
        "[:1, \"1-1\", \"1-1\", [[\"alice\", \"1\"]]]"
    );
    let payload = r.cmd(&["DUMP", "str"]).as_bytes().to_vec();
    let rs = |r: &mut Raw, args: &[&str]| {
        let mut v: Vec<&[u8]> = vec![b"RESTORE"];
        v.push(args[0].as_bytes());
        v.push(args[1].as_bytes());
        v.push(&payload);
        v.extend(args[2..].iter().map(|a| a.as_bytes()));
        r.q(&v)
    };
    assert_eq!(
        rs(&mut r, &["str", "0"]),
        "-BUSYKEY Target key name already exists."
    );
    assert_eq!(rs(&mut r, &["str", "0", "REPLACE"]), "+OK");
    assert_eq!(rs(&mut r, &["t1", "5000"]), "+OK");
    let pttl: i64 = r.s("PTTL t1")[1..].parse().unwrap();
    assert!(pttl > 4000 && pttl <= 5000);
    assert_eq!(rs(&mut r, &["t2", "4102444800000", "ABSTTL"]), "+OK");
    assert_eq!(r.s("PEXPIRETIME t2"), ":4102444800000");
    // An absolute TTL in the past: nothing is created.
    assert_eq!(rs(&mut r, &["t3", "1000", "ABSTTL"]), "+OK");
    assert_eq!(r.s("EXISTS t3"), ":0");
    // ... and with REPLACE the old key is deleted.
    assert_eq!(rs(&mut r, &["t2", "1000", "ABSTTL", "REPLACE"]), "+OK");
    assert_eq!(r.s("EXISTS t2"), ":0");
    assert_eq!(rs(&mut r, &["t4", "0", "IDLETIME", "1000"]), "+OK");
    let idle: i64 = r.s("OBJECT IDLETIME t4")[1..].parse().unwrap();
    assert!((1000..1010).contains(&idle), "{idle}");
    assert_eq!(
        rs(&mut r, &["t5", "-1"]),
        "-ERR Invalid TTL value, must be >= 0"
    );
    assert_eq!(
        rs(&mut r, &["t5", "x"]),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        rs(&mut r, &["t5", "0", "IDLETIME", "-1"]),
        "-ERR Invalid IDLETIME value, must be >= 0"
    );
    assert_eq!(
        rs(&mut r, &["t5", "0", "FREQ", "256"]),
        "-ERR Invalid FREQ value, must be >= 0 and <= 255"
    );
    assert_eq!(
        rs(&mut r, &["t5", "0", "FREQ", "1", "IDLETIME", "1"]),
        "-ERR syntax error"
    );
    assert_eq!(rs(&mut r, &["t5", "0", "BOGUS"]), "-ERR syntax error");
    assert_eq!(rs(&mut r, &["t5", "0", "IDLETIME"]), "-ERR syntax error");
    assert_eq!(rs(&mut r, &["t5", "0", "FREQ", "10"]), "+OK");
    // Bad payloads.
    let mut bad = payload.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert_eq!(
        r.q(&[b"RESTORE".as_slice(), b"t6", b"0", &bad]),
        "-ERR DUMP payload version or checksum are wrong"
    );
    let mut newer = payload.clone();
    newer[n - 10] = 12;
    assert_eq!(
        r.q(&[b"RESTORE".as_slice(), b"t6", b"0", &newer]),
        "-ERR DUMP payload version or checksum are wrong"
    );
    // A valid footer around garbage.
    let garbage = payload_with_body(&[200, 1, 2, 3]);
    assert_eq!(
        r.q(&[b"RESTORE".as_slice(), b"t6", b"0", &garbage]),
        "-ERR Bad data format"
    );
    // A zero checksum is not verified (as Redis, for rdbchecksum no).
    let mut nocrc = payload.clone();
    for b in &mut nocrc[n - 8..] {
        *b = 0;
    }
    assert_eq!(r.q(&[b"RESTORE".as_slice(), b"t7", b"0", &nocrc]), "+OK");
    assert_eq!(r.s("GET t7"), "\"hello\"");
    assert_eq!(r.s("DUMP nosuchkey"), "(nil)");
    assert_eq!(
        r.s("DUMP"),
        "-ERR wrong number of arguments for 'dump' command"
    );
    assert_eq!(
        r.s("RESTORE a 0"),
        "-ERR wrong number of arguments for 'restore' command"
    );
    // RESP3: DUMP is a bulk string, missing key a null.
    assert!(r.s("HELLO 3").starts_with('{'));
    assert_eq!(r.s("DUMP nosuchkey"), "(nil)");
    assert!(r.s("DUMP str").starts_with('"'));
}

/// A DUMP payload with a correct footer around `body`.
fn payload_with_body(body: &[u8]) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&[10, 0]);
    let crc = pilgrim::persist::codec::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

#[test]
fn restore_propagates_absolute_ttl_to_the_aof() {
    let dir = tmpdir("restore-aof");
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("SET k v"), "+OK");
    let p = r.cmd(&["DUMP", "k"]).as_bytes().to_vec();
    assert_eq!(r.q(&[b"RESTORE".as_slice(), b"k2", b"100000", &p]), "+OK");
    let incr = std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
    let text = String::from_utf8_lossy(&incr);
    assert!(text.contains("ABSTTL"), "{text}");
    kill(s);
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    let pttl: i64 = r.s("PTTL k2")[1..].parse().unwrap();
    assert!(pttl > 90000 && pttl <= 100000);
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dump_restore_bitmaps_and_geo() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("GEOADD g 13.361389 38.115556 Palermo"), ":1");
    assert_eq!(r.s("SETBIT bits 100 1"), ":0");
    for key in ["bits", "g"] {
        let p = r.cmd(&["DUMP", key]).as_bytes().to_vec();
        assert_eq!(
            r.q(&[
                b"RESTORE".as_slice(),
                format!("{key}2").as_bytes(),
                b"0",
                &p
            ]),
            "+OK"
        );
    }
    assert_eq!(r.s("BITCOUNT bits2"), ":1");
    assert_eq!(r.s("GETBIT bits2 100"), ":1");
    assert!(r.s("GEOPOS g2 Palermo").starts_with("[[\"13.36"));
}

// ---------------------------------------------------------------------------------------------
// AOF
// ---------------------------------------------------------------------------------------------

fn aof_dir(dir: &Path) -> PathBuf {
    dir.join("appendonlydir")
}

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(aof_dir(dir).join("appendonly.aof.manifest")).unwrap()
}

#[test]
fn aof_multipart_layout_and_restart() {
    let dir = tmpdir("aof-layout");
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(
        manifest(&dir),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert_eq!(info_field(&mut r, "persistence", "aof_enabled"), "1");
    populate(&mut r);
    assert_eq!(r.s("INCR counter"), ":1");
    assert_eq!(r.s("INCR counter"), ":2");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("SET m1 a"), "+QUEUED");
    assert_eq!(r.s("SET m2 b"), "+QUEUED");
    assert_eq!(r.s("EXEC"), "[+OK, +OK]");
    assert_eq!(r.s("SET gone x PX 1"), "+OK");
    let incr = std::fs::read(aof_dir(&dir).join("appendonly.aof.1.incr.aof")).unwrap();
    let text = String::from_utf8_lossy(&incr);
    assert!(
        text.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"),
        "{text}"
    );
    assert!(
        text.contains("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$2\r\nm1\r\n"),
        "{text}"
    );
    assert!(
        text.contains("PXAT"),
        "relative TTLs are logged as absolute: {text}"
    );
    kill(s);
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    r.s("DEL m1-none");
    assert_eq!(r.s("EXISTS gone"), ":0");
    assert_eq!(r.s("DEL gone"), ":0");
    assert_eq!(r.s("GET counter"), "\"2\"");
    assert_eq!(r.s("MGET m1 m2"), "[\"a\", \"b\"]");
    assert_eq!(r.s("DEL counter m1 m2"), ":3");
    check_populated(&mut r);
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgrewriteaof_switches_files_without_losing_writes() {
    let dir = tmpdir("aof-rewrite");
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    for i in 0..5000 {
        r.send_cmd(&["SET", &format!("k{i}"), "v1"]);
    }
    for _ in 0..5000 {
        assert_eq!(r.read().to_string(), "+OK");
    }
    assert_eq!(
        r.s("BGREWRITEAOF"),
        "+Background append only file rewriting started"
    );
    // Writes during the rewrite.
    for i in 0..5000 {
        r.send_cmd(&["SET", &format!("k{i}"), "v2"]);
    }
    for _ in 0..5000 {
        assert_eq!(r.read().to_string(), "+OK");
    }
    assert_eq!(r.s("INCR during"), ":1");
    wait_until("rewrite to end", || {
        info_field(&mut r, "persistence", "aof_rewrite_in_progress") == "0"
    });
    assert_eq!(
        info_field(&mut r, "persistence", "aof_last_bgrewrite_status"),
        "ok"
    );
    assert_eq!(info_field(&mut r, "persistence", "aof_rewrites"), "2");
    assert_eq!(
        manifest(&dir),
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    let mut files: Vec<String> = std::fs::read_dir(aof_dir(&dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        vec![
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest"
        ]
    );
    assert_eq!(r.s("INCR during"), ":2");
    kill(s);
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("DBSIZE"), ":5001");
    assert_eq!(r.s("GET during"), "\"2\"");
    for i in (0..5000).step_by(499) {
        assert_eq!(r.q(&["GET", &format!("k{i}")]), "\"v2\"");
    }
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn aof_truncated_tail_is_dropped() {
    let dir = tmpdir("aof-trunc");
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("SET a 1"), "+OK");
    assert_eq!(r.s("SET b 2"), "+OK");
    kill(s);
    let incr = aof_dir(&dir).join("appendonly.aof.1.incr.aof");
    let good_len = std::fs::metadata(&incr).unwrap().len();
    // Half a command, and a MULTI without EXEC, at the end.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    std::io::Write::write_all(&mut f, b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1").unwrap();
    drop(f);
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("MGET a b c"), "[\"1\", \"2\", (nil)]");
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), good_len);
    kill(s);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    std::io::Write::write_all(
        &mut f,
        b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$1\r\n1\r\n",
    )
    .unwrap();
    drop(f);
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("EXISTS d"), ":0");
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), good_len);
    assert_eq!(r.s("SET e 5"), "+OK");
    kill(s);
    // With aof-load-truncated no, a truncated tail stops start-up.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    std::io::Write::write_all(&mut f, b"*2\r\n$3\r\nGE").unwrap();
    drop(f);
    let out = run_to_exit(&dir, &["--appendonly", "yes", "--aof-load-truncated", "no"]);
    assert!(out.contains("appendonly.aof.1.incr.aof"), "{out}");
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("MGET a e"), "[\"1\", \"5\"]");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn aof_corruption_names_file_and_offset() {
    let dir = tmpdir("aof-corrupt");
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("SET a 1"), "+OK");
    assert_eq!(r.s("SET b 2"), "+OK");
    kill(s);
    let incr = aof_dir(&dir).join("appendonly.aof.1.incr.aof");
    let mut b = std::fs::read(&incr).unwrap();
    // Corrupt the start of the second SET (after SELECT and the first SET).
    let second = b.windows(7).rposition(|w| w == b"*3\r\n$3\r").unwrap();
    b[second] = b'?';
    std::fs::write(&incr, &b).unwrap();
    let out = run_to_exit(&dir, &["--appendonly", "yes"]);
    assert!(
        out.contains(&format!("appendonly.aof.1.incr.aof at offset {second}")),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn appendonly_can_be_enabled_and_disabled_at_runtime() {
    let dir = tmpdir("aof-runtime");
    let (s, mut r) = start(&dir, &[]);
    assert_eq!(r.s("SET before on"), "+OK");
    assert_eq!(info_field(&mut r, "persistence", "aof_enabled"), "0");
    assert_eq!(r.s("CONFIG SET appendonly yes"), "+OK");
    wait_until("the AOF to be created", || {
        info_field(&mut r, "persistence", "aof_enabled") == "1"
            && info_field(&mut r, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(&mut r, "persistence", "aof_rewrite_scheduled") == "0"
    });
    assert_eq!(r.s("SET after on"), "+OK");
    assert_eq!(r.s("CONFIG SET appendfsync always"), "+OK");
    assert_eq!(r.s("SET always yes"), "+OK");
    kill(s);
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("MGET before after always"), "[\"on\", \"on\", \"yes\"]");
    assert_eq!(r.s("CONFIG SET appendonly no"), "+OK");
    assert_eq!(info_field(&mut r, "persistence", "aof_enabled"), "0");
    assert_eq!(r.s("SET notlogged 1"), "+OK");
    kill(s);
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("EXISTS notlogged"), ":0");
    assert_eq!(r.s("GET always"), "\"yes\"");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgsave_and_rewrite_do_not_overlap() {
    let dir = tmpdir("overlap");
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    wait_until("initial rewrite", || {
        info_field(&mut r, "persistence", "aof_rewrite_in_progress") == "0"
    });
    let mut pipe = Vec::new();
    for i in 0..30000 {
        pipe.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\nk{i}\r\n$1\r\nv\r\n",
                1 + i.to_string().len()
            )
            .as_bytes(),
        );
    }
    r.send(&pipe);
    for _ in 0..30000 {
        r.read();
    }
    assert_eq!(r.s("BGSAVE"), "+Background saving started");
    let rep = r.s("BGREWRITEAOF");
    assert!(
        rep == "+Background append only file rewriting scheduled"
            || rep == "+Background append only file rewriting started",
        "{rep}"
    );
    wait_until("both to finish", || {
        info_field(&mut r, "persistence", "rdb_bgsave_in_progress") == "0"
            && info_field(&mut r, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(&mut r, "persistence", "aof_rewrite_scheduled") == "0"
    });
    assert_eq!(info_field(&mut r, "persistence", "aof_rewrites"), "2");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

fn fill(r: &mut Raw, n: usize, value: &str) {
    let mut pipe = Vec::new();
    for i in 0..n {
        let k = format!("key:{i}");
        pipe.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{k}\r\n${}\r\n{value}\r\n",
                k.len(),
                value.len()
            )
            .as_bytes(),
        );
    }
    r.send(&pipe);
    for _ in 0..n {
        assert_eq!(r.read().to_string(), "+OK");
    }
}

#[test]
fn clients_get_loading_errors_while_the_dataset_loads() {
    let dir = tmpdir("loading");
    let (s, mut r) = start(&dir, &[]);
    fill(&mut r, 3000, "v");
    assert_eq!(r.s("SAVE"), "+OK");
    kill(s);
    // 3000 keys x 1 ms: loading takes about 3 seconds.
    let s = Server::start_listening(&dir, &["--key-load-delay", "1000"]);
    let mut r = s.raw();
    assert_eq!(
        r.s("GET key:1"),
        "-LOADING Redis is loading the dataset in memory"
    );
    assert_eq!(
        r.s("PING"),
        "-LOADING Redis is loading the dataset in memory"
    );
    assert_eq!(info_field(&mut r, "persistence", "loading"), "1");
    wait_loaded(&mut r);
    assert_eq!(info_field(&mut r, "persistence", "loading"), "0");
    assert_eq!(r.s("DBSIZE"), ":3000");
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_load_keys_loaded"),
        "3000"
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn commands_while_a_bgsave_runs() {
    let dir = tmpdir("bgsave-running");
    // 2000 keys x 2.5 ms: the background save takes about 5 seconds, long enough that the
    // commands below reach it while it runs even on a loaded machine.
    let (s, mut r) = start(&dir, &["--rdb-key-save-delay", "2500"]);
    fill(&mut r, 2000, "v");
    assert_eq!(r.s("BGSAVE"), "+Background saving started");
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_bgsave_in_progress"),
        "1"
    );
    assert_eq!(
        info_field(&mut r, "persistence", "current_save_keys_total"),
        "2000"
    );
    assert_eq!(r.s("BGSAVE"), "-ERR Background save already in progress");
    assert_eq!(
        r.s("BGSAVE SCHEDULE"),
        "-ERR Background save already in progress"
    );
    assert_eq!(
        r.s("BGREWRITEAOF"),
        "+Background append only file rewriting scheduled"
    );
    // SAVE locks every shard, so it first waits for the snapshot to copy them; it then refuses
    // if the background save is still writing, or saves if that save has just finished.
    let save = r.s("SAVE");
    assert!(
        save == "-ERR Background save already in progress" || save == "+OK",
        "{save}"
    );
    assert_eq!(
        info_field(&mut r, "persistence", "aof_rewrite_scheduled"),
        "1"
    );
    // Writes keep working (each shard is copied once before it changes).
    assert_eq!(r.s("SET during bgsave"), "+OK");
    wait_until("bgsave and the scheduled rewrite", || {
        info_field(&mut r, "persistence", "rdb_bgsave_in_progress") == "0"
            && info_field(&mut r, "persistence", "aof_rewrite_scheduled") == "0"
            && info_field(&mut r, "persistence", "aof_rewrite_in_progress") == "0"
    });
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "ok"
    );
    assert_eq!(info_field(&mut r, "persistence", "aof_rewrites"), "1");
    let secs: i64 = info_field(&mut r, "persistence", "rdb_last_bgsave_time_sec")
        .parse()
        .unwrap();
    assert!((0..60).contains(&secs), "{secs}");
    // The copy made for the write above is the snapshot's memory overhead.
    let cow: usize = info_field(&mut r, "persistence", "rdb_last_cow_size")
        .parse()
        .unwrap();
    assert!(cow > 0 && cow < 2000 * 20, "{cow}");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn automatic_aof_rewrite_on_growth() {
    let dir = tmpdir("aof-auto");
    let (s, mut r) = start(
        &dir,
        &[
            "--appendonly",
            "yes",
            "--auto-aof-rewrite-percentage",
            "100",
            "--auto-aof-rewrite-min-size",
            "10kb",
        ],
    );
    for _ in 0..400 {
        assert_eq!(
            r.s("SET same-key-overwritten xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            "+OK"
        );
    }
    wait_until("an automatic rewrite", || {
        info_field(&mut r, "persistence", "aof_rewrites") != "1"
            && info_field(&mut r, "persistence", "aof_rewrite_in_progress") == "0"
    });
    std::thread::sleep(Duration::from_millis(300));
    wait_until("no rewrite running", || {
        info_field(&mut r, "persistence", "aof_rewrite_in_progress") == "0"
    });
    // The base moved on and the old files are gone.
    let m = manifest(&dir);
    assert!(!m.contains("appendonly.aof.1.base.rdb"), "{m}");
    let files = std::fs::read_dir(aof_dir(&dir)).unwrap().count();
    assert_eq!(files, 3, "{m}");
    assert_eq!(
        r.s("GET same-key-overwritten"),
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failing_saves_stop_writes_with_misconf() {
    let dir = tmpdir("misconf");
    let (s, mut r) = start(&dir, &["--save", "3600 1"]);
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    assert_eq!(r.q(&["CONFIG", "SET", "dir", sub.to_str().unwrap()]), "+OK");
    std::fs::remove_dir_all(&sub).unwrap();
    assert_eq!(r.s("SET k v"), "+OK");
    assert_eq!(r.s("BGSAVE"), "+Background saving started");
    wait_until("the failed save", || {
        info_field(&mut r, "persistence", "rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "err"
    );
    let misconf = "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
    assert_eq!(r.s("SET k2 v"), misconf);
    assert_eq!(r.s("PING"), misconf);
    assert_eq!(r.s("GET k"), "\"v\"");
    assert_eq!(r.s("SAVE"), "-ERR");
    assert_eq!(r.s("CONFIG SET stop-writes-on-bgsave-error no"), "+OK");
    assert_eq!(r.s("SET k2 v"), "+OK");
    assert_eq!(r.s("CONFIG SET stop-writes-on-bgsave-error yes"), "+OK");
    // The working directory was removed: point `dir` at a live one again.
    assert_eq!(r.q(&["CONFIG", "SET", "dir", dir.to_str().unwrap()]), "+OK");
    assert_eq!(r.s("SAVE"), "+OK");
    assert_eq!(r.s("SET k3 v"), "+OK");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn old_single_file_aof_is_upgraded() {
    let dir = tmpdir("aof-legacy");
    std::fs::write(
        dir.join("appendonly.aof"),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nvalue\r\n",
    )
    .unwrap();
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("GET old"), "\"value\"");
    assert_eq!(r.s("SET new v"), "+OK");
    assert!(!dir.join("appendonly.aof").exists());
    assert_eq!(
        manifest(&dir),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    kill(s);
    let (s, mut r) = start(&dir, &["--appendonly", "yes"]);
    assert_eq!(r.s("MGET old new"), "[\"value\", \"v\"]");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn info_persistence_fields_in_redis_order() {
    let s = Server::start_with(&["--appendonly", "yes"]);
    let mut r = s.raw();
    wait_loaded(&mut r);
    let text = String::from_utf8(r.cmd(&["INFO", "persistence"]).as_bytes().to_vec()).unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once(':').map(|(k, _)| k))
        .collect();
    assert_eq!(
        names,
        vec![
            "loading",
            "async_loading",
            "current_cow_peak",
            "current_cow_size",
            "current_cow_size_age",
            "current_fork_perc",
            "current_save_keys_processed",
            "current_save_keys_total",
            "rdb_changes_since_last_save",
            "rdb_bgsave_in_progress",
            "rdb_last_save_time",
            "rdb_last_bgsave_status",
            "rdb_last_bgsave_time_sec",
            "rdb_current_bgsave_time_sec",
            "rdb_saves",
            "rdb_last_cow_size",
            "rdb_last_load_keys_expired",
            "rdb_last_load_keys_loaded",
            "aof_enabled",
            "aof_rewrite_in_progress",
            "aof_rewrite_scheduled",
            "aof_last_rewrite_time_sec",
            "aof_current_rewrite_time_sec",
            "aof_last_bgrewrite_status",
            "aof_rewrites",
            "aof_rewrites_consecutive_failures",
            "aof_last_write_status",
            "aof_last_cow_size",
            "module_fork_in_progress",
            "module_fork_last_cow_size",
            "aof_current_size",
            "aof_base_size",
            "aof_pending_rewrite",
            "aof_buffer_length",
            "aof_pending_bio_fsync",
            "aof_delayed_fsync",
        ]
    );
}
