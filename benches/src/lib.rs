//! Support code for the benchmarks in `benches/`.
//!
//! The only thing here is [`hiredis`], a minimal safe wrapper over the system
//! hiredis reply reader, the C reference in the codec benchmarks. It exists when the
//! build script found libhiredis (the `hiredis` cfg).

#[cfg(hiredis)]
#[allow(unsafe_code)]
pub mod hiredis;
