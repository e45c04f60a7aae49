//! The conformance suite (`redis_test_support::conformance`) for the exclusive
//! `Connection` and the multiplexed `Client` on tokio, on the shared tokio executor.

use redis_test_support::conformance::tokio_exec::TokioExec;

redis_test_support::async_conformance_tests!(TokioExec);
