//! Gradient-graph isomorphism: are the autograd graphs the same shape?
//!
//! Every node gets a Merkle-style canonical hash of its name and, in edge
//! order, the input numbers and canonical hashes of its next nodes. Edges
//! always point at nodes created earlier, so one pass in creation order
//! computes all hashes (no recursion, linear time, fine for 100k-node
//! graphs). Nodes match when their hashes match, counted as multisets.
//! Unmatched nodes whose children all matched are the root causes and are
//! named. For graphs small enough whose hashes all match, petgraph's VF2
//! confirms the isomorphism; graphs whose hashes differ are not searched.

use std::collections::HashMap;

use ft_trace::{AutogradEvent, Digest, Event, EventBody, NodeCreated};
use petgraph::algo::is_isomorphic_matching;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::describe::describe;
use crate::report::{CheckResult, Divergence};
use crate::trace_data::TraceView;

/// Largest graph (in nodes) that VF2 is asked to confirm; its memory grows
/// quadratically.
const VF2_LIMIT: usize = 2000;

struct GraphIndex<'a> {
    /// Node events in creation order, with their event index.
    nodes: Vec<(usize, &'a NodeCreated)>,
    /// Canonical hash per node id.
    hashes: HashMap<u64, Digest>,
    /// Whether each node's hash has a counterpart on the other side.
    graph: DiGraph<String, u32>,
}

fn index<'a>(events: &'a [Event]) -> GraphIndex<'a> {
    let nodes: Vec<(usize, &NodeCreated)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) => Some((i, n)),
            _ => None,
        })
        .collect();
    let unknown = Digest::of(b"undeclared node");
    let mut hashes: HashMap<u64, Digest> = HashMap::with_capacity(nodes.len());
    let mut graph = DiGraph::with_capacity(nodes.len(), nodes.len() * 2);
    let mut gidx: HashMap<u64, NodeIndex> = HashMap::with_capacity(nodes.len());
    for (_, n) in &nodes {
        let mut h = blake3::Hasher::new();
        h.update(n.name.as_bytes());
        h.update(&(n.next.len() as u64).to_le_bytes());
        for edge in &n.next {
            h.update(&edge.input_nr.to_le_bytes());
            match edge.node {
                Some(id) => h.update(&hashes.get(&id).unwrap_or(&unknown).0),
                None => h.update(b"none"),
            };
        }
        hashes.insert(n.node, Digest(*h.finalize().as_bytes()));
        gidx.insert(n.node, graph.add_node(n.name.clone()));
    }
    for (_, n) in &nodes {
        for edge in &n.next {
            if let (Some(&from), Some(to)) =
                (gidx.get(&n.node), edge.node.and_then(|id| gidx.get(&id)))
            {
                graph.add_edge(from, *to, edge.input_nr);
            }
        }
    }
    GraphIndex {
        nodes,
        hashes,
        graph,
    }
}

/// Compares the autograd graphs of two traces.
pub fn compare(expected: &TraceView<'_>, actual: &TraceView<'_>) -> CheckResult {
    let exp = index(&expected.data.events);
    let act = index(&actual.data.events);
    let mut available: HashMap<Digest, usize> = HashMap::new();
    for h in act.hashes.values() {
        *available.entry(*h).or_default() += 1;
    }
    let mut exp_unmatched = Vec::new();
    let mut matched = 0;
    for (i, n) in &exp.nodes {
        let h = exp.hashes[&n.node];
        match available.get_mut(&h) {
            Some(c) if *c > 0 => {
                *c -= 1;
                matched += 1;
            }
            _ => exp_unmatched.push((*i, *n)),
        }
    }
    let mut expected_left: HashMap<Digest, usize> = HashMap::new();
    for (_, n) in &exp.nodes {
        *expected_left.entry(exp.hashes[&n.node]).or_default() += 1;
    }
    let mut act_unmatched = Vec::new();
    for (i, n) in &act.nodes {
        let h = act.hashes[&n.node];
        match expected_left.get_mut(&h) {
            Some(c) if *c > 0 => *c -= 1,
            _ => act_unmatched.push((*i, *n)),
        }
    }

    let mut result = CheckResult {
        name: "graph",
        expected: exp.nodes.len(),
        actual: act.nodes.len(),
        matched,
        ..CheckResult::default()
    };
    // Root causes: unmatched nodes whose next nodes all matched (or are none).
    let is_root_cause = |n: &NodeCreated, unmatched: &[(usize, &NodeCreated)]| {
        !n.next.iter().any(|e| {
            e.node
                .is_some_and(|id| unmatched.iter().any(|(_, u)| u.node == id))
        })
    };
    let exp_roots: Vec<_> = exp_unmatched
        .iter()
        .filter(|(_, n)| is_root_cause(n, &exp_unmatched))
        .collect();
    let act_roots: Vec<_> = act_unmatched
        .iter()
        .filter(|(_, n)| is_root_cause(n, &act_unmatched))
        .collect();
    let pairs = exp_roots.len().max(act_roots.len());
    for k in 0..pairs {
        let e = exp_roots.get(k);
        let a = act_roots.get(k);
        let text = |side: Option<&&(usize, &NodeCreated)>, view: &TraceView<'_>| {
            side.and_then(|(i, _)| view.data.events.get(*i))
                .map(|ev| describe(ev, view))
        };
        let (kind, message) = match (text(e, expected), text(a, actual)) {
            (Some(et), Some(at)) => ("changed", format!("expected {et}; actual {at}")),
            (Some(et), None) => (
                "missing",
                format!("{et} has no counterpart in the actual graph"),
            ),
            (None, Some(at)) => ("extra", format!("the actual graph has an extra {at}")),
            (None, None) => continue,
        };
        result.divergences.push(Divergence {
            check: "graph",
            kind,
            expected_seq: e
                .and_then(|(i, _)| expected.data.events.get(*i))
                .map(|ev| ev.seq),
            actual_seq: a
                .and_then(|(i, _)| actual.data.events.get(*i))
                .map(|ev| ev.seq),
            message,
        });
    }
    let unexplained = exp_unmatched.len() + act_unmatched.len();
    if unexplained > 0 && result.divergences.is_empty() {
        result.divergences.push(Divergence {
            check: "graph",
            kind: "mismatch",
            expected_seq: None,
            actual_seq: None,
            message: format!("{unexplained} nodes differ in how they are connected"),
        });
    }

    let components = petgraph::algo::connected_components(&exp.graph);
    if unexplained > 0 {
        // The hashes already prove the graphs differ; a VF2 search of two
        // graphs that are not isomorphic can take exponential time (a
        // renamed node in a 1,500-node graph ran for minutes).
        result.note = format!("{components} graph(s); canonical hashes differ (VF2 not run)");
    } else if exp.graph.node_count() <= VF2_LIMIT && act.graph.node_count() <= VF2_LIMIT {
        let iso = is_isomorphic_matching(&exp.graph, &act.graph, |a, b| a == b, |a, b| a == b);
        result.note = format!(
            "{components} graph(s); VF2 {}",
            if iso {
                "confirms isomorphism"
            } else {
                "finds the graphs not isomorphic"
            }
        );
        if !iso && result.divergences.is_empty() {
            result.divergences.push(Divergence {
                check: "graph",
                kind: "mismatch",
                expected_seq: None,
                actual_seq: None,
                message:
                    "canonical hashes agree but VF2 finds no isomorphism (shared subgraphs differ)"
                        .into(),
            });
        }
    } else {
        result.note = format!("{components} graph(s); canonical hashes only (too large for VF2)");
    }
    result
}
