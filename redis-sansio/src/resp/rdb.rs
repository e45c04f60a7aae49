//! The RDB transfer of the replication stream: the one bulk with no CRLF after it.

use bytes::{Buf, Bytes, BytesMut};

use super::number::string2ll;
use crate::ProtocolError;

/// The length of the random mark that delimits a diskless transfer.
const EOF_MARK_LEN: usize = 40;

/// The longest header line accepted (`$EOF:` and the mark, or a length).
const HEADER_MOST: usize = 5 + EOF_MARK_LEN;

/// A piece of an RDB transfer, as [`RdbDecoder::decode`] hands them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RdbPiece {
    /// The transfer starts: its length, or `None` for a diskless transfer whose end
    /// is marked instead (`$EOF:<mark>`).
    Start {
        /// The payload's length in bytes, when the header gave it.
        len: Option<u64>,
    },
    /// The next bytes of the RDB payload, as received (without copying).
    Data(Bytes),
    /// The payload is complete. What follows in the buffer is the replication stream:
    /// commands, read with a [`RequestDecoder`](super::RequestDecoder).
    End,
}

/// Reads the RDB payload a master sends a replica after `+FULLRESYNC` (or after
/// `SYNC`): `$<len>\r\n` and that many bytes with **no** CRLF after them, or, for a
/// diskless transfer, `$EOF:<40-byte mark>\r\n`, the payload, and the mark again.
/// The newlines a master sends to keep the link alive while it prepares the payload
/// are skipped.
///
/// The payload is handed out as it arrives, so a large one is never held whole.
///
/// ```
/// use bytes::BytesMut;
/// use redis_sansio::resp::{RdbDecoder, RdbPiece};
///
/// let mut rdb = RdbDecoder::new();
/// let mut buf = BytesMut::from(&b"\n\n$5\r\nREDIS*1\r\n$4\r\nPING\r\n"[..]);
/// assert_eq!(rdb.decode(&mut buf).unwrap(), Some(RdbPiece::Start { len: Some(5) }));
/// assert_eq!(rdb.decode(&mut buf).unwrap(), Some(RdbPiece::Data("REDIS".into())));
/// assert_eq!(rdb.decode(&mut buf).unwrap(), Some(RdbPiece::End));
/// assert_eq!(&buf[..], b"*1\r\n$4\r\nPING\r\n"); // the replication stream
/// ```
#[derive(Debug, Default)]
pub struct RdbDecoder {
    state: State,
}

#[derive(Debug, Default)]
enum State {
    /// Waiting for the `$` header.
    #[default]
    Header,
    /// This many payload bytes still to come.
    Sized(u64),
    /// A diskless transfer, until the mark.
    Marked(Bytes),
    /// The payload is complete; `End` has been handed out.
    Done,
}

impl RdbDecoder {
    /// A decoder waiting for the transfer's header.
    pub fn new() -> Self {
        Self::default()
    }

    /// True once the whole payload has been handed out.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// The next piece of the transfer from the front of `buf`, `Ok(None)` when more
    /// bytes are needed (or after [`RdbPiece::End`]), or the error for a header that
    /// is not an RDB transfer's.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<RdbPiece>, ProtocolError> {
        match &mut self.state {
            State::Header => self.header(buf),
            State::Sized(0) => {
                self.state = State::Done;
                Ok(Some(RdbPiece::End))
            }
            State::Sized(left) => {
                if buf.is_empty() {
                    return Ok(None);
                }
                let n = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
                *left -= n as u64;
                Ok(Some(RdbPiece::Data(buf.split_to(n).freeze())))
            }
            State::Marked(mark) => {
                if let Some(at) = memchr::memmem::find(buf, mark) {
                    if at > 0 {
                        return Ok(Some(RdbPiece::Data(buf.split_to(at).freeze())));
                    }
                    buf.advance(EOF_MARK_LEN);
                    self.state = State::Done;
                    return Ok(Some(RdbPiece::End));
                }
                // Hold back what may be the start of the mark.
                let safe = buf.len().saturating_sub(EOF_MARK_LEN - 1);
                if safe == 0 {
                    return Ok(None);
                }
                Ok(Some(RdbPiece::Data(buf.split_to(safe).freeze())))
            }
            State::Done => Ok(None),
        }
    }

    fn header(&mut self, buf: &mut BytesMut) -> Result<Option<RdbPiece>, ProtocolError> {
        let keepalives = buf.iter().take_while(|&&b| b == b'\n').count();
        buf.advance(keepalives);
        match buf.first() {
            None => return Ok(None),
            Some(b'$') => {}
            Some(&other) => return Err(ProtocolError::UnknownType(other)),
        }
        let window = &buf[..buf.len().min(HEADER_MOST + 2)];
        let Some(cr) = memchr::memchr(b'\r', window) else {
            if buf.len() > HEADER_MOST + 1 {
                return Err(ProtocolError::InvalidLength);
            }
            return Ok(None);
        };
        match buf.get(cr + 1) {
            None => return Ok(None),
            Some(b'\n') => {}
            Some(_) => return Err(ProtocolError::ExpectedCrlf),
        }
        let text = &buf[1..cr];
        let piece = if let Some(mark) = text.strip_prefix(b"EOF:") {
            if mark.len() != EOF_MARK_LEN {
                return Err(ProtocolError::InvalidLength);
            }
            self.state = State::Marked(Bytes::copy_from_slice(mark));
            RdbPiece::Start { len: None }
        } else {
            let len = string2ll(text)
                .and_then(|len| u64::try_from(len).ok())
                .ok_or(ProtocolError::InvalidLength)?;
            self.state = State::Sized(len);
            RdbPiece::Start { len: Some(len) }
        };
        buf.advance(cr + 2);
        Ok(Some(piece))
    }
}
