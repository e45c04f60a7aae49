//! What a sentinel-backed connection needs to know: the master name, the sentinels,
//! and how to connect to each sentinel and to the data node.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use redis_sansio::config::{ConnectionConfig, Password, ServerAddr, TlsOptions, UrlError};
use redis_sansio::retry::Reconnect;
use redis_sansio::sentinel::{DEFAULT_FOLLOW_TIMEOUT, Discovery, Target, default_policy};

use crate::Error;

/// How long connecting to a sentinel, and each of its replies, may take by default.
/// The guidelines ask for a short one: a dead sentinel should cost little.
pub const DEFAULT_SENTINEL_TIMEOUT: Duration = Duration::from_millis(500);

/// Everything discovery needs: the master name, the sentinels to ask, what to look for,
/// and the settings for the data connection.
///
/// ```
/// use redis_client::sentinel::SentinelConfig;
/// use redis_sansio::config::ConnectionConfig;
///
/// let config = SentinelConfig::new("mymaster", ["redis://127.0.0.1:26379", "redis://127.0.0.1:26380"])?
///     .with_node(ConnectionConfig::from_url("redis://:secret@ignored-host/2")?)
///     .with_sentinel_password("sentinel-secret");
/// assert_eq!(config.sentinels().len(), 2);
/// assert_eq!(config.node().db, 2);
/// # Ok::<(), redis_client::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SentinelConfig {
    master_name: String,
    sentinels: Vec<ServerAddr>,
    target: Target,
    node: ConnectionConfig,
    sentinel_username: Option<String>,
    sentinel_password: Option<Password>,
    /// `Some` when the sentinels are reached over TLS.
    sentinel_tls: Option<TlsOptions>,
    sentinel_timeout: Duration,
    learn_sentinels: bool,
    watch_failovers: bool,
    reconnect: Reconnect,
    retry_timeout: Duration,
}

impl SentinelConfig {
    /// Discovery of the master `master_name` through the sentinels the URLs name
    /// (`redis://host:port`, or `rediss://host:port` for sentinels that take TLS; only
    /// the scheme, host and port are used, and the first URL's `tls_*` options: give
    /// a sentinel password with
    /// [`with_sentinel_password`](Self::with_sentinel_password), and TLS settings
    /// a URL cannot carry with [`with_sentinel_tls`](Self::with_sentinel_tls)).
    /// The data node is reached with [`ConnectionConfig::default`]'s settings until
    /// [`with_node`](Self::with_node) says otherwise.
    ///
    /// Every sentinel, those learned from the others included, is reached the same
    /// way, so the URLs must agree: `rediss://` mixed with `redis://` or `unix://` is
    /// refused with [`UrlError::MixedTls`].
    pub fn new<U: AsRef<str>>(
        master_name: impl Into<String>,
        sentinel_urls: impl IntoIterator<Item = U>,
    ) -> Result<Self, Error> {
        let configs = sentinel_urls
            .into_iter()
            .map(|url| ConnectionConfig::from_url(url.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let tls = configs
            .first()
            .filter(|config| config.tls)
            .map(|config| config.tls_options.clone());
        if configs.iter().any(|config| config.tls != tls.is_some()) {
            return Err(UrlError::MixedTls.into());
        }
        let config = Self::from_addrs(master_name, configs.into_iter().map(|config| config.addr));
        Ok(match tls {
            Some(options) => config.with_sentinel_tls(options),
            None => config,
        })
    }

    /// As [`new`](Self::new), from addresses.
    pub fn from_addrs(
        master_name: impl Into<String>,
        sentinels: impl IntoIterator<Item = ServerAddr>,
    ) -> Self {
        SentinelConfig {
            master_name: master_name.into(),
            sentinels: sentinels.into_iter().collect(),
            target: Target::Master,
            node: ConnectionConfig::default(),
            sentinel_username: None,
            sentinel_password: None,
            sentinel_tls: None,
            sentinel_timeout: DEFAULT_SENTINEL_TIMEOUT,
            learn_sentinels: true,
            watch_failovers: true,
            reconnect: default_policy(),
            retry_timeout: DEFAULT_FOLLOW_TIMEOUT,
        }
    }

    /// The settings for the data node (password, database, protocol, client name,
    /// timeouts); its address is replaced by the one discovered. Its connect timeout
    /// bounds connecting to each candidate node, and its response timeout (none by
    /// default) the `ROLE` check on it.
    pub fn with_node(mut self, node: ConnectionConfig) -> Self {
        self.node = node;
        self
    }

    /// Look for a replica instead of the master, chosen at random among the healthy
    /// ones (the randomness is drawn here, from std's hasher seeds, not in the core).
    pub fn with_replica(mut self) -> Self {
        let seed = RandomState::new().hash_one(self.master_name.as_str());
        self.target = Target::Replica { seed };
        self
    }

    /// Look for `target`: [`Target::Master`] (the default), or
    /// [`Target::Replica`] with a seed of your own.
    pub fn with_target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// The password the sentinels require (`requirepass` on the sentinels).
    pub fn with_sentinel_password(mut self, password: impl Into<Password>) -> Self {
        self.sentinel_password = Some(password.into());
        self
    }

    /// The ACL user for the sentinels, with [`with_sentinel_password`](Self::with_sentinel_password).
    pub fn with_sentinel_username(mut self, username: impl Into<String>) -> Self {
        self.sentinel_username = Some(username.into());
        self
    }

    /// Reach the sentinels over TLS (sentinels with a `tls-port`), with these
    /// settings: the certificate authorities to trust, a client certificate, a server
    /// name (see [`TlsOptions`]). `rediss://` sentinel URLs turn TLS on with
    /// [`TlsOptions::default`]. Every sentinel connection uses it: discovery, the
    /// sentinels learned from the others, and the failover watch. The data node's
    /// TLS is [`with_node`](Self::with_node)'s configuration's own.
    pub fn with_sentinel_tls(mut self, options: TlsOptions) -> Self {
        self.sentinel_tls = Some(options);
        self
    }

    /// How long connecting to a sentinel, and each of its replies, may take. Default:
    /// [`DEFAULT_SENTINEL_TIMEOUT`].
    pub fn with_sentinel_timeout(mut self, timeout: Duration) -> Self {
        self.sentinel_timeout = timeout;
        self
    }

    /// Whether to ask the first sentinel that answers for the other sentinels it knows
    /// (`SENTINEL SENTINELS`) and add them to the list. Default: on.
    pub fn with_sentinel_learning(mut self, learn: bool) -> Self {
        self.learn_sentinels = learn;
        self
    }

    /// Whether the failover-following clients ([`SentinelClient`](super::SentinelClient),
    /// [`SentinelMultiplexed`](super::SentinelMultiplexed)) of a master subscribe to a
    /// sentinel's `+switch-master` announcements and move to the new master as soon as
    /// the sentinels agree on it, instead of when the old master is demoted (which
    /// closes its clients' connections, some seconds later). Default: on. Costs one
    /// more connection, to a sentinel.
    pub fn with_failover_watch(mut self, watch: bool) -> Self {
        self.watch_failovers = watch;
        self
    }

    /// How the failover-following clients space their discoveries after losing the
    /// node (only the attempts and delays are used: see
    /// [`Reconnect::resend_writes`] for writes, which is `resend_after_close` on the
    /// clients). Default: [`default_policy`] (at once, then 50 ms doubled up to 1 s,
    /// without end: each call stops waiting at its own deadline).
    pub fn with_reconnect(mut self, policy: Reconnect) -> Self {
        self.reconnect = policy;
        self
    }

    /// How long a call of a failover-following client may wait for a master (a
    /// failover, the discoveries after it), counted from when the call was made.
    /// Past it the call fails with the last discovery's
    /// [`Error::Sentinel`](crate::Error::Sentinel), or a timeout. A request sent
    /// is bounded by the node's own response timeout ([`with_node`](Self::with_node)).
    /// Default: [`DEFAULT_FOLLOW_TIMEOUT`] (10 s).
    pub fn with_retry_timeout(mut self, timeout: Duration) -> Self {
        self.retry_timeout = timeout;
        self
    }

    /// The policy between discoveries: see [`with_reconnect`](Self::with_reconnect).
    pub fn reconnect(&self) -> &Reconnect {
        &self.reconnect
    }

    /// How long a call may wait for a master: see
    /// [`with_retry_timeout`](Self::with_retry_timeout).
    pub fn retry_timeout(&self) -> Duration {
        self.retry_timeout
    }

    /// Whether the failover-following clients watch `+switch-master`: asked for,
    /// and the master is the target.
    pub(crate) fn watches_failovers(&self) -> bool {
        self.watch_failovers && self.target == Target::Master
    }

    /// The master name.
    pub fn master_name(&self) -> &str {
        &self.master_name
    }

    /// The sentinels, in the order they are asked.
    pub fn sentinels(&self) -> &[ServerAddr] {
        &self.sentinels
    }

    /// What discovery looks for.
    pub fn target(&self) -> Target {
        self.target
    }

    /// The data node's settings.
    pub fn node(&self) -> &ConnectionConfig {
        &self.node
    }

    /// The TLS settings for the sentinels; `None` when they are reached in plain text.
    pub fn sentinel_tls(&self) -> Option<&TlsOptions> {
        self.sentinel_tls.as_ref()
    }

    /// Replaces the sentinel list: after a discovery, with the reordered and learned
    /// list it ends with.
    pub(crate) fn set_sentinels(&mut self, sentinels: Vec<ServerAddr>) {
        self.sentinels = sentinels;
    }

    /// Moves `sentinel` to the front of the list, if it is in it: the sentinel that
    /// announced a failover is the one to ask first afterwards.
    pub(crate) fn prefer_sentinel(&mut self, sentinel: &ServerAddr) {
        if let Some(at) = self.sentinels.iter().position(|known| known == sentinel) {
            self.sentinels[..=at].rotate_right(1);
        }
    }

    /// A new discovery from these settings.
    pub(crate) fn discovery(&self) -> Discovery {
        Discovery::new(
            self.master_name.as_str(),
            self.sentinels.iter().cloned(),
            self.target,
        )
        .learn_sentinels(self.learn_sentinels)
    }

    /// How to connect to the sentinel at `addr`.
    pub(crate) fn sentinel_connection(&self, addr: ServerAddr) -> ConnectionConfig {
        let mut config = ConnectionConfig::new(addr)
            .with_connect_timeout(self.sentinel_timeout)
            .with_response_timeout(self.sentinel_timeout);
        if let Some(username) = &self.sentinel_username {
            config = config.with_username(username.as_str());
        }
        if let Some(password) = &self.sentinel_password {
            config = config.with_password(password.clone());
        }
        if let Some(options) = &self.sentinel_tls {
            config = config.with_tls_options(options.clone());
        }
        config
    }

    /// How to connect to the data node at `addr`.
    pub(crate) fn node_connection(&self, addr: ServerAddr) -> ConnectionConfig {
        self.node.clone().with_addr(addr)
    }
}

#[cfg(test)]
mod tests {
    use redis_sansio::resp::Frame;
    use redis_sansio::sentinel::Action;

    use super::*;

    #[test]
    fn the_documented_defaults() {
        assert_eq!(DEFAULT_SENTINEL_TIMEOUT, Duration::from_millis(500));
        let config = SentinelConfig::new("m", ["redis://127.0.0.1:26379"]).unwrap();
        let sentinel = config.sentinel_connection(config.sentinels()[0].clone());
        assert_eq!(sentinel.connect_timeout, Some(DEFAULT_SENTINEL_TIMEOUT));
        assert_eq!(sentinel.response_timeout, Some(DEFAULT_SENTINEL_TIMEOUT));
        assert_eq!(config.target(), Target::Master);
        assert_eq!(config.node(), &ConnectionConfig::default());
        assert_eq!(config.sentinel_tls(), None);
        assert!(config.watches_failovers(), "the failover watch is on");
        assert_eq!(config.retry_timeout(), Duration::from_secs(10));
        assert_eq!(config.reconnect(), &default_policy());
        // Learning is on: once the master is named, the sentinel is asked for the
        // others.
        let mut discovery = config.discovery();
        let Some(Action::AskSentinel { step, .. }) = discovery.poll_action() else {
            panic!("the first step asks the sentinel")
        };
        let master = Frame::Array(vec![Frame::bulk("127.0.0.1"), Frame::bulk("7000")]);
        discovery.handle_reply(step, master);
        let asked = match discovery.poll_action() {
            Some(Action::AskSentinel { cmd, .. }) => cmd.args().nth(1).map(<[u8]>::to_vec),
            other => panic!("expected SENTINEL SENTINELS, got {other:?}"),
        };
        assert_eq!(asked.as_deref(), Some(&b"SENTINELS"[..]));
    }

    #[test]
    fn rediss_urls_reach_every_sentinel_over_tls() {
        let config = SentinelConfig::new(
            "m",
            ["rediss://127.0.0.1:26379", "rediss://127.0.0.1:26380"],
        )
        .unwrap();
        assert_eq!(config.sentinel_tls(), Some(&TlsOptions::default()));
        let learned = ServerAddr::Tcp {
            host: "127.0.0.1".into(),
            port: 26381,
        };
        let sentinel = config.sentinel_connection(learned.clone());
        assert!(sentinel.tls);
        assert_eq!(sentinel.addr, learned);
    }

    #[test]
    fn the_first_urls_tls_options_reach_every_sentinel() {
        let config = SentinelConfig::new(
            "m",
            [
                "rediss://127.0.0.1:26379?tls_ca_file=/etc/ca.pem&tls_server_name=sentinel",
                "rediss://127.0.0.1:26380",
            ],
        )
        .unwrap();
        for sentinel in config.sentinels() {
            let options = config.sentinel_connection(sentinel.clone()).tls_options;
            assert_eq!(options.server_name.as_deref(), Some("sentinel"));
            assert_eq!(
                options.ca_certs,
                [redis_sansio::config::Pem::file("/etc/ca.pem")]
            );
        }
        let node = config.node_connection(config.sentinels()[0].clone());
        assert!(
            !node.tls,
            "the data node is not reached with the sentinels' TLS"
        );
    }

    #[test]
    fn plain_urls_reach_the_sentinels_in_plain_text() {
        let config = SentinelConfig::new("m", ["redis://127.0.0.1:26379"]).unwrap();
        assert_eq!(config.sentinel_tls(), None);
        assert!(
            !config
                .sentinel_connection(config.sentinels()[0].clone())
                .tls
        );
    }

    #[test]
    fn tls_settings_go_to_the_sentinels_and_not_to_the_node() {
        let mut options = TlsOptions::default();
        options.system_roots = false;
        options.server_name = Some("sentinel.internal".into());
        let config = SentinelConfig::new("m", ["redis://127.0.0.1:26379"])
            .unwrap()
            .with_sentinel_tls(options.clone());
        let sentinel = config.sentinel_connection(config.sentinels()[0].clone());
        assert!(sentinel.tls);
        assert_eq!(sentinel.tls_options, options);
        let node = config.node_connection(config.sentinels()[0].clone());
        assert!(!node.tls);
    }

    #[test]
    fn mixing_rediss_with_plain_urls_is_refused() {
        for urls in [
            ["rediss://127.0.0.1:26379", "redis://127.0.0.1:26380"],
            ["redis://127.0.0.1:26379", "rediss://127.0.0.1:26380"],
            ["unix:///tmp/sentinel.sock", "rediss://127.0.0.1:26380"],
        ] {
            let error = SentinelConfig::new("m", urls).unwrap_err();
            assert!(
                matches!(error, Error::Url(UrlError::MixedTls)),
                "{urls:?}: {error:?}"
            );
        }
    }
}
