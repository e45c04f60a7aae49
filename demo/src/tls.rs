//! TLS (`rediss://`): a server with a TLS port and a throw-away certificate authority;
//! the client trusts that CA, a bare `rediss://` URL (the system's roots only) gets a
//! typed certificate error, and a client certificate is presented where the server
//! requires one.

use redis_client::Error;
use redis_client::prelude::*;
use redis_io_sync::Connection;
use redis_sansio::config::ConnectionConfig;
use redis_test_support::{RedisServer, TestCerts};

pub(crate) fn run() -> Result<(), Error> {
    let server = RedisServer::builder().tls_client_auth().start();
    let url = format!(
        "rediss://127.0.0.1:{}",
        server.tls_port().unwrap_or_default()
    );
    let certs = TestCerts::shared();
    match Connection::open(&url) {
        Err(error) => println!("{url} with the system's roots only: {error}"),
        Ok(_) => println!("unexpected: the system trusts the throw-away CA"),
    }
    let config = ConnectionConfig::from_url(&url)?
        .with_tls_system_roots(false)
        .with_tls_ca_pem(certs.ca_pem().to_owned());
    match Connection::connect(config.clone()) {
        Err(error) => println!("trusting the CA, without a client certificate: {error}"),
        Ok(_) => println!("unexpected: the server took no client certificate"),
    }
    let mut conn = Connection::connect(config.with_tls_client_identity(certs.client_identity()))?;
    conn.set("over-tls", "yes")?;
    println!(
        "with the CA and a client certificate: GET over-tls = {:?}",
        conn.get("over-tls")?
    );
    Ok(())
}
