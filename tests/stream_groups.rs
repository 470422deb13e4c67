//! Consumer groups: XGROUP, XREADGROUP, XACK, XACKDEL, XPENDING, XCLAIM, XAUTOCLAIM, XINFO
//! GROUPS / CONSUMERS / STREAM FULL, the KEEPREF / DELREF / ACKED options, blocking
//! XREADGROUP (arrival order, no double delivery, deleted streams and destroyed groups), and a
//! crash-recovery run of four consumers over 100,000 entries. Expected replies are Redis 7.2's
//! (8.2's for XACKDEL and the deletion policies).
mod common;
use common::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Polls INFO until `n` clients are blocked (generous timeout, no fixed sleeps).
fn wait_blocked(r: &mut Raw, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = r.cmd(&["INFO", "clients"]);
        let text = String::from_utf8_lossy(info.as_bytes()).into_owned();
        let blocked: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("blocked_clients:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("blocked_clients in INFO");
        if blocked == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected {n} blocked clients, have {blocked}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// An extended XPENDING reply with the idle times (third element of each entry) shown as `_`.
fn pending(r: &mut Raw, line: &str) -> String {
    let args: Vec<&str> = line.split(' ').collect();
    match r.cmd(&args) {
        Frame::Array(entries) => Frame::Array(
            entries
                .into_iter()
                .map(|e| {
                    let mut items = e.items().to_vec();
                    items[2] = Frame::Int(0);
                    Frame::Array(items)
                })
                .collect(),
        )
        .to_string()
        .replace(", :0, :", ", :_, :"),
        other => other.to_string(),
    }
}

/// Replaces the non-negative values of the named time fields (`"idle", :12` or `"idle": :12`)
/// with `_` and every Unix time in ms (13+ digits) with `T`.
fn mask(text: &str, keys: &[&str]) -> String {
    let mut out = text.to_string();
    for key in keys {
        for sep in [", :", ": :"] {
            let pat = format!("\"{key}\"{sep}");
            let mut result = String::new();
            let mut rest = out.as_str();
            while let Some(pos) = rest.find(&pat) {
                result.push_str(&rest[..pos + pat.len()]);
                rest = &rest[pos + pat.len()..];
                // Negative values (-1: never) are kept.
                let end = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                if end > 0 {
                    result.push('_');
                    rest = &rest[end..];
                }
            }
            result.push_str(rest);
            out = result;
        }
    }
    let mut result = String::new();
    let mut digits = String::new();
    for c in out.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() >= 13 && result.ends_with(':') {
            result.push('T');
        } else {
            result.push_str(&digits);
        }
        digits.clear();
        result.push(c);
    }
    result.pop();
    result
}

#[test]
fn xgroup_subcommands_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.s("XGROUP CREATE s g $"),
        "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
    );
    assert_eq!(r.s("XGROUP CREATE s g $ MKSTREAM"), "+OK");
    assert_eq!(r.s("XLEN s"), ":0");
    assert_eq!(
        r.s("XGROUP CREATE s g $"),
        "-BUSYGROUP Consumer Group name already exists"
    );
    assert_eq!(
        r.s("XGROUP CREATE s g2 0 FOO"),
        "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
    );
    assert_eq!(
        r.s("XGROUP CREATE s g2 0 ENTRIESREAD"),
        "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
    );
    assert_eq!(
        r.s("XGROUP CREATE s g2 0 ENTRIESREAD -2"),
        "-ERR value for ENTRIESREAD must be positive or -1"
    );
    assert_eq!(
        r.s("XGROUP CREATE s g2 0 ENTRIESREAD abc"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("XGROUP CREATE s g2 bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XGROUP CREATE s g2 -"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XGROUP CREATE s g2 +"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XGROUP CREATE s g2 1-1 MKSTREAM MKSTREAM ENTRIESREAD 1 MKSTREAM"),
        "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
    );
    assert_eq!(
        r.s("XGROUP CREATE nokey g 0"),
        "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
    );
    assert_eq!(
        r.s("XGROUP CREATE nokey g bad MKSTREAM"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(r.s("EXISTS nokey"), ":0");
    assert_eq!(r.s("XGROUP CREATE s g3 0 ENTRIESREAD -1"), "+OK");
    assert_eq!(r.s("XGROUP CREATE s g4 5 mkstream entriesread 0"), "+OK");
    assert_eq!(
        r.s("XGROUP CREATE s g5"),
        "-ERR wrong number of arguments for 'xgroup|create' command"
    );
    assert_eq!(r.s("XGROUP SETID s g 1-1"), "+OK");
    assert_eq!(r.s("XGROUP SETID s g -"), "+OK");
    assert_eq!(r.s("XGROUP SETID s g +"), "+OK");
    assert_eq!(r.s("XGROUP SETID s g 7"), "+OK");
    assert_eq!(r.s("XGROUP SETID s g $ ENTRIESREAD 0"), "+OK");
    assert_eq!(
        r.s("XGROUP SETID s g bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XGROUP SETID s nog 0"),
        "-NOGROUP No such consumer group 'nog' for key name 's'"
    );
    assert_eq!(
        r.s("XGROUP SETID nokey g 0"),
        "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
    );
    assert_eq!(
        r.s("XGROUP SETID s g 0 MKSTREAM"),
        "-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP."
    );
    assert_eq!(
        r.s("XGROUP SETID s g 0 ENTRIESREAD 1 ENTRIESREAD 2"),
        "-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP."
    );
    assert_eq!(
        r.s("XGROUP SETID s g 0 ENTRIESREAD -5"),
        "-ERR value for ENTRIESREAD must be positive or -1"
    );
    assert_eq!(r.s("XGROUP CREATECONSUMER s g alice"), ":1");
    assert_eq!(r.s("XGROUP CREATECONSUMER s g alice"), ":0");
    assert_eq!(
        r.s("XGROUP CREATECONSUMER s nog alice"),
        "-NOGROUP No such consumer group 'nog' for key name 's'"
    );
    assert_eq!(
        r.s("XGROUP CREATECONSUMER nokey g alice"),
        "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
    );
    assert_eq!(
        r.s("XGROUP CREATECONSUMER s g"),
        "-ERR wrong number of arguments for 'xgroup|createconsumer' command"
    );
    assert_eq!(r.s("XGROUP DELCONSUMER s g alice"), ":0");
    assert_eq!(r.s("XGROUP DELCONSUMER s g alice"), ":0");
    assert_eq!(
        r.s("XGROUP DELCONSUMER s nog alice"),
        "-NOGROUP No such consumer group 'nog' for key name 's'"
    );
    assert_eq!(r.s("XGROUP DESTROY s g"), ":1");
    assert_eq!(r.s("XGROUP DESTROY s g"), ":0");
    assert_eq!(
        r.s("XGROUP DESTROY nokey g"),
        "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
    );
    assert_eq!(
        r.s("XGROUP DESTROY s"),
        "-ERR wrong number of arguments for 'xgroup|destroy' command"
    );
    assert_eq!(
        r.s("XINFO GROUPS s"),
        "[[\"name\", \"g3\", \"consumers\", :0, \"pending\", :0, \"last-delivered-id\", \"0-0\", \"entries-read\", (nil), \"lag\", :0], [\"name\", \"g4\", \"consumers\", :0, \"pending\", :0, \"last-delivered-id\", \"5-0\", \"entries-read\", :0, \"lag\", :0]]"
    );
    assert_eq!(
        r.s("XGROUP FOO"),
        "-ERR unknown subcommand 'FOO'. Try XGROUP HELP."
    );
    assert_eq!(
        r.s("XGROUP FOO s g"),
        "-ERR unknown subcommand 'FOO'. Try XGROUP HELP."
    );
    assert_eq!(
        r.s("XGROUP"),
        "-ERR wrong number of arguments for 'xgroup' command"
    );
    assert_eq!(
        r.s("XGROUP HELP"),
        "[+XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +CREATE <key> <groupname> <id|$> [option], +    Create a new consumer group. Options are:, +    * MKSTREAM, +      Create the empty stream if it does not exist., +    * ENTRIESREAD entries_read, +      Set the group's entries_read counter (internal use)., +CREATECONSUMER <key> <groupname> <consumer>, +    Create a new consumer in the specified group., +DELCONSUMER <key> <groupname> <consumer>, +    Remove the specified consumer., +DESTROY <key> <groupname>, +    Remove the specified group., +SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read], +    Set the current group ID and entries_read counter., +HELP, +    Prints this help.]"
    );
    assert_eq!(
        r.s("XGROUP HELP x"),
        "-ERR wrong number of arguments for 'xgroup|help' command"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XGROUP CREATE str g $ MKSTREAM"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XGROUP SETID str g $"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XGROUP DESTROY str g"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xreadgroup_new_and_history_resp2() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XADD s 1-1 a 1"), "\"1-1\"");
    assert_eq!(r.s("XADD s 1-2 b 2"), "\"1-2\"");
    assert_eq!(r.s("XADD s 1-3 c 3"), "\"1-3\"");
    assert_eq!(r.s("XGROUP CREATE s g 0"), "+OK");
    // > delivers entries never delivered to the group, COUNT applies.
    assert_eq!(
        r.s("XREADGROUP GROUP g alice COUNT 2 STREAMS s >"),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]]]]]"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g bob STREAMS s >"),
        "[[\"s\", [[\"1-3\", [\"c\", \"3\"]]]]]"
    );
    assert_eq!(r.s("XREADGROUP GROUP g bob STREAMS s >"), "(nil-array)");
    // A history ID reads the consumer's own pending entries after it.
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s 0"),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]]]]]"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s 1-1"),
        "[[\"s\", [[\"1-2\", [\"b\", \"2\"]]]]]"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice COUNT 1 STREAMS s 0-0"),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]]]]]"
    );
    assert_eq!(r.s("XREADGROUP GROUP g carol STREAMS s 0"), "[[\"s\", []]]");
    // Deleted entries still pending are reported with a null body.
    assert_eq!(r.s("XDEL s 1-1"), ":1");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s 0"),
        "[[\"s\", [[\"1-1\", (nil-array)], [\"1-2\", [\"b\", \"2\"]]]]]"
    );
    assert_eq!(
        r.s("XPENDING s g"),
        "[:3, \"1-1\", \"1-3\", [[\"alice\", \"2\"], [\"bob\", \"1\"]]]"
    );
    assert_eq!(
        pending(&mut r, "XPENDING s g - + 10 alice"),
        "[[\"1-1\", \"alice\", :_, :3], [\"1-2\", \"alice\", :_, :4]]"
    );
    // NOACK: delivered, not pending.
    assert_eq!(r.s("XADD s 2-1 d 4"), "\"2-1\"");
    assert_eq!(
        r.s("XREADGROUP GROUP g dave NOACK STREAMS s >"),
        "[[\"s\", [[\"2-1\", [\"d\", \"4\"]]]]]"
    );
    assert_eq!(
        r.s("XPENDING s g"),
        "[:3, \"1-1\", \"1-3\", [[\"alice\", \"2\"], [\"bob\", \"1\"]]]"
    );
    // Several streams; one has nothing new.
    assert_eq!(r.s("XADD t 5-5 e 5"), "\"5-5\"");
    assert_eq!(r.s("XGROUP CREATE t g 0"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s t > >"),
        "[[\"t\", [[\"5-5\", [\"e\", \"5\"]]]]]"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s t > >"),
        "(nil-array)"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s t 0 >"),
        "[[\"s\", [[\"1-1\", (nil-array)], [\"1-2\", [\"b\", \"2\"]]]]]"
    );
    // BLOCK with a history ID never blocks.
    assert_eq!(
        r.s("XREADGROUP GROUP g zed BLOCK 0 STREAMS s 0"),
        "[[\"s\", []]]"
    );
    // Errors.
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s $"),
        "-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s +"),
        "-ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set."
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP nog alice STREAMS s >"),
        "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS nokey >"),
        "-NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s t >"),
        "-ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified."
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s"),
        "-ERR wrong number of arguments for 'xreadgroup' command"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g STREAMS s >"),
        "-ERR wrong number of arguments for 'xreadgroup' command"
    );
    assert_eq!(
        r.s("XREADGROUP COUNT 1 STREAMS s > s >"),
        "-ERR Missing GROUP option for XREADGROUP"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice COUNT abc STREAMS s >"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice FOO STREAMS s >"),
        "-ERR syntax error"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP nog alice STREAMS s bad"),
        "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s nokey > bad"),
        "-NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS str >"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s str > >"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xreadgroup_new_and_history_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    assert!(r.s("HELLO 3").starts_with('{'));
    assert_eq!(r.s("XADD s 1-1 a 1"), "\"1-1\"");
    assert_eq!(r.s("XADD s 1-2 b 2"), "\"1-2\"");
    assert_eq!(r.s("XADD s 1-3 c 3"), "\"1-3\"");
    assert_eq!(r.s("XGROUP CREATE s g 0"), "+OK");
    // > delivers entries never delivered to the group, COUNT applies.
    assert_eq!(
        r.s("XREADGROUP GROUP g alice COUNT 2 STREAMS s >"),
        "{\"s\": [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]]]}"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g bob STREAMS s >"),
        "{\"s\": [[\"1-3\", [\"c\", \"3\"]]]}"
    );
    assert_eq!(r.s("XREADGROUP GROUP g bob STREAMS s >"), "(nil)");
    // A history ID reads the consumer's own pending entries after it.
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s 0"),
        "{\"s\": [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]]]}"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s 1-1"),
        "{\"s\": [[\"1-2\", [\"b\", \"2\"]]]}"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice COUNT 1 STREAMS s 0-0"),
        "{\"s\": [[\"1-1\", [\"a\", \"1\"]]]}"
    );
    assert_eq!(r.s("XREADGROUP GROUP g carol STREAMS s 0"), "{\"s\": []}");
    // Deleted entries still pending are reported with a null body.
    assert_eq!(r.s("XDEL s 1-1"), ":1");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s 0"),
        "{\"s\": [[\"1-1\", (nil)], [\"1-2\", [\"b\", \"2\"]]]}"
    );
    assert_eq!(
        r.s("XPENDING s g"),
        "[:3, \"1-1\", \"1-3\", [[\"alice\", \"2\"], [\"bob\", \"1\"]]]"
    );
    assert_eq!(
        pending(&mut r, "XPENDING s g - + 10 alice"),
        "[[\"1-1\", \"alice\", :_, :3], [\"1-2\", \"alice\", :_, :4]]"
    );
    // NOACK: delivered, not pending.
    assert_eq!(r.s("XADD s 2-1 d 4"), "\"2-1\"");
    assert_eq!(
        r.s("XREADGROUP GROUP g dave NOACK STREAMS s >"),
        "{\"s\": [[\"2-1\", [\"d\", \"4\"]]]}"
    );
    assert_eq!(
        r.s("XPENDING s g"),
        "[:3, \"1-1\", \"1-3\", [[\"alice\", \"2\"], [\"bob\", \"1\"]]]"
    );
    // Several streams; one has nothing new.
    assert_eq!(r.s("XADD t 5-5 e 5"), "\"5-5\"");
    assert_eq!(r.s("XGROUP CREATE t g 0"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s t > >"),
        "{\"t\": [[\"5-5\", [\"e\", \"5\"]]]}"
    );
    assert_eq!(r.s("XREADGROUP GROUP g alice STREAMS s t > >"), "(nil)");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s t 0 >"),
        "{\"s\": [[\"1-1\", (nil)], [\"1-2\", [\"b\", \"2\"]]]}"
    );
    // BLOCK with a history ID never blocks.
    assert_eq!(
        r.s("XREADGROUP GROUP g zed BLOCK 0 STREAMS s 0"),
        "{\"s\": []}"
    );
    // Errors.
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s $"),
        "-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s +"),
        "-ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set."
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP nog alice STREAMS s >"),
        "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS nokey >"),
        "-NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s t >"),
        "-ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified."
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s"),
        "-ERR wrong number of arguments for 'xreadgroup' command"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g STREAMS s >"),
        "-ERR wrong number of arguments for 'xreadgroup' command"
    );
    assert_eq!(
        r.s("XREADGROUP COUNT 1 STREAMS s > s >"),
        "-ERR Missing GROUP option for XREADGROUP"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice COUNT abc STREAMS s >"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice FOO STREAMS s >"),
        "-ERR syntax error"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP nog alice STREAMS s bad"),
        "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s nokey > bad"),
        "-NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS str >"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s str > >"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xpending_xclaim_xack() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XADD s 1-1 a 1"), "\"1-1\"");
    assert_eq!(r.s("XADD s 1-2 b 2"), "\"1-2\"");
    assert_eq!(r.s("XADD s 1-3 c 3"), "\"1-3\"");
    assert_eq!(r.s("XADD s 1-4 d 4"), "\"1-4\"");
    assert_eq!(r.s("XGROUP CREATE s g 0"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice COUNT 3 STREAMS s >"),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]], [\"1-3\", [\"c\", \"3\"]]]]]"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g bob STREAMS s >"),
        "[[\"s\", [[\"1-4\", [\"d\", \"4\"]]]]]"
    );
    assert_eq!(
        r.s("XPENDING s g"),
        "[:4, \"1-1\", \"1-4\", [[\"alice\", \"3\"], [\"bob\", \"1\"]]]"
    );
    assert_eq!(r.s("XPENDING s g - + 0"), "[]");
    assert_eq!(r.s("XPENDING s g - + -1"), "[]");
    assert_eq!(
        pending(&mut r, "XPENDING s g (1-1 (1-4 10"),
        "[[\"1-2\", \"alice\", :_, :1], [\"1-3\", \"alice\", :_, :1]]"
    );
    assert_eq!(
        pending(&mut r, "XPENDING s g - + 2"),
        "[[\"1-1\", \"alice\", :_, :1], [\"1-2\", \"alice\", :_, :1]]"
    );
    assert_eq!(r.s("XPENDING s g IDLE 3600000 - + 10"), "[]");
    assert_eq!(r.s("XPENDING s g - + 10 nobody"), "[]");
    assert_eq!(r.s("XPENDING s g - +"), "-ERR syntax error");
    assert_eq!(
        pending(&mut r, "XPENDING s g - + 10 bob extra"),
        "[[\"1-4\", \"bob\", :_, :1]]"
    );
    assert_eq!(r.s("XPENDING s g IDLE 0 - +"), "-ERR syntax error");
    assert_eq!(
        r.s("XPENDING s g IDLE abc - + 10"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("XPENDING s g - + abc"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        r.s("XPENDING s g bad + 10"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XPENDING s g - bad 10"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XPENDING s g (18446744073709551615-18446744073709551615 + 10"),
        "-ERR invalid start ID for the interval"
    );
    assert_eq!(r.s("XPENDING s g - (0 10"), "[]");
    assert_eq!(
        r.s("XPENDING s nog"),
        "-NOGROUP No such key 's' or consumer group 'nog'"
    );
    assert_eq!(
        r.s("XPENDING nokey g"),
        "-NOGROUP No such key 'nokey' or consumer group 'g'"
    );
    assert_eq!(
        r.s("XPENDING s nog - + 10"),
        "-NOGROUP No such key 's' or consumer group 'nog'"
    );
    // XCLAIM: the entry must be pending and idle enough.
    assert_eq!(r.s("XCLAIM s g carol 3600000 1-1"), "[]");
    assert_eq!(r.s("XCLAIM s g carol 0 1-1 JUSTID"), "[\"1-1\"]");
    assert_eq!(r.s("XCLAIM s g carol 0 1-2"), "[[\"1-2\", [\"b\", \"2\"]]]");
    assert_eq!(
        r.s("XCLAIM s g carol 0 9-9 1-3 JUSTID RETRYCOUNT 7"),
        "[\"1-3\"]"
    );
    assert_eq!(r.s("XCLAIM s g carol 0 1-4 JUSTID FORCE"), "[\"1-4\"]");
    assert_eq!(r.s("XADD s 1-5 e 5"), "\"1-5\"");
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 FORCE"),
        "[[\"1-5\", [\"e\", \"5\"]]]"
    );
    assert_eq!(r.s("XCLAIM s g carol 0 1-5 JUSTID LASTID 2-0"), "[\"1-5\"]");
    assert_eq!(
        r.s("XINFO GROUPS s"),
        "[[\"name\", \"g\", \"consumers\", :3, \"pending\", :5, \"last-delivered-id\", \"2-0\", \"entries-read\", :4, \"lag\", :1]]"
    );
    assert_eq!(r.s("XCLAIM s g carol 0 1-5 JUSTID LASTID 1-0"), "[\"1-5\"]");
    assert_eq!(r.s("XDEL s 1-4"), ":1");
    assert_eq!(r.s("XCLAIM s g carol 0 1-4 1-5 JUSTID"), "[\"1-5\"]");
    assert_eq!(
        r.s("XPENDING s g"),
        "[:4, \"1-1\", \"1-5\", [[\"carol\", \"4\"]]]"
    );
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 IDLE 3600000 JUSTID"),
        "[\"1-5\"]"
    );
    let idle = r.cmd(&["XPENDING", "s", "g", "IDLE", "3000000", "-", "+", "10"]);
    assert_eq!(
        pending(&mut r, "XPENDING s g IDLE 3000000 - + 10"),
        "[[\"1-5\", \"carol\", :_, :2]]"
    );
    assert!((3_600_000..3_660_000).contains(&idle.items()[0].items()[2].as_int()));
    assert_eq!(r.s("XCLAIM s g carol 0 1-5 TIME 1000 JUSTID"), "[\"1-5\"]");
    let old = r.cmd(&["XPENDING", "s", "g", "IDLE", "3000000", "-", "+", "10"]);
    assert!(old.items()[0].items()[2].as_int() > 1_700_000_000_000 - 1000);
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 TIME 99999999999999 JUSTID"),
        "[\"1-5\"]"
    );
    assert_eq!(r.s("XPENDING s g IDLE 3000000 - + 10"), "[]");
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 RETRYCOUNT -5 JUSTID"),
        "[\"1-5\"]"
    );
    assert_eq!(r.s("XCLAIM s g carol -10 1-5 JUSTID"), "[\"1-5\"]");
    // Errors.
    assert_eq!(
        r.s("XCLAIM s g carol abc 1-5"),
        "-ERR Invalid min-idle-time argument for XCLAIM"
    );
    assert_eq!(
        r.s("XCLAIM s nog carol 0 1-5"),
        "-NOGROUP No such key 's' or consumer group 'nog'"
    );
    assert_eq!(
        r.s("XCLAIM nokey g carol abc 1-5"),
        "-NOGROUP No such key 'nokey' or consumer group 'g'"
    );
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 FOO"),
        "-ERR Unrecognized XCLAIM option 'FOO'"
    );
    assert_eq!(
        r.s("XCLAIM s g carol 0 FOO"),
        "-ERR Unrecognized XCLAIM option 'FOO'"
    );
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 IDLE abc"),
        "-ERR Invalid IDLE option argument for XCLAIM"
    );
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 TIME abc"),
        "-ERR Invalid TIME option argument for XCLAIM"
    );
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 RETRYCOUNT abc"),
        "-ERR Invalid RETRYCOUNT option argument for XCLAIM"
    );
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 LASTID abc"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XCLAIM s g carol 0 1-5 IDLE"),
        "-ERR Unrecognized XCLAIM option 'IDLE'"
    );
    assert_eq!(
        r.s("XCLAIM s g carol 0"),
        "-ERR wrong number of arguments for 'xclaim' command"
    );
    // XACK
    assert_eq!(r.s("XACK s g 1-1 1-1 9-9"), ":1");
    assert_eq!(
        r.s("XACK s g bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(r.s("XACK s nog bad"), ":0");
    assert_eq!(r.s("XACK nokey g bad"), ":0");
    assert_eq!(r.s("XACK s g 1-2 1-3 1-5"), ":3");
    assert_eq!(r.s("XPENDING s g"), "[:0, (nil), (nil), (nil-array)]");
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XPENDING str g"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XCLAIM str g c 0 1-1"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        r.s("XACK str g 1-1"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xautoclaim_cursor_count_and_deleted_entries() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XADD s 1-1 a 1"), "\"1-1\"");
    assert_eq!(r.s("XADD s 1-2 b 2"), "\"1-2\"");
    assert_eq!(r.s("XADD s 1-3 c 3"), "\"1-3\"");
    assert_eq!(r.s("XADD s 1-4 d 4"), "\"1-4\"");
    assert_eq!(r.s("XADD s 1-5 e 5"), "\"1-5\"");
    assert_eq!(r.s("XGROUP CREATE s g 0"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice STREAMS s >"),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]], [\"1-3\", [\"c\", \"3\"]], [\"1-4\", [\"d\", \"4\"]], [\"1-5\", [\"e\", \"5\"]]]]]"
    );
    assert_eq!(r.s("XAUTOCLAIM s g bob 3600000 0"), "[\"0-0\", [], []]");
    assert_eq!(
        r.s("XAUTOCLAIM s g bob 0 0 COUNT 2"),
        "[\"1-3\", [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]]], []]"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g bob 0 1-3 COUNT 2 JUSTID"),
        "[\"1-5\", [\"1-3\", \"1-4\"], []]"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g bob 0 1-5 JUSTID"),
        "[\"0-0\", [\"1-5\"], []]"
    );
    assert_eq!(r.s("XDEL s 1-2 1-4"), ":2");
    assert_eq!(
        r.s("XAUTOCLAIM s g carol 0 - COUNT 2"),
        "[\"1-3\", [[\"1-1\", [\"a\", \"1\"]]], [\"1-2\"]]"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g carol 0 (1-1 COUNT 10 JUSTID"),
        "[\"0-0\", [\"1-3\", \"1-5\"], [\"1-4\"]]"
    );
    assert_eq!(r.s("XAUTOCLAIM s g carol 0 + JUSTID"), "[\"0-0\", [], []]");
    assert_eq!(
        pending(&mut r, "XPENDING s g - + 10"),
        "[[\"1-1\", \"carol\", :_, :3], [\"1-3\", \"carol\", :_, :1], [\"1-5\", \"carol\", :_, :1]]"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g carol 0 0 COUNT 0"),
        "-ERR COUNT must be > 0"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g carol 0 0 COUNT -1"),
        "-ERR COUNT must be > 0"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g carol 0 0 COUNT abc"),
        "-ERR COUNT must be > 0"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g carol 0 0 COUNT 576460752303423488"),
        "-ERR COUNT must be > 0"
    );
    assert_eq!(r.s("XAUTOCLAIM s g carol 0 0 COUNT"), "-ERR syntax error");
    assert_eq!(r.s("XAUTOCLAIM s g carol 0 0 FOO"), "-ERR syntax error");
    assert_eq!(
        r.s("XAUTOCLAIM s g carol abc 0"),
        "-ERR Invalid min-idle-time argument for XAUTOCLAIM"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g carol 0 bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g carol 0 (18446744073709551615-18446744073709551615"),
        "-ERR invalid start ID for the interval"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s nog carol 0 0"),
        "-NOGROUP No such key 's' or consumer group 'nog'"
    );
    assert_eq!(
        r.s("XAUTOCLAIM nokey g carol 0 0"),
        "-NOGROUP No such key 'nokey' or consumer group 'g'"
    );
    assert_eq!(
        r.s("XAUTOCLAIM nokey g carol 0 bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XAUTOCLAIM s g carol -5 0 JUSTID"),
        "[\"0-0\", [\"1-1\", \"1-3\", \"1-5\"], []]"
    );
    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XAUTOCLAIM str g c 0 0"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xinfo_groups_consumers_and_full() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XADD s 1-1 a 1"), "\"1-1\"");
    assert_eq!(r.s("XADD s 1-2 b 2"), "\"1-2\"");
    assert_eq!(r.s("XADD s 1-3 c 3"), "\"1-3\"");
    assert_eq!(r.s("XGROUP CREATE s g 0"), "+OK");
    assert_eq!(r.s("XGROUP CREATE s h $"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g alice COUNT 2 STREAMS s >"),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]]]]]"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g bob STREAMS s >"),
        "[[\"s\", [[\"1-3\", [\"c\", \"3\"]]]]]"
    );
    assert_eq!(r.s("XGROUP CREATECONSUMER s g carol"), ":1");
    assert_eq!(
        r.s("XINFO GROUPS s"),
        "[[\"name\", \"g\", \"consumers\", :3, \"pending\", :3, \"last-delivered-id\", \"1-3\", \"entries-read\", :3, \"lag\", :0], [\"name\", \"h\", \"consumers\", :0, \"pending\", :0, \"last-delivered-id\", \"1-3\", \"entries-read\", (nil), \"lag\", :0]]"
    );
    assert_eq!(
        mask(&r.s("XINFO CONSUMERS s g"), &["idle", "inactive"]),
        "[[\"name\", \"alice\", \"pending\", :2, \"idle\", :_, \"inactive\", :_], [\"name\", \"bob\", \"pending\", :1, \"idle\", :_, \"inactive\", :_], [\"name\", \"carol\", \"pending\", :0, \"idle\", :_, \"inactive\", :-1]]"
    );
    assert_eq!(r.s("XINFO CONSUMERS s h"), "[]");
    assert_eq!(
        r.s("XINFO CONSUMERS s nog"),
        "-NOGROUP No such consumer group 'nog' for key name 's'"
    );
    assert_eq!(r.s("XINFO CONSUMERS nokey g"), "-ERR no such key");
    assert_eq!(
        mask(&r.s("XINFO STREAM s FULL"), &["idle", "inactive"]),
        "[\"length\", :3, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, \"last-generated-id\", \"1-3\", \"max-deleted-entry-id\", \"0-0\", \"entries-added\", :3, \"recorded-first-entry-id\", \"1-1\", \"entries\", [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]], [\"1-3\", [\"c\", \"3\"]]], \"groups\", [[\"name\", \"g\", \"last-delivered-id\", \"1-3\", \"entries-read\", :3, \"lag\", :0, \"pel-count\", :3, \"pending\", [[\"1-1\", \"alice\", :T, :1], [\"1-2\", \"alice\", :T, :1], [\"1-3\", \"bob\", :T, :1]], \"consumers\", [[\"name\", \"alice\", \"seen-time\", :T, \"active-time\", :T, \"pel-count\", :2, \"pending\", [[\"1-1\", :T, :1], [\"1-2\", :T, :1]]], [\"name\", \"bob\", \"seen-time\", :T, \"active-time\", :T, \"pel-count\", :1, \"pending\", [[\"1-3\", :T, :1]]], [\"name\", \"carol\", \"seen-time\", :T, \"active-time\", :-1, \"pel-count\", :0, \"pending\", []]]], [\"name\", \"h\", \"last-delivered-id\", \"1-3\", \"entries-read\", (nil), \"lag\", :0, \"pel-count\", :0, \"pending\", [], \"consumers\", []]]]"
    );
    assert_eq!(
        mask(&r.s("XINFO STREAM s FULL COUNT 1"), &["idle", "inactive"]),
        "[\"length\", :3, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, \"last-generated-id\", \"1-3\", \"max-deleted-entry-id\", \"0-0\", \"entries-added\", :3, \"recorded-first-entry-id\", \"1-1\", \"entries\", [[\"1-1\", [\"a\", \"1\"]]], \"groups\", [[\"name\", \"g\", \"last-delivered-id\", \"1-3\", \"entries-read\", :3, \"lag\", :0, \"pel-count\", :3, \"pending\", [[\"1-1\", \"alice\", :T, :1]], \"consumers\", [[\"name\", \"alice\", \"seen-time\", :T, \"active-time\", :T, \"pel-count\", :2, \"pending\", [[\"1-1\", :T, :1]]], [\"name\", \"bob\", \"seen-time\", :T, \"active-time\", :T, \"pel-count\", :1, \"pending\", [[\"1-3\", :T, :1]]], [\"name\", \"carol\", \"seen-time\", :T, \"active-time\", :-1, \"pel-count\", :0, \"pending\", []]]], [\"name\", \"h\", \"last-delivered-id\", \"1-3\", \"entries-read\", (nil), \"lag\", :0, \"pel-count\", :0, \"pending\", [], \"consumers\", []]]]"
    );
    assert_eq!(r.s("XDEL s 1-2"), ":1");
    assert_eq!(
        r.s("XINFO GROUPS s"),
        "[[\"name\", \"g\", \"consumers\", :3, \"pending\", :3, \"last-delivered-id\", \"1-3\", \"entries-read\", :3, \"lag\", :0], [\"name\", \"h\", \"consumers\", :0, \"pending\", :0, \"last-delivered-id\", \"1-3\", \"entries-read\", (nil), \"lag\", :0]]"
    );
    assert_eq!(r.s("XADD s 1-4 d 4"), "\"1-4\"");
    assert_eq!(
        r.s("XINFO GROUPS s"),
        "[[\"name\", \"g\", \"consumers\", :3, \"pending\", :3, \"last-delivered-id\", \"1-3\", \"entries-read\", :3, \"lag\", :1], [\"name\", \"h\", \"consumers\", :0, \"pending\", :0, \"last-delivered-id\", \"1-3\", \"entries-read\", (nil), \"lag\", (nil)]]"
    );
    assert_eq!(r.s("XGROUP SETID s h 0 ENTRIESREAD 0"), "+OK");
    assert_eq!(
        r.s("XINFO GROUPS s"),
        "[[\"name\", \"g\", \"consumers\", :3, \"pending\", :3, \"last-delivered-id\", \"1-3\", \"entries-read\", :3, \"lag\", :1], [\"name\", \"h\", \"consumers\", :0, \"pending\", :0, \"last-delivered-id\", \"0-0\", \"entries-read\", :0, \"lag\", (nil)]]"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP h x STREAMS s >"),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]], [\"1-3\", [\"c\", \"3\"]], [\"1-4\", [\"d\", \"4\"]]]]]"
    );
    assert_eq!(
        r.s("XINFO GROUPS s"),
        "[[\"name\", \"g\", \"consumers\", :3, \"pending\", :3, \"last-delivered-id\", \"1-3\", \"entries-read\", :3, \"lag\", :1], [\"name\", \"h\", \"consumers\", :1, \"pending\", :3, \"last-delivered-id\", \"1-4\", \"entries-read\", :4, \"lag\", :0]]"
    );
    // RESP3: maps, with null for unknown counters.
    assert!(r.s("HELLO 3").starts_with('{'));
    assert_eq!(
        r.s("XINFO GROUPS s"),
        "[{\"name\": \"g\", \"consumers\": :3, \"pending\": :3, \"last-delivered-id\": \"1-3\", \"entries-read\": :3, \"lag\": :1}, {\"name\": \"h\", \"consumers\": :1, \"pending\": :3, \"last-delivered-id\": \"1-4\", \"entries-read\": :4, \"lag\": :0}]"
    );
    assert_eq!(
        mask(&r.s("XINFO CONSUMERS s h"), &["idle", "inactive"]),
        "[{\"name\": \"x\", \"pending\": :3, \"idle\": :_, \"inactive\": :_}]"
    );
}

/// Two groups that both read 1-0 and 2-0 (Redis 8.2's deletion-policy scenario).
fn two_groups_read_two_entries(r: &mut Raw) {
    r.s("DEL s");
    assert_eq!(r.s("XADD s 1-0 f v"), "\"1-0\"");
    assert_eq!(r.s("XADD s 2-0 f v"), "\"2-0\"");
    assert_eq!(r.s("XGROUP CREATE s g1 0"), "+OK");
    assert_eq!(r.s("XGROUP CREATE s g2 0"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g1 c1 STREAMS s >"),
        "[[\"s\", [[\"1-0\", [\"f\", \"v\"]], [\"2-0\", [\"f\", \"v\"]]]]]"
    );
    assert_eq!(
        r.s("XREADGROUP GROUP g2 c2 STREAMS s >"),
        "[[\"s\", [[\"1-0\", [\"f\", \"v\"]], [\"2-0\", [\"f\", \"v\"]]]]]"
    );
}

const NOTHING_PENDING: &str = "[:0, (nil), (nil), (nil-array)]";

#[test]
fn xackdel_policies_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("XACKDEL s g IDS 2 1-1 2-2"), "[:-1, :-1]");
    assert_eq!(r.s("XADD s 1-0 f v"), "\"1-0\"");
    assert_eq!(r.s("XACKDEL s g IDS 2 1-1 2-2"), "[:-1, :-1]");
    assert_eq!(r.s("XGROUP CREATE s g 0"), "+OK");
    assert_eq!(
        r.s("XACKDEL s g IDS abc 1-1"),
        "-ERR Number of IDs must be a positive integer"
    );
    assert_eq!(
        r.s("XACKDEL s g IDS 0 1-1"),
        "-ERR Number of IDs must be a positive integer"
    );
    assert_eq!(
        r.s("XACKDEL s g IDS -5 1-1"),
        "-ERR Number of IDs must be a positive integer"
    );
    assert_eq!(
        r.s("XACKDEL s g IDS 3 1-1 2-2"),
        "-ERR The `numids` parameter must match the number of arguments"
    );
    assert_eq!(r.s("XACKDEL s g IDS 1 1-1 2-2"), "-ERR syntax error");
    assert_eq!(
        r.s("XACKDEL s g KEEPREF DELREF IDS 1 1-1"),
        "-ERR syntax error"
    );
    assert_eq!(
        r.s("XACKDEL s g KEEPREF ACKED IDS 1 1-1"),
        "-ERR syntax error"
    );
    assert_eq!(
        r.s("XACKDEL s g DELREF ACKED IDS 1 1-1"),
        "-ERR syntax error"
    );
    assert_eq!(
        r.s("XACKDEL s g IDS 1 bad"),
        "-ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        r.s("XACKDEL s g"),
        "-ERR wrong number of arguments for 'xackdel' command"
    );
    assert_eq!(
        r.s("XACKDEL s g IDS 1"),
        "-ERR wrong number of arguments for 'xackdel' command"
    );
    // Not pending: nothing to acknowledge, nothing deleted.
    assert_eq!(r.s("XACKDEL s g IDS 1 1-0"), "[:-1]");
    assert_eq!(r.s("XLEN s"), ":1");

    // DELREF: acknowledged, deleted, and removed from every other group's PEL.
    two_groups_read_two_entries(&mut r);
    assert_eq!(r.s("XACKDEL s g1 DELREF IDS 2 1-0 2-0"), "[:1, :1]");
    assert_eq!(r.s("XLEN s"), ":0");
    assert_eq!(r.s("XPENDING s g1"), NOTHING_PENDING);
    assert_eq!(r.s("XPENDING s g2"), NOTHING_PENDING);
    assert_eq!(r.s("XACKDEL s g2 DELREF IDS 2 1-0 2-0"), "[:-1, :-1]");

    // ACKED: deleted only once every group has acknowledged.
    two_groups_read_two_entries(&mut r);
    assert_eq!(r.s("XACKDEL s g1 ACKED IDS 2 1-0 2-0"), "[:2, :2]");
    assert_eq!(r.s("XLEN s"), ":2");
    assert_eq!(r.s("XPENDING s g1"), NOTHING_PENDING);
    assert_eq!(
        r.s("XPENDING s g2"),
        "[:2, \"1-0\", \"2-0\", [[\"c2\", \"2\"]]]"
    );
    assert_eq!(r.s("XACKDEL s g2 ACKED IDS 2 1-0 2-0"), "[:1, :1]");
    assert_eq!(r.s("XLEN s"), ":0");
    assert_eq!(r.s("XPENDING s g2"), NOTHING_PENDING);

    // KEEPREF (the default): deleted, other groups keep their (now dangling) references.
    two_groups_read_two_entries(&mut r);
    assert_eq!(r.s("XACKDEL s g1 KEEPREF IDS 2 1-0 2-0"), "[:1, :1]");
    assert_eq!(r.s("XLEN s"), ":0");
    assert_eq!(r.s("XPENDING s g1"), NOTHING_PENDING);
    assert_eq!(
        r.s("XPENDING s g2"),
        "[:2, \"1-0\", \"2-0\", [[\"c2\", \"2\"]]]"
    );
    assert_eq!(r.s("XACKDEL s g2 IDS 2 1-0 2-0"), "[:1, :1]");
    assert_eq!(r.s("XPENDING s g2"), NOTHING_PENDING);

    assert_eq!(r.s("SET str x"), "+OK");
    assert_eq!(
        r.s("XACKDEL str g IDS 1 1-0"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn xdelex_with_consumer_groups() {
    let s = Server::start();
    let mut r = s.raw();
    two_groups_read_two_entries(&mut r);
    // Pending in both groups: ACKED keeps them.
    assert_eq!(r.s("XDELEX s ACKED IDS 2 1-0 2-0"), "[:2, :2]");
    assert_eq!(r.s("XACK s g1 1-0"), ":1");
    assert_eq!(r.s("XACK s g2 1-0"), ":1");
    assert_eq!(r.s("XDELEX s ACKED IDS 2 1-0 2-0"), "[:1, :2]");
    // DELREF removes the entry and every reference to it.
    assert_eq!(r.s("XDELEX s DELREF IDS 1 2-0"), "[:1]");
    assert_eq!(r.s("XPENDING s g1"), NOTHING_PENDING);
    assert_eq!(r.s("XPENDING s g2"), NOTHING_PENDING);
    // An entry not yet delivered to a group is referenced by it.
    assert_eq!(r.s("XADD s 3-0 f v"), "\"3-0\"");
    assert_eq!(r.s("XDELEX s ACKED IDS 1 3-0"), "[:2]");
    assert_eq!(r.s("XDELEX s KEEPREF IDS 1 3-0"), "[:1]");
    assert_eq!(
        r.s("XINFO STREAM s"),
        "[\"length\", :0, \"radix-tree-keys\", :0, \"radix-tree-nodes\", :1, \"last-generated-id\", \"3-0\", \"max-deleted-entry-id\", \"3-0\", \"entries-added\", :3, \"recorded-first-entry-id\", \"0-0\", \"groups\", :2, \"first-entry\", (nil), \"last-entry\", (nil)]"
    );
}

#[test]
fn trimming_with_deletion_policies() {
    let s = Server::start();
    let mut r = s.raw();
    for i in 1..=5 {
        assert_eq!(r.s(&format!("XADD s 1-{i} f v")), format!("\"1-{i}\""));
    }
    assert_eq!(r.s("XGROUP CREATE s g 0"), "+OK");
    assert_eq!(
        r.s("XREADGROUP GROUP g c COUNT 3 STREAMS s >"),
        "[[\"s\", [[\"1-1\", [\"f\", \"v\"]], [\"1-2\", [\"f\", \"v\"]], [\"1-3\", [\"f\", \"v\"]]]]]"
    );
    assert_eq!(r.s("XACK s g 1-1 1-3"), ":2");
    // ACKED only removes entries the group read and acknowledged.
    assert_eq!(r.s("XTRIM s MAXLEN 0 ACKED"), ":2");
    assert_eq!(
        r.s("XRANGE s - +"),
        "[[\"1-2\", [\"f\", \"v\"]], [\"1-4\", [\"f\", \"v\"]], [\"1-5\", [\"f\", \"v\"]]]"
    );
    // DELREF removes entries and their PEL references.
    assert_eq!(r.s("XTRIM s MAXLEN 1 DELREF"), ":2");
    assert_eq!(r.s("XPENDING s g"), NOTHING_PENDING);
    assert_eq!(r.s("XRANGE s - +"), "[[\"1-5\", [\"f\", \"v\"]]]");
    // XADD takes the policies too; KEEPREF is the default.
    assert_eq!(r.s("XADD s MAXLEN 0 ACKED 2-1 f v"), "\"2-1\"");
    assert_eq!(r.s("XLEN s"), ":2");
    assert_eq!(r.s("XADD s MAXLEN 0 KEEPREF 2-2 f v"), "\"2-2\"");
    assert_eq!(r.s("XLEN s"), ":0");
    assert_eq!(r.s("XTRIM s MINID 0 DELREF ACKED"), ":0");
    assert_eq!(r.s("XTRIM s MINID 0 FOO"), "-ERR syntax error");
}

#[test]
fn blocked_group_readers_are_served_in_arrival_order_and_never_twice() {
    let s = Server::start();
    let mut w = s.raw();
    assert_eq!(w.s("XGROUP CREATE s g $ MKSTREAM"), "+OK");
    let mut readers: Vec<Raw> = Vec::new();
    for (i, name) in ["c1", "c2", "c3"].iter().enumerate() {
        let mut c = s.raw();
        c.send_cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            name,
            "COUNT",
            "1",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ]);
        wait_blocked(&mut w, i + 1);
        readers.push(c);
    }
    // Also a plain XREAD tail: it sees every entry.
    let mut tail = s.raw();
    tail.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut w, 4);
    assert_eq!(w.s("MULTI"), "+OK");
    assert_eq!(w.s("XADD s 1-1 a 1"), "+QUEUED");
    assert_eq!(w.s("XADD s 1-2 b 2"), "+QUEUED");
    assert_eq!(w.s("EXEC"), "[\"1-1\", \"1-2\"]");
    assert_eq!(
        readers[0].read().to_string(),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]]]]]"
    );
    assert_eq!(
        readers[1].read().to_string(),
        "[[\"s\", [[\"1-2\", [\"b\", \"2\"]]]]]"
    );
    assert_eq!(
        tail.read().to_string(),
        "[[\"s\", [[\"1-1\", [\"a\", \"1\"]], [\"1-2\", [\"b\", \"2\"]]]]]"
    );
    // The third reader found nothing left and is still waiting.
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XADD s 1-3 c 3"), "\"1-3\"");
    assert_eq!(
        readers[2].read().to_string(),
        "[[\"s\", [[\"1-3\", [\"c\", \"3\"]]]]]"
    );
    assert_eq!(
        w.s("XPENDING s g"),
        "[:3, \"1-1\", \"1-3\", [[\"c1\", \"1\"], [\"c2\", \"1\"], [\"c3\", \"1\"]]]"
    );
    // A reader that disconnects while blocked takes nothing with it.
    let mut gone = s.raw();
    gone.send_cmd(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "gone",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ]);
    wait_blocked(&mut w, 1);
    drop(gone);
    wait_blocked(&mut w, 0);
    assert_eq!(w.s("XADD s 1-4 d 4"), "\"1-4\"");
    assert_eq!(
        readers[0].s("XREADGROUP GROUP g c1 STREAMS s >"),
        "[[\"s\", [[\"1-4\", [\"d\", \"4\"]]]]]"
    );
    // NOACK and RESP3 while blocked.
    assert!(readers[1].s("HELLO 3").starts_with('{'));
    readers[1].send_cmd(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c2",
        "BLOCK",
        "0",
        "NOACK",
        "STREAMS",
        "s",
        ">",
    ]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XADD s 1-5 e 5"), "\"1-5\"");
    assert_eq!(
        readers[1].read().to_string(),
        "{\"s\": [[\"1-5\", [\"e\", \"5\"]]]}"
    );
    assert_eq!(
        w.s("XPENDING s g"),
        "[:4, \"1-1\", \"1-4\", [[\"c1\", \"2\"], [\"c2\", \"1\"], [\"c3\", \"1\"]]]"
    );
}

#[test]
fn blocked_group_reader_learns_about_deleted_streams_and_groups() {
    let s = Server::start();
    let mut w = s.raw();
    let mut c = s.raw();
    let nogroup = "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option";
    let block = |c: &mut Raw| {
        c.send_cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ]);
    };
    // The stream is deleted.
    assert_eq!(w.s("XGROUP CREATE s g $ MKSTREAM"), "+OK");
    block(&mut c);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("DEL s"), ":1");
    assert_eq!(c.read().to_string(), nogroup);
    // The group is destroyed.
    assert_eq!(w.s("XGROUP CREATE s g $ MKSTREAM"), "+OK");
    block(&mut c);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XGROUP DESTROY s g"), ":1");
    assert_eq!(c.read().to_string(), nogroup);
    // The key changes type.
    assert_eq!(w.s("XGROUP CREATE s g $"), "+OK");
    block(&mut c);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("SET s x"), "+OK");
    assert_eq!(
        c.read().to_string(),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    // The whole database is flushed.
    assert_eq!(
        w.s("XGROUP CREATE s g $ MKSTREAM"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(w.s("DEL s"), ":1");
    assert_eq!(w.s("XGROUP CREATE s g $ MKSTREAM"), "+OK");
    block(&mut c);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("FLUSHALL"), "+OK");
    assert_eq!(c.read().to_string(), nogroup);
    // Another group destroyed, or a consumer deleted, does not disturb the waiter.
    assert_eq!(w.s("XGROUP CREATE s g $ MKSTREAM"), "+OK");
    assert_eq!(w.s("XGROUP CREATE s other $"), "+OK");
    block(&mut c);
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XGROUP DESTROY s other"), ":1");
    assert_eq!(w.s("XGROUP DELCONSUMER s g alice"), ":0");
    wait_blocked(&mut w, 1);
    assert_eq!(w.s("XADD s 1-1 f v"), "\"1-1\"");
    assert_eq!(
        c.read().to_string(),
        "[[\"s\", [[\"1-1\", [\"f\", \"v\"]]]]]"
    );
    // A timeout answers with a null array and leaves the group as it was.
    assert_eq!(
        c.s("XREADGROUP GROUP g alice BLOCK 10 STREAMS s >"),
        "(nil-array)"
    );
    // The failed blocked calls count as failed calls with NOGROUP errors.
    let stats = String::from_utf8_lossy(w.cmd(&["INFO", "errorstats"]).as_bytes()).into_owned();
    assert!(stats.contains("errorstat_NOGROUP:count=3"), "{stats}");
}

/// One XREADGROUP / XAUTOCLAIM entry list: the IDs.
fn entry_ids(entries: &Frame) -> Vec<String> {
    entries
        .items()
        .iter()
        .map(|e| String::from_utf8_lossy(e.items()[0].as_bytes()).into_owned())
        .collect()
}

#[test]
fn four_consumers_with_a_crash_recovered_by_xautoclaim() {
    const TOTAL: usize = 100_000;
    const CRASHED_BATCHES: usize = 3;
    const BATCH: usize = 50;
    let s = Server::start();
    let port = s.port;
    let mut admin = s.raw();
    assert_eq!(admin.s("XGROUP CREATE jobs workers $ MKSTREAM"), "+OK");

    // The producer pipelines XADDs in batches while the consumers work.
    let producer = std::thread::spawn(move || {
        let mut p = Raw::connect(port);
        for batch in 0..TOTAL / 1000 {
            let mut pipeline = Vec::new();
            for i in 0..1000 {
                let n = format!("{}", batch * 1000 + i);
                pipeline.extend_from_slice(
                    format!(
                        "*5\r\n$4\r\nXADD\r\n$4\r\njobs\r\n$1\r\n*\r\n$1\r\nn\r\n${}\r\n{}\r\n",
                        n.len(),
                        n
                    )
                    .as_bytes(),
                );
            }
            p.send(&pipeline);
            for _ in 0..1000 {
                assert!(matches!(p.read(), Frame::Bulk(_)));
            }
        }
    });

    // The crashing consumer takes a few batches and disappears without acknowledging them.
    let mut crashed: Vec<String> = Vec::new();
    {
        let mut c = s.raw();
        while crashed.len() < CRASHED_BATCHES * BATCH {
            let want = (CRASHED_BATCHES * BATCH - crashed.len()).min(BATCH);
            let reply = c.cmd(&[
                "XREADGROUP",
                "GROUP",
                "workers",
                "crasher",
                "COUNT",
                &want.to_string(),
                "BLOCK",
                "0",
                "STREAMS",
                "jobs",
                ">",
            ]);
            crashed.extend(entry_ids(&reply.items()[0].items()[1]));
        }
    }
    assert_eq!(crashed.len(), CRASHED_BATCHES * BATCH);

    // Three healthy consumers read, process and acknowledge until everything is handled.
    let acked_total = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..3)
        .map(|w| {
            let acked_total = acked_total.clone();
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                let name = format!("worker{w}");
                let mut mine: Vec<String> = Vec::new();
                while acked_total.load(Ordering::SeqCst) + CRASHED_BATCHES * BATCH < TOTAL {
                    let reply = c.cmd(&[
                        "XREADGROUP",
                        "GROUP",
                        "workers",
                        &name,
                        "COUNT",
                        "100",
                        "BLOCK",
                        "50",
                        "STREAMS",
                        "jobs",
                        ">",
                    ]);
                    if reply == Frame::NullArray {
                        continue;
                    }
                    let ids = entry_ids(&reply.items()[0].items()[1]);
                    let mut ack: Vec<&str> = vec!["XACK", "jobs", "workers"];
                    ack.extend(ids.iter().map(|s| s.as_str()));
                    // Every entry was pending for this consumer only: all are acknowledged.
                    assert_eq!(c.cmd(&ack).as_int(), ids.len() as i64);
                    acked_total.fetch_add(ids.len(), Ordering::SeqCst);
                    mine.extend(ids);
                }
                mine
            })
        })
        .collect();
    producer.join().unwrap();
    let mut handled: Vec<String> = Vec::new();
    for w in workers {
        handled.extend(w.join().unwrap());
    }
    assert_eq!(handled.len() + crashed.len(), TOTAL);

    // The crashed consumer's entries are still pending, owned by it.
    assert_eq!(
        admin.s("XPENDING jobs workers"),
        format!(
            "[:{}, \"{}\", \"{}\", [[\"crasher\", \"{}\"]]]",
            crashed.len(),
            crashed[0],
            crashed[crashed.len() - 1],
            crashed.len()
        )
    );
    // Not idle enough yet: nothing is claimed.
    assert_eq!(
        admin.s("XAUTOCLAIM jobs workers worker0 3600000 0-0 COUNT 25 JUSTID"),
        "[\"0-0\", [], []]"
    );
    // Recovery: claim in pages of 25 following the cursor, process and acknowledge.
    let mut recovered: Vec<String> = Vec::new();
    let mut cursor = "0-0".to_string();
    loop {
        let reply = admin.cmd(&[
            "XAUTOCLAIM",
            "jobs",
            "workers",
            "worker0",
            "0",
            &cursor,
            "COUNT",
            "25",
        ]);
        let items = reply.items();
        let ids = entry_ids(&items[1]);
        assert_eq!(items[2].to_string(), "[]");
        if !ids.is_empty() {
            let mut ack: Vec<&str> = vec!["XACK", "jobs", "workers"];
            ack.extend(ids.iter().map(|s| s.as_str()));
            assert_eq!(admin.cmd(&ack).as_int(), ids.len() as i64);
            recovered.extend(ids);
        }
        cursor = String::from_utf8_lossy(items[0].as_bytes()).into_owned();
        if cursor == "0-0" {
            break;
        }
    }
    assert_eq!(recovered, crashed);

    // Every entry was acknowledged exactly once and nothing is pending.
    let all: HashSet<String> = handled.iter().chain(recovered.iter()).cloned().collect();
    assert_eq!(all.len(), TOTAL);
    assert_eq!(handled.len() + recovered.len(), TOTAL);
    assert_eq!(admin.s("XPENDING jobs workers"), NOTHING_PENDING);
    assert_eq!(admin.s("XLEN jobs"), format!(":{TOTAL}"));
    let groups = admin.s("XINFO GROUPS jobs");
    assert!(
        groups.contains("\"pending\", :0, \"last-delivered-id\""),
        "{groups}"
    );
    assert!(
        groups.ends_with(&format!("\"entries-read\", :{TOTAL}, \"lag\", :0]]")),
        "{groups}"
    );
    // A replay of the acknowledgements acknowledges nothing.
    let mut again: Vec<&str> = vec!["XACK", "jobs", "workers"];
    again.extend(recovered.iter().map(|s| s.as_str()));
    assert_eq!(admin.cmd(&again).as_int(), 0);
}
