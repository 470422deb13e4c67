//! Number parsing and formatting with Redis's exact rules.
//!
//! Clients compare our replies byte for byte with what Redis prints, so integers and doubles are
//! parsed and formatted here once, following Redis 7.2 (`string2ll`, `string2d`, `fpconv_dtoa`).

/// Parses a signed 64-bit integer the way Redis's `string2ll` does: optional `-`, no `+`, no
/// leading zeros (except "0" itself), no spaces, no trailing bytes, no overflow. "-0" is rejected.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [] => return None,
        [b'0'] => return Some(0),
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses an unsigned 64-bit integer with the same strictness as [`parse_i64`].
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    match s {
        [] => None,
        [b'0'] => Some(0),
        [c, ..] if !(b'1'..=b'9').contains(c) => None,
        _ if s.len() > 20 => None,
        _ => {
            let mut v: u64 = 0;
            for &c in s {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
            }
            Some(v)
        }
    }
}

/// Parses a double the way Redis's `string2d` / `getDoubleFromObject` accept it: the whole string
/// must be a number for C `strtod` (decimal or hexadecimal, `inf`/`infinity` in any case, with an
/// optional sign), no leading whitespace, and the result must not be NaN, must not overflow to
/// infinity from a finite literal, and must not underflow to zero from a non-zero literal.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() > 5000 || s[0].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let (neg, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    let v = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(hex)?
    } else {
        // Rust's parser is a correct round-to-nearest decimal parser; only vet the syntax so that
        // things strtod would not consume (like "nan" or "1_0") are rejected.
        if !is_decimal_float_syntax(lower.as_bytes()) {
            return None;
        }
        lower.parse::<f64>().ok()?
    };
    if v.is_nan() || v.is_infinite() {
        return None;
    }
    if v == 0.0 && lower.bytes().any(|c| (b'1'..=b'9').contains(&c)) && !mantissa_is_zero(&lower) {
        return None; // underflow (ERANGE with a zero result)
    }
    Some(if neg { -v } else { v })
}

fn mantissa_is_zero(s: &str) -> bool {
    let mantissa = s.split(['e', 'p']).next().unwrap_or("");
    mantissa
        .bytes()
        .all(|c| c == b'0' || c == b'.' || c == b'x')
}

fn is_decimal_float_syntax(s: &[u8]) -> bool {
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
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == s.len()
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find('p') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = match mant.find('.') {
        Some(d) => (&mant[..d], &mant[d + 1..]),
        None => (mant, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let e: i32 = e.parse().ok()?;
        value *= 2f64.powi(e);
    }
    Some(value)
}

/// Formats a double as Redis 7.2 replies with it (`addReplyDouble` via `d2string`): integral
/// values within +-2^62 as plain integers (Redis's `double2ll` fast path, so `1e10` prints as
/// `10000000000`), anything else as the shortest digits that round-trip (`fpconv_dtoa`), printed
/// as a plain integer, a plain decimal or in exponent form following the same thresholds;
/// `inf`, `-inf` and `nan` spelled that way.
pub fn fmt_f64(v: f64, out: &mut Vec<u8>) {
    let buf = F64Text::new(v);
    out.extend_from_slice(buf.as_bytes());
}

/// The text of a double as [`fmt_f64`] writes it, in a stack buffer (no allocation).
pub struct F64Text {
    buf: [u8; 40],
    len: usize,
}

impl F64Text {
    pub fn new(v: f64) -> F64Text {
        let mut t = F64Text {
            buf: [0; 40],
            len: 0,
        };
        t.format(v);
        t
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn push(&mut self, c: u8) {
        self.buf[self.len] = c;
        self.len += 1;
    }

    fn extend(&mut self, s: &[u8]) {
        self.buf[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
    }

    fn format(&mut self, v: f64) {
        if v.is_nan() {
            self.extend(b"nan");
            return;
        }
        // Redis's double2ll: (double)(LLONG_MAX/2) is 2^62.
        const HALF_LLONG: f64 = 4611686018427387904.0;
        if v != 0.0 && (-HALF_LLONG..=HALF_LLONG).contains(&v) && v.trunc() == v {
            let mut b = itoa::Buffer::new();
            self.extend(b.format(v as i64).as_bytes());
            return;
        }
        if v.is_sign_negative() {
            self.push(b'-');
        }
        let a = v.abs();
        if a.is_infinite() {
            self.extend(b"inf");
            return;
        }
        if a == 0.0 {
            self.push(b'0');
            return;
        }
        // `{:e}` yields the shortest round-trip digits: "d.ddddde[-]x".
        let mut sci = StackWriter {
            buf: [0; 40],
            len: 0,
        };
        let _ = std::fmt::Write::write_fmt(&mut sci, format_args!("{a:e}"));
        let s = &sci.buf[..sci.len];
        let epos = s.iter().position(|&c| c == b'e').unwrap_or(s.len());
        let (mant, exp) = (&s[..epos], &s[(epos + 1).min(s.len())..]);
        let exp10: i32 = std::str::from_utf8(exp)
            .ok()
            .and_then(|e| e.parse().ok())
            .unwrap_or(0);
        let mut digits = [0u8; 24];
        let mut nd = 0usize;
        for &c in mant {
            if c != b'.' {
                digits[nd] = c;
                nd += 1;
            }
        }
        let digits = &digits[..nd];
        let nd = nd as i32;
        // value = digits * 10^k
        let k = exp10 - (nd - 1);
        let absexp = (k + nd - 1).abs();
        if k >= 0 && absexp < nd + 7 {
            self.extend(digits);
            for _ in 0..k {
                self.push(b'0');
            }
            return;
        }
        if k < 0 && (k > -7 || absexp < 4) {
            let offset = nd + k;
            if offset <= 0 {
                self.extend(b"0.");
                for _ in 0..-offset {
                    self.push(b'0');
                }
                self.extend(digits);
            } else {
                self.extend(&digits[..offset as usize]);
                self.push(b'.');
                self.extend(&digits[offset as usize..]);
            }
            return;
        }
        let neg_adj = if v.is_sign_negative() { 1 } else { 0 };
        let nd = nd.min(18 - neg_adj) as usize;
        self.push(digits[0]);
        if nd > 1 {
            self.push(b'.');
            self.extend(&digits[1..nd]);
        }
        self.push(b'e');
        self.push(if exp10 < 0 { b'-' } else { b'+' });
        let mut e = absexp;
        let mut cent = 0;
        if e > 99 {
            cent = e / 100;
            self.push(b'0' + cent as u8);
            e -= cent * 100;
        }
        if e > 9 {
            self.push(b'0' + (e / 10) as u8);
            e %= 10;
        } else if cent > 0 {
            self.push(b'0');
        }
        self.push(b'0' + e as u8);
    }
}

/// `fmt::Write` into a fixed stack buffer (text longer than the buffer is cut).
struct StackWriter {
    buf: [u8; 40],
    len: usize,
}

impl std::fmt::Write for StackWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// [`fmt_f64`] into a fresh vector.
pub fn f64_to_vec(v: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    fmt_f64(v, &mut out);
    out
}

/// Formats an integer in decimal.
pub fn fmt_i64(v: i64, out: &mut Vec<u8>) {
    let mut buf = itoa::Buffer::new();
    out.extend_from_slice(buf.format(v).as_bytes());
}

/// An integer as decimal bytes.
pub fn i64_to_vec(v: i64) -> Vec<u8> {
    let mut buf = itoa::Buffer::new();
    buf.format(v).as_bytes().to_vec()
}

/// Formats a double with C's `%.17g`, used where Redis still prints that way (Lua conversions,
/// some INFO fields and the legacy `DEBUG` outputs).
pub fn fmt_g17(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let s = format!("{:.16e}", v);
    let (mant, exp) = s.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    if !(-4..17).contains(&exp) {
        let mant = trim_fraction(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (16 - exp).max(0) as usize;
        trim_fraction(&format!("{:.*}", decimals, v)).to_string()
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> String {
        String::from_utf8(f64_to_vec(v)).unwrap()
    }

    #[test]
    fn ints() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b"1 "), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"-"), None);
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"-9223372036854775809"), None);
        assert_eq!(parse_i64(b"12a"), None);
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"-1"), None);
    }

    #[test]
    fn doubles_parse() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1 "), None);
        assert_eq!(parse_f64(b"1e400"), None);
        assert_eq!(parse_f64(b"1e-400"), None);
        assert_eq!(parse_f64(b"0e-400"), Some(0.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"0x1p3"), Some(8.0));
        assert_eq!(parse_f64(b""), None);
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(parse_f64(b"1e"), None);
    }

    #[test]
    fn doubles_format() {
        assert_eq!(f(1.0), "1");
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(-1.5), "-1.5");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(1.1), "1.1");
        assert_eq!(f(10000000.0), "10000000");
        // Integral values within +-2^62 print as integers (Redis 7.2's double2ll path).
        assert_eq!(f(100000000.0), "100000000");
        assert_eq!(f(1e10), "10000000000");
        assert_eq!(f(-1700000000000.0), "-1700000000000");
        assert_eq!(f(4611686018427387904.0), "4611686018427387904");
        assert_eq!(f(9223372036854775807.0), "9223372036854776000");
        assert_eq!(f(1e19), "1e+19");
        assert_eq!(f(-1.7976931348623157e308), "-1.7976931348623157e+308");
        assert_eq!(f(5e-324), "5e-324");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1.5e300), "1.5e+300");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(1e-7), "1e-7");
        assert_eq!(f(1.5e-7), "1.5e-7");
        assert_eq!(f(0.000001), "0.000001");
        assert_eq!(f(1.25e-10), "1.25e-10");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(3.0e3), "3000");
        assert_eq!(f(123456789012345680000.0), "123456789012345680000");
    }

    #[test]
    fn g17() {
        assert_eq!(fmt_g17(1.1), "1.1000000000000001");
        assert_eq!(fmt_g17(3.0), "3");
        assert_eq!(fmt_g17(1e20), "1e+20");
        assert_eq!(fmt_g17(0.5), "0.5");
    }
}
