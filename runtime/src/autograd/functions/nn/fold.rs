//! Backward of the block and shuffle operators: each is the other's
//! gradient.
//!
//! | node | dispatches |
//! |---|---|
//! | Im2ColBackward0 | `col2im(grad, [H, W] of self, kernel_size, dilation, padding, stride)` |
//! | Col2ImBackward0 | `im2col(grad, kernel_size, dilation, padding, stride)` |
//! | PixelShuffleBackward0 | `pixel_unshuffle(grad, upscale_factor)` |
//! | PixelUnshuffleBackward0 | `pixel_shuffle(grad, downscale_factor)` |
//! | ChannelShuffleBackward0 | `channel_shuffle(grad, grad.size(1) / groups)` |

use super::super::one_to_one;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// A backward that is one call `op(grad, args..)`.
pub(crate) struct InverseOpBackward {
    pub(crate) op: &'static str,
    pub(crate) args: Vec<IValue>,
}

impl BackwardFn for InverseOpBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let (op, args) = (self.op, self.args.clone());
        one_to_one(ctx, grads, |ctx, g| ctx.rt.grad_call(op, &g, args))
    }
}
