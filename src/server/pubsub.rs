//! The Pub/Sub registry: who is subscribed to which channel, pattern or shard channel, and
//! message fan-out.
//!
//! PUBLISH encodes a message at most once per protocol version (RESP2 arrays and RESP3 push
//! frames differ only in the first byte) and hands the same reference-counted buffer to every
//! subscriber's outbox: a message costs one allocation whatever the number of subscribers, and
//! the publisher never waits for a subscriber (slow ones are cut off by their output limit).

use hashbrown::HashMap;
use parking_lot::RwLock;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::client::ClientShared;
use crate::util::glob::glob_match;

type Subs = HashMap<u64, Arc<ClientShared>>;

/// Pushes for the client whose command is executing on this thread.
///
/// Redis 7.2 (`server.pending_push_messages`) holds back a push addressed to the client that
/// is running the command (PUBLISH to a channel it listens to, a keyspace event of its own
/// write, inside MULTI or a script too) and appends it after the command's whole reply, so a
/// push never lands inside or before the reply it belongs to. Pushes are also exempt from
/// CLIENT REPLY OFF/SKIP (Redis's CLIENT_PUSHING flag): `direct` collects the subscription
/// confirmations a subscribe-family command emits as its reply while replies are suppressed.
#[derive(Default)]
struct ExecPushes {
    deferred: Vec<u8>,
    direct: Vec<u8>,
}

thread_local! {
    /// The client executing a command on this thread (0: none). A plain cell: every delivery
    /// compares against it, so it must be cheap.
    static EXEC_CLIENT: Cell<u64> = const { Cell::new(0) };
    static EXEC_PUSHES: RefCell<ExecPushes> = RefCell::default();
}

/// Marks client `id` as executing a command on this thread; returns the previous marker for
/// [`end_command`].
pub fn begin_command(id: u64) -> u64 {
    EXEC_CLIENT.with(|c| c.replace(id))
}

/// Ends a command: restores the previous marker and returns (confirmations written while the
/// reply was suppressed, pushes held back until after the reply).
pub fn end_command(prev: u64) -> (Vec<u8>, Vec<u8>) {
    EXEC_CLIENT.with(|c| c.set(prev));
    EXEC_PUSHES.with(|e| {
        let mut e = e.borrow_mut();
        if e.direct.is_empty() && e.deferred.is_empty() {
            return (Vec::new(), Vec::new());
        }
        (
            std::mem::take(&mut e.direct),
            std::mem::take(&mut e.deferred),
        )
    })
}

/// Holds back `msg` if it is addressed to the client executing on this thread.
#[inline]
pub fn defer_if_executing(client_id: u64, msg: &[u8]) -> bool {
    let cur = EXEC_CLIENT.with(|c| c.get());
    if cur == 0 || cur != client_id {
        return false;
    }
    EXEC_PUSHES.with(|e| e.borrow_mut().deferred.extend_from_slice(msg));
    true
}

/// Writes a push the executing client must get even though its replies are suppressed.
pub fn push_direct(bytes: &[u8]) {
    EXEC_PUSHES.with(|e| e.borrow_mut().direct.extend_from_slice(bytes));
}

/// The workers to wake after a fan-out: each subscriber's worker gets one batch of attention
/// notices (one queue lock and at most one wake-up) instead of one per subscriber.
pub struct Wakes {
    ids: smallvec::SmallVec<[(usize, u64); 16]>,
}

impl Wakes {
    pub fn new() -> Wakes {
        Wakes {
            ids: smallvec::SmallVec::new(),
        }
    }

    /// Notes a client whose outbox got data (once until its worker looks at it). A sleeping
    /// worker is woken at once, so it drains while the fan-out goes on; busy ones get the
    /// batch at the end.
    #[inline]
    pub fn add(&mut self, srv: &super::Server, c: &ClientShared) {
        if !c.pending.swap(true, std::sync::atomic::Ordering::AcqRel) {
            match srv.workers.get().map(|ws| &ws[c.worker]) {
                Some(w) if w.is_sleeping() => w.attention(c.id),
                _ => self.ids.push((c.worker, c.id)),
            }
        }
    }

    /// Sends the notices, one batch per worker.
    pub fn send(mut self, srv: &super::Server) {
        if self.ids.is_empty() {
            return;
        }
        let Some(ws) = srv.workers.get() else {
            return;
        };
        self.ids.sort_unstable_by_key(|&(w, _)| w);
        for chunk in self.ids.chunk_by(|a, b| a.0 == b.0) {
            ws[chunk[0].0].attention_many(chunk.iter().map(|&(_, id)| id));
        }
    }
}

impl Default for Wakes {
    fn default() -> Self {
        Wakes::new()
    }
}

/// Hands one encoded message to one subscriber.
pub type Deliver<'a> = dyn FnMut(&Arc<ClientShared>, Arc<[u8]>) + 'a;

#[derive(Default)]
struct Registry {
    channels: HashMap<Vec<u8>, Subs>,
    patterns: HashMap<Vec<u8>, Subs>,
    shard_channels: HashMap<Vec<u8>, Subs>,
}

#[derive(Default)]
pub struct PubSub {
    reg: RwLock<Registry>,
}

/// Which namespace a subscription lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

/// Encodes a pushed message: `[kind, a, b]` or `[kind, a, b, c]` as a RESP2 array or RESP3 push.
/// One allocation of the exact size (the shared buffer every subscriber gets a reference to).
pub fn encode_push(resp3: bool, parts: &[&[u8]]) -> Arc<[u8]> {
    let mut itoa = itoa::Buffer::new();
    let len = 3
        + itoa.format(parts.len()).len()
        + parts
            .iter()
            .map(|p| 1 + itoa.format(p.len()).len() + 2 + p.len() + 2)
            .sum::<usize>();
    let mut arc: Arc<[std::mem::MaybeUninit<u8>]> = Arc::new_uninit_slice(len);
    let buf = Arc::get_mut(&mut arc).expect("fresh allocation");
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        for (d, s) in buf[at..at + bytes.len()].iter_mut().zip(bytes) {
            d.write(*s);
        }
        at += bytes.len();
    };
    put(if resp3 { b">" } else { b"*" });
    put(itoa.format(parts.len()).as_bytes());
    put(b"\r\n");
    for p in parts {
        put(b"$");
        put(itoa.format(p.len()).as_bytes());
        put(b"\r\n");
        put(p);
        put(b"\r\n");
    }
    debug_assert_eq!(at, len);
    // SAFETY: the loop above wrote every one of the `len` bytes.
    unsafe { arc.assume_init() }
}

/// Lazily encoded message in both protocol versions.
struct Encoded<'a> {
    parts: [&'a [u8]; 4],
    n: usize,
    v2: Option<Arc<[u8]>>,
    v3: Option<Arc<[u8]>>,
}

impl<'a> Encoded<'a> {
    fn get(&mut self, resp3: bool) -> Arc<[u8]> {
        let slot = if resp3 { &mut self.v3 } else { &mut self.v2 };
        slot.get_or_insert_with(|| encode_push(resp3, &self.parts[..self.n]))
            .clone()
    }
}

impl PubSub {
    fn map(reg: &mut Registry, kind: Kind) -> &mut HashMap<Vec<u8>, Subs> {
        match kind {
            Kind::Channel => &mut reg.channels,
            Kind::Pattern => &mut reg.patterns,
            Kind::Shard => &mut reg.shard_channels,
        }
    }

    /// Adds a subscription; false if it already existed.
    pub fn subscribe(&self, kind: Kind, name: &[u8], client: &Arc<ClientShared>) -> bool {
        let mut reg = self.reg.write();
        Self::map(&mut reg, kind)
            .entry(name.to_vec())
            .or_default()
            .insert(client.id, client.clone())
            .is_none()
    }

    /// Removes a subscription; false if it did not exist.
    pub fn unsubscribe(&self, kind: Kind, name: &[u8], client_id: u64) -> bool {
        let mut reg = self.reg.write();
        let m = Self::map(&mut reg, kind);
        let Some(subs) = m.get_mut(name) else {
            return false;
        };
        let removed = subs.remove(&client_id).is_some();
        if subs.is_empty() {
            m.remove(name);
        }
        removed
    }

    /// Publishes to a channel (and matching patterns). Returns the receiver count, as Redis
    /// counts it (a client matching several patterns counts once per pattern).
    pub fn publish(&self, channel: &[u8], message: &[u8], deliver: &mut Deliver<'_>) -> usize {
        let reg = self.reg.read();
        let mut n = 0;
        if let Some(subs) = reg.channels.get(channel) {
            let mut enc = Encoded {
                parts: [b"message", channel, message, b""],
                n: 3,
                v2: None,
                v3: None,
            };
            for c in subs.values() {
                deliver(
                    c,
                    enc.get(c.resp3.load(std::sync::atomic::Ordering::Relaxed)),
                );
                n += 1;
            }
        }
        for (pat, subs) in reg.patterns.iter() {
            if glob_match(pat, channel, false) {
                let mut enc = Encoded {
                    parts: [b"pmessage", pat, channel, message],
                    n: 4,
                    v2: None,
                    v3: None,
                };
                for c in subs.values() {
                    deliver(
                        c,
                        enc.get(c.resp3.load(std::sync::atomic::Ordering::Relaxed)),
                    );
                    n += 1;
                }
            }
        }
        n
    }

    /// SPUBLISH: shard channel subscribers only.
    pub fn spublish(&self, channel: &[u8], message: &[u8], deliver: &mut Deliver<'_>) -> usize {
        let reg = self.reg.read();
        let mut n = 0;
        if let Some(subs) = reg.shard_channels.get(channel) {
            let mut enc = Encoded {
                parts: [b"smessage", channel, message, b""],
                n: 3,
                v2: None,
                v3: None,
            };
            for c in subs.values() {
                deliver(
                    c,
                    enc.get(c.resp3.load(std::sync::atomic::Ordering::Relaxed)),
                );
                n += 1;
            }
        }
        n
    }

    /// Whether anyone at all listens (fast path for keyspace notifications).
    pub fn has_listeners(&self) -> bool {
        let reg = self.reg.read();
        !reg.channels.is_empty() || !reg.patterns.is_empty()
    }

    /// PUBSUB CHANNELS / SHARDCHANNELS.
    pub fn names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let reg = self.reg.read();
        let m = match kind {
            Kind::Channel => &reg.channels,
            Kind::Pattern => &reg.patterns,
            Kind::Shard => &reg.shard_channels,
        };
        m.keys()
            .filter(|k| pattern.is_none_or(|p| glob_match(p, k, false)))
            .cloned()
            .collect()
    }

    /// Subscriber count of one channel (PUBSUB NUMSUB / SHARDNUMSUB).
    pub fn count(&self, kind: Kind, name: &[u8]) -> usize {
        let reg = self.reg.read();
        let m = match kind {
            Kind::Channel => &reg.channels,
            Kind::Pattern => &reg.patterns,
            Kind::Shard => &reg.shard_channels,
        };
        m.get(name).map_or(0, |s| s.len())
    }

    /// Number of distinct patterns (PUBSUB NUMPAT).
    /// Every subscription of the given clients: (client id, kind, channel or pattern). ACL
    /// changes use it to find subscribers whose channel permission was revoked.
    pub fn subscriptions_of(
        &self,
        ids: &std::collections::HashSet<u64>,
    ) -> Vec<(u64, Kind, Vec<u8>)> {
        let reg = self.reg.read();
        let mut out = Vec::new();
        for (kind, map) in [
            (Kind::Channel, &reg.channels),
            (Kind::Pattern, &reg.patterns),
            (Kind::Shard, &reg.shard_channels),
        ] {
            for (name, subs) in map.iter() {
                for id in subs.keys() {
                    if ids.contains(id) {
                        out.push((*id, kind, name.clone()));
                    }
                }
            }
        }
        out
    }

    pub fn numpat(&self) -> usize {
        self.reg.read().patterns.len()
    }

    /// Sizes for INFO: (channels, patterns, shard channels).
    pub fn sizes(&self) -> (usize, usize, usize) {
        let reg = self.reg.read();
        (
            reg.channels.len(),
            reg.patterns.len(),
            reg.shard_channels.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::encode_push;

    #[test]
    fn encodes_exactly() {
        assert_eq!(
            &encode_push(false, &[b"message", b"ch", b"hello"])[..],
            b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"
        );
        assert_eq!(
            &encode_push(true, &[b"pmessage", b"c*", b"", &[0u8; 12]])[..],
            &b">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$0\r\n\r\n$12\r\n\0\0\0\0\0\0\0\0\0\0\0\0\r\n"[..]
        );
    }
}
