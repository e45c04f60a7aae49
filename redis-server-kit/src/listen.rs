//! Where a server listens.

use std::fmt;
use std::path::PathBuf;

/// A TCP address or a Unix socket path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// `host:port`, as `std::net::ToSocketAddrs` reads it (`127.0.0.1:0` for a free port).
    Tcp(String),
    /// A Unix socket at this path (removed first if a stale socket file is there).
    Unix(PathBuf),
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Tcp(addr) => f.write_str(addr),
            ListenAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// The address a listener got: the bound port for TCP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundAddr {
    /// The bound TCP address.
    Tcp(std::net::SocketAddr),
    /// The socket path.
    Unix(PathBuf),
}

/// Removes a socket file left at `path` by an earlier server, so binding succeeds; any
/// other kind of file is left alone (binding then fails).
#[cfg(any(feature = "blocking", feature = "tokio"))]
pub(crate) fn remove_stale_socket(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    if std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_socket()) {
        std::fs::remove_file(path)?;
    }
    Ok(())
}
