//! Reading a `CLUSTER SLOTS` reply (the fallback for servers before 7.0): one entry
//! per slot range, `[start, end, primary, replicas...]`, each node `[host, port, id?,
//! metadata?]`.

use crate::resp::Frame;

use super::error::TopologyError;
use super::reply_fields::{integer, known_host, list, port_number, slot_range, text};
use super::topology::{Health, NodeAddr, NodeInfo, Role, Shard};

/// The ranges of a `CLUSTER SLOTS` reply, grouped into shards by primary.
pub(super) fn parse(reply: &Frame, answered_host: &str) -> Result<Vec<Shard>, TopologyError> {
    let mut shards: Vec<Shard> = Vec::new();
    for entry in list(reply, "the CLUSTER SLOTS reply")? {
        let items = list(entry, "a CLUSTER SLOTS entry")?;
        let [start, end, primary, replicas @ ..] = items else {
            return Err(TopologyError::MissingField {
                field: "slot range and primary",
            });
        };
        let range = slot_range(integer(start, "slot")?, integer(end, "slot")?)?;
        let primary = slots_node(primary, Role::Primary, answered_host)?;
        let replicas = replicas
            .iter()
            .map(|r| slots_node(r, Role::Replica, answered_host))
            .collect::<Result<Vec<_>, _>>()?;
        match shards.iter_mut().find(|s| s.primary.addr == primary.addr) {
            Some(shard) => {
                shard.slots.push(range);
                for replica in replicas {
                    if !shard.replicas.iter().any(|r| r.addr == replica.addr) {
                        shard.replicas.push(replica);
                    }
                }
            }
            None => shards.push(Shard {
                slots: vec![range],
                primary,
                replicas,
            }),
        }
    }
    Ok(shards)
}

/// One node of a `CLUSTER SLOTS` entry: `[host, port, id?, metadata?]`.
fn slots_node(node: &Frame, role: Role, answered_host: &str) -> Result<NodeInfo, TopologyError> {
    let items = list(node, "a CLUSTER SLOTS node")?;
    let [host, port, rest @ ..] = items else {
        return Err(TopologyError::MissingField {
            field: "node host and port",
        });
    };
    let host = match host.without_attributes() {
        frame if frame.is_null() => answered_host.to_owned(),
        frame => {
            let host = text(frame, "host")?;
            if known_host(&host) {
                host
            } else {
                answered_host.to_owned()
            }
        }
    };
    let id = match rest.first() {
        Some(id) => Some(text(id, "id")?),
        None => None,
    };
    Ok(NodeInfo {
        id,
        addr: NodeAddr::new(host, port_number(integer(port, "port")?)?),
        role,
        health: Health::Unknown,
    })
}
