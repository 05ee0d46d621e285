//! `block_diag(tensors)`: the inputs on the diagonal of a zero matrix (a
//! 0-dim input is 1×1, a 1-dim input of n elements is 1×n), promoted,
//! contiguous.

use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::pointwise::result_type;
use crate::tensor::Tensor;
use crate::tensor::strides::contiguous_strides;

/// The (rows, columns) block of an input.
pub(crate) fn block_shape(t: &Tensor) -> (usize, usize) {
    match t.shape() {
        [] => (1, 1),
        [n] => (1, (*n).max(0) as usize),
        [r, c, ..] => ((*r).max(0) as usize, (*c).max(0) as usize),
    }
}

/// `block_diag(Tensor[] tensors) -> Tensor`.
pub(crate) fn block_diag(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let tensors = a.tensor_list(0)?;
    for (i, t) in tensors.iter().enumerate() {
        ctx.check(t, "tensors")?;
        if t.dim() > 2 {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {} dimensions",
                    t.dim()
                ),
            ));
        }
    }
    let operands: Vec<Operand<'_>> = tensors.iter().map(Operand::Tensor).collect();
    let dtype = if operands.is_empty() {
        ctx.default_dtype
    } else {
        result_type(ctx, &operands)
    };
    let blocks: Vec<(usize, usize)> = tensors.iter().map(block_shape).collect();
    let rows: usize = blocks.iter().map(|b| b.0).sum();
    let cols: usize = blocks.iter().map(|b| b.1).sum();
    let shape = [rows as i64, cols as i64];
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let mut out = vec![0.0; rows * cols];
        let (mut r0, mut c0) = (0, 0);
        for (t, &(r, c)) in tensors.iter().zip(&blocks) {
            let v = t.read_f64(ctx.op)?;
            for i in 0..r {
                for j in 0..c {
                    out[(r0 + i) * cols + c0 + j] = v[i * c + j];
                }
            }
            r0 += r;
            c0 += c;
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}
