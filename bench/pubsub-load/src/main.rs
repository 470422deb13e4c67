//! Pub/Sub load generator (std only): publish throughput and delivered messages per second.
//!
//! For each target server and scenario it opens the subscriber connections (one reader thread
//! each), subscribes, then runs `--publishers` connections that send `--messages` PUBLISH
//! commands in total, `--pipeline` at a time, round-robin over the scenario's channels. It
//! reports:
//! - publish/s: PUBLISH commands answered per second (first send to last reply);
//! - delivered/s: messages received by all subscribers per second (first send to the last
//!   message received), and checks that every subscriber got every message of its channels,
//!   in publish order per publisher (each payload carries publisher and sequence numbers).
//!
//! Usage: pubsub-load --target NAME=HOST:PORT [--target ...] [--scenario S ...]
//!        [--messages N] [--size BYTES] [--pipeline P] [--publishers K] [--rounds R]
//! Scenarios: `1sub`, `10sub`, `100sub` (that many subscribers of one channel) and `1000ch`
//! (1,000 channels, 100 subscriber connections of 10 channels each, one subscriber per channel).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Scenario {
    name: String,
    /// Channels of each subscriber connection.
    subs: Vec<Vec<String>>,
    /// Channels the publishers cycle through.
    channels: Vec<String>,
}

fn scenario(name: &str) -> Scenario {
    let one = |n: usize| Scenario {
        name: name.to_string(),
        subs: (0..n).map(|_| vec!["bench:ch".to_string()]).collect(),
        channels: vec!["bench:ch".to_string()],
    };
    match name {
        "1sub" => one(1),
        "10sub" => one(10),
        "100sub" => one(100),
        "1000ch" => {
            let channels: Vec<String> = (0..1000).map(|i| format!("bench:ch:{i}")).collect();
            Scenario {
                name: name.to_string(),
                subs: channels.chunks(10).map(|c| c.to_vec()).collect(),
                channels,
            }
        }
        other => panic!("unknown scenario {other}"),
    }
}

fn cmd(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Incremental reader of RESP2 replies, enough for what Pub/Sub sends: integers, bulk strings
/// and arrays of bulk strings/integers.
struct Resp<R: Read> {
    r: BufReader<R>,
    line: Vec<u8>,
}

enum Frame {
    Int,
    Bulk(Vec<u8>),
    Array(Vec<Frame>),
    /// Anything else (errors, nulls), kept for the message.
    Other(String),
}

impl<R: Read> Resp<R> {
    fn new(r: R) -> Self {
        Resp {
            r: BufReader::with_capacity(256 * 1024, r),
            line: Vec::new(),
        }
    }

    fn read_line(&mut self) -> std::io::Result<()> {
        self.line.clear();
        self.r.read_until(b'\n', &mut self.line)?;
        if self.line.len() < 3 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        self.line.truncate(self.line.len() - 2);
        Ok(())
    }

    fn num(&self) -> i64 {
        std::str::from_utf8(&self.line[1..])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1)
    }

    fn frame(&mut self) -> std::io::Result<Frame> {
        self.read_line()?;
        match self.line[0] {
            b':' => Ok(Frame::Int),
            b'$' => {
                let n = self.num();
                if n < 0 {
                    return Ok(Frame::Other("(nil)".into()));
                }
                let mut v = vec![0u8; n as usize + 2];
                self.r.read_exact(&mut v)?;
                v.truncate(n as usize);
                Ok(Frame::Bulk(v))
            }
            b'*' | b'>' => {
                let n = self.num().max(0) as usize;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.frame()?);
                }
                Ok(Frame::Array(items))
            }
            _ => Ok(Frame::Other(
                String::from_utf8_lossy(&self.line).into_owned(),
            )),
        }
    }
}

struct Result_ {
    publish_per_s: f64,
    delivered_per_s: f64,
    delivered: u64,
    expected: u64,
}

fn run_once(addr: &str, sc: &Scenario, opts: &Opts) -> Result_ {
    let received = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let last_rx_ns = Arc::new(AtomicU64::new(0));
    let epoch = Instant::now();
    // Messages each subscriber must receive: publishes are spread evenly over the channels.
    let per_channel = opts.messages / sc.channels.len() as u64;
    let messages = per_channel * sc.channels.len() as u64;
    let mut readers = Vec::new();
    for chans in &sc.subs {
        let mut s = TcpStream::connect(addr).expect("connect subscriber");
        s.set_nodelay(true).ok();
        let mut args: Vec<&[u8]> = vec![b"SUBSCRIBE"];
        args.extend(chans.iter().map(|c| c.as_bytes()));
        s.write_all(&cmd(&args)).expect("subscribe");
        let mut rd = Resp::new(s.try_clone().expect("clone"));
        for _ in chans {
            rd.frame().expect("subscribe confirmation");
        }
        let want = per_channel * chans.len() as u64;
        let (received, errors, last_rx_ns) = (received.clone(), errors.clone(), last_rx_ns.clone());
        let publishers = opts.publishers;
        readers.push(std::thread::spawn(move || {
            // Per (channel, publisher): the next sequence number expected.
            let mut next: std::collections::HashMap<(Vec<u8>, u64), u64> = Default::default();
            let mut got = 0;
            while got < want {
                let Ok(Frame::Array(it)) = rd.frame() else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    break;
                };
                if let [Frame::Bulk(kind), Frame::Bulk(ch), Frame::Bulk(payload)] = &it[..]
                    && kind == b"message"
                {
                    let (p, seq) = parse_payload(payload);
                    let e = next.entry((ch.clone(), p)).or_insert(0);
                    // Complete and in order: exactly the next sequence number of this publisher.
                    if seq != *e || p >= publishers {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    *e = seq + 1;
                    got += 1;
                    if got.is_multiple_of(1024) {
                        received.fetch_add(1024, Ordering::Relaxed);
                    }
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            received.fetch_add(got % 1024, Ordering::Relaxed);
            last_rx_ns.fetch_max(epoch.elapsed().as_nanos() as u64, Ordering::Relaxed);
            drop(s);
        }));
    }
    // Publishers.
    let start = Instant::now();
    let start_ns = epoch.elapsed().as_nanos() as u64;
    let per_pub = messages / opts.publishers;
    let mut pubs = Vec::new();
    for p in 0..opts.publishers {
        let channels = sc.channels.clone();
        let addr = addr.to_string();
        let (pipeline, size) = (opts.pipeline, opts.size);
        let extra = if p == opts.publishers - 1 {
            messages - per_pub * opts.publishers
        } else {
            0
        };
        pubs.push(std::thread::spawn(move || {
            let mut s = TcpStream::connect(&addr).expect("connect publisher");
            s.set_nodelay(true).ok();
            let mut rd = Resp::new(s.try_clone().expect("clone"));
            let n = per_pub + extra;
            let mut sent = 0u64;
            let mut ci = (p as usize * 7919) % channels.len();
            // Sequence numbers per channel, so each subscriber can check the order.
            let mut seqs = vec![0u64; channels.len()];
            let mut buf = Vec::new();
            while sent < n {
                buf.clear();
                let batch = pipeline.min(n - sent);
                for _ in 0..batch {
                    let payload = make_payload(p, seqs[ci], size);
                    seqs[ci] += 1;
                    buf.extend_from_slice(&cmd(&[b"PUBLISH", channels[ci].as_bytes(), &payload]));
                    ci = (ci + 1) % channels.len();
                }
                s.write_all(&buf).expect("publish");
                for _ in 0..batch {
                    match rd.frame().expect("publish reply") {
                        Frame::Int => {}
                        Frame::Other(e) => panic!("unexpected PUBLISH reply: {e}"),
                        _ => panic!("unexpected PUBLISH reply"),
                    }
                }
                sent += batch;
            }
        }));
    }
    for p in pubs {
        p.join().expect("publisher");
    }
    let publish_elapsed = start.elapsed();
    let mut timed_out = false;
    let deadline = Instant::now() + Duration::from_secs(120);
    for r in readers {
        while !r.is_finished() {
            if Instant::now() > deadline {
                timed_out = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if timed_out {
            break;
        }
        r.join().expect("reader");
    }
    let delivered = received.load(Ordering::Relaxed);
    let expected = sc
        .subs
        .iter()
        .map(|c| per_channel * c.len() as u64)
        .sum::<u64>();
    let rx_elapsed = (last_rx_ns.load(Ordering::Relaxed).saturating_sub(start_ns)) as f64 / 1e9;
    if errors.load(Ordering::Relaxed) > 0 || timed_out {
        eprintln!(
            "warning: {addr} {}: {} protocol/order errors, timed out: {timed_out}",
            sc.name,
            errors.load(Ordering::Relaxed)
        );
    }
    Result_ {
        publish_per_s: messages as f64 / publish_elapsed.as_secs_f64(),
        delivered_per_s: delivered as f64 / rx_elapsed.max(1e-9),
        delivered,
        expected,
    }
}

/// `<publisher>:<sequence>:` padded with `x` to `size` bytes.
fn make_payload(p: u64, seq: u64, size: usize) -> Vec<u8> {
    let mut v = format!("{p}:{seq}:").into_bytes();
    if v.len() < size {
        v.resize(size, b'x');
    }
    v
}

fn parse_payload(b: &[u8]) -> (u64, u64) {
    let mut it = b.split(|&c| c == b':');
    let n = |s: Option<&[u8]>| {
        s.and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX)
    };
    (n(it.next()), n(it.next()))
}

struct Opts {
    targets: Vec<(String, String)>,
    scenarios: Vec<String>,
    messages: u64,
    size: usize,
    pipeline: u64,
    publishers: u64,
    rounds: usize,
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        targets: Vec::new(),
        scenarios: Vec::new(),
        messages: 200_000,
        size: 16,
        pipeline: 32,
        publishers: 4,
        rounds: 3,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--target" => {
                let (n, a) = v.split_once('=').expect("--target NAME=HOST:PORT");
                o.targets.push((n.to_string(), a.to_string()));
            }
            "--scenario" => o.scenarios.push(v),
            "--messages" => o.messages = v.parse().expect("--messages"),
            "--size" => o.size = v.parse().expect("--size"),
            "--pipeline" => o.pipeline = v.parse().expect("--pipeline"),
            "--publishers" => o.publishers = v.parse().expect("--publishers"),
            "--rounds" => o.rounds = v.parse().expect("--rounds"),
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    if o.scenarios.is_empty() {
        o.scenarios = ["1sub", "10sub", "100sub", "1000ch"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    }
    assert!(!o.targets.is_empty(), "give at least one --target");
    o
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

fn main() {
    let o = parse_opts();
    println!(
        "messages={} size={}B pipeline={} publishers={} rounds={} (medians; rounds alternate the target order)",
        o.messages, o.size, o.pipeline, o.publishers, o.rounds
    );
    let names: Vec<&str> = o.targets.iter().map(|t| t.0.as_str()).collect();
    let mut header = format!("{:<8}", "scenario");
    for n in &names {
        header.push_str(&format!(
            " | {:>12} {:>14}",
            format!("{n} pub/s"),
            format!("{n} deliv/s")
        ));
    }
    if names.len() == 2 {
        header.push_str(&format!(" | {:>9} {:>9}", "pub A/B", "deliv A/B"));
    }
    println!("{header}");
    for sname in &o.scenarios {
        let sc = scenario(sname);
        let mut pubs = vec![Vec::new(); o.targets.len()];
        let mut dels = vec![Vec::new(); o.targets.len()];
        let mut complete = vec![true; o.targets.len()];
        for round in 0..o.rounds {
            let mut order: Vec<usize> = (0..o.targets.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for t in order {
                let r = run_once(&o.targets[t].1, &sc, &o);
                if r.delivered != r.expected {
                    complete[t] = false;
                    eprintln!(
                        "warning: {} {sname}: delivered {} of {}",
                        o.targets[t].0, r.delivered, r.expected
                    );
                }
                pubs[t].push(r.publish_per_s);
                dels[t].push(r.delivered_per_s);
            }
        }
        let mut line = format!("{sname:<8}");
        let mut meds = Vec::new();
        for t in 0..o.targets.len() {
            let (p, d) = (median(pubs[t].clone()), median(dels[t].clone()));
            meds.push((p, d));
            line.push_str(&format!(
                " | {:>12.0} {:>14.0}{}",
                p,
                d,
                if complete[t] { "" } else { "!" }
            ));
        }
        if meds.len() == 2 {
            line.push_str(&format!(
                " | {:>8.2}x {:>8.2}x",
                meds[0].0 / meds[1].0,
                meds[0].1 / meds[1].1
            ));
        }
        println!("{line}");
    }
}
