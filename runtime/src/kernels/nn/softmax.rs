//! `_softmax`, `_log_softmax`, `_safe_softmax` and the backward kernels
//! `_softmax_backward_data`, `_log_softmax_backward_data`.
//!
//! Observed in torch 2.15: `F.softmax` / `torch.softmax` dispatch
//! `_softmax(x, dim, False)`; with `dtype=` they first dispatch `_to_copy`.
//! `F.log_softmax` and `F.cross_entropy` dispatch `_log_softmax`. Outputs are
//! contiguous whatever the input's strides. A 0-dim input is a one-element
//! row.
//!
//! The gradient of `_softmax` computes float32 (and float64 along a
//! dimension that is not the last) in its own arithmetic, as PyTorch does
//! (`softmax_grad`). Other values compute in
//! f64 and round once, except where PyTorch's CPU kernels
//! keep a float16/bfloat16 intermediate in the tensor's dtype (observed in
//! torch 2.15, bit-exact over thousands of random rows): `_log_softmax`
//! over the last dimension stores the row's sum of exponentials and its
//! logarithm as half values; `_softmax` over any other dimension stores
//! each `exp(x - max)` as a half value before dividing by the (unrounded)
//! sum.

use super::super::Kernel;
use super::super::KernelCtx;
use super::common::{is_reduced_float, require_floating, round_to, split_at_dim, wrap_dim};
use super::softmax_grad;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a softmax operator.
pub(super) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._softmax.default" => softmax,
        "aten._log_softmax.default" => log_softmax,
        "aten._safe_softmax.default" => safe_softmax,
        "aten._softmax_backward_data.default" => softmax_backward_data,
        "aten._log_softmax_backward_data.default" => log_softmax_backward_data,
        _ => return None,
    })
}

/// Which normalisation a row gets.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Softmax,
    LogSoftmax,
    /// Softmax whose fully masked (all `-inf`) rows are 0 instead of NaN.
    Safe,
}

/// Applies `f` to every row along `dim` of a contiguous buffer (`outer`
/// blocks of `size` elements strided by `inner`).
fn for_each_row(values: &mut [f64], shape: &[i64], dim: usize, mut f: impl FnMut(&mut [f64])) {
    let (outer, size, inner) = split_at_dim(shape, dim);
    let mut row = vec![0f64; size];
    for o in 0..outer {
        for i in 0..inner {
            let base = o * size * inner + i;
            for (k, r) in row.iter_mut().enumerate() {
                *r = values[base + k * inner];
            }
            f(&mut row);
            for (k, r) in row.iter().enumerate() {
                values[base + k * inner] = *r;
            }
        }
    }
}

/// Where the kernel rounds intermediates to a half dtype (see the module
/// docs): `None` for float32/float64.
#[derive(Clone, Copy)]
struct HalfSteps {
    dtype: DType,
    last_dim: bool,
}

fn normalise_row(row: &mut [f64], kind: Kind, half: Option<HalfSteps>) {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if kind == Kind::Safe && max == f64::NEG_INFINITY {
        row.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    let sum: f64 = row.iter().map(|&x| (x - max).exp()).sum();
    match (kind, half) {
        (Kind::LogSoftmax, Some(h)) if h.last_dim => {
            let log_sum = round_to(h.dtype, round_to(h.dtype, sum).ln());
            row.iter_mut().for_each(|x| *x = (*x - max) - log_sum);
        }
        (Kind::LogSoftmax, _) => {
            let log_sum = sum.ln();
            row.iter_mut().for_each(|x| *x = *x - max - log_sum);
        }
        (Kind::Softmax | Kind::Safe, Some(h)) if !h.last_dim => row
            .iter_mut()
            .for_each(|x| *x = round_to(h.dtype, (*x - max).exp()) / sum),
        (Kind::Softmax | Kind::Safe, _) => {
            row.iter_mut().for_each(|x| *x = (*x - max).exp() / sum);
        }
    }
}

fn forward(ctx: &KernelCtx<'_>, x: &Tensor, dim: i64, dtype: DType, kind: Kind) -> Result<Tensor> {
    ctx.check(x, "self")?;
    require_floating(ctx.op, "self", x.dtype())?;
    let dim = wrap_dim(ctx.op, dim, x.dim())?;
    let shape = x.shape().to_vec();
    let half = is_reduced_float(dtype).then(|| HalfSteps {
        dtype,
        last_dim: !shape.is_empty() && dim == shape.len() - 1,
    });
    ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let mut v = x.read_f64(ctx.op)?;
        for_each_row(&mut v, &shape, dim, |row| normalise_row(row, kind, half));
        Ok(v)
    })
}

fn refuse_half_to_float(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<()> {
    if a.bool(2)? {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "softmax with half to float conversion is not supported on CPU",
        ));
    }
    Ok(())
}

/// `_softmax(self, dim, half_to_float)`.
pub(crate) fn softmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    refuse_half_to_float(ctx, &a)?;
    let x = a.tensor(0)?;
    Ok(vec![
        forward(ctx, x, a.int(1)?, x.dtype(), Kind::Softmax)?.into(),
    ])
}

/// `_log_softmax(self, dim, half_to_float)`.
pub(crate) fn log_softmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    refuse_half_to_float(ctx, &a)?;
    let x = a.tensor(0)?;
    Ok(vec![
        forward(ctx, x, a.int(1)?, x.dtype(), Kind::LogSoftmax)?.into(),
    ])
}

/// `_safe_softmax(self, dim, dtype=None)`: softmax, 0 on rows that are
/// entirely `-inf` (masked attention rows).
pub(crate) fn safe_softmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let dtype = a.opt_dtype(2)?.unwrap_or(x.dtype());
    Ok(vec![forward(ctx, x, a.int(1)?, dtype, Kind::Safe)?.into()])
}

/// Shared checks and geometry of the two backward kernels; `f(grads, outs)`
/// maps one row of the incoming gradient and the saved output to the row of
/// the input gradient.
fn backward(ctx: &KernelCtx<'_>, a: &Args<'_>, f: impl Fn(&mut [f64], &[f64])) -> Result<Tensor> {
    let (g, out) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(g, "grad_output")?;
    ctx.check(out, "output")?;
    let dtype = match a.values.get(3) {
        Some(IValue::Dtype(d)) => *d,
        _ => out.dtype(),
    };
    if g.shape() != out.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of shape {:?} does not match output of shape {:?}",
                g.shape(),
                out.shape()
            ),
        ));
    }
    let dim = wrap_dim(ctx.op, a.int(2)?, out.dim())?;
    let shape = out.shape().to_vec();
    ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let mut grads = g.read_f64(ctx.op)?;
        let outs = out.read_f64(ctx.op)?;
        // Rows of the output travel alongside the gradient rows: move them
        // into place once, then transform the gradient row by row.
        let (outer, size, inner) = split_at_dim(&shape, dim);
        let mut grow = vec![0f64; size];
        let mut orow = vec![0f64; size];
        for o in 0..outer {
            for i in 0..inner {
                let base = o * size * inner + i;
                for k in 0..size {
                    grow[k] = grads[base + k * inner];
                    orow[k] = outs[base + k * inner];
                }
                f(&mut grow, &orow);
                for (k, v) in grow.iter().enumerate() {
                    grads[base + k * inner] = *v;
                }
            }
        }
        Ok(grads)
    })
}

/// `_softmax_backward_data(grad_output, output, dim, input_dtype)`:
/// `output * (grad - sum(grad * output, dim))`.
/// float32, and float64 over a dimension that is not the last, compute in
/// their own arithmetic, in PyTorch's order (see [`super::softmax_grad`]);
/// float64 over the last dimension, float16 and bfloat16 in float64 (a sum
/// left to right), rounded once.
pub(crate) fn softmax_backward_data(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let out = a.tensor(1)?;
    let dtype = match a.values.get(3) {
        Some(IValue::Dtype(d)) => *d,
        _ => out.dtype(),
    };
    let last = out.dim() > 0 && wrap_dim(ctx.op, a.int(2)?, out.dim())? == out.dim() - 1;
    let exact = !ctx.faults.softmax_grad_in_double;
    let out = backward(ctx, &a, |g, y| match dtype {
        DType::Float32 if exact => {
            let mut g32: Vec<f32> = g.iter().map(|&v| v as f32).collect();
            let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
            softmax_grad::row(&mut g32, &y32, last);
            g.iter_mut().zip(g32).for_each(|(d, v)| *d = f64::from(v));
        }
        DType::Float64 if exact && !last => softmax_grad::row(g, y, false),
        _ => {
            let dot: f64 = g.iter().zip(y).map(|(a, b)| a * b).sum();
            g.iter_mut()
                .zip(y)
                .for_each(|(gi, yi)| *gi = yi * (*gi - dot));
        }
    })?;
    Ok(vec![out.into()])
}

/// `_log_softmax_backward_data(grad_output, output, dim, input_dtype)`:
/// `grad - exp(output) * sum(grad, dim)`.
pub(crate) fn log_softmax_backward_data(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let out = backward(ctx, &a, |g, y| {
        let sum: f64 = g.iter().sum();
        g.iter_mut()
            .zip(y)
            .for_each(|(gi, yi)| *gi -= yi.exp() * sum);
    })?;
    Ok(vec![out.into()])
}
