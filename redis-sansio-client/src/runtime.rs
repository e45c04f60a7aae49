//! The aliases every async runtime module has, written once.

/// Names the async bodies on one runtime without type parameters: `Client`,
/// `Connection`, `ClientDriver`, `Pool`, `PooledConnection`, `ClusterClient`,
/// `ClusterSubscriber`, `Subscriber` and `SentinelClient`.
#[allow(unused_macros)] // a `sync`-only build has no async runtime module
macro_rules! runtime_aliases {
    ($rt:ty, $name:literal) => {
        #[doc = concat!(
            "The multiplexed client on ", $name, ": cloneable, every clone shares one ",
            "connection, concurrent calls are pipelined, and it reconnects after a lost ",
            "connection.\n\n",
            "Its command methods (`client.get(key).await`) come from [`Commands`]",
            "(crate::Commands) and its group traits ([`StringCommands`]",
            "(crate::StringCommands), [`ListCommands`](crate::ListCommands), ...): bring ",
            "them into scope with `use redis_sansio_client::prelude::*`. A call's future ",
            "sends its command when it is created, so a future dropped unpolled has still ",
            "run its command. See [`io_async::Client`](crate::io_async::Client) for its ",
            "own methods (`open`, `connect`, `dedicated`, `request`, ...).",
        )]
        pub type Client = $crate::io_async::Client<$rt>;

        #[doc = concat!(
            "An exclusive connection on ", $name, ": one caller at a time, each call ",
            "drives the socket; for pub/sub, `WATCH` and blocking commands of your own.\n\n",
            "Its command methods (`conn.get(key).await`) come from [`Commands`]",
            "(crate::Commands) and its group traits: `use redis_sansio_client::prelude::*`.",
            " See [`io_async::Connection`](crate::io_async::Connection) for its own methods.",
        )]
        pub type Connection = $crate::io_async::Connection<$rt>;

        #[doc = concat!(
            "A [`Client`]'s driver, for polling it yourself instead of spawning it on ",
            $name, "; see [`io_async::ClientDriver`](crate::io_async::ClientDriver).",
        )]
        pub type ClientDriver = $crate::io_async::ClientDriver<$rt>;

        #[doc = concat!(
            "A pool of exclusive connections on ", $name, " (no background task); its ",
            "guards, [`PooledConnection`], take every command method. See ",
            "[`pool::exclusive::Pool`](crate::pool::exclusive::Pool).",
        )]
        pub type Pool = $crate::pool::exclusive::Pool<$rt>;

        #[doc = concat!(
            "A connection borrowed from a [`Pool`] on ", $name, "; back in the pool when ",
            "dropped.",
        )]
        pub type PooledConnection = $crate::pool::exclusive::PooledConnection<$rt>;

        #[doc = concat!(
            "A Redis Cluster client on ", $name, ": commands routed to their slot's node, ",
            "redirections followed, multi-key commands split per slot; every command ",
            "method works on it. See [`cluster::ClusterClient`](crate::cluster::ClusterClient).",
        )]
        pub type ClusterClient = $crate::cluster::ClusterClient<$rt>;

        #[doc = concat!(
            "A cluster-wide pub/sub subscriber on ", $name, "; see ",
            "[`cluster::AsyncClusterSubscriber`](crate::cluster::AsyncClusterSubscriber).",
        )]
        pub type ClusterSubscriber = $crate::cluster::AsyncClusterSubscriber<$rt>;

        #[doc = concat!(
            "A pub/sub subscriber on ", $name, ", a `Stream` of messages that ",
            "resubscribes after a lost connection; see ",
            "[`pubsub::AsyncSubscriber`](crate::pubsub::AsyncSubscriber).",
        )]
        pub type Subscriber = $crate::pubsub::AsyncSubscriber<$rt>;

        #[doc = concat!(
            "A Sentinel-discovered multiplexed client on ", $name, " that follows the ",
            "master through failovers; every command method works on it. See ",
            "[`sentinel::SentinelMultiplexed`](crate::sentinel::SentinelMultiplexed).",
        )]
        pub type SentinelClient = $crate::sentinel::SentinelMultiplexed<$rt>;
    };
}
