//! Throughput of the list operations a task queue and the LINDEX/LSET/LINSERT family use.
//! Run with `cargo run --release --example bench`. Items are 16 bytes, as in the memory target.

use pilgrim::types::list::List;
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Instant;

const N: usize = 1_000_000;

fn item(i: usize) -> [u8; 16] {
    let mut out = *b"item:00000000000";
    let mut n = i;
    for slot in out[5..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out
}

/// xorshift64: reproducible random indexes without dependencies.
struct Indexes(u64);

impl Indexes {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn report(name: &str, ops: usize, run: impl FnOnce()) {
    let started = Instant::now();
    run();
    let elapsed = started.elapsed();
    println!(
        "{name:<52} {:>7.1} M ops/s  {:>8.1} ns/op",
        ops as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed.as_nanos() as f64 / ops as f64
    );
}

fn full_list() -> List {
    let mut list = List::new();
    for i in 0..N {
        list.push_back(&item(i));
    }
    list
}

fn main() {
    let mut list = List::new();
    report("push_back (RPUSH) x1M", N, || {
        for i in 0..N {
            list.push_back(&item(i));
        }
    });
    report("pop_front (LPOP) x1M", N, || {
        while let Some(v) = list.pop_front() {
            black_box(v);
        }
    });
    report("push_front (LPUSH) x1M", N, || {
        for i in 0..N {
            list.push_front(&item(i));
        }
    });
    report("pop_back (RPOP) x1M", N, || {
        while let Some(v) = list.pop_back() {
            black_box(v);
        }
    });

    for backlog in [100, 100_000] {
        let mut queue = List::new();
        for i in 0..backlog {
            queue.push_back(&item(i));
        }
        report(
            &format!(
                "queue push_back+pop_front, backlog {backlog} ({})",
                queue.encoding()
            ),
            N,
            || {
                for i in 0..N {
                    queue.push_back(&item(i));
                    black_box(queue.pop_front());
                }
            },
        );
    }

    let mut list = full_list();
    let mut rng = Indexes(0x9e37_79b9_7f4a_7c15);
    report("get random index (LINDEX), 1M list", N, || {
        for _ in 0..N {
            black_box(list.get(rng.below(N)));
        }
    });
    report("get middle index, 1M list", N, || {
        for _ in 0..N {
            black_box(list.get(N / 2));
        }
    });
    report("get index 10 (near head), 1M list", N, || {
        for _ in 0..N {
            black_box(list.get(10));
        }
    });
    report("set random index, same size (LSET), 1M list", N, || {
        for i in 0..N {
            list.set(rng.below(N), &item(i));
        }
    });
    report("iterate all (LRANGE 0 -1), 1M list", N, || {
        black_box(list.iter().map(|v| v.len()).sum::<usize>());
    });
    report(
        "iter_from(N/2).take(100) (LRANGE mid), x10k",
        10_000 * 100,
        || {
            for _ in 0..10_000 {
                black_box(list.iter_from(N / 2).take(100).count());
            }
        },
    );
    report(
        "insert random index (LINSERT), 1M list, x100k",
        100_000,
        || {
            for i in 0..100_000 {
                list.insert(rng.below(list.len()), &item(i));
            }
        },
    );
    report("remove random index, x100k", 100_000, || {
        for _ in 0..100_000 {
            black_box(list.remove(rng.below(list.len())));
        }
    });
    report(
        "position of missing value (LPOS/LINSERT scan), x20",
        20 * N,
        || {
            for _ in 0..20 {
                black_box(list.position(b"not in the list!"));
            }
        },
    );
    report("remove_matching none (LREM full scan), x20", 20 * N, || {
        for _ in 0..20 {
            black_box(list.remove_matching(b"not in the list!", 0));
        }
    });

    println!("-- baseline: VecDeque<Vec<u8>> --");
    let mut baseline: VecDeque<Vec<u8>> = VecDeque::new();
    report("VecDeque push_back x1M", N, || {
        for i in 0..N {
            baseline.push_back(item(i).to_vec());
        }
    });
    report("VecDeque pop_front x1M", N, || {
        while let Some(v) = baseline.pop_front() {
            black_box(v);
        }
    });
}
