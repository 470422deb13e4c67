//! Memory per element of a 1,000,000-field hash and 1,000,000-member sets, measured as the
//! process RSS delta (Linux `/proc/self/status`), plus the structures' own `mem_usage()`.
//!
//! The data matches the Redis comparison load (`redis-cli --pipe`, 100 elements per
//! command): hash fields "f:000000".."f:999999" with 8..=16-byte alphanumeric values;
//! set members "m:000000".."m:999999"; integer members `i * 7919 % 100_000_000`.
//!
//! Run: `cargo run --release --example memory [hash|set-str|set-int]` (default: all three,
//! each in a fresh process so one run's freed memory does not hide the next one's).

use std::process::Command;
use std::time::Instant;

use pilgrim::types::hash::Hash;
use pilgrim::types::set::Set;

const N: usize = 1_000_000;

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
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

/// Deterministic xorshift generator for the values.
struct Values(u64);

impl Values {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn fill(&mut self, out: &mut Vec<u8>) {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        out.clear();
        let len = 8 + (self.next() % 9) as usize;
        for _ in 0..len {
            out.push(ALPHABET[(self.next() % ALPHABET.len() as u64) as usize]);
        }
    }
}

/// Asks the allocator to give free memory back to the OS, so that the RSS reflects live
/// data rather than the arrays freed while the table grew.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: glibc's malloc_trim only returns unused heap pages to the OS.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

fn report(
    name: &str,
    len: usize,
    encoding: &str,
    before: usize,
    started: Instant,
    mem_usage: usize,
) {
    let elapsed = started.elapsed();
    let raw = rss_bytes().saturating_sub(before);
    release_free_memory();
    let live = rss_bytes().saturating_sub(before);
    let per = |bytes: usize| bytes as f64 / len as f64;
    println!(
        "{name:8} {len} elements ({encoding}): RSS delta {:.1} bytes/element \
         ({:.1} before returning freed memory); mem_usage() {:.1} bytes/element; \
         built in {elapsed:.2?}",
        per(live),
        per(raw),
        per(mem_usage),
    );
}

fn measure_hash() {
    let before = rss_bytes();
    let started = Instant::now();
    let mut hash = Hash::new();
    let mut values = Values(0x9E37_79B9_7F4A_7C15);
    let mut value = Vec::new();
    for i in 0..N {
        if i % 100 == 0 {
            // One HSET of 100 pairs, as in the Redis load.
            hash.prepare_bulk_insert(100, 16);
        }
        values.fill(&mut value);
        hash.insert(format!("f:{i:06}").as_bytes(), &value);
    }
    report(
        "hash",
        hash.len(),
        hash.encoding(),
        before,
        started,
        hash.mem_usage(),
    );
}

fn measure_set(integers: bool) {
    let before = rss_bytes();
    let started = Instant::now();
    let mut set = Set::new();
    for i in 0..N {
        if i % 100 == 0 {
            set.prepare_bulk_insert(100);
        }
        let member = if integers {
            (i as u64 * 7919 % 100_000_000).to_string()
        } else {
            format!("m:{i:06}")
        };
        set.insert(member.as_bytes());
    }
    let name = if integers { "set-int" } else { "set-str" };
    report(
        name,
        set.len(),
        set.encoding(),
        before,
        started,
        set.mem_usage(),
    );
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("hash") => measure_hash(),
        Some("set-str") => measure_set(false),
        Some("set-int") => measure_set(true),
        Some(other) => panic!("unknown measurement {other:?}"),
        None => {
            let exe = std::env::current_exe().expect("current exe");
            for which in ["hash", "set-str", "set-int"] {
                let status = Command::new(&exe).arg(which).status().expect("spawn");
                assert!(status.success());
            }
        }
    }
}
