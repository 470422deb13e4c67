//! The seed case of the transactions issue — one MULTI that appends to a stream, queues a task
//! and publishes a notification is seen by a stream reader, a BRPOP worker and a subscriber
//! together or not at all — and WATCH under racing clients.

mod common;

use common::Server;

#[test]
fn seed_transaction_reaches_reader_worker_and_subscriber_together() {
    let s = Server::start();
    let mut reader = s.raw();
    let mut worker = s.raw();
    let mut sub = s.raw();
    let mut producer = s.raw();
    assert_eq!(
        sub.s("SUBSCRIBE live-notifs"),
        r#"["subscribe", "live-notifs", :1]"#
    );
    reader.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", "logs:service1", "$"]);
    worker.send_cmd(&["BRPOP", "actions-queue", "0"]);
    // Both are blocked once the server reports them.
    loop {
        let info = producer.s("INFO clients");
        if info.contains("blocked_clients:2") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }

    // A transaction refused while queueing changes nothing for anyone.
    assert_eq!(producer.s("MULTI"), "+OK");
    assert_eq!(
        producer.q(&["XADD", "logs:service1", "*", "level", "error"]),
        "+QUEUED"
    );
    assert_eq!(
        producer.s("LPUSH actions-queue"),
        "-ERR wrong number of arguments for 'lpush' command"
    );
    assert_eq!(
        producer.s("EXEC"),
        "-EXECABORT Transaction discarded because of previous errors."
    );
    assert_eq!(producer.s("EXISTS logs:service1 actions-queue"), ":0");

    // The seed transaction.
    assert_eq!(producer.s("MULTI"), "+OK");
    assert_eq!(
        producer.q(&[
            "XADD",
            "logs:service1",
            "*",
            "level",
            "error",
            "req-id",
            "42",
            "stack-trace",
            "at main.rs:1\nat lib.rs:2",
        ]),
        "+QUEUED"
    );
    assert_eq!(
        producer.q(&["LPUSH", "actions-queue", "RESTART=service1"]),
        "+QUEUED"
    );
    assert_eq!(
        producer.q(&["PUBLISH", "live-notifs", "New error event in service1!"]),
        "+QUEUED"
    );
    let exec = producer.s("EXEC");
    assert!(exec.ends_with(", :1, :1]"), "{exec}");

    let got = reader.read().to_string();
    assert!(got.starts_with(r#"[["logs:service1", [["#), "{got}");
    assert!(
        got.ends_with(
            r#"["level", "error", "req-id", "42", "stack-trace", "at main.rs:1\nat lib.rs:2"]]]]]"#
        ),
        "{got}"
    );
    assert_eq!(
        worker.read().to_string(),
        r#"["actions-queue", "RESTART=service1"]"#
    );
    assert_eq!(
        sub.read().to_string(),
        r#"["message", "live-notifs", "New error event in service1!"]"#
    );
    // The task was handed to the worker, not left in the queue; the entry stays in the stream.
    assert_eq!(producer.s("LLEN actions-queue"), ":0");
    assert_eq!(producer.s("XLEN logs:service1"), ":1");
}

#[test]
fn watch_retry_loops_never_lose_an_increment() {
    let s = Server::start();
    let port = s.port;
    let clients = 6;
    let per_client = 150;
    let mut handles = Vec::new();
    for _ in 0..clients {
        handles.push(std::thread::spawn(move || {
            let mut r = common::Raw::connect(port);
            let mut aborted = 0u32;
            for _ in 0..per_client {
                loop {
                    assert_eq!(r.s("WATCH counter"), "+OK");
                    let cur = r.s("GET counter");
                    let n: i64 = if cur == "(nil)" {
                        0
                    } else {
                        cur.trim_matches('"').parse().expect("a number")
                    };
                    assert_eq!(r.s("MULTI"), "+OK");
                    assert_eq!(r.s(&format!("SET counter {}", n + 1)), "+QUEUED");
                    let exec = r.s("EXEC");
                    if exec == "[+OK]" {
                        break;
                    }
                    assert_eq!(
                        exec, "(nil-array)",
                        "a failed EXEC is a null array (RESP2 *-1)"
                    );
                    aborted += 1;
                }
            }
            aborted
        }));
    }
    let aborted: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let mut r = s.raw();
    assert_eq!(r.s("GET counter"), format!("\"{}\"", clients * per_client));
    // Every refused EXEC was retried: the total is exact however many were refused.
    eprintln!("{aborted} EXECs refused by WATCH and retried");
}
