//! `GluBackwardBackward0`, the node of `glu_backward(grad_output, self,
//! dim)`, edges `[grad_output, self]` (observed in torch 2.15):
//!
//! * `grad_output`: `grad * glu_backward(ones(half sizes), self, dim)` (the
//!   dim wrapped), its two halves along `dim` added (`narrow` as `slice`,
//!   the second half first);
//! * `self`: PyTorch's `glu_double_backward` on the halves `a`, `b` of
//!   `self` (dim as given), `s = sigmoid(b)`: the first half's gradient
//!   `gg_b * go * s(1 - s)`, the second's `gg_b * a * go * (s(1-s)(1-s) -
//!   s * s(1-s)) + gg_a * go * s(1-s)`, concatenated.

use super::super::single;
use super::{call, release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::options::Layout;

/// `glu_backward(grad_output, self, dim)`.
pub(crate) struct GluBackwardBackward0 {
    pub(crate) dim: i64,
    /// Saved when `self` needs a gradient.
    pub(crate) grad_output: Option<SavedVariable>,
    pub(crate) self_: Option<SavedVariable>,
}

/// `t.narrow(dim, start, len)` (a `slice.Tensor`).
fn narrow(ctx: &mut BackwardCtx<'_>, t: &Tensor, dim: i64, start: i64, len: i64) -> Result<Tensor> {
    ctx.rt.narrow(t, dim, start, len)
}

/// `1 - t` as ATen's scalar-minus-tensor operator computes it.
fn one_minus(ctx: &mut BackwardCtx<'_>, t: &Tensor) -> Result<Tensor> {
    let mut ops = ctx.rt.elementwise();
    let out = ops.empty_like_preserve(t)?;
    ops.fill_(&out, IValue::Int(1))?;
    ops.sub_(&out, t)
}

impl GluBackwardBackward0 {
    fn wrapped_dim(&self, x: &Tensor) -> i64 {
        if self.dim < 0 {
            self.dim + x.dim() as i64
        } else {
            self.dim
        }
    }

    fn grad_output_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        x: &Tensor,
    ) -> Result<Tensor> {
        let dim = self.wrapped_dim(x);
        let mut sizes = x.shape().to_vec();
        let half = sizes.get(dim as usize).copied().unwrap_or(0) / 2;
        if let Some(s) = sizes.get_mut(dim as usize) {
            *s = half;
        }
        let args = vec![
            IValue::IntList(sizes),
            IValue::Dtype(x.dtype()),
            IValue::Layout(Layout::Strided),
            IValue::Device(x.device()),
        ];
        let ones = call(ctx, "aten.ones.default", args)?;
        let args = vec![(&ones).into(), x.into(), IValue::Int(dim)];
        let back = call(ctx, "aten.glu_backward.default", args)?;
        let tmp = ctx.rt.mul(g, back.into())?;
        let second = narrow(ctx, &tmp, dim, half, half)?;
        let first = narrow(ctx, &tmp, dim, 0, half)?;
        ctx.rt.add(&first, &second)
    }

    fn self_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        go: &Tensor,
        x: &Tensor,
    ) -> Result<Tensor> {
        let dim = self.dim;
        let half = x
            .shape()
            .get(self.wrapped_dim(x) as usize)
            .copied()
            .unwrap_or(0)
            / 2;
        let a = narrow(ctx, x, dim, 0, half)?;
        let b = narrow(ctx, x, dim, half, half)?;
        let s = ctx.rt.elementwise().unary("aten.sigmoid.default", &b)?;
        let one_sub = one_minus(ctx, &s)?;
        let s1s = ctx.rt.mul(&s, (&one_sub).into())?;
        let gg_a = narrow(ctx, g, dim, 0, half)?;
        let gg_b = narrow(ctx, g, dim, half, half)?;
        let gg_b_a = ctx.rt.mul(&gg_b, (&a).into())?;
        let t = ctx.rt.mul(&gg_b, go.into())?;
        let gi_first = ctx.rt.mul(&t, (&s1s).into())?;
        let right = ctx.rt.mul(&s, (&s1s).into())?;
        let left = ctx.rt.mul(&s1s, one_sub.into())?;
        let second_order = ctx.rt.elementwise().sub(&left, &right)?;
        let t = ctx.rt.mul(&gg_a, go.into())?;
        let from_a = ctx.rt.mul(&t, (&s1s).into())?;
        let t = ctx.rt.mul(&gg_b_a, go.into())?;
        let from_b = ctx.rt.mul(&t, second_order.into())?;
        let gi_second = ctx.rt.add(&from_b, &from_a)?;
        ctx.rt.cat(vec![gi_first, gi_second], dim)
    }
}

impl BackwardFn for GluBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let x = unpack(ctx, &self.self_)?;
        let mut out = vec![None, None];
        if ctx.needs(0) {
            out[0] = Some(self.grad_output_grad(ctx, &g, &x)?);
        }
        if ctx.needs(1) {
            let go = unpack(ctx, &self.grad_output)?;
            out[1] = Some(self.self_grad(ctx, &g, &go, &x)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_output);
        release(&mut self.self_);
    }
}
