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
use crate::autograd::saved::SavedVariable;
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

/// [`conj`] of a derivative factor of a holomorphic function (`cos(z)` in
/// SinBackward0); the `trig-grad-unconjugated` fault leaves it as it is.
pub(crate) fn conj_derivative(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    if rt.faults().trig_grad_unconjugated {
        return Ok(t.clone());
    }
    conj(rt, t)
}

/// [`conj`] of a product's factor in the gradients of `prod` and
/// `cumprod`; the `prod-grad-unconjugated` fault leaves it as it is.
pub(crate) fn conj_factor(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    if rt.faults().prod_grad_unconjugated {
        return Ok(t.clone());
    }
    conj(rt, t)
}

/// `conj` of a saved operand: a complex tensor's `_conj` view; a Python
/// complex is conjugated as its wrapped-number tensor (`_conj` of the
/// number, a 0-dim complex128); a real number is itself.
pub(crate) fn conj_operand(rt: &mut Runtime, v: IValue) -> Result<IValue> {
    if rt.faults().mul_backward_conj_dropped {
        return Ok(v);
    }
    match v {
        IValue::Tensor(t) if t.dtype().is_complex() => Ok(conj(rt, &t)?.into()),
        IValue::Complex(..) => Ok(call1(rt, "aten._conj.default", vec![v])?.into()),
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

/// The conjugate of a Python scalar (`alpha.conj()`): a complex number's
/// imaginary part negated; a real number is itself.
pub(crate) fn conj_scalar(s: &IValue) -> IValue {
    match s {
        IValue::Complex(re, im) => IValue::Complex(*re, -*im),
        other => other.clone(),
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

/// `t * other` (`mul.Tensor`).
fn mul(rt: &mut Runtime, t: &Tensor, other: &Tensor) -> Result<Tensor> {
    call1(rt, "aten.mul.Tensor", vec![t.into(), other.into()])
}

/// `t * 1j` (`mul.Scalar` by a Python complex; `-1j` under the fault
/// `polar-backward-negative-unit`).
fn times_i(rt: &mut Runtime, t: &Tensor, sign: f64) -> Result<Tensor> {
    call1(
        rt,
        "aten.mul.Scalar",
        vec![t.into(), IValue::Complex(0.0, sign)],
    )
}

/// `polar(abs, angle)`: PyTorch's `polar_backward(grad, result)`, both
/// gradients from one pass (observed in torch 2.15):
/// `grad_abs = real(grad.conj() * sgn(result))`,
/// `grad_angle = real(grad.conj() * (result * 1j))`.
/// With `z = r e^{iθ}`, `∂z/∂r = e^{iθ} = sgn(z)` and `∂z/∂θ = i z`; a real
/// input's gradient is `Re(conj(g) ∂z)`.
pub(crate) struct PolarBackward0 {
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for PolarBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = super::single(grads) else {
            return Ok(vec![None, None]);
        };
        let result = saved(ctx, self.result.as_ref())?;
        let rt = &mut *ctx.rt;
        let grad_conj = conj(rt, &g)?;
        let sgn = call1(rt, "aten.sgn.default", vec![(&result).into()])?;
        let along = mul(rt, &grad_conj, &sgn)?;
        let grad_abs = part(rt, &along, 0)?;
        let sign = if rt.faults().polar_backward_negative_unit {
            -1.0
        } else {
            1.0
        };
        let turned = times_i(rt, &result, sign)?;
        let across = mul(rt, &grad_conj, &turned)?;
        let grad_angle = part(rt, &across, 0)?;
        Ok(vec![
            ctx.needs(0).then_some(grad_abs),
            ctx.needs(1).then_some(grad_angle),
        ])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(result) = outputs.first() {
            self.result = Some(SavedVariable::output(result, 0));
        }
    }

    fn release_variables(&mut self) {
        if let Some(s) = &mut self.result {
            s.release();
        }
    }
}

/// A saved variable, or PyTorch's error for a graph freed by an earlier
/// backward.
fn saved(ctx: &BackwardCtx<'_>, s: Option<&SavedVariable>) -> Result<Tensor> {
    match s {
        Some(s) => s.unpack(ctx.node),
        None => Err(RuntimeError::GraphFreed {
            node: ctx.node.name().to_owned(),
        }),
    }
}

/// `angle(self)`: PyTorch's `angle_backward(grad, self)`. Complex `self`:
/// `where(self == 0, zeros({}), grad * self / self.abs().pow(2) * 1j)`
/// (`∂θ/∂z̄`-style conjugate Wirtinger form: `θ = Im log z`, so the real
/// gradient `g` flows back as `i g z / |z|²`); real `self`: `zeros_like`.
pub(crate) struct AngleBackward0 {
    pub(crate) self_: SavedVariable,
}

impl BackwardFn for AngleBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = super::single(grads) else {
            return Ok(vec![None]);
        };
        let x = self.self_.unpack(ctx.node)?;
        let rt = &mut *ctx.rt;
        if !x.dtype().is_complex() {
            let zeros = call1(
                rt,
                "aten.zeros_like.default",
                vec![
                    (&x).into(),
                    IValue::None,
                    IValue::None,
                    IValue::None,
                    IValue::None,
                    IValue::MemoryFormat(crate::tensor::options::MemoryFormat::Preserve),
                ],
            )?;
            return Ok(vec![Some(zeros)]);
        }
        let modulus = call1(rt, "aten.abs.default", vec![(&x).into()])?;
        let squared = call1(
            rt,
            "aten.pow.Tensor_Scalar",
            vec![(&modulus).into(), IValue::Int(2)],
        )?;
        let scaled = mul(rt, &g, &x)?;
        let ratio = call1(
            rt,
            "aten.div.Tensor",
            vec![(&scaled).into(), (&squared).into()],
        )?;
        let turned = times_i(rt, &ratio, 1.0)?;
        let zero = call1(
            rt,
            "aten.zeros.default",
            vec![
                IValue::IntList(Vec::new()),
                IValue::Dtype(x.dtype()),
                IValue::Layout(crate::tensor::options::Layout::Strided),
                IValue::Device(x.device()),
            ],
        )?;
        let at_zero = call1(rt, "aten.eq.Scalar", vec![(&x).into(), IValue::Float(0.0)])?;
        let out = call1(
            rt,
            "aten.where.self",
            vec![(&at_zero).into(), (&zero).into(), (&turned).into()],
        )?;
        Ok(vec![Some(out)])
    }

    fn release_variables(&mut self) {
        self.self_.release();
    }
}

/// `sgn(self)` of a complex `self`: PyTorch's `sgn_backward(self, grad,
/// result)` (observed in torch 2.15):
/// `((grad - (sgn * sgn) * grad.conj()) / (2 * |self|)).masked_fill_(|self| == 0, 0)`.
/// With `s = z/|z|`, the conjugate Wirtinger derivative gives
/// `(g − s² ḡ) / (2|z|)`; zero where `z` is zero.
pub(crate) struct ComplexSgnBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for ComplexSgnBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = super::single(grads) else {
            return Ok(vec![None]);
        };
        let x = self.self_.unpack(ctx.node)?;
        let sgn = saved(ctx, self.result.as_ref())?;
        let rt = &mut *ctx.rt;
        let modulus = call1(rt, "aten.abs.default", vec![(&x).into()])?;
        let twice = call1(
            rt,
            "aten.mul.Scalar",
            vec![(&modulus).into(), IValue::Float(2.0)],
        )?;
        let grad_conj = conj(rt, &g)?;
        let squared = mul(rt, &sgn, &sgn)?;
        let turned = mul(rt, &squared, &grad_conj)?;
        let diff = call1(
            rt,
            "aten.sub.Tensor",
            vec![(&g).into(), (&turned).into(), IValue::Int(1)],
        )?;
        let out = call1(rt, "aten.div.Tensor", vec![(&diff).into(), (&twice).into()])?;
        let at_zero = call1(
            rt,
            "aten.eq.Scalar",
            vec![(&modulus).into(), IValue::Float(0.0)],
        )?;
        let out = call1(
            rt,
            "aten.masked_fill_.Scalar",
            vec![(&out).into(), (&at_zero).into(), IValue::Float(0.0)],
        )?;
        Ok(vec![Some(out)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(result) = outputs.first() {
            self.result = Some(SavedVariable::output(result, 0));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        if let Some(s) = &mut self.result {
            s.release();
        }
    }
}
