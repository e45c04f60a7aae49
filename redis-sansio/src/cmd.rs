//! A command under construction, encoded as arguments are added.

use bytes::BytesMut;

use crate::resp::to_args::write_each;
use crate::resp::{ArgBuf, Args, ToArg, ToArgs, write_array_header};

/// A Redis command: its name and arguments, already encoded as RESP bulk strings.
///
/// Arguments are written into an [`ArgBuf`] as they are added. A short command (up to
/// [`ArgBuf::INLINE_CAPACITY`] encoded bytes, enough for `SET key:12345` and a 16-byte
/// value) is stored inside the `Cmd` and costs no allocation; a longer one spills into
/// one growing heap buffer, never one allocation per argument. [`Cmd::encode`] appends
/// the finished command to an output buffer.
///
/// ```
/// use bytes::BytesMut;
/// use redis_sansio::Cmd;
///
/// let cmd = Cmd::new("SET").arg("key").arg(42).arg("EX").arg(10);
/// assert_eq!(cmd.len(), 5);
/// let mut out = BytesMut::new();
/// cmd.encode(&mut out);
/// assert!(out.starts_with(b"*5\r\n$3\r\nSET\r\n"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Cmd {
    /// The arguments, the name first, each a complete bulk string, and their count.
    args: ArgBuf,
}

impl Cmd {
    /// A command named `name` (for example `"GET"`), with no arguments yet.
    #[inline]
    pub fn new(name: impl ToArg) -> Self {
        let mut cmd = Cmd::default();
        cmd.push_arg(name);
        cmd
    }

    /// A command from its name and arguments, in order: `Cmd::from_args(["GET", "k"])`.
    /// An empty list gives the empty command, which connections refuse to send.
    pub fn from_args<A: ToArg>(args: impl IntoIterator<Item = A>) -> Self {
        let mut cmd = Cmd::default();
        for arg in args {
            cmd.push_arg(arg);
        }
        cmd
    }

    /// Adds an argument and returns the command, for chaining.
    #[inline]
    pub fn arg(mut self, arg: impl ToArg) -> Self {
        self.push_arg(arg);
        self
    }

    /// Adds an argument.
    #[inline]
    pub fn push_arg(&mut self, arg: impl ToArg) {
        arg.write_arg(&mut self.args);
    }

    /// Adds every argument of `args`, in order: `MGET`'s keys, `DEL`'s. The same as
    /// [`push_arg`](Self::push_arg) for each, but when the iterator knows how many
    /// follow the first, the buffer is sized once for that many of the first one's
    /// size (and a quarter more, as later keys tend to be longer: `key:9` then
    /// `key:10`) instead of growing step by step.
    pub fn push_args<A: ToArg>(&mut self, args: impl IntoIterator<Item = A>) {
        write_each(&mut self.args, args, |out, arg| arg.write_arg(out));
    }

    /// Adds every argument `args` stands for, in order: one value or a collection
    /// (see [`ToArgs`]). What the generated commands call for a repeated argument.
    #[inline]
    pub fn push_all<S>(&mut self, args: &impl ToArgs<S>) {
        args.write_args(&mut self.args);
    }

    /// Appends `other`'s arguments after this command's, in order. Generated option
    /// types keep their parts as argument-only `Cmd`s (from [`Cmd::default`]) and
    /// splice them in at their place with this.
    pub fn extend_from(&mut self, other: &Cmd) {
        self.args.extend_from(&other.args);
    }

    /// How many arguments the command has, its name included: the bulk strings its
    /// [`ArgBuf`] holds.
    #[inline]
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// True for a command with no name: only [`Cmd::default`] is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// How many bytes [`encode`](Self::encode) appends.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        let header = match self.len() {
            0..10 => 4,
            len => 3 + len.ilog10() as usize + 1,
        };
        header + self.args.as_bytes().len()
    }

    /// Appends the command to `out` as a RESP array of bulk strings.
    #[inline(always)]
    pub fn encode(&self, out: &mut BytesMut) {
        let len = self.len();
        if len < 10 {
            // `*N\r\n`, written as one fixed-size copy.
            out.extend_from_slice(&[b'*', b'0' + len as u8, b'\r', b'\n']);
        } else {
            write_array_header(out, len);
        }
        out.extend_from_slice(self.args.as_bytes());
    }

    /// The arguments, the name first, as byte slices.
    pub fn args(&self) -> Args<'_> {
        self.args.iter()
    }

    /// The name: the first argument.
    #[inline]
    pub(crate) fn name(&self) -> Option<&[u8]> {
        self.args.first()
    }

    /// The arguments as encoded, the name first: bulk strings back to back, without
    /// the array header [`encode`](Self::encode) puts in front.
    pub fn arg_buf(&self) -> &ArgBuf {
        &self.args
    }
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.args, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmd_stays_small() {
        assert!(
            std::mem::size_of::<Cmd>() <= 80,
            "Cmd is {} bytes",
            std::mem::size_of::<Cmd>()
        );
    }

    #[test]
    fn pipelined_set_needs_no_heap() {
        let cmd = Cmd::new("SET").arg("key:99999").arg(b"0123456789abcdef");
        assert!(cmd.arg_buf().is_inline());
        assert_eq!(cmd.len(), 3);
    }

    /// A `ToArg` that breaks its contract by writing two bulk strings.
    struct Pair;

    impl ToArg for Pair {
        fn write_arg(&self, out: &mut ArgBuf) {
            out.push_bulk(b"a");
            out.push_bulk(b"b");
        }
    }

    /// A `ToArg` that writes nothing.
    struct Nothing;

    impl ToArg for Nothing {
        fn write_arg(&self, _: &mut ArgBuf) {}
    }

    #[test]
    fn len_counts_what_was_written() {
        let cmd = Cmd::new("MSET").arg(Pair).arg(Nothing).arg(Pair);
        assert_eq!(cmd.len(), 5);
        assert_eq!(cmd.args().count(), 5);
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        assert_eq!(out.len(), cmd.encoded_len());
        assert!(out.starts_with(b"*5\r\n$4\r\nMSET\r\n$1\r\na\r\n"));
        assert!(Cmd::new(Nothing).is_empty());
    }

    #[test]
    fn push_args_is_push_arg_for_each() {
        let keys: Vec<String> = (0..500).map(|i| format!("key:{i}")).collect();
        let mut one_by_one = Cmd::new("MGET");
        for key in &keys {
            one_by_one.push_arg(key);
        }
        let mut at_once = Cmd::new("MGET");
        at_once.push_args(&keys);
        assert_eq!(at_once, one_by_one);
        // An iterator that knows nothing of its length, and one with nothing.
        let mut unsized_ = Cmd::new("MGET");
        unsized_.push_args(keys.iter().filter(|_| true));
        unsized_.push_args(std::iter::empty::<&str>());
        assert_eq!(unsized_, one_by_one);
    }

    #[test]
    fn long_commands_spill_and_encode_the_same() {
        let mut cmd = Cmd::new("DEL");
        for i in 0..50 {
            cmd.push_arg(format!("key:{i}"));
        }
        assert!(!cmd.arg_buf().is_inline());
        assert_eq!(cmd.len(), 51);
        let args: Vec<&[u8]> = cmd.args().collect();
        assert_eq!(args[0], b"DEL");
        assert_eq!(args[50], b"key:49");
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        assert_eq!(out.len(), cmd.encoded_len());
        let decoded = crate::resp::RequestDecoder::new()
            .decode(&mut out)
            .unwrap()
            .unwrap();
        assert_eq!(decoded.len(), 51);
        assert_eq!(&decoded[50][..], b"key:49");
    }
}
