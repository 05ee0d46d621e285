//! Double backward of the activations' backward kernels:
//! `TanhBackwardBackward0`, `SigmoidBackwardBackward0`,
//! `ThresholdBackwardBackward0` (ReLU), `LeakyReluBackwardBackward0`,
//! `HardtanhBackwardBackward0`, `GeluBackwardBackward0`,
//! `SoftplusBackwardBackward0`, `EluBackwardBackward0`,
//! `HardswishBackwardBackward0`, `LogSigmoidBackwardBackward0`.
//!
//! Each kernel is `op(grad_output, x, params...)` with `x` the forward's
//! input or result. Its node has edges `[grad_output, x]`:
//!
//! * `grad_output`'s gradient is the kernel again with the incoming
//!   gradient in `grad_output`'s place (the kernel is linear in it);
//! * `x`'s gradient is the kernel's derivative in `x`, per activation
//!   ([`Activation`]); computed second.

use super::super::single;
use super::{call, release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// Which activation's backward kernel the node differentiates, with the
/// kernel's scalar parameters where `x`'s gradient needs them.
#[derive(Clone, Debug)]
pub(crate) enum Activation {
    /// `tanh_backward(grad_output, output)`.
    Tanh,
    /// `sigmoid_backward(grad_output, output)`.
    Sigmoid,
    /// `threshold_backward`, `leaky_relu_backward`, `hardtanh_backward`:
    /// piecewise linear, so `x`'s gradient is `zeros_like(grad)`.
    PiecewiseLinear,
    /// `gelu_backward(grad_output, self, approximate)`.
    Gelu { approximate: IValue },
    /// `softplus_backward(grad_output, self, beta, threshold)`.
    Softplus { beta: IValue, threshold: IValue },
    /// `hardswish_backward(grad_output, self)`.
    Hardswish,
    /// `log_sigmoid_backward(grad_output, self, buffer)`.
    LogSigmoid,
    /// `elu_backward(grad_output, alpha, scale, input_scale, is_result,
    /// self_or_result)`.
    Elu {
        alpha: IValue,
        scale: IValue,
        input_scale: IValue,
        is_result: bool,
    },
}

impl Activation {
    /// Whether `x`'s gradient reads the saved `grad_output` and `x`.
    pub(crate) fn second_reads_inputs(&self) -> bool {
        !matches!(self, Activation::PiecewiseLinear)
    }
}

/// The node of an activation's backward kernel.
pub(crate) struct ActivationBackwardBackward {
    /// The kernel (`aten.tanh_backward.default`).
    pub(crate) op: &'static str,
    /// The kernel's arguments in schema order, `grad_output` and `x` left
    /// out (None): they are filled in when the kernel is dispatched again.
    /// Other tensors (log_sigmoid's `buffer`) are kept until the graph is
    /// freed.
    pub(crate) args: Vec<IValue>,
    /// Position of `x` in `args` (1, or 5 for `elu_backward`).
    pub(crate) x_pos: usize,
    pub(crate) kind: Activation,
    /// Saved when `x` needs a gradient and its formula reads it.
    pub(crate) grad_output: Option<SavedVariable>,
    /// Saved when any formula reads it.
    pub(crate) x: Option<SavedVariable>,
}

impl ActivationBackwardBackward {
    /// The kernel again: `op(grad, x, params...)`.
    fn again(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor, x: &Tensor) -> Result<Tensor> {
        let mut args = self.args.clone();
        if let Some(slot) = args.get_mut(0) {
            *slot = g.into();
        }
        if let Some(slot) = args.get_mut(self.x_pos) {
            *slot = x.into();
        }
        call(ctx, self.op, args)
    }

    /// The kernel's derivative in `x`, times `grad`.
    fn second(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor) -> Result<Tensor> {
        if !self.kind.second_reads_inputs() {
            return ctx.rt.elementwise().zeros_like(g);
        }
        let go = unpack(ctx, &self.grad_output)?;
        let x = unpack(ctx, &self.x)?;
        match &self.kind {
            Activation::Tanh => tanh(ctx, g, &go, &x),
            Activation::Sigmoid => sigmoid(ctx, g, &go, &x),
            Activation::PiecewiseLinear => ctx.rt.elementwise().zeros_like(g),
            Activation::Gelu { approximate } => gelu(ctx, g, &go, &x, approximate),
            Activation::Softplus { beta, threshold } => softplus(ctx, g, &go, &x, beta, threshold),
            Activation::Hardswish => hardswish(ctx, g, &go, &x),
            Activation::LogSigmoid => log_sigmoid(ctx, g, &go, &x),
            Activation::Elu {
                input_scale,
                is_result: true,
                ..
            } => {
                // `grad * grad_output * input_scale * (result < 0)`, the
                // mask first (observed in torch 2.15).
                let mask = negative_mask(ctx, g, &x)?;
                let gg = ctx.rt.mul(g, (&go).into())?;
                let scaled = ctx.rt.mul_scalar(&gg, input_scale.clone())?;
                ctx.rt.mul(&scaled, mask.into())
            }
            Activation::Elu {
                alpha,
                scale,
                input_scale,
                is_result: false,
            } => {
                let mask = negative_mask(ctx, g, &x)?;
                let gg = ctx.rt.mul(g, (&go).into())?;
                let scaled = ctx.rt.mul_scalar(&gg, input_scale.clone())?;
                let args = vec![
                    (&scaled).into(),
                    alpha.clone(),
                    scale.clone(),
                    input_scale.clone(),
                    IValue::Bool(false),
                    (&x).into(),
                ];
                let inner = call(ctx, "aten.elu_backward.default", args)?;
                ctx.rt.mul(&inner, mask.into())
            }
        }
    }
}

impl BackwardFn for ActivationBackwardBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(0) {
            let x = unpack(ctx, &self.x)?;
            out[0] = Some(self.again(ctx, &g, &x)?);
        }
        if ctx.needs(1) {
            out[1] = Some(self.second(ctx, &g)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_output);
        release(&mut self.x);
        for a in &mut self.args {
            if matches!(a, IValue::Tensor(_)) {
                *a = IValue::None;
            }
        }
    }
}

/// TanhBackwardBackward0, `output`: `grad * (-2 * output * grad_output)`.
fn tanh(ctx: &mut BackwardCtx<'_>, g: &Tensor, go: &Tensor, out: &Tensor) -> Result<Tensor> {
    let twice = ctx.rt.mul_scalar(out, IValue::Int(-2))?;
    let inner = ctx.rt.mul(&twice, go.into())?;
    ctx.rt.mul(g, inner.into())
}

/// SigmoidBackwardBackward0, `output`: `grad * grad_output * (-2 * output + 1)`.
fn sigmoid(ctx: &mut BackwardCtx<'_>, g: &Tensor, go: &Tensor, out: &Tensor) -> Result<Tensor> {
    let twice = ctx.rt.mul_scalar(out, IValue::Int(-2))?;
    let factor = ctx.rt.elementwise().add_scalar(&twice, IValue::Int(1))?;
    let gg = ctx.rt.mul(g, go.into())?;
    ctx.rt.mul(&gg, factor.into())
}

/// GeluBackwardBackward0, `self` (exact gelu): `grad * grad_output *
/// (2 φ(x) - x² φ(x))` with φ the standard normal density, computed as
/// `x*x`, `* -0.5`, `exp`, `* 1/√(2π)`, `x² * φ`, `φ * 2`, `sub`, then
/// `grad * grad_output` and the product (observed in torch 2.15).
fn gelu(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    go: &Tensor,
    x: &Tensor,
    approximate: &IValue,
) -> Result<Tensor> {
    match approximate {
        IValue::Str(s) if s == "none" => {}
        IValue::Str(s) if s == "tanh" => return gelu_tanh(ctx, g, go, x),
        _ => {
            return Err(RuntimeError::unsupported(
                "aten.gelu_backward.default",
                "the double backward of this gelu approximation",
            ));
        }
    }
    let k_beta = std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2 * 0.5;
    let sq = ctx.rt.mul(x, x.into())?;
    let half = ctx.rt.mul_scalar(&sq, IValue::Float(-0.5))?;
    let e = ctx.rt.elementwise().unary("aten.exp.default", &half)?;
    let pdf = ctx.rt.mul_scalar(&e, IValue::Float(k_beta))?;
    let sq_pdf = ctx.rt.mul(&sq, (&pdf).into())?;
    let twice = ctx.rt.mul_scalar(&pdf, IValue::Int(2))?;
    let curvature = ctx.rt.elementwise().sub(&twice, &sq_pdf)?;
    let gg = ctx.rt.mul(g, go.into())?;
    ctx.rt.mul(&gg, curvature.into())
}

/// `1 / t` or `1 - t` as ATen's scalar-tensor operators compute them:
/// `empty_like(t)`, `fill_(1)`, then `div_(t)` / `sub_(t)`.
fn one_op(ctx: &mut BackwardCtx<'_>, op: &str, t: &Tensor) -> Result<Tensor> {
    let mut ops = ctx.rt.elementwise();
    let out = ops.empty_like_preserve(t)?;
    ops.fill_(&out, IValue::Int(1))?;
    call(ctx, op, vec![(&out).into(), t.into()])
}

/// GeluBackwardBackward0, `self`, for `approximate='tanh'`: with `u = k (x +
/// 0.044715 x³)`, `k = √2 · 2/√π · 0.5`, `du = k (0.134145 x² + 1)`, the
/// second derivative `2 · 0.5 (1 - tanh²u) du + 0.5 x du · 2 sech u (-sech u
/// tanh u) du + 0.5 x (1 - tanh²u) k 0.26829 x`, times `grad * grad_output`,
/// in PyTorch's order of calls (observed in torch 2.15).
fn gelu_tanh(ctx: &mut BackwardCtx<'_>, g: &Tensor, go: &Tensor, x: &Tensor) -> Result<Tensor> {
    let k_beta = std::f64::consts::SQRT_2 * std::f64::consts::FRAC_2_SQRT_PI * 0.5;
    let f = |v: f64| IValue::Float(v);
    let x3 = ctx.rt.elementwise().pow_scalar(x, IValue::Int(3))?;
    let t = ctx.rt.mul_scalar(&x3, f(0.044715))?;
    let inner = ctx.rt.add(x, &t)?;
    let u = ctx.rt.mul_scalar(&inner, f(k_beta))?;
    let tanh_u = ctx.rt.elementwise().unary("aten.tanh.default", &u)?;
    let cosh_u = ctx.rt.elementwise().unary("aten.cosh.default", &u)?;
    let sech = one_op(ctx, "aten.div_.Tensor", &cosh_u)?;
    let half_x = ctx.rt.mul_scalar(x, f(0.5))?;
    let t2 = ctx.rt.mul(&tanh_u, (&tanh_u).into())?;
    let one_m = one_op(ctx, "aten.sub_.Tensor", &t2)?;
    let a = ctx.rt.mul_scalar(x, f(0.134145))?;
    let b = ctx.rt.mul(&a, x.into())?;
    let c = ctx.rt.elementwise().add_scalar(&b, IValue::Int(1))?;
    let du = ctx.rt.mul_scalar(&c, f(k_beta))?;
    let d = ctx.rt.mul_scalar(&one_m, f(0.5))?;
    let left = ctx.rt.mul(&d, (&du).into())?;
    let nsech = ctx.rt.neg(&sech)?;
    let e = ctx.rt.mul(&nsech, (&tanh_u).into())?;
    let twice_sech = ctx.rt.mul_scalar(&sech, IValue::Int(2))?;
    let dsech2 = ctx.rt.mul(&twice_sech, e.into())?;
    let dsech2 = ctx.rt.mul(&dsech2, (&du).into())?;
    let h = ctx.rt.mul(&half_x, (&du).into())?;
    let mid = ctx.rt.mul(&h, dsech2.into())?;
    let k = ctx.rt.mul_scalar(x, f(0.26829))?;
    let k = ctx.rt.mul_scalar(&k, f(k_beta))?;
    let m = ctx.rt.mul(&half_x, one_m.into())?;
    let right = ctx.rt.mul(&m, k.into())?;
    let left = ctx.rt.mul_scalar(&left, IValue::Int(2))?;
    let sum = ctx.rt.add(&left, &mid)?;
    let sum = ctx.rt.add(&sum, &right)?;
    let gg = ctx.rt.mul(g, go.into())?;
    ctx.rt.mul(&gg, sum.into())
}

/// SoftplusBackwardBackward0, `self`: `sigmoid_backward(grad * grad_output,
/// sigmoid(beta x)) * (beta x < threshold) * beta`, the mask cast to the
/// gradient's options.
fn softplus(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    go: &Tensor,
    x: &Tensor,
    beta: &IValue,
    threshold: &IValue,
) -> Result<Tensor> {
    let gg = ctx.rt.mul(g, go.into())?;
    let bx = ctx.rt.mul_scalar(x, beta.clone())?;
    let below = ctx
        .rt
        .elementwise()
        .binary("aten.lt.Scalar", &bx, threshold.clone())?;
    let mask = ctx.rt.copy_to_options(&below, g.dtype(), g.device())?;
    let s = ctx.rt.elementwise().unary("aten.sigmoid.default", &bx)?;
    let args = vec![(&gg).into(), (&s).into()];
    let sb = call(ctx, "aten.sigmoid_backward.default", args)?;
    let masked = ctx.rt.mul(&sb, mask.into())?;
    ctx.rt.mul_scalar(&masked, beta.clone())
}

/// HardswishBackwardBackward0, `self`: `where(-3 < self & self < 3, grad *
/// grad_output / 3, zeros({}, self options))`, the zero scalar first and
/// `self < 3` before `-3 < self` (right to left).
fn hardswish(ctx: &mut BackwardCtx<'_>, g: &Tensor, go: &Tensor, x: &Tensor) -> Result<Tensor> {
    let zero = super::pool::ZerosLike {
        sizes: Vec::new(),
        dtype: x.dtype(),
        device: x.device(),
    }
    .make(ctx)?;
    let gg = ctx.rt.mul(g, go.into())?;
    let mut ops = ctx.rt.elementwise();
    let third = ops.div_scalar(&gg, IValue::Float(3.0))?;
    let below = ops.binary("aten.lt.Scalar", x, IValue::Float(3.0))?;
    let above = ops.binary("aten.gt.Scalar", x, IValue::Float(-3.0))?;
    let inside = ops.binary("aten.logical_and.default", &above, (&below).into())?;
    ops.where_(&inside, &third, &zero)
}

/// LogSigmoidBackwardBackward0, `self`: PyTorch's
/// `log_sigmoid_double_backward(grad * grad_output, self)`, `z = sigmoid(self)`
/// then `gg * (z - 1) * z` (`sub.Scalar`).
fn log_sigmoid(ctx: &mut BackwardCtx<'_>, g: &Tensor, go: &Tensor, x: &Tensor) -> Result<Tensor> {
    let gg = ctx.rt.mul(g, go.into())?;
    let mut ops = ctx.rt.elementwise();
    let z = ops.unary("aten.sigmoid.default", x)?;
    let zm1 = ops.binary("aten.sub.Scalar", &z, IValue::Int(1))?;
    let t = ctx.rt.mul(&gg, zm1.into())?;
    ctx.rt.mul(&t, z.into())
}

/// `(x < 0).type_as(grad)`: `lt.Scalar` and a `_to_copy` to the gradient's
/// options.
fn negative_mask(ctx: &mut BackwardCtx<'_>, g: &Tensor, x: &Tensor) -> Result<Tensor> {
    let below = ctx
        .rt
        .elementwise()
        .binary("aten.lt.Scalar", x, IValue::Int(0))?;
    ctx.rt.copy_to_options(&below, g.dtype(), g.device())
}
