//! Byte-level codecs shared by the hash and set types.
//!
//! Small hashes and sets keep their entries back to back in one exact-size buffer (the
//! equivalent of Redis's listpack), and large ones keep each entry in one exact-size heap
//! allocation. Both use the same self-describing encodings defined here, so an entry can be
//! decoded from its first byte without any side table:
//!
//! - member (sets):  `varint(len) bytes`
//! - pair (hashes):  `varint(field_len) varint(value_len << 1 | has_ttl) field value [ttl]`
//!   where `ttl` is the absolute expire time in unix ms as 8 little-endian bytes, present only
//!   when `has_ttl` is set. A field without a TTL therefore costs nothing extra.
//!
//! Varints are LEB128 (7 bits per byte, high bit = continuation): lengths up to 127 take one
//! byte, which covers every entry allowed in the packed encodings by default (64-byte limit).
//!
//! This module also holds the Redis `string2ll` integer rules used to decide which strings
//! are integers (intset membership), and the raw thin-allocation helpers used by the
//! table entries (`ThinBuf`).

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::ptr::NonNull;

/// Number of bytes `put_varint` writes for `value`.
pub(crate) fn varint_len(mut value: usize) -> usize {
    let mut n = 1;
    while value >= 0x80 {
        value >>= 7;
        n += 1;
    }
    n
}

/// Writes `value` as LEB128 at the start of `dst`; returns the number of bytes written.
pub(crate) fn put_varint(dst: &mut [u8], mut value: usize) -> usize {
    let mut i = 0;
    while value >= 0x80 {
        dst[i] = (value as u8) | 0x80;
        value >>= 7;
        i += 1;
    }
    dst[i] = value as u8;
    i + 1
}

/// Reads a LEB128 value from the start of `src`; returns `(value, bytes consumed)`.
pub(crate) fn get_varint(src: &[u8]) -> (usize, usize) {
    let mut value = 0usize;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let byte = src[i];
        value |= ((byte & 0x7f) as usize) << shift;
        i += 1;
        if byte < 0x80 {
            return (value, i);
        }
        shift += 7;
    }
}

/// Encoded size of a set member of `len` bytes.
pub(crate) fn member_size(len: usize) -> usize {
    varint_len(len) + len
}

/// Writes a member encoding into `dst`, which must be exactly `member_size(bytes.len())` long.
pub(crate) fn write_member(dst: &mut [u8], bytes: &[u8]) {
    let n = put_varint(dst, bytes.len());
    dst[n..].copy_from_slice(bytes);
}

/// Decodes the member at the start of `src`; returns `(bytes, encoded size)`.
pub(crate) fn read_member(src: &[u8]) -> (&[u8], usize) {
    let (len, n) = get_varint(src);
    (&src[n..n + len], n + len)
}

/// A decoded hash pair, borrowing from its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PairView<'a> {
    pub field: &'a [u8],
    pub value: &'a [u8],
    pub expire_ms: Option<i64>,
    /// Total encoded size of the pair.
    pub size: usize,
}

/// Encoded size of a hash pair.
pub(crate) fn pair_size(field_len: usize, value_len: usize, has_ttl: bool) -> usize {
    varint_len(field_len)
        + varint_len(value_len << 1 | has_ttl as usize)
        + field_len
        + value_len
        + if has_ttl { 8 } else { 0 }
}

/// Writes a pair encoding into `dst`, which must be exactly `pair_size(..)` long.
pub(crate) fn write_pair(dst: &mut [u8], field: &[u8], value: &[u8], expire_ms: Option<i64>) {
    let mut pos = put_varint(dst, field.len());
    pos += put_varint(
        &mut dst[pos..],
        value.len() << 1 | expire_ms.is_some() as usize,
    );
    dst[pos..pos + field.len()].copy_from_slice(field);
    pos += field.len();
    dst[pos..pos + value.len()].copy_from_slice(value);
    pos += value.len();
    if let Some(at) = expire_ms {
        dst[pos..pos + 8].copy_from_slice(&at.to_le_bytes());
        pos += 8;
    }
    debug_assert_eq!(pos, dst.len());
}

/// Decodes the pair at the start of `src`.
pub(crate) fn read_pair(src: &[u8]) -> PairView<'_> {
    let (field_len, a) = get_varint(src);
    let (value_word, b) = get_varint(&src[a..]);
    let value_len = value_word >> 1;
    let mut pos = a + b;
    let field = &src[pos..pos + field_len];
    pos += field_len;
    let value = &src[pos..pos + value_len];
    pos += value_len;
    let expire_ms = if value_word & 1 == 1 {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&src[pos..pos + 8]);
        pos += 8;
        Some(i64::from_le_bytes(raw))
    } else {
        None
    };
    PairView {
        field,
        value,
        expire_ms,
        size: pos,
    }
}

/// Parses `bytes` as an integer following Redis's `string2ll` rules: optional `-`, no `+`,
/// no leading zeros (except the string "0" itself), no spaces, must fit in an i64, and "-0"
/// is not an integer. Exactly the strings `i64::to_string` can produce are accepted.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes {
        [] => return None,
        [b'0'] => return Some(0),
        [b'-', rest @ ..] => (true, rest),
        _ => (false, bytes),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    if digits.len() > 19 {
        return None;
    }
    let mut magnitude: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    if negative {
        if magnitude > i64::MAX as u64 + 1 {
            None
        } else {
            Some((magnitude as i64).wrapping_neg())
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Longest decimal form of an i64 ("-9223372036854775808").
pub(crate) const MAX_I64_LEN: usize = 20;

/// Formats `value` in decimal into `buf`; returns the used tail of `buf`.
pub(crate) fn format_i64(value: i64, buf: &mut [u8; MAX_I64_LEN]) -> &[u8] {
    let mut magnitude = value.unsigned_abs();
    let mut pos = MAX_I64_LEN;
    loop {
        pos -= 1;
        buf[pos] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if value < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

/// Length of the decimal form of `value`, sign included (Redis `sdigits10`).
pub(crate) fn i64_len(value: i64) -> usize {
    let mut buf = [0u8; MAX_I64_LEN];
    format_i64(value, &mut buf).len()
}

/// An owned, exact-size heap allocation addressed by a thin pointer. The owner knows the
/// size from the encoded content (see `member_size` / `pair_size`) and passes it back on
/// every access, which keeps the pointer at 8 bytes: no length, no capacity.
///
/// Allocations are 8-byte aligned so the set table can use the low pointer bits as tags.
pub(crate) struct ThinBuf;

impl ThinBuf {
    pub(crate) const ALIGN: usize = 8;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size.max(1), Self::ALIGN).expect("allocation size overflow")
    }

    /// Allocates `size` bytes and lets `fill` initialise all of them.
    pub(crate) fn alloc_filled(size: usize, fill: impl FnOnce(&mut [u8])) -> NonNull<u8> {
        let layout = Self::layout(size);
        // SAFETY: `layout` has a non-zero size.
        let raw = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            handle_alloc_error(layout)
        };
        // SAFETY: the allocation is `size` bytes long and exclusively ours. Zeroing first
        // means `fill` only ever sees initialised memory.
        let slice = unsafe {
            ptr.as_ptr().write_bytes(0, size);
            std::slice::from_raw_parts_mut(ptr.as_ptr(), size)
        };
        fill(slice);
        ptr
    }

    /// Reads a LEB128 varint starting at `ptr`; returns `(value, bytes consumed)`.
    ///
    /// # Safety
    /// `ptr` must point into an allocation made by `alloc_filled` whose content holds a
    /// complete varint starting at `ptr`.
    pub(crate) unsafe fn read_varint(ptr: *const u8) -> (usize, usize) {
        let mut value = 0usize;
        let mut shift = 0;
        let mut i = 0;
        loop {
            // SAFETY: the caller guarantees a complete varint, so every byte up to and
            // including the one without the continuation bit is inside the allocation.
            let byte = unsafe { *ptr.add(i) };
            value |= ((byte & 0x7f) as usize) << shift;
            i += 1;
            if byte < 0x80 {
                return (value, i);
            }
            shift += 7;
        }
    }

    /// Borrows the allocation as a byte slice.
    ///
    /// # Safety
    /// `ptr` must come from `alloc_filled(size, ..)` with this exact `size`, not yet freed,
    /// and the returned lifetime must not outlive the owner of the allocation.
    pub(crate) unsafe fn slice<'a>(ptr: NonNull<u8>, size: usize) -> &'a [u8] {
        // SAFETY: guaranteed by the caller; the bytes were initialised by `alloc_filled`.
        unsafe { std::slice::from_raw_parts(ptr.as_ptr(), size) }
    }

    /// Mutably borrows the allocation as a byte slice.
    ///
    /// # Safety
    /// As for `slice`, and the caller must own the allocation exclusively.
    pub(crate) unsafe fn slice_mut<'a>(ptr: NonNull<u8>, size: usize) -> &'a mut [u8] {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), size) }
    }

    /// Frees the allocation.
    ///
    /// # Safety
    /// `ptr` must come from `alloc_filled(size, ..)` with this exact `size` and must not
    /// be used afterwards.
    pub(crate) unsafe fn free(ptr: NonNull<u8>, size: usize) {
        // SAFETY: same layout as the allocation, guaranteed by the caller.
        unsafe { dealloc(ptr.as_ptr(), Self::layout(size)) }
    }
}

/// Replaces `buf[range]` with `new_len` bytes written by `fill`, reallocating the buffer to
/// its exact new size (the packed encodings never keep spare capacity).
pub(crate) fn splice_exact(
    buf: &mut Box<[u8]>,
    range: std::ops::Range<usize>,
    new_len: usize,
    fill: impl FnOnce(&mut [u8]),
) {
    let total = buf.len() - range.len() + new_len;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&buf[..range.start]);
    let start = out.len();
    out.resize(start + new_len, 0);
    fill(&mut out[start..]);
    out.extend_from_slice(&buf[range.end..]);
    *buf = out.into_boxed_slice();
}

/// Chooses `count` distinct indices out of `0..n` uniformly at random, returned in
/// increasing order (Knuth's selection sampling: one pass, no auxiliary memory). This is the
/// order-preserving sampling Redis uses for listpacks ("CASE 2.5" of SRANDMEMBER/HRANDFIELD).
pub(crate) fn sample_sorted(
    n: usize,
    count: usize,
    pick: &mut impl FnMut(usize) -> usize,
) -> Vec<usize> {
    let count = count.min(n);
    let mut chosen = Vec::with_capacity(count);
    for i in 0..n {
        if chosen.len() == count {
            break;
        }
        let still_needed = count - chosen.len();
        if pick(n - i) < still_needed {
            chosen.push(i);
        }
    }
    chosen
}

/// Chooses `count` distinct indices out of `0..n` uniformly at random, in random order.
/// Uses a partial Fisher-Yates shuffle when `count` is a large fraction of `n`, and
/// rejection sampling otherwise (Redis's CASE 3 / CASE 4 trade-off, same threshold).
pub(crate) fn sample_distinct(
    n: usize,
    count: usize,
    pick: &mut impl FnMut(usize) -> usize,
) -> Vec<usize> {
    let count = count.min(n);
    if count.saturating_mul(3) > n {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..count {
            let j = i + pick(n - i);
            all.swap(i, j);
        }
        all.truncate(count);
        all
    } else {
        let mut seen = std::collections::HashSet::with_capacity(count);
        let mut chosen = Vec::with_capacity(count);
        while chosen.len() < count {
            let i = pick(n);
            if seen.insert(i) {
                chosen.push(i);
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_roundtrip() {
        for v in [
            0usize,
            1,
            63,
            127,
            128,
            255,
            16383,
            16384,
            1 << 40,
            usize::MAX,
        ] {
            let mut buf = [0u8; 10];
            let n = put_varint(&mut buf, v);
            assert_eq!(n, varint_len(v));
            assert_eq!(get_varint(&buf), (v, n));
        }
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
    }

    #[test]
    fn pair_roundtrip() {
        let cases: [(&[u8], &[u8], Option<i64>); 5] = [
            (b"", b"", None),
            (b"f", b"v", Some(0)),
            (&[0u8, 255, 10, 13], &[0xffu8; 200], Some(-1)),
            (&[7u8; 300], b"", Some(i64::MAX)),
            (b"field", &[1u8; 127], None),
        ];
        for (field, value, ttl) in cases {
            let size = pair_size(field.len(), value.len(), ttl.is_some());
            let mut buf = vec![0xAAu8; size + 3];
            write_pair(&mut buf[..size], field, value, ttl);
            let view = read_pair(&buf);
            assert_eq!(view.field, field);
            assert_eq!(view.value, value);
            assert_eq!(view.expire_ms, ttl);
            assert_eq!(view.size, size);
        }
        // A TTL costs exactly 8 bytes; no TTL costs nothing beyond the two length bytes.
        assert_eq!(pair_size(8, 16, false), 1 + 1 + 8 + 16);
        assert_eq!(pair_size(8, 16, true), 1 + 1 + 8 + 16 + 8);
    }

    #[test]
    fn member_roundtrip() {
        for bytes in [&b""[..], b"a", &[0u8, 1, 2, 255], &[9u8; 1000]] {
            let size = member_size(bytes.len());
            let mut buf = vec![0u8; size];
            write_member(&mut buf, bytes);
            assert_eq!(read_member(&buf), (bytes, size));
        }
    }

    #[test]
    fn parse_i64_follows_string2ll() {
        let ok: [(&[u8], i64); 8] = [
            (b"0", 0),
            (b"1", 1),
            (b"-1", -1),
            (b"10", 10),
            (b"123456789", 123456789),
            (b"9223372036854775807", i64::MAX),
            (b"-9223372036854775808", i64::MIN),
            (b"-9223372036854775807", -i64::MAX),
        ];
        for (s, v) in ok {
            assert_eq!(parse_i64(s), Some(v), "{}", String::from_utf8_lossy(s));
        }
        let bad: [&[u8]; 17] = [
            b"",
            b"-",
            b"-0",
            b"00",
            b"007",
            b"+1",
            b" 1",
            b"1 ",
            b"1a",
            b"0x10",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"99999999999999999999",
            b"12345678901234567890123",
            b"1.0",
            b"\x001",
            b"--1",
        ];
        for s in bad {
            assert_eq!(parse_i64(s), None, "{:?}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn format_matches_std() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            12345,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut buf = [0u8; MAX_I64_LEN];
            assert_eq!(format_i64(v, &mut buf), v.to_string().as_bytes());
            assert_eq!(i64_len(v), v.to_string().len());
            assert_eq!(parse_i64(v.to_string().as_bytes()), Some(v));
        }
    }

    #[test]
    fn thin_buf_alloc_roundtrip() {
        for size in [1usize, 7, 8, 9, 100, 4096] {
            let ptr = ThinBuf::alloc_filled(size, |b| {
                for (i, x) in b.iter_mut().enumerate() {
                    *x = i as u8;
                }
            });
            assert_eq!(ptr.as_ptr() as usize % ThinBuf::ALIGN, 0);
            // SAFETY: allocated above with this size, freed right after.
            unsafe {
                let s = ThinBuf::slice(ptr, size);
                assert!(s.iter().enumerate().all(|(i, &x)| x == i as u8));
                ThinBuf::free(ptr, size);
            }
        }
    }

    #[test]
    fn splice_exact_replaces_range() {
        let mut buf: Box<[u8]> = b"hello world".to_vec().into_boxed_slice();
        splice_exact(&mut buf, 0..5, 3, |d| d.copy_from_slice(b"bye"));
        assert_eq!(&*buf, b"bye world");
        splice_exact(&mut buf, 3..3, 1, |d| d[0] = b'!');
        assert_eq!(&*buf, b"bye! world");
        splice_exact(&mut buf, 4..10, 0, |_| {});
        assert_eq!(&*buf, b"bye!");
    }

    fn counter_pick(seed: u64) -> impl FnMut(usize) -> usize {
        let mut x = seed | 1;
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        }
    }

    #[test]
    fn sampling_is_distinct_and_complete() {
        let mut pick = counter_pick(42);
        for n in [0usize, 1, 2, 10, 100] {
            for count in [0usize, 1, 3, 33, 34, 99, 100, 200] {
                let sorted = sample_sorted(n, count, &mut pick);
                assert_eq!(sorted.len(), count.min(n));
                assert!(sorted.windows(2).all(|w| w[0] < w[1]));
                assert!(sorted.iter().all(|&i| i < n));
                let mut any = sample_distinct(n, count, &mut pick);
                assert_eq!(any.len(), count.min(n));
                any.sort_unstable();
                any.dedup();
                assert_eq!(any.len(), count.min(n));
                assert!(any.iter().all(|&i| i < n));
            }
        }
    }

    #[test]
    fn sampling_is_uniform() {
        // Each index of 0..10 must be chosen about count/n of the time.
        let mut pick = counter_pick(7);
        let mut hits_sorted = [0u32; 10];
        let mut hits_distinct = [0u32; 10];
        let mut hits_rejection = [0u32; 10];
        for _ in 0..20_000 {
            for i in sample_sorted(10, 3, &mut pick) {
                hits_sorted[i] += 1;
            }
            for i in sample_distinct(10, 5, &mut pick) {
                hits_distinct[i] += 1;
            }
            for i in sample_distinct(10, 2, &mut pick) {
                hits_rejection[i] += 1;
            }
        }
        for i in 0..10 {
            assert!((5400..6600).contains(&hits_sorted[i]), "{hits_sorted:?}");
            assert!(
                (9300..10700).contains(&hits_distinct[i]),
                "{hits_distinct:?}"
            );
            assert!(
                (3600..4400).contains(&hits_rejection[i]),
                "{hits_rejection:?}"
            );
        }
    }
}
