//! The Redis list value: a deque of packed chunks (our take on Redis's quicklist of listpacks).
//!
//! # Representation
//!
//! A [`List`] is a `VecDeque<Chunk>`. A chunk owns one heap buffer holding many elements back to
//! back, each stored as an *entry*:
//!
//! ```text
//! [data length, LEB128 varint][data bytes][the same varint bytes in reverse order]
//! ```
//!
//! The leading varint lets us step forwards; the trailing copy is laid out so that reading it
//! from its last byte (low 7 bits first, high bit = "more bytes to the left") gives the length,
//! so we can step backwards from the end of any entry without rescanning the chunk. An element
//! shorter than 128 bytes costs 2 bytes of overhead, like a string entry of a Redis listpack, and
//! there is no per-element allocation: a million 16-byte items take ~18 MB.
//!
//! The live entries of a chunk occupy `buf[start..end]`; free space may lie on both sides. Pushing
//! or popping at either end of a chunk is therefore a copy of the element plus an offset update,
//! never a memmove of the chunk. When the side that needs room runs out, the chunk is re-laid out
//! (in place or into a buffer of about twice the live size, capped at the chunk byte limit) with
//! most of the free space on the side that needs it and at most a quarter of it kept on the other,
//! so pushes at either end stay amortised O(1), also when both ends of one chunk are used. A buffer
//! less than a quarter full is shrunk, so popped-from chunks give memory back.
//!
//! Chunk size follows Redis's `list-max-listpack-size` ([`LIST_MAX_LISTPACK_SIZE`]): -1..-5 cap a
//! chunk at 4..64 KiB, a positive value caps its entry count (with an 8 KiB byte safety limit).
//! Chunks of a quicklist fill the byte limit with entries (they have no header to pay for). When
//! deciding the *encoding*, the size compared with the limit is what a listpack of the same
//! entries would report, our bytes plus listpack's 7 bytes of header and terminator, so for
//! ordinary string data the listpack/quicklist switch happens at the same sizes as in Redis. An
//! element too large for any chunk by itself (Redis's "plain node") gets a chunk of its own and
//! never shares it.
//!
//! Encoding reported to OBJECT ENCODING: Redis 7.2 keeps a small list as one bare listpack and
//! converts it to a quicklist when an addition would exceed the limit (checked with the raw size of
//! what is being added, before adding, also by LSET). It converts back only on shrinking
//! operations (pops, LREM, LTRIM, LSET), when a single non-plain node of at most half the limit
//! remains. We mirror that with the `quicklist` flag; the chunk layout itself is identical in
//! both modes, except that in listpack mode everything goes into the single chunk.
//!
//! # Invariants
//!
//! - No chunk is empty, and `len` is the sum of the chunk entry counts.
//! - Not in quicklist mode (`quicklist == false`) means at most one chunk.
//! - An empty list has no chunks, owns no heap memory and is in listpack mode.
//! - In quicklist mode a chunk holding an element that is large under the limit in force when it
//!   was stored holds nothing else.
//!
//! Indexing walks the per-chunk counts from the nearer end of the list, then entries from the
//! nearer end of the chunk: O(chunks + entries per chunk), never scanning other chunks' bytes.

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;
use std::num::NonZeroI64;
use std::sync::atomic::{AtomicI64, Ordering};

/// `list-max-listpack-size`: negative values -1..-5 limit a chunk to 4/8/16/32/64 KiB (values
/// below -5 act as -5), positive values limit a chunk's element count (0 acts as 1). Read by every
/// mutating method, so `CONFIG SET` only needs to store a new value here.
pub static LIST_MAX_LISTPACK_SIZE: AtomicI64 = AtomicI64::new(-2);

/// Bytes of header and terminator in a Redis listpack, added to our encoded size when deciding
/// the encoding, so that a list converts at the size where Redis's listpack would.
const LISTPACK_OVERHEAD: usize = 7;
/// Byte cap on a chunk when the limit counts entries (Redis's SIZE_SAFETY_LIMIT).
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Byte limits for `list-max-listpack-size` -1..-5.
const NEGATIVE_FILL_BYTE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Smallest buffer a chunk is grown to (a fresh chunk is sized exactly for its first entry).
const MIN_GROWN_CAPACITY: usize = 32;
/// Buffers at or below this size are never shrunk.
const MIN_SHRINKABLE_CAPACITY: usize = 64;

/// The chunk limit in force, decoded from [`LIST_MAX_LISTPACK_SIZE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChunkLimit {
    /// At most this many bytes per chunk (compared with a chunk's entry bytes, or with its
    /// listpack-equivalent size when deciding the encoding).
    Bytes(usize),
    /// At most this many entries per chunk, and at most `SIZE_SAFETY_LIMIT` bytes.
    Entries(usize),
}

#[cfg(test)]
thread_local! {
    /// Lets a unit test choose the limit for its own thread without touching the global, which
    /// other tests of the crate read concurrently.
    static TEST_FILL_OVERRIDE: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

impl ChunkLimit {
    fn current() -> Self {
        #[cfg(test)]
        if let Some(fill) = TEST_FILL_OVERRIDE.with(|f| f.get()) {
            return Self::from_fill(fill);
        }
        Self::from_fill(LIST_MAX_LISTPACK_SIZE.load(Ordering::Relaxed))
    }

    fn from_fill(fill: i64) -> Self {
        if fill >= 0 {
            ChunkLimit::Entries(usize::try_from(fill).unwrap_or(usize::MAX).max(1))
        } else {
            let level = usize::try_from(fill.unsigned_abs() - 1).unwrap_or(usize::MAX);
            ChunkLimit::Bytes(
                NEGATIVE_FILL_BYTE_LIMITS[level.min(NEGATIVE_FILL_BYTE_LIMITS.len() - 1)],
            )
        }
    }

    /// Whether `bytes` bytes in `count` entries are over the limit.
    fn exceeded_by(self, bytes: usize, count: usize) -> bool {
        match self {
            ChunkLimit::Bytes(max) => bytes > max,
            ChunkLimit::Entries(max) => bytes > SIZE_SAFETY_LIMIT || count > max,
        }
    }

    /// Whether an element of `len` bytes must live alone in its own chunk (a "plain node").
    fn is_large(self, len: usize) -> bool {
        match self {
            ChunkLimit::Bytes(max) => len > max,
            ChunkLimit::Entries(_) => len > SIZE_SAFETY_LIMIT,
        }
    }

    /// Largest buffer worth reserving for a chunk that is still being filled.
    fn buffer_capacity(self) -> usize {
        match self {
            ChunkLimit::Bytes(max) => max,
            ChunkLimit::Entries(_) => SIZE_SAFETY_LIMIT,
        }
    }

    /// Redis's shrinking rule: a single chunk goes back to listpack encoding only when it is
    /// within half the limit, so alternating push/pop at the threshold does not flip encodings.
    fn allows_listpack_after_shrink(self, bytes: usize, count: usize) -> bool {
        match self {
            ChunkLimit::Bytes(max) => bytes <= max / 2,
            ChunkLimit::Entries(max) => count <= max / 2,
        }
    }

    /// Whether two neighbouring chunks with these combined totals should become one. Only 3/4 of
    /// the limit, so that an insert splitting a full chunk and a removal right after it do not
    /// split and merge the same bytes over and over.
    fn allows_merge(self, bytes: usize, count: usize) -> bool {
        match self {
            ChunkLimit::Bytes(max) => bytes <= max / 4 * 3,
            ChunkLimit::Entries(max) => {
                count <= max / 4 * 3 + (max % 4) * 3 / 4 && bytes <= SIZE_SAFETY_LIMIT / 4 * 3
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Entry codec
// ---------------------------------------------------------------------------------------------

/// Bytes taken by the LEB128 varint of `n`.
fn varint_len(n: usize) -> usize {
    (usize::BITS - (n | 1).leading_zeros()).div_ceil(7) as usize
}

/// Bytes taken by the entry of an element of `data_len` bytes.
fn encoded_len(data_len: usize) -> usize {
    data_len + 2 * varint_len(data_len)
}

/// Writes the entry of `data` into `dst`, which must be exactly `encoded_len(data.len())` long.
fn write_entry(dst: &mut [u8], data: &[u8]) {
    if let Ok(short @ 0..=0x7f) = u8::try_from(data.len()) {
        // One-byte varints: the common case for queue items.
        let (first, rest) = dst.split_first_mut().expect("entry has a header");
        let (last, middle) = rest.split_last_mut().expect("entry has a trailer");
        *first = short;
        *last = short;
        middle.copy_from_slice(data);
        return;
    }
    let header_len = varint_len(data.len());
    let total = dst.len();
    debug_assert_eq!(total, data.len() + 2 * header_len);
    let mut rest = data.len();
    for i in 0..header_len {
        let mut byte = (rest & 0x7f) as u8;
        rest >>= 7;
        if i + 1 < header_len {
            byte |= 0x80;
        }
        dst[i] = byte;
        dst[total - 1 - i] = byte;
    }
    dst[header_len..header_len + data.len()].copy_from_slice(data);
}

/// Decodes the header of the entry starting at `entry_start`: (data start, data length).
fn read_header(buf: &[u8], entry_start: usize) -> (usize, usize) {
    let first = buf[entry_start];
    if first < 0x80 {
        return (entry_start + 1, usize::from(first));
    }
    let mut len = 0usize;
    let mut shift = 0;
    let mut pos = entry_start;
    loop {
        let byte = buf[pos];
        pos += 1;
        len |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (pos, len);
        }
        shift += 7;
    }
}

/// Decodes the trailer of the entry ending at `entry_end`: (entry start, data start, data length).
fn read_trailer(buf: &[u8], entry_end: usize) -> (usize, usize, usize) {
    let last = buf[entry_end - 1];
    if last < 0x80 {
        let data_start = entry_end - 1 - usize::from(last);
        return (data_start - 1, data_start, usize::from(last));
    }
    let mut len = 0usize;
    let mut shift = 0;
    let mut pos = entry_end;
    loop {
        pos -= 1;
        let byte = buf[pos];
        len |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let header_len = entry_end - pos;
    let data_start = pos - len;
    (data_start - header_len, data_start, len)
}

// ---------------------------------------------------------------------------------------------
// Chunk
// ---------------------------------------------------------------------------------------------

/// One packed run of entries; see the module comment. `buf.len()` is the capacity.
#[derive(Clone)]
struct Chunk {
    buf: Box<[u8]>,
    /// Offset of the first live entry.
    start: usize,
    /// Offset just past the last live entry.
    end: usize,
    /// Number of live entries.
    count: usize,
}

impl Chunk {
    fn with_entry(data: &[u8]) -> Self {
        let mut buf = vec![0u8; encoded_len(data.len())].into_boxed_slice();
        write_entry(&mut buf, data);
        let end = buf.len();
        Chunk {
            buf,
            start: 0,
            end,
            count: 1,
        }
    }

    fn live_len(&self) -> usize {
        self.end - self.start
    }

    fn live_bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Size the same entries would have as a Redis listpack (what encoding decisions compare
    /// with the limit).
    fn listpack_bytes(&self) -> usize {
        self.live_len() + LISTPACK_OVERHEAD
    }

    /// The element whose entry starts at `entry_start`, and the offset of the next entry.
    fn entry_at(&self, entry_start: usize) -> (&[u8], usize) {
        let (data_start, data_len) = read_header(&self.buf, entry_start);
        let data_end = data_start + data_len;
        (
            &self.buf[data_start..data_end],
            data_end + (data_start - entry_start),
        )
    }

    /// The element whose entry ends at `entry_end`, and the offset where that entry starts.
    fn entry_before(&self, entry_end: usize) -> (&[u8], usize) {
        let (entry_start, data_start, data_len) = read_trailer(&self.buf, entry_end);
        (&self.buf[data_start..data_start + data_len], entry_start)
    }

    fn next_offset(&self, entry_start: usize) -> usize {
        let (data_start, data_len) = read_header(&self.buf, entry_start);
        data_start + data_len + (data_start - entry_start)
    }

    /// Start offset of entry `i` (`end` when `i == count`), walking from the nearer end.
    fn offset_of(&self, i: usize) -> usize {
        debug_assert!(i <= self.count);
        if i <= self.count / 2 {
            let mut offset = self.start;
            for _ in 0..i {
                offset = self.next_offset(offset);
            }
            offset
        } else {
            let mut offset = self.end;
            for _ in i..self.count {
                offset = read_trailer(&self.buf, offset).0;
            }
            offset
        }
    }

    fn get(&self, i: usize) -> &[u8] {
        self.entry_at(self.offset_of(i)).0
    }

    fn first(&self) -> &[u8] {
        self.entry_at(self.start).0
    }

    fn last(&self) -> &[u8] {
        self.entry_before(self.end).0
    }

    /// A chunk holding a single element that is too large to share a chunk.
    fn is_plain(&self, limit: ChunkLimit) -> bool {
        self.count == 1 && limit.is_large(self.first().len())
    }

    /// Whether an element of `data_len` bytes may be added without exceeding the limit.
    fn accepts(&self, limit: ChunkLimit, data_len: usize) -> bool {
        !limit.is_large(data_len)
            && !limit.exceeded_by(self.live_len() + encoded_len(data_len), self.count + 1)
    }

    /// Makes the entry-aligned byte range `from..to` of the live area exactly `gap` bytes long
    /// and returns where it now starts; the caller fills it. Moves only the smaller side of the
    /// live area when the room on that side allows, otherwise re-lays the chunk out.
    fn open_gap(&mut self, from: usize, to: usize, gap: usize, capacity_limit: usize) -> usize {
        let old = to - from;
        let left_len = from - self.start;
        let right_len = self.end - to;
        if gap <= old {
            let excess = old - gap;
            if excess == 0 {
                return from;
            }
            if left_len <= right_len {
                self.buf.copy_within(self.start..from, self.start + excess);
                self.start += excess;
                return from + excess;
            }
            self.buf.copy_within(to..self.end, to - excess);
            self.end -= excess;
            return from;
        }
        let extra = gap - old;
        if left_len <= right_len && self.start >= extra {
            self.buf.copy_within(self.start..from, self.start - extra);
            self.start -= extra;
            return from - extra;
        }
        if right_len <= left_len && self.buf.len() - self.end >= extra {
            self.buf.copy_within(to..self.end, to + extra);
            self.end += extra;
            return from;
        }
        self.relayout(from, to, gap, capacity_limit)
    }

    /// Slow path of `open_gap` when it must grow: choose a capacity of about twice the new live
    /// size (capped at `capacity_limit` unless the live data alone is bigger), distribute the
    /// free space, and move the two sides of the gap there (in place if the capacity is
    /// unchanged).
    fn relayout(&mut self, from: usize, to: usize, gap: usize, capacity_limit: usize) -> usize {
        let left_len = from - self.start;
        let right_len = self.end - to;
        let live_after = left_len + gap + right_len;
        let new_capacity = (2 * live_after)
            .max(MIN_GROWN_CAPACITY)
            .min(capacity_limit.max(live_after));
        let slack = new_capacity - live_after;
        let head_room = self.start;
        let tail_room = self.buf.len() - self.end;
        let new_start = if right_len == 0 {
            // Growing at the back: keep at most a quarter of the slack in front.
            head_room.min(slack / 4)
        } else if left_len == 0 {
            // Growing at the front: keep at most a quarter of the slack behind.
            slack - tail_room.min(slack / 4)
        } else {
            slack / 2
        };
        let new_right_start = new_start + left_len + gap;
        if new_capacity == self.buf.len() {
            // Order the two moves so that neither overwrites bytes the other still has to move:
            // when the left part moves right, the right part (which then moves right by more)
            // goes first; otherwise the left part moves left first, into free space.
            if new_start > self.start {
                self.buf.copy_within(to..self.end, new_right_start);
                self.buf.copy_within(self.start..from, new_start);
            } else {
                self.buf.copy_within(self.start..from, new_start);
                self.buf.copy_within(to..self.end, new_right_start);
            }
        } else {
            let mut buf = vec![0u8; new_capacity].into_boxed_slice();
            buf[new_start..new_start + left_len].copy_from_slice(&self.buf[self.start..from]);
            buf[new_right_start..new_right_start + right_len]
                .copy_from_slice(&self.buf[to..self.end]);
            self.buf = buf;
        }
        self.start = new_start;
        self.end = new_right_start + right_len;
        new_start + left_len
    }

    /// Gives memory back once the buffer is less than a quarter full.
    fn shrink_if_sparse(&mut self) {
        let live = self.live_len();
        if self.count == 0
            || self.buf.len() <= MIN_SHRINKABLE_CAPACITY
            || live * 4 >= self.buf.len()
        {
            return;
        }
        let new_capacity = (2 * live).max(MIN_GROWN_CAPACITY);
        let new_start = (new_capacity - live) / 2;
        let mut buf = vec![0u8; new_capacity].into_boxed_slice();
        buf[new_start..new_start + live].copy_from_slice(self.live_bytes());
        self.buf = buf;
        self.start = new_start;
        self.end = new_start + live;
    }

    /// Inserts `data` as entry `i` (0 ≤ i ≤ count).
    fn insert(&mut self, i: usize, data: &[u8], capacity_limit: usize) {
        let offset = self.offset_of(i);
        self.insert_at_offset(offset, data, capacity_limit);
    }

    fn insert_at_offset(&mut self, offset: usize, data: &[u8], capacity_limit: usize) {
        let len = encoded_len(data.len());
        let at = self.open_gap(offset, offset, len, capacity_limit);
        write_entry(&mut self.buf[at..at + len], data);
        self.count += 1;
    }

    fn push_back(&mut self, data: &[u8], capacity_limit: usize) {
        let len = encoded_len(data.len());
        if self.buf.len() - self.end >= len {
            write_entry(&mut self.buf[self.end..self.end + len], data);
            self.end += len;
            self.count += 1;
        } else {
            self.insert_at_offset(self.end, data, capacity_limit);
        }
    }

    fn push_front(&mut self, data: &[u8], capacity_limit: usize) {
        let len = encoded_len(data.len());
        if self.start >= len {
            self.start -= len;
            write_entry(&mut self.buf[self.start..self.start + len], data);
            self.count += 1;
        } else {
            self.insert_at_offset(self.start, data, capacity_limit);
        }
    }

    fn pop_front(&mut self) -> Vec<u8> {
        let (data, next) = self.entry_at(self.start);
        let value = data.to_vec();
        self.start = next;
        self.count -= 1;
        self.shrink_if_sparse();
        value
    }

    fn pop_back(&mut self) -> Vec<u8> {
        let (data, entry_start) = self.entry_before(self.end);
        let value = data.to_vec();
        self.end = entry_start;
        self.count -= 1;
        self.shrink_if_sparse();
        value
    }

    fn remove(&mut self, i: usize) -> Vec<u8> {
        let offset = self.offset_of(i);
        let (data, next) = self.entry_at(offset);
        let value = data.to_vec();
        self.open_gap(offset, next, 0, 0);
        self.count -= 1;
        self.shrink_if_sparse();
        value
    }

    /// Replaces the entry starting at `offset` with `data`.
    fn replace_at_offset(&mut self, offset: usize, data: &[u8], capacity_limit: usize) {
        let next = self.next_offset(offset);
        let len = encoded_len(data.len());
        let at = self.open_gap(offset, next, len, capacity_limit);
        write_entry(&mut self.buf[at..at + len], data);
        self.shrink_if_sparse();
    }

    /// Drops the first `n` entries (n < count).
    fn drop_front(&mut self, n: usize) {
        self.start = self.offset_of(n);
        self.count -= n;
        self.shrink_if_sparse();
    }

    /// Drops the last `n` entries (n < count).
    fn drop_back(&mut self, n: usize) {
        self.end = self.offset_of(self.count - n);
        self.count -= n;
        self.shrink_if_sparse();
    }

    /// Moves entries `i..` into a new chunk.
    fn split_off(&mut self, i: usize) -> Chunk {
        let offset = self.offset_of(i);
        let right = Chunk {
            buf: self.buf[offset..self.end].into(),
            start: 0,
            end: self.end - offset,
            count: self.count - i,
        };
        self.end = offset;
        self.count = i;
        self.shrink_if_sparse();
        right
    }

    /// Appends all entries of `other` after ours.
    fn append(&mut self, other: &Chunk, capacity_limit: usize) {
        let len = other.live_len();
        let at = self.open_gap(self.end, self.end, len, capacity_limit);
        self.buf[at..at + len].copy_from_slice(other.live_bytes());
        self.count += other.count;
    }

    /// Puts all entries of `other` before ours.
    fn prepend(&mut self, other: &Chunk, capacity_limit: usize) {
        let len = other.live_len();
        let at = self.open_gap(self.start, self.start, len, capacity_limit);
        self.buf[at..at + len].copy_from_slice(other.live_bytes());
        self.count += other.count;
    }

    /// Index of the first entry equal to `value`.
    fn find(&self, value: &[u8]) -> Option<usize> {
        let mut offset = self.start;
        let mut i = 0;
        while offset < self.end {
            let (data, next) = self.entry_at(offset);
            if data == value {
                return Some(i);
            }
            offset = next;
            i += 1;
        }
        None
    }

    /// Removes up to `max` entries equal to `value`, scanning from the front; returns how many.
    /// Kept entries slide down over the removed ones in one pass.
    fn remove_matching_forward(&mut self, value: &[u8], max: usize) -> usize {
        let (mut read, mut write, mut removed) = (self.start, self.start, 0);
        while read < self.end && removed < max {
            let (data, next) = self.entry_at(read);
            if data == value {
                removed += 1;
            } else {
                if write != read {
                    self.buf.copy_within(read..next, write);
                }
                write += next - read;
            }
            read = next;
        }
        if removed > 0 {
            self.buf.copy_within(read..self.end, write);
            self.end = write + (self.end - read);
            self.count -= removed;
            self.shrink_if_sparse();
        }
        removed
    }

    /// Like `remove_matching_forward`, scanning from the back; kept entries slide up.
    fn remove_matching_backward(&mut self, value: &[u8], max: usize) -> usize {
        let (mut read, mut write, mut removed) = (self.end, self.end, 0);
        while read > self.start && removed < max {
            let (data, entry_start) = self.entry_before(read);
            if data == value {
                removed += 1;
            } else {
                let len = read - entry_start;
                if write != read {
                    self.buf.copy_within(entry_start..read, write - len);
                }
                write -= len;
            }
            read = entry_start;
        }
        if removed > 0 {
            let len = read - self.start;
            self.buf.copy_within(self.start..read, write - len);
            self.start = write - len;
            self.count -= removed;
            self.shrink_if_sparse();
        }
        removed
    }
}

// ---------------------------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------------------------

/// A Redis list value; see the module documentation for the representation.
#[derive(Clone, Default)]
pub struct List {
    chunks: VecDeque<Chunk>,
    len: usize,
    /// OBJECT ENCODING would say "quicklist" (else "listpack", and there is at most one chunk).
    quicklist: bool,
}

impl List {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// RPUSH one element.
    pub fn push_back(&mut self, value: &[u8]) {
        let limit = ChunkLimit::current();
        self.convert_if_growing(limit, value.len());
        let single_chunk = !self.quicklist;
        match self.chunks.back_mut() {
            Some(last) if single_chunk || last.accepts(limit, value.len()) => {
                last.push_back(value, limit.buffer_capacity());
            }
            _ => self.insert_chunk(self.chunks.len(), Chunk::with_entry(value)),
        }
        self.len += 1;
    }

    /// LPUSH one element.
    pub fn push_front(&mut self, value: &[u8]) {
        let limit = ChunkLimit::current();
        self.convert_if_growing(limit, value.len());
        let single_chunk = !self.quicklist;
        match self.chunks.front_mut() {
            Some(first) if single_chunk || first.accepts(limit, value.len()) => {
                first.push_front(value, limit.buffer_capacity());
            }
            _ => self.insert_chunk(0, Chunk::with_entry(value)),
        }
        self.len += 1;
    }

    /// LPOP one element.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let first = self.chunks.front_mut()?;
        let value = first.pop_front();
        if first.count == 0 {
            self.chunks.pop_front();
        }
        self.len -= 1;
        self.after_shrinking(ChunkLimit::current());
        Some(value)
    }

    /// RPOP one element.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let last = self.chunks.back_mut()?;
        let value = last.pop_back();
        if last.count == 0 {
            self.chunks.pop_back();
        }
        self.len -= 1;
        self.after_shrinking(ChunkLimit::current());
        Some(value)
    }

    pub fn front(&self) -> Option<&[u8]> {
        self.chunks.front().map(Chunk::first)
    }

    pub fn back(&self) -> Option<&[u8]> {
        self.chunks.back().map(Chunk::last)
    }

    /// LINDEX with a non-negative index.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len {
            return None;
        }
        let (chunk, i) = self.locate(index);
        Some(self.chunks[chunk].get(i))
    }

    /// LSET; returns false (and changes nothing) if `index` is out of range.
    pub fn set(&mut self, index: usize, value: &[u8]) -> bool {
        if index >= self.len {
            return false;
        }
        let limit = ChunkLimit::current();
        // Redis checks LSET like an addition of one element (so a listpack exactly at a
        // positive count limit converts), then applies the shrinking rule afterwards.
        self.convert_if_growing(limit, value.len());
        let (ci, i) = self.locate(index);
        let chunk = &mut self.chunks[ci];
        let offset = chunk.offset_of(i);
        let fits_in_place = !self.quicklist
            || chunk.count == 1
            || (!limit.is_large(value.len()) && {
                let old_len = chunk.next_offset(offset) - offset;
                let new_bytes = chunk.live_len() - old_len + encoded_len(value.len());
                !limit.exceeded_by(new_bytes, chunk.count)
            });
        if fits_in_place {
            chunk.replace_at_offset(offset, value, limit.buffer_capacity());
        } else {
            chunk.remove(i);
            self.insert_into_chunks(ci, i, value, limit);
        }
        self.after_shrinking(limit);
        true
    }

    /// Inserts `value` before position `index`; `index == len()` appends (LINSERT).
    ///
    /// # Panics
    ///
    /// If `index > len()`.
    pub fn insert(&mut self, index: usize, value: &[u8]) {
        assert!(
            index <= self.len,
            "insertion index (is {index}) should be <= len (is {})",
            self.len
        );
        if index == self.len {
            return self.push_back(value);
        }
        if index == 0 {
            return self.push_front(value);
        }
        let limit = ChunkLimit::current();
        self.convert_if_growing(limit, value.len());
        let (ci, i) = self.locate(index);
        if self.quicklist {
            self.insert_into_chunks(ci, i, value, limit);
        } else {
            self.chunks[ci].insert(i, value, limit.buffer_capacity());
        }
        self.len += 1;
    }

    /// Removes and returns the element at `index`, or `None` if out of range.
    pub fn remove(&mut self, index: usize) -> Option<Vec<u8>> {
        if index >= self.len {
            return None;
        }
        let limit = ChunkLimit::current();
        let (ci, i) = self.locate(index);
        let value = self.chunks[ci].remove(i);
        self.len -= 1;
        if self.chunks[ci].count == 0 {
            self.chunks.remove(ci);
            // The chunks that bordered it (say a plain element's) may now fit together.
            if ci > 0 && ci < self.chunks.len() {
                self.merge_pair_if_small(ci - 1, limit);
            }
        } else if self.quicklist {
            if ci + 1 < self.chunks.len() {
                self.merge_pair_if_small(ci, limit);
            }
            if ci > 0 {
                self.merge_pair_if_small(ci - 1, limit);
            }
        }
        self.after_shrinking(limit);
        Some(value)
    }

    /// Index of the first element equal to `value`, scanning from the head (LINSERT's pivot).
    pub fn position(&self, value: &[u8]) -> Option<usize> {
        let mut base = 0;
        for chunk in &self.chunks {
            if let Some(i) = chunk.find(value) {
                return Some(base + i);
            }
            base += chunk.count;
        }
        None
    }

    /// LPOS: head-based indexes of the elements equal to `value`, in scan order.
    ///
    /// A positive `rank` scans from the head, a negative one from the tail; the first
    /// `|rank| - 1` matches are skipped. `max_matches` caps the result (0 = no cap; LPOS without
    /// COUNT passes 1 and replies with the only index or nil). `max_scanned` caps how many
    /// elements are compared (MAXLEN; 0 = all).
    pub fn positions(
        &self,
        value: &[u8],
        rank: NonZeroI64,
        max_matches: usize,
        max_scanned: usize,
    ) -> Vec<usize> {
        let skip = usize::try_from(rank.get().unsigned_abs() - 1).unwrap_or(usize::MAX);
        let max_matches = if max_matches == 0 {
            usize::MAX
        } else {
            max_matches
        };
        let max_scanned = if max_scanned == 0 {
            usize::MAX
        } else {
            max_scanned
        };
        let mut found = Vec::new();
        let mut matches = 0usize;
        let mut visit = |index: usize, element: &[u8]| {
            if element == value {
                if matches >= skip {
                    found.push(index);
                }
                matches += 1;
            }
            found.len() < max_matches
        };
        if rank.get() > 0 {
            for (index, element) in self.iter().take(max_scanned).enumerate() {
                if !visit(index, element) {
                    break;
                }
            }
        } else {
            let last = self.len.wrapping_sub(1);
            for (steps, element) in self.iter().rev().take(max_scanned).enumerate() {
                if !visit(last - steps, element) {
                    break;
                }
            }
        }
        found
    }

    /// All elements, head to tail (double-ended: `.rev()` gives tail to head).
    pub fn iter(&self) -> Iter<'_> {
        match (self.chunks.front(), self.chunks.back()) {
            (Some(first), Some(last)) => Iter {
                chunks: &self.chunks,
                front: Cursor {
                    chunk: 0,
                    offset: first.start,
                },
                back: Cursor {
                    chunk: self.chunks.len() - 1,
                    offset: last.end,
                },
                remaining: self.len,
            },
            _ => Iter::empty(&self.chunks),
        }
    }

    /// Elements from `index` to the tail (LRANGE); empty if `index >= len()`.
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        if index >= self.len {
            return Iter::empty(&self.chunks);
        }
        let (ci, i) = self.locate(index);
        let last = self.chunks.len() - 1;
        Iter {
            chunks: &self.chunks,
            front: Cursor {
                chunk: ci,
                offset: self.chunks[ci].offset_of(i),
            },
            back: Cursor {
                chunk: last,
                offset: self.chunks[last].end,
            },
            remaining: self.len - index,
        }
    }

    /// Elements from `index` back to the head, `index` included (RPOP/BRPOP with a count,
    /// reversed ranges); empty if `index >= len()`.
    pub fn iter_rev_from(&self, index: usize) -> RevIter<'_> {
        if index >= self.len {
            return RevIter(Iter::empty(&self.chunks));
        }
        let (ci, i) = self.locate(index);
        RevIter(Iter {
            chunks: &self.chunks,
            front: Cursor {
                chunk: 0,
                offset: self.chunks[0].start,
            },
            back: Cursor {
                chunk: ci,
                offset: self.chunks[ci].offset_of(i + 1),
            },
            remaining: index + 1,
        })
    }

    /// LTRIM with non-negative indexes: keeps `start..=end` (an `end` past the tail means the
    /// tail); empties the list if `start > end` or `start >= len()`.
    pub fn trim(&mut self, start: usize, end: usize) {
        if start > end || start >= self.len {
            self.clear();
            return;
        }
        let keep = end.min(self.len - 1) - start + 1;
        let drop_back = self.len - start - keep;
        self.drop_front(start);
        self.drop_back(drop_back);
        self.after_shrinking(ChunkLimit::current());
    }

    /// LREM: removes elements equal to `value`, at most `count` from the head if `count > 0`,
    /// at most `-count` from the tail if `count < 0`, all if 0. Returns how many were removed.
    pub fn remove_matching(&mut self, value: &[u8], count: i64) -> usize {
        let max = match count {
            0 => usize::MAX,
            _ => usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX),
        };
        let mut removed = 0;
        if count >= 0 {
            for chunk in self.chunks.iter_mut() {
                if removed == max {
                    break;
                }
                removed += chunk.remove_matching_forward(value, max - removed);
            }
        } else {
            for chunk in self.chunks.iter_mut().rev() {
                if removed == max {
                    break;
                }
                removed += chunk.remove_matching_backward(value, max - removed);
            }
        }
        if removed > 0 {
            let limit = ChunkLimit::current();
            self.chunks.retain(|chunk| chunk.count > 0);
            self.len -= removed;
            if self.quicklist {
                let mut left = 0;
                while left + 1 < self.chunks.len() {
                    if !self.merge_pair_if_small(left, limit) {
                        left += 1;
                    }
                }
            }
            self.after_shrinking(limit);
        }
        removed
    }

    /// Removes everything and frees all heap memory.
    pub fn clear(&mut self) {
        *self = List::new();
    }

    /// Heap bytes owned by the list (buffers at full capacity plus the chunk deque), excluding
    /// `size_of::<List>()` itself and allocator overhead.
    pub fn mem_usage(&self) -> usize {
        self.chunks.capacity() * size_of::<Chunk>()
            + self
                .chunks
                .iter()
                .map(|chunk| chunk.buf.len())
                .sum::<usize>()
    }

    /// What OBJECT ENCODING reports: "listpack" or "quicklist".
    pub fn encoding(&self) -> &'static str {
        if self.quicklist {
            "quicklist"
        } else {
            "listpack"
        }
    }

    /// Number of chunks (quicklist nodes).
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    // -- internals --------------------------------------------------------------------------

    /// Listpack → quicklist before adding an element of `added_len` bytes (Redis's
    /// listTypeTryConvertListpack): raw size and count + 1 are checked, as Redis does.
    fn convert_if_growing(&mut self, limit: ChunkLimit, added_len: usize) {
        if self.quicklist {
            return;
        }
        let bytes = self
            .chunks
            .front()
            .map_or(LISTPACK_OVERHEAD, Chunk::listpack_bytes);
        if limit.exceeded_by(bytes + added_len, self.len + 1) {
            self.quicklist = true;
        }
    }

    /// Quicklist → listpack after a removal (Redis's listTypeTryConvertQuicklist with
    /// `shrinking`); also returns an emptied list to its initial state and trims a chunk deque
    /// that lost most of its chunks.
    fn after_shrinking(&mut self, limit: ChunkLimit) {
        if self.len == 0 {
            self.clear();
            return;
        }
        if self.quicklist && self.chunks.len() == 1 {
            let only = &self.chunks[0];
            if !only.is_plain(limit)
                && limit.allows_listpack_after_shrink(only.listpack_bytes(), only.count)
            {
                self.quicklist = false;
            }
        }
        if self.chunks.capacity() > 16 && self.chunks.len() * 4 < self.chunks.capacity() {
            self.chunks.shrink_to(self.chunks.len() * 2);
        }
    }

    fn insert_chunk(&mut self, at: usize, chunk: Chunk) {
        if self.chunks.len() == self.chunks.capacity() {
            // Grow the deque by a quarter instead of doubling it: most lists have one chunk (no
            // room for four wanted), and in long lists a new chunk comes only every few KiB of
            // data, so the extra copying is negligible while the slack stays under 25%.
            self.chunks.reserve_exact((self.chunks.len() / 4).max(1));
        }
        self.chunks.insert(at, chunk);
    }

    /// (chunk index, index within chunk) of element `index < len`, skipping whole chunks by
    /// their counts from the nearer end. Loops over the deque's two slices directly: this is
    /// the O(chunks) part of LINDEX/LSET/LINSERT on long lists, so it should be a tight loop.
    fn locate(&self, index: usize) -> (usize, usize) {
        debug_assert!(index < self.len);
        let (head, tail) = self.chunks.as_slices();
        if index < self.len / 2 {
            let mut rest = index;
            for (base, part) in [(0, head), (head.len(), tail)] {
                for (ci, chunk) in part.iter().enumerate() {
                    if rest < chunk.count {
                        return (base + ci, rest);
                    }
                    rest -= chunk.count;
                }
            }
        } else {
            let mut rest = self.len - 1 - index;
            for (base, part) in [(head.len(), tail), (0, head)] {
                for (ci, chunk) in part.iter().enumerate().rev() {
                    if rest < chunk.count {
                        return (base + ci, chunk.count - 1 - rest);
                    }
                    rest -= chunk.count;
                }
            }
        }
        unreachable!("chunk counts add up to len");
    }

    /// Quicklist-mode insertion of `value` as entry `i` (0 ≤ i ≤ count) of chunk `ci`: into
    /// that chunk if it has room, else into the neighbour it borders, else into a chunk of its
    /// own, splitting chunk `ci` when inserting inside it. Does not update `len`.
    fn insert_into_chunks(&mut self, ci: usize, i: usize, value: &[u8], limit: ChunkLimit) {
        let capacity = limit.buffer_capacity();
        let count = self.chunks[ci].count;
        if self.chunks[ci].accepts(limit, value.len()) {
            self.chunks[ci].insert(i, value, capacity);
        } else if i == 0 {
            match ci.checked_sub(1) {
                Some(prev) if self.chunks[prev].accepts(limit, value.len()) => {
                    self.chunks[prev].push_back(value, capacity);
                }
                _ => self.insert_chunk(ci, Chunk::with_entry(value)),
            }
        } else if i == count {
            match self.chunks.get_mut(ci + 1) {
                Some(next) if next.accepts(limit, value.len()) => next.push_front(value, capacity),
                _ => self.insert_chunk(ci + 1, Chunk::with_entry(value)),
            }
        } else {
            let right = self.chunks[ci].split_off(i);
            self.insert_chunk(ci + 1, right);
            let right_piece = if self.chunks[ci].accepts(limit, value.len()) {
                self.chunks[ci].push_back(value, capacity);
                ci + 1
            } else if self.chunks[ci + 1].accepts(limit, value.len()) {
                self.chunks[ci + 1].push_front(value, capacity);
                ci + 1
            } else {
                self.insert_chunk(ci + 1, Chunk::with_entry(value));
                ci + 2
            };
            // A split near an edge leaves a small piece; fold it into its outer neighbour.
            if right_piece + 1 < self.chunks.len() {
                self.merge_pair_if_small(right_piece, limit);
            }
            if ci > 0 {
                self.merge_pair_if_small(ci - 1, limit);
            }
        }
    }

    /// Merges chunks `left` and `left + 1` if together they are well under the limit; the
    /// smaller one is copied into the larger one. Returns whether they were merged.
    fn merge_pair_if_small(&mut self, left: usize, limit: ChunkLimit) -> bool {
        let (a, b) = (&self.chunks[left], &self.chunks[left + 1]);
        let bytes = a.live_len() + b.live_len();
        if !limit.allows_merge(bytes, a.count + b.count) {
            return false;
        }
        let capacity = limit.buffer_capacity();
        if a.live_len() >= b.live_len() {
            let b = self.chunks.remove(left + 1).expect("right chunk exists");
            self.chunks[left].append(&b, capacity);
        } else {
            let a = self.chunks.remove(left).expect("left chunk exists");
            self.chunks[left].prepend(&a, capacity);
        }
        true
    }

    /// Removes the first `n ≤ len` elements (whole chunks where possible); no conversion.
    fn drop_front(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let first = self.chunks.front_mut().expect("n <= len");
            if first.count <= n {
                n -= first.count;
                self.chunks.pop_front();
            } else {
                first.drop_front(n);
                n = 0;
            }
        }
    }

    /// Removes the last `n ≤ len` elements (whole chunks where possible); no conversion.
    fn drop_back(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let last = self.chunks.back_mut().expect("n <= len");
            if last.count <= n {
                n -= last.count;
                self.chunks.pop_back();
            } else {
                last.drop_back(n);
                n = 0;
            }
        }
    }
}

impl PartialEq for List {
    /// Same elements in the same order (encoding and layout are ignored).
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for List {}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Bytes<'a>(&'a [u8]);
        impl fmt::Debug for Bytes<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "b\"{}\"", self.0.escape_ascii())
            }
        }
        struct Elements<'a>(&'a List);
        impl fmt::Debug for Elements<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.iter().map(Bytes)).finish()
            }
        }
        f.debug_struct("List")
            .field("encoding", &self.encoding())
            .field("chunks", &self.chunks.len())
            .field("elements", &Elements(self))
            .finish()
    }
}

impl FromIterator<Vec<u8>> for List {
    fn from_iter<I: IntoIterator<Item = Vec<u8>>>(iter: I) -> Self {
        let mut list = List::new();
        list.extend(iter);
        list
    }
}

impl<'a> FromIterator<&'a [u8]> for List {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(iter: I) -> Self {
        let mut list = List::new();
        list.extend(iter);
        list
    }
}

/// Appends at the tail, as RPUSH with several elements.
impl Extend<Vec<u8>> for List {
    fn extend<I: IntoIterator<Item = Vec<u8>>>(&mut self, iter: I) {
        for value in iter {
            self.push_back(&value);
        }
    }
}

/// Appends at the tail, as RPUSH with several elements.
impl<'a> Extend<&'a [u8]> for List {
    fn extend<I: IntoIterator<Item = &'a [u8]>>(&mut self, iter: I) {
        for value in iter {
            self.push_back(value);
        }
    }
}

impl<'a> IntoIterator for &'a List {
    type Item = &'a [u8];
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

// ---------------------------------------------------------------------------------------------
// Iterators
// ---------------------------------------------------------------------------------------------

/// A position between entries: `offset` is where the next entry starts (front cursor) or where
/// the previous entry ends (back cursor) inside chunk `chunk`.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    chunk: usize,
    offset: usize,
}

/// Iterator over list elements, from the head unless reversed; see [`List::iter`].
#[derive(Clone)]
pub struct Iter<'a> {
    chunks: &'a VecDeque<Chunk>,
    front: Cursor,
    back: Cursor,
    /// Elements between the cursors; both ends stop when it reaches zero.
    remaining: usize,
}

impl<'a> Iter<'a> {
    fn empty(chunks: &'a VecDeque<Chunk>) -> Self {
        let nowhere = Cursor {
            chunk: 0,
            offset: 0,
        };
        Iter {
            chunks,
            front: nowhere,
            back: nowhere,
            remaining: 0,
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let chunks = self.chunks;
        let mut chunk = &chunks[self.front.chunk];
        if self.front.offset == chunk.end {
            self.front.chunk += 1;
            chunk = &chunks[self.front.chunk];
            self.front.offset = chunk.start;
        }
        let (data, next) = chunk.entry_at(self.front.offset);
        self.front.offset = next;
        self.remaining -= 1;
        Some(data)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let chunks = self.chunks;
        let mut chunk = &chunks[self.back.chunk];
        if self.back.offset == chunk.start {
            self.back.chunk -= 1;
            chunk = &chunks[self.back.chunk];
            self.back.offset = chunk.end;
        }
        let (data, entry_start) = chunk.entry_before(self.back.offset);
        self.back.offset = entry_start;
        self.remaining -= 1;
        Some(data)
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

/// Iterator from an element towards the head; see [`List::iter_rev_from`].
#[derive(Clone)]
pub struct RevIter<'a>(Iter<'a>);

impl<'a> Iterator for RevIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.0.next_back()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<'a> DoubleEndedIterator for RevIter<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        self.0.next()
    }
}

impl ExactSizeIterator for RevIter<'_> {}
impl FusedIterator for RevIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Runs `f` with `fill` as this thread's `list-max-listpack-size` (the global is untouched,
    /// so tests running in parallel do not see each other's settings).
    fn with_fill<R>(fill: i64, f: impl FnOnce() -> R) -> R {
        struct ClearOverride;
        impl Drop for ClearOverride {
            fn drop(&mut self) {
                TEST_FILL_OVERRIDE.with(|cell| cell.set(None));
            }
        }
        TEST_FILL_OVERRIDE.with(|cell| cell.set(Some(fill)));
        let _clear = ClearOverride;
        f()
    }

    fn set_fill(fill: i64) {
        TEST_FILL_OVERRIDE.with(|cell| cell.set(Some(fill)));
    }

    fn list_of(items: &[&str]) -> List {
        items.iter().map(|s| s.as_bytes()).collect()
    }

    fn strings(list: &List) -> Vec<String> {
        list.iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    fn numbered(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| i.to_string().into_bytes()).collect()
    }

    /// 16-byte, non-numeric items like the memory target's.
    fn item16(i: usize) -> Vec<u8> {
        format!("item:{i:011}").into_bytes()
    }

    fn chunk_counts(list: &List) -> Vec<usize> {
        list.chunks.iter().map(|c| c.count).collect()
    }

    impl List {
        /// Structural invariants; with `limit`, also that chunks respect that (unchanged) limit.
        fn check_invariants(&self, limit: Option<ChunkLimit>) {
            let mut total = 0;
            for chunk in &self.chunks {
                assert!(chunk.count > 0, "empty chunk");
                assert!(chunk.start <= chunk.end && chunk.end <= chunk.buf.len());
                let mut forward = Vec::new();
                let mut offset = chunk.start;
                while offset < chunk.end {
                    forward.push(offset);
                    offset = chunk.next_offset(offset);
                }
                assert_eq!(offset, chunk.end, "forward walk overran the chunk");
                assert_eq!(forward.len(), chunk.count);
                let mut backward = Vec::new();
                let mut offset = chunk.end;
                while offset > chunk.start {
                    offset = read_trailer(&chunk.buf, offset).0;
                    backward.push(offset);
                }
                assert_eq!(offset, chunk.start, "backward walk overran the chunk");
                backward.reverse();
                assert_eq!(forward, backward);
                total += chunk.count;
                if let Some(limit) = limit {
                    let cap_bound = limit
                        .buffer_capacity()
                        .max(4 * chunk.live_len())
                        .max(MIN_SHRINKABLE_CAPACITY);
                    assert!(
                        chunk.buf.len() <= cap_bound,
                        "buffer {} > {cap_bound}",
                        chunk.buf.len()
                    );
                    if chunk.count > 1 {
                        for &off in &forward {
                            assert!(!limit.is_large(chunk.entry_at(off).0.len()), "shared plain");
                        }
                        // Listpack-mode checks use the raw size of the element being added, so
                        // its varints may take the encoded size a few bytes over.
                        match limit {
                            ChunkLimit::Bytes(max) => assert!(chunk.live_len() <= max + 6),
                            ChunkLimit::Entries(max) => {
                                assert!(chunk.count <= max);
                                assert!(chunk.live_len() <= SIZE_SAFETY_LIMIT + 6);
                            }
                        }
                    }
                }
            }
            assert_eq!(total, self.len);
            if !self.quicklist {
                assert!(self.chunks.len() <= 1);
            }
            if self.len == 0 {
                assert!(!self.quicklist);
                assert_eq!(self.chunks.capacity(), 0);
            }
        }
    }

    // -- codec -------------------------------------------------------------------------------

    #[test]
    fn varint_lengths_at_boundaries() {
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(16383), 2);
        assert_eq!(varint_len(16384), 3);
        assert_eq!(varint_len(usize::MAX), 10);
        assert_eq!(encoded_len(16), 18);
        assert_eq!(encoded_len(0), 2);
    }

    #[test]
    fn entry_layout_is_varint_data_reversed_varint() {
        let data = [7u8; 300];
        let mut buf = vec![0u8; encoded_len(300)];
        write_entry(&mut buf, &data);
        assert_eq!(&buf[..2], &[0xac, 0x02]);
        assert_eq!(&buf[302..], &[0x02, 0xac]);
        assert_eq!(read_header(&buf, 0), (2, 300));
        assert_eq!(read_trailer(&buf, buf.len()), (0, 2, 300));
        let mut small = vec![0u8; 5];
        write_entry(&mut small, b"abc");
        assert_eq!(small, b"\x03abc\x03");
    }

    #[test]
    fn fill_values_map_to_redis_limits() {
        assert_eq!(ChunkLimit::from_fill(-1), ChunkLimit::Bytes(4096));
        assert_eq!(ChunkLimit::from_fill(-2), ChunkLimit::Bytes(8192));
        assert_eq!(ChunkLimit::from_fill(-3), ChunkLimit::Bytes(16384));
        assert_eq!(ChunkLimit::from_fill(-4), ChunkLimit::Bytes(32768));
        assert_eq!(ChunkLimit::from_fill(-5), ChunkLimit::Bytes(65536));
        assert_eq!(ChunkLimit::from_fill(-6), ChunkLimit::Bytes(65536));
        assert_eq!(ChunkLimit::from_fill(i64::MIN), ChunkLimit::Bytes(65536));
        assert_eq!(ChunkLimit::from_fill(0), ChunkLimit::Entries(1));
        assert_eq!(ChunkLimit::from_fill(5), ChunkLimit::Entries(5));
        assert_eq!(LIST_MAX_LISTPACK_SIZE.load(Ordering::Relaxed), -2);
    }

    // -- basic operations ----------------------------------------------------------------------

    #[test]
    fn empty_list() {
        let mut list = List::new();
        assert_eq!(list.len(), 0);
        assert!(list.is_empty());
        assert_eq!(list.front(), None);
        assert_eq!(list.back(), None);
        assert_eq!(list.get(0), None);
        assert!(!list.set(0, b"x"));
        assert_eq!(list.remove(0), None);
        assert_eq!(list.pop_front(), None);
        assert_eq!(list.pop_back(), None);
        assert_eq!(list.position(b""), None);
        assert_eq!(list.iter().next(), None);
        assert_eq!(list.iter().next_back(), None);
        assert_eq!(list.iter_from(0).len(), 0);
        assert_eq!(list.iter_rev_from(0).len(), 0);
        assert_eq!(list.remove_matching(b"x", 0), 0);
        list.trim(0, 10);
        assert_eq!(list.encoding(), "listpack");
        assert_eq!(list.chunk_count(), 0);
        assert_eq!(list.mem_usage(), 0);
        assert_eq!(list, List::default());
        list.check_invariants(None);
    }

    #[test]
    fn push_and_pop_both_ends() {
        with_fill(3, || {
            let mut list = List::new();
            list.push_back(b"c");
            list.push_front(b"b");
            list.push_back(b"d");
            list.push_front(b"a");
            list.push_back(b"e");
            assert_eq!(strings(&list), ["a", "b", "c", "d", "e"]);
            assert_eq!(list.front(), Some(&b"a"[..]));
            assert_eq!(list.back(), Some(&b"e"[..]));
            assert_eq!(list.len(), 5);
            list.check_invariants(Some(ChunkLimit::Entries(3)));
            assert_eq!(list.pop_front().as_deref(), Some(&b"a"[..]));
            assert_eq!(list.pop_back().as_deref(), Some(&b"e"[..]));
            assert_eq!(list.pop_back().as_deref(), Some(&b"d"[..]));
            assert_eq!(list.pop_front().as_deref(), Some(&b"b"[..]));
            assert_eq!(list.pop_front().as_deref(), Some(&b"c"[..]));
            assert_eq!(list.pop_front(), None);
            assert!(list.is_empty());
            list.check_invariants(None);
        });
    }

    #[test]
    fn pushes_fill_chunks_to_the_entry_limit() {
        with_fill(3, || {
            let mut back = List::new();
            let mut front = List::new();
            for v in numbered(10) {
                back.push_back(&v);
                front.push_front(&v);
            }
            assert_eq!(chunk_counts(&back), [3, 3, 3, 1]);
            assert_eq!(chunk_counts(&front), [1, 3, 3, 3]);
            assert_eq!(
                strings(&back),
                ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
            );
            assert_eq!(
                strings(&front),
                ["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"]
            );
            assert_eq!(back.encoding(), "quicklist");
            back.check_invariants(Some(ChunkLimit::Entries(3)));
            front.check_invariants(Some(ChunkLimit::Entries(3)));
        });
    }

    #[test]
    fn queue_across_many_chunks() {
        with_fill(4, || {
            let mut list = List::new();
            let mut expected = VecDeque::new();
            for round in 0..50 {
                for v in numbered(round % 7 + 3) {
                    list.push_back(&v);
                    expected.push_back(v);
                }
                for _ in 0..(round % 5 + 1) {
                    assert_eq!(list.pop_front(), expected.pop_front());
                }
                list.check_invariants(Some(ChunkLimit::Entries(4)));
            }
            assert!(list.iter().eq(expected.iter().map(Vec::as_slice)));
            while let Some(v) = list.pop_front() {
                assert_eq!(Some(v), expected.pop_front());
            }
            assert!(expected.is_empty());
            assert_eq!(list.chunk_count(), 0);
        });
    }

    #[test]
    fn get_from_both_halves_across_chunks() {
        with_fill(3, || {
            let list: List = numbered(20).into_iter().collect();
            for i in 0..20 {
                assert_eq!(list.get(i), Some(i.to_string().as_bytes()), "index {i}");
            }
            assert_eq!(list.get(20), None);
            assert_eq!(list.get(usize::MAX), None);
        });
    }

    #[test]
    fn set_in_place_and_out_of_range() {
        with_fill(3, || {
            let mut list = list_of(&["a", "b", "c", "d", "e", "f", "g"]);
            assert!(list.set(4, b"E"));
            assert!(list.set(0, b""));
            assert!(list.set(6, b"a much longer value than before"));
            assert!(!list.set(7, b"x"));
            assert_eq!(
                strings(&list),
                [
                    "",
                    "b",
                    "c",
                    "d",
                    "E",
                    "f",
                    "a much longer value than before"
                ]
            );
            assert_eq!(chunk_counts(&list), [3, 3, 1]);
            list.check_invariants(Some(ChunkLimit::Entries(3)));
        });
    }

    #[test]
    fn set_growing_past_byte_limit_moves_the_element() {
        with_fill(-1, || {
            // Three 1300-byte elements fill a 4 KiB chunk; growing one to 2000 bytes no longer fits.
            let big = vec![b'x'; 1300];
            let mut list = List::new();
            for _ in 0..6 {
                list.push_back(&big);
            }
            assert_eq!(chunk_counts(&list), [3, 3]);
            let grown = vec![b'y'; 2000];
            assert!(list.set(1, &grown));
            assert_eq!(list.get(1), Some(&grown[..]));
            assert_eq!(list.len(), 6);
            assert_eq!(list.iter().filter(|v| *v == &big[..]).count(), 5);
            // Chunk 0 keeps one old element, the grown one joins it after a split.
            assert_eq!(chunk_counts(&list), [2, 1, 3]);
            list.check_invariants(Some(ChunkLimit::Bytes(4096)));
        });
    }

    #[test]
    fn set_large_element_in_the_middle_gets_its_own_chunk() {
        with_fill(-1, || {
            let mut list: List = numbered(10).into_iter().collect();
            assert_eq!(list.encoding(), "listpack");
            let huge = vec![0xabu8; 5000];
            assert!(list.set(4, &huge));
            assert_eq!(list.encoding(), "quicklist");
            assert_eq!(chunk_counts(&list), [4, 1, 5]);
            assert_eq!(list.get(4), Some(&huge[..]));
            list.check_invariants(Some(ChunkLimit::Bytes(4096)));
            assert!(list.set(4, b"4"));
            assert_eq!(chunk_counts(&list), [4, 1, 5]);
            assert!(list.iter().eq(numbered(10).iter().map(Vec::as_slice)));
        });
    }

    #[test]
    fn insert_at_ends_and_middle() {
        with_fill(-2, || {
            let mut list = list_of(&["b", "d"]);
            list.insert(0, b"a");
            list.insert(2, b"c");
            list.insert(4, b"e");
            assert_eq!(strings(&list), ["a", "b", "c", "d", "e"]);
            assert_eq!(list.encoding(), "listpack");
            let mut empty = List::new();
            empty.insert(0, b"only");
            assert_eq!(strings(&empty), ["only"]);
        });
    }

    #[test]
    #[should_panic(expected = "insertion index (is 3) should be <= len (is 2)")]
    fn insert_past_the_end_panics() {
        let mut list = list_of(&["a", "b"]);
        list.insert(3, b"x");
    }

    #[test]
    fn insert_into_full_chunk_splits_it() {
        with_fill(4, || {
            let mut list: List = numbered(8).into_iter().collect();
            assert_eq!(chunk_counts(&list), [4, 4]);
            list.insert(2, b"x");
            assert_eq!(
                strings(&list),
                ["0", "1", "x", "2", "3", "4", "5", "6", "7"]
            );
            assert_eq!(chunk_counts(&list), [3, 2, 4]);
            // At a chunk boundary the element goes to the chunk with room (the left one here).
            list.insert(3, b"y");
            assert_eq!(chunk_counts(&list), [3, 3, 4]);
            assert_eq!(
                strings(&list),
                ["0", "1", "x", "y", "2", "3", "4", "5", "6", "7"]
            );
            list.check_invariants(Some(ChunkLimit::Entries(4)));
        });
    }

    #[test]
    fn insert_at_chunk_boundary_uses_previous_chunk_room() {
        with_fill(3, || {
            let mut list: List = numbered(6).into_iter().collect();
            list.pop_back();
            list.pop_back();
            list.push_back(b"4");
            assert_eq!(chunk_counts(&list), [3, 2]);
            // Index 3 is the first element of chunk 1; chunk 0 is full, chunk 1 has room.
            list.insert(3, b"x");
            assert_eq!(chunk_counts(&list), [3, 3]);
            assert_eq!(strings(&list), ["0", "1", "2", "x", "3", "4"]);
            // Both full: the element gets a new chunk between them.
            list.insert(3, b"y");
            assert_eq!(chunk_counts(&list), [3, 1, 3]);
            assert_eq!(strings(&list), ["0", "1", "2", "y", "x", "3", "4"]);
            list.check_invariants(Some(ChunkLimit::Entries(3)));
        });
    }

    #[test]
    fn insert_large_element_in_the_middle() {
        with_fill(-1, || {
            let mut list: List = numbered(10).into_iter().collect();
            let huge = vec![1u8; 4097];
            list.insert(5, &huge);
            assert_eq!(list.encoding(), "quicklist");
            assert_eq!(chunk_counts(&list), [5, 1, 5]);
            assert_eq!(list.get(5), Some(&huge[..]));
            assert_eq!(list.get(6), Some(&b"5"[..]));
            list.check_invariants(Some(ChunkLimit::Bytes(4096)));
            // Removing it lets the neighbours merge, and the list is small again.
            assert_eq!(list.remove(5), Some(huge));
            assert_eq!(chunk_counts(&list), [10]);
            assert_eq!(list.encoding(), "listpack");
            assert!(list.iter().eq(numbered(10).iter().map(Vec::as_slice)));
        });
    }

    #[test]
    fn remove_first_middle_last_and_out_of_range() {
        with_fill(3, || {
            let mut list: List = numbered(7).into_iter().collect();
            assert_eq!(list.remove(7), None);
            assert_eq!(list.remove(3).as_deref(), Some(&b"3"[..]));
            assert_eq!(list.remove(0).as_deref(), Some(&b"0"[..]));
            assert_eq!(list.remove(4).as_deref(), Some(&b"6"[..]));
            assert_eq!(strings(&list), ["1", "2", "4", "5"]);
            assert_eq!(list.len(), 4);
            list.check_invariants(Some(ChunkLimit::Entries(3)));
            while list.remove(0).is_some() {}
            assert!(list.is_empty());
            list.check_invariants(None);
        });
    }

    #[test]
    fn remove_merges_small_neighbours() {
        with_fill(8, || {
            let mut list: List = numbered(16).into_iter().collect();
            assert_eq!(chunk_counts(&list), [8, 8]);
            for _ in 0..5 {
                list.remove(2);
            }
            assert_eq!(chunk_counts(&list), [3, 8]);
            list.remove(10);
            list.remove(9);
            list.remove(3);
            assert_eq!(chunk_counts(&list), [3, 5]);
            // 2 + 5 > 6 (3/4 of 8): no merge yet; 1 + 5 <= 6 merges.
            list.remove(0);
            assert_eq!(chunk_counts(&list), [2, 5]);
            list.remove(0);
            assert_eq!(chunk_counts(&list), [6]);
            assert_eq!(strings(&list), ["7", "9", "10", "11", "12", "13"]);
            list.check_invariants(Some(ChunkLimit::Entries(8)));
        });
    }

    #[test]
    fn position_finds_first_match() {
        with_fill(2, || {
            let list = list_of(&["a", "", "b", "a", "c", ""]);
            assert_eq!(list.position(b"a"), Some(0));
            assert_eq!(list.position(b""), Some(1));
            assert_eq!(list.position(b"c"), Some(4));
            assert_eq!(list.position(b"d"), None);
            assert_eq!(list.position(b"ab"), None);
        });
    }

    #[test]
    fn positions_follow_lpos_rank_count_maxlen() {
        with_fill(2, || {
            let list = list_of(&["a", "b", "a", "c", "a"]);
            let rank = |r: i64| NonZeroI64::new(r).expect("non-zero");
            assert_eq!(list.positions(b"a", rank(1), 0, 0), [0, 2, 4]);
            assert_eq!(list.positions(b"a", rank(1), 1, 0), [0]);
            assert_eq!(list.positions(b"a", rank(2), 1, 0), [2]);
            assert_eq!(list.positions(b"a", rank(2), 0, 0), [2, 4]);
            assert_eq!(list.positions(b"a", rank(-1), 1, 0), [4]);
            assert_eq!(list.positions(b"a", rank(-2), 0, 0), [2, 0]);
            assert_eq!(list.positions(b"a", rank(1), 0, 2), [0]);
            assert_eq!(list.positions(b"a", rank(1), 0, 3), [0, 2]);
            assert_eq!(list.positions(b"a", rank(-1), 0, 1), [4]);
            assert_eq!(list.positions(b"a", rank(-1), 0, 2), [4]);
            assert_eq!(list.positions(b"a", rank(4), 0, 0), Vec::<usize>::new());
            assert_eq!(
                list.positions(b"a", rank(i64::MIN + 1), 0, 0),
                Vec::<usize>::new()
            );
            assert_eq!(list.positions(b"z", rank(1), 0, 0), Vec::<usize>::new());
            assert_eq!(
                List::new().positions(b"a", rank(-1), 0, 0),
                Vec::<usize>::new()
            );
        });
    }

    #[test]
    fn iter_is_double_ended_and_exact_size() {
        with_fill(3, || {
            let list: List = numbered(10).into_iter().collect();
            let mut iter = list.iter();
            assert_eq!(iter.len(), 10);
            assert_eq!(iter.next(), Some(&b"0"[..]));
            assert_eq!(iter.next_back(), Some(&b"9"[..]));
            assert_eq!(iter.next_back(), Some(&b"8"[..]));
            assert_eq!(iter.len(), 7);
            let middle: Vec<&[u8]> = iter.by_ref().collect();
            assert_eq!(middle, [&b"1"[..], b"2", b"3", b"4", b"5", b"6", b"7"]);
            assert_eq!(iter.next(), None);
            assert_eq!(iter.next_back(), None);
            let reversed: Vec<&[u8]> = list.iter().rev().collect();
            assert_eq!(reversed.len(), 10);
            assert_eq!(reversed[0], b"9");
            assert_eq!(reversed[9], b"0");
            // Meeting in the middle from both sides, alternating, across chunk boundaries.
            let mut iter = list.iter();
            let mut seen = Vec::new();
            while let (Some(a), b) = (iter.next(), iter.next_back()) {
                seen.push(a);
                seen.extend(b);
            }
            assert_eq!(seen.len(), 10);
            assert_eq!(seen[..4], [&b"0"[..], b"9", b"1", b"8"]);
            let by_ref: Vec<&[u8]> = (&list).into_iter().collect();
            assert_eq!(by_ref.len(), 10);
        });
    }

    #[test]
    fn iter_from_and_iter_rev_from_every_index() {
        for fill in [1, 3, -1] {
            with_fill(fill, || {
                let values = numbered(20);
                let list: List = values.iter().cloned().collect();
                for start in 0..20 {
                    let forward = list.iter_from(start);
                    assert_eq!(forward.len(), 20 - start);
                    assert!(forward.eq(values[start..].iter().map(Vec::as_slice)));
                    let backward = list.iter_rev_from(start);
                    assert_eq!(backward.len(), start + 1);
                    assert!(backward.eq(values[..=start].iter().rev().map(Vec::as_slice)));
                    // RevIter is double-ended too: its back is the head.
                    assert_eq!(list.iter_rev_from(start).next_back(), Some(&b"0"[..]));
                    assert_eq!(list.iter_from(start).next_back(), Some(&b"19"[..]));
                }
                assert_eq!(list.iter_from(20).next(), None);
                assert_eq!(list.iter_rev_from(20).next(), None);
                assert_eq!(list.iter_from(usize::MAX).len(), 0);
            });
        }
    }

    #[test]
    fn trim_keeps_inclusive_range() {
        with_fill(3, || {
            let mut list: List = numbered(10).into_iter().collect();
            list.trim(2, 7);
            assert_eq!(strings(&list), ["2", "3", "4", "5", "6", "7"]);
            assert_eq!(chunk_counts(&list), [1, 3, 2]);
            list.trim(1, 100);
            assert_eq!(strings(&list), ["3", "4", "5", "6", "7"]);
            assert_eq!(list.encoding(), "quicklist");
            list.trim(0, 0);
            assert_eq!(strings(&list), ["3"]);
            // One element is within half of the count limit (3 / 2 = 1).
            assert_eq!(list.encoding(), "listpack");
            list.check_invariants(Some(ChunkLimit::Entries(3)));

            let mut list: List = numbered(10).into_iter().collect();
            list.trim(3, 1);
            assert!(list.is_empty());
            list.check_invariants(None);
            let mut list: List = numbered(10).into_iter().collect();
            list.trim(10, 20);
            assert!(list.is_empty());
            let mut list: List = numbered(10).into_iter().collect();
            list.trim(0, usize::MAX);
            assert_eq!(list.len(), 10);
            list.trim(9, 9);
            assert_eq!(strings(&list), ["9"]);
        });
    }

    #[test]
    fn remove_matching_from_head_tail_and_all() {
        with_fill(3, || {
            let mut list = list_of(&["a", "b", "a", "c", "a", "a"]);
            assert_eq!(list.remove_matching(b"a", 1), 1);
            assert_eq!(strings(&list), ["b", "a", "c", "a", "a"]);
            assert_eq!(list.remove_matching(b"a", -1), 1);
            assert_eq!(strings(&list), ["b", "a", "c", "a"]);
            assert_eq!(list.remove_matching(b"x", 0), 0);
            assert_eq!(list.remove_matching(b"a", 0), 2);
            assert_eq!(strings(&list), ["b", "c"]);
            assert_eq!(list.remove_matching(b"b", -5), 1);
            assert_eq!(list.remove_matching(b"c", 5), 1);
            assert!(list.is_empty());
            assert_eq!(list.encoding(), "listpack");
            list.check_invariants(None);

            let mut list = list_of(&["x", "x", "y", "x", "x"]);
            assert_eq!(list.remove_matching(b"x", -3), 3);
            assert_eq!(strings(&list), ["x", "y"]);
            assert_eq!(list.remove_matching(b"x", i64::MIN), 1);
            assert_eq!(strings(&list), ["y"]);
        });
    }

    #[test]
    fn remove_matching_merges_thinned_chunks() {
        with_fill(8, || {
            let items: Vec<&str> = (0..24)
                .map(|i| if i % 4 == 3 { "keep" } else { "drop" })
                .collect();
            let mut list = list_of(&items);
            assert_eq!(chunk_counts(&list), [8, 8, 8]);
            assert_eq!(list.remove_matching(b"drop", 0), 18);
            assert_eq!(chunk_counts(&list), [6]);
            assert_eq!(list.encoding(), "quicklist");
            assert_eq!(list.remove_matching(b"keep", 2), 2);
            assert_eq!(list.encoding(), "listpack");
            assert_eq!(strings(&list), ["keep"; 4]);
            list.check_invariants(Some(ChunkLimit::Entries(8)));
        });
    }

    #[test]
    fn clear_frees_everything() {
        with_fill(2, || {
            let mut list: List = numbered(9).into_iter().collect();
            assert_eq!(list.encoding(), "quicklist");
            list.clear();
            assert!(list.is_empty());
            assert_eq!(list.mem_usage(), 0);
            assert_eq!(list.encoding(), "listpack");
            list.push_back(b"again");
            assert_eq!(strings(&list), ["again"]);
            list.check_invariants(None);
        });
    }

    #[test]
    fn mem_usage_counts_buffers_and_deque() {
        let mut list = List::new();
        list.push_back(b"abc");
        assert_eq!(list.mem_usage(), size_of::<Chunk>() + 5);
        assert_eq!(size_of::<Chunk>(), 40);
    }

    #[test]
    fn memory_per_element_matches_listpack_density() {
        with_fill(-2, || {
            let mut back = List::new();
            let mut front = List::new();
            for i in 0..200_000 {
                back.push_back(&item16(i));
                front.push_front(&item16(i));
            }
            // The list stops being a listpack at 454 entries of 18 bytes (8192 - 7 bytes for the
            // listpack header Redis counts); quicklist chunks then hold 455 (8190 bytes).
            assert_eq!(chunk_counts(&back)[..3], [455, 455, 455]);
            assert_eq!(back.chunk_count(), 200_000usize.div_ceil(455));
            assert_eq!(front.chunk_count(), back.chunk_count());
            for list in [&back, &front] {
                let per_element = list.mem_usage() as f64 / list.len() as f64;
                assert!(per_element < 18.3, "{per_element} bytes per element");
            }
            assert_eq!(back.get(123_456), Some(&item16(123_456)[..]));
            assert_eq!(front.get(123_456), Some(&item16(200_000 - 1 - 123_456)[..]));
        });
    }

    #[test]
    fn debug_shows_encoding_and_escaped_elements() {
        let list = list_of(&["a", "\0b\"", ""]);
        assert_eq!(
            format!("{list:?}"),
            r#"List { encoding: "listpack", chunks: 1, elements: [b"a", b"\x00b\"", b""] }"#
        );
    }

    #[test]
    fn clone_is_independent_and_eq_ignores_layout() {
        with_fill(3, || {
            let original: List = numbered(10).into_iter().collect();
            let mut copy = original.clone();
            assert_eq!(copy, original);
            copy.set(0, b"changed");
            assert_ne!(copy, original);
            assert_eq!(original.get(0), Some(&b"0"[..]));
            // Same elements, different chunking: still equal.
            let other = with_fill(-2, || numbered(10).into_iter().collect::<List>());
            assert_eq!(other.chunk_count(), 1);
            assert_eq!(other, original);
        });
    }

    #[test]
    fn from_iterator_and_extend() {
        let mut list: List = vec![b"a".to_vec(), b"b".to_vec()].into_iter().collect();
        list.extend(vec![b"c".to_vec()]);
        list.extend([&b"d"[..], b"e"]);
        assert_eq!(strings(&list), ["a", "b", "c", "d", "e"]);
        let from_slices: List = [&b"x"[..], b""].into_iter().collect();
        assert_eq!(from_slices.len(), 2);
        assert_eq!(from_slices.get(1), Some(&b""[..]));
    }

    // -- encodings (Redis 7.2 listTypeTryConversion) ---------------------------------------

    #[test]
    fn encoding_follows_entry_count_limit_with_shrink_hysteresis() {
        with_fill(4, || {
            let mut list: List = numbered(4).into_iter().collect();
            assert_eq!((list.encoding(), list.chunk_count()), ("listpack", 1));
            list.push_back(b"4");
            assert_eq!(list.encoding(), "quicklist");
            assert_eq!(chunk_counts(&list), [4, 1]);
            list.pop_back();
            assert_eq!((list.encoding(), list.chunk_count()), ("quicklist", 1));
            list.pop_back();
            assert_eq!(list.encoding(), "quicklist");
            list.pop_back();
            assert_eq!(list.encoding(), "listpack");
            list.push_front(b"x");
            list.push_front(b"y");
            assert_eq!((list.encoding(), list.len()), ("listpack", 4));
        });
    }

    #[test]
    fn encoding_follows_byte_limit_like_a_listpack() {
        with_fill(-1, || {
            // A 50-byte string is a 52-byte entry here and in a listpack; Redis converts when
            // lpBytes + 50 > 4096, i.e. when adding the 79th element.
            let value = [b'v'; 50];
            let mut list = List::new();
            for _ in 0..78 {
                list.push_back(&value);
            }
            assert_eq!((list.encoding(), list.chunk_count()), ("listpack", 1));
            list.push_back(&value);
            assert_eq!(list.encoding(), "quicklist");
            assert_eq!(chunk_counts(&list), [78, 1]);
            // Only a single chunk can become a listpack again, and only at half the limit:
            // 7 + 52 * 39 <= 2048.
            list.pop_back();
            assert_eq!((list.encoding(), list.chunk_count()), ("quicklist", 1));
            while list.len() > 40 {
                list.pop_front();
            }
            assert_eq!(list.encoding(), "quicklist");
            list.pop_front();
            assert_eq!((list.encoding(), list.len()), ("listpack", 39));
        });
    }

    #[test]
    fn lset_checks_growth_like_an_addition() {
        with_fill(4, || {
            let mut full: List = numbered(4).into_iter().collect();
            assert!(full.set(1, b"x"));
            assert_eq!(full.encoding(), "quicklist");
            assert_eq!(full.chunk_count(), 1);
            let mut roomy: List = numbered(3).into_iter().collect();
            assert!(roomy.set(1, b"x"));
            assert_eq!(roomy.encoding(), "listpack");
        });
        with_fill(-1, || {
            // A set that makes the single listpack too big converts, even in place.
            let mut list = list_of(&["a", "b"]);
            assert!(list.set(0, &[b'z'; 4090]));
            assert_eq!(list.encoding(), "quicklist");
            assert_eq!(chunk_counts(&list), [1, 1]);
            // Shrinking back: one small chunk left after the pop.
            list.pop_front();
            assert_eq!(list.encoding(), "listpack");
        });
    }

    #[test]
    fn large_elements_are_plain_chunks() {
        with_fill(-1, || {
            let huge = vec![b'h'; 4097];
            let mut list = List::new();
            list.push_back(b"a");
            list.push_back(&huge);
            list.push_back(b"b");
            list.push_front(&huge);
            assert_eq!(chunk_counts(&list), [1, 1, 1, 1]);
            assert_eq!(list.encoding(), "quicklist");
            list.check_invariants(Some(ChunkLimit::Bytes(4096)));
            list.pop_front();
            list.pop_front();
            list.pop_back();
            // A single plain chunk never converts back to listpack.
            assert_eq!((list.encoding(), list.chunk_count()), ("quicklist", 1));
            assert_eq!(list.pop_back(), Some(huge.clone()));
            assert_eq!(list.encoding(), "listpack");
            // A large element alone makes an empty list a quicklist, as in Redis.
            list.push_back(&huge);
            assert_eq!(list.encoding(), "quicklist");
        });
        with_fill(100, || {
            // With a count limit, elements over 8 KiB are plain.
            let mut list = list_of(&["a"]);
            list.push_back(&[0u8; 8193]);
            list.push_back(b"b");
            assert_eq!(chunk_counts(&list), [1, 1, 1]);
            // One element is within half of 100 entries, but a plain chunk stays a quicklist.
            list.pop_front();
            list.pop_back();
            assert_eq!((list.encoding(), list.chunk_count()), ("quicklist", 1));
            list.set(0, b"small");
            assert_eq!(list.encoding(), "listpack");
            // Not large, but too big to join "a": 7 + 3 + 8190 > 8192.
            let mut list = list_of(&["a"]);
            list.push_back(&[0u8; 8000]);
            assert_eq!((list.encoding(), list.chunk_count()), ("listpack", 1));
            let mut list = list_of(&["a"]);
            list.push_back(&[0u8; 8190]);
            assert_eq!(list.encoding(), "quicklist");
            assert_eq!(chunk_counts(&list), [1, 1]);
        });
    }

    #[test]
    fn limit_changes_apply_to_later_operations() {
        with_fill(3, || {
            let mut list: List = numbered(7).into_iter().collect();
            assert_eq!(chunk_counts(&list), [3, 3, 1]);
            set_fill(-2);
            list.push_back(b"7");
            list.push_back(b"8");
            assert_eq!(chunk_counts(&list), [3, 3, 3]);
            list.insert(1, b"x");
            assert_eq!(chunk_counts(&list), [4, 3, 3]);
            set_fill(1);
            list.push_front(b"y");
            assert_eq!(chunk_counts(&list), [1, 4, 3, 3]);
            assert_eq!(
                strings(&list),
                ["y", "0", "x", "1", "2", "3", "4", "5", "6", "7", "8"]
            );
            list.check_invariants(None);
        });
    }

    // -- data edge cases -----------------------------------------------------------------------

    #[test]
    fn binary_values_and_varint_boundary_lengths() {
        let all_bytes: Vec<u8> = (0..=255).collect();
        let lengths = [
            0, 1, 63, 64, 127, 128, 129, 255, 256, 4096, 8192, 16383, 16384, 16385, 70000,
        ];
        let values: Vec<Vec<u8>> = lengths
            .iter()
            .map(|&n| {
                all_bytes
                    .iter()
                    .copied()
                    .cycle()
                    .skip(n % 251)
                    .take(n)
                    .collect()
            })
            .chain([all_bytes.clone(), vec![0], vec![0x80], vec![0xff; 3]])
            .collect();
        for fill in [-5, -1, 3, 1] {
            with_fill(fill, || {
                let mut list = List::new();
                for v in &values {
                    list.push_back(v);
                    list.push_front(v);
                }
                let expected: Vec<&[u8]> = values
                    .iter()
                    .rev()
                    .chain(values.iter())
                    .map(Vec::as_slice)
                    .collect();
                assert!(list.iter().eq(expected.iter().copied()));
                assert!(list.iter().rev().eq(expected.iter().rev().copied()));
                for (i, v) in expected.iter().enumerate() {
                    assert_eq!(list.get(i), Some(*v));
                }
                assert_eq!(
                    list.position(&all_bytes),
                    Some(values.len() - 1 - lengths.len())
                );
                list.check_invariants(Some(ChunkLimit::from_fill(fill)));
                for v in expected.iter().rev() {
                    assert_eq!(list.pop_back().as_deref(), Some(*v));
                }
            });
        }
    }

    #[test]
    fn empty_strings_are_elements() {
        with_fill(2, || {
            let mut list = List::new();
            for _ in 0..5 {
                list.push_back(b"");
            }
            assert_eq!(list.len(), 5);
            assert_eq!(list.chunk_count(), 3);
            assert_eq!(list.get(4), Some(&b""[..]));
            assert_eq!(list.remove_matching(b"", 2), 2);
            assert_eq!(list.len(), 3);
            assert_eq!(list.pop_front(), Some(Vec::new()));
        });
    }

    #[test]
    fn single_chunk_queue_churn_stays_within_one_buffer() {
        with_fill(-2, || {
            let mut list = List::new();
            let mut expected = VecDeque::new();
            for i in 0..300 {
                list.push_back(&item16(i));
                expected.push_back(item16(i));
            }
            for i in 300..20_000 {
                assert_eq!(list.pop_front(), expected.pop_front());
                list.push_back(&item16(i));
                expected.push_back(item16(i));
            }
            assert_eq!((list.encoding(), list.chunk_count()), ("listpack", 1));
            assert!(list.mem_usage() <= 8192 + size_of::<Chunk>());
            assert!(list.iter().eq(expected.iter().map(Vec::as_slice)));
            list.check_invariants(Some(ChunkLimit::Bytes(8192)));
        });
    }

    #[test]
    fn alternating_ends_on_one_chunk() {
        with_fill(-5, || {
            let mut list = List::new();
            let mut expected = VecDeque::new();
            for i in 0..2000 {
                let v = item16(i);
                if i % 2 == 0 {
                    list.push_front(&v);
                    expected.push_front(v);
                } else {
                    list.push_back(&v);
                    expected.push_back(v);
                }
            }
            assert_eq!(list.chunk_count(), 1);
            assert!(list.iter().eq(expected.iter().map(Vec::as_slice)));
            list.check_invariants(Some(ChunkLimit::Bytes(65536)));
        });
    }

    // -- randomized comparison with a VecDeque model -----------------------------------------

    /// SplitMix64: small, seedable, good enough to drive operation choices.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn bytes(&mut self, len: usize) -> Vec<u8> {
            let mut out = Vec::with_capacity(len + 8);
            while out.len() < len {
                out.extend_from_slice(&self.next().to_le_bytes());
            }
            out.truncate(len);
            out
        }

        /// Mostly short values from a small alphabet (so LREM/LPOS find matches), some binary
        /// ones of every size class, rarely ones larger than a 4 KiB chunk.
        fn value(&mut self) -> Vec<u8> {
            match self.below(1000) {
                0..=599 => {
                    let k = self.below(12);
                    if k == 0 {
                        Vec::new()
                    } else {
                        format!("v{k}").into_bytes()
                    }
                }
                600..=879 => {
                    let len = self.below(64);
                    self.bytes(len)
                }
                880..=969 => {
                    let len = 64 + self.below(1500);
                    self.bytes(len)
                }
                970..=994 => {
                    let len = 1500 + self.below(4000);
                    self.bytes(len)
                }
                _ => {
                    let len = 5000 + self.below(12_000);
                    self.bytes(len)
                }
            }
        }
    }

    fn model_positions(
        model: &VecDeque<Vec<u8>>,
        value: &[u8],
        rank: i64,
        max_matches: usize,
        max_scanned: usize,
    ) -> Vec<usize> {
        let scanned = if max_scanned == 0 {
            model.len()
        } else {
            max_scanned.min(model.len())
        };
        let order: Vec<usize> = if rank > 0 {
            (0..scanned).collect()
        } else {
            (0..scanned).map(|k| model.len() - 1 - k).collect()
        };
        let matches = order.into_iter().filter(|&i| model[i] == value);
        let skipped = matches.skip(rank.unsigned_abs() as usize - 1);
        if max_matches == 0 {
            skipped.collect()
        } else {
            skipped.take(max_matches).collect()
        }
    }

    /// How an operation may change the encoding, for checking Redis's conversion rules.
    enum EncodingEffect {
        Unchanged,
        /// RPUSH/LPUSH/LINSERT of an element of this many bytes.
        Grow(usize),
        /// LSET: growth check with this many bytes, then the shrinking check.
        Set(usize),
        /// Pops, LREM, LTRIM, removal: the shrinking check if anything was removed.
        Shrink,
    }

    /// Whether Redis's shrinking rule would turn this quicklist back into a listpack.
    fn shrink_would_convert(list: &List, limit: ChunkLimit) -> bool {
        list.chunks.len() == 1
            && !list.chunks[0].is_plain(limit)
            && limit
                .allows_listpack_after_shrink(list.chunks[0].listpack_bytes(), list.chunks[0].count)
    }

    /// Applies `ops` random operations to a `List` and a `VecDeque` model and compares them
    /// after every operation. With `switch_fills`, the limit also changes at random times.
    /// Returns the largest number of chunks the list had.
    fn run_against_model(seed: u64, fill: i64, ops: usize, switch_fills: &[i64]) -> usize {
        let mut rng = Rng(seed);
        set_fill(fill);
        let mut fixed_limit = Some(ChunkLimit::from_fill(fill));
        let mut list = List::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        // Lengths wander around a target that changes now and then, so runs see tiny lists,
        // single chunks and lists of many chunks (with 64 KiB chunks too).
        let targets = [8, 60, 300, 900];
        let mut target = targets[0];
        let mut max_chunks = 0;
        for step in 0..ops {
            if step % 1500 == 0 {
                target = targets[rng.below(targets.len())];
            }
            if !switch_fills.is_empty() && rng.below(100) == 0 {
                set_fill(switch_fills[rng.below(switch_fills.len())]);
                fixed_limit = None;
            }
            let len = model.len();
            let crowded = len > target;
            let was_quicklist = list.quicklist;
            let listpack_bytes_before = list
                .chunks
                .front()
                .map_or(LISTPACK_OVERHEAD, Chunk::listpack_bytes);
            let mut effect = EncodingEffect::Unchanged;
            match rng.below(100) {
                0..=13 if !crowded => {
                    let v = rng.value();
                    effect = EncodingEffect::Grow(v.len());
                    list.push_back(&v);
                    model.push_back(v);
                }
                14..=25 if !crowded => {
                    let v = rng.value();
                    effect = EncodingEffect::Grow(v.len());
                    list.push_front(&v);
                    model.push_front(v);
                }
                0..=19 => {
                    if len > 0 {
                        effect = EncodingEffect::Shrink;
                    }
                    assert_eq!(list.pop_front(), model.pop_front());
                }
                20..=33 => {
                    if len > 0 {
                        effect = EncodingEffect::Shrink;
                    }
                    assert_eq!(list.pop_back(), model.pop_back());
                }
                34..=41 => {
                    let i = rng.below(len + 2);
                    assert_eq!(list.get(i), model.get(i).map(Vec::as_slice));
                    assert_eq!(list.front(), model.front().map(Vec::as_slice));
                    assert_eq!(list.back(), model.back().map(Vec::as_slice));
                }
                42..=48 => {
                    let i = rng.below(len + 1);
                    let v = rng.value();
                    assert_eq!(list.set(i, &v), i < len);
                    if i < len {
                        effect = EncodingEffect::Set(v.len());
                        model[i] = v;
                    }
                }
                49..=58 if !crowded => {
                    let i = rng.below(len + 1);
                    let v = rng.value();
                    effect = EncodingEffect::Grow(v.len());
                    list.insert(i, &v);
                    model.insert(i, v);
                }
                49..=66 => {
                    let i = rng.below(len + 1);
                    if i < len {
                        effect = EncodingEffect::Shrink;
                    }
                    assert_eq!(list.remove(i), model.remove(i));
                }
                67..=70 => {
                    let v = rng.value();
                    let expected = model.iter().position(|e| *e == v);
                    assert_eq!(list.position(&v), expected);
                }
                71..=74 => {
                    let i = rng.below(len + 1);
                    let n = rng.below(50);
                    assert!(
                        list.iter_from(i).take(n).eq(model
                            .iter()
                            .skip(i)
                            .take(n)
                            .map(Vec::as_slice))
                    );
                    let expected = model.iter().take(i + 1).rev().take(n).map(Vec::as_slice);
                    if i < len {
                        assert!(list.iter_rev_from(i).take(n).eq(expected));
                    } else {
                        assert_eq!(list.iter_rev_from(i).len(), 0);
                    }
                }
                75..=77 => {
                    let v = rng.value();
                    let mut rank = rng.below(5) as i64 + 1;
                    if rng.below(2) == 0 {
                        rank = -rank;
                    }
                    let count = rng.below(4);
                    let maxlen = if rng.below(2) == 0 {
                        0
                    } else {
                        rng.below(len + 2)
                    };
                    let rank_nz = NonZeroI64::new(rank).expect("non-zero");
                    assert_eq!(
                        list.positions(&v, rank_nz, count, maxlen),
                        model_positions(&model, &v, rank, count, maxlen)
                    );
                }
                78..=82 => {
                    let v = rng.value();
                    let count = rng.below(7) as i64 - 3;
                    let max = if count == 0 {
                        usize::MAX
                    } else {
                        count.unsigned_abs() as usize
                    };
                    let mut removed = 0;
                    if count >= 0 {
                        model.retain(|e| {
                            let hit = removed < max && *e == v;
                            removed += usize::from(hit);
                            !hit
                        });
                    } else {
                        let mut kept: VecDeque<Vec<u8>> = VecDeque::new();
                        while let Some(e) = model.pop_back() {
                            if removed < max && e == v {
                                removed += 1;
                            } else {
                                kept.push_front(e);
                            }
                        }
                        model = kept;
                    }
                    assert_eq!(list.remove_matching(&v, count), removed);
                    if removed > 0 {
                        effect = EncodingEffect::Shrink;
                    }
                }
                83..=84 => {
                    // Arbitrary bounds cut a lot, so only use them on a crowded list.
                    let arbitrary = crowded && rng.below(4) == 0;
                    let start = if arbitrary {
                        rng.below(len + 2)
                    } else {
                        rng.below(4)
                    };
                    let end = if arbitrary && rng.below(2) == 0 {
                        rng.below(len + 2)
                    } else {
                        len.saturating_sub(1 + rng.below(4))
                    };
                    effect = EncodingEffect::Shrink;
                    list.trim(start, end);
                    if start > end || start >= len {
                        model.clear();
                    } else {
                        let end = end.min(len - 1);
                        model.truncate(end + 1);
                        model.drain(..start);
                    }
                }
                85 if rng.below(64) == 0 => {
                    list.clear();
                    model.clear();
                }
                86..=87 => {
                    let mut copy = list.clone();
                    assert_eq!(copy, list);
                    copy.push_back(b"only in the copy");
                    assert_eq!(list.len(), model.len());
                }
                88..=89 => {
                    let extra: Vec<Vec<u8>> = (0..rng.below(4)).map(|_| rng.value()).collect();
                    list.extend(extra.iter().cloned());
                    model.extend(extra);
                }
                _ => {
                    // Queue traffic: producer at the tail, consumer at the head.
                    let v = rng.value();
                    list.push_back(&v);
                    model.push_back(v);
                    assert_eq!(list.pop_front(), model.pop_front());
                }
            }
            if let Some(limit) = fixed_limit {
                let grown = |added: usize| {
                    was_quicklist || limit.exceeded_by(listpack_bytes_before + added, len + 1)
                };
                let expected_quicklist = match effect {
                    EncodingEffect::Unchanged => None,
                    EncodingEffect::Grow(added) => Some(grown(added)),
                    EncodingEffect::Set(added) => {
                        Some(grown(added) && !shrink_would_convert(&list, limit))
                    }
                    EncodingEffect::Shrink => Some(
                        was_quicklist && !list.is_empty() && !shrink_would_convert(&list, limit),
                    ),
                };
                if let Some(expected) = expected_quicklist {
                    assert_eq!(list.quicklist, expected, "encoding after step {step}");
                }
            }
            assert_eq!(list.len(), model.len(), "len after step {step}");
            assert!(
                list.iter().eq(model.iter().map(Vec::as_slice)),
                "contents after step {step}"
            );
            if step % 8 == 0 {
                assert!(list.iter().rev().eq(model.iter().rev().map(Vec::as_slice)));
            }
            list.check_invariants(fixed_limit);
            max_chunks = max_chunks.max(list.chunk_count());
        }
        max_chunks
    }

    #[test]
    fn randomized_against_vecdeque_model() {
        // 200k operations in total over several limits, including tiny count limits that make
        // nearly every element its own chunk, and one run that changes the limit as it goes.
        let runs: [(i64, usize); 9] = [
            (3, 30_000),
            (1, 20_000),
            (0, 10_000),
            (2, 20_000),
            (7, 20_000),
            (-1, 30_000),
            (-2, 20_000),
            (-5, 10_000),
            (128, 15_000),
        ];
        let mut total = 0;
        for (seed, (fill, ops)) in runs.into_iter().enumerate() {
            let max_chunks = with_fill(fill, || run_against_model(seed as u64 + 1, fill, ops, &[]));
            // Every run must have exercised multi-chunk (quicklist) lists.
            assert!(max_chunks >= 3, "fill {fill}: at most {max_chunks} chunks");
            total += ops;
        }
        let max_chunks = with_fill(3, || {
            run_against_model(99, 3, 25_000, &[3, 1, 2, 16, -1, -2, -5])
        });
        assert!(max_chunks >= 3);
        total += 25_000;
        assert_eq!(total, 200_000);
    }
}
