//! Derivative rows of the special functions.
//!
//! | operator | node | saves |
//! |---|---|---|
//! | `lgamma` / `digamma` / `erfinv` / `i0` / `sinc` / `special_entr` | LgammaBackward0 / DigammaBackward0 / ErfinvBackward0 / I0Backward0 / SincBackward0 / SpecialEntrBackward0 | self |
//! | `digamma_` | DigammaBackward0 | a clone of the original self |
//! | `polygamma` | PolygammaBackward0 (edge: self) | n, self |
//! | `polygamma_` (self, n) | PolygammaBackward1 | n, a clone of the original self |
//! | `mvlgamma` | MvlgammaBackward0 | self, p |
//! | `logit` | LogitBackward0 | self, eps |
//! | `special_i0e` / `special_i1` / `special_i1e` | SpecialI0EBackward0 / SpecialI1Backward0 / SpecialI1EBackward0 | self, result |
//! | `special_ndtri` | SpecialNdtriBackward0 | result |
//! | `special_erfcx` / `special_log_ndtr` | SpecialErfcxBackward0 / SpecialLogNdtrBackward0 | self, result |
//! | `_standard_gamma` | StandardGammaBackward0 | self, result |
//! | `poisson` | PoissonBackward0 | — (the gradient's geometry is self's) |
//! | `renorm` | RenormBackward0 | self, p, dim, maxnorm |
//! | `hypot` | HypotBackward0 (self, other) | self, other, result |
//! | `logaddexp` / `logaddexp2` / `special_xlog1py` | LogaddexpBackward0 / Logaddexp2Backward0 / SpecialXlog1PyBackward0 | self, other |
//! | `igamma` / `igammac` | IgammaBackward0 / IgammacBackward0 (self, other; self's gradient not implemented) | self, other |
//! | `special_xlog1py.other_scalar` / `.self_scalar` | SpecialXlog1PyBackward2 (edge: self) / SpecialXlog1PyBackward1 (edge: other) | self, other / other, self |
//! | `special_bessel_j0` / `_y0` / `special_modified_bessel_i0` / `_k0` | SpecialBesselJ0Backward0 / SpecialBesselY0Backward0 / SpecialModifiedBesselI0Backward0 / SpecialModifiedBesselK0Backward0 | self |
//! | `special_bessel_j1` / `_y1` / `special_modified_bessel_i1` / `_k1` | SpecialBesselJ1Backward0 / SpecialBesselY1Backward0 / SpecialModifiedBesselI1Backward0 / SpecialModifiedBesselK1Backward0 | self, result |
//! | `special_zeta` | SpecialZetaBackward0 (self, other; self's gradient not implemented) | self, other |
//! | `special_zeta.self_scalar` / `.other_scalar` | SpecialZetaBackward1 (edge: other) / SpecialZetaBackward2 (edge: self, not implemented) | other, self / — |
//!
//! No row (PyTorch records its `NotImplemented` node, or nothing without
//! grad): `binomial`, `_sample_dirichlet` (the Dirichlet's gradient is
//! the Python `_Dirichlet` function's), `_standard_gamma_grad`,
//! `_dirichlet_grad`; recording a graph through them is an
//! unsupported-operation error.

use super::{Derivative, Differentiability, always, arg, derivative, int, tensor};
use crate::autograd::BackwardFn;
use crate::autograd::functions::special::{
    self as f, BinaryBackward, BinaryKind, SpecialBackward, SpecialFormula, bessel,
};
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

type Built = Result<Box<dyn BackwardFn>>;

/// A node saving `self` (argument `at`) only.
fn on_self(a: &[IValue], at: usize, params: Vec<IValue>, formula: SpecialFormula) -> Built {
    Ok(Box::new(SpecialBackward::new(
        Some(tensor(a, at)?),
        false,
        params,
        formula,
    )))
}

/// A node saving `self` and the result.
fn on_self_and_result(a: &[IValue], formula: SpecialFormula) -> Built {
    Ok(Box::new(SpecialBackward::new(
        Some(tensor(a, 0)?),
        true,
        vec![],
        formula,
    )))
}

fn binary(a: &[IValue], kind: BinaryKind) -> Built {
    Ok(Box::new(BinaryBackward {
        kind,
        self_: SavedVariable::input(tensor(a, 0)?),
        other: SavedVariable::input(tensor(a, 1)?),
        result: None,
    }))
}

/// The autograd entry of `op` if it is a special function.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.lgamma.default" => D(derivative!("LgammaBackward0", &[0], |a, _| on_self(
            a,
            0,
            vec![],
            f::lgamma
        ))),
        "aten.digamma.default" => D(derivative!("DigammaBackward0", &[0], |a, _| on_self(
            a,
            0,
            vec![],
            f::digamma
        ))),
        "aten.digamma_.default" => D(derivative!(
            "DigammaBackward0",
            &[0],
            |a, _| on_self(a, 0, vec![], f::digamma),
            original_self = always
        )),
        // In-place forms: the functional node on a clone of the original
        // `self` (observed in torch 2.15: `clone` then the in-place op).
        "aten.lgamma_.default" => D(derivative!(
            "LgammaBackward0",
            &[0],
            |a, _| on_self(a, 0, vec![], f::lgamma),
            original_self = always
        )),
        "aten.erfinv_.default" => D(derivative!(
            "ErfinvBackward0",
            &[0],
            |a, _| on_self(a, 0, vec![], f::erfinv),
            original_self = always
        )),
        "aten.sinc_.default" => D(derivative!(
            "SincBackward0",
            &[0],
            |a, _| on_self(a, 0, vec![], f::sinc),
            original_self = always
        )),
        "aten.logit_.default" => D(derivative!(
            "LogitBackward0",
            &[0],
            |a, _| on_self(a, 0, vec![arg(a, 1)], f::logit),
            original_self = always
        )),
        "aten.renorm_.default" => D(derivative!(
            "RenormBackward0",
            &[0],
            |a, _| on_self(
                a,
                0,
                vec![arg(a, 1), IValue::Int(int(a, 2)), arg(a, 3)],
                f::renorm::renorm
            ),
            original_self = always
        )),
        "aten.i0_.default" => D(derivative!(
            "I0Backward0",
            &[0],
            |a, _| on_self(a, 0, vec![], f::i0),
            original_self = always
        )),
        "aten.mvlgamma_.default" => D(derivative!(
            "MvlgammaBackward0",
            &[0],
            |a, _| on_self(a, 0, vec![IValue::Int(int(a, 1))], f::mvlgamma),
            original_self = always
        )),
        "aten.hypot_.default" => D(derivative!(
            "HypotBackward0",
            &[0, 1],
            |a, _| binary(a, BinaryKind::Hypot),
            original_self = always
        )),
        // `polygamma_(self, n)`: self first; the functional formula on a
        // clone of the original self (torch 2.15 clones before writing).
        "aten.polygamma_.default" => D(derivative!(
            "PolygammaBackward1",
            &[0],
            |a, _| on_self(a, 0, vec![IValue::Int(int(a, 1))], f::polygamma),
            original_self = always
        )),
        "aten.polygamma.default" => D(derivative!("PolygammaBackward0", &[1], |a, _| on_self(
            a,
            1,
            vec![IValue::Int(int(a, 0))],
            f::polygamma
        ))),
        "aten.mvlgamma.default" => D(derivative!("MvlgammaBackward0", &[0], |a, _| on_self(
            a,
            0,
            vec![IValue::Int(int(a, 1))],
            f::mvlgamma
        ))),
        "aten.erfinv.default" => D(derivative!("ErfinvBackward0", &[0], |a, _| on_self(
            a,
            0,
            vec![],
            f::erfinv
        ))),
        "aten.i0.default" => D(derivative!("I0Backward0", &[0], |a, _| on_self(
            a,
            0,
            vec![],
            f::i0
        ))),
        "aten.special_i0e.default" => D(derivative!("SpecialI0EBackward0", &[0], |a, _| {
            on_self_and_result(a, f::i0e)
        })),
        "aten.special_i1.default" => D(derivative!("SpecialI1Backward0", &[0], |a, _| {
            on_self_and_result(a, f::i1)
        })),
        "aten.special_i1e.default" => D(derivative!("SpecialI1EBackward0", &[0], |a, _| {
            on_self_and_result(a, f::i1e)
        })),
        "aten.sinc.default" => D(derivative!("SincBackward0", &[0], |a, _| on_self(
            a,
            0,
            vec![],
            f::sinc
        ))),
        "aten.logit.default" => D(derivative!("LogitBackward0", &[0], |a, _| on_self(
            a,
            0,
            vec![arg(a, 1)],
            f::logit
        ))),
        "aten.special_entr.default" => D(derivative!("SpecialEntrBackward0", &[0], |a, _| {
            on_self(a, 0, vec![], f::entr)
        })),
        "aten.special_ndtri.default" => D(derivative!("SpecialNdtriBackward0", &[0], |_, _| Ok(
            Box::new(SpecialBackward::new(None, true, vec![], f::ndtri))
        ))),
        "aten.special_erfcx.default" => D(derivative!("SpecialErfcxBackward0", &[0], |a, _| {
            on_self_and_result(a, f::distributions::erfcx)
        })),
        "aten.special_log_ndtr.default" => {
            D(derivative!("SpecialLogNdtrBackward0", &[0], |a, _| {
                on_self_and_result(a, f::distributions::log_ndtr)
            }))
        }
        "aten._standard_gamma.default" => D(derivative!("StandardGammaBackward0", &[0], |a, _| {
            on_self_and_result(a, f::distributions::standard_gamma)
        })),
        "aten.poisson.default" => D(derivative!("PoissonBackward0", &[0], |_, _| Ok(Box::new(
            SpecialBackward::new(None, false, vec![], f::distributions::poisson)
        )))),
        "aten.renorm.default" => D(derivative!("RenormBackward0", &[0], |a, _| on_self(
            a,
            0,
            vec![arg(a, 1), IValue::Int(int(a, 2)), arg(a, 3)],
            f::renorm::renorm
        ))),
        "aten.hypot.default" => D(derivative!("HypotBackward0", &[0, 1], |a, _| binary(
            a,
            BinaryKind::Hypot
        ))),
        "aten.logaddexp.default" => D(derivative!("LogaddexpBackward0", &[0, 1], |a, _| {
            binary(a, BinaryKind::Logaddexp)
        })),
        "aten.logaddexp2.default" => D(derivative!("Logaddexp2Backward0", &[0, 1], |a, _| {
            binary(a, BinaryKind::Logaddexp2)
        })),
        "aten.special_xlog1py.default" => {
            D(derivative!("SpecialXlog1PyBackward0", &[0, 1], |a, _| {
                binary(a, BinaryKind::Xlog1py)
            }))
        }
        "aten.igamma.default" => D(derivative!("IgammaBackward0", &[0, 1], |a, _| binary(
            a,
            BinaryKind::Igamma { complement: false }
        ))),
        "aten.igammac.default" => D(derivative!("IgammacBackward0", &[0, 1], |a, _| binary(
            a,
            BinaryKind::Igamma { complement: true }
        ))),
        "aten.special_bessel_j0.default" => {
            D(derivative!("SpecialBesselJ0Backward0", &[0], |a, _| {
                on_self(a, 0, vec![], bessel::bessel_j0)
            }))
        }
        "aten.special_bessel_y0.default" => {
            D(derivative!("SpecialBesselY0Backward0", &[0], |a, _| {
                on_self(a, 0, vec![], bessel::bessel_y0)
            }))
        }
        "aten.special_modified_bessel_i0.default" => D(derivative!(
            "SpecialModifiedBesselI0Backward0",
            &[0],
            |a, _| on_self(a, 0, vec![], bessel::modified_bessel_i0)
        )),
        "aten.special_modified_bessel_k0.default" => D(derivative!(
            "SpecialModifiedBesselK0Backward0",
            &[0],
            |a, _| on_self(a, 0, vec![], bessel::modified_bessel_k0)
        )),
        "aten.special_bessel_j1.default" => {
            D(derivative!("SpecialBesselJ1Backward0", &[0], |a, _| {
                on_self_and_result(a, bessel::bessel_j1)
            }))
        }
        "aten.special_bessel_y1.default" => {
            D(derivative!("SpecialBesselY1Backward0", &[0], |a, _| {
                on_self_and_result(a, bessel::bessel_y1)
            }))
        }
        "aten.special_modified_bessel_i1.default" => D(derivative!(
            "SpecialModifiedBesselI1Backward0",
            &[0],
            |a, _| on_self_and_result(a, bessel::modified_bessel_i1)
        )),
        "aten.special_modified_bessel_k1.default" => D(derivative!(
            "SpecialModifiedBesselK1Backward0",
            &[0],
            |a, _| on_self_and_result(a, bessel::modified_bessel_k1)
        )),
        "aten.special_zeta.default" => D(derivative!("SpecialZetaBackward0", &[0, 1], |a, _| {
            binary(a, BinaryKind::Zeta)
        })),
        "aten.special_zeta.self_scalar" => {
            D(derivative!("SpecialZetaBackward1", &[1], |a, _| on_self(
                a,
                1,
                vec![arg(a, 0)],
                bessel::zeta_self_scalar
            )))
        }
        "aten.special_zeta.other_scalar" => {
            D(derivative!("SpecialZetaBackward2", &[0], |_, _| Ok(
                Box::new(SpecialBackward::new(
                    None,
                    false,
                    vec![],
                    bessel::zeta_other_scalar
                ))
            )))
        }
        "aten.special_xlog1py.other_scalar" => D(derivative!(
            "SpecialXlog1PyBackward2",
            &[0],
            |a, _| on_self(a, 0, vec![arg(a, 1)], f::xlog1py_other_scalar)
        )),
        "aten.special_xlog1py.self_scalar" => D(derivative!(
            "SpecialXlog1PyBackward1",
            &[1],
            |a, _| on_self(a, 1, vec![arg(a, 0)], f::xlog1py_self_scalar)
        )),
        _ => return None,
    })
}
