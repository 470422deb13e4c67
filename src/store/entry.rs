//! Compact keyspace entries: one heap block per key holding the key, its metadata and (for
//! strings) its value.
//!
//! A Redis keyspace is dominated by small keys with small string values, so the per-key overhead
//! decides memory use. Instead of a hash-map node holding a boxed key and a boxed value object
//! (three allocations, ~100 bytes of overhead in Redis), every key is one block:
//!
//! ```text
//! [kind u8][flags u8][lru 3 bytes][expire i64 if FLAG_EXPIRE][varint key len][key][payload]
//! payload: KIND_INT    -> i64, 8 bytes little-endian
//!          KIND_EMB    -> varint len + the string bytes, inline
//!          other kinds -> 8-byte pointer to a Box of the collection (or of a Vec<u8> for
//!                         strings that are modified in place: APPEND, SETRANGE, SETBIT)
//! ```
//!
//! A block is addressed by a thin pointer ([`EntryPtr`]); the table stores only that pointer.
//! Blocks are immutable in size: changing a string or adding a TTL builds a new block (cheap for
//! the small strings that live inline), so the table slot is updated with the returned pointer.
//! The LRU field holds Redis's 24-bit LRU clock or, under an LFU policy, 16 bits of minutes plus
//! an 8-bit logarithmic counter, exactly like `robj.lru`.

use std::alloc::{Layout, alloc, dealloc};
use std::ptr::NonNull;

use crate::types::{Hash, List, Set, Stream, ZSet};

pub const KIND_INT: u8 = 0;
pub const KIND_EMB: u8 = 1;
pub const KIND_VEC: u8 = 2;
pub const KIND_LIST: u8 = 3;
pub const KIND_HASH: u8 = 4;
pub const KIND_SET: u8 = 5;
pub const KIND_ZSET: u8 = 6;
pub const KIND_STREAM: u8 = 7;

const FLAG_EXPIRE: u8 = 1;
const HDR: usize = 5;

/// Strings up to this length set with SET are reported as "embstr" (Redis's limit).
pub const EMBSTR_MAX: usize = 44;

/// An owned value, as inserted into the keyspace.
pub enum Value {
    /// A string; stored as an integer when it is one in canonical form, like Redis.
    Str(Vec<u8>),
    /// A string that will be modified in place (keeps its buffer; encoding "raw").
    RawStr(Vec<u8>),
    Int(i64),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
    Stream(Box<Stream>),
}

/// A borrowed view of a stored value.
pub enum ValueRef<'a> {
    Str(&'a [u8]),
    Int(i64),
    List(&'a List),
    Hash(&'a Hash),
    Set(&'a Set),
    ZSet(&'a ZSet),
    Stream(&'a Stream),
}

/// A mutable view of a stored collection (strings are changed through the keyspace API).
pub enum ValueMut<'a> {
    Str,
    List(&'a mut List),
    Hash(&'a mut Hash),
    Set(&'a mut Set),
    ZSet(&'a mut ZSet),
    Stream(&'a mut Stream),
}

/// The Redis type of a value, as TYPE reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    String,
    List,
    Hash,
    Set,
    ZSet,
    Stream,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Hash => "hash",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
            ValueType::Stream => "stream",
        }
    }

    /// Parses a TYPE name (SCAN's TYPE option), case-insensitively.
    pub fn from_name(s: &[u8]) -> Option<ValueType> {
        Some(match s.to_ascii_lowercase().as_slice() {
            b"string" => ValueType::String,
            b"list" => ValueType::List,
            b"hash" => ValueType::Hash,
            b"set" => ValueType::Set,
            b"zset" => ValueType::ZSet,
            b"stream" => ValueType::Stream,
            _ => return None,
        })
    }
}

impl Value {
    fn kind(&self) -> u8 {
        match self {
            Value::Str(s) => {
                if string_as_int(s).is_some() {
                    KIND_INT
                } else {
                    KIND_EMB
                }
            }
            Value::RawStr(_) => KIND_VEC,
            Value::Int(_) => KIND_INT,
            Value::List(_) => KIND_LIST,
            Value::Hash(_) => KIND_HASH,
            Value::Set(_) => KIND_SET,
            Value::ZSet(_) => KIND_ZSET,
            Value::Stream(_) => KIND_STREAM,
        }
    }

    /// Builds a string value from bytes.
    pub fn str(s: &[u8]) -> Value {
        Value::Str(s.to_vec())
    }
}

/// The integer a string holds if Redis would store it with the "int" encoding.
pub fn string_as_int(s: &[u8]) -> Option<i64> {
    if s.len() > 20 || s.is_empty() {
        return None;
    }
    crate::util::num::parse_i64(s)
}

fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Writes a varint at `p`, returns bytes written.
///
/// # Safety
/// `p` must be valid for `varint_len(v)` bytes of writes.
unsafe fn put_varint(p: *mut u8, mut v: usize) -> usize {
    let mut i = 0;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        // SAFETY: the caller sized the buffer with varint_len.
        unsafe {
            if v == 0 {
                *p.add(i) = b;
                return i + 1;
            }
            *p.add(i) = b | 0x80;
        }
        i += 1;
    }
}

/// Reads a varint at `p`, returns (value, bytes read).
///
/// # Safety
/// `p` must point at a varint written by `put_varint`.
unsafe fn get_varint(p: *const u8) -> (usize, usize) {
    let mut v = 0usize;
    let mut shift = 0;
    let mut i = 0;
    loop {
        // SAFETY: the varint is complete inside the block.
        let b = unsafe { *p.add(i) };
        v |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (v, i);
        }
        shift += 7;
    }
}

/// Thin pointer to an entry block. Not `Copy` on purpose: it owns the block.
#[derive(Debug)]
pub struct EntryPtr(NonNull<u8>);

// SAFETY: an entry is plain owned data (bytes and owned boxes of Send types); access is
// serialised by the shard mutex that owns the table holding it.
unsafe impl Send for EntryPtr {}

struct Parts {
    key_off: usize,
    key_len: usize,
    payload_off: usize,
    size: usize,
}

impl EntryPtr {
    /// Allocates a block for `key` holding `value`.
    pub fn new(key: &[u8], value: Value, expire: Option<i64>, lru: u32) -> EntryPtr {
        let kind = value.kind();
        let emb: Option<&[u8]> = match &value {
            Value::Str(s) if kind == KIND_EMB => Some(s),
            _ => None,
        };
        let payload = match kind {
            KIND_INT => 8,
            KIND_EMB => {
                let n = emb.map_or(0, |s| s.len());
                varint_len(n) + n
            }
            _ => 8,
        };
        let exp_len = if expire.is_some() { 8 } else { 0 };
        let size = HDR + exp_len + varint_len(key.len()) + key.len() + payload;
        let layout = Layout::from_size_align(size, 8).expect("entry layout");
        // SAFETY: size > 0 (header alone is 5 bytes).
        let p = unsafe { alloc(layout) };
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        // SAFETY: every write below stays within the `size` bytes computed above, in the same
        // order the size was computed.
        unsafe {
            *p = kind;
            *p.add(1) = if expire.is_some() { FLAG_EXPIRE } else { 0 };
            *p.add(2) = lru as u8;
            *p.add(3) = (lru >> 8) as u8;
            *p.add(4) = (lru >> 16) as u8;
            let mut off = HDR;
            if let Some(e) = expire {
                std::ptr::write_unaligned(p.add(off) as *mut i64, e);
                off += 8;
            }
            off += put_varint(p.add(off), key.len());
            std::ptr::copy_nonoverlapping(key.as_ptr(), p.add(off), key.len());
            off += key.len();
            match value {
                Value::Int(v) => std::ptr::write_unaligned(p.add(off) as *mut i64, v),
                Value::Str(s) => {
                    if kind == KIND_INT {
                        let v = string_as_int(&s).expect("checked");
                        std::ptr::write_unaligned(p.add(off) as *mut i64, v);
                    } else {
                        off += put_varint(p.add(off), s.len());
                        std::ptr::copy_nonoverlapping(s.as_ptr(), p.add(off), s.len());
                    }
                }
                Value::RawStr(s) => std::ptr::write_unaligned(
                    p.add(off) as *mut *mut Vec<u8>,
                    Box::into_raw(Box::new(s)),
                ),
                Value::List(b) => {
                    std::ptr::write_unaligned(p.add(off) as *mut *mut List, Box::into_raw(b))
                }
                Value::Hash(b) => {
                    std::ptr::write_unaligned(p.add(off) as *mut *mut Hash, Box::into_raw(b))
                }
                Value::Set(b) => {
                    std::ptr::write_unaligned(p.add(off) as *mut *mut Set, Box::into_raw(b))
                }
                Value::ZSet(b) => {
                    std::ptr::write_unaligned(p.add(off) as *mut *mut ZSet, Box::into_raw(b))
                }
                Value::Stream(b) => {
                    std::ptr::write_unaligned(p.add(off) as *mut *mut Stream, Box::into_raw(b))
                }
            }
            EntryPtr(NonNull::new_unchecked(p))
        }
    }

    /// Reconstructs an entry from its raw address (as stored in a table slot).
    ///
    /// # Safety
    /// `addr` must come from [`EntryPtr::into_raw`] of a live entry, and ownership transfers.
    pub unsafe fn from_raw(addr: usize) -> EntryPtr {
        // SAFETY: the caller guarantees addr is a live, non-null entry pointer.
        EntryPtr(unsafe { NonNull::new_unchecked(addr as *mut u8) })
    }

    /// Gives up ownership, returning the address.
    pub fn into_raw(self) -> usize {
        let a = self.0.as_ptr() as usize;
        std::mem::forget(self);
        a
    }

    fn p(&self) -> *mut u8 {
        self.0.as_ptr()
    }

    fn parts(&self) -> Parts {
        let p = self.p();
        // SAFETY: the block was written by `new` with exactly this layout.
        unsafe {
            let mut off = HDR;
            if *p.add(1) & FLAG_EXPIRE != 0 {
                off += 8;
            }
            let (klen, n) = get_varint(p.add(off));
            off += n;
            let key_off = off;
            let payload_off = off + klen;
            let size = match *p {
                KIND_EMB => {
                    let (vlen, n) = get_varint(p.add(payload_off));
                    payload_off + n + vlen
                }
                _ => payload_off + 8,
            };
            Parts {
                key_off,
                key_len: klen,
                payload_off,
                size,
            }
        }
    }

    pub fn kind(&self) -> u8 {
        // SAFETY: byte 0 always exists.
        unsafe { *self.p() }
    }

    pub fn key(&self) -> &[u8] {
        let pt = self.parts();
        // SAFETY: key bytes lie within the block; the borrow is tied to &self.
        unsafe { std::slice::from_raw_parts(self.p().add(pt.key_off), pt.key_len) }
    }

    pub fn expire(&self) -> Option<i64> {
        // SAFETY: header bytes exist; the expire field exists when the flag says so.
        unsafe {
            if *self.p().add(1) & FLAG_EXPIRE != 0 {
                Some(std::ptr::read_unaligned(self.p().add(HDR) as *const i64))
            } else {
                None
            }
        }
    }

    /// Overwrites an existing expire time in place (the entry must already have one).
    pub fn set_expire_in_place(&mut self, at: i64) {
        debug_assert!(self.expire().is_some());
        // SAFETY: the expire field exists (checked by the caller via expire()).
        unsafe { std::ptr::write_unaligned(self.p().add(HDR) as *mut i64, at) }
    }

    pub fn lru(&self) -> u32 {
        // SAFETY: header bytes exist.
        unsafe {
            let p = self.p();
            (*p.add(2) as u32) | ((*p.add(3) as u32) << 8) | ((*p.add(4) as u32) << 16)
        }
    }

    pub fn set_lru(&mut self, v: u32) {
        // SAFETY: header bytes exist and we hold &mut.
        unsafe {
            let p = self.p();
            *p.add(2) = v as u8;
            *p.add(3) = (v >> 8) as u8;
            *p.add(4) = (v >> 16) as u8;
        }
    }

    fn payload_ptr<T>(&self) -> *mut T {
        let pt = self.parts();
        // SAFETY: for pointer kinds the payload is an 8-byte pointer written by `new`.
        unsafe { std::ptr::read_unaligned(self.p().add(pt.payload_off) as *const *mut T) }
    }

    pub fn value(&self) -> ValueRef<'_> {
        let pt = self.parts();
        let p = self.p();
        // SAFETY: the kind byte says what the payload holds; pointers are live boxes owned by
        // this entry, borrowed for the lifetime of &self.
        unsafe {
            match *p {
                KIND_INT => {
                    ValueRef::Int(std::ptr::read_unaligned(p.add(pt.payload_off) as *const i64))
                }
                KIND_EMB => {
                    let (vlen, n) = get_varint(p.add(pt.payload_off));
                    ValueRef::Str(std::slice::from_raw_parts(p.add(pt.payload_off + n), vlen))
                }
                KIND_VEC => ValueRef::Str(&*self.payload_ptr::<Vec<u8>>()),
                KIND_LIST => ValueRef::List(&*self.payload_ptr::<List>()),
                KIND_HASH => ValueRef::Hash(&*self.payload_ptr::<Hash>()),
                KIND_SET => ValueRef::Set(&*self.payload_ptr::<Set>()),
                KIND_ZSET => ValueRef::ZSet(&*self.payload_ptr::<ZSet>()),
                _ => ValueRef::Stream(&*self.payload_ptr::<Stream>()),
            }
        }
    }

    pub fn value_mut(&mut self) -> ValueMut<'_> {
        // SAFETY: as in `value`, with exclusive access through &mut self.
        unsafe {
            match self.kind() {
                KIND_INT | KIND_EMB | KIND_VEC => ValueMut::Str,
                KIND_LIST => ValueMut::List(&mut *self.payload_ptr::<List>()),
                KIND_HASH => ValueMut::Hash(&mut *self.payload_ptr::<Hash>()),
                KIND_SET => ValueMut::Set(&mut *self.payload_ptr::<Set>()),
                KIND_ZSET => ValueMut::ZSet(&mut *self.payload_ptr::<ZSet>()),
                _ => ValueMut::Stream(&mut *self.payload_ptr::<Stream>()),
            }
        }
    }

    /// The in-place string buffer of a KIND_VEC entry.
    pub fn vec_mut(&mut self) -> Option<&mut Vec<u8>> {
        if self.kind() != KIND_VEC {
            return None;
        }
        // SAFETY: KIND_VEC payload is a live Box<Vec<u8>> owned by this entry.
        Some(unsafe { &mut *self.payload_ptr::<Vec<u8>>() })
    }

    pub fn value_type(&self) -> ValueType {
        match self.kind() {
            KIND_INT | KIND_EMB | KIND_VEC => ValueType::String,
            KIND_LIST => ValueType::List,
            KIND_HASH => ValueType::Hash,
            KIND_SET => ValueType::Set,
            KIND_ZSET => ValueType::ZSet,
            _ => ValueType::Stream,
        }
    }

    /// Takes the value out, leaving the entry to be freed without its payload.
    pub fn take_value(self) -> Value {
        let pt = self.parts();
        let p = self.p();
        // SAFETY: we read the payload according to its kind and then free only the block.
        let v = unsafe {
            match *p {
                KIND_INT => {
                    Value::Int(std::ptr::read_unaligned(p.add(pt.payload_off) as *const i64))
                }
                KIND_EMB => {
                    let (vlen, n) = get_varint(p.add(pt.payload_off));
                    Value::Str(std::slice::from_raw_parts(p.add(pt.payload_off + n), vlen).to_vec())
                }
                KIND_VEC => Value::RawStr(*Box::from_raw(self.payload_ptr::<Vec<u8>>())),
                KIND_LIST => Value::List(Box::from_raw(self.payload_ptr::<List>())),
                KIND_HASH => Value::Hash(Box::from_raw(self.payload_ptr::<Hash>())),
                KIND_SET => Value::Set(Box::from_raw(self.payload_ptr::<Set>())),
                KIND_ZSET => Value::ZSet(Box::from_raw(self.payload_ptr::<ZSet>())),
                _ => Value::Stream(Box::from_raw(self.payload_ptr::<Stream>())),
            }
        };
        // SAFETY: the payload ownership moved into `v`; free just the block.
        unsafe { dealloc(p, Layout::from_size_align_unchecked(pt.size, 8)) };
        std::mem::forget(self);
        v
    }

    /// Returns a new entry with the same key, LRU and the given value/expire; frees this one
    /// (its old payload included).
    pub fn replace(self, value: Value, expire: Option<i64>) -> EntryPtr {
        let new = EntryPtr::new(self.key(), value, expire, self.lru());
        drop(self);
        new
    }

    /// Returns a new entry with the same key/value and a different expire.
    pub fn with_expire(self, expire: Option<i64>) -> EntryPtr {
        let key = self.key().to_vec();
        let lru = self.lru();
        let v = self.take_value();
        EntryPtr::new(&key, v, expire, lru)
    }

    /// Heap bytes used by this entry and its value (MEMORY USAGE).
    pub fn mem_usage(&self) -> usize {
        let block = self.parts().size;
        block
            + match self.value() {
                ValueRef::Str(s) if self.kind() == KIND_VEC => 24 + s.len(),
                ValueRef::Str(_) | ValueRef::Int(_) => 0,
                ValueRef::List(l) => l.mem_usage(),
                ValueRef::Hash(h) => h.mem_usage(),
                ValueRef::Set(s) => s.mem_usage(),
                ValueRef::ZSet(z) => z.mem_usage(),
                ValueRef::Stream(s) => s.mem_usage(),
            }
    }

    /// OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self.value() {
            ValueRef::Int(_) => "int",
            ValueRef::Str(s) => {
                if self.kind() == KIND_EMB && s.len() <= EMBSTR_MAX {
                    "embstr"
                } else {
                    "raw"
                }
            }
            ValueRef::List(l) => l.encoding(),
            ValueRef::Hash(h) => h.encoding(),
            ValueRef::Set(s) => s.encoding(),
            ValueRef::ZSet(z) => z.encoding(),
            ValueRef::Stream(_) => "stream",
        }
    }
}

impl Drop for EntryPtr {
    fn drop(&mut self) {
        let pt = self.parts();
        // SAFETY: we own the block and its payload box (if any); each is freed exactly once.
        unsafe {
            match self.kind() {
                KIND_VEC => drop(Box::from_raw(self.payload_ptr::<Vec<u8>>())),
                KIND_LIST => drop(Box::from_raw(self.payload_ptr::<List>())),
                KIND_HASH => drop(Box::from_raw(self.payload_ptr::<Hash>())),
                KIND_SET => drop(Box::from_raw(self.payload_ptr::<Set>())),
                KIND_ZSET => drop(Box::from_raw(self.payload_ptr::<ZSet>())),
                KIND_STREAM => drop(Box::from_raw(self.payload_ptr::<Stream>())),
                _ => {}
            }
            dealloc(self.p(), Layout::from_size_align_unchecked(pt.size, 8));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_roundtrip() {
        let e = EntryPtr::new(b"key", Value::str(b"hello"), None, 7);
        assert_eq!(e.key(), b"key");
        assert!(matches!(e.value(), ValueRef::Str(b"hello")));
        assert_eq!(e.expire(), None);
        assert_eq!(e.lru(), 7);
        assert_eq!(e.encoding(), "embstr");
        let e = e.with_expire(Some(12345));
        assert_eq!(e.expire(), Some(12345));
        assert_eq!(e.key(), b"key");
        assert!(matches!(e.value(), ValueRef::Str(b"hello")));
        let e = e.replace(Value::str(b"123"), Some(1));
        assert!(matches!(e.value(), ValueRef::Int(123)));
        assert_eq!(e.encoding(), "int");
        let e = e.replace(Value::RawStr(b"abc".to_vec()), None);
        assert_eq!(e.encoding(), "raw");
        let mut e = e;
        e.vec_mut().unwrap().extend_from_slice(b"def");
        assert!(matches!(e.value(), ValueRef::Str(b"abcdef")));
        let long = vec![b'x'; 300];
        let key = vec![0u8; 200];
        let e = EntryPtr::new(&key, Value::Str(long.clone()), Some(-5), 0xffffff);
        assert_eq!(e.key(), key.as_slice());
        assert_eq!(e.lru(), 0xffffff);
        assert_eq!(e.expire(), Some(-5));
        assert_eq!(e.encoding(), "raw");
        match e.take_value() {
            Value::Str(v) => assert_eq!(v, long),
            _ => panic!("wrong value"),
        }
    }

    #[test]
    fn int_encoding_rules() {
        assert_eq!(string_as_int(b"-1"), Some(-1));
        assert_eq!(string_as_int(b"01"), None);
        assert_eq!(string_as_int(b" 1"), None);
        assert_eq!(string_as_int(b""), None);
    }
}
