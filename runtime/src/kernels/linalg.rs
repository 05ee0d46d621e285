//! Matrix products: `mm` and `addmm`.
//!
//! Results are contiguous (row-major) whatever the operands' strides, as
//! PyTorch's CPU kernels produce them. Dot products accumulate in f64.

use super::KernelCtx;
use super::iter::read_broadcast;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::strides::contiguous_strides;

fn matrix_dims(op: &str, t: &Tensor, arg: &str) -> Result<(usize, usize)> {
    match t.shape() {
        &[r, c] => Ok((
            usize::try_from(r).unwrap_or(0),
            usize::try_from(c).unwrap_or(0),
        )),
        other => Err(RuntimeError::shape(
            op,
            format!(
                "{arg} must be a matrix, got {}-D tensor {other:?}",
                other.len()
            ),
        )),
    }
}

/// The common dtype of matrix operands (PyTorch does not promote them).
pub(crate) fn same_dtype(op: &str, ts: &[&Tensor]) -> Result<crate::tensor::dtype::DType> {
    let first = ts
        .first()
        .map(|t| t.dtype())
        .ok_or_else(|| RuntimeError::shape(op, "no operands"))?;
    if let Some(other) = ts.iter().find(|t| t.dtype() != first) {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "expected m1 and m2 to have the same dtype, but got: {} != {}",
                first.scalar_type_name(),
                other.dtype().scalar_type_name()
            ),
        });
    }
    Ok(first)
}

/// The shape of `m1 @ m2`, checking both are compatible matrices.
fn product_shape(op: &str, m1: &Tensor, m2: &Tensor, names: (&str, &str)) -> Result<Vec<i64>> {
    let (n, k) = matrix_dims(op, m1, names.0)?;
    let (k2, m) = matrix_dims(op, m2, names.1)?;
    if k != k2 {
        return Err(RuntimeError::shape(
            op,
            format!("mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})"),
        ));
    }
    Ok(vec![n as i64, m as i64])
}

fn matmul_values(op: &str, m1: &Tensor, m2: &Tensor) -> Result<Vec<f64>> {
    let (n, k) = matrix_dims(op, m1, "mat1")?;
    let (_, m) = matrix_dims(op, m2, "mat2")?;
    let a = m1.read_f64(op)?;
    let b = m2.read_f64(op)?;
    let mut out = vec![0f64; n * m];
    for i in 0..n {
        for p in 0..k {
            let x = a[i * k + p];
            for j in 0..m {
                out[i * m + j] += x * b[p * m + j];
            }
        }
    }
    Ok(out)
}

/// `mm(self, mat2)`.
pub(crate) fn mm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (m1, m2) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(m1, "self")?;
    ctx.check(m2, "mat2")?;
    let shape = product_shape(ctx.op, m1, m2, ("self", "mat2"))?;
    let dtype = same_dtype(ctx.op, &[m1, m2])?;
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        matmul_values(ctx.op, m1, m2)
    })?;
    Ok(vec![out.into()])
}

/// `addmm(self, mat1, mat2, *, beta=1, alpha=1)`:
/// `beta * self + alpha * (mat1 @ mat2)`, `self` broadcast to the product's
/// shape and ignored when `beta == 0`.
pub(crate) fn addmm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (bias, m1, m2) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(bias, "self")?;
    ctx.check(m1, "mat1")?;
    ctx.check(m2, "mat2")?;
    let beta = a.scalar(3)?;
    let alpha = a.scalar(4)?;
    let shape = product_shape(ctx.op, m1, m2, ("mat1", "mat2"))?;
    if crate::tensor::strides::broadcast_shapes(bias.shape(), &shape).as_deref() != Some(&shape[..])
    {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "self of shape {:?} cannot be broadcast to {shape:?}",
                bias.shape()
            ),
        ));
    }
    let dtype = same_dtype(ctx.op, &[bias, m1, m2])?;
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let prod = matmul_values(ctx.op, m1, m2)?;
        let b = if beta == 0.0 {
            vec![0f64; prod.len()]
        } else {
            read_broadcast(ctx.op, bias, &shape)?
        };
        Ok(prod
            .iter()
            .zip(&b)
            .map(|(&p, &c)| {
                let scaled = if beta == 0.0 { 0.0 } else { beta * c };
                scaled + alpha * p
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}
