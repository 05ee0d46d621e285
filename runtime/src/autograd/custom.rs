//! The node of a custom `autograd.Function` (PyTorch's `PyNode`): its
//! backward is program code the runtime calls back.
//!
//! The node holds only the id of the program's backward function; the
//! function itself lives in the runtime's registry (see
//! `runtime::functions`), which calls it with the runtime so that what it
//! dispatches is recorded in the node's context.

use super::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::tensor::Tensor;

/// Backward of a custom Function: calls the program's backward `id`.
pub(crate) struct CustomFunction {
    /// The registry id of the program's backward.
    pub(crate) id: u64,
}

impl BackwardFn for CustomFunction {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        ctx.rt.run_function_backward(self.id, ctx.node, grads)
    }
}
