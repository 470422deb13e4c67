//! LATENCY (LATEST, HISTORY, RESET, GRAPH, DOCTOR, HISTOGRAM, HELP), LOLWUT and the
//! `# Latencystats` section of INFO. The data is collected in [`crate::server::latency`].

use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

use super::connection::help_reply;
use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error};
use crate::server::Server;
use crate::server::latency::{Histogram, TimeSeries};

const SUB: u64 = ADMIN | NOSCRIPT | LOADING | STALE | KS_NONE;
const G: &str = "server";
const TIPS: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_nodes",
    "response_policy:special",
];

static LATENCY_SUBS: &[Command] = &[
    Command::new("doctor", 2, latency_doctor)
        .flags(SUB)
        .doc(G, "2.8.13", "O(1)", "Returns a human-readable latency analysis report.")
        .tips(TIPS)
        .compat("The report lists the same per-event statistics as Redis; its advice section is shorter."),
    Command::new("graph", 3, latency_graph)
        .flags(SUB)
        .doc(G, "2.8.13", "O(1)", "Returns a latency graph for an event.")
        .syntax("event")
        .tips(TIPS),
    Command::new("help", 2, latency_help)
        .flags(LOADING | STALE | KS_NONE)
        .doc(G, "2.8.13", "O(1)", "Returns helpful text about the different subcommands."),
    Command::new("histogram", -2, latency_histogram)
        .flags(SUB)
        .doc(G, "7.0.0", "O(N) where N is the number of commands with latency information being retrieved.", "Returns the cumulative distribution of latencies of a subset or all commands.")
        .syntax("[command [command ...]]")
        .tips(TIPS),
    Command::new("history", 3, latency_history)
        .flags(SUB)
        .doc(G, "2.8.13", "O(1)", "Returns timestamp-latency samples for an event.")
        .syntax("event")
        .tips(TIPS),
    Command::new("latest", 2, latency_latest)
        .flags(SUB)
        .doc(G, "2.8.13", "O(1)", "Returns the latest latency samples for all events.")
        .tips(TIPS),
    Command::new("reset", -2, latency_reset)
        .flags(SUB)
        .doc(G, "2.8.13", "O(1)", "Resets the latency data for one or more events.")
        .syntax("[event [event ...]]")
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
];

pub static COMMANDS: &[Command] = &[
    Command::container("latency", -2, LATENCY_SUBS)
        .doc(G, "2.8.13", "Depends on subcommand.", "A container for latency diagnostics commands."),
    Command::new("lolwut", -1, lolwut)
        .flags(READONLY | FAST | KS_NONE)
        .doc(G, "5.0.0", "O(1)", "Displays computer art and the Redis version")
        .syntax("[VERSION version]")
        .compat("Every version prints the version line only (Redis 7.2's default); the generative art of versions 5 and 6 is not drawn."),
];

fn latency_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    )
}

fn latency_latest(ctx: &mut Ctx) -> CmdResult {
    let ev = ctx.srv.latency.events.lock();
    ctx.out.array(ev.len());
    for (name, ts) in ev.iter() {
        let last = ts.latest();
        ctx.out.array(4);
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(last.time);
        ctx.out.int(last.latency as i64);
        ctx.out.int(ts.max as i64);
    }
    Ok(())
}

fn latency_history(ctx: &mut Ctx) -> CmdResult {
    let ev = ctx.srv.latency.events.lock();
    let name = ctx.arg(2);
    match ev.iter().find(|(n, _)| n.as_bytes() == name) {
        None => ctx.out.array(0),
        Some((_, ts)) => {
            let samples = ts.ordered();
            ctx.out.array(samples.len());
            for s in samples {
                ctx.out.array(2);
                ctx.out.int(s.time);
                ctx.out.int(s.latency as i64);
            }
        }
    }
    Ok(())
}

fn latency_reset(ctx: &mut Ctx) -> CmdResult {
    let mut ev = ctx.srv.latency.events.lock();
    let n = if ctx.argc() == 2 {
        let n = ev.len();
        ev.clear();
        n
    } else {
        let mut n = 0;
        for i in 2..ctx.argc() {
            let name = ctx.arg(i);
            if let Some(p) = ev.iter().position(|(e, _)| e.as_bytes() == name) {
                ev.remove(p);
                n += 1;
            }
        }
        n
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn latency_graph(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.arg(2);
    let graph = {
        let ev = ctx.srv.latency.events.lock();
        match ev.iter().find(|(n, _)| n.as_bytes() == name) {
            Some((n, ts)) => sparkline_graph(n, ts),
            None => {
                return Err(Error::err(format!(
                    "No samples available for event '{}'",
                    String::from_utf8_lossy(name)
                )));
            }
        }
    };
    ctx.out.verbatim(graph.as_bytes(), "txt");
    Ok(())
}

/// Redis's `latencyCommandGenSparkeline`: a header, a rule, a 4-row sparkline of the samples
/// (filled style) and under each column its age label.
fn sparkline_graph(event: &str, ts: &TimeSeries) -> String {
    let now = crate::util::now_ms() / 1000;
    let samples = ts.ordered();
    let (mut min, mut max) = (0u64, 0u64);
    let mut seq: Vec<(f64, String)> = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        if i == 0 {
            min = s.latency;
            max = s.latency;
        } else {
            max = max.max(s.latency);
            min = min.min(s.latency);
        }
        let elapsed = now - s.time;
        let label = if elapsed < 60 {
            format!("{elapsed}s")
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 86400 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / 86400)
        };
        seq.push((s.latency as f64, label));
    }
    let mut g = format!(
        "{event} - high {max} ms, low {min} ms (all time high {} ms)\n",
        ts.max
    );
    g.push_str(&"-".repeat(80));
    g.push('\n');
    let smin = seq.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    let smax = seq.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
    let mut j = 0;
    while j < seq.len() {
        let len = (seq.len() - j).min(80);
        if j != 0 {
            g.push('\n');
        }
        render_range(&mut g, &seq[j..j + len], smin, smax, 4);
        j += 80;
    }
    g
}

fn render_range(out: &mut String, seq: &[(f64, String)], min: f64, max: f64, rows: i64) {
    const FILL: &[u8] = b"_o#";
    let charset_len = FILL.len() as i64;
    let mut relmax = max - min;
    if relmax == 0.0 {
        relmax = 1.0;
    }
    let steps = charset_len * rows;
    let mut row = 0i64;
    loop {
        let mut any = false;
        let mut chars = vec![b' '; seq.len()];
        for (j, (v, label)) in seq.iter().enumerate() {
            let relval = v - min;
            let step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
            let step = step.clamp(0, steps - 1);
            if row < rows {
                let idx = step - (rows - row - 1) * charset_len;
                any = true;
                if (0..charset_len).contains(&idx) {
                    chars[j] = FILL[idx as usize];
                } else if idx >= charset_len {
                    chars[j] = b'|';
                }
            } else if ((row - rows) as usize) < label.len() {
                any = true;
                chars[j] = label.as_bytes()[(row - rows) as usize];
            }
        }
        if !any {
            break;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&chars));
        out.push('\n');
    }
}

fn latency_doctor(ctx: &mut Ctx) -> CmdResult {
    let report = doctor_report(ctx.srv);
    ctx.out.verbatim(report.as_bytes(), "txt");
    Ok(())
}

fn doctor_report(srv: &Server) -> String {
    let threshold = srv.hot.latency_monitor_threshold.load(Relaxed);
    let ev = srv.latency.events.lock();
    if ev.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let mut r = String::new();
    let now = crate::util::now_ms() / 1000;
    let mut advise_slowlog = false;
    let mut advise_scheduler = false;
    for (i, (name, ts)) in ev.iter().enumerate() {
        if i == 0 {
            r.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let samples = ts.ordered();
        let n = samples.len() as u64;
        let sum: u64 = samples.iter().map(|s| s.latency).sum();
        let oldest = samples.iter().map(|s| s.time).min().unwrap_or(now);
        let avg = sum.checked_div(n).unwrap_or(0);
        let mut period = if n > 0 { now - oldest } else { 0 };
        if n > 0 && period == 0 {
            period = 1;
        }
        let mad = samples
            .iter()
            .map(|s| (avg as i64 - s.latency as i64).unsigned_abs())
            .sum::<u64>()
            .checked_div(n)
            .unwrap_or(0);
        let _ = write!(
            r,
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            i + 1,
            name,
            n,
            avg,
            mad,
            period as f64 / n.max(1) as f64,
            ts.max
        );
        r.push('\n');
        match name.as_str() {
            "command" => advise_slowlog = true,
            "fast-command" => advise_scheduler = true,
            _ => {}
        }
    }
    if ev.is_empty() {
        r.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
    } else if !advise_slowlog && !advise_scheduler {
        r.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
    } else {
        r.push_str("\nI have a few advices for you:\n\n");
        if advise_slowlog {
            r.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
            r.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }
        if advise_scheduler {
            r.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        }
    }
    r
}

/// Summed histogram of command `id` over every thread (None if it was never recorded).
fn command_histogram(srv: &Server, id: usize) -> Option<Vec<u64>> {
    let mut sum = None;
    for ts in srv.thread_stats.get()?.iter() {
        ts.cmds[id].hist.add_to(&mut sum);
    }
    sum.filter(|v| v.iter().any(|c| *c > 0))
}

fn write_cdf(ctx: &mut Ctx, counts: &[u64]) {
    let h = Histogram(counts);
    ctx.out.map(2);
    ctx.out.bulk(b"calls");
    ctx.out.int(h.total() as i64);
    ctx.out.bulk(b"histogram_usec");
    let buckets = h.log_buckets();
    ctx.out.map(buckets.len());
    for (us, cum) in buckets {
        ctx.out.int(us);
        ctx.out.int(cum as i64);
    }
}

fn latency_histogram(ctx: &mut Ctx) -> CmdResult {
    let srv = ctx.srv;
    let mut found: Vec<(String, Vec<u64>)> = Vec::new();
    if ctx.argc() == 2 {
        for (id, e) in srv.commands.all.iter().enumerate() {
            if e.cmd.is_container() {
                continue;
            }
            if let Some(h) = command_histogram(srv, id) {
                found.push((e.full_name.clone(), h));
            }
        }
    } else {
        for i in 2..ctx.argc() {
            let name = String::from_utf8_lossy(ctx.arg(i)).to_ascii_lowercase();
            let Some(id) = srv.commands.all.iter().position(|e| e.full_name == name) else {
                continue;
            };
            if found.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Some(h) = command_histogram(srv, id) {
                found.push((name, h));
            }
        }
    }
    ctx.out.map(found.len());
    for (name, h) in found {
        ctx.out.bulk(name.as_bytes());
        write_cdf(ctx, &h);
    }
    Ok(())
}

/// The body of INFO's `# Latencystats` section.
pub fn info_latencystats(srv: &Server) -> String {
    let mut out = String::new();
    let percentiles: Vec<f64> = srv
        .cfg
        .get("latency-tracking-info-percentiles")
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    if !srv.latency.tracking.load(Relaxed) {
        return out;
    }
    for (id, e) in srv.commands.all.iter().enumerate() {
        if e.cmd.is_container() {
            continue;
        }
        let Some(h) = command_histogram(srv, id) else {
            continue;
        };
        let h = Histogram(&h);
        let _ = write!(out, "latency_percentiles_usec_{}:", e.full_name);
        for (j, p) in percentiles.iter().enumerate() {
            let v = h.value_at_percentile(*p) as f64 / 1000.0;
            let _ = write!(out, "p{}={:.3}", trim_double(*p), v);
            if j + 1 != percentiles.len() {
                out.push(',');
            }
        }
        out.push_str("\r\n");
    }
    out
}

/// `%f` with trailing zeros (and a trailing point) removed, as Redis's trimDoubleString.
fn trim_double(p: f64) -> String {
    let s = format!("{p:.6}");
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}

fn lolwut(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() >= 3 && ctx.is(1, "version") {
        ctx.int(2)?;
    }
    let v = crate::REDIS_VERSION;
    ctx.out
        .verbatim(format!("Redis ver. {v}\n").as_bytes(), "txt");
    Ok(())
}
