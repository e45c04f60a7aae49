//! Who drives the connection: the driver task, or a caller that is alone on it.
//!
//! The driver's state (socket, core, requests on the wire) sits in [`Shared::engine`]
//! under a mutex of its own, so that whoever has the [`Role`] can run a turn of it:
//! send what is queued, read, file outcomes. Normally the driver task does. A call made
//! while the connection is idle (nothing queued, nothing on the wire) drives instead:
//! the method writes its commands at once, and its future reads the reply. So a caller
//! making one call at a time never hops to the driver task and back: on smol's and
//! async-std's global executors that is a wake across threads each way. The role goes
//! back to the task as soon as the caller is not alone any more (another call is
//! made), its call completes or is dropped, the socket does not take all of its
//! commands at once, or the client is closed or loses its last handle. So a future
//! that is kept but not polled holds up only its own call.
//!
//! The socket and the timer are always armed with one waker, the [`Relay`], which wakes
//! whoever has the role when the event comes: handing the role over re-arms nothing,
//! and no readiness is lost in between.

use std::mem;
use std::sync::{Arc, PoisonError, Weak};
use std::task::{Context, Wake, Waker};

use super::{Inner, Shared};

/// Who drives the connection now. Only the holder is woken for socket and timer
/// events and for new calls; anyone may run a turn (they are serialized by the engine's
/// lock, and a turn run by another does the holder's work early, nothing more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// The driver task ([`ClientDriver`](super::ClientDriver)).
    Task,
    /// The caller of this slot, alone on the connection: its own future drives.
    Caller(usize),
}

/// The driver's state, as the callers and the driver task reach it: through
/// [`Shared::drive`], without knowing the runtime.
pub(super) trait Engine: Send {
    /// Runs the driver until it waits: sends what is queued, files the outcomes that
    /// came in (waking their callers), and arms the socket and the timer with `cx`
    /// (the [`Relay`]'s). `role` is who runs it: recorded, with its waker `holder`, as
    /// the one to wake if it still has the role. Without a `holder` (a call sending
    /// itself before its future was polled: no one to wake for a reply) it only sends,
    /// and reads nothing. [`Turn::Finished`] drops the engine.
    fn turn(
        &mut self,
        shared: &Shared,
        cx: &mut Context<'_>,
        role: Role,
        holder: Option<&Waker>,
    ) -> Turn;

    /// Whether a caller on the current thread may run a turn: tokio's sockets and
    /// timers need its runtime's context ([`Runtime::in_context`](crate::Runtime::in_context)).
    fn can_drive_here(&self) -> bool;

    /// Closes the connection now: every pending call fails with the local close.
    fn shut_down(&mut self, shared: &Shared);

    /// Gives the connection a stall grace (see
    /// [`Connection::set_stall_grace`](redis_sansio::conn::Connection::set_stall_grace)):
    /// set when the client gets a reconnect policy.
    fn set_stall_grace(&mut self, grace: Option<std::time::Duration>);
}

/// How a turn ended, and what [`Shared::drive`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Turn {
    /// It waits for the socket, the timer or a new call.
    Waits,
    /// It only sent, and the socket did not take everything.
    Unsent,
    /// The connection is closed and the engine gone (now, or before).
    Finished,
    /// Not run: a caller on a thread that cannot drive (see
    /// [`Engine::can_drive_here`]).
    NotHere,
}

impl Shared {
    /// Runs a turn of the engine for `role`, whose waker is `holder`; only sends
    /// without one.
    pub(super) fn drive(&self, role: Role, holder: Option<&Waker>) -> Turn {
        let mut finished = None;
        let turn = {
            let mut engine = self.engine.lock().unwrap_or_else(PoisonError::into_inner);
            match engine.as_mut() {
                None => Turn::Finished,
                Some(driver) if role != Role::Task && !driver.can_drive_here() => Turn::NotHere,
                Some(driver) => {
                    let mut cx = Context::from_waker(&self.relay);
                    let turn = driver.turn(self, &mut cx, role, holder);
                    if turn == Turn::Finished {
                        finished = engine.take();
                    }
                    turn
                }
            }
        };
        // The socket is closed outside the lock.
        drop(finished);
        turn
    }

    /// Sends the call in `slot`, which took the role on an idle connection
    /// ([`Inner::call_queued`]). If this thread cannot drive or the socket does not
    /// take all of it, the role goes to the task, which is woken to send the rest.
    pub(super) fn send_alone(&self, slot: usize) {
        let me = Role::Caller(slot);
        if matches!(self.drive(me, None), Turn::NotHere | Turn::Unsent) {
            self.hand_over(me);
        }
    }

    /// Gives the role to the driver task, if `role` still has it, and wakes the task.
    #[cold]
    pub(super) fn hand_over(&self, role: Role) {
        let mut stale = None;
        let task = {
            let mut inner = self.lock();
            if inner.role != role {
                return;
            }
            inner.hand_to_task(&mut stale)
        };
        drop(stale);
        if let Some(task) = task {
            task.wake();
        }
    }

    /// Closes the connection now (the driver task is gone): pending calls fail.
    pub(super) fn shut_down(&self) {
        let engine = self
            .engine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut driver) = engine {
            driver.shut_down(self);
        }
    }
}

impl Inner {
    /// A call was queued in `slot`: says what to do once the lock is released. Alone
    /// on an idle connection the call takes the role and sends itself
    /// ([`Shared::send_alone`]); otherwise the holder is woken, and a caller that had
    /// the role is alone no more, so the role goes to the task.
    ///
    /// Alone means no other call in progress, not only nothing on the wire: when many
    /// tasks share the connection, the driver's last batch of outcomes may have left
    /// nothing on the wire while the callers it woke are about to call again, and
    /// their calls go out together, from the task.
    #[inline]
    pub(super) fn call_queued(&mut self, slot: usize, stale: &mut Option<Waker>) -> Next {
        // The usual case when calls overlap, kept small enough to inline.
        if self.role == Role::Task && !self.idle {
            return Next::Wake(self.waker.take());
        }
        self.call_queued_otherwise(slot, stale)
    }

    #[inline(never)]
    fn call_queued_otherwise(&mut self, slot: usize, stale: &mut Option<Waker>) -> Next {
        let idle = mem::replace(&mut self.idle, false);
        match self.role {
            Role::Task if idle && self.slots.in_use() == 1 => {
                self.role = Role::Caller(slot);
                Next::SendAlone
            }
            Role::Task => Next::Wake(self.waker.take()),
            Role::Caller(_) => Next::Wake(self.hand_to_task(stale)),
        }
    }

    /// Gives the role to the driver task and returns its waker, to wake once the lock
    /// is released (for a close, say). The previous holder's waker goes to `stale`.
    pub(super) fn hand_to_task(&mut self, stale: &mut Option<Waker>) -> Option<Waker> {
        self.role = Role::Task;
        *stale = self.waker.take();
        self.task_waker.clone()
    }

    /// The call in `slot` is complete or dropped. If it had the role, the role goes
    /// back to the task, which is woken if there is work left or if an event came for
    /// the caller that it did not take (its waker was taken); otherwise it is only
    /// recorded as the one to wake.
    #[inline]
    pub(super) fn call_left(&mut self, slot: usize, stale: &mut Option<Waker>) -> Option<Waker> {
        if self.role != Role::Caller(slot) {
            return None;
        }
        self.give_back(stale)
    }

    /// [`call_left`](Self::call_left) for the call that had the role.
    #[inline(never)]
    fn give_back(&mut self, stale: &mut Option<Waker>) -> Option<Waker> {
        let pass_on = !self.idle || self.waker.is_none();
        self.role = Role::Task;
        *stale = mem::replace(&mut self.waker, self.task_waker.clone());
        if pass_on { self.waker.take() } else { None }
    }

    /// Records `holder` as the waker to wake if `role` still has the role, and, for
    /// the task, as the task's own. Replaced wakers are returned, to drop once the
    /// lock is released.
    #[inline]
    pub(super) fn record(&mut self, role: Role, holder: Option<&Waker>) -> [Option<Waker>; 2] {
        let mut stale = [None, None];
        let Some(holder) = holder else {
            return stale;
        };
        if role == Role::Task
            && !self
                .task_waker
                .as_ref()
                .is_some_and(|w| w.will_wake(holder))
        {
            stale[0] = self.task_waker.replace(holder.clone());
        }
        if self.role == role && !self.waker.as_ref().is_some_and(|w| w.will_wake(holder)) {
            stale[1] = self.waker.replace(holder.clone());
        }
        stale
    }
}

/// What a new call does once the lock is released: [`Inner::call_queued`].
#[derive(Debug)]
pub(super) enum Next {
    /// Wakes the holder of the role, if it is waiting.
    Wake(Option<Waker>),
    /// Sends itself: [`Shared::send_alone`].
    SendAlone,
}

/// The waker the socket and the timer are armed with: wakes whoever has the role.
///
/// It holds the client weakly: the engine, which keeps it (in the socket's
/// registration), is inside [`Shared`].
pub(super) struct Relay(pub(super) Weak<Shared>);

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(shared) = self.0.upgrade() else {
            return;
        };
        let holder = shared.lock().waker.take();
        if let Some(holder) = holder {
            holder.wake();
        }
    }
}
