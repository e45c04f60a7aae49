//! Commands sent together: pipelines and `MULTI`/`EXEC` transactions, their typed
//! slots, and how each body runs them.

mod pipeline;
mod replies;
mod run;
mod transaction;

pub use pipeline::Pipeline;
pub use replies::{Replies, Slot};
pub(crate) use run::run_transaction;
pub use run::{BatchFuture, Batches};
pub use transaction::Transaction;

use redis_sansio::Cmd;

use crate::script::ScriptCall;

/// What pipelines and transactions share: the commands in order, and which of them
/// are script calls (`EVALSHA`), with the script each needs loaded.
#[derive(Debug, Clone, Default)]
struct Queue {
    cmds: Vec<Cmd>,
    /// `(index into cmds, SCRIPT LOAD command)` for each script call.
    scripts: Vec<(usize, Cmd)>,
}

impl Queue {
    fn push(&mut self, cmd: Cmd) -> usize {
        self.cmds.push(cmd);
        self.cmds.len() - 1
    }

    fn push_script(&mut self, call: &ScriptCall<'_>) -> usize {
        let index = self.push(call.evalsha());
        self.scripts.push((index, call.script().load_cmd()));
        index
    }

    /// One `SCRIPT LOAD` per distinct script among the calls at the indices `wanted`
    /// accepts, in first-call order.
    fn script_loads(&self, wanted: impl Fn(usize) -> bool) -> Vec<Cmd> {
        let mut loads: Vec<Cmd> = Vec::new();
        for (index, load) in &self.scripts {
            if wanted(*index) && !loads.contains(load) {
                loads.push(load.clone());
            }
        }
        loads
    }
}
