//! LATENCY (LATEST, HISTORY, RESET, GRAPH, DOCTOR, HISTOGRAM, HELP) with
//! latency-monitor-threshold, INFO latencystats (latency-tracking and its percentiles), LOLWUT
//! and DEBUG ERROR: reply shapes in RESP2 and RESP3, errors, resets.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

#[test]
fn empty_monitor() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("LATENCY LATEST", "[]"),
            ("LATENCY HISTORY command", "[]"),
            ("LATENCY RESET", ":0"),
            ("LATENCY RESET command fast-command", ":0"),
            (
                "LATENCY GRAPH command",
                "-ERR No samples available for event 'command'",
            ),
            ("LATENCY", &arity_err("latency")),
            ("LATENCY HISTORY", &arity_err("latency|history")),
            ("LATENCY GRAPH", &arity_err("latency|graph")),
            ("LATENCY LATEST x", &arity_err("latency|latest")),
            ("LATENCY DOCTOR x", &arity_err("latency|doctor")),
            (
                "LATENCY NOPE",
                "-ERR unknown subcommand 'NOPE'. Try LATENCY HELP.",
            ),
        ],
    );
    let doc = r.s("LATENCY DOCTOR");
    assert!(
        doc.contains("I'm sorry, Dave, I can't do that. Latency monitoring is disabled"),
        "{doc}"
    );
    assert_eq!(r.s("CONFIG SET latency-monitor-threshold 100"), "+OK");
    let doc = r.s("LATENCY DOCTOR");
    assert!(
        doc.contains("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over."),
        "{doc}"
    );
    let help = r.s("LATENCY HELP");
    assert!(
        help.starts_with(
            "[+LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +DOCTOR,"
        ),
        "{help}"
    );
    assert!(help.contains("+HISTOGRAM [COMMAND ...]"), "{help}");
}

#[test]
fn events_from_slow_commands() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET latency-monitor-threshold 5"), "+OK");
    assert_eq!(r.s("DEBUG SLEEP 0.02"), "+OK");
    let latest = r.cmd(&["LATENCY", "LATEST"]);
    let items = latest.items();
    assert_eq!(items.len(), 1, "{latest}");
    let ev = items[0].items();
    assert_eq!(ev.len(), 4);
    assert_eq!(ev[0].to_string(), "\"command\"");
    let t = ev[1].as_int();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - t).abs() < 5, "{t} vs {now}");
    assert!(
        ev[2].as_int() >= 20 && ev[3].as_int() >= ev[2].as_int(),
        "{latest}"
    );
    let hist = r.cmd(&["LATENCY", "HISTORY", "command"]);
    assert_eq!(hist.items().len(), 1);
    assert_eq!(hist.items()[0].items()[0].as_int(), t);
    // Fast commands never take 5 ms here, and the event is per class.
    assert_eq!(r.s("LATENCY HISTORY fast-command"), "[]");

    let graph = r.cmd(&["LATENCY", "GRAPH", "command"]);
    let g = String::from_utf8_lossy(graph.as_bytes()).into_owned();
    let lines: Vec<&str> = g.lines().collect();
    assert!(lines[0].starts_with("command - high "), "{g}");
    assert!(lines[0].contains("ms (all time high "), "{g}");
    assert_eq!(lines[1], "-".repeat(80));
    assert_eq!(&lines[2..6], &[" ", " ", " ", "_"], "{g}");
    assert!(lines[6].chars().all(|c| c.is_ascii_digit()), "{g}");

    let doc = r.s("LATENCY DOCTOR");
    assert!(
        doc.contains("Dave, I have observed latency spikes in this Redis instance."),
        "{doc}"
    );
    assert!(
        doc.contains("1. command: 1 latency spikes (average "),
        "{doc}"
    );
    assert!(doc.contains("I have a few advices for you:"), "{doc}");

    assert_eq!(r.s("LATENCY RESET command nosuch"), ":1");
    assert_eq!(r.s("LATENCY LATEST"), "[]");
    // Threshold 0 disables the monitor.
    assert_eq!(r.s("CONFIG SET latency-monitor-threshold 0"), "+OK");
    assert_eq!(r.s("DEBUG SLEEP 0.01"), "+OK");
    assert_eq!(r.s("LATENCY LATEST"), "[]");
}

#[test]
fn latency_graph_and_doctor_are_verbatim_in_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG SET latency-monitor-threshold 1"), "+OK");
    assert_eq!(r.s("DEBUG SLEEP 0.01"), "+OK");
    assert!(r.s("HELLO 3").starts_with('{'));
    assert!(matches!(r.cmd(&["LATENCY", "GRAPH", "command"]), Frame::Verbatim(f, _) if f == "txt"));
    assert!(matches!(r.cmd(&["LATENCY", "DOCTOR"]), Frame::Verbatim(f, _) if f == "txt"));
    assert!(matches!(r.cmd(&["LOLWUT"]), Frame::Verbatim(f, _) if f == "txt"));
}

#[test]
fn histogram_and_latencystats() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("CONFIG RESETSTAT"), "+OK");
    for _ in 0..5 {
        assert_eq!(r.s("SET k v"), "+OK");
    }
    assert_eq!(r.s("GET k"), "\"v\"");
    let h = r.cmd(&["LATENCY", "HISTOGRAM", "set", "GET", "nosuch", "set"]);
    let pairs = h.items();
    assert_eq!(pairs.len(), 4, "{h}"); // RESP2 map: name, details, name, details
    assert_eq!(pairs[0].to_string(), "\"set\"");
    let d = pairs[1].items();
    assert_eq!(d[0].to_string(), "\"calls\"");
    assert_eq!(d[1].as_int(), 5);
    assert_eq!(d[2].to_string(), "\"histogram_usec\"");
    let buckets = d[3].items();
    assert!(
        !buckets.is_empty() && buckets.len().is_multiple_of(2),
        "{h}"
    );
    // Cumulative: the last count is the number of calls, counts never decrease.
    let counts: Vec<i64> = buckets
        .iter()
        .skip(1)
        .step_by(2)
        .map(|f| f.as_int())
        .collect();
    assert_eq!(*counts.last().unwrap(), 5);
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{h}");
    assert_eq!(pairs[2].to_string(), "\"get\"");
    // Without arguments: every command with calls, subcommands by their full name.
    let all = r.s("LATENCY HISTOGRAM");
    assert!(
        all.contains("\"set\"") && all.contains("\"config|resetstat\""),
        "{all}"
    );
    assert_eq!(r.s("LATENCY HISTOGRAM nosuch"), "[]");

    assert!(r.s("HELLO 3").starts_with('{'));
    let h3 = r.s("LATENCY HISTOGRAM get");
    assert!(
        h3.starts_with("{\"get\": {\"calls\": :1, \"histogram_usec\": {:"),
        "{h3}"
    );

    let info = r.cmd(&["INFO", "latencystats"]);
    let info = String::from_utf8_lossy(info.as_bytes()).into_owned();
    let line = info
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap_or_else(|| panic!("{info}"));
    let parts: Vec<&str> = line.split(':').nth(1).unwrap().split(',').collect();
    assert_eq!(parts.len(), 3, "{line}");
    assert!(
        parts[0].starts_with("p50=")
            && parts[1].starts_with("p99=")
            && parts[2].starts_with("p99.9="),
        "{line}"
    );
    for p in parts {
        let v: f64 = p.split('=').nth(1).unwrap().parse().unwrap();
        assert!(v >= 1.0, "{line}");
        assert_eq!(p.split('.').next_back().unwrap().len(), 3, "{line}");
    }
    assert_eq!(
        r.q(&[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "0 100"
        ]),
        "+OK"
    );
    let info = r.cmd(&["INFO", "latencystats"]);
    let info = String::from_utf8_lossy(info.as_bytes()).into_owned();
    assert!(info.contains("latency_percentiles_usec_set:p0="), "{info}");
    assert!(info.contains(",p100="), "{info}");
    // RESETSTAT clears the histograms; latency-tracking no stops recording.
    assert_eq!(r.s("CONFIG SET latency-tracking no"), "+OK");
    assert_eq!(r.s("CONFIG RESETSTAT"), "+OK");
    assert_eq!(r.s("SET k v"), "+OK");
    assert_eq!(r.s("LATENCY HISTOGRAM set"), "{}");
    let info = r.cmd(&["INFO", "latencystats"]);
    assert_eq!(
        String::from_utf8_lossy(info.as_bytes()),
        "# Latencystats\r\n"
    );
}

#[test]
fn lolwut_and_debug_error() {
    let s = Server::start();
    let mut r = s.raw();
    check(
        &mut r,
        &[
            ("LOLWUT", "\"Redis ver. 7.2.4\\n\""),
            ("LOLWUT VERSION 5", "\"Redis ver. 7.2.4\\n\""),
            ("LOLWUT 5 6 7 8", "\"Redis ver. 7.2.4\\n\""),
            (
                "LOLWUT VERSION x",
                "-ERR value is not an integer or out of range",
            ),
            ("LOLWUT VERSION", "\"Redis ver. 7.2.4\\n\""),
            ("DEBUG ERROR \"my error\"", "-my error"),
            ("DEBUG ERROR \"WRONGX foo bar\"", "-WRONGX foo bar"),
            (
                "DEBUG ERROR",
                "-ERR unknown subcommand or wrong number of arguments for 'ERROR'. Try DEBUG HELP.",
            ),
        ],
    );
    let info = r.s("INFO errorstats");
    assert!(info.contains("errorstat_WRONGX:count=1"), "{info}");
}
