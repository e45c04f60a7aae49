//! A dedicated upstream: one connection per client, bytes passed through.
//!
//! Requests go up re-encoded from their decoded parts (RESP arrays of bulk strings,
//! as Redis reads them); everything that comes down (replies, pub/sub messages,
//! `MONITOR` lines) goes to the client in arrival order through its outbox. No
//! request/reply matching is needed: the connection is the client's alone.

use bytes::{Bytes, BytesMut};
use redis_sansio::config::ServerAddr;
use redis_sansio::resp::{write_array_header, write_bulk};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedReceiver;

use super::forwarder::Forward;
use super::reply::dedicated_decoder;
use crate::outbox::Outbox;

/// Connects to `addr`, sends the `preamble` (bringing the new connection to the
/// client's state; its replies are dropped), then passes the client's requests up
/// and everything the server sends down, until either side goes. A lost upstream
/// closes the client, as the server's own close would.
pub(crate) async fn run(
    addr: &ServerAddr,
    preamble: Vec<Vec<Bytes>>,
    requests: UnboundedReceiver<Forward>,
    outbox: Outbox,
) {
    let result = match addr {
        ServerAddr::Tcp { host, port } => {
            match tokio::net::TcpStream::connect((host.as_str(), *port)).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    pipe(stream, preamble, requests, &outbox).await
                }
                Err(error) => Err(error.to_string()),
            }
        }
        ServerAddr::Unix { path } => match tokio::net::UnixStream::connect(path).await {
            Ok(stream) => pipe(stream, preamble, requests, &outbox).await,
            Err(error) => Err(error.to_string()),
        },
        #[allow(unreachable_patterns)]
        _ => Err("unsupported upstream address".to_owned()),
    };
    if result.is_err() {
        outbox.close();
    }
}

/// Appends `parts` as a RESP array of bulk strings.
fn encode_request(out: &mut BytesMut, parts: &[Bytes]) {
    write_array_header(out, parts.len());
    for part in parts {
        write_bulk(out, part);
    }
}

/// `Ok` when the client went away; `Err(why)` when the upstream did.
async fn pipe<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    preamble: Vec<Vec<Bytes>>,
    mut requests: UnboundedReceiver<Forward>,
    outbox: &Outbox,
) -> Result<(), String> {
    let mut out = BytesMut::new();
    let mut skip = preamble.len();
    for parts in &preamble {
        encode_request(&mut out, parts);
    }
    let mut input = BytesMut::with_capacity(16 * 1024);
    let mut decoder = dedicated_decoder();
    loop {
        if !out.is_empty() {
            stream.write_all(&out).await.map_err(|e| e.to_string())?;
            out.clear();
        }
        tokio::select! {
            request = requests.recv() => match request {
                Some(Forward::Raw(parts)) => encode_request(&mut out, &parts),
                Some(_) => {}
                None => return Ok(()),
            },
            read = stream.read_buf(&mut input) => {
                match read {
                    Ok(0) => return Err("closed by the server".to_owned()),
                    Ok(_) => {}
                    Err(error) => return Err(error.to_string()),
                }
                loop {
                    match decoder.decode(&mut input) {
                        Ok(Some(_)) if skip > 0 => skip -= 1,
                        Ok(Some(frame)) => {
                            if !outbox.push(frame) {
                                return Ok(());
                            }
                        }
                        Ok(None) => break,
                        Err(error) => return Err(format!("unreadable reply: {error}")),
                    }
                }
            }
        }
    }
}
