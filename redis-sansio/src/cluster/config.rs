//! The router's limits and timings, with their defaults.

use std::time::Duration;

use super::event::ReadFrom;
use crate::retry::Backoff;

/// How many `MOVED`/`ASK` redirects one request may follow, by default.
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;
/// How many times one request is retried after `TRYAGAIN`, `CLUSTERDOWN` or `LOADING`,
/// by default (the [retry timeout](DEFAULT_RETRY_TIMEOUT) usually ends them first).
pub const DEFAULT_MAX_RETRIES: u32 = 16;
/// The first retry delay; each later one doubles, by default.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(50);
/// The longest retry delay, by default.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(2);
/// The least time between the starts of two topology refreshes, by default.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_millis(500);
/// How long a node asked for the topology may take before the next one is asked, by
/// default.
pub const DEFAULT_REFRESH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long after a call was made it may still be retried, by default: long enough
/// for a failover under Redis's usual `cluster-node-timeout` of a few seconds.
pub const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long after a topology was last read it is read again without any error
/// asking for it, by default.
pub const DEFAULT_PERIODIC_REFRESH: Duration = Duration::from_secs(30);

/// The router's limits and timings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouterConfig {
    /// How many `MOVED`/`ASK` redirects one request may follow before it fails with
    /// [`ClusterError::TooManyRedirects`](super::ClusterError::TooManyRedirects).
    pub max_redirects: u32,
    /// How many retries after `TRYAGAIN`, `CLUSTERDOWN` or `LOADING` before
    /// [`ClusterError::TooManyRetries`](super::ClusterError::TooManyRetries).
    pub max_retries: u32,
    /// The first retry delay; the `n`th retry waits `retry_base * 2^n`.
    pub retry_base: Duration,
    /// The cap on a retry delay.
    pub retry_max: Duration,
    /// The least time between the starts of two topology refreshes: requests for a
    /// refresh within it are merged into one at its end.
    pub refresh_interval: Duration,
    /// How long a refresh may wait for its node's answer before the next node is
    /// asked (a lost answer cannot stall refreshes for ever).
    pub refresh_timeout: Duration,
    /// How long after a call was made a [`ClusterCall`](super::ClusterCall) may
    /// still retry it (redirects past the first, busy errors, a connection refused or
    /// lost while a failover promotes a replica); past it the call ends with its last
    /// outcome.
    pub retry_timeout: Duration,
    /// Read the topology again when this long has passed since it was last read,
    /// even without an error asking for it (`None`: only on errors). The router asks
    /// for it through [`poll_timeout`](super::ClusterRouter::poll_timeout).
    pub periodic_refresh: Option<Duration>,
    /// Whether a call whose command may change data (a write, a script, `PUBLISH`)
    /// is sent again after its connection was lost before the reply came, at the risk
    /// of running it twice. Off by default: such a call fails with the connection's
    /// error (its outcome unknown), and only commands that cannot change data
    /// ([`Routing::may_resend`](super::Routing::may_resend)) are sent again.
    pub resend_writes: bool,
    /// Where the clients send read-only commands: the primary (the default), or a
    /// replica (the clients then send `READONLY` on every node connection). The router
    /// itself routes by the [`ReadFrom`] each call passes.
    pub read_from: ReadFrom,
    /// Whether the adapter's node connections use TLS. A node of a cluster serving
    /// both plain text and TLS lists both ports in `CLUSTER SHARDS`; with `tls` the
    /// router takes its `tls-port` ([`Topology::from_shards_tls`](super::Topology::from_shards_tls)),
    /// without it the plain `port`. A TLS-only node (`port 0`) lists only its
    /// `tls-port`, taken either way. Default: `false`; `redis-client`'s cluster clients
    /// set it from their seeds' settings.
    pub tls: bool,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            max_redirects: DEFAULT_MAX_REDIRECTS,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_base: DEFAULT_RETRY_BASE,
            retry_max: DEFAULT_RETRY_MAX,
            refresh_interval: DEFAULT_REFRESH_INTERVAL,
            refresh_timeout: DEFAULT_REFRESH_TIMEOUT,
            retry_timeout: DEFAULT_RETRY_TIMEOUT,
            periodic_refresh: Some(DEFAULT_PERIODIC_REFRESH),
            resend_writes: false,
            read_from: ReadFrom::Primary,
            tls: false,
        }
    }
}

impl RouterConfig {
    /// Sets [`max_redirects`](Self::max_redirects).
    pub fn with_max_redirects(mut self, limit: u32) -> Self {
        self.max_redirects = limit;
        self
    }

    /// Sets [`max_retries`](Self::max_retries).
    pub fn with_max_retries(mut self, limit: u32) -> Self {
        self.max_retries = limit;
        self
    }

    /// Sets [`retry_base`](Self::retry_base) and [`retry_max`](Self::retry_max).
    pub fn with_retry_delays(mut self, base: Duration, max: Duration) -> Self {
        self.retry_base = base;
        self.retry_max = max;
        self
    }

    /// Sets [`refresh_interval`](Self::refresh_interval).
    pub fn with_refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// Sets [`refresh_timeout`](Self::refresh_timeout).
    pub fn with_refresh_timeout(mut self, timeout: Duration) -> Self {
        self.refresh_timeout = timeout;
        self
    }

    /// Sets [`retry_timeout`](Self::retry_timeout).
    pub fn with_retry_timeout(mut self, timeout: Duration) -> Self {
        self.retry_timeout = timeout;
        self
    }

    /// Sets [`periodic_refresh`](Self::periodic_refresh).
    pub fn with_periodic_refresh(mut self, every: Option<Duration>) -> Self {
        self.periodic_refresh = every;
        self
    }

    /// Sets [`resend_writes`](Self::resend_writes).
    pub fn with_resend_writes(mut self, resend: bool) -> Self {
        self.resend_writes = resend;
        self
    }

    /// Sets [`read_from`](Self::read_from).
    pub fn with_read_from(mut self, read_from: ReadFrom) -> Self {
        self.read_from = read_from;
        self
    }

    /// Sets [`tls`](Self::tls).
    pub fn with_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// The delay before retry number `attempt` (0 for the first): `retry_base *
    /// 2^attempt`, at most `retry_max`.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        Backoff::new(self.retry_base, self.retry_max).delay(attempt)
    }
}
