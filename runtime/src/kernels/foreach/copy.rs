//! `_foreach_copy_(Tensor(a!)[] self, Tensor[] src, bool non_blocking) -> ()`:
//! `self[i].copy_(src[i])` — `src[i]` broadcasts to `self[i]`'s shape and
//! converts to its dtype (no casting rule, as `copy_`).

use super::{other_list, self_list};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::iter::read_broadcast;
use crate::tensor::strides::broadcast_shapes;

/// Kernel of `_foreach_copy_`.
pub(super) fn copy_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = self_list(ctx, &a, 0)?;
    let src = other_list(ctx, &a, 1, this.len())?;
    for (dst, src) in this.iter().zip(src) {
        if broadcast_shapes(dst.shape(), src.shape()).as_deref() != Some(dst.shape()) {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "The size of tensor a ({:?}) must match the size of tensor b ({:?}) at non-singleton dimensions",
                    dst.shape(),
                    src.shape()
                ),
            ));
        }
        ctx.write(dst, || read_broadcast(ctx.op, src, dst.shape()))?;
    }
    Ok(Vec::new())
}
