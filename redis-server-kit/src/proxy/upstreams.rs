//! The shared upstream connections: multiplexed clients, one set per protocol,
//! connected when first needed and replaced when found closed.

use std::sync::atomic::{AtomicBool, Ordering};

use redis_io_tokio::{Client, Error};
use redis_sansio::config::{ConnectionConfig, ProtocolVersion};
use redis_sansio::resp::Version;
use tokio::sync::Mutex;

/// `count` multiplexed upstream clients for RESP2 clients and as many for RESP3 ones,
/// so that every reply is the upstream's own in the client's protocol.
pub(crate) struct Upstreams {
    config: ConnectionConfig,
    /// The server refused a shared upstream for want of credentials.
    auth_required: AtomicBool,
    count: usize,
    slots: Vec<Mutex<Option<Client>>>,
}

impl Upstreams {
    pub(crate) fn new(config: ConnectionConfig, count: usize) -> Self {
        let count = count.max(1);
        Upstreams {
            config,
            auth_required: AtomicBool::new(false),
            count,
            slots: (0..2 * count).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// The upstream settings (address, the proxy's own credentials).
    pub(crate) fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// Whether the server refused a shared upstream for want of credentials: then
    /// every client needs a dedicated upstream, on which its own `AUTH` counts.
    pub(crate) fn auth_required(&self) -> bool {
        self.auth_required.load(Ordering::Relaxed)
    }

    /// Records that the server wants credentials the proxy does not have.
    pub(crate) fn note_auth_required(&self) {
        self.auth_required.store(true, Ordering::Relaxed);
    }

    /// The shared client for a client speaking `protocol`; client `id`s are spread
    /// over the `count` upstreams. Connects (again) when there is none or it closed.
    pub(crate) async fn shared(&self, protocol: Version, id: u64) -> Result<Client, Error> {
        let (offset, wire) = match protocol {
            Version::Resp2 => (0, ProtocolVersion::Resp2),
            Version::Resp3 => (self.count, ProtocolVersion::Resp3),
        };
        let index = offset + (id % self.count as u64) as usize;
        let mut slot = self.slots[index].lock().await;
        if let Some(client) = slot.as_ref().filter(|client| !client.is_closed()) {
            return Ok(client.clone());
        }
        let client = Client::connect(self.config.clone().with_protocol(wire)).await?;
        *slot = Some(client.clone());
        Ok(client)
    }
}
