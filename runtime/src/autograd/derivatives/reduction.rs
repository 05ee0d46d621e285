//! Derivative table rows of the reductions, factories and random operators.
//!
//! | operator | node | saves |
//! |---|---|---|
//! | `mean` | MeanBackward0 | self sizes, self numel |
//! | `mean.dim` | MeanBackward1 | self sizes, dim, keepdim, averaged count |
//! | `max` / `min` | MaxBackward1 / MinBackward1 | self, result |
//! | `max.dim` / `min.dim` | MaxBackward0 / MinBackward0 (values only) | self sizes, dim, keepdim, indices |
//! | `amax` / `amin` | AmaxBackward0 / AminBackward0 | self, dim, keepdim, result |
//! | `var.correction` | VarBackward0 | self, dim, correction, keepdim |
//! | `std.correction` | StdBackward0 | self, dim, correction, keepdim, result |
//! | `var_mean.correction` / `std_mean.correction` | VarMeanBackward0 / StdMeanBackward0 | as `var` / `std` |
//! | `logsumexp` | LogsumexpBackward0 | self, dim, keepdim, result |
//! | `prod` / `prod.dim_int` | ProdBackward0 / ProdBackward1 | self, dim, keepdim, result |
//! | `cumsum` | CumsumBackward0 | dim, self dtype |
//! | `cumprod` | CumprodBackward0 | self, dim, result |
//! | `logcumsumexp` | LogcumsumexpBackward0 | self, dim, result |
//! | `bernoulli` / `bernoulli_.float` / `bernoulli_.Tensor` | BernoulliBackward0 / 2 / 1 | sizes, dtype and device of a tensor `p` |
//! | `normal.Tensor_float` / `normal.float_Tensor` / `normal.Tensor_Tensor` | NormalBackward1 / 2 / 3 | sizes of the tensor `mean` / `std` |
//! | `linalg_vector_norm` | LinalgVectorNormBackward0 | self, ord, dim, keepdim, result |
//! | `dist` | DistBackward0 | self, other, p, result |
//!
//! Not differentiable: `argmax`/`argmin`, `all`/`any`, `_local_scalar_dense`
//! (its result is a number), every factory, and the random operators
//! without a tensor input or whose result does not depend on it
//! (`rand_like`, `randn_like`, `randint_like`, `randint`, `randperm`,
//! `multinomial`, `normal.float_float`). `bernoulli.p` (PyTorch's `NotImplemented` node) and the
//! in-place `random_` / `exponential_` have no row: recording a graph
//! through them is an unsupported-operation error.

use super::{Derivative, Differentiability, arg, derivative, int, int_list, tensor};
use crate::autograd::functions::reduction::{
    AmaxBackward, BernoulliBackward, CumprodBackward0, CumsumBackward0, DistBackward0,
    EvenlyDistributeBackward, LinalgVectorNormBackward0, LogcumsumexpBackward0, LogsumexpBackward0,
    MeanBackward0, MeanBackward1, MomentsBackward, NormalBackward, ProdBackward,
    ValueSelectingBackward, mean_count,
};
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;

/// The autograd entry of `op` if it belongs to this family.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    reductions(op).or_else(|| not_differentiable(op))
}

fn keepdim(a: &[IValue], i: usize) -> bool {
    matches!(a.get(i), Some(IValue::Bool(true)))
}

fn float(a: &[IValue], i: usize, default: f64) -> f64 {
    match a.get(i) {
        Some(IValue::Int(v)) => *v as f64,
        Some(IValue::Float(v)) => *v,
        _ => default,
    }
}

fn reductions(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.mean.default" => D(derivative!("MeanBackward0", &[0], |a, _| {
            let t = tensor(a, 0)?;
            Ok(Box::new(MeanBackward0 {
                self_sizes: t.shape().to_vec(),
                self_numel: t.numel() as i64,
            }))
        })),
        "aten.mean.dim" => D(derivative!("MeanBackward1", &[0], |a, _| {
            let t = tensor(a, 0)?;
            let dim = int_list(a, 1);
            Ok(Box::new(MeanBackward1 {
                self_sizes: t.shape().to_vec(),
                count: mean_count(t.shape(), dim.as_deref()),
                dim,
                keepdim: keepdim(a, 2),
            }))
        })),
        "aten.max.default" => D(derivative!("MaxBackward1", &[0], evenly_distribute)),
        "aten.min.default" => D(derivative!("MinBackward1", &[0], evenly_distribute)),
        "aten.max.dim" => D(derivative!(
            "MaxBackward0",
            &[0],
            value_selecting,
            outputs = &[true, false]
        )),
        "aten.min.dim" => D(derivative!(
            "MinBackward0",
            &[0],
            value_selecting,
            outputs = &[true, false]
        )),
        "aten.amax.default" => D(derivative!("AmaxBackward0", &[0], amax)),
        "aten.amin.default" => D(derivative!("AminBackward0", &[0], amax)),
        "aten.var.correction" => D(derivative!("VarBackward0", &[0], |a, _| moments(
            a, false, false
        ))),
        "aten.std.correction" => D(derivative!("StdBackward0", &[0], |a, _| moments(
            a, true, false
        ))),
        "aten.var_mean.correction" => D(derivative!("VarMeanBackward0", &[0], |a, _| moments(
            a, false, true
        ))),
        "aten.std_mean.correction" => D(derivative!("StdMeanBackward0", &[0], |a, _| moments(
            a, true, true
        ))),
        "aten.logsumexp.default" => D(derivative!("LogsumexpBackward0", &[0], |a, _| {
            Ok(Box::new(LogsumexpBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                dim: int_list(a, 1).unwrap_or_default(),
                keepdim: keepdim(a, 2),
                result: None,
            }))
        })),
        "aten.prod.default" => D(derivative!("ProdBackward0", &[0], |a, _| {
            Ok(Box::new(ProdBackward {
                self_: SavedVariable::input(tensor(a, 0)?),
                dim: None,
                keepdim: false,
                result: None,
            }))
        })),
        "aten.prod.dim_int" => D(derivative!("ProdBackward1", &[0], |a, _| {
            Ok(Box::new(ProdBackward {
                self_: SavedVariable::input(tensor(a, 0)?),
                dim: Some(int(a, 1)),
                keepdim: keepdim(a, 2),
                result: None,
            }))
        })),
        "aten.bernoulli.default" => D(derivative!("BernoulliBackward0", &[0], |_, _| {
            Ok(Box::new(BernoulliBackward { edges: 1, p: None }))
        })),
        "aten.bernoulli_.float" => D(derivative!("BernoulliBackward2", &[0], |_, _| {
            Ok(Box::new(BernoulliBackward { edges: 1, p: None }))
        })),
        "aten.bernoulli_.Tensor" => D(derivative!("BernoulliBackward1", &[0, 1], |a, _| {
            let p = tensor(a, 1)?;
            Ok(Box::new(BernoulliBackward {
                edges: 2,
                p: Some((p.shape().to_vec(), p.dtype(), p.device())),
            }))
        })),
        "aten.normal.Tensor_float" => D(derivative!("NormalBackward1", &[0], |a, _| {
            Ok(Box::new(NormalBackward {
                sizes: vec![tensor(a, 0)?.shape().to_vec()],
            }))
        })),
        "aten.normal.float_Tensor" => D(derivative!("NormalBackward2", &[1], |a, _| {
            Ok(Box::new(NormalBackward {
                sizes: vec![tensor(a, 1)?.shape().to_vec()],
            }))
        })),
        "aten.normal.Tensor_Tensor" => D(derivative!("NormalBackward3", &[0, 1], |a, _| {
            Ok(Box::new(NormalBackward {
                sizes: vec![
                    tensor(a, 0)?.shape().to_vec(),
                    tensor(a, 1)?.shape().to_vec(),
                ],
            }))
        })),
        "aten.cumprod.default" => D(derivative!("CumprodBackward0", &[0], |a, _| {
            Ok(Box::new(CumprodBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                dim: int(a, 1),
                result: None,
            }))
        })),
        // In place, PyTorch clones `self` first (original_self) and saves
        // the clone with the result.
        "aten.cumprod_.default" => D(derivative!(
            "CumprodBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(CumprodBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    dim: int(a, 1),
                    result: None,
                }))
            },
            original_self = |_| true
        )),
        "aten.logcumsumexp.default" => D(derivative!("LogcumsumexpBackward0", &[0], |a, _| {
            Ok(Box::new(LogcumsumexpBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                dim: int(a, 1),
                result: None,
            }))
        })),
        "aten.cumsum.default" | "aten.cumsum_.default" => {
            D(derivative!("CumsumBackward0", &[0], |a, _| {
                Ok(Box::new(CumsumBackward0 {
                    dim: int(a, 1),
                    self_dtype: tensor(a, 0)?.dtype(),
                }))
            }))
        }
        // norm.Scalar and norm.ScalarOpt_dim share linalg_vector_norm's
        // norm_backward (derivatives.yaml), under their own node names;
        // norm.Scalar's reduces every dim with keepdim semantics (no
        // unsqueeze of the gradient).
        "aten.norm.Scalar" => D(derivative!("NormBackward0", &[0], |a, _| {
            Ok(Box::new(LinalgVectorNormBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                ord: float(a, 1, 2.0),
                dim: Vec::new(),
                keepdim: true,
                result: None,
            }))
        })),
        "aten.norm.ScalarOpt_dim" => D(derivative!("NormBackward1", &[0], |a, _| {
            Ok(Box::new(LinalgVectorNormBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                ord: float(a, 1, 2.0),
                dim: int_list(a, 2).unwrap_or_default(),
                keepdim: keepdim(a, 3),
                result: None,
            }))
        })),
        "aten.dist.default" => D(derivative!("DistBackward0", &[0, 1], |a, _| {
            Ok(Box::new(DistBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                other: SavedVariable::input(tensor(a, 1)?),
                p: float(a, 2, 2.0),
                result: None,
            }))
        })),
        "aten.linalg_vector_norm.default" => {
            D(derivative!("LinalgVectorNormBackward0", &[0], |a, _| {
                Ok(Box::new(LinalgVectorNormBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    ord: float(a, 1, 2.0),
                    dim: int_list(a, 2).unwrap_or_default(),
                    keepdim: keepdim(a, 3),
                    result: None,
                }))
            }))
        }
        _ => return None,
    })
}

fn moments(
    a: &[IValue],
    sqrt: bool,
    with_mean: bool,
) -> crate::error::Result<Box<dyn crate::autograd::BackwardFn>> {
    Ok(Box::new(MomentsBackward {
        self_: SavedVariable::input(tensor(a, 0)?),
        dim: int_list(a, 1),
        correction: arg(a, 2),
        keepdim: keepdim(a, 3),
        sqrt,
        with_mean,
        result: None,
    }))
}

fn evenly_distribute(
    a: &[IValue],
    _: &[bool],
) -> crate::error::Result<Box<dyn crate::autograd::BackwardFn>> {
    Ok(Box::new(EvenlyDistributeBackward {
        self_: SavedVariable::input(tensor(a, 0)?),
        result: None,
    }))
}

fn value_selecting(
    a: &[IValue],
    _: &[bool],
) -> crate::error::Result<Box<dyn crate::autograd::BackwardFn>> {
    Ok(Box::new(ValueSelectingBackward {
        self_sizes: tensor(a, 0)?.shape().to_vec(),
        dim: int(a, 1),
        keepdim: keepdim(a, 2),
        indices: None,
    }))
}

fn amax(a: &[IValue], _: &[bool]) -> crate::error::Result<Box<dyn crate::autograd::BackwardFn>> {
    Ok(Box::new(AmaxBackward {
        self_: SavedVariable::input(tensor(a, 0)?),
        dim: int_list(a, 1).unwrap_or_default(),
        keepdim: keepdim(a, 2),
        result: None,
    }))
}

fn not_differentiable(op: &str) -> Option<Differentiability> {
    const OPS: &[&str] = &[
        "aten.argmax.default",
        "aten.argmin.default",
        "aten.all.default",
        "aten.any.default",
        "aten.all.dim",
        "aten.any.dim",
        "aten.all.dims",
        "aten.any.dims",
        "aten._is_all_true.default",
        "aten._is_any_true.default",
        "aten._local_scalar_dense.default",
        "aten.arange.default",
        "aten.arange.start",
        "aten.arange.start_step",
        "aten.full.default",
        "aten.full_like.default",
        "aten.new_zeros.default",
        "aten.new_ones.default",
        "aten.new_full.default",
        "aten.new_empty.default",
        "aten.scalar_tensor.default",
        "aten.lift_fresh.default",
        "aten.eye.default",
        "aten.eye.m",
        "aten.randint.default",
        "aten.randint.generator",
        "aten.randint.low",
        "aten.randint.low_generator",
        "aten.randint_like.default",
        "aten.randint_like.generator",
        "aten.randint_like.low_dtype",
        "aten.randint_like.low_generator_dtype",
        "aten.randperm.default",
        "aten.rand_like.default",
        "aten.rand_like.generator",
        "aten.randn_like.default",
        "aten.randn_like.generator",
        "aten.multinomial.default",
        "aten.normal.float_float",
    ];
    OPS.contains(&op)
        .then_some(Differentiability::NotDifferentiable)
}
