//! Backward of `convolution`.
//!
//! One call computes every requested gradient:
//! `convolution_backward(grad, input, weight, bias_sizes, stride, padding,
//! dilation, transposed, output_padding, groups, output_mask)` where the mask
//! says which of input, weight, bias need one (observed in torch 2.15:
//! `[False, True, True]` when the input does not require grad;
//! `bias_sizes` is `[0]` when there was no bias).

use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

use super::super::single;

/// `convolution(input, weight, bias, stride, padding, dilation, transposed,
/// output_padding, groups)`.
pub(crate) struct ConvolutionBackward0 {
    pub(crate) input: SavedVariable,
    pub(crate) weight: SavedVariable,
    /// The bias's sizes (`[0]` without a bias).
    pub(crate) bias_sizes: Vec<i64>,
    /// stride, padding, dilation, transposed, output_padding, groups as
    /// passed to the forward call.
    pub(crate) params: [IValue; 6],
}

impl BackwardFn for ConvolutionBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mask = [ctx.needs(0), ctx.needs(1), ctx.needs(2)];
        let input = self.input.unpack(ctx.node)?;
        let weight = self.weight.unpack(ctx.node)?;
        let grads = ctx.rt.convolution_backward(
            &g,
            &input,
            &weight,
            &self.bias_sizes,
            &self.params,
            mask,
        )?;
        Ok(grads
            .into_iter()
            .zip(mask)
            .map(|(t, wanted)| if wanted { t } else { None })
            .collect())
    }

    fn release_variables(&mut self) {
        self.input.release();
        self.weight.release();
    }
}
