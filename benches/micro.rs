//! Microbenchmarks of the hot paths, without a server: the RESP parser, the reply writer,
//! glob matching and each data structure's most used operations.
//!
//!     cargo bench --bench micro            # measure (about 20 s)
//!     cargo bench --bench micro -- parse   # only benchmarks whose name contains "parse"
//!
//! `cargo test --all-targets` runs every benchmark once as a smoke test (no `--bench` flag).
//! Each benchmark runs for ~0.5 s after a warm-up and reports ns per operation; compare two
//! builds on the same machine, as with the server benchmarks.

use std::hint::black_box;
use std::time::{Duration, Instant};

use pilgrim::protocol::{Limits, Parser, Reply, Step};
use pilgrim::types::hash::Hash;
use pilgrim::types::list::List;
use pilgrim::types::set::Set;
use pilgrim::types::stream::{AddId, Stream};
use pilgrim::types::zset::ZSet;
use pilgrim::util::glob::glob_match;

struct Bencher {
    measure: bool,
    filter: Option<String>,
}

impl Bencher {
    /// Runs `op` (which performs `ops_per_call` operations) repeatedly and prints ns/op.
    fn run(&self, name: &str, ops_per_call: usize, mut op: impl FnMut()) {
        if let Some(f) = &self.filter
            && !name.contains(f.as_str())
        {
            return;
        }
        if !self.measure {
            op();
            println!("{name:<40} ok (smoke run)");
            return;
        }
        let warm = Instant::now();
        while warm.elapsed() < Duration::from_millis(100) {
            op();
        }
        let mut calls = 0usize;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(500) {
            op();
            calls += 1;
        }
        let ns = started.elapsed().as_nanos() as f64 / (calls * ops_per_call) as f64;
        println!("{name:<40} {ns:>10.1} ns/op");
    }
}

fn key(i: usize) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

/// A pipeline of `n` `SET key:N value` commands in RESP.
fn set_pipeline(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let k = key(i);
        out.extend_from_slice(b"*3\r\n$3\r\nSET\r\n");
        out.extend_from_slice(format!("${}\r\n", k.len()).as_bytes());
        out.extend_from_slice(&k);
        out.extend_from_slice(b"\r\n$3\r\nxxx\r\n");
    }
    out
}

fn bench_protocol(b: &Bencher) {
    let lim = Limits {
        max_bulk_len: 512 * 1024 * 1024,
        authenticated: true,
    };
    let buf = set_pipeline(1000);
    b.run("parse: SET pipeline (per command)", 1000, || {
        let mut p = Parser::default();
        let mut n = 0;
        loop {
            match p.step(&buf, &lim).expect("valid RESP") {
                Step::Command(_) => n += 1,
                Step::Empty(_) => {}
                Step::Incomplete(_) => break,
            }
        }
        assert_eq!(black_box(n), 1000);
    });
    let inline: Vec<u8> = (0..1000)
        .flat_map(|i| format!("SET {} xxx\r\n", String::from_utf8_lossy(&key(i))).into_bytes())
        .collect();
    b.run("parse: inline SET (per command)", 1000, || {
        let mut p = Parser::default();
        let mut n = 0;
        loop {
            match p.step(&inline, &lim).expect("valid inline") {
                Step::Command(_) => n += 1,
                Step::Empty(_) => {}
                Step::Incomplete(_) => break,
            }
        }
        assert_eq!(black_box(n), 1000);
    });

    let mut out = Vec::with_capacity(1 << 16);
    b.run("reply: +OK x1000", 1000, || {
        out.clear();
        let mut r = Reply::new(&mut out, false);
        for _ in 0..1000 {
            r.ok();
        }
        black_box(&out);
    });
    b.run("reply: bulk 16 B x1000", 1000, || {
        out.clear();
        let mut r = Reply::new(&mut out, false);
        for _ in 0..1000 {
            r.bulk(b"0123456789abcdef");
        }
        black_box(&out);
    });
    b.run("reply: integer x1000", 1000, || {
        out.clear();
        let mut r = Reply::new(&mut out, true);
        for i in 0..1000 {
            r.int(i * 7919);
        }
        black_box(&out);
    });
    b.run("reply: RESP3 double x1000", 1000, || {
        out.clear();
        let mut r = Reply::new(&mut out, true);
        for i in 0..1000 {
            r.double(i as f64 * 1.25);
        }
        black_box(&out);
    });
}

fn bench_glob(b: &Bencher) {
    let keys: Vec<Vec<u8>> = (0..1000).map(key).collect();
    b.run("glob: key:*5 over 1000 keys", 1000, || {
        let hits = keys
            .iter()
            .filter(|k| glob_match(b"key:*5", k, false))
            .count();
        assert_eq!(black_box(hits), 100);
    });
    b.run("glob: k?y:[0-9]*[^a] over 1000 keys", 1000, || {
        let hits = keys
            .iter()
            .filter(|k| glob_match(b"k?y:[0-9]*[^a]", k, false))
            .count();
        assert_eq!(black_box(hits), 1000);
    });
}

fn bench_types(b: &Bencher) {
    const N: usize = 10_000;
    let members: Vec<Vec<u8>> = (0..N).map(key).collect();

    b.run("list: push_back + pop_front", N, || {
        let mut l = List::new();
        for m in &members {
            l.push_back(m);
        }
        for _ in 0..N {
            black_box(l.pop_front());
        }
    });

    let mut h = Hash::new();
    b.run("hash: insert 10k fields", N, || {
        h = Hash::new();
        for m in &members {
            h.insert(m, b"value");
        }
    });
    b.run("hash: get", N, || {
        for m in &members {
            black_box(h.get(m));
        }
    });

    let mut s = Set::new();
    b.run("set: insert 10k members", N, || {
        s = Set::new();
        for m in &members {
            s.insert(m);
        }
    });
    b.run("set: contains", N, || {
        for m in &members {
            black_box(s.contains(m));
        }
    });
    b.run("intset: insert 10k integers", N, || {
        let mut s = Set::new();
        for i in 0..N {
            s.insert(itoa::Buffer::new().format(i * 3).as_bytes());
        }
        black_box(s.len());
    });

    let mut z = ZSet::new();
    b.run("zset: insert 10k members", N, || {
        z = ZSet::new();
        for (i, m) in members.iter().enumerate() {
            z.insert(m, (i * 7919 % N) as f64);
        }
    });
    b.run("zset: rank", N, || {
        for m in &members {
            black_box(z.rank(m));
        }
    });
    b.run("zset: score", N, || {
        for m in &members {
            black_box(z.score(m));
        }
    });

    b.run("stream: add 10k entries (2 fields)", N, || {
        let mut st = Stream::new();
        for (i, m) in members.iter().enumerate() {
            let fv: [&[u8]; 4] = [b"level", b"error", b"req", m];
            st.add(AddId::Auto, &fv, 1_700_000_000_000 + (i / 100) as u64)
                .expect("increasing ids");
        }
        black_box(st.len());
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let measure = args.iter().any(|a| a == "--bench");
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let b = Bencher { measure, filter };
    bench_protocol(&b);
    bench_glob(&b);
    bench_types(&b);
}
