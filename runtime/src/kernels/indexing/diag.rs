//! Diagonals: `diagonal` (a view), `diagonal_copy` (what `torch.diag` of a
//! matrix dispatches), `diagonal_backward` (its gradient) and `diag_embed`
//! (what `torch.diag` of a vector dispatches).

use super::coords::{ravel, strides, unravel};
use super::{Elems, output};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::view::wrap;
use crate::tensor::Tensor;
use crate::tensor::strides::{checked_numel, contiguous_strides};

/// The geometry of `diagonal(offset, dim1, dim2)` over `(shape, strides,
/// storage offset)`: the two dimensions removed and the diagonal appended.
fn diagonal_geometry(
    op: &str,
    shape: &[i64],
    st: &[i64],
    at: i64,
    (offset, dim1, dim2): (i64, i64, i64),
) -> Result<(Vec<i64>, Vec<i64>, i64)> {
    let d1 = wrap(op, dim1, shape.len())?;
    let d2 = wrap(op, dim2, shape.len())?;
    if d1 == d2 || shape.len() < 2 {
        return Err(RuntimeError::shape(
            op,
            format!("diagonal dimensions cannot be identical {dim1}, {dim2}"),
        ));
    }
    let len = if offset >= 0 {
        shape[d1].min(shape[d2] - offset).max(0)
    } else {
        (shape[d1] + offset).min(shape[d2]).max(0)
    };
    let mut start = at;
    if len > 0 {
        start += if offset >= 0 {
            offset * st[d2]
        } else {
            -offset * st[d1]
        };
    }
    let (mut out_shape, mut out_strides) = (Vec::new(), Vec::new());
    for k in 0..shape.len() {
        if k != d1 && k != d2 {
            out_shape.push(shape[k]);
            out_strides.push(st[k]);
        }
    }
    out_shape.push(len);
    out_strides.push(st[d1] + st[d2]);
    Ok((out_shape, out_strides, start))
}

fn diagonal_args(a: &Args<'_>) -> Result<(i64, i64, i64)> {
    Ok((a.int(1)?, a.int(2)?, a.int(3)?))
}

/// `diagonal(self, offset=0, dim1=0, dim2=1)`: a view.
pub(crate) fn diagonal(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (shape, st, at) = diagonal_geometry(
        ctx.op,
        this.shape(),
        this.stride(),
        this.storage_offset(),
        diagonal_args(&a)?,
    )?;
    Ok(vec![this.alias_with(shape, st, at).into()])
}

/// The logical positions in a row-major `shape` tensor of the elements of
/// its diagonal view (in the view's row-major order).
fn diagonal_positions(
    op: &str,
    shape: &[i64],
    spec: (i64, i64, i64),
) -> Result<(Vec<i64>, Vec<usize>)> {
    let base = strides(shape);
    let base_i: Vec<i64> = base.iter().map(|&s| s as i64).collect();
    let (view_shape, view_strides, at) = diagonal_geometry(op, shape, &base_i, 0, spec)?;
    let n = checked_numel(&view_shape)
        .ok_or_else(|| RuntimeError::shape(op, format!("invalid size {view_shape:?}")))?;
    let positions = (0..n)
        .map(|p| {
            let c = unravel(p, &view_shape);
            let off: i64 = c
                .iter()
                .zip(&view_strides)
                .map(|(&i, &s)| i as i64 * s)
                .sum();
            (at + off).max(0) as usize
        })
        .collect();
    Ok((view_shape, positions))
}

/// `diagonal_copy(self, offset=0, dim1=0, dim2=1)`: the diagonal, copied
/// (contiguous).
pub(crate) fn diagonal_copy(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (shape, positions) = diagonal_positions(ctx.op, this.shape(), diagonal_args(&a)?)?;
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        this.dtype(),
        || Elems::read(ctx.op, this)?.pick(ctx.op, &positions),
    )?;
    Ok(vec![out.into()])
}

/// `diagonal_backward(grad_output, input_sizes, offset, dim1, dim2)`: a
/// contiguous zero tensor of `input_sizes` whose diagonal holds the
/// gradient.
pub(crate) fn diagonal_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let grad = a.tensor(0)?;
    ctx.check(grad, "grad_output")?;
    let sizes = a.int_list(1)?;
    let spec = (a.int(2)?, a.int(3)?, a.int(4)?);
    let (view_shape, positions) = diagonal_positions(ctx.op, &sizes, spec)?;
    if grad.shape() != view_shape.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output {:?} is not the diagonal {view_shape:?} of {sizes:?}",
                grad.shape()
            ),
        ));
    }
    let numel = checked_numel(&sizes)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("invalid size {sizes:?}")))?;
    let out = output(
        ctx,
        &sizes,
        &contiguous_strides(&sizes),
        grad.dtype(),
        || {
            let g = Elems::read(ctx.op, grad)?;
            let mut values = Elems::zeros(grad.dtype(), numel);
            for (p, &to) in positions.iter().enumerate() {
                values.put(to, &g, p, false);
            }
            Ok(values)
        },
    )?;
    Ok(vec![out.into()])
}

/// `diag_embed(self, offset=0, dim1=-2, dim2=-1)`: a contiguous tensor one
/// dimension larger whose `(dim1, dim2)` diagonal at `offset` holds the
/// last dimension of `self`, zeros elsewhere.
pub(crate) fn diag_embed(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this: &Tensor = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (offset, dim1, dim2) = diagonal_args(&a)?;
    let rank = this.dim() + 1;
    let d1 = wrap(ctx.op, dim1, rank)?;
    let d2 = wrap(ctx.op, dim2, rank)?;
    if d1 == d2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("diagonal dimensions cannot be identical {dim1}, {dim2}"),
        ));
    }
    let last = this.shape().last().copied().unwrap_or(1);
    let m = last + offset.abs();
    let batch: Vec<i64> = this.shape()[..this.dim().saturating_sub(1)].to_vec();
    let mut shape = Vec::with_capacity(rank);
    let mut rest = batch.iter();
    for k in 0..rank {
        shape.push(if k == d1 || k == d2 {
            m
        } else {
            rest.next().copied().unwrap_or(1)
        });
    }
    let numel = checked_numel(&shape)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("invalid size {shape:?}")))?;
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        this.dtype(),
        || {
            let src = Elems::read(ctx.op, this)?;
            let mut values = Elems::zeros(this.dtype(), numel);
            let st = strides(&shape);
            let src_shape = if this.dim() == 0 {
                vec![1]
            } else {
                this.shape().to_vec()
            };
            for p in 0..src.len() {
                let c = unravel(p, &src_shape);
                let (i, b) = c.split_last().map_or((0, &[][..]), |(i, b)| (*i, b));
                let mut oc = Vec::with_capacity(rank);
                let mut bi = b.iter();
                for k in 0..rank {
                    oc.push(if k == d1 {
                        i + (-offset).max(0) as usize
                    } else if k == d2 {
                        i + offset.max(0) as usize
                    } else {
                        bi.next().copied().unwrap_or(0)
                    });
                }
                values.put(ravel(&oc, &st), &src, p, false);
            }
            Ok(values)
        },
    )?;
    Ok(vec![out.into()])
}

/// `diagonal_scatter(self, src, offset=0, dim1=0, dim2=1)`: a contiguous
/// copy of `self` whose diagonal holds `src` (what `linalg_eig_backward`
/// dispatches under a dispatch mode instead of copying into a diagonal).
pub(crate) fn diagonal_scatter(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let src = a.tensor(1)?;
    ctx.check(src, "src")?;
    let spec = (a.int(2)?, a.int(3)?, a.int(4)?);
    let (view_shape, positions) = diagonal_positions(ctx.op, this.shape(), spec)?;
    if src.shape() != view_shape.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "expected src to have a size equal to the slice of self. src size = {:?}, slice size = {view_shape:?}",
                src.shape()
            ),
        ));
    }
    if src.dtype() != this.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "expected src of dtype {} like self, got {}",
                this.dtype().scalar_type_name(),
                src.dtype().scalar_type_name()
            ),
        ));
    }
    let shape = this.shape().to_vec();
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        this.dtype(),
        || {
            let mut values = Elems::read(ctx.op, this)?;
            let s = Elems::read(ctx.op, src)?;
            for (p, &to) in positions.iter().enumerate() {
                values.put(to, &s, p, false);
            }
            Ok(values)
        },
    )?;
    Ok(vec![out.into()])
}
