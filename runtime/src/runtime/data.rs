//! `Tensor.data`: reads and assignments (api `data`, FORMAT.md §3.2 kind 19).
//!
//! Observed in torch 2.15: a read `t.data` is a new tensor over `t`'s
//! storage with `t`'s geometry, not requiring grad, not a view, with a
//! version counter of its own at 0 — in-place writes through it move
//! neither `t`'s version nor another read's. An assignment `t.data = s`
//! gives `t` the storage, dtype and geometry of `s`; `t` keeps its autograd
//! state (`requires_grad`, `.grad`, `grad_fn`) and its version counter.
//!
//! Handles are immutable here, so an assignment returns the tensor's new
//! handle, which keeps the trace identity of the old one; the caller binds
//! it in the old one's place (and in any leaf whose `.grad` it is, see
//! [`Runtime::replace_grad_handle`]).

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::{ExecContext, Runtime, call};
use crate::autograd::functions::accumulate_grad::AccumulateGrad;
use crate::autograd::node::NodeKind;
use crate::dispatch::dispatcher::{OptionsBackend, Plan};
use crate::dispatch::registry::Registry;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::{AutogradMeta, Tensor, TensorImpl, VersionCounter};

/// The check a `.data` assignment makes through the dispatcher.
const SHALLOW_COPY_CHECK: &str = "aten._has_compatible_shallow_copy_type.default";

impl Runtime {
    /// `source.data`: a new tensor over `source`'s storage and geometry,
    /// detached from autograd, with a fresh version counter.
    pub fn data(&mut self, source: &Tensor) -> Tensor {
        let out = Tensor::from_parts(
            Arc::clone(&source.0.storage),
            source.0.shape.clone(),
            source.0.strides.clone(),
            source.0.offset,
            source.0.dtype,
            source.0.device,
            if self.faults.shared_data_version {
                source.0.version.clone()
            } else {
                VersionCounter::new()
            },
        );
        out.0.autograd.lock().inference = source.is_inference();
        self.flush_state_before_data();
        if let Some(t) = &mut self.tracer {
            t.data(&out, source, false);
        }
        out
    }

    /// `target.data = source`: the handle `target` has from now on — the
    /// same tensor (trace identity, version counter, autograd state) over
    /// `source`'s storage, dtype and geometry. As in PyTorch, a new dtype
    /// or device drops the cached AccumulateGrad node (the next graph makes
    /// a new one); otherwise a live one is kept, and accumulates into the
    /// new handle from now on (in PyTorch it holds the same TensorImpl).
    ///
    /// PyTorch's assignment first asks the dispatcher whether `source` may
    /// be shallow-copied into `target` (`_has_compatible_shallow_copy_type`);
    /// where a dispatch mode sees that composite whole (inside
    /// `inference_mode`: `model.half()`, `model.to(dtype)` in an evaluation
    /// loop) it is one more op event, on `target` as it was before the
    /// assignment, which the capture writes after the `data` event (the op
    /// is still pending when the assignment is recorded).
    pub fn set_data(&mut self, target: &Tensor, source: &Tensor) -> Result<Tensor> {
        let same_type = target.0.dtype == source.0.dtype && target.0.device == source.0.device;
        let autograd = take_autograd(target, same_type);
        let out = Tensor(Arc::new(TensorImpl {
            storage: Arc::clone(&source.0.storage),
            shape: source.0.shape.clone(),
            strides: source.0.strides.clone(),
            offset: source.0.offset,
            dtype: if self.faults.set_data_keeps_dtype {
                target.0.dtype
            } else {
                source.0.dtype
            },
            device: source.0.device,
            conj: source.0.conj,
            neg: source.0.neg,
            version: target.0.version.clone(),
            autograd: Mutex::new(autograd),
            trace: Arc::clone(&target.0.trace),
            sparse: source.0.sparse.clone(),
            nested: source.0.nested.clone(),
        }));
        // The assignment copies the source's dispatch keys: a parameter
        // given an inference tensor's data (`model.half()` inside
        // `inference_mode`) is an inference tensor from then on (observed
        // in torch 2.15: `p.is_inference()` is True, and its walks have no
        // ADInplaceOrView or Autograd key), and a normal one's makes it
        // normal again.
        out.0.autograd.lock().inference = source.is_inference();
        retarget_accumulator(&out);
        self.flush_state_before_data();
        if let Some(t) = &mut self.tracer {
            t.data(&out, source, true);
        }
        self.shallow_copy_check_seen_whole(target, source)?;
        Ok(out)
    }

    /// The `_has_compatible_shallow_copy_type(target, source)` call of a
    /// `.data` assignment, recorded when a dispatch mode sees it whole.
    fn shallow_copy_check_seen_whole(&mut self, target: &Tensor, source: &Tensor) -> Result<()> {
        if !self.dispatch_mode_active || self.tracer.is_none() {
            return Ok(());
        }
        let entry = Registry::builtin()?.get(SHALLOW_COPY_CHECK)?;
        let args = [IValue::from(target), IValue::from(source)];
        let keys = self.tls.apply(call::keys_of_tensors(&args));
        let plan = Plan::walk(entry, keys, OptionsBackend::of(entry, &args))?;
        if self.composite_seen_whole(&plan) {
            self.run_composite_seen_whole(entry, &plan, &args)?;
        }
        Ok(())
    }

    /// Makes `leaf.grad` the handle `grad` (the new handle of the tensor it
    /// held, after a `.data` assignment to that gradient): the same tensor
    /// for the trace, so nothing is written.
    pub fn replace_grad_handle(&mut self, leaf: &Tensor, grad: &Tensor) {
        let mut meta = leaf.0.autograd.lock();
        if meta
            .grad
            .as_ref()
            .is_some_and(|g| Arc::ptr_eq(&g.0.trace, &grad.0.trace))
        {
            meta.grad = Some(grad.clone());
        }
    }
}

impl Runtime {
    /// At top level, the state changes held back are written before a
    /// `data` event (as before the hook api events).
    fn flush_state_before_data(&mut self) {
        if matches!(self.context, ExecContext::TopLevel)
            && let Some(t) = &mut self.tracer
        {
            t.flush_state();
        }
    }
}

/// A copy of `target`'s autograd state for its new handle; the cached
/// AccumulateGrad node only when the type stays.
fn take_autograd(target: &Tensor, same_type: bool) -> AutogradMeta {
    let meta = target.0.autograd.lock();
    AutogradMeta {
        requires_grad: meta.requires_grad,
        grad: meta.grad.clone(),
        grad_fn: meta.grad_fn.clone(),
        output_nr: meta.output_nr,
        grad_accumulator: if same_type {
            meta.grad_accumulator.clone()
        } else {
            Weak::new()
        },
        inference: meta.inference,
        view_base: meta.view_base.clone(),
        view_version: meta.view_version,
        zero_tensor: false,
    }
}

/// Points `leaf`'s live AccumulateGrad node, if any, at this handle.
fn retarget_accumulator(leaf: &Tensor) {
    let node = leaf.0.autograd.lock().grad_accumulator.upgrade();
    if let Some(node) = node.filter(|n| n.kind() == NodeKind::AccumulateGrad) {
        *node.function.lock() = Box::new(AccumulateGrad {
            variable: leaf.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivalue::IValue;
    use crate::tensor::dtype::DType;

    fn first(out: Vec<IValue>) -> Tensor {
        out.into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor")
    }

    fn param(rt: &mut Runtime) -> Tensor {
        rt.introduce_tensor_f32(&[3], &[1], 0, &[1.0, 2.0, 3.0], true)
            .expect("param")
    }

    #[test]
    fn writes_through_a_read_leave_the_source_version_alone() {
        let mut rt = Runtime::new();
        let p = param(&mut rt);
        let d = rt.data(&p);
        assert!(d.shares_storage(&p) && !d.requires_grad() && d.is_leaf());
        rt.call("aten.add_.Scalar", vec![(&d).into(), IValue::Float(1.0)])
            .expect("add_");
        let again = rt.data(&p);
        assert_eq!((p.version(), d.version(), again.version()), (0, 1, 0));
        assert_eq!(p.to_f64_vec().expect("values"), vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn an_assignment_keeps_identity_version_and_grad_and_takes_the_dtype() {
        let mut rt = Runtime::new();
        let p = param(&mut rt);
        let y = first(rt.call("aten.sum.default", vec![(&p).into()]).expect("sum"));
        rt.backward(std::slice::from_ref(&y), &[None], false, false)
            .expect("backward");
        let grad = p.grad().expect("grad");
        let converted = first(
            rt.call(
                "aten._to_copy.default",
                vec![(&p).into(), IValue::Dtype(DType::Float64)],
            )
            .expect("_to_copy"),
        );
        let q = rt.set_data(&p, &converted).expect("set_data");
        assert_eq!(q.dtype(), DType::Float64);
        assert!(q.shares_storage(&converted) && q.requires_grad() && q.is_leaf());
        assert!(Arc::ptr_eq(&q.0.trace, &p.0.trace));
        assert_eq!(q.version(), p.version());
        assert!(q.grad().is_some_and(|g| g.same_tensor(&grad)));
    }

    #[test]
    fn a_live_accumulator_of_the_same_type_accumulates_into_the_new_handle() {
        let mut rt = Runtime::new();
        let p = param(&mut rt);
        let y = first(rt.call("aten.sum.default", vec![(&p).into()]).expect("sum"));
        let replacement = rt
            .introduce_tensor_f32(&[3], &[1], 0, &[5.0, 5.0, 5.0], false)
            .expect("replacement");
        let q = rt.set_data(&p, &replacement).expect("set_data");
        rt.backward(std::slice::from_ref(&y), &[None], false, false)
            .expect("backward");
        assert!(q.grad().is_some() && p.grad().is_none());
    }
}
