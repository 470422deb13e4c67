//! Memory accounting: a counting wrapper for the global allocator, so `used_memory` (INFO,
//! maxmemory) is the number of bytes the server has allocated right now, like Redis's
//! zmalloc counter.
//!
//! Each thread keeps a local delta and folds it into the global counter once it exceeds
//! [`FLUSH`] bytes either way, so an allocation costs a thread-local add, not a contended
//! atomic. The global figure is therefore exact to within `FLUSH` bytes per thread.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

const FLUSH: i64 = 16 * 1024;

static ALLOCATED: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);
static ENABLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static LOCAL: Cell<i64> = const { Cell::new(0) };
}

#[inline]
fn account(delta: i64) {
    let folded = LOCAL.try_with(|c| {
        let v = c.get() + delta;
        if !(-FLUSH..=FLUSH).contains(&v) {
            ALLOCATED.fetch_add(v, Relaxed);
            c.set(0);
        } else {
            c.set(v);
        }
    });
    if folded.is_err() {
        // Thread-local storage is gone (thread exit): count directly.
        ALLOCATED.fetch_add(delta, Relaxed);
    }
}

/// A global allocator that counts the bytes allocated through it.
pub struct Counting<A>(pub A);

// SAFETY: every method forwards to the wrapped allocator with the same arguments; the counter
// bookkeeping neither allocates nor touches the memory.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    #[inline]
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { self.0.alloc(l) };
        if !p.is_null() {
            account(l.size() as i64);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { self.0.alloc_zeroed(l) };
        if !p.is_null() {
            account(l.size() as i64);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded as is.
        unsafe { self.0.dealloc(p, l) };
        account(-(l.size() as i64));
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let q = unsafe { self.0.realloc(p, l, new_size) };
        if !q.is_null() {
            account(new_size as i64 - l.size() as i64);
        }
        q
    }
}

/// Called by the binary that installs [`Counting`] as its global allocator.
pub fn enable_counting() {
    ENABLED.store(true, Relaxed);
}

/// Bytes allocated now (the allocator's committed memory when counting is not installed).
pub fn used_memory() -> u64 {
    let v = if ENABLED.load(Relaxed) {
        ALLOCATED.load(Relaxed).max(0) as u64
    } else {
        mimalloc_commit()
    };
    PEAK.fetch_max(v, Relaxed);
    v
}

/// The highest `used_memory` seen.
pub fn peak_memory() -> u64 {
    PEAK.load(Relaxed).max(used_memory())
}

fn mimalloc_commit() -> u64 {
    let mut elapsed = 0usize;
    let mut utime = 0usize;
    let mut stime = 0usize;
    let mut rss = 0usize;
    let mut peak_rss = 0usize;
    let mut commit = 0usize;
    let mut peak_commit = 0usize;
    let mut faults = 0usize;
    // SAFETY: mi_process_info writes into the provided out-pointers only.
    unsafe {
        libmimalloc_sys::mi_process_info(
            &mut elapsed,
            &mut utime,
            &mut stime,
            &mut rss,
            &mut peak_rss,
            &mut commit,
            &mut peak_commit,
            &mut faults,
        )
    };
    commit as u64
}
