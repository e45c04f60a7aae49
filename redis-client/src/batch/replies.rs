//! Typed slots, and the outcomes a run fills them with.

use std::fmt;
use std::marker::PhantomData;

use redis_io_async::Outcome;
use redis_sansio::resp::Frame;
use redis_sansio::{RequestError, ServerError};

use crate::{ConversionError, Error, FromReply};

/// Where one command's reply will be in a pipeline's or transaction's [`Replies`],
/// and the type to read it as. Returned by every command method on a
/// [`Pipeline`](super::Pipeline) or [`Transaction`](super::Transaction).
pub struct Slot<R> {
    index: usize,
    reply: PhantomData<fn() -> R>,
}

impl<R> Slot<R> {
    pub(crate) fn new(index: usize) -> Self {
        Slot {
            index,
            reply: PhantomData,
        }
    }

    /// The command's position in its batch, from 0.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl<R> fmt::Debug for Slot<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot")
            .field("index", &self.index)
            .field("reply", &std::any::type_name::<R>())
            .finish()
    }
}

/// The outcome of every command of a pipeline or transaction, in order. Read each
/// with the [`Slot`] its method returned:
///
/// ```no_run
/// # fn demo(conn: &mut redis_io_sync::Connection) -> Result<(), redis_client::Error> {
/// use redis_client::{Commands, Pipeline};
///
/// let mut pipe = Pipeline::new();
/// pipe.set("visits", 1);
/// let visits = pipe.incr("visits");
/// let name = pipe.get("name");
/// let mut replies = pipe.run(conn)?;
/// let visits: i64 = replies.take(visits)?;
/// let name = replies.take(name)?; // Option<Bytes>
/// # Ok(()) }
/// ```
///
/// One command's server error is that command's `Err`; the others are unaffected.
#[derive(Debug, Default)]
pub struct Replies {
    outcomes: Vec<Option<Outcome>>,
}

impl Replies {
    pub(crate) fn from_outcomes(outcomes: Vec<Outcome>) -> Self {
        Replies {
            outcomes: outcomes.into_iter().map(Some).collect(),
        }
    }

    /// `EXEC`'s array: an error element is that command's server error.
    pub(crate) fn from_exec(frame: Frame) -> Result<Self, Error> {
        let items = Vec::<Frame>::from_reply(frame)?;
        Ok(Replies {
            outcomes: items
                .into_iter()
                .map(|item| Some(element_outcome(item)))
                .collect(),
        })
    }

    /// Puts `outcome` in place of the one at `index` (a retried script call).
    pub(crate) fn replace(&mut self, index: usize, outcome: Outcome) {
        if let Some(slot) = self.outcomes.get_mut(index) {
            *slot = Some(outcome);
        }
    }

    pub(crate) fn outcome(&self, index: usize) -> Option<&Outcome> {
        self.outcomes.get(index).and_then(Option::as_ref)
    }

    /// Takes the reply of `slot`'s command, read as its type. Each reply can be
    /// taken once; taking it again, or with a slot of another batch past this one's
    /// end, is an error.
    pub fn take<R: FromReply>(&mut self, slot: Slot<R>) -> Result<R, Error> {
        match self.outcomes.get_mut(slot.index).and_then(Option::take) {
            Some(outcome) => outcome.map_err(Error::Request).and_then(R::from_reply),
            None => Err(Error::Conversion(ConversionError::new(
                std::any::type_name::<R>(),
                format!("no reply at index {} (already taken?)", slot.index),
            ))),
        }
    }

    /// How many commands the batch had.
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// True for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// The outcomes not yet taken, in order, as the adapters give them.
    pub fn into_outcomes(self) -> impl Iterator<Item = Outcome> {
        self.outcomes.into_iter().flatten()
    }
}

fn element_outcome(item: Frame) -> Outcome {
    match item {
        Frame::SimpleError(message) | Frame::BulkError(message) => {
            Err(RequestError::Server(ServerError::new(message)))
        }
        item => Ok(item),
    }
}
