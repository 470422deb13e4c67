//! Client-side caching: key tracking and invalidation messages (Redis's `tracking.c`).
//!
//! A client that turned tracking on (CLIENT TRACKING ON) is told when a key it may have cached
//! changes. Two modes:
//!
//! - **default**: every key a tracking client reads (a read-only command's keys) is remembered
//!   in the tracking table, key name -> client ids. The first write to the key sends each of those
//!   clients one invalidation and forgets the entry (a key is reported once until read again).
//!   OPTIN remembers keys only for a command preceded by CLIENT CACHING YES, OPTOUT all but those
//!   preceded by CLIENT CACHING NO. The CACHING flag lasts for the next command (for a whole
//!   MULTI ... EXEC), CLIENT subcommands do not consume it.
//! - **BCAST**: nothing is remembered; a client registers key prefixes ("" for all keys) and is
//!   told about every written key that matches one of them. The keys written by one command
//!   (one transaction) are sent together, one message per prefix, as Redis batches them per
//!   event-loop iteration.
//!
//! Messages go to the client itself as a RESP3 push `>2 invalidate [keys]`, or to the REDIRECT
//! client: as a push when it speaks RESP3, as a Pub/Sub message on `__redis__:invalidate` when it
//! is a RESP2 subscriber; a RESP2 client without redirection gets nothing (RESP2 has no push).
//! NOLOOP skips keys the client wrote itself. FLUSHDB/FLUSHALL send every tracking client a null
//! instead of keys and empty the table. If the redirect client is gone, the client is flagged
//! `broken_redirect` and (RESP3) told `tracking-redir-broken <id>`.
//!
//! The keys are tracked by name only, across databases, exactly like Redis. Writers report the
//! keys they modify through [`crate::store::db::Db::touch`] (Redis's `signalModifiedKey`); the
//! dispatcher hands them here once the command's reply is written, so a client invalidating its
//! own keys gets the message after the reply, as in Redis.
//!
//! Everything lives behind one mutex; the hot path of a server without tracking clients is a
//! single relaxed atomic load ([`Tracking::active`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use parking_lot::Mutex;

use super::Server;
use super::client::ClientState;
use crate::cmd::table::{self as t, Command};

/// Per-client tracking options (present only while tracking is on).
#[derive(Clone, Debug, Default)]
pub struct ClientTracking {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING YES/NO given for the next command.
    pub caching: bool,
    /// Redirect invalidations to this client id (0: none).
    pub redirect: u64,
    pub broken_redirect: bool,
    /// BCAST prefixes, in the order given.
    pub prefixes: Vec<Vec<u8>>,
}

#[derive(Default)]
struct Inner {
    clients: HashMap<u64, ClientTracking>,
    /// Key -> ids of clients that read it.
    table: HashMap<Vec<u8>, HashSet<u64>>,
    /// Total (key, client) pairs in `table`.
    items: usize,
    /// BCAST prefix -> ids of clients registered for it.
    prefixes: HashMap<Vec<u8>, HashSet<u64>>,
}

#[derive(Default)]
pub struct Tracking {
    inner: Mutex<Inner>,
    /// Number of clients with tracking on.
    clients: AtomicUsize,
}

/// What CLIENT TRACKING ON asks for.
#[derive(Default)]
pub struct TrackingRequest {
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    pub prefixes: Vec<Vec<u8>>,
}

fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

impl Tracking {
    /// Whether any client has tracking on.
    #[inline]
    pub fn active(&self) -> bool {
        self.clients.load(Relaxed) > 0
    }

    pub fn tracking_clients(&self) -> usize {
        self.clients.load(Relaxed)
    }

    /// (keys in the table, (key, client) items, prefixes): INFO's tracking_total_*.
    pub fn totals(&self) -> (usize, usize, usize) {
        let g = self.inner.lock();
        (g.table.len(), g.items, g.prefixes.len())
    }

    /// The tracking state of a client (None: tracking off).
    pub fn client(&self, id: u64) -> Option<ClientTracking> {
        if !self.active() {
            return None;
        }
        self.inner.lock().clients.get(&id).cloned()
    }

    /// CLIENT TRACKING ON, after the caller validated the options. Returns the error of Redis's
    /// checks that need the client's current state.
    pub fn enable(&self, id: u64, req: TrackingRequest) -> Result<(), String> {
        let mut g = self.inner.lock();
        if let Some(cur) = g.clients.get(&id)
            && cur.bcast != req.bcast
        {
            return Err("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.".into());
        }
        if req.bcast && (req.optin || req.optout) {
            return Err("OPTIN and OPTOUT are not compatible with BCAST".into());
        }
        if req.optin && req.optout {
            return Err("You can't specify both OPTIN mode and OPTOUT mode".into());
        }
        if let Some(cur) = g.clients.get(&id)
            && ((req.optin && cur.optout) || (req.optout && cur.optin))
        {
            return Err("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.".into());
        }
        if req.bcast {
            let existing: &[Vec<u8>] = g.clients.get(&id).map_or(&[], |c| &c.prefixes);
            for (i, p) in req.prefixes.iter().enumerate() {
                if let Some(e) = existing.iter().find(|e| overlaps(e, p)) {
                    return Err(format!(
                        "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                        String::from_utf8_lossy(p),
                        String::from_utf8_lossy(e)
                    ));
                }
                if let Some(o) = req.prefixes[i + 1..].iter().find(|o| overlaps(p, o)) {
                    return Err(format!(
                        "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                        String::from_utf8_lossy(p),
                        String::from_utf8_lossy(o)
                    ));
                }
            }
        }
        let was_on = g.clients.contains_key(&id);
        let mut prefixes = g
            .clients
            .get(&id)
            .map(|c| c.prefixes.clone())
            .unwrap_or_default();
        if req.bcast {
            let new: Vec<Vec<u8>> = if req.prefixes.is_empty() {
                vec![Vec::new()]
            } else {
                req.prefixes
            };
            for p in new {
                g.prefixes.entry(p.clone()).or_default().insert(id);
                if !prefixes.contains(&p) {
                    prefixes.push(p);
                }
            }
        }
        g.clients.insert(
            id,
            ClientTracking {
                bcast: req.bcast,
                optin: req.optin,
                optout: req.optout,
                noloop: req.noloop,
                caching: false,
                redirect: req.redirect,
                broken_redirect: false,
                prefixes,
            },
        );
        if !was_on {
            self.clients.fetch_add(1, Relaxed);
        }
        Ok(())
    }

    /// CLIENT TRACKING OFF, RESET, disconnection.
    pub fn disable(&self, id: u64) {
        if !self.active() {
            return;
        }
        let mut g = self.inner.lock();
        let Some(ct) = g.clients.remove(&id) else {
            return;
        };
        for p in &ct.prefixes {
            if let Some(set) = g.prefixes.get_mut(p) {
                set.remove(&id);
                if set.is_empty() {
                    g.prefixes.remove(p);
                }
            }
        }
        self.clients.fetch_sub(1, Relaxed);
    }

    /// CLIENT CACHING YES|NO: sets the flag for the next command. Errors are Redis's texts.
    pub fn set_caching(&self, id: u64, yes: bool) -> Result<(), &'static str> {
        let mut g = self.inner.lock();
        let Some(ct) = g.clients.get_mut(&id) else {
            return Err(
                "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
            );
        };
        if yes && !ct.optin {
            return Err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
        }
        if !yes && !ct.optout {
            return Err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
        }
        ct.caching = true;
        Ok(())
    }

    /// After a command ran for client `c` (`nested`: inside EXEC or a script): remembers the keys
    /// of a read-only command, and ends the effect of CLIENT CACHING after a top-level command.
    pub fn after_command(
        &self,
        srv: &Server,
        c: &ClientState,
        cmd: &Command,
        args: &[&[u8]],
        nested: bool,
    ) {
        if !self.active() {
            return;
        }
        let id = c.id();
        let mut g = self.inner.lock();
        let Some(ct) = g.clients.get(&id) else {
            return;
        };
        let (bcast, optin, optout, caching) = (ct.bcast, ct.optin, ct.optout, ct.caching);
        let remember = cmd.has(t::READONLY)
            && !cmd.has(t::PUBSUB)
            && !matches!(cmd.name, "eval_ro" | "evalsha_ro" | "fcall_ro")
            && !bcast
            && !((optin && !caching) || (optout && caching));
        if remember && let Some(idx) = cmd.key_indexes(args) {
            for i in idx {
                let entry = g.table.entry(args[i].to_vec()).or_default();
                if entry.insert(id) {
                    g.items += 1;
                }
            }
        }
        if !nested
            && !c.multi.active
            && !srv.commands.full_name(cmd).starts_with("client|")
            && let Some(ct) = g.clients.get_mut(&id)
        {
            ct.caching = false;
        }
    }

    /// Sends the invalidations for keys modified by a command of client `origin` (0: none, e.g.
    /// active expiry).
    pub fn invalidate(&self, srv: &Server, origin: u64, keys: &[Vec<u8>]) {
        if !self.active() || keys.is_empty() {
            return;
        }
        // (target tracking client, [key]) for default-mode clients, in order.
        let mut per_client: Vec<(u64, Vec<&[u8]>)> = Vec::new();
        // BCAST: (client, prefix) -> keys.
        let mut per_prefix: Vec<(u64, Vec<&[u8]>)> = Vec::new();
        let states: HashMap<u64, ClientTracking>;
        {
            let mut g = self.inner.lock();
            for key in keys {
                if let Some(ids) = g.table.remove(key.as_slice()) {
                    g.items -= ids.len();
                    let mut ids: Vec<u64> = ids.into_iter().collect();
                    ids.sort_unstable();
                    for cid in ids {
                        let Some(ct) = g.clients.get(&cid) else {
                            continue;
                        };
                        if ct.bcast || (ct.noloop && cid == origin) {
                            continue;
                        }
                        // One message per key, as Redis sends them.
                        per_client.push((cid, vec![key]));
                    }
                }
            }
            if !g.prefixes.is_empty() {
                let mut prefixes: Vec<(&Vec<u8>, &HashSet<u64>)> = g.prefixes.iter().collect();
                prefixes.sort_by(|a, b| a.0.cmp(b.0));
                for (p, ids) in prefixes {
                    let mut ids: Vec<u64> = ids.iter().copied().collect();
                    ids.sort_unstable();
                    for cid in ids {
                        let noloop = g.clients.get(&cid).is_some_and(|c| c.noloop);
                        if noloop && cid == origin {
                            continue;
                        }
                        let matched: Vec<&[u8]> = keys
                            .iter()
                            .filter(|k| k.starts_with(p))
                            .map(|k| k.as_slice())
                            .collect();
                        if !matched.is_empty() {
                            per_prefix.push((cid, matched));
                        }
                    }
                }
            }
            states = per_client
                .iter()
                .chain(per_prefix.iter())
                .filter_map(|(id, _)| g.clients.get(id).map(|c| (*id, c.clone())))
                .collect();
        }
        for (cid, ks) in per_client.iter().chain(per_prefix.iter()) {
            if let Some(st) = states.get(cid) {
                self.send(srv, *cid, st, Payload::Keys(ks));
            }
        }
    }

    /// FLUSHDB/FLUSHALL: every tracking client gets a null invalidation; the table is emptied.
    pub fn flushed(&self, srv: &Server) {
        if !self.active() {
            return;
        }
        let clients: Vec<(u64, ClientTracking)> = {
            let mut g = self.inner.lock();
            g.table.clear();
            g.items = 0;
            let mut v: Vec<(u64, ClientTracking)> =
                g.clients.iter().map(|(k, v)| (*k, v.clone())).collect();
            v.sort_by_key(|(k, _)| *k);
            v
        };
        for (cid, st) in clients {
            self.send(srv, cid, &st, Payload::Null);
        }
    }

    /// Redis's `sendTrackingMessage`.
    fn send(&self, srv: &Server, id: u64, st: &ClientTracking, payload: Payload<'_>) {
        let Some(me) = srv.clients.read().get(&id).cloned() else {
            return;
        };
        let my_resp3 = me.resp3.load(Relaxed);
        let (target, redirected) = if st.redirect != 0 {
            match srv.clients.read().get(&st.redirect).cloned() {
                Some(r) => (r, true),
                None => {
                    if let Some(ct) = self.inner.lock().clients.get_mut(&id) {
                        ct.broken_redirect = true;
                    }
                    if my_resp3 {
                        let mut m = Vec::new();
                        m.extend_from_slice(b">2\r\n$21\r\ntracking-redir-broken\r\n");
                        m.extend_from_slice(format!(":{}\r\n", st.redirect).as_bytes());
                        srv.deliver(&me, m.into());
                    }
                    return;
                }
            }
        } else {
            (me, false)
        };
        let mut m = Vec::new();
        if target.resp3.load(Relaxed) {
            m.extend_from_slice(b">2\r\n$10\r\ninvalidate\r\n");
        } else if redirected && target.has_flag(super::client::F_PUBSUB) {
            m.extend_from_slice(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n");
        } else {
            return;
        }
        match payload {
            Payload::Keys(keys) => {
                m.extend_from_slice(format!("*{}\r\n", keys.len()).as_bytes());
                for k in keys {
                    m.extend_from_slice(format!("${}\r\n", k.len()).as_bytes());
                    m.extend_from_slice(k);
                    m.extend_from_slice(b"\r\n");
                }
            }
            // The null of the *tracking* client's protocol, as Redis does.
            Payload::Null => m.extend_from_slice(if my_resp3 { b"_\r\n" } else { b"$-1\r\n" }),
        }
        let bytes: Arc<[u8]> = m.into();
        srv.deliver(&target, bytes);
    }
}

enum Payload<'a> {
    Keys(&'a [&'a [u8]]),
    Null,
}
