//! ACL users, their rules and the permission check.
//!
//! A [`User`] has flags (on/off, nopass, sanitize-payload), a set of SHA-256 password hashes
//! and a root [`Selector`] plus any number of extra selectors. A selector holds:
//! - a bitmap of allowed command ids (ids are the positions in the command table, so every
//!   subcommand has its own bit) plus one extra bit meaning "+@all": future commands allowed;
//! - `first_args`: per command id, the first arguments allowed (`+select|0`);
//! - the command rules as text (`+@read -get`), kept in application order with later rules
//!   about the same command or category replacing earlier ones, so ACL LIST can replay them;
//! - key patterns with read/write permissions, or `allkeys`;
//! - channel patterns, or `allchannels`.
//!
//! A command is allowed when the root selector or any other selector allows the command, all
//! its keys (with the access the key specs declare) and its channels. Users are immutable once
//! published: a change builds a new `User` and swaps the `Arc`, so a check holds no lock.

use parking_lot::{Mutex, RwLock};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use crate::cmd::CommandTable;
use crate::cmd::table::{self as t, Command};
use crate::util::glob::glob_match;

pub const PERM_R: u8 = 1;
pub const PERM_W: u8 = 2;

/// Why a command was refused (Redis's ACL_DENIED_* order: the "deepest" reason is reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denial {
    Cmd = 1,
    Key = 2,
    Auth = 3,
    Channel = 4,
}

impl Denial {
    pub fn reason(self) -> &'static str {
        match self {
            Denial::Cmd => "command",
            Denial::Key => "key",
            Denial::Auth => "auth",
            Denial::Channel => "channel",
        }
    }
}

/// Where a denied command ran (ACL LOG `context`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogContext {
    Toplevel,
    Multi,
    Lua,
}

impl LogContext {
    pub fn name(self) -> &'static str {
        match self {
            LogContext::Toplevel => "toplevel",
            LogContext::Multi => "multi",
            LogContext::Lua => "lua",
        }
    }
}

/// A denial with the argument index of the offending key or channel.
#[derive(Clone, Copy, Debug)]
pub struct Denied {
    pub kind: Denial,
    pub arg: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    pub perms: u8,
    pub pattern: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Selector {
    allowed: Vec<u64>,
    /// The "+@all" bit: commands added later are allowed too.
    all_commands: bool,
    first_args: HashMap<usize, Vec<Vec<u8>>>,
    rules: Vec<String>,
    pub allkeys: bool,
    pub keys: Vec<KeyPattern>,
    pub allchannels: bool,
    pub channels: Vec<Vec<u8>>,
}

/// Errors of one rule (the text after "ERR Error in ACL SETUSER modifier '...': ").
pub const E_UNKNOWN: &str = "Unknown command or category name in ACL";
pub const E_SYNTAX: &str = "Syntax error";
const E_KEYS_AFTER_ALL: &str = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
const E_CHANNELS_AFTER_ALL: &str = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
const E_NO_PASSWORD: &str = "The password you are trying to remove from the user does not exist";
const E_BAD_HASH: &str = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
/// Marker: a selector's parenthesis is not closed (the error names the selector's start).
pub const E_UNMATCHED: &str = "unmatched";
const E_FIRSTARG_SUB: &str = "Allowing first-arg of a subcommand is not supported";

impl Selector {
    pub fn new(table: &CommandTable) -> Selector {
        Selector {
            allowed: vec![0; table.len() / 64 + 1],
            all_commands: false,
            first_args: HashMap::new(),
            rules: Vec::new(),
            allkeys: false,
            keys: Vec::new(),
            allchannels: false,
            channels: Vec::new(),
        }
    }

    fn bit(&self, id: usize) -> bool {
        self.allowed[id / 64] & (1 << (id % 64)) != 0
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if on {
            self.allowed[id / 64] |= 1 << (id % 64);
        } else {
            self.allowed[id / 64] &= !(1 << (id % 64));
        }
    }

    /// Allows or denies a command and all its subcommands.
    fn set_command(&mut self, table: &CommandTable, id: usize, on: bool) {
        self.set_bit(id, on);
        self.first_args.remove(&id);
        let subs: Vec<usize> = table.all[id].subs.values().copied().collect();
        for s in subs {
            self.set_bit(s, on);
            self.first_args.remove(&s);
        }
    }

    /// Records a command rule, dropping earlier rules about the same command (and, for a
    /// command, its subcommands) or category, so replaying the list gives the same bitmap.
    fn push_rule(&mut self, allow: bool, rule: &str) {
        let rule = rule.to_ascii_lowercase();
        let sub_prefix = format!("{rule}|");
        self.rules.retain(|r| {
            let body = &r[1..];
            body != rule && (rule.contains('|') || !body.starts_with(&sub_prefix))
        });
        self.rules
            .push(format!("{}{rule}", if allow { '+' } else { '-' }));
    }

    pub fn is_unrestricted(&self) -> bool {
        self.all_commands && self.allkeys && self.allchannels && self.allowed_all()
    }

    fn allowed_all(&self) -> bool {
        // +@all sets every bit; a later -cmd clears one and `all_commands` stays (future
        // commands), so check the bits too.
        self.rules.is_empty()
    }

    /// Applies one rule. Errors are Redis's rule error texts.
    pub fn apply(&mut self, table: &CommandTable, op: &[u8]) -> Result<(), &'static str> {
        let lower = op.to_ascii_lowercase();
        match lower.as_slice() {
            b"allkeys" => {
                self.allkeys = true;
                self.keys.clear();
                return Ok(());
            }
            b"resetkeys" => {
                self.allkeys = false;
                self.keys.clear();
                return Ok(());
            }
            b"allchannels" => {
                self.allchannels = true;
                self.channels.clear();
                return Ok(());
            }
            b"resetchannels" => {
                self.allchannels = false;
                self.channels.clear();
                return Ok(());
            }
            b"allcommands" | b"+@all" => {
                self.allowed.iter_mut().for_each(|w| *w = !0);
                self.all_commands = true;
                self.first_args.clear();
                self.rules.clear();
                return Ok(());
            }
            b"nocommands" | b"-@all" => {
                self.allowed.iter_mut().for_each(|w| *w = 0);
                self.all_commands = false;
                self.first_args.clear();
                self.rules.clear();
                return Ok(());
            }
            _ => {}
        }
        match op.first() {
            Some(b'~') | Some(b'%') => self.add_key_pattern(op),
            Some(b'&') => {
                if self.allchannels {
                    return Err(E_CHANNELS_AFTER_ALL);
                }
                let pat = &op[1..];
                if pat == b"*" {
                    self.allchannels = true;
                    self.channels.clear();
                } else if !self.channels.iter().any(|c| c == pat) {
                    self.channels.push(pat.to_vec());
                }
                Ok(())
            }
            Some(&c @ (b'+' | b'-')) => {
                let allow = c == b'+';
                let body = std::str::from_utf8(&op[1..]).map_err(|_| E_UNKNOWN)?;
                if let Some(cat) = body.strip_prefix('@') {
                    let bits = category_bits(cat).ok_or(E_UNKNOWN)?;
                    for (id, e) in table.all.iter().enumerate() {
                        if e.cmd.categories() & bits != 0 {
                            self.set_bit(id, allow);
                            if allow {
                                self.first_args.remove(&id);
                            }
                        }
                    }
                    if !allow {
                        // Redis keeps the "future commands" bit only for +@all.
                    }
                    self.push_rule(allow, body);
                    return Ok(());
                }
                let lower_body = body.to_ascii_lowercase();
                let mut parts = lower_body.splitn(2, '|');
                let name = parts.next().unwrap_or("");
                let rest = parts.next();
                if rest.is_some_and(|r| r.contains('|')) {
                    return Err(E_FIRSTARG_SUB);
                }
                let Some(cmd) = table.get(name.as_bytes()) else {
                    return Err(E_UNKNOWN);
                };
                let id = table.id_of(cmd);
                match rest {
                    None => self.set_command(table, id, allow),
                    Some(sub) => {
                        if cmd.is_container() {
                            let Some(s) = table.sub(cmd, sub.as_bytes()) else {
                                return Err(E_UNKNOWN);
                            };
                            let sid = table.id_of(s);
                            self.set_bit(sid, allow);
                            self.first_args.remove(&sid);
                        } else {
                            if sub.contains('|') {
                                return Err(E_FIRSTARG_SUB);
                            }
                            if !allow || sub.is_empty() {
                                return Err(E_SYNTAX);
                            }
                            if !self.bit(id) {
                                let v = self.first_args.entry(id).or_default();
                                if !v.iter().any(|a| a.as_slice() == sub.as_bytes()) {
                                    v.push(sub.as_bytes().to_vec());
                                }
                            }
                        }
                    }
                }
                self.push_rule(allow, &lower_body);
                Ok(())
            }
            _ => Err(E_SYNTAX),
        }
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), &'static str> {
        let (perms, pat) = if op[0] == b'~' {
            (PERM_R | PERM_W, &op[1..])
        } else {
            let tilde = op.iter().position(|&b| b == b'~').ok_or(E_SYNTAX)?;
            let mut perms = 0;
            for &b in &op[1..tilde] {
                match b.to_ascii_uppercase() {
                    b'R' => perms |= PERM_R,
                    b'W' => perms |= PERM_W,
                    _ => return Err(E_SYNTAX),
                }
            }
            if perms == 0 {
                return Err(E_SYNTAX);
            }
            (perms, &op[tilde + 1..])
        };
        if self.allkeys {
            return Err(E_KEYS_AFTER_ALL);
        }
        if pat == b"*" && perms == PERM_R | PERM_W {
            self.allkeys = true;
            self.keys.clear();
            return Ok(());
        }
        if let Some(k) = self.keys.iter_mut().find(|k| k.pattern == pat) {
            k.perms |= perms;
        } else {
            self.keys.push(KeyPattern {
                perms,
                pattern: pat.to_vec(),
            });
        }
        Ok(())
    }

    /// "+@all -get" / "-@all +get".
    pub fn describe_commands(&self) -> String {
        let mut s = String::from(if self.all_commands { "+@all" } else { "-@all" });
        for r in &self.rules {
            s.push(' ');
            s.push_str(r);
        }
        s
    }

    pub fn describe_keys(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        let v: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let p = String::from_utf8_lossy(&k.pattern);
                match k.perms {
                    PERM_R => format!("%R~{p}"),
                    PERM_W => format!("%W~{p}"),
                    _ => format!("~{p}"),
                }
            })
            .collect();
        v.join(" ")
    }

    pub fn describe_channels(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        let v: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect();
        v.join(" ")
    }

    /// The selector as rules: "~* &* +@all", "%R~a* resetchannels &c* -@all +get".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let k = self.describe_keys();
        if !k.is_empty() {
            parts.push(k);
        }
        if self.allchannels {
            parts.push("&*".into());
        } else {
            parts.push("resetchannels".into());
            let c = self.describe_channels();
            if !c.is_empty() {
                parts.push(c);
            }
        }
        parts.push(self.describe_commands());
        parts.join(" ")
    }

    fn check_key(&self, key: &[u8], need: u8) -> bool {
        if self.allkeys {
            return true;
        }
        self.keys
            .iter()
            .any(|k| k.perms & need == need && glob_match(&k.pattern, key, false))
    }

    fn check_channel(&self, ch: &[u8], is_pattern: bool) -> bool {
        if self.allchannels {
            return true;
        }
        self.channels.iter().any(|p| {
            if is_pattern {
                p.as_slice() == ch
            } else {
                glob_match(p, ch, false)
            }
        })
    }

    /// Checks a command invocation against this selector.
    pub fn check(
        &self,
        table: &CommandTable,
        cmd: &'static Command,
        args: &[&[u8]],
    ) -> Result<(), Denied> {
        let id = table.id_of(cmd);
        if !cmd.has(t::NO_AUTH) && !self.bit(id) {
            let ok = args.len() > 1
                && self
                    .first_args
                    .get(&id)
                    .is_some_and(|v| v.iter().any(|a| a.eq_ignore_ascii_case(args[1])));
            if !ok {
                return Err(Denied {
                    kind: Denial::Cmd,
                    arg: 0,
                });
            }
        }
        if !self.allkeys {
            let mut bad = None;
            for_each_key_perm(cmd, args, |i, need| {
                if bad.is_none() && !self.check_key(args[i], need) {
                    bad = Some(i);
                }
            });
            if let Some(i) = bad {
                return Err(Denied {
                    kind: Denial::Key,
                    arg: i,
                });
            }
        }
        if !self.allchannels
            && let Some((first, last, is_pattern)) = channel_args(cmd, args)
        {
            for (i, ch) in args.iter().enumerate().take(last).skip(first) {
                if !self.check_channel(ch, is_pattern) {
                    return Err(Denied {
                        kind: Denial::Channel,
                        arg: i,
                    });
                }
            }
        }
        Ok(())
    }
}

/// The channels a command names: (first argv index, end index, are they patterns).
/// PUBLISH/SPUBLISH name one channel (argv[1]); the subscribe commands all their arguments.
fn channel_args(cmd: &Command, args: &[&[u8]]) -> Option<(usize, usize, bool)> {
    match cmd.name {
        "publish" | "spublish" if args.len() >= 2 => Some((1, 2, false)),
        "subscribe" | "ssubscribe" => Some((1, args.len(), false)),
        "psubscribe" => Some((1, args.len(), true)),
        _ => None,
    }
}

/// Calls `f(argv index, needed permissions)` for every key of an invocation.
fn for_each_key_perm(cmd: &Command, args: &[&[u8]], mut f: impl FnMut(usize, u8)) {
    fn perms_of(flags: u32) -> u8 {
        let mut p = 0;
        if flags & t::K_ACCESS != 0 {
            p |= PERM_R;
        }
        if flags & (t::K_INSERT | t::K_DELETE | t::K_UPDATE) != 0 {
            p |= PERM_W;
        }
        p
    }
    if cmd.get_keys.is_some() {
        let mut need = 0;
        for ks in cmd.keys {
            need |= perms_of(ks.flags);
        }
        if cmd.keys.is_empty() {
            need = if cmd.has(t::WRITE) {
                PERM_R | PERM_W
            } else {
                PERM_R
            };
        }
        if let Some(ix) = cmd.key_indexes(args) {
            for i in ix {
                f(i, need);
            }
        }
        return;
    }
    for ks in cmd.keys {
        if ks.flags & t::K_NOT_KEY != 0 {
            continue;
        }
        let mut need = perms_of(ks.flags);
        // SET reads the old value only with GET (Redis's setGetKeys gives "OW UPDATE" without).
        if ks.flags & t::K_VARIABLE_FLAGS != 0
            && cmd.name == "set"
            && !args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"))
        {
            need = PERM_W;
        }
        let _ = t::spec_keys_each(ks, args, &mut |i| f(i, need));
    }
}

/// The category bit of a name ("read" -> READ); "all" is handled by the caller.
pub fn category_bits(name: &str) -> Option<u64> {
    t::CATEGORY_NAMES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(b, _)| *b)
}

#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub enabled: bool,
    pub nopass: bool,
    /// None: neither flag given (Redis prints nothing).
    pub sanitize_payload: Option<bool>,
    pub passwords: Vec<[u8; 32]>,
    pub root: Selector,
    pub selectors: Vec<Selector>,
    unrestricted: bool,
}

pub fn sha256(pass: &[u8]) -> [u8; 32] {
    let d = Sha256::digest(pass);
    let mut out = [0u8; 32];
    out.copy_from_slice(&d);
    out
}

pub fn hex(h: &[u8]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hash(s: &[u8]) -> Option<[u8; 32]> {
    if s.len() != 64
        || !s
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        let hx = std::str::from_utf8(&s[i * 2..i * 2 + 2]).ok()?;
        *o = u8::from_str_radix(hx, 16).ok()?;
    }
    Some(out)
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no passwords, no permissions.
    pub fn new(name: &str, table: &CommandTable, pubsub_all: bool) -> User {
        let mut root = Selector::new(table);
        root.allchannels = pubsub_all;
        User {
            name: name.to_string(),
            enabled: false,
            nopass: false,
            sanitize_payload: None,
            passwords: Vec::new(),
            root,
            selectors: Vec::new(),
            unrestricted: false,
        }
    }

    /// Applies one rule (a selector in parentheses included).
    pub fn apply(
        &mut self,
        table: &CommandTable,
        op: &[u8],
        pubsub_all: bool,
    ) -> Result<(), &'static str> {
        let lower = op.to_ascii_lowercase();
        match lower.as_slice() {
            b"on" => self.enabled = true,
            b"off" => self.enabled = false,
            b"nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            b"resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            b"skip-sanitize-payload" => self.sanitize_payload = Some(false),
            b"sanitize-payload" => self.sanitize_payload = Some(true),
            b"clearselectors" => self.selectors.clear(),
            b"reset" => {
                for r in [
                    &b"resetpass"[..],
                    b"resetkeys",
                    b"resetchannels",
                    b"off",
                    b"clearselectors",
                    b"sanitize-payload",
                    b"-@all",
                ] {
                    self.apply(table, r, pubsub_all)?;
                }
                if pubsub_all {
                    self.root.allchannels = true;
                }
            }
            _ => match op.first() {
                Some(b'>') => {
                    let h = sha256(&op[1..]);
                    if !self.passwords.contains(&h) {
                        self.passwords.push(h);
                    }
                    self.nopass = false;
                }
                Some(b'#') => {
                    let h = parse_hash(&op[1..]).ok_or(E_BAD_HASH)?;
                    if !self.passwords.contains(&h) {
                        self.passwords.push(h);
                    }
                    self.nopass = false;
                }
                Some(b'<') | Some(b'!') => {
                    let h = if op[0] == b'<' {
                        sha256(&op[1..])
                    } else {
                        parse_hash(&op[1..]).ok_or(E_BAD_HASH)?
                    };
                    let before = self.passwords.len();
                    self.passwords.retain(|p| *p != h);
                    if self.passwords.len() == before {
                        return Err(E_NO_PASSWORD);
                    }
                    self.nopass = false;
                }
                Some(b'(') => {
                    if op.last() != Some(&b')') || op.len() < 2 {
                        return Err(E_SYNTAX);
                    }
                    let mut sel = Selector::new(table);
                    sel.allchannels = pubsub_all;
                    for r in op[1..op.len() - 1]
                        .split(|&b| b == b' ')
                        .filter(|r| !r.is_empty())
                    {
                        sel.apply(table, r)?;
                    }
                    self.selectors.push(sel);
                }
                _ => self.root.apply(table, op)?,
            },
        }
        self.unrestricted = self.root.is_unrestricted();
        Ok(())
    }

    /// Whether some selector allows this channel (`is_pattern`: a PSUBSCRIBE pattern, which
    /// must appear literally among the allowed patterns).
    pub fn channel_allowed(&self, ch: &[u8], is_pattern: bool) -> bool {
        std::iter::once(&self.root)
            .chain(self.selectors.iter())
            .any(|s| s.check_channel(ch, is_pattern))
    }

    /// Whether a password matches, in time independent of which password or where it differs.
    pub fn password_matches(&self, pass: &[u8]) -> bool {
        if self.nopass {
            return true;
        }
        let h = sha256(pass);
        let mut found = false;
        for p in &self.passwords {
            let mut diff = 0u8;
            for (x, y) in p.iter().zip(h.iter()) {
                diff |= x ^ y;
            }
            found |= diff == 0;
        }
        found
    }

    /// The ACL LIST line: "user default on nopass ~* &* +@all".
    pub fn describe(&self) -> String {
        let mut s = format!("user {}", self.name);
        for f in self.flag_names() {
            s.push(' ');
            s.push_str(f);
        }
        for p in &self.passwords {
            s.push_str(" #");
            s.push_str(&hex(p));
        }
        s.push(' ');
        s.push_str(&self.root.describe());
        for sel in &self.selectors {
            s.push_str(" (");
            s.push_str(&sel.describe());
            s.push(')');
        }
        s
    }

    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut v = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            v.push("nopass");
        }
        match self.sanitize_payload {
            Some(false) => v.push("skip-sanitize-payload"),
            Some(true) => v.push("sanitize-payload"),
            None => {}
        }
        v
    }

    /// Checks a command against the root selector, then every other selector.
    pub fn check(
        &self,
        table: &CommandTable,
        cmd: &'static Command,
        args: &[&[u8]],
    ) -> Result<(), Denied> {
        if self.unrestricted {
            return Ok(());
        }
        let mut worst = match self.root.check(table, cmd, args) {
            Ok(()) => return Ok(()),
            Err(d) => d,
        };
        for sel in &self.selectors {
            match sel.check(table, cmd, args) {
                Ok(()) => return Ok(()),
                Err(d) if d.kind > worst.kind => worst = d,
                Err(_) => {}
            }
        }
        Err(worst)
    }
}

/// Splits SETUSER arguments into rules, joining selectors written over several arguments
/// ("(+get" "~k*)") into one. None if a selector is not closed.
pub fn merge_selector_args(args: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut acc: Option<Vec<u8>> = None;
    for a in args {
        if let Some(cur) = acc.as_mut() {
            cur.push(b' ');
            cur.extend_from_slice(a);
            if a.last() == Some(&b')') {
                out.push(acc.take().unwrap_or_default());
            }
        } else if a.first() == Some(&b'(') && a.last() != Some(&b')') {
            acc = Some(a.to_vec());
        } else {
            out.push(a.to_vec());
        }
    }
    if acc.is_some() {
        return None;
    }
    Some(out)
}

/// One ACL LOG entry.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub id: u64,
    pub count: u64,
    pub reason: Denial,
    pub context: LogContext,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    pub client_info: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Default)]
pub struct AclLog {
    pub entries: VecDeque<LogEntry>,
    pub next_id: u64,
}

/// The users, the ACL log and denial counters.
pub struct Acl {
    pub users: RwLock<BTreeMap<String, Arc<User>>>,
    pub log: Mutex<AclLog>,
    /// INFO stats: acl_access_denied_auth, _cmd, _key, _channel.
    pub denied: [AtomicU64; 4],
    /// The default user is on and needs no password (new connections start authenticated).
    pub default_open: AtomicBool,
    /// The default user may run anything (the fast path of every check).
    pub default_unrestricted: AtomicBool,
}

impl Default for Acl {
    fn default() -> Self {
        Acl {
            users: RwLock::new(BTreeMap::new()),
            log: Mutex::new(AclLog::default()),
            denied: Default::default(),
            default_open: AtomicBool::new(true),
            default_unrestricted: AtomicBool::new(true),
        }
    }
}

impl Acl {
    pub fn get(&self, name: &str) -> Option<Arc<User>> {
        self.users.read().get(name).cloned()
    }

    /// Publishes a user (replacing one of the same name) and refreshes the default-user caches.
    pub fn put(&self, u: User) {
        let mut users = self.users.write();
        users.insert(u.name.clone(), Arc::new(u));
        self.refresh(&users);
    }

    pub fn refresh(&self, users: &BTreeMap<String, Arc<User>>) {
        let (open, unrestricted) = match users.get("default") {
            Some(d) => (d.enabled && d.nopass, d.enabled && d.unrestricted),
            None => (false, false),
        };
        self.default_open.store(open, Relaxed);
        self.default_unrestricted.store(unrestricted, Relaxed);
    }

    /// Adds an ACL LOG entry, merging it with a recent identical one as Redis does.
    #[allow(clippy::too_many_arguments)]
    pub fn log_denial(
        &self,
        max_len: usize,
        reason: Denial,
        context: LogContext,
        object: &[u8],
        username: &[u8],
        client_info: String,
        now_ms: i64,
    ) {
        let idx = match reason {
            Denial::Auth => 0,
            Denial::Cmd => 1,
            Denial::Key => 2,
            Denial::Channel => 3,
        };
        self.denied[idx].fetch_add(1, Relaxed);
        if max_len == 0 {
            return;
        }
        let mut log = self.log.lock();
        if let Some(e) = log.entries.iter_mut().find(|e| {
            e.reason == reason
                && e.context == context
                && e.object == object
                && e.username == username
                && now_ms - e.created_ms < 60_000
        }) {
            e.count += 1;
            e.updated_ms = now_ms;
            e.client_info = client_info;
            return;
        }
        let id = log.next_id;
        log.next_id += 1;
        log.entries.push_front(LogEntry {
            id,
            count: 1,
            reason,
            context,
            object: object.to_vec(),
            username: username.to_vec(),
            client_info,
            created_ms: now_ms,
            updated_ms: now_ms,
        });
        while log.entries.len() > max_len {
            log.entries.pop_back();
        }
    }
}

/// The default user at start-up: on, nopass, everything allowed.
pub fn default_user(table: &CommandTable) -> User {
    let mut u = User::new("default", table, true);
    for r in [&b"on"[..], b"nopass", b"allkeys", b"allchannels", b"+@all"] {
        u.apply(table, r, true).expect("valid default rules");
    }
    u
}

/// Parses a rule list for a (possibly new) user; returns the updated copy. Errors name the
/// offending rule: (rule, message).
pub fn apply_rules(
    table: &CommandTable,
    base: Option<&User>,
    name: &str,
    rules: &[&[u8]],
    pubsub_all: bool,
) -> Result<User, (Vec<u8>, &'static str)> {
    let mut u = match base {
        Some(u) => u.clone(),
        None => User::new(name, table, pubsub_all),
    };
    let merged = merge_selector_args(rules).ok_or_else(|| {
        let open = rules
            .iter()
            .rev()
            .find(|r| r.first() == Some(&b'('))
            .map(|r| r.to_vec())
            .unwrap_or_default();
        (open, E_UNMATCHED)
    })?;
    for r in &merged {
        u.apply(table, r, pubsub_all).map_err(|e| (r.clone(), e))?;
    }
    Ok(u)
}
