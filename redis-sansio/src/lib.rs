//! A sans-IO Redis protocol core.
#![forbid(unsafe_code)]
