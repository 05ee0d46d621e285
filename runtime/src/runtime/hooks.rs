//! The hook API (`Tensor.register_hook`, `retain_grad`,
//! `register_post_accumulate_grad_hook`, `handle.remove()`) and the points
//! where the engine calls hooks (see [`crate::autograd::hooks`]).
//!
//! Hooks are ordinary Rust closures that receive the runtime, so a native
//! program can use them as a Python program does, and a replayer can
//! re-execute at that point what the recorded program's hook did. While a
//! hook runs, the runtime is in the context of the node the engine is
//! running: the operators the hook calls are recorded in that node's context,
//! between the `hook_begin` and `hook_end` events (FORMAT.md §3.4.1).

use std::sync::Arc;

use super::{ExecContext, Runtime};
use crate::autograd::hooks::{
    HookFn, HookHandle, PostAccumulateHookFn, TensorHookFn, retain_gradient,
};
use crate::autograd::node::{Node, NodeKind};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// `register_hook` kind names of the trace.
const KIND_TENSOR: &str = "tensor";
const KIND_POST_ACCUMULATE: &str = "post_accumulate_grad";

impl Runtime {
    /// `tensor.register_hook(hook)`: `hook` runs with the tensor's gradient
    /// before the node that consumes it (a non-leaf's `grad_fn`, a leaf's
    /// AccumulateGrad) and may return a gradient that replaces it.
    ///
    /// ```
    /// use ft_runtime::{IValue, Runtime};
    ///
    /// let mut rt = Runtime::new();
    /// let x = rt.introduce_tensor_f32(&[2], &[1], 0, &[1.0, 2.0], true)?;
    /// // Clip the gradient of x to [-0.5, 0.5] before it is accumulated.
    /// rt.register_hook(
    ///     &x,
    ///     Box::new(|rt, g| {
    ///         let Some(g) = g else { return Ok(None) };
    ///         let clipped = rt.call(
    ///             "aten.clamp.default",
    ///             vec![g.into(), IValue::Float(-0.5), IValue::Float(0.5)],
    ///         )?;
    ///         Ok(clipped.into_iter().next().and_then(IValue::into_tensor))
    ///     }),
    /// )?;
    /// let y = rt.call("aten.sum.default", vec![(&x).into()])?;
    /// let y = y[0].as_tensor().expect("tensor").clone();
    /// rt.backward(&[y], &[None], false, false)?;
    /// assert_eq!(x.grad().expect("grad").to_f32_vec()?, vec![0.5, 0.5]);
    /// # Ok::<(), ft_runtime::RuntimeError>(())
    /// ```
    pub fn register_hook(&mut self, tensor: &Tensor, hook: TensorHookFn) -> Result<HookHandle> {
        if !tensor.requires_grad() {
            return Err(RuntimeError::autograd(
                "cannot register a hook on a tensor that doesn't require gradient",
            ));
        }
        let handle = self.hooks.add_tensor_hook(tensor, hook);
        self.flush_state_at_top_level();
        if let Some(t) = &mut self.tracer {
            t.register_hook(handle.id(), KIND_TENSOR, tensor);
        }
        Ok(handle)
    }

    /// `tensor.register_post_accumulate_grad_hook(hook)`: `hook` runs with
    /// the leaf after its AccumulateGrad stored a gradient in `.grad`.
    pub fn register_post_accumulate_grad_hook(
        &mut self,
        tensor: &Tensor,
        hook: PostAccumulateHookFn,
    ) -> Result<HookHandle> {
        if !tensor.requires_grad() {
            return Err(RuntimeError::autograd(
                "cannot register a hook on a tensor that doesn't require gradient",
            ));
        }
        if !tensor.is_leaf() {
            return Err(RuntimeError::autograd(
                "post accumulate grad hooks cannot be registered on non-leaf tensors",
            ));
        }
        let handle = self.hooks.add_post_accumulate_hook(tensor, hook);
        self.flush_state_at_top_level();
        if let Some(t) = &mut self.tracer {
            t.register_hook(handle.id(), KIND_POST_ACCUMULATE, tensor);
        }
        Ok(handle)
    }

    /// `handle.remove()`: the hook is not called again (removing twice is a
    /// no-op, as in PyTorch).
    pub fn remove_hook(&mut self, handle: HookHandle) {
        self.hooks.remove(handle);
        self.flush_state_at_top_level();
        if let Some(t) = &mut self.tracer {
            t.remove_hook(handle.id());
        }
    }

    /// `tensor.retain_grad()`: a non-leaf keeps its gradient in `.grad`
    /// from the next backward on; a no-op on a leaf (which always does).
    pub fn retain_grad(&mut self, tensor: &Tensor) -> Result<()> {
        if !tensor.requires_grad() {
            return Err(RuntimeError::autograd(
                "can't retain_grad on Tensor that has requires_grad=False",
            ));
        }
        if !tensor.is_leaf() {
            self.hooks.add_retains_grad(tensor);
        }
        self.flush_state_at_top_level();
        if let Some(t) = &mut self.tracer {
            t.retain_grad(tensor);
        }
        Ok(())
    }

    /// Writes the held-back state changes before a hook api event of the
    /// program's top level, as before a top-level operator (FORMAT.md
    /// §3.6.4): the event may depend on them (`requires_grad_()` then
    /// `register_hook`).
    fn flush_state_at_top_level(&mut self) {
        if matches!(self.context, ExecContext::TopLevel)
            && let Some(t) = &mut self.tracer
        {
            t.flush_state();
        }
    }

    /// Runs operator `op` as program code the engine called back (a hook)
    /// calls it: in the context of the node being run, with no state
    /// changes written (they are written before top-level calls only);
    /// `below_ad_inplace_or_view` as for [`Runtime::call_below_ad_inplace_or_view`].
    /// [`Runtime::call`] and its variants do the same while a node runs, so
    /// a native hook may use them.
    pub fn call_in_hook(
        &mut self,
        op: &str,
        args: Vec<IValue>,
        below_ad_inplace_or_view: bool,
    ) -> Result<Vec<IValue>> {
        let tls = if below_ad_inplace_or_view {
            self.tls.below_ad_inplace_or_view()
        } else {
            self.tls
        };
        self.dispatch_with_tls(op, args, tls)
    }

    /// `tensor.retains_grad`: true for a non-leaf after `retain_grad()`.
    pub fn retains_grad(&self, tensor: &Tensor) -> bool {
        self.hooks.retains_grad(tensor)
    }

    /// Runs the hooks due before `node`'s function (engine.cpp
    /// `call_tensor_pre_hooks`): its tensor hooks, each replacing the
    /// gradient it receives when it returns one, then the retain-grad hooks
    /// of its outputs; finally one `accumulate` event per output whose
    /// `.grad` they set, by output number.
    pub(crate) fn call_tensor_pre_hooks(
        &mut self,
        node: &Arc<Node>,
        mut inputs: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if self.faults.skip_hooks {
            return Ok(inputs);
        }
        let leaf = if node.kind() == NodeKind::AccumulateGrad {
            node.function.lock().leaf()
        } else {
            None
        };
        let mut hooks = self.hooks.tensor_hooks(node, leaf.as_ref());
        if self.faults.reverse_hooks {
            hooks.reverse();
        }
        for (id, input_nr) in hooks {
            let Some(slot) = inputs.get_mut(input_nr as usize) else {
                continue;
            };
            let received = slot.clone();
            if let Some(replacement) = self.run_tensor_hook(id, node, received)? {
                *slot = Some(replacement);
            }
        }
        let mut retained = Vec::new();
        for (input_nr, t) in self.hooks.retaining(node) {
            let grad = inputs.get(input_nr as usize).and_then(Option::as_ref);
            if retain_gradient(self, &t, grad)? {
                retained.push(t);
            }
        }
        for t in &retained {
            self.trace_accumulate(node, t);
        }
        Ok(inputs)
    }

    /// Runs one tensor hook between `hook_begin` and `hook_end`.
    fn run_tensor_hook(
        &mut self,
        id: u64,
        node: &Arc<Node>,
        grad: Option<Tensor>,
    ) -> Result<Option<Tensor>> {
        let Some(mut f) = self.hooks.take(id) else {
            return Ok(None);
        };
        if let Some(t) = &mut self.tracer {
            t.hook_begin(id, node, &[grad.as_ref()]);
        }
        let outcome = match &mut f {
            HookFn::Tensor(hook) => hook(self, grad.as_ref()),
            HookFn::PostAccumulate(_) | HookFn::NodePost(_) | HookFn::Hold { .. } => Ok(None),
        };
        self.hooks.restore(id, f);
        let result = outcome?;
        if let Some(t) = &mut self.tracer {
            t.hook_end(id, result.as_ref());
        }
        Ok(result)
    }

    /// Runs `leaf`'s post-accumulate-grad hooks (AccumulateGrad, after it
    /// stored the gradient and wrote its `accumulate` event).
    pub(crate) fn call_post_accumulate_hooks(
        &mut self,
        node: &Arc<Node>,
        leaf: &Tensor,
    ) -> Result<()> {
        if self.faults.skip_hooks {
            return Ok(());
        }
        for id in self.hooks.post_accumulate_hooks(leaf) {
            let Some(mut f) = self.hooks.take(id) else {
                continue;
            };
            if let Some(t) = &mut self.tracer {
                t.hook_begin(id, node, &[Some(leaf)]);
            }
            let outcome = match &mut f {
                HookFn::PostAccumulate(hook) => hook(self, leaf),
                HookFn::Tensor(_) | HookFn::NodePost(_) | HookFn::Hold { .. } => Ok(()),
            };
            self.hooks.restore(id, f);
            outcome?;
            if let Some(t) = &mut self.tracer {
                t.hook_end(id, None);
            }
        }
        Ok(())
    }
}
