//! A global allocator that remembers, per thread, the largest single
//! allocation made inside [`tracked`], so a target can assert that no buffer
//! is sized by a length the input merely announces.
//!
//! Only the calls wrapped in [`tracked`] are measured: the harness's own
//! bookkeeping (event lists, transcripts) is not the code under test.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    // Const-initialised and without destructors, so touching them from the
    // allocator never allocates.
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, plus a note of each allocation's size while the
/// current thread is inside [`tracked`].
pub struct PeakTracker;

fn note(size: usize) {
    let _ = TRACKING.try_with(|on| {
        if on.get() {
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(size)));
        }
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the bookkeeping only reads and writes thread-local cells.
unsafe impl GlobalAlloc for PeakTracker {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: PeakTracker = PeakTracker;

/// Runs `f`, raising `*peak` to the largest single allocation (or
/// reallocation) `f` made on this thread.
pub fn tracked<R>(peak: &mut usize, f: impl FnOnce() -> R) -> R {
    PEAK.with(|p| p.set(0));
    TRACKING.with(|t| t.set(true));
    let result = f();
    TRACKING.with(|t| t.set(false));
    *peak = (*peak).max(PEAK.with(Cell::get));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_only_inside_tracked() {
        let mut peak = 0;
        let outside = vec![0u8; 1 << 20];
        let inside = tracked(&mut peak, || vec![0u8; 1000]);
        assert!((1000..(1 << 20)).contains(&peak), "peak {peak}");
        let grown = tracked(&mut peak, || {
            let mut v = Vec::with_capacity(10);
            v.extend_from_slice(&outside[..5000]);
            v
        });
        assert!(peak >= 5000, "realloc counted: {peak}");
        drop((outside, inside, grown));
    }
}
