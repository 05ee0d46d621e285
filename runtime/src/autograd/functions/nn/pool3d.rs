//! Backward of the 3-d pooling operators: one call of the matching
//! `*_backward` operator with the saved input, the forward's window
//! arguments and (max pooling) the saved indices.
//!
//! | node | dispatches |
//! |---|---|
//! | MaxPool3DWithIndicesBackward0 | `max_pool3d_with_indices_backward(grad, self, kernel_size, stride, padding, dilation, ceil_mode, indices)` |
//! | AvgPool3DBackward0 | `avg_pool3d_backward(grad, self, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)` |
//! | AdaptiveAvgPool3DBackward0 | `_adaptive_avg_pool3d_backward(grad, self)` |
//! | AdaptiveMaxPool3DBackward0 | `adaptive_max_pool3d_backward(grad, self, indices)` |

use super::super::one_to_one;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// A 3-d pooling's backward: `op(grad, self, params.., [indices])`.
pub(crate) struct Pool3dBackward {
    pub(crate) op: &'static str,
    pub(crate) self_: SavedVariable,
    pub(crate) params: Vec<IValue>,
    /// Whether the forward's second output (indices) is passed last.
    pub(crate) with_indices: bool,
    pub(crate) indices: Option<SavedVariable>,
}

impl BackwardFn for Pool3dBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut args = vec![IValue::Tensor(self.self_.unpack(ctx.node)?)];
        args.extend(self.params.iter().cloned());
        if self.with_indices {
            let indices = match &self.indices {
                Some(saved) => saved.unpack(ctx.node)?,
                None => {
                    return Err(RuntimeError::GraphFreed {
                        node: ctx.node.name().to_owned(),
                    });
                }
            };
            args.push(IValue::Tensor(indices));
        }
        let op = self.op;
        one_to_one(ctx, grads, |ctx, g| ctx.rt.grad_call(op, &g, args))
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        // The indices have no history: saved like an input.
        if self.with_indices
            && let Some(indices) = outputs.get(1)
        {
            self.indices = Some(SavedVariable::input(indices));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        if let Some(s) = &mut self.indices {
            s.release();
        }
    }
}
