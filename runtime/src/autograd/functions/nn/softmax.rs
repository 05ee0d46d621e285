//! Backward of `_softmax`, `_log_softmax` and `_safe_softmax`.
//!
//! Each node saves its forward *result* and calls one kernel with it:
//! `_softmax_backward_data(grad, result, dim, self.dtype)` (SoftmaxBackward0
//! and SafeSoftmaxBackward0, observed in torch 2.15) or
//! `_log_softmax_backward_data(grad, result, dim, self.dtype)`
//! (LogSoftmaxBackward0).

use crate::autograd::functions::one_to_one;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// SoftmaxBackward0, SafeSoftmaxBackward0 (`log = false`) and
/// LogSoftmaxBackward0 (`log = true`).
pub(crate) struct SoftmaxBackward {
    pub(crate) log: bool,
    pub(crate) dim: i64,
    /// The forward input's dtype.
    pub(crate) self_dtype: DType,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for SoftmaxBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let result = match &self.result {
            Some(saved) => saved.unpack(ctx.node)?,
            None => {
                return Err(RuntimeError::GraphFreed {
                    node: ctx.node.name().to_owned(),
                });
            }
        };
        let (log, dim, dtype) = (self.log, self.dim, self.self_dtype);
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.softmax_backward_data(log, &g, &result, dim, dtype)
        })
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(result) = outputs.first() {
            self.result = Some(SavedVariable::output(result, 0));
        }
    }

    fn release_variables(&mut self) {
        if let Some(s) = &mut self.result {
            s.release();
        }
    }
}
