//! Value types: the data structures behind each Redis type, usable without a server.
//!
//! Each module documents its representation at the top. Encoding thresholds are module statics
//! set from the configuration (`install_config_hooks`).

mod interim;

pub use interim::{Hash, List, Set, Stream, ZSet};

use crate::config::Config;

/// Mirrors the encoding thresholds from the configuration into the type modules.
pub fn install_config_hooks(cfg: &Config) {
    let _ = cfg;
}
