//! Replies that the task frameworks run by `scripts/frameworks.sh` (Celery, RQ, Dramatiq,
//! BullMQ) depend on, as seen on the wire while running them: the client handshakes of
//! redis-py 8.1 and ioredis 6 (both open every connection with `HELLO 3`), BullMQ's script
//! loading (`EVALSHA`, then `SCRIPT LOAD` on `NOSCRIPT`) and its Lua helpers (`cmsgpack`,
//! `cjson`), and RQ's optimistic transactions (`WATCH`/`MULTI`/`EXEC`) in both protocols.
mod common;
use common::*;

fn hello3(r: &mut Raw) {
    let f = r.cmd(&["HELLO", "3"]);
    assert!(matches!(f, Frame::Map(_)), "{f}");
}

/// Value of `field=` in a `CLIENT INFO` line.
fn client_info_field(r: &mut Raw, field: &str) -> String {
    let info = r.cmd(&["CLIENT", "INFO"]);
    let text = String::from_utf8_lossy(info.as_bytes()).into_owned();
    let prefix = format!("{field}=");
    text.split(' ')
        .find_map(|kv| kv.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {field} in {text}"))
        .trim_end()
        .to_string()
}

#[test]
fn redis_py_handshake() {
    // redis-py 8.1: HELLO 3, CLIENT MAINT_NOTIFICATIONS (an error on 7.2, ignored by the
    // client), then CLIENT SETINFO for its name and version; every later command relies on
    // the connection being in RESP3.
    let s = Server::start();
    let mut r = s.raw();
    let hello = r.cmd(&["HELLO", "3"]);
    let Frame::Map(fields) = &hello else {
        panic!("HELLO 3 must reply with a map: {hello}")
    };
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key.as_bytes() == k.as_bytes())
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| panic!("no {k} in {hello}"))
    };
    assert_eq!(get("server"), "\"redis\"");
    assert_eq!(get("proto"), ":3");
    assert_eq!(get("mode"), "\"standalone\"");
    assert_eq!(get("role"), "\"master\"");
    assert_eq!(get("modules"), "[]");
    assert_eq!(
        r.s("CLIENT MAINT_NOTIFICATIONS ON moving-endpoint-type internal-fqdn"),
        "-ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP."
    );
    assert_eq!(r.s("CLIENT SETINFO LIB-NAME redis-py"), "+OK");
    assert_eq!(r.s("CLIENT SETINFO LIB-VER 8.1.0"), "+OK");
    assert_eq!(client_info_field(&mut r, "lib-name"), "redis-py");
    assert_eq!(client_info_field(&mut r, "lib-ver"), "8.1.0");
    assert_eq!(client_info_field(&mut r, "resp"), "3");
    // RQ names its worker connections.
    assert_eq!(r.s("CLIENT SETNAME rq:worker:abc"), "+OK");
    assert_eq!(r.s("CLIENT GETNAME"), "\"rq:worker:abc\"");
    assert_eq!(r.s("PING"), "+PONG");
}

#[test]
fn ioredis_handshake_and_bullmq_scripts() {
    // ioredis 6 (BullMQ's default driver): HELLO 3, CLIENT SETINFO LIB-VER / LIB-NAME.
    let s = Server::start();
    let mut r = s.raw();
    hello3(&mut r);
    assert_eq!(r.s("CLIENT SETINFO LIB-VER 6.0.0"), "+OK");
    // With a clientInfoTag the name is `ioredis(tag)`: parentheses are allowed.
    assert_eq!(r.s("CLIENT SETINFO LIB-NAME ioredis(bullmq)"), "+OK");
    assert_eq!(client_info_field(&mut r, "lib-name"), "ioredis(bullmq)");
    assert_eq!(r.s("CLIENT SETINFO LIB-NAME ioredis"), "+OK");
    assert_eq!(client_info_field(&mut r, "lib-ver"), "6.0.0");

    // BullMQ runs every script with EVALSHA and loads it on NOSCRIPT.
    let script = "return {KEYS[1], ARGV[1], 7}";
    let sha = {
        let f = r.cmd(&["SCRIPT", "LOAD", script]);
        String::from_utf8(f.as_bytes().to_vec()).unwrap()
    };
    assert_eq!(r.s("SCRIPT FLUSH"), "+OK");
    assert_eq!(
        r.q(&["EVALSHA", sha.as_str(), "1", "k", "v"]),
        "-NOSCRIPT No matching script. Please use EVAL."
    );
    assert_eq!(r.q(&["SCRIPT", "LOAD", script]), format!("\"{sha}\""));
    assert_eq!(
        r.q(&["EVALSHA", sha.as_str(), "1", "k", "v"]),
        "[\"k\", \"v\", :7]"
    );

    // Job options arrive msgpack-encoded (msgpackr) and are read with cmsgpack.unpack;
    // job data and return values go through cjson.
    // {"attempts": 2, "delay": 500} as msgpack: fixmap of 2.
    let packed: &[u8] = b"\x82\xa8attempts\x02\xa5delay\xcd\x01\xf4";
    assert_eq!(
        r.q(&[
            b"EVAL".as_slice(),
            b"local o = cmsgpack.unpack(ARGV[1]) return {o.attempts, o.delay}".as_slice(),
            b"0".as_slice(),
            packed,
        ]),
        "[:2, :500]"
    );
    assert_eq!(
        r.q(&["EVAL", "return cjson.decode(ARGV[1]).x", "0", "{\"x\":42}"]),
        ":42"
    );
    assert_eq!(
        r.q(&["EVAL", "return cjson.encode({returnvalue = 3})", "0"]),
        "\"{\\\"returnvalue\\\":3}\""
    );
}

#[test]
fn rq_optimistic_transaction_both_protocols() {
    // RQ enqueues with WATCH on the job key, then MULTI/EXEC; a concurrent change must abort
    // the transaction with a null reply (RESP2 `*-1`, RESP3 `_`).
    let s = Server::start();
    for proto in ["2", "3"] {
        let mut r = s.raw();
        let mut other = s.raw();
        assert!(!r.q(&["HELLO", proto]).starts_with('-'));
        let key = format!("rq:job:{proto}");
        assert_eq!(r.q(&["WATCH", key.as_str()]), "+OK");
        assert_eq!(other.q(&["HSET", key.as_str(), "status", "queued"]), ":1");
        assert_eq!(r.s("MULTI"), "+OK");
        assert_eq!(r.q(&["HSET", key.as_str(), "status", "started"]), "+QUEUED");
        let want = if proto == "2" { "(nil-array)" } else { "(nil)" };
        assert_eq!(r.s("EXEC"), want);
        assert_eq!(r.q(&["HGET", key.as_str(), "status"]), "\"queued\"");
        // Unchanged watched key: EXEC runs.
        assert_eq!(r.q(&["WATCH", key.as_str()]), "+OK");
        assert_eq!(r.s("MULTI"), "+OK");
        assert_eq!(r.q(&["HSET", key.as_str(), "status", "started"]), "+QUEUED");
        assert_eq!(r.q(&["LMOVE", "q:a", "q:b", "RIGHT", "LEFT"]), "+QUEUED");
        assert_eq!(r.s("EXEC"), "[:0, (nil)]");
    }
}
