//! Configuration: redis.conf syntax, `--directive value` overrides, CONFIG GET/SET/REWRITE.
//!
//! Every directive is declared once in [`DIRECTIVES`] with its type, default and whether it may
//! change at run time. Values are kept in canonical string form (what CONFIG GET prints) behind a
//! lock; values read on hot paths are mirrored into atomics by change hooks that the modules
//! owning them register at start-up ([`Config::on_change`]), so the command path never takes the
//! configuration lock.

use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::Arc;

use crate::protocol::parse::split_args;
use crate::util::glob::glob_match;

/// Value type of a directive, with validation rules.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// Memory amount: accepts `1gb`, `10mb`, `5k`...; printed in bytes.
    Memory {
        min: i64,
        max: i64,
    },
    Enum(&'static [&'static str]),
    /// A set of enum flags separated by spaces (e.g. `tls-protocols`).
    Flags(&'static [&'static str]),
    Str,
    /// Free-form with its own validation in a hook (save, bind, client-output-buffer-limit...).
    Special,
}

/// One configuration directive.
#[derive(Clone, Copy, Debug)]
pub struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    /// Settable only at start-up (CONFIG SET refuses it).
    pub immutable: bool,
    /// Takes several words (e.g. `save 900 1 300 10`), joined with spaces.
    pub multi_arg: bool,
    /// Accepted for compatibility with Redis configurations; Pilgrim's architecture gives it no
    /// effect (listed in docs/commands.md).
    pub inert: bool,
}

const fn d(name: &'static str, kind: Kind, default: &'static str) -> Directive {
    Directive {
        name,
        alias: None,
        kind,
        default,
        immutable: false,
        multi_arg: false,
        inert: false,
    }
}
const fn imm(mut x: Directive) -> Directive {
    x.immutable = true;
    x
}
const fn multi(mut x: Directive) -> Directive {
    x.multi_arg = true;
    x
}
const fn inert(mut x: Directive) -> Directive {
    x.inert = true;
    x
}
const fn alias(mut x: Directive, a: &'static str) -> Directive {
    x.alias = Some(a);
    x
}

const YESNO: Kind = Kind::Bool;
const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}
const fn mem(min: i64, max: i64) -> Kind {
    Kind::Memory { min, max }
}
const I64MAX: i64 = i64::MAX;
const I32MAX: i64 = i32::MAX as i64;
const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning", "nothing"];
const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// Every directive Pilgrim knows, in the order CONFIG REWRITE writes them.
pub static DIRECTIVES: &[Directive] = &[
    // network
    multi(d("bind", Kind::Special, "127.0.0.1 -::1")),
    d("port", int(0, 65535), "6379"),
    imm(d("tcp-backlog", int(0, I32MAX), "511")),
    imm(d("unixsocket", Kind::Str, "")),
    imm(d("unixsocketperm", int(0, 0o777), "0")),
    d("timeout", int(0, I32MAX), "0"),
    d("tcp-keepalive", int(0, I32MAX), "300"),
    d("protected-mode", YESNO, "yes"),
    d("maxclients", int(1, I32MAX), "10000"),
    // tls
    d("tls-port", int(0, 65535), "0"),
    d("tls-cert-file", Kind::Str, ""),
    d("tls-key-file", Kind::Str, ""),
    d("tls-key-file-pass", Kind::Str, ""),
    d("tls-client-cert-file", Kind::Str, ""),
    d("tls-client-key-file", Kind::Str, ""),
    d("tls-ca-cert-file", Kind::Str, ""),
    d("tls-ca-cert-dir", Kind::Str, ""),
    d(
        "tls-auth-clients",
        Kind::Enum(&["no", "yes", "optional"]),
        "yes",
    ),
    d("tls-protocols", Kind::Flags(&["TLSv1.2", "TLSv1.3"]), ""),
    d("tls-ciphersuites", Kind::Str, ""),
    inert(d("tls-ciphers", Kind::Str, "")),
    inert(d("tls-prefer-server-ciphers", YESNO, "no")),
    inert(d("tls-session-caching", YESNO, "yes")),
    inert(d("tls-session-cache-size", int(0, I32MAX), "20480")),
    inert(d("tls-session-cache-timeout", int(0, I32MAX), "300")),
    inert(d("tls-replication", YESNO, "no")),
    inert(d("tls-cluster", YESNO, "no")),
    // general
    imm(d("daemonize", YESNO, "no")),
    imm(d(
        "supervised",
        Kind::Enum(&["upstart", "systemd", "auto", "no"]),
        "no",
    )),
    d("pidfile", Kind::Str, ""),
    d("loglevel", Kind::Enum(LOGLEVELS), "notice"),
    d("logfile", Kind::Str, ""),
    inert(d("syslog-enabled", YESNO, "no")),
    inert(d("syslog-ident", Kind::Str, "redis")),
    inert(d("syslog-facility", Kind::Str, "local0")),
    imm(d("databases", int(1, I32MAX), "16")),
    inert(d("always-show-logo", YESNO, "no")),
    inert(d("set-proc-title", YESNO, "yes")),
    inert(d(
        "proc-title-template",
        Kind::Str,
        "{title} {listen-addr} {server-mode}",
    )),
    inert(d("locale-collate", Kind::Str, "")),
    d("hz", int(0, I32MAX), "10"),
    d("dynamic-hz", YESNO, "yes"),
    d(
        "enable-debug-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    ),
    d(
        "enable-protected-configs",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    ),
    d(
        "enable-module-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    ),
    d("io-threads", int(1, 128), "0"),
    inert(d("io-threads-do-reads", YESNO, "no")),
    // snapshots
    multi(d("save", Kind::Special, "3600 1 300 100 60 10000")),
    d("stop-writes-on-bgsave-error", YESNO, "yes"),
    d("rdbcompression", YESNO, "yes"),
    d("rdbchecksum", YESNO, "yes"),
    d("dbfilename", Kind::Str, "dump.rdb"),
    d("rdb-del-sync-files", YESNO, "no"),
    d("dir", Kind::Special, "./"),
    d("rdb-save-incremental-fsync", YESNO, "yes"),
    // Test hooks Redis also has: microseconds slept per key saved / loaded.
    d("rdb-key-save-delay", int(i32::MIN as i64, I32MAX), "0"),
    d("key-load-delay", int(i32::MIN as i64, I32MAX), "0"),
    // security
    d("requirepass", Kind::Str, ""),
    d("aclfile", Kind::Str, ""),
    d("acllog-max-len", int(0, I64MAX), "128"),
    d(
        "acl-pubsub-default",
        Kind::Enum(&["allchannels", "resetchannels"]),
        "resetchannels",
    ),
    // memory
    d("maxmemory", mem(0, I64MAX), "0"),
    d("maxmemory-policy", Kind::Enum(POLICIES), "noeviction"),
    d("maxmemory-samples", int(1, 64), "5"),
    d("maxmemory-eviction-tenacity", int(0, 100), "10"),
    d("maxmemory-clients", mem(0, I64MAX), "0"),
    d("active-expire-effort", int(1, 10), "1"),
    d("lazyfree-lazy-eviction", YESNO, "no"),
    d("lazyfree-lazy-expire", YESNO, "no"),
    d("lazyfree-lazy-server-del", YESNO, "no"),
    d("lazyfree-lazy-user-del", YESNO, "no"),
    d("lazyfree-lazy-user-flush", YESNO, "no"),
    inert(d("replica-lazy-flush", YESNO, "no")),
    inert(d(
        "oom-score-adj",
        Kind::Enum(&["no", "yes", "relative", "absolute"]),
        "no",
    )),
    inert(multi(d("oom-score-adj-values", Kind::Str, "0 200 800"))),
    inert(d("disable-thp", YESNO, "yes")),
    inert(d("activedefrag", YESNO, "no")),
    inert(d("jemalloc-bg-thread", YESNO, "yes")),
    d("lfu-log-factor", int(0, I32MAX), "10"),
    d("lfu-decay-time", int(0, I32MAX), "1"),
    // append only file
    d("appendonly", YESNO, "no"),
    imm(d("appendfilename", Kind::Str, "appendonly.aof")),
    imm(d("appenddirname", Kind::Str, "appendonlydir")),
    d(
        "appendfsync",
        Kind::Enum(&["always", "everysec", "no"]),
        "everysec",
    ),
    d("no-appendfsync-on-rewrite", YESNO, "no"),
    d("auto-aof-rewrite-percentage", int(0, I32MAX), "100"),
    d("auto-aof-rewrite-min-size", mem(0, I64MAX), "67108864"),
    d("aof-load-truncated", YESNO, "yes"),
    d("aof-use-rdb-preamble", YESNO, "yes"),
    d("aof-timestamp-enabled", YESNO, "no"),
    d("aof-rewrite-incremental-fsync", YESNO, "yes"),
    // scripting
    alias(
        d("busy-reply-threshold", int(0, I64MAX), "5000"),
        "lua-time-limit",
    ),
    // replication (single-server Pilgrim: stored so configurations load, no replication)
    inert(d("replica-serve-stale-data", YESNO, "yes")),
    inert(d("replica-read-only", YESNO, "yes")),
    inert(d("repl-diskless-sync", YESNO, "yes")),
    inert(d("repl-diskless-sync-delay", int(0, I32MAX), "5")),
    inert(d("repl-diskless-sync-max-replicas", int(0, I32MAX), "0")),
    inert(d(
        "repl-diskless-load",
        Kind::Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled",
    )),
    inert(d("repl-ping-replica-period", int(1, I32MAX), "10")),
    inert(d("repl-timeout", int(1, I32MAX), "60")),
    inert(d("repl-disable-tcp-nodelay", YESNO, "no")),
    inert(d("repl-backlog-size", mem(1, I64MAX), "1048576")),
    inert(d("repl-backlog-ttl", int(0, I32MAX), "3600")),
    inert(d("replica-priority", int(0, I32MAX), "100")),
    inert(d("replica-announced", YESNO, "yes")),
    inert(d("min-replicas-to-write", int(0, I32MAX), "0")),
    inert(d("min-replicas-max-lag", int(0, I32MAX), "10")),
    inert(d("masterauth", Kind::Str, "")),
    inert(d("masteruser", Kind::Str, "")),
    inert(d("replica-ignore-maxmemory", YESNO, "yes")),
    inert(d("cluster-enabled", YESNO, "no")),
    // slow log, latency
    d("slowlog-log-slower-than", int(-1, I64MAX), "10000"),
    d("slowlog-max-len", int(0, I64MAX), "128"),
    d("latency-monitor-threshold", int(0, I64MAX), "0"),
    d("latency-tracking", YESNO, "yes"),
    multi(d(
        "latency-tracking-info-percentiles",
        Kind::Special,
        "50 99 99.9",
    )),
    // events
    d("notify-keyspace-events", Kind::Special, ""),
    // encodings
    alias(
        d("hash-max-listpack-entries", int(0, I64MAX), "512"),
        "hash-max-ziplist-entries",
    ),
    alias(
        d("hash-max-listpack-value", int(0, I64MAX), "64"),
        "hash-max-ziplist-value",
    ),
    alias(
        d("list-max-listpack-size", int(i32::MIN as i64, I32MAX), "-2"),
        "list-max-ziplist-size",
    ),
    d("list-compress-depth", int(0, I32MAX), "0"),
    d("set-max-intset-entries", int(0, I64MAX), "512"),
    d("set-max-listpack-entries", int(0, I64MAX), "128"),
    d("set-max-listpack-value", int(0, I64MAX), "64"),
    alias(
        d("zset-max-listpack-entries", int(0, I64MAX), "128"),
        "zset-max-ziplist-entries",
    ),
    alias(
        d("zset-max-listpack-value", int(0, I64MAX), "64"),
        "zset-max-ziplist-value",
    ),
    d("hll-sparse-max-bytes", mem(0, I64MAX), "3000"),
    d("stream-node-max-bytes", mem(0, I64MAX), "4096"),
    d("stream-node-max-entries", int(0, I64MAX), "100"),
    d("activerehashing", YESNO, "yes"),
    // clients
    multi(d(
        "client-output-buffer-limit",
        Kind::Special,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    )),
    d(
        "client-query-buffer-limit",
        mem(1024 * 1024, I64MAX),
        "1073741824",
    ),
    d("proto-max-bulk-len", mem(1024 * 1024, I64MAX), "536870912"),
    d("max-new-connections-per-cycle", int(1, 1000), "10"),
    d("max-new-tls-connections-per-cycle", int(1, 1000), "1"),
    d("crash-log-enabled", YESNO, "yes"),
    d("crash-memcheck-enabled", YESNO, "yes"),
    d("shutdown-timeout", int(0, I32MAX), "10"),
    multi(d("shutdown-on-sigint", Kind::Special, "default")),
    multi(d("shutdown-on-sigterm", Kind::Special, "default")),
    d("lua-replicate-commands", YESNO, "yes"),
];

/// Directives accepted in a configuration file only (not CONFIG GET/SET).
const FILE_ONLY: &[&str] = &["rename-command", "include", "user", "loadmodule"];

type Hook = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The live configuration.
pub struct Config {
    values: RwLock<HashMap<&'static str, String>>,
    hooks: Mutex<HashMap<&'static str, Vec<Hook>>>,
    /// Path of the configuration file given at start-up, for CONFIG REWRITE.
    pub file: Option<String>,
    /// `rename-command` lines from the configuration file (old name, new name or "").
    pub renames: Vec<(String, String)>,
    /// `user` lines from the configuration file, as rule lists.
    pub users: Vec<Vec<String>>,
}

/// Looks up a directive by name or alias (case-insensitive).
pub fn find(name: &str) -> Option<&'static Directive> {
    let n = name.to_ascii_lowercase();
    DIRECTIVES
        .iter()
        .find(|d| d.name == n || d.alias == Some(n.as_str()))
}

/// Parses a memory amount like Redis's `memtoull`: a decimal number with an optional unit `b`,
/// `k`, `kb`, `m`, `mb`, `g`, `gb` (case-insensitive; `k` = 1000, `kb` = 1024).
pub fn parse_memory(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(lower.len());
    let (num, unit) = lower.split_at(split);
    let mul: i64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let n: i64 = num.parse().ok()?;
    n.checked_mul(mul)
}

fn canon(d: &Directive, words: &[String]) -> Result<String, String> {
    if !d.multi_arg && words.len() != 1 {
        return Err("wrong number of arguments".into());
    }
    let v = words.join(" ");
    match d.kind {
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int { min, max } => {
            let n: i64 = match crate::util::num::parse_i64(v.as_bytes()) {
                Some(n) => n,
                None => return Err("argument couldn't be parsed into an integer".into()),
            };
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            if d.name == "hz" {
                // Redis takes hz as a hint and caps it into 1..=500.
                return Ok(n.clamp(1, 500).to_string());
            }
            Ok(n.to_string())
        }
        Kind::Memory { min, max } => {
            let n = match parse_memory(&v) {
                // Memory values are unsigned: Redis rejects a sign before any range check.
                Some(n) if !v.starts_with('-') => n,
                _ => return Err("argument must be a memory value".into()),
            };
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(n.to_string())
        }
        Kind::Enum(opts) => {
            let l = v.to_ascii_lowercase();
            match opts.iter().find(|o| o.eq_ignore_ascii_case(&l)) {
                Some(o) => Ok((*o).to_string()),
                None => Err(format!(
                    "argument(s) must be one of the following: {}",
                    opts.join(", ")
                )),
            }
        }
        Kind::Flags(opts) => {
            let mut out = Vec::new();
            for w in v.split_whitespace() {
                match opts.iter().find(|o| o.eq_ignore_ascii_case(w)) {
                    Some(o) => out.push(*o),
                    None => {
                        return Err(format!(
                            "argument(s) must be one of the following: {}",
                            opts.join(", ")
                        ));
                    }
                }
            }
            Ok(out.join(" "))
        }
        Kind::Str | Kind::Special => Ok(v),
    }
}

/// A configuration error at start-up, reported like Redis's "FATAL CONFIG FILE ERROR".
#[derive(Debug)]
pub struct StartupError {
    pub line_no: usize,
    pub line: String,
    pub msg: String,
}

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (Pilgrim {}) ***",
            crate::VERSION
        )?;
        writeln!(
            f,
            "Reading the configuration file, at line {}",
            self.line_no
        )?;
        writeln!(f, ">>> '{}'", self.line)?;
        write!(f, "{}", self.msg)
    }
}

impl Default for Config {
    fn default() -> Self {
        let mut values = HashMap::new();
        for d in DIRECTIVES {
            values.insert(d.name, d.default.to_string());
        }
        Config {
            values: RwLock::new(values),
            hooks: Mutex::new(HashMap::new()),
            file: None,
            renames: Vec::new(),
            users: Vec::new(),
        }
    }
}

impl Config {
    /// Builds the configuration from command-line arguments (without the program name), the
    /// way `redis-server` takes them: an optional file path, then `--directive value...` pairs.
    pub fn from_args(args: &[String]) -> Result<Config, StartupError> {
        let mut cfg = Config::default();
        let mut text = String::new();
        let mut rest = args;
        if let Some(first) = args.first()
            && !first.starts_with("--")
        {
            let content = if first == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|e| {
                    StartupError {
                        line_no: 0,
                        line: "-".into(),
                        msg: e.to_string(),
                    }
                })?;
                s
            } else {
                std::fs::read_to_string(first).map_err(|e| StartupError {
                    line_no: 0,
                    line: first.clone(),
                    msg: format!("Fatal error, can't open config file '{first}': {e}"),
                })?
            };
            cfg.file = if first == "-" {
                None
            } else {
                Some(
                    std::fs::canonicalize(first)
                        .map_or(first.clone(), |p| p.to_string_lossy().into_owned()),
                )
            };
            text.push_str(&content);
            text.push('\n');
            rest = &args[1..];
        }
        // Command-line options become config lines: "--port 7000 --save ''" -> "port 7000\nsave ''".
        let mut first_opt = true;
        for a in rest {
            if let Some(name) = a.strip_prefix("--") {
                if !first_opt {
                    text.push('\n');
                }
                first_opt = false;
                text.push_str(name);
            } else {
                text.push(' ');
                text.push_str(&quote_arg(a));
            }
        }
        text.push('\n');
        cfg.load_text(&text)?;
        Ok(cfg)
    }

    /// Applies configuration text (redis.conf syntax).
    pub fn load_text(&mut self, text: &str) -> Result<(), StartupError> {
        // `save` lines accumulate within one load: the first one replaces the default.
        let mut save_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |msg: String| StartupError {
                line_no: i + 1,
                line: line.to_string(),
                msg,
            };
            let words = match split_args(line.as_bytes()) {
                Some(w) => w,
                None => return Err(err("Unbalanced quotes in configuration line".into())),
            };
            if words.is_empty() {
                continue;
            }
            let words: Vec<String> = words
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect();
            let name = words[0].to_ascii_lowercase();
            let args = &words[1..];
            if FILE_ONLY.contains(&name.as_str()) {
                match name.as_str() {
                    "rename-command" if args.len() == 2 => {
                        self.renames.push((args[0].clone(), args[1].clone()))
                    }
                    "user" if !args.is_empty() => self.users.push(args.to_vec()),
                    "include" if args.len() == 1 => {
                        let content = std::fs::read_to_string(&args[0]).map_err(|e| {
                            err(format!("Can't open include file '{}': {e}", args[0]))
                        })?;
                        self.load_text(&content)?;
                    }
                    "loadmodule" => {
                        return Err(err("Modules are not supported by Pilgrim".into()));
                    }
                    _ => return Err(err("Bad directive or wrong number of arguments".into())),
                }
                continue;
            }
            let Some(d) = find(&name) else {
                return Err(err(format!(
                    "Bad directive or wrong number of arguments: '{name}'"
                )));
            };
            if args.is_empty() && !(d.multi_arg || matches!(d.kind, Kind::Str)) {
                return Err(err("Bad directive or wrong number of arguments".into()));
            }
            let mut args = args.to_vec();
            if args.is_empty() {
                args.push(String::new());
            }
            if d.name == "save" {
                let v = canon(d, &args).map_err(err)?;
                validate_special(d.name, &v).map_err(err)?;
                let mut vals = self.values.write();
                let cur = vals.get_mut("save").expect("save is declared");
                if !save_seen || v.is_empty() || cur.is_empty() {
                    *cur = v;
                } else {
                    cur.push(' ');
                    cur.push_str(&v);
                }
                save_seen = true;
                continue;
            }
            let v = canon(d, &args).map_err(err)?;
            validate_special(d.name, &v).map_err(err)?;
            let v = self.merged(d, v);
            self.values.write().insert(d.name, v);
        }
        Ok(())
    }

    /// Directives whose new value only updates part of the old one: `client-output-buffer-limit`
    /// sets the classes it names and keeps the others (Redis's merge semantics).
    fn merged(&self, d: &Directive, v: String) -> String {
        if d.name != "client-output-buffer-limit" {
            return v;
        }
        let cur = self.values.read().get(d.name).cloned().unwrap_or_default();
        merge_obuf_limits(&cur, &v).unwrap_or(v)
    }

    /// The canonical value of a directive.
    pub fn get(&self, name: &str) -> String {
        let d = find(name).unwrap_or_else(|| panic!("unknown directive {name}"));
        self.values.read().get(d.name).cloned().unwrap_or_default()
    }

    pub fn get_i64(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or(0)
    }

    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) == "yes"
    }

    /// Registers a hook run when the directive changes (and once now with the current value).
    pub fn on_change(
        &self,
        name: &'static str,
        f: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static,
    ) {
        let f: Hook = Arc::new(f);
        let cur = self.get(name);
        // Start-up values were validated already; a hook failing here is a start-up error that
        // the hook itself reports.
        let _ = f(&cur);
        self.hooks
            .lock()
            .entry(find(name).expect("known directive").name)
            .or_default()
            .push(f);
    }

    /// Runs the hooks of every directive once more (after start-up, when all are registered).
    pub fn validate_all(&self) -> Result<(), String> {
        let hooks = self.hooks.lock().clone();
        for (name, hs) in hooks {
            let v = self.get(name);
            for h in hs {
                h(&v).map_err(|e| format!("'{name}': {e}"))?;
            }
        }
        Ok(())
    }

    /// CONFIG GET: every (name, value) whose name or alias matches one of the patterns.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let vals = self.values.read();
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for d in DIRECTIVES {
            for n in [Some(d.name), d.alias].into_iter().flatten() {
                // A name asked for without wildcards is echoed as the caller spelled it, as
                // Redis does; names found by a pattern are reported in lower case.
                let shown = patterns.iter().find_map(|p| {
                    let exact = !p.iter().any(|c| matches!(c, b'*' | b'?' | b'['));
                    if exact {
                        p.eq_ignore_ascii_case(n.as_bytes())
                            .then(|| String::from_utf8_lossy(p).into_owned())
                    } else {
                        glob_match(p, n.as_bytes(), true).then(|| n.to_string())
                    }
                });
                if let Some(shown) = shown
                    && seen.insert(n)
                {
                    out.push((shown, vals.get(d.name).cloned().unwrap_or_default()));
                }
            }
        }
        out
    }

    /// CONFIG SET of several pairs, all or nothing (as Redis 7 does).
    pub fn set_many(&self, pairs: &[(String, String)]) -> Result<(), String> {
        let mut resolved = Vec::new();
        for (name, value) in pairs {
            let Some(d) = find(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
                ));
            };
            if d.immutable {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config"
                ));
            }
            if resolved
                .iter()
                .any(|(dd, _): &(&Directive, String)| dd.name == d.name)
            {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter"
                ));
            }
            let words: Vec<String> = if d.multi_arg {
                match split_args(value.as_bytes()) {
                    Some(w) => w
                        .into_iter()
                        .map(|w| String::from_utf8_lossy(&w).into_owned())
                        .collect(),
                    None => {
                        return Err(format!(
                            "ERR CONFIG SET failed (possibly related to argument '{name}') - Unbalanced quotes"
                        ));
                    }
                }
            } else {
                vec![value.clone()]
            };
            let words = if words.is_empty() {
                vec![String::new()]
            } else {
                words
            };
            let v = canon(d, &words).map_err(|e| {
                format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {e}")
            })?;
            validate_special(d.name, &v).map_err(|e| {
                format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {e}")
            })?;
            let v = self.merged(d, v);
            resolved.push((d, v));
        }
        let old: Vec<(&'static str, String)> = {
            let vals = self.values.read();
            resolved
                .iter()
                .map(|(d, _)| (d.name, vals.get(d.name).cloned().unwrap_or_default()))
                .collect()
        };
        {
            let mut vals = self.values.write();
            for (d, v) in &resolved {
                vals.insert(d.name, v.clone());
            }
        }
        let hooks = self.hooks.lock().clone();
        for (i, (d, v)) in resolved.iter().enumerate() {
            if let Some(hs) = hooks.get(d.name) {
                for h in hs {
                    if let Err(e) = h(v) {
                        // Roll back everything applied so far.
                        let mut vals = self.values.write();
                        for (n, o) in &old {
                            vals.insert(n, o.clone());
                        }
                        drop(vals);
                        for (dd, _) in resolved.iter().take(i + 1) {
                            if let Some(hs2) = hooks.get(dd.name) {
                                let ov = &old.iter().find(|(n, _)| *n == dd.name).expect("old").1;
                                for h2 in hs2 {
                                    let _ = h2(ov);
                                }
                            }
                        }
                        return Err(format!(
                            "ERR CONFIG SET failed (possibly related to argument '{}') - {e}",
                            d.name
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// CONFIG REWRITE: writes the current non-default values to the configuration file, keeping
    /// comments and unknown lines of the original, as Redis does (roughly: matching directive
    /// lines are replaced in place, new ones appended).
    pub fn rewrite(&self) -> Result<(), String> {
        let Some(path) = &self.file else {
            return Err("ERR The server is running without a config file".into());
        };
        let orig = std::fs::read_to_string(path).unwrap_or_default();
        let vals = self.values.read().clone();
        let mut written = std::collections::HashSet::new();
        let mut out = String::new();
        for line in orig.lines() {
            let t = line.trim();
            let name = t
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if t.is_empty() || t.starts_with('#') || FILE_ONLY.contains(&name.as_str()) {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            match find(&name) {
                Some(d) => {
                    if written.insert(d.name) {
                        let v = vals.get(d.name).cloned().unwrap_or_default();
                        out.push_str(&render_line(d, &v));
                        out.push('\n');
                    }
                }
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        let mut header = false;
        for d in DIRECTIVES {
            if written.contains(d.name) {
                continue;
            }
            let v = vals.get(d.name).cloned().unwrap_or_default();
            if v != d.default {
                if !header {
                    out.push_str("# Generated by CONFIG REWRITE\n");
                    header = true;
                }
                out.push_str(&render_line(d, &v));
                out.push('\n');
            }
        }
        let tmp = format!("{path}.tmp-{}", std::process::id());
        std::fs::write(&tmp, out).map_err(|e| format!("ERR Rewriting config file: {e}"))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("ERR Rewriting config file: {e}"))?;
        Ok(())
    }
}

fn render_line(d: &Directive, v: &str) -> String {
    if d.multi_arg {
        if v.is_empty() {
            format!("{} \"\"", d.name)
        } else {
            format!("{} {}", d.name, v)
        }
    } else {
        format!("{} {}", d.name, quote_arg(v))
    }
}

/// Quotes an argument for a config line if it needs it.
pub fn quote_arg(a: &str) -> String {
    if !a.is_empty()
        && !a
            .bytes()
            .any(|c| c.is_ascii_whitespace() || c == b'"' || c == b'\'' || c == b'\\')
    {
        return a.to_string();
    }
    let mut s = String::from("\"");
    for c in a.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Validation for the free-form directives.
fn validate_special(name: &str, v: &str) -> Result<(), String> {
    match name {
        "save" => {
            let w: Vec<&str> = v.split_whitespace().collect();
            if !w.len().is_multiple_of(2) {
                return Err("Invalid save parameters".into());
            }
            for x in w {
                if x.parse::<u64>().is_err() {
                    return Err("Invalid save parameters".into());
                }
            }
            Ok(())
        }
        "notify-keyspace-events" => {
            if crate::server::notify::parse_flags(v).is_none() {
                return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into());
            }
            Ok(())
        }
        "client-output-buffer-limit" => parse_obuf_limits(v).map(|_| ()),
        "bind" => {
            if v.split_whitespace().count() == 0 {
                return Err("Too many bind addresses specified.".into());
            }
            Ok(())
        }
        "latency-tracking-info-percentiles" => {
            for x in v.split_whitespace() {
                match x.parse::<f64>() {
                    Ok(p) if (0.0..=100.0).contains(&p) => {}
                    _ => {
                        return Err(
                            "latency-tracking-info-percentiles must be between 0.0 and 100.0"
                                .into(),
                        );
                    }
                }
            }
            Ok(())
        }
        "shutdown-on-sigint" | "shutdown-on-sigterm" => {
            for x in v.split_whitespace() {
                if !["default", "save", "nosave", "now", "force"]
                    .contains(&x.to_ascii_lowercase().as_str())
                {
                    return Err("argument(s) must be one of the following: default, save, nosave, now, force".into());
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Limits for one client class: hard bytes, soft bytes, soft seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_secs: u64,
}

/// Parses `client-output-buffer-limit` text into (normal, replica, pubsub) limits; `v` may set
/// any subset of classes (the rest keep their defaults when combined by the caller).
pub fn parse_obuf_limits(v: &str) -> Result<Vec<(usize, ObufLimit)>, String> {
    let w: Vec<&str> = v.split_whitespace().collect();
    if !w.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut out = Vec::new();
    for c in w.chunks(4) {
        let class = match c[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into());
            }
        };
        let hard = parse_memory(c[1]);
        let soft = parse_memory(c[2]);
        let secs = c[3].parse::<i64>().ok();
        match (hard, soft, secs) {
            (Some(h), Some(s), Some(t)) if h >= 0 && s >= 0 && t >= 0 => out.push((
                class,
                ObufLimit {
                    hard: h as u64,
                    soft: s as u64,
                    soft_secs: t as u64,
                },
            )),
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                );
            }
        }
    }
    Ok(out)
}

/// Applies the classes named in `update` over `current` and renders all three classes the way
/// CONFIG GET prints them: `normal H S T slave H S T pubsub H S T`, sizes in bytes.
pub fn merge_obuf_limits(current: &str, update: &str) -> Result<String, String> {
    let mut all = [ObufLimit::default(); 3];
    for (class, l) in
        parse_obuf_limits("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")?
            .into_iter()
            .chain(parse_obuf_limits(current)?)
            .chain(parse_obuf_limits(update)?)
    {
        all[class] = l;
    }
    Ok(["normal", "slave", "pubsub"]
        .iter()
        .zip(all)
        .map(|(n, l)| format!("{n} {} {} {}", l.hard, l.soft, l.soft_secs))
        .collect::<Vec<_>>()
        .join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn command_line() {
        let c = Config::from_args(&args(&[
            "--port",
            "7000",
            "--save",
            "",
            "--appendonly",
            "no",
        ]))
        .unwrap();
        assert_eq!(c.get("port"), "7000");
        assert_eq!(c.get("save"), "");
        assert_eq!(c.get("appendonly"), "no");
        let e = Config::from_args(&args(&["--nosuch", "1"])).err().unwrap();
        assert!(e.to_string().contains("nosuch"), "{e}");
        let c = Config::from_args(&args(&["--save", "900", "1", "--save", "300", "10"])).unwrap();
        assert_eq!(c.get("save"), "900 1 300 10");
    }

    #[test]
    fn memory() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("1G"), Some(1_000_000_000));
        assert_eq!(parse_memory("10mb"), Some(10 << 20));
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("1x"), None);
    }

    #[test]
    fn set_and_get() {
        let c = Config::default();
        c.set_many(&[("maxmemory".into(), "10mb".into())]).unwrap();
        assert_eq!(c.get("maxmemory"), "10485760");
        assert!(c.set_many(&[("maxmemory".into(), "x".into())]).is_err());
        assert!(
            c.set_many(&[("databases".into(), "3".into())])
                .unwrap_err()
                .contains("immutable")
        );
        let got = c.get_matching(&[b"maxmemory-p*"]);
        assert_eq!(
            got,
            vec![("maxmemory-policy".to_string(), "noeviction".to_string())]
        );
        let got = c.get_matching(&[b"hash-max-ziplist-entries"]);
        assert_eq!(
            got,
            vec![("hash-max-ziplist-entries".to_string(), "512".to_string())]
        );
    }

    #[test]
    fn obuf_limits_merge_per_class() {
        let c = Config::default();
        c.set_many(&[(
            "client-output-buffer-limit".into(),
            "pubsub 1mb 512kb 10".into(),
        )])
        .unwrap();
        assert_eq!(
            c.get("client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10"
        );
        c.set_many(&[(
            "client-output-buffer-limit".into(),
            "normal 1k 2k 3 replica 5gb 1g 10".into(),
        )])
        .unwrap();
        assert_eq!(
            c.get("client-output-buffer-limit"),
            "normal 1000 2000 3 slave 5368709120 1000000000 10 pubsub 1048576 524288 10"
        );
        // An empty value changes nothing; a bad one changes nothing either.
        c.set_many(&[("client-output-buffer-limit".into(), "".into())])
            .unwrap();
        for bad in [
            "normal 1 2",
            "master 1 2 3",
            "normal -1 2 3",
            "normal 1 2 x",
        ] {
            assert!(
                c.set_many(&[("client-output-buffer-limit".into(), bad.into())])
                    .is_err()
            );
        }
        assert_eq!(
            c.get("client-output-buffer-limit"),
            "normal 1000 2000 3 slave 5368709120 1000000000 10 pubsub 1048576 524288 10"
        );
        // Start-up lines merge the same way.
        let c = Config::from_args(&args(&[
            "--client-output-buffer-limit",
            "pubsub",
            "1mb",
            "256kb",
            "60",
            "--client-output-buffer-limit",
            "normal 5 4 3",
        ]))
        .unwrap();
        assert_eq!(
            c.get("client-output-buffer-limit"),
            "normal 5 4 3 slave 268435456 67108864 60 pubsub 1048576 262144 60"
        );
    }
}
