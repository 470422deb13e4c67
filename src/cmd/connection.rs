//! Connection commands: PING, ECHO, QUIT, RESET, AUTH, HELLO, SELECT and CLIENT.

use std::sync::Arc;
use std::sync::atomic::Ordering::*;

use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error, SYNTAX};
use crate::server::client::{self, ClientShared, ReplyMode, UNBLOCK_ERROR, UNBLOCK_TIMEOUT};
use crate::util;

pub static COMMANDS: &[Command] = &[
    Command::new("ping", -1, ping)
        .flags(FAST)
        .acl(CONNECTION)
        .doc(
            "connection",
            "1.0.0",
            "O(1)",
            "Returns the server's liveliness response.",
        )
        .syntax("[message]")
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    Command::new("echo", 2, echo)
        .flags(FAST | STALE | LOADING)
        .acl(CONNECTION)
        .doc("connection", "1.0.0", "O(1)", "Returns the given string.")
        .syntax("message"),
    Command::new("quit", -1, quit)
        .flags(ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH)
        .acl(CONNECTION)
        .doc("connection", "1.0.0", "O(1)", "Closes the connection.")
        .deprecated("7.2.0", "just closing the connection"),
    Command::new("reset", 1, reset)
        .flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY)
        .acl(CONNECTION)
        .doc("connection", "6.2.0", "O(1)", "Resets the connection."),
    Command::new("auth", -2, auth)
        .flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY)
        .acl(CONNECTION)
        .doc(
            "connection",
            "1.0.0",
            "O(N) where N is the number of passwords defined for the user",
            "Authenticates the connection.",
        )
        .syntax("[username] password"),
    Command::new("hello", -1, hello)
        .flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY)
        .acl(CONNECTION)
        .doc(
            "connection",
            "6.0.0",
            "O(1)",
            "Handshakes with the Redis server.",
        )
        .syntax("[protover [AUTH username password] [SETNAME clientname]]"),
    Command::new("select", 2, select)
        .flags(LOADING | STALE | FAST)
        .acl(CONNECTION)
        .doc(
            "connection",
            "1.0.0",
            "O(1)",
            "Changes the selected database.",
        )
        .syntax("index"),
    Command::container("client", -2, CLIENT_SUBS).acl(SLOW).doc(
        "connection",
        "2.4.0",
        "Depends on subcommand.",
        "A container for client connection commands.",
    ),
];

const CLIENT_FLAGS: u64 = NOSCRIPT | LOADING | STALE;

static CLIENT_SUBS: &[Command] = &[
    super::tracking::TRACKING,
    super::tracking::CACHING,
    super::tracking::GETREDIR,
    super::tracking::TRACKINGINFO,
    Command::new("id", 2, client_id)
        .flags(CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "5.0.0", "O(1)", "Returns the unique client ID of the connection."),
    Command::new("setname", 3, client_setname)
        .flags(CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "2.6.9", "O(1)", "Sets the connection name.")
        .syntax("connection-name"),
    Command::new("getname", 2, client_getname)
        .flags(CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "2.6.9", "O(1)", "Returns the name of the connection."),
    Command::new("list", -2, client_list)
        .flags(ADMIN | CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "2.4.0", "O(N) where N is the number of client connections", "Lists open connections.")
        .syntax("[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]")
        .tips(&["nondeterministic_output"]),
    Command::new("info", 2, client_info)
        .flags(CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "6.2.0", "O(1)", "Returns information about the connection.")
        .tips(&["nondeterministic_output"]),
    Command::new("kill", -3, client_kill)
        .flags(ADMIN | CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "2.4.0", "O(N) where N is the number of client connections", "Terminates open connections.")
        .syntax("<ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>] | [MAXAGE maxage] [[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>] | [MAXAGE maxage] ...]>>"),
    Command::new("setinfo", 4, client_setinfo)
        .flags(CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "7.2.0", "O(1)", "Sets information specific to the client or connection.")
        .syntax("<LIB-NAME libname | LIB-VER libver>"),
    Command::new("no-evict", 3, client_no_evict)
        .flags(ADMIN | CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "7.0.0", "O(1)", "Sets the client eviction mode of the connection.")
        .syntax("<ON | OFF>"),
    Command::new("no-touch", 3, client_no_touch)
        .flags(CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "7.2.0", "O(1)", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.")
        .syntax("<ON | OFF>"),
    Command::new("reply", 3, client_reply)
        .flags(CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "3.2.0", "O(1)", "Instructs the server whether to reply to commands.")
        .syntax("<ON | OFF | SKIP>"),
    Command::new("pause", -3, client_pause)
        .flags(ADMIN | CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "3.0.0", "O(1)", "Suspends commands processing.")
        .syntax("timeout [WRITE | ALL]"),
    Command::new("unpause", 2, client_unpause)
        .flags(ADMIN | CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "6.2.0", "O(N) Where N is the number of paused clients", "Resumes processing commands from paused clients."),
    Command::new("unblock", -3, client_unblock)
        .flags(ADMIN | CLIENT_FLAGS)
        .acl(CONNECTION)
        .doc("connection", "5.0.0", "O(log N) where N is the number of client connections", "Unblocks a client blocked by a blocking command from a different connection.")
        .syntax("client-id [TIMEOUT | ERROR]"),
    Command::new("help", 2, client_help)
        .flags(LOADING | STALE)
        .acl(CONNECTION)
        .doc("connection", "5.0.0", "O(1)", "Returns helpful text about the different subcommands."),
];

fn ping(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 2 {
        return Err(ctx.wrong_args());
    }
    if ctx.client.in_subscribed_context() {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(if ctx.argc() == 2 { ctx.arg(1) } else { b"" });
        return Ok(());
    }
    if ctx.argc() == 2 {
        ctx.out.bulk(ctx.arg(1));
    } else {
        ctx.out.simple("PONG");
    }
    Ok(())
}

fn echo(ctx: &mut Ctx) -> CmdResult {
    ctx.out.bulk(ctx.arg(1));
    Ok(())
}

fn quit(ctx: &mut Ctx) -> CmdResult {
    ctx.client.close_after_reply = true;
    ctx.ok()
}

fn reset(ctx: &mut Ctx) -> CmdResult {
    let srv = ctx.srv;
    let c = &mut *ctx.client;
    super::tx::end_multi(c);
    super::tx::unwatch_all(srv, c);
    super::pubsub::unsubscribe_all(srv, c);
    srv.tracking.disable(c.id());
    if c.monitor {
        c.monitor = false;
        let mut m = srv.monitors.write();
        m.retain(|m| m.id != c.id());
        srv.monitor_count.store(m.len(), Relaxed);
        c.shared.set_flag(client::F_MONITOR, false);
    }
    c.db = 0;
    c.shared.cur_db.store(0, Relaxed);
    ctx.db.index = 0;
    c.resp3 = false;
    c.shared.resp3.store(false, Relaxed);
    c.reply_mode = ReplyMode::On;
    c.no_touch = false;
    c.shared.no_evict.store(false, Relaxed);
    c.shared
        .set_flag(client::F_NO_TOUCH | client::F_NO_EVICT, false);
    {
        let mut info = c.shared.info.lock();
        info.name.clear();
        info.resp = 2;
        info.user = "default".into();
    }
    c.user = "default".into();
    c.authenticated = crate::security::auto_authenticated(srv);
    ctx.out.resp3 = false;
    ctx.out.simple("RESET");
    Ok(())
}

fn do_auth(ctx: &mut Ctx, user: &[u8], pass: &[u8]) -> CmdResult {
    crate::security::authenticate(ctx.srv, ctx.client, ctx.args[0], user, pass)
}

fn auth(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(SYNTAX);
    }
    let (user, pass): (&[u8], &[u8]) = if ctx.argc() == 2 {
        (b"default", ctx.arg(1))
    } else {
        (ctx.arg(1), ctx.arg(2))
    };
    if ctx.argc() == 2 && crate::security::default_user_nopass(ctx.srv) {
        return Err(Error::err(
            "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ));
    }
    do_auth(ctx, user, pass)?;
    ctx.ok()
}

fn hello(ctx: &mut Ctx) -> CmdResult {
    let mut proto: Option<i64> = None;
    let mut i = 1;
    if ctx.argc() >= 2 {
        let v = crate::util::num::parse_i64(ctx.arg(1))
            .ok_or_else(|| Error::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(Error::lit("NOPROTO unsupported protocol version"));
        }
        proto = Some(v);
        i = 2;
    }
    let mut auth: Option<(Vec<u8>, Vec<u8>)> = None;
    let mut setname: Option<Vec<u8>> = None;
    while i < ctx.argc() {
        let more = ctx.argc() - i - 1;
        if ctx.is(i, "auth") && more >= 2 {
            auth = Some((ctx.arg(i + 1).to_vec(), ctx.arg(i + 2).to_vec()));
            i += 3;
        } else if ctx.is(i, "setname") && more >= 1 {
            setname = Some(ctx.arg(i + 1).to_vec());
            i += 2;
        } else {
            return Err(Error::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(ctx.arg(i))
            )));
        }
    }
    if let Some((u, p)) = &auth {
        do_auth(ctx, u, p)?;
    }
    if !ctx.client.authenticated {
        return Err(Error::lit(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(name) = &setname {
        validate_name(name, "Client names")?;
        ctx.client.shared.info.lock().name = name.clone();
    }
    if let Some(p) = proto {
        let r3 = p == 3;
        ctx.client.resp3 = r3;
        ctx.client.shared.resp3.store(r3, Relaxed);
        ctx.client.shared.info.lock().resp = p as u8;
        ctx.out.resp3 = r3;
    }
    let r = &mut ctx.out;
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(crate::REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(if ctx.client.resp3 { 3 } else { 2 });
    r.bulk(b"id");
    r.int(ctx.client.id() as i64);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array(0);
    Ok(())
}

fn select(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.int32(1)?;
    if n < 0 || n as usize >= ctx.srv.ks.databases {
        return Err(crate::error::DB_RANGE);
    }
    ctx.client.db = n as usize;
    ctx.client.shared.cur_db.store(n as usize, Relaxed);
    ctx.db.index = n as usize;
    ctx.ok()
}

fn client_id(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.client.id() as i64);
    Ok(())
}

/// Client names and library names may not contain spaces, newlines or special characters.
fn validate_name(name: &[u8], what: &str) -> CmdResult {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(Error::err(format!(
            "{what} cannot contain spaces, newlines or special characters."
        )));
    }
    Ok(())
}

fn client_setname(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.arg(2);
    validate_name(name, "Client names")?;
    ctx.client.shared.info.lock().name = name.to_vec();
    ctx.ok()
}

fn client_getname(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.client.shared.info.lock().name.clone();
    if name.is_empty() {
        ctx.out.null();
    } else {
        ctx.out.bulk(&name);
    }
    Ok(())
}

fn client_setinfo(ctx: &mut Ctx) -> CmdResult {
    let val = ctx.arg(3);
    if ctx.is(2, "lib-name") {
        validate_name(val, "lib-name")?;
        ctx.client.shared.info.lock().lib_name = val.to_vec();
    } else if ctx.is(2, "lib-ver") {
        validate_name(val, "lib-ver")?;
        ctx.client.shared.info.lock().lib_ver = val.to_vec();
    } else {
        return Err(Error::err(format!(
            "Unrecognized option '{}'",
            String::from_utf8_lossy(ctx.arg(2))
        )));
    }
    ctx.ok()
}

fn on_off(ctx: &Ctx, i: usize) -> Result<bool, Error> {
    if ctx.is(i, "on") {
        Ok(true)
    } else if ctx.is(i, "off") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn client_no_evict(ctx: &mut Ctx) -> CmdResult {
    let on = on_off(ctx, 2)?;
    ctx.client.shared.no_evict.store(on, Relaxed);
    ctx.client.shared.set_flag(client::F_NO_EVICT, on);
    ctx.ok()
}

fn client_no_touch(ctx: &mut Ctx) -> CmdResult {
    let on = on_off(ctx, 2)?;
    ctx.client.no_touch = on;
    ctx.client.shared.set_flag(client::F_NO_TOUCH, on);
    ctx.ok()
}

fn client_reply(ctx: &mut Ctx) -> CmdResult {
    if ctx.is(2, "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.ok()
    } else if ctx.is(2, "off") {
        ctx.client.reply_mode = ReplyMode::Off;
        Ok(())
    } else if ctx.is(2, "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
        Ok(())
    } else {
        Err(SYNTAX)
    }
}

fn client_pause(ctx: &mut Ctx) -> CmdResult {
    let ms = ctx.int_with(2, Error::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(Error::err("timeout is negative"));
    }
    let write_only = if ctx.argc() == 4 {
        if ctx.is(3, "write") {
            true
        } else if ctx.is(3, "all") {
            false
        } else {
            return Err(Error::err("CLIENT PAUSE mode must be WRITE or ALL"));
        }
    } else if ctx.argc() > 4 {
        return Err(SYNTAX);
    } else {
        false
    };
    let mut p = ctx.srv.pause.lock();
    let until = util::now_ms().saturating_add(ms);
    // A new pause can only make an existing one stricter or longer, as in Redis.
    if p.until_ms == 0 || util::now_ms() >= p.until_ms {
        p.until_ms = until;
        p.write_only = write_only;
    } else {
        p.until_ms = p.until_ms.max(until);
        p.write_only = p.write_only && write_only;
    }
    drop(p);
    ctx.ok()
}

fn client_unpause(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.pause.lock().until_ms = 0;
    ctx.ok()
}

fn client_unblock(ctx: &mut Ctx) -> CmdResult {
    let id = ctx.int(2)?;
    let mode = if ctx.argc() == 4 {
        if ctx.is(3, "timeout") {
            UNBLOCK_TIMEOUT
        } else if ctx.is(3, "error") {
            UNBLOCK_ERROR
        } else {
            return Err(Error::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    } else if ctx.argc() > 4 {
        return Err(SYNTAX);
    } else {
        UNBLOCK_TIMEOUT
    };
    let target = if id >= 0 {
        ctx.srv.client(id as u64)
    } else {
        None
    };
    match target {
        Some(c) if c.is_blocked() => {
            c.unblock.store(mode, Release);
            ctx.srv.wake_client(&c);
            ctx.out.int(1);
        }
        _ => ctx.out.int(0),
    }
    Ok(())
}

/// One CLIENT LIST line (without the trailing newline).
pub fn client_line(ctx: &Ctx, c: &ClientShared) -> String {
    client_line_srv(ctx.srv, c)
}

/// The CLIENT LIST/INFO line of a client (also ACL LOG's client-info).
pub fn client_line_srv(srv: &crate::server::Server, c: &ClientShared) -> String {
    let now = util::now_ms();
    let info = c.info.lock().clone();
    let f = c.flags.load(Relaxed);
    let mut flags = String::new();
    if f & client::F_MULTI != 0 {
        flags.push('x');
    }
    if c.is_blocked() {
        flags.push('b');
    }
    let tracking = srv.tracking.client(c.id);
    if let Some(t) = &tracking {
        flags.push('t');
        if t.broken_redirect {
            flags.push('R');
        }
        if t.bcast {
            flags.push('B');
        }
    }
    if f & client::F_PUBSUB != 0 {
        flags.push('P');
    }
    if f & client::F_MONITOR != 0 {
        flags.push('O');
    }
    if f & client::F_NO_TOUCH != 0 {
        flags.push('T');
    }
    if f & client::F_NO_EVICT != 0 {
        flags.push('e');
    }
    if c.kill.load(Relaxed) {
        flags.push('A');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let last = c.last_cmd.load(Relaxed);
    let cmd = if last == usize::MAX {
        "NULL".to_string()
    } else {
        srv.commands
            .all
            .get(last)
            .map_or("NULL".to_string(), |e| e.full_name.clone())
    };
    let omem = c.obuf_bytes.load(Relaxed) + c.outbox.lock().bytes;
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events=r cmd={} user={} redir={} resp={} lib-name={} lib-ver={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        String::from_utf8_lossy(&info.name),
        (now - c.created_ms) / 1000,
        (now - c.last_interaction_ms.load(Relaxed)) / 1000,
        flags,
        c.cur_db.load(Relaxed),
        c.subs.load(Relaxed),
        c.psubs.load(Relaxed),
        c.ssubs.load(Relaxed),
        c.multi_len.load(Relaxed),
        c.qbuf.load(Relaxed),
        0,
        0,
        0,
        1024,
        0,
        0,
        if omem > 0 { 1 } else { 0 },
        omem,
        omem + 1024,
        cmd,
        info.user,
        tracking.as_ref().map_or(-1, |t| t.redirect as i64),
        info.resp,
        String::from_utf8_lossy(&info.lib_name),
        String::from_utf8_lossy(&info.lib_ver),
    )
}

fn client_type_matches(c: &ClientShared, t: &[u8]) -> Result<bool, Error> {
    let t = t.to_ascii_lowercase();
    let pubsub = c.has_flag(client::F_PUBSUB);
    Ok(match t.as_slice() {
        b"normal" => !pubsub,
        b"pubsub" => pubsub,
        b"master" | b"replica" | b"slave" => false,
        _ => {
            return Err(Error::err(format!(
                "Unknown client type '{}'",
                String::from_utf8_lossy(&t)
            )));
        }
    })
}

fn sorted_clients(ctx: &Ctx) -> Vec<Arc<ClientShared>> {
    let mut v: Vec<Arc<ClientShared>> = ctx.srv.clients.read().values().cloned().collect();
    v.sort_by_key(|c| c.id);
    v
}

fn client_list(ctx: &mut Ctx) -> CmdResult {
    let mut type_filter: Option<Vec<u8>> = None;
    let mut ids: Option<Vec<u64>> = None;
    let mut i = 2;
    while i < ctx.argc() {
        if ctx.is(i, "type") && i + 1 < ctx.argc() {
            let t = ctx.arg(i + 1).to_vec();
            // validate
            if !matches!(
                t.to_ascii_lowercase().as_slice(),
                b"normal" | b"pubsub" | b"master" | b"replica" | b"slave"
            ) {
                return Err(Error::err(format!(
                    "Unknown client type '{}'",
                    String::from_utf8_lossy(&t)
                )));
            }
            type_filter = Some(t);
            i += 2;
        } else if ctx.is(i, "id") && i + 1 < ctx.argc() {
            let mut v = Vec::new();
            i += 1;
            while i < ctx.argc() {
                match crate::util::num::parse_i64(ctx.arg(i)) {
                    Some(n) if n > 0 => v.push(n as u64),
                    _ => return Err(Error::err("Invalid client ID")),
                }
                i += 1;
            }
            ids = Some(v);
        } else {
            return Err(SYNTAX);
        }
    }
    let mut text = String::new();
    for c in sorted_clients(ctx) {
        if let Some(t) = &type_filter
            && !client_type_matches(&c, t)?
        {
            continue;
        }
        if let Some(ids) = &ids
            && !ids.contains(&c.id)
        {
            continue;
        }
        text.push_str(&client_line(ctx, &c));
        text.push('\n');
    }
    ctx.out.verbatim(text.as_bytes(), "txt");
    Ok(())
}

fn client_info(ctx: &mut Ctx) -> CmdResult {
    let c = ctx.client.shared.clone();
    let mut line = client_line(ctx, &c);
    line.push('\n');
    ctx.out.verbatim(line.as_bytes(), "txt");
    Ok(())
}

fn client_kill(ctx: &mut Ctx) -> CmdResult {
    let me = ctx.client.id();
    if ctx.argc() == 3 {
        // Old form: CLIENT KILL addr:port
        let addr = ctx.arg(2);
        let target = sorted_clients(ctx)
            .into_iter()
            .find(|c| c.addr.as_bytes() == addr);
        match target {
            Some(c) => {
                kill_client(ctx, &c, me);
                return ctx.ok();
            }
            None => return Err(Error::err("No such client")),
        }
    }
    let mut id: Option<u64> = None;
    let mut ty: Option<Vec<u8>> = None;
    let mut user: Option<Vec<u8>> = None;
    let mut addr: Option<Vec<u8>> = None;
    let mut laddr: Option<Vec<u8>> = None;
    let mut skipme = true;
    let mut maxage: Option<i64> = None;
    let mut i = 2;
    while i < ctx.argc() {
        if i + 1 >= ctx.argc() {
            return Err(SYNTAX);
        }
        let v = ctx.arg(i + 1);
        if ctx.is(i, "id") {
            match crate::util::num::parse_i64(v) {
                Some(n) if n > 0 => id = Some(n as u64),
                _ => return Err(Error::err("client-id should be greater than 0")),
            }
        } else if ctx.is(i, "type") {
            if !matches!(
                v.to_ascii_lowercase().as_slice(),
                b"normal" | b"pubsub" | b"master" | b"replica" | b"slave"
            ) {
                return Err(Error::err(format!(
                    "Unknown client type '{}'",
                    String::from_utf8_lossy(v)
                )));
            }
            ty = Some(v.to_vec());
        } else if ctx.is(i, "user") {
            if ctx.srv.acl.get(&String::from_utf8_lossy(v)).is_none() {
                return Err(Error::err(format!(
                    "No such user '{}'",
                    String::from_utf8_lossy(v)
                )));
            }
            user = Some(v.to_vec());
        } else if ctx.is(i, "addr") {
            addr = Some(v.to_vec());
        } else if ctx.is(i, "laddr") {
            laddr = Some(v.to_vec());
        } else if ctx.is(i, "skipme") {
            if v.eq_ignore_ascii_case(b"yes") {
                skipme = true;
            } else if v.eq_ignore_ascii_case(b"no") {
                skipme = false;
            } else {
                return Err(SYNTAX);
            }
        } else if ctx.is(i, "maxage") {
            maxage = Some(crate::util::num::parse_i64(v).ok_or(crate::error::NOT_INT)?);
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    let now = util::now_ms();
    let mut killed = 0;
    for c in sorted_clients(ctx) {
        if id.is_some_and(|x| x != c.id) {
            continue;
        }
        if let Some(t) = &ty
            && !client_type_matches(&c, t)?
        {
            continue;
        }
        if let Some(u) = &user
            && c.info.lock().user.as_bytes() != u.as_slice()
        {
            continue;
        }
        if addr
            .as_ref()
            .is_some_and(|a| c.addr.as_bytes() != a.as_slice())
        {
            continue;
        }
        if laddr
            .as_ref()
            .is_some_and(|a| c.laddr.as_bytes() != a.as_slice())
        {
            continue;
        }
        if maxage.is_some_and(|m| (now - c.created_ms) / 1000 < m) {
            continue;
        }
        if skipme && c.id == me {
            continue;
        }
        kill_client(ctx, &c, me);
        killed += 1;
    }
    ctx.out.int(killed);
    Ok(())
}

fn kill_client(ctx: &mut Ctx, c: &Arc<ClientShared>, me: u64) {
    if c.id == me {
        ctx.client.close_after_reply = true;
    } else {
        c.kill.store(true, Release);
        ctx.srv.wake_client(c);
    }
}

fn client_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        "CLIENT",
        &[
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "    * MAXAGE <maxage>",
            "      Kill connections older than the specified age.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "GETNAME",
            "    Return the name of the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ],
    )
}

/// The reply of a `<CONTAINER> HELP` subcommand, shaped like Redis's addReplyHelp.
pub fn help_reply(ctx: &mut Ctx, container: &str, lines: &[&str]) -> CmdResult {
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Print this help.");
    Ok(())
}
