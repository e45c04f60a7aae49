//! A dedicated upstream: one connection per client, everything passed through.
//!
//! Requests go up re-encoded from their decoded parts (RESP arrays of bulk strings,
//! as Redis reads them); everything that comes down (replies, pub/sub messages,
//! `MONITOR` lines, the replication stream after `SYNC` with its RDB payload) goes to
//! the client byte for byte, in arrival order, through its outbox. No request/reply
//! matching is needed, nor any decoding past the preamble's replies: the connection
//! is the client's alone, in the client's protocol (a `HELLO` goes up and changes
//! both).

use bytes::{Bytes, BytesMut};
use redis_sansio::config::ServerAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::oneshot;

use super::encode_request;
use super::reply::{forwarded, reply_decoder};
use super::socket::UpstreamSocket;
use crate::outbox::Outbox;

/// The room a read from the upstream gets.
const READ_ROOM: usize = 16 * 1024;

/// What a new dedicated upstream starts from.
pub(crate) struct Start {
    /// The upstream's address, to connect to when there is no `spare`.
    pub(crate) addr: ServerAddr,
    /// An idle connection already open (see [`Spares`](super::spares::Spares)).
    pub(crate) spare: Option<UpstreamSocket>,
    /// The commands that bring the connection to the client's state; their replies
    /// are dropped.
    pub(crate) preamble: Vec<Vec<Bytes>>,
    /// The client's request that asked for the upstream.
    pub(crate) first: Vec<Bytes>,
    /// Fire once every reply the client's shared upstreams owed it is delivered.
    pub(crate) barriers: Vec<oneshot::Receiver<()>>,
}

/// Starts a dedicated upstream: sends the preamble and the first request, then
/// passes the client's `requests` up and everything the server sends down, until
/// either side goes. A lost upstream closes the client, as the server's own close
/// would.
///
/// With a spare connection and nothing owed by the shared upstreams, the preamble
/// and the first request are written here and now, before the caller handles
/// anything else: they reach the server ahead of whatever another client sends
/// after them, as they would without a proxy.
pub(crate) fn start(start: Start, requests: UnboundedReceiver<Vec<Bytes>>, outbox: Outbox) {
    let mut out = BytesMut::new();
    for parts in start.preamble.iter().chain([&start.first]) {
        encode_request(&mut out, parts);
    }
    let skip = start.preamble.len();
    let mut spare = start.spare;
    if start.barriers.is_empty() {
        if let Some(socket) = spare.as_ref() {
            if socket.write_now(&mut out).is_err() {
                spare = None;
            }
        }
    }
    tokio::spawn(async move {
        let socket = match spare {
            Some(socket) => Ok(socket),
            None => UpstreamSocket::connect(&start.addr).await,
        };
        for barrier in start.barriers {
            // An error means that upstream was lost; the client is being closed then.
            let _ = barrier.await;
        }
        let lost = match socket {
            Ok(socket) => pipe(socket, skip, out, requests, &outbox).await,
            Err(_) => true,
        };
        if lost {
            outbox.close();
        }
    });
}

/// True when the upstream went; false when the client did.
/// `out` holds what is still to be written of the preamble and the first
/// request; the first `skip` replies are the preamble's.
async fn pipe(
    mut socket: UpstreamSocket,
    mut skip: usize,
    mut out: BytesMut,
    mut requests: UnboundedReceiver<Vec<Bytes>>,
    outbox: &Outbox,
) -> bool {
    let mut input = BytesMut::new();
    let mut decoder = reply_decoder();
    loop {
        while let Ok(parts) = requests.try_recv() {
            encode_request(&mut out, &parts);
        }
        if !out.is_empty() {
            if socket.write_all(&out).await.is_err() {
                return true;
            }
            out.clear();
        }
        // What was read went to the client whole: room for the next read.
        input.reserve(READ_ROOM);
        tokio::select! {
            request = requests.recv() => match request {
                Some(parts) => encode_request(&mut out, &parts),
                None => return false,
            },
            read = socket.read_buf(&mut input) => {
                if !matches!(read, Ok(n) if n > 0) {
                    return true;
                }
                // The preamble's replies are dropped; after them everything goes to
                // the client as it came.
                while skip > 0 {
                    match decoder.decode(&mut input) {
                        Ok(Some(_)) => skip -= 1,
                        Ok(None) => break,
                        Err(_) => return true,
                    }
                }
                if skip == 0 && !input.is_empty() && !outbox.push_raw(forwarded(&mut input)) {
                    return false;
                }
            }
        }
    }
}
