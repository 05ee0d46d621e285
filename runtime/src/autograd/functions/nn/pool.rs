//! Backward of the 2-d pooling operators: each gradient is one call of the
//! operator's `*_backward` kernel with the forward's arguments.
//!
//! | node | saves | dispatches |
//! |---|---|---|
//! | MaxPool2DWithIndicesBackward0 | self, window, indices (`result1`) | `max_pool2d_with_indices_backward` |
//! | AvgPool2DBackward0 | self, window, averaging flags | `avg_pool2d_backward` |
//! | AdaptiveAvgPool2DBackward0 | self | `_adaptive_avg_pool2d_backward` |
//! | AdaptiveMaxPool2DBackward0 | self, indices (`result1`) | `adaptive_max_pool2d_backward` |

use super::super::one_to_one;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// `max_pool2d_with_indices(self, kernel_size, stride, padding, dilation,
/// ceil_mode)`; the indices output is not differentiable.
pub(crate) struct MaxPool2DWithIndicesBackward0 {
    pub(crate) self_: SavedVariable,
    /// kernel_size, stride, padding, dilation, ceil_mode as passed.
    pub(crate) params: [IValue; 5],
    /// The forward's indices (saved output 1).
    pub(crate) result1: Option<SavedVariable>,
}

impl BackwardFn for MaxPool2DWithIndicesBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let this = self.self_.unpack(ctx.node)?;
        let indices = match &self.result1 {
            Some(saved) => saved.unpack(ctx.node)?,
            None => {
                return Err(RuntimeError::GraphFreed {
                    node: ctx.node.name().to_owned(),
                });
            }
        };
        let params = self.params.clone();
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt
                .max_pool2d_with_indices_backward(&g, &this, &params, &indices)
        })
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        // The indices have no history (not differentiable): saved like an
        // input, so that unpacking does not attach this node to them.
        if let Some(indices) = outputs.get(1) {
            self.result1 = Some(SavedVariable::input(indices));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        if let Some(s) = &mut self.result1 {
            s.release();
        }
    }
}

/// `avg_pool2d(self, kernel_size, stride, padding, ceil_mode,
/// count_include_pad, divisor_override)`.
pub(crate) struct AvgPool2DBackward0 {
    pub(crate) self_: SavedVariable,
    /// kernel_size, stride, padding, ceil_mode, count_include_pad,
    /// divisor_override as passed.
    pub(crate) params: [IValue; 6],
}

impl BackwardFn for AvgPool2DBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let this = self.self_.unpack(ctx.node)?;
        let params = self.params.clone();
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.avg_pool2d_backward(&g, &this, &params)
        })
    }

    fn release_variables(&mut self) {
        self.self_.release();
    }
}

/// `_adaptive_avg_pool2d(self, output_size)`.
pub(crate) struct AdaptiveAvgPool2DBackward0 {
    pub(crate) self_: SavedVariable,
}

impl BackwardFn for AdaptiveAvgPool2DBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let this = self.self_.unpack(ctx.node)?;
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.adaptive_avg_pool2d_backward(&g, &this)
        })
    }

    fn release_variables(&mut self) {
        self.self_.release();
    }
}

/// `adaptive_max_pool2d(self, output_size)`; the indices output is not
/// differentiable.
pub(crate) struct AdaptiveMaxPool2DBackward0 {
    pub(crate) self_: SavedVariable,
    /// The forward's indices (saved output 1).
    pub(crate) result1: Option<SavedVariable>,
}

impl BackwardFn for AdaptiveMaxPool2DBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let this = self.self_.unpack(ctx.node)?;
        let indices = match &self.result1 {
            Some(saved) => saved.unpack(ctx.node)?,
            None => {
                return Err(RuntimeError::GraphFreed {
                    node: ctx.node.name().to_owned(),
                });
            }
        };
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.adaptive_max_pool2d_backward(&g, &this, &indices)
        })
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        // The indices have no history: saved like an input.
        if let Some(indices) = outputs.get(1) {
            self.result1 = Some(SavedVariable::input(indices));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        if let Some(s) = &mut self.result1 {
            s.release();
        }
    }
}
