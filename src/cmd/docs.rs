//! Argument documentation derived from each command's syntax line: COMMAND DOCS `arguments`
//! and the generated docs/commands.md page.
//!
//! Grammar of a syntax line: words separated by spaces; `[...]` optional, `<...>` a required
//! group, `a | b` alternatives (a "oneof"), `...` after an item means it repeats. UPPERCASE
//! words are tokens; a token followed by a lowercase word is one argument with that token
//! (e.g. `EX seconds`); a lone token is a "pure-token". Argument types come from their names.

use super::table::Command;
use crate::protocol::Reply;

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: String,
    pub typ: &'static str,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub key_spec_index: Option<usize>,
    pub children: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open(char),
    Close,
    Bar,
    Ellipsis,
    Word(String),
}

fn lex(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<Tok>| {
        if !cur.is_empty() {
            if cur == "..." {
                out.push(Tok::Ellipsis);
            } else {
                out.push(Tok::Word(std::mem::take(cur)));
            }
            cur.clear();
        }
    };
    for ch in s.chars() {
        match ch {
            '[' | '<' => {
                flush(&mut cur, &mut out);
                out.push(Tok::Open(ch));
            }
            ']' | '>' => {
                flush(&mut cur, &mut out);
                out.push(Tok::Close);
            }
            '|' => {
                flush(&mut cur, &mut out);
                out.push(Tok::Bar);
            }
            ' ' => flush(&mut cur, &mut out),
            _ => cur.push(ch),
        }
    }
    flush(&mut cur, &mut out);
    out
}

fn type_of(name: &str) -> &'static str {
    match name {
        "key" | "key1" | "key2" | "source" | "destination" | "newkey" | "dest" | "destkey"
        | "sourcekey" => "key",
        "pattern" => "pattern",
        "unix-time-seconds" | "unix-time-milliseconds" => "unix-time",
        "score" | "increment" | "timeout" | "longitude" | "latitude" | "radius" | "width"
        | "height" | "weight" | "min" | "max" => "double",
        "count" | "numkeys" | "index" | "offset" | "start" | "end" | "stop" | "seconds"
        | "milliseconds" | "db" | "destination-db" | "decrement" | "limit" | "rank" | "len"
        | "maxlen" | "numreplicas" | "cursor" | "port" | "index1" | "index2" | "client-id"
        | "maxage" | "integer" | "threshold" | "min-idle-time" | "ms" | "retrycount"
        | "entries-read" | "numlocal" | "block" | "id-count" => "integer",
        _ => "string",
    }
}

fn is_token(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_uppercase()) && !w.chars().any(|c| c.is_ascii_lowercase())
}

struct P {
    toks: Vec<Tok>,
    pos: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    /// A sequence of items until `|`, `]`/`>` or the end.
    fn seq(&mut self) -> Vec<Arg> {
        let mut items: Vec<Arg> = Vec::new();
        while let Some(t) = self.peek().cloned() {
            match t {
                Tok::Bar | Tok::Close => break,
                Tok::Ellipsis => {
                    self.pos += 1;
                    if let Some(last) = items.last_mut() {
                        last.multiple = true;
                    }
                }
                Tok::Open(c) => {
                    self.pos += 1;
                    let mut g = self.group();
                    if c == '[' {
                        g.optional = true;
                    }
                    items.push(g);
                }
                Tok::Word(w) => {
                    self.pos += 1;
                    if is_token(&w) {
                        // Token followed by a value word: one argument carrying the token.
                        if let Some(Tok::Word(v)) = self.peek().cloned()
                            && !is_token(&v)
                        {
                            self.pos += 1;
                            items.push(Arg {
                                name: v.clone(),
                                typ: type_of(&v),
                                token: Some(w.trim_start_matches('!').to_string()),
                                optional: false,
                                multiple: false,
                                key_spec_index: None,
                                children: vec![],
                            });
                            continue;
                        }
                        items.push(Arg {
                            name: w.to_ascii_lowercase().trim_start_matches('!').to_string(),
                            typ: "pure-token",
                            token: Some(w.trim_start_matches('!').to_string()),
                            optional: false,
                            multiple: false,
                            key_spec_index: None,
                            children: vec![],
                        });
                    } else {
                        items.push(Arg {
                            name: w.clone(),
                            typ: type_of(&w),
                            token: None,
                            optional: false,
                            multiple: false,
                            key_spec_index: None,
                            children: vec![],
                        });
                    }
                }
            }
        }
        items
    }

    /// Inside brackets: alternatives of sequences, until the closing bracket.
    fn group(&mut self) -> Arg {
        let mut alts = vec![self.seq()];
        while let Some(Tok::Bar) = self.peek() {
            self.pos += 1;
            alts.push(self.seq());
        }
        if let Some(Tok::Close) = self.peek() {
            self.pos += 1;
        }
        if alts.len() == 1 {
            let mut items = alts.pop().unwrap_or_default();
            if items.len() == 1 {
                return items.pop().expect("one item");
            }
            return block(items);
        }
        let children: Vec<Arg> = alts
            .into_iter()
            .map(|mut s| {
                if s.len() == 1 {
                    s.pop().expect("one")
                } else {
                    block(s)
                }
            })
            .collect();
        let name = children
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
            .join("-");
        let name = if name.len() > 40 {
            "option".to_string()
        } else {
            name
        };
        Arg {
            name,
            typ: "oneof",
            token: None,
            optional: false,
            multiple: false,
            key_spec_index: None,
            children,
        }
    }
}

fn block(items: Vec<Arg>) -> Arg {
    // A leading token names the block: `LIMIT offset count` -> block "limit" with token LIMIT.
    let (token, children): (Option<String>, Vec<Arg>) = match items.first() {
        Some(a) if a.typ == "pure-token" && items.len() > 1 => {
            (a.token.clone(), items[1..].to_vec())
        }
        Some(a) if a.token.is_some() && items.len() > 1 => {
            let mut rest = items.clone();
            rest[0].token = None;
            (a.token.clone(), rest)
        }
        _ => (None, items),
    };
    let name = match &token {
        Some(t) => t.to_ascii_lowercase(),
        None => children
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
            .join("-"),
    };
    Arg {
        name,
        typ: "block",
        token,
        optional: false,
        multiple: false,
        key_spec_index: None,
        children,
    }
}

/// Parses a command's syntax line into its argument tree.
pub fn parse_syntax(s: &str, cmd: &Command) -> Vec<Arg> {
    let mut p = P {
        toks: lex(s),
        pos: 0,
    };
    let mut args = p.seq();
    let mut next_key = 0;
    assign_keys(&mut args, &mut next_key, cmd.keys.len());
    args
}

fn assign_keys(args: &mut [Arg], next: &mut usize, nspecs: usize) {
    for a in args {
        if a.typ == "key" && nspecs > 0 {
            a.key_spec_index = Some((*next).min(nspecs - 1));
            *next += 1;
        }
        assign_keys(&mut a.children, next, nspecs);
    }
}

/// Writes the arguments array of COMMAND DOCS.
pub fn write_args(out: &mut Reply<'_>, args: &[Arg]) {
    out.array(args.len());
    for a in args {
        let mut n = 2;
        n += a.token.is_some() as usize;
        n += a.key_spec_index.is_some() as usize;
        let flags = a.optional || a.multiple;
        n += flags as usize;
        n += (!a.children.is_empty()) as usize;
        out.map(n);
        out.bulk(b"name");
        out.bulk(a.name.as_bytes());
        out.bulk(b"type");
        out.bulk(a.typ.as_bytes());
        if let Some(i) = a.key_spec_index {
            out.bulk(b"key_spec_index");
            out.int(i as i64);
        }
        if let Some(t) = &a.token {
            out.bulk(b"token");
            out.bulk(t.as_bytes());
        }
        if flags {
            out.bulk(b"flags");
            let mut f = Vec::new();
            if a.optional {
                f.push("optional");
            }
            if a.multiple {
                f.push("multiple");
            }
            out.set(f.len());
            for x in f {
                out.simple(x);
            }
        }
        if !a.children.is_empty() {
            out.bulk(b"arguments");
            write_args(out, &a.children);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dummy(_: &mut crate::cmd::ctx::Ctx) -> crate::error::CmdResult {
        Ok(())
    }
    static CMD: Command = Command::new("x", 1, dummy);

    #[test]
    fn parses_set() {
        let a = parse_syntax(
            "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
            &CMD,
        );
        assert_eq!(a.len(), 5);
        assert_eq!(a[0].typ, "key");
        assert_eq!(a[2].typ, "oneof");
        assert!(a[2].optional);
        assert_eq!(a[2].children[0].typ, "pure-token");
        assert_eq!(a[3].typ, "pure-token");
        assert_eq!(a[4].children[0].token.as_deref(), Some("EX"));
        assert_eq!(a[4].children[0].typ, "integer");
        assert_eq!(a[4].children[2].typ, "unix-time");
    }

    #[test]
    fn parses_multiple() {
        let a = parse_syntax("key [key ...]", &CMD);
        assert_eq!(a.len(), 2);
        assert!(a[1].optional && a[1].multiple);
        let a = parse_syntax("key [LIMIT offset count]", &CMD);
        assert_eq!(a[1].typ, "block");
        assert_eq!(a[1].token.as_deref(), Some("LIMIT"));
        assert_eq!(a[1].children.len(), 2);
    }
}
