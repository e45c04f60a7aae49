//! Decoder limits and their defaults.

/// Bounds the reply decoder enforces on what a peer sends.
///
/// Exceeding a limit is a [`ProtocolError`](crate::ProtocolError): the decoder stops
/// and stays stopped. Lengths read from the wire are checked against these limits
/// before anything is done with them, and never used to preallocate memory beyond
/// what the bytes already received can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Deepest nesting of aggregates (arrays, maps, sets, pushes, attributes).
    /// Default [`DecodeLimits::DEFAULT_MAX_DEPTH`]: 10,000, above the deepest reply
    /// Redis produces (a recursive Lua table comes back 7,996 levels deep, ending in
    /// `-ERR reached lua stack limit`, the Lua C stack being 8,000 slots).
    ///
    /// Decoding, encoding and dropping a [`Frame`](super::Frame) use no recursion, so
    /// any depth is safe for them; the limit bounds what a peer can make the derived
    /// `Clone`, `PartialEq` and `Debug` of `Frame` (which do recurse) go through.
    pub max_depth: usize,
    /// Longest bulk string, bulk error, verbatim string or streamed string, in bytes.
    /// Default [`DecodeLimits::DEFAULT_MAX_BULK_LEN`]: 512 MiB, Redis's own
    /// `proto-max-bulk-len`.
    pub max_bulk_len: usize,
    /// Most elements one aggregate may announce (a map counts its pairs).
    /// Default [`DecodeLimits::DEFAULT_MAX_AGGREGATE_LEN`]: 2^31 - 1.
    pub max_aggregate_len: usize,
    /// Most bytes one frame may span, counting what has been parsed of it and what is
    /// buffered while it is incomplete. Default
    /// [`DecodeLimits::DEFAULT_MAX_FRAME_SIZE`]: 1 GiB.
    pub max_frame_size: usize,
    /// Most values one frame may hold: every element of every aggregate in it, at any
    /// depth (a map's keys and values each count). Off by default
    /// ([`DecodeLimits::DEFAULT_MAX_VALUES`]: `usize::MAX`).
    ///
    /// It bounds wire-to-heap amplification: a [`Frame`](super::Frame) takes 40 bytes
    /// however few wire bytes it came from (`_\r\n` is 3), so a reply's decoded
    /// size can reach about 13 times its wire size (plus up to twice that while an
    /// aggregate's vector grows); string payloads are slices of the wire bytes and
    /// add nothing. Set it to bound a reply's decoded size to about 40 bytes per
    /// value allowed.
    pub max_values: usize,
}

impl DecodeLimits {
    /// Default for [`DecodeLimits::max_depth`].
    pub const DEFAULT_MAX_DEPTH: usize = 10_000;
    /// Default for [`DecodeLimits::max_bulk_len`].
    pub const DEFAULT_MAX_BULK_LEN: usize = 512 * 1024 * 1024;
    /// Default for [`DecodeLimits::max_aggregate_len`].
    pub const DEFAULT_MAX_AGGREGATE_LEN: usize = i32::MAX as usize;
    /// Default for [`DecodeLimits::max_frame_size`].
    pub const DEFAULT_MAX_FRAME_SIZE: usize = 1024 * 1024 * 1024;
    /// Default for [`DecodeLimits::max_values`]: no limit.
    pub const DEFAULT_MAX_VALUES: usize = usize::MAX;
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_bulk_len: Self::DEFAULT_MAX_BULK_LEN,
            max_aggregate_len: Self::DEFAULT_MAX_AGGREGATE_LEN,
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            max_values: Self::DEFAULT_MAX_VALUES,
        }
    }
}

/// Bounds the server-side request decoder enforces on what a client sends.
///
/// The defaults follow Redis's own server limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// Longest inline command line, in bytes. Default
    /// [`RequestLimits::DEFAULT_MAX_INLINE_LEN`]: 64 KiB, Redis's `PROTO_INLINE_MAX_SIZE`.
    pub max_inline_len: usize,
    /// Most arguments in one multibulk request. Default
    /// [`RequestLimits::DEFAULT_MAX_ARGS`]: 2^31 - 1.
    pub max_args: usize,
    /// Longest argument, in bytes. Default [`RequestLimits::DEFAULT_MAX_BULK_LEN`]:
    /// 512 MiB.
    pub max_bulk_len: usize,
    /// Most bytes one request may span while incomplete. Default
    /// [`RequestLimits::DEFAULT_MAX_REQUEST_SIZE`]: 1 GiB, Redis's
    /// `client-query-buffer-limit`.
    pub max_request_size: usize,
}

impl RequestLimits {
    /// Default for [`RequestLimits::max_inline_len`].
    pub const DEFAULT_MAX_INLINE_LEN: usize = 64 * 1024;
    /// Default for [`RequestLimits::max_args`].
    pub const DEFAULT_MAX_ARGS: usize = i32::MAX as usize;
    /// Default for [`RequestLimits::max_bulk_len`].
    pub const DEFAULT_MAX_BULK_LEN: usize = 512 * 1024 * 1024;
    /// Default for [`RequestLimits::max_request_size`].
    pub const DEFAULT_MAX_REQUEST_SIZE: usize = 1024 * 1024 * 1024;
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_inline_len: Self::DEFAULT_MAX_INLINE_LEN,
            max_args: Self::DEFAULT_MAX_ARGS,
            max_bulk_len: Self::DEFAULT_MAX_BULK_LEN,
            max_request_size: Self::DEFAULT_MAX_REQUEST_SIZE,
        }
    }
}
