//! The backward of the fake-quantization operators
//! (`fake_quantize_per_tensor_affine_cachemask`, its tensor-qparams variant
//! and `fake_quantize_per_channel_affine_cachemask`): PyTorch's
//! `fake_quantize_per_*_affine_cachemask_backward(grad, mask)`, which is
//! `grad * mask` — the straight-through estimator, zero where the forward
//! clamped. The mask is the operator's second output, not differentiable,
//! saved as a plain tensor.

use super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;

/// FakeQuantizePerTensorAffineCachemaskBackward0,
/// FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0 and
/// FakeQuantizePerChannelAffineCachemaskBackward0.
#[derive(Default)]
pub(crate) struct CachemaskBackward {
    mask: Option<SavedVariable>,
}

impl BackwardFn for CachemaskBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mask = self
            .mask
            .as_ref()
            .ok_or_else(|| RuntimeError::GraphFreed {
                node: ctx.node.name().to_owned(),
            })?
            .unpack(ctx.node)?;
        let product = ctx
            .rt
            .dispatch("aten.mul.Tensor", vec![(&g).into(), (&mask).into()])?
            .into_iter()
            .next()
            .and_then(crate::ivalue::IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported("aten.mul.Tensor", "no tensor result"))?;
        Ok(vec![Some(product)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.mask = outputs.get(1).map(SavedVariable::input);
    }

    fn release_variables(&mut self) {
        self.mask = None;
    }
}

/// FakeQuantizeLearnablePerTensorAffineBackward0: one
/// `_fake_quantize_learnable_per_tensor_affine_backward(grad, self, scale,
/// zero_point, quant_min, quant_max, grad_factor)` for the three edges
/// (none without a gradient), the results of those that need one.
pub(crate) struct LearnablePerTensorBackward {
    pub(crate) self_: SavedVariable,
    pub(crate) scale: SavedVariable,
    pub(crate) zero_point: SavedVariable,
    /// `quant_min`, `quant_max`, `grad_factor`.
    pub(crate) params: [crate::ivalue::IValue; 3],
}

impl BackwardFn for LearnablePerTensorBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let needs = [ctx.needs(0), ctx.needs(1), ctx.needs(2)];
        let mut args = vec![
            g.into(),
            self.self_.unpack(ctx.node)?.into(),
            self.scale.unpack(ctx.node)?.into(),
            self.zero_point.unpack(ctx.node)?.into(),
        ];
        args.extend(self.params.iter().cloned());
        let out = ctx.rt.norm_backward(
            "aten._fake_quantize_learnable_per_tensor_affine_backward.default",
            args,
        )?;
        Ok(super::keep_needed(out, &needs))
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.scale.release();
        self.zero_point.release();
    }
}
