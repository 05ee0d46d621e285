//! Derivative rows of the classification losses.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `nll_loss_forward` | NllLossBackward0 (output 0 only) | self | self, target, weight, reduction, ignore_index, total_weight |
//! | `nll_loss2d_forward` | NllLoss2DBackward0 (output 0 only) | self | as above |
//! | `binary_cross_entropy` | BinaryCrossEntropyBackward0 | self, target | self, target, weight, reduction |
//! | `binary_cross_entropy_with_logits` | BinaryCrossEntropyWithLogitsBackward0 | self, target | self, target, weight, pos_weight, reduction |

use super::super::{Derivative, Differentiability, arg, derivative, int, tensor};
use crate::autograd::functions::nn::loss::{
    BinaryCrossEntropyBackward0, BinaryCrossEntropyWithLogitsBackward0, NllLossBackward,
};
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

fn nll(a: &[IValue], spatial: bool) -> Result<Box<dyn crate::autograd::BackwardFn>> {
    Ok(Box::new(NllLossBackward {
        spatial,
        self_: SavedVariable::input(tensor(a, 0)?),
        target: SavedVariable::input(tensor(a, 1)?),
        weight: arg(a, 2),
        reduction: arg(a, 3),
        ignore_index: arg(a, 4),
        total_weight: None,
    }))
}

fn opt_saved(a: &[IValue], i: usize) -> Option<SavedVariable> {
    a.get(i)
        .and_then(IValue::as_tensor)
        .map(SavedVariable::input)
}

/// The autograd entry of `op` if it is a classification loss.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.nll_loss_forward.default" => D(derivative!(
            "NllLossBackward0",
            &[0],
            |a, _| nll(a, false),
            outputs = &[true, false]
        )),
        "aten.nll_loss2d_forward.default" => D(derivative!(
            "NllLoss2DBackward0",
            &[0],
            |a, _| nll(a, true),
            outputs = &[true, false]
        )),
        "aten.binary_cross_entropy.default" => D(derivative!(
            "BinaryCrossEntropyBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(BinaryCrossEntropyBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    target: SavedVariable::input(tensor(a, 1)?),
                    weight: opt_saved(a, 2),
                    reduction: int(a, 3),
                }))
            }
        )),
        "aten.binary_cross_entropy_with_logits.default" => D(derivative!(
            "BinaryCrossEntropyWithLogitsBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(BinaryCrossEntropyWithLogitsBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    target: SavedVariable::input(tensor(a, 1)?),
                    weight: opt_saved(a, 2),
                    pos_weight: opt_saved(a, 3),
                    reduction: int(a, 4),
                }))
            }
        )),
        _ => return None,
    })
}
