//! `pilgrim-server [config-file] [--directive value ...]`, like `redis-server`.

use mimalloc::MiMalloc;
use std::sync::Arc;

/// mimalloc, counted so `used_memory` and maxmemory see every byte the server holds.
#[global_allocator]
static GLOBAL: pilgrim::security::memory::Counting<MiMalloc> =
    pilgrim::security::memory::Counting(MiMalloc);

fn main() {
    pilgrim::security::memory::enable_counting();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version" || a == "-v") {
        println!(
            "Pilgrim server v={} (Redis-compatible, reports redis_version {}) bits=64",
            pilgrim::VERSION,
            pilgrim::REDIS_VERSION
        );
        return;
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("Usage: pilgrim-server [/path/to/redis.conf] [options] [-]");
        println!("       pilgrim-server - (read config from stdin)");
        println!("       pilgrim-server -v or --version");
        println!("       pilgrim-server -h or --help");
        println!();
        println!("Examples:");
        println!("       pilgrim-server (run the server with default config)");
        println!("       pilgrim-server /etc/redis/6379.conf");
        println!("       pilgrim-server --port 7777");
        println!("       pilgrim-server /etc/myredis.conf --loglevel verbose --save 60 1000");
        return;
    }
    let cfg = match pilgrim::config::Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let srv = pilgrim::server::Server::new(cfg);
    if let Err(e) = srv.cfg.validate_all() {
        eprintln!("Fatal configuration error: {e}");
        std::process::exit(1);
    }
    pilgrim::server::cron::install_signal_handlers();
    let handle = match pilgrim::server::start(Arc::clone(&srv)) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("# {e}");
            std::process::exit(1);
        }
    };
    // As Redis: clients connecting while the data set loads get -LOADING, and the server
    // announces itself ready only once the data set is in memory.
    if srv.loading.load(std::sync::atomic::Ordering::SeqCst) {
        eprintln!(
            "Pilgrim {} listening on {} while loading the data set",
            pilgrim::VERSION,
            handle.addr()
        );
    }
    while srv.loading.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    eprintln!(
        "Pilgrim {} ready to accept connections on {} ({} worker threads)",
        pilgrim::VERSION,
        handle.addr(),
        srv.workers.get().map_or(0, |w| w.len())
    );
    handle.join();
    eprintln!("Pilgrim is now ready to exit, bye bye...");
}
