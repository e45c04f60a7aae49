//! Shared upstreams: one task per upstream connection, serving many clients.
//!
//! Requests from every client mapped to the connection go up in the order they
//! arrive; Redis answers a connection's requests in order, so replies are matched
//! to requests first in, first out, and each goes to its client's session through
//! the client's outbox and ticket. Nothing on a shared upstream makes the server
//! send pushes (pub/sub, `MONITOR`, tracking go to dedicated upstreams).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use bytes::{Bytes, BytesMut};
use redis_sansio::config::ServerAddr;
use redis_sansio::resp::{Frame, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::oneshot;

use super::encode_request;
use super::reply::{reply_decoder, upstream_reply};
use super::socket::UpstreamSocket;
use crate::outbox::Outbox;
use crate::reply::Ticket;

/// What a client hands a shared upstream.
#[derive(Debug)]
pub(crate) enum Job {
    /// A request; its reply (or `answer` in its place when the reply is not an
    /// error: `HELLO` answered after a `PING`) completes `ticket`.
    Request {
        parts: Vec<Bytes>,
        ticket: Ticket,
        outbox: Outbox,
        answer: Option<Frame>,
    },
    /// Fires once every reply to the requests sent before it has been delivered:
    /// a client moving to a dedicated upstream waits for it.
    Barrier(oneshot::Sender<()>),
}

/// What the connection owes, in order.
enum Owed {
    Reply {
        ticket: Ticket,
        outbox: Outbox,
        answer: Option<Frame>,
    },
    Barrier(oneshot::Sender<()>),
}

/// The shared upstreams: `count` per protocol, each started when first needed and
/// again after it was lost.
pub(crate) struct SharedUpstreams {
    addr: ServerAddr,
    /// Sent first on every new upstream connection (the proxy's credentials).
    credentials: Option<Vec<Bytes>>,
    count: usize,
    slots: Mutex<Vec<Option<UnboundedSender<Job>>>>,
}

impl SharedUpstreams {
    pub(crate) fn new(addr: ServerAddr, credentials: Option<Vec<Bytes>>, count: usize) -> Self {
        let count = count.max(1);
        SharedUpstreams {
            addr,
            credentials,
            count,
            slots: Mutex::new(vec![None; 2 * count]),
        }
    }

    /// The queue of the upstream for client `id` speaking `protocol`; starts its task
    /// (on the current tokio runtime) when there is none or it ended.
    pub(crate) fn sender(&self, protocol: Version, id: u64) -> UnboundedSender<Job> {
        let offset = if protocol == Version::Resp3 {
            self.count
        } else {
            0
        };
        let index = offset + (id % self.count as u64) as usize;
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = slots[index].as_ref().filter(|s| !s.is_closed()) {
            return sender.clone();
        }
        let (sender, jobs) = unbounded_channel();
        let mut preamble: Vec<Vec<Bytes>> = self.credentials.iter().cloned().collect();
        if protocol == Version::Resp3 {
            preamble.push(vec![Bytes::from_static(b"HELLO"), Bytes::from_static(b"3")]);
        }
        tokio::spawn(run(self.addr.clone(), preamble, jobs));
        slots[index] = Some(sender.clone());
        sender
    }
}

/// One shared upstream connection's task: until the upstream is lost, or every
/// client sender is gone.
async fn run(addr: ServerAddr, preamble: Vec<Vec<Bytes>>, mut jobs: UnboundedReceiver<Job>) {
    let mut owed = VecDeque::new();
    if let Ok(socket) = UpstreamSocket::connect(&addr).await {
        serve(socket, preamble, &mut jobs, &mut owed).await;
    }
    // Lost (or never reached): every client waiting on it is closed, as the server's
    // own close would close it; so is every client whose request is still queued.
    jobs.close();
    for owed in owed {
        if let Owed::Reply { outbox, .. } = owed {
            outbox.close();
        }
    }
    while let Ok(job) = jobs.try_recv() {
        if let Job::Request { outbox, .. } = job {
            outbox.close();
        }
    }
}

/// Passes requests up and replies down until the upstream is lost.
async fn serve(
    mut socket: UpstreamSocket,
    preamble: Vec<Vec<Bytes>>,
    jobs: &mut UnboundedReceiver<Job>,
    owed: &mut VecDeque<Owed>,
) {
    let mut out = BytesMut::new();
    let mut skip = preamble.len();
    for parts in &preamble {
        encode_request(&mut out, parts);
    }
    let mut input = BytesMut::with_capacity(64 * 1024);
    let mut decoder = reply_decoder();
    loop {
        // Everything queued goes up in one write.
        while let Ok(job) = jobs.try_recv() {
            take(job, &mut out, owed);
        }
        if !out.is_empty() {
            if socket.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
        tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => take(job, &mut out, owed),
                None => return,
            },
            read = socket.read_buf(&mut input) => {
                if !matches!(read, Ok(n) if n > 0) {
                    return;
                }
                loop {
                    match decoder.decode(&mut input) {
                        Ok(Some(_)) if skip > 0 => skip -= 1,
                        Ok(Some(frame)) => deliver(frame, owed),
                        Ok(None) => break,
                        Err(_) => return,
                    }
                }
            }
        }
    }
}

/// Queues `job`'s request for the next write, or its barrier.
fn take(job: Job, out: &mut BytesMut, owed: &mut VecDeque<Owed>) {
    match job {
        Job::Request {
            parts,
            ticket,
            outbox,
            answer,
        } => {
            encode_request(out, &parts);
            owed.push_back(Owed::Reply {
                ticket,
                outbox,
                answer,
            });
        }
        Job::Barrier(done) if owed.is_empty() => {
            let _ = done.send(());
        }
        Job::Barrier(done) => owed.push_back(Owed::Barrier(done)),
    }
}

/// Gives the oldest request its reply, then fires the barriers now due.
fn deliver(frame: Frame, owed: &mut VecDeque<Owed>) {
    if let Some(Owed::Reply {
        ticket,
        outbox,
        answer,
    }) = owed.pop_front()
    {
        let frame = match answer {
            Some(answer) if !frame.is_error() => answer,
            _ => upstream_reply(frame),
        };
        outbox.complete(ticket, frame);
    }
    while let Some(Owed::Barrier(_)) = owed.front() {
        if let Some(Owed::Barrier(done)) = owed.pop_front() {
            let _ = done.send(());
        }
    }
}
