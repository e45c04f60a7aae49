//! Built without the `tls` feature (`cargo test -p redis-io-async` alone), a
//! `rediss://` URL fails with `Error::TlsUnsupported` before any socket opens.
#![cfg(not(feature = "tls"))]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use redis_io_async::{Connection, Error, Runtime, Unsupported};

/// A runtime whose sockets never open: the TLS check must come first.
struct NoSockets;

impl Runtime for NoSockets {
    type Tcp = Unsupported;
    type Unix = Unsupported;
    type Sleep = std::future::Pending<()>;

    async fn resolve(_: &str, _: u16) -> io::Result<Vec<SocketAddr>> {
        panic!("resolved a host although TLS is not compiled in")
    }

    async fn connect_tcp(_: SocketAddr) -> io::Result<Unsupported> {
        panic!("connected although TLS is not compiled in")
    }

    async fn connect_unix(_: &Path) -> io::Result<Unsupported> {
        panic!("connected although TLS is not compiled in")
    }

    fn sleep_until(_: Instant) -> Self::Sleep {
        std::future::pending()
    }

    fn spawn<F: Future<Output = ()> + Send + 'static>(_: F) {}
}

#[test]
fn rediss_is_refused_before_any_socket_opens() {
    for url in ["rediss://127.0.0.1:6380", "rediss://cache.example"] {
        let mut open = pin!(Connection::<NoSockets>::open(url));
        let polled = open.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(
            matches!(polled, Poll::Ready(Err(Error::TlsUnsupported))),
            "{url}: {:?}",
            polled.map(|result| result.map(|_| ()))
        );
    }
    assert!(!redis_io_async::TLS_SUPPORTED);
}
