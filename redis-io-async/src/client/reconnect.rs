//! Reconnecting after the connection is lost: the driver's state while it opens a new
//! connection. What to do and when is the core's [`Supervisor`]'s to decide; this
//! file carries out its actions (sleep, connect) and fails the calls that wait past
//! their deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use redis_sansio::config::ConnectionConfig;
pub use redis_sansio::retry::Reconnect;
use redis_sansio::supervisor::{Action, Supervisor};
use redis_sansio::{CloseReason, Cmd};

use super::caching;
use super::driver::Driver;
use super::driving::Role;
use super::{Inner, Shared};
use crate::{Connection, Error, Runtime};

type Connecting<R> = Pin<Box<dyn Future<Output = Result<Connection<R>, Error>> + Send>>;

/// The driver's state between losing its connection and having a new one. Calls made
/// meanwhile wait in the queue and go out on the new connection, unless their deadline
/// passes first.
pub(super) struct Reconnecting<R: Runtime> {
    step: Step<R>,
    /// The timer for the earliest deadline of a waiting call, and that deadline.
    expiry: Option<(Instant, Pin<Box<R::Sleep>>)>,
    /// `CLIENT TRACKING on`, run on each new connection before it is shared, for a
    /// client that caches.
    tracking: Option<Cmd>,
}

enum Step<R: Runtime> {
    Wait(Pin<Box<R::Sleep>>),
    Connect(Connecting<R>),
}

impl<R: Runtime> Reconnecting<R> {
    /// Carries out the supervisor's next action: `Some(reason)` when it gave up.
    fn follow(
        supervisor: &mut Supervisor,
        config: &ConnectionConfig,
        tracking: &Option<Cmd>,
    ) -> Result<Step<R>, CloseReason> {
        match supervisor.poll_action() {
            Some(Action::Connect) => Ok(Step::Connect(match tracking {
                None => Box::pin(Connection::<R>::connect(config.clone())),
                Some(tracking) => {
                    Box::pin(caching::open_tracked::<R>(config.clone(), tracking.clone()))
                }
            })),
            Some(Action::GiveUp(reason)) => Err(reason),
            // Nothing to do now: wait for the next attempt's time.
            Some(_) | None => {
                let at = supervisor.poll_timeout().unwrap_or_else(Instant::now);
                Ok(Step::Wait(Box::pin(R::sleep_until(at))))
            }
        }
    }

    /// Starts an outage: tells the supervisor of the loss and carries out what it
    /// says (an attempt at once, or giving up).
    pub(super) fn start(
        supervisor: &mut Supervisor,
        reason: &CloseReason,
        config: &ConnectionConfig,
        tracking: Option<Cmd>,
    ) -> Result<Self, CloseReason> {
        supervisor.handle_lost(reason, Instant::now());
        Ok(Reconnecting {
            step: Self::follow(supervisor, config, &tracking)?,
            expiry: None,
            tracking,
        })
    }

    /// Drives the attempts: `Ready(Ok(connection))` once one succeeds,
    /// `Ready(Err(reason))` when the supervisor gives up.
    pub(super) fn poll(
        &mut self,
        cx: &mut Context<'_>,
        supervisor: &mut Supervisor,
        config: &ConnectionConfig,
    ) -> Poll<Result<Connection<R>, CloseReason>> {
        loop {
            match &mut self.step {
                Step::Wait(sleep) => {
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let now = supervisor.poll_timeout().map_or(Instant::now(), |at| {
                        // The timer says the time has come, even if the clock reads
                        // a hair earlier.
                        Instant::now().max(at)
                    });
                    supervisor.handle_timeout(now);
                }
                Step::Connect(connecting) => match connecting.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(conn)) => {
                        supervisor.handle_connected(Instant::now());
                        return Poll::Ready(Ok(conn));
                    }
                    Poll::Ready(Err(error)) => {
                        supervisor.handle_connect_failed(error.refusal().as_ref(), Instant::now());
                    }
                },
            }
            match Self::follow(supervisor, config, &self.tracking) {
                Ok(step) => self.step = step,
                Err(reason) => return Poll::Ready(Err(reason)),
            }
        }
    }

    /// Fails the waiting calls whose deadline has passed, with what the supervisor
    /// says they fail with, and arms the timer for the next deadline.
    fn expire_waiting(
        &mut self,
        inner: &mut Inner,
        supervisor: &Supervisor,
        config: &ConnectionConfig,
        cx: &mut Context<'_>,
        wake: &mut Vec<Waker>,
    ) {
        let Some(timeout) = config.response_timeout else {
            return;
        };
        loop {
            let now = Instant::now();
            let next = inner
                .queue
                .expire(now, timeout, wake, &mut inner.slots, || {
                    Error::Request(supervisor.expired_call_error())
                });
            let Some(at) = next else {
                self.expiry = None;
                return;
            };
            let sleep = match &mut self.expiry {
                Some((armed, sleep)) if *armed == at => sleep,
                expiry => &mut expiry.insert((at, Box::pin(R::sleep_until(at)))).1,
            };
            if sleep.as_mut().poll(cx).is_pending() {
                return;
            }
            self.expiry = None;
        }
    }
}

impl<R: Runtime> Driver<R> {
    /// The connection closed for `reason`: starts reconnecting if the client has a
    /// policy, the close was not asked for and someone may still call. Returns the
    /// reason to close for good with otherwise: `reason`, or the supervisor's when it
    /// refuses at once (a permanent refusal).
    pub(super) fn start_reconnect(
        &mut self,
        shared: &Shared,
        reason: CloseReason,
    ) -> Result<(), CloseReason> {
        if reason == CloseReason::Local {
            return Err(reason);
        }
        {
            let inner = shared.lock();
            if inner.close_requested || inner.handles == 0 {
                return Err(reason);
            }
            match (&inner.reconnect, &self.supervisor) {
                (None, _) => return Err(reason),
                (Some(_), Some(_)) => {}
                (Some(policy), None) => self.supervisor = Some(Supervisor::new(policy.clone())),
            }
        }
        // The core failed every request on the wire before it closed, so none should be
        // left; the new connection numbers its requests afresh, so none may be.
        if !self.waiting.is_empty() {
            let mut guard = shared.lock();
            for target in self.waiting.drain() {
                let error = Error::Closed(reason.clone());
                guard.slots.fail(target.slot, 1, error, &mut self.wake);
            }
        }
        // Nor may a copy kept by the old connection's ids (they start again at 0).
        self.waiting.resend.forget_kept();
        self.wake_callers();
        let supervisor = self.supervisor.as_mut().expect("set above");
        let tracking = caching::tracking_cmd(&shared.lock());
        self.reconnecting = Some(Reconnecting::start(
            supervisor,
            &reason,
            &shared.config,
            tracking,
        )?);
        shared.lock().idle = false;
        Ok(())
    }

    /// Drives a reconnection in progress: `Ready(None)` once the new connection is in
    /// place, `Ready(Some(reason))` when the client is to close for good (the
    /// supervisor gave up, [`close`](super::Client::close) was called or every handle
    /// dropped). Calls waiting past their deadline fail meanwhile.
    pub(super) fn poll_reconnect(
        &mut self,
        shared: &Shared,
        cx: &mut Context<'_>,
        role: Role,
        holder: Option<&Waker>,
    ) -> Poll<Option<CloseReason>> {
        let (Some(reconnecting), Some(supervisor)) = (&mut self.reconnecting, &mut self.supervisor)
        else {
            return Poll::Ready(None);
        };
        let stale = {
            let mut inner = shared.lock();
            if inner.close_requested || inner.handles == 0 {
                return Poll::Ready(Some(CloseReason::Local));
            }
            reconnecting.expire_waiting(&mut inner, supervisor, &shared.config, cx, &mut self.wake);
            inner.record(role, holder)
        };
        drop(stale);
        for waker in self.wake.drain(..) {
            waker.wake();
        }
        let polled = reconnecting.poll(cx, supervisor, &shared.config);
        match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(reason)) => Poll::Ready(Some(reason)),
            Poll::Ready(Ok(conn)) => {
                self.reconnecting = None;
                let mut io = conn.into_io();
                io.core.set_shared(true);
                io.core.set_stall_grace(Some(supervisor.policy().grace()));
                {
                    let mut inner = shared.lock();
                    inner.stats.observe(&self.io.core);
                    inner.stats.replaced();
                }
                self.io = io;
                self.restore_subscriptions(shared);
                // Tracking is on (the connection was opened so): the cache serves again.
                caching::tracking_on(&mut shared.lock());
                // The requests lost with the old connection that may go out again do,
                // first; then the calls that waited, with the deadlines they were
                // made with.
                self.resend_due(shared);
                self.resumed = true;
                Poll::Ready(None)
            }
        }
    }
}
