//! Double backward of the loss kernels.
//!
//! `MseLossBackwardBackward0`, the node of `mse_loss_backward(grad_output,
//! self, target, reduction)`, edges `[grad_output, self, target]`:
//!
//! * `grad_output`: `mse_loss_backward(grad, self, target, reduction)`;
//! * `self`: `2 * (grad * grad_output)`, divided in place (`div_`) by
//!   `self.numel()` for the mean;
//! * `target`: the same with `target.numel()`, negated.
//!
//! `SmoothL1LossBackwardBackward0` (`smooth_l1_loss_backward(grad_output,
//! self, target, reduction, beta)`), same edges:
//!
//! * `grad_output`: the kernel again with `grad`;
//! * `self`: `grad * grad_output * (|self - target| < beta) / beta`, the
//!   mask cast to the gradient's options, divided in place by
//!   `self.numel()` for the mean;
//! * `target`: the same, negated.
//!
//! `HuberLossBackwardBackward0` (`huber_loss_backward(grad_output, self,
//! target, reduction, delta)`), same edges, the same formulas but for
//! `grad_output` with a reduction (the kernel on `ones_like(grad_output)`
//! times `grad`, summed) and a boolean mask not divided by `delta`.

use super::super::single;
use super::{release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// PyTorch's `Reduction::None`.
const NONE: i64 = 0;
/// PyTorch's `Reduction::Mean`.
const MEAN: i64 = 1;

/// `mse_loss_backward(grad_output, self, target, reduction)`.
pub(crate) struct MseLossBackwardBackward0 {
    pub(crate) reduction: i64,
    /// Saved when `self` or `target` needs a gradient.
    pub(crate) grad_output: Option<SavedVariable>,
    /// Saved when `grad_output` or `self` needs a gradient.
    pub(crate) self_: Option<SavedVariable>,
    /// Saved when `grad_output` or `target` needs a gradient.
    pub(crate) target: Option<SavedVariable>,
}

impl MseLossBackwardBackward0 {
    /// PyTorch's `mse_loss_double_backward(grad * grad_output, input, reduction)`.
    fn double(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor, input: &Tensor) -> Result<Tensor> {
        let go = unpack(ctx, &self.grad_output)?;
        let gg = ctx.rt.mul(g, (&go).into())?;
        let twice = ctx.rt.mul_scalar(&gg, IValue::Int(2))?;
        if self.reduction != MEAN {
            return Ok(twice);
        }
        ctx.rt.elementwise().call(
            "aten.div_.Scalar",
            vec![(&twice).into(), IValue::Int(input.numel() as i64)],
        )
    }
}

impl BackwardFn for MseLossBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mut out = vec![None, None, None];
        if ctx.needs(0) {
            let (x, y) = (unpack(ctx, &self.self_)?, unpack(ctx, &self.target)?);
            out[0] = Some(ctx.rt.mse_loss_backward(&g, &x, &y, self.reduction)?);
        }
        if ctx.needs(1) {
            let x = unpack(ctx, &self.self_)?;
            out[1] = Some(self.double(ctx, &g, &x)?);
        }
        if ctx.needs(2) {
            let y = unpack(ctx, &self.target)?;
            let d = self.double(ctx, &g, &y)?;
            out[2] = Some(ctx.rt.neg(&d)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_output);
        release(&mut self.self_);
        release(&mut self.target);
    }
}

/// `NllLossBackwardBackward0` / `NllLoss2DBackwardBackward0`, the nodes of
/// `nll_loss_backward` / `nll_loss2d_backward`, edges `[grad_output, self]`
/// (`target` is not differentiable). The kernel is linear in `grad_output`
/// and does not read `self`'s values:
///
/// * `grad_output`: the loss of the incoming gradient,
///   `nll_loss_forward(grad, target, weight, reduction, ignore_index)[0]`
///   (`nll_loss2d_forward` for the 2-d kernel);
/// * `self`: `zeros_like(grad)`.
pub(crate) struct NllLossBackwardBackward {
    /// `aten.nll_loss_forward.default` or `aten.nll_loss2d_forward.default`.
    pub(crate) forward: &'static str,
    /// target, weight, reduction, ignore_index, as the kernel received them.
    pub(crate) params: Vec<IValue>,
}

impl BackwardFn for NllLossBackwardBackward {
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
            let mut args = vec![(&g).into()];
            args.extend(self.params.iter().cloned());
            out[0] = Some(ctx.rt.elementwise().call(self.forward, args)?);
        }
        if ctx.needs(1) {
            out[1] = Some(ctx.rt.elementwise().zeros_like(&g)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.params.clear();
    }
}

/// `smooth_l1_loss_backward(grad_output, self, target, reduction, beta)`
/// (SmoothL1LossBackwardBackward0) or `huber_loss_backward(grad_output,
/// self, target, reduction, delta)` (HuberLossBackwardBackward0).
pub(crate) struct RobustLossBackwardBackward {
    /// Huber (`delta`) rather than smooth L1 (`beta`).
    pub(crate) huber: bool,
    pub(crate) reduction: i64,
    /// `beta` or `delta`.
    pub(crate) beta: IValue,
    /// Saved when any gradient reads it.
    pub(crate) grad_output: Option<SavedVariable>,
    pub(crate) self_: Option<SavedVariable>,
    pub(crate) target: Option<SavedVariable>,
}

impl RobustLossBackwardBackward {
    fn kernel(&self) -> &'static str {
        if self.huber {
            "aten.huber_loss_backward.default"
        } else {
            "aten.smooth_l1_loss_backward.default"
        }
    }

    /// The kernel on `(g, x, y)`.
    fn again(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<Tensor> {
        let args = vec![
            g.into(),
            x.into(),
            y.into(),
            IValue::Int(self.reduction),
            self.beta.clone(),
        ];
        ctx.rt.elementwise().call(self.kernel(), args)
    }

    /// `grad_output`'s gradient. Smooth L1: the kernel again with `grad`.
    /// Huber: the same without reduction, else PyTorch's
    /// `huber_loss_double_backward_grad_output`: the kernel on
    /// `ones_like(grad_output)`, times `grad`, summed.
    fn first(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<Tensor> {
        if !self.huber || self.reduction == NONE {
            return self.again(ctx, g, x, y);
        }
        let go = unpack(ctx, &self.grad_output)?;
        let ones = ctx
            .rt
            .elementwise()
            .call("aten.ones_like.default", vec![(&go).into()])?;
        let r = self.again(ctx, &ones, x, y)?;
        let rg = ctx.rt.mul(&r, g.into())?;
        ctx.rt
            .elementwise()
            .call("aten.sum.default", vec![(&rg).into()])
    }

    /// PyTorch's `smooth_l1_loss_double_backward` / `huber_loss_double_backward`
    /// of `(grad * grad_output, self, target)`: `gg * (|self - target| <
    /// beta)`, smooth L1 casting the mask to the gradient's options and
    /// dividing by `beta`, Huber multiplying by the boolean mask; divided
    /// in place by `self.numel()` for the mean.
    fn double(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<Tensor> {
        let go = unpack(ctx, &self.grad_output)?;
        let gg = ctx.rt.mul(g, (&go).into())?;
        let mut ops = ctx.rt.elementwise();
        let d = ops.sub(x, y)?;
        let d = ops.unary("aten.abs.default", &d)?;
        let below = ops.binary("aten.lt.Scalar", &d, self.beta.clone())?;
        let scaled = if self.huber {
            ctx.rt.mul(&gg, below.into())?
        } else {
            let mask = ctx.rt.copy_to_options(&below, gg.dtype(), gg.device())?;
            let masked = ctx.rt.mul(&gg, mask.into())?;
            ctx.rt
                .elementwise()
                .div_scalar(&masked, self.beta.clone())?
        };
        if self.reduction != MEAN {
            return Ok(scaled);
        }
        ctx.rt.elementwise().call(
            "aten.div_.Scalar",
            vec![(&scaled).into(), IValue::Int(x.numel() as i64)],
        )
    }
}

impl BackwardFn for RobustLossBackwardBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let x = unpack(ctx, &self.self_)?;
        let y = unpack(ctx, &self.target)?;
        let mut out = vec![None, None, None];
        if ctx.needs(0) {
            out[0] = Some(self.first(ctx, &g, &x, &y)?);
        }
        if ctx.needs(1) {
            out[1] = Some(self.double(ctx, &g, &x, &y)?);
        }
        if ctx.needs(2) {
            let d = self.double(ctx, &g, &x, &y)?;
            out[2] = Some(ctx.rt.neg(&d)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_output);
        release(&mut self.self_);
        release(&mut self.target);
    }
}
