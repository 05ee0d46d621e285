//! One-input math kernels: `sqrt`, `rsqrt`, `exp`, `log`, `log1p`,
//! `reciprocal` (integers and bool give the default float dtype), `abs`,
//! `sgn`, `sign` (dtype kept) and `neg_`, each with its in-place variant.

use super::common::to_floating;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::pointwise::unary;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::promote::check_inplace_cast;

type Out = Result<Vec<IValue>>;

/// A "floating" unary operator: integer and bool inputs give the default
/// float dtype.
fn float_op(ctx: &KernelCtx<'_>, a: &Args<'_>, f: fn(f64) -> f64) -> Out {
    let t = a.tensor(0)?;
    let dtype = to_floating(ctx, t.dtype());
    Ok(vec![unary(ctx, t, Some(dtype), f)?.into()])
}

/// In place: the float result must cast back to `self`.
fn float_op_(ctx: &KernelCtx<'_>, a: &Args<'_>, f: fn(f64) -> f64) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    check_inplace_cast(ctx.op, to_floating(ctx, t.dtype()), t.dtype())?;
    write_map(ctx, t, f)?;
    Ok(vec![t.clone().into()])
}

/// `self = f(self)` elementwise.
pub(crate) fn write_map(ctx: &KernelCtx<'_>, t: &Tensor, f: impl Fn(f64) -> f64) -> Result<()> {
    ctx.write(t, || Ok(t.read_f64(ctx.op)?.into_iter().map(&f).collect()))
}

fn rsqrt_value(x: f64) -> f64 {
    1.0 / x.sqrt()
}

fn reciprocal_value(x: f64) -> f64 {
    1.0 / x
}

/// `sqrt(self)`.
pub(crate) fn sqrt(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op(ctx, &a, f64::sqrt)
}
/// `sqrt_(self)`.
pub(crate) fn sqrt_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_(ctx, &a, f64::sqrt)
}
/// `rsqrt(self)`: `1 / sqrt(self)`.
pub(crate) fn rsqrt(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op(ctx, &a, rsqrt_value)
}
/// `rsqrt_(self)`.
pub(crate) fn rsqrt_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_(ctx, &a, rsqrt_value)
}
/// `exp(self)`.
pub(crate) fn exp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op(ctx, &a, f64::exp)
}
/// `exp_(self)`.
pub(crate) fn exp_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_(ctx, &a, f64::exp)
}
/// `log(self)`.
pub(crate) fn log(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op(ctx, &a, f64::ln)
}
/// `log_(self)`.
pub(crate) fn log_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_(ctx, &a, f64::ln)
}
/// `log1p(self)`.
pub(crate) fn log1p(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op(ctx, &a, f64::ln_1p)
}
/// `log1p_(self)`.
pub(crate) fn log1p_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_(ctx, &a, f64::ln_1p)
}
/// `reciprocal(self)`.
pub(crate) fn reciprocal(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op(ctx, &a, reciprocal_value)
}
/// `reciprocal_(self)`.
pub(crate) fn reciprocal_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_(ctx, &a, reciprocal_value)
}

fn refuse_bool(ctx: &KernelCtx<'_>, t: &Tensor, message: &str) -> Result<()> {
    if t.dtype() == DType::Bool {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: message.to_owned(),
        });
    }
    Ok(())
}

const NEG_BOOL: &str = "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.";

/// `neg_(self)`.
pub(crate) fn neg_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    refuse_bool(ctx, t, NEG_BOOL)?;
    write_map(ctx, t, |x| -x)?;
    Ok(vec![t.clone().into()])
}

/// `abs(self)`: dtype kept; bool is refused (observed in torch 2.15:
/// "abs_cpu" not implemented for 'Bool').
pub(crate) fn abs(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    refuse_bool(ctx, t, "\"abs_cpu\" not implemented for 'Bool'")?;
    Ok(vec![unary(ctx, t, None, f64::abs)?.into()])
}

/// `abs_(self)`.
pub(crate) fn abs_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    refuse_bool(ctx, t, "\"abs_cpu\" not implemented for 'Bool'")?;
    write_map(ctx, t, f64::abs)?;
    Ok(vec![t.clone().into()])
}

/// The sign of `x`: -1, 0 or 1 (observed in torch 2.15: `sign(nan)` and
/// `sgn(nan)` are 0).
fn sign_value(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `sign(self)` and, for real dtypes, `sgn(self)`: dtype kept (bool too).
pub(crate) fn sign(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    Ok(vec![unary(ctx, t, None, sign_value)?.into()])
}

/// `sign_(self)` / `sgn_(self)`.
pub(crate) fn sign_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    write_map(ctx, t, sign_value)?;
    Ok(vec![t.clone().into()])
}
