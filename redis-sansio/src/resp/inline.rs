//! Splitting inline commands into arguments, with the quoting rules Redis applies
//! (its `sdssplitargs`).
//!
//! - Arguments are separated by runs of whitespace.
//! - `"double quoted"` arguments understand `\n`, `\r`, `\t`, `\b`, `\a`, `\\`, `\"`
//!   and `\xHH`; any other escaped character stands for itself.
//! - `'single quoted'` arguments understand only `\'`.
//! - A quote may open in the middle of an argument (`a"b c"` is `ab c`), but a closing
//!   quote must be followed by whitespace or the end of the line.

use bytes::Bytes;

use crate::ProtocolError;

/// Splits one inline command line (without its line ending) into arguments.
///
/// Arguments without quotes are zero-copy slices of `line`; quoted ones are unescaped
/// into new buffers. An empty or all-blank line gives no arguments.
pub(crate) fn split(line: &Bytes) -> Result<Vec<Bytes>, ProtocolError> {
    let bytes = &line[..];
    let mut args = Vec::new();
    let mut pos = 0;
    loop {
        // Redis ends its search for the line at a NUL, so none reaches here; treat
        // one as a separator, as `sdssplitargs` ends an argument at it.
        while pos < bytes.len() && (is_space(bytes[pos]) || bytes[pos] == 0) {
            pos += 1;
        }
        if pos == bytes.len() {
            return Ok(args);
        }
        let start = pos;
        while pos < bytes.len() && !ends_token(bytes[pos]) && !is_quote(bytes[pos]) {
            pos += 1;
        }
        if pos == bytes.len() || ends_token(bytes[pos]) {
            args.push(line.slice(start..pos));
            continue;
        }
        // A quote: unescape this argument into its own buffer.
        let mut arg = bytes[start..pos].to_vec();
        pos = quoted_arg(bytes, pos, &mut arg)?;
        args.push(Bytes::from(arg));
    }
}

/// Reads the rest of an argument that reached a quote at `bytes[pos]`, appending its
/// unescaped bytes to `arg`. Returns the position after the argument.
fn quoted_arg(bytes: &[u8], mut pos: usize, arg: &mut Vec<u8>) -> Result<usize, ProtocolError> {
    loop {
        match bytes.get(pos) {
            None => return Ok(pos),
            Some(&b) if ends_token(b) => return Ok(pos),
            Some(b'"') => pos = double_quoted(bytes, pos + 1, arg)?,
            Some(b'\'') => pos = single_quoted(bytes, pos + 1, arg)?,
            Some(&b) => {
                arg.push(b);
                pos += 1;
            }
        }
    }
}

/// After an opening `"`: returns the position after the closing quote.
fn double_quoted(bytes: &[u8], mut pos: usize, arg: &mut Vec<u8>) -> Result<usize, ProtocolError> {
    loop {
        match bytes.get(pos) {
            None => return Err(ProtocolError::UnbalancedQuotes),
            Some(b'\\') => {
                let hex = bytes.get(pos + 1..pos + 4).and_then(|esc| match esc {
                    [b'x', hi, lo] => Some((hex_digit(*hi)? << 4) | hex_digit(*lo)?),
                    _ => None,
                });
                if let Some(byte) = hex {
                    arg.push(byte);
                    pos += 4;
                    continue;
                }
                let Some(&escaped) = bytes.get(pos + 1) else {
                    return Err(ProtocolError::UnbalancedQuotes);
                };
                arg.push(match escaped {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'a' => 0x07,
                    other => other,
                });
                pos += 2;
            }
            Some(b'"') => return closing_quote(bytes, pos + 1),
            Some(&b) => {
                arg.push(b);
                pos += 1;
            }
        }
    }
}

/// After an opening `'`: returns the position after the closing quote.
fn single_quoted(bytes: &[u8], mut pos: usize, arg: &mut Vec<u8>) -> Result<usize, ProtocolError> {
    loop {
        match bytes.get(pos) {
            None => return Err(ProtocolError::UnbalancedQuotes),
            Some(b'\\') if bytes.get(pos + 1) == Some(&b'\'') => {
                arg.push(b'\'');
                pos += 2;
            }
            Some(b'\'') => return closing_quote(bytes, pos + 1),
            Some(&b) => {
                arg.push(b);
                pos += 1;
            }
        }
    }
}

/// A closing quote must end the argument.
fn closing_quote(bytes: &[u8], pos: usize) -> Result<usize, ProtocolError> {
    match bytes.get(pos) {
        None => Ok(pos),
        Some(&b) if is_space(b) => Ok(pos),
        Some(_) => Err(ProtocolError::UnbalancedQuotes),
    }
}

/// What ends an unquoted argument in Redis: not every `isspace` byte.
fn ends_token(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0)
}

/// C's `isspace`: what Redis skips between arguments and accepts after a closing quote.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_quote(b: u8) -> bool {
    b == b'"' || b == b'\''
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Vec<String>, ProtocolError> {
        split(&Bytes::copy_from_slice(line.as_bytes())).map(|args| {
            args.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
    }

    #[test]
    fn splits_like_redis() {
        assert_eq!(args("SET k v").unwrap(), ["SET", "k", "v"]);
        assert_eq!(args("  PING  \t").unwrap(), ["PING"]);
        assert_eq!(args("").unwrap(), Vec::<String>::new());
        assert_eq!(args(r#"SET "a b" 'c d'"#).unwrap(), ["SET", "a b", "c d"]);
        assert_eq!(args(r#"x"a b""#).unwrap(), ["xa b"]);
        assert_eq!(args(r#""\x41\x4a\n\t\"\\\q""#).unwrap(), ["AJ\n\t\"\\q"]);
        assert_eq!(args(r#""\x4""#).unwrap(), ["x4"]);
        assert_eq!(args(r"'it\'s' '\n'").unwrap(), ["it's", "\\n"]);
        assert_eq!(args(r#""""#).unwrap(), [""]);
    }

    #[test]
    fn refuses_unbalanced_quotes() {
        for bad in [r#""abc"#, r#"'abc"#, r#""a"b"#, r#"'a'b"#, r#""abc\"#] {
            assert_eq!(args(bad), Err(ProtocolError::UnbalancedQuotes), "{bad}");
        }
    }
}
