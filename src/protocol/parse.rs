//! Incremental RESP request parser.
//!
//! A connection's read buffer is parsed in place: a complete multibulk command yields its
//! arguments as byte ranges of the buffer (no copy per argument). Parsing is resumable: when a
//! command is only partly in the buffer, the parser remembers how far it got (arguments already
//! located, the length of the bulk string it is waiting for), so a huge command arriving in many
//! reads is scanned once, not once per read. Inline commands (what a human types over telnet)
//! are split with redis-cli quoting rules and, being rare, copied.
//!
//! Limits and error texts follow Redis's `processMultibulkBuffer` / `processInlineBuffer`.

use std::ops::Range;

/// Maximum size of an inline command or of a `*`/`$` length line (Redis's PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX: usize = 64 * 1024;

/// Protocol limits that apply to one connection.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: u64,
    /// Whether the client has authenticated; unauthenticated clients get tighter limits.
    pub authenticated: bool,
}

/// A parse failure. The text is sent as `-ERR Protocol error: ...` and the connection closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoError(pub String);

/// Where an argument's bytes are.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A range of the read buffer.
    Buf(Range<usize>),
    /// An owned copy (inline commands, whose arguments may contain unescaped quotes).
    Owned(Vec<u8>),
}

/// Resumable parser state for one connection.
#[derive(Default, Debug)]
pub struct Parser {
    /// Arguments of the command being parsed (or just parsed).
    pub args: Vec<Arg>,
    /// Bulk strings still expected for the current multibulk command (0 = between commands).
    remaining: usize,
    /// Length of the bulk string we are waiting for, if its `$len` line was already read.
    bulk_len: Option<usize>,
    /// Offset in the buffer where parsing continues.
    pos: usize,
    /// Start of the command being parsed.
    start: usize,
    /// Start of the last complete command (for [`Parser::rewind`]).
    last_start: usize,
}

/// Outcome of one parse step.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// A complete command is in `args`; the buffer up to this offset is consumed.
    Command(usize),
    /// An empty command (`*0`, `*-1`, or an empty inline line) was skipped up to this offset.
    Empty(usize),
    /// More bytes are needed. The value hints how many more bytes the current element needs
    /// (0 when unknown), so the reader can grow its buffer once.
    Incomplete(usize),
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    memchr_newline(&buf[from..]).map(|i| from + i)
}

fn memchr_newline(s: &[u8]) -> Option<usize> {
    s.iter().position(|&c| c == b'\r')
}

fn parse_len(line: &[u8]) -> Option<i64> {
    // Redis uses string2ll here: strict decimal, optional '-'.
    crate::util::num::parse_i64(line)
}

impl Parser {
    /// Offset where the command currently being parsed started.
    pub fn command_start(&self) -> usize {
        self.start
    }

    /// Whether a command is partly parsed (so the buffer must not be compacted past `start`).
    pub fn in_progress(&self) -> bool {
        self.remaining > 0 || self.pos > self.start
    }

    /// Makes the last complete command unparsed again, so it is returned by the next step
    /// (a command that could not run yet, e.g. during CLIENT PAUSE).
    pub fn rewind(&mut self) {
        self.pos = self.last_start;
        self.start = self.last_start;
        self.remaining = 0;
        self.bulk_len = None;
        self.args.clear();
    }

    /// Informs the parser that the buffer's first `n` bytes were dropped.
    pub fn shift(&mut self, n: usize) {
        debug_assert!(n <= self.start);
        self.start -= n;
        self.pos -= n;
        self.last_start = self.last_start.saturating_sub(n);
        if self.remaining == 0 {
            // The arguments of a completed command point into the dropped prefix.
            self.args.clear();
            return;
        }
        for a in &mut self.args {
            if let Arg::Buf(r) = a {
                *r = r.start - n..r.end - n;
            }
        }
    }

    /// Parses the next command from `buf` starting at the parser's position.
    pub fn step(&mut self, buf: &[u8], lim: &Limits) -> Result<Step, ProtoError> {
        if self.remaining == 0 {
            // Starting a new command.
            self.args.clear();
            self.start = self.pos;
            if self.pos >= buf.len() {
                return Ok(Step::Incomplete(0));
            }
            if buf[self.pos] != b'*' {
                return self.inline(buf);
            }
            let Some(cr) = find_crlf(buf, self.pos) else {
                if buf.len() - self.pos > INLINE_MAX {
                    return Err(ProtoError("too big mbulk count string".into()));
                }
                return Ok(Step::Incomplete(0));
            };
            if cr + 1 >= buf.len() {
                return Ok(Step::Incomplete(0));
            }
            let n = parse_len(&buf[self.pos + 1..cr]);
            let n = match n {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => return Err(ProtoError("invalid multibulk length".into())),
            };
            if !lim.authenticated && n > 10 {
                return Err(ProtoError("unauthenticated multibulk length".into()));
            }
            self.pos = cr + 2;
            if n <= 0 {
                self.start = self.pos;
                return Ok(Step::Empty(self.pos));
            }
            self.remaining = n as usize;
            self.args.reserve((n as usize).min(1024));
            self.bulk_len = None;
        }
        while self.remaining > 0 {
            let len = match self.bulk_len {
                Some(l) => l,
                None => {
                    if self.pos >= buf.len() {
                        return Ok(Step::Incomplete(0));
                    }
                    let Some(cr) = find_crlf(buf, self.pos) else {
                        if buf.len() - self.pos > INLINE_MAX {
                            return Err(ProtoError("too big bulk count string".into()));
                        }
                        return Ok(Step::Incomplete(0));
                    };
                    if buf[self.pos] != b'$' {
                        return Err(ProtoError(format!(
                            "expected '$', got '{}'",
                            buf[self.pos] as char
                        )));
                    }
                    if cr + 1 >= buf.len() {
                        return Ok(Step::Incomplete(0));
                    }
                    let l = match parse_len(&buf[self.pos + 1..cr]) {
                        Some(l) if l >= 0 && (l as u64) <= lim.max_bulk_len => l as usize,
                        _ => return Err(ProtoError("invalid bulk length".into())),
                    };
                    if !lim.authenticated && l > 16384 {
                        return Err(ProtoError("unauthenticated bulk length".into()));
                    }
                    self.pos = cr + 2;
                    self.bulk_len = Some(l);
                    l
                }
            };
            if buf.len() < self.pos + len + 2 {
                return Ok(Step::Incomplete(self.pos + len + 2 - buf.len()));
            }
            self.args.push(Arg::Buf(self.pos..self.pos + len));
            // Redis does not check that the bulk is followed by CRLF: it skips two bytes.
            self.pos += len + 2;
            self.bulk_len = None;
            self.remaining -= 1;
        }
        self.last_start = self.start;
        self.start = self.pos;
        Ok(Step::Command(self.pos))
    }

    fn inline(&mut self, buf: &[u8]) -> Result<Step, ProtoError> {
        let rest = &buf[self.pos..];
        let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
            if rest.len() > INLINE_MAX {
                return Err(ProtoError("too big inline request".into()));
            }
            return Ok(Step::Incomplete(0));
        };
        let mut line = &rest[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let Some(words) = split_args(line) else {
            return Err(ProtoError("unbalanced quotes in request".into()));
        };
        self.last_start = self.start;
        self.pos += nl + 1;
        self.start = self.pos;
        if words.is_empty() {
            return Ok(Step::Empty(self.pos));
        }
        self.args.extend(words.into_iter().map(Arg::Owned));
        Ok(Step::Command(self.pos))
    }
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Splits a line into arguments with redis-cli / `sdssplitargs` rules: whitespace separates,
/// `"..."` understands `\xHH \n \r \t \b \a \\ \"`, `'...'` takes everything literally except
/// `\'`, and a closing quote must be followed by whitespace or the end. `None` means unbalanced.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // Redis splits a C string: a NUL byte ends the line (inside quotes that makes them
    // unbalanced). Without this cut, a NUL outside quotes ended an argument but was never
    // skipped, looping forever on empty arguments (found by the fuzz harness in tests/hostile.rs).
    let line = match line.iter().position(|&b| b == 0) {
        Some(p) => &line[..p],
        None => line,
    };
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut inq = false;
        let mut insq = false;
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && hex_val(line[i + 2]).is_some()
                    && hex_val(line[i + 3]).is_some()
                {
                    cur.push(hex_val(line[i + 2])? * 16 + hex_val(line[i + 3])?);
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: Limits = Limits {
        max_bulk_len: 512 * 1024 * 1024,
        authenticated: true,
    };

    fn args(p: &Parser, buf: &[u8]) -> Vec<Vec<u8>> {
        p.args
            .iter()
            .map(|a| match a {
                Arg::Buf(r) => buf[r.clone()].to_vec(),
                Arg::Owned(v) => v.clone(),
            })
            .collect()
    }

    #[test]
    fn multibulk() {
        let buf = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n";
        let mut p = Parser::default();
        assert_eq!(p.step(buf, &LIM), Ok(Step::Command(20)));
        assert_eq!(args(&p, buf), vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(p.step(buf, &LIM), Ok(Step::Command(buf.len())));
        assert_eq!(args(&p, buf), vec![b"PING".to_vec()]);
        assert_eq!(p.step(buf, &LIM), Ok(Step::Incomplete(0)));
    }

    #[test]
    fn resumable() {
        let full = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        let mut p = Parser::default();
        for cut in 1..full.len() {
            let mut p2 = Parser::default();
            let r = p2.step(&full[..cut], &LIM).unwrap();
            assert!(matches!(r, Step::Incomplete(_)), "cut {cut}");
            assert_eq!(p2.step(full, &LIM), Ok(Step::Command(full.len())));
            assert_eq!(args(&p2, full).len(), 3);
        }
        assert_eq!(p.step(full, &LIM), Ok(Step::Command(full.len())));
    }

    #[test]
    fn inline() {
        let buf = b"set k \"a b\\x41\"\r\n\r\nPING\n";
        let mut p = Parser::default();
        assert!(matches!(p.step(buf, &LIM), Ok(Step::Command(_))));
        assert_eq!(
            args(&p, buf),
            vec![b"set".to_vec(), b"k".to_vec(), b"a bA".to_vec()]
        );
        assert!(matches!(p.step(buf, &LIM), Ok(Step::Empty(_))));
        assert!(matches!(p.step(buf, &LIM), Ok(Step::Command(_))));
        assert_eq!(args(&p, buf), vec![b"PING".to_vec()]);
        let mut p = Parser::default();
        assert_eq!(
            p.step(b"set \"a\n", &LIM),
            Err(ProtoError("unbalanced quotes in request".into()))
        );
    }

    #[test]
    fn errors() {
        let mut p = Parser::default();
        assert_eq!(
            p.step(b"*1\r\n+x\r\n", &LIM),
            Err(ProtoError("expected '$', got '+'".into()))
        );
        let mut p = Parser::default();
        assert_eq!(
            p.step(b"*x\r\n", &LIM),
            Err(ProtoError("invalid multibulk length".into()))
        );
        let mut p = Parser::default();
        assert_eq!(
            p.step(b"*1\r\n$-5\r\n", &LIM),
            Err(ProtoError("invalid bulk length".into()))
        );
        let mut p = Parser::default();
        let lim = Limits {
            max_bulk_len: 10,
            authenticated: true,
        };
        assert_eq!(
            p.step(b"*1\r\n$11\r\n", &lim),
            Err(ProtoError("invalid bulk length".into()))
        );
        let mut p = Parser::default();
        assert_eq!(p.step(b"*0\r\n", &LIM), Ok(Step::Empty(4)));
        let mut p = Parser::default();
        assert_eq!(p.step(b"*-1\r\n", &LIM), Ok(Step::Empty(5)));
    }

    #[test]
    fn split() {
        assert_eq!(
            split_args(b"  a  b ").unwrap(),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(split_args(b"'it\\'s'").unwrap(), vec![b"it's".to_vec()]);
        assert!(split_args(b"\"a\"b").is_none());
        assert!(split_args(b"'a").is_none());
        assert_eq!(split_args(b"\"\"").unwrap(), vec![Vec::<u8>::new()]);
    }
}
