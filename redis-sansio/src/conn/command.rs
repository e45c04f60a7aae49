//! What a command means to the connection: how many replies it gets, whether it
//! blocks and for how long, and whether it changes the connection's mode.

use std::time::Duration;

use crate::Cmd;

/// Which kind of subscription a command touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionKind {
    /// `SUBSCRIBE` / `UNSUBSCRIBE` / `message`
    Channel,
    /// `PSUBSCRIBE` / `PUNSUBSCRIBE` / `pmessage`
    Pattern,
    /// `SSUBSCRIBE` / `SUNSUBSCRIBE` / `smessage`
    Shard,
}

impl SubscriptionKind {
    /// Every kind, in this order.
    pub const ALL: [SubscriptionKind; 3] = [
        SubscriptionKind::Channel,
        SubscriptionKind::Pattern,
        SubscriptionKind::Shard,
    ];

    /// The command that subscribes to names of this kind: `SUBSCRIBE`, `PSUBSCRIBE`,
    /// `SSUBSCRIBE`.
    pub fn subscribe_command(self) -> &'static str {
        match self {
            SubscriptionKind::Channel => "SUBSCRIBE",
            SubscriptionKind::Pattern => "PSUBSCRIBE",
            SubscriptionKind::Shard => "SSUBSCRIBE",
        }
    }

    /// The command that leaves names of this kind: `UNSUBSCRIBE`, `PUNSUBSCRIBE`,
    /// `SUNSUBSCRIBE`.
    pub fn unsubscribe_command(self) -> &'static str {
        match self {
            SubscriptionKind::Channel => "UNSUBSCRIBE",
            SubscriptionKind::Pattern => "PUNSUBSCRIBE",
            SubscriptionKind::Shard => "SUNSUBSCRIBE",
        }
    }
}

/// The connection-relevant meaning of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommandClass {
    /// One request, one reply.
    Plain,
    /// A blocking command; `None` blocks forever (timeout argument 0).
    Blocking(Option<Duration>),
    /// `(P|S)SUBSCRIBE` with this many channels: one confirmation each.
    Subscribe(SubscriptionKind, usize),
    /// `(P|S)UNSUBSCRIBE` with this many channels; 0 means "all of them".
    Unsubscribe(SubscriptionKind, usize),
    /// `PING`: allowed in RESP2 subscribed mode.
    Ping,
    /// `QUIT`: allowed in every mode.
    Quit,
    /// `MONITOR`: the connection streams commands from then on.
    Monitor,
    /// `HELLO`, `RESET`: refused; they belong to the handshake.
    ConnectionState,
    /// `SELECT`, `AUTH`, `WATCH`, `UNWATCH`, `MULTI`, `EXEC`, `DISCARD`,
    /// `CLIENT TRACKING|CACHING|REPLY`: state that belongs to the connection, which
    /// every caller of a shared connection would see and a reconnect would lose.
    ConnectionScoped,
}

/// True when `cmd` blocks the connection until data arrives or its timeout passes
/// (`BLPOP`, `BLMOVE`, `BZPOPMIN`, `XREAD`/`XREADGROUP ... BLOCK`, `WAIT`, ...):
/// a shared connection sends such commands on a connection of their own, so that
/// they hold up no other caller.
pub fn is_blocking(cmd: &Cmd) -> bool {
    matches!(classify(cmd), CommandClass::Blocking(_))
}

/// Classifies `cmd` by its name (case-insensitive) and, for blocking commands, the
/// timeout argument.
#[inline]
pub(crate) fn classify(cmd: &Cmd) -> CommandClass {
    // A name of at most three letters (`GET`, `SET`, `DEL`), seen in its header.
    if let [b'$', b'0'..=b'3', b'\r', b'\n', ..] = cmd.arg_buf().as_bytes() {
        return CommandClass::Plain;
    }
    match cmd.name() {
        // Every name below has 4 to 12 letters: GET, SET, DEL and the like leave here.
        Some(name) if (4..=12).contains(&name.len()) => classify_named(cmd, name),
        _ => CommandClass::Plain,
    }
}

/// [`classify`] for a command whose name has the length of a special one.
#[inline(never)]
fn classify_named(cmd: &Cmd, name: &[u8]) -> CommandClass {
    let argc = cmd.len() - 1;
    let mut upper = [0u8; 12];
    for (u, b) in upper.iter_mut().zip(name) {
        *u = b.to_ascii_uppercase();
    }
    let name = &upper[..name.len()];
    use CommandClass::*;
    use SubscriptionKind::*;
    match name {
        b"SUBSCRIBE" => Subscribe(Channel, argc),
        b"PSUBSCRIBE" => Subscribe(Pattern, argc),
        b"SSUBSCRIBE" => Subscribe(Shard, argc),
        b"UNSUBSCRIBE" => Unsubscribe(Channel, argc),
        b"PUNSUBSCRIBE" => Unsubscribe(Pattern, argc),
        b"SUNSUBSCRIBE" => Unsubscribe(Shard, argc),
        b"PING" => Ping,
        b"QUIT" => Quit,
        b"MONITOR" => Monitor,
        b"HELLO" | b"RESET" => ConnectionState,
        b"SELECT" | b"AUTH" | b"WATCH" | b"UNWATCH" | b"MULTI" | b"EXEC" | b"DISCARD" => {
            ConnectionScoped
        }
        // Client-side caching's tracking and its opt-in flag, and reply suppression:
        // state of the connection that a reconnect would lose, and that would mix up
        // the replies or pushes of every caller of a shared connection.
        b"CLIENT" => match cmd.args().nth(1) {
            Some(sub)
                if [&b"TRACKING"[..], b"CACHING", b"REPLY"]
                    .iter()
                    .any(|scoped| sub.eq_ignore_ascii_case(scoped)) =>
            {
                ConnectionScoped
            }
            _ => Plain,
        },
        // Timeout in seconds, last argument.
        b"BLPOP" | b"BRPOP" | b"BZPOPMIN" | b"BZPOPMAX" | b"BRPOPLPUSH" | b"BLMOVE" => {
            Blocking(seconds(cmd.args().last()))
        }
        // Timeout in seconds, first argument.
        b"BLMPOP" | b"BZMPOP" => Blocking(seconds(cmd.args().nth(1))),
        // Timeout in milliseconds, last argument.
        b"WAIT" | b"WAITAOF" => Blocking(millis(cmd.args().last())),
        // `BLOCK ms` among the options before STREAMS; without it, not blocking.
        b"XREAD" | b"XREADGROUP" => {
            let mut args = cmd.args().skip(1);
            while let Some(arg) = args.next() {
                if arg.eq_ignore_ascii_case(b"STREAMS") {
                    break;
                }
                if arg.eq_ignore_ascii_case(b"BLOCK") {
                    return Blocking(millis(args.next()));
                }
            }
            Plain
        }
        _ => Plain,
    }
}

/// A timeout argument in seconds (fractions allowed); 0, unreadable or beyond what a
/// [`Duration`] holds (`1e300`, `inf`) blocks forever as far as the deadline goes: the
/// server will answer or reject it.
fn seconds(arg: Option<&[u8]>) -> Option<Duration> {
    let secs: f64 = std::str::from_utf8(arg?).ok()?.parse().ok()?;
    (secs > 0.0)
        .then(|| Duration::try_from_secs_f64(secs).ok())
        .flatten()
}

fn millis(arg: Option<&[u8]>) -> Option<Duration> {
    let ms: u64 = std::str::from_utf8(arg?).ok()?.parse().ok()?;
    (ms > 0).then(|| Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(args: &[&str]) -> CommandClass {
        let mut cmd = Cmd::new(args[0]);
        for arg in &args[1..] {
            cmd.push_arg(arg);
        }
        classify(&cmd)
    }

    #[test]
    fn blocking_timeouts() {
        let secs = |s: f64| CommandClass::Blocking(Some(Duration::from_secs_f64(s)));
        assert_eq!(class(&["blpop", "a", "b", "1.5"]), secs(1.5));
        assert_eq!(class(&["BRPOP", "a", "0"]), CommandClass::Blocking(None));
        // Out of a Duration's range: no deadline of its own, and no panic.
        for huge in ["1e300", "inf", "NaN", "-1"] {
            assert_eq!(class(&["BLPOP", "a", huge]), CommandClass::Blocking(None));
        }
        assert_eq!(
            class(&["BLMOVE", "a", "b", "LEFT", "RIGHT", "2"]),
            secs(2.0)
        );
        assert_eq!(class(&["BLMPOP", "3", "1", "a", "LEFT"]), secs(3.0));
        assert_eq!(class(&["BZMPOP", "0.5", "1", "z", "MIN"]), secs(0.5));
        assert_eq!(class(&["WAIT", "1", "250"]), secs(0.25));
        assert_eq!(
            class(&["XREAD", "COUNT", "2", "BLOCK", "100", "STREAMS", "s", "$"]),
            secs(0.1)
        );
        assert_eq!(
            class(&["XREAD", "STREAMS", "block", "0"]),
            CommandClass::Plain
        );
        assert_eq!(
            class(&[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "0",
                "STREAMS",
                "s",
                ">"
            ]),
            CommandClass::Blocking(None)
        );
    }

    #[test]
    fn modes() {
        use SubscriptionKind::*;
        assert_eq!(
            class(&["subscribe", "a", "b"]),
            CommandClass::Subscribe(Channel, 2)
        );
        assert_eq!(
            class(&["PUNSUBSCRIBE"]),
            CommandClass::Unsubscribe(Pattern, 0)
        );
        assert_eq!(
            class(&["SSUBSCRIBE", "x"]),
            CommandClass::Subscribe(Shard, 1)
        );
        assert_eq!(class(&["hello", "3"]), CommandClass::ConnectionState);
        for scoped in [
            &["client", "tracking", "on"][..],
            &["CLIENT", "CACHING", "yes"],
            &["Client", "Reply", "OFF"],
        ] {
            assert_eq!(class(scoped), CommandClass::ConnectionScoped, "{scoped:?}");
        }
        assert_eq!(class(&["CLIENT", "ID"]), CommandClass::Plain);
        assert_eq!(class(&["CLIENT"]), CommandClass::Plain);
        assert_eq!(class(&["MONITOR"]), CommandClass::Monitor);
        assert_eq!(class(&["GET", "k"]), CommandClass::Plain);
        assert_eq!(class(&["AVERYLONGCOMMANDNAMEINDEED"]), CommandClass::Plain);
    }
}
