//! Multi-key commands whose keys span slots, split into one command per slot: the
//! commands the specification marks `request_policy:multi_shard` (`MGET`, `MSET`,
//! `DEL`, `EXISTS`, `UNLINK`, `TOUCH` in Redis 7.2), and the one reply made from
//! their parts' replies as its `response_policy` says (`MGET`'s values back in the
//! keys' order, sums for `DEL`, `EXISTS`, `UNLINK` and `TOUCH`, `MSET` succeeding
//! when every part did).
//!
//! Written once for both cluster clients: each sends [`Split::parts`] as a pipeline
//! split by node (their `pipeline` machinery, so every part follows redirects and
//! retries as a single command does) and hands the outcomes to [`Split::merge`].

use redis_io_async::Outcome;
use redis_sansio::Cmd;
use redis_sansio::cluster::{ReadFrom, key_slot};
use redis_sansio::resp::Frame;

use super::batch::group_in_order;
use super::fanout::{self, Combine, ResponsePolicy};
use super::route::read_from;
use crate::keys::{BeginSearch, FindKeys, KeySpec, RequestPolicy, command_info_of};
use crate::{ConversionError, Error};

/// A multi-key command cut into one command per slot, and how to put the replies
/// back together. Made by [`Split::of`] when a command's keys turn out to span
/// slots; pure data, no IO.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Split {
    /// One command per slot: the original's arguments before its first key, then
    /// the key groups of that slot in their original order.
    parts: Vec<Cmd>,
    /// Each part's slot, as pipelines take them.
    slots: Vec<Option<u16>>,
    /// For each part, the indices of its key groups among all of them.
    groups: Vec<Vec<usize>>,
    /// How many key groups (keys, or `MSET`'s key-value pairs) the command had.
    key_groups: usize,
    /// How the parts' replies make one.
    merge: Merge,
}

/// How the replies of a split command's parts make its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Merge {
    /// No `response_policy` tip (`MGET`): each part answers an array, one element
    /// per key; the elements go back to their keys' places.
    InKeyOrder,
    /// As the tip says, through the keyless fan-out's [`fanout::combine`].
    Combine(Combine),
}

impl Split {
    /// The per-slot split of `cmd`, when it is a command marked
    /// `request_policy:multi_shard` whose keys span more than one slot; `None` for any
    /// other command, which then goes (or is refused) as before.
    ///
    /// The command's key spec must be the plain shape every such command of the
    /// specification has: keys from a fixed index to the end, every `step`
    /// arguments, each key followed by its `step - 1` arguments (`MSET`'s value).
    /// Arguments that do not fill whole groups, or a `response_policy` of
    /// `special`, give `None` too.
    pub(crate) fn of(cmd: &Cmd) -> Option<Split> {
        let info = command_info_of(cmd)?;
        if info.request_policy != RequestPolicy::MultiShard {
            return None;
        }
        let merge = match fanout::response_policy(info) {
            ResponsePolicy::Default => Merge::InKeyOrder,
            ResponsePolicy::Combine(combine) => Merge::Combine(combine),
            ResponsePolicy::Special => return None,
        };
        let [
            KeySpec {
                begin_search: BeginSearch::Index(first),
                find_keys:
                    FindKeys::Range {
                        last_key: -1,
                        step,
                        limit: 0,
                    },
                ..
            },
        ] = info.key_specs
        else {
            return None;
        };
        let first = usize::try_from(*first).ok().filter(|f| *f > 0)?;
        let step = usize::try_from(*step).ok().filter(|s| *s > 0)?;
        let args: Vec<&[u8]> = cmd.args().collect();
        if args.len() <= first || (args.len() - first) % step != 0 {
            return None;
        }
        let (head, tail) = args.split_at(first);
        let key_groups: Vec<&[&[u8]]> = tail.chunks(step).collect();
        let by_slot = group_in_order(key_groups.iter(), |group| {
            Ok::<_, std::convert::Infallible>(key_slot(group[0]))
        })
        .ok()?;
        if by_slot.len() < 2 {
            return None;
        }
        let parts = by_slot
            .iter()
            .map(|(_, indices)| {
                let mut part = Cmd::from_args(head.iter().copied());
                for &index in indices {
                    part.push_args(key_groups[index].iter().copied());
                }
                part
            })
            .collect();
        let slots = by_slot.iter().map(|(slot, _)| Some(*slot)).collect();
        let groups = by_slot.into_iter().map(|(_, indices)| indices).collect();
        Some(Split {
            parts,
            slots,
            groups,
            key_groups: key_groups.len(),
            merge,
        })
    }

    /// The commands to send, one per slot, in the order their slots' first keys
    /// came.
    pub(crate) fn parts(&self) -> &[Cmd] {
        &self.parts
    }

    /// Each part's slot, in [`parts`](Self::parts)' order.
    pub(crate) fn slots(&self) -> &[Option<u16>] {
        &self.slots
    }

    /// Where the parts may go: `preferred` when the command is flagged `readonly`
    /// (`MGET`, `EXISTS`, `TOUCH`), the primary otherwise, as for the whole command.
    pub(crate) fn reads(&self, preferred: ReadFrom) -> ReadFrom {
        self.parts
            .first()
            .map_or(ReadFrom::Primary, |part| read_from(part, preferred))
    }

    /// The command's one reply from the parts' `outcomes` (in
    /// [`parts`](Self::parts)' order, as a cluster pipeline returns them). A call
    /// that failed as a whole fails the command; otherwise the first part that got
    /// an error (a server error stays the typed [`Error::Request`] it is) makes the
    /// command fail with that error, whatever the other parts did.
    pub(crate) fn merge(&self, outcomes: Result<Vec<Outcome>, Error>) -> Result<Frame, Error> {
        let replies = outcomes?.into_iter().map(|o| o.map_err(Error::Request));
        match self.merge {
            Merge::Combine(combine) => fanout::combine(combine, replies.collect()),
            Merge::InKeyOrder => {
                let mut values = vec![Frame::Null; self.key_groups];
                let mut parts = 0;
                for (reply, groups) in replies.zip(&self.groups) {
                    let items = match unattributed(reply?) {
                        Frame::Array(items) if items.len() == groups.len() => items,
                        other => return Err(mismatch(groups.len(), &other)),
                    };
                    for (item, &index) in items.into_iter().zip(groups) {
                        values[index] = item;
                    }
                    parts += 1;
                }
                if parts != self.groups.len() {
                    return Err(fanout::no_reply());
                }
                Ok(Frame::Array(values))
            }
        }
    }
}

/// `frame` without the RESP3 attributes around it.
fn unattributed(mut frame: Frame) -> Frame {
    while let Frame::Attributed { value, .. } = frame {
        frame = *value;
    }
    frame
}

fn mismatch(keys: usize, got: &Frame) -> Error {
    Error::Conversion(ConversionError::new(
        "an array with one element per key from every slot",
        format!("{keys} keys, {got:?}"),
    ))
}

#[cfg(test)]
mod tests {
    use redis_sansio::{RequestError, ServerError};

    use super::*;
    use crate::cmd;

    fn args(cmd: &Cmd) -> Vec<String> {
        cmd.args()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    /// Keys in three slots, `A` and `A2` sharing one.
    const A: &str = "{a}1";
    const B: &str = "{b}1";
    const A2: &str = "{a}2";
    const C: &str = "{c}1";

    fn bulk(text: &str) -> Frame {
        Frame::bulk(text.to_owned())
    }

    fn server_error(text: &str) -> RequestError {
        RequestError::Server(ServerError::new(text.to_owned().into()))
    }

    #[test]
    fn keys_group_by_slot_in_first_seen_order() {
        let split = Split::of(cmd::mget([A, B, A2, C]).cmd()).unwrap();
        let parts: Vec<Vec<String>> = split.parts().iter().map(args).collect();
        assert_eq!(
            parts,
            [vec!["MGET", A, A2], vec!["MGET", B], vec!["MGET", C]]
        );
        assert_eq!(
            split.slots(),
            [
                Some(key_slot(b"a")),
                Some(key_slot(b"b")),
                Some(key_slot(b"c"))
            ]
        );
    }

    #[test]
    fn mset_keeps_each_value_with_its_key() {
        let split = Split::of(cmd::mset([(A, "1"), (B, "2"), (A2, "3")]).cmd()).unwrap();
        let parts: Vec<Vec<String>> = split.parts().iter().map(args).collect();
        assert_eq!(parts, [vec!["MSET", A, "1", A2, "3"], vec!["MSET", B, "2"]]);
        // A value that hashes elsewhere does not move its pair.
        let split = Split::of(cmd::mset([(A, B), (B, A)]).cmd()).unwrap();
        let parts: Vec<Vec<String>> = split.parts().iter().map(args).collect();
        assert_eq!(parts, [vec!["MSET", A, B], vec!["MSET", B, A]]);
        // An odd argument count is no whole set of pairs: not split (refused).
        let odd = Cmd::new("MSET").arg(A).arg("1").arg(B);
        assert_eq!(Split::of(&odd), None);
    }

    #[test]
    fn only_multi_shard_commands_across_slots_are_split() {
        for name in ["DEL", "EXISTS", "UNLINK", "TOUCH", "mget"] {
            let cmd = Cmd::new(name).arg(A).arg(B);
            assert!(Split::of(&cmd).is_some(), "{name}");
        }
        // One slot: nothing to split.
        assert_eq!(Split::of(cmd::mget([A, A2]).cmd()), None);
        assert_eq!(Split::of(cmd::del([A]).cmd()), None);
        // No multi_shard tip: refused as before.
        assert_eq!(Split::of(&Cmd::new("SUNION").arg(A).arg(B)), None);
        assert_eq!(
            Split::of(&Cmd::new("MSETNX").arg(A).arg(1).arg(B).arg(2)),
            None
        );
        assert_eq!(Split::of(&Cmd::new("RENAME").arg(A).arg(B)), None);
        assert_eq!(Split::of(&Cmd::new("MGET")), None);
        assert_eq!(Split::of(&Cmd::new("NOSUCH").arg(A).arg(B)), None);
    }

    #[test]
    fn mget_values_come_back_in_the_keys_order() {
        let split = Split::of(cmd::mget([A, B, A2, C]).cmd()).unwrap();
        // Parts: [A, A2], [B], [C]; C is missing.
        let outcomes = vec![
            Ok(Frame::Array(vec![bulk("a1"), bulk("a2")])),
            Ok(Frame::Array(vec![bulk("b1")])),
            Ok(Frame::Array(vec![Frame::Null])),
        ];
        assert_eq!(
            split.merge(Ok(outcomes)).unwrap(),
            Frame::Array(vec![bulk("a1"), bulk("b1"), bulk("a2"), Frame::Null])
        );
        // A part with the wrong number of values is an error, not a misplaced value.
        let outcomes = vec![
            Ok(Frame::Array(vec![bulk("a1")])),
            Ok(Frame::Array(vec![bulk("b1")])),
            Ok(Frame::Array(vec![Frame::Null])),
        ];
        assert!(matches!(
            split.merge(Ok(outcomes)),
            Err(Error::Conversion(_))
        ));
        // A missing part too.
        let outcomes = vec![Ok(Frame::Array(vec![bulk("a1"), bulk("a2")]))];
        assert!(split.merge(Ok(outcomes)).is_err());
    }

    #[test]
    fn counts_sum_and_mset_needs_every_part() {
        let del = Split::of(cmd::del([A, B, C]).cmd()).unwrap();
        let counts = vec![
            Ok(Frame::Integer(1)),
            Ok(Frame::Integer(0)),
            Ok(Frame::Integer(1)),
        ];
        assert_eq!(del.merge(Ok(counts)).unwrap(), Frame::Integer(2));
        let exists = Split::of(&Cmd::new("EXISTS").arg(A).arg(B)).unwrap();
        let counts = vec![Ok(Frame::Integer(3)), Ok(Frame::Integer(4))];
        assert_eq!(exists.merge(Ok(counts)).unwrap(), Frame::Integer(7));

        let mset = Split::of(cmd::mset([(A, "1"), (B, "2")]).cmd()).unwrap();
        let ok = || Ok(Frame::simple("OK"));
        assert_eq!(
            mset.merge(Ok(vec![ok(), ok()])).unwrap(),
            Frame::simple("OK")
        );
        let failed = mset
            .merge(Ok(vec![ok(), Err(server_error("OOM no memory"))]))
            .unwrap_err();
        assert!(failed.to_string().contains("OOM"), "{failed}");
    }

    #[test]
    fn an_error_in_one_part_is_the_commands_error() {
        let split = Split::of(cmd::mget([A, B]).cmd()).unwrap();
        let outcomes = vec![
            Ok(Frame::Array(vec![bulk("a1")])),
            Err(server_error(
                "NOPERM no permissions to access one of the keys",
            )),
        ];
        let error = split.merge(Ok(outcomes)).unwrap_err();
        assert_eq!(
            error.server_error().map(|e| e.kind().clone()),
            Some(redis_sansio::ServerErrorKind::NoPerm)
        );
        let del = Split::of(cmd::del([A, B]).cmd()).unwrap();
        let outcomes = vec![Err(server_error("ERR first")), Ok(Frame::Integer(1))];
        let error = del.merge(Ok(outcomes)).unwrap_err();
        assert!(error.to_string().contains("ERR first"), "{error}");
        // A failure of the whole call is passed on.
        let whole = Error::Closed(redis_sansio::CloseReason::Local);
        assert!(matches!(del.merge(Err(whole)), Err(Error::Closed(_))));
    }

    #[test]
    fn readonly_parts_may_go_to_replicas() {
        let mget = Split::of(cmd::mget([A, B]).cmd()).unwrap();
        assert_eq!(mget.reads(ReadFrom::PreferReplica), ReadFrom::PreferReplica);
        let del = Split::of(cmd::del([A, B]).cmd()).unwrap();
        assert_eq!(del.reads(ReadFrom::PreferReplica), ReadFrom::Primary);
    }
}
