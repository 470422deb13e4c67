//! Reply encoding for RESP2 and RESP3, straight into a connection's output buffer.
//!
//! Command handlers describe replies in RESP3 terms (map, set, double, null, boolean, push,
//! verbatim string); the writer downgrades them for RESP2 clients exactly as Redis does: a map
//! becomes a flat array of twice the length, a set an array, a double a bulk string, a boolean
//! an integer, null a null bulk (or null array where Redis uses one), a verbatim string a bulk
//! string.

use crate::util::num;

/// Output buffer plus the protocol version the client speaks.
pub struct Reply<'a> {
    pub buf: &'a mut Vec<u8>,
    pub resp3: bool,
}

/// A reserved spot for an aggregate length not yet known (Redis's deferred length).
#[derive(Debug, Clone, Copy)]
pub struct Deferred {
    pos: usize,
}

/// Kinds of aggregate for deferred lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Array,
    Map,
    Set,
    Push,
}

#[inline]
fn push_num(buf: &mut Vec<u8>, v: i64) {
    let mut b = itoa::Buffer::new();
    buf.extend_from_slice(b.format(v).as_bytes());
}

impl<'a> Reply<'a> {
    pub fn new(buf: &'a mut Vec<u8>, resp3: bool) -> Self {
        Reply { buf, resp3 }
    }

    /// `+OK`
    #[inline]
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A status (simple string) reply.
    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A simple string given as bytes (newlines must not occur).
    pub fn simple_bytes(&mut self, s: &[u8]) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply. `msg` includes the code, e.g. "ERR syntax error". Newlines are replaced by
    /// spaces, as Redis does, so a reply can never break the framing.
    pub fn error(&mut self, msg: &str) {
        self.buf.push(b'-');
        for &c in msg.as_bytes() {
            self.buf
                .push(if c == b'\r' || c == b'\n' { b' ' } else { c });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, v: i64) {
        self.buf.push(b':');
        push_num(self.buf, v);
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn bulk(&mut self, s: &[u8]) {
        self.buf.reserve(s.len() + 16);
        self.buf.push(b'$');
        push_num(self.buf, s.len() as i64);
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of an integer.
    pub fn bulk_int(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        self.bulk(b.format(v).as_bytes());
    }

    /// The null value: `$-1` in RESP2, `_` in RESP3.
    #[inline]
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3 (Redis's `addReplyNullArray`).
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    /// A double: RESP3 `,` type, RESP2 bulk string, both formatted as Redis 7.2 does.
    pub fn double(&mut self, v: f64) {
        let text = num::F64Text::new(v);
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(text.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text.as_bytes());
        }
    }

    /// A boolean: RESP3 `#t`/`#f`, RESP2 `:1`/`:0`.
    pub fn boolean(&mut self, v: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// A verbatim string (RESP3 `=len\r\ntxt:...`), a bulk string in RESP2.
    pub fn verbatim(&mut self, s: &[u8], format: &str) {
        if self.resp3 {
            self.buf.push(b'=');
            push_num(self.buf, (s.len() + 4) as i64);
            self.buf.extend_from_slice(b"\r\n");
            self.buf.extend_from_slice(format.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(s);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s);
        }
    }

    /// A big number (RESP3 `(`), a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &str) {
        if self.resp3 {
            self.buf.push(b'(');
            self.buf.extend_from_slice(digits.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits.as_bytes());
        }
    }

    #[inline]
    pub fn array(&mut self, n: usize) {
        self.buf.push(b'*');
        push_num(self.buf, n as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A map of `n` pairs (RESP2: an array of 2n elements).
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.buf.push(b'%');
            push_num(self.buf, n as i64);
        } else {
            self.buf.push(b'*');
            push_num(self.buf, 2 * n as i64);
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A set of `n` elements (RESP2: an array).
    pub fn set(&mut self, n: usize) {
        self.buf.push(if self.resp3 { b'~' } else { b'*' });
        push_num(self.buf, n as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An out-of-band push frame of `n` elements (RESP2: an array).
    pub fn push(&mut self, n: usize) {
        self.buf.push(if self.resp3 { b'>' } else { b'*' });
        push_num(self.buf, n as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An attribute-less empty array.
    pub fn empty_array(&mut self) {
        self.buf.extend_from_slice(b"*0\r\n");
    }

    /// Reserves space for an aggregate header whose length is filled in by [`Reply::finish`].
    pub fn defer(&mut self) -> Deferred {
        let pos = self.buf.len();
        Deferred { pos }
    }

    /// Writes the header of a deferred aggregate of `n` elements (pairs for maps).
    pub fn finish(&mut self, d: Deferred, kind: Agg, n: usize) {
        let mut hdr = Vec::with_capacity(16);
        let (c, n) = match kind {
            Agg::Array => (b'*', n),
            Agg::Map if self.resp3 => (b'%', n),
            Agg::Map => (b'*', 2 * n),
            Agg::Set if self.resp3 => (b'~', n),
            Agg::Set => (b'*', n),
            Agg::Push if self.resp3 => (b'>', n),
            Agg::Push => (b'*', n),
        };
        hdr.push(c);
        push_num(&mut hdr, n as i64);
        hdr.extend_from_slice(b"\r\n");
        self.buf.splice(d.pos..d.pos, hdr);
    }

    /// Appends raw, already encoded protocol bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let mut b = Vec::new();
        let mut r = Reply::new(&mut b, false);
        r.map(2);
        r.null();
        r.double(1.5);
        r.boolean(true);
        r.set(1);
        r.verbatim(b"hi", "txt");
        assert_eq!(b, b"*4\r\n$-1\r\n$3\r\n1.5\r\n:1\r\n*1\r\n$2\r\nhi\r\n");
        let mut b = Vec::new();
        let mut r = Reply::new(&mut b, true);
        r.map(2);
        r.null();
        r.double(1.5);
        r.boolean(true);
        r.set(1);
        r.verbatim(b"hi", "txt");
        assert_eq!(b, b"%2\r\n_\r\n,1.5\r\n#t\r\n~1\r\n=6\r\ntxt:hi\r\n");
    }

    #[test]
    fn deferred() {
        let mut b = Vec::new();
        let mut r = Reply::new(&mut b, false);
        r.int(7);
        let d = r.defer();
        r.bulk(b"a");
        r.bulk(b"b");
        r.finish(d, Agg::Map, 1);
        assert_eq!(b, b":7\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    }

    #[test]
    fn error_newlines() {
        let mut b = Vec::new();
        Reply::new(&mut b, false).error("ERR a\r\nb");
        assert_eq!(b, b"-ERR a  b\r\n");
    }
}
