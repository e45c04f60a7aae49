//! What cluster pipelines and transactions share: grouping commands by node, which
//! outcomes to run again, and the slot of a transaction.

use std::collections::HashMap;
use std::hash::Hash;

use redis_io_async::Outcome;
use redis_sansio::cluster::{ClusterError, NodeId};
use redis_sansio::{CloseReason, Cmd, RequestError, ServerError, ServerErrorKind};

use super::call::is_cluster_error;
use super::route::{command_slot, same_slot};
use crate::Error;
use crate::keys::keys;

/// Each command's slot (`None` for a keyless one); the first command whose keys
/// span slots fails the whole batch before anything is sent.
pub(crate) fn slots(cmds: &[Cmd]) -> Result<Vec<Option<u16>>, ClusterError> {
    cmds.iter().map(command_slot).collect()
}

/// The commands' indices grouped by the node `route` picks, in first-seen order; the
/// order within a group is the pipeline's.
pub(crate) fn group_by_node(
    slots: &[Option<u16>],
    route: impl FnMut(Option<u16>) -> Result<NodeId, Error>,
) -> Result<Vec<(NodeId, Vec<usize>)>, Error> {
    group_in_order(slots.iter().copied(), route)
}

/// The items' indices grouped by the key `key_of` gives each, groups in the order
/// their first item came, indices in the items' order. Pipelines group commands by
/// node with it, split multi-key commands their keys by slot
/// ([`super::split`]); the first error of `key_of` ends it.
pub(crate) fn group_in_order<T, K: Copy + Eq + Hash, E>(
    items: impl IntoIterator<Item = T>,
    mut key_of: impl FnMut(T) -> Result<K, E>,
) -> Result<Vec<(K, Vec<usize>)>, E> {
    let mut groups: Vec<(K, Vec<usize>)> = Vec::new();
    let mut by_key: HashMap<K, usize> = HashMap::new();
    for (index, item) in items.into_iter().enumerate() {
        let key = key_of(item)?;
        let group = *by_key.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[group].1.push(index);
    }
    Ok(groups)
}

/// The server error of an outcome the cluster machinery should take over: a redirect
/// or a busy error.
pub(crate) fn redirected(outcome: &Outcome) -> Option<&ServerError> {
    match outcome {
        Err(RequestError::Server(error)) if is_cluster_error(error) => Some(error),
        _ => None,
    }
}

/// A single command's result as a pipeline outcome; an error that is not the
/// command's own (cluster, connection) fails the whole run.
pub(crate) fn as_outcome(
    result: Result<redis_sansio::resp::Frame, Error>,
) -> Result<Outcome, Error> {
    match result {
        Ok(frame) => Ok(Ok(frame)),
        Err(Error::Request(error)) => Ok(Err(error)),
        Err(error) => Err(error),
    }
}

/// The filled outcomes, in order (a gap, which cannot happen, reads as a local close).
pub(crate) fn collect(outcomes: Vec<Option<Outcome>>) -> Vec<Outcome> {
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Err(RequestError::Closed(CloseReason::Local))))
        .collect()
}

/// The one slot every key of every command is in (`None` when no command has keys).
pub(crate) fn transaction_slot(cmds: &[Cmd]) -> Result<Option<u16>, ClusterError> {
    let mut slot = None;
    for this in slots(cmds)?.into_iter().flatten() {
        same_slot(&mut slot, this)?;
    }
    Ok(slot)
}

/// Whether a transaction's failure may come from its slot having moved: `EXECABORT`
/// (a queued command was refused, `MOVED` among the possible reasons) or a redirect.
pub(crate) fn maybe_moved(error: &Error) -> bool {
    error.server_error().is_some_and(|e| {
        matches!(
            e.kind(),
            ServerErrorKind::ExecAbort | ServerErrorKind::Moved(_)
        )
    })
}

/// `EXISTS` on the transaction's first key: a cheap read whose `MOVED` (followed by
/// the usual request path) teaches the router where the slot is now.
pub(crate) fn probe(cmds: &[Cmd]) -> Option<Cmd> {
    let key = cmds
        .iter()
        .find_map(|cmd| keys(cmd).first().map(|k| k.to_vec()))?;
    Some(Cmd::new("EXISTS").arg(key))
}

/// The one slot of `keys` (as a `WATCH` of them finds it; `None` for no keys).
pub(crate) fn watch_slot<K: redis_sansio::resp::ToArg>(
    keys: &[K],
) -> Result<Option<u16>, ClusterError> {
    let mut watch = Cmd::new("WATCH");
    for key in keys {
        watch.push_arg(key);
    }
    command_slot(&watch)
}

#[cfg(test)]
mod tests {
    use redis_sansio::cluster::key_slot;

    use super::*;
    use crate::cmd;

    #[test]
    fn commands_group_by_node_in_first_seen_order() {
        let slots = [Some(1), None, Some(2), Some(1), Some(3)];
        // Slots 1 and 3 on one node, 2 and keyless on another.
        let groups = group_by_node(&slots, |slot| {
            Ok(match slot {
                Some(1) | Some(3) => node(0),
                _ => node(1),
            })
        })
        .unwrap();
        assert_eq!(groups, [(node(0), vec![0, 3, 4]), (node(1), vec![1, 2])]);
    }

    fn node(n: usize) -> NodeId {
        // Handles come from a router; make two by seeding one.
        let mut router = redis_sansio::cluster::ClusterRouter::new(Default::default());
        let mut last = None;
        for port in 0..=n {
            last =
                Some(router.add_seed(redis_sansio::cluster::NodeAddr::new("h", port as u16 + 1)));
        }
        last.unwrap()
    }

    #[test]
    fn a_transaction_needs_one_slot() {
        let cmds = [
            cmd::set("{t}a", 1).into_cmd(),
            cmd::incr("{t}b").into_cmd(),
            Cmd::new("PING"),
        ];
        assert_eq!(transaction_slot(&cmds), Ok(Some(key_slot(b"t"))));
        let cmds = [cmd::set("a", 1).into_cmd(), cmd::incr("b").into_cmd()];
        assert!(matches!(
            transaction_slot(&cmds),
            Err(ClusterError::CrossSlot { .. })
        ));
        assert_eq!(transaction_slot(&[Cmd::new("PING")]), Ok(None));
    }

    #[test]
    fn the_probe_reads_the_first_key() {
        let cmds = [Cmd::new("PING"), cmd::incr("{t}b").into_cmd()];
        let exists = probe(&cmds).unwrap();
        let args: Vec<&[u8]> = exists.args().collect();
        assert_eq!(args, [&b"EXISTS"[..], b"{t}b"]);
        assert!(probe(&[Cmd::new("PING")]).is_none());
    }

    #[test]
    fn only_redirects_and_busy_errors_are_taken_over() {
        let error = |text: &str| -> Outcome {
            Err(RequestError::Server(ServerError::new(
                text.to_owned().into(),
            )))
        };
        for text in [
            "MOVED 1 h:1",
            "ASK 1 h:1",
            "TRYAGAIN x",
            "CLUSTERDOWN x",
            "LOADING x",
        ] {
            assert!(redirected(&error(text)).is_some(), "{text}");
        }
        for text in ["ERR x", "WRONGTYPE x", "NOSCRIPT x"] {
            assert!(redirected(&error(text)).is_none(), "{text}");
        }
        assert!(redirected(&Ok(redis_sansio::resp::Frame::Null)).is_none());
        assert!(maybe_moved(&Error::Request(RequestError::Server(
            ServerError::new("EXECABORT Transaction discarded".into())
        ))));
    }

    #[test]
    fn watch_keys_must_share_a_slot() {
        assert_eq!(watch_slot(&["{u}1", "{u}2"]), Ok(Some(key_slot(b"u"))));
        assert!(watch_slot(&["a", "b"]).is_err());
        assert_eq!(watch_slot::<&str>(&[]), Ok(None));
    }
}
