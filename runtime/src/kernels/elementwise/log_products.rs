//! The value-times-logarithm operators: `xlogy` (`x · ln y`),
//! `special_xlog1py` (`x · ln(1 + y)`) and `special_entr` (`-x · ln x`).
//!
//! PyTorch's CPU kernels for them are scalar loops on the dtype
//! (`cpu_kernel`), so each step rounds as the dtype's arithmetic rounds:
//! float64 in float64; float32 takes the C library's `logf`/`log1pf` and a
//! float32 product; float16 and bfloat16 take the logarithm of the value as
//! a float, rounded to the dtype (c10's reduced-type math functions return
//! the dtype), then the product rounded to the dtype (measured on torch
//! 2.15: 1,500 random elements per operator and dtype bit for bit; rounding
//! only the product misses 17–21% of them). A number operand is cast to the
//! dtype first, as TensorIterator casts every input.

use super::common::{nary, promoted, round_to, to_floating};
use crate::dispatch::args::{Args, Operand};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::pointwise::unary;
use crate::tensor::dtype::DType;

type Out = Result<Vec<IValue>>;

/// How one element is computed in a dtype: a logarithm of the argument's
/// float value, rounded as the dtype's math function returns it, and the
/// rest in the dtype's arithmetic.
#[derive(Clone, Copy)]
struct Steps {
    dtype: DType,
    /// Round the float logarithm to the dtype (float16/bfloat16), unless
    /// the reduced-steps-in-float fault computes it in float throughout.
    round_log: bool,
}

impl Steps {
    fn of(ctx: &KernelCtx<'_>, dtype: DType) -> Steps {
        Steps {
            dtype,
            round_log: matches!(dtype, DType::BFloat16 | DType::Float16)
                && !ctx.faults.reduced_steps_in_float,
        }
    }

    /// `x · log(y)` with `log` one of the two logarithms (`ln`, `ln_1p`);
    /// the result is rounded to the dtype by the caller's output.
    fn times_log(self, x: f64, y: f64, log32: fn(f32) -> f32, log64: fn(f64) -> f64) -> f64 {
        if self.dtype == DType::Float64 {
            return x * log64(y);
        }
        let log = log32(y as f32);
        let log = if self.round_log {
            round_to(self.dtype, f64::from(log)) as f32
        } else {
            log
        };
        f64::from(x as f32 * log)
    }
}

/// `x · log(y)`, 0 where `x == 0`, NaN where `y` is NaN.
fn guarded(steps: Steps, x: f64, y: f64, log32: fn(f32) -> f32, log64: fn(f64) -> f64) -> f64 {
    if y.is_nan() {
        f64::NAN
    } else if x == 0.0 {
        0.0
    } else {
        steps.times_log(x, y, log32, log64)
    }
}

/// The operands of a binary operator and its result dtype (integers give
/// the default float dtype), numbers rounded to that dtype.
fn binary_operands<'a>(ctx: &KernelCtx<'_>, a: &Args<'a>) -> Result<([Operand<'a>; 2], DType)> {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = to_floating(ctx, promoted(ctx, &ops));
    Ok((ops, dtype))
}

/// `x · log(y)` of a binary operator's two operands, numbers rounded to the
/// result's dtype as TensorIterator casts them.
fn times_log_kernel(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    log32: fn(f32) -> f32,
    log64: fn(f64) -> f64,
) -> Out {
    let (ops, dtype) = binary_operands(ctx, a)?;
    let steps = Steps::of(ctx, dtype);
    let out = nary(ctx, &ops, dtype, move |v| {
        let (x, y) = (round_to(dtype, v[0]), round_to(dtype, v[1]));
        guarded(steps, x, y, log32, log64)
    })?;
    Ok(vec![out.into()])
}

/// `xlogy.Tensor`, `xlogy.Scalar_Other`, `xlogy.Scalar_Self`.
pub(crate) fn xlogy(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    times_log_kernel(ctx, &a, f32::ln, f64::ln)
}

/// `special_xlog1py` (and its `self_scalar`/`other_scalar` overloads, whose
/// number PyTorch's composite kernels wrap as a 0-dim input).
pub(crate) fn xlog1py(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    times_log_kernel(ctx, &a, f32::ln_1p, f64::ln_1p)
}

/// `special_entr(self)`: `-x · ln x` for `x > 0`, 0 at 0, `-inf` below,
/// NaN kept.
pub(crate) fn entr(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let dtype = to_floating(ctx, t.dtype());
    let steps = Steps::of(ctx, dtype);
    let out = unary(ctx, t, Some(dtype), move |x: f64| {
        if x.is_nan() {
            x
        } else if x > 0.0 {
            steps.times_log(-x, x, f32::ln, f64::ln)
        } else if x == 0.0 {
            0.0
        } else {
            f64::NEG_INFINITY
        }
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(dtype: DType) -> Steps {
        Steps {
            dtype,
            round_log: matches!(dtype, DType::BFloat16 | DType::Float16),
        }
    }

    #[test]
    fn reduced_types_round_the_logarithm_first() {
        // bfloat16 0.396484375 · ln 2.375 (torch 2.15: 0.341796875): the
        // logarithm rounded to bfloat16 first; rounding only the product
        // gives 0.34375
        let s = steps(DType::BFloat16);
        let v = round_to(
            DType::BFloat16,
            s.times_log(0.396484375, 2.375, f32::ln, f64::ln),
        );
        assert_eq!(v, 0.341796875);
        let x = 0.396484375f64 as f32;
        let once = round_to(DType::BFloat16, f64::from(x * 2.375f32.ln()));
        assert_eq!(once, 0.34375);
    }

    #[test]
    fn float32_takes_the_float_logarithm() {
        let s = steps(DType::Float32);
        let v = s.times_log(3.0, 2.5, f32::ln, f64::ln);
        assert_eq!(v, f64::from(3.0f32 * 2.5f32.ln()));
    }

    #[test]
    fn guards_keep_zero_and_nan() {
        let s = steps(DType::Float16);
        assert_eq!(guarded(s, 0.0, 0.0, f32::ln, f64::ln), 0.0);
        assert!(guarded(s, 0.0, f64::NAN, f32::ln, f64::ln).is_nan());
    }
}
