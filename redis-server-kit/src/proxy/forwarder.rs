//! One client's forwarding task: its requests on a shared upstream, answers in
//! order, and the switch to a dedicated upstream.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use redis_sansio::Cmd;
use redis_sansio::resp::{Frame, Version};
use tokio::sync::mpsc::UnboundedReceiver;

use super::dedicated;
use super::reply::{auth_refusal, shared_reply};
use super::upstreams::Upstreams;
use crate::outbox::Outbox;
use crate::reply::Ticket;

/// What the handler sends the forwarder, in request order.
#[derive(Debug)]
pub(crate) enum Forward {
    /// A request for a shared upstream, answered through its ticket.
    Shared {
        parts: Vec<Bytes>,
        ticket: Ticket,
        protocol: Version,
        /// The reply to give instead of the upstream's when it succeeds: `HELLO` is
        /// answered by the proxy after a `PING` shows the upstream answers.
        answer: Option<Frame>,
    },
    /// From now on this client has a dedicated upstream; `preamble` brings it to the
    /// client's state (credentials, protocol, name).
    Dedicate { preamble: Vec<Vec<Bytes>> },
    /// A request for the dedicated upstream; its replies come back as they arrive.
    Raw(Vec<Bytes>),
}

/// Forwards for client `id` until it goes (its handler state, and with it the
/// sender, is dropped) or its upstream does (the client is closed with an error).
pub(crate) async fn run(
    upstreams: Arc<Upstreams>,
    id: u64,
    mut requests: UnboundedReceiver<Forward>,
    outbox: Outbox,
) {
    let mut waiting: VecDeque<Waiting> = VecDeque::new();
    loop {
        tokio::select! {
            biased;
            result = front_reply(&mut waiting), if !waiting.is_empty() => {
                let Some(done) = waiting.pop_front() else { continue };
                if !answer(&outbox, done, result) {
                    return;
                }
            }
            forward = requests.recv() => match forward {
                None => return,
                Some(Forward::Shared { parts, ticket, protocol, answer }) => {
                    let client = match upstreams.shared(protocol, id).await {
                        Ok(client) => client,
                        Err(error) => match auth_refusal(&error) {
                            Some(refusal) => {
                                // The server wants credentials: this client (and every
                                // later one) goes through dedicated upstreams, where its
                                // own AUTH reaches the server.
                                upstreams.note_auth_required();
                                let text = if answer.is_some() {
                                    refusal.message().clone()
                                } else {
                                    Bytes::from_static(b"NOAUTH Authentication required.")
                                };
                                outbox.complete(ticket, Frame::SimpleError(text));
                                continue;
                            }
                            None => {
                                outbox.close();
                                return;
                            }
                        },
                    };
                    let request = client.request(&command(&parts));
                    waiting.push_back(Waiting { ticket, request, answer });
                }
                Some(Forward::Dedicate { preamble }) => {
                    // Replies owed by the shared upstream go out first, in order.
                    while let Some(mut done) = waiting.pop_front() {
                        let result = (&mut done.request).await;
                        if !answer(&outbox, done, result) {
                            return;
                        }
                    }
                    let addr = upstreams.config().addr.clone();
                    return dedicated::run(&addr, preamble, requests, outbox).await;
                }
                // Raw requests only follow a Dedicate, which never returns here.
                Some(Forward::Raw(_)) => {}
            },
        }
    }
}

/// A request on a shared upstream whose reply is owed.
struct Waiting {
    ticket: Ticket,
    request: redis_io_tokio::Request,
    answer: Option<Frame>,
}

/// The reply to the oldest request waiting (never resolves when none waits: its
/// branch is disabled then, but select! still builds the future).
async fn front_reply(waiting: &mut VecDeque<Waiting>) -> Result<Frame, redis_io_tokio::Error> {
    match waiting.front_mut() {
        Some(front) => (&mut front.request).await,
        None => std::future::pending().await,
    }
}

/// Gives the client its reply; false when the upstream is lost (the client is then
/// closed).
fn answer(outbox: &Outbox, done: Waiting, result: Result<Frame, redis_io_tokio::Error>) -> bool {
    match shared_reply(result) {
        Some(frame) if frame.is_error() => outbox.complete(done.ticket, frame),
        Some(frame) => outbox.complete(done.ticket, done.answer.unwrap_or(frame)),
        None => {
            outbox.close();
            false
        }
    }
}

/// The command a request's parts make.
fn command(parts: &[Bytes]) -> Cmd {
    let mut cmd = Cmd::new(parts[0].clone());
    for part in &parts[1..] {
        cmd = cmd.arg(part.clone());
    }
    cmd
}
