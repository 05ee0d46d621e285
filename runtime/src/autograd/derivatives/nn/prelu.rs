//! Derivative row of parametric ReLU (derivatives.yaml: `self, weight:
//! _prelu_kernel_backward(grad, self, weight)`, one call for both).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `_prelu_kernel` | PreluKernelBackward0 | self, weight | self, weight |

use super::super::{Derivative, Differentiability, derivative, tensor};
use crate::autograd::functions::nn::prelu::PreluKernelBackward0;
use crate::autograd::saved::SavedVariable;

/// The autograd entry of `op` if it is parametric ReLU.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten._prelu_kernel.default" => D(derivative!("PreluKernelBackward0", &[0, 1], |a, _| {
            Ok(Box::new(PreluKernelBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                weight: SavedVariable::input(tensor(a, 1)?),
            }))
        })),
        _ => return None,
    })
}
