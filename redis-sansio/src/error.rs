//! The error kinds of the core.

use thiserror::Error;

/// Bytes from the peer that break the protocol, or exceed a configured limit.
///
/// A protocol error is fatal and sticky: the decoder that reported it reports the
/// same error for every later call, because the stream can no longer be framed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A value started with a byte that is no RESP type.
    #[error("unknown RESP type byte {0:#04x}")]
    UnknownType(u8),
    /// A line ended in a bare LF, held a bare CR, or a payload was not followed by CRLF.
    #[error("expected CRLF")]
    ExpectedCrlf,
    /// An integer reply that breaks Redis's grammar (sign, leading zeros, `-0`,
    /// non-digits) or overflows 64 bits.
    #[error("invalid integer")]
    InvalidInteger,
    /// A length or count that is not a non-negative integer, `-1` or (where streaming
    /// is allowed) `?`.
    #[error("invalid length")]
    InvalidLength,
    /// A double that is neither a decimal number nor `inf`, `-inf` or `nan`.
    #[error("invalid double")]
    InvalidDouble,
    /// A boolean other than `t` or `f`.
    #[error("invalid boolean")]
    InvalidBoolean,
    /// A big number that is not an optionally negative run of digits.
    #[error("invalid big number")]
    InvalidBigNumber,
    /// A verbatim string shorter than four bytes or without `:` as its fourth byte.
    #[error("invalid verbatim string")]
    InvalidVerbatim,
    /// A `.` end marker outside a streamed aggregate, or right after attributes.
    #[error("unexpected end marker")]
    UnexpectedEnd,
    /// A `;` chunk outside a streamed string, or anything else inside one.
    #[error("unexpected streamed string chunk")]
    UnexpectedChunk,
    /// A streamed map ended after a key with no value.
    #[error("streamed map ended with an odd number of elements")]
    OddMap,
    /// Aggregates nested deeper than the limit.
    #[error("nesting deeper than the limit of {limit}")]
    TooDeep {
        /// The configured limit.
        limit: usize,
    },
    /// A bulk (or streamed) string longer than the limit.
    #[error("bulk length {len} over the limit of {limit}")]
    BulkTooLong {
        /// The announced length.
        len: u64,
        /// The configured limit.
        limit: usize,
    },
    /// An aggregate announcing more elements than the limit.
    #[error("aggregate length {len} over the limit of {limit}")]
    AggregateTooLong {
        /// The announced length.
        len: u64,
        /// The configured limit.
        limit: usize,
    },
    /// A frame (or request) spanning more bytes than the limit.
    #[error("frame larger than the limit of {limit} bytes")]
    FrameTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// Server side: an inline command line longer than the limit.
    #[error("inline request longer than the limit of {limit} bytes")]
    InlineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// Server side: an inline command with an unclosed quote, or a closing quote not
    /// followed by a space.
    #[error("unbalanced quotes in inline request")]
    UnbalancedQuotes,
    /// Server side: an element of a request array that is not a bulk string.
    #[error("expected '$' in request, got {0:#04x}")]
    ExpectedBulk(u8),
}
