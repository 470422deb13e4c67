//! Access control and resource limits at the connection and command level: authentication,
//! protected mode, ACL checks (users and rules in [`acl`]), maxmemory ([`evict`], with the
//! byte count kept by the counting allocator in [`memory`]).
//!
//! Entry points for other layers: the dispatcher calls [`check_acl`] and [`check_maxmemory`];
//! EXEC re-checks queued commands with [`check_acl_exec`]; scripts call [`check_acl_in`] with
//! [`LogContext::Lua`] for every `redis.call` and [`over_maxmemory`] before `denyoom` commands;
//! AUTH and HELLO use [`authenticate`].

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;

use crate::cmd::table::Command;
use crate::error::Error;
use crate::server::Server;
use crate::server::client::ClientState;

pub mod acl;
pub mod evict;
pub mod memory;

pub use acl::{Denial, Denied, LogContext, User};

/// Whether new connections start authenticated (the default user is on and needs no password).
pub fn auto_authenticated(srv: &Server) -> bool {
    srv.acl.default_open.load(Relaxed)
}

/// Protected mode: with no password set, only loopback clients are served.
pub fn protected_mode_denial(srv: &Server, addr: &SocketAddr) -> Option<&'static str> {
    if !srv.hot.protected_mode.load(Relaxed) || !default_user_nopass(srv) {
        return None;
    }
    if addr.ip().is_loopback() {
        return None;
    }
    Some(DENIED)
}

const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Authenticates a client as `user` with `pass` (AUTH, HELLO AUTH). A failure is recorded in
/// ACL LOG (reason `auth`, object the command name) and answers `-WRONGPASS`.
pub fn authenticate(
    srv: &Server,
    c: &mut ClientState,
    argv0: &[u8],
    user: &[u8],
    pass: &[u8],
) -> Result<(), Error> {
    let name = String::from_utf8_lossy(user);
    let ok = srv
        .acl
        .get(&name)
        .is_some_and(|u| u.enabled && u.password_matches(pass));
    if !ok {
        let ctx = if c.multi.active {
            LogContext::Multi
        } else {
            LogContext::Toplevel
        };
        srv.acl.log_denial(
            acllog_max(srv),
            Denial::Auth,
            ctx,
            argv0,
            user,
            client_info(srv, c),
            crate::util::now_ms(),
        );
        return Err(Error::lit(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ));
    }
    c.authenticated = true;
    c.user = name.to_string();
    c.shared.info.lock().user = name.into_owned();
    Ok(())
}

fn acllog_max(srv: &Server) -> usize {
    srv.cfg.get_i64("acllog-max-len").max(0) as usize
}

fn client_info(srv: &Server, c: &ClientState) -> String {
    crate::cmd::connection::client_line_srv(srv, &c.shared)
}

/// ACL permission check for a command invocation at the top level (or queued in MULTI).
/// Denials are logged and answered with Redis's `-NOPERM` texts.
pub fn check_acl(
    srv: &Server,
    c: &ClientState,
    cmd: &'static Command,
    args: &[&[u8]],
) -> Result<(), Error> {
    let ctx = if c.multi.active {
        LogContext::Multi
    } else {
        LogContext::Toplevel
    };
    check_acl_in(srv, c, cmd, args, ctx)
}

/// The permission check with an explicit ACL LOG context: scripts call it with
/// [`LogContext::Lua`] for every `redis.call`, so a script can do only what its caller may.
pub fn check_acl_in(
    srv: &Server,
    c: &ClientState,
    cmd: &'static Command,
    args: &[&[u8]],
    context: LogContext,
) -> Result<(), Error> {
    match permission(srv, &c.user, cmd, args) {
        Ok(()) => Ok(()),
        Err(d) => {
            log_denied(srv, c, cmd, args, d, context);
            Err(Error::raw(format!(
                "NOPERM {}",
                denial_message(srv, &c.user, cmd, args, d, false)
            )))
        }
    }
}

/// The EXEC-time re-check of a queued command (rules may have changed since it was queued).
pub fn check_acl_exec(
    srv: &Server,
    c: &ClientState,
    cmd: &'static Command,
    args: &[&[u8]],
) -> Result<(), Error> {
    match permission(srv, &c.user, cmd, args) {
        Ok(()) => Ok(()),
        Err(d) => {
            log_denied(srv, c, cmd, args, d, LogContext::Multi);
            let reason = match d.kind {
                Denial::Cmd => "no permission to execute the command or subcommand",
                Denial::Key => "no permission to touch the specified keys",
                _ => "no permission to access one of the channels used as arguments",
            };
            Err(Error::raw(format!(
                "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}"
            )))
        }
    }
}

/// Whether `user` may run this invocation (no logging). Unknown users may run nothing.
pub fn permission(
    srv: &Server,
    user: &str,
    cmd: &'static Command,
    args: &[&[u8]],
) -> Result<(), Denied> {
    if user == "default" && srv.acl.default_unrestricted.load(Relaxed) {
        return Ok(());
    }
    match srv.acl.get(user) {
        Some(u) => u.check(&srv.commands, cmd, args),
        None => Err(Denied {
            kind: Denial::Cmd,
            arg: 0,
        }),
    }
}

/// The text of a denial; `verbose` names the key or channel (ACL DRYRUN).
pub fn denial_message(
    srv: &Server,
    user: &str,
    cmd: &'static Command,
    args: &[&[u8]],
    d: Denied,
    verbose: bool,
) -> String {
    let obj = || String::from_utf8_lossy(args.get(d.arg).copied().unwrap_or_default()).into_owned();
    match d.kind {
        Denial::Cmd => format!(
            "User {user} has no permissions to run the '{}' command",
            srv.commands.full_name(cmd)
        ),
        Denial::Key if verbose => format!(
            "User {user} has no permissions to access the '{}' key",
            obj()
        ),
        Denial::Key => "No permissions to access a key".into(),
        Denial::Channel if verbose => {
            format!(
                "User {user} has no permissions to access the '{}' channel",
                obj()
            )
        }
        _ => "No permissions to access a channel".into(),
    }
}

fn log_denied(
    srv: &Server,
    c: &ClientState,
    cmd: &'static Command,
    args: &[&[u8]],
    d: Denied,
    context: LogContext,
) {
    // client-info shows the refused command as `cmd=`, as in Redis (lookup sets lastcmd).
    c.shared.last_cmd.store(
        srv.commands.id_of(cmd),
        std::sync::atomic::Ordering::Relaxed,
    );
    let object: Vec<u8> = match d.kind {
        Denial::Cmd => srv.commands.full_name(cmd).into_bytes(),
        _ => args.get(d.arg).map(|a| a.to_vec()).unwrap_or_default(),
    };
    srv.acl.log_denial(
        acllog_max(srv),
        d.kind,
        context,
        &object,
        c.user.as_bytes(),
        client_info(srv, c),
        crate::util::now_ms(),
    );
}

/// Kills the connections authenticated as one of `users` (ACL DELUSER, ACL LOAD). The
/// calling client, if among them, is closed after its reply.
pub fn kill_clients_of(srv: &Server, users: &[String], me: Option<&mut ClientState>) {
    let me_id = me.as_ref().map(|c| c.id());
    if let Some(c) = me
        && users.contains(&c.user)
    {
        c.close_after_reply = true;
    }
    let clients: Vec<_> = srv.clients.read().values().cloned().collect();
    for cl in clients {
        if Some(cl.id) == me_id {
            continue;
        }
        let u = cl.info.lock().user.clone();
        if users.contains(&u) {
            cl.kill.store(true, std::sync::atomic::Ordering::Release);
            srv.wake_client(&cl);
        }
    }
}

/// After a user's rules changed: disconnects its clients subscribed to a channel or pattern
/// the user may no longer access (Redis's ACLKillPubsubClientsIfNeeded). The calling client,
/// if affected, is closed after its reply.
pub fn kill_pubsub_clients_if_needed(srv: &Server, user: &User, me: Option<&mut ClientState>) {
    let clients: Vec<_> = srv
        .clients
        .read()
        .values()
        .filter(|c| c.info.lock().user == user.name)
        .cloned()
        .collect();
    if clients.is_empty() {
        return;
    }
    let ids: std::collections::HashSet<u64> = clients.iter().map(|c| c.id).collect();
    let mut bad = std::collections::HashSet::new();
    for (id, kind, name) in srv.pubsub.subscriptions_of(&ids) {
        let is_pattern = kind == crate::server::pubsub::Kind::Pattern;
        if !user.channel_allowed(&name, is_pattern) {
            bad.insert(id);
        }
    }
    let me_id = me.as_ref().map(|c| c.id());
    if let Some(c) = me
        && bad.contains(&c.id())
    {
        c.close_after_reply = true;
    }
    for c in clients {
        if bad.contains(&c.id) && Some(c.id) != me_id {
            c.kill.store(true, std::sync::atomic::Ordering::Release);
            srv.wake_client(&c);
        }
    }
}

/// Sets up the users at start-up: the default user, `requirepass`, `user` lines of the config
/// file or the `aclfile`. A configuration error is reported by the `aclfile` hook, so start-up
/// validation (`validate_all`) fails with it.
pub fn init(srv: &std::sync::Arc<Server>) {
    let err = load_initial(srv).err();
    let w = std::sync::Arc::downgrade(srv);
    srv.cfg.on_change("requirepass", move |v: &str| {
        if let Some(s) = w.upgrade() {
            set_requirepass(&s, v);
        }
        Ok(())
    });
    srv.cfg.on_change("aclfile", move |_| match &err {
        Some(e) => Err(e.clone()),
        None => Ok(()),
    });
}

/// requirepass sets the default user's only password ("nopass" when empty), as Redis does.
pub fn set_requirepass(srv: &Server, v: &str) {
    let Some(cur) = srv.acl.get("default") else {
        return;
    };
    let mut u = (*cur).clone();
    if v.is_empty() {
        let _ = u.apply(&srv.commands, b"nopass", pubsub_default_all(srv));
    } else {
        let _ = u.apply(&srv.commands, b"resetpass", pubsub_default_all(srv));
        let mut r = b">".to_vec();
        r.extend_from_slice(v.as_bytes());
        let _ = u.apply(&srv.commands, &r, pubsub_default_all(srv));
    }
    srv.acl.put(u);
}

pub fn pubsub_default_all(srv: &Server) -> bool {
    srv.cfg.get("acl-pubsub-default") == "allchannels"
}

fn load_initial(srv: &Server) -> Result<(), String> {
    srv.acl.put(acl::default_user(&srv.commands));
    let file = srv.cfg.get("aclfile");
    if !srv.cfg.users.is_empty() && !file.is_empty() {
        return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".into());
    }
    if !file.is_empty() {
        let users = acl_file::parse_file(srv, &file)?;
        install_users(srv, users);
        return Ok(());
    }
    let mut users = Vec::new();
    for (n, line) in srv.cfg.users.iter().enumerate() {
        let args: Vec<&[u8]> = line[1..].iter().map(|s| s.as_bytes()).collect();
        if users.iter().any(|u: &User| u.name == line[0]) {
            return Err(format!(
                "Error in user declaration '{}': Duplicate user found. A user can only be defined once in config files",
                line[0]
            ));
        }
        // Users declared in the configuration start from scratch, the default user too.
        let u = acl::apply_rules(
            &srv.commands,
            None,
            &line[0],
            &args,
            pubsub_default_all(srv),
        )
        .map_err(|(r, e)| {
            format!(
                "Error in user declaration '{}' (user line {}): '{}': {e}",
                line[0],
                n + 1,
                String::from_utf8_lossy(&r)
            )
        })?;
        users.push(u);
    }
    for u in users {
        srv.acl.put(u);
    }
    Ok(())
}

/// Replaces every user with `users` (keeping a default user).
pub fn install_users(srv: &Server, users: Vec<User>) {
    let mut map = std::collections::BTreeMap::new();
    for u in users {
        map.insert(u.name.clone(), std::sync::Arc::new(u));
    }
    if !map.contains_key("default") {
        map.insert(
            "default".to_string(),
            std::sync::Arc::new(acl::default_user(&srv.commands)),
        );
    }
    let mut cur = srv.acl.users.write();
    *cur = map;
    srv.acl.refresh(&cur);
}

pub mod acl_file {
    //! The `aclfile`: one `user <name> <rules...>` line per user (ACL LOAD / ACL SAVE).

    use super::*;

    /// Parses an ACL file; every error names the file and line, as Redis's ACL LOAD does.
    pub fn parse_file(srv: &Server, path: &str) -> Result<Vec<User>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("Error loading ACLs, opening file '{path}': {e}"))?;
        let mut users: Vec<User> = Vec::new();
        let mut errors = String::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if words[0] != "user" || words.len() < 2 {
                errors.push_str(&format!(
                    "{path}:{}: line should start with user keyword. ",
                    n + 1
                ));
                continue;
            }
            let name = words[1];
            if users.iter().any(|u| u.name == name) {
                errors.push_str(&format!(
                    "{path}:{}: Duplicate user '{name}' found. ",
                    n + 1
                ));
                continue;
            }
            let args: Vec<&[u8]> = words[2..].iter().map(|s| s.as_bytes()).collect();
            match acl::apply_rules(
                &srv.commands,
                None,
                name,
                &args,
                super::pubsub_default_all(srv),
            ) {
                Ok(u) => users.push(u),
                Err((_, e)) => errors.push_str(&format!("{path}:{}: {e}. ", n + 1)),
            }
        }
        if !errors.is_empty() {
            return Err(errors.trim_end().to_string());
        }
        Ok(users)
    }

    /// Writes every user to the file (through a temporary file renamed over it).
    pub fn save(srv: &Server, path: &str) -> Result<(), String> {
        let mut text = String::new();
        for u in srv.acl.users.read().values() {
            text.push_str(&u.describe());
            text.push('\n');
        }
        let tmp = format!("{path}.tmp-{}", std::process::id());
        std::fs::write(&tmp, text).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, path).map_err(|e| e.to_string())
    }
}

/// Bytes allocated now (Redis's `used_memory`).
pub fn used_memory() -> u64 {
    memory::used_memory()
}

/// Whether used memory exceeds `maxmemory` (0 = unlimited). Scripts check it before a
/// `denyoom` command, as Redis does at script start.
pub fn over_maxmemory(srv: &Server) -> bool {
    evict::over_limit(srv)
}

/// The dispatcher's maxmemory step: evicts by policy when over the limit; the error refuses a
/// `denyoom` command (or an EXEC with one queued) when memory could not be brought down.
pub fn check_maxmemory(srv: &Server, c: &ClientState, cmd: &Command) -> Result<(), Error> {
    if !evict::over_limit(srv) {
        return Ok(());
    }
    let ok = evict::perform_evictions(srv);
    if ok {
        return Ok(());
    }
    let denyoom = cmd.has(crate::cmd::table::DENYOOM)
        || (cmd.name == "exec"
            && c.multi.queue.iter().any(|argv| {
                let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
                srv.commands
                    .lookup(&args)
                    .is_ok_and(|(q, _)| q.has(crate::cmd::table::DENYOOM))
            }));
    if denyoom {
        return Err(Error::lit(
            "OOM command not allowed when used memory > 'maxmemory'.",
        ));
    }
    Ok(())
}

/// Whether the default user needs no password.
pub fn default_user_nopass(srv: &Server) -> bool {
    srv.acl.get("default").is_some_and(|u| u.nopass)
}

/// ACL denial counters for INFO stats: 0 auth, 1 command, 2 key, 3 channel.
pub fn acl_denied_stat(srv: &Server, kind: usize) -> u64 {
    srv.acl.denied[kind].load(Relaxed)
}

/// Checks a user's password without touching a client (no ACL LOG entry). Returns the user
/// name on success.
pub fn check_password(srv: &Server, user: &[u8], pass: &[u8]) -> Result<String, Error> {
    let name = String::from_utf8_lossy(user).into_owned();
    match srv.acl.get(&name) {
        Some(u) if u.enabled && u.password_matches(pass) => Ok(name),
        _ => Err(Error::lit(
            "WRONGPASS invalid username-password pair or user is disabled.",
        )),
    }
}

/// Compares two byte strings in time independent of where they differ (via their SHA-256).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (ha, hb) = (acl::sha256(a), acl::sha256(b));
    ha.iter().zip(hb.iter()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn selector_argument_merging() {
        let args: Vec<&[u8]> = vec![b"on", b"(+get", b"~a*)", b"(+set ~b*)", b"off"];
        let merged = acl::merge_selector_args(&args).unwrap();
        assert_eq!(
            merged,
            vec![
                b"on".to_vec(),
                b"(+get ~a*)".to_vec(),
                b"(+set ~b*)".to_vec(),
                b"off".to_vec()
            ]
        );
        assert!(acl::merge_selector_args(&[b"(+get".as_slice()]).is_none());
    }

    #[test]
    fn password_hashes() {
        assert_eq!(
            acl::hex(&acl::sha256(b"p1")),
            "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a"
        );
    }
}
