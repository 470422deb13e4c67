//! The entry log: the ordered index of blocks plus the stream-wide counters, and the range
//! iterator over it. Consumer groups are kept apart (in [`super::Stream`]) so that group
//! bookkeeping can borrow the log immutably while it mutates a group.

use std::collections::BTreeMap;
use std::collections::btree_map;

use super::block::{Block, BlockCursor, EntryRef};
use super::id::StreamId;
use super::node_limits;

/// Hard cap on a block's size whatever the configuration says (as Redis caps listpacks).
const MAX_BLOCK_BYTES: usize = 1 << 30;

#[derive(Clone, Default)]
pub(crate) struct EntryLog {
    /// Blocks keyed by their master ID (the ID of their first entry).
    pub(crate) blocks: BTreeMap<StreamId, Block>,
    /// Number of live entries.
    pub(crate) length: u64,
    /// Last generated ID (may be above every entry after deletions or XSETID).
    pub(crate) last_id: StreamId,
    /// First live ID, 0-0 when empty (XINFO's recorded-first-entry-id).
    pub(crate) first_id: StreamId,
    /// Greatest ID removed by XDEL-like deletions (not by trimming).
    pub(crate) max_deleted_id: StreamId,
    /// Entries ever added (or as set by XSETID).
    pub(crate) entries_added: u64,
}

impl EntryLog {
    /// Appends an entry whose ID the caller has validated (greater than `last_id`).
    pub(crate) fn append<T: AsRef<[u8]>>(&mut self, id: StreamId, fields_values: &[T]) {
        let (max_bytes, max_entries) = node_limits();
        let max_bytes = if max_bytes == 0 || max_bytes > MAX_BLOCK_BYTES {
            MAX_BLOCK_BYTES
        } else {
            max_bytes
        };
        let element_bytes: usize = fields_values.iter().map(|e| e.as_ref().len()).sum();
        let appended = match self.blocks.last_entry() {
            Some(mut tail) => {
                let block = tail.get_mut();
                let full = block.data.len() + element_bytes >= max_bytes
                    || (max_entries != 0 && block.total_entries() >= max_entries);
                if full {
                    // The block is closed for good: give back the growth slack.
                    block.data.shrink_to_fit();
                    false
                } else {
                    let same_fields = block.has_master_fields(fields_values);
                    block.push(id, fields_values, same_fields);
                    true
                }
            }
            None => false,
        };
        if !appended {
            self.blocks.insert(id, Block::new(id, fields_values));
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Heap bytes of the block index and of every block buffer (at capacity).
    pub(crate) fn heap_bytes(&self) -> usize {
        let buffers: usize = self.blocks.values().map(|b| b.data.capacity()).sum();
        super::btree_bytes::<StreamId, Block>(self.blocks.len()) + buffers
    }

    /// The block that may hold `id`: the one with the greatest master ID not above it.
    fn block_for(&self, id: StreamId) -> Option<(StreamId, &Block)> {
        self.blocks
            .range(..=id)
            .next_back()
            .map(|(&key, block)| (key, block))
    }

    pub(crate) fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        let (key, block) = self.block_for(id)?;
        for raw in block.entries(key) {
            if raw.deleted {
                continue;
            }
            if raw.id == id {
                return Some(raw.entry);
            }
            if raw.id > id {
                return None;
            }
        }
        None
    }

    pub(crate) fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// Marks the live entry `id` deleted (freeing its block if it was the block's last live
    /// entry). Does not touch `first_id` / `max_deleted_id`.
    pub(crate) fn remove(&mut self, id: StreamId) -> bool {
        let Some((&key, block)) = self.blocks.range_mut(..=id).next_back() else {
            return false;
        };
        let mut found = None;
        for raw in block.entries(key) {
            if raw.deleted {
                continue;
            }
            if raw.id == id {
                found = Some(raw.offset);
                break;
            }
            if raw.id > id {
                break;
            }
        }
        let Some(offset) = found else {
            return false;
        };
        block.mark_deleted(offset);
        if block.live == 0 {
            self.blocks.remove(&key);
        }
        self.length -= 1;
        true
    }

    pub(crate) fn first_live_id(&self) -> Option<StreamId> {
        let (&key, block) = self.blocks.first_key_value()?;
        block
            .entries(key)
            .find(|raw| !raw.deleted)
            .map(|raw| raw.id)
    }

    pub(crate) fn last_live_id(&self) -> Option<StreamId> {
        let (&key, block) = self.blocks.last_key_value()?;
        if !block.is_deleted_at(block.last_offset as usize) {
            return Some(block.last);
        }
        block
            .entries(key)
            .filter(|raw| !raw.deleted)
            .last()
            .map(|raw| raw.id)
    }

    /// Recomputes `first_id` after deletions, as Redis does.
    pub(crate) fn refresh_first_id(&mut self) {
        self.first_id = self.first_live_id().unwrap_or(StreamId::MIN);
    }

    pub(crate) fn range(&self, start: StreamId, end: StreamId, rev: bool) -> StreamRange<'_> {
        if start > end || self.blocks.is_empty() {
            return StreamRange {
                blocks: self.blocks.range(StreamId::MIN..StreamId::MIN),
                start,
                end,
                rev,
                forward: None,
                backward: Vec::new(),
                done: true,
            };
        }
        let blocks = if rev {
            self.blocks.range(..=end)
        } else {
            let first_key = self.block_for(start).map_or(start, |(key, _)| key);
            self.blocks.range(first_key..=end)
        };
        StreamRange {
            blocks,
            start,
            end,
            rev,
            forward: None,
            backward: Vec::new(),
            done: false,
        }
    }

    /// Whether a tombstone may lie at or after `start` (Redis's streamRangeHasTombstones with
    /// an open end).
    pub(crate) fn has_tombstones_from(&self, start: StreamId) -> bool {
        self.length > 0 && !self.max_deleted_id.is_zero() && start <= self.max_deleted_id
    }

    /// The logical read counter of `id` (how many entries had been added up to it), when it
    /// can be known without scanning; `None` when fragmentation makes it unknowable.
    pub(crate) fn estimate_distance(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if !id.is_zero() && id < self.max_deleted_id {
            return None;
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return Some(self.entries_added - self.length);
            }
            if id == self.first_id {
                return Some(self.entries_added - self.length + 1);
            }
        }
        None
    }

    /// A group's lag: entries not yet delivered to it, when known.
    pub(crate) fn lag(&self, last_delivered: StreamId, entries_read: Option<u64>) -> Option<i64> {
        let diff = |read: u64| (i128::from(self.entries_added) - i128::from(read)) as i64;
        if self.entries_added == 0 || self.length == 0 {
            return Some(0);
        }
        if last_delivered < self.first_id && self.max_deleted_id < self.first_id {
            return Some(self.length as i64);
        }
        if let Some(read) = entries_read
            && !self.has_tombstones_from(last_delivered)
        {
            return Some(diff(read));
        }
        self.estimate_distance(last_delivered).map(diff)
    }

    /// The number of nodes of the radix tree Redis would build over the block keys (16-byte
    /// big-endian IDs), for XINFO's radix-tree-nodes.
    pub(crate) fn radix_tree_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self
            .blocks
            .keys()
            .map(|id| {
                let mut key = [0u8; 16];
                key[..8].copy_from_slice(&id.ms.to_be_bytes());
                key[8..].copy_from_slice(&id.seq.to_be_bytes());
                key
            })
            .collect();
        if keys.is_empty() {
            return 1;
        }
        rax_subtree_nodes(&keys, 0)
    }
}

/// Nodes of the subtree starting at byte `depth` over sorted distinct equal-length keys that
/// share their first `depth` bytes: a chain node for a shared run (if any), then either a leaf
/// or a branching node whose children are subtrees.
fn rax_subtree_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    if depth == 16 {
        return 1;
    }
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    let mut shared = depth;
    while shared < 16 && first[shared] == last[shared] {
        shared += 1;
    }
    if shared == 16 {
        return 2;
    }
    let chain = usize::from(shared > depth);
    let mut nodes = chain + 1;
    let mut group_start = 0;
    for i in 1..=keys.len() {
        if i == keys.len() || keys[i][shared] != keys[group_start][shared] {
            nodes += rax_subtree_nodes(&keys[group_start..i], shared + 1);
            group_start = i;
        }
    }
    nodes
}

/// Iterator over live entries with `start <= id <= end`, ascending or (with `rev`)
/// descending. Items borrow the stream: `(id, entry)`.
pub struct StreamRange<'a> {
    blocks: btree_map::Range<'a, StreamId, Block>,
    start: StreamId,
    end: StreamId,
    rev: bool,
    forward: Option<BlockCursor<'a>>,
    /// Live entries `<= end` of the current block, ascending; consumed from the back.
    backward: Vec<(StreamId, EntryRef<'a>)>,
    done: bool,
}

impl<'a> StreamRange<'a> {
    fn next_forward(&mut self) -> Option<(StreamId, EntryRef<'a>)> {
        loop {
            if let Some(cursor) = &mut self.forward {
                for raw in cursor.by_ref() {
                    if raw.deleted || raw.id < self.start {
                        continue;
                    }
                    if raw.id > self.end {
                        self.done = true;
                        return None;
                    }
                    return Some((raw.id, raw.entry));
                }
                self.forward = None;
            }
            let (&key, block) = self.blocks.next()?;
            self.forward = Some(block.entries(key));
        }
    }

    fn next_backward(&mut self) -> Option<(StreamId, EntryRef<'a>)> {
        loop {
            if let Some((id, entry)) = self.backward.pop() {
                if id < self.start {
                    self.done = true;
                    return None;
                }
                return Some((id, entry));
            }
            let (&key, block) = self.blocks.next_back()?;
            let end = self.end;
            self.backward.extend(
                block
                    .entries(key)
                    .filter(|raw| !raw.deleted && raw.id <= end)
                    .map(|raw| (raw.id, raw.entry)),
            );
        }
    }
}

impl<'a> Iterator for StreamRange<'a> {
    type Item = (StreamId, EntryRef<'a>);

    fn next(&mut self) -> Option<(StreamId, EntryRef<'a>)> {
        if self.done {
            return None;
        }
        let item = if self.rev {
            self.next_backward()
        } else {
            self.next_forward()
        };
        if item.is_none() {
            self.done = true;
        }
        item
    }
}

impl std::iter::FusedIterator for StreamRange<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ms: u64, seq: u64) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&ms.to_be_bytes());
        k[8..].copy_from_slice(&seq.to_be_bytes());
        k
    }

    #[test]
    fn radix_node_counts_match_redis() {
        // Values observed with Redis 7.0 (XINFO STREAM radix-tree-nodes).
        assert_eq!(rax_subtree_nodes(&[key(1, 1)], 0), 2);
        assert_eq!(
            rax_subtree_nodes(&[key(1, 1), key(101, 1), key(201, 1)], 0),
            8
        );
        assert_eq!(rax_subtree_nodes(&[key(1, 1), key(201, 1)], 0), 6);
        // Keys differing only in the last byte: chain, branch, two leaves.
        assert_eq!(rax_subtree_nodes(&[key(1, 1), key(1, 2)], 0), 4);
    }
}
