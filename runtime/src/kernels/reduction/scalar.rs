//! `_local_scalar_dense`: what `Tensor.item()` (and `float(t)`, `int(t)`,
//! `bool(t)`) dispatches. Its result is a Python number, not a tensor: a
//! float for floating dtypes, an int for integer dtypes, a bool for bool.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;

/// `_local_scalar_dense(self) -> Scalar`.
pub(crate) fn local_scalar_dense(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if t.numel() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "a Tensor with {} elements cannot be converted to Scalar",
                t.numel()
            ),
        ));
    }
    if !ctx.has_data() {
        return Err(RuntimeError::shape(
            ctx.op,
            "Tensor.item() cannot be called on meta tensors",
        ));
    }
    let value = match t.dtype() {
        DType::Bool => IValue::Bool(t.read_i64(ctx.op)?.first().is_some_and(|&v| v != 0)),
        d if d.is_integral(false) => IValue::Int(t.read_i64(ctx.op)?.first().copied().unwrap_or(0)),
        _ => IValue::Float(t.read_f64(ctx.op)?.first().copied().unwrap_or(f64::NAN)),
    };
    Ok(vec![value])
}
