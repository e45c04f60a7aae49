//! TLS settings for `rediss://` connections: plain data that the adapters turn into a
//! TLS client configuration when they connect. Nothing here parses a certificate,
//! reads a file or touches a socket, so the core stays pure.

use std::fmt;

use bytes::Bytes;

/// How a TLS connection verifies the server, and proves who it is when the server
/// asks: the certificate authorities to trust, an optional client certificate, and
/// the name to check the server's certificate against.
///
/// It lives in [`ConnectionConfig::tls_options`](super::ConnectionConfig::tls_options),
/// so everything that opens connections from a configuration (`open`/`connect`, pools,
/// cluster and sentinel clients) carries it without new parameters. It takes effect
/// only when [`ConnectionConfig::tls`](super::ConnectionConfig::tls) is on. PEM text is
/// kept as given (cheap to clone: [`Bytes`]) and parsed by the adapter at connect
/// time, where a bad PEM fails the connect with a TLS error. URLs cannot express
/// these settings: a `rediss://` URL gives the defaults.
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
    /// More certificate authorities to trust: each entry is PEM text holding one or
    /// more certificates. Default: none.
    pub ca_certs: Vec<Bytes>,
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
/// `Debug` shows the sizes only, so the key stays out of logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    cert_chain: Bytes,
    private_key: Bytes,
}

impl ClientIdentity {
    /// A certificate chain (the client's certificate first, then any intermediates)
    /// and its private key (PKCS#8, PKCS#1 or SEC1), as PEM text. Parsed when a
    /// connection uses them.
    pub fn from_pem(cert_chain: impl Into<Bytes>, private_key: impl Into<Bytes>) -> Self {
        ClientIdentity {
            cert_chain: cert_chain.into(),
            private_key: private_key.into(),
        }
    }

    /// The certificate chain's PEM text.
    pub fn cert_chain_pem(&self) -> &[u8] {
        &self.cert_chain
    }

    /// The private key's PEM text: a secret, for the adapter that loads it.
    pub fn private_key_pem(&self) -> &[u8] {
        &self.private_key
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field(
                "cert_chain",
                &format_args!("{} bytes of PEM", self.cert_chain.len()),
            )
            .field("private_key", &format_args!("***"))
            .finish()
    }
}
