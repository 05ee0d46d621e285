//! Backward of `multi_margin_loss` (MultiMarginLossBackward0):
//! derivatives.yaml gives `self` the gradient
//! `multi_margin_loss_backward(grad, self, target, p, margin, weight,
//! reduction)`; `target` is not differentiable.

use crate::autograd::functions::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

const OP: &str = "aten.multi_margin_loss_backward.default";

/// MultiMarginLossBackward0.
pub(crate) struct MultiMarginLossBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) target: SavedVariable,
    pub(crate) weight: Option<SavedVariable>,
    pub(crate) p: IValue,
    pub(crate) margin: IValue,
    pub(crate) reduction: IValue,
}

impl BackwardFn for MultiMarginLossBackward0 {
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
        let weight = match &self.weight {
            Some(w) => w.unpack(ctx.node)?.into(),
            None => IValue::None,
        };
        let args = vec![
            grad.into(),
            self.self_.unpack(ctx.node)?.into(),
            self.target.unpack(ctx.node)?.into(),
            self.p.clone(),
            self.margin.clone(),
            weight,
            self.reduction.clone(),
        ];
        let out = ctx
            .rt
            .dispatch(OP, args)?
            .into_iter()
            .next()
            .and_then(|v| v.as_tensor().cloned())
            .ok_or_else(|| RuntimeError::autograd(format!("{OP} returned no tensor")))?;
        Ok(vec![Some(out)])
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.target.release();
        self.weight.iter_mut().for_each(SavedVariable::release);
    }
}
