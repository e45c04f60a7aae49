//! The task that owns the multiplexed connection's socket: it sends the queued calls
//! and files each reply's outcome in its call's slot.

use std::collections::VecDeque;
use std::mem;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use redis_sansio::conn::{self, Event, RequestId};
use redis_sansio::supervisor::Supervisor;
use redis_sansio::{CloseReason, Cmd, RequestError, SendError};

use super::driving::{Engine, Role, Turn};
use super::reconnect::Reconnecting;
use super::resend::Resend;
use super::slots::Target;
use super::{Inner, Kind, Queue, Queued, Reconnect, Shared};
use crate::transport::Io;
use crate::{Error, Outcome, Runtime};

/// Requests on the wire, in send order, with their targets.
///
/// Replies come back in send order, so the one asked for is nearly always the front,
/// and ids go up by one per request, so otherwise its position is its id minus the
/// front's. Only a request that times out leaves early; it leaves a hole, popped once
/// it reaches the front. The front is never a hole.
#[derive(Debug, Default)]
pub(super) struct Waiting {
    on_wire: VecDeque<(RequestId, Option<Target>)>,
    /// The copies of those that may go out again after a loss.
    pub(super) resend: Resend,
}

impl Waiting {
    pub(super) fn push(&mut self, id: RequestId, target: Target) {
        self.on_wire.push_back((id, Some(target)));
    }

    pub(super) fn remove(&mut self, id: RequestId) -> Option<Target> {
        let (front, _) = self.on_wire.front()?;
        let target = if *front == id {
            self.on_wire.pop_front()?.1
        } else {
            let offset = usize::try_from(id.get().wrapping_sub(front.get())).unwrap_or(usize::MAX);
            let position = match self.on_wire.get(offset) {
                Some((at, _)) if *at == id => offset,
                _ => self.on_wire.iter().position(|(at, _)| *at == id)?,
            };
            self.on_wire[position].1.take()
        };
        while let Some((_, None)) = self.on_wire.front() {
            self.on_wire.pop_front();
        }
        target
    }

    pub(super) fn is_empty(&self) -> bool {
        self.on_wire.is_empty()
    }

    pub(super) fn drain(&mut self) -> impl Iterator<Item = Target> + '_ {
        self.on_wire.drain(..).filter_map(|(_, target)| target)
    }
}

/// How many callers the driver wakes in one turn before it yields.
///
/// With many tasks on the connection, replies arrive in batches (the server answers
/// everything it read at once). Waking a whole batch and only then sending what the
/// woken callers asked next runs client and server in lock-step, each idle while the
/// other works. Yielding after a part of the batch lets those callers queue their next
/// commands, which go out before the rest of the batch is handed over: the server
/// works on them meanwhile. A call's outcomes count once, however many commands it
/// had, so a single large pipeline is not cut up.
const WAKE_BUDGET: usize = 16;

/// The driver's state: the socket, the requests on the wire, and the turn that sends
/// queued calls and routes outcomes by request id. Run by whoever has the [`Role`].
pub(super) struct Driver<R: Runtime> {
    pub(super) io: Io<R>,
    pub(super) waiting: Waiting,
    /// The queue taken from [`Inner`] (swapped, so both keep their capacity).
    pub(super) batch: Queue,
    /// Callers to wake once the lock is released.
    pub(super) wake: Vec<Waker>,
    /// Set while a lost connection is being replaced; `io` is the dead one meanwhile.
    pub(super) reconnecting: Option<Reconnecting<R>>,
    /// The core's reconnect supervisor, from the client's policy at its first loss.
    pub(super) supervisor: Option<Supervisor>,
    /// A new connection replaced a lost one and the calls that waited are yet to be
    /// sent: each goes out with the time it was made, so its deadline counts from then.
    pub(super) resumed: bool,
}

impl<R: Runtime> Engine for Driver<R> {
    fn turn(
        &mut self,
        shared: &Shared,
        cx: &mut Context<'_>,
        role: Role,
        holder: Option<&Waker>,
    ) -> Turn {
        let read = holder.is_some();
        loop {
            if self.reconnecting.is_some() {
                match self.poll_reconnect(shared, cx, role, holder) {
                    Poll::Pending => return Turn::Waits,
                    Poll::Ready(Some(reason)) => {
                        self.finish(shared, reason);
                        return Turn::Finished;
                    }
                    Poll::Ready(None) => {}
                }
            }
            if self.io.core.is_idle() && !shared.lock().queue.calls.is_empty() {
                // Calls are about to go out on an idle connection: a reply nobody
                // asked for must be read first, not taken for theirs.
                if self.io.read_unasked(cx).is_err() {
                    self.io.core.handle_eof(Instant::now());
                }
            }
            // One lock hold: hand over the outcomes, take the queue.
            let stale;
            let (closed, stop, close) = {
                let mut guard = shared.lock();
                let inner = &mut *guard;
                stale = inner.record(role, holder);
                let closed = deliver(
                    &mut self.io.core,
                    inner,
                    &mut self.waiting,
                    &mut self.wake,
                    WAKE_BUDGET,
                );
                if closed.is_none() {
                    mem::swap(&mut inner.queue, &mut self.batch);
                    // Calls dropped before they were sent are not sent at all. Their
                    // slots are freed now; the entries stay, marked, and are passed
                    // over (removing them would shift the commands). Subscription
                    // calls are sent whoever waits: the book already counts on them
                    // (a dropped `Subscription`'s unsubscribe has no caller at all).
                    for queued in self.batch.calls.iter_mut().filter(|queued| !queued.skip) {
                        let slot = &mut inner.slots.entries[queued.slot];
                        if slot.caller_gone && queued.kind != Kind::Subscription {
                            slot.pending = 0;
                            inner.slots.release(queued.slot);
                            queued.skip = true;
                        }
                    }
                }
                // As of now, and so at the end of the turn if nothing was taken.
                inner.idle =
                    closed.is_none() && self.batch.calls.is_empty() && self.waiting.is_empty();
                (closed, inner.handles == 0, inner.close_requested)
            };
            drop(stale);
            // Outcomes are left in the core: send what is queued, then come back for
            // them once the woken callers had their turn.
            let yielding = self.wake.len() >= WAKE_BUDGET;
            self.wake_callers();
            if let Some(reason) = closed {
                // Calls still queued wait for the new connection, if there is to be one.
                match self.start_reconnect(shared, reason) {
                    Ok(()) => continue,
                    Err(reason) => {
                        self.finish(shared, reason);
                        return Turn::Finished;
                    }
                }
            }
            if !self.batch.calls.is_empty() {
                self.submit(shared);
            }
            if close || (stop && self.waiting.is_empty()) {
                self.shut_down(shared);
                return Turn::Finished;
            }
            if yielding || !read {
                // Only the write: what is left to read is read on the next turn.
                if self.io.write_out(cx).is_err() {
                    self.io.core.handle_eof(Instant::now());
                    continue;
                }
                if yielding {
                    cx.waker().wake_by_ref();
                }
                return match self.io.core.wants_write() {
                    true if !read => Turn::Unsent,
                    _ => Turn::Waits,
                };
            }
            match self.io.poll_io(cx, None) {
                Poll::Ready(Ok(_)) => {}
                // The socket broke: pending requests fail as on EOF.
                Poll::Ready(Err(_)) => self.io.core.handle_eof(Instant::now()),
                Poll::Pending => return Turn::Waits,
            }
        }
    }

    fn can_drive_here(&self) -> bool {
        R::in_context()
    }

    fn shut_down(&mut self, shared: &Shared) {
        self.io.core.close(Instant::now());
        let reason = self.deliver(shared).unwrap_or(CloseReason::Local);
        self.finish(shared, reason);
    }

    fn set_reconnect(&mut self, policy: &Reconnect) {
        self.io.core.set_stall_grace(Some(policy.grace()));
        self.waiting.resend.enable(policy.resends_writes());
    }
}

/// Routes the core's events to the slots, collecting wakers, until `wake` holds
/// `budget` of them (the rest stay in the core); returns the close reason once it has
/// closed. Called with the lock held.
pub(super) fn deliver(
    core: &mut conn::Connection,
    inner: &mut Inner,
    waiting: &mut Waiting,
    wake: &mut Vec<Waker>,
    budget: usize,
) -> Option<CloseReason> {
    let closed = deliver_events(core, inner, waiting, wake, budget);
    inner.stats.observe(core);
    closed
}

/// [`deliver`]'s events.
#[inline]
fn deliver_events(
    core: &mut conn::Connection,
    inner: &mut Inner,
    waiting: &mut Waiting,
    wake: &mut Vec<Waker>,
    budget: usize,
) -> Option<CloseReason> {
    loop {
        // Replies first, without building events; then whatever comes next.
        while wake.len() < budget {
            let Some((id, outcome)) = core.poll_reply() else {
                break;
            };
            file_outcome(inner, waiting, wake, id, outcome);
        }
        if wake.len() >= budget {
            return None;
        }
        let event = core.poll_event()?;
        // Invalidations go to the cache in wire order; a close flushes it.
        if super::caching::on_event(inner, &event) {
            continue;
        }
        match event {
            Event::Reply { id, result } => file_outcome(inner, waiting, wake, id, result),
            Event::Message(message) => inner.listeners.deliver(message, wake),
            Event::Closed(reason) => {
                // Recorded before the callers woken in this turn run, so that they
                // see `is_closed()` already set; unless the client is to reconnect.
                if inner.reconnect.is_none() || reason == CloseReason::Local {
                    inner.closed.get_or_insert_with(|| reason.clone());
                }
                return Some(reason);
            }
            _ => {}
        }
    }
}

/// Gives a request's outcome to its call, if the call is still there.
#[inline]
pub(super) fn file_outcome(
    inner: &mut Inner,
    waiting: &mut Waiting,
    wake: &mut Vec<Waker>,
    id: RequestId,
    outcome: Outcome,
) {
    if let Err(RequestError::Closed(reason)) = &outcome {
        // Recorded before the caller is woken (after the lock is released), so that
        // it sees `is_closed()` already set; unless the client is to reconnect.
        if inner.reconnect.is_none() || *reason == CloseReason::Local {
            inner.closed.get_or_insert_with(|| reason.clone());
        }
    }
    if let Some(target) = waiting.remove(id) {
        let wanted = !inner.slots.entries[target.slot].caller_gone;
        if waiting.resend.settle(id, &outcome, target, wanted) {
            // Lost with the connection, but safe to send again: it goes out on the
            // next connection, and its call waits on.
            return;
        }
        inner.slots.complete(target, outcome, wake);
    }
}

/// Sends `cmds`, the commands of `calls` (requests and pipelines, none skipped), back
/// to back with `send_all`. When one is refused, its call fails and the rest of that
/// call is not sent; the calls after it are.
pub(super) fn send_run(
    core: &mut conn::Connection,
    waiting: &mut Waiting,
    calls: &[Queued],
    cmds: &[Cmd],
    now: Instant,
    refused: &mut Vec<(usize, usize, SendError)>,
) {
    // The call the next command belongs to, and the command's index in it.
    let (mut call, mut index) = (0, 0);
    let mut at = 0;
    while at < cmds.len() {
        let first = core.next_id();
        let result = core.send_all(&cmds[at..], now);
        // Accepted before a refusal: ids run from `first` to the next one.
        let sent = usize::try_from(core.next_id().get() - first.get()).unwrap_or(usize::MAX);
        for n in 0..sent {
            while index == calls[call].len {
                (call, index) = (call + 1, 0);
            }
            let slot = calls[call].slot;
            waiting.push(first.offset(n), Target { slot, index });
            waiting.resend.sent(first.offset(n), &cmds[at + n], now);
            index += 1;
        }
        let Err(error) = result else {
            return;
        };
        while index == calls[call].len {
            (call, index) = (call + 1, 0);
        }
        let unsent = calls[call].len - index;
        refused.push((calls[call].slot, unsent, error));
        at += sent + unsent;
        (call, index) = (call + 1, 0);
    }
}

impl<R: Runtime> Driver<R> {
    /// Hands the calls taken from the queue to the core, in order: each run of
    /// consecutive requests and pipelines in one `send_all`, each transaction on its
    /// own. A refused command fails its call (the rest of a pipeline is not sent).
    pub(super) fn submit(&mut self, shared: &Shared) {
        let now = Instant::now();
        // After a reconnect, each call goes out on its own with the time it was made;
        // otherwise calls were made just now, and runs of them go out together.
        let resumed = mem::take(&mut self.resumed);
        let core = &mut self.io.core;
        let Queue { calls, cmds } = &mut self.batch;
        let mut refused = Vec::new();
        let (mut call, mut at) = (0, 0);
        while let Some(queued) = calls.get(call) {
            let len = queued.len;
            let made = match resumed {
                true => queued.made.unwrap_or(now),
                false => now,
            };
            if queued.skip {
                (call, at) = (call + 1, at + len);
            } else if queued.kind != Kind::Commands {
                let slot = queued.slot;
                let sent = match queued.kind {
                    Kind::Subscription => core.send_subscription(&cmds[at], made),
                    _ => core.send_transaction(&cmds[at..at + len], made),
                };
                match sent {
                    Ok(id) => self.waiting.push(id, Target { slot, index: 0 }),
                    Err(error) => refused.push((slot, 1, error)),
                }
                (call, at) = (call + 1, at + len);
            } else {
                let (first_call, first_cmd) = (call, at);
                while calls
                    .get(call)
                    .is_some_and(|queued| !queued.skip && queued.kind == Kind::Commands)
                {
                    (call, at) = (call + 1, at + calls[call].len);
                    if resumed {
                        break;
                    }
                }
                send_run(
                    core,
                    &mut self.waiting,
                    &calls[first_call..call],
                    &cmds[first_cmd..at],
                    made,
                    &mut refused,
                );
            }
        }
        calls.clear();
        cmds.clear();
        if !refused.is_empty() {
            self.refuse(shared, refused);
        }
    }

    /// Sends again, first on a new connection, the requests lost with the old one that
    /// may go out again (see [`Resend`]), each with the deadline it was made with; one
    /// whose deadline has passed times out instead.
    pub(super) fn resend_due(&mut self, shared: &Shared) {
        let due = self.waiting.resend.take_due();
        if due.is_empty() {
            return;
        }
        let now = Instant::now();
        let timeout = shared.config.response_timeout;
        {
            let mut guard = shared.lock();
            for (target, cmd, made) in due {
                let expired =
                    timeout.is_some_and(|t| redis_sansio::deadline::after(made, t) <= now);
                if expired {
                    guard
                        .slots
                        .complete(target, Err(RequestError::Timeout), &mut self.wake);
                    continue;
                }
                match self.io.core.send(&cmd, made) {
                    Ok(id) => {
                        self.waiting.push(id, target);
                        self.waiting.resend.sent(id, &cmd, made);
                    }
                    Err(error) => {
                        guard
                            .slots
                            .fail(target.slot, 1, Error::Send(error), &mut self.wake)
                    }
                }
            }
        }
        self.wake_callers();
    }

    /// Fails the calls the core refused.
    pub(super) fn refuse(&mut self, shared: &Shared, refused: Vec<(usize, usize, SendError)>) {
        {
            let mut guard = shared.lock();
            for (slot, unsent, error) in refused {
                guard
                    .slots
                    .fail(slot, unsent, Error::Send(error), &mut self.wake);
            }
        }
        self.wake_callers();
    }

    /// Routes the core's events under the lock, then wakes their callers.
    pub(super) fn deliver(&mut self, shared: &Shared) -> Option<CloseReason> {
        let closed = {
            let mut guard = shared.lock();
            deliver(
                &mut self.io.core,
                &mut guard,
                &mut self.waiting,
                &mut self.wake,
                usize::MAX,
            )
        };
        self.wake_callers();
        closed
    }

    pub(super) fn wake_callers(&mut self) {
        for waker in self.wake.drain(..) {
            waker.wake();
        }
    }

    /// The connection is closed: fail whatever is left and refuse later calls. The
    /// role goes back to the driver task, which is woken to finish.
    pub(super) fn finish(&mut self, shared: &Shared, reason: CloseReason) {
        let stale = {
            let mut guard = shared.lock();
            let Inner {
                queue,
                slots,
                role,
                waker,
                task_waker,
                idle,
                closed,
                listeners,
                ..
            } = &mut *guard;
            closed.get_or_insert(reason.clone());
            listeners.close(&reason, &mut self.wake);
            (*role, *idle) = (Role::Task, false);
            self.wake.extend(task_waker.clone());
            for queued in queue.calls.drain(..).chain(self.batch.calls.drain(..)) {
                if !queued.skip {
                    let unsent = slots.entries[queued.slot].pending;
                    let error = Error::Closed(reason.clone());
                    slots.fail(queued.slot, unsent, error, &mut self.wake);
                }
            }
            queue.cmds.clear();
            self.batch.cmds.clear();
            for Target { slot, .. } in self.waiting.drain() {
                slots.fail(slot, 1, Error::Closed(reason.clone()), &mut self.wake);
            }
            for (Target { slot, .. }, ..) in self.waiting.resend.take_due() {
                slots.fail(slot, 1, Error::Closed(reason.clone()), &mut self.wake);
            }
            waker.take()
        };
        drop(stale);
        self.wake_callers();
    }
}

#[cfg(test)]
mod tests {
    use redis_sansio::config::ConnectionConfig;

    use super::*;

    fn id(n: u64) -> RequestId {
        // Ids are only made by the core: send `n + 1` requests to get the `n`th.
        let mut core = conn::Connection::new(ConnectionConfig::default(), Instant::now());
        let mut last = None;
        for _ in 0..=n {
            last = Some(core.send(&Cmd::new("PING"), Instant::now()).unwrap());
        }
        last.unwrap()
    }

    fn target(slot: usize) -> Target {
        Target { slot, index: 0 }
    }

    #[test]
    fn waiting_finds_requests_in_and_out_of_order() {
        let ids: Vec<RequestId> = (0..5).map(id).collect();
        let mut waiting = Waiting::default();
        for (slot, id) in ids.iter().enumerate() {
            waiting.push(*id, target(slot));
        }
        // In order: the front.
        assert_eq!(waiting.remove(ids[0]).map(|t| t.slot), Some(0));
        // Out of order (a timeout): a hole, found by position.
        assert_eq!(waiting.remove(ids[3]).map(|t| t.slot), Some(3));
        assert_eq!(waiting.remove(ids[3]).map(|t| t.slot), None);
        assert_eq!(waiting.on_wire.len(), 4);
        assert_eq!(waiting.remove(ids[1]).map(|t| t.slot), Some(1));
        assert_eq!(waiting.remove(ids[2]).map(|t| t.slot), Some(2));
        // The hole at the front is popped: only 4 is left.
        assert_eq!(waiting.on_wire.len(), 1);
        assert_eq!(waiting.remove(ids[0]).map(|t| t.slot), None);
        assert_eq!(waiting.remove(ids[4]).map(|t| t.slot), Some(4));
        assert!(waiting.is_empty());
        assert_eq!(waiting.remove(ids[4]).map(|t| t.slot), None);
    }

    #[test]
    fn delivery_stops_at_the_wake_budget_and_resumes() {
        let now = Instant::now();
        // RESP2 and no names: no handshake, so every reply below is a GET's.
        let mut config = ConnectionConfig::default();
        config.protocol = redis_sansio::config::ProtocolVersion::Resp2;
        (config.lib_name, config.lib_ver) = (None, None);
        let mut core = conn::Connection::new(config, now);
        let mut inner = Inner::new();
        let mut waiting = Waiting::default();
        // 40 waiting callers, one GET each, and one pipeline of 30 GETs.
        let calls = 40;
        for _ in 0..calls {
            let slot = inner.slots.insert();
            inner.slots.entries[slot].pending = 1;
            inner.slots.entries[slot].waker = Some(Waker::noop().clone());
            let id = core.send(&Cmd::new("GET").arg("k"), now).unwrap();
            waiting.push(id, Target { slot, index: 0 });
        }
        let pipeline = inner.slots.insert();
        inner.slots.entries[pipeline].pending = 30;
        inner.slots.entries[pipeline].filled = super::super::slots::Filled::many(30);
        inner.slots.entries[pipeline].waker = Some(Waker::noop().clone());
        for index in 0..30 {
            let id = core.send(&Cmd::new("GET").arg("k"), now).unwrap();
            waiting.push(
                id,
                Target {
                    slot: pipeline,
                    index,
                },
            );
        }
        let replies = b"$1\r\nv\r\n".repeat(calls + 30);
        let buf = core.read_buf();
        buf[..replies.len()].copy_from_slice(&replies);
        core.handle_read(replies.len(), now);

        let mut wake = Vec::new();
        let mut turns = Vec::new();
        for _ in 0..5 {
            let closed = deliver(&mut core, &mut inner, &mut waiting, &mut wake, 16);
            assert_eq!(closed, None);
            turns.push(wake.len());
            wake.clear();
        }
        // 16, 16, then the last 8 callers and the pipeline (30 outcomes, one wake).
        assert_eq!(turns, [16, 16, 9, 0, 0]);
        assert!(waiting.is_empty());
    }

    #[test]
    fn a_refused_command_fails_its_call_alone() {
        let now = Instant::now();
        let mut core = conn::Connection::new(ConnectionConfig::default(), now);
        core.set_shared(true);
        let get = |key: &str| Cmd::new("GET").arg(key);
        let select = || Cmd::new("SELECT").arg(1);
        // A request, a pipeline refused in its middle, a request, a refused request,
        // a request: one run.
        let cmds = [
            get("a"),
            get("b"),
            select(),
            get("c"),
            get("d"),
            select(),
            get("e"),
        ];
        let calls: Vec<Queued> = [(10, 1), (11, 3), (12, 1), (13, 1), (14, 1)]
            .into_iter()
            .map(|(slot, len)| Queued {
                slot,
                kind: Kind::Commands,
                len,
                skip: false,
                made: None,
            })
            .collect();
        let mut waiting = Waiting::default();
        let mut refused = Vec::new();
        let first = core.next_id();
        send_run(&mut core, &mut waiting, &calls, &cmds, now, &mut refused);
        let targets: Vec<(u64, usize, usize)> = waiting
            .on_wire
            .iter()
            .map(|(id, target)| {
                let target = target.unwrap();
                (id.get() - first.get(), target.slot, target.index)
            })
            .collect();
        assert_eq!(targets, [(0, 10, 0), (1, 11, 0), (2, 12, 0), (3, 14, 0)]);
        let refused: Vec<(usize, usize)> = refused
            .into_iter()
            .map(|(slot, unsent, error)| {
                assert!(matches!(error, SendError::Shared { .. }), "{error:?}");
                (slot, unsent)
            })
            .collect();
        // The pipeline's SELECT and the GET after it; the request's SELECT.
        assert_eq!(refused, [(11, 2), (13, 1)]);
    }
}
