//! Derivative table rows of the operators that address elements by their
//! position in the tensor's logical order.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `take` | TakeBackward0 | self | self, index |
//! | `put`, `put_` | PutBackward0 | self, source | index, accumulate, source sizes and options |

use super::{Derivative, Differentiability, derivative, tensor};
use crate::autograd::functions::take_put::{PutBackward0, TakeBackward0};
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;

pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.take.default" => D(derivative!("TakeBackward0", &[0], |a, _| {
            Ok(Box::new(TakeBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                index: SavedVariable::input(tensor(a, 1)?),
            }))
        })),
        "aten.put.default" | "aten.put_.default" => {
            D(derivative!("PutBackward0", &[0, 2], |a, _| {
                let source = tensor(a, 2)?;
                Ok(Box::new(PutBackward0 {
                    index: SavedVariable::input(tensor(a, 1)?),
                    accumulate: matches!(a.get(3), Some(IValue::Bool(true))),
                    source_sizes: source.shape().to_vec(),
                    source_dtype: source.dtype(),
                    source_device: source.device(),
                }))
            }))
        }
        _ => return None,
    })
}
