//! The error kinds of the core.

use bytes::Bytes;
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
    /// A frame holding more values than the limit.
    #[error("more than the limit of {limit} values in one frame")]
    TooManyValues {
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
    /// Server side: a request's `*` count that is not a number (Redis's `string2ll`
    /// grammar) or is above the most arguments allowed.
    #[error("invalid multibulk length")]
    InvalidMultibulkLength,
    /// Server side: an argument's `$` length that is not a number, is negative, or is
    /// above the longest argument allowed.
    #[error("invalid bulk length")]
    InvalidBulkLength,
    /// Server side: a request's `*` count line with no CR in more than the inline
    /// limit of buffered bytes.
    #[error("too big multibulk count line")]
    MultibulkCountTooLong,
    /// Server side: an argument's `$` length line with no CR in more than the inline
    /// limit of buffered bytes.
    #[error("too big bulk count line")]
    BulkCountTooLong,
    /// Server side, before authentication: a request announcing more than 10
    /// arguments.
    #[error("unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// Server side, before authentication: an argument announcing more than 16 KiB.
    #[error("unauthenticated bulk length")]
    UnauthenticatedBulkLength,
}

/// A reply that is an error, with its kind parsed from the first word.
///
/// The raw message is kept as bytes: Redis quotes user input inside errors, so it need
/// not be UTF-8.
///
/// It is one pointer wide (the parts live in a box): error replies are rare, and a
/// small error keeps every [`RequestError`], and so every reply's outcome, small.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerError(Box<ServerErrorParts>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ServerErrorParts {
    kind: ServerErrorKind,
    message: Bytes,
}

/// The kinds of server errors the rest of the stack acts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerErrorKind {
    /// `MOVED slot host:port`: the slot lives elsewhere now; update the slot map.
    Moved(Redirect),
    /// `ASK slot host:port`: ask that node once, after `ASKING`.
    Ask(Redirect),
    /// `TRYAGAIN`: a multi-key command during resharding; retry later.
    TryAgain,
    /// `CLUSTERDOWN`: the cluster cannot serve the request.
    ClusterDown,
    /// `LOADING`: the server is loading its dataset.
    Loading,
    /// `BUSY`: a script or function is running too long.
    Busy,
    /// `NOSCRIPT`: `EVALSHA` of a script the server does not have.
    NoScript,
    /// `NOAUTH`: authentication required.
    NoAuth,
    /// `WRONGPASS`: wrong user or password.
    WrongPass,
    /// `NOPERM`: the user may not run this command or touch this key.
    NoPerm,
    /// `WRONGTYPE`: the key holds another type.
    WrongType,
    /// `READONLY`: a write sent to a replica.
    ReadOnly,
    /// `MASTERDOWN`: a replica whose link to its master is down.
    MasterDown,
    /// `EXECABORT`: a transaction discarded because a queued command was refused.
    ExecAbort,
    /// `NOPROTO`: the protocol version asked for in `HELLO` is not supported.
    NoProto,
    /// `ERR`: the generic error.
    Err,
    /// Any other error code (the first word of the message).
    Other(String),
}

/// Where a `MOVED` or `ASK` error sends a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Redirect {
    /// The hash slot of the request's keys.
    pub slot: u16,
    /// The node to send it to, as `host:port` (the host may be empty: "the same host").
    pub addr: String,
}

impl ServerError {
    /// Parses an error reply's text (without the leading `-` or `!`).
    pub fn new(message: Bytes) -> Self {
        let code_len = message
            .iter()
            .position(|&b| b == b' ')
            .unwrap_or(message.len());
        let code = &message[..code_len];
        let redirect = || {
            let rest = std::str::from_utf8(&message[code_len..]).ok()?.trim();
            let (slot, addr) = rest.split_once(' ')?;
            Some(Redirect {
                slot: slot.parse().ok().filter(|&s: &u16| s < 16384)?,
                addr: addr.to_string(),
            })
        };
        let kind = match code {
            b"MOVED" => redirect().map_or_else(|| other(code), ServerErrorKind::Moved),
            b"ASK" => redirect().map_or_else(|| other(code), ServerErrorKind::Ask),
            b"TRYAGAIN" => ServerErrorKind::TryAgain,
            b"CLUSTERDOWN" => ServerErrorKind::ClusterDown,
            b"LOADING" => ServerErrorKind::Loading,
            b"BUSY" => ServerErrorKind::Busy,
            b"NOSCRIPT" => ServerErrorKind::NoScript,
            b"NOAUTH" => ServerErrorKind::NoAuth,
            b"WRONGPASS" => ServerErrorKind::WrongPass,
            b"NOPERM" => ServerErrorKind::NoPerm,
            b"WRONGTYPE" => ServerErrorKind::WrongType,
            b"READONLY" => ServerErrorKind::ReadOnly,
            b"MASTERDOWN" => ServerErrorKind::MasterDown,
            b"EXECABORT" => ServerErrorKind::ExecAbort,
            b"NOPROTO" => ServerErrorKind::NoProto,
            b"ERR" => ServerErrorKind::Err,
            _ => other(code),
        };
        ServerError(Box::new(ServerErrorParts { kind, message }))
    }

    /// The parsed kind.
    pub fn kind(&self) -> &ServerErrorKind {
        &self.0.kind
    }

    /// The whole message as the server sent it, error code first.
    pub fn message(&self) -> &Bytes {
        &self.0.message
    }

    /// The message as text, with invalid UTF-8 replaced.
    pub fn message_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0.message)
    }
}

/// Shown as the struct it was before its parts moved into a box, the message as text
/// (`"WRONGTYPE Operation against a key..."`, not `b"..."`; invalid UTF-8 replaced).
impl std::fmt::Debug for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerError")
            .field("kind", &self.0.kind)
            .field("message", &self.message_lossy())
            .finish()
    }
}

fn other(code: &[u8]) -> ServerErrorKind {
    ServerErrorKind::Other(String::from_utf8_lossy(code).into_owned())
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "server error: {}", self.message_lossy())
    }
}

impl std::error::Error for ServerError {}

/// A call the connection refused; the connection itself is unharmed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is closed (or closing); nothing more can be sent.
    #[error("the connection is closed")]
    Closed,
    /// A RESP2 connection with active subscriptions accepts only (P|S)SUBSCRIBE,
    /// (P|S)UNSUBSCRIBE, PING and QUIT.
    #[error("{command} is not allowed while subscribed on a RESP2 connection")]
    Subscribed {
        /// The refused command's name.
        command: String,
    },
    /// A connection in MONITOR mode only streams; close it to stop.
    #[error("the connection is in MONITOR mode")]
    Monitoring,
    /// Commands that change what the connection itself is (`HELLO`, `RESET`) belong to
    /// the handshake and the configuration, not to `send`.
    #[error("{command} changes the connection's protocol state; set it in the configuration")]
    ConnectionState {
        /// The refused command's name.
        command: String,
    },
    /// An empty command, or a transaction with no commands.
    #[error("empty command")]
    Empty,
    /// The connection is shared by many callers (a multiplexed client), and this
    /// command would change state every one of them sees (`SELECT`, `AUTH`, `WATCH`,
    /// `MULTI`, ...) or switch the connection into a mode (pub/sub, `MONITOR`) whose
    /// messages no caller receives. Use a dedicated connection for it.
    #[error("{command} is not allowed on a shared connection; use a dedicated one")]
    Shared {
        /// The refused command's name.
        command: String,
    },
    /// [`Connection::send_subscription`](crate::conn::Connection::send_subscription)
    /// was given something other than a subscribe or unsubscribe naming at least one
    /// channel or pattern.
    #[error("{command} is not a subscription command naming channels or patterns")]
    NotSubscription {
        /// The refused command's name.
        command: String,
    },
}

/// Why a connection closed. Every request still pending fails with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed the connection.
    #[error("the server closed the connection")]
    Eof,
    /// The application called `close`.
    #[error("the connection was closed locally")]
    Local,
    /// The server sent bytes that break the protocol.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The handshake did not finish in time.
    #[error("the handshake timed out")]
    HandshakeTimeout,
    /// The server refused the credentials (or required some that were not configured).
    #[error("authentication failed: {0}")]
    Auth(ServerError),
    /// The server refused another part of the handshake: `SELECT` of a database it
    /// does not have, or a client name it does not take (spaces, newlines).
    #[error("handshake failed: {0}")]
    Handshake(ServerError),
    /// The server sent a reply when no request was waiting for one: the stream can
    /// no longer be matched to requests.
    #[error("the server sent a reply nobody asked for")]
    UnexpectedReply,
    /// A request timed out while its reply was arriving, and the reply's headers
    /// announced at least `remaining` more bytes, over
    /// [`MAX_DRAIN_AFTER_TIMEOUT`](crate::conn::MAX_DRAIN_AFTER_TIMEOUT): the
    /// connection closed rather than read (and hold) a reply nobody waits for.
    #[error(
        "a request timed out while its reply was arriving, with at least {remaining} more bytes announced: the connection was closed rather than read them"
    )]
    TimedOutReplyTooLarge {
        /// The bytes the reply still announced, at least.
        remaining: u64,
    },
    /// The application left more pushes and messages unread on an exclusive
    /// connection than its [`PushLimits`](crate::config::PushLimits) allow: `count`
    /// of them, `bytes` bytes, were kept (and stay readable) when one more came.
    #[error(
        "{count} pushes ({bytes} bytes) were left unread, past the connection's push limits: drain its events"
    )]
    UnreadPushes {
        /// How many were kept unread.
        count: usize,
        /// Their bytes, as the limit counts them.
        bytes: usize,
    },
    /// A request timed out and then nothing at all arrived for a grace period: the
    /// connection was dropped as stalled (a dead peer, a network path that stopped
    /// forwarding), to be replaced by a new one where the client reconnects.
    #[error("the connection stalled: a request timed out and nothing arrived since")]
    Stalled,
}

/// Why a request has no reply.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The server answered with an error.
    #[error(transparent)]
    Server(ServerError),
    /// No reply came before the deadline. A reply that comes later is dropped.
    #[error("the request timed out")]
    Timeout,
    /// The connection closed after the request was written and before its reply
    /// came: the server may or may not have run it (its outcome is unknown).
    #[error("the connection closed: {0}")]
    Closed(CloseReason),
    /// The request was never written: it failed before it reached the server (the
    /// connection was lost while it waited to be sent, or could not be made), so the
    /// server did not run it and sending it again is safe.
    #[error("the request was not sent: {0}")]
    NotSent(CloseReason),
    /// `EXEC` returned null: a `WATCH`ed key changed, nothing was executed.
    #[error("the transaction was aborted because a watched key changed")]
    WatchConflict,
}

impl RequestError {
    /// True when the request reached the server but its outcome is unknown: the
    /// connection closed before the reply ([`Closed`](Self::Closed)) or the deadline
    /// passed ([`Timeout`](Self::Timeout)). A write in this state may have been
    /// applied; only the caller can decide whether sending it again is safe.
    pub fn is_unknown_outcome(&self) -> bool {
        matches!(self, RequestError::Closed(_) | RequestError::Timeout)
    }

    /// True when the request never reached the server ([`NotSent`](Self::NotSent)):
    /// sending it again cannot run it twice.
    pub fn is_not_sent(&self) -> bool {
        matches!(self, RequestError::NotSent(_))
    }
}
