//! `set_.source_Tensor(self, source)`: point `self` at `source`'s storage
//! and geometry.
//!
//! `torch.nn.utils.parametrize.register_parametrization` dispatches it on
//! the original weight under `no_grad`: `original.set_(original)` (a no-op,
//! observed in torch 2.15 with `parametrizations.spectral_norm`) or
//! `original.set_(right_inverse(weight))` (`parametrizations.orthogonal`:
//! `-I` with the trivialization, the reflectors of `geqrf` without it).
//!
//! Handles are immutable here, so re-pointing returns `self`'s new handle:
//! the same tensor (trace identity, version counter, autograd state, a live
//! AccumulateGrad node retargeted) over `source`'s storage and geometry, as
//! `Tensor.data` assignment does (`runtime/data.rs`); the executor binds it
//! in the old one's place. PyTorch requires the dtypes to agree.
//!
//! Every `set_` forgets the leaf's AccumulateGrad (PyTorch's autograd
//! wrapper of `set_` resets `grad_accumulator_`, even for `set_(self)`;
//! observed in torch 2.15): a graph built before keeps its node, which
//! still accumulates into the tensor, and the next use of the leaf in a
//! graph makes a new one (`remove_parametrizations(...,
//! leave_parametrized=True)` while the last step's loss is alive).

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::autograd::functions::accumulate_grad::AccumulateGrad;
use crate::autograd::node::NodeKind;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::{AutogradMeta, Tensor, TensorImpl};

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
    if same {
        if !ctx.faults.set_keeps_grad_accumulator {
            this.0.autograd.lock().grad_accumulator = Weak::new();
        }
        return Ok(vec![this.clone().into()]);
    }
    if this.dtype() != source.dtype() {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "Could not set tensor of type {} to a tensor of type {}",
                this.dtype().scalar_type_name(),
                source.dtype().scalar_type_name()
            ),
        });
    }
    if this.device() != source.device() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "set_ onto a tensor of another device",
        ));
    }
    let out = reseated(this, source);
    if !ctx.faults.set_keeps_grad_accumulator {
        out.0.autograd.lock().grad_accumulator = Weak::new();
    }
    Ok(vec![out.into()])
}

/// `this`'s new handle over `source`'s storage and geometry.
pub(super) fn reseated(this: &Tensor, source: &Tensor) -> Tensor {
    let autograd = {
        let meta = this.0.autograd.lock();
        AutogradMeta {
            requires_grad: meta.requires_grad,
            grad: meta.grad.clone(),
            grad_fn: meta.grad_fn.clone(),
            output_nr: meta.output_nr,
            grad_accumulator: meta.grad_accumulator.clone(),
            inference: meta.inference,
            view_base: meta.view_base.clone(),
            view_version: meta.view_version,
            zero_tensor: false,
        }
    };
    let out = Tensor(Arc::new(TensorImpl {
        storage: Arc::clone(&source.0.storage),
        shape: source.0.shape.clone(),
        strides: source.0.strides.clone(),
        offset: source.0.offset,
        dtype: source.0.dtype,
        device: source.0.device,
        conj: source.0.conj,
        neg: source.0.neg,
        version: this.0.version.clone(),
        autograd: Mutex::new(autograd),
        trace: Arc::clone(&this.0.trace),
        sparse: source.0.sparse.clone(),
        nested: source.0.nested.clone(),
    }));
    let node = out.0.autograd.lock().grad_accumulator.upgrade();
    if let Some(node) = node.filter(|n| n.kind() == NodeKind::AccumulateGrad) {
        *node.function.lock() = Box::new(AccumulateGrad {
            variable: out.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::autograd::functions::accumulate_grad::live_grad_accumulator;
    use crate::error::Result;
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;

    /// `set_` under no_grad (as `remove_parametrizations` runs it), onto
    /// `source`; returns the leaf's new handle.
    fn set_no_grad(
        rt: &mut Runtime,
        x: &crate::tensor::Tensor,
        source: IValue,
    ) -> Result<crate::tensor::Tensor> {
        rt.set_grad_mode(false, false);
        let out = rt.call("aten.set_.source_Tensor", vec![x.into(), source]);
        rt.set_grad_mode(true, false);
        out?.into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| crate::error::RuntimeError::autograd("set_ returned no tensor"))
    }

    #[test]
    fn set_forgets_the_accumulator_while_the_old_graph_keeps_it() -> Result<()> {
        let mut rt = Runtime::new();
        let x = rt.introduce_tensor_f32(&[2], &[1], 0, &[1.0, 2.0], true)?;
        let graph = rt.call("aten.mul.Tensor", vec![(&x).into(), IValue::Float(3.0)])?;
        let old = live_grad_accumulator(&x);
        assert!(old.is_some());
        let source = rt.introduce_tensor_f32(&[2], &[1], 0, &[5.0, 6.0], false)?;
        let x = set_no_grad(&mut rt, &x, (&source).into())?;
        assert!(live_grad_accumulator(&x).is_none());
        // `set_(self)` forgets it too.
        let _again = rt.call("aten.mul.Tensor", vec![(&x).into(), IValue::Float(2.0)])?;
        assert!(live_grad_accumulator(&x).is_some());
        let x = set_no_grad(&mut rt, &x, (&x).into())?;
        assert!(live_grad_accumulator(&x).is_none());
        drop(graph);
        Ok(())
    }
}
