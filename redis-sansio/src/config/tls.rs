//! TLS settings for `rediss://` connections: plain data that the adapters turn into a
//! TLS client configuration when they connect. Nothing here parses a certificate,
//! reads a file or touches a socket, so the core stays pure: a certificate given as a
//! file is a path here, read by the adapter.

use std::fmt;
use std::path::PathBuf;

use bytes::Bytes;

/// PEM text for a TLS setting: given in memory, or the path of a file that holds it.
///
/// A file is read by the adapter each time it opens a connection, so a certificate
/// rotated on disk is used from the next connection on; a file that cannot be read, or
/// does not hold what it should, fails that connect with a TLS error naming the path.
#[derive(Clone, PartialEq, Eq)]
pub enum Pem {
    /// The PEM text itself.
    Text(Bytes),
    /// A file holding the PEM text.
    File(PathBuf),
}

impl Pem {
    /// PEM text given in memory.
    pub fn text(pem: impl Into<Bytes>) -> Self {
        Pem::Text(pem.into())
    }

    /// PEM text in the file at `path`, read when a connection is made.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Pem::File(path.into())
    }
}

impl fmt::Debug for Pem {
    /// The size of in-memory text (never the text: it may be a private key), or the
    /// file's path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pem::Text(text) => write!(f, "{} bytes of PEM", text.len()),
            Pem::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// How a TLS connection verifies the server, and proves who it is when the server
/// asks: the certificate authorities to trust, an optional client certificate, and
/// the name to check the server's certificate against.
///
/// It lives in [`ConnectionConfig::tls_options`](super::ConnectionConfig::tls_options),
/// so everything that opens connections from a configuration (`open`/`connect`, pools,
/// cluster and sentinel clients) carries it without new parameters. It takes effect
/// only when [`ConnectionConfig::tls`](super::ConnectionConfig::tls) is on. PEM text is
/// kept as given (cheap to clone: [`Bytes`]) and parsed by the adapter at connect
/// time, where a bad PEM fails the connect with a TLS error; PEM in files ([`Pem::File`])
/// is read then too. A `rediss://` URL gives the defaults, or sets these with the
/// query options `tls_ca_file`, `tls_cert_file` and `tls_key_file`, `tls_server_name`
/// and `tls_system_roots` (see
/// [`ConnectionConfig::from_url`](super::ConnectionConfig::from_url)).
///
/// ```
/// use redis_sansio::config::{ClientIdentity, ConnectionConfig};
///
/// # let (ca, cert, key) = (b"CA PEM".to_vec(), b"CERT PEM".to_vec(), b"KEY PEM".to_vec());
/// let config = ConnectionConfig::from_url("redis://10.0.0.5:6380")?
///     .with_tls_ca_pem(ca) // also turns TLS on
///     .with_tls_system_roots(false)
///     .with_tls_client_identity(ClientIdentity::from_pem(cert, key))
///     .with_tls_server_name("cache.internal");
/// assert!(config.tls);
/// assert_eq!(config.tls_options.server_name.as_deref(), Some("cache.internal"));
/// // The key never shows in Debug output.
/// assert!(!format!("{config:?}").contains("KEY PEM"));
/// # Ok::<(), redis_sansio::config::UrlError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsOptions {
    /// Whether to trust the operating system's root certificates. Default: `true`.
    /// Turn it off to trust only [`ca_certs`](Self::ca_certs) (a private CA).
    pub system_roots: bool,
    /// More certificate authorities to trust: each entry is PEM text (or a file of
    /// it) holding one or more certificates. Default: none.
    pub ca_certs: Vec<Pem>,
    /// A certificate chain and private key to present when the server asks for one
    /// (`tls-auth-clients yes`). Default: `None`.
    pub client_identity: Option<ClientIdentity>,
    /// The name to verify the server's certificate against and to send as SNI,
    /// instead of the host of [`ConnectionConfig::addr`](super::ConnectionConfig::addr):
    /// for a server reached by IP address whose certificate names a host, or over a
    /// Unix socket (which has no host, so it needs one). A DNS name or an IP address.
    /// Default: `None`.
    pub server_name: Option<String>,
}

impl Default for TlsOptions {
    /// Trust the system's roots, no client certificate, verify the host's name.
    fn default() -> Self {
        TlsOptions {
            system_roots: true,
            ca_certs: Vec::new(),
            client_identity: None,
            server_name: None,
        }
    }
}

/// A client certificate chain and its private key, both PEM, for servers that
/// authenticate clients by certificate.
///
/// `Debug` shows the sizes (or the files' paths) only, so the key stays out of logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    cert_chain: Pem,
    private_key: Pem,
}

impl ClientIdentity {
    /// A certificate chain (the client's certificate first, then any intermediates)
    /// and its private key (PKCS#8, PKCS#1 or SEC1), as PEM text. Parsed when a
    /// connection uses them.
    pub fn from_pem(cert_chain: impl Into<Bytes>, private_key: impl Into<Bytes>) -> Self {
        ClientIdentity {
            cert_chain: Pem::text(cert_chain),
            private_key: Pem::text(private_key),
        }
    }

    /// The same, in two PEM files, read each time a connection is made.
    pub fn from_files(cert_chain: impl Into<PathBuf>, private_key: impl Into<PathBuf>) -> Self {
        ClientIdentity {
            cert_chain: Pem::file(cert_chain),
            private_key: Pem::file(private_key),
        }
    }

    /// The certificate chain.
    pub fn cert_chain(&self) -> &Pem {
        &self.cert_chain
    }

    /// The private key: a secret, for the adapter that loads it.
    pub fn private_key(&self) -> &Pem {
        &self.private_key
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ClientIdentity");
        debug.field("cert_chain", &self.cert_chain);
        match &self.private_key {
            Pem::File(_) => debug.field("private_key", &self.private_key),
            Pem::Text(_) => debug.field("private_key", &format_args!("***")),
        };
        debug.finish()
    }
}
