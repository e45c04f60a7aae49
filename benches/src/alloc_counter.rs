//! A global allocator that counts heap allocations, for the end-to-end benchmark's
//! allocations-per-command figure.
//!
//! Install it in a benchmark binary with
//! `#[global_allocator] static ALLOC: CountingAlloc = CountingAlloc;` and read
//! [`allocations`] before and after the measured part. Every thread's allocations
//! count (a runtime's worker threads included); reallocations count as allocations,
//! frees do not.
//!
//! It also tracks the bytes in use and their peak ([`live_bytes`], [`peak_bytes`],
//! [`reset_peak`]), for the memory tests of the decoders (`benches/tests`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

/// Counts `size` more bytes in use, and raises the peak if it is passed.
fn grew(size: usize) {
    let live = LIVE.fetch_add(size as u64, Ordering::Relaxed) + size as u64;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// Counts `size` fewer bytes in use.
fn shrank(size: usize) {
    LIVE.fetch_sub(size as u64, Ordering::Relaxed);
}

/// The system allocator, counting each `alloc`, `alloc_zeroed` and `realloc`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged;
// the counter is a relaxed atomic and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        grew(layout.size());
        // SAFETY: forwarded as received; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        grew(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: `ptr` came from this allocator, that is from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // Counted as the new block in use beside the old, which a moving `realloc`
        // briefly holds.
        grew(new_size);
        shrank(layout.size());
        // SAFETY: `ptr` came from `System`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Heap allocations made so far by the whole process (0 unless [`CountingAlloc`] is
/// the global allocator).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Heap bytes in use now (0 unless [`CountingAlloc`] is the global allocator).
pub fn live_bytes() -> u64 {
    LIVE.load(Ordering::Relaxed)
}

/// The most heap bytes in use at once since the last [`reset_peak`].
pub fn peak_bytes() -> u64 {
    PEAK.load(Ordering::Relaxed)
}

/// Starts a new peak measurement from the bytes in use now.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}
