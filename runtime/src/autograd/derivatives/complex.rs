//! Derivatives of the complex views.
//!
//! | op | node | saves |
//! |---|---|---|
//! | `view_as_real` | ViewAsRealBackward0 | nothing |
//! | `view_as_complex` | ViewAsComplexBackward0 | nothing |
//! | `_conj` | ConjBackward0 | nothing |
//! | `complex` | ComplexBackward0 | nothing |
//!
//! `polar` and `angle` have no formula here: PolarBackward0 and the complex
//! AngleBackward0 multiply by the complex scalar `i`, which a trace cannot
//! hold (CAPTURE.md), so their backward cannot be captured.

use super::{Derivative, Differentiability, derivative};
use crate::autograd::functions::complex::{
    ComplexBackward0, ConjBackward0, ViewAsComplexBackward0, ViewAsRealBackward0,
};

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
        "aten.complex.default" => D(derivative!("ComplexBackward0", &[0, 1], |_, _| {
            Ok(Box::new(ComplexBackward0))
        })),
        _ => return None,
    })
}
