//! RESP2 and RESP3: the value model, the incremental decoder, the encoder, and the
//! server-side request decoder.
//!
//! | concern | where |
//! |---|---|
//! | values | [`Frame`] |
//! | decoding replies | [`Decoder`], pluggable through [`Builder`] |
//! | limits on what a peer sends | [`DecodeLimits`], [`RequestLimits`] |
//! | encoding commands and frames | [`ToArg`], [`ToArgs`] (one value or many), [`ArgBuf`], [`encode_command`], [`encode_frame`] |
//! | decoding requests (servers, proxies) | [`RequestDecoder`], [`Request`] |
//! | forwarding replies as received (proxies) | [`RawDecoder`] |
//! | the RDB transfer of replication (`SYNC`, `PSYNC`) | [`RdbDecoder`] |

mod arg_buf;
mod builder;
mod decode;
mod double;
mod encode;
mod frame;
mod inline;
mod limits;
mod number;
mod raw;
mod rdb;
mod request;
pub(crate) mod to_args;

pub use arg_buf::{ArgBuf, Args};
pub use builder::{AggregateKind, Builder, FrameBuilder, NullKind, PartialFrame, Skip};
pub use decode::{Decoder, decode_one};
pub use double::Double;
pub use encode::{
    ToArg, Version, encode, encode_command, encode_frame, encode_frame_resp2, streamed,
    write_array_header, write_bulk,
};
pub use frame::Frame;
pub use limits::{DecodeLimits, RequestLimits};
pub use raw::RawDecoder;
pub use rdb::{RdbDecoder, RdbPiece};
pub use request::{Request, RequestArgs, RequestDecoder};
pub use to_args::{Each, Pair, Single, ToArgs, Triple};
