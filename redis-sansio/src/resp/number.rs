//! Redis's strict grammar for integers, lengths and doubles on the wire.
//!
//! Integers follow Redis's `string2ll`: an optional `-`, then `0` alone or a digit
//! run without leading zeros; no `+`, no `-0`, no spaces, nothing past 64 bits.

use crate::ProtocolError;

/// Why a digit run was refused; callers map it to their own error kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadNumber;

/// What a header line announces as a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Length {
    /// `-1`: the RESP2 null.
    Null,
    /// `?`: a streamed string or aggregate.
    Streamed,
    /// A count of bytes or elements.
    Count(u64),
}

/// Scans `[-]digits\r\n` starting at `buf[pos]`.
///
/// Returns the magnitude, whether it was negative, and the position just past the
/// CRLF; `Ok(None)` when the line is not complete yet. A digit run that already breaks
/// the grammar fails at once, so an endless line of digits cannot be buffered.
#[inline]
fn scan_signed(buf: &[u8], pos: usize) -> Result<Option<(u64, bool, usize)>, BadNumber> {
    // Up to 18 digits cannot overflow: read them without checks, then apply the
    // grammar once. Only a longer run takes the checked scan.
    const MOST_DIGITS: usize = 18;
    let negative = buf.get(pos) == Some(&b'-');
    let first = pos + usize::from(negative);
    let digits = buf.get(first..).unwrap_or_default();
    let mut value: u64 = 0;
    let mut n = 0;
    while let Some(&byte) = digits.get(n) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        if n == MOST_DIGITS {
            return scan_signed_checked(buf, pos);
        }
        value = value * 10 + u64::from(digit);
        n += 1;
    }
    if n > 1 && digits[0] == b'0' {
        return Err(BadNumber); // leading zero
    }
    match digits.get(n) {
        None => Ok(None),
        Some(b'\r') => {
            if n == 0 || (negative && value == 0) {
                return Err(BadNumber); // no digits, or `-0`
            }
            match digits.get(n + 1) {
                None => Ok(None),
                Some(b'\n') => Ok(Some((value, negative, first + n + 2))),
                Some(_) => Err(BadNumber),
            }
        }
        Some(_) => Err(BadNumber),
    }
}

/// [`scan_signed`] for any number of digits, checking for overflow at each one.
fn scan_signed_checked(
    buf: &[u8],
    mut pos: usize,
) -> Result<Option<(u64, bool, usize)>, BadNumber> {
    let negative = buf.get(pos) == Some(&b'-');
    if negative {
        pos += 1;
    }
    let limit: u64 = if negative {
        i64::MAX as u64 + 1
    } else {
        i64::MAX as u64
    };
    let first = pos;
    let mut value: u64 = 0;
    while let Some(&byte) = buf.get(pos) {
        match byte {
            b'0'..=b'9' => {
                if pos > first && buf[first] == b'0' {
                    return Err(BadNumber); // leading zero
                }
                value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(byte - b'0')))
                    .filter(|&v| v <= limit)
                    .ok_or(BadNumber)?;
                pos += 1;
            }
            b'\r' => {
                if pos == first || (negative && value == 0) {
                    return Err(BadNumber); // no digits, or `-0`
                }
                return match buf.get(pos + 1) {
                    None => Ok(None),
                    Some(b'\n') => Ok(Some((value, negative, pos + 2))),
                    Some(_) => Err(BadNumber),
                };
            }
            _ => return Err(BadNumber),
        }
    }
    Ok(None)
}

/// Parses a whole digit run as Redis's `string2ll` does: an optional `-`, then `0`
/// alone or digits without a leading zero, nothing else, within 64 bits.
pub(crate) fn string2ll(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix(b"-") {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    match digits {
        [] => return None,
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] => {}
        _ => return None,
    }
    let mut value: i64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(byte - b'0');
        // Accumulate negatively so that `i64::MIN` fits.
        value = value.checked_mul(10)?.checked_sub(digit)?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// Parses the integer line starting at `buf[pos]` (just past the type byte).
///
/// Returns the value and the position just past the CRLF, or `Ok(None)` if incomplete.
pub(crate) fn integer_line(buf: &[u8], pos: usize) -> Result<Option<(i64, usize)>, ProtocolError> {
    match scan_signed(buf, pos) {
        Ok(Some((magnitude, negative, end))) => {
            let value = if negative {
                (magnitude as i64).wrapping_neg()
            } else {
                magnitude as i64
            };
            Ok(Some((value, end)))
        }
        Ok(None) => Ok(None),
        Err(BadNumber) => Err(ProtocolError::InvalidInteger),
    }
}

/// Parses the length line starting at `buf[pos]` (just past the type byte).
///
/// `-1` is [`Length::Null`]; `?` is [`Length::Streamed`] when `streamable`; any other
/// negative value, and `?` where streaming is not allowed, is
/// [`ProtocolError::InvalidLength`].
pub(crate) fn length_line(
    buf: &[u8],
    pos: usize,
    streamable: bool,
) -> Result<Option<(Length, usize)>, ProtocolError> {
    if buf.get(pos) == Some(&b'?') {
        if !streamable {
            return Err(ProtocolError::InvalidLength);
        }
        return match (buf.get(pos + 1), buf.get(pos + 2)) {
            (None, _) | (Some(b'\r'), None) => Ok(None),
            (Some(b'\r'), Some(b'\n')) => Ok(Some((Length::Streamed, pos + 3))),
            _ => Err(ProtocolError::InvalidLength),
        };
    }
    match scan_signed(buf, pos) {
        Ok(Some((1, true, end))) => Ok(Some((Length::Null, end))),
        Ok(Some((_, true, _))) => Err(ProtocolError::InvalidLength),
        Ok(Some((count, false, end))) => Ok(Some((Length::Count(count), end))),
        Ok(None) => Ok(None),
        Err(BadNumber) => Err(ProtocolError::InvalidLength),
    }
}

/// The common length line, the count of a complete top-level bulk: `0`, or 1 to 18
/// digits without a leading zero, then CRLF, starting at `buf[pos]`.
///
/// Returns the count and the position just past the CRLF. `None` for everything else
/// (incomplete, negative, streamed, longer, malformed), which [`length_line`] then
/// handles: every line this accepts, [`length_line`] reads as the same count.
#[inline(always)]
pub(crate) fn short_count(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    // One or two digits, the commonest lengths by far, read from one 4-byte word:
    // `d\r\n?` or `dd\r\n`.
    const CRLF: u32 = u16::from_le_bytes(*b"\r\n") as u32;
    if let Some(&word) = buf.get(pos..).and_then(|rest| rest.first_chunk::<4>()) {
        let word = u32::from_le_bytes(word);
        let d1 = (word as u8).wrapping_sub(b'0');
        let d2 = ((word >> 8) as u8).wrapping_sub(b'0');
        if (word >> 8) & 0xffff == CRLF && d1 <= 9 {
            return Some((usize::from(d1), pos + 3));
        }
        if word >> 16 == CRLF && (1..=9).contains(&d1) && d2 <= 9 {
            return Some((usize::from(d1) * 10 + usize::from(d2), pos + 4));
        }
    }
    long_count(buf, pos)
}

/// [`short_count`] for every other line: more digits, or fewer than four bytes.
#[inline(never)]
fn long_count(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    const MOST_DIGITS: usize = 18; // below 10^18, so no overflow in u64
    let digits = buf.get(pos..)?;
    let mut value: u64 = 0;
    let mut n = 0;
    while let Some(&byte) = digits.get(n) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value * 10 + u64::from(digit);
        n += 1;
        if n > MOST_DIGITS {
            return None;
        }
    }
    let leading_zero = n > 1 && digits[0] == b'0';
    if n == 0 || leading_zero || digits.get(n..n + 2) != Some(b"\r\n") {
        return None;
    }
    Some((usize::try_from(value).ok()?, pos + n + 2))
}

/// The spellings of a RESP3 double's text (the line without its type byte and CRLF).
enum DoubleForm {
    Infinity,
    NegativeInfinity,
    Nan,
    Decimal,
}

/// Checks the text of a RESP3 double against its grammar, without computing it.
///
/// Accepts `[-]digits[.digits][(e|E)[+|-]digits]`, `inf`, `-inf`, and the NaN
/// spellings servers have sent: `nan`, and before Redis 7.2 `-nan`, `NAN` or
/// `nan(chars)` from libc.
pub(crate) fn check_double(text: &[u8]) -> Result<(), ProtocolError> {
    double_form(text).map(|_| ())
}

fn double_form(text: &[u8]) -> Result<DoubleForm, ProtocolError> {
    match text {
        b"inf" => return Ok(DoubleForm::Infinity),
        b"-inf" => return Ok(DoubleForm::NegativeInfinity),
        _ => {}
    }
    let unsigned = text.strip_prefix(b"-").unwrap_or(text);
    if unsigned.len() >= 3 && unsigned[..3].eq_ignore_ascii_case(b"nan") {
        let rest = &unsigned[3..];
        let libc_payload = rest.first() == Some(&b'(') && rest.last() == Some(&b')');
        if rest.is_empty() || libc_payload {
            return Ok(DoubleForm::Nan);
        }
        return Err(ProtocolError::InvalidDouble);
    }
    if !is_decimal(unsigned) {
        return Err(ProtocolError::InvalidDouble);
    }
    Ok(DoubleForm::Decimal)
}

/// Parses the text of a RESP3 double: [`check_double`]'s grammar, then the value.
pub(crate) fn parse_double(text: &[u8]) -> Result<f64, ProtocolError> {
    match double_form(text)? {
        DoubleForm::Infinity => Ok(f64::INFINITY),
        DoubleForm::NegativeInfinity => Ok(f64::NEG_INFINITY),
        DoubleForm::Nan => Ok(f64::NAN),
        // The grammar admits only ASCII, which is valid UTF-8, and only forms that
        // Rust's correctly rounded parser accepts.
        DoubleForm::Decimal => std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or(ProtocolError::InvalidDouble),
    }
}

/// `digits[.digits][(e|E)[+|-]digits]`
fn is_decimal(text: &[u8]) -> bool {
    fn digits(text: &[u8]) -> usize {
        text.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let integral = digits(text);
    if integral == 0 {
        return false;
    }
    let mut rest = &text[integral..];
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let fraction = digits(after_dot);
        if fraction == 0 {
            return false;
        }
        rest = &after_dot[fraction..];
    }
    if let Some(exponent) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exponent = exponent
            .strip_prefix(b"+")
            .or_else(|| exponent.strip_prefix(b"-"))
            .unwrap_or(exponent);
        let n = digits(exponent);
        return n > 0 && n == exponent.len();
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(s: &str) -> Result<Option<(i64, usize)>, ProtocolError> {
        integer_line(s.as_bytes(), 0)
    }

    #[test]
    fn integers_follow_redis_grammar() {
        assert_eq!(int("0\r\n"), Ok(Some((0, 3))));
        assert_eq!(int("-12\r\n"), Ok(Some((-12, 5))));
        assert_eq!(int("9223372036854775807\r\n").unwrap().unwrap().0, i64::MAX);
        assert_eq!(
            int("-9223372036854775808\r\n").unwrap().unwrap().0,
            i64::MIN
        );
        for bad in [
            "+1\r\n",
            "01\r\n",
            "-0\r\n",
            "\r\n",
            "-\r\n",
            "1 \r\n",
            "9223372036854775808\r\n",
            "-9223372036854775809\r\n",
            "1\rx",
            "1x\r\n",
        ] {
            assert_eq!(int(bad), Err(ProtocolError::InvalidInteger), "{bad:?}");
        }
        for incomplete in ["", "-", "12", "12\r"] {
            assert_eq!(int(incomplete), Ok(None), "{incomplete:?}");
        }
    }

    #[test]
    fn fast_scan_agrees_with_the_checked_scan() {
        // Every string of up to 6 symbols from an alphabet covering each grammar rule,
        // then long digit runs around 18 digits and the i64 bounds, with every prefix.
        const ALPHABET: &[u8] = b"019-\r\nx";
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
        let mut layer: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..6 {
            layer = layer
                .iter()
                .flat_map(|s| {
                    ALPHABET.iter().map(move |&c| {
                        let mut next = s.clone();
                        next.push(c);
                        next
                    })
                })
                .collect();
            inputs.extend(layer.iter().cloned());
        }
        for digits in [
            "1".repeat(17),
            "1".repeat(18),
            "1".repeat(19),
            "9".repeat(18),
            "9".repeat(19),
            "1".repeat(25),
            format!("1{}", "0".repeat(17)),
            format!("1{}", "0".repeat(18)),
            i64::MAX.to_string(),
            (i64::MAX as u64 + 1).to_string(),
            "0".repeat(19),
        ] {
            for sign in ["", "-"] {
                let line = format!("{sign}{digits}\r\n").into_bytes();
                for end in 0..=line.len() {
                    inputs.push(line[..end].to_vec());
                }
            }
        }
        for input in &inputs {
            for pos in 0..input.len().min(2) {
                assert_eq!(
                    scan_signed(input, pos),
                    scan_signed_checked(input, pos),
                    "{:?} from {pos}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    #[test]
    fn short_counts_are_lengths() {
        // Whatever `short_count` accepts, `length_line` reads as the same count.
        for input in [
            &b"0\r\n"[..],
            b"7\r\n",
            b"16\r\n",
            b"999999999999999999\r\n",
            b"1000000000000000000\r\n",
            b"01\r\n",
            b"-1\r\n",
            b"?\r\n",
            b"1\r",
            b"1",
            b"",
            b"1x\r\n",
        ] {
            if let Some((count, end)) = short_count(input, 0) {
                assert_eq!(
                    length_line(input, 0, true),
                    Ok(Some((Length::Count(count as u64), end)))
                );
            }
        }
        // Short numbers, with and without leading zeros: exactly what `length_line`
        // reads.
        for n in 0..1000 {
            for input in [
                format!("{n}\r\n"),
                format!("0{n}\r\n"),
                format!("{n}\r\nxy"),
            ] {
                let input = input.as_bytes();
                let expected = match length_line(input, 0, false) {
                    Ok(Some((Length::Count(count), end))) => Some((count as usize, end)),
                    _ => None,
                };
                assert_eq!(short_count(input, 0), expected, "{input:?}");
            }
        }
        assert_eq!(short_count(b"16\r\n", 0), Some((16, 4)));
        assert_eq!(short_count(b"1000000000000000000\r\n", 0), None);
        assert_eq!(short_count(b"01\r\n", 0), None);
    }

    #[test]
    fn string2ll_follows_redis() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-10"), Some(-10));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1\n",
            b"9223372036854775808",
            b"-9223372036854775809",
        ] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
        // The same grammar as integer lines.
        for n in ["0", "7", "-7", "123456789012", "-1000"] {
            let line = format!("{n}\r\n");
            assert_eq!(
                integer_line(line.as_bytes(), 0).unwrap().map(|(v, _)| v),
                string2ll(n.as_bytes())
            );
        }
    }

    #[test]
    fn lengths_allow_null_and_streaming_only() {
        assert_eq!(
            length_line(b"-1\r\n", 0, false),
            Ok(Some((Length::Null, 4)))
        );
        assert_eq!(
            length_line(b"?\r\n", 0, true),
            Ok(Some((Length::Streamed, 3)))
        );
        assert_eq!(
            length_line(b"?\r\n", 0, false),
            Err(ProtocolError::InvalidLength)
        );
        assert_eq!(
            length_line(b"-2\r\n", 0, true),
            Err(ProtocolError::InvalidLength)
        );
        assert_eq!(
            length_line(b"?x", 0, true),
            Err(ProtocolError::InvalidLength)
        );
        assert_eq!(length_line(b"?\r", 0, true), Ok(None));
    }

    #[test]
    fn doubles() {
        assert_eq!(parse_double(b"1.23"), Ok(1.23));
        assert_eq!(parse_double(b"10"), Ok(10.0));
        assert_eq!(parse_double(b"-1.5e-3"), Ok(-0.0015));
        assert_eq!(parse_double(b"1E+10"), Ok(1e10));
        assert_eq!(parse_double(b"inf"), Ok(f64::INFINITY));
        assert_eq!(parse_double(b"-inf"), Ok(f64::NEG_INFINITY));
        for nan in [&b"nan"[..], b"-nan", b"NAN", b"nan(0x1)"] {
            assert!(parse_double(nan).unwrap().is_nan());
        }
        for bad in [
            &b""[..],
            b".5",
            b"1.",
            b"+1",
            b"1e",
            b"1e+",
            b"infinity",
            b"1.5x",
            b"nanx",
            b" 1",
        ] {
            assert_eq!(
                parse_double(bad),
                Err(ProtocolError::InvalidDouble),
                "{bad:?}"
            );
        }
    }
}
