//! Parametric ReLU: `_prelu_kernel(self, weight)` and
//! `_prelu_kernel_backward(grad_output, self, weight)`.
//!
//! `F.prelu` is composite: it views the weight to broadcast over the
//! channel dim (`view` to `(1, C, 1, ...)`) and dispatches `_prelu_kernel`:
//! `self > 0 ? self : weight * self`. The backward returns both gradients in
//! the broadcast shape — `grad_self = self > 0 ? g : weight * g`,
//! `grad_weight = self > 0 ? 0 : self * g` — and the engine's `sum_to`
//! reduces the weight's to its shape (observed in torch 2.15). Both lay
//! their results out as TensorIterator does over `(self, weight)` and
//! `(self, weight, grad_output)`; floating dtypes only.

use super::common::require_floating;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::{output_strides, read_broadcast};
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::strides::broadcast_shapes;

/// The kernel of `op` if it is a PReLU operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._prelu_kernel.default" => prelu_kernel,
        "aten._prelu_kernel_backward.default" => prelu_kernel_backward,
        _ => return None,
    })
}

/// The broadcast shape of `tensors` and the result strides TensorIterator
/// gives it (operands in this order).
fn geometry(op: &str, tensors: &[&Tensor]) -> Result<(Vec<i64>, Vec<i64>)> {
    let mut shape: Vec<i64> = Vec::new();
    for t in tensors {
        shape = broadcast_shapes(&shape, t.shape()).ok_or_else(|| {
            RuntimeError::shape(
                op,
                format!(
                    "The size of tensor a ({shape:?}) must match the size of tensor b ({:?})",
                    t.shape()
                ),
            )
        })?;
    }
    let geometries: Vec<(&[i64], &[i64])> =
        tensors.iter().map(|t| (t.shape(), t.stride())).collect();
    let strides = output_strides(&shape, &geometries);
    Ok((shape, strides))
}

/// `_prelu_kernel(self, weight)`: `self > 0 ? self : weight * self`.
pub(crate) fn prelu_kernel(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, w) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(w, "weight")?;
    require_floating("prelu_cpu", "self", x.dtype())?;
    let (shape, strides) = geometry(ctx.op, &[x, w])?;
    let out = ctx.output(&shape, &strides, x.dtype(), || {
        let (xs, ws) = (
            read_broadcast(ctx.op, x, &shape)?,
            read_broadcast(ctx.op, w, &shape)?,
        );
        Ok(xs
            .iter()
            .zip(&ws)
            .map(|(&x, &w)| if x > 0.0 { x } else { w * x })
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `_prelu_kernel_backward(grad_output, self, weight)` -> `(grad_self,
/// grad_weight)`, both in the broadcast shape.
pub(crate) fn prelu_kernel_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (g, x, w) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    ctx.check(w, "weight")?;
    require_floating("prelu_backward_cpu", "self", x.dtype())?;
    let (shape, strides) = geometry(ctx.op, &[x, w, g])?;
    let columns = || -> Result<[Vec<f64>; 3]> {
        Ok([
            read_broadcast(ctx.op, g, &shape)?,
            read_broadcast(ctx.op, x, &shape)?,
            read_broadcast(ctx.op, w, &shape)?,
        ])
    };
    let grad_self = ctx.output(&shape, &strides, x.dtype(), || {
        let [gs, xs, ws] = columns()?;
        Ok((0..gs.len())
            .map(|i| if xs[i] > 0.0 { gs[i] } else { ws[i] * gs[i] })
            .collect())
    })?;
    let grad_weight = ctx.output(&shape, &strides, w.dtype(), || {
        let [gs, xs, _] = columns()?;
        Ok((0..gs.len())
            .map(|i| if xs[i] > 0.0 { 0.0 } else { xs[i] * gs[i] })
            .collect())
    })?;
    Ok(vec![grad_self.into(), grad_weight.into()])
}
