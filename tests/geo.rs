//! Geo commands: GEOADD options and errors, GEOPOS/GEODIST/GEOHASH values (identical to Redis),
//! GEOSEARCH/GEORADIUS shapes, ordering, COUNT/ANY, WITH* options in RESP2 and RESP3, the store
//! forms with their keyspace events, missing keys and WRONGTYPE.
mod common;
use common::*;

fn sicily(r: &mut Raw) {
    assert_eq!(
        r.s(
            "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 2.3522 48.8566 Paris"
        ),
        ":3"
    );
}

#[test]
fn geoadd_positions_distances_hashes() {
    let s = Server::start();
    let mut r = s.raw();
    sicily(&mut r);
    // Scores are the 52-bit geohashes Redis stores.
    assert_eq!(
        r.s("ZRANGE g 0 -1 WITHSCORES"),
        "[\"Palermo\", \"3479099956230698\", \"Catania\", \"3479447370796909\", \"Paris\", \"3663832779122514\"]"
    );
    assert_eq!(
        r.s("GEOPOS g Palermo Catania nx"),
        "[[\"13.36138933897018433\", \"38.11555639549629859\"], [\"15.08726745843887329\", \"37.50266842333162032\"], (nil-array)]"
    );
    assert_eq!(r.s("GEODIST g Palermo Catania"), "\"166274.1516\"");
    assert_eq!(r.s("GEODIST g Palermo Paris km"), "\"1485.5540\"");
    assert_eq!(r.s("GEODIST g Palermo Paris MI"), "\"923.0828\"");
    assert_eq!(r.s("GEODIST g Palermo nx"), "(nil)");
    assert_eq!(r.s("GEODIST nokey a b"), "(nil)");
    assert_eq!(
        r.s("GEODIST g Palermo Paris parsec"),
        "-ERR unsupported unit provided. please use M, KM, FT, MI"
    );
    assert_eq!(r.s("GEODIST g Palermo Paris km x"), "-ERR syntax error");
    assert_eq!(
        r.s("GEOHASH g Palermo Catania Paris nx"),
        "[\"sqc8b49rny0\", \"sqdtr74hyu0\", \"u09tvw0f640\", (nil)]"
    );
    assert_eq!(r.s("GEOHASH nokey a"), "[(nil)]");
    assert_eq!(r.s("GEOPOS nokey a"), "[(nil-array)]");
    assert_eq!(r.s("GEOHASH g"), "[]");
    // RESP3: coordinates are doubles (with the same human text), missing entries null.
    r.s("HELLO 3");
    assert_eq!(
        r.s("GEOPOS g Palermo nx"),
        "[[,13.36138933897018433, ,38.11555639549629859], (nil)]"
    );
    assert_eq!(r.s("GEODIST g Palermo Catania"), "\"166274.1516\"");
}

#[test]
fn geoadd_options_and_errors() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.s("GEOADD g 200 100 x"),
        "-ERR invalid longitude,latitude pair 200.000000,100.000000"
    );
    assert_eq!(r.s("GEOADD g 1 abc x"), "-ERR value is not a valid float");
    assert_eq!(
        r.s("GEOADD g 1 2"),
        "-ERR wrong number of arguments for 'geoadd' command"
    );
    assert_eq!(r.s("GEOADD g 1 2 a 3"), "-ERR syntax error");
    assert_eq!(r.s("GEOADD g NX XX 1 2 a"), "-ERR syntax error");
    assert_eq!(r.s("GEOADD g CH CH CH"), "-ERR syntax error");
    // A bad pair anywhere rejects the whole command.
    assert_eq!(
        r.s("GEOADD g 1 2 a 1 95 b"),
        "-ERR invalid longitude,latitude pair 1.000000,95.000000"
    );
    assert_eq!(r.s("EXISTS g"), ":0");
    assert_eq!(r.s("GEOADD g 1 2 a"), ":1");
    assert_eq!(r.s("GEOADD g 1 2 a"), ":0");
    assert_eq!(r.s("GEOADD g CH 3 4 a"), ":1");
    assert_eq!(r.s("GEOADD g NX 5 6 a 7 8 b"), ":1");
    assert_eq!(r.s("GEOADD g XX 9 10 c"), ":0");
    assert_eq!(r.s("GEOADD g XX CH 9 10 b"), ":1");
    assert_eq!(r.s("ZCARD g"), ":2");
    // Edges of the supported area.
    assert_eq!(
        r.s("GEOADD g 180 85.05112878 e1 -180 -85.05112878 e2"),
        ":2"
    );
    assert_eq!(
        r.s("GEOADD g 180.0001 0 e3"),
        "-ERR invalid longitude,latitude pair 180.000100,0.000000"
    );
    r.s("SET str x");
    assert_eq!(
        r.s("GEOADD str 1 2 a"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn searches_resp2() {
    let s = Server::start();
    let mut r = s.raw();
    sicily(&mut r);
    assert_eq!(
        r.s("GEORADIUS g 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC"),
        "[[\"Catania\", \"56.4413\", :3479447370796909, [\"15.08726745843887329\", \"37.50266842333162032\"]], [\"Palermo\", \"190.4424\", :3479099956230698, [\"13.36138933897018433\", \"38.11555639549629859\"]]]"
    );
    assert_eq!(
        r.s("GEORADIUS g 15 37 200 km DESC"),
        "[\"Palermo\", \"Catania\"]"
    );
    assert_eq!(
        r.s("GEOSEARCH g FROMMEMBER Palermo BYRADIUS 200 km ASC WITHDIST"),
        "[[\"Palermo\", \"0.0000\"], [\"Catania\", \"166.2742\"]]"
    );
    assert_eq!(
        r.s("GEOSEARCH g FROMLONLAT 15 37 BYBOX 400 400 km DESC WITHCOORD"),
        "[[\"Palermo\", [\"13.36138933897018433\", \"38.11555639549629859\"]], [\"Catania\", [\"15.08726745843887329\", \"37.50266842333162032\"]]]"
    );
    assert_eq!(r.s("GEORADIUSBYMEMBER g Palermo 100 km"), "[\"Palermo\"]");
    assert_eq!(
        r.s("GEORADIUSBYMEMBER_RO g Palermo 200 km ASC"),
        "[\"Palermo\", \"Catania\"]"
    );
    assert_eq!(
        r.s("GEORADIUS_RO g 15 37 200 km ASC COUNT 1"),
        "[\"Catania\"]"
    );
    // COUNT alone sorts ascending; ANY stops at the first match in scan order.
    assert_eq!(
        r.s("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1"),
        "[\"Catania\"]"
    );
    assert_eq!(
        r.s("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY"),
        "[\"Palermo\"]"
    );
    assert_eq!(r.s("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 km"), "[]");
    assert_eq!(
        r.s("GEOSEARCH g FROMLONLAT 2.35 48.85 BYRADIUS 5000 km ASC COUNT 2"),
        "[\"Paris\", \"Palermo\"]"
    );
    assert_eq!(r.s("GEORADIUS nokey 15 37 200 km"), "[]");
    assert_eq!(r.s("GEOSEARCH nokey FROMMEMBER x BYRADIUS 1 km"), "[]");
    assert_eq!(r.s("GEORADIUSBYMEMBER nokey x 1 km"), "[]");
}

#[test]
fn searches_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    sicily(&mut r);
    r.s("HELLO 3");
    assert_eq!(
        r.s("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH"),
        "[[\"Catania\", \"56.4413\", :3479447370796909, [,15.08726745843887329, ,37.50266842333162032]], [\"Palermo\", \"190.4424\", :3479099956230698, [,13.36138933897018433, ,38.11555639549629859]]]"
    );
}

#[test]
fn search_errors() {
    let s = Server::start();
    let mut r = s.raw();
    sicily(&mut r);
    let cases = [
        (
            "GEOSEARCH g FROMMEMBER nope BYRADIUS 1 km",
            "-ERR could not decode requested zset member",
        ),
        (
            "GEORADIUSBYMEMBER g nope 1 km",
            "-ERR could not decode requested zset member",
        ),
        ("GEORADIUS g 15 37 -1 km", "-ERR radius cannot be negative"),
        ("GEORADIUS g 15 37 x km", "-ERR need numeric radius"),
        (
            "GEOSEARCH g FROMLONLAT 15 37 BYBOX 1 -1 km",
            "-ERR height or width cannot be negative",
        ),
        (
            "GEOSEARCH g FROMLONLAT 15 37 BYBOX x 1 km",
            "-ERR need numeric width",
        ),
        (
            "GEOSEARCH g FROMLONLAT 15 37 BYBOX 1 x km",
            "-ERR need numeric height",
        ),
        (
            "GEORADIUS g 15 37 1 parsec",
            "-ERR unsupported unit provided. please use M, KM, FT, MI",
        ),
        ("GEORADIUS g 15 37 200 km COUNT 0", "-ERR COUNT must be > 0"),
        (
            "GEORADIUS g 15 37 200 km COUNT x",
            "-ERR value is not an integer or out of range",
        ),
        (
            "GEORADIUS g 15 37 200 km ANY",
            "-ERR the ANY argument requires COUNT argument",
        ),
        ("GEORADIUS g 15 37 200 km BOGUS", "-ERR syntax error"),
        (
            "GEORADIUS g 200 37 200 km",
            "-ERR invalid longitude,latitude pair 200.000000,37.000000",
        ),
        ("GEORADIUS_RO g 15 37 200 km STORE x", "-ERR syntax error"),
        (
            "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 km STORE x",
            "-ERR syntax error",
        ),
        (
            "geosearch g BYRADIUS 1 km ASC WITHDIST",
            "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch",
        ),
        (
            "GEOSEARCH g FROMLONLAT 15 37 ASC WITHDIST",
            "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH",
        ),
        (
            "GEOSEARCH g FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km",
            "-ERR syntax error",
        ),
        (
            "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km",
            "-ERR syntax error",
        ),
        (
            "GEORADIUS g 15 37 200 km WITHDIST STORE x",
            "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        ),
        (
            "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST",
            "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        ),
        (
            "GEOSEARCH g FROMLONLAT 1 1",
            "-ERR wrong number of arguments for 'geosearch' command",
        ),
    ];
    for (cmd, want) in cases {
        assert_eq!(r.s(cmd), want, "{cmd}");
    }
    r.s("SET str x");
    for cmd in [
        "GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km",
        "GEORADIUS str 1 1 1 km",
        "GEORADIUSBYMEMBER str a bad km",
        "GEOPOS str a",
        "GEOHASH str a",
        "GEODIST str a b",
        "GEOSEARCHSTORE d str FROMLONLAT 1 1 BYRADIUS 1 km",
    ] {
        assert_eq!(
            r.s(cmd),
            "-WRONGTYPE Operation against a key holding the wrong kind of value",
            "{cmd}"
        );
    }
}

#[test]
fn stores_and_events() {
    let s = Server::start();
    let mut r = s.raw();
    sicily(&mut r);
    r.s("CONFIG SET notify-keyspace-events KEA");
    let mut sub = s.raw();
    sub.send_cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    sub.read();
    let mut next_event = || {
        let f = sub.read();
        let items = f.items();
        format!(
            "{} {}",
            String::from_utf8_lossy(items[2].as_bytes()),
            String::from_utf8_lossy(items[3].as_bytes())
        )
    };
    assert_eq!(r.s("GEORADIUS g 15 37 200 km STORE dst"), ":2");
    assert_eq!(next_event(), "__keyevent@0__:georadiusstore dst");
    assert_eq!(
        r.s("ZRANGE dst 0 -1 WITHSCORES"),
        "[\"Palermo\", \"3479099956230698\", \"Catania\", \"3479447370796909\"]"
    );
    assert_eq!(r.s("OBJECT ENCODING dst"), "\"listpack\"");
    assert_eq!(
        r.s("GEORADIUS g 15 37 200 km ASC COUNT 1 STOREDIST dd"),
        ":1"
    );
    assert_eq!(next_event(), "__keyevent@0__:georadiusstore dd");
    assert_eq!(
        r.s("ZRANGE dd 0 -1 WITHSCORES"),
        "[\"Catania\", \"56.4412578701582\"]"
    );
    assert_eq!(
        r.s("GEOSEARCHSTORE ds g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST"),
        ":2"
    );
    assert_eq!(next_event(), "__keyevent@0__:geosearchstore ds");
    assert_eq!(
        r.s("ZRANGE ds 0 -1 WITHSCORES"),
        "[\"Catania\", \"56.4412578701582\", \"Palermo\", \"190.44242984775784\"]"
    );
    // An empty result deletes the destination; a missing source too.
    assert_eq!(
        r.s("GEOSEARCHSTORE ds g FROMLONLAT 0 0 BYRADIUS 1 km"),
        ":0"
    );
    assert_eq!(next_event(), "__keyevent@0__:del ds");
    assert_eq!(r.s("GEORADIUSBYMEMBER nokey x 1 km STORE dst"), ":0");
    assert_eq!(next_event(), "__keyevent@0__:del dst");
    assert_eq!(r.s("EXISTS dst ds"), ":0");
    // The last STORE/STOREDIST wins, as in Redis's key extraction.
    assert_eq!(r.s("GEORADIUS g 15 37 200 km STORE a1 STOREDIST a2"), ":2");
    assert_eq!(next_event(), "__keyevent@0__:georadiusstore a2");
    assert_eq!(r.s("EXISTS a1 a2"), ":1");
    assert_eq!(
        r.s("COMMAND GETKEYS GEORADIUS g 15 37 200 km STORE a1 STOREDIST a2"),
        "[\"g\", \"a2\"]"
    );
    // GEOADD emits zadd.
    assert_eq!(r.s("GEOADD g 1 1 x"), ":1");
    assert_eq!(next_event(), "__keyevent@0__:zadd g");
}

#[test]
fn command_info() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.s("COMMAND INFO geoadd"),
        "[[\"geoadd\", :-5, [+write, +denyoom], :1, :1, :1, [+@write, +@geo, +@slow], [], [[\"flags\", [+RW, +update], \"begin_search\", [\"type\", \"index\", \"spec\", [\"index\", :1]], \"find_keys\", [\"type\", \"range\", \"spec\", [\"lastkey\", :0, \"keystep\", :1, \"limit\", :0]]]], []]]"
    );
    let info = r.s("COMMAND INFO georadius");
    assert!(info.starts_with("[[\"georadius\", :-6, [+write, +denyoom, +movablekeys], :1, :1, :1, [+@write, +@geo, +@slow]"), "{info}");
    assert!(
        info.contains(
            "[\"type\", \"keyword\", \"spec\", [\"keyword\", \"STOREDIST\", \"startfrom\", :6]]"
        ),
        "{info}"
    );
    let info = r.s("COMMAND INFO geosearch");
    assert!(
        info.starts_with("[[\"geosearch\", :-7, [+readonly], :1, :1, :1, [+@read, +@geo, +@slow]"),
        "{info}"
    );
}
