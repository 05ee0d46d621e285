//! Derivative row of group normalisation.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `native_group_norm` | NativeGroupNormBackward0 (all three outputs require grad) | input, weight, bias | input, weight, N, C, HxW, group, mean, rstd |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::group_norm::NativeGroupNormBackward0;
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;

/// The autograd entry of `op` if it is group normalisation.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.native_group_norm.default" => D(derivative!(
            "NativeGroupNormBackward0",
            &[0, 1, 2],
            |a, _| {
                Ok(Box::new(NativeGroupNormBackward0 {
                    input: SavedVariable::input(tensor(a, 0)?),
                    weight: a
                        .get(1)
                        .and_then(IValue::as_tensor)
                        .map(SavedVariable::input),
                    sizes: [arg(a, 3), arg(a, 4), arg(a, 5), arg(a, 6)],
                    stats: [None, None],
                }))
            }
        )),
        _ => return None,
    })
}
