//! Dropping a [`Frame`] without deep recursion, so nesting of any depth cannot
//! overflow the call stack (a recursive Lua table comes back from Redis 8,000 levels
//! deep).
//!
//! The first levels drop as usual, recursively, which costs nothing extra for the
//! common shallow frames; past [`RECURSION_LIMIT`] levels, what is left is flattened
//! onto a heap stack instead.

use std::cell::Cell;

use super::Frame;

/// How many nested aggregates drop recursively before the rest is flattened.
const RECURSION_LIMIT: u32 = 64;

std::thread_local! {
    /// How many aggregates are being dropped recursively on this thread now.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

impl Drop for Frame {
    #[inline]
    fn drop(&mut self) {
        // Scalars: nothing nested. Checked inline, so dropping the commonest frames
        // costs one comparison more than before.
        if is_aggregate(self) {
            drop_nested(self);
        }
    }
}

/// Drops the children of an aggregate: recursively for the first levels, through a
/// heap stack past them.
#[inline(never)]
fn drop_nested(frame: &mut Frame) {
    if !is_nonempty_aggregate(frame) {
        return;
    }
    let depth = DEPTH.with(Cell::get);
    if depth < RECURSION_LIMIT {
        DEPTH.with(|d| d.set(depth + 1));
        drop_children(frame);
        DEPTH.with(|d| d.set(depth));
        return;
    }
    // Deep: move every nested aggregate's children onto a heap stack, so each frame
    // is dropped with its aggregates emptied.
    let mut todo = Vec::new();
    take_children(frame, &mut todo);
    while let Some(mut frame) = todo.pop() {
        take_children(&mut frame, &mut todo);
    }
}

#[inline(always)]
fn is_aggregate(frame: &Frame) -> bool {
    matches!(
        frame,
        Frame::Array(_) | Frame::Set(_) | Frame::Push(_) | Frame::Map(_) | Frame::Attributed { .. }
    )
}

fn is_nonempty_aggregate(frame: &Frame) -> bool {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => !items.is_empty(),
        Frame::Map(pairs) => !pairs.is_empty(),
        Frame::Attributed { .. } => true,
        _ => false,
    }
}

/// Drops the children of `frame` here, one level deeper, leaving it empty.
fn drop_children(frame: &mut Frame) {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            drop(std::mem::take(items));
        }
        Frame::Map(pairs) => drop(std::mem::take(pairs)),
        Frame::Attributed { attributes, value } => {
            drop(std::mem::take(attributes));
            drop(std::mem::replace(value.as_mut(), Frame::Null));
        }
        _ => {}
    }
}

/// Moves the children of `frame` (if it is an aggregate) onto `todo`, leaving it empty.
fn take_children(frame: &mut Frame, todo: &mut Vec<Frame>) {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            todo.append(items);
        }
        Frame::Map(pairs) => {
            for (key, value) in pairs.drain(..) {
                todo.push(key);
                todo.push(value);
            }
        }
        Frame::Attributed { attributes, value } => {
            for (key, attribute) in attributes.drain(..) {
                todo.push(key);
                todo.push(attribute);
            }
            todo.push(std::mem::replace(value.as_mut(), Frame::Null));
        }
        _ => {}
    }
}
