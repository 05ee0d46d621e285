//! Hyperbolic and inverse trigonometric functions and `tan`: `sinh`,
//! `cosh`, `tan`, `atan`, `asin`, `acos`, and the two-argument `atan2`
//! (operands promoted and broadcast, integers give the default dtype).
//!
//! Like `sin`/`cos`: integer and bool inputs give the default float dtype,
//! float16/bfloat16 compute in float32, values outside the domain give NaN
//! (`asin(2.0)`), as observed in torch 2.15.

use super::common::{nary, promoted, to_floating};
use super::unary::float_op_prec;
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;

type Out = Result<Vec<IValue>>;

/// `sinh(self)`.
pub(crate) fn sinh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::sinh, f64::sinh)
}

/// `cosh(self)`.
pub(crate) fn cosh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::cosh, f64::cosh)
}

/// `tan(self)`.
pub(crate) fn tan(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::tan, f64::tan)
}

/// `atan(self)`.
pub(crate) fn atan(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::atan, f64::atan)
}

/// `asin(self)`.
pub(crate) fn asin(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::asin, f64::asin)
}

/// `acos(self)`.
pub(crate) fn acos(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::acos, f64::acos)
}

/// `atan2(self, other)`.
pub(crate) fn atan2(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = to_floating(ctx, promoted(ctx, &ops));
    Ok(vec![nary(ctx, &ops, dtype, |v| v[0].atan2(v[1]))?.into()])
}
