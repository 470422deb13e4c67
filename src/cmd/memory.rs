//! MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP. Figures come from the counting
//! allocator (`security::memory`) and each entry's own size estimate.

use std::sync::atomic::Ordering::Relaxed;

use crate::error::{CmdResult, SYNTAX};

use super::ctx::Ctx;
use super::table::*;

pub static COMMANDS: &[Command] = &[Command::container("memory", -2, MEMORY_SUBS).acl(SLOW).doc(
    "server",
    "4.0.0",
    "Depends on subcommand.",
    "A container for memory diagnostics commands.",
)];

static MEMORY_SUBS: &[Command] = &[
    Command::new("doctor", 2, memory_doctor)
        .doc(
            "server",
            "4.0.0",
            "O(1)",
            "Outputs a memory problems report.",
        )
        .compat("Reports only an empty instance, no issue, or usage above maxmemory.")
        .tips(&[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ]),
    Command::new("help", 2, memory_help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "4.0.0",
            "O(1)",
            "Returns helpful text about the different subcommands.",
        ),
    Command::new("malloc-stats", 2, memory_malloc_stats)
        .doc(
            "server",
            "4.0.0",
            "Depends on how much memory is allocated, could be slow",
            "Returns the allocator statistics.",
        )
        .compat("A short summary of the counting allocator, not jemalloc's report.")
        .tips(&[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ]),
    Command::new("purge", 2, memory_purge)
        .doc(
            "server",
            "4.0.0",
            "Depends on how much memory is allocated, could be slow",
            "Asks the allocator to release memory.",
        )
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    Command::new("stats", 2, memory_stats)
        .doc(
            "server",
            "4.0.0",
            "O(1)",
            "Returns details about memory usage.",
        )
        .compat("Overhead and fragmentation figures are estimates; allocator.* mirror used memory and RSS.")
        .tips(&[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ]),
    Command::new("usage", -3, memory_usage)
        .flags(READONLY)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RO, 2)])
        .doc(
            "server",
            "4.0.0",
            "O(N) where N is the number of samples.",
            "Estimates the memory usage of a key.",
        )
        .syntax("key [SAMPLES count]")
        .compat("SAMPLES is validated but the size is computed from the whole value."),
];

fn memory_usage(ctx: &mut Ctx) -> CmdResult {
    let mut i = 3;
    while i < ctx.argc() {
        if ctx.is(i, "samples") && i + 1 < ctx.argc() {
            let n = ctx.int(i + 1)?;
            if n < 0 {
                return Err(SYNTAX);
            }
            i += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    match ctx.db.entry_info(ctx.arg(2)) {
        Some((_, _, _, bytes)) => ctx.out.int(bytes as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

fn memory_stats(ctx: &mut Ctx) -> CmdResult {
    let used = crate::security::used_memory();
    let peak = crate::security::memory::peak_memory();
    let rss = super::server::rss_bytes();
    let mut dbs = Vec::new();
    let mut keys = 0usize;
    for db in 0..ctx.srv.ks.databases {
        let (k, e) = ctx.srv.ks.counts(db);
        if k > 0 {
            dbs.push((db, k, e));
            keys += k;
        }
    }
    let frag = rss as f64 / used.max(1) as f64;
    ctx.out.map(23 + dbs.len());
    let pairs_int: [(&str, i64); 10] = [
        ("peak.allocated", peak as i64),
        ("total.allocated", used as i64),
        ("startup.allocated", 0),
        ("replication.backlog", 0),
        ("clients.slaves", 0),
        ("clients.normal", 0),
        ("cluster.links", 0),
        ("aof.buffer", 0),
        ("lua.caches", 0),
        ("functions.caches", 0),
    ];
    for (k, v) in pairs_int {
        ctx.out.bulk(k.as_bytes());
        ctx.out.int(v);
    }
    for (db, k, e) in &dbs {
        ctx.out.bulk(format!("db.{db}").as_bytes());
        ctx.out.map(2);
        ctx.out.bulk(b"overhead.hashtable.main");
        ctx.out.int((*k * 8) as i64);
        ctx.out.bulk(b"overhead.hashtable.expires");
        ctx.out.int((*e * 8) as i64);
    }
    ctx.out.bulk(b"overhead.total");
    ctx.out.int(0);
    ctx.out.bulk(b"keys.count");
    ctx.out.int(keys as i64);
    ctx.out.bulk(b"keys.bytes-per-key");
    ctx.out
        .int((used as usize).checked_div(keys).unwrap_or(0) as i64);
    ctx.out.bulk(b"dataset.bytes");
    ctx.out.int(used as i64);
    ctx.out.bulk(b"dataset.percentage");
    ctx.out.double(100.0);
    ctx.out.bulk(b"peak.percentage");
    ctx.out.double(used as f64 * 100.0 / peak.max(1) as f64);
    ctx.out.bulk(b"allocator.allocated");
    ctx.out.int(used as i64);
    ctx.out.bulk(b"allocator.active");
    ctx.out.int(used as i64);
    ctx.out.bulk(b"allocator.resident");
    ctx.out.int(rss as i64);
    ctx.out.bulk(b"allocator-fragmentation.ratio");
    ctx.out.double(1.0);
    ctx.out.bulk(b"allocator-fragmentation.bytes");
    ctx.out.int(0);
    ctx.out.bulk(b"fragmentation");
    ctx.out.double(frag);
    ctx.out.bulk(b"fragmentation.bytes");
    ctx.out.int(rss as i64 - used as i64);
    Ok(())
}

fn memory_doctor(ctx: &mut Ctx) -> CmdResult {
    let used = crate::security::used_memory();
    let max = ctx.srv.hot.maxmemory.load(Relaxed);
    let report = if used < 5 * 1024 * 1024 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.".to_string()
    } else if max > 0 && used > max {
        format!(
            "Sam, I detected a few issues in this Redis instance memory implants:\n\n * High memory usage: used memory ({used} bytes) is above maxmemory ({max} bytes); keys are being evicted or writes refused.\n\nI'm here to keep you safe, Sam. I want to help you.\n"
        )
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.".to_string()
    };
    ctx.out.verbatim(report.as_bytes(), "txt");
    Ok(())
}

fn memory_malloc_stats(ctx: &mut Ctx) -> CmdResult {
    let s = format!(
        "allocator: mimalloc (counted)\nallocated: {}\npeak: {}\n",
        crate::security::used_memory(),
        crate::security::memory::peak_memory()
    );
    ctx.out.verbatim(s.as_bytes(), "txt");
    Ok(())
}

fn memory_purge(ctx: &mut Ctx) -> CmdResult {
    // SAFETY: mi_collect has no preconditions.
    unsafe { libmimalloc_sys::mi_collect(true) };
    ctx.ok()
}

fn memory_help(ctx: &mut Ctx) -> CmdResult {
    let lines = [
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(lines.len());
    for l in lines {
        ctx.out.simple(l);
    }
    Ok(())
}
