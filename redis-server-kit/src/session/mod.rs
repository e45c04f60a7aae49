//! The connection logic, written once: the sans-IO [`Session`].

pub(crate) mod replies;

use std::sync::Arc;

use bytes::{Buf, BytesMut};
use redis_sansio::resp::{RequestDecoder, Version, encode};

use crate::client::ClientInfo;
use crate::config::ServerConfig;
use crate::dispatch::dispatch;
use crate::handler::{Cx, Handler};
use crate::outbox::{Delivery, Outbox};
use crate::protocol_error::protocol_error_reply;
use crate::reply::Reply;
use crate::request::Request;
use replies::ReplyQueue;

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading and answering requests.
    Open,
    /// No more requests are read: the client sent EOF, quit, broke the protocol, or
    /// the server is shutting down. Replies already owed still go out.
    Draining,
    /// Nothing more is written: drop the socket.
    Finished,
}

/// The connection logic, written once: a sans-IO machine per client connection.
///
/// A [`Session`] has the core's four kinds of methods:
///
/// - getters: [`wants_read`](Session::wants_read), [`is_finished`](Session::is_finished),
///   [`client`](Session::client);
/// - inputs: [`read_buf`](Session::read_buf) + [`handle_read`](Session::handle_read)
///   (or [`handle_input`](Session::handle_input)), [`handle_eof`](Session::handle_eof),
///   [`handle_shutdown`](Session::handle_shutdown);
/// - application calls: [`handle_requests`](Session::handle_requests) runs the
///   handler on every request read and not yet answered,
///   [`handle_deliveries`](Session::handle_deliveries) takes what the
///   [`Outbox`] brought (pushes, deferred replies, a close);
/// - drains: [`transmit`](Session::transmit) + [`advance_transmit`](Session::advance_transmit).
///
/// A body's whole loop: after reading, after a wake-up from the outbox's waker, and
/// after a write, call `handle_deliveries`, `handle_requests`, write `transmit()`,
/// then read again only while `wants_read()`; drop the socket once `is_finished()`.
///
/// ```
/// use redis_server_kit::{ClientInfo, Cx, Handler, Outbox, Reply, Request, ServerConfig, Session};
/// use redis_sansio::resp::Frame;
///
/// struct Pong;
/// impl Handler for Pong {
///     type State = ();
///     fn open(&self, _: &ClientInfo, _: &Outbox) {}
///     fn call(&self, _: &mut Cx<'_, ()>, _: Request) -> Reply {
///         Frame::simple("PONG").into()
///     }
/// }
///
/// let handler = Pong;
/// let mut session = Session::new(&handler, &ServerConfig::default(), 1, "test".into(), || {});
/// session.handle_input(b"PING\r\n*1\r\n$4\r\nPING\r\n");
/// session.handle_requests(&handler);
/// assert_eq!(session.transmit(), b"+PONG\r\n+PONG\r\n");
/// let n = session.transmit().len();
/// session.advance_transmit(n);
/// session.handle_eof();
/// assert!(session.is_finished());
/// ```
///
/// It holds one client connection's protocol state: decoding, answering in order,
/// encoding in the client's protocol, backpressure.
pub struct Session<H: Handler> {
    decoder: RequestDecoder,
    input: BytesMut,
    /// Bytes at the end of `input` lent out by `read_buf`, not yet read into.
    reserved: usize,
    output: BytesMut,
    replies: ReplyQueue,
    client: ClientInfo,
    /// `None` only after the session ended and handed it to `Handler::closed`.
    state: Option<H::State>,
    outbox: Outbox,
    deliveries: Vec<Delivery>,
    config: ServerConfig,
    phase: Phase,
}

impl<H: Handler> std::fmt::Debug for Session<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("client", &self.client)
            .field("phase", &self.phase)
            .field("input", &self.input.len())
            .field("output", &self.output.len())
            .field("waiting", &self.replies.len())
            .finish_non_exhaustive()
    }
}

impl<H: Handler> Session<H> {
    /// A session for a client that just connected, with server-wide id `id` and peer
    /// address `peer`. `wake` is called (from any thread) when the session's
    /// [`Outbox`] gets a delivery; the body then calls
    /// [`handle_deliveries`](Self::handle_deliveries). Calls [`Handler::open`].
    pub fn new(
        handler: &H,
        config: &ServerConfig,
        id: u64,
        peer: String,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let authenticated = handler.authenticate(b"default", b"").is_none();
        let client = ClientInfo::new(id, peer, authenticated);
        let outbox = Outbox::new(Arc::new(wake));
        let state = handler.open(&client, &outbox);
        Session {
            decoder: RequestDecoder::new().with_limits(config.request_limits),
            input: BytesMut::with_capacity(config.read_chunk),
            reserved: 0,
            output: BytesMut::new(),
            replies: ReplyQueue::default(),
            client,
            state: Some(state),
            outbox,
            deliveries: Vec::new(),
            config: config.clone(),
            phase: Phase::Open,
        }
    }

    /// The client's settings.
    pub fn client(&self) -> &ClientInfo {
        &self.client
    }

    /// The handle that reaches this session from elsewhere.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Whether the body should read from the socket: the connection is open and the
    /// client's output and waiting replies are under their limits (backpressure).
    pub fn wants_read(&self) -> bool {
        self.phase == Phase::Open && !self.is_backpressured()
    }

    /// Whether the socket can be dropped: nothing more will be written.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    fn is_backpressured(&self) -> bool {
        self.output.len() >= self.config.max_output || self.replies.len() >= self.config.max_pending
    }

    /// Room to read into; call [`handle_read`](Self::handle_read) with how many
    /// bytes were read into its front.
    /// Asking again before `handle_read` gives the same room.
    pub fn read_buf(&mut self) -> &mut [u8] {
        if self.reserved == 0 {
            self.reserved = self.config.read_chunk.max(1);
            let filled = self.input.len();
            self.input.resize(filled + self.reserved, 0);
        }
        let filled = self.input.len() - self.reserved;
        &mut self.input[filled..]
    }

    /// `n` bytes were read into the front of [`read_buf`](Self::read_buf) (0 to give
    /// the room back without reading).
    pub fn handle_read(&mut self, n: usize) {
        let filled = self.input.len() - self.reserved;
        self.input.truncate(filled + n.min(self.reserved));
        self.reserved = 0;
    }

    /// Bytes read from the client, copied in (the convenience form of
    /// `read_buf`/`handle_read`).
    pub fn handle_input(&mut self, bytes: &[u8]) {
        self.handle_read(0);
        self.input.extend_from_slice(bytes);
    }

    /// The client closed its side: no more requests. Replies owed for requests
    /// already read are still written when ready; the session then finishes.
    pub fn handle_eof(&mut self) {
        self.stop_reading();
    }

    /// The server is shutting down: read no more requests, answer those already
    /// read, then finish.
    pub fn handle_shutdown(&mut self) {
        self.stop_reading();
    }

    /// Ends the session at once, owed replies or not (a write error, the end of a
    /// shutdown's grace period).
    pub fn handle_abort(&mut self) {
        self.phase = Phase::Finished;
        self.output.clear();
    }

    fn stop_reading(&mut self) {
        if self.phase == Phase::Open {
            self.phase = Phase::Draining;
        }
        self.finish_if_done();
    }

    /// Decodes and answers the requests read so far, until the input runs out or
    /// backpressure stops it; replies go to [`transmit`](Self::transmit) in order.
    pub fn handle_requests(&mut self, handler: &H) {
        self.handle_read(0);
        while self.phase == Phase::Open && !self.is_backpressured() {
            match self.decoder.decode(&mut self.input) {
                Ok(Some(parts)) => {
                    let Some(request) = Request::new(parts) else {
                        continue;
                    };
                    let reply = self.run(handler, request);
                    // After the call: `HELLO 3` answers in RESP3.
                    let protocol = self.client.protocol;
                    self.queue(protocol, reply);
                }
                Ok(None) => break,
                Err(error) => {
                    self.input.clear();
                    let protocol = self.client.protocol;
                    self.queue(protocol, Reply::Close(protocol_error_reply(&error)));
                }
            }
        }
        self.finish_if_done();
    }

    fn run(&mut self, handler: &H, request: Request) -> Reply {
        let Some(state) = self.state.as_mut() else {
            return Reply::None;
        };
        let mut cx = Cx {
            state,
            client: &mut self.client,
            replies: &mut self.replies,
            outbox: &self.outbox,
            config: &self.config,
        };
        dispatch(handler, &mut cx, request)
    }

    /// Writes `reply` now, or queues it behind replies still waiting.
    fn queue(&mut self, protocol: Version, reply: Reply) {
        match reply {
            Reply::Frame(frame) if self.replies.is_empty() => {
                encode(&mut self.output, &frame, protocol);
            }
            Reply::Frame(frame) => self.replies.push_ready(protocol, frame, false),
            Reply::Close(frame) if self.replies.is_empty() => {
                encode(&mut self.output, &frame, protocol);
                self.phase = Phase::Draining;
            }
            Reply::Close(frame) => {
                self.replies.push_ready(protocol, frame, true);
                // Requests after a closing one are never read.
                self.phase = Phase::Draining;
            }
            Reply::Many(frames) => {
                for frame in frames {
                    self.queue(protocol, Reply::Frame(frame));
                }
            }
            Reply::Deferred(_) | Reply::None => {}
        }
    }

    /// Takes what arrived through the [`Outbox`]: pushes are written, deferred
    /// replies fill their places (and ready ones go out in order), a close drops what
    /// is still owed and ends the session once what is ready is written.
    pub fn handle_deliveries(&mut self) {
        self.outbox.take(&mut self.deliveries);
        for delivery in std::mem::take(&mut self.deliveries) {
            match delivery {
                Delivery::Push(frame) if self.phase != Phase::Finished => {
                    encode(&mut self.output, &frame, self.client.protocol);
                    if self.output.len() > self.config.max_push_output {
                        self.handle_abort();
                    }
                }
                Delivery::Raw(bytes) if self.phase != Phase::Finished => {
                    self.output.extend_from_slice(&bytes);
                    if self.output.len() > self.config.max_push_output {
                        self.handle_abort();
                    }
                }
                Delivery::Push(_) | Delivery::Raw(_) => {}
                Delivery::Complete(ticket, frame) => {
                    self.replies.complete(ticket, frame);
                    // Before any push delivered after it.
                    self.flush_ready();
                }
                Delivery::Close => {
                    self.flush_ready();
                    // What is still owed never comes.
                    self.replies = ReplyQueue::default();
                    self.phase = Phase::Draining.max_with(self.phase);
                    self.input.clear();
                }
            }
        }
        self.flush_ready();
        self.finish_if_done();
    }

    /// Writes the replies at the front of the queue that are ready.
    fn flush_ready(&mut self) {
        while self.replies.front_is_ready() {
            let Some(ready) = self.replies.pop_ready() else {
                break;
            };
            if self.phase != Phase::Finished {
                encode(&mut self.output, &ready.frame, ready.protocol);
            }
            if ready.close_after {
                self.phase = Phase::Draining.max_with(self.phase);
                // Nothing after a closing reply is owed.
                self.replies = ReplyQueue::default();
            }
        }
    }

    /// Draining ends once every owed reply is written (or none can come).
    fn finish_if_done(&mut self) {
        if self.phase == Phase::Draining && self.output.is_empty() && self.replies.is_empty() {
            self.phase = Phase::Finished;
        }
    }

    /// Bytes to write to the socket: replies and pushes, in order.
    pub fn transmit(&self) -> &[u8] {
        &self.output
    }

    /// `n` bytes of [`transmit`](Self::transmit) were written.
    pub fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n.min(self.output.len()));
        if self.output.is_empty() && self.output.capacity() > 4 * self.config.max_output {
            // A burst's buffer is not kept for the connection's lifetime.
            self.output = BytesMut::new();
        }
        self.finish_if_done();
    }

    /// Ends the session for good: the outbox refuses further deliveries and
    /// [`Handler::closed`] gets the state. Call it once, when dropping the socket
    /// (the body does).
    pub fn close(&mut self, handler: &H) {
        self.phase = Phase::Finished;
        self.outbox.shut();
        if let Some(state) = self.state.take() {
            handler.closed(state, &self.client);
        }
    }
}

impl Phase {
    /// The later of two phases.
    fn max_with(self, other: Phase) -> Phase {
        match (self, other) {
            (Phase::Finished, _) | (_, Phase::Finished) => Phase::Finished,
            (Phase::Draining, _) | (_, Phase::Draining) => Phase::Draining,
            _ => Phase::Open,
        }
    }
}
