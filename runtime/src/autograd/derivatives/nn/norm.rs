//! Derivative rows of the normalisation operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `native_layer_norm` | NativeLayerNormBackward0 (output 0 only) | input, weight, bias | input, normalized_shape, weight, bias, mean, rstd |
//! | `native_batch_norm` | NativeBatchNormBackward0 (output 0 only) | input, weight, bias | input, weight, running stats, training, eps, save_mean, save_invstd |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::norm::{NativeBatchNormBackward0, NativeLayerNormBackward0};
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;

fn opt_saved(a: &[IValue], i: usize) -> Option<SavedVariable> {
    a.get(i)
        .and_then(IValue::as_tensor)
        .map(SavedVariable::input)
}

/// The autograd entry of `op` if it is a normalisation operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.native_layer_norm.default" => D(derivative!(
            "NativeLayerNormBackward0",
            &[0, 2, 3],
            |a, _| {
                Ok(Box::new(NativeLayerNormBackward0 {
                    input: SavedVariable::input(tensor(a, 0)?),
                    normalized_shape: arg(a, 1),
                    weight: opt_saved(a, 2),
                    bias: opt_saved(a, 3),
                    stats: [None, None],
                }))
            },
            outputs = &[true, false, false]
        )),
        "aten.native_batch_norm.default" => D(derivative!(
            "NativeBatchNormBackward0",
            &[0, 1, 2],
            |a, _| {
                Ok(Box::new(NativeBatchNormBackward0 {
                    input: SavedVariable::input(tensor(a, 0)?),
                    weight: opt_saved(a, 1),
                    running_mean: opt_saved(a, 3),
                    running_var: opt_saved(a, 4),
                    training: arg(a, 5),
                    eps: arg(a, 7),
                    stats: [None, None],
                }))
            },
            outputs = &[true, false, false]
        )),
        _ => return None,
    })
}
