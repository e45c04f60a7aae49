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
