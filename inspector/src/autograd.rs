//! The Autograd view's model: each GraphTask of a trace, its gradient graph
//! as a tree from its roots, and a ReadyQueue stepper — the queue's contents
//! after each push and pop.
//!
//! The graph is the one the node events declare (`next` edges), walked from
//! the GraphTask's root edges; a node reached a second time is listed once
//! more as a reference, so a DAG reads as a tree without hiding a join. The
//! queue is replayed from the task's own push and pop events: a push adds
//! the entry, a pop removes that node's entry. It is listed in the order the
//! engine pops it — higher `(depth, seq_nr)` first, as a max-heap on that key
//! (AccumulateGrad's seq_nr is the largest).

use ft_trace::{AutogradEvent, Edge, EventBody, QueueEntry};

use crate::trace::TraceData;

/// One GraphTask: where it begins and ends, and its root edges.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphTask {
    /// Position of its `graph_task_begin` event.
    pub begin: usize,
    /// Position of its `graph_task_end` (or `graph_task_error`) event, or
    /// the end of the trace when it never ended.
    pub end: usize,
    /// Root edges, in argument order.
    pub roots: Vec<Edge>,
    /// Reentrant depth.
    pub depth: u32,
}

/// One line of the graph tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeLine {
    /// Nesting depth (0 for a root).
    pub indent: usize,
    /// The node.
    pub node: u64,
    /// Which input of the node the edge feeds.
    pub input_nr: u32,
    /// True when the node was listed earlier (its subtree is not repeated).
    pub seen: bool,
}

/// The queue right after one push or pop.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueStep {
    /// Position of the push or pop event.
    pub position: usize,
    /// True for a push, false for a pop.
    pub push: bool,
    /// The entry pushed or popped.
    pub entry: QueueEntry,
    /// The queue after it, in pop order.
    pub queue: Vec<QueueEntry>,
}

/// Every GraphTask of `data`, in stream order (nested ones included).
pub fn graph_tasks(data: &TraceData) -> Vec<GraphTask> {
    let mut tasks: Vec<GraphTask> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for (position, event) in data.events.iter().enumerate() {
        match &event.body {
            EventBody::Autograd(AutogradEvent::GraphTaskBegin(g)) => {
                open.push(tasks.len());
                tasks.push(GraphTask {
                    begin: position,
                    end: data.events.len(),
                    roots: g.roots.clone(),
                    depth: g.depth,
                });
            }
            EventBody::Autograd(
                AutogradEvent::GraphTaskEnd(_) | AutogradEvent::GraphTaskError(_),
            ) => {
                if let Some(task) = open.pop().and_then(|i| tasks.get_mut(i)) {
                    task.end = position;
                }
            }
            _ => {}
        }
    }
    tasks
}

/// The gradient graph of `task` as tree lines, depth first from its roots.
pub fn tree(data: &TraceData, task: &GraphTask) -> Vec<TreeLine> {
    let lookup = data.lookup();
    let mut lines = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(usize, &Edge)> = task.roots.iter().rev().map(|e| (0, e)).collect();
    while let Some((indent, edge)) = stack.pop() {
        let Some(node) = edge.node else {
            continue;
        };
        let first = seen.insert(node);
        lines.push(TreeLine {
            indent,
            node,
            input_nr: edge.input_nr,
            seen: !first,
        });
        if first && let Some(n) = lookup.node(node) {
            stack.extend(n.next.iter().rev().map(|e| (indent + 1, e)));
        }
    }
    lines
}

/// The ReadyQueue of `task`, step by step (its own pushes and pops only:
/// those at its depth).
pub fn queue_steps(data: &TraceData, task: &GraphTask) -> Vec<QueueStep> {
    let mut queue: Vec<QueueEntry> = Vec::new();
    let mut steps = Vec::new();
    let events = data.events.get(task.begin..task.end).unwrap_or(&[]);
    for (offset, event) in events.iter().enumerate() {
        let (push, entry) = match &event.body {
            EventBody::Autograd(AutogradEvent::Push(q)) if q.depth == task.depth => (true, q),
            EventBody::Autograd(AutogradEvent::Pop(q)) if q.depth == task.depth => (false, q),
            _ => continue,
        };
        if push {
            queue.push(entry.clone());
        } else if let Some(i) = queue.iter().position(|q| q.node == entry.node) {
            queue.remove(i);
        }
        let mut ordered = queue.clone();
        ordered.sort_by_key(|q| std::cmp::Reverse(pop_key(q)));
        steps.push(QueueStep {
            position: task.begin + offset,
            push,
            entry: entry.clone(),
            queue: ordered,
        });
    }
    steps
}

/// The max-heap key: deeper GraphTasks first, then higher sequence numbers
/// (AccumulateGrad's is [`ft_trace::ACCUMULATE_GRAD_SEQ`], `u64::MAX`).
fn pop_key(q: &QueueEntry) -> (u32, u64) {
    (q.depth, q.seq_nr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ft_trace::ACCUMULATE_GRAD_SEQ;

    fn entry(node: u64, seq_nr: u64) -> QueueEntry {
        QueueEntry {
            node,
            depth: 0,
            seq_nr,
            deps: 0,
        }
    }

    #[test]
    fn the_pop_order_is_higher_sequence_numbers_first() {
        let mut q = [entry(1, 3), entry(2, ACCUMULATE_GRAD_SEQ), entry(3, 7)];
        q.sort_by_key(|e| std::cmp::Reverse(pop_key(e)));
        let nodes: Vec<u64> = q.iter().map(|e| e.node).collect();
        assert_eq!(nodes, vec![2, 3, 1]);
    }
}
