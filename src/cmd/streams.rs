//! Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID XREAD, the consumer-group
//! commands XGROUP XREADGROUP XACK XPENDING XCLAIM XAUTOCLAIM, XINFO, and Redis 8.2's XDELEX and
//! XACKDEL (with the KEEPREF / DELREF / ACKED options also taken by XADD and XTRIM).
//!
//! The data structure is [`crate::types::stream`]; this module parses arguments in the order
//! Redis parses them (so a bad command fails with the same error, and fails before it changes
//! anything), writes RESP2 and RESP3 replies, and produces the side effects of each write:
//! keyspace events, WATCH invalidation (`touch`; consumer-group bookkeeping does not invalidate
//! WATCH, as in Redis), waking blocked readers and the change counter.
//!
//! # Propagation
//!
//! Everything the AOF records must replay to the same state:
//! - `XADD key * ...` and `XADD key <ms>-* ...` are recorded with the generated ID. An
//!   approximate trim (`~`, which depends on block boundaries) is recorded as an exact one:
//!   `MAXLEN = <length after trimming>` or `MINID = <first remaining ID>`, without LIMIT. XTRIM
//!   with `~` likewise.
//! - XREADGROUP is recorded as what it did: one `XCLAIM key group consumer 0 <id> TIME <ms>
//!   RETRYCOUNT <n> FORCE JUSTID LASTID <id>` per entry it added to the PEL, then `XGROUP SETID
//!   key group <last-id> ENTRIESREAD <n>` when it moved the group forward, and `XGROUP
//!   CREATECONSUMER` for a consumer created by a NOACK read (Redis's streamPropagateXCLAIM,
//!   streamPropagateGroupID and streamPropagateConsumerCreation). XCLAIM and XAUTOCLAIM are
//!   recorded the same way, one XCLAIM per claimed or dropped (deleted) entry.
//!
//! While loading (mode `LOADING`), LIMIT without `~` is accepted and ignored, as Redis does for
//! its master and AOF clients.
//!
//! # Blocking
//!
//! XREAD/XREADGROUP with BLOCK that find nothing ask the dispatcher to block them on every
//! stream key; the same handler runs again (mode `REPROCESS`) when one of the keys is signalled.
//! XREAD's `$` and `+` are rewritten in the blocked command to the concrete ID they stood for,
//! so re-execution serves exactly what arrived after the command was issued. XREADGROUP blocks
//! with `unblock_on_nokey`, so that deleting the stream or destroying the group (XGROUP DESTROY
//! signals the key) reaches the waiter, which then answers `-NOGROUP` like Redis 7.2.

use std::time::Duration;

use smallvec::SmallVec;

use super::ctx::{self as cx, BlockRequest, Ctx, TimeoutReply};
use super::table::*;
use crate::error::{self, CmdResult, Error, SYNTAX, WRONGTYPE};
use crate::protocol::Agg;
use crate::protocol::Reply;
use crate::server::notify;
use crate::types::stream::{
    AddId, ClaimOptions, DeleteOutcome, DeletePolicy, EntryRef, GroupNotFound, GroupReadReply,
    GroupStartId, NoGroupContext, ReadStartId, Stream, StreamError, StreamId, TrimOptions,
    TrimStrategy,
};
use crate::util::num;

const RO_1: KeySpec = key_at(K_RO, 1);
const RO_ACCESS_1: KeySpec = key_at(K_RO | K_ACCESS, 1);
const RW_UPDATE_1: KeySpec = key_at(K_RW | K_UPDATE, 1);
const RW_DELETE_1: KeySpec = key_at(K_RW | K_DELETE, 1);
const RO_ACCESS_2: KeySpec = key_at(K_RO | K_ACCESS, 2);
const RW_INSERT_2: KeySpec = key_at(K_RW | K_INSERT, 2);
const RW_UPDATE_2: KeySpec = key_at(K_RW | K_UPDATE, 2);
const RW_DELETE_2: KeySpec = key_at(K_RW | K_DELETE, 2);

/// XREAD / XREADGROUP: the keys follow the STREAMS keyword and fill half of what remains.
const fn streams_keyword(start_from: i32) -> KeySpec {
    KeySpec::new(
        K_RO | K_ACCESS,
        Begin::Keyword {
            keyword: "STREAMS",
            start_from,
        },
        Find::Range {
            last_key: -1,
            step: 1,
            limit: 2,
        },
    )
}

const NONDETERMINISTIC: &[&str] = &["nondeterministic_output"];

pub static COMMANDS: &[Command] = &[
    Command::new("xadd", -5, xadd)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STREAM)
        .keys(&[KeySpec { notes: "UPDATE instead of INSERT because of the optional trimming feature", ..RW_UPDATE_1 }])
        .doc("stream", "5.0.0", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", "Appends a new entry to a stream")
        .syntax("key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] [KEEPREF | DELREF | ACKED] <* | id> field value [field value ...]")
        .tips(NONDETERMINISTIC),
    Command::new("xlen", 2, xlen)
        .flags(READONLY | FAST)
        .acl(STREAM)
        .keys(&[RO_1])
        .doc("stream", "5.0.0", "O(1)", "Return the number of entries in a stream")
        .syntax("key"),
    Command::new("xrange", -4, xrange)
        .flags(READONLY)
        .acl(STREAM)
        .keys(&[RO_ACCESS_1])
        .doc("stream", "5.0.0", "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", "Return a range of elements in a stream, with IDs matching the specified IDs interval")
        .syntax("key start end [COUNT count]"),
    Command::new("xrevrange", -4, xrevrange)
        .flags(READONLY)
        .acl(STREAM)
        .keys(&[RO_ACCESS_1])
        .doc("stream", "5.0.0", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE")
        .syntax("key end start [COUNT count]"),
    Command::new("xdel", -3, xdel)
        .flags(WRITE | FAST)
        .acl(STREAM)
        .keys(&[RW_DELETE_1])
        .doc("stream", "5.0.0", "O(1) for each single item to delete in the stream, regardless of the stream size.", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.")
        .syntax("key id [id ...]"),
    Command::new("xdelex", -5, xdelex)
        .flags(WRITE | FAST)
        .acl(STREAM)
        .keys(&[RW_DELETE_1])
        .doc("stream", "8.2.0", "O(1) for each single item to delete in the stream, regardless of the stream size.", "Deletes one or multiple entries from the stream.")
        .syntax("key [KEEPREF | DELREF | ACKED] IDS numids id [id ...]"),
    Command::new("xtrim", -4, xtrim)
        .flags(WRITE)
        .acl(STREAM)
        .keys(&[RW_DELETE_1])
        .doc("stream", "5.0.0", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", "Trims the stream to (approximately if '~' is passed) a certain size")
        .syntax("key <MAXLEN | MINID> [= | ~] threshold [LIMIT count] [KEEPREF | DELREF | ACKED]")
        .tips(NONDETERMINISTIC),
    Command::new("xsetid", -3, xsetid)
        .flags(WRITE | DENYOOM | FAST)
        .acl(STREAM)
        .keys(&[RW_UPDATE_1])
        .doc("stream", "5.0.0", "O(1)", "An internal command for replicating stream values")
        .syntax("key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]"),
    Command::new("xread", -4, xread)
        .flags(READONLY | BLOCKING)
        .acl(STREAM)
        .keys(&[streams_keyword(1)])
        .doc("stream", "5.0.0", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.")
        .syntax("[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]"),
    Command::new("xreadgroup", -7, xreadgroup)
        .flags(WRITE | BLOCKING)
        .acl(STREAM)
        .keys(&[streams_keyword(4)])
        .doc("stream", "5.0.0", "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.")
        .syntax("GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]"),
    Command::new("xack", -4, xack)
        .flags(WRITE | FAST)
        .acl(STREAM)
        .keys(&[RW_UPDATE_1])
        .doc("stream", "5.0.0", "O(1) for each message ID processed.", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.")
        .syntax("key group id [id ...]"),
    Command::new("xackdel", -6, xackdel)
        .flags(WRITE | FAST)
        .acl(STREAM)
        .keys(&[RW_DELETE_1])
        .doc("stream", "8.2.0", "O(1) for each entry ID processed.", "Acknowledges and conditionally deletes one or multiple entries for a stream consumer group.")
        .syntax("key group [KEEPREF | DELREF | ACKED] IDS numids id [id ...]"),
    Command::new("xpending", -3, xpending)
        .flags(READONLY)
        .acl(STREAM)
        .keys(&[RO_ACCESS_1])
        .doc("stream", "5.0.0", "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.")
        .syntax("key group [[IDLE min-idle-time] start end count [consumer]]")
        .tips(NONDETERMINISTIC),
    Command::new("xclaim", -6, xclaim)
        .flags(WRITE | FAST)
        .acl(STREAM)
        .keys(&[RW_UPDATE_1])
        .doc("stream", "5.0.0", "O(log N) with N being the number of messages in the PEL of the consumer group.", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.")
        .syntax("key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]")
        .tips(NONDETERMINISTIC),
    Command::new("xautoclaim", -6, xautoclaim)
        .flags(WRITE | FAST)
        .acl(STREAM)
        .keys(&[RW_DELETE_1])
        .doc("stream", "6.2.0", "O(1) if COUNT is small.", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.")
        .syntax("key group consumer min-idle-time start [COUNT count] [JUSTID]")
        .tips(NONDETERMINISTIC),
    Command::container("xgroup", -2, XGROUP_SUBS)
        .acl(SLOW)
        .doc("stream", "5.0.0", "Depends on subcommand.", "A container for consumer groups commands"),
    Command::container("xinfo", -2, XINFO_SUBS)
        .acl(SLOW)
        .doc("stream", "5.0.0", "Depends on subcommand.", "A container for stream introspection commands"),
];

/// In the order Redis 7 lists them in COMMAND INFO / COMMAND DOCS.
static XGROUP_SUBS: &[Command] = &[
    Command::new("destroy", 4, xgroup_destroy)
        .flags(WRITE)
        .acl(STREAM)
        .keys(&[RW_DELETE_2])
        .doc(
            "stream",
            "5.0.0",
            "O(N) where N is the number of entries in the group's pending entries list (PEL).",
            "Destroy a consumer group.",
        )
        .syntax("key group"),
    Command::new("delconsumer", 5, xgroup_delconsumer)
        .flags(WRITE)
        .acl(STREAM)
        .keys(&[RW_DELETE_2])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Delete a consumer from a consumer group.",
        )
        .syntax("key group consumer"),
    Command::new("createconsumer", 5, xgroup_createconsumer)
        .flags(WRITE | DENYOOM)
        .acl(STREAM)
        .keys(&[RW_INSERT_2])
        .doc(
            "stream",
            "6.2.0",
            "O(1)",
            "Create a consumer in a consumer group.",
        )
        .syntax("key group consumer"),
    Command::new("create", -5, xgroup_create)
        .flags(WRITE | DENYOOM)
        .acl(STREAM)
        .keys(&[RW_INSERT_2])
        .doc("stream", "5.0.0", "O(1)", "Create a consumer group.")
        .syntax("key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read]"),
    Command::new("setid", -5, xgroup_setid)
        .flags(WRITE)
        .acl(STREAM)
        .keys(&[RW_UPDATE_2])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Set a consumer group to an arbitrary last delivered ID value.",
        )
        .syntax("key group <id | $> [ENTRIESREAD entries-read]"),
    Command::new("help", 2, xgroup_help)
        .flags(LOADING | STALE)
        .acl(STREAM)
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

static XINFO_SUBS: &[Command] = &[
    Command::new("stream", -3, xinfo_stream)
        .flags(READONLY)
        .acl(STREAM)
        .keys(&[RO_ACCESS_2])
        .doc("stream", "5.0.0", "O(1)", "Get information about a stream")
        .syntax("key [FULL [COUNT count]]"),
    Command::new("groups", 3, xinfo_groups)
        .flags(READONLY)
        .acl(STREAM)
        .keys(&[RO_ACCESS_2])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "List the consumer groups of a stream",
        )
        .syntax("key"),
    Command::new("consumers", 4, xinfo_consumers)
        .flags(READONLY)
        .acl(STREAM)
        .keys(&[RO_ACCESS_2])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "List the consumers in a consumer group",
        )
        .syntax("key group")
        .tips(NONDETERMINISTIC),
    Command::new("help", 2, xinfo_help)
        .flags(LOADING | STALE)
        .acl(STREAM)
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

// ----- small helpers ----------------------------------------------------------------------

/// A stream error as the command error it is replied with.
fn stream_err(e: StreamError) -> Error {
    match String::from_utf8(e.message().into_owned()) {
        Ok(text) => Error::raw(text),
        Err(bytes) => Error::raw(String::from_utf8_lossy(bytes.as_bytes()).into_owned()),
    }
}

fn no_group(key: &[u8], group: &[u8], context: NoGroupContext) -> Error {
    stream_err(GroupNotFound.into_error(key, group, context))
}

/// The text of an ID, formatted on the stack.
struct IdText {
    buf: [u8; 41],
    len: usize,
}

impl IdText {
    fn new(id: StreamId) -> IdText {
        let mut buf = [0u8; 41];
        let mut digits = itoa::Buffer::new();
        let ms = digits.format(id.ms).as_bytes();
        buf[..ms.len()].copy_from_slice(ms);
        let mut len = ms.len();
        buf[len] = b'-';
        len += 1;
        let seq = digits.format(id.seq).as_bytes();
        buf[len..len + seq.len()].copy_from_slice(seq);
        len += seq.len();
        IdText { buf, len }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn id_vec(id: StreamId) -> Vec<u8> {
    IdText::new(id).as_bytes().to_vec()
}

fn write_id(out: &mut Reply<'_>, id: StreamId) {
    out.bulk(IdText::new(id).as_bytes());
}

/// `[id, [field, value, ...]]`.
fn write_entry(out: &mut Reply<'_>, id: StreamId, entry: EntryRef<'_>) {
    out.array(2);
    write_id(out, id);
    out.array(entry.len() * 2);
    for (field, value) in entry {
        out.bulk(&field);
        out.bulk(&value);
    }
}

/// Writes the entries of `start..=end` (at most `count`, 0 for all) as an array; returns how
/// many were written.
fn write_range(
    out: &mut Reply<'_>,
    stream: &Stream,
    start: StreamId,
    end: StreamId,
    rev: bool,
    count: usize,
) -> usize {
    let header = out.defer();
    let limit = if count == 0 { usize::MAX } else { count };
    let mut written = 0;
    for (id, entry) in stream.range(start, end, rev).take(limit) {
        write_entry(out, id, entry);
        written += 1;
    }
    out.finish(header, Agg::Array, written);
    written
}

/// Redis's addReplySubcommandSyntaxError.
fn subcommand_syntax_error(ctx: &Ctx) -> Error {
    let sub = ctx.arg(1);
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
    let container = String::from_utf8_lossy(ctx.arg(0)).to_ascii_uppercase();
    Error::err(format!(
        "unknown subcommand or wrong number of arguments for '{sub}'. Try {container} HELP."
    ))
}

fn delete_policy(ctx: &Ctx, i: usize) -> Option<DeletePolicy> {
    if ctx.is(i, "keepref") {
        Some(DeletePolicy::KeepRef)
    } else if ctx.is(i, "delref") {
        Some(DeletePolicy::DelRef)
    } else if ctx.is(i, "acked") {
        Some(DeletePolicy::Acked)
    } else {
        None
    }
}

fn parse_strict_id(arg: &[u8]) -> Result<StreamId, Error> {
    StreamId::parse(arg).map_err(stream_err)
}

/// `argv` with some arguments replaced and, optionally, two consecutive arguments (a LIMIT
/// clause) removed: the form an approximate trim or a generated ID is propagated in.
fn rewritten_argv(
    args: &[&[u8]],
    replace: &[(usize, Vec<u8>)],
    remove_pair_at: Option<usize>,
) -> Vec<Vec<u8>> {
    let mut argv: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
    for (i, value) in replace {
        argv[*i] = value.clone();
    }
    if let Some(i) = remove_pair_at {
        argv.drain(i..i + 2);
    }
    argv
}

/// One XCLAIM record that reproduces a PEL entry exactly on replay (Redis's
/// streamPropagateXCLAIM): owner, delivery time and count, and the group's last ID.
fn xclaim_record(
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    id: StreamId,
    delivery_time: u64,
    delivery_count: u64,
    last_id: StreamId,
) -> Vec<Vec<u8>> {
    let mut digits = itoa::Buffer::new();
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        group.to_vec(),
        consumer.to_vec(),
        b"0".to_vec(),
        id_vec(id),
        b"TIME".to_vec(),
        digits.format(delivery_time).as_bytes().to_vec(),
        b"RETRYCOUNT".to_vec(),
        digits.format(delivery_count).as_bytes().to_vec(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        id_vec(last_id),
    ]
}

/// `XGROUP SETID key group <last-id> ENTRIESREAD <n>` (Redis's streamPropagateGroupID).
fn setid_record(
    key: &[u8],
    group: &[u8],
    last_id: StreamId,
    entries_read: Option<u64>,
) -> Vec<Vec<u8>> {
    let entries_read = match entries_read {
        Some(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
        None => b"-1".to_vec(),
    };
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        group.to_vec(),
        id_vec(last_id),
        b"ENTRIESREAD".to_vec(),
        entries_read,
    ]
}

fn now_ms(ctx: &Ctx) -> u64 {
    u64::try_from(ctx.db.now).unwrap_or(0)
}

// ----- XADD / XTRIM -----------------------------------------------------------------------

/// The arguments XADD and XTRIM share (Redis's streamParseAddOrTrimArgsOrReply).
struct AddTrimArgs {
    strategy: Option<TrimStrategy>,
    approx: bool,
    /// argv index of the MAXLEN / MINID threshold.
    threshold_at: usize,
    /// LIMIT as given (`None`: not given); always `Some(0)` while loading.
    limit: Option<u64>,
    /// argv index of the LIMIT keyword.
    limit_at: Option<usize>,
    policy: DeletePolicy,
    nomkstream: bool,
    /// XADD only: the ID and its argv index (`argc` when no ID was found).
    id: AddId,
    id_at: usize,
}

impl AddTrimArgs {
    fn trim_options(&self) -> Option<TrimOptions> {
        self.strategy.map(|strategy| TrimOptions {
            strategy,
            approx: self.approx,
            limit: self.limit,
            policy: self.policy,
        })
    }
}

fn parse_add_trim(ctx: &Ctx, xadd: bool) -> Result<AddTrimArgs, Error> {
    let argc = ctx.argc();
    let mut args = AddTrimArgs {
        strategy: None,
        approx: false,
        threshold_at: 0,
        limit: None,
        limit_at: None,
        policy: DeletePolicy::KeepRef,
        nomkstream: false,
        id: AddId::Auto,
        id_at: argc,
    };
    let mut limit_value: i64 = 0;
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = ctx.arg(i);
        if xadd && opt == b"*" {
            args.id_at = i;
            break;
        } else if (ctx.is(i, "maxlen") || ctx.is(i, "minid")) && more > 0 {
            let maxlen = ctx.is(i, "maxlen");
            if args.strategy.is_some() {
                return Err(stream_err(StreamError::MaxLenWithMinId));
            }
            args.approx = false;
            let next = ctx.arg(i + 1);
            if more >= 2 && next == b"~" {
                args.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let threshold = ctx.arg(i + 1);
            args.strategy = Some(if maxlen {
                let n = num::parse_i64(threshold).ok_or(error::NOT_INT)?;
                if n < 0 {
                    return Err(stream_err(StreamError::MaxLenNegative));
                }
                TrimStrategy::MaxLen(n as u64)
            } else {
                TrimStrategy::MinId(parse_strict_id(threshold)?)
            });
            i += 1;
            args.threshold_at = i;
        } else if ctx.is(i, "limit") && more > 0 {
            limit_value = num::parse_i64(ctx.arg(i + 1)).ok_or(error::NOT_INT)?;
            if limit_value < 0 {
                return Err(stream_err(StreamError::LimitNegative));
            }
            args.limit_at = Some(i);
            i += 1;
        } else if xadd && ctx.is(i, "nomkstream") {
            args.nomkstream = true;
        } else if let Some(policy) = delete_policy(ctx, i) {
            args.policy = policy;
        } else if xadd {
            args.id = AddId::parse(opt).map_err(stream_err)?;
            args.id_at = i;
            break;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    if limit_value != 0 && args.strategy.is_none() {
        return Err(stream_err(StreamError::LimitWithoutStrategy));
    }
    if !xadd && args.strategy.is_none() {
        return Err(stream_err(StreamError::XTrimWithoutStrategy));
    }
    if ctx.mode & cx::LOADING != 0 {
        // Records written by Redis keep LIMIT next to an exact trim: obey them, unlimited.
        args.limit = Some(0);
    } else if args.limit_at.is_some() {
        if !args.approx {
            return Err(stream_err(StreamError::LimitWithoutApprox));
        }
        args.limit = Some(limit_value as u64);
    }
    Ok(args)
}

/// The exact threshold an approximate trim is propagated with: the length after trimming, or
/// the first remaining ID (tombstones included; the maximum ID for an empty stream).
fn exact_threshold(stream: &Stream, strategy: TrimStrategy) -> Vec<u8> {
    match strategy {
        TrimStrategy::MaxLen(_) => itoa::Buffer::new().format(stream.len()).as_bytes().to_vec(),
        TrimStrategy::MinId(_) => id_vec(
            stream
                .first_id_including_tombstones()
                .unwrap_or(StreamId::MAX),
        ),
    }
}

fn xadd(ctx: &mut Ctx) -> CmdResult {
    let args = parse_add_trim(ctx, true)?;
    let argc = ctx.argc();
    let fields_at = args.id_at + 1;
    if fields_at > argc || argc - fields_at < 2 || (argc - fields_at) % 2 == 1 {
        return Err(ctx.wrong_args());
    }
    args.id.validate().map_err(stream_err)?;
    let key = ctx.arg(1);
    let now = now_ms(ctx);
    let recording = ctx.db.fx.recording;
    let stream = if args.nomkstream {
        match ctx.db.stream_mut(key)? {
            Some(stream) => stream,
            None => {
                ctx.out.null();
                return Ok(());
            }
        }
    } else {
        ctx.db.stream_or_create(key)?
    };
    let id = stream
        .add(args.id, &ctx.args[fields_at..], now)
        .map_err(stream_err)?;
    let trim = args.trim_options();
    let removed = trim.map_or(0, |opts| stream.trim(&opts));
    let threshold = match trim {
        Some(opts) if opts.approx && recording => Some(exact_threshold(stream, opts.strategy)),
        _ => None,
    };
    write_id(&mut ctx.out, id);
    ctx.db.signal_ready(key);
    ctx.db.notify(notify::STREAM, "xadd", key);
    ctx.db.touch(key);
    ctx.db.dirty(1);
    if removed > 0 {
        ctx.db.notify(notify::STREAM, "xtrim", key);
    }
    let generated = !matches!(args.id, AddId::Explicit(_));
    if recording && (generated || threshold.is_some()) {
        let mut replace: SmallVec<[(usize, Vec<u8>); 3]> = SmallVec::new();
        if generated {
            replace.push((args.id_at, id_vec(id)));
        }
        let mut remove_limit = None;
        if let Some(threshold) = threshold {
            replace.push((args.threshold_at - 1, b"=".to_vec()));
            replace.push((args.threshold_at, threshold));
            remove_limit = args.limit_at;
        }
        let argv = rewritten_argv(ctx.args, &replace, remove_limit);
        ctx.db.propagate_as(argv);
    }
    Ok(())
}

fn xtrim(ctx: &mut Ctx) -> CmdResult {
    let args = parse_add_trim(ctx, false)?;
    let key = ctx.arg(1);
    let recording = ctx.db.fx.recording;
    let Some(stream) = ctx.db.stream_mut(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let opts = args.trim_options().expect("XTRIM always has a strategy");
    let removed = stream.trim(&opts);
    let threshold =
        (removed > 0 && opts.approx && recording).then(|| exact_threshold(stream, opts.strategy));
    ctx.out.int(removed as i64);
    if removed > 0 {
        ctx.db.notify(notify::STREAM, "xtrim", key);
        ctx.db.touch(key);
        ctx.db.dirty(removed);
        if let Some(threshold) = threshold {
            let replace = [
                (args.threshold_at - 1, b"=".to_vec()),
                (args.threshold_at, threshold),
            ];
            let argv = rewritten_argv(ctx.args, &replace, args.limit_at);
            ctx.db.propagate_as(argv);
        }
    }
    Ok(())
}

// ----- XLEN / XRANGE / XREVRANGE / XDEL / XDELEX / XSETID --------------------------------

fn xlen(ctx: &mut Ctx) -> CmdResult {
    let len = ctx.db.stream(ctx.args[1])?.map_or(0, |s| s.len());
    ctx.out.int(len as i64);
    Ok(())
}

fn xrange(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, false)
}

fn xrevrange(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, true)
}

fn range_generic(ctx: &mut Ctx, rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (ctx.arg(3), ctx.arg(2))
    } else {
        (ctx.arg(2), ctx.arg(3))
    };
    let start = StreamId::parse_range_start(start_arg).map_err(stream_err)?;
    let end = StreamId::parse_range_end(end_arg).map_err(stream_err)?;
    let mut count: Option<i64> = None;
    let mut j = 4;
    while j < ctx.argc() {
        if ctx.is(j, "count") && j + 1 < ctx.argc() {
            count = Some(ctx.int(j + 1)?.max(0));
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    let Some(stream) = ctx.db.stream(ctx.args[1])? else {
        ctx.out.empty_array();
        return Ok(());
    };
    match count {
        Some(0) => ctx.out.null_array(),
        Some(n) => {
            write_range(&mut ctx.out, stream, start, end, rev, n as usize);
        }
        None => {
            write_range(&mut ctx.out, stream, start, end, rev, 0);
        }
    }
    Ok(())
}

fn xdel(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    if ctx.db.stream(key)?.is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    let ids = ctx.args[2..]
        .iter()
        .map(|a| parse_strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let stream = ctx.db.stream_mut(key)?.expect("checked above");
    let deleted = stream.delete(&ids);
    ctx.out.int(deleted as i64);
    if deleted > 0 {
        ctx.db.touch(key);
        ctx.db.notify(notify::STREAM, "xdel", key);
        ctx.db.dirty(deleted as u64);
    }
    Ok(())
}

/// `[KEEPREF | DELREF | ACKED] IDS numids id [id ...]` from argv index `from` (Redis 8.2's
/// streamParseAckDelArgsOrReply): at most one policy, anywhere; IDS is required.
fn parse_ids_clause(ctx: &Ctx, from: usize) -> Result<(DeletePolicy, Vec<StreamId>), Error> {
    let argc = ctx.argc();
    let mut policy = None;
    let mut ids_at: Option<(usize, usize)> = None;
    let mut i = from;
    while i < argc {
        if policy.is_none()
            && let Some(p) = delete_policy(ctx, i)
        {
            policy = Some(p);
            i += 1;
        } else if ctx.is(i, "ids") && i + 1 < argc {
            let n = num::parse_i64(ctx.arg(i + 1))
                .filter(|&n| n >= 1)
                .ok_or_else(|| stream_err(StreamError::NumIdsNotPositive))?;
            let available = (argc - i - 2) as i64;
            if n > available {
                return Err(stream_err(StreamError::NumIdsMismatch));
            }
            ids_at = Some((i + 2, n as usize));
            i += 2 + n as usize;
        } else {
            return Err(SYNTAX);
        }
    }
    let Some((at, n)) = ids_at else {
        return Err(stream_err(StreamError::IdsRequired));
    };
    let ids = ctx.args[at..at + n]
        .iter()
        .map(|a| parse_strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((policy.unwrap_or_default(), ids))
}

fn write_outcomes(out: &mut Reply<'_>, outcomes: &[DeleteOutcome]) {
    out.array(outcomes.len());
    for outcome in outcomes {
        out.int(outcome.code());
    }
}

fn write_not_found(out: &mut Reply<'_>, n: usize) {
    out.array(n);
    for _ in 0..n {
        out.int(DeleteOutcome::NotFound.code());
    }
}

/// Whether a group holds any of `ids` in its PEL (a DELREF that only drops references is a
/// change too).
fn any_pending(stream: &Stream, ids: &[StreamId]) -> bool {
    stream
        .groups()
        .any(|(_, g)| ids.iter().any(|&id| g.pending_entry(id).is_some()))
}

fn xdelex(ctx: &mut Ctx) -> CmdResult {
    let (policy, ids) = parse_ids_clause(ctx, 2)?;
    let key = ctx.arg(1);
    let Some(stream) = ctx.db.stream_mut(key)? else {
        write_not_found(&mut ctx.out, ids.len());
        return Ok(());
    };
    let references_dropped = policy == DeletePolicy::DelRef && any_pending(stream, &ids);
    let before = stream.len();
    let outcomes = stream.delete_ex(&ids, policy);
    let deleted = before - stream.len();
    write_outcomes(&mut ctx.out, &outcomes);
    if deleted > 0 {
        ctx.db.touch(key);
        ctx.db.notify(notify::STREAM, "xdel", key);
        ctx.db.dirty(deleted);
    } else if references_dropped {
        ctx.db.dirty(1);
    }
    Ok(())
}

fn xsetid(ctx: &mut Ctx) -> CmdResult {
    let id = parse_strict_id(ctx.arg(2))?;
    let mut entries_added = None;
    let mut max_deleted = None;
    let mut i = 3;
    while i < ctx.argc() {
        let more = ctx.argc() - 1 - i;
        if ctx.is(i, "entriesadded") && more > 0 {
            let n = ctx.int(i + 1)?;
            if n < 0 {
                return Err(stream_err(StreamError::EntriesAddedNegative));
            }
            entries_added = Some(n as u64);
        } else if ctx.is(i, "maxdeletedid") && more > 0 {
            let given = parse_strict_id(ctx.arg(i + 1))?;
            crate::types::stream::check_set_id_args(id, Some(given)).map_err(stream_err)?;
            max_deleted = Some(given);
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    let key = ctx.arg(1);
    let Some(stream) = ctx.db.stream_mut(key)? else {
        return Err(error::NO_SUCH_KEY);
    };
    stream
        .set_id(id, entries_added, max_deleted)
        .map_err(stream_err)?;
    ctx.out.ok();
    ctx.db.dirty(1);
    ctx.db.notify(notify::STREAM, "xsetid", key);
    Ok(())
}

// ----- XREAD / XREADGROUP -----------------------------------------------------------------

fn xread(ctx: &mut Ctx) -> CmdResult {
    read_generic(ctx, false)
}

fn xreadgroup(ctx: &mut Ctx) -> CmdResult {
    read_generic(ctx, true)
}

/// Where reading one stream starts.
#[derive(Clone, Copy)]
enum ReadFrom {
    /// Entries (XREAD) or the consumer's pending entries (XREADGROUP) after this ID.
    After(StreamId),
    /// XREADGROUP `>`: entries never delivered to the group.
    NewEntries,
}

/// What XREADGROUP served from one stream, to be written once every stream was read.
struct GroupServed {
    stream: usize,
    reply: GroupReadReply,
}

/// Options shared by XREAD and XREADGROUP.
struct ReadArgs {
    block_ms: Option<i64>,
    count: usize,
    /// argv index of the first key.
    keys_at: usize,
    streams: usize,
    /// argv index of the group name (the consumer follows it).
    group_at: Option<usize>,
    noack: bool,
}

fn parse_read_args(ctx: &Ctx, xreadgroup: bool) -> Result<ReadArgs, Error> {
    let argc = ctx.argc();
    let mut args = ReadArgs {
        block_ms: None,
        count: 0,
        keys_at: 0,
        streams: 0,
        group_at: None,
        noack: false,
    };
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        if ctx.is(i, "block") && more > 0 {
            if ctx.mode & cx::IN_SCRIPT != 0 {
                return Err(Error::err(format!(
                    "{} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(ctx.arg(0))
                )));
            }
            i += 1;
            let ms = num::parse_i64(ctx.arg(i))
                .ok_or(Error::lit("ERR timeout is not an integer or out of range"))?;
            if ms < 0 {
                return Err(error::TIMEOUT_NEG);
            }
            if ms > 0 && ms > i64::MAX - ctx.db.now {
                return Err(Error::lit("ERR timeout is out of range"));
            }
            args.block_ms = Some(ms);
        } else if ctx.is(i, "count") && more > 0 {
            i += 1;
            args.count = ctx.int(i)?.max(0) as usize;
        } else if ctx.is(i, "streams") && more > 0 {
            args.keys_at = i + 1;
            let rest = argc - args.keys_at;
            if !rest.is_multiple_of(2) {
                return Err(stream_err(StreamError::UnbalancedStreams { xreadgroup }));
            }
            args.streams = rest / 2;
            break;
        } else if ctx.is(i, "group") && more >= 2 {
            if !xreadgroup {
                return Err(stream_err(StreamError::GroupOptionInXRead));
            }
            args.group_at = Some(i + 1);
            i += 2;
        } else if ctx.is(i, "noack") {
            if !xreadgroup {
                return Err(stream_err(StreamError::NoAckInXRead));
            }
            args.noack = true;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    if args.keys_at == 0 {
        return Err(SYNTAX);
    }
    if xreadgroup && args.group_at.is_none() {
        return Err(stream_err(StreamError::MissingGroupInXReadGroup));
    }
    Ok(args)
}

fn read_generic(ctx: &mut Ctx, xreadgroup: bool) -> CmdResult {
    let args = parse_read_args(ctx, xreadgroup)?;
    let ids_at = args.keys_at + args.streams;
    // A re-executed XREAD ignores a key that is no longer a stream unless another key has
    // something to serve: Redis only re-runs it when a stream key is signalled (and then
    // meets the wrong type as it parses, answering WRONGTYPE).
    let lenient_types = ctx.mode & cx::REPROCESS != 0 && !xreadgroup;
    let mut wrong_type_seen = false;
    let mut starts: SmallVec<[ReadFrom; 4]> = SmallVec::with_capacity(args.streams);
    // Streams are read lookups (a missing one publishes `keymiss`), XREADGROUP's too.
    let saved_miss = std::mem::replace(&mut ctx.db.miss_events, true);
    for k in 0..args.streams {
        let key = ctx.arg(args.keys_at + k);
        let stream = match ctx.db.stream(key) {
            Ok(stream) => stream,
            Err(_) if lenient_types => {
                wrong_type_seen = true;
                None
            }
            Err(e) => return Err(e),
        };
        if let Some(group_at) = args.group_at {
            let group = ctx.args[group_at];
            if stream.is_none_or(|s| s.group(group).is_none()) {
                return Err(no_group(key, group, NoGroupContext::ReadGroup));
            }
        }
        let parsed = ReadStartId::parse(ctx.args[ids_at + k], xreadgroup).map_err(stream_err)?;
        starts.push(match parsed {
            ReadStartId::NewMessages => ReadFrom::NewEntries,
            ReadStartId::After(id) => ReadFrom::After(id),
            other => ReadFrom::After(
                stream
                    .and_then(|s| s.read_after(other))
                    .unwrap_or(StreamId::MIN),
            ),
        });
    }
    ctx.db.miss_events = saved_miss;

    let served = if xreadgroup {
        serve_group_reads(ctx, &args, &starts)?
    } else {
        serve_reads(ctx, &args, &starts, wrong_type_seen)?
    };
    if served {
        return Ok(());
    }

    match args.block_ms {
        Some(ms) if ctx.can_block() => {
            let keys = (0..args.streams)
                .map(|k| ctx.arg(args.keys_at + k).to_vec())
                .collect();
            // `$` and `+` become the IDs they resolved to, so that re-execution serves what
            // arrived after this command.
            let rewrite = !xreadgroup
                && (0..args.streams).any(|k| matches!(ctx.arg(ids_at + k), b"$" | b"+"));
            let argv = rewrite.then(|| {
                let replace: Vec<(usize, Vec<u8>)> = starts
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| matches!(ctx.arg(ids_at + k), b"$" | b"+"))
                    .map(|(k, from)| match from {
                        ReadFrom::After(id) => (ids_at + k, id_vec(*id)),
                        ReadFrom::NewEntries => unreachable!("XREAD has no `>`"),
                    })
                    .collect();
                rewritten_argv(ctx.args, &replace, None)
            });
            ctx.block_on(BlockRequest {
                keys,
                timeout: (ms > 0).then(|| Duration::from_millis(ms as u64)),
                on_timeout: TimeoutReply::NullArray,
                argv,
                unblock_on_nokey: xreadgroup,
            })
        }
        _ => {
            ctx.out.null_array();
            Ok(())
        }
    }
}

/// Opens the XREAD / XREADGROUP reply of `n` streams (a map in RESP3).
fn open_streams_reply(out: &mut Reply<'_>, n: usize) {
    if out.resp3 {
        out.map(n);
    } else {
        out.array(n);
    }
}

fn open_stream_item(out: &mut Reply<'_>, key: &[u8]) {
    if !out.resp3 {
        out.array(2);
    }
    out.bulk(key);
}

/// XREAD: serves every stream that has entries after its start. Returns whether it replied.
fn serve_reads(
    ctx: &mut Ctx,
    args: &ReadArgs,
    starts: &[ReadFrom],
    wrong_type_seen: bool,
) -> Result<bool, Error> {
    let mut ready: SmallVec<[usize; 4]> = SmallVec::new();
    for (k, from) in starts.iter().enumerate() {
        let ReadFrom::After(after) = *from else {
            continue;
        };
        let key = ctx.args[args.keys_at + k];
        if let Ok(Some(stream)) = ctx.db.stream(key)
            && stream.has_entries_after(after)
        {
            ready.push(k);
        }
    }
    if wrong_type_seen {
        return if ready.is_empty() {
            Ok(false)
        } else {
            Err(WRONGTYPE)
        };
    }
    if ready.is_empty() {
        return Ok(false);
    }
    open_streams_reply(&mut ctx.out, ready.len());
    for k in ready {
        let ReadFrom::After(after) = starts[k] else {
            unreachable!("only XREAD starts are served here");
        };
        let key = ctx.args[args.keys_at + k];
        let stream = ctx.db.stream(key)?.expect("checked above");
        open_stream_item(&mut ctx.out, key);
        let first = after.next().expect("an entry exists after it");
        write_range(
            &mut ctx.out,
            stream,
            first,
            StreamId::MAX,
            false,
            args.count,
        );
    }
    Ok(true)
}

/// XREADGROUP: reads every stream through the group, records the side effects, and replies
/// if anything was served. Returns whether it replied.
fn serve_group_reads(ctx: &mut Ctx, args: &ReadArgs, starts: &[ReadFrom]) -> Result<bool, Error> {
    let group_at = args.group_at.expect("XREADGROUP has a group");
    let group = ctx.args[group_at];
    let consumer = ctx.args[group_at + 1];
    let now = now_ms(ctx);
    let recording = ctx.db.fx.recording;
    ctx.db.custom_propagation();
    let mut served: SmallVec<[GroupServed; 4]> = SmallVec::new();
    for (k, from) in starts.iter().enumerate() {
        let key = ctx.args[args.keys_at + k];
        let history = match *from {
            ReadFrom::After(id) => Some(id),
            ReadFrom::NewEntries => None,
        };
        let stream = ctx.db.stream_mut(key)?.expect("checked while parsing");
        let read = stream
            .read_group(group, consumer, history, args.count, args.noack, now)
            .map_err(|e| e.into_error(key, group, NoGroupContext::ReadGroup))
            .map_err(stream_err)?;
        let mut records: Vec<Vec<Vec<u8>>> = Vec::new();
        if recording
            && let GroupReadReply::New(ids) = &read.reply
            && let Some(&last) = ids.last()
        {
            let g = stream.group(group).expect("group exists");
            if !args.noack {
                for &id in ids {
                    let count = g.pending_entry(id).map_or(1, |pe| pe.delivery_count);
                    records.push(xclaim_record(key, group, consumer, id, now, count, id));
                }
            }
            debug_assert_eq!(g.last_delivered_id(), last);
            records.push(setid_record(
                key,
                group,
                g.last_delivered_id(),
                g.entries_read(),
            ));
        }
        if read.consumer_created {
            ctx.db.notify(notify::STREAM, "xgroup-createconsumer", key);
            ctx.db.dirty(1);
            if args.noack {
                ctx.db.record(vec![
                    b"XGROUP".to_vec(),
                    b"CREATECONSUMER".to_vec(),
                    key.to_vec(),
                    group.to_vec(),
                    consumer.to_vec(),
                ]);
            }
        }
        for record in records {
            ctx.db.record(record);
        }
        if !matches!(read.reply, GroupReadReply::NoNewEntries) {
            ctx.db.dirty(1);
            served.push(GroupServed {
                stream: k,
                reply: read.reply,
            });
        }
    }
    if served.is_empty() {
        return Ok(false);
    }
    open_streams_reply(&mut ctx.out, served.len());
    for item in &served {
        let key = ctx.args[args.keys_at + item.stream];
        let stream = ctx.db.stream(key)?.expect("read above");
        open_stream_item(&mut ctx.out, key);
        match &item.reply {
            GroupReadReply::New(ids) => {
                // The delivered IDs are consecutive live entries: one range yields them.
                let (first, last) = (ids[0], ids[ids.len() - 1]);
                write_range(&mut ctx.out, stream, first, last, false, 0);
            }
            GroupReadReply::History(ids) => {
                ctx.out.array(ids.len());
                for &id in ids {
                    match stream.get(id) {
                        Some(entry) => write_entry(&mut ctx.out, id, entry),
                        None => {
                            ctx.out.array(2);
                            write_id(&mut ctx.out, id);
                            ctx.out.null_array();
                        }
                    }
                }
            }
            GroupReadReply::NoNewEntries => unreachable!("not served"),
        }
    }
    Ok(true)
}

// ----- XACK / XACKDEL / XPENDING ----------------------------------------------------------

fn xack(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let group = ctx.arg(2);
    // A read lookup, as in Redis: a missing key publishes `keymiss`.
    let has_group = ctx.db.reading(|db| {
        db.stream(key)
            .map(|s| s.is_some_and(|s| s.group(group).is_some()))
    })?;
    if !has_group {
        ctx.out.int(0);
        return Ok(());
    }
    let ids = ctx.args[3..]
        .iter()
        .map(|a| parse_strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let stream = ctx.db.stream_mut(key)?.expect("checked above");
    let acked = stream.ack(group, &ids);
    ctx.out.int(acked as i64);
    ctx.db.dirty(acked as u64);
    Ok(())
}

fn xackdel(ctx: &mut Ctx) -> CmdResult {
    let (policy, ids) = parse_ids_clause(ctx, 3)?;
    let key = ctx.arg(1);
    let group = ctx.arg(2);
    let Some(stream) = ctx.db.stream_mut(key)? else {
        write_not_found(&mut ctx.out, ids.len());
        return Ok(());
    };
    let before = stream.len();
    let outcomes = stream.ack_delete(group, &ids, policy);
    let deleted = before - stream.len();
    let acked = outcomes
        .iter()
        .filter(|o| **o != DeleteOutcome::NotFound)
        .count();
    write_outcomes(&mut ctx.out, &outcomes);
    if deleted > 0 {
        ctx.db.touch(key);
        ctx.db.notify(notify::STREAM, "xdel", key);
    }
    ctx.db.dirty(acked as u64 + deleted);
    Ok(())
}

fn xpending(ctx: &mut Ctx) -> CmdResult {
    let argc = ctx.argc();
    let summary = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(SYNTAX);
    }
    let key = ctx.arg(1);
    let group = ctx.arg(2);
    let mut min_idle = 0i64;
    let mut range = (StreamId::MIN, StreamId::MAX);
    let mut count = 0usize;
    let mut consumer = None;
    if argc >= 6 {
        let mut start_at = 3;
        if ctx.is(3, "idle") {
            min_idle = ctx.int(4)?;
            if argc < 8 {
                return Err(SYNTAX);
            }
            start_at += 2;
        }
        count = ctx.int(start_at + 2)?.max(0) as usize;
        range.0 = StreamId::parse_range_start(ctx.arg(start_at)).map_err(stream_err)?;
        range.1 = StreamId::parse_range_end(ctx.arg(start_at + 1)).map_err(stream_err)?;
        if start_at + 3 < argc {
            consumer = Some(ctx.arg(start_at + 3));
        }
    }
    let not_found = || no_group(key, group, NoGroupContext::KeyOrGroup);
    let now = now_ms(ctx);
    let Some(stream) = ctx.db.stream(key)? else {
        return Err(not_found());
    };
    let out = &mut ctx.out;
    if summary {
        let info = stream.pending_summary(group).map_err(|_| not_found())?;
        out.array(4);
        out.int(info.count as i64);
        match info.bounds {
            None => {
                out.null();
                out.null();
                out.null_array();
            }
            Some((first, last)) => {
                write_id(out, first);
                write_id(out, last);
                out.array(info.consumers.len());
                for (name, pending) in &info.consumers {
                    out.array(2);
                    out.bulk(name);
                    out.bulk_int(*pending as i64);
                }
            }
        }
        return Ok(());
    }
    let items = stream
        .pending_range(group, range.0, range.1, count, consumer, min_idle, now)
        .map_err(|_| not_found())?;
    out.array(items.len());
    for item in &items {
        out.array(4);
        write_id(out, item.id);
        out.bulk(item.consumer);
        out.int(item.idle);
        out.int(item.delivery_count as i64);
    }
    Ok(())
}

// ----- XCLAIM / XAUTOCLAIM ----------------------------------------------------------------

fn xclaim(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let group = ctx.arg(2);
    let consumer = ctx.arg(3);
    // A read lookup, as in Redis: a missing key publishes `keymiss`.
    let has_group = ctx.db.reading(|db| {
        db.stream(key)
            .map(|s| s.is_some_and(|s| s.group(group).is_some()))
    })?;
    if !has_group {
        return Err(no_group(key, group, NoGroupContext::KeyOrGroup));
    }
    let min_idle = ctx
        .int_with(4, stream_err(StreamError::XClaimInvalidMinIdle))?
        .max(0);
    let argc = ctx.argc();
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argc {
        match StreamId::parse(ctx.arg(j)) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = ctx.db.now;
    let mut opts = ClaimOptions::default();
    while j < argc {
        let more = argc - 1 - j;
        if ctx.is(j, "force") {
            opts.force = true;
        } else if ctx.is(j, "justid") {
            opts.just_id = true;
        } else if ctx.is(j, "idle") && more > 0 {
            j += 1;
            let idle = ctx.int_with(j, stream_err(StreamError::XClaimInvalidIdle))?;
            opts.delivery_time = Some(now.wrapping_sub(idle));
        } else if ctx.is(j, "time") && more > 0 {
            j += 1;
            opts.delivery_time = Some(ctx.int_with(j, stream_err(StreamError::XClaimInvalidTime))?);
        } else if ctx.is(j, "retrycount") && more > 0 {
            j += 1;
            let n = ctx.int_with(j, stream_err(StreamError::XClaimInvalidRetryCount))?;
            opts.retry_count = u64::try_from(n).ok();
        } else if ctx.is(j, "lastid") && more > 0 {
            j += 1;
            opts.last_id = Some(parse_strict_id(ctx.arg(j))?);
        } else {
            return Err(stream_err(StreamError::XClaimUnknownOption(
                ctx.arg(j).to_vec(),
            )));
        }
        j += 1;
    }
    let now = now_ms(ctx);
    let recording = ctx.db.fx.recording;
    let stream = ctx.db.stream_mut(key)?.expect("checked above");
    let result = stream
        .claim(group, consumer, min_idle, &ids, &opts, now)
        .map_err(|_| no_group(key, group, NoGroupContext::KeyOrGroup))?;
    let out = &mut ctx.out;
    out.array(result.claimed.len());
    for &id in &result.claimed {
        if opts.just_id {
            write_id(out, id);
        } else {
            let entry = stream.get(id).expect("claimed entries exist");
            write_entry(out, id, entry);
        }
    }
    let records = if recording {
        claim_records(
            stream,
            key,
            group,
            consumer,
            &result.claimed,
            &result.dropped,
            now,
        )
    } else {
        Vec::new()
    };
    let last_id_only =
        result.last_id_updated && result.claimed.is_empty() && result.dropped.is_empty();
    let group_state = stream
        .group(group)
        .map(|g| (g.last_delivered_id(), g.entries_read()));
    ctx.db.custom_propagation();
    if result.consumer_created {
        ctx.db.notify(notify::STREAM, "xgroup-createconsumer", key);
        ctx.db.dirty(1);
    }
    let changes = result.claimed.len() + result.dropped.len();
    ctx.db.dirty(changes as u64);
    for record in records {
        ctx.db.record(record);
    }
    if last_id_only && let Some((last_id, entries_read)) = group_state {
        ctx.db.dirty(1);
        ctx.db
            .record(setid_record(key, group, last_id, entries_read));
    }
    Ok(())
}

/// The XCLAIM records reproducing a claim: claimed entries with their new PEL state, dropped
/// (deleted) entries as a forced claim of an entry the replica no longer has, which removes it
/// from the PEL there too.
fn claim_records(
    stream: &Stream,
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    claimed: &[StreamId],
    dropped: &[StreamId],
    now: u64,
) -> Vec<Vec<Vec<u8>>> {
    let Some(g) = stream.group(group) else {
        return Vec::new();
    };
    let last_id = g.last_delivered_id();
    let mut records = Vec::with_capacity(claimed.len() + dropped.len());
    for &id in dropped {
        records.push(xclaim_record(key, group, consumer, id, now, 0, last_id));
    }
    for &id in claimed {
        if let Some(pe) = g.pending_entry(id) {
            records.push(xclaim_record(
                key,
                group,
                pe.consumer,
                id,
                pe.delivery_time,
                pe.delivery_count,
                last_id,
            ));
        }
    }
    records
}

fn xautoclaim(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let group = ctx.arg(2);
    let consumer = ctx.arg(3);
    let min_idle = ctx
        .int_with(4, stream_err(StreamError::XAutoClaimInvalidMinIdle))?
        .max(0);
    let start = StreamId::parse_range_start(ctx.arg(5)).map_err(stream_err)?;
    let mut count: usize = 100;
    let mut just_id = false;
    let argc = ctx.argc();
    let mut j = 6;
    while j < argc {
        let more = argc - 1 - j;
        if ctx.is(j, "count") && more > 0 {
            // Redis bounds COUNT so that COUNT * 16 fits a long.
            const MAX_COUNT: i64 = i64::MAX / 16;
            let out_of_range = || stream_err(StreamError::XAutoClaimCountOutOfRange);
            let n = num::parse_i64(ctx.arg(j + 1)).ok_or_else(out_of_range)?;
            if !(1..=MAX_COUNT).contains(&n) {
                return Err(out_of_range());
            }
            count = n as usize;
            j += 1;
        } else if ctx.is(j, "justid") {
            just_id = true;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    // A read lookup, as in Redis: a missing key publishes `keymiss`.
    let has_group = ctx.db.reading(|db| {
        db.stream(key)
            .map(|s| s.is_some_and(|s| s.group(group).is_some()))
    })?;
    if !has_group {
        return Err(no_group(key, group, NoGroupContext::KeyOrGroup));
    }
    let now = now_ms(ctx);
    let recording = ctx.db.fx.recording;
    let stream = ctx.db.stream_mut(key)?.expect("checked above");
    let result = stream
        .auto_claim(group, consumer, min_idle, start, count, just_id, now)
        .map_err(|_| no_group(key, group, NoGroupContext::KeyOrGroup))?;
    let out = &mut ctx.out;
    out.array(3);
    write_id(out, result.next);
    out.array(result.claimed.len());
    for &id in &result.claimed {
        if just_id {
            write_id(out, id);
        } else {
            let entry = stream.get(id).expect("claimed entries exist");
            write_entry(out, id, entry);
        }
    }
    out.array(result.deleted.len());
    for &id in &result.deleted {
        write_id(out, id);
    }
    let records = if recording {
        claim_records(
            stream,
            key,
            group,
            consumer,
            &result.claimed,
            &result.deleted,
            now,
        )
    } else {
        Vec::new()
    };
    ctx.db.custom_propagation();
    if result.consumer_created {
        ctx.db.notify(notify::STREAM, "xgroup-createconsumer", key);
        ctx.db.dirty(1);
    }
    ctx.db
        .dirty((result.claimed.len() + result.deleted.len()) as u64);
    for record in records {
        ctx.db.record(record);
    }
    Ok(())
}

// ----- XGROUP -----------------------------------------------------------------------------

/// MKSTREAM and ENTRIESREAD, parsed from argv index 5 before anything else (Redis's
/// xgroupCommand). ENTRIESREAD -1 means "unknown" (`None`).
fn parse_group_options(ctx: &Ctx, create: bool) -> Result<(bool, Option<u64>), Error> {
    let mut mkstream = false;
    let mut entries_read = None;
    let mut i = 5;
    while i < ctx.argc() {
        if create && ctx.is(i, "mkstream") {
            mkstream = true;
            i += 1;
        } else if ctx.is(i, "entriesread") && i + 1 < ctx.argc() {
            let n = ctx.int(i + 1)?;
            if n < -1 {
                return Err(stream_err(StreamError::EntriesReadInvalid));
            }
            entries_read = u64::try_from(n).ok();
            i += 2;
        } else {
            return Err(subcommand_syntax_error(ctx));
        }
    }
    Ok((mkstream, entries_read))
}

/// The checks every XGROUP subcommand but HELP makes after its options: the key must exist
/// (unless MKSTREAM), and the group too for SETID / CREATECONSUMER / DELCONSUMER. Returns
/// whether the stream exists.
fn check_group_target(ctx: &mut Ctx, mkstream: bool, group_required: bool) -> Result<bool, Error> {
    let key = ctx.arg(2);
    let group = ctx.arg(3);
    let (exists, has_group) = match ctx.db.stream(key)? {
        Some(stream) => (true, stream.group(group).is_some()),
        None => (false, false),
    };
    if !mkstream {
        if !exists {
            return Err(stream_err(StreamError::XGroupKeyRequired));
        }
        if group_required && !has_group {
            return Err(no_group(key, group, NoGroupContext::GroupCommand));
        }
    }
    Ok(exists)
}

fn xgroup_create(ctx: &mut Ctx) -> CmdResult {
    let (mkstream, entries_read) = parse_group_options(ctx, true)?;
    let exists = check_group_target(ctx, mkstream, false)?;
    if ctx.argc() > 8 {
        return Err(subcommand_syntax_error(ctx));
    }
    let start = GroupStartId::parse_create(ctx.arg(4)).map_err(stream_err)?;
    let key = ctx.arg(2);
    let group = ctx.arg(3);
    let stream = ctx.db.stream_or_create(key)?;
    let created = stream.create_group(group, start, entries_read);
    if !exists {
        ctx.db.touch(key);
    }
    created.map_err(stream_err)?;
    ctx.out.ok();
    ctx.db.dirty(1);
    ctx.db.notify(notify::STREAM, "xgroup-create", key);
    Ok(())
}

fn xgroup_setid(ctx: &mut Ctx) -> CmdResult {
    let (_, entries_read) = parse_group_options(ctx, false)?;
    check_group_target(ctx, false, true)?;
    if ctx.argc() != 5 && ctx.argc() != 7 {
        return Err(subcommand_syntax_error(ctx));
    }
    let start = GroupStartId::parse_setid(ctx.arg(4)).map_err(stream_err)?;
    let key = ctx.arg(2);
    let group = ctx.arg(3);
    let stream = ctx.db.stream_mut(key)?.expect("checked above");
    stream
        .set_group_id(group, start, entries_read)
        .map_err(|_| no_group(key, group, NoGroupContext::GroupCommand))?;
    ctx.out.ok();
    ctx.db.dirty(1);
    ctx.db.notify(notify::STREAM, "xgroup-setid", key);
    Ok(())
}

fn xgroup_destroy(ctx: &mut Ctx) -> CmdResult {
    check_group_target(ctx, false, false)?;
    let key = ctx.arg(2);
    let group = ctx.arg(3);
    let stream = ctx.db.stream_mut(key)?.expect("checked above");
    if !stream.destroy_group(group) {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.out.int(1);
    ctx.db.dirty(1);
    ctx.db.notify(notify::STREAM, "xgroup-destroy", key);
    // Clients blocked in XREADGROUP on this group must learn it is gone (-NOGROUP).
    ctx.db.signal_ready(key);
    Ok(())
}

fn xgroup_createconsumer(ctx: &mut Ctx) -> CmdResult {
    check_group_target(ctx, false, true)?;
    let key = ctx.arg(2);
    let group = ctx.arg(3);
    let consumer = ctx.arg(4);
    let now = now_ms(ctx);
    let stream = ctx.db.stream_mut(key)?.expect("checked above");
    let created = stream
        .create_consumer(group, consumer, now)
        .map_err(|_| no_group(key, group, NoGroupContext::GroupCommand))?;
    ctx.out.int(i64::from(created));
    if created {
        ctx.db.dirty(1);
        ctx.db.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    Ok(())
}

fn xgroup_delconsumer(ctx: &mut Ctx) -> CmdResult {
    check_group_target(ctx, false, true)?;
    let key = ctx.arg(2);
    let group = ctx.arg(3);
    let consumer = ctx.arg(4);
    let stream = ctx.db.stream_mut(key)?.expect("checked above");
    let exists = stream
        .group(group)
        .is_some_and(|g| g.consumer(consumer).is_some());
    if !exists {
        ctx.out.int(0);
        return Ok(());
    }
    let pending = stream
        .delete_consumer(group, consumer)
        .map_err(|_| no_group(key, group, NoGroupContext::GroupCommand))?;
    ctx.out.int(pending as i64);
    ctx.db.dirty(1);
    ctx.db.notify(notify::STREAM, "xgroup-delconsumer", key);
    Ok(())
}

fn xgroup_help(ctx: &mut Ctx) -> CmdResult {
    help(
        ctx,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    )
}

/// Redis's addReplyHelp, whose last line is "Prints this help." for the stream containers.
fn help(ctx: &mut Ctx, container: &str, lines: &[&str]) -> CmdResult {
    let out = &mut ctx.out;
    out.array(lines.len() + 3);
    out.simple(&format!(
        "{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        out.simple(line);
    }
    out.simple("HELP");
    out.simple("    Prints this help.");
    Ok(())
}

// ----- XINFO ------------------------------------------------------------------------------

fn xinfo_stream(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(2);
    if ctx.db.stream(key)?.is_none() {
        return Err(error::NO_SUCH_KEY);
    }
    let options = ctx.argc() - 3;
    let mut full = false;
    let mut count: usize = 10;
    if options > 0 {
        if (options != 1 && options != 3) || !ctx.is(3, "full") {
            return Err(subcommand_syntax_error(ctx));
        }
        full = true;
        if options == 3 {
            if !ctx.is(4, "count") {
                return Err(subcommand_syntax_error(ctx));
            }
            let n = ctx.int(5)?;
            count = if n < 0 { 10 } else { n as usize };
        }
    }
    let stream = ctx.db.stream(key)?.expect("checked above");
    let out = &mut ctx.out;
    let info = stream.info();
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(info.length as i64);
    out.bulk(b"radix-tree-keys");
    out.int(info.radix_tree_keys as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(info.radix_tree_nodes as i64);
    out.bulk(b"last-generated-id");
    write_id(out, info.last_generated_id);
    out.bulk(b"max-deleted-entry-id");
    write_id(out, info.max_deleted_entry_id);
    out.bulk(b"entries-added");
    out.int(info.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    write_id(out, info.recorded_first_entry_id);
    if !full {
        out.bulk(b"groups");
        out.int(info.groups as i64);
        out.bulk(b"first-entry");
        match stream.first_entry() {
            Some((id, entry)) => write_entry(out, id, entry),
            None => out.null(),
        }
        out.bulk(b"last-entry");
        match stream.last_entry() {
            Some((id, entry)) => write_entry(out, id, entry),
            None => out.null(),
        }
        return Ok(());
    }
    let limit = if count == 0 { usize::MAX } else { count };
    out.bulk(b"entries");
    write_range(out, stream, StreamId::MIN, StreamId::MAX, false, count);
    out.bulk(b"groups");
    out.array(stream.groups_len());
    for (name, group) in stream.groups() {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        write_id(out, group.last_delivered_id());
        out.bulk(b"entries-read");
        match group.entries_read() {
            Some(n) => out.int(n as i64),
            None => out.null(),
        }
        out.bulk(b"lag");
        match stream.group_lag(group) {
            Some(lag) => out.int(lag),
            None => out.null(),
        }
        out.bulk(b"pel-count");
        out.int(group.pending_len() as i64);
        out.bulk(b"pending");
        out.array(group.pending_len().min(limit));
        for pe in group.pending().take(limit) {
            out.array(4);
            write_id(out, pe.id);
            out.bulk(pe.consumer);
            out.int(pe.delivery_time as i64);
            out.int(pe.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(group.consumers_len());
        for consumer in group.consumers() {
            out.map(5);
            out.bulk(b"name");
            out.bulk(consumer.name());
            out.bulk(b"seen-time");
            out.int(consumer.seen_time() as i64);
            out.bulk(b"active-time");
            out.int(consumer.active_time());
            out.bulk(b"pel-count");
            out.int(consumer.pending_len() as i64);
            out.bulk(b"pending");
            out.array(consumer.pending_len().min(limit));
            for pe in group.consumer_pending(consumer).take(limit) {
                out.array(3);
                write_id(out, pe.id);
                out.int(pe.delivery_time as i64);
                out.int(pe.delivery_count as i64);
            }
        }
    }
    Ok(())
}

fn xinfo_groups(ctx: &mut Ctx) -> CmdResult {
    let Some(stream) = ctx.db.stream(ctx.args[2])? else {
        return Err(error::NO_SUCH_KEY);
    };
    let groups = stream.groups_info();
    let out = &mut ctx.out;
    out.array(groups.len());
    for g in &groups {
        out.map(6);
        out.bulk(b"name");
        out.bulk(g.name);
        out.bulk(b"consumers");
        out.int(g.consumers as i64);
        out.bulk(b"pending");
        out.int(g.pending as i64);
        out.bulk(b"last-delivered-id");
        write_id(out, g.last_delivered_id);
        out.bulk(b"entries-read");
        match g.entries_read {
            Some(n) => out.int(n as i64),
            None => out.null(),
        }
        out.bulk(b"lag");
        match g.lag {
            Some(lag) => out.int(lag),
            None => out.null(),
        }
    }
    Ok(())
}

fn xinfo_consumers(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(2);
    let group = ctx.arg(3);
    let now = now_ms(ctx);
    let Some(stream) = ctx.db.stream(key)? else {
        return Err(error::NO_SUCH_KEY);
    };
    let consumers = stream
        .consumers_info(group, now)
        .map_err(|_| no_group(key, group, NoGroupContext::GroupCommand))?;
    let out = &mut ctx.out;
    out.array(consumers.len());
    for c in &consumers {
        out.map(4);
        out.bulk(b"name");
        out.bulk(c.name);
        out.bulk(b"pending");
        out.int(c.pending as i64);
        out.bulk(b"idle");
        out.int(c.idle);
        out.bulk(b"inactive");
        out.int(c.inactive);
    }
    Ok(())
}

fn xinfo_help(ctx: &mut Ctx) -> CmdResult {
    help(
        ctx,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    )
}

#[cfg(test)]
mod tests {
    //! Propagation: what the handlers record for the AOF, replayed on a second keyspace, must
    //! rebuild the same stream, groups, PEL and consumers. Both sides run each step at the
    //! same command time, as a replica applying the records would see them.

    use std::sync::Arc;

    use super::*;
    use crate::config::Config;
    use crate::server::Server;
    use crate::server::client::{ClientShared, ClientState};
    use crate::server::dispatch;
    use crate::server::stats::ThreadStats;
    use crate::store::db::Db;

    struct Node {
        srv: Arc<Server>,
        stats: ThreadStats,
        client: ClientState,
    }

    type Argv = Vec<Vec<u8>>;

    impl Node {
        fn new() -> Node {
            let srv = Server::new(Config::default());
            let stats = ThreadStats::new(srv.commands.len());
            let shared = Arc::new(ClientShared::new(1, 0, "test".into(), "test".into(), -1, 0));
            Node {
                srv,
                stats,
                client: ClientState::new(shared, true),
            }
        }

        /// Runs one command at `now` with recording on; returns the RESP2 reply and the
        /// records it produced.
        fn run(&mut self, now: i64, mode: u32, argv: &[Vec<u8>]) -> (String, Vec<Argv>) {
            let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
            let (cmd, _) = self.srv.commands.lookup(&args).expect("known command");
            let mut db = Db::new(&self.srv, self.srv.ks.lock_all(), 0, now);
            db.fx.recording = true;
            let mut out = Vec::new();
            let result = {
                let mut ctx = Ctx {
                    srv: &self.srv,
                    args: &args,
                    out: Reply::new(&mut out, false),
                    db: &mut db,
                    client: &mut self.client,
                    cmd,
                    mode,
                    block: None,
                    stats: &self.stats,
                };
                (cmd.handler)(&mut ctx)
            };
            if let Err(e) = &result {
                Reply::new(&mut out, false).error(e.as_str());
            }
            dispatch::record_command(&mut db, &args, 0);
            let records = std::mem::take(&mut db.fx.records)
                .into_iter()
                .map(|(_, argv)| argv)
                .collect();
            (String::from_utf8_lossy(&out).into_owned(), records)
        }

        fn query(&mut self, now: i64, line: &str) -> String {
            self.run(now, 0, &split(line)).0
        }
    }

    fn split(line: &str) -> Argv {
        line.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    fn text(argv: &Argv) -> String {
        argv.iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs `line` on the master and replays its records on the replica (as the AOF loader
    /// would); returns the records as text.
    fn step(master: &mut Node, replica: &mut Node, now: i64, line: &str) -> Vec<String> {
        let (_, records) = master.run(now, 0, &split(line));
        for record in &records {
            let (reply, _) = replica.run(now, cx::LOADING, record);
            assert!(
                !reply.starts_with('-'),
                "{} failed on replay: {reply}",
                text(record)
            );
        }
        records.iter().map(text).collect()
    }

    /// A reply with the values of the seen-time and idle fields blanked: when a consumer last
    /// tried to read is not propagated (as in Redis), everything else is.
    fn without_seen_times(reply: String) -> String {
        let mut out = String::new();
        let mut lines = reply.split("\r\n");
        while let Some(line) = lines.next() {
            out.push_str(line);
            out.push_str("\r\n");
            if line == "seen-time" || line == "idle" {
                lines.next();
                out.push_str(":_\r\n");
            }
        }
        out
    }

    fn assert_same(master: &mut Node, replica: &mut Node, now: i64) {
        for query in [
            "XINFO STREAM s FULL COUNT 0",
            "XPENDING s g - + 100",
            "XINFO CONSUMERS s g",
            "XRANGE s - +",
        ] {
            assert_eq!(
                without_seen_times(master.query(now, query)),
                without_seen_times(replica.query(now, query)),
                "{query}"
            );
        }
    }

    #[test]
    fn records_rebuild_the_same_stream_and_groups() {
        let mut m = Node::new();
        let mut r = Node::new();
        // Generated IDs are recorded as the IDs they became.
        assert_eq!(
            step(&mut m, &mut r, 1000, "XADD s * a 1"),
            ["XADD s 1000-0 a 1"]
        );
        assert_eq!(
            step(&mut m, &mut r, 1000, "XADD s 1000-* b 2"),
            ["XADD s 1000-1 b 2"]
        );
        assert_eq!(
            step(&mut m, &mut r, 900, "XADD s * c 3"),
            ["XADD s 1000-2 c 3"]
        );
        assert_eq!(
            step(&mut m, &mut r, 1000, "XADD s 1001-0 d 4"),
            ["XADD s 1001-0 d 4"]
        );
        assert_eq!(
            step(&mut m, &mut r, 1000, "XGROUP CREATE s g 0"),
            ["XGROUP CREATE s g 0"]
        );
        // XREADGROUP: one XCLAIM per delivered entry, then the group's position.
        assert_eq!(
            step(
                &mut m,
                &mut r,
                2000,
                "XREADGROUP GROUP g alice COUNT 2 STREAMS s >"
            ),
            [
                "XCLAIM s g alice 0 1000-0 TIME 2000 RETRYCOUNT 1 FORCE JUSTID LASTID 1000-0",
                "XCLAIM s g alice 0 1000-1 TIME 2000 RETRYCOUNT 1 FORCE JUSTID LASTID 1000-1",
                "XGROUP SETID s g 1000-1 ENTRIESREAD 2",
            ]
        );
        // NOACK: the consumer's creation and the position only.
        assert_eq!(
            step(
                &mut m,
                &mut r,
                2500,
                "XREADGROUP GROUP g bob COUNT 1 NOACK STREAMS s >"
            ),
            [
                "XGROUP CREATECONSUMER s g bob",
                "XGROUP SETID s g 1000-2 ENTRIESREAD 3",
            ]
        );
        assert_eq!(
            step(
                &mut m,
                &mut r,
                2600,
                "XREADGROUP GROUP g alice COUNT 5 STREAMS s >"
            ),
            [
                "XCLAIM s g alice 0 1001-0 TIME 2600 RETRYCOUNT 1 FORCE JUSTID LASTID 1001-0",
                "XGROUP SETID s g 1001-0 ENTRIESREAD 4",
            ]
        );
        // Nothing new: nothing recorded (not even the read itself).
        assert!(step(&mut m, &mut r, 2700, "XREADGROUP GROUP g alice STREAMS s >").is_empty());
        assert_same(&mut m, &mut r, 2800);
        assert_eq!(
            step(
                &mut m,
                &mut r,
                3000,
                "XCLAIM s g carol 0 1000-0 1000-1 RETRYCOUNT 5"
            ),
            [
                "XCLAIM s g carol 0 1000-0 TIME 3000 RETRYCOUNT 5 FORCE JUSTID LASTID 1001-0",
                "XCLAIM s g carol 0 1000-1 TIME 3000 RETRYCOUNT 5 FORCE JUSTID LASTID 1001-0",
            ]
        );
        // LASTID alone moves the group: recorded as XGROUP SETID.
        assert_eq!(
            step(&mut m, &mut r, 3100, "XCLAIM s g carol 0 9-9 LASTID 2000-0"),
            ["XGROUP SETID s g 2000-0 ENTRIESREAD 4"]
        );
        assert_eq!(
            step(&mut m, &mut r, 3200, "XDEL s 1000-1"),
            ["XDEL s 1000-1"]
        );
        // XAUTOCLAIM: deleted entries leave the PEL on the replica too.
        assert_eq!(
            step(&mut m, &mut r, 4000, "XAUTOCLAIM s g dave 0 0 COUNT 10"),
            [
                "XCLAIM s g dave 0 1000-1 TIME 4000 RETRYCOUNT 0 FORCE JUSTID LASTID 2000-0",
                "XCLAIM s g dave 0 1000-0 TIME 4000 RETRYCOUNT 6 FORCE JUSTID LASTID 2000-0",
                "XCLAIM s g dave 0 1001-0 TIME 4000 RETRYCOUNT 2 FORCE JUSTID LASTID 2000-0",
            ]
        );
        assert_same(&mut m, &mut r, 4100);
        assert_eq!(
            step(&mut m, &mut r, 4200, "XACK s g 1000-0"),
            ["XACK s g 1000-0"]
        );
        assert!(step(&mut m, &mut r, 4200, "XACK s g 1000-0").is_empty());
        assert_eq!(
            step(&mut m, &mut r, 4300, "XGROUP CREATECONSUMER s g erin"),
            ["XGROUP CREATECONSUMER s g erin"]
        );
        assert_eq!(
            step(&mut m, &mut r, 4400, "XGROUP DELCONSUMER s g erin"),
            ["XGROUP DELCONSUMER s g erin"]
        );
        assert_same(&mut m, &mut r, 5000);
    }

    #[test]
    fn approximate_trims_are_recorded_exactly() {
        let mut m = Node::new();
        let mut r = Node::new();
        for i in 1..=250 {
            step(&mut m, &mut r, 1000, &format!("XADD s {i}-1 f v"));
        }
        // Blocks hold 100 entries: `~ 100` frees the first block only.
        assert_eq!(
            step(&mut m, &mut r, 1000, "XADD s MAXLEN ~ 100 LIMIT 1000 * f v"),
            ["XADD s MAXLEN = 151 1000-0 f v"]
        );
        assert_eq!(m.query(1000, "XLEN s"), ":151\r\n");
        // An exact trim is recorded as given.
        assert_eq!(
            step(&mut m, &mut r, 1000, "XTRIM s MAXLEN 150"),
            ["XTRIM s MAXLEN 150"]
        );
        // MINID ~ keeps the block holding the threshold: the first kept ID is recorded.
        assert_eq!(
            step(&mut m, &mut r, 1000, "XTRIM s MINID ~ 230-1"),
            ["XTRIM s MINID = 201-1"]
        );
        // Nothing removed: nothing recorded.
        assert!(step(&mut m, &mut r, 1000, "XTRIM s MINID ~ 230-1").is_empty());
        assert_same(&mut m, &mut r, 1000);
        // While loading, LIMIT next to an exact trim is accepted (and ignored).
        let (reply, _) = r.run(1000, cx::LOADING, &split("XTRIM s MAXLEN = 10 LIMIT 5"));
        assert_eq!(reply, ":41\r\n");
        assert_eq!(
            m.query(1000, "XTRIM s MAXLEN = 10 LIMIT 5"),
            "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"
        );
    }
}
