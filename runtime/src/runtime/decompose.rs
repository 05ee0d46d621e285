//! CompositeImplicitAutograd kernels (handler `math`).
//!
//! A composite operator is not an event: its parts dispatch from the top,
//! each recorded on its own — what a dispatch mode sees of `aten.linear`
//! is `aten.t` then `aten.addmm`.

use super::Runtime;
use crate::dispatch::registry::OpEntry;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;

/// Runs the decomposition of `entry` on bound `args`.
pub(super) fn run(rt: &mut Runtime, entry: &OpEntry, args: &[IValue]) -> Result<Vec<IValue>> {
    let op = entry.python_name.as_str();
    match op {
        "aten.linear.default" => linear(rt, op, args),
        _ => Err(RuntimeError::unsupported(op, "a decomposition")),
    }
}

/// `linear(input, weight, bias)`: for a matrix input with a bias,
/// `addmm(bias, input, weight.t())`; without a bias, `mm(input, weight.t())`
/// (matmul of two matrices).
fn linear(rt: &mut Runtime, op: &str, args: &[IValue]) -> Result<Vec<IValue>> {
    let input = args.first().and_then(IValue::as_tensor);
    let weight = args.get(1).and_then(IValue::as_tensor);
    let (Some(input), Some(weight)) = (input, weight) else {
        return Err(RuntimeError::unsupported(op, "non-tensor input or weight"));
    };
    if input.dim() != 2 {
        return Err(RuntimeError::unsupported(
            op,
            "inputs that are not matrices",
        ));
    }
    let wt = rt.t(weight)?;
    let out = match args.get(2) {
        Some(IValue::Tensor(bias)) => rt.dispatch(
            "aten.addmm.default",
            vec![bias.into(), input.into(), wt.into()],
        )?,
        _ => vec![rt.mm(input, &wt)?.into()],
    };
    Ok(out)
}
