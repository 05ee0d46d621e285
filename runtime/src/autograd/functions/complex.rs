//! Backward of the complex views: ViewAsRealBackward0,
//! ViewAsComplexBackward0, ConjBackward0; ComplexBackward0; the real part
//! a real input's gradient keeps (`handle_r_to_c`); and the conjugation PyTorch's
//! formulas apply to a complex operand (conjugate Wirtinger calculus:
//! MulBackward0 of a complex product is `grad * other.conj()`).
//!
//! `t.conj()` of a real tensor is `t` itself (no call); of a complex one it
//! dispatches `_conj`, a view with the conjugate bit, which the next
//! non-conjugate-aware operator materializes with a recorded `clone`
//! (`crate::runtime::conj_fallback`).

use super::one_to_one;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

fn call1(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    rt.dispatch(op, args)?
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
}

/// `t.conj()`: `_conj(t)` for a complex tensor, `t` otherwise.
pub(crate) fn conj(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    if t.dtype().is_complex() {
        call1(rt, "aten._conj.default", vec![t.into()])
    } else {
        Ok(t.clone())
    }
}

/// `conj` of a saved operand (a wrapped number is real).
pub(crate) fn conj_operand(rt: &mut Runtime, v: IValue) -> Result<IValue> {
    match v {
        IValue::Tensor(t) if t.dtype().is_complex() && !rt.faults().mul_backward_conj_dropped => {
            Ok(conj(rt, &t)?.into())
        }
        other => Ok(other),
    }
}

/// `at::real(t)` (`part` 0) or `at::imag(t)` (`part` 1) of a complex
/// tensor: `view_as_real` (of `_conj(t)` for a conjugate view) and
/// `select(dim() - 1, part)`. The imaginary part of a conjugate view is a
/// negative view in PyTorch, which the runtime lacks.
pub(crate) fn part(rt: &mut Runtime, t: &Tensor, part: i64) -> Result<Tensor> {
    let base = if t.is_conj() {
        if part == 1 {
            return Err(RuntimeError::unsupported(
                "aten.imag",
                "the imaginary part of a conjugate view (a negative view)",
            ));
        }
        call1(rt, "aten._conj.default", vec![t.into()])?
    } else {
        t.clone()
    };
    let parts = call1(rt, "aten.view_as_real.default", vec![(&base).into()])?;
    let dim = parts.shape().len() as i64 - 1;
    call1(
        rt,
        "aten.select.int",
        vec![(&parts).into(), IValue::Int(dim), IValue::Int(part)],
    )
}

/// PyTorch's `handle_r_to_c`: the gradient of a real input is the real
/// part of a complex gradient (`real` says whether the input is real).
pub(crate) fn handle_r_to_c(rt: &mut Runtime, real: bool, g: Tensor) -> Result<Tensor> {
    if real && g.dtype().is_complex() {
        let imag = rt.faults().real_grad_takes_imag;
        part(rt, &g, i64::from(imag))
    } else {
        Ok(g)
    }
}

/// Per tensor argument `i` of `args` (the first `N`): whether it is a
/// real tensor, whose gradient [`handle_r_to_c`] makes real.
pub(crate) fn real_inputs<const N: usize>(args: &[IValue]) -> [bool; N] {
    std::array::from_fn(
        |i| matches!(args.get(i), Some(IValue::Tensor(t)) if !t.dtype().is_complex()),
    )
}

/// `complex(real, imag)`: d/dimag = `at::imag(grad)`, d/dreal =
/// `at::real(grad)` (observed in torch 2.15: imag's first).
pub(crate) struct ComplexBackward0;

impl BackwardFn for ComplexBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = super::single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(1) {
            out[1] = Some(part(ctx.rt, &g, 1)?);
        }
        if ctx.needs(0) {
            out[0] = Some(part(ctx.rt, &g, 0)?);
        }
        Ok(out)
    }
}

/// `t.contiguous()`: `clone(t, memory_format=contiguous_format)` unless
/// already contiguous (no call).
fn contiguous(rt: &mut Runtime, t: Tensor) -> Result<Tensor> {
    if t.is_contiguous() {
        return Ok(t);
    }
    call1(
        rt,
        "aten.clone.default",
        vec![
            (&t).into(),
            IValue::MemoryFormat(crate::tensor::options::MemoryFormat::Contiguous),
        ],
    )
}

/// `view_as_real(self)`: `view_as_complex(grad.contiguous())`.
pub(crate) struct ViewAsRealBackward0;

impl BackwardFn for ViewAsRealBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| {
            let g = contiguous(ctx.rt, g)?;
            call1(ctx.rt, "aten.view_as_complex.default", vec![g.into()])
        })
    }
}

/// `view_as_complex(self)`: `view_as_real(grad.contiguous().resolve_conj())`.
pub(crate) struct ViewAsComplexBackward0;

impl BackwardFn for ViewAsComplexBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| {
            let g = contiguous(ctx.rt, g)?;
            let g = if g.is_conj() {
                call1(ctx.rt, "aten._conj_physical.default", vec![(&g).into()])?
            } else {
                g
            };
            call1(ctx.rt, "aten.view_as_real.default", vec![g.into()])
        })
    }
}

/// `_conj(self)`: `grad.conj()`.
pub(crate) struct ConjBackward0;

impl BackwardFn for ConjBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| conj(ctx.rt, &g))
    }
}
