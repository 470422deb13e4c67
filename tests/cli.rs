//! The binary's command line: config file plus `--directive value` overrides, start-up errors
//! that name the bad directive, --version, CONFIG REWRITE, and graceful shutdown (SIGTERM,
//! SIGINT, SHUTDOWN).
mod common;
mod fixtures;
use common::*;
use fixtures::*;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pilgrim-server"))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pilgrim-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary expecting it to exit at once; returns (exit code, stdout, stderr).
fn run_to_exit(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().expect("run pilgrim-server");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn version_and_help() {
    for flag in ["--version", "-v"] {
        let (code, out, _) = run_to_exit(&[flag]);
        assert_eq!(code, 0);
        assert_eq!(
            out,
            format!(
                "Pilgrim server v={} (Redis-compatible, reports redis_version 7.2.4) bits=64\n",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
    let (code, out, _) = run_to_exit(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("Usage: pilgrim-server [/path/to/redis.conf] [options] [-]\n"),
        "{out}"
    );
}

#[test]
fn unknown_directives_are_startup_errors_that_name_them() {
    let dir = temp_dir("bad");
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, "port 0\n# a comment\nnosuchdirective 1\n").unwrap();
    let (code, _, err) = run_to_exit(&[conf.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("at line 3\n>>> 'nosuchdirective 1'\nBad directive or wrong number of arguments: 'nosuchdirective'"), "{err}");
    let (code, _, err) = run_to_exit(&["--port", "0", "--frobnicate", "yes"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(">>> 'frobnicate yes'") && err.contains("'frobnicate'"),
        "{err}"
    );
    let (code, _, err) = run_to_exit(&["--maxmemory", "lots"]);
    assert_eq!(code, 1);
    assert!(err.contains(">>> 'maxmemory lots'"), "{err}");
    let missing = dir.join("missing.conf");
    let (code, _, err) = run_to_exit(&[missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("Fatal error, can't open config file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server started from a config file (first argument) plus overrides.
struct FileServer {
    child: std::process::Child,
    port: u16,
}

impl FileServer {
    fn start(conf: &std::path::Path, overrides: &[&str]) -> FileServer {
        let mut args = vec![conf.to_str().unwrap()];
        args.extend_from_slice(overrides);
        let mut child = bin()
            .args(&args)
            .current_dir(conf.parent().unwrap())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let port = loop {
            line.clear();
            assert!(
                reader.read_line(&mut line).unwrap() > 0,
                "server exited early"
            );
            if let Some(p) = line.find("ready to accept connections on ") {
                let addr = line[p..].split_whitespace().nth(5).unwrap();
                break addr.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        FileServer { child, port }
    }

    fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        for _ in 0..1000 {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("server did not exit");
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn config_file_plus_overrides_and_config_rewrite() {
    let dir = temp_dir("conf");
    let conf = dir.join("pilgrim.conf");
    std::fs::write(
        &conf,
        "# test configuration\nport 0\nbind 127.0.0.1\nsave \"\"\nappendonly no\nmaxmemory 10mb\nhz 20\nmaxmemory-policy allkeys-lru\n",
    )
    .unwrap();
    let s = FileServer::start(&conf, &["--maxmemory", "20mb", "--timeout", "300"]);
    let mut r = s.raw();
    check(
        &mut r,
        &[
            // The override wins over the file; the file wins over the defaults.
            ("CONFIG GET maxmemory", r#"["maxmemory", "20971520"]"#),
            ("CONFIG GET hz", r#"["hz", "20"]"#),
            ("CONFIG GET timeout", r#"["timeout", "300"]"#),
            (
                "CONFIG GET maxmemory-policy",
                r#"["maxmemory-policy", "allkeys-lru"]"#,
            ),
            ("CONFIG SET maxmemory-policy volatile-ttl", "+OK"),
            ("CONFIG SET slowlog-max-len 7", "+OK"),
            ("CONFIG REWRITE", "+OK"),
        ],
    );
    let info = String::from_utf8(r.cmd(&["INFO", "server"]).as_bytes().to_vec()).unwrap();
    assert!(
        info.contains(&format!(
            "config_file:{}\r\n",
            std::fs::canonicalize(&conf).unwrap().display()
        )),
        "{info}"
    );
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(
        text.starts_with("# test configuration\n"),
        "comments are kept: {text}"
    );
    assert!(text.contains("\nmaxmemory-policy volatile-ttl\n"), "{text}");
    assert!(text.contains("\nslowlog-max-len 7\n"), "{text}");
    assert!(text.contains("\nhz 20\n"), "{text}");
    assert!(!text.contains("maxmemory-policy allkeys-lru"), "{text}");
    drop(s);
    // The rewritten file starts a server with the same settings.
    let s = FileServer::start(&conf, &[]);
    let mut r = s.raw();
    check(
        &mut r,
        &[
            (
                "CONFIG GET maxmemory-policy",
                r#"["maxmemory-policy", "volatile-ttl"]"#,
            ),
            ("CONFIG GET slowlog-max-len", r#"["slowlog-max-len", "7"]"#),
        ],
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

fn plain_conf(name: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    let conf = dir.join("p.conf");
    std::fs::write(&conf, "port 0\nbind 127.0.0.1\nsave \"\"\nappendonly no\n").unwrap();
    conf
}

#[test]
fn sigterm_and_sigint_shut_down_gracefully() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let conf = plain_conf(&format!("sig{sig}"));
        let mut s = FileServer::start(&conf, &[]);
        let mut r = s.raw();
        assert_eq!(r.s("SET k v"), "+OK");
        // SAFETY: sending a signal to the child process we spawned.
        assert_eq!(unsafe { libc::kill(s.child.id() as i32, sig) }, 0);
        let status = s.wait_exit();
        assert_eq!(status.code(), Some(0), "signal {sig}: {status:?}");
        assert!(r.closed(), "clients are disconnected");
        let _ = std::fs::remove_dir_all(conf.parent().unwrap());
    }
}

#[test]
fn shutdown_command() {
    let conf = plain_conf("shutdown");
    let mut s = FileServer::start(&conf, &[]);
    let mut r = s.raw();
    let mut other = s.raw();
    check(
        &mut r,
        &[
            ("SHUTDOWN ABORT", "-ERR No shutdown in progress."),
            ("SHUTDOWN FOO", "-ERR syntax error"),
            ("SHUTDOWN NOSAVE ABORT", "-ERR syntax error"),
            ("MULTI", "+OK"),
            ("SHUTDOWN", "-ERR Command not allowed inside a transaction"),
            ("DISCARD", "+OK"),
        ],
    );
    r.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    assert!(r.closed(), "SHUTDOWN closes the connection without a reply");
    assert_eq!(s.wait_exit().code(), Some(0));
    assert!(other.closed());
    let _ = std::fs::remove_dir_all(conf.parent().unwrap());
    // SHUTDOWN SAVE with no persistence configured exits just the same.
    let conf = plain_conf("shutdown-save");
    let mut s = FileServer::start(&conf, &[]);
    s.raw().send_cmd(&["SHUTDOWN", "SAVE"]);
    assert_eq!(s.wait_exit().code(), Some(0));
    let _ = std::fs::remove_dir_all(conf.parent().unwrap());
}
