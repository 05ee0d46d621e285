//! Backward functions, one file per operator family.
//!
//! Each function is a struct holding what PyTorch's generated node of the
//! same name saves, and an `apply` that makes the same operator calls, in
//! the same order, as PyTorch's formula (`derivatives.yaml` plus the helpers
//! in `FunctionsManual.cpp`). Where a formula's maths is not obvious, it is
//! written out in a comment.
//!
//! A node with several differentiable inputs computes their gradients in
//! alphabetical order of the inputs' names, not in argument order (torch
//! 2.15, observed through the values each dispatched op reads):
//! MulBackward0 `other` then `self`, MmBackward0 `mat2` then `self`,
//! AddmmBackward0 `mat1`, `mat2`, `self`. The order shows in the trace
//! whenever both gradients are op calls.

pub(crate) mod accumulate_grad;
pub(crate) mod complex;
pub(crate) mod decomp;
pub(crate) mod double_backward;
pub(crate) mod elementwise;
pub(crate) mod fake_quantize;
pub(crate) mod fft;
pub(crate) mod float_bits;
pub(crate) mod foreach;
pub(crate) mod graph_root;
pub(crate) mod indexing;
pub(crate) mod join;
pub(crate) mod linalg;
pub(crate) mod loss;
pub(crate) mod lu;
pub(crate) mod nn;
pub(crate) mod orthogonal;
pub(crate) mod pointwise;
pub(crate) mod reduce;
pub(crate) mod reduction;
pub(crate) mod rnn;
pub(crate) mod scatter_views;
pub(crate) mod shape;
pub(crate) mod sparse;
pub(crate) mod special;
pub(crate) mod spectral;
pub(crate) mod statistics;
pub(crate) mod take_put;
pub(crate) mod trig;
pub(crate) mod utility;
pub(crate) mod views;
pub(crate) mod zero_tensor;

use crate::autograd::BackwardCtx;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// Whether any incoming gradient is defined (formulas produce no gradient
/// at all otherwise).
pub(crate) fn any_defined(grads: &[Option<Tensor>]) -> bool {
    grads.iter().any(Option::is_some)
}

/// The single incoming gradient of a one-output node, if defined.
pub(crate) fn single(grads: Vec<Option<Tensor>>) -> Option<Tensor> {
    grads.into_iter().next().flatten()
}

/// The results of a backward operator that computes every input's gradient
/// in one call, kept only for the edges that need one.
pub(crate) fn keep_needed(out: Vec<Option<Tensor>>, needs: &[bool]) -> Vec<Option<Tensor>> {
    out.into_iter()
        .zip(needs)
        .map(|(t, &n)| t.filter(|_| n))
        .collect()
}

/// Backward of a one-input, one-output node: `formula(grad)`, or no
/// gradient when none flowed in.
pub(crate) fn one_to_one<'a>(
    ctx: &mut BackwardCtx<'a>,
    grads: Vec<Option<Tensor>>,
    formula: impl FnOnce(&mut BackwardCtx<'a>, Tensor) -> Result<Tensor>,
) -> Result<Vec<Option<Tensor>>> {
    match single(grads) {
        Some(g) => Ok(vec![Some(formula(ctx, g)?)]),
        None => Ok(vec![None]),
    }
}

/// PyTorch's `maybe_multiply(t, s)`: `t` itself when the Scalar `s` is 1,
/// otherwise `mul.Scalar(t, s)`.
pub(crate) fn maybe_multiply(ctx: &mut BackwardCtx<'_>, t: Tensor, s: &IValue) -> Result<Tensor> {
    let is_one = match s {
        IValue::Int(i) => *i == 1,
        IValue::Float(x) => *x == 1.0,
        IValue::Bool(b) => *b,
        _ => false,
    };
    if is_one {
        Ok(t)
    } else {
        ctx.rt.mul_scalar(&t, s.clone())
    }
}
