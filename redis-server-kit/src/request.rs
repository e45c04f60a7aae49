//! A decoded client request: the command name and its arguments.

use bytes::Bytes;

/// One command a client sent: its name first, then its arguments, as the core's
/// [`RequestDecoder`](redis_sansio::resp::RequestDecoder) decoded them (a RESP array
/// of bulk strings or an inline line). Never empty: empty requests are skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    parts: Vec<Bytes>,
}

impl Request {
    /// A request from its parts (name first). `None` when `parts` is empty.
    pub fn new(parts: Vec<Bytes>) -> Option<Self> {
        (!parts.is_empty()).then_some(Request { parts })
    }

    /// The command name as sent (any case).
    pub fn name(&self) -> &[u8] {
        &self.parts[0]
    }

    /// Whether the command name is `name`, ignoring ASCII case (`req.is("get")`).
    pub fn is(&self, name: &str) -> bool {
        self.parts[0].eq_ignore_ascii_case(name.as_bytes())
    }

    /// Whether the command is `command` with the subcommand `sub`, ignoring ASCII
    /// case (`req.is_sub("client", "setname")`).
    pub fn is_sub(&self, command: &str, sub: &str) -> bool {
        self.is(command)
            && self
                .parts
                .get(1)
                .is_some_and(|arg| arg.eq_ignore_ascii_case(sub.as_bytes()))
    }

    /// The arguments after the command name.
    pub fn args(&self) -> &[Bytes] {
        &self.parts[1..]
    }

    /// Every part, the command name first.
    pub fn parts(&self) -> &[Bytes] {
        &self.parts
    }

    /// The parts, the command name first, for a handler that keeps them.
    pub fn into_parts(self) -> Vec<Bytes> {
        self.parts
    }

    /// The command name in lower case, lossily, for error messages as Redis writes
    /// them (`wrong number of arguments for 'get' command`).
    pub fn lowercase_name(&self) -> String {
        String::from_utf8_lossy(&self.parts[0]).to_ascii_lowercase()
    }
}
