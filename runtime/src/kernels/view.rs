//! View kernels: `t`, `view`, `expand`, `detach`, `unsqueeze`, `squeeze`
//! (all three overloads), `select.int`, `transpose.int`, `permute`, `alias`,
//! `slice.Tensor`, `split.Tensor`, `split_with_sizes`, `unbind.int`,
//! `unfold`; the storage-sharing non-views `unsafe_split(_with_sizes)` and
//! `_unsafe_view`; and `select_backward`, a view
//! backward that is an operator of its own.
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

/// `as_strided(self, size, stride, storage_offset=None)`: a view of
/// `self`'s storage with any geometry (the offset defaults to `self`'s). The
/// geometry must stay inside the storage, as PyTorch's `setStorage` checks.
pub(crate) fn as_strided(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let size = a.int_list(1)?;
    let stride = a.int_list(2)?;
    let offset = match a.values.get(3) {
        Some(IValue::Int(o)) => *o,
        _ => this.storage_offset(),
    };
    if size.len() != stride.len() || size.iter().chain(&stride).any(|&v| v < 0) || offset < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("mismatch in length of strides and shape: {size:?} and {stride:?}"),
        ));
    }
    let needed = if size.contains(&0) {
        0
    } else {
        offset
            + 1
            + size
                .iter()
                .zip(&stride)
                .map(|(&n, &s)| (n - 1) * s)
                .sum::<i64>()
    };
    let available = this.0.storage.len() as i64;
    if needed > available {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "setStorage: sizes {size:?}, strides {stride:?}, storage offset {offset}, and \
                 itemsize {} requiring a storage size of {} are out of bounds for storage of \
                 size {}",
                this.dtype().element_size(),
                needed as usize * this.dtype().element_size(),
                available as usize * this.dtype().element_size()
            ),
        ));
    }
    Ok(vec![this.alias_with(size, stride, offset).into()])
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

/// `detach_(self)`: `self` itself. Its autograd kernel does the work
/// (dropping `grad_fn` and `requires_grad`) and never redispatches, so only
/// under `inference_mode` (`torch.tensor(...)` inside it, `t.detach_()`)
/// does the call reach this kernel, on a tensor with no autograd state.
pub(crate) fn detach_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    Ok(vec![this.clone().into()])
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
        return Err(RuntimeError::index(
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
        // a complex element is two parts, moved together
        let parts = grad.dtype().parts();
        let g = grad.read_f64(ctx.op)?;
        let inner: usize = parts
            * sizes[d + 1..]
                .iter()
                .map(|&s| s as usize)
                .product::<usize>();
        let (size, at) = (size as usize, wrapped as usize);
        let mut values = vec![0f64; numel * parts];
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

/// `dim` wrapped into `0..ndim` (a 0-dim tensor accepts 0 and -1), with
/// PyTorch's message otherwise.
pub(crate) fn wrap(op: &str, dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1);
    wrap_dim(dim, n).ok_or_else(|| {
        RuntimeError::shape(
            op,
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -(n as i64),
                n as i64 - 1
            ),
        )
    })
}

/// `transpose.int(self, dim0, dim1)`: swaps two dimensions.
pub(crate) fn transpose(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let d0 = wrap(ctx.op, a.int(1)?, this.dim())?;
    let d1 = wrap(ctx.op, a.int(2)?, this.dim())?;
    let mut shape = this.shape().to_vec();
    let mut strides = this.stride().to_vec();
    if this.dim() > 0 {
        shape.swap(d0, d1);
        strides.swap(d0, d1);
    }
    Ok(vec![
        this.alias_with(shape, strides, this.storage_offset())
            .into(),
    ])
}

/// `permute(self, dims)`: dimension `i` of the result is dimension
/// `dims[i]` of `self`.
pub(crate) fn permute(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let dims = a.int_list(1)?;
    if dims.len() != this.dim() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "permute(sparse_coo): number of dimensions in the tensor input does not match \
                 the length of the desired ordering of dimensions i.e. input.dim() = {} is not \
                 equal to len(dims) = {}",
                this.dim(),
                dims.len()
            ),
        ));
    }
    let mut seen = vec![false; dims.len()];
    let mut shape = Vec::with_capacity(dims.len());
    let mut strides = Vec::with_capacity(dims.len());
    for &dim in &dims {
        let d = wrap(ctx.op, dim, this.dim())?;
        if std::mem::replace(&mut seen[d], true) {
            return Err(RuntimeError::shape(
                ctx.op,
                "permute(): duplicate dims are not allowed.",
            ));
        }
        shape.push(this.shape()[d]);
        strides.push(this.stride()[d]);
    }
    Ok(vec![
        this.alias_with(shape, strides, this.storage_offset())
            .into(),
    ])
}

/// `alias(self)`: the same geometry, a view.
pub(crate) fn alias(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    Ok(vec![same_view(this).into()])
}

/// `_unsafe_view(self, size)`: `view`'s geometry over the same storage,
/// but not a view for autograd: the result has its own version counter
/// (PyTorch creates it without the ADInplaceOrView kernel that shares it).
/// `reshape` dispatches it on a fresh contiguous copy.
pub(crate) fn unsafe_view(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let viewed = view(ctx, a)?;
    let Some(v) = viewed.first().and_then(IValue::as_tensor) else {
        return Err(RuntimeError::shape(ctx.op, "view produced no tensor"));
    };
    let out = Tensor::from_parts(
        std::sync::Arc::clone(&v.0.storage),
        v.shape().to_vec(),
        v.stride().to_vec(),
        v.storage_offset(),
        v.dtype(),
        v.device(),
        crate::tensor::VersionCounter::new(),
    );
    out.0.autograd.lock().inference = v.is_inference();
    Ok(vec![out.into()])
}

/// The view of `t` narrowed to `start..start + len * step` along `d`
/// (every `step`-th element).
fn narrowed(t: &Tensor, d: usize, start: i64, len: i64, step: i64) -> Tensor {
    let mut shape = t.shape().to_vec();
    let mut strides = t.stride().to_vec();
    let offset = t
        .storage_offset()
        .saturating_add(start.saturating_mul(strides[d]));
    shape[d] = len;
    strides[d] = strides[d].saturating_mul(step);
    t.alias_with(shape, strides, offset)
}

/// PyTorch's clamping of slice bounds: `None` start is 0 and `None` end the
/// size; negative bounds count from the end; both are clamped into
/// `0..=size` with `end >= start`.
pub(crate) fn slice_bounds(size: i64, start: Option<i64>, end: Option<i64>) -> (i64, i64) {
    let wrap = |v: i64| if v < 0 { v.saturating_add(size) } else { v };
    let start = wrap(start.unwrap_or(0)).clamp(0, size);
    let end = wrap(end.unwrap_or(size)).clamp(start, size);
    (start, end)
}

fn opt_int(a: &Args<'_>, i: usize) -> Result<Option<i64>> {
    match a.values.get(i) {
        Some(IValue::None) | None => Ok(None),
        _ => a.int(i).map(Some),
    }
}

/// `slice.Tensor(self, dim=0, start=None, end=None, step=1)`: what
/// `x[a:b:c]` and `narrow` dispatch.
pub(crate) fn slice(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    if this.dim() == 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "slice() cannot be applied to a 0-dim tensor.",
        ));
    }
    let d = wrap(ctx.op, a.int(1)?, this.dim())?;
    let step = a.int(4)?;
    if step <= 0 {
        return Err(RuntimeError::shape(ctx.op, "slice step must be positive"));
    }
    let (start, end) = slice_bounds(this.shape()[d], opt_int(&a, 2)?, opt_int(&a, 3)?);
    let len = (end - start + step - 1) / step;
    Ok(vec![narrowed(this, d, start, len, step).into()])
}

/// Consecutive pieces of `lengths` along `d`, as views.
fn pieces(t: &Tensor, d: usize, lengths: &[i64]) -> Vec<Tensor> {
    let mut start = 0;
    lengths
        .iter()
        .map(|&len| {
            let piece = narrowed(t, d, start, len, 1);
            start += len;
            piece
        })
        .collect()
}

/// The piece lengths of `split(split_size)` over a dimension of `size`:
/// full pieces and a shorter last one; one (empty) piece when `size` is 0.
pub(crate) fn split_lengths(op: &str, size: i64, split_size: i64) -> Result<Vec<i64>> {
    if split_size < 0 {
        return Err(RuntimeError::shape(
            op,
            format!("split expects split_size be non-negative, but got split_size={split_size}"),
        ));
    }
    if split_size == 0 {
        if size != 0 {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "split_size can only be 0 if dimension size is 0, but got dimension size of {size}"
                ),
            ));
        }
        return Ok(vec![0]);
    }
    let count = ((size + split_size - 1) / split_size).max(1);
    Ok((0..count)
        .map(|i| split_size.min(size - i * split_size))
        .collect())
}

fn nonzero_dim(op: &str, t: &Tensor, dim: i64) -> Result<usize> {
    if t.dim() == 0 {
        return Err(RuntimeError::shape(
            op,
            format!("Dimension specified as {dim} but tensor has no dimensions"),
        ));
    }
    wrap(op, dim, t.dim())
}

/// `split.Tensor(self, split_size, dim=0)`: views of `split_size` along
/// `dim`, the last one shorter.
pub(crate) fn split(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let d = nonzero_dim(ctx.op, this, a.int(2)?)?;
    let lengths = split_lengths(ctx.op, this.shape()[d], a.int(1)?)?;
    Ok(vec![IValue::TensorList(pieces(this, d, &lengths))])
}

/// `split_with_sizes(self, split_sizes, dim=0)`.
pub(crate) fn split_with_sizes(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let d = nonzero_dim(ctx.op, this, a.int(2)?)?;
    let sizes = a.int_list(1)?;
    let size = this.shape()[d];
    if sizes.iter().any(|&s| s < 0) || sizes.iter().sum::<i64>() != size {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's \
                 size at dimension {d}), but got split_sizes={sizes:?}"
            ),
        ));
    }
    Ok(vec![IValue::TensorList(pieces(this, d, &sizes))])
}

/// `unbind.int(self, dim=0)`: every slice along `dim`, that dimension
/// removed.
pub(crate) fn unbind(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let d = nonzero_dim(ctx.op, this, a.int(1)?)?;
    let mut shape = this.shape().to_vec();
    let mut strides = this.stride().to_vec();
    let count = shape.remove(d);
    let step = strides.remove(d);
    let outs = (0..count)
        .map(|i| {
            let offset = this.storage_offset().saturating_add(i.saturating_mul(step));
            this.alias_with(shape.clone(), strides.clone(), offset)
        })
        .collect();
    Ok(vec![IValue::TensorList(outs)])
}

/// `self` without the dimensions `drop` marks (only size-1 ones are ever
/// marked).
fn squeezed(t: &Tensor, drop: &[bool]) -> Tensor {
    let (mut shape, mut strides) = (Vec::new(), Vec::new());
    for (i, (&s, &st)) in t.shape().iter().zip(t.stride()).enumerate() {
        if !drop.get(i).copied().unwrap_or(false) {
            shape.push(s);
            strides.push(st);
        }
    }
    t.alias_with(shape, strides, t.storage_offset())
}

/// `squeeze(self)`: drops every dimension of size 1.
pub(crate) fn squeeze(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let drop: Vec<bool> = this.shape().iter().map(|&s| s == 1).collect();
    Ok(vec![squeezed(this, &drop).into()])
}

/// `squeeze.dims(self, dim)`: drops the listed dimensions that have size 1.
pub(crate) fn squeeze_dims(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let mut drop = vec![false; this.dim()];
    for dim in a.int_list(1)? {
        let d = wrap(ctx.op, dim, this.dim())?;
        if let Some(flag) = drop.get_mut(d) {
            *flag = this.shape()[d] == 1;
        }
    }
    Ok(vec![squeezed(this, &drop).into()])
}

/// `unfold(self, dimension, size, step)`: every window of `size` elements
/// along `dimension`, `step` apart, as a new last dimension (a view).
pub(crate) fn unfold(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let d = wrap(ctx.op, a.int(1)?, this.dim())?;
    let (size, step) = (a.int(2)?, a.int(3)?);
    let mut shape = this.shape().to_vec();
    let mut strides = this.stride().to_vec();
    if shape.is_empty() {
        shape.push(1);
        strides.push(1);
    }
    let extent = shape[d];
    if size > extent || size < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("maximum size for tensor at dimension {d} is {extent} but size is {size}"),
        ));
    }
    if step <= 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("step is {step} but must be > 0"),
        ));
    }
    let inner = strides[d];
    shape[d] = (extent - size) / step + 1;
    strides[d] = inner.saturating_mul(step);
    shape.push(size);
    strides.push(inner);
    if this.dim() == 0 {
        shape.remove(0);
        strides.remove(0);
    }
    Ok(vec![
        this.alias_with(shape, strides, this.storage_offset())
            .into(),
    ])
}

/// `tensors` with a fresh version counter each: PyTorch's `unsafe_split*`
/// results share `self`'s storage but are not views for autograd.
fn unsafe_pieces(tensors: Vec<IValue>) -> Vec<IValue> {
    let fresh = tensors
        .into_iter()
        .flat_map(IValue::into_tensors)
        .map(|t| {
            let out = Tensor::from_parts(
                std::sync::Arc::clone(&t.0.storage),
                t.shape().to_vec(),
                t.stride().to_vec(),
                t.storage_offset(),
                t.dtype(),
                t.device(),
                crate::tensor::VersionCounter::new(),
            );
            out.0.autograd.lock().inference = t.is_inference();
            out
        })
        .collect();
    vec![IValue::TensorList(fresh)]
}

/// `unsafe_split.Tensor(self, split_size, dim=0)`: `split`'s pieces, not
/// tracked as views (what `unsafe_chunk`, and GRU/LSTM cells, dispatch).
pub(crate) fn unsafe_split(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    Ok(unsafe_pieces(split(ctx, a)?))
}

/// `unsafe_split_with_sizes(self, split_sizes, dim=0)`.
pub(crate) fn unsafe_split_with_sizes(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    Ok(unsafe_pieces(split_with_sizes(ctx, a)?))
}

/// The in-place view operators `transpose_`, `t_`, `unsqueeze_`,
/// `squeeze_.dim`, `squeeze_` and `squeeze_.dims` (what vmap's batching
/// rules dispatch to drop a size-1 batch dimension), and `as_strided_`
/// (what the adaptive average pooling to 1x1 of a channels-last input
/// dispatches on its `mean` to give it channels-last strides): the geometry of the
/// out-of-place view, given to `self` itself (same storage, version
/// counter, trace identity; see [`Tensor::restrided_in_place`]). A leaf that requires grad is refused:
/// its gradient accumulates into the handle the graph already holds.
pub(crate) fn restride_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    if this.is_leaf() && this.requires_grad() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "an in-place view operator on a leaf that requires grad",
        ));
    }
    let view = match ctx.op {
        "aten.transpose_.default" => transpose(ctx, a)?,
        "aten.t_.default" => t(ctx, a)?,
        "aten.unsqueeze_.default" => unsqueeze(ctx, a)?,
        "aten.squeeze_.dim" => squeeze_dim(ctx, a)?,
        "aten.squeeze_.default" => squeeze(ctx, a)?,
        "aten.squeeze_.dims" => squeeze_dims(ctx, a)?,
        "aten.as_strided_.default" => as_strided(ctx, a)?,
        other => return Err(RuntimeError::unsupported(other, "an in-place view kernel")),
    };
    let v = view
        .first()
        .and_then(IValue::as_tensor)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a view without a tensor result"))?;
    Ok(vec![
        this.restrided_in_place(v.shape().to_vec(), v.stride().to_vec(), v.storage_offset())
            .into(),
    ])
}
