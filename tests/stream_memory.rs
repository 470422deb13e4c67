//! `Stream::mem_usage` (MEMORY USAGE) against the bytes actually allocated, measured with a
//! counting allocator. Allocations are counted per thread, so the test harness's own threads
//! do not disturb the measurement.
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pilgrim::types::stream::{AddId, Stream, StreamId};

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the only addition is a
// per-thread counter (a const-initialized thread local without destructor, so touching it
// never allocates).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.with(|live| live.get())
}

/// Builds a boxed stream (as the keyspace stores it) and compares its estimate with the
/// bytes it really holds.
fn check(label: &str, tolerance: f64, build: impl FnOnce(&mut Stream)) {
    let before = live();
    let mut stream = Box::new(Stream::new());
    build(&mut stream);
    let measured = (live() - before) as f64;
    let estimated = stream.mem_usage() as f64;
    let error = (estimated - measured) / measured;
    println!(
        "{label}: measured {measured}, estimated {estimated}, error {:.1}%",
        error * 100.0
    );
    assert!(
        error.abs() <= tolerance,
        "{label}: measured {measured} bytes, mem_usage says {estimated}"
    );
}

fn value(i: u64) -> String {
    format!("{:012}", i * 7919 % 1_000_000)
}

#[test]
fn mem_usage_matches_allocated_bytes() {
    check("empty", 0.0, |_| {});
    check("one entry", 0.02, |s| {
        s.add(AddId::Explicit(StreamId::new(1, 1)), &["f", "v"], 1)
            .unwrap();
    });
    check("200k benchmark-shaped entries", 0.02, |s| {
        for i in 0..200_000u64 {
            let v = value(i);
            s.add(
                AddId::Auto,
                &["f1", v.as_str(), "f2", "v"],
                1_700_000_000_000 + i / 160,
            )
            .unwrap();
        }
    });
    check(
        "mixed fields, large values, deletions and trimming",
        0.02,
        |s| {
            let big = "x".repeat(5000);
            for i in 0..20_000u64 {
                let id = AddId::Explicit(StreamId::new(1000 + i, i % 3));
                let v = value(i);
                let fields: Vec<&str> = match i % 4 {
                    0 => vec!["a", v.as_str()],
                    1 => vec!["a", v.as_str(), "b", "c"],
                    2 => vec!["name", "some longer value here", "n", v.as_str()],
                    _ => vec!["blob", big.as_str()],
                };
                s.add(id, &fields, 0).unwrap();
            }
            let deleted: Vec<StreamId> = (0..20_000u64)
                .step_by(3)
                .map(|i| StreamId::new(1000 + i, i % 3))
                .collect();
            s.delete(&deleted);
            s.trim(&pilgrim::types::stream::TrimOptions {
                strategy: pilgrim::types::stream::TrimStrategy::MaxLen(10_000),
                approx: true,
                limit: None,
                policy: Default::default(),
            });
        },
    );
    check("groups, consumers and pending entries", 0.05, |s| {
        for i in 0..60_000u64 {
            let v = value(i);
            s.add(
                AddId::Explicit(StreamId::new(1, i + 1)),
                &["job", v.as_str()],
                0,
            )
            .unwrap();
        }
        for g in 0..3 {
            let group = format!("group-{g}");
            s.create_group(
                group.as_bytes(),
                pilgrim::types::stream::GroupStartId::Id(StreamId::MIN),
                None,
            )
            .unwrap();
            // Eight consumers take turns reading batches of 100; every other batch is
            // acknowledged.
            for batch in 0..600u64 {
                let consumer = format!("consumer-{}", batch % 8);
                let read = s
                    .read_group(group.as_bytes(), consumer.as_bytes(), None, 100, false, 5)
                    .unwrap();
                if batch % 2 == 0
                    && let pilgrim::types::stream::GroupReadReply::New(ids) = read.reply
                {
                    s.ack(group.as_bytes(), &ids);
                }
            }
        }
    });
}
