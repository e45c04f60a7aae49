//! The reply Redis sends a client whose request it cannot read.

use bytes::Bytes;

use crate::ProtocolError;

impl ProtocolError {
    /// The exact reply Redis 7 writes before closing a client that sent bytes
    /// [`RequestDecoder`](crate::resp::RequestDecoder) refuses with this error, such
    /// as `-ERR Protocol error: invalid bulk length\r\n`.
    ///
    /// `None` when Redis closes the connection without a reply (the query buffer
    /// limit, [`ProtocolError::FrameTooLarge`]), and for errors only the reply
    /// decoder reports.
    ///
    /// A server answers as Redis does by writing this after the replies to every
    /// request decoded before the error, reading nothing more, and closing the
    /// connection once it is written.
    pub fn redis_reply(&self) -> Option<Bytes> {
        let reason = match self {
            ProtocolError::InvalidMultibulkLength => "invalid multibulk length",
            ProtocolError::InvalidBulkLength => "invalid bulk length",
            ProtocolError::MultibulkCountTooLong => "too big mbulk count string",
            ProtocolError::BulkCountTooLong => "too big bulk count string",
            ProtocolError::InlineTooLong { .. } => "too big inline request",
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in request",
            ProtocolError::UnauthenticatedMultibulkLength => "unauthenticated multibulk length",
            ProtocolError::UnauthenticatedBulkLength => "unauthenticated bulk length",
            ProtocolError::ExpectedBulk(byte) => {
                // Redis formats the byte with `%c` and turns CR and LF into spaces.
                let byte = if matches!(byte, b'\r' | b'\n') {
                    b' '
                } else {
                    *byte
                };
                let mut reply = b"-ERR Protocol error: expected '$', got '".to_vec();
                reply.push(byte);
                reply.extend_from_slice(b"'\r\n");
                return Some(Bytes::from(reply));
            }
            _ => return None,
        };
        Some(Bytes::from(format!("-ERR Protocol error: {reason}\r\n")))
    }
}
