//! Stream entry IDs and the ID syntaxes Redis accepts in each command context.
//!
//! An ID is two unsigned 64-bit numbers, `<ms>-<seq>`, ordered by `ms` then `seq`. Parsing
//! follows Redis byte for byte, including its quirks: the argument is read as a C string (it
//! ends at the first NUL byte), each half is read first as a canonical signed integer and then,
//! if that fails, with `strtoull` rules (leading blanks, a sign, leading zeros are accepted, so
//! `1-+5`, `1- 5` and `007` are valid, and `1--01` wraps to `1-18446744073709551615`), and
//! arguments longer than 127 bytes are invalid.

use std::fmt;

use super::error::StreamError;

/// A stream entry ID: milliseconds part and sequence part.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    /// `0-0`, the smallest ID (what `-` means in a range).
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// `18446744073709551615-18446744073709551615`, the largest ID (what `+` means in a range).
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub const fn is_zero(self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID in order, or `None` for [`StreamId::MAX`].
    pub const fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID in order, or `None` for [`StreamId::MIN`].
    pub const fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// Appends the textual form `<ms>-<seq>` to `out` (no allocation beyond `out`'s growth).
    pub fn write_to(self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 20];
        out.extend_from_slice(format_u64(self.ms, &mut buf));
        out.push(b'-');
        out.extend_from_slice(format_u64(self.seq, &mut buf));
    }

    /// Parses an ID where `-` and `+` are not allowed (XDEL, XDELEX, XACK, XACKDEL, XCLAIM
    /// IDs and LASTID, MINID, XSETID and MAXDELETEDID, XGROUP CREATE, XREAD IDs). A missing
    /// sequence part means 0.
    pub fn parse(arg: &[u8]) -> Result<StreamId, StreamError> {
        match parse_generic(arg, 0, true, false)? {
            Parsed::Id(id) => Ok(id),
            Parsed::AutoSeq(_) => Err(StreamError::InvalidId),
        }
    }

    /// Parses an ID where `-` (0-0) and `+` (max) are allowed, with the given sequence for an
    /// ID written as `<ms>` alone (XGROUP SETID uses 0).
    pub fn parse_lenient(arg: &[u8], missing_seq: u64) -> Result<StreamId, StreamError> {
        match parse_generic(arg, missing_seq, false, false)? {
            Parsed::Id(id) => Ok(id),
            Parsed::AutoSeq(_) => Err(StreamError::InvalidId),
        }
    }

    /// Parses the start of an interval (XRANGE start, XREVRANGE's last argument, XPENDING
    /// start, XAUTOCLAIM start) and returns the inclusive lower bound: `-`, `+`, `<ms>`
    /// (sequence 0), `<ms>-<seq>`, or an exclusive `(<id>`.
    pub fn parse_range_start(arg: &[u8]) -> Result<StreamId, StreamError> {
        let (id, exclusive) = parse_interval(arg, 0)?;
        if exclusive {
            id.next().ok_or(StreamError::InvalidStartInterval)
        } else {
            Ok(id)
        }
    }

    /// Parses the end of an interval and returns the inclusive upper bound; `<ms>` alone means
    /// sequence `u64::MAX`.
    pub fn parse_range_end(arg: &[u8]) -> Result<StreamId, StreamError> {
        let (id, exclusive) = parse_interval(arg, u64::MAX)?;
        if exclusive {
            id.prev().ok_or(StreamError::InvalidEndInterval)
        } else {
            Ok(id)
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// The ID argument of XADD.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AddId {
    /// `*`: the server picks `<now>-0`, or the next sequence of the last ID if the clock has
    /// not moved past it.
    Auto,
    /// `<ms>-*`: the given milliseconds with the next free sequence number.
    AutoSeq { ms: u64 },
    /// A full (or `<ms>`-only, sequence 0) explicit ID.
    Explicit(StreamId),
}

impl AddId {
    pub fn parse(arg: &[u8]) -> Result<AddId, StreamError> {
        if arg == b"*" {
            return Ok(AddId::Auto);
        }
        match parse_generic(arg, 0, true, true)? {
            Parsed::Id(id) => Ok(AddId::Explicit(id)),
            Parsed::AutoSeq(ms) => Ok(AddId::AutoSeq { ms }),
        }
    }

    /// The check XADD makes before it looks the key up (so that a failing XADD never creates
    /// an empty stream): an explicit `0-0` is refused.
    pub fn validate(self) -> Result<(), StreamError> {
        match self {
            AddId::Explicit(id) if id.is_zero() => Err(StreamError::AddIdZero),
            _ => Ok(()),
        }
    }
}

/// The ID argument of XGROUP CREATE / SETID.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GroupStartId {
    /// `$`: the stream's last generated ID (0-0 for a stream that does not exist yet).
    LastGenerated,
    Id(StreamId),
}

impl GroupStartId {
    /// XGROUP CREATE: `$` or a strict ID.
    pub fn parse_create(arg: &[u8]) -> Result<GroupStartId, StreamError> {
        if arg == b"$" {
            return Ok(GroupStartId::LastGenerated);
        }
        StreamId::parse(arg).map(GroupStartId::Id)
    }

    /// XGROUP SETID: `$`, `-`, `+` or an ID.
    pub fn parse_setid(arg: &[u8]) -> Result<GroupStartId, StreamError> {
        if arg == b"$" {
            return Ok(GroupStartId::LastGenerated);
        }
        StreamId::parse_lenient(arg, 0).map(GroupStartId::Id)
    }
}

/// One ID of XREAD / XREADGROUP's `STREAMS` list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReadStartId {
    /// XREAD `$`: only entries added after the command (resolve with
    /// [`super::Stream::read_after`]).
    LastGenerated,
    /// XREAD `+`: the last entry of the stream, inclusive.
    LastEntry,
    /// XREADGROUP `>`: entries never delivered to the group.
    NewMessages,
    /// Entries with IDs strictly greater than this one (for XREADGROUP: the consumer's
    /// pending history after this ID).
    After(StreamId),
}

impl ReadStartId {
    /// Parses an ID for XREAD (`xreadgroup == false`) or XREADGROUP, with Redis's errors for
    /// IDs that make no sense in that command. As in Redis, XREADGROUP treats the explicit ID
    /// `18446744073709551615-18446744073709551615` like `>`.
    pub fn parse(arg: &[u8], xreadgroup: bool) -> Result<ReadStartId, StreamError> {
        match arg {
            b"$" if xreadgroup => Err(StreamError::DollarInXReadGroup),
            b"$" => Ok(ReadStartId::LastGenerated),
            b"+" if xreadgroup => Err(StreamError::PlusInXReadGroup),
            b"+" => Ok(ReadStartId::LastEntry),
            b">" if xreadgroup => Ok(ReadStartId::NewMessages),
            b">" => Err(StreamError::GreaterThanInXRead),
            _ => {
                let id = StreamId::parse(arg)?;
                if xreadgroup && id == StreamId::MAX {
                    Ok(ReadStartId::NewMessages)
                } else {
                    Ok(ReadStartId::After(id))
                }
            }
        }
    }
}

enum Parsed {
    Id(StreamId),
    AutoSeq(u64),
}

/// The C-string view Redis takes of an argument: everything before the first NUL byte.
fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(nul) => &arg[..nul],
        None => arg,
    }
}

fn parse_generic(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_auto_seq: bool,
) -> Result<Parsed, StreamError> {
    if arg.len() > 127 {
        return Err(StreamError::InvalidId);
    }
    let s = c_str(arg);
    match s {
        b"-" if !strict => return Ok(Parsed::Id(StreamId::MIN)),
        b"+" if !strict => return Ok(Parsed::Id(StreamId::MAX)),
        b"-" | b"+" => return Err(StreamError::InvalidId),
        _ => {}
    }
    let (ms_part, seq_part) = match s.iter().position(|&b| b == b'-') {
        Some(dash) => (&s[..dash], Some(&s[dash + 1..])),
        None => (s, None),
    };
    let ms = parse_u64_like_redis(ms_part).ok_or(StreamError::InvalidId)?;
    match seq_part {
        None => Ok(Parsed::Id(StreamId::new(ms, missing_seq))),
        Some(b"*") if allow_auto_seq => Ok(Parsed::AutoSeq(ms)),
        Some(seq) => {
            let seq = parse_u64_like_redis(seq).ok_or(StreamError::InvalidId)?;
            Ok(Parsed::Id(StreamId::new(ms, seq)))
        }
    }
}

fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), StreamError> {
    if arg.len() > 1 && arg[0] == b'(' {
        match parse_generic(&arg[1..], missing_seq, true, false)? {
            Parsed::Id(id) => Ok((id, true)),
            Parsed::AutoSeq(_) => Err(StreamError::InvalidId),
        }
    } else {
        match parse_generic(arg, missing_seq, false, false)? {
            Parsed::Id(id) => Ok((id, false)),
            Parsed::AutoSeq(_) => Err(StreamError::InvalidId),
        }
    }
}

/// Redis's `string2ull`: a canonical `long long` that is not negative, or else whatever
/// `strtoull(s, &end, 10)` accepts in full without overflow.
fn parse_u64_like_redis(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_canonical_i64(s) {
        return u64::try_from(v).ok();
    }
    parse_strtoull(s)
}

/// Redis's `string2ll`: optional `-`, no leading zeros, no blanks, in range.
fn parse_canonical_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut magnitude: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude
            .checked_mul(10)?
            .checked_add(u64::from(b - b'0'))?;
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

/// `strtoull` in base 10, requiring that the whole string is consumed and at least one digit
/// is present: leading C-locale blanks, an optional sign (`-` negates modulo 2^64).
fn parse_strtoull(s: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// Formats `v` in decimal into the end of `buf`, returning the written digits.
pub(crate) fn format_u64(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    #[test]
    fn ordering_and_neighbours() {
        assert!(id(1, 5) < id(2, 0));
        assert!(id(1, 5) < id(1, 6));
        assert_eq!(id(1, u64::MAX).next(), Some(id(2, 0)));
        assert_eq!(id(2, 0).prev(), Some(id(1, u64::MAX)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(StreamId::MIN.next(), Some(id(0, 1)));
        assert_eq!(StreamId::MAX.prev(), Some(id(u64::MAX, u64::MAX - 1)));
    }

    #[test]
    fn display_and_write_to() {
        assert_eq!(id(0, 0).to_string(), "0-0");
        assert_eq!(
            StreamId::MAX.to_string(),
            "18446744073709551615-18446744073709551615"
        );
        let mut out = b"x".to_vec();
        id(1526919030474, 55).write_to(&mut out);
        assert_eq!(out, b"x1526919030474-55");
    }

    #[test]
    fn strict_parse() {
        assert_eq!(StreamId::parse(b"5"), Ok(id(5, 0)));
        assert_eq!(StreamId::parse(b"5-7"), Ok(id(5, 7)));
        assert_eq!(StreamId::parse(b"0-0"), Ok(id(0, 0)));
        assert_eq!(
            StreamId::parse(b"18446744073709551615-18446744073709551615"),
            Ok(StreamId::MAX)
        );
        for bad in [
            &b"-"[..],
            b"+",
            b"",
            b"abc",
            b"1-",
            b"-1",
            b"1-2-3",
            b"18446744073709551616",
            b"1-18446744073709551616",
            b"1 ",
            b"*",
            b"1-*",
            b"1.5",
        ] {
            assert_eq!(StreamId::parse(bad), Err(StreamError::InvalidId), "{bad:?}");
        }
    }

    #[test]
    fn strtoull_quirks_are_kept() {
        // Leading zeros, a plus sign and leading blanks go through strtoull.
        assert_eq!(StreamId::parse(b"007-010"), Ok(id(7, 10)));
        assert_eq!(StreamId::parse(b"+5-+6"), Ok(id(5, 6)));
        assert_eq!(StreamId::parse(b" 5- 6"), Ok(id(5, 6)));
        // A canonical negative number is refused, a non-canonical one wraps.
        assert_eq!(StreamId::parse(b"1--1"), Err(StreamError::InvalidId));
        assert_eq!(StreamId::parse(b"1--01"), Ok(id(1, u64::MAX)));
        assert_eq!(StreamId::parse(b"1--0"), Ok(id(1, 0)));
        // The argument is a C string: bytes after a NUL are ignored.
        assert_eq!(StreamId::parse(b"12\0garbage"), Ok(id(12, 0)));
        // Arguments longer than 127 bytes are invalid even if numeric.
        let mut long = b"1-".to_vec();
        long.extend(std::iter::repeat_n(b'0', 126));
        assert_eq!(StreamId::parse(&long), Err(StreamError::InvalidId));
        long.truncate(127);
        assert_eq!(StreamId::parse(&long), Ok(id(1, 0)));
    }

    #[test]
    fn lenient_parse() {
        assert_eq!(StreamId::parse_lenient(b"-", 0), Ok(StreamId::MIN));
        assert_eq!(StreamId::parse_lenient(b"+", 0), Ok(StreamId::MAX));
        assert_eq!(StreamId::parse_lenient(b"9", 0), Ok(id(9, 0)));
        assert_eq!(StreamId::parse_lenient(b"9", 4), Ok(id(9, 4)));
        assert_eq!(
            StreamId::parse_lenient(b"x", 0),
            Err(StreamError::InvalidId)
        );
    }

    #[test]
    fn range_bounds() {
        assert_eq!(StreamId::parse_range_start(b"-"), Ok(StreamId::MIN));
        assert_eq!(StreamId::parse_range_start(b"+"), Ok(StreamId::MAX));
        assert_eq!(StreamId::parse_range_end(b"+"), Ok(StreamId::MAX));
        assert_eq!(StreamId::parse_range_start(b"5"), Ok(id(5, 0)));
        assert_eq!(StreamId::parse_range_end(b"5"), Ok(id(5, u64::MAX)));
        assert_eq!(StreamId::parse_range_start(b"(5-1"), Ok(id(5, 2)));
        assert_eq!(StreamId::parse_range_start(b"(5"), Ok(id(5, 1)));
        assert_eq!(StreamId::parse_range_end(b"(5"), Ok(id(5, u64::MAX - 1)));
        assert_eq!(StreamId::parse_range_end(b"(5-0"), Ok(id(4, u64::MAX)));
        assert_eq!(
            StreamId::parse_range_start(b"(18446744073709551615-18446744073709551615"),
            Err(StreamError::InvalidStartInterval)
        );
        assert_eq!(
            StreamId::parse_range_end(b"(0-0"),
            Err(StreamError::InvalidEndInterval)
        );
        // `(` alone is parsed as a plain (invalid) ID, `(-` and `(+` are strict.
        assert_eq!(
            StreamId::parse_range_start(b"("),
            Err(StreamError::InvalidId)
        );
        assert_eq!(
            StreamId::parse_range_start(b"(-"),
            Err(StreamError::InvalidId)
        );
        assert_eq!(
            StreamId::parse_range_end(b"(+"),
            Err(StreamError::InvalidId)
        );
    }

    #[test]
    fn add_id_forms() {
        assert_eq!(AddId::parse(b"*"), Ok(AddId::Auto));
        assert_eq!(AddId::parse(b"5-*"), Ok(AddId::AutoSeq { ms: 5 }));
        assert_eq!(AddId::parse(b"5-3"), Ok(AddId::Explicit(id(5, 3))));
        assert_eq!(AddId::parse(b"5"), Ok(AddId::Explicit(id(5, 0))));
        assert_eq!(AddId::parse(b"-"), Err(StreamError::InvalidId));
        assert_eq!(AddId::parse(b"*-5"), Err(StreamError::InvalidId));
        assert_eq!(AddId::parse(b"5-**"), Err(StreamError::InvalidId));
        assert_eq!(
            AddId::Explicit(id(0, 0)).validate(),
            Err(StreamError::AddIdZero)
        );
        assert_eq!(AddId::AutoSeq { ms: 0 }.validate(), Ok(()));
        assert_eq!(AddId::Explicit(id(0, 1)).validate(), Ok(()));
    }

    #[test]
    fn group_start_ids() {
        assert_eq!(
            GroupStartId::parse_create(b"$"),
            Ok(GroupStartId::LastGenerated)
        );
        assert_eq!(
            GroupStartId::parse_create(b"0"),
            Ok(GroupStartId::Id(id(0, 0)))
        );
        assert_eq!(
            GroupStartId::parse_create(b"+"),
            Err(StreamError::InvalidId)
        );
        assert_eq!(
            GroupStartId::parse_setid(b"+"),
            Ok(GroupStartId::Id(StreamId::MAX))
        );
        assert_eq!(
            GroupStartId::parse_setid(b"-"),
            Ok(GroupStartId::Id(StreamId::MIN))
        );
    }

    #[test]
    fn read_start_ids() {
        assert_eq!(
            ReadStartId::parse(b"$", false),
            Ok(ReadStartId::LastGenerated)
        );
        assert_eq!(ReadStartId::parse(b"+", false), Ok(ReadStartId::LastEntry));
        assert_eq!(
            ReadStartId::parse(b">", false),
            Err(StreamError::GreaterThanInXRead)
        );
        assert_eq!(
            ReadStartId::parse(b"$", true),
            Err(StreamError::DollarInXReadGroup)
        );
        assert_eq!(
            ReadStartId::parse(b"+", true),
            Err(StreamError::PlusInXReadGroup)
        );
        assert_eq!(ReadStartId::parse(b">", true), Ok(ReadStartId::NewMessages));
        assert_eq!(
            ReadStartId::parse(b"0", true),
            Ok(ReadStartId::After(id(0, 0)))
        );
        assert_eq!(
            ReadStartId::parse(b"18446744073709551615-18446744073709551615", true),
            Ok(ReadStartId::NewMessages)
        );
        assert_eq!(
            ReadStartId::parse(b"18446744073709551615-18446744073709551615", false),
            Ok(ReadStartId::After(StreamId::MAX))
        );
        assert_eq!(ReadStartId::parse(b"-", false), Err(StreamError::InvalidId));
    }
}
