//! Redis's glob patterns (`*`, `?`, `[a-z]`, `[^a]`, `\x`) for `KEYS` and
//! `PSUBSCRIBE`.

/// Whether `text` matches `pattern`.
pub(crate) fn matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && matches(rest, &text[1..]),
        Some((b'[', rest)) => {
            let Some((&first, text_rest)) = text.split_first() else {
                return false;
            };
            let Some(close) = rest.iter().skip(1).position(|&b| b == b']').map(|i| i + 1) else {
                return first == b'[' && matches(rest, text_rest);
            };
            let (class, after) = (&rest[..close], &rest[close + 1..]);
            let (negate, class) = match class.split_first() {
                Some((b'^', class)) => (true, class),
                _ => (false, class),
            };
            in_class(class, first) != negate && matches(after, text_rest)
        }
        Some((b'\\', rest)) if !rest.is_empty() => {
            text.first() == Some(&rest[0]) && matches(&rest[1..], &text[1..])
        }
        Some((&byte, rest)) => text.first() == Some(&byte) && matches(rest, &text[1..]),
    }
}

fn in_class(class: &[u8], byte: u8) -> bool {
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == b'-' {
            let (low, high) = (class[i].min(class[i + 2]), class[i].max(class[i + 2]));
            if (low..=high).contains(&byte) {
                return true;
            }
            i += 3;
        } else {
            if class[i] == byte {
                return true;
            }
            i += 1;
        }
    }
    false
}
