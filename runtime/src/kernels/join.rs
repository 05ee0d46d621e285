//! Joining kernels: `stack`, `cat`.
//!
//! `stack(tensors, dim)` inserts a new dimension of size `len(tensors)` at
//! `dim` and lays the inputs side by side along it. The result is a new,
//! contiguous tensor: PyTorch suggests the output memory format from the
//! inputs, which can only differ from contiguous when the result is 4-D or
//! 5-D (channels-last); such stacks of non-contiguous inputs are refused
//! rather than guessed. `cat(tensors, dim)` lays the inputs end to end
//! along an existing dimension, with the same layout rule.

use super::KernelCtx;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::strides::{checked_numel, contiguous_strides, wrap_dim};

/// `stack(Tensor[] tensors, int dim=0)`.
pub(crate) fn stack(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let tensors = a.tensor_list(0)?;
    let dim = a.int(1)?;
    let Some(first) = tensors.first() else {
        return Err(RuntimeError::shape(
            ctx.op,
            "stack expects a non-empty TensorList",
        ));
    };
    for (i, t) in tensors.iter().enumerate() {
        ctx.check(t, &format!("tensors[{i}]"))?;
        if t.shape() != first.shape() {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {i}",
                    first.shape(),
                    t.shape()
                ),
            ));
        }
    }
    let rank = first.dim() + 1;
    let d = wrap_dim(dim, rank).ok_or_else(|| {
        RuntimeError::shape(
            ctx.op,
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -(rank as i64),
                rank as i64 - 1
            ),
        )
    })?;
    if matches!(rank, 4 | 5) && tensors.iter().any(|t| !t.is_contiguous()) {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "stacking non-contiguous inputs into a 4-D or 5-D result (memory format suggestion)",
        ));
    }
    let count = i64::try_from(tensors.len())
        .map_err(|_| RuntimeError::shape(ctx.op, "too many tensors to stack"))?;
    let mut shape = first.shape().to_vec();
    shape.insert(d, count);
    let numel = checked_numel(&shape)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("invalid stacked size {shape:?}")))?;
    if ctx.has_data() {
        crate::tensor::check_alloc(ctx.op, numel)?;
    }
    let strides = contiguous_strides(&shape);
    let dtype = tensors
        .iter()
        .map(crate::tensor::Tensor::dtype)
        .reduce(crate::tensor::promote::promote_types)
        .unwrap_or(first.dtype());
    let out = ctx.output(&shape, &strides, dtype, || {
        // out[o, i, k] = tensors[i][o, k], with o over the dimensions before
        // `dim` and k over those after it.
        let inputs = tensors
            .iter()
            .map(|t| t.read_f64(ctx.op))
            .collect::<Result<Vec<_>>>()?;
        let inner: usize = first.shape()[d..].iter().map(|&s| s as usize).product();
        let mut values = Vec::with_capacity(numel);
        for o in 0..numel / (inner * inputs.len()).max(1) {
            for input in &inputs {
                let start = o * inner;
                let part = input
                    .get(start..start + inner)
                    .ok_or_else(|| RuntimeError::shape(ctx.op, "input smaller than its shape"))?;
                values.extend_from_slice(part);
            }
        }
        Ok(values)
    })?;
    Ok(vec![out.into()])
}

/// `cat(Tensor[] tensors, int dim=0)`. 1-D empty inputs (shape `[0]`) are
/// skipped whatever `dim` is (PyTorch's legacy rule); the result has the
/// promoted dtype of all inputs.
pub(crate) fn cat(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let tensors = a.tensor_list(0)?;
    let dim = a.int(1)?;
    if tensors.is_empty() {
        return Err(RuntimeError::shape(
            ctx.op,
            "torch.cat(): expected a non-empty list of Tensors",
        ));
    }
    for (i, t) in tensors.iter().enumerate() {
        ctx.check(t, &format!("tensors[{i}]"))?;
    }
    let dtype = tensors
        .iter()
        .map(crate::tensor::Tensor::dtype)
        .reduce(crate::tensor::promote::promote_types)
        .unwrap_or(ctx.default_dtype);
    let kept: Vec<&crate::tensor::Tensor> = tensors
        .iter()
        .filter(|t| !(t.dim() == 1 && t.shape()[0] == 0))
        .collect();
    let Some(first) = kept.first() else {
        // every input is a legacy empty tensor
        let out = super::indexing::output(ctx, &[0], &[1], dtype, || {
            Ok(super::indexing::Elems::empty(dtype, 0))
        })?;
        return Ok(vec![out.into()]);
    };
    let d = super::view::wrap(ctx.op, dim, first.dim())?;
    if first.dim() == 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "zero-dimensional tensor (at position 0) cannot be concatenated",
        ));
    }
    let mut shape = first.shape().to_vec();
    shape[d] = 0;
    for (i, t) in tensors.iter().enumerate() {
        if t.dim() == 1 && t.shape()[0] == 0 {
            continue;
        }
        if t.dim() != first.dim() {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "Tensors must have same number of dimensions: got {} and {}",
                    first.dim(),
                    t.dim()
                ),
            ));
        }
        for (k, (&want, &got)) in first.shape().iter().zip(t.shape()).enumerate() {
            if k != d && want != got {
                return Err(RuntimeError::shape(
                    ctx.op,
                    format!(
                        "Sizes of tensors must match except in dimension {d}. Expected size \
                         {want} but got size {got} for tensor number {i} in the list."
                    ),
                ));
            }
        }
        shape[d] += t.shape()[d];
    }
    if matches!(shape.len(), 4 | 5) && kept.iter().any(|t| !t.is_contiguous()) {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "concatenating non-contiguous inputs into a 4-D or 5-D result (memory format suggestion)",
        ));
    }
    let numel = checked_numel(&shape)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("invalid size {shape:?}")))?;
    if ctx.has_data() {
        crate::tensor::check_alloc(ctx.op, numel)?;
    }
    let out = super::indexing::output(ctx, &shape, &contiguous_strides(&shape), dtype, || {
        // out[o, j, k]: for each outer index o, every input's slab
        // (its size along `dim` times the inner size) in input order.
        let inner: usize = shape[d + 1..].iter().map(|&s| s as usize).product();
        let outer: usize = shape[..d].iter().map(|&s| s as usize).product();
        let parts = kept
            .iter()
            .map(|t| {
                let slab = t.shape()[d] as usize * inner;
                super::indexing::Elems::read(ctx.op, t).map(|e| (e, slab))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut values = super::indexing::Elems::empty(dtype, numel);
        for o in 0..outer {
            for (e, slab) in &parts {
                values.extend_from(e, o * slab..(o + 1) * slab);
            }
        }
        Ok(values)
    })?;
    Ok(vec![out.into()])
}
