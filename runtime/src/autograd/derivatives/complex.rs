//! Derivatives of the complex views.
//!
//! | op | node | saves |
//! |---|---|---|
//! | `view_as_real` | ViewAsRealBackward0 | nothing |
//! | `view_as_complex` | ViewAsComplexBackward0 | nothing |
//! | `_conj` | ConjBackward0 | nothing |
//! | `complex` | ComplexBackward0 | nothing |
//! | `polar` | PolarBackward0 | result |
//! | `angle` | AngleBackward0 | self |
//! | `sgn` (complex `self`) | SgnBackward0 | self, result |
//!
//! PolarBackward0 and the complex AngleBackward0 multiply by the Python
//! complex `1j` (`mul.Scalar`, format 2.2 value tag 11). A real `sgn`'s
//! SgnBackward0 returns PyTorch's efficient zero tensor
//! (`functions::zero_tensor`).

use super::{Derivative, Differentiability, derivative, tensor};
use crate::autograd::functions::complex::{
    AngleBackward0, ComplexBackward0, ComplexSgnBackward0, ConjBackward0, PolarBackward0,
    ViewAsComplexBackward0, ViewAsRealBackward0,
};
use crate::autograd::functions::zero_tensor::SgnBackward0;
use crate::autograd::saved::SavedVariable;

pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.view_as_real.default" => D(derivative!("ViewAsRealBackward0", &[0], |_, _| {
            Ok(Box::new(ViewAsRealBackward0))
        })),
        "aten.view_as_complex.default" => D(derivative!("ViewAsComplexBackward0", &[0], |_, _| {
            Ok(Box::new(ViewAsComplexBackward0))
        })),
        "aten._conj.default" => D(derivative!("ConjBackward0", &[0], |_, _| {
            Ok(Box::new(ConjBackward0))
        })),
        // `grad.neg()`: NegBackward0's call under NegViewBackward0's name.
        "aten._neg_view.default" => D(derivative!("NegViewBackward0", &[0], |_, _| {
            Ok(Box::new(
                crate::autograd::functions::pointwise::NegBackward0,
            ))
        })),
        "aten.complex.default" => D(derivative!("ComplexBackward0", &[0, 1], |_, _| {
            Ok(Box::new(ComplexBackward0))
        })),
        "aten.polar.default" => D(derivative!("PolarBackward0", &[0, 1], |_, _| {
            Ok(Box::new(PolarBackward0 { result: None }))
        })),
        "aten.angle.default" => D(derivative!("AngleBackward0", &[0], |a, _| {
            Ok(Box::new(AngleBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
            }))
        })),
        "aten.sgn.default" => D(derivative!("SgnBackward0", &[0], |a, _| {
            let x = tensor(a, 0)?;
            if x.dtype().is_complex() {
                Ok(Box::new(ComplexSgnBackward0 {
                    self_: SavedVariable::input(x),
                    result: None,
                }))
            } else {
                Ok(Box::new(SgnBackward0::of(x)))
            }
        })),
        _ => return None,
    })
}
