//! The keyspace hash table: open addressing, 8 bytes per slot, kept sorted by hash.
//!
//! Each slot is one `u64`: 0 when empty, otherwise a 20-bit hash tag (the hash's top bits) in the
//! high bits and the entry pointer (shifted right by 3, entries being 8-byte aligned) below. The
//! home slot of a tag is `tag * cap >> 20`, a monotone function, and the table keeps its entries
//! in tag order (Robin Hood linear probing with ordered insertion and backward-shift deletion).
//! That order gives three properties we want:
//!
//! * lookups stop as soon as they meet a larger tag, so misses are short even at high load;
//! * the load factor can be high (up to 0.85) and capacity need not be a power of two, so tables
//!   grow by 1.25x and waste little memory (about 10 bytes per key on average);
//! * iteration order depends only on the hash, never on the capacity: a SCAN cursor is simply
//!   "the next tag to visit", and every key present for the whole scan is returned exactly once
//!   per tag group even while the table grows or shrinks between calls.
//!
//! There is no wrap-around: a little slack after the last home slot absorbs the final cluster,
//! and if it ever overflows the table grows. The table does not own entries: the keyspace frees
//! them (the expires table holds the same pointers).

use super::entry::EntryPtr;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

pub const TAG_BITS: u32 = 20;
const PTR_BITS: u32 = 44;
const PTR_MASK: u64 = (1 << PTR_BITS) - 1;
const MAX_LOAD_NUM: usize = 85;

/// The tag of a hash: its top 20 bits.
#[inline]
pub fn tag_of(hash: u64) -> u64 {
    hash >> (64 - TAG_BITS)
}

#[inline]
fn slot_tag(s: u64) -> u64 {
    s >> PTR_BITS
}

#[inline]
fn slot_addr(s: u64) -> usize {
    ((s & PTR_MASK) << 3) as usize
}

#[inline]
fn pack(tag: u64, addr: usize) -> u64 {
    assert!(
        addr & 7 == 0 && (addr as u64) < (1u64 << (PTR_BITS + 3)),
        "entry address out of range"
    );
    (tag << PTR_BITS) | ((addr as u64) >> 3)
}

/// A borrowed entry living in a table slot.
pub struct EntryView<'a> {
    e: ManuallyDrop<EntryPtr>,
    _t: PhantomData<&'a ()>,
}

impl<'a> EntryView<'a> {
    /// The value, borrowed for as long as the table is borrowed (the block belongs to the
    /// table, not to this view).
    pub fn into_value(self) -> super::entry::ValueRef<'a> {
        let v = self.e.value();
        // SAFETY: the entry block is owned by the table borrowed for 'a; the view is only a
        // copy of its address, so the value outlives the view for 'a.
        unsafe { std::mem::transmute::<super::entry::ValueRef<'_>, super::entry::ValueRef<'a>>(v) }
    }
}

impl<'a> EntryViewMut<'a> {
    /// Mutable access to the value for as long as the table is mutably borrowed.
    pub fn into_value_mut(mut self) -> super::entry::ValueMut<'a> {
        let v = self.e.value_mut();
        // SAFETY: as in `EntryView::into_value`, with exclusive access for 'a.
        unsafe { std::mem::transmute::<super::entry::ValueMut<'_>, super::entry::ValueMut<'a>>(v) }
    }

    /// The in-place string buffer (KIND_VEC entries) for as long as the table is borrowed.
    pub fn into_vec_mut(mut self) -> Option<&'a mut Vec<u8>> {
        let v = self.e.vec_mut()? as *mut Vec<u8>;
        // SAFETY: the Vec is boxed inside the entry owned by the table borrowed for 'a.
        Some(unsafe { &mut *v })
    }
}

impl Deref for EntryView<'_> {
    type Target = EntryPtr;
    fn deref(&self) -> &EntryPtr {
        &self.e
    }
}

/// A mutably borrowed entry (in-place changes only: LRU, expire overwrite, collection contents).
pub struct EntryViewMut<'a> {
    e: ManuallyDrop<EntryPtr>,
    _t: PhantomData<&'a mut ()>,
}

impl Deref for EntryViewMut<'_> {
    type Target = EntryPtr;
    fn deref(&self) -> &EntryPtr {
        &self.e
    }
}

impl DerefMut for EntryViewMut<'_> {
    fn deref_mut(&mut self) -> &mut EntryPtr {
        &mut self.e
    }
}

#[derive(Default)]
pub struct Table {
    slots: Vec<u64>,
    cap: usize,
    len: usize,
}

impl Table {
    pub fn new() -> Table {
        Table::default()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots (for MEMORY STATS / DEBUG HTSTATS).
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    pub fn mem_usage(&self) -> usize {
        self.slots.capacity() * 8
    }

    #[inline]
    fn home(&self, tag: u64) -> usize {
        ((tag * self.cap as u64) >> TAG_BITS) as usize
    }

    /// Slot index of the entry with this key, if present.
    #[inline]
    pub fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let tag = tag_of(hash);
        let mut i = self.home(tag);
        while i < self.slots.len() {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            let t = slot_tag(s);
            if t == tag {
                // SAFETY: a non-empty slot holds the address of a live entry.
                let e = ManuallyDrop::new(unsafe { EntryPtr::from_raw(slot_addr(s)) });
                if e.key() == key {
                    return Some(i);
                }
            } else if t > tag {
                return None;
            }
            i += 1;
        }
        None
    }

    /// Slot index of the slot holding exactly this entry address.
    pub fn find_addr(&self, hash: u64, addr: usize) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let tag = tag_of(hash);
        let mut i = self.home(tag);
        while i < self.slots.len() {
            let s = self.slots[i];
            if s == 0 || slot_tag(s) > tag {
                return None;
            }
            if slot_addr(s) == addr {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    #[inline]
    pub fn at(&self, i: usize) -> EntryView<'_> {
        let s = self.slots[i];
        debug_assert!(s != 0);
        // SAFETY: non-empty slot => live entry; the view never drops it.
        EntryView {
            e: ManuallyDrop::new(unsafe { EntryPtr::from_raw(slot_addr(s)) }),
            _t: PhantomData,
        }
    }

    #[inline]
    pub fn at_mut(&mut self, i: usize) -> EntryViewMut<'_> {
        let s = self.slots[i];
        debug_assert!(s != 0);
        // SAFETY: as in `at`, with exclusive access through &mut self.
        EntryViewMut {
            e: ManuallyDrop::new(unsafe { EntryPtr::from_raw(slot_addr(s)) }),
            _t: PhantomData,
        }
    }

    /// Address stored at slot `i`.
    pub fn addr_at(&self, i: usize) -> usize {
        slot_addr(self.slots[i])
    }

    /// Replaces the entry at slot `i` with `f(old)`; returns (old address, new address).
    pub fn replace_at(&mut self, i: usize, f: impl FnOnce(EntryPtr) -> EntryPtr) -> (usize, usize) {
        let s = self.slots[i];
        let old = slot_addr(s);
        // SAFETY: we take ownership of the entry temporarily and store the replacement.
        let new = f(unsafe { EntryPtr::from_raw(old) }).into_raw();
        self.slots[i] = pack(slot_tag(s), new);
        (old, new)
    }

    /// Stores a new address in slot `i` (same key, so same tag).
    pub fn set_addr_at(&mut self, i: usize, addr: usize) {
        let s = self.slots[i];
        self.slots[i] = pack(slot_tag(s), addr);
    }

    /// Inserts an entry known to be absent. Returns its slot index.
    pub fn insert(&mut self, hash: u64, addr: usize) -> usize {
        if (self.len + 1) * 100 > self.cap * MAX_LOAD_NUM {
            self.resize(grow_cap(self.cap));
        }
        loop {
            if let Some(i) = self.try_insert(hash, addr) {
                self.len += 1;
                return i;
            }
            self.resize(grow_cap(self.cap));
        }
    }

    fn try_insert(&mut self, hash: u64, addr: usize) -> Option<usize> {
        let tag = tag_of(hash);
        let mut i = self.home(tag);
        let n = self.slots.len();
        while i < n && self.slots[i] != 0 && slot_tag(self.slots[i]) <= tag {
            i += 1;
        }
        let mut j = i;
        while j < n && self.slots[j] != 0 {
            j += 1;
        }
        if j >= n {
            return None;
        }
        self.slots.copy_within(i..j, i + 1);
        self.slots[i] = pack(tag, addr);
        Some(i)
    }

    /// Removes slot `i`, returning the address it held.
    pub fn remove_at(&mut self, i: usize) -> usize {
        let addr = slot_addr(self.slots[i]);
        let n = self.slots.len();
        let mut p = i;
        while p + 1 < n {
            let s = self.slots[p + 1];
            if s == 0 || self.home(slot_tag(s)) > p {
                break;
            }
            self.slots[p] = s;
            p += 1;
        }
        self.slots[p] = 0;
        self.len -= 1;
        if self.cap > 64 && self.len * 8 < self.cap {
            self.resize((self.len * 2).max(64));
        }
        addr
    }

    fn resize(&mut self, new_cap: usize) {
        let mut cap = new_cap.max(8);
        loop {
            let slack = (cap / 8).max(32);
            let mut slots = vec![0u64; cap + slack];
            let mut next = 0usize;
            let mut ok = true;
            for &s in &self.slots {
                if s == 0 {
                    continue;
                }
                let h = ((slot_tag(s) * cap as u64) >> TAG_BITS) as usize;
                let pos = h.max(next);
                if pos >= slots.len() {
                    ok = false;
                    break;
                }
                slots[pos] = s;
                next = pos + 1;
            }
            if ok {
                self.slots = slots;
                self.cap = cap;
                return;
            }
            cap = grow_cap(cap);
        }
    }

    /// Removes every slot (entries are not freed: the caller owns them).
    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.cap = 0;
        self.len = 0;
    }

    /// Addresses of all entries, in table order.
    pub fn addrs(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots
            .iter()
            .filter(|&&s| s != 0)
            .map(|&s| slot_addr(s))
    }

    /// Iterates entries in table order.
    pub fn iter(&self) -> impl Iterator<Item = EntryView<'_>> + '_ {
        self.slots.iter().filter(|&&s| s != 0).map(|&s| EntryView {
            // SAFETY: non-empty slot => live entry; the view never drops it.
            e: ManuallyDrop::new(unsafe { EntryPtr::from_raw(slot_addr(s)) }),
            _t: PhantomData,
        })
    }

    /// Visits entries whose tag is >= `from_tag`, in tag order, until at least `count` were
    /// visited and the current tag group is complete. Returns the next tag to resume from, or
    /// `None` when the end of the table was reached.
    pub fn scan(&self, from_tag: u64, count: usize, mut f: impl FnMut(&EntryPtr)) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let mut i = self.home(from_tag);
        // Skip entries of smaller tags that were displaced past our home.
        while i < self.slots.len() && self.slots[i] != 0 && slot_tag(self.slots[i]) < from_tag {
            i += 1;
        }
        let mut seen = 0;
        let mut last_tag = None;
        while i < self.slots.len() {
            let s = self.slots[i];
            if s != 0 {
                let t = slot_tag(s);
                if seen >= count && Some(t) != last_tag {
                    return Some(t);
                }
                // SAFETY: non-empty slot => live entry.
                let e = ManuallyDrop::new(unsafe { EntryPtr::from_raw(slot_addr(s)) });
                f(&e);
                seen += 1;
                last_tag = Some(t);
            }
            i += 1;
        }
        None
    }

    /// A uniformly random-ish non-empty slot (the first entry at or after a random slot).
    pub fn random_slot(&self, r: u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let n = self.slots.len();
        let start = (r % n as u64) as usize;
        (start..n).chain(0..start).find(|&i| self.slots[i] != 0)
    }

    /// Slot index range to iterate incrementally by position (for sampling loops).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Whether slot `i` is occupied.
    pub fn occupied(&self, i: usize) -> bool {
        self.slots.get(i).is_some_and(|&s| s != 0)
    }
}

fn grow_cap(cap: usize) -> usize {
    if cap < 8 {
        8
    } else if cap < 65536 {
        cap * 2
    } else {
        cap + cap / 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entry::Value;

    fn h(k: &[u8]) -> u64 {
        // Deterministic test hash with well-spread top bits.
        let mut x: u64 = 0xcbf29ce484222325;
        for &c in k {
            x ^= c as u64;
            x = x.wrapping_mul(0x100000001b3);
        }
        x ^ (x >> 29) ^ (x << 17).wrapping_mul(0x9e3779b97f4a7c15)
    }

    #[test]
    fn insert_find_remove_many() {
        let mut t = Table::new();
        let n = 20000;
        for i in 0..n {
            let k = format!("key:{i}");
            let e = EntryPtr::new(k.as_bytes(), Value::Int(i), None, 0);
            assert!(t.find(h(k.as_bytes()), k.as_bytes()).is_none());
            t.insert(h(k.as_bytes()), e.into_raw());
        }
        assert_eq!(t.len(), n as usize);
        for i in 0..n {
            let k = format!("key:{i}");
            let idx = t.find(h(k.as_bytes()), k.as_bytes()).expect("present");
            assert_eq!(t.at(idx).key(), k.as_bytes());
        }
        // order invariant
        let tags: Vec<u64> = t
            .slots
            .iter()
            .filter(|&&s| s != 0)
            .map(|&s| slot_tag(s))
            .collect();
        assert!(tags.windows(2).all(|w| w[0] <= w[1]));
        for i in (0..n).step_by(2) {
            let k = format!("key:{i}");
            let idx = t.find(h(k.as_bytes()), k.as_bytes()).unwrap();
            // SAFETY: the address came from into_raw above.
            drop(unsafe { EntryPtr::from_raw(t.remove_at(idx)) });
        }
        for i in 0..n {
            let k = format!("key:{i}");
            assert_eq!(
                t.find(h(k.as_bytes()), k.as_bytes()).is_some(),
                i % 2 == 1,
                "{k}"
            );
        }
        let addrs: Vec<usize> = t.addrs().collect();
        t.clear();
        for a in addrs {
            // SAFETY: each address is a live entry owned by the test.
            drop(unsafe { EntryPtr::from_raw(a) });
        }
    }

    #[test]
    fn scan_survives_growth() {
        let mut t = Table::new();
        let mut all = Vec::new();
        for i in 0..1000 {
            let k = format!("k{i}");
            t.insert(
                h(k.as_bytes()),
                EntryPtr::new(k.as_bytes(), Value::Int(i), None, 0).into_raw(),
            );
            all.push(k);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0u64;
        let mut added = 0;
        loop {
            let next = t.scan(cursor, 10, |e| {
                seen.insert(String::from_utf8(e.key().to_vec()).unwrap());
            });
            // grow the table between calls
            for _ in 0..50 {
                let k = format!("new{added}");
                added += 1;
                t.insert(
                    h(k.as_bytes()),
                    EntryPtr::new(k.as_bytes(), Value::Int(0), None, 0).into_raw(),
                );
            }
            match next {
                Some(c) => cursor = c,
                None => break,
            }
        }
        for k in &all {
            assert!(seen.contains(k), "missing {k}");
        }
        let addrs: Vec<usize> = t.addrs().collect();
        t.clear();
        for a in addrs {
            // SAFETY: each address is a live entry owned by the test.
            drop(unsafe { EntryPtr::from_raw(a) });
        }
    }
}
