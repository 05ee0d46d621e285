//! Max unpooling: `max_unpool2d(self, indices, output_size)` and
//! `max_unpool3d(self, indices, output_size, stride, padding)`.
//!
//! The inverse of a max pooling with indices: a zero result of
//! `(.., *output_size)` in which each input element is written at the flat
//! plane offset its index names (later elements overwrite earlier ones when
//! indices repeat). Observed in torch 2.15 on CPU: floating dtypes only
//! (`"max_unpool2d" not implemented for 'Long'`); indices must be int64 and
//! shaped like `self`; the 2-d result keeps a channels-last `self`'s layout,
//! the 3-d result is always contiguous; the gradient (derivatives.yaml's
//! `max_pool_double_backward`) is a gather of the incoming gradient at the
//! indices, dispatched by the autograd node, not a kernel here.

use super::common::require_floating;
use super::conv::{is_channels_last, strides_like};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a max unpooling operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.max_unpool2d.default" => max_unpool2d,
        "aten.max_unpool3d.default" => max_unpool3d,
        _ => return None,
    })
}

/// `max_unpool2d(self, indices, output_size)`.
pub(crate) fn max_unpool2d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let out_size = a.int_list(2)?;
    if out_size.len() != 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "There should be exactly two elements (height, width) in output_size, but got {} elements.",
                out_size.len()
            ),
        ));
    }
    unpool(ctx, &a, &out_size, "max_unpooling2d")
}

/// `max_unpool3d(self, indices, output_size, stride, padding)`: stride and
/// padding are only checked (the indices already say where each value goes).
pub(crate) fn max_unpool3d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let out_size = a.int_list(2)?;
    let (stride, padding) = (a.int_list(3)?, a.int_list(4)?);
    // PyTorch's messages: "but got N" for output_size, "but got: N" for
    // stride and padding.
    let three = |v: &[i64], what: &str, got: &str| -> Result<()> {
        if v.len() == 3 {
            Ok(())
        } else {
            Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "There should be exactly three elements (depth, height, width) in {what}, {got} {} elements.",
                    v.len()
                ),
            ))
        }
    };
    three(&out_size, "output_size", "but got")?;
    three(&stride, "stride", "but got:")?;
    three(&padding, "padding", "but got:")?;
    if stride.iter().any(|&s| s <= 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("strides should be greater than zero, but got stride: {stride:?}"),
        ));
    }
    unpool(ctx, &a, &out_size, "max_unpooling3d")
}

/// The shared body: checks, then the scatter into a zero result.
fn unpool(ctx: &KernelCtx<'_>, a: &Args<'_>, out_size: &[i64], name: &str) -> Result<Vec<IValue>> {
    let (x, idx) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(idx, "indices")?;
    let spatial = out_size.len();
    let rank = x.shape().len();
    if rank != spatial + 1 && rank != spatial + 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Input to {name} should be a {}d or {}d Tensor, but got a tensor with {rank} dimensions.",
                spatial + 1,
                spatial + 2
            ),
        ));
    }
    if idx.dtype() != DType::Int64 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "elements in indices should be type int64 but got: {}",
                idx.dtype().scalar_type_name()
            ),
        ));
    }
    if idx.shape() != x.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected shape of indices to be same as that of the input tensor ({:?}) but got indices tensor with shape: {:?}",
                x.shape(),
                idx.shape()
            ),
        ));
    }
    if out_size.iter().any(|&d| d <= 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{name}: output sizes must be positive, got {out_size:?}"),
        ));
    }
    require_floating(ctx.op, "self", x.dtype())?;
    let mut shape = x.shape()[..rank - spatial].to_vec();
    shape.extend_from_slice(out_size);
    let strides = if spatial == 2 {
        strides_like(&shape, is_channels_last(x))
    } else {
        contiguous_strides(&shape)
    };
    let in_plane: usize = x.shape()[rank - spatial..]
        .iter()
        .map(|&d| d.max(0) as usize)
        .product();
    let out_plane: usize = out_size.iter().map(|&d| d as usize).product();
    let volume = out_size
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join("x");
    let out = ctx.output(&shape, &strides, x.dtype(), || {
        let (xs, is) = (x.read_f64(ctx.op)?, idx.read_i64(ctx.op)?);
        let planes = xs.len() / in_plane.max(1);
        let mut out = vec![0.0; planes * out_plane];
        for (k, (&v, &i)) in xs.iter().zip(&is).enumerate() {
            let slot = usize::try_from(i)
                .ok()
                .filter(|&i| i < out_plane)
                .ok_or_else(|| {
                    RuntimeError::shape(
                        ctx.op,
                        format!(
                            "Found an invalid max index: {i} (output volumes are of size {volume})"
                        ),
                    )
                })?;
            out[(k / in_plane.max(1)) * out_plane + slot] = v;
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}
