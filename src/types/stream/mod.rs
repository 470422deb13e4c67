//! The stream value type (Redis Streams, 7.2 semantics plus Redis 8.2's XDELEX, XACKDEL and
//! the KEEPREF / DELREF / ACKED options of XADD and XTRIM), consumer groups included.
//!
//! # Representation
//!
//! Entries are packed into blocks, the way Redis packs them into listpacks under a radix
//! tree. A block is one `Vec<u8>` (format in `block.rs`): a header with the *master fields*
//! (the field names of the block's first entry), then entries, each a head byte (flags),
//! a delta-coded ID and its values, or its field/value pairs when its fields differ from the
//! master's. IDs are coded against the previous entry, so an entry of the common "same
//! millisecond, next sequence" shape spends one byte on its ID; digit strings of up to 19
//! digits (also zero-padded ones) are stored as `(digit count, varint)`. One million
//! `XADD key * f1 <12-digit number> f2 v` entries take 8.6 bytes each all included (RSS,
//! `examples/memory.rs`), against 27 for Redis 7.0 (`used_memory` delta).
//!
//! Blocks sit in a `BTreeMap` keyed by their master ID (the ID of their first entry), so a
//! range query finds its first block in O(log n) and then decodes sequentially. A new block
//! starts when the tail block's byte size plus the new entry's element bytes reaches
//! [`STREAM_NODE_MAX_BYTES`] (0 means 1 GiB) or it holds [`STREAM_NODE_MAX_ENTRIES`] entries
//! (live plus deleted; 0 means no limit): Redis's rule, measured on our (smaller) encoding. A
//! block is shrunk to fit when it is closed.
//!
//! Consumer groups are in a `BTreeMap` by name (empty, so allocation-free, until the first
//! group); see `group.rs` for the PEL and consumer bookkeeping.
//!
//! # Invariants
//!
//! - Live entries are in strictly increasing ID order across the whole stream, and every
//!   live ID is `<= last_generated_id`. Every entry in a block is `>=` the block's key.
//! - Deleting marks the entry's DELETED flag in place (a tombstone, as Redis does); a block
//!   whose live count drops to zero is freed at once, so every block has a live entry.
//! - `length` is the number of live entries; `first_id` is the first live ID (0-0 when
//!   empty); `max_deleted_id` only grows through XDEL-like deletions (not trimming) or
//!   XSETID, as in Redis, since it drives the lag computation.
//! - Trimming works from the head. With KEEPREF, `~` frees whole blocks only and stops at
//!   the first block it cannot free whole; without `~` the first such block is trimmed
//!   entry by entry. LIMIT (default 100 x node entries with `~`) caps the entries removed.
//!   DELREF and ACKED look at entries one by one, as Redis 8.2 does.
//!
//! # Borrowed reads
//!
//! [`Stream::range`] and [`Stream::get`] return [`EntryRef`]s borrowing the blocks; their
//! pairs are [`Element`]s that dereference to `&[u8]` (number-coded elements are rebuilt in
//! a 20-byte stack buffer, everything else is a slice of the block). Group operations that
//! change state (XREADGROUP, XCLAIM, XAUTOCLAIM) return the affected IDs; the command layer
//! then reads the entries with `get` / `range`, which allocates nothing per entry.
//!
//! Time is always a `now_ms` argument (Unix ms from the server clock). Auto IDs never go
//! backwards: when `now_ms` is not past the last ID's ms, the next sequence of the last ID
//! is used (rolling over into the next ms when the sequence is exhausted).

mod block;
mod error;
mod group;
mod id;
mod log;
mod restore;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use block::{Element, EntryPairs, EntryRef, NumberText};
pub use error::{GroupNotFound, NoGroupContext, StreamError};
pub use group::{Consumer, ConsumerGroup, PendingEntry};
pub use id::{AddId, GroupStartId, ReadStartId, StreamId};
pub use log::StreamRange;
pub use restore::{LoadedConsumer, LoadedGroup};

use group::PelEntry;
use log::EntryLog;

/// `stream-node-max-bytes`: a block is closed when its size plus the next entry's element
/// bytes reaches this (0: no limit other than 1 GiB).
pub static STREAM_NODE_MAX_BYTES: AtomicUsize = AtomicUsize::new(4096);
/// `stream-node-max-entries`: a block is closed when it holds this many entries, deleted
/// ones included (0: no limit).
pub static STREAM_NODE_MAX_ENTRIES: AtomicUsize = AtomicUsize::new(100);

#[cfg(test)]
thread_local! {
    /// Per-test override of the node limits, so that tests running in parallel threads do
    /// not disturb each other through the statics.
    static TEST_NODE_LIMITS: std::cell::Cell<Option<(usize, usize)>> =
        const { std::cell::Cell::new(None) };
}

fn node_limits() -> (usize, usize) {
    #[cfg(test)]
    if let Some(limits) = TEST_NODE_LIMITS.with(|l| l.get()) {
        return limits;
    }
    (
        STREAM_NODE_MAX_BYTES.load(Ordering::Relaxed),
        STREAM_NODE_MAX_ENTRIES.load(Ordering::Relaxed),
    )
}

/// The LIMIT XADD/XTRIM use with `~` when none is given: 100 blocks' worth of entries,
/// bounded to 10 000 when the entries limit is 0 and to 1 000 000 at most.
pub fn default_trim_limit() -> u64 {
    let limit = 100u64.saturating_mul(node_limits().1 as u64);
    if limit == 0 {
        10_000
    } else {
        limit.min(1_000_000)
    }
}

/// How deletions treat consumer-group references (Redis 8.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum DeletePolicy {
    /// Delete the entries, leave the PELs alone (the classic behaviour).
    #[default]
    KeepRef,
    /// Delete the entries and remove them from every group's PEL.
    DelRef,
    /// Only delete entries every group has read and acknowledged.
    Acked,
}

/// Per-ID result of XDELEX / XACKDEL.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DeleteOutcome {
    /// -1: no such entry (XDELEX) / not pending in the group (XACKDEL).
    NotFound,
    /// 1: deleted (XACKDEL: acknowledged and deleted, or acknowledged with no entry left).
    Deleted,
    /// 2: kept because a group still references it (ACKED).
    Referenced,
}

impl DeleteOutcome {
    /// The integer Redis replies with.
    pub fn code(self) -> i64 {
        match self {
            DeleteOutcome::NotFound => -1,
            DeleteOutcome::Deleted => 1,
            DeleteOutcome::Referenced => 2,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TrimStrategy {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Remove entries with IDs below this one.
    MinId(StreamId),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TrimOptions {
    pub strategy: TrimStrategy,
    /// `~`: only whole blocks are removed (with KEEPREF).
    pub approx: bool,
    /// At most this many entries are removed; 0 means no limit. `None` means "not given":
    /// [`default_trim_limit`] with `~`, no limit without.
    pub limit: Option<u64>,
    pub policy: DeletePolicy,
}

impl TrimOptions {
    pub fn effective_limit(&self) -> u64 {
        match self.limit {
            Some(limit) => limit,
            None if self.approx => default_trim_limit(),
            None => 0,
        }
    }
}

/// XINFO STREAM's scalar fields.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StreamInfo {
    pub length: u64,
    /// Number of blocks.
    pub radix_tree_keys: usize,
    /// Nodes of the radix tree Redis would have over the block keys.
    pub radix_tree_nodes: usize,
    pub last_generated_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    pub entries_added: u64,
    pub recorded_first_entry_id: StreamId,
    pub groups: usize,
}

/// One element of XINFO GROUPS.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GroupInfo<'a> {
    pub name: &'a [u8],
    pub consumers: usize,
    pub pending: usize,
    pub last_delivered_id: StreamId,
    /// `None` is replied as null.
    pub entries_read: Option<u64>,
    /// `None` is replied as null.
    pub lag: Option<i64>,
}

/// One element of XINFO CONSUMERS.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ConsumerInfo<'a> {
    pub name: &'a [u8],
    pub pending: usize,
    /// ms since the last attempted interaction (never negative).
    pub idle: i64,
    /// ms since the last successful interaction, -1 if none yet.
    pub inactive: i64,
}

/// XPENDING without a range.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PendingSummary<'a> {
    pub count: usize,
    /// Smallest and greatest pending IDs (`None` when nothing is pending).
    pub bounds: Option<(StreamId, StreamId)>,
    /// Consumers with at least one pending entry, in name order, with their counts.
    pub consumers: Vec<(&'a [u8], usize)>,
}

/// One element of the extended XPENDING form.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PendingItem<'a> {
    pub id: StreamId,
    pub consumer: &'a [u8],
    /// ms since the last delivery (never negative).
    pub idle: i64,
    pub delivery_count: u64,
}

/// What XREADGROUP served from one stream.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum GroupReadReply {
    /// `>` found nothing new: the command blocks or replies null for this stream.
    NoNewEntries,
    /// `>`: entries delivered, in order (all live; read them with [`Stream::get`] or with
    /// [`Stream::range`] from the first to the last, which yields exactly these).
    New(Vec<StreamId>),
    /// History read: the consumer's pending IDs served, in order. [`Stream::get`] returns
    /// `None` for those whose entry was deleted (Redis replies `[id, nil]` for them).
    History(Vec<StreamId>),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct GroupRead {
    /// The consumer did not exist and was created.
    pub consumer_created: bool,
    pub reply: GroupReadReply,
}

/// XCLAIM's options, resolved by the command layer.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ClaimOptions {
    /// New delivery time (ms): TIME as given, or `now - IDLE`. Values below 0 or in the future
    /// become `now`; `None` means `now`.
    pub delivery_time: Option<i64>,
    /// RETRYCOUNT (a negative argument means "not given").
    pub retry_count: Option<u64>,
    pub force: bool,
    pub just_id: bool,
    /// LASTID: raises the group's last delivered ID if greater.
    pub last_id: Option<StreamId>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ClaimResult {
    /// Claimed IDs in argument order (an ID given twice may appear twice, as in Redis).
    pub claimed: Vec<StreamId>,
    /// Pending IDs removed from the PEL because their entry no longer exists.
    pub dropped: Vec<StreamId>,
    pub consumer_created: bool,
    /// LASTID raised the group's last delivered ID.
    pub last_id_updated: bool,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AutoClaimResult {
    /// The cursor for the next call (0-0 when the PEL scan is complete).
    pub next: StreamId,
    pub claimed: Vec<StreamId>,
    /// Pending IDs whose entry no longer exists; they were removed from the PEL.
    pub deleted: Vec<StreamId>,
    pub consumer_created: bool,
}

#[derive(Clone, Default)]
pub struct Stream {
    log: EntryLog,
    groups: BTreeMap<Box<[u8]>, ConsumerGroup>,
}

fn signed_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn idle_since(now_ms: u64, then_ms: u64) -> i64 {
    signed_ms(now_ms).wrapping_sub(signed_ms(then_ms))
}

/// Estimated heap bytes of a `BTreeMap<K, V>` (or `BTreeSet<K>` with `V = ()`) holding
/// `len` entries. Rust's B-tree nodes have 11 slots; a leaf that fills up while keys arrive in
/// ascending order (how every map of a stream grows) splits into 6 + 4 keys and moves one key
/// up, so in steady state a leaf carries about 7 entries and there is one internal node (a
/// leaf plus 12 child pointers) per 6 leaves. Measured against a counting allocator this is
/// within a few percent for ascending inserts (and about 25% high for random ones).
pub(crate) fn btree_bytes<K, V>(len: usize) -> usize {
    use std::mem::{align_of, size_of};
    const CAPACITY: usize = 11;
    if len == 0 {
        return 0;
    }
    let align_up = |n: usize, a: usize| n.div_ceil(a) * a;
    // parent pointer, parent index (u16), length (u16), then the key and value arrays.
    let keys_at = align_up(12, align_of::<K>().max(1));
    let vals_at = align_up(keys_at + CAPACITY * size_of::<K>(), align_of::<V>().max(1));
    let node_align = align_of::<K>()
        .max(align_of::<V>())
        .max(align_of::<usize>());
    let leaf = align_up(vals_at + CAPACITY * size_of::<V>(), node_align);
    let internal = leaf + (CAPACITY + 1) * size_of::<usize>();
    if len <= CAPACITY {
        return leaf;
    }
    let leaves = len.div_ceil(7);
    leaves * leaf + leaves.div_ceil(6) * internal
}

/// Whether any group may still need `id`: a group has not read that far yet, or holds it in
/// its PEL. `min_last_delivered` is the smallest last delivered ID over the groups.
fn entry_is_referenced(
    groups: &BTreeMap<Box<[u8]>, ConsumerGroup>,
    min_last_delivered: Option<StreamId>,
    id: StreamId,
) -> bool {
    match min_last_delivered {
        None => false,
        Some(min) if min < id => true,
        Some(_) => groups.values().any(|g| g.pel.contains_key(&id)),
    }
}

fn remove_all_references(groups: &mut BTreeMap<Box<[u8]>, ConsumerGroup>, id: StreamId) {
    for group in groups.values_mut() {
        group.remove_pending(id);
    }
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Bytes this stream owns on the heap, for MEMORY USAGE: the `Stream` itself (values are
    /// boxed), every block buffer at its capacity, and the B-tree nodes, names, consumer
    /// slabs and pending sets of the index and the consumer groups. B-tree node counts are
    /// not observable, so they are modelled on how they grow here (appends in ID order; see
    /// [`btree_bytes`]); everything else is exact. Allocator rounding is not included.
    pub fn mem_usage(&self) -> usize {
        let groups: usize = self
            .groups
            .iter()
            .map(|(name, group)| name.len() + group.heap_bytes())
            .sum();
        std::mem::size_of::<Stream>()
            + self.log.heap_bytes()
            + btree_bytes::<Box<[u8]>, ConsumerGroup>(self.groups.len())
            + groups
    }

    /// Number of entries (XLEN).
    pub fn len(&self) -> u64 {
        self.log.length
    }

    pub fn is_empty(&self) -> bool {
        self.log.length == 0
    }

    pub fn last_generated_id(&self) -> StreamId {
        self.log.last_id
    }

    /// The first entry's ID as tracked by Redis (0-0 when empty).
    pub fn recorded_first_entry_id(&self) -> StreamId {
        self.log.first_id
    }

    pub fn max_deleted_entry_id(&self) -> StreamId {
        self.log.max_deleted_id
    }

    pub fn entries_added(&self) -> u64 {
        self.log.entries_added
    }

    /// XADD (without trimming, which is a separate [`Stream::trim`] call after it). Checks in
    /// Redis's order: explicit 0-0, exhausted stream, ID not above the last one, size.
    pub fn add<T: AsRef<[u8]>>(
        &mut self,
        id: AddId,
        fields_values: &[T],
        now_ms: u64,
    ) -> Result<StreamId, StreamError> {
        debug_assert!(
            fields_values.len().is_multiple_of(2),
            "fields and values come in pairs"
        );
        id.validate()?;
        let last = self.log.last_id;
        if last == StreamId::MAX {
            return Err(StreamError::IdExhausted);
        }
        let new_id = match id {
            AddId::Auto if now_ms > last.ms => StreamId::new(now_ms, 0),
            AddId::Auto => last.next().ok_or(StreamError::AddIdTooSmall)?,
            AddId::AutoSeq { ms } if ms == last.ms => {
                if last.seq == u64::MAX {
                    return Err(StreamError::AddIdTooSmall);
                }
                StreamId::new(ms, last.seq + 1)
            }
            AddId::AutoSeq { ms } => StreamId::new(ms, 0),
            AddId::Explicit(explicit) => explicit,
        };
        if new_id <= last {
            return Err(StreamError::AddIdTooSmall);
        }
        let total: usize = fields_values.iter().map(|e| e.as_ref().len()).sum();
        if total > 1 << 30 {
            return Err(StreamError::ElementsTooLarge);
        }
        self.log.append(new_id, fields_values);
        Ok(new_id)
    }

    pub fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        self.log.get(id)
    }

    /// Entries with `start <= id <= end` (both inclusive; see [`StreamId::parse_range_start`]
    /// and [`StreamId::parse_range_end`] for `-`, `+` and `(`), ascending or descending with
    /// `rev`. COUNT is `.take(count)`.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> StreamRange<'_> {
        self.log.range(start, end, rev)
    }

    pub fn first_entry(&self) -> Option<(StreamId, EntryRef<'_>)> {
        self.range(StreamId::MIN, StreamId::MAX, false).next()
    }

    pub fn last_entry(&self) -> Option<(StreamId, EntryRef<'_>)> {
        self.range(StreamId::MIN, StreamId::MAX, true).next()
    }

    /// ID of the last live entry (not the last generated ID).
    pub fn last_entry_id(&self) -> Option<StreamId> {
        self.log.last_live_id()
    }

    /// The ID XADD/XTRIM propagate as `MINID = <id>` after an approximate MINID trim: the
    /// first entry of the stream, tombstones included (`None` for an empty stream, which
    /// Redis writes as the maximum ID).
    pub fn first_id_including_tombstones(&self) -> Option<StreamId> {
        self.log.blocks.first_key_value().map(|(&key, _)| key)
    }

    /// XREAD: the exclusive lower bound a parsed ID stands for (`$`: the last generated ID;
    /// `+`: just below the last entry, so that it is returned). `None` for `>`, which only
    /// XREADGROUP accepts. For a missing key Redis uses 0-0.
    pub fn read_after(&self, start: ReadStartId) -> Option<StreamId> {
        match start {
            ReadStartId::LastGenerated => Some(self.log.last_id),
            ReadStartId::LastEntry => Some(
                self.log
                    .last_live_id()
                    .and_then(StreamId::prev)
                    .unwrap_or(StreamId::MIN),
            ),
            ReadStartId::After(id) => Some(id),
            ReadStartId::NewMessages => None,
        }
    }

    /// Whether XREAD after `id` has something to serve now (otherwise it blocks or replies
    /// null). Serve with `range(id.next(), StreamId::MAX, false)`.
    pub fn has_entries_after(&self, id: StreamId) -> bool {
        self.log.last_live_id().is_some_and(|last| last > id)
    }

    /// XDEL: deletes the given IDs, returns how many existed.
    pub fn delete(&mut self, ids: &[StreamId]) -> usize {
        let mut deleted = 0;
        let mut first_deleted = false;
        for &id in ids {
            if self.delete_entry(id, &mut first_deleted) {
                deleted += 1;
            }
        }
        self.after_deletions(deleted > 0, first_deleted);
        deleted
    }

    /// XDELEX.
    pub fn delete_ex(&mut self, ids: &[StreamId], policy: DeletePolicy) -> Vec<DeleteOutcome> {
        let min_last = self.min_group_last_id();
        let mut any = false;
        let mut first_deleted = false;
        let outcomes = ids
            .iter()
            .map(|&id| {
                match policy {
                    DeletePolicy::Acked if entry_is_referenced(&self.groups, min_last, id) => {
                        return DeleteOutcome::Referenced;
                    }
                    DeletePolicy::DelRef => remove_all_references(&mut self.groups, id),
                    _ => {}
                }
                if self.delete_entry(id, &mut first_deleted) {
                    any = true;
                    DeleteOutcome::Deleted
                } else {
                    DeleteOutcome::NotFound
                }
            })
            .collect();
        self.after_deletions(any, first_deleted);
        outcomes
    }

    /// XACKDEL: acknowledges each ID in `group` and deletes it according to `policy`. A
    /// missing group gives `NotFound` for every ID, like a missing key.
    pub fn ack_delete(
        &mut self,
        group: &[u8],
        ids: &[StreamId],
        policy: DeletePolicy,
    ) -> Vec<DeleteOutcome> {
        if !self.groups.contains_key(group) {
            return vec![DeleteOutcome::NotFound; ids.len()];
        }
        let min_last = self.min_group_last_id();
        let mut any = false;
        let mut first_deleted = false;
        let outcomes = ids
            .iter()
            .map(|&id| {
                let acked = self
                    .groups
                    .get_mut(group)
                    .is_some_and(|g| g.remove_pending(id));
                if !acked {
                    return DeleteOutcome::NotFound;
                }
                match policy {
                    DeletePolicy::Acked if entry_is_referenced(&self.groups, min_last, id) => {
                        return DeleteOutcome::Referenced;
                    }
                    DeletePolicy::DelRef => remove_all_references(&mut self.groups, id),
                    _ => {}
                }
                any |= self.delete_entry(id, &mut first_deleted);
                DeleteOutcome::Deleted
            })
            .collect();
        self.after_deletions(any, first_deleted);
        outcomes
    }

    fn delete_entry(&mut self, id: StreamId, first_deleted: &mut bool) -> bool {
        if !self.log.remove(id) {
            return false;
        }
        *first_deleted |= id == self.log.first_id;
        if id > self.log.max_deleted_id {
            self.log.max_deleted_id = id;
        }
        true
    }

    fn after_deletions(&mut self, any: bool, first_deleted: bool) {
        if !any {
            return;
        }
        if self.log.length == 0 {
            self.log.first_id = StreamId::MIN;
        } else if first_deleted {
            self.log.refresh_first_id();
        }
    }

    fn min_group_last_id(&self) -> Option<StreamId> {
        self.groups.values().map(|g| g.last_id).min()
    }

    /// XTRIM, and the trimming part of XADD. Returns the number of entries removed.
    pub fn trim(&mut self, opts: &TrimOptions) -> u64 {
        let limit = opts.effective_limit();
        let keep_refs = opts.policy == DeletePolicy::KeepRef;
        let min_last = self.min_group_last_id();
        let mut removed: u64 = 0;
        let mut after: Option<StreamId> = None;
        let mut marks: Vec<usize> = Vec::new();
        let mut unreferenced: Vec<StreamId> = Vec::new();
        loop {
            if let TrimStrategy::MaxLen(maxlen) = opts.strategy
                && self.log.length <= maxlen
            {
                break;
            }
            let next = match after {
                None => self.log.blocks.first_key_value(),
                Some(a) => self
                    .log
                    .blocks
                    .range((Bound::Excluded(a), Bound::Unbounded))
                    .next(),
            };
            let Some((&key, block)) = next else { break };
            let live = u64::from(block.live);
            if limit != 0 && removed + live > limit {
                break;
            }
            let whole_block = match opts.strategy {
                TrimStrategy::MaxLen(maxlen) => self.log.length - live >= maxlen,
                TrimStrategy::MinId(min) => block.last < min,
            };
            if whole_block && keep_refs {
                self.log.blocks.remove(&key);
                self.log.length -= live;
                removed += live;
                continue;
            }
            if opts.approx && keep_refs {
                break;
            }
            // Trim inside the block, entry by entry.
            marks.clear();
            let mut length = self.log.length;
            for raw in block.entries(key) {
                let stop = match opts.strategy {
                    TrimStrategy::MaxLen(maxlen) => length <= maxlen,
                    TrimStrategy::MinId(min) => raw.id >= min,
                };
                if stop {
                    break;
                }
                if raw.deleted {
                    continue;
                }
                let deletable = match opts.policy {
                    DeletePolicy::KeepRef => true,
                    DeletePolicy::DelRef => {
                        unreferenced.push(raw.id);
                        true
                    }
                    DeletePolicy::Acked => !entry_is_referenced(&self.groups, min_last, raw.id),
                };
                if deletable {
                    marks.push(raw.offset);
                    length -= 1;
                }
            }
            for id in unreferenced.drain(..) {
                remove_all_references(&mut self.groups, id);
            }
            let block = self.log.blocks.get_mut(&key).expect("block just visited");
            for &offset in &marks {
                block.mark_deleted(offset);
            }
            let emptied = block.live == 0;
            if emptied {
                self.log.blocks.remove(&key);
            }
            self.log.length -= marks.len() as u64;
            removed += marks.len() as u64;
            if !whole_block {
                break;
            }
            if !emptied {
                after = Some(key);
            }
        }
        if self.log.length == 0 {
            self.log.first_id = StreamId::MIN;
        } else if removed > 0 {
            self.log.refresh_first_id();
        }
        removed
    }

    /// XSETID. The check of `id` against `max_deleted` is also an argument check Redis makes
    /// before looking the key up: call [`check_set_id_args`] first to keep that order.
    pub fn set_id(
        &mut self,
        id: StreamId,
        entries_added: Option<u64>,
        max_deleted: Option<StreamId>,
    ) -> Result<(), StreamError> {
        check_set_id_args(id, max_deleted)?;
        if id < self.log.max_deleted_id {
            return Err(StreamError::SetIdSmallerThanMaxDeleted);
        }
        if self.log.length > 0 {
            let top = self
                .log
                .last_live_id()
                .expect("non-empty stream has a last entry");
            if id < top {
                return Err(StreamError::SetIdSmallerThanTopItem);
            }
            if entries_added.is_some_and(|added| self.log.length > added) {
                return Err(StreamError::SetIdEntriesAddedTooSmall);
            }
        }
        self.log.last_id = id;
        if let Some(added) = entries_added {
            self.log.entries_added = added;
        }
        if let Some(max_deleted) = max_deleted
            && !max_deleted.is_zero()
        {
            self.log.max_deleted_id = max_deleted;
        }
        Ok(())
    }

    // ----- consumer groups -------------------------------------------------------------

    pub fn group(&self, name: &[u8]) -> Option<&ConsumerGroup> {
        self.groups.get(name)
    }

    /// Groups in name order.
    pub fn groups(&self) -> impl Iterator<Item = (&[u8], &ConsumerGroup)> + '_ {
        self.groups.iter().map(|(name, g)| (&**name, g))
    }

    pub fn groups_len(&self) -> usize {
        self.groups.len()
    }

    fn clamp_entries_read(&self, entries_read: Option<u64>) -> Option<u64> {
        entries_read.map(|read| read.min(self.log.entries_added))
    }

    /// XGROUP CREATE. `entries_read` is ENTRIESREAD (`None` when absent or -1); like current
    /// Redis it is capped at `entries_added`.
    pub fn create_group(
        &mut self,
        name: &[u8],
        start: GroupStartId,
        entries_read: Option<u64>,
    ) -> Result<(), StreamError> {
        if self.groups.contains_key(name) {
            return Err(StreamError::BusyGroup);
        }
        let last_id = match start {
            GroupStartId::LastGenerated => self.log.last_id,
            GroupStartId::Id(id) => id,
        };
        let entries_read = self.clamp_entries_read(entries_read);
        self.groups
            .insert(name.into(), ConsumerGroup::new(last_id, entries_read));
        Ok(())
    }

    /// XGROUP SETID: sets the last delivered ID and the read counter (unknown unless
    /// ENTRIESREAD is given).
    pub fn set_group_id(
        &mut self,
        name: &[u8],
        start: GroupStartId,
        entries_read: Option<u64>,
    ) -> Result<(), GroupNotFound> {
        let last_id = match start {
            GroupStartId::LastGenerated => self.log.last_id,
            GroupStartId::Id(id) => id,
        };
        let entries_read = self.clamp_entries_read(entries_read);
        let group = self.groups.get_mut(name).ok_or(GroupNotFound)?;
        group.last_id = last_id;
        group.entries_read = entries_read;
        Ok(())
    }

    /// XGROUP DESTROY: whether the group existed.
    pub fn destroy_group(&mut self, name: &[u8]) -> bool {
        self.groups.remove(name).is_some()
    }

    /// XGROUP CREATECONSUMER: whether a consumer was created.
    pub fn create_consumer(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        now_ms: u64,
    ) -> Result<bool, GroupNotFound> {
        let group = self.groups.get_mut(group).ok_or(GroupNotFound)?;
        Ok(group.get_or_create_consumer(consumer, now_ms).1)
    }

    /// XGROUP DELCONSUMER: the number of entries the consumer had pending (0 if it did not
    /// exist); its pending entries leave the group PEL.
    pub fn delete_consumer(
        &mut self,
        group: &[u8],
        consumer: &[u8],
    ) -> Result<usize, GroupNotFound> {
        let group = self.groups.get_mut(group).ok_or(GroupNotFound)?;
        Ok(group.delete_consumer(consumer).unwrap_or(0))
    }

    /// XREADGROUP on this stream. `history` is `None` for `>`, or `Some(id)` to re-read the
    /// consumer's pending entries after `id`. `count` 0 means no limit. The consumer is
    /// created if needed and its seen-time updated in every case.
    pub fn read_group(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        history: Option<StreamId>,
        count: usize,
        noack: bool,
        now_ms: u64,
    ) -> Result<GroupRead, GroupNotFound> {
        let log = &self.log;
        let group = self.groups.get_mut(group).ok_or(GroupNotFound)?;
        let (slot, consumer_created) = group.get_or_create_consumer(consumer, now_ms);
        group.slot_mut(slot).seen_time = now_ms;
        let limit = if count == 0 { usize::MAX } else { count };

        let reply = match history {
            Some(after) => {
                let ids: Vec<StreamId> = match after.next() {
                    Some(start) => group
                        .slot(slot)
                        .pending
                        .range(start..)
                        .take(limit)
                        .copied()
                        .collect(),
                    None => Vec::new(),
                };
                for &id in &ids {
                    if log.contains(id) {
                        let pe = group
                            .pel
                            .get_mut(&id)
                            .expect("consumer PEL id in group PEL");
                        pe.delivery_time = now_ms;
                        pe.delivery_count += 1;
                    }
                }
                GroupReadReply::History(ids)
            }
            None => {
                let serve = log.last_live_id().is_some_and(|last| last > group.last_id);
                match group.last_id.next() {
                    Some(start) if serve => {
                        let ids: Vec<StreamId> = log
                            .range(start, StreamId::MAX, false)
                            .take(limit)
                            .map(|(id, _)| id)
                            .collect();
                        for &id in &ids {
                            deliver(log, group, slot, id, noack, now_ms);
                        }
                        GroupReadReply::New(ids)
                    }
                    _ => GroupReadReply::NoNewEntries,
                }
            }
        };
        Ok(GroupRead {
            consumer_created,
            reply,
        })
    }

    /// XACK: the number of IDs that were pending (0 when the group does not exist).
    pub fn ack(&mut self, group: &[u8], ids: &[StreamId]) -> usize {
        match self.groups.get_mut(group) {
            Some(group) => ids.iter().filter(|&&id| group.remove_pending(id)).count(),
            None => 0,
        }
    }

    /// XPENDING key group.
    pub fn pending_summary(&self, group: &[u8]) -> Result<PendingSummary<'_>, GroupNotFound> {
        let group = self.groups.get(group).ok_or(GroupNotFound)?;
        let bounds = match (group.pel.first_key_value(), group.pel.last_key_value()) {
            (Some((&first, _)), Some((&last, _))) => Some((first, last)),
            _ => None,
        };
        Ok(PendingSummary {
            count: group.pel.len(),
            bounds,
            consumers: group
                .consumers()
                .filter(|c| c.pending_len() > 0)
                .map(|c| (c.name(), c.pending_len()))
                .collect(),
        })
    }

    /// `XPENDING key group [IDLE min] start end count [consumer]`: at most `count` entries
    /// (0 gives none) with `start <= id <= end`, idle for at least `min_idle` ms when
    /// `min_idle` is not 0; an unknown consumer gives an empty list.
    #[allow(clippy::too_many_arguments)]
    pub fn pending_range(
        &self,
        group: &[u8],
        start: StreamId,
        end: StreamId,
        count: usize,
        consumer: Option<&[u8]>,
        min_idle: i64,
        now_ms: u64,
    ) -> Result<Vec<PendingItem<'_>>, GroupNotFound> {
        let group = self.groups.get(group).ok_or(GroupNotFound)?;
        if start > end || count == 0 {
            return Ok(Vec::new());
        }
        let ids: Box<dyn Iterator<Item = StreamId> + '_> = match consumer {
            Some(name) => match group.consumer(name) {
                Some(c) => Box::new(c.pending.range(start..=end).copied()),
                None => return Ok(Vec::new()),
            },
            None => Box::new(group.pel.range(start..=end).map(|(&id, _)| id)),
        };
        let items = ids
            .filter_map(|id| {
                let pe = &group.pel[&id];
                let idle = idle_since(now_ms, pe.delivery_time);
                if min_idle != 0 && idle < min_idle {
                    return None;
                }
                Some(PendingItem {
                    id,
                    consumer: group.slot(pe.owner).name(),
                    idle: idle.max(0),
                    delivery_count: pe.delivery_count,
                })
            })
            .take(count)
            .collect();
        Ok(items)
    }

    /// XCLAIM. `min_idle` below 0 counts as 0 (claim regardless of idle time).
    pub fn claim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        min_idle: i64,
        ids: &[StreamId],
        opts: &ClaimOptions,
        now_ms: u64,
    ) -> Result<ClaimResult, GroupNotFound> {
        let log = &self.log;
        let group = self.groups.get_mut(group).ok_or(GroupNotFound)?;
        let min_idle = min_idle.max(0);
        let now = signed_ms(now_ms);
        let delivery_time = match opts.delivery_time {
            Some(t) if (0..=now).contains(&t) => t as u64,
            _ => now_ms,
        };
        let mut last_id_updated = false;
        if let Some(last_id) = opts.last_id
            && last_id > group.last_id
        {
            group.last_id = last_id;
            last_id_updated = true;
        }
        let (slot, consumer_created) = group.get_or_create_consumer(consumer, now_ms);
        group.slot_mut(slot).seen_time = now_ms;

        let mut claimed = Vec::new();
        let mut dropped = Vec::new();
        for &id in ids {
            if !log.contains(id) {
                if group.remove_pending(id) {
                    dropped.push(id);
                }
                continue;
            }
            let forced = opts.force && !group.pel.contains_key(&id);
            if forced {
                let fresh = PelEntry {
                    owner: slot,
                    delivery_time: now_ms,
                    delivery_count: 1,
                };
                group.insert_pending(id, slot, fresh);
            }
            let Some(pe) = group.pel.get(&id) else {
                continue;
            };
            if !forced && min_idle != 0 && idle_since(now_ms, pe.delivery_time) < min_idle {
                continue;
            }
            group.transfer(id, slot);
            let pe = group.pel.get_mut(&id).expect("claimed id is pending");
            pe.delivery_time = delivery_time;
            if let Some(retry_count) = opts.retry_count {
                pe.delivery_count = retry_count;
            } else if !opts.just_id {
                pe.delivery_count += 1;
            }
            group.slot_mut(slot).active_time = Some(now_ms);
            claimed.push(id);
        }
        Ok(ClaimResult {
            claimed,
            dropped,
            consumer_created,
            last_id_updated,
        })
    }

    /// XAUTOCLAIM: scans the PEL from `start`, examining at most `10 * count` entries and
    /// returning at most `count` (claimed plus deleted). `min_idle` below 0 counts as 0.
    #[allow(clippy::too_many_arguments)]
    pub fn auto_claim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        min_idle: i64,
        start: StreamId,
        count: usize,
        just_id: bool,
        now_ms: u64,
    ) -> Result<AutoClaimResult, GroupNotFound> {
        let log = &self.log;
        let group = self.groups.get_mut(group).ok_or(GroupNotFound)?;
        let min_idle = min_idle.max(0);
        let (slot, consumer_created) = group.get_or_create_consumer(consumer, now_ms);
        group.slot_mut(slot).seen_time = now_ms;

        let mut attempts = count.saturating_mul(10);
        let mut remaining = count;
        let mut cursor = Bound::Included(start);
        let mut exhausted = false;
        let mut claimed = Vec::new();
        let mut deleted = Vec::new();
        while attempts > 0 && remaining > 0 {
            attempts -= 1;
            let Some((&id, pe)) = group.pel.range((cursor, Bound::Unbounded)).next() else {
                exhausted = true;
                break;
            };
            cursor = Bound::Excluded(id);
            if !log.contains(id) {
                group.remove_pending(id);
                deleted.push(id);
                remaining -= 1;
                continue;
            }
            if min_idle != 0 && idle_since(now_ms, pe.delivery_time) < min_idle {
                continue;
            }
            group.transfer(id, slot);
            let pe = group.pel.get_mut(&id).expect("claimed id is pending");
            pe.delivery_time = now_ms;
            if !just_id {
                pe.delivery_count += 1;
            }
            group.slot_mut(slot).active_time = Some(now_ms);
            claimed.push(id);
            remaining -= 1;
        }
        let next = if exhausted {
            StreamId::MIN
        } else {
            group
                .pel
                .range((cursor, Bound::Unbounded))
                .next()
                .map_or(StreamId::MIN, |(&id, _)| id)
        };
        Ok(AutoClaimResult {
            next,
            claimed,
            deleted,
            consumer_created,
        })
    }

    /// The group's lag (entries not yet delivered to it), `None` when unknown.
    pub fn group_lag(&self, group: &ConsumerGroup) -> Option<i64> {
        self.log.lag(group.last_id, group.entries_read)
    }

    /// XINFO STREAM (the scalar part; entries come from `first_entry` / `last_entry` or, for
    /// FULL, `range`, and groups from `groups`).
    pub fn info(&self) -> StreamInfo {
        StreamInfo {
            length: self.log.length,
            radix_tree_keys: self.log.blocks.len(),
            radix_tree_nodes: self.log.radix_tree_nodes(),
            last_generated_id: self.log.last_id,
            max_deleted_entry_id: self.log.max_deleted_id,
            entries_added: self.log.entries_added,
            recorded_first_entry_id: self.log.first_id,
            groups: self.groups.len(),
        }
    }

    /// XINFO GROUPS.
    pub fn groups_info(&self) -> Vec<GroupInfo<'_>> {
        self.groups
            .iter()
            .map(|(name, g)| GroupInfo {
                name,
                consumers: g.consumers_len(),
                pending: g.pending_len(),
                last_delivered_id: g.last_id,
                entries_read: g.entries_read,
                lag: self.group_lag(g),
            })
            .collect()
    }

    /// XINFO CONSUMERS.
    pub fn consumers_info(
        &self,
        group: &[u8],
        now_ms: u64,
    ) -> Result<Vec<ConsumerInfo<'_>>, GroupNotFound> {
        let group = self.groups.get(group).ok_or(GroupNotFound)?;
        Ok(group
            .consumers()
            .map(|c| ConsumerInfo {
                name: c.name(),
                pending: c.pending_len(),
                idle: idle_since(now_ms, c.seen_time).max(0),
                inactive: c.active_time.map_or(-1, |t| idle_since(now_ms, t)),
            })
            .collect())
    }

    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let mut live = 0u64;
        let mut prev_live: Option<StreamId> = None;
        for (&key, block) in &self.log.blocks {
            assert!(block.live > 0, "empty block {key} kept");
            let entries: Vec<_> = block.entries(key).collect();
            assert_eq!(entries[0].id, key);
            assert_eq!(entries.len(), block.total_entries());
            assert_eq!(
                entries.iter().filter(|e| !e.deleted).count(),
                block.live as usize
            );
            assert_eq!(entries.last().unwrap().id, block.last);
            assert_eq!(entries.last().unwrap().offset, block.last_offset as usize);
            for e in entries.iter().filter(|e| !e.deleted) {
                assert!(prev_live.is_none_or(|p| p < e.id), "live ids out of order");
                assert!(e.id <= self.log.last_id);
                prev_live = Some(e.id);
            }
            live += u64::from(block.live);
        }
        assert_eq!(live, self.log.length);
        assert_eq!(
            self.log.first_id,
            self.log.first_live_id().unwrap_or(StreamId::MIN)
        );
        assert!(self.log.entries_added >= self.log.length);
        for group in self.groups.values() {
            group.check_invariants();
        }
    }
}

/// Delivers `id` (a new entry, above the group's last delivered ID) to consumer `slot`:
/// advances the group's last ID and read counter and, unless NOACK, records the delivery.
fn deliver(
    log: &EntryLog,
    group: &mut ConsumerGroup,
    slot: u32,
    id: StreamId,
    noack: bool,
    now_ms: u64,
) {
    if id > group.last_id {
        match group.entries_read {
            Some(read)
                if group.last_id >= log.first_id && !log.has_tombstones_from(group.last_id) =>
            {
                group.entries_read = Some(read + 1);
            }
            _ if log.entries_added > 0 => group.entries_read = log.estimate_distance(id),
            _ => {}
        }
        group.last_id = id;
    }
    if noack {
        return;
    }
    if group.pel.contains_key(&id) {
        // The ID was pending already (the group was moved back with SETID): it now belongs
        // to this consumer as a first delivery.
        group.transfer(id, slot);
        let pe = group.pel.get_mut(&id).expect("pending id");
        pe.delivery_time = now_ms;
        pe.delivery_count = 1;
    } else {
        group.insert_pending(
            id,
            slot,
            PelEntry {
                owner: slot,
                delivery_time: now_ms,
                delivery_count: 1,
            },
        );
    }
    group.slot_mut(slot).active_time = Some(now_ms);
}

/// XSETID's argument check made before the key lookup: MAXDELETEDID may not exceed the ID.
pub fn check_set_id_args(id: StreamId, max_deleted: Option<StreamId>) -> Result<(), StreamError> {
    match max_deleted {
        Some(max_deleted) if id < max_deleted => Err(StreamError::SetIdSmallerThanGivenMaxDeleted),
        _ => Ok(()),
    }
}
