//! SORT and SORT_RO with Redis 7.2 semantics (`sort.c`).
//!
//! The elements of a list, set or sorted set are loaded into a vector, given a sort weight
//! (the element itself, or the value of the key its BY pattern names: `weight_*` or a hash field
//! `weight_*->field`), sorted numerically or (ALPHA) as byte strings, cut by LIMIT and answered
//! either as the elements, as the values of GET patterns (`#` is the element itself), or stored
//! as a list (STORE).
//!
//! Key access: the keys BY and GET patterns name derive from the *content* of the sorted key, so
//! no key spec can describe them (Redis marks them "unknown"). SORT therefore runs with every
//! shard locked (`KS_ALL`), which is what makes those lookups possible and atomic.
//!
//! Details that follow Redis exactly: a BY pattern without `*` means "don't sort" (BY nosort),
//! lists and sorted sets then keep their own order (DESC walks them backwards, LIMIT picks the
//! range directly); a set that is not sorted is still sorted ALPHA when STOREd or inside a
//! script, so replicas and the AOF see the same result; numeric weights are parsed like C's
//! `strtod` (leading spaces, hex, an empty string is 0) and an unparsable one fails the whole
//! command with "One or more scores can't be converted into double"; equal weights are ordered
//! by the elements themselves; a missing BY key sorts as 0 (or, ALPHA, before everything); a
//! missing GET key is a null (an empty string in a STOREd list); sorted sets are converted to the
//! skiplist encoding, as Redis does to the set it sorts.

use std::cmp::Ordering;

use super::ctx::{Ctx, IN_SCRIPT};
use super::table::*;
use crate::error::{CmdResult, Error, SYNTAX, WRONGTYPE};
use crate::server::notify;
use crate::store::entry::{Value, ValueRef, ValueType};
use crate::types::List;

const G: &str = "generic";
const BY_GET_NOTE: &str = "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort";
const STORE_NOTE: &str = "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array";
const COMPLEXITY: &str = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";

pub static COMMANDS: &[Command] = &[
    Command::new("sort", -2, sort)
        .flags(WRITE | DENYOOM | KS_ALL)
        .acl(SET | SORTEDSET | LIST | DANGEROUS)
        .keys(&[
            key_at(K_RO | K_ACCESS, 1),
            KeySpec::unknown(K_RO | K_ACCESS, BY_GET_NOTE),
            KeySpec::unknown(K_OW | K_UPDATE, STORE_NOTE),
        ])
        .get_keys(sort_get_keys)
        .doc(G, "1.0.0", COMPLEXITY, "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.")
        .syntax("key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]"),
    Command::new("sort_ro", -2, sort_ro)
        .flags(READONLY | KS_ALL)
        .acl(SET | SORTEDSET | LIST | DANGEROUS)
        .keys(&[
            key_at(K_RO | K_ACCESS, 1),
            KeySpec::unknown(K_RO | K_ACCESS, BY_GET_NOTE),
        ])
        .get_keys(sort_ro_get_keys)
        .doc(G, "7.0.0", COMPLEXITY, "Returns the sorted elements of a list, a set, or a sorted set.")
        .syntax("key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]"),
];

/// Redis's `sortGetKeys`: the sorted key and the (last) STORE destination.
fn sort_get_keys(argv: &[&[u8]]) -> Option<Vec<usize>> {
    if argv.len() < 2 {
        return None;
    }
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = argv[i];
        let skip = if a.eq_ignore_ascii_case(b"limit") {
            2
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            1
        } else if a.eq_ignore_ascii_case(b"store") {
            // Several STOREs are legal; the last one wins, so it is the key.
            if i + 1 < argv.len() {
                store = Some(i + 1);
            }
            1
        } else {
            0
        };
        i += 1 + skip;
    }
    keys.extend(store);
    Some(keys)
}

fn sort_ro_get_keys(argv: &[&[u8]]) -> Option<Vec<usize>> {
    (argv.len() >= 2).then(|| vec![1])
}

fn sort(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, false)
}

fn sort_ro(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, true)
}

/// One element being sorted and its weight.
struct Item {
    elem: Vec<u8>,
    score: f64,
    /// ALPHA with BY: the weight value (None when its key is missing).
    cmp: Option<Vec<u8>>,
}

fn sort_generic(ctx: &mut Ctx, readonly: bool) -> CmdResult {
    let mut dontsort = false;
    let mut desc = false;
    let mut alpha = false;
    let mut limit_start: i64 = 0;
    let mut limit_count: i64 = -1;
    let mut store: Option<&[u8]> = None;
    let mut sortby: Option<&[u8]> = None;
    let mut gets: Vec<&[u8]> = Vec::new();

    let argc = ctx.argc();
    let mut j = 2;
    while j < argc {
        let left = argc - j - 1;
        if ctx.is(j, "asc") {
            desc = false;
        } else if ctx.is(j, "desc") {
            desc = true;
        } else if ctx.is(j, "alpha") {
            alpha = true;
        } else if ctx.is(j, "limit") && left >= 2 {
            limit_start = ctx.int(j + 1)?;
            limit_count = ctx.int(j + 2)?;
            j += 2;
        } else if ctx.is(j, "store") && left >= 1 && !readonly {
            store = Some(ctx.arg(j + 1));
            j += 1;
        } else if ctx.is(j, "by") && left >= 1 {
            let p = ctx.arg(j + 1);
            // A pattern without '*' names no key per element: don't sort at all.
            if !p.contains(&b'*') {
                dontsort = true;
            }
            sortby = Some(p);
            j += 1;
        } else if ctx.is(j, "get") && left >= 1 {
            gets.push(ctx.arg(j + 1));
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }

    let key = ctx.arg(1);
    let vt = ctx.db.value_type(key);
    let vt = match vt {
        None => None,
        Some(t @ (ValueType::List | ValueType::Set | ValueType::ZSet)) => Some(t),
        Some(_) => return Err(WRONGTYPE),
    };

    // An unsorted set has no stable order: when the result is stored or a script sees it, sort it
    // so that the AOF and replicas reproduce the same thing.
    if dontsort && vt == Some(ValueType::Set) && (store.is_some() || ctx.mode & IN_SCRIPT != 0) {
        dontsort = false;
        alpha = true;
        sortby = None;
    }

    if vt == Some(ValueType::ZSet)
        && let Ok(Some(z)) = ctx.db.zset_mut(key)
    {
        z.convert_to_skiplist();
    }

    let len: i64 = match ctx.db.get(key) {
        Some(ValueRef::List(l)) => l.len() as i64,
        Some(ValueRef::Set(s)) => s.len() as i64,
        Some(ValueRef::ZSet(z)) => z.len() as i64,
        _ => 0,
    };

    // LIMIT sanity checks, exactly as Redis (also avoiding overflow).
    let mut start = limit_start.max(0).min(len);
    let limit_count = limit_count.max(-1).min(len);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start + limit_count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }

    // Load the elements. Lists and sorted sets that are not sorted load just the range asked for.
    let mut items: Vec<Item> = Vec::new();
    let direct_range = dontsort && matches!(vt, Some(ValueType::List | ValueType::ZSet));
    // (first index, count) of a direct range load.
    let range =
        (direct_range && end >= start).then(|| (start as usize, (end - start + 1) as usize));
    match ctx.db.get(key) {
        Some(ValueRef::List(l)) if direct_range => {
            if let Some((s, n)) = range {
                let elems: Vec<&[u8]> = if desc {
                    l.iter_rev_from(l.len() - 1 - s).take(n).collect()
                } else {
                    l.iter_from(s).take(n).collect()
                };
                items.extend(elems.into_iter().map(|e| Item::new(e.to_vec())));
            }
        }
        Some(ValueRef::ZSet(z)) if direct_range => {
            if let Some((s, n)) = range {
                let elems: Vec<&[u8]> = if desc {
                    z.iter_rev_from_rank(s).take(n).map(|(m, _)| m).collect()
                } else {
                    z.iter_from_rank(s).take(n).map(|(m, _)| m).collect()
                };
                items.extend(elems.into_iter().map(|e| Item::new(e.to_vec())));
            }
        }
        Some(ValueRef::List(l)) => items.extend(l.iter().map(|e| Item::new(e.to_vec()))),
        Some(ValueRef::Set(s)) => items.extend(s.iter().map(|m| Item::new(m.to_vec()))),
        Some(ValueRef::ZSet(z)) => items.extend(z.iter().map(|(m, _)| Item::new(m.to_vec()))),
        _ => {}
    }
    if direct_range && end >= start {
        end -= start;
        start = 0;
    }

    // Weights and sorting.
    let mut conversion_error = false;
    if !dontsort {
        for it in items.iter_mut() {
            let weight: Option<Vec<u8>> = match sortby {
                Some(p) => match lookup_by_pattern(ctx, p, &it.elem) {
                    Some(v) => Some(v),
                    None => continue,
                },
                None => None,
            };
            if alpha {
                if sortby.is_some() {
                    it.cmp = weight;
                }
            } else {
                let w = weight.as_deref().unwrap_or(&it.elem);
                match strtod(w) {
                    Some(v) => it.score = v,
                    None => conversion_error = true,
                }
            }
        }
        let by = sortby.is_some();
        items.sort_by(|a, b| {
            let c = compare(a, b, alpha, by);
            if desc { c.reverse() } else { c }
        });
    }

    if conversion_error {
        return Err(Error::err(
            "One or more scores can't be converted into double",
        ));
    }
    let picked: &[Item] = if end >= start && start >= 0 {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    let outputlen = if gets.is_empty() {
        picked.len()
    } else {
        picked.len() * gets.len()
    };

    match store {
        None => {
            ctx.out.array(outputlen);
            for it in picked {
                if gets.is_empty() {
                    ctx.out.bulk(&it.elem);
                }
                for g in &gets {
                    match lookup_by_pattern(ctx, g, &it.elem) {
                        Some(v) => ctx.out.bulk(&v),
                        None => ctx.out.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut list = List::new();
            for it in picked {
                if gets.is_empty() {
                    list.push_back(&it.elem);
                }
                for g in &gets {
                    let v = lookup_by_pattern(ctx, g, &it.elem).unwrap_or_default();
                    list.push_back(&v);
                }
            }
            if outputlen > 0 {
                ctx.db.set(dst, Value::List(Box::new(list)), false);
                ctx.db.touch(dst);
                ctx.db.notify(notify::LIST, "sortstore", dst);
                ctx.db.dirty(outputlen as u64);
            } else if ctx.db.delete(dst) {
                ctx.db.touch(dst);
                ctx.db.notify(notify::GENERIC, "del", dst);
                ctx.db.dirty(1);
            }
            ctx.out.int(outputlen as i64);
        }
    }
    Ok(())
}

impl Item {
    fn new(elem: Vec<u8>) -> Item {
        Item {
            elem,
            score: 0.0,
            cmp: None,
        }
    }
}

/// Redis's `sortCompare` (before DESC is applied). Byte order stands in for `strcoll`, which is
/// what Redis does under the C locale.
fn compare(a: &Item, b: &Item, alpha: bool, by: bool) -> Ordering {
    if !alpha {
        return match a.score.partial_cmp(&b.score) {
            Some(Ordering::Equal) | None => a.elem.cmp(&b.elem),
            Some(o) => o,
        };
    }
    if by {
        match (&a.cmp, &b.cmp) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y),
        }
    } else {
        a.elem.cmp(&b.elem)
    }
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the first `*` is replaced
/// by the element and the resulting key is read (a string, or with `->field` after the `*` a
/// hash field). A pattern without `*` names nothing.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(elem.to_vec());
    }
    let star = pattern.iter().position(|&c| c == b'*')?;
    let after = &pattern[star + 1..];
    let field = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&i| i + 2 < after.len())
        .map(|i| (i, &after[i + 2..]));
    let postfix = match field {
        Some((i, _)) => &after[..i],
        None => after,
    };
    let mut key = Vec::with_capacity(pattern.len() + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(postfix);
    let now = ctx.db.now;
    match (ctx.db.get(&key)?, field) {
        (ValueRef::Hash(h), Some((_, f))) => h.get_unexpired(f, now).map(|v| v.to_vec()),
        (ValueRef::Str(s), None) => Some(s.to_vec()),
        (ValueRef::Int(i), None) => Some(i.to_string().into_bytes()),
        _ => None,
    }
}

/// C's `strtod` as SORT uses it: the whole string must be consumed (leading white space is
/// skipped, hexadecimal and inf/nan spellings are accepted, an empty string is 0); NaN and
/// out-of-range values are errors.
fn strtod(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        return Some(0.0);
    }
    let t = match s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        Some(i) => &s[i..],
        None => return None,
    };
    let text = std::str::from_utf8(t).ok()?;
    let (neg, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let v = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(hex)?
    } else if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if lower.starts_with("nan") {
        return None;
    } else {
        if !body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        let v: f64 = body.parse().ok()?;
        // ERANGE: overflow to infinity, or underflow of a non-zero mantissa to zero.
        if v.is_infinite() {
            return None;
        }
        if v == 0.0
            && body
                .bytes()
                .take_while(|c| *c != b'e' && *c != b'E')
                .any(|c| (b'1'..=b'9').contains(&c))
        {
            return None;
        }
        v
    };
    Some(if neg { -v } else { v })
}

/// The hexadecimal form strtod accepts after "0x": digits, an optional point, an optional
/// binary exponent `p[+-]N`.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find('p') {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int_part, frac_part) = match mant.find('.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    let v = v * 2f64.powi(exp);
    if v.is_infinite() { None } else { Some(v) }
}

#[cfg(test)]
mod tests {
    use super::strtod;

    #[test]
    fn strtod_like_c() {
        assert_eq!(strtod(b""), Some(0.0));
        assert_eq!(strtod(b" 5"), Some(5.0));
        assert_eq!(strtod(b"0x10"), Some(16.0));
        assert_eq!(strtod(b"-1.5e2"), Some(-150.0));
        assert_eq!(strtod(b"inf"), Some(f64::INFINITY));
        assert_eq!(strtod(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod(b"nan"), None);
        assert_eq!(strtod(b"1x"), None);
        assert_eq!(strtod(b"5 "), None);
        assert_eq!(strtod(b"   "), None);
        assert_eq!(strtod(b"1e400"), None);
        assert_eq!(strtod(b"1e-400"), None);
        assert_eq!(strtod(b"0e-400"), Some(0.0));
    }
}
