//! Keyless commands meant for many nodes: which nodes (the specification's
//! `request_policy` tip) and how their replies make one (its `response_policy`).

use redis_sansio::Cmd;
use redis_sansio::resp::Frame;

use crate::Error;
use crate::keys::{CommandInfo, RequestPolicy, command_info_of};

/// Which nodes a keyless command goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fanout {
    /// One node: the primary serving slot 0.
    One,
    /// Every primary that serves slots (`request_policy:all_shards`).
    Primaries(Combine),
    /// Every primary and replica (`request_policy:all_nodes`).
    AllNodes(Combine),
}

/// How the nodes' replies make the one reply (`response_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Combine {
    /// The first error if any node failed, otherwise the first reply.
    AllSucceeded,
    /// The first success if any node succeeded, otherwise the first error.
    OneSucceeded,
    /// The sum of the integer replies.
    Sum,
    /// The least integer reply.
    Min,
    /// The greatest integer reply.
    Max,
    /// Element by element logical AND of integer (or arrays of integer) replies.
    And,
    /// Element by element logical OR.
    Or,
    /// No policy: array replies concatenated (`KEYS`), others gathered in an array.
    Concat,
}

/// A command's `response_policy` tip, as far as the cluster clients act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponsePolicy {
    /// No tip: each caller has its default (concatenation for a fan-out, the keys'
    /// order for a split multi-key command).
    Default,
    /// A tip that says how to combine the replies.
    Combine(Combine),
    /// `special`, or a tip not known here: only command-specific code could merge.
    Special,
}

/// What `info`'s `response_policy` tip says; both the keyless fan-out here and the
/// per-slot split of multi-key commands ([`super::split`]) read it through this.
pub(crate) fn response_policy(info: &CommandInfo) -> ResponsePolicy {
    use redis_sansio::commands::ResponsePolicy as Tip;
    let combine = match info.response_policy {
        Tip::Default => return ResponsePolicy::Default,
        Tip::AllSucceeded => Combine::AllSucceeded,
        Tip::OneSucceeded => Combine::OneSucceeded,
        Tip::AggSum => Combine::Sum,
        Tip::AggMin => Combine::Min,
        Tip::AggMax => Combine::Max,
        Tip::AggLogicalAnd => Combine::And,
        Tip::AggLogicalOr => Combine::Or,
        _ => return ResponsePolicy::Special,
    };
    ResponsePolicy::Combine(combine)
}

/// Where `cmd`, a command without keys, goes. Commands whose response policy is
/// `special` (`INFO`, `RANDOMKEY`, `SCAN`...) need their own merging and go to one
/// node.
pub(crate) fn fanout_of(cmd: &Cmd) -> Fanout {
    let Some(info) = command_info_of(cmd) else {
        return Fanout::One;
    };
    let combine = match response_policy(info) {
        ResponsePolicy::Default => Combine::Concat,
        ResponsePolicy::Combine(combine) => combine,
        ResponsePolicy::Special => return Fanout::One,
    };
    match info.request_policy {
        RequestPolicy::AllShards => Fanout::Primaries(combine),
        RequestPolicy::AllNodes => Fanout::AllNodes(combine),
        _ => Fanout::One,
    }
}

/// The one reply for the nodes' `replies` under `combine`. A reply that is not the
/// command's own (a connection that failed) fails the whole command, except under
/// [`Combine::OneSucceeded`] when another node succeeded.
pub(crate) fn combine(
    combine: Combine,
    replies: Vec<Result<Frame, Error>>,
) -> Result<Frame, Error> {
    if combine == Combine::OneSucceeded {
        let mut first_error = None;
        for reply in replies {
            match reply {
                Ok(frame) => return Ok(frame),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        return Err(first_error.unwrap_or(no_reply()));
    }
    let frames = replies.into_iter().collect::<Result<Vec<Frame>, Error>>()?;
    match combine {
        Combine::AllSucceeded | Combine::OneSucceeded => {
            frames.into_iter().next().ok_or(no_reply())
        }
        Combine::Sum => fold_integers(frames, |a, b| a.saturating_add(b)),
        Combine::Min => fold_integers(frames, i64::min),
        Combine::Max => fold_integers(frames, i64::max),
        Combine::And => fold_logical(frames, |a, b| a && b),
        Combine::Or => fold_logical(frames, |a, b| a || b),
        Combine::Concat => Ok(concat(frames)),
    }
}

pub(crate) fn no_reply() -> Error {
    Error::Closed(redis_sansio::CloseReason::Local)
}

fn integer(frame: &Frame) -> Result<i64, Error> {
    match frame.without_attributes() {
        Frame::Integer(n) => Ok(*n),
        other => Err(Error::Conversion(crate::ConversionError::new(
            "an integer from every node",
            format!("{other:?}"),
        ))),
    }
}

fn fold_integers(frames: Vec<Frame>, f: impl Fn(i64, i64) -> i64) -> Result<Frame, Error> {
    let mut total: Option<i64> = None;
    for frame in &frames {
        let n = integer(frame)?;
        total = Some(total.map_or(n, |t| f(t, n)));
    }
    total.map(Frame::Integer).ok_or(no_reply())
}

/// Integers (as 0/1) or arrays of them, combined element by element.
fn fold_logical(frames: Vec<Frame>, f: impl Fn(bool, bool) -> bool) -> Result<Frame, Error> {
    let as_bools = |frame: &Frame| -> Result<Vec<bool>, Error> {
        match frame.without_attributes() {
            Frame::Array(items) => items.iter().map(|i| integer(i).map(|n| n != 0)).collect(),
            single => Ok(vec![integer(single)? != 0]),
        }
    };
    let mut frames = frames.into_iter();
    let first = frames.next().ok_or(no_reply())?;
    let is_array = matches!(first.without_attributes(), Frame::Array(_));
    let mut acc = as_bools(&first)?;
    for frame in frames {
        let next = as_bools(&frame)?;
        if next.len() != acc.len() {
            return Err(Error::Conversion(crate::ConversionError::new(
                "replies of one length from every node",
                format!("{} and {}", acc.len(), next.len()),
            )));
        }
        for (a, b) in acc.iter_mut().zip(next) {
            *a = f(*a, b);
        }
    }
    let ints = acc.into_iter().map(|b| Frame::Integer(i64::from(b)));
    Ok(if is_array {
        Frame::Array(ints.collect())
    } else {
        ints.into_iter().next().unwrap_or(Frame::Integer(0))
    })
}

fn concat(frames: Vec<Frame>) -> Frame {
    if frames
        .iter()
        .all(|f| matches!(f.without_attributes(), Frame::Array(_)))
    {
        Frame::Array(
            frames
                .into_iter()
                .flat_map(|f| match f {
                    Frame::Array(items) => items,
                    Frame::Attributed { value, .. } => match *value {
                        Frame::Array(items) => items,
                        other => vec![other],
                    },
                    other => vec![other],
                })
                .collect(),
        )
    } else {
        Frame::Array(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis_sansio::{RequestError, ServerError};

    fn int(n: i64) -> Result<Frame, Error> {
        Ok(Frame::Integer(n))
    }

    fn server_error(text: &str) -> Result<Frame, Error> {
        Err(Error::Request(RequestError::Server(ServerError::new(
            text.to_owned().into(),
        ))))
    }

    #[test]
    fn policies_come_from_the_specification_tips() {
        assert_eq!(
            fanout_of(&Cmd::new("DBSIZE")),
            Fanout::Primaries(Combine::Sum)
        );
        assert_eq!(
            fanout_of(&Cmd::new("flushall")),
            Fanout::Primaries(Combine::AllSucceeded)
        );
        assert_eq!(
            fanout_of(&Cmd::new("KEYS").arg("*")),
            Fanout::Primaries(Combine::Concat)
        );
        assert_eq!(
            fanout_of(&Cmd::new("SCRIPT").arg("LOAD").arg("return 1")),
            Fanout::AllNodes(Combine::AllSucceeded)
        );
        assert_eq!(
            fanout_of(&Cmd::new("SCRIPT").arg("EXISTS").arg("abc")),
            Fanout::Primaries(Combine::And)
        );
        assert_eq!(fanout_of(&Cmd::new("INFO")), Fanout::One, "special");
        assert_eq!(fanout_of(&Cmd::new("RANDOMKEY")), Fanout::One, "special");
        assert_eq!(fanout_of(&Cmd::new("ECHO").arg("x")), Fanout::One);
        assert_eq!(fanout_of(&Cmd::new("NOSUCH")), Fanout::One);
    }

    #[test]
    fn replies_combine_as_the_policy_says() {
        assert_eq!(
            combine(Combine::Sum, vec![int(1), int(2), int(3)]).unwrap(),
            Frame::Integer(6)
        );
        assert_eq!(
            combine(Combine::Min, vec![int(4), int(2)]).unwrap(),
            Frame::Integer(2)
        );
        assert_eq!(
            combine(Combine::Max, vec![int(4), int(2)]).unwrap(),
            Frame::Integer(4)
        );
        let arr = |v: &[i64]| Ok(Frame::Array(v.iter().map(|&n| Frame::Integer(n)).collect()));
        assert_eq!(
            combine(Combine::And, vec![arr(&[1, 1, 0]), arr(&[1, 0, 0])]).unwrap(),
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Integer(0),
                Frame::Integer(0)
            ])
        );
        assert_eq!(
            combine(Combine::Or, vec![arr(&[1, 0]), arr(&[0, 0])]).unwrap(),
            Frame::Array(vec![Frame::Integer(1), Frame::Integer(0)])
        );
        assert!(combine(Combine::And, vec![arr(&[1]), arr(&[1, 1])]).is_err());
        let ok = || Ok(Frame::simple("OK"));
        assert_eq!(
            combine(Combine::AllSucceeded, vec![ok(), ok()]).unwrap(),
            Frame::simple("OK")
        );
        let error =
            combine(Combine::AllSucceeded, vec![ok(), server_error("ERR one")]).unwrap_err();
        assert!(error.to_string().contains("ERR one"));
        assert_eq!(
            combine(Combine::OneSucceeded, vec![server_error("NOTBUSY"), ok()]).unwrap(),
            Frame::simple("OK")
        );
        assert!(combine(Combine::OneSucceeded, vec![server_error("NOTBUSY")]).is_err());
        let keys = |k: &str| Ok(Frame::Array(vec![Frame::bulk(k.to_owned())]));
        assert_eq!(
            combine(Combine::Concat, vec![keys("a"), keys("b")]).unwrap(),
            Frame::Array(vec![Frame::bulk("a"), Frame::bulk("b")])
        );
        assert!(combine(Combine::Sum, vec![int(1), Ok(Frame::simple("x"))]).is_err());
        assert!(combine(Combine::Sum, vec![]).is_err());
    }
}
