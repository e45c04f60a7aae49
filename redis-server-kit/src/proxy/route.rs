//! Which commands need an upstream connection of their own.
//!
//! One function: the cluster mode's routing by slot would sit beside it.

use crate::request::Request;

/// Whether `request` must run on a dedicated upstream: it blocks the connection
/// (`BLPOP`, `XREAD ... BLOCK`, `WAIT`) or may run for long (scripts and functions), sets state on it for later commands
/// (`MULTI`, `WATCH`, `SELECT`, `AUTH`, `CLIENT TRACKING`/`CACHING`/`REPLY`/
/// `NO-EVICT`/`NO-TOUCH`, `READONLY`, `RESET`; `CLIENT SETNAME`, since the server
/// shows the name in `CLIENT LIST` and `SLOWLOG` and kills by it), turns it into a stream of pushes
/// (pub/sub, `MONITOR`, `SYNC`), answers with more than one reply (`UNSUBSCRIBE`
/// and its kin, even on a connection that subscribed to nothing), or names it (`CLIENT ID`:
/// the id a client then kills, unblocks or redirects to must be its own
/// connection's), or pauses clients (`CLIENT PAUSE`/`UNPAUSE`: a write the pause
/// holds on a shared upstream holds what is queued behind it there, and the
/// `UNPAUSE` must not be). Once a client needs one,
/// it keeps it for the rest of its connection.
pub(crate) fn needs_dedicated(request: &Request) -> bool {
    const DEDICATED: &[&str] = &[
        "blpop",
        "brpop",
        "brpoplpush",
        "blmove",
        "blmpop",
        "bzpopmin",
        "bzpopmax",
        "bzmpop",
        "wait",
        "waitaof",
        "multi",
        "watch",
        "select",
        "auth",
        "reset",
        "subscribe",
        "psubscribe",
        "ssubscribe",
        // One reply per channel named, subscribed or not: on a shared upstream they
        // would answer other clients' requests.
        "unsubscribe",
        "punsubscribe",
        "sunsubscribe",
        "monitor",
        "sync",
        "psync",
        "readonly",
        "readwrite",
        "asking",
        // A script can run for long (until `SCRIPT KILL`): on a shared upstream it
        // would hold every other client's request behind it, where Redis answers
        // them `BUSY`, and the `SCRIPT KILL` itself could queue behind it.
        "eval",
        "evalsha",
        "eval_ro",
        "evalsha_ro",
        "fcall",
        "fcall_ro",
    ];
    if DEDICATED.iter().any(|name| request.is(name)) {
        return true;
    }
    if request.is("xread") || request.is("xreadgroup") {
        return request
            .args()
            .iter()
            .any(|arg| arg.eq_ignore_ascii_case(b"block"));
    }
    [
        "tracking", "caching", "reply", "id", "no-evict", "no-touch", "setname", "pause", "unpause",
    ]
    .iter()
    .any(|sub| request.is_sub("client", sub))
}
