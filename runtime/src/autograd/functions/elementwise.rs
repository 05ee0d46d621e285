//! Backward functions of the elementwise, activation, comparison and logic
//! operators.
//!
//! One-input nodes share [`Unary`]: a saved tensor (an input, or the
//! forward result), the node's scalar parameters, and a formula making
//! PyTorch's calls in PyTorch's order. Nodes with several differentiable
//! inputs compute their gradients in alphabetical order of the inputs'
//! names (observed in torch 2.15, see [`super`]); inside one formula, the
//! operands of a C++ call are evaluated right to left (observed: `where(self
//! > min, grad, scalar_tensor(0))` dispatches `scalar_tensor` before `gt`).

use super::pointwise::SavedOperand;
use super::{maybe_multiply, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::options::MemoryFormat;

/// A one-gradient formula: `(ctx, grad, saved tensor, parameters)`.
pub(crate) type UnaryFormula =
    fn(&mut BackwardCtx<'_>, &Tensor, Option<&Tensor>, &[IValue]) -> Result<Tensor>;

/// What a [`Unary`] node keeps.
pub(crate) enum Keep {
    /// Nothing.
    Nothing,
    /// An input (self, or a mask).
    Input(SavedVariable),
    /// The forward result (saved when the outputs are known).
    Result(Option<SavedVariable>),
}

/// A node with one differentiable input.
pub(crate) struct Unary {
    pub(crate) keep: Keep,
    pub(crate) params: Vec<IValue>,
    pub(crate) formula: UnaryFormula,
}

impl Unary {
    /// A node saving nothing.
    pub(crate) fn plain(params: Vec<IValue>, formula: UnaryFormula) -> Unary {
        Unary {
            keep: Keep::Nothing,
            params,
            formula,
        }
    }

    /// A node saving input `t`.
    pub(crate) fn input(t: &Tensor, params: Vec<IValue>, formula: UnaryFormula) -> Unary {
        Unary {
            keep: Keep::Input(SavedVariable::input(t)),
            params,
            formula,
        }
    }

    /// A node saving the forward result.
    pub(crate) fn result(params: Vec<IValue>, formula: UnaryFormula) -> Unary {
        Unary {
            keep: Keep::Result(None),
            params,
            formula,
        }
    }
}

fn freed(ctx: &BackwardCtx<'_>) -> RuntimeError {
    RuntimeError::GraphFreed {
        node: ctx.node.name().to_owned(),
    }
}

fn unpack(ctx: &BackwardCtx<'_>, saved: &Option<SavedVariable>) -> Result<Tensor> {
    saved.as_ref().ok_or_else(|| freed(ctx))?.unpack(ctx.node)
}

impl BackwardFn for Unary {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let saved = match &self.keep {
            Keep::Nothing => None,
            Keep::Input(s) => Some(s.unpack(ctx.node)?),
            Keep::Result(s) => Some(unpack(ctx, s)?),
        };
        Ok(vec![Some((self.formula)(
            ctx,
            &g,
            saved.as_ref(),
            &self.params,
        )?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let (Keep::Result(slot), Some(out)) = (&mut self.keep, outputs.first()) {
            *slot = Some(SavedVariable::output(out, 0));
        }
    }

    fn release_variables(&mut self) {
        match &mut self.keep {
            Keep::Nothing => {}
            Keep::Input(s) => s.release(),
            Keep::Result(s) => {
                if let Some(s) = s {
                    s.release();
                }
            }
        }
    }
}

/// The saved tensor of a formula that needs one.
fn need(saved: Option<&Tensor>) -> Result<&Tensor> {
    saved.ok_or_else(|| RuntimeError::autograd("backward formula: saved tensor missing"))
}

fn param(params: &[IValue], i: usize) -> IValue {
    params.get(i).cloned().unwrap_or(IValue::None)
}

fn as_f64(v: &IValue) -> Option<f64> {
    match v {
        IValue::Int(i) => Some(*i as f64),
        IValue::Float(x) => Some(*x),
        IValue::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

// -- one-input formulas --------------------------------------------------------

/// `grad` itself (AddBackward1, SubBackward1, RemainderBackward0).
pub(crate) fn identity(
    _: &mut BackwardCtx<'_>,
    g: &Tensor,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    Ok(g.clone())
}

/// RsubBackward1: `maybe_multiply(-grad, alpha)`.
pub(crate) fn rsub_self(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    _: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let n = ctx.rt.neg(g)?;
    maybe_multiply(ctx, n, &param(p, 0))
}

/// DivBackward1 (`div.Scalar`): `grad / other` (`div.Scalar`).
pub(crate) fn div_by_scalar(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    _: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    ctx.rt.elementwise().div_scalar(g, param(p, 0))
}

/// DivBackward3 (`div.Scalar_mode`): zeros when rounding, else `grad / other`.
pub(crate) fn div_by_scalar_mode(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    _: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    match param(p, 1) {
        IValue::None => ctx.rt.elementwise().div_scalar(g, param(p, 0)),
        _ => ctx.rt.elementwise().zeros_like_options(g),
    }
}

/// SqrtBackward0: `grad / (2 * result.conj())`.
pub(crate) fn sqrt(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let r = super::complex::conj_derivative(ctx.rt, need(s)?)?;
    let twice = ctx.rt.mul_scalar(&r, IValue::Int(2))?;
    ctx.rt.elementwise().div(g, twice.into())
}

/// RsqrtBackward0: `-0.5 * grad * result.pow(3)`.
pub(crate) fn rsqrt(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let cube = ctx.rt.elementwise().pow_scalar(need(s)?, IValue::Int(3))?;
    let half = ctx.rt.mul_scalar(g, IValue::Float(-0.5))?;
    ctx.rt.mul(&half, cube.into())
}

/// ExpBackward0: `grad * result.conj()`.
pub(crate) fn exp(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let r = super::complex::conj(ctx.rt, need(s)?)?;
    ctx.rt.mul(g, r.into())
}

/// LogBackward0: `grad.div(self.conj())`.
pub(crate) fn log(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let s = super::complex::conj_derivative(ctx.rt, need(s)?)?;
    ctx.rt.elementwise().div(g, s.into())
}

/// Log1PBackward0: `grad / (self + 1)`.
pub(crate) fn log1p(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let plus = ctx.rt.elementwise().add_scalar(need(s)?, IValue::Int(1))?;
    ctx.rt.elementwise().div(g, plus.into())
}

/// ReciprocalBackward0: `-grad * (result * result).conj()`.
pub(crate) fn reciprocal(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let r = need(s)?;
    let square = ctx.rt.mul(r, r.into())?;
    let square = super::complex::conj(ctx.rt, &square)?;
    let n = ctx.rt.neg(g)?;
    ctx.rt.mul(&n, square.into())
}

/// AbsBackward0: `grad * self.sgn()`.
pub(crate) fn abs(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let sign = ctx.rt.elementwise().unary("aten.sgn.default", need(s)?)?;
    ctx.rt.mul(g, sign.into())
}

/// SignBackward0: `zeros_like(grad)`.
pub(crate) fn sign(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    ctx.rt.elementwise().zeros_like(g)
}

/// SinBackward0: `grad * self.cos().conj()` (the conjugate a `_conj` view,
/// materialized by the Conjugate fallback's `clone` before `mul`).
pub(crate) fn sin(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let c = ctx.rt.elementwise().unary("aten.cos.default", need(s)?)?;
    let c = super::complex::conj_derivative(ctx.rt, &c)?;
    ctx.rt.mul(g, c.into())
}

/// CosBackward0: `grad * -self.sin().conj()`.
pub(crate) fn cos(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let sine = ctx.rt.elementwise().unary("aten.sin.default", need(s)?)?;
    let sine = super::complex::conj_derivative(ctx.rt, &sine)?;
    let n = ctx.rt.neg(&sine)?;
    ctx.rt.mul(g, n.into())
}

/// Expm1Backward0: `grad * (result + 1)`.
pub(crate) fn expm1(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let plus = ctx.rt.elementwise().add_scalar(need(s)?, IValue::Int(1))?;
    ctx.rt.mul(g, plus.into())
}

/// Exp2Backward0: `grad * result * ln 2`.
pub(crate) fn exp2(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let t = ctx.rt.mul(g, need(s)?.into())?;
    ctx.rt.mul_scalar(&t, IValue::Float(std::f64::consts::LN_2))
}

/// Log2Backward0 / Log10Backward0: `grad / (self * ln(base))`; params: the
/// logarithm of the base.
pub(crate) fn log_base(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let scaled = ctx.rt.mul_scalar(need(s)?, param(p, 0))?;
    ctx.rt.elementwise().div(g, scaled.into())
}

/// ErfBackward0: `2 / sqrt(pi) * exp(-(self.pow(2))) * grad`.
pub(crate) fn erf(
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
        .mul_scalar(&e, IValue::Float(std::f64::consts::FRAC_2_SQRT_PI))?;
    ctx.rt.mul(&scaled, g.into())
}

/// NanToNumBackward0: `grad * isfinite(self)`, `isfinite` as
/// `(self == self) * (self.abs() != inf)`.
pub(crate) fn nan_to_num(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let this = need(s)?;
    let mut ops = ctx.rt.elementwise();
    let magnitude = ops.unary("aten.abs.default", this)?;
    let finite = ops.binary("aten.ne.Scalar", &magnitude, IValue::Float(f64::INFINITY))?;
    let number = ops.binary("aten.eq.Tensor", this, this.into())?;
    let mask = ctx.rt.mul(&number, finite.into())?;
    ctx.rt.mul(g, mask.into())
}

/// PowBackward0 (`pow.Tensor_Scalar`): `grad * (e * self.pow(e - 1)).conj()` with
/// the exponent as a double (observed: `x ** 2` dispatches `pow(x, 1.0)`
/// and `mul.Scalar(_, 2.0)`); exponent 0 gives contiguous zeros.
pub(crate) fn pow_tensor_scalar(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let this = need(s)?;
    let e = as_f64(&param(p, 0))
        .ok_or_else(|| RuntimeError::autograd("PowBackward0: exponent is not a number"))?;
    if e == 0.0 {
        return ctx.rt.elementwise().call(
            "aten.zeros_like.default",
            vec![
                this.into(),
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::MemoryFormat(MemoryFormat::Contiguous),
            ],
        );
    }
    let powered = ctx
        .rt
        .elementwise()
        .pow_scalar(this, IValue::Float(e - 1.0))?;
    let scaled = ctx.rt.mul_scalar(&powered, IValue::Float(e))?;
    let scaled = super::complex::conj(ctx.rt, &scaled)?;
    ctx.rt.mul(g, scaled.into())
}

/// PowBackward2 (`pow.Scalar(base, exponent)`): `grad * (result * ln(base))`.
pub(crate) fn pow_scalar_base(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let base = as_f64(&param(p, 0))
        .ok_or_else(|| RuntimeError::autograd("PowBackward2: base is not a number"))?;
    if base == 0.0 {
        return Err(RuntimeError::unsupported(
            "aten.pow.Scalar",
            "the gradient of 0 ** exponent",
        ));
    }
    let scaled = ctx.rt.mul_scalar(need(s)?, IValue::Float(base.ln()))?;
    ctx.rt.mul(g, scaled.into())
}

/// An activation whose backward is one `op(grad, saved, params...)` call
/// (GeluBackward0, SiluBackward0, SigmoidBackward0, TanhBackward0,
/// SoftplusBackward0, LeakyReluBackward0/1, HardtanhBackward0); the op name
/// is `params[0]`.
pub(crate) fn activation(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let (op, rest) = match p.split_first() {
        Some((IValue::Str(op), rest)) => (op.clone(), rest),
        _ => return Err(RuntimeError::autograd("activation backward: no operator")),
    };
    ctx.rt
        .elementwise()
        .activation_backward(&op, g, need(s)?, rest)
}

/// EluBackward0/1: `elu_backward(grad, alpha, scale, input_scale,
/// is_result, self_or_result)`; params: alpha, scale, input_scale, is_result.
pub(crate) fn elu(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let mut args = vec![g.into()];
    args.extend(p.iter().cloned());
    args.push(need(s)?.into());
    ctx.rt.elementwise().call("aten.elu_backward.default", args)
}

/// ClampBackward1 (`clamp(self, min, max)`):
/// `where(self > min & self < max, grad, 0)`, each bound only when given;
/// params: min, max.
pub(crate) fn clamp(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let this = need(s)?;
    let (lo, hi) = (param(p, 0), param(p, 1));
    let zero = ctx.rt.elementwise().scalar_tensor(IValue::Float(0.0), g)?;
    let mut ops = ctx.rt.elementwise();
    let mask = match (lo, hi) {
        (IValue::None, IValue::None) => {
            return Err(RuntimeError::autograd("ClampBackward1: no bound"));
        }
        (lo, IValue::None) => ops.binary("aten.gt.Scalar", this, lo)?,
        (IValue::None, hi) => ops.binary("aten.lt.Scalar", this, hi)?,
        (lo, hi) => {
            let above = ops.binary("aten.gt.Scalar", this, lo)?;
            let below = ops.binary("aten.lt.Scalar", this, hi)?;
            ops.binary("aten.logical_and_.default", &above, below.into())?
        }
    };
    ops.where_(&mask, g, &zero)
}

/// ClampMinBackward0 / ClampMaxBackward0: `where(self > min, grad, 0)` (or
/// `self < max`); params: the comparison operator, the bound.
pub(crate) fn clamp_one_side(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let this = need(s)?;
    let op = match p.first() {
        Some(IValue::Str(op)) => op.clone(),
        _ => return Err(RuntimeError::autograd("clamp backward: no comparison")),
    };
    let zero = ctx.rt.elementwise().scalar_tensor(IValue::Float(0.0), g)?;
    let mut ops = ctx.rt.elementwise();
    let mask = ops.binary(&op, this, param(p, 1))?;
    ops.where_(&mask, g, &zero)
}

/// MaskedFillBackward0: `grad.masked_fill(mask, 0)` (the saved tensor is
/// the mask).
pub(crate) fn masked_fill(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    ctx.rt
        .elementwise()
        .masked_fill(g, need(s)?, IValue::Int(0))
}

// -- several inputs ---------------------------------------------------------------

/// DivBackward0 (`div.Tensor`, `div_.Tensor`) and DivBackward2
/// (`div.Tensor_mode`): `other`'s gradient `-grad * ((self / other) /
/// other)` first, then `self`'s `grad / other`; with a rounding mode both
/// are `zeros_like(grad, grad.options())`.
pub(crate) struct DivBackward {
    pub(crate) self_: Option<SavedOperand>,
    pub(crate) other: Option<SavedOperand>,
    pub(crate) rounding: bool,
    /// Whether self and other are real tensors (`handle_r_to_c`).
    pub(crate) real: [bool; 2],
}

impl BackwardFn for DivBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(1) {
            out[1] = Some(if self.rounding {
                ctx.rt.elementwise().zeros_like_options(&g)?
            } else {
                let this = saved_operand(ctx, &self.self_)?;
                let other = saved_operand(ctx, &self.other)?;
                let Some(this) = this.as_tensor() else {
                    return Err(RuntimeError::autograd("DivBackward0: self is not a tensor"));
                };
                let q = ctx.rt.elementwise().div(this, other.clone())?;
                let q = ctx.rt.elementwise().div(&q, other)?;
                let q = div_conj(ctx, q.into())?;
                let n = ctx.rt.neg(&g)?;
                let grad = ctx.rt.mul(&n, q)?;
                super::complex::handle_r_to_c(ctx.rt, self.real[1], grad)?
            });
        }
        if ctx.needs(0) {
            out[0] = Some(if self.rounding {
                ctx.rt.elementwise().zeros_like_options(&g)?
            } else {
                let other = saved_operand(ctx, &self.other)?;
                let other = div_conj(ctx, other)?;
                let grad = ctx.rt.elementwise().div(&g, other)?;
                super::complex::handle_r_to_c(ctx.rt, self.real[0], grad)?
            });
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.iter_mut().for_each(SavedOperand::release);
        self.other.iter_mut().for_each(SavedOperand::release);
    }
}

/// `v.conj()` in DivBackward0 (`-grad * ((self / other) / other).conj()`,
/// `grad / other.conj()`); skipped under the
/// `complex-div-backward-no-conj` fault.
fn div_conj(ctx: &mut BackwardCtx<'_>, v: IValue) -> Result<IValue> {
    match v {
        IValue::Tensor(t) if !ctx.rt.faults().complex_div_backward_no_conj => {
            Ok(super::complex::conj(ctx.rt, &t)?.into())
        }
        other => Ok(other),
    }
}

fn saved_operand(ctx: &BackwardCtx<'_>, s: &Option<SavedOperand>) -> Result<IValue> {
    s.as_ref().ok_or_else(|| freed(ctx))?.unpack(ctx)
}

/// RsubBackward0 (`rsub.Tensor(self, other, alpha)`): `other` gets `grad`,
/// then `self` gets `maybe_multiply(-grad, alpha)`.
pub(crate) struct RsubBackward0 {
    pub(crate) alpha: IValue,
}

impl BackwardFn for RsubBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let other = ctx.needs(1).then(|| g.clone());
        let this = if ctx.needs(0) {
            let n = ctx.rt.neg(&g)?;
            Some(maybe_multiply(ctx, n, &self.alpha)?)
        } else {
            None
        };
        Ok(vec![this, other])
    }
}

/// PowBackward1 (`pow.Tensor_Tensor`): the exponent's gradient
/// `grad * where(self == 0 & exponent >= 0, 0, result * log(self))` first,
/// then self's `where(exponent == 0, 0, grad * (exponent * self.pow(exponent
/// - 1)))`.
pub(crate) struct PowBackward1 {
    pub(crate) self_: SavedVariable,
    pub(crate) exponent: SavedVariable,
    pub(crate) result: Option<SavedVariable>,
}

impl PowBackward1 {
    fn exponent_grad(
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        this: &Tensor,
        exponent: &Tensor,
        result: &Tensor,
    ) -> Result<Tensor> {
        let mut ops = ctx.rt.elementwise();
        let nonneg = ops.binary("aten.ge.Scalar", exponent, IValue::Int(0))?;
        let zero_base = ops.binary("aten.eq.Scalar", this, IValue::Int(0))?;
        let cond = ops.binary("aten.logical_and.default", &zero_base, nonneg.into())?;
        let ln = ops.unary("aten.log.default", this)?;
        let scaled = ctx.rt.mul(result, ln.into())?;
        let zero = ctx.rt.elementwise().scalar_tensor(IValue::Float(0.0), g)?;
        let masked = ctx.rt.elementwise().where_(&cond, &zero, &scaled)?;
        ctx.rt.mul(g, masked.into())
    }

    fn self_grad(
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        this: &Tensor,
        exponent: &Tensor,
    ) -> Result<Tensor> {
        let lowered = ctx.rt.elementwise().sub_scalar(exponent, IValue::Int(1))?;
        let powered = ctx.rt.elementwise().pow_tensor(this, &lowered)?;
        let scaled = ctx.rt.mul(exponent, powered.into())?;
        let grad = ctx.rt.mul(g, scaled.into())?;
        let zero = ctx.rt.elementwise().scalar_tensor(IValue::Float(0.0), g)?;
        let cond = ctx
            .rt
            .elementwise()
            .binary("aten.eq.Scalar", exponent, IValue::Float(0.0))?;
        ctx.rt.elementwise().where_(&cond, &zero, &grad)
    }
}

impl BackwardFn for PowBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let this = self.self_.unpack(ctx.node)?;
        let exponent = self.exponent.unpack(ctx.node)?;
        let mut out = vec![None, None];
        if ctx.needs(1) {
            let result = unpack(ctx, &self.result)?;
            out[1] = Some(Self::exponent_grad(ctx, &g, &this, &exponent, &result)?);
        }
        if ctx.needs(0) {
            out[0] = Some(Self::self_grad(ctx, &g, &this, &exponent)?);
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
        self.exponent.release();
        if let Some(r) = &mut self.result {
            r.release();
        }
    }
}

/// MinimumBackward0 / MaximumBackward0: each input's gradient is
/// `masked_fill(where(self == other, grad / 2, grad), <loses>, 0)`, `other`
/// first. For maximum `other` loses where `self > other`.
pub(crate) struct MinMaxBackward {
    pub(crate) self_: SavedVariable,
    pub(crate) other: SavedVariable,
    pub(crate) is_max: bool,
}

impl MinMaxBackward {
    pub(crate) fn share(
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        this: &Tensor,
        other: &Tensor,
        loses: &str,
    ) -> Result<Tensor> {
        let mut ops = ctx.rt.elementwise();
        let lost = ops.binary(loses, this, other.into())?;
        let half = ops.div_scalar(g, IValue::Int(2))?;
        let tie = ops.binary("aten.eq.Tensor", this, other.into())?;
        let split = ops.where_(&tie, &half, g)?;
        ops.masked_fill(&split, &lost, IValue::Int(0))
    }
}

impl BackwardFn for MinMaxBackward {
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
        let (other_loses, self_loses) = if self.is_max {
            ("aten.gt.Tensor", "aten.lt.Tensor")
        } else {
            ("aten.lt.Tensor", "aten.gt.Tensor")
        };
        let mut out = vec![None, None];
        if ctx.needs(1) {
            out[1] = Some(Self::share(ctx, &g, &this, &other, other_loses)?);
        }
        if ctx.needs(0) {
            out[0] = Some(Self::share(ctx, &g, &this, &other, self_loses)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.other.release();
    }
}

/// WhereBackward0 (`where.self(condition, self, other)`): `other` gets
/// `where(condition, 0, grad)`, then `self` gets `where(condition, grad, 0)`
/// (the 0 is `scalar_tensor(0)` with grad's options).
pub(crate) struct WhereBackward0 {
    pub(crate) condition: SavedVariable,
}

impl BackwardFn for WhereBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let cond = self.condition.unpack(ctx.node)?;
        let mut out = vec![None, None];
        if ctx.needs(1) {
            let zero = ctx.rt.elementwise().scalar_tensor(IValue::Int(0), &g)?;
            out[1] = Some(ctx.rt.elementwise().where_(&cond, &zero, &g)?);
        }
        if ctx.needs(0) {
            let zero = ctx.rt.elementwise().scalar_tensor(IValue::Int(0), &g)?;
            out[0] = Some(ctx.rt.elementwise().where_(&cond, &g, &zero)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.condition.release();
    }
}

/// FillBackward1 / FillBackward3 (`fill.Tensor(self, value)` and
/// `fill_.Tensor`): `self` gets `zeros_like(grad)`, then `value` gets
/// `grad.sum()`.
pub(crate) struct FillBackward1;

impl BackwardFn for FillBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(0) {
            out[0] = Some(ctx.rt.elementwise().zeros_like(&g)?);
        }
        if ctx.needs(1) {
            out[1] = Some(ctx.rt.sum(&g)?);
        }
        Ok(out)
    }
}

/// MaskedFillBackward1 (`masked_fill.Tensor(self, mask, value)`): `self`
/// gets `grad.masked_fill(mask, 0)`, then `value` gets
/// `where(mask, grad, 0).sum()`.
pub(crate) struct MaskedFillBackward1 {
    pub(crate) mask: SavedVariable,
}

impl BackwardFn for MaskedFillBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mask = self.mask.unpack(ctx.node)?;
        let mut out = vec![None, None];
        if ctx.needs(0) {
            out[0] = Some(
                ctx.rt
                    .elementwise()
                    .masked_fill(&g, &mask, IValue::Int(0))?,
            );
        }
        if ctx.needs(1) {
            let zero = ctx.rt.elementwise().scalar_tensor(IValue::Int(0), &g)?;
            let kept = ctx.rt.elementwise().where_(&mask, &g, &zero)?;
            out[1] = Some(ctx.rt.sum(&kept)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.mask.release();
    }
}

/// LerpBackward0 (`lerp.Scalar(self, end, weight)`): `end` gets
/// `grad * weight`, then `self` gets `grad * (1 - weight)` (a double).
pub(crate) struct LerpBackward0 {
    pub(crate) weight: IValue,
}

impl BackwardFn for LerpBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let w = as_f64(&self.weight)
            .ok_or_else(|| RuntimeError::autograd("LerpBackward0: weight is not a number"))?;
        let mut out = vec![None, None];
        if ctx.needs(1) {
            out[1] = Some(ctx.rt.mul_scalar(&g, self.weight.clone())?);
        }
        if ctx.needs(0) {
            out[0] = Some(ctx.rt.mul_scalar(&g, IValue::Float(1.0 - w))?);
        }
        Ok(out)
    }
}

/// LerpBackward1 (`lerp.Tensor(self, end, weight)`): `end` gets
/// `grad * weight`; `self` gets `grad * (1 - weight)` where `1 - weight` is
/// `empty_like(weight).fill_(1).sub_(weight)`; `weight` gets
/// `grad * (end - self)`.
pub(crate) struct LerpBackward1 {
    pub(crate) self_: Option<SavedVariable>,
    pub(crate) end: Option<SavedVariable>,
    pub(crate) weight: Option<SavedVariable>,
}

impl BackwardFn for LerpBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mut out = vec![None, None, None];
        if ctx.needs(1) {
            let w = unpack(ctx, &self.weight)?;
            out[1] = Some(ctx.rt.mul(&g, w.into())?);
        }
        if ctx.needs(0) {
            let w = unpack(ctx, &self.weight)?;
            let mut ops = ctx.rt.elementwise();
            let rest = ops.empty_like_preserve(&w)?;
            ops.fill_(&rest, IValue::Int(1))?;
            ops.sub_(&rest, &w)?;
            out[0] = Some(ctx.rt.mul(&g, rest.into())?);
        }
        if ctx.needs(2) {
            let (this, end) = (unpack(ctx, &self.self_)?, unpack(ctx, &self.end)?);
            let diff = ctx.rt.elementwise().sub(&end, &this)?;
            out[2] = Some(ctx.rt.mul(&g, diff.into())?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        for s in [&mut self.self_, &mut self.end, &mut self.weight]
            .into_iter()
            .flatten()
        {
            s.release();
        }
    }
}

/// AddcmulBackward0 / AddcdivBackward0 (`self + value * t1 (*|/) t2`):
/// `self` gets `grad`; then `tensor1`, then `tensor2`.
pub(crate) struct AddcBackward {
    pub(crate) tensor1: Option<SavedVariable>,
    pub(crate) tensor2: Option<SavedVariable>,
    pub(crate) value: IValue,
    pub(crate) divide: bool,
}

impl AddcBackward {
    /// addcmul: `grad * (t2 * value)`; addcdiv: `grad * (value / t2)` with
    /// `value / t2` as `empty_like(t2).fill_(value).div_(t2)`.
    fn tensor1_grad(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor, t2: &Tensor) -> Result<Tensor> {
        let factor = if self.divide {
            let mut ops = ctx.rt.elementwise();
            let f = ops.empty_like_preserve(t2)?;
            ops.fill_(&f, self.value.clone())?;
            ops.div_(&f, t2)?;
            f
        } else {
            ctx.rt.mul_scalar(t2, self.value.clone())?
        };
        ctx.rt.mul(g, factor.into())
    }

    /// addcmul: `grad * (t1 * value)`; addcdiv:
    /// `-grad * (value * t1 / (t2 * t2))`.
    fn tensor2_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        t1: &Tensor,
        t2: &Tensor,
    ) -> Result<Tensor> {
        if self.divide {
            let square = ctx.rt.mul(t2, t2.into())?;
            let scaled = ctx.rt.mul_scalar(t1, self.value.clone())?;
            let q = ctx.rt.elementwise().div(&scaled, square.into())?;
            let n = ctx.rt.neg(g)?;
            ctx.rt.mul(&n, q.into())
        } else {
            let scaled = ctx.rt.mul_scalar(t1, self.value.clone())?;
            ctx.rt.mul(g, scaled.into())
        }
    }
}

impl BackwardFn for AddcBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mut out = vec![None, None, None];
        if ctx.needs(0) {
            out[0] = Some(g.clone());
        }
        if ctx.needs(1) {
            let t2 = unpack(ctx, &self.tensor2)?;
            out[1] = Some(self.tensor1_grad(ctx, &g, &t2)?);
        }
        if ctx.needs(2) {
            let t1 = unpack(ctx, &self.tensor1)?;
            let t2 = unpack(ctx, &self.tensor2)?;
            out[2] = Some(self.tensor2_grad(ctx, &g, &t1, &t2)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        for s in [&mut self.tensor1, &mut self.tensor2].into_iter().flatten() {
            s.release();
        }
    }
}

/// RemainderBackward1 (`remainder.Tensor`) and FmodBackward1
/// (`fmod.Tensor`): `other` gets `-grad * self.div(other, rounding_mode)`
/// (`"floor"` / `"trunc"`), then `self` gets `grad`.
pub(crate) struct RemainderBackward1 {
    pub(crate) self_: Option<SavedOperand>,
    pub(crate) other: Option<SavedOperand>,
    pub(crate) rounding: &'static str,
}

impl BackwardFn for RemainderBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(1) {
            let this = saved_operand(ctx, &self.self_)?;
            let other = saved_operand(ctx, &self.other)?;
            let Some(this) = this.as_tensor() else {
                return Err(RuntimeError::autograd(
                    "RemainderBackward1: self is not a tensor",
                ));
            };
            let q = ctx.rt.elementwise().div_mode(this, other, self.rounding)?;
            let n = ctx.rt.neg(&g)?;
            out[1] = Some(ctx.rt.mul(&n, q.into())?);
        }
        if ctx.needs(0) {
            out[0] = Some(g.clone());
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.iter_mut().for_each(SavedOperand::release);
        self.other.iter_mut().for_each(SavedOperand::release);
    }
}

/// ClampBackward0 (`clamp.Tensor(self, min, max)`): the bounds' gradients
/// first (PyTorch's `clamp_backward_min_max`), then `self`'s. With one bound
/// it is MaximumBackward0 (a `min` bound) or MinimumBackward0 (a `max`
/// bound) with `self` and the bound; with both, ties split the gradient
/// and an empty range (`min > max`) sends it to `max`.
pub(crate) struct ClampBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) min: Option<SavedVariable>,
    pub(crate) max: Option<SavedVariable>,
}

impl ClampBackward0 {
    /// The bounds' gradients when both are given (observed order: the
    /// shared `min < max` and `min == max`, then min's, then max's).
    fn both_bounds(
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        this: &Tensor,
        lo: &Tensor,
        hi: &Tensor,
        out: &mut [Option<Tensor>],
    ) -> Result<()> {
        let mut ops = ctx.rt.elementwise();
        let ordered = ops.binary("aten.lt.Tensor", lo, hi.into())?;
        let equal = ops.binary("aten.eq.Tensor", lo, hi.into())?;
        if ctx.needs(1) {
            let mut ops = ctx.rt.elementwise();
            let below = ops.binary("aten.le.Tensor", this, lo.into())?;
            let a = ops.binary("aten.logical_and.default", &ordered, below.into())?;
            let strictly = ops.binary("aten.lt.Tensor", this, lo.into())?;
            let b = ops.binary("aten.logical_and.default", &equal, strictly.into())?;
            let takes = ops.binary("aten.logical_or.default", &a, b.into())?;
            let loses = ops.unary("aten.logical_not.default", &takes)?;
            let half = ops.div_scalar(g, IValue::Int(2))?;
            let tie = ops.binary("aten.eq.Tensor", this, lo.into())?;
            let split = ops.where_(&tie, &half, g)?;
            out[1] = Some(ops.masked_fill(&split, &loses, IValue::Int(0))?);
        }
        if ctx.needs(2) {
            let mut ops = ctx.rt.elementwise();
            let empty = ops.binary("aten.lt.Tensor", hi, lo.into())?;
            let above = ops.binary("aten.ge.Tensor", this, hi.into())?;
            let a = ops.binary("aten.logical_and.default", &ordered, above.into())?;
            let a = ops.binary("aten.logical_or.default", &empty, a.into())?;
            let strictly = ops.binary("aten.gt.Tensor", this, hi.into())?;
            let b = ops.binary("aten.logical_and.default", &equal, strictly.into())?;
            let takes = ops.binary("aten.logical_or.default", &a, b.into())?;
            let loses = ops.unary("aten.logical_not.default", &takes)?;
            let half = ops.div_scalar(g, IValue::Int(2))?;
            let tie = ops.binary("aten.eq.Tensor", this, hi.into())?;
            let tie = ops.binary("aten.logical_and.default", &tie, ordered.into())?;
            let split = ops.where_(&tie, &half, g)?;
            out[2] = Some(ops.masked_fill(&split, &loses, IValue::Int(0))?);
        }
        Ok(())
    }

    /// `self`'s gradient with both bounds: split at a bound of a non-empty
    /// range, zero outside `[min, max]`.
    fn self_both(
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        this: &Tensor,
        lo: &Tensor,
        hi: &Tensor,
    ) -> Result<Tensor> {
        let mut ops = ctx.rt.elementwise();
        let ordered = ops.binary("aten.lt.Tensor", lo, hi.into())?;
        let at_lo = ops.binary("aten.eq.Tensor", this, lo.into())?;
        let at_hi = ops.binary("aten.eq.Tensor", this, hi.into())?;
        let at_bound = ops.binary("aten.logical_or.default", &at_lo, at_hi.into())?;
        let tie = ops.binary("aten.logical_and.default", &at_bound, ordered.into())?;
        let below = ops.binary("aten.lt.Tensor", this, lo.into())?;
        let above = ops.binary("aten.gt.Tensor", this, hi.into())?;
        let outside = ops.binary("aten.logical_or.default", &below, above.into())?;
        let half = ops.div_scalar(g, IValue::Int(2))?;
        let split = ops.where_(&tie, &half, g)?;
        ops.masked_fill(&split, &outside, IValue::Int(0))
    }
}

impl BackwardFn for ClampBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let this = self.self_.unpack(ctx.node)?;
        let lo = self.min.as_ref().map(|s| s.unpack(ctx.node)).transpose()?;
        let hi = self.max.as_ref().map(|s| s.unpack(ctx.node)).transpose()?;
        let mut out = vec![None, None, None];
        match (&lo, &hi) {
            (Some(lo), Some(hi)) => {
                if ctx.needs(1) || ctx.needs(2) {
                    Self::both_bounds(ctx, &g, &this, lo, hi, &mut out)?;
                }
                if ctx.needs(0) {
                    out[0] = Some(Self::self_both(ctx, &g, &this, lo, hi)?);
                }
            }
            (Some(lo), None) => {
                if ctx.needs(1) {
                    out[1] = Some(MinMaxBackward::share(ctx, &g, &this, lo, "aten.gt.Tensor")?);
                }
                if ctx.needs(0) {
                    out[0] = Some(MinMaxBackward::share(ctx, &g, &this, lo, "aten.lt.Tensor")?);
                }
            }
            (None, Some(hi)) => {
                if ctx.needs(2) {
                    out[2] = Some(MinMaxBackward::share(ctx, &g, &this, hi, "aten.lt.Tensor")?);
                }
                if ctx.needs(0) {
                    out[0] = Some(MinMaxBackward::share(ctx, &g, &this, hi, "aten.gt.Tensor")?);
                }
            }
            (None, None) => return Err(RuntimeError::autograd("ClampBackward0: no bound")),
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        for s in [&mut self.min, &mut self.max].into_iter().flatten() {
            s.release();
        }
    }
}

/// XlogyBackward0 (`xlogy.Tensor(self, other)`): `other` gets
/// `grad * self / other` first, then `self` gets
/// `xlogy(grad, other).masked_fill((self == 0) & (other <= 0), 0)`.
pub(crate) struct XlogyBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) other: SavedVariable,
}

impl BackwardFn for XlogyBackward0 {
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
        let mut out = vec![None, None];
        if ctx.needs(1) {
            let scaled = ctx.rt.mul(&g, (&this).into())?;
            out[1] = Some(ctx.rt.elementwise().div(&scaled, (&other).into())?);
        }
        if ctx.needs(0) {
            let mut ops = ctx.rt.elementwise();
            let x = ops.binary("aten.xlogy.Tensor", &g, (&other).into())?;
            let nonpositive = ops.binary("aten.le.Scalar", &other, IValue::Float(0.0))?;
            let zero = ops.binary("aten.eq.Scalar", &this, IValue::Float(0.0))?;
            let both = ops.binary("aten.bitwise_and.Tensor", &zero, nonpositive.into())?;
            out[0] = Some(ops.masked_fill(&x, &both, IValue::Float(0.0))?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.other.release();
    }
}

/// XlogyBackward2 (`xlogy.Scalar_Other(self, other)`): `xlogy(grad, other)`,
/// masked to 0 where `self == 0` unless `other > 0`; the saved tensor is
/// `self`, params: `other`.
pub(crate) fn xlogy_scalar_other(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let other = param(p, 0);
    let mut ops = ctx.rt.elementwise();
    let x = ops.binary("aten.xlogy.Scalar_Other", g, other.clone())?;
    if as_f64(&other).is_some_and(|o| o > 0.0) {
        return Ok(x);
    }
    let zero = ops.binary("aten.eq.Scalar", need(s)?, IValue::Float(0.0))?;
    ops.masked_fill(&x, &zero, IValue::Float(0.0))
}

/// XlogyBackward1 (`xlogy.Scalar_Self(self, other)`): `grad * self / other`;
/// the saved tensor is `other`, params: `self`.
pub(crate) fn xlogy_scalar_self(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let scaled = ctx.rt.mul_scalar(g, param(p, 0))?;
    ctx.rt.elementwise().div(&scaled, need(s)?.into())
}

/// LogSigmoidBackward0 (`log_sigmoid_forward`): `log_sigmoid_backward(grad,
/// self, buffer)`, `buffer` being the forward's second (non-differentiable)
/// output.
pub(crate) struct LogSigmoidBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) buffer: Option<SavedVariable>,
}

impl BackwardFn for LogSigmoidBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let this = self.self_.unpack(ctx.node)?;
        let buffer = unpack(ctx, &self.buffer)?;
        Ok(vec![Some(ctx.rt.elementwise().call(
            "aten.log_sigmoid_backward.default",
            vec![(&g).into(), (&this).into(), (&buffer).into()],
        )?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(buffer) = outputs.get(1) {
            self.buffer = Some(SavedVariable::input(buffer));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        if let Some(b) = &mut self.buffer {
            b.release();
        }
    }
}

/// The shape, dtype and device of a tensor an in-place comparison
/// overwrote (PyTorch's `TypeAndSize`): enough for its zero gradient.
pub(crate) struct ZerosLike {
    sizes: Vec<i64>,
    dtype: crate::tensor::dtype::DType,
    device: crate::device::Device,
}

impl ZerosLike {
    pub(crate) fn of(t: &Tensor) -> ZerosLike {
        ZerosLike {
            sizes: t.shape().to_vec(),
            dtype: t.dtype(),
            device: t.device(),
        }
    }

    /// `zeros(sizes, dtype, layout, device)` of the recorded geometry.
    pub(crate) fn zeros(&self, ctx: &mut BackwardCtx<'_>) -> Result<Tensor> {
        ctx.rt.elementwise().call(
            "aten.zeros.default",
            vec![
                IValue::IntList(self.sizes.clone()),
                IValue::Dtype(self.dtype),
                IValue::Layout(crate::tensor::options::Layout::Strided),
                IValue::Device(self.device),
                IValue::None,
            ],
        )
    }
}

/// The in-place comparisons (`eq_`, `ne_`, `gt_`, `ge_`, `lt_`, `le_`):
/// the written values are steps, so `self` (and a Tensor `other`) get
/// zeros of their own geometry, `zeros(sizes, dtype, layout, device)`,
/// `other`'s first (observed in torch 2.15: `EqBackward0` for the Scalar
/// overloads, `EqBackward1` over `self, other` for the Tensor ones, and no
/// gradient at all when none reaches the node).
pub(crate) struct CompareInplaceBackward {
    pub(crate) this: ZerosLike,
    pub(crate) other: Option<ZerosLike>,
}

impl BackwardFn for CompareInplaceBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let width = if self.other.is_some() { 2 } else { 1 };
        let mut out = vec![None; width];
        if single(grads).is_none() {
            return Ok(out);
        }
        let self_first = ctx.rt.faults().compare_inplace_self_first;
        if self_first && ctx.needs(0) {
            out[0] = Some(self.this.zeros(ctx)?);
        }
        if let Some(other) = &self.other
            && ctx.needs(1)
        {
            out[1] = Some(other.zeros(ctx)?);
        }
        if !self_first && ctx.needs(0) {
            out[0] = Some(self.this.zeros(ctx)?);
        }
        Ok(out)
    }
}
