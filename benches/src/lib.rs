//! Support code for the benchmarks in `benches/`.
//!
//! - [`hiredis`]: a minimal safe wrapper over the system hiredis reply reader, the C
//!   reference in the codec benchmarks. It exists when the build script found
//!   libhiredis (the `hiredis` cfg).
//! - [`alloc_counter`] and [`cpu`]: the allocation count and process CPU time the
//!   end-to-end benchmark reports.
//!
//! These are the crate's only `unsafe` code (FFI, a `GlobalAlloc`, `clock_gettime`);
//! `unsafe_code` is denied everywhere else.

#[cfg(hiredis)]
#[allow(unsafe_code)]
pub mod hiredis;

#[allow(unsafe_code)]
pub mod alloc_counter;

#[allow(unsafe_code)]
pub mod cpu;
