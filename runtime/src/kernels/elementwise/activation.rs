//! Activation kernels and their `*_backward` operators: `gelu` (exact and
//! tanh approximation), `silu`, `sigmoid`, `tanh`, `softplus`, `leaky_relu`,
//! `hardtanh`, `elu`, `celu`, `hardswish`, `hardsigmoid`, `mish`,
//! `log_sigmoid_forward`, `glu`, and the
//! in-place variants nn modules call (`relu_`,
//! `gelu_`, `leaky_relu_`, ...).
//!
//! `sigmoid` and `tanh` are "floating" operators (integers give the default
//! float dtype); the others refuse integer inputs as PyTorch's CPU kernels
//! do, except `hardtanh`, which clamps integers. A backward operator's result
//! has the promoted dtype of its tensor operands.

use std::f64::consts::FRAC_1_SQRT_2;

use super::common::{
    Erf, nary, nary_lanes, opmath, promoted, require_floating, round_to, to_floating, wide,
};
use super::unary::write_map;
use super::{onednn_gelu, sigmoid_lanes};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::nn::sleef_f32;
use crate::kernels::pointwise::{unary, unary_like};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::promote::check_inplace_cast;

type Out = Result<Vec<IValue>>;

/// The coefficient of the cubic term in gelu's tanh approximation.
const GELU_CUBIC: f64 = 0.044715;
/// `sqrt(2 / pi)`.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// `1 / sqrt(2 pi)`.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

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

/// The per-element formula of a one-input activation.
type Formula = Box<dyn Fn(&[f64]) -> f64>;

/// ATen's own `gelu` (a single element, a non-contiguous `self`, float64;
/// the tanh form always): `x · 0.5 · (1 + erf(x/√2))` in the compute
/// precision.
fn gelu_formula(tanh: bool, wide: bool) -> Formula {
    if tanh {
        Box::new(opmath!(wide, |v: [T]| {
            let x = v[0];
            let inner = SQRT_2_OVER_PI as T * (x + GELU_CUBIC as T * x * x * x);
            0.5 * x * (1.0 + inner.tanh())
        }))
    } else {
        Box::new(opmath!(wide, |v: [T]| {
            let x = v[0];
            x * 0.5 * (1.0 + Erf::erf(x * FRAC_1_SQRT_2 as T))
        }))
    }
}

/// The formula `gelu`/`gelu_` apply to `t`: the tanh form, or the erf form
/// of the path `t` takes.
fn gelu_of(ctx: &KernelCtx<'_>, t: &Tensor, tanh: bool) -> Formula {
    if tanh {
        gelu_formula(true, wide(t.dtype()))
    } else {
        gelu_erf_formula(ctx, t)
    }
}

/// Whether `gelu`/`gelu_backward` (erf form) of `self` run oneDNN's kernel.
fn onednn_path(ctx: &KernelCtx<'_>, t: &Tensor) -> bool {
    if ctx.faults.gelu_onednn_for_every_layout {
        return matches!(t.dtype(), DType::Float32 | DType::BFloat16 | DType::Float16);
    }
    onednn_gelu::takes_onednn_path(t)
}

/// The erf form of `gelu` of `t`: oneDNN's where torch 2.15 takes that
/// path (`onednn_gelu`), else ATen's.
fn gelu_erf_formula(ctx: &KernelCtx<'_>, t: &Tensor) -> Formula {
    if !onednn_path(ctx, t) || ctx.faults.gelu_aten_formula_on_onednn_path {
        return gelu_formula(false, wide(t.dtype()));
    }
    if ctx.faults.gelu_float_inf_finite {
        return Box::new(|v: &[f64]| {
            if v[0] == f64::INFINITY {
                f64::INFINITY
            } else {
                f64::from(onednn_gelu::gelu(v[0] as f32))
            }
        });
    }
    if !ctx.cpu.onednn_gelu_minimax {
        return Box::new(|v: &[f64]| f64::from(onednn_gelu::gelu_abramowitz_stegun(v[0] as f32)));
    }
    Box::new(|v: &[f64]| f64::from(onednn_gelu::gelu(v[0] as f32)))
}

fn gelu_grad_formula(tanh: bool, wide: bool) -> Formula {
    if tanh {
        Box::new(opmath!(wide, |v: [T]| {
            let (g, x) = (v[0], v[1]);
            let k = SQRT_2_OVER_PI as T;
            let c = GELU_CUBIC as T;
            let inner = k * (x + c * x * x * x);
            let t = inner.tanh();
            let left = 0.5 * x;
            let right = 1.0 + t;
            let left_d = 0.5 * right;
            let right_d = left * (1.0 - t * t) * k * (1.0 + 3.0 * c * x * x);
            g * (left_d + right_d)
        }))
    } else {
        Box::new(opmath!(wide, |v: [T]| {
            let (g, x) = (v[0], v[1]);
            let cdf = 0.5 * (1.0 + Erf::erf(x * FRAC_1_SQRT_2 as T));
            let pdf = INV_SQRT_2PI as T * (-0.5 * x * x).exp();
            g * (cdf + x * pdf)
        }))
    }
}

/// A float-only activation `f(x)` of `self`, out of place.
fn activation(ctx: &KernelCtx<'_>, t: &Tensor, f: impl Fn(&[f64]) -> f64) -> Out {
    require_floating(ctx, t.dtype())?;
    Ok(vec![unary(ctx, t, None, |x| f(&[x]))?.into()])
}

/// The in-place form of [`activation`].
fn activation_(ctx: &KernelCtx<'_>, t: &Tensor, f: impl Fn(&[f64]) -> f64) -> Out {
    ctx.check(t, "self")?;
    require_floating(ctx, t.dtype())?;
    write_map(ctx, t, |x| f(&[x]))?;
    Ok(vec![t.clone().into()])
}

/// The dtype and compute precision of a backward operator over
/// (grad, saved).
fn backward_dtype(ctx: &KernelCtx<'_>, g: Operand<'_>, x: Operand<'_>) -> (DType, bool) {
    let dtype = promoted(ctx, &[g, x]);
    (dtype, wide(dtype))
}

/// A backward operator over two broadcast tensors; `f` gets `[grad, x]`.
fn backward2(
    ctx: &KernelCtx<'_>,
    g: Operand<'_>,
    x: Operand<'_>,
    dtype: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Out {
    Ok(vec![nary(ctx, &[g, x], dtype, f)?.into()])
}

/// `gelu(self, *, approximate)`.
pub(crate) fn gelu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let tanh = tanh_approximation(ctx, &a, 1)?;
    let t = a.tensor(0)?;
    activation(ctx, t, gelu_of(ctx, t, tanh))
}

/// `gelu_(self, *, approximate)`.
pub(crate) fn gelu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let tanh = tanh_approximation(ctx, &a, 1)?;
    let t = a.tensor(0)?;
    activation_(ctx, t, gelu_of(ctx, t, tanh))
}

/// `gelu_backward(grad_output, self, *, approximate)`.
pub(crate) fn gelu_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let tanh = tanh_approximation(ctx, &a, 2)?;
    let (g, x) = (a.operand(0)?, a.operand(1)?);
    let (dtype, w) = backward_dtype(ctx, g, x);
    // oneDNN's kernel when `self` takes its path (the gradient's layout
    // does not matter) and both have its dtype
    let onednn = !tanh
        && !ctx.faults.gelu_aten_formula_on_onednn_path
        && matches!(x, Operand::Tensor(t) if onednn_path(ctx, t) && t.dtype() == dtype);
    if onednn {
        let formula = |v: &[f64]| f64::from(onednn_gelu::gelu_backward(v[0] as f32, v[1] as f32));
        return backward2(ctx, g, x, dtype, formula);
    }
    backward2(ctx, g, x, dtype, gelu_grad_formula(tanh, w))
}

fn silu_formula(wide: bool) -> Formula {
    Box::new(opmath!(wide, |v: [T]| v[0] / (1.0 + (-v[0]).exp())))
}

/// `silu(self)`: `x / (1 + exp(-x))` (float32 by PyTorch's loops:
/// [`sigmoid_lanes`]).
pub(crate) fn silu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let out = activation(ctx, t, silu_formula(wide(t.dtype())))?;
    redo_unary_lanes(ctx, &out, t, None, sigmoid_lanes::silu)?;
    Ok(out)
}

/// `silu_(self)`.
pub(crate) fn silu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let before = float32_values(ctx, t)?;
    let out = activation_(ctx, t, silu_formula(wide(t.dtype())))?;
    redo_unary_lanes(ctx, &out, t, before, sigmoid_lanes::silu)?;
    Ok(out)
}

/// `t`'s values when it is float32 on a backend with data, read before an
/// in-place kernel writes it.
fn float32_values(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<Option<Vec<f64>>> {
    if t.dtype() == DType::Float32 && ctx.has_data() {
        Ok(Some(t.read_f64(ctx.op)?))
    } else {
        Ok(None)
    }
}

/// Rewrites the result of a one-input float32 activation as PyTorch's
/// vector and scalar loops compute it ([`sigmoid_lanes::redo`]); `before`
/// holds `input`'s values when the kernel wrote over them.
fn redo_unary_lanes(
    ctx: &KernelCtx<'_>,
    out: &[IValue],
    input: &Tensor,
    before: Option<Vec<f64>>,
    f: fn(f32, fn(f32) -> f32) -> f32,
) -> Result<()> {
    let Some(IValue::Tensor(result)) = out.first() else {
        return Ok(());
    };
    if result.dtype() != DType::Float32 || input.dtype() != DType::Float32 || !ctx.has_data() {
        return Ok(());
    }
    let values = match before {
        Some(values) => values,
        None => input.read_f64(ctx.op)?,
    };
    sigmoid_lanes::redo(
        ctx,
        result,
        &[input],
        &[values],
        sigmoid_lanes::Lanes::Unary(f),
    )
}

/// `silu_backward(grad_output, self)`: `g * s * (1 + x * (1 - s))`.
pub(crate) fn silu_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (g, x) = (a.operand(0)?, a.operand(1)?);
    let (dtype, w) = backward_dtype(ctx, g, x);
    let out = backward2(
        ctx,
        g,
        x,
        dtype,
        opmath!(w, |v: [T]| {
            let s = 1.0 / (1.0 + (-v[1]).exp());
            v[0] * s * (1.0 + v[1] * (1.0 - s))
        }),
    )?;
    if let (Some(IValue::Tensor(result)), Operand::Tensor(gt), Operand::Tensor(xt)) =
        (out.first(), g, x)
        && result.dtype() == DType::Float32
        && ctx.has_data()
        && gt.dtype() == DType::Float32
        && xt.dtype() == DType::Float32
    {
        let values = [gt.read_f64(ctx.op)?, xt.read_f64(ctx.op)?];
        sigmoid_lanes::redo(
            ctx,
            result,
            &[gt, xt],
            &values,
            sigmoid_lanes::Lanes::Binary(sigmoid_lanes::silu_backward),
        )?;
    }
    Ok(out)
}

/// A "floating" activation (`sigmoid`, `tanh`): integers give the default
/// float dtype.
fn floating(ctx: &KernelCtx<'_>, t: &Tensor, f: impl Fn(&[f64]) -> f64) -> Out {
    let dtype = to_floating(ctx, t.dtype());
    Ok(vec![unary(ctx, t, Some(dtype), |x| f(&[x]))?.into()])
}

fn floating_(ctx: &KernelCtx<'_>, t: &Tensor, f: impl Fn(&[f64]) -> f64) -> Out {
    ctx.check(t, "self")?;
    check_inplace_cast(ctx.op, to_floating(ctx, t.dtype()), t.dtype())?;
    write_map(ctx, t, |x| f(&[x]))?;
    Ok(vec![t.clone().into()])
}

fn sigmoid_formula(wide: bool) -> Formula {
    Box::new(opmath!(wide, |v: [T]| 1.0 / (1.0 + (-v[0]).exp())))
}

fn tanh_formula(wide: bool) -> Formula {
    Box::new(opmath!(wide, |v: [T]| v[0].tanh()))
}

/// `sigmoid(self)` (float32 by PyTorch's loops: [`sigmoid_lanes`]).
pub(crate) fn sigmoid(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let out = floating(ctx, t, sigmoid_formula(wide(to_floating(ctx, t.dtype()))))?;
    redo_unary_lanes(ctx, &out, t, None, sigmoid_lanes::sigmoid)?;
    if let Some(IValue::Tensor(result)) = out.first()
        && t.dtype() == DType::Float64
        && ctx.has_data()
    {
        sigmoid_lanes::redo_f64_sigmoid(ctx, result, t, &t.read_f64(ctx.op)?)?;
    }
    Ok(out)
}

/// `sigmoid_(self)`.
pub(crate) fn sigmoid_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let before = float32_values(ctx, t)?;
    let out = floating_(ctx, t, sigmoid_formula(wide(t.dtype())))?;
    redo_unary_lanes(ctx, &out, t, before, sigmoid_lanes::sigmoid)?;
    Ok(out)
}

/// `sigmoid_backward(grad_output, output)`: `g * (1 - y) * y`. For float16
/// every step rounds to the dtype (observed in torch 2.15: the CPU kernel
/// computes in float16 itself, unlike its neighbours); bfloat16 computes
/// the product in float32 and rounds once (its own kernel, observed bit for
/// bit). Fault `sigmoid-backward-bf16-stepwise` rounds bfloat16 stepwise too.
pub(crate) fn sigmoid_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (g, y) = (a.operand(0)?, a.operand(1)?);
    let (dtype, w) = backward_dtype(ctx, g, y);
    let stepwise = dtype == DType::Float16
        || (dtype == DType::BFloat16 && ctx.faults.sigmoid_backward_bf16_stepwise);
    if stepwise {
        let r = move |x: f64| round_to(dtype, x);
        return backward2(ctx, g, y, dtype, move |v: &[f64]| {
            r(r(v[0] * r(1.0 - v[1])) * v[1])
        });
    }
    backward2(
        ctx,
        g,
        y,
        dtype,
        opmath!(w, |v: [T]| v[0] * (1.0 - v[1]) * v[1]),
    )
}

/// `tanh(self)`.
pub(crate) fn tanh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    floating(ctx, t, tanh_formula(wide(to_floating(ctx, t.dtype()))))
}

/// `tanh_(self)`.
pub(crate) fn tanh_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    floating_(ctx, t, tanh_formula(wide(t.dtype())))
}

/// `tanh_backward(grad_output, output)`: `g * (1 - y * y)`, with
/// `1 - y * y` rounded once (a fused multiply-add, as the compiler contracts
/// PyTorch's vectorised kernel on CPUs with FMA: observed in torch 2.15 on
/// AVX-512, bit for bit for float32 and float64), then the product in the
/// compute dtype. Fault `tanh-backward-unfused` rounds `y * y` first.
pub(crate) fn tanh_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (g, y) = (a.operand(0)?, a.operand(1)?);
    let (dtype, w) = backward_dtype(ctx, g, y);
    if ctx.faults.tanh_backward_unfused {
        return backward2(
            ctx,
            g,
            y,
            dtype,
            opmath!(w, |v: [T]| v[0] * (1.0 - v[1] * v[1])),
        );
    }
    backward2(
        ctx,
        g,
        y,
        dtype,
        opmath!(w, |v: [T]| v[0] * (-v[1]).mul_add(v[1], 1.0)),
    )
}

/// `softplus(self, beta, threshold)`: `log1p(exp(beta x)) / beta`, linear
/// above the threshold.
pub(crate) fn softplus(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (beta, threshold) = (a.scalar(1)?, a.scalar(2)?);
    let t = a.tensor(0)?;
    activation(
        ctx,
        t,
        opmath!(wide(t.dtype()), |v: [T]| {
            let (x, b) = (v[0], beta as T);
            if x * b > threshold as T {
                x
            } else {
                (x * b).exp().ln_1p() / b
            }
        }),
    )
}

/// `softplus_backward(grad_output, self, beta, threshold)`.
pub(crate) fn softplus_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (beta, threshold) = (a.scalar(2)?, a.scalar(3)?);
    let (g, x) = (a.operand(0)?, a.operand(1)?);
    let (dtype, w) = backward_dtype(ctx, g, x);
    backward2(
        ctx,
        g,
        x,
        dtype,
        opmath!(w, |v: [T]| {
            let b = beta as T;
            let z = (v[1] * b).exp();
            if v[1] * b > threshold as T {
                v[0]
            } else {
                v[0] * z / (z + 1.0)
            }
        }),
    )
}

fn leaky_formula(slope: f64, wide: bool) -> Formula {
    Box::new(opmath!(wide, |v: [T]| if v[0] > 0.0 {
        v[0]
    } else {
        v[0] * slope as T
    }))
}

/// `leaky_relu(self, negative_slope)`.
pub(crate) fn leaky_relu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let slope = a.scalar(1)?;
    let t = a.tensor(0)?;
    activation(ctx, t, leaky_formula(slope, wide(t.dtype())))
}

/// `leaky_relu_(self, negative_slope)`.
pub(crate) fn leaky_relu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let slope = a.scalar(1)?;
    let t = a.tensor(0)?;
    activation_(ctx, t, leaky_formula(slope, wide(t.dtype())))
}

/// `leaky_relu_backward(grad_output, self, negative_slope, self_is_result)`.
/// PyTorch's TensorIterator takes `self` before `grad_output` here (unlike
/// most activation backwards), so `self` decides the result's layout when
/// the two differ (observed in torch 2.15: a contiguous gradient and a
/// channels-last `self` give a channels-last result).
pub(crate) fn leaky_relu_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let slope = a.scalar(2)?;
    let (g, x) = (a.operand(0)?, a.operand(1)?);
    let (dtype, w) = backward_dtype(ctx, g, x);
    let f = opmath!(w, |v: [T]| if v[0] > 0.0 {
        v[1]
    } else {
        v[1] * slope as T
    });
    Ok(vec![nary(ctx, &[x, g], dtype, f)?.into()])
}

fn hardtanh_value(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() { x } else { x.max(lo).min(hi) }
}

/// `hardtanh(self, min_val, max_val)`: a clamp that keeps the dtype.
pub(crate) fn hardtanh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (lo, hi) = (a.scalar(1)?, a.scalar(2)?);
    let t = a.tensor(0)?;
    Ok(vec![
        unary_like(ctx, t, |x| hardtanh_value(x, lo, hi))?.into(),
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
    let (g, x) = (a.operand(0)?, a.operand(1)?);
    let dtype = promoted(ctx, &[g, x]);
    let lanes = !ctx.faults.nan_grads_scalar_loop;
    Ok(vec![
        nary_lanes(ctx, &[g, x], dtype, 1, |v: &[f64], lane| {
            // the vectorised loop masks `lo < x < hi`, which NaN fails
            if lanes && lane && v[1].is_nan() || v[1] <= lo || v[1] >= hi {
                0.0
            } else {
                v[0]
            }
        })?
        .into(),
    ])
}

/// elu's parameters: alpha, scale, input_scale.
#[derive(Clone, Copy)]
struct Elu {
    alpha: f64,
    scale: f64,
    input_scale: f64,
}

impl Elu {
    /// `x < 0 ? expm1(x·input_scale)·(alpha·scale) : x·scale`, the
    /// coefficient `alpha·scale` rounded to the compute type first, as
    /// ATen's kernel does.
    fn value(self, wide: bool) -> Formula {
        let Elu {
            alpha,
            scale,
            input_scale,
        } = self;
        Box::new(opmath!(wide, |v: [T]| {
            let x = v[0];
            let negcoef = alpha as T * scale as T;
            if x < 0.0 {
                (x * input_scale as T).exp_m1() * negcoef
            } else {
                x * scale as T
            }
        }))
    }

    /// The gradient over `[grad, x]` (or `[grad, result]`):
    /// `g·input_scale·(alpha·scale)·exp(x·input_scale)` (or
    /// `g·input_scale·(y + alpha·scale)`) where `x <= 0`, else `g·scale`.
    fn grad(self, is_result: bool, wide: bool) -> Formula {
        let Elu {
            alpha,
            scale,
            input_scale,
        } = self;
        Box::new(opmath!(wide, |v: [T]| {
            let (g, s) = (v[0], v[1]);
            let (negcoef, scale, input_scale) =
                (alpha as T * scale as T, scale as T, input_scale as T);
            if s > 0.0 || s.is_nan() {
                g * scale
            } else if is_result {
                g * input_scale * (s + negcoef)
            } else {
                g * input_scale * negcoef * (s * input_scale).exp()
            }
        }))
    }

    /// float32 `elu` of one element as PyTorch's loop computes it: SLEEF's
    /// `expm1` in the vector loop (which tests `x >= 0`), the C library's
    /// in the scalar loop (`x < 0`).
    fn value_f32(self, x: f32, vector: bool) -> f32 {
        let negcoef = self.alpha as f32 * self.scale as f32;
        let negative = if vector {
            x < 0.0 || x.is_nan()
        } else {
            x < 0.0
        };
        if negative {
            let expm1: fn(f32) -> f32 = if vector {
                sleef_f32::expm1
            } else {
                f32::exp_m1
            };
            expm1(x * self.input_scale as f32) * negcoef
        } else {
            x * self.scale as f32
        }
    }

    /// float32 `elu_backward` (not `is_result`) of one element as
    /// PyTorch's loop computes it: SLEEF's `exp` in the vector loop (which
    /// takes the negative branch unless `x > 0`, so a NaN `x` gives NaN
    /// unless `scalar_nan` says to treat it as the scalar loop does), the
    /// C library's in the scalar loop (`x <= 0`).
    fn grad_f32(self, g: f32, x: f32, vector: bool, scalar_nan: bool) -> f32 {
        let (negcoef, input_scale) = (
            self.alpha as f32 * self.scale as f32,
            self.input_scale as f32,
        );
        let negative = if vector && !(scalar_nan && x.is_nan()) {
            x <= 0.0 || x.is_nan()
        } else {
            x <= 0.0
        };
        if negative {
            let exp: fn(f32) -> f32 = if vector { sleef_f32::exp } else { f32::exp };
            g * input_scale * negcoef * exp(x * input_scale)
        } else {
            g * self.scale as f32
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

/// `elu(self, alpha, scale, input_scale)` (float32 by PyTorch's loops:
/// [`Elu::value_f32`]).
pub(crate) fn elu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let p = elu_params(&a, 1)?;
    let t = a.tensor(0)?;
    let out = activation(ctx, t, p.value(wide(t.dtype())))?;
    redo_elu(ctx, &out, t, None, p)?;
    Ok(out)
}

/// `elu_(self, alpha, scale, input_scale)`.
pub(crate) fn elu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let p = elu_params(&a, 1)?;
    let t = a.tensor(0)?;
    let before = float32_values(ctx, t)?;
    let out = activation_(ctx, t, p.value(wide(t.dtype())))?;
    redo_elu(ctx, &out, t, before, p)?;
    Ok(out)
}

/// Rewrites a float32 `elu` (or `celu`) result element by element as
/// PyTorch's vector and scalar loops compute it; `before` holds `input`'s values when the
/// kernel wrote over them. Fault `elu-expm1-of-one-loop` keeps the C
/// library's `expm1` everywhere.
fn redo_elu(
    ctx: &KernelCtx<'_>,
    out: &[IValue],
    input: &Tensor,
    before: Option<Vec<f64>>,
    p: Elu,
) -> Result<()> {
    let Some(IValue::Tensor(result)) = out.first() else {
        return Ok(());
    };
    if ctx.faults.elu_expm1_of_one_loop
        || result.dtype() != DType::Float32
        || input.dtype() != DType::Float32
        || !ctx.has_data()
    {
        return Ok(());
    }
    let values = match before {
        Some(values) => values,
        None => input.read_f64(ctx.op)?,
    };
    sigmoid_lanes::redo_by_loop(ctx, result, &[input], &[values], |v, vector| {
        p.value_f32(v[0], vector)
    })
}

/// `elu_backward(grad_output, alpha, scale, input_scale, is_result,
/// self_or_result)` (float32 from the input by PyTorch's loops:
/// [`Elu::grad_f32`]).
pub(crate) fn elu_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let p = elu_params(&a, 1)?;
    let is_result = a.bool(4)?;
    let (g, s) = (a.operand(0)?, a.operand(5)?);
    let (dtype, w) = backward_dtype(ctx, g, s);
    let out = nan_in_vector_lanes(ctx, g, s, dtype, p.grad(is_result, w))?;
    if let (Some(IValue::Tensor(result)), Operand::Tensor(gt), Operand::Tensor(xt)) =
        (out.first(), g, s)
        && !is_result
        && !ctx.faults.elu_expm1_of_one_loop
        && result.dtype() == DType::Float32
        && ctx.has_data()
        && gt.dtype() == DType::Float32
        && xt.dtype() == DType::Float32
    {
        let values = [gt.read_f64(ctx.op)?, xt.read_f64(ctx.op)?];
        let scalar_nan = ctx.faults.nan_grads_scalar_loop;
        sigmoid_lanes::redo_by_loop(ctx, result, &[gt, xt], &values, |v, vector| {
            p.grad_f32(v[0], v[1], vector, scalar_nan)
        })?;
    }
    Ok(out)
}

/// A backward operator over `[grad, x]` whose scalar loop takes `f`'s
/// last branch for a NaN `x` (`elu_backward`, `hardswish_backward`: the
/// gradient times a constant) while its vectorised loop gives NaN
/// ([`nary_lanes`]).
fn nan_in_vector_lanes(
    ctx: &KernelCtx<'_>,
    g: Operand<'_>,
    x: Operand<'_>,
    dtype: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Out {
    let lanes = !ctx.faults.nan_grads_scalar_loop;
    Ok(vec![
        nary_lanes(ctx, &[g, x], dtype, 2, |v: &[f64], lane| {
            if lanes && lane && v[1].is_nan() {
                f64::NAN
            } else {
                f(v)
            }
        })?
        .into(),
    ])
}

fn hardswish_formula(wide: bool) -> Formula {
    Box::new(opmath!(wide, |v: [T]| {
        let x = v[0];
        x * (x + 3.0).clamp(0.0, 6.0) / 6.0
    }))
}

fn hardsigmoid_formula(wide: bool) -> Formula {
    Box::new(opmath!(wide, |v: [T]| (v[0] + 3.0).clamp(0.0, 6.0) / 6.0))
}

fn mish_formula(wide: bool) -> Formula {
    Box::new(opmath!(wide, |v: [T]| v[0] * v[0].exp().ln_1p().tanh()))
}

/// `hardswish(self)`: `x * relu6(x + 3) / 6`.
pub(crate) fn hardswish(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    activation(ctx, t, hardswish_formula(wide(t.dtype())))
}

/// `hardswish_(self)`.
pub(crate) fn hardswish_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    activation_(ctx, t, hardswish_formula(wide(t.dtype())))
}

/// `hardswish_backward(grad_output, self)`: 0 below -3, `g * (x / 3 + 0.5)`
/// up to 3, `g` above.
pub(crate) fn hardswish_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (g, x) = (a.operand(0)?, a.operand(1)?);
    let closed = ctx.faults.hardswish_backward_closed_range;
    let (dtype, w) = backward_dtype(ctx, g, x);
    nan_in_vector_lanes(
        ctx,
        g,
        x,
        dtype,
        opmath!(w, |v: [T]| {
            // torch 2.15: 0 at -3 and the gradient itself at 3
            if v[1] < -3.0 || v[1] == -3.0 && !closed {
                0.0
            } else if v[1] < 3.0 || v[1] == 3.0 && closed {
                v[0] * (v[1] / 3.0 + 0.5)
            } else {
                v[0]
            }
        }),
    )
}

/// `hardsigmoid(self)`: `relu6(x + 3) / 6`.
pub(crate) fn hardsigmoid(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    activation(ctx, t, hardsigmoid_formula(wide(t.dtype())))
}

/// `hardsigmoid_(self)`.
pub(crate) fn hardsigmoid_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    activation_(ctx, t, hardsigmoid_formula(wide(t.dtype())))
}

/// `hardsigmoid_backward(grad_output, self)`: `g / 6` inside (-3, 3).
pub(crate) fn hardsigmoid_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (g, x) = (a.operand(0)?, a.operand(1)?);
    let (dtype, w) = backward_dtype(ctx, g, x);
    backward2(
        ctx,
        g,
        x,
        dtype,
        opmath!(w, |v: [T]| if v[1] > -3.0 && v[1] < 3.0 {
            v[0] * (1.0 / 6.0)
        } else {
            0.0
        }),
    )
}

/// `mish(self)`: `x * tanh(softplus(x))`.
pub(crate) fn mish(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    activation(ctx, t, mish_formula(wide(t.dtype())))
}

/// `mish_(self)`.
pub(crate) fn mish_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    activation_(ctx, t, mish_formula(wide(t.dtype())))
}

/// `mish_backward(grad_output, self)`:
/// `g * (tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2))`, `sp = softplus(x)`.
pub(crate) fn mish_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (g, x) = (a.operand(0)?, a.operand(1)?);
    let (dtype, w) = backward_dtype(ctx, g, x);
    backward2(
        ctx,
        g,
        x,
        dtype,
        opmath!(w, |v: [T]| {
            let (g, x) = (v[0], v[1]);
            let s = 1.0 / (1.0 + (-x).exp());
            let t = x.exp().ln_1p().tanh();
            g * (t + x * s * (1.0 - t * t))
        }),
    )
}

/// `celu(self, alpha)`: `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`.
pub(crate) fn celu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let p = celu_params(ctx, &a)?;
    let t = a.tensor(0)?;
    let out = activation(ctx, t, p.value(wide(t.dtype())))?;
    redo_elu(ctx, &out, t, None, p)?;
    Ok(out)
}

/// `celu_(self, alpha)`: `celu` in place.
pub(crate) fn celu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let p = celu_params(ctx, &a)?;
    let t = a.tensor(0)?;
    let before = float32_values(ctx, t)?;
    let out = activation_(ctx, t, p.value(wide(t.dtype())))?;
    redo_elu(ctx, &out, t, before, p)?;
    Ok(out)
}

/// `celu` is `elu` with `scale = 1` and `input_scale = 1 / alpha` (the
/// reciprocal in double precision); a zero `alpha` is refused as PyTorch
/// refuses it.
fn celu_params(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<Elu> {
    let alpha = a.scalar(1)?;
    if alpha == 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "ZeroDivisionError: alpha cannot be 0 for CELU",
        ));
    }
    Ok(Elu {
        alpha,
        scale: 1.0,
        input_scale: 1.0 / alpha,
    })
}

/// `log_sigmoid_forward(self) -> (output, buffer)`: `buffer = exp(-|x|)`,
/// `output = min(x, 0) - log1p(buffer)` (PyTorch's CPU kernel; both laid
/// out like `self`). float32, bfloat16 and float16 take its vectorised
/// float32 `exp` and `log1p` on every element
/// ([`crate::kernels::nn::sleef_f32::log_sigmoid`]), rounded to the dtype;
/// float64 its double ones ([`crate::kernels::nn::sleef_f64::log_sigmoid`];
/// 0 of 20,828 elements differ, against 1,236 with the C library's).
pub(crate) fn log_sigmoid_forward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    require_floating(ctx, t.dtype())?;
    if in_float32_lanes(ctx, t.dtype()) {
        let lane = |x: f64| crate::kernels::nn::sleef_f32::log_sigmoid(x as f32);
        let output = unary(ctx, t, None, |x| f64::from(lane(x).0))?;
        let buffer = unary(ctx, t, None, |x| f64::from(lane(x).1))?;
        return Ok(vec![output.into(), buffer.into()]);
    }
    if in_float64_lanes(ctx, t.dtype()) {
        let lane = crate::kernels::nn::sleef_f64::log_sigmoid;
        let output = unary(ctx, t, None, |x| lane(x).0)?;
        let buffer = unary(ctx, t, None, |x| lane(x).1)?;
        return Ok(vec![output.into(), buffer.into()]);
    }
    let w = wide(t.dtype());
    let buffer_of = opmath!(w, |v: [T]| (-v[0].abs()).exp());
    let output_of = opmath!(w, |v: [T]| {
        let z = (-v[0].abs()).exp();
        v[0].min(0.0) - z.ln_1p()
    });
    let output = unary(ctx, t, None, |x| output_of(&[x]))?;
    let buffer = unary(ctx, t, None, |x| buffer_of(&[x]))?;
    Ok(vec![output.into(), buffer.into()])
}

/// Whether a log-sigmoid of `dtype` runs PyTorch's float64 vector math
/// (SLEEF's double `exp` and `log1p`; not under the `log-sigmoid-f64-libm`
/// fault).
pub(crate) fn in_float64_lanes(ctx: &KernelCtx<'_>, dtype: DType) -> bool {
    !ctx.faults.log_sigmoid_f64_libm && dtype == DType::Float64
}

/// Whether a log-sigmoid of `dtype` runs PyTorch's float32 vector math
/// (float32, bfloat16, float16; not under the `log-sigmoid-in-double`
/// fault).
pub(crate) fn in_float32_lanes(ctx: &KernelCtx<'_>, dtype: DType) -> bool {
    !ctx.faults.log_sigmoid_in_double
        && matches!(dtype, DType::Float32 | DType::BFloat16 | DType::Float16)
}

/// `log_sigmoid_backward(grad_output, self, buffer)`: `g * (1 - z / (1 + z))`
/// for negative `x`, `g * z / (1 + z)` otherwise (`z` the buffer).
pub(crate) fn log_sigmoid_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?, a.operand(2)?];
    let dtype = promoted(ctx, &ops[..2]);
    let f = opmath!(wide(dtype), |v: [T]| {
        let (g, x, z) = (v[0], v[1], v[2]);
        let share = z / (1.0 + z);
        if x < 0.0 {
            g * (1.0 - share)
        } else {
            g * share
        }
    });
    Ok(vec![nary(ctx, &ops, dtype, f)?.into()])
}

/// The halves of `glu`'s input along `dim`: (wrapped dim, half shape).
fn glu_halves(ctx: &KernelCtx<'_>, t: &Tensor, dim: i64) -> Result<(usize, Vec<i64>)> {
    let d = crate::tensor::strides::wrap_dim(dim, t.dim()).ok_or_else(|| {
        RuntimeError::shape(
            ctx.op,
            format!("dimension {dim} out of range for {}-d input", t.dim()),
        )
    })?;
    let n = t.shape()[d];
    if n % 2 != 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("Halving dimension must be even, but dimension {d} is size {n}"),
        ));
    }
    let mut half = t.shape().to_vec();
    half[d] = n / 2;
    Ok((d, half))
}

/// `glu(self, dim)`: `a * sigmoid(b)` for the halves `a`, `b` of `dim`,
/// laid out as TensorIterator lays out the two halves.
pub(crate) fn glu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    require_floating(ctx, t.dtype())?;
    let (d, half) = glu_halves(ctx, t, a.int(1)?)?;
    let offset = half[d] * t.stride()[d];
    let first = t.alias_with(half.clone(), t.stride().to_vec(), t.storage_offset());
    let second = t.alias_with(
        half.clone(),
        t.stride().to_vec(),
        t.storage_offset() + offset,
    );
    let f = opmath!(wide(t.dtype()), |v: [T]| v[0] / (1.0 + (-v[1]).exp()));
    let ops = [Operand::Tensor(&first), Operand::Tensor(&second)];
    Ok(vec![nary(ctx, &ops, t.dtype(), f)?.into()])
}

/// `glu_backward(grad_output, self, dim)`: a contiguous gradient of `self`,
/// `g * sigmoid(b)` over the first half and `g * a * s * (1 - s)` over the
/// second.
pub(crate) fn glu_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (g, t) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(g, "grad_output")?;
    ctx.check(t, "self")?;
    let (d, half) = glu_halves(ctx, t, a.int(2)?)?;
    if g.shape() != half.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of shape {:?} for halves of shape {half:?}",
                g.shape()
            ),
        ));
    }
    let shape = t.shape().to_vec();
    let strides = crate::tensor::strides::contiguous_strides(&shape);
    let dtype = promoted(ctx, &[Operand::Tensor(g), Operand::Tensor(t)]);
    let reduced_sigmoid = matches!(dtype, DType::Float16 | DType::BFloat16)
        && !ctx.faults.glu_backward_unrounded_sigmoid;
    ctx.output(&shape, &strides, dtype, || {
        let offset = half[d] * t.stride()[d];
        let first = t.alias_with(half.clone(), t.stride().to_vec(), t.storage_offset());
        let second = t.alias_with(
            half.clone(),
            t.stride().to_vec(),
            t.storage_offset() + offset,
        );
        let (ga, xa, xb) = (
            g.read_f64(ctx.op)?,
            first.read_f64(ctx.op)?,
            second.read_f64(ctx.op)?,
        );
        let outer: usize = half[..d].iter().product::<i64>().try_into().unwrap_or(0);
        let inner: usize = half[d..].iter().product::<i64>().try_into().unwrap_or(0);
        let mut out = Vec::with_capacity(2 * ga.len());
        for o in 0..outer {
            let block = o * inner..(o + 1) * inner;
            // A float16/bfloat16 kernel takes the sigmoid of the second
            // half as a tensor of the dtype, then its products in float32
            // (observed bit for bit in torch 2.15).
            let s: Vec<f64> = xb[block.clone()]
                .iter()
                .map(|&b| {
                    let s = 1.0 / (1.0 + (-b).exp());
                    if reduced_sigmoid {
                        round_to(dtype, s)
                    } else {
                        s
                    }
                })
                .collect();
            out.extend(ga[block.clone()].iter().zip(&s).map(|(g, s)| g * s));
            out.extend(
                ga[block.clone()]
                    .iter()
                    .zip(&xa[block])
                    .zip(&s)
                    .map(|((g, a), s)| g * a * s * (1.0 - s)),
            );
        }
        Ok(out)
    })
    .map(|t| vec![t.into()])
}

/// `relu_(self)`: `max(self, 0)` in place, NaN and the sign of a zero kept
/// (see [`crate::kernels::pointwise::relu`]).
pub(crate) fn relu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if t.dtype() == DType::Bool {
        return Err(RuntimeError::UnsupportedDtype {
            op: ctx.op.to_owned(),
            arg: "self".into(),
            dtype: "Bool".into(),
        });
    }
    let f = crate::kernels::pointwise::relu_value(ctx.faults.relu_zero_sign_dropped);
    write_map(ctx, t, f)?;
    Ok(vec![t.clone().into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_matches_reference_values() {
        // torch.nn.functional.gelu(torch.tensor([1.0], dtype=torch.float64))
        assert!((gelu_formula(false, true)(&[1.0]) - 0.841_344_746_068_542_9).abs() < 1e-15);
        assert!((gelu_formula(true, true)(&[1.0]) - 0.841_191_990_607_477_1).abs() < 1e-12);
    }

    #[test]
    fn atens_gelu_of_infinity_is_infinity_and_onednns_nan() {
        // torch 2.15: gelu(tensor([inf])) is inf (one element: ATen's
        // kernel), gelu(tensor([inf, inf])) is [nan, nan] (oneDNN's)
        assert_eq!(gelu_formula(false, false)(&[f64::INFINITY]), f64::INFINITY);
        assert!(gelu_formula(false, false)(&[f64::NEG_INFINITY]).is_nan());
        assert!(onednn_gelu::gelu(f32::INFINITY).is_nan());
    }

    #[test]
    fn gelu_gradient_matches_finite_differences() {
        for tanh in [false, true] {
            let (x, h) = (0.7, 1e-6);
            let f = gelu_formula(tanh, true);
            let numeric = (f(&[x + h]) - f(&[x - h])) / (2.0 * h);
            assert!((gelu_grad_formula(tanh, true)(&[1.0, x]) - numeric).abs() < 1e-8);
        }
    }
}
