//! Backward formulas of `sinh`, `cosh`, `tan`, `atan`, `asin`, `acos`, `atan2`,
//! `asinh`, `acosh`, `atanh` (and the failing nodes of the last three's
//! in-place forms)
//! (PyTorch's derivatives.yaml, real dtypes: `conj()` is the identity and
//! dispatches nothing). Each is a [`super::elementwise::UnaryFormula`] for a
//! [`super::elementwise::Unary`] node.

use super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// The saved tensor of a formula.
fn need(saved: Option<&Tensor>) -> Result<&Tensor> {
    saved.ok_or_else(|| RuntimeError::autograd("backward formula: saved tensor missing"))
}

/// SinhBackward0: `grad * self.cosh()`.
pub(crate) fn sinh(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let c = ctx.rt.elementwise().unary("aten.cosh.default", need(s)?)?;
    ctx.rt.mul(g, c.into())
}

/// CoshBackward0: `grad * self.sinh()`.
pub(crate) fn cosh(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let sh = ctx.rt.elementwise().unary("aten.sinh.default", need(s)?)?;
    ctx.rt.mul(g, sh.into())
}

/// TanBackward0: `grad * (1 + result.pow(2))`.
pub(crate) fn tan(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let sq = ctx.rt.elementwise().pow_scalar(need(s)?, IValue::Int(2))?;
    let plus = ctx.rt.elementwise().add_scalar(&sq, IValue::Int(1))?;
    ctx.rt.mul(g, plus.into())
}

/// AtanBackward0: `grad / (self * self + 1)`.
pub(crate) fn atan(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let x = need(s)?;
    let sq = ctx.rt.mul(x, x.into())?;
    let plus = ctx.rt.elementwise().add_scalar(&sq, IValue::Int(1))?;
    ctx.rt.elementwise().div(g, plus.into())
}

/// `(-self * self + 1).rsqrt()`, shared by asin and acos.
fn inv_sqrt_one_minus_square(ctx: &mut BackwardCtx<'_>, x: &Tensor) -> Result<Tensor> {
    let n = ctx.rt.neg(x)?;
    let sq = ctx.rt.mul(&n, x.into())?;
    let plus = ctx.rt.elementwise().add_scalar(&sq, IValue::Int(1))?;
    ctx.rt.elementwise().unary("aten.rsqrt.default", &plus)
}

/// AsinBackward0: `grad * (-self * self + 1).rsqrt()`.
pub(crate) fn asin(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let r = inv_sqrt_one_minus_square(ctx, need(s)?)?;
    ctx.rt.mul(g, r.into())
}

/// AcosBackward0: `grad * -((-self * self + 1).rsqrt())`.
pub(crate) fn acos(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let r = inv_sqrt_one_minus_square(ctx, need(s)?)?;
    let n = ctx.rt.neg(&r)?;
    ctx.rt.mul(g, n.into())
}

/// Atan2Backward0: PyTorch's `atan2_backward` — `recip = (self * self +
/// other * other).reciprocal()` (0 where the denominator is 0), then `grad * other * recip` for `self` and
/// `grad * -self * recip` for `other` (broadcast gradients are summed to
/// each input's shape by the engine).
pub(crate) struct Atan2Backward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) other: SavedVariable,
}

impl BackwardFn for Atan2Backward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let this = self.self_.unpack(ctx.node)?;
        let other = self.other.unpack(ctx.node)?;
        // Observed in torch 2.15: `other * other` is evaluated first, and a
        // zero denominator's reciprocal is replaced by 0.
        let sq_other = ctx.rt.mul(&other, (&other).into())?;
        let sq_self = ctx.rt.mul(&this, (&this).into())?;
        let mut ops = ctx.rt.elementwise();
        let sum = ops.binary("aten.add.Tensor", &sq_self, (&sq_other).into())?;
        let inv = ops.unary("aten.reciprocal.default", &sum)?;
        let zero = ops.binary("aten.eq.Scalar", &sum, IValue::Int(0))?;
        let recip = ops.masked_fill(&inv, &zero, IValue::Int(0))?;
        let mut out = vec![None, None];
        if ctx.needs(0) {
            let t = ctx.rt.mul(&g, (&other).into())?;
            out[0] = Some(ctx.rt.mul(&t, (&recip).into())?);
        }
        if ctx.needs(1) {
            let n = ctx.rt.neg(&this)?;
            let t = ctx.rt.mul(&g, n.into())?;
            out[1] = Some(ctx.rt.mul(&t, (&recip).into())?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.other.release();
    }
}

/// AsinhBackward0: `grad * (self.pow(2) + 1).rsqrt()`.
pub(crate) fn asinh(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let sq = ctx.rt.elementwise().pow_scalar(need(s)?, IValue::Int(2))?;
    let plus = ctx.rt.elementwise().add_scalar(&sq, IValue::Int(1))?;
    let r = ctx.rt.elementwise().unary("aten.rsqrt.default", &plus)?;
    ctx.rt.mul(g, r.into())
}

/// AcoshBackward0: `grad * (self * self - 1).rsqrt()` (observed in torch
/// 2.15: `mul(self, self)`, then `sub.Scalar`).
pub(crate) fn acosh(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let x = need(s)?;
    let sq = ctx.rt.mul(x, x.into())?;
    let minus = ctx.rt.elementwise().sub_scalar(&sq, IValue::Int(1))?;
    let r = ctx.rt.elementwise().unary("aten.rsqrt.default", &minus)?;
    ctx.rt.mul(g, r.into())
}

/// AtanhBackward0: `grad * 1 / (1 - self.pow(2))`, in the order PyTorch's
/// compiled formula dispatches it (observed in torch 2.15): `pow`, then
/// `1 - ·` as `empty_like(·).fill_(1).sub_(·)`, then `grad * 1`
/// (`mul.Scalar`), then `div`.
pub(crate) fn atanh(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let mut ops = ctx.rt.elementwise();
    let sq = ops.pow_scalar(need(s)?, IValue::Int(2))?;
    let denom = ops.empty_like_preserve(&sq)?;
    ops.fill_(&denom, IValue::Int(1))?;
    ops.sub_(&denom, &sq)?;
    let scaled = ctx.rt.mul_scalar(g, IValue::Int(1))?;
    ctx.rt.elementwise().div(&scaled, denom.into())
}

/// AsinhBackward1 / AcoshBackward1 / AtanhBackward1, the nodes of the
/// in-place `asinh_`, `acosh_`, `atanh_`: PyTorch declares them
/// `not_implemented("inplace version of ...")`; the node is recorded and
/// raises NotImplementedError when it runs with a gradient.
pub(crate) struct InplaceNotImplemented {
    /// The functional form's name (`atanh`).
    pub(crate) function: &'static str,
}

impl BackwardFn for InplaceNotImplemented {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if grads.iter().all(Option::is_none) {
            return Ok(vec![None]);
        }
        // PyTorch raises NotImplementedError: an error of the program.
        Err(RuntimeError::KernelDtype {
            op: ctx.node.name().to_owned(),
            message: format!(
                "the derivative for 'inplace version of {}' is not implemented.",
                self.function
            ),
        })
    }
}
