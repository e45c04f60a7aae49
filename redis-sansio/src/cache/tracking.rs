//! The server side of client-side caching: the `CLIENT TRACKING` command a mode
//! asks for, and the invalidation messages the server sends back.

use bytes::Bytes;

use crate::Cmd;
use crate::resp::Frame;

/// The channel a RESP2 connection subscribes to for the invalidations the server
/// redirects to it (`CLIENT TRACKING on REDIRECT <id>`).
pub const INVALIDATE_CHANNEL: &str = "__redis__:invalidate";

/// Which keys the server tells the client about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrackingMode {
    /// The server remembers the keys each read touched and invalidates those.
    #[default]
    Default,
    /// Like `Default`, but only reads preceded by `CLIENT CACHING yes` are
    /// remembered: the cache asks for it before each read it means to keep
    /// ([`ReadTicket::optin`](super::ReadTicket::optin)), and other reads cost the
    /// server nothing.
    OptIn,
    /// Broadcasting: the server remembers nothing per client and invalidates every
    /// key that starts with one of the prefixes (every key when there are none). The
    /// cache keeps only replies of keys under the prefixes.
    Broadcast {
        /// The key prefixes, each sent as `PREFIX p`.
        prefixes: Vec<Bytes>,
    },
}

impl TrackingMode {
    /// `CLIENT TRACKING on` for this mode, with `REDIRECT id` when the invalidations
    /// go to another connection (RESP2: one subscribed to [`INVALIDATE_CHANNEL`]).
    /// Never `NOLOOP`: the client's own writes must invalidate its cache too.
    pub fn tracking_cmd(&self, redirect: Option<i64>) -> Cmd {
        let mut cmd = Cmd::new("CLIENT").arg("TRACKING").arg("on");
        if let Some(id) = redirect {
            cmd.push_arg("REDIRECT");
            cmd.push_arg(id);
        }
        match self {
            TrackingMode::Default => {}
            TrackingMode::OptIn => cmd.push_arg("OPTIN"),
            TrackingMode::Broadcast { prefixes } => {
                cmd.push_arg("BCAST");
                for prefix in prefixes {
                    cmd.push_arg("PREFIX");
                    cmd.push_arg(prefix);
                }
            }
        }
        cmd
    }

    /// Whether the server will tell about `key` once it is read: always, but in
    /// broadcasting mode only under one of the prefixes.
    pub fn tracks(&self, key: &[u8]) -> bool {
        match self {
            TrackingMode::Broadcast { prefixes } if !prefixes.is_empty() => {
                prefixes.iter().any(|prefix| key.starts_with(prefix))
            }
            _ => true,
        }
    }
}

/// `CLIENT CACHING yes`: sent right before a read in [`TrackingMode::OptIn`], on the
/// same connection, for the server to remember that read's key.
pub fn caching_yes_cmd() -> Cmd {
    Cmd::new("CLIENT").arg("CACHING").arg("yes")
}

/// What the server says changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// These keys changed (were written, deleted, expired or evicted).
    Keys(Vec<Bytes>),
    /// Everything may have changed: `FLUSHDB`, `FLUSHALL`, or the server ran out of
    /// tracking table room (a null invalidation).
    All,
}

impl Invalidation {
    /// Reads an invalidation out of a pushed frame: a RESP3 push
    /// `>2 invalidate [keys | null]`, or the message a RESP2 connection subscribed to
    /// [`INVALIDATE_CHANNEL`] gets (`message __redis__:invalidate [keys | null]`,
    /// as a push or a plain array). `None` for any other frame.
    pub fn from_frame(frame: &Frame) -> Option<Invalidation> {
        let items = match frame.without_attributes() {
            Frame::Push(items) | Frame::Array(items) => items,
            _ => return None,
        };
        let kind = items.first()?.as_bytes()?;
        let payload = if kind.eq_ignore_ascii_case(b"invalidate") && items.len() == 2 {
            &items[1]
        } else if kind.eq_ignore_ascii_case(b"message")
            && items.len() == 3
            && items[1].as_bytes()? == INVALIDATE_CHANNEL.as_bytes()
        {
            &items[2]
        } else {
            return None;
        };
        match payload {
            Frame::Array(keys) | Frame::Set(keys) => Some(Invalidation::Keys(
                keys.iter().filter_map(Frame::as_bytes).cloned().collect(),
            )),
            // One key as a string: not what servers send, but unambiguous.
            Frame::BulkString(key) | Frame::SimpleString(key) => {
                Some(Invalidation::Keys(vec![key.clone()]))
            }
            other if other.is_null() => Some(Invalidation::All),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_ask_for_their_tracking() {
        let args = |cmd: Cmd| -> Vec<Vec<u8>> { cmd.args().map(<[u8]>::to_vec).collect() };
        assert_eq!(
            args(TrackingMode::Default.tracking_cmd(None)),
            args(Cmd::from_args(["CLIENT", "TRACKING", "on"]))
        );
        assert_eq!(
            args(TrackingMode::OptIn.tracking_cmd(Some(7))),
            args(Cmd::from_args([
                "CLIENT", "TRACKING", "on", "REDIRECT", "7", "OPTIN"
            ]))
        );
        let bcast = TrackingMode::Broadcast {
            prefixes: vec![Bytes::from_static(b"user:"), Bytes::from_static(b"s:")],
        };
        assert_eq!(
            args(bcast.tracking_cmd(None)),
            args(Cmd::from_args([
                "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "s:"
            ]))
        );
        assert!(bcast.tracks(b"user:1") && !bcast.tracks(b"other"));
        assert!(TrackingMode::Default.tracks(b"other"));
    }

    #[test]
    fn invalidations_are_read_from_resp3_pushes_and_resp2_messages() {
        let keys = Frame::Array(vec![Frame::bulk("a"), Frame::bulk("b")]);
        let push = Frame::Push(vec![Frame::bulk("invalidate"), keys.clone()]);
        let expected = Invalidation::Keys(vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
        assert_eq!(Invalidation::from_frame(&push), Some(expected.clone()));
        let message = Frame::Array(vec![
            Frame::bulk("message"),
            Frame::bulk(INVALIDATE_CHANNEL),
            keys,
        ]);
        assert_eq!(Invalidation::from_frame(&message), Some(expected));
        let flush = Frame::Push(vec![Frame::bulk("invalidate"), Frame::Null]);
        assert_eq!(Invalidation::from_frame(&flush), Some(Invalidation::All));
        let flush2 = Frame::Array(vec![
            Frame::bulk("message"),
            Frame::bulk(INVALIDATE_CHANNEL),
            Frame::NullArray,
        ]);
        assert_eq!(Invalidation::from_frame(&flush2), Some(Invalidation::All));
        for other in [
            Frame::Push(vec![
                Frame::bulk("message"),
                Frame::bulk("news"),
                Frame::bulk("x"),
            ]),
            Frame::Push(vec![Frame::bulk("invalidate")]),
            Frame::Push(vec![Frame::Integer(1), Frame::Null]),
            Frame::bulk("invalidate"),
            Frame::Push(vec![]),
        ] {
            assert_eq!(Invalidation::from_frame(&other), None, "{other:?}");
        }
    }
}
