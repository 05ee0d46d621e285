//! The element loop shared by the foreach kernels: one list element's
//! operands broadcast together, a function of their f64 values, cast once to
//! the result dtype.
//!
//! Out of place, the result is laid out as TensorIterator lays out a
//! pointwise result ([`crate::kernels::iter::output_strides`]). In place,
//! the operands must broadcast to `self`'s shape, and the computed dtype must
//! be castable to `self`'s (PyTorch's in-place casting rule).

use crate::dispatch::args::Operand;
use crate::error::{Result, RuntimeError};
use crate::kernels::KernelCtx;
use crate::kernels::iter::{Geometry, operand_values, output_strides};
use crate::kernels::pointwise::broadcast;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::promote;

fn geometry<'a>(o: &Operand<'a>) -> Geometry<'a> {
    match o {
        Operand::Tensor(t) => (t.shape(), t.stride()),
        Operand::Scalar(..) | Operand::BigInt(_) => (&[], &[]),
    }
}

/// The broadcast shape of all operands.
fn broadcast_all(op: &str, operands: &[Operand<'_>]) -> Result<Vec<i64>> {
    let mut shape: Vec<i64> = Vec::new();
    let mut strides: Vec<i64> = Vec::new();
    for o in operands {
        let next = broadcast(op, &(shape.as_slice(), strides.as_slice()), &geometry(o))?;
        strides = vec![0; next.len()];
        shape = next;
    }
    Ok(shape)
}

/// `f` over the operands' values broadcast to `shape`, element by element.
fn evaluate(
    op: &str,
    operands: &[Operand<'_>],
    shape: &[i64],
    f: impl Fn(&[f64]) -> f64,
) -> Result<Vec<f64>> {
    let columns = operands
        .iter()
        .map(|o| operand_values(op, *o, shape))
        .collect::<Result<Vec<_>>>()?;
    let n = crate::tensor::strides::numel(shape);
    let mut row = vec![0.0; columns.len()];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        for (slot, column) in row.iter_mut().zip(&columns) {
            *slot = column.get(i).copied().unwrap_or(0.0);
        }
        out.push(f(&row));
    }
    Ok(out)
}

/// A new tensor of `dtype`: `f` of the broadcast operands.
pub(super) fn map_out(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'_>],
    dtype: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Result<Tensor> {
    let shape = broadcast_all(ctx.op, operands)?;
    let geometries: Vec<Geometry<'_>> = operands.iter().map(geometry).collect();
    let strides = output_strides(&shape, &geometries);
    ctx.output(&shape, &strides, dtype, || {
        evaluate(ctx.op, operands, &shape, f)
    })
}

/// Writes `f(self, others...)` into `this`; `computed` is the operator's
/// computed dtype, which must cast to `this`'s.
pub(super) fn map_inplace(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    others: &[Operand<'_>],
    computed: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Result<()> {
    promote::check_inplace_cast(ctx.op, computed, this.dtype())?;
    let mut operands = Vec::with_capacity(others.len() + 1);
    operands.push(Operand::Tensor(this));
    operands.extend_from_slice(others);
    let shape = broadcast_all(ctx.op, &operands)?;
    if shape != this.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "output with shape {:?} doesn't match the broadcast shape {shape:?}",
                this.shape()
            ),
        ));
    }
    ctx.write(this, || evaluate(ctx.op, &operands, &shape, f))
}

/// Out of place or in place: the result tensor, or `self` after writing it.
pub(super) fn apply(
    ctx: &KernelCtx<'_>,
    inplace: bool,
    this: &Tensor,
    others: &[Operand<'_>],
    computed: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Result<Tensor> {
    if inplace {
        map_inplace(ctx, this, others, computed, f)?;
        Ok(this.clone())
    } else {
        let mut operands = Vec::with_capacity(others.len() + 1);
        operands.push(Operand::Tensor(this));
        operands.extend_from_slice(others);
        map_out(ctx, &operands, computed, f)
    }
}
