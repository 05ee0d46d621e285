//! Reverse-mode autograd (packet FT-P2C-004).
//!
//! * [`node`] — graph nodes and edges;
//! * `saved` — tensors saved for backward, with version checks;
//! * `derivatives` — the table "operator → backward node", the one place
//!   that answers "what is the gradient of X"; the formulas live in
//!   `functions`, one file per family, each next to the maths it implements;
//! * `ready_queue` — the engine's priority queue with libstdc++ heap order;
//! * `engine` — GraphTask, dependency counting, the execution loop;
//! * `exec_info` — which nodes a restricted backward runs or captures;
//! * [`hooks`] — backward hooks a program registers, and retained gradients;
//! * [`anomaly`] — anomaly mode and the engine's NaN check of node outputs.
//!
//! Backward formulas compute with ordinary operator calls through the
//! runtime, exactly those PyTorch's formulas make, so their dispatches appear
//! in the trace in the context of the node that made them.

pub mod anomaly;
pub(crate) mod custom;
pub(crate) mod derivatives;
pub(crate) mod engine;
pub(crate) mod exec_info;
pub(crate) mod functions;
pub mod hooks;
pub mod node;
pub(crate) mod ready_queue;
pub(crate) mod reentrant;
pub(crate) mod saved;

use std::sync::Arc;

use crate::error::Result;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use node::Node;

/// The backward computation of a node, with whatever it saved in forward.
pub(crate) trait BackwardFn: Send {
    /// Gradients for the next edges (one per edge, `None` where the edge is
    /// invalid or no gradient flows) from the gradients of the node's inputs.
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>>;

    /// Lets the function keep (some of) the forward outputs.
    fn save_outputs(&mut self, _outputs: &[Tensor]) {}

    /// Frees saved tensors (after a backward without `retain_graph`).
    fn release_variables(&mut self) {}

    /// The leaf an AccumulateGrad node accumulates into.
    fn leaf(&self) -> Option<Tensor> {
        None
    }
}

/// What a backward function may use while it runs.
pub(crate) struct BackwardCtx<'a> {
    /// The runtime, to call operators.
    pub(crate) rt: &'a mut Runtime,
    /// The node being executed.
    pub(crate) node: &'a Arc<Node>,
}

impl BackwardCtx<'_> {
    /// Whether next edge `i` wants a gradient (`task_should_compute_output`):
    /// it is valid and, in a restricted backward (`torch.autograd.grad`,
    /// `backward(inputs=...)`), leads to a node that runs or captures.
    pub(crate) fn needs(&self, i: usize) -> bool {
        self.node
            .next_edges
            .get(i)
            .is_some_and(exec_info::should_compute_edge)
    }
}
