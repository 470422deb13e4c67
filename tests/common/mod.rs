//! Test harness: runs the real `pilgrim-server` binary on an ephemeral loopback port and talks
//! to it with the `redis` crate or with a raw RESP socket that preserves exact reply types.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    pub dir: std::path::PathBuf,
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Server {
    /// Starts a server with test defaults: port 0, no persistence, DEBUG enabled.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Server {
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("pilgrim-test-{}-{}", std::process::id(), n));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Server::start_in(&dir, extra)
    }

    /// Starts a server whose working directory is `dir` (kept when the server stops).
    pub fn start_in(dir: &std::path::Path, extra: &[&str]) -> Server {
        Server::start_until(dir, extra, &["ready to accept connections on "])
    }

    /// Starts a server and returns as soon as it listens, while it may still be loading its
    /// data set (clients then get `-LOADING`).
    pub fn start_listening(dir: &std::path::Path, extra: &[&str]) -> Server {
        Server::start_until(
            dir,
            extra,
            &["listening on ", "ready to accept connections on "],
        )
    }

    fn start_until(dir: &std::path::Path, extra: &[&str], markers: &[&str]) -> Server {
        let mut args: Vec<String> = vec![
            "--port".into(),
            "0".into(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--save".into(),
            "".into(),
            "--appendonly".into(),
            "no".into(),
            "--enable-debug-command".into(),
            "yes".into(),
            "--dir".into(),
            dir.to_string_lossy().into_owned(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_pilgrim-server"))
            .args(&args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pilgrim-server");
        let stderr = child.stderr.take().expect("stderr");
        let mut reader = BufReader::new(stderr);
        let mut line = String::new();
        let port;
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("server exited before becoming ready");
            }
            if let Some((pos, marker)) = markers
                .iter()
                .find_map(|m| line.find(m).map(|pos| (pos, *m)))
            {
                let rest = &line[pos + marker.len()..];
                let addr = rest.split_whitespace().next().expect("addr");
                port = addr
                    .rsplit(':')
                    .next()
                    .expect("port")
                    .parse()
                    .expect("port number");
                break;
            }
        }
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                if std::env::var("PILGRIM_TEST_LOG").is_ok() {
                    eprint!("[server] {sink}");
                }
                sink.clear();
            }
        });
        Server {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A `redis` crate connection (RESP2).
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// A `redis` crate connection speaking RESP3.
    pub fn conn3(&self) -> redis::Connection {
        redis::Client::open(format!("{}?protocol=resp3", self.url()))
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// A raw RESP connection.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL and waits.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to exit (after SHUTDOWN or a signal).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A reply frame with its exact RESP type.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    /// `$-1` (RESP2) or `_` (RESP3).
    Null,
    /// `*-1`.
    NullArray,
    Array(Vec<Frame>),
    Map(Vec<(Frame, Frame)>),
    Set(Vec<Frame>),
    Double(String),
    Bool(bool),
    Push(Vec<Frame>),
    Verbatim(String, Vec<u8>),
    BigNumber(String),
}

fn esc(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

fn join(v: &[Frame]) -> String {
    v.iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for Frame {
    /// Compact text for assertions: `+OK`, `-ERR x`, `:1`, `"bulk"`, `(nil)`, `(nil-array)`,
    /// `[a, b]`, `{k: v}`, `~[..]`, `,1.5`, `#t`, `>[..]`, `=txt:..`, `(big`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Frame::Simple(s) => write!(f, "+{s}"),
            Frame::Error(s) => write!(f, "-{s}"),
            Frame::Int(i) => write!(f, ":{i}"),
            Frame::Bulk(b) => write!(f, "{}", esc(b)),
            Frame::Null => write!(f, "(nil)"),
            Frame::NullArray => write!(f, "(nil-array)"),
            Frame::Array(v) => write!(f, "[{}]", join(v)),
            Frame::Set(v) => write!(f, "~[{}]", join(v)),
            Frame::Push(v) => write!(f, ">[{}]", join(v)),
            Frame::Map(v) => write!(
                f,
                "{{{}}}",
                v.iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Frame::Double(d) => write!(f, ",{d}"),
            Frame::Bool(b) => write!(f, "#{}", if *b { "t" } else { "f" }),
            Frame::Verbatim(fmt, b) => write!(f, "={fmt}:{}", esc(b)),
            Frame::BigNumber(s) => write!(f, "({s}"),
        }
    }
}

impl Frame {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Frame::Bulk(b) => b,
            Frame::Verbatim(_, b) => b,
            Frame::Simple(s) => s.as_bytes(),
            _ => panic!("not a string frame: {self}"),
        }
    }
    pub fn as_int(&self) -> i64 {
        match self {
            Frame::Int(i) => *i,
            _ => panic!("not an integer frame: {self}"),
        }
    }
    pub fn items(&self) -> &[Frame] {
        match self {
            Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => v,
            _ => panic!("not an aggregate frame: {self}"),
        }
    }
}

/// A raw RESP connection.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        Raw::connect_addr("127.0.0.1", port)
    }

    /// Connects to another local address of the server (protected-mode tests).
    pub fn connect_addr(host: &str, port: u16) -> Raw {
        let stream = TcpStream::connect((host, port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Encodes and sends a command without reading the reply.
    pub fn send_cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            let a = a.as_ref();
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.send(&out);
    }

    /// Sends a command and reads one reply.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Frame {
        self.send_cmd(args);
        self.read()
    }

    /// Sends a command and renders the reply as text.
    pub fn q<A: AsRef<[u8]>>(&mut self, args: &[A]) -> String {
        self.cmd(args).to_string()
    }

    /// Sends a command given as one space-separated string (no quoting) and renders the reply.
    pub fn s(&mut self, line: &str) -> String {
        let args: Vec<&str> = line.split(' ').collect();
        self.q(&args)
    }

    fn fill(&mut self) -> bool {
        let mut tmp = [0u8; 65536];
        match self.stream.read(&mut tmp) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                true
            }
            Err(e) => panic!("read error: {e}"),
        }
    }

    fn line(&mut self) -> Option<String> {
        loop {
            if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let l = String::from_utf8_lossy(&self.buf[..p]).into_owned();
                self.buf.drain(..p + 2);
                return Some(l);
            }
            if !self.fill() {
                return None;
            }
        }
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n + 2 {
            assert!(self.fill(), "connection closed mid-frame");
        }
        let v = self.buf[..n].to_vec();
        self.buf.drain(..n + 2);
        v
    }

    /// Reads one frame; panics if the connection closes.
    pub fn read(&mut self) -> Frame {
        self.try_read().expect("connection closed")
    }

    /// Reads one frame, or None if the server closed the connection.
    pub fn try_read(&mut self) -> Option<Frame> {
        let l = self.line()?;
        let (t, rest) = l.split_at(1);
        Some(match t {
            "+" => Frame::Simple(rest.into()),
            "-" => Frame::Error(rest.into()),
            ":" => Frame::Int(rest.parse().unwrap()),
            "$" => {
                let n: i64 = rest.parse().unwrap();
                if n < 0 {
                    Frame::Null
                } else {
                    Frame::Bulk(self.bytes(n as usize))
                }
            }
            "*" => {
                let n: i64 = rest.parse().unwrap();
                if n < 0 {
                    Frame::NullArray
                } else {
                    Frame::Array((0..n).map(|_| self.read()).collect())
                }
            }
            "~" => Frame::Set(
                (0..rest.parse::<usize>().unwrap())
                    .map(|_| self.read())
                    .collect(),
            ),
            ">" => Frame::Push(
                (0..rest.parse::<usize>().unwrap())
                    .map(|_| self.read())
                    .collect(),
            ),
            "%" => Frame::Map(
                (0..rest.parse::<usize>().unwrap())
                    .map(|_| (self.read(), self.read()))
                    .collect(),
            ),
            "_" => Frame::Null,
            "," => Frame::Double(rest.into()),
            "#" => Frame::Bool(rest == "t"),
            "(" => Frame::BigNumber(rest.into()),
            "=" => {
                let b = self.bytes(rest.parse().unwrap());
                Frame::Verbatim(
                    String::from_utf8_lossy(&b[..3]).into_owned(),
                    b[4..].to_vec(),
                )
            }
            _ => panic!("unexpected frame type line: {l:?}"),
        })
    }

    /// Whether the server closed the connection (reads until EOF or timeout).
    pub fn closed(&mut self) -> bool {
        self.stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut tmp = [0u8; 1024];
        loop {
            match self.stream.read(&mut tmp) {
                Ok(0) => return true,
                Ok(_) => continue,
                // Closing with unread input makes the kernel send a reset instead of a FIN.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }
}
