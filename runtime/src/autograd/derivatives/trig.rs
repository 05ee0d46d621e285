//! Derivative rows of `sinh`, `cosh`, `tan`, `atan`, `asin`, `acos`.
//!
//! | operator | node | saves |
//! |---|---|---|
//! | `sinh` / `cosh` / `atan` / `asin` / `acos` | SinhBackward0 / CoshBackward0 / AtanBackward0 / AsinBackward0 / AcosBackward0 | self |
//! | `tan` | TanBackward0 | result |
//! | `atan2` | Atan2Backward0 (self, other) | self, other |
//! | `asinh` / `acosh` / `atanh` | AsinhBackward0 / AcoshBackward0 / AtanhBackward0 | self |
//! | `sin_` / `cos_` / `sinh_` / `cosh_` / `asin_` / `acos_` / `atan_` | the functional form's node | a clone of the original self |
//! | `tan_` | TanBackward0 | result |
//! | `asinh_` / `acosh_` / `atanh_` | AsinhBackward1 / AcoshBackward1 / AtanhBackward1 (not implemented in PyTorch: fails when run with a gradient) | — |
//! | `erfc` | ErfcBackward0 | self |
//! | `copysign.Tensor` / `copysign.Scalar` | CopysignBackward0 (self, other) / CopysignBackward1 | self, result (other's sizes) |
//! | `fmax` / `fmin` | FmaxBackward0 / FminBackward0 (self, other) | self, other |
//! | `heaviside` | NotImplemented (PyTorch's autograd fallback: fails when run) | — |
//! | `signbit`, `isposinf`, `isneginf` | not differentiable | — |

use super::{Derivative, Differentiability, always, derivative, tensor};
use crate::autograd::BackwardFn;
use crate::autograd::functions::double_backward::not_implemented::NotImplemented;
use crate::autograd::functions::elementwise::{self as e, Unary};
use crate::autograd::functions::trig::{
    self as f, Atan2Backward0, CopysignBackward, FmaxFminBackward, InplaceNotImplemented,
};
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

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
        // In-place binary forms: the functional node on a clone of the
        // original `self` (observed in torch 2.15: `clone` first).
        "aten.atan2_.default" => D(derivative!(
            "Atan2Backward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(Atan2Backward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    other: SavedVariable::input(tensor(a, 1)?),
                }))
            },
            original_self = always
        )),
        "aten.copysign_.Tensor" => D(derivative!(
            "CopysignBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(CopysignBackward {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    result: None,
                    other_sizes: Some(tensor(a, 1)?.shape().to_vec()),
                }))
            },
            original_self = always
        )),
        "aten.copysign_.Scalar" => D(derivative!(
            "CopysignBackward1",
            &[0],
            |a, _| {
                Ok(Box::new(CopysignBackward {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    result: None,
                    other_sizes: None,
                }))
            },
            original_self = always
        )),
        "aten.atan2.default" => D(derivative!("Atan2Backward0", &[0, 1], |a, _| {
            Ok(Box::new(Atan2Backward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                other: SavedVariable::input(tensor(a, 1)?),
            }))
        })),
        "aten.asinh.default" => D(derivative!("AsinhBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::asinh)
        ))),
        "aten.acosh.default" => D(derivative!("AcoshBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::acosh)
        ))),
        "aten.atanh.default" => D(derivative!("AtanhBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::atanh)
        ))),
        _ => return in_place(op).or_else(|| ieee(op)),
    })
}

/// `erfc` and the IEEE sign and extremum helpers.
fn ieee(op: &str) -> Option<Differentiability> {
    use Differentiability::{Derivative as D, NotDifferentiable};
    Some(match op {
        "aten.erfc.default" => D(derivative!("ErfcBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::erfc)
        ))),
        "aten.copysign.Tensor" => D(derivative!("CopysignBackward0", &[0, 1], |a, _| {
            let other = tensor(a, 1)?;
            Ok(Box::new(CopysignBackward {
                self_: SavedVariable::input(tensor(a, 0)?),
                result: None,
                other_sizes: Some(other.shape().to_vec()),
            }))
        })),
        "aten.copysign.Scalar" => D(derivative!("CopysignBackward1", &[0], |a, _| {
            Ok(Box::new(CopysignBackward {
                self_: SavedVariable::input(tensor(a, 0)?),
                result: None,
                other_sizes: None,
            }))
        })),
        "aten.fmax.default" | "aten.fmin.default" => {
            let name = if op == "aten.fmax.default" {
                derivative!("FmaxBackward0", &[0, 1], |a, _| fmax_fmin(a, true))
            } else {
                derivative!("FminBackward0", &[0, 1], |a, _| fmax_fmin(a, false))
            };
            D(name)
        }
        "aten.heaviside.default" => D(derivative!(
            "NotImplemented",
            &[0, 1],
            |_, _| Ok(Box::new(NotImplemented {
                op: "aten::heaviside"
            })),
            fallback
        )),
        "aten.signbit.default" | "aten.isposinf.default" | "aten.isneginf.default" => {
            NotDifferentiable
        }
        _ => return None,
    })
}

fn fmax_fmin(a: &[IValue], is_max: bool) -> Result<Box<dyn BackwardFn>> {
    Ok(Box::new(FmaxFminBackward {
        self_: SavedVariable::input(tensor(a, 0)?),
        other: SavedVariable::input(tensor(a, 1)?),
        is_max,
    }))
}

fn not_implemented(function: &'static str) -> Result<Box<dyn BackwardFn>> {
    Ok(Box::new(InplaceNotImplemented { function }))
}

/// The in-place forms: the functional form's node on a clone of the
/// original `self` (observed in torch 2.15: `x.sin_()` dispatches
/// `clone(x)` before `sin_`, its node SinBackward0), TanBackward0 on the
/// result, and the not-implemented nodes of the inverse hyperbolics.
fn in_place(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.sin_.default" => D(derivative!(
            "SinBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], e::sin)),
            original_self = always
        )),
        "aten.cos_.default" => D(derivative!(
            "CosBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], e::cos)),
            original_self = always
        )),
        "aten.tan_.default" => D(derivative!("TanBackward0", &[0], |_, _| unary(
            Unary::result(vec![], f::tan)
        ))),
        "aten.sinh_.default" => D(derivative!(
            "SinhBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::sinh)),
            original_self = always
        )),
        "aten.cosh_.default" => D(derivative!(
            "CoshBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::cosh)),
            original_self = always
        )),
        "aten.asin_.default" => D(derivative!(
            "AsinBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::asin)),
            original_self = always
        )),
        "aten.acos_.default" => D(derivative!(
            "AcosBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::acos)),
            original_self = always
        )),
        "aten.atan_.default" => D(derivative!(
            "AtanBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::atan)),
            original_self = always
        )),
        "aten.asinh_.default" => D(derivative!("AsinhBackward1", &[0], |_, _| {
            not_implemented("asinh")
        })),
        "aten.acosh_.default" => D(derivative!("AcoshBackward1", &[0], |_, _| {
            not_implemented("acosh")
        })),
        "aten.atanh_.default" => D(derivative!("AtanhBackward1", &[0], |_, _| {
            not_implemented("atanh")
        })),
        _ => return None,
    })
}
