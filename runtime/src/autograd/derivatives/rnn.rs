//! Derivative row of the LSTM layer.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `mkldnn_rnn_layer` | MkldnnRnnLayerBackward0 (outputs 0-2; the workspace is not differentiable) | input, weight0-3, hx_, cx_ | every tensor argument, the scalars, all four results |

use super::{Derivative, Differentiability, derivative, tensor};
use crate::autograd::functions::rnn::MkldnnRnnLayerBackward0;
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

/// The autograd entry of `op` if it is an RNN layer operator.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.mkldnn_rnn_layer.default" => D(derivative!(
            "MkldnnRnnLayerBackward0",
            &[0, 1, 2, 3, 4, 5, 6],
            |a, _| {
                let saved =
                    |i| -> Result<SavedVariable> { Ok(SavedVariable::input(tensor(a, i)?)) };
                Ok(Box::new(MkldnnRnnLayerBackward0 {
                    inputs: [
                        saved(0)?,
                        saved(1)?,
                        saved(2)?,
                        saved(3)?,
                        saved(4)?,
                        saved(5)?,
                        saved(6)?,
                    ],
                    params: (7..16)
                        .map(|i| a.get(i).cloned().unwrap_or(IValue::None))
                        .collect(),
                    results: [None, None, None, None],
                }))
            },
            outputs = &[true, true, true, false]
        )),
        _ => return None,
    })
}
