//! View kernels: `t`, `view`, `expand`, `detach`, `unsqueeze`, `squeeze.dim`.
//!
//! A view is a new tensor over the same storage and version counter with new
//! sizes/strides/offset; nothing is copied.

use super::KernelCtx;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::strides::{expand_geometry, infer_size, view_strides, wrap_dim};

fn same_view(t: &Tensor) -> Tensor {
    t.alias_with(t.shape().to_vec(), t.stride().to_vec(), t.storage_offset())
}

/// `t(self)`: transposes a matrix; 0-D and 1-D tensors come back as views
/// of themselves.
pub(crate) fn t(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let out = match (this.shape(), this.stride()) {
        (&[r, c], &[sr, sc]) => this.alias_with(vec![c, r], vec![sc, sr], this.storage_offset()),
        (s, _) if s.len() < 2 => same_view(this),
        (s, _) => {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "t() expects a tensor with <= 2 dimensions, but self is {}D",
                    s.len()
                ),
            ));
        }
    };
    Ok(vec![out.into()])
}

/// `view(self, size)`: fails when the strides do not allow it.
pub(crate) fn view(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let size =
        infer_size(&a.int_list(1)?, this.numel()).map_err(|m| RuntimeError::shape(ctx.op, m))?;
    let strides = view_strides(this.shape(), this.stride(), &size).ok_or_else(|| {
        RuntimeError::shape(
            ctx.op,
            "view size is not compatible with input tensor's size and stride (at least one \
             dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
        )
    })?;
    Ok(vec![
        this.alias_with(size, strides, this.storage_offset()).into(),
    ])
}

/// `expand(self, size, *, implicit=False)`.
pub(crate) fn expand(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (shape, strides) = expand_geometry(this.shape(), this.stride(), &a.int_list(1)?)
        .map_err(|m| RuntimeError::shape(ctx.op, m))?;
    if crate::tensor::strides::checked_numel(&shape).is_none() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("invalid expanded size {shape:?}"),
        ));
    }
    Ok(vec![
        this.alias_with(shape, strides, this.storage_offset())
            .into(),
    ])
}

/// `detach(self)`: same geometry, same storage and version counter; the
/// runtime gives the result no autograd history.
pub(crate) fn detach(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    Ok(vec![same_view(this).into()])
}

/// `unsqueeze(self, dim)`.
pub(crate) fn unsqueeze(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let dim = a.int(1)?;
    let d = wrap_dim(dim, this.dim() + 1)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("dimension {dim} out of range")))?;
    let mut shape = this.shape().to_vec();
    let mut strides = this.stride().to_vec();
    let new_stride = if d >= this.dim() {
        1
    } else {
        shape[d].saturating_mul(strides[d])
    };
    shape.insert(d, 1);
    strides.insert(d, new_stride);
    Ok(vec![
        this.alias_with(shape, strides, this.storage_offset())
            .into(),
    ])
}

/// `squeeze.dim(self, dim)`: drops `dim` when its size is 1.
pub(crate) fn squeeze_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let dim = a.int(1)?;
    let d = wrap_dim(dim, this.dim())
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("dimension {dim} out of range")))?;
    if this.dim() == 0 || this.shape()[d] != 1 {
        return Ok(vec![same_view(this).into()]);
    }
    let mut shape = this.shape().to_vec();
    let mut strides = this.stride().to_vec();
    shape.remove(d);
    strides.remove(d);
    Ok(vec![
        this.alias_with(shape, strides, this.storage_offset())
            .into(),
    ])
}
