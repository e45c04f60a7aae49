//! The nodes the router knows: their handles, addresses and what it has learnt of
//! them. Handles count up and are never reused.

use super::event::NodeId;
use super::topology::{Health, NodeAddr, NodeInfo, Role};

/// One node the router knows of.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) id: NodeId,
    pub(super) addr: NodeAddr,
    /// Given by the application: kept even when the topology does not list it, as a
    /// place to ask for the topology.
    pub(super) seed: bool,
    /// The adapter reported that its connection failed; cleared when a topology says
    /// the node is healthy.
    pub(super) failed: bool,
    /// Its cluster id, once a topology said.
    pub(super) cluster_id: Option<String>,
    /// Its role, once a topology said.
    pub(super) role: Option<Role>,
    pub(super) health: Health,
}

impl Node {
    /// Worth sending requests to: not reported failed, not known to be down.
    pub(super) fn usable(&self) -> bool {
        !self.failed && self.health.is_usable()
    }

    /// Takes in what a topology says of the node; a healthy report clears a failure.
    fn learn(&mut self, info: &NodeInfo) {
        self.cluster_id.clone_from(&info.id);
        self.role = Some(info.role);
        self.health = info.health;
        if info.health.is_usable() {
            self.failed = false;
        }
    }
}

/// The nodes, in the order they were learnt (few enough to search linearly).
#[derive(Debug, Clone, Default)]
pub(super) struct NodeTable {
    nodes: Vec<Node>,
    next_id: u32,
}

impl NodeTable {
    pub(super) fn get(&self, id: NodeId) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub(super) fn get_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.iter_mut().find(|n| n.id == id)
    }

    pub(super) fn by_addr(&self, addr: &NodeAddr) -> Option<NodeId> {
        self.nodes.iter().find(|n| n.addr == *addr).map(|n| n.id)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    pub(super) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The node at `index` in learning order.
    pub(super) fn at(&self, index: usize) -> Option<&Node> {
        self.nodes.get(index)
    }

    /// A new node with a fresh handle.
    pub(super) fn insert(&mut self, addr: NodeAddr, seed: bool) -> NodeId {
        let id = NodeId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        self.nodes.push(Node {
            id,
            addr,
            seed,
            failed: false,
            cluster_id: None,
            role: None,
            health: Health::Unknown,
        });
        id
    }

    /// Updates the node at `info`'s address from `info`; `None` when there is none.
    pub(super) fn learn(&mut self, info: &NodeInfo) -> Option<NodeId> {
        let node = self.nodes.iter_mut().find(|n| n.addr == info.addr)?;
        node.learn(info);
        Some(node.id)
    }

    /// Drops the nodes `keep` refuses and returns their handles.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Node) -> bool) -> Vec<NodeId> {
        let mut gone = Vec::new();
        self.nodes.retain(|n| {
            let kept = keep(n);
            if !kept {
                gone.push(n.id);
            }
            kept
        });
        gone
    }
}
