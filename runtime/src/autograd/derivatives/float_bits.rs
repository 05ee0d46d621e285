//! Derivative rows of the floating-point representation operators
//! (`kernels::float_bits`).
//!
//! | operator | node | saves |
//! |---|---|---|
//! | `deg2rad` | Deg2RadBackward0: `mul.Scalar(grad, M_PI_180)` | — |
//! | `rad2deg` | Rad2DegBackward0: `mul.Scalar(grad, M_180_PI)` | — |
//! | `ldexp.Tensor` | LdexpBackward0 (self, other): `grad * pow(2, other)`, `grad * result * M_LN2` | other; result when `other` needs a gradient |
//! | `view.dtype`, `nonzero_static` | not differentiable | — |

use super::{Derivative, Differentiability, derivative, needs, tensor};
use crate::autograd::functions::float_bits::LdexpBackward0;
use crate::autograd::functions::pointwise::MulBackward1;
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;
use crate::kernels::float_bits::{D180_PI, PI_180};

/// The autograd entry of `op` if it is one of these operators.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::{Derivative as D, NotDifferentiable};
    Some(match op {
        "aten.deg2rad.default" | "aten.deg2rad_.default" => {
            D(derivative!("Deg2RadBackward0", &[0], |_, _| {
                Ok(Box::new(MulBackward1 {
                    other: IValue::Float(PI_180),
                    real: true,
                }))
            }))
        }
        "aten.rad2deg.default" | "aten.rad2deg_.default" => {
            D(derivative!("Rad2DegBackward0", &[0], |_, _| {
                Ok(Box::new(MulBackward1 {
                    other: IValue::Float(D180_PI),
                    real: true,
                }))
            }))
        }
        "aten.ldexp.Tensor" => D(derivative!("LdexpBackward0", &[0, 1], |a, n| {
            Ok(Box::new(LdexpBackward0 {
                other: SavedVariable::input(tensor(a, 1)?),
                wants_result: needs(n, 1),
                result: None,
            }))
        })),
        "aten.view.dtype" | "aten.nonzero_static.default" => NotDifferentiable,
        _ => return None,
    })
}
