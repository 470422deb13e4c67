//! Redis hash value type (HSET, HGET, HDEL, HINCRBY, HRANDFIELD, HSCAN, ...) with Redis 7.4
//! per-field expiration (HEXPIRE, HPEXPIRE, HEXPIREAT, HTTL, HPERSIST, ...).
//!
//! Representations, reported by [`Hash::encoding`]:
//! - `"listpack"`: field/value pairs back to back in one exact-size buffer, in insertion
//!   order (an updated field keeps its place), used while there are at most
//!   [`HASH_MAX_LISTPACK_ENTRIES`] fields and every field and value has at most
//!   [`HASH_MAX_LISTPACK_VALUE`] bytes. Each pair is encoded as
//!   `varint(field_len) varint(value_len << 1 | has_ttl) field value [ttl]` (`packed.rs`).
//! - `"listpackex"`: the same buffer once field expiration has been used on the hash
//!   (Redis 7.4 switches a listpack to this encoding at the first HEXPIRE-family command
//!   and never switches back). As in Redis, pairs with a TTL come first, ordered by expire
//!   time (a field whose TTL is set goes before fields with an equal TTL), then pairs
//!   without TTL in insertion order; so the active expiry only looks at the front.
//! - `"hashtable"`: an open-addressing table (`table.rs`) whose slots are thin pointers to
//!   one exact-size heap allocation per pair, holding the same pair encoding: 8 bytes of
//!   slot + 1 control byte + `field + value + 2` bytes for a typical small pair. Fields with
//!   a TTL also carry the 8-byte expire time in their allocation and are indexed in an
//!   ordered set of `(expire_ms, field hash)` (several fields may share a key; the index
//!   entry is removed with the last of them), which gives the next expire time and the
//!   due fields in order without scanning. Fields without TTL cost nothing extra.
//!
//! Conversions (Redis `t_hash.c`): a listpack becomes a hashtable when a field or value
//! longer than the value limit is written, when the number of fields exceeds the entry
//! limit, or up front when one HSET carries more pairs than the entry limit (see
//! [`Hash::prepare_bulk_insert`]). A hashtable never converts back.
//!
//! Expiry semantics: expire times are absolute unix milliseconds. Like Redis, a field is
//! logically gone ("expired") once `expire_ms < now_ms`, but it stays stored until it is
//! removed lazily ([`Hash::remove_if_expired`]) or by the active cycle
//! ([`Hash::remove_expired`], which removes fields with `expire_ms <= now_ms`). Plain
//! accessors (`get`, `len`, `iter`, `scan`, random access) see stored fields regardless
//! of time, as Redis's HLEN and HRANDFIELD do; the `*_unexpired` variants hide expired
//! ones, as HGETALL and HSCAN do. Setting an expire time that is already due must delete
//! the field instead (HEXPIRE replies 2): that decision belongs to the command layer,
//! which knows the current time.
//!
//! Randomness is injected as `pick(n)`, which must return a uniform integer below `n`.

use std::collections::BTreeSet;
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::htable::{HashSeed, OpenTable, TableEntry};
use super::packed::{
    PairView, ThinBuf, pair_size, read_pair, sample_sorted, splice_exact, write_pair,
};

/// `hash-max-listpack-entries` (Redis default 128).
pub static HASH_MAX_LISTPACK_ENTRIES: AtomicUsize = AtomicUsize::new(512);
/// `hash-max-listpack-value` (Redis default 64).
pub static HASH_MAX_LISTPACK_VALUE: AtomicUsize = AtomicUsize::new(64);

fn max_entries() -> usize {
    // Capped so that listpack lengths always fit their u32 counter.
    HASH_MAX_LISTPACK_ENTRIES.load(Relaxed).min(1 << 30)
}

fn max_value() -> usize {
    HASH_MAX_LISTPACK_VALUE.load(Relaxed)
}

/// Approximate bytes per TTL index entry (16-byte keys in B-tree nodes, ~2/3 full).
const TTL_INDEX_ENTRY_BYTES: usize = 24;

// ---------------------------------------------------------------------------------------
// listpack / listpackex

#[derive(Clone)]
struct PackedPairs {
    buf: Box<[u8]>,
    /// Number of entries (u32 keeps the enclosing enum at 24 bytes).
    count: u32,
    /// "listpackex": field expiration has been used; pairs are ordered by TTL.
    field_ttl: bool,
}

struct PackedPairIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PackedPairIter<'a> {
    type Item = PairView<'a>;

    fn next(&mut self) -> Option<PairView<'a>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let view = read_pair(&self.buf[self.pos..]);
        self.pos += view.size;
        Some(view)
    }
}

impl PackedPairs {
    fn new() -> Self {
        PackedPairs {
            buf: Box::new([]),
            count: 0,
            field_ttl: false,
        }
    }

    fn len(&self) -> usize {
        self.count as usize
    }

    fn iter(&self) -> PackedPairIter<'_> {
        PackedPairIter {
            buf: &self.buf,
            pos: 0,
        }
    }

    fn find(&self, field: &[u8]) -> Option<(usize, PairView<'_>)> {
        let mut pos = 0;
        while pos < self.buf.len() {
            let view = read_pair(&self.buf[pos..]);
            if view.field == field {
                return Some((pos, view));
            }
            pos += view.size;
        }
        None
    }

    fn offsets(&self) -> Vec<usize> {
        let mut offsets = Vec::with_capacity(self.len());
        let mut pos = 0;
        while pos < self.buf.len() {
            offsets.push(pos);
            pos += read_pair(&self.buf[pos..]).size;
        }
        offsets
    }

    fn at(&self, offset: usize) -> PairView<'_> {
        read_pair(&self.buf[offset..])
    }

    fn insert_at(&mut self, offset: usize, field: &[u8], value: &[u8], expire_ms: Option<i64>) {
        let size = pair_size(field.len(), value.len(), expire_ms.is_some());
        splice_exact(&mut self.buf, offset..offset, size, |d| {
            write_pair(d, field, value, expire_ms)
        });
        self.count += 1;
    }

    fn append(&mut self, field: &[u8], value: &[u8]) {
        self.insert_at(self.buf.len(), field, value, None);
    }

    fn remove_range(&mut self, offset: usize, size: usize) {
        splice_exact(&mut self.buf, offset..offset + size, 0, |_| {});
        self.count -= 1;
    }

    /// HSET on this encoding; returns true if the field is new.
    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let Some((offset, view)) = self.find(field) else {
            self.append(field, value);
            return true;
        };
        let (size, had_ttl) = (view.size, view.expire_ms.is_some());
        if had_ttl {
            // Clearing the TTL moves the pair to the end, behind the other TTL-less pairs.
            self.remove_range(offset, size);
            self.append(field, value);
        } else {
            let new_size = pair_size(field.len(), value.len(), false);
            splice_exact(&mut self.buf, offset..offset + size, new_size, |d| {
                write_pair(d, field, value, None)
            });
        }
        false
    }

    /// Offset where a pair expiring at `at_ms` goes: before the first pair without TTL or
    /// with an expire time at or after `at_ms`.
    fn ttl_position(&self, at_ms: i64) -> usize {
        let mut pos = 0;
        while pos < self.buf.len() {
            let view = read_pair(&self.buf[pos..]);
            match view.expire_ms {
                Some(t) if t < at_ms => pos += view.size,
                _ => break,
            }
        }
        pos
    }

    fn set_expire(&mut self, field: &[u8], at_ms: i64) -> bool {
        let Some((offset, view)) = self.find(field) else {
            return false;
        };
        let value = view.value.to_vec();
        let size = view.size;
        self.remove_range(offset, size);
        let position = self.ttl_position(at_ms);
        self.insert_at(position, field, &value, Some(at_ms));
        true
    }

    fn persist(&mut self, field: &[u8]) -> bool {
        let Some((offset, view)) = self.find(field) else {
            return false;
        };
        if view.expire_ms.is_none() {
            return false;
        }
        let value = view.value.to_vec();
        let size = view.size;
        self.remove_range(offset, size);
        self.append(field, &value);
        true
    }

    fn remove_expired(&mut self, now_ms: i64, max: usize) -> Vec<Vec<u8>> {
        let mut removed = Vec::new();
        while removed.len() < max && !self.buf.is_empty() {
            let view = read_pair(&self.buf);
            match view.expire_ms {
                Some(at) if at <= now_ms => {
                    removed.push(view.field.to_vec());
                    let size = view.size;
                    self.remove_range(0, size);
                }
                _ => break,
            }
        }
        removed
    }

    fn next_expire_ms(&self) -> Option<i64> {
        if self.buf.is_empty() {
            None
        } else {
            read_pair(&self.buf).expire_ms
        }
    }
}

// ---------------------------------------------------------------------------------------
// hashtable: one thin pointer per pair

/// Owning thin pointer to a `ThinBuf` holding one encoded pair.
struct PairBox(NonNull<u8>);

// SAFETY: a PairBox exclusively owns its buffer and has no interior mutability; it is as
// thread-safe as a Box<[u8]>.
unsafe impl Send for PairBox {}
// SAFETY: see above; `&PairBox` only reads.
unsafe impl Sync for PairBox {}

impl PairBox {
    fn new(field: &[u8], value: &[u8], expire_ms: Option<i64>) -> Self {
        let size = pair_size(field.len(), value.len(), expire_ms.is_some());
        PairBox(ThinBuf::alloc_filled(size, |d| {
            write_pair(d, field, value, expire_ms)
        }))
    }

    /// Size of the allocation, from the two length varints at its start.
    fn size(&self) -> usize {
        let p = self.0.as_ptr();
        // SAFETY: the buffer starts with two complete varints (written by `write_pair`)
        // and lives as long as `self`.
        let ((field_len, a), (value_word, b)) = unsafe {
            let first = ThinBuf::read_varint(p);
            (first, ThinBuf::read_varint(p.add(first.1)))
        };
        a + b + field_len + (value_word >> 1) + if value_word & 1 == 1 { 8 } else { 0 }
    }

    fn view(&self) -> PairView<'_> {
        // SAFETY: the buffer was allocated with exactly `self.size()` bytes, all written
        // by `write_pair`, and the slice borrows `self`.
        read_pair(unsafe { ThinBuf::slice(self.0, self.size()) })
    }

    /// Overwrites the value in place; the new value must have the old value's length.
    fn overwrite_value(&mut self, value: &[u8]) {
        let size = self.size();
        // SAFETY: we own the buffer exclusively (`&mut self`) and it is `size` bytes long.
        let buf = unsafe { ThinBuf::slice_mut(self.0, size) };
        let view = read_pair(buf);
        debug_assert_eq!(view.value.len(), value.len());
        let start = view.value.as_ptr() as usize - buf.as_ptr() as usize;
        buf[start..start + value.len()].copy_from_slice(value);
    }
}

impl Drop for PairBox {
    fn drop(&mut self) {
        let size = self.size();
        // SAFETY: we own the buffer, allocated with exactly `size` bytes, and never use
        // the pointer again.
        unsafe { ThinBuf::free(self.0, size) };
    }
}

impl Clone for PairBox {
    fn clone(&self) -> Self {
        let view = self.view();
        PairBox::new(view.field, view.value, view.expire_ms)
    }
}

impl TableEntry for PairBox {
    fn key_hash(&self, seed: &HashSeed) -> u64 {
        seed.hash_bytes(self.view().field)
    }
}

/// The TTL index key of a field: its expire time, then its hash with the bytes swapped.
/// Fields with equal expire times are removed in index order; ordering them by the raw
/// hash would remove them in slot order (a slot is chosen by the hash's top bits), leaving
/// every survivor in one end of the table, where a shrink packs them into one long probe
/// cluster and each later removal walks it (quadratic). Swapped bytes decorrelate the two.
fn ttl_key(at_ms: i64, hash: u64) -> (i64, u64) {
    (at_ms, hash.swap_bytes())
}

#[derive(Clone)]
struct PairTable {
    table: OpenTable<PairBox>,
    /// [`ttl_key`] `(expire_ms, swapped field hash)` of every field with a TTL.
    ttl_index: BTreeSet<(i64, u64)>,
    /// Sum of the pairs' allocation sizes (for `mem_usage`).
    heap_bytes: usize,
}

impl PairTable {
    fn with_capacity(n: usize) -> Self {
        PairTable {
            table: OpenTable::with_capacity(n),
            ttl_index: BTreeSet::new(),
            heap_bytes: 0,
        }
    }

    fn hash(&self, field: &[u8]) -> u64 {
        self.table.seed().hash_bytes(field)
    }

    fn find_hashed(&self, field: &[u8], hash: u64) -> Option<usize> {
        self.table.find(hash, |e| e.view().field == field)
    }

    fn find(&self, field: &[u8]) -> Option<usize> {
        self.find_hashed(field, self.hash(field))
    }

    fn view(&self, index: usize) -> PairView<'_> {
        self.table.get(index).view()
    }

    /// Index of another entry (not `except`) that shares the index key `(at_ms, hash)`.
    fn sharing_ttl_key(&self, at_ms: i64, hash: u64, except: Option<usize>) -> Option<usize> {
        let seed = self.table.seed();
        self.table.find_where(hash, |i, e| {
            Some(i) != except && {
                let view = e.view();
                view.expire_ms == Some(at_ms) && seed.hash_bytes(view.field) == hash
            }
        })
    }

    /// Drops the index key of the entry at `index` unless another entry still uses it.
    fn unindex(&mut self, at_ms: i64, hash: u64, index: usize) {
        if self.sharing_ttl_key(at_ms, hash, Some(index)).is_none() {
            self.ttl_index.remove(&ttl_key(at_ms, hash));
        }
    }

    /// Replaces the pair at `index` (same field).
    fn replace(&mut self, index: usize, pair: PairBox) {
        self.heap_bytes += pair.size();
        let old = self.table.replace(index, pair);
        self.heap_bytes -= old.size();
    }

    fn insert_new(&mut self, hash: u64, field: &[u8], value: &[u8], expire_ms: Option<i64>) {
        let pair = PairBox::new(field, value, expire_ms);
        self.heap_bytes += pair.size();
        self.table.insert_absent(hash, pair);
        if let Some(at) = expire_ms {
            self.ttl_index.insert(ttl_key(at, hash));
        }
    }

    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let hash = self.hash(field);
        let Some(index) = self.find_hashed(field, hash) else {
            self.insert_new(hash, field, value, None);
            return true;
        };
        let old = self.view(index);
        match old.expire_ms {
            None if old.value.len() == value.len() => {
                // Same size: no reallocation.
                self.table.get_mut(index).overwrite_value(value);
            }
            expire => {
                if let Some(at) = expire {
                    self.unindex(at, hash, index);
                }
                self.replace(index, PairBox::new(field, value, None));
            }
        }
        false
    }

    fn remove_index(&mut self, index: usize, hash: u64) -> PairBox {
        if let Some(at) = self.view(index).expire_ms {
            self.unindex(at, hash, index);
        }
        let pair = self.table.remove_at(index);
        self.heap_bytes -= pair.size();
        pair
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        let hash = self.hash(field);
        match self.find_hashed(field, hash) {
            Some(index) => {
                self.remove_index(index, hash);
                true
            }
            None => false,
        }
    }

    fn set_expire(&mut self, field: &[u8], at_ms: i64) -> bool {
        let hash = self.hash(field);
        let Some(index) = self.find_hashed(field, hash) else {
            return false;
        };
        let old = self.view(index);
        if old.expire_ms == Some(at_ms) {
            return true;
        }
        let new = PairBox::new(field, old.value, Some(at_ms));
        if let Some(previous) = old.expire_ms {
            self.unindex(previous, hash, index);
        }
        self.replace(index, new);
        self.ttl_index.insert(ttl_key(at_ms, hash));
        true
    }

    fn persist(&mut self, field: &[u8]) -> bool {
        let hash = self.hash(field);
        let Some(index) = self.find_hashed(field, hash) else {
            return false;
        };
        let old = self.view(index);
        let Some(previous) = old.expire_ms else {
            return false;
        };
        let new = PairBox::new(field, old.value, None);
        self.unindex(previous, hash, index);
        self.replace(index, new);
        true
    }

    fn remove_expired(&mut self, now_ms: i64, max: usize) -> Vec<Vec<u8>> {
        let mut removed = Vec::new();
        while removed.len() < max {
            let Some(&(at, key)) = self.ttl_index.first() else {
                break;
            };
            let hash = key.swap_bytes();
            if at > now_ms {
                break;
            }
            match self.sharing_ttl_key(at, hash, None) {
                Some(index) => {
                    // `remove_index` drops the index key once no other field uses it.
                    let pair = self.remove_index(index, hash);
                    removed.push(pair.view().field.to_vec());
                }
                None => {
                    debug_assert!(false, "TTL index key without a field");
                    self.ttl_index.pop_first();
                }
            }
        }
        removed
    }
}

// ---------------------------------------------------------------------------------------
// Hash

/// A Redis hash. See the module documentation for encodings, conversions and expiry.
#[derive(Clone)]
pub struct Hash {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Packed(PackedPairs),
    Table(Box<PairTable>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash<{}>", self.encoding())?;
        let mut map = f.debug_map();
        for (field, value, expire_ms) in self.iter_with_expire() {
            let value = String::from_utf8_lossy(value);
            match expire_ms {
                Some(at) => map.entry(&String::from_utf8_lossy(field), &format!("{value} @{at}")),
                None => map.entry(&String::from_utf8_lossy(field), &value),
            };
        }
        map.finish()
    }
}

/// Iterator over stored pairs with their expire times.
enum Views<'a> {
    Packed(PackedPairIter<'a>),
    Table(std::iter::Flatten<std::slice::Iter<'a, Option<PairBox>>>),
}

impl<'a> Iterator for Views<'a> {
    type Item = PairView<'a>;

    fn next(&mut self) -> Option<PairView<'a>> {
        match self {
            Views::Packed(it) => it.next(),
            Views::Table(it) => it.next().map(PairBox::view),
        }
    }
}

fn is_expired(view: &PairView<'_>, now_ms: i64) -> bool {
    view.expire_ms.is_some_and(|at| at < now_ms)
}

impl Hash {
    /// An empty hash (listpack encoding).
    pub fn new() -> Self {
        Hash {
            repr: Repr::Packed(PackedPairs::new()),
        }
    }

    /// Number of stored fields, expired-but-not-yet-removed ones included (HLEN).
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(packed) => packed.len(),
            Repr::Table(table) => table.table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// "listpack", "listpackex" or "hashtable", as OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Packed(PackedPairs {
                field_ttl: false, ..
            }) => "listpack",
            Repr::Packed(_) => "listpackex",
            Repr::Table(_) => "hashtable",
        }
    }

    /// Approximate heap + inline bytes used by this hash (allocator rounding excluded).
    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Hash>()
            + match &self.repr {
                Repr::Packed(packed) => packed.buf.len(),
                Repr::Table(table) => {
                    std::mem::size_of::<PairTable>()
                        + table.table.slots_bytes()
                        + table.heap_bytes
                        + table.ttl_index.len() * TTL_INDEX_ENTRY_BYTES
                }
            }
    }

    fn views(&self) -> Views<'_> {
        match &self.repr {
            Repr::Packed(packed) => Views::Packed(packed.iter()),
            Repr::Table(table) => Views::Table(table.table.iter()),
        }
    }

    fn view(&self, field: &[u8]) -> Option<PairView<'_>> {
        match &self.repr {
            Repr::Packed(packed) => packed.find(field).map(|(_, view)| view),
            Repr::Table(table) => table.find(field).map(|i| table.view(i)),
        }
    }

    fn convert_to_table(&mut self, capacity: usize) {
        if let Repr::Packed(packed) = &self.repr {
            let mut table = PairTable::with_capacity(capacity.max(packed.len()));
            for view in packed.iter() {
                let hash = table.hash(view.field);
                table.insert_new(hash, view.field, view.value, view.expire_ms);
            }
            self.repr = Repr::Table(Box::new(table));
        }
    }

    /// Call once before the inserts of one HSET/HMSET/HSETNX with `pairs` field/value pairs
    /// whose longest argument is `longest_arg` bytes. Like Redis's
    /// `hashTypeTryConversion`, a listpack hash converts to a (presized) hashtable right away
    /// if the command has more pairs than the entry limit (even if fields repeat) or an
    /// argument longer than the value limit. [`Hash::insert`] alone applies the per-pair
    /// rules, so this only matters for exact encoding compatibility.
    pub fn prepare_bulk_insert(&mut self, pairs: usize, longest_arg: usize) {
        if !matches!(self.repr, Repr::Packed(_)) {
            return;
        }
        if pairs > max_entries() {
            self.convert_to_table(pairs);
        } else if longest_arg > max_value() {
            self.convert_to_table(self.len());
        }
    }

    /// HGET: the stored value of `field` (see [`Hash::get_unexpired`] to hide expired
    /// fields).
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.view(field).map(|view| view.value)
    }

    /// The value of `field` unless it has expired at `now_ms`.
    pub fn get_unexpired(&self, field: &[u8], now_ms: i64) -> Option<&[u8]> {
        self.view(field)
            .filter(|view| !is_expired(view, now_ms))
            .map(|view| view.value)
    }

    /// HEXISTS on stored fields.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.view(field).is_some()
    }

    /// HSET of one pair; returns true if the field is new. Overwriting a field clears its
    /// TTL (Redis 7.4 HSET/HINCRBY semantics); in a listpackex hash that moves the field
    /// behind the fields without TTL. Converts to a hashtable when a limit is crossed.
    /// To count an expired-but-stored field as new, remove it first
    /// ([`Hash::remove_if_expired`]).
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Repr::Packed(packed) = &self.repr
            && (field.len() > max_value() || value.len() > max_value())
        {
            let n = packed.len() + 1;
            self.convert_to_table(n);
        }
        match &mut self.repr {
            Repr::Table(table) => table.set(field, value),
            Repr::Packed(packed) => {
                let created = packed.set(field, value);
                if packed.len() > max_entries() {
                    let n = packed.len();
                    self.convert_to_table(n);
                }
                created
            }
        }
    }

    /// HDEL of one field; returns true if it was stored.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed(packed) => match packed.find(field) {
                Some((offset, view)) => {
                    let size = view.size;
                    packed.remove_range(offset, size);
                    true
                }
                None => false,
            },
            Repr::Table(table) => table.remove(field),
        }
    }

    /// Stored pairs in encoding order (listpack: insertion order; listpackex: TTL order
    /// then insertion order; hashtable: table order), expired ones included.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.views().map(|view| (view.field, view.value))
    }

    /// Pairs not expired at `now_ms` (HGETALL, HKEYS, HVALS).
    pub fn iter_unexpired(&self, now_ms: i64) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.views()
            .filter(move |view| !is_expired(view, now_ms))
            .map(|view| (view.field, view.value))
    }

    /// Stored pairs with their expire times (for persistence, COPY, DEBUG).
    pub fn iter_with_expire(&self) -> impl Iterator<Item = (&[u8], &[u8], Option<i64>)> + '_ {
        self.views()
            .map(|view| (view.field, view.value, view.expire_ms))
    }

    /// One uniformly random stored pair (HRANDFIELD without count).
    pub fn random_entry(&self, pick: &mut impl FnMut(usize) -> usize) -> Option<(&[u8], &[u8])> {
        if self.is_empty() {
            return None;
        }
        let view = match &self.repr {
            Repr::Packed(packed) => packed.iter().nth(pick(packed.len()))?,
            Repr::Table(table) => table.view(table.table.random_index(pick)?),
        };
        Some((view.field, view.value))
    }

    /// `count` independent uniform draws, repeats allowed, in draw order (HRANDFIELD with
    /// a negative count).
    pub fn random_entries(
        &self,
        count: usize,
        pick: &mut impl FnMut(usize) -> usize,
    ) -> Vec<(&[u8], &[u8])> {
        if self.is_empty() {
            return Vec::new();
        }
        match &self.repr {
            Repr::Packed(packed) => {
                let offsets = packed.offsets();
                (0..count)
                    .map(|_| {
                        let view = packed.at(offsets[pick(offsets.len())]);
                        (view.field, view.value)
                    })
                    .collect()
            }
            Repr::Table(_) => (0..count).filter_map(|_| self.random_entry(pick)).collect(),
        }
    }

    /// `count` distinct pairs chosen uniformly at random (HRANDFIELD with a positive
    /// count). With `count >= len` this is the whole hash in iteration order; listpacks
    /// return the sample in listpack order (like Redis's CASE 2.5), hashtables in random
    /// order.
    pub fn random_distinct_entries(
        &self,
        count: usize,
        pick: &mut impl FnMut(usize) -> usize,
    ) -> Vec<(&[u8], &[u8])> {
        if count >= self.len() {
            return self.iter().collect();
        }
        match &self.repr {
            Repr::Packed(packed) => {
                let offsets = packed.offsets();
                sample_sorted(packed.len(), count, pick)
                    .into_iter()
                    .map(|i| {
                        let view = packed.at(offsets[i]);
                        (view.field, view.value)
                    })
                    .collect()
            }
            Repr::Table(table) => table
                .table
                .sample_distinct(count, pick)
                .into_iter()
                .map(|i| {
                    let view = table.view(i);
                    (view.field, view.value)
                })
                .collect(),
        }
    }

    fn scan_filtered(
        &self,
        cursor: u64,
        count: usize,
        now_ms: Option<i64>,
        out: &mut Vec<(Vec<u8>, Vec<u8>)>,
    ) -> u64 {
        let keep = |view: &PairView<'_>| now_ms.is_none_or(|now| !is_expired(view, now));
        match &self.repr {
            Repr::Packed(packed) => {
                out.extend(
                    packed
                        .iter()
                        .filter(keep)
                        .map(|v| (v.field.to_vec(), v.value.to_vec())),
                );
                0
            }
            Repr::Table(table) => table.table.scan(cursor, count, |pair| {
                let view = pair.view();
                if keep(&view) {
                    out.push((view.field.to_vec(), view.value.to_vec()));
                }
            }),
        }
    }

    /// One HSCAN step over stored pairs. Listpacks return everything with cursor 0 (like
    /// Redis, whatever the cursor). Hashtables return the next batch and the next cursor
    /// (0 when done); every pair present for the whole scan is returned, exactly once, even
    /// if the hash grows or shrinks between calls (see `table.rs`).
    pub fn scan(&self, cursor: u64, count: usize, out: &mut Vec<(Vec<u8>, Vec<u8>)>) -> u64 {
        self.scan_filtered(cursor, count, None, out)
    }

    /// [`Hash::scan`] skipping fields expired at `now_ms` (HSCAN on a hash with TTLs).
    pub fn scan_unexpired(
        &self,
        cursor: u64,
        count: usize,
        now_ms: i64,
        out: &mut Vec<(Vec<u8>, Vec<u8>)>,
    ) -> u64 {
        self.scan_filtered(cursor, count, Some(now_ms), out)
    }

    // ----- field expiration -----

    /// Redis 7.4 switches a listpack hash to "listpackex" as soon as an HEXPIRE-family
    /// command runs on it, even if no field ends up with a TTL. Call this at the start of
    /// HEXPIRE/HPEXPIRE/HEXPIREAT/HPEXPIREAT to report the same encoding;
    /// [`Hash::set_field_expire`] calls it too.
    pub fn prepare_field_expiry(&mut self) {
        if let Repr::Packed(packed) = &mut self.repr {
            packed.field_ttl = true;
        }
    }

    /// The expire time (absolute unix ms) of a stored field, None if it has no TTL or does
    /// not exist.
    pub fn field_expire(&self, field: &[u8]) -> Option<i64> {
        self.view(field).and_then(|view| view.expire_ms)
    }

    /// Sets the expire time of a stored field; false if there is no such field. The
    /// caller handles NX/XX/GT/LT (compare with [`Hash::field_expire`]) and deletes the
    /// field instead when `at_ms` is already due.
    pub fn set_field_expire(&mut self, field: &[u8], at_ms: i64) -> bool {
        self.prepare_field_expiry();
        match &mut self.repr {
            Repr::Packed(packed) => packed.set_expire(field, at_ms),
            Repr::Table(table) => table.set_expire(field, at_ms),
        }
    }

    /// HPERSIST: removes the TTL of a stored field; true if it had one.
    pub fn persist_field(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed(packed) => packed.persist(field),
            Repr::Table(table) => table.persist(field),
        }
    }

    /// True if `field` is stored with an expire time before `now_ms` (logically gone).
    pub fn is_field_expired(&self, field: &[u8], now_ms: i64) -> bool {
        self.view(field)
            .is_some_and(|view| is_expired(&view, now_ms))
    }

    /// Lazy expiry on access: removes `field` if it has expired at `now_ms` (same rule as
    /// [`Hash::is_field_expired`]); true if it was removed.
    pub fn remove_if_expired(&mut self, field: &[u8], now_ms: i64) -> bool {
        self.is_field_expired(field, now_ms) && self.remove(field)
    }

    /// Active expiry: removes up to `max` fields whose expire time is `<= now_ms`, earliest
    /// first, and returns their names (for HDEL propagation / notifications). The caller
    /// deletes the key if the hash is left empty.
    pub fn remove_expired(&mut self, now_ms: i64, max: usize) -> Vec<Vec<u8>> {
        match &mut self.repr {
            Repr::Packed(packed) => packed.remove_expired(now_ms, max),
            Repr::Table(table) => table.remove_expired(now_ms, max),
        }
    }

    /// The earliest expire time among the fields, if any field has a TTL.
    pub fn next_expire_ms(&self) -> Option<i64> {
        match &self.repr {
            Repr::Packed(packed) => packed.next_expire_ms(),
            Repr::Table(table) => table.ttl_index.first().map(|&(at, _)| at),
        }
    }
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

    /// A hashtable-encoded hash whose keys all share one hash value.
    fn colliding() -> Hash {
        Hash {
            repr: Repr::Table(Box::new(PairTable {
                table: OpenTable::with_colliding_hashes(0),
                ttl_index: BTreeSet::new(),
                heap_bytes: 0,
            })),
        }
    }

    fn table_hash() -> Hash {
        let mut hash = Hash::new();
        hash.prepare_bulk_insert(1000, 0);
        assert_eq!(hash.encoding(), "hashtable");
        hash
    }

    fn pairs(hash: &Hash) -> Vec<(Vec<u8>, Vec<u8>)> {
        hash.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    fn fields(hash: &Hash) -> Vec<Vec<u8>> {
        hash.iter().map(|(f, _)| f.to_vec()).collect()
    }

    fn filled(n: usize) -> Hash {
        let mut hash = Hash::new();
        for i in 0..n {
            hash.insert(format!("f{i}").as_bytes(), format!("v{i}").as_bytes());
        }
        hash
    }

    /// Checks structural invariants valid for any history.
    fn check(hash: &Hash) {
        let all = pairs(hash);
        assert_eq!(all.len(), hash.len());
        let unique: HashSet<&Vec<u8>> = all.iter().map(|(f, _)| f).collect();
        assert_eq!(unique.len(), all.len(), "duplicate fields");
        for (f, v) in &all {
            assert_eq!(hash.get(f), Some(&v[..]));
        }
        match &hash.repr {
            Repr::Packed(packed) => {
                assert!(packed.len() <= max_entries());
                let ttls: Vec<Option<i64>> = packed.iter().map(|v| v.expire_ms).collect();
                if !packed.field_ttl {
                    assert!(ttls.iter().all(Option::is_none));
                }
                // TTL'd pairs first, ascending, then the others.
                let with: Vec<i64> = ttls.iter().map_while(|t| *t).collect();
                assert!(with.windows(2).all(|w| w[0] <= w[1]), "{ttls:?}");
                assert!(ttls[with.len()..].iter().all(Option::is_none), "{ttls:?}");
            }
            Repr::Table(table) => {
                table.table.check_invariants();
                let heap: usize = table.table.iter().map(PairBox::size).sum();
                assert_eq!(heap, table.heap_bytes);
                let seed = table.table.seed();
                let expected: BTreeSet<(i64, u64)> = table
                    .table
                    .iter()
                    .filter_map(|p| {
                        let v = p.view();
                        v.expire_ms.map(|at| ttl_key(at, seed.hash_bytes(v.field)))
                    })
                    .collect();
                assert_eq!(table.ttl_index, expected);
            }
        }
        let min = hash.iter_with_expire().filter_map(|(_, _, t)| t).min();
        assert_eq!(hash.next_expire_ms(), min);
    }

    #[test]
    fn hash_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Hash>();
        // One value per key: keep it small.
        assert_eq!(std::mem::size_of::<Hash>(), 24);
    }

    #[test]
    fn new_default_debug_clone() {
        let hash = Hash::default();
        assert!(hash.is_empty());
        assert_eq!(hash.encoding(), "listpack");
        let mut a = filled(2);
        a.set_field_expire(b"f1", 77);
        let b = a.clone();
        a.insert(b"x", b"y");
        assert_eq!(b.len(), 2);
        assert_eq!(
            format!("{b:?}"),
            r#"Hash<listpackex>{"f1": "v1 @77", "f0": "v0"}"#
        );
        let mut big = filled(300);
        big.set_field_expire(b"f3", 5);
        let copy = big.clone();
        big.remove(b"f3");
        assert_eq!(copy.get(b"f3"), Some(&b"v3"[..]));
        assert_eq!(copy.field_expire(b"f3"), Some(5));
        assert_eq!(copy.len(), 300);
        check(&copy);
        check(&big);
    }

    #[test]
    fn listpack_basic_operations() {
        let mut hash = Hash::new();
        assert!(hash.insert(b"a", b"1"));
        assert!(hash.insert(b"b", b"2"));
        assert!(hash.insert(b"c", b"3"));
        assert!(!hash.insert(b"a", b"longer value"));
        assert_eq!(hash.len(), 3);
        assert_eq!(hash.get(b"a"), Some(&b"longer value"[..]));
        assert_eq!(hash.get(b"zz"), None);
        assert!(hash.contains(b"b"));
        assert!(!hash.contains(b"B"));
        // Updates keep their place.
        assert_eq!(
            fields(&hash),
            vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
        assert!(hash.remove(b"b"));
        assert!(!hash.remove(b"b"));
        assert_eq!(fields(&hash), vec![b"a".to_vec(), b"c".to_vec()]);
        assert_eq!(hash.encoding(), "listpack");
        assert_eq!(
            hash.mem_usage(),
            std::mem::size_of::<Hash>() + pair_size(1, 12, false) + pair_size(1, 1, false)
        );
        check(&hash);
        assert!(hash.remove(b"a") && hash.remove(b"c"));
        assert!(hash.is_empty());
        assert_eq!(hash.mem_usage(), std::mem::size_of::<Hash>());
    }

    #[test]
    fn table_basic_operations() {
        for mut hash in [table_hash(), colliding()] {
            for i in 0..200 {
                assert!(hash.insert(format!("f{i}").as_bytes(), b"12345678"));
            }
            assert!(!hash.insert(b"f1", b"abcdefgh"));
            assert!(!hash.insert(b"f2", b"x"));
            assert!(!hash.insert(b"f3", &[b'y'; 100]));
            assert_eq!(hash.get(b"f1"), Some(&b"abcdefgh"[..]));
            assert_eq!(hash.get(b"f2"), Some(&b"x"[..]));
            assert_eq!(hash.get(b"f3"), Some(&[b'y'; 100][..]));
            assert_eq!(hash.get(b"f200"), None);
            assert!(hash.contains(b"f199"));
            for i in (0..200).step_by(2) {
                assert!(hash.remove(format!("f{i}").as_bytes()));
            }
            assert!(!hash.remove(b"f0"));
            assert_eq!(hash.len(), 100);
            assert_eq!(hash.encoding(), "hashtable");
            check(&hash);
        }
    }

    #[test]
    fn conversions_to_hashtable() {
        let max = HASH_MAX_LISTPACK_ENTRIES.load(Relaxed);
        let mut hash = filled(max);
        assert_eq!(hash.encoding(), "listpack");
        assert!(!hash.insert(b"f5", b"again"));
        assert_eq!(hash.encoding(), "listpack");
        assert!(hash.insert(format!("f{max}").as_bytes(), b"v"));
        assert_eq!(hash.encoding(), "hashtable");
        assert_eq!(hash.len(), max + 1);
        check(&hash);

        for (field, value) in [(&[b'f'; 65][..], &b"v"[..]), (b"f", &[b'v'; 65][..])] {
            let mut hash = filled(3);
            hash.insert(field, value);
            assert_eq!(hash.encoding(), "hashtable");
            assert_eq!(hash.get(field), Some(value));
            check(&hash);
        }
        let mut edge = filled(3);
        edge.insert(&[b'f'; 64], &[b'v'; 64]);
        assert_eq!(edge.encoding(), "listpack");
        // Updating an existing field with a long value converts too.
        edge.insert(b"f0", &[b'v'; 65]);
        assert_eq!(edge.encoding(), "hashtable");
        check(&edge);

        // HSET with many pairs (even repeated) converts up front, like Redis.
        let mut bulk = filled(2);
        bulk.prepare_bulk_insert(max, 64);
        assert_eq!(bulk.encoding(), "listpack");
        bulk.prepare_bulk_insert(max + 1, 1);
        assert_eq!(bulk.encoding(), "hashtable");
        let mut long_arg = filled(2);
        long_arg.prepare_bulk_insert(2, 65);
        assert_eq!(long_arg.encoding(), "hashtable");
        assert_eq!(long_arg.get(b"f1"), Some(&b"v1"[..]));
        let mut table = filled(max + 72);
        table.prepare_bulk_insert(1, 1);
        assert_eq!(table.encoding(), "hashtable");
    }

    #[test]
    fn binary_fields_and_values() {
        let items: Vec<Vec<u8>> = (0..=255u8)
            .map(|b| vec![b])
            .chain([
                Vec::new(),
                vec![0; 3],
                (0..=255u8).collect(),
                b"\r\n".to_vec(),
            ])
            .collect();
        for n in [100usize, items.len()] {
            for mut hash in [Hash::new(), colliding()] {
                if n > 100 && hash.encoding() == "hashtable" {
                    continue; // the colliding table is quadratic; 100 is enough there
                }
                for (i, field) in items[..n].iter().enumerate() {
                    assert!(hash.insert(field, &items[(i + 7) % n]));
                }
                let expected = if n == 100 && !matches!(hash.repr, Repr::Table(_)) {
                    "listpack"
                } else {
                    "hashtable"
                };
                assert_eq!(hash.encoding(), expected);
                for (i, field) in items[..n].iter().enumerate() {
                    assert_eq!(hash.get(field), Some(&items[(i + 7) % n][..]));
                }
                check(&hash);
                let had_empty = items[..n].contains(&Vec::new());
                assert_eq!(hash.remove(b""), had_empty);
                assert!(!hash.contains(b""));
                assert!(hash.insert(b"", b""));
                assert_eq!(hash.get(b""), Some(&b""[..]));
                for field in &items[..n] {
                    assert!(hash.remove(field));
                }
                assert_eq!(hash.remove(b""), !had_empty);
                assert!(hash.is_empty());
            }
        }
    }

    #[test]
    fn listpackex_order_follows_redis() {
        let mut hash = Hash::new();
        for f in [b"a", b"b", b"c", b"d"] {
            hash.insert(f, b"v");
        }
        // Missing field: nothing set, but the encoding switches (hashTypeSetExInit).
        assert!(!hash.set_field_expire(b"zz", 10));
        assert_eq!(hash.encoding(), "listpackex");
        assert!(hash.set_field_expire(b"c", 100));
        assert!(hash.set_field_expire(b"a", 50));
        assert!(hash.set_field_expire(b"d", 100));
        let order = |h: &Hash| fields(h).concat();
        // TTL ascending (a newly set TTL goes before equal ones), then no-TTL pairs.
        assert_eq!(order(&hash), b"adcb");
        check(&hash);
        assert_eq!(hash.next_expire_ms(), Some(50));
        // HSET clears the TTL and moves the field behind the TTL-less ones.
        assert!(!hash.insert(b"c", b"new"));
        assert_eq!(hash.field_expire(b"c"), None);
        assert_eq!(order(&hash), b"adbc");
        // Updating a field without TTL keeps its place.
        hash.insert(b"b", b"other");
        assert_eq!(order(&hash), b"adbc");
        // HPERSIST moves to the end too.
        assert!(hash.persist_field(b"a"));
        assert!(!hash.persist_field(b"a"));
        assert!(!hash.persist_field(b"missing"));
        assert_eq!(order(&hash), b"dbca");
        assert_eq!(hash.next_expire_ms(), Some(100));
        assert!(hash.persist_field(b"d"));
        assert_eq!(hash.next_expire_ms(), None);
        // Once listpackex, always listpackex.
        assert_eq!(hash.encoding(), "listpackex");
        let mut plain = filled(2);
        plain.prepare_field_expiry();
        assert_eq!(plain.encoding(), "listpackex");
        assert!(!plain.persist_field(b"f0"));
        check(&hash);
    }

    #[test]
    fn field_ttl_semantics_in_every_encoding() {
        for mut hash in [filled(10), filled(300), {
            let mut c = colliding();
            for i in 0..10 {
                c.insert(format!("f{i}").as_bytes(), format!("v{i}").as_bytes());
            }
            c
        }] {
            let base = hash.mem_usage();
            assert_eq!(hash.field_expire(b"f1"), None);
            assert!(!hash.set_field_expire(b"nope", 5));
            assert_eq!(hash.mem_usage(), base);
            assert!(hash.set_field_expire(b"f1", 1000));
            assert!(hash.set_field_expire(b"f2", 2000));
            assert!(hash.set_field_expire(b"f3", 1000));
            assert!(hash.set_field_expire(b"f4", 3000));
            assert!(hash.mem_usage() > base);
            assert_eq!(hash.field_expire(b"f1"), Some(1000));
            assert_eq!(hash.next_expire_ms(), Some(1000));
            check(&hash);
            // Visibility: expired once expire < now.
            assert!(!hash.is_field_expired(b"f1", 1000));
            assert!(hash.is_field_expired(b"f1", 1001));
            assert!(!hash.is_field_expired(b"f5", i64::MAX));
            assert!(!hash.is_field_expired(b"nope", 0));
            assert_eq!(hash.get_unexpired(b"f1", 1000), Some(&b"v1"[..]));
            assert_eq!(hash.get_unexpired(b"f1", 1001), None);
            assert_eq!(hash.get(b"f1"), Some(&b"v1"[..]));
            let live: HashSet<Vec<u8>> =
                hash.iter_unexpired(1500).map(|(f, _)| f.to_vec()).collect();
            assert!(!live.contains(b"f1".as_slice()) && !live.contains(b"f3".as_slice()));
            assert!(live.contains(b"f2".as_slice()) && live.contains(b"f5".as_slice()));
            assert_eq!(live.len(), hash.len() - 2);
            let mut scanned = Vec::new();
            let mut cursor = 0;
            loop {
                cursor = hash.scan_unexpired(cursor, 4, 1500, &mut scanned);
                if cursor == 0 {
                    break;
                }
            }
            let scanned: HashSet<Vec<u8>> = scanned.into_iter().map(|(f, _)| f).collect();
            assert_eq!(scanned, live);
            // Lazy removal.
            assert!(!hash.remove_if_expired(b"f2", 2000));
            assert!(hash.remove_if_expired(b"f2", 2001));
            assert!(!hash.contains(b"f2"));
            check(&hash);
            // Active expiry: earliest first, bounded, due means expire <= now.
            assert!(hash.remove_expired(999, 10).is_empty());
            let first = hash.remove_expired(1000, 1);
            assert_eq!(first.len(), 1);
            assert!(first[0] == b"f1" || first[0] == b"f3");
            assert_eq!(hash.next_expire_ms(), Some(1000));
            let second = hash.remove_expired(5000, 10);
            assert_eq!(second.len(), 2);
            assert!(second[1] == b"f4");
            assert_eq!(hash.next_expire_ms(), None);
            assert!(hash.remove_expired(i64::MAX, 10).is_empty());
            check(&hash);
            // Overwrite and persist drop the TTL; re-setting the same TTL is a no-op.
            assert!(hash.set_field_expire(b"f5", 10));
            assert!(hash.set_field_expire(b"f5", 10));
            assert!(hash.set_field_expire(b"f6", 10));
            assert!(!hash.insert(b"f5", b"x"));
            assert_eq!(hash.field_expire(b"f5"), None);
            assert_eq!(hash.next_expire_ms(), Some(10));
            assert!(hash.persist_field(b"f6"));
            assert!(!hash.persist_field(b"f6"));
            assert_eq!(hash.next_expire_ms(), None);
            check(&hash);
            // Removing a field removes its TTL.
            assert!(hash.set_field_expire(b"f7", 1));
            assert!(hash.remove(b"f7"));
            assert_eq!(hash.next_expire_ms(), None);
            check(&hash);
        }
    }

    #[test]
    fn shared_ttl_index_keys() {
        // All fields collide and share one expire time: one index key for all of them.
        let mut hash = colliding();
        for i in 0..5 {
            hash.insert(format!("f{i}").as_bytes(), b"v");
            assert!(hash.set_field_expire(format!("f{i}").as_bytes(), 42));
        }
        let index_len = |h: &Hash| match &h.repr {
            Repr::Table(t) => t.ttl_index.len(),
            Repr::Packed(_) => unreachable!(),
        };
        assert_eq!(index_len(&hash), 1);
        check(&hash);
        assert!(hash.persist_field(b"f0"));
        assert!(hash.remove(b"f1"));
        assert!(hash.set_field_expire(b"f2", 43));
        assert_eq!(index_len(&hash), 2);
        check(&hash);
        let mut gone = hash.remove_expired(42, 10);
        gone.sort();
        assert_eq!(gone, vec![b"f3".to_vec(), b"f4".to_vec()]);
        assert_eq!(hash.next_expire_ms(), Some(43));
        assert_eq!(hash.remove_expired(43, 10), vec![b"f2".to_vec()]);
        assert_eq!(index_len(&hash), 0);
        assert_eq!(fields(&hash), vec![b"f0".to_vec()]);
        check(&hash);
    }

    #[test]
    fn listpackex_converts_with_its_ttls() {
        let mut hash = filled(100);
        for i in 0..50 {
            hash.set_field_expire(format!("f{i}").as_bytes(), 1000 + (i % 7));
        }
        assert_eq!(hash.encoding(), "listpackex");
        check(&hash);
        for i in 100..=HASH_MAX_LISTPACK_ENTRIES.load(Relaxed) {
            hash.insert(format!("f{i}").as_bytes(), b"v");
        }
        assert_eq!(hash.encoding(), "hashtable");
        for i in 0..50 {
            assert_eq!(
                hash.field_expire(format!("f{i}").as_bytes()),
                Some(1000 + (i % 7))
            );
        }
        assert_eq!(hash.next_expire_ms(), Some(1000));
        check(&hash);
        let due = hash.remove_expired(1003, 1000);
        assert_eq!(due.len(), 4 * 50 / 7 + 1);
        check(&hash);
    }

    #[test]
    fn random_access_in_every_encoding() {
        let mut pick = picker(9);
        for hash in [filled(10), {
            let mut h = filled(300);
            for i in 10..300 {
                h.remove(format!("f{i}").as_bytes());
            }
            h
        }] {
            let mut hits: HashMap<Vec<u8>, u32> = HashMap::new();
            for _ in 0..20_000 {
                let (f, v) = hash.random_entry(&mut pick).unwrap();
                assert_eq!(hash.get(f), Some(v));
                *hits.entry(f.to_vec()).or_default() += 1;
            }
            assert_eq!(hits.len(), 10);
            assert!(
                hits.values().all(|&h| (1700..2300).contains(&h)),
                "{hits:?}"
            );

            let draws = hash.random_entries(500, &mut pick);
            assert_eq!(draws.len(), 500);
            assert!(draws.iter().all(|(f, v)| hash.get(f) == Some(*v)));

            let mut hits: HashMap<Vec<u8>, u32> = HashMap::new();
            for _ in 0..10_000 {
                let sample = hash.random_distinct_entries(3, &mut pick);
                let distinct: HashSet<&[u8]> = sample.iter().map(|(f, _)| *f).collect();
                assert_eq!(distinct.len(), 3);
                for (f, v) in sample {
                    assert_eq!(hash.get(f), Some(v));
                    *hits.entry(f.to_vec()).or_default() += 1;
                }
            }
            assert!(
                hits.values().all(|&h| (2700..3300).contains(&h)),
                "{hits:?}"
            );
            assert_eq!(
                hash.random_distinct_entries(10, &mut pick),
                hash.iter().collect::<Vec<_>>()
            );
            assert_eq!(hash.random_distinct_entries(7, &mut pick).len(), 7);
        }
        let big = filled(1000);
        for count in [1, 100, 333, 334, 999] {
            let sample = big.random_distinct_entries(count, &mut pick);
            let distinct: HashSet<&[u8]> = sample.iter().map(|(f, _)| *f).collect();
            assert_eq!(distinct.len(), count);
        }
        // Listpack samples keep listpack order.
        let lp = filled(50);
        let order: HashMap<Vec<u8>, usize> = fields(&lp)
            .into_iter()
            .enumerate()
            .map(|(i, f)| (f, i))
            .collect();
        let sample: Vec<usize> = lp
            .random_distinct_entries(20, &mut pick)
            .iter()
            .map(|(f, _)| order[*f])
            .collect();
        assert!(sample.windows(2).all(|w| w[0] < w[1]));
        let empty = Hash::new();
        assert!(empty.random_entry(&mut pick).is_none());
        assert!(empty.random_entries(5, &mut pick).is_empty());
        assert!(empty.random_distinct_entries(5, &mut pick).is_empty());
    }

    fn full_scan(hash: &Hash, count: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = hash.scan(cursor, count, &mut out);
            if cursor == 0 {
                return out;
            }
        }
    }

    #[test]
    fn scan_in_every_encoding() {
        for hash in [filled(0), filled(20), filled(2000), {
            let mut c = colliding();
            for i in 0..50 {
                c.insert(format!("f{i}").as_bytes(), b"v");
            }
            c
        }] {
            let mut got = full_scan(&hash, 10);
            got.sort();
            let mut want = pairs(&hash);
            want.sort();
            assert_eq!(got, want);
        }
        let mut out = Vec::new();
        assert_eq!(filled(5).scan(999, 1, &mut out), 0);
        assert_eq!(out.len(), 5);
    }

    #[test]
    fn scan_guarantee_while_the_hash_grows_and_shrinks() {
        let mut hash = filled(200);
        let stable = pairs(&hash);
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            let mut out = Vec::new();
            cursor = hash.scan(cursor, 2, &mut out);
            seen.extend(out);
            calls += 1;
            if calls < 40 {
                for i in 0..400 {
                    hash.insert(format!("g{calls}-{i}").as_bytes(), b"x");
                }
            } else if calls < 80 {
                for i in 0..400 {
                    hash.remove(format!("g{}-{i}", calls - 39).as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for pair in &stable {
            assert!(seen.contains(pair), "missed {:?}", pair);
        }
    }

    #[test]
    fn mem_usage_counts_ttls_only_when_present() {
        let mut hash = filled(1000);
        let base = hash.mem_usage();
        hash.set_field_expire(b"f1", 5);
        assert_eq!(hash.mem_usage(), base + 8 + TTL_INDEX_ENTRY_BYTES);
        hash.persist_field(b"f1");
        assert_eq!(hash.mem_usage(), base);
        let mut lp = filled(3);
        let lp_base = lp.mem_usage();
        lp.set_field_expire(b"f1", 5);
        assert_eq!(lp.mem_usage(), lp_base + 8);
    }

    #[test]
    fn randomized_against_model() {
        let mut rng = SmallRng::seed_from_u64(4048);
        let mut pick = picker(5);
        // (fields in the domain, chance in 1000 of a long value, operations)
        let sessions: [(usize, u32, usize); 4] = [
            (60, 0, 60_000),
            (140, 0, 40_000),
            (100, 2, 40_000),
            (2000, 0, 60_000),
        ];
        let mut encodings_seen = HashSet::new();
        let mut total = 0;
        for (domain, long_chance, ops) in sessions {
            let mut hash = Hash::new();
            let mut model: HashMap<Vec<u8>, (Vec<u8>, Option<i64>)> = HashMap::new();
            let mut now = 0i64;
            for step in 0..ops {
                let f = {
                    let k = rng.random_range(0..domain);
                    match k % 5 {
                        0 => vec![(k % 256) as u8; k % 4],
                        _ => format!("field:{k}").into_bytes(),
                    }
                };
                let v = if rng.random_range(0..1000) < long_chance {
                    vec![b'L'; 70]
                } else {
                    let len = rng.random_range(0..20);
                    (0..len).map(|_| rng.random_range(0..=255u8)).collect()
                };
                match rng.random_range(0..100) {
                    0..=39 => {
                        let new = !model.contains_key(&f);
                        assert_eq!(hash.insert(&f, &v), new);
                        model.insert(f, (v, None));
                    }
                    40..=54 => assert_eq!(hash.remove(&f), model.remove(&f).is_some()),
                    55..=64 => assert_eq!(hash.get(&f), model.get(&f).map(|(v, _)| &v[..])),
                    65..=74 => {
                        let at = now + rng.random_range(0..200);
                        let present = model.contains_key(&f);
                        assert_eq!(hash.set_field_expire(&f, at), present);
                        if let Some(entry) = model.get_mut(&f) {
                            entry.1 = Some(at);
                        }
                    }
                    75..=79 => {
                        let had = model.get(&f).is_some_and(|(_, t)| t.is_some());
                        assert_eq!(hash.persist_field(&f), had);
                        if let Some(entry) = model.get_mut(&f) {
                            entry.1 = None;
                        }
                    }
                    80..=84 => {
                        assert_eq!(hash.field_expire(&f), model.get(&f).and_then(|(_, t)| *t));
                    }
                    85..=89 => {
                        let due = model.get(&f).and_then(|(_, t)| *t).is_some_and(|t| t < now);
                        assert_eq!(hash.remove_if_expired(&f, now), due);
                        if due {
                            model.remove(&f);
                        }
                    }
                    90..=94 => {
                        now += rng.random_range(0..30);
                        let max = rng.random_range(0..6);
                        let removed = hash.remove_expired(now, max);
                        assert!(removed.len() <= max);
                        let mut last = i64::MIN;
                        for f in &removed {
                            let (_, t) = model.remove(f).expect("removed a known field");
                            let t = t.expect("removed a field with TTL");
                            assert!(t <= now && t >= last);
                            last = t;
                        }
                        let still_due =
                            model.values().filter_map(|(_, t)| *t).filter(|&t| t <= now);
                        if removed.len() < max {
                            assert_eq!(still_due.count(), 0);
                        } else {
                            assert!(still_due.into_iter().all(|t| t >= last));
                        }
                    }
                    _ => {
                        if let Some((f, v)) = hash.random_entry(&mut pick) {
                            assert_eq!(model.get(f).map(|(v, _)| &v[..]), Some(v));
                        }
                    }
                }
                assert_eq!(hash.len(), model.len());
                if step % 16 == 0 {
                    let earliest = model.values().filter_map(|(_, t)| *t).min();
                    assert_eq!(hash.next_expire_ms(), earliest);
                }
                encodings_seen.insert(hash.encoding());
                if step % 5000 == 0 {
                    check(&hash);
                    let got: HashMap<Vec<u8>, (Vec<u8>, Option<i64>)> = hash
                        .iter_with_expire()
                        .map(|(f, v, t)| (f.to_vec(), (v.to_vec(), t)))
                        .collect();
                    assert_eq!(got, model);
                }
            }
            check(&hash);
            let scanned: HashMap<Vec<u8>, Vec<u8>> = full_scan(&hash, 5).into_iter().collect();
            let expected: HashMap<Vec<u8>, Vec<u8>> = model
                .iter()
                .map(|(f, (v, _))| (f.clone(), v.clone()))
                .collect();
            assert_eq!(scanned, expected);
            total += ops;
        }
        assert_eq!(total, 200_000);
        assert_eq!(encodings_seen.len(), 3, "{encodings_seen:?}");
    }
}
