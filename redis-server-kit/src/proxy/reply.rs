//! What goes back to a client from an upstream: the one place that turns the
//! upstream's bytes into what the session writes.
//!
//! A dedicated upstream's bytes go to its client as they came ([`forwarded`]): the
//! connection is the client's alone, in its protocol. A shared upstream's replies are
//! decoded to find where each ends, to hand each to its client's ticket, and
//! re-encoded in the client's protocol (the upstream connection's own);
//! [`upstream_reply`] is where the shared path would switch to the codec's raw mode
//! (`RawDecoder`, each frame's exact bytes) once tickets can carry bytes.

use bytes::{Bytes, BytesMut};
use redis_sansio::resp::{DecodeLimits, Decoder, Frame};

/// The decoder for an upstream's byte stream: nesting as deep as Redis's own
/// replies can go (a Lua table converts to thousands of levels).
pub(crate) fn reply_decoder() -> Decoder {
    Decoder::new().with_limits(DecodeLimits {
        max_depth: 10_000,
        ..DecodeLimits::default()
    })
}

/// An upstream frame as the client gets it.
pub(crate) fn upstream_reply(frame: Frame) -> Frame {
    frame
}

/// What a dedicated upstream sent, as the client gets it: every byte in `input`,
/// unchanged (taken out of `input`).
pub(crate) fn forwarded(input: &mut BytesMut) -> Bytes {
    input.split().freeze()
}
