//! Redis's RDB format: writing (version 10, which Redis 7.0 and later load) and reading
//! (versions up to 11, every encoding Redis 7.0-7.2 writes plus the older ziplist/intset/
//! quicklist ones), for whole snapshot files and for DUMP/RESTORE payloads.
//!
//! Values are written in the simplest encoding a Redis 7.0 loader accepts: strings (integer
//! encoded or LZF-compressed where Redis would), lists as quicklist-2 nodes of listpacks,
//! sets/hashes as plain element sequences, sorted sets as `ZSET_2` (binary doubles), streams
//! as `STREAM_LISTPACKS_2` with consumer groups. Redis re-encodes small collections to
//! listpacks/intsets itself when it loads them.

use super::codec::{self, Elem, ListpackWriter};
use crate::store::entry::{Value, ValueRef, string_as_int};
use crate::types::stream::{LoadedConsumer, LoadedGroup, StreamId};
use crate::types::{Hash, List, Set, Stream, ZSet};

/// The version we write.
pub const RDB_VERSION: u16 = 10;
/// The newest version we read (Redis 7.2).
pub const RDB_MAX_VERSION: u16 = 11;

pub const T_STRING: u8 = 0;
pub const T_LIST: u8 = 1;
pub const T_SET: u8 = 2;
pub const T_ZSET: u8 = 3;
pub const T_HASH: u8 = 4;
pub const T_ZSET_2: u8 = 5;
pub const T_HASH_ZIPMAP: u8 = 9;
pub const T_LIST_ZIPLIST: u8 = 10;
pub const T_SET_INTSET: u8 = 11;
pub const T_ZSET_ZIPLIST: u8 = 12;
pub const T_HASH_ZIPLIST: u8 = 13;
pub const T_LIST_QUICKLIST: u8 = 14;
pub const T_STREAM_LISTPACKS: u8 = 15;
pub const T_HASH_LISTPACK: u8 = 16;
pub const T_ZSET_LISTPACK: u8 = 17;
pub const T_LIST_QUICKLIST_2: u8 = 18;
pub const T_STREAM_LISTPACKS_2: u8 = 19;
pub const T_SET_LISTPACK: u8 = 20;
pub const T_STREAM_LISTPACKS_3: u8 = 21;

pub const OP_FUNCTION2: u8 = 0xF5;
/// The aux-field name under which `load_file` returns a function library's code.
pub const FUNCTION_AUX: &[u8] = b"\0function";
pub const OP_FUNCTION_PRE_GA: u8 = 0xF6;
pub const OP_MODULE_AUX: u8 = 0xF7;
pub const OP_IDLE: u8 = 0xF8;
pub const OP_FREQ: u8 = 0xF9;
pub const OP_AUX: u8 = 0xFA;
pub const OP_RESIZEDB: u8 = 0xFB;
pub const OP_EXPIRETIME_MS: u8 = 0xFC;
pub const OP_EXPIRETIME: u8 = 0xFD;
pub const OP_SELECTDB: u8 = 0xFE;
pub const OP_EOF: u8 = 0xFF;

/// Elements per listpack node of a saved list (Redis's default `list-max-listpack-size -2`
/// is 8 KB; 128 small elements stay well below it).
const LIST_NODE_ELEMS: usize = 128;
const LIST_NODE_BYTES: usize = 8192;

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

pub fn put_len(out: &mut Vec<u8>, n: u64) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else if n <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn put_int_encoded(out: &mut Vec<u8>, v: i64) -> bool {
    if (i8::MIN as i64..=i8::MAX as i64).contains(&v) {
        out.push(0xC0);
        out.push(v as i8 as u8);
    } else if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
        out.push(0xC1);
        out.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        out.push(0xC2);
        out.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        return false;
    }
    true
}

/// A string as Redis writes it: integer-encoded when it is a small canonical integer,
/// LZF-compressed when longer than 20 bytes and compressible (with `compress`).
pub fn put_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11
        && let Some(v) = string_as_int(s)
        && put_int_encoded(out, v)
    {
        return;
    }
    if compress
        && s.len() > 20
        && let Some(c) = codec::lzf_compress(s, s.len() - 4)
    {
        out.push(0xC3);
        put_len(out, c.len() as u64);
        put_len(out, s.len() as u64);
        out.extend_from_slice(&c);
        return;
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

fn put_int_string(out: &mut Vec<u8>, v: i64) {
    if !put_int_encoded(out, v) {
        let s = v.to_string();
        put_len(out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
}

fn put_stream_id_raw(out: &mut Vec<u8>, id: StreamId) {
    out.extend_from_slice(&id.ms.to_be_bytes());
    out.extend_from_slice(&id.seq.to_be_bytes());
}

/// Writes a value's type byte and body. Returns nothing: every value has an encoding.
pub fn put_value(out: &mut Vec<u8>, v: &ValueRef<'_>, compress: bool) {
    match v {
        ValueRef::Str(s) => {
            out.push(T_STRING);
            put_string(out, s, compress);
        }
        ValueRef::Int(i) => {
            out.push(T_STRING);
            put_int_string(out, *i);
        }
        ValueRef::List(l) => {
            out.push(T_LIST_QUICKLIST_2);
            put_list(out, l, compress);
        }
        ValueRef::Set(s) => {
            out.push(T_SET);
            put_len(out, s.len() as u64);
            for m in s.iter() {
                match m.as_int() {
                    Some(i) => put_int_string(out, i),
                    None => put_string(out, &m.as_bytes(), compress),
                }
            }
        }
        ValueRef::ZSet(z) => {
            out.push(T_ZSET_2);
            put_len(out, z.len() as u64);
            // Redis writes from the tail so that loading inserts at the head cheaply.
            for (m, score) in z.iter().rev() {
                put_string(out, m, compress);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        ValueRef::Hash(h) => {
            out.push(T_HASH);
            put_len(out, h.len() as u64);
            for (f, val) in h.iter() {
                put_string(out, f, compress);
                put_string(out, val, compress);
            }
        }
        ValueRef::Stream(s) => {
            out.push(T_STREAM_LISTPACKS_2);
            put_stream(out, s, compress);
        }
    }
}

fn put_list(out: &mut Vec<u8>, l: &List, compress: bool) {
    let mut nodes: Vec<Vec<u8>> = Vec::new();
    let mut w = ListpackWriter::new();
    let mut bytes = 0;
    for e in l.iter() {
        if !w.is_empty() && (w.len() >= LIST_NODE_ELEMS || bytes + e.len() > LIST_NODE_BYTES) {
            nodes.push(std::mem::take(&mut w).finish());
            bytes = 0;
        }
        bytes += e.len() + 2;
        w.push_str(e);
    }
    if !w.is_empty() {
        nodes.push(w.finish());
    }
    put_len(out, nodes.len() as u64);
    for n in nodes {
        put_len(out, 2); // QUICKLIST_NODE_CONTAINER_PACKED
        put_string(out, &n, compress);
    }
}

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn put_stream(out: &mut Vec<u8>, s: &Stream, compress: bool) {
    let max_entries = crate::types::stream::STREAM_NODE_MAX_ENTRIES
        .load(std::sync::atomic::Ordering::Relaxed)
        .clamp(1, 1000);
    let max_bytes = crate::types::stream::STREAM_NODE_MAX_BYTES
        .load(std::sync::atomic::Ordering::Relaxed)
        .clamp(256, 1 << 20);
    // Group live entries into nodes.
    struct Node {
        master: StreamId,
        fields: Vec<Vec<u8>>,
        entries: Vec<(StreamId, Pairs)>,
        bytes: usize,
    }
    let mut nodes: Vec<Node> = Vec::new();
    for (id, e) in s.range(StreamId::MIN, StreamId::MAX, false) {
        let pairs = e.to_vec();
        let size: usize = pairs
            .iter()
            .map(|(f, v)| f.len() + v.len() + 4)
            .sum::<usize>()
            + 8;
        let need_new = match nodes.last() {
            None => true,
            Some(n) => n.entries.len() >= max_entries || n.bytes + size > max_bytes,
        };
        if need_new {
            nodes.push(Node {
                master: id,
                fields: pairs.iter().map(|(f, _)| f.clone()).collect(),
                entries: Vec::new(),
                bytes: 0,
            });
        }
        let n = nodes.last_mut().expect("just pushed");
        n.bytes += size;
        n.entries.push((id, pairs));
    }
    put_len(out, nodes.len() as u64);
    for n in &nodes {
        let mut key = Vec::with_capacity(16);
        put_stream_id_raw(&mut key, n.master);
        put_string(out, &key, false);
        let mut w = ListpackWriter::new();
        w.push_int(n.entries.len() as i64);
        w.push_int(0);
        w.push_int(n.fields.len() as i64);
        for f in &n.fields {
            w.push_str(f);
        }
        w.push_int(0);
        for (id, pairs) in &n.entries {
            let same = pairs.len() == n.fields.len()
                && pairs.iter().zip(&n.fields).all(|((f, _), m)| f == m);
            w.push_int(if same { 2 } else { 0 });
            w.push_int(id.ms.wrapping_sub(n.master.ms) as i64);
            w.push_int(id.seq.wrapping_sub(n.master.seq) as i64);
            if same {
                for (_, v) in pairs {
                    w.push_str(v);
                }
                w.push_int(pairs.len() as i64 + 3);
            } else {
                w.push_int(pairs.len() as i64);
                for (f, v) in pairs {
                    w.push_str(f);
                    w.push_str(v);
                }
                w.push_int(2 * pairs.len() as i64 + 4);
            }
        }
        put_string(out, &w.finish(), compress);
    }
    let info = s.info();
    put_len(out, info.length);
    put_len(out, info.last_generated_id.ms);
    put_len(out, info.last_generated_id.seq);
    let first = s.recorded_first_entry_id();
    put_len(out, first.ms);
    put_len(out, first.seq);
    put_len(out, info.max_deleted_entry_id.ms);
    put_len(out, info.max_deleted_entry_id.seq);
    put_len(out, info.entries_added);
    put_len(out, s.groups_len() as u64);
    for (name, g) in s.groups() {
        put_string(out, name, false);
        put_len(out, g.last_delivered_id().ms);
        put_len(out, g.last_delivered_id().seq);
        put_len(out, g.entries_read().unwrap_or(u64::MAX));
        put_len(out, g.pending_len() as u64);
        for pe in g.pending() {
            put_stream_id_raw(out, pe.id);
            out.extend_from_slice(&pe.delivery_time.to_le_bytes());
            put_len(out, pe.delivery_count);
        }
        put_len(out, g.consumers_len() as u64);
        for c in g.consumers() {
            put_string(out, c.name(), false);
            out.extend_from_slice(&c.seen_time().to_le_bytes());
            put_len(out, c.pending_len() as u64);
            for id in c.pending_ids() {
                put_stream_id_raw(out, id);
            }
        }
    }
}

/// The header of an RDB file with Redis's usual aux fields.
pub fn file_header(out: &mut Vec<u8>, aux: &[(&str, String)]) {
    out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    for (k, v) in aux {
        out.push(OP_AUX);
        put_string(out, k.as_bytes(), false);
        put_string(out, v.as_bytes(), false);
    }
}

/// One key with its expire time, as it appears in an RDB file.
pub fn put_entry(
    out: &mut Vec<u8>,
    key: &[u8],
    v: &ValueRef<'_>,
    expire: Option<i64>,
    compress: bool,
) {
    if let Some(at) = expire {
        out.push(OP_EXPIRETIME_MS);
        out.extend_from_slice(&at.to_le_bytes());
    }
    // Type byte comes first, then the key, then the body: put_value writes type + body, so
    // splice the key in after the type byte.
    let start = out.len();
    put_value(out, v, compress);
    let body = out.split_off(start + 1);
    put_string(out, key, compress);
    out.extend_from_slice(&body);
}

/// A DUMP payload: type, body, RDB version (2 bytes LE), CRC64 (8 bytes LE).
pub fn dump_payload(v: &ValueRef<'_>, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    put_value(&mut out, v, compress);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = codec::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// A reader over a whole RDB buffer; errors carry the byte offset.
pub struct Reader<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

pub type RResult<T> = Result<T, String>;

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn err<T>(&self, what: &str) -> RResult<T> {
        Err(format!("{what} at offset {}", self.pos))
    }

    pub fn take(&mut self, n: usize) -> RResult<&'a [u8]> {
        if self.pos + n > self.buf.len() {
            return self.err("unexpected end of data");
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> RResult<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u64_le(&mut self) -> RResult<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }

    /// A length, or `Err` for a special encoding where a plain length is required.
    pub fn length(&mut self) -> RResult<u64> {
        match self.len_or_enc()? {
            (n, false) => Ok(n),
            _ => self.err("unexpected encoded length"),
        }
    }

    fn len_or_enc(&mut self) -> RResult<(u64, bool)> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => ((b & 0x3f) as u64, false),
            1 => ((((b & 0x3f) as u64) << 8) | self.u8()? as u64, false),
            2 => match b {
                0x80 => (
                    u32::from_be_bytes(self.take(4)?.try_into().expect("4")) as u64,
                    false,
                ),
                0x81 => (
                    u64::from_be_bytes(self.take(8)?.try_into().expect("8")),
                    false,
                ),
                _ => return self.err("bad length encoding"),
            },
            _ => ((b & 0x3f) as u64, true),
        })
    }

    pub fn string(&mut self) -> RResult<Vec<u8>> {
        let (n, enc) = self.len_or_enc()?;
        if !enc {
            return Ok(self.take(n as usize)?.to_vec());
        }
        match n {
            0 => Ok((self.u8()? as i8).to_string().into_bytes()),
            1 => Ok(i16::from_le_bytes(self.take(2)?.try_into().expect("2"))
                .to_string()
                .into_bytes()),
            2 => Ok(i32::from_le_bytes(self.take(4)?.try_into().expect("4"))
                .to_string()
                .into_bytes()),
            3 => {
                let clen = self.length()? as usize;
                let len = self.length()? as usize;
                let c = self.take(clen)?;
                match codec::lzf_decompress(c, len) {
                    Some(v) => Ok(v),
                    None => self.err("invalid LZF compressed string"),
                }
            }
            _ => self.err("unknown string encoding"),
        }
    }

    fn double_old(&mut self) -> RResult<f64> {
        let n = self.u8()?;
        Ok(match n {
            253 => f64::NAN,
            254 => f64::INFINITY,
            255 => f64::NEG_INFINITY,
            _ => {
                let s = self.take(n as usize)?;
                match std::str::from_utf8(s).ok().and_then(|s| s.parse().ok()) {
                    Some(v) => v,
                    None => return self.err("invalid double"),
                }
            }
        })
    }

    fn double_bin(&mut self) -> RResult<f64> {
        Ok(f64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }

    fn stream_id_raw(&mut self) -> RResult<StreamId> {
        let b = self.take(16)?;
        Ok(StreamId {
            ms: u64::from_be_bytes(b[0..8].try_into().expect("8")),
            seq: u64::from_be_bytes(b[8..16].try_into().expect("8")),
        })
    }

    /// Reads a value body of type `t`.
    pub fn value(&mut self, t: u8) -> RResult<Value> {
        match t {
            T_STRING => Ok(Value::Str(self.string()?)),
            T_LIST => {
                let n = self.length()?;
                let mut l = List::new();
                for _ in 0..n {
                    l.push_back(&self.string()?);
                }
                self.nonempty_list(l)
            }
            T_LIST_ZIPLIST => {
                let zl = self.string()?;
                let Some(es) = codec::ziplist_decode(&zl) else {
                    return self.err("invalid ziplist");
                };
                let mut l = List::new();
                for e in es {
                    l.push_back(&e.to_vec());
                }
                self.nonempty_list(l)
            }
            T_LIST_QUICKLIST | T_LIST_QUICKLIST_2 => {
                let nodes = self.length()?;
                let mut l = List::new();
                for _ in 0..nodes {
                    let container = if t == T_LIST_QUICKLIST_2 {
                        self.length()?
                    } else {
                        2
                    };
                    let data = self.string()?;
                    if container == 1 {
                        l.push_back(&data);
                        continue;
                    }
                    let es = if t == T_LIST_QUICKLIST {
                        codec::ziplist_decode(&data)
                    } else {
                        codec::listpack_decode(&data)
                    };
                    let Some(es) = es else {
                        return self.err("invalid quicklist node");
                    };
                    for e in es {
                        l.push_back(&e.to_vec());
                    }
                }
                self.nonempty_list(l)
            }
            T_SET => {
                let n = self.length()?;
                let mut s = Set::new();
                s.prepare_bulk_insert(n as usize);
                for _ in 0..n {
                    let m = self.string()?;
                    if !s.insert(&m) {
                        return self.err("duplicate set member");
                    }
                }
                self.nonempty_set(s)
            }
            T_SET_INTSET => {
                let data = self.string()?;
                let Some(vs) = codec::intset_decode(&data) else {
                    return self.err("invalid intset");
                };
                let mut s = Set::new();
                for v in vs {
                    s.insert(v.to_string().as_bytes());
                }
                self.nonempty_set(s)
            }
            T_SET_LISTPACK => {
                let data = self.string()?;
                let Some(es) = codec::listpack_decode(&data) else {
                    return self.err("invalid listpack");
                };
                let mut s = Set::new();
                for e in es {
                    if !s.insert(&e.to_vec()) {
                        return self.err("duplicate set member");
                    }
                }
                self.nonempty_set(s)
            }
            T_ZSET | T_ZSET_2 => {
                let n = self.length()?;
                let mut z = ZSet::with_hints(n as usize, 0);
                for _ in 0..n {
                    let m = self.string()?;
                    let score = if t == T_ZSET_2 {
                        self.double_bin()?
                    } else {
                        self.double_old()?
                    };
                    if score.is_nan() {
                        return self.err("zset score is NaN");
                    }
                    if z.score(&m).is_some() {
                        return self.err("duplicate zset member");
                    }
                    z.insert(&m, score);
                }
                z.convert_to_listpack_if_fits();
                self.nonempty_zset(z)
            }
            T_ZSET_ZIPLIST | T_ZSET_LISTPACK => {
                let data = self.string()?;
                let es = if t == T_ZSET_ZIPLIST {
                    codec::ziplist_decode(&data)
                } else {
                    codec::listpack_decode(&data)
                };
                let Some(es) = es.filter(|e| e.len() % 2 == 0) else {
                    return self.err("invalid zset listpack");
                };
                let mut z = ZSet::new();
                for p in es.chunks(2) {
                    let m = p[0].to_vec();
                    let score = match &p[1] {
                        Elem::Int(i) => *i as f64,
                        Elem::Str(s) => match crate::util::num::parse_f64(s) {
                            Some(v) => v,
                            None => return self.err("invalid zset score"),
                        },
                    };
                    if z.score(&m).is_some() {
                        return self.err("duplicate zset member");
                    }
                    z.insert(&m, score);
                }
                self.nonempty_zset(z)
            }
            T_HASH => {
                let n = self.length()?;
                let mut h = Hash::new();
                for _ in 0..n {
                    let f = self.string()?;
                    let v = self.string()?;
                    if !h.insert(&f, &v) {
                        return self.err("duplicate hash field");
                    }
                }
                self.nonempty_hash(h)
            }
            T_HASH_ZIPLIST | T_HASH_LISTPACK => {
                let data = self.string()?;
                let es = if t == T_HASH_ZIPLIST {
                    codec::ziplist_decode(&data)
                } else {
                    codec::listpack_decode(&data)
                };
                let Some(es) = es.filter(|e| e.len() % 2 == 0) else {
                    return self.err("invalid hash listpack");
                };
                let mut h = Hash::new();
                for p in es.chunks(2) {
                    if !h.insert(&p[0].to_vec(), &p[1].to_vec()) {
                        return self.err("duplicate hash field");
                    }
                }
                self.nonempty_hash(h)
            }
            T_STREAM_LISTPACKS | T_STREAM_LISTPACKS_2 | T_STREAM_LISTPACKS_3 => {
                Ok(Value::Stream(Box::new(self.stream(t)?)))
            }
            T_HASH_ZIPMAP => self.err("zipmap-encoded hashes are not supported"),
            6 | 7 => self.err("module values are not supported"),
            _ => self.err(&format!("unknown value type {t}")),
        }
    }

    fn nonempty_list(&self, l: List) -> RResult<Value> {
        if l.is_empty() {
            return self.err("empty list");
        }
        Ok(Value::List(Box::new(l)))
    }

    fn nonempty_set(&self, s: Set) -> RResult<Value> {
        if s.is_empty() {
            return self.err("empty set");
        }
        Ok(Value::Set(Box::new(s)))
    }

    fn nonempty_zset(&self, z: ZSet) -> RResult<Value> {
        if z.is_empty() {
            return self.err("empty sorted set");
        }
        Ok(Value::ZSet(Box::new(z)))
    }

    fn nonempty_hash(&self, h: Hash) -> RResult<Value> {
        if h.is_empty() {
            return self.err("empty hash");
        }
        Ok(Value::Hash(Box::new(h)))
    }

    fn stream(&mut self, t: u8) -> RResult<Stream> {
        let mut s = Stream::new();
        let nodes = self.length()?;
        for _ in 0..nodes {
            let key = self.string()?;
            if key.len() != 16 {
                return self.err("invalid stream node key");
            }
            let master = StreamId {
                ms: u64::from_be_bytes(key[0..8].try_into().expect("8")),
                seq: u64::from_be_bytes(key[8..16].try_into().expect("8")),
            };
            let lp = self.string()?;
            let Some(es) = codec::listpack_decode(&lp) else {
                return self.err("invalid stream listpack");
            };
            if es.is_empty() {
                return self.err("empty stream listpack");
            }
            if !self.stream_node(&mut s, master, &es) {
                return self.err("invalid stream node");
            }
        }
        let length = self.length()?;
        let last = StreamId {
            ms: self.length()?,
            seq: self.length()?,
        };
        let (first, max_del, added) = if t >= T_STREAM_LISTPACKS_2 {
            let first = StreamId {
                ms: self.length()?,
                seq: self.length()?,
            };
            let max_del = StreamId {
                ms: self.length()?,
                seq: self.length()?,
            };
            (Some(first), max_del, Some(self.length()?))
        } else {
            (None, StreamId::default(), None)
        };
        if length != s.len() {
            return self.err("stream length mismatch");
        }
        s.load_meta(last, first, max_del, added);
        let ngroups = self.length()?;
        for _ in 0..ngroups {
            let name = self.string()?;
            let last_id = StreamId {
                ms: self.length()?,
                seq: self.length()?,
            };
            let entries_read = if t >= T_STREAM_LISTPACKS_2 {
                let v = self.length()?;
                (v != u64::MAX).then_some(v)
            } else {
                None
            };
            let npel = self.length()?;
            let mut pel = Vec::with_capacity(npel.min(1 << 20) as usize);
            for _ in 0..npel {
                let id = self.stream_id_raw()?;
                let time = self.u64_le()?;
                let count = self.length()?;
                pel.push((id, time, count));
            }
            let nconsumers = self.length()?;
            let mut consumers = Vec::new();
            for _ in 0..nconsumers {
                let cname = self.string()?;
                let seen = self.u64_le()?;
                let active = if t >= T_STREAM_LISTPACKS_3 {
                    Some(self.u64_le()?)
                } else {
                    None
                };
                let np = self.length()?;
                let mut pending = Vec::new();
                for _ in 0..np {
                    pending.push(self.stream_id_raw()?);
                }
                consumers.push(LoadedConsumer {
                    name: cname,
                    seen_time: seen,
                    // Before RDB 11 Redis takes the seen time as the active time.
                    active_time: Some(active.unwrap_or(seen)),
                    pending,
                });
            }
            if !s.load_group(LoadedGroup {
                name,
                last_id,
                entries_read,
                pel,
                consumers,
            }) {
                return self.err("invalid stream consumer group");
            }
        }
        Ok(s)
    }

    /// Decodes one stream listpack node into `s`. False if malformed.
    fn stream_node(&self, s: &mut Stream, master: StreamId, es: &[Elem<'_>]) -> bool {
        let int = |i: usize| es.get(i).and_then(|e| e.as_int());
        let (Some(_count), Some(_deleted), Some(nf)) = (int(0), int(1), int(2)) else {
            return false;
        };
        let nf = nf as usize;
        if es.len() < 4 + nf {
            return false;
        }
        let fields: Vec<Vec<u8>> = es[3..3 + nf].iter().map(|e| e.to_vec()).collect();
        if int(3 + nf) != Some(0) {
            return false;
        }
        let mut p = 4 + nf;
        while p < es.len() {
            let (Some(flags), Some(msd), Some(seqd)) = (int(p), int(p + 1), int(p + 2)) else {
                return false;
            };
            p += 3;
            let id = StreamId {
                ms: master.ms.wrapping_add(msd as u64),
                seq: master.seq.wrapping_add(seqd as u64),
            };
            let mut fv: Vec<Vec<u8>> = Vec::new();
            if flags & 2 != 0 {
                if p + nf > es.len() {
                    return false;
                }
                for (i, f) in fields.iter().enumerate() {
                    fv.push(f.clone());
                    fv.push(es[p + i].to_vec());
                }
                p += nf;
            } else {
                let Some(n) = int(p) else { return false };
                let n = n as usize;
                p += 1;
                if p + 2 * n > es.len() {
                    return false;
                }
                fv.extend(es[p..p + 2 * n].iter().map(|e| e.to_vec()));
                p += 2 * n;
            }
            p += 1; // lp-count
            if p > es.len() {
                return false;
            }
            if flags & 1 == 0 && !s.load_entry(id, &fv) {
                return false;
            }
        }
        true
    }
}

/// Checks a DUMP payload's footer and returns its body (type byte + value).
pub fn verify_payload(p: &[u8]) -> Option<&[u8]> {
    if p.len() < 10 {
        return None;
    }
    let (body, footer) = p.split_at(p.len() - 10);
    let ver = u16::from_le_bytes([footer[0], footer[1]]);
    if ver > RDB_MAX_VERSION {
        return None;
    }
    let crc = u64::from_le_bytes(footer[2..10].try_into().expect("8"));
    if crc != 0 && codec::crc64(0, &p[..p.len() - 8]) != crc {
        return None;
    }
    Some(body)
}

/// Decodes a DUMP payload body (after [`verify_payload`]).
pub fn load_payload(body: &[u8]) -> RResult<Value> {
    let mut r = Reader::new(body);
    let t = r.u8()?;
    let v = r.value(t)?;
    if r.pos != body.len() {
        return Err("trailing bytes in payload".into());
    }
    Ok(v)
}

/// Decodes a payload body like RESTORE does: bytes after the value are ignored.
pub fn load_payload_lenient(body: &[u8]) -> RResult<Value> {
    let mut r = Reader::new(body);
    let t = r.u8()?;
    r.value(t)
}

/// What the loader hands over for each key.
pub struct LoadedKey {
    pub db: usize,
    pub key: Vec<u8>,
    pub value: Value,
    pub expire: Option<i64>,
    pub idle: Option<u64>,
    pub freq: Option<u8>,
}

/// Parses a whole RDB file, calling `on_key` for every key. Returns the aux fields.
pub fn load_file(
    buf: &[u8],
    mut on_key: impl FnMut(LoadedKey) -> RResult<()>,
) -> RResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut r = Reader::new(buf);
    let magic = r
        .take(9)
        .map_err(|_| "Wrong signature trying to load DB from file".to_string())?;
    if &magic[..5] != b"REDIS" {
        return Err("Wrong signature trying to load DB from file".into());
    }
    let ver: u16 = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or("Wrong signature trying to load DB from file")?;
    if !(1..=RDB_MAX_VERSION).contains(&ver) {
        return Err(format!("Can't handle RDB format version {ver}"));
    }
    let mut aux = Vec::new();
    let mut db = 0usize;
    let mut expire: Option<i64> = None;
    let mut idle = None;
    let mut freq = None;
    loop {
        let t = r.u8()?;
        match t {
            OP_EXPIRETIME_MS => expire = Some(r.u64_le()? as i64),
            OP_EXPIRETIME => {
                let s = u32::from_le_bytes(r.take(4)?.try_into().expect("4"));
                expire = Some(s as i64 * 1000);
            }
            OP_IDLE => idle = Some(r.length()?),
            OP_FREQ => freq = Some(r.u8()?),
            OP_SELECTDB => db = r.length()? as usize,
            OP_RESIZEDB => {
                r.length()?;
                r.length()?;
            }
            OP_AUX => {
                let k = r.string()?;
                let v = r.string()?;
                aux.push((k, v));
            }
            OP_FUNCTION2 => {
                // Function library code, handed to the caller among the aux fields.
                let code = r.string()?;
                aux.push((FUNCTION_AUX.to_vec(), code));
            }
            OP_FUNCTION_PRE_GA | OP_MODULE_AUX => {
                return Err(format!("unsupported opcode {t:#x} at offset {}", r.pos - 1));
            }
            OP_EOF => break,
            _ => {
                let key = r.string()?;
                let value = r.value(t)?;
                on_key(LoadedKey {
                    db,
                    key,
                    value,
                    expire: expire.take(),
                    idle: idle.take(),
                    freq: freq.take(),
                })?;
            }
        }
    }
    if ver >= 5 {
        let end = r.pos;
        let crc = r.u64_le()?;
        if crc != 0 && codec::crc64(0, &buf[..end]) != crc {
            return Err(format!("Wrong RDB checksum at offset {end}"));
        }
    }
    Ok(aux)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entry::Value;
    use crate::types::stream::{AddId, GroupStartId};

    fn roundtrip(v: &Value) -> Value {
        let r = match v {
            Value::Str(s) => ValueRef::Str(s),
            Value::Int(i) => ValueRef::Int(*i),
            Value::List(l) => ValueRef::List(l),
            Value::Hash(h) => ValueRef::Hash(h),
            Value::Set(s) => ValueRef::Set(s),
            Value::ZSet(z) => ValueRef::ZSet(z),
            Value::Stream(s) => ValueRef::Stream(s),
            Value::RawStr(s) => ValueRef::Str(s),
        };
        let p = dump_payload(&r, true);
        let body = verify_payload(&p).expect("valid footer");
        load_payload(body).expect("loads")
    }

    #[test]
    fn strings_roundtrip() {
        for s in [
            &b"hello"[..],
            b"12345",
            b"-7",
            b"99999999999",
            b"",
            &[b'a'; 100],
        ] {
            match roundtrip(&Value::Str(s.to_vec())) {
                Value::Str(b) => assert_eq!(b, s),
                _ => panic!(),
            }
        }
    }

    #[test]
    fn collections_roundtrip() {
        let l: List = (0..1000).map(|i| format!("e{i}").into_bytes()).collect();
        match roundtrip(&Value::List(Box::new(l.clone()))) {
            Value::List(b) => assert_eq!(*b, l),
            _ => panic!(),
        }
        let mut z = ZSet::new();
        z.insert(b"a", 1.5);
        z.insert(b"b", f64::INFINITY);
        z.insert(b"c", -3.0);
        match roundtrip(&Value::ZSet(Box::new(z))) {
            Value::ZSet(b) => {
                let v: Vec<(Vec<u8>, f64)> = b.iter().map(|(m, s)| (m.to_vec(), s)).collect();
                assert_eq!(
                    v,
                    vec![
                        (b"c".to_vec(), -3.0),
                        (b"a".to_vec(), 1.5),
                        (b"b".to_vec(), f64::INFINITY)
                    ]
                );
            }
            _ => panic!(),
        }
        let mut s = Set::new();
        for m in [&b"1"[..], b"x", b"-5"] {
            s.insert(m);
        }
        match roundtrip(&Value::Set(Box::new(s))) {
            Value::Set(b) => {
                assert_eq!(b.len(), 3);
                assert!(b.contains(b"x") && b.contains(b"-5") && b.contains(b"1"));
            }
            _ => panic!(),
        }
        let mut h = Hash::new();
        h.insert(b"f", b"v");
        h.insert(b"n", b"10");
        match roundtrip(&Value::Hash(Box::new(h))) {
            Value::Hash(b) => {
                assert_eq!(b.get(b"f"), Some(&b"v"[..]));
                assert_eq!(b.get(b"n"), Some(&b"10"[..]));
            }
            _ => panic!(),
        }
    }

    #[test]
    fn stream_roundtrip() {
        let mut s = Stream::new();
        for i in 0..250u64 {
            let f: Vec<Vec<u8>> = if i % 7 == 0 {
                vec![b"other".to_vec(), b"x".to_vec()]
            } else {
                vec![b"f".to_vec(), i.to_string().into_bytes()]
            };
            s.add(
                AddId::Explicit(StreamId {
                    ms: 1000 + i,
                    seq: i,
                }),
                &f,
                0,
            )
            .unwrap();
        }
        s.delete(&[StreamId { ms: 1005, seq: 5 }]);
        s.create_group(b"g", GroupStartId::Id(StreamId::MIN), None)
            .unwrap();
        s.read_group(b"g", b"alice", None, 10, false, 5000).unwrap();
        match roundtrip(&Value::Stream(Box::new(s.clone()))) {
            Value::Stream(b) => {
                assert_eq!(b.len(), s.len());
                assert_eq!(b.info().last_generated_id, s.info().last_generated_id);
                assert_eq!(b.max_deleted_entry_id(), s.max_deleted_entry_id());
                assert_eq!(b.entries_added(), s.entries_added());
                let a: Vec<_> = b
                    .range(StreamId::MIN, StreamId::MAX, false)
                    .map(|(id, e)| (id, e.to_vec()))
                    .collect();
                let c: Vec<_> = s
                    .range(StreamId::MIN, StreamId::MAX, false)
                    .map(|(id, e)| (id, e.to_vec()))
                    .collect();
                assert_eq!(a, c);
                let g1 = b.group(b"g").unwrap();
                let g2 = s.group(b"g").unwrap();
                assert_eq!(g1.pending_len(), g2.pending_len());
                assert_eq!(g1.last_delivered_id(), g2.last_delivered_id());
                assert_eq!(g1.consumers_len(), g2.consumers_len());
            }
            _ => panic!(),
        }
    }

    /// A ziplist of short strings / small ints, built the way Redis lays it out.
    fn ziplist(items: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        for it in items {
            let start = body.len();
            body.push(prev as u8);
            match std::str::from_utf8(it)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
            {
                Some(v) if (0..=12).contains(&v) && it.len() < 3 => body.push(0xf1 + v as u8),
                Some(v) if it.len() < 5 => {
                    body.push(0xc0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                _ => {
                    body.push(it.len() as u8);
                    body.extend_from_slice(it);
                }
            }
            prev = body.len() - start;
        }
        let mut zl = Vec::new();
        let total = 10 + body.len() + 1;
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&0u32.to_le_bytes());
        zl.extend_from_slice(&(items.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xff);
        zl
    }

    fn payload(t: u8, body: &[u8]) -> Vec<u8> {
        let mut p = vec![t];
        p.extend_from_slice(body);
        p.extend_from_slice(&11u16.to_le_bytes());
        let crc = codec::crc64(0, &p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    }

    fn str_body(b: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        put_string(&mut o, b, false);
        o
    }

    fn decode(t: u8, body: &[u8]) -> Value {
        let p = payload(t, body);
        load_payload(verify_payload(&p).expect("footer")).expect("decodes")
    }

    fn lp(items: &[&[u8]]) -> Vec<u8> {
        let mut w = ListpackWriter::new();
        for i in items {
            w.push_str(i);
        }
        w.finish()
    }

    #[test]
    fn legacy_and_compact_encodings_decode() {
        // List as a ziplist (RDB 7-ish) and as a quicklist of ziplists (RDB 8-9).
        match decode(
            T_LIST_ZIPLIST,
            &str_body(&ziplist(&[b"a", b"7", b"1000", b"bc"])),
        ) {
            Value::List(l) => assert_eq!(
                l.iter().collect::<Vec<_>>(),
                vec![&b"a"[..], b"7", b"1000", b"bc"]
            ),
            _ => panic!(),
        }
        let mut q = Vec::new();
        put_len(&mut q, 2);
        q.extend_from_slice(&str_body(&ziplist(&[b"x", b"y"])));
        q.extend_from_slice(&str_body(&ziplist(&[b"3"])));
        match decode(T_LIST_QUICKLIST, &q) {
            Value::List(l) => assert_eq!(l.iter().collect::<Vec<_>>(), vec![&b"x"[..], b"y", b"3"]),
            _ => panic!(),
        }
        // Quicklist 2 with a plain node.
        let mut q = Vec::new();
        put_len(&mut q, 2);
        put_len(&mut q, 1);
        q.extend_from_slice(&str_body(b"plain"));
        put_len(&mut q, 2);
        q.extend_from_slice(&str_body(&lp(&[b"p1", b"-5"])));
        match decode(T_LIST_QUICKLIST_2, &q) {
            Value::List(l) => assert_eq!(
                l.iter().collect::<Vec<_>>(),
                vec![&b"plain"[..], b"p1", b"-5"]
            ),
            _ => panic!(),
        }
        // Intset (16-bit) and the Redis 7.2 set listpack.
        let mut is = Vec::new();
        is.extend_from_slice(&2u32.to_le_bytes());
        is.extend_from_slice(&3u32.to_le_bytes());
        for v in [-2i16, 5, 300] {
            is.extend_from_slice(&v.to_le_bytes());
        }
        match decode(T_SET_INTSET, &str_body(&is)) {
            Value::Set(st) => {
                assert_eq!(st.len(), 3);
                assert!(st.contains(b"-2") && st.contains(b"300"));
            }
            _ => panic!(),
        }
        match decode(T_SET_LISTPACK, &str_body(&lp(&[b"a", b"1", b"b"]))) {
            Value::Set(st) => assert!(st.len() == 3 && st.contains(b"b")),
            _ => panic!(),
        }
        assert!(
            load_payload(
                verify_payload(&payload(T_SET_LISTPACK, &str_body(&lp(&[b"a", b"a"])))).unwrap()
            )
            .is_err()
        );
        // Sorted sets: ziplist, listpack, and the old text-score encoding.
        match decode(
            T_ZSET_ZIPLIST,
            &str_body(&ziplist(&[b"m1", b"1", b"m2", b"2.5"])),
        ) {
            Value::ZSet(z) => assert_eq!(z.score(b"m2"), Some(2.5)),
            _ => panic!(),
        }
        match decode(
            T_ZSET_LISTPACK,
            &str_body(&lp(&[b"m1", b"-inf", b"m2", b"3"])),
        ) {
            Value::ZSet(z) => {
                assert_eq!(z.score(b"m1"), Some(f64::NEG_INFINITY));
                assert_eq!(z.score(b"m2"), Some(3.0));
            }
            _ => panic!(),
        }
        let mut zs = Vec::new();
        put_len(&mut zs, 2);
        zs.extend_from_slice(&str_body(b"a"));
        zs.extend_from_slice(&[3, b'1', b'.', b'5']);
        zs.extend_from_slice(&str_body(b"b"));
        zs.push(254);
        match decode(T_ZSET, &zs) {
            Value::ZSet(z) => {
                assert_eq!(z.score(b"a"), Some(1.5));
                assert_eq!(z.score(b"b"), Some(f64::INFINITY));
            }
            _ => panic!(),
        }
        // Hashes: ziplist and listpack.
        match decode(
            T_HASH_ZIPLIST,
            &str_body(&ziplist(&[b"f", b"v", b"n", b"12"])),
        ) {
            Value::Hash(h) => assert_eq!(h.get(b"n"), Some(&b"12"[..])),
            _ => panic!(),
        }
        match decode(T_HASH_LISTPACK, &str_body(&lp(&[b"f", b"v"]))) {
            Value::Hash(h) => assert_eq!(h.get(b"f"), Some(&b"v"[..])),
            _ => panic!(),
        }
        // Odd element counts and empty collections are refused.
        assert!(
            load_payload(
                verify_payload(&payload(T_HASH_LISTPACK, &str_body(&lp(&[b"f"])))).unwrap()
            )
            .is_err()
        );
        let mut empty = Vec::new();
        put_len(&mut empty, 0);
        assert!(load_payload(verify_payload(&payload(T_SET, &empty)).unwrap()).is_err());
    }

    #[test]
    fn stream_listpacks_3_with_active_time() {
        // Build a v2 stream with our writer, then turn it into a v3 body by adding the
        // consumers' active time (8 bytes after seen time), as Redis 7.2 writes it.
        let mut s = Stream::new();
        s.add(
            AddId::Explicit(StreamId { ms: 5, seq: 0 }),
            &[b"f".to_vec(), b"v".to_vec()],
            0,
        )
        .unwrap();
        s.create_group(b"g", GroupStartId::Id(StreamId::MIN), None)
            .unwrap();
        s.read_group(b"g", b"c", None, 10, false, 777).unwrap();
        let mut body = Vec::new();
        put_stream(&mut body, &s, false);
        // The consumer record ends the body: name, seen (8), pel count (1), one raw ID (16).
        let tail = 1 + 1 + 8 + 1 + 16;
        let split = body.len() - tail + 2 + 8;
        let mut v3 = body[..split].to_vec();
        v3.extend_from_slice(&999u64.to_le_bytes());
        v3.extend_from_slice(&body[split..]);
        match decode(T_STREAM_LISTPACKS_3, &v3) {
            Value::Stream(b) => {
                let g = b.group(b"g").unwrap();
                let c = g.consumer(b"c").unwrap();
                assert_eq!(c.seen_time(), 777);
                assert_eq!(c.active_time(), 999);
                assert_eq!(g.pending_len(), 1);
            }
            _ => panic!(),
        }
        // The same body read as v2 gives active time = seen time.
        match decode(T_STREAM_LISTPACKS_2, &body) {
            Value::Stream(b) => {
                assert_eq!(
                    b.group(b"g").unwrap().consumer(b"c").unwrap().active_time(),
                    777
                )
            }
            _ => panic!(),
        }
    }

    #[test]
    fn whole_file_checksum_and_errors() {
        let mut f = Vec::new();
        file_header(&mut f, &[("redis-ver", "7.2.4".into())]);
        f.push(OP_SELECTDB);
        put_len(&mut f, 3);
        put_entry(&mut f, b"k", &ValueRef::Str(b"v"), Some(12345), false);
        f.push(OP_EOF);
        let crc = codec::crc64(0, &f);
        f.extend_from_slice(&crc.to_le_bytes());
        let mut seen = Vec::new();
        load_file(&f, |k| {
            seen.push((k.db, k.key, k.expire));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![(3, b"k".to_vec(), Some(12345))]);
        let mut bad = f.clone();
        let n = bad.len();
        bad[n - 3] ^= 1;
        assert!(
            load_file(&bad, |_| Ok(()))
                .unwrap_err()
                .contains("checksum")
        );
        assert!(
            load_file(b"REDIS0012", |_| Ok(()))
                .unwrap_err()
                .contains("version 12")
        );
        assert!(
            load_file(b"NOTREDIS0", |_| Ok(()))
                .unwrap_err()
                .contains("signature")
        );
        let truncated = &f[..f.len() - 12];
        assert!(
            load_file(truncated, |_| Ok(()))
                .unwrap_err()
                .contains("offset")
        );
    }
}
