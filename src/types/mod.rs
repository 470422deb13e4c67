//! Value types: the data structures behind each Redis type, usable without a server.
//!
//! Each module documents its representation at the top. Encoding thresholds are module statics
//! set from the configuration (`install_config_hooks`).

pub mod geo;
pub mod hash;
pub mod hll;
mod htable;
pub mod list;
mod packed;
pub mod set;
pub mod stream;
pub mod zset;

pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use stream::Stream;
pub use zset::ZSet;

use crate::config::Config;

/// Mirrors the encoding thresholds from the configuration into the type modules.
pub fn install_config_hooks(cfg: &Config) {
    use std::sync::atomic::Ordering::Relaxed;
    let usize_hook = |name: &'static str, target: &'static std::sync::atomic::AtomicUsize| {
        cfg.on_change(name, move |v| {
            target.store(v.parse().unwrap_or(0), Relaxed);
            Ok(())
        });
    };
    usize_hook(
        "hash-max-listpack-entries",
        &hash::HASH_MAX_LISTPACK_ENTRIES,
    );
    usize_hook("hash-max-listpack-value", &hash::HASH_MAX_LISTPACK_VALUE);
    usize_hook("set-max-intset-entries", &set::SET_MAX_INTSET_ENTRIES);
    usize_hook("set-max-listpack-entries", &set::SET_MAX_LISTPACK_ENTRIES);
    usize_hook("set-max-listpack-value", &set::SET_MAX_LISTPACK_VALUE);
    usize_hook(
        "zset-max-listpack-entries",
        &zset::ZSET_MAX_LISTPACK_ENTRIES,
    );
    usize_hook("zset-max-listpack-value", &zset::ZSET_MAX_LISTPACK_VALUE);
    cfg.on_change("list-max-listpack-size", |v| {
        list::LIST_MAX_LISTPACK_SIZE.store(v.parse().unwrap_or(-2), Relaxed);
        Ok(())
    });
    usize_hook("stream-node-max-bytes", &stream::STREAM_NODE_MAX_BYTES);
    usize_hook("stream-node-max-entries", &stream::STREAM_NODE_MAX_ENTRIES);
    cfg.on_change("hll-sparse-max-bytes", |v| {
        hll::HLL_SPARSE_MAX_BYTES.store(v.parse().unwrap_or(3000), Relaxed);
        Ok(())
    });
}
