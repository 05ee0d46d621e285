//! Pointwise kernels: `add`, `add_`, `sub`, `mul`, `neg`, `relu`,
//! `threshold_backward`.
//!
//! Operands broadcast; a Python number operand is a wrapped scalar. Results
//! are laid out by [`super::iter::output_strides`]. Arithmetic is float32,
//! with Scalars (`alpha`, wrapped numbers) rounded to float32 first as
//! PyTorch does for a float32 computation.

use super::KernelCtx;
use super::iter::{Geometry, operand_values, output_strides};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::strides::broadcast_shapes;

fn geometry<'a>(o: &Operand<'a>) -> Geometry<'a> {
    match o {
        Operand::Tensor(t) => (t.shape(), t.stride()),
        Operand::Scalar(_) => (&[], &[]),
    }
}

fn check_operand(ctx: &KernelCtx<'_>, o: &Operand<'_>, arg: &str) -> Result<()> {
    match o {
        Operand::Tensor(t) => ctx.check(t, arg),
        Operand::Scalar(_) => Ok(()),
    }
}

/// The broadcast shape of two operands, with PyTorch's error message.
fn broadcast(op: &str, a: &Geometry<'_>, b: &Geometry<'_>) -> Result<Vec<i64>> {
    broadcast_shapes(a.0, b.0).ok_or_else(|| {
        RuntimeError::shape(
            op,
            format!(
                "the size of tensor a {:?} must match the size of tensor b {:?} at non-singleton dimensions",
                a.0, b.0
            ),
        )
    })
}

fn binary(
    ctx: &KernelCtx<'_>,
    a: Operand<'_>,
    b: Operand<'_>,
    f: impl Fn(f32, f32) -> f32,
) -> Result<Tensor> {
    check_operand(ctx, &a, "self")?;
    check_operand(ctx, &b, "other")?;
    let (ga, gb) = (geometry(&a), geometry(&b));
    let shape = broadcast(ctx.op, &ga, &gb)?;
    let strides = output_strides(&shape, &[ga, gb]);
    ctx.output(&shape, &strides, || {
        let xa = operand_values(ctx.op, a, &shape)?;
        let xb = operand_values(ctx.op, b, &shape)?;
        Ok(xa.iter().zip(&xb).map(|(&x, &y)| f(x, y)).collect())
    })
}

fn unary(ctx: &KernelCtx<'_>, t: &Tensor, f: impl Fn(f32) -> f32) -> Result<Tensor> {
    ctx.check(t, "self")?;
    let strides = output_strides(t.shape(), &[(t.shape(), t.stride())]);
    ctx.output(t.shape(), &strides, || {
        Ok(t.read_f32(ctx.op)?.into_iter().map(f).collect())
    })
}

/// `add.Tensor(self, other, *, alpha=1)`: `self + alpha * other`.
pub(crate) fn add(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let alpha = a.scalar(2)? as f32;
    let out = binary(ctx, a.operand(0)?, a.operand(1)?, |x, y| x + alpha * y)?;
    Ok(vec![out.into()])
}

/// `sub.Tensor(self, other, *, alpha=1)`: `self - alpha * other`.
pub(crate) fn sub(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let alpha = a.scalar(2)? as f32;
    let out = binary(ctx, a.operand(0)?, a.operand(1)?, |x, y| x - alpha * y)?;
    Ok(vec![out.into()])
}

/// `mul.Tensor(self, other)` and `mul.Scalar(self, other)`.
pub(crate) fn mul(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let out = binary(ctx, a.operand(0)?, a.operand(1)?, |x, y| x * y)?;
    Ok(vec![out.into()])
}

/// `add_.Tensor(self, other, *, alpha=1)`: in place; `other` broadcasts to `self`.
pub(crate) fn add_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let other = a.operand(1)?;
    check_operand(ctx, &other, "other")?;
    let alpha = a.scalar(2)? as f32;
    let shape = broadcast(ctx.op, &(this.shape(), this.stride()), &geometry(&other))?;
    if shape != this.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "output with shape {:?} doesn't match the broadcast shape {shape:?}",
                this.shape()
            ),
        ));
    }
    ctx.write(this, || {
        let x = this.read_f32(ctx.op)?;
        let y = operand_values(ctx.op, other, &shape)?;
        Ok(x.iter().zip(&y).map(|(&x, &y)| x + alpha * y).collect())
    })?;
    Ok(vec![this.clone().into()])
}

/// `neg(self)`.
pub(crate) fn neg(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    Ok(vec![unary(ctx, a.tensor(0)?, |x| -x)?.into()])
}

/// `relu(self)`: `max(self, 0)`, NaN propagating (PyTorch's `clamp_min(self, 0)`).
pub(crate) fn relu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    Ok(vec![
        unary(ctx, a.tensor(0)?, |x| {
            if x > 0.0 || x.is_nan() { x } else { 0.0 }
        })?
        .into(),
    ])
}

/// `threshold_backward(grad_output, self, threshold)`:
/// `self <= threshold ? 0 : grad_output`.
pub(crate) fn threshold_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let threshold = a.scalar(2)? as f32;
    let out = binary(ctx, a.operand(0)?, a.operand(1)?, |g, x| {
        if x <= threshold { 0.0 } else { g }
    })?;
    Ok(vec![out.into()])
}
