//! A blocking subscriber on the Unix socket in RESP2, and a publisher over TCP; the
//! subscriber is killed and comes back subscribed.

use std::time::Duration;

use redis_client::options::{ClientKillFilter, ClientKillNewFormat};
use redis_client::prelude::*;
use redis_client::pubsub::Subscriber;
use redis_client::{Error, Reconnect};
use redis_io_sync::Connection;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
use redis_test_support::RedisServer;

pub(crate) fn run(server: &RedisServer) -> Result<(), Error> {
    let socket = server.unix_path().expect("the harness opens a Unix socket");
    let config = ConnectionConfig::default()
        .with_addr(ServerAddr::unix(socket))
        .with_protocol(ProtocolVersion::Resp2);
    let mut subscriber =
        Subscriber::new(Connection::connect(config)?).with_reconnect(Reconnect::default());
    subscriber.subscribe(["news"])?;
    subscriber.psubscribe(["alerts.*"])?;
    println!("subscribed to {:?}", subscriber.subscriptions());

    let mut publisher = Connection::open(&server.url())?;
    publisher.publish("news", "sans-IO ships")?;
    publisher.publish("alerts.disk", "90% full")?;
    print_messages(&mut subscriber, 2)?;

    let killed = publisher.client_kill(ClientKillFilter::new_format([
        ClientKillNewFormat::type_pubsub(),
    ]))?;
    println!("CLIENT KILL TYPE pubsub -> {killed:?} (the subscriber's connection)");
    // The next wait notices the loss, reconnects and subscribes again.
    subscriber.next_message(Some(Duration::from_millis(100)))?;
    println!(
        "reconnected {} time(s), subscribed to {:?}",
        subscriber.reconnects(),
        subscriber.subscriptions()
    );
    publisher.publish("news", "still here")?;
    print_messages(&mut subscriber, 1)?;

    let mut conn = subscriber.into_connection()?;
    println!(
        "left every subscription; back to commands: PING -> {:?}",
        conn.ping()?
    );
    Ok(())
}

/// Prints up to `count` messages, waiting at most 2 s for each.
fn print_messages(subscriber: &mut Subscriber, count: usize) -> Result<(), Error> {
    for _ in 0..count {
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
    Ok(())
}
