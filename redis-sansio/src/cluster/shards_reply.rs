//! Reading a `CLUSTER SHARDS` reply (Redis 7.0 and later): a list of shards, each a
//! map of `slots` (start, end pairs) and `nodes` (maps of id, port, ip, endpoint,
//! role, health...).

use crate::resp::Frame;

use super::error::TopologyError;
use super::reply_fields::{fields, integer, known_host, list, port_number, slot_pairs, text};
use super::topology::{Health, NodeAddr, NodeInfo, Role, Shard};

/// The shards of a `CLUSTER SHARDS` reply; shards with neither slots nor a primary
/// are left out. With `tls`, a node's `tls-port` is taken where it has one, else its
/// `port`; without, the other way round.
pub(super) fn parse(
    reply: &Frame,
    answered_host: &str,
    tls: bool,
) -> Result<Vec<Shard>, TopologyError> {
    let mut shards = Vec::new();
    for entry in list(reply, "the CLUSTER SHARDS reply")? {
        if let Some(shard) = parse_shard(entry, answered_host, tls)? {
            shards.push(shard);
        }
    }
    Ok(shards)
}

/// One shard: its slot ranges, and its nodes sorted into primary and replicas.
fn parse_shard(
    entry: &Frame,
    answered_host: &str,
    tls: bool,
) -> Result<Option<Shard>, TopologyError> {
    let mut slots = None;
    let mut nodes = None;
    for (key, value) in fields(entry, "a shard")? {
        match key.as_slice() {
            b"slots" => slots = Some(slot_pairs(value)?),
            b"nodes" => nodes = Some(list(value, "a shard's nodes")?),
            _ => {}
        }
    }
    let slots = slots.ok_or(TopologyError::MissingField { field: "slots" })?;
    let nodes = nodes.ok_or(TopologyError::MissingField { field: "nodes" })?;
    let mut primary = None;
    let mut replicas = Vec::new();
    for node in nodes {
        let node = shard_node(node, answered_host, tls)?;
        match node.role {
            // Two primaries in one shard (a failover seen half-way): keep the
            // healthy one.
            Role::Primary => match &primary {
                Some(NodeInfo { health, .. }) if health.is_usable() => replicas.push(node),
                Some(_) => {
                    if let Some(old) = primary.replace(node) {
                        replicas.push(old);
                    }
                }
                None => primary = Some(node),
            },
            Role::Replica => replicas.push(node),
        }
    }
    match primary {
        Some(primary) => Ok(Some(Shard {
            slots,
            primary,
            replicas,
        })),
        None if slots.is_empty() => Ok(None),
        None => Err(TopologyError::NoPrimary),
    }
}

/// One node of a shard: the preferred endpoint (or the answering host), the port of
/// the kind wanted (`tls-port` with `tls`, `port` without; the other when that one is
/// absent or 0), role, health and id.
fn shard_node(node: &Frame, answered_host: &str, tls: bool) -> Result<NodeInfo, TopologyError> {
    let mut id = None;
    let mut port = None;
    let mut tls_port = None;
    let mut ip = None;
    let mut endpoint = None;
    let mut role = None;
    let mut health = Health::Unknown;
    for (key, value) in fields(node, "a node")? {
        match key.as_slice() {
            b"id" => id = Some(text(value, "id")?),
            b"port" => port = Some(integer(value, "port")?),
            b"tls-port" => tls_port = Some(integer(value, "tls-port")?),
            b"ip" => ip = Some(text(value, "ip")?),
            b"endpoint" => endpoint = Some(text(value, "endpoint")?),
            b"role" => {
                role = Some(match text(value, "role")?.as_str() {
                    "master" | "primary" => Role::Primary,
                    "replica" | "slave" => Role::Replica,
                    _ => return Err(TopologyError::InvalidField { field: "role" }),
                });
            }
            b"health" => {
                health = match text(value, "health")?.as_str() {
                    "online" => Health::Online,
                    "failed" => Health::Failed,
                    "loading" => Health::Loading,
                    _ => Health::Unknown,
                };
            }
            _ => {}
        }
    }
    let (wanted, other) = if tls {
        (tls_port, port)
    } else {
        (port, tls_port)
    };
    let port = match (wanted, other) {
        (Some(p), _) if p != 0 => p,
        (_, Some(p)) => p,
        (Some(p), None) => p,
        (None, None) => return Err(TopologyError::MissingField { field: "port" }),
    };
    let host = [endpoint, ip]
        .into_iter()
        .flatten()
        .find(|h| known_host(h))
        .unwrap_or_else(|| answered_host.to_owned());
    Ok(NodeInfo {
        id,
        addr: NodeAddr::new(host, port_number(port)?),
        role: role.ok_or(TopologyError::MissingField { field: "role" })?,
        health,
    })
}
