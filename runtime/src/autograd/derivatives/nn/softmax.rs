//! Derivative rows of the softmax operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `_softmax` | SoftmaxBackward0 | self | result, dim, self dtype |
//! | `_log_softmax` | LogSoftmaxBackward0 | self | result, dim, self dtype |
//! | `_safe_softmax` | SafeSoftmaxBackward0 | self | result, dim, self dtype |

use super::super::{Derivative, Differentiability, derivative, int, tensor};
use crate::autograd::functions::nn::softmax::SoftmaxBackward;
use crate::error::Result;
use crate::ivalue::IValue;

fn build(a: &[IValue], log: bool) -> Result<Box<dyn crate::autograd::BackwardFn>> {
    Ok(Box::new(SoftmaxBackward {
        log,
        dim: int(a, 1),
        self_dtype: tensor(a, 0)?.dtype(),
        result: None,
    }))
}

/// The autograd entry of `op` if it is a softmax operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten._softmax.default" => D(derivative!("SoftmaxBackward0", &[0], |a, _| build(
            a, false
        ))),
        "aten._log_softmax.default" => D(derivative!("LogSoftmaxBackward0", &[0], |a, _| {
            build(a, true)
        })),
        "aten._safe_softmax.default" => D(derivative!("SafeSoftmaxBackward0", &[0], |a, _| {
            build(a, false)
        })),
        _ => return None,
    })
}
