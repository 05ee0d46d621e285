//! One-input math kernels: `sqrt`, `rsqrt`, `exp`, `log`, `log1p`,
//! `reciprocal` (integers and bool give the default float dtype), `abs`,
//! `sgn`, `sign` (dtype kept) and `neg_`, each with its in-place variant;
//! `sin`, `cos`, `expm1`, `exp2`, `log2`, `log10`, `erf`, the rounding
//! operators (`floor`, `ceil`, `trunc`, `round` to even, `frac`) and
//! `nan_to_num`.

use super::common::{
    nary_i64, nary_i64_, nary_lanes, opmath, reduced_inverse_root, to_floating, wide,
};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::pointwise::{unary, unary_like};
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

/// float32 `rsqrt` as PyTorch's CPU kernel computes it (vector lanes and
/// scalar tail alike, and float16/bfloat16 through it): the square root
/// rounded to float32, then its reciprocal rounded again — not `1/√x`
/// rounded once (a quarter of random inputs differ in the last bit).
pub(crate) fn rsqrt_f32(x: f32) -> f32 {
    1.0 / x.sqrt()
}

fn reciprocal_value(x: f64) -> f64 {
    1.0 / x
}

/// `sqrt(self)`: MKL's root in float32/float64 ([`super::vml_sqrt`]).
pub(crate) fn sqrt(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let root = super::vml_sqrt::sqrt_of(ctx, to_floating(ctx, a.tensor(0)?.dtype()));
    float_op(ctx, &a, root)
}
/// `sqrt_(self)`.
pub(crate) fn sqrt_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let root = super::vml_sqrt::sqrt_of(ctx, a.tensor(0)?.dtype());
    float_op_(ctx, &a, root)
}
/// `rsqrt(self)`: `1 / sqrt(self)`, each step rounded ([`rsqrt_f32`]);
/// float16/bfloat16 as their vectorised and scalar loops round it
/// ([`reduced_inverse_root`]).
pub(crate) fn rsqrt(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let dtype = t.dtype();
    if matches!(dtype, DType::Float16 | DType::BFloat16) {
        let lanes = !ctx.faults.reduced_inverse_root_rounded_once;
        let out = nary_lanes(ctx, &[Operand::Tensor(t)], dtype, 1, |v, vector| {
            reduced_inverse_root(dtype, v[0], vector || !lanes)
        })?;
        return Ok(vec![out.into()]);
    }
    if ctx.faults.rsqrt_rounded_once {
        return float_op(ctx, &a, rsqrt_value);
    }
    float_op_prec(ctx, &a, rsqrt_f32, rsqrt_value)
}
/// `rsqrt_(self)`.
pub(crate) fn rsqrt_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    if ctx.faults.rsqrt_rounded_once {
        return float_op_(ctx, &a, rsqrt_value);
    }
    let t = a.tensor(0)?;
    let xs = half_inputs(ctx, t)?.filter(|_| !ctx.faults.reduced_inverse_root_rounded_once);
    let out = float_op_prec_(ctx, &a, rsqrt_f32, rsqrt_value)?;
    if let Some(xs) = xs {
        redo_half_tail(ctx, t, t, &xs)?;
    }
    Ok(out)
}

/// `t`'s values when it is a float16/bfloat16 tensor on a backend with
/// data (what [`redo_half_tail`] needs), read before an in-place write.
fn half_inputs(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<Option<Vec<f64>>> {
    if matches!(t.dtype(), DType::BFloat16 | DType::Float16) && ctx.has_data() {
        Ok(Some(t.read_f64(ctx.op)?))
    } else {
        Ok(None)
    }
}

/// A float16/bfloat16 `rsqrt_`'s elements that PyTorch's scalar loop
/// computes (the tail after its vectors, by the layout and threads:
/// [`crate::kernels::reduced_axpy::scalar_loop_elements`]), rewritten as
/// that loop rounds them ([`reduced_inverse_root`]).
fn redo_half_tail(ctx: &KernelCtx<'_>, out: &Tensor, input: &Tensor, xs: &[f64]) -> Result<()> {
    let dtype = out.dtype();
    let Some(elements) =
        crate::kernels::reduced_axpy::scalar_loop_elements(ctx.faults, out, &[input], ctx.cpu)
    else {
        return Ok(());
    };
    if elements.is_empty() {
        return Ok(());
    }
    let mut values = out.read_f64(ctx.op)?;
    for i in elements {
        if let (Some(v), Some(&x)) = (values.get_mut(i), xs.get(i)) {
            *v = reduced_inverse_root(dtype, x, false);
        }
    }
    out.write_f64(ctx.op, &values)
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
        // A NotImplementedError in torch 2.15, like every dtype its kernel
        // is not compiled for.
        return Err(RuntimeError::KernelDtype {
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
    negate(ctx, t)?;
    Ok(vec![t.clone().into()])
}

/// Negates `t`'s elements in place: integers wrap in their width, bool is
/// refused with PyTorch's message (also the path of a sparse tensor's
/// values).
pub(crate) fn negate(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<()> {
    refuse_bool(ctx, t, NEG_BOOL)?;
    if t.dtype().is_integral(false) {
        exact_integer_map_(ctx, t, i64::wrapping_neg)
    } else {
        write_map(ctx, t, |x| -x)
    }
}

/// `abs(self)`: dtype kept; bool is refused (observed in torch 2.15:
/// "abs_cpu" not implemented for 'Bool').
pub(crate) fn abs(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    refuse_bool(ctx, t, "\"abs_cpu\" not implemented for 'Bool'")?;
    if t.dtype().is_integral(false) {
        return Ok(vec![exact_integer_map(ctx, t, i64::wrapping_abs)?.into()]);
    }
    Ok(vec![unary(ctx, t, None, f64::abs)?.into()])
}

/// An integer unary operator in exact i64, wrapping in the dtype's width
/// (`-(-2^63)` and `abs(-2^63)` are `-2^63`, as in PyTorch).
pub(crate) fn exact_integer_map(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    f: impl Fn(i64) -> i64,
) -> Result<Tensor> {
    nary_i64(ctx, &[Operand::Tensor(t)], t.dtype(), |v| Ok(f(v[0])))
}

/// [`exact_integer_map`] in place.
fn exact_integer_map_(ctx: &KernelCtx<'_>, t: &Tensor, f: impl Fn(i64) -> i64) -> Result<()> {
    let ops = [Operand::Tensor(t)];
    nary_i64_(ctx, t, &ops, t.dtype(), |v| Ok(f(v[0])))
}

/// `abs_(self)`.
pub(crate) fn abs_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    refuse_bool(ctx, t, "\"abs_cpu\" not implemented for 'Bool'")?;
    if t.dtype().is_integral(false) {
        exact_integer_map_(ctx, t, i64::wrapping_abs)?;
    } else {
        write_map(ctx, t, f64::abs)?;
    }
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

/// A "floating" unary operator evaluated in the dtype's compute precision.
pub(super) fn float_op_prec(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    f32f: fn(f32) -> f32,
    f64f: fn(f64) -> f64,
) -> Out {
    let t = a.tensor(0)?;
    let dtype = to_floating(ctx, t.dtype());
    let narrow = !wide(dtype);
    let f = move |x: f64| {
        if narrow {
            f64::from(f32f(x as f32))
        } else {
            f64f(x)
        }
    };
    Ok(vec![unary(ctx, t, Some(dtype), f)?.into()])
}

/// [`float_op_prec`] in place: the float result must cast back to `self`
/// (an integer `self` is refused, as PyTorch refuses `x.sin_()` on int64).
pub(super) fn float_op_prec_(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    f32f: fn(f32) -> f32,
    f64f: fn(f64) -> f64,
) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    check_inplace_cast(ctx.op, to_floating(ctx, t.dtype()), t.dtype())?;
    let narrow = !wide(t.dtype());
    write_map(ctx, t, move |x: f64| {
        if narrow {
            f64::from(f32f(x as f32))
        } else {
            f64f(x)
        }
    })?;
    Ok(vec![t.clone().into()])
}

/// `sin(self)`.
pub(crate) fn sin(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::sin, f64::sin)
}
/// `cos(self)`.
pub(crate) fn cos(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::cos, f64::cos)
}
/// `expm1(self)`.
pub(crate) fn expm1(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::exp_m1, f64::exp_m1)
}
/// `exp2(self)`.
pub(crate) fn exp2(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::exp2, f64::exp2)
}
/// `log2(self)`.
pub(crate) fn log2(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::log2, f64::log2)
}
/// `log10(self)`.
pub(crate) fn log10(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, f32::log10, f64::log10)
}
/// `erf(self)`.
pub(crate) fn erf(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, libm::erff, libm::erf)
}

/// A rounding operator: integers are returned unchanged (a copy), floats
/// rounded by `f`.
fn rounding(ctx: &KernelCtx<'_>, a: &Args<'_>, f: impl Fn(f64) -> f64) -> Out {
    let t = a.tensor(0)?;
    if t.dtype().is_integral(true) {
        return Ok(vec![unary(ctx, t, None, |x| x)?.into()]);
    }
    Ok(vec![unary(ctx, t, None, f)?.into()])
}

/// `floor(self)`.
pub(crate) fn floor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    rounding(ctx, &a, f64::floor)
}
/// `ceil(self)`.
pub(crate) fn ceil(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    rounding(ctx, &a, f64::ceil)
}
/// `trunc(self)`.
pub(crate) fn trunc(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    rounding(ctx, &a, f64::trunc)
}
/// `round(self)`: halves to even.
pub(crate) fn round(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    rounding(ctx, &a, f64::round_ties_even)
}
/// The in-place roundings: integers (and bool) are left as they are.
fn rounding_(ctx: &KernelCtx<'_>, a: &Args<'_>, f: fn(f64) -> f64) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if !t.dtype().is_integral(true) {
        write_map(ctx, t, f)?;
    }
    Ok(vec![t.clone().into()])
}
/// `floor_(self)`.
pub(crate) fn floor_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    rounding_(ctx, &a, f64::floor)
}
/// `ceil_(self)` (what `torch.quantile`'s linear interpolation calls on
/// its ranks).
pub(crate) fn ceil_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    rounding_(ctx, &a, f64::ceil)
}
/// `trunc_(self)`.
pub(crate) fn trunc_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    rounding_(ctx, &a, f64::trunc)
}
/// `round_(self)`: halves to even (`torch.quantile(interpolation='nearest')`).
pub(crate) fn round_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    rounding_(ctx, &a, f64::round_ties_even)
}
/// `frac(self)`: `self - trunc(self)`.
pub(crate) fn frac(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    super::common::require_floating(ctx, t.dtype())?;
    Ok(vec![unary(ctx, t, None, |x| x - x.trunc())?.into()])
}

/// `round.decimals(self, *, decimals)`: `nearbyint(x * 10^d) / 10^d`
/// (negative `d`: `nearbyint(x / 10^-d) * 10^-d`), in the dtype's compute
/// precision.
pub(crate) fn round_decimals(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let d = a.int(1)?;
    let t = a.tensor(0)?;
    let exponent = i32::try_from(d.unsigned_abs()).unwrap_or(i32::MAX);
    let f = opmath!(wide(t.dtype()), |v: [T]| {
        let p = (10.0 as T).powi(exponent);
        if d < 0 {
            (v[0] / p).round_ties_even() * p
        } else {
            (v[0] * p).round_ties_even() / p
        }
    });
    rounding(ctx, &a, |x| f(&[x]))
}

/// The largest finite value of a floating dtype (`torch.finfo(dtype).max`).
fn finite_max(dtype: DType) -> f64 {
    match dtype {
        DType::Float16 => 65504.0,
        DType::BFloat16 => 3.389_531_389_251_535_5e38,
        DType::Float32 => f64::from(f32::MAX),
        _ => f64::MAX,
    }
}

/// `nan_to_num(self, nan, posinf, neginf)`: NaN → `nan` (0), +inf →
/// `posinf` (the dtype's max), -inf → `neginf` (its lowest); integers copy.
pub(crate) fn nan_to_num(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let opt = |i: usize| -> Result<Option<f64>> {
        match a.values.get(i) {
            None | Some(IValue::None) => Ok(None),
            Some(_) => a.scalar(i).map(Some),
        }
    };
    let big = finite_max(t.dtype());
    let nan = opt(1)?.unwrap_or(0.0);
    let pos = opt(2)?.unwrap_or(big);
    let neg = opt(3)?.unwrap_or(-big);
    Ok(vec![
        unary_like(ctx, t, |x| {
            if x.is_nan() {
                nan
            } else if x == f64::INFINITY {
                pos
            } else if x == f64::NEG_INFINITY {
                neg
            } else {
                x
            }
        })?
        .into(),
    ])
}
