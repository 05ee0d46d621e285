//! `AccumulateGrad`: stores a leaf's gradient into `.grad`.
//!
//! The node is cached *weakly* by its leaf ([`grad_accumulator`]): the graph
//! owns it. While any graph that reaches the leaf is alive, every new graph
//! reuses the same node; once they are all freed the next graph gets a new
//! one (torch 2.15, observed across SGD steps: reused while the previous
//! step's `loss` is still bound, new after `del loss`).
//!
//! Accumulation follows PyTorch's `AccumulateGrad::accumulateGrad` and its
//! "gradient layout contract":
//!
//! * no `.grad` yet, grad mode off, nobody else holds the incoming gradient
//!   (`use_count() <= 1`) and its strides obey the contract → steal it:
//!   `.grad = detach(new_grad)`;
//! * no `.grad` yet otherwise → copy it into a tensor with the leaf's
//!   strides: `new_empty_strided(new_grad, leaf sizes, leaf strides)` then
//!   `copy_` (or `clone(contiguous)` for a leaf that is not dense);
//! * no `.grad` yet and a sparse gradient → `clone` after PyTorch's checks
//!   of its parts (`_indices`, `_values`, `_indices`);
//! * a `.grad` exists and grad mode is off → `add_` in place;
//! * a `.grad` exists and grad mode is on (create_graph) → `.grad = grad + new`.

use std::sync::Arc;

use crate::autograd::node::{InputMetadata, Node, NodeKind};
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::tensor::Tensor;
use crate::tensor::options::MemoryFormat;

/// The leaf this node accumulates into.
pub(crate) struct AccumulateGrad {
    pub(crate) variable: Tensor,
}

/// The AccumulateGrad node of a leaf that requires grad: the cached one if
/// it is still alive, otherwise a new one (which the leaf caches weakly).
pub(crate) fn grad_accumulator(leaf: &Tensor) -> Arc<Node> {
    let mut meta = leaf.0.autograd.lock();
    if let Some(node) = meta.grad_accumulator.upgrade() {
        return node;
    }
    let node = Node::new_complete(
        "AccumulateGrad".to_owned(),
        ft_trace::ACCUMULATE_GRAD_SEQ,
        NodeKind::AccumulateGrad,
        Vec::new(),
        vec![InputMetadata::of(leaf)],
        Box::new(AccumulateGrad {
            variable: leaf.clone(),
        }),
    );
    meta.grad_accumulator = Arc::downgrade(&node);
    node
}

/// The leaf's AccumulateGrad if a live graph (or anyone) still holds it;
/// never creates one (PyTorch's `try_get_grad_accumulator`).
pub(crate) fn live_grad_accumulator(leaf: &Tensor) -> Option<Arc<Node>> {
    leaf.0.autograd.lock().grad_accumulator.upgrade()
}

/// PyTorch's `obeys_layout_contract(grad, variable)`.
fn obeys_layout_contract(grad: &Tensor, variable: &Tensor) -> bool {
    if variable.is_non_overlapping_and_dense() {
        grad.shape()
            .iter()
            .zip(grad.stride())
            .zip(variable.stride())
            .all(|((&size, &gs), &vs)| if size != 1 { gs == vs } else { gs != 0 })
    } else {
        grad.is_contiguous()
    }
}

impl BackwardFn for AccumulateGrad {
    fn leaf(&self) -> Option<Tensor> {
        Some(self.variable.clone())
    }

    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(new_grad) = grads.into_iter().next().flatten() else {
            // No gradient flowed in (a double-backward node computes none
            // for this edge): nothing is stored, but an AccumulateGrad that
            // ran records the leaf's `.grad` if it has one, as the capture
            // does (observed in torch 2.15: ConvolutionBackwardBackward0
            // without `ggW` gives the input's AccumulateGrad no gradient).
            if self.variable.grad().is_some() {
                ctx.rt.trace_accumulate(ctx.node, &self.variable);
            }
            return Ok(Vec::new());
        };
        let variable = self.variable.clone();
        if !variable.requires_grad() {
            return Ok(Vec::new());
        }
        let grad_mode = ctx.rt.is_grad_enabled();
        let current = variable.grad();
        let updated = match current {
            None if new_grad.is_sparse() => Some(ctx.rt.first_sparse_grad(&new_grad, grad_mode)?),
            None => {
                // Only our handle may reference the gradient for it to be stolen.
                let unshared = new_grad.use_count() <= 1 || ctx.rt.faults().steal_held_gradients;
                if !grad_mode && unshared && obeys_layout_contract(&new_grad, &variable) {
                    Some(ctx.rt.detach(&new_grad)?)
                } else if variable.is_non_overlapping_and_dense() {
                    let empty = ctx.rt.new_empty_strided_like(&new_grad, &variable)?;
                    Some(ctx.rt.copy_(&empty, &new_grad)?)
                } else {
                    Some(ctx.rt.clone_tensor(&new_grad, MemoryFormat::Contiguous)?)
                }
            }
            Some(existing) if !grad_mode => {
                ctx.rt.add_(&existing, &new_grad)?;
                None
            }
            Some(existing) => Some(ctx.rt.add(&existing, &new_grad)?),
        };
        if let Some(g) = updated {
            variable.0.autograd.lock().grad = Some(g);
        }
        drop(new_grad);
        ctx.rt.trace_accumulate(ctx.node, &variable);
        ctx.rt.call_post_accumulate_hooks(ctx.node, &variable)?;
        Ok(Vec::new())
    }
}
