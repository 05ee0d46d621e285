//! The shrinkage activations and `threshold`: `hardshrink`, `softshrink`,
//! their shared backward (`hardshrink_backward`, `softshrink_backward`), and
//! `threshold` / `threshold_` (`nn.Threshold`, whose backward is ReLU's
//! `threshold_backward`).
//!
//! As ATen's CPU kernels (`Activation.cpp`, torch 2.15):
//! * `hardshrink(x, λ)`: `0` where `-λ <= x <= λ`, else `x` (NaN passes);
//!   λ in the tensor's dtype. Floating dtypes only (`hardshrink_cpu`).
//! * `softshrink(x, λ)`: `x - λ` above λ, `x + λ` below `-λ`, else `x * 0`
//!   (a zero with `x`'s sign; NaN passes), with λ in the tensor's dtype,
//!   computed in float (double for float64) and rounded once. λ must lie in
//!   `[0, max of the dtype]` (`softshrink_check`'s message).
//! * the shrink backward: `0` where `-λ <= self <= λ`, else the gradient,
//!   λ in the common dtype of the two.
//! * `threshold(x, t, v)`: `v` where `x <= t`, else `x`, with `v` cast to
//!   the dtype as C++ casts (integers truncate and wrap) and `t` too, except
//!   that half and bfloat16 compare with `t` in float; every dtype but bool
//!   (`threshold_cpu`).
//!
//! PyTorch's vectorised loop differs from its scalar loop for a NaN input
//! of the shrink backward: 0 there, the gradient in the scalar loop; the
//! runtime follows each element's loop (`nary_lanes`). The forward shrinks
//! give NaN in both (torch 2.15).

use super::common::{opmath, promoted, round_to, wide};
use super::unary::write_map;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::pointwise::unary;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

type Out = Result<Vec<IValue>>;

/// PyTorch's `"NAME" not implemented for 'Long'` of a kernel that
/// dispatches over floating types only.
fn floating_only(ctx: &KernelCtx<'_>, name: &str, dtype: DType) -> Result<()> {
    if dtype.is_floating() {
        return Ok(());
    }
    Err(RuntimeError::KernelDtype {
        op: ctx.op.to_owned(),
        message: format!(
            "\"{name}\" not implemented for '{}'",
            dtype.scalar_type_name()
        ),
    })
}

/// `hardshrink(self, lambd=0.5)`.
pub(crate) fn hardshrink(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    floating_only(ctx, "hardshrink_cpu", t.dtype())?;
    let lambd = round_to(t.dtype(), a.scalar(1)?);
    Ok(vec![
        unary(ctx, t, None, |x| {
            if x >= -lambd && x <= lambd { 0.0 } else { x }
        })?
        .into(),
    ])
}

/// The largest finite value of a floating dtype, as `softshrink_check`
/// prints it.
fn dtype_max(dtype: DType) -> (f64, &'static str) {
    match dtype {
        DType::Float64 => (f64::MAX, "1.79769e+308"),
        DType::Float16 => (65504.0, "65504"),
        DType::BFloat16 => (3.389_531_389_251_535_5e38, "3.38953e+38"),
        _ => (f64::from(f32::MAX), "3.40282e+38"),
    }
}

/// `value` as C++'s `operator<<` prints a double: six significant digits,
/// trailing zeros dropped, an exponent outside `[-5, 6)`.
pub(crate) fn cpp_general(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return if value.is_nan() {
            "nan".into()
        } else if value.is_infinite() {
            if value > 0.0 { "inf" } else { "-inf" }.into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{value:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    if (-5..6).contains(&exp) {
        let decimals = usize::try_from(5 - exp).unwrap_or(0);
        trim(format!("{value:.decimals$}"))
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa.to_owned()), exp.abs())
    }
}

/// `softshrink(self, lambd=0.5)`.
pub(crate) fn softshrink(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    floating_only(ctx, "softshrink_check", t.dtype())?;
    let lambd = a.scalar(1)?;
    let (max, max_text) = dtype_max(t.dtype());
    if !(0.0..=max).contains(&lambd) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "lambda must be in range [0, {max_text}] for input dtype {}, but found {}",
                t.dtype().scalar_type_name(),
                cpp_general(lambd)
            ),
        ));
    }
    let shifted = !ctx.faults.softshrink_no_shift;
    let lambd = round_to(t.dtype(), lambd);
    let f = opmath!(wide(t.dtype()), |v: [T]| {
        let (x, l) = (v[0], lambd as T);
        if !shifted {
            if x > l || x < -l { x } else { x * 0.0 }
        } else if x > l {
            x - l
        } else if x < -l {
            x + l
        } else {
            x * 0.0
        }
    });
    Ok(vec![unary(ctx, t, None, |x| f(&[x]))?.into()])
}

/// `hardshrink_backward(grad_out, self, lambd)` and
/// `softshrink_backward(grad_output, self, lambd)`: ATen's one
/// `shrink_backward` kernel, the gradient outside `[-λ, λ]`.
pub(crate) fn shrink_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (g, x) = (a.operand(0)?, a.operand(1)?);
    let dtype = promoted(ctx, &[g, x]);
    floating_only(ctx, "shrink_backward_cpu", dtype)?;
    let lambd = round_to(dtype, a.scalar(2)?);
    let lanes = !ctx.faults.nan_grads_scalar_loop;
    let out = super::common::nary_lanes(ctx, &[g, x], dtype, 1, |v, lane| {
        // the vectorised loop keeps the gradient where `|x| > λ`, which NaN
        // fails
        if lanes && lane && v[1].is_nan() || v[1] >= -lambd && v[1] <= lambd {
            0.0
        } else {
            v[0]
        }
    })?;
    Ok(vec![out.into()])
}

/// `threshold`'s refusal of bool and its two scalars in the dtype.
fn threshold_params(ctx: &KernelCtx<'_>, a: &Args<'_>, t: &Tensor) -> Result<(f64, f64)> {
    if t.dtype() == DType::Bool || t.dtype().is_complex() {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"threshold_cpu\" not implemented for '{}'",
                t.dtype().scalar_type_name()
            ),
        });
    }
    // Half and bfloat16 compare in float (observed in torch 2.15:
    // bfloat16 0.10009765625 is kept by `threshold(x, 0.1, v)`).
    let th = match t.dtype() {
        DType::Float16 | DType::BFloat16 => round_to(DType::Float32, a.scalar(1)?),
        dtype => round_to(dtype, a.scalar(1)?),
    };
    Ok((th, round_to(t.dtype(), a.scalar(2)?)))
}

/// `threshold(self, threshold, value)`.
pub(crate) fn threshold(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let (th, value) = threshold_params(ctx, &a, t)?;
    Ok(vec![
        unary(ctx, t, None, |x| if x <= th { value } else { x })?.into(),
    ])
}

/// `threshold_(self, threshold, value)`.
pub(crate) fn threshold_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let (th, value) = threshold_params(ctx, &a, t)?;
    write_map(ctx, t, |x| if x <= th { value } else { x })?;
    Ok(vec![t.clone().into()])
}

#[cfg(test)]
mod tests {
    use super::cpp_general;

    #[test]
    fn doubles_print_as_cpp_streams_them() {
        assert_eq!(cpp_general(-1.0), "-1");
        assert_eq!(cpp_general(1e6), "1e+06");
        assert_eq!(cpp_general(0.5), "0.5");
        assert_eq!(cpp_general(123456.0), "123456");
        assert_eq!(cpp_general(1234567.0), "1.23457e+06");
        assert_eq!(cpp_general(-2.5e-7), "-2.5e-07");
        assert_eq!(cpp_general(0.0001), "0.0001");
    }
}
