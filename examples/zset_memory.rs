//! Memory of a 1,000,000-member sorted set (members "m:000000".."m:999999", random scores),
//! measured as the process RSS delta and by `ZSet::mem_usage`.
//!
//! Run: `cargo run --release --example memory [count] [member-prefix]`

use pilgrim::types::zset::ZSet;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kb: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value");
    kb * 1024
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let prefix = args.next().unwrap_or_else(|| "m:".to_string());
    let mut rng = StdRng::seed_from_u64(1);
    let mut member = Vec::with_capacity(64);

    let before = rss_bytes();
    let mut z = ZSet::new();
    for i in 0..count {
        member.clear();
        member.extend_from_slice(prefix.as_bytes());
        member.extend_from_slice(format!("{i:06}").as_bytes());
        z.insert(&member, rng.random::<f64>() * 1e6);
    }
    let after = rss_bytes();
    assert_eq!(z.len(), count);
    let delta = after - before;
    println!(
        "{count} members like {:?}: encoding {}",
        String::from_utf8_lossy(&member),
        z.encoding()
    );
    println!(
        "RSS delta   {:>12} bytes = {:6.1} bytes/element",
        delta,
        delta as f64 / count as f64
    );
    println!(
        "mem_usage() {:>12} bytes = {:6.1} bytes/element",
        z.mem_usage(),
        z.mem_usage() as f64 / count as f64
    );
}
