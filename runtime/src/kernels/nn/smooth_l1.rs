//! `smooth_l1_loss` and `smooth_l1_loss_backward` (Huber-like loss with a
//! quadratic zone of width `beta`).
//!
//! Observed in torch 2.15 on CPU: per element `z = |self - target|` gives
//! `0.5 z² / beta` when `z < beta`, else `z - 0.5 beta`; reduction codes 0
//! none (laid out like a pointwise result), 1 mean, 2 sum (0-dim). The
//! backward (CompositeExplicitAutograd) is contiguous with `self`'s shape:
//! `norm · clamp((self - target) / beta, -1, 1) · grad_output` with
//! `norm = 1 / numel` for the mean, else 1 (`-norm·g` when
//! `x <= -beta`, `norm·g` when `x >= beta`, `norm·x·g/beta` between).
//!
//! `huber_loss` / `huber_loss_backward` are the same family scaled by
//! `delta`: `0.5 z²` when `z < delta`, else `delta (z - 0.5 delta)`; the
//! gradient is `norm·clamp(x, -delta, delta)·g` (`-norm·g·delta` when
//! `x < -delta`, `norm·g·delta` when `x > delta`, `norm·x·g` between).

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::{output_strides, read_broadcast};
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::promote::promote_types;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides, numel};

/// The kernel of `op` if it is a smooth L1 operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.smooth_l1_loss.default" => smooth_l1_loss,
        "aten.smooth_l1_loss_backward.default" => smooth_l1_loss_backward,
        "aten.huber_loss.default" => huber_loss,
        "aten.huber_loss_backward.default" => huber_loss_backward,
        _ => return None,
    })
}

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

/// One element of the smooth L1 loss.
fn loss_value(x: f64, y: f64, beta: f64) -> f64 {
    let z = (x - y).abs();
    if z < beta {
        0.5 * z * z / beta
    } else {
        z - 0.5 * beta
    }
}

/// One element of the Huber loss.
fn huber_value(x: f64, y: f64, delta: f64) -> f64 {
    let z = (x - y).abs();
    if z < delta {
        0.5 * z * z
    } else {
        delta * (z - 0.5 * delta)
    }
}

/// `smooth_l1_loss(self, target, reduction=1, beta=1.)`.
pub(crate) fn smooth_l1_loss(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let beta = a.scalar(3)?;
    if beta < 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "smooth_l1_loss does not support negative values for beta.",
        ));
    }
    pointwise_loss(ctx, &a, move |p, q| loss_value(p, q, beta))
}

/// `huber_loss(self, target, reduction=1, delta=1.)`.
pub(crate) fn huber_loss(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let delta = a.scalar(3)?;
    if delta <= 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "huber_loss does not support non-positive values for delta.",
        ));
    }
    pointwise_loss(ctx, &a, move |p, q| huber_value(p, q, delta))
}

/// A loss `f(self, target)` per element of the broadcast shape, then
/// reduced by the code at position 2 (0 none, 1 mean, 2 sum).
fn pointwise_loss(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    f: impl Fn(f64, f64) -> f64,
) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "target")?;
    let reduction = reduction(ctx.op, a.int(2)?)?;
    let shape = broadcast(ctx.op, x, y)?;
    let dtype = promote_types(x.dtype(), y.dtype());
    let values = || -> Result<Vec<f64>> {
        let xs = read_broadcast(ctx.op, x, &shape)?;
        let ys = read_broadcast(ctx.op, y, &shape)?;
        Ok(xs.iter().zip(&ys).map(|(&p, &q)| f(p, q)).collect())
    };
    let out = if reduction == 0 {
        let strides = output_strides(&shape, &[(x.shape(), x.stride()), (y.shape(), y.stride())]);
        ctx.output(&shape, &strides, dtype, values)?
    } else {
        ctx.output(&[], &[], dtype, || {
            let v = values()?;
            let total: f64 = v.iter().sum();
            Ok(vec![if reduction == 1 {
                total / v.len().max(1) as f64
            } else {
                total
            }])
        })?
    };
    Ok(vec![out.into()])
}

/// `huber_loss_backward(grad_output, self, target, reduction, delta)`.
pub(crate) fn huber_loss_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let delta = a.scalar(4)?;
    pointwise_loss_backward(ctx, &a, move |diff, norm, d| {
        if diff < -delta {
            -norm * d * delta
        } else if diff > delta {
            norm * d * delta
        } else {
            norm * diff * d
        }
    })
}

/// `smooth_l1_loss_backward(grad_output, self, target, reduction, beta)`.
pub(crate) fn smooth_l1_loss_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let beta = a.scalar(4)?;
    pointwise_loss_backward(ctx, &a, move |diff, norm, d| {
        if diff <= -beta {
            -norm * d
        } else if diff >= beta {
            norm * d
        } else {
            norm * diff * d / beta
        }
    })
}

/// The gradient `f(self - target, norm, grad)` per element of `self`, with
/// `norm = 1 / numel` for the mean reduction, else 1.
fn pointwise_loss_backward(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    f: impl Fn(f64, f64, f64) -> f64,
) -> Result<Vec<IValue>> {
    let (g, x, y) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    ctx.check(y, "target")?;
    let reduction = reduction(ctx.op, a.int(3)?)?;
    let shape = x.shape().to_vec();
    let norm = if reduction == 1 {
        1.0 / numel(&shape).max(1) as f64
    } else {
        1.0
    };
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        let xs = x.read_f64(ctx.op)?;
        let ys = read_broadcast(ctx.op, y, &shape)?;
        let gs = read_broadcast(ctx.op, g, &shape)?;
        Ok(xs
            .iter()
            .zip(&ys)
            .zip(&gs)
            .map(|((&p, &q), &d)| f(p - q, norm, d))
            .collect())
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::{huber_value, loss_value};

    #[test]
    fn huber_is_smooth_l1_scaled_by_delta() {
        // quadratic zone, linear zone, and the boundary (linear: `z < delta` is strict)
        assert_eq!(huber_value(0.5, 0.0, 1.0), 0.125);
        assert_eq!(huber_value(-3.0, 0.0, 2.0), 2.0 * (3.0 - 1.0));
        assert_eq!(huber_value(2.0, 0.0, 2.0), 2.0);
        for (x, d) in [(0.3, 0.7), (-2.5, 0.7), (1.2, 1.5)] {
            let scaled = d * loss_value(x, 0.0, d);
            assert!((huber_value(x, 0.0, d) - scaled).abs() < 1e-12, "{x} {d}");
        }
    }
}
