//! Consumer groups: the group's pending entries list (PEL), its consumers and their own
//! pending sets.
//!
//! Representation and invariants:
//! - `pel` maps every pending ID to its `PelEntry` (owner slot, delivery time and count),
//!   ordered by ID (XPENDING ranges, XAUTOCLAIM cursors and XINFO walk it in order).
//! - Consumers live in a slab (`slots`) so that a pending entry names its owner with a 4-byte
//!   slot number instead of a copy of the name; `by_name` orders them by name bytes, which is
//!   the order Redis (a radix tree keyed by name) reports them in. Freed slots are reused.
//! - Every PEL entry's owner is a live slot, and an ID is in `pel` with owner `c` exactly when
//!   it is in `slots[c].pending`: the two views are always updated together.

use std::collections::{BTreeMap, BTreeSet};

use super::id::StreamId;

/// One not-yet-acknowledged delivery, as stored in the PEL.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct PelEntry {
    /// Slot of the owning consumer.
    pub(crate) owner: u32,
    /// Unix time in ms of the last delivery.
    pub(crate) delivery_time: u64,
    /// How many times the entry was delivered.
    pub(crate) delivery_count: u64,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    name: Box<[u8]>,
    /// Last time the consumer attempted an interaction (XREADGROUP, XCLAIM, XAUTOCLAIM) or was
    /// created.
    pub(crate) seen_time: u64,
    /// Last time the consumer successfully got entries (read with PEL bookkeeping, or
    /// claimed); `None` until then.
    pub(crate) active_time: Option<u64>,
    pub(crate) pending: BTreeSet<StreamId>,
}

impl Consumer {
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    pub fn seen_time(&self) -> u64 {
        self.seen_time
    }

    /// As XINFO STREAM FULL reports it: -1 until the first successful read or claim.
    pub fn active_time(&self) -> i64 {
        self.active_time.map_or(-1, |t| t as i64)
    }

    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    pub fn pending_ids(&self) -> impl DoubleEndedIterator<Item = StreamId> + '_ {
        self.pending.iter().copied()
    }
}

/// A pending entry: its ID, the consumer owning it, when it was last delivered (Unix ms)
/// and how many times it was delivered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PendingEntry<'a> {
    pub id: StreamId,
    pub consumer: &'a [u8],
    pub delivery_time: u64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug)]
pub struct ConsumerGroup {
    pub(crate) last_id: StreamId,
    /// The logical read counter of `last_id`; `None` when it is not known (Redis's -1).
    pub(crate) entries_read: Option<u64>,
    pub(crate) pel: BTreeMap<StreamId, PelEntry>,
    slots: Vec<Option<Consumer>>,
    free_slots: Vec<u32>,
    by_name: BTreeMap<Box<[u8]>, u32>,
}

impl ConsumerGroup {
    pub(crate) fn new(last_id: StreamId, entries_read: Option<u64>) -> ConsumerGroup {
        ConsumerGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            by_name: BTreeMap::new(),
        }
    }

    pub fn last_delivered_id(&self) -> StreamId {
        self.last_id
    }

    pub fn entries_read(&self) -> Option<u64> {
        self.entries_read
    }

    pub fn pending_len(&self) -> usize {
        self.pel.len()
    }

    pub fn consumers_len(&self) -> usize {
        self.by_name.len()
    }

    /// The group PEL in ID order.
    pub fn pending(&self) -> impl DoubleEndedIterator<Item = PendingEntry<'_>> + '_ {
        self.pel.iter().map(|(&id, pe)| self.view(id, pe))
    }

    pub fn pending_entry(&self, id: StreamId) -> Option<PendingEntry<'_>> {
        self.pel.get(&id).map(|pe| self.view(id, pe))
    }

    /// Consumers in name order.
    pub fn consumers(&self) -> impl Iterator<Item = &Consumer> + '_ {
        self.by_name.values().map(|&slot| self.slot(slot))
    }

    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        self.by_name.get(name).map(|&slot| self.slot(slot))
    }

    /// A consumer's pending entries in ID order, with their delivery data.
    pub fn consumer_pending<'a>(
        &'a self,
        consumer: &'a Consumer,
    ) -> impl DoubleEndedIterator<Item = PendingEntry<'a>> + 'a {
        consumer
            .pending
            .iter()
            .map(move |id| self.view(*id, &self.pel[id]))
    }

    fn view<'a>(&'a self, id: StreamId, pe: &PelEntry) -> PendingEntry<'a> {
        PendingEntry {
            id,
            consumer: self.slot(pe.owner).name(),
            delivery_time: pe.delivery_time,
            delivery_count: pe.delivery_count,
        }
    }

    pub(crate) fn slot(&self, slot: u32) -> &Consumer {
        self.slots[slot as usize]
            .as_ref()
            .expect("pending entry owned by a deleted consumer")
    }

    pub(crate) fn slot_mut(&mut self, slot: u32) -> &mut Consumer {
        self.slots[slot as usize]
            .as_mut()
            .expect("pending entry owned by a deleted consumer")
    }

    pub(crate) fn find_consumer(&self, name: &[u8]) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    /// Creates the consumer if missing; returns its slot and whether it was created.
    pub(crate) fn get_or_create_consumer(&mut self, name: &[u8], now_ms: u64) -> (u32, bool) {
        if let Some(slot) = self.find_consumer(name) {
            return (slot, false);
        }
        let consumer = Consumer {
            name: name.into(),
            seen_time: now_ms,
            active_time: None,
            pending: BTreeSet::new(),
        };
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(consumer);
                slot
            }
            None => {
                self.slots.push(Some(consumer));
                (self.slots.len() - 1) as u32
            }
        };
        self.by_name.insert(name.into(), slot);
        (slot, true)
    }

    /// Deletes a consumer and its pending entries; returns how many were pending, or `None`
    /// if there is no such consumer.
    pub(crate) fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let slot = self.by_name.remove(name)?;
        let consumer = self.slots[slot as usize]
            .take()
            .expect("indexed consumer slot is empty");
        for id in &consumer.pending {
            self.pel.remove(id);
        }
        self.free_slots.push(slot);
        Some(consumer.pending.len())
    }

    /// Removes `id` from the PEL and from its owner's set; returns whether it was pending.
    pub(crate) fn remove_pending(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(pe) => {
                self.slot_mut(pe.owner).pending.remove(&id);
                true
            }
            None => false,
        }
    }

    /// Gives the pending entry `id` (which must be in the PEL) to consumer `slot`.
    pub(crate) fn transfer(&mut self, id: StreamId, slot: u32) {
        let pe = self
            .pel
            .get_mut(&id)
            .expect("transfer of an ID not pending");
        let old = pe.owner;
        if old != slot {
            pe.owner = slot;
            self.slot_mut(old).pending.remove(&id);
            self.slot_mut(slot).pending.insert(id);
        }
    }

    /// Adds a new pending entry owned by `slot`.
    pub(crate) fn insert_pending(&mut self, id: StreamId, slot: u32, entry: PelEntry) {
        debug_assert_eq!(entry.owner, slot);
        let previous = self.pel.insert(id, entry);
        debug_assert!(previous.is_none());
        self.slot_mut(slot).pending.insert(id);
    }

    /// Heap bytes of the PEL, the consumer slab, the name index and every consumer's name and
    /// pending set (see [`super::btree_bytes`] for the B-tree node model).
    pub(crate) fn heap_bytes(&self) -> usize {
        use super::btree_bytes;
        use std::mem::size_of;
        let consumers: usize = self
            .consumers()
            .map(|c| c.name.len() + btree_bytes::<StreamId, ()>(c.pending.len()))
            .sum();
        let names: usize = self.by_name.keys().map(|name| name.len()).sum();
        btree_bytes::<StreamId, PelEntry>(self.pel.len())
            + self.slots.capacity() * size_of::<Option<Consumer>>()
            + self.free_slots.capacity() * size_of::<u32>()
            + btree_bytes::<Box<[u8]>, u32>(self.by_name.len())
            + names
            + consumers
    }

    /// Checks the PEL/consumer-set agreement (tests only).
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let mut owned = 0;
        for (name, &slot) in &self.by_name {
            let consumer = self.slot(slot);
            assert_eq!(consumer.name, *name);
            for id in &consumer.pending {
                assert_eq!(self.pel[id].owner, slot, "owner mismatch for {id}");
            }
            owned += consumer.pending.len();
        }
        assert_eq!(owned, self.pel.len());
        let live_slots = self.slots.iter().filter(|s| s.is_some()).count();
        assert_eq!(live_slots, self.by_name.len());
        assert_eq!(live_slots + self.free_slots.len(), self.slots.len());
    }
}
