//! Derivative rows of the floating-point representation operators
//! (`kernels::float_bits`).
//!
//! | operator | node | saves |
//! |---|---|---|
//! | `deg2rad` | Deg2RadBackward0: `mul.Scalar(grad, M_PI_180)` | — |
//! | `rad2deg` | Rad2DegBackward0: `mul.Scalar(grad, M_180_PI)` | — |
//! | `ldexp.Tensor`, `ldexp_` | LdexpBackward0 (self, other): `grad * pow(2, other)`, `grad * result * M_LN2` | other, result (for `ldexp_`, `self` as written) |
//! | `nextafter`, `nextafter_` | NextafterBackward0 (self, other): `where(self != other, grad, 0)`, zeros | self (for `nextafter_`, a clone of the original self), other |
//! | `frexp.Tensor` | FrexpBackward0 (mantissa only): `grad / exponent.exp2()` | exponent (output 1) |
//! | `view.dtype`, `nonzero_static` | not differentiable | — |

use super::{Derivative, Differentiability, always, derivative, tensor};
use crate::autograd::functions::elementwise::ZerosLike;
use crate::autograd::functions::float_bits::{FrexpBackward0, LdexpBackward0, NextafterBackward0};
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
        "aten.nextafter.default" => D(derivative!("NextafterBackward0", &[0, 1], nextafter)),
        "aten.nextafter_.default" => D(derivative!(
            "NextafterBackward0",
            &[0, 1],
            nextafter,
            original_self = always
        )),
        "aten.ldexp.Tensor" | "aten.ldexp_.default" => {
            D(derivative!("LdexpBackward0", &[0, 1], |a, _| {
                Ok(Box::new(LdexpBackward0 {
                    other: SavedVariable::input(tensor(a, 1)?),
                    result: None,
                }))
            }))
        }
        "aten.frexp.Tensor" => D(derivative!(
            "FrexpBackward0",
            &[0],
            |_, _| Ok(Box::new(FrexpBackward0 { exponent: None })),
            outputs = &[true, false]
        )),
        "aten.view.dtype" | "aten.nonzero_static.default" => NotDifferentiable,
        _ => return None,
    })
}

/// NextafterBackward0 over `self` (argument 0, the original's clone for
/// `nextafter_`) and `other`.
fn nextafter(
    a: &[IValue],
    _: &[bool],
) -> crate::error::Result<Box<dyn crate::autograd::BackwardFn>> {
    let other = tensor(a, 1)?;
    Ok(Box::new(NextafterBackward0 {
        self_: SavedVariable::input(tensor(a, 0)?),
        other: SavedVariable::input(other),
        other_like: ZerosLike::of(other),
    }))
}
