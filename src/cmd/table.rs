//! The command table: the single source of truth about every command.
//!
//! Each family module declares its commands as `static` [`Command`] values (name, arity, flags,
//! ACL categories, key specs, handler, documentation). Everything else derives from them:
//! dispatch and arity errors, COMMAND INFO/DOCS/COUNT/LIST/GETKEYS, ACL categories, which shards
//! a command locks, MULTI and script restrictions, OOM refusal and the generated
//! docs/commands.md page.

use crate::error::CmdResult;

use super::ctx::Ctx;

pub type Handler = fn(&mut Ctx) -> CmdResult;

/// Custom key extraction: argument indexes of the keys, or None for malformed arguments.
pub type KeysFn = fn(&[&[u8]]) -> Option<Vec<usize>>;

// Command flags (Redis's names in COMMAND INFO).
pub const WRITE: u64 = 1 << 0;
pub const READONLY: u64 = 1 << 1;
pub const DENYOOM: u64 = 1 << 2;
pub const ADMIN: u64 = 1 << 4;
pub const PUBSUB: u64 = 1 << 5;
pub const NOSCRIPT: u64 = 1 << 6;
pub const BLOCKING: u64 = 1 << 8;
pub const LOADING: u64 = 1 << 9;
pub const STALE: u64 = 1 << 10;
pub const SKIP_MONITOR: u64 = 1 << 11;
pub const SKIP_SLOWLOG: u64 = 1 << 12;
pub const ASKING: u64 = 1 << 13;
pub const FAST: u64 = 1 << 14;
pub const NO_AUTH: u64 = 1 << 15;
pub const MAY_REPLICATE: u64 = 1 << 16;
pub const NO_MANDATORY_KEYS: u64 = 1 << 19;
pub const PROTECTED: u64 = 1 << 20;
pub const NO_ASYNC_LOADING: u64 = 1 << 23;
pub const NO_MULTI: u64 = 1 << 24;
pub const MOVABLE_KEYS: u64 = 1 << 25;
pub const ALLOW_BUSY: u64 = 1 << 26;
pub const TOUCHES_ARBITRARY_KEYS: u64 = 1 << 28;
/// Internal: the command needs every shard locked (whole-keyspace commands).
pub const KS_ALL: u64 = 1 << 40;
/// Internal: the command never touches the keyspace.
pub const KS_NONE: u64 = 1 << 41;

/// Flag names in COMMAND INFO order.
pub const FLAG_NAMES: &[(u64, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (ADMIN, "admin"),
    (PUBSUB, "pubsub"),
    (NOSCRIPT, "noscript"),
    (BLOCKING, "blocking"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (SKIP_MONITOR, "skip_monitor"),
    (SKIP_SLOWLOG, "skip_slowlog"),
    (ASKING, "asking"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
    (MAY_REPLICATE, "may_replicate"),
    (NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (NO_ASYNC_LOADING, "no_async_loading"),
    (NO_MULTI, "no_multi"),
    (MOVABLE_KEYS, "movablekeys"),
    (ALLOW_BUSY, "allow_busy"),
];

// ACL categories.
pub const KEYSPACE: u64 = 1 << 0;
pub const READ: u64 = 1 << 1;
pub const WRITE_CAT: u64 = 1 << 2;
pub const SET: u64 = 1 << 3;
pub const SORTEDSET: u64 = 1 << 4;
pub const LIST: u64 = 1 << 5;
pub const HASH: u64 = 1 << 6;
pub const STRING: u64 = 1 << 7;
pub const BITMAP: u64 = 1 << 8;
pub const HYPERLOGLOG: u64 = 1 << 9;
pub const GEO: u64 = 1 << 10;
pub const STREAM: u64 = 1 << 11;
pub const PUBSUB_CAT: u64 = 1 << 12;
pub const ADMIN_CAT: u64 = 1 << 13;
pub const FAST_CAT: u64 = 1 << 14;
pub const SLOW: u64 = 1 << 15;
pub const BLOCKING_CAT: u64 = 1 << 16;
pub const DANGEROUS: u64 = 1 << 17;
pub const CONNECTION: u64 = 1 << 18;
pub const TRANSACTION: u64 = 1 << 19;
pub const SCRIPTING: u64 = 1 << 20;

/// ACL category names in ACL CAT order.
pub const CATEGORY_NAMES: &[(u64, &str)] = &[
    (KEYSPACE, "keyspace"),
    (READ, "read"),
    (WRITE_CAT, "write"),
    (SET, "set"),
    (SORTEDSET, "sortedset"),
    (LIST, "list"),
    (HASH, "hash"),
    (STRING, "string"),
    (BITMAP, "bitmap"),
    (HYPERLOGLOG, "hyperloglog"),
    (GEO, "geo"),
    (STREAM, "stream"),
    (PUBSUB_CAT, "pubsub"),
    (ADMIN_CAT, "admin"),
    (FAST_CAT, "fast"),
    (SLOW, "slow"),
    (BLOCKING_CAT, "blocking"),
    (DANGEROUS, "dangerous"),
    (CONNECTION, "connection"),
    (TRANSACTION, "transaction"),
    (SCRIPTING, "scripting"),
];

// Key spec flags.
pub const K_RO: u32 = 1 << 0;
pub const K_RW: u32 = 1 << 1;
pub const K_OW: u32 = 1 << 2;
pub const K_RM: u32 = 1 << 3;
pub const K_ACCESS: u32 = 1 << 4;
pub const K_UPDATE: u32 = 1 << 5;
pub const K_INSERT: u32 = 1 << 6;
pub const K_DELETE: u32 = 1 << 7;
pub const K_NOT_KEY: u32 = 1 << 8;
pub const K_INCOMPLETE: u32 = 1 << 9;
pub const K_VARIABLE_FLAGS: u32 = 1 << 10;

pub const KEY_FLAG_NAMES: &[(u32, &str)] = &[
    (K_RO, "RO"),
    (K_RW, "RW"),
    (K_OW, "OW"),
    (K_RM, "RM"),
    (K_ACCESS, "access"),
    (K_UPDATE, "update"),
    (K_INSERT, "insert"),
    (K_DELETE, "delete"),
    (K_NOT_KEY, "not_key"),
    (K_INCOMPLETE, "incomplete"),
    (K_VARIABLE_FLAGS, "variable_flags"),
];

/// Where the search for keys begins.
#[derive(Clone, Copy, Debug)]
pub enum Begin {
    /// A fixed argument index (1 = first argument after the command name).
    Index(i32),
    /// After a keyword, searched from `start_from` (negative: from the end, backwards).
    Keyword {
        keyword: &'static str,
        start_from: i32,
    },
    /// Keys that cannot be found from the arguments (SORT's BY/GET patterns, its STORE).
    Unknown,
}

/// How keys are found from the beginning.
#[derive(Clone, Copy, Debug)]
pub enum Find {
    /// `last_key` relative to the beginning (negative: from the end), `step`, `limit`.
    Range {
        last_key: i32,
        step: i32,
        limit: i32,
    },
    /// The key count is at `keynum_idx` (relative), keys start at `first_key` (relative).
    Keynum {
        keynum_idx: i32,
        first_key: i32,
        step: i32,
    },
    /// Keys that cannot be found from the arguments.
    Unknown,
}

#[derive(Clone, Copy, Debug)]
pub struct KeySpec {
    pub flags: u32,
    pub begin: Begin,
    pub find: Find,
    pub notes: &'static str,
}

impl KeySpec {
    pub const fn new(flags: u32, begin: Begin, find: Find) -> KeySpec {
        KeySpec {
            flags,
            begin,
            find,
            notes: "",
        }
    }

    /// A spec whose keys cannot be found from the arguments, with Redis's explanatory note.
    pub const fn unknown(flags: u32, notes: &'static str) -> KeySpec {
        KeySpec {
            flags,
            begin: Begin::Unknown,
            find: Find::Unknown,
            notes,
        }
    }
}

/// One key at a fixed index.
pub const fn key_at(flags: u32, index: i32) -> KeySpec {
    KeySpec::new(
        flags,
        Begin::Index(index),
        Find::Range {
            last_key: 0,
            step: 1,
            limit: 0,
        },
    )
}

/// Keys from a fixed index to the end (or `last` relative), every `step`.
pub const fn keys_range(flags: u32, index: i32, last: i32, step: i32) -> KeySpec {
    KeySpec::new(
        flags,
        Begin::Index(index),
        Find::Range {
            last_key: last,
            step,
            limit: 0,
        },
    )
}

/// A count at `index` followed by that many keys.
pub const fn keys_numkeys(flags: u32, index: i32) -> KeySpec {
    KeySpec::new(
        flags,
        Begin::Index(index),
        Find::Keynum {
            keynum_idx: 0,
            first_key: 1,
            step: 1,
        },
    )
}

/// A command (or subcommand).
pub struct Command {
    pub name: &'static str,
    pub arity: i32,
    pub flags: u64,
    pub acl: u64,
    pub keys: &'static [KeySpec],
    pub handler: Handler,
    pub subs: &'static [Command],
    pub group: &'static str,
    pub since: &'static str,
    pub complexity: &'static str,
    pub summary: &'static str,
    /// Argument grammar, e.g. "key [NX | XX] seconds" (COMMAND DOCS arguments derive from it).
    pub syntax: &'static str,
    pub tips: &'static [&'static str],
    /// Key extraction for commands whose keys the specs cannot describe exactly.
    pub get_keys: Option<KeysFn>,
    /// Deprecated since this version (COMMAND DOCS), with its replacement.
    pub deprecated: Option<(&'static str, &'static str)>,
    /// A container that also runs by itself without a subcommand (COMMAND).
    pub runs_bare: bool,
    /// How this command differs from Redis 7.2, if it does (docs/commands.md "Notes").
    pub compat: &'static str,
}

fn no_handler(_: &mut Ctx) -> CmdResult {
    unreachable!("container commands dispatch to subcommands")
}

impl Command {
    pub const fn new(name: &'static str, arity: i32, handler: Handler) -> Command {
        Command {
            name,
            arity,
            flags: 0,
            acl: 0,
            keys: &[],
            handler,
            subs: &[],
            group: "generic",
            since: "1.0.0",
            complexity: "O(1)",
            summary: "",
            syntax: "",
            tips: &[],
            get_keys: None,
            deprecated: None,
            runs_bare: false,
            compat: "",
        }
    }

    /// A container command (CONFIG, CLIENT, ...) whose work is done by subcommands.
    pub const fn container(name: &'static str, arity: i32, subs: &'static [Command]) -> Command {
        let mut c = Command::new(name, arity, no_handler);
        c.subs = subs;
        c
    }

    /// Adds subcommands to a command that also runs without one.
    pub const fn subs_of(mut self, subs: &'static [Command]) -> Self {
        self.subs = subs;
        self.runs_bare = true;
        self
    }

    pub const fn flags(mut self, f: u64) -> Self {
        self.flags = f;
        self
    }
    pub const fn acl(mut self, a: u64) -> Self {
        self.acl = a;
        self
    }
    pub const fn keys(mut self, k: &'static [KeySpec]) -> Self {
        self.keys = k;
        self
    }
    pub const fn doc(
        mut self,
        group: &'static str,
        since: &'static str,
        complexity: &'static str,
        summary: &'static str,
    ) -> Self {
        self.group = group;
        self.since = since;
        self.complexity = complexity;
        self.summary = summary;
        self
    }
    pub const fn syntax(mut self, s: &'static str) -> Self {
        self.syntax = s;
        self
    }
    pub const fn tips(mut self, t: &'static [&'static str]) -> Self {
        self.tips = t;
        self
    }
    pub const fn get_keys(mut self, f: KeysFn) -> Self {
        self.get_keys = Some(f);
        self
    }
    pub const fn deprecated(mut self, since: &'static str, replaced_by: &'static str) -> Self {
        self.deprecated = Some((since, replaced_by));
        self
    }
    /// Documents a difference from Redis 7.2 (shown in docs/commands.md).
    pub const fn compat(mut self, note: &'static str) -> Self {
        self.compat = note;
        self
    }

    pub fn is_container(&self) -> bool {
        !self.subs.is_empty()
    }

    pub fn has(&self, f: u64) -> bool {
        self.flags & f != 0
    }

    /// Flags including the derived `movablekeys`.
    pub fn effective_flags(&self) -> u64 {
        let mut f = self.flags;
        if self.legacy_range().1 {
            f |= MOVABLE_KEYS;
        }
        f
    }

    /// ACL categories including those implied by flags (as Redis's setImplicitACLCategories).
    pub fn categories(&self) -> u64 {
        let mut c = self.acl;
        if self.flags & WRITE != 0 {
            c |= WRITE_CAT;
        }
        // Redis tags read-only commands @read unless they are scripting commands (EVAL_RO...).
        if self.flags & READONLY != 0 && c & SCRIPTING == 0 {
            c |= READ;
        }
        if self.flags & ADMIN != 0 {
            c |= ADMIN_CAT | DANGEROUS;
        }
        if self.flags & PUBSUB != 0 {
            c |= PUBSUB_CAT;
        }
        if self.flags & FAST != 0 {
            c |= FAST_CAT;
        }
        if self.flags & BLOCKING != 0 {
            c |= BLOCKING_CAT;
        }
        if c & FAST_CAT == 0 {
            c |= SLOW;
        }
        c
    }

    /// The legacy (first, last, step) key range and whether keys are "movable", derived from the
    /// key specs the way Redis does: one index/range spec is used directly; several are merged
    /// when they are plain (step 1) and consecutive; anything else makes the keys movable.
    pub fn legacy_range(&self) -> ((i32, i32, i32), bool) {
        if self.keys.is_empty() {
            return ((0, 0, 0), self.get_keys.is_some());
        }
        if self.keys.len() == 1
            && let (Begin::Index(i), Find::Range { last_key, step, .. }) =
                (self.keys[0].begin, self.keys[0].find)
        {
            let last = if last_key >= 0 {
                i + last_key
            } else {
                last_key
            };
            return (
                (i, last, step),
                self.keys[0].flags & K_INCOMPLETE != 0 || self.get_keys.is_some(),
            );
        }
        let mut movable = self.get_keys.is_some();
        let mut first = i32::MAX;
        let mut last: i32 = 0;
        let mut prev_last = 0;
        for ks in self.keys {
            let (Begin::Index(pos), Find::Range { last_key, step, .. }) = (ks.begin, ks.find)
            else {
                movable = true;
                continue;
            };
            if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
                movable = true;
                continue;
            }
            if ks.flags & K_INCOMPLETE != 0 {
                movable = true;
            }
            first = first.min(pos);
            let abs = if last_key >= 0 {
                last_key + pos
            } else {
                last_key
            };
            // Unsigned comparison makes negative (to-the-end) values win.
            if (abs as u32) > (last as u32) {
                last = abs;
            }
            prev_last = last;
        }
        if first == i32::MAX {
            return ((0, 0, 0), true);
        }
        ((first, last, 1), movable)
    }

    /// Indexes (into argv) of the keys this invocation names, from the key specs or the custom
    /// extractor. `None` when the arguments are malformed (the handler will report it).
    pub fn key_indexes(&self, argv: &[&[u8]]) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        self.for_each_key(argv, |i| out.push(i))?;
        Some(out)
    }

    /// Calls `f` with the argv index of every key, without allocating for the common
    /// spec-described commands. `None` when the arguments are malformed.
    pub fn for_each_key(&self, argv: &[&[u8]], mut f: impl FnMut(usize)) -> Option<()> {
        if let Some(g) = self.get_keys {
            g(argv)?.into_iter().for_each(f);
            return Some(());
        }
        for ks in self.keys {
            if ks.flags & K_NOT_KEY != 0 {
                continue;
            }
            spec_keys_each(ks, argv, &mut f)?;
        }
        Some(())
    }
}

/// Applies one key spec to argv, appending key indexes.
pub fn spec_keys(ks: &KeySpec, argv: &[&[u8]], out: &mut Vec<usize>) -> Option<()> {
    spec_keys_each(ks, argv, &mut |i| out.push(i))
}

/// Applies one key spec to argv, calling `f` with each key index.
pub fn spec_keys_each(ks: &KeySpec, argv: &[&[u8]], f: &mut dyn FnMut(usize)) -> Option<()> {
    let argc = argv.len() as i32;
    let begin = match ks.begin {
        Begin::Index(i) => {
            if i >= argc {
                return Some(());
            }
            i
        }
        Begin::Keyword {
            keyword,
            start_from,
        } => {
            // Forward searches stop before the last argument, backward ones after the second,
            // since a keyword must be followed by at least one key.
            let (start, end) = if start_from > 0 {
                (start_from, argc - 1)
            } else {
                (argc + start_from, 1)
            };
            let mut found = None;
            let mut i = start;
            while i != end {
                if i >= argc || i < 1 {
                    break;
                }
                if argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                    found = Some(i + 1);
                    break;
                }
                i = if start <= end { i + 1 } else { i - 1 };
            }
            match found {
                Some(i) => i,
                None => return Some(()),
            }
        }
        Begin::Unknown => return Some(()),
    };
    match ks.find {
        Find::Range {
            last_key,
            step,
            limit,
        } => {
            let last = if last_key >= 0 {
                begin + last_key
            } else if limit == 0 {
                argc + last_key
            } else {
                begin + ((argc - begin) / limit + last_key)
            };
            if last >= argc || last < begin {
                return None;
            }
            let mut i = begin;
            while i <= last {
                f(i as usize);
                i += step.max(1);
            }
        }
        Find::Keynum {
            keynum_idx,
            first_key,
            step,
        } => {
            let ni = begin + keynum_idx;
            if ni >= argc {
                return None;
            }
            let n = crate::util::num::parse_i64(argv[ni as usize])?;
            if n < 0 {
                return None;
            }
            let first = begin + first_key;
            // Checked: a huge key count (ZUNION 9223372036854775807 ...) must be "malformed",
            // not wrap around into an endless list of indexes.
            let last = (n - 1)
                .checked_mul(step as i64)
                .and_then(|span| span.checked_add(first as i64));
            if n > 0 && last.is_none_or(|last| last >= argc as i64) {
                return None;
            }
            let mut i = first as i64;
            for _ in 0..n {
                f(i as usize);
                i += step as i64;
            }
        }
        Find::Unknown => {}
    }
    Some(())
}
