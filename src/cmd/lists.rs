//! List commands with Redis 7.2 semantics (`t_list.c`): pushes and pops at both ends (with
//! COUNT), ranges, indexed access, LINSERT/LREM/LTRIM/LPOS, moves between lists (LMOVE,
//! RPOPLPUSH), multi-key pops (LMPOP) and the blocking variants BLPOP, BRPOP, BLMOVE,
//! BRPOPLPUSH and BLMPOP.
//!
//! The data structure is [`crate::types::list::List`], a deque of packed chunks (see the top of
//! that module for the representation and the listpack/quicklist encoding rules). This module
//! parses arguments in Redis's order, so the same invalid command gets the same error, replies
//! in Redis's RESP2/RESP3 shapes and does the bookkeeping of every write: WATCH invalidation,
//! keyspace events with Redis's names (`lpush`, `rpush`, `lpop`, `rpop`, `linsert`, `lset`,
//! `lrem`, `ltrim`, `del` when a list empties), the change counter, waking blocked clients and
//! propagation (blocking and multi-key pops propagate as the plain command they amounted to:
//! `LPOP key [count]`, `RPOP key [count]`, `LMOVE`, `RPOPLPUSH`).
//!
//! Blocking: a blocking command that finds nothing to serve asks the dispatcher to block
//! ([`BlockRequest`]); when one of its keys becomes ready the same handler is re-executed in
//! `REPROCESS` mode (see `server/blocking.rs`), which serves waiters in the order they blocked.
//! While re-executing, a key that holds another type is not a reason to answer: like Redis,
//! which only serves a waiter when its ready key holds a list, the client keeps waiting, unless
//! a later key of the same command holds a non-empty list (Redis then re-runs the command and
//! the type check of the earlier key answers WRONGTYPE). Inside MULTI or a script a blocking
//! command answers as a timeout would.

use super::ctx::{BlockRequest, Ctx, REPROCESS, TimeoutReply};
use super::table::*;
use crate::error::{self, CmdResult, Error, SYNTAX};
use crate::server::notify;
use crate::store::entry::ValueRef;
use crate::types::List;
use crate::util::num;

const G: &str = "list";
const PUSH_1: KeySpec = key_at(K_RW | K_INSERT, 1);
const POP_1: KeySpec = key_at(K_RW | K_ACCESS | K_DELETE, 1);
const RO_ACCESS_1: KeySpec = key_at(K_RO | K_ACCESS, 1);
const INSERT_2: KeySpec = key_at(K_RW | K_INSERT, 2);
const PUSH_COMPLEXITY: &str = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";
const POP_COMPLEXITY: &str = "O(N) where N is the number of elements returned";
const MPOP_COMPLEXITY: &str =
    "O(N+M) where N is the number of provided keys and M is the number of elements returned.";

pub static COMMANDS: &[Command] = &[
    Command::new("lpush", -3, lpush)
        .flags(WRITE | DENYOOM | FAST)
        .acl(LIST)
        .keys(&[PUSH_1])
        .doc(G, "1.0.0", PUSH_COMPLEXITY, "Prepends one or more elements to a list. Creates the key if it doesn't exist.")
        .syntax("key element [element ...]"),
    Command::new("rpush", -3, rpush)
        .flags(WRITE | DENYOOM | FAST)
        .acl(LIST)
        .keys(&[PUSH_1])
        .doc(G, "1.0.0", PUSH_COMPLEXITY, "Appends one or more elements to a list. Creates the key if it doesn't exist.")
        .syntax("key element [element ...]"),
    Command::new("lpushx", -3, lpushx)
        .flags(WRITE | DENYOOM | FAST)
        .acl(LIST)
        .keys(&[PUSH_1])
        .doc(G, "2.2.0", PUSH_COMPLEXITY, "Prepends one or more elements to a list only when the list exists.")
        .syntax("key element [element ...]"),
    Command::new("rpushx", -3, rpushx)
        .flags(WRITE | DENYOOM | FAST)
        .acl(LIST)
        .keys(&[PUSH_1])
        .doc(G, "2.2.0", PUSH_COMPLEXITY, "Appends an element to a list only when the list exists.")
        .syntax("key element [element ...]"),
    Command::new("lpop", -2, lpop)
        .flags(WRITE | FAST)
        .acl(LIST)
        .keys(&[POP_1])
        .doc(G, "1.0.0", POP_COMPLEXITY, "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.")
        .syntax("key [count]"),
    Command::new("rpop", -2, rpop)
        .flags(WRITE | FAST)
        .acl(LIST)
        .keys(&[POP_1])
        .doc(G, "1.0.0", POP_COMPLEXITY, "Returns and removes the last elements of a list. Deletes the list if the last element was popped.")
        .syntax("key [count]"),
    Command::new("llen", 2, llen)
        .flags(READONLY | FAST)
        .acl(LIST)
        .keys(&[key_at(K_RO, 1)])
        .doc(G, "1.0.0", "O(1)", "Returns the length of a list.")
        .syntax("key"),
    Command::new("lrange", 4, lrange)
        .flags(READONLY)
        .acl(LIST)
        .keys(&[RO_ACCESS_1])
        .doc(G, "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "Returns a range of elements from a list.")
        .syntax("key start stop"),
    Command::new("lindex", 3, lindex)
        .flags(READONLY)
        .acl(LIST)
        .keys(&[RO_ACCESS_1])
        .doc(G, "1.0.0", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "Returns an element from a list by its index.")
        .syntax("key index"),
    Command::new("lset", 4, lset)
        .flags(WRITE | DENYOOM)
        .acl(LIST)
        .keys(&[key_at(K_RW | K_UPDATE, 1)])
        .doc(G, "1.0.0", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "Sets the value of an element in a list by its index.")
        .syntax("key index element"),
    Command::new("linsert", 5, linsert)
        .flags(WRITE | DENYOOM)
        .acl(LIST)
        .keys(&[PUSH_1])
        .doc(G, "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "Inserts an element before or after another element in a list.")
        .syntax("key <BEFORE | AFTER> pivot element"),
    Command::new("lrem", 4, lrem)
        .flags(WRITE)
        .acl(LIST)
        .keys(&[key_at(K_RW | K_DELETE, 1)])
        .doc(G, "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.", "Removes elements from a list. Deletes the list if the last element was removed.")
        .syntax("key count element"),
    Command::new("ltrim", 4, ltrim)
        .flags(WRITE)
        .acl(LIST)
        .keys(&[key_at(K_RW | K_DELETE, 1)])
        .doc(G, "1.0.0", "O(N) where N is the number of elements to be removed by the operation.", "Removes elements from both ends a list. Deletes the list if all elements were trimmed.")
        .syntax("key start stop"),
    Command::new("lpos", -3, lpos)
        .flags(READONLY)
        .acl(LIST)
        .keys(&[RO_ACCESS_1])
        .doc(G, "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "Returns the index of matching elements in a list.")
        .syntax("key element [RANK rank] [COUNT num-matches] [MAXLEN len]"),
    Command::new("lmove", 5, lmove)
        .flags(WRITE | DENYOOM)
        .acl(LIST)
        .keys(&[POP_1, INSERT_2])
        .doc(G, "6.2.0", "O(1)", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.")
        .syntax("source destination <LEFT | RIGHT> <LEFT | RIGHT>"),
    Command::new("rpoplpush", 3, rpoplpush)
        .flags(WRITE | DENYOOM)
        .acl(LIST)
        .keys(&[POP_1, INSERT_2])
        .doc(G, "1.2.0", "O(1)", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.")
        .syntax("source destination")
        .deprecated("6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments"),
    Command::new("lmpop", -4, lmpop)
        .flags(WRITE)
        .acl(LIST)
        .keys(&[keys_numkeys(K_RW | K_ACCESS | K_DELETE, 1)])
        .doc(G, "7.0.0", MPOP_COMPLEXITY, "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.")
        .syntax("numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"),
    Command::new("blpop", -3, blpop)
        .flags(WRITE | NOSCRIPT | BLOCKING)
        .acl(LIST)
        .keys(&[keys_range(K_RW | K_ACCESS | K_DELETE, 1, -2, 1)])
        .doc(G, "2.0.0", "O(N) where N is the number of provided keys.", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.")
        .syntax("key [key ...] timeout"),
    Command::new("brpop", -3, brpop)
        .flags(WRITE | NOSCRIPT | BLOCKING)
        .acl(LIST)
        .keys(&[keys_range(K_RW | K_ACCESS | K_DELETE, 1, -2, 1)])
        .doc(G, "2.0.0", "O(N) where N is the number of provided keys.", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.")
        .syntax("key [key ...] timeout"),
    Command::new("blmove", 6, blmove)
        .flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING)
        .acl(LIST)
        .keys(&[POP_1, INSERT_2])
        .doc(G, "6.2.0", "O(1)", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.")
        .syntax("source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout"),
    Command::new("brpoplpush", 4, brpoplpush)
        .flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING)
        .acl(LIST)
        .keys(&[POP_1, INSERT_2])
        .doc(G, "2.2.0", "O(1)", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.")
        .syntax("source destination timeout")
        .deprecated("6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments"),
    Command::new("blmpop", -5, blmpop)
        .flags(WRITE | BLOCKING)
        .acl(LIST)
        .keys(&[keys_numkeys(K_RW | K_ACCESS | K_DELETE, 2)])
        .doc(G, "7.0.0", MPOP_COMPLEXITY, "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.")
        .syntax("timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"),
];

/// Which end of a list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Left,
    Right,
}

impl End {
    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }

    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    fn pop_name(self) -> &'static [u8] {
        match self {
            End::Left => b"LPOP",
            End::Right => b"RPOP",
        }
    }

    fn name(self) -> &'static [u8] {
        match self {
            End::Left => b"LEFT",
            End::Right => b"RIGHT",
        }
    }
}

/// `LEFT` or `RIGHT` (case-insensitive), else a syntax error (getListPositionFromObjectOrReply).
fn parse_end(ctx: &Ctx, i: usize) -> Result<End, Error> {
    if ctx.is(i, "left") {
        Ok(End::Left)
    } else if ctx.is(i, "right") {
        Ok(End::Right)
    } else {
        Err(SYNTAX)
    }
}

fn pop_one(l: &mut List, end: End) -> Option<Vec<u8>> {
    match end {
        End::Left => l.pop_front(),
        End::Right => l.pop_back(),
    }
}

fn push_one(l: &mut List, end: End, v: &[u8]) {
    match end {
        End::Left => l.push_front(v),
        End::Right => l.push_back(v),
    }
}

/// Resolves Redis's index pair (negative counts from the tail) to an inclusive range of a list
/// of `len` elements, or None when the range is empty.
fn resolve_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    };
    let mut end = if end < 0 {
        len.saturating_add(end)
    } else {
        end
    };
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

// ---------------------------------------------------------------------------------------------
// Pushes
// ---------------------------------------------------------------------------------------------

fn push_generic(ctx: &mut Ctx, end: End, only_existing: bool) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let len = {
        let l = if only_existing {
            match ctx.db.list_mut(key)? {
                Some(l) => l,
                None => {
                    ctx.out.int(0);
                    return Ok(());
                }
            }
        } else {
            ctx.db.list_or_create(key)?
        };
        for v in &args[2..] {
            push_one(l, end, v);
        }
        l.len()
    };
    ctx.db.dirty((args.len() - 2) as u64);
    ctx.out.int(len as i64);
    ctx.db.touch(key);
    ctx.db.signal_ready(key);
    ctx.db.notify(notify::LIST, end.push_event(), key);
    Ok(())
}

fn lpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Left, false)
}

fn rpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Right, false)
}

fn lpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Left, true)
}

fn rpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Right, true)
}

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

/// After removing `n` elements popped at `end`: the pop event, deletion of an emptied list (with
/// its `del` event), WATCH and the change counter (Redis's listElementsRemoved).
fn elements_removed(ctx: &mut Ctx, key: &[u8], end: End, n: usize) {
    ctx.db.notify(notify::LIST, end.pop_event(), key);
    if ctx.db.remove_if_empty(key) {
        ctx.db.notify(notify::GENERIC, "del", key);
    }
    ctx.db.touch(key);
    ctx.db.dirty(n as u64);
}

/// Pops up to `count` elements from `end` of the list at `key` (which exists and is a list),
/// replying with them as bulk strings after an array header. Returns how many were popped.
fn pop_range_reply(ctx: &mut Ctx, key: &[u8], end: End, count: usize) -> usize {
    let l = ctx
        .db
        .list_mut(key)
        .ok()
        .flatten()
        .expect("caller checked the list");
    let n = count.min(l.len());
    ctx.out.array(n);
    for _ in 0..n {
        let v = pop_one(l, end).expect("n <= len");
        ctx.out.bulk(&v);
    }
    n
}

fn pop_generic(ctx: &mut Ctx, end: End) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(ctx.wrong_args());
    }
    let count = if ctx.argc() == 3 {
        Some(
            num::parse_i64(ctx.arg(2))
                .filter(|&c| c >= 0)
                .ok_or(error::POSITIVE)?,
        )
    } else {
        None
    };
    let key = ctx.arg(1);
    let Some(l) = ctx.db.list_mut(key)? else {
        match count {
            Some(_) => ctx.out.null_array(),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    match count {
        Some(0) => {
            ctx.out.empty_array();
            return Ok(());
        }
        None => {
            let v = pop_one(l, end).expect("lists are never empty");
            ctx.out.bulk(&v);
            elements_removed(ctx, key, end, 1);
        }
        Some(c) => {
            let n = pop_range_reply(ctx, key, end, usize::try_from(c).unwrap_or(usize::MAX));
            elements_removed(ctx, key, end, n);
        }
    }
    Ok(())
}

fn lpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Left)
}

fn rpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Right)
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

fn llen(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db.list(ctx.arg(1))?.map_or(0, |l| l.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn lrange(ctx: &mut Ctx) -> CmdResult {
    let start = ctx.int(2)?;
    let end = ctx.int(3)?;
    let Some(l) = ctx.db.list(ctx.args[1])? else {
        ctx.out.empty_array();
        return Ok(());
    };
    match resolve_range(start, end, l.len()) {
        None => ctx.out.empty_array(),
        Some((s, e)) => {
            ctx.out.array(e - s + 1);
            for v in l.iter_from(s).take(e - s + 1) {
                ctx.out.bulk(v);
            }
        }
    }
    Ok(())
}

fn lindex(ctx: &mut Ctx) -> CmdResult {
    let Some(l) = ctx.db.list(ctx.args[1])? else {
        ctx.out.null();
        return Ok(());
    };
    let index = num::parse_i64(ctx.args[2]).ok_or(error::NOT_INT)?;
    let len = l.len() as i64;
    let i = if index < 0 { len + index } else { index };
    match (0..len).contains(&i).then(|| l.get(i as usize)).flatten() {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

fn lpos(ctx: &mut Ctx) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: i64 = -1;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < ctx.argc() {
        let more = j + 1 < ctx.argc();
        if ctx.is(j, "rank") && more {
            j += 1;
            rank = ctx.int(j)?;
            if rank == i64::MIN {
                return Err(Error::err(
                    "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                ));
            }
            if rank == 0 {
                return Err(Error::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if ctx.is(j, "count") && more {
            j += 1;
            count = num::parse_i64(ctx.arg(j))
                .filter(|&c| c >= 0)
                .ok_or(Error::lit("ERR COUNT can't be negative"))?;
        } else if ctx.is(j, "maxlen") && more {
            j += 1;
            maxlen = num::parse_i64(ctx.arg(j))
                .filter(|&c| c >= 0)
                .ok_or(Error::lit("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let Some(l) = ctx.db.list(ctx.args[1])? else {
        if count != -1 {
            ctx.out.empty_array();
        } else {
            ctx.out.null();
        }
        return Ok(());
    };
    let max_matches = if count == -1 { 1 } else { count as usize };
    let found = l.positions(
        ctx.args[2],
        std::num::NonZeroI64::new(rank).expect("rank is not zero"),
        max_matches,
        usize::try_from(maxlen).unwrap_or(usize::MAX),
    );
    if count == -1 {
        match found.first() {
            Some(&i) => ctx.out.int(i as i64),
            None => ctx.out.null(),
        }
    } else {
        ctx.out.array(found.len());
        for i in found {
            ctx.out.int(i as i64);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// In-place writes
// ---------------------------------------------------------------------------------------------

fn lset(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let value = ctx.arg(3);
    let Some(l) = ctx.db.list_mut(key)? else {
        return Err(error::NO_SUCH_KEY);
    };
    let index = num::parse_i64(ctx.args[2]).ok_or(error::NOT_INT)?;
    let len = l.len() as i64;
    let i = if index < 0 { len + index } else { index };
    if !(0..len).contains(&i) || !l.set(i as usize, value) {
        return Err(error::INDEX_RANGE);
    }
    ctx.out.ok();
    ctx.db.touch(key);
    ctx.db.notify(notify::LIST, "lset", key);
    ctx.db.dirty(1);
    Ok(())
}

fn linsert(ctx: &mut Ctx) -> CmdResult {
    let after = if ctx.is(2, "after") {
        true
    } else if ctx.is(2, "before") {
        false
    } else {
        return Err(SYNTAX);
    };
    let key = ctx.arg(1);
    let (pivot, value) = (ctx.arg(3), ctx.arg(4));
    let Some(l) = ctx.db.list_mut(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let Some(pos) = l.position(pivot) else {
        ctx.out.int(-1);
        return Ok(());
    };
    l.insert(if after { pos + 1 } else { pos }, value);
    let len = l.len();
    ctx.db.touch(key);
    ctx.db.notify(notify::LIST, "linsert", key);
    ctx.db.dirty(1);
    ctx.out.int(len as i64);
    Ok(())
}

fn lrem(ctx: &mut Ctx) -> CmdResult {
    let count = ctx.int(2)?;
    let key = ctx.arg(1);
    let Some(l) = ctx.db.list_mut(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = l.remove_matching(ctx.args[3], count);
    if removed > 0 {
        ctx.db.notify(notify::LIST, "lrem", key);
        if ctx.db.remove_if_empty(key) {
            ctx.db.notify(notify::GENERIC, "del", key);
        }
        ctx.db.touch(key);
        ctx.db.dirty(removed as u64);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

fn ltrim(ctx: &mut Ctx) -> CmdResult {
    let start = ctx.int(2)?;
    let end = ctx.int(3)?;
    let key = ctx.arg(1);
    let Some(l) = ctx.db.list_mut(key)? else {
        return ctx.ok();
    };
    let before = l.len();
    match resolve_range(start, end, before) {
        None => l.clear(),
        Some((s, e)) => l.trim(s, e),
    }
    let removed = before - l.len();
    ctx.db.notify(notify::LIST, "ltrim", key);
    if ctx.db.remove_if_empty(key) {
        ctx.db.notify(notify::GENERIC, "del", key);
    }
    ctx.db.touch(key);
    ctx.db.dirty(removed as u64);
    ctx.ok()
}

// ---------------------------------------------------------------------------------------------
// Moves
// ---------------------------------------------------------------------------------------------

/// LMOVE's core (Redis's lmoveGenericCommand), for a source that holds a non-empty list: checks
/// the destination's type before popping anything, pushes the element, replies with it.
fn move_element(ctx: &mut Ctx, from: End, to: End) -> CmdResult {
    let src = ctx.arg(1);
    let dst = ctx.arg(2);
    if src != dst {
        ctx.db.list(dst)?;
    }
    let value = {
        let l = ctx.db.list_mut(src)?.expect("caller checked the source");
        pop_one(l, from).expect("lists are never empty")
    };
    // The destination push comes first (as in Redis), so a source that is also the
    // destination is never deleted in between.
    ctx.db.list_or_create(dst)?;
    let l = ctx.db.list_mut(dst)?.expect("just created");
    push_one(l, to, &value);
    ctx.db.touch(dst);
    ctx.db.signal_ready(dst);
    ctx.db.notify(notify::LIST, to.push_event(), dst);
    ctx.out.bulk(&value);
    ctx.db.notify(notify::LIST, from.pop_event(), src);
    if ctx.db.remove_if_empty(src) {
        ctx.db.notify(notify::GENERIC, "del", src);
    }
    ctx.db.touch(src);
    ctx.db.dirty(1);
    Ok(())
}

fn lmove_generic(ctx: &mut Ctx, from: End, to: End) -> CmdResult {
    match ctx.db.list(ctx.args[1])? {
        None => {
            ctx.out.null();
            Ok(())
        }
        Some(_) => move_element(ctx, from, to),
    }
}

fn lmove(ctx: &mut Ctx) -> CmdResult {
    let from = parse_end(ctx, 3)?;
    let to = parse_end(ctx, 4)?;
    lmove_generic(ctx, from, to)
}

fn rpoplpush(ctx: &mut Ctx) -> CmdResult {
    lmove_generic(ctx, End::Right, End::Left)
}

/// BLMOVE/BRPOPLPUSH: move now if the source holds elements, else block on the source.
fn blmove_generic(ctx: &mut Ctx, from: End, to: End, timeout_idx: usize) -> CmdResult {
    let timeout = ctx.timeout_secs(timeout_idx)?;
    let src = ctx.arg(1);
    match ctx.db.list(src) {
        Ok(Some(l)) if !l.is_empty() => {
            let dirty_before = ctx.db.fx.dirty;
            move_element(ctx, from, to)?;
            if ctx.db.fx.dirty > dirty_before {
                let argv = if ctx.is(0, "brpoplpush") {
                    vec![b"RPOPLPUSH".to_vec(), src.to_vec(), ctx.arg(2).to_vec()]
                } else {
                    vec![
                        b"LMOVE".to_vec(),
                        src.to_vec(),
                        ctx.arg(2).to_vec(),
                        from.name().to_vec(),
                        to.name().to_vec(),
                    ]
                };
                ctx.db.propagate_as(argv);
            }
            return Ok(());
        }
        Ok(_) => {}
        // Redis does not re-run a waiter whose ready key holds another type: keep waiting.
        Err(_) if ctx.mode & REPROCESS != 0 => {}
        Err(e) => return Err(e),
    }
    if !ctx.can_block() {
        ctx.out.null();
        return Ok(());
    }
    ctx.block_on(BlockRequest {
        keys: vec![src.to_vec()],
        timeout,
        // Redis 7.2 answers every timed-out list waiter with a null array, BLMOVE included
        // (only the non-blocking answer inside MULTI is a null bulk).
        on_timeout: TimeoutReply::NullArray,
        argv: None,
        unblock_on_nokey: false,
    })
}

fn blmove(ctx: &mut Ctx) -> CmdResult {
    let from = parse_end(ctx, 3)?;
    let to = parse_end(ctx, 4)?;
    blmove_generic(ctx, from, to, 5)
}

fn brpoplpush(ctx: &mut Ctx) -> CmdResult {
    blmove_generic(ctx, End::Right, End::Left, 3)
}

// ---------------------------------------------------------------------------------------------
// Multi-key and blocking pops
// ---------------------------------------------------------------------------------------------

/// Index of the first key holding a non-empty list. A key of another type before it is
/// WRONGTYPE; while re-executing a blocked command, a wrong type with no non-empty list after
/// it means "keep waiting" (`Ok(None)`), as Redis only re-runs a waiter for a ready list.
fn first_nonempty(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Option<usize>, Error> {
    for (i, &k) in keys.iter().enumerate() {
        match ctx.db.get(k) {
            None => {}
            Some(ValueRef::List(l)) if l.is_empty() => {}
            Some(ValueRef::List(_)) => return Ok(Some(i)),
            Some(_) if ctx.mode & REPROCESS != 0 => {
                let later = keys[i + 1..]
                    .iter()
                    .any(|k| matches!(ctx.db.peek(k), Some(ValueRef::List(l)) if !l.is_empty()));
                return if later {
                    Err(error::WRONGTYPE)
                } else {
                    Ok(None)
                };
            }
            Some(_) => return Err(error::WRONGTYPE),
        }
    }
    Ok(None)
}

/// Pops from the list at `key` (non-empty): `count` None is BLPOP's `[key, element]`, Some is
/// LMPOP's `[key, [elements...]]`. Propagates as the equivalent LPOP/RPOP.
fn pop_with_key(ctx: &mut Ctx, key: &[u8], end: End, count: Option<usize>) {
    ctx.out.array(2);
    ctx.out.bulk(key);
    let mut argv = vec![end.pop_name().to_vec(), key.to_vec()];
    match count {
        None => {
            let l = ctx.db.list_mut(key).ok().flatten().expect("checked");
            let v = pop_one(l, end).expect("non-empty");
            ctx.out.bulk(&v);
            elements_removed(ctx, key, end, 1);
        }
        Some(c) => {
            let n = pop_range_reply(ctx, key, end, c);
            elements_removed(ctx, key, end, n);
            argv.push(num::i64_to_vec(n as i64));
        }
    }
    ctx.db.propagate_as(argv);
}

/// BLPOP/BRPOP/BLMPOP (Redis's blockingPopGenericCommand): the timeout is parsed first, then
/// the first non-empty list in argument order is served, or the client blocks on every key.
fn blocking_pop(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    end: End,
    timeout_idx: usize,
    count: Option<usize>,
) -> CmdResult {
    let timeout = ctx.timeout_secs(timeout_idx)?;
    if let Some(i) = first_nonempty(ctx, keys)? {
        pop_with_key(ctx, keys[i], end, count);
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

fn blpop(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    blocking_pop(
        ctx,
        &args[1..args.len() - 1],
        End::Left,
        args.len() - 1,
        None,
    )
}

fn brpop(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    blocking_pop(
        ctx,
        &args[1..args.len() - 1],
        End::Right,
        args.len() - 1,
        None,
    )
}

/// Parses `numkeys key... LEFT|RIGHT [COUNT count]` from `numkeys_idx`: (numkeys, end, count).
fn parse_mpop(ctx: &Ctx, numkeys_idx: usize) -> Result<(usize, End, usize), Error> {
    let numkeys = num::parse_i64(ctx.arg(numkeys_idx))
        .filter(|&n| n >= 1)
        .ok_or(Error::lit("ERR numkeys should be greater than 0"))?;
    if numkeys >= ctx.argc() as i64 || numkeys_idx + numkeys as usize + 1 >= ctx.argc() {
        return Err(SYNTAX);
    }
    let where_idx = numkeys_idx + numkeys as usize + 1;
    let end = parse_end(ctx, where_idx)?;
    let mut count: i64 = -1;
    let mut j = where_idx + 1;
    while j < ctx.argc() {
        let more = j + 1 < ctx.argc();
        if count == -1 && ctx.is(j, "count") && more {
            j += 1;
            count = num::parse_i64(ctx.arg(j))
                .filter(|&c| c >= 1)
                .ok_or(Error::lit("ERR count should be greater than 0"))?;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let count = usize::try_from(count.max(1)).unwrap_or(usize::MAX);
    Ok((numkeys as usize, end, count))
}

fn lmpop(ctx: &mut Ctx) -> CmdResult {
    let (numkeys, end, count) = parse_mpop(ctx, 1)?;
    let args = ctx.args;
    let keys = &args[2..2 + numkeys];
    // LMPOP never blocks, so a wrong type is always an error.
    for &k in keys {
        match ctx.db.list(k)? {
            Some(l) if !l.is_empty() => {
                pop_with_key(ctx, k, end, Some(count));
                return Ok(());
            }
            _ => {}
        }
    }
    ctx.out.null_array();
    Ok(())
}

fn blmpop(ctx: &mut Ctx) -> CmdResult {
    let (numkeys, end, count) = parse_mpop(ctx, 2)?;
    let args = ctx.args;
    blocking_pop(ctx, &args[3..3 + numkeys], end, 1, Some(count))
}
