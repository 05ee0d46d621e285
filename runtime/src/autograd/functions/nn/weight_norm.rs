//! Backward of `_weight_norm_interface`: WeightNormInterfaceBackward0.
//!
//! Without grad mode the node calls `_weight_norm_interface_backward(
//! grad.contiguous(), v, g, norms, dim)` once (the `contiguous` a `clone`
//! only when the gradient is not contiguous) and hands on the results of
//! the edges (`v`, `g`) that need a gradient. Only `w` carries the node
//! (`norms` is not differentiable). With grad mode on (`create_graph=True`)
//! PyTorch composes a differentiable backward instead, which this runtime
//! does not implement: the node refuses with an unsupported-operation error.

use crate::autograd::functions::{keep_needed, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;

/// WeightNormInterfaceBackward0.
pub(crate) struct WeightNormInterfaceBackward0 {
    pub(crate) v: SavedVariable,
    pub(crate) g: SavedVariable,
    pub(crate) dim: IValue,
    /// The forward's `norms` (result 1).
    pub(crate) norms: Option<SavedVariable>,
}

impl BackwardFn for WeightNormInterfaceBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None, None]);
        };
        if ctx.rt.is_grad_enabled() {
            return Err(RuntimeError::unsupported(
                "aten._weight_norm_interface.default",
                "the differentiable weight norm backward (create_graph=True)",
            ));
        }
        let Some(norms) = &self.norms else {
            return Err(RuntimeError::unsupported(
                "aten._weight_norm_interface.default",
                "a backward without the forward's saved norms",
            ));
        };
        let grad = if grad.is_contiguous() {
            grad
        } else {
            ReductionOps(&mut *ctx.rt).contiguous(&grad)?
        };
        let args = vec![
            grad.into(),
            self.v.unpack(ctx.node)?.into(),
            self.g.unpack(ctx.node)?.into(),
            norms.unpack(ctx.node)?.into(),
            self.dim.clone(),
        ];
        let needs = [ctx.needs(0), ctx.needs(1)];
        let out = ctx
            .rt
            .norm_backward("aten._weight_norm_interface_backward.default", args)?;
        Ok(keep_needed(out, &needs))
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.norms = outputs.get(1).map(SavedVariable::input);
    }

    fn release_variables(&mut self) {
        self.v.release();
        self.g.release();
        self.norms.iter_mut().for_each(SavedVariable::release);
    }
}
