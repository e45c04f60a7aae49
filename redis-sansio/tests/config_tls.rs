//! TLS settings in `ConnectionConfig`: defaults, the builders, what URLs and `Debug`
//! show of them.

use std::path::PathBuf;

use redis_sansio::config::{ClientIdentity, ConnectionConfig, Pem, TlsOptions, UrlError};

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
        base.clone().with_tls_ca_file("/etc/redis/ca.pem"),
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
    assert_eq!(
        options.ca_certs,
        [Pem::text(&b"first"[..]), Pem::text(&b"second"[..])]
    );
    assert!(!options.system_roots);
    let identity = options.client_identity.as_ref().unwrap();
    assert_eq!(identity.cert_chain(), &Pem::text(&b"cert"[..]));
    assert_eq!(identity.private_key(), &Pem::text(&b"key"[..]));
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
fn rediss_urls_set_the_tls_options_and_give_them_back() {
    let url = "rediss://127.0.0.1:6380?tls_ca_file=/etc/redis/ca.pem&tls_ca_file=/etc/redis/my%20ca.pem\
               &tls_cert_file=/etc/redis/client.pem&tls_key_file=/etc/redis/client.key\
               &tls_server_name=redis.internal&tls_system_roots=false";
    let config = ConnectionConfig::from_url(url).unwrap();
    assert!(config.tls);
    let options = &config.tls_options;
    assert_eq!(
        options.ca_certs,
        [
            Pem::file("/etc/redis/ca.pem"),
            Pem::file("/etc/redis/my ca.pem")
        ]
    );
    assert_eq!(
        options.client_identity,
        Some(ClientIdentity::from_files(
            "/etc/redis/client.pem",
            "/etc/redis/client.key"
        ))
    );
    assert_eq!(options.server_name.as_deref(), Some("redis.internal"));
    assert!(!options.system_roots);
    // The URL a configuration gives back says the same, and parses to an equal one.
    let again = config.to_url_with_password();
    assert_eq!(
        again,
        "rediss://127.0.0.1:6380?tls_ca_file=%2Fetc%2Fredis%2Fca.pem\
         &tls_ca_file=%2Fetc%2Fredis%2Fmy%20ca.pem&tls_cert_file=%2Fetc%2Fredis%2Fclient.pem\
         &tls_key_file=%2Fetc%2Fredis%2Fclient.key&tls_server_name=redis.internal\
         &tls_system_roots=false"
    );
    assert_eq!(ConnectionConfig::from_url(&again).unwrap(), config);
    // `true` is the default, and a URL of defaults says nothing of TLS options.
    let default = ConnectionConfig::from_url("rediss://cache.example?tls_system_roots=true");
    assert_eq!(default.unwrap().to_string(), "rediss://cache.example:6379");
}

#[test]
fn what_a_url_cannot_say_is_left_out_of_it() {
    let config = ConnectionConfig::from_url("rediss://127.0.0.1:6380")
        .unwrap()
        .with_tls_ca_pem(&b"in memory"[..])
        .with_tls_client_identity(ClientIdentity::from_pem(&b"cert"[..], &b"key"[..]))
        .with_tls_ca_file("/etc/redis/ca.pem");
    assert_eq!(
        config.to_url_with_password(),
        "rediss://127.0.0.1:6380?tls_ca_file=%2Fetc%2Fredis%2Fca.pem"
    );
    let back = ConnectionConfig::from_url(&config.to_string()).unwrap();
    assert!(back.tls);
    assert_eq!(back.tls_options.ca_certs, [Pem::file("/etc/redis/ca.pem")]);
    assert_eq!(back.tls_options.client_identity, None);
}

#[test]
fn tls_options_in_urls_refuse_what_they_cannot_mean() {
    let error = |url: &str| ConnectionConfig::from_url(url).unwrap_err();
    // On a URL without TLS: plain TCP or a Unix socket.
    assert_eq!(
        error("redis://127.0.0.1?tls_ca_file=/ca.pem"),
        UrlError::TlsOptionWithoutTls("tls_ca_file".into())
    );
    assert_eq!(
        error("unix:///tmp/redis.sock?tls_server_name=localhost"),
        UrlError::TlsOptionWithoutTls("tls_server_name".into())
    );
    // Half a client identity.
    assert_eq!(
        error("rediss://h?tls_cert_file=/c.pem"),
        UrlError::UnpairedClientIdentity
    );
    assert_eq!(
        error("rediss://h?tls_key_file=/k.pem"),
        UrlError::UnpairedClientIdentity
    );
    // Set twice (`tls_ca_file` may repeat: each adds a file).
    for twice in [
        "rediss://h?tls_cert_file=/a&tls_key_file=/k&tls_cert_file=/b",
        "rediss://h?tls_cert_file=/c&tls_key_file=/a&tls_key_file=/b",
        "rediss://h?tls_server_name=a&tls_server_name=b",
        "rediss://h?tls_system_roots=false&tls_system_roots=false",
    ] {
        assert!(
            matches!(error(twice), UrlError::DuplicateOption(_)),
            "{twice}"
        );
    }
    // Values they do not take.
    for (url, option) in [
        ("rediss://h?tls_ca_file=", "tls_ca_file"),
        ("rediss://h?tls_cert_file=&tls_key_file=/k", "tls_cert_file"),
        ("rediss://h?tls_server_name=", "tls_server_name"),
        ("rediss://h?tls_system_roots=no", "tls_system_roots"),
    ] {
        assert!(
            matches!(
                error(url),
                UrlError::InvalidOptionValue { option: ref o, .. } if o == option
            ),
            "{url}"
        );
    }
    assert_eq!(
        error("rediss://h?tls_ca_path=/etc"),
        UrlError::UnknownOption("tls_ca_path".into())
    );
}

#[test]
fn file_settings_show_their_paths_and_never_key_text() {
    let files = ConnectionConfig::default()
        .with_tls_ca_file("/etc/redis/ca.pem")
        .with_tls_client_identity(ClientIdentity::from_files(
            "/etc/redis/client.pem",
            "/etc/redis/client.key",
        ));
    let debug = format!("{files:?}");
    for path in ["ca.pem", "client.pem", "client.key"] {
        assert!(debug.contains(path), "{debug}");
    }
    let text = ConnectionConfig::default()
        .with_tls_client_identity(ClientIdentity::from_pem(&b"cert"[..], &b"c2VjcmV0"[..]));
    let debug = format!("{text:?}");
    assert!(
        !debug.contains("c2VjcmV0") && debug.contains("***"),
        "{debug}"
    );
    assert_eq!(
        Pem::file("/x"),
        Pem::File(PathBuf::from("/x")),
        "a file is kept as its path"
    );
}
