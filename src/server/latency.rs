//! Latency monitoring (Redis's `latency.c`) and per-command latency histograms (the HDR
//! histograms behind LATENCY HISTOGRAM and INFO latencystats).
//!
//! **Latency monitor.** When `latency-monitor-threshold` is non-zero, every command that took at
//! least that many milliseconds adds a sample to the event "command" (or "fast-command" for
//! commands flagged fast). Each event keeps the last 160 samples (one per second: a second
//! sample in the same second only raises that second's maximum) and its all-time maximum.
//!
//! **Histograms.** With `latency-tracking yes`, each command's duration is recorded in a
//! histogram with the layout of Redis's HdrHistogram (2 significant digits, values from 1 µs to
//! 1 s in nanoseconds, durations in whole microseconds), so percentiles and LATENCY HISTOGRAM
//! buckets come out as Redis computes them. A histogram is allocated on a command's first call,
//! per thread (each worker writes only its own counters; readers sum them).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;

/// Samples kept per event.
pub const TS_LEN: usize = 160;

#[derive(Clone, Copy, Default)]
pub struct Sample {
    /// Unix time, seconds (0: empty slot).
    pub time: i64,
    /// Milliseconds.
    pub latency: u64,
}

pub struct TimeSeries {
    pub idx: usize,
    pub max: u64,
    pub samples: [Sample; TS_LEN],
}

impl TimeSeries {
    /// Samples from the oldest to the newest, skipping empty slots.
    pub fn ordered(&self) -> Vec<Sample> {
        (0..TS_LEN)
            .map(|j| self.samples[(self.idx + j) % TS_LEN])
            .filter(|s| s.time != 0)
            .collect()
    }

    pub fn latest(&self) -> Sample {
        self.samples[(self.idx + TS_LEN - 1) % TS_LEN]
    }
}

#[derive(Default)]
pub struct LatencyMonitor {
    /// Events in creation order.
    pub events: Mutex<Vec<(String, Box<TimeSeries>)>>,
    /// `latency-tracking` (per-command histograms).
    pub tracking: AtomicBool,
}

impl LatencyMonitor {
    pub fn new(tracking: bool) -> LatencyMonitor {
        LatencyMonitor {
            events: Mutex::new(Vec::new()),
            tracking: AtomicBool::new(tracking),
        }
    }

    /// Redis's `latencyAddSample`.
    pub fn add_sample(&self, event: &str, ms: u64) {
        let now = crate::util::now_ms() / 1000;
        let mut ev = self.events.lock();
        let pos = match ev.iter().position(|(n, _)| n == event) {
            Some(p) => p,
            None => {
                ev.push((
                    event.to_string(),
                    Box::new(TimeSeries {
                        idx: 0,
                        max: 0,
                        samples: [Sample::default(); TS_LEN],
                    }),
                ));
                ev.len() - 1
            }
        };
        let ts = &mut ev[pos].1;
        ts.max = ts.max.max(ms);
        let prev = (ts.idx + TS_LEN - 1) % TS_LEN;
        if ts.samples[prev].time == now {
            ts.samples[prev].latency = ts.samples[prev].latency.max(ms);
            return;
        }
        let i = ts.idx;
        ts.samples[i] = Sample {
            time: now,
            latency: ms,
        };
        ts.idx = (i + 1) % TS_LEN;
    }
}

// HdrHistogram layout for lowest 1, highest 1e9, 2 significant digits.
const SUB_BUCKET_COUNT: i64 = 256;
const SUB_BUCKET_HALF_COUNT: i64 = 128;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: i64 = 7;
const SUB_BUCKET_MASK: i64 = SUB_BUCKET_COUNT - 1;
const BUCKET_COUNT: i64 = 23;
pub const COUNTS_LEN: usize = ((BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT) as usize;
/// Redis's LATENCY_HISTOGRAM_MIN_VALUE / MAX_VALUE (ns).
const MIN_VALUE: i64 = 1000;
const MAX_VALUE: i64 = 1_000_000_000;

fn bucket_of(v: i64) -> (i64, i64) {
    let pow2ceiling = 64 - (v | SUB_BUCKET_MASK).leading_zeros() as i64;
    let bucket = pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
    (bucket, v >> bucket)
}

fn counts_index(v: i64) -> usize {
    let (b, sb) = bucket_of(v);
    (((b + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (sb - SUB_BUCKET_HALF_COUNT)) as usize
}

fn value_at_index(i: usize) -> i64 {
    let i = i as i64;
    let mut bucket = (i >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
    let mut sub = (i & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub << bucket
}

fn lowest_equivalent(v: i64) -> i64 {
    let (b, sb) = bucket_of(v);
    sb << b
}

fn highest_equivalent(v: i64) -> i64 {
    let (b, sb) = bucket_of(v);
    let adjusted = if sb >= SUB_BUCKET_COUNT { b + 1 } else { b };
    lowest_equivalent(v) + (1i64 << adjusted) - 1
}

/// One command's histogram slot in one thread.
#[derive(Default)]
pub struct HistSlot(OnceLock<Box<[AtomicU64]>>);

impl HistSlot {
    /// Records a duration in microseconds (called by the owning thread only).
    #[inline]
    pub fn record_us(&self, us: u64) {
        let ns = (us.saturating_mul(1000) as i64).clamp(MIN_VALUE, MAX_VALUE);
        let counts = self
            .0
            .get_or_init(|| (0..COUNTS_LEN).map(|_| AtomicU64::new(0)).collect());
        let c = &counts[counts_index(ns)];
        c.store(c.load(Relaxed) + 1, Relaxed);
    }

    pub fn reset(&self) {
        if let Some(c) = self.0.get() {
            for a in c.iter() {
                a.store(0, Relaxed);
            }
        }
    }

    /// Adds this slot's counts into `into` (allocating it on first use). False if never used.
    pub fn add_to(&self, into: &mut Option<Vec<u64>>) -> bool {
        let Some(c) = self.0.get() else {
            return false;
        };
        let v = into.get_or_insert_with(|| vec![0; COUNTS_LEN]);
        for (d, a) in v.iter_mut().zip(c.iter()) {
            *d += a.load(Relaxed);
        }
        true
    }
}

/// A summed histogram (counts by HDR index).
pub struct Histogram<'a>(pub &'a [u64]);

impl Histogram<'_> {
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// `hdr_value_at_percentile` (ns).
    pub fn value_at_percentile(&self, p: f64) -> i64 {
        let total = self.total();
        let p = p.min(100.0);
        let want = (((p / 100.0) * total as f64) + 0.5) as u64;
        let want = want.max(1);
        let mut cum = 0;
        let mut found = 0;
        for (i, c) in self.0.iter().enumerate() {
            cum += c;
            if cum >= want {
                found = value_at_index(i);
                break;
            }
        }
        if p == 0.0 {
            lowest_equivalent(found)
        } else {
            highest_equivalent(found)
        }
    }

    /// LATENCY HISTOGRAM's buckets: (µs, cumulative count) at powers of two from 1024 ns,
    /// reported where the cumulative count grew (HdrHistogram's logarithmic iteration).
    pub fn log_buckets(&self) -> Vec<(i64, u64)> {
        let total = self.total();
        let mut out = Vec::new();
        if total == 0 {
            return out;
        }
        let mut level: i64 = 1024;
        let mut prev = 0;
        let mut cum = 0;
        let mut idx = 0;
        while cum < total || prev < total {
            let lowest = lowest_equivalent(level);
            // Count every index whose value is below the level, plus the one at it.
            while idx < COUNTS_LEN {
                let v = value_at_index(idx);
                cum += self.0[idx];
                idx += 1;
                if v >= lowest {
                    break;
                }
            }
            if cum > prev {
                out.push((highest_equivalent(level) / 1000, cum));
            }
            prev = cum;
            if idx >= COUNTS_LEN {
                break;
            }
            level *= 2;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hdr_layout_matches_redis() {
        assert_eq!(highest_equivalent(1000), 1003);
        assert_eq!(highest_equivalent(1024), 1031);
        assert_eq!(highest_equivalent(2048), 2063);
        assert_eq!(value_at_index(counts_index(1000)), 1000);
        assert_eq!(
            value_at_index(counts_index(123_456)),
            lowest_equivalent(123_456)
        );
        let s = HistSlot::default();
        for us in [1, 1, 2, 3, 10] {
            s.record_us(us);
        }
        let mut v = None;
        assert!(s.add_to(&mut v));
        let v = v.unwrap();
        let h = Histogram(&v);
        assert_eq!(h.total(), 5);
        assert_eq!(h.value_at_percentile(50.0), 2007);
        assert_eq!(h.value_at_percentile(100.0), 10047);
        assert_eq!(h.log_buckets(), vec![(1, 2), (2, 3), (4, 4), (16, 5)]);
    }
}
