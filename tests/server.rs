//! Server commands: DBSIZE FLUSHDB FLUSHALL CONFIG SLOWLOG DEBUG COMMAND.
//!
//! The tables were produced by running the same commands against Redis (tests/difftest/server.txt,
//! replayed with difftest against both servers), so every reply and error text is Redis's; the
//! few differences that are Redis 7.0 vs 7.2 changes carry the 7.2 reply. Replies that depend on
//! time or connection ids (`"*"` in the tables) are checked by hand below the tables.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

const DBSIZE_FLUSH: &[(&str, &str)] = &[
    ("DBSIZE", ":0"),
    ("MSET a 1 b 2 c 3", "+OK"),
    ("DBSIZE", ":3"),
    (
        "DBSIZE x",
        "-ERR wrong number of arguments for 'dbsize' command",
    ),
    ("SELECT 1", "+OK"),
    ("SET x 1", "+OK"),
    ("DBSIZE", ":1"),
    ("FLUSHDB", "+OK"),
    ("DBSIZE", ":0"),
    ("SET x 1", "+OK"),
    ("SELECT 0", "+OK"),
    ("FLUSHDB SYNC", "+OK"),
    ("DBSIZE", ":0"),
    ("SELECT 1", "+OK"),
    ("DBSIZE", ":1"),
    ("SELECT 0", "+OK"),
    ("MSET a 1 b 2", "+OK"),
    ("FLUSHDB ASYNC", "+OK"),
    ("DBSIZE", ":0"),
    ("FLUSHDB FOO", "-ERR syntax error"),
    ("FLUSHDB SYNC ASYNC", "-ERR syntax error"),
    ("FLUSHDB sync", "+OK"),
    ("SET a 1", "+OK"),
    ("SELECT 1", "+OK"),
    ("SET b 1", "+OK"),
    ("FLUSHALL", "+OK"),
    ("DBSIZE", ":0"),
    ("SELECT 0", "+OK"),
    ("DBSIZE", ":0"),
    ("FLUSHALL ASYNC", "+OK"),
    ("FLUSHALL SYNC", "+OK"),
    ("FLUSHALL async", "+OK"),
    ("FLUSHALL FOO", "-ERR syntax error"),
    ("FLUSHALL SYNC SYNC", "-ERR syntax error"),
];

#[test]
fn dbsize_flush() {
    let s = Server::start();
    check(&mut s.raw(), DBSIZE_FLUSH);
}

const TIME_LASTSAVE: &[(&str, &str)] = &[
    (
        "TIME x",
        "-ERR wrong number of arguments for 'time' command",
    ),
    (
        "LASTSAVE x",
        "-ERR wrong number of arguments for 'lastsave' command",
    ),
];

#[test]
fn time_lastsave() {
    let s = Server::start();
    check(&mut s.raw(), TIME_LASTSAVE);
}

const CONFIG: &[(&str, &str)] = &[
    ("~CONFIG GET maxmemory", r#"["0", "maxmemory"]"#),
    (
        "~CONFIG GET maxmemory-policy",
        r#"["maxmemory-policy", "noeviction"]"#,
    ),
    ("~CONFIG GET databases", r#"["16", "databases"]"#),
    ("~CONFIG GET appendonly", r#"["appendonly", "no"]"#),
    ("~CONFIG GET save", r#"["", "save"]"#),
    ("~CONFIG GET nosuchparam", "[]"),
    (
        "~CONFIG GET maxmemory nosuchparam maxmemory-policy",
        r#"["0", "maxmemory", "maxmemory-policy", "noeviction"]"#,
    ),
    (
        "~CONFIG GET proto-max-bulk-len",
        r#"["536870912", "proto-max-bulk-len"]"#,
    ),
    (
        "~CONFIG GET client-query-buffer-limit",
        r#"["1073741824", "client-query-buffer-limit"]"#,
    ),
    ("~CONFIG GET timeout", r#"["0", "timeout"]"#),
    ("~CONFIG GET tcp-keepalive", r#"["300", "tcp-keepalive"]"#),
    ("~CONFIG GET hz", r#"["10", "hz"]"#),
    (
        "~CONFIG GET notify-keyspace-events",
        r#"["", "notify-keyspace-events"]"#,
    ),
    (
        "~CONFIG GET slowlog-log-slower-than",
        r#"["10000", "slowlog-log-slower-than"]"#,
    ),
    (
        "~CONFIG GET slowlog-max-len",
        r#"["128", "slowlog-max-len"]"#,
    ),
    ("~CONFIG GET maxclients", r#"["10000", "maxclients"]"#),
    (
        "~CONFIG GET lazyfree-lazy-user-flush",
        r#"["lazyfree-lazy-user-flush", "no"]"#,
    ),
    (
        "~CONFIG GET maxmemory-samples",
        r#"["5", "maxmemory-samples"]"#,
    ),
    ("~CONFIG GET lfu-log-factor", r#"["10", "lfu-log-factor"]"#),
    ("~CONFIG GET lfu-decay-time", r#"["1", "lfu-decay-time"]"#),
    (
        "~CONFIG GET active-expire-effort",
        r#"["1", "active-expire-effort"]"#,
    ),
    ("~CONFIG GET appendfsync", r#"["appendfsync", "everysec"]"#),
    (
        "~CONFIG GET list-max-listpack-size",
        r#"["-2", "list-max-listpack-size"]"#,
    ),
    (
        "~CONFIG GET hash-max-listpack-entries",
        r#"["512", "hash-max-listpack-entries"]"#,
    ),
    (
        "~CONFIG GET set-max-intset-entries",
        r#"["512", "set-max-intset-entries"]"#,
    ),
    (
        "~CONFIG GET zset-max-listpack-entries",
        r#"["128", "zset-max-listpack-entries"]"#,
    ),
    (
        "~CONFIG GET stream-node-max-entries",
        r#"["100", "stream-node-max-entries"]"#,
    ),
    (
        "~CONFIG GET client-output-buffer-limit",
        r#"["client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"]"#,
    ),
    ("~CONFIG GET protected-mode", r#"["protected-mode", "yes"]"#),
    ("~CONFIG GET requirepass", r#"["", "requirepass"]"#),
    ("~CONFIG GET loglevel", r#"["loglevel", "notice"]"#),
    (
        "~CONFIG GET latency-monitor-threshold",
        r#"["0", "latency-monitor-threshold"]"#,
    ),
    (
        "~CONFIG GET busy-reply-threshold",
        r#"["5000", "busy-reply-threshold"]"#,
    ),
    (
        "~CONFIG GET lua-time-limit",
        r#"["5000", "lua-time-limit"]"#,
    ),
    (
        "~CONFIG GET maxmemory-p*",
        r#"["maxmemory-policy", "noeviction"]"#,
    ),
    (
        "~CONFIG GET *max-*-entries*",
        r#"["128", "128", "128", "512", "512", "512", "hash-max-listpack-entries", "hash-max-ziplist-entries", "set-max-intset-entries", "set-max-listpack-entries", "zset-max-listpack-entries", "zset-max-ziplist-entries"]"#,
    ),
    ("~CONFIG GET MAXMEMORY", r#"["0", "MAXMEMORY"]"#),
    (
        "CONFIG GET",
        "-ERR wrong number of arguments for 'config|get' command",
    ),
    ("CONFIG SET maxmemory 10mb", "+OK"),
    ("~CONFIG GET maxmemory", r#"["10485760", "maxmemory"]"#),
    ("CONFIG SET maxmemory 1gb", "+OK"),
    ("~CONFIG GET maxmemory", r#"["1073741824", "maxmemory"]"#),
    ("CONFIG SET maxmemory 0", "+OK"),
    (
        "CONFIG SET maxmemory abc",
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
    ),
    (
        "CONFIG SET maxmemory -1",
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
    ),
    ("CONFIG SET maxmemory-policy allkeys-lru", "+OK"),
    (
        "~CONFIG GET maxmemory-policy",
        r#"["allkeys-lru", "maxmemory-policy"]"#,
    ),
    (
        "CONFIG SET maxmemory-policy nosuch",
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
    ),
    ("CONFIG SET maxmemory-policy noeviction", "+OK"),
    (
        "CONFIG SET nosuchparam 1",
        "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparam'",
    ),
    ("CONFIG SET hz 100", "+OK"),
    ("CONFIG SET hz 0", "+OK"),
    ("~CONFIG GET hz", r#"["1", "hz"]"#),
    ("CONFIG SET hz 1000", "+OK"),
    ("~CONFIG GET hz", r#"["500", "hz"]"#),
    ("CONFIG SET hz 10", "+OK"),
    (
        "CONFIG SET timeout -1",
        "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive",
    ),
    ("CONFIG SET timeout 0", "+OK"),
    ("CONFIG SET notify-keyspace-events KEA", "+OK"),
    (
        "~CONFIG GET notify-keyspace-events",
        r#"["AKE", "notify-keyspace-events"]"#,
    ),
    ("CONFIG SET notify-keyspace-events Kx", "+OK"),
    (
        "~CONFIG GET notify-keyspace-events",
        r#"["notify-keyspace-events", "xK"]"#,
    ),
    (
        "CONFIG SET notify-keyspace-events Q",
        "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
    ),
    (r#"CONFIG SET notify-keyspace-events """#, "+OK"),
    (
        "CONFIG SET slowlog-log-slower-than 1000 slowlog-max-len 10",
        "+OK",
    ),
    (
        "~CONFIG GET slowlog-*",
        r#"["10", "1000", "slowlog-log-slower-than", "slowlog-max-len"]"#,
    ),
    (
        "CONFIG SET slowlog-max-len 10 slowlog-max-len 20",
        "-ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - duplicate parameter",
    ),
    (
        "CONFIG SET slowlog-max-len -1",
        "-ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument must be between 0 and 9223372036854775807 inclusive",
    ),
    (
        "CONFIG SET proto-max-bulk-len 1000",
        "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive",
    ),
    ("CONFIG SET proto-max-bulk-len 1mb", "+OK"),
    (
        "~CONFIG GET proto-max-bulk-len",
        r#"["1048576", "proto-max-bulk-len"]"#,
    ),
    ("CONFIG SET proto-max-bulk-len 512mb", "+OK"),
    (
        "CONFIG SET databases 32",
        "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
    ),
    (
        "CONFIG SET maxmemory 1mb maxmemory-policy nosuch",
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
    ),
    ("~CONFIG GET maxmemory", r#"["0", "maxmemory"]"#),
    ("CONFIG SET maxmemory 0", "+OK"),
    (r#"CONFIG SET save """#, "+OK"),
    (r#"CONFIG SET save "3600 1 300 100""#, "+OK"),
    ("~CONFIG GET save", r#"["3600 1 300 100", "save"]"#),
    (
        r#"CONFIG SET save "3600""#,
        "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
    ),
    (
        r#"CONFIG SET save "x 1""#,
        "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
    ),
    (r#"CONFIG SET save """#, "+OK"),
    (
        "CONFIG SET appendonly maybe",
        "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'",
    ),
    ("CONFIG SET lazyfree-lazy-user-flush yes", "+OK"),
    (
        "~CONFIG GET lazyfree-lazy-user-flush",
        r#"["lazyfree-lazy-user-flush", "yes"]"#,
    ),
    ("CONFIG SET lazyfree-lazy-user-flush no", "+OK"),
    (
        "CONFIG SET maxmemory",
        "-ERR wrong number of arguments for 'config|set' command",
    ),
    ("CONFIG SET maxmemory 1 hz", "-ERR syntax error"),
    (
        "CONFIG RESETSTAT x",
        "-ERR wrong number of arguments for 'config|resetstat' command",
    ),
    (
        "CONFIG REWRITE",
        "-ERR The server is running without a config file",
    ),
    (
        "CONFIG REWRITE x",
        "-ERR wrong number of arguments for 'config|rewrite' command",
    ),
    (
        "CONFIG FOO",
        "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.",
    ),
    (
        "CONFIG",
        "-ERR wrong number of arguments for 'config' command",
    ),
];

#[test]
fn config() {
    let s = Server::start();
    check(&mut s.raw(), CONFIG);
}

const SLOWLOG: &[(&str, &str)] = &[
    ("SLOWLOG RESET", "+OK"),
    ("SLOWLOG LEN", ":0"),
    ("SLOWLOG GET", "*"),
    ("SLOWLOG GET 0", "*"),
    ("SLOWLOG GET -1", "*"),
    (
        "SLOWLOG GET -2",
        "-ERR count should be greater than or equal to -1",
    ),
    (
        "SLOWLOG GET x",
        "-ERR count should be greater than or equal to -1",
    ),
    (
        "SLOWLOG GET 1 2",
        "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.",
    ),
    (
        "SLOWLOG LEN x",
        "-ERR wrong number of arguments for 'slowlog|len' command",
    ),
    (
        "SLOWLOG RESET x",
        "-ERR wrong number of arguments for 'slowlog|reset' command",
    ),
    (
        "SLOWLOG FOO",
        "-ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.",
    ),
    (
        "SLOWLOG",
        "-ERR wrong number of arguments for 'slowlog' command",
    ),
    ("CONFIG SET slowlog-log-slower-than 0", "+OK"),
    ("SET a 1", "+OK"),
    ("SLOWLOG LEN", ":2"),
    ("SLOWLOG GET 1", "*"),
    ("CONFIG SET slowlog-log-slower-than -1", "+OK"),
    ("SLOWLOG RESET", "+OK"),
    ("SET a 1", "+OK"),
    ("SLOWLOG LEN", ":0"),
    ("CONFIG SET slowlog-log-slower-than 10000", "+OK"),
];

#[test]
fn slowlog() {
    let s = Server::start();
    check(&mut s.raw(), SLOWLOG);
}

const DEBUG: &[(&str, &str)] = &[
    ("DEBUG SLEEP 0", "+OK"),
    ("DEBUG SLEEP 0.01", "+OK"),
    ("DEBUG SLEEP x", "+OK"),
    ("DEBUG SET-ACTIVE-EXPIRE 0", "+OK"),
    ("DEBUG SET-ACTIVE-EXPIRE 1", "+OK"),
    ("DEBUG SET-ACTIVE-EXPIRE x", "+OK"),
    ("DEBUG OBJECT nokey", "-ERR no such key"),
    (
        "DEBUG FOO",
        "-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.",
    ),
    (
        "DEBUG",
        "-ERR wrong number of arguments for 'debug' command",
    ),
    (
        "DEBUG SLEEP",
        "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.",
    ),
    ("DEBUG PROTOCOL string", r#""Hello World""#),
    ("DEBUG PROTOCOL integer", ":12345"),
    ("DEBUG PROTOCOL double", r#""3.141""#),
    ("DEBUG PROTOCOL null", "(nil)"),
    ("DEBUG PROTOCOL array", "[:0, :1, :2]"),
    ("DEBUG PROTOCOL map", "[:0, :0, :1, :1, :2, :0]"),
    ("DEBUG PROTOCOL set", "[:0, :1, :2]"),
    ("DEBUG PROTOCOL true", ":1"),
    ("DEBUG PROTOCOL false", ":0"),
    ("DEBUG PROTOCOL verbatim", r#""This is a verbatim\nstring""#),
    (
        "DEBUG PROTOCOL bignum",
        r#""1234567999999999999999999999999999999""#,
    ),
    (
        "DEBUG PROTOCOL attrib",
        r#""Some real reply following the attribute""#,
    ),
    (
        "DEBUG PROTOCOL foo",
        "-ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
    ),
];

#[test]
fn debug() {
    let s = Server::start();
    check(&mut s.raw(), DEBUG);
}

const COMMAND: &[(&str, &str)] = &[
    (
        "COMMAND INFO get set nosuchcmd",
        r#"[["get", :2, [+readonly, +fast], :1, :1, :1, [+@read, +@string, +@fast], [], [["flags", [+RO, +access], "begin_search", ["type", "index", "spec", ["index", :1]], "find_keys", ["type", "range", "spec", ["lastkey", :0, "keystep", :1, "limit", :0]]]], []], ["set", :-3, [+write, +denyoom], :1, :1, :1, [+@write, +@string, +@slow], [], [["notes", "RW and ACCESS due to the optional `GET` argument", "flags", [+RW, +access, +update, +variable_flags], "begin_search", ["type", "index", "spec", ["index", :1]], "find_keys", ["type", "range", "spec", ["lastkey", :0, "keystep", :1, "limit", :0]]]], []], (nil)]"#,
    ),
    (
        "COMMAND INFO GET",
        r#"[["get", :2, [+readonly, +fast], :1, :1, :1, [+@read, +@string, +@fast], [], [["flags", [+RO, +access], "begin_search", ["type", "index", "spec", ["index", :1]], "find_keys", ["type", "range", "spec", ["lastkey", :0, "keystep", :1, "limit", :0]]]], []]]"#,
    ),
    (
        "COMMAND INFO config|get",
        r#"[["config|get", :-3, [+admin, +noscript, +loading, +stale], :0, :0, :0, [+@admin, +@slow, +@dangerous], [], [], []]]"#,
    ),
    (
        "COMMAND INFO CONFIG|GET",
        r#"[["config|get", :-3, [+admin, +noscript, +loading, +stale], :0, :0, :0, [+@admin, +@slow, +@dangerous], [], [], []]]"#,
    ),
    ("COMMAND INFO config|nosuch", "[(nil)]"),
    ("COMMAND INFO get|foo", "[(nil)]"),
    ("COMMAND DOCS nosuchcmd", "[]"),
    ("COMMAND GETKEYS get a", r#"["a"]"#),
    ("COMMAND GETKEYS set a b", r#"["a"]"#),
    ("COMMAND GETKEYS mset a 1 b 2", r#"["a", "b"]"#),
    ("COMMAND GETKEYS mget a b c", r#"["a", "b", "c"]"#),
    ("COMMAND GETKEYS del a b", r#"["a", "b"]"#),
    ("COMMAND GETKEYS rename a b", r#"["a", "b"]"#),
    ("COMMAND GETKEYS bitop and d a b", r#"["d", "a", "b"]"#),
    ("COMMAND GETKEYS lcs a b", r#"["a", "b"]"#),
    ("COMMAND GETKEYS object encoding k", r#"["k"]"#),
    (
        "COMMAND GETKEYS ping",
        "-ERR The command has no key arguments",
    ),
    ("COMMAND GETKEYS nosuch a", "-ERR Invalid command specified"),
    (
        "COMMAND GETKEYS get",
        "-ERR Invalid number of arguments specified for command",
    ),
    (
        "COMMAND GETKEYS mset a",
        "-ERR Invalid number of arguments specified for command",
    ),
    (
        "COMMAND GETKEYS config get x",
        "-ERR The command has no key arguments",
    ),
    (
        "COMMAND GETKEYS",
        "-ERR wrong number of arguments for 'command|getkeys' command",
    ),
    (
        "COMMAND GETKEYS get a b",
        "-ERR Invalid number of arguments specified for command",
    ),
    (
        "COMMAND GETKEYSANDFLAGS get a",
        r#"[["a", [+RO, +access]]]"#,
    ),
    (
        "COMMAND GETKEYSANDFLAGS rename a b",
        r#"[["a", [+RW, +access, +delete]], ["b", [+OW, +update]]]"#,
    ),
    (
        "COMMAND GETKEYSANDFLAGS mset a 1 b 2",
        r#"[["a", [+OW, +update]], ["b", [+OW, +update]]]"#,
    ),
    (
        "COMMAND GETKEYSANDFLAGS ping",
        "-ERR The command has no key arguments",
    ),
    ("~COMMAND LIST FILTERBY PATTERN getr*", r#"["getrange"]"#),
    ("~COMMAND LIST FILTERBY PATTERN nomatch*", "[]"),
    ("~COMMAND LIST FILTERBY ACLCAT nosuchcat", "[]"),
    ("~COMMAND LIST FILTERBY MODULE nosuchmodule", "[]"),
    ("COMMAND LIST FILTERBY FOO x", "-ERR syntax error"),
    ("COMMAND LIST FOO", "-ERR syntax error"),
    ("COMMAND LIST FILTERBY", "-ERR syntax error"),
    (
        "COMMAND COUNT x",
        "-ERR wrong number of arguments for 'command|count' command",
    ),
    (
        "COMMAND FOO",
        "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.",
    ),
    (
        "COMMAND HELP x",
        "-ERR wrong number of arguments for 'command|help' command",
    ),
];

#[test]
fn command() {
    let s = Server::start();
    check(&mut s.raw(), COMMAND);
}

fn text(f: &Frame) -> String {
    String::from_utf8(f.as_bytes().to_vec()).unwrap()
}

#[test]
fn info_sections_and_fields() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("SET a 1");
    r.s("GET a");
    r.s("NOSUCHCOMMAND");
    r.s("INCR nokey");
    let info = text(&r.cmd(&["INFO"]));
    let headers: Vec<&str> = info.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headers,
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    assert!(info.contains("\r\nredis_version:7.2.4\r\n"), "{info}");
    assert!(info.contains(&format!("\r\ntcp_port:{}\r\n", s.port)));
    assert!(info.contains(&format!("\r\nprocess_id:{}\r\n", s.pid())));
    assert!(info.contains("\r\npilgrim_version:"));
    assert!(info.contains("\r\nconnected_clients:1\r\n"));
    assert!(info.contains("\r\nrole:master\r\n"));
    assert!(info.contains("\r\ncluster_enabled:0\r\n"));
    assert!(info.contains("\r\nerrorstat_ERR:count=1\r\n"), "{info}");
    assert!(info.contains("\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n"));
    assert!(!info.contains("cmdstat_"), "commandstats only on request");
    let all = text(&r.cmd(&["INFO", "everything"]));
    assert!(all.contains("# Commandstats\r\n"));
    assert!(all.contains("\r\ncmdstat_set:calls=1,usec="), "{all}");
    assert!(all.contains("\r\ncmdstat_get:calls=1,"));
    // An unknown command is not a command call; INCR of a missing key is a success.
    assert!(
        all.contains("\r\ncmdstat_incr:calls=1,")
            && all.contains("rejected_calls=0,failed_calls=0")
    );
    let two = text(&r.cmd(&["INFO", "server", "keyspace"]));
    let headers: Vec<&str> = two.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(headers, ["# Server", "# Keyspace"]);
    assert_eq!(r.s("INFO nosuchsection"), "\"\"");
    let stats = text(&r.cmd(&["INFO", "STATS"]));
    assert!(
        stats.starts_with("# Stats\r\n"),
        "sections are case-insensitive"
    );
    // RESP3 answers INFO with a verbatim string.
    r.s("HELLO 3");
    let v = r.cmd(&["INFO", "server"]);
    assert!(
        matches!(&v, Frame::Verbatim(fmt, body) if fmt == "txt" && body.starts_with(b"# Server\r\n")),
        "{v}"
    );
}

#[test]
fn config_resetstat_clears_the_statistics() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("SET a 1");
    r.s("GET nokey");
    r.s("INCR a b");
    assert_eq!(info_field(&mut r, "stats", "keyspace_misses"), "1");
    assert_eq!(info_field(&mut r, "errorstats", "errorstat_ERR"), "count=1");
    assert_eq!(r.s("CONFIG RESETSTAT"), "+OK");
    let after = text(&r.cmd(&["INFO", "everything"]));
    assert!(after.contains("\r\nkeyspace_misses:0\r\n"), "{after}");
    assert!(after.contains("\r\ntotal_error_replies:0\r\n"));
    assert!(!after.contains("errorstat_ERR"));
    assert!(!after.contains("cmdstat_set"));
    // The INFO call itself is counted after the reset.
    assert!(
        after.contains("\r\ncmdstat_config|resetstat:calls=1,")
            || after.contains("\r\ncmdstat_info:calls=")
    );
}

#[test]
fn time_and_lastsave() {
    let s = Server::start();
    let mut r = s.raw();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t = r.cmd(&["TIME"]);
    let secs: i64 = text(&t.items()[0]).parse().unwrap();
    let micros: i64 = text(&t.items()[1]).parse().unwrap();
    assert!((secs - now).abs() <= 5, "{secs} vs {now}");
    assert!((0..1_000_000).contains(&micros));
    let lastsave = r.cmd(&["LASTSAVE"]).as_int();
    assert!(
        (lastsave - now).abs() <= 60,
        "LASTSAVE starts at the start-up time: {lastsave}"
    );
}

#[test]
fn slowlog_entries() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("CLIENT SETNAME slowpoke");
    assert_eq!(r.s("CONFIG SET slowlog-log-slower-than 0"), "+OK");
    assert_eq!(r.s("SLOWLOG RESET"), "+OK");
    r.s("SET a 1");
    let long = "x".repeat(200);
    let mut many = vec!["MSET".to_string()];
    for i in 0..20 {
        many.push(format!("k{i}"));
        many.push(i.to_string());
    }
    r.q(&many);
    r.q(&["SET", "b", &long]);
    // SLOWLOG RESET itself is logged after it empties the log, then SET, MSET, SET.
    assert_eq!(r.s("SLOWLOG LEN"), ":4");
    let entries = r.cmd(&["SLOWLOG", "GET", "3"]);
    let e = entries.items();
    assert_eq!(e.len(), 3);
    // Newest first (SLOWLOG LEN itself): [id, timestamp, duration, args, client addr, name].
    assert_eq!(e[0].items()[3].to_string(), r#"["SLOWLOG", "LEN"]"#);
    let e = &e[1..];
    let newest = e[0].items();
    assert_eq!(newest.len(), 6);
    assert!(newest[0].as_int() > e[1].items()[0].as_int());
    assert!(newest[2].as_int() >= 0);
    assert_eq!(
        newest[3].to_string(),
        format!(r#"["SET", "b", "{}... (72 more bytes)"]"#, "x".repeat(128))
    );
    assert!(text(&newest[4]).starts_with("127.0.0.1:"));
    assert_eq!(text(&newest[5]), "slowpoke");
    // More than 32 arguments: 31 are kept and the last says how many were left out.
    let mset = e[1].items()[3].items();
    assert_eq!(mset.len(), 32);
    assert_eq!(text(&mset[31]), "... (10 more arguments)");
    assert_eq!(r.s("CONFIG SET slowlog-max-len 2"), "+OK");
    r.s("PING");
    assert_eq!(r.s("SLOWLOG LEN"), ":2");
    assert_eq!(r.s("CONFIG SET slowlog-log-slower-than -1"), "+OK");
    r.s("SLOWLOG RESET");
    r.s("PING");
    assert_eq!(r.s("SLOWLOG LEN"), ":0");
    assert_eq!(r.s("SLOWLOG GET"), "[]");
}

#[test]
fn monitor_streams_commands() {
    let s = Server::start();
    let mut m = s.raw();
    let mut r = s.raw();
    assert_eq!(m.s("MONITOR"), "+OK");
    r.s("SELECT 2");
    r.q(&["SET", "k", "a \"quoted\"\nvalue"]);
    // The database shown is the one after the command ran, as in Redis.
    let line = m.read().to_string();
    assert!(
        line.starts_with('+') && line.contains(" [2 127.0.0.1:"),
        "{line}"
    );
    assert!(line.ends_with(r#"] "SELECT" "2""#), "{line}");
    let line = m.read().to_string();
    assert!(line.contains(" [2 127.0.0.1:"), "{line}");
    assert!(
        line.ends_with(r#"] "SET" "k" "a \"quoted\"\nvalue""#),
        "{line}"
    );
    // MONITOR inside MULTI is refused.
    let mut t = s.raw();
    t.s("MULTI");
    assert_eq!(t.s("MONITOR"), "+QUEUED");
}

#[test]
fn debug_object_sleep_and_help() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("SET k hello");
    let obj = r.s("DEBUG OBJECT k");
    assert!(obj.starts_with("+Value at:0x"), "{obj}");
    assert!(
        obj.contains(" refcount:1 encoding:embstr serializedlength:"),
        "{obj}"
    );
    assert!(
        obj.contains(" lru:") && obj.contains(" lru_seconds_idle:0"),
        "{obj}"
    );
    assert_eq!(r.s("DEBUG OBJECT nokey"), "-ERR no such key");
    assert_eq!(r.s("DEBUG SLEEP 0.05"), "+OK");
    let help = r.cmd(&["DEBUG", "HELP"]);
    assert_eq!(
        help.items()[0].to_string(),
        "+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    // DEBUG is refused unless enabled (Redis's default).
    let off = Server::start_with(&["--enable-debug-command", "no"]);
    assert_eq!(
        off.raw().s("DEBUG SLEEP 0"),
        "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
    );
}

#[test]
fn command_introspection() {
    let s = Server::start();
    let mut r = s.raw();
    let count = r.cmd(&["COMMAND", "COUNT"]).as_int();
    let all = r.cmd(&["COMMAND"]);
    assert_eq!(all.items().len() as i64, count);
    // COMMAND LIST names subcommands too ("config|get"); COMMAND COUNT only counts commands.
    let with_subs: usize = all
        .items()
        .iter()
        .map(|c| 1 + c.items()[9].items().len())
        .sum();
    let list = r.cmd(&["COMMAND", "LIST"]);
    assert_eq!(list.items().len(), with_subs);
    assert!(list.items().iter().any(|n| n.as_bytes() == b"config|get"));
    assert_eq!(
        render_sorted(&r.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "bitmap"])),
        r#"["bitcount", "bitfield", "bitfield_ro", "bitop", "bitpos", "getbit", "setbit"]"#
    );
    assert_eq!(
        render_sorted(&r.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "client|*name"])),
        r#"["client|getname", "client|setname"]"#
    );
    // COMMAND INFO with no names describes every command.
    assert_eq!(r.cmd(&["COMMAND", "INFO"]).items().len() as i64, count);
    let docs = r.s("COMMAND DOCS get");
    assert_eq!(
        docs,
        r#"["get", ["summary", "Returns the string value of a key.", "since", "1.0.0", "group", "string", "complexity", "O(1)", "arguments", [["name", "key", "type", "key", "key_spec_index", :0]]]]"#
    );
    r.s("HELLO 3");
    let docs = r.s("COMMAND DOCS get");
    assert!(
        docs.starts_with(r#"{"get": {"summary": "Returns the string value of a key.""#),
        "{docs}"
    );
    // PING, ECHO, APPEND and MOVE carry Redis 7.2's flags and key specs.
    r.s("HELLO 2");
    check(
        &mut r,
        &[
            (
                "COMMAND INFO ping",
                r#"[["ping", :-1, [+fast], :0, :0, :0, [+@fast, +@connection], ["request_policy:all_shards", "response_policy:all_succeeded"], [], []]]"#,
            ),
            (
                "COMMAND INFO echo",
                r#"[["echo", :2, [+loading, +stale, +fast], :0, :0, :0, [+@fast, +@connection], [], [], []]]"#,
            ),
            (
                "COMMAND INFO append",
                r#"[["append", :3, [+write, +denyoom, +fast], :1, :1, :1, [+@write, +@string, +@fast], [], [["flags", [+RW, +insert], "begin_search", ["type", "index", "spec", ["index", :1]], "find_keys", ["type", "range", "spec", ["lastkey", :0, "keystep", :1, "limit", :0]]]], []]]"#,
            ),
            (
                "COMMAND INFO move",
                r#"[["move", :3, [+write, +fast], :1, :1, :1, [+@keyspace, +@write, +@fast], [], [["flags", [+RW, +access, +update], "begin_search", ["type", "index", "spec", ["index", :1]], "find_keys", ["type", "range", "spec", ["lastkey", :0, "keystep", :1, "limit", :0]]]], []]]"#,
            ),
        ],
    );
}

#[test]
fn flushall_and_flushdb_touch_watchers_and_every_db() {
    let s = Server::start();
    let mut r = s.raw();
    let mut w = s.raw();
    r.s("SET a 1");
    r.s("SELECT 9");
    r.s("SET b 1");
    w.s("WATCH a");
    w.s("MULTI");
    w.s("SET a 2");
    assert_eq!(r.s("FLUSHALL ASYNC"), "+OK");
    assert_eq!(w.s("EXEC"), "(nil-array)");
    assert_eq!(r.s("DBSIZE"), ":0");
    r.s("SELECT 0");
    assert_eq!(r.s("DBSIZE"), ":0");
    // Empty databases have no line.
    assert_eq!(r.s("INFO keyspace"), r##""# Keyspace\r\n""##);
}

#[test]
fn command_info_resp3_shapes() {
    let s = Server::start();
    let mut r = s.raw();
    r.s("HELLO 3");
    // Flags, categories, tips and key specs are sets; an empty subcommand list too.
    assert_eq!(
        r.s("COMMAND INFO get"),
        r#"[["get", :2, ~[+readonly, +fast], :1, :1, :1, ~[+@read, +@string, +@fast], ~[], ~[{"flags": ~[+RO, +access], "begin_search": {"type": "index", "spec": {"index": :1}}, "find_keys": {"type": "range", "spec": {"lastkey": :0, "keystep": :1, "limit": :0}}}], ~[]]]"#
    );
    assert_eq!(
        r.s("COMMAND INFO config|get"),
        r#"[["config|get", :-3, ~[+admin, +noscript, +loading, +stale], :0, :0, :0, ~[+@admin, +@slow, +@dangerous], ~[], ~[], ~[]]]"#
    );
    let config = r.s("COMMAND INFO config");
    assert!(
        config.ends_with("]]]]"),
        "subcommands are an array: {config}"
    );
    assert_eq!(r.s("COMMAND INFO nosuch"), "[(nil)]");
}

/// A rejected EXEC (here: wrong arity) discards the transaction with EXECABORT, even outside
/// MULTI; APPEND creating a key stores the value as SET would (shared integer, embstr).
const REJECTED_EXEC_AND_APPEND_ENCODING: &[(&str, &str)] = &[
    (
        "EXEC -1",
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
    ),
    ("EXEC", "-ERR EXEC without MULTI"),
    ("MULTI", "+OK"),
    ("SET a 1", "+QUEUED"),
    (
        "EXEC x",
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
    ),
    ("DISCARD", "-ERR DISCARD without MULTI"),
    ("GET a", "(nil)"),
    ("WATCH a", "+OK"),
    ("MULTI", "+OK"),
    (
        "EXEC x",
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
    ),
    ("EXEC", "-ERR EXEC without MULTI"),
    ("MULTI", "+OK"),
    (
        "INCR a b",
        "-ERR wrong number of arguments for 'incr' command",
    ),
    (
        "EXEC",
        "-EXECABORT Transaction discarded because of previous errors.",
    ),
    ("APPEND n 3", ":1"),
    ("OBJECT ENCODING n", r#""int""#),
    ("OBJECT REFCOUNT n", ":2147483647"),
    ("APPEND s hello", ":5"),
    ("OBJECT ENCODING s", r#""embstr""#),
];

#[test]
fn rejected_exec_and_append_encoding() {
    let s = Server::start();
    check(&mut s.raw(), REJECTED_EXEC_AND_APPEND_ENCODING);
}
