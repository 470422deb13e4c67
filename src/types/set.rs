//! Redis set value type (SADD, SREM, SISMEMBER, SPOP, SRANDMEMBER, SMOVE, set algebra, SSCAN)
//! with Redis 7.2 encodings and conversion rules.
//!
//! Representations, reported by [`Set::encoding`]:
//! - `"intset"`: a sorted array of integers, all stored with the smallest width (2, 4 or 8
//!   bytes) that fits every member, like Redis's intset (one exact-size buffer: a width
//!   byte, then the elements). Used while every member is an integer in canonical form
//!   (Redis `string2ll` rules, see [`parse_i64`]) and there are at most
//!   [`SET_MAX_INTSET_ENTRIES`] members. Iteration is in ascending order.
//! - `"listpack"`: a 4-byte member count, then the members back to back as
//!   `varint(len) bytes` in insertion order (removal closes the gap), in one exact-size
//!   buffer. Used while there are at most [`SET_MAX_LISTPACK_ENTRIES`] members of at most
//!   [`SET_MAX_LISTPACK_VALUE`] bytes.
//! - `"hashtable"`: an open-addressing table (see `table.rs`) of one tagged machine word per
//!   member. Canonical integers in `[-2^61, 2^61)` and other strings of at most 7 bytes
//!   are stored *inside* the word (no allocation at all); longer strings live in one
//!   exact-size heap allocation (`varint(len) bytes`) pointed to by the word.
//!
//! Which of the three word kinds a member uses is a pure function of its bytes, so equal
//! members always have equal words: inline members compare by word, and only heap members
//! are dereferenced (after their hash tag matched). A `Set` value is 24 bytes.
//!
//! Conversions follow Redis 7.2's `t_set.c` exactly, including where it is path-dependent:
//! - an intset that gets a non-integer becomes a listpack if it has fewer than
//!   `set-max-listpack-entries` members and both the new member and the longest decimal
//!   form of its current members fit `set-max-listpack-value`, otherwise a hashtable;
//! - an intset that grows past `set-max-intset-entries` becomes a hashtable (never a
//!   listpack, whatever the listpack limit);
//! - a listpack that would exceed either listpack limit becomes a hashtable;
//! - nothing ever converts back on removal (except the SPOP-with-count rebuild and the
//!   SINTERSTORE result, see [`Set::pop_random_many`] and [`Set::intersection`]);
//! - SADD of many members sizes the target up front: [`Set::with_expected`] for a new key
//!   (`setTypeCreate`), [`Set::prepare_bulk_insert`] for an existing one
//!   (`setTypeMaybeConvert`).
//!
//! Randomness is injected as `pick(n)`, which must return a uniform integer below `n`.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::htable::{HashSeed, OpenTable, TableEntry};
pub use super::packed::parse_i64;
use super::packed::{
    MAX_I64_LEN, ThinBuf, format_i64, i64_len, member_size, read_member, sample_distinct,
    sample_sorted, splice_exact, write_member,
};

/// `set-max-intset-entries` (Redis default 512).
pub static SET_MAX_INTSET_ENTRIES: AtomicUsize = AtomicUsize::new(512);
/// `set-max-listpack-entries` (Redis default 128).
pub static SET_MAX_LISTPACK_ENTRIES: AtomicUsize = AtomicUsize::new(128);
/// `set-max-listpack-value` (Redis default 64).
pub static SET_MAX_LISTPACK_VALUE: AtomicUsize = AtomicUsize::new(64);

fn intset_max_entries() -> usize {
    // Redis caps the intset at 2^30 entries whatever the configuration says.
    SET_MAX_INTSET_ENTRIES.load(Relaxed).min(1 << 30)
}

fn listpack_max_entries() -> usize {
    // Capped so that listpack lengths always fit their u32 counter.
    SET_MAX_LISTPACK_ENTRIES.load(Relaxed).min(1 << 30)
}

fn listpack_max_value() -> usize {
    SET_MAX_LISTPACK_VALUE.load(Relaxed)
}

/// How many times bigger the set must be than what SPOP leaves behind for SPOP to pop
/// members one by one instead of rebuilding the set from the survivors (Redis's
/// `SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

/// A set member as seen through iteration or random access: either bytes borrowed from the
/// set, or an integer (intset members and integers stored inline in the table). Integers
/// are formatted only when asked, without allocating in [`SetMember::write_to`].
#[derive(Clone, Copy, Debug)]
pub enum SetMember<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

impl<'a> SetMember<'a> {
    /// Appends the member's bytes (decimal form for integers) to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match *self {
            SetMember::Bytes(bytes) => out.extend_from_slice(bytes),
            SetMember::Int(value) => {
                let mut buf = [0u8; MAX_I64_LEN];
                out.extend_from_slice(format_i64(value, &mut buf));
            }
        }
    }

    /// The member's bytes as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        self.write_to(&mut out);
        out
    }

    /// The member's bytes: borrowed for byte members, formatted for integers.
    pub fn as_bytes(&self) -> Cow<'a, [u8]> {
        match *self {
            SetMember::Bytes(bytes) => Cow::Borrowed(bytes),
            SetMember::Int(_) => Cow::Owned(self.to_vec()),
        }
    }

    /// Length in bytes of the member (of its decimal form for integers).
    pub fn len(&self) -> usize {
        match *self {
            SetMember::Bytes(bytes) => bytes.len(),
            SetMember::Int(value) => i64_len(value),
        }
    }

    /// True for the empty string member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The member as an integer, if it is one in canonical form.
    pub fn as_int(&self) -> Option<i64> {
        match *self {
            SetMember::Bytes(bytes) => parse_i64(bytes),
            SetMember::Int(value) => Some(value),
        }
    }
}

/// Members compare by their bytes: `Int(5)` equals `Bytes(b"5")`.
impl PartialEq for SetMember<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (*self, *other) {
            (SetMember::Bytes(a), SetMember::Bytes(b)) => a == b,
            (SetMember::Int(a), SetMember::Int(b)) => a == b,
            (SetMember::Int(v), SetMember::Bytes(b)) | (SetMember::Bytes(b), SetMember::Int(v)) => {
                parse_i64(b) == Some(v)
            }
        }
    }
}

impl Eq for SetMember<'_> {}

// ---------------------------------------------------------------------------------------
// intset

/// Sorted integers, little-endian, all of the same width, which only grows (like Redis).
/// `data[0]` is the width in bytes (2, 4 or 8) followed by the elements; an empty intset
/// has no data at all. Keeping the width inside the buffer keeps `Set` at 24 bytes.
#[derive(Clone)]
struct IntSet {
    data: Box<[u8]>,
}

/// Smallest width (in bytes) that holds `value`.
fn int_width(value: i64) -> usize {
    if i16::try_from(value).is_ok() {
        2
    } else if i32::try_from(value).is_ok() {
        4
    } else {
        8
    }
}

fn write_int(dst: &mut [u8], value: i64) {
    match dst.len() {
        2 => dst.copy_from_slice(&(value as i16).to_le_bytes()),
        4 => dst.copy_from_slice(&(value as i32).to_le_bytes()),
        _ => dst.copy_from_slice(&value.to_le_bytes()),
    }
}

impl IntSet {
    fn new() -> Self {
        IntSet { data: Box::new([]) }
    }

    fn width(&self) -> usize {
        self.data.first().map_or(2, |&w| w as usize)
    }

    fn len(&self) -> usize {
        self.data.len().saturating_sub(1) / self.width()
    }

    fn get(&self, index: usize) -> i64 {
        let w = self.width();
        let raw = &self.data[1 + index * w..1 + (index + 1) * w];
        match w {
            2 => i16::from_le_bytes([raw[0], raw[1]]) as i64,
            4 => i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]) as i64,
            _ => i64::from_le_bytes(raw.try_into().expect("8-byte slot")),
        }
    }

    fn search(&self, value: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(&value) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    fn contains(&self, value: i64) -> bool {
        int_width(value) <= self.width() && self.search(value).is_ok()
    }

    /// Builds an intset from sorted, distinct values with the given minimum width.
    fn build(values: impl ExactSizeIterator<Item = i64>, width: usize) -> Self {
        if values.len() == 0 {
            return IntSet::new();
        }
        let mut data = vec![0u8; 1 + values.len() * width];
        data[0] = width as u8;
        for (i, v) in values.enumerate() {
            write_int(&mut data[1 + i * width..1 + (i + 1) * width], v);
        }
        IntSet {
            data: data.into_boxed_slice(),
        }
    }

    fn insert(&mut self, value: i64) -> bool {
        let needed = int_width(value);
        if self.data.is_empty() || needed > self.width() {
            // Empty, or the value is outside the current range: it goes first or last.
            let n = self.len();
            let old = (0..n).map(|i| self.get(i));
            let values: Vec<i64> = if value < 0 {
                std::iter::once(value).chain(old).collect()
            } else {
                old.chain(std::iter::once(value)).collect()
            };
            *self = IntSet::build(values.into_iter(), needed.max(self.width()));
            return true;
        }
        match self.search(value) {
            Ok(_) => false,
            Err(pos) => {
                let w = self.width();
                let at = 1 + pos * w;
                splice_exact(&mut self.data, at..at, w, |d| write_int(d, value));
                true
            }
        }
    }

    fn remove_index(&mut self, index: usize) -> i64 {
        let value = self.get(index);
        if self.len() == 1 {
            self.data = Box::new([]);
        } else {
            let w = self.width();
            let at = 1 + index * w;
            splice_exact(&mut self.data, at..at + w, 0, |_| {});
        }
        value
    }

    fn remove(&mut self, value: i64) -> bool {
        if int_width(value) > self.width() {
            return false;
        }
        match self.search(value) {
            Ok(index) => {
                self.remove_index(index);
                true
            }
            Err(_) => false,
        }
    }

    /// Longest decimal form among the members (Redis checks it against the listpack value
    /// limit before converting).
    fn longest_decimal(&self) -> usize {
        match self.len() {
            0 => 0,
            n => i64_len(self.get(0)).max(i64_len(self.get(n - 1))),
        }
    }

    fn from_sorted(values: &[i64]) -> Self {
        let width = values.iter().map(|&v| int_width(v)).max().unwrap_or(2);
        IntSet::build(values.iter().copied(), width)
    }
}

// ---------------------------------------------------------------------------------------
// listpack

/// Members back to back (`varint(len) bytes`), insertion order, after a 4-byte
/// little-endian member count. An empty listpack has no buffer at all. (The count lives
/// in the buffer rather than next to it so that `Set` stays at 24 bytes.)
#[derive(Clone)]
struct PackedMembers {
    buf: Box<[u8]>,
}

const PACKED_HEADER: usize = 4;

impl PackedMembers {
    fn new() -> Self {
        PackedMembers { buf: Box::new([]) }
    }

    /// A listpack from `count` already encoded members.
    fn from_encoded(body: &[u8], count: usize) -> Self {
        if count == 0 {
            return PackedMembers::new();
        }
        let mut buf = Vec::with_capacity(PACKED_HEADER + body.len());
        buf.extend_from_slice(&(count as u32).to_le_bytes());
        buf.extend_from_slice(body);
        PackedMembers {
            buf: buf.into_boxed_slice(),
        }
    }

    fn len(&self) -> usize {
        match self.buf.first_chunk::<PACKED_HEADER>() {
            Some(header) => u32::from_le_bytes(*header) as usize,
            None => 0,
        }
    }

    fn set_len(&mut self, count: usize) {
        self.buf[..PACKED_HEADER].copy_from_slice(&(count as u32).to_le_bytes());
    }

    /// Offset of the first member.
    fn start(&self) -> usize {
        PACKED_HEADER.min(self.buf.len())
    }

    fn iter(&self) -> PackedIter<'_> {
        PackedIter {
            buf: &self.buf,
            pos: self.start(),
        }
    }

    /// Byte offset and encoded size of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, usize)> {
        let mut pos = self.start();
        while pos < self.buf.len() {
            let (bytes, size) = read_member(&self.buf[pos..]);
            if bytes == member {
                return Some((pos, size));
            }
            pos += size;
        }
        None
    }

    /// Byte offsets of all members, in order.
    fn offsets(&self) -> Vec<usize> {
        let mut offsets = Vec::with_capacity(self.len());
        let mut pos = self.start();
        while pos < self.buf.len() {
            offsets.push(pos);
            pos += read_member(&self.buf[pos..]).1;
        }
        offsets
    }

    fn at(&self, offset: usize) -> &[u8] {
        read_member(&self.buf[offset..]).0
    }

    fn push(&mut self, member: &[u8]) {
        let count = self.len() + 1;
        if self.buf.is_empty() {
            self.buf = vec![0; PACKED_HEADER].into_boxed_slice();
        }
        let end = self.buf.len();
        splice_exact(&mut self.buf, end..end, member_size(member.len()), |d| {
            write_member(d, member)
        });
        self.set_len(count);
    }

    fn remove_range(&mut self, offset: usize, size: usize) {
        let count = self.len() - 1;
        if count == 0 {
            self.buf = Box::new([]);
        } else {
            splice_exact(&mut self.buf, offset..offset + size, 0, |_| {});
            self.set_len(count);
        }
    }

    /// Splits the members at the sorted positions `chosen` from the others, keeping order.
    fn partition(&self, chosen: &[usize]) -> (PackedMembers, PackedMembers) {
        let (mut picked, mut rest) = (Vec::new(), Vec::new());
        let (mut picked_count, mut rest_count) = (0, 0);
        let mut next = chosen.iter().peekable();
        let mut pos = self.start();
        let mut index = 0;
        while pos < self.buf.len() {
            let size = read_member(&self.buf[pos..]).1;
            let raw = &self.buf[pos..pos + size];
            if next.peek() == Some(&&index) {
                next.next();
                picked.extend_from_slice(raw);
                picked_count += 1;
            } else {
                rest.extend_from_slice(raw);
                rest_count += 1;
            }
            pos += size;
            index += 1;
        }
        (
            PackedMembers::from_encoded(&picked, picked_count),
            PackedMembers::from_encoded(&rest, rest_count),
        )
    }
}

struct PackedIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (bytes, size) = read_member(&self.buf[self.pos..]);
        self.pos += size;
        Some(bytes)
    }
}

// ---------------------------------------------------------------------------------------
// hashtable members: one tagged word each

// The word layout below (inline bytes addressed in memory after the tag byte, integers
// shifted by two bits) needs 64-bit words.
const _: () = assert!(usize::BITS == 64);

const TAG_MASK: usize = 0b11;
/// Pointer to a `ThinBuf` holding `varint(len) bytes` (8-byte aligned, so low bits are 0).
const TAG_HEAP: usize = 0b00;
/// Up to 7 bytes stored in the word itself; the tag byte holds `len << 2 | 0b01`.
const TAG_INLINE: usize = 0b01;
/// An integer in `[-2^61, 2^61)` stored as `value << 2 | 0b10`.
const TAG_INT: usize = 0b10;

const INLINE_MAX: usize = 7;
const WORD_INT_MIN: i64 = -(1 << 61);
const WORD_INT_MAX: i64 = (1 << 61) - 1;
/// Index, in the word's in-memory bytes, of its least significant byte (the tag byte).
const TAG_BYTE: usize = if cfg!(target_endian = "little") { 0 } else { 7 };
/// Index, in the word's in-memory bytes, of the first inline data byte.
const INLINE_START: usize = if cfg!(target_endian = "little") { 1 } else { 0 };

fn int_word(value: i64) -> NonZeroUsize {
    debug_assert!((WORD_INT_MIN..=WORD_INT_MAX).contains(&value));
    NonZeroUsize::new(((value as usize) << 2) | TAG_INT).expect("tag bit set")
}

fn inline_word(bytes: &[u8]) -> NonZeroUsize {
    debug_assert!(bytes.len() <= INLINE_MAX);
    let mut raw = [0u8; 8];
    raw[TAG_BYTE] = ((bytes.len() as u8) << 2) | TAG_INLINE as u8;
    raw[INLINE_START..INLINE_START + bytes.len()].copy_from_slice(bytes);
    NonZeroUsize::new(usize::from_ne_bytes(raw)).expect("tag bit set")
}

/// How a member is (or would be) stored in the table. A pure function of the bytes.
#[derive(Clone, Copy)]
enum MemberKey<'a> {
    Word(NonZeroUsize),
    Heap(&'a [u8]),
}

impl<'a> MemberKey<'a> {
    fn of(bytes: &'a [u8]) -> Self {
        if let Some(value) = parse_i64(bytes)
            && (WORD_INT_MIN..=WORD_INT_MAX).contains(&value)
        {
            return MemberKey::Word(int_word(value));
        }
        if bytes.len() <= INLINE_MAX {
            MemberKey::Word(inline_word(bytes))
        } else {
            MemberKey::Heap(bytes)
        }
    }

    fn hash(&self, seed: &HashSeed) -> u64 {
        match *self {
            MemberKey::Word(word) => seed.hash_word(word.get() as u64),
            MemberKey::Heap(bytes) => seed.hash_bytes(bytes),
        }
    }

    fn matches(&self, stored: &MemberWord) -> bool {
        match *self {
            MemberKey::Word(word) => stored.0 == word,
            MemberKey::Heap(bytes) => stored.heap().is_some_and(|(_, b)| b == bytes),
        }
    }
}

/// One table member: a tagged word that owns its heap buffer when it has one.
struct MemberWord(NonZeroUsize);

// SAFETY: a MemberWord exclusively owns its heap buffer (if any) and has no interior
// mutability; moving or sharing it across threads is as safe as for a Box<[u8]>.
unsafe impl Send for MemberWord {}
// SAFETY: see above; `&MemberWord` only reads.
unsafe impl Sync for MemberWord {}

impl MemberWord {
    fn from_key(key: MemberKey<'_>) -> Self {
        match key {
            MemberKey::Word(word) => MemberWord(word),
            MemberKey::Heap(bytes) => {
                let size = member_size(bytes.len());
                let ptr = ThinBuf::alloc_filled(size, |d| write_member(d, bytes));
                let addr = ptr.as_ptr().expose_provenance();
                debug_assert_eq!(addr & TAG_MASK, TAG_HEAP);
                MemberWord(NonZeroUsize::new(addr).expect("non-null allocation"))
            }
        }
    }

    fn from_int(value: i64) -> Self {
        if (WORD_INT_MIN..=WORD_INT_MAX).contains(&value) {
            MemberWord(int_word(value))
        } else {
            let mut buf = [0u8; MAX_I64_LEN];
            MemberWord::from_key(MemberKey::Heap(format_i64(value, &mut buf)))
        }
    }

    /// The heap pointer and the member bytes, for heap words.
    fn heap(&self) -> Option<(NonNull<u8>, &[u8])> {
        if self.0.get() & TAG_MASK != TAG_HEAP {
            return None;
        }
        let ptr = NonNull::new(std::ptr::with_exposed_provenance_mut::<u8>(self.0.get()))
            .expect("non-null allocation");
        // SAFETY: a heap-tagged word always holds the exposed address of a live ThinBuf
        // that this word owns and that starts with a complete varint length.
        let (len, header) = unsafe { ThinBuf::read_varint(ptr.as_ptr()) };
        // SAFETY: the buffer was allocated with exactly `header + len` bytes and lives as
        // long as `self`.
        let bytes = unsafe { &ThinBuf::slice(ptr, header + len)[header..] };
        Some((ptr, bytes))
    }

    /// Size of the owned heap buffer (0 for inline words).
    fn heap_size(&self) -> usize {
        self.heap().map_or(0, |(_, bytes)| member_size(bytes.len()))
    }

    fn member(&self) -> SetMember<'_> {
        let word = self.0.get();
        match word & TAG_MASK {
            TAG_INT => SetMember::Int((word as i64) >> 2),
            TAG_INLINE => {
                let len = (word & 0xff) >> 2;
                let start = (&self.0 as *const NonZeroUsize).cast::<u8>();
                // SAFETY: `self.0` is 8 initialised bytes and `INLINE_START + len <= 8`
                // (len <= 7); the slice borrows `self`.
                SetMember::Bytes(unsafe {
                    std::slice::from_raw_parts(start.add(INLINE_START), len)
                })
            }
            _ => SetMember::Bytes(self.heap().expect("heap word").1),
        }
    }
}

impl Drop for MemberWord {
    fn drop(&mut self) {
        if let Some((ptr, bytes)) = self.heap() {
            let size = member_size(bytes.len());
            // SAFETY: we own the buffer, allocated with exactly this size, and the word
            // is never used again.
            unsafe { ThinBuf::free(ptr, size) };
        }
    }
}

impl Clone for MemberWord {
    fn clone(&self) -> Self {
        match self.heap() {
            Some((_, bytes)) => MemberWord::from_key(MemberKey::Heap(bytes)),
            None => MemberWord(self.0),
        }
    }
}

impl TableEntry for MemberWord {
    fn key_hash(&self, seed: &HashSeed) -> u64 {
        match self.heap() {
            Some((_, bytes)) => seed.hash_bytes(bytes),
            None => seed.hash_word(self.0.get() as u64),
        }
    }
}

#[derive(Clone)]
struct MemberTable {
    table: OpenTable<MemberWord>,
    /// Sum of the members' heap buffer sizes (for `mem_usage`).
    heap_bytes: usize,
}

impl MemberTable {
    fn with_capacity(n: usize) -> Self {
        MemberTable {
            table: OpenTable::with_capacity(n),
            heap_bytes: 0,
        }
    }

    fn find(&self, key: MemberKey<'_>) -> Option<usize> {
        let hash = key.hash(self.table.seed());
        self.table.find(hash, |w| key.matches(w))
    }

    fn insert(&mut self, key: MemberKey<'_>) -> bool {
        let hash = key.hash(self.table.seed());
        if self.table.find(hash, |w| key.matches(w)).is_some() {
            return false;
        }
        let word = MemberWord::from_key(key);
        self.heap_bytes += word.heap_size();
        self.table.insert_absent(hash, word);
        true
    }

    /// Inserts a member known not to be present (conversions).
    fn insert_absent(&mut self, word: MemberWord) {
        let hash = word.key_hash(self.table.seed());
        self.heap_bytes += word.heap_size();
        self.table.insert_absent(hash, word);
    }

    fn remove_at(&mut self, index: usize) -> MemberWord {
        let word = self.table.remove_at(index);
        self.heap_bytes -= word.heap_size();
        word
    }

    fn remove(&mut self, key: MemberKey<'_>) -> bool {
        match self.find(key) {
            Some(index) => {
                self.remove_at(index);
                true
            }
            None => false,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Set

/// A Redis set. See the module documentation for encodings and conversion rules.
#[derive(Clone)]
pub struct Set {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Ints(IntSet),
    Packed(PackedMembers),
    Table(Box<MemberTable>),
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

impl fmt::Debug for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Set<{}>", self.encoding())?;
        f.debug_set()
            .entries(
                self.iter()
                    .map(|m| String::from_utf8_lossy(&m.as_bytes()).into_owned()),
            )
            .finish()
    }
}

/// Iterator over a set's members: ascending for intsets, insertion order for listpacks,
/// table order for hashtables.
pub struct SetIter<'a> {
    inner: IterInner<'a>,
}

enum IterInner<'a> {
    Ints { set: &'a IntSet, next: usize },
    Packed(PackedIter<'a>),
    Table(std::iter::Flatten<std::slice::Iter<'a, Option<MemberWord>>>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = SetMember<'a>;

    fn next(&mut self) -> Option<SetMember<'a>> {
        match &mut self.inner {
            IterInner::Ints { set, next } => {
                if *next < set.len() {
                    *next += 1;
                    Some(SetMember::Int(set.get(*next - 1)))
                } else {
                    None
                }
            }
            IterInner::Packed(it) => it.next().map(SetMember::Bytes),
            IterInner::Table(it) => it.next().map(MemberWord::member),
        }
    }
}

impl Set {
    /// An empty set (an empty intset, as Redis creates for SUNIONSTORE/SDIFFSTORE targets).
    pub fn new() -> Self {
        Set {
            repr: Repr::Ints(IntSet::new()),
        }
    }

    fn new_listpack() -> Self {
        Set {
            repr: Repr::Packed(PackedMembers::new()),
        }
    }

    /// An empty set sized for `len_hint` members, choosing the encoding like Redis's
    /// `setTypeCreate` does when SADD/SMOVE create a key: intset if `first_is_int` and the
    /// hint fits the intset limit, else listpack if the hint fits the listpack entry limit,
    /// else a presized hashtable.
    ///
    /// To reproduce Redis exactly, pass whether the *first* member to be added is an
    /// integer ([`Set::is_int_member`]) and the number of members in the command
    /// (duplicates included): SADD passes `argc - 2`, SMOVE passes 1.
    pub fn with_expected(len_hint: usize, first_is_int: bool) -> Self {
        if first_is_int && len_hint <= intset_max_entries() {
            Set::new()
        } else if len_hint <= listpack_max_entries() {
            Set::new_listpack()
        } else {
            Set {
                repr: Repr::Table(Box::new(MemberTable::with_capacity(len_hint))),
            }
        }
    }

    /// Before adding `len_hint` members to an existing set (SADD), converts a listpack or
    /// intset that the hint alone would overflow straight to a presized hashtable, like
    /// Redis's `setTypeMaybeConvert`.
    pub fn prepare_bulk_insert(&mut self, len_hint: usize) {
        let overflow = match &self.repr {
            Repr::Packed(_) => len_hint > listpack_max_entries(),
            Repr::Ints(_) => len_hint > intset_max_entries(),
            Repr::Table(_) => false,
        };
        if overflow {
            self.convert_to_table(len_hint);
        }
    }

    /// True if `member` would be stored in an intset (a canonical i64, see [`parse_i64`]).
    pub fn is_int_member(member: &[u8]) -> bool {
        parse_i64(member).is_some()
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Ints(set) => set.len(),
            Repr::Packed(packed) => packed.len(),
            Repr::Table(table) => table.table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// "intset", "listpack" or "hashtable", as OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Ints(_) => "intset",
            Repr::Packed(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// Approximate heap + inline bytes used by this set (allocator rounding excluded).
    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Set>()
            + match &self.repr {
                Repr::Ints(set) => set.data.len(),
                Repr::Packed(packed) => packed.buf.len(),
                Repr::Table(table) => {
                    std::mem::size_of::<MemberTable>()
                        + table.table.slots_bytes()
                        + table.heap_bytes
                }
            }
    }

    fn convert_to_table(&mut self, capacity: usize) {
        let mut table = MemberTable::with_capacity(capacity.max(self.len()));
        match &self.repr {
            Repr::Ints(set) => {
                for i in 0..set.len() {
                    table.insert_absent(MemberWord::from_int(set.get(i)));
                }
            }
            Repr::Packed(packed) => {
                for bytes in packed.iter() {
                    table.insert_absent(MemberWord::from_key(MemberKey::of(bytes)));
                }
            }
            Repr::Table(_) => return,
        }
        self.repr = Repr::Table(Box::new(table));
    }

    fn convert_intset_to_listpack(&mut self) {
        if let Repr::Ints(set) = &self.repr {
            let mut body = Vec::new();
            let mut digits = [0u8; MAX_I64_LEN];
            for i in 0..set.len() {
                let bytes = format_i64(set.get(i), &mut digits);
                let start = body.len();
                body.resize(start + member_size(bytes.len()), 0);
                write_member(&mut body[start..], bytes);
            }
            self.repr = Repr::Packed(PackedMembers::from_encoded(&body, set.len()));
        }
    }

    /// Adds `member`; returns true if it was not already present (SADD semantics,
    /// including Redis's encoding conversions).
    pub fn insert(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Table(table) => table.insert(MemberKey::of(member)),
            Repr::Packed(packed) => {
                if packed.find(member).is_some() {
                    return false;
                }
                if packed.len() < listpack_max_entries() && member.len() <= listpack_max_value() {
                    packed.push(member);
                } else {
                    let n = packed.len();
                    self.convert_to_table(n + 1);
                    self.table_insert(member);
                }
                true
            }
            Repr::Ints(set) => match parse_i64(member) {
                Some(value) => {
                    if !set.insert(value) {
                        return false;
                    }
                    if set.len() > intset_max_entries() {
                        let n = set.len();
                        self.convert_to_table(n);
                    }
                    true
                }
                None => {
                    let n = set.len();
                    let max_value = listpack_max_value();
                    if n < listpack_max_entries()
                        && member.len() <= max_value
                        && set.longest_decimal() <= max_value
                    {
                        self.convert_intset_to_listpack();
                        if let Repr::Packed(packed) = &mut self.repr {
                            packed.push(member);
                        }
                    } else {
                        self.convert_to_table(n + 1);
                        self.table_insert(member);
                    }
                    true
                }
            },
        }
    }

    fn table_insert(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Table(table) => table.insert(MemberKey::of(member)),
            _ => unreachable!("converted to a table just before"),
        }
    }

    /// Adds a member obtained from another set (integers go straight into an intset).
    fn insert_member(&mut self, member: SetMember<'_>) -> bool {
        match member {
            SetMember::Bytes(bytes) => self.insert(bytes),
            SetMember::Int(value) => {
                if let Repr::Ints(set) = &mut self.repr {
                    if !set.insert(value) {
                        return false;
                    }
                    if set.len() > intset_max_entries() {
                        let n = set.len();
                        self.convert_to_table(n);
                    }
                    return true;
                }
                let mut buf = [0u8; MAX_I64_LEN];
                self.insert(format_i64(value, &mut buf))
            }
        }
    }

    /// Removes `member`; returns true if it was present. Never changes the encoding.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Ints(set) => parse_i64(member).is_some_and(|v| set.remove(v)),
            Repr::Packed(packed) => match packed.find(member) {
                Some((offset, size)) => {
                    packed.remove_range(offset, size);
                    true
                }
                None => false,
            },
            Repr::Table(table) => table.remove(MemberKey::of(member)),
        }
    }

    fn remove_member(&mut self, member: SetMember<'_>) -> bool {
        match member {
            SetMember::Bytes(bytes) => self.remove(bytes),
            SetMember::Int(value) => {
                let mut buf = [0u8; MAX_I64_LEN];
                self.remove(format_i64(value, &mut buf))
            }
        }
    }

    /// SISMEMBER.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Ints(set) => parse_i64(member).is_some_and(|v| set.contains(v)),
            Repr::Packed(packed) => packed.find(member).is_some(),
            Repr::Table(table) => table.find(MemberKey::of(member)).is_some(),
        }
    }

    fn contains_member(&self, member: SetMember<'_>) -> bool {
        match (member, &self.repr) {
            (SetMember::Int(value), Repr::Ints(set)) => set.contains(value),
            (SetMember::Int(value), _) => {
                let mut buf = [0u8; MAX_I64_LEN];
                self.contains(format_i64(value, &mut buf))
            }
            (SetMember::Bytes(bytes), _) => self.contains(bytes),
        }
    }

    /// Iterates over the members (see [`SetIter`] for the order).
    pub fn iter(&self) -> SetIter<'_> {
        SetIter {
            inner: match &self.repr {
                Repr::Ints(set) => IterInner::Ints { set, next: 0 },
                Repr::Packed(packed) => IterInner::Packed(packed.iter()),
                Repr::Table(table) => IterInner::Table(table.table.iter()),
            },
        }
    }

    /// One uniformly random member (SRANDMEMBER without count).
    pub fn random_member(&self, pick: &mut impl FnMut(usize) -> usize) -> Option<SetMember<'_>> {
        if self.is_empty() {
            return None;
        }
        Some(match &self.repr {
            Repr::Ints(set) => SetMember::Int(set.get(pick(set.len()))),
            Repr::Packed(packed) => {
                let index = pick(packed.len());
                SetMember::Bytes(packed.iter().nth(index).expect("index below len"))
            }
            Repr::Table(table) => {
                let index = table.table.random_index(pick)?;
                table.table.get(index).member()
            }
        })
    }

    /// Removes and returns one uniformly random member (SPOP without count).
    pub fn pop_random(&mut self, pick: &mut impl FnMut(usize) -> usize) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        Some(match &mut self.repr {
            Repr::Ints(set) => {
                let index = pick(set.len());
                SetMember::Int(set.remove_index(index)).to_vec()
            }
            Repr::Packed(packed) => {
                let offset = packed.offsets()[pick(packed.len())];
                let (bytes, size) = read_member(&packed.buf[offset..]);
                let out = bytes.to_vec();
                packed.remove_range(offset, size);
                out
            }
            Repr::Table(table) => {
                let index = table.table.random_index(pick)?;
                table.remove_at(index).member().to_vec()
            }
        })
    }

    /// `count` independent uniform draws, repeats allowed, in draw order
    /// (SRANDMEMBER with a negative count).
    pub fn random_members(
        &self,
        count: usize,
        pick: &mut impl FnMut(usize) -> usize,
    ) -> Vec<SetMember<'_>> {
        if self.is_empty() {
            return Vec::new();
        }
        match &self.repr {
            Repr::Packed(packed) => {
                let offsets = packed.offsets();
                (0..count)
                    .map(|_| SetMember::Bytes(packed.at(offsets[pick(offsets.len())])))
                    .collect()
            }
            _ => (0..count)
                .filter_map(|_| self.random_member(pick))
                .collect(),
        }
    }

    /// `count` distinct members chosen uniformly at random (SRANDMEMBER with a positive
    /// count). With `count >= len` this is the whole set in iteration order; listpacks
    /// return the sample in listpack order (like Redis's CASE 2.5), other encodings in
    /// random order.
    pub fn random_distinct(
        &self,
        count: usize,
        pick: &mut impl FnMut(usize) -> usize,
    ) -> Vec<SetMember<'_>> {
        if count >= self.len() {
            return self.iter().collect();
        }
        match &self.repr {
            Repr::Ints(set) => sample_distinct(set.len(), count, pick)
                .into_iter()
                .map(|i| SetMember::Int(set.get(i)))
                .collect(),
            Repr::Packed(packed) => {
                let offsets = packed.offsets();
                sample_sorted(packed.len(), count, pick)
                    .into_iter()
                    .map(|i| SetMember::Bytes(packed.at(offsets[i])))
                    .collect()
            }
            Repr::Table(table) => table
                .table
                .sample_distinct(count, pick)
                .into_iter()
                .map(|i| table.table.get(i).member())
                .collect(),
        }
    }

    /// SPOP with a count: removes and returns `count` distinct uniformly random members.
    ///
    /// Follows Redis's strategies, which matter for the resulting encoding and order:
    /// - `count >= len`: everything is returned, in the order of [`Set::union`] of this set
    ///   alone, and the set is left empty;
    /// - `len - count` survivors times 5 more than `count`: members are popped one by one
    ///   (listpacks: one order-preserving pass); the encoding does not change;
    /// - otherwise the set is rebuilt from `len - count` random survivors and the rest is
    ///   returned in iteration order. An intset stays an intset, a listpack stays a
    ///   listpack, and a hashtable is rebuilt as a *listpack* that converts back to a
    ///   hashtable only if the survivors exceed the listpack limits (as in Redis, where a
    ///   hashtable of integers can thus become a listpack, not an intset).
    pub fn pop_random_many(
        &mut self,
        count: usize,
        pick: &mut impl FnMut(usize) -> usize,
    ) -> Vec<Vec<u8>> {
        let size = self.len();
        if count == 0 || size == 0 {
            return Vec::new();
        }
        if count >= size {
            // Redis replies through its SUNION code, i.e. in the order of the set rebuilt
            // from an empty intset (integers of a listpack come out sorted first).
            let all = Set::union(&[self]).iter().map(|m| m.to_vec()).collect();
            *self = Set::new();
            return all;
        }
        let remaining = size - count;
        if remaining * SPOP_MOVE_STRATEGY_MUL > count {
            if let Repr::Packed(packed) = &mut self.repr {
                let chosen = sample_sorted(packed.len(), count, pick);
                let (popped, kept) = packed.partition(&chosen);
                *packed = kept;
                return popped.iter().map(<[u8]>::to_vec).collect();
            }
            return (0..count).filter_map(|_| self.pop_random(pick)).collect();
        }
        // Rebuild from the survivors.
        match &mut self.repr {
            Repr::Packed(packed) => {
                let keep = sample_sorted(packed.len(), remaining, pick);
                let (kept, popped) = packed.partition(&keep);
                *packed = kept;
                popped.iter().map(<[u8]>::to_vec).collect()
            }
            Repr::Ints(set) => {
                let mut keep = sample_distinct(set.len(), remaining, pick);
                keep.sort_unstable();
                let kept: Vec<i64> = keep.iter().map(|&i| set.get(i)).collect();
                let mut next_keep = keep.iter().peekable();
                let mut popped = Vec::with_capacity(count);
                for i in 0..set.len() {
                    if next_keep.peek() == Some(&&i) {
                        next_keep.next();
                    } else {
                        popped.push(SetMember::Int(set.get(i)).to_vec());
                    }
                }
                *set = IntSet::from_sorted(&kept);
                popped
            }
            Repr::Table(table) => {
                let mut survivors = Set::new_listpack();
                for _ in 0..remaining {
                    let index = table.table.random_index(pick).expect("non-empty");
                    let word = table.remove_at(index);
                    survivors.insert_member(word.member());
                }
                let popped = table.table.iter().map(|w| w.member().to_vec()).collect();
                *self = survivors;
                popped
            }
        }
    }

    /// One SSCAN step. Intsets and listpacks return everything with cursor 0 (like Redis,
    /// whatever the cursor). Hashtables return the next batch and the next cursor (0 when
    /// done); every member present for the whole scan is returned, exactly once, even if
    /// the set grows or shrinks between calls (see `table.rs`).
    pub fn scan(&self, cursor: u64, count: usize, out: &mut Vec<Vec<u8>>) -> u64 {
        match &self.repr {
            Repr::Table(table) => table
                .table
                .scan(cursor, count, |w| out.push(w.member().to_vec())),
            _ => {
                out.extend(self.iter().map(|m| m.to_vec()));
                0
            }
        }
    }

    // ----- set algebra -----

    /// SINTER: members of the first (smallest) set present in all the others, in that
    /// set's iteration order. Sets are ordered by size first, like Redis. Empty if any set
    /// is empty or no set is given (missing keys are empty sets).
    pub fn intersection_members<'a>(sets: &[&'a Set]) -> Vec<SetMember<'a>> {
        let Some(ordered) = by_size(sets) else {
            return Vec::new();
        };
        let first = ordered[0];
        first
            .iter()
            .filter(|&m| member_of_all(m, first, &ordered[1..]))
            .collect()
    }

    /// SINTERCARD: size of the intersection, stopping at `limit` (0 = no limit).
    pub fn intersection_card(sets: &[&Set], limit: usize) -> usize {
        let Some(ordered) = by_size(sets) else {
            return 0;
        };
        let first = ordered[0];
        let mut card = 0;
        for m in first.iter() {
            if member_of_all(m, first, &ordered[1..]) {
                card += 1;
                if limit != 0 && card >= limit {
                    break;
                }
            }
        }
        card
    }

    /// SINTERSTORE: the intersection as a new set, with Redis's result encoding: it starts
    /// as an intset if the smallest set is one, else as a listpack, grows by the usual
    /// rules, and ends as an intset if every member is an integer and it fits the intset
    /// limit. An empty result means the destination key is deleted.
    pub fn intersection(sets: &[&Set]) -> Set {
        let Some(ordered) = by_size(sets) else {
            return Set::new();
        };
        let first = ordered[0];
        let mut result = match first.repr {
            Repr::Ints(_) => Set::new(),
            _ => Set::new_listpack(),
        };
        let mut only_integers = true;
        for m in first.iter() {
            if member_of_all(m, first, &ordered[1..]) {
                if only_integers && m.as_int().is_none() {
                    only_integers = false;
                }
                result.insert_member(m);
            }
        }
        if only_integers && !result.is_empty() {
            result.convert_to_intset_if_fits();
        }
        result
    }

    /// SUNION / SUNIONSTORE: all members of all sets, added in order to a new set that
    /// starts as an empty intset (so the result encoding is path-dependent, as in Redis).
    pub fn union(sets: &[&Set]) -> Set {
        let mut result = Set::new();
        for set in sets {
            for m in set.iter() {
                result.insert_member(m);
            }
        }
        result
    }

    /// SDIFF / SDIFFSTORE: members of the first set absent from all the others. `None`
    /// stands for a missing key. Pass the same reference twice for a repeated key: if the
    /// first key appears again the result is empty. Redis's choice between its two
    /// algorithms is reproduced because it affects the result encoding (the second one adds
    /// the whole first set before removing).
    pub fn difference(sets: &[Option<&Set>]) -> Set {
        let mut result = Set::new();
        let Some(Some(first)) = sets.first().copied() else {
            return result;
        };
        let others: Vec<&Set> = sets[1..].iter().flatten().copied().collect();
        if others.iter().any(|s| std::ptr::eq(*s, first)) {
            return result;
        }
        let present = 1 + others.len();
        let algo_one_work = present * first.len() / 2;
        let algo_two_work = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
        if algo_one_work <= algo_two_work {
            for m in first.iter() {
                if !others.iter().any(|s| s.contains_member(m)) {
                    result.insert_member(m);
                }
            }
        } else {
            for m in first.iter() {
                result.insert_member(m);
            }
            for set in &others {
                if result.is_empty() {
                    break;
                }
                for m in set.iter() {
                    result.remove_member(m);
                }
            }
        }
        result
    }

    /// Redis's `maybeConvertToIntset`: used when every member is known to be an integer.
    fn convert_to_intset_if_fits(&mut self) {
        if matches!(self.repr, Repr::Ints(_)) || self.len() > intset_max_entries() {
            return;
        }
        let mut values: Vec<i64> = self
            .iter()
            .map(|m| m.as_int().expect("only integers"))
            .collect();
        values.sort_unstable();
        self.repr = Repr::Ints(IntSet::from_sorted(&values));
    }
}

/// Sets ordered by increasing size, or None if there are none or one is empty.
fn by_size<'a>(sets: &[&'a Set]) -> Option<Vec<&'a Set>> {
    if sets.is_empty() || sets.iter().any(|s| s.is_empty()) {
        return None;
    }
    let mut ordered = sets.to_vec();
    ordered.sort_by_key(|s| s.len());
    Some(ordered)
}

fn member_of_all(member: SetMember<'_>, first: &Set, others: &[&Set]) -> bool {
    others
        .iter()
        .all(|s| std::ptr::eq(*s, first) || s.contains_member(member))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};
    use std::collections::{HashMap, HashSet};

    fn picker(seed: u64) -> impl FnMut(usize) -> usize {
        let mut rng = SmallRng::seed_from_u64(seed);
        move |n| rng.random_range(0..n)
    }

    fn members(set: &Set) -> Vec<Vec<u8>> {
        set.iter().map(|m| m.to_vec()).collect()
    }

    fn sorted_members(set: &Set) -> Vec<Vec<u8>> {
        let mut all = members(set);
        all.sort();
        all
    }

    fn set_of(items: &[&[u8]]) -> Set {
        let mut set = Set::new();
        for item in items {
            set.insert(item);
        }
        set
    }

    fn ints(range: std::ops::Range<i64>) -> Set {
        let mut set = Set::new();
        for v in range {
            set.insert(v.to_string().as_bytes());
        }
        set
    }

    fn strings(prefix: &str, n: usize) -> Set {
        let mut set = Set::new();
        for i in 0..n {
            set.insert(format!("{prefix}{i}").as_bytes());
        }
        set
    }

    /// Checks the encoding invariants that hold whatever path led to the encoding.
    fn check(set: &Set) {
        let all = members(set);
        assert_eq!(all.len(), set.len());
        let unique: HashSet<&Vec<u8>> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "duplicate members");
        match &set.repr {
            Repr::Ints(is) => {
                assert!(set.len() <= intset_max_entries());
                let values: Vec<i64> = (0..is.len()).map(|i| is.get(i)).collect();
                assert!(values.windows(2).all(|w| w[0] < w[1]), "intset not sorted");
            }
            Repr::Packed(p) => {
                assert!(p.len() <= listpack_max_entries());
                assert!(all.iter().all(|m| m.len() <= listpack_max_value()));
            }
            Repr::Table(t) => {
                t.table.check_invariants();
                let heap: usize = t.table.iter().map(MemberWord::heap_size).sum();
                assert_eq!(heap, t.heap_bytes);
            }
        }
        for m in &all {
            assert!(set.contains(m));
        }
    }

    #[test]
    fn set_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Set>();
        // One value per key: keep it small.
        assert_eq!(std::mem::size_of::<Set>(), 24);
        assert_send_sync::<SetMember<'static>>();
    }

    #[test]
    fn set_member_api() {
        let mut out = b"x".to_vec();
        SetMember::Int(-42).write_to(&mut out);
        SetMember::Bytes(b"\0z").write_to(&mut out);
        assert_eq!(out, b"x-42\0z");
        assert_eq!(SetMember::Int(i64::MIN).to_vec(), b"-9223372036854775808");
        assert_eq!(SetMember::Int(7).len(), 1);
        assert_eq!(SetMember::Int(-100).len(), 4);
        assert!(SetMember::Bytes(b"").is_empty());
        assert!(!SetMember::Int(0).is_empty());
        assert!(matches!(
            SetMember::Bytes(b"ab").as_bytes(),
            Cow::Borrowed(b"ab")
        ));
        assert_eq!(&*SetMember::Int(12).as_bytes(), b"12");
        assert_eq!(SetMember::Bytes(b"12").as_int(), Some(12));
        assert_eq!(SetMember::Bytes(b"012").as_int(), None);
        assert_eq!(SetMember::Int(5), SetMember::Bytes(b"5"));
        assert_eq!(SetMember::Bytes(b"5"), SetMember::Int(5));
        assert_ne!(SetMember::Int(5), SetMember::Bytes(b"05"));
        assert_ne!(SetMember::Int(5), SetMember::Int(6));
        assert_eq!(SetMember::Bytes(b"a"), SetMember::Bytes(b"a"));
    }

    #[test]
    fn new_default_debug_clone() {
        let set = Set::default();
        assert!(set.is_empty());
        assert_eq!(set.encoding(), "intset");
        let mut a = set_of(&[b"1", b"x"]);
        let b = a.clone();
        a.insert(b"y");
        assert_eq!(b.len(), 2);
        assert_eq!(a.len(), 3);
        assert_eq!(format!("{:?}", b), r#"Set<listpack>{"1", "x"}"#);
        let big = strings("member-", 300);
        let mut copy = big.clone();
        copy.remove(b"member-1");
        assert!(big.contains(b"member-1"));
        assert!(!copy.contains(b"member-1"));
        check(&copy);
        check(&big);
    }

    #[test]
    fn intset_widths_and_order() {
        let mut set = Set::new();
        assert!(set.insert(b"5"));
        assert!(!set.insert(b"5"));
        assert!(set.insert(b"-3"));
        assert_eq!(set.mem_usage() - std::mem::size_of::<Set>(), 1 + 2 * 2);
        assert!(set.insert(b"100000"));
        assert_eq!(set.mem_usage() - std::mem::size_of::<Set>(), 1 + 3 * 4);
        assert!(set.insert(b"-9223372036854775808"));
        assert!(set.insert(b"9223372036854775807"));
        assert_eq!(set.mem_usage() - std::mem::size_of::<Set>(), 1 + 5 * 8);
        assert_eq!(set.encoding(), "intset");
        let expect: Vec<&[u8]> = vec![
            b"-9223372036854775808",
            b"-3",
            b"5",
            b"100000",
            b"9223372036854775807",
        ];
        assert_eq!(members(&set), expect);
        assert!(set.iter().all(|m| matches!(m, SetMember::Int(_))));
        assert!(set.contains(b"100000"));
        assert!(!set.contains(b"100001"));
        assert!(set.remove(b"9223372036854775807"));
        assert!(set.remove(b"-9223372036854775808"));
        assert!(!set.remove(b"-9223372036854775808"));
        // The width never shrinks, like Redis.
        assert_eq!(set.mem_usage() - std::mem::size_of::<Set>(), 1 + 3 * 8);
        assert!(!set.contains(b"70000"));
        assert!(!set.remove(b"70000000000"));
        check(&set);
    }

    #[test]
    fn intset_integer_edge_cases() {
        let mut set = set_of(&[b"0", b"-1", b"9223372036854775807", b"-9223372036854775808"]);
        assert_eq!(set.encoding(), "intset");
        for not_int in [&b"-0"[..], b"007", b"+1", b" 1", b"1 ", b"0x1"] {
            assert!(!set.contains(not_int));
            assert!(!set.remove(not_int));
        }
        // Non-canonical forms are strings: adding one leaves the intset.
        assert!(set.insert(b"-0"));
        assert_eq!(set.encoding(), "listpack");
        assert!(set.contains(b"-0") && set.contains(b"0"));
        assert!(set.insert(b"007"));
        assert!(set.insert(b"9223372036854775808"));
        assert!(set.insert(b"-9223372036854775809"));
        assert!(!set.contains(b"7"));
        assert_eq!(set.len(), 8);
        check(&set);
        for case in [&b"9223372036854775808"[..], b"-0", b"007", b""] {
            let mut s = set_of(&[b"1"]);
            s.insert(case);
            assert_eq!(s.encoding(), "listpack", "{case:?}");
        }
    }

    #[test]
    fn intset_becomes_hashtable_past_its_limit() {
        let mut set = ints(0..512);
        assert_eq!(set.encoding(), "intset");
        assert!(set.insert(b"512"));
        assert_eq!(set.encoding(), "hashtable");
        assert_eq!(set.len(), 513);
        for v in 0..513 {
            assert!(set.contains(v.to_string().as_bytes()));
        }
        check(&set);
        // Removing never converts back.
        for v in 0..500 {
            assert!(set.remove(v.to_string().as_bytes()));
        }
        assert_eq!(set.encoding(), "hashtable");
        check(&set);
    }

    #[test]
    fn intset_with_string_becomes_listpack_or_hashtable() {
        let mut small = ints(0..127);
        small.insert(b"x");
        assert_eq!(small.encoding(), "listpack");
        assert_eq!(small.len(), 128);
        // Listpack order: the sorted integers, then the new member.
        assert_eq!(members(&small)[126], b"126");
        assert_eq!(members(&small)[127], b"x");
        check(&small);

        let mut full = ints(0..128);
        full.insert(b"x");
        assert_eq!(full.encoding(), "hashtable");
        check(&full);

        let mut long = ints(0..3);
        long.insert(&[b'a'; 65]);
        assert_eq!(long.encoding(), "hashtable");
        let mut fits = ints(0..3);
        fits.insert(&[b'a'; 64]);
        assert_eq!(fits.encoding(), "listpack");
        check(&long);
        check(&fits);

        let mut empty = Set::new();
        empty.insert(b"s");
        assert_eq!(empty.encoding(), "listpack");
        let mut empty_long = Set::new();
        empty_long.insert(&[0u8; 100]);
        assert_eq!(empty_long.encoding(), "hashtable");
    }

    #[test]
    fn listpack_becomes_hashtable_past_its_limits() {
        let mut set = strings("m", 128);
        assert_eq!(set.encoding(), "listpack");
        assert!(!set.insert(b"m5"));
        assert_eq!(set.encoding(), "listpack");
        assert!(set.insert(b"m128"));
        assert_eq!(set.encoding(), "hashtable");
        assert_eq!(set.len(), 129);
        check(&set);

        let mut long = strings("m", 3);
        assert!(long.insert(&[b'z'; 65]));
        assert_eq!(long.encoding(), "hashtable");
        check(&long);

        let mut ints_in_listpack = strings("m", 1);
        for v in 0..100 {
            ints_in_listpack.insert(v.to_string().as_bytes());
        }
        assert_eq!(ints_in_listpack.encoding(), "listpack");
        ints_in_listpack.remove(b"m0");
        assert_eq!(ints_in_listpack.encoding(), "listpack");
        check(&ints_in_listpack);
    }

    #[test]
    fn binary_members_in_every_encoding() {
        let mut items: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        items.push(Vec::new());
        items.push(vec![0, 0, 0]);
        items.push(vec![255; 8]);
        items.push((0..=255u8).collect());
        items.push(b"\r\n\0".to_vec());
        for chunk_len in [100usize, items.len()] {
            let chunk = &items[..chunk_len];
            let mut set = Set::new();
            for item in chunk {
                assert!(set.insert(item), "{item:?}");
            }
            let expected = if chunk_len == 100 {
                "listpack"
            } else {
                "hashtable"
            };
            assert_eq!(set.encoding(), expected);
            for item in chunk {
                assert!(!set.insert(item));
                assert!(set.contains(item));
            }
            let mut got = sorted_members(&set);
            let mut want = chunk.to_vec();
            want.sort();
            got.dedup();
            assert_eq!(got, want);
            check(&set);
            for item in chunk {
                assert!(set.remove(item));
                assert!(!set.contains(item));
            }
            assert!(set.is_empty());
        }
    }

    #[test]
    fn table_word_kinds() {
        let mut set = strings("force-table-", 200);
        let tricky: [&[u8]; 16] = [
            b"",
            b"a",
            b"abcdefg",
            b"abcdefgh",
            b"0",
            b"-0",
            b"0012",
            b"1234567",
            b"12345678",
            b"-2305843009213693952",
            b"-2305843009213693953",
            b"2305843009213693951",
            b"2305843009213693952",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"\0\0\0\0\0\0\0",
        ];
        for m in tricky {
            assert!(set.insert(m), "{m:?}");
            assert!(!set.insert(m), "{m:?}");
        }
        let before = match &set.repr {
            Repr::Table(t) => t.heap_bytes,
            _ => unreachable!(),
        };
        for m in tricky {
            assert!(set.contains(m), "{m:?}");
        }
        let all: HashSet<Vec<u8>> = members(&set).into_iter().collect();
        for m in tricky {
            assert!(all.contains(m), "{m:?}");
        }
        check(&set);
        // Integers within 62 bits and strings up to 7 bytes are stored without heap.
        let heap_only: [&[u8]; 5] = [
            b"abcdefgh",
            b"-2305843009213693953",
            b"2305843009213693952",
            b"9223372036854775807",
            b"-9223372036854775808",
        ];
        for m in tricky {
            assert!(set.remove(m));
        }
        let after = match &set.repr {
            Repr::Table(t) => t.heap_bytes,
            _ => unreachable!(),
        };
        let expected: usize = heap_only.iter().map(|m| member_size(m.len())).sum();
        assert_eq!(before - after, expected);
        // Integers come back as integers.
        let mut only_ints = ints(0..600);
        only_ints.insert(b"2305843009213693951");
        assert!(only_ints.iter().all(|m| matches!(m, SetMember::Int(_))));
        match &only_ints.repr {
            Repr::Table(t) => assert_eq!(t.heap_bytes, 0),
            _ => panic!("expected a table"),
        }
    }

    #[test]
    fn with_expected_and_prepare_bulk_insert() {
        assert_eq!(Set::with_expected(512, true).encoding(), "intset");
        assert_eq!(Set::with_expected(513, true).encoding(), "hashtable");
        assert_eq!(Set::with_expected(128, false).encoding(), "listpack");
        assert_eq!(Set::with_expected(129, false).encoding(), "hashtable");
        assert_eq!(Set::with_expected(200, true).encoding(), "intset");
        assert_eq!(Set::with_expected(1, true).encoding(), "intset");
        assert!(Set::is_int_member(b"-5"));
        assert!(!Set::is_int_member(b"-0"));

        // SADD with 200 arguments that are mostly duplicates: Redis sizes for 200.
        let mut lp = strings("a", 3);
        lp.prepare_bulk_insert(128);
        assert_eq!(lp.encoding(), "listpack");
        lp.prepare_bulk_insert(129);
        assert_eq!(lp.encoding(), "hashtable");
        assert_eq!(
            sorted_members(&lp),
            vec![b"a0".to_vec(), b"a1".to_vec(), b"a2".to_vec()]
        );
        let mut is = ints(0..3);
        is.prepare_bulk_insert(512);
        assert_eq!(is.encoding(), "intset");
        is.prepare_bulk_insert(513);
        assert_eq!(is.encoding(), "hashtable");
        assert_eq!(is.len(), 3);
        check(&is);
        let mut table = strings("b", 200);
        table.prepare_bulk_insert(5);
        assert_eq!(table.encoding(), "hashtable");
    }

    fn encodings_zoo() -> Vec<Set> {
        vec![
            ints(0..50),
            strings("s", 50),
            strings("t", 400),
            ints(0..1000),
        ]
    }

    #[test]
    fn random_member_is_uniform_in_every_encoding() {
        let mut pick = picker(1);
        for set in [ints(0..10), strings("s", 10), {
            let mut s = strings("t", 400);
            for i in 10..400 {
                s.remove(format!("t{i}").as_bytes());
            }
            s
        }] {
            assert_eq!(set.len(), 10);
            let mut hits: HashMap<Vec<u8>, u32> = HashMap::new();
            for _ in 0..20_000 {
                *hits
                    .entry(set.random_member(&mut pick).unwrap().to_vec())
                    .or_default() += 1;
            }
            assert_eq!(hits.len(), 10);
            assert!(
                hits.values().all(|&h| (1700..2300).contains(&h)),
                "{hits:?}"
            );
        }
        assert!(Set::new().random_member(&mut pick).is_none());
        assert!(Set::new().random_members(3, &mut pick).is_empty());
        assert!(Set::new().random_distinct(3, &mut pick).is_empty());
    }

    #[test]
    fn random_members_with_repeats() {
        let mut pick = picker(2);
        for set in encodings_zoo() {
            let draws = set.random_members(2000, &mut pick);
            assert_eq!(draws.len(), 2000);
            assert!(draws.iter().all(|m| set.contains(&m.to_vec())));
            let distinct: HashSet<Vec<u8>> = draws.iter().map(|m| m.to_vec()).collect();
            assert!(distinct.len() < 2000, "repeats expected");
            assert!(distinct.len() > set.len().min(2000) / 3);
        }
        let one = set_of(&[b"only"]);
        assert_eq!(
            one.random_members(3, &mut pick),
            vec![SetMember::Bytes(b"only"); 3]
        );
    }

    #[test]
    fn random_distinct_in_every_encoding() {
        let mut pick = picker(3);
        for set in encodings_zoo() {
            let n = set.len();
            for count in [1, 2, n / 4, n / 3 + 1, n - 1, n, n + 10] {
                let got = set.random_distinct(count, &mut pick);
                assert_eq!(got.len(), count.min(n));
                let distinct: HashSet<Vec<u8>> = got.iter().map(|m| m.to_vec()).collect();
                assert_eq!(distinct.len(), got.len());
                assert!(distinct.iter().all(|m| set.contains(m)));
            }
            // count >= len returns the whole set in iteration order.
            assert_eq!(
                set.random_distinct(n, &mut pick)
                    .iter()
                    .map(|m| m.to_vec())
                    .collect::<Vec<_>>(),
                members(&set)
            );
        }
        // Listpack samples keep listpack order.
        let lp = strings("s", 50);
        let order: HashMap<Vec<u8>, usize> = members(&lp)
            .into_iter()
            .enumerate()
            .map(|(i, m)| (m, i))
            .collect();
        let sample: Vec<usize> = lp
            .random_distinct(20, &mut pick)
            .iter()
            .map(|m| order[&m.to_vec()])
            .collect();
        assert!(sample.windows(2).all(|w| w[0] < w[1]));
        // Uniform: each of 12 members is in a 4-sample a third of the time.
        for set in [ints(0..12), strings("s", 12), {
            let mut s = strings("t", 300);
            for i in 12..300 {
                s.remove(format!("t{i}").as_bytes());
            }
            s
        }] {
            let mut hits: HashMap<Vec<u8>, u32> = HashMap::new();
            for _ in 0..12_000 {
                for m in set.random_distinct(4, &mut pick) {
                    *hits.entry(m.to_vec()).or_default() += 1;
                }
            }
            assert_eq!(hits.len(), 12);
            assert!(
                hits.values().all(|&h| (3600..4400).contains(&h)),
                "{hits:?}"
            );
        }
    }

    #[test]
    fn pop_random_in_every_encoding() {
        let mut pick = picker(4);
        for mut set in encodings_zoo() {
            let original: HashSet<Vec<u8>> = members(&set).into_iter().collect();
            let encoding = set.encoding();
            let mut popped = HashSet::new();
            while let Some(m) = set.pop_random(&mut pick) {
                assert!(original.contains(&m));
                assert!(!set.contains(&m));
                assert!(popped.insert(m));
                assert_eq!(set.encoding(), encoding);
                if popped.len() % 97 == 0 {
                    check(&set);
                }
            }
            assert_eq!(popped, original);
        }
    }

    fn spop_case(mut set: Set, count: usize, seed: u64) -> (Set, Vec<Vec<u8>>) {
        let original: HashSet<Vec<u8>> = members(&set).into_iter().collect();
        let popped = set.pop_random_many(count, &mut picker(seed));
        assert_eq!(popped.len(), count.min(original.len()));
        let popped_set: HashSet<Vec<u8>> = popped.iter().cloned().collect();
        assert_eq!(popped_set.len(), popped.len(), "duplicates popped");
        let rest: HashSet<Vec<u8>> = members(&set).into_iter().collect();
        assert!(popped_set.is_disjoint(&rest));
        assert_eq!(&popped_set | &rest, original);
        check(&set);
        (set, popped)
    }

    #[test]
    fn pop_random_many_strategies_and_encodings() {
        // count >= len: everything, set left empty.
        let (set, popped) = spop_case(strings("s", 10), 10, 1);
        assert!(set.is_empty());
        assert_eq!(popped, members(&strings("s", 10)));
        // Integers of a mixed listpack come first, sorted (Redis's SUNION path).
        let mut mixed = Set::with_expected(4, false);
        for m in [b"3", b"1", b"b", b"2"] {
            mixed.insert(m);
        }
        assert_eq!(
            members(&mixed),
            vec![b"3".to_vec(), b"1".to_vec(), b"b".to_vec(), b"2".to_vec()]
        );
        let (_, popped) = spop_case(mixed, 4, 1);
        assert_eq!(
            popped,
            vec![b"1".to_vec(), b"3".to_vec(), b"b".to_vec(), b"2".to_vec()]
        );
        let (set, _) = spop_case(ints(0..5), 50, 1);
        assert!(set.is_empty());
        assert!(spop_case(ints(0..5), 0, 1).1.is_empty());

        // Case 2 (few popped): encoding unchanged.
        for (set, count) in [
            (ints(0..100), 10),
            (strings("s", 100), 10),
            (strings("t", 1000), 100),
        ] {
            let encoding = set.encoding();
            let (after, _) = spop_case(set, count, 2);
            assert_eq!(after.encoding(), encoding);
        }
        // Listpack case 2 pops in listpack order.
        let lp = strings("s", 100);
        let order: HashMap<Vec<u8>, usize> = members(&lp)
            .into_iter()
            .enumerate()
            .map(|(i, m)| (m, i))
            .collect();
        let (_, popped) = spop_case(lp, 30, 3);
        assert!(popped.windows(2).all(|w| order[&w[0]] < order[&w[1]]));

        // Case 3 (survivors * 5 <= count): rebuilt from the survivors.
        let (after, _) = spop_case(ints(0..100), 90, 4);
        assert_eq!((after.encoding(), after.len()), ("intset", 10));
        let (after, _) = spop_case(strings("s", 100), 90, 4);
        assert_eq!((after.encoding(), after.len()), ("listpack", 10));
        let (after, _) = spop_case(strings("t", 1000), 850, 4);
        assert_eq!((after.encoding(), after.len()), ("hashtable", 150));
        let (after, _) = spop_case(strings("t", 1000), 900, 4);
        assert_eq!((after.encoding(), after.len()), ("listpack", 100));
        // A hashtable of integers becomes a listpack, not an intset (Redis quirk).
        let (after, _) = spop_case(ints(0..1000), 900, 5);
        assert_eq!((after.encoding(), after.len()), ("listpack", 100));
        let (after, _) = spop_case(ints(0..1000), 999, 5);
        assert_eq!((after.encoding(), after.len()), ("listpack", 1));
        // Long survivors force the hashtable.
        let mut long = Set::new();
        for i in 0..200 {
            long.insert(format!("{i:0>70}").as_bytes());
        }
        let (after, _) = spop_case(long, 190, 6);
        assert_eq!((after.encoding(), after.len()), ("hashtable", 10));
    }

    #[test]
    fn spop_count_is_uniform() {
        let mut hits: HashMap<Vec<u8>, u32> = HashMap::new();
        for round in 0..3000u64 {
            let mut set = Set::with_expected(200, false);
            for i in 0..10 {
                set.insert(format!("t{i}").as_bytes());
            }
            assert_eq!(set.encoding(), "hashtable");
            // 10 members, pop 9: case 3 (rebuild from 1 survivor).
            for m in set.pop_random_many(9, &mut picker(round)) {
                *hits.entry(m).or_default() += 1;
            }
        }
        assert!(
            hits.values().all(|&h| (2550..2850).contains(&h)),
            "{hits:?}"
        );
    }

    fn full_scan(set: &Set, count: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = set.scan(cursor, count, &mut out);
            if cursor == 0 {
                return out;
            }
        }
    }

    #[test]
    fn scan_in_every_encoding() {
        for set in encodings_zoo() {
            let mut got = full_scan(&set, 10);
            got.sort();
            assert_eq!(got, sorted_members(&set));
        }
        // Small encodings ignore the cursor and return everything at once.
        let mut out = Vec::new();
        assert_eq!(strings("s", 5).scan(12345, 1, &mut out), 0);
        assert_eq!(out.len(), 5);
        let mut out = Vec::new();
        assert_eq!(Set::new().scan(0, 10, &mut out), 0);
        assert!(out.is_empty());
        // A big table takes several calls.
        let big = strings("m", 1000);
        let mut out = Vec::new();
        let cursor = big.scan(0, 10, &mut out);
        assert_ne!(cursor, 0);
        assert!(out.len() >= 10 && out.len() < 100, "{}", out.len());
    }

    #[test]
    fn scan_guarantee_while_the_set_grows_and_shrinks() {
        let mut set = strings("stable-", 200);
        let stable = members(&set);
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            let mut out = Vec::new();
            cursor = set.scan(cursor, 3, &mut out);
            seen.extend(out);
            calls += 1;
            if calls < 30 {
                for i in 0..500 {
                    set.insert(format!("grow-{calls}-{i}").as_bytes());
                }
            } else if calls < 60 {
                for i in 0..500 {
                    set.remove(format!("grow-{}-{i}", calls - 29).as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for m in &stable {
            assert!(seen.contains(m), "missed {}", String::from_utf8_lossy(m));
        }
    }

    #[test]
    fn intersection_results_and_encodings() {
        let a = ints(0..100);
        let b = ints(50..1000);
        let c = strings("s", 10);
        let mut d = strings("s", 5);
        d.insert(b"60");
        d.insert(b"70");

        let r = Set::intersection(&[&a, &b]);
        assert_eq!((r.encoding(), r.len()), ("intset", 50));
        assert_eq!(Set::intersection_card(&[&a, &b], 0), 50);
        assert_eq!(Set::intersection_card(&[&a, &b], 7), 7);
        assert_eq!(Set::intersection_members(&[&b, &a]).len(), 50);

        // Smallest set is a listpack: the result starts as a listpack, and becomes an
        // intset at the end when every member is an integer.
        let r = Set::intersection(&[&d, &a]);
        assert_eq!(
            (r.encoding(), sorted_members(&r)),
            ("intset", vec![b"60".to_vec(), b"70".to_vec()])
        );
        let r = Set::intersection(&[&c, &d]);
        assert_eq!((r.encoding(), r.len()), ("listpack", 5));
        assert_eq!(
            Set::intersection_members(&[&c, &d])
                .iter()
                .map(|m| m.to_vec())
                .collect::<Vec<_>>(),
            members(&d)[..5].to_vec()
        );

        // Large string intersections are hashtables; large integer ones too.
        let e = strings("x", 300);
        let f = strings("x", 200);
        let r = Set::intersection(&[&e, &f]);
        assert_eq!((r.encoding(), r.len()), ("hashtable", 200));
        let g = ints(0..2000);
        let r = Set::intersection(&[&g, &ints(0..600)]);
        assert_eq!((r.encoding(), r.len()), ("hashtable", 600));
        // A hashtable of integers intersected down to few members is an intset.
        let r = Set::intersection(&[&g, &ints(1500..3000)]);
        assert_eq!((r.encoding(), r.len()), ("intset", 500));

        // Empty / missing inputs.
        let empty = Set::new();
        assert!(Set::intersection(&[&a, &empty]).is_empty());
        assert!(Set::intersection(&[]).is_empty());
        assert_eq!(Set::intersection_card(&[&a, &empty], 0), 0);
        assert!(Set::intersection_members(&[&c, &ints(0..3)]).is_empty());
        // Same set twice.
        assert_eq!(Set::intersection(&[&c, &c]).len(), 10);
    }

    #[test]
    fn union_results_and_encodings() {
        let r = Set::union(&[&ints(0..10), &ints(5..20)]);
        assert_eq!((r.encoding(), r.len()), ("intset", 20));
        assert_eq!(members(&r)[0], b"0");
        let r = Set::union(&[&ints(0..10), &strings("s", 10)]);
        assert_eq!((r.encoding(), r.len()), ("listpack", 20));
        let r = Set::union(&[&ints(0..400), &ints(300..600)]);
        assert_eq!((r.encoding(), r.len()), ("hashtable", 600));
        let r = Set::union(&[&strings("s", 100), &strings("t", 100)]);
        assert_eq!((r.encoding(), r.len()), ("hashtable", 200));
        assert!(Set::union(&[]).is_empty());
        check(&r);
    }

    #[test]
    fn difference_results_and_encodings() {
        let a = ints(0..100);
        let b = ints(50..60);
        let r = Set::difference(&[Some(&a), Some(&b), None]);
        assert_eq!((r.encoding(), r.len()), ("intset", 90));
        assert!(!r.contains(b"55") && r.contains(b"49"));
        assert!(Set::difference(&[None, Some(&a)]).is_empty());
        assert!(Set::difference(&[]).is_empty());
        assert!(Set::difference(&[Some(&a), Some(&a)]).is_empty());
        assert_eq!(Set::difference(&[Some(&a)]).len(), 100);

        // Algorithm 1 (first set small relative to the others): built from survivors only.
        let first = strings("m", 200);
        let mut most = strings("m", 195);
        most.insert(b"other");
        let r = Set::difference(&[Some(&first), Some(&most)]);
        assert_eq!((r.encoding(), r.len()), ("listpack", 5));
        // Algorithm 2 (many small other sets): the whole first set is added, then members
        // removed, so the result stays a hashtable even though it is small.
        let tiny: Vec<Set> = (0..9)
            .map(|i| set_of(&[format!("zz{i}").as_bytes()]))
            .collect();
        let mut sets = vec![Some(&first), Some(&most)];
        sets.extend(tiny.iter().map(Some));
        let r = Set::difference(&sets);
        assert_eq!((r.encoding(), r.len()), ("hashtable", 5));
        check(&r);
        let expected: Vec<Vec<u8>> = (195..200).map(|i| format!("m{i}").into_bytes()).collect();
        assert_eq!(sorted_members(&r), expected);
    }

    #[test]
    fn mem_usage_tracks_contents() {
        let base = std::mem::size_of::<Set>();
        assert_eq!(Set::new().mem_usage(), base);
        let lp = set_of(&[b"ab", b"cde"]);
        // 4-byte count header, then "ab" and "cde" with their length bytes.
        assert_eq!(lp.mem_usage(), base + 4 + 3 + 4);
        let mut table = strings("member-number-", 1000);
        let full = table.mem_usage();
        assert!(full > 1000 * 16, "{full}");
        for i in 0..900 {
            table.remove(format!("member-number-{i}").as_bytes());
        }
        assert!(table.mem_usage() < full / 4);
    }

    /// Member generator mixing every kind of member: small ints, big ints, non-canonical
    /// ints, short/long/binary strings.
    fn random_member(rng: &mut SmallRng, domain: usize) -> Vec<u8> {
        let k = rng.random_range(0..domain);
        match rng.random_range(0..10) {
            0..=3 => k.to_string().into_bytes(),
            4 => format!("-{k}").into_bytes(),
            5 => (i64::MAX - k as i64).to_string().into_bytes(),
            6 => format!("0{k}").into_bytes(),
            7 => format!("str{k}").into_bytes(),
            8 => {
                let mut v = vec![b'L'; 60 + k % 20];
                v.extend_from_slice(&k.to_le_bytes());
                v
            }
            _ => vec![(k % 256) as u8; k % 9],
        }
    }

    #[test]
    fn randomized_against_model() {
        let mut rng = SmallRng::seed_from_u64(2024);
        let mut pick = picker(77);
        let mut total_ops = 0;
        // Each session uses a different member mix and size so every encoding and every
        // conversion path is visited.
        let sessions: [(usize, u32, usize); 5] = [
            (600, 0, 40_000),
            (150, 1, 40_000),
            (60, 2, 40_000),
            (3000, 2, 50_000),
            (400, 3, 30_000),
        ];
        let mut encodings_seen = HashSet::new();
        for (domain, mix, ops) in sessions {
            let mut set = Set::new();
            let mut model: HashSet<Vec<u8>> = HashSet::new();
            for step in 0..ops {
                let m = match mix {
                    0 => rng
                        .random_range(-50..domain as i64)
                        .to_string()
                        .into_bytes(),
                    1 => format!("k{}", rng.random_range(0..domain)).into_bytes(),
                    3 => {
                        if rng.random_range(0..50) == 0 {
                            b"x".to_vec()
                        } else {
                            rng.random_range(0..domain).to_string().into_bytes()
                        }
                    }
                    _ => random_member(&mut rng, domain),
                };
                match rng.random_range(0..100) {
                    0..=54 => assert_eq!(set.insert(&m), model.insert(m.clone())),
                    55..=84 => assert_eq!(set.remove(&m), model.remove(&m)),
                    85..=94 => assert_eq!(set.contains(&m), model.contains(&m)),
                    95..=97 => match set.pop_random(&mut pick) {
                        Some(p) => assert!(model.remove(&p)),
                        None => assert!(model.is_empty()),
                    },
                    98 => {
                        let count = rng.random_range(0..8);
                        for p in set.pop_random_many(count, &mut pick) {
                            assert!(model.remove(&p));
                        }
                    }
                    _ => {
                        if let Some(r) = set.random_member(&mut pick) {
                            assert!(model.contains(&r.to_vec()));
                        }
                    }
                }
                encodings_seen.insert(set.encoding());
                assert_eq!(set.len(), model.len());
                if step % 5000 == 0 {
                    check(&set);
                    let got: HashSet<Vec<u8>> = members(&set).into_iter().collect();
                    assert_eq!(got, model);
                }
            }
            check(&set);
            let got: HashSet<Vec<u8>> = full_scan(&set, 7).into_iter().collect();
            assert_eq!(got, model);
            total_ops += ops;
        }
        assert_eq!(total_ops, 200_000);
        assert_eq!(encodings_seen.len(), 3);
    }
}
