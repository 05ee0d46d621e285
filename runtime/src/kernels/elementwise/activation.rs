//! Activation kernels and their `*_backward` operators: `gelu` (exact and
//! tanh approximation), `silu`, `sigmoid`, `tanh`, `softplus`, `leaky_relu`,
//! `hardtanh`, `elu`, and the in-place variants nn modules call (`relu_`,
//! `gelu_`, `leaky_relu_`, ...).
//!
//! `sigmoid` and `tanh` are "floating" operators (integers give the default
//! float dtype); the others refuse integer inputs as PyTorch's CPU kernels
//! do, except `hardtanh`, which clamps integers. A backward operator's result
//! has the promoted dtype of its tensor operands.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

use super::common::{nary, promoted, require_floating, to_floating};
use super::unary::write_map;
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::pointwise::unary;
use crate::tensor::Tensor;
use crate::tensor::promote::check_inplace_cast;

type Out = Result<Vec<IValue>>;

/// The coefficient of the cubic term in gelu's tanh approximation.
const GELU_CUBIC: f64 = 0.044715;

fn sigmoid_value(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `approximate` of `gelu`: `"none"` or `"tanh"`.
fn tanh_approximation(ctx: &KernelCtx<'_>, a: &Args<'_>, i: usize) -> Result<bool> {
    match a.values.get(i) {
        Some(IValue::Str(s)) if s == "tanh" => Ok(true),
        Some(IValue::Str(s)) if s == "none" => Ok(false),
        None | Some(IValue::None) => Ok(false),
        Some(other) => Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!("approximate argument must be either none or tanh, got {other:?}"),
        }),
    }
}

fn gelu_value(x: f64, tanh: bool) -> f64 {
    if tanh {
        let inner = (2.0 / PI).sqrt() * (x + GELU_CUBIC * x * x * x);
        0.5 * x * (1.0 + inner.tanh())
    } else {
        0.5 * x * (1.0 + libm::erf(x * FRAC_1_SQRT_2))
    }
}

fn gelu_grad(g: f64, x: f64, tanh: bool) -> f64 {
    if tanh {
        let k = (2.0 / PI).sqrt();
        let inner = k * (x + GELU_CUBIC * x * x * x);
        let t = inner.tanh();
        let d_inner = k * (1.0 + 3.0 * GELU_CUBIC * x * x);
        g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner)
    } else {
        let cdf = 0.5 * (1.0 + libm::erf(x * FRAC_1_SQRT_2));
        let pdf = (-0.5 * x * x).exp() / (2.0 * PI).sqrt();
        g * (cdf + x * pdf)
    }
}

/// A float-only activation `f(x)` of `self`, out of place.
fn activation(ctx: &KernelCtx<'_>, t: &Tensor, f: impl Fn(f64) -> f64) -> Out {
    require_floating(ctx, t.dtype())?;
    Ok(vec![unary(ctx, t, None, f)?.into()])
}

/// The in-place form of [`activation`].
fn activation_(ctx: &KernelCtx<'_>, t: &Tensor, f: impl Fn(f64) -> f64) -> Out {
    ctx.check(t, "self")?;
    require_floating(ctx, t.dtype())?;
    write_map(ctx, t, f)?;
    Ok(vec![t.clone().into()])
}

/// A backward operator `f(grad, x)` over two broadcast tensors.
fn backward2(
    ctx: &KernelCtx<'_>,
    g: Operand<'_>,
    x: Operand<'_>,
    f: impl Fn(f64, f64) -> f64,
) -> Out {
    let ops = [g, x];
    let dtype = promoted(ctx, &ops);
    Ok(vec![nary(ctx, &ops, dtype, |v| f(v[0], v[1]))?.into()])
}

/// `gelu(self, *, approximate)`.
pub(crate) fn gelu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let tanh = tanh_approximation(ctx, &a, 1)?;
    activation(ctx, a.tensor(0)?, |x| gelu_value(x, tanh))
}

/// `gelu_(self, *, approximate)`.
pub(crate) fn gelu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let tanh = tanh_approximation(ctx, &a, 1)?;
    activation_(ctx, a.tensor(0)?, |x| gelu_value(x, tanh))
}

/// `gelu_backward(grad_output, self, *, approximate)`.
pub(crate) fn gelu_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let tanh = tanh_approximation(ctx, &a, 2)?;
    backward2(ctx, a.operand(0)?, a.operand(1)?, |g, x| {
        gelu_grad(g, x, tanh)
    })
}

/// `silu(self)`: `x * sigmoid(x)`.
pub(crate) fn silu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    activation(ctx, a.tensor(0)?, |x| x * sigmoid_value(x))
}

/// `silu_(self)`.
pub(crate) fn silu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    activation_(ctx, a.tensor(0)?, |x| x * sigmoid_value(x))
}

/// `silu_backward(grad_output, self)`: `g * s * (1 + x * (1 - s))`.
pub(crate) fn silu_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    backward2(ctx, a.operand(0)?, a.operand(1)?, |g, x| {
        let s = sigmoid_value(x);
        g * s * (1.0 + x * (1.0 - s))
    })
}

/// A "floating" activation (`sigmoid`, `tanh`): integers give the default
/// float dtype.
fn floating(ctx: &KernelCtx<'_>, t: &Tensor, f: fn(f64) -> f64) -> Out {
    let dtype = to_floating(ctx, t.dtype());
    Ok(vec![unary(ctx, t, Some(dtype), f)?.into()])
}

fn floating_(ctx: &KernelCtx<'_>, t: &Tensor, f: fn(f64) -> f64) -> Out {
    ctx.check(t, "self")?;
    check_inplace_cast(ctx.op, to_floating(ctx, t.dtype()), t.dtype())?;
    write_map(ctx, t, f)?;
    Ok(vec![t.clone().into()])
}

/// `sigmoid(self)`.
pub(crate) fn sigmoid(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    floating(ctx, a.tensor(0)?, sigmoid_value)
}

/// `sigmoid_(self)`.
pub(crate) fn sigmoid_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    floating_(ctx, a.tensor(0)?, sigmoid_value)
}

/// `sigmoid_backward(grad_output, output)`: `g * (1 - y) * y`.
pub(crate) fn sigmoid_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    backward2(ctx, a.operand(0)?, a.operand(1)?, |g, y| g * (1.0 - y) * y)
}

/// `tanh(self)`.
pub(crate) fn tanh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    floating(ctx, a.tensor(0)?, f64::tanh)
}

/// `tanh_(self)`.
pub(crate) fn tanh_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    floating_(ctx, a.tensor(0)?, f64::tanh)
}

/// `tanh_backward(grad_output, output)`: `g * (1 - y^2)`.
pub(crate) fn tanh_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    backward2(ctx, a.operand(0)?, a.operand(1)?, |g, y| g * (1.0 - y * y))
}

/// `softplus(self, beta, threshold)`: `log1p(exp(beta x)) / beta`, linear
/// above the threshold.
pub(crate) fn softplus(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (beta, threshold) = (a.scalar(1)?, a.scalar(2)?);
    activation(ctx, a.tensor(0)?, |x| {
        if x * beta > threshold {
            x
        } else {
            (x * beta).exp().ln_1p() / beta
        }
    })
}

/// `softplus_backward(grad_output, self, beta, threshold)`.
pub(crate) fn softplus_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (beta, threshold) = (a.scalar(2)?, a.scalar(3)?);
    backward2(ctx, a.operand(0)?, a.operand(1)?, |g, x| {
        if x * beta > threshold {
            g
        } else {
            let z = (x * beta).exp();
            g * z / (z + 1.0)
        }
    })
}

/// `leaky_relu(self, negative_slope)`.
pub(crate) fn leaky_relu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let slope = a.scalar(1)?;
    activation(ctx, a.tensor(0)?, |x| if x > 0.0 { x } else { x * slope })
}

/// `leaky_relu_(self, negative_slope)`.
pub(crate) fn leaky_relu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let slope = a.scalar(1)?;
    activation_(ctx, a.tensor(0)?, |x| if x > 0.0 { x } else { x * slope })
}

/// `leaky_relu_backward(grad_output, self, negative_slope, self_is_result)`.
pub(crate) fn leaky_relu_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let slope = a.scalar(2)?;
    backward2(ctx, a.operand(0)?, a.operand(1)?, |g, x| {
        if x > 0.0 { g } else { g * slope }
    })
}

fn hardtanh_value(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() { x } else { x.max(lo).min(hi) }
}

/// `hardtanh(self, min_val, max_val)`: a clamp that keeps the dtype.
pub(crate) fn hardtanh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (lo, hi) = (a.scalar(1)?, a.scalar(2)?);
    let t = a.tensor(0)?;
    Ok(vec![
        unary(ctx, t, None, |x| hardtanh_value(x, lo, hi))?.into(),
    ])
}

/// `hardtanh_(self, min_val, max_val)`.
pub(crate) fn hardtanh_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (lo, hi) = (a.scalar(1)?, a.scalar(2)?);
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    write_map(ctx, t, |x| hardtanh_value(x, lo, hi))?;
    Ok(vec![t.clone().into()])
}

/// `hardtanh_backward(grad_output, self, min_val, max_val)`: the gradient
/// where `min_val < x < max_val`, else 0.
pub(crate) fn hardtanh_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (lo, hi) = (a.scalar(2)?, a.scalar(3)?);
    backward2(ctx, a.operand(0)?, a.operand(1)?, |g, x| {
        if x <= lo || x >= hi { 0.0 } else { g }
    })
}

/// elu's parameters: alpha, scale, input_scale.
#[derive(Clone, Copy)]
struct Elu {
    alpha: f64,
    scale: f64,
    input_scale: f64,
}

impl Elu {
    fn value(self, x: f64) -> f64 {
        if x > 0.0 {
            x * self.scale
        } else {
            (x * self.input_scale).exp_m1() * self.alpha * self.scale
        }
    }

    fn grad(self, g: f64, s: f64, is_result: bool) -> f64 {
        if s > 0.0 {
            g * self.scale
        } else if is_result {
            g * self.input_scale * (s + self.alpha * self.scale)
        } else {
            g * self.input_scale * self.alpha * self.scale * (s * self.input_scale).exp()
        }
    }
}

fn elu_params(a: &Args<'_>, first: usize) -> Result<Elu> {
    Ok(Elu {
        alpha: a.scalar(first)?,
        scale: a.scalar(first + 1)?,
        input_scale: a.scalar(first + 2)?,
    })
}

/// `elu(self, alpha, scale, input_scale)`.
pub(crate) fn elu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let p = elu_params(&a, 1)?;
    activation(ctx, a.tensor(0)?, |x| p.value(x))
}

/// `elu_(self, alpha, scale, input_scale)`.
pub(crate) fn elu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let p = elu_params(&a, 1)?;
    activation_(ctx, a.tensor(0)?, |x| p.value(x))
}

/// `elu_backward(grad_output, alpha, scale, input_scale, is_result,
/// self_or_result)`.
pub(crate) fn elu_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let p = elu_params(&a, 1)?;
    let is_result = a.bool(4)?;
    backward2(ctx, a.operand(0)?, a.operand(5)?, |g, s| {
        p.grad(g, s, is_result)
    })
}

/// `relu_(self)`: `max(self, 0)` in place, NaN kept.
pub(crate) fn relu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if t.dtype() == crate::tensor::dtype::DType::Bool {
        return Err(RuntimeError::UnsupportedDtype {
            op: ctx.op.to_owned(),
            arg: "self".into(),
            dtype: "Bool".into(),
        });
    }
    write_map(ctx, t, |x| if x > 0.0 || x.is_nan() { x } else { 0.0 })?;
    Ok(vec![t.clone().into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_matches_reference_values() {
        // torch.nn.functional.gelu(torch.tensor([1.0], dtype=torch.float64))
        assert!((gelu_value(1.0, false) - 0.841_344_746_068_542_9).abs() < 1e-15);
        assert!((gelu_value(1.0, true) - 0.841_191_990_607_477_1).abs() < 1e-12);
    }

    #[test]
    fn gelu_gradient_matches_finite_differences() {
        for tanh in [false, true] {
            let (x, h) = (0.7, 1e-6);
            let numeric = (gelu_value(x + h, tanh) - gelu_value(x - h, tanh)) / (2.0 * h);
            assert!((gelu_grad(1.0, x, tanh) - numeric).abs() < 1e-8);
        }
    }
}
