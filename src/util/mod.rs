//! Small shared helpers: Redis-exact number parsing/formatting and glob matching.
pub mod glob;
pub mod longdouble;
pub mod num;

/// Milliseconds since the Unix epoch from the real-time clock.
pub fn now_ms() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the provided timespec; CLOCK_REALTIME is always valid.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

/// Microseconds since the Unix epoch from the real-time clock.
pub fn now_us() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: as in `now_ms`.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
}

/// ASCII-lowercases a byte string into a fresh vector.
pub fn to_lower(s: &[u8]) -> Vec<u8> {
    s.to_ascii_lowercase()
}
