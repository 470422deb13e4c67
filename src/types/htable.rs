//! Open-addressing hash table behind the "hashtable" encodings of `Hash` and `Set`.
//!
//! Why our own table instead of `hashbrown`: HSCAN/SSCAN must return every element that is
//! present for the whole scan, even when the table is resized between calls. Redis gets that
//! from its reverse-binary bucket cursor; a SwissTable's slot positions change completely on
//! rehash, so a position cursor cannot give the guarantee. This table is designed so that
//! the cursor is a position in *hash space*, which no resize changes.
//!
//! Layout: `capacity` (a power of two, at least 8) slots in two parallel arrays:
//! - `ctrl[i]`: 0 if slot `i` is empty, otherwise an 8-bit tag from the low bits of the
//!   entry's hash (never 0), so probes rarely touch entries that cannot match;
//! - `slots[i]`: `Option<E>`, where `E` is one machine word with a niche (a thin pointer or a
//!   tagged word), so a slot costs 8 + 1 bytes.
//!
//! Invariants:
//! - `ctrl[i] == 0` exactly when `slots[i]` is `None`; `len` counts the occupied slots.
//! - The home slot of an entry is the top `log2(capacity)` bits of its hash. Entries use
//!   linear probing: an entry sits at its home slot or after it, with no empty slot in
//!   between (cyclically). Deletion shifts later entries back (no tombstones), so the
//!   invariant holds after every operation and lookups stop at the first empty slot.
//! - `len <= capacity * 13 / 16`, so there is always an empty slot and probes terminate.
//!   The table halves when fewer than 1/8 of the slots are used, unless the smaller table
//!   would pack the entries into long probe runs (see `shrink`): then it stays larger.
//! - The hash seed is chosen once per table and never changes (it is kept on resize), so
//!   hash-space cursors stay meaningful for the life of the value.
//!
//! Because homes are hash prefixes, the entries with hashes in `[a, b)` always live in the
//! run of slots starting at the home of `a`, whatever the capacity. A scan call walks slots
//! from the cursor's home, emits the entries whose hash is at least the cursor, and stops
//! at an empty slot once it has emitted `count` entries: every entry whose home is before
//! that empty slot has been seen, so the next cursor is the first hash of the next home. A
//! scan therefore partitions hash space into consecutive intervals and returns each element
//! present throughout exactly once (entries added or removed meanwhile may or may not be
//! returned), across any number of grows and shrinks.

use std::hash::{BuildHasher, Hasher};

use super::packed::sample_distinct;

/// Per-table hash function (foldhash with a random per-table seed).
#[derive(Clone, Debug, Default)]
pub(crate) struct HashSeed {
    state: foldhash::fast::RandomState,
    /// Tests only: every key hashes to the same value, to exercise full collisions.
    #[cfg(test)]
    colliding: bool,
}

impl HashSeed {
    pub(crate) fn hash_bytes(&self, bytes: &[u8]) -> u64 {
        #[cfg(test)]
        if self.colliding {
            return COLLIDING_HASH;
        }
        let mut hasher = self.state.build_hasher();
        hasher.write(bytes);
        hasher.finish()
    }

    pub(crate) fn hash_word(&self, word: u64) -> u64 {
        #[cfg(test)]
        if self.colliding {
            return COLLIDING_HASH;
        }
        let mut hasher = self.state.build_hasher();
        hasher.write_u64(word);
        hasher.finish()
    }
}

#[cfg(test)]
const COLLIDING_HASH: u64 = 0xA5A5_0000_0000_5A5A;

/// An entry stored in an `OpenTable`: it must be able to recompute its own hash (the table
/// does not store hashes, to keep slots at one word).
pub(crate) trait TableEntry {
    fn key_hash(&self, seed: &HashSeed) -> u64;
}

const MIN_CAPACITY: usize = 8;

/// Most entries a table of `capacity` slots may hold (13/16 load factor).
fn max_load(capacity: usize) -> usize {
    capacity - capacity / 8 - capacity / 16
}

/// Smallest capacity that holds `n` entries.
fn capacity_for(n: usize) -> usize {
    let mut capacity = MIN_CAPACITY;
    while max_load(capacity) < n {
        capacity = capacity
            .checked_mul(2)
            .expect("hash table capacity overflow");
    }
    capacity
}

fn tag_of(hash: u64) -> u8 {
    match hash as u8 {
        0 => 1,
        t => t,
    }
}

pub(crate) struct OpenTable<E> {
    ctrl: Box<[u8]>,
    slots: Box<[Option<E>]>,
    len: usize,
    /// `64 - log2(capacity)`: the home slot of hash `h` is `h >> shift`.
    shift: u32,
    seed: HashSeed,
}

fn empty_slots<E>(capacity: usize) -> Box<[Option<E>]> {
    std::iter::repeat_with(|| None).take(capacity).collect()
}

impl<E: TableEntry> OpenTable<E> {
    /// An empty table sized for `n` entries.
    pub(crate) fn with_capacity(n: usize) -> Self {
        let capacity = capacity_for(n);
        OpenTable {
            ctrl: vec![0; capacity].into_boxed_slice(),
            slots: empty_slots(capacity),
            len: 0,
            shift: 64 - capacity.trailing_zeros(),
            seed: HashSeed::default(),
        }
    }

    /// Tests only: a table in which every key has the same hash.
    #[cfg(test)]
    pub(crate) fn with_colliding_hashes(n: usize) -> Self {
        let mut table = Self::with_capacity(n);
        table.seed.colliding = true;
        table
    }

    pub(crate) fn seed(&self) -> &HashSeed {
        &self.seed
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn capacity(&self) -> usize {
        self.ctrl.len()
    }

    /// Bytes used by the slot arrays (entries' own heap allocations not included).
    pub(crate) fn slots_bytes(&self) -> usize {
        self.ctrl.len() * (1 + std::mem::size_of::<Option<E>>())
    }

    fn mask(&self) -> usize {
        self.ctrl.len() - 1
    }

    fn home(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// Index of the entry with this hash for which `eq(index, entry)` holds.
    pub(crate) fn find_where(
        &self,
        hash: u64,
        mut eq: impl FnMut(usize, &E) -> bool,
    ) -> Option<usize> {
        let mask = self.mask();
        let tag = tag_of(hash);
        let mut i = self.home(hash);
        loop {
            match self.ctrl[i] {
                0 => return None,
                t if t == tag => {
                    if let Some(entry) = &self.slots[i]
                        && eq(i, entry)
                    {
                        return Some(i);
                    }
                }
                _ => {}
            }
            i = (i + 1) & mask;
        }
    }

    /// Index of the entry with this hash for which `eq(entry)` holds.
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(&E) -> bool) -> Option<usize> {
        self.find_where(hash, |_, e| eq(e))
    }

    /// The entry at an occupied index.
    pub(crate) fn get(&self, index: usize) -> &E {
        self.slots[index].as_ref().expect("occupied slot")
    }

    /// The entry at an occupied index, mutably. The caller must not change its key.
    pub(crate) fn get_mut(&mut self, index: usize) -> &mut E {
        self.slots[index].as_mut().expect("occupied slot")
    }

    /// Replaces the entry at an occupied index with one that has the same key (same hash).
    pub(crate) fn replace(&mut self, index: usize, entry: E) -> E {
        debug_assert_eq!(
            self.home(entry.key_hash(&self.seed)),
            self.home(self.get(index).key_hash(&self.seed))
        );
        self.slots[index].replace(entry).expect("occupied slot")
    }

    /// Makes room for `additional` more entries.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let needed = self.len.saturating_add(additional);
        if needed > max_load(self.capacity()) {
            self.resize(capacity_for(needed));
        }
    }

    /// Inserts an entry whose key is known to be absent; returns its index.
    pub(crate) fn insert_absent(&mut self, hash: u64, entry: E) -> usize {
        self.reserve(1);
        let index = self.place(hash, entry);
        self.len += 1;
        index
    }

    fn place(&mut self, hash: u64, entry: E) -> usize {
        let mask = self.mask();
        let mut i = self.home(hash);
        while self.ctrl[i] != 0 {
            i = (i + 1) & mask;
        }
        self.ctrl[i] = tag_of(hash);
        self.slots[i] = Some(entry);
        i
    }

    fn resize(&mut self, capacity: usize) {
        let old_slots = std::mem::replace(&mut self.slots, empty_slots(capacity));
        self.ctrl = vec![0; capacity].into_boxed_slice();
        self.shift = 64 - capacity.trailing_zeros();
        for entry in old_slots.into_vec().into_iter().flatten() {
            let hash = entry.key_hash(&self.seed);
            self.place(hash, entry);
        }
    }

    /// Removes and returns the entry at an occupied index. Indices of other entries may
    /// change (backward shift, or a shrink).
    pub(crate) fn remove_at(&mut self, index: usize) -> E {
        let removed = self.slots[index].take().expect("occupied slot");
        self.ctrl[index] = 0;
        self.len -= 1;
        let mask = self.mask();
        let mut hole = index;
        let mut j = (index + 1) & mask;
        while self.ctrl[j] != 0 {
            let home = self.home(self.get(j).key_hash(&self.seed));
            // The entry at `j` may move back into the hole iff the hole lies cyclically in
            // [home, j), i.e. the hole is at least as far from `j` as the home is not.
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = self.slots[j].take();
                self.ctrl[hole] = self.ctrl[j];
                self.ctrl[j] = 0;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        // Shrink checks run when `len + 1` is a power of two: at the usual threshold, and
        // again at each halving if a shrink was refused (amortised O(1) per removal).
        if self.capacity() > MIN_CAPACITY
            && self.len < self.capacity() / 8
            && (self.len + 1).is_power_of_two()
        {
            self.shrink();
        }
        removed
    }

    /// Halves (or more) the table, unless every smaller capacity would pack the entries into
    /// long probe runs. That happens when removals followed slot order (HSCAN + HDEL, or
    /// expiring fields by TTL): the survivors then share a narrow range of hash prefixes,
    /// which any smaller table maps onto a small run of slots, making every later operation
    /// on them linear. A capacity is accepted when the average probe displacement it gives
    /// (computed from home counts, without moving anything) stays small.
    fn shrink(&mut self) {
        const MAX_AVG_DISPLACEMENT: usize = 8;
        let mut target = capacity_for(self.len);
        while target < self.capacity() {
            let shift = 64 - target.trailing_zeros();
            let mut homes = vec![0u32; target];
            for entry in self.slots.iter().flatten() {
                homes[(entry.key_hash(&self.seed) >> shift) as usize] += 1;
            }
            // Linear probing: entries waiting for a slot carry over to the next one; two
            // passes account for runs that wrap around.
            let mut waiting = 0usize;
            let mut displacement = 0usize;
            for pass in 0..2 {
                for &n in &homes {
                    if pass == 0 {
                        waiting += n as usize;
                    }
                    if waiting > 0 {
                        waiting -= 1;
                        displacement += waiting;
                    }
                }
            }
            if displacement <= MAX_AVG_DISPLACEMENT * self.len.max(1) {
                self.resize(target);
                return;
            }
            target *= 2;
        }
    }

    /// Iterates over the entries in slot order.
    pub(crate) fn iter(&self) -> std::iter::Flatten<std::slice::Iter<'_, Option<E>>> {
        self.slots.iter().flatten()
    }

    /// Indices of all occupied slots, in slot order.
    pub(crate) fn occupied_indices(&self) -> Vec<usize> {
        (0..self.ctrl.len())
            .filter(|&i| self.ctrl[i] != 0)
            .collect()
    }

    /// A uniformly random occupied index (`pick(n)` must return a uniform value below `n`).
    /// Each try hits an occupied slot with probability load (at least 1/8 under the usual
    /// shrink policy, lower only while a shrink is refused), and every entry is equally
    /// likely.
    pub(crate) fn random_index(&self, pick: &mut impl FnMut(usize) -> usize) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        loop {
            let i = pick(self.ctrl.len());
            if self.ctrl[i] != 0 {
                return Some(i);
            }
        }
    }

    /// `count` (< len) distinct occupied indices, uniformly at random, in random order:
    /// Fisher-Yates over the occupied slots when `count` is a large fraction of the table,
    /// rejection sampling otherwise (Redis's CASE 3 / CASE 4 threshold).
    pub(crate) fn sample_distinct(
        &self,
        count: usize,
        pick: &mut impl FnMut(usize) -> usize,
    ) -> Vec<usize> {
        let count = count.min(self.len);
        if count.saturating_mul(3) > self.len {
            let occupied = self.occupied_indices();
            sample_distinct(occupied.len(), count, pick)
                .into_iter()
                .map(|i| occupied[i])
                .collect()
        } else {
            let mut seen = std::collections::HashSet::with_capacity(count);
            let mut chosen = Vec::with_capacity(count);
            while chosen.len() < count {
                let index = self.random_index(pick).expect("non-empty");
                if seen.insert(index) {
                    chosen.push(index);
                }
            }
            chosen
        }
    }

    /// One SCAN step (see the module docs). Calls `emit` for the entries of the next
    /// hash-space interval starting at `cursor` and returns the next cursor, 0 when done.
    /// Visits at least `count` entries (when there are that many left) and stops early,
    /// like Redis, after walking `10 * count` slots.
    pub(crate) fn scan(&self, cursor: u64, count: usize, mut emit: impl FnMut(&E)) -> u64 {
        if self.len == 0 {
            return 0;
        }
        let capacity = self.capacity();
        let mask = self.mask();
        let count = count.max(1);
        let slot_budget = count.saturating_mul(10);
        let start = self.home(cursor);
        let mut seen = 0usize;
        let mut walked = 0usize;
        // `q` counts positions without wrapping, so `q >= capacity` means we are in the
        // part of the last run that wrapped around to the start of the array.
        let mut q = start;
        loop {
            let i = q & mask;
            if self.ctrl[i] == 0 {
                if q + 1 >= capacity {
                    return 0;
                }
                if seen >= count || walked >= slot_budget {
                    return ((q + 1) as u64) << self.shift;
                }
            } else {
                let entry = self.get(i);
                let hash = entry.key_hash(&self.seed);
                let home = self.home(hash);
                // Before the wrap, entries whose home is after their position wrapped from
                // the end of the array: they belong to the last interval. After the wrap,
                // only those wrapped entries belong to this walk.
                let in_walk = if q < capacity {
                    home <= q
                } else {
                    home > q - capacity
                };
                if in_walk && hash >= cursor {
                    emit(entry);
                    seen += 1;
                }
            }
            q += 1;
            walked += 1;
        }
    }

    /// Checks the structural invariants (tests only).
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let mask = self.mask();
        let mut occupied = 0;
        for i in 0..self.capacity() {
            assert_eq!(self.ctrl[i] == 0, self.slots[i].is_none());
            if let Some(entry) = &self.slots[i] {
                occupied += 1;
                let hash = entry.key_hash(&self.seed);
                assert_eq!(self.ctrl[i], tag_of(hash));
                let mut p = self.home(hash);
                while p != i {
                    assert_ne!(self.ctrl[p], 0, "empty slot between home and entry");
                    p = (p + 1) & mask;
                }
            }
        }
        assert_eq!(occupied, self.len);
        assert!(self.len <= max_load(self.capacity()));
    }
}

impl<E: Clone> Clone for OpenTable<E> {
    fn clone(&self) -> Self {
        OpenTable {
            ctrl: self.ctrl.clone(),
            slots: self.slots.clone(),
            len: self.len,
            shift: self.shift,
            seed: self.seed.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    /// A test entry with a controllable hash: `key_hash` ignores the seed so tests can
    /// force collisions, clusters and wrap-around.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Fixed {
        key: u32,
        hash: u64,
    }

    impl TableEntry for Fixed {
        fn key_hash(&self, _: &HashSeed) -> u64 {
            self.hash
        }
    }

    fn mix(x: u64) -> u64 {
        let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    struct Model {
        table: OpenTable<Fixed>,
        hashes: HashMap<u32, u64>,
    }

    impl Model {
        fn new() -> Self {
            Model {
                table: OpenTable::with_capacity(0),
                hashes: HashMap::new(),
            }
        }
        fn find(&self, key: u32, hash: u64) -> Option<usize> {
            self.table.find(hash, |e| e.key == key)
        }
        fn insert(&mut self, key: u32, hash: u64) -> bool {
            if self.find(key, hash).is_some() {
                return false;
            }
            self.table.insert_absent(hash, Fixed { key, hash });
            self.hashes.insert(key, hash);
            true
        }
        fn remove(&mut self, key: u32, hash: u64) -> bool {
            match self.find(key, hash) {
                Some(i) => {
                    assert_eq!(self.table.remove_at(i).key, key);
                    self.hashes.remove(&key);
                    true
                }
                None => false,
            }
        }
    }

    fn xorshift(seed: u64) -> impl FnMut(usize) -> usize {
        let mut x = seed | 1;
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        }
    }

    #[test]
    fn insert_find_remove_against_model() {
        let mut rng = xorshift(99);
        for hash_bits in [64u32, 3, 1] {
            // Few distinct hash values force long runs, collisions and wrap-around.
            let mut m = Model::new();
            for step in 0..20_000u32 {
                let key = rng(500) as u32;
                let hash = if hash_bits == 64 {
                    mix(key as u64)
                } else {
                    // Hashes concentrated on the last homes exercise wrap-around.
                    u64::MAX - (mix(key as u64) >> (64 - hash_bits))
                };
                let was_present = m.hashes.contains_key(&key);
                if rng(3) == 0 {
                    assert_eq!(m.remove(key, hash), was_present);
                } else {
                    assert_eq!(m.insert(key, hash), !was_present);
                }
                if step % 1000 == 0 {
                    m.table.check_invariants();
                }
                assert_eq!(m.table.len(), m.hashes.len());
            }
            m.table.check_invariants();
            for (&key, &hash) in &m.hashes {
                assert!(m.find(key, hash).is_some());
            }
            let keys: HashSet<u32> = m.table.iter().map(|e| e.key).collect();
            assert_eq!(keys, m.hashes.keys().copied().collect());
        }
    }

    #[test]
    fn remove_reports_presence() {
        let mut m = Model::new();
        assert!(m.insert(1, 5));
        assert!(m.insert(2, 5));
        assert!(!m.insert(1, 5));
        assert!(m.remove(1, 5));
        assert!(!m.remove(1, 5));
        assert!(m.find(2, 5).is_some());
        m.table.check_invariants();
    }

    #[test]
    fn grows_and_shrinks() {
        let mut m = Model::new();
        assert_eq!(m.table.capacity(), MIN_CAPACITY);
        for k in 0..1000u32 {
            m.insert(k, mix(k as u64));
        }
        assert_eq!(m.table.capacity(), 2048);
        m.table.check_invariants();
        for k in 0..995u32 {
            assert!(m.remove(k, mix(k as u64)));
        }
        // 5 entries keep a load of at least 1/8.
        assert_eq!(m.table.capacity(), 32);
        m.table.check_invariants();
        assert_eq!(m.table.len(), 5);
        for k in 995..1000u32 {
            assert!(m.remove(k, mix(k as u64)));
        }
        assert_eq!(m.table.capacity(), MIN_CAPACITY);
        assert_eq!(m.table.len(), 0);
    }

    #[test]
    fn random_index_is_uniform() {
        let mut m = Model::new();
        for k in 0..10u32 {
            m.insert(k, mix(k as u64));
        }
        let mut pick = xorshift(3);
        let mut hits = [0u32; 10];
        for _ in 0..50_000 {
            let i = m.table.random_index(&mut pick).unwrap();
            hits[m.table.get(i).key as usize] += 1;
        }
        assert!(hits.iter().all(|&h| (4500..5500).contains(&h)), "{hits:?}");
        assert_eq!(Model::new().table.random_index(&mut pick), None);
    }

    fn full_scan(table: &OpenTable<Fixed>, count: usize) -> Vec<u32> {
        let mut out = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = table.scan(cursor, count, |e| out.push(e.key));
            if cursor == 0 {
                return out;
            }
        }
    }

    #[test]
    fn scan_returns_each_entry_once() {
        for hash_bits in [64u32, 4] {
            let mut m = Model::new();
            for k in 0..3000u32 {
                let hash = if hash_bits == 64 {
                    mix(k as u64)
                } else {
                    mix(k as u64) | (u64::MAX >> hash_bits)
                };
                m.insert(k, hash);
            }
            for count in [1, 7, 100, 10_000] {
                let mut got = full_scan(&m.table, count);
                got.sort_unstable();
                let mut want: Vec<u32> = m.hashes.keys().copied().collect();
                want.sort_unstable();
                assert_eq!(got, want, "count {count}");
            }
        }
        assert_eq!(Model::new().table.scan(0, 10, |_| panic!("empty")), 0);
    }

    #[test]
    fn scan_guarantee_while_growing_and_shrinking() {
        let mut rng = xorshift(11);
        for round in 0..6u32 {
            let mut m = Model::new();
            let stable: Vec<u32> = (0..300).collect();
            for &k in &stable {
                m.insert(k, mix(k as u64 + round as u64 * 1_000_000));
            }
            let mut seen = HashSet::new();
            let mut cursor = 0;
            let mut next_key = 1_000_000u32;
            let mut churn: Vec<u32> = Vec::new();
            let mut calls = 0;
            loop {
                cursor = m.table.scan(cursor, 5, |e| {
                    seen.insert(e.key);
                });
                calls += 1;
                // Grow hard, then shrink hard, across the scan, moving every entry.
                if calls < 20 {
                    for _ in 0..200 {
                        let k = next_key;
                        next_key += 1;
                        m.insert(k, mix(k as u64));
                        churn.push(k);
                    }
                } else {
                    for _ in 0..300 {
                        if churn.is_empty() {
                            break;
                        }
                        let k = churn.swap_remove(rng(churn.len()));
                        m.remove(k, mix(k as u64));
                    }
                }
                m.table.check_invariants();
                if cursor == 0 {
                    break;
                }
            }
            for k in &stable {
                assert!(seen.contains(k), "round {round}: stable key {k} missed");
            }
        }
    }
}
