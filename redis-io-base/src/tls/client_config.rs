//! Turning a configuration's [`TlsOptions`] into a rustls [`ClientConfig`], and its
//! address into the name the server's certificate is verified against.
//!
//! A `ClientConfig` is built once per distinct [`TlsOptions`] and shared by every
//! connection using them (a small cache of the latest few), so a pool or a cluster
//! parses its PEM once and its connections share one TLS session-resumption store. The
//! system's root certificates are read from disk once per process. PEM files in the
//! options ([`Pem::File`]) are read on every connect and the cache is keyed by what
//! they held, so a certificate rotated on disk is used from the next connection on.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use redis_sansio::config::{ClientIdentity, ConnectionConfig, Pem, ServerAddr, TlsOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use super::{TlsError, TlsErrorKind};

/// How many distinct [`TlsOptions`] keep their built `ClientConfig`.
const CACHED_CONFIGS: usize = 8;

/// Built configurations, the most recently used first.
static CONFIGS: Mutex<Vec<(TlsOptions, Arc<ClientConfig>)>> = Mutex::new(Vec::new());

/// The system's root certificates, and why some could not be read.
struct SystemRoots {
    certs: Vec<CertificateDer<'static>>,
    /// The first load error, for the message when no root is found at all.
    first_error: Option<String>,
}

/// The rustls configuration for `options`: from the cache, or built (and cached).
///
/// Fails with [`TlsErrorKind::Config`] when a PEM file cannot be read, a PEM does not
/// parse, the client key does not fit its certificate, or there is no root
/// certificate to trust.
pub(crate) fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, TlsError> {
    let options = with_files_read(options)?;
    let options = options.as_ref();
    {
        let mut cache = CONFIGS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = cache.iter().position(|(cached, _)| cached == options) {
            let entry = cache.remove(at);
            let config = Arc::clone(&entry.1);
            cache.insert(0, entry);
            return Ok(config);
        }
    }
    // Built without the lock: reading the system's roots takes a while.
    let config = Arc::new(build(options)?);
    let mut cache = CONFIGS.lock().unwrap_or_else(PoisonError::into_inner);
    cache.insert(0, (options.clone(), Arc::clone(&config)));
    cache.truncate(CACHED_CONFIGS);
    Ok(config)
}

/// The name to verify the server's certificate against (and to send as SNI): the
/// configured `server_name`, else the TCP host. A Unix socket needs `server_name`.
pub(crate) fn server_name(config: &ConnectionConfig) -> Result<ServerName<'static>, TlsError> {
    let name = match (&config.tls_options.server_name, &config.addr) {
        (Some(name), _) => name.as_str(),
        (None, ServerAddr::Tcp { host, .. }) => host.as_str(),
        (None, ServerAddr::Unix { path }) => {
            return Err(TlsError::new(
                TlsErrorKind::ServerName,
                format!(
                    "TLS over the Unix socket {} needs a server name to verify the certificate against (TlsOptions::server_name)",
                    path.display()
                ),
            ));
        }
    };
    match ServerName::try_from(name) {
        Ok(server_name) => Ok(server_name.to_owned()),
        Err(_) => Err(TlsError::new(
            TlsErrorKind::ServerName,
            format!("{name:?} is neither a DNS name nor an IP address"),
        )),
    }
}

fn build(options: &TlsOptions) -> Result<ClientConfig, TlsError> {
    let roots = root_store(options)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(config_error)?
        .with_root_certificates(roots);
    let Some(identity) = &options.client_identity else {
        return Ok(builder.with_no_client_auth());
    };
    let chain = certificates(
        &text(identity.cert_chain(), "client certificate")?,
        "the client certificate",
    )?;
    let key_pem = text(identity.private_key(), "client private key")?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| {
        TlsError::new(
            TlsErrorKind::Config,
            format!("the client private key is not a PEM private key: {error}"),
        )
    })?;
    builder
        .with_client_auth_cert(chain, key)
        .map_err(config_error)
}

/// The system's roots (if trusted) and every configured CA certificate.
fn root_store(options: &TlsOptions) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let system = options.system_roots.then(system_roots);
    if let Some(system) = system {
        // Certificates of the system store that webpki cannot use are skipped.
        roots.add_parsable_certificates(system.certs.iter().cloned());
    }
    for pem in &options.ca_certs {
        for cert in certificates(&text(pem, "CA certificate")?, "a CA certificate")? {
            roots.add(cert).map_err(config_error)?;
        }
    }
    if roots.is_empty() {
        let why = match system {
            None => "the system's roots are not trusted (system_roots is off)".to_owned(),
            Some(SystemRoots {
                first_error: Some(error),
                ..
            }) => format!("the system's root certificates could not be read ({error})"),
            Some(_) => "the system has no root certificates".to_owned(),
        };
        return Err(TlsError::new(
            TlsErrorKind::Config,
            format!("no root certificate to trust: {why}, and no CA certificate was added"),
        ));
    }
    Ok(roots)
}

/// `options` with the text of every PEM file in place of its path; borrowed as they
/// are when they name no file.
fn with_files_read(options: &TlsOptions) -> Result<Cow<'_, TlsOptions>, TlsError> {
    let is_file = |pem: &Pem| matches!(pem, Pem::File(_));
    let identity_in_files = options
        .client_identity
        .as_ref()
        .is_some_and(|identity| is_file(identity.cert_chain()) || is_file(identity.private_key()));
    if !identity_in_files && !options.ca_certs.iter().any(is_file) {
        return Ok(Cow::Borrowed(options));
    }
    let mut read = options.clone();
    for pem in &mut read.ca_certs {
        *pem = Pem::text(text(pem, "CA certificate")?.into_owned());
    }
    if let Some(identity) = &options.client_identity {
        read.client_identity = Some(ClientIdentity::from_pem(
            text(identity.cert_chain(), "client certificate")?.into_owned(),
            text(identity.private_key(), "client private key")?.into_owned(),
        ));
    }
    Ok(Cow::Owned(read))
}

/// The PEM text of `pem` (the `what` of the settings), read from its file if it is
/// one.
fn text<'a>(pem: &'a Pem, what: &str) -> Result<Cow<'a, [u8]>, TlsError> {
    match pem {
        Pem::Text(text) => Ok(Cow::Borrowed(text)),
        Pem::File(path) => std::fs::read(path).map(Cow::Owned).map_err(|error| {
            TlsError::new(
                TlsErrorKind::Config,
                format!("cannot read the {what} file {}: {error}", path.display()),
            )
        }),
    }
}

/// Every certificate in `pem`: at least one, each well formed.
fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            TlsError::new(
                TlsErrorKind::Config,
                format!("{what} is not valid PEM: {error}"),
            )
        })?;
    if certs.is_empty() {
        return Err(TlsError::new(
            TlsErrorKind::Config,
            format!("{what} PEM holds no certificate"),
        ));
    }
    Ok(certs)
}

fn system_roots() -> &'static SystemRoots {
    static ROOTS: OnceLock<SystemRoots> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        SystemRoots {
            first_error: loaded.errors.first().map(ToString::to_string),
            certs: loaded.certs,
        }
    })
}

fn config_error(error: rustls::Error) -> TlsError {
    TlsError::new(TlsErrorKind::Config, error)
}

#[cfg(test)]
mod tests {
    use redis_sansio::config::ClientIdentity;

    use super::*;

    fn kind(result: Result<impl Sized, TlsError>) -> Option<TlsErrorKind> {
        result.err().map(|error| error.kind())
    }

    #[test]
    fn bad_pem_is_a_config_error() {
        let mut no_roots = TlsOptions::default();
        no_roots.system_roots = false;
        assert_eq!(kind(client_config(&no_roots)), Some(TlsErrorKind::Config));
        let mut garbage = no_roots.clone();
        garbage.ca_certs.push(Pem::text("not a certificate"));
        assert_eq!(kind(client_config(&garbage)), Some(TlsErrorKind::Config));
        let mut broken = no_roots.clone();
        broken.ca_certs.push(Pem::text(
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        ));
        assert_eq!(kind(client_config(&broken)), Some(TlsErrorKind::Config));
        let mut identity = TlsOptions::default();
        identity.client_identity = Some(ClientIdentity::from_pem("no cert", "no key"));
        assert_eq!(kind(client_config(&identity)), Some(TlsErrorKind::Config));
    }

    #[test]
    fn server_names_come_from_the_option_or_the_host() {
        let ip = ConnectionConfig::from_url("rediss://127.0.0.1:6380").unwrap();
        assert!(matches!(server_name(&ip), Ok(ServerName::IpAddress(_))));
        let v6 = ConnectionConfig::from_url("rediss://[::1]:6380").unwrap();
        assert!(matches!(server_name(&v6), Ok(ServerName::IpAddress(_))));
        let host = ConnectionConfig::from_url("rediss://cache.example").unwrap();
        assert!(matches!(server_name(&host), Ok(ServerName::DnsName(_))));
        let named = ip.with_tls_server_name("redis.internal");
        assert_eq!(
            server_name(&named)
                .ok()
                .map(|name| name.to_str().into_owned()),
            Some("redis.internal".to_owned())
        );
        let unix = ConnectionConfig::from_url("unix:///tmp/redis.sock")
            .unwrap()
            .with_tls(true);
        assert_eq!(kind(server_name(&unix)), Some(TlsErrorKind::ServerName));
        assert!(server_name(&unix.with_tls_server_name("localhost")).is_ok());
        let bad = ConnectionConfig::default().with_tls_server_name("not a name!");
        assert_eq!(kind(server_name(&bad)), Some(TlsErrorKind::ServerName));
    }
}
