//! Nodes the engine makes for itself: `GraphRoot`, the hidden root of a
//! backward call with several roots, and `Identity`, the stand-in output
//! edge of an input that nothing reaches.
//!
//! PyTorch skips it when there is a single root (the root's own node is
//! pushed with the gradient in its input buffer). With several roots it
//! creates one — taking a sequence number — whose edges are the roots in
//! argument order and which simply returns the root gradients.

use std::sync::Arc;

use crate::autograd::node::{Node, NodeKind};
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::tensor::Tensor;

/// Returns the root gradients it was built with.
pub(crate) struct GraphRoot {
    pub(crate) grads: Vec<Option<Tensor>>,
}

impl BackwardFn for GraphRoot {
    fn apply(
        &mut self,
        _ctx: &mut BackwardCtx<'_>,
        _grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        // PyTorch returns a copy and keeps its own: the root gradients stay
        // referenced by the node while the graph task runs.
        Ok(self.grads.clone())
    }
}

/// Passes its inputs through; it is never reached, so never runs.
struct Identity;

impl BackwardFn for Identity {
    fn apply(
        &mut self,
        _ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(grads)
    }
}

/// A fresh `Identity` node with sequence number `seq_nr`: PyTorch gives an
/// input of `torch.autograd.grad` that has no `grad_fn` and no live
/// AccumulateGrad one (it takes a number from the counter; no edge reaches
/// it, so no event names it and its gradient stays undefined).
pub(crate) fn identity_node(seq_nr: u64) -> Arc<Node> {
    Node::new_complete(
        "Identity".to_owned(),
        seq_nr,
        NodeKind::Function,
        Vec::new(),
        Vec::new(),
        Box::new(Identity),
    )
}
