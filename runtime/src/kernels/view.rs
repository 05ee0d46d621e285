//! View kernels: `t`, `view`, `expand`, `detach`, `unsqueeze`, `squeeze.dim`,
//! `select.int`; and `select_backward`, the one view backward that is an
//! operator of its own.
//!
//! A view is a new tensor over the same storage and version counter with new
//! sizes/strides/offset; nothing is copied.

use super::KernelCtx;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::strides::{
    checked_numel, contiguous_strides, expand_geometry, infer_size, view_strides, wrap_dim,
};

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

/// `select.int(self, dim, index)`: the slice at `index` along `dim`, with
/// that dimension removed (a negative index counts from the end). The view
/// starts `index * stride[dim]` elements further into the storage.
pub(crate) fn select(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (dim, index) = (a.int(1)?, a.int(2)?);
    if this.dim() == 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "select() cannot be applied to a 0-dim tensor.",
        ));
    }
    let d = wrap_dim(dim, this.dim()).ok_or_else(|| {
        RuntimeError::shape(
            ctx.op,
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -(this.dim() as i64),
                this.dim() as i64 - 1
            ),
        )
    })?;
    let size = this.shape()[d];
    let wrapped = if index < 0 { index + size } else { index };
    if !(0..size).contains(&wrapped) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "select(): index {index} out of range for tensor of size {:?} at dimension {dim}",
                this.shape()
            ),
        ));
    }
    let mut shape = this.shape().to_vec();
    let mut strides = this.stride().to_vec();
    let step = strides[d];
    shape.remove(d);
    strides.remove(d);
    let offset = this
        .storage_offset()
        .saturating_add(wrapped.saturating_mul(step));
    Ok(vec![this.alias_with(shape, strides, offset).into()])
}

/// `select_backward(grad_output, input_sizes, dim, index)`: a new contiguous
/// tensor of `input_sizes`, zero except for the slice `index` along `dim`,
/// which holds `grad_output` — the gradient of `select(dim, index)`:
/// out[o, i, k] = grad[o, k] if i == index else 0.
pub(crate) fn select_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let grad = a.tensor(0)?;
    ctx.check(grad, "grad_output")?;
    let sizes = a.int_list(1)?;
    let (dim, index) = (a.int(2)?, a.int(3)?);
    let numel = checked_numel(&sizes)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("invalid input_sizes {sizes:?}")))?;
    let d = wrap_dim(dim, sizes.len())
        .filter(|_| !sizes.is_empty())
        .ok_or_else(|| {
            RuntimeError::shape(
                ctx.op,
                format!("dimension {dim} out of range for input_sizes {sizes:?}"),
            )
        })?;
    let size = sizes[d];
    let wrapped = if index < 0 { index + size } else { index };
    let mut expected = sizes.clone();
    expected.remove(d);
    if !(0..size).contains(&wrapped) || grad.shape() != expected.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output {:?} is not the slice {index} along dimension {dim} of {sizes:?}",
                grad.shape()
            ),
        ));
    }
    if ctx.has_data() {
        crate::tensor::check_alloc(ctx.op, numel)?;
    }
    let out = ctx.output(&sizes, &contiguous_strides(&sizes), grad.dtype(), || {
        let g = grad.read_f64(ctx.op)?;
        let inner: usize = sizes[d + 1..].iter().map(|&s| s as usize).product();
        let (size, at) = (size as usize, wrapped as usize);
        let mut values = vec![0f64; numel];
        if inner > 0 {
            for (o, row) in g.chunks_exact(inner).enumerate() {
                let start = (o * size + at) * inner;
                if let Some(dst) = values.get_mut(start..start + inner) {
                    dst.copy_from_slice(row);
                }
            }
        }
        Ok(values)
    })?;
    Ok(vec![out.into()])
}
