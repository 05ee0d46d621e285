//! Kernels that rearrange whole tensors: `repeat`, `flip`, and
//! `slice_backward` (the gradient of `slice.Tensor`).

use super::coords::{ravel, strides, unravel};
use super::{Elems, output};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::view::{slice_bounds, wrap};
use crate::tensor::strides::{checked_numel, contiguous_strides};

fn alloc(ctx: &KernelCtx<'_>, shape: &[i64]) -> Result<usize> {
    let numel = checked_numel(shape)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("invalid size {shape:?}")))?;
    if ctx.has_data() {
        crate::tensor::check_alloc(ctx.op, numel)?;
    }
    Ok(numel)
}

/// `repeat(self, repeats)`: tiles `self` (its shape padded with leading
/// 1s to `len(repeats)`) `repeats[i]` times along each dimension:
/// out[c] = self[c mod padded_shape].
pub(crate) fn repeat(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let repeats = a.int_list(1)?;
    if repeats.len() < this.dim() {
        return Err(RuntimeError::shape(
            ctx.op,
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
        ));
    }
    if repeats.iter().any(|&r| r < 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("Trying to create tensor with negative dimension: {repeats:?}"),
        ));
    }
    let mut padded = vec![1i64; repeats.len() - this.dim()];
    padded.extend_from_slice(this.shape());
    let shape: Vec<i64> = padded
        .iter()
        .zip(&repeats)
        .map(|(&s, &r)| s.saturating_mul(r))
        .collect();
    let numel = alloc(ctx, &shape)?;
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        this.dtype(),
        || {
            let src = Elems::read(ctx.op, this)?;
            let src_strides = strides(&padded);
            let positions: Vec<usize> = (0..numel)
                .map(|p| {
                    let idx: Vec<usize> = unravel(p, &shape)
                        .iter()
                        .zip(&padded)
                        .map(|(&i, &s)| i % s.max(1) as usize)
                        .collect();
                    ravel(&idx, &src_strides)
                })
                .collect();
            src.pick(ctx.op, &positions)
        },
    )?;
    Ok(vec![out.into()])
}

/// `flip(self, dims)`: reverses the listed dimensions. The result is laid
/// out like a pointwise result of `self`.
pub(crate) fn flip(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let mut flipped = vec![false; this.dim()];
    for dim in a.int_list(1)? {
        let d = wrap(ctx.op, dim, this.dim())?;
        if let Some(f) = flipped.get_mut(d) {
            if *f {
                return Err(RuntimeError::shape(
                    ctx.op,
                    format!("dim {d} appears multiple times in the list of dims"),
                ));
            }
            *f = true;
        }
    }
    let shape = this.shape().to_vec();
    let out_strides =
        crate::kernels::iter::output_strides(&shape, &[(this.shape(), this.stride())]);
    let out = output(ctx, &shape, &out_strides, this.dtype(), || {
        let src = Elems::read(ctx.op, this)?;
        let st = strides(&shape);
        let positions: Vec<usize> = (0..src.len())
            .map(|p| {
                let idx: Vec<usize> = unravel(p, &shape)
                    .iter()
                    .zip(&shape)
                    .zip(&flipped)
                    .map(|((&i, &s), &f)| if f { s as usize - 1 - i } else { i })
                    .collect();
                ravel(&idx, &st)
            })
            .collect();
        src.pick(ctx.op, &positions)
    })?;
    Ok(vec![out.into()])
}

/// `slice_backward(grad_output, input_sizes, dim, start, end, step)`: a
/// zero tensor of `input_sizes` whose slice `start:end:step` along `dim`
/// holds `grad_output`.
pub(crate) fn slice_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let grad = a.tensor(0)?;
    ctx.check(grad, "grad_output")?;
    let sizes = a.int_list(1)?;
    let d = wrap(ctx.op, a.int(2)?, sizes.len())?;
    let step = a.int(5)?;
    if sizes.is_empty() || step <= 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "slice_backward needs a non-scalar input and a positive step",
        ));
    }
    let (start, end) = slice_bounds(sizes[d], Some(a.int(3)?), Some(a.int(4)?));
    let len = (end - start + step - 1) / step;
    let mut expected = sizes.clone();
    expected[d] = len;
    if grad.shape() != expected.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output {:?} is not the slice of {sizes:?} it should be ({expected:?})",
                grad.shape()
            ),
        ));
    }
    let numel = alloc(ctx, &sizes)?;
    let out = output(
        ctx,
        &sizes,
        &contiguous_strides(&sizes),
        grad.dtype(),
        || {
            let g = Elems::read(ctx.op, grad)?;
            let mut values = Elems::zeros(grad.dtype(), numel);
            let st = strides(&sizes);
            for p in 0..g.len() {
                let mut idx = unravel(p, &expected);
                idx[d] = (start + idx[d] as i64 * step) as usize;
                values.put(ravel(&idx, &st), &g, p, false);
            }
            Ok(values)
        },
    )?;
    Ok(vec![out.into()])
}
