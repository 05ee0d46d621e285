//! `NotImplemented`: the node PyTorch's autograd fallback records for an
//! operator without a derivative formula (observed in torch 2.15 for
//! `_scaled_dot_product_flash_attention_for_cpu_backward` under
//! `create_graph=True`). Recording it is harmless; a backward that reaches
//! it fails with PyTorch's message. Also `SgnBackward0`, recorded but not
//! runnable.

use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;

/// The fallback node of `op` (its ATen name, `aten::...`).
pub(crate) struct NotImplemented {
    pub(crate) op: &'static str,
}

impl BackwardFn for NotImplemented {
    fn apply(
        &mut self,
        _: &mut BackwardCtx<'_>,
        _: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        Err(RuntimeError::autograd(format!(
            "derivative for {} is not implemented",
            self.op
        )))
    }
}

/// `SgnBackward0`, the node of `sgn(self)` (AbsBackward0's formula calls
/// `self.sgn()`, so a `create_graph` backward through `abs` records it). For
/// real inputs PyTorch's `sgn_backward` returns an efficient zero tensor,
/// which the engine then adds through the `ZeroTensor` key's meta-device
/// `prims` fallback (observed in torch 2.15); the runtime has no zero
/// tensors, so running the node is an unsupported-operation error.
pub(crate) struct SgnBackward0;

impl BackwardFn for SgnBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if grads.iter().all(Option::is_none) {
            return Ok(vec![None]);
        }
        Err(RuntimeError::unsupported(
            ctx.node.name(),
            "the efficient zero tensor of sgn's gradient",
        ))
    }
}
