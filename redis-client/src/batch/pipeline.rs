//! Pipelines: commands sent in one write, replies read in order.

use redis_io_async::Outcome;
use redis_sansio::{Cmd, RequestError, ServerErrorKind};

use super::{Batches, Queue, Replies, Slot};
use crate::script::{Invoke, ScriptCall};
use crate::{Executor, FromReply, TypedCmd};

/// Commands to send back to back in one write, each with a typed [`Slot`] for its
/// reply. Every generated command method works on `&mut Pipeline`; run it on any
/// body with [`run`](Self::run) (`pipe.run(&mut conn)?`, `pipe.run(&client).await?`).
///
/// A pipeline is not atomic: other clients' commands may run between its commands
/// (see [`Transaction`](super::Transaction) for that). It can be run again.
///
/// Script calls ([`ScriptCall::invoke`]) go out as `EVALSHA`; any that fail with
/// `NOSCRIPT` are retried after loading their script, in one more round trip, so
/// they run after the rest of the pipeline.
#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    queue: Queue,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a command, returning the slot of its reply. The same as calling the
    /// command's method on `&mut pipeline`.
    pub fn add<R: FromReply>(&mut self, cmd: TypedCmd<R>) -> Slot<R> {
        Slot::new(self.queue.push(cmd.into_cmd()))
    }

    /// Sends every command to `body` and collects their outcomes.
    pub fn run<'a, B: Batches<'a>>(&'a self, body: B) -> B::Output {
        body.run_pipeline(self)
    }

    /// The commands, in order.
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

    /// Removes every command, keeping the allocation.
    pub fn clear(&mut self) {
        self.queue.cmds.clear();
        self.queue.scripts.clear();
    }

    /// The commands that retry this run's script calls that failed with `NOSCRIPT`:
    /// the scripts' `SCRIPT LOAD`s, then the calls again. `None` when none failed.
    pub(crate) fn script_retry(&self, replies: &Replies) -> Option<ScriptRetry> {
        let failed: Vec<usize> = self
            .queue
            .scripts
            .iter()
            .map(|&(index, _)| index)
            .filter(|&index| is_noscript(replies.outcome(index)))
            .collect();
        if failed.is_empty() {
            return None;
        }
        let mut cmds = self.queue.script_loads(|index| failed.contains(&index));
        let loads = cmds.len();
        cmds.extend(failed.iter().map(|&index| self.queue.cmds[index].clone()));
        Some(ScriptRetry {
            cmds,
            loads,
            indices: failed,
        })
    }
}

fn is_noscript(outcome: Option<&Outcome>) -> bool {
    matches!(
        outcome,
        Some(Err(RequestError::Server(error))) if *error.kind() == ServerErrorKind::NoScript
    )
}

/// A second round for script calls that found their script missing.
#[derive(Debug)]
pub(crate) struct ScriptRetry {
    /// The `SCRIPT LOAD`s, then the retried calls.
    pub(crate) cmds: Vec<Cmd>,
    loads: usize,
    indices: Vec<usize>,
}

impl ScriptRetry {
    /// Files the retried calls' outcomes in place of their `NOSCRIPT` errors. A
    /// failed load is left to show through its call's outcome.
    pub(crate) fn apply(self, replies: &mut Replies, outcomes: Vec<Outcome>) {
        for (index, outcome) in self
            .indices
            .into_iter()
            .zip(outcomes.into_iter().skip(self.loads))
        {
            replies.replace(index, outcome);
        }
    }
}

/// `pipe.get("k")`: queues the command and returns its slot.
impl<'a> Executor<'a> for &'a mut Pipeline {
    type Ret<R: FromReply + 'a> = Slot<R>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Slot<R> {
        self.add(cmd)
    }
}

/// `call.invoke(&mut pipe)`: queues `EVALSHA`, retried after `SCRIPT LOAD` on `NOSCRIPT`.
impl<'a> Invoke<'a> for &'a mut Pipeline {
    type Output<T: FromReply + 'a> = Slot<T>;

    fn invoke<T: FromReply + 'a>(self, call: &ScriptCall<'_>) -> Slot<T> {
        Slot::new(self.queue.push_script(call))
    }
}
