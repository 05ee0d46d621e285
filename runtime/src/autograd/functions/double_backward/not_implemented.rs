//! `NotImplemented`: the node PyTorch's autograd fallback records for an
//! operator without a derivative formula (observed in torch 2.15 for
//! `_scaled_dot_product_flash_attention_for_cpu_backward` under
//! `create_graph=True`). Recording it is harmless; a backward that reaches
//! it fails with PyTorch's message.

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
