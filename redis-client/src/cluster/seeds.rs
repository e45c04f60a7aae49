//! Seed URLs: where to start, and the settings every node's connection takes.

use redis_sansio::cluster::{ClusterError, NodeAddr};
use redis_sansio::config::{ConnectionConfig, ServerAddr, UrlError};

use crate::Error;

/// The settings shared by every node's connection (those of the first seed: user,
/// password, protocol, client name, timeouts), and the seeds' addresses.
#[derive(Debug, Clone)]
pub(crate) struct Seeds {
    pub(crate) base: ConnectionConfig,
    pub(crate) addrs: Vec<NodeAddr>,
}

impl Seeds {
    /// Parses every URL (`&[&str]`, `Vec<String>`, an array...); Unix-socket seeds
    /// are skipped (cluster nodes talk TCP).
    pub(crate) fn from_urls(
        urls: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Seeds, Error> {
        let configs = urls
            .into_iter()
            .map(|url| url.as_ref().parse::<ConnectionConfig>())
            .collect::<Result<Vec<_>, _>>()?;
        Seeds::from_configs(configs)
    }

    /// The first configuration's settings, every configuration's TCP address. Seeds
    /// that do not agree on TLS are refused with [`UrlError::MixedTls`]: every node is
    /// reached the way the first seed says.
    pub(crate) fn from_configs(configs: Vec<ConnectionConfig>) -> Result<Seeds, Error> {
        if let Some(first) = configs.first() {
            if configs.iter().any(|config| config.tls != first.tls) {
                return Err(UrlError::MixedTls.into());
            }
        }
        let addrs: Vec<NodeAddr> = configs
            .iter()
            .filter_map(|config| match &config.addr {
                ServerAddr::Tcp { host, port } => Some(NodeAddr::new(host.clone(), *port)),
                ServerAddr::Unix { .. } => None,
            })
            .collect();
        let base = configs.into_iter().next();
        match base {
            Some(base) if !addrs.is_empty() => Ok(Seeds { base, addrs }),
            _ => Err(Error::Cluster(ClusterError::NoSeeds)),
        }
    }

    /// The configuration for the node at `addr`.
    pub(crate) fn config_for(&self, addr: &NodeAddr) -> ConnectionConfig {
        self.base
            .clone()
            .with_addr(ServerAddr::tcp(addr.host.clone(), addr.port))
    }
}

#[cfg(test)]
mod tests {
    use redis_sansio::config::ProtocolVersion;

    use super::*;

    #[test]
    fn the_first_seed_sets_everything_but_the_address() {
        let seeds = Seeds::from_urls([
            "redis://:secret@10.0.0.1:7000?protocol=2&client_name=app",
            "redis://10.0.0.2:7001",
        ])
        .unwrap();
        assert_eq!(
            seeds.addrs,
            [
                NodeAddr::new("10.0.0.1", 7000),
                NodeAddr::new("10.0.0.2", 7001)
            ]
        );
        let node = seeds.config_for(&NodeAddr::new("10.0.0.3", 7002));
        assert_eq!(node.addr, ServerAddr::tcp("10.0.0.3", 7002));
        assert_eq!(node.password.as_ref().map(|p| p.expose()), Some("secret"));
        assert_eq!(node.protocol, ProtocolVersion::Resp2);
        assert_eq!(node.client_name.as_deref(), Some("app"));
    }

    #[test]
    fn seeds_that_mix_tls_and_plain_text_are_refused() {
        for urls in [
            ["rediss://10.0.0.1:7000", "redis://10.0.0.2:7001"],
            ["redis://10.0.0.1:7000", "rediss://10.0.0.2:7001"],
        ] {
            assert!(
                matches!(Seeds::from_urls(urls), Err(Error::Url(UrlError::MixedTls))),
                "{urls:?}"
            );
        }
        let tls = Seeds::from_urls([
            "rediss://10.0.0.1:7000?tls_ca_file=/etc/redis/ca.pem&tls_server_name=cluster",
            "rediss://10.0.0.2:7001",
        ])
        .expect("TLS seeds");
        // Every node, learned ones included, gets the first seed's TLS settings.
        let node = tls.config_for(&NodeAddr::new("10.0.0.3", 7002));
        assert!(node.tls);
        assert_eq!(node.tls_options.server_name.as_deref(), Some("cluster"));
        assert_eq!(
            node.tls_options.ca_certs,
            [redis_sansio::config::Pem::file("/etc/redis/ca.pem")]
        );
    }

    #[test]
    fn owned_strings_are_seeds_as_str_slices_are() {
        let owned: Vec<String> = vec![
            "redis://10.0.0.1:7000".into(),
            "redis://10.0.0.2:7001".into(),
        ];
        let from_slice = Seeds::from_urls(&owned[..]).expect("&[String]");
        let from_vec = Seeds::from_urls(owned).expect("Vec<String>");
        let from_strs =
            Seeds::from_urls(["redis://10.0.0.1:7000", "redis://10.0.0.2:7001"]).expect("&[&str]");
        assert_eq!(from_slice.addrs, from_strs.addrs);
        assert_eq!(from_vec.addrs, from_strs.addrs);
        assert_eq!(from_vec.addrs.len(), 2);
    }

    #[test]
    fn no_tcp_seed_is_an_error() {
        assert!(matches!(
            Seeds::from_urls(Vec::<String>::new()),
            Err(Error::Cluster(ClusterError::NoSeeds))
        ));
        assert!(matches!(
            Seeds::from_urls(["unix:///tmp/redis.sock"]),
            Err(Error::Cluster(ClusterError::NoSeeds))
        ));
        assert!(matches!(
            Seeds::from_urls(["nonsense://x"]),
            Err(Error::Url(_))
        ));
    }
}
