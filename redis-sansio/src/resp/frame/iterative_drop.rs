//! Dropping a [`Frame`] without recursion, so nesting of any depth cannot overflow the
//! call stack (a recursive Lua table comes back from Redis 8,000 levels deep).

use super::Frame;

impl Drop for Frame {
    fn drop(&mut self) {
        // The common frames (scalars, and aggregates of scalars) have nothing nested to
        // flatten: the compiler's drop of their fields is shallow already.
        if !holds_nested(self) {
            return;
        }
        // Move every nested aggregate's children onto a heap stack, so each frame is
        // dropped with its aggregates emptied: at most two levels deep on the call
        // stack, however deep the frame was.
        let mut todo = Vec::new();
        take_children(self, &mut todo);
        while let Some(mut frame) = todo.pop() {
            take_children(&mut frame, &mut todo);
        }
    }
}

/// True when a child of `frame` is a non-empty aggregate.
fn holds_nested(frame: &Frame) -> bool {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            items.iter().any(is_nonempty_aggregate)
        }
        Frame::Map(pairs) => pairs
            .iter()
            .any(|(key, value)| is_nonempty_aggregate(key) || is_nonempty_aggregate(value)),
        Frame::Attributed { .. } => true,
        _ => false,
    }
}

fn is_nonempty_aggregate(frame: &Frame) -> bool {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => !items.is_empty(),
        Frame::Map(pairs) => !pairs.is_empty(),
        Frame::Attributed { .. } => true,
        _ => false,
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
