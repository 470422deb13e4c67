//! Randomized tests against simple models: a `BTreeMap` of entries for the log (adds with
//! every ID form, deletes, exact and approximate trims, ranges, point reads) under several
//! block limits, and `BTreeMap` PELs for consumer groups (reads, history, acks, claims,
//! auto-claims, deletions with each policy, consumer deletion, SETID).

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::*;

#[derive(Default)]
struct LogModel {
    entries: BTreeMap<StreamId, Pairs>,
    last_id: StreamId,
    entries_added: u64,
    max_deleted: StreamId,
}

impl LogModel {
    fn live_ids(&self) -> Vec<StreamId> {
        self.entries.keys().copied().collect()
    }

    fn delete(&mut self, id: StreamId) -> bool {
        let existed = self.entries.remove(&id).is_some();
        if existed && id > self.max_deleted {
            self.max_deleted = id;
        }
        existed
    }
}

const FIELD_SETS: [&[&str]; 4] = [&["f1", "f2"], &["f1", "f2"], &["sensor", "t", "h"], &[]];

fn random_value(rng: &mut StdRng) -> Vec<u8> {
    match rng.random_range(0..6) {
        0 => format!("{:012}", rng.random_range(0..1_000_000u64)).into_bytes(),
        1 => rng.random_range(0..u64::MAX).to_string().into_bytes(),
        2 => format!("-{}", rng.random_range(0..100_000u64)).into_bytes(),
        3 => Vec::new(),
        4 => (0..rng.random_range(1..40))
            .map(|_| rng.random_range(0..=255u8))
            .collect(),
        _ => b"v".to_vec(),
    }
}

fn random_fields(rng: &mut StdRng) -> Vec<Vec<u8>> {
    let set = FIELD_SETS[rng.random_range(0..FIELD_SETS.len())];
    let mut fv = Vec::new();
    for field in set {
        fv.push(field.as_bytes().to_vec());
        fv.push(random_value(rng));
    }
    if rng.random_range(0..10) == 0 {
        fv.push(b"extra".to_vec());
        fv.push(random_value(rng));
    }
    fv
}

fn to_pairs(fv: &[Vec<u8>]) -> Pairs {
    fv.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect()
}

/// An ID near the existing ones: often an existing ID, sometimes between or beyond them.
fn random_probe(rng: &mut StdRng, model: &LogModel) -> StreamId {
    let ids = model.live_ids();
    if !ids.is_empty() && rng.random_range(0..2) == 0 {
        return ids[rng.random_range(0..ids.len())];
    }
    let top = model.last_id.ms + 3;
    StreamId::new(rng.random_range(0..=top), rng.random_range(0..4))
}

fn compare_all(s: &Stream, model: &LogModel) {
    let actual: Vec<(StreamId, Pairs)> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .map(|(id, e)| (id, e.to_vec()))
        .collect();
    let expected: Vec<(StreamId, Pairs)> = model
        .entries
        .iter()
        .map(|(id, p)| (*id, p.clone()))
        .collect();
    assert_eq!(actual, expected);
    assert_eq!(s.len(), model.entries.len() as u64);
    assert_eq!(s.last_generated_id(), model.last_id);
    assert_eq!(s.entries_added(), model.entries_added);
    assert_eq!(s.max_deleted_entry_id(), model.max_deleted);
    s.check_invariants();
}

fn run_log_model(seed: u64, ops: usize, max_bytes: usize, max_entries: usize) {
    let _limits = Limits::set(max_bytes, max_entries);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut s = Stream::new();
    let mut model = LogModel::default();
    let mut now: u64 = 1_000;
    for op in 0..ops {
        now = match rng.random_range(0..10) {
            0 => now.saturating_sub(rng.random_range(0..5)),
            1..=4 => now,
            _ => now + rng.random_range(1..3),
        };
        match rng.random_range(0..100) {
            0..=39 => {
                let fv = random_fields(&mut rng);
                let id = s.add(AddId::Auto, &fv, now).unwrap();
                let expected = if now > model.last_id.ms {
                    StreamId::new(now, 0)
                } else {
                    model.last_id.next().unwrap()
                };
                assert_eq!(id, expected);
                model.entries.insert(id, to_pairs(&fv));
                model.last_id = id;
                model.entries_added += 1;
            }
            40..=49 => {
                let candidate = StreamId::new(
                    model.last_id.ms + rng.random_range(0..3),
                    rng.random_range(0..6),
                );
                let fv = random_fields(&mut rng);
                let result = s.add(AddId::Explicit(candidate), &fv, now);
                if candidate.is_zero() {
                    assert_eq!(result, Err(StreamError::AddIdZero));
                } else if candidate <= model.last_id {
                    assert_eq!(result, Err(StreamError::AddIdTooSmall));
                } else {
                    assert_eq!(result, Ok(candidate));
                    model.entries.insert(candidate, to_pairs(&fv));
                    model.last_id = candidate;
                    model.entries_added += 1;
                }
            }
            50..=54 => {
                let ms = model.last_id.ms + rng.random_range(0..2);
                let fv = random_fields(&mut rng);
                let id = s.add(AddId::AutoSeq { ms }, &fv, now).unwrap();
                let expected = if ms == model.last_id.ms {
                    StreamId::new(ms, model.last_id.seq + 1)
                } else {
                    StreamId::new(ms, 0)
                };
                assert_eq!(id, expected);
                model.entries.insert(id, to_pairs(&fv));
                model.last_id = id;
                model.entries_added += 1;
            }
            55..=66 => {
                let victims: Vec<StreamId> = (0..rng.random_range(1..4))
                    .map(|_| random_probe(&mut rng, &model))
                    .collect();
                let expected = victims.iter().filter(|&&id| model.delete(id)).count();
                assert_eq!(s.delete(&victims), expected);
            }
            67..=74 => {
                let approx = rng.random_range(0..2) == 0;
                let limit = if approx && rng.random_range(0..2) == 0 {
                    Some(rng.random_range(0..20))
                } else {
                    None
                };
                let len = model.entries.len() as u64;
                let by_len = rng.random_range(0..2) == 0;
                let strategy = if by_len {
                    TrimStrategy::MaxLen(rng.random_range(0..=len + 1))
                } else {
                    TrimStrategy::MinId(random_probe(&mut rng, &model))
                };
                let opts = TrimOptions {
                    strategy,
                    approx,
                    limit,
                    policy: DeletePolicy::KeepRef,
                };
                let removed = s.trim(&opts);
                let eligible: Vec<StreamId> = match strategy {
                    TrimStrategy::MaxLen(max) => model
                        .live_ids()
                        .into_iter()
                        .take(len.saturating_sub(max) as usize)
                        .collect(),
                    TrimStrategy::MinId(min) => {
                        model.entries.range(..min).map(|(id, _)| *id).collect()
                    }
                };
                if approx {
                    assert!(removed as usize <= eligible.len());
                    if let Some(limit) = limit.filter(|&l| l > 0) {
                        assert!(removed <= limit);
                    }
                } else {
                    assert_eq!(removed as usize, eligible.len());
                }
                // Trimming always removes the oldest entries.
                for id in &eligible[..removed as usize] {
                    model.entries.remove(id);
                }
            }
            75..=89 => {
                let mut a = random_probe(&mut rng, &model);
                let mut b = random_probe(&mut rng, &model);
                if rng.random_range(0..4) != 0 && a > b {
                    std::mem::swap(&mut a, &mut b);
                }
                let rev = rng.random_range(0..2) == 0;
                let count = rng.random_range(0..8);
                let actual: Vec<(StreamId, Pairs)> = s
                    .range(a, b, rev)
                    .take(count)
                    .map(|(id, e)| (id, e.to_vec()))
                    .collect();
                let expected: Vec<(StreamId, Pairs)> = if a > b {
                    Vec::new()
                } else if rev {
                    model
                        .entries
                        .range(a..=b)
                        .rev()
                        .take(count)
                        .map(|(id, p)| (*id, p.clone()))
                        .collect()
                } else {
                    model
                        .entries
                        .range(a..=b)
                        .take(count)
                        .map(|(id, p)| (*id, p.clone()))
                        .collect()
                };
                assert_eq!(actual, expected, "range {a}..{b} rev={rev}");
            }
            90..=97 => {
                let probe = random_probe(&mut rng, &model);
                assert_eq!(
                    s.get(probe).map(|e| e.to_vec()),
                    model.entries.get(&probe).cloned()
                );
            }
            _ => {
                // XSETID forward, occasionally with ENTRIESADDED / MAXDELETEDID.
                let target = StreamId::new(model.last_id.ms + rng.random_range(0..3), 7);
                let added = model.entries_added + rng.random_range(0..3);
                if target >= model.last_id && target >= model.max_deleted {
                    s.set_id(target, Some(added), Some(model.max_deleted))
                        .unwrap();
                    model.last_id = target;
                    model.entries_added = added;
                }
            }
        }
        assert_eq!(s.len(), model.entries.len() as u64);
        assert_eq!(
            s.recorded_first_entry_id(),
            model
                .entries
                .keys()
                .next()
                .copied()
                .unwrap_or(StreamId::MIN)
        );
        assert_eq!(s.last_entry_id(), model.entries.keys().next_back().copied());
        if op % 256 == 0 {
            compare_all(&s, &model);
        }
        // Keep the stream small so that full comparisons stay cheap.
        if model.entries.len() > 400 {
            let removed = s.trim(&TrimOptions {
                strategy: TrimStrategy::MaxLen(100),
                approx: false,
                limit: None,
                policy: DeletePolicy::KeepRef,
            });
            assert_eq!(removed as usize, model.entries.len() - 100);
            let drop: Vec<StreamId> = model.live_ids()[..removed as usize].to_vec();
            for id in drop {
                model.entries.remove(&id);
            }
        }
    }
    compare_all(&s, &model);
}

#[test]
fn log_model_default_limits() {
    run_log_model(1, 25_000, 4096, 100);
}

#[test]
fn log_model_tiny_blocks() {
    run_log_model(2, 25_000, 4096, 3);
}

#[test]
fn log_model_byte_limited_blocks() {
    run_log_model(3, 25_000, 120, 0);
}

#[test]
fn log_model_unlimited_blocks() {
    run_log_model(4, 25_000, 0, 7);
}

// ----- consumer groups -------------------------------------------------------------------

#[derive(Clone, PartialEq, Eq, Debug)]
struct ModelPending {
    consumer: String,
    time: u64,
    count: u64,
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct ModelConsumer {
    seen: u64,
    active: Option<u64>,
}

#[derive(Default)]
struct ModelGroup {
    last_id: StreamId,
    pel: BTreeMap<StreamId, ModelPending>,
    consumers: BTreeMap<String, ModelConsumer>,
}

impl ModelGroup {
    fn touch(&mut self, consumer: &str, now: u64) -> bool {
        let created = !self.consumers.contains_key(consumer);
        self.consumers
            .entry(consumer.to_string())
            .or_insert(ModelConsumer {
                seen: now,
                active: None,
            })
            .seen = now;
        created
    }

    fn activate(&mut self, consumer: &str, now: u64) {
        self.consumers.get_mut(consumer).unwrap().active = Some(now);
    }
}

struct GroupModel {
    entries: BTreeMap<StreamId, ()>,
    groups: BTreeMap<String, ModelGroup>,
}

impl GroupModel {
    fn referenced(&self, id: StreamId) -> bool {
        self.groups
            .values()
            .any(|g| g.last_id < id || g.pel.contains_key(&id))
    }

    fn drop_references(&mut self, id: StreamId) {
        for g in self.groups.values_mut() {
            g.pel.remove(&id);
        }
    }
}

const GROUPS: [&str; 3] = ["g1", "g2", "g3"];
const CONSUMERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

fn idle(now: u64, then: u64) -> i64 {
    now as i64 - then as i64
}

fn compare_groups(s: &Stream, model: &GroupModel) {
    assert_eq!(
        s.range(StreamId::MIN, StreamId::MAX, false)
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        model.entries.keys().copied().collect::<Vec<_>>()
    );
    assert_eq!(s.groups_len(), model.groups.len());
    for (name, mg) in &model.groups {
        let g = s.group(name.as_bytes()).expect("group exists");
        assert_eq!(g.last_delivered_id(), mg.last_id, "{name} last id");
        let pel: BTreeMap<StreamId, ModelPending> = g
            .pending()
            .map(|p| {
                (
                    p.id,
                    ModelPending {
                        consumer: String::from_utf8(p.consumer.to_vec()).unwrap(),
                        time: p.delivery_time,
                        count: p.delivery_count,
                    },
                )
            })
            .collect();
        assert_eq!(pel, mg.pel, "{name} PEL");
        let consumers: BTreeMap<String, ModelConsumer> = g
            .consumers()
            .map(|c| {
                (
                    String::from_utf8(c.name().to_vec()).unwrap(),
                    ModelConsumer {
                        seen: c.seen_time(),
                        active: u64::try_from(c.active_time()).ok(),
                    },
                )
            })
            .collect();
        assert_eq!(consumers, mg.consumers, "{name} consumers");
    }
    s.check_invariants();
}

#[test]
fn group_model() {
    let _limits = Limits::set(4096, 4);
    let mut rng = StdRng::seed_from_u64(0xC0FFEE);
    let mut s = Stream::new();
    let mut model = GroupModel {
        entries: BTreeMap::new(),
        groups: BTreeMap::new(),
    };
    for g in GROUPS {
        s.create_group(g.as_bytes(), GroupStartId::Id(StreamId::MIN), None)
            .unwrap();
        model.groups.insert(g.to_string(), ModelGroup::default());
    }
    let mut now: u64 = 10_000;
    let mut next_ms: u64 = 1;
    for op in 0..25_000 {
        now = if rng.random_range(0..20) == 0 {
            now - rng.random_range(0..30)
        } else {
            now + rng.random_range(0..40)
        };
        let gname = GROUPS[rng.random_range(0..GROUPS.len())];
        let cname = CONSUMERS[rng.random_range(0..CONSUMERS.len())];
        let probe = StreamId::new(rng.random_range(0..next_ms + 2), 0);
        match rng.random_range(0..100) {
            0..=19 => {
                for _ in 0..rng.random_range(1..4) {
                    let id = s
                        .add(
                            AddId::Explicit(StreamId::new(next_ms, 0)),
                            &[b"f", b"v"],
                            now,
                        )
                        .unwrap();
                    model.entries.insert(id, ());
                    next_ms += 1;
                }
            }
            20..=34 => {
                let count = rng.random_range(0..4);
                let noack = rng.random_range(0..5) == 0;
                let read = s
                    .read_group(gname.as_bytes(), cname.as_bytes(), None, count, noack, now)
                    .unwrap();
                let entries = &model.entries;
                let mg = model.groups.get_mut(gname).unwrap();
                assert_eq!(read.consumer_created, mg.touch(cname, now));
                let serve = entries.keys().next_back().is_some_and(|&l| l > mg.last_id);
                let expected: Vec<StreamId> = entries
                    .range((Bound::Excluded(mg.last_id), Bound::Unbounded))
                    .map(|(id, _)| *id)
                    .take(if count == 0 { usize::MAX } else { count })
                    .collect();
                if serve {
                    assert_eq!(read.reply, GroupReadReply::New(expected.clone()));
                    for id in expected {
                        mg.last_id = id;
                        if !noack {
                            mg.pel.insert(
                                id,
                                ModelPending {
                                    consumer: cname.to_string(),
                                    time: now,
                                    count: 1,
                                },
                            );
                            mg.activate(cname, now);
                        }
                    }
                } else {
                    assert_eq!(read.reply, GroupReadReply::NoNewEntries);
                }
            }
            35..=41 => {
                let count = rng.random_range(0..4);
                let after = StreamId::new(rng.random_range(0..next_ms), 0);
                let read = s
                    .read_group(
                        gname.as_bytes(),
                        cname.as_bytes(),
                        Some(after),
                        count,
                        false,
                        now,
                    )
                    .unwrap();
                let entries = &model.entries;
                let mg = model.groups.get_mut(gname).unwrap();
                mg.touch(cname, now);
                let expected: Vec<StreamId> = mg
                    .pel
                    .range((Bound::Excluded(after), Bound::Unbounded))
                    .filter(|(_, p)| p.consumer == cname)
                    .map(|(id, _)| *id)
                    .take(if count == 0 { usize::MAX } else { count })
                    .collect();
                assert_eq!(read.reply, GroupReadReply::History(expected.clone()));
                for id in expected {
                    if entries.contains_key(&id) {
                        let p = mg.pel.get_mut(&id).unwrap();
                        p.time = now;
                        p.count += 1;
                    }
                }
            }
            42..=51 => {
                let ids: Vec<StreamId> = (0..rng.random_range(1..4))
                    .map(|_| StreamId::new(rng.random_range(0..next_ms + 1), 0))
                    .collect();
                let mg = model.groups.get_mut(gname).unwrap();
                let expected = ids.iter().filter(|id| mg.pel.remove(id).is_some()).count();
                assert_eq!(s.ack(gname.as_bytes(), &ids), expected);
            }
            52..=61 => {
                let ids: Vec<StreamId> = (0..rng.random_range(1..4))
                    .map(|_| StreamId::new(rng.random_range(0..next_ms + 1), 0))
                    .collect();
                let min_idle = rng.random_range(-5..200);
                let opts = ClaimOptions {
                    delivery_time: match rng.random_range(0..4) {
                        0 => Some(now as i64 - rng.random_range(0..100)),
                        1 => Some(now as i64 + rng.random_range(-50..50)),
                        _ => None,
                    },
                    retry_count: (rng.random_range(0..4) == 0).then(|| rng.random_range(0..9)),
                    force: rng.random_range(0..3) == 0,
                    just_id: rng.random_range(0..2) == 0,
                    last_id: (rng.random_range(0..4) == 0)
                        .then(|| StreamId::new(rng.random_range(0..next_ms + 1), 0)),
                };
                let result = s
                    .claim(
                        gname.as_bytes(),
                        cname.as_bytes(),
                        min_idle,
                        &ids,
                        &opts,
                        now,
                    )
                    .unwrap();
                let entries = &model.entries;
                let mg = model.groups.get_mut(gname).unwrap();
                if let Some(last) = opts.last_id
                    && last > mg.last_id
                {
                    mg.last_id = last;
                }
                assert_eq!(result.consumer_created, mg.touch(cname, now));
                let time = match opts.delivery_time {
                    Some(t) if t >= 0 && t <= now as i64 => t as u64,
                    _ => now,
                };
                let mut claimed = Vec::new();
                let mut dropped = Vec::new();
                for &id in &ids {
                    if !entries.contains_key(&id) {
                        if mg.pel.remove(&id).is_some() {
                            dropped.push(id);
                        }
                        continue;
                    }
                    let forced = opts.force && !mg.pel.contains_key(&id);
                    if forced {
                        mg.pel.insert(
                            id,
                            ModelPending {
                                consumer: cname.to_string(),
                                time: now,
                                count: 1,
                            },
                        );
                    }
                    let Some(p) = mg.pel.get_mut(&id) else {
                        continue;
                    };
                    if !forced && min_idle > 0 && idle(now, p.time) < min_idle {
                        continue;
                    }
                    p.consumer = cname.to_string();
                    p.time = time;
                    match opts.retry_count {
                        Some(rc) => p.count = rc,
                        None if !opts.just_id => p.count += 1,
                        None => {}
                    }
                    claimed.push(id);
                    mg.activate(cname, now);
                }
                assert_eq!(result.claimed, claimed);
                assert_eq!(result.dropped, dropped);
            }
            62..=69 => {
                let count = rng.random_range(1..4);
                let min_idle = rng.random_range(-5..200);
                let just_id = rng.random_range(0..2) == 0;
                let start = StreamId::new(rng.random_range(0..next_ms + 1), 0);
                let result = s
                    .auto_claim(
                        gname.as_bytes(),
                        cname.as_bytes(),
                        min_idle,
                        start,
                        count,
                        just_id,
                        now,
                    )
                    .unwrap();
                let entries = &model.entries;
                let mg = model.groups.get_mut(gname).unwrap();
                mg.touch(cname, now);
                let candidates: Vec<StreamId> = mg.pel.range(start..).map(|(id, _)| *id).collect();
                let (mut claimed, mut deleted) = (Vec::new(), Vec::new());
                let mut remaining = count;
                let mut examined = 0;
                for &id in candidates.iter().take(count * 10) {
                    if remaining == 0 {
                        break;
                    }
                    examined += 1;
                    if !entries.contains_key(&id) {
                        mg.pel.remove(&id);
                        deleted.push(id);
                        remaining -= 1;
                        continue;
                    }
                    let p = mg.pel.get_mut(&id).unwrap();
                    if min_idle > 0 && idle(now, p.time) < min_idle {
                        continue;
                    }
                    p.consumer = cname.to_string();
                    p.time = now;
                    if !just_id {
                        p.count += 1;
                    }
                    claimed.push(id);
                    remaining -= 1;
                    mg.activate(cname, now);
                }
                let next = candidates.get(examined).copied().unwrap_or(StreamId::MIN);
                assert_eq!(
                    (result.next, result.claimed, result.deleted),
                    (next, claimed, deleted)
                );
            }
            70..=75 => {
                let ids = vec![probe, StreamId::new(rng.random_range(0..next_ms + 1), 0)];
                let expected = ids
                    .iter()
                    .filter(|id| model.entries.remove(id).is_some())
                    .count();
                assert_eq!(s.delete(&ids), expected);
            }
            76..=81 => {
                let policy = [
                    DeletePolicy::KeepRef,
                    DeletePolicy::DelRef,
                    DeletePolicy::Acked,
                ][rng.random_range(0..3)];
                let ids = vec![probe];
                let outcome = s.delete_ex(&ids, policy);
                let expected = match policy {
                    DeletePolicy::Acked if model.referenced(probe) => DeleteOutcome::Referenced,
                    _ => {
                        if policy == DeletePolicy::DelRef {
                            model.drop_references(probe);
                        }
                        if model.entries.remove(&probe).is_some() {
                            DeleteOutcome::Deleted
                        } else {
                            DeleteOutcome::NotFound
                        }
                    }
                };
                assert_eq!(outcome, vec![expected]);
            }
            82..=87 => {
                let policy = [
                    DeletePolicy::KeepRef,
                    DeletePolicy::DelRef,
                    DeletePolicy::Acked,
                ][rng.random_range(0..3)];
                let outcome = s.ack_delete(gname.as_bytes(), &[probe], policy);
                let acked = model
                    .groups
                    .get_mut(gname)
                    .unwrap()
                    .pel
                    .remove(&probe)
                    .is_some();
                let expected = if !acked {
                    DeleteOutcome::NotFound
                } else if policy == DeletePolicy::Acked && model.referenced(probe) {
                    DeleteOutcome::Referenced
                } else {
                    if policy == DeletePolicy::DelRef {
                        model.drop_references(probe);
                    }
                    model.entries.remove(&probe);
                    DeleteOutcome::Deleted
                };
                assert_eq!(outcome, vec![expected]);
            }
            88..=89 => {
                let mg = model.groups.get_mut(gname).unwrap();
                let expected = match mg.consumers.remove(cname) {
                    Some(_) => {
                        let before = mg.pel.len();
                        mg.pel.retain(|_, p| p.consumer != cname);
                        before - mg.pel.len()
                    }
                    None => 0,
                };
                assert_eq!(
                    s.delete_consumer(gname.as_bytes(), cname.as_bytes()),
                    Ok(expected)
                );
            }
            90..=95 => {
                let policy = [
                    DeletePolicy::KeepRef,
                    DeletePolicy::DelRef,
                    DeletePolicy::Acked,
                ][rng.random_range(0..3)];
                let by_len = rng.random_range(0..2) == 0;
                let len = model.entries.len() as u64;
                let strategy = if by_len {
                    TrimStrategy::MaxLen(rng.random_range(len / 2..=len + 1))
                } else {
                    TrimStrategy::MinId(probe)
                };
                let referenced: Vec<StreamId> = model
                    .entries
                    .keys()
                    .copied()
                    .filter(|&id| model.referenced(id))
                    .collect();
                let removed = s.trim(&TrimOptions {
                    strategy,
                    approx: false,
                    limit: None,
                    policy,
                });
                let survivors: Vec<StreamId> = s
                    .range(StreamId::MIN, StreamId::MAX, false)
                    .map(|(id, _)| id)
                    .collect();
                let gone: Vec<StreamId> = model
                    .entries
                    .keys()
                    .copied()
                    .filter(|id| survivors.binary_search(id).is_err())
                    .collect();
                assert_eq!(gone.len() as u64, removed);
                match (policy, strategy) {
                    (DeletePolicy::Acked, TrimStrategy::MaxLen(max)) => {
                        assert!(survivors.len() as u64 >= max.min(len));
                        assert!(gone.iter().all(|id| !referenced.contains(id)));
                    }
                    (DeletePolicy::Acked, TrimStrategy::MinId(min)) => {
                        let expected: Vec<StreamId> = model
                            .entries
                            .range(..min)
                            .map(|(id, _)| *id)
                            .filter(|id| !referenced.contains(id))
                            .collect();
                        assert_eq!(gone, expected);
                    }
                    (_, TrimStrategy::MaxLen(max)) => {
                        let expected: Vec<StreamId> = model
                            .entries
                            .keys()
                            .copied()
                            .take(len.saturating_sub(max) as usize)
                            .collect();
                        assert_eq!(gone, expected);
                    }
                    (_, TrimStrategy::MinId(min)) => {
                        let expected: Vec<StreamId> =
                            model.entries.range(..min).map(|(id, _)| *id).collect();
                        assert_eq!(gone, expected);
                    }
                }
                for id in gone {
                    model.entries.remove(&id);
                    if policy == DeletePolicy::DelRef {
                        model.drop_references(id);
                    }
                }
            }
            _ => {
                // XGROUP SETID, often backwards, so that new reads meet pending IDs.
                let target = StreamId::new(rng.random_range(0..next_ms + 1), 0);
                s.set_group_id(gname.as_bytes(), GroupStartId::Id(target), None)
                    .unwrap();
                model.groups.get_mut(gname).unwrap().last_id = target;
            }
        }
        // Every operation's direct result is checked above; the full state every few steps.
        if op % 8 == 0 {
            compare_groups(&s, &model);
        }
        if model.entries.len() > 150 {
            let drop: Vec<StreamId> = model.entries.keys().copied().take(50).collect();
            assert_eq!(s.delete(&drop), 50);
            for id in drop {
                model.entries.remove(&id);
            }
        }
    }
    compare_groups(&s, &model);
}
