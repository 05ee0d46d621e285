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
//! Also `erfc` and the IEEE sign and extremum helpers: `copysign`, `fmax`,
//! `fmin` (NaN-ignoring), `heaviside`, `signbit`, `isposinf`, `isneginf`.
//!
//! Like `sin`/`cos`: integer and bool inputs give the default float dtype,
//! float16/bfloat16 compute in float32, values outside the domain give NaN
//! (`asin(2.0)`), as observed in torch 2.15.

use super::common::{nary, nary_i64, promoted, to_floating};
use super::unary::{float_op_prec, float_op_prec_};
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::error::RuntimeError;
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::pointwise::unary;
use crate::tensor::dtype::DType;

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

// -- erfc and the IEEE sign and extremum helpers ------------------------------

/// `erfc(self)` (`torch.special.erfc`): like `erf`, integers give the
/// default float dtype, float16/bfloat16 compute in float32.
pub(crate) fn erfc(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, libm::erfcf, libm::erfc)
}

/// `copysign.Tensor` / `copysign.Scalar`: the magnitude of `self` with the
/// sign of `other` (-0.0 and NaN signs included), promoted; integers give
/// the default float dtype.
pub(crate) fn copysign(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = to_floating(ctx, promoted(ctx, &ops));
    Ok(vec![
        nary(ctx, &ops, dtype, |v| v[0].copysign(v[1]))?.into(),
    ])
}

/// `fmax` / `fmin`: the larger (smaller) of the two, the other when one is
/// NaN (NaN only when both are), in the promoted dtype; integers exactly.
fn extremum(ctx: &KernelCtx<'_>, a: &Args<'_>, max: bool) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = promoted(ctx, &ops);
    if dtype.is_integral(true) {
        let f = if max { i64::max } else { i64::min };
        return Ok(vec![
            nary_i64(ctx, &ops, dtype, |v| Ok(f(v[0], v[1])))?.into(),
        ]);
    }
    if ctx.faults.fmax_zero_tie_unordered {
        let f = if max { f64::max } else { f64::min };
        return Ok(vec![nary(ctx, &ops, dtype, |v| f(v[0], v[1]))?.into()]);
    }
    let second = dtype == DType::BFloat16;
    Ok(vec![
        nary(ctx, &ops, dtype, |v| nan_ignoring(v[0], v[1], max, second))?.into(),
    ])
}

/// `fmax`/`fmin` of two values: a NaN gives the other one; between equal
/// values (`-0.0` and `+0.0`) PyTorch's CPU kernels return the first
/// operand for float32, float64 and float16 and the second for bfloat16,
/// in the vectorised and the scalar loop alike (measured on torch 2.15
/// with AVX-512).
fn nan_ignoring(x: f64, y: f64, max: bool, second: bool) -> f64 {
    if x.is_nan() {
        return y;
    }
    if y.is_nan() {
        return x;
    }
    let (first_wins, second_wins) = if max { (x > y, y > x) } else { (x < y, y < x) };
    if first_wins || !(second_wins || second) {
        x
    } else {
        y
    }
}

/// `fmax(self, other)`.
pub(crate) fn fmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    extremum(ctx, &a, true)
}

/// `fmin(self, other)`.
pub(crate) fn fmin(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    extremum(ctx, &a, false)
}

/// `heaviside(self, values)`: `values` where `self` is zero, else
/// `self > 0` (NaN gives 0). Both operands must have one dtype (observed in
/// torch 2.15: "heaviside is not yet implemented for tensors with different
/// dtypes").
pub(crate) fn heaviside(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (this, values) = (a.tensor(0)?, a.tensor(1)?);
    if this.dtype() != values.dtype() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: "heaviside is not yet implemented for tensors with different dtypes"
                .to_owned(),
        });
    }
    let ops = [a.operand(0)?, a.operand(1)?];
    let step = |v: &[f64]| {
        if v[0] == 0.0 {
            v[1]
        } else if v[0] > 0.0 {
            1.0
        } else {
            0.0
        }
    };
    Ok(vec![nary(ctx, &ops, this.dtype(), step)?.into()])
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// `signbit(self)`: bool, true for negative values, -0.0 and negative NaNs.
pub(crate) fn signbit(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    Ok(vec![
        unary(ctx, t, Some(DType::Bool), |x| flag(x.is_sign_negative()))?.into(),
    ])
}

/// `isposinf(self)`: bool.
pub(crate) fn isposinf(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    Ok(vec![
        unary(ctx, t, Some(DType::Bool), |x| flag(x == f64::INFINITY))?.into(),
    ])
}

/// `isneginf(self)`: bool.
pub(crate) fn isneginf(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    Ok(vec![
        unary(ctx, t, Some(DType::Bool), |x| flag(x == f64::NEG_INFINITY))?.into(),
    ])
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
