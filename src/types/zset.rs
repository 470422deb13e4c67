//! Sorted sets (the Redis `zset` value type): members are byte strings, each with an `f64` score,
//! ordered by `(score, member bytes in memcmp order)`. Scores are never NaN; `-0.0 == 0.0` as
//! scores, with the tie broken by the member, exactly like Redis.
//!
//! Two representations, chosen and switched the way Redis 7.2 does (`t_zset.c`):
//!
//! * **packed** (reported as `"listpack"`): every `(member, score)` pair in ascending order in one
//!   byte buffer. Entry layout: `varint(len) member score(8 bytes LE) rev_varint(len)`; the
//!   trailing reversed varint lets iteration walk backwards. All operations are linear scans,
//!   which is fine because the set is kept at most `zset-max-listpack-entries` long with members of
//!   at most `zset-max-listpack-value` bytes. Like Redis's listpack, which stores an integral score
//!   as an integer, the packed form stores `-0.0` as `0.0`.
//! * **large** (reported as `"skiplist"`): each element lives once in a slot of a `Vec<Slot>`
//!   (score + member in a 16-byte small-string: members up to 15 bytes inline, longer ones in one
//!   exact-size heap block). Two indexes refer to elements by their `u32` slot number only:
//!   a hash table (`member -> slot`, for O(1) ZSCORE) and an order-statistic B+tree whose leaves
//!   are arrays of slot numbers in sorted order (63 per 256-byte leaf) and whose inner nodes keep,
//!   per child and in parallel arrays, the subtree size (for rank <-> position in O(log n)) and
//!   the child's smallest element (slot and score, to steer searches without touching slots).
//!   Nothing is stored twice, so an element costs its 24-byte slot plus ~6 bytes of tree and
//!   ~5-10 bytes of hash table (~42 bytes at 1M elements, against ~110 for Redis).
//!
//! Slot numbers are stable while an element lives (a score update keeps its slot), which gives
//! ZSCAN Redis's guarantee cheaply: the cursor walks slot numbers downwards. Freed slots are reused
//! lowest first, trailing free slots are truncated, and when free slots make up more than 1/8 of
//! the slots a removal also moves the element in the topmost slot down into the lowest free one.
//! Elements only ever move to lower slots, so a downward scan still returns every element that was
//! present for the whole scan (at worst twice).
//!
//! Encoding changes follow Redis: adding a new member converts packed -> large when the set would
//! exceed `ZSET_MAX_LISTPACK_ENTRIES` or the member is longer than `ZSET_MAX_LISTPACK_VALUE`;
//! removals never convert back. [`ZSet::with_hints`] (zsetTypeCreate),
//! [`ZSet::reserve_for_hint`] (zsetTypeMaybeConvert) and [`ZSet::convert_to_listpack_if_fits`]
//! (zsetConvertToListpackIfNeeded, used for ZUNIONSTORE & co. results and when loading) give the
//! command layer the other conversion points.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;
use std::hash::BuildHasher;
use std::mem;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use hashbrown::HashTable;

/// `zset-max-listpack-entries`: the packed encoding holds at most this many elements.
pub static ZSET_MAX_LISTPACK_ENTRIES: AtomicUsize = AtomicUsize::new(128);
/// `zset-max-listpack-value`: the packed encoding only holds members up to this many bytes.
pub static ZSET_MAX_LISTPACK_VALUE: AtomicUsize = AtomicUsize::new(64);

/// Redis refuses to grow a listpack past 1 GiB (`LISTPACK_MAX_SAFETY_SIZE`).
const PACKED_MAX_BYTES: usize = 1 << 30;

fn max_packed_entries() -> usize {
    ZSET_MAX_LISTPACK_ENTRIES.load(AtomicOrdering::Relaxed)
}

fn max_packed_value() -> usize {
    ZSET_MAX_LISTPACK_VALUE.load(AtomicOrdering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Ranges and their parsing
// ---------------------------------------------------------------------------------------------

/// One end of a score range. `-inf`/`+inf` are `Inclusive(f64::NEG_INFINITY)` /
/// `Inclusive(f64::INFINITY)`; `(inf` is `Exclusive(f64::INFINITY)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScoreBound {
    Inclusive(f64),
    Exclusive(f64),
}

impl ScoreBound {
    fn value(self) -> f64 {
        match self {
            ScoreBound::Inclusive(v) | ScoreBound::Exclusive(v) => v,
        }
    }

    fn is_exclusive(self) -> bool {
        matches!(self, ScoreBound::Exclusive(_))
    }
}

/// A score interval as given to ZRANGEBYSCORE, ZCOUNT, ZREMRANGEBYSCORE...
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: ScoreBound,
    pub max: ScoreBound,
}

impl ScoreRange {
    /// True when no score can be inside (`min > max`, or `min == max` with an exclusive end).
    pub fn is_empty_range(&self) -> bool {
        let (min, max) = (self.min.value(), self.max.value());
        min > max || (min == max && (self.min.is_exclusive() || self.max.is_exclusive()))
    }

    /// `score` is at or above the lower end.
    pub fn gte_min(&self, score: f64) -> bool {
        match self.min {
            ScoreBound::Inclusive(m) => score >= m,
            ScoreBound::Exclusive(m) => score > m,
        }
    }

    /// `score` is at or below the upper end.
    pub fn lte_max(&self, score: f64) -> bool {
        match self.max {
            ScoreBound::Inclusive(m) => score <= m,
            ScoreBound::Exclusive(m) => score < m,
        }
    }

    pub fn contains(&self, score: f64) -> bool {
        self.gte_min(score) && self.lte_max(score)
    }
}

/// One end of a lexicographic range (ZRANGEBYLEX): `-`, `+`, `[member`, `(member`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexBound<'a> {
    NegInf,
    PosInf,
    Inclusive(&'a [u8]),
    Exclusive(&'a [u8]),
}

/// A lexicographic interval. Lex queries assume all scores are equal (as Redis documents); with
/// mixed scores their result is unspecified, but they never panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LexRange<'a> {
    pub min: LexBound<'a>,
    pub max: LexBound<'a>,
}

impl LexRange<'_> {
    /// True when no member can be inside, with Redis's rules (`-` and `+` count as exclusive).
    pub fn is_empty_range(&self) -> bool {
        use LexBound::*;
        if matches!(self.min, PosInf) || matches!(self.max, NegInf) {
            return true;
        }
        let order = match (self.min, self.max) {
            (NegInf, NegInf) | (PosInf, PosInf) => Ordering::Equal,
            (NegInf, _) | (_, PosInf) => Ordering::Less,
            (PosInf, _) | (_, NegInf) => Ordering::Greater,
            (Inclusive(a) | Exclusive(a), Inclusive(b) | Exclusive(b)) => a.cmp(b),
        };
        let exclusive = |b: LexBound| !matches!(b, Inclusive(_));
        order == Ordering::Greater
            || (order == Ordering::Equal && (exclusive(self.min) || exclusive(self.max)))
    }

    /// `member` is at or above the lower end.
    pub fn gte_min(&self, member: &[u8]) -> bool {
        match self.min {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Inclusive(b) => member >= b,
            LexBound::Exclusive(b) => member > b,
        }
    }

    /// `member` is at or below the upper end.
    pub fn lte_max(&self, member: &[u8]) -> bool {
        match self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(b) => member <= b,
            LexBound::Exclusive(b) => member < b,
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.gte_min(member) && self.lte_max(member)
    }
}

/// Parses a score range end exactly as Redis's `zslParseRange` does: an optional `(` for an
/// exclusive end, then a number that C `strtod` must consume entirely. That means: leading
/// whitespace is skipped, decimal and hexadecimal (`0x1p3`) forms, `inf`/`infinity` in any case
/// with an optional sign, out-of-range values become +-inf or 0, and the empty string reads as 0
/// (so `""` and `"("` are valid). The argument ends at its first NUL byte, like a C string.
/// NaN is rejected.
pub fn parse_score_bound(arg: &[u8]) -> Option<ScoreBound> {
    let (exclusive, text) = match arg.first() {
        Some(b'(') => (true, &arg[1..]),
        _ => (false, arg),
    };
    let text = match text.iter().position(|&c| c == 0) {
        Some(nul) => &text[..nul],
        None => text,
    };
    let value = strtod_whole(text)?;
    if value.is_nan() {
        return None;
    }
    Some(if exclusive {
        ScoreBound::Exclusive(value)
    } else {
        ScoreBound::Inclusive(value)
    })
}

/// Parses a lex range end as Redis's `zslParseLexRangeItem`: `-`, `+`, `[member` or `(member`.
/// Like Redis, `-`/`+` may only be followed by the end of the argument or a NUL byte.
pub fn parse_lex_bound(arg: &[u8]) -> Option<LexBound<'_>> {
    let alone = arg.len() == 1 || arg.get(1) == Some(&0);
    match arg.first()? {
        b'+' if alone => Some(LexBound::PosInf),
        b'-' if alone => Some(LexBound::NegInf),
        b'(' => Some(LexBound::Exclusive(&arg[1..])),
        b'[' => Some(LexBound::Inclusive(&arg[1..])),
        _ => None,
    }
}

/// C `strtod` followed by Redis's `eptr[0] != '\0'` check: the whole text must be consumed.
/// Returns NaN for NaN literals (the caller rejects them).
fn strtod_whole(text: &[u8]) -> Option<f64> {
    if text.is_empty() {
        return Some(0.0); // no conversion: strtod leaves eptr at the (empty) start
    }
    let is_c_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = text.iter().position(|&c| !is_c_space(c))?;
    let s = &text[start..];
    let (negative, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let sign = |v: f64| if negative { -v } else { v };
    let lower: Vec<u8> = body.iter().map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"inf") {
        return (lower == b"inf" || lower == b"infinity").then(|| sign(f64::INFINITY));
    }
    if lower.starts_with(b"nan") {
        return Some(f64::NAN);
    }
    if lower.len() > 2 && lower.starts_with(b"0x") {
        let rest = &lower[2..];
        let hex_start = rest[0].is_ascii_hexdigit()
            || (rest[0] == b'.' && rest.get(1).is_some_and(u8::is_ascii_hexdigit));
        if hex_start {
            return parse_hex_body(rest).map(sign);
        }
        // strtod reads just the "0" and stops at the 'x'.
        return None;
    }
    if !is_decimal_syntax(&lower) {
        return None;
    }
    // The syntax was vetted; Rust's parser rounds correctly like glibc and saturates to inf / 0.
    let parsed: f64 = std::str::from_utf8(&lower).ok()?.parse().ok()?;
    Some(sign(parsed))
}

/// `digits [. digits] [e [+-] digits]` with at least one mantissa digit, nothing else.
fn is_decimal_syntax(s: &[u8]) -> bool {
    let mut i = 0;
    let mut digits = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < s.len() && s[i] == b'e' {
        i += 1;
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == s.len()
}

/// Hexadecimal float after the `0x`: `hexdigits [. hexdigits] [p [+-] digits]`, correctly rounded
/// (nearest, ties to even), overflowing to infinity and underflowing through subnormals to 0.
fn parse_hex_body(s: &[u8]) -> Option<f64> {
    let mut mantissa: u64 = 0;
    let mut exp2: i64 = 0;
    let mut sticky = false;
    let mut i = 0;
    let mut seen_point = false;
    let mut digits = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            digits += 1;
            if mantissa >> 60 == 0 {
                mantissa = mantissa * 16 + d as u64;
                if seen_point {
                    exp2 -= 4;
                }
            } else {
                sticky |= d != 0;
                if !seen_point {
                    exp2 += 4;
                }
            }
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && s[i] == b'p' {
        let mut j = i + 1;
        let negative = match s.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let exp_start = j;
        let mut e: i64 = 0;
        while j < s.len() && s[j].is_ascii_digit() {
            e = (e * 10 + (s[j] - b'0') as i64).min(1 << 20);
            j += 1;
        }
        if j == exp_start {
            return None; // "p" not followed by digits: strtod stops before it
        }
        exp2 += if negative { -e } else { e };
        i = j;
    }
    if i != s.len() {
        return None;
    }
    Some(hex_to_f64(mantissa, exp2, sticky))
}

/// `mantissa * 2^exp2` (plus a sticky "more non-zero bits below" flag), rounded to nearest even.
fn hex_to_f64(mantissa: u64, exp2: i64, sticky: bool) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let lz = mantissa.leading_zeros() as i64;
    let m = mantissa << lz; // top bit set: value = m * 2^(e - 63)
    let e = exp2 - lz + 63; // value = 1.xxx * 2^e
    if e > 1023 {
        return f64::INFINITY;
    }
    // Bits of `m` to drop: 11 for a normal result, more for a subnormal one.
    let drop = if e >= -1022 { 11 } else { 11 + (-1022 - e) };
    if drop > 64 {
        return 0.0;
    }
    let kept = if drop == 64 { 0 } else { m >> drop };
    let half = 1u64 << (drop - 1);
    let rest = if drop == 64 {
        m
    } else {
        m & ((1u64 << drop) - 1)
    };
    let round_up = rest > half || (rest == half && (sticky || kept & 1 == 1));
    let mut mant = kept + round_up as u64;
    let bits = if e >= -1022 {
        let mut biased = (e + 1023) as u64;
        if mant == 1 << 53 {
            mant >>= 1;
            biased += 1;
        }
        if biased >= 2047 {
            return f64::INFINITY;
        }
        (biased << 52) | (mant & ((1 << 52) - 1))
    } else {
        mant // subnormal; a carry into bit 52 correctly yields the smallest normal
    };
    f64::from_bits(bits)
}

// ---------------------------------------------------------------------------------------------
// Public type
// ---------------------------------------------------------------------------------------------

/// What [`ZSet::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddOutcome {
    /// The member was new.
    Added,
    /// The member existed with a different score (`old`), which was replaced.
    Updated { old: f64 },
    /// The member existed with an equal score (`-0.0` equals `0.0`); nothing changed, and the
    /// stored score keeps its old sign, as in Redis.
    Unchanged,
}

/// A Redis sorted set. See the module documentation for the representation.
#[derive(Clone)]
pub struct ZSet {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Packed(Packed),
    Large(Box<Large>),
}

impl Default for ZSet {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ZSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Member<'a>(&'a [u8]);
        impl fmt::Debug for Member<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "\"{}\"", self.0.escape_ascii())
            }
        }
        write!(f, "ZSet<{}>", self.encoding())?;
        f.debug_list()
            .entries(self.iter().map(|(m, s)| (Member(m), s)))
            .finish()
    }
}

impl ZSet {
    /// An empty set in the packed encoding.
    pub fn new() -> Self {
        ZSet {
            repr: Repr::Packed(Packed::default()),
        }
    }

    /// Redis's `zsetTypeCreate`: packed when `size_hint` elements of about `value_len_hint`
    /// bytes fit the packed limits, otherwise large with room for `size_hint` elements.
    /// (ZADD on a new key passes the number of pairs and the first member's length; ZRANGESTORE
    /// passes the result length, or 0 when unknown, and 0.)
    pub fn with_hints(size_hint: usize, value_len_hint: usize) -> Self {
        if size_hint <= max_packed_entries() && value_len_hint <= max_packed_value() {
            Self::new()
        } else {
            ZSet {
                // The hint counts real arguments, but cap the up-front reservation anyway.
                repr: Repr::Large(Box::new(Large::with_capacity(size_hint.min(1 << 20)))),
            }
        }
    }

    /// Redis's `zsetTypeMaybeConvert`: before adding `size_hint` pairs (ZADD on an existing key),
    /// a packed set converts to the large encoding if the hint alone exceeds the entry limit.
    pub fn reserve_for_hint(&mut self, size_hint: usize) {
        if let Repr::Packed(p) = &self.repr
            && size_hint > max_packed_entries()
        {
            let large = Large::from_packed(p, size_hint);
            self.repr = Repr::Large(Box::new(large));
        }
    }

    /// Converts a packed set to the large ("skiplist") encoding, as Redis's SORT does to the
    /// sorted set it sorts (`zsetConvert(..., OBJ_ENCODING_SKIPLIST)`).
    pub fn convert_to_skiplist(&mut self) {
        if let Repr::Packed(p) = &self.repr {
            let large = Large::from_packed(p, p.len);
            self.repr = Repr::Large(Box::new(large));
        }
    }

    /// Redis's `zsetConvertToListpackIfNeeded`: converts a large set back to the packed encoding
    /// when it fits the limits (at most `zset-max-listpack-entries` elements, each member at most
    /// `zset-max-listpack-value` bytes). Redis calls it on the results of ZUNIONSTORE,
    /// ZINTERSTORE, ZDIFFSTORE and GEO*STORE, and when loading a set from disk.
    pub fn convert_to_listpack_if_fits(&mut self) {
        let Repr::Large(large) = &self.repr else {
            return;
        };
        if large.len() > max_packed_entries() {
            return;
        }
        let mut total = 0;
        let mut longest = 0;
        for (member, _) in self.iter() {
            total += member.len();
            longest = longest.max(member.len());
        }
        if longest <= max_packed_value() && total <= PACKED_MAX_BYTES {
            let packed = Packed::from_sorted(self.iter());
            self.repr = Repr::Packed(packed);
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.len,
            Repr::Large(l) => l.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING name: `"listpack"` or `"skiplist"` (Redis's names).
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Packed(_) => "listpack",
            Repr::Large(_) => "skiplist",
        }
    }

    /// Adds `member` or sets its score. Panics if `score` is NaN: the command layer must reject
    /// NaN first (Redis replies "resulting score is not a number (NaN)").
    pub fn insert(&mut self, member: &[u8], score: f64) -> AddOutcome {
        assert!(!score.is_nan(), "sorted set scores must not be NaN");
        if let Repr::Packed(p) = &mut self.repr {
            if let Some(found) = p.find(member) {
                return p.update(found, member, score);
            }
            let fits = p.len < max_packed_entries()
                && member.len() <= max_packed_value()
                && p.buf.len() + member.len() <= PACKED_MAX_BYTES;
            if fits {
                p.insert_new(member, score);
                return AddOutcome::Added;
            }
            let large = Large::from_packed(p, p.len + 1);
            self.repr = Repr::Large(Box::new(large));
        }
        match &mut self.repr {
            Repr::Large(l) => l.insert(member, score),
            Repr::Packed(_) => unreachable!("converted above"),
        }
    }

    /// The member's score (ZSCORE).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Packed(p) => p.find(member).map(|f| f.score),
            Repr::Large(l) => l.find(member).map(|id| l.slots[id as usize].score),
        }
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Packed(p) => {
                let found = p.find(member)?;
                p.remove_bytes(found.start, found.end, 1);
                Some(found.score)
            }
            Repr::Large(l) => l.remove(member),
        }
    }

    /// 0-based ascending rank of `member` (ZRANK); ZREVRANK is `len - 1 - rank`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Packed(p) => p.find(member).map(|f| f.rank),
            Repr::Large(l) => {
                let id = l.find(member)?;
                let slot = &l.slots[id as usize];
                l.tree.rank_of(id, slot.score, member, &l.slots)
            }
        }
    }

    /// The element at 0-based ascending `rank`.
    pub fn get_by_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        if rank >= self.len() {
            return None;
        }
        match &self.repr {
            Repr::Packed(p) => {
                let e = p.entry_at(p.offset_of_rank(rank));
                Some((e.member, e.score))
            }
            Repr::Large(l) => Some(l.get(l.tree.get(rank))),
        }
    }

    /// All elements in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_range(0, self.len())
    }

    /// Elements with ascending ranks in `start..end` (clamped to the set).
    pub fn iter_range(&self, start: usize, end: usize) -> Iter<'_> {
        let end = end.min(self.len());
        if start >= end {
            return Iter {
                repr: IterRepr::Empty,
            };
        }
        let repr = match &self.repr {
            Repr::Packed(p) => {
                let (front, back) = p.offsets_of_ranks(start, end);
                IterRepr::Packed {
                    buf: p.buf.as_slice(),
                    front,
                    back,
                    remaining: end - start,
                }
            }
            Repr::Large(l) => IterRepr::Large {
                slots: &l.slots,
                root: &l.tree.root,
                front: None,
                back: None,
                front_rank: start,
                back_rank: end,
            },
        };
        Iter { repr }
    }

    /// Ascending from the element at `rank`.
    pub fn iter_from_rank(&self, rank: usize) -> Iter<'_> {
        self.iter_range(rank, self.len())
    }

    /// Descending from the element at reverse rank `rank` (rank 0 is the highest element), as
    /// ZREVRANGE walks.
    pub fn iter_rev_from_rank(&self, rank: usize) -> std::iter::Rev<Iter<'_>> {
        self.iter_range(0, self.len().saturating_sub(rank)).rev()
    }

    /// The first element (by rank) for which `above_start(member, score)` holds; the predicate
    /// must be false then true along the order (otherwise any rank in `0..=len`, never a panic).
    /// With `score_only`, the predicate ignores the member, which spares reading slots.
    fn boundary(&self, above_start: impl Fn(&[u8], f64) -> bool, score_only: bool) -> Boundary<'_> {
        match &self.repr {
            Repr::Packed(p) => p.boundary(above_start),
            Repr::Large(l) => {
                let slots = &l.slots;
                let b = if score_only {
                    l.tree
                        .lower_bound(slots, |score, _| above_start(&[], score))
                } else {
                    l.tree.lower_bound(slots, |score, id| {
                        above_start(slots[id as usize].member.as_bytes(), score)
                    })
                };
                Boundary {
                    rank: b.rank,
                    at: b.at.map(|id| l.get(id)),
                    before: b.before.map(|id| l.get(id)),
                }
            }
        }
    }

    /// The element at `b.rank`, if any.
    fn element_at<'a>(&'a self, b: &Boundary<'a>) -> Option<(&'a [u8], f64)> {
        b.at.or_else(|| self.get_by_rank(b.rank))
    }

    /// The element just before `b.rank`, if any.
    fn element_before<'a>(&'a self, b: &Boundary<'a>) -> Option<(&'a [u8], f64)> {
        b.before
            .or_else(|| self.get_by_rank(b.rank.checked_sub(1)?))
    }

    /// Rank of the first (lowest) element whose score is in `r`.
    pub fn first_in_score_range(&self, r: &ScoreRange) -> Option<usize> {
        if r.is_empty_range() {
            return None;
        }
        let b = self.boundary(|_, s| r.gte_min(s), true);
        let (_, score) = self.element_at(&b)?;
        r.lte_max(score).then_some(b.rank)
    }

    /// Rank of the last (highest) element whose score is in `r`.
    pub fn last_in_score_range(&self, r: &ScoreRange) -> Option<usize> {
        if r.is_empty_range() {
            return None;
        }
        let b = self.boundary(|_, s| !r.lte_max(s), true);
        let (_, score) = self.element_before(&b)?;
        r.gte_min(score).then_some(b.rank - 1)
    }

    /// Ranks `start..end` of the elements whose score is in `r` (`start == end` if none).
    fn score_range_ranks(&self, r: &ScoreRange) -> (usize, usize) {
        if r.is_empty_range() {
            return (0, 0);
        }
        let start = self.boundary(|_, s| r.gte_min(s), true).rank;
        let end = self.boundary(|_, s| !r.lte_max(s), true).rank;
        (start, end.max(start))
    }

    /// Number of elements whose score is in `r` (ZCOUNT).
    pub fn count_in_score_range(&self, r: &ScoreRange) -> usize {
        let (start, end) = self.score_range_ranks(r);
        end - start
    }

    /// Rank of the first element whose member is in `r` (scores assumed all equal).
    pub fn first_in_lex_range(&self, r: &LexRange) -> Option<usize> {
        if r.is_empty_range() {
            return None;
        }
        let b = self.boundary(|m, _| r.gte_min(m), false);
        let (member, _) = self.element_at(&b)?;
        r.lte_max(member).then_some(b.rank)
    }

    /// Rank of the last element whose member is in `r` (scores assumed all equal).
    pub fn last_in_lex_range(&self, r: &LexRange) -> Option<usize> {
        if r.is_empty_range() {
            return None;
        }
        let b = self.boundary(|m, _| !r.lte_max(m), false);
        let (member, _) = self.element_before(&b)?;
        r.gte_min(member).then_some(b.rank - 1)
    }

    /// Number of elements whose member is in `r` (ZLEXCOUNT; scores assumed all equal).
    pub fn count_in_lex_range(&self, r: &LexRange) -> usize {
        if r.is_empty_range() {
            return 0;
        }
        let start = self.boundary(|m, _| r.gte_min(m), false).rank;
        let end = self.boundary(|m, _| !r.lte_max(m), false).rank;
        end.saturating_sub(start)
    }

    /// Removes the elements with ascending ranks `start..=end` (end clamped to the last element),
    /// returning how many were removed (ZREMRANGEBYRANK after index normalization).
    pub fn remove_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        let len = self.len();
        if start >= len || start > end {
            return 0;
        }
        self.remove_ranks(start, end.min(len - 1) + 1)
    }

    /// Removes the elements whose score is in `r` (ZREMRANGEBYSCORE).
    pub fn remove_range_by_score(&mut self, r: &ScoreRange) -> usize {
        match self.score_range_ranks(r) {
            (start, end) if start < end => self.remove_ranks(start, end),
            _ => 0,
        }
    }

    /// Removes the elements whose member is in `r` (ZREMRANGEBYLEX): like Redis, from the first
    /// element in range onwards while members stay at or below the upper end.
    pub fn remove_range_by_lex(&mut self, r: &LexRange) -> usize {
        let Some(first) = self.first_in_lex_range(r) else {
            return 0;
        };
        let run = self
            .iter_from_rank(first)
            .take_while(|(m, _)| r.lte_max(m))
            .count();
        self.remove_ranks(first, first + run)
    }

    /// Removes ranks `start..end` (already validated, `start < end <= len`).
    fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        match &mut self.repr {
            Repr::Packed(p) => {
                let (from, to) = p.offsets_of_ranks(start, end);
                p.remove_bytes(from, to, end - start);
            }
            Repr::Large(l) => {
                for _ in start..end {
                    l.remove_at_rank(start);
                }
            }
        }
        end - start
    }

    /// Removes and returns the lowest element (ZPOPMIN).
    pub fn pop_min(&mut self) -> Option<(Vec<u8>, f64)> {
        self.pop_at(0)
    }

    /// Removes and returns the highest element (ZPOPMAX).
    pub fn pop_max(&mut self) -> Option<(Vec<u8>, f64)> {
        self.pop_at(self.len().checked_sub(1)?)
    }

    fn pop_at(&mut self, rank: usize) -> Option<(Vec<u8>, f64)> {
        if rank >= self.len() {
            return None;
        }
        match &mut self.repr {
            Repr::Packed(p) => {
                let e = p.entry_at(p.offset_of_rank(rank));
                let popped = (e.member.to_vec(), e.score);
                let (start, end) = (e.start, e.end);
                p.remove_bytes(start, end, 1);
                Some(popped)
            }
            Repr::Large(l) => {
                let slot = l.remove_at_rank(rank);
                Some((slot.member.as_bytes().to_vec(), slot.score))
            }
        }
    }

    /// A uniformly chosen element (ZRANDMEMBER), given a source of random indexes: `pick(n)`
    /// should return a uniform index in `0..n` (larger values are reduced modulo `n`).
    pub fn random_member(&self, pick: &mut impl FnMut(usize) -> usize) -> Option<(&[u8], f64)> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        self.get_by_rank(pick(len) % len)
    }

    /// One ZSCAN step: calls `emit` for some elements and returns the next cursor (0 when done).
    /// Start with cursor 0. Every element present during the whole scan is emitted at least
    /// once. A packed set is returned whole in one step, as Redis does for listpacks.
    pub fn scan(&self, cursor: u64, count: usize, mut emit: impl FnMut(&[u8], f64)) -> u64 {
        match &self.repr {
            Repr::Packed(_) => {
                for (member, score) in self.iter() {
                    emit(member, score);
                }
                0
            }
            Repr::Large(l) => l.scan(cursor, count, emit),
        }
    }

    /// Approximate heap bytes owned by the set, including the `ZSet` itself (MEMORY USAGE).
    pub fn mem_usage(&self) -> usize {
        mem::size_of::<ZSet>()
            + match &self.repr {
                Repr::Packed(p) => p.buf.capacity(),
                Repr::Large(l) => l.mem_usage(),
            }
    }
}

/// A rank found by a monotone predicate, with the elements at and before it when known.
struct Boundary<'a> {
    rank: usize,
    at: Option<(&'a [u8], f64)>,
    before: Option<(&'a [u8], f64)>,
}

/// Iterator over `(member, score)` in ascending order (double-ended, exact size).
pub struct Iter<'a> {
    repr: IterRepr<'a>,
}

enum IterRepr<'a> {
    Empty,
    Packed {
        buf: &'a [u8],
        /// Start of the next entry from the front.
        front: usize,
        /// End of the next entry from the back.
        back: usize,
        remaining: usize,
    },
    /// Cursors are created on first use: at `front_rank` and just below `back_rank`.
    Large {
        slots: &'a [Slot],
        root: &'a Node,
        front: Option<TreeCursor<'a>>,
        back: Option<TreeCursor<'a>>,
        front_rank: usize,
        back_rank: usize,
    },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.repr {
            IterRepr::Empty => None,
            IterRepr::Packed {
                buf,
                front,
                remaining,
                ..
            } => {
                if *remaining == 0 {
                    return None;
                }
                *remaining -= 1;
                let e = decode_entry(buf, *front);
                *front = e.end;
                Some((e.member, e.score))
            }
            IterRepr::Large {
                slots,
                root,
                front,
                front_rank,
                back_rank,
                ..
            } => {
                if *front_rank >= *back_rank {
                    return None;
                }
                let cursor = match front {
                    Some(cursor) => {
                        cursor.advance();
                        cursor
                    }
                    None => front.insert(TreeCursor::seek(root, *front_rank)),
                };
                *front_rank += 1;
                let slot = &slots[cursor.id() as usize];
                Some((slot.member.as_bytes(), slot.score))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.repr {
            IterRepr::Empty => 0,
            IterRepr::Packed { remaining, .. } => *remaining,
            IterRepr::Large {
                front_rank,
                back_rank,
                ..
            } => back_rank - front_rank,
        };
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.repr {
            IterRepr::Empty => None,
            IterRepr::Packed {
                buf,
                back,
                remaining,
                ..
            } => {
                if *remaining == 0 {
                    return None;
                }
                *remaining -= 1;
                let e = decode_entry_ending_at(buf, *back);
                *back = e.start;
                Some((e.member, e.score))
            }
            IterRepr::Large {
                slots,
                root,
                back,
                front_rank,
                back_rank,
                ..
            } => {
                if *front_rank >= *back_rank {
                    return None;
                }
                *back_rank -= 1;
                let cursor = match back {
                    Some(cursor) => {
                        cursor.retreat();
                        cursor
                    }
                    None => back.insert(TreeCursor::seek(root, *back_rank)),
                };
                let slot = &slots[cursor.id() as usize];
                Some((slot.member.as_bytes(), slot.score))
            }
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[inline]
fn cmp_score(a: f64, b: f64) -> Ordering {
    if a < b {
        Ordering::Less
    } else if a > b {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// The sorted-set order: score first (`-0.0 == 0.0`), then member bytes.
#[inline]
fn cmp_elements(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    cmp_score(a_score, b_score).then_with(|| a_member.cmp(b_member))
}

// ---------------------------------------------------------------------------------------------
// Packed encoding
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Packed {
    buf: Vec<u8>,
    len: usize,
}

/// A decoded packed entry and its position.
struct PackedEntry<'a> {
    member: &'a [u8],
    score: f64,
    start: usize,
    end: usize,
}

/// A member found by [`Packed::find`].
struct Found {
    rank: usize,
    score: f64,
    start: usize,
    end: usize,
}

fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn packed_entry_size(member_len: usize) -> usize {
    2 * varint_len(member_len) + member_len + 8
}

fn decode_entry(buf: &[u8], start: usize) -> PackedEntry<'_> {
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = start;
    loop {
        let b = buf[i];
        len |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let varint = i - start;
    let member = &buf[i..i + len];
    let score_at = i + len;
    let score = f64::from_le_bytes(buf[score_at..score_at + 8].try_into().expect("8 bytes"));
    PackedEntry {
        member,
        score,
        start,
        end: score_at + 8 + varint,
    }
}

fn decode_entry_ending_at(buf: &[u8], end: usize) -> PackedEntry<'_> {
    // The trailing length is the varint written backwards: its first byte is the last one.
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        i -= 1;
        let b = buf[i];
        len |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    decode_entry(buf, end - packed_entry_size(len))
}

fn encode_entry(out: &mut [u8], member: &[u8], score: f64) {
    let vl = varint_len(member.len());
    let mut v = member.len();
    for i in 0..vl {
        let more = if i + 1 < vl { 0x80 } else { 0 };
        let byte = (v & 0x7f) as u8 | more;
        out[i] = byte;
        out[out.len() - 1 - i] = byte;
        v >>= 7;
    }
    out[vl..vl + member.len()].copy_from_slice(member);
    out[vl + member.len()..vl + member.len() + 8].copy_from_slice(&score.to_le_bytes());
}

impl Packed {
    /// Builds from elements already in ascending order.
    fn from_sorted<'a>(elements: impl Iterator<Item = (&'a [u8], f64)>) -> Self {
        let mut packed = Packed::default();
        for (member, score) in elements {
            let at = packed.buf.len();
            packed.insert_at(at, member, score);
        }
        packed.buf.shrink_to_fit();
        packed
    }

    fn entry_at(&self, start: usize) -> PackedEntry<'_> {
        decode_entry(&self.buf, start)
    }

    fn find(&self, member: &[u8]) -> Option<Found> {
        let mut off = 0;
        let mut rank = 0;
        while off < self.buf.len() {
            let e = self.entry_at(off);
            if e.member == member {
                return Some(Found {
                    rank,
                    score: e.score,
                    start: e.start,
                    end: e.end,
                });
            }
            off = e.end;
            rank += 1;
        }
        None
    }

    /// Byte offset where the entry of `rank` starts (`buf.len()` for `rank == len`).
    fn offset_of_rank(&self, rank: usize) -> usize {
        self.offsets_of_ranks(rank, rank).0
    }

    /// Start offsets of ranks `a <= b` in one pass.
    fn offsets_of_ranks(&self, a: usize, b: usize) -> (usize, usize) {
        let mut off = 0;
        let mut at_a = 0;
        for rank in 0..=b {
            if rank == a {
                at_a = off;
            }
            if rank == b {
                break;
            }
            off = self.entry_at(off).end;
        }
        (at_a, off)
    }

    fn boundary(&self, above_start: impl Fn(&[u8], f64) -> bool) -> Boundary<'_> {
        let mut off = 0;
        let mut before = None;
        let mut rank = 0;
        while off < self.buf.len() {
            let e = self.entry_at(off);
            if above_start(e.member, e.score) {
                return Boundary {
                    rank,
                    at: Some((e.member, e.score)),
                    before,
                };
            }
            before = Some((e.member, e.score));
            off = e.end;
            rank += 1;
        }
        Boundary {
            rank,
            at: None,
            before,
        }
    }

    fn insert_at(&mut self, at: usize, member: &[u8], score: f64) {
        // Redis's listpack stores integral scores as integers, which turns -0 into 0.
        let score = if score == 0.0 { 0.0 } else { score };
        let size = packed_entry_size(member.len());
        let old_len = self.buf.len();
        self.buf.reserve_exact(size);
        self.buf.resize(old_len + size, 0);
        self.buf.copy_within(at..old_len, at + size);
        encode_entry(&mut self.buf[at..at + size], member, score);
        self.len += 1;
    }

    /// Inserts a member known to be absent at its ordered position.
    fn insert_new(&mut self, member: &[u8], score: f64) {
        let mut off = 0;
        while off < self.buf.len() {
            let e = self.entry_at(off);
            if cmp_elements(e.score, e.member, score, member) == Ordering::Greater {
                break;
            }
            off = e.end;
        }
        self.insert_at(off, member, score);
    }

    fn update(&mut self, found: Found, member: &[u8], score: f64) -> AddOutcome {
        if found.score == score {
            return AddOutcome::Unchanged;
        }
        self.remove_bytes(found.start, found.end, 1);
        self.insert_new(member, score);
        AddOutcome::Updated { old: found.score }
    }

    /// Removes the `count` entries stored in `buf[from..to]`.
    fn remove_bytes(&mut self, from: usize, to: usize, count: usize) {
        self.buf.drain(from..to);
        self.len -= count;
        if self.buf.capacity() > self.buf.len() + self.buf.len() / 4 + 16 {
            self.buf.shrink_to_fit();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Member storage: a 16-byte small string
// ---------------------------------------------------------------------------------------------

const INLINE_CAP: usize = 15;
const HEAP_TAG: u8 = 0xff;

/// Heap form: pointer to exactly `len` bytes (a leaked `Box<[u8]>`), tag in the last byte.
#[repr(C)]
#[derive(Clone, Copy)]
struct HeapBytes {
    ptr: NonNull<u8>,
    len: u32,
    pad: [u8; 3],
    tag: u8,
}

/// Inline form: `bytes[..15]` data, `bytes[15]` its length (0..=15, never `HEAP_TAG`).
#[repr(C)]
union SmallBytesRepr {
    inline: [u8; 16],
    heap: HeapBytes,
}

/// An owned byte string in 16 bytes: inline up to 15 bytes, else one exact-size heap block.
struct SmallBytes(SmallBytesRepr);

// SAFETY: SmallBytes uniquely owns its heap block (like Box<[u8]>); nothing is shared.
unsafe impl Send for SmallBytes {}
// SAFETY: shared access only reads the bytes, as with Box<[u8]>.
unsafe impl Sync for SmallBytes {}

impl SmallBytes {
    fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAP {
            let mut inline = [0u8; 16];
            inline[..bytes.len()].copy_from_slice(bytes);
            inline[15] = bytes.len() as u8;
            SmallBytes(SmallBytesRepr { inline })
        } else {
            let len = u32::try_from(bytes.len()).expect("sorted set member longer than 4 GiB");
            let boxed: Box<[u8]> = bytes.into();
            let ptr = NonNull::from(Box::leak(boxed)).cast::<u8>();
            SmallBytes(SmallBytesRepr {
                heap: HeapBytes {
                    ptr,
                    len,
                    pad: [0; 3],
                    tag: HEAP_TAG,
                },
            })
        }
    }

    fn tag(&self) -> u8 {
        // SAFETY: byte 15 is initialized in both forms (inline length or `HeapBytes::tag`), and
        // any byte is a valid u8.
        unsafe { self.0.inline[15] }
    }

    fn heap_len(&self) -> usize {
        if self.tag() == HEAP_TAG {
            // SAFETY: the tag says the heap form is active.
            unsafe { self.0.heap.len as usize }
        } else {
            0
        }
    }

    fn as_bytes(&self) -> &[u8] {
        let tag = self.tag();
        if tag == HEAP_TAG {
            // SAFETY: the tag says the heap form is active: `ptr` came from a leaked Box<[u8]> of
            // exactly `len` bytes that we own until drop, and `&self` keeps it alive.
            unsafe {
                let heap = self.0.heap;
                std::slice::from_raw_parts(heap.ptr.as_ptr(), heap.len as usize)
            }
        } else {
            // SAFETY: inline form; `tag` (<= 15) bytes of data are initialized.
            unsafe { &self.0.inline[..tag as usize] }
        }
    }
}

impl Drop for SmallBytes {
    fn drop(&mut self) {
        if self.tag() == HEAP_TAG {
            // SAFETY: heap form: rebuild the Box<[u8]> leaked in `new` (same pointer and length)
            // and free it; this is the only place it is freed, and `self` is never used again.
            unsafe {
                let heap = self.0.heap;
                let slice =
                    std::ptr::slice_from_raw_parts_mut(heap.ptr.as_ptr(), heap.len as usize);
                drop(Box::from_raw(slice));
            }
        }
    }
}

impl Clone for SmallBytes {
    fn clone(&self) -> Self {
        SmallBytes::new(self.as_bytes())
    }
}

/// One element of a large set. A free slot has a NaN score (never a real score).
#[derive(Clone)]
struct Slot {
    score: f64,
    member: SmallBytes,
}

const _: () = assert!(mem::size_of::<SmallBytes>() == 16);
const _: () = assert!(mem::size_of::<Slot>() == 24);

impl Slot {
    fn free() -> Self {
        Slot {
            score: f64::NAN,
            member: SmallBytes::new(b""),
        }
    }

    fn is_free(&self) -> bool {
        self.score.is_nan()
    }
}

// ---------------------------------------------------------------------------------------------
// Large encoding
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Large {
    /// Elements by slot number. The last slot is always in use (free ones are trimmed).
    slots: Vec<Slot>,
    /// Free slot numbers below the last one; reused lowest first.
    free: BTreeSet<u32>,
    /// Slot numbers, hashed by member.
    index: HashTable<u32>,
    tree: OrderTree,
    hasher: foldhash::fast::RandomState,
    /// Bytes of members stored out of line.
    heap_bytes: usize,
}

impl Large {
    fn with_capacity(capacity: usize) -> Self {
        Large {
            slots: Vec::with_capacity(capacity),
            free: BTreeSet::new(),
            index: HashTable::with_capacity(capacity),
            tree: OrderTree::new(LEAF_CAP, INNER_CAP),
            hasher: foldhash::fast::RandomState::default(),
            heap_bytes: 0,
        }
    }

    fn from_packed(packed: &Packed, capacity: usize) -> Self {
        let mut large = Large::with_capacity(capacity.min(1 << 20).max(packed.len));
        let mut off = 0;
        while off < packed.buf.len() {
            let e = packed.entry_at(off);
            large.add_new(e.member, e.score);
            off = e.end;
        }
        large
    }

    fn len(&self) -> usize {
        self.tree.len
    }

    fn hash(&self, member: &[u8]) -> u64 {
        self.hasher.hash_one(member)
    }

    fn find(&self, member: &[u8]) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(self.hash(member), |&id| {
                slots[id as usize].member.as_bytes() == member
            })
            .copied()
    }

    fn get(&self, id: u32) -> (&[u8], f64) {
        let slot = &self.slots[id as usize];
        (slot.member.as_bytes(), slot.score)
    }

    fn insert(&mut self, member: &[u8], score: f64) -> AddOutcome {
        let Some(id) = self.find(member) else {
            self.add_new(member, score);
            return AddOutcome::Added;
        };
        let old = self.slots[id as usize].score;
        if old == score {
            return AddOutcome::Unchanged;
        }
        let rank = self
            .tree
            .rank_of(id, old, member, &self.slots)
            .expect("indexed member is in the tree");
        self.tree.remove_at(rank, &self.slots);
        self.slots[id as usize].score = score;
        self.tree.insert(id, score, member, &self.slots);
        AddOutcome::Updated { old }
    }

    fn add_new(&mut self, member: &[u8], score: f64) {
        let slot = Slot {
            score,
            member: SmallBytes::new(member),
        };
        self.heap_bytes += slot.member.heap_len();
        let id = match self.free.pop_first() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                let id = u32::try_from(self.slots.len())
                    .ok()
                    .filter(|&id| id < u32::MAX)
                    .expect("sorted set is limited to 2^32 - 1 elements");
                self.slots.push(slot);
                id
            }
        };
        let hash = self.hash(member);
        let Large {
            slots,
            index,
            hasher,
            ..
        } = self;
        index.insert_unique(hash, id, |&x| {
            hasher.hash_one(slots[x as usize].member.as_bytes())
        });
        self.tree.insert(id, score, member, &self.slots);
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let hash = self.hash(member);
        let slots = &self.slots;
        let entry = self
            .index
            .find_entry(hash, |&id| slots[id as usize].member.as_bytes() == member)
            .ok()?;
        let (id, _) = entry.remove();
        let score = self.slots[id as usize].score;
        let rank = self
            .tree
            .rank_of(id, score, member, &self.slots)
            .expect("indexed member is in the tree");
        self.tree.remove_at(rank, &self.slots);
        self.release(id);
        Some(score)
    }

    /// Removes the element at `rank` from all structures and returns its slot.
    fn remove_at_rank(&mut self, rank: usize) -> Slot {
        let id = self.tree.remove_at(rank, &self.slots);
        let hash = self.hash(self.slots[id as usize].member.as_bytes());
        match self.index.find_entry(hash, |&x| x == id) {
            Ok(entry) => {
                entry.remove();
            }
            Err(_) => unreachable!("tree element missing from the index"),
        }
        self.release(id)
    }

    /// Frees slot `id` (already out of the index and tree) and returns its contents.
    fn release(&mut self, id: u32) -> Slot {
        let slot = mem::replace(&mut self.slots[id as usize], Slot::free());
        self.heap_bytes -= slot.member.heap_len();
        if id as usize + 1 == self.slots.len() {
            self.slots.pop();
            self.trim_free_tail();
        } else {
            self.free.insert(id);
        }
        self.compact(2);
        slot
    }

    fn trim_free_tail(&mut self) {
        while let Some(&last) = self.free.last()
            && last as usize + 1 == self.slots.len()
        {
            self.free.pop_last();
            self.slots.pop();
        }
    }

    /// While free slots exceed 1/8 of all slots, moves up to `budget` elements from the top
    /// slot into the lowest free slot; then gives back memory the vectors no longer need.
    fn compact(&mut self, mut budget: usize) {
        while budget > 0 && self.free.len() > 16 && self.free.len() * 8 > self.slots.len() {
            budget -= 1;
            let hole = self.free.pop_first().expect("free is not empty");
            let top = (self.slots.len() - 1) as u32;
            let Large {
                slots,
                index,
                tree,
                hasher,
                ..
            } = self;
            let moving = &slots[top as usize];
            let member = moving.member.as_bytes();
            let hash = hasher.hash_one(member);
            *index
                .find_mut(hash, |&x| x == top)
                .expect("element is indexed") = hole;
            tree.replace_id(top, hole, moving.score, member, slots);
            slots.swap(hole as usize, top as usize);
            slots.pop();
            self.trim_free_tail();
        }
        if self.slots.capacity() > 64 && self.slots.capacity() / 2 > self.slots.len() {
            self.slots
                .shrink_to(self.slots.len() + self.slots.len() / 4);
        }
        if self.index.capacity() > 64 && self.index.capacity() / 4 > self.index.len() {
            let Large {
                slots,
                index,
                hasher,
                ..
            } = self;
            index.shrink_to(index.len() * 2, |&x| {
                hasher.hash_one(slots[x as usize].member.as_bytes())
            });
        }
    }

    /// Cursor `c != 0` means "continue at slot `c - 1`, going down"; see the module docs.
    fn scan(&self, cursor: u64, count: usize, mut emit: impl FnMut(&[u8], f64)) -> u64 {
        let Some(top) = self.slots.len().checked_sub(1) else {
            return 0;
        };
        let mut pos = match cursor {
            0 => top,
            c => usize::try_from(c - 1).unwrap_or(usize::MAX).min(top),
        };
        let mut emitted = 0;
        loop {
            let slot = &self.slots[pos];
            if !slot.is_free() {
                emit(slot.member.as_bytes(), slot.score);
                emitted += 1;
            }
            if pos == 0 {
                return 0;
            }
            if emitted >= count.max(1) {
                return pos as u64; // next slot to visit is pos - 1
            }
            pos -= 1;
        }
    }

    fn mem_usage(&self) -> usize {
        mem::size_of::<Large>()
            + self.slots.capacity() * mem::size_of::<Slot>()
            + self.heap_bytes
            + self.index.allocation_size()
            + self.free.len() * 2 * mem::size_of::<u32>()
            + self.tree.mem_usage()
    }
}

// ---------------------------------------------------------------------------------------------
// Order-statistic B+tree of slot numbers
// ---------------------------------------------------------------------------------------------

/// Slot numbers per leaf: 4 + 63 * 4 = 256 bytes, one allocator size class.
const LEAF_CAP: usize = 63;
/// Children per inner node.
const INNER_CAP: usize = 32;
/// Inner arrays have room for one extra child, added just before the node splits.
const INNER_SLOTS: usize = INNER_CAP + 1;

#[derive(Clone)]
struct Leaf {
    len: u32,
    ids: [u32; LEAF_CAP],
}

impl Leaf {
    fn empty() -> Box<Leaf> {
        Box::new(Leaf {
            len: 0,
            ids: [0; LEAF_CAP],
        })
    }

    fn ids(&self) -> &[u32] {
        &self.ids[..self.len as usize]
    }
}

/// Inner node. Per child `i`: subtree size `counts[i]` and smallest element (`min_scores[i]`,
/// `min_ids[i]`), kept in separate arrays so that a search reads a few cache lines.
#[derive(Clone)]
struct Inner {
    children: Vec<Node>,
    counts: [u32; INNER_SLOTS],
    min_ids: [u32; INNER_SLOTS],
    min_scores: [f64; INNER_SLOTS],
}

/// A child and its summary, as moved between inner nodes.
struct Child {
    node: Node,
    count: u32,
    min_id: u32,
    min_score: f64,
}

impl Inner {
    fn empty() -> Box<Inner> {
        Box::new(Inner {
            children: Vec::with_capacity(INNER_SLOTS),
            counts: [0; INNER_SLOTS],
            min_ids: [0; INNER_SLOTS],
            min_scores: [0.0; INNER_SLOTS],
        })
    }

    fn len(&self) -> usize {
        self.children.len()
    }

    fn insert(&mut self, idx: usize, child: Child) {
        let n = self.len();
        self.counts.copy_within(idx..n, idx + 1);
        self.min_ids.copy_within(idx..n, idx + 1);
        self.min_scores.copy_within(idx..n, idx + 1);
        self.children.insert(idx, child.node);
        self.counts[idx] = child.count;
        self.min_ids[idx] = child.min_id;
        self.min_scores[idx] = child.min_score;
    }

    fn remove(&mut self, idx: usize) -> Node {
        let n = self.len();
        self.counts.copy_within(idx + 1..n, idx);
        self.min_ids.copy_within(idx + 1..n, idx);
        self.min_scores.copy_within(idx + 1..n, idx);
        self.children.remove(idx)
    }

    /// Moves children `at..` into a new node.
    fn split_off(&mut self, at: usize) -> Box<Inner> {
        let n = self.len();
        let mut right = Inner::empty();
        right.counts[..n - at].copy_from_slice(&self.counts[at..n]);
        right.min_ids[..n - at].copy_from_slice(&self.min_ids[at..n]);
        right.min_scores[..n - at].copy_from_slice(&self.min_scores[at..n]);
        right.children.extend(self.children.drain(at..));
        right
    }

    /// Moves all of `right`'s children to the end of this node.
    fn append(&mut self, right: &mut Inner) {
        let (n, m) = (self.len(), right.len());
        self.counts[n..n + m].copy_from_slice(&right.counts[..m]);
        self.min_ids[n..n + m].copy_from_slice(&right.min_ids[..m]);
        self.min_scores[n..n + m].copy_from_slice(&right.min_scores[..m]);
        self.children.append(&mut right.children);
    }

    fn total(&self) -> u32 {
        self.counts[..self.len()].iter().sum()
    }

    fn counts_before(&self, idx: usize) -> usize {
        self.counts[..idx].iter().map(|&c| c as usize).sum()
    }

    /// The child holding `rank`, and the rank within it.
    fn locate(&self, mut rank: usize) -> (usize, usize) {
        let mut idx = 0;
        while rank >= self.counts[idx] as usize {
            rank -= self.counts[idx] as usize;
            idx += 1;
        }
        (idx, rank)
    }

    fn cmp_min(&self, idx: usize, key: Key, slots: &[Slot]) -> Ordering {
        cmp_score(self.min_scores[idx], key.score).then_with(|| {
            slots[self.min_ids[idx] as usize]
                .member
                .as_bytes()
                .cmp(key.member)
        })
    }

    /// The child whose key interval holds `key`: the last one whose minimum is <= key (or 0).
    fn child_for_key(&self, key: Key, slots: &[Slot]) -> usize {
        partition_point(self.len(), |i| {
            self.cmp_min(i, key, slots) != Ordering::Greater
        })
        .saturating_sub(1)
    }
}

/// First index in `0..len` where `is_before` is false (binary search, like slice
/// `partition_point`; any index in `0..=len` if `is_before` is not true-then-false).
fn partition_point(len: usize, is_before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if is_before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[derive(Clone)]
enum Node {
    Leaf(Box<Leaf>),
    /// Every leaf is at the same depth.
    Inner(Box<Inner>),
}

impl Node {
    /// Number of ids (leaf) or children (inner).
    fn width(&self) -> usize {
        match self {
            Node::Leaf(l) => l.len as usize,
            Node::Inner(i) => i.len(),
        }
    }

    /// Score and slot of the smallest element (the node must not be empty).
    fn min(&self, slots: &[Slot]) -> (f64, u32) {
        match self {
            Node::Leaf(l) => (slots[l.ids[0] as usize].score, l.ids[0]),
            Node::Inner(i) => (i.min_scores[0], i.min_ids[0]),
        }
    }
}

/// Node counts, kept for `mem_usage`.
#[derive(Clone, Copy, Default)]
struct NodeCounts {
    leaves: usize,
    inners: usize,
}

impl NodeCounts {
    fn forget(&mut self, node: &Node) {
        match node {
            Node::Leaf(_) => self.leaves -= 1,
            Node::Inner(inner) => {
                self.inners -= 1;
                for child in &inner.children {
                    self.forget(child);
                }
            }
        }
    }
}

#[derive(Clone)]
struct OrderTree {
    root: Node,
    len: usize,
    leaf_cap: usize,
    inner_cap: usize,
    counts: NodeCounts,
}

/// A search key: an element's score and member.
#[derive(Clone, Copy)]
struct Key<'a> {
    score: f64,
    member: &'a [u8],
}

/// Result of [`OrderTree::lower_bound`]: the rank, plus the slots at `rank` and `rank - 1` when
/// the search saw them (saving a second descent).
struct LowerBound {
    rank: usize,
    at: Option<u32>,
    before: Option<u32>,
}

impl OrderTree {
    fn new(leaf_cap: usize, inner_cap: usize) -> Self {
        assert!((2..=LEAF_CAP).contains(&leaf_cap) && (3..=INNER_CAP).contains(&inner_cap));
        OrderTree {
            root: Node::Leaf(Leaf::empty()),
            len: 0,
            leaf_cap,
            inner_cap,
            counts: NodeCounts {
                leaves: 1,
                inners: 0,
            },
        }
    }

    fn mem_usage(&self) -> usize {
        self.counts.leaves * mem::size_of::<Leaf>()
            + self.counts.inners * (mem::size_of::<Inner>() + INNER_SLOTS * mem::size_of::<Node>())
    }

    /// Slot number at `rank` (< len).
    fn get(&self, mut rank: usize) -> u32 {
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(l) => return l.ids[rank],
                Node::Inner(inner) => {
                    let (idx, sub_rank) = inner.locate(rank);
                    rank = sub_rank;
                    node = &inner.children[idx];
                }
            }
        }
    }

    /// Rank of element `id` whose key is `(score, member)`.
    fn rank_of(&self, id: u32, score: f64, member: &[u8], slots: &[Slot]) -> Option<usize> {
        let key = Key { score, member };
        let mut node = &self.root;
        let mut before = 0;
        loop {
            match node {
                Node::Leaf(l) => return l.ids().iter().position(|&x| x == id).map(|p| before + p),
                Node::Inner(inner) => {
                    let idx = inner.child_for_key(key, slots);
                    before += inner.counts_before(idx);
                    node = &inner.children[idx];
                }
            }
        }
    }

    /// Rank of the first element for which `above_start(score, id)` holds (`len` if none).
    fn lower_bound(&self, slots: &[Slot], above_start: impl Fn(f64, u32) -> bool) -> LowerBound {
        let mut node = &self.root;
        let mut before = 0;
        loop {
            match node {
                Node::Leaf(l) => {
                    let ids = l.ids();
                    let p = partition_point(ids.len(), |i| {
                        !above_start(slots[ids[i] as usize].score, ids[i])
                    });
                    return LowerBound {
                        rank: before + p,
                        at: ids.get(p).copied(),
                        before: p.checked_sub(1).map(|i| ids[i]),
                    };
                }
                Node::Inner(inner) => {
                    let first_true = partition_point(inner.len(), |i| {
                        !above_start(inner.min_scores[i], inner.min_ids[i])
                    });
                    if first_true == 0 {
                        return LowerBound {
                            rank: before,
                            at: Some(inner.min_ids[0]),
                            before: None,
                        };
                    }
                    let idx = first_true - 1;
                    before += inner.counts_before(idx);
                    node = &inner.children[idx];
                }
            }
        }
    }

    /// Inserts element `id` (key `(score, member)`, not yet present; its slot is filled).
    fn insert(&mut self, id: u32, score: f64, member: &[u8], slots: &[Slot]) {
        let key = Key { score, member };
        let caps = (self.leaf_cap, self.inner_cap);
        let split = Self::insert_rec(
            &mut self.root,
            id,
            key,
            slots,
            caps,
            true,
            true,
            &mut self.counts,
        );
        self.len += 1;
        if let Some(right) = split {
            let old_root = mem::replace(&mut self.root, Node::Leaf(Leaf::empty()));
            let (min_score, min_id) = old_root.min(slots);
            let left = Child {
                count: (self.len - right.count as usize) as u32,
                min_id,
                min_score,
                node: old_root,
            };
            let mut root = Inner::empty();
            root.insert(0, left);
            root.insert(1, right);
            self.root = Node::Inner(root);
            self.counts.inners += 1;
        }
    }

    /// Returns the new right sibling when `node` had to split. `leftmost`/`rightmost` say the
    /// node is on the tree's edge, where splits are uneven so that ascending or descending
    /// insertion (timestamps as scores) leaves full nodes behind.
    #[allow(clippy::too_many_arguments)]
    fn insert_rec(
        node: &mut Node,
        id: u32,
        key: Key,
        slots: &[Slot],
        caps: (usize, usize),
        leftmost: bool,
        rightmost: bool,
        counts: &mut NodeCounts,
    ) -> Option<Child> {
        let (leaf_cap, inner_cap) = caps;
        match node {
            Node::Leaf(leaf) => {
                let n = leaf.len as usize;
                let pos = leaf.ids[..n].partition_point(|&x| {
                    let s = &slots[x as usize];
                    cmp_elements(s.score, s.member.as_bytes(), key.score, key.member)
                        == Ordering::Less
                });
                if n < leaf_cap {
                    leaf.ids.copy_within(pos..n, pos + 1);
                    leaf.ids[pos] = id;
                    leaf.len += 1;
                    return None;
                }
                let mut all = [0u32; LEAF_CAP + 1];
                all[..pos].copy_from_slice(&leaf.ids[..pos]);
                all[pos] = id;
                all[pos + 1..=n].copy_from_slice(&leaf.ids[pos..n]);
                let keep = if rightmost && pos == n {
                    n
                } else if leftmost && pos == 0 {
                    1
                } else {
                    n.div_ceil(2)
                };
                leaf.ids[..keep].copy_from_slice(&all[..keep]);
                leaf.len = keep as u32;
                let mut right = Leaf::empty();
                let moved = n + 1 - keep;
                right.ids[..moved].copy_from_slice(&all[keep..=n]);
                right.len = moved as u32;
                counts.leaves += 1;
                let min_id = right.ids[0];
                Some(Child {
                    count: moved as u32,
                    min_id,
                    min_score: slots[min_id as usize].score,
                    node: Node::Leaf(right),
                })
            }
            Node::Inner(inner) => {
                let idx = inner.child_for_key(key, slots);
                let last = inner.len() - 1;
                if inner.cmp_min(idx, key, slots) == Ordering::Greater {
                    inner.min_ids[idx] = id;
                    inner.min_scores[idx] = key.score;
                }
                let split = Self::insert_rec(
                    &mut inner.children[idx],
                    id,
                    key,
                    slots,
                    caps,
                    leftmost && idx == 0,
                    rightmost && idx == last,
                    counts,
                );
                inner.counts[idx] += 1;
                let right = split?;
                inner.counts[idx] -= right.count;
                inner.insert(idx + 1, right);
                let n = inner.len();
                if n <= inner_cap {
                    return None;
                }
                let keep = if rightmost && idx + 2 == n {
                    n - 1
                } else if leftmost && idx == 0 {
                    1
                } else {
                    n / 2
                };
                let moved = inner.split_off(keep);
                counts.inners += 1;
                Some(Child {
                    count: moved.total(),
                    min_id: moved.min_ids[0],
                    min_score: moved.min_scores[0],
                    node: Node::Inner(moved),
                })
            }
        }
    }

    /// Removes and returns the slot number at `rank` (< len).
    fn remove_at(&mut self, rank: usize, slots: &[Slot]) -> u32 {
        let caps = (self.leaf_cap, self.inner_cap);
        let id = Self::remove_rec(&mut self.root, rank, slots, caps, &mut self.counts);
        self.len -= 1;
        loop {
            match &mut self.root {
                Node::Inner(inner) if inner.len() == 1 => {
                    self.root = inner.remove(0);
                    self.counts.inners -= 1;
                }
                Node::Inner(inner) if inner.len() == 0 => {
                    self.root = Node::Leaf(Leaf::empty());
                    self.counts.inners -= 1;
                    self.counts.leaves += 1;
                }
                _ => break,
            }
        }
        id
    }

    fn remove_rec(
        node: &mut Node,
        rank: usize,
        slots: &[Slot],
        caps: (usize, usize),
        counts: &mut NodeCounts,
    ) -> u32 {
        match node {
            Node::Leaf(leaf) => {
                let n = leaf.len as usize;
                let id = leaf.ids[rank];
                leaf.ids.copy_within(rank + 1..n, rank);
                leaf.len -= 1;
                id
            }
            Node::Inner(inner) => {
                let (idx, sub_rank) = inner.locate(rank);
                let id = Self::remove_rec(&mut inner.children[idx], sub_rank, slots, caps, counts);
                inner.counts[idx] -= 1;
                if sub_rank == 0 && inner.counts[idx] > 0 {
                    (inner.min_scores[idx], inner.min_ids[idx]) = inner.children[idx].min(slots);
                }
                Self::fix_underflow(inner, idx, slots, caps, counts);
                id
            }
        }
    }

    /// After a removal below child `idx`: drops it if empty, otherwise merges it with a
    /// sibling or moves elements over when it fell under a quarter of its capacity.
    fn fix_underflow(
        inner: &mut Inner,
        idx: usize,
        slots: &[Slot],
        caps: (usize, usize),
        counts: &mut NodeCounts,
    ) {
        if inner.counts[idx] == 0 {
            let gone = inner.remove(idx);
            counts.forget(&gone);
            return;
        }
        let is_leaf = matches!(inner.children[idx], Node::Leaf(_));
        let cap = if is_leaf { caps.0 } else { caps.1 };
        if inner.children[idx].width() >= cap.div_ceil(4) || inner.len() < 2 {
            return;
        }
        let r = idx.max(1);
        let l = r - 1;
        let (head, tail) = inner.children.split_at_mut(r);
        let (left, right) = (&mut head[l], &mut tail[0]);
        let total = left.width() + right.width();
        if total <= cap {
            match (left, right) {
                (Node::Leaf(a), Node::Leaf(b)) => {
                    let (an, bn) = (a.len as usize, b.len as usize);
                    a.ids[an..an + bn].copy_from_slice(&b.ids[..bn]);
                    a.len += bn as u32;
                    counts.leaves -= 1;
                }
                (Node::Inner(a), Node::Inner(b)) => {
                    a.append(b);
                    counts.inners -= 1;
                }
                _ => unreachable!("siblings are at the same depth"),
            }
            inner.counts[l] += inner.counts[r];
            inner.remove(r);
            return;
        }
        let target = total / 2;
        let (left_count, right_count) = match (left, right) {
            (Node::Leaf(a), Node::Leaf(b)) => {
                let (an, bn) = (a.len as usize, b.len as usize);
                if an > target {
                    let k = an - target;
                    b.ids.copy_within(0..bn, k);
                    b.ids[..k].copy_from_slice(&a.ids[target..an]);
                } else {
                    let k = target - an;
                    a.ids[an..target].copy_from_slice(&b.ids[..k]);
                    b.ids.copy_within(k..bn, 0);
                }
                a.len = target as u32;
                b.len = (total - target) as u32;
                (a.len, b.len)
            }
            (Node::Inner(a), Node::Inner(b)) => {
                if a.len() > target {
                    let mut moved = a.split_off(target);
                    moved.append(b);
                    mem::swap(b, &mut moved);
                } else {
                    let rest = b.split_off(target - a.len());
                    a.append(b);
                    *b = rest;
                }
                (a.total(), b.total())
            }
            _ => unreachable!("siblings are at the same depth"),
        };
        inner.counts[l] = left_count;
        inner.counts[r] = right_count;
        (inner.min_scores[r], inner.min_ids[r]) = inner.children[r].min(slots);
    }

    /// Renames element `old` (key `(score, member)`) to slot number `new`.
    fn replace_id(&mut self, old: u32, new: u32, score: f64, member: &[u8], slots: &[Slot]) {
        let key = Key { score, member };
        let mut node = &mut self.root;
        loop {
            match node {
                Node::Leaf(l) => {
                    let n = l.len as usize;
                    let at = l.ids[..n]
                        .iter()
                        .position(|&x| x == old)
                        .expect("element is in the tree");
                    l.ids[at] = new;
                    return;
                }
                Node::Inner(inner) => {
                    let idx = inner.child_for_key(key, slots);
                    if inner.min_ids[idx] == old {
                        inner.min_ids[idx] = new;
                    }
                    node = &mut inner.children[idx];
                }
            }
        }
    }
}

/// A position in the tree: the path of inner nodes (node, child index taken) and a leaf slot.
struct TreeCursor<'a> {
    path: Vec<(&'a Inner, usize)>,
    leaf: &'a Leaf,
    pos: usize,
}

impl<'a> TreeCursor<'a> {
    /// Cursor at `rank`, which must be < the tree's length.
    fn seek(root: &'a Node, mut rank: usize) -> Self {
        let mut path = Vec::with_capacity(8);
        let mut node = root;
        loop {
            match node {
                Node::Leaf(leaf) => {
                    return TreeCursor {
                        path,
                        leaf,
                        pos: rank,
                    };
                }
                Node::Inner(inner) => {
                    let (idx, sub_rank) = inner.locate(rank);
                    rank = sub_rank;
                    path.push((&**inner, idx));
                    node = &inner.children[idx];
                }
            }
        }
    }

    fn id(&self) -> u32 {
        self.leaf.ids[self.pos]
    }

    /// Moves to the next element; the caller guarantees there is one.
    fn advance(&mut self) {
        self.pos += 1;
        if self.pos < self.leaf.len as usize {
            return;
        }
        while let Some((inner, idx)) = self.path.pop() {
            if idx + 1 < inner.len() {
                self.path.push((inner, idx + 1));
                let mut node = &inner.children[idx + 1];
                loop {
                    match node {
                        Node::Leaf(leaf) => {
                            self.leaf = leaf;
                            self.pos = 0;
                            return;
                        }
                        Node::Inner(down) => {
                            self.path.push((&**down, 0));
                            node = &down.children[0];
                        }
                    }
                }
            }
        }
    }

    /// Moves to the previous element; the caller guarantees there is one.
    fn retreat(&mut self) {
        if self.pos > 0 {
            self.pos -= 1;
            return;
        }
        while let Some((inner, idx)) = self.path.pop() {
            if idx > 0 {
                self.path.push((inner, idx - 1));
                let mut node = &inner.children[idx - 1];
                loop {
                    match node {
                        Node::Leaf(leaf) => {
                            self.leaf = leaf;
                            self.pos = leaf.len as usize - 1;
                            return;
                        }
                        Node::Inner(down) => {
                            let last = down.len() - 1;
                            self.path.push((&**down, last));
                            node = &down.children[last];
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    use std::collections::HashMap;
    use std::sync::{RwLock, RwLockReadGuard};

    /// Tests that change the global thresholds take this for writing; all others for reading.
    static LIMITS: RwLock<()> = RwLock::new(());

    fn default_limits() -> RwLockReadGuard<'static, ()> {
        LIMITS.read().unwrap_or_else(|e| e.into_inner())
    }

    fn packed() -> ZSet {
        ZSet::new()
    }

    fn large() -> ZSet {
        ZSet::with_hints(usize::MAX, 0)
    }

    fn large_with_caps(leaf_cap: usize, inner_cap: usize) -> ZSet {
        let mut l = Large::with_capacity(0);
        l.tree = OrderTree::new(leaf_cap, inner_cap);
        ZSet {
            repr: Repr::Large(Box::new(l)),
        }
    }

    /// One packed and one large set (small and tiny-node trees) holding the same pairs.
    fn all_encodings(pairs: &[(&[u8], f64)]) -> Vec<ZSet> {
        let mut sets = vec![packed(), large(), large_with_caps(2, 3)];
        for z in &mut sets {
            for &(m, s) in pairs {
                z.insert(m, s);
            }
        }
        if pairs.len() <= 128 {
            assert_eq!(sets[0].encoding(), "listpack");
        }
        assert_eq!(sets[1].encoding(), "skiplist");
        sets
    }

    fn contents(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter().map(|(m, s)| (m.to_vec(), s)).collect()
    }

    fn members(z: &ZSet) -> Vec<Vec<u8>> {
        z.iter().map(|(m, _)| m.to_vec()).collect()
    }

    fn incl(v: f64) -> ScoreBound {
        ScoreBound::Inclusive(v)
    }

    fn excl(v: f64) -> ScoreBound {
        ScoreBound::Exclusive(v)
    }

    fn sr(min: ScoreBound, max: ScoreBound) -> ScoreRange {
        ScoreRange { min, max }
    }

    fn lr<'a>(min: LexBound<'a>, max: LexBound<'a>) -> LexRange<'a> {
        LexRange { min, max }
    }

    impl ZSet {
        /// Checks every structural invariant of the representation.
        fn check(&self) {
            match &self.repr {
                Repr::Packed(p) => {
                    let mut off = 0;
                    let mut n = 0;
                    let mut prev: Option<(Vec<u8>, f64)> = None;
                    while off < p.buf.len() {
                        let e = p.entry_at(off);
                        assert_eq!(decode_entry_ending_at(&p.buf, e.end).start, off);
                        if let Some((pm, ps)) = &prev {
                            assert_eq!(cmp_elements(*ps, pm, e.score, e.member), Ordering::Less);
                        }
                        assert!(!(e.score == 0.0 && e.score.is_sign_negative()));
                        prev = Some((e.member.to_vec(), e.score));
                        off = e.end;
                        n += 1;
                    }
                    assert_eq!(off, p.buf.len());
                    assert_eq!(n, p.len);
                }
                Repr::Large(l) => l.check(),
            }
        }
    }

    impl Large {
        fn check(&self) {
            let mut ids = Vec::new();
            let mut counts = NodeCounts::default();
            let mut leaf_depth = None;
            check_node(
                &self.tree,
                &self.slots,
                &self.tree.root,
                0,
                &mut leaf_depth,
                &mut ids,
                &mut counts,
            );
            assert_eq!(ids.len(), self.tree.len);
            assert_eq!(counts.leaves, self.tree.counts.leaves);
            assert_eq!(counts.inners, self.tree.counts.inners);
            for pair in ids.windows(2) {
                let (a, b) = (&self.slots[pair[0] as usize], &self.slots[pair[1] as usize]);
                let order =
                    cmp_elements(a.score, a.member.as_bytes(), b.score, b.member.as_bytes());
                assert_eq!(order, Ordering::Less);
            }
            assert_eq!(self.index.len(), ids.len());
            for &id in &ids {
                let slot = &self.slots[id as usize];
                assert!(!slot.is_free());
                assert_eq!(self.find(slot.member.as_bytes()), Some(id));
            }
            let live: BTreeSet<u32> = ids.iter().copied().collect();
            assert_eq!(live.len(), ids.len());
            for (i, slot) in self.slots.iter().enumerate() {
                let i = i as u32;
                assert_eq!(slot.is_free(), self.free.contains(&i));
                assert_eq!(!slot.is_free(), live.contains(&i));
            }
            assert!(self.slots.last().is_none_or(|s| !s.is_free()));
            assert!(self.free.len() <= 18 + self.slots.len() / 8);
            let heap: usize = self.slots.iter().map(|s| s.member.heap_len()).sum();
            assert_eq!(heap, self.heap_bytes);
        }
    }

    /// Returns (count, min) of the subtree and appends its ids in order.
    fn check_node(
        tree: &OrderTree,
        slots: &[Slot],
        node: &Node,
        depth: usize,
        leaf_depth: &mut Option<usize>,
        ids: &mut Vec<u32>,
        counts: &mut NodeCounts,
    ) -> usize {
        match node {
            Node::Leaf(l) => {
                counts.leaves += 1;
                assert!(l.len as usize <= tree.leaf_cap);
                assert!(
                    l.len > 0 || depth == 0,
                    "only an empty root leaf may be empty"
                );
                assert_eq!(
                    *leaf_depth.get_or_insert(depth),
                    depth,
                    "leaves at one depth"
                );
                ids.extend_from_slice(l.ids());
                l.len as usize
            }
            Node::Inner(inner) => {
                counts.inners += 1;
                assert!(inner.len() > 0 && inner.len() <= tree.inner_cap);
                assert!(depth > 0 || inner.len() >= 2, "root has >= 2 children");
                let mut total = 0;
                for (i, child) in inner.children.iter().enumerate() {
                    let first = ids.len();
                    let n = check_node(tree, slots, child, depth + 1, leaf_depth, ids, counts);
                    assert_eq!(n, inner.counts[i] as usize);
                    assert!(n > 0);
                    assert_eq!(ids[first], inner.min_ids[i]);
                    assert!(slots[inner.min_ids[i] as usize].score == inner.min_scores[i]);
                    total += n;
                }
                total
            }
        }
    }

    #[test]
    fn parse_score_bound_matches_redis() {
        let ok: &[(&[u8], ScoreBound)] = &[
            (b"1.5", incl(1.5)),
            (b"(1.5", excl(1.5)),
            (b"-inf", incl(f64::NEG_INFINITY)),
            (b"+inf", incl(f64::INFINITY)),
            (b"inf", incl(f64::INFINITY)),
            (b"INF", incl(f64::INFINITY)),
            (b"infinity", incl(f64::INFINITY)),
            (b"-Infinity", incl(f64::NEG_INFINITY)),
            (b"(inf", excl(f64::INFINITY)),
            (b"(-inf", excl(f64::NEG_INFINITY)),
            (b"", incl(0.0)),
            (b"(", excl(0.0)),
            (b" 1", incl(1.0)),
            (b"  +2", incl(2.0)),
            (b"\t\n\x0b\x0c\r3", incl(3.0)),
            (b"( 4", excl(4.0)),
            (b"1.", incl(1.0)),
            (b".5", incl(0.5)),
            (b"-.5e1", incl(-5.0)),
            (b"1e3", incl(1000.0)),
            (b"1E+3", incl(1000.0)),
            (b"1e999", incl(f64::INFINITY)),
            (b"-1e999", incl(f64::NEG_INFINITY)),
            (b"1e-999", incl(0.0)),
            (b"0x10", incl(16.0)),
            (b"(0x1p1", excl(2.0)),
            (b"-0X1.8P1", incl(-3.0)),
            (b"007", incl(7.0)),
            (b"1\0garbage", incl(1.0)),
            (b"(2\0", excl(2.0)),
            (b"-0", incl(-0.0)),
        ];
        for (text, want) in ok {
            assert_eq!(
                parse_score_bound(text),
                Some(*want),
                "{:?}",
                text.escape_ascii().to_string()
            );
        }
        assert!(parse_score_bound(b"-0").is_some_and(|b| b.value().is_sign_negative()));
        let bad: &[&[u8]] = &[
            b"1 ",
            b"nan",
            b"(nan",
            b"NaN",
            b"-nan",
            b"nan(123)",
            b"+",
            b"-",
            b".",
            b"1e",
            b"1e+",
            b"0x",
            b"0x.",
            b"0xg",
            b"0x1p",
            b" ",
            b"1,5",
            b"abc",
            b"infinit",
            b"infinityx",
            b"((1",
            b"[1",
            b"1.5.5",
            b"--1",
            b"+-1",
            b"( ",
        ];
        for text in bad {
            assert_eq!(
                parse_score_bound(text),
                None,
                "{:?}",
                text.escape_ascii().to_string()
            );
        }
        // A leading NUL ends the C string at once: strtod("") == 0.
        assert_eq!(parse_score_bound(b"\x001"), Some(incl(0.0)));
    }

    #[test]
    fn hex_floats_round_to_nearest_even() {
        let cases: &[(&str, u64)] = &[
            ("0x10", 0x4030000000000000),
            ("0x1p-1074", 0x0000000000000001),
            ("0x1p-1075", 0x0000000000000000),
            ("0x1.8p-1075", 0x0000000000000001),
            ("0x1.fffffffffffff8p0", 0x4000000000000000),
            ("0x1.fffffffffffff7p0", 0x3fffffffffffffff),
            ("0x1.00000000000008p0", 0x3ff0000000000000),
            ("0x1.00000000000018p0", 0x3ff0000000000002),
            ("0x1.000000000000080000000001p0", 0x3ff0000000000001),
            ("0x.8", 0x3fe0000000000000),
            ("0xAp0", 0x4024000000000000),
            ("0x1.fffffffffffffp1023", 0x7fefffffffffffff),
            ("0x123456789abcdef123p0", 0x44323456789abcdf),
            ("0x3p-1076", 0x0000000000000001),
            ("0x1.ffffffffffffe8p-1023", 0x000fffffffffffff),
            ("0x1.ffffffffffffe9p-1023", 0x000fffffffffffff),
            ("0x1.fffffffffffff8p-1023", 0x0010000000000000),
            ("0x1.fffffffffffff8p1023", f64::INFINITY.to_bits()),
            ("0x1p1024", f64::INFINITY.to_bits()),
            ("0x1p-99999999999", 0),
            ("0x0p99999", 0),
        ];
        for &(text, bits) in cases {
            let got = parse_score_bound(text.as_bytes()).map(|b| b.value().to_bits());
            assert_eq!(got, Some(bits), "{text}");
        }
    }

    #[test]
    fn parse_lex_bound_matches_redis() {
        assert_eq!(parse_lex_bound(b"-"), Some(LexBound::NegInf));
        assert_eq!(parse_lex_bound(b"+"), Some(LexBound::PosInf));
        assert_eq!(parse_lex_bound(b"+\0x"), Some(LexBound::PosInf));
        assert_eq!(parse_lex_bound(b"-\0"), Some(LexBound::NegInf));
        assert_eq!(parse_lex_bound(b"[a"), Some(LexBound::Inclusive(b"a")));
        assert_eq!(parse_lex_bound(b"(a"), Some(LexBound::Exclusive(b"a")));
        assert_eq!(parse_lex_bound(b"["), Some(LexBound::Inclusive(b"")));
        assert_eq!(
            parse_lex_bound(b"(\0\xff"),
            Some(LexBound::Exclusive(b"\0\xff"))
        );
        for bad in [&b""[..], b"a", b"+a", b"-a", b"--", b"++", b"]a", b"\0"] {
            assert_eq!(parse_lex_bound(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn range_emptiness() {
        assert!(!sr(incl(1.0), incl(1.0)).is_empty_range());
        assert!(sr(excl(1.0), incl(1.0)).is_empty_range());
        assert!(sr(incl(1.0), excl(1.0)).is_empty_range());
        assert!(sr(incl(2.0), incl(1.0)).is_empty_range());
        assert!(!sr(incl(f64::NEG_INFINITY), incl(f64::INFINITY)).is_empty_range());
        assert!(sr(excl(f64::INFINITY), incl(f64::INFINITY)).is_empty_range());
        assert!(!sr(incl(-0.0), incl(0.0)).is_empty_range());
        assert!(sr(excl(-0.0), incl(0.0)).is_empty_range());
        use LexBound::*;
        assert!(!lr(NegInf, PosInf).is_empty_range());
        assert!(lr(PosInf, PosInf).is_empty_range());
        assert!(lr(NegInf, NegInf).is_empty_range());
        assert!(lr(PosInf, NegInf).is_empty_range());
        assert!(lr(Inclusive(b"a"), NegInf).is_empty_range());
        assert!(lr(PosInf, Inclusive(b"a")).is_empty_range());
        assert!(!lr(Inclusive(b"a"), Inclusive(b"a")).is_empty_range());
        assert!(lr(Exclusive(b"a"), Inclusive(b"a")).is_empty_range());
        assert!(lr(Inclusive(b"a"), Exclusive(b"a")).is_empty_range());
        assert!(lr(Inclusive(b"b"), Inclusive(b"a")).is_empty_range());
        assert!(!lr(Exclusive(b"a"), Exclusive(b"b")).is_empty_range());
        assert!(!lr(NegInf, Inclusive(b"")).is_empty_range());
        let r = lr(Exclusive(b"a"), Inclusive(b"c"));
        assert!(!r.contains(b"a") && r.contains(b"a\0") && r.contains(b"c") && !r.contains(b"c\0"));
    }

    #[test]
    fn basic_operations_in_every_encoding() {
        let _limits = default_limits();
        for mut z in all_encodings(&[]) {
            assert!(z.is_empty());
            assert_eq!(z.insert(b"b", 2.0), AddOutcome::Added);
            assert_eq!(z.insert(b"a", 1.0), AddOutcome::Added);
            assert_eq!(z.insert(b"c", 3.0), AddOutcome::Added);
            assert_eq!(z.insert(b"c", 3.0), AddOutcome::Unchanged);
            assert_eq!(z.insert(b"a", 4.0), AddOutcome::Updated { old: 1.0 });
            assert_eq!(z.len(), 3);
            assert_eq!(z.score(b"a"), Some(4.0));
            assert_eq!(z.score(b"zz"), None);
            assert_eq!(
                members(&z),
                vec![b"b".to_vec(), b"c".to_vec(), b"a".to_vec()]
            );
            assert_eq!(z.rank(b"b"), Some(0));
            assert_eq!(z.rank(b"a"), Some(2));
            assert_eq!(z.rank(b"x"), None);
            assert_eq!(z.get_by_rank(1), Some((&b"c"[..], 3.0)));
            assert_eq!(z.get_by_rank(3), None);
            assert_eq!(z.remove(b"c"), Some(3.0));
            assert_eq!(z.remove(b"c"), None);
            assert_eq!(
                contents(&z),
                vec![(b"b".to_vec(), 2.0), (b"a".to_vec(), 4.0)]
            );
            assert_eq!(z.pop_min(), Some((b"b".to_vec(), 2.0)));
            assert_eq!(z.pop_max(), Some((b"a".to_vec(), 4.0)));
            assert_eq!(z.pop_max(), None);
            assert_eq!(z.pop_min(), None);
            assert!(z.is_empty());
            z.check();
        }
    }

    #[test]
    fn ties_are_ordered_by_member_bytes() {
        let _limits = default_limits();
        let pairs: Vec<(&[u8], f64)> = vec![
            (b"b", 1.0),
            (b"a", 1.0),
            (b"ab", 1.0),
            (b"", 1.0),
            (b"\xff", 1.0),
            (b"\x00", 1.0),
            (b"B", 1.0),
            (b"z", 0.5),
        ];
        for z in all_encodings(&pairs) {
            let want: Vec<&[u8]> = vec![b"z", b"", b"\x00", b"B", b"a", b"ab", b"b", b"\xff"];
            assert_eq!(
                members(&z),
                want.iter().map(|m| m.to_vec()).collect::<Vec<_>>()
            );
            for (rank, m) in want.iter().enumerate() {
                assert_eq!(z.rank(m), Some(rank));
            }
            z.check();
        }
    }

    #[test]
    fn binary_members_with_every_byte_value() {
        let _limits = default_limits();
        let mut owned: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        owned.push(Vec::new());
        owned.push(vec![0, 0]);
        owned.push((0..=255u8).collect()); // 256 bytes: heap-stored, forces the large encoding
        owned.push(vec![7; 15]); // longest inline member
        owned.push(vec![7; 16]); // shortest heap member
        for mut z in [packed(), large(), large_with_caps(3, 3)] {
            for (i, m) in owned.iter().enumerate() {
                assert_eq!(z.insert(m, (i % 3) as f64), AddOutcome::Added);
            }
            assert_eq!(z.encoding(), "skiplist");
            assert_eq!(z.len(), owned.len());
            for (i, m) in owned.iter().enumerate() {
                assert_eq!(z.score(m), Some((i % 3) as f64));
            }
            let mut expected: Vec<(Vec<u8>, f64)> = owned
                .iter()
                .enumerate()
                .map(|(i, m)| (m.clone(), (i % 3) as f64))
                .collect();
            expected.sort_by(|a, b| cmp_elements(a.1, &a.0, b.1, &b.0));
            assert_eq!(contents(&z), expected);
            for (rank, (m, _)) in expected.iter().enumerate() {
                assert_eq!(z.rank(m), Some(rank));
            }
            z.check();
            for m in &owned {
                assert!(z.remove(m).is_some());
            }
            assert!(z.is_empty());
            z.check();
        }
        // Every byte value also round-trips through the packed encoding.
        let mut z = packed();
        for b in 0..=255u8 {
            z.remove(&[]);
            z.insert(&[b, b], b as f64);
            z.insert(&[], -1.0);
            if z.len() > 100 {
                z.pop_max();
            }
        }
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(z.len(), 100);
        assert_eq!(z.get_by_rank(0), Some((&b""[..], -1.0)));
        assert_eq!(z.get_by_rank(1), Some((&b"\0\0"[..], 0.0)));
        assert_eq!(z.get_by_rank(99), Some((&b"\x62\x62"[..], 98.0)));
        z.check();
    }

    #[test]
    fn infinite_scores() {
        let _limits = default_limits();
        let pairs: Vec<(&[u8], f64)> = vec![
            (b"pos", f64::INFINITY),
            (b"neg", f64::NEG_INFINITY),
            (b"zero", 0.0),
            (b"big", f64::MAX),
            (b"pos2", f64::INFINITY),
        ];
        for z in all_encodings(&pairs) {
            assert_eq!(
                members(&z),
                vec![
                    b"neg".to_vec(),
                    b"zero".to_vec(),
                    b"big".to_vec(),
                    b"pos".to_vec(),
                    b"pos2".to_vec()
                ]
            );
            let all = sr(incl(f64::NEG_INFINITY), incl(f64::INFINITY));
            assert_eq!(z.count_in_score_range(&all), 5);
            assert_eq!(
                z.count_in_score_range(&sr(excl(f64::NEG_INFINITY), excl(f64::INFINITY))),
                2
            );
            assert_eq!(
                z.count_in_score_range(&sr(incl(f64::INFINITY), incl(f64::INFINITY))),
                2
            );
            assert_eq!(
                z.first_in_score_range(&sr(incl(f64::INFINITY), incl(f64::INFINITY))),
                Some(3)
            );
            assert_eq!(
                z.last_in_score_range(&sr(incl(f64::NEG_INFINITY), incl(f64::NEG_INFINITY))),
                Some(0)
            );
            assert_eq!(
                z.count_in_score_range(&sr(excl(f64::INFINITY), incl(f64::INFINITY))),
                0
            );
            z.check();
        }
    }

    #[test]
    fn negative_zero_follows_redis() {
        let _limits = default_limits();
        // Packed (listpack) stores -0 as the integer 0: ZSCORE says "0".
        let mut p = packed();
        p.insert(b"a", -0.0);
        assert!(p.score(b"a").unwrap().is_sign_positive());
        // Large (skiplist) keeps -0: ZSCORE says "-0".
        let mut l = large();
        l.insert(b"a", -0.0);
        assert!(l.score(b"a").unwrap().is_sign_negative());
        // -0 and 0 are the same score: re-adding 0 changes nothing, the sign stays.
        assert_eq!(l.insert(b"a", 0.0), AddOutcome::Unchanged);
        assert!(l.score(b"a").unwrap().is_sign_negative());
        // Equal scores order by member.
        l.insert(b"0", 0.0);
        l.insert(b"b", -0.0);
        assert_eq!(
            members(&l),
            vec![b"0".to_vec(), b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(l.count_in_score_range(&sr(incl(0.0), incl(-0.0))), 3);
        assert_eq!(l.count_in_score_range(&sr(excl(-0.0), incl(1.0))), 0);
        // Converting to packed normalizes the sign, as Redis's zsetConvert does.
        l.convert_to_listpack_if_fits();
        assert_eq!(l.encoding(), "listpack");
        assert!(l.score(b"a").unwrap().is_sign_positive());
        l.check();
    }

    #[test]
    fn conversion_thresholds_default() {
        let _limits = default_limits();
        let mut z = ZSet::new();
        for i in 0..128 {
            z.insert(format!("m{i}").as_bytes(), i as f64);
        }
        assert_eq!(z.encoding(), "listpack");
        // Updating an existing member never converts.
        z.insert(b"m5", 1000.0);
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"m128", 128.0);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.len(), 129);
        assert_eq!(z.rank(b"m5"), Some(128));
        z.check();
        // Removals never convert back...
        while z.len() > 3 {
            z.pop_min();
        }
        assert_eq!(z.encoding(), "skiplist");
        // ...but an explicit zsetConvertToListpackIfNeeded does.
        z.convert_to_listpack_if_fits();
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(
            members(&z),
            vec![b"m127".to_vec(), b"m128".to_vec(), b"m5".to_vec()]
        );
        z.check();

        let mut z = ZSet::new();
        z.insert(&[b'x'; 64], 1.0);
        assert_eq!(z.encoding(), "listpack");
        z.insert(&[b'y'; 65], 2.0);
        assert_eq!(z.encoding(), "skiplist");
        z.remove(&[b'y'; 65]);
        z.convert_to_listpack_if_fits();
        assert_eq!(z.encoding(), "listpack");
        z.insert(&[b'y'; 65], 2.0);
        z.convert_to_listpack_if_fits();
        assert_eq!(z.encoding(), "skiplist", "a 65-byte member keeps it large");
        for i in 0..200 {
            z.insert(format!("{i}").as_bytes(), 0.0);
        }
        z.remove(&[b'y'; 65]);
        z.convert_to_listpack_if_fits();
        assert_eq!(z.encoding(), "skiplist", "201 elements keep it large");
        assert_eq!(z.len(), 201);
    }

    #[test]
    fn creation_hints_follow_zset_type_create() {
        let _limits = default_limits();
        assert_eq!(ZSet::with_hints(128, 64).encoding(), "listpack");
        assert_eq!(ZSet::with_hints(129, 1).encoding(), "skiplist");
        assert_eq!(ZSet::with_hints(1, 65).encoding(), "skiplist");
        assert_eq!(ZSet::with_hints(0, 0).encoding(), "listpack");
        let mut z = ZSet::new();
        z.insert(b"a", 1.0);
        z.reserve_for_hint(128);
        assert_eq!(z.encoding(), "listpack");
        z.reserve_for_hint(129);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(contents(&z), vec![(b"a".to_vec(), 1.0)]);
        z.reserve_for_hint(1_000_000);
        assert_eq!(z.encoding(), "skiplist");
        z.check();
    }

    #[test]
    fn thresholds_are_read_at_use() {
        let _limits = LIMITS.write().unwrap_or_else(|e| e.into_inner());
        ZSET_MAX_LISTPACK_ENTRIES.store(4, AtomicOrdering::Relaxed);
        ZSET_MAX_LISTPACK_VALUE.store(3, AtomicOrdering::Relaxed);
        let mut z = ZSet::new();
        for m in [b"a", b"b", b"c", b"d"] {
            z.insert(m, 1.0);
        }
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"e", 1.0);
        assert_eq!(z.encoding(), "skiplist");
        let mut w = ZSet::new();
        w.insert(b"abc", 1.0);
        assert_eq!(w.encoding(), "listpack");
        w.insert(b"abcd", 1.0);
        assert_eq!(w.encoding(), "skiplist");
        assert_eq!(ZSet::with_hints(5, 0).encoding(), "skiplist");
        ZSET_MAX_LISTPACK_ENTRIES.store(0, AtomicOrdering::Relaxed);
        let mut none = ZSet::new();
        none.insert(b"a", 1.0);
        assert_eq!(none.encoding(), "skiplist");
        ZSET_MAX_LISTPACK_ENTRIES.store(128, AtomicOrdering::Relaxed);
        ZSET_MAX_LISTPACK_VALUE.store(64, AtomicOrdering::Relaxed);
        z.convert_to_listpack_if_fits();
        assert_eq!(z.encoding(), "listpack");
    }

    #[test]
    fn score_ranges() {
        let _limits = default_limits();
        let pairs: Vec<(&[u8], f64)> = vec![
            (b"a", 1.0),
            (b"b", 2.0),
            (b"c", 2.0),
            (b"d", 3.0),
            (b"e", 4.5),
            (b"f", 5.0),
        ];
        for z in all_encodings(&pairs) {
            let r = sr(incl(2.0), incl(4.5));
            assert_eq!(z.first_in_score_range(&r), Some(1));
            assert_eq!(z.last_in_score_range(&r), Some(4));
            assert_eq!(z.count_in_score_range(&r), 4);
            let r = sr(excl(2.0), excl(4.5));
            assert_eq!(z.first_in_score_range(&r), Some(3));
            assert_eq!(z.last_in_score_range(&r), Some(3));
            assert_eq!(z.count_in_score_range(&r), 1);
            let r = sr(excl(3.0), excl(4.5)); // between elements
            assert_eq!(z.first_in_score_range(&r), None);
            assert_eq!(z.last_in_score_range(&r), None);
            assert_eq!(z.count_in_score_range(&r), 0);
            let r = sr(incl(4.0), incl(2.0)); // min > max
            assert_eq!(z.first_in_score_range(&r), None);
            assert_eq!(z.count_in_score_range(&r), 0);
            let r = sr(excl(2.0), incl(2.0));
            assert_eq!(z.count_in_score_range(&r), 0);
            let r = sr(incl(2.0), incl(2.0));
            assert_eq!(
                (z.first_in_score_range(&r), z.last_in_score_range(&r)),
                (Some(1), Some(2))
            );
            let r = sr(incl(6.0), incl(f64::INFINITY)); // above everything
            assert_eq!(z.first_in_score_range(&r), None);
            assert_eq!(z.last_in_score_range(&r), None);
            let r = sr(incl(f64::NEG_INFINITY), excl(1.0)); // below everything
            assert_eq!(z.first_in_score_range(&r), None);
            assert_eq!(z.last_in_score_range(&r), None);
            let r = sr(incl(f64::NEG_INFINITY), incl(f64::INFINITY));
            assert_eq!(
                (z.first_in_score_range(&r), z.last_in_score_range(&r)),
                (Some(0), Some(5))
            );
        }
        for z in all_encodings(&[]) {
            let r = sr(incl(f64::NEG_INFINITY), incl(f64::INFINITY));
            assert_eq!(z.first_in_score_range(&r), None);
            assert_eq!(z.last_in_score_range(&r), None);
            assert_eq!(z.count_in_score_range(&r), 0);
        }
    }

    #[test]
    fn lex_ranges() {
        let _limits = default_limits();
        use LexBound::*;
        let pairs: Vec<(&[u8], f64)> = vec![
            (b"a", 0.0),
            (b"b", 0.0),
            (b"c", 0.0),
            (b"d", 0.0),
            (b"e", 0.0),
            (b"", 0.0),
        ];
        for z in all_encodings(&pairs) {
            let check = |r: LexRange, first: Option<usize>, last: Option<usize>, count: usize| {
                assert_eq!(z.first_in_lex_range(&r), first, "{r:?}");
                assert_eq!(z.last_in_lex_range(&r), last, "{r:?}");
                assert_eq!(z.count_in_lex_range(&r), count, "{r:?}");
            };
            check(lr(NegInf, PosInf), Some(0), Some(5), 6);
            check(lr(Inclusive(b"b"), Inclusive(b"d")), Some(2), Some(4), 3);
            check(lr(Exclusive(b"b"), Exclusive(b"d")), Some(3), Some(3), 1);
            check(lr(Inclusive(b""), Exclusive(b"a")), Some(0), Some(0), 1);
            check(lr(Exclusive(b""), Inclusive(b"a")), Some(1), Some(1), 1);
            check(lr(Exclusive(b"bb"), Exclusive(b"c")), None, None, 0);
            check(lr(Inclusive(b"d"), Inclusive(b"b")), None, None, 0);
            check(lr(Exclusive(b"c"), Inclusive(b"c")), None, None, 0);
            check(lr(Inclusive(b"c"), Inclusive(b"c")), Some(3), Some(3), 1);
            check(lr(PosInf, PosInf), None, None, 0);
            check(lr(NegInf, NegInf), None, None, 0);
            check(lr(Exclusive(b"e"), PosInf), None, None, 0);
            check(lr(NegInf, Exclusive(b"")), None, None, 0);
            check(lr(Inclusive(b"c\0"), PosInf), Some(4), Some(5), 2);
        }
        // Mixed scores: unspecified results, but in bounds and no panic.
        let mixed: Vec<(&[u8], f64)> = vec![(b"z", 1.0), (b"a", 2.0), (b"m", 3.0), (b"b", 4.0)];
        for mut z in all_encodings(&mixed) {
            for r in [
                lr(Inclusive(b"b"), Inclusive(b"n")),
                lr(NegInf, Exclusive(b"c")),
            ] {
                assert!(z.first_in_lex_range(&r).is_none_or(|i| i < 4));
                assert!(z.last_in_lex_range(&r).is_none_or(|i| i < 4));
                assert!(z.count_in_lex_range(&r) <= 4);
                let removed = z.remove_range_by_lex(&r);
                assert!(removed <= 4);
                z.check();
            }
        }
    }

    #[test]
    fn range_removals() {
        let _limits = default_limits();
        use LexBound::*;
        let names: Vec<Vec<u8>> = (0..10).map(|i| vec![b'a' + i]).collect();
        let pairs: Vec<(&[u8], f64)> = names
            .iter()
            .enumerate()
            .map(|(i, m)| (&m[..], i as f64))
            .collect();
        for z0 in all_encodings(&pairs) {
            let mut z = z0.clone();
            assert_eq!(z.remove_range_by_rank(2, 4), 3);
            assert_eq!(
                members(&z),
                vec![
                    b"a".to_vec(),
                    b"b".to_vec(),
                    b"f".to_vec(),
                    b"g".to_vec(),
                    b"h".to_vec(),
                    b"i".to_vec(),
                    b"j".to_vec()
                ]
            );
            assert_eq!(z.remove_range_by_rank(5, 100), 2);
            assert_eq!(z.remove_range_by_rank(5, 100), 0);
            assert_eq!(z.remove_range_by_rank(3, 2), 0);
            assert_eq!(z.len(), 5);
            z.check();
            assert_eq!(z.encoding(), z0.encoding());

            let mut z = z0.clone();
            assert_eq!(z.remove_range_by_score(&sr(excl(1.0), incl(3.0))), 2);
            assert_eq!(z.remove_range_by_score(&sr(excl(1.0), incl(3.0))), 0);
            assert_eq!(z.remove_range_by_score(&sr(incl(5.0), incl(4.0))), 0);
            assert_eq!(
                z.remove_range_by_score(&sr(incl(8.5), incl(f64::INFINITY))),
                1
            );
            assert_eq!(
                members(&z),
                vec![
                    b"a".to_vec(),
                    b"b".to_vec(),
                    b"e".to_vec(),
                    b"f".to_vec(),
                    b"g".to_vec(),
                    b"h".to_vec(),
                    b"i".to_vec()
                ]
            );
            assert_eq!(
                z.remove_range_by_score(&sr(incl(f64::NEG_INFINITY), incl(f64::INFINITY))),
                7
            );
            assert!(z.is_empty());
            z.check();

            let mut z = z0.clone();
            for m in &names {
                z.insert(m, 0.0);
            }
            assert_eq!(
                z.remove_range_by_lex(&lr(Inclusive(b"c"), Exclusive(b"f"))),
                3
            );
            assert_eq!(
                z.remove_range_by_lex(&lr(Inclusive(b"c"), Exclusive(b"f"))),
                0
            );
            assert_eq!(z.remove_range_by_lex(&lr(Exclusive(b"h"), PosInf)), 2);
            assert_eq!(z.remove_range_by_lex(&lr(PosInf, PosInf)), 0);
            assert_eq!(
                members(&z),
                vec![
                    b"a".to_vec(),
                    b"b".to_vec(),
                    b"f".to_vec(),
                    b"g".to_vec(),
                    b"h".to_vec()
                ]
            );
            assert_eq!(z.remove_range_by_lex(&lr(NegInf, PosInf)), 5);
            assert!(z.is_empty());
            z.check();
        }
    }

    #[test]
    fn iteration_both_directions() {
        let _limits = default_limits();
        let names: Vec<Vec<u8>> = (0..300).map(|i| format!("m{i:03}").into_bytes()).collect();
        for n in [0usize, 1, 2, 7, 100, 300] {
            let pairs: Vec<(&[u8], f64)> = names[..n].iter().map(|m| (&m[..], 1.0)).collect();
            let sets = if n <= 128 {
                all_encodings(&pairs)
            } else {
                all_encodings(&pairs)[1..].to_vec()
            };
            for z in sets {
                let fwd = members(&z);
                assert_eq!(fwd, names[..n].to_vec());
                let back: Vec<Vec<u8>> = z.iter().rev().map(|(m, _)| m.to_vec()).collect();
                assert_eq!(back, names[..n].iter().rev().cloned().collect::<Vec<_>>());
                assert_eq!(z.iter().len(), n);
                for r in [0, 1, n / 2, n.saturating_sub(1), n, n + 5] {
                    let from: Vec<Vec<u8>> = z.iter_from_rank(r).map(|(m, _)| m.to_vec()).collect();
                    assert_eq!(from, names[r.min(n)..n].to_vec());
                    let rev: Vec<Vec<u8>> =
                        z.iter_rev_from_rank(r).map(|(m, _)| m.to_vec()).collect();
                    let want: Vec<Vec<u8>> =
                        names[..n.saturating_sub(r)].iter().rev().cloned().collect();
                    assert_eq!(rev, want);
                    for end in [r, r + 1, r + 10, n] {
                        let got = z.iter_range(r, end).count();
                        assert_eq!(got, end.min(n).saturating_sub(r));
                    }
                }
                // Front and back meet in the middle without overlap.
                let mut it = z.iter();
                let mut seen = Vec::new();
                loop {
                    match (it.next(), it.next_back()) {
                        (Some(a), Some(b)) => {
                            seen.push(a.0.to_vec());
                            seen.push(b.0.to_vec());
                        }
                        (Some(a), None) => seen.push(a.0.to_vec()),
                        (None, _) => break,
                    }
                }
                assert_eq!(seen.len(), n);
                seen.sort();
                assert_eq!(seen, names[..n].to_vec());
            }
        }
    }

    #[test]
    fn random_member_uses_the_given_source() {
        let _limits = default_limits();
        let pairs: Vec<(&[u8], f64)> = vec![(b"a", 1.0), (b"b", 2.0), (b"c", 3.0)];
        for z in all_encodings(&pairs) {
            assert_eq!(z.random_member(&mut |n| n - 1), Some((&b"c"[..], 3.0)));
            assert_eq!(z.random_member(&mut |_| 0), Some((&b"a"[..], 1.0)));
            assert_eq!(z.random_member(&mut |_| 4), Some((&b"b"[..], 2.0)));
        }
        assert_eq!(ZSet::new().random_member(&mut |_| 0), None);
    }

    #[test]
    fn scan_returns_everything_present_throughout() {
        let _limits = default_limits();
        let mut z = packed();
        z.insert(b"a", 1.0);
        z.insert(b"b", 2.0);
        let mut got = Vec::new();
        assert_eq!(z.scan(0, 1, |m, s| got.push((m.to_vec(), s))), 0);
        assert_eq!(got, vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)]);

        let mut rng = StdRng::seed_from_u64(7);
        for round in 0..4 {
            let mut z = large();
            for i in 0..3000 {
                z.insert(format!("k{i}").as_bytes(), rng.random_range(0..100) as f64);
            }
            let stable: Vec<Vec<u8>> = (0..3000)
                .step_by(3)
                .map(|i| format!("k{i}").into_bytes())
                .collect();
            let mut seen = BTreeSet::new();
            let mut cursor = 0;
            let mut next_new = 3000;
            let mut steps = 0;
            loop {
                cursor = z.scan(cursor, 10 + round, |m, _| {
                    seen.insert(m.to_vec());
                });
                steps += 1;
                // Churn between steps: remove non-stable elements (which compacts slots) and add.
                for _ in 0..6 {
                    let i = rng.random_range(0..3000);
                    if i % 3 != 0 {
                        z.remove(format!("k{i}").as_bytes());
                    }
                }
                z.insert(format!("k{next_new}").as_bytes(), 5.0);
                next_new += 1;
                if cursor == 0 {
                    break;
                }
            }
            assert!(steps > 10);
            for m in &stable {
                assert!(seen.contains(m), "missed {:?}", String::from_utf8_lossy(m));
            }
            z.check();
        }
    }

    #[test]
    fn clone_is_deep_and_debug_lists_elements() {
        let _limits = default_limits();
        let long = vec![b'L'; 40];
        let pairs: Vec<(&[u8], f64)> = vec![(b"a\n", 1.5), (&long, 2.0)];
        for z in all_encodings(&pairs) {
            let mut c = z.clone();
            c.insert(b"new", 0.0);
            c.remove(&long);
            assert_eq!(z.len(), 2);
            assert_eq!(z.score(&long), Some(2.0));
            assert_eq!(
                contents(&c),
                vec![(b"new".to_vec(), 0.0), (b"a\n".to_vec(), 1.5)]
            );
            c.check();
            z.check();
        }
        let z = &all_encodings(&[(b"a\n", 1.5)])[0];
        assert_eq!(format!("{z:?}"), "ZSet<listpack>[(\"a\\n\", 1.5)]");
    }

    #[test]
    fn mem_usage_is_compact() {
        let _limits = default_limits();
        let mut small = ZSet::new();
        let empty = small.mem_usage();
        small.insert(b"member", 1.0);
        assert_eq!(small.mem_usage(), empty + packed_entry_size(6));
        let mut big = ZSet::new();
        for i in 0..20_000 {
            big.insert(format!("m:{i:06}").as_bytes(), (i * 7919 % 20_000) as f64);
        }
        let per_element = big.mem_usage() / big.len();
        assert!(
            (30..=56).contains(&per_element),
            "{per_element} bytes per element"
        );
        let mut heap = ZSet::new();
        for i in 0..1000 {
            heap.insert(format!("a-long-member-name-{i:06}").as_bytes(), i as f64);
        }
        assert!(heap.mem_usage() > 1000 * 25);
        for i in 0..20_000 {
            big.remove(format!("m:{i:06}").as_bytes());
        }
        assert!(
            big.mem_usage() < 4096,
            "{} bytes left after emptying",
            big.mem_usage()
        );
        big.check();
    }

    #[test]
    fn sets_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ZSet>();
        let _limits = default_limits();
        let mut z = large();
        z.insert(b"a-member-longer-than-15-bytes", 1.0);
        let moved = std::thread::spawn(move || z).join().expect("thread");
        assert_eq!(moved.score(b"a-member-longer-than-15-bytes"), Some(1.0));
    }

    #[test]
    fn small_strings() {
        for len in [0usize, 1, 14, 15, 16, 17, 100, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 256) as u8).collect();
            let s = SmallBytes::new(&bytes);
            assert_eq!(s.as_bytes(), &bytes[..]);
            assert_eq!(s.heap_len(), if len > INLINE_CAP { len } else { 0 });
            let c = s.clone();
            drop(s);
            assert_eq!(c.as_bytes(), &bytes[..]);
        }
    }

    #[test]
    fn sequential_inserts_fill_leaves() {
        let _limits = default_limits();
        for descending in [false, true] {
            let mut z = large();
            for i in 0..10_000 {
                let score = if descending { -(i as f64) } else { i as f64 };
                z.insert(format!("{i}").as_bytes(), score);
            }
            z.check();
            let Repr::Large(l) = &z.repr else {
                unreachable!()
            };
            assert!(
                l.tree.counts.leaves <= 10_000 / LEAF_CAP + 2,
                "{} leaves",
                l.tree.counts.leaves
            );
        }
    }

    #[test]
    fn default_node_sizes_survive_growth_and_shrinkage() {
        let _limits = default_limits();
        let mut rng = StdRng::seed_from_u64(11);
        let mut z = large();
        let mut model = Model::default();
        for round in 0..3 {
            for _ in 0..25_000 {
                let m = format!("k{}", rng.random_range(0..40_000)).into_bytes();
                let s = rng.random_range(0..5000) as f64;
                assert!(same_outcome(z.insert(&m, s), model.insert(&m, s)));
            }
            z.check();
            // Shrink with a mix of single removals and range removals.
            while model.set.len() > 2000 * (2 - round.min(2)) {
                if rng.random_bool(0.7) {
                    let m = format!("k{}", rng.random_range(0..40_000)).into_bytes();
                    assert_eq!(z.remove(&m).is_some(), model.remove(&m).is_some());
                } else {
                    let start = rng.random_range(0..model.set.len());
                    let end = start + rng.random_range(0..300);
                    let victims: Vec<Vec<u8>> = model
                        .set
                        .iter()
                        .skip(start)
                        .take(end + 1 - start)
                        .map(|(_, m)| m.clone())
                        .collect();
                    assert_eq!(z.remove_range_by_rank(start, end), victims.len());
                    for m in victims {
                        model.remove(&m);
                    }
                }
            }
            z.check();
            same_elements(&z, &model.elements());
        }
    }

    // --- randomized comparison with a simple model --------------------------------------------

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct OrderedScore(f64);
    impl PartialOrd for OrderedScore {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Eq for OrderedScore {}
    impl Ord for OrderedScore {
        fn cmp(&self, other: &Self) -> Ordering {
            cmp_score(self.0, other.0)
        }
    }

    #[derive(Default)]
    struct Model {
        set: BTreeSet<(OrderedScore, Vec<u8>)>,
        map: HashMap<Vec<u8>, f64>,
    }

    impl Model {
        fn insert(&mut self, m: &[u8], s: f64) -> AddOutcome {
            match self.map.get(m).copied() {
                Some(old) if old == s => AddOutcome::Unchanged,
                Some(old) => {
                    self.set.remove(&(OrderedScore(old), m.to_vec()));
                    self.set.insert((OrderedScore(s), m.to_vec()));
                    self.map.insert(m.to_vec(), s);
                    AddOutcome::Updated { old }
                }
                None => {
                    self.set.insert((OrderedScore(s), m.to_vec()));
                    self.map.insert(m.to_vec(), s);
                    AddOutcome::Added
                }
            }
        }

        fn remove(&mut self, m: &[u8]) -> Option<f64> {
            let s = self.map.remove(m)?;
            assert!(self.set.remove(&(OrderedScore(s), m.to_vec())));
            Some(s)
        }

        fn elements(&self) -> Vec<(Vec<u8>, f64)> {
            self.set.iter().map(|(s, m)| (m.clone(), s.0)).collect()
        }

        fn rank(&self, m: &[u8]) -> Option<usize> {
            let s = *self.map.get(m)?;
            Some(self.set.range(..(OrderedScore(s), m.to_vec())).count())
        }
    }

    fn same_outcome(a: AddOutcome, b: AddOutcome) -> bool {
        match (a, b) {
            (AddOutcome::Updated { old: x }, AddOutcome::Updated { old: y }) => x == y,
            _ => a == b,
        }
    }

    fn same_elements(z: &ZSet, elements: &[(Vec<u8>, f64)]) {
        assert_eq!(z.len(), elements.len());
        assert_eq!(z.iter().len(), elements.len());
        for ((zm, zs), (mm, ms)) in z.iter().zip(elements) {
            assert_eq!(zm, &mm[..]);
            assert!(zs == *ms, "{zs} != {ms}");
        }
        for ((zm, _), (mm, _)) in z.iter().rev().zip(elements.iter().rev()) {
            assert_eq!(zm, &mm[..]);
        }
    }

    struct Gen {
        rng: StdRng,
        pool: usize,
    }

    impl Gen {
        fn member(&mut self) -> Vec<u8> {
            match self.rng.random_range(0..20) {
                0 => Vec::new(),
                1 => {
                    let len = self.rng.random_range(0..80);
                    (0..len)
                        .map(|_| self.rng.random_range(0..4u8) * 85)
                        .collect()
                }
                2 => format!(
                    "a-rather-long-member-name-{}",
                    self.rng.random_range(0..self.pool)
                )
                .into_bytes(),
                _ => format!("m{}", self.rng.random_range(0..self.pool)).into_bytes(),
            }
        }

        fn score(&mut self) -> f64 {
            match self.rng.random_range(0..12) {
                0 => f64::INFINITY,
                1 => f64::NEG_INFINITY,
                2 => -0.0,
                3 => 0.0,
                4 => self.rng.random_range(-1e6..1e6),
                _ => self.rng.random_range(-8..8) as f64 / 2.0,
            }
        }

        fn bound(&mut self) -> ScoreBound {
            let v = self.score();
            if self.rng.random_bool(0.5) {
                incl(v)
            } else {
                excl(v)
            }
        }

        fn lex_bound<'a>(&mut self, buf: &'a mut Vec<u8>) -> LexBound<'a> {
            *buf = self.member();
            match self.rng.random_range(0..8) {
                0 => LexBound::NegInf,
                1 => LexBound::PosInf,
                2..5 => LexBound::Inclusive(buf),
                _ => LexBound::Exclusive(buf),
            }
        }
    }

    /// Runs `ops` random operations on `z` and a model, comparing every answer.
    /// `lex_only` keys use a single score so that lex queries are meaningful.
    fn run_against_model(
        z: &mut ZSet,
        ops: usize,
        seed: u64,
        pool: usize,
        lex_only: bool,
        allow_convert_back: bool,
    ) {
        let mut model = Model::default();
        let mut g = Gen {
            rng: StdRng::seed_from_u64(seed),
            pool,
        };
        for step in 0..ops {
            let op = g.rng.random_range(0..100);
            match op {
                0..30 => {
                    let m = g.member();
                    let s = if lex_only { 0.0 } else { g.score() };
                    let got = z.insert(&m, s);
                    let want = model.insert(&m, s);
                    assert!(same_outcome(got, want), "insert {got:?} vs {want:?}");
                }
                30..45 => {
                    let m = g.member();
                    let (got, want) = (z.remove(&m), model.remove(&m));
                    assert_eq!(got.is_some(), want.is_some());
                    assert!(got.is_none() || got == want);
                }
                45..52 => {
                    let m = g.member();
                    let (got, want) = (z.score(&m), model.map.get(&m).copied());
                    assert!(got == want, "score {got:?} vs {want:?}");
                    assert_eq!(z.rank(&m), model.rank(&m));
                }
                52..56 => {
                    let r = g.rng.random_range(0..model.set.len() + 2);
                    let want = model.set.iter().nth(r).map(|(s, m)| (m.clone(), s.0));
                    let got = z.get_by_rank(r).map(|(m, s)| (m.to_vec(), s));
                    assert_eq!(got.is_some(), want.is_some());
                    if let (Some(a), Some(b)) = (got, want) {
                        assert!(a.0 == b.0 && a.1 == b.1);
                    }
                }
                56..64 => {
                    let range = sr(g.bound(), g.bound());
                    let scores: Vec<f64> = model.set.iter().map(|(s, _)| s.0).collect();
                    let inside: Vec<usize> = (0..scores.len())
                        .filter(|&i| range.contains(scores[i]))
                        .collect();
                    let want_first = if range.is_empty_range() {
                        None
                    } else {
                        inside.first().copied()
                    };
                    let want_last = if range.is_empty_range() {
                        None
                    } else {
                        inside.last().copied()
                    };
                    assert_eq!(z.first_in_score_range(&range), want_first, "{range:?}");
                    assert_eq!(z.last_in_score_range(&range), want_last, "{range:?}");
                    assert_eq!(
                        z.count_in_score_range(&range),
                        if range.is_empty_range() {
                            0
                        } else {
                            inside.len()
                        }
                    );
                }
                64..70 => {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let range = lr(g.lex_bound(&mut a), g.lex_bound(&mut b));
                    let first = z.first_in_lex_range(&range);
                    let last = z.last_in_lex_range(&range);
                    let count = z.count_in_lex_range(&range);
                    if lex_only {
                        let els: Vec<&[u8]> = model.set.iter().map(|(_, m)| &m[..]).collect();
                        let inside: Vec<usize> =
                            (0..els.len()).filter(|&i| range.contains(els[i])).collect();
                        let empty = range.is_empty_range();
                        assert_eq!(first, if empty { None } else { inside.first().copied() });
                        assert_eq!(last, if empty { None } else { inside.last().copied() });
                        assert_eq!(count, if empty { 0 } else { inside.len() });
                    } else {
                        assert!(first.is_none_or(|i| i < model.set.len()));
                        assert!(last.is_none_or(|i| i < model.set.len()));
                        assert!(count <= model.set.len());
                    }
                }
                70..73 => {
                    let len = model.set.len();
                    let start = g.rng.random_range(0..len + 2);
                    let end = start + g.rng.random_range(0..6);
                    let removed = z.remove_range_by_rank(start, end);
                    let victims: Vec<Vec<u8>> = model
                        .set
                        .iter()
                        .skip(start)
                        .take(end + 1 - start)
                        .map(|(_, m)| m.clone())
                        .collect();
                    assert_eq!(removed, victims.len());
                    for m in victims {
                        model.remove(&m);
                    }
                }
                73..75 => {
                    let lo = g.score();
                    let range = sr(incl(lo), excl(lo + g.rng.random_range(0.0..2.0)));
                    let victims: Vec<Vec<u8>> = model
                        .set
                        .iter()
                        .filter(|(s, _)| range.contains(s.0))
                        .map(|(_, m)| m.clone())
                        .collect();
                    assert_eq!(
                        z.remove_range_by_score(&range),
                        if range.is_empty_range() {
                            0
                        } else {
                            victims.len()
                        }
                    );
                    if !range.is_empty_range() {
                        for m in victims {
                            model.remove(&m);
                        }
                    }
                }
                75..77 => {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let range = lr(g.lex_bound(&mut a), g.lex_bound(&mut b));
                    if lex_only {
                        let victims: Vec<Vec<u8>> = if range.is_empty_range() {
                            Vec::new()
                        } else {
                            model
                                .set
                                .iter()
                                .filter(|(_, m)| range.contains(m))
                                .map(|(_, m)| m.clone())
                                .collect()
                        };
                        assert_eq!(z.remove_range_by_lex(&range), victims.len());
                        for m in victims {
                            model.remove(&m);
                        }
                    }
                }
                77..80 => {
                    let (got, want) = if g.rng.random_bool(0.5) {
                        let want = model.set.first().map(|(_, m)| m.clone());
                        (z.pop_min(), want)
                    } else {
                        let want = model.set.last().map(|(_, m)| m.clone());
                        (z.pop_max(), want)
                    };
                    assert_eq!(got.as_ref().map(|g| g.0.clone()), want);
                    if let Some((m, s)) = got {
                        assert!(model.remove(&m) == Some(s));
                    }
                }
                80..86 => {
                    let r = g.rng.random_range(0..model.set.len() + 2);
                    let k = g.rng.random_range(0..20);
                    let got: Vec<&[u8]> = z.iter_from_rank(r).take(k).map(|(m, _)| m).collect();
                    let want: Vec<&[u8]> = model
                        .set
                        .iter()
                        .skip(r)
                        .take(k)
                        .map(|(_, m)| &m[..])
                        .collect();
                    assert_eq!(got, want);
                    let got: Vec<&[u8]> = z.iter_rev_from_rank(r).take(k).map(|(m, _)| m).collect();
                    let want: Vec<&[u8]> = model
                        .set
                        .iter()
                        .rev()
                        .skip(r)
                        .take(k)
                        .map(|(_, m)| &m[..])
                        .collect();
                    assert_eq!(got, want);
                }
                86..88 => {
                    let pick = g.rng.random_range(0..1000usize);
                    let got = z.random_member(&mut |n| pick % n).map(|(m, _)| m.to_vec());
                    let want = (!model.set.is_empty()).then(|| {
                        model
                            .set
                            .iter()
                            .nth(pick % model.set.len())
                            .unwrap()
                            .1
                            .clone()
                    });
                    assert_eq!(got, want);
                }
                88..89 => {
                    let mut seen = Vec::new();
                    let mut cursor = 0;
                    loop {
                        cursor = z.scan(cursor, 7, |m, _| seen.push(m.to_vec()));
                        if cursor == 0 {
                            break;
                        }
                    }
                    seen.sort();
                    let mut want: Vec<Vec<u8>> = model.map.keys().cloned().collect();
                    want.sort();
                    assert_eq!(seen, want);
                }
                89..90 if allow_convert_back => {
                    z.convert_to_listpack_if_fits();
                    let fits = model.set.len() <= 128 && model.map.keys().all(|m| m.len() <= 64);
                    if fits {
                        assert_eq!(z.encoding(), "listpack");
                    }
                }
                _ => {
                    // Growth burst so that the set keeps crossing the packed limits.
                    for _ in 0..g.rng.random_range(0..40) {
                        let m = g.member();
                        let s = if lex_only { 0.0 } else { g.score() };
                        assert!(same_outcome(z.insert(&m, s), model.insert(&m, s)));
                    }
                }
            }
            if step % 997 == 0 || step + 1 == ops {
                z.check();
                same_elements(z, &model.elements());
                for (rank, (m, s)) in model.elements().iter().enumerate() {
                    assert_eq!(z.rank(m), Some(rank));
                    assert!(z.score(m) == Some(*s));
                }
            }
        }
    }

    // 200k operations in total over the following tests.

    /// Sets that keep crossing the packed/large boundary in both directions.
    #[test]
    fn randomized_around_the_packed_limit() {
        let _limits = default_limits();
        run_against_model(&mut ZSet::new(), 80_000, 1, 150, false, true);
    }

    /// Equal scores, so lex queries are checked exactly.
    #[test]
    fn randomized_lex() {
        let _limits = default_limits();
        run_against_model(&mut ZSet::new(), 40_000, 2, 90, true, true);
    }

    #[test]
    fn randomized_large() {
        let _limits = default_limits();
        run_against_model(&mut ZSet::new(), 40_000, 3, 600, false, false);
    }

    /// Tiny tree nodes: deep trees with many splits, merges and moves between siblings.
    #[test]
    fn randomized_deep_trees() {
        let _limits = default_limits();
        run_against_model(&mut large_with_caps(4, 5), 25_000, 4, 600, false, false);
        run_against_model(&mut large_with_caps(2, 3), 15_000, 5, 300, true, false);
    }
}
