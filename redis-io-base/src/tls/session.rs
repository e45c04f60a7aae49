//! The TLS session every adapter drives: rustls's sans-IO [`ClientConnection`] run over
//! any `Read + Write`, blocking or not.

use std::io::{self, ErrorKind, Read, Write};

use redis_sansio::config::ConnectionConfig;
use rustls::ClientConnection;

use super::client_config::{client_config, server_name};
use super::{TlsError, TlsErrorKind};
use crate::Error;

/// One client TLS session, without its socket: each call is handed the socket as a
/// `Read + Write` to do its IO through.
///
/// Every adapter drives this one type: the blocking connection and the mio fan-out over
/// std and mio sockets, and the async driver over any runtime's
/// async runtime's socket (whose `Pending` it sees as `WouldBlock`). A
/// `WouldBlock` from the socket comes back out as it is, with the session's state
/// kept, so the same call made again resumes; it is the only time `WouldBlock` comes
/// out.
///
/// Order of use: [`new`](Self::new) (no IO), [`handshake`](Self::handshake) until it
/// returns `Ok`, then [`read`](Self::read) and [`write`](Self::write) as the
/// connection needs, and [`close`](Self::close) once done. TLS failures come out as
/// an [`io::Error`] carrying a [`TlsError`] (see [`TlsError::into_io`]), which
/// `From<io::Error>` for [`Error`] turns into [`Error::Tls`].
pub struct TlsSession {
    conn: ClientConnection,
    /// The first bytes the server sent during the handshake, to recognise a
    /// plain-text answer, and how many it sent in all.
    first_bytes: [u8; FIRST_BYTES],
    received: usize,
}

/// How many of the server's first bytes a session keeps, to show and recognise them.
const FIRST_BYTES: usize = 48;

impl std::fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSession")
            .field("handshaking", &self.conn.is_handshaking())
            .finish_non_exhaustive()
    }
}

impl TlsSession {
    /// A session for the server `config` names, verified and authenticated as
    /// `config.tls_options` says. No IO happens here; call it before opening the
    /// socket, so bad settings fail before any connection is made.
    ///
    /// Fails with [`Error::Tls`] of kind [`TlsErrorKind::Config`] (bad PEM, no roots)
    /// or [`TlsErrorKind::ServerName`]. Without the `tls` feature, always fails with
    /// [`Error::TlsUnsupported`].
    pub fn new(config: &ConnectionConfig) -> Result<Self, Error> {
        let name = server_name(config)?;
        let client = client_config(&config.tls_options)?;
        let conn = ClientConnection::new(client, name)
            .map_err(|error| Error::Tls(TlsError::new(TlsErrorKind::Config, error)))?;
        Ok(TlsSession {
            conn,
            first_bytes: [0; FIRST_BYTES],
            received: 0,
        })
    }

    /// Runs the handshake over `io` until it is complete and our last message is
    /// written. With a non-blocking `io`, returns `WouldBlock` when the socket does;
    /// call again once it is ready. An EOF before the end is `UnexpectedEof`.
    ///
    /// The adapter bounds it with the connect timeout and turns its error into
    /// [`Error::Tls`] with [`TlsError::from_handshake`].
    pub fn handshake(&mut self, io: &mut (impl Read + Write)) -> io::Result<()> {
        loop {
            self.flush(io)?;
            if !self.conn.is_handshaking() {
                return Ok(());
            }
            let mut recorded = Recorded {
                io: &mut *io,
                first_bytes: &mut self.first_bytes,
                received: &mut self.received,
            };
            let filled = self.conn.read_tls(&mut recorded);
            if filled.is_ok() && self.received > 0 && !starts_like_tls(self.first_bytes[0]) {
                // A plain-text port answering the hello: say so, without waiting.
                return Err(self.plain_text_answer().into_io());
            }
            if self.process(io, filled?)? == 0 {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "the server closed the connection during the TLS handshake",
                ));
            }
        }
    }

    /// Reads decrypted bytes into `buf`; `Ok(0)` is the end of the stream: the
    /// server's `close_notify`, or the socket's EOF without one (Redis replies are
    /// self-delimiting, so a cut-off stream shows as an incomplete reply, never as a
    /// wrong one). Writes any TLS output still pending first (a write the socket did
    /// not take), so a caller that only reads still gets it out.
    pub fn read(&mut self, io: &mut (impl Read + Write), buf: &mut [u8]) -> io::Result<usize> {
        let mut at_eof = false;
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(0),
                // After the socket's EOF nothing more can come.
                Err(e) if e.kind() == ErrorKind::WouldBlock && at_eof => return Ok(0),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            match self.flush(io) {
                Err(e) if e.kind() != ErrorKind::WouldBlock => return Err(e),
                _ => {}
            }
            // At EOF, the next `reader()` says how the stream ended.
            at_eof = self.fill(io)? == 0;
        }
    }

    /// Encrypts some of `buf` and writes it out; returns how much of `buf` was taken.
    ///
    /// Pending TLS output goes first: while the socket does not take it, nothing new
    /// is taken (`WouldBlock`), so at most one buffer's worth waits inside the
    /// session. Bytes taken but not yet written (the socket blocked halfway) go out
    /// with the next `write`, `read` or `handshake` call.
    pub fn write(&mut self, io: &mut (impl Read + Write), buf: &[u8]) -> io::Result<usize> {
        self.flush(io)?;
        let taken = self.conn.writer().write(buf)?;
        match self.flush(io) {
            Err(e) if e.kind() != ErrorKind::WouldBlock => Err(e),
            _ => Ok(taken),
        }
    }

    /// Sends `close_notify`, as far as `io` takes it now; errors are ignored (the
    /// connection is being dropped). Call it once, when closing the connection; it
    /// never blocks on a non-blocking `io`.
    pub fn close(&mut self, io: &mut (impl Read + Write)) {
        self.conn.send_close_notify();
        let _ = self.flush(io);
    }

    /// Writes TLS output until none is left.
    fn flush(&mut self, io: &mut impl Write) -> io::Result<()> {
        while self.conn.wants_write() {
            if self.conn.write_tls(io)? == 0 {
                return Err(ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }

    /// The error a handshake that failed with `error` amounts to, as
    /// [`TlsError::from_handshake`] says, except that a timeout before the server
    /// sent a single byte is [`TlsErrorKind::PlainText`]: a TLS server answers the
    /// hello at once, a plain-text Redis port waits for the end of a line that never
    /// comes. Adapters call it when their handshake fails.
    pub fn handshake_error(&self, error: io::Error) -> TlsError {
        let timed_out = error.kind() == ErrorKind::TimedOut;
        let error = TlsError::from_handshake(error);
        if timed_out && self.received == 0 && error.kind() == TlsErrorKind::Handshake {
            return TlsError::new(
                TlsErrorKind::PlainText,
                "the server answered nothing to the TLS hello before the handshake timed out",
            );
        }
        error
    }

    /// The error for a server that answered the hello with bytes that are not TLS.
    fn plain_text_answer(&self) -> TlsError {
        let shown = &self.first_bytes[..self.received.min(FIRST_BYTES)];
        TlsError::new(
            TlsErrorKind::PlainText,
            format!(
                "the server answered the TLS hello with `{}`, which is not TLS",
                shown.trim_ascii_end().escape_ascii()
            ),
        )
    }

    /// Reads TLS records from `io` and processes them; returns the bytes read (`0`
    /// at EOF). A TLS failure is returned after the alert telling the server why is
    /// sent, as far as the socket takes it.
    fn fill(&mut self, io: &mut (impl Read + Write)) -> io::Result<usize> {
        let read = self.conn.read_tls(io)?;
        self.process(io, read)
    }

    /// Processes the `read` bytes [`fill`](Self::fill) or the handshake just handed
    /// rustls, and returns `read`.
    fn process(&mut self, io: &mut (impl Read + Write), read: usize) -> io::Result<usize> {
        if let Err(error) = self.conn.process_new_packets() {
            let _ = self.flush(io);
            return Err(tls_error(error).into_io());
        }
        Ok(read)
    }
}

/// A rustls failure as a [`TlsError`] of the kind it is.
fn tls_error(error: rustls::Error) -> TlsError {
    let kind = match &error {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            TlsErrorKind::Certificate
        }
        rustls::Error::AlertReceived(_) => TlsErrorKind::Alert,
        _ => TlsErrorKind::Protocol,
    };
    TlsError::new(kind, error)
}

/// True for the first byte of a TLS record: its content type (change cipher spec,
/// alert, handshake, application data, heartbeat). RESP replies start with a type
/// character (`-`, `+`, `$`...), never one of these.
fn starts_like_tls(byte: u8) -> bool {
    (0x14..=0x18).contains(&byte)
}

/// The socket during the handshake, keeping the first bytes the server sends.
struct Recorded<'a, T> {
    io: &'a mut T,
    first_bytes: &'a mut [u8; FIRST_BYTES],
    received: &'a mut usize,
}

impl<T: Read> Read for Recorded<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.io.read(buf)?;
        let kept = *self.received;
        if kept < FIRST_BYTES {
            let take = n.min(FIRST_BYTES - kept);
            self.first_bytes[kept..kept + take].copy_from_slice(&buf[..take]);
        }
        *self.received = self.received.saturating_add(n);
        Ok(n)
    }
}
