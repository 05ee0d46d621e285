//! Backward of `soft_margin_loss` (SoftMarginLossBackward0) and of
//! `multilabel_margin_loss_forward` (MultilabelMarginLossBackward0):
//! derivatives.yaml gives `self` the gradients
//! `soft_margin_loss_backward(grad, self, target, reduction)` and
//! `multilabel_margin_loss_backward(grad, self, target, reduction,
//! is_target)`; `target` is not differentiable.

use crate::autograd::functions::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// Dispatches `op` and returns its one tensor.
fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    ctx.rt
        .dispatch(op, args)?
        .into_iter()
        .next()
        .and_then(|v| v.as_tensor().cloned())
        .ok_or_else(|| RuntimeError::autograd(format!("{op} returned no tensor")))
}

/// SoftMarginLossBackward0.
pub(crate) struct SoftMarginLossBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) target: SavedVariable,
    pub(crate) reduction: IValue,
}

impl BackwardFn for SoftMarginLossBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None]);
        };
        if !ctx.needs(0) {
            return Ok(vec![None]);
        }
        let args = vec![
            grad.into(),
            self.self_.unpack(ctx.node)?.into(),
            self.target.unpack(ctx.node)?.into(),
            self.reduction.clone(),
        ];
        let out = call(ctx, "aten.soft_margin_loss_backward.default", args)?;
        Ok(vec![Some(out)])
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.target.release();
    }
}

/// MultilabelMarginLossBackward0 (output 0 only; `is_target`, output 1,
/// saved as the node's `is_target`).
pub(crate) struct MultilabelMarginLossBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) target: SavedVariable,
    pub(crate) reduction: IValue,
    pub(crate) is_target: Option<SavedVariable>,
}

impl BackwardFn for MultilabelMarginLossBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let is_target = match &self.is_target {
            Some(saved) => saved.unpack(ctx.node)?,
            None => {
                return Err(RuntimeError::GraphFreed {
                    node: ctx.node.name().to_owned(),
                });
            }
        };
        let Some(grad) = single(grads) else {
            return Ok(vec![None]);
        };
        if !ctx.needs(0) {
            return Ok(vec![None]);
        }
        let args = vec![
            grad.into(),
            self.self_.unpack(ctx.node)?.into(),
            self.target.unpack(ctx.node)?.into(),
            self.reduction.clone(),
            is_target.into(),
        ];
        let out = call(ctx, "aten.multilabel_margin_loss_backward.default", args)?;
        Ok(vec![Some(out)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        // `is_target` has no history (not differentiable): saved like an
        // input, so that unpacking does not attach this node to it.
        if let Some(flags) = outputs.get(1) {
            self.is_target = Some(SavedVariable::input(flags));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.target.release();
        if let Some(s) = &mut self.is_target {
            s.release();
        }
    }
}
