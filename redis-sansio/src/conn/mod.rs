//! One Redis connection as a state machine: handshake, request/reply matching,
//! pub/sub and MONITOR modes, and deadlines, with no IO and no clock.

mod batch;
mod by_id;
mod command;
mod event;
mod event_queue;
mod handshake;
mod pending;
mod pubsub;
mod subscription;
mod unread;

use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, BytesMut};

pub use command::{SubscriptionKind, is_blocking};
pub use event::Event;
pub use pending::RequestId;
pub use pubsub::{Message, Subscriptions};
pub use unread::UnreadEvents;

use command::CommandClass;
use event_queue::EventQueue;
use handshake::{Handshake, Progress};
use pending::{Confirmations, Expect, Pending, PendingQueue};
use pubsub::{Confirmation, PubSubFrame};

use crate::config::{ConnectionConfig, ProtocolVersion};
use crate::deadline;
use crate::resp::{Decoder, Frame, write_array_header, write_bulk};
use crate::{CloseReason, Cmd, RequestError, SendError, ServerError};

/// How long the handshake may take when the configuration sets no connect timeout.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a blocking command may take beyond its own timeout before it is timed out,
/// when the configuration sets no response timeout.
pub const DEFAULT_BLOCKING_MARGIN: Duration = Duration::from_secs(2);

/// How many more bytes a timed-out request's reply may announce for the connection
/// to read it to its end and stay usable. When the reply's headers announce more (a
/// large bulk string or aggregate), the connection closes with
/// [`CloseReason::TimedOutReplyTooLarge`] instead: reading it would keep the
/// connection busy, and its memory growing, for a reply nobody waits for, and every
/// request behind it would time out too. 1 MiB: a millisecond's read on a local
/// network, and little memory.
pub const MAX_DRAIN_AFTER_TIMEOUT: u64 = 1024 * 1024;

/// How much spare room [`Connection::read_buf`] makes when it grows the buffer, at
/// first; it grows once less than a quarter of this is left.
const READ_CHUNK: usize = 16 * 1024;
/// The most that grows to while reads keep filling all the room they are offered
/// (large replies, long pipelines), so that one read takes what is waiting.
const BUSY_READ_CHUNK: usize = 256 * 1024;
/// The most spare room it offers, when a large reply is arriving.
const MAX_READ_CHUNK: usize = 1024 * 1024;

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The handshake is on the wire; requests sent now are held until it is done.
    Handshaking,
    /// Requests go out as they are sent.
    Ready,
    /// Closed; [`Event::Closed`] has been (or is about to be) emitted.
    Closed,
}

/// One connection to a Redis server, as a pure state machine.
///
/// It owns no socket and reads no clock. Its methods come in four kinds, after
/// quinn-proto's `Connection`:
///
/// - **Getters** (`&self`): [`state`](Self::state), [`protocol`](Self::protocol),
///   [`in_flight`](Self::in_flight), [`is_idle`](Self::is_idle), [`next_id`](Self::next_id),
///   [`wants_read`](Self::wants_read), [`wants_write`](Self::wants_write),
///   [`subscriptions`](Self::subscriptions).
/// - **Inputs**: [`handle_read`](Self::handle_read) after reading into
///   [`read_buf`](Self::read_buf) (the socket reads straight into the connection's
///   buffer), [`handle_input`](Self::handle_input) to copy bytes in instead,
///   [`handle_eof`](Self::handle_eof), [`handle_timeout`](Self::handle_timeout).
/// - **Application calls**: [`send`](Self::send), [`send_all`](Self::send_all) (a
///   pipeline at once), [`send_transaction`](Self::send_transaction),
///   [`close`](Self::close). Several sends before a drain form a pipeline too.
/// - **Drains**: [`transmit`](Self::transmit) with [`advance_transmit`](Self::advance_transmit)
///   (short writes resume where they stopped), [`poll_event`](Self::poll_event),
///   [`poll_timeout`](Self::poll_timeout). For pipelines, [`take_replies`](Self::take_replies)
///   takes many replies at once and [`poll_reply`](Self::poll_reply) one without
///   building an [`Event`]; `poll_event` then takes whatever else is waiting. With
///   [`keep_outcomes_by_id`](Self::keep_outcomes_by_id), each outcome waits in the
///   connection until the body takes it ([`take_outcome`](Self::take_outcome),
///   [`is_ready`](Self::is_ready), [`abandon`](Self::abandon)): a body waiting for its
///   own requests keeps no book of outcomes.
///
/// After any input or application call, drain: write out `transmit()`, take events
/// until `None`, and re-arm the timer from `poll_timeout()`. That loop is the whole
/// adapter:
///
/// ```
/// use std::time::Instant;
/// use bytes::BytesMut;
/// use redis_sansio::config::ConnectionConfig;
/// use redis_sansio::conn::{Connection, Event};
/// use redis_sansio::resp::{Frame, RequestDecoder, encode_frame};
/// use redis_sansio::Cmd;
///
/// /// An in-memory stand-in for a server: answers HELLO with a map, SET with +OK,
/// /// GET with the value, everything else with +OK.
/// struct FakeServer { decoder: RequestDecoder, input: BytesMut, value: Frame }
/// impl FakeServer {
///     fn answer(&mut self, bytes: &[u8]) -> BytesMut {
///         self.input.extend_from_slice(bytes);
///         let mut out = BytesMut::new();
///         while let Some(args) = self.decoder.decode(&mut self.input).unwrap() {
///             let reply = match args[0].to_ascii_uppercase().as_slice() {
///                 b"HELLO" => Frame::Map(vec![(Frame::bulk("proto"), Frame::Integer(3))]),
///                 b"SET" => { self.value = Frame::BulkString(args[2].clone()); Frame::simple("OK") }
///                 b"GET" => self.value.clone(),
///                 _ => Frame::simple("OK"),
///             };
///             encode_frame(&mut out, &reply);
///         }
///         out
///     }
/// }
///
/// let mut server = FakeServer { decoder: RequestDecoder::new(), input: BytesMut::new(), value: Frame::Null };
/// let now = Instant::now();
/// let mut conn = Connection::new(ConnectionConfig::default(), now);
/// let set = conn.send(&Cmd::new("SET").arg("k").arg("v"), now).unwrap();
/// let get = conn.send(&Cmd::new("GET").arg("k"), now).unwrap();
///
/// let mut replies = Vec::new();
/// while replies.len() < 2 {
///     // Write what the connection has to send (the "socket" takes it all).
///     let answer = server.answer(conn.transmit());
///     let written = conn.transmit().len();
///     conn.advance_transmit(written);
///     // Read the server's answer into the connection's own buffer.
///     let buf = conn.read_buf();
///     buf[..answer.len()].copy_from_slice(&answer);
///     conn.handle_read(answer.len(), now);
///     // Take the events.
///     while let Some(event) = conn.poll_event() {
///         if let Event::Reply { id, result } = event {
///             replies.push((id, result.unwrap()));
///         }
///     }
///     // An adapter would now arm its timer from conn.poll_timeout().
/// }
/// assert_eq!(replies, [(set, Frame::simple("OK")), (get, Frame::bulk("v"))]);
/// ```
pub struct Connection {
    config: ConnectionConfig,
    state: State,
    protocol: ProtocolVersion,
    handshake: Option<Handshake>,
    handshake_deadline: Option<Instant>,
    decoder: Decoder,
    /// Received bytes (the first `rx_filled`), then zeroed spare room for the next read.
    rx: BytesMut,
    rx_filled: usize,
    /// How much room `read_buf` makes when it grows the buffer.
    read_chunk: usize,
    /// The frames of one read, kept to reuse the allocation.
    frames: Vec<Frame>,
    /// Bytes to write to the socket.
    tx: BytesMut,
    /// Requests sent during the handshake, released when it is done.
    held: BytesMut,
    pending: PendingQueue,
    subscriptions: Subscriptions,
    monitoring: bool,
    /// Many callers share this connection: see [`Connection::set_shared`].
    shared: bool,
    /// See [`Connection::set_stall_grace`].
    stall_grace: Option<Duration>,
    /// When the connection counts as stalled unless a byte arrives first: set when a
    /// request times out (with a stall grace), cleared by any input.
    stall_deadline: Option<Instant>,
    events: EventQueue,
    /// Requests failed by their deadline, since the connection was made.
    timeouts: u64,
}

/// The byte buffers are shown by length only: until the handshake is written, the
/// transmit buffer holds `HELLO ... AUTH user password` (or `AUTH`), and requests may
/// carry secrets of their own. The configuration redacts its password.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("config", &self.config)
            .field("state", &self.state)
            .field("protocol", &self.protocol)
            .field("handshake", &self.handshake)
            .field("received_bytes", &self.rx_filled)
            .field("transmit_bytes", &self.tx.len())
            .field("held_bytes", &self.held.len())
            .field("in_flight", &self.pending.len())
            .field("subscriptions", &self.subscriptions)
            .field("monitoring", &self.monitoring)
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection configured by `config`, its handshake already queued for
    /// [`transmit`](Self::transmit). Call it once the socket is connected.
    pub fn new(config: ConnectionConfig, now: Instant) -> Self {
        let mut tx = BytesMut::with_capacity(4096);
        let handshake = Handshake::start(&config, &mut tx);
        let timeout = config.connect_timeout.unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT);
        let limits = config.decode_limits;
        let mut conn = Connection {
            protocol: config.protocol,
            state: State::Handshaking,
            handshake_deadline: handshake.as_ref().map(|_| deadline::after(now, timeout)),
            handshake,
            config,
            decoder: Decoder::new().with_limits(limits),
            rx: BytesMut::new(),
            rx_filled: 0,
            read_chunk: READ_CHUNK,
            frames: Vec::new(),
            tx,
            held: BytesMut::new(),
            pending: PendingQueue::default(),
            subscriptions: Subscriptions::default(),
            monitoring: false,
            shared: false,
            stall_grace: None,
            stall_deadline: None,
            timeouts: 0,
            events: EventQueue::default(),
        };
        if conn.handshake.is_none() {
            conn.finish_handshake(conn.config.protocol, None);
        }
        conn
    }

    // ---- A: getters -------------------------------------------------------------

    /// Where the connection is in its life.
    pub fn state(&self) -> State {
        self.state
    }

    /// The protocol spoken: the configured one until the handshake says otherwise.
    pub fn protocol(&self) -> ProtocolVersion {
        self.protocol
    }

    /// The configuration the connection was made with.
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// Requests still expecting bytes from the server, including those already timed
    /// out whose late replies are yet to be dropped.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// How many requests were queued on this connection since it was made.
    pub fn requests(&self) -> u64 {
        self.pending.next_id().get()
    }

    /// How many requests failed with [`RequestError::Timeout`] on this connection
    /// since it was made.
    pub fn timeouts(&self) -> u64 {
        self.timeouts
    }

    /// True when the connection is ready and no request is in flight: bytes that
    /// arrive now answer nothing that was asked.
    ///
    /// **Rule for bodies**: before sending on an idle connection, read what the socket
    /// has already received, without waiting, and hand it in. A reply that arrived
    /// unasked (a misbehaving server, a duplicate reply in a later segment) then
    /// closes the connection with [`CloseReason::UnexpectedReply`] instead of being
    /// taken for the new request's reply. Pushes and messages read this way are
    /// delivered as usual.
    pub fn is_idle(&self) -> bool {
        self.state == State::Ready && self.pending.is_empty()
    }

    /// Requests whose outcome has not been given yet: [`in_flight`](Self::in_flight)
    /// but for those that timed out.
    pub fn unanswered(&self) -> usize {
        self.pending.unanswered()
    }

    /// The id the next request sent will get. Ids are handed out in order, one per
    /// request, so `send_all` gives its commands this one and those after it.
    pub fn next_id(&self) -> RequestId {
        self.pending.next_id()
    }

    /// True while the connection expects bytes: a handshake, requests in flight,
    /// subscriptions or MONITOR. Adapters may read at any time regardless, to notice
    /// the server closing.
    pub fn wants_read(&self) -> bool {
        self.state != State::Closed
            && (self.state == State::Handshaking
                || !self.pending.is_empty()
                || !self.subscriptions.is_empty()
                || self.monitoring)
    }

    /// True while [`transmit`](Self::transmit) has bytes to write.
    pub fn wants_write(&self) -> bool {
        !self.tx.is_empty()
    }

    /// The channels, patterns and shard channels the server has confirmed, for an
    /// adapter to subscribe again after reconnecting.
    pub fn subscriptions(&self) -> &Subscriptions {
        &self.subscriptions
    }

    /// True once `MONITOR` has been confirmed.
    pub fn is_monitoring(&self) -> bool {
        self.monitoring
    }

    // ---- B: inputs --------------------------------------------------------------

    /// Spare room to read socket bytes into, at least 4 KiB; then call
    /// [`handle_read`](Self::handle_read) with how many bytes were read. The room is
    /// zeroed once and reused, so reading into it costs no extra copy.
    pub fn read_buf(&mut self) -> &mut [u8] {
        let chunk = self.rx_filled.max(self.read_chunk).min(MAX_READ_CHUNK);
        if self.rx.len() - self.rx_filled < chunk / 4 {
            // A bulk whose header announced its length: room for all of it (and the
            // read room past it) at once, rather than doubling the buffer (and
            // copying it) on the way there.
            if let Some(needed) = self.decoder.needed() {
                let room = needed.saturating_add(MAX_READ_CHUNK);
                self.rx.reserve(room.saturating_sub(self.rx.len()));
            }
            self.rx.resize(self.rx_filled + chunk, 0);
        }
        &mut self.rx[self.rx_filled..]
    }

    /// The first `n` bytes of [`read_buf`](Self::read_buf) hold new input: decode it.
    ///
    /// Emits replies, messages and, on bytes that break the protocol, the failure of
    /// every pending request followed by [`Event::Closed`].
    pub fn handle_read(&mut self, n: usize, now: Instant) {
        let _ = now;
        if self.state == State::Closed {
            return;
        }
        if n > 0 {
            self.stall_deadline = None;
        }
        let room = self.rx.len() - self.rx_filled;
        if n >= room && room > 0 {
            // The read took all the room there was: more is likely waiting.
            self.read_chunk = (self.read_chunk * 2).min(BUSY_READ_CHUNK);
        }
        self.rx_filled += n.min(room);
        // Decode from the received bytes alone; the spare room is set aside and put
        // back after, without copying (the two halves stay one allocation).
        let spare = self.rx.split_off(self.rx_filled);
        // Every complete frame at once (a pipeline's replies leave the buffer with
        // one split), then each in turn, until one closes the connection.
        let mut frames = std::mem::take(&mut self.frames);
        let decoded = self.decoder.decode_all(&mut self.rx, &mut frames);
        for frame in frames.drain(..) {
            if self.state == State::Closed {
                break;
            }
            self.handle_frame(frame);
        }
        self.frames = frames;
        if let Err(error) = decoded {
            self.fail(CloseReason::Protocol(error));
        }
        self.rx_filled = self.rx.len();
        self.rx.unsplit(spare);
        if self.state == State::Closed {
            self.release_buffers();
        } else {
            self.discard_large_timed_out_reply();
        }
    }

    /// Copies `input` into the connection and decodes it: the convenience form of
    /// [`read_buf`](Self::read_buf) plus [`handle_read`](Self::handle_read).
    pub fn handle_input(&mut self, mut input: &[u8], now: Instant) {
        while !input.is_empty() && self.state != State::Closed {
            let buf = self.read_buf();
            let n = buf.len().min(input.len());
            buf[..n].copy_from_slice(&input[..n]);
            input = &input[n..];
            self.handle_read(n, now);
        }
    }

    /// The server closed the connection (the socket read returned 0 bytes).
    pub fn handle_eof(&mut self, now: Instant) {
        let _ = now;
        self.fail(CloseReason::Eof);
    }

    /// The timer armed from [`poll_timeout`](Self::poll_timeout) fired: fail what is
    /// overdue. A timed-out request's reply, if it comes later, is dropped.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Handshaking && self.handshake_deadline.is_some_and(|d| d <= now) {
            self.fail(CloseReason::HandshakeTimeout);
            return;
        }
        if self.stall_deadline.is_some_and(|at| at <= now) {
            self.fail(CloseReason::Stalled);
            return;
        }
        while let Some(id) = self.pending.expire_one(now) {
            self.timeouts += 1;
            self.events.push(Event::Reply {
                id,
                result: Err(RequestError::Timeout),
            });
            if let (Some(grace), None) = (self.stall_grace, self.stall_deadline) {
                self.stall_deadline = Some(deadline::after(now, grace));
            }
        }
        self.discard_large_timed_out_reply();
    }

    // ---- C: application calls ---------------------------------------------------

    /// Queues `cmd`; its outcome comes as one [`Event::Reply`] with the returned id.
    ///
    /// `now` is when the call was made: a body that kept the call waiting (while it
    /// reconnected, say) passes the time it was made, so that its deadline counts from
    /// then, not from when it is finally sent.
    ///
    /// Requests sent while the handshake runs are held and go out, in order, as soon
    /// as it is done. The request's deadline is `now` plus the configured response
    /// timeout; a blocking command's is its own timeout plus that margin (none when it
    /// blocks forever).
    pub fn send(&mut self, cmd: &Cmd, now: Instant) -> Result<RequestId, SendError> {
        if cmd.is_empty() {
            return Err(SendError::Empty);
        }
        let class = self.check_sendable(cmd)?;
        let expect = match class {
            CommandClass::Subscribe(kind, n) => Expect::Confirmations(Box::new(Confirmations {
                kind,
                subscribe: true,
                remaining: n,
                all: false,
                replies: Vec::with_capacity(n),
            })),
            CommandClass::Unsubscribe(kind, n) => Expect::Confirmations(Box::new(Confirmations {
                kind,
                subscribe: false,
                remaining: n,
                all: n == 0,
                replies: Vec::new(),
            })),
            CommandClass::Monitor => Expect::Monitor,
            _ => Expect::One,
        };
        let deadline = match class {
            CommandClass::Blocking(None) => None,
            CommandClass::Blocking(Some(timeout)) => {
                let margin = self
                    .config
                    .response_timeout
                    .unwrap_or(DEFAULT_BLOCKING_MARGIN);
                Some(deadline::after(now, timeout.saturating_add(margin)))
            }
            _ => self.response_deadline(now),
        };
        cmd.encode(self.out_buf());
        let id = self.pending.push(expect, deadline);
        self.events.spans.start(id, cmd.name(), &self.config.addr);
        Ok(id)
    }

    /// Closes the connection as stalled when, after a request times out, no byte
    /// arrives within `grace`: the peer is gone or the path stopped forwarding, and
    /// every later request would time out too. The pending requests then fail with
    /// [`CloseReason::Stalled`], then [`Event::Closed`]. Bytes arriving within the
    /// grace (a late reply) keep the connection. `None` (the default) never closes
    /// for silence: a timed-out request's reply, however late, is awaited and dropped.
    /// Bodies that replace lost connections set it from their
    /// [`Reconnect`](crate::retry::Reconnect) policy.
    pub fn set_stall_grace(&mut self, grace: Option<Duration>) {
        self.stall_grace = grace;
    }

    /// Marks the connection as shared by many callers (a multiplexed client), or not.
    ///
    /// A shared connection refuses, with [`SendError::Shared`], the commands whose
    /// effect one caller cannot keep to itself: `SELECT`, `AUTH`, `WATCH`, `UNWATCH`,
    /// `MULTI`, `EXEC`, `DISCARD` (use [`send_transaction`](Self::send_transaction),
    /// which keeps a transaction contiguous), `CLIENT TRACKING`, `CLIENT CACHING` and
    /// `CLIENT REPLY` (their effect would reach every caller, and a reconnect would
    /// lose it), and pub/sub and `MONITOR`, whose messages would reach no caller. Call it once, before the first `send`.
    pub fn set_shared(&mut self, shared: bool) {
        self.shared = shared;
    }

    /// Queues `MULTI`, `cmds` and `EXEC` as one request. Its outcome is `EXEC`'s
    /// array of replies; a refused queued command makes it the `EXECABORT` error, and
    /// a null `EXEC` (a `WATCH`ed key changed) makes it [`RequestError::WatchConflict`].
    pub fn send_transaction(&mut self, cmds: &[Cmd], now: Instant) -> Result<RequestId, SendError> {
        if cmds.is_empty() || cmds.iter().any(Cmd::is_empty) {
            return Err(SendError::Empty);
        }
        for cmd in cmds {
            self.check_sendable(cmd)?;
        }
        let out = self.out_buf();
        write_array_header(out, 1);
        write_bulk(out, b"MULTI");
        for cmd in cmds {
            cmd.encode(out);
        }
        write_array_header(out, 1);
        write_bulk(out, b"EXEC");
        let expect = Expect::Transaction {
            acks_left: cmds.len() + 1,
        };
        let deadline = self.response_deadline(now);
        let id = self.pending.push(expect, deadline);
        self.events
            .spans
            .start(id, Some(b"MULTI".as_slice()), &self.config.addr);
        Ok(id)
    }

    /// Closes the connection: every pending request fails with
    /// [`CloseReason::Local`], then [`Event::Closed`]. The adapter closes the socket.
    pub fn close(&mut self, now: Instant) {
        let _ = now;
        self.fail(CloseReason::Local);
    }

    // ---- D: drains --------------------------------------------------------------

    /// Bytes waiting to be written to the socket.
    #[must_use]
    pub fn transmit(&self) -> &[u8] {
        &self.tx
    }

    /// `n` bytes of [`transmit`](Self::transmit) were written.
    pub fn advance_transmit(&mut self, n: usize) {
        self.tx.advance(n.min(self.tx.len()));
    }

    /// The next event, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            State::Handshaking => {
                let requests = self.pending.next_deadline();
                match (self.handshake_deadline, requests) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            State::Ready => match (self.pending.next_deadline(), self.stall_deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    // ---- internals --------------------------------------------------------------

    /// The deadline of a request sent at `now` that is not blocking: the response
    /// timeout's, if one is set.
    fn response_deadline(&self, now: Instant) -> Option<Instant> {
        self.config
            .response_timeout
            .map(|timeout| deadline::after(now, timeout))
    }

    /// Refuses what this connection cannot send now; classifies the rest.
    #[inline]
    fn check_sendable(&self, cmd: &Cmd) -> Result<CommandClass, SendError> {
        if self.state == State::Closed {
            return Err(SendError::Closed);
        }
        if self.monitoring || self.pending_monitor() {
            return Err(SendError::Monitoring);
        }
        let class = command::classify(cmd);
        let name = || String::from_utf8_lossy(cmd.args().next().unwrap_or_default()).into_owned();
        match class {
            CommandClass::ConnectionState => Err(SendError::ConnectionState { command: name() }),
            CommandClass::ConnectionScoped
            | CommandClass::Subscribe(..)
            | CommandClass::Unsubscribe(..)
            | CommandClass::Monitor
                if self.shared =>
            {
                Err(SendError::Shared { command: name() })
            }
            CommandClass::Subscribe(..)
            | CommandClass::Unsubscribe(..)
            | CommandClass::Ping
            | CommandClass::Quit => Ok(class),
            _ if self.in_resp2_subscribed_mode() => Err(SendError::Subscribed { command: name() }),
            _ => Ok(class),
        }
    }

    /// RESP2 connections with subscriptions (or subscribing) accept only pub/sub
    /// commands, and their replies arrive as plain arrays.
    fn in_resp2_subscribed_mode(&self) -> bool {
        self.protocol == ProtocolVersion::Resp2
            && (!self.subscriptions.is_empty() || self.subscribing())
    }

    fn subscribing(&self) -> bool {
        self.pending.subscribes() > 0
    }

    fn pending_monitor(&self) -> bool {
        self.pending.monitors() > 0
    }

    /// Where a request's bytes go: straight out, or held behind the handshake.
    fn out_buf(&mut self) -> &mut BytesMut {
        match self.state {
            State::Handshaking => &mut self.held,
            _ => &mut self.tx,
        }
    }

    fn finish_handshake(&mut self, protocol: ProtocolVersion, hello: Option<Frame>) {
        self.handshake = None;
        self.handshake_deadline = None;
        self.protocol = protocol;
        self.state = State::Ready;
        self.tx.put_slice(&self.held);
        self.held = BytesMut::new();
        crate::trace::connected(&self.config.addr, protocol);
        self.events.push(Event::Connected { protocol, hello });
    }

    /// Routes one decoded frame: handshake, pub/sub, MONITOR, or the oldest request.
    fn handle_frame(&mut self, frame: Frame) {
        if self.handshake.is_none()
            && !self.monitoring
            && !matches!(
                frame,
                Frame::Push(_) | Frame::Array(_) | Frame::Attributed { .. }
            )
        {
            // The common case: a reply to the oldest request, nothing else to check.
            self.handle_reply(frame);
            return;
        }
        if let Some(handshake) = &mut self.handshake {
            if !matches!(frame.without_attributes(), Frame::Push(_)) {
                match handshake.handle_reply(frame, &self.config, &mut self.tx) {
                    Progress::Waiting => {}
                    Progress::Done { protocol, hello } => self.finish_handshake(protocol, hello),
                    Progress::Failed(reason) => self.fail(reason),
                }
                return;
            }
        }
        let pubsub = match frame.without_attributes() {
            Frame::Push(items) => Some(pubsub::recognise(items)),
            // In RESP2 subscribed mode messages and confirmations are plain arrays;
            // anything else (PING's `["pong", ""]`) is a reply.
            // A message whose payload is not a string (a client-tracking
            // invalidation: an array of keys) is delivered as a push.
            Frame::Array(items) if self.in_resp2_subscribed_mode() => {
                match pubsub::recognise(items) {
                    Some(recognised) => Some(Some(recognised)),
                    None if pubsub::is_message(items) => Some(None),
                    None => None,
                }
            }
            _ => None,
        };
        match pubsub {
            Some(Some(PubSubFrame::Message(message))) => self.events.push(Event::Message(message)),
            Some(Some(PubSubFrame::Confirmation(confirmation))) => {
                self.handle_confirmation(confirmation, frame)
            }
            Some(None) => self.events.push(Event::Push(frame)),
            None if self.monitoring && self.pending.is_empty() => match frame {
                Frame::SimpleString(ref line) => self.events.push(Event::Monitor(line.clone())),
                other => self.events.push(Event::Push(other)),
            },
            None => self.handle_reply(frame),
        }
    }

    /// A subscribe or unsubscribe confirmation: counts toward the request that asked
    /// for it, or, unasked, is reported as a push.
    fn handle_confirmation(&mut self, confirmation: Confirmation, frame: Frame) {
        self.subscriptions.apply(&confirmation);
        let still_subscribed = !self.subscriptions.of(confirmation.kind).is_empty();
        let Some(Expect::Confirmations(expected)) = self.pending.front_special_mut() else {
            self.events.push(Event::Push(frame));
            return;
        };
        if expected.kind != confirmation.kind || expected.subscribe != confirmation.subscribed {
            self.events.push(Event::Push(frame));
            return;
        }
        expected.replies.push(frame);
        let done = if expected.all {
            !still_subscribed
        } else {
            expected.remaining = expected.remaining.saturating_sub(1);
            expected.remaining == 0
        };
        if done {
            if let Some(Pending {
                id,
                timed_out: false,
                expect: Expect::Confirmations(confirmed),
            }) = self.pending.pop_front()
            {
                self.events.push(Event::Reply {
                    id,
                    result: Ok(Frame::Array(confirmed.replies)),
                });
            }
        }
    }

    /// A reply for the oldest pending request.
    #[inline(always)]
    fn handle_reply(&mut self, frame: Frame) {
        // The common case: the oldest request expects this one reply.
        if let Some(id) = self.pending.pop_plain() {
            let result = match frame {
                Frame::SimpleError(_) | Frame::BulkError(_) | Frame::Attributed { .. } => {
                    match server_error(&frame) {
                        Some(error) => Err(RequestError::Server(error)),
                        None => Ok(frame),
                    }
                }
                frame => Ok(frame),
            };
            self.events.push_reply(id, result);
            return;
        }
        self.handle_other_reply(frame);
    }

    /// [`handle_reply`](Self::handle_reply) for every other case: no request
    /// pending, a transaction, `MONITOR`, a request already timed out.
    #[inline(never)]
    fn handle_other_reply(&mut self, frame: Frame) {
        let error = server_error(&frame);
        if self.pending.is_empty() {
            // A reply nobody asked for: the stream can no longer be trusted.
            self.fail(CloseReason::UnexpectedReply);
            return;
        }
        if let Some(Expect::Transaction { acks_left }) = self.pending.front_special_mut() {
            // `+OK` for MULTI, `+QUEUED` or an error per command: EXEC's reply says
            // what came of them (EXECABORT if any was refused).
            if *acks_left > 0 {
                *acks_left -= 1;
                return;
            }
        }
        let Some(pending) = self.pending.pop_front() else {
            return;
        };
        if matches!(pending.expect, Expect::Monitor) && error.is_none() {
            self.monitoring = true;
        }
        if pending.timed_out {
            return;
        }
        let result = match (pending.expect, error) {
            (_, Some(error)) => Err(RequestError::Server(error)),
            (Expect::Transaction { .. }, None) if frame.is_null() => {
                Err(RequestError::WatchConflict)
            }
            (_, None) => Ok(frame),
        };
        self.events.push_reply(pending.id, result);
    }

    /// Closes the connection when the reply arriving belongs to a request that timed
    /// out and its headers announce more than [`MAX_DRAIN_AFTER_TIMEOUT`] bytes still
    /// to come (beyond those already buffered).
    fn discard_large_timed_out_reply(&mut self) {
        if self.state != State::Ready || !self.pending.front_timed_out() {
            return;
        }
        let remaining = self
            .decoder
            .announced_remaining()
            .saturating_sub(self.rx_filled as u64);
        if remaining > MAX_DRAIN_AFTER_TIMEOUT {
            self.fail(CloseReason::TimedOutReplyTooLarge { remaining });
        }
    }

    /// Drops what the receiving side holds (bytes, a partly decoded reply): nothing
    /// more is read once the connection is closed.
    fn release_buffers(&mut self) {
        self.rx = BytesMut::new();
        self.rx_filled = 0;
        self.frames = Vec::new();
        self.decoder = Decoder::new().with_limits(self.config.decode_limits);
    }

    /// Closes with `reason`: fails every pending request, then emits `Closed` once.
    fn fail(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.handshake = None;
        self.handshake_deadline = None;
        self.stall_deadline = None;
        self.tx.clear();
        self.held.clear();
        self.release_buffers();
        for pending in self.pending.drain() {
            if !pending.timed_out {
                self.events.push(Event::Reply {
                    id: pending.id,
                    result: Err(RequestError::Closed(reason.clone())),
                });
            }
        }
        crate::trace::closed(&self.config.addr, &reason);
        self.events.push(Event::Closed(reason));
    }
}

/// The server error a reply is (looking through attributes), if it is one.
fn server_error(frame: &Frame) -> Option<ServerError> {
    match frame.without_attributes() {
        Frame::SimpleError(text) | Frame::BulkError(text) => Some(ServerError::new(text.clone())),
        _ => None,
    }
}
