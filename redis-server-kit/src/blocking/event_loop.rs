//! The mio loop: accept, read, hand bytes to sessions, write what they produce.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mio::{Events, Token};

use super::stream::Stream;
use super::{Server, Wakeups};
use crate::handler::Handler;
use crate::session::Session;

/// The token of the waker (deliveries, shutdown).
pub(super) const WAKER: Token = Token(usize::MAX);

/// One accepted client.
struct Conn<H: Handler> {
    stream: Stream,
    session: Session<H>,
    /// A read came back short (or `WouldBlock`): wait for the next readable event.
    read_drained: bool,
}

/// Connection slots; a connection's token is its index plus the listener count.
struct Slab<H: Handler> {
    slots: Vec<Option<Conn<H>>>,
    free: Vec<usize>,
    live: usize,
}

impl<H: Handler> Slab<H> {
    fn vacant(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        })
    }
}

pub(super) fn run<H: Handler>(server: Server<H>) -> io::Result<()> {
    let Server {
        handler,
        config,
        mut listeners,
        mut poll,
        shutdown,
    } = server;
    let base = listeners.len();
    for (index, listener) in listeners.iter_mut().enumerate() {
        listener.register(poll.registry(), Token(index))?;
    }
    let wakeups = Arc::clone(&shutdown.wakeups);
    let mut slab = Slab::<H> {
        slots: Vec::new(),
        free: Vec::new(),
        live: 0,
    };
    let mut events = Events::with_capacity(1024);
    let mut woken = Vec::new();
    let mut scratch = vec![0; config.read_chunk.max(1)];
    let mut next_id = 1u64;
    let mut deadline: Option<Instant> = None;
    loop {
        if deadline.is_none() && shutdown.requested.load(Ordering::SeqCst) {
            for listener in &mut listeners {
                let _ = listener.deregister(poll.registry());
            }
            listeners.clear();
            deadline = Some(Instant::now() + config.shutdown_grace);
            for index in 0..slab.slots.len() {
                if let Some(conn) = slab.slots[index].as_mut() {
                    conn.session.handle_shutdown();
                }
                drive(&mut slab, index, &handler, &poll, &mut scratch);
            }
        }
        if let Some(deadline) = deadline {
            if slab.live == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                for index in 0..slab.slots.len() {
                    if let Some(conn) = slab.slots[index].as_mut() {
                        conn.session.handle_abort();
                    }
                    drive(&mut slab, index, &handler, &poll, &mut scratch);
                }
                return Ok(());
            }
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if let Err(error) = poll.poll(
            &mut events,
            timeout.map(|t| t.max(Duration::from_millis(1))),
        ) {
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        for event in &events {
            let token = event.token();
            if token == WAKER {
                wakeups.take(&mut woken);
                for index in woken.drain(..) {
                    drive(&mut slab, index, &handler, &poll, &mut scratch);
                }
            } else if token.0 < base {
                if deadline.is_some() {
                    continue;
                }
                accept(
                    &listeners[token.0],
                    base,
                    &mut slab,
                    &handler,
                    &config,
                    &wakeups,
                    &mut next_id,
                    &poll,
                );
            } else {
                let index = token.0 - base;
                if let Some(conn) = slab.slots.get_mut(index).and_then(Option::as_mut) {
                    if event.is_readable() || event.is_read_closed() || event.is_error() {
                        conn.read_drained = false;
                    }
                }
                drive(&mut slab, index, &handler, &poll, &mut scratch);
            }
        }
    }
}

/// Accepts every pending connection of one listener.
#[allow(clippy::too_many_arguments)]
fn accept<H: Handler>(
    listener: &super::stream::Listener,
    base: usize,
    slab: &mut Slab<H>,
    handler: &Arc<H>,
    config: &crate::ServerConfig,
    wakeups: &Arc<Wakeups>,
    next_id: &mut u64,
    poll: &mio::Poll,
) {
    loop {
        let (mut stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            // Out of descriptors or a connection reset before accept: try later.
            Err(_) => return,
        };
        let index = slab.vacant();
        if stream
            .register(poll.registry(), Token(index + base))
            .is_err()
        {
            slab.free.push(index);
            continue;
        }
        let wake = {
            let wakeups = Arc::clone(wakeups);
            move || wakeups.wake(index)
        };
        let session = Session::new(handler.as_ref(), config, *next_id, peer, wake);
        *next_id += 1;
        slab.slots[index] = Some(Conn {
            stream,
            session,
            read_drained: false,
        });
        // Registered edge-triggered: bytes already there raise a first readable
        // event, which drives it.
        slab.live += 1;
    }
}

/// Runs one connection's session until it waits on the socket; drops it when done.
///
/// Reads go through `scratch`, shared by every connection of the loop, and are
/// copied into the session: cheaper than zeroing fresh room in the session's buffer
/// for each read, as the zero-copy `read_buf` would need without `unsafe`.
fn drive<H: Handler>(
    slab: &mut Slab<H>,
    index: usize,
    handler: &H,
    poll: &mio::Poll,
    scratch: &mut [u8],
) {
    let Some(conn) = slab.slots.get_mut(index).and_then(Option::as_mut) else {
        return;
    };
    let room = scratch.len();
    loop {
        let session = &mut conn.session;
        session.handle_deliveries();
        session.handle_requests(handler);
        write_out(&mut conn.stream, session);
        if session.is_finished() {
            break;
        }
        if !session.wants_read() || conn.read_drained {
            return;
        }
        match conn.stream.read(scratch) {
            Ok(0) => session.handle_eof(),
            Ok(n) => {
                session.handle_input(&scratch[..n]);
                conn.read_drained = n < room;
            }
            Err(error) => match error.kind() {
                io::ErrorKind::WouldBlock => conn.read_drained = true,
                io::ErrorKind::Interrupted => {}
                _ => session.handle_abort(),
            },
        }
    }
    if let Some(mut conn) = slab.slots[index].take() {
        let _ = conn.stream.deregister(poll.registry());
        conn.session.close(handler);
        slab.free.push(index);
        slab.live -= 1;
    }
}

/// Writes what the session has until the socket would block.
fn write_out<H: Handler>(stream: &mut Stream, session: &mut Session<H>) {
    while !session.transmit().is_empty() {
        let pending = session.transmit().len();
        match stream.write(session.transmit()) {
            Ok(0) => return session.handle_abort(),
            Ok(n) => {
                session.advance_transmit(n);
                if n < pending {
                    return;
                }
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return session.handle_abort(),
        }
    }
}
