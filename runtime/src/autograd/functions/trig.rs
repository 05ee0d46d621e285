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

/// SinhBackward0: `grad * self.cosh().conj()`.
pub(crate) fn sinh(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let c = ctx.rt.elementwise().unary("aten.cosh.default", need(s)?)?;
    let c = super::complex::conj_derivative(ctx.rt, &c)?;
    ctx.rt.mul(g, c.into())
}

/// CoshBackward0: `grad * self.sinh().conj()`.
pub(crate) fn cosh(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let sh = ctx.rt.elementwise().unary("aten.sinh.default", need(s)?)?;
    let sh = super::complex::conj_derivative(ctx.rt, &sh)?;
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

/// ErfcBackward0: `-2 / sqrt(pi) * exp(-self.pow(2)) * grad` (`pow`, `neg`,
/// `exp`, `mul.Scalar`, then `mul` with the gradient second).
pub(crate) fn erfc(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let sq = ctx.rt.elementwise().pow_scalar(need(s)?, IValue::Int(2))?;
    let n = ctx.rt.neg(&sq)?;
    let e = ctx.rt.elementwise().unary("aten.exp.default", &n)?;
    let scaled = ctx
        .rt
        .mul_scalar(&e, IValue::Float(-2.0 / std::f64::consts::PI.sqrt()))?;
    ctx.rt.mul(&scaled, g.into())
}

fn unpack(ctx: &BackwardCtx<'_>, saved: &Option<SavedVariable>) -> Result<Tensor> {
    saved
        .as_ref()
        .ok_or_else(|| RuntimeError::GraphFreed {
            node: ctx.node.name().to_owned(),
        })?
        .unpack(ctx.node)
}

/// CopysignBackward0 (`copysign.Tensor`) / CopysignBackward1
/// (`copysign.Scalar`): `other` (Tensor form only) gets
/// `zeros(other.sizes(), grad.options())` first (`pin_memory` unset); `self` gets
/// `copysign_tensor_self_backward(grad, self, result)`: `result / self`
/// with its zeros where `self == 0` (`masked_fill_`), times `grad`.
pub(crate) struct CopysignBackward {
    pub(crate) self_: SavedVariable,
    pub(crate) result: Option<SavedVariable>,
    /// The sizes of `other`, for the Tensor form.
    pub(crate) other_sizes: Option<Vec<i64>>,
}

impl BackwardFn for CopysignBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let width = if self.other_sizes.is_some() { 2 } else { 1 };
        let Some(g) = single(grads) else {
            return Ok(vec![None; width]);
        };
        let mut out = vec![None; width];
        if let Some(sizes) = &self.other_sizes
            && ctx.needs(1)
        {
            out[1] = Some(ctx.rt.elementwise().call(
                "aten.zeros.default",
                vec![
                    IValue::IntList(sizes.clone()),
                    IValue::Dtype(g.dtype()),
                    IValue::Layout(crate::tensor::options::Layout::Strided),
                    IValue::Device(g.device()),
                    IValue::None,
                ],
            )?);
        }
        if ctx.needs(0) {
            let this = self.self_.unpack(ctx.node)?;
            let result = unpack(ctx, &self.result)?;
            let mut ops = ctx.rt.elementwise();
            let ratio = ops.div(&result, (&this).into())?;
            let zero = ops.call("aten.eq.Scalar", vec![(&this).into(), IValue::Int(0)])?;
            ops.call(
                "aten.masked_fill_.Scalar",
                vec![(&ratio).into(), (&zero).into(), IValue::Int(0)],
            )?;
            out[0] = Some(ctx.rt.mul(&g, (&ratio).into())?);
        }
        Ok(out)
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(out) = outputs.first() {
            self.result = Some(SavedVariable::output(out, 0));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        if let Some(r) = &mut self.result {
            r.release();
        }
    }
}

/// FmaxBackward0 / FminBackward0: `other` first, then `self`; each gets
/// `where(self == other, grad / 2, grad)` with zeros where it loses: for
/// fmax, `other` where `(self > other) | other.isnan()` and `self` where
/// `!((self >= other) | other.isnan())` (fmin: `<`, `<=`), the masks built
/// before `grad / 2` (observed in torch 2.15).
pub(crate) struct FmaxFminBackward {
    pub(crate) self_: SavedVariable,
    pub(crate) other: SavedVariable,
    pub(crate) is_max: bool,
}

impl FmaxFminBackward {
    fn share(
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        this: &Tensor,
        other: &Tensor,
        compare: &str,
        negate: bool,
    ) -> Result<Tensor> {
        let mut ops = ctx.rt.elementwise();
        let mask = ops.binary(compare, this, other.into())?;
        let nan = ops.unary("aten.isnan.default", other)?;
        ops.call(
            "aten.logical_or_.default",
            vec![(&mask).into(), (&nan).into()],
        )?;
        if negate {
            ops.call("aten.logical_not_.default", vec![(&mask).into()])?;
        }
        let half = ops.div_scalar(g, IValue::Int(2))?;
        let tie = ops.binary("aten.eq.Tensor", this, other.into())?;
        let split = ops.where_(&tie, &half, g)?;
        ops.masked_fill(&split, &mask, IValue::Int(0))
    }
}

impl BackwardFn for FmaxFminBackward {
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
        let (other_loses, self_wins) = if self.is_max {
            ("aten.gt.Tensor", "aten.ge.Tensor")
        } else {
            ("aten.lt.Tensor", "aten.le.Tensor")
        };
        let mut out = vec![None, None];
        if ctx.needs(1) {
            out[1] = Some(Self::share(ctx, &g, &this, &other, other_loses, false)?);
        }
        if ctx.needs(0) {
            out[0] = Some(Self::share(ctx, &g, &this, &other, self_wins, true)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.other.release();
    }
}
