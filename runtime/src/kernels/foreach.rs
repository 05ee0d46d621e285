//! CPU (and meta) kernels of the `_foreach_*` operators.
//!
//! A `_foreach_X` operator applies the single-tensor operator `X` to every
//! element of its first tensor list (PyTorch's CPU "slow path": one call of
//! the single-tensor kernel per element). So every element keeps its own
//! dtype, shape and layout rules, and a scalar operand promotes with each
//! element exactly as it would with the single-tensor operator.
//!
//! * `_foreach_X(...) -> Tensor[]` returns one new tensor per element, as a
//!   [`IValue::TensorList`] (the trace records it as one list value).
//! * `_foreach_X_(Tensor(a!)[] self, ...) -> ()` writes each element of
//!   `self` and returns nothing. The operators have no ADInplaceOrView
//!   kernel; the per-element in-place calls inside PyTorch's kernel bump
//!   each element's version, except under a dispatch mode (the capture),
//!   whose fallback runs them below that key (observed in torch 2.15; the
//!   dispatch walk models both).
//!
//! One kernel serves each operator group; it reads the base name, the
//! in-place suffix and the overload (`Scalar`, `List`, `ScalarList`,
//! `Tensor`, ...) from the operator name ([`ForeachCall`]). Element loops
//! run in f64 over [`crate::tensor::Tensor::read_f64`] and are cast to the
//! result dtype once (see [`map`]).

mod amp;
mod binary;
mod copy;
mod fused;
mod map;
mod norm;
mod ternary;
#[cfg(test)]
mod tests;
mod unary;

use super::{Kernel, KernelCtx};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    match op {
        "aten._amp_foreach_non_finite_check_and_unscale_.default" => return Some(amp::unscale_),
        "aten._amp_update_scale_.default" => return Some(amp::update_scale_),
        "aten._fused_sgd_.default" | "aten._fused_sgd_.tensor_lr" => return Some(fused::sgd),
        "aten._fused_adam_.default"
        | "aten._fused_adam_.tensor_lr"
        | "aten._fused_adamw_.default"
        | "aten._fused_adamw_.tensor_lr" => return Some(fused::adam),
        "aten._fused_adagrad_.default" | "aten._fused_adagrad_.tensor_lr" => {
            return Some(fused::adagrad);
        }
        _ => {}
    }
    let call = ForeachCall::parse(op)?;
    Some(match call.base {
        "add" | "sub" | "mul" | "div" | "maximum" | "minimum" | "clamp_min" | "clamp_max"
        | "pow" => binary::kernel,
        "addcmul" | "addcdiv" | "lerp" => ternary::kernel,
        "sqrt" | "rsqrt" | "neg" | "reciprocal" | "sign" | "abs" | "exp" | "expm1" | "log"
        | "log1p" | "sigmoid" | "tanh" | "sin" | "cos" | "floor" | "ceil" | "round" | "trunc" => {
            unary::kernel
        }
        "zero" => unary::zero_,
        "copy" => copy::copy_,
        "norm" => norm::norm,
        _ => return None,
    })
}

/// A `_foreach_*` operator name taken apart:
/// `aten._foreach_add_.List` is base `add`, in place, overload `List`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ForeachCall<'a> {
    /// The single-tensor operator's name (`add`, `clamp_min`).
    pub(super) base: &'a str,
    /// Whether the operator writes its `self` list.
    pub(super) inplace: bool,
    /// The overload name (`default` for none).
    pub(super) overload: &'a str,
}

impl<'a> ForeachCall<'a> {
    /// Parses `aten._foreach_<base>[_].<overload>`.
    pub(super) fn parse(op: &'a str) -> Option<ForeachCall<'a>> {
        let rest = op.strip_prefix("aten._foreach_")?;
        let (name, overload) = rest.split_once('.')?;
        let (base, inplace) = match name.strip_suffix('_') {
            Some(base) => (base, true),
            None => (name, false),
        };
        Some(ForeachCall {
            base,
            inplace,
            overload,
        })
    }

    /// The call of the kernel's own operator.
    pub(super) fn of(ctx: &KernelCtx<'a>) -> Result<ForeachCall<'a>> {
        ForeachCall::parse(ctx.op)
            .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a foreach kernel for this operator"))
    }
}

/// The first tensor list of a foreach operator; empty lists are refused
/// with PyTorch's message.
pub(super) fn self_list<'a>(ctx: &KernelCtx<'_>, a: &Args<'a>, i: usize) -> Result<&'a [Tensor]> {
    let list = a.tensor_list(i)?;
    if list.is_empty() {
        return Err(RuntimeError::shape(
            ctx.op,
            "Tensor list must have at least one tensor.",
        ));
    }
    for (k, t) in list.iter().enumerate() {
        ctx.check(t, &format!("self[{k}]"))?;
    }
    Ok(list)
}

/// Another tensor list of the operator, which must be as long as `self`.
pub(super) fn other_list<'a>(
    ctx: &KernelCtx<'_>,
    a: &Args<'a>,
    i: usize,
    len: usize,
) -> Result<&'a [Tensor]> {
    let list = a.tensor_list(i)?;
    if list.len() != len {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Tensor lists must have the same number of tensors, got {len} and {}",
                list.len()
            ),
        ));
    }
    for (k, t) in list.iter().enumerate() {
        ctx.check(t, &format!("[{k}]"))?;
    }
    Ok(list)
}

/// A `Scalar[]` argument as wrapped numbers (ints give int64 numbers,
/// floats float64 ones, each keeping its own kind in a mixed list), as
/// long as `self`.
pub(super) fn scalar_list<'a>(
    ctx: &KernelCtx<'_>,
    a: &Args<'a>,
    i: usize,
    len: usize,
) -> Result<Vec<Operand<'a>>> {
    let scalars: Vec<Operand<'a>> = match a.values.get(i) {
        Some(IValue::IntList(v)) => v
            .iter()
            .map(|&x| Operand::Scalar(x as f64, DType::Int64))
            .collect(),
        Some(IValue::FloatList(v)) => v
            .iter()
            .map(|&x| Operand::Scalar(x, DType::Float64))
            .collect(),
        Some(IValue::ScalarList(v)) => v
            .iter()
            .map(|x| match x {
                IValue::Int(i) => Operand::Scalar(*i as f64, DType::Int64),
                IValue::Bool(b) => Operand::Scalar(f64::from(u8::from(*b)), DType::Bool),
                IValue::Float(f) => Operand::Scalar(*f, DType::Float64),
                _ => Operand::Scalar(0.0, DType::Float64),
            })
            .collect(),
        _ => {
            return Err(RuntimeError::ArgumentType {
                op: ctx.op.to_owned(),
                arg: format!("#{i}"),
                expected: "Scalar[]".into(),
                got: a.values.get(i).map_or("nothing", IValue::kind).into(),
            });
        }
    };
    if scalars.len() != len {
        return Err(RuntimeError::shape(
            ctx.op,
            "Tensor list must have same number of elements as scalar list.",
        ));
    }
    Ok(scalars)
}

/// The value of a wrapped-number operand (tensors have none).
pub(super) fn scalar_value(o: &Operand<'_>) -> f64 {
    match o {
        Operand::Scalar(v, _) => *v,
        Operand::BigInt(v) => *v as f64,
        Operand::Tensor(_) => 0.0,
    }
}

/// A Python number as a kernel computing in `dtype` sees it: float32,
/// float16 and bfloat16 compute in float32 ("opmath"), so the number is
/// rounded to float32; float64 and integer kernels take it as is.
pub(super) fn opmath_scalar(v: f64, dtype: DType) -> f64 {
    match dtype {
        DType::Float32 | DType::Float16 | DType::BFloat16 => f64::from(v as f32),
        _ => v,
    }
}

/// A Python number rounded to the element dtype itself (through float32,
/// as PyTorch converts a `Scalar` to `Half` / `BFloat16`).
pub(super) fn element_scalar(v: f64, dtype: DType) -> f64 {
    match dtype {
        DType::Float16 => half::f16::from_f32(v as f32).to_f64(),
        DType::BFloat16 => half::bf16::from_f32(v as f32).to_f64(),
        other => opmath_scalar(v, other),
    }
}

/// The results of a foreach kernel: the new tensors as one list, or nothing
/// for an in-place operator.
pub(super) fn results(inplace: bool, outs: Vec<Tensor>) -> Vec<IValue> {
    if inplace {
        Vec::new()
    } else {
        vec![IValue::TensorList(outs)]
    }
}
