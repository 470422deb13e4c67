//! Memory per element of a 1,000,000-element list of 16-byte items, from `List::mem_usage()`
//! and from the process's resident set size (RSS) growth, compared with a VecDeque<Vec<u8>>.
//! Run with `cargo run --release --example memory` (Linux: reads /proc/self/status).

use pilgrim::types::list::List;
use std::collections::VecDeque;
use std::hint::black_box;

const N: usize = 1_000_000;

fn item(i: usize) -> Vec<u8> {
    format!("item:{i:011}").into_bytes()
}

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("number");
    kib * 1024
}

fn measure<T>(name: &str, build: impl FnOnce() -> T, accounted: impl Fn(&T) -> Option<usize>) -> T {
    let before = rss_bytes();
    let value = build();
    let grown = rss_bytes().saturating_sub(before);
    let accounted = accounted(&value)
        .map(|b| {
            format!(
                "mem_usage {:>6.2} B/elem ({:>5.1} MB)",
                b as f64 / N as f64,
                b as f64 / 1e6
            )
        })
        .unwrap_or_default();
    println!(
        "{name:<34} RSS +{:>6.2} B/elem ({:>5.1} MB)   {accounted}",
        grown as f64 / N as f64,
        grown as f64 / 1e6
    );
    value
}

fn main() {
    // Items are built one at a time so that only the structure itself stays resident.
    let rpush = measure(
        "List, push_back x1M",
        || {
            let mut list = List::new();
            for i in 0..N {
                list.push_back(&item(i));
            }
            list
        },
        |l| Some(l.mem_usage()),
    );
    println!(
        "  chunks: {}, encoding: {}",
        rpush.chunk_count(),
        rpush.encoding()
    );
    let lpush = measure(
        "List, push_front x1M",
        || {
            let mut list = List::new();
            for i in 0..N {
                list.push_front(&item(i));
            }
            list
        },
        |l| Some(l.mem_usage()),
    );
    let queue = measure(
        "List, queue churn (2M in, 1M out)",
        || {
            let mut list = List::new();
            for i in 0..2 * N {
                list.push_back(&item(i));
                if i % 2 == 1 {
                    black_box(list.pop_front());
                }
            }
            list
        },
        |l| Some(l.mem_usage()),
    );
    let baseline = measure(
        "VecDeque<Vec<u8>>, push_back x1M",
        || {
            let mut deque = VecDeque::new();
            for i in 0..N {
                deque.push_back(item(i));
            }
            deque
        },
        |_| None,
    );
    black_box((&rpush, &lpush, &queue, &baseline));
}
