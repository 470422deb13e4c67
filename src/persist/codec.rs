//! Low-level pieces of Redis's on-disk formats: the CRC64 (Jones polynomial, reflected, as in
//! `crc64.c`) that ends RDB files and DUMP payloads, LZF decompression, and the compact
//! containers found inside RDB values: listpacks (read and write), ziplists and intsets (read
//! only: Redis 7 writes listpacks, but older files and DUMP payloads still hold them).

/// CRC64 lookup table for the reflected Jones polynomial.
static CRC64_TABLE: [[u64; 256]; 8] = crc64_tables();

const fn crc64_tables() -> [[u64; 256]; 8] {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // reflected 0xad93d23594c935a9
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut j = 0;
        while j < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            j += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// Continues a Redis CRC64 over `data` (start with 0).
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let v = crc ^ u64::from_le_bytes(c.try_into().expect("8 bytes"));
        crc = CRC64_TABLE[7][(v & 0xff) as usize]
            ^ CRC64_TABLE[6][((v >> 8) & 0xff) as usize]
            ^ CRC64_TABLE[5][((v >> 16) & 0xff) as usize]
            ^ CRC64_TABLE[4][((v >> 24) & 0xff) as usize]
            ^ CRC64_TABLE[3][((v >> 32) & 0xff) as usize]
            ^ CRC64_TABLE[2][((v >> 40) & 0xff) as usize]
            ^ CRC64_TABLE[1][((v >> 48) & 0xff) as usize]
            ^ CRC64_TABLE[0][(v >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = CRC64_TABLE[0][((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// LZF decompression (liblzf's format). `None` on malformed input or a size mismatch.
pub fn lzf_decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            if i + n > input.len() || out.len() + n > out_len {
                return None;
            }
            out.extend_from_slice(&input[i..i + n]);
            i += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(i)? as usize;
                i += 1;
            }
            len += 2;
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            if back > out.len() || out.len() + len > out_len {
                return None;
            }
            let start = out.len() - back;
            for k in 0..len {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

/// LZF compression (liblzf-compatible output). Returns `None` when the output would not be
/// smaller than `max_out` bytes.
pub fn lzf_compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    const HLOG: usize = 14;
    let mut htab = vec![0usize; 1 << HLOG];
    let mut out: Vec<u8> = Vec::with_capacity(max_out.min(input.len() + 16));
    let n = input.len();
    let mut lit: Vec<u8> = Vec::with_capacity(32);
    let flush_lit = |out: &mut Vec<u8>, lit: &mut Vec<u8>| {
        if !lit.is_empty() {
            out.push((lit.len() - 1) as u8);
            out.extend_from_slice(lit);
            lit.clear();
        }
    };
    let mut i = 0;
    while i < n {
        if i + 2 < n {
            let v = ((input[i] as usize) << 16)
                | ((input[i + 1] as usize) << 8)
                | input[i + 2] as usize;
            let h = (v.wrapping_mul(2654435761) >> 8) & ((1 << HLOG) - 1);
            let cand = htab[h];
            htab[h] = i + 1;
            if cand > 0 {
                let r = cand - 1;
                let off = i - r - 1;
                if r < i && off < 8192 && input[r..r + 3] == input[i..i + 3] {
                    let maxlen = (n - i).min(264);
                    let mut len = 3;
                    while len < maxlen && input[r + len] == input[i + len] {
                        len += 1;
                    }
                    flush_lit(&mut out, &mut lit);
                    let l = len - 2;
                    if l < 7 {
                        out.push(((l << 5) | (off >> 8)) as u8);
                    } else {
                        out.push(((7 << 5) | (off >> 8)) as u8);
                        out.push((l - 7) as u8);
                    }
                    out.push((off & 0xff) as u8);
                    i += len;
                    if out.len() >= max_out {
                        return None;
                    }
                    continue;
                }
            }
        }
        lit.push(input[i]);
        if lit.len() == 32 {
            flush_lit(&mut out, &mut lit);
        }
        i += 1;
        if out.len() + lit.len() >= max_out {
            return None;
        }
    }
    flush_lit(&mut out, &mut lit);
    (out.len() < max_out).then_some(out)
}

/// An element of a listpack or ziplist.
#[derive(Debug, Clone, PartialEq)]
pub enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Elem<'_> {
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Elem::Str(s) => s.to_vec(),
            Elem::Int(i) => i.to_string().into_bytes(),
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Elem::Int(i) => Some(*i),
            Elem::Str(s) => crate::util::num::parse_i64(s),
        }
    }
}

/// Parses a whole listpack into its elements.
pub fn listpack_decode(lp: &[u8]) -> Option<Vec<Elem<'_>>> {
    if lp.len() < 7 {
        return None;
    }
    let total = u32::from_le_bytes(lp[0..4].try_into().ok()?) as usize;
    if total != lp.len() {
        return None;
    }
    let mut p = 6;
    let mut out = Vec::new();
    loop {
        let b = *lp.get(p)?;
        if b == 0xff {
            break;
        }
        let start = p;
        let e;
        if b & 0x80 == 0 {
            e = Elem::Int((b & 0x7f) as i64);
            p += 1;
        } else if b & 0xc0 == 0x80 {
            let n = (b & 0x3f) as usize;
            e = Elem::Str(lp.get(p + 1..p + 1 + n)?);
            p += 1 + n;
        } else if b & 0xe0 == 0xc0 {
            let v = (((b & 0x1f) as u16) << 8) | *lp.get(p + 1)? as u16;
            let v = if v >= 1 << 12 {
                v as i64 - (1 << 13)
            } else {
                v as i64
            };
            e = Elem::Int(v);
            p += 2;
        } else if b & 0xf0 == 0xe0 {
            let n = (((b & 0x0f) as usize) << 8) | *lp.get(p + 1)? as usize;
            e = Elem::Str(lp.get(p + 2..p + 2 + n)?);
            p += 2 + n;
        } else {
            match b {
                0xf0 => {
                    let n = u32::from_le_bytes(lp.get(p + 1..p + 5)?.try_into().ok()?) as usize;
                    e = Elem::Str(lp.get(p + 5..p + 5 + n)?);
                    p += 5 + n;
                }
                0xf1 => {
                    e = Elem::Int(i16::from_le_bytes(lp.get(p + 1..p + 3)?.try_into().ok()?) as i64);
                    p += 3;
                }
                0xf2 => {
                    let s = lp.get(p + 1..p + 4)?;
                    let v =
                        ((s[0] as i32) | ((s[1] as i32) << 8) | ((s[2] as i32) << 16)) << 8 >> 8;
                    e = Elem::Int(v as i64);
                    p += 4;
                }
                0xf3 => {
                    e = Elem::Int(i32::from_le_bytes(lp.get(p + 1..p + 5)?.try_into().ok()?) as i64);
                    p += 5;
                }
                0xf4 => {
                    e = Elem::Int(i64::from_le_bytes(lp.get(p + 1..p + 9)?.try_into().ok()?));
                    p += 9;
                }
                _ => return None,
            }
        }
        let l = p - start;
        p += backlen_size(l);
        if p > lp.len() {
            return None;
        }
        out.push(e);
    }
    if p + 1 != lp.len() {
        return None;
    }
    Some(out)
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn put_backlen(out: &mut Vec<u8>, l: usize) {
    match backlen_size(l) {
        1 => out.push(l as u8),
        2 => {
            out.push((l >> 7) as u8);
            out.push(((l & 127) | 128) as u8);
        }
        3 => {
            out.push((l >> 14) as u8);
            out.push((((l >> 7) & 127) | 128) as u8);
            out.push(((l & 127) | 128) as u8);
        }
        4 => {
            out.push((l >> 21) as u8);
            out.push((((l >> 14) & 127) | 128) as u8);
            out.push((((l >> 7) & 127) | 128) as u8);
            out.push(((l & 127) | 128) as u8);
        }
        _ => {
            out.push((l >> 28) as u8);
            out.push((((l >> 21) & 127) | 128) as u8);
            out.push((((l >> 14) & 127) | 128) as u8);
            out.push((((l >> 7) & 127) | 128) as u8);
            out.push(((l & 127) | 128) as u8);
        }
    }
}

/// Builds a listpack.
pub struct ListpackWriter {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ListpackWriter {
    pub fn new() -> Self {
        ListpackWriter {
            buf: vec![0; 6],
            count: 0,
        }
    }

    /// Appends a string, stored as an integer when it is one in canonical form (as Redis does).
    pub fn push_str(&mut self, s: &[u8]) {
        if s.len() <= 20
            && let Some(v) = crate::store::entry::string_as_int(s)
        {
            self.push_int(v);
            return;
        }
        let start = self.buf.len();
        let n = s.len();
        if n < 64 {
            self.buf.push(0x80 | n as u8);
        } else if n < 4096 {
            self.buf.push(0xe0 | (n >> 8) as u8);
            self.buf.push((n & 0xff) as u8);
        } else {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(n as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        let l = self.buf.len() - start;
        put_backlen(&mut self.buf, l);
        self.count += 1;
    }

    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u16) & 0x1fff;
            self.buf.push(0xc0 | (u >> 8) as u8);
            self.buf.push((u & 0xff) as u8);
        } else if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
            self.buf.push(0xf1);
            self.buf.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            self.buf.push(0xf2);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            self.buf.push(0xf3);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            self.buf.push(0xf4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        let l = self.buf.len() - start;
        put_backlen(&mut self.buf, l);
        self.count += 1;
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(0xff);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let n = if self.count < 65535 {
            self.count as u16
        } else {
            65535
        };
        self.buf[4..6].copy_from_slice(&n.to_le_bytes());
        self.buf
    }
}

/// Parses a whole ziplist into its elements.
pub fn ziplist_decode(zl: &[u8]) -> Option<Vec<Elem<'_>>> {
    if zl.len() < 11 {
        return None;
    }
    let total = u32::from_le_bytes(zl[0..4].try_into().ok()?) as usize;
    if total != zl.len() {
        return None;
    }
    let mut p = 10;
    let mut out = Vec::new();
    loop {
        let b = *zl.get(p)?;
        if b == 0xff {
            break;
        }
        p += if b == 0xfe { 5 } else { 1 };
        let enc = *zl.get(p)?;
        let e = match enc >> 6 {
            0 => {
                let n = (enc & 0x3f) as usize;
                p += 1;
                let s = zl.get(p..p + n)?;
                p += n;
                Elem::Str(s)
            }
            1 => {
                let n = (((enc & 0x3f) as usize) << 8) | *zl.get(p + 1)? as usize;
                p += 2;
                let s = zl.get(p..p + n)?;
                p += n;
                Elem::Str(s)
            }
            2 => {
                let n = u32::from_be_bytes(zl.get(p + 1..p + 5)?.try_into().ok()?) as usize;
                p += 5;
                let s = zl.get(p..p + n)?;
                p += n;
                Elem::Str(s)
            }
            _ => {
                p += 1;
                match enc {
                    0xc0 => {
                        let v = i16::from_le_bytes(zl.get(p..p + 2)?.try_into().ok()?);
                        p += 2;
                        Elem::Int(v as i64)
                    }
                    0xd0 => {
                        let v = i32::from_le_bytes(zl.get(p..p + 4)?.try_into().ok()?);
                        p += 4;
                        Elem::Int(v as i64)
                    }
                    0xe0 => {
                        let v = i64::from_le_bytes(zl.get(p..p + 8)?.try_into().ok()?);
                        p += 8;
                        Elem::Int(v)
                    }
                    0xf0 => {
                        let s = zl.get(p..p + 3)?;
                        let v = ((s[0] as i32) | ((s[1] as i32) << 8) | ((s[2] as i32) << 16)) << 8
                            >> 8;
                        p += 3;
                        Elem::Int(v as i64)
                    }
                    0xfe => {
                        let v = *zl.get(p)? as i8;
                        p += 1;
                        Elem::Int(v as i64)
                    }
                    0xf1..=0xfd => Elem::Int((enc & 0x0f) as i64 - 1),
                    _ => return None,
                }
            }
        };
        out.push(e);
    }
    Some(out)
}

/// Parses an intset into its members.
pub fn intset_decode(is: &[u8]) -> Option<Vec<i64>> {
    if is.len() < 8 {
        return None;
    }
    let enc = u32::from_le_bytes(is[0..4].try_into().ok()?) as usize;
    let n = u32::from_le_bytes(is[4..8].try_into().ok()?) as usize;
    if !matches!(enc, 2 | 4 | 8) || is.len() != 8 + enc * n {
        return None;
    }
    let body = &is[8..];
    Some(
        (0..n)
            .map(|i| {
                let s = &body[i * enc..(i + 1) * enc];
                match enc {
                    2 => i16::from_le_bytes([s[0], s[1]]) as i64,
                    4 => i32::from_le_bytes(s.try_into().expect("4")) as i64,
                    _ => i64::from_le_bytes(s.try_into().expect("8")),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_matches_redis() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let whole = crc64(0, &data);
        let part = crc64(crc64(0, &data[..333]), &data[333..]);
        assert_eq!(whole, part);
    }

    #[test]
    fn lzf_roundtrip() {
        let data =
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcbcbcbcbcbcbcbcbcbchello hello hello"
                .repeat(20);
        let c = lzf_compress(&data, data.len()).expect("compresses");
        assert!(c.len() < data.len());
        assert_eq!(lzf_decompress(&c, data.len()).unwrap(), data);
        assert!(lzf_compress(b"abcdefgh", 8).is_none());
    }

    #[test]
    fn listpack_roundtrip() {
        let mut w = ListpackWriter::new();
        let big = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let vals: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"-1".to_vec(),
            b"4095".to_vec(),
            b"-4096".to_vec(),
            b"30000".to_vec(),
            b"-8000000".to_vec(),
            b"2000000000".to_vec(),
            b"9223372036854775807".to_vec(),
            b"hello".to_vec(),
            b"".to_vec(),
            b"007".to_vec(),
            mid.clone(),
            big.clone(),
        ];
        for v in &vals {
            w.push_str(v);
        }
        let lp = w.finish();
        let d = listpack_decode(&lp).unwrap();
        let back: Vec<Vec<u8>> = d.iter().map(|e| e.to_vec()).collect();
        assert_eq!(back, vals);
    }
}
