//! The stand-in for [`TlsSession`] without the `tls` feature: a type that cannot be
//! made, whose `new` says TLS is not compiled in. The adapters' TLS paths compile
//! unchanged and are never taken.

use std::io::{self, Read, Write};

use redis_sansio::config::ConnectionConfig;

use crate::Error;

/// A TLS session; this build has none (no `tls` feature), so none can be made.
#[derive(Debug)]
pub enum TlsSession {}

impl TlsSession {
    /// Always fails with [`Error::TlsUnsupported`]: this build has no `tls` feature.
    pub fn new(config: &ConnectionConfig) -> Result<Self, Error> {
        let _ = config;
        Err(Error::TlsUnsupported)
    }

    /// Cannot be called: no session exists.
    pub fn handshake(&mut self, _io: &mut (impl Read + Write)) -> io::Result<()> {
        match *self {}
    }

    /// Cannot be called: no session exists.
    pub fn read(&mut self, _io: &mut (impl Read + Write), _buf: &mut [u8]) -> io::Result<usize> {
        match *self {}
    }

    /// Cannot be called: no session exists.
    pub fn write(&mut self, _io: &mut (impl Read + Write), _buf: &[u8]) -> io::Result<usize> {
        match *self {}
    }

    /// Cannot be called: no session exists.
    pub fn close(&mut self, _io: &mut (impl Read + Write)) {
        match *self {}
    }

    /// Cannot be called: no session exists.
    pub fn handshake_error(&self, _error: io::Error) -> super::TlsError {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::path::Path;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    use std::time::Instant;

    use crate::{Connection, Error, Runtime, Unsupported};

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
        assert!(!crate::TLS_SUPPORTED);
    }
}
