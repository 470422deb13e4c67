//! Throughput of the hot stream operations, single-threaded, no networking:
//! XADD, XRANGE / XREVRANGE with COUNT 10 from random starts, a full scan, XREADGROUP `>`
//! with COUNT 10 followed by XACK. Run with `cargo run --release --example bench`.

use std::hint::black_box;
use std::time::Instant;

use pilgrim::types::stream::{AddId, GroupStartId, Stream, StreamId};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const ENTRIES: u64 = 1_000_000;
const BASE_MS: u64 = 1_700_000_000_000;

fn report(name: &str, ops: u64, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name:<34} {:>12.0} ops/s  ({ops} ops in {secs:.3} s)",
        ops as f64 / secs
    );
}

/// Sums the bytes of an entry's pairs so that the reads cannot be optimized away.
fn touch(entry: pilgrim::types::stream::EntryRef<'_>) -> usize {
    entry.iter().map(|(f, v)| f.len() + v.len()).sum()
}

fn main() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut stream = Stream::new();
    let mut value = String::new();

    let started = Instant::now();
    for i in 0..ENTRIES {
        use std::fmt::Write;
        value.clear();
        write!(value, "{:012}", rng.random_range(0..1_000_000u64)).expect("format");
        let fields: [&[u8]; 4] = [b"f1", value.as_bytes(), b"f2", b"v"];
        // About 160 entries per millisecond, like a loaded server.
        stream
            .add(AddId::Auto, &fields, BASE_MS + i / 160)
            .expect("xadd");
    }
    report("XADD * f1 <12 digits> f2 v", ENTRIES, started);

    let last_ms = BASE_MS + ENTRIES / 160;
    let queries = 200_000;
    let random_start = |rng: &mut StdRng| StreamId::new(rng.random_range(BASE_MS..=last_ms), 0);

    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..queries {
        let start = random_start(&mut rng);
        for (id, entry) in stream.range(start, StreamId::MAX, false).take(10) {
            bytes += touch(entry) + id.seq as usize;
        }
    }
    report("XRANGE <random> + COUNT 10", queries, started);

    let started = Instant::now();
    for _ in 0..queries {
        let end = random_start(&mut rng);
        for (id, entry) in stream.range(StreamId::MIN, end, true).take(10) {
            bytes += touch(entry) + id.seq as usize;
        }
    }
    report("XREVRANGE <random> - COUNT 10", queries, started);

    let started = Instant::now();
    let mut scanned = 0u64;
    for (_, entry) in stream.range(StreamId::MIN, StreamId::MAX, false) {
        bytes += touch(entry);
        scanned += 1;
    }
    report("XRANGE - + (full scan, per entry)", scanned, started);

    let started = Instant::now();
    for _ in 0..queries {
        let id = StreamId::new(
            rng.random_range(BASE_MS..=last_ms),
            rng.random_range(0..160),
        );
        if let Some(entry) = stream.get(id) {
            bytes += touch(entry);
        }
    }
    report("point lookup (XCLAIM-style)", queries, started);

    stream
        .create_group(b"g", GroupStartId::Id(StreamId::MIN), None)
        .expect("group");
    let started = Instant::now();
    let mut reads = 0u64;
    let now = last_ms + 1;
    while reads < 50_000 {
        let read = stream
            .read_group(b"g", b"consumer", None, 10, false, now)
            .expect("group exists");
        if let pilgrim::types::stream::GroupReadReply::New(ids) = read.reply {
            // Delivered IDs are consecutive live entries: one range walk replies them all.
            if let (Some(&first), Some(&last)) = (ids.first(), ids.last()) {
                for (_, entry) in stream.range(first, last, false) {
                    bytes += touch(entry);
                }
            }
            stream.ack(b"g", &ids);
        }
        reads += 1;
    }
    report("XREADGROUP > COUNT 10 + XACK", reads, started);
    black_box(bytes);
}
