//! Formulas that depend on grad mode: with grad mode on (a backward with
//! `create_graph=True`) PyTorch computes the gradient of `silu` and `mish`
//! with ordinary differentiable operators instead of their backward kernel
//! (`infinitely_differentiable_silu_backward`, `..._mish_backward`), so a
//! second backward can run through them. Observed in torch 2.15, right to
//! left inside each expression; `1.0 - t` is `empty_like(t)`, `fill_(1.0)`,
//! `sub_(t)` (ATen's scalar-minus-tensor operator).

use super::call;
use crate::autograd::BackwardCtx;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// The saved tensor of a formula.
fn need(saved: Option<&Tensor>) -> Result<&Tensor> {
    saved.ok_or_else(|| RuntimeError::autograd("backward formula: saved tensor missing"))
}

/// `1.0 - t` as ATen's C++ operator computes it.
pub(crate) fn one_minus(ctx: &mut BackwardCtx<'_>, t: &Tensor) -> Result<Tensor> {
    let mut ops = ctx.rt.elementwise();
    let out = ops.empty_like_preserve(t)?;
    ops.fill_(&out, IValue::Float(1.0))?;
    ops.sub_(&out, t)
}

/// SiluBackward0: `silu_backward(grad, self)` without grad mode; with it,
/// `grad * sigmoid(self) * (1.0 + self * (1.0 - sigmoid(self)))`.
pub(crate) fn silu(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let x = need(s)?;
    if !ctx.rt.is_grad_enabled() {
        return call(ctx, "aten.silu_backward.default", vec![g.into(), x.into()]);
    }
    let sig = ctx.rt.elementwise().unary("aten.sigmoid.default", x)?;
    let rest = one_minus(ctx, &sig)?;
    let xr = ctx.rt.mul(x, rest.into())?;
    let factor = ctx.rt.elementwise().add_scalar(&xr, IValue::Float(1.0))?;
    let gs = ctx.rt.mul(g, sig.into())?;
    ctx.rt.mul(&gs, factor.into())
}

/// MishBackward0: `mish_backward(grad, self)` without grad mode; with it,
/// `grad * (tanh(sp) + self * sigmoid(self) * (1.0 - tanh(sp)²))` with
/// `sp = log1p(exp(self))`.
pub(crate) fn mish(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let x = need(s)?;
    if !ctx.rt.is_grad_enabled() {
        return call(ctx, "aten.mish_backward.default", vec![g.into(), x.into()]);
    }
    let mut ops = ctx.rt.elementwise();
    let sig = ops.unary("aten.sigmoid.default", x)?;
    let e = ops.unary("aten.exp.default", x)?;
    let sp = ops.unary("aten.log1p.default", &e)?;
    let t = ops.unary("aten.tanh.default", &sp)?;
    let sq = ctx.rt.mul(&t, (&t).into())?;
    let rest = one_minus(ctx, &sq)?;
    let xs = ctx.rt.mul(x, sig.into())?;
    let prod = ctx.rt.mul(&xs, rest.into())?;
    let sum = ctx.rt.add(&t, &prod)?;
    ctx.rt.mul(g, sum.into())
}
