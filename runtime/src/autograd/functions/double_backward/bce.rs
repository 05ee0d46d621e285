//! `BinaryCrossEntropyBackwardBackward0`, the node of
//! `binary_cross_entropy_backward(grad_output, self, target, weight,
//! reduction)`, edges `[grad_output, self, target]`, with PyTorch's three
//! helpers (observed in torch 2.15; `eps = 1e-12`):
//!
//! * `grad_output`: `(self - target) / ((self + eps) * (1 - self + eps))`
//!   times `grad` (and `weight`), divided by `self.numel()` for the mean;
//! * `self`: `(self² - 2·self·target + target) / ((self + eps)² (1 - self +
//!   eps)²)` times `grad * grad_output` (and `weight`), divided likewise;
//! * `target`: `-grad * grad_output` (times `weight`) divided by
//!   `clamp_min((1 - self) * self, eps)` (clamped without grad mode), then
//!   in place by `target.numel()` for the mean.
//!
//! PyTorch multiplies in place unless a tensor is "subclass-like", which
//! every tensor is while a Python dispatch mode is active, as in a capture:
//! the runtime follows [`crate::Runtime::is_dispatch_mode_active`].

use super::super::single;
use super::{call, release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

const EPS: f64 = 1e-12;
/// PyTorch's `Reduction::Mean`.
const MEAN: i64 = 1;

/// `binary_cross_entropy_backward(grad_output, self, target, weight, reduction)`.
pub(crate) struct BinaryCrossEntropyBackwardBackward0 {
    pub(crate) reduction: i64,
    pub(crate) grad_output: Option<SavedVariable>,
    pub(crate) self_: Option<SavedVariable>,
    pub(crate) target: Option<SavedVariable>,
    pub(crate) weight: Option<SavedVariable>,
}

/// `1 - t` (`empty_like`, `fill_(1)`, `sub_`).
fn one_minus(ctx: &mut BackwardCtx<'_>, t: &Tensor) -> Result<Tensor> {
    let mut ops = ctx.rt.elementwise();
    let out = ops.empty_like_preserve(t)?;
    ops.fill_(&out, IValue::Int(1))?;
    ops.sub_(&out, t)
}

/// `a *= b`: in place, or out of place for subclass-like tensors.
fn times(ctx: &mut BackwardCtx<'_>, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if ctx.rt.is_dispatch_mode_active() {
        ctx.rt.mul(a, b.into())
    } else {
        call(ctx, "aten.mul_.Tensor", vec![a.into(), b.into()])
    }
}

impl BinaryCrossEntropyBackwardBackward0 {
    fn weighted(&self, ctx: &mut BackwardCtx<'_>, t: Tensor) -> Result<Tensor> {
        match &self.weight {
            Some(_) => {
                let w = unpack(ctx, &self.weight)?;
                times(ctx, &t, &w)
            }
            None => Ok(t),
        }
    }

    /// `t / input.numel()` for the mean.
    fn mean(&self, ctx: &mut BackwardCtx<'_>, t: Tensor, x: &Tensor) -> Result<Tensor> {
        if self.reduction != MEAN {
            return Ok(t);
        }
        ctx.rt
            .elementwise()
            .div_scalar(&t, IValue::Int(x.numel() as i64))
    }

    fn grad_output_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<Tensor> {
        let om = one_minus(ctx, x)?;
        let om = ctx.rt.elementwise().add_scalar(&om, IValue::Float(EPS))?;
        let xp = ctx.rt.elementwise().add_scalar(x, IValue::Float(EPS))?;
        let denom = ctx.rt.mul(&xp, om.into())?;
        let num = ctx.rt.elementwise().sub(x, y)?;
        let ggo = ctx.rt.elementwise().div(&num, denom.into())?;
        let ggo = times(ctx, &ggo, g)?;
        let ggo = self.weighted(ctx, ggo)?;
        self.mean(ctx, ggo, x)
    }

    fn self_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        go: &Tensor,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<Tensor> {
        let xp = ctx.rt.elementwise().add_scalar(x, IValue::Float(EPS))?;
        let om = one_minus(ctx, x)?;
        let om = ctx.rt.elementwise().add_scalar(&om, IValue::Float(EPS))?;
        let om2 = ctx.rt.elementwise().pow_scalar(&om, IValue::Int(2))?;
        let xp2 = ctx.rt.elementwise().pow_scalar(&xp, IValue::Int(2))?;
        let denom = ctx.rt.mul(&xp2, om2.into())?;
        let two_x = ctx.rt.mul_scalar(x, IValue::Int(2))?;
        let two_xy = ctx.rt.mul(&two_x, y.into())?;
        let xx = ctx.rt.mul(x, x.into())?;
        let num = ctx.rt.elementwise().sub(&xx, &two_xy)?;
        let num = ctx.rt.add(&num, y)?;
        let gi = ctx.rt.elementwise().div(&num, denom.into())?;
        let gg = ctx.rt.mul(g, go.into())?;
        let gi = times(ctx, &gi, &gg)?;
        let gi = self.weighted(ctx, gi)?;
        self.mean(ctx, gi, x)
    }

    fn target_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        go: &Tensor,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<Tensor> {
        let n = ctx.rt.neg(g)?;
        let res = ctx.rt.mul(&n, go.into())?;
        let res = self.weighted(ctx, res)?;
        let om = one_minus(ctx, x)?;
        let denom = times(ctx, &om, x)?;
        let grad_mode = ctx.rt.is_grad_enabled();
        ctx.rt.set_grad_enabled_internal(false);
        let clamped = call(
            ctx,
            "aten.clamp_min_.default",
            vec![(&denom).into(), IValue::Float(EPS)],
        );
        ctx.rt.set_grad_enabled_internal(grad_mode);
        clamped?;
        let res = if ctx.rt.is_dispatch_mode_active() {
            ctx.rt.elementwise().div(&res, (&denom).into())?
        } else {
            ctx.rt.elementwise().div_(&res, &denom)?
        };
        if self.reduction != MEAN {
            return Ok(res);
        }
        call(
            ctx,
            "aten.div_.Scalar",
            vec![(&res).into(), IValue::Int(y.numel() as i64)],
        )
    }
}

impl BackwardFn for BinaryCrossEntropyBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let x = unpack(ctx, &self.self_)?;
        let y = unpack(ctx, &self.target)?;
        let mut out = vec![None, None, None];
        if ctx.needs(0) {
            out[0] = Some(self.grad_output_grad(ctx, &g, &x, &y)?);
        }
        if ctx.needs(1) {
            let go = unpack(ctx, &self.grad_output)?;
            out[1] = Some(self.self_grad(ctx, &g, &go, &x, &y)?);
        }
        if ctx.needs(2) {
            let go = unpack(ctx, &self.grad_output)?;
            out[2] = Some(self.target_grad(ctx, &g, &go, &x, &y)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_output);
        release(&mut self.self_);
        release(&mut self.target);
        release(&mut self.weight);
    }
}
