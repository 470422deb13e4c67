//! Client-side caching: CLIENT TRACKING (default mode, OPTIN, OPTOUT, NOLOOP, BCAST with
//! prefixes, REDIRECT to RESP2 subscribers and RESP3 clients), CLIENT CACHING, CLIENT GETREDIR,
//! CLIENT TRACKINGINFO, invalidation on every kind of write (including expiry, MULTI and
//! FLUSHALL's null), option errors, CLIENT LIST flags and RESET.
//!
//! Negative checks ("no message for that key") are made robust by triggering a later, expected
//! invalidation and asserting it is the next message received.
mod common;
mod fixtures;
use common::*;
use fixtures::*;

fn hello3(r: &mut Raw) {
    let f = r.cmd(&["HELLO", "3"]);
    assert!(matches!(f, Frame::Map(_)), "{f}");
}

fn id_of(r: &mut Raw) -> String {
    r.s("CLIENT ID").trim_start_matches(':').to_string()
}

/// A RESP3 client with tracking on (plus `opts`).
fn tracker(s: &Server, opts: &str) -> Raw {
    let mut r = s.raw();
    hello3(&mut r);
    let cmd = format!("CLIENT TRACKING ON {opts}");
    assert_eq!(r.s(cmd.trim()), "+OK");
    r
}

#[test]
fn default_mode_invalidates_read_keys_once() {
    let s = Server::start();
    let mut t = tracker(&s, "");
    let mut w = s.raw();
    assert_eq!(w.s("SET a 1"), "+OK");
    assert_eq!(t.s("GET a"), "\"1\"");
    // A missing key that was read is tracked too.
    assert_eq!(t.s("GET missing"), "(nil)");
    assert_eq!(w.s("SET a 2"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"a\"]]");
    // Reported once: a second write without a new read sends nothing; then a tracked key does.
    assert_eq!(w.s("SET a 3"), "+OK");
    assert_eq!(w.s("SET missing x"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"missing\"]]");
    // Reads of several keys (MGET), a write of several keys (MSET, DEL).
    assert_eq!(t.s("MGET a b c"), "[\"3\", (nil), (nil)]");
    // DEL of a missing key modifies nothing: only "a" is reported.
    assert_eq!(w.s("DEL a b"), ":1");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"a\"]]");
    assert_eq!(w.s("MSET c 1 d 2"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"c\"]]");
    // Writes by the client itself: the message follows the reply.
    assert_eq!(t.s("GET d"), "\"2\"");
    assert_eq!(t.s("INCR d"), ":3");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"d\"]]");
    // Keys are tracked by name, across databases.
    assert_eq!(t.s("GET x"), "(nil)");
    assert_eq!(w.s("SELECT 1"), "+OK");
    assert_eq!(w.s("SET x 1"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"x\"]]");
    // Write commands do not track their keys.
    assert_eq!(t.s("SET y 1"), "+OK");
    assert_eq!(w.s("SELECT 0"), "+OK");
    assert_eq!(w.s("SET y 2"), "+OK");
    assert_eq!(t.s("GET z"), "(nil)");
    assert_eq!(w.s("SET z 2"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"z\"]]");
}

#[test]
fn invalidation_on_expiry_transactions_and_other_types() {
    let s = Server::start();
    let mut t = tracker(&s, "");
    let mut w = s.raw();
    assert_eq!(w.s("SET e 1 PX 50"), "+OK");
    assert_eq!(t.s("GET e"), "\"1\"");
    std::thread::sleep(std::time::Duration::from_millis(80));
    // Lazy (or active) expiry invalidates.
    assert_eq!(w.s("GET e"), "(nil)");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"e\"]]");
    // Inside MULTI both the reads and the writes count.
    assert_eq!(t.s("MULTI"), "+OK");
    assert_eq!(t.s("GET m1"), "+QUEUED");
    assert_eq!(t.s("EXEC"), "[(nil)]");
    assert_eq!(w.s("MULTI"), "+OK");
    assert_eq!(w.s("SET m1 x"), "+QUEUED");
    assert_eq!(w.s("EXEC"), "[+OK]");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"m1\"]]");
    // Sorted sets, EXPIRE, RENAME.
    assert_eq!(t.s("ZCARD z"), ":0");
    assert_eq!(w.s("ZADD z 1 a"), ":1");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"z\"]]");
    assert_eq!(t.s("ZSCORE z a"), ",1");
    assert_eq!(w.s("EXPIRE z 100"), ":1");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"z\"]]");
    assert_eq!(t.s("ZSCORE z a"), ",1");
    assert_eq!(t.s("GET dst"), "(nil)");
    assert_eq!(w.s("RENAME z dst"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"z\"]]");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"dst\"]]");
}

#[test]
fn flushall_sends_null() {
    let s = Server::start();
    let mut t = tracker(&s, "");
    let mut w = s.raw();
    assert_eq!(t.s("GET a"), "(nil)");
    assert_eq!(w.s("FLUSHALL"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", (nil)]");
    // The table was emptied: the old key is not reported again.
    assert_eq!(w.s("SET a 1"), "+OK");
    assert_eq!(w.s("FLUSHDB"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", (nil)]");
    assert_eq!(wire(&mut w, b"*1\r\n$8\r\nFLUSHALL\r\n", 5), b"+OK\r\n");
    let mut raw = [0u8; 24];
    use std::io::Read;
    t.stream.read_exact(&mut raw).unwrap();
    assert_eq!(&raw, b">2\r\n$10\r\ninvalidate\r\n_\r\n");
}

#[test]
fn redirect_to_resp2_subscriber_and_resp3_client() {
    let s = Server::start();
    let mut sub = s.raw();
    let sub_id = id_of(&mut sub);
    assert_eq!(
        sub.s("SUBSCRIBE __redis__:invalidate"),
        "[\"subscribe\", \"__redis__:invalidate\", :1]"
    );
    let mut t = s.raw(); // RESP2 tracking client
    assert_eq!(
        t.q(&["CLIENT", "TRACKING", "ON", "REDIRECT", &sub_id]),
        "+OK"
    );
    assert_eq!(t.s("CLIENT GETREDIR"), format!(":{sub_id}"));
    assert_eq!(t.s("GET k"), "(nil)");
    assert_eq!(t.s("SET k v"), "+OK");
    assert_eq!(
        sub.read().to_string(),
        "[\"message\", \"__redis__:invalidate\", [\"k\"]]"
    );
    assert_eq!(t.s("GET k"), "\"v\"");
    assert_eq!(t.s("FLUSHALL"), "+OK");
    assert_eq!(
        sub.read().to_string(),
        "[\"message\", \"__redis__:invalidate\", (nil)]"
    );

    // A RESP3 redirect target gets pushes.
    let mut r3 = s.raw();
    hello3(&mut r3);
    let r3_id = id_of(&mut r3);
    let mut t2 = s.raw();
    assert_eq!(
        t2.q(&["CLIENT", "TRACKING", "ON", "REDIRECT", &r3_id]),
        "+OK"
    );
    assert_eq!(t2.s("GET q"), "(nil)");
    assert_eq!(t2.s("SET q 1"), "+OK");
    assert_eq!(r3.read().to_string(), ">[\"invalidate\", [\"q\"]]");

    // The redirect target disconnects: the client is flagged, a RESP3 client is told.
    let mut t3 = s.raw();
    hello3(&mut t3);
    let mut gone = s.raw();
    let gone_id = id_of(&mut gone);
    assert_eq!(
        t3.q(&["CLIENT", "TRACKING", "ON", "REDIRECT", &gone_id]),
        "+OK"
    );
    assert_eq!(t3.s("GET g"), "(nil)");
    drop(gone);
    wait_until("client gone", || {
        !String::from_utf8_lossy(t.cmd(&["CLIENT", "LIST"]).as_bytes())
            .contains(&format!("id={gone_id} "))
    });
    assert_eq!(t.s("SET g 1"), "+OK");
    assert_eq!(
        t3.read().to_string(),
        format!(">[\"tracking-redir-broken\", :{gone_id}]")
    );
    let info = t3.s("CLIENT TRACKINGINFO");
    assert_eq!(
        info,
        format!(
            "{{\"flags\": ~[\"on\", \"broken_redirect\"], \"redirect\": :{gone_id}, \"prefixes\": []}}"
        )
    );
    let line = t3.s("CLIENT INFO");
    assert!(line.contains(" flags=tR "), "{line}");
    assert!(line.contains(&format!(" redir={gone_id} ")), "{line}");
}

#[test]
fn resp2_without_redirect_gets_nothing() {
    let s = Server::start();
    let mut t = s.raw();
    assert_eq!(t.s("CLIENT TRACKING ON"), "+OK");
    assert_eq!(t.s("GET k"), "(nil)");
    assert_eq!(t.s("SET k 1"), "+OK");
    assert_eq!(t.s("PING"), "+PONG");
    assert_eq!(t.s("GET k"), "\"1\"");
}

#[test]
fn optin_optout_and_caching() {
    let s = Server::start();
    let mut w = s.raw();
    let mut t = tracker(&s, "OPTIN");
    assert_eq!(t.s("GET a"), "(nil)");
    assert_eq!(t.s("CLIENT CACHING YES"), "+OK");
    assert_eq!(
        t.s("CLIENT TRACKINGINFO"),
        "{\"flags\": ~[\"on\", \"optin\", \"caching-yes\"], \"redirect\": :0, \"prefixes\": []}"
    );
    assert_eq!(t.s("GET b"), "(nil)");
    // The CACHING flag covered one command only.
    assert_eq!(t.s("GET c"), "(nil)");
    assert_eq!(
        t.s("CLIENT TRACKINGINFO"),
        "{\"flags\": ~[\"on\", \"optin\"], \"redirect\": :0, \"prefixes\": []}"
    );
    assert_eq!(w.s("MSET a 1 c 1 b 1"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"b\"]]");
    // ... or a whole transaction.
    assert_eq!(t.s("CLIENT CACHING YES"), "+OK");
    assert_eq!(t.s("MULTI"), "+OK");
    assert_eq!(t.s("GET m1"), "+QUEUED");
    assert_eq!(t.s("GET m2"), "+QUEUED");
    assert_eq!(t.s("EXEC"), "[(nil), (nil)]");
    assert_eq!(t.s("GET m3"), "(nil)");
    assert_eq!(w.s("MSET m3 1 m2 1 m1 1"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"m2\"]]");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"m1\"]]");
    assert_eq!(
        t.s("CLIENT CACHING NO"),
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
    );

    let mut o = tracker(&s, "OPTOUT");
    assert_eq!(o.s("CLIENT CACHING NO"), "+OK");
    assert_eq!(o.s("GET x"), "(nil)");
    assert_eq!(o.s("GET y"), "(nil)");
    assert_eq!(w.s("MSET x 1 y 1"), "+OK");
    assert_eq!(o.read().to_string(), ">[\"invalidate\", [\"y\"]]");
    assert_eq!(
        o.s("CLIENT CACHING YES"),
        "-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
    );
    assert_eq!(o.s("CLIENT CACHING maybe"), "-ERR syntax error");
    assert_eq!(
        o.s("CLIENT TRACKING ON OPTIN"),
        "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
    );

    let mut n = s.raw();
    assert_eq!(
        n.s("CLIENT CACHING YES"),
        "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
    );
    assert_eq!(n.s("CLIENT CACHING"), arity_err("client|caching"));
}

#[test]
fn noloop() {
    let s = Server::start();
    let mut t = tracker(&s, "NOLOOP");
    let mut w = s.raw();
    assert_eq!(t.s("GET a"), "(nil)");
    assert_eq!(t.s("GET b"), "(nil)");
    assert_eq!(t.s("SET a 1"), "+OK");
    assert_eq!(w.s("SET b 1"), "+OK");
    assert_eq!(t.read().to_string(), ">[\"invalidate\", [\"b\"]]");
    assert_eq!(
        t.s("CLIENT TRACKINGINFO"),
        "{\"flags\": ~[\"on\", \"noloop\"], \"redirect\": :0, \"prefixes\": []}"
    );
}

#[test]
fn bcast_and_prefixes() {
    let s = Server::start();
    let mut w = s.raw();
    let mut all = tracker(&s, "BCAST");
    assert_eq!(w.s("SET anything 1"), "+OK");
    assert_eq!(all.read().to_string(), ">[\"invalidate\", [\"anything\"]]");
    // The keys of one command come in one message.
    assert_eq!(w.s("MSET k1 1 k2 2"), "+OK");
    assert_eq!(
        all.read().to_string(),
        ">[\"invalidate\", [\"k1\", \"k2\"]]"
    );

    let mut p = tracker(&s, "BCAST PREFIX user: PREFIX obj:");
    assert_eq!(
        p.s("CLIENT TRACKINGINFO"),
        "{\"flags\": ~[\"on\", \"bcast\"], \"redirect\": :0, \"prefixes\": [\"user:\", \"obj:\"]}"
    );
    assert_eq!(w.s("MSET other 1 user:1 a obj:9 b"), "+OK");
    assert_eq!(
        all.read().to_string(),
        ">[\"invalidate\", [\"other\", \"user:1\", \"obj:9\"]]"
    );
    // One message per prefix.
    let m1 = p.read().to_string();
    let m2 = p.read().to_string();
    let mut got = [m1, m2];
    got.sort();
    assert_eq!(
        got,
        [
            ">[\"invalidate\", [\"obj:9\"]]".to_string(),
            ">[\"invalidate\", [\"user:1\"]]".to_string()
        ]
    );
    // More prefixes can be added while on; overlapping ones are refused.
    assert_eq!(p.s("CLIENT TRACKING ON BCAST PREFIX z"), "+OK");
    assert_eq!(
        p.s("CLIENT TRACKING ON BCAST PREFIX user:x"),
        "-ERR Prefix 'user:x' overlaps with an existing prefix 'user:'. Prefixes for a single client must not overlap."
    );
    assert_eq!(
        p.s("CLIENT TRACKING ON BCAST PREFIX q PREFIX qq"),
        "-ERR Prefix 'q' overlaps with another provided prefix 'qq'. Prefixes for a single client must not overlap."
    );
    assert_eq!(
        p.s("CLIENT TRACKING ON"),
        "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
    );
    // BCAST clients do not track reads.
    assert_eq!(p.s("GET nope"), "(nil)");
    assert_eq!(w.s("SET nope 1"), "+OK");
    assert_eq!(w.s("SET zed 1"), "+OK");
    assert_eq!(p.read().to_string(), ">[\"invalidate\", [\"zed\"]]");
    let line = p.s("CLIENT INFO");
    assert!(line.contains(" flags=tB "), "{line}");
    assert!(line.contains(" redir=0 "), "{line}");
    // NOLOOP in BCAST mode skips the client's own writes.
    let mut nl = tracker(&s, "BCAST NOLOOP PREFIX n");
    assert_eq!(nl.s("SET n1 1"), "+OK");
    assert_eq!(w.s("SET n2 1"), "+OK");
    assert_eq!(nl.read().to_string(), ">[\"invalidate\", [\"n2\"]]");
}

#[test]
fn tracking_option_errors() {
    let s = Server::start();
    let mut r = s.raw();
    let me = id_of(&mut r);
    check(
        &mut r,
        &[
            ("CLIENT TRACKING", &arity_err("client|tracking")),
            ("CLIENT TRACKING maybe", "-ERR syntax error"),
            ("CLIENT TRACKING ON BADOPT", "-ERR syntax error"),
            ("CLIENT TRACKING ON PREFIX", "-ERR syntax error"),
            ("CLIENT TRACKING ON REDIRECT", "-ERR syntax error"),
            (
                "CLIENT TRACKING ON REDIRECT x",
                "-ERR value is not an integer or out of range",
            ),
            (
                "CLIENT TRACKING ON REDIRECT 99999",
                "-ERR The client ID you want redirect to does not exist",
            ),
            (
                "CLIENT TRACKING ON REDIRECT 0",
                "-ERR The client ID you want redirect to does not exist",
            ),
            (
                "CLIENT TRACKING ON PREFIX a",
                "-ERR PREFIX option requires BCAST mode to be enabled",
            ),
            (
                "CLIENT TRACKING ON BCAST OPTIN",
                "-ERR OPTIN and OPTOUT are not compatible with BCAST",
            ),
            (
                "CLIENT TRACKING ON BCAST OPTOUT",
                "-ERR OPTIN and OPTOUT are not compatible with BCAST",
            ),
            (
                "CLIENT TRACKING ON OPTIN OPTOUT",
                "-ERR You can't specify both OPTIN mode and OPTOUT mode",
            ),
            ("CLIENT GETREDIR", ":-1"),
            ("CLIENT GETREDIR x", &arity_err("client|getredir")),
            (
                "CLIENT TRACKINGINFO",
                "[\"flags\", [\"off\"], \"redirect\", :-1, \"prefixes\", []]",
            ),
            ("CLIENT TRACKINGINFO x", &arity_err("client|trackinginfo")),
            ("CLIENT TRACKING off", "+OK"),
            ("CLIENT TRACKING on", "+OK"),
            ("CLIENT GETREDIR", ":0"),
            (
                "CLIENT TRACKINGINFO",
                "[\"flags\", [\"on\"], \"redirect\", :0, \"prefixes\", []]",
            ),
        ],
    );
    assert_eq!(
        r.q(&["CLIENT", "TRACKING", "ON", "REDIRECT", &me, "REDIRECT", &me]),
        "-ERR A client can only redirect to a single other client"
    );
    let line = r.s("CLIENT INFO");
    assert!(line.contains(" flags=t "), "{line}");
    assert!(r.s("INFO clients").contains("tracking_clients:1"));
    assert_eq!(r.s("GET k1"), "(nil)");
    assert_eq!(r.s("MGET k1 k2"), "[(nil), (nil)]");
    let stats = r.s("INFO stats");
    assert!(
        stats.contains(
            "tracking_total_keys:2\\r\\ntracking_total_items:2\\r\\ntracking_total_prefixes:0"
        ),
        "{stats}"
    );
    assert_eq!(r.s("CLIENT TRACKING OFF"), "+OK");
    let line = r.s("CLIENT INFO");
    assert!(
        line.contains(" flags=N ") && line.contains(" redir=-1 "),
        "{line}"
    );
    // RESET turns tracking off.
    assert_eq!(r.s("CLIENT TRACKING ON BCAST"), "+OK");
    assert_eq!(r.s("RESET"), "+RESET");
    assert_eq!(r.s("CLIENT GETREDIR"), ":-1");
}
