//! Throw-away certificates for TLS tests: a private certificate authority, a server
//! certificate it signs for `127.0.0.1`, `::1` and `localhost`, and a client
//! certificate it signs, all made in memory with rcgen. Nothing is read from or
//! written to the system's trust store.

use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use redis_sansio::config::{ClientIdentity, ConnectionConfig};

/// The names the server certificate is valid for.
pub const SERVER_NAMES: [&str; 3] = ["127.0.0.1", "::1", "localhost"];

/// A certificate authority with a server and a client certificate it signed, as PEM.
///
/// [`TestCerts::shared`] is made once per test process (the one the harness's TLS
/// servers use); [`TestCerts::generate`] makes another, unrelated one (a CA the
/// servers do not use, for "wrong CA" tests).
#[derive(Debug)]
pub struct TestCerts {
    ca_cert: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

impl TestCerts {
    /// A fresh CA and certificates (ECDSA P-256), valid from 1975 to 4096.
    ///
    /// # Panics
    ///
    /// If rcgen fails, which it does not for these fixed parameters.
    pub fn generate() -> TestCerts {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca.distinguished_name
            .push(DnType::CommonName, "redis-sansio test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let names: Vec<String> = SERVER_NAMES.iter().map(|name| name.to_string()).collect();
        let (server_cert, server_key) = leaf(
            names,
            "redis-sansio test server",
            ExtendedKeyUsagePurpose::ServerAuth,
            &ca_cert,
            &ca_key,
        );
        let (client_cert, client_key) = leaf(
            Vec::new(),
            "redis-sansio test client",
            ExtendedKeyUsagePurpose::ClientAuth,
            &ca_cert,
            &ca_key,
        );
        TestCerts {
            ca_cert: ca_cert.pem(),
            server_cert,
            server_key,
            client_cert,
            client_key,
        }
    }

    /// The certificates of this test process: made on first use, then the same.
    pub fn shared() -> &'static TestCerts {
        static SHARED: OnceLock<TestCerts> = OnceLock::new();
        SHARED.get_or_init(TestCerts::generate)
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_cert
    }

    /// The server certificate (for [`SERVER_NAMES`]), PEM.
    pub fn server_cert_pem(&self) -> &str {
        &self.server_cert
    }

    /// The server certificate's private key, PEM (PKCS#8).
    pub fn server_key_pem(&self) -> &str {
        &self.server_key
    }

    /// The client certificate, PEM (what the harness's servers present when they
    /// connect to each other, and what `redis-cli --cluster create` presents).
    pub fn client_cert_pem(&self) -> &str {
        &self.client_cert
    }

    /// The client certificate's private key, PEM (PKCS#8).
    pub fn client_key_pem(&self) -> &str {
        &self.client_key
    }

    /// The client certificate and its key, for servers with `tls-auth-clients yes`.
    pub fn client_identity(&self) -> ClientIdentity {
        ClientIdentity::from_pem(self.client_cert.clone(), self.client_key.clone())
    }

    /// `config` with TLS on, trusting this CA only (not the system's roots).
    pub fn trusted_by(&self, config: ConnectionConfig) -> ConnectionConfig {
        config
            .with_tls_system_roots(false)
            .with_tls_ca_pem(self.ca_cert.clone())
    }
}

/// A certificate for `names`, signed by the CA, and its key; both PEM.
fn leaf(
    names: Vec<String>,
    common_name: &str,
    usage: ExtendedKeyUsagePurpose,
    ca_cert: &Certificate,
    ca_key: &KeyPair,
) -> (String, String) {
    let key = KeyPair::generate().expect("leaf key");
    let mut params = CertificateParams::new(names).expect("leaf parameters");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    let cert = params
        .signed_by(&key, ca_cert, ca_key)
        .expect("leaf certificate");
    (cert.pem(), key.serialize_pem())
}
