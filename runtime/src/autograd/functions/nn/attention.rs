//! Backward of `_scaled_dot_product_flash_attention_for_cpu`: one call of
//! `_scaled_dot_product_flash_attention_for_cpu_backward(grad, query, key,
//! value, output, logsumexp, dropout_p, is_causal, attn_mask=, scale=)`
//! gives all three gradients (the logsumexp output is not differentiable).

use super::super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// `_scaled_dot_product_flash_attention_for_cpu(query, key, value,
/// dropout_p, is_causal, *, attn_mask, scale)`.
pub(crate) struct ScaledDotProductFlashAttentionForCpuBackward0 {
    pub(crate) query: SavedVariable,
    pub(crate) key: SavedVariable,
    pub(crate) value: SavedVariable,
    /// dropout_p, is_causal, attn_mask, scale as passed.
    pub(crate) params: [IValue; 4],
    /// Forward outputs: `output` (0) and `logsumexp` (1).
    pub(crate) output: Option<SavedVariable>,
    pub(crate) logsumexp: Option<SavedVariable>,
}

fn unpack(ctx: &BackwardCtx<'_>, saved: &Option<SavedVariable>) -> Result<Tensor> {
    match saved {
        Some(s) => s.unpack(ctx.node),
        None => Err(RuntimeError::GraphFreed {
            node: ctx.node.name().to_owned(),
        }),
    }
}

impl BackwardFn for ScaledDotProductFlashAttentionForCpuBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let q = self.query.unpack(ctx.node)?;
        let k = self.key.unpack(ctx.node)?;
        let v = self.value.unpack(ctx.node)?;
        let out = unpack(ctx, &self.output)?;
        let lse = unpack(ctx, &self.logsumexp)?;
        let grads = ctx
            .rt
            .flash_attention_backward(&g, [&q, &k, &v, &out, &lse], &self.params)?;
        Ok((0..3)
            .map(|i| {
                if ctx.needs(i) {
                    grads.get(i).cloned().flatten()
                } else {
                    None
                }
            })
            .collect())
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(out) = outputs.first() {
            self.output = Some(SavedVariable::output(out, 0));
        }
        // The logsumexp has no history: saved like an input.
        if let Some(lse) = outputs.get(1) {
            self.logsumexp = Some(SavedVariable::input(lse));
        }
    }

    fn release_variables(&mut self) {
        for s in [&mut self.query, &mut self.key, &mut self.value] {
            s.release();
        }
        self.output.iter_mut().for_each(SavedVariable::release);
        self.logsumexp.iter_mut().for_each(SavedVariable::release);
    }
}
