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
/// use redis_client::Pipeline;
/// use redis_client::prelude::*;
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
#[derive(Default)]
pub struct Replies {
    /// Every outcome, as the adapter gave them; a taken one is left as a placeholder.
    outcomes: Vec<Outcome>,
    /// Which outcomes were taken: bit `i % 64` of word `i / 64`. Kept beside the
    /// outcomes, not in them, so the adapter's vector is used as it is.
    taken: Vec<u64>,
}

impl Replies {
    pub(crate) fn from_outcomes(outcomes: Vec<Outcome>) -> Self {
        Replies {
            outcomes,
            taken: Vec::new(),
        }
    }

    /// `EXEC`'s array: an error element is that command's server error.
    pub(crate) fn from_exec(frame: Frame) -> Result<Self, Error> {
        let items = Vec::<Frame>::from_reply(frame)?;
        Ok(Self::from_outcomes(
            items.into_iter().map(element_outcome).collect(),
        ))
    }

    fn is_taken(&self, index: usize) -> bool {
        self.taken
            .get(index / 64)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    /// Puts `outcome` in place of the one at `index` (a retried script call).
    pub(crate) fn replace(&mut self, index: usize, outcome: Outcome) {
        if let Some(slot) = self.outcomes.get_mut(index) {
            *slot = outcome;
            if let Some(word) = self.taken.get_mut(index / 64) {
                *word &= !(1 << (index % 64));
            }
        }
    }

    pub(crate) fn outcome(&self, index: usize) -> Option<&Outcome> {
        self.outcomes.get(index).filter(|_| !self.is_taken(index))
    }

    /// Takes the reply of `slot`'s command, read as its type. Each reply can be
    /// taken once; taking it again, or with a slot of another batch past this one's
    /// end, is an error.
    pub fn take<R: FromReply>(&mut self, slot: Slot<R>) -> Result<R, Error> {
        let index = slot.index;
        if index >= self.outcomes.len() {
            return Err(no_reply(std::any::type_name::<R>(), index));
        }
        if self.taken.is_empty() {
            self.taken = vec![0; self.outcomes.len().div_ceil(64)];
        }
        let (word, bit) = (&mut self.taken[index / 64], 1 << (index % 64));
        if *word & bit != 0 {
            return Err(no_reply(std::any::type_name::<R>(), index));
        }
        *word |= bit;
        // A placeholder that owns nothing; it is never read.
        match std::mem::replace(&mut self.outcomes[index], Ok(Frame::Null)) {
            Ok(frame) => R::from_reply(frame),
            Err(error) => Err(Error::Request(error)),
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
        let Replies {
            mut outcomes,
            taken,
        } = self;
        if !taken.is_empty() {
            let mut index = 0;
            outcomes.retain(|_| {
                let kept = taken[index / 64] & (1 << (index % 64)) == 0;
                index += 1;
                kept
            });
        }
        outcomes.into_iter()
    }
}

/// Lists the outcomes as before they were taken: `None` for those that were.
impl fmt::Debug for Replies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcomes: Vec<Option<&Outcome>> = (0..self.outcomes.len())
            .map(|index| self.outcome(index))
            .collect();
        f.debug_struct("Replies")
            .field("outcomes", &outcomes)
            .finish()
    }
}

/// The error for a slot whose reply is not there (taken already, or another batch's).
#[cold]
fn no_reply(expected: &'static str, index: usize) -> Error {
    Error::Conversion(ConversionError::new(
        expected,
        format!("no reply at index {index} (already taken?)"),
    ))
}

fn element_outcome(mut item: Frame) -> Outcome {
    match item {
        Frame::SimpleError(ref mut message) | Frame::BulkError(ref mut message) => Err(
            RequestError::Server(ServerError::new(std::mem::take(message))),
        ),
        item => Ok(item),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(n: i64) -> Outcome {
        Ok(Frame::Integer(n))
    }

    #[test]
    fn each_reply_is_taken_once_and_the_rest_stay_in_order() {
        let outcomes: Vec<Outcome> = (0..130).map(int).collect();
        let mut replies = Replies::from_outcomes(outcomes);
        assert_eq!(replies.take(Slot::<i64>::new(64)).unwrap(), 64);
        assert!(replies.take(Slot::<i64>::new(64)).is_err(), "taken twice");
        assert!(replies.take(Slot::<i64>::new(130)).is_err(), "past the end");
        assert_eq!(replies.take(Slot::<i64>::new(0)).unwrap(), 0);
        assert_eq!(replies.take(Slot::<i64>::new(129)).unwrap(), 129);
        let rest: Vec<Outcome> = replies.into_outcomes().collect();
        let expected: Vec<Outcome> = (1..129).filter(|&n| n != 64).map(int).collect();
        assert_eq!(rest, expected);
        let untouched = Replies::from_outcomes(vec![int(1), int(2)]);
        assert_eq!(untouched.into_outcomes().count(), 2);
    }
}
