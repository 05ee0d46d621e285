//! Derivative row of `smooth_l1_loss`: SmoothL1LossBackward0 over self and
//! target, saving both, the reduction and beta; `huber_loss`:
//! HuberLossBackward0, the same with delta.

use super::super::{Derivative, Differentiability, derivative, int, tensor};
use crate::autograd::functions::nn::smooth_l1::SmoothL1LossBackward0;
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;

/// The float at `i` (1.0, both losses' default, when absent).
fn scalar(a: &[IValue], i: usize) -> f64 {
    match a.get(i) {
        Some(IValue::Float(b)) => *b,
        Some(IValue::Int(b)) => *b as f64,
        _ => 1.0,
    }
}

/// The autograd entry of `op` if it is `smooth_l1_loss` or `huber_loss`.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.smooth_l1_loss.default" => {
            D(derivative!("SmoothL1LossBackward0", &[0, 1], |a, _| {
                Ok(Box::new(SmoothL1LossBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    target: SavedVariable::input(tensor(a, 1)?),
                    reduction: int(a, 2),
                    beta: scalar(a, 3),
                    backward_op: "aten.smooth_l1_loss_backward.default",
                }))
            }))
        }
        "aten.huber_loss.default" => D(derivative!("HuberLossBackward0", &[0, 1], |a, _| {
            Ok(Box::new(SmoothL1LossBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                target: SavedVariable::input(tensor(a, 1)?),
                reduction: int(a, 2),
                beta: scalar(a, 3),
                backward_op: "aten.huber_loss_backward.default",
            }))
        })),
        _ => return None,
    })
}
