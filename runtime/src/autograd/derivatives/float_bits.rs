//! Derivative rows of the floating-point representation operators
//! (`kernels::float_bits`).
//!
//! | operator | node | saves |
//! |---|---|---|
//! | `deg2rad` | Deg2RadBackward0: `mul.Scalar(grad, M_PI_180)` | — |
//! | `rad2deg` | Rad2DegBackward0: `mul.Scalar(grad, M_180_PI)` | — |
//! | `view.dtype`, `nonzero_static` | not differentiable | — |

use super::{Derivative, Differentiability, derivative};
use crate::autograd::functions::pointwise::MulBackward1;
use crate::ivalue::IValue;
use crate::kernels::float_bits::{D180_PI, PI_180};

/// The autograd entry of `op` if it is one of these operators.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::{Derivative as D, NotDifferentiable};
    Some(match op {
        "aten.deg2rad.default" => D(derivative!("Deg2RadBackward0", &[0], |_, _| {
            Ok(Box::new(MulBackward1 {
                other: IValue::Float(PI_180),
            }))
        })),
        "aten.rad2deg.default" => D(derivative!("Rad2DegBackward0", &[0], |_, _| {
            Ok(Box::new(MulBackward1 {
                other: IValue::Float(D180_PI),
            }))
        })),
        "aten.view.dtype" | "aten.nonzero_static.default" => NotDifferentiable,
        _ => return None,
    })
}
