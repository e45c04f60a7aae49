//! What the server sent on its own and the application has not taken yet, bounded.

use std::collections::VecDeque;
use std::mem::size_of;

use super::{Connection, Event};
use crate::CloseReason;
use crate::config::PushLimits;
use crate::resp::Frame;

/// The pushes, pub/sub messages and MONITOR lines an exclusive connection keeps until
/// the application takes them (its `next_event`), within the connection's
/// [`PushLimits`].
///
/// An adapter files every event that is not a reply, `Connected` or `Closed` here
/// with [`keep`](Self::keep), and hands them out with [`pop`](Self::pop). Past either
/// limit, `keep` closes the connection with [`CloseReason::UnreadPushes`] (see
/// [`PushLimits`] for why it closes rather than drops): the events kept so far stay
/// readable, the one that did not fit is dropped, and the core fails every pending
/// request and emits [`Event::Closed`] as on any close.
#[derive(Debug)]
pub struct UnreadEvents {
    queue: VecDeque<(Event, usize)>,
    bytes: usize,
    limits: PushLimits,
}

impl UnreadEvents {
    /// An empty queue bounded by `limits` (a connection's
    /// [`push_limits`](crate::config::ConnectionConfig::push_limits)).
    pub fn new(limits: PushLimits) -> Self {
        UnreadEvents {
            queue: VecDeque::new(),
            bytes: 0,
            limits,
        }
    }

    /// Keeps `event` for the application, or, when it would pass the limits, closes
    /// `core` with [`CloseReason::UnreadPushes`] and drops it. Nothing is kept once
    /// `core` is closed by this.
    pub fn keep(&mut self, event: Event, core: &mut Connection) {
        let size = event_size(&event);
        let fits = self.queue.len() < self.limits.max_count
            && self.bytes.saturating_add(size) <= self.limits.max_bytes;
        if !fits {
            core.fail(CloseReason::UnreadPushes {
                count: self.queue.len(),
                bytes: self.bytes,
            });
            return;
        }
        self.bytes += size;
        self.queue.push_back((event, size));
    }

    /// The oldest event kept.
    pub fn pop(&mut self) -> Option<Event> {
        let (event, size) = self.queue.pop_front()?;
        self.bytes -= size;
        Some(event)
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many events are kept.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Their bytes, as [`PushLimits::max_bytes`] counts them.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// What an event holds, as the limit counts it: the event itself, every value in
/// it, and their strings' bytes.
fn event_size(event: &Event) -> usize {
    size_of::<Event>()
        + match event {
            Event::Message(message) => {
                message.channel.len()
                    + message.payload.len()
                    + message.pattern.as_ref().map_or(0, |pattern| pattern.len())
            }
            Event::Push(frame) => frame_size(frame),
            Event::Monitor(line) => line.len(),
            _ => 0,
        }
}

/// The bytes of `frame`'s strings plus the size of each value nested in it (not of
/// `frame` itself), walked without recursion.
fn frame_size(frame: &Frame) -> usize {
    let mut size = 0;
    let mut stack = vec![frame];
    while let Some(frame) = stack.pop() {
        match frame {
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                size += items.len() * size_of::<Frame>();
                stack.extend(items);
            }
            Frame::Map(pairs) => {
                size += pairs.len() * 2 * size_of::<Frame>();
                stack.extend(pairs.iter().flat_map(|(key, value)| [key, value]));
            }
            Frame::Attributed { attributes, value } => {
                size += (attributes.len() * 2 + 1) * size_of::<Frame>();
                stack.extend(attributes.iter().flat_map(|(key, value)| [key, value]));
                stack.push(value);
            }
            other => size += other.as_bytes().map_or(0, |bytes| bytes.len()),
        }
    }
    size
}
