//! The limits a connection puts on what a server sends: the reply decoder's
//! ([`DecodeLimits`]) and the unread pushes' ([`PushLimits`]), and their URL options.

use std::fmt;

use super::ConnectionConfig;
use super::url::{Query, UrlError};
use crate::resp::DecodeLimits;

/// How much an exclusive connection keeps of what the server sends on its own (RESP3
/// pushes such as client-tracking invalidations, pub/sub messages, MONITOR lines)
/// while the application has not taken it with `next_event`.
///
/// **Policy: past either bound the connection closes** with
/// [`CloseReason::UnreadPushes`](crate::CloseReason::UnreadPushes); what was kept
/// before stays readable. Dropping the oldest instead would lose data silently: a
/// dropped client-tracking invalidation leaves a cached value stale for good, while a
/// closed connection tells a cache to flush, and a subscriber that it lost messages.
/// It is what Redis does on its side to a client that does not read its pub/sub
/// messages (`client-output-buffer-limit pubsub`, whose hard limit is 32 MiB).
///
/// Users of client-side caching (`CLIENT TRACKING`) and of pub/sub on an exclusive
/// connection must therefore drain its events, even while they only send commands.
/// The multiplexed client and the fan-out keep no pushes (they drop them), so this
/// does not apply to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushLimits {
    /// Most pushes kept unread. Default [`PushLimits::DEFAULT_MAX_COUNT`]: 100,000.
    pub max_count: usize,
    /// Most bytes kept unread: each push's payload bytes (strings, bulk strings,
    /// channel names) plus the size of the values holding them. Default
    /// [`PushLimits::DEFAULT_MAX_BYTES`]: 32 MiB.
    pub max_bytes: usize,
}

impl PushLimits {
    /// Default for [`PushLimits::max_count`].
    pub const DEFAULT_MAX_COUNT: usize = 100_000;
    /// Default for [`PushLimits::max_bytes`]: Redis's own hard limit on a pub/sub
    /// client's output buffer.
    pub const DEFAULT_MAX_BYTES: usize = 32 * 1024 * 1024;
}

impl Default for PushLimits {
    fn default() -> Self {
        PushLimits {
            max_count: Self::DEFAULT_MAX_COUNT,
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }
}

/// The query options that set a limit, each a positive integer (a count, or bytes).
pub(super) const LIMIT_OPTIONS: [&str; 6] = [
    "max_depth",
    "max_bulk_len",
    "max_aggregate_len",
    "max_frame_size",
    "max_pushes",
    "max_push_bytes",
];

/// The limit an option sets, for reading and writing it alike.
fn limit_mut<'a>(config: &'a mut ConnectionConfig, option: &str) -> Option<&'a mut usize> {
    Some(match option {
        "max_depth" => &mut config.decode_limits.max_depth,
        "max_bulk_len" => &mut config.decode_limits.max_bulk_len,
        "max_aggregate_len" => &mut config.decode_limits.max_aggregate_len,
        "max_frame_size" => &mut config.decode_limits.max_frame_size,
        "max_pushes" => &mut config.push_limits.max_count,
        "max_push_bytes" => &mut config.push_limits.max_bytes,
        _ => return None,
    })
}

/// Sets the limit `option` names (one of [`LIMIT_OPTIONS`]) from its URL value: a
/// positive decimal integer.
pub(super) fn parse_limit_option(
    option: &str,
    value: &str,
    config: &mut ConnectionConfig,
) -> Result<(), UrlError> {
    let invalid = || UrlError::InvalidOptionValue {
        option: option.to_owned(),
        value: value.to_owned(),
    };
    let parsed = value
        .parse::<usize>()
        .ok()
        .filter(|&n| n > 0 && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(invalid)?;
    let limit = limit_mut(config, option).ok_or_else(invalid)?;
    *limit = parsed;
    Ok(())
}

/// Every limit a URL can set, by option name.
fn limit_values(decode: &DecodeLimits, pushes: &PushLimits) -> [(&'static str, usize); 6] {
    [
        ("max_depth", decode.max_depth),
        ("max_bulk_len", decode.max_bulk_len),
        ("max_aggregate_len", decode.max_aggregate_len),
        ("max_frame_size", decode.max_frame_size),
        ("max_pushes", pushes.max_count),
        ("max_push_bytes", pushes.max_bytes),
    ]
}

/// Writes the limits that differ from their defaults as query options.
pub(super) fn write_limits_query(
    config: &ConnectionConfig,
    out: &mut impl fmt::Write,
    query: &mut Query,
) -> fmt::Result {
    let current = limit_values(&config.decode_limits, &config.push_limits);
    let defaults = limit_values(&DecodeLimits::default(), &PushLimits::default());
    for ((option, value), (_, default)) in current.into_iter().zip(defaults) {
        if value != default {
            query.push(out, option, &value.to_string())?;
        }
    }
    Ok(())
}
