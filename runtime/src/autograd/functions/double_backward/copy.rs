//! `CopyBackwards`, the node of `copy_(self, src)`.
//!
//! Observed in torch 2.15: `self`'s gradient is `zeros_like(grad,
//! memory_format=contiguous_format)`, `src`'s is `grad` itself when the
//! source has the gradient's dtype and device and `grad.to(src options)`
//! (one `_to_copy(dtype, layout, device)`) otherwise; `self` first. This is
//! the node AccumulateGrad's `copy_` records under `create_graph=True`
//! (edges `[∅, src]`: the fresh `.grad` buffer needs no gradient).

use super::super::single;
use super::call;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::MemoryFormat;

/// `copy_(self, src)`: what it keeps of `src`.
pub(crate) struct CopyBackwards {
    pub(crate) src_dtype: DType,
    pub(crate) src_device: Device,
}

impl BackwardFn for CopyBackwards {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(0) {
            let args = vec![
                (&g).into(),
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::MemoryFormat(MemoryFormat::Contiguous),
            ];
            out[0] = Some(call(ctx, "aten.zeros_like.default", args)?);
        }
        if ctx.needs(1) {
            out[1] = Some(
                if g.dtype() == self.src_dtype && g.device() == self.src_device {
                    g
                } else {
                    ctx.rt
                        .copy_to_options(&g, self.src_dtype, self.src_device)?
                },
            );
        }
        Ok(out)
    }
}
