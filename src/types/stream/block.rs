//! The packed block format: how entries are laid out in a block's bytes, and the borrowed
//! views ([`EntryRef`], [`Element`]) the rest of the module hands out.
//!
//! ```text
//! block   = header entry*
//! header  = varint(field_count) element{field_count}        -- the master fields
//! entry   = head [ms-delta] [seq] [fields-and-values]
//! head    = one byte: bit0 DELETED, bit1 SAME_FIELDS, bit2 SEQ_NEXT, bits3..7 small ms delta
//! ```
//!
//! IDs are delta-coded against the previous entry of the block (deleted or not; the first
//! entry is coded against the virtual ID `master.ms-(master.seq - 1)`, so it is always
//! SEQ_NEXT). SEQ_NEXT means "same ms, previous seq + 1" and no ID bytes follow. Otherwise the
//! ms delta is `head >> 3` when below 31, or 31 plus a following varint; then a varint holds
//! the absolute seq when the ms changed, or `seq - (prev.seq + 1)` when it did not. All ID
//! arithmetic wraps, so the coding stays exact even in the one case where IDs in a block are
//! not increasing (an entry appended after a tombstone whose ID is above a later XSETID).
//!
//! With SAME_FIELDS the entry holds only its values (as many as the master has fields);
//! otherwise `varint(pair_count)` then field, value, field, value...
//!
//! An element is `varint(n << 2 | tag)` then: tag 0, `n` raw bytes; tag 1, a varint holding
//! the value of an `n`-digit decimal string (leading zeros kept by `n`); tag 2, the same for
//! `-` followed by `n` digits. Digit strings of 1..=19 digits always use tags 1/2: they are
//! never longer than the raw form and usually much shorter.
//!
//! DELETED is set in place (bit 0 of the head byte), so deleting never moves bytes.

use std::fmt;
use std::ops::Deref;

use super::id::StreamId;

pub(crate) const FLAG_DELETED: u8 = 1;
const FLAG_SAME_FIELDS: u8 = 2;
const FLAG_SEQ_NEXT: u8 = 4;
const MS_DELTA_ESCAPE: u64 = 31;

const TAG_BYTES: u64 = 0;
const TAG_DIGITS: u64 = 1;
const TAG_NEGATIVE_DIGITS: u64 = 2;
/// Up to 19 decimal digits always fit in a u64.
const MAX_DIGITS: usize = 19;

pub(crate) fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[inline]
pub(crate) fn read_varint(data: &[u8], pos: &mut usize) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = data[*pos];
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return value;
        }
        shift += 7;
    }
}

#[inline]
fn skip_varint(data: &[u8], pos: &mut usize) {
    while data[*pos] >= 0x80 {
        *pos += 1;
    }
    *pos += 1;
}

/// The value of a string of 1..=19 ASCII digits.
fn digits_value(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > MAX_DIGITS {
        return None;
    }
    let mut value = 0u64;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    Some(value)
}

pub(crate) fn encode_element(out: &mut Vec<u8>, s: &[u8]) {
    if let Some(value) = digits_value(s) {
        write_varint(out, (s.len() as u64) << 2 | TAG_DIGITS);
        write_varint(out, value);
    } else if let Some(value) = s.strip_prefix(b"-").and_then(digits_value) {
        write_varint(out, ((s.len() - 1) as u64) << 2 | TAG_NEGATIVE_DIGITS);
        write_varint(out, value);
    } else {
        write_varint(out, (s.len() as u64) << 2 | TAG_BYTES);
        out.extend_from_slice(s);
    }
}

#[inline]
fn decode_element<'a>(data: &'a [u8], pos: &mut usize) -> Element<'a> {
    let header = read_varint(data, pos);
    let n = (header >> 2) as usize;
    match header & 3 {
        TAG_BYTES => {
            let bytes = &data[*pos..*pos + n];
            *pos += n;
            Element::Bytes(bytes)
        }
        tag => {
            let value = read_varint(data, pos);
            Element::Number(NumberText::new(value, n, tag == TAG_NEGATIVE_DIGITS))
        }
    }
}

#[inline]
fn skip_element(data: &[u8], pos: &mut usize) {
    let header = read_varint(data, pos);
    if header & 3 == TAG_BYTES {
        *pos += (header >> 2) as usize;
    } else {
        skip_varint(data, pos);
    }
}

/// A field name or value of an entry, borrowed from the block when it is stored as bytes and
/// rebuilt on the stack (at most 20 bytes) when it is stored as a number. Either way it
/// dereferences to the exact bytes that were added.
#[derive(Clone, Copy)]
pub enum Element<'a> {
    Bytes(&'a [u8]),
    Number(NumberText),
}

impl<'a> Element<'a> {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Element::Bytes(bytes) => bytes,
            Element::Number(text) => text.as_bytes(),
        }
    }
}

impl Deref for Element<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Element<'_> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq<[u8]> for Element<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Element<'_> {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl fmt::Debug for Element<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// The decimal text of a number-coded element: an optional `-` and a fixed count of digits.
#[derive(Clone, Copy)]
pub struct NumberText {
    buf: [u8; MAX_DIGITS + 1],
    len: u8,
}

impl NumberText {
    fn new(mut value: u64, digits: usize, negative: bool) -> NumberText {
        let len = digits + usize::from(negative);
        let mut buf = [b'0'; MAX_DIGITS + 1];
        let mut i = len;
        while i > usize::from(negative) {
            i -= 1;
            buf[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        if negative {
            buf[0] = b'-';
        }
        NumberText {
            buf,
            len: len as u8,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

/// One block of entries. The block's master ID (its key in the stream's index) is the ID of
/// its first entry, which stays in the block as a tombstone when deleted.
#[derive(Clone)]
pub(crate) struct Block {
    pub(crate) data: Vec<u8>,
    /// ID of the physically last entry (deleted or not): the base for the next delta.
    pub(crate) last: StreamId,
    /// Offset of the last entry's head byte.
    pub(crate) last_offset: u32,
    /// Offset of the first entry (the end of the master-fields header).
    entries_start: u32,
    /// Entries not marked deleted. A block with no live entry is never kept.
    pub(crate) live: u32,
    /// Entries marked deleted.
    pub(crate) deleted: u32,
}

impl Block {
    /// A block whose master fields are the fields of `fields_values` (a flat field, value,
    /// field, value... list) and whose first entry is `id` with those fields and values.
    pub(crate) fn new<T: AsRef<[u8]>>(id: StreamId, fields_values: &[T]) -> Block {
        let mut data = Vec::new();
        write_varint(&mut data, (fields_values.len() / 2) as u64);
        for field in fields_values.iter().step_by(2) {
            encode_element(&mut data, field.as_ref());
        }
        let mut block = Block {
            entries_start: data.len() as u32,
            data,
            last: virtual_previous(id),
            last_offset: 0,
            live: 0,
            deleted: 0,
        };
        block.push(id, fields_values, true);
        block
    }

    /// Whether `fields_values` has exactly the master fields, in order.
    pub(crate) fn has_master_fields<T: AsRef<[u8]>>(&self, fields_values: &[T]) -> bool {
        let mut pos = 0;
        let count = read_varint(&self.data, &mut pos) as usize;
        if count * 2 != fields_values.len() {
            return false;
        }
        fields_values
            .iter()
            .step_by(2)
            .all(|field| decode_element(&self.data, &mut pos).as_bytes() == field.as_ref())
    }

    /// Appends an entry. `id` must differ from the last entry's (it is always greater except
    /// in the XSETID corner case described in the module documentation).
    pub(crate) fn push<T: AsRef<[u8]>>(
        &mut self,
        id: StreamId,
        fields_values: &[T],
        same_fields: bool,
    ) {
        let offset = self.data.len();
        let prev = self.last;
        let flags = if same_fields { FLAG_SAME_FIELDS } else { 0 };
        if id.ms == prev.ms && id.seq == prev.seq.wrapping_add(1) {
            self.data.push(flags | FLAG_SEQ_NEXT);
        } else {
            let ms_delta = id.ms.wrapping_sub(prev.ms);
            let small = ms_delta.min(MS_DELTA_ESCAPE);
            self.data.push(flags | (small as u8) << 3);
            if small == MS_DELTA_ESCAPE {
                write_varint(&mut self.data, ms_delta - MS_DELTA_ESCAPE);
            }
            let seq = if ms_delta == 0 {
                id.seq.wrapping_sub(prev.seq).wrapping_sub(1)
            } else {
                id.seq
            };
            write_varint(&mut self.data, seq);
        }
        if same_fields {
            for value in fields_values.iter().skip(1).step_by(2) {
                encode_element(&mut self.data, value.as_ref());
            }
        } else {
            write_varint(&mut self.data, (fields_values.len() / 2) as u64);
            for element in fields_values {
                encode_element(&mut self.data, element.as_ref());
            }
        }
        self.last = id;
        self.last_offset = offset as u32;
        self.live += 1;
    }

    pub(crate) fn entries(&self, master: StreamId) -> BlockCursor<'_> {
        let mut pos = 0;
        let count = read_varint(&self.data, &mut pos) as usize;
        BlockCursor {
            data: &self.data,
            pos: self.entries_start as usize,
            prev: virtual_previous(master),
            master_fields: &self.data[pos..self.entries_start as usize],
            master_count: count,
        }
    }

    pub(crate) fn is_deleted_at(&self, offset: usize) -> bool {
        self.data[offset] & FLAG_DELETED != 0
    }

    /// Marks the entry whose head byte is at `offset` deleted and updates the counters.
    pub(crate) fn mark_deleted(&mut self, offset: usize) {
        debug_assert!(!self.is_deleted_at(offset));
        self.data[offset] |= FLAG_DELETED;
        self.live -= 1;
        self.deleted += 1;
    }

    pub(crate) fn total_entries(&self) -> usize {
        self.live as usize + self.deleted as usize
    }
}

/// The ID the first entry of a block is delta-coded against.
fn virtual_previous(master: StreamId) -> StreamId {
    StreamId::new(master.ms, master.seq.wrapping_sub(1))
}

/// An entry as decoded from a block.
#[derive(Clone, Copy)]
pub(crate) struct RawEntry<'a> {
    pub(crate) id: StreamId,
    /// Offset of the head byte in the block.
    pub(crate) offset: usize,
    pub(crate) deleted: bool,
    pub(crate) entry: EntryRef<'a>,
}

/// Decodes the entries of a block front to back.
pub(crate) struct BlockCursor<'a> {
    data: &'a [u8],
    pos: usize,
    prev: StreamId,
    master_fields: &'a [u8],
    master_count: usize,
}

impl<'a> Iterator for BlockCursor<'a> {
    type Item = RawEntry<'a>;

    #[inline]
    fn next(&mut self) -> Option<RawEntry<'a>> {
        let data = self.data;
        if self.pos >= data.len() {
            return None;
        }
        let offset = self.pos;
        let head = data[offset];
        let mut pos = offset + 1;
        let id = if head & FLAG_SEQ_NEXT != 0 {
            StreamId::new(self.prev.ms, self.prev.seq.wrapping_add(1))
        } else {
            let mut ms_delta = u64::from(head >> 3);
            if ms_delta == MS_DELTA_ESCAPE {
                ms_delta += read_varint(data, &mut pos);
            }
            let seq = read_varint(data, &mut pos);
            if ms_delta == 0 {
                StreamId::new(
                    self.prev.ms,
                    self.prev.seq.wrapping_add(1).wrapping_add(seq),
                )
            } else {
                StreamId::new(self.prev.ms.wrapping_add(ms_delta), seq)
            }
        };
        let same_fields = head & FLAG_SAME_FIELDS != 0;
        let (pairs, elements) = if same_fields {
            (self.master_count, self.master_count)
        } else {
            let pairs = read_varint(data, &mut pos) as usize;
            (pairs, pairs * 2)
        };
        let body_start = pos;
        for _ in 0..elements {
            skip_element(data, &mut pos);
        }
        self.pos = pos;
        self.prev = id;
        Some(RawEntry {
            id,
            offset,
            deleted: head & FLAG_DELETED != 0,
            entry: EntryRef {
                master_fields: if same_fields { self.master_fields } else { &[] },
                body: &data[body_start..pos],
                pairs,
                same_fields,
            },
        })
    }
}

/// A borrowed view of one entry's field/value pairs. Iterating it yields `(field, value)` as
/// [`Element`]s, which dereference to `&[u8]`; nothing is copied except number-coded
/// elements, which are rebuilt in a 20-byte stack buffer.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    master_fields: &'a [u8],
    body: &'a [u8],
    pairs: usize,
    same_fields: bool,
}

impl<'a> EntryRef<'a> {
    /// Number of field/value pairs.
    pub fn len(&self) -> usize {
        self.pairs
    }

    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    pub fn iter(&self) -> EntryPairs<'a> {
        EntryPairs {
            master_fields: self.master_fields,
            field_pos: 0,
            body: self.body,
            body_pos: 0,
            remaining: self.pairs,
            same_fields: self.same_fields,
        }
    }

    /// Copies the pairs out (for tests and callers that need ownership).
    pub fn to_vec(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.iter()
            .map(|(field, value)| (field.to_vec(), value.to_vec()))
            .collect()
    }
}

impl fmt::Debug for EntryRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for EntryRef<'a> {
    type Item = (Element<'a>, Element<'a>);
    type IntoIter = EntryPairs<'a>;
    fn into_iter(self) -> EntryPairs<'a> {
        self.iter()
    }
}

pub struct EntryPairs<'a> {
    master_fields: &'a [u8],
    field_pos: usize,
    body: &'a [u8],
    body_pos: usize,
    remaining: usize,
    same_fields: bool,
}

impl<'a> Iterator for EntryPairs<'a> {
    type Item = (Element<'a>, Element<'a>);

    #[inline]
    fn next(&mut self) -> Option<(Element<'a>, Element<'a>)> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let field = if self.same_fields {
            decode_element(self.master_fields, &mut self.field_pos)
        } else {
            decode_element(self.body, &mut self.body_pos)
        };
        let value = decode_element(self.body, &mut self.body_pos);
        Some((field, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for EntryPairs<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(s: &[u8]) -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        encode_element(&mut out, s);
        let mut pos = 0;
        let decoded = decode_element(&out, &mut pos).to_vec();
        assert_eq!(pos, out.len());
        let mut skip = 0;
        skip_element(&out, &mut skip);
        assert_eq!(skip, out.len());
        (decoded, out.len())
    }

    #[test]
    fn elements_roundtrip_exactly() {
        let cases: &[&[u8]] = &[
            b"",
            b"v",
            b"0",
            b"00",
            b"007",
            b"000000123456",
            b"1234567890123456789",
            b"9999999999999999999",
            b"12345678901234567890",
            b"-",
            b"-0",
            b"-00",
            b"-1",
            b"-9999999999999999999",
            b"--1",
            b"+1",
            b"1.5",
            b" 1",
            b"1 ",
            b"\0\xff",
        ];
        for &case in cases {
            assert_eq!(roundtrip(case).0, case, "{case:?}");
        }
        let long = vec![b'x'; 300];
        assert_eq!(roundtrip(&long), (long.clone(), 302));
    }

    #[test]
    fn number_coding_is_compact() {
        assert_eq!(roundtrip(b"000000123456").1, 4);
        assert_eq!(roundtrip(b"v").1, 2);
        assert_eq!(roundtrip(b"5").1, 2);
        assert_eq!(roundtrip(b"-5").1, 2);
        assert_eq!(roundtrip(b"1234567890123456789").1, 10);
        // 20 digits do not fit the number form.
        assert_eq!(roundtrip(b"12345678901234567890").1, 21);
    }

    #[test]
    fn varints() {
        for v in [0, 1, 127, 128, 300, 1 << 35, u64::MAX - 1, u64::MAX] {
            let mut out = Vec::new();
            write_varint(&mut out, v);
            let mut pos = 0;
            assert_eq!(read_varint(&out, &mut pos), v);
            assert_eq!(pos, out.len());
        }
    }

    type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

    fn decode_all(block: &Block, master: StreamId) -> Vec<(StreamId, bool, Pairs)> {
        block
            .entries(master)
            .map(|e| (e.id, e.deleted, e.entry.to_vec()))
            .collect()
    }

    fn pairs(list: &[&[u8]]) -> Pairs {
        list.chunks(2)
            .map(|c| (c[0].to_vec(), c[1].to_vec()))
            .collect()
    }

    #[test]
    fn block_ids_and_fields() {
        let master = StreamId::new(1000, 0);
        let fv: [&[u8]; 4] = [b"f1", b"000000000042", b"f2", b"v"];
        let mut block = Block::new(master, &fv);
        let ids = [
            StreamId::new(1000, 1),
            StreamId::new(1000, 5),
            StreamId::new(1001, 0),
            StreamId::new(1040, 7),
            StreamId::new(u64::MAX - 1, u64::MAX),
            StreamId::new(u64::MAX, 3),
        ];
        for id in ids {
            assert!(block.has_master_fields(&fv));
            block.push(id, &fv, true);
        }
        let other: [&[u8]; 2] = [b"x", b"-12"];
        assert!(!block.has_master_fields(&other));
        let id = StreamId::MAX;
        block.push(id, &other, false);
        let empty: [&[u8]; 0] = [];
        assert!(!block.has_master_fields(&empty));
        block.push(StreamId::new(7, 7), &empty, false);
        assert_eq!(block.live, 9);

        let decoded = decode_all(&block, master);
        let mut expected_ids = vec![master];
        expected_ids.extend(ids);
        expected_ids.push(StreamId::MAX);
        expected_ids.push(StreamId::new(7, 7));
        assert_eq!(
            decoded.iter().map(|d| d.0).collect::<Vec<_>>(),
            expected_ids
        );
        for d in &decoded[..7] {
            assert_eq!(d.2, pairs(&fv));
        }
        assert_eq!(decoded[7].2, pairs(&other));
        assert!(decoded[8].2.is_empty());
        assert_eq!(block.last, StreamId::new(7, 7));
    }

    #[test]
    fn first_entry_with_zero_sequence() {
        let fv: [&[u8]; 2] = [b"a", b"b"];
        let block = Block::new(StreamId::new(5, 0), &fv);
        assert_eq!(
            decode_all(&block, StreamId::new(5, 0))[0].0,
            StreamId::new(5, 0)
        );
        let block = Block::new(StreamId::MIN, &fv);
        assert_eq!(decode_all(&block, StreamId::MIN)[0].0, StreamId::MIN);
    }

    #[test]
    fn marking_deleted_keeps_layout() {
        let fv: [&[u8]; 2] = [b"a", b"1"];
        let master = StreamId::new(1, 1);
        let mut block = Block::new(master, &fv);
        block.push(StreamId::new(1, 2), &fv, true);
        block.push(StreamId::new(2, 0), &fv, true);
        let before = block.data.len();
        let offset = decode_all(&block, master).len();
        assert_eq!(offset, 3);
        let second = block.entries(master).nth(1).unwrap().offset;
        block.mark_deleted(second);
        assert_eq!(block.data.len(), before);
        assert_eq!((block.live, block.deleted), (2, 1));
        let decoded = decode_all(&block, master);
        assert_eq!(
            decoded.iter().map(|d| (d.0, d.1)).collect::<Vec<_>>(),
            vec![
                (StreamId::new(1, 1), false),
                (StreamId::new(1, 2), true),
                (StreamId::new(2, 0), false)
            ]
        );
        assert!(block.is_deleted_at(second));
        assert_eq!(block.total_entries(), 3);
    }

    #[test]
    fn benchmark_shaped_entries_are_small() {
        // XADD key * f1 <12-digit> f2 v, many entries in the same millisecond.
        let master = StreamId::new(1_700_000_000_000, 0);
        let mut block = Block::new(master, &[&b"f1"[..], b"000000654321", b"f2", b"v"]);
        let header_and_first = block.data.len();
        for seq in 1..100u64 {
            let value = format!("{:012}", seq * 9973 % 1_000_000);
            block.push(
                StreamId::new(master.ms, seq),
                &[&b"f1"[..], value.as_bytes(), b"f2", b"v"],
                true,
            );
        }
        let per_entry = (block.data.len() - header_and_first) as f64 / 99.0;
        assert!(per_entry <= 7.0, "{per_entry}");
    }
}
