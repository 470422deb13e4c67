//! Rebuilding a stream from its serialized parts (RDB, DUMP payloads): entries with their
//! original IDs, the stream-wide counters, and consumer groups with their PELs and consumers.
//! The loader supplies values Redis wrote; this module only puts them in place.

use super::group::{ConsumerGroup, PelEntry};
use super::{Stream, StreamId};

/// A consumer as serialized: name, seen time, active time (None: never active) and the IDs
/// it owns (each must be in the group PEL).
pub struct LoadedConsumer {
    pub name: Vec<u8>,
    pub seen_time: u64,
    pub active_time: Option<u64>,
    pub pending: Vec<StreamId>,
}

/// A consumer group as serialized.
pub struct LoadedGroup {
    pub name: Vec<u8>,
    pub last_id: StreamId,
    pub entries_read: Option<u64>,
    /// (id, delivery time, delivery count).
    pub pel: Vec<(StreamId, u64, u64)>,
    pub consumers: Vec<LoadedConsumer>,
}

impl Stream {
    /// Appends a loaded entry. IDs must come in strictly increasing order.
    pub fn load_entry<T: AsRef<[u8]>>(&mut self, id: StreamId, fields_values: &[T]) -> bool {
        if self.log.length > 0 && id <= self.log.last_id {
            return false;
        }
        self.log.append(id, fields_values);
        true
    }

    /// Sets the counters after the entries were loaded.
    pub fn load_meta(
        &mut self,
        last_id: StreamId,
        first_id: Option<StreamId>,
        max_deleted_id: StreamId,
        entries_added: Option<u64>,
    ) {
        if last_id > self.log.last_id {
            self.log.last_id = last_id;
        }
        match first_id {
            Some(f) if self.log.length > 0 => self.log.first_id = f,
            _ => self.log.refresh_first_id(),
        }
        if self.log.length == 0 {
            self.log.first_id = StreamId::default();
        }
        self.log.max_deleted_id = max_deleted_id;
        self.log.entries_added = entries_added.unwrap_or(self.log.length);
    }

    /// Adds a loaded group. Fails (false) on a duplicate name or a consumer owning an ID that
    /// is not in the PEL (or owned twice).
    pub fn load_group(&mut self, g: LoadedGroup) -> bool {
        if self.groups.contains_key(g.name.as_slice()) {
            return false;
        }
        let mut group = ConsumerGroup::new(g.last_id, g.entries_read);
        let pel: std::collections::BTreeMap<StreamId, (u64, u64)> =
            g.pel.iter().map(|&(id, t, c)| (id, (t, c))).collect();
        if pel.len() != g.pel.len() {
            return false;
        }
        let mut owned = 0;
        for c in g.consumers {
            let (slot, created) = group.get_or_create_consumer(&c.name, c.seen_time);
            if !created {
                return false;
            }
            group.slot_mut(slot).active_time = c.active_time;
            for id in c.pending {
                let Some(&(t, n)) = pel.get(&id) else {
                    return false;
                };
                if group.pel.contains_key(&id) {
                    return false;
                }
                group.insert_pending(
                    id,
                    slot,
                    PelEntry {
                        owner: slot,
                        delivery_time: t,
                        delivery_count: n,
                    },
                );
                owned += 1;
            }
        }
        // Redis refuses PEL entries without an owner in a consumer.
        if owned != pel.len() {
            return false;
        }
        self.groups.insert(g.name.into(), group);
        true
    }
}
