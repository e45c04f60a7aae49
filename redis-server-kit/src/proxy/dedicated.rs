//! A dedicated upstream: one connection per client, everything passed through.
//!
//! Requests go up re-encoded from their decoded parts (RESP arrays of bulk strings,
//! as Redis reads them); everything that comes down (replies, pub/sub messages,
//! `MONITOR` lines) goes to the client in arrival order through its outbox. No
//! request/reply matching is needed: the connection is the client's alone.

use bytes::{Bytes, BytesMut};
use redis_sansio::config::ServerAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::oneshot;

use super::encode_request;
use super::reply::{reply_decoder, upstream_reply};
use super::socket::UpstreamSocket;
use crate::outbox::Outbox;

/// Connects to `addr`, sends the `preamble` (bringing the new connection to the
/// client's state; its replies are dropped), waits for the `barriers` (every reply
/// the client's shared upstreams owed it delivered), then passes the client's
/// requests up and everything the server sends down, until either side goes. A
/// lost upstream closes the client, as the server's own close would.
pub(crate) async fn run(
    addr: ServerAddr,
    preamble: Vec<Vec<Bytes>>,
    barriers: Vec<oneshot::Receiver<()>>,
    requests: UnboundedReceiver<Vec<Bytes>>,
    outbox: Outbox,
) {
    let socket = UpstreamSocket::connect(&addr).await;
    for barrier in barriers {
        // An error means that upstream was lost; the client is being closed then.
        let _ = barrier.await;
    }
    let lost = match socket {
        Ok(socket) => pipe(socket, preamble, requests, &outbox).await,
        Err(_) => true,
    };
    if lost {
        outbox.close();
    }
}

/// True when the upstream went; false when the client did.
async fn pipe(
    mut socket: UpstreamSocket,
    preamble: Vec<Vec<Bytes>>,
    mut requests: UnboundedReceiver<Vec<Bytes>>,
    outbox: &Outbox,
) -> bool {
    let mut out = BytesMut::new();
    let mut skip = preamble.len();
    for parts in &preamble {
        encode_request(&mut out, parts);
    }
    let mut input = BytesMut::with_capacity(16 * 1024);
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
        tokio::select! {
            request = requests.recv() => match request {
                Some(parts) => encode_request(&mut out, &parts),
                None => return false,
            },
            read = socket.read_buf(&mut input) => {
                if !matches!(read, Ok(n) if n > 0) {
                    return true;
                }
                loop {
                    match decoder.decode(&mut input) {
                        Ok(Some(_)) if skip > 0 => skip -= 1,
                        Ok(Some(frame)) => {
                            if !outbox.push(upstream_reply(frame)) {
                                return false;
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return true,
                    }
                }
            }
        }
    }
}
