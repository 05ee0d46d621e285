//! Nested tensors in `nn.TransformerEncoder`'s evaluation fast path: what
//! it runs in `eval()` under `no_grad` given a `src_key_padding_mask` whose
//! rows are left-aligned (`_nested_tensor_from_mask_left_aligned`).
//!
//! | operator | key | kernel |
//! |---|---|---|
//! | `_nested_tensor_from_mask(t, mask, mask_check)` | CPU | the first `len_b` rows of each batch element `t[b]`, `len_b` the count of `True` in `mask[b]`, packed contiguously into one buffer: a nested tensor of components `[len_b, D]` |
//! | `_transformer_encoder_layer_fwd` | NestedTensorCPU | each component through the layer, its attention over its own rows only |
//! | `to_padded_tensor(self, padding, output_size)` | NestedTensorCPU | a contiguous dense tensor, each component at the start of its slot and `padding` elsewhere |
//!
//! The arguments are checked as ATen's `NestedTensor_nested_tensor_from_mask`
//! and `NestedTensor_to_padded_tensor_generic` check them, with their
//! messages. The layer runs as ATen's nested path computes it: the attention
//! pads the queries, keys and values to the longest component and masks the
//! padded keys in the softmax, while the projections, norms and
//! feed-forward act row by row. The runtime therefore pads the components
//! with zeros, runs the dense layer ([`super::nn::mha`]) with that key
//! padding mask, and keeps each component's rows.

use super::nn::mha::{KeyMask, check_padded_batch_mask, encoder_layer_values, opt_tensor};
use super::{Kernel, KernelCtx};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The operators with a `NestedTensorCPU` kernel.
const NESTED_CPU: &[&str] = &[
    "aten._transformer_encoder_layer_fwd.default",
    "aten.to_padded_tensor.default",
];

/// Whether `op` has a `NestedTensorCPU` kernel (its handler at that key).
pub(crate) fn has_kernel(op: &str) -> bool {
    NESTED_CPU.contains(&op)
}

/// The `NestedTensorCPU` kernel of `op`.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._transformer_encoder_layer_fwd.default" => encoder_layer,
        "aten.to_padded_tensor.default" => to_padded_tensor,
        _ => return None,
    })
}

/// The CPU kernels that make a nested tensor from dense ones.
pub(crate) fn cpu_lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._nested_tensor_from_mask.default" => from_mask,
        _ => return None,
    })
}

fn shape_error(op: &str, message: impl Into<String>) -> RuntimeError {
    RuntimeError::shape(op, message.into())
}

/// `_nested_tensor_from_mask(t, mask, mask_check=True)`.
fn from_mask(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (t, mask) = (a.tensor(0)?, a.tensor(1)?);
    let mask_check = match a.values.get(2) {
        None | Some(IValue::None) => true,
        Some(_) => a.bool(2)?,
    };
    let (_, l) = check_padded_batch_mask(ctx, t, mask)?;
    let (op, d) = (ctx.op, t.shape()[2]);
    if !ctx.has_data() {
        return Err(RuntimeError::NoData { op: op.to_owned() });
    }
    let keep = mask.read_i64(op)?;
    let width = usize::try_from(l).unwrap_or(0);
    let mut lengths = Vec::with_capacity(keep.len() / width.max(1));
    for row in keep.chunks(width.max(1)) {
        let count = row.iter().filter(|&&v| v != 0).count();
        // the index of the first `False`, `L` when the row has none
        let prefix = row.iter().position(|&v| v == 0).unwrap_or(row.len());
        if mask_check && count != prefix {
            return Err(shape_error(op, "Mask must be left-aligned without gaps"));
        }
        lengths.push(count as i64);
    }
    let values = t.read_f64(op)?;
    let row = usize::try_from(d).unwrap_or(0);
    let mut packed = Vec::new();
    for (b, &len) in lengths.iter().enumerate() {
        let start = b * width * row;
        packed.extend_from_slice(&values[start..start + len as usize * row]);
    }
    let sizes = lengths.iter().map(|&len| vec![len, d]).collect();
    let total = packed.len() as i64;
    let buffer = ctx.output(&[total], &[1], t.dtype(), || Ok(packed))?;
    Ok(vec![Tensor::nested_packed(op, buffer, sizes)?.into()])
}

/// `_transformer_encoder_layer_fwd` of a nested `src` (components
/// `[len_b, D]`), without a mask (PyTorch refuses one).
fn encoder_layer(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let op = ctx.op;
    let src = a.tensor(0)?;
    let layout = src.nested_layout(op)?;
    if opt_tensor(&a, 18).is_some() {
        return Err(shape_error(
            op,
            "NestedTensor with mask is not supported yet",
        ));
    }
    if src.dim() != 3 {
        return Err(shape_error(
            op,
            format!("expected 3-D `query`, got {}-D tensor", src.dim()),
        ));
    }
    let d = src.shape()[2];
    let lengths: Vec<i64> = layout.sizes.iter().map(|row| row[0]).collect();
    let t = lengths.iter().copied().max().unwrap_or(0);
    let n = lengths.len() as i64;
    let padded_shape = [n, t, d.max(0)];
    let components = if ctx.has_data() {
        src.nested_components_f64(op)?
    } else {
        Vec::new()
    };
    let row = usize::try_from(d).unwrap_or(0);
    let width = usize::try_from(t).unwrap_or(0);
    let padded = ctx.output(
        &padded_shape,
        &contiguous_strides(&padded_shape),
        src.dtype(),
        || Ok(pad_rows(&components, width, row)),
    )?;
    // PyTorch's nested softmax attends to each component's own keys only:
    // every padded key is masked out (a key padding mask, `mask_type` 1).
    let attends_padding = ctx.faults.nested_attends_padding;
    let masked: Vec<f64> = (0..n * t)
        .map(|i| {
            let beyond = i % t.max(1) >= lengths[(i / t.max(1)) as usize];
            f64::from(u8::from(beyond && !attends_padding))
        })
        .collect();
    let mask = ctx.output(&[n, t], &[t, 1], DType::Bool, || Ok(masked))?;
    let dense = encoder_layer_values(
        ctx,
        &a,
        &padded,
        Some(&mask),
        Some(1),
        KeyMask::NestedComponents,
    )?;
    let mut packed = Vec::new();
    if !dense.is_empty() {
        for (b, &len) in lengths.iter().enumerate() {
            let start = b * width * row;
            packed.extend_from_slice(&dense[start..start + len as usize * row]);
        }
    }
    let total = layout.numel();
    let buffer = ctx.output(&[total], &[1], src.dtype(), || Ok(packed))?;
    let sizes = layout.sizes.clone();
    Ok(vec![Tensor::nested_packed(op, buffer, sizes)?.into()])
}

/// Components of `[len, row]` elements each, zero-padded to `width` rows and
/// stacked.
fn pad_rows(components: &[Vec<f64>], width: usize, row: usize) -> Vec<f64> {
    let mut out = vec![0.0; components.len() * width * row];
    for (b, component) in components.iter().enumerate() {
        out[b * width * row..b * width * row + component.len()].copy_from_slice(component);
    }
    out
}

/// `to_padded_tensor(self, padding, output_size=None)`.
fn to_padded_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let op = ctx.op;
    let src = a.tensor(0)?;
    let layout = src.nested_layout(op)?;
    let padding = a.scalar(1)?;
    let output_size = a.opt_int_list(2)?;
    if !layout.is_packed() {
        return Err(shape_error(
            op,
            "for now to_padded_tensor only supports contiguous nested tensor",
        ));
    }
    let total = layout.numel();
    if layout.len() > 0 && total == 0 {
        return Err(shape_error(
            op,
            "to_padded_tensor: at least one constituent tensor should have non-zero numel",
        ));
    }
    let mut shape = vec![layout.len() as i64];
    shape.extend(layout.max_sizes());
    if let Some(size) = output_size {
        if size.len() != shape.len() {
            return Err(shape_error(
                op,
                "Length of output_size does not match NestedTensor dims. Broadcasting is not supported.",
            ));
        }
        if size.iter().zip(&shape).any(|(want, have)| want < have) {
            return Err(shape_error(
                op,
                "Value in output_size is less than NestedTensor padded size. Truncation is not supported.",
            ));
        }
        shape = size;
    }
    let components = if ctx.has_data() {
        src.nested_components_f64(op)?
    } else {
        Vec::new()
    };
    let strides = contiguous_strides(&shape);
    let values = || {
        let numel: i64 = shape.iter().product();
        let mut out = vec![padding; numel.max(0) as usize];
        for (b, component) in components.iter().enumerate() {
            let sizes = &layout.sizes[b];
            for (linear, value) in component.iter().enumerate() {
                // the element's position in the component, then in the slot
                let mut rest = linear as i64;
                let mut at = b as i64 * strides[0];
                for (dim, &size) in sizes.iter().enumerate().rev() {
                    at += (rest % size) * strides[dim + 1];
                    rest /= size;
                }
                out[at as usize] = *value;
            }
        }
        Ok(out)
    };
    let out = ctx.output(&shape, &strides, src.dtype(), values)?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::pad_rows;

    #[test]
    fn components_are_padded_with_zero_rows() {
        let padded = pad_rows(&[vec![1.0, 2.0], vec![], vec![3.0, 4.0, 5.0, 6.0]], 2, 2);
        assert_eq!(
            padded,
            [1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 4.0, 5.0, 6.0]
        );
    }
}
