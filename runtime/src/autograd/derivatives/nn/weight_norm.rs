//! Derivative row of weight normalisation (derivatives.yaml:
//! `v, g: _weight_norm_interface_backward(grad.contiguous(), v, g, result1,
//! dim)`, `result1` not differentiable).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `_weight_norm_interface` | WeightNormInterfaceBackward0 (on `w` only) | v, g | v, g, dim, norms |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::weight_norm::WeightNormInterfaceBackward0;
use crate::autograd::saved::SavedVariable;

/// The autograd entry of `op` if it is weight normalisation.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten._weight_norm_interface.default" => D(derivative!(
            "WeightNormInterfaceBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(WeightNormInterfaceBackward0 {
                    v: SavedVariable::input(tensor(a, 0)?),
                    g: SavedVariable::input(tensor(a, 1)?),
                    dim: arg(a, 2),
                    norms: None,
                }))
            },
            outputs = &[true, false]
        )),
        _ => return None,
    })
}
