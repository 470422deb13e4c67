//! CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO: the commands of
//! client-side caching. The machinery (tracking table, prefixes, invalidation messages) is in
//! [`crate::server::tracking`]; these are declared here and listed among CLIENT's subcommands.

use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error, SYNTAX};
use crate::server::tracking::TrackingRequest;

const FLAGS: u64 = NOSCRIPT | LOADING | STALE | KS_NONE;
const G: &str = "connection";

pub const TRACKING: Command = Command::new("tracking", -3, client_tracking)
    .flags(FLAGS)
    .acl(CONNECTION)
    .doc(G, "6.0.0", "O(1). Some options may introduce additional complexity.", "Controls server-assisted client-side caching for the connection.")
    .syntax("<ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]");

pub const CACHING: Command = Command::new("caching", 3, client_caching)
    .flags(FLAGS)
    .acl(CONNECTION)
    .doc(
        G,
        "6.0.0",
        "O(1)",
        "Instructs the server whether to track the keys in the next request.",
    )
    .syntax("<YES | NO>");

pub const GETREDIR: Command = Command::new("getredir", 2, client_getredir)
    .flags(FLAGS)
    .acl(CONNECTION)
    .doc(
        G,
        "6.0.0",
        "O(1)",
        "Returns the client ID to which the connection's tracking notifications are redirected.",
    );

pub const TRACKINGINFO: Command = Command::new("trackinginfo", 2, client_trackinginfo)
    .flags(FLAGS)
    .acl(CONNECTION)
    .doc(
        G,
        "6.2.0",
        "O(1)",
        "Returns information about server-assisted client-side caching for the connection.",
    );

fn client_tracking(ctx: &mut Ctx) -> CmdResult {
    let mut req = TrackingRequest::default();
    let argc = ctx.argc();
    let mut j = 3;
    while j < argc {
        let more = argc - 1 - j;
        if ctx.is(j, "redirect") && more > 0 {
            j += 1;
            if req.redirect != 0 {
                return Err(Error::err(
                    "A client can only redirect to a single other client",
                ));
            }
            let id = ctx.int(j)?;
            req.redirect = id as u64;
            if id <= 0 || !ctx.srv.clients.read().contains_key(&req.redirect) {
                return Err(Error::err(
                    "The client ID you want redirect to does not exist",
                ));
            }
        } else if ctx.is(j, "bcast") {
            req.bcast = true;
        } else if ctx.is(j, "optin") {
            req.optin = true;
        } else if ctx.is(j, "optout") {
            req.optout = true;
        } else if ctx.is(j, "noloop") {
            req.noloop = true;
        } else if ctx.is(j, "prefix") && more > 0 {
            j += 1;
            req.prefixes.push(ctx.arg(j).to_vec());
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let id = ctx.client.id();
    if ctx.is(2, "on") {
        if !req.bcast && !req.prefixes.is_empty() {
            return Err(Error::err(
                "PREFIX option requires BCAST mode to be enabled",
            ));
        }
        ctx.srv.tracking.enable(id, req).map_err(Error::err)?;
    } else if ctx.is(2, "off") {
        ctx.srv.tracking.disable(id);
    } else {
        return Err(SYNTAX);
    }
    ctx.ok()
}

fn client_caching(ctx: &mut Ctx) -> CmdResult {
    let id = ctx.client.id();
    if ctx.srv.tracking.client(id).is_none() {
        return Err(Error::err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    }
    let yes = if ctx.is(2, "yes") {
        true
    } else if ctx.is(2, "no") {
        false
    } else {
        return Err(SYNTAX);
    };
    ctx.srv.tracking.set_caching(id, yes).map_err(Error::err)?;
    ctx.ok()
}

fn client_getredir(ctx: &mut Ctx) -> CmdResult {
    match ctx.srv.tracking.client(ctx.client.id()) {
        Some(ct) => ctx.out.int(ct.redirect as i64),
        None => ctx.out.int(-1),
    }
    Ok(())
}

fn client_trackinginfo(ctx: &mut Ctx) -> CmdResult {
    let ct = ctx.srv.tracking.client(ctx.client.id());
    ctx.out.map(3);
    ctx.out.bulk(b"flags");
    let mut flags: Vec<&str> = Vec::new();
    match &ct {
        None => flags.push("off"),
        Some(ct) => {
            flags.push("on");
            if ct.bcast {
                flags.push("bcast");
            }
            if ct.optin {
                flags.push("optin");
                if ct.caching {
                    flags.push("caching-yes");
                }
            }
            if ct.optout {
                flags.push("optout");
                if ct.caching {
                    flags.push("caching-no");
                }
            }
            if ct.noloop {
                flags.push("noloop");
            }
            if ct.broken_redirect {
                flags.push("broken_redirect");
            }
        }
    }
    ctx.out.set(flags.len());
    for f in flags {
        ctx.out.bulk(f.as_bytes());
    }
    ctx.out.bulk(b"redirect");
    ctx.out.int(ct.as_ref().map_or(-1, |c| c.redirect as i64));
    ctx.out.bulk(b"prefixes");
    let prefixes = ct.map(|c| c.prefixes).unwrap_or_default();
    ctx.out.array(prefixes.len());
    for p in prefixes {
        ctx.out.bulk(&p);
    }
    Ok(())
}
