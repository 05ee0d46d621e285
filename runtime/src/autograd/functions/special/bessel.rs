//! Backward formulas of `torch.special`'s Bessel functions and Hurwitz
//! zeta (PyTorch's derivatives.yaml, torch 2.15), making its calls in its
//! order:
//!
//! * `special_bessel_j0`: `grad * -special_bessel_j1(self)`; `y0` and
//!   `modified_bessel_k0` the same with `y1` and `modified_bessel_k1`;
//! * `special_modified_bessel_i0`: `grad * special_modified_bessel_i1(self)`;
//! * `special_bessel_j1` and `special_modified_bessel_i1`: the guarded
//!   order-one rule of `special_i1` (`self` replaced by `eps` where
//!   `|self| <= eps`, the limit 1/2 there) with `special_bessel_j0` and
//!   `i0` as the order-zero partner;
//! * `special_bessel_y1`: `grad * (y0(self) - result / self)`, infinite
//!   where `self == 0`;
//! * `special_modified_bessel_k1`: `grad * -(k0(self) + result / self)`;
//! * `special_zeta(self, other)`: `other`'s gradient `grad * -self *
//!   special_zeta(self + 1., other)`; `self`'s is not implemented (the
//!   scalar `self` overload computes the zeta first, then `grad * -self`).
//!
//! `special_scaled_modified_bessel_k0/k1`, `special_spherical_bessel_j0`,
//! `special_airy_ai` and the polynomials have no derivative in PyTorch: no
//! node is recorded for them.

use super::{
    binary_call, call, mul, need, not_implemented, order_one_grad, scalar_tensor, unary_call,
};
use crate::autograd::BackwardCtx;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// `grad * -partner(self)` (SpecialBesselJ0Backward0, SpecialBesselY0Backward0,
/// SpecialModifiedBesselK0Backward0).
fn negated_partner(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    x: &Tensor,
    partner: &str,
) -> Result<Tensor> {
    let p = unary_call(ctx, partner, x)?;
    let n = unary_call(ctx, "aten.neg.default", &p)?;
    mul(ctx, g, &n)
}

/// A formula of a node saving `self` (`|ctx, grad, self|`) or `self` and
/// the result (`|ctx, grad, self, result|`), in the shape of
/// [`super::SpecialFormula`].
macro_rules! formula {
    ($(#[$doc:meta])* $name:ident(|$ctx:ident, $g:ident, $x:ident| $body:expr)) => {
        $(#[$doc])*
        pub(crate) fn $name(
            $ctx: &mut BackwardCtx<'_>,
            $g: &Tensor,
            s: Option<&Tensor>,
            _: Option<&Tensor>,
            _: &[IValue],
        ) -> Result<Tensor> {
            let $x = need(s)?;
            $body
        }
    };
    ($(#[$doc:meta])* $name:ident(|$ctx:ident, $g:ident, $x:ident, $r:ident| $body:expr)) => {
        $(#[$doc])*
        pub(crate) fn $name(
            $ctx: &mut BackwardCtx<'_>,
            $g: &Tensor,
            s: Option<&Tensor>,
            r: Option<&Tensor>,
            _: &[IValue],
        ) -> Result<Tensor> {
            let ($x, $r) = (need(s)?, need(r)?);
            $body
        }
    };
}

formula!(
    /// SpecialBesselJ0Backward0.
    bessel_j0(|ctx, g, x| negated_partner(ctx, g, x, "aten.special_bessel_j1.default"))
);
formula!(
    /// SpecialBesselY0Backward0.
    bessel_y0(|ctx, g, x| negated_partner(ctx, g, x, "aten.special_bessel_y1.default"))
);
formula!(
    /// SpecialModifiedBesselK0Backward0.
    modified_bessel_k0(|ctx, g, x| {
        negated_partner(ctx, g, x, "aten.special_modified_bessel_k1.default")
    })
);
formula!(
    /// SpecialModifiedBesselI0Backward0.
    modified_bessel_i0(|ctx, g, x| {
        let i1 = unary_call(ctx, "aten.special_modified_bessel_i1.default", x)?;
        mul(ctx, g, &i1)
    })
);
formula!(
    /// SpecialBesselJ1Backward0.
    bessel_j1(|ctx, g, x, result| {
        order_one_grad(ctx, g, x, result, "aten.special_bessel_j0.default", false)
    })
);
formula!(
    /// SpecialModifiedBesselI1Backward0 (its partner is `i0`, not
    /// `special_modified_bessel_i0`).
    modified_bessel_i1(|ctx, g, x, result| {
        order_one_grad(ctx, g, x, result, "aten.i0.default", false)
    })
);

/// `result / self`, then `partner(self)`.
fn quotient_and_partner(
    ctx: &mut BackwardCtx<'_>,
    x: &Tensor,
    result: &Tensor,
    partner: &str,
) -> Result<(Tensor, Tensor)> {
    let recip = unary_call(ctx, "aten.reciprocal.default", x)?;
    let numerator = if ctx.rt.faults().bessel_quotient_without_result {
        &recip
    } else {
        result
    };
    let q = mul(ctx, numerator, &recip)?;
    Ok((q, unary_call(ctx, partner, x)?))
}

formula!(
    /// SpecialBesselY1Backward0: `grad * where(self == 0, inf, y0(self) -
    /// result / self)`.
    bessel_y1(|ctx, g, x, result| {
        let (q, y0) = quotient_and_partner(ctx, x, result, "aten.special_bessel_y0.default")?;
        let d = binary_call(ctx, "aten.sub.Tensor", &y0, &q)?;
        let inf = scalar_tensor(ctx, f64::INFINITY, x)?;
        let zero = call(ctx, "aten.eq.Scalar", vec![x.into(), IValue::Int(0)])?;
        let w = call(
            ctx,
            "aten.where.self",
            vec![(&zero).into(), (&inf).into(), (&d).into()],
        )?;
        mul(ctx, g, &w)
    })
);
formula!(
    /// SpecialModifiedBesselK1Backward0: `grad * -(k0(self) + result / self)`.
    modified_bessel_k1(|ctx, g, x, result| {
        let (q, k0) =
            quotient_and_partner(ctx, x, result, "aten.special_modified_bessel_k0.default")?;
        let sum = binary_call(ctx, "aten.add.Tensor", &k0, &q)?;
        let n = unary_call(ctx, "aten.neg.default", &sum)?;
        mul(ctx, g, &n)
    })
);

/// SpecialZetaBackward0's `other` gradient: `self + 1.`, the zeta there,
/// `-self`, then `grad * -self * zeta`.
pub(super) fn zeta_other_grad(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    x: &Tensor,
    q: &Tensor,
) -> Result<Tensor> {
    let shifted = call(ctx, "aten.add.Scalar", vec![x.into(), IValue::Float(1.0)])?;
    let z = binary_call(ctx, "aten.special_zeta.default", &shifted, q)?;
    let n = unary_call(ctx, "aten.neg.default", x)?;
    let t = mul(ctx, g, &n)?;
    mul(ctx, &t, &z)
}

/// SpecialZetaBackward1 (`special_zeta.self_scalar`, edge: `other`):
/// `special_zeta(self + 1., other)` (the number as a double), then `grad *
/// -self` (the number's own type) and the product. Saves `other`; params:
/// `self`.
pub(crate) fn zeta_self_scalar(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let (shifted, negated) = match p.first() {
        Some(IValue::Int(v)) => (IValue::Float(*v as f64 + 1.0), IValue::Int(-*v)),
        Some(IValue::Float(v)) => (IValue::Float(v + 1.0), IValue::Float(-v)),
        other => {
            return Err(RuntimeError::autograd(format!(
                "SpecialZetaBackward1: self is not a real number ({other:?})"
            )));
        }
    };
    let z = call(
        ctx,
        "aten.special_zeta.self_scalar",
        vec![shifted, need(s)?.into()],
    )?;
    let t = call(ctx, "aten.mul.Scalar", vec![g.into(), negated])?;
    mul(ctx, &t, &z)
}

/// SpecialZetaBackward2 (`special_zeta.other_scalar`, edge: `self`):
/// PyTorch has no derivative for `self`.
pub(crate) fn zeta_other_scalar(
    ctx: &mut BackwardCtx<'_>,
    _: &Tensor,
    _: Option<&Tensor>,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    Err(not_implemented(ctx, "zeta"))
}
