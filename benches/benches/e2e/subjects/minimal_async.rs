//! The minimal client on an async runtime (`minimal-tokio`, `minimal-smol`): the
//! floor for sequential latency on that runtime.
//!
//! The same reused buffers and reply scanning as the blocking minimal client, with
//! the IO through the runtime's reactor and the whole loop in one `block_on`: what is
//! left per round trip is what the runtime itself pays (its syscalls and wake-ups)
//! before any client code. It runs the sequential workload only
//! ([`runs`](super::runs)).

use std::future::poll_fn;
use std::io;
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use smol::io::{AsyncReadExt, AsyncWriteExt};

use super::exec::Exec;
use super::minimal::{Replies, Scanned, Stream, push_command};
use super::{Subject, Target, fail};

/// A socket registered with a runtime's reactor.
pub(crate) trait AsyncSocket {
    /// Reads into `buf`, waiting in the reactor while there is nothing to read.
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes all of `buf`, waiting in the reactor while the socket is full.
    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
}

/// tokio's sockets, through their `AsyncRead` and `AsyncWrite`: tokio keeps the
/// socket's readiness and forgets it after a short read, so the read after a reply
/// waits in the reactor rather than asking the kernel first.
pub(crate) enum TokioSocket {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

impl TokioSocket {
    /// The socket as tokio's IO traits see it.
    fn io(&mut self) -> Pin<&mut (dyn TokioIo + Unpin)> {
        match self {
            TokioSocket::Tcp(s) => Pin::new(s),
            TokioSocket::Unix(s) => Pin::new(s),
        }
    }
}

/// tokio's read and write halves in one trait object.
trait TokioIo: tokio::io::AsyncRead + tokio::io::AsyncWrite {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite> TokioIo for T {}

impl AsyncSocket for TokioSocket {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = tokio::io::ReadBuf::new(buf);
        poll_fn(|cx| self.io().poll_read(cx, &mut buf)).await?;
        Ok(buf.filled().len())
    }

    async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = poll_fn(|cx| self.io().poll_write(cx, buf)).await?;
            buf = &buf[n..];
        }
        Ok(())
    }
}

/// async-io's sockets (smol's and async-std's), through their `AsyncRead` and
/// `AsyncWrite`: try the operation, wait for readiness when it would block.
pub(crate) enum SmolSocket {
    Tcp(smol::Async<TcpStream>),
    Unix(smol::Async<UnixStream>),
}

impl AsyncSocket for SmolSocket {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            SmolSocket::Tcp(s) => s.read(buf).await,
            SmolSocket::Unix(s) => s.read(buf).await,
        }
    }

    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            SmolSocket::Tcp(s) => s.write_all(buf).await,
            SmolSocket::Unix(s) => s.write_all(buf).await,
        }
    }
}

/// The minimal client's sequential loop on the runtime `E`.
pub(crate) struct MinimalAsync<E, S> {
    exec: E,
    socket: S,
    out: Vec<u8>,
    replies: Replies,
}

/// Connects a blocking socket and makes it non-blocking, for a runtime to take over.
fn connect_nonblocking(target: &Target) -> io::Result<Stream> {
    let stream = Stream::connect(target)?;
    match &stream {
        Stream::Tcp(s) => s.set_nonblocking(true)?,
        Stream::Unix(s) => s.set_nonblocking(true)?,
    }
    Ok(stream)
}

impl<E: Exec> MinimalAsync<E, TokioSocket> {
    /// On tokio: `exec` must be a tokio runtime (its reactor registers the socket).
    pub(crate) fn connect_tokio(exec: E, target: &Target) -> Result<Self, String> {
        let stream = connect_nonblocking(target).map_err(fail("connect"))?;
        let socket = exec
            .block_on(async {
                io::Result::Ok(match stream {
                    Stream::Tcp(s) => TokioSocket::Tcp(tokio::net::TcpStream::from_std(s)?),
                    Stream::Unix(s) => TokioSocket::Unix(tokio::net::UnixStream::from_std(s)?),
                })
            })
            .map_err(fail("register with tokio"))?;
        Ok(Self::new(exec, socket))
    }
}

impl<E: Exec> MinimalAsync<E, SmolSocket> {
    /// On async-io's reactor (smol, async-std).
    pub(crate) fn connect_smol(exec: E, target: &Target) -> Result<Self, String> {
        let socket = match connect_nonblocking(target).map_err(fail("connect"))? {
            Stream::Tcp(s) => SmolSocket::Tcp(smol::Async::new(s).map_err(fail("register"))?),
            Stream::Unix(s) => SmolSocket::Unix(smol::Async::new(s).map_err(fail("register"))?),
        };
        Ok(Self::new(exec, socket))
    }
}

impl<E, S> MinimalAsync<E, S> {
    fn new(exec: E, socket: S) -> Self {
        MinimalAsync {
            exec,
            socket,
            out: Vec::with_capacity(1024),
            replies: Replies::new(),
        }
    }
}

const SEQUENTIAL_ONLY: &str =
    "the minimal client on an async runtime runs the sequential workload only";

impl<E: Exec, S: AsyncSocket> Subject for MinimalAsync<E, S> {
    fn sequential(&mut self, key: &Bytes, ops: usize, latencies: &mut Vec<Duration>) -> usize {
        let MinimalAsync {
            exec,
            socket,
            out,
            replies,
        } = self;
        exec.block_on(async {
            let mut found = 0;
            for _ in 0..ops {
                let start = Instant::now();
                push_command(out, &[b"GET", key]);
                socket.write_all(out).await.expect("write");
                out.clear();
                let reply = loop {
                    if let Some(reply) = replies.take() {
                        break reply;
                    }
                    let n = socket.read(replies.spare()).await.expect("read");
                    replies.filled(n);
                };
                found += usize::from(matches!(reply, Scanned::Bulk(_)));
                latencies.push(start.elapsed());
            }
            found
        })
    }

    fn pipelined(&mut self, _keys: &[Bytes], _value: &Bytes, _batch: usize) -> usize {
        unreachable!("{SEQUENTIAL_ONLY}")
    }

    fn multiplexed(&mut self, _: Arc<[Bytes]>, _tasks: usize, _per_task: usize) -> Option<usize> {
        unreachable!("{SEQUENTIAL_ONLY}")
    }

    fn mget(&mut self, _keys: &[Bytes], _calls: usize) -> usize {
        unreachable!("{SEQUENTIAL_ONLY}")
    }
}
