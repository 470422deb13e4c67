//! Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, DUMP, RESTORE.
//!
//! SAVE and BGSAVE lock every shard (`KS_ALL`): SAVE writes the snapshot while holding them,
//! BGSAVE only marks the snapshot point and lets a background thread (and, shard by shard,
//! the first command touching a shard) do the work; see `persist/snapshot.rs`.

use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error, SYNTAX};
use crate::persist::{self, BgsaveRefusal, aof::RewriteRefusal, rdb};
use crate::server::notify;

pub static COMMANDS: &[Command] = &[
    Command::new("save", 1, save)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI | KS_ALL)
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Synchronously saves the database(s) to disk.")
        .tips(&["nondeterministic_output"]),
    Command::new("bgsave", -1, bgsave)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | KS_ALL)
        .doc("server", "1.0.0", "O(1)", "Asynchronously saves the database(s) to disk.")
        .syntax("[SCHEDULE]")
        .tips(&["nondeterministic_output"]),
    Command::new("bgrewriteaof", 1, bgrewriteaof)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | KS_ALL)
        .doc("server", "1.0.0", "O(1)", "Asynchronously rewrites the append-only file to disk.")
        .tips(&["nondeterministic_output"]),
    Command::new("dump", 2, dump)
        .flags(READONLY)
        .acl(KEYSPACE)
        .keys(&[key_at(K_RO | K_ACCESS, 1)])
        .doc("generic", "2.6.0", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "Returns a serialized representation of the value stored at a key.")
        .syntax("key")
        .tips(&["nondeterministic_output"]),
    Command::new("restore", -4, restore)
        .flags(WRITE | DENYOOM)
        .acl(KEYSPACE | DANGEROUS)
        .keys(&[key_at(K_OW | K_UPDATE, 1)])
        .doc("generic", "2.6.0", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", "Creates a key from the serialized representation of a value.")
        .syntax("key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"),
];

fn save(ctx: &mut Ctx) -> CmdResult {
    if ctx
        .srv
        .persist
        .bgsave_in_progress
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return Err(Error::err("Background save already in progress"));
    }
    match persist::save_now(ctx.srv, &mut ctx.db.locks) {
        Ok(()) => ctx.ok(),
        Err(_) => Err(Error::lit("ERR")),
    }
}

fn bgsave(ctx: &mut Ctx) -> CmdResult {
    let schedule = match ctx.argc() {
        1 => false,
        2 if ctx.is(1, "schedule") => true,
        _ => return Err(SYNTAX),
    };
    match persist::bgsave_start(ctx.srv, &mut ctx.db.locks) {
        Ok(()) => {
            ctx.out.simple("Background saving started");
            Ok(())
        }
        Err(BgsaveRefusal::InProgress) => {
            if schedule {
                // Redis answers "already in progress" too when a BGSAVE (not an AOF rewrite)
                // is what runs.
            }
            Err(Error::err("Background save already in progress"))
        }
        Err(BgsaveRefusal::RewriteInProgress) => {
            if schedule {
                ctx.srv
                    .persist
                    .bgsave_scheduled
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                ctx.out.simple("Background saving scheduled");
                Ok(())
            } else {
                Err(Error::err(
                    "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
                ))
            }
        }
    }
}

fn bgrewriteaof(ctx: &mut Ctx) -> CmdResult {
    let locks = &ctx.db.locks;
    match persist::aof::start_rewrite(ctx.srv, Some(locks)) {
        Ok(()) => {
            ctx.out
                .simple("Background append only file rewriting started");
            Ok(())
        }
        Err(RewriteRefusal::InProgress) => Err(Error::err(
            "Background append only file rewriting already in progress",
        )),
        Err(RewriteRefusal::Scheduled) => {
            ctx.out
                .simple("Background append only file rewriting scheduled");
            Ok(())
        }
        Err(RewriteRefusal::Failed(_)) => Err(Error::err(
            "Can't execute an AOF background rewriting. Please check the server logs for more information.",
        )),
    }
}

fn dump(ctx: &mut Ctx) -> CmdResult {
    let compress = ctx.srv.cfg.get_bool("rdbcompression");
    let payload = ctx
        .db
        .get(ctx.arg(1))
        .map(|v| rdb::dump_payload(&v, compress));
    match payload {
        Some(p) => ctx.out.bulk(&p),
        None => ctx.out.null(),
    }
    Ok(())
}

fn restore(ctx: &mut Ctx) -> CmdResult {
    let mut replace = false;
    let mut absttl = false;
    let mut idle: Option<i64> = None;
    let mut freq: Option<i64> = None;
    let mut j = 4;
    while j < ctx.argc() {
        let more = ctx.argc() - j - 1;
        if ctx.is(j, "replace") {
            replace = true;
        } else if ctx.is(j, "absttl") {
            absttl = true;
        } else if ctx.is(j, "idletime") && more >= 1 && freq.is_none() {
            let v = ctx.int(j + 1)?;
            if v < 0 {
                return Err(Error::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if ctx.is(j, "freq") && more >= 1 && idle.is_none() {
            let v = ctx.int(j + 1)?;
            if !(0..=255).contains(&v) {
                return Err(Error::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let key = ctx.arg(1);
    if !replace && ctx.db.contains(key) {
        return Err(Error::lit("BUSYKEY Target key name already exists."));
    }
    let mut ttl = ctx.int(2)?;
    if ttl < 0 {
        return Err(Error::err("Invalid TTL value, must be >= 0"));
    }
    let Some(body) = rdb::verify_payload(ctx.arg(3)) else {
        return Err(Error::err("DUMP payload version or checksum are wrong"));
    };
    let value = match rdb::load_payload_lenient(body) {
        Ok(v) => v,
        Err(_) => return Err(Error::err("Bad data format")),
    };
    let deleted = replace && ctx.db.delete(key);
    if ttl > 0 && !absttl {
        ttl += ctx.db.now;
    }
    if ttl > 0 && ttl <= ctx.db.now && ctx.mode & super::ctx::LOADING == 0 {
        if deleted {
            ctx.db.touch(key);
            ctx.db.notify(notify::GENERIC, "del", key);
            ctx.db.dirty(1);
            ctx.db.propagate_as(vec![b"DEL".to_vec(), key.to_vec()]);
        }
        return ctx.ok();
    }
    ctx.db
        .add_with_expire(key, value, if ttl > 0 { Some(ttl) } else { None });
    if ttl > 0 && !absttl {
        let mut argv: Vec<Vec<u8>> = ctx.args.iter().map(|a| a.to_vec()).collect();
        argv[2] = ttl.to_string().into_bytes();
        argv.push(b"ABSTTL".to_vec());
        ctx.db.propagate_as(argv);
    }
    // LRU / LFU from IDLETIME / FREQ (only meaningful under the matching maxmemory policy).
    if ctx.srv.lfu_policy() {
        if let Some(f) = freq {
            let minutes = ((crate::util::now_ms() / 1000 / 60) as u32) & 65535;
            ctx.db.set_lru_field(key, (minutes << 8) | f as u32);
        }
    } else if let Some(secs) = idle {
        ctx.srv.refresh_lru_clock();
        let clock = ctx.srv.lru_clock.load(std::sync::atomic::Ordering::Relaxed);
        let max = crate::server::LRU_CLOCK_MAX;
        let idle_secs = (secs as u64).min(max as u64) as u32;
        let v = if idle_secs <= clock {
            clock - idle_secs
        } else {
            max - (idle_secs - clock)
        };
        ctx.db.set_lru_field(key, v);
    }
    ctx.db.touch(key);
    ctx.db.notify(notify::GENERIC, "restore", key);
    ctx.db.dirty(1);
    ctx.ok()
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty every database, load the snapshot
/// back. DEBUG holds every shard lock.
pub fn debug_reload(ctx: &mut Ctx) -> CmdResult {
    let mut save = true;
    let mut flush = true;
    for i in 2..ctx.argc() {
        if ctx.is(i, "nosave") {
            save = false;
        } else if ctx.is(i, "noflush") {
            flush = false;
        } else if ctx.is(i, "merge") {
            // Loaded keys replace existing ones.
        } else {
            return Err(Error::err(
                "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    if save && persist::save_now(ctx.srv, &mut ctx.db.locks).is_err() {
        return Err(Error::err("Error trying to save the DB"));
    }
    let buf = std::fs::read(persist::rdb_path(ctx.srv))
        .map_err(|_| Error::err("Error trying to load the RDB dump, check server logs."))?;
    if flush {
        for db in 0..ctx.srv.ks.databases {
            ctx.db.flush_db(db);
        }
    }
    if let Err(e) = persist::load_rdb_locked(ctx.db, &buf) {
        eprintln!("# Error loading the RDB dump: {e}");
        return Err(Error::err(
            "Error trying to load the RDB dump, check server logs.",
        ));
    }
    ctx.db.custom_propagation();
    ctx.ok()
}
