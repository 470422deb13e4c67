//! Geo commands with Redis 7.2 semantics (`geo.c`): positions are stored as 52-bit geohash
//! scores in an ordinary sorted set, so GEOADD is ZADD with computed scores (it propagates as
//! that ZADD and emits `zadd` events) and every sorted set command works on a geo key.
//!
//! The math (scores, decoding, distances, the cells a search scans, the ordering of ties) is in
//! [`crate::types::geo`]; this module parses arguments in Redis's order, runs searches over the
//! sorted set's score ranges and replies in Redis's shapes: distances are always bulk strings
//! with four decimals, coordinates are "human" long doubles (bulk strings in RESP2, doubles in
//! RESP3), hashes are integers.

use super::ctx::Ctx;
use super::table::*;
use super::zsets::{AddFlags, add_pairs, build_result, cmp_elements, store_result};
use crate::error::{self, CmdResult, Error, SYNTAX};
use crate::protocol::Reply;
use crate::types::geo::{self, GeoMatch, Order, SearchShape, ShapeKind, Unit};
use crate::types::zset::{ScoreBound, ScoreRange, ZSet};
use crate::util::num;

const RO_ACCESS_1: KeySpec = key_at(K_RO | K_ACCESS, 1);
const G: &str = "geo";
const SEARCH_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const GEOSEARCH_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";

const fn store_keyword(keyword: &'static str, start_from: i32) -> KeySpec {
    KeySpec::new(
        K_OW | K_UPDATE,
        Begin::Keyword {
            keyword,
            start_from,
        },
        Find::Range {
            last_key: 0,
            step: 1,
            limit: 0,
        },
    )
}

pub static COMMANDS: &[Command] = &[
    Command::new("geoadd", -5, geoadd)
        .flags(WRITE | DENYOOM)
        .acl(GEO)
        .keys(&[key_at(K_RW | K_UPDATE, 1)])
        .doc(G, "3.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Adds one or more members to a geospatial index. The key is created if it doesn't exist.")
        .syntax("key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]"),
    Command::new("geodist", -4, geodist)
        .flags(READONLY)
        .acl(GEO)
        .keys(&[RO_ACCESS_1])
        .doc(G, "3.2.0", "O(1)", "Returns the distance between two members of a geospatial index.")
        .syntax("key member1 member2 [M | KM | FT | MI]"),
    Command::new("geohash", -2, geohash)
        .flags(READONLY)
        .acl(GEO)
        .keys(&[RO_ACCESS_1])
        .doc(G, "3.2.0", "O(1) for each member requested.", "Returns members from a geospatial index as geohash strings.")
        .syntax("key [member [member ...]]"),
    Command::new("geopos", -2, geopos)
        .flags(READONLY)
        .acl(GEO)
        .keys(&[RO_ACCESS_1])
        .doc(G, "3.2.0", "O(1) for each member requested.", "Returns the longitude and latitude of members from a geospatial index.")
        .syntax("key [member [member ...]]"),
    Command::new("georadius", -6, georadius)
        .flags(WRITE | DENYOOM)
        .acl(GEO)
        .keys(&[RO_ACCESS_1, store_keyword("STORE", 6), store_keyword("STOREDIST", 6)])
        .get_keys(georadius_keys)
        .doc(G, "3.2.0", SEARCH_COMPLEXITY, "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.")
        .syntax("key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]")
        .deprecated("6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument"),
    Command::new("georadiusbymember", -5, georadiusbymember)
        .flags(WRITE | DENYOOM)
        .acl(GEO)
        .keys(&[RO_ACCESS_1, store_keyword("STORE", 5), store_keyword("STOREDIST", 5)])
        .get_keys(georadius_keys)
        .doc(G, "3.2.0", SEARCH_COMPLEXITY, "Queries a geospatial index for members within a distance from a member, optionally stores the result.")
        .syntax("key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]")
        .deprecated("6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments"),
    Command::new("georadius_ro", -6, georadius_ro)
        .flags(READONLY)
        .acl(GEO)
        .keys(&[RO_ACCESS_1])
        .doc(G, "3.2.10", SEARCH_COMPLEXITY, "Returns members from a geospatial index that are within a distance from a coordinate.")
        .syntax("key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]")
        .deprecated("6.2.0", "`GEOSEARCH` with the `BYRADIUS` argument"),
    Command::new("georadiusbymember_ro", -5, georadiusbymember_ro)
        .flags(READONLY)
        .acl(GEO)
        .keys(&[RO_ACCESS_1])
        .doc(G, "3.2.10", SEARCH_COMPLEXITY, "Returns members from a geospatial index that are within a distance from a member.")
        .syntax("key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]")
        .deprecated("6.2.0", "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments"),
    Command::new("geosearch", -7, geosearch)
        .flags(READONLY)
        .acl(GEO)
        .keys(&[RO_ACCESS_1])
        .doc(G, "6.2.0", GEOSEARCH_COMPLEXITY, "Queries a geospatial index for members inside an area of a box or a circle.")
        .syntax("key <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]"),
    Command::new("geosearchstore", -8, geosearchstore)
        .flags(WRITE | DENYOOM)
        .acl(GEO)
        .keys(&[key_at(K_OW | K_UPDATE, 1), key_at(K_RO | K_ACCESS, 2)])
        .doc(G, "6.2.0", GEOSEARCH_COMPLEXITY, "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.")
        .syntax("destination source <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [STOREDIST]"),
];

/// Redis's `georadiusGetKeys`: the source key plus the key after the last STORE/STOREDIST.
fn georadius_keys(argv: &[&[u8]]) -> Option<Vec<usize>> {
    if argv.len() < 2 {
        return None;
    }
    let mut keys = vec![1];
    let mut stored = None;
    let mut i = 5;
    while i < argv.len() {
        let a = argv[i];
        if (a.eq_ignore_ascii_case(b"store") || a.eq_ignore_ascii_case(b"storedist"))
            && i + 1 < argv.len()
        {
            stored = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    keys.extend(stored);
    Some(keys)
}

// ---------------------------------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------------------------------

fn float_or(arg: &[u8], e: Error) -> Result<f64, Error> {
    num::parse_f64(arg).ok_or(e)
}

/// `longitude latitude` at `i` (Redis's `extractLongLatOrReply`).
fn lonlat(args: &[&[u8]], i: usize) -> Result<(f64, f64), Error> {
    let lon = float_or(args[i], error::NOT_FLOAT)?;
    let lat = float_or(args[i + 1], error::NOT_FLOAT)?;
    geo::check_coordinates(lon, lat).map_err(Error::raw)?;
    Ok((lon, lat))
}

fn unit(arg: &[u8]) -> Result<Unit, Error> {
    Unit::parse(arg).map_err(Error::lit)
}

/// `radius unit` at `i`.
fn radius(args: &[&[u8]], i: usize) -> Result<(f64, Unit), Error> {
    let r = float_or(args[i], Error::lit("ERR need numeric radius"))?;
    if r < 0.0 {
        return Err(Error::lit(geo::NEGATIVE_RADIUS));
    }
    Ok((r, unit(args[i + 1])?))
}

/// `width height unit` at `i`.
fn bybox(args: &[&[u8]], i: usize) -> Result<(f64, f64, Unit), Error> {
    let w = float_or(args[i], Error::lit("ERR need numeric width"))?;
    let h = float_or(args[i + 1], Error::lit("ERR need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(Error::lit(geo::NEGATIVE_BOX));
    }
    Ok((w, h, unit(args[i + 2])?))
}

/// A "human" long double (`addReplyHumanLongDouble`): bulk in RESP2, a double in RESP3.
fn human_double(out: &mut Reply, v: f64) {
    let text = geo::format_coordinate(v);
    if out.resp3 {
        out.raw(b",");
        out.raw(text.as_bytes());
        out.raw(b"\r\n");
    } else {
        out.bulk(text.as_bytes());
    }
}

/// The position of a member of the sorted set at `key`, if both exist.
fn member_position(ctx: &mut Ctx, key: &[u8], member: &[u8]) -> Result<Option<(f64, f64)>, Error> {
    Ok(ctx
        .db
        .zset(key)?
        .and_then(|z| z.score(member))
        .map(geo::position))
}

// ---------------------------------------------------------------------------------------------
// GEOADD, GEODIST, GEOHASH, GEOPOS
// ---------------------------------------------------------------------------------------------

fn geoadd(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let mut f = AddFlags::default();
    let mut idx = 2;
    while idx < args.len() {
        let a = args[idx];
        if a.eq_ignore_ascii_case(b"nx") {
            f.nx = true;
        } else if a.eq_ignore_ascii_case(b"xx") {
            f.xx = true;
        } else if a.eq_ignore_ascii_case(b"ch") {
            f.ch = true;
        } else {
            break;
        }
        idx += 1;
    }
    if !(args.len() - idx).is_multiple_of(3) || (f.xx && f.nx) {
        return Err(SYNTAX);
    }
    let elements = (args.len() - idx) / 3;
    let mut pairs: Vec<(f64, &[u8])> = Vec::with_capacity(elements);
    for e in 0..elements {
        let (lon, lat) = lonlat(args, idx + e * 3)?;
        let score = geo::score(lon, lat).map_err(Error::raw)?;
        pairs.push((score, args[idx + e * 3 + 2]));
    }
    // What remains is ZADD with the computed scores (which also rejects an empty list).
    if pairs.is_empty() {
        return Err(SYNTAX);
    }
    let c = add_pairs(ctx, args[1], f, &pairs)?;
    let n = if f.ch { c.added + c.updated } else { c.added };
    ctx.out.int(n as i64);
    if c.added + c.updated > 0 {
        let mut argv: Vec<Vec<u8>> = Vec::with_capacity(idx + 2 * elements);
        argv.push(b"zadd".to_vec());
        argv.extend(args[1..idx].iter().map(|a| a.to_vec()));
        for (score, member) in &pairs {
            argv.push(num::i64_to_vec(*score as i64));
            argv.push(member.to_vec());
        }
        ctx.db.propagate_as(argv);
    }
    Ok(())
}

fn geodist(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let to_meters = match args.len() {
        5 => unit(args[4])?.meters(),
        n if n > 5 => return Err(SYNTAX),
        _ => 1.0,
    };
    let Some(z) = ctx.db.zset(args[1])? else {
        ctx.out.null();
        return Ok(());
    };
    match (z.score(args[2]), z.score(args[3])) {
        (Some(a), Some(b)) => {
            let (lon1, lat1) = geo::position(a);
            let (lon2, lat2) = geo::position(b);
            let d = geo::distance(lon1, lat1, lon2, lat2) / to_meters;
            ctx.out.bulk(geo::format_distance(d).as_bytes());
        }
        _ => ctx.out.null(),
    }
    Ok(())
}

fn geohash(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let z = ctx.db.zset(args[1])?;
    ctx.out.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => ctx.out.bulk(geo::geohash_string(s).as_bytes()),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn geopos(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let z = ctx.db.zset(args[1])?;
    ctx.out.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => {
                let (lon, lat) = geo::position(s);
                ctx.out.array(2);
                human_double(&mut ctx.out, lon);
                human_double(&mut ctx.out, lat);
            }
            None => ctx.out.null_array(),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Searches
// ---------------------------------------------------------------------------------------------

const RADIUS_COORDS: u32 = 1 << 0;
const RADIUS_MEMBER: u32 = 1 << 1;
const RADIUS_NOSTORE: u32 = 1 << 2;
const GEOSEARCH: u32 = 1 << 3;
const GEOSEARCHSTORE: u32 = 1 << 4;

/// GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and GEOSEARCHSTORE: Redis's
/// `georadiusGeneric`, with the source key at `src`.
fn georadius_generic(ctx: &mut Ctx, src: usize, flags: u32) -> CmdResult {
    let args = ctx.args;
    let key = args[src];
    // The source is a read lookup in every variant: a missing one publishes `keymiss`.
    let exists = ctx.db.reading(|db| db.zset(key).map(|z| z.is_some()))?;

    let mut center: Option<(f64, f64)> = None;
    let mut kind: Option<ShapeKind> = None;
    let mut shape_unit = Unit::Meters;
    let mut store: Option<usize> = None;
    let mut storedist = false;
    let base;
    if flags & RADIUS_COORDS != 0 {
        base = 6;
        center = Some(lonlat(args, 2)?);
        let (r, u) = radius(args, 4)?;
        kind = Some(ShapeKind::Radius(r));
        shape_unit = u;
    } else if flags & RADIUS_MEMBER != 0 && !exists {
        // Nothing to search; the options are still parsed to pick the reply.
        base = 5;
    } else if flags & RADIUS_MEMBER != 0 {
        base = 5;
        center = Some(member_position(ctx, key, args[2])?.ok_or(Error::lit(geo::UNKNOWN_MEMBER))?);
        let (r, u) = radius(args, 3)?;
        kind = Some(ShapeKind::Radius(r));
        shape_unit = u;
    } else if flags & GEOSEARCHSTORE != 0 {
        base = 3;
        store = Some(1);
    } else {
        base = 2;
    }

    let (mut withdist, mut withhash, mut withcoord) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox_seen) = (false, false, false, false);
    let mut order: Option<Order> = None;
    let mut any = false;
    let mut count: i64 = 0;
    let remaining = args.len().saturating_sub(base);
    let mut i = 0;
    while i < remaining {
        let at = base + i;
        let is = |s: &str| args[at].eq_ignore_ascii_case(s.as_bytes());
        if is("withdist") {
            withdist = true;
        } else if is("withhash") {
            withhash = true;
        } else if is("withcoord") {
            withcoord = true;
        } else if is("any") {
            any = true;
        } else if is("asc") {
            order = Some(Order::Ascending);
        } else if is("desc") {
            order = Some(Order::Descending);
        } else if is("count") && i + 1 < remaining {
            count = num::parse_i64(args[at + 1]).ok_or(error::NOT_INT)?;
            if count <= 0 {
                return Err(Error::lit("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if (is("store") || is("storedist"))
            && i + 1 < remaining
            && flags & (RADIUS_NOSTORE | GEOSEARCH) == 0
        {
            store = Some(at + 1);
            storedist = is("storedist");
            i += 1;
        } else if is("storedist") && flags & GEOSEARCHSTORE != 0 {
            storedist = true;
        } else if is("frommember") && i + 1 < remaining && flags & GEOSEARCH != 0 && !fromloc {
            if exists {
                center = Some(
                    member_position(ctx, key, args[at + 1])?
                        .ok_or(Error::lit(geo::UNKNOWN_MEMBER))?,
                );
            }
            frommember = true;
            i += 1;
        } else if is("fromlonlat") && i + 2 < remaining && flags & GEOSEARCH != 0 && !frommember {
            center = Some(lonlat(args, at + 1)?);
            fromloc = true;
            i += 2;
        } else if is("byradius") && i + 2 < remaining && flags & GEOSEARCH != 0 && !bybox_seen {
            let (r, u) = radius(args, at + 1)?;
            kind = Some(ShapeKind::Radius(r));
            shape_unit = u;
            byradius = true;
            i += 2;
        } else if is("bybox") && i + 3 < remaining && flags & GEOSEARCH != 0 && !byradius {
            let (width, height, u) = bybox(args, at + 1)?;
            kind = Some(ShapeKind::Box { width, height });
            shape_unit = u;
            bybox_seen = true;
            i += 3;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }

    if store.is_some() && (withdist || withhash || withcoord) {
        let what = if flags & GEOSEARCHSTORE != 0 {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Error::err(format!(
            "{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(args[0]);
    if flags & GEOSEARCH != 0 && !(frommember || fromloc) {
        return Err(Error::err(format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if flags & GEOSEARCH != 0 && !(byradius || bybox_seen) {
        return Err(Error::err(format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(Error::lit("ERR the ANY argument requires COUNT argument"));
    }
    // The store key must be the one the key extraction locked (a defensive check: the parse
    // above and `georadius_keys` agree on every command that gets this far).
    if let Some(s) = store
        && flags & GEOSEARCH == 0
        && georadius_keys(args).and_then(|k| k.get(1).copied()) != Some(s)
    {
        return Err(SYNTAX);
    }

    let (Some(z), Some((longitude, latitude)), Some(kind)) =
        (if exists { ctx.db.zset(key)? } else { None }, center, kind)
    else {
        // No source key: an empty result (which a store turns into deleting the destination).
        return match store {
            Some(s) => store_result(ctx, args[s], ZSet::new(), "", 1),
            None => {
                ctx.out.empty_array();
                Ok(())
            }
        };
    };
    if count != 0 && order.is_none() && !any {
        order = Some(Order::Ascending);
    }
    let shape = SearchShape {
        longitude,
        latitude,
        kind,
        unit: shape_unit,
    };
    let limit = if any { count as usize } else { 0 };
    let mut matches: Vec<GeoMatch<&[u8]>> = shape.search(limit, |min, max| {
        let r = ScoreRange {
            min: ScoreBound::Inclusive(min),
            max: ScoreBound::Exclusive(max),
        };
        let start = z.first_in_score_range(&r).unwrap_or(z.len());
        z.iter_from_rank(start).take_while(move |&(_, s)| s < max)
    });
    if matches.is_empty() && store.is_none() {
        ctx.out.empty_array();
        return Ok(());
    }
    let total = matches.len();
    let returned = if count == 0 || (total as i64) < count {
        total
    } else {
        count as usize
    };
    if let Some(order) = order {
        geo::sort_matches(
            &mut matches,
            order,
            if returned == total { 0 } else { returned },
        );
    }
    let to_meters = shape_unit.meters();
    match store {
        None => {
            let options = withdist as usize + withhash as usize + withcoord as usize;
            let out = &mut ctx.out;
            out.array(returned);
            for m in &matches[..returned] {
                if options > 0 {
                    out.array(options + 1);
                }
                out.bulk(m.member);
                if withdist {
                    out.bulk(geo::format_distance(m.distance / to_meters).as_bytes());
                }
                if withhash {
                    out.int(m.score as i64);
                }
                if withcoord {
                    out.array(2);
                    human_double(out, m.longitude);
                    human_double(out, m.latitude);
                }
            }
            Ok(())
        }
        Some(s) => {
            let mut elements: Vec<(Vec<u8>, f64)> = matches[..returned]
                .iter()
                .map(|m| {
                    let score = if storedist {
                        m.distance / to_meters
                    } else {
                        m.score
                    };
                    (m.member.to_vec(), score)
                })
                .collect();
            elements.sort_by(|a, b| cmp_elements((&a.0, a.1), (&b.0, b.1)));
            elements.dedup_by(|a, b| a.0 == b.0);
            let result = build_result(&elements);
            let event = if flags & GEOSEARCH != 0 {
                "geosearchstore"
            } else {
                "georadiusstore"
            };
            store_result(ctx, args[s], result, event, returned as u64)
        }
    }
}

fn georadius(ctx: &mut Ctx) -> CmdResult {
    georadius_generic(ctx, 1, RADIUS_COORDS)
}

fn georadiusbymember(ctx: &mut Ctx) -> CmdResult {
    georadius_generic(ctx, 1, RADIUS_MEMBER)
}

fn georadius_ro(ctx: &mut Ctx) -> CmdResult {
    georadius_generic(ctx, 1, RADIUS_COORDS | RADIUS_NOSTORE)
}

fn georadiusbymember_ro(ctx: &mut Ctx) -> CmdResult {
    georadius_generic(ctx, 1, RADIUS_MEMBER | RADIUS_NOSTORE)
}

fn geosearch(ctx: &mut Ctx) -> CmdResult {
    georadius_generic(ctx, 1, GEOSEARCH)
}

fn geosearchstore(ctx: &mut Ctx) -> CmdResult {
    georadius_generic(ctx, 2, GEOSEARCH | GEOSEARCHSTORE)
}
