//! Derivative rows of `sinh`, `cosh`, `tan`, `atan`, `asin`, `acos`.
//!
//! | operator | node | saves |
//! |---|---|---|
//! | `sinh` / `cosh` / `atan` / `asin` / `acos` | SinhBackward0 / CoshBackward0 / AtanBackward0 / AsinBackward0 / AcosBackward0 | self |
//! | `tan` | TanBackward0 | result |
//! | `atan2` | Atan2Backward0 (self, other) | self, other |

use super::{Derivative, Differentiability, derivative, tensor};
use crate::autograd::BackwardFn;
use crate::autograd::functions::elementwise::Unary;
use crate::autograd::functions::trig::{self as f, Atan2Backward0};
use crate::autograd::saved::SavedVariable;
use crate::error::Result;

fn unary(u: Unary) -> Result<Box<dyn BackwardFn>> {
    Ok(Box::new(u))
}

/// The autograd entry of `op` if it is one of these functions.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.sinh.default" => D(derivative!("SinhBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::sinh)
        ))),
        "aten.cosh.default" => D(derivative!("CoshBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::cosh)
        ))),
        "aten.tan.default" => D(derivative!("TanBackward0", &[0], |_, _| unary(
            Unary::result(vec![], f::tan)
        ))),
        "aten.atan.default" => D(derivative!("AtanBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::atan)
        ))),
        "aten.asin.default" => D(derivative!("AsinBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::asin)
        ))),
        "aten.acos.default" => D(derivative!("AcosBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::acos)
        ))),
        "aten.atan2.default" => D(derivative!("Atan2Backward0", &[0, 1], |a, _| {
            Ok(Box::new(Atan2Backward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                other: SavedVariable::input(tensor(a, 1)?),
            }))
        })),
        _ => return None,
    })
}
