//! Complex elements of the binary foreach operators `_foreach_add`,
//! `_foreach_sub`, `_foreach_mul` and `_foreach_div` (every overload, in
//! place and out of place): `clip_grad_norm_`'s `_foreach_mul_` of complex
//! gradients by the real clip coefficient, SGD's momentum and weight decay
//! on complex parameters; and of the out-of-place unary ones with a complex
//! single-tensor kernel (`_foreach_neg`, as `maximize=True` negates complex
//! gradients in the foreach SGD and Adam family, `abs`, `exp`, `log`,
//! `sqrt`, `reciprocal`, `sigmoid`, `tanh`, `sin`, `cos`).
//!
//! PyTorch's CPU kernels of these operators call the single-tensor operator
//! once per element, so an element with a complex operand runs the complex
//! single-tensor kernel ([`super::arith`]) and every other element the real
//! foreach kernel on a list of that one element.

use super::{KernelCtx, any_complex, arith};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::foreach::ForeachCall;
use crate::tensor::Tensor;

/// The complex single-tensor kernel of a foreach operator's element.
fn element_kernel(call: &ForeachCall<'_>) -> Option<crate::kernels::Kernel> {
    Some(match (call.base, call.inplace) {
        ("add", false) => arith::add,
        ("add", true) => arith::add_,
        ("sub", false) => arith::sub,
        ("sub", true) => arith::sub_,
        ("mul", false) => arith::mul,
        ("mul", true) => arith::mul_,
        ("div", false) => arith::div,
        ("div", true) => arith::div_,
        _ => return None,
    })
}

/// The complex single-tensor kernel of an out-of-place unary foreach
/// operator's element.
pub(super) fn unary_element_kernel(call: &ForeachCall<'_>) -> Option<crate::kernels::Kernel> {
    if call.inplace || call.overload != "default" {
        return None;
    }
    Some(match call.base {
        "neg" => arith::neg,
        "abs" => arith::abs,
        "exp" => arith::exp,
        "log" => arith::log,
        "sqrt" => arith::sqrt,
        "reciprocal" => arith::reciprocal,
        "sigmoid" => arith::sigmoid,
        "tanh" => arith::tanh,
        "sin" => arith::sin,
        "cos" => arith::cos,
        _ => return None,
    })
}

/// Kernel of an out-of-place unary foreach operator when an element is
/// complex (that element through the complex single-tensor kernel, every
/// other one through the real foreach kernel on a list of one); the real
/// foreach kernel otherwise.
pub(crate) fn unary(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let real = crate::kernels::lookup_real(ctx.op)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a CPU kernel"))?;
    let call = ForeachCall::of(ctx)?;
    let (Some(single), true) = (unary_element_kernel(&call), any_complex(&a)) else {
        return real(ctx, a);
    };
    let this = a.tensor_list(0)?;
    let mut outs: Vec<Tensor> = Vec::with_capacity(this.len());
    for t in this {
        let (kernel, value) = if t.dtype().is_complex() {
            (single, IValue::Tensor(t.clone()))
        } else {
            (real, IValue::TensorList(vec![t.clone()]))
        };
        let values = [value];
        let result = kernel(
            ctx,
            Args {
                op: a.op,
                schema: a.schema,
                values: &values,
            },
        )?;
        let out = result.into_iter().next().and_then(|v| match v {
            IValue::Tensor(t) => Some(t),
            IValue::TensorList(ts) => ts.into_iter().next(),
            _ => None,
        });
        outs.push(out.ok_or_else(|| RuntimeError::unsupported(ctx.op, "a list result"))?);
    }
    Ok(vec![IValue::TensorList(outs)])
}

/// The second operand of element `i` as the single-tensor operator takes
/// it (`as_list`: as the foreach operator takes it, a list of one).
fn other_of(a: &Args<'_>, overload: &str, i: usize, as_list: bool) -> Result<IValue> {
    let value = a
        .values
        .get(1)
        .ok_or_else(|| RuntimeError::MissingArgument {
            op: a.op.to_owned(),
            arg: "other".into(),
        })?;
    let missing = || RuntimeError::shape(a.op, format!("no operand for list element {i}"));
    let item = match (overload, value) {
        ("List", IValue::TensorList(ts)) => IValue::Tensor(ts.get(i).ok_or_else(missing)?.clone()),
        ("ScalarList", IValue::IntList(v)) => IValue::Int(*v.get(i).ok_or_else(missing)?),
        ("ScalarList", IValue::FloatList(v)) => IValue::Float(*v.get(i).ok_or_else(missing)?),
        ("ScalarList", IValue::ScalarList(v)) => v.get(i).ok_or_else(missing)?.clone(),
        _ => return Ok(value.clone()),
    };
    Ok(match (as_list, item) {
        (true, IValue::Tensor(t)) => IValue::TensorList(vec![t]),
        (true, scalar) => IValue::ScalarList(vec![scalar]),
        (false, item) => item,
    })
}

/// Kernel of `_foreach_{add,sub,mul,div}[_]` when an element is complex;
/// the real foreach kernel otherwise.
pub(crate) fn binary(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let real = crate::kernels::lookup_real(ctx.op)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a CPU kernel"))?;
    let call = ForeachCall::of(ctx)?;
    let single = element_kernel(&call);
    let (Some(single), true) = (single, any_complex(&a)) else {
        return real(ctx, a);
    };
    let this = a.tensor_list(0)?;
    let as_list = matches!(call.overload, "List" | "ScalarList");
    let mut outs: Vec<Tensor> = Vec::with_capacity(this.len());
    for (i, t) in this.iter().enumerate() {
        let mut values = vec![
            IValue::Tensor(t.clone()),
            other_of(&a, call.overload, i, false)?,
        ];
        values.extend(a.values.iter().skip(2).cloned());
        let element = Args {
            op: a.op,
            schema: a.schema,
            values: &values,
        };
        let result = if any_complex(&element) {
            single(ctx, element)?
        } else {
            values[0] = IValue::TensorList(vec![t.clone()]);
            if as_list {
                values[1] = other_of(&a, call.overload, i, true)?;
            }
            real(
                ctx,
                Args {
                    op: a.op,
                    schema: a.schema,
                    values: &values,
                },
            )?
        };
        if !call.inplace {
            let out = result.into_iter().next().and_then(|v| match v {
                IValue::Tensor(t) => Some(t),
                IValue::TensorList(ts) => ts.into_iter().next(),
                _ => None,
            });
            outs.push(out.ok_or_else(|| RuntimeError::unsupported(ctx.op, "a list result"))?);
        }
    }
    Ok(if call.inplace {
        Vec::new()
    } else {
        vec![IValue::TensorList(outs)]
    })
}
