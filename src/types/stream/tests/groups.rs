//! Consumer groups: creation, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO, with
//! the PEL and per-consumer bookkeeping checked after each step.

use super::*;

fn group_at_zero(s: &mut Stream, name: &[u8]) {
    s.create_group(name, GroupStartId::Id(StreamId::MIN), None)
        .unwrap();
}

fn new_ids(read: GroupRead) -> Vec<StreamId> {
    match read.reply {
        GroupReadReply::New(ids) => ids,
        other => panic!("{other:?}"),
    }
}

fn history_ids(read: GroupRead) -> Vec<StreamId> {
    match read.reply {
        GroupReadReply::History(ids) => ids,
        other => panic!("{other:?}"),
    }
}

/// (id, consumer, delivery time, delivery count) of the group PEL.
fn pel_state(s: &Stream, group: &[u8]) -> Vec<(StreamId, String, u64, u64)> {
    s.group(group)
        .unwrap()
        .pending()
        .map(|p| {
            (
                p.id,
                String::from_utf8(p.consumer.to_vec()).unwrap(),
                p.delivery_time,
                p.delivery_count,
            )
        })
        .collect()
}

fn consumer_pending(s: &Stream, group: &[u8], consumer: &[u8]) -> Vec<StreamId> {
    s.group(group)
        .unwrap()
        .consumer(consumer)
        .unwrap()
        .pending_ids()
        .collect()
}

#[test]
fn group_lifecycle() {
    let mut s = numbered(3);
    s.create_group(b"g", GroupStartId::LastGenerated, None)
        .unwrap();
    assert_eq!(
        s.create_group(b"g", GroupStartId::Id(StreamId::MIN), None),
        Err(StreamError::BusyGroup)
    );
    assert_eq!(s.group(b"g").unwrap().last_delivered_id(), id(3, 0));
    assert_eq!(s.create_consumer(b"g", b"alice", 5), Ok(true));
    assert_eq!(s.create_consumer(b"g", b"alice", 6), Ok(false));
    assert_eq!(s.create_consumer(b"nope", b"alice", 6), Err(GroupNotFound));
    let alice = s.group(b"g").unwrap().consumer(b"alice").unwrap();
    assert_eq!((alice.seen_time(), alice.active_time()), (5, -1));
    assert_eq!(s.delete_consumer(b"g", b"bob"), Ok(0));
    assert_eq!(s.delete_consumer(b"nope", b"bob"), Err(GroupNotFound));
    assert!(s.destroy_group(b"g"));
    assert!(!s.destroy_group(b"g"));
    assert!(s.group(b"g").is_none());
    assert_eq!(
        s.read_group(b"g", b"alice", None, 0, false, 1),
        Err(GroupNotFound)
    );
}

#[test]
fn read_new_entries() {
    let mut s = numbered(5);
    group_at_zero(&mut s, b"g");
    let read = s.read_group(b"g", b"alice", None, 2, false, 100).unwrap();
    assert!(read.consumer_created);
    assert_eq!(new_ids(read), ms_list(&[1, 2]));
    let read = s.read_group(b"g", b"bob", None, 0, false, 200).unwrap();
    assert_eq!(new_ids(read), ms_list(&[3, 4, 5]));
    assert_eq!(
        pel_state(&s, b"g"),
        vec![
            (id(1, 0), "alice".into(), 100, 1),
            (id(2, 0), "alice".into(), 100, 1),
            (id(3, 0), "bob".into(), 200, 1),
            (id(4, 0), "bob".into(), 200, 1),
            (id(5, 0), "bob".into(), 200, 1),
        ]
    );
    let g = s.group(b"g").unwrap();
    assert_eq!(g.last_delivered_id(), id(5, 0));
    assert_eq!(g.entries_read(), Some(5));
    // Nothing new: no reply for this stream, but the consumer is still seen.
    let read = s.read_group(b"g", b"carol", None, 0, false, 300).unwrap();
    assert_eq!(
        read,
        GroupRead {
            consumer_created: true,
            reply: GroupReadReply::NoNewEntries
        }
    );
    assert_eq!(s.group(b"g").unwrap().consumers_len(), 3);
    // Deleted entries are skipped: the last live entry decides whether to serve.
    add(&mut s, 6, 0, &["f", "6"]);
    add(&mut s, 7, 0, &["f", "7"]);
    s.delete(&[id(7, 0)]);
    let read = s.read_group(b"g", b"alice", None, 0, false, 400).unwrap();
    assert_eq!(new_ids(read), ms_list(&[6]));
    s.delete(&[id(6, 0)]);
    add(&mut s, 8, 0, &["f", "8"]);
    s.delete(&[id(8, 0)]);
    let read = s.read_group(b"g", b"alice", None, 0, false, 400).unwrap();
    assert_eq!(read.reply, GroupReadReply::NoNewEntries);
    s.check_invariants();
}

#[test]
fn noack_reads_advance_without_pending_entries() {
    let mut s = numbered(4);
    group_at_zero(&mut s, b"g");
    let read = s.read_group(b"g", b"alice", None, 2, true, 100).unwrap();
    assert_eq!(new_ids(read), ms_list(&[1, 2]));
    let g = s.group(b"g").unwrap();
    assert_eq!(g.pending_len(), 0);
    assert_eq!(g.last_delivered_id(), id(2, 0));
    assert_eq!(g.entries_read(), Some(2));
    // As in Redis, a NOACK read does not count as activity.
    let alice = g.consumer(b"alice").unwrap();
    assert_eq!((alice.seen_time(), alice.active_time()), (100, -1));
}

#[test]
fn seen_time_and_active_time() {
    let mut s = Stream::new();
    s.create_group(b"g", GroupStartId::LastGenerated, None)
        .unwrap();
    s.read_group(b"g", b"alice", None, 1, false, 1000).unwrap();
    let info = s.consumers_info(b"g", 1100).unwrap();
    assert_eq!(
        info,
        vec![ConsumerInfo {
            name: b"alice",
            pending: 0,
            idle: 100,
            inactive: -1
        }]
    );
    add(&mut s, 5, 0, &["f", "v"]);
    s.read_group(b"g", b"alice", None, 1, false, 1200).unwrap();
    let info = s.consumers_info(b"g", 1230).unwrap();
    assert_eq!(
        (info[0].idle, info[0].inactive, info[0].pending),
        (30, 30, 1)
    );
    // An empty read refreshes seen-time only.
    s.read_group(b"g", b"alice", None, 1, false, 1400).unwrap();
    let info = s.consumers_info(b"g", 1410).unwrap();
    assert_eq!((info[0].idle, info[0].inactive), (10, 210));
    // A clock behind the consumer's times: idle is clamped, inactive is not.
    let info = s.consumers_info(b"g", 1100).unwrap();
    assert_eq!((info[0].idle, info[0].inactive), (0, -100));
    let alice = s.group(b"g").unwrap().consumer(b"alice").unwrap();
    assert_eq!((alice.seen_time(), alice.active_time()), (1400, 1200));
    assert_eq!(s.consumers_info(b"nope", 0), Err(GroupNotFound));
}

#[test]
fn history_reads() {
    let mut s = numbered(4);
    group_at_zero(&mut s, b"g");
    s.read_group(b"g", b"alice", None, 3, false, 100).unwrap();
    s.read_group(b"g", b"bob", None, 1, false, 100).unwrap();
    // From the start of alice's PEL, two at a time.
    let read = s
        .read_group(b"g", b"alice", Some(StreamId::MIN), 2, false, 150)
        .unwrap();
    assert!(!read.consumer_created);
    assert_eq!(history_ids(read), ms_list(&[1, 2]));
    let read = s
        .read_group(b"g", b"alice", Some(id(2, 0)), 0, false, 160)
        .unwrap();
    assert_eq!(history_ids(read), ms_list(&[3]));
    // A deleted entry is still served by ID (the reply shows it with null fields) but its
    // delivery data does not change.
    s.delete(&[id(2, 0)]);
    let read = s
        .read_group(b"g", b"alice", Some(StreamId::MIN), 0, false, 170)
        .unwrap();
    assert_eq!(history_ids(read), ms_list(&[1, 2, 3]));
    assert!(s.get(id(2, 0)).is_none());
    assert_eq!(
        pel_state(&s, b"g"),
        vec![
            (id(1, 0), "alice".into(), 170, 3),
            (id(2, 0), "alice".into(), 150, 2),
            (id(3, 0), "alice".into(), 170, 3),
            (id(4, 0), "bob".into(), 100, 1),
        ]
    );
    // History does not move the group or count as activity.
    let g = s.group(b"g").unwrap();
    assert_eq!(g.last_delivered_id(), id(4, 0));
    assert_eq!(g.consumer(b"alice").unwrap().active_time(), 100);
    assert_eq!(g.consumer(b"alice").unwrap().seen_time(), 170);
    // Past the end, and for a consumer created by the read: served, but empty.
    let read = s
        .read_group(b"g", b"alice", Some(id(9000, 0)), 0, false, 180)
        .unwrap();
    assert_eq!(history_ids(read), vec![]);
    let read = s
        .read_group(b"g", b"nobody", Some(StreamId::MIN), 2, false, 180)
        .unwrap();
    assert!(read.consumer_created);
    assert_eq!(history_ids(read), vec![]);
    let read = s
        .read_group(b"g", b"alice", Some(StreamId::MAX), 0, false, 180)
        .unwrap();
    assert_eq!(history_ids(read), vec![]);
    s.check_invariants();
}

#[test]
fn setid_backwards_redelivers_to_the_reader() {
    let mut s = numbered(3);
    group_at_zero(&mut s, b"g");
    s.read_group(b"g", b"alice", None, 0, false, 100).unwrap();
    s.read_group(b"g", b"alice", Some(StreamId::MIN), 0, false, 150)
        .unwrap();
    s.set_group_id(b"g", GroupStartId::Id(id(1, 0)), None)
        .unwrap();
    let read = s.read_group(b"g", b"bob", None, 1, false, 200).unwrap();
    assert_eq!(new_ids(read), ms_list(&[2]));
    assert_eq!(
        pel_state(&s, b"g"),
        vec![
            (id(1, 0), "alice".into(), 150, 2),
            (id(2, 0), "bob".into(), 200, 1),
            (id(3, 0), "alice".into(), 150, 2),
        ]
    );
    assert_eq!(consumer_pending(&s, b"g", b"alice"), ms_list(&[1, 3]));
    assert_eq!(consumer_pending(&s, b"g", b"bob"), ms_list(&[2]));
    s.check_invariants();
}

#[test]
fn xack() {
    let mut s = numbered(3);
    group_at_zero(&mut s, b"g");
    s.read_group(b"g", b"alice", None, 0, false, 1).unwrap();
    assert_eq!(s.ack(b"g", &ms_list(&[1, 1, 9])), 1);
    assert_eq!(s.ack(b"g", &ms_list(&[1])), 0);
    assert_eq!(s.ack(b"nope", &ms_list(&[2])), 0);
    assert_eq!(consumer_pending(&s, b"g", b"alice"), ms_list(&[2, 3]));
    assert_eq!(s.ack(b"g", &ms_list(&[2, 3])), 2);
    assert_eq!(s.group(b"g").unwrap().pending_len(), 0);
    s.check_invariants();
}

#[test]
fn xpending_summary_and_ranges() {
    let mut s = numbered(5);
    group_at_zero(&mut s, b"g");
    assert_eq!(
        s.pending_summary(b"g"),
        Ok(PendingSummary {
            count: 0,
            bounds: None,
            consumers: vec![]
        })
    );
    s.read_group(b"g", b"zed", None, 2, false, 1000).unwrap();
    s.read_group(b"g", b"amy", None, 2, false, 2000).unwrap();
    s.create_consumer(b"g", b"idle", 0).unwrap();
    assert_eq!(
        s.pending_summary(b"g"),
        Ok(PendingSummary {
            count: 4,
            bounds: Some((id(1, 0), id(4, 0))),
            consumers: vec![(&b"amy"[..], 2), (&b"zed"[..], 2)]
        })
    );
    assert_eq!(s.pending_summary(b"nope"), Err(GroupNotFound));
    let all = s
        .pending_range(b"g", StreamId::MIN, StreamId::MAX, 10, None, 0, 2500)
        .unwrap();
    assert_eq!(
        all,
        vec![
            PendingItem {
                id: id(1, 0),
                consumer: b"zed",
                idle: 1500,
                delivery_count: 1
            },
            PendingItem {
                id: id(2, 0),
                consumer: b"zed",
                idle: 1500,
                delivery_count: 1
            },
            PendingItem {
                id: id(3, 0),
                consumer: b"amy",
                idle: 500,
                delivery_count: 1
            },
            PendingItem {
                id: id(4, 0),
                consumer: b"amy",
                idle: 500,
                delivery_count: 1
            },
        ]
    );
    let range = |start, end, count, consumer, min_idle, now| -> Vec<StreamId> {
        s.pending_range(b"g", start, end, count, consumer, min_idle, now)
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect()
    };
    assert_eq!(
        range(id(2, 0), id(3, 0), 10, None, 0, 2500),
        ms_list(&[2, 3])
    );
    assert_eq!(
        range(StreamId::MIN, StreamId::MAX, 3, None, 0, 2500),
        ms_list(&[1, 2, 3])
    );
    assert_eq!(
        range(StreamId::MIN, StreamId::MAX, 0, None, 0, 2500),
        vec![]
    );
    assert_eq!(range(id(4, 0), id(1, 0), 10, None, 0, 2500), vec![]);
    assert_eq!(
        range(StreamId::MIN, StreamId::MAX, 10, Some(b"amy"), 0, 2500),
        ms_list(&[3, 4])
    );
    assert_eq!(
        range(StreamId::MIN, StreamId::MAX, 10, Some(b"x"), 0, 2500),
        vec![]
    );
    // IDLE filters before COUNT applies.
    assert_eq!(
        range(StreamId::MIN, StreamId::MAX, 1, None, 1000, 2500),
        ms_list(&[1])
    );
    assert_eq!(range(id(3, 0), StreamId::MAX, 1, None, 1000, 2500), vec![]);
    assert_eq!(
        range(StreamId::MIN, StreamId::MAX, 10, None, 1000, 3000),
        ms_list(&[1, 2, 3, 4])
    );
    // A clock behind the delivery time reports 0 idle.
    let behind = s
        .pending_range(b"g", id(3, 0), id(3, 0), 1, None, 0, 1000)
        .unwrap();
    assert_eq!(behind[0].idle, 0);
}

#[test]
fn xclaim_moves_entries() {
    let mut s = numbered(4);
    group_at_zero(&mut s, b"g");
    s.read_group(b"g", b"alice", None, 0, false, 1000).unwrap();
    let opts = ClaimOptions::default();
    // Not idle enough: nothing claimed, but bob now exists and was seen.
    let r = s
        .claim(b"g", b"bob", 500, &ms_list(&[1]), &opts, 1100)
        .unwrap();
    assert_eq!(
        r,
        ClaimResult {
            claimed: vec![],
            dropped: vec![],
            consumer_created: true,
            last_id_updated: false
        }
    );
    assert_eq!(
        s.group(b"g")
            .unwrap()
            .consumer(b"bob")
            .unwrap()
            .active_time(),
        -1
    );
    let r = s
        .claim(b"g", b"bob", 500, &ms_list(&[1, 2, 9]), &opts, 1600)
        .unwrap();
    assert_eq!(r.claimed, ms_list(&[1, 2]));
    assert_eq!(consumer_pending(&s, b"g", b"bob"), ms_list(&[1, 2]));
    assert_eq!(consumer_pending(&s, b"g", b"alice"), ms_list(&[3, 4]));
    let bob = s.group(b"g").unwrap().consumer(b"bob").unwrap();
    assert_eq!((bob.seen_time(), bob.active_time()), (1600, 1600));
    // JUSTID does not count a delivery; RETRYCOUNT sets it; IDLE/TIME set the time.
    let justid = ClaimOptions {
        just_id: true,
        delivery_time: Some(1600 - 300),
        ..ClaimOptions::default()
    };
    s.claim(b"g", b"bob", 0, &ms_list(&[3]), &justid, 1600)
        .unwrap();
    let retry = ClaimOptions {
        retry_count: Some(7),
        delivery_time: Some(1234),
        ..ClaimOptions::default()
    };
    s.claim(b"g", b"bob", 0, &ms_list(&[4]), &retry, 1600)
        .unwrap();
    // A time in the future or below zero becomes now.
    let future = ClaimOptions {
        delivery_time: Some(99_999),
        ..ClaimOptions::default()
    };
    s.claim(b"g", b"carol", -5, &ms_list(&[1]), &future, 1700)
        .unwrap();
    let negative = ClaimOptions {
        delivery_time: Some(-1),
        ..ClaimOptions::default()
    };
    s.claim(b"g", b"carol", 0, &ms_list(&[2]), &negative, 1800)
        .unwrap();
    assert_eq!(
        pel_state(&s, b"g"),
        vec![
            (id(1, 0), "carol".into(), 1700, 3),
            (id(2, 0), "carol".into(), 1800, 3),
            (id(3, 0), "bob".into(), 1300, 1),
            (id(4, 0), "bob".into(), 1234, 7),
        ]
    );
    s.check_invariants();
}

#[test]
fn xclaim_force_and_lastid() {
    let mut s = numbered(4);
    group_at_zero(&mut s, b"g");
    // FORCE creates a pending entry for an existing entry (counted as a second delivery
    // unless JUSTID, as in Redis), and ignores missing entries.
    let force = ClaimOptions {
        force: true,
        last_id: Some(id(2, 0)),
        ..ClaimOptions::default()
    };
    let r = s
        .claim(b"g", b"bob", 1_000_000, &ms_list(&[1, 9]), &force, 50)
        .unwrap();
    assert_eq!(r.claimed, ms_list(&[1]));
    assert!(r.last_id_updated);
    let force_justid = ClaimOptions {
        force: true,
        just_id: true,
        last_id: Some(id(1, 0)),
        ..ClaimOptions::default()
    };
    let r = s
        .claim(b"g", b"bob", 0, &ms_list(&[3]), &force_justid, 60)
        .unwrap();
    assert!(!r.last_id_updated);
    assert_eq!(
        pel_state(&s, b"g"),
        vec![
            (id(1, 0), "bob".into(), 50, 2),
            (id(3, 0), "bob".into(), 60, 1),
        ]
    );
    // LASTID only moves the ID, not the read counter.
    let g = s.group(b"g").unwrap();
    assert_eq!((g.last_delivered_id(), g.entries_read()), (id(2, 0), None));
    s.check_invariants();
}

#[test]
fn xclaim_drops_deleted_entries() {
    // Redis test "XCLAIM with XDEL".
    let mut s = numbered(3);
    group_at_zero(&mut s, b"grp");
    s.read_group(b"grp", b"Alice", None, 0, false, 1).unwrap();
    s.delete(&[id(2, 0)]);
    let r = s
        .claim(
            b"grp",
            b"Bob",
            0,
            &ms_list(&[1, 2, 3]),
            &ClaimOptions::default(),
            2,
        )
        .unwrap();
    assert_eq!(r.claimed, ms_list(&[1, 3]));
    assert_eq!(r.dropped, ms_list(&[2]));
    assert_eq!(consumer_pending(&s, b"grp", b"Alice"), vec![]);
    assert_eq!(s.group(b"grp").unwrap().pending_len(), 2);
    s.check_invariants();
}

#[test]
fn xclaim_after_trimming() {
    // Redis test "XCLAIM with trimming" (stream-node-max-entries 2).
    let _limits = Limits::set(4096, 2);
    let mut s = numbered(3);
    group_at_zero(&mut s, b"grp");
    s.read_group(b"grp", b"Alice", None, 0, false, 1).unwrap();
    s.trim(&TrimOptions {
        strategy: TrimStrategy::MaxLen(1),
        approx: false,
        limit: None,
        policy: DeletePolicy::KeepRef,
    });
    let r = s
        .claim(
            b"grp",
            b"Bob",
            0,
            &ms_list(&[1, 2, 3]),
            &ClaimOptions::default(),
            2,
        )
        .unwrap();
    assert_eq!(r.claimed, ms_list(&[3]));
    assert_eq!(consumer_pending(&s, b"grp", b"Alice"), vec![]);
}

#[test]
fn xautoclaim_reports_deleted_entries() {
    // Redis tests "XAUTOCLAIM with XDEL" and "XAUTOCLAIM with XDEL and count".
    let mut s = numbered(3);
    group_at_zero(&mut s, b"grp");
    s.read_group(b"grp", b"Alice", None, 0, false, 1).unwrap();
    s.delete(&[id(2, 0)]);
    let r = s
        .auto_claim(b"grp", b"Bob", 0, StreamId::MIN, 100, false, 2)
        .unwrap();
    assert_eq!(
        r,
        AutoClaimResult {
            next: StreamId::MIN,
            claimed: ms_list(&[1, 3]),
            deleted: ms_list(&[2]),
            consumer_created: true
        }
    );
    assert_eq!(consumer_pending(&s, b"grp", b"Alice"), vec![]);

    let mut s = numbered(3);
    group_at_zero(&mut s, b"grp");
    s.read_group(b"grp", b"Alice", None, 0, false, 1).unwrap();
    s.delete(&ms_list(&[1, 2]));
    let step = |s: &mut Stream, start| {
        let r = s.auto_claim(b"grp", b"Bob", 0, start, 1, false, 2).unwrap();
        (r.next, r.claimed, r.deleted)
    };
    assert_eq!(
        step(&mut s, StreamId::MIN),
        (id(2, 0), vec![], ms_list(&[1]))
    );
    assert_eq!(step(&mut s, id(2, 0)), (id(3, 0), vec![], ms_list(&[2])));
    assert_eq!(
        step(&mut s, id(3, 0)),
        (StreamId::MIN, ms_list(&[3]), vec![])
    );
    assert_eq!(consumer_pending(&s, b"grp", b"Alice"), vec![]);
    s.check_invariants();
}

#[test]
fn xautoclaim_as_an_iterator() {
    let mut s = numbered(5);
    group_at_zero(&mut s, b"g");
    s.read_group(b"g", b"consumer1", None, 90, false, 1000)
        .unwrap();
    let r = s
        .auto_claim(b"g", b"consumer2", 10, StreamId::MIN, 2, false, 1200)
        .unwrap();
    assert_eq!((r.next, r.claimed), (id(3, 0), ms_list(&[1, 2])));
    let r = s
        .auto_claim(b"g", b"consumer2", 10, r.next, 2, false, 1200)
        .unwrap();
    assert_eq!((r.next, r.claimed), (id(5, 0), ms_list(&[3, 4])));
    let r = s
        .auto_claim(b"g", b"consumer2", 10, r.next, 1, false, 1200)
        .unwrap();
    assert_eq!((r.next, r.claimed), (StreamId::MIN, ms_list(&[5])));
    // Claimed entries were just delivered: not idle, so a new pass claims nothing and
    // scans everything.
    let r = s
        .auto_claim(b"g", b"consumer3", 10, StreamId::MIN, 100, false, 1205)
        .unwrap();
    assert_eq!((r.next, r.claimed.len()), (StreamId::MIN, 0));
    assert_eq!(
        pel_state(&s, b"g")[0],
        (id(1, 0), "consumer2".into(), 1200, 2)
    );
    s.check_invariants();
}

#[test]
fn xautoclaim_attempts_and_justid() {
    let mut s = numbered(30);
    group_at_zero(&mut s, b"g");
    // 1..=25 delivered at 0, 26..=30 at 1000.
    s.read_group(b"g", b"a", None, 25, false, 0).unwrap();
    s.read_group(b"g", b"a", None, 0, false, 1000).unwrap();
    // COUNT 2 allows 20 attempts: entries 26.. are not idle, and the scan of 1..=20 claims
    // 1 and 2 and stops when COUNT is reached; the cursor is the next PEL entry.
    let r = s
        .auto_claim(b"g", b"b", 500, StreamId::MIN, 2, true, 1100)
        .unwrap();
    assert_eq!((r.next, r.claimed.clone()), (id(3, 0), ms_list(&[1, 2])));
    // From 26 nothing is idle: 5 attempts exhaust the PEL, cursor 0-0.
    let r = s
        .auto_claim(b"g", b"b", 500, id(26, 0), 2, true, 1100)
        .unwrap();
    assert_eq!((r.next, r.claimed.len()), (StreamId::MIN, 0));
    // Claim 21..=25 with no idle requirement: they are now delivered at 1100.
    let r = s
        .auto_claim(b"g", b"c", 0, id(21, 0), 5, true, 1100)
        .unwrap();
    assert_eq!(
        (r.next, r.claimed),
        (id(26, 0), ms_list(&[21, 22, 23, 24, 25]))
    );
    // 3 is idle (delivered at 0): claimed at once, cursor on the next PEL entry.
    let r = s
        .auto_claim(b"g", b"b", 500, id(3, 0), 1, true, 1100)
        .unwrap();
    assert_eq!((r.next, r.claimed), (id(4, 0), ms_list(&[3])));
    // 21..=30 are not idle: COUNT 1 allows 10 attempts, which end on 30, the last PEL
    // entry, so the cursor is 0-0.
    let r = s
        .auto_claim(b"g", b"b", 500, id(21, 0), 1, true, 1100)
        .unwrap();
    assert_eq!((r.next, r.claimed.len()), (StreamId::MIN, 0));
    let r = s
        .auto_claim(b"g", b"b", 500, id(20, 0), 1, true, 1100)
        .unwrap();
    assert_eq!(r.claimed, ms_list(&[20]));
    // COUNT 0 examines nothing: the cursor is the first PEL entry at or after the start.
    let r = s
        .auto_claim(b"g", b"b", 500, id(21, 0), 0, true, 1100)
        .unwrap();
    assert_eq!((r.next, r.claimed.len()), (id(21, 0), 0));
    // JUSTID did not count deliveries.
    let g = s.group(b"g").unwrap();
    assert_eq!(g.pending_entry(id(1, 0)).unwrap().delivery_count, 1);
    assert_eq!(g.pending_entry(id(1, 0)).unwrap().consumer, b"b");
    assert_eq!(
        s.auto_claim(b"x", b"b", 0, StreamId::MIN, 1, true, 1),
        Err(GroupNotFound)
    );
    s.check_invariants();
}

#[test]
fn xautoclaim_attempt_limit_leaves_a_cursor() {
    let mut s = numbered(30);
    group_at_zero(&mut s, b"g");
    s.read_group(b"g", b"a", None, 0, false, 1000).unwrap();
    // Nothing is idle: COUNT 1 means 10 attempts, so the scan stops after 10 entries.
    let r = s
        .auto_claim(b"g", b"b", 500, StreamId::MIN, 1, false, 1100)
        .unwrap();
    assert_eq!((r.next, r.claimed.len()), (id(11, 0), 0));
    let r = s
        .auto_claim(b"g", b"b", 500, r.next, 2, false, 1100)
        .unwrap();
    assert_eq!((r.next, r.claimed.len()), (StreamId::MIN, 0));
}

#[test]
fn delete_consumer_drops_its_pending_entries() {
    let mut s = numbered(4);
    group_at_zero(&mut s, b"g");
    s.read_group(b"g", b"a", None, 3, false, 1).unwrap();
    s.read_group(b"g", b"b", None, 0, false, 1).unwrap();
    assert_eq!(s.delete_consumer(b"g", b"a"), Ok(3));
    assert_eq!(pel_state(&s, b"g"), vec![(id(4, 0), "b".into(), 1, 1)]);
    // The slot is reused by the next consumer.
    s.create_consumer(b"g", b"c", 2).unwrap();
    s.claim(b"g", b"c", 0, &ms_list(&[4]), &ClaimOptions::default(), 3)
        .unwrap();
    assert_eq!(pel_state(&s, b"g"), vec![(id(4, 0), "c".into(), 3, 2)]);
    assert_eq!(
        s.group(b"g")
            .unwrap()
            .consumers()
            .map(|c| c.name().to_vec())
            .collect::<Vec<_>>(),
        vec![b"b".to_vec(), b"c".to_vec()]
    );
    s.check_invariants();
}

#[test]
fn xinfo_full_output() {
    // Redis test "XINFO FULL output".
    let mut s = Stream::new();
    for (ms, field) in [(100, "a"), (101, "b"), (102, "c"), (103, "e"), (104, "f")] {
        add(&mut s, ms, 0, &[field, "1"]);
    }
    group_at_zero(&mut s, b"g1");
    group_at_zero(&mut s, b"g2");
    s.read_group(b"g1", b"Alice", None, 1, false, 10).unwrap();
    s.read_group(b"g1", b"Bob", None, 1, false, 11).unwrap();
    s.read_group(b"g1", b"Bob", None, 1, true, 12).unwrap();
    s.read_group(b"g2", b"Charlie", None, 4, false, 13).unwrap();
    s.delete(&[id(103, 0)]);

    assert_eq!(s.len(), 4);
    let entries: Vec<(StreamId, Pairs)> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .map(|(id, e)| (id, e.to_vec()))
        .collect();
    assert_eq!(
        entries,
        vec![
            (id(100, 0), pairs(&["a", "1"])),
            (id(101, 0), pairs(&["b", "1"])),
            (id(102, 0), pairs(&["c", "1"])),
            (id(104, 0), pairs(&["f", "1"])),
        ]
    );
    let (name, g1) = s.groups().next().unwrap();
    assert_eq!(name, b"g1");
    assert_eq!(g1.pending().next().unwrap().id, id(100, 0));
    assert_eq!(g1.last_delivered_id(), id(102, 0));
    assert_eq!(s.group_lag(g1), None);
    let alice = g1.consumers().next().unwrap();
    assert_eq!(alice.name(), b"Alice");
    let alice_pending: Vec<PendingEntry> = g1.consumer_pending(alice).collect();
    assert_eq!(
        alice_pending,
        vec![PendingEntry {
            id: id(100, 0),
            consumer: b"Alice",
            delivery_time: 10,
            delivery_count: 1
        }]
    );
    let bob = g1.consumer(b"Bob").unwrap();
    assert_eq!(
        (bob.pending_len(), bob.seen_time(), bob.active_time()),
        (1, 12, 11)
    );
    let g2 = s.group(b"g2").unwrap();
    let charlie = g2.consumers().next().unwrap();
    assert_eq!(charlie.name(), b"Charlie");
    assert_eq!(
        g2.consumer_pending(charlie)
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        ms_list(&[100, 101, 102, 103])
    );
    let groups = s.groups_info();
    assert_eq!(
        groups[1],
        GroupInfo {
            name: b"g2",
            consumers: 1,
            pending: 4,
            last_delivered_id: id(103, 0),
            entries_read: Some(4),
            lag: None,
        }
    );
    // COUNT 1 is take(1) on every list.
    assert_eq!(
        s.range(StreamId::MIN, StreamId::MAX, false).take(1).count(),
        1
    );
}
