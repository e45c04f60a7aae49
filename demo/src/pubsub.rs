//! A blocking subscriber on the Unix socket in RESP2, and a publisher over TCP.

use std::time::Duration;

use redis_client::Error;
use redis_client::prelude::*;
use redis_client::pubsub::Subscriber;
use redis_io_sync::Connection;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
use redis_test_support::RedisServer;

pub(crate) fn run(server: &RedisServer) -> Result<(), Error> {
    let socket = server.unix_path().expect("the harness opens a Unix socket");
    let config = ConnectionConfig::default()
        .with_addr(ServerAddr::unix(socket))
        .with_protocol(ProtocolVersion::Resp2);
    let mut subscriber = Subscriber::new(Connection::connect(config)?);
    subscriber.subscribe(["news"])?;
    subscriber.psubscribe(["alerts.*"])?;
    println!("subscribed to {:?}", subscriber.subscriptions());

    let mut publisher = Connection::open(&server.url())?;
    publisher.publish("news", "sans-IO ships")?;
    publisher.publish("alerts.disk", "90% full")?;
    for _ in 0..2 {
        if let Some(message) = subscriber.next_message(Some(Duration::from_secs(2)))? {
            println!(
                "  {:?} on {:?} (pattern {:?}): {:?}",
                message.kind,
                String::from_utf8_lossy(&message.channel),
                message.pattern.as_deref().map(String::from_utf8_lossy),
                String::from_utf8_lossy(&message.payload)
            );
        }
    }
    let mut conn = subscriber.into_connection()?;
    println!(
        "left every subscription; back to commands: PING -> {:?}",
        conn.ping()?
    );
    Ok(())
}
