//! `MULTI`/`EXEC` transactions.

use redis_sansio::Cmd;

use super::{Batches, Queue, Slot};
use crate::script::{Invoke, ScriptCall};
use crate::{Executor, FromReply, TypedCmd};

/// Commands run atomically in `MULTI`/`EXEC`, each with a typed [`Slot`] for its
/// reply. Every generated command method works on `&mut Transaction`; run it with
/// [`run`](Self::run) on any body. The transaction goes out contiguously, even on a
/// multiplexed client.
///
/// Outcomes: a command the server refuses while queueing (wrong arity, say) aborts
/// the whole transaction with `EXECABORT`; a command that fails while running is an
/// error in its own slot, the others having run. After `WATCH`, a changed key makes
/// the run fail with `RequestError::WatchConflict`; [`crate::watch`] retries for you.
///
/// Script calls are made safe by loading their scripts (`SCRIPT LOAD`) just before
/// `MULTI`: a `NOSCRIPT` inside `EXEC` could not be retried atomically.
#[derive(Debug, Clone, Default)]
pub struct Transaction {
    queue: Queue,
}

impl Transaction {
    /// An empty transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a command, returning the slot of its reply.
    pub fn add<R: FromReply>(&mut self, cmd: TypedCmd<R>) -> Slot<R> {
        Slot::new(self.queue.push(cmd.into_cmd()))
    }

    /// Runs the transaction on `body`.
    pub fn run<'a, B: Batches<'a>>(&'a self, body: B) -> B::Output {
        body.run_transaction(self)
    }

    /// The commands between `MULTI` and `EXEC`, in order.
    pub fn cmds(&self) -> &[Cmd] {
        &self.queue.cmds
    }

    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.queue.cmds.len()
    }

    /// True when no command is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.cmds.is_empty()
    }

    /// Removes every command.
    pub fn clear(&mut self) {
        self.queue.cmds.clear();
        self.queue.scripts.clear();
    }

    /// `SCRIPT LOAD` for each script the transaction calls, to send before it.
    pub(crate) fn script_loads(&self) -> Vec<Cmd> {
        self.queue.script_loads(|_| true)
    }
}

/// `tx.get("k")`: queues the command and returns its slot.
impl<'a> Executor<'a> for &'a mut Transaction {
    type Ret<R: FromReply + 'a> = Slot<R>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Slot<R> {
        self.add(cmd)
    }
}

/// `call.invoke(&mut tx)`: queues `EVALSHA`; the script is loaded before `MULTI`.
impl<'a> Invoke<'a> for &'a mut Transaction {
    type Output<T: FromReply + 'a> = Slot<T>;

    fn invoke<T: FromReply + 'a>(self, call: &ScriptCall<'_>) -> Slot<T> {
        Slot::new(self.queue.push_script(call))
    }
}
