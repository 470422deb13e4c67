//! Glob-style pattern matching identical to Redis's `stringmatchlen`, used by KEYS, SCAN MATCH,
//! PSUBSCRIBE, ACL key/channel patterns and CONFIG GET.
//!
//! Supported: `*`, `?`, `[abc]`, `[^abc]`, `[a-z]` (ranges may be given backwards), `\x` escapes
//! (also inside brackets). An unterminated `[` matches as if the class ended at the end of the
//! pattern, exactly as Redis does. `nocase` folds ASCII case. Range bounds compare as signed
//! bytes, as C's `char` does on the platforms Redis runs on; a `]` right after `[` closes an
//! empty class (it is not a literal), and `[` inside a class is an ordinary byte.

/// Returns true if `string` matches `pattern`.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

fn lower(c: u8, nocase: bool) -> u8 {
    if nocase { c.to_ascii_lowercase() } else { c }
}

/// A byte as C's (signed) `char`.
fn signed(c: u8) -> i32 {
    c as i8 as i32
}

/// C's `tolower` in the C locale over a signed `char` value.
fn lower_signed(c: i32) -> i32 {
    if (b'A' as i32..=b'Z' as i32).contains(&c) {
        c + 32
    } else {
        c
    }
}

fn match_impl(
    mut p: &[u8],
    mut s: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    depth: usize,
) -> bool {
    // Redis bounds recursion depth to protect against patterns like "*a*a*a*...".
    if depth > 1000 {
        return false;
    }
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if match_impl(&p[1..], s, nocase, skip_longer, depth + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s = &s[1..];
            }
            b'[' => {
                p = &p[1..];
                let not = !p.is_empty() && p[0] == b'^';
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    if p.is_empty() {
                        break;
                    }
                    if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        if p[0] == s[0] {
                            matched = true;
                        }
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        // Redis compares C `char`s, which are signed: bytes >= 0x80 sort
                        // below NUL, so `[a-\xff]` spans -1..='a' and `[\x80-\xff]` the high bytes.
                        let mut start = signed(p[0]);
                        let mut end = signed(p[2]);
                        let mut c = signed(s[0]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = lower_signed(start);
                            end = lower_signed(end);
                            c = lower_signed(c);
                        }
                        p = &p[2..];
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if lower(p[0], nocase) == lower(s[0], nocase) {
                        matched = true;
                    }
                    p = &p[1..];
                }
                // p now points at ']' (or is empty for an unterminated class)
                let matched = if not { !matched } else { matched };
                if !matched {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    // Unterminated class: Redis steps back so the pattern ends here.
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if lower(p[0], nocase) != lower(s[0], nocase) {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                if lower(c, nocase) != lower(s[0], nocase) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while !p.is_empty() && p[0] == b'*' {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::glob_match as m;

    #[test]
    fn basics() {
        // As in Redis, a pattern never matches an empty string (callers special-case "*").
        assert!(!m(b"*", b"", false));
        assert!(m(b"*", b"abc", false));
        assert!(m(b"a*", b"abc", false));
        assert!(!m(b"a*", b"bc", false));
        assert!(m(b"h?llo", b"hello", false));
        assert!(!m(b"h?llo", b"hllo", false));
        assert!(m(b"h*llo", b"hllo", false));
        assert!(m(b"h[ae]llo", b"hallo", false));
        assert!(!m(b"h[ae]llo", b"hillo", false));
        assert!(m(b"h[^e]llo", b"hallo", false));
        assert!(!m(b"h[^e]llo", b"hello", false));
        assert!(m(b"h[a-b]llo", b"hbllo", false));
        assert!(m(b"h[b-a]llo", b"hallo", false));
        assert!(m(b"h\\*llo", b"h*llo", false));
        assert!(!m(b"h\\*llo", b"hallo", false));
        assert!(m(b"HELLO", b"hello", true));
        assert!(!m(b"HELLO", b"hello", false));
        assert!(m(b"a*b*c", b"aXXbYYc", false));
        assert!(!m(b"a*b*c", b"aXXbYY", false));
        assert!(m(b"[\\]]", b"]", false));
        assert!(!m(b"ab[", b"ab", false));
        assert!(m(b"a[bc", b"ab", false));
        assert!(m(
            b"*a*a*a*a*a*a*a*a*a*a*a*b",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
            false
        ));
        assert!(!m(
            b"*a*a*a*a*a*a*a*a*a*a*a*b",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            false
        ));
        assert!(m(b"\\", b"\\", false));
        assert!(m(b"a\\", b"a\\", false));
    }

    /// Every pattern against every string, compared with what Redis 7's `stringmatchlen`
    /// answered (SCAN MATCH on a reference redis-server holding exactly these keys).
    #[test]
    fn redis_table() {
        const STRINGS: &[&[u8]] = &[
            b"a", b"b", b"A", b"z", b"Z", b"-", b"]", b"[", b"\\", b"^", b"*", b"?", b"\x80",
            b"\xff", b"\x7f", b"\x00", b"ab", b"abc", b"aXc", b"a]", b"a-", b"hello", b"hallo",
            b"hllo", b"h[llo", b"h\\llo", b"a*b", b"a?b", b"foo.bar", b"x\xffy",
        ];
        /// (pattern, indices into STRINGS it matches), as Redis 7 answered KEYS.
        const TABLE: &[(&[u8], &[usize])] = &[
            (b"a", &[0]),
            (
                b"?",
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
            ),
            (
                b"*",
                &[
                    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                    22, 23, 24, 25, 26, 27, 28, 29,
                ],
            ),
            (b"a*", &[0, 16, 17, 18, 19, 20, 26, 27]),
            (b"*c", &[17, 18]),
            (b"a?c", &[17, 18]),
            (b"[ab]", &[0, 1]),
            (b"[^ab]", &[2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
            (b"[a-z]", &[0, 1, 3]),
            (b"[z-a]", &[0, 1, 3]),
            (b"[A-Z]", &[2, 4]),
            (b"[a-]", &[0, 6, 9]),
            (b"[-a]", &[0, 5]),
            (b"[]]", &[]),
            (b"[]a]", &[]),
            (b"[^]]", &[19]),
            (b"[[]", &[7]),
            (b"[[]]", &[]),
            (b"[a[]", &[0, 7]),
            (b"[\\]]", &[6]),
            (b"[\\\\]", &[8]),
            (b"[\\-]", &[5]),
            (b"[a\\-z]", &[0, 3, 5]),
            (b"\\*", &[10]),
            (b"\\?", &[11]),
            (b"a\\*b", &[26]),
            (b"\\a", &[0]),
            (b"\\", &[8]),
            (b"[", &[]),
            (b"a[", &[]),
            (b"[a", &[0]),
            (b"[ab", &[0, 1]),
            (
                b"[^",
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
            ),
            (b"[^a", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
            (b"h[^e]llo", &[22, 24, 25]),
            (b"h[ae]llo", &[21, 22]),
            (b"h*llo", &[21, 22, 23, 24, 25]),
            (b"h\\[llo", &[24]),
            (b"h[\\[]llo", &[24]),
            (b"[\x80-\xff]", &[12, 13]),
            (b"[a-\xff]", &[0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15]),
            (b"[\xff-a]", &[0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15]),
            (
                b"[\x00-\x7f]",
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15],
            ),
            (
                b"[\x7f-\x80]",
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
            ),
            (
                b"[^\x80-\xff]",
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15],
            ),
            (b"x[\x80-\xff]y", &[29]),
            (b"x?y", &[29]),
            (b"[*]", &[10]),
            (b"[?]", &[11]),
            (b"*\\*", &[10]),
            (b"a*b*", &[16, 17, 26, 27]),
            (
                b"**",
                &[
                    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                    22, 23, 24, 25, 26, 27, 28, 29,
                ],
            ),
            (
                b"*?*",
                &[
                    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                    22, 23, 24, 25, 26, 27, 28, 29,
                ],
            ),
            (b"[a-c-e]", &[0, 1, 5]),
            (
                b"[^-]",
                &[0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
            ),
            (b"[\\^]", &[9]),
            (
                b"[^^]",
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15],
            ),
            (b"foo[.]bar", &[28]),
            (b"a[]", &[]),
            (b"[]", &[]),
            (b"[a-b-]", &[0, 1, 5]),
            (b"\\[", &[7]),
            (b"[\\", &[8]),
            (b"h\\", &[]),
            (b"\\]", &[6]),
        ];
        for (pat, hits) in TABLE {
            for (i, s) in STRINGS.iter().enumerate() {
                assert_eq!(
                    m(pat, s, false),
                    hits.contains(&i),
                    "pattern {:?} string {:?}",
                    String::from_utf8_lossy(pat),
                    String::from_utf8_lossy(s)
                );
            }
        }
    }

    #[test]
    fn signed_ranges_and_nocase() {
        assert!(m(b"[a-\xff]", b"A", false));
        assert!(!m(b"[a-\xff]", b"b", false));
        assert!(m(b"[a-\xff]", b"\xff", false));
        assert!(!m(b"[a-\xff]", b"\x80", false));
        assert!(m(b"[\x80-\xff]", b"\x90", false));
        assert!(!m(b"[\x80-\xff]", b"\x7f", false));
        // nocase folds the bounds and the byte: [A-C] accepts b, [a-c] accepts B.
        assert!(m(b"[A-C]", b"b", true));
        assert!(m(b"[a-c]", b"B", true));
        assert!(!m(b"[a-c]", b"B", false));
        // An escaped byte inside a class is compared exactly, even with nocase.
        assert!(!m(b"[\\A]", b"a", true));
        assert!(m(b"[A]", b"a", true));
    }
}
