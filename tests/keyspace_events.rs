//! Keyspace notifications, table-driven: for each command, the exact `__keyspace@<db>__` and
//! `__keyevent@<db>__` messages it publishes (with `KEAnm`, so `new` and `keymiss` too), and
//! which events each flag letter lets through. The tables were produced by running the same
//! commands against a reference redis-server (see CASES for the two 7.2 adjustments).
mod common;
use common::*;

/// (setup commands, command, events published for the command) with `KEAnm`, as Redis
/// answered (a reference redis-server 7.0; two cases adjusted to 7.2, see the comments).
/// Events are `<channel> <message>`; `SLEEP` in a setup waits for a 1 ms TTL to pass.
/// (setup commands, command, expected events).
type Case = (
    &'static [&'static [&'static str]],
    &'static [&'static str],
    &'static [&'static str],
);

const CASES: &[Case] = &[
    (
        &[],
        &["SET", "k", "v"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["SET", "k", "v2"],
        &["__keyspace@0__:k set", "__keyevent@0__:set k"],
    ),
    (&[&["SET", "k", "v"]], &["SET", "k", "v", "NX"], &[]),
    (&[], &["SET", "k", "v", "XX"], &[]),
    (
        &[],
        &["SET", "k", "v", "EX", "100"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
            "__keyspace@0__:k expire",
            "__keyevent@0__:expire k",
        ],
    ),
    (
        &[&["SET", "k", "old"]],
        &["SET", "k", "v", "PX", "100000", "GET"],
        &[
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
            "__keyspace@0__:k expire",
            "__keyevent@0__:expire k",
        ],
    ),
    (
        &[&["SET", "k", "v", "EX", "100"]],
        &["SET", "k", "v", "KEEPTTL"],
        &["__keyspace@0__:k set", "__keyevent@0__:set k"],
    ),
    (
        &[],
        &["SETNX", "k", "v"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
        ],
    ),
    (
        &[],
        &["SETEX", "k", "100", "v"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
            "__keyspace@0__:k expire",
            "__keyevent@0__:expire k",
        ],
    ),
    (
        &[],
        &["PSETEX", "k", "100000", "v"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
            "__keyspace@0__:k expire",
            "__keyevent@0__:expire k",
        ],
    ),
    (
        &[&["SET", "k", "a"]],
        &["GETSET", "k", "v"],
        &["__keyspace@0__:k set", "__keyevent@0__:set k"],
    ),
    (
        &[&["SET", "k", "a"]],
        &["GETDEL", "k"],
        &["__keyspace@0__:k del", "__keyevent@0__:del k"],
    ),
    (
        &[],
        &["GETDEL", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[&["SET", "k", "a"]],
        &["GETEX", "k", "EX", "100"],
        &["__keyspace@0__:k expire", "__keyevent@0__:expire k"],
    ),
    (
        &[&["SET", "k", "a", "EX", "100"]],
        &["GETEX", "k", "PERSIST"],
        &["__keyspace@0__:k persist", "__keyevent@0__:persist k"],
    ),
    (&[&["SET", "k", "a"]], &["GETEX", "k", "PERSIST"], &[]),
    (
        &[],
        &["GETEX", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["APPEND", "k", "abc"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k append",
            "__keyevent@0__:append k",
        ],
    ),
    (
        &[&["SET", "k", "x"]],
        &["APPEND", "k", "abc"],
        &["__keyspace@0__:k append", "__keyevent@0__:append k"],
    ),
    (
        &[],
        &["SETRANGE", "k", "2", "xy"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k setrange",
            "__keyevent@0__:setrange k",
        ],
    ),
    (&[&["SET", "k", "a"]], &["SETRANGE", "k", "0", ""], &[]),
    (
        &[],
        &["INCR", "n"],
        &[
            "__keyspace@0__:n new",
            "__keyevent@0__:new n",
            "__keyspace@0__:n incrby",
            "__keyevent@0__:incrby n",
        ],
    ),
    (
        &[&["SET", "n", "1"]],
        &["INCRBY", "n", "5"],
        &["__keyspace@0__:n incrby", "__keyevent@0__:incrby n"],
    ),
    (
        &[],
        &["DECR", "n"],
        &[
            "__keyspace@0__:n new",
            "__keyevent@0__:new n",
            "__keyspace@0__:n incrby",
            "__keyevent@0__:incrby n",
        ],
    ),
    (
        &[],
        &["DECRBY", "n", "3"],
        &[
            "__keyspace@0__:n new",
            "__keyevent@0__:new n",
            "__keyspace@0__:n incrby",
            "__keyevent@0__:incrby n",
        ],
    ),
    (
        &[],
        &["INCRBYFLOAT", "f", "1.5"],
        &[
            "__keyspace@0__:f new",
            "__keyevent@0__:new f",
            "__keyspace@0__:f incrbyfloat",
            "__keyevent@0__:incrbyfloat f",
        ],
    ),
    (
        &[],
        &["MSET", "a", "1", "b", "2"],
        &[
            "__keyspace@0__:a new",
            "__keyevent@0__:new a",
            "__keyspace@0__:a set",
            "__keyevent@0__:set a",
            "__keyspace@0__:b new",
            "__keyevent@0__:new b",
            "__keyspace@0__:b set",
            "__keyevent@0__:set b",
        ],
    ),
    (
        &[],
        &["MSETNX", "a", "1", "b", "2"],
        &[
            "__keyspace@0__:a new",
            "__keyevent@0__:new a",
            "__keyspace@0__:a set",
            "__keyevent@0__:set a",
            "__keyspace@0__:b new",
            "__keyevent@0__:new b",
            "__keyspace@0__:b set",
            "__keyevent@0__:set b",
        ],
    ),
    (&[&["SET", "a", "0"]], &["MSETNX", "a", "1", "b", "2"], &[]),
    (
        &[],
        &["SETBIT", "bits", "7", "1"],
        &[
            "__keyspace@0__:bits new",
            "__keyevent@0__:new bits",
            "__keyspace@0__:bits setbit",
            "__keyevent@0__:setbit bits",
        ],
    ),
    (
        &[&["SET", "s1", "a"], &["SET", "s2", "b"]],
        &["BITOP", "AND", "dest", "s1", "s2"],
        &[
            "__keyspace@0__:dest new",
            "__keyevent@0__:new dest",
            "__keyspace@0__:dest set",
            "__keyevent@0__:set dest",
        ],
    ),
    (
        &[&["SET", "dest", "x"]],
        &["BITOP", "AND", "dest", "s1", "s2"],
        &[
            "__keyspace@0__:s1 keymiss",
            "__keyevent@0__:keymiss s1",
            "__keyspace@0__:s2 keymiss",
            "__keyevent@0__:keymiss s2",
            "__keyspace@0__:dest del",
            "__keyevent@0__:del dest",
        ],
    ),
    (
        &[],
        &["BITFIELD", "bf", "SET", "u8", "0", "255"],
        &[
            "__keyspace@0__:bf new",
            "__keyevent@0__:new bf",
            "__keyspace@0__:bf setbit",
            "__keyevent@0__:setbit bf",
        ],
    ),
    (
        &[],
        &["BITFIELD", "bf", "GET", "u8", "0"],
        &["__keyspace@0__:bf keymiss", "__keyevent@0__:keymiss bf"],
    ),
    (&[&["SET", "k", "v"]], &["GET", "k"], &[]),
    (
        &[&["SET", "a", "1"], &["SET", "c", "3"]],
        &["DEL", "a", "b", "c"],
        &[
            "__keyspace@0__:a del",
            "__keyevent@0__:del a",
            "__keyspace@0__:c del",
            "__keyevent@0__:del c",
        ],
    ),
    (
        &[&["SET", "a", "1"]],
        &["UNLINK", "a"],
        &["__keyspace@0__:a del", "__keyevent@0__:del a"],
    ),
    (
        &[&["SET", "k", "v"]],
        &["EXPIRE", "k", "100"],
        &["__keyspace@0__:k expire", "__keyevent@0__:expire k"],
    ),
    (
        &[&["SET", "k", "v"]],
        &["EXPIRE", "k", "0"],
        &["__keyspace@0__:k del", "__keyevent@0__:del k"],
    ),
    (
        &[&["SET", "k", "v"]],
        &["EXPIRE", "k", "-1"],
        &["__keyspace@0__:k del", "__keyevent@0__:del k"],
    ),
    (
        &[&["SET", "k", "v"]],
        &["PEXPIRE", "k", "100000"],
        &["__keyspace@0__:k expire", "__keyevent@0__:expire k"],
    ),
    (
        &[&["SET", "k", "v"]],
        &["EXPIREAT", "k", "1"],
        &["__keyspace@0__:k del", "__keyevent@0__:del k"],
    ),
    (
        &[&["SET", "k", "v"]],
        &["PEXPIREAT", "k", "99999999999999"],
        &["__keyspace@0__:k expire", "__keyevent@0__:expire k"],
    ),
    (
        &[&["SET", "k", "v", "EX", "10"]],
        &["EXPIRE", "k", "100", "NX"],
        &[],
    ),
    (&[], &["EXPIRE", "nokey", "100"], &[]),
    (
        &[&["SET", "k", "v", "EX", "100"]],
        &["PERSIST", "k"],
        &["__keyspace@0__:k persist", "__keyevent@0__:persist k"],
    ),
    (&[&["SET", "k", "v"]], &["PERSIST", "k"], &[]),
    (
        &[&["SET", "k", "v"]],
        &["RENAME", "k", "k2"],
        &[
            "__keyspace@0__:k2 new",
            "__keyevent@0__:new k2",
            "__keyspace@0__:k rename_from",
            "__keyevent@0__:rename_from k",
            "__keyspace@0__:k2 rename_to",
            "__keyevent@0__:rename_to k2",
        ],
    ),
    (&[&["SET", "k", "v"]], &["RENAME", "k", "k"], &[]),
    (
        &[&["SET", "k", "v"], &["SET", "k2", "v"]],
        &["RENAME", "k", "k2"],
        &[
            "__keyspace@0__:k2 new",
            "__keyevent@0__:new k2",
            "__keyspace@0__:k rename_from",
            "__keyevent@0__:rename_from k",
            "__keyspace@0__:k2 rename_to",
            "__keyevent@0__:rename_to k2",
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["RENAMENX", "k", "k2"],
        &[
            "__keyspace@0__:k2 new",
            "__keyevent@0__:new k2",
            "__keyspace@0__:k rename_from",
            "__keyevent@0__:rename_from k",
            "__keyspace@0__:k2 rename_to",
            "__keyevent@0__:rename_to k2",
        ],
    ),
    (
        &[&["SET", "k", "v"], &["SET", "k2", "v"]],
        &["RENAMENX", "k", "k2"],
        &[],
    ),
    (
        &[&["SET", "k", "v"]],
        &["COPY", "k", "k2"],
        &[
            "__keyspace@0__:k2 new",
            "__keyevent@0__:new k2",
            "__keyspace@0__:k2 copy_to",
            "__keyevent@0__:copy_to k2",
        ],
    ),
    (
        &[&["SET", "k", "v"], &["SET", "k2", "v"]],
        &["COPY", "k", "k2", "REPLACE"],
        &[
            "__keyspace@0__:k2 new",
            "__keyevent@0__:new k2",
            "__keyspace@0__:k2 copy_to",
            "__keyevent@0__:copy_to k2",
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["COPY", "k", "k2", "DB", "1"],
        &[
            "__keyspace@1__:k2 new",
            "__keyevent@1__:new k2",
            "__keyspace@1__:k2 copy_to",
            "__keyevent@1__:copy_to k2",
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["MOVE", "k", "1"],
        &[
            "__keyspace@1__:k new",
            "__keyevent@1__:new k",
            "__keyspace@0__:k move_from",
            "__keyevent@0__:move_from k",
            "__keyspace@1__:k move_to",
            "__keyevent@1__:move_to k",
        ],
    ),
    (&[&["SET", "k", "v"]], &["SWAPDB", "0", "1"], &[]),
    (&[&["SET", "k", "v"]], &["FLUSHDB"], &[]),
    (&[&["SET", "k", "v"]], &["TYPE", "k"], &[]),
    (
        &[],
        &["EXISTS", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["ZADD", "z", "1", "a", "2", "b"],
        &[
            "__keyspace@0__:z new",
            "__keyevent@0__:new z",
            "__keyspace@0__:z zadd",
            "__keyevent@0__:zadd z",
        ],
    ),
    (&[&["ZADD", "z", "1", "a"]], &["ZADD", "z", "1", "a"], &[]),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZADD", "z", "5", "a"],
        &["__keyspace@0__:z zadd", "__keyevent@0__:zadd z"],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZADD", "z", "INCR", "5", "a"],
        &["__keyspace@0__:z zincr", "__keyevent@0__:zincr z"],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZADD", "z", "NX", "5", "a"],
        &[],
    ),
    (
        &[],
        &["ZINCRBY", "z", "2", "a"],
        &[
            "__keyspace@0__:z new",
            "__keyevent@0__:new z",
            "__keyspace@0__:z zincr",
            "__keyevent@0__:zincr z",
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZREM", "z", "a"],
        &["__keyspace@0__:z zrem", "__keyevent@0__:zrem z"],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZREM", "z", "a"],
        &[
            "__keyspace@0__:z zrem",
            "__keyevent@0__:zrem z",
            "__keyspace@0__:z del",
            "__keyevent@0__:del z",
        ],
    ),
    (&[&["ZADD", "z", "1", "a"]], &["ZREM", "z", "x"], &[]),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZREMRANGEBYSCORE", "z", "0", "1"],
        &[
            "__keyspace@0__:z zremrangebyscore",
            "__keyevent@0__:zremrangebyscore z",
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZREMRANGEBYRANK", "z", "0", "-1"],
        &[
            "__keyspace@0__:z zremrangebyrank",
            "__keyevent@0__:zremrangebyrank z",
            "__keyspace@0__:z del",
            "__keyevent@0__:del z",
        ],
    ),
    (
        &[&["ZADD", "z", "0", "a", "0", "b"]],
        &["ZREMRANGEBYLEX", "z", "-", "+"],
        &[
            "__keyspace@0__:z zremrangebylex",
            "__keyevent@0__:zremrangebylex z",
            "__keyspace@0__:z del",
            "__keyevent@0__:del z",
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZPOPMIN", "z"],
        &["__keyspace@0__:z zpopmin", "__keyevent@0__:zpopmin z"],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZPOPMAX", "z", "5"],
        &[
            "__keyspace@0__:z zpopmax",
            "__keyevent@0__:zpopmax z",
            "__keyspace@0__:z del",
            "__keyevent@0__:del z",
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["BZPOPMIN", "z", "0"],
        &[
            "__keyspace@0__:z zpopmin",
            "__keyevent@0__:zpopmin z",
            "__keyspace@0__:z del",
            "__keyevent@0__:del z",
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["BZPOPMAX", "z", "0"],
        &["__keyspace@0__:z zpopmax", "__keyevent@0__:zpopmax z"],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZMPOP", "1", "z", "MIN", "COUNT", "1"],
        &["__keyspace@0__:z zpopmin", "__keyevent@0__:zpopmin z"],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"],
        &[
            "__keyspace@0__:z zpopmax",
            "__keyevent@0__:zpopmax z",
            "__keyspace@0__:z del",
            "__keyevent@0__:del z",
        ],
    ),
    (
        &[&["ZADD", "z1", "1", "a"], &["ZADD", "z2", "1", "b"]],
        &["ZUNIONSTORE", "d", "2", "z1", "z2"],
        &[
            "__keyspace@0__:d new",
            "__keyevent@0__:new d",
            "__keyspace@0__:d zunionstore",
            "__keyevent@0__:zunionstore d",
        ],
    ),
    (
        &[&["ZADD", "d", "1", "a"]],
        &["ZUNIONSTORE", "d", "1", "nokey"],
        &[
            "__keyspace@0__:nokey keymiss",
            "__keyevent@0__:keymiss nokey",
            "__keyspace@0__:d del",
            "__keyevent@0__:del d",
        ],
    ),
    (
        &[&["ZADD", "z1", "1", "a"], &["ZADD", "z2", "1", "a"]],
        &["ZINTERSTORE", "d", "2", "z1", "z2"],
        &[
            "__keyspace@0__:d new",
            "__keyevent@0__:new d",
            "__keyspace@0__:d zinterstore",
            "__keyevent@0__:zinterstore d",
        ],
    ),
    (
        &[
            &["ZADD", "z1", "1", "a", "2", "b"],
            &["ZADD", "z2", "1", "a"],
        ],
        &["ZDIFFSTORE", "d", "2", "z1", "z2"],
        &[
            "__keyspace@0__:d new",
            "__keyevent@0__:new d",
            "__keyspace@0__:d zdiffstore",
            "__keyevent@0__:zdiffstore d",
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZRANGESTORE", "d", "z", "0", "-1"],
        &[
            "__keyspace@0__:d new",
            "__keyevent@0__:new d",
            "__keyspace@0__:d zrangestore",
            "__keyevent@0__:zrangestore d",
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"], &["ZADD", "d", "1", "x"]],
        &["ZRANGESTORE", "d", "z", "5", "6"],
        &["__keyspace@0__:d del", "__keyevent@0__:del d"],
    ),
    (
        &[],
        &["GEOADD", "g", "13.361389", "38.115556", "Palermo"],
        &[
            "__keyspace@0__:g new",
            "__keyevent@0__:new g",
            "__keyspace@0__:g zadd",
            "__keyevent@0__:zadd g",
        ],
    ),
    (
        &[&["GEOADD", "g", "13.361389", "38.115556", "Palermo"]],
        &["GEOADD", "g", "15.087269", "37.502669", "Catania"],
        &["__keyspace@0__:g zadd", "__keyevent@0__:zadd g"],
    ),
    (
        &[&[
            "GEOADD",
            "g",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
        ]],
        &[
            "GEOSEARCHSTORE",
            "d",
            "g",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
        ],
        &[
            "__keyspace@0__:d new",
            "__keyevent@0__:new d",
            "__keyspace@0__:d geosearchstore",
            "__keyevent@0__:geosearchstore d",
        ],
    ),
    (
        &[&["GEOADD", "g", "13.361389", "38.115556", "Palermo"]],
        &[
            "GEOSEARCHSTORE",
            "d",
            "g",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
            "STOREDIST",
        ],
        &[
            "__keyspace@0__:d new",
            "__keyevent@0__:new d",
            "__keyspace@0__:d geosearchstore",
            "__keyevent@0__:geosearchstore d",
        ],
    ),
    (
        &[&["GEOADD", "g", "13.361389", "38.115556", "Palermo"]],
        &["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d"],
        &[
            "__keyspace@0__:d new",
            "__keyevent@0__:new d",
            "__keyspace@0__:d georadiusstore",
            "__keyevent@0__:georadiusstore d",
        ],
    ),
    (
        &[
            &["GEOADD", "g", "13.361389", "38.115556", "Palermo"],
            &["SET", "d", "x"],
        ],
        &[
            "GEOSEARCHSTORE",
            "d",
            "g",
            "FROMLONLAT",
            "0",
            "0",
            "BYRADIUS",
            "1",
            "km",
        ],
        &["__keyspace@0__:d del", "__keyevent@0__:del d"],
    ),
    (
        &[],
        &["XADD", "s", "1-1", "f", "v"],
        &[
            "__keyspace@0__:s new",
            "__keyevent@0__:new s",
            "__keyspace@0__:s xadd",
            "__keyevent@0__:xadd s",
        ],
    ),
    (&[], &["XADD", "s", "NOMKSTREAM", "*", "f", "v"], &[]),
    (
        &[
            &["XADD", "s", "1-1", "f", "v"],
            &["XADD", "s", "2-1", "f", "v"],
        ],
        &["XADD", "s", "MAXLEN", "1", "3-1", "f", "v"],
        &[
            "__keyspace@0__:s xadd",
            "__keyevent@0__:xadd s",
            "__keyspace@0__:s xtrim",
            "__keyevent@0__:xtrim s",
        ],
    ),
    (
        &[&["XADD", "s", "1-1", "f", "v"]],
        &["XDEL", "s", "1-1"],
        &["__keyspace@0__:s xdel", "__keyevent@0__:xdel s"],
    ),
    (
        &[&["XADD", "s", "1-1", "f", "v"]],
        &["XDEL", "s", "9-9"],
        &[],
    ),
    (
        &[&["XADD", "s", "1-1", "f", "v"]],
        &["XTRIM", "s", "MAXLEN", "0"],
        &["__keyspace@0__:s xtrim", "__keyevent@0__:xtrim s"],
    ),
    (
        &[&["XADD", "s", "1-1", "f", "v"]],
        &["XTRIM", "s", "MAXLEN", "5"],
        &[],
    ),
    (
        &[&["XADD", "s", "1-1", "f", "v"]],
        &["XSETID", "s", "5-5"],
        &["__keyspace@0__:s xsetid", "__keyevent@0__:xsetid s"],
    ),
    (
        &[&["XADD", "s", "1-1", "f", "v"]],
        &["XGROUP", "CREATE", "s", "g", "$"],
        &[
            "__keyspace@0__:s xgroup-create",
            "__keyevent@0__:xgroup-create s",
        ],
    ),
    (
        &[],
        &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
        &[
            "__keyspace@0__:s new",
            "__keyevent@0__:new s",
            "__keyspace@0__:s xgroup-create",
            "__keyevent@0__:xgroup-create s",
        ],
    ),
    (
        &[&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]],
        &["XGROUP", "CREATECONSUMER", "s", "g", "c"],
        &[
            "__keyspace@0__:s xgroup-createconsumer",
            "__keyevent@0__:xgroup-createconsumer s",
        ],
    ),
    (
        &[
            &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
            &["XGROUP", "CREATECONSUMER", "s", "g", "c"],
        ],
        &["XGROUP", "DELCONSUMER", "s", "g", "c"],
        &[
            "__keyspace@0__:s xgroup-delconsumer",
            "__keyevent@0__:xgroup-delconsumer s",
        ],
    ),
    (
        &[&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]],
        &["XGROUP", "DESTROY", "s", "g"],
        &[
            "__keyspace@0__:s xgroup-destroy",
            "__keyevent@0__:xgroup-destroy s",
        ],
    ),
    (
        &[&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]],
        &["XGROUP", "SETID", "s", "g", "0"],
        &[
            "__keyspace@0__:s xgroup-setid",
            "__keyevent@0__:xgroup-setid s",
        ],
    ),
    (
        &[
            &["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"],
            &["XADD", "s", "1-1", "f", "v"],
        ],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "1",
            "STREAMS",
            "s",
            ">",
        ],
        &[
            "__keyspace@0__:s xgroup-createconsumer",
            "__keyevent@0__:xgroup-createconsumer s",
        ],
    ),
    // Adjusted to Redis 7.2 / lazy expiry (see CASES doc).
    (
        &[&["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"]],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "1",
            "STREAMS",
            "s",
            ">",
        ],
        &[
            "__keyspace@0__:s xgroup-createconsumer",
            "__keyevent@0__:xgroup-createconsumer s",
        ],
    ),
    (
        &[
            &["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"],
            &["XADD", "s", "1-1", "f", "v"],
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        ],
        &["XCLAIM", "s", "g", "c2", "0", "1-1"],
        &[
            "__keyspace@0__:s xgroup-createconsumer",
            "__keyevent@0__:xgroup-createconsumer s",
        ],
    ),
    (
        &[
            &["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"],
            &["XADD", "s", "1-1", "f", "v"],
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        ],
        &["XAUTOCLAIM", "s", "g", "c2", "0", "0"],
        &[
            "__keyspace@0__:s xgroup-createconsumer",
            "__keyevent@0__:xgroup-createconsumer s",
        ],
    ),
    (
        &[
            &["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"],
            &["XADD", "s", "1-1", "f", "v"],
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        ],
        &["XACK", "s", "g", "1-1"],
        &[],
    ),
    (
        &[&["ZADD", "z", "1", "a"], &["XADD", "s", "1-1", "f", "v"]],
        &["DEL", "z", "s"],
        &[
            "__keyspace@0__:z del",
            "__keyevent@0__:del z",
            "__keyspace@0__:s del",
            "__keyevent@0__:del s",
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["EXPIRE", "z", "100"],
        &["__keyspace@0__:z expire", "__keyevent@0__:expire z"],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["RENAME", "z", "z2"],
        &[
            "__keyspace@0__:z2 new",
            "__keyevent@0__:new z2",
            "__keyspace@0__:z rename_from",
            "__keyevent@0__:rename_from z",
            "__keyspace@0__:z2 rename_to",
            "__keyevent@0__:rename_to z2",
        ],
    ),
    (
        &[&["XADD", "s", "1-1", "f", "v"]],
        &["COPY", "s", "s2"],
        &[
            "__keyspace@0__:s2 new",
            "__keyevent@0__:new s2",
            "__keyspace@0__:s2 copy_to",
            "__keyevent@0__:copy_to s2",
        ],
    ),
    (
        &[],
        &["GET", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["MGET", "a", "b", "a"],
        &[
            "__keyspace@0__:a keymiss",
            "__keyevent@0__:keymiss a",
            "__keyspace@0__:b keymiss",
            "__keyevent@0__:keymiss b",
            "__keyspace@0__:a keymiss",
            "__keyevent@0__:keymiss a",
        ],
    ),
    (
        &[],
        &["STRLEN", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["GETRANGE", "k", "0", "1"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["SUBSTR", "k", "0", "1"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["GETBIT", "k", "1"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["BITCOUNT", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["BITPOS", "k", "1"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["TYPE", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["TTL", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["PTTL", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["EXPIRETIME", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["PEXPIRETIME", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["EXISTS", "k", "k"],
        &[
            "__keyspace@0__:k keymiss",
            "__keyevent@0__:keymiss k",
            "__keyspace@0__:k keymiss",
            "__keyevent@0__:keymiss k",
        ],
    ),
    (&[], &["OBJECT", "ENCODING", "k"], &[]),
    (&[], &["OBJECT", "FREQ", "k"], &[]),
    (&[], &["MEMORY", "USAGE", "k"], &[]),
    (
        &[],
        &["TOUCH", "k"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["LCS", "a", "b"],
        &[
            "__keyspace@0__:a keymiss",
            "__keyevent@0__:keymiss a",
            "__keyspace@0__:b keymiss",
            "__keyevent@0__:keymiss b",
        ],
    ),
    (
        &[],
        &["ZSCORE", "z", "a"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZRANGE", "z", "0", "-1"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZCARD", "z"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZRANK", "z", "a"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZMSCORE", "z", "a", "b"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZRANDMEMBER", "z"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZCOUNT", "z", "0", "1"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZLEXCOUNT", "z", "-", "+"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZRANGEBYSCORE", "z", "0", "1"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZREVRANGE", "z", "0", "1"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZSCAN", "z", "0"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZUNION", "2", "a", "b"],
        &[
            "__keyspace@0__:a keymiss",
            "__keyevent@0__:keymiss a",
            "__keyspace@0__:b keymiss",
            "__keyevent@0__:keymiss b",
        ],
    ),
    (
        &[],
        &["ZINTER", "2", "a", "b"],
        &[
            "__keyspace@0__:a keymiss",
            "__keyevent@0__:keymiss a",
            "__keyspace@0__:b keymiss",
            "__keyevent@0__:keymiss b",
        ],
    ),
    (
        &[],
        &["ZDIFF", "2", "a", "b"],
        &[
            "__keyspace@0__:a keymiss",
            "__keyevent@0__:keymiss a",
            "__keyspace@0__:b keymiss",
            "__keyevent@0__:keymiss b",
        ],
    ),
    (
        &[],
        &["ZINTERCARD", "2", "a", "b"],
        &[
            "__keyspace@0__:a keymiss",
            "__keyevent@0__:keymiss a",
            "__keyspace@0__:b keymiss",
            "__keyevent@0__:keymiss b",
        ],
    ),
    (
        &[],
        &["GEOPOS", "g", "a"],
        &["__keyspace@0__:g keymiss", "__keyevent@0__:keymiss g"],
    ),
    (
        &[],
        &["GEODIST", "g", "a", "b"],
        &["__keyspace@0__:g keymiss", "__keyevent@0__:keymiss g"],
    ),
    (
        &[],
        &["GEOHASH", "g", "a"],
        &["__keyspace@0__:g keymiss", "__keyevent@0__:keymiss g"],
    ),
    (
        &[],
        &[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            "0",
            "0",
            "BYRADIUS",
            "1",
            "km",
        ],
        &["__keyspace@0__:g keymiss", "__keyevent@0__:keymiss g"],
    ),
    (
        &[],
        &["GEORADIUS_RO", "g", "0", "0", "1", "km"],
        &["__keyspace@0__:g keymiss", "__keyevent@0__:keymiss g"],
    ),
    (
        &[],
        &["XRANGE", "s", "-", "+"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["XREVRANGE", "s", "+", "-"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["XLEN", "s"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["XREAD", "STREAMS", "s", "0"],
        &[
            "__keyspace@0__:s keymiss",
            "__keyevent@0__:keymiss s",
            "__keyspace@0__:s keymiss",
            "__keyevent@0__:keymiss s",
        ],
    ),
    (
        &[],
        &["XPENDING", "s", "g"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["XINFO", "STREAM", "s"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["BITFIELD_RO", "k", "GET", "u8", "0"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (&[], &["RANDOMKEY"], &[]),
    (&[], &["DBSIZE"], &[]),
    (&[], &["SCAN", "0"], &[]),
    (&[], &["KEYS", "*"], &[]),
    (
        &[],
        &["GETEX", "k", "PERSIST"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (
        &[],
        &["ZRANGESTORE", "d", "z", "0", "-1"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &[
            "GEOSEARCHSTORE",
            "d",
            "g",
            "FROMLONLAT",
            "0",
            "0",
            "BYRADIUS",
            "1",
            "km",
        ],
        &["__keyspace@0__:g keymiss", "__keyevent@0__:keymiss g"],
    ),
    (
        &[],
        &["ZINTERSTORE", "d", "2", "a", "b"],
        &[
            "__keyspace@0__:a keymiss",
            "__keyevent@0__:keymiss a",
            "__keyspace@0__:b keymiss",
            "__keyevent@0__:keymiss b",
        ],
    ),
    (
        &[],
        &["ZDIFFSTORE", "d", "2", "a", "b"],
        &[
            "__keyspace@0__:a keymiss",
            "__keyevent@0__:keymiss a",
            "__keyspace@0__:b keymiss",
            "__keyevent@0__:keymiss b",
        ],
    ),
    (
        &[],
        &["COPY", "a", "b"],
        &["__keyspace@0__:a keymiss", "__keyevent@0__:keymiss a"],
    ),
    (&[], &["RENAME", "a", "b"], &[]),
    (
        &[],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["XCLAIM", "s", "g", "c", "0", "1-1"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["XAUTOCLAIM", "s", "g", "c", "0", "0"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["XACK", "s", "g", "1-1"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["XINFO", "GROUPS", "s"],
        &["__keyspace@0__:s keymiss", "__keyevent@0__:keymiss s"],
    ),
    (
        &[],
        &["SETRANGE", "k", "0", "x"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k setrange",
            "__keyevent@0__:setrange k",
        ],
    ),
    (
        &[],
        &["APPEND", "k", "x"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k append",
            "__keyevent@0__:append k",
        ],
    ),
    (
        &[],
        &["INCR", "n"],
        &[
            "__keyspace@0__:n new",
            "__keyevent@0__:new n",
            "__keyspace@0__:n incrby",
            "__keyevent@0__:incrby n",
        ],
    ),
    (&[], &["DEL", "k"], &[]),
    (&[], &["EXPIRE", "k", "10"], &[]),
    (&[], &["SET", "k", "v", "XX"], &[]),
    (
        &[],
        &["SET", "k", "v", "GET"],
        &[
            "__keyspace@0__:k keymiss",
            "__keyevent@0__:keymiss k",
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
        ],
    ),
    (
        &[],
        &["GETSET", "k", "v"],
        &[
            "__keyspace@0__:k keymiss",
            "__keyevent@0__:keymiss k",
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
        ],
    ),
    (
        &[&["SET", "k", "v", "PX", "1"], &["SLEEP"]],
        &["GET", "k"],
        &[
            "__keyspace@0__:k expired",
            "__keyevent@0__:expired k",
            "__keyspace@0__:k keymiss",
            "__keyevent@0__:keymiss k",
        ],
    ),
    // Adjusted to Redis 7.2 / lazy expiry (see CASES doc).
    (
        &[&["SET", "k", "v", "PX", "1"], &["SLEEP"]],
        &["EXISTS", "k"],
        &[
            "__keyspace@0__:k expired",
            "__keyevent@0__:expired k",
            "__keyspace@0__:k keymiss",
            "__keyevent@0__:keymiss k",
        ],
    ),
    (
        &[&["SET", "k", "v", "PX", "1"], &["SLEEP"]],
        &["TTL", "k"],
        &[
            "__keyspace@0__:k expired",
            "__keyevent@0__:expired k",
            "__keyspace@0__:k keymiss",
            "__keyevent@0__:keymiss k",
        ],
    ),
    (
        &[&["SET", "k", "v", "PX", "1"], &["SLEEP"]],
        &["SET", "k", "v2"],
        &[
            "__keyspace@0__:k expired",
            "__keyevent@0__:expired k",
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
        ],
    ),
    (
        &[&["SET", "k", "v", "PX", "1"], &["SLEEP"]],
        &["DEL", "k"],
        &["__keyspace@0__:k expired", "__keyevent@0__:expired k"],
    ),
    (
        &[&["SET", "k", "v", "PX", "1"], &["SLEEP"]],
        &["ZADD", "k", "1", "a"],
        &[
            "__keyspace@0__:k expired",
            "__keyevent@0__:expired k",
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k zadd",
            "__keyevent@0__:zadd k",
        ],
    ),
    (
        &[&["SET", "k", "1", "PX", "1"], &["SLEEP"]],
        &["INCR", "k"],
        &[
            "__keyspace@0__:k expired",
            "__keyevent@0__:expired k",
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k incrby",
            "__keyevent@0__:incrby k",
        ],
    ),
    // Edge cases: conditional writes that create nothing, empty writes, same-key commands.
    (&[], &["ZADD", "z", "XX", "1", "a"], &[]),
    (
        &[],
        &["ZADD", "z", "GT", "1", "a"],
        &[
            "__keyspace@0__:z new",
            "__keyevent@0__:new z",
            "__keyspace@0__:z zadd",
            "__keyevent@0__:zadd z",
        ],
    ),
    (&[], &["ZADD", "z", "XX", "INCR", "1", "a"], &[]),
    (
        &[],
        &["ZADD", "z", "NX", "INCR", "1", "a"],
        &[
            "__keyspace@0__:z new",
            "__keyevent@0__:new z",
            "__keyspace@0__:z zincr",
            "__keyevent@0__:zincr z",
        ],
    ),
    (&[], &["ZINCRBY", "z", "x", "a"], &[]),
    (
        &[],
        &["GEOADD", "g", "XX", "13.361389", "38.115556", "P"],
        &[],
    ),
    (
        &[],
        &["XADD", "s", "NOMKSTREAM", "MAXLEN", "1", "*", "f", "v"],
        &[],
    ),
    (&[], &["XGROUP", "CREATE", "s", "g", "$"], &[]),
    (&[], &["SETRANGE", "k", "5", ""], &[]),
    (
        &[],
        &["APPEND", "k", ""],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k append",
            "__keyevent@0__:append k",
        ],
    ),
    (&[], &["INCRBY", "n", "x"], &[]),
    (
        &[],
        &["SETBIT", "b", "100", "0"],
        &[
            "__keyspace@0__:b new",
            "__keyevent@0__:new b",
            "__keyspace@0__:b setbit",
            "__keyevent@0__:setbit b",
        ],
    ),
    (
        &[],
        &[
            "BITFIELD", "b", "INCRBY", "u2", "0", "1", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5",
        ],
        &[
            "__keyspace@0__:b new",
            "__keyevent@0__:new b",
            "__keyspace@0__:b setbit",
            "__keyevent@0__:setbit b",
        ],
    ),
    (
        &[],
        &["ZUNIONSTORE", "d", "1", "z"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &["ZRANGESTORE", "d", "z", "0", "-1"],
        &["__keyspace@0__:z keymiss", "__keyevent@0__:keymiss z"],
    ),
    (
        &[],
        &[
            "GEOSEARCHSTORE",
            "d",
            "g",
            "FROMLONLAT",
            "0",
            "0",
            "BYRADIUS",
            "1",
            "km",
        ],
        &["__keyspace@0__:g keymiss", "__keyevent@0__:keymiss g"],
    ),
    (&[], &["ZPOPMIN", "z"], &[]),
    (&[], &["ZREMRANGEBYSCORE", "z", "0", "1"], &[]),
    (&[], &["XTRIM", "s", "MAXLEN", "0"], &[]),
    (&[], &["XDEL", "s", "1-1"], &[]),
    (&[], &["EXPIRE", "k", "100", "XX"], &[]),
    (&[], &["PEXPIREAT", "k", "0"], &[]),
    (
        &[],
        &["MSET", "a", "1", "a", "2"],
        &[
            "__keyspace@0__:a new",
            "__keyevent@0__:new a",
            "__keyspace@0__:a set",
            "__keyevent@0__:set a",
            "__keyspace@0__:a set",
            "__keyevent@0__:set a",
        ],
    ),
    (
        &[],
        &["MSETNX", "a", "1", "a", "2"],
        &[
            "__keyspace@0__:a new",
            "__keyevent@0__:new a",
            "__keyspace@0__:a set",
            "__keyevent@0__:set a",
            "__keyspace@0__:a set",
            "__keyevent@0__:set a",
        ],
    ),
    (
        &[],
        &["GETEX", "k", "PX", "1"],
        &["__keyspace@0__:k keymiss", "__keyevent@0__:keymiss k"],
    ),
    (&[], &["COPY", "k", "k"], &[]),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZADD", "z", "XX", "1", "a"],
        &[],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZADD", "z", "CH", "1", "a", "2", "b"],
        &["__keyspace@0__:z zadd", "__keyevent@0__:zadd z"],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZADD", "z", "LT", "5", "a"],
        &[],
    ),
    (
        &[&["SET", "k", "v"]],
        &["GETEX", "k", "PXAT", "1"],
        &["__keyspace@0__:k del", "__keyevent@0__:del k"],
    ),
    (
        &[&["SET", "k", "v"]],
        &["SET", "k", "v", "EX", "10", "NX", "GET"],
        &[],
    ),
    (
        &[&["SET", "k", "v"]],
        &["SET", "k", "v", "PXAT", "1"],
        &[
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
            "__keyspace@0__:k expire",
            "__keyevent@0__:expire k",
        ],
    ),
    (
        &[],
        &["SET", "k", "v", "EXAT", "1"],
        &[
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
            "__keyspace@0__:k expire",
            "__keyevent@0__:expire k",
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"], &["SET", "z2", "x"]],
        &["RENAME", "z", "z2"],
        &[
            "__keyspace@0__:z2 new",
            "__keyevent@0__:new z2",
            "__keyspace@0__:z rename_from",
            "__keyevent@0__:rename_from z",
            "__keyspace@0__:z2 rename_to",
            "__keyevent@0__:rename_to z2",
        ],
    ),
];

/// Class filtering: (flags, events of the MINI commands in order), as Redis answered.
const MINI: &[(&[&str], &str)] = &[
    (&[], "SET k v"),
    (&["SET k v"], "EXPIRE k 100"),
    (&["SET k v"], "DEL k"),
    (&[], "ZADD z 1 a"),
    (&[], "XADD s 1-1 f v"),
    (&[], "GET nokey"),
    (&["SET k v PX 1", "SLEEP"], "GET k"),
    (&[], "INCR n"),
];
const FILTERS: &[(&str, &[&[&str]])] = &[
    (
        "K$",
        &[
            &["__keyspace@0__:k set"],
            &[],
            &[],
            &[],
            &[],
            &[],
            &[],
            &["__keyspace@0__:n incrby"],
        ],
    ),
    (
        "E$",
        &[
            &["__keyevent@0__:set k"],
            &[],
            &[],
            &[],
            &[],
            &[],
            &[],
            &["__keyevent@0__:incrby n"],
        ],
    ),
    (
        "Eg",
        &[
            &[],
            &["__keyevent@0__:expire k"],
            &["__keyevent@0__:del k"],
            &[],
            &[],
            &[],
            &[],
            &[],
        ],
    ),
    (
        "Ez",
        &[
            &[],
            &[],
            &[],
            &["__keyevent@0__:zadd z"],
            &[],
            &[],
            &[],
            &[],
        ],
    ),
    (
        "Et",
        &[
            &[],
            &[],
            &[],
            &[],
            &["__keyevent@0__:xadd s"],
            &[],
            &[],
            &[],
        ],
    ),
    (
        "Ex",
        &[
            &[],
            &[],
            &[],
            &[],
            &[],
            &[],
            &["__keyevent@0__:expired k"],
            &[],
        ],
    ),
    (
        "En",
        &[
            &["__keyevent@0__:new k"],
            &[],
            &[],
            &["__keyevent@0__:new z"],
            &["__keyevent@0__:new s"],
            &[],
            &[],
            &["__keyevent@0__:new n"],
        ],
    ),
    (
        "Em",
        &[
            &[],
            &[],
            &[],
            &[],
            &[],
            &["__keyevent@0__:keymiss nokey"],
            &["__keyevent@0__:keymiss k"],
            &[],
        ],
    ),
    ("El", &[&[], &[], &[], &[], &[], &[], &[], &[]]),
    ("Es", &[&[], &[], &[], &[], &[], &[], &[], &[]]),
    ("Eh", &[&[], &[], &[], &[], &[], &[], &[], &[]]),
    ("Ed", &[&[], &[], &[], &[], &[], &[], &[], &[]]),
    ("Ee", &[&[], &[], &[], &[], &[], &[], &[], &[]]),
    // (The reference had expired this key in its active cycle first; lazily it is this.)
    (
        "KEA",
        &[
            &["__keyspace@0__:k set", "__keyevent@0__:set k"],
            &["__keyspace@0__:k expire", "__keyevent@0__:expire k"],
            &["__keyspace@0__:k del", "__keyevent@0__:del k"],
            &["__keyspace@0__:z zadd", "__keyevent@0__:zadd z"],
            &["__keyspace@0__:s xadd", "__keyevent@0__:xadd s"],
            &[],
            &["__keyspace@0__:k expired", "__keyevent@0__:expired k"],
            &["__keyspace@0__:n incrby", "__keyevent@0__:incrby n"],
        ],
    ),
    (
        "gE",
        &[
            &[],
            &["__keyevent@0__:expire k"],
            &["__keyevent@0__:del k"],
            &[],
            &[],
            &[],
            &[],
            &[],
        ],
    ),
    (
        "KA",
        &[
            &["__keyspace@0__:k set"],
            &["__keyspace@0__:k expire"],
            &["__keyspace@0__:k del"],
            &["__keyspace@0__:z zadd"],
            &["__keyspace@0__:s xadd"],
            &[],
            &["__keyspace@0__:k expired"],
            &["__keyspace@0__:n incrby"],
        ],
    ),
    (
        "AE$",
        &[
            &["__keyevent@0__:set k"],
            &["__keyevent@0__:expire k"],
            &["__keyevent@0__:del k"],
            &["__keyevent@0__:zadd z"],
            &["__keyevent@0__:xadd s"],
            &[],
            &["__keyevent@0__:expired k"],
            &["__keyevent@0__:incrby n"],
        ],
    ),
];

const MARK: &[u8] = b"__keyevent@0__:mark";

/// Runs `setup` (events discarded), then `cmd`, and returns the events `cmd` published.
fn events_of(sub: &mut Raw, p: &mut Raw, setup: &[&[&str]], cmd: &[&str]) -> Vec<String> {
    p.cmd(&["FLUSHALL"]);
    for s in setup {
        if *s == ["SLEEP"] {
            std::thread::sleep(std::time::Duration::from_millis(10));
        } else {
            p.cmd(s);
        }
    }
    p.cmd(&["PUBLISH", "__keyevent@0__:mark", "m0"]);
    loop {
        let f = sub.read();
        if f.items()[2].as_bytes() == MARK {
            break;
        }
    }
    p.cmd(cmd);
    p.cmd(&["PUBLISH", "__keyevent@0__:mark", "m1"]);
    let mut ev = Vec::new();
    loop {
        let f = sub.read();
        let it = f.items();
        assert_eq!(it[0].as_bytes(), b"pmessage");
        if it[2].as_bytes() == MARK {
            break;
        }
        ev.push(format!(
            "{} {}",
            String::from_utf8_lossy(it[2].as_bytes()),
            String::from_utf8_lossy(it[3].as_bytes())
        ));
    }
    ev
}

fn setup(s: &Server, flags: &str) -> (Raw, Raw) {
    let mut p = s.raw();
    assert_eq!(
        p.q(&["CONFIG", "SET", "notify-keyspace-events", flags]),
        "+OK"
    );
    // Expiry in these tables is lazy (the key is found expired by the command itself).
    assert_eq!(p.s("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK");
    let mut sub = s.raw();
    sub.send_cmd(&["PSUBSCRIBE", "__key*@*__:*"]);
    assert_eq!(
        sub.read().to_string(),
        "[\"psubscribe\", \"__key*@*__:*\", :1]"
    );
    (sub, p)
}

#[test]
fn every_command_publishes_redis_events() {
    let s = Server::start();
    let (mut sub, mut p) = setup(&s, "KEAnm");
    let mut failures = Vec::new();
    for (set, cmd, want) in CASES {
        let got = events_of(&mut sub, &mut p, set, cmd);
        if got != *want {
            failures.push(format!(
                "{cmd:?} after {set:?}:\n  want {want:?}\n  got  {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn flag_letters_filter_event_classes() {
    let s = Server::start();
    let mut p = s.raw();
    let mut sub = s.raw();
    sub.send_cmd(&["PSUBSCRIBE", "__key*@*__:*"]);
    sub.read();
    assert_eq!(p.s("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK");
    for (flags, want) in FILTERS {
        assert_eq!(
            p.q(&["CONFIG", "SET", "notify-keyspace-events", flags]),
            "+OK"
        );
        for ((set, cmd), want) in MINI.iter().zip(want.iter()) {
            let set: Vec<&[&str]> = set
                .iter()
                .map(|c| -> &[&str] {
                    match *c {
                        "SLEEP" => &["SLEEP"],
                        "SET k v" => &["SET", "k", "v"],
                        "SET k v PX 1" => &["SET", "k", "v", "PX", "1"],
                        other => panic!("unexpected setup {other}"),
                    }
                })
                .collect();
            let cmd: Vec<&str> = cmd.split(' ').collect();
            let got = events_of(&mut sub, &mut p, &set, &cmd);
            assert_eq!(got, *want, "flags {flags} command {cmd:?}");
        }
    }
}

/// `expired` also comes from the active expiry cycle, and in RESP3 as push frames; events of
/// other databases carry their number.
#[test]
fn active_expiry_and_other_databases() {
    let s = Server::start_with(&["--notify-keyspace-events", "KEx"]);
    let mut sub = s.raw();
    sub.s("HELLO 3");
    assert_eq!(
        sub.s("SUBSCRIBE __keyevent@3__:expired __keyspace@3__:gone"),
        ">[\"subscribe\", \"__keyevent@3__:expired\", :1]"
    );
    sub.read();
    let mut p = s.raw();
    p.s("SELECT 3");
    assert_eq!(p.s("SET gone v PX 5"), "+OK");
    // Nobody touches the key: the active cycle finds it.
    let a = sub.read().to_string();
    let b = sub.read().to_string();
    assert_eq!(a, ">[\"message\", \"__keyspace@3__:gone\", \"expired\"]");
    assert_eq!(b, ">[\"message\", \"__keyevent@3__:expired\", \"gone\"]");
    assert_eq!(p.s("EXISTS gone"), ":0");
}

#[test]
fn config_get_and_set_of_the_flags() {
    let s = Server::start();
    let mut p = s.raw();
    // CONFIG GET prints Redis's canonical order; `n` is a class letter, hidden under `A`.
    for (set, get) in [
        ("KEA", "AKE"),
        ("Elg", "glE"),
        ("g$lshzxetd", "A"),
        ("AKEmn", "AKEm"),
        ("nm", "nm"),
        ("KEmn", "nKEm"),
        ("Kgx", "gxK"),
        ("A$", "A"),
        ("", ""),
    ] {
        assert_eq!(
            p.q(&["CONFIG", "SET", "notify-keyspace-events", set]),
            "+OK"
        );
        assert_eq!(
            p.s("CONFIG GET notify-keyspace-events"),
            format!("[\"notify-keyspace-events\", \"{get}\"]")
        );
    }
    assert_eq!(
        p.q(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        "+OK"
    );
    assert_eq!(
        p.s("CONFIG GET notify-keyspace-events"),
        "[\"notify-keyspace-events\", \"AKE\"]"
    );
    assert_eq!(
        p.q(&["CONFIG", "SET", "notify-keyspace-events", "Ek"]),
        "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
    );
}
