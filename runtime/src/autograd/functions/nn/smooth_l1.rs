//! Backward of `smooth_l1_loss` (SmoothL1LossBackward0): PyTorch's
//! derivatives.yaml gives `self` the gradient
//! `smooth_l1_loss_backward(grad, self, target, reduction, beta)` and
//! `target` the same kernel with the roles swapped. HuberLossBackward0
//! (`huber_loss`) is the same node over `huber_loss_backward` and `delta`.

use crate::autograd::functions::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// `smooth_l1_loss(self, target, reduction, beta)`.
pub(crate) struct SmoothL1LossBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) target: SavedVariable,
    pub(crate) reduction: i64,
    pub(crate) beta: f64,
    /// `aten.smooth_l1_loss_backward.default` or
    /// `aten.huber_loss_backward.default`.
    pub(crate) backward_op: &'static str,
}

impl SmoothL1LossBackward0 {
    fn grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        a: &Tensor,
        b: &Tensor,
    ) -> Result<Tensor> {
        ctx.rt
            .dispatch(
                self.backward_op,
                vec![
                    g.into(),
                    a.into(),
                    b.into(),
                    IValue::Int(self.reduction),
                    IValue::Float(self.beta),
                ],
            )?
            .into_iter()
            .next()
            .and_then(|v| v.as_tensor().cloned())
            .ok_or_else(|| {
                crate::error::RuntimeError::autograd(format!(
                    "{} returned no tensor",
                    self.backward_op
                ))
            })
    }
}

impl BackwardFn for SmoothL1LossBackward0 {
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
            let (x, y) = (self.self_.unpack(ctx.node)?, self.target.unpack(ctx.node)?);
            out[0] = Some(self.grad(ctx, &g, &x, &y)?);
        }
        if ctx.needs(1) {
            let (x, y) = (self.self_.unpack(ctx.node)?, self.target.unpack(ctx.node)?);
            out[1] = Some(self.grad(ctx, &g, &y, &x)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.target.release();
    }
}
