//! Derivative row of `multi_margin_loss` (derivatives.yaml: `self:
//! multi_margin_loss_backward(grad, self, target, p, margin, weight,
//! reduction)`, `target` not differentiable).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `multi_margin_loss` | MultiMarginLossBackward0 | self | self, target, p, margin, weight, reduction |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::multi_margin::MultiMarginLossBackward0;
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;

/// The autograd entry of `op` if it is `multi_margin_loss`.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.multi_margin_loss.default" => {
            D(derivative!("MultiMarginLossBackward0", &[0], |a, _| {
                let weight = match a.get(4) {
                    Some(IValue::Tensor(w)) => Some(SavedVariable::input(w)),
                    _ => None,
                };
                Ok(Box::new(MultiMarginLossBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    target: SavedVariable::input(tensor(a, 1)?),
                    weight,
                    p: arg(a, 2),
                    margin: arg(a, 3),
                    reduction: arg(a, 5),
                }))
            }))
        }
        _ => return None,
    })
}
