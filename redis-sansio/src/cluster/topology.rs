//! The cluster's shape, parsed from a `CLUSTER SHARDS` or `CLUSTER SLOTS` reply.
//!
//! Both parsers accept RESP3 (maps) and RESP2 (flat arrays of alternating keys and
//! values), ignore fields they do not know, and answer a malformed reply with a
//! [`TopologyError`], never a panic.

use std::fmt;

use crate::resp::Frame;

use super::error::TopologyError;
use super::slot::SLOT_COUNT;

/// A range of hash slots, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlotRange {
    /// The first slot.
    pub start: u16,
    /// The last slot (included).
    pub end: u16,
}

/// What a node does in its shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// The primary (`master`): it takes writes for the shard's slots.
    Primary,
    /// A replica of the shard's primary.
    Replica,
}

/// How a node is doing, as the node that answered sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Health {
    /// `online`: serving.
    Online,
    /// `failed`: considered down by the cluster.
    Failed,
    /// `loading`: loading its dataset (a replica in initial sync, say).
    Loading,
    /// Not reported (`CLUSTER SLOTS` has no health), or a value this parser does not
    /// know.
    Unknown,
}

impl Health {
    /// Whether the node is worth sending requests to: online, or not known to be
    /// otherwise.
    pub fn is_usable(self) -> bool {
        matches!(self, Health::Online | Health::Unknown)
    }
}

/// A node's TCP endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeAddr {
    /// A host name, an IPv4 address or an IPv6 address (without brackets).
    pub host: String,
    /// The port.
    pub port: u16,
}

impl NodeAddr {
    /// An endpoint.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        NodeAddr {
            host: host.into(),
            port,
        }
    }

    /// Parses `host:port` as a `MOVED`/`ASK` error gives it (`[::1]:7000` for IPv6;
    /// an empty host means `default_host`, the host of the node that answered).
    pub fn parse_redirect(addr: &str, default_host: &str) -> Option<NodeAddr> {
        let (host, port) = addr.rsplit_once(':')?;
        let port = port.parse().ok().filter(|&p: &u16| p != 0)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let host = if host.is_empty() { default_host } else { host };
        Some(NodeAddr::new(host, port))
    }
}

impl fmt::Display for NodeAddr {
    /// `host:port`, with an IPv6 host in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// One node as a topology reply describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node's cluster id (40 hex characters), when the reply gives it.
    pub id: Option<String>,
    /// Where to reach it: the preferred endpoint, or the host of the node that
    /// answered when the endpoint is `""` or `"?"`.
    pub addr: NodeAddr,
    /// Primary or replica.
    pub role: Role,
    /// How it is doing.
    pub health: Health,
}

/// One primary, its replicas and the slots they serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// The slot ranges, in the order the reply gave them.
    pub slots: Vec<SlotRange>,
    /// The primary.
    pub primary: NodeInfo,
    /// The replicas.
    pub replicas: Vec<NodeInfo>,
}

/// The whole cluster: its shards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    /// The shards; a shard without slots (an empty primary) is kept.
    pub shards: Vec<Shard>,
}

impl Topology {
    /// How many slots some shard serves.
    pub fn covered_slots(&self) -> usize {
        self.shards
            .iter()
            .flat_map(|s| &s.slots)
            .map(|r| usize::from(r.end - r.start) + 1)
            .sum()
    }

    /// Parses a `CLUSTER SHARDS` reply (Redis 7.0 and later). `answered_host` is the
    /// host of the node that sent it, used for endpoints given as `""` or `"?"`.
    ///
    /// A shard with slots but no primary, a slot out of range, a missing port or an
    /// error reply is a [`TopologyError`]; so is a reply that covers no slot, or one
    /// slot twice.
    pub fn from_shards(reply: &Frame, answered_host: &str) -> Result<Topology, TopologyError> {
        let mut shards = Vec::new();
        for entry in list(reply, "the CLUSTER SHARDS reply")? {
            if let Some(shard) = parse_shard(entry, answered_host)? {
                shards.push(shard);
            }
        }
        Topology::covering(shards)
    }

    /// Parses a `CLUSTER SLOTS` reply (the fallback for servers before 7.0): one
    /// entry per slot range, grouped here into shards by primary.
    pub fn from_slots(reply: &Frame, answered_host: &str) -> Result<Topology, TopologyError> {
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
        Topology::covering(shards)
    }

    /// Checks that the shards serve some slot, and none twice.
    fn covering(shards: Vec<Shard>) -> Result<Topology, TopologyError> {
        let mut seen = vec![false; usize::from(SLOT_COUNT)];
        let mut any = false;
        for range in shards.iter().flat_map(|s| &s.slots) {
            for slot in range.start..=range.end {
                let claimed =
                    seen.get_mut(usize::from(slot))
                        .ok_or(TopologyError::InvalidSlotRange {
                            start: range.start.into(),
                            end: range.end.into(),
                        })?;
                if std::mem::replace(claimed, true) {
                    return Err(TopologyError::OverlappingSlots { slot });
                }
                any = true;
            }
        }
        if !any {
            return Err(TopologyError::NoSlots);
        }
        Ok(Topology { shards })
    }
}

fn parse_shard(entry: &Frame, answered_host: &str) -> Result<Option<Shard>, TopologyError> {
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
        let node = shard_node(node, answered_host)?;
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

fn shard_node(node: &Frame, answered_host: &str) -> Result<NodeInfo, TopologyError> {
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
    let port = match (port, tls_port) {
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

/// `""` and `"?"` stand for "the host you are connected to" and "unknown".
fn known_host(host: &str) -> bool {
    !host.is_empty() && host != "?"
}

fn port_number(port: i64) -> Result<u16, TopologyError> {
    u16::try_from(port)
        .ok()
        .filter(|&p| p != 0)
        .ok_or(TopologyError::InvalidPort(port))
}

fn slot_range(start: i64, end: i64) -> Result<SlotRange, TopologyError> {
    let valid = 0 <= start && start <= end && end < i64::from(SLOT_COUNT);
    if !valid {
        return Err(TopologyError::InvalidSlotRange { start, end });
    }
    // Both fit: checked against SLOT_COUNT above.
    Ok(SlotRange {
        start: start as u16,
        end: end as u16,
    })
}

/// `CLUSTER SHARDS`' slots: a flat list of start, end pairs.
fn slot_pairs(value: &Frame) -> Result<Vec<SlotRange>, TopologyError> {
    let items = list(value, "a shard's slots")?;
    if items.len() % 2 != 0 {
        return Err(TopologyError::InvalidField { field: "slots" });
    }
    items
        .chunks_exact(2)
        .map(|pair| slot_range(integer(&pair[0], "slot")?, integer(&pair[1], "slot")?))
        .collect()
}

/// An array or set's elements; an error reply becomes [`TopologyError::ErrorReply`].
fn list<'f>(frame: &'f Frame, what: &'static str) -> Result<&'f [Frame], TopologyError> {
    match frame.without_attributes() {
        Frame::Array(items) | Frame::Set(items) => Ok(items),
        other => Err(unexpected(other, what, "an array")),
    }
}

/// A map's entries, or a RESP2 flat array's alternating keys and values; keys are
/// compared in lower case.
fn fields<'f>(
    frame: &'f Frame,
    what: &'static str,
) -> Result<Vec<(Vec<u8>, &'f Frame)>, TopologyError> {
    let key = |k: &Frame| -> Result<Vec<u8>, TopologyError> {
        k.as_bytes()
            .map(|b| b.to_ascii_lowercase())
            .ok_or_else(|| unexpected(k, "a field name", "a string"))
    };
    match frame.without_attributes() {
        Frame::Map(pairs) => pairs.iter().map(|(k, v)| Ok((key(k)?, v))).collect(),
        Frame::Array(items) if items.len() % 2 == 0 => items
            .chunks_exact(2)
            .map(|pair| Ok((key(&pair[0])?, &pair[1])))
            .collect(),
        other => Err(unexpected(other, what, "a map")),
    }
}

fn integer(frame: &Frame, field: &'static str) -> Result<i64, TopologyError> {
    match frame.without_attributes() {
        Frame::Integer(n) => Ok(*n),
        Frame::BulkString(b) | Frame::SimpleString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(TopologyError::InvalidField { field }),
        other => Err(unexpected(other, field, "an integer")),
    }
}

fn text(frame: &Frame, field: &'static str) -> Result<String, TopologyError> {
    match frame.without_attributes() {
        Frame::BulkString(b) | Frame::SimpleString(b) | Frame::Verbatim { text: b, .. } => {
            String::from_utf8(b.to_vec()).map_err(|_| TopologyError::InvalidField { field })
        }
        other => Err(unexpected(other, field, "a string")),
    }
}

fn unexpected(found: &Frame, what: &'static str, expected: &'static str) -> TopologyError {
    match found {
        Frame::SimpleError(message) | Frame::BulkError(message) => {
            TopologyError::ErrorReply(String::from_utf8_lossy(message).into_owned())
        }
        other => TopologyError::Unexpected {
            what,
            expected,
            found: frame_kind(other),
        },
    }
}

fn frame_kind(frame: &Frame) -> &'static str {
    match frame {
        Frame::SimpleString(_) => "a simple string",
        Frame::SimpleError(_) | Frame::BulkError(_) => "an error",
        Frame::Integer(_) => "an integer",
        Frame::BulkString(_) => "a bulk string",
        Frame::Verbatim { .. } => "a verbatim string",
        Frame::Null | Frame::NullBulk | Frame::NullArray => "null",
        Frame::Double(_) => "a double",
        Frame::Boolean(_) => "a boolean",
        Frame::BigNumber(_) => "a big number",
        Frame::Array(_) => "an array",
        Frame::Map(_) => "a map",
        Frame::Set(_) => "a set",
        Frame::Push(_) => "a push",
        _ => "another kind of value",
    }
}
