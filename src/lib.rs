//! Pilgrim: a Redis-compatible server for Pub/Sub, task queues, streams and shared state.
//!
//! Layers (each knows only the one below it): `server` (connections, event loops, dispatch) →
//! `protocol` (RESP2/RESP3) → `cmd` (the command table and one module per family) → `store`
//! (the sharded keyspace) → `types` (the data structures). `persist` and `security` hang off
//! the after-write path and the dispatcher.

pub mod cmd;
pub mod config;
pub mod error;
pub mod persist;
pub mod protocol;
pub mod scripting;
pub mod security;
pub mod server;
pub mod store;
pub mod types;
pub mod util;

/// Pilgrim's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Redis version we report (INFO redis_version, HELLO): clients enable features by it.
pub const REDIS_VERSION: &str = "7.2.4";

use std::sync::Arc;

/// Starts a server from command-line style arguments; returns a handle (used by tests to run
/// servers in-process on ephemeral ports).
pub fn start_with_args(args: &[&str]) -> Result<server::Handle, String> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let cfg = config::Config::from_args(&args).map_err(|e| e.to_string())?;
    let srv = server::Server::new(cfg);
    srv.cfg.validate_all()?;
    server::start(Arc::clone(&srv)).map_err(|e| e.to_string())
}
