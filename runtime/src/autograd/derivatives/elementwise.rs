//! Derivative table rows of the elementwise, activation, comparison and
//! logic operators.
//!
//! In-place variants record the node of their functional form (observed in
//! torch 2.15: `x.sqrt_()` gets SqrtBackward0, `x.add_(1)` AddBackward0).
//! Where PyTorch's formula needs the *original* `self` of an in-place
//! operator, its autograd kernel first dispatches `clone(self)` and saves
//! the clone (`original_self` rows: `x.mul_(w)` with `w` requiring grad,
//! `x.abs_()`, `F.silu(x, inplace=True)`, `x.clamp_(...)`, ...).
//! Comparisons, logic and bitwise operators are not differentiable.

use super::{Derivative, Differentiability, always, arg, derivative, needs, tensor};
use crate::autograd::BackwardFn;
use crate::autograd::functions::complex::real_inputs;
use crate::autograd::functions::double_backward::differentiable as grad_mode;
use crate::autograd::functions::elementwise::{
    self as f, AddcBackward, ClampBackward0, CompareInplaceBackward, DivBackward, FillBackward1,
    LerpBackward0, LerpBackward1, LogSigmoidBackward0, MaskedFillBackward1, MinMaxBackward,
    PowBackward1, RemainderBackward1, RsubBackward0, Unary, WhereBackward0, XlogyBackward0,
    ZerosLike,
};
use crate::autograd::functions::fake_quantize::{CachemaskBackward, LearnablePerTensorBackward};
use crate::autograd::functions::pointwise::{
    MulBackward0, MulBackward1, NegBackward0, ReluBackward0, SavedOperand, SubBackward0,
};
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

type Built = Result<Box<dyn BackwardFn>>;

/// The autograd entry of `op` if it belongs to this family.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    arithmetic(op)
        .or_else(|| math(op))
        .or_else(|| activations(op))
        .or_else(|| logic(op))
}

/// `original_self` of in-place operators that need `self` only for
/// `other`'s gradient (`mul_`, `div_`, `remainder_`).
fn other_needs(n: &[bool]) -> bool {
    needs(n, 1)
}

fn unary(u: Unary) -> Built {
    Ok(Box::new(u))
}

fn arithmetic(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.add.Scalar" | "aten.add_.Scalar" => D(derivative!("AddBackward1", &[0], |_, _| {
            unary(Unary::plain(vec![], f::identity))
        })),
        "aten.sub.Scalar" | "aten.sub_.Scalar" => D(derivative!("SubBackward1", &[0], |_, _| {
            unary(Unary::plain(vec![], f::identity))
        })),
        "aten.sub_.Tensor" => D(derivative!("SubBackward0", &[0, 1], |a, _| {
            Ok(Box::new(SubBackward0 {
                alpha: arg(a, 2),
                real: real_inputs(a),
            }))
        })),
        "aten.mul_.Tensor" => D(derivative!(
            "MulBackward0",
            &[0, 1],
            |a, n| {
                Ok(Box::new(MulBackward0 {
                    other: needs(n, 0).then(|| SavedOperand::of(&arg(a, 1))),
                    self_: needs(n, 1).then(|| SavedOperand::of(&arg(a, 0))),
                    real: real_inputs(a),
                }))
            },
            original_self = other_needs
        )),
        "aten.mul_.Scalar" => D(derivative!("MulBackward1", &[0], |a, _| {
            Ok(Box::new(MulBackward1 {
                other: arg(a, 1),
                real: real_inputs::<1>(a)[0],
            }))
        })),
        "aten.div.Tensor" => D(derivative!("DivBackward0", &[0, 1], |a, n| div(
            a, n, false
        ))),
        "aten.div_.Tensor" => D(derivative!(
            "DivBackward0",
            &[0, 1],
            |a, n| div(a, n, false),
            original_self = other_needs
        )),
        "aten.div.Tensor_mode" => D(derivative!("DivBackward2", &[0, 1], |a, n| {
            div(a, n, !matches!(arg(a, 2), IValue::None))
        })),
        "aten.div_.Tensor_mode" => D(derivative!(
            "DivBackward2",
            &[0, 1],
            |a, n| div(a, n, !matches!(arg(a, 2), IValue::None)),
            original_self = other_needs
        )),
        "aten.div.Scalar" | "aten.div_.Scalar" => {
            D(derivative!("DivBackward1", &[0], |a, _| unary(
                Unary::plain(vec![arg(a, 1)], f::div_by_scalar)
            )))
        }
        "aten.div.Scalar_mode" => D(derivative!("DivBackward3", &[0], |a, _| {
            unary(Unary::plain(
                vec![arg(a, 1), arg(a, 2)],
                f::div_by_scalar_mode,
            ))
        })),
        "aten.rsub.Tensor" => D(derivative!("RsubBackward0", &[0, 1], |a, _| {
            Ok(Box::new(RsubBackward0 { alpha: arg(a, 2) }))
        })),
        "aten.rsub.Scalar" => D(derivative!("RsubBackward1", &[0], |a, _| {
            unary(Unary::plain(vec![arg(a, 2)], f::rsub_self))
        })),
        "aten.remainder.Scalar" | "aten.remainder_.Scalar" => {
            D(derivative!("RemainderBackward0", &[0], |_, _| unary(
                Unary::plain(vec![], f::identity)
            )))
        }
        "aten.remainder.Tensor" => D(derivative!("RemainderBackward1", &[0, 1], |a, n| {
            Ok(Box::new(RemainderBackward1 {
                self_: needs(n, 1).then(|| SavedOperand::of(&arg(a, 0))),
                other: needs(n, 1).then(|| SavedOperand::of(&arg(a, 1))),
                rounding: "floor",
            }))
        })),
        "aten.xlogy_.Tensor" => D(derivative!(
            "XlogyBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(XlogyBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    other: SavedVariable::input(tensor(a, 1)?),
                }))
            },
            original_self = always
        )),
        "aten.xlogy_.Scalar_Other" => D(derivative!(
            "XlogyBackward2",
            &[0],
            |a, _| unary(Unary::input(
                tensor(a, 0)?,
                vec![arg(a, 1)],
                f::xlogy_scalar_other
            )),
            original_self = always
        )),
        "aten.xlogy.Tensor" => D(derivative!("XlogyBackward0", &[0, 1], |a, _| {
            Ok(Box::new(XlogyBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                other: SavedVariable::input(tensor(a, 1)?),
            }))
        })),
        "aten.xlogy.Scalar_Other" => D(derivative!("XlogyBackward2", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![arg(a, 1)], f::xlogy_scalar_other)
        ))),
        "aten.xlogy.Scalar_Self" => D(derivative!("XlogyBackward1", &[1], |a, _| unary(
            Unary::input(tensor(a, 1)?, vec![arg(a, 0)], f::xlogy_scalar_self)
        ))),
        "aten.fmod.Scalar" | "aten.fmod_.Scalar" => {
            D(derivative!("FmodBackward0", &[0], |_, _| unary(
                Unary::plain(vec![], f::identity)
            )))
        }
        "aten.fmod.Tensor" => D(derivative!("FmodBackward1", &[0, 1], |a, n| {
            Ok(Box::new(RemainderBackward1 {
                self_: needs(n, 1).then(|| SavedOperand::of(&arg(a, 0))),
                other: needs(n, 1).then(|| SavedOperand::of(&arg(a, 1))),
                rounding: "trunc",
            }))
        })),
        "aten.fmod_.Tensor" => D(derivative!(
            "FmodBackward1",
            &[0, 1],
            |a, n| {
                Ok(Box::new(RemainderBackward1 {
                    self_: needs(n, 1).then(|| SavedOperand::of(&arg(a, 0))),
                    other: needs(n, 1).then(|| SavedOperand::of(&arg(a, 1))),
                    rounding: "trunc",
                }))
            },
            original_self = other_needs
        )),
        "aten.remainder_.Tensor" => D(derivative!(
            "RemainderBackward1",
            &[0, 1],
            |a, n| {
                Ok(Box::new(RemainderBackward1 {
                    self_: needs(n, 1).then(|| SavedOperand::of(&arg(a, 0))),
                    other: needs(n, 1).then(|| SavedOperand::of(&arg(a, 1))),
                    rounding: "floor",
                }))
            },
            original_self = other_needs
        )),
        "aten.minimum.default" => D(derivative!("MinimumBackward0", &[0, 1], |a, _| {
            min_max(a, false)
        })),
        "aten.maximum.default" => D(derivative!("MaximumBackward0", &[0, 1], |a, _| {
            min_max(a, true)
        })),
        "aten.lerp.Scalar" | "aten.lerp_.Scalar" => {
            D(derivative!("LerpBackward0", &[0, 1], |a, _| {
                Ok(Box::new(LerpBackward0 { weight: arg(a, 2) }))
            }))
        }
        "aten.lerp.Tensor" => D(derivative!("LerpBackward1", &[0, 1, 2], |a, n| lerp(a, n))),
        "aten.lerp_.Tensor" => D(derivative!(
            "LerpBackward1",
            &[0, 1, 2],
            lerp,
            original_self = |n| needs(n, 2)
        )),
        "aten.addcmul.default" | "aten.addcmul_.default" => {
            D(derivative!("AddcmulBackward0", &[0, 1, 2], |a, n| addc(
                a, n, false
            )))
        }
        "aten.addcdiv.default" | "aten.addcdiv_.default" => {
            D(derivative!("AddcdivBackward0", &[0, 1, 2], |a, n| addc(
                a, n, true
            )))
        }
        _ => return None,
    })
}

fn div(a: &[IValue], n: &[bool], rounding: bool) -> Built {
    let any = needs(n, 0) || needs(n, 1);
    Ok(Box::new(DivBackward {
        self_: (needs(n, 1) && !rounding).then(|| SavedOperand::of(&arg(a, 0))),
        other: (any && !rounding).then(|| SavedOperand::of(&arg(a, 1))),
        rounding,
        real: real_inputs(a),
    }))
}

fn min_max(a: &[IValue], is_max: bool) -> Built {
    Ok(Box::new(MinMaxBackward {
        self_: SavedVariable::input(tensor(a, 0)?),
        other: SavedVariable::input(tensor(a, 1)?),
        is_max,
    }))
}

fn lerp(a: &[IValue], n: &[bool]) -> Built {
    let saved = |i: usize, keep: bool| -> Result<Option<SavedVariable>> {
        Ok(if keep {
            Some(SavedVariable::input(tensor(a, i)?))
        } else {
            None
        })
    };
    Ok(Box::new(LerpBackward1 {
        self_: saved(0, needs(n, 2))?,
        end: saved(1, needs(n, 2))?,
        weight: saved(2, needs(n, 0) || needs(n, 1))?,
    }))
}

fn addc(a: &[IValue], n: &[bool], divide: bool) -> Built {
    let keep1 = needs(n, 2);
    let keep2 = needs(n, 1) || (divide && needs(n, 2));
    Ok(Box::new(AddcBackward {
        tensor1: if keep1 {
            Some(SavedVariable::input(tensor(a, 1)?))
        } else {
            None
        },
        tensor2: if keep2 {
            Some(SavedVariable::input(tensor(a, 2)?))
        } else {
            None
        },
        value: arg(a, 3),
        divide,
    }))
}

fn math(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.neg_.default" => D(derivative!("NegBackward0", &[0], |_, _| Ok(Box::new(
            NegBackward0
        )))),
        "aten.sqrt.default" | "aten.sqrt_.default" => {
            D(derivative!("SqrtBackward0", &[0], |_, _| unary(
                Unary::result(vec![], f::sqrt)
            )))
        }
        "aten.rsqrt.default" | "aten.rsqrt_.default" => {
            D(derivative!("RsqrtBackward0", &[0], |_, _| unary(
                Unary::result(vec![], f::rsqrt)
            )))
        }
        "aten.exp.default" | "aten.exp_.default" => {
            D(derivative!("ExpBackward0", &[0], |_, _| unary(
                Unary::result(vec![], f::exp)
            )))
        }
        "aten.reciprocal.default" | "aten.reciprocal_.default" => {
            D(derivative!("ReciprocalBackward0", &[0], |_, _| unary(
                Unary::result(vec![], f::reciprocal)
            )))
        }
        "aten.log.default" => D(derivative!("LogBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::log)
        ))),
        "aten.log1p.default" => D(derivative!("Log1PBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::log1p)
        ))),
        "aten.abs.default" => D(derivative!("AbsBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::abs)
        ))),
        // `fill` / `fill_` / `zero_` overwrite self: its gradient is
        // `zeros_like(grad)`. Each fill overload has its own row in
        // derivatives.yaml, hence its own node (observed in torch 2.15:
        // fill.Scalar FillBackward0, fill.Tensor FillBackward1, fill_.Scalar
        // FillBackward2, fill_.Tensor FillBackward3); a value tensor gets
        // `grad.sum()`.
        "aten.fill.Scalar" => D(derivative!("FillBackward0", &[0], |_, _| unary(
            Unary::plain(vec![], f::sign)
        ))),
        "aten.fill_.Scalar" => D(derivative!("FillBackward2", &[0], |_, _| unary(
            Unary::plain(vec![], f::sign)
        ))),
        "aten.fill.Tensor" => D(derivative!("FillBackward1", &[0, 1], |_, _| {
            Ok(Box::new(FillBackward1))
        })),
        "aten.fill_.Tensor" => D(derivative!("FillBackward3", &[0, 1], |_, _| {
            Ok(Box::new(FillBackward1))
        })),
        "aten.zero_.default" => D(derivative!("ZeroBackward0", &[0], |_, _| unary(
            Unary::plain(vec![], f::sign)
        ))),
        "aten.sign.default" | "aten.sign_.default" => {
            D(derivative!("SignBackward0", &[0], |_, _| unary(
                Unary::plain(vec![], f::sign)
            )))
        }
        "aten.sin.default" => D(derivative!("SinBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::sin)
        ))),
        "aten.cos.default" => D(derivative!("CosBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::cos)
        ))),
        "aten.expm1.default" => D(derivative!("Expm1Backward0", &[0], |_, _| unary(
            Unary::result(vec![], f::expm1)
        ))),
        "aten.exp2.default" => D(derivative!("Exp2Backward0", &[0], |_, _| unary(
            Unary::result(vec![], f::exp2)
        ))),
        "aten.log2.default" => D(derivative!("Log2Backward0", &[0], |a, _| unary(
            Unary::input(
                tensor(a, 0)?,
                vec![IValue::Float(std::f64::consts::LN_2)],
                f::log_base
            )
        ))),
        "aten.log10.default" => D(derivative!("Log10Backward0", &[0], |a, _| unary(
            Unary::input(
                tensor(a, 0)?,
                vec![IValue::Float(std::f64::consts::LN_10)],
                f::log_base
            )
        ))),
        "aten.erf.default" => D(derivative!("ErfBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::erf)
        ))),
        "aten.floor.default" | "aten.floor_.default" => {
            D(derivative!("FloorBackward0", &[0], |_, _| unary(
                Unary::plain(vec![], f::sign)
            )))
        }
        "aten.ceil.default" | "aten.ceil_.default" => {
            D(derivative!("CeilBackward0", &[0], |_, _| unary(
                Unary::plain(vec![], f::sign)
            )))
        }
        "aten.trunc.default" | "aten.trunc_.default" => {
            D(derivative!("TruncBackward0", &[0], |_, _| unary(
                Unary::plain(vec![], f::sign)
            )))
        }
        "aten.round.default" | "aten.round_.default" => {
            D(derivative!("RoundBackward0", &[0], |_, _| unary(
                Unary::plain(vec![], f::sign)
            )))
        }
        "aten.round.decimals" | "aten.round_.decimals" => {
            D(derivative!("RoundBackward1", &[0], |_, _| unary(
                Unary::plain(vec![], f::sign)
            )))
        }
        "aten.frac.default" => D(derivative!("FracBackward0", &[0], |_, _| unary(
            Unary::plain(vec![], f::identity)
        ))),
        "aten.nan_to_num.default" => D(derivative!("NanToNumBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], f::nan_to_num)
        ))),
        // In-place forms of the functions above: the node of the functional
        // form, on a clone of the original `self` where the formula reads
        // `self` (observed in torch 2.15: `x.erf_()` dispatches `clone(x)`
        // then `erf_`, its node ErfBackward0; `expm1_` and `exp2_` save
        // their result, `frac_` nothing).
        "aten.expm1_.default" => D(derivative!("Expm1Backward0", &[0], |_, _| unary(
            Unary::result(vec![], f::expm1)
        ))),
        "aten.exp2_.default" => D(derivative!("Exp2Backward0", &[0], |_, _| unary(
            Unary::result(vec![], f::exp2)
        ))),
        "aten.log2_.default" => D(derivative!(
            "Log2Backward0",
            &[0],
            |a, _| unary(Unary::input(
                tensor(a, 0)?,
                vec![IValue::Float(std::f64::consts::LN_2)],
                f::log_base
            )),
            original_self = always
        )),
        "aten.log10_.default" => D(derivative!(
            "Log10Backward0",
            &[0],
            |a, _| unary(Unary::input(
                tensor(a, 0)?,
                vec![IValue::Float(std::f64::consts::LN_10)],
                f::log_base
            )),
            original_self = always
        )),
        "aten.erf_.default" => D(derivative!(
            "ErfBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::erf)),
            original_self = always
        )),
        "aten.frac_.default" => D(derivative!("FracBackward0", &[0], |_, _| unary(
            Unary::plain(vec![], f::identity)
        ))),
        "aten.nan_to_num_.default" => D(derivative!(
            "NanToNumBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::nan_to_num)),
            original_self = always
        )),
        "aten.log_.default" => D(derivative!(
            "LogBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::log)),
            original_self = always
        )),
        "aten.log1p_.default" => D(derivative!(
            "Log1PBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::log1p)),
            original_self = always
        )),
        "aten.abs_.default" => D(derivative!(
            "AbsBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], f::abs)),
            original_self = always
        )),
        "aten.pow.Tensor_Scalar" => D(derivative!("PowBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![arg(a, 1)], f::pow_tensor_scalar)
        ))),
        "aten.pow_.Scalar" => D(derivative!(
            "PowBackward0",
            &[0],
            |a, _| unary(Unary::input(
                tensor(a, 0)?,
                vec![arg(a, 1)],
                f::pow_tensor_scalar
            )),
            original_self = always
        )),
        "aten.pow.Tensor_Tensor" => D(derivative!("PowBackward1", &[0, 1], |a, _| {
            Ok(Box::new(PowBackward1 {
                self_: SavedVariable::input(tensor(a, 0)?),
                exponent: SavedVariable::input(tensor(a, 1)?),
                result: None,
            }))
        })),
        "aten.pow_.Tensor" => D(derivative!(
            "PowBackward1",
            &[0, 1],
            |a, _| {
                Ok(Box::new(PowBackward1 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    exponent: SavedVariable::input(tensor(a, 1)?),
                    result: None,
                }))
            },
            original_self = always
        )),
        "aten.pow.Scalar" => D(derivative!("PowBackward2", &[1], |a, _| unary(
            Unary::result(vec![arg(a, 0)], f::pow_scalar_base)
        ))),
        "aten.clamp.default" => D(derivative!("ClampBackward1", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![arg(a, 1), arg(a, 2)], f::clamp)
        ))),
        "aten.clamp_min.default" => D(derivative!("ClampMinBackward0", &[0], |a, _| unary(
            Unary::input(
                tensor(a, 0)?,
                vec![IValue::Str("aten.gt.Scalar".into()), arg(a, 1)],
                f::clamp_one_side
            )
        ))),
        "aten.clamp_max.default" => D(derivative!("ClampMaxBackward0", &[0], |a, _| unary(
            Unary::input(
                tensor(a, 0)?,
                vec![IValue::Str("aten.lt.Scalar".into()), arg(a, 1)],
                f::clamp_one_side
            )
        ))),
        "aten.clamp.Tensor" => D(derivative!("ClampBackward0", &[0, 1, 2], |a, _| {
            let bound = |i: usize| -> Option<SavedVariable> {
                a.get(i)
                    .and_then(IValue::as_tensor)
                    .map(SavedVariable::input)
            };
            Ok(Box::new(ClampBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                min: bound(1),
                max: bound(2),
            }))
        })),
        // clamp_min(self, min) has MaximumBackward0's formula, clamp_max
        // MinimumBackward0's (observed in torch 2.15: the bound first).
        "aten.clamp_min.Tensor" => D(derivative!("ClampMinBackward1", &[0, 1], |a, _| {
            min_max(a, true)
        })),
        "aten.clamp_max.Tensor" => D(derivative!("ClampMaxBackward1", &[0, 1], |a, _| {
            min_max(a, false)
        })),
        "aten.clamp_min_.Tensor" => D(derivative!(
            "ClampMinBackward1",
            &[0, 1],
            |a, _| min_max(a, true),
            original_self = always
        )),
        "aten.clamp_max_.Tensor" => D(derivative!(
            "ClampMaxBackward1",
            &[0, 1],
            |a, _| min_max(a, false),
            original_self = always
        )),
        "aten.clamp_.default" => D(derivative!(
            "ClampBackward1",
            &[0],
            |a, _| unary(Unary::input(
                tensor(a, 0)?,
                vec![arg(a, 1), arg(a, 2)],
                f::clamp
            )),
            original_self = always
        )),
        "aten.clamp_min_.default" => D(derivative!(
            "ClampMinBackward0",
            &[0],
            |a, _| unary(Unary::input(
                tensor(a, 0)?,
                vec![IValue::Str("aten.gt.Scalar".into()), arg(a, 1)],
                f::clamp_one_side
            )),
            original_self = always
        )),
        "aten.clamp_max_.default" => D(derivative!(
            "ClampMaxBackward0",
            &[0],
            |a, _| unary(Unary::input(
                tensor(a, 0)?,
                vec![IValue::Str("aten.lt.Scalar".into()), arg(a, 1)],
                f::clamp_one_side
            )),
            original_self = always
        )),
        _ => return None,
    })
}

/// An activation node saving input `self` (or the result when
/// `from_result`), whose backward calls `op(grad, saved, params...)`.
fn act(
    a: &[IValue],
    op: &str,
    params: &[usize],
    extra: Option<IValue>,
    from_result: bool,
) -> Built {
    let mut p = vec![IValue::Str(op.to_owned())];
    p.extend(params.iter().map(|&i| arg(a, i)));
    p.extend(extra);
    if from_result {
        unary(Unary::result(p, f::activation))
    } else {
        unary(Unary::input(tensor(a, 0)?, p, f::activation))
    }
}

fn elu(a: &[IValue], is_result: bool) -> Built {
    let p = vec![arg(a, 1), arg(a, 2), arg(a, 3), IValue::Bool(is_result)];
    if is_result {
        unary(Unary::result(p, f::elu))
    } else {
        unary(Unary::input(tensor(a, 0)?, p, f::elu))
    }
}

/// `celu`'s backward: `elu_backward(grad, alpha, 1, 1 / alpha, is_result,
/// self_or_result)`, where PyTorch's formula takes the reciprocal of `alpha`
/// rounded to float (`1.0 / alpha.toFloat()`), not of the double `alpha`
/// the forward used.
fn celu(a: &[IValue], is_result: bool) -> Built {
    let alpha = arg(a, 1);
    let as_float = match alpha {
        IValue::Int(i) => i as f32,
        IValue::Float(x) => x as f32,
        IValue::Bool(b) => f32::from(u8::from(b)),
        _ => 1.0,
    };
    let p = vec![
        alpha,
        IValue::Int(1),
        IValue::Float(1.0 / f64::from(as_float)),
        IValue::Bool(is_result),
    ];
    if is_result {
        unary(Unary::result(p, f::elu))
    } else {
        unary(Unary::input(tensor(a, 0)?, p, f::elu))
    }
}

fn activations(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.relu_.default" => D(derivative!("ReluBackward0", &[0], |_, _| {
            Ok(Box::new(ReluBackward0::default()))
        })),
        "aten.gelu.default" => D(derivative!("GeluBackward0", &[0], |a, _| act(
            a,
            "aten.gelu_backward.default",
            &[1],
            None,
            false
        ))),
        "aten.silu.default" => D(derivative!("SiluBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], grad_mode::silu)
        ))),
        "aten.sigmoid.default" | "aten.sigmoid_.default" => D(derivative!(
            "SigmoidBackward0",
            &[0],
            |a, _| act(a, "aten.sigmoid_backward.default", &[], None, true)
        )),
        "aten.tanh.default" | "aten.tanh_.default" => D(derivative!(
            "TanhBackward0",
            &[0],
            |a, _| act(a, "aten.tanh_backward.default", &[], None, true)
        )),
        "aten.softplus.default" => D(derivative!("SoftplusBackward0", &[0], |a, _| act(
            a,
            "aten.softplus_backward.default",
            &[1, 2],
            None,
            false
        ))),
        "aten.leaky_relu.default" => D(derivative!("LeakyReluBackward0", &[0], |a, _| act(
            a,
            "aten.leaky_relu_backward.default",
            &[1],
            Some(IValue::Bool(false)),
            false
        ))),
        "aten.leaky_relu_.default" => D(derivative!("LeakyReluBackward1", &[0], |a, _| act(
            a,
            "aten.leaky_relu_backward.default",
            &[1],
            Some(IValue::Bool(true)),
            true
        ))),
        // rrelu_with_noise_backward(grad, self or result, noise, lower,
        // upper, training, self_is_result); noise is held as the kernel
        // wrote it (PyTorch bumps no version of it).
        "aten.rrelu_with_noise.default" => {
            D(derivative!("RreluWithNoiseBackward0", &[0], |a, _| act(
                a,
                "aten.rrelu_with_noise_backward.default",
                &[1, 2, 3, 4],
                Some(IValue::Bool(false)),
                false
            )))
        }
        "aten.rrelu_with_noise_.default" => {
            D(derivative!("RreluWithNoiseBackward1", &[0], |a, _| act(
                a,
                "aten.rrelu_with_noise_backward.default",
                &[1, 2, 3, 4],
                Some(IValue::Bool(true)),
                true
            )))
        }
        "aten.hardtanh.default" => D(derivative!("HardtanhBackward0", &[0], |a, _| act(
            a,
            "aten.hardtanh_backward.default",
            &[1, 2],
            None,
            false
        ))),
        "aten.hardshrink.default" => D(derivative!("HardshrinkBackward0", &[0], |a, _| act(
            a,
            "aten.hardshrink_backward.default",
            &[1],
            None,
            false
        ))),
        "aten.softshrink.default" => D(derivative!("SoftshrinkBackward0", &[0], |a, _| act(
            a,
            "aten.softshrink_backward.default",
            &[1],
            None,
            false
        ))),
        "aten.threshold.default" => D(derivative!("ThresholdBackward0", &[0], |a, _| act(
            a,
            "aten.threshold_backward.default",
            &[1],
            None,
            false
        ))),
        "aten.threshold_.default" => D(derivative!(
            "ThresholdBackward1",
            &[0],
            |a, _| act(a, "aten.threshold_backward.default", &[1], None, false),
            original_self = always
        )),
        "aten.elu.default" => D(derivative!("EluBackward0", &[0], |a, _| elu(a, false))),
        "aten.elu_.default" => D(derivative!("EluBackward1", &[0], |a, _| elu(a, true))),
        "aten.celu.default" => D(derivative!("CeluBackward0", &[0], |a, _| celu(a, false))),
        "aten.celu_.default" => D(derivative!("CeluBackward1", &[0], |a, _| celu(a, true))),
        "aten.log_sigmoid_forward.default" => D(derivative!(
            "LogSigmoidBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(LogSigmoidBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    buffer: None,
                }))
            },
            outputs = &[true, false]
        )),
        "aten.fake_quantize_per_tensor_affine_cachemask.default" => D(derivative!(
            "FakeQuantizePerTensorAffineCachemaskBackward0",
            &[0],
            |_, _| Ok(Box::<CachemaskBackward>::default()),
            outputs = &[true, false]
        )),
        "aten._fake_quantize_per_tensor_affine_cachemask_tensor_qparams.default" => D(derivative!(
            "FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0",
            &[0],
            |_, _| Ok(Box::<CachemaskBackward>::default()),
            outputs = &[true, false]
        )),
        "aten.fake_quantize_per_channel_affine_cachemask.default" => D(derivative!(
            "FakeQuantizePerChannelAffineCachemaskBackward0",
            &[0],
            |_, _| Ok(Box::<CachemaskBackward>::default()),
            outputs = &[true, false]
        )),
        // derivatives.yaml: `self, scale, zero_point:
        // _fake_quantize_learnable_per_tensor_affine_backward(grad, self, scale,
        // zero_point, quant_min, quant_max, grad_factor)`.
        "aten._fake_quantize_learnable_per_tensor_affine.default" => D(derivative!(
            "FakeQuantizeLearnablePerTensorAffineBackward0",
            &[0, 1, 2],
            |a, _| Ok(Box::new(LearnablePerTensorBackward {
                self_: SavedVariable::input(tensor(a, 0)?),
                scale: SavedVariable::input(tensor(a, 1)?),
                zero_point: SavedVariable::input(tensor(a, 2)?),
                params: [arg(a, 3), arg(a, 4), arg(a, 5)],
            }))
        )),
        // derivatives.yaml: `self: fake_quantize_per_tensor_affine_cachemask_backward(grad, mask)`.
        "aten._fused_moving_avg_obs_fq_helper.default" => D(derivative!(
            "FusedMovingAvgObsFqHelperBackward0",
            &[0],
            |_, _| Ok(Box::<CachemaskBackward>::default()),
            outputs = &[true, false]
        )),
        "aten.glu.default" => D(derivative!("GluBackward0", &[0], |a, _| act(
            a,
            "aten.glu_backward.default",
            &[1],
            None,
            false
        ))),
        "aten.hardswish.default" => D(derivative!("HardswishBackward0", &[0], |a, _| act(
            a,
            "aten.hardswish_backward.default",
            &[],
            None,
            false
        ))),
        "aten.hardsigmoid.default" => D(derivative!("HardsigmoidBackward0", &[0], |a, _| act(
            a,
            "aten.hardsigmoid_backward.default",
            &[],
            None,
            false
        ))),
        "aten.mish.default" => D(derivative!("MishBackward0", &[0], |a, _| unary(
            Unary::input(tensor(a, 0)?, vec![], grad_mode::mish)
        ))),
        "aten.hardswish_.default" => D(derivative!(
            "HardswishBackward0",
            &[0],
            |a, _| act(a, "aten.hardswish_backward.default", &[], None, false),
            original_self = always
        )),
        "aten.hardsigmoid_.default" => D(derivative!(
            "HardsigmoidBackward0",
            &[0],
            |a, _| act(a, "aten.hardsigmoid_backward.default", &[], None, false),
            original_self = always
        )),
        "aten.mish_.default" => D(derivative!(
            "MishBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], grad_mode::mish)),
            original_self = always
        )),
        "aten.gelu_.default" => D(derivative!(
            "GeluBackward0",
            &[0],
            |a, _| act(a, "aten.gelu_backward.default", &[1], None, false),
            original_self = always
        )),
        "aten.silu_.default" => D(derivative!(
            "SiluBackward0",
            &[0],
            |a, _| unary(Unary::input(tensor(a, 0)?, vec![], grad_mode::silu)),
            original_self = always
        )),
        "aten.hardtanh_.default" => D(derivative!(
            "HardtanhBackward0",
            &[0],
            |a, _| act(a, "aten.hardtanh_backward.default", &[1, 2], None, false),
            original_self = always
        )),
        _ => return None,
    })
}

/// The node of an in-place comparison; `tensor_other` for the Tensor
/// overloads, whose `other` is an edge too.
fn compare_inplace(a: &[IValue], tensor_other: bool) -> Result<Box<dyn BackwardFn>> {
    Ok(Box::new(CompareInplaceBackward {
        this: ZerosLike::of(tensor(a, 0)?),
        other: if tensor_other {
            Some(ZerosLike::of(tensor(a, 1)?))
        } else {
            None
        },
    }))
}

fn logic(op: &str) -> Option<Differentiability> {
    use Differentiability::{Derivative as D, NotDifferentiable};
    Some(match op {
        "aten.where.self" => D(derivative!("WhereBackward0", &[1, 2], |a, _| {
            Ok(Box::new(WhereBackward0 {
                condition: SavedVariable::input(tensor(a, 0)?),
            }))
        })),
        "aten.masked_fill.Scalar" | "aten.masked_fill_.Scalar" => {
            D(derivative!("MaskedFillBackward0", &[0], |a, _| unary(
                Unary::input(tensor(a, 1)?, vec![], f::masked_fill)
            )))
        }
        "aten.masked_fill.Tensor" | "aten.masked_fill_.Tensor" => {
            D(derivative!("MaskedFillBackward1", &[0, 2], |a, _| {
                Ok(Box::new(MaskedFillBackward1 {
                    mask: SavedVariable::input(tensor(a, 1)?),
                }))
            }))
        }
        // The in-place comparisons overwrite `self` with steps: zero
        // gradients of the operands' geometry.
        "aten.eq_.Scalar" => D(derivative!("EqBackward0", &[0], |a, _| compare_inplace(
            a, false
        ))),
        "aten.eq_.Tensor" => D(derivative!("EqBackward1", &[0, 1], |a, _| compare_inplace(
            a, true
        ))),
        "aten.ne_.Scalar" => D(derivative!("NeBackward0", &[0], |a, _| compare_inplace(
            a, false
        ))),
        "aten.ne_.Tensor" => D(derivative!("NeBackward1", &[0, 1], |a, _| compare_inplace(
            a, true
        ))),
        "aten.gt_.Scalar" => D(derivative!("GtBackward0", &[0], |a, _| compare_inplace(
            a, false
        ))),
        "aten.gt_.Tensor" => D(derivative!("GtBackward1", &[0, 1], |a, _| compare_inplace(
            a, true
        ))),
        "aten.ge_.Scalar" => D(derivative!("GeBackward0", &[0], |a, _| compare_inplace(
            a, false
        ))),
        "aten.ge_.Tensor" => D(derivative!("GeBackward1", &[0, 1], |a, _| compare_inplace(
            a, true
        ))),
        "aten.lt_.Scalar" => D(derivative!("LtBackward0", &[0], |a, _| compare_inplace(
            a, false
        ))),
        "aten.lt_.Tensor" => D(derivative!("LtBackward1", &[0, 1], |a, _| compare_inplace(
            a, true
        ))),
        "aten.le_.Scalar" => D(derivative!("LeBackward0", &[0], |a, _| compare_inplace(
            a, false
        ))),
        "aten.le_.Tensor" => D(derivative!("LeBackward1", &[0, 1], |a, _| compare_inplace(
            a, true
        ))),
        "aten.eq.Scalar"
        | "aten.eq.Tensor"
        | "aten.ne.Scalar"
        | "aten.ne.Tensor"
        | "aten.gt.Scalar"
        | "aten.gt.Tensor"
        | "aten.ge.Scalar"
        | "aten.ge.Tensor"
        | "aten.lt.Scalar"
        | "aten.lt.Tensor"
        | "aten.le.Scalar"
        | "aten.le.Tensor"
        | "aten.logical_and.default"
        | "aten.logical_and_.default"
        | "aten.logical_or.default"
        | "aten.logical_or_.default"
        | "aten.logical_not.default"
        | "aten.logical_not_.default"
        | "aten.bitwise_not.default"
        | "aten.bitwise_not_.default"
        | "aten.bitwise_and.Tensor"
        | "aten.bitwise_and.Scalar"
        | "aten.bitwise_and_.Tensor"
        | "aten.bitwise_or.Tensor"
        | "aten.bitwise_or.Scalar"
        | "aten.bitwise_or_.Tensor"
        | "aten.bitwise_xor.Tensor"
        | "aten.bitwise_xor.Scalar"
        | "aten.bitwise_xor_.Tensor"
        | "aten.bitwise_xor_.Scalar"
        | "aten.bitwise_and_.Scalar"
        | "aten.bitwise_or_.Scalar"
        | "aten.gcd.default"
        | "aten.gcd_.default"
        | "aten.lcm.default"
        | "aten.lcm_.default"
        | "aten.isnan.default"
        | "aten.isinf.default"
        | "aten.isin.Tensor_Tensor"
        | "aten.isin.Tensor_Scalar"
        | "aten.isin.Scalar_Tensor" => NotDifferentiable,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;

    fn leaf(rt: &mut Runtime, values: &[f32]) -> Tensor {
        rt.introduce_tensor_f32(&[values.len() as i64], &[1], 0, values, true)
            .expect("leaf")
    }

    fn call1(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Tensor {
        rt.call(op, args).expect("call")[0]
            .as_tensor()
            .expect("tensor")
            .clone()
    }

    #[test]
    fn in_place_mul_saves_a_clone_of_the_original_self() {
        let mut rt = Runtime::new();
        let a = leaf(&mut rt, &[1.0, 2.0, 3.0]);
        let b = leaf(&mut rt, &[4.0, 5.0, 6.0]);
        let x = call1(
            &mut rt,
            "aten.mul.Tensor",
            vec![(&a).into(), IValue::Int(1)],
        );
        let x = call1(&mut rt, "aten.mul_.Tensor", vec![(&x).into(), (&b).into()]);
        assert_eq!(x.grad_fn_name().as_deref(), Some("MulBackward0"));
        let s = call1(&mut rt, "aten.sum.default", vec![(&x).into()]);
        rt.backward(&[s], &[None], false, false).expect("backward");
        // d(a * b)/db is the original a, not the product written in place.
        let gb = b.grad().expect("grad").to_f32_vec().expect("values");
        assert_eq!(gb, vec![1.0, 2.0, 3.0]);
        let ga = a.grad().expect("grad").to_f32_vec().expect("values");
        assert_eq!(ga, vec![4.0, 5.0, 6.0]);
    }

    #[test]
    fn in_place_clamp_differentiates_at_the_original_values() {
        let mut rt = Runtime::new();
        let a = leaf(&mut rt, &[-2.0, 0.25, 3.0]);
        let x = call1(
            &mut rt,
            "aten.mul.Tensor",
            vec![(&a).into(), IValue::Int(1)],
        );
        let x = call1(
            &mut rt,
            "aten.clamp_.default",
            vec![(&x).into(), IValue::Float(-0.5), IValue::Float(0.5)],
        );
        let s = call1(&mut rt, "aten.sum.default", vec![(&x).into()]);
        rt.backward(&[s], &[None], false, false).expect("backward");
        let ga = a.grad().expect("grad").to_f32_vec().expect("values");
        assert_eq!(ga, vec![0.0, 1.0, 0.0]);
    }
}
