//! One client's forwarding task: its requests on a shared upstream, answers in
//! order, and the switch to a dedicated upstream.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use redis_sansio::Cmd;
use redis_sansio::resp::{Frame, Version};
use tokio::sync::mpsc::UnboundedReceiver;

use super::dedicated;
use super::reply::{shared_reply, upstream_lost};
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
    let mut waiting: VecDeque<(Ticket, redis_io_tokio::Request)> = VecDeque::new();
    loop {
        tokio::select! {
            biased;
            result = front_reply(&mut waiting), if !waiting.is_empty() => {
                let Some((ticket, _)) = waiting.pop_front() else { continue };
                if !answer(&outbox, ticket, result) {
                    return;
                }
            }
            forward = requests.recv() => match forward {
                None => return,
                Some(Forward::Shared { parts, ticket, protocol }) => {
                    let client = match upstreams.shared(protocol, id).await {
                        Ok(client) => client,
                        Err(error) => {
                            outbox.close(upstream_lost(&error.to_string()));
                            return;
                        }
                    };
                    waiting.push_back((ticket, client.request(&command(&parts))));
                }
                Some(Forward::Dedicate { preamble }) => {
                    // Replies owed by the shared upstream go out first, in order.
                    while let Some((ticket, request)) = waiting.pop_front() {
                        if !answer(&outbox, ticket, request.await) {
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

/// The reply to the oldest request waiting (never resolves when none waits: its
/// branch is disabled then, but select! still builds the future).
async fn front_reply(
    waiting: &mut VecDeque<(Ticket, redis_io_tokio::Request)>,
) -> Result<Frame, redis_io_tokio::Error> {
    match waiting.front_mut() {
        Some((_, request)) => request.await,
        None => std::future::pending().await,
    }
}

/// Gives the client its reply; false when the upstream is lost (the client is then
/// closed with the error).
fn answer(outbox: &Outbox, ticket: Ticket, result: Result<Frame, redis_io_tokio::Error>) -> bool {
    match shared_reply(result) {
        Ok(frame) => outbox.complete(ticket, frame),
        Err(error) => {
            outbox.close(error);
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
