//! Executing one operator call: the dispatch walk, step by step.
//!
//! 1. Bind the arguments to the schema (defaults filled in).
//! 2. Compute the keyset from the tensor arguments and the TLS sets, and the
//!    walk ([`crate::dispatch::Plan`]). A `math` walk runs the decomposition,
//!    whose parts dispatch from the top; the composite itself is not an event.
//! 3. When tracing: introduce tensor arguments the stream has not seen, and
//!    snapshot every tensor argument's version and `requires_grad`.
//! 4. Autograd kernel: check in-place rules, take a sequence number and
//!    collect the next edges when a graph must be recorded.
//! 5. Backend kernel, inside the device guard.
//! 6. ADInplaceOrView kernel: bump the version of an in-place operator's
//!    `self`; mark view outputs.
//! 7. Autograd kernel, after the call: complete the node, set the outputs'
//!    history.
//! 8. When tracing: the op event, then the AccumulateGrad nodes newly
//!    reached and the node (FORMAT §3.6 rule 2), then a device `transfer`
//!    per output whose device differs from some tensor argument's (the first
//!    such argument is the source).

use std::sync::Arc;

use ft_trace::Context;
use ft_trace::event::{DeviceEvent, DeviceGuard};

use super::{ExecContext, Runtime, decompose};
use crate::autograd::derivatives::{self, Differentiability};
use crate::autograd::functions::accumulate_grad::grad_accumulator;
use crate::autograd::node::{Edge, NodeBuilder};
use crate::device::Device;
use crate::dispatch::args::{Args, bind};
use crate::dispatch::dispatcher::{OptionsBackend, Plan};
use crate::dispatch::key::DispatchKey;
use crate::dispatch::keyset::DispatchKeySet;
use crate::dispatch::registry::{OpEntry, Registry};
use crate::dispatch::tls::LocalDispatchKeySet;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{self, KernelCtx};
use crate::tensor::Tensor;
use crate::trace::ArgMeta;

/// The edge a gradient for `t` flows along (PyTorch's `gradient_edge`).
pub(crate) fn gradient_edge(t: &Tensor) -> Edge {
    if let Some((node, nr)) = t.grad_fn_edge() {
        Edge::new(node, nr)
    } else if t.leaf_requires_grad() {
        Edge::new(grad_accumulator(t), 0)
    } else {
        Edge::default()
    }
}

/// A complex tensor (or `dtype=` argument) given to an operator whose
/// kernel has no complex path is refused with [`RuntimeError::UnsupportedDtype`]
/// naming the operator, the argument and the dtype: a real kernel would
/// compute on the interleaved parts as if they were elements.
fn refuse_complex_without_kernel(entry: &OpEntry, args: &[IValue]) -> Result<()> {
    let op = entry.python_name.as_str();
    if kernels::handles_complex(op, &entry.schema) {
        return Ok(());
    }
    let complex = args.iter().enumerate().find_map(|(i, v)| {
        let dtypes: Vec<_> = match v {
            IValue::Dtype(d) => vec![*d],
            v => v.tensors().into_iter().map(Tensor::dtype).collect(),
        };
        dtypes.into_iter().find(|d| d.is_complex()).map(|d| (i, d))
    });
    match complex {
        None => Ok(()),
        Some((i, dtype)) => Err(RuntimeError::UnsupportedDtype {
            op: op.to_owned(),
            arg: entry
                .schema
                .arguments
                .get(i)
                .map_or_else(|| format!("#{i}"), |a| a.name.clone()),
            dtype: dtype.name().to_owned(),
        }),
    }
}

/// The keys the tensor arguments contribute (PyTorch's `computeDispatchKeySet`
/// of the arguments): backend, autocast, ADInplaceOrView and autograd keys,
/// Conjugate for a tensor with the conjugate bit, Negative for one with
/// the negative bit, ZeroTensor for an
/// efficient zero tensor.
pub(super) fn keys_of_tensors(args: &[IValue]) -> DispatchKeySet {
    args.iter()
        .flat_map(IValue::tensors)
        .fold(DispatchKeySet::EMPTY, |ks, t| {
            let mut keys = DispatchKeySet::for_tensor(t.device(), t.is_inference());
            if t.is_sparse() && keys.contains(DispatchKey::CPU) {
                // torch 2.15: SparseCPU, ADInplaceOrView, AutogradCPU, AutocastCPU.
                keys = keys.without(DispatchKey::CPU).with(DispatchKey::SparseCPU);
            }
            if t.is_nested() && keys.contains(DispatchKey::CPU) {
                // torch 2.15: NestedTensorCPU, ADInplaceOrView, AutogradCPU,
                // AutogradNestedTensor, AutocastCPU.
                keys = keys
                    .without(DispatchKey::CPU)
                    .with(DispatchKey::NestedTensorCPU);
                if keys.contains(DispatchKey::AutogradCPU) {
                    keys = keys.with(DispatchKey::AutogradNestedTensor);
                }
            }
            let mut ks = ks.union(keys);
            if t.is_conj() {
                ks = ks.with(DispatchKey::Conjugate);
            }
            if t.is_neg() {
                ks = ks.with(DispatchKey::Negative);
            }
            if t.is_zero_tensor() {
                ks = ks.with(DispatchKey::ZeroTensor);
            }
            ks
        })
}

fn backend_device(key: DispatchKey) -> Result<Device> {
    match key {
        DispatchKey::CPU | DispatchKey::SparseCPU | DispatchKey::NestedTensorCPU => Ok(Device::Cpu),
        DispatchKey::Meta => Ok(Device::Meta),
        DispatchKey::CUDA => Ok(Device::Cuda(0)),
        other => Err(RuntimeError::unsupported(
            other.name(),
            "kernels for this backend",
        )),
    }
}

impl Runtime {
    /// Runs operator `op` (Python overload name, `aten.addmm.default`) as the
    /// program calls it through PyTorch's Python bindings, with positional
    /// arguments in schema order (trailing arguments may be left out; their
    /// defaults are filled in). Returns the results in schema order. Python
    /// tensor factories run below autograd and ADInplaceOrView
    /// ([`crate::dispatch::OpEntry::is_python_factory`]); see
    /// [`Runtime::call_from_cpp`] and [`Runtime::call_below_ad_inplace_or_view`]
    /// for calls that entered the dispatcher otherwise.
    ///
    /// Fails closed: an operator without a registered schema is
    /// [`RuntimeError::UnknownOp`].
    pub fn call(&mut self, op: &str, args: Vec<IValue>) -> Result<Vec<IValue>> {
        let below = Registry::builtin()?.get(op)?.is_python_factory();
        self.call_top_level(op, args, below)
    }

    /// Runs operator `op` at top level as C++ code calls it: with the
    /// thread's TLS, whatever the operator. PyTorch's composites call
    /// factories this way (observed in torch 2.15: dropout's `empty_like`
    /// walks AutogradCPU and ADInplaceOrView; batch norm's `empty` and
    /// `where`'s `scalar_tensor` walk ADInplaceOrView), and so does a
    /// trace whose recorded keyset has ADInplaceOrView or an Autograd key.
    pub fn call_from_cpp(&mut self, op: &str, args: Vec<IValue>) -> Result<Vec<IValue>> {
        self.call_top_level(op, args, false)
    }

    /// Runs operator `op` at top level below autograd and ADInplaceOrView
    /// (PyTorch's `AutoDispatchBelowADInplaceOrView`), whatever the operator:
    /// how `torch.tensor(...)` calls `lift_fresh` (observed in torch 2.15),
    /// and how a trace's call entered whose recorded keyset has neither
    /// ADInplaceOrView nor an Autograd key.
    pub fn call_below_ad_inplace_or_view(
        &mut self,
        op: &str,
        args: Vec<IValue>,
    ) -> Result<Vec<IValue>> {
        self.call_top_level(op, args, true)
    }

    fn call_top_level(&mut self, op: &str, args: Vec<IValue>, below: bool) -> Result<Vec<IValue>> {
        // While the engine runs a node, only program code it called back (a
        // hook) calls operators this way: they belong to the node.
        if matches!(self.context, ExecContext::Node(_)) {
            return self.call_in_hook(op, args, below);
        }
        // Only the clones of this call are kept for the caller to take, and
        // only the arguments it resized.
        self.original_selves.clear();
        self.resized_arguments.clear();
        let entry = Registry::builtin()?.get(op)?;
        if let Some(t) = &mut self.tracer {
            t.flush_state();
        }
        let tls = if below {
            self.tls.below_ad_inplace_or_view()
        } else {
            self.tls
        };
        let previous = std::mem::replace(&mut self.context, ExecContext::TopLevel);
        let result = self.dispatch_entry(entry, args, tls);
        self.context = previous;
        result
    }

    /// An operator call made by the runtime itself (backward formulas, the
    /// engine, decompositions): normal TLS, current context.
    pub(crate) fn dispatch(&mut self, op: &str, args: Vec<IValue>) -> Result<Vec<IValue>> {
        let entry = Registry::builtin()?.get(op)?;
        self.dispatch_entry(entry, args, self.tls)
    }

    /// As [`Runtime::dispatch`], under an explicit TLS state.
    pub(crate) fn dispatch_with_tls(
        &mut self,
        op: &str,
        args: Vec<IValue>,
        tls: LocalDispatchKeySet,
    ) -> Result<Vec<IValue>> {
        let entry = Registry::builtin()?.get(op)?;
        self.dispatch_entry(entry, args, tls)
    }

    fn dispatch_entry(
        &mut self,
        entry: &'static OpEntry,
        args: Vec<IValue>,
        tls: LocalDispatchKeySet,
    ) -> Result<Vec<IValue>> {
        let op = entry.python_name.as_str();
        let args = bind(op, &entry.schema, args)?;

        let tensor_keys = keys_of_tensors(&args);
        // A CPU `torch.Generator` argument contributes its backend key
        // (observed in torch 2.15: `randperm.generator` dispatches with
        // `BackendSelect, CPU`).
        let tensor_keys = if !self.faults.generator_key_dropped
            && args
                .iter()
                .any(|v| matches!(v, IValue::Str(s) if s == "generator:cpu"))
        {
            tensor_keys.with(DispatchKey::CPU)
        } else {
            tensor_keys
        };
        let options = OptionsBackend::of(entry, &args);
        let plan = Plan::walk(entry, tls.apply(tensor_keys), options)?;
        if self.composite_seen_whole(&plan) {
            return self.run_composite_seen_whole(entry, &plan, &args);
        }
        if plan.is_math() {
            return decompose::run(self, entry, &args);
        }

        refuse_complex_without_kernel(entry, &args)?;
        let builder = if plan.has_autograd() {
            self.autograd_before(entry, &args)?
        } else {
            None
        };
        // Inputs saved under a saved-tensor hooks scope, taken before the
        // kernel's inner calls save their own.
        let mut hooked = match &builder {
            Some(_) => crate::autograd::saved::take_pending(),
            None => Vec::new(),
        };
        if !self.faults.build_order_saved_tensors {
            crate::autograd::saved::order_saved_inputs(&mut hooked, &entry.schema.arguments, &args);
        }
        // The Conjugate fallback, below autograd: the call goes on (and is
        // recorded) with the materialized tensors' keys.
        let (args, plan) = match self.materialize_conjugates(entry, &args)? {
            Some(args) => {
                let keys = tls.apply(keys_of_tensors(&args));
                let plan = Plan::walk(entry, keys, options)?;
                (args, plan)
            }
            None => (args, plan),
        };
        // After the autograd kernel's own dispatches (the clone of an
        // in-place op's original self reaches a dispatch mode before the op,
        // so a tensor first named by the op is introduced after the clone).
        let arg_metas = self.tracer.as_mut().map(|tracer| {
            tracer.introduce_unseen(args.iter().flat_map(IValue::tensors));
            args.iter()
                .flat_map(IValue::tensors)
                .map(ArgMeta::of)
                .collect::<Vec<_>>()
        });

        let backend_key = plan
            .backend()
            .ok_or_else(|| RuntimeError::unsupported(op, "a walk without a backend kernel"))?;
        let backend = backend_device(backend_key)?;
        // A TensorOptions `device` names the result's device whatever the
        // backend the tensor arguments selected: PyTorch's `*_like` and
        // `new_*` factories build their result with `at::empty` on that
        // device (`empty_like(meta_t, device="cpu")` is a CPU tensor, what
        // `Module.to_empty(device="cpu")` calls on a module built on meta).
        let kernel_backend = if self.faults.like_device_ignored {
            backend
        } else {
            options.device.unwrap_or(backend)
        };
        if backend_key != DispatchKey::SparseCPU
            && args.iter().flat_map(IValue::tensors).any(Tensor::is_sparse)
        {
            return Err(RuntimeError::unsupported(
                op,
                "a sparse_coo argument (no SparseCPU kernel)",
            ));
        }
        if backend_key != DispatchKey::NestedTensorCPU
            && args.iter().flat_map(IValue::tensors).any(Tensor::is_nested)
        {
            return Err(RuntimeError::unsupported(
                op,
                "a nested argument (no NestedTensorCPU kernel)",
            ));
        }
        let kernel = if backend_key == DispatchKey::SparseCPU {
            kernels::sparse_ops::lookup(op)
                .ok_or_else(|| RuntimeError::unsupported(op, "a SparseCPU kernel"))?
        } else if backend_key == DispatchKey::NestedTensorCPU {
            kernels::nested_ops::lookup(op)
                .ok_or_else(|| RuntimeError::unsupported(op, "a NestedTensorCPU kernel"))?
        } else {
            kernels::lookup(op).ok_or_else(|| RuntimeError::unsupported(op, "a CPU kernel"))?
        };
        if let (ExecContext::Node(_), Some(anchor)) = (&self.context, &mut self.node_anchor) {
            let inputs: Vec<&Tensor> = args.iter().flat_map(IValue::tensors).collect();
            anchor.anchor_inputs(op, &inputs);
        }
        let restore = self.devices.enter(backend);
        if let (Some(t), Some(_)) = (&mut self.tracer, restore) {
            t.device(DeviceEvent::GuardEnter(DeviceGuard {
                device: backend.name(),
            }));
        }
        let result = {
            let mut ctx = KernelCtx {
                op,
                backend: kernel_backend,
                random: &mut self.random,
                default_dtype: self.default_dtype,
                faults: &self.faults,
                cpu: &self.cpu,
                grad_enabled: self.grad_enabled,
                gauge: self
                    .gauge_reference
                    .as_ref()
                    .filter(|(for_op, _)| for_op == op)
                    .map(|(_, outputs)| outputs.as_slice()),
                resized: &mut self.resized_arguments,
            };
            kernel(
                &mut ctx,
                Args {
                    op,
                    schema: &entry.schema,
                    values: &args,
                },
            )
        };
        if let Some(previous) = restore {
            self.devices.exit(previous);
            if let Some(t) = &mut self.tracer {
                t.device(DeviceEvent::GuardExit(DeviceGuard {
                    device: backend.name(),
                }));
            }
        }
        let outputs = match result {
            Ok(outputs) => outputs,
            Err(e) => {
                if let Some(metas) = arg_metas {
                    self.trace_op_error(entry, &plan, &args, metas, &e);
                }
                return Err(e);
            }
        };
        self.apply_perturb_fault(op, &args, &outputs)?;

        if plan.has_inplace_or_view_kernel() && entry.schema.is_out() {
            // ADInplaceOrView bumps every `out=` tensor the call wrote.
            for i in entry.schema.out_arguments() {
                for t in args.get(i).map(IValue::tensors).unwrap_or_default() {
                    if !t.is_inference() {
                        t.0.version.bump();
                    }
                }
            }
        } else if plan.has_inplace_or_view_kernel()
            && let Some(this) = args.first().and_then(IValue::as_tensor)
        {
            if entry.schema.is_inplace() {
                // Inference tensors have no version counter (observed in
                // torch 2.15: an in-place op on one outside inference_mode
                // runs its kernel, then PyTorch raises above the dispatch
                // mode, which saw it return; the runtime does not raise).
                if !this.is_inference()
                    && !crate::kernels::resize::keeps_version(op, this, &outputs)
                {
                    this.0.version.bump();
                }
            } else if entry.schema.is_view()
                && !matches!(
                    op,
                    "aten.detach.default"
                        | "aten._values.default"
                        | "aten._indices.default"
                        | "aten.indices.default"
                )
            {
                // A sparse tensor's parts are non-differentiable views
                // (`make_variable_non_differentiable_view`): no base.
                let base = this.view_base().unwrap_or_else(|| this.clone());
                for out in outputs.iter().flat_map(IValue::tensors) {
                    let mut meta = out.0.autograd.lock();
                    meta.view_base = Some(base.clone());
                    meta.view_version = out.version();
                }
            }
        }
        // `_foreach_*_`: the kernel's per-element in-place calls bump each
        // `self` tensor's version, except under a dispatch mode, whose
        // Python-key fallback runs them below ADInplaceOrView (observed in
        // torch 2.15: +1 each without a mode, unchanged in captures).
        if entry.schema.is_inplace()
            && entry.schema.self_is_list()
            && entry.dispatch == "CompositeExplicitAutograd"
            && !self.dispatch_mode_active
        {
            for t in args.first().map(IValue::tensors).unwrap_or_default() {
                t.0.version.bump();
            }
        }
        if self.inference_mode {
            mark_inference(&args, &outputs);
        }

        let out_tensors: Vec<Tensor> = outputs.iter().flat_map(IValue::tensors).cloned().collect();
        // The `detach` a saved variable makes of an unpacked tensor under a
        // program dispatch mode: its output has the saved tensor's state
        // before the event is written (`Runtime::saved_tensors_hooks_under_dispatch_mode`).
        let unpack_rewrapped = op == "aten.detach.default"
            && crate::autograd::saved::give_unpack_detach_state(&out_tensors);
        // The outputs that get the node as history (PyTorch's
        // `output_differentiability`: max_pool2d_with_indices' indices and
        // the attention logsumexp have none). An undefined result keeps its
        // place among them: output numbers count it, as PyTorch's
        // `set_history` of the flattened results does (observed in torch
        // 2.15: with `output_mask=[False, True, True]` the weight and bias
        // gradients of `convolution_backward` are outputs 1 and 2 of
        // ConvolutionBackwardBackward0).
        let slots: Vec<Option<Tensor>> = match &builder {
            Some(b) => output_slots(&outputs)
                .into_iter()
                .enumerate()
                .filter(|(i, _)| b.output_differentiable(*i))
                .map(|(_, t)| t)
                .collect(),
            None => Vec::new(),
        };
        let differentiable: Vec<Tensor> = slots.iter().flatten().cloned().collect();
        let node = builder.map(|b| {
            let node = b.finish(&out_tensors, &slots);
            for (nr, t) in slots.iter().enumerate() {
                let Some(t) = t else { continue };
                let mut meta = t.0.autograd.lock();
                meta.grad_fn = Some(Arc::clone(&node));
                meta.output_nr = nr as u32;
            }
            node
        });
        if let Some(node) = &node {
            let mut outputs = crate::autograd::saved::take_pending();
            if !self.faults.build_order_saved_tensors {
                crate::autograd::saved::order_saved_outputs(
                    &mut outputs,
                    &entry.schema.returns,
                    &out_tensors,
                );
            }
            hooked.extend(outputs);
            self.pack_saved(node, hooked)?;
        }
        // An in-place op on a view: its node goes into the base's CopySlices.
        // An in-place view operator changes the view itself: its node
        // chains on the view's history and the view's history stays current.
        if entry.schema.is_inplace_view() {
            for t in &out_tensors {
                let mut meta = t.0.autograd.lock();
                meta.view_version = t.version();
            }
        }
        let rebases = entry.schema.is_inplace()
            && (!entry.schema.is_inplace_view() || self.faults.inplace_view_rebases);
        let rebased = match (&node, rebases) {
            (Some(node), true) => Runtime::inplace_view(&args)
                .map(|(view, base)| self.rebase_view_history(node, &view, &base)),
            _ => None,
        };

        if let Some(metas) = arg_metas
            && let Some(context) = self.traced_context()
            && let Some(tracer) = &mut self.tracer
        {
            let names = argument_names(entry);
            let mut out_metas = output_metas(&args, &metas, &out_tensors, &differentiable);
            if unpack_rewrapped {
                for (meta, t) in out_metas.iter_mut().zip(&out_tensors) {
                    meta.requires_grad = t.requires_grad();
                }
            }
            tracer.op(
                op,
                plan.keyset,
                plan.chain_names(),
                &names,
                &args,
                metas,
                &outputs,
                out_metas,
                context,
            );
            if let Some(r) = &rebased {
                // CopySlices is attached to no output of the call (the
                // capture reaches it through the view's node).
                let name = r.copy_slices.name().to_owned();
                tracer.node(&r.copy_slices, &[], &name);
                let name = r.view_node.name().to_owned();
                tracer.node(&r.view_node, std::slice::from_ref(&r.view), &name);
            } else if let Some(node) = &node {
                let name = node.name().to_owned();
                tracer.node(node, &differentiable, &name);
            }
            for dst in &out_tensors {
                let src = args
                    .iter()
                    .flat_map(IValue::tensors)
                    .find(|a| a.device() != dst.device());
                if let Some(src) = src {
                    tracer.transfer(src, dst);
                }
            }
        }
        Ok(outputs)
    }

    /// The context a call dispatched now is recorded in, or `None` when
    /// nothing is recording.
    pub(super) fn traced_context(&mut self) -> Option<Context> {
        let (node_ctx, in_backward) = match &self.context {
            ExecContext::TopLevel => (None, false),
            ExecContext::Backward => (None, true),
            ExecContext::Node(n) => (Some(Arc::clone(n)), true),
        };
        let tracer = self.tracer.as_mut()?;
        Some(tracer.context_of(node_ctx.as_deref(), in_backward))
    }

    /// The op_error event of a call whose kernel raised (the autograd
    /// kernel's own checks raise above the point PyTorch's capture observes,
    /// and are not recorded as op errors: `a leaf Variable that requires grad
    /// is being used in an in-place operation.`).
    fn trace_op_error(
        &mut self,
        entry: &OpEntry,
        plan: &Plan,
        args: &[IValue],
        metas: Vec<ArgMeta>,
        error: &RuntimeError,
    ) {
        let Some(context) = self.traced_context() else {
            return;
        };
        let Some(tracer) = &mut self.tracer else {
            return;
        };
        let names = argument_names(entry);
        tracer.op_error(
            entry.python_name.as_str(),
            plan.keyset,
            plan.chain_names(),
            &names,
            args,
            metas,
            error.python_message(),
            context,
        );
    }

    /// The autograd kernel's work before the backend runs: PyTorch's
    /// `check_inplace`, `compute_requires_grad`, node creation (taking the
    /// sequence number now) and `collect_next_edges`.
    fn autograd_before(&mut self, entry: &OpEntry, args: &[IValue]) -> Result<Option<NodeBuilder>> {
        let op = entry.python_name.as_str();
        let inplace = entry.schema.is_inplace();
        if inplace
            && self.grad_enabled
            && let Some(this) = args.first().and_then(IValue::as_tensor)
            && this.is_leaf()
            && this.requires_grad()
        {
            return Err(RuntimeError::autograd(
                "a leaf Variable that requires grad is being used in an in-place operation.",
            ));
        }
        let any_requires_grad = || {
            args.iter()
                .flat_map(IValue::tensors)
                .any(Tensor::requires_grad)
        };
        if self.faults.frexp_without_backward && op == "aten.frexp.Tensor" {
            return Ok(None);
        }
        match derivatives::lookup(op) {
            Differentiability::NotDifferentiable => Ok(None),
            Differentiability::Missing => {
                if self.grad_enabled && any_requires_grad() {
                    Err(RuntimeError::unsupported(
                        op,
                        "recording autograd history (no derivative formula)",
                    ))
                } else {
                    Ok(None)
                }
            }
            Differentiability::Derivative(d) => {
                // One edge per differentiable tensor; a `Tensor[]` argument
                // contributes one per element (PyTorch's `collect_next_edges`).
                let inputs: Vec<Option<&Tensor>> = d
                    .inputs
                    .iter()
                    .flat_map(|&i| match args.get(i) {
                        Some(IValue::TensorList(ts)) => ts.iter().map(Some).collect(),
                        other => vec![other.and_then(IValue::as_tensor)],
                    })
                    .collect();
                // PyTorch's fallback node has edges for the tensors that
                // require grad only.
                let inputs: Vec<Option<&Tensor>> = if d.fallback {
                    inputs
                        .into_iter()
                        .filter(|t| t.is_some_and(Tensor::requires_grad))
                        .collect()
                } else {
                    inputs
                };
                let needs: Vec<bool> = inputs
                    .iter()
                    .map(|t| t.is_some_and(Tensor::requires_grad))
                    .collect();
                let grad_mode = self.grad_enabled || self.faults.ignore_grad_mode;
                if !grad_mode || !needs.iter().any(|&n| n) {
                    return Ok(None);
                }
                if self.faults.drop_backward_history && matches!(self.context, ExecContext::Node(_))
                {
                    return Ok(None);
                }
                // Only floating outputs are differentiable: an explicit
                // non-floating `dtype` (`x.long()`, `sum(dtype=torch.int64)`)
                // records no node and takes no sequence number (observed in
                // torch 2.15: `x.long()` of a leaf that requires grad has no
                // grad_fn, and the next node's sequence number is unchanged).
                if let Some(i) = entry.schema.argument_index("dtype")
                    && let Some(IValue::Dtype(d)) = args.get(i)
                    && !(d.is_floating() || d.is_complex())
                {
                    return Ok(None);
                }
                if inplace && let Some((view, base)) = Runtime::inplace_view(args) {
                    self.check_inplace_on_view(&view, &base)?;
                }
                // Observed in torch 2.15: a `NotImplemented` node takes no
                // sequence number and reports `UINT64_MAX`.
                let seq_nr = if d.fallback {
                    ft_trace::ACCUMULATE_GRAD_SEQ
                } else {
                    self.next_sequence_nr()
                };
                // Collecting the edges reads each input's history: a stale
                // view's is regenerated now, after the node took its number.
                for t in inputs.iter().flatten() {
                    self.refresh_view_history(t);
                }
                let next_edges = inputs
                    .iter()
                    .map(|t| t.map(gradient_edge).unwrap_or_default())
                    .collect();
                let function = if inplace && (d.original_self)(&needs) {
                    let original = self.original_self(op, args)?;
                    (d.build)(&original, &needs)?
                } else {
                    (d.build)(args, &needs)?
                };
                Ok(Some(NodeBuilder {
                    name: self.faults.node_name(d.name).to_owned(),
                    seq_nr,
                    forward_op: op.to_owned(),
                    next_edges,
                    function,
                    differentiable_outputs: d.outputs,
                }))
            }
        }
    }

    /// The arguments of an in-place call with `self` replaced by
    /// `clone(self)`, dispatched as PyTorch's autograd kernel does before the
    /// backend kernel runs (observed in torch 2.15: `x.mul_(w)` with `w`
    /// requiring grad records `clone(x)` and its CloneBackward0 first).
    fn original_self(&mut self, op: &str, args: &[IValue]) -> Result<Vec<IValue>> {
        let this = args.first().and_then(IValue::as_tensor).ok_or_else(|| {
            RuntimeError::unsupported(op, "an in-place call without a tensor self")
        })?;
        let clone = self
            .dispatch("aten.clone.default", vec![this.into()])?
            .into_iter()
            .next()
            .ok_or_else(|| RuntimeError::unsupported(op, "clone without a result"))?;
        if let Some(t) = clone.as_tensor() {
            self.original_selves.push(t.clone());
        }
        let mut with_clone = args.to_vec();
        with_clone[0] = clone;
        Ok(with_clone)
    }

    pub(super) fn apply_perturb_fault(
        &self,
        op: &str,
        args: &[IValue],
        outputs: &[IValue],
    ) -> Result<()> {
        // The first defined output tensor (of a `Tensor[]` result too; a
        // backward operator whose first gradient is undefined has its next
        // one perturbed); an in-place operator returning nothing
        // (`_foreach_*_`) has its first `self` tensor perturbed instead.
        let written = if outputs.is_empty() {
            args.first().and_then(|v| v.tensors().into_iter().next())
        } else {
            outputs.iter().flat_map(IValue::tensors).next()
        };
        // A nested tensor's elements are its buffer's.
        let written = written.map(|t| t.nested_buffer().unwrap_or_else(|| t.clone()));
        if let Some((target, delta)) = &self.faults.perturb
            && target == op
            && let Some(t) = &written
            && t.has_data()
        {
            let values: Vec<f32> = t.read_f32(op)?.into_iter().map(|v| v + delta).collect();
            t.write_f32(op, &values)?;
        }
        Ok(())
    }
}

/// Version and `requires_grad` recorded for each output: the version after
/// the call; `requires_grad` as the kernel handed the tensor back — true when
/// this call attached a node to it (`attached`), or when the output is an
/// argument (in-place) that required grad. A view made without recording a
/// graph is recorded as not requiring grad even though it inherits the flag
/// from its base right after (PyTorch's dispatch mode sees the tensor before ADInplaceOrView
/// makes it a differentiable view; the capture records what it sees).
pub(super) fn output_metas(
    args: &[IValue],
    arg_metas: &[ArgMeta],
    outs: &[Tensor],
    attached: &[Tensor],
) -> Vec<ArgMeta> {
    outs.iter()
        .map(|out| {
            // An argument's new handle (in-place view operators, `set_`)
            // is the same tensor: it keeps the trace identity.
            let from_arg = args
                .iter()
                .flat_map(IValue::tensors)
                .zip(arg_metas)
                .find(|(a, _)| a.same_tensor(out) || Arc::ptr_eq(&a.0.trace, &out.0.trace))
                .is_some_and(|(_, m)| m.requires_grad);
            ArgMeta {
                version: out.version(),
                requires_grad: attached.iter().any(|a| a.same_tensor(out)) || from_arg,
                sparse: out.sparse_parts("trace").ok(),
            }
        })
        .collect()
}

/// The results of a call flattened as PyTorch's `flatten_tensor_args` does:
/// one entry per tensor (each element of a `Tensor[]`), `None` for an
/// undefined result.
fn output_slots(outputs: &[IValue]) -> Vec<Option<Tensor>> {
    outputs
        .iter()
        .flat_map(|v| match v {
            IValue::None => vec![None],
            other => other.tensors().into_iter().cloned().map(Some).collect(),
        })
        .collect()
}

/// Outputs allocated in inference mode are inference tensors; views of
/// normal tensors stay normal.
fn mark_inference(args: &[IValue], outputs: &[IValue]) {
    for out in outputs.iter().flat_map(IValue::tensors) {
        let aliases_input = args
            .iter()
            .flat_map(IValue::tensors)
            .any(|a| a.shares_storage(out));
        if !aliases_input {
            out.0.autograd.lock().inference = true;
        }
    }
}

/// The names of an operator's schema arguments, in schema order (an op
/// event's `args` are `[name, value]` pairs).
pub(super) fn argument_names(entry: &OpEntry) -> Vec<String> {
    entry
        .schema
        .arguments
        .iter()
        .map(|a| a.name.clone())
        .collect()
}
