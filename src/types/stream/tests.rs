//! Tests of the stream operations: every command's data-structure behaviour, errors, block
//! management, consumer-group bookkeeping, lag, and randomized comparisons against simple
//! models.

use super::*;

mod groups;
mod model;

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Sets the node limits for the current test thread and restores the defaults on drop.
pub(super) struct Limits;

impl Limits {
    pub(super) fn set(max_bytes: usize, max_entries: usize) -> Limits {
        TEST_NODE_LIMITS.with(|l| l.set(Some((max_bytes, max_entries))));
        Limits
    }
}

impl Drop for Limits {
    fn drop(&mut self) {
        TEST_NODE_LIMITS.with(|l| l.set(None));
    }
}

pub(super) fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

pub(super) fn add(s: &mut Stream, ms: u64, seq: u64, fv: &[&str]) -> StreamId {
    let fv: Vec<&[u8]> = fv.iter().map(|x| x.as_bytes()).collect();
    s.add(AddId::Explicit(id(ms, seq)), &fv, 0).unwrap()
}

/// A stream with entries `1-0 .. n-0`, each `f <ms>`.
pub(super) fn numbered(n: u64) -> Stream {
    let mut s = Stream::new();
    for ms in 1..=n {
        add(&mut s, ms, 0, &["f", &ms.to_string()]);
    }
    s
}

pub(super) fn ids(s: &Stream) -> Vec<StreamId> {
    s.range(StreamId::MIN, StreamId::MAX, false)
        .map(|(id, _)| id)
        .collect()
}

fn pairs(fv: &[&str]) -> Pairs {
    fv.chunks(2)
        .map(|c| (c[0].as_bytes().to_vec(), c[1].as_bytes().to_vec()))
        .collect()
}

fn ms_list(list: &[u64]) -> Vec<StreamId> {
    list.iter().map(|&ms| id(ms, 0)).collect()
}

// ----- XADD and ID generation -----------------------------------------------------------

#[test]
fn auto_ids_follow_the_clock_and_never_go_back() {
    let mut s = Stream::new();
    let fv: [&[u8]; 2] = [b"f", b"v"];
    assert_eq!(s.add(AddId::Auto, &fv, 1000), Ok(id(1000, 0)));
    assert_eq!(s.add(AddId::Auto, &fv, 1000), Ok(id(1000, 1)));
    // The clock goes backwards: keep the last ms and bump the sequence.
    assert_eq!(s.add(AddId::Auto, &fv, 999), Ok(id(1000, 2)));
    assert_eq!(s.add(AddId::Auto, &fv, 0), Ok(id(1000, 3)));
    assert_eq!(s.add(AddId::Auto, &fv, 1001), Ok(id(1001, 0)));
    assert_eq!(s.len(), 5);
    assert_eq!(s.last_generated_id(), id(1001, 0));
    assert_eq!(s.entries_added(), 5);
    assert_eq!(s.recorded_first_entry_id(), id(1000, 0));
    s.check_invariants();
}

#[test]
fn auto_id_sequence_overflow_moves_to_next_ms() {
    let mut s = Stream::new();
    let fv: [&[u8]; 2] = [b"f", b"v"];
    s.add(AddId::Explicit(id(5, u64::MAX)), &fv, 0).unwrap();
    assert_eq!(s.add(AddId::Auto, &fv, 5), Ok(id(6, 0)));
    assert_eq!(s.add(AddId::Auto, &fv, 3), Ok(id(6, 1)));
    assert_eq!(ids(&s), vec![id(5, u64::MAX), id(6, 0), id(6, 1)]);
    s.check_invariants();
}

#[test]
fn maximum_id_exhausts_the_stream() {
    let mut s = Stream::new();
    let fv: [&[u8]; 2] = [b"f", b"v"];
    s.add(AddId::Explicit(id(u64::MAX, u64::MAX - 1)), &fv, 0)
        .unwrap();
    // Auto with the clock behind takes the last possible ID...
    assert_eq!(s.add(AddId::Auto, &fv, 7), Ok(StreamId::MAX));
    // ...after which nothing can be added, whatever the ID form.
    assert_eq!(s.add(AddId::Auto, &fv, 7), Err(StreamError::IdExhausted));
    assert_eq!(
        s.add(AddId::AutoSeq { ms: u64::MAX }, &fv, 7),
        Err(StreamError::IdExhausted)
    );
    assert_eq!(
        s.add(AddId::Explicit(id(1, 1)), &fv, 7),
        Err(StreamError::IdExhausted)
    );
    // Explicit 0-0 is refused before anything else.
    assert_eq!(
        s.add(AddId::Explicit(id(0, 0)), &fv, 7),
        Err(StreamError::AddIdZero)
    );
    assert_eq!(s.len(), 2);
    assert_eq!(
        s.range(StreamId::MIN, StreamId::MAX, true)
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        vec![StreamId::MAX, id(u64::MAX, u64::MAX - 1)]
    );
    s.check_invariants();
}

#[test]
fn explicit_ids_must_grow() {
    let mut s = Stream::new();
    let fv: [&[u8]; 2] = [b"f", b"v"];
    assert_eq!(
        s.add(AddId::Explicit(id(0, 0)), &fv, 0),
        Err(StreamError::AddIdZero)
    );
    assert_eq!(s.add(AddId::Explicit(id(0, 1)), &fv, 0), Ok(id(0, 1)));
    assert_eq!(
        s.add(AddId::Explicit(id(0, 1)), &fv, 0),
        Err(StreamError::AddIdTooSmall)
    );
    assert_eq!(s.add(AddId::Explicit(id(5, 0)), &fv, 0), Ok(id(5, 0)));
    assert_eq!(
        s.add(AddId::Explicit(id(4, 9)), &fv, 0),
        Err(StreamError::AddIdTooSmall)
    );
    assert_eq!(s.len(), 2);
}

#[test]
fn ms_star_ids() {
    let mut s = Stream::new();
    let fv: [&[u8]; 2] = [b"f", b"v"];
    // On an empty stream 0-* gives 0-1 (0-0 is never valid).
    assert_eq!(s.add(AddId::AutoSeq { ms: 0 }, &fv, 0), Ok(id(0, 1)));
    assert_eq!(s.add(AddId::AutoSeq { ms: 5 }, &fv, 0), Ok(id(5, 0)));
    assert_eq!(s.add(AddId::AutoSeq { ms: 5 }, &fv, 0), Ok(id(5, 1)));
    assert_eq!(
        s.add(AddId::AutoSeq { ms: 4 }, &fv, 0),
        Err(StreamError::AddIdTooSmall)
    );
    s.add(AddId::Explicit(id(5, u64::MAX)), &fv, 0).unwrap();
    assert_eq!(
        s.add(AddId::AutoSeq { ms: 5 }, &fv, 0),
        Err(StreamError::AddIdTooSmall)
    );
    assert_eq!(s.add(AddId::AutoSeq { ms: 6 }, &fv, 0), Ok(id(6, 0)));
}

#[test]
fn oversized_entries_are_refused() {
    let mut s = Stream::new();
    // Zeroed allocations are lazily mapped: this costs no real memory.
    let big = vec![0u8; 1 << 28];
    let fv: [&[u8]; 6] = [&big, &big, &big, &big, b"x", b"y"];
    assert_eq!(
        s.add(AddId::Auto, &fv, 1),
        Err(StreamError::ElementsTooLarge)
    );
    assert_eq!(s.len(), 0);
    assert_eq!(s.last_generated_id(), StreamId::MIN);
}

#[test]
fn entries_keep_their_exact_bytes() {
    let mut s = Stream::new();
    let odd = [
        "007",
        "-5",
        "-0",
        "0",
        "12345678901234567890",
        "",
        "+1",
        " 2",
        "-007",
    ];
    let mut fv = Vec::new();
    for (i, v) in odd.iter().enumerate() {
        fv.push(format!("{i:02}"));
        fv.push(v.to_string());
    }
    let refs: Vec<&str> = fv.iter().map(|x| x.as_str()).collect();
    add(&mut s, 1, 0, &refs);
    // Same fields as the master: stored as values only.
    add(&mut s, 2, 0, &refs);
    // Different fields, and no fields at all.
    add(&mut s, 3, 0, &["x", "1", "y", "2"]);
    add(&mut s, 4, 0, &[]);
    add(&mut s, 5, 0, &["00", "007"]);
    assert_eq!(s.get(id(1, 0)).unwrap().to_vec(), pairs(&refs));
    assert_eq!(s.get(id(2, 0)).unwrap().to_vec(), pairs(&refs));
    assert_eq!(
        s.get(id(3, 0)).unwrap().to_vec(),
        pairs(&["x", "1", "y", "2"])
    );
    let empty = s.get(id(4, 0)).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    assert_eq!(s.get(id(5, 0)).unwrap().to_vec(), pairs(&["00", "007"]));
    assert!(s.get(id(6, 0)).is_none());
    let entry = s.get(id(3, 0)).unwrap();
    let mut iter = entry.iter();
    assert_eq!(iter.len(), 2);
    let (field, value) = iter.next().unwrap();
    assert_eq!(&*field, b"x");
    assert_eq!(value, &b"1"[..]);
}

// ----- blocks ------------------------------------------------------------------------------

#[test]
fn blocks_split_on_entry_count_and_bytes() {
    let _limits = Limits::set(4096, 3);
    let s = numbered(10);
    assert_eq!(s.info().radix_tree_keys, 4);
    assert_eq!(
        s.log.blocks.keys().copied().collect::<Vec<_>>(),
        ms_list(&[1, 4, 7, 10])
    );
    drop(_limits);

    // Byte limit: each entry carries a 100-byte value.
    let _limits = Limits::set(250, 0);
    let mut s = Stream::new();
    let value = "x".repeat(100);
    for ms in 1..=6 {
        add(&mut s, ms, 0, &["f", &value]);
    }
    // A block takes a second entry (size ~105 + 100 < 250), not a third.
    assert_eq!(
        s.log.blocks.keys().copied().collect::<Vec<_>>(),
        ms_list(&[1, 3, 5])
    );
    // Closed blocks give back their growth slack.
    let (_, first) = s.log.blocks.first_key_value().unwrap();
    assert_eq!(first.data.capacity(), first.data.len());
    s.check_invariants();
}

#[test]
fn zero_limits_mean_unlimited() {
    let _limits = Limits::set(0, 0);
    let s = numbered(500);
    assert_eq!(s.info().radix_tree_keys, 1);
    assert_eq!(s.len(), 500);
}

#[test]
fn tombstones_count_towards_the_entry_limit() {
    let _limits = Limits::set(4096, 3);
    let mut s = numbered(3);
    assert_eq!(s.delete(&[id(2, 0)]), 1);
    add(&mut s, 4, 0, &["f", "4"]);
    assert_eq!(
        s.log.blocks.keys().copied().collect::<Vec<_>>(),
        ms_list(&[1, 4])
    );
    s.check_invariants();
}

#[test]
fn radix_tree_fields_match_redis() {
    // Redis 7.0 with 100 entries per node: 250 entries -> 3 keys, 8 nodes; after deleting the
    // whole middle node -> 2 keys, 6 nodes. An empty stream has 0 keys and 1 node.
    let _limits = Limits::set(4096, 100);
    let mut s = Stream::new();
    assert_eq!(
        (s.info().radix_tree_keys, s.info().radix_tree_nodes),
        (0, 1)
    );
    for ms in 1..=250 {
        add(&mut s, ms, 1, &["f", "v"]);
    }
    let info = s.info();
    assert_eq!((info.radix_tree_keys, info.radix_tree_nodes), (3, 8));
    let middle: Vec<StreamId> = (101..=200).map(|ms| id(ms, 1)).collect();
    assert_eq!(s.delete(&[id(150, 1)]), 1);
    assert_eq!(s.delete(&middle), 99);
    let info = s.info();
    assert_eq!((info.radix_tree_keys, info.radix_tree_nodes), (2, 6));
    assert_eq!(info.length, 150);
    s.check_invariants();
}

// ----- ranges ------------------------------------------------------------------------------

#[test]
fn ranges_forward_and_backward_across_blocks() {
    let _limits = Limits::set(4096, 3);
    let mut s = numbered(10);
    s.delete(&[id(4, 0), id(5, 0)]);
    let fwd = |s: &Stream, a, b| -> Vec<StreamId> { s.range(a, b, false).map(|e| e.0).collect() };
    let rev = |s: &Stream, a, b| -> Vec<StreamId> { s.range(a, b, true).map(|e| e.0).collect() };
    assert_eq!(fwd(&s, id(2, 0), id(8, 0)), ms_list(&[2, 3, 6, 7, 8]));
    assert_eq!(rev(&s, id(2, 0), id(8, 0)), ms_list(&[8, 7, 6, 3, 2]));
    assert_eq!(fwd(&s, id(4, 0), id(5, 9)), vec![]);
    assert_eq!(rev(&s, id(4, 0), id(5, 9)), vec![]);
    assert_eq!(fwd(&s, id(3, 1), id(6, 0)), ms_list(&[6]));
    assert_eq!(rev(&s, id(3, 0), id(3, 0)), ms_list(&[3]));
    assert_eq!(fwd(&s, id(9, 0), id(2, 0)), vec![]);
    assert_eq!(rev(&s, id(9, 0), id(2, 0)), vec![]);
    assert_eq!(
        rev(&s, StreamId::MIN, StreamId::MAX),
        ms_list(&[10, 9, 8, 7, 6, 3, 2, 1])
    );
    // COUNT is take().
    assert_eq!(
        s.range(StreamId::MIN, StreamId::MAX, true)
            .take(2)
            .map(|e| e.0)
            .collect::<Vec<_>>(),
        ms_list(&[10, 9])
    );
    // Exclusive bounds through the parsers.
    let start = StreamId::parse_range_start(b"(3").unwrap();
    let end = StreamId::parse_range_end(b"(8-0").unwrap();
    assert_eq!(fwd(&s, start, end), ms_list(&[6, 7]));
    // `(8` excludes 8-18446744073709551615 only.
    let end = StreamId::parse_range_end(b"(8").unwrap();
    assert_eq!(fwd(&s, start, end), ms_list(&[6, 7, 8]));
    let end = StreamId::parse_range_end(b"8").unwrap();
    assert_eq!(fwd(&s, start, end), ms_list(&[6, 7, 8]));
    assert_eq!(s.first_entry().unwrap().0, id(1, 0));
    assert_eq!(s.last_entry().unwrap().0, id(10, 0));
    assert_eq!(s.last_entry().unwrap().1.to_vec(), pairs(&["f", "10"]));
    let empty = Stream::new();
    assert_eq!(fwd(&empty, StreamId::MIN, StreamId::MAX), vec![]);
    assert!(empty.first_entry().is_none());
}

#[test]
fn xread_helpers() {
    let mut s = numbered(3);
    assert_eq!(s.read_after(ReadStartId::LastGenerated), Some(id(3, 0)));
    assert_eq!(s.read_after(ReadStartId::LastEntry), Some(id(2, u64::MAX)));
    assert_eq!(s.read_after(ReadStartId::After(id(1, 0))), Some(id(1, 0)));
    assert_eq!(s.read_after(ReadStartId::NewMessages), None);
    assert!(s.has_entries_after(id(2, 0)));
    assert!(!s.has_entries_after(id(3, 0)));
    s.delete(&[id(3, 0)]);
    // `+` is relative to the last live entry, `$` to the last generated ID.
    assert_eq!(s.read_after(ReadStartId::LastEntry), Some(id(1, u64::MAX)));
    assert_eq!(s.read_after(ReadStartId::LastGenerated), Some(id(3, 0)));
    assert!(!s.has_entries_after(id(2, 0)));
    assert_eq!(s.last_entry_id(), Some(id(2, 0)));
    let empty = Stream::new();
    assert_eq!(
        empty.read_after(ReadStartId::LastEntry),
        Some(StreamId::MIN)
    );
    assert!(!empty.has_entries_after(StreamId::MIN));
}

// ----- deletion ----------------------------------------------------------------------------

#[test]
fn xdel_marks_tombstones_and_frees_empty_blocks() {
    let _limits = Limits::set(4096, 3);
    let mut s = numbered(7);
    assert_eq!(s.delete(&[id(2, 0), id(2, 0), id(99, 0)]), 1);
    assert_eq!(s.len(), 6);
    assert_eq!(s.max_deleted_entry_id(), id(2, 0));
    assert_eq!(s.info().radix_tree_keys, 3);
    // Deleting the rest of the first block frees it.
    assert_eq!(s.delete(&[id(1, 0), id(3, 0)]), 2);
    assert_eq!(s.info().radix_tree_keys, 2);
    assert_eq!(s.recorded_first_entry_id(), id(4, 0));
    assert_eq!(s.max_deleted_entry_id(), id(3, 0));
    // Deleting a lower ID does not lower max-deleted-entry-id.
    assert_eq!(s.delete(&[id(6, 0), id(5, 0)]), 2);
    assert_eq!(s.max_deleted_entry_id(), id(6, 0));
    assert_eq!(s.recorded_first_entry_id(), id(4, 0));
    assert_eq!(ids(&s), ms_list(&[4, 7]));
    assert_eq!(s.delete(&[id(4, 0), id(7, 0)]), 2);
    assert_eq!(s.len(), 0);
    assert_eq!(s.recorded_first_entry_id(), StreamId::MIN);
    assert_eq!(s.info().radix_tree_keys, 0);
    assert_eq!(s.last_generated_id(), id(7, 0));
    s.check_invariants();
    // The stream keeps working after being emptied.
    add(&mut s, 8, 0, &["a", "b"]);
    assert_eq!(s.recorded_first_entry_id(), id(8, 0));
    s.check_invariants();
}

#[test]
fn delete_of_a_tail_entry_keeps_appends_correct() {
    let mut s = numbered(3);
    s.delete(&[id(3, 0)]);
    add(&mut s, 4, 0, &["f", "4"]);
    assert_eq!(ids(&s), ms_list(&[1, 2, 4]));
    assert_eq!(s.last_entry_id(), Some(id(4, 0)));
    s.delete(&[id(4, 0)]);
    assert_eq!(s.last_entry_id(), Some(id(2, 0)));
    s.check_invariants();
}

// ----- trimming ----------------------------------------------------------------------------

fn maxlen(n: u64, approx: bool, limit: Option<u64>) -> TrimOptions {
    TrimOptions {
        strategy: TrimStrategy::MaxLen(n),
        approx,
        limit,
        policy: DeletePolicy::KeepRef,
    }
}

fn minid(ms: u64, approx: bool, limit: Option<u64>) -> TrimOptions {
    TrimOptions {
        strategy: TrimStrategy::MinId(id(ms, 0)),
        approx,
        limit,
        policy: DeletePolicy::KeepRef,
    }
}

#[test]
fn exact_maxlen_trim() {
    let _limits = Limits::set(4096, 3);
    let mut s = numbered(10);
    assert_eq!(s.trim(&maxlen(5, false, None)), 5);
    assert_eq!(ids(&s), ms_list(&[6, 7, 8, 9, 10]));
    // Block 1-3 freed whole, 4 and 5 tombstoned in block 4-6.
    assert_eq!(
        s.log.blocks.keys().copied().collect::<Vec<_>>(),
        ms_list(&[4, 7, 10])
    );
    assert_eq!(s.recorded_first_entry_id(), id(6, 0));
    // Trimming never changes max-deleted-entry-id.
    assert_eq!(s.max_deleted_entry_id(), StreamId::MIN);
    assert_eq!(s.trim(&maxlen(5, false, None)), 0);
    assert_eq!(s.trim(&maxlen(0, false, None)), 5);
    assert_eq!(s.len(), 0);
    assert_eq!(s.recorded_first_entry_id(), StreamId::MIN);
    assert_eq!(s.info().radix_tree_keys, 0);
    s.check_invariants();
}

#[test]
fn approximate_maxlen_trim_removes_whole_blocks_only() {
    let _limits = Limits::set(4096, 3);
    let mut s = numbered(10);
    assert_eq!(s.trim(&maxlen(5, true, None)), 3);
    assert_eq!(s.len(), 7);
    assert_eq!(s.recorded_first_entry_id(), id(4, 0));
    assert_eq!(s.trim(&maxlen(5, true, None)), 0);
    assert_eq!(s.trim(&maxlen(4, true, None)), 3);
    assert_eq!(ids(&s), ms_list(&[7, 8, 9, 10]));
    assert_eq!(s.trim(&maxlen(0, true, None)), 4);
    assert_eq!(s.len(), 0);
    s.check_invariants();
}

#[test]
fn trim_limit() {
    let _limits = Limits::set(4096, 3);
    let mut s = numbered(10);
    // A LIMIT below a block's size removes nothing.
    assert_eq!(s.trim(&maxlen(0, true, Some(2))), 0);
    assert_eq!(s.trim(&maxlen(0, true, Some(5))), 3);
    assert_eq!(s.trim(&maxlen(0, true, Some(6))), 6);
    assert_eq!(s.len(), 1);
    // LIMIT 0 means no limit.
    let mut s = numbered(10);
    assert_eq!(s.trim(&maxlen(0, true, Some(0))), 10);
    // The default LIMIT for `~` is 100 blocks' worth of entries (here 300).
    let mut s = numbered(400);
    assert_eq!(maxlen(0, true, None).effective_limit(), 300);
    assert_eq!(maxlen(0, false, None).effective_limit(), 0);
    assert_eq!(s.trim(&maxlen(0, true, None)), 300);
    assert_eq!(s.trim(&maxlen(0, false, None)), 100);
    drop(_limits);
    let _limits = Limits::set(4096, 0);
    assert_eq!(default_trim_limit(), 10_000);
    let _limits = Limits::set(4096, 50_000);
    assert_eq!(default_trim_limit(), 1_000_000);
}

#[test]
fn minid_trim_exact_and_approximate() {
    let _limits = Limits::set(4096, 3);
    let mut s = numbered(10);
    assert_eq!(s.trim(&minid(5, true, None)), 3);
    assert_eq!(ids(&s)[0], id(4, 0));
    assert_eq!(s.trim(&minid(5, false, None)), 1);
    assert_eq!(ids(&s)[0], id(5, 0));
    assert_eq!(s.trim(&minid(5, false, None)), 0);
    assert_eq!(s.trim(&minid(11, false, None)), 6);
    assert_eq!(s.len(), 0);
    s.check_invariants();
}

#[test]
fn minid_trim_stops_at_a_tombstone_above_the_threshold() {
    let _limits = Limits::set(4096, 3);
    let mut s = numbered(6);
    // Block 1-3 with its last entry deleted: its last ID (3) is not below MINID 3.
    s.delete(&[id(3, 0)]);
    assert_eq!(s.trim(&minid(3, true, None)), 0);
    // Exact: entries below 3 go, the tombstone stops the scan; the block is then empty of
    // live entries and freed.
    assert_eq!(s.trim(&minid(3, false, None)), 2);
    assert_eq!(ids(&s), ms_list(&[4, 5, 6]));
    assert_eq!(s.info().radix_tree_keys, 1);
    s.check_invariants();
}

// ----- XSETID ------------------------------------------------------------------------------

#[test]
fn xsetid_rules() {
    let mut s = numbered(3);
    assert_eq!(
        s.set_id(id(2, 0), None, None),
        Err(StreamError::SetIdSmallerThanTopItem)
    );
    assert_eq!(
        s.set_id(id(5, 0), Some(2), None),
        Err(StreamError::SetIdEntriesAddedTooSmall)
    );
    assert_eq!(
        s.set_id(id(5, 0), None, Some(id(6, 0))),
        Err(StreamError::SetIdSmallerThanGivenMaxDeleted)
    );
    assert_eq!(
        check_set_id_args(id(5, 0), Some(id(6, 0))),
        Err(StreamError::SetIdSmallerThanGivenMaxDeleted)
    );
    assert_eq!(check_set_id_args(id(5, 0), Some(id(5, 0))), Ok(()));
    assert_eq!(s.set_id(id(3, 0), None, None), Ok(()));
    assert_eq!(s.set_id(id(10, 0), Some(100), Some(id(4, 0))), Ok(()));
    assert_eq!(s.last_generated_id(), id(10, 0));
    assert_eq!(s.entries_added(), 100);
    assert_eq!(s.max_deleted_entry_id(), id(4, 0));
    // MAXDELETEDID 0-0 leaves the current value.
    assert_eq!(s.set_id(id(10, 0), None, Some(id(0, 0))), Ok(()));
    assert_eq!(s.max_deleted_entry_id(), id(4, 0));
    assert_eq!(
        s.set_id(id(3, 5), None, None),
        Err(StreamError::SetIdSmallerThanMaxDeleted)
    );
    // An XADD after XSETID continues above the new last ID.
    let fv: [&[u8]; 2] = [b"f", b"v"];
    assert_eq!(s.add(AddId::Auto, &fv, 1), Ok(id(10, 1)));
    assert_eq!(s.entries_added(), 101);
    // On an empty stream any ID above max-deleted is accepted.
    let mut empty = Stream::new();
    assert_eq!(empty.set_id(id(0, 0), Some(0), None), Ok(()));
    assert_eq!(empty.set_id(id(7, 7), Some(9), None), Ok(()));
    assert_eq!(empty.entries_added(), 9);
}

#[test]
fn append_after_a_tombstone_above_a_lowered_last_id() {
    // The one way to get IDs out of order inside a block: an ACKED trim leaves a tombstone
    // after the last live entry, XSETID then goes below the tombstone (Redis allows it: it
    // checks the last live entry), and XADD appends after the tombstone.
    let mut s = numbered(3);
    s.create_group(b"g", GroupStartId::Id(StreamId::MIN), None)
        .unwrap();
    s.read_group(b"g", b"c", None, 2, false, 0).unwrap();
    assert_eq!(s.ack(b"g", &[id(1, 0)]), 1);
    s.set_group_id(b"g", GroupStartId::Id(id(3, 0)), None)
        .unwrap();
    let acked = TrimOptions {
        policy: DeletePolicy::Acked,
        ..maxlen(0, false, None)
    };
    assert_eq!(s.trim(&acked), 2);
    assert_eq!(ids(&s), ms_list(&[2]));
    assert_eq!(s.max_deleted_entry_id(), StreamId::MIN);
    s.set_id(id(2, 5), None, None).unwrap();
    add(&mut s, 2, 6, &["f", "x"]);
    assert_eq!(ids(&s), vec![id(2, 0), id(2, 6)]);
    assert_eq!(
        s.range(StreamId::MIN, StreamId::MAX, true)
            .map(|e| e.0)
            .collect::<Vec<_>>(),
        vec![id(2, 6), id(2, 0)]
    );
    assert_eq!(s.get(id(2, 6)).unwrap().to_vec(), pairs(&["f", "x"]));
    assert!(s.get(id(3, 0)).is_none());
    assert_eq!(
        s.range(id(2, 1), id(2, 9), false)
            .map(|e| e.0)
            .collect::<Vec<_>>(),
        vec![id(2, 6)]
    );
    assert_eq!(s.last_entry_id(), Some(id(2, 6)));
    s.check_invariants();
    assert_eq!(s.delete(&[id(2, 6)]), 1);
    assert_eq!(s.last_entry_id(), Some(id(2, 0)));
    s.check_invariants();
}

// ----- deletion policies (Redis 8.2) -------------------------------------------------------

/// Entries 1..=6, group `g` has delivered 1..=4 to `c` and `c` acknowledged 1 and 2.
fn referenced_stream() -> Stream {
    let mut s = numbered(6);
    s.create_group(b"g", GroupStartId::Id(StreamId::MIN), None)
        .unwrap();
    s.read_group(b"g", b"c", None, 4, false, 10).unwrap();
    assert_eq!(s.ack(b"g", &[id(1, 0), id(2, 0)]), 2);
    s
}

fn pel(s: &Stream, group: &[u8]) -> Vec<StreamId> {
    s.group(group).unwrap().pending().map(|p| p.id).collect()
}

#[test]
fn trim_policies() {
    let trim = |policy, n| TrimOptions {
        policy,
        ..maxlen(n, false, None)
    };
    // ACKED keeps what is pending (3, 4) or not yet delivered (5, 6).
    let mut s = referenced_stream();
    assert_eq!(s.trim(&trim(DeletePolicy::Acked, 0)), 2);
    assert_eq!(ids(&s), ms_list(&[3, 4, 5, 6]));
    assert_eq!(pel(&s, b"g"), ms_list(&[3, 4]));
    // KEEPREF deletes and leaves dangling PEL entries.
    let mut s = referenced_stream();
    assert_eq!(s.trim(&trim(DeletePolicy::KeepRef, 2)), 4);
    assert_eq!(ids(&s), ms_list(&[5, 6]));
    assert_eq!(pel(&s, b"g"), ms_list(&[3, 4]));
    // DELREF deletes and cleans the PELs.
    let mut s = referenced_stream();
    assert_eq!(s.trim(&trim(DeletePolicy::DelRef, 2)), 4);
    assert_eq!(ids(&s), ms_list(&[5, 6]));
    assert!(pel(&s, b"g").is_empty());
    assert_eq!(
        s.group(b"g").unwrap().consumer(b"c").unwrap().pending_len(),
        0
    );
    s.check_invariants();
    // ACKED skips referenced entries and keeps deleting later ones while MAXLEN allows.
    let mut s = referenced_stream();
    s.set_group_id(b"g", GroupStartId::Id(id(6, 0)), None)
        .unwrap();
    assert_eq!(s.trim(&trim(DeletePolicy::Acked, 1)), 4);
    assert_eq!(ids(&s), ms_list(&[3, 4]));
    // Without groups ACKED deletes everything.
    let mut s = numbered(4);
    assert_eq!(s.trim(&trim(DeletePolicy::Acked, 0)), 4);
    s.check_invariants();
}

#[test]
fn approximate_trim_with_acked_policy() {
    let _limits = Limits::set(4096, 3);
    // Blocks 1-3, 4-6, 7-9, 10. Everything acknowledged except 5.
    let mut s = numbered(10);
    s.create_group(b"g", GroupStartId::Id(StreamId::MIN), None)
        .unwrap();
    s.read_group(b"g", b"c", None, 0, false, 1).unwrap();
    let all_but_5: Vec<StreamId> = (1..=10).filter(|&m| m != 5).map(|m| id(m, 0)).collect();
    s.ack(b"g", &all_but_5);
    let opts = TrimOptions {
        policy: DeletePolicy::Acked,
        ..maxlen(3, true, None)
    };
    // Whole-block candidates are checked entry by entry: block 1-3 goes, block 4-6 keeps 5;
    // block 7-9 is no whole-block candidate (5 - 3 < 3) yet, with a non-KEEPREF policy, is
    // trimmed entry by entry (7, 8) until the length reaches 3, as Redis does.
    assert_eq!(s.trim(&opts), 7);
    assert_eq!(ids(&s), ms_list(&[5, 9, 10]));
    s.check_invariants();
}

#[test]
fn xdelex_policies() {
    let mut s = referenced_stream();
    use DeleteOutcome::*;
    // ACKED: 1 is acknowledged, 3 pending, 5 never delivered, 9 beyond the group's last ID.
    assert_eq!(
        s.delete_ex(&ms_list(&[1, 3, 5, 9]), DeletePolicy::Acked),
        vec![Deleted, Referenced, Referenced, Referenced]
    );
    // 1-0 is gone now; a missing ID at or below the last delivered ID is NotFound.
    assert_eq!(
        s.delete_ex(&ms_list(&[1]), DeletePolicy::Acked),
        vec![NotFound]
    );
    assert_eq!(
        s.delete_ex(&ms_list(&[3, 7]), DeletePolicy::KeepRef),
        vec![Deleted, NotFound]
    );
    assert_eq!(pel(&s, b"g"), ms_list(&[3, 4]));
    // DELREF removes dangling references even when the entry is gone.
    assert_eq!(
        s.delete_ex(&ms_list(&[3, 4]), DeletePolicy::DelRef),
        vec![NotFound, Deleted]
    );
    assert!(pel(&s, b"g").is_empty());
    assert_eq!(s.max_deleted_entry_id(), id(4, 0));
    assert_eq!(ids(&s), ms_list(&[2, 5, 6]));
    assert_eq!(s.recorded_first_entry_id(), id(2, 0));
    // Without groups ACKED deletes.
    let mut s = numbered(2);
    assert_eq!(
        s.delete_ex(&ms_list(&[2]), DeletePolicy::Acked),
        vec![Deleted]
    );
    assert_eq!(DeleteOutcome::NotFound.code(), -1);
    assert_eq!(DeleteOutcome::Deleted.code(), 1);
    assert_eq!(DeleteOutcome::Referenced.code(), 2);
    s.check_invariants();
}

#[test]
fn xackdel_policies() {
    use DeleteOutcome::*;
    let mut s = referenced_stream();
    // A second group that read only up to 3 (entries 1..3 pending in it).
    s.create_group(b"h", GroupStartId::Id(StreamId::MIN), None)
        .unwrap();
    s.read_group(b"h", b"d", None, 3, false, 10).unwrap();
    // Missing group: every ID is -1.
    assert_eq!(
        s.ack_delete(b"nope", &ms_list(&[3, 4]), DeletePolicy::KeepRef),
        vec![NotFound, NotFound]
    );
    // ACKED: 3 is still pending in h, 4 was never delivered to h; 1 is not pending in g.
    assert_eq!(
        s.ack_delete(b"g", &ms_list(&[1, 3, 4]), DeletePolicy::Acked),
        vec![NotFound, Referenced, Referenced]
    );
    assert!(pel(&s, b"g").is_empty(), "acknowledged even when kept");
    assert_eq!(ids(&s), ms_list(&[1, 2, 3, 4, 5, 6]));
    // KEEPREF deletes and leaves h's reference to 2.
    assert_eq!(
        s.ack_delete(b"h", &ms_list(&[1]), DeletePolicy::KeepRef),
        vec![Deleted]
    );
    assert_eq!(pel(&s, b"h"), ms_list(&[2, 3]));
    // DELREF from g: 2 is pending in h only, so not in g's PEL: -1 and nothing happens.
    assert_eq!(
        s.ack_delete(b"g", &ms_list(&[2]), DeletePolicy::DelRef),
        vec![NotFound]
    );
    // DELREF from h removes the entry and every reference.
    s.read_group(b"g", b"c", None, 1, false, 10).unwrap(); // g delivers 5
    assert_eq!(
        s.ack_delete(b"h", &ms_list(&[2, 3]), DeletePolicy::DelRef),
        vec![Deleted, Deleted]
    );
    assert_eq!(ids(&s), ms_list(&[4, 5, 6]));
    assert!(pel(&s, b"h").is_empty());
    // An entry pending in the PEL but already deleted is still acknowledged: 1.
    s.delete(&ms_list(&[5]));
    assert_eq!(
        s.ack_delete(b"g", &ms_list(&[5]), DeletePolicy::KeepRef),
        vec![Deleted]
    );
    assert_eq!(s.max_deleted_entry_id(), id(5, 0));
    s.check_invariants();
}

// ----- lag and entries-read (scenarios of Redis's own test suite) --------------------------

fn lag_of(s: &Stream, group: &[u8]) -> (Option<u64>, Option<i64>) {
    let g = s.group(group).unwrap();
    (g.entries_read(), s.group_lag(g))
}

fn read(s: &mut Stream, group: &[u8], count: usize) -> Vec<StreamId> {
    match s
        .read_group(group, b"c", None, count, false, 1)
        .unwrap()
        .reply
    {
        GroupReadReply::New(ids) => ids,
        other => panic!("{other:?}"),
    }
}

#[test]
fn lag_in_empty_streams() {
    let mut s = Stream::new();
    s.create_group(b"g1", GroupStartId::Id(StreamId::MIN), None)
        .unwrap();
    assert_eq!(lag_of(&s, b"g1"), (None, Some(0)));
    add(&mut s, 1, 0, &["data", "a"]);
    s.delete(&[id(1, 0)]);
    assert_eq!(s.max_deleted_entry_id(), id(1, 0));
    assert_eq!(s.entries_added(), 1);
    assert_eq!(lag_of(&s, b"g1"), (None, Some(0)));
}

#[test]
fn lag_sanity() {
    let mut s = numbered(5);
    s.create_group(b"g1", GroupStartId::Id(StreamId::MIN), None)
        .unwrap();
    assert_eq!(lag_of(&s, b"g1"), (None, Some(5)));
    read(&mut s, b"g1", 1);
    assert_eq!(lag_of(&s, b"g1"), (Some(1), Some(4)));
    read(&mut s, b"g1", 10);
    assert_eq!(lag_of(&s, b"g1"), (Some(5), Some(0)));
    add(&mut s, 6, 0, &["data", "f"]);
    assert_eq!(lag_of(&s, b"g1"), (Some(5), Some(1)));
}

#[test]
fn lag_with_xdels() {
    let mut s = numbered(5);
    s.delete(&[id(3, 0)]);
    for g in [&b"g1"[..], b"g2"] {
        s.create_group(g, GroupStartId::Id(StreamId::MIN), None)
            .unwrap();
    }
    assert_eq!(lag_of(&s, b"g1"), (None, None));
    for _ in 0..3 {
        read(&mut s, b"g1", 1);
        assert_eq!(lag_of(&s, b"g1"), (None, None));
    }
    read(&mut s, b"g1", 1);
    assert_eq!(lag_of(&s, b"g1"), (Some(5), Some(0)));
    add(&mut s, 6, 0, &["data", "f"]);
    assert_eq!(lag_of(&s, b"g1"), (Some(5), Some(1)));
    s.trim(&minid(3, false, None));
    assert_eq!(lag_of(&s, b"g1"), (Some(5), Some(1)));
    assert_eq!(lag_of(&s, b"g2"), (None, Some(3)));
    s.trim(&minid(5, false, None));
    assert_eq!(lag_of(&s, b"g1"), (Some(5), Some(1)));
    assert_eq!(lag_of(&s, b"g2"), (None, Some(2)));
}

#[test]
fn lag_with_tombstone_after_the_group_last_id() {
    let mut s = Stream::new();
    s.create_group(b"g1", GroupStartId::LastGenerated, None)
        .unwrap();
    add(&mut s, 1, 0, &["data", "a"]);
    read(&mut s, b"g1", 0);
    add(&mut s, 2, 0, &["data", "c"]);
    add(&mut s, 3, 0, &["data", "d"]);
    s.delete(&[id(2, 0)]);
    assert_eq!(lag_of(&s, b"g1"), (Some(1), None));
    s.delete(&[id(1, 0)]);
    assert_eq!(lag_of(&s, b"g1"), (Some(1), Some(1)));
    read(&mut s, b"g1", 0);
    assert_eq!(lag_of(&s, b"g1"), (Some(3), Some(0)));
}

#[test]
fn lag_with_xtrim() {
    let mut s = Stream::new();
    s.create_group(b"g", GroupStartId::LastGenerated, None)
        .unwrap();
    for ms in 1..=5 {
        add(&mut s, ms, 0, &["data", "x"]);
    }
    read(&mut s, b"g", 1);
    assert_eq!(lag_of(&s, b"g"), (Some(1), Some(4)));
    s.trim(&maxlen(1, false, None));
    assert_eq!(s.max_deleted_entry_id(), StreamId::MIN);
    assert_eq!(lag_of(&s, b"g"), (Some(1), Some(1)));
    read(&mut s, b"g", 0);
    assert_eq!(lag_of(&s, b"g"), (Some(5), Some(0)));
    add(&mut s, 6, 0, &["data", "f"]);
    assert_eq!(lag_of(&s, b"g"), (Some(5), Some(1)));
    s.trim(&maxlen(0, false, None));
    assert_eq!(lag_of(&s, b"g").1, Some(0));
}

#[test]
fn lag_after_create_and_setid() {
    let mut s = numbered(3);
    // `$` and ENTRIESREAD-less creation: unknown counter, lag estimated.
    s.create_group(b"end", GroupStartId::LastGenerated, None)
        .unwrap();
    assert_eq!(lag_of(&s, b"end"), (None, Some(0)));
    // An arbitrary ID in the middle: lag unknown.
    s.create_group(b"mid", GroupStartId::Id(id(2, 0)), None)
        .unwrap();
    assert_eq!(lag_of(&s, b"mid"), (None, None));
    // The first entry's ID: known.
    s.create_group(b"first", GroupStartId::Id(id(1, 0)), None)
        .unwrap();
    assert_eq!(lag_of(&s, b"first"), (None, Some(2)));
    // ENTRIESREAD is taken as given, capped at entries-added.
    s.create_group(b"er", GroupStartId::Id(id(2, 0)), Some(2))
        .unwrap();
    assert_eq!(lag_of(&s, b"er"), (Some(2), Some(1)));
    s.create_group(b"big", GroupStartId::Id(id(2, 0)), Some(99))
        .unwrap();
    assert_eq!(lag_of(&s, b"big"), (Some(3), Some(0)));
    // SETID without ENTRIESREAD forgets the counter.
    s.set_group_id(b"er", GroupStartId::Id(id(1, 0)), None)
        .unwrap();
    assert_eq!(lag_of(&s, b"er"), (None, Some(2)));
    s.set_group_id(b"er", GroupStartId::LastGenerated, Some(3))
        .unwrap();
    assert_eq!(lag_of(&s, b"er"), (Some(3), Some(0)));
    assert_eq!(
        s.set_group_id(b"nope", GroupStartId::LastGenerated, None),
        Err(GroupNotFound)
    );
    // A future ID: unknown.
    s.create_group(b"future", GroupStartId::Id(id(9, 0)), None)
        .unwrap();
    assert_eq!(lag_of(&s, b"future"), (None, None));
}

// ----- XINFO -------------------------------------------------------------------------------

#[test]
fn xinfo_stream_fields() {
    let mut s = Stream::new();
    for ms in 100..=104 {
        add(&mut s, ms, 0, &["k", "1"]);
    }
    s.create_group(b"g1", GroupStartId::Id(StreamId::MIN), None)
        .unwrap();
    s.create_group(b"g2", GroupStartId::Id(StreamId::MIN), None)
        .unwrap();
    s.delete(&[id(103, 0)]);
    let info = s.info();
    assert_eq!(
        info,
        StreamInfo {
            length: 4,
            radix_tree_keys: 1,
            radix_tree_nodes: 2,
            last_generated_id: id(104, 0),
            max_deleted_entry_id: id(103, 0),
            entries_added: 5,
            recorded_first_entry_id: id(100, 0),
            groups: 2,
        }
    );
    assert_eq!(s.first_id_including_tombstones(), Some(id(100, 0)));
    s.delete(&[id(100, 0)]);
    assert_eq!(s.info().recorded_first_entry_id, id(101, 0));
    // The first entry (a tombstone now) is still the block key.
    assert_eq!(s.first_id_including_tombstones(), Some(id(100, 0)));
    assert_eq!(Stream::new().first_id_including_tombstones(), None);
    let groups = s.groups_info();
    assert_eq!(groups.len(), 2);
    assert_eq!(
        groups[0],
        GroupInfo {
            name: b"g1",
            consumers: 0,
            pending: 0,
            last_delivered_id: StreamId::MIN,
            entries_read: None,
            lag: None,
        }
    );
    assert_eq!(s.groups_len(), 2);
    assert_eq!(
        s.groups()
            .map(|(name, _)| name.to_vec())
            .collect::<Vec<_>>(),
        vec![b"g1".to_vec(), b"g2".to_vec()]
    );
}

#[test]
fn stream_values_can_move_between_threads() {
    fn shareable<T: Send + Sync + Clone>(value: T) -> T {
        value.clone()
    }
    let s = shareable(numbered(3));
    assert_eq!(std::thread::spawn(move || s.len()).join().unwrap(), 3);
}
