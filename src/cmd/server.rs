//! Server commands: INFO, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, TIME, LASTSAVE, SLOWLOG, MONITOR,
//! DEBUG, SHUTDOWN.

use std::fmt::Write as _;
use std::sync::atomic::Ordering::*;

use super::connection::help_reply;
use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error, SYNTAX};
use crate::server::client;
use crate::server::cron::InstantMetrics;
use crate::util;

pub static COMMANDS: &[Command] = &[
    Command::new("info", -1, info)
        .flags(LOADING | STALE)
        .acl(DANGEROUS)
        .doc("server", "1.0.0", "O(1)", "Returns information and statistics about the server.")
        .syntax("[section [section ...]]")
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    Command::container("config", -2, CONFIG_SUBS)
        .acl(SLOW)
        .doc("server", "2.0.0", "Depends on subcommand.", "A container for server configuration commands."),
    Command::new("dbsize", 1, dbsize)
        .flags(READONLY | FAST | KS_ALL)
        .acl(KEYSPACE)
        .doc("server", "1.0.0", "O(1)", "Returns the number of keys in the database.")
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"]),
    Command::new("flushdb", -1, flushdb)
        .flags(WRITE | KS_ALL)
        .acl(KEYSPACE | DANGEROUS)
        .doc("server", "1.0.0", "O(N) where N is the number of keys in the selected database", "Remove all keys from the current database.")
        .syntax("[ASYNC | SYNC]")
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .compat("ASYNC frees the keys at once (there is no background free thread)."),
    Command::new("flushall", -1, flushall)
        .flags(WRITE | KS_ALL)
        .acl(KEYSPACE | DANGEROUS)
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Removes all keys from all databases.")
        .syntax("[ASYNC | SYNC]")
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .compat("ASYNC frees the keys at once (there is no background free thread)."),
    Command::new("time", 1, time)
        .flags(LOADING | STALE | FAST)
        .doc("server", "2.6.0", "O(1)", "Returns the server time.")
        .tips(&["nondeterministic_output"]),
    Command::new("lastsave", 1, lastsave)
        .flags(LOADING | STALE | FAST)
        .acl(ADMIN_CAT | DANGEROUS)
        .doc("server", "1.0.0", "O(1)", "Returns the Unix timestamp of the last successful save to disk.")
        .tips(&["nondeterministic_output"]),
    Command::container("slowlog", -2, SLOWLOG_SUBS)
        .acl(SLOW)
        .doc("server", "2.2.12", "Depends on subcommand.", "A container for slow log commands."),
    Command::new("monitor", 1, monitor)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc("server", "1.0.0", "", "Listens for all requests received by the server in real-time."),
    Command::new("shutdown", -1, shutdown)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY)
        .doc("server", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "Synchronously saves the database(s) to disk and shuts down the Redis server.")
        .syntax("[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]")
        .compat("NOW and FORCE are accepted and have no effect (there are no replicas to wait for)."),
    Command::new("debug", -2, super::debug::debug)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED | KS_ALL)
        .doc("server", "1.0.0", "Depends on subcommand.", "A container for debugging commands.")
        .syntax("subcommand [arg [arg ...]]")
        .compat("Subcommands: HELP, SLEEP, SET-ACTIVE-EXPIRE, OBJECT, PROTOCOL, LOG, RELOAD."),
];

static CONFIG_SUBS: &[Command] = &[
    Command::new("get", -3, config_get)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "2.0.0",
            "O(N) when N is the number of configuration parameters provided",
            "Returns the effective values of configuration parameters.",
        )
        .syntax("parameter [parameter ...]"),
    Command::new("set", -4, config_set)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "2.0.0",
            "O(N) when N is the number of configuration parameters provided",
            "Sets configuration parameters in-flight.",
        )
        .syntax("parameter value [parameter value ...]")
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    Command::new("resetstat", 2, config_resetstat)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc("server", "2.0.0", "O(1)", "Resets the server's statistics.")
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    Command::new("rewrite", 2, config_rewrite)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "2.8.0",
            "O(1)",
            "Persists the effective configuration to file.",
        )
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    Command::new("help", 2, config_help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "5.0.0",
            "O(1)",
            "Returns helpful text about the different subcommands.",
        ),
];

static SLOWLOG_SUBS: &[Command] = &[
    Command::new("get", -2, slowlog_get)
        .flags(ADMIN | LOADING | STALE)
        .doc(
            "server",
            "2.2.12",
            "O(N) where N is the number of entries returned",
            "Returns the slow log's entries.",
        )
        .syntax("[count]")
        .tips(&["request_policy:all_nodes", "nondeterministic_output"]),
    Command::new("len", 2, slowlog_len)
        .flags(ADMIN | LOADING | STALE)
        .doc(
            "server",
            "2.2.12",
            "O(1)",
            "Returns the number of entries in the slow log.",
        )
        .tips(&[
            "request_policy:all_nodes",
            "response_policy:agg_sum",
            "nondeterministic_output",
        ]),
    Command::new("reset", 2, slowlog_reset)
        .flags(ADMIN | LOADING | STALE)
        .doc(
            "server",
            "2.2.12",
            "O(N) where N is the number of entries in the slowlog",
            "Clears all entries from the slow log.",
        )
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    Command::new("help", 2, slowlog_help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "6.2.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

fn dbsize(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db.dbsize();
    ctx.out.int(n as i64);
    Ok(())
}

fn flush_mode(ctx: &Ctx) -> CmdResult {
    if ctx.argc() > 2 || (ctx.argc() == 2 && !ctx.is(1, "async") && !ctx.is(1, "sync")) {
        return Err(SYNTAX);
    }
    Ok(())
}

fn flushdb(ctx: &mut Ctx) -> CmdResult {
    flush_mode(ctx)?;
    let db = ctx.db.index;
    let n = ctx.db.flush_db(db);
    ctx.db.dirty(n as u64 + 1);
    ctx.ok()
}

fn flushall(ctx: &mut Ctx) -> CmdResult {
    flush_mode(ctx)?;
    let mut n = 0;
    for db in 0..ctx.srv.ks.databases {
        n += ctx.db.flush_db(db);
    }
    ctx.db.dirty(n as u64 + 1);
    crate::persist::after_flushall(ctx.srv);
    ctx.ok()
}

fn time(ctx: &mut Ctx) -> CmdResult {
    let us = util::now_us();
    ctx.out.array(2);
    ctx.out.bulk_int(us / 1_000_000);
    ctx.out.bulk_int(us % 1_000_000);
    Ok(())
}

fn lastsave(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.srv.lastsave.load(Relaxed));
    Ok(())
}

fn monitor(ctx: &mut Ctx) -> CmdResult {
    if ctx.mode & super::ctx::IN_MULTI != 0 {
        return Err(Error::err("MONITOR isn't allowed for DENY BLOCKING client"));
    }
    if !ctx.client.monitor {
        ctx.client.monitor = true;
        ctx.client.shared.set_flag(client::F_MONITOR, true);
        let mut m = ctx.srv.monitors.write();
        m.push(ctx.client.shared.clone());
        ctx.srv.monitor_count.store(m.len(), Relaxed);
    }
    ctx.ok()
}

fn shutdown(ctx: &mut Ctx) -> CmdResult {
    let mut save: Option<bool> = None;
    let mut abort = false;
    for i in 1..ctx.argc() {
        if ctx.is(i, "nosave") {
            save = Some(false);
        } else if ctx.is(i, "save") {
            save = Some(true);
        } else if ctx.is(i, "now") || ctx.is(i, "force") {
            // No replicas to wait for, and no failing save to force past here.
        } else if ctx.is(i, "abort") {
            abort = true;
        } else {
            return Err(SYNTAX);
        }
    }
    if abort {
        if ctx.argc() > 2 {
            return Err(SYNTAX);
        }
        return Err(Error::err("No shutdown in progress."));
    }
    if save != Some(false) && crate::server::dispatch::script_busy(ctx.srv) {
        // Redis: past busy-reply-threshold only SHUTDOWN NOSAVE goes through.
        return Err(crate::server::dispatch::busy_error());
    }
    if let Err(e) = crate::persist::shutdown_save(ctx.srv, save) {
        return Err(Error::err(format!(
            "Errors trying to SHUTDOWN. Check logs. ({e})"
        )));
    }
    ctx.srv.request_shutdown();
    ctx.client.close_after_reply = true;
    Ok(())
}

fn config_get(ctx: &mut Ctx) -> CmdResult {
    let pats: Vec<&[u8]> = ctx.args[2..].to_vec();
    let mut vals = ctx.srv.cfg.get_matching(&pats);
    for (name, v) in vals.iter_mut() {
        match name.to_ascii_lowercase().as_str() {
            "dir" => {
                if let Ok(d) = std::env::current_dir() {
                    *v = d.to_string_lossy().into_owned();
                }
            }
            "notify-keyspace-events" => {
                *v = crate::server::notify::flags_to_string(
                    crate::server::notify::parse_flags(v).unwrap_or(0),
                );
            }
            "io-threads" if v == "0" => {
                *v = ctx.srv.workers.get().map_or(1, |w| w.len()).to_string();
            }
            _ => {}
        }
    }
    ctx.out.map(vals.len());
    for (k, v) in vals {
        ctx.out.bulk(k.as_bytes());
        ctx.out.bulk(v.as_bytes());
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx) -> CmdResult {
    if !ctx.argc().is_multiple_of(2) {
        return Err(SYNTAX);
    }
    let mut pairs = Vec::new();
    let mut i = 2;
    while i < ctx.argc() {
        pairs.push((
            String::from_utf8_lossy(ctx.arg(i)).into_owned(),
            String::from_utf8_lossy(ctx.arg(i + 1)).into_owned(),
        ));
        i += 2;
    }
    ctx.srv.cfg.set_many(&pairs).map_err(Error::raw)?;
    ctx.ok()
}

fn config_resetstat(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.stats.reset();
    if let Some(all) = ctx.srv.thread_stats.get() {
        for s in all {
            s.reset();
        }
    }
    {
        let mut sl = ctx.srv.slowlog.lock();
        sl.entries.clear();
    }
    ctx.ok()
}

fn config_rewrite(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.cfg.rewrite().map_err(Error::raw)?;
    ctx.ok()
}

fn config_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )
}

fn slowlog_get(ctx: &mut Ctx) -> CmdResult {
    let count = if ctx.argc() == 3 {
        let n = ctx.int_with(2, Error::err("count should be greater than or equal to -1"))?;
        if n < -1 {
            return Err(Error::err("count should be greater than or equal to -1"));
        }
        if n == -1 { usize::MAX } else { n as usize }
    } else if ctx.argc() > 3 {
        return Err(Error::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try SLOWLOG HELP.",
            String::from_utf8_lossy(ctx.arg(1))
        )));
    } else {
        10
    };
    let sl = ctx.srv.slowlog.lock();
    let n = sl.entries.len().min(count);
    ctx.out.array(n);
    for e in sl.entries.iter().take(n) {
        ctx.out.array(6);
        ctx.out.int(e.id as i64);
        ctx.out.int(e.time);
        ctx.out.int(e.duration_us as i64);
        ctx.out.array(e.args.len());
        for a in &e.args {
            ctx.out.bulk(a);
        }
        ctx.out.bulk(e.addr.as_bytes());
        ctx.out.bulk(&e.name);
    }
    Ok(())
}

fn slowlog_len(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.srv.slowlog.lock().entries.len();
    ctx.out.int(n as i64);
    Ok(())
}

fn slowlog_reset(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.slowlog.lock().entries.clear();
    ctx.ok()
}

fn slowlog_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    )
}

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];
const ALL_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

fn info(ctx: &mut Ctx) -> CmdResult {
    let mut wanted: Vec<String> = Vec::new();
    for a in &ctx.args[1..] {
        let s = String::from_utf8_lossy(a).to_ascii_lowercase();
        match s.as_str() {
            "default" => wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string())),
            "all" | "everything" => wanted.extend(ALL_SECTIONS.iter().map(|s| s.to_string())),
            _ => wanted.push(s),
        }
    }
    if wanted.is_empty() {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
    }
    let text = info_text(ctx, &wanted);
    ctx.out.verbatim(text.as_bytes(), "txt");
    Ok(())
}

/// Builds the INFO text for the given (lowercase) section names, in Redis's section order.
pub fn info_text(ctx: &mut Ctx, wanted: &[String]) -> String {
    let mut out = String::new();
    let want = |s: &str| wanted.iter().any(|w| w == s);
    let srv = ctx.srv;
    let all_stats = srv.thread_stats.get().cloned().unwrap_or_default();
    let sum = |f: &dyn Fn(&crate::server::stats::ThreadStats) -> u64| -> u64 {
        all_stats.iter().map(|s| f(s)).sum()
    };
    let mut section = |name: &str, body: String| {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let _ = write!(out, "# {name}\r\n{body}");
    };
    let uptime = srv.started.elapsed().as_secs();
    if want("server") {
        let mut b = String::new();
        let port = srv.local_addr.get().map_or(0, |a| a.port());
        let _ = write!(
            b,
            "redis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:{}\r\nlistener0:name=tcp,bind={},port={}\r\npilgrim_version:{}\r\n",
            crate::REDIS_VERSION,
            std::env::consts::OS,
            std::process::id(),
            srv.run_id,
            port,
            util::now_us(),
            uptime,
            uptime / 86400,
            srv.hot.hz.load(Relaxed),
            srv.hot.hz.load(Relaxed),
            srv.lru_clock.load(Relaxed),
            srv.executable,
            srv.cfg.file.clone().unwrap_or_default(),
            if srv.workers.get().map_or(1, |w| w.len()) > 1 {
                1
            } else {
                0
            },
            srv.cfg.get("bind").replace(' ', ","),
            port,
            crate::VERSION,
        );
        section("Server", b);
    }
    if want("clients") {
        let clients = srv.clients.read().len();
        let pubsub = srv
            .clients
            .read()
            .values()
            .filter(|c| c.has_flag(client::F_PUBSUB))
            .count();
        let b = format!(
            "connected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:{}\r\ntracking_clients:{}\r\npubsub_clients:{}\r\nwatching_clients:{}\r\nclients_in_timeout_table:{}\r\ntotal_watched_keys:{}\r\ntotal_blocking_keys:{}\r\ntotal_blocking_keys_on_nokey:0\r\n",
            clients,
            srv.hot.maxclients.load(Relaxed),
            srv.blocked_clients.load(Relaxed),
            srv.tracking.tracking_clients(),
            pubsub,
            srv.clients
                .read()
                .values()
                .filter(|c| c.watching.load(Relaxed) > 0)
                .count(),
            srv.blocked_clients.load(Relaxed),
            srv.clients
                .read()
                .values()
                .map(|c| c.watching.load(Relaxed))
                .sum::<usize>(),
            srv.blocked_clients.load(Relaxed),
        );
        section("Clients", b);
    }
    if want("memory") {
        let used = crate::security::used_memory();
        let peak = crate::security::memory::peak_memory();
        let rss = rss_bytes();
        let max = srv.hot.maxmemory.load(Relaxed);
        let nscripts = srv.scripting.cached.load(Relaxed);
        let (nlibs, nfuncs) = *srv.scripting.fn_counts.lock();
        let frag = if used > 0 {
            rss as f64 / used as f64
        } else {
            0.0
        };
        let b = format!(
            "used_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:0\r\nused_memory_startup:0\r\nused_memory_dataset:{used}\r\nused_memory_dataset_perc:100.00%\r\nallocator_allocated:{used}\r\nallocator_active:{used}\r\nallocator_resident:{rss}\r\ntotal_system_memory:{}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:31744\r\nused_memory_vm_eval:31744\r\nused_memory_lua_human:31.00K\r\nused_memory_scripts_eval:0\r\nnumber_of_cached_scripts:{nscripts}\r\nnumber_of_functions:{nfuncs}\r\nnumber_of_libraries:{nlibs}\r\nused_memory_vm_functions:32768\r\nused_memory_vm_total:64512\r\nused_memory_vm_total_human:63.00K\r\nused_memory_functions:184\r\nused_memory_scripts:184\r\nused_memory_scripts_human:184B\r\nmaxmemory:{max}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nallocator_frag_ratio:1.00\r\nallocator_frag_bytes:0\r\nallocator_rss_ratio:1.00\r\nallocator_rss_bytes:0\r\nrss_overhead_ratio:1.00\r\nrss_overhead_bytes:0\r\nmem_fragmentation_ratio:{frag:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\nmem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\nmem_clients_normal:0\r\nmem_cluster_links:0\r\nmem_aof_buffer:0\r\nmem_allocator:mimalloc\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:0\r\nlazyfreed_objects:0\r\n",
            human(used),
            human(rss),
            human(peak),
            used as f64 * 100.0 / peak.max(1) as f64,
            total_memory(),
            human(total_memory()),
            human(max),
            srv.cfg.get("maxmemory-policy"),
            rss as i64 - used as i64,
        );
        section("Memory", b);
    }
    if want("persistence") {
        section("Persistence", crate::persist::info_section(srv));
    }
    if want("stats") {
        let st = &srv.stats;
        let m = srv.instantaneous.lock();
        let (ch, pat, sch) = srv.pubsub.sizes();
        let b = format!(
            "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:{:.2}\r\ninstantaneous_output_kbps:{:.2}\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\nexpired_keys:{}\r\nexpired_stale_perc:0.00\r\nexpired_time_cap_reached_count:{}\r\nexpire_cycle_cpu_milliseconds:{}\r\nevicted_keys:{}\r\nevicted_clients:{}\r\ntotal_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\ntracking_total_prefixes:0\r\nunexpected_error_replies:0\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nclient_query_buffer_limit_disconnections:{}\r\nclient_output_buffer_limit_disconnections:{}\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\neventloop_cycles:0\r\neventloop_duration_sum:0\r\neventloop_duration_cmd_sum:0\r\ninstantaneous_eventloop_cycles_per_sec:0\r\ninstantaneous_eventloop_duration_usec:0\r\nacl_access_denied_auth:{}\r\nacl_access_denied_cmd:{}\r\nacl_access_denied_key:{}\r\nacl_access_denied_channel:{}\r\n",
            st.total_connections_received.load(Relaxed),
            sum(&|s| s.commands_processed.load(Relaxed)),
            InstantMetrics::mean(&m.ops_per_sec) as u64,
            sum(&|s| s.net_input_bytes.load(Relaxed)),
            sum(&|s| s.net_output_bytes.load(Relaxed)),
            InstantMetrics::mean(&m.in_kbps),
            InstantMetrics::mean(&m.out_kbps),
            st.rejected_connections.load(Relaxed),
            st.expired_keys.load(Relaxed),
            st.expired_time_cap_reached_count.load(Relaxed),
            st.expire_cycle_cpu_milliseconds.load(Relaxed),
            st.evicted_keys.load(Relaxed),
            st.evicted_clients.load(Relaxed),
            sum(&|s| s.keyspace_hits.load(Relaxed)),
            sum(&|s| s.keyspace_misses.load(Relaxed)),
            ch,
            pat,
            sch,
            sum(&|s| s.total_error_replies.load(Relaxed)),
            st.total_reads_processed.load(Relaxed),
            st.total_writes_processed.load(Relaxed),
            st.client_qbuf_limit_disconnections.load(Relaxed),
            st.client_output_buffer_limit_disconnections.load(Relaxed),
            crate::security::acl_denied_stat(srv, 0),
            crate::security::acl_denied_stat(srv, 1),
            crate::security::acl_denied_stat(srv, 2),
            crate::security::acl_denied_stat(srv, 3),
        );
        drop(m);
        let (tk, ti, tp) = srv.tracking.totals();
        let b = b.replace(
            "tracking_total_keys:0\r\ntracking_total_items:0\r\ntracking_total_prefixes:0\r\n",
            &format!("tracking_total_keys:{tk}\r\ntracking_total_items:{ti}\r\ntracking_total_prefixes:{tp}\r\n"),
        );
        section("Stats", b);
    }
    if want("replication") {
        section(
            "Replication",
            format!(
                "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
                srv.run_id
            ),
        );
    }
    if want("cpu") {
        let (su, uu) = rusage(libc::RUSAGE_SELF);
        let (sc, uc) = rusage(libc::RUSAGE_CHILDREN);
        section(
            "CPU",
            format!(
                "used_cpu_sys:{su:.6}\r\nused_cpu_user:{uu:.6}\r\nused_cpu_sys_children:{sc:.6}\r\nused_cpu_user_children:{uc:.6}\r\nused_cpu_sys_main_thread:{su:.6}\r\nused_cpu_user_main_thread:{uu:.6}\r\n"
            ),
        );
    }
    if want("modules") {
        section("Modules", String::new());
    }
    if want("commandstats") {
        let mut b = String::new();
        for (id, e) in srv.commands.all.iter().enumerate() {
            let calls = sum(&|s| s.cmds[id].calls.load(Relaxed));
            let rejected = sum(&|s| s.cmds[id].rejected.load(Relaxed));
            let failed = sum(&|s| s.cmds[id].failed.load(Relaxed));
            if calls == 0 && rejected == 0 && failed == 0 {
                continue;
            }
            let usec = sum(&|s| s.cmds[id].usec.load(Relaxed));
            let per = if calls > 0 {
                usec as f64 / calls as f64
            } else {
                0.0
            };
            let _ = write!(
                b,
                "cmdstat_{}:calls={calls},usec={usec},usec_per_call={per:.2},rejected_calls={rejected},failed_calls={failed}\r\n",
                e.full_name
            );
        }
        section("Commandstats", b);
    }
    if want("errorstats") {
        let mut agg: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
        for s in all_stats.iter() {
            for (k, v) in s.errors.lock().iter() {
                *agg.entry(k.clone()).or_default() += v;
            }
        }
        let mut b = String::new();
        for (k, v) in agg {
            let _ = write!(b, "errorstat_{k}:count={v}\r\n");
        }
        section("Errorstats", b);
    }
    if want("latencystats") {
        section("Latencystats", super::latency::info_latencystats(srv));
    }
    if want("cluster") {
        section("Cluster", "cluster_enabled:0\r\n".into());
    }
    if want("keyspace") {
        let mut b = String::new();
        for db in 0..srv.ks.databases {
            let keys = if ctx.db.locks.is_all() {
                (ctx.db.dbsize_of(db), ctx.db.expires_count(db))
            } else {
                srv.ks.counts(db)
            };
            if keys.0 > 0 {
                let _ = write!(b, "db{db}:keys={},expires={},avg_ttl=0\r\n", keys.0, keys.1);
            }
        }
        section("Keyspace", b);
    }
    out
}

fn rusage(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage fills the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_stime), t(ru.ru_utime))
}

/// Resident set size of this process in bytes.
pub fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

fn total_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) as u64 * libc::sysconf(libc::_SC_PAGESIZE) as u64 }
}

/// Human-readable byte count as Redis prints it (bytesToHuman).
pub fn human(n: u64) -> String {
    let d = n as f64;
    if n < 1024 {
        format!("{n}B")
    } else if n < 1024 * 1024 {
        format!("{:.2}K", d / 1024.0)
    } else if n < 1024 * 1024 * 1024 {
        format!("{:.2}M", d / 1048576.0)
    } else if n < 1024u64.pow(4) {
        format!("{:.2}G", d / 1073741824.0)
    } else if n < 1024u64.pow(5) {
        format!("{:.2}T", d / 1099511627776.0)
    } else {
        format!("{:.2}P", d / 1125899906842624.0)
    }
}
