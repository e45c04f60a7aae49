//! A pass-through Redis proxy on the toolkit (feature `proxy`, on tokio).
//!
//! Each client connection is served by a [`Session`](crate::Session) like any other
//! server's, with [`Proxy`] as its handler:
//!
//! - ordinary commands go to a **shared** upstream connection, which many client
//!   connections use at once (a task per upstream connection writes every queued
//!   request in one go and matches replies first in, first out), with one set of
//!   shared upstreams per protocol so that every reply is the upstream's own in the
//!   client's protocol; replies come back in request order through deferred
//!   tickets;
//! - a client that sends a blocking command, a script, `MULTI`/`WATCH`, `SELECT`,
//!   `AUTH`, pub/sub, `MONITOR`, `SYNC`, `CLIENT SETNAME`/`TRACKING`/`REPLY`/`PAUSE` or
//!   `RESET` (the list: `route.rs`) gets a **dedicated** upstream for the rest of its
//!   connection, brought to its state first (the proxy's credentials, `HELLO 3`, its
//!   name), after every reply the shared upstream still owed it; what the server
//!   sends on it goes to the client byte for byte. A few idle spare connections
//!   (`ProxyConfig::dedicated_spares`) let the first request go up at once, in its
//!   order among other clients' requests;
//! - a lost upstream closes the client connection, as the server's own close would
//!   (replies already in are written first; those still owed are not invented):
//!   the client sees the end of the stream, never silence;
//! - against a server that wants credentials the proxy lacks, clients get the
//!   server's own `NOAUTH` replies until they `AUTH`, which moves them to a dedicated
//!   upstream where their credentials count.
//!
//! `HELLO` (without `AUTH` or `SETNAME`) and `CLIENT GETNAME`/`SETINFO`/`INFO` are
//! answered by the proxy itself on a shared upstream, as the toolkit's defaults do,
//! `HELLO` after a `PING` round trip to the upstream; `CLIENT ID` and `CLIENT SETNAME`
//! move the client to a dedicated upstream, whose id it gets and which carries its
//! name (the server shows it in `CLIENT LIST` and `SLOWLOG`).
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
mod reply;
mod route;
mod shared;
mod socket;
mod spares;

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use redis_sansio::config::{ConnectionConfig, ServerAddr};
use redis_sansio::resp::{Frame, Version, write_array_header, write_bulk};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::sync::oneshot;

use crate::client::ClientInfo;
use crate::defaults;
use crate::handler::{Cx, Handler};
use crate::outbox::Outbox;
use crate::reply::Reply;
use crate::request::Request;
use shared::{Job, SharedUpstreams};
use spares::Spares;

/// Where the proxy forwards, and how.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The upstream server (its address), and the proxy's own credentials there
    /// (every upstream connection authenticates with them; clients need none at the
    /// proxy). TLS is not supported; the other settings are not used.
    pub upstream: ConnectionConfig,
    /// How many shared upstream connections per protocol; clients are spread over
    /// them. Default 2.
    pub shared_upstreams: usize,
    /// How many idle connections to keep open for clients that move to a dedicated
    /// upstream, so that their first request there goes up at once, in its order
    /// among other clients' requests, rather than after a connect. Default 2.
    pub dedicated_spares: usize,
}

impl ProxyConfig {
    /// Forwards to `upstream` with the defaults.
    pub fn new(upstream: ConnectionConfig) -> Self {
        ProxyConfig {
            upstream,
            shared_upstreams: 2,
            dedicated_spares: 2,
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
    addr: ServerAddr,
    /// `AUTH [user] password` with the proxy's credentials, if it has some.
    credentials: Option<Vec<Bytes>>,
    shared: Arc<SharedUpstreams>,
    spares: Arc<Spares>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("upstream", &self.addr)
            .finish_non_exhaustive()
    }
}

/// One client connection's forwarding state.
#[derive(Debug, Default)]
pub struct ProxyConn {
    /// The shared upstreams this client used, by protocol (RESP2, RESP3).
    shared: [Option<UnboundedSender<Job>>; 2],
    /// The client's dedicated upstream, once it has one.
    dedicated: Option<UnboundedSender<Vec<Bytes>>>,
}

impl Proxy {
    /// A proxy to `config.upstream`; connects when a client first needs it.
    pub fn new(config: ProxyConfig) -> Result<Self, ProxyError> {
        if config.upstream.tls {
            return Err(ProxyError::TlsUnsupported);
        }
        let credentials = config.upstream.password.as_ref().map(|password| {
            let mut auth = vec![Bytes::from_static(b"AUTH")];
            if let Some(user) = &config.upstream.username {
                auth.push(Bytes::from(user.clone()));
            }
            auth.push(Bytes::from(password.expose().to_owned()));
            auth
        });
        let addr = config.upstream.addr;
        Ok(Proxy {
            shared: Arc::new(SharedUpstreams::new(
                addr.clone(),
                credentials.clone(),
                config.shared_upstreams,
            )),
            spares: Arc::new(Spares::new(addr.clone(), config.dedicated_spares)),
            addr,
            credentials,
        })
    }

    /// Sends `request` to a shared upstream, or to this client's dedicated one once
    /// it has one or needs one.
    fn forward(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        if cx.state().dedicated.is_some() || route::needs_dedicated(&request) {
            return self.pass_through(cx, request);
        }
        self.shared(cx, request.into_parts(), None)
    }

    /// Sends `parts` to the client's shared upstream; the reply (or `answer` in its
    /// place when the upstream's is not an error) comes back through a ticket.
    fn shared(
        &self,
        cx: &mut Cx<'_, ProxyConn>,
        parts: Vec<Bytes>,
        answer: Option<Frame>,
    ) -> Reply {
        if let Some(refusal) = without_runtime() {
            return refusal;
        }
        let ticket = cx.defer();
        let protocol = cx.client().protocol;
        let id = cx.client().id;
        let mut job = Job::Request {
            parts,
            ticket,
            outbox: cx.outbox().clone(),
            answer,
        };
        let slot = usize::from(protocol == Version::Resp3);
        // A cached queue whose upstream ended is replaced once; a fresh one that
        // fails means the upstream cannot be reached: the client is closed.
        for _ in 0..2 {
            let sender = cx.state().shared[slot]
                .get_or_insert_with(|| self.shared.sender(protocol, id))
                .clone();
            match sender.send(job) {
                Ok(()) => return Reply::Deferred(ticket),
                Err(refused) => {
                    job = refused.0;
                    cx.state().shared[slot] = None;
                }
            }
        }
        cx.outbox().close();
        Reply::Deferred(ticket)
    }

    /// Sends `request` to the client's dedicated upstream, opening it first (after
    /// every reply its shared upstreams owe it); the replies come back through the
    /// outbox as they arrive.
    fn pass_through(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        if let Some(refusal) = without_runtime() {
            return refusal;
        }
        // The state the new upstream is brought to is the one before this request.
        let preamble = cx
            .state()
            .dedicated
            .is_none()
            .then(|| self.preamble(cx.client()));
        if request.is("hello") {
            // The upstream answers in the protocol asked for, so the session encodes
            // what comes back in it too.
            match request.args().first().map(|v| &v[..]) {
                Some(b"2") => cx.client_mut().protocol = Version::Resp2,
                Some(b"3") => cx.client_mut().protocol = Version::Resp3,
                _ => {}
            }
        }
        let Some(preamble) = preamble else {
            let sent = cx
                .state()
                .dedicated
                .as_ref()
                .is_some_and(|dedicated| dedicated.send(request.into_parts()).is_ok());
            if !sent {
                cx.outbox().close();
            }
            return Reply::None;
        };
        let (sender, requests) = unbounded_channel();
        // The shared upstreams are done with this client once they have delivered
        // what they owe it; with nothing owed, nothing is waited for.
        let owed = cx.waiting() > 0;
        let mut barriers = Vec::new();
        for shared in cx.state().shared.iter_mut().filter_map(Option::take) {
            let (done, barrier) = oneshot::channel();
            if owed && shared.send(Job::Barrier(done)).is_ok() {
                barriers.push(barrier);
            }
        }
        let start = dedicated::Start {
            addr: self.addr.clone(),
            spare: self.spares.take(),
            preamble,
            first: request.into_parts(),
            barriers,
        };
        dedicated::start(start, requests, cx.outbox().clone());
        cx.state().dedicated = Some(sender);
        Reply::None
    }

    /// The commands that bring a new dedicated upstream to the client's state: the
    /// proxy's credentials, the protocol, the client's name.
    fn preamble(&self, client: &ClientInfo) -> Vec<Vec<Bytes>> {
        let mut preamble: Vec<Vec<Bytes>> = self.credentials.iter().cloned().collect();
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

/// The reply that closes a client when the proxy is served by a body without a
/// tokio runtime (the blocking one), where its upstream tasks cannot run.
fn without_runtime() -> Option<Reply> {
    tokio::runtime::Handle::try_current().is_err().then(|| {
        Reply::Close(Frame::error(
            "ERR proxy: served without a tokio runtime (use redis_server_kit::tokio::Server)",
        ))
    })
}

/// Appends `parts` as a RESP array of bulk strings, as a client sends a command.
fn encode_request(out: &mut BytesMut, parts: &[Bytes]) {
    write_array_header(out, parts.len());
    for part in parts {
        write_bulk(out, part);
    }
}

impl Handler for Proxy {
    type State = ProxyConn;

    fn open(&self, _: &ClientInfo, _: &Outbox) -> ProxyConn {
        self.spares.refill();
        ProxyConn::default()
    }

    fn call(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        self.forward(cx, request)
    }

    /// `HELLO` with `AUTH` goes to a dedicated upstream, which checks the
    /// credentials; so does every `HELLO` of a client that has one. Otherwise the
    /// toolkit's default answers, once a `PING` on the shared upstream shows the
    /// server answers (a sleeping or password-protected server is seen at the
    /// handshake, as without a proxy).
    fn hello(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        // Credentials and a name belong to the upstream connection.
        let authenticates_or_names = request
            .args()
            .iter()
            .any(|a| a.eq_ignore_ascii_case(b"auth") || a.eq_ignore_ascii_case(b"setname"));
        if cx.state().dedicated.is_some() || authenticates_or_names {
            return self.pass_through(cx, request);
        }
        match defaults::hello(self, cx, &request) {
            Reply::Frame(frame) if !frame.is_error() => {
                self.shared(cx, vec![Bytes::from_static(b"PING")], Some(frame))
            }
            refused => refused,
        }
    }

    /// On a dedicated upstream `QUIT` goes up, behind the requests before it, and the
    /// server's close ends the client's connection once their replies are written;
    /// otherwise the toolkit closes after `+OK`.
    fn quit(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        if cx.state().dedicated.is_some() {
            self.pass_through(cx, request)
        } else {
            Reply::Close(Frame::simple("OK"))
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
    /// are the upstream's), and `CLIENT ID`, `SETNAME`, `TRACKING`, `REPLY` and the
    /// other per-connection settings open one. On a shared upstream the toolkit
    /// answers the client's own `GETNAME` (no name) and `INFO`; `SETINFO` is answered once a `PING` shows the upstream answers (it is
    /// part of every handshake, which then covers the upstream); the rest goes up.
    fn client(&self, cx: &mut Cx<'_, ProxyConn>, request: Request) -> Reply {
        if cx.state().dedicated.is_some() || route::needs_dedicated(&request) {
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
