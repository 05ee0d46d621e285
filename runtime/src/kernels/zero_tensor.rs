//! PyTorch's efficient zero tensors and the primitive their sum reaches.
//!
//! * `_efficientzerotensor(size, *, dtype, layout, device, pin_memory)`: a
//!   contiguous tensor that reads as zeros and carries the `ZeroTensor`
//!   dispatch key (PyTorch allocates no storage for it; the runtime stores
//!   the zeros and flags the tensor, see `Tensor::is_zero_tensor`).
//! * `prims::add(self, other)` on the meta device: the shape and dtype of
//!   a broadcast sum. PyTorch's ZeroTensor `add` computes its result's
//!   metadata by adding meta copies of its operands, and torch 2.15's meta
//!   kernel of `add` is the Python reference, which dispatches `prims.add`
//!   (observed). Primitives take operands of one dtype; only the meta
//!   kernel is provided.

use super::factory::{filled, options_dtype, size_arg};
use crate::device::Device;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides};

/// The kernel of `op` if it is one of this module's.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._efficientzerotensor.default" => efficient_zero_tensor,
        "prims.add.default" => prims_add,
        _ => return None,
    })
}

/// `_efficientzerotensor(size, *, dtype, layout, device, pin_memory)`.
fn efficient_zero_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let size = size_arg(ctx, &a, 0)?;
    let dtype = options_dtype(ctx, &a, 1, 2, ctx.default_dtype)?;
    let out = filled(ctx, &size, &contiguous_strides(&size), dtype, 0.0)?;
    out.0.autograd.lock().zero_tensor = true;
    Ok(vec![out.into()])
}

/// `prims::add(self, other)` on meta tensors.
fn prims_add(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, other) = (a.tensor(0)?, a.tensor(1)?);
    if ctx.backend != Device::Meta {
        return Err(RuntimeError::unsupported(
            ctx.op,
            format!("a primitive kernel on {}", ctx.backend),
        ));
    }
    ctx.check(this, "self")?;
    ctx.check(other, "other")?;
    if this.dtype() != other.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "prims.add expects tensors of one dtype, got {} and {}",
                this.dtype().scalar_type_name(),
                other.dtype().scalar_type_name()
            ),
        ));
    }
    let shape = broadcast_shapes(this.shape(), other.shape()).ok_or_else(|| {
        RuntimeError::shape(
            ctx.op,
            format!(
                "shapes {:?} and {:?} are not broadcastable",
                this.shape(),
                other.shape()
            ),
        )
    })?;
    let out = Tensor::meta(ctx.op, &shape, &contiguous_strides(&shape), this.dtype())?;
    Ok(vec![out.into()])
}
