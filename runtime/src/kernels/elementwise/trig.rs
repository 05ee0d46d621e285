//! Hyperbolic and inverse trigonometric functions and `tan`: `sinh`,
//! `cosh`, `tan`, `atan`, `asin`, `acos`, the inverse hyperbolic `asinh`,
//! `acosh`, `atanh`, and the two-argument `atan2` (operands promoted and
//! broadcast, integers give the default dtype); the in-place forms of the
//! one-argument functions and of `sin`/`cos` (`x.atanh_()`: the result must
//! cast back to `self`, so integer tensors are refused).
//!
//! The inverse hyperbolic functions of float32 (and float16/bfloat16, which
//! compute in float32) are evaluated in double and rounded once, within an
//! ulp of glibc's `atanhf` that PyTorch's CPU kernel maps; `atanh(±1)` is
//! ±inf, `atanh` beyond ±1 and `acosh` below 1 are NaN.
//!
//! Like `sin`/`cos`: integer and bool inputs give the default float dtype,
//! float16/bfloat16 compute in float32, values outside the domain give NaN
//! (`asin(2.0)`), as observed in torch 2.15.

use super::common::{nary, promoted, to_floating};
use super::unary::{float_op_prec, float_op_prec_};
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

fn asinh_f32(x: f32) -> f32 {
    f64::from(x).asinh() as f32
}

fn acosh_f32(x: f32) -> f32 {
    f64::from(x).acosh() as f32
}

fn atanh_f32(x: f32) -> f32 {
    f64::from(x).atanh() as f32
}

/// `asinh(self)`.
pub(crate) fn asinh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, asinh_f32, f64::asinh)
}

/// `acosh(self)`.
pub(crate) fn acosh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, acosh_f32, f64::acosh)
}

/// `atanh(self)`.
pub(crate) fn atanh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, atanh_f32, f64::atanh)
}

/// In-place forms: `name_(self)`.
macro_rules! in_place {
    ($($name:ident: $f32f:expr, $f64f:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "(self)`.")]
        pub(crate) fn $name(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
            float_op_prec_(ctx, &a, $f32f, $f64f)
        }
    )*};
}

in_place! {
    sin_: f32::sin, f64::sin;
    cos_: f32::cos, f64::cos;
    tan_: f32::tan, f64::tan;
    sinh_: f32::sinh, f64::sinh;
    cosh_: f32::cosh, f64::cosh;
    asin_: f32::asin, f64::asin;
    acos_: f32::acos, f64::acos;
    atan_: f32::atan, f64::atan;
    asinh_: asinh_f32, f64::asinh;
    acosh_: acosh_f32, f64::acosh;
    atanh_: atanh_f32, f64::atanh;
}

/// `atan2(self, other)`.
pub(crate) fn atan2(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = to_floating(ctx, promoted(ctx, &ops));
    Ok(vec![nary(ctx, &ops, dtype, |v| v[0].atan2(v[1]))?.into()])
}

#[cfg(test)]
mod tests {
    use super::{acosh_f32, asinh_f32, atanh_f32};

    #[test]
    fn inverse_hyperbolics_at_their_domain_edges() {
        assert_eq!(atanh_f32(1.0), f32::INFINITY);
        assert_eq!(atanh_f32(-1.0), f32::NEG_INFINITY);
        assert!(atanh_f32(1.5).is_nan() && atanh_f32(-2.0).is_nan());
        assert_eq!(atanh_f32(0.5), 0.549_306_15);
        assert_eq!(acosh_f32(1.0), 0.0);
        assert!(acosh_f32(0.5).is_nan());
        assert_eq!(acosh_f32(30.0), 4.094_066_6);
        assert_eq!(asinh_f32(-1.0), -0.881_373_6);
        assert_eq!(asinh_f32(1e4), 9.903_487);
        assert_eq!(asinh_f32(0.0).to_bits(), 0.0f32.to_bits());
    }
}
