//! Backward functions of backward operators (double backward).
//!
//! With `create_graph=True` the operators a backward formula dispatches run
//! with grad mode on, so each records a node of its own. Most of them are
//! ordinary forward operators (`mul`, `mm`, `t`, `sum`, ...); the kernels
//! that exist only for backward (`tanh_backward`, `threshold_backward`,
//! `mse_loss_backward`, ...) get the nodes here, named as PyTorch names them
//! (`TanhBackwardBackward0`), and so does `copy_` (`CopyBackwards`), which
//! AccumulateGrad dispatches when grad mode is on.
//!
//! Each formula makes PyTorch's calls in PyTorch's order (derivatives.yaml
//! and its helpers, observed in torch 2.15 through the ops each node
//! dispatches when a second backward runs through it): gradients in
//! alphabetical order of the inputs' names (`grad_output` before `output`
//! or `self`), and inside one C++ expression the operands of a call or
//! binary operator evaluated right to left.

pub(crate) mod activation;
pub(crate) mod batch_norm;
pub(crate) mod bce;
pub(crate) mod conv;
pub(crate) mod copy;
pub(crate) mod differentiable;
pub(crate) mod glu;
pub(crate) mod loss;
pub(crate) mod norm;
pub(crate) mod not_implemented;
pub(crate) mod pool;
pub(crate) mod shape;
pub(crate) mod softmax;

use crate::autograd::BackwardCtx;
use crate::autograd::saved::SavedVariable;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// Dispatches `op` and returns its tensor result.
fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    ctx.rt.elementwise().call(op, args)
}

/// Unpacks a tensor the node saved because an edge that needs it was
/// live when the node was built.
fn unpack(ctx: &BackwardCtx<'_>, saved: &Option<SavedVariable>) -> Result<Tensor> {
    saved
        .as_ref()
        .ok_or_else(|| RuntimeError::GraphFreed {
            node: ctx.node.name().to_owned(),
        })?
        .unpack(ctx.node)
}

/// Frees an optional saved tensor.
fn release(saved: &mut Option<SavedVariable>) {
    if let Some(s) = saved {
        s.release();
    }
}

/// Saves `t` when `keep`.
pub(crate) fn save_if(keep: bool, t: &Tensor) -> Option<SavedVariable> {
    keep.then(|| SavedVariable::input(t))
}
