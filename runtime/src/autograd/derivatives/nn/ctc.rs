//! Derivative rows of `_ctc_loss` (derivatives.yaml: `log_probs:
//! _ctc_loss_backward(grad, log_probs, targets, input_lengths,
//! target_lengths, result0, result1, blank, zero_infinity)`; only output 0,
//! the loss, is differentiable).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `_ctc_loss` (`int[]` lengths) | CtcLossBackward0 | log_probs | log_probs, targets, the length lists, blank, zero_infinity, result0, result1 |
//! | `_ctc_loss.Tensor` | CtcLossBackward1 | log_probs | as above, the lengths as tensors |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::ctc::CtcLossBackward;
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

/// A length argument: an `int[]` kept as is, a tensor saved.
fn saved_lengths(a: &[IValue], i: usize) -> (IValue, Option<SavedVariable>) {
    match a.get(i) {
        Some(IValue::Tensor(t)) => (IValue::None, Some(SavedVariable::input(t))),
        _ => (arg(a, i), None),
    }
}

fn build(a: &[IValue], backward_op: &'static str) -> Result<Box<dyn crate::autograd::BackwardFn>> {
    let (input_lengths, input_lengths_tensor) = saved_lengths(a, 2);
    let (target_lengths, target_lengths_tensor) = saved_lengths(a, 3);
    Ok(Box::new(CtcLossBackward {
        backward_op,
        log_probs: SavedVariable::input(tensor(a, 0)?),
        targets: SavedVariable::input(tensor(a, 1)?),
        input_lengths,
        target_lengths,
        input_lengths_tensor,
        target_lengths_tensor,
        blank: arg(a, 4),
        zero_infinity: arg(a, 5),
        result0: None,
        result1: None,
    }))
}

/// The autograd entry of `op` if it is `_ctc_loss`.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten._ctc_loss.default" => D(derivative!(
            "CtcLossBackward0",
            &[0],
            |a, _| build(a, "aten._ctc_loss_backward.default"),
            outputs = &[true, false]
        )),
        "aten._ctc_loss.Tensor" => D(derivative!(
            "CtcLossBackward1",
            &[0],
            |a, _| build(a, "aten._ctc_loss_backward.Tensor"),
            outputs = &[true, false]
        )),
        _ => return None,
    })
}
