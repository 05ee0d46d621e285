//! `embedding` (rows of a weight matrix picked by integer indices) and its
//! gradient `embedding_dense_backward`.

use super::{Elems, index_values, output, wrap_index};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

fn check_indices(ctx: &KernelCtx<'_>, indices: &Tensor, what: &str) -> Result<()> {
    ctx.check(indices, "indices")?;
    if !matches!(indices.dtype(), DType::Int64 | DType::Int32) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected tensor for argument #1 'indices' to have one of the following scalar \
                 types: Long, Int; but got torch.{}Tensor instead (while checking arguments for \
                 {what})",
                indices.dtype().scalar_type_name()
            ),
        ));
    }
    Ok(())
}

/// `embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False,
/// sparse=False)`: out[..., :] = weight[indices[...], :], shape
/// `indices.shape + [weight.size(1)]`.
pub(crate) fn embedding(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (weight, indices) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(weight, "weight")?;
    check_indices(ctx, indices, "embedding")?;
    if weight.dim() != 2 {
        return Err(RuntimeError::shape(ctx.op, "'weight' must be 2-D"));
    }
    let (rows, width) = (weight.shape()[0], weight.shape()[1]);
    let mut shape = indices.shape().to_vec();
    shape.push(width);
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        weight.dtype(),
        || {
            let w = Elems::read(ctx.op, weight)?;
            let width = width as usize;
            let mut positions = Vec::with_capacity(indices.numel() * width);
            for i in index_values(ctx, indices, "embedding")? {
                let row = wrap_index(ctx.op, i, 0, rows)
                    .map_err(|_| RuntimeError::index(ctx.op, "index out of range in self"))?;
                if i < 0 {
                    return Err(RuntimeError::index(ctx.op, "index out of range in self"));
                }
                positions.extend((0..width).map(|k| row * width + k));
            }
            w.pick(ctx.op, &positions)
        },
    )?;
    Ok(vec![out.into()])
}

/// `embedding_dense_backward(grad_output, indices, num_weights,
/// padding_idx, scale_grad_by_freq)`: a contiguous `[num_weights, width]`
/// tensor where row `r` sums the gradient rows of every occurrence of `r`
/// in `indices` (none for `padding_idx`), each divided by the number of
/// occurrences when `scale_grad_by_freq`.
pub(crate) fn embedding_dense_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (grad, indices) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(grad, "grad_output")?;
    check_indices(ctx, indices, "embedding_backward")?;
    let (num_weights, padding_idx, scale) = (a.int(2)?, a.int(3)?, a.bool(4)?);
    let width = grad.shape().last().copied().unwrap_or(1);
    if num_weights < 0 || grad.numel() != indices.numel() * width.max(0) as usize {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output {:?} does not match indices {:?}",
                grad.shape(),
                indices.shape()
            ),
        ));
    }
    let shape = vec![num_weights, width];
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        grad.dtype(),
        || {
            let idx = index_values(ctx, indices, "embedding_backward")?;
            let g = match Elems::read(ctx.op, grad)? {
                Elems::F(v) => v,
                Elems::I(v) => v.into_iter().map(|x| x as f64).collect(),
            };
            let width = width as usize;
            let mut counts = vec![0usize; num_weights as usize];
            for &i in &idx {
                let row = wrap_index(ctx.op, i, 0, num_weights)?;
                counts[row] += 1;
            }
            let mut values = vec![0f64; num_weights as usize * width];
            for (n, &i) in idx.iter().enumerate() {
                if i == padding_idx {
                    continue;
                }
                let row = wrap_index(ctx.op, i, 0, num_weights)?;
                let factor = if scale { 1.0 / counts[row] as f64 } else { 1.0 };
                for k in 0..width {
                    values[row * width + k] += g[n * width + k] * factor;
                }
            }
            Ok(Elems::F(values))
        },
    )?;
    Ok(vec![out.into()])
}
