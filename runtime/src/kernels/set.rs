//! `set_.source_Tensor(self, source)`: point `self` at `source`'s storage
//! and geometry.
//!
//! Only the no-op case is implemented: `self` already is `source` (same
//! storage, sizes, strides and offset), which is what
//! `torch.nn.utils.parametrize.register_parametrization` dispatches on the
//! original weight (`original.set_(original)` under `no_grad`, observed in
//! torch 2.15 with `parametrizations.spectral_norm`). Re-pointing a tensor
//! at another storage is refused as unsupported.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};

/// The kernel of `op` if it is `set_`.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.set_.source_Tensor" => set_source_tensor,
        _ => return None,
    })
}

fn set_source_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, source) = (a.tensor(0)?, a.tensor(1)?);
    let same = this.shares_storage(source)
        && this.shape() == source.shape()
        && this.stride() == source.stride()
        && this.storage_offset() == source.storage_offset()
        && this.dtype() == source.dtype();
    if !same {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "set_ onto another tensor's storage (only `t.set_(t)` is implemented)",
        ));
    }
    Ok(vec![this.clone().into()])
}
