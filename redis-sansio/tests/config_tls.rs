//! TLS settings in `ConnectionConfig`: defaults, the builders, what URLs and `Debug`
//! show of them.

use redis_sansio::config::{ClientIdentity, ConnectionConfig, TlsOptions};

#[test]
fn defaults_trust_the_system_and_verify_the_host() {
    let config = ConnectionConfig::default();
    assert!(!config.tls);
    assert_eq!(config.tls_options, TlsOptions::default());
    let options = TlsOptions::default();
    assert!(options.system_roots);
    assert!(options.ca_certs.is_empty());
    assert!(options.client_identity.is_none());
    assert!(options.server_name.is_none());
    // rediss:// turns TLS on with the default options.
    let config = ConnectionConfig::from_url("rediss://cache.example").unwrap();
    assert!(config.tls);
    assert_eq!(config.tls_options, TlsOptions::default());
}

#[test]
fn every_tls_setter_turns_tls_on() {
    let base = ConnectionConfig::from_url("redis://127.0.0.1:6380").unwrap();
    let identity = ClientIdentity::from_pem(&b"cert"[..], &b"key"[..]);
    let configs = [
        base.clone().with_tls_ca_pem(&b"ca"[..]),
        base.clone().with_tls_system_roots(false),
        base.clone().with_tls_client_identity(identity.clone()),
        base.clone().with_tls_server_name("localhost"),
        base.clone().with_tls_options(TlsOptions::default()),
    ];
    for config in configs {
        assert!(config.tls, "{config:?}");
        assert_eq!(config.addr, base.addr);
    }
    let config = base
        .with_tls_ca_pem(&b"first"[..])
        .with_tls_ca_pem(b"second".to_vec())
        .with_tls_system_roots(false)
        .with_tls_client_identity(identity)
        .with_tls_server_name("redis.internal");
    let options = &config.tls_options;
    assert_eq!(options.ca_certs, [&b"first"[..], &b"second"[..]]);
    assert!(!options.system_roots);
    let identity = options.client_identity.as_ref().unwrap();
    assert_eq!(identity.cert_chain_pem(), b"cert");
    assert_eq!(identity.private_key_pem(), b"key");
    assert_eq!(options.server_name.as_deref(), Some("redis.internal"));
}

#[test]
fn the_private_key_stays_out_of_debug_output() {
    let key = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
    let config = ConnectionConfig::default()
        .with_tls_client_identity(ClientIdentity::from_pem(&b"cert"[..], key));
    let debug = format!("{config:?}");
    assert!(!debug.contains("c2VjcmV0"), "{debug}");
    assert!(debug.contains("***"), "{debug}");
}

#[test]
fn urls_leave_tls_options_out() {
    let config = ConnectionConfig::from_url("rediss://127.0.0.1:6380")
        .unwrap()
        .with_tls_ca_pem(&b"ca"[..])
        .with_tls_server_name("localhost");
    assert_eq!(config.to_url_with_password(), "rediss://127.0.0.1:6380");
    assert_eq!(config.to_string(), "rediss://127.0.0.1:6380");
    let back = ConnectionConfig::from_url(&config.to_url_with_password()).unwrap();
    assert!(back.tls);
    assert_eq!(back.tls_options, TlsOptions::default());
}
