//! A command under construction, encoded as arguments are added.

use bytes::{BufMut, BytesMut};

use crate::resp::{ToArg, write_array_header};

/// A Redis command: its name and arguments, already encoded as RESP bulk strings.
///
/// Arguments are written into one buffer as they are added, so building a command costs
/// one growing allocation, not one per argument. [`Cmd::encode`] appends the finished
/// command to an output buffer.
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
    /// The arguments, each a complete bulk string.
    args: BytesMut,
    /// How many arguments `args` holds, the name included.
    len: usize,
}

impl Cmd {
    /// A command named `name` (for example `"GET"`), with no arguments yet.
    pub fn new(name: impl ToArg) -> Self {
        let mut cmd = Cmd {
            args: BytesMut::with_capacity(64),
            len: 0,
        };
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
    pub fn arg(mut self, arg: impl ToArg) -> Self {
        self.push_arg(arg);
        self
    }

    /// Adds an argument.
    pub fn push_arg(&mut self, arg: impl ToArg) {
        arg.write_arg(&mut self.args);
        self.len += 1;
    }

    /// Appends `other`'s arguments after this command's, in order. Generated option
    /// types keep their parts as argument-only `Cmd`s (from [`Cmd::default`]) and
    /// splice them in at their place with this.
    pub fn extend_from(&mut self, other: &Cmd) {
        self.args.extend_from_slice(&other.args);
        self.len += other.len;
    }

    /// How many arguments the command has, its name included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a command with no name: only [`Cmd::default`] is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends the command to `out` as a RESP array of bulk strings.
    pub fn encode(&self, out: &mut BytesMut) {
        write_array_header(out, self.len);
        out.put_slice(&self.args);
    }

    /// The arguments, the name first, as byte slices.
    pub fn args(&self) -> Args<'_> {
        Args { rest: &self.args }
    }
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.args().map(|arg| String::from_utf8_lossy(arg)))
            .finish()
    }
}

/// An iterator over a [`Cmd`]'s arguments.
#[derive(Debug, Clone)]
pub struct Args<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Args<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        // Every argument was written by `write_bulk` as `$len\r\ndata\r\n`.
        let header_end = self.rest.iter().position(|&b| b == b'\r')?;
        let len: usize = std::str::from_utf8(self.rest.get(1..header_end)?)
            .ok()?
            .parse()
            .ok()?;
        let start = header_end + 2;
        let arg = self.rest.get(start..start + len)?;
        self.rest = self.rest.get(start + len + 2..).unwrap_or_default();
        Some(arg)
    }
}
