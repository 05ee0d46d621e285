//! Derivative rows of `soft_margin_loss` and `multilabel_margin_loss_forward`
//! (derivatives.yaml: `self: soft_margin_loss_backward(grad, self, target,
//! reduction)`; `self: multilabel_margin_loss_backward(grad, self, target,
//! reduction, is_target)`, output 1 not differentiable; `target` never).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `soft_margin_loss` | SoftMarginLossBackward0 | self | self, target, reduction |
//! | `multilabel_margin_loss_forward` | MultilabelMarginLossBackward0 (output 0 only) | self | self, target, reduction, is_target |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::margin_losses::{
    MultilabelMarginLossBackward0, SoftMarginLossBackward0,
};
use crate::autograd::saved::SavedVariable;

/// The autograd entry of `op` if it is one of these losses.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.soft_margin_loss.default" => {
            D(derivative!("SoftMarginLossBackward0", &[0], |a, _| {
                Ok(Box::new(SoftMarginLossBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    target: SavedVariable::input(tensor(a, 1)?),
                    reduction: arg(a, 2),
                }))
            }))
        }
        "aten.multilabel_margin_loss_forward.default" => D(derivative!(
            "MultilabelMarginLossBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(MultilabelMarginLossBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    target: SavedVariable::input(tensor(a, 1)?),
                    reduction: arg(a, 2),
                    is_target: None,
                }))
            },
            outputs = &[true, false]
        )),
        _ => return None,
    })
}
