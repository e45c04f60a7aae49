//! `MONITOR` output, parsed: each line a connection in MONITOR mode reports
//! ([`Event::Monitor`](crate::conn::Event::Monitor)) becomes a [`MonitorEntry`]: when
//! the command ran, in which database, from which client, and the command with its
//! arguments.
//!
//! A line looks like
//! `1700000000.123456 [0 127.0.0.1:52100] "SET" "key" "va\"lue"`: seconds and
//! microseconds since the Unix epoch, the database and the client's address (`lua`
//! for a script's commands, `unix:/path` for a Unix socket), then each argument quoted
//! as the server escapes it (`\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b`, `\xHH`).
//!
//! ```
//! use redis_sansio::monitor::MonitorEntry;
//!
//! let entry = MonitorEntry::parse(br#"1700000000.000042 [3 127.0.0.1:52100] "SET" "k" "a\"b\x00""#).unwrap();
//! assert_eq!(entry.time.as_secs(), 1_700_000_000);
//! assert_eq!(entry.time.subsec_micros(), 42);
//! assert_eq!(entry.db, 3);
//! assert_eq!(entry.client, "127.0.0.1:52100");
//! assert_eq!(entry.command(), Some(&b"SET"[..]));
//! assert_eq!(entry.args[2], &b"a\"b\0"[..]);
//! ```

use std::time::Duration;

use bytes::Bytes;

/// One command the server ran, as `MONITOR` reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorEntry {
    /// When it ran: the time since the Unix epoch, to the microsecond.
    pub time: Duration,
    /// The database it ran in.
    pub db: u64,
    /// Who sent it: the client's address (`ip:port`, `unix:/path`), or `lua` for a
    /// script's commands.
    pub client: String,
    /// The command's name, then its arguments, unescaped.
    pub args: Vec<Bytes>,
}

/// A `MONITOR` line that is not shaped as the server writes them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a MONITOR line: {what}")]
pub struct MonitorLineError {
    /// What was wrong with it.
    pub what: &'static str,
}

fn bad(what: &'static str) -> MonitorLineError {
    MonitorLineError { what }
}

impl MonitorEntry {
    /// Parses one line of `MONITOR` output. Bad input gives a typed error, never a
    /// panic.
    pub fn parse(line: &[u8]) -> Result<MonitorEntry, MonitorLineError> {
        let space = line.iter().position(|b| *b == b' ').ok_or(bad("no time"))?;
        let time = parse_time(&line[..space])?;
        let rest = line[space + 1..]
            .strip_prefix(b"[")
            .ok_or(bad("no [db client]"))?;
        // The first `]` that ends the bracket: an IPv6 client's `[::1]:6379` has one
        // of its own.
        let close = (0..rest.len())
            .find(|i| rest[*i] == b']' && matches!(rest.get(i + 1), None | Some(b' ')))
            .ok_or(bad("no closing ]"))?;
        let (db, client) = split_once(&rest[..close], b' ').ok_or(bad("no client"))?;
        let db = ascii(db)
            .and_then(|db| db.parse().ok())
            .ok_or(bad("a database that is not a number"))?;
        let client = ascii(client).ok_or(bad("a client that is not text"))?;
        let args = parse_args(&rest[close + 1..])?;
        Ok(MonitorEntry {
            time,
            db,
            client: client.to_owned(),
            args,
        })
    }

    /// The command's name, as sent (`set`, `SET`): the first argument.
    pub fn command(&self) -> Option<&[u8]> {
        self.args.first().map(|arg| &arg[..])
    }
}

fn ascii(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes)
        .ok()
        .filter(|text| !text.is_empty())
}

fn split_once(bytes: &[u8], at: u8) -> Option<(&[u8], &[u8])> {
    let i = bytes.iter().position(|b| *b == at)?;
    Some((&bytes[..i], &bytes[i + 1..]))
}

/// `seconds.microseconds`.
fn parse_time(text: &[u8]) -> Result<Duration, MonitorLineError> {
    let (secs, micros) = split_once(text, b'.').ok_or(bad("a time without a dot"))?;
    let number = |digits: &[u8]| -> Option<u64> {
        if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        ascii(digits)?.parse().ok()
    };
    let secs = number(secs).ok_or(bad("a time that is not a number"))?;
    let micros = number(micros)
        .filter(|micros| *micros < 1_000_000)
        .ok_or(bad("microseconds that are not a number below 1000000"))?;
    Ok(Duration::from_secs(secs) + Duration::from_micros(micros))
}

/// ` "a" "b\x00"`: each argument quoted and escaped, one space before each.
fn parse_args(mut rest: &[u8]) -> Result<Vec<Bytes>, MonitorLineError> {
    let mut args = Vec::new();
    loop {
        rest = rest.strip_prefix(b" ").unwrap_or(rest);
        if rest.is_empty() {
            return Ok(args);
        }
        rest = rest
            .strip_prefix(b"\"")
            .ok_or(bad("an argument not in quotes"))?;
        let mut arg = Vec::new();
        loop {
            match rest {
                [b'"', tail @ ..] => {
                    rest = tail;
                    break;
                }
                [b'\\', b'x', hi, lo, tail @ ..] => {
                    let hex = |digit: u8| (digit as char).to_digit(16);
                    let (Some(hi), Some(lo)) = (hex(*hi), hex(*lo)) else {
                        return Err(bad("a bad \\x escape"));
                    };
                    arg.push((hi * 16 + lo) as u8);
                    rest = tail;
                }
                [b'\\', escaped, tail @ ..] => {
                    arg.push(match escaped {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'a' => 0x07,
                        b'b' => 0x08,
                        other => *other,
                    });
                    rest = tail;
                }
                [byte, tail @ ..] => {
                    arg.push(*byte);
                    rest = tail;
                }
                [] => return Err(bad("an argument without its closing quote")),
            }
        }
        args.push(Bytes::from(arg));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse() {
        let entry = MonitorEntry::parse(br#"1339518083.107412 [0 lua] "keys" "*""#).unwrap();
        assert_eq!(entry.client, "lua");
        assert_eq!(entry.args, [Bytes::from("keys"), Bytes::from("*")]);
        let entry = MonitorEntry::parse(br#"1.000001 [15 unix:/tmp/r.sock] "PING""#).unwrap();
        assert_eq!((entry.db, entry.client.as_str()), (15, "unix:/tmp/r.sock"));
        assert_eq!(entry.time, Duration::new(1, 1000));
        let entry =
            MonitorEntry::parse(br#"1.0 [0 [::1]:6379] "SET" "\n\r\t\a\b\\\xff" """#).unwrap();
        assert_eq!(entry.client, "[::1]:6379");
        let entry =
            MonitorEntry::parse(br#"1.0 [0 127.0.0.1:1] "SET" "\n\r\t\a\b\\\xff" """#).unwrap();
        assert_eq!(entry.args[1], &b"\n\r\t\x07\x08\\\xff"[..]);
        assert_eq!(entry.args[2], &b""[..]);
    }

    #[test]
    fn bad_lines_are_typed_errors() {
        for line in [
            &b""[..],
            b"OK",
            b"x.1 [0 a] \"GET\"",
            b"1.1000000 [0 a] \"GET\"",
            b"1.1 0 a] \"GET\"",
            b"1.1 [0 a \"GET\"",
            b"1.1 [zero a] \"GET\"",
            b"1.1 [0] \"GET\"",
            b"1.1 [0 a] GET",
            b"1.1 [0 a] \"GET",
            b"1.1 [0 a] \"\\xZZ\"",
            b"1.1 [0 a] \"\\",
            b"99999999999999999999999.1 [0 a] \"GET\"",
        ] {
            assert!(MonitorEntry::parse(line).is_err(), "{line:?}");
        }
    }
}
