//! `mse_loss` and `mse_loss_backward`.
//!
//! Reduction codes are PyTorch's: 0 none, 1 mean, 2 sum. Both round as
//! PyTorch's float kernels do, step by step in the dtype.

use super::KernelCtx;
use super::iter::{output_strides, read_broadcast};
use super::reduce::{Layout, cascade_means, cascade_sums};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides, numel};

fn broadcast(op: &str, a: &Tensor, b: &Tensor) -> Result<Vec<i64>> {
    broadcast_shapes(a.shape(), b.shape())
        .ok_or_else(|| crate::kernels::elementwise::broadcast_mismatch(op, a.shape(), b.shape()))
}

fn reduction(op: &str, code: i64) -> Result<i64> {
    if (0..=2).contains(&code) {
        Ok(code)
    } else {
        Err(RuntimeError::unsupported(
            op,
            format!("reduction code {code}"),
        ))
    }
}

/// `mse_loss(self, target, reduction=1)`: PyTorch's kernel squares each
/// difference in the dtype (`diff * diff`, two roundings), then reduces
/// the squares as `mean()` / `sum()` do: float32 and float64 in their
/// cascade order (`reduce::cascade_means`), other dtypes in f64.
pub(crate) fn mse_loss(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "target")?;
    let reduction = reduction(ctx.op, a.int(2)?)?;
    let shape = broadcast(ctx.op, x, y)?;
    let dtype = crate::tensor::promote::promote_types(x.dtype(), y.dtype());
    let stepwise = matches!(dtype, DType::Float32 | DType::Float64) && !ctx.faults.sum_in_double;
    // `diff * diff` of `diff = self - target`, both rounded to the dtype,
    // the half types' vectors included (observed in torch 2.15)
    let rounded_steps = stepwise
        || (matches!(dtype, DType::BFloat16 | DType::Float16)
            && !ctx.faults.reduced_steps_in_float);
    let round = |v: f64| {
        if rounded_steps {
            cast_value(dtype, v)
        } else {
            v
        }
    };
    let squares = || -> Result<Vec<f64>> {
        let xs = read_broadcast(ctx.op, x, &shape)?;
        let ys = read_broadcast(ctx.op, y, &shape)?;
        Ok(xs
            .iter()
            .zip(&ys)
            .map(|(&p, &q)| {
                let d = round(p - q);
                round(d * d)
            })
            .collect())
    };
    let out = if reduction == 0 {
        let strides = output_strides(&shape, &[(x.shape(), x.stride()), (y.shape(), y.stride())]);
        ctx.output(&shape, &strides, dtype, squares)?
    } else {
        // The squares tensor is laid out as `self` and `target` are; its
        // cascade order is its memory order, the logical order when both
        // are contiguous.
        let cascade = stepwise && cascades_in_order(ctx.faults, x, y, &shape);
        let threads = ctx.cpu.threads();
        ctx.output(&[], &[], dtype, || {
            Ok(vec![loss_total(
                &squares()?,
                dtype,
                reduction,
                cascade,
                threads,
            )])
        })?
    };
    Ok(vec![out.into()])
}

/// Whether a pointwise loss of `x` and `target` over `shape` is summed
/// in the cascade's modelled order: the losses are laid out as
/// TensorIterator lays out a result of both inputs, so their memory order
/// is the logical order when that layout is row-major (both inputs
/// contiguous, or sliced or broadcast without reordering dimensions, as
/// `out[:, :4]` of a linear layer's output). Under the
/// `loss-cascade-contiguous-only` fault only two contiguous inputs of one
/// shape qualify.
pub(crate) fn cascades_in_order(
    faults: &crate::faults::Faults,
    x: &Tensor,
    y: &Tensor,
    shape: &[i64],
) -> bool {
    if shape.contains(&0) {
        return false;
    }
    if faults.loss_cascade_contiguous_only {
        return x.is_contiguous() && y.is_contiguous() && x.shape() == y.shape();
    }
    output_strides(shape, &[(x.shape(), x.stride()), (y.shape(), y.stride())])
        == contiguous_strides(shape)
}

/// The mean (reduction 1) or sum (2) of a pointwise loss's elements, as
/// PyTorch's `apply_loss_reduction` takes it: float32/float64 in the
/// cascade's order when `cascade`, otherwise summed in float64.
pub(crate) fn loss_total(
    losses: &[f64],
    dtype: DType,
    reduction: i64,
    cascade: bool,
    threads: usize,
) -> f64 {
    let n = losses.len().max(1);
    let total = match (cascade, reduction) {
        (true, 1) => cascade_means(losses, dtype, Layout::Full, threads, n),
        (true, _) => cascade_sums(losses, dtype, Layout::Full, threads),
        (false, 1) => vec![losses.iter().sum::<f64>() / n as f64],
        (false, _) => vec![losses.iter().sum()],
    };
    total.first().copied().unwrap_or(0.0)
}

/// `mse_loss_backward(grad_output, self, target, reduction)`:
/// `norm * (self - target) * grad_output` with `norm = 2 / numel` for the mean
/// and 2 otherwise; the result is contiguous with the shape of `self`.
pub(crate) fn mse_loss_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (g, x, y) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    ctx.check(y, "target")?;
    let reduction = reduction(ctx.op, a.int(3)?)?;
    let shape = x.shape().to_vec();
    let norm = if reduction == 1 {
        2.0 / numel(&shape).max(1) as f64
    } else {
        2.0
    };
    let dtype = x.dtype();
    // PyTorch's kernel keeps `self - target`, the norm and each product in
    // the tensor's dtype, `(norm * diff) * grad` (observed in torch 2.15 on
    // float32, float16 and bfloat16: rounding after each of the three steps
    // reproduces every element, for both reductions; one rounding at the
    // end misses a third to a half of them).
    let stepwise = matches!(dtype, DType::Float32 | DType::Float16 | DType::BFloat16)
        && !ctx.faults.mse_backward_rounded_once;
    let round = |v: f64| if stepwise { cast_value(dtype, v) } else { v };
    let norm = round(norm);
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let xs = x.read_f64(ctx.op)?;
        let ys = read_broadcast(ctx.op, y, &shape)?;
        let gs = read_broadcast(ctx.op, g, &shape)?;
        Ok(xs
            .iter()
            .zip(&ys)
            .zip(&gs)
            .map(|((&p, &q), &d)| round(round(round(p - q) * norm) * d))
            .collect())
    })?;
    Ok(vec![out.into()])
}
