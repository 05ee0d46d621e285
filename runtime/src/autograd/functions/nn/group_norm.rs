//! Backward of `native_group_norm`: NativeGroupNormBackward0.
//!
//! Without grad mode the node calls `native_group_norm_backward(grad, input,
//! mean, rstd, weight, N, C, HxW, group, output_mask)` with the gradient and
//! the input in whatever layout they have (observed in torch 2.15: an
//! expanded or channels-last gradient is passed as it is, no `clone`); edges
//! input, weight, bias, the mask naming those that need a gradient. All three forward results require grad
//! (observed in torch 2.15: `mean`/`rstd` carry the node too). With grad
//! mode on (`create_graph=True`) or a gradient flowing into `mean`/`rstd`,
//! PyTorch computes a differentiable composite instead, which this runtime
//! does not implement: the node refuses with an unsupported-operation error.

use crate::autograd::functions::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// NativeGroupNormBackward0.
pub(crate) struct NativeGroupNormBackward0 {
    pub(crate) input: SavedVariable,
    pub(crate) weight: Option<SavedVariable>,
    /// `N, C, HxW, group` as the forward received them.
    pub(crate) sizes: [IValue; 4],
    /// `mean` and `rstd` (forward results 1 and 2).
    pub(crate) stats: [Option<SavedVariable>; 2],
}

impl BackwardFn for NativeGroupNormBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if ctx.rt.is_grad_enabled() || grads.iter().skip(1).any(Option::is_some) {
            return Err(RuntimeError::unsupported(
                "aten.native_group_norm.default",
                "the differentiable group norm backward (create_graph=True)",
            ));
        }
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let input = self.input.unpack(ctx.node)?;
        let opt = |s: &Option<SavedVariable>, ctx: &BackwardCtx<'_>| -> Result<IValue> {
            Ok(match s {
                Some(s) => IValue::Tensor(s.unpack(ctx.node)?),
                None => IValue::None,
            })
        };
        let mut args = vec![
            g.into(),
            input.into(),
            opt(&self.stats[0], ctx)?,
            opt(&self.stats[1], ctx)?,
            opt(&self.weight, ctx)?,
        ];
        args.extend(self.sizes.iter().cloned());
        args.push(IValue::BoolList((0..3).map(|i| ctx.needs(i)).collect()));
        ctx.rt
            .norm_backward("aten.native_group_norm_backward.default", args)
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.stats = [1, 2].map(|i| outputs.get(i).map(SavedVariable::input));
    }

    fn release_variables(&mut self) {
        self.input.release();
        self.weight.iter_mut().for_each(SavedVariable::release);
        self.stats
            .iter_mut()
            .flatten()
            .for_each(SavedVariable::release);
    }
}
