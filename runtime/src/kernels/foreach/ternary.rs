//! Foreach operators over two more tensor lists: `addcmul`
//! (`self + value * t1 * t2`), `addcdiv` (`self + value * t1 / t2`) and
//! `lerp` (`self + weight * (end - self)`), in place and out of place.
//!
//! The coefficient per element comes from the overload: `Scalar` (one
//! number), `ScalarList` (one number per element), `Tensor` (addcmul and
//! addcdiv: a 1-D tensor with one value per element) or `List` (lerp: a
//! weight tensor per element, broadcasting like the other operands).

use super::map::apply;
use super::{
    ForeachCall, opmath_scalar, other_list, results, scalar_list, scalar_value, self_list,
};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::elementwise::{addcdiv_formula, addcmul_formula, lerp_formula};
use crate::kernels::pointwise::result_type;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The coefficient of each element: argument `i` by overload.
fn coefficient<'a>(
    ctx: &KernelCtx<'_>,
    a: &Args<'a>,
    overload: &str,
    i: usize,
    len: usize,
) -> Result<Vec<Operand<'a>>> {
    Ok(match overload {
        "Scalar" => vec![a.operand(i)?; len],
        "ScalarList" => scalar_list(ctx, a, i, len)?,
        "List" => other_list(ctx, a, i, len)?
            .iter()
            .map(Operand::Tensor)
            .collect(),
        "Tensor" => packed_scalars(ctx, a.tensor(i)?, len)?,
        other => {
            return Err(RuntimeError::unsupported(
                ctx.op,
                format!("the foreach overload {other}"),
            ));
        }
    })
}

/// The values of a packed 1-D scalar tensor (`addcmul_.Tensor`), with
/// PyTorch's checks.
fn packed_scalars<'a>(ctx: &KernelCtx<'_>, t: &Tensor, len: usize) -> Result<Vec<Operand<'a>>> {
    ctx.check(t, "scalars")?;
    if t.dim() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected packed scalar Tensor to be of dimension 1. Got {} instead.",
                t.dim()
            ),
        ));
    }
    if t.numel() != len {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected length of scalars to match input of length {len} but got {} instead.",
                t.numel()
            ),
        ));
    }
    let kind = if t.dtype().is_floating() {
        DType::Float64
    } else {
        DType::Int64
    };
    let values = if ctx.has_data() {
        t.read_f64(ctx.op)?
    } else {
        vec![0.0; len]
    };
    Ok(values
        .into_iter()
        .map(|v| Operand::Scalar(v, kind))
        .collect())
}

/// Element `i`'s coefficient.
fn at<'a>(coefficients: &[Operand<'a>], i: usize) -> Operand<'a> {
    coefficients
        .get(i)
        .copied()
        .unwrap_or(Operand::Scalar(1.0, DType::Int64))
}

/// Kernel of every `addcmul`, `addcdiv` and `lerp` foreach overload.
pub(super) fn kernel(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let call = ForeachCall::of(ctx)?;
    let this = self_list(ctx, &a, 0)?;
    let first = other_list(ctx, &a, 1, this.len())?;
    let mut outs = Vec::with_capacity(this.len());
    if call.base == "lerp" {
        let weight = coefficient(ctx, &a, call.overload, 2, this.len())?;
        for (i, (x, end)) in this.iter().zip(first).enumerate() {
            outs.push(lerp(ctx, call.inplace, x, end, at(&weight, i))?);
        }
    } else {
        let second = other_list(ctx, &a, 2, this.len())?;
        let value = coefficient(ctx, &a, call.overload, 3, this.len())?;
        let divide = call.base == "addcdiv";
        for (i, ((x, t1), t2)) in this.iter().zip(first).zip(second).enumerate() {
            outs.push(addc(ctx, call.inplace, divide, x, t1, t2, at(&value, i))?);
        }
    }
    Ok(results(call.inplace, outs))
}

/// One element of `addcmul` / `addcdiv`.
fn addc(
    ctx: &KernelCtx<'_>,
    inplace: bool,
    divide: bool,
    x: &Tensor,
    t1: &Tensor,
    t2: &Tensor,
    value: Operand<'_>,
) -> Result<Tensor> {
    if divide && t1.dtype().is_integral(true) && t2.dtype().is_integral(true) {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: ADDCDIV_INTEGER.into(),
        });
    }
    let operands = [Operand::Tensor(x), Operand::Tensor(t1), Operand::Tensor(t2)];
    let computed = result_type(ctx, &operands);
    // Observed in torch 2.15: the foreach kernels cast `value` to the
    // element type, so an integer element takes the truncated value.
    let v = if computed.is_integral(true) {
        scalar_value(&value).trunc()
    } else {
        opmath_scalar(scalar_value(&value), computed)
    };
    let others = [Operand::Tensor(t1), Operand::Tensor(t2)];
    if computed.is_floating() && !ctx.faults.foreach_addc_uncast {
        // PyTorch's CPU foreach calls the dense kernel on each element.
        return if divide {
            apply(
                ctx,
                inplace,
                x,
                &others,
                computed,
                addcdiv_formula(computed, v),
            )
        } else {
            apply(
                ctx,
                inplace,
                x,
                &others,
                computed,
                addcmul_formula(computed, v),
            )
        };
    }
    apply(ctx, inplace, x, &others, computed, |e| {
        if divide {
            e[0] + v * (e[1] / e[2])
        } else {
            e[0] + v * e[1] * e[2]
        }
    })
}

/// PyTorch's refusal of integer `addcdiv`.
const ADDCDIV_INTEGER: &str = "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.";

/// One element of `lerp`: floating `self`, `end` (and a weight tensor) of
/// the same dtype.
fn lerp(
    ctx: &KernelCtx<'_>,
    inplace: bool,
    x: &Tensor,
    end: &Tensor,
    weight: Operand<'_>,
) -> Result<Tensor> {
    let dtype = x.dtype();
    if !dtype.is_floating() {
        return Err(RuntimeError::UnsupportedDtype {
            op: ctx.op.to_owned(),
            arg: "self".into(),
            dtype: dtype.name().into(),
        });
    }
    same_dtype(ctx, dtype, end.dtype(), "end")?;
    if let Operand::Tensor(w) = weight {
        same_dtype(ctx, dtype, w.dtype(), "weight")?;
    }
    let weight = match weight {
        Operand::Scalar(w, kind) => Operand::Scalar(opmath_scalar(w, dtype), kind),
        tensor => tensor,
    };
    let others = [Operand::Tensor(end), weight];
    if !ctx.faults.foreach_lerp_unfused {
        // PyTorch's CPU foreach runs the dense `lerp_` on each element: the
        // same fused multiply-add in the dtype's compute precision.
        return apply(ctx, inplace, x, &others, dtype, lerp_formula(dtype));
    }
    apply(ctx, inplace, x, &others, dtype, |e| {
        let (s, t, w) = (e[0], e[1], e[2]);
        if w.abs() < 0.5 {
            s + w * (t - s)
        } else {
            t - (t - s) * (1.0 - w)
        }
    })
}

/// lerp's check that an operand has `self`'s dtype.
fn same_dtype(ctx: &KernelCtx<'_>, want: DType, got: DType, arg: &str) -> Result<()> {
    if want == got {
        return Ok(());
    }
    Err(RuntimeError::TypeCast {
        op: ctx.op.to_owned(),
        message: format!(
            "expected dtype {} for `{arg}` but got dtype {}",
            want.type_meta_name(),
            got.type_meta_name()
        ),
    })
}
