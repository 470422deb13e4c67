//! Crash safety: SIGKILL in the middle of a concurrent write load, restart, and check that
//! every acknowledged write is there (`appendfsync always`), that MULTI blocks are all or
//! nothing, that nothing appears that was never sent, and that `everysec` loses at most about
//! the last second.

mod common;

use common::Server;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pilgrim-crash-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A minimal client that reports I/O errors instead of panicking (the server dies under it).
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn new(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Conn { s, buf: Vec::new() }
    }

    fn send(&mut self, cmds: &[&[&str]]) -> std::io::Result<()> {
        let mut out = Vec::new();
        for c in cmds {
            out.extend_from_slice(format!("*{}\r\n", c.len()).as_bytes());
            for a in *c {
                out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        self.s.write_all(&out)
    }

    /// Reads `n` CRLF-terminated lines (replies here have no binary payloads).
    fn lines(&mut self, n: usize) -> std::io::Result<Vec<String>> {
        let mut out = Vec::new();
        while out.len() < n {
            if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                out.push(String::from_utf8_lossy(&self.buf[..p]).into_owned());
                self.buf.drain(..p + 2);
                continue;
            }
            let mut tmp = [0u8; 4096];
            let k = self.s.read(&mut tmp)?;
            if k == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&tmp[..k]);
        }
        Ok(out)
    }

    fn query(&mut self, cmd: &[&str]) -> String {
        self.send(&[cmd]).unwrap();
        self.lines(1).unwrap().remove(0)
    }
}

/// What one writer thread did: acknowledged values with their time, and the last value sent.
#[derive(Default)]
struct Log {
    acked: Vec<(Instant, i64)>,
    sent: i64,
}

impl Log {
    fn last_acked(&self) -> i64 {
        self.acked.last().map_or(0, |a| a.1)
    }

    fn acked_before(&self, t: Instant) -> i64 {
        self.acked
            .iter()
            .rev()
            .find(|a| a.0 <= t)
            .map_or(0, |a| a.1)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Incr,
    Xadd,
    Multi,
}

fn writer(port: u16, kind: Kind, id: usize, start: i64, stop: Arc<AtomicBool>) -> Log {
    let mut c = Conn::new(port);
    let mut log = Log {
        acked: Vec::new(),
        sent: start,
    };
    let mut i = start;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        log.sent = i;
        let key = format!("{id}");
        let ok = match kind {
            Kind::Incr => c
                .send(&[&["INCR", &format!("counter:{key}")]])
                .and_then(|_| c.lines(1))
                .map(|l| {
                    assert_eq!(l[0], format!(":{i}"));
                }),
            Kind::Xadd => c
                .send(&[&["XADD", &format!("stream:{key}"), "*", "n", &i.to_string()]])
                .and_then(|_| c.lines(2))
                .map(|_| ()),
            Kind::Multi => {
                let v = i.to_string();
                c.send(&[
                    &["MULTI"],
                    &["SET", &format!("ma:{key}"), &v],
                    &["SET", &format!("mb:{key}"), &v],
                    &["INCR", &format!("mc:{key}")],
                    &["EXEC"],
                ])
                .and_then(|_| c.lines(8))
                .map(|l| assert_eq!(l[7], format!(":{i}")))
            }
        };
        if ok.is_err() {
            break;
        }
        log.acked.push((Instant::now(), i));
    }
    log
}

fn get_int(c: &mut Conn, cmd: &[&str]) -> i64 {
    let l = c.query(cmd);
    if l == "$-1" {
        return 0;
    }
    if let Some(n) = l.strip_prefix(':') {
        return n.parse().unwrap();
    }
    // A bulk string: read its line.
    c.lines(1).unwrap()[0].parse().unwrap()
}

fn start(dir: &Path, fsync: &str) -> Server {
    let s = Server::start_in(dir, &["--appendonly", "yes", "--appendfsync", fsync]);
    let mut c = Conn::new(s.port);
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.query(&["PING"]).starts_with("-LOADING") {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    s
}

const KINDS: [Kind; 6] = [
    Kind::Incr,
    Kind::Incr,
    Kind::Xadd,
    Kind::Xadd,
    Kind::Multi,
    Kind::Multi,
];

/// Runs rounds of load + SIGKILL + restart + check.
fn crash_rounds(name: &str, fsync: &str, rounds: usize, run_for: Duration) {
    let dir = tmpdir(name);
    // Per writer: the value its key must hold at least / at most after restart.
    let mut totals = [0i64; 6];
    for round in 0..rounds {
        let mut s = start(&dir, fsync);
        let port = s.port;
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = KINDS
            .iter()
            .enumerate()
            .map(|(id, &k)| {
                let stop = stop.clone();
                let from = totals[id];
                std::thread::spawn(move || writer(port, k, id, from, stop))
            })
            .collect();
        std::thread::sleep(run_for);
        let killed_at = Instant::now();
        s.kill9();
        std::mem::forget(s);
        stop.store(true, Ordering::Relaxed);
        let logs: Vec<Log> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(
            logs.iter().all(|l| !l.acked.is_empty()),
            "no progress in round {round}"
        );

        let s = start(&dir, fsync);
        let mut c = Conn::new(s.port);
        for (id, (k, log)) in KINDS.iter().zip(&logs).enumerate() {
            let must = if fsync == "always" {
                log.last_acked()
            } else {
                // everysec: anything acknowledged more than ~1 s before the kill is durable
                // (with slack for a slow fsync on a busy machine).
                log.acked_before(killed_at - Duration::from_millis(2500))
            };
            let got = match k {
                Kind::Incr => get_int(&mut c, &["GET", &format!("counter:{id}")]),
                Kind::Xadd => get_int(&mut c, &["XLEN", &format!("stream:{id}")]),
                Kind::Multi => {
                    let a = get_int(&mut c, &["GET", &format!("ma:{id}")]);
                    let b = get_int(&mut c, &["GET", &format!("mb:{id}")]);
                    let m = get_int(&mut c, &["GET", &format!("mc:{id}")]);
                    assert!(a == b && b == m, "MULTI block torn: {a} {b} {m}");
                    a
                }
            };
            assert!(
                got >= must,
                "round {round} writer {id}: {got} < acknowledged {must}"
            );
            assert!(
                got <= log.sent,
                "round {round} writer {id}: {got} > sent {}",
                log.sent
            );
            totals[id] = got;
        }
        if round + 1 == rounds {
            drop(s);
        } else {
            let mut s = s;
            s.kill9();
            std::mem::forget(s);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_with_appendfsync_always_loses_nothing_acknowledged() {
    crash_rounds("always", "always", 3, Duration::from_millis(600));
}

#[test]
fn sigkill_with_appendfsync_everysec_loses_at_most_the_last_second() {
    crash_rounds("everysec", "everysec", 1, Duration::from_millis(3000));
}

#[test]
fn sigkill_during_a_rewrite_keeps_everything() {
    let dir = tmpdir("rewrite");
    let mut s = start(&dir, "always");
    let port = s.port;
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    let h = std::thread::spawn(move || writer(port, Kind::Incr, 0, 0, st));
    let mut c = Conn::new(port);
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(60));
        let r = c.query(&["BGREWRITEAOF"]);
        assert!(
            r.starts_with("+Background append only file rewriting")
                || r == "-ERR Background append only file rewriting already in progress",
            "{r}"
        );
    }
    s.kill9();
    std::mem::forget(s);
    stop.store(true, Ordering::Relaxed);
    let log = h.join().unwrap();
    let s = start(&dir, "always");
    let mut c = Conn::new(s.port);
    let got = get_int(&mut c, &["GET", "counter:0"]);
    assert!(
        got >= log.last_acked() && got <= log.sent,
        "{got} vs {} / {}",
        log.last_acked(),
        log.sent
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}
