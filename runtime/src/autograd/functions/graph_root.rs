//! `GraphRoot`: the hidden root of a backward call with several roots.
//!
//! PyTorch skips it when there is a single root (the root's own node is
//! pushed with the gradient in its input buffer). With several roots it
//! creates one — taking a sequence number — whose edges are the roots in
//! argument order and which simply returns the root gradients.

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
