//! Handing memory that was freed back to the operating system.
//!
//! A delivery of 100,000 lots briefly needs some 130 MiB (the body, the XML tree, the new
//! set); glibc keeps what was freed for reuse instead of returning it, so after a few
//! such deliveries the receiver would sit at over 130 MiB while it needs under 40 MiB
//! (measured; see `docs/performance.md`). Trimming after a large delivery keeps the resident size at
//! what is actually in use.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    fn malloc_trim(pad: usize) -> i32;
    fn mallopt(param: i32, value: i32) -> i32;
}

/// glibc's `M_MMAP_THRESHOLD`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const M_MMAP_THRESHOLD: i32 = -3;

/// Makes every allocation of 1 MiB or more a mapping of its own, returned to the
/// operating system when freed. glibc otherwise raises this threshold after the first
/// large free, and from then on keeps the bodies, XML trees and sets of large deliveries
/// in its heap. Call once at start-up.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_large_allocations() {
    // SAFETY: `mallopt` only changes glibc's allocation policy; any value is valid.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Makes large allocations return to the operating system when freed (a no-op on this
/// platform).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_allocations() {}

/// Returns free heap memory to the operating system where the allocator allows it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_memory() {
    // SAFETY: `malloc_trim` only walks glibc's own free lists and releases unused pages;
    // it has no preconditions and does not touch memory in use.
    unsafe {
        malloc_trim(0);
    }
}

/// Returns free heap memory to the operating system where the allocator allows it (a
/// no-op on this platform).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}
