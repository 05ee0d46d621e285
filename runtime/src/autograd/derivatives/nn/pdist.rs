//! Derivative row of `_pdist_forward` (derivatives.yaml: `self:
//! _pdist_backward(grad, self, p, result)`).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `_pdist_forward` | PdistBackward0 | self | self, p, result |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::pdist::PdistBackward0;
use crate::autograd::saved::SavedVariable;

/// The autograd entry of `op` if it is `_pdist_forward`.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten._pdist_forward.default" => D(derivative!("PdistBackward0", &[0], |a, _| {
            Ok(Box::new(PdistBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                p: arg(a, 1),
                result: None,
            }))
        })),
        _ => return None,
    })
}
