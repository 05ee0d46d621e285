//! `mse_loss` and `mse_loss_backward`.
//!
//! Reduction codes are PyTorch's: 0 none, 1 mean, 2 sum.

use super::KernelCtx;
use super::iter::{output_strides, read_broadcast};
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

/// `mse_loss(self, target, reduction=1)`.
pub(crate) fn mse_loss(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "target")?;
    let reduction = reduction(ctx.op, a.int(2)?)?;
    let shape = broadcast(ctx.op, x, y)?;
    let dtype = crate::tensor::promote::promote_types(x.dtype(), y.dtype());
    let squares = || -> Result<Vec<f64>> {
        let xs = read_broadcast(ctx.op, x, &shape)?;
        let ys = read_broadcast(ctx.op, y, &shape)?;
        Ok(xs
            .iter()
            .zip(&ys)
            .map(|(&p, &q)| (p - q) * (p - q))
            .collect())
    };
    let out = if reduction == 0 {
        let strides = output_strides(&shape, &[(x.shape(), x.stride()), (y.shape(), y.stride())]);
        ctx.output(&shape, &strides, dtype, squares)?
    } else {
        ctx.output(&[], &[], dtype, || {
            let sq = squares()?;
            let total: f64 = sq.iter().sum();
            let value = if reduction == 1 {
                total / sq.len().max(1) as f64
            } else {
                total
            };
            Ok(vec![value])
        })?
    };
    Ok(vec![out.into()])
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
    // float16/bfloat16: PyTorch's kernel keeps `self - target`, the norm and
    // each product in the tensor's dtype (observed in torch 2.15: rounding
    // after each of the three steps reproduces every element, for both
    // reductions; one rounding at the end misses about half of them).
    let reduced = matches!(dtype, DType::Float16 | DType::BFloat16);
    let round = |v: f64| if reduced { cast_value(dtype, v) } else { v };
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
