//! Throughput of the main sorted-set operations on a 1,000,000-member set (release build):
//! `cargo run --release --example bench`. The memory measurement is `examples/memory.rs`.

use std::hint::black_box;
use std::time::Instant;

use pilgrim::types::zset::{ScoreBound, ScoreRange, ZSet};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const N: usize = 1_000_000;

fn report(name: &str, ops: usize, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name:<36} {:>12.0} ops/s  ({:.0} ns/op)",
        ops as f64 / secs,
        secs * 1e9 / ops as f64
    );
}

fn member(i: usize) -> Vec<u8> {
    format!("m:{i:06}").into_bytes()
}

fn main() {
    let mut rng = StdRng::seed_from_u64(42);
    let members: Vec<Vec<u8>> = (0..N).map(member).collect();
    let scores: Vec<f64> = (0..N).map(|_| rng.random::<f64>() * 1e6).collect();
    let mut order: Vec<usize> = (0..N).collect();
    for i in (1..N).rev() {
        order.swap(i, rng.random_range(0..=i));
    }

    let mut z = ZSet::new();
    let t = Instant::now();
    for i in 0..N {
        z.insert(&members[i], scores[i]);
    }
    report("insert (new member, random score)", N, t);

    let t = Instant::now();
    let mut sum = 0.0;
    for &i in &order {
        sum += z.score(&members[i]).unwrap();
    }
    black_box(sum);
    report("score (ZSCORE)", N, t);

    let t = Instant::now();
    let mut total = 0usize;
    for &i in &order {
        total += z.rank(&members[i]).unwrap();
    }
    black_box(total);
    report("rank (ZRANK)", N, t);

    let t = Instant::now();
    for &i in &order {
        total += z.get_by_rank(i).unwrap().0.len();
    }
    black_box(total);
    report("get_by_rank", N, t);

    let queries = 200_000;
    let t = Instant::now();
    for &i in order.iter().take(queries) {
        let min = scores[i];
        let range = ScoreRange {
            min: ScoreBound::Inclusive(min),
            max: ScoreBound::Inclusive(f64::INFINITY),
        };
        let first = z.first_in_score_range(&range).unwrap();
        for (m, s) in z.iter_from_rank(first).take(10) {
            total += m.len() + s as usize;
        }
    }
    black_box(total);
    report("ZRANGEBYSCORE x LIMIT 0 10", queries, t);

    let t = Instant::now();
    for &i in order.iter().take(queries) {
        let lo = scores[i];
        let range = ScoreRange {
            min: ScoreBound::Inclusive(lo),
            max: ScoreBound::Exclusive(lo + 1000.0),
        };
        total += z.count_in_score_range(&range);
    }
    black_box(total);
    report("ZCOUNT", queries, t);

    let t = Instant::now();
    for &i in order.iter().take(queries) {
        let r = i % (N - 10);
        for (m, _) in z.iter_range(r, r + 10) {
            total += m.len();
        }
    }
    black_box(total);
    report("ZRANGE r r+9", queries, t);

    let t = Instant::now();
    for &i in &order {
        z.insert(&members[i], scores[i] + 1.0);
    }
    report("insert (update score)", N, t);

    let t = Instant::now();
    for &i in order.iter().take(N / 2) {
        z.remove(&members[i]).unwrap();
    }
    report("remove (ZREM)", N / 2, t);

    let t = Instant::now();
    let mut popped = 0;
    while let Some((m, _)) = z.pop_min() {
        popped += m.len();
    }
    black_box(popped);
    report("pop_min until empty", N / 2, t);

    let mut small = Vec::new();
    for s in 0..1000 {
        let mut z = ZSet::new();
        for i in 0..100 {
            z.insert(&members[s * 100 + i], scores[s * 100 + i]);
        }
        small.push(z);
    }
    let t = Instant::now();
    for round in 0..100 {
        for (s, z) in small.iter().enumerate() {
            total += z.rank(&members[s * 100 + round]).unwrap();
        }
    }
    black_box(total);
    report("rank in 100-element listpack", 100_000, t);
}
