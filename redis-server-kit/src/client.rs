//! What a session knows of its client: protocol, name, database, user.

use bytes::Bytes;
use redis_sansio::resp::Version;

/// One connection's client-visible settings, kept by the session and changed by the
/// default `HELLO`, `AUTH`, `SELECT` and `CLIENT SETNAME` (or by a handler that
/// overrides them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The id `CLIENT ID` and `HELLO` report: unique per server, from 1.
    pub id: u64,
    /// RESP2 until the client says `HELLO 3`; replies and pushes are encoded in it.
    pub protocol: Version,
    /// Set by `CLIENT SETNAME` or `HELLO ... SETNAME`.
    pub name: Option<Bytes>,
    /// Set by `SELECT`; 0 at first.
    pub db: u32,
    /// The user of the last successful `AUTH`/`HELLO ... AUTH`; `None` before.
    pub user: Option<Bytes>,
    /// Whether the client may run commands: true from the start when the handler
    /// requires no password.
    pub authenticated: bool,
    /// The peer's address, as the body saw it (`127.0.0.1:50000`, or the Unix
    /// socket's path or `unix`).
    pub peer: String,
}

impl ClientInfo {
    /// A new client with id `id`, in RESP2, database 0.
    pub fn new(id: u64, peer: String, authenticated: bool) -> Self {
        ClientInfo {
            id,
            protocol: Version::Resp2,
            name: None,
            db: 0,
            user: None,
            authenticated,
            peer,
        }
    }

    /// Whether the client speaks RESP3.
    pub fn is_resp3(&self) -> bool {
        self.protocol == Version::Resp3
    }
}
