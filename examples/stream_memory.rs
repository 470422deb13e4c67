//! Memory per entry of 1,000,000 `XADD key * f1 <12-digit number> f2 v` entries, measured as
//! the process RSS delta (VmRSS from /proc/self/status).
//!
//! Each workload runs in its own child process so that memory freed by one cannot be reused
//! by the next. Run with `cargo run --release --example memory` (optionally with workload
//! names as arguments).
//!
//! Workloads:
//! - `benchmark`: what `redis-benchmark ... XADD key '*' f1 __rand_int__ f2 v -r 1000000`
//!   sends (`__rand_int__` is a zero-padded 12-digit number below 1,000,000), IDs from the
//!   real clock.
//! - `random12`: values uniformly drawn from 100000000000..999999999999.
//! - `rate160k`: benchmark values, clock advancing 1 ms every 160 entries (the rate
//!   redis-benchmark reached against Redis on this machine).
//! - `one-per-ms`: benchmark values, every entry in a new millisecond (worst ID coding).
//! - `small`: 100,000 streams of one benchmark entry each (per-stream overhead; the bytes
//!   reported are per stream, without the keyspace's own cost).

use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pilgrim::types::stream::{AddId, Stream};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const ENTRIES: u64 = 1_000_000;
const WORKLOADS: [&str; 5] = ["benchmark", "random12", "rate160k", "one-per-ms", "small"];
const SMALL_STREAMS: usize = 100_000;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value");
    kb * 1024
}

fn clock_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

fn run_small() {
    let before = rss_bytes();
    let fields: [&[u8]; 4] = [b"f1", b"000000123456", b"f2", b"v"];
    let streams: Vec<Stream> = (0..SMALL_STREAMS as u64)
        .map(|i| {
            let mut stream = Stream::new();
            stream
                .add(AddId::Auto, &fields, 1_700_000_000_000 + i)
                .expect("xadd");
            stream
        })
        .collect();
    let delta = rss_bytes().saturating_sub(before);
    println!(
        "{:<11} streams={} rss_delta={delta} bytes ({:.0} bytes/stream, Stream struct {} bytes)",
        "small",
        streams.len(),
        delta as f64 / SMALL_STREAMS as f64,
        std::mem::size_of::<Stream>()
    );
}

fn run(workload: &str) {
    if workload == "small" {
        run_small();
        return;
    }
    let mut rng = StdRng::seed_from_u64(42);
    let mut value = String::with_capacity(12);
    let base = clock_ms();
    let before = rss_bytes();
    let started = Instant::now();
    let mut stream = Stream::new();
    for i in 0..ENTRIES {
        value.clear();
        let number = if workload == "random12" {
            rng.random_range(100_000_000_000..1_000_000_000_000u64)
        } else {
            rng.random_range(0..1_000_000u64)
        };
        use std::fmt::Write;
        write!(value, "{number:012}").expect("format");
        let now = match workload {
            "rate160k" => base + i / 160,
            "one-per-ms" => base + i,
            _ => clock_ms(),
        };
        let fields: [&[u8]; 4] = [b"f1", value.as_bytes(), b"f2", b"v"];
        stream.add(AddId::Auto, &fields, now).expect("xadd");
    }
    let elapsed = started.elapsed();
    let after = rss_bytes();
    let info = stream.info();
    let delta = after.saturating_sub(before);
    println!(
        "{workload:<11} entries={} blocks={} rss_delta={} bytes ({:.2} bytes/entry), {:.0} XADD/s",
        info.length,
        info.radix_tree_keys,
        delta,
        delta as f64 / ENTRIES as f64,
        ENTRIES as f64 / elapsed.as_secs_f64()
    );
    drop(stream);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, workload] = args.as_slice()
        && flag == "--child"
    {
        run(workload);
        return;
    }
    let workloads: Vec<String> = if args.is_empty() {
        WORKLOADS.iter().map(|w| w.to_string()).collect()
    } else {
        args
    };
    let exe = std::env::current_exe().expect("current exe");
    for workload in workloads {
        let status = Command::new(&exe)
            .args(["--child", &workload])
            .status()
            .expect("spawn child");
        assert!(status.success(), "{workload} failed");
    }
}
