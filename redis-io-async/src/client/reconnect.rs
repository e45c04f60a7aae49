//! Reconnecting after the connection is lost: the driver's state while it opens a new
//! connection, under the core's [`Reconnect`] policy.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use redis_sansio::CloseReason;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::deadline;
use redis_sansio::retry::Outage;
pub use redis_sansio::retry::Reconnect;

use super::Shared;
use super::driver::Driver;
use super::driving::Role;
use crate::{Connection, Error, Runtime};

type Connecting<R> = Pin<Box<dyn Future<Output = Result<Connection<R>, Error>> + Send>>;

/// The driver's state between losing its connection and having a new one. Calls made
/// meanwhile wait in the queue and go out on the new connection.
pub(super) struct Reconnecting<R: Runtime> {
    outage: Outage,
    /// Why the connection was lost: the close reason if the client gives up.
    reason: CloseReason,
    step: Step<R>,
}

enum Step<R: Runtime> {
    Wait(Pin<Box<R::Sleep>>),
    Connect(Connecting<R>),
}

impl<R: Runtime> Reconnecting<R> {
    /// Starts an outage: the first attempt, at once.
    pub(super) fn start(policy: Reconnect, reason: CloseReason, config: &ConnectionConfig) -> Self {
        let mut outage = Outage::new(policy);
        // The first attempt, made at once.
        outage.next_attempt();
        Reconnecting {
            outage,
            reason,
            step: Step::Connect(Box::pin(Connection::<R>::connect(config.clone()))),
        }
    }

    /// Drives the attempts: `Ready(Ok(connection))` once one succeeds,
    /// `Ready(Err(reason))` when the policy gives up.
    pub(super) fn poll(
        &mut self,
        cx: &mut Context<'_>,
        config: &ConnectionConfig,
    ) -> Poll<Result<Connection<R>, CloseReason>> {
        loop {
            match &mut self.step {
                Step::Wait(sleep) => {
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.step = Step::Connect(Box::pin(Connection::<R>::connect(config.clone())));
                }
                Step::Connect(connecting) => match connecting.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(conn)) => return Poll::Ready(Ok(conn)),
                    Poll::Ready(Err(_)) => match self.outage.next_attempt() {
                        None => return Poll::Ready(Err(self.reason.clone())),
                        Some(delay) => {
                            let wake = deadline::after(Instant::now(), delay);
                            self.step = Step::Wait(Box::pin(R::sleep_until(wake)));
                        }
                    },
                },
            }
        }
    }
}

impl<R: Runtime> Driver<R> {
    /// The connection closed for `reason`: starts reconnecting if the client has a
    /// policy, the close was not asked for and someone may still call. Returns false
    /// when the client should close for good instead.
    pub(super) fn start_reconnect(&mut self, shared: &Shared, reason: &CloseReason) -> bool {
        if *reason == CloseReason::Local {
            return false;
        }
        let policy = {
            let inner = shared.lock();
            if inner.close_requested || inner.handles == 0 {
                return false;
            }
            match &inner.reconnect {
                Some(policy) => policy.clone(),
                None => return false,
            }
        };
        // The core failed every request on the wire before it closed, so none should be
        // left; the new connection numbers its requests afresh, so none may be.
        if !self.waiting.is_empty() {
            let mut guard = shared.lock();
            for target in self.waiting.drain() {
                let error = Error::Closed(reason.clone());
                guard.slots.fail(target.slot, 1, error, &mut self.wake);
            }
        }
        self.wake_callers();
        self.reconnecting = Some(Reconnecting::start(policy, reason.clone(), &shared.config));
        shared.lock().idle = false;
        true
    }

    /// Drives a reconnection in progress: `Ready(None)` once the new connection is in
    /// place, `Ready(Some(reason))` when the client is to close for good (the policy
    /// gave up, [`close`](super::Client::close) was called or every handle dropped).
    pub(super) fn poll_reconnect(
        &mut self,
        shared: &Shared,
        cx: &mut Context<'_>,
        role: Role,
        holder: Option<&Waker>,
    ) -> Poll<Option<CloseReason>> {
        let Some(reconnecting) = &mut self.reconnecting else {
            return Poll::Ready(None);
        };
        let stale = {
            let mut inner = shared.lock();
            if inner.close_requested || inner.handles == 0 {
                return Poll::Ready(Some(CloseReason::Local));
            }
            inner.record(role, holder)
        };
        drop(stale);
        let polled = reconnecting.poll(cx, &shared.config);
        match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(reason)) => Poll::Ready(Some(reason)),
            Poll::Ready(Ok(conn)) => {
                self.reconnecting = None;
                let mut io = conn.into_io();
                io.core.set_shared(true);
                self.io = io;
                Poll::Ready(None)
            }
        }
    }
}
