//! Boolean-mask kernels: `masked_select` (the mask's true positions, as a
//! 1-D tensor), `masked_scatter` (its gradient's building block: the
//! mask's true positions filled from a source in order) and `nonzero`. `self` and `mask`
//! broadcast against each other.

use super::coords::broadcast_positions;
use super::{Elems, output};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides};

/// The broadcast shape of `self` and a bool `mask`, with PyTorch's errors.
fn broadcast_with_mask(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    mask: &Tensor,
    what: &str,
) -> Result<Vec<i64>> {
    ctx.check(this, "self")?;
    ctx.check(mask, "mask")?;
    if mask.dtype() != DType::Bool {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{what}: expected BoolTensor for mask"),
        ));
    }
    // PyTorch names the mask first out of place and `self` first in place
    // (observed in torch 2.15: `masked_fill` and `masked_select` of a [2, 3]
    // tensor with a [2] mask report "tensor a (2)", `masked_fill_` "(3)").
    let in_place = ctx.op.split('.').nth(1).is_some_and(|n| n.ends_with('_'));
    broadcast_shapes(this.shape(), mask.shape()).ok_or_else(|| {
        let (a, b) = if in_place {
            (this.shape(), mask.shape())
        } else {
            (mask.shape(), this.shape())
        };
        crate::kernels::elementwise::broadcast_mismatch(ctx.op, a, b)
    })
}

/// The positions (row-major over `shape`) where the broadcast mask is true.
fn hits(ctx: &KernelCtx<'_>, mask: &Tensor, shape: &[i64]) -> Result<Vec<usize>> {
    let m = mask.read_i64(ctx.op)?;
    let from = broadcast_positions(mask.shape(), shape);
    Ok(from
        .iter()
        .enumerate()
        .filter(|(_, f)| m.get(**f).is_some_and(|&v| v != 0))
        .map(|(p, _)| p)
        .collect())
}

/// `masked_select(self, mask)`: the elements of `self` (broadcast with
/// `mask`) where the mask is true, in row-major order; contiguous 1-D.
pub(crate) fn masked_select(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, mask) = (a.tensor(0)?, a.tensor(1)?);
    let shape = broadcast_with_mask(ctx, this, mask, "masked_select")?;
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "masked_select on a backend without data (the result size depends on the mask)",
        ));
    }
    let picked = hits(ctx, mask, &shape)?;
    let from = broadcast_positions(this.shape(), &shape);
    let positions: Vec<usize> = picked
        .iter()
        .filter_map(|&p| from.get(p).copied())
        .collect();
    let n = [positions.len() as i64];
    let out = output(ctx, &n, &[1], this.dtype(), || {
        Elems::read(ctx.op, this)?.pick(ctx.op, &positions)
    })?;
    Ok(vec![out.into()])
}

/// `masked_scatter(self, mask, source)`: a contiguous copy of `self`
/// (broadcast with `mask`) whose masked positions take `source`'s elements
/// one after the other (row-major).
pub(crate) fn masked_scatter(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, mask, source) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let shape = broadcast_with_mask(ctx, this, mask, "masked_scatter_")?;
    ctx.check(source, "source")?;
    if source.dtype() != this.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "masked_scatter_: expected self and source to have same dtypes but got {} and {}",
                this.dtype().scalar_type_name(),
                source.dtype().scalar_type_name()
            ),
        ));
    }
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        this.dtype(),
        || {
            let from = broadcast_positions(this.shape(), &shape);
            let mut values = Elems::read(ctx.op, this)?.pick(ctx.op, &from)?;
            let src = Elems::read(ctx.op, source)?;
            let picked = hits(ctx, mask, &shape)?;
            if picked.len() > src.len() {
                return Err(RuntimeError::shape(
                    ctx.op,
                    "masked_scatter: expected source to have at least as many elements as ones in mask",
                ));
            }
            for (k, &p) in picked.iter().enumerate() {
                values.put(p, &src, k, false);
            }
            Ok(values)
        },
    )?;
    Ok(vec![out.into()])
}

/// `masked_scatter_backward(grad_output, mask, sizes)` (MaskedScatterBackward0's
/// `source` gradient): the elements of `grad_output` (broadcast with `mask`)
/// where the mask is true, in row-major order, padded with zeros to the
/// element count of `sizes` and shaped `sizes` (contiguous).
pub(crate) fn masked_scatter_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (grad, mask) = (a.tensor(0)?, a.tensor(1)?);
    let sizes = a.int_list(2)?;
    let shape = broadcast_with_mask(ctx, grad, mask, "masked_scatter_backward")?;
    let numel = usize::try_from(sizes.iter().product::<i64>()).unwrap_or(0);
    let out = output(
        ctx,
        &sizes,
        &contiguous_strides(&sizes),
        grad.dtype(),
        || {
            let from = broadcast_positions(grad.shape(), &shape);
            let all = Elems::read(ctx.op, grad)?.pick(ctx.op, &from)?;
            let picked = hits(ctx, mask, &shape)?;
            if picked.len() > numel {
                return Err(RuntimeError::shape(
                    ctx.op,
                    "masked_scatter_backward: more selected elements than the source has",
                ));
            }
            let mut values = all.pick(ctx.op, &picked)?;
            let missing = numel - picked.len();
            if missing > 0 {
                values.extend_from(&Elems::zeros(grad.dtype(), missing), 0..missing);
            }
            Ok(values)
        },
    )?;
    Ok(vec![out.into()])
}

/// `nonzero(self)`: the coordinates of every nonzero element, one row per
/// element in row-major order, as int64 `[n, self.dim()]`. Observed in torch
/// 2.15 on CPU: the result is column-major, strides `(1, n)`.
pub(crate) fn nonzero(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "nonzero on a backend without data (the result size depends on the values)",
        ));
    }
    let hits: Vec<usize> = match Elems::read(ctx.op, this)? {
        Elems::F(v) => v
            .iter()
            .enumerate()
            .filter(|(_, x)| **x != 0.0)
            .map(|(p, _)| p)
            .collect(),
        Elems::I(v) => v
            .iter()
            .enumerate()
            .filter(|(_, x)| **x != 0)
            .map(|(p, _)| p)
            .collect(),
        Elems::C(v) => v
            .chunks_exact(2)
            .enumerate()
            .filter(|(_, z)| z[0] != 0.0 || z[1] != 0.0)
            .map(|(p, _)| p)
            .collect(),
    };
    let n = hits.len() as i64;
    let k = this.dim() as i64;
    let coords: Vec<i64> = hits
        .iter()
        .flat_map(|&p| super::coords::unravel(p, this.shape()))
        .map(|c| c as i64)
        .collect();
    let out = output(ctx, &[n, k], &[1, n], DType::Int64, || Ok(Elems::I(coords)))?;
    Ok(vec![out.into()])
}
