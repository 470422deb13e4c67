//! HyperLogLog values stored exactly as Redis 7 stores them, so that the raw strings are
//! interchangeable with Redis (GET/SET, DUMP/RESTORE, RDB) byte for byte.
//!
//! A HyperLogLog is a plain string value:
//!
//! ```text
//! +------+----------+-----------+---------------------+-----------------------+
//! | HYLL | encoding | 3 unused  | cached cardinality  | registers             |
//! | 4 B  | 1 B      | 3 B       | 8 B little endian   | dense or sparse bytes |
//! +------+----------+-----------+---------------------+-----------------------+
//! ```
//!
//! * The cached cardinality is valid only while the top bit of its last byte is clear; every
//!   write that changes a register sets that bit, and a single-key PFCOUNT stores the fresh
//!   estimate there (so PFCOUNT modifies the value, exactly like in Redis).
//! * Dense encoding (byte 0): 16384 registers of 6 bits, packed LSB first, 12288 bytes.
//! * Sparse encoding (byte 1): run-length opcodes covering the 16384 registers in order:
//!   `00xxxxxx` ZERO (1..=64 zero registers), `01xxxxxx yyyyyyyy` XZERO (1..=16384 zero
//!   registers), `1vvvvvxx` VAL (value 1..=32 repeated 1..=4 times).
//!
//! Every algorithm below replays the exact sequence of byte edits Redis performs (where an
//! opcode is split, which neighbouring VAL opcodes are merged, when the value is promoted to
//! dense), because any shortcut would produce a different, though equivalent, byte string.
//! Values that merely pass the header check may still be corrupt; each operation detects
//! corruption at the same point Redis does, and otherwise leaves such bytes as Redis would.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `hll-sparse-max-bytes`: the largest sparse value (header included) before a write that
/// would grow it converts the value to the dense encoding.
pub static HLL_SPARSE_MAX_BYTES: AtomicUsize = AtomicUsize::new(3000);

/// Number of registers (2^14).
pub const REGISTER_COUNT: usize = 1 << INDEX_BITS;
/// Length of a dense value, header included.
pub const DENSE_LEN: usize = HEADER_LEN + REGISTER_COUNT * REGISTER_BITS / 8;

const INDEX_BITS: u32 = 14;
/// Hash bits left after the register index; a rank is at most `RANK_BITS + 1`.
const RANK_BITS: u32 = 64 - INDEX_BITS;
const REGISTER_BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << REGISTER_BITS) - 1;
const HEADER_LEN: usize = 16;
const MAGIC: &[u8; 4] = b"HYLL";
const ENCODING_OFFSET: usize = 4;
const CARD_OFFSET: usize = 8;
/// Byte holding the "cached cardinality is stale" flag (top bit).
const STALE_FLAG_OFFSET: usize = CARD_OFFSET + 7;
const STALE_FLAG: u8 = 0x80;
const ENCODING_DENSE: u8 = 0;
const ENCODING_SPARSE: u8 = 1;
const HASH_SEED: u64 = 0xadc8_3b19;

const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_RUN: usize = 4;
const SPARSE_ZERO_MAX_RUN: usize = 64;

/// 0.5 / ln(2), the asymptotic bias correction of the estimator.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
/// 2^63, the bound of C's `long long`.
const TWO_POW_63: f64 = (1u64 << 63) as f64;

/// The errors HyperLogLog commands can reply with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HllError {
    /// The string is not a HyperLogLog (bad magic, encoding or dense length).
    WrongType,
    /// The sparse registers do not cover exactly 16384 registers.
    InvalidObject,
    /// PFDEBUG DECODE on a dense value.
    NotSparse,
}

impl HllError {
    /// The error reply text, code included, as Redis sends it.
    pub fn message(self) -> &'static str {
        match self {
            HllError::WrongType => "WRONGTYPE Key is not a valid HyperLogLog string value.",
            HllError::InvalidObject => "INVALIDOBJ Corrupted HLL object detected",
            HllError::NotSparse => "ERR HLL encoding is not sparse",
        }
    }
}

impl std::fmt::Display for HllError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for HllError {}

/// The representation of a HyperLogLog value (PFDEBUG ENCODING).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

impl Encoding {
    /// The status reply of PFDEBUG ENCODING.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// Whether `value` passes Redis's HyperLogLog check: at least a header, the "HYLL" magic, a
/// known encoding, and for the dense encoding the exact dense length. The sparse registers
/// are not checked here; corruption there surfaces as [`HllError::InvalidObject`] later.
pub fn is_valid(value: &[u8]) -> bool {
    value.len() >= HEADER_LEN
        && &value[..4] == MAGIC
        && value[ENCODING_OFFSET] <= ENCODING_SPARSE
        && (value[ENCODING_OFFSET] != ENCODING_DENSE || value.len() == DENSE_LEN)
}

fn check(value: &[u8]) -> Result<Encoding, HllError> {
    if !is_valid(value) {
        return Err(HllError::WrongType);
    }
    Ok(if value[ENCODING_OFFSET] == ENCODING_DENSE {
        Encoding::Dense
    } else {
        Encoding::Sparse
    })
}

/// The encoding of a HyperLogLog value (PFDEBUG ENCODING).
pub fn encoding(value: &[u8]) -> Result<Encoding, HllError> {
    check(value)
}

/// An empty HyperLogLog as Redis creates it: sparse, one XZERO opcode covering all
/// registers, cached cardinality 0 and valid.
pub fn new_hll() -> Vec<u8> {
    let mut value = Vec::with_capacity(HEADER_LEN + 2);
    value.extend_from_slice(MAGIC);
    value.push(ENCODING_SPARSE);
    value.extend_from_slice(&[0; 11]);
    value.extend_from_slice(&xzero_opcode(REGISTER_COUNT));
    value
}

/// PFADD on an existing value: adds `elements`, returning whether a register changed (the
/// cached cardinality is then marked stale). On `Err(InvalidObject)` the value may already
/// hold the registers set by earlier elements, exactly as Redis leaves it.
pub fn pfadd(value: &mut Vec<u8>, elements: &[&[u8]]) -> Result<bool, HllError> {
    pfadd_with_limit(value, elements, sparse_limit())
}

/// PFADD on a missing key: the value Redis stores (a new HyperLogLog with `elements` added
/// and its cache marked stale). PFADD replies 1 in this case even without elements.
pub fn pfadd_new_key(elements: &[&[u8]]) -> Vec<u8> {
    pfadd_new_key_with_limit(elements, sparse_limit())
}

fn pfadd_new_key_with_limit(elements: &[&[u8]], sparse_max_bytes: usize) -> Vec<u8> {
    let mut value = new_hll();
    // A fresh sparse value is well formed, so adding cannot fail.
    if pfadd_with_limit(&mut value, elements, sparse_max_bytes).is_err() {
        unreachable!("adding to a new HyperLogLog cannot fail");
    }
    mark_stale(&mut value);
    value
}

fn pfadd_with_limit(
    value: &mut Vec<u8>,
    elements: &[&[u8]],
    sparse_max_bytes: usize,
) -> Result<bool, HllError> {
    check(value)?;
    let mut changed = false;
    for element in elements {
        let (index, rank) = register_and_rank(element);
        if raise_register(value, index, rank, sparse_max_bytes)? {
            changed = true;
        }
    }
    if changed {
        mark_stale(value);
    }
    Ok(changed)
}

/// PFCOUNT with a single key: the cached cardinality when valid, otherwise the estimate,
/// which is then cached in the value (the value changes; Redis propagates it as a write).
/// The result is what Redis replies: the 64-bit cardinality read as a signed integer.
pub fn pfcount(value: &mut [u8]) -> Result<i64, HllError> {
    let encoding = check(value)?;
    if value[STALE_FLAG_OFFSET] & STALE_FLAG == 0 {
        return Ok(cached_cardinality(value) as i64);
    }
    let histogram = match encoding {
        Encoding::Dense => dense_histogram(&value[HEADER_LEN..]),
        Encoding::Sparse => sparse_histogram(&value[HEADER_LEN..])?,
    };
    let cardinality = estimate(&histogram);
    value[CARD_OFFSET..HEADER_LEN].copy_from_slice(&cardinality.to_le_bytes());
    Ok(cardinality as i64)
}

/// PFCOUNT with several keys: the estimate of their union, computed without touching the
/// values. Pass the existing keys' values in argument order (missing keys count as empty);
/// errors are reported for the first offending value, like Redis.
pub fn pfcount_union(values: &[&[u8]]) -> Result<i64, HllError> {
    let mut registers = [0u8; REGISTER_COUNT];
    for value in values {
        merge_into(&mut registers, value)?;
    }
    let mut histogram = [0u32; 64];
    for &register in registers.iter() {
        histogram[register as usize] += 1;
    }
    Ok(estimate(&histogram) as i64)
}

/// PFMERGE: merges `dest` and `sources` into `dest`. For a missing destination pass
/// [`new_hll`] (and store it only on success); pass only existing source keys, in argument
/// order. The result is dense when any input is dense; otherwise the merged registers are
/// written into the sparse destination one by one, which may still promote it.
pub fn pfmerge(dest: &mut Vec<u8>, sources: &[&[u8]]) -> Result<(), HllError> {
    pfmerge_with_limit(dest, sources, sparse_limit())
}

fn pfmerge_with_limit(
    dest: &mut Vec<u8>,
    sources: &[&[u8]],
    sparse_max_bytes: usize,
) -> Result<(), HllError> {
    let mut registers = [0u8; REGISTER_COUNT];
    let mut any_dense = merge_into(&mut registers, dest)? == Encoding::Dense;
    for source in sources {
        any_dense |= merge_into(&mut registers, source)? == Encoding::Dense;
    }
    if any_dense {
        sparse_to_dense(dest)?;
    }
    for (index, &register) in registers.iter().enumerate() {
        if register != 0 {
            raise_register(dest, index, register, sparse_max_bytes)?;
        }
    }
    mark_stale(dest);
    Ok(())
}

/// PFDEBUG GETREG: the 16384 register values. A sparse value is converted to dense in place
/// first; the flag tells whether that happened (Redis then counts the command as a write).
pub fn debug_registers(value: &mut Vec<u8>) -> Result<(Vec<u8>, bool), HllError> {
    let converted = debug_to_dense(value)?;
    let dense = &value[HEADER_LEN..];
    let registers = (0..REGISTER_COUNT)
        .map(|index| dense_get(dense, index))
        .collect();
    Ok((registers, converted))
}

/// PFDEBUG TODENSE: converts a sparse value to dense; returns whether it was sparse.
pub fn debug_to_dense(value: &mut Vec<u8>) -> Result<bool, HllError> {
    match check(value)? {
        Encoding::Dense => Ok(false),
        Encoding::Sparse => sparse_to_dense(value).map(|()| true),
    }
}

/// PFDEBUG DECODE: the sparse opcodes as text, e.g. `Z:1000 v:2,1 z:19 v:3,2 Z:15362`.
pub fn debug_decode(value: &[u8]) -> Result<String, HllError> {
    if check(value)? != Encoding::Sparse {
        return Err(HllError::NotSparse);
    }
    let sparse = &value[HEADER_LEN..];
    let mut decoded = String::new();
    let mut pos = 0;
    while pos < sparse.len() {
        let op = Opcode::at(sparse, pos);
        if !decoded.is_empty() {
            decoded.push(' ');
        }
        match op {
            Opcode::Zero(run) => decoded.push_str(&format!("z:{run}")),
            Opcode::XZero(run) => decoded.push_str(&format!("Z:{run}")),
            Opcode::Val { value, run } => decoded.push_str(&format!("v:{value},{run}")),
        }
        pos += op.byte_len();
    }
    Ok(decoded)
}

/// PFSELFTEST: checks the dense register packing and that dense and sparse values built from
/// the same `element_count` elements agree and stay within the expected error (Redis uses
/// ten million elements). The error is the reply text, code included.
pub fn selftest(element_count: u64, seed: u64) -> Result<(), String> {
    let mut random = seed | 1;
    let mut next_random = move || {
        // xorshift64: enough to fill registers with varied values.
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random
    };

    let mut dense = vec![0u8; DENSE_LEN - HEADER_LEN];
    let mut expected = [0u8; REGISTER_COUNT];
    for _ in 0..64 {
        for (index, slot) in expected.iter_mut().enumerate() {
            *slot = (next_random() as u8) & REGISTER_MAX;
            dense_set(&mut dense, index, *slot);
        }
        for (index, &want) in expected.iter().enumerate() {
            let got = dense_get(&dense, index);
            if got != want {
                return Err(format!(
                    "TESTFAILED Register {index} should be {want} but is {got}"
                ));
            }
        }
    }

    let mut dense_value = new_hll();
    sparse_to_dense(&mut dense_value).map_err(|e| e.message().to_string())?;
    let mut sparse_value = new_hll();
    let sparse_max_bytes = sparse_limit();
    let relative_error = 1.04 / (REGISTER_COUNT as f64).sqrt();
    let salt = next_random();
    let mut checkpoint = 1u64;
    for j in 1..=element_count {
        let element = (j ^ salt).to_le_bytes();
        let (index, rank) = register_and_rank(&element);
        raise_register(&mut dense_value, index, rank, sparse_max_bytes)
            .and_then(|_| raise_register(&mut sparse_value, index, rank, sparse_max_bytes))
            .map_err(|e| e.message().to_string())?;
        if j != checkpoint {
            continue;
        }
        if (j as usize) < sparse_max_bytes / 2 && sparse_value[ENCODING_OFFSET] != ENCODING_SPARSE {
            return Err("TESTFAILED sparse encoding not used".to_string());
        }
        let dense_estimate = estimate(&dense_histogram(&dense_value[HEADER_LEN..]));
        let other_estimate = match sparse_value[ENCODING_OFFSET] {
            ENCODING_SPARSE => sparse_histogram(&sparse_value[HEADER_LEN..])
                .map(|histogram| estimate(&histogram))
                .map_err(|e| e.message().to_string())?,
            _ => estimate(&dense_histogram(&sparse_value[HEADER_LEN..])),
        };
        if dense_estimate != other_estimate {
            return Err("TESTFAILED dense/sparse disagree".to_string());
        }
        let error = checkpoint.abs_diff(dense_estimate);
        let max_error = if j == 10 {
            1
        } else {
            (relative_error * 6.0 * checkpoint as f64).ceil() as u64
        };
        if error > max_error {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{error}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

/// MurmurHash64A as Redis uses it (little-endian words, `len` folded into the seed).
fn murmurhash64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut words = key.chunks_exact(8);
    for word in &mut words {
        let mut k = u64::from_le_bytes(word.try_into().expect("chunk of 8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            h ^= (byte as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element maps to and the rank it offers: the low 14 hash bits pick the
/// register, the rank is 1 + the number of trailing zeros of the remaining 50 bits (51 when
/// they are all zero).
fn register_and_rank(element: &[u8]) -> (usize, u8) {
    let hash = murmurhash64a(element, HASH_SEED);
    let index = (hash as usize) & (REGISTER_COUNT - 1);
    let rest = (hash >> INDEX_BITS) | (1u64 << RANK_BITS);
    (index, rest.trailing_zeros() as u8 + 1)
}

fn sparse_limit() -> usize {
    HLL_SPARSE_MAX_BYTES.load(Ordering::Relaxed)
}

fn mark_stale(value: &mut [u8]) {
    value[STALE_FLAG_OFFSET] |= STALE_FLAG;
}

fn cached_cardinality(value: &[u8]) -> u64 {
    u64::from_le_bytes(
        value[CARD_OFFSET..HEADER_LEN]
            .try_into()
            .expect("8 header bytes"),
    )
}

/// Sets register `index` to `rank` if that raises it; returns whether it did.
fn raise_register(
    value: &mut Vec<u8>,
    index: usize,
    rank: u8,
    sparse_max_bytes: usize,
) -> Result<bool, HllError> {
    if value[ENCODING_OFFSET] == ENCODING_DENSE {
        Ok(dense_raise(&mut value[HEADER_LEN..], index, rank))
    } else {
        sparse_raise(value, index, rank, sparse_max_bytes)
    }
}

// ---------------------------------------------------------------------------------------
// Dense encoding: register i occupies bits 6i..6i+6 of the register bytes, LSB first.

fn dense_get(registers: &[u8], index: usize) -> u8 {
    let byte = index * REGISTER_BITS / 8;
    let shift = (index * REGISTER_BITS) & 7;
    let low = registers[byte] as u16;
    // The last register never reaches into a following byte (its shift is 2).
    let high = registers.get(byte + 1).copied().unwrap_or(0) as u16;
    (((low >> shift) | (high << (8 - shift))) as u8) & REGISTER_MAX
}

fn dense_set(registers: &mut [u8], index: usize, register: u8) {
    let byte = index * REGISTER_BITS / 8;
    let shift = (index * REGISTER_BITS) & 7;
    let register = register as u16;
    let mask = (REGISTER_MAX as u16) << shift;
    registers[byte] = (registers[byte] & !(mask as u8)) | ((register << shift) as u8);
    if shift > 2 {
        registers[byte + 1] =
            (registers[byte + 1] & !((mask >> 8) as u8)) | ((register << shift) >> 8) as u8;
    }
}

fn dense_raise(registers: &mut [u8], index: usize, rank: u8) -> bool {
    if rank > dense_get(registers, index) {
        dense_set(registers, index, rank);
        true
    } else {
        false
    }
}

/// Histogram of register values, unpacking four registers from every three bytes.
fn dense_histogram(registers: &[u8]) -> [u32; 64] {
    let mut histogram = [0u32; 64];
    for group in registers.chunks_exact(3) {
        let bits = group[0] as u32 | (group[1] as u32) << 8 | (group[2] as u32) << 16;
        histogram[(bits & 63) as usize] += 1;
        histogram[((bits >> 6) & 63) as usize] += 1;
        histogram[((bits >> 12) & 63) as usize] += 1;
        histogram[((bits >> 18) & 63) as usize] += 1;
    }
    histogram
}

// ---------------------------------------------------------------------------------------
// Sparse encoding.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opcode {
    Zero(usize),
    XZero(usize),
    Val { value: u8, run: usize },
}

impl Opcode {
    /// Decodes the opcode at `pos`. An XZERO cut short by the end of the value reads its
    /// second byte as 0, like Redis reading the string's terminating NUL.
    fn at(sparse: &[u8], pos: usize) -> Opcode {
        let byte = sparse[pos];
        match byte & 0xc0 {
            0x00 => Opcode::Zero((byte & 0x3f) as usize + 1),
            0x40 => {
                let low = sparse.get(pos + 1).copied().unwrap_or(0) as usize;
                Opcode::XZero(((((byte & 0x3f) as usize) << 8) | low) + 1)
            }
            _ => Opcode::Val {
                value: ((byte >> 2) & 0x1f) + 1,
                run: (byte & 0x03) as usize + 1,
            },
        }
    }

    fn span(self) -> usize {
        match self {
            Opcode::Zero(run) | Opcode::XZero(run) | Opcode::Val { run, .. } => run,
        }
    }

    fn byte_len(self) -> usize {
        match self {
            Opcode::XZero(_) => 2,
            _ => 1,
        }
    }
}

fn val_opcode(value: u8, run: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (run - 1) as u8
}

fn xzero_opcode(run: usize) -> [u8; 2] {
    let stored = run - 1;
    [0x40 | (stored >> 8) as u8, (stored & 0xff) as u8]
}

/// The at most five opcode bytes replacing one split opcode (XZERO VAL XZERO at worst).
struct Replacement {
    bytes: [u8; 5],
    len: usize,
}

impl Replacement {
    fn push(&mut self, byte: u8) {
        self.bytes[self.len] = byte;
        self.len += 1;
    }

    /// Appends the shortest zero-run opcode for `run` registers (1..=16384).
    fn push_zero_run(&mut self, run: usize) {
        if run > SPARSE_ZERO_MAX_RUN {
            let [high, low] = xzero_opcode(run);
            self.push(high);
            self.push(low);
        } else {
            self.push((run - 1) as u8);
        }
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Calls `visit(first_register, run, value)` for every VAL opcode, the way Redis converts
/// and merges sparse values: a VAL running past the last register is corruption, and the
/// opcodes must cover exactly 16384 registers. (Redis before the CVE-2025-32023 fix ignored
/// whatever followed such a VAL; the patched releases reject it, and so do we.)
fn for_each_val(sparse: &[u8], mut visit: impl FnMut(usize, usize, u8)) -> Result<(), HllError> {
    let mut index = 0usize;
    let mut pos = 0;
    while pos < sparse.len() {
        let op = Opcode::at(sparse, pos);
        if let Opcode::Val { value, run } = op {
            if index + run > REGISTER_COUNT {
                return Err(HllError::InvalidObject);
            }
            visit(index, run, value);
        }
        index += op.span();
        pos += op.byte_len();
    }
    if index == REGISTER_COUNT {
        Ok(())
    } else {
        Err(HllError::InvalidObject)
    }
}

/// Histogram of a sparse value as single-key PFCOUNT computes it: every opcode counts, and
/// the total must be exactly 16384 registers.
fn sparse_histogram(sparse: &[u8]) -> Result<[u32; 64], HllError> {
    let mut histogram = [0u32; 64];
    let mut index = 0usize;
    let mut pos = 0;
    while pos < sparse.len() {
        let op = Opcode::at(sparse, pos);
        let value = match op {
            Opcode::Val { value, .. } => value as usize,
            _ => 0,
        };
        histogram[value] = histogram[value].wrapping_add(op.span() as u32);
        index += op.span();
        pos += op.byte_len();
    }
    if index == REGISTER_COUNT {
        Ok(histogram)
    } else {
        Err(HllError::InvalidObject)
    }
}

/// Raises `registers` to the registers of `value` (which is checked first); returns its
/// encoding.
fn merge_into(registers: &mut [u8; REGISTER_COUNT], value: &[u8]) -> Result<Encoding, HllError> {
    let encoding = check(value)?;
    match encoding {
        Encoding::Dense => {
            let dense = &value[HEADER_LEN..];
            for (index, register) in registers.iter_mut().enumerate() {
                *register = (*register).max(dense_get(dense, index));
            }
        }
        Encoding::Sparse => for_each_val(&value[HEADER_LEN..], |first, run, value| {
            for register in &mut registers[first..first + run] {
                *register = (*register).max(value);
            }
        })?,
    }
    Ok(encoding)
}

/// Converts a sparse value to dense in place. The header (magic, unused bytes, cached
/// cardinality and its flag) is kept; only the encoding byte changes.
fn sparse_to_dense(value: &mut Vec<u8>) -> Result<(), HllError> {
    if value[ENCODING_OFFSET] == ENCODING_DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HEADER_LEN].copy_from_slice(&value[..HEADER_LEN]);
    dense[ENCODING_OFFSET] = ENCODING_DENSE;
    let registers = &mut dense[HEADER_LEN..];
    for_each_val(&value[HEADER_LEN..], |first, run, register| {
        for index in first..first + run {
            dense_set(registers, index, register);
        }
    })?;
    *value = dense;
    Ok(())
}

/// Raises register `index` of a sparse value to `rank`, editing the opcodes in place like
/// Redis: locate the opcode covering the register, update or split it, then merge adjacent
/// equal VAL opcodes around the edit. Promotes to dense when `rank` exceeds what VAL can
/// hold or when the value would grow beyond `sparse_max_bytes`.
fn sparse_raise(
    value: &mut Vec<u8>,
    index: usize,
    rank: u8,
    sparse_max_bytes: usize,
) -> Result<bool, HllError> {
    if rank > SPARSE_VAL_MAX_VALUE {
        return promote_and_raise(value, index, rank);
    }

    // Step 1: find the opcode covering `index`, and the one before it.
    let end = value.len();
    let mut pos = HEADER_LEN;
    let mut first = 0usize;
    let mut prev = None;
    let mut found = None;
    while pos < end {
        let op = Opcode::at(value, pos);
        if index < first + op.span() {
            found = Some(op);
            break;
        }
        prev = Some(pos);
        pos += op.byte_len();
        first += op.span();
    }
    let Some(op) = found else {
        return Err(HllError::InvalidObject);
    };

    // Step 2: trivial in-place updates, or build the replacement sequence.
    match op {
        Opcode::Val { value: current, .. } if current >= rank => return Ok(false),
        Opcode::Val { run: 1, .. } | Opcode::Zero(1) => value[pos] = val_opcode(rank, 1),
        _ => {
            let last = first + op.span() - 1;
            let mut seq = Replacement {
                bytes: [0; 5],
                len: 0,
            };
            match op {
                Opcode::Val { value: current, .. } => {
                    if index != first {
                        seq.push(val_opcode(current, index - first));
                    }
                    seq.push(val_opcode(rank, 1));
                    if index != last {
                        seq.push(val_opcode(current, last - index));
                    }
                }
                _ => {
                    if index != first {
                        seq.push_zero_run(index - first);
                    }
                    seq.push(val_opcode(rank, 1));
                    if index != last {
                        seq.push_zero_run(last - index);
                    }
                }
            }

            // Step 3: substitute the sequence for the opcode.
            let old_len = op.byte_len();
            let growth = seq.len as isize - old_len as isize;
            if growth > 0 && end + growth as usize > sparse_max_bytes {
                return promote_and_raise(value, index, rank);
            }
            let new_len = (end as isize + growth) as usize;
            let old_end = (pos + old_len).min(end);
            value.splice(pos..old_end, seq.as_slice().iter().copied());
            // A truncated trailing XZERO counted a byte the value does not have.
            value.truncate(new_len);
        }
    }

    // Step 4: merge adjacent VAL opcodes of equal value, scanning at most five opcodes
    // starting from the one before the edit.
    let mut pos = prev.unwrap_or(HEADER_LEN);
    let mut budget = 5;
    while pos < value.len() && budget > 0 {
        budget -= 1;
        match Opcode::at(value, pos) {
            Opcode::XZero(_) => {
                pos += 2;
                continue;
            }
            Opcode::Zero(_) => {
                pos += 1;
                continue;
            }
            Opcode::Val {
                value: left,
                run: left_run,
            } => {
                if pos + 1 < value.len()
                    && let Opcode::Val {
                        value: right,
                        run: right_run,
                    } = Opcode::at(value, pos + 1)
                    && left == right
                    && left_run + right_run <= SPARSE_VAL_MAX_RUN
                {
                    value[pos + 1] = val_opcode(left, left_run + right_run);
                    value.remove(pos);
                    continue;
                }
            }
        }
        pos += 1;
    }
    mark_stale(value);
    Ok(true)
}

fn promote_and_raise(value: &mut Vec<u8>, index: usize, rank: u8) -> Result<bool, HllError> {
    sparse_to_dense(value)?;
    // Promotion only happens for a register that must grow, so this always changes it.
    Ok(dense_raise(&mut value[HEADER_LEN..], index, rank))
}

// ---------------------------------------------------------------------------------------
// Estimator (Ertl, "New cardinality estimation algorithms for HyperLogLog sketches").

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// The cardinality estimate from the register histogram. Register values above 51 (only
/// possible in hand-made dense values) are ignored, as in Redis. The final conversion
/// reproduces C's `(uint64_t)(double)llroundl(e)` on x86-64, including its results for an
/// infinite or out-of-range estimate.
fn estimate(histogram: &[u32; 64]) -> u64 {
    let m = REGISTER_COUNT as f64;
    let q = RANK_BITS as usize;
    let mut z = m * tau((m - histogram[q + 1] as f64) / m);
    for j in (1..=q).rev() {
        z += histogram[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    let rounded = (ALPHA_INF * m * m / z).round();
    let as_long_long = if rounded.is_nan() || !(-TWO_POW_63..TWO_POW_63).contains(&rounded) {
        i64::MIN
    } else {
        rounded as i64
    };
    let as_double = as_long_long as f64;
    if as_double >= TWO_POW_63 {
        ((as_double - TWO_POW_63) as i64 as u64) ^ (1 << 63)
    } else {
        as_double as i64 as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    use std::collections::HashMap;

    /// A reply as recorded in the fixture files.
    #[derive(Debug, PartialEq)]
    enum Reply {
        Int(i64),
        Status(String),
        Error(String),
        Bulk(Vec<u8>),
        Null,
        Ints(Vec<i64>),
    }

    fn read_fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Hex where `~PATTERN*COUNT;` is the hex PATTERN repeated COUNT times.
    fn unpack(text: &str) -> Vec<u8> {
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(run) = rest.strip_prefix('~') {
                let (pattern, after) = run.split_once('*').unwrap();
                let (count, after) = after.split_once(';').unwrap();
                let pattern = hex(pattern);
                for _ in 0..count.parse::<usize>().unwrap() {
                    out.extend_from_slice(&pattern);
                }
                rest = after;
            } else {
                let literal_end = rest.find('~').unwrap_or(rest.len());
                out.extend(hex(&rest[..literal_end]));
                rest = &rest[literal_end..];
            }
        }
        out
    }

    fn expand(token: &str) -> Vec<Vec<u8>> {
        if let Some(range) = token.strip_prefix("r:") {
            let parts: Vec<&str> = range.split(':').collect();
            let (start, end): (usize, usize) =
                (parts[1].parse().unwrap(), parts[2].parse().unwrap());
            (start..end)
                .map(|i| format!("{}{i}", parts[0]).into_bytes())
                .collect()
        } else if let Some(bytes) = token.strip_prefix("h:") {
            vec![unpack(bytes)]
        } else {
            vec![token.as_bytes().to_vec()]
        }
    }

    fn parse_reply(line: &str) -> Reply {
        let (kind, rest) = line.split_once(':').unwrap_or((line, ""));
        match kind {
            "i" => Reply::Int(rest.parse().unwrap()),
            "s" => Reply::Status(rest.to_string()),
            "e" => Reply::Error(rest.to_string()),
            "b" => Reply::Bulk(unpack(rest)),
            "n" => Reply::Null,
            "ai" => Reply::Ints(rest.split(',').map(|n| n.parse().unwrap()).collect()),
            _ => panic!("bad reply line {line}"),
        }
    }

    /// Just enough of a keyspace and command layer to replay the fixture scripts.
    struct Db {
        keys: HashMap<Vec<u8>, Vec<u8>>,
        sparse_max_bytes: usize,
    }

    impl Db {
        fn exec(&mut self, args: &[Vec<u8>]) -> Reply {
            let name = String::from_utf8_lossy(&args[0]).to_uppercase();
            let reply = |result: Result<Reply, HllError>| {
                result.unwrap_or_else(|e| Reply::Error(e.message().to_string()))
            };
            match name.as_str() {
                "SET" => {
                    self.keys.insert(args[1].clone(), args[2].clone());
                    Reply::Status("OK".into())
                }
                "GET" => self
                    .keys
                    .get(&args[1])
                    .map_or(Reply::Null, |v| Reply::Bulk(v.clone())),
                "CONFIG" => {
                    assert_eq!(args[2], b"hll-sparse-max-bytes");
                    self.sparse_max_bytes = String::from_utf8_lossy(&args[3]).parse().unwrap();
                    Reply::Status("OK".into())
                }
                "PFADD" => {
                    let elements: Vec<&[u8]> = args[2..].iter().map(|e| e.as_slice()).collect();
                    match self.keys.get_mut(&args[1]) {
                        None => {
                            let value = pfadd_new_key_with_limit(&elements, self.sparse_max_bytes);
                            self.keys.insert(args[1].clone(), value);
                            Reply::Int(1)
                        }
                        Some(value) => reply(
                            pfadd_with_limit(value, &elements, self.sparse_max_bytes)
                                .map(|changed| Reply::Int(changed as i64)),
                        ),
                    }
                }
                "PFCOUNT" if args.len() == 2 => match self.keys.get_mut(&args[1]) {
                    None => Reply::Int(0),
                    Some(value) => reply(pfcount(value).map(Reply::Int)),
                },
                "PFCOUNT" => {
                    let values: Vec<&[u8]> = args[1..]
                        .iter()
                        .filter_map(|k| self.keys.get(k).map(|v| v.as_slice()))
                        .collect();
                    reply(pfcount_union(&values).map(Reply::Int))
                }
                "PFMERGE" => {
                    let mut dest = self.keys.get(&args[1]).cloned().unwrap_or_else(new_hll);
                    let sources: Vec<&[u8]> = args[2..]
                        .iter()
                        .filter_map(|k| self.keys.get(k).map(|v| v.as_slice()))
                        .collect();
                    match pfmerge_with_limit(&mut dest, &sources, self.sparse_max_bytes) {
                        Ok(()) => {
                            self.keys.insert(args[1].clone(), dest);
                            Reply::Status("OK".into())
                        }
                        Err(e) => Reply::Error(e.message().to_string()),
                    }
                }
                "PFDEBUG" => {
                    let value = self
                        .keys
                        .get_mut(&args[2])
                        .expect("PFDEBUG on a missing key");
                    let sub = String::from_utf8_lossy(&args[1]).to_uppercase();
                    reply(match sub.as_str() {
                        "ENCODING" => encoding(value).map(|e| Reply::Status(e.name().into())),
                        "DECODE" => debug_decode(value).map(|s| Reply::Bulk(s.into_bytes())),
                        "TODENSE" => debug_to_dense(value).map(|c| Reply::Int(c as i64)),
                        "GETREG" => debug_registers(value)
                            .map(|(r, _)| Reply::Ints(r.iter().map(|&x| x as i64).collect())),
                        _ => panic!("unknown PFDEBUG {sub}"),
                    })
                }
                _ => panic!("unexpected command {name}"),
            }
        }
    }

    /// Replays every command recorded from redis-server 7.0.15 and compares each reply,
    /// raw value bytes included.
    #[test]
    fn replays_redis_fixture() {
        let text = read_fixture("hll.txt");
        let mut db = Db {
            keys: HashMap::new(),
            sparse_max_bytes: 3000,
        };
        let mut lines = text.lines().filter(|l| !l.starts_with('#'));
        let mut replayed = 0;
        while let Some(command) = lines.next() {
            let command = command.strip_prefix("> ").expect("command line");
            let expected = parse_reply(lines.next().unwrap().strip_prefix("< ").unwrap());
            let args: Vec<Vec<u8>> = command.split(' ').flat_map(expand).collect();
            let got = db.exec(&args);
            assert!(
                got == expected,
                "command #{replayed} `{}`:\n  got      {got:?}\n  expected {expected:?}",
                &command[..command.len().min(200)]
            );
            replayed += 1;
        }
        assert_eq!(replayed, 2570);
    }

    #[test]
    fn error_texts() {
        assert_eq!(
            HllError::WrongType.message(),
            "WRONGTYPE Key is not a valid HyperLogLog string value."
        );
        assert_eq!(
            HllError::InvalidObject.to_string(),
            "INVALIDOBJ Corrupted HLL object detected"
        );
        assert_eq!(
            HllError::NotSparse.message(),
            "ERR HLL encoding is not sparse"
        );
    }

    #[test]
    fn new_value_layout() {
        let value = new_hll();
        assert_eq!(value, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
        assert!(is_valid(&value));
        assert_eq!(encoding(&value), Ok(Encoding::Sparse));
        assert_eq!(debug_decode(&value).unwrap(), "Z:16384");
        let mut value = value;
        assert_eq!(pfcount(&mut value), Ok(0));
        assert_eq!(HLL_SPARSE_MAX_BYTES.load(Ordering::Relaxed), 3000);
    }

    #[test]
    fn validity() {
        let mut dense = new_hll();
        assert_eq!(debug_to_dense(&mut dense), Ok(true));
        assert_eq!(dense.len(), DENSE_LEN);
        assert!(is_valid(&dense));
        assert!(!is_valid(&dense[..DENSE_LEN - 1]));
        assert!(!is_valid(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0"));
        assert!(is_valid(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0"));
        assert!(!is_valid(b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"));
        assert!(!is_valid(b"hyll\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"));
    }

    #[test]
    fn dense_registers_round_trip_against_a_byte_model() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut packed = vec![0u8; DENSE_LEN - HEADER_LEN];
        let mut model = vec![0u8; REGISTER_COUNT];
        for _ in 0..200_000 {
            let index = rng.random_range(0..REGISTER_COUNT);
            let register = rng.random_range(0..64u8);
            dense_set(&mut packed, index, register);
            model[index] = register;
            let probe = rng.random_range(0..REGISTER_COUNT);
            assert_eq!(dense_get(&packed, probe), model[probe]);
        }
        for (index, &register) in model.iter().enumerate() {
            assert_eq!(dense_get(&packed, index), register);
        }
        let mut histogram = [0u32; 64];
        for &register in &model {
            histogram[register as usize] += 1;
        }
        assert_eq!(dense_histogram(&packed), histogram);
    }

    /// Random register raises through the sparse encoding (with every promotion limit)
    /// must always describe the same registers as a plain array.
    #[test]
    fn sparse_edits_match_a_register_model() {
        let mut rng = StdRng::seed_from_u64(11);
        for round in 0..60 {
            let limit = [0, 40, 300, 3000, 100_000][round % 5];
            let mut value = new_hll();
            let mut model = [0u8; REGISTER_COUNT];
            let spread = [40, 400, REGISTER_COUNT][round % 3];
            let base = rng.random_range(0..REGISTER_COUNT - spread + 1);
            for _ in 0..rng.random_range(1..600) {
                let index = base + rng.random_range(0..spread);
                let rank = if rng.random_range(0..50) == 0 {
                    rng.random_range(33..52)
                } else {
                    rng.random_range(1..6)
                };
                let changed = raise_register(&mut value, index, rank, limit).unwrap();
                assert_eq!(changed, rank > model[index]);
                model[index] = model[index].max(rank);
            }
            let mut registers = [0u8; REGISTER_COUNT];
            merge_into(&mut registers, &value).unwrap();
            assert_eq!(registers, model);
            if value[ENCODING_OFFSET] == ENCODING_SPARSE {
                assert!(value.len() <= limit.max(HEADER_LEN + 2));
                // No two adjacent VAL opcodes that the merge step would have joined remain
                // next to the last edit; the whole value still decodes to the model.
                let mut copy = value.clone();
                sparse_to_dense(&mut copy).unwrap();
                let (dense_registers, _) = debug_registers(&mut copy).unwrap();
                assert_eq!(dense_registers, model);
            }
        }
    }

    #[test]
    fn selftest_passes() {
        assert_eq!(selftest(100_000, 42), Ok(()));
    }

    #[test]
    fn estimate_of_saturated_and_empty_histograms() {
        let mut histogram = [0u32; 64];
        histogram[0] = REGISTER_COUNT as u32;
        assert_eq!(estimate(&histogram), 0);
        // Every register above 51: the estimate is infinite, and Redis's conversion chain
        // turns it into 2^63 (replied as i64::MIN).
        let mut histogram = [0u32; 64];
        histogram[63] = REGISTER_COUNT as u32;
        assert_eq!(estimate(&histogram), 1 << 63);
    }
}
