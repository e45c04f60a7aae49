//! The typed command API over TLS, against a real TLS server: the blocking connection,
//! tokio's multiplexed client (reconnecting over TLS too), smol's exclusive connection,
//! both pools, TLS failures as `redis_client::Error::Tls`, and TLS settings as files
//! named in a `rediss://` URL. (Each adapter's TLS itself is checked by the
//! conformance suite.)

use redis_client::cmd;
use redis_client::prelude::*;
use redis_io_async::Reconnect;
use redis_test_support::{RedisServer, tls_config};

/// A server with a TLS port, and the settings that reach it (trusting the test CA).
fn server() -> RedisServer {
    RedisServer::builder().tls().start()
}

#[cfg(feature = "sync")]
#[test]
fn blocking_connection_commands_pipelines_and_transactions() {
    use redis_client::{Pipeline, Transaction};
    let server = server();
    let mut conn = redis_io_sync::Connection::connect(tls_config(&server)).expect("connect");
    conn.set("greeting", "hello").expect("SET");
    assert_eq!(
        conn.get("greeting").expect("GET").as_deref(),
        Some(&b"hello"[..])
    );
    let mut pipe = Pipeline::new();
    let visits = pipe.incr("visits");
    let tags = pipe.sadd("tags", ["rust", "redis"]);
    let mut replies = pipe.run(&mut conn).expect("pipeline");
    assert_eq!(replies.take(visits).expect("INCR"), 1);
    assert_eq!(replies.take(tags).expect("SADD"), 2);
    let mut tx = Transaction::new();
    tx.rpush("log", ["a", "b"]);
    let length = tx.llen("log");
    let mut replies = tx.run(&mut conn).expect("transaction");
    assert_eq!(replies.take(length).expect("LLEN"), 2);
}

#[test]
fn tokio_client_and_its_reconnect_run_over_tls() {
    let server = server();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = redis_io_tokio::Client::connect(tls_config(&server))
            .await
            .expect("connect")
            .with_reconnect(Reconnect::default());
        client.set("k", 1).await.expect("SET");
        let id = client.client_id().await.expect("CLIENT ID");
        server.command(&["CLIENT", "KILL", "ID", &id.to_string()]);
        // The first call after the kill may fail with the loss; a new TLS connection
        // serves the next ones.
        let _ = client.ping().await;
        let value: i64 = client
            .execute(cmd::get("k").returning())
            .await
            .expect("GET after reconnecting");
        assert_eq!(value, 1);
        assert_ne!(client.client_id().await.expect("CLIENT ID"), id);
    });
}

#[test]
fn smol_exclusive_connection() {
    let server = server();
    smol::block_on(async {
        let mut conn = redis_io_async_std::smol::Connection::connect(tls_config(&server))
            .await
            .expect("connect");
        conn.hset("user:1", [("name", "Ada")]).await.expect("HSET");
        let name = conn.hget("user:1", "name").await.expect("HGET");
        assert_eq!(name.as_deref(), Some(&b"Ada"[..]));
    });
}

#[cfg(feature = "sync")]
#[test]
fn pools_open_tls_connections() {
    use redis_client::pool::PoolConfig;
    let server = server();
    let pool = redis_client::pool::blocking::Pool::new(
        tls_config(&server),
        PoolConfig::default().with_max_size(2),
    );
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..25 {
                    pool.get()
                        .expect("checkout")
                        .incr("blocking")
                        .expect("INCR");
                }
            });
        }
    });
    let mut conn = pool.get().expect("checkout");
    let total: i64 = conn.execute(cmd::get("blocking").returning()).expect("GET");
    assert_eq!(total, 100);

    let pool = redis_client::pool::exclusive::Pool::<redis_io_tokio::Tokio>::new(
        tls_config(&server),
        PoolConfig::default(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut conn = pool.get().await.expect("checkout");
        assert_eq!(conn.incr("exclusive").await.expect("INCR"), 1);
    });
}

#[cfg(feature = "sync")]
#[test]
fn tls_failures_are_typed_errors() {
    use redis_client::{Error, TlsErrorKind};
    use redis_test_support::TestCerts;
    let server = server();
    let other_ca = TestCerts::generate();
    let config = tls_config(&server);
    let wrong_ca = other_ca.trusted_by(
        redis_sansio::config::ConnectionConfig::default().with_addr(config.addr.clone()),
    );
    let error = redis_io_sync::Connection::connect(wrong_ca).expect_err("another CA");
    assert!(error.is_connection_failure(), "{error:?}");
    let kind = error.tls_error().map(|tls| tls.kind());
    assert_eq!(kind, Some(TlsErrorKind::Certificate), "{error:?}");
    assert!(error.to_string().contains("certificate"), "{error}");
    // `Error::Tls` is transparent: its source is the TLS error's own, rustls's.
    let source = std::error::Error::source(&error);
    assert!(
        source.is_some_and(|source| source.is::<rustls::Error>()),
        "the rustls error is the source: {error:?}"
    );
    assert!(matches!(error, Error::Tls(_)));
    // A client key that does not fit its certificate: refused before connecting.
    let mismatched = redis_sansio::config::ClientIdentity::from_pem(
        TestCerts::shared().client_cert_pem().to_owned(),
        other_ca.client_key_pem().to_owned(),
    );
    let error = redis_io_sync::Connection::connect(config.with_tls_client_identity(mismatched))
        .expect_err("a key of another certificate");
    let kind = error.tls_error().map(|tls| tls.kind());
    assert_eq!(kind, Some(TlsErrorKind::Config), "{error:?}");
}

/// A `rediss://` URL naming the CA and the client certificate as files reaches a
/// server that requires a client certificate; the files are read at each connect,
/// so a CA file replaced on disk is used by the next connection; a missing file is a
/// typed configuration error naming it.
#[cfg(feature = "sync")]
#[test]
fn tls_files_named_in_a_url_are_read_at_each_connect() {
    use redis_client::TlsErrorKind;
    use redis_test_support::TestCerts;
    let server = RedisServer::builder().tls_client_auth().start();
    let port = server.tls_port().expect("a TLS port");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let certs = TestCerts::shared();
    let ca = dir.path().join("ca.pem");
    let (cert, key) = (dir.path().join("client.pem"), dir.path().join("client.key"));
    std::fs::write(&cert, certs.client_cert_pem()).expect("write the certificate");
    std::fs::write(&key, certs.client_key_pem()).expect("write the key");
    let url = format!(
        "rediss://127.0.0.1:{port}?tls_ca_file={}&tls_cert_file={}&tls_key_file={}&tls_system_roots=false",
        ca.display(),
        cert.display(),
        key.display()
    );

    // A CA that did not sign the server's certificate: refused.
    std::fs::write(&ca, TestCerts::generate().ca_pem()).expect("write another CA");
    let error = redis_io_sync::Connection::open(&url).expect_err("another CA");
    assert_eq!(
        error.tls_error().map(|tls| tls.kind()),
        Some(TlsErrorKind::Certificate),
        "{error:?}"
    );
    // The right CA written over it: the next connect reads it and gets in, with the
    // client certificate the server requires.
    std::fs::write(&ca, certs.ca_pem()).expect("write the CA");
    let mut conn = redis_io_sync::Connection::open(&url).expect("connect with the files");
    conn.set("from-files", "yes").expect("SET");
    assert_eq!(
        conn.get("from-files").expect("GET").as_deref(),
        Some(&b"yes"[..])
    );

    // A file that is not there: a configuration error that names it.
    std::fs::remove_file(&key).expect("remove the key");
    let error = redis_io_sync::Connection::open(&url).expect_err("no key file");
    assert_eq!(
        error.tls_error().map(|tls| tls.kind()),
        Some(TlsErrorKind::Config),
        "{error:?}"
    );
    assert!(error.to_string().contains("client.key"), "{error}");
}
