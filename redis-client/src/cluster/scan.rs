//! `SCAN` over every primary: one cursor that walks the primaries in turn, and the
//! [`Scan`] iterator and stream on the cluster bodies.
//!
//! The cursor the clients hand out is a number, so the generated `scan(cursor)`
//! method works too: `primary cursor * 4096 + primary index`, the primaries ordered
//! by address, `0` at the start and the end. Redis's guarantee (each key present
//! from start to end comes at least once) holds while the cluster's primaries do not
//! change during the scan.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use redis_io_async::Runtime;
use redis_sansio::resp::Frame;
use redis_sansio::{Cmd, RequestError, ServerError};

use super::ClusterClient;
use super::request::ClusterRequest;
use crate::Error;
use crate::scan::ScanBody;

/// Whether `cmd` is `SCAN` (the keyspace scan, not `HSCAN` and the like).
pub(crate) fn is_scan(cmd: &Cmd) -> bool {
    cmd.args()
        .next()
        .is_some_and(|name| name.eq_ignore_ascii_case(b"SCAN"))
}

/// How many primaries a cluster cursor can tell apart.
const PRIMARY_SLOTS: u64 = 4096;

/// Which of `count` primaries the cursor of `cmd` (`SCAN cursor ...`) points at, and
/// that primary's own cursor.
pub(crate) fn split_cursor(cmd: &Cmd, count: usize) -> Result<(usize, Bytes), Error> {
    let cursor = cmd.args().nth(1).unwrap_or(b"0");
    let parsed = std::str::from_utf8(cursor)
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .and_then(|value| {
            let index = usize::try_from(value % PRIMARY_SLOTS).ok()?;
            (index < count.max(1))
                .then(|| (index, Bytes::from((value / PRIMARY_SLOTS).to_string())))
        });
    parsed.ok_or_else(invalid_cursor)
}

/// `cmd` with the primary's own cursor in place of the cluster's.
pub(crate) fn node_cmd(cmd: &Cmd, cursor: &[u8]) -> Cmd {
    let mut out = Cmd::new("SCAN");
    out.push_arg(cursor);
    out.push_args(cmd.args().skip(2));
    out
}

/// The primary's page (`[cursor, [keys...]]`) with the cluster's cursor: on to the
/// next primary when this one is done, `0` after the last. A primary cursor too large
/// to combine (beyond 2^51) is an error.
pub(crate) fn cluster_page(mut page: Frame, index: usize, count: usize) -> Result<Frame, Error> {
    let Frame::Array(parts) = &mut page else {
        return Err(unexpected_page());
    };
    let mut parts = std::mem::take(parts);
    if parts.len() != 2 {
        return Err(unexpected_page());
    }
    let cursor = parts[0]
        .as_bytes()
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|text| text.parse::<u64>().ok())
        .ok_or_else(unexpected_page)?;
    let index = index as u64;
    let next = if cursor != 0 {
        cursor
            .checked_mul(PRIMARY_SLOTS)
            .and_then(|c| c.checked_add(index))
            .filter(|&c| i64::try_from(c).is_ok())
            .ok_or_else(unexpected_page)?
    } else if index + 1 < count as u64 {
        index + 1
    } else {
        0
    };
    parts[0] = Frame::bulk(next.to_string());
    Ok(Frame::Array(parts))
}

fn invalid_cursor() -> Error {
    Error::Request(RequestError::Server(ServerError::new(Bytes::from_static(
        b"ERR invalid cursor",
    ))))
}

fn unexpected_page() -> Error {
    Error::Conversion(crate::ConversionError::new("a SCAN page", "another reply"))
}

#[cfg(feature = "sync")]
mod blocking {
    use crate::cluster::ClusterConnection;
    use crate::scan::ScanState;
    use crate::{Error, FromReply, Scan};

    /// The blocking [`Scan`] iterator over a cluster, from [`Scan::iter_cluster`].
    #[derive(Debug)]
    pub struct ClusterScanIter<'a, T> {
        conn: &'a mut ClusterConnection,
        state: ScanState<T>,
    }

    impl<T: FromReply> Scan<T> {
        /// An `Iterator` over the elements on a cluster: `SCAN` walks every primary
        /// in turn; `HSCAN`, `SSCAN` and `ZSCAN` go to their key's node. A failed
        /// fetch is yielded as an `Err`, after which it ends.
        pub fn iter_cluster(self, conn: &mut ClusterConnection) -> ClusterScanIter<'_, T> {
            ClusterScanIter {
                conn,
                state: ScanState::new(self),
            }
        }
    }

    impl<T: FromReply> Iterator for ClusterScanIter<'_, T> {
        type Item = Result<T, Error>;

        fn next(&mut self) -> Option<Self::Item> {
            loop {
                if let Some(item) = self.state.items.pop_front() {
                    return Some(Ok(item));
                }
                let cmd = self.state.next_cmd()?;
                let page = self.conn.request(&cmd);
                if let Err(error) = self.state.handle_page(page) {
                    return Some(Err(error));
                }
            }
        }
    }
}

#[cfg(feature = "sync")]
pub use blocking::ClusterScanIter;

/// `Scan::keys().stream(&cluster)`: pages fetched through the cluster client, `SCAN`
/// over every primary.
impl<'a, Rt: Runtime> ScanBody<'a> for &'a ClusterClient<Rt> {
    type Fetch = ClusterFetch<'a, Rt>;

    fn fetch(self, cmd: &Cmd) -> Self::Fetch {
        ClusterFetch {
            client: self,
            request: self.request(cmd),
        }
    }

    fn reclaim(fetch: Self::Fetch) -> Self {
        fetch.client
    }
}

/// A page being fetched through a cluster client, keeping the client at hand.
#[derive(Debug)]
pub struct ClusterFetch<'a, Rt: Runtime> {
    client: &'a ClusterClient<Rt>,
    request: ClusterRequest<Rt>,
}

impl<Rt: Runtime> Future for ClusterFetch<'_, Rt> {
    type Output = Result<Frame, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().request).poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(cursor: &str) -> Cmd {
        Cmd::new("SCAN").arg(cursor).arg("MATCH").arg("k*")
    }

    #[test]
    fn cursors_walk_the_primaries_in_turn() {
        assert_eq!(split_cursor(&scan("0"), 3).unwrap(), (0, Bytes::from("0")));
        assert_eq!(split_cursor(&scan("2"), 3).unwrap(), (2, Bytes::from("0")));
        let cursor = (17 * 4096 + 1).to_string();
        assert_eq!(
            split_cursor(&scan(&cursor), 3).unwrap(),
            (1, Bytes::from("17"))
        );
        for bad in ["3", "4099", "x", "-1", ""] {
            assert!(split_cursor(&scan(bad), 3).is_err(), "{bad}");
        }
        let page =
            |cursor: &str| Frame::Array(vec![Frame::bulk(cursor.to_owned()), Frame::Array(vec![])]);
        let cursor_of = |frame: Frame| match frame {
            Frame::Array(ref parts) => parts[0].as_bytes().unwrap().clone(),
            _ => panic!(),
        };
        assert_eq!(
            cursor_of(cluster_page(page("42"), 1, 3).unwrap()),
            (42 * 4096 + 1).to_string()
        );
        assert_eq!(cursor_of(cluster_page(page("0"), 1, 3).unwrap()), "2");
        assert_eq!(cursor_of(cluster_page(page("0"), 2, 3).unwrap()), "0");
        assert!(cluster_page(page(&(1u64 << 60).to_string()), 0, 3).is_err());
        assert!(cluster_page(Frame::Integer(1), 0, 3).is_err());
        let args: Vec<Vec<u8>> = node_cmd(&scan("69633"), b"17")
            .args()
            .map(<[u8]>::to_vec)
            .collect();
        assert_eq!(args, [&b"SCAN"[..], b"17", b"MATCH", b"k*"]);
    }
}
