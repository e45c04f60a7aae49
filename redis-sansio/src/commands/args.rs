//! A command's arguments by index, without allocating for the usual short command.

use crate::Cmd;

/// How many arguments are indexed on the stack; a longer command's are collected into
/// a vector.
const ON_STACK: usize = 16;

/// `cmd`'s arguments (the name is index 0), readable by index.
pub(super) struct ArgView<'a> {
    stack: [&'a [u8]; ON_STACK],
    heap: Vec<&'a [u8]>,
    len: usize,
}

impl<'a> ArgView<'a> {
    /// Indexes `cmd`'s arguments: on the stack for up to 16 of them, in one vector
    /// for more.
    pub(super) fn of(cmd: &'a Cmd) -> Self {
        let len = cmd.len();
        let mut view = ArgView {
            stack: [&[]; ON_STACK],
            heap: Vec::new(),
            len,
        };
        if len <= ON_STACK {
            for (slot, arg) in view.stack.iter_mut().zip(cmd.args()) {
                *slot = arg;
            }
        } else {
            view.heap = cmd.args().collect();
        }
        view
    }

    /// How many arguments there are, the name included.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Argument `index`, if there is one.
    pub(super) fn get(&self, index: usize) -> Option<&'a [u8]> {
        if index >= self.len {
            return None;
        }
        if self.len <= ON_STACK {
            self.stack.get(index).copied()
        } else {
            self.heap.get(index).copied()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_commands_read_the_same() {
        for count in [0, 1, ON_STACK - 1, ON_STACK, ON_STACK + 1, 100] {
            let cmd = Cmd::from_args((0..count).map(|i| i.to_string()));
            let view = ArgView::of(&cmd);
            assert_eq!(view.len(), count);
            for i in 0..count {
                assert_eq!(view.get(i), Some(i.to_string().as_bytes()));
            }
            assert_eq!(view.get(count), None);
        }
    }
}
