//! `tril` and `triu`: the lower / upper triangle of the last two
//! dimensions, the rest zeroed. Results are contiguous (observed in torch
//! 2.15 also for expanded inputs). `tril_`/`triu_` zero the other triangle
//! of `self` in place (its strides kept).

use super::elems::write;
use super::{Elems, output};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::strides::contiguous_strides;

/// The matrix geometry `(rows, cols)` of `this`, checked to be at least 2-D.
fn matrix_dims(op: &str, name: &str, this: &crate::tensor::Tensor) -> Result<(usize, usize)> {
    if this.dim() < 2 {
        return Err(RuntimeError::shape(
            op,
            format!("{name}: input tensor must have at least 2 dimensions"),
        ));
    }
    let shape = this.shape();
    let cols = shape[shape.len() - 1].max(0) as usize;
    let rows = shape[shape.len() - 2].max(0) as usize;
    Ok((rows, cols))
}

/// Zeroes the elements of `values` (C order over `rows×cols` matrices)
/// where `keep(j - i)` is false.
fn zero_outside(values: &mut Elems, rows: usize, cols: usize, keep: impl Fn(i64) -> bool) {
    for p in 0..values.len() {
        let j = (p % cols.max(1)) as i64;
        let i = ((p / cols.max(1)) % rows.max(1)) as i64;
        if !keep(j - i) {
            values.zero_at(p);
        }
    }
}

/// `tril_`/`triu_`: zeroes the other triangle of `self` in place.
fn triangle_(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    name: &str,
    keep: impl Fn(i64) -> bool,
) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (rows, cols) = matrix_dims(ctx.op, name, this)?;
    write(ctx, this, || {
        let mut values = Elems::read(ctx.op, this)?;
        zero_outside(&mut values, rows, cols, keep);
        Ok(values)
    })?;
    Ok(vec![this.clone().into()])
}

/// The in-place kernels' `diagonal` (0 under the fault
/// `triangle-inplace-ignores-offset`).
fn offset(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<i64> {
    let k = a.int(1)?;
    Ok(if ctx.faults.triangle_inplace_ignores_offset {
        0
    } else {
        k
    })
}

/// `tril_(self, diagonal=0)`.
pub(crate) fn tril_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let k = offset(ctx, &a)?;
    triangle_(ctx, &a, "tril", |d| d <= k)
}

/// `triu_(self, diagonal=0)`.
pub(crate) fn triu_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let k = offset(ctx, &a)?;
    triangle_(ctx, &a, "triu", |d| d >= k)
}

/// Keeps element (row `i`, column `j`) of every matrix where `keep(j - i)`.
fn triangle(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    name: &str,
    keep: impl Fn(i64) -> bool,
) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (rows, cols) = matrix_dims(ctx.op, name, this)?;
    let shape = this.shape();
    let out = output(ctx, shape, &contiguous_strides(shape), this.dtype(), || {
        let mut values = Elems::read(ctx.op, this)?;
        zero_outside(&mut values, rows, cols, keep);
        Ok(values)
    })?;
    Ok(vec![out.into()])
}

/// `tril(self, diagonal=0)`: keeps `j - i <= diagonal`.
pub(crate) fn tril(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let k = a.int(1)?;
    triangle(ctx, &a, "tril", |d| d <= k)
}

/// `triu(self, diagonal=0)`: keeps `j - i >= diagonal`.
pub(crate) fn triu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let k = a.int(1)?;
    triangle(ctx, &a, "triu", |d| d >= k)
}
