//! Backward formulas of the Gamma-family samplers and of `special_erfcx` /
//! `special_log_ndtr`, each making torch 2.15's calls in its order:
//!
//! * `_standard_gamma` (StandardGammaBackward0): `grad *
//!   _standard_gamma_grad(self, result)` — the reparameterised gradient of
//!   each sample in its concentration;
//! * `poisson` (PoissonBackward0): `zeros_like(self)`, made as PyTorch's
//!   generated code makes it, `zeros(sizes, dtype, layout, device)`;
//! * `special_erfcx` (SpecialErfcxBackward0): `(2 * self * result - 2/√π)
//!   * grad`;
//! * `special_log_ndtr` (SpecialLogNdtrBackward0): `grad / √(2π) *
//!   exp(-(result + self² / 2))`, whose right operand C++ evaluates first
//!   (`pow`, `mul(0.5)`, `add`, `neg`, `exp`, then `grad`'s `mul`).

use super::{binary_call, call, mul, need, unary_call};
use crate::autograd::BackwardCtx;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;

/// StandardGammaBackward0.
pub(crate) fn standard_gamma(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    r: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let d = binary_call(ctx, "aten._standard_gamma_grad.default", need(s)?, need(r)?)?;
    mul(ctx, g, &d)
}

/// PoissonBackward0: zeros shaped and typed like `self` (the gradient's
/// geometry, which is `self`'s).
pub(crate) fn poisson(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    _: Option<&Tensor>,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    ReductionOps(&mut *ctx.rt).zeros(g.shape(), g.dtype(), g.device())
}

/// SpecialErfcxBackward0.
pub(crate) fn erfcx(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    r: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let twice = call(
        ctx,
        "aten.mul.Scalar",
        vec![need(s)?.into(), IValue::Float(2.0)],
    )?;
    let product = mul(ctx, &twice, need(r)?)?;
    let shifted = call(
        ctx,
        "aten.sub.Scalar",
        vec![
            (&product).into(),
            IValue::Float(std::f64::consts::FRAC_2_SQRT_PI),
        ],
    )?;
    mul(ctx, &shifted, g)
}

/// SpecialLogNdtrBackward0.
pub(crate) fn log_ndtr(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    r: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let sq = call(
        ctx,
        "aten.pow.Tensor_Scalar",
        vec![need(s)?.into(), IValue::Int(2)],
    )?;
    let half = call(
        ctx,
        "aten.mul.Scalar",
        vec![(&sq).into(), IValue::Float(0.5)],
    )?;
    let sum = binary_call(ctx, "aten.add.Tensor", need(r)?, &half)?;
    let neg = unary_call(ctx, "aten.neg.default", &sum)?;
    let density = unary_call(ctx, "aten.exp.default", &neg)?;
    let scaled = call(
        ctx,
        "aten.mul.Scalar",
        vec![
            g.into(),
            IValue::Float(1.0 / (2.0 * std::f64::consts::PI).sqrt()),
        ],
    )?;
    mul(ctx, &scaled, &density)
}
