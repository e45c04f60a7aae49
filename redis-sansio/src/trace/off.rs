//! The `tracing` feature off: the same names as `on.rs`, doing nothing.

use std::time::Duration;

use crate::config::ServerAddr;
use crate::conn::RequestId;
use crate::error::{CloseReason, RequestError};
use crate::resp::Frame;

/// Nothing to keep.
#[derive(Debug, Default)]
pub(crate) struct RequestSpans;

impl RequestSpans {
    #[inline(always)]
    pub(crate) fn start(&mut self, _: RequestId, _: Option<&[u8]>, _: &ServerAddr) {}

    #[inline(always)]
    pub(crate) fn finish(&mut self, _: RequestId, _: &Result<Frame, RequestError>) {}
}

#[inline(always)]
pub(crate) fn connected(_: &ServerAddr, _: crate::resp::Version) {}

#[inline(always)]
pub(crate) fn closed(_: &ServerAddr, _: &CloseReason) {}

#[inline(always)]
pub(crate) fn reconnecting(_: u32, _: Duration) {}

#[inline(always)]
pub(crate) fn reconnect_given_up(_: Option<&CloseReason>) {}

#[inline(always)]
pub(crate) fn redirected(_: &str, _: u16, _: &str) {}

#[inline(always)]
pub(crate) fn failover_wait(_: Option<u16>, _: Duration) {}

#[inline(always)]
pub(crate) fn pool_wait(_: usize, _: usize) {}
