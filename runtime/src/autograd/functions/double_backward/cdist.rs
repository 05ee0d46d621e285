//! `CdistBackwardBackward0`, the node of `_cdist_backward(grad, x1, x2, p,
//! cdist)` (the gradient of `torch.cdist` for `x1`; `x2`'s is the same
//! kernel on the transposed gradient and distances), edges `[grad, x1, x2,
//! cdist]`, receiving `gg` (shaped like `x1`). Observed in torch 2.15, in
//! this dispatch order, with `zero = (cdist == 0)`:
//!
//! * `p = 2`: `w = (grad / cdist).masked_fill(zero, 0)`, `v = ((gg·x1).sum(-1,
//!   keepdim) − gg @ x2ᵀ) / cdist` masked alike; `grad` gets `v`, `cdist`
//!   `−(w·v)`, `x1` `gg·w.sum(-1, keepdim)` and `x2` `−(wᵀ @ gg)` (matmul as
//!   `at::matmul` decomposes it);
//! * `p = 1`: `grad` gets `(gg.unsqueeze(-2)·sgn(x1.unsqueeze(-2) −
//!   x2.unsqueeze(-3))).sum(-1)` (`zero` computed first, unused), the others
//!   `zeros_like` each (`x1`, `x2`, `cdist`).
//!
//! Other norms are refused when the node runs.

use super::{release, unpack};
use crate::autograd::functions::decomp::{matmul, mh};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

pub(crate) struct CdistBackwardBackward0 {
    pub(crate) grad: Option<SavedVariable>,
    pub(crate) x1: Option<SavedVariable>,
    pub(crate) x2: Option<SavedVariable>,
    pub(crate) p: f64,
    pub(crate) cdist: Option<SavedVariable>,
}

impl BackwardFn for CdistBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(gg) = grads.into_iter().next().flatten() else {
            return Ok(vec![None; 4]);
        };
        let needs: Vec<bool> = (0..4).map(|i| ctx.needs(i)).collect();
        let grad = unpack(ctx, &self.grad)?;
        let x1 = unpack(ctx, &self.x1)?;
        let x2 = unpack(ctx, &self.x2)?;
        let cdist = unpack(ctx, &self.cdist)?;
        let out = if self.p == 2.0 {
            euclidean(ctx, &gg, &grad, &x1, &x2, &cdist)?
        } else if self.p == 1.0 {
            manhattan(ctx, &gg, &x1, &x2, &cdist)?
        } else {
            return Err(RuntimeError::unsupported(
                "aten._cdist_backward.default",
                format!("the double backward of cdist with p={}", self.p),
            ));
        };
        Ok(out
            .into_iter()
            .zip(needs)
            .map(|(g, need)| g.filter(|_| need))
            .collect())
    }

    fn release_variables(&mut self) {
        release(&mut self.grad);
        release(&mut self.x1);
        release(&mut self.x2);
        release(&mut self.cdist);
    }
}

/// `t / cdist` with the entries where `cdist == 0` set to zero.
fn safe_div(
    ctx: &mut BackwardCtx<'_>,
    t: &Tensor,
    cdist: &Tensor,
    zero: &Tensor,
) -> Result<Tensor> {
    let mut ops = ctx.rt.elementwise();
    let q = ops.div(t, cdist.into())?;
    ops.masked_fill(&q, zero, IValue::Int(0))
}

/// The `p = 2` gradients `[grad, x1, x2, cdist]`.
fn euclidean(
    ctx: &mut BackwardCtx<'_>,
    gg: &Tensor,
    grad: &Tensor,
    x1: &Tensor,
    x2: &Tensor,
    cdist: &Tensor,
) -> Result<Vec<Option<Tensor>>> {
    let zero = ctx
        .rt
        .elementwise()
        .binary("aten.eq.Scalar", cdist, IValue::Int(0))?;
    let w = safe_div(ctx, grad, cdist, &zero)?;
    let x2t = mh(ctx.rt, x2)?;
    let cross = matmul(ctx.rt, gg, &x2t)?;
    let own = ctx.rt.mul(gg, x1.into())?;
    let own = ctx.rt.sum_dim(&own, vec![-1], true)?;
    let diff = ctx.rt.elementwise().sub(&own, &cross)?;
    let v = safe_div(ctx, &diff, cdist, &zero)?;
    let wv = ctx.rt.mul(&w, (&v).into())?;
    let d_cdist = ctx.rt.neg(&wv)?;
    let rows = ctx.rt.sum_dim(&w, vec![-1], true)?;
    let d_x1 = ctx.rt.mul(gg, rows.into())?;
    let wt = mh(ctx.rt, &w)?;
    let back = matmul(ctx.rt, &wt, gg)?;
    let d_x2 = if ctx.rt.faults().cdist_double_backward_keeps_x2_sign {
        back
    } else {
        ctx.rt.neg(&back)?
    };
    Ok(vec![Some(v), Some(d_x1), Some(d_x2), Some(d_cdist)])
}

/// The `p = 1` gradients `[grad, x1, x2, cdist]`.
fn manhattan(
    ctx: &mut BackwardCtx<'_>,
    gg: &Tensor,
    x1: &Tensor,
    x2: &Tensor,
    cdist: &Tensor,
) -> Result<Vec<Option<Tensor>>> {
    let mut ops = ctx.rt.elementwise();
    ops.binary("aten.eq.Scalar", cdist, IValue::Int(0))?;
    let x2u = ctx.rt.unsqueeze(x2, -3)?;
    let x1u = ctx.rt.unsqueeze(x1, -2)?;
    let mut ops = ctx.rt.elementwise();
    let diff = ops.sub(&x1u, &x2u)?;
    let sign = ops.unary("aten.sgn.default", &diff)?;
    let ggu = ctx.rt.unsqueeze(gg, -2)?;
    let prod = ctx.rt.mul(&ggu, sign.into())?;
    let d_grad = ctx.rt.sum_dim(&prod, vec![-1], false)?;
    let mut ops = ctx.rt.elementwise();
    let d_x1 = ops.zeros_like(x1)?;
    let d_x2 = ops.zeros_like(x2)?;
    let d_cdist = ops.zeros_like(cdist)?;
    Ok(vec![Some(d_grad), Some(d_x1), Some(d_x2), Some(d_cdist)])
}
