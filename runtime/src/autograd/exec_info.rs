//! Which nodes a restricted backward runs (PyTorch's `GraphTask::exec_info_`).
//!
//! A plain `backward()` runs every node reachable from its roots and has no
//! exec info. `torch.autograd.grad` and `backward(inputs=...)` give the
//! engine *output edges* (one per input) and it marks:
//!
//! * **needed** — the root (GraphRoot or the single root's node), with
//!   `accumulate` the output edges' nodes, and every node from which a node
//!   that is needed or captures is reachable;
//! * **captures** — without `accumulate`, each output edge's node keeps the
//!   gradient arriving at the edge's input slot as output number *i*.
//!
//! The engine pushes only successors that are needed or capture; a node
//! that captures but is not needed is popped, hands over its gradients and
//! runs nothing. Backward formulas ask [`should_compute_edge`] which of
//! their gradients to compute (`task_should_compute_output`), so a pruned
//! MmBackward0 dispatches one `mm`. Observed in torch 2.15:
//! `autograd.grad(y, [w1])` through `tanh(x @ w1) @ w2` pops w1's
//! AccumulateGrad without running it and computes only w1's gradient in the
//! first MmBackward0.
//!
//! PyTorch also skips expanding nodes whose topological number is below
//! every output's; such nodes cannot reach an output, so plain
//! reachability gives the same marks and the same dependency counts for
//! every node that is pushed.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::Mutex;

use super::node::{Edge, Node, NodeKind};
use crate::tensor::Tensor;

fn key(node: &Node) -> usize {
    std::ptr::from_ref(node) as usize
}

/// One node's marks.
#[derive(Default)]
struct Entry {
    needed: bool,
    /// `(input slot, output number)` pairs this node captures.
    captures: Vec<(usize, usize)>,
}

/// The marks of one GraphTask; empty for a plain `backward()`.
#[derive(Default)]
pub(crate) struct ExecInfo {
    entries: HashMap<usize, Entry>,
    /// Nodes a running CopySlices marked as needed after the marking: the
    /// node its wrapped function's first edge leads to, which the walk from
    /// the root does not reach (PyTorch's
    /// `add_node_to_current_graph_task_exec_info`).
    added: Mutex<HashSet<usize>>,
    /// A deliberate fault: capture as marked, but run every node.
    run_all: bool,
}

impl ExecInfo {
    /// Marks the graph below `root` for `outputs` (PyTorch's `init_to_execute`).
    pub(crate) fn build(root: &Arc<Node>, outputs: &[Edge], accumulate: bool) -> ExecInfo {
        let mut entries: HashMap<usize, Entry> = HashMap::new();
        entries.entry(key(root)).or_default().needed = true;
        for (output_nr, edge) in outputs.iter().enumerate() {
            let Some(node) = &edge.function else { continue };
            let entry = entries.entry(key(node)).or_default();
            if accumulate {
                entry.needed = true;
            } else {
                entry.captures.push((edge.input_nr as usize, output_nr));
            }
        }
        let mut info = ExecInfo {
            entries,
            added: Mutex::default(),
            run_all: false,
        };
        info.mark_needed(root);
        info
    }

    /// The fault `ignore_exec_info`: every reachable node runs, as in a
    /// plain backward; captures stay as marked.
    pub(crate) fn running_all(mut self) -> ExecInfo {
        self.run_all = true;
        self
    }

    /// Marks as needed every node below `root` from which a node that runs
    /// or captures is reachable (iterative post-order walk).
    fn mark_needed(&mut self, root: &Arc<Node>) {
        let mut seen: HashSet<usize> = HashSet::new();
        seen.insert(key(root));
        // (node, index of the next edge to look at)
        let mut stack: Vec<(Arc<Node>, usize)> = vec![(Arc::clone(root), 0)];
        while let Some((node, next)) = stack.pop() {
            let child = node.next_edges.get(next).map(|e| e.function.clone());
            match child {
                Some(child) => {
                    stack.push((Arc::clone(&node), next + 1));
                    let Some(child) = child else { continue };
                    if seen.insert(key(&child)) {
                        stack.push((child, 0));
                    } else if self.should_execute(&child) {
                        self.entries.entry(key(&node)).or_default().needed = true;
                    }
                }
                None => {
                    // All children are final: propagate to the parent.
                    if self.should_execute(&node)
                        && let Some((parent, _)) = stack.last()
                    {
                        self.entries.entry(key(parent)).or_default().needed = true;
                    }
                }
            }
        }
    }

    /// True for a plain `backward()`: every reachable node runs.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the node is pushed when it becomes ready (runs or captures).
    pub(crate) fn should_execute(&self, node: &Node) -> bool {
        self.is_empty()
            || self.run_all
            || self
                .entries
                .get(&key(node))
                .is_some_and(|e| e.needed || !e.captures.is_empty())
            || self.added.lock().contains(&key(node))
    }

    /// Whether the node's function runs when it is popped.
    pub(crate) fn needed(&self, node: &Node) -> bool {
        self.is_empty()
            || self.run_all
            || self.entries.get(&key(node)).is_some_and(|e| e.needed)
            || self.added.lock().contains(&key(node))
    }

    /// Whether a running backward function would compute nothing: none of
    /// its edges leads to a node that runs or captures. PyTorch's formulas
    /// compute each gradient under `task_should_compute_output`, so such a
    /// node dispatches no op (observed in torch 2.15: `backward(inputs=[h])`
    /// with `h = relu(...)` runs ReluBackward0 — its retain-grad hook stores
    /// `h.grad` — without `threshold_backward`).
    pub(crate) fn computes_nothing(&self, node: &Node) -> bool {
        !self.is_empty()
            && !self.run_all
            && node.kind() == NodeKind::Function
            && !node.next_edges.iter().any(|e| {
                e.function
                    .as_ref()
                    .is_some_and(|next| self.should_execute(next))
            })
    }

    /// Stores the gradients `node` captures into `captured`.
    pub(crate) fn capture(
        &self,
        node: &Node,
        inputs: &[Option<Tensor>],
        captured: &mut [Option<Tensor>],
    ) {
        let Some(entry) = self.entries.get(&key(node)) else {
            return;
        };
        for &(slot, output_nr) in &entry.captures {
            if let (Some(grad), Some(out)) = (inputs.get(slot), captured.get_mut(output_nr)) {
                out.clone_from(grad);
            }
        }
    }
}

thread_local! {
    /// The exec info of the GraphTask this thread is running (PyTorch's
    /// thread-local current graph task), consulted by backward formulas.
    static CURRENT: RefCell<Option<Arc<ExecInfo>>> = const { RefCell::new(None) };
}

/// Makes `info` the running GraphTask's until the guard drops.
pub(crate) struct CurrentGuard {
    previous: Option<Arc<ExecInfo>>,
}

impl CurrentGuard {
    pub(crate) fn enter(info: Arc<ExecInfo>) -> CurrentGuard {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(info));
        CurrentGuard { previous }
    }
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Marks `node` as needed in the running GraphTask's exec info when that
/// is restricted and the walk from the root did not reach `node`. A
/// CopySlices calls it for its wrapped function's first edge before
/// running the function, when its own first gradient (the base's) is
/// wanted: that edge leads to the view's former node, which no path from
/// the root reaches, so the function computes its `self` gradient
/// (observed in torch 2.15: CopyBackwards' `zeros_like` under
/// `torch.autograd.grad` through a circular pad's slice copies).
pub(crate) fn add_to_current(node: &Node) {
    CURRENT.with(|c| {
        if let Some(info) = c.borrow().as_ref()
            && !info.is_empty()
            && !info.entries.contains_key(&key(node))
        {
            info.added.lock().insert(key(node));
        }
    });
}

/// Whether a gradient along `edge` is wanted by the running GraphTask
/// (PyTorch's `Node::task_should_compute_output`): the edge is valid and,
/// in a restricted backward, leads to a node that runs or captures.
pub(crate) fn should_compute_edge(edge: &Edge) -> bool {
    let Some(next) = &edge.function else {
        return false;
    };
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .is_none_or(|info| info.should_execute(next))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autograd::BackwardCtx;
    use crate::autograd::BackwardFn;
    use crate::error::Result;

    struct Pass;

    impl BackwardFn for Pass {
        fn apply(
            &mut self,
            _ctx: &mut BackwardCtx<'_>,
            grads: Vec<Option<Tensor>>,
        ) -> Result<Vec<Option<Tensor>>> {
            Ok(grads)
        }
    }

    fn node(name: &str, next: &[&Arc<Node>]) -> Arc<Node> {
        let edges = next.iter().map(|n| Edge::new(Arc::clone(n), 0)).collect();
        Node::new_complete(
            name.to_owned(),
            0,
            NodeKind::Function,
            edges,
            Vec::new(),
            Box::new(Pass),
        )
    }

    /// root -> a -> leaf, root -> b: asking for `leaf` runs root and a only.
    #[test]
    fn only_nodes_above_an_output_run() {
        let leaf = node("Leaf", &[]);
        let a = node("A", &[&leaf]);
        let b = node("B", &[]);
        let root = node("Root", &[&a, &b]);
        let info = ExecInfo::build(&root, &[Edge::new(Arc::clone(&leaf), 0)], false);
        assert!(info.needed(&root) && info.needed(&a));
        assert!(!info.needed(&b) && !info.should_execute(&b));
        assert!(!info.needed(&leaf) && info.should_execute(&leaf));
        assert!(info.computes_nothing(&b) && !info.computes_nothing(&a));
    }

    /// With `accumulate` the output's node runs; one captured above another
    /// captured output runs as well.
    #[test]
    fn outputs_run_with_accumulate_or_when_they_lead_to_another() {
        let leaf = node("Leaf", &[]);
        let mid = node("Mid", &[&leaf]);
        let root = node("Root", &[&mid]);
        let accumulate = ExecInfo::build(&root, &[Edge::new(Arc::clone(&leaf), 0)], true);
        assert!(accumulate.needed(&leaf) && accumulate.needed(&mid));
        let outputs = [
            Edge::new(Arc::clone(&mid), 0),
            Edge::new(Arc::clone(&leaf), 0),
        ];
        let captured = ExecInfo::build(&root, &outputs, false);
        assert!(captured.needed(&mid) && !captured.needed(&leaf));
        assert!(ExecInfo::default().needed(&leaf));
    }
}
