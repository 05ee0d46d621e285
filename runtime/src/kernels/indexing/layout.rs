//! Kernels that rearrange whole tensors: `repeat`, `flip`, `roll`, and
//! the view gradients `slice_backward` and `unfold_backward`.

use super::coords::{ravel, strides, unravel};
use super::{Elems, output};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::view::{slice_bounds, wrap};
use crate::tensor::Tensor;
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

/// `flip(self, dims)`: reverses the listed dimensions. The result is
/// PyTorch's `empty_like(self, preserve_format)`: `self`'s own strides when
/// it is non-overlapping and dense (a one-channel NHWC image keeps strides
/// `(H·W, 1, W, 1)`), else dense strides in `self`'s dimension order. The
/// fault `flip-pointwise-layout` lays it out as a pointwise result instead.
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
    let out_strides = if ctx.faults.flip_pointwise_layout {
        crate::kernels::iter::output_strides(&shape, &[(this.shape(), this.stride())])
    } else {
        crate::kernels::factory::like_strides(ctx, this, None)?
    };
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

/// `roll(self, shifts, dims=[])`: elements shifted cyclically along each
/// of `dims` (with no dims: along the flattened tensor, shape kept):
/// out[c] = self[c with c[d] = (c[d] - shift) mod size].
pub(crate) fn roll(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (shifts, dims) = (a.int_list(1)?, a.int_list(2)?);
    if dims.is_empty() && shifts.len() != 1 || !dims.is_empty() && shifts.len() != dims.len() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "shifts and dimensions must align. shifts: {}, dims:{}",
                shifts.len(),
                dims.len()
            ),
        ));
    }
    let shape = this.shape().to_vec();
    let wrapped = dims
        .iter()
        .map(|&d| wrap(ctx.op, d, this.dim()))
        .collect::<Result<Vec<_>>>()?;
    let out_strides = if ctx.faults.roll_contiguous {
        contiguous_strides(&shape)
    } else {
        roll_strides(ctx, this, &shifts, &wrapped)?
    };
    let out = output(ctx, &shape, &out_strides, this.dtype(), || {
        let src = Elems::read(ctx.op, this)?;
        let n = src.len();
        let rolled = |i: usize, size: i64, shift: i64| -> usize {
            let size = size.max(1);
            ((i as i64 - shift).rem_euclid(size)) as usize
        };
        let positions: Vec<usize> = if wrapped.is_empty() {
            (0..n).map(|p| rolled(p, n as i64, shifts[0])).collect()
        } else {
            let st = strides(&shape);
            (0..n)
                .map(|p| {
                    let mut c = unravel(p, &shape);
                    for (&d, &shift) in wrapped.iter().zip(&shifts) {
                        c[d] = rolled(c[d], shape[d], shift);
                    }
                    ravel(&c, &st)
                })
                .collect()
        };
        src.pick(ctx.op, &positions)
    })?;
    Ok(vec![out.into()])
}

/// The strides of `roll`'s result as PyTorch's CPU kernel produces them:
/// without dims it rolls a contiguous flattening (contiguous); otherwise
/// it rolls one dimension at a time, each as the `cat` of two narrowed
/// views of the previous stage (`x[start:]`, `x[:start]`), so each stage
/// takes `cat`'s format: channels-last when both pieces suggest it (a
/// channels-last image, a crop of one, a one-channel NHWC image), else
/// contiguous. A shift that is a multiple of the size leaves one piece
/// empty, which suggests contiguous. An empty `self` is cloned in its own
/// format.
fn roll_strides(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    shifts: &[i64],
    dims: &[usize],
) -> Result<Vec<i64>> {
    let shape = this.shape();
    if dims.is_empty() {
        return Ok(contiguous_strides(shape));
    }
    if this.numel() == 0 {
        return crate::kernels::factory::like_strides(ctx, this, None);
    }
    let mut strides = this.stride().to_vec();
    for (&d, &shift) in dims.iter().zip(shifts) {
        let size = shape[d].max(1);
        let start = (size - shift).rem_euclid(size);
        let suggests = |len: i64| {
            let mut piece = shape.to_vec();
            piece[d] = len;
            crate::kernels::join::is_channels_last(&piece, &strides)
        };
        strides = match crate::tensor::strides::channels_last_strides(shape) {
            Some(nhwc) if suggests(size - start) && suggests(start) => nhwc,
            _ => contiguous_strides(shape),
        };
    }
    Ok(strides)
}

/// `unfold_backward(grad_in, input_sizes, dim, size, step)`: a zero tensor
/// of `input_sizes` into which every window of `grad_in` is added back at
/// its place: out[.., w * step + k, ..] += grad_in[.., w, .., k].
pub(crate) fn unfold_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let grad = a.tensor(0)?;
    ctx.check(grad, "grad_in")?;
    let sizes = a.int_list(1)?;
    let d = wrap(ctx.op, a.int(2)?, sizes.len())?;
    let (size, step) = (a.int(3)?, a.int(4)?);
    let mut expected = if sizes.is_empty() {
        vec![1]
    } else {
        sizes.clone()
    };
    let windows = if step > 0 && size >= 0 && size <= expected[d] {
        (expected[d] - size) / step + 1
    } else {
        -1
    };
    expected[d] = windows;
    expected.push(size);
    if sizes.is_empty() {
        expected.remove(0);
    }
    if windows < 0 || grad.shape() != expected.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_in {:?} is not unfold({d}, {size}, {step}) of {sizes:?}",
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
                let mut c = unravel(p, grad.shape());
                let k = c.pop().unwrap_or(0);
                if let Some(w) = c.get_mut(d) {
                    *w = *w * step as usize + k;
                }
                values.put(ravel(&c, &st), &g, p, true);
            }
            Ok(values)
        },
    )?;
    Ok(vec![out.into()])
}
