//! `MseLossBackwardBackward0`, the node of `mse_loss_backward(grad_output,
//! self, target, reduction)`, edges `[grad_output, self, target]`:
//!
//! * `grad_output`: `mse_loss_backward(grad, self, target, reduction)`;
//! * `self`: `2 * (grad * grad_output)`, divided in place (`div_`) by
//!   `self.numel()` for the mean;
//! * `target`: the same with `target.numel()`, negated.

use super::super::single;
use super::{release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

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
/// (`target` is not differentiable): the kernel is linear in `grad_output`
/// and does not depend on `self`'s values, so `self`'s gradient is
/// `zeros_like(grad)`. `grad_output`'s gradient, the loss of the incoming
/// gradient, is not implemented: it fails with a typed error.
pub(crate) struct NllLossBackwardBackward;

impl BackwardFn for NllLossBackwardBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        if ctx.needs(0) {
            return Err(crate::error::RuntimeError::unsupported(
                ctx.node.name(),
                "the gradient of an nll_loss backward with respect to its grad_output",
            ));
        }
        let mut out = vec![None, None];
        if ctx.needs(1) {
            out[1] = Some(ctx.rt.elementwise().zeros_like(&g)?);
        }
        Ok(out)
    }
}
