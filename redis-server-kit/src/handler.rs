//! The handler API: what a server built on this crate implements.

use crate::client::ClientInfo;
use crate::config::ServerConfig;
use crate::defaults;
use crate::outbox::Outbox;
use crate::reply::{Reply, Ticket};
use crate::request::Request;
use crate::session::replies::ReplyQueue;

/// What a server does with its clients' commands.
///
/// A body (the blocking loop or tokio) calls [`open`](Handler::open) when a client
/// connects, then one method per request, in the order the client sent them, then
/// [`closed`](Handler::closed). `HELLO`, `AUTH`, `SELECT` and `CLIENT` have default
/// implementations in [`defaults`](crate::defaults) that keep the session's
/// [`ClientInfo`]; override one to change it. `QUIT` closes after `+OK` unless
/// [`quit`](Handler::quit) is overridden.
/// Everything else goes to [`call`](Handler::call).
///
/// Methods take `&self`: one handler serves every connection (on the tokio body from
/// many tasks at once), so shared data lives behind the handler's own locks;
/// per-connection data lives in [`State`](Handler::State).
pub trait Handler: Send + Sync + 'static {
    /// What the server keeps per connection (a pub/sub subscription list, a
    /// transaction in progress...).
    type State: Send + 'static;

    /// A client connected; returns its state. `cx` gives its id, peer and outbox.
    fn open(&self, client: &ClientInfo, outbox: &Outbox) -> Self::State;

    /// Answers one request that no other method handles.
    fn call(&self, cx: &mut Cx<'_, Self::State>, request: Request) -> Reply;

    /// `HELLO`: by default [`defaults::hello`] (protocol 2 or 3, `AUTH`, `SETNAME`).
    fn hello(&self, cx: &mut Cx<'_, Self::State>, request: Request) -> Reply {
        defaults::hello(self, cx, &request)
    }

    /// `AUTH [user] password`: by default [`defaults::auth`], checking
    /// [`authenticate`](Handler::authenticate).
    fn auth(&self, cx: &mut Cx<'_, Self::State>, request: Request) -> Reply {
        defaults::auth(self, cx, &request)
    }

    /// `SELECT db`: by default [`defaults::select`] (0 to
    /// [`ServerConfig::databases`] - 1, kept in [`ClientInfo::db`]).
    fn select(&self, cx: &mut Cx<'_, Self::State>, request: Request) -> Reply {
        defaults::select(cx, &request)
    }

    /// `CLIENT ...`: by default [`defaults::client`] answers `SETNAME`, `GETNAME`,
    /// `ID`, `SETINFO` and `INFO`, and passes other subcommands to
    /// [`call`](Handler::call).
    fn client(&self, cx: &mut Cx<'_, Self::State>, request: Request) -> Reply {
        defaults::client(self, cx, request)
    }

    /// `QUIT`: by default `+OK`, then the connection closes.
    fn quit(&self, cx: &mut Cx<'_, Self::State>, request: Request) -> Reply {
        let _ = (cx, request);
        Reply::Close(redis_sansio::resp::Frame::simple("OK"))
    }

    /// Checks credentials for `AUTH` and `HELLO ... AUTH`. `None` (the default) means
    /// no password is configured: clients start authenticated, and `AUTH` behaves
    /// as on a Redis without `requirepass`.
    fn authenticate(&self, user: &[u8], password: &[u8]) -> Option<bool> {
        let _ = (user, password);
        None
    }

    /// The client's connection ended (it quit, closed, broke the protocol, or the
    /// server shut down). Release what it held (subscriptions...).
    fn closed(&self, state: Self::State, client: &ClientInfo) {
        let _ = (state, client);
    }
}

/// One request's view of its connection: the handler's per-connection state, the
/// client's settings, deferred replies and the outbox.
#[derive(Debug)]
pub struct Cx<'a, S> {
    pub(crate) state: &'a mut S,
    pub(crate) client: &'a mut ClientInfo,
    pub(crate) replies: &'a mut ReplyQueue,
    pub(crate) outbox: &'a Outbox,
    pub(crate) config: &'a ServerConfig,
}

impl<S> Cx<'_, S> {
    /// The handler's state for this connection.
    pub fn state(&mut self) -> &mut S {
        self.state
    }

    /// The client's settings (protocol, name, database, user).
    pub fn client(&self) -> &ClientInfo {
        self.client
    }

    /// The client's settings, to change (a handler overriding `HELLO` or `SELECT`).
    pub fn client_mut(&mut self) -> &mut ClientInfo {
        self.client
    }

    /// The server's settings.
    pub fn config(&self) -> &ServerConfig {
        self.config
    }

    /// A handle that reaches this connection from anywhere: pushes, deferred
    /// replies, close.
    pub fn outbox(&self) -> &Outbox {
        self.outbox
    }

    /// How many replies to this client's earlier requests are not written yet
    /// (deferred ones not given yet, and ready ones queued behind them). 0: every
    /// earlier request is answered, nothing is owed elsewhere.
    pub fn waiting(&self) -> usize {
        self.replies.len()
    }

    /// Keeps this request's place for a reply given later with
    /// [`Outbox::complete`]; return [`Reply::Deferred`] with the ticket. Call it at
    /// most once per request, and only when returning `Reply::Deferred`.
    pub fn defer(&mut self) -> Ticket {
        self.replies.defer(self.client.protocol)
    }
}
