//! `_pack_padded_sequence`: the packed layout of `nn.utils.rnn.PackedSequence`
//! (its backward is a decomposition the node dispatches, see
//! `autograd::functions::indexing::PackPaddedSequenceBackward0`).

use super::{Elems, output};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// `_pack_padded_sequence(input, lengths, batch_first)`: for each time step
/// `t` the rows of the batch entries whose length exceeds `t`, steps
/// concatenated in order — `data` of shape `[sum(lengths), *]` — and
/// `batch_sizes` (int64, one per step of the longest sequence). `input` is
/// `[T, B, *]` (`[B, T, *]` when `batch_first`); `lengths` is a 1-d int64
/// CPU tensor sorted in decreasing order with every length in `1..=T`
/// (PyTorch's checks and messages).
pub(crate) fn pack_padded_sequence(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (input, lengths) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(input, "input")?;
    let batch_first = a.bool(2)?;
    if lengths.dtype() != DType::Int64 || lengths.dim() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            "'lengths' argument should be a 1D CPU int64 tensor",
        ));
    }
    if input.dim() < 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "expected an input of at least 2 dimensions, got {:?}",
                input.shape()
            ),
        ));
    }
    let (steps, batch) = if batch_first {
        (input.shape()[1], input.shape()[0])
    } else {
        (input.shape()[0], input.shape()[1])
    };
    // `lengths` is read on every backend: the result's shape depends on it.
    let lens = lengths.read_i64(ctx.op)?;
    if lens.len() as i64 != batch {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected `len(lengths)` to be equal to batch_size, but got {} (batch_size={batch})",
                lens.len()
            ),
        ));
    }
    if lens.last().is_some_and(|&l| l <= 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            "Length of all samples has to be greater than 0, but found an element in 'lengths' \
             that is <= 0",
        ));
    }
    if lens.windows(2).any(|w| w[0] < w[1]) {
        return Err(RuntimeError::shape(
            ctx.op,
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. \
             You can pass `enforce_sorted=False` to pack_padded_sequence and/or \
             pack_sequence to sidestep this requirement if you do not need ONNX exportability.",
        ));
    }
    let longest = lens.first().copied().unwrap_or(0);
    if longest > steps {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected sequence length to be larger than or equal to the maximum length \
                 ({longest}), but got {steps}"
            ),
        ));
    }
    let batch_sizes: Vec<i64> = (0..longest)
        .map(|t| lens.iter().filter(|&&l| l > t).count() as i64)
        .collect();
    let row: i64 = input.shape()[2..].iter().product();
    let total: i64 = batch_sizes.iter().sum();
    let mut shape = vec![total];
    shape.extend_from_slice(&input.shape()[2..]);
    let data = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        input.dtype(),
        || {
            let x = Elems::read(ctx.op, input)?;
            let row = row.max(0) as usize;
            let mut positions = Vec::with_capacity(total.max(0) as usize * row);
            for (t, &size) in batch_sizes.iter().enumerate() {
                for b in 0..size.max(0) as usize {
                    // Logical (C-order) position of element [t, b] (or [b, t]).
                    let (outer, inner, inner_len) = if batch_first {
                        (b, t, steps as usize)
                    } else {
                        (t, b, batch as usize)
                    };
                    let start = (outer * inner_len + inner) * row;
                    positions.extend(start..start + row);
                }
            }
            x.pick(ctx.op, &positions)
        },
    )?;
    let sizes_shape = [batch_sizes.len() as i64];
    let sizes = output(ctx, &sizes_shape, &[1], DType::Int64, || {
        Ok(Elems::I(batch_sizes.clone()))
    })?;
    Ok(vec![data.into(), sizes.into()])
}
