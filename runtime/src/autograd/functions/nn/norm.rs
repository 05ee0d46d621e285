//! Backward of `native_layer_norm` and `native_batch_norm`.
//!
//! Both nodes have edges (input, weight, bias) and make one call that
//! returns all three gradients, passing `output_mask` = which edges need a
//! gradient (observed in torch 2.15: `[True, False, False]` without affine
//! parameters; batch norm passes its eval-mode `[0]` statistics as they are).

use crate::autograd::functions::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// An optional saved tensor as the argument it was (`None` or the tensor).
fn unpack_opt(ctx: &BackwardCtx<'_>, saved: &Option<SavedVariable>) -> Result<IValue> {
    Ok(match saved {
        Some(s) => IValue::Tensor(s.unpack(ctx.node)?),
        None => IValue::None,
    })
}

fn output_mask(ctx: &BackwardCtx<'_>) -> IValue {
    IValue::BoolList((0..3).map(|i| ctx.needs(i)).collect())
}

/// The forward outputs 1 and 2 (statistics, not differentiable).
fn save_stats(outputs: &[Tensor]) -> [Option<SavedVariable>; 2] {
    [1, 2].map(|i| outputs.get(i).map(SavedVariable::input))
}

/// NativeLayerNormBackward0.
pub(crate) struct NativeLayerNormBackward0 {
    pub(crate) input: SavedVariable,
    pub(crate) normalized_shape: IValue,
    pub(crate) weight: Option<SavedVariable>,
    pub(crate) bias: Option<SavedVariable>,
    /// `mean` and `rstd` (forward results 1 and 2).
    pub(crate) stats: [Option<SavedVariable>; 2],
}

impl BackwardFn for NativeLayerNormBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let args = vec![
            g.into(),
            self.input.unpack(ctx.node)?.into(),
            self.normalized_shape.clone(),
            unpack_opt(ctx, &self.stats[0])?,
            unpack_opt(ctx, &self.stats[1])?,
            unpack_opt(ctx, &self.weight)?,
            unpack_opt(ctx, &self.bias)?,
            output_mask(ctx),
        ];
        ctx.rt
            .norm_backward("aten.native_layer_norm_backward.default", args)
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.stats = save_stats(outputs);
    }

    fn release_variables(&mut self) {
        self.input.release();
        for s in [&mut self.weight, &mut self.bias] {
            s.iter_mut().for_each(SavedVariable::release);
        }
        self.stats
            .iter_mut()
            .flatten()
            .for_each(SavedVariable::release);
    }
}

/// NativeBatchNormBackward0.
pub(crate) struct NativeBatchNormBackward0 {
    pub(crate) input: SavedVariable,
    pub(crate) weight: Option<SavedVariable>,
    pub(crate) running_mean: Option<SavedVariable>,
    pub(crate) running_var: Option<SavedVariable>,
    pub(crate) training: IValue,
    pub(crate) eps: IValue,
    /// `save_mean` and `save_invstd` (forward results 1 and 2).
    pub(crate) stats: [Option<SavedVariable>; 2],
}

impl BackwardFn for NativeBatchNormBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let args = vec![
            g.into(),
            self.input.unpack(ctx.node)?.into(),
            unpack_opt(ctx, &self.weight)?,
            unpack_opt(ctx, &self.running_mean)?,
            unpack_opt(ctx, &self.running_var)?,
            unpack_opt(ctx, &self.stats[0])?,
            unpack_opt(ctx, &self.stats[1])?,
            self.training.clone(),
            self.eps.clone(),
            output_mask(ctx),
        ];
        ctx.rt
            .norm_backward("aten.native_batch_norm_backward.default", args)
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.stats = save_stats(outputs);
    }

    fn release_variables(&mut self) {
        self.input.release();
        for s in [
            &mut self.weight,
            &mut self.running_mean,
            &mut self.running_var,
        ] {
            s.iter_mut().for_each(SavedVariable::release);
        }
        self.stats
            .iter_mut()
            .flatten()
            .for_each(SavedVariable::release);
    }
}
