//! Redis's geo math: the 52-bit geohash scores GEOADD stores in a sorted set, their
//! decoding, GEOHASH strings, great-circle distances, and the area search behind
//! GEOSEARCH / GEORADIUS, reproduced operation for operation so that scores, coordinates,
//! distances and the set of members found are identical to Redis 7.
//!
//! Representation: a position is stored as the zset score `bits as f64`, where `bits`
//! interleaves 26 bits of latitude (even bit positions) with 26 bits of longitude (odd
//! positions), each the truncated fraction of its range: longitude -180..180, latitude
//! -85.05112878..85.05112878 (the Web Mercator limits). The edge values 180 and
//! 85.05112878 encode as 2^26 and so spill into bit 52 and beyond, as in Redis.
//!
//! A search covers the shape with the geohash cell of the centre and its 8 neighbours at
//! a precision estimated from the radius, drops the neighbours the bounding box cannot
//! reach, scans each cell's score range in the sorted set, and keeps the points that pass
//! the exact circle or box test. The floating point steps (including libm's `sin`, `cos`,
//! `asin`) follow Redis's order so that boundary decisions agree.

use std::f64::consts::PI;

pub const LONGITUDE_MIN: f64 = -180.0;
pub const LONGITUDE_MAX: f64 = 180.0;
pub const LATITUDE_MIN: f64 = -85.05112878;
pub const LATITUDE_MAX: f64 = 85.05112878;
/// Bits per coordinate in a stored score.
const STEP_MAX: u8 = 26;
/// Earth's quadratic mean radius for WGS-84, as Redis uses it.
pub const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians, computed as C's `M_PI / 180.0`.
const DEG_TO_RAD: f64 = PI / 180.0;
/// 2^63, the bound of C's `long long`.
const TWO_POW_63: f64 = (1u64 << 63) as f64;

pub const UNSUPPORTED_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";
pub const NEGATIVE_RADIUS: &str = "ERR radius cannot be negative";
pub const NEGATIVE_BOX: &str = "ERR height or width cannot be negative";
/// GEOSEARCH FROMMEMBER / GEORADIUSBYMEMBER with a member that is not in the set.
pub const UNKNOWN_MEMBER: &str = "ERR could not decode requested zset member";

/// The error for coordinates outside the supported area, e.g.
/// `ERR invalid longitude,latitude pair 200.000000,100.000000`.
pub fn check_coordinates(longitude: f64, latitude: f64) -> Result<(), String> {
    if (LONGITUDE_MIN..=LONGITUDE_MAX).contains(&longitude)
        && (LATITUDE_MIN..=LATITUDE_MAX).contains(&latitude)
    {
        Ok(())
    } else {
        Err(format!(
            "ERR invalid longitude,latitude pair {longitude:.6},{latitude:.6}"
        ))
    }
}

/// The sorted-set score GEOADD stores for a position (after [`check_coordinates`]).
pub fn score(longitude: f64, latitude: f64) -> Result<f64, String> {
    check_coordinates(longitude, latitude)?;
    let cell = encode(&WGS84, longitude, latitude, STEP_MAX).expect("checked coordinates");
    Ok(cell.bits as f64)
}

/// The position (longitude, latitude) a score stands for, as GEOPOS reports it: the centre
/// of its cell, clamped to the supported area. Any score decodes; scores that are not
/// geohashes are converted to integers like C's `(uint64_t)` cast on x86-64.
pub fn position(score: f64) -> (f64, f64) {
    let cell = Cell {
        bits: score_to_bits(score),
        step: STEP_MAX,
    };
    let area = decode(&WGS84, cell);
    let longitude =
        ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONGITUDE_MIN, LONGITUDE_MAX);
    let latitude =
        ((area.latitude.min + area.latitude.max) / 2.0).clamp(LATITUDE_MIN, LATITUDE_MAX);
    (longitude, latitude)
}

/// The 11-character GEOHASH string of a score: the decoded position re-encoded with the
/// standard latitude range -90..90; the 11th character is always '0' (only 52 bits exist).
pub fn geohash_string(score: f64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    const STANDARD: Ranges = Ranges {
        longitude: Range {
            min: -180.0,
            max: 180.0,
        },
        latitude: Range {
            min: -90.0,
            max: 90.0,
        },
    };
    let (longitude, latitude) = position(score);
    let bits = encode(&STANDARD, longitude, latitude, STEP_MAX).map_or(0, |cell| cell.bits);
    (0..11)
        .map(|i| {
            let index = if i == 10 {
                0
            } else {
                (bits >> (52 - (i + 1) * 5)) & 0x1f
            };
            ALPHABET[index as usize] as char
        })
        .collect()
}

/// Great-circle distance in meters (haversine), as `geohashGetDistance` computes it.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = lon1 * DEG_TO_RAD;
    let lon2r = lon2 * DEG_TO_RAD;
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        // Same meridian: the haversine reduces to the latitude difference.
        return latitude_distance(lat1, lat2);
    }
    let lat1r = lat1 * DEG_TO_RAD;
    let lat2r = lat2 * DEG_TO_RAD;
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

fn latitude_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (lat2 * DEG_TO_RAD - lat1 * DEG_TO_RAD).abs()
}

/// A distance unit of GEODIST / GEOSEARCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Meters,
    Kilometers,
    Feet,
    Miles,
}

impl Unit {
    /// Parses `m`, `km`, `ft` or `mi`, case-insensitively.
    pub fn parse(text: &[u8]) -> Result<Unit, &'static str> {
        match text.to_ascii_lowercase().as_slice() {
            b"m" => Ok(Unit::Meters),
            b"km" => Ok(Unit::Kilometers),
            b"ft" => Ok(Unit::Feet),
            b"mi" => Ok(Unit::Miles),
            _ => Err(UNSUPPORTED_UNIT),
        }
    }

    /// Meters per unit.
    pub fn meters(self) -> f64 {
        match self {
            Unit::Meters => 1.0,
            Unit::Kilometers => 1000.0,
            Unit::Feet => 0.3048,
            Unit::Miles => 1609.34,
        }
    }
}

/// A coordinate as GEOPOS and WITHCOORD print it: C's `%.17Lf` of the value (exact, ties
/// to even), trailing zeros and a trailing '.' removed, "-0" printed as "0".
pub fn format_coordinate(value: f64) -> String {
    let mut text = format!("{value:.17}");
    if text.contains('.') {
        let trimmed = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(trimmed);
    }
    if text == "-0" {
        text.remove(0);
    }
    text
}

/// A distance as GEODIST and WITHDIST print it: `llrint(value * 10000)` (ties to even)
/// written with exactly four decimals.
pub fn format_distance(value: f64) -> String {
    if value == 0.0 {
        return "0.0000".to_string();
    }
    let scaled = value * 10000.0;
    let units = if scaled.is_nan() || !(-TWO_POW_63..TWO_POW_63).contains(&scaled) {
        i64::MIN // llrint's result for values it cannot represent
    } else {
        scaled.round_ties_even() as i64
    };
    let sign = if units < 0 { "-" } else { "" };
    let magnitude = units.unsigned_abs();
    format!("{sign}{}.{:04}", magnitude / 10000, magnitude % 10000)
}

/// The area of a GEOSEARCH: a circle or an axis-aligned box around a centre, with sizes
/// in `unit`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchShape {
    pub longitude: f64,
    pub latitude: f64,
    pub kind: ShapeKind,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A member inside a search shape, with its distance from the centre in meters.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoMatch<M> {
    pub member: M,
    pub score: f64,
    pub longitude: f64,
    pub latitude: f64,
    pub distance: f64,
}

/// A score interval `min <= score < max` of one geohash cell to scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
}

impl SearchShape {
    /// The score ranges to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW),
    /// without the neighbours outside the bounding box. Like Redis, a cell equal to the
    /// previously scanned neighbour is skipped, but one equal to the centre is not, so a
    /// member can be found twice in huge searches.
    pub fn score_ranges(&self) -> Vec<ScoreRange> {
        let cells = self.covering_cells();
        let mut ranges = Vec::with_capacity(9);
        let mut last_scanned: Option<usize> = None;
        for (i, cell) in cells.iter().enumerate() {
            let Some(cell) = cell else { continue };
            if let Some(last) = last_scanned
                && last != 0
                && cells[last] == Some(*cell)
            {
                continue;
            }
            let shift = 52 - cell.step as u32 * 2;
            ranges.push(ScoreRange {
                min: (cell.bits << shift) as f64,
                max: ((cell.bits + 1) << shift) as f64,
            });
            last_scanned = Some(i);
        }
        ranges
    }

    /// The exact membership test of a stored score, giving the decoded position and the
    /// distance from the centre in meters.
    pub fn within(&self, score: f64) -> Option<(f64, f64, f64)> {
        let (longitude, latitude) = position(score);
        let to_meters = self.unit.meters();
        match self.kind {
            ShapeKind::Radius(radius) => {
                let distance = distance(self.longitude, self.latitude, longitude, latitude);
                // Written as Redis does: a NaN distance (antipodes) counts as inside.
                if distance > radius * to_meters {
                    return None;
                }
                Some((longitude, latitude, distance))
            }
            ShapeKind::Box { width, height } => {
                let (width, height) = (width * to_meters, height * to_meters);
                if latitude_distance(latitude, self.latitude) > height / 2.0 {
                    return None;
                }
                if distance(longitude, latitude, self.longitude, latitude) > width / 2.0 {
                    return None;
                }
                let distance = distance(self.longitude, self.latitude, longitude, latitude);
                Some((longitude, latitude, distance))
            }
        }
    }

    /// Runs the search: `scan(min, max)` must yield the sorted set's members with
    /// `min <= score < max` in sorted-set order. `any_limit` is COUNT with ANY (stop once
    /// that many matches are found), 0 otherwise. Matches come in scan order; sort them
    /// with [`sort_matches`] when the command asks for an order or a plain COUNT.
    pub fn search<M, I>(
        &self,
        any_limit: usize,
        mut scan: impl FnMut(f64, f64) -> I,
    ) -> Vec<GeoMatch<M>>
    where
        I: IntoIterator<Item = (M, f64)>,
    {
        let mut matches = Vec::new();
        let full = |found: &Vec<GeoMatch<M>>| any_limit != 0 && found.len() >= any_limit;
        for range in self.score_ranges() {
            if full(&matches) {
                break;
            }
            for (member, score) in scan(range.min, range.max) {
                if let Some((longitude, latitude, distance)) = self.within(score) {
                    matches.push(GeoMatch {
                        member,
                        score,
                        longitude,
                        latitude,
                        distance,
                    });
                }
                if full(&matches) {
                    break;
                }
            }
        }
        matches
    }

    /// The bounding box (min_lon, min_lat, max_lon, max_lat) Redis derives from the shape:
    /// the box's half sizes (or the radius) converted to degrees, the longitude span taken
    /// at the edge nearer the pole.
    fn bounding_box(&self) -> [f64; 4] {
        let to_meters = self.unit.meters();
        let (half_height, half_width) = match self.kind {
            ShapeKind::Radius(radius) => (to_meters * radius, to_meters * radius),
            ShapeKind::Box { width, height } => {
                (to_meters * (height / 2.0), to_meters * (width / 2.0))
            }
        };
        let latitude = self.latitude;
        let lat_delta = half_height / EARTH_RADIUS_IN_METERS / DEG_TO_RAD;
        let edge_latitude = if latitude < 0.0 {
            latitude - lat_delta
        } else {
            latitude + lat_delta
        };
        let long_delta =
            half_width / EARTH_RADIUS_IN_METERS / (edge_latitude * DEG_TO_RAD).cos() / DEG_TO_RAD;
        [
            self.longitude - long_delta,
            latitude - lat_delta,
            self.longitude + long_delta,
            latitude + lat_delta,
        ]
    }

    /// The centre cell and its neighbours [centre, N, S, E, W, NE, NW, SE, SW], `None` for
    /// the neighbours excluded by the bounding box.
    fn covering_cells(&self) -> [Option<Cell>; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let to_meters = self.unit.meters();
        let radius_meters = match self.kind {
            ShapeKind::Radius(radius) => radius,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * to_meters;
        let (longitude, latitude) = (self.longitude, self.latitude);
        let mut step = estimate_step(radius_meters, latitude);
        let mut centre =
            encode(&WGS84, longitude, latitude, step).expect("centre inside the supported area");
        let mut neighbours = centre.neighbours();

        // The estimated step may be too coarse near a cell edge: if a neighbour does not
        // reach past the bounding box, use cells twice as large.
        let [north, south, east, west, ..] = neighbours.map(|cell| decode(&WGS84, cell));
        let too_small = north.latitude.max < max_lat
            || south.latitude.min > min_lat
            || east.longitude.max < max_lon
            || west.longitude.min > min_lon;
        if step > 1 && too_small {
            step -= 1;
            centre = encode(&WGS84, longitude, latitude, step)
                .expect("centre inside the supported area");
            neighbours = centre.neighbours();
        }
        let area = decode(&WGS84, centre);
        let [n, s, e, w, ne, nw, se, sw] = neighbours.map(Some);
        let mut cells = [Some(centre), n, s, e, w, ne, nw, se, sw];
        if step >= 2 {
            const NORTH: usize = 1;
            const SOUTH: usize = 2;
            const EAST: usize = 3;
            const WEST: usize = 4;
            const NORTH_EAST: usize = 5;
            const NORTH_WEST: usize = 6;
            const SOUTH_EAST: usize = 7;
            const SOUTH_WEST: usize = 8;
            let mut drop = |indexes: [usize; 3]| indexes.iter().for_each(|&i| cells[i] = None);
            if area.latitude.min < min_lat {
                drop([SOUTH, SOUTH_WEST, SOUTH_EAST]);
            }
            if area.latitude.max > max_lat {
                drop([NORTH, NORTH_EAST, NORTH_WEST]);
            }
            if area.longitude.min < min_lon {
                drop([WEST, SOUTH_WEST, NORTH_WEST]);
            }
            if area.longitude.max > max_lon {
                drop([EAST, SOUTH_EAST, NORTH_EAST]);
            }
        }
        cells
    }
}

/// Sort order of search results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// Orders matches by distance as GEOSEARCH does before replying `count` of them (0 for
/// all). A full sort is glibc's stable merge sort; when COUNT keeps fewer than all
/// matches, Redis runs its partial quicksort (`pqsort`), which only orders the first
/// `count` positions and places members at equal distances in its own way. Both are
/// reproduced, so ties come out in Redis's order.
pub fn sort_matches<M>(matches: &mut [GeoMatch<M>], order: Order, count: usize) {
    let compare = |a: &GeoMatch<M>, b: &GeoMatch<M>| {
        // Redis's comparator: greater / equal / otherwise (NaN compares as "less").
        let ascending = if a.distance > b.distance {
            std::cmp::Ordering::Greater
        } else if a.distance == b.distance {
            std::cmp::Ordering::Equal
        } else {
            std::cmp::Ordering::Less
        };
        match order {
            Order::Ascending => ascending,
            Order::Descending => ascending.reverse(),
        }
    };
    if count == 0 || count >= matches.len() {
        matches.sort_by(compare);
    } else {
        partial_quicksort(matches, 0, 0, count - 1, &compare);
    }
}

/// Redis's `pqsort`: Bentley & McIlroy's quicksort (median-of-three, ninther above 40
/// elements, fat partition keeping equal keys at both ends, insertion sort below 7) that
/// skips sub-arrays lying entirely outside positions `left..=right`. `base` is the
/// absolute position of `items[0]`, needed for that test.
fn partial_quicksort<T>(
    items: &mut [T],
    base: usize,
    left: usize,
    right: usize,
    compare: &impl Fn(&T, &T) -> std::cmp::Ordering,
) {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let mut items = items;
    let mut base = base;
    loop {
        let n = items.len();
        if n < 7 {
            for m in 1..n {
                let mut l = m;
                while l > 0 && compare(&items[l - 1], &items[l]) == Greater {
                    items.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        let median_of_three = |items: &[T], a: usize, b: usize, c: usize| {
            if compare(&items[a], &items[b]) == Less {
                if compare(&items[b], &items[c]) == Less {
                    b
                } else if compare(&items[a], &items[c]) == Less {
                    c
                } else {
                    a
                }
            } else if compare(&items[b], &items[c]) == Greater {
                b
            } else if compare(&items[a], &items[c]) == Less {
                a
            } else {
                c
            }
        };
        let mut pm = n / 2;
        if n > 7 {
            let mut pl = 0;
            let mut pn = n - 1;
            if n > 40 {
                let d = n / 8;
                pl = median_of_three(items, pl, pl + d, pl + 2 * d);
                pm = median_of_three(items, pm - d, pm, pm + d);
                pn = median_of_three(items, pn - 2 * d, pn - d, pn);
            }
            pm = median_of_three(items, pl, pm, pn);
        }
        items.swap(0, pm);
        // Partition around items[0]: [equal | less | ... | greater | equal].
        let (mut pa, mut pb) = (1usize, 1usize);
        let (mut pc, mut pd) = (n as isize - 1, n as isize - 1);
        loop {
            while pb as isize <= pc {
                let ordering = compare(&items[pb], &items[0]);
                if ordering == Greater {
                    break;
                }
                if ordering == Equal {
                    items.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb as isize <= pc {
                let ordering = compare(&items[pc as usize], &items[0]);
                if ordering == Less {
                    break;
                }
                if ordering == Equal {
                    items.swap(pc as usize, pd as usize);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb as isize > pc {
                break;
            }
            items.swap(pb, pc as usize);
            pb += 1;
            pc -= 1;
        }
        // Move the equal keys from both ends to the middle.
        let swap_blocks = |items: &mut [T], a: usize, b: usize, len: usize| {
            for i in 0..len {
                items.swap(a + i, b + i);
            }
        };
        let r = pa.min(pb - pa);
        swap_blocks(items, 0, pb - r, r);
        let (pc, pd) = (pc as usize, pd as usize); // pc >= pb - 1 >= 0 here
        let r = (pd - pc).min(n - pd - 1);
        swap_blocks(items, pb, n - r, r);

        let overlaps = |start: usize, len: usize| {
            let end = start + len - 1;
            !((left < start && right < start) || (left > end && right > end))
        };
        let less_len = pb - pa;
        if less_len > 1 && overlaps(base, less_len) {
            partial_quicksort(&mut items[..less_len], base, left, right, compare);
        }
        let greater_len = pd - pc;
        if greater_len > 1 && overlaps(base + n - greater_len, greater_len) {
            base += n - greater_len;
            items = &mut items[n - greater_len..];
            continue;
        }
        return;
    }
}

// ---------------------------------------------------------------------------------------
// Geohash cells.

#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    min: f64,
    max: f64,
}

struct Ranges {
    longitude: Range,
    latitude: Range,
}

const WGS84: Ranges = Ranges {
    longitude: Range {
        min: LONGITUDE_MIN,
        max: LONGITUDE_MAX,
    },
    latitude: Range {
        min: LATITUDE_MIN,
        max: LATITUDE_MAX,
    },
};

/// A geohash cell: `step` bits per coordinate, interleaved into `bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    bits: u64,
    step: u8,
}

struct Area {
    longitude: Range,
    latitude: Range,
}

/// Encodes a position, or `None` outside the supported area or the given ranges.
fn encode(ranges: &Ranges, longitude: f64, latitude: f64, step: u8) -> Option<Cell> {
    if check_coordinates(longitude, latitude).is_err()
        || !(ranges.latitude.min..=ranges.latitude.max).contains(&latitude)
        || !(ranges.longitude.min..=ranges.longitude.max).contains(&longitude)
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset =
        (latitude - ranges.latitude.min) / (ranges.latitude.max - ranges.latitude.min) * scale;
    let long_offset =
        (longitude - ranges.longitude.min) / (ranges.longitude.max - ranges.longitude.min) * scale;
    Some(Cell {
        bits: spread(lat_offset as u32) | (spread(long_offset as u32) << 1),
        step,
    })
}

/// The cell's corners. Offsets are 32-bit like in Redis, so `offset + 1` wraps for
/// non-geohash scores whose halves are all ones.
fn decode(ranges: &Ranges, cell: Cell) -> Area {
    let lat_offset = compact(cell.bits);
    let long_offset = compact(cell.bits >> 1);
    let scale = (1u64 << cell.step) as f64;
    let corner = |range: &Range, offset: u32| Range {
        min: range.min + (offset as f64 / scale) * (range.max - range.min),
        max: range.min + (offset.wrapping_add(1) as f64 / scale) * (range.max - range.min),
    };
    Area {
        longitude: corner(&ranges.longitude, long_offset),
        latitude: corner(&ranges.latitude, lat_offset),
    }
}

impl Cell {
    /// [N, S, E, W, NE, NW, SE, SW], wrapping around at the edges of the grid.
    fn neighbours(self) -> [Cell; 8] {
        let at = |dx: i8, dy: i8| self.moved_x(dx).moved_y(dy);
        [
            at(0, 1),
            at(0, -1),
            at(1, 0),
            at(-1, 0),
            at(1, 1),
            at(-1, 1),
            at(1, -1),
            at(-1, -1),
        ]
    }

    /// Moves along longitude (odd bits) by one cell.
    fn moved_x(self, direction: i8) -> Cell {
        self.moved(direction, 0xaaaa_aaaa_aaaa_aaaa, 0x5555_5555_5555_5555)
    }

    /// Moves along latitude (even bits) by one cell.
    fn moved_y(self, direction: i8) -> Cell {
        self.moved(direction, 0x5555_5555_5555_5555, 0xaaaa_aaaa_aaaa_aaaa)
    }

    /// Adds or subtracts one to the coordinate in `mask` bits: the other coordinate's bit
    /// positions are filled with ones so that carries and borrows skip over them.
    fn moved(self, direction: i8, mask: u64, other_mask: u64) -> Cell {
        if direction == 0 {
            return self;
        }
        let shift = 64 - self.step as u32 * 2;
        let mut coordinate = self.bits & mask;
        let other = self.bits & other_mask;
        let filler = other_mask >> shift;
        coordinate = if direction > 0 {
            coordinate.wrapping_add(filler + 1)
        } else {
            (coordinate | filler).wrapping_sub(filler + 1)
        };
        Cell {
            bits: (coordinate & (mask >> shift)) | other,
            step: self.step,
        }
    }
}

/// Spreads the 32 bits of `value` to the even bit positions of a u64.
fn spread(value: u32) -> u64 {
    let mut x = value as u64;
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `value` into a u32 (the inverse of [`spread`]).
fn compact(value: u64) -> u32 {
    let mut x = value & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x >> 4)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x >> 8)) & 0x0000_ffff_0000_ffff;
    ((x | (x >> 16)) & 0xffff_ffff) as u32
}

/// C's `(uint64_t)score` as gcc compiles it for x86-64: `cvttsd2si` below 2^63 (giving
/// 2^63 for NaN, -inf and values below -2^63), and `cvttsd2si(score - 2^63)` with the top
/// bit flipped from 2^63 up (giving 0 for +inf and values from 2^64).
fn score_to_bits(score: f64) -> u64 {
    let truncate = |x: f64| -> u64 {
        if x.is_nan() || !(-TWO_POW_63..TWO_POW_63).contains(&x) {
            1 << 63
        } else {
            x as i64 as u64
        }
    };
    if score >= TWO_POW_63 {
        truncate(score - TWO_POW_63) ^ (1 << 63)
    } else {
        truncate(score)
    }
}

/// The geohash precision for a search radius: the number of halvings of the Mercator
/// width that stay above the radius, minus 2, a little coarser towards the poles.
fn estimate_step(range_meters: f64, latitude: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&latitude) {
        step -= 1;
        if !(-80.0..=80.0).contains(&latitude) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A sorted set good enough for replaying fixtures: entries ordered by (score, member).
    #[derive(Default)]
    struct SortedSet {
        entries: Vec<(f64, String)>,
        scores: HashMap<String, f64>,
    }

    impl SortedSet {
        fn insert(&mut self, member: &str, score: f64) -> bool {
            let added = match self.scores.insert(member.to_string(), score) {
                Some(old) => {
                    self.entries.retain(|(s, m)| !(*s == old && m == member));
                    false
                }
                None => true,
            };
            let at = self
                .entries
                .partition_point(|(s, m)| (*s, m.as_str()) < (score, member));
            self.entries.insert(at, (score, member.to_string()));
            added
        }

        fn range(&self, min: f64, max: f64) -> Vec<(String, f64)> {
            self.entries
                .iter()
                .filter(|(s, _)| min <= *s && *s < max)
                .map(|(s, m)| (m.clone(), *s))
                .collect()
        }
    }

    fn bulk(text: &str) -> String {
        format!("${text}")
    }

    fn array(items: impl IntoIterator<Item = String>) -> String {
        format!("[{}]", items.into_iter().collect::<Vec<_>>().join(","))
    }

    fn coordinates(longitude: f64, latitude: f64) -> String {
        array([
            bulk(&format_coordinate(longitude)),
            bulk(&format_coordinate(latitude)),
        ])
    }

    fn exec(sets: &mut HashMap<String, SortedSet>, args: &[&str]) -> String {
        let number = |text: &str| -> f64 { text.parse().unwrap() };
        match args[0] {
            "GEOADD" => {
                let triples: Vec<&[&str]> = args[2..].chunks(3).collect();
                let mut scores = Vec::new();
                for triple in &triples {
                    match score(number(triple[0]), number(triple[1])) {
                        Ok(score) => scores.push(score),
                        Err(error) => return format!("-{error}"),
                    }
                }
                let set = sets.entry(args[1].to_string()).or_default();
                let added = triples
                    .iter()
                    .zip(scores)
                    .filter(|(triple, score)| set.insert(triple[2], *score))
                    .count();
                format!(":{added}")
            }
            "ZADD" => {
                let set = sets.entry(args[1].to_string()).or_default();
                let added = args[2..]
                    .chunks(2)
                    .filter(|pair| set.insert(pair[1], number(pair[0])))
                    .count();
                format!(":{added}")
            }
            "ZCARD" => format!(":{}", sets[args[1]].entries.len()),
            "SCORE" => format!(":{}", sets[args[1]].scores[args[2]] as u64),
            "GEOPOS" => {
                let set = sets.get(args[1]);
                array(args[2..].iter().map(
                    |member| match set.and_then(|s| s.scores.get(*member)) {
                        Some(&score) => {
                            let (longitude, latitude) = position(score);
                            coordinates(longitude, latitude)
                        }
                        None => "_".to_string(),
                    },
                ))
            }
            "GEOHASH" => {
                let set = sets.get(args[1]);
                array(args[2..].iter().map(|member| {
                    set.and_then(|s| s.scores.get(*member))
                        .map_or("_".to_string(), |&score| bulk(&geohash_string(score)))
                }))
            }
            "GEODIST" => {
                let unit = match args.get(4).map(|u| Unit::parse(u.as_bytes())) {
                    None => Unit::Meters,
                    Some(Ok(unit)) => unit,
                    Some(Err(error)) => return format!("-{error}"),
                };
                let set = &sets[args[1]];
                match (set.scores.get(args[2]), set.scores.get(args[3])) {
                    (Some(&a), Some(&b)) => {
                        let ((lon1, lat1), (lon2, lat2)) = (position(a), position(b));
                        bulk(&format_distance(
                            distance(lon1, lat1, lon2, lat2) / unit.meters(),
                        ))
                    }
                    _ => "_".to_string(),
                }
            }
            "GEOSEARCH" => {
                let set = &sets[args[1]];
                let mut centre = (0.0, 0.0);
                let mut kind = ShapeKind::Radius(0.0);
                let mut unit = Unit::Meters;
                let mut order = None;
                let (mut count, mut any) = (0usize, false);
                let (mut with_coord, mut with_dist, mut with_hash) = (false, false, false);
                let mut i = 2;
                while i < args.len() {
                    match args[i] {
                        "FROMMEMBER" => {
                            centre = position(set.scores[args[i + 1]]);
                            i += 1;
                        }
                        "FROMLONLAT" => {
                            centre = (number(args[i + 1]), number(args[i + 2]));
                            i += 2;
                        }
                        "BYRADIUS" => {
                            kind = ShapeKind::Radius(number(args[i + 1]));
                            unit = Unit::parse(args[i + 2].as_bytes()).unwrap();
                            i += 2;
                        }
                        "BYBOX" => {
                            kind = ShapeKind::Box {
                                width: number(args[i + 1]),
                                height: number(args[i + 2]),
                            };
                            unit = Unit::parse(args[i + 3].as_bytes()).unwrap();
                            i += 3;
                        }
                        "ASC" => order = Some(Order::Ascending),
                        "DESC" => order = Some(Order::Descending),
                        "COUNT" => {
                            count = args[i + 1].parse().unwrap();
                            i += 1;
                        }
                        "ANY" => any = true,
                        "WITHCOORD" => with_coord = true,
                        "WITHDIST" => with_dist = true,
                        "WITHHASH" => with_hash = true,
                        other => panic!("unexpected GEOSEARCH option {other}"),
                    }
                    i += 1;
                }
                let shape = SearchShape {
                    longitude: centre.0,
                    latitude: centre.1,
                    kind,
                    unit,
                };
                let mut matches =
                    shape.search(if any { count } else { 0 }, |min, max| set.range(min, max));
                if count != 0 && order.is_none() && !any {
                    order = Some(Order::Ascending);
                }
                if let Some(order) = order {
                    sort_matches(&mut matches, order, count);
                }
                if count != 0 {
                    matches.truncate(count);
                }
                array(matches.iter().map(|m| {
                    if !(with_coord || with_dist || with_hash) {
                        return bulk(&m.member);
                    }
                    let mut item = vec![bulk(&m.member)];
                    if with_dist {
                        item.push(bulk(&format_distance(m.distance / unit.meters())));
                    }
                    if with_hash {
                        item.push(format!(":{}", m.score as i64));
                    }
                    if with_coord {
                        item.push(coordinates(m.longitude, m.latitude));
                    }
                    array(item)
                }))
            }
            other => panic!("unexpected command {other}"),
        }
    }

    /// Replays GEO commands recorded from redis-server 7.0.15: stored scores, GEOPOS,
    /// GEOHASH, GEODIST and GEOSEARCH (members, order, distances, hashes, coordinates).
    #[test]
    fn replays_redis_fixture() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/geo.txt");
        let text = std::fs::read_to_string(path).unwrap();
        let mut sets = HashMap::new();
        let mut lines = text.lines().filter(|l| !l.starts_with('#'));
        let mut replayed = 0;
        while let Some(command) = lines.next() {
            let expected = lines.next().unwrap().strip_prefix("< ").unwrap();
            let args: Vec<&str> = command[2..].split(' ').collect();
            let got = exec(&mut sets, &args);
            assert!(
                got == expected,
                "command #{replayed} `{command}`:\n  got      {got}\n  expected {expected}"
            );
            replayed += 1;
        }
        assert_eq!(replayed, 3113);
    }

    #[test]
    fn coordinate_checks_and_errors() {
        assert_eq!(check_coordinates(180.0, LATITUDE_MAX), Ok(()));
        assert_eq!(
            check_coordinates(200.0, 100.0),
            Err("ERR invalid longitude,latitude pair 200.000000,100.000000".to_string())
        );
        assert_eq!(
            check_coordinates(f64::NEG_INFINITY, 0.0),
            Err("ERR invalid longitude,latitude pair -inf,0.000000".to_string())
        );
        assert_eq!(score(180.0, LATITUDE_MAX), Ok(13510798882111488.0));
        assert_eq!(score(-180.0, LATITUDE_MIN), Ok(0.0));
        assert_eq!(position(0.0), (-179.99999731779099, -85.05112751263943));
    }

    #[test]
    fn units() {
        assert_eq!(Unit::parse(b"KM"), Ok(Unit::Kilometers));
        assert_eq!(Unit::parse(b"mi").map(Unit::meters), Ok(1609.34));
        assert_eq!(Unit::parse(b"ft").map(Unit::meters), Ok(0.3048));
        assert_eq!(Unit::parse(b"yd"), Err(UNSUPPORTED_UNIT));
    }

    #[test]
    fn number_formatting() {
        assert_eq!(format_distance(0.0), "0.0000");
        assert_eq!(format_distance(-0.0), "0.0000");
        assert_eq!(format_distance(1.23456), "1.2346");
        assert_eq!(format_distance(0.00025), "0.0002", "ties go to even");
        assert_eq!(format_distance(0.00035), "0.0004");
        assert_eq!(format_distance(18919844.589123), "18919844.5891");
        assert_eq!(format_distance(-2.5), "-2.5000");
        assert_eq!(format_distance(f64::INFINITY), "-922337203685477.5808");
        assert_eq!(
            format_coordinate(13.361389338970184),
            "13.36138933897018433"
        );
        assert_eq!(format_coordinate(180.0), "180");
        assert_eq!(format_coordinate(-1e-20), "0");
        assert_eq!(format_coordinate(0.5), "0.5");
    }

    #[test]
    fn bit_interleaving_round_trips() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (lat, lon) = (x as u32, (x >> 32) as u32);
            let bits = spread(lat) | (spread(lon) << 1);
            assert_eq!((compact(bits), compact(bits >> 1)), (lat, lon));
            for i in 0..32 {
                assert_eq!((bits >> (2 * i)) & 1, (lat as u64 >> i) & 1);
            }
        }
    }

    #[test]
    fn score_conversion_like_x86_64() {
        assert_eq!(score_to_bits(-1.0), u64::MAX);
        assert_eq!(score_to_bits(1.5), 1);
        assert_eq!(score_to_bits(1e300), 0);
        assert_eq!(score_to_bits(f64::INFINITY), 0);
        assert_eq!(score_to_bits(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(score_to_bits(-1e19), 1 << 63);
        assert_eq!(score_to_bits(1e19), 10_000_000_000_000_000_000);
    }

    #[test]
    fn neighbours_wrap_around_the_grid() {
        let cell = Cell { bits: 0, step: 2 };
        let [north, south, east, west, ..] = cell.neighbours();
        // Latitude uses even bits, longitude odd bits.
        assert_eq!(north.bits, 0b0001);
        assert_eq!(east.bits, 0b0010);
        assert_eq!(south.bits, 0b0101);
        assert_eq!(west.bits, 0b1010);
        assert_eq!(estimate_step(0.0, 0.0), 26);
        assert_eq!(estimate_step(1000.0, 0.0), 14);
        assert_eq!(estimate_step(1000.0, 70.0), 13);
        assert_eq!(estimate_step(1000.0, -81.0), 12);
        assert_eq!(estimate_step(1e9, 0.0), 1);
    }
}
