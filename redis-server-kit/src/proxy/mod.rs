//! A pass-through Redis proxy on the toolkit (feature `proxy`, on tokio).
//!
//! Each client connection is served by a [`Session`](crate::Session) like any other
//! server's, with [`Proxy`] as its handler:
//!
//! - ordinary commands go to a **shared** upstream: a multiplexed client of this
//!   workspace (`redis-io-tokio`), shared by many client connections, with one set
//!   of shared upstreams per protocol so that every reply is the upstream's own in
//!   the client's protocol; replies come back in request order through deferred
//!   tickets;
//! - a client that sends a blocking command, `MULTI`/`WATCH`, `SELECT`, `AUTH`, pub/sub,
//!   `MONITOR`, `CLIENT TRACKING`/`REPLY` or `RESET` gets a **dedicated** upstream for
//!   the rest of its connection, brought to its state first (the proxy's credentials,
//!   `HELLO 3`, its name), after every reply the shared upstream still owed it;
//! - a lost upstream closes the client connection, as the server's own close would
//!   (replies already in are written first; those still owed are not invented):
//!   the client sees the end of the stream, never silence;
//! - a server that wants credentials the proxy lacks sends every client to a
//!   dedicated upstream, where the client's own `AUTH` or `HELLO ... AUTH` counts.
//!
//! `HELLO` (without `AUTH`) and `CLIENT SETNAME`/`GETNAME`/`SETINFO`/`INFO` are
//! answered by the proxy itself on a shared upstream, as the toolkit's defaults do,
//! `HELLO` after a `PING` round trip to the upstream; `CLIENT ID` moves the client to
//! a dedicated upstream, whose id it gets.
//!
//! ```no_run
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use redis_server_kit::proxy::{Proxy, ProxyConfig};
//! use redis_server_kit::{ListenAddr, ServerConfig};
//!
//! let proxy = Proxy::new(ProxyConfig::new("redis://127.0.0.1:6379".parse()?))?;
//! let server = redis_server_kit::tokio::Server::bind(
//!     Arc::new(proxy),
//!     ServerConfig::default(),
//!     &[ListenAddr::Tcp("127.0.0.1:6380".into())],
//! ).await?;
//! server.run().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Not done: TLS to the upstream (refused by [`Proxy::new`]), the cluster mode.

mod dedicated;
mod forwarder;
mod reply;
mod route;
mod upstreams;

use std::sync::Arc;

use bytes::Bytes;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::resp::{Frame, Version};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::client::ClientInfo;
use crate::defaults;
use crate::handler::{Cx, Handler};
use crate::outbox::Outbox;
use crate::reply::Reply;
use crate::request::Request;
use forwarder::Forward;
use upstreams::Upstreams;

/// Where the proxy forwards, and how.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The upstream server, and the proxy's own credentials there (every upstream
    /// connection authenticates with them; clients need none at the proxy). TLS is
    /// not supported. The response timeout is the upstream's deadline for each
    /// reply on shared upstreams; `None` (no deadline) by default.
    pub upstream: ConnectionConfig,
    /// How many shared upstream connections per protocol; clients are spread over
    /// them. Default 2.
    pub shared_upstreams: usize,
}

impl ProxyConfig {
    /// Forwards to `upstream` with the defaults.
    pub fn new(upstream: ConnectionConfig) -> Self {
        ProxyConfig {
            upstream,
            shared_upstreams: 2,
        }
    }
}

/// Why a proxy cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyError {
    /// The upstream configuration asks for TLS, which the proxy does not do yet.
    TlsUnsupported,
}

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxyError::TlsUnsupported => f.write_str("the proxy does not support TLS upstreams"),
        }
    }
}

impl std::error::Error for ProxyError {}

/// The proxy's [`Handler`]: serve it with the tokio body
/// ([`tokio::Server`](crate::tokio::Server)).
pub struct Proxy {
    upstreams: Arc<Upstreams>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("upstream", &self.upstreams.config().addr)
            .finish_non_exhaustive()
    }
}

/// One client connection's forwarding state.
#[derive(Debug)]
pub struct ProxyConn {
    forwarder: UnboundedSender<Forward>,
    dedicated: bool,
}

impl Proxy {
    /// A proxy to `config.upstream`; connects lazily, when a client first needs it.
    pub fn new(config: ProxyConfig) -> Result<Self, ProxyError> {
        if config.upstream.tls {
            return Err(ProxyError::TlsUnsupported);
        }
        Ok(Proxy {
            upstreams: Arc::new(Upstreams::new(config.upstream, config.shared_upstreams)),
        })
    }

    /// Sends `request` to a shared upstream, or to this client's dedicated one once
    /// it has one or needs one (or the server wants credentials the proxy lacks).
    fn forward(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        if cx.state().dedicated
            || route::needs_dedicated(&request)
            || self.upstreams.auth_required()
        {
            return self.pass_through(cx, request);
        }
        self.shared(cx, request.into_parts(), None)
    }

    /// Sends `parts` to a shared upstream; the reply (or `answer` in its place when
    /// the upstream's is not an error) comes back through a ticket.
    fn shared(
        &self,
        cx: &mut Cx<'_, ProxyConn>,
        parts: Vec<Bytes>,
        answer: Option<Frame>,
    ) -> Reply {
        let ticket = cx.defer();
        let protocol = cx.client().protocol;
        let forward = Forward::Shared {
            parts,
            ticket,
            protocol,
            answer,
        };
        self.send(cx, forward);
        Reply::Deferred(ticket)
    }

    /// Sends `request` to the client's dedicated upstream, opening it first if need
    /// be; the replies come back through the outbox as they arrive.
    fn pass_through(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        if !cx.state().dedicated {
            cx.state().dedicated = true;
            let preamble = self.preamble(cx.client());
            self.send(cx, Forward::Dedicate { preamble });
        }
        if request.is("hello") {
            // The upstream answers in the protocol asked for, so the session encodes
            // what comes back in it too.
            match request.args().first().map(|v| &v[..]) {
                Some(b"2") => cx.client_mut().protocol = Version::Resp2,
                Some(b"3") => cx.client_mut().protocol = Version::Resp3,
                _ => {}
            }
        }
        self.send(cx, Forward::Raw(request.into_parts()));
        Reply::None
    }

    /// Hands `forward` to the client's forwarder; if it has stopped (its upstream
    /// went away), the client is closed.
    fn send(&self, cx: &mut Cx<'_, ProxyConn>, forward: Forward) {
        if cx.state().forwarder.send(forward).is_err() {
            cx.outbox().close();
        }
    }

    /// The commands that bring a new dedicated upstream to the client's state: the
    /// proxy's credentials, the protocol, the client's name.
    fn preamble(&self, client: &ClientInfo) -> Vec<Vec<Bytes>> {
        let config = self.upstreams.config();
        let mut preamble = Vec::new();
        if let Some(password) = &config.password {
            let mut auth = vec![Bytes::from_static(b"AUTH")];
            if let Some(user) = &config.username {
                auth.push(Bytes::from(user.clone()));
            }
            auth.push(Bytes::from(password.expose().to_owned()));
            preamble.push(auth);
        }
        if client.is_resp3() {
            preamble.push(vec![Bytes::from_static(b"HELLO"), Bytes::from_static(b"3")]);
        }
        if let Some(name) = &client.name {
            preamble.push(vec![
                Bytes::from_static(b"CLIENT"),
                Bytes::from_static(b"SETNAME"),
                name.clone(),
            ]);
        }
        preamble
    }
}

impl Handler for Proxy {
    type State = ProxyConn;

    fn open(&self, client: &ClientInfo, outbox: &Outbox) -> ProxyConn {
        let (sender, receiver) = unbounded_channel();
        tokio::spawn(forwarder::run(
            Arc::clone(&self.upstreams),
            client.id,
            receiver,
            outbox.clone(),
        ));
        ProxyConn {
            forwarder: sender,
            dedicated: false,
        }
    }

    fn call(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        self.forward(cx, request)
    }

    /// `HELLO` with `AUTH` goes to a dedicated upstream, which checks the
    /// credentials; so does every `HELLO` of a client that has one, or when the
    /// server wants credentials the proxy lacks. Otherwise the toolkit's default
    /// answers, once a `PING` on the shared upstream shows the server answers (a
    /// sleeping or refusing server is seen at the handshake, as without a proxy).
    fn hello(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        let authenticates = request
            .args()
            .iter()
            .any(|a| a.eq_ignore_ascii_case(b"auth"));
        if cx.state().dedicated || authenticates || self.upstreams.auth_required() {
            return self.pass_through(cx, request);
        }
        match defaults::hello(self, cx, &request) {
            Reply::Frame(frame) if !frame.is_error() => {
                self.shared(cx, vec![Bytes::from_static(b"PING")], Some(frame))
            }
            refused => refused,
        }
    }

    /// The upstream checks credentials, on a dedicated upstream.
    fn auth(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        self.pass_through(cx, request)
    }

    /// A database other than the shared upstreams' needs a dedicated upstream.
    fn select(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        self.pass_through(cx, request)
    }

    /// On a dedicated upstream every `CLIENT` subcommand goes up (the name and id
    /// are the upstream's), and `CLIENT ID`, `TRACKING` and `REPLY` open one. On a
    /// shared upstream the toolkit answers the client's own `SETNAME`, `GETNAME` and
    /// `INFO`; `SETINFO` is answered once a `PING` shows the upstream answers (it is
    /// part of every handshake, which then covers the upstream); the rest goes up.
    fn client(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        if cx.state().dedicated || route::needs_dedicated(&request) {
            return self.pass_through(cx, request);
        }
        let setinfo = request.is_sub("client", "setinfo");
        match defaults::client(self, cx, request) {
            Reply::Frame(frame) if setinfo && !frame.is_error() => {
                self.shared(cx, vec![Bytes::from_static(b"PING")], Some(frame))
            }
            reply => reply,
        }
    }
}
