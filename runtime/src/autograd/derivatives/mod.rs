//! The derivative table: which node an operator creates, over which of its
//! arguments, and what it saves (PyTorch's `derivatives.yaml`).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `t` | TBackward0 | self | — |
//! | `view` | ViewBackward0 | self | self sizes |
//! | `expand` | ExpandBackward0 | self | self sizes |
//! | `unsqueeze` | UnsqueezeBackward0 | self | dim |
//! | `squeeze.dim` | SqueezeBackward1 | self | dim, self sizes |
//! | `select.int` | SelectBackward0 | self | self sizes, dim, index |
//! | `mm` | MmBackward0 | self, mat2 | the other operand and layouts |
//! | `addmm`, `addmm_` | AddmmBackward0 | self, mat1, mat2 | mat1/mat2 (as needed), layouts, beta, alpha |
//! | `add.Tensor`, `add_.Tensor` | AddBackward0 | self, other | alpha |
//! | `sub.Tensor` | SubBackward0 | self, other | alpha |
//! | `mul.Tensor` | MulBackward0 | self, other | the other operand |
//! | `mul.Scalar` | MulBackward1 | self | other |
//! | `neg` | NegBackward0 | self | — |
//! | `relu` | ReluBackward0 | self | result |
//! | `sum` | SumBackward0 | self | self sizes |
//! | `sum.dim_IntList` | SumBackward1 | self | self sizes, dim, keepdim |
//! | `mse_loss` | MseLossBackward0 | self, target | self, target, reduction |
//! | `clone` | CloneBackward0 | self | — |
//! | `_to_copy` | ToCopyBackward0 | self | self dtype and device |
//! | `stack` | StackBackward0 | every tensor of `tensors` | dim, number of tensors |
//!
//! Outputs of `detach` and of factories never require grad. Operators with
//! neither a row nor that property fail with a typed error when a graph
//! would have to be recorded through them.

mod complex;
mod decomp;
mod double_backward;
mod elementwise;
mod fft;
mod float_bits;
mod foreach;
mod indexing;
mod nn;
mod reduction;
mod rnn;
mod scatter_views;
mod selection;
mod sparse;
mod special;
mod statistics;
mod take_put;
mod trig;
mod utility;

use super::BackwardFn;
use super::functions::complex::real_inputs;
use super::functions::join::StackBackward0;
use super::functions::linalg::{AddmmBackward0, MatrixLayout, MmBackward0};
use super::functions::loss::MseLossBackward0;
use super::functions::pointwise::{
    AddBackward0, MulBackward0, MulBackward1, NegBackward0, ReluBackward0, SavedOperand,
    SubBackward0,
};
use super::functions::reduce::{SumBackward0, SumBackward1};
use super::functions::shape::{
    CloneBackward0, ExpandBackward0, SelectBackward0, SqueezeBackward1, TBackward0,
    ToCopyBackward0, UnsqueezeBackward0, ViewBackward0,
};
use super::saved::SavedVariable;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// Builds a backward function from the bound arguments and, per next edge
/// (differentiable input), whether it needs a gradient.
pub(crate) type BuildFn = fn(&[IValue], &[bool]) -> Result<Box<dyn BackwardFn>>;

/// How to build the node of one operator.
pub(crate) struct Derivative {
    /// PyTorch's node name.
    pub(crate) name: &'static str,
    /// Argument positions that receive gradients, in `next_functions` order.
    /// A `Tensor[]` argument gives one edge per element.
    pub(crate) inputs: &'static [usize],
    /// Builds the backward function from the bound arguments; `needs[i]`
    /// tells whether next edge `i` needs a gradient.
    pub(crate) build: BuildFn,
    /// Which outputs get this node as their history (PyTorch's
    /// `output_differentiability`); empty: every output.
    pub(crate) outputs: &'static [bool],
    /// For an in-place operator whose formula needs the original `self`:
    /// given which edges need a gradient, whether the autograd kernel first
    /// dispatches `clone(self)` (PyTorch's `original_self`, recorded with
    /// its own CloneBackward0); `build` then sees the clone as argument 0.
    pub(crate) original_self: fn(&[bool]) -> bool,
    /// PyTorch's autograd fallback for an operator without a formula: the
    /// node (`NotImplemented`) gets edges only for the tensors among
    /// `inputs` that require grad, takes no sequence number (reported as
    /// `u64::MAX`), and fails when backward reaches it.
    pub(crate) fallback: bool,
}

/// `original_self` of operators that never clone.
pub(crate) fn never(_: &[bool]) -> bool {
    false
}

/// `original_self` of the in-place forms whose formula reads the original
/// `self` (or whose generated code clones it regardless): they clone
/// whenever a node is recorded.
pub(crate) fn always(_: &[bool]) -> bool {
    true
}

/// What autograd knows about an operator.
pub(crate) enum Differentiability {
    /// A node is recorded with this derivative.
    Derivative(&'static Derivative),
    /// Outputs never require grad.
    NotDifferentiable,
    /// No formula: recording a graph through it is unsupported.
    Missing,
}

pub(super) fn tensor(args: &[IValue], i: usize) -> Result<&Tensor> {
    args.get(i)
        .and_then(IValue::as_tensor)
        .ok_or_else(|| RuntimeError::autograd(format!("derivative: argument {i} is not a tensor")))
}

pub(super) fn arg(args: &[IValue], i: usize) -> IValue {
    args.get(i).cloned().unwrap_or(IValue::None)
}

pub(super) fn int_list(args: &[IValue], i: usize) -> Option<Vec<i64>> {
    match args.get(i) {
        Some(IValue::IntList(v)) => Some(v.clone()),
        Some(IValue::Int(v)) => Some(vec![*v]),
        _ => None,
    }
}

pub(super) fn int(args: &[IValue], i: usize) -> i64 {
    match args.get(i) {
        Some(IValue::Int(v)) => *v,
        _ => 0,
    }
}

pub(super) fn needs(needs: &[bool], i: usize) -> bool {
    needs.get(i).copied().unwrap_or(false)
}

/// `&'static Derivative` literal: `derivative!("NameBackward0", &[inputs], build)`,
/// or with `outputs = &[true, false]` when only some outputs are differentiable,
/// or with `original_self = |needs| ...` for in-place operators that save a
/// clone of `self`, or `fallback` for PyTorch's `NotImplemented` node.
macro_rules! derivative {
    ($name:literal, $inputs:expr, $build:expr) => {
        &Derivative {
            name: $name,
            inputs: $inputs,
            build: $build,
            outputs: &[],
            original_self: $crate::autograd::derivatives::never,
            fallback: false,
        }
    };
    ($name:literal, $inputs:expr, $build:expr, outputs = $outputs:expr) => {
        &Derivative {
            name: $name,
            inputs: $inputs,
            build: $build,
            outputs: $outputs,
            original_self: $crate::autograd::derivatives::never,
            fallback: false,
        }
    };
    ($name:literal, $inputs:expr, $build:expr, original_self = $clone:expr) => {
        &Derivative {
            name: $name,
            inputs: $inputs,
            build: $build,
            outputs: &[],
            original_self: $clone,
            fallback: false,
        }
    };
    ($name:literal, $inputs:expr, $build:expr, fallback) => {
        &Derivative {
            name: $name,
            inputs: $inputs,
            build: $build,
            outputs: &[],
            original_self: $crate::autograd::derivatives::never,
            fallback: true,
        }
    };
}
#[allow(unused_imports)] // used by the family tables
pub(super) use derivative;

/// The autograd entry of an operator, by Python overload name: the core
/// table below, then each family's table.
pub(crate) fn lookup(op: &str) -> Differentiability {
    core(op)
        .or_else(|| complex::lookup(op))
        .or_else(|| elementwise::lookup(op))
        .or_else(|| reduction::lookup(op))
        .or_else(|| indexing::lookup(op))
        .or_else(|| take_put::lookup(op))
        .or_else(|| nn::lookup(op))
        .or_else(|| rnn::lookup(op))
        .or_else(|| foreach::lookup(op))
        .or_else(|| selection::lookup(op))
        .or_else(|| trig::lookup(op))
        .or_else(|| special::lookup(op))
        .or_else(|| utility::lookup(op))
        .or_else(|| double_backward::lookup(op))
        .or_else(|| decomp::lookup(op))
        .or_else(|| statistics::lookup(op))
        .or_else(|| fft::lookup(op))
        .or_else(|| float_bits::lookup(op))
        .or_else(|| scatter_views::lookup(op))
        .or_else(|| sparse::lookup(op))
        .unwrap_or(Differentiability::Missing)
}

fn core(op: &str) -> Option<Differentiability> {
    use Differentiability::{Derivative as D, NotDifferentiable};
    Some(match op {
        "aten.t.default" => D(derivative!("TBackward0", &[0], |_, _| Ok(Box::new(
            TBackward0
        )))),
        "aten.view.default" => D(derivative!("ViewBackward0", &[0], |a, _| {
            Ok(Box::new(ViewBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
            }))
        })),
        "aten.expand.default" => D(derivative!("ExpandBackward0", &[0], |a, _| {
            Ok(Box::new(ExpandBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
            }))
        })),
        "aten.unsqueeze.default" => D(derivative!("UnsqueezeBackward0", &[0], |a, _| {
            Ok(Box::new(UnsqueezeBackward0 { dim: int(a, 1) }))
        })),
        "aten.squeeze.dim" => D(derivative!("SqueezeBackward1", &[0], |a, _| {
            Ok(Box::new(SqueezeBackward1 {
                dim: int(a, 1),
                self_sizes: tensor(a, 0)?.shape().to_vec(),
            }))
        })),
        "aten.select.int" => D(derivative!("SelectBackward0", &[0], |a, _| {
            Ok(Box::new(SelectBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dim: int(a, 1),
                index: int(a, 2),
            }))
        })),
        "aten.mm.default" => D(derivative!("MmBackward0", &[0, 1], |a, n| {
            let (this, mat2) = (tensor(a, 0)?, tensor(a, 1)?);
            Ok(Box::new(MmBackward0 {
                self_: needs(n, 1).then(|| SavedVariable::input(this)),
                mat2: needs(n, 0).then(|| SavedVariable::input(mat2)),
                self_layout: MatrixLayout::of(this),
                mat2_layout: MatrixLayout::of(mat2),
            }))
        })),
        "aten.addmm.default" | "aten.addmm_.default" => {
            D(derivative!("AddmmBackward0", &[0, 1, 2], |a, n| {
                let (mat1, mat2) = (tensor(a, 1)?, tensor(a, 2)?);
                Ok(Box::new(AddmmBackward0 {
                    beta: arg(a, 3),
                    alpha: arg(a, 4),
                    mat1: needs(n, 2).then(|| SavedVariable::input(mat1)),
                    mat2: needs(n, 1).then(|| SavedVariable::input(mat2)),
                    mat1_layout: MatrixLayout::of(mat1),
                    mat2_layout: MatrixLayout::of(mat2),
                }))
            }))
        }
        "aten.add.Tensor" | "aten.add_.Tensor" => {
            D(derivative!("AddBackward0", &[0, 1], |a, _| {
                Ok(Box::new(AddBackward0 {
                    alpha: arg(a, 2),
                    real: real_inputs(a),
                }))
            }))
        }
        "aten.sub.Tensor" => D(derivative!("SubBackward0", &[0, 1], |a, _| {
            Ok(Box::new(SubBackward0 {
                alpha: arg(a, 2),
                real: real_inputs(a),
            }))
        })),
        "aten.mul.Tensor" => D(derivative!("MulBackward0", &[0, 1], |a, n| {
            Ok(Box::new(MulBackward0 {
                other: needs(n, 0).then(|| SavedOperand::of(&arg(a, 1))),
                self_: needs(n, 1).then(|| SavedOperand::of(&arg(a, 0))),
                real: real_inputs(a),
            }))
        })),
        "aten.mul.Scalar" => D(derivative!("MulBackward1", &[0], |a, _| {
            Ok(Box::new(MulBackward1 {
                other: arg(a, 1),
                real: real_inputs::<1>(a)[0],
            }))
        })),
        "aten.neg.default" => D(derivative!("NegBackward0", &[0], |_, _| Ok(Box::new(
            NegBackward0
        )))),
        "aten.relu.default" => D(derivative!("ReluBackward0", &[0], |_, _| {
            Ok(Box::new(ReluBackward0::default()))
        })),
        "aten.sum.default" => D(derivative!("SumBackward0", &[0], |a, _| {
            Ok(Box::new(SumBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
            }))
        })),
        "aten.sum.dim_IntList" => D(derivative!("SumBackward1", &[0], |a, _| {
            Ok(Box::new(SumBackward1 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dim: int_list(a, 1),
                keepdim: matches!(a.get(2), Some(IValue::Bool(true))),
            }))
        })),
        "aten.mse_loss.default" => D(derivative!("MseLossBackward0", &[0, 1], |a, _| {
            Ok(Box::new(MseLossBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                target: SavedVariable::input(tensor(a, 1)?),
                reduction: int(a, 2),
            }))
        })),
        "aten.clone.default" => D(derivative!("CloneBackward0", &[0], |_, _| {
            Ok(Box::new(CloneBackward0))
        })),
        "aten._to_copy.default" => D(derivative!("ToCopyBackward0", &[0], |a, _| {
            Ok(Box::new(ToCopyBackward0 {
                self_device: tensor(a, 0)?.device(),
                self_dtype: tensor(a, 0)?.dtype(),
            }))
        })),
        "aten.stack.default" => D(derivative!("StackBackward0", &[0], |a, _| {
            let count = match a.first() {
                Some(IValue::TensorList(ts)) => ts.len(),
                _ => {
                    return Err(RuntimeError::autograd(
                        "derivative: argument 0 is not a tensor list",
                    ));
                }
            };
            Ok(Box::new(StackBackward0 {
                dim: int(a, 1),
                count,
            }))
        })),
        "aten.detach.default"
        | "aten.detach_.default"
        | "aten.empty.memory_format"
        | "aten.empty_strided.default"
        | "aten.empty_like.default"
        | "aten.new_empty_strided.default"
        | "aten.zeros.default"
        | "aten.ones.default"
        | "aten.zeros_like.default"
        | "aten.ones_like.default"
        | "aten.randn.default"
        | "aten.randn.generator"
        | "aten.rand.default"
        | "aten.rand.generator" => NotDifferentiable,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::registry::Registry;

    #[test]
    fn every_registered_op_is_classified_and_inputs_are_tensor_args() {
        let registry = Registry::builtin().expect("table");
        for entry in registry.ops() {
            if let Differentiability::Derivative(d) = lookup(&entry.python_name) {
                for &i in d.inputs {
                    let arg = &entry.schema.arguments[i];
                    assert!(
                        arg.ty.is_tensor_like(),
                        "{}: {} is not a tensor",
                        entry.python_name,
                        arg.name
                    );
                }
            }
        }
    }
}
