//! Derivative row of `_trilinear` (derivatives.yaml: `i1, i2, i3:
//! _trilinear_backward(grad, i1, i2, i3, expand1, expand2, expand3, sumdim,
//! grad_input_mask)`).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `_trilinear` | TrilinearBackward0 | i1, i2, i3 | i1, i2, i3, expand1..3, sumdim |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::trilinear::TrilinearBackward0;
use crate::autograd::saved::SavedVariable;

/// The autograd entry of `op` if it is `_trilinear`.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten._trilinear.default" => D(derivative!("TrilinearBackward0", &[0, 1, 2], |a, _| {
            Ok(Box::new(TrilinearBackward0 {
                inputs: [
                    SavedVariable::input(tensor(a, 0)?),
                    SavedVariable::input(tensor(a, 1)?),
                    SavedVariable::input(tensor(a, 2)?),
                ],
                expands: [arg(a, 3), arg(a, 4), arg(a, 5)],
                sumdim: arg(a, 6),
            }))
        })),
        _ => return None,
    })
}
