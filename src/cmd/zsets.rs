//! Sorted set commands with Redis 7.2 semantics (`t_zset.c`): ZADD and friends, ranges by rank,
//! score and lex, removals, pops (including the blocking BZPOPMIN/BZPOPMAX/BZMPOP), random
//! members, the set operations ZUNION/ZINTER/ZDIFF (plain sets count as inputs with score 1),
//! and ZSCAN.
//!
//! The data structure is [`crate::types::zset::ZSet`]; this module parses arguments in Redis's
//! order (so the same invalid command gets the same error), replies in the RESP2/RESP3 shapes
//! Redis uses (WITHSCORES is a flat array in RESP2 and an array of pairs in RESP3), and does the
//! bookkeeping of every write: WATCH invalidation, keyspace events, the change counter, waking
//! blocked clients and propagation (blocking and multi-key pops propagate as ZPOPMIN/ZPOPMAX).
//!
//! Results of set operations and stores are built in a fresh set whose encoding follows Redis's
//! rules (`ZSet::with_hints` mirrors `zsetTypeCreate` and `zsetConvertToListpackIfNeeded`), so
//! OBJECT ENCODING agrees with Redis and `-0` scores survive exactly where Redis keeps them.

use std::cmp::Ordering;
use std::collections::HashSet;

use hashbrown::HashMap;
use rand::RngExt;

use super::ctx::{BlockRequest, Ctx, REPROCESS, TimeoutReply};
use super::keys::{parse_cursor, parse_scan_opts};
use super::table::*;
use crate::error::{self, CmdResult, Error, SYNTAX, WRONGTYPE};
use crate::protocol::Reply;
use crate::server::notify;
use crate::store::entry::{Value, ValueRef};
use crate::types::zset::{self, LexRange, ScoreRange, ZSet};
use crate::util::glob::glob_match;
use crate::util::num;

const RO_ACCESS_1: KeySpec = key_at(K_RO | K_ACCESS, 1);
const RW_DELETE_1: KeySpec = key_at(K_RW | K_DELETE, 1);
const POP_1: KeySpec = key_at(K_RW | K_ACCESS | K_DELETE, 1);
const STORE_DST: KeySpec = key_at(K_OW | K_UPDATE, 1);
const STORE_SOURCES: KeySpec = keys_numkeys(K_RO | K_ACCESS, 2);
const SOURCES_1: KeySpec = keys_numkeys(K_RO | K_ACCESS, 1);

const G: &str = "sorted-set";
const RANGE_COMPLEXITY: &str = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";
const REMRANGE_COMPLEXITY: &str = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.";
const POP_COMPLEXITY: &str = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.";
const MPOP_COMPLEXITY: &str = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.";
const INTER_COMPLEXITY: &str = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.";
const DIFF_COMPLEXITY: &str = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.";

pub static COMMANDS: &[Command] = &[
    Command::new("zadd", -4, zadd)
        .flags(WRITE | DENYOOM | FAST)
        .acl(SORTEDSET)
        .keys(&[key_at(K_RW | K_UPDATE, 1)])
        .doc(G, "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.")
        .syntax("key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]"),
    Command::new("zincrby", 4, zincrby)
        .flags(WRITE | DENYOOM | FAST)
        .acl(SORTEDSET)
        .keys(&[key_at(K_RW | K_ACCESS | K_UPDATE, 1)])
        .doc(G, "1.2.0", "O(log(N)) where N is the number of elements in the sorted set.", "Increments the score of a member in a sorted set.")
        .syntax("key increment member"),
    Command::new("zrem", -3, zrem)
        .flags(WRITE | FAST)
        .acl(SORTEDSET)
        .keys(&[RW_DELETE_1])
        .doc(G, "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.")
        .syntax("key member [member ...]"),
    Command::new("zcard", 2, zcard)
        .flags(READONLY | FAST)
        .acl(SORTEDSET)
        .keys(&[key_at(K_RO, 1)])
        .doc(G, "1.2.0", "O(1)", "Returns the number of members in a sorted set.")
        .syntax("key"),
    Command::new("zcount", 4, zcount)
        .flags(READONLY | FAST)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Returns the count of members in a sorted set that have scores within a range.")
        .syntax("key min max"),
    Command::new("zlexcount", 4, zlexcount)
        .flags(READONLY | FAST)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.", "Returns the number of members in a sorted set within a lexicographical range.")
        .syntax("key min max"),
    Command::new("zscore", 3, zscore)
        .flags(READONLY | FAST)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "1.2.0", "O(1)", "Returns the score of a member in a sorted set.")
        .syntax("key member"),
    Command::new("zmscore", -3, zmscore)
        .flags(READONLY | FAST)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "6.2.0", "O(N) where N is the number of members being requested.", "Returns the score of one or more members in a sorted set.")
        .syntax("key member [member ...]"),
    Command::new("zrank", -3, zrank)
        .flags(READONLY | FAST)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.0.0", "O(log(N))", "Returns the index of a member in a sorted set ordered by ascending scores.")
        .syntax("key member [WITHSCORE]"),
    Command::new("zrevrank", -3, zrevrank)
        .flags(READONLY | FAST)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.0.0", "O(log(N))", "Returns the index of a member in a sorted set ordered by descending scores.")
        .syntax("key member [WITHSCORE]"),
    Command::new("zrange", -4, zrange)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Returns members in a sorted set within a range of indexes.")
        .syntax("key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"),
    Command::new("zrangestore", -5, zrangestore)
        .flags(WRITE | DENYOOM)
        .acl(SORTEDSET)
        .keys(&[STORE_DST, key_at(K_RO | K_ACCESS, 2)])
        .doc(G, "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "Stores a range of members from sorted set in a key.")
        .syntax("dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]"),
    Command::new("zrangebyscore", -4, zrangebyscore)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "1.0.5", RANGE_COMPLEXITY, "Returns members in a sorted set within a range of scores.")
        .syntax("key min max [WITHSCORES] [LIMIT offset count]")
        .deprecated("6.2.0", "`ZRANGE` with the `BYSCORE` argument"),
    Command::new("zrevrangebyscore", -4, zrevrangebyscore)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.2.0", RANGE_COMPLEXITY, "Returns members in a sorted set within a range of scores in reverse order.")
        .syntax("key max min [WITHSCORES] [LIMIT offset count]")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments"),
    Command::new("zrangebylex", -4, zrangebylex)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.8.9", RANGE_COMPLEXITY, "Returns members in a sorted set within a lexicographical range.")
        .syntax("key min max [LIMIT offset count]")
        .deprecated("6.2.0", "`ZRANGE` with the `BYLEX` argument"),
    Command::new("zrevrangebylex", -4, zrevrangebylex)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.8.9", RANGE_COMPLEXITY, "Returns members in a sorted set within a lexicographical range in reverse order.")
        .syntax("key max min [LIMIT offset count]")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments"),
    Command::new("zrevrange", -4, zrevrange)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Returns members in a sorted set within a range of indexes in reverse order.")
        .syntax("key start stop [WITHSCORES]")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` argument"),
    Command::new("zremrangebyscore", 4, zremrangebyscore)
        .flags(WRITE)
        .acl(SORTEDSET)
        .keys(&[RW_DELETE_1])
        .doc(G, "1.2.0", REMRANGE_COMPLEXITY, "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.")
        .syntax("key min max"),
    Command::new("zremrangebyrank", 4, zremrangebyrank)
        .flags(WRITE)
        .acl(SORTEDSET)
        .keys(&[RW_DELETE_1])
        .doc(G, "2.0.0", REMRANGE_COMPLEXITY, "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.")
        .syntax("key start stop"),
    Command::new("zremrangebylex", 4, zremrangebylex)
        .flags(WRITE)
        .acl(SORTEDSET)
        .keys(&[RW_DELETE_1])
        .doc(G, "2.8.9", REMRANGE_COMPLEXITY, "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.")
        .syntax("key min max"),
    Command::new("zpopmin", -2, zpopmin)
        .flags(WRITE | FAST)
        .acl(SORTEDSET)
        .keys(&[POP_1])
        .doc(G, "5.0.0", POP_COMPLEXITY, "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.")
        .syntax("key [count]"),
    Command::new("zpopmax", -2, zpopmax)
        .flags(WRITE | FAST)
        .acl(SORTEDSET)
        .keys(&[POP_1])
        .doc(G, "5.0.0", POP_COMPLEXITY, "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.")
        .syntax("key [count]"),
    Command::new("bzpopmin", -3, bzpopmin)
        .flags(WRITE | FAST | BLOCKING)
        .acl(SORTEDSET)
        .keys(&[keys_range(K_RW | K_ACCESS | K_DELETE, 1, -2, 1)])
        .doc(G, "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.")
        .syntax("key [key ...] timeout"),
    Command::new("bzpopmax", -3, bzpopmax)
        .flags(WRITE | FAST | BLOCKING)
        .acl(SORTEDSET)
        .keys(&[keys_range(K_RW | K_ACCESS | K_DELETE, 1, -2, 1)])
        .doc(G, "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.")
        .syntax("key [key ...] timeout"),
    Command::new("zmpop", -4, zmpop)
        .flags(WRITE)
        .acl(SORTEDSET)
        .keys(&[keys_numkeys(K_RW | K_ACCESS | K_DELETE, 1)])
        .doc(G, "7.0.0", MPOP_COMPLEXITY, "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.")
        .syntax("numkeys key [key ...] <MIN | MAX> [COUNT count]"),
    Command::new("bzmpop", -5, bzmpop)
        .flags(WRITE | BLOCKING)
        .acl(SORTEDSET)
        .keys(&[keys_numkeys(K_RW | K_ACCESS | K_DELETE, 2)])
        .doc(G, "7.0.0", MPOP_COMPLEXITY, "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.")
        .syntax("timeout numkeys key [key ...] <MIN | MAX> [COUNT count]"),
    Command::new("zrandmember", -2, zrandmember)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "6.2.0", "O(N) where N is the number of members returned", "Returns one or more random members from a sorted set.")
        .syntax("key [count [WITHSCORES]]")
        .tips(&["nondeterministic_output"]),
    Command::new("zunion", -3, zunion)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[SOURCES_1])
        .doc(G, "6.2.0", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Returns the union of multiple sorted sets.")
        .syntax("numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]"),
    Command::new("zinter", -3, zinter)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[SOURCES_1])
        .doc(G, "6.2.0", INTER_COMPLEXITY, "Returns the intersect of multiple sorted sets.")
        .syntax("numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]"),
    Command::new("zdiff", -3, zdiff)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[SOURCES_1])
        .doc(G, "6.2.0", DIFF_COMPLEXITY, "Returns the difference between multiple sorted sets.")
        .syntax("numkeys key [key ...] [WITHSCORES]"),
    Command::new("zunionstore", -4, zunionstore)
        .flags(WRITE | DENYOOM)
        .acl(SORTEDSET)
        .keys(&[STORE_DST, STORE_SOURCES])
        .doc(G, "2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Stores the union of multiple sorted sets in a key.")
        .syntax("destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]"),
    Command::new("zinterstore", -4, zinterstore)
        .flags(WRITE | DENYOOM)
        .acl(SORTEDSET)
        .keys(&[STORE_DST, STORE_SOURCES])
        .doc(G, "2.0.0", INTER_COMPLEXITY, "Stores the intersect of multiple sorted sets in a key.")
        .syntax("destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]"),
    Command::new("zdiffstore", -4, zdiffstore)
        .flags(WRITE | DENYOOM)
        .acl(SORTEDSET)
        .keys(&[STORE_DST, STORE_SOURCES])
        .doc(G, "6.2.0", DIFF_COMPLEXITY, "Stores the difference of multiple sorted sets in a key.")
        .syntax("destination numkeys key [key ...]"),
    Command::new("zintercard", -3, zintercard)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[SOURCES_1])
        .doc(G, "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "Returns the number of members of the intersect of multiple sorted sets.")
        .syntax("numkeys key [key ...] [LIMIT limit]"),
    Command::new("zscan", -3, zscan)
        .flags(READONLY)
        .acl(SORTEDSET)
        .keys(&[RO_ACCESS_1])
        .doc(G, "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Iterates over members and scores of a sorted set.")
        .syntax("key cursor [MATCH pattern] [COUNT count]")
        .tips(&["nondeterministic_output"]),
];

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

const NAN_SCORE: Error = Error::lit("ERR resulting score is not a number (NaN)");
const NOT_FLOAT_RANGE: Error = Error::lit("ERR min or max is not a float");
const NOT_LEX_RANGE: Error = Error::lit("ERR min or max not valid string range item");

/// The header of a member list that may carry scores: RESP2 flattens pairs, RESP3 nests them.
fn pairs_header(out: &mut Reply, n: usize, withscores: bool) {
    if withscores && !out.resp3 {
        out.array(n * 2);
    } else {
        out.array(n);
    }
}

/// One member (and its score) of a list started with [`pairs_header`].
fn pair(out: &mut Reply, member: &[u8], score: f64, withscores: bool) {
    if withscores && out.resp3 {
        out.array(2);
    }
    out.bulk(member);
    if withscores {
        out.double(score);
    }
}

/// The order of sorted set elements: by score (`-0 == 0`), then by member bytes.
pub(crate) fn cmp_elements(a: (&[u8], f64), b: (&[u8], f64)) -> Ordering {
    a.1.partial_cmp(&b.1)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.0.cmp(b.0))
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Error> {
    match (zset::parse_score_bound(min), zset::parse_score_bound(max)) {
        (Some(min), Some(max)) => Ok(ScoreRange { min, max }),
        _ => Err(NOT_FLOAT_RANGE),
    }
}

fn parse_lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, Error> {
    match (zset::parse_lex_bound(min), zset::parse_lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => Err(NOT_LEX_RANGE),
    }
}

/// Redis's `zzlIsInLexRange`/`zslIsInLexRange`: whether the range can overlap the set, judged
/// by its first and last members. Lex ranges assume equal scores; with mixed scores Redis's
/// answers depend on this check and on walking the listpack, which the lex helpers below
/// reproduce for the packed encoding (the skiplist's are unspecified, as Redis documents).
fn lex_in_range(z: &ZSet, r: &LexRange) -> bool {
    if r.is_empty_range() || z.is_empty() {
        return false;
    }
    let first = z.get_by_rank(0).map_or(&[][..], |(m, _)| m);
    let last = z.get_by_rank(z.len() - 1).map_or(&[][..], |(m, _)| m);
    r.gte_min(last) && r.lte_max(first)
}

fn first_in_lex(z: &ZSet, r: &LexRange) -> Option<usize> {
    if !lex_in_range(z, r) {
        return None;
    }
    z.first_in_lex_range(r)
}

fn last_in_lex(z: &ZSet, r: &LexRange) -> Option<usize> {
    if !lex_in_range(z, r) {
        return None;
    }
    if z.encoding() != "listpack" {
        return z.last_in_lex_range(r);
    }
    // zzlLastInLexRange: walk from the tail to the first member at or below the max.
    let from_tail = z.iter().rev().position(|(m, _)| r.lte_max(m))?;
    let rank = z.len() - 1 - from_tail;
    let (m, _) = z.get_by_rank(rank)?;
    r.gte_min(m).then_some(rank)
}

fn lex_count(z: &ZSet, r: &LexRange) -> usize {
    if !lex_in_range(z, r) {
        return 0;
    }
    if z.encoding() != "listpack" {
        return z.count_in_lex_range(r);
    }
    match z.first_in_lex_range(r) {
        Some(first) => z
            .iter_from_rank(first)
            .take_while(|&(m, _)| r.lte_max(m))
            .count(),
        None => 0,
    }
}

/// Normalizes a rank range like Redis: negative indexes count from the end; `None` if empty.
fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { start + len } else { start };
    let mut end = if end < 0 { end + len } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

/// Stores the result of a store command in `dst` (or deletes `dst` when the result is empty),
/// replies with the result size and emits `event`. `dirty` is the change count for a non-empty
/// result (Redis counts 1 for ZUNIONSTORE & co., the element count for GEO stores).
pub(crate) fn store_result(
    ctx: &mut Ctx,
    dst: &[u8],
    result: ZSet,
    event: &str,
    dirty: u64,
) -> CmdResult {
    let n = result.len();
    if n > 0 {
        ctx.db.set(dst, Value::ZSet(Box::new(result)), false);
        ctx.db.touch(dst);
        ctx.out.int(n as i64);
        ctx.db.notify(notify::ZSET, event, dst);
        ctx.db.dirty(dirty);
    } else {
        ctx.out.int(0);
        if ctx.db.delete(dst) {
            ctx.db.touch(dst);
            ctx.db.notify(notify::GENERIC, "del", dst);
            ctx.db.dirty(1);
        }
    }
    Ok(())
}

/// A new set holding `elements` (given in sorted order), in the encoding Redis would pick for a
/// computed result (`zsetConvertToListpackIfNeeded`).
pub(crate) fn build_result(elements: &[(Vec<u8>, f64)]) -> ZSet {
    let longest = elements.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut z = ZSet::with_hints(elements.len(), longest);
    for (m, s) in elements {
        z.insert(m, *s);
    }
    z
}

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY
// ---------------------------------------------------------------------------------------------

/// ZADD's options.
#[derive(Default, Clone, Copy)]
pub(crate) struct AddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    pub incr: bool,
    pub ch: bool,
}

/// What one ZADD did.
pub(crate) struct AddCounts {
    pub added: usize,
    pub updated: usize,
    pub processed: usize,
    /// The score of the last processed element (the reply of INCR).
    pub score: f64,
}

/// The ZADD engine (Redis's `zsetAdd` loop) shared with GEOADD: adds the `(score, member)`
/// pairs to `key` honouring the flags, creating the key when needed, and does the write's
/// bookkeeping (counter, WATCH, `zadd`/`zincr` event, waking blocked clients). The caller
/// checked the flag combinations and replies.
pub(crate) fn add_pairs(
    ctx: &mut Ctx,
    key: &[u8],
    f: AddFlags,
    pairs: &[(f64, &[u8])],
) -> Result<AddCounts, Error> {
    let mut c = AddCounts {
        added: 0,
        updated: 0,
        processed: 0,
        score: 0.0,
    };
    // One lookup for an existing key; a new set is filled before it is stored.
    let (existed, nan) = match ctx.db.zset_mut(key)? {
        Some(z) => {
            z.reserve_for_hint(pairs.len());
            (true, apply_pairs(z, f, pairs, &mut c))
        }
        None if f.xx => return Ok(c),
        None => {
            let mut z = ZSet::with_hints(pairs.len(), pairs[0].1.len());
            let nan = apply_pairs(&mut z, f, pairs, &mut c);
            ctx.db.add(key, Value::ZSet(Box::new(z)));
            (false, nan)
        }
    };
    let changed = c.added + c.updated;
    ctx.db.dirty(changed as u64);
    if changed > 0 {
        ctx.db.touch(key);
        let event = if f.incr { "zincr" } else { "zadd" };
        ctx.db.notify(notify::ZSET, event, key);
        if existed {
            ctx.db.signal_ready(key);
        }
    }
    if nan {
        return Err(NAN_SCORE);
    }
    Ok(c)
}

/// Redis's `zsetAdd` for each pair, counting into `c`; true if an increment produced NaN (the
/// pairs after it are not applied).
fn apply_pairs(z: &mut ZSet, f: AddFlags, pairs: &[(f64, &[u8])], c: &mut AddCounts) -> bool {
    let plain = !(f.nx || f.xx || f.gt || f.lt || f.incr);
    for &(score, member) in pairs {
        if plain {
            match z.insert(member, score) {
                zset::AddOutcome::Added => c.added += 1,
                zset::AddOutcome::Updated { .. } => c.updated += 1,
                zset::AddOutcome::Unchanged => {}
            }
            c.processed += 1;
            c.score = score;
            continue;
        }
        match z.score(member) {
            Some(cur) => {
                if f.nx {
                    continue;
                }
                let mut new = score;
                if f.incr {
                    new += cur;
                    if new.is_nan() {
                        return true;
                    }
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    continue;
                }
                if new != cur {
                    z.insert(member, new);
                    c.updated += 1;
                }
                c.processed += 1;
                c.score = new;
            }
            None if !f.xx => {
                z.insert(member, score);
                c.added += 1;
                c.processed += 1;
                c.score = score;
            }
            None => {}
        }
    }
    false
}

fn zadd_generic(ctx: &mut Ctx, incr: bool) -> CmdResult {
    let mut f = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut idx = 2;
    while idx < ctx.argc() {
        let a = ctx.arg(idx);
        if a.eq_ignore_ascii_case(b"nx") {
            f.nx = true;
        } else if a.eq_ignore_ascii_case(b"xx") {
            f.xx = true;
        } else if a.eq_ignore_ascii_case(b"ch") {
            f.ch = true;
        } else if a.eq_ignore_ascii_case(b"incr") {
            f.incr = true;
        } else if a.eq_ignore_ascii_case(b"gt") {
            f.gt = true;
        } else if a.eq_ignore_ascii_case(b"lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let rest = ctx.argc() - idx;
    if !rest.is_multiple_of(2) || rest == 0 {
        return Err(SYNTAX);
    }
    let elements = rest / 2;
    if f.nx && f.xx {
        return Err(Error::lit(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(Error::lit(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && elements > 1 {
        return Err(Error::lit(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let args = ctx.args;
    let mut pairs: Vec<(f64, &[u8])> = Vec::with_capacity(elements);
    for j in 0..elements {
        let score = num::parse_f64(args[idx + 2 * j]).ok_or(error::NOT_FLOAT)?;
        pairs.push((score, args[idx + 2 * j + 1]));
    }
    let c = add_pairs(ctx, args[1], f, &pairs)?;
    if f.incr {
        if c.processed > 0 {
            ctx.out.double(c.score);
        } else {
            ctx.out.null();
        }
    } else {
        let n = if f.ch { c.added + c.updated } else { c.added };
        ctx.out.int(n as i64);
    }
    Ok(())
}

fn zadd(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, false)
}

fn zincrby(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, true)
}

// ---------------------------------------------------------------------------------------------
// ZREM, ZCARD, ZCOUNT, ZLEXCOUNT, ZSCORE, ZMSCORE, ZRANK
// ---------------------------------------------------------------------------------------------

fn zrem(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let Some(z) = ctx.db.zset_mut(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for m in &args[2..] {
        if z.remove(m).is_some() {
            deleted += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    let emptied = z.is_empty();
    if deleted > 0 {
        ctx.db.notify(notify::ZSET, "zrem", key);
        if emptied {
            ctx.db.delete(key);
            ctx.db.notify(notify::GENERIC, "del", key);
        }
        ctx.db.touch(key);
        ctx.db.dirty(deleted);
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

fn zcard(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db.zset(ctx.args[1])?.map_or(0, |z| z.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn zcount(ctx: &mut Ctx) -> CmdResult {
    let r = parse_score_range(ctx.arg(2), ctx.arg(3))?;
    let n = ctx
        .db
        .zset(ctx.args[1])?
        .map_or(0, |z| z.count_in_score_range(&r));
    ctx.out.int(n as i64);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx) -> CmdResult {
    let r = parse_lex_range(ctx.arg(2), ctx.arg(3))?;
    let n = ctx.db.zset(ctx.args[1])?.map_or(0, |z| lex_count(z, &r));
    ctx.out.int(n as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx) -> CmdResult {
    match ctx.db.zset(ctx.args[1])?.and_then(|z| z.score(ctx.args[2])) {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let z = ctx.db.zset(args[1])?;
    ctx.out.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn zrank_generic(ctx: &mut Ctx, reverse: bool) -> CmdResult {
    if ctx.argc() > 4 {
        return Err(ctx.wrong_args());
    }
    let withscore = if ctx.argc() > 3 {
        if !ctx.is(3, "withscore") {
            return Err(SYNTAX);
        }
        true
    } else {
        false
    };
    let args = ctx.args;
    let found = match ctx.db.zset(args[1])? {
        None => None,
        Some(z) => z.rank(args[2]).map(|rank| {
            let rank = if reverse { z.len() - 1 - rank } else { rank };
            (rank, z.score(args[2]).unwrap_or(0.0))
        }),
    };
    match found {
        Some((rank, score)) => {
            if withscore {
                ctx.out.array(2);
            }
            ctx.out.int(rank as i64);
            if withscore {
                ctx.out.double(score);
            }
        }
        None if withscore => ctx.out.null_array(),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, false)
}

fn zrevrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, true)
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and its variants
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeBy {
    Auto,
    Rank,
    Score,
    Lex,
}

enum Range<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// The elements a range selects, in reply order. `offset`/`count` are LIMIT's (count < 0: all).
fn select_range<'z>(
    z: &'z ZSet,
    range: &Range,
    rev: bool,
    offset: i64,
    count: i64,
) -> Vec<(&'z [u8], f64)> {
    let len = z.len();
    let take = if count < 0 {
        usize::MAX
    } else {
        count as usize
    };
    match range {
        Range::Rank(start, end) => match rank_range(*start, *end, len) {
            None => Vec::new(),
            Some((s, e)) if rev => z.iter_range(len - 1 - e, len - s).rev().collect(),
            Some((s, e)) => z.iter_range(s, e + 1).collect(),
        },
        _ if offset < 0 || (offset > 0 && offset as usize >= len) => Vec::new(),
        Range::Score(r) => {
            let offset = offset as usize;
            if !rev {
                let Some(first) = z.first_in_score_range(r) else {
                    return Vec::new();
                };
                z.iter_from_rank(first + offset)
                    .take(take)
                    .take_while(|&(_, s)| r.lte_max(s))
                    .collect()
            } else {
                match z.last_in_score_range(r) {
                    Some(last) if last >= offset => z
                        .iter_range(0, last + 1 - offset)
                        .rev()
                        .take(take)
                        .take_while(|&(_, s)| r.gte_min(s))
                        .collect(),
                    _ => Vec::new(),
                }
            }
        }
        Range::Lex(r) => {
            let offset = offset as usize;
            if !rev {
                let Some(first) = first_in_lex(z, r) else {
                    return Vec::new();
                };
                z.iter_from_rank(first + offset)
                    .take(take)
                    .take_while(|&(m, _)| r.lte_max(m))
                    .collect()
            } else {
                match last_in_lex(z, r) {
                    Some(last) if last >= offset => z
                        .iter_range(0, last + 1 - offset)
                        .rev()
                        .take(take)
                        .take_while(|&(m, _)| r.gte_min(m))
                        .collect(),
                    _ => Vec::new(),
                }
            }
        }
    }
}

/// ZRANGE, ZRANGESTORE and the legacy Z[REV]RANGE[BYSCORE|BYLEX] (Redis's
/// `zrangeGenericCommand`): `src` is the index of the source key; `dst` the destination's for
/// ZRANGESTORE. `by`/`rev` are fixed by the legacy commands and `Auto`/`None` for ZRANGE.
fn zrange_generic(
    ctx: &mut Ctx,
    src: usize,
    dst: Option<usize>,
    mut by: RangeBy,
    mut rev: Option<bool>,
) -> CmdResult {
    let args = ctx.args;
    let store = dst.is_some();
    let mut withscores = false;
    let (mut offset, mut count) = (0i64, -1i64);
    let mut j = src + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        if !store && ctx.is(j, "withscores") {
            withscores = true;
        } else if ctx.is(j, "limit") && left >= 2 {
            offset = ctx.int(j + 1)?;
            count = ctx.int(j + 2)?;
            j += 2;
        } else if rev.is_none() && ctx.is(j, "rev") {
            rev = Some(true);
        } else if by == RangeBy::Auto && ctx.is(j, "bylex") {
            by = RangeBy::Lex;
        } else if by == RangeBy::Auto && ctx.is(j, "byscore") {
            by = RangeBy::Score;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == RangeBy::Auto {
        by = RangeBy::Rank;
    }
    if count != -1 && by == RangeBy::Rank {
        return Err(Error::lit(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == RangeBy::Lex {
        return Err(Error::lit(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut min, mut max) = (src + 1, src + 2);
    if rev && by != RangeBy::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let range = match by {
        RangeBy::Score => Range::Score(parse_score_range(args[min], args[max])?),
        RangeBy::Lex => Range::Lex(parse_lex_range(args[min], args[max])?),
        _ => Range::Rank(ctx.int(min)?, ctx.int(max)?),
    };
    if dst.is_some() {
        // ZRANGESTORE reads its source with lookupKeyRead: a missing one is a `keymiss`.
        ctx.db.reading(|db| db.contains(args[src]));
    }
    let Some(z) = ctx.db.zset(args[src])? else {
        return match dst {
            Some(d) => store_result(ctx, args[d], ZSet::new(), "zrangestore", 1),
            None => {
                ctx.out.empty_array();
                Ok(())
            }
        };
    };
    // Plain rank ranges stream straight into the reply (the hot path of ZRANGE key 0 N).
    if let (None, Range::Rank(start, end)) = (dst, &range) {
        let len = z.len();
        let Some((s, e)) = rank_range(*start, *end, len) else {
            ctx.out.empty_array();
            return Ok(());
        };
        pairs_header(&mut ctx.out, e - s + 1, withscores);
        if rev {
            for (m, sc) in z.iter_range(len - 1 - e, len - s).rev() {
                pair(&mut ctx.out, m, sc, withscores);
            }
        } else {
            for (m, sc) in z.iter_range(s, e + 1) {
                pair(&mut ctx.out, m, sc, withscores);
            }
        }
        return Ok(());
    }
    let items = select_range(z, &range, rev, offset, count);
    match dst {
        None => {
            pairs_header(&mut ctx.out, items.len(), withscores);
            for (m, s) in items {
                pair(&mut ctx.out, m, s, withscores);
            }
            Ok(())
        }
        Some(d) => {
            // zsetTypeCreate(length, 0): the known length for rank ranges, 0 otherwise.
            let hint = if matches!(range, Range::Rank(..)) {
                items.len()
            } else {
                0
            };
            let mut out = ZSet::with_hints(hint, 0);
            for (m, s) in items {
                out.insert(m, s);
            }
            store_result(ctx, args[d], out, "zrangestore", 1)
        }
    }
}

fn zrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeBy::Auto, None)
}

fn zrangestore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 2, Some(1), RangeBy::Auto, None)
}

fn zrevrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeBy::Rank, Some(true))
}

fn zrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeBy::Score, Some(false))
}

fn zrevrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeBy::Score, Some(true))
}

fn zrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeBy::Lex, Some(false))
}

fn zrevrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeBy::Lex, Some(true))
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBY*
// ---------------------------------------------------------------------------------------------

fn zremrange_generic(ctx: &mut Ctx, by: RangeBy) -> CmdResult {
    let args = ctx.args;
    let (range, event) = match by {
        RangeBy::Rank => (Range::Rank(ctx.int(2)?, ctx.int(3)?), "zremrangebyrank"),
        RangeBy::Score => (
            Range::Score(parse_score_range(args[2], args[3])?),
            "zremrangebyscore",
        ),
        _ => (
            Range::Lex(parse_lex_range(args[2], args[3])?),
            "zremrangebylex",
        ),
    };
    let key = args[1];
    let Some(z) = ctx.db.zset_mut(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let deleted = match &range {
        Range::Rank(start, end) => match rank_range(*start, *end, z.len()) {
            Some((s, e)) => z.remove_range_by_rank(s, e),
            None => 0,
        },
        Range::Score(r) => z.remove_range_by_score(r),
        Range::Lex(r) if lex_in_range(z, r) => z.remove_range_by_lex(r),
        Range::Lex(_) => 0,
    };
    let emptied = z.is_empty();
    if emptied {
        ctx.db.delete(key);
    }
    if deleted > 0 {
        ctx.db.touch(key);
        ctx.db.notify(notify::ZSET, event, key);
        if emptied {
            ctx.db.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.db.dirty(deleted as u64);
    ctx.out.int(deleted as i64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx) -> CmdResult {
    zremrange_generic(ctx, RangeBy::Rank)
}

fn zremrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zremrange_generic(ctx, RangeBy::Score)
}

fn zremrangebylex(ctx: &mut Ctx) -> CmdResult {
    zremrange_generic(ctx, RangeBy::Lex)
}

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

/// How a pop replies (Redis's `genericZpopCommand` flags).
#[derive(Clone, Copy)]
struct PopReply {
    /// Name the key in the reply (blocking pops and ZMPOP).
    emit_key: bool,
    /// Pairs as nested arrays (RESP3 ZPOPMIN with a count, ZMPOP).
    nested: bool,
    /// Null array instead of an empty array when no key has elements (ZMPOP).
    nil_when_empty: bool,
}

/// Pops from the first non-empty sorted set among `keys`. `count` is -1 for a plain single pop.
/// Returns the key popped from and how many elements it held before, for propagation.
fn generic_zpop<'k>(
    ctx: &mut Ctx,
    keys: &[&'k [u8]],
    max: bool,
    count: i64,
    how: PopReply,
) -> Result<Option<(&'k [u8], usize)>, Error> {
    let mut found = None;
    for &k in keys {
        if ctx.db.zset(k)?.is_some() {
            found = Some(k);
            break;
        }
    }
    let Some(key) = found else {
        if how.nil_when_empty {
            ctx.out.null_array();
        } else {
            ctx.out.empty_array();
        }
        return Ok(None);
    };
    if count == 0 {
        ctx.out.empty_array();
        return Ok(None);
    }
    let count = if count == -1 { 1 } else { count as usize };
    let z = ctx.db.zset_mut(key)?.expect("found above");
    let len = z.len();
    let n = count.min(len);
    let mut popped = Vec::with_capacity(n);
    for _ in 0..n {
        let e = if max { z.pop_max() } else { z.pop_min() };
        popped.extend(e);
    }
    let emptied = z.is_empty();
    let out = &mut ctx.out;
    match (how.emit_key, how.nested) {
        (false, false) => out.array(n * 2),
        (false, true) => out.array(n),
        (true, false) => {
            out.array(n * 2 + 1);
            out.bulk(key);
        }
        (true, true) => {
            out.array(2);
            out.bulk(key);
            out.array(n);
        }
    }
    for (m, s) in &popped {
        if how.nested {
            out.array(2);
        }
        out.bulk(m);
        out.double(*s);
    }
    ctx.db.dirty(n as u64);
    ctx.db
        .notify(notify::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
    if emptied {
        ctx.db.delete(key);
        ctx.db.notify(notify::GENERIC, "del", key);
    }
    ctx.db.touch(key);
    Ok(Some((key, len)))
}

/// Records a pop as the deterministic ZPOPMIN/ZPOPMAX it amounted to.
fn propagate_pop(ctx: &mut Ctx, key: &[u8], max: bool, count: Option<usize>) {
    let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    let mut argv = vec![name.to_vec(), key.to_vec()];
    if let Some(c) = count {
        argv.push(num::i64_to_vec(c as i64));
    }
    ctx.db.propagate_as(argv);
}

fn zpop_cmd(ctx: &mut Ctx, max: bool) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(SYNTAX);
    }
    let count = if ctx.argc() == 3 {
        // getPositiveLongFromObjectOrReply: one message for "not a number" and "negative".
        num::parse_i64(ctx.arg(2))
            .filter(|&c| c >= 0)
            .ok_or(error::POSITIVE)?
    } else {
        -1
    };
    let how = PopReply {
        emit_key: false,
        nested: ctx.resp3() && count != -1,
        nil_when_empty: false,
    };
    let args = ctx.args;
    generic_zpop(ctx, &args[1..2], max, count, how)?;
    Ok(())
}

fn zpopmin(ctx: &mut Ctx) -> CmdResult {
    zpop_cmd(ctx, false)
}

fn zpopmax(ctx: &mut Ctx) -> CmdResult {
    zpop_cmd(ctx, true)
}

/// The blocking pops (Redis's `blockingGenericZpopCommand`): pop from the first non-empty key
/// in argument order, or block on all of them. Inside MULTI or a script this answers as a
/// timeout would. When re-executed for a ready key, a client whose keys hold no sorted set with
/// elements keeps waiting (Redis only serves a waiter when its ready key has the right type).
fn blocking_zpop(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: bool,
    timeout_idx: usize,
    count: i64,
    how: PopReply,
) -> CmdResult {
    let timeout = ctx.timeout_secs(timeout_idx)?;
    let mut ready = None;
    for (i, &k) in keys.iter().enumerate() {
        match ctx.db.get(k) {
            None => {}
            Some(ValueRef::ZSet(z)) if z.is_empty() => {}
            Some(ValueRef::ZSet(_)) => {
                ready = Some(i);
                break;
            }
            Some(_) if ctx.mode & REPROCESS != 0 => {
                let later_zset = keys[i + 1..]
                    .iter()
                    .any(|k| matches!(ctx.db.peek(k), Some(ValueRef::ZSet(z)) if !z.is_empty()));
                if later_zset {
                    return Err(WRONGTYPE);
                }
                break;
            }
            Some(_) => return Err(WRONGTYPE),
        }
    }
    if let Some(i) = ready {
        let key = keys[i];
        if let Some((key, len)) = generic_zpop(ctx, &[key], max, count, how)? {
            let c = (count != -1).then(|| (count as usize).min(len));
            propagate_pop(ctx, key, max, c);
        }
        return Ok(());
    }
    if !ctx.can_block() {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.block_on(BlockRequest {
        keys: keys.iter().map(|k| k.to_vec()).collect(),
        timeout,
        on_timeout: TimeoutReply::NullArray,
        argv: None,
        unblock_on_nokey: false,
    })
}

fn bzpop_cmd(ctx: &mut Ctx, max: bool) -> CmdResult {
    let args = ctx.args;
    let how = PopReply {
        emit_key: true,
        nested: false,
        nil_when_empty: false,
    };
    blocking_zpop(ctx, &args[1..args.len() - 1], max, args.len() - 1, -1, how)
}

fn bzpopmin(ctx: &mut Ctx) -> CmdResult {
    bzpop_cmd(ctx, false)
}

fn bzpopmax(ctx: &mut Ctx) -> CmdResult {
    bzpop_cmd(ctx, true)
}

/// Parses `numkeys key... MIN|MAX [COUNT count]` from `numkeys_idx`: (numkeys, max, count).
fn parse_mpop(ctx: &Ctx, numkeys_idx: usize) -> Result<(usize, bool, i64), Error> {
    let numkeys = num::parse_i64(ctx.arg(numkeys_idx))
        .filter(|&n| n >= 1)
        .ok_or(Error::lit("ERR numkeys should be greater than 0"))?;
    // numkeys < argc here, so the index arithmetic cannot overflow.
    if numkeys >= ctx.argc() as i64 || numkeys_idx + numkeys as usize + 1 >= ctx.argc() {
        return Err(SYNTAX);
    }
    let where_idx = numkeys_idx + numkeys as usize + 1;
    let max = if ctx.is(where_idx, "min") {
        false
    } else if ctx.is(where_idx, "max") {
        true
    } else {
        return Err(SYNTAX);
    };
    let mut count = -1;
    let mut j = where_idx + 1;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        if count == -1 && ctx.is(j, "count") && more > 0 {
            j += 1;
            count = num::parse_i64(ctx.arg(j))
                .filter(|&c| c >= 1)
                .ok_or(Error::lit("ERR count should be greater than 0"))?;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    Ok((numkeys as usize, max, count.max(1)))
}

const MPOP_REPLY: PopReply = PopReply {
    emit_key: true,
    nested: true,
    nil_when_empty: true,
};

fn zmpop(ctx: &mut Ctx) -> CmdResult {
    let (numkeys, max, count) = parse_mpop(ctx, 1)?;
    let args = ctx.args;
    if let Some((key, len)) = generic_zpop(ctx, &args[2..2 + numkeys], max, count, MPOP_REPLY)? {
        propagate_pop(ctx, key, max, Some((count as usize).min(len)));
    }
    Ok(())
}

fn bzmpop(ctx: &mut Ctx) -> CmdResult {
    let (numkeys, max, count) = parse_mpop(ctx, 2)?;
    let args = ctx.args;
    blocking_zpop(ctx, &args[3..3 + numkeys], max, 1, count, MPOP_REPLY)
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------------

/// ZRANDMEMBER with a count needing more than a third of the set picks by elimination.
const RANDOM_SUB_STRATEGY_MUL: usize = 3;

fn zrandmember(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    if args.len() == 2 {
        let mut rng = rand::rng();
        match ctx.db.zset(args[1])? {
            Some(z) => match z.random_member(&mut |n| rng.random_range(0..n)) {
                Some((m, _)) => ctx.out.bulk(m),
                None => ctx.out.null(),
            },
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let (l, withscores) = random_count_args(ctx, "withscores")?;
    let Some(z) = ctx.db.zset(args[1])? else {
        ctx.out.empty_array();
        return Ok(());
    };
    let size = z.len();
    let (count, unique) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        ctx.out.empty_array();
        return Ok(());
    }
    let mut rng = rand::rng();
    let out = &mut ctx.out;
    // Repetitions allowed (or a single element): independent uniform picks.
    if !unique || count == 1 {
        pairs_header(out, count as usize, withscores);
        for _ in 0..count {
            let (m, s) = z
                .random_member(&mut |n| rng.random_range(0..n))
                .expect("non-empty");
            pair(out, m, s, withscores);
        }
        return Ok(());
    }
    // The whole set.
    if count >= size as u64 {
        pairs_header(out, size, withscores);
        for (m, s) in z.iter() {
            pair(out, m, s, withscores);
        }
        return Ok(());
    }
    let count = count as usize;
    let ranks: Vec<usize> = if count * RANDOM_SUB_STRATEGY_MUL > size {
        // Most of the set: a partial Fisher-Yates shuffle of all ranks.
        let mut all: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = rng.random_range(i..size);
            all.swap(i, j);
        }
        all.truncate(count);
        all
    } else {
        // A small part: random ranks until enough distinct ones.
        let mut seen = HashSet::with_capacity(count);
        let mut picked = Vec::with_capacity(count);
        while picked.len() < count {
            let r = rng.random_range(0..size);
            if seen.insert(r) {
                picked.push(r);
            }
        }
        picked
    };
    pairs_header(out, count, withscores);
    for r in ranks {
        let (m, s) = z.get_by_rank(r).expect("rank in range");
        pair(out, m, s, withscores);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Redis's `zunionInterAggregate` (a NaN sum, from +inf + -inf, counts as 0).
fn aggregate(target: &mut f64, val: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// One input of a set operation.
struct Input<'a> {
    key: &'a [u8],
    len: usize,
    weight: f64,
}

/// Calls `f(member, score)` for every element of a sorted set or plain set (score 1).
fn for_each_element(ctx: &mut Ctx, key: &[u8], mut f: impl FnMut(&[u8], f64)) {
    match ctx.db.peek(key) {
        Some(ValueRef::ZSet(z)) => {
            for (m, s) in z.iter() {
                f(m, s);
            }
        }
        Some(ValueRef::Set(s)) => {
            for m in s.iter() {
                f(&m.as_bytes(), 1.0);
            }
        }
        _ => {}
    }
}

/// The score of `member` in a sorted set or plain set input.
fn input_score(ctx: &mut Ctx, key: &[u8], member: &[u8]) -> Option<f64> {
    match ctx.db.peek(key) {
        Some(ValueRef::ZSet(z)) => z.score(member),
        Some(ValueRef::Set(s)) => s.contains(member).then_some(1.0),
        _ => None,
    }
}

/// `zunionInterDiffGenericCommand`: `dst` is the destination's argument index for the STORE
/// forms, `numkeys_idx` where the key count is.
fn zsetop_generic(
    ctx: &mut Ctx,
    dst: Option<usize>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let args = ctx.args;
    let setnum = ctx.int(numkeys_idx)?;
    if setnum < 1 {
        return Err(Error::err(format!(
            "at least 1 input key is needed for '{}' command",
            ctx.full_name()
        )));
    }
    if setnum > (args.len() - numkeys_idx - 1) as i64 {
        return Err(SYNTAX);
    }
    let setnum = setnum as usize;
    let mut inputs = Vec::with_capacity(setnum);
    for &key in &args[numkeys_idx + 1..numkeys_idx + 1 + setnum] {
        // Sources are read lookups (Redis's lookupKeyRead): a missing one publishes `keymiss`.
        let len = ctx.db.reading(|db| match db.get(key) {
            None => Ok(0),
            Some(ValueRef::ZSet(z)) => Ok(z.len()),
            Some(ValueRef::Set(s)) => Ok(s.len()),
            Some(_) => Err(WRONGTYPE),
        })?;
        inputs.push(Input {
            key,
            len,
            weight: 1.0,
        });
    }
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        if op != SetOp::Diff && !card_only && remaining > setnum && ctx.is(j, "weights") {
            j += 1;
            for input in inputs.iter_mut() {
                input.weight =
                    num::parse_f64(args[j]).ok_or(Error::lit("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && ctx.is(j, "aggregate") {
            agg = if ctx.is(j + 1, "sum") {
                Aggregate::Sum
            } else if ctx.is(j + 1, "min") {
                Aggregate::Min
            } else if ctx.is(j + 1, "max") {
                Aggregate::Max
            } else {
                return Err(SYNTAX);
            };
            j += 2;
        } else if dst.is_none() && !card_only && ctx.is(j, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && ctx.is(j, "limit") {
            limit = num::parse_i64(args[j + 1])
                .filter(|&l| l >= 0)
                .ok_or(Error::lit("ERR LIMIT can't be negative"))? as usize;
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    if op != SetOp::Diff {
        // Smallest first (glibc's qsort is a stable merge sort here); this also fixes the order
        // in which scores are aggregated, which matters for floating point sums.
        inputs.sort_by_key(|i| i.len);
    }
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        SetOp::Inter if inputs[0].len > 0 => {
            let first = &inputs[0];
            let w = first.weight;
            for_each_element(ctx, first.key, |m, s| {
                let mut score = w * s;
                if score.is_nan() {
                    score = 0.0;
                }
                result.push((m.to_vec(), score));
            });
            for input in &inputs[1..] {
                result.retain_mut(|(m, score)| match input_score(ctx, input.key, m) {
                    Some(v) => {
                        aggregate(score, v * input.weight, agg);
                        true
                    }
                    None => false,
                });
                if result.is_empty() {
                    break;
                }
            }
            if card_only {
                let n = if limit > 0 {
                    result.len().min(limit)
                } else {
                    result.len()
                };
                ctx.out.int(n as i64);
                return Ok(());
            }
        }
        SetOp::Inter => {
            if card_only {
                ctx.out.int(0);
                return Ok(());
            }
        }
        SetOp::Union => {
            let mut acc: HashMap<Vec<u8>, f64> =
                HashMap::with_capacity(inputs.last().map_or(0, |i| i.len));
            for input in &inputs {
                if input.len == 0 {
                    continue;
                }
                let w = input.weight;
                for_each_element(ctx, input.key, |m, s| {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, score, agg),
                        None => {
                            acc.insert(m.to_vec(), score);
                        }
                    }
                });
            }
            result = acc.into_iter().collect();
        }
        SetOp::Diff => {
            let first = inputs[0].key;
            // The same key again removes everything.
            if inputs[0].len > 0 && !inputs[1..].iter().any(|i| i.key == first) {
                for_each_element(ctx, first, |m, s| result.push((m.to_vec(), s)));
                for input in &inputs[1..] {
                    if input.len == 0 {
                        continue;
                    }
                    result.retain(|(m, _)| input_score(ctx, input.key, m).is_none());
                    if result.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    result.sort_unstable_by(|a, b| cmp_elements((&a.0, a.1), (&b.0, b.1)));
    match dst {
        Some(d) => {
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            let z = build_result(&result);
            store_result(ctx, args[d], z, event, 1)
        }
        None => {
            pairs_header(&mut ctx.out, result.len(), withscores);
            for (m, s) in &result {
                pair(&mut ctx.out, m, *s, withscores);
            }
            Ok(())
        }
    }
}

fn zunion(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Union, false)
}

fn zinter(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Inter, false)
}

fn zdiff(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Diff, false)
}

fn zunionstore(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, Some(1), 2, SetOp::Union, false)
}

fn zinterstore(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, Some(1), 2, SetOp::Inter, false)
}

fn zdiffstore(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, Some(1), 2, SetOp::Diff, false)
}

fn zintercard(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Inter, true)
}

// ---------------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------------

fn zscan(ctx: &mut Ctx) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(2))?;
    // Options are parsed only for an existing key, after its type check (as Redis does).
    if ctx.db.zset(ctx.args[1])?.is_none() {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.empty_array();
        return Ok(());
    }
    let opts = parse_scan_opts(ctx, 3, false, false)?;
    let z = ctx.db.zset(ctx.args[1])?.expect("checked above");
    // A listpack hands out the stored score text (Redis 7.2's d2string); the skiplist's scan
    // callback prints `%.17Lg`.
    let packed = z.encoding() == "listpack";
    let mut found: Vec<(Vec<u8>, f64)> = Vec::new();
    let next = z.scan(cursor, opts.count, |m, s| {
        if opts.pattern.is_none_or(|p| glob_match(p, m, false)) {
            found.push((m.to_vec(), s));
        }
    });
    let out = &mut ctx.out;
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(found.len() * 2);
    for (m, s) in found {
        out.bulk(&m);
        if packed {
            out.bulk(num::F64Text::new(s).as_bytes());
        } else {
            out.bulk(num::fmt_g17(s).as_bytes());
        }
    }
    Ok(())
}

/// The `count [WITHSCORES|WITHVALUES]` arguments of ZRANDMEMBER and HRANDFIELD, with Redis's
/// range checks (a count whose pairs would overflow is refused when values are asked for).
pub(crate) fn random_count_args(ctx: &Ctx, with: &str) -> Result<(i64, bool), Error> {
    let l = ctx.int(2)?;
    if l == i64::MIN {
        return Err(Error::lit(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let n = ctx.args.len();
    if n > 4 || (n == 4 && !ctx.is(3, with)) {
        return Err(SYNTAX);
    }
    let flag = n == 4;
    if flag && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(Error::lit("ERR value is out of range"));
    }
    Ok((l, flag))
}
