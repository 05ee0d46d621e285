//! Joining kernels: `stack`, `cat`.
//!
//! `stack(tensors, dim)` inserts a new dimension of size `len(tensors)` at
//! `dim` and lays the inputs side by side along it; it is laid out as
//! PyTorch's `cat(tensors, dim).view(...)` lays it out. `cat(tensors, dim)`
//! lays the inputs end to end along an existing dimension; its result is
//! channels-last when every input is (PyTorch's `suggest_memory_format`
//! agreement), else contiguous.

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
    let count = i64::try_from(tensors.len())
        .map_err(|_| RuntimeError::shape(ctx.op, "too many tensors to stack"))?;
    let mut shape = first.shape().to_vec();
    shape.insert(d, count);
    let numel = checked_numel(&shape)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("invalid stacked size {shape:?}")))?;
    if ctx.has_data() {
        crate::tensor::check_alloc(ctx.op, numel)?;
    }
    let strides = stack_strides(tensors, d, &shape);
    let dtype = tensors
        .iter()
        .map(crate::tensor::Tensor::dtype)
        .reduce(crate::tensor::promote::promote_types)
        .unwrap_or(first.dtype());
    let out = super::indexing::output(ctx, &shape, &strides, dtype, || {
        // out[o, i, k] = tensors[i][o, k], with o over the dimensions before
        // `dim` and k over those after it; exact for integer dtypes.
        let inputs = tensors
            .iter()
            .map(|t| super::indexing::Elems::read(ctx.op, t))
            .collect::<Result<Vec<_>>>()?;
        let inner: usize = first.shape()[d..].iter().map(|&s| s as usize).product();
        let mut values = super::indexing::Elems::empty(dtype, numel);
        for o in 0..numel / (inner * inputs.len()).max(1) {
            for input in &inputs {
                let start = o * inner;
                if start + inner > input.len() {
                    return Err(RuntimeError::shape(ctx.op, "input smaller than its shape"));
                }
                values.extend_from(input, start..start + inner);
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
    let strides = match output_format(tensors) {
        Format::Contiguous => contiguous_strides(&shape),
        Format::ChannelsLast => channels_last_strides(&shape),
    };
    let numel = checked_numel(&shape)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("invalid size {shape:?}")))?;
    if ctx.has_data() {
        crate::tensor::check_alloc(ctx.op, numel)?;
    }
    let out = super::indexing::output(ctx, &shape, &strides, dtype, || {
        // out[o, j, k]: for each outer index o, every input's slab
        // (its size along `dim` times the inner size) in input order.
        let inner: usize = shape[d + 1..].iter().map(|&s| s as usize).product();
        let outer: usize = shape[..d].iter().map(|&s| s as usize).product();
        let parts = kept
            .iter()
            .map(|t| {
                let slab = t.shape()[d] as usize * inner;
                let e = super::indexing::Elems::read(ctx.op, t)?;
                Ok((conjugated_by_fault(ctx, e), slab))
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

/// Fault `complex-cat-conjugates`: `cat`'s complex inputs with their
/// imaginary parts negated.
fn conjugated_by_fault(ctx: &KernelCtx<'_>, e: super::indexing::Elems) -> super::indexing::Elems {
    match e {
        super::indexing::Elems::C(mut v) if ctx.faults.complex_cat_conjugates => {
            v.iter_mut().skip(1).step_by(2).for_each(|x| *x = -*x);
            super::indexing::Elems::C(v)
        }
        other => other,
    }
}

/// The layout of `stack`'s result. PyTorch's `stack` is `cat(tensors,
/// dim).view(sizes)` when `dim` is an existing dimension, and `cat` of the
/// inputs unsqueezed at `dim` when it is the new last one; either way the
/// layout is `cat`'s (observed: stacking two channels-last `[2, 3, 4, 5]`
/// tensors at dim 0 gives strides `(120, 60, 1, 15, 3)`).
fn stack_strides(tensors: &[crate::tensor::Tensor], d: usize, shape: &[i64]) -> Vec<i64> {
    let Some(first) = tensors.first() else {
        return contiguous_strides(shape);
    };
    if d < first.dim() {
        let mut cat_shape = first.shape().to_vec();
        cat_shape[d] = cat_shape[d].saturating_mul(tensors.len() as i64);
        let cat_strides = match output_format(tensors) {
            Format::Contiguous => contiguous_strides(&cat_shape),
            Format::ChannelsLast => channels_last_strides(&cat_shape),
        };
        return crate::tensor::strides::view_strides(&cat_shape, &cat_strides, shape)
            .unwrap_or_else(|| contiguous_strides(shape));
    }
    // unsqueezed at the end: a trailing size-1 dimension of stride 1
    let unsqueezed: Vec<(Vec<i64>, Vec<i64>)> = tensors
        .iter()
        .map(|t| {
            let mut s = t.shape().to_vec();
            let mut st = t.stride().to_vec();
            s.push(1);
            st.push(1);
            (s, st)
        })
        .collect();
    let all_channels_last = unsqueezed.iter().all(|(s, st)| is_channels_last(s, st));
    if all_channels_last {
        channels_last_strides(shape)
    } else {
        contiguous_strides(shape)
    }
}

/// The memory format PyTorch suggests for a tensor (`suggest_memory_format`)
/// and `cat` gives its result.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Contiguous,
    /// NHWC (4-D) or NDHWC (5-D): channels innermost.
    ChannelsLast,
}

/// PyTorch's `is_channels_last_strides_2d_s4` / `_3d_s5`: walking the
/// channel dimension, then the spatial dimensions from the last, then the
/// batch, strides never decrease (ambiguous size-1 cases fall back to
/// contiguous).
pub(crate) fn is_channels_last(shape: &[i64], strides: &[i64]) -> bool {
    let order: &[usize] = match shape.len() {
        4 => &[1, 3, 2, 0],
        5 => &[1, 4, 3, 2, 0],
        _ => return false,
    };
    if strides[1] == 0 {
        return false;
    }
    let mut min = 0i64;
    for &d in order {
        if shape[d] == 0 || strides[d] < min {
            return false;
        }
        if d == 0 && min == strides[1] {
            return false;
        }
        min = strides[d];
        if shape[d] > 1 {
            min = min.saturating_mul(shape[d]);
        }
    }
    true
}

/// `cat`'s result format: the inputs' common suggested format, contiguous
/// as soon as one input suggests contiguous or two disagree.
fn output_format(tensors: &[crate::tensor::Tensor]) -> Format {
    let mut format = None;
    for t in tensors {
        let f = if is_channels_last(t.shape(), t.stride()) {
            Format::ChannelsLast
        } else {
            Format::Contiguous
        };
        if f == Format::Contiguous || format.is_some_and(|g| g != f) {
            return Format::Contiguous;
        }
        format = Some(f);
    }
    format.unwrap_or(Format::Contiguous)
}

/// Dense strides with the channel dimension (1) innermost, then the
/// spatial dimensions, then the batch.
fn channels_last_strides(shape: &[i64]) -> Vec<i64> {
    let mut strides = vec![0i64; shape.len()];
    let mut next = 1i64;
    let mut order = vec![1usize];
    order.extend((2..shape.len()).rev());
    order.push(0);
    for d in order {
        strides[d] = next;
        next = next.saturating_mul(shape[d]);
    }
    strides
}

#[cfg(test)]
mod tests {
    use super::{channels_last_strides, is_channels_last};

    #[test]
    fn channels_last_detection_follows_pytorch() {
        // NHWC storage of [2, 3, 4, 5]
        assert!(is_channels_last(&[2, 3, 4, 5], &[60, 1, 15, 3]));
        // contiguous NCHW, and a transposed channels-last tensor, are not
        assert!(!is_channels_last(&[2, 3, 4, 5], &[60, 20, 5, 1]));
        assert!(!is_channels_last(&[2, 3, 5, 4], &[60, 1, 3, 15]));
        // C == 1 in NHWC order counts; N111 is ambiguous and falls back
        assert!(is_channels_last(&[2, 1, 4, 5], &[20, 1, 5, 1]));
        assert!(!is_channels_last(&[3, 1, 1, 1], &[1, 1, 1, 1]));
        // NDHWC
        assert!(is_channels_last(&[1, 2, 3, 3, 2], &[36, 1, 12, 4, 2]));
        assert_eq!(channels_last_strides(&[2, 3, 4, 5]), vec![60, 1, 15, 3]);
        assert_eq!(
            channels_last_strides(&[1, 2, 6, 3, 2]),
            vec![72, 1, 12, 4, 2]
        );
    }
}
