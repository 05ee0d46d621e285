//! The `Runtime` facade: the state a PyTorch thread would have, and the API
//! replay drives.
//!
//! A runtime owns the grad-mode and inference-mode flags, the dispatch TLS,
//! the sequence-number counter of autograd nodes (starting at 0), the random
//! source, the device state, the test faults and — when tracing — the
//! [`crate::trace::Tracer`]. It is single-threaded like the PyTorch thread it
//! models.
//!
//! * [`Runtime::call`] runs one operator as the *program* calls it (Python
//!   tensor factories run below autograd, see
//!   [`crate::dispatch::OpEntry::is_python_factory`]);
//!   [`Runtime::call_from_cpp`] and [`Runtime::call_below_ad_inplace_or_view`]
//!   run a top-level call with the TLS state it entered PyTorch's dispatcher
//!   with when that is not the binding's (a factory a C++ composite calls,
//!   `torch.tensor`'s `lift_fresh`);
//! * api methods mirror the api layer of the trace: `manual_seed`,
//!   `set_grad_mode`, `mark_begin`/`mark_end`, `backward`, `set_grad`,
//!   `set_requires_grad`, `introduce_tensor`, `introduce_alias`, and the
//!   hooks (`register_hook`, `register_post_accumulate_grad_hook`,
//!   `remove_hook`, `retain_grad`).
//!
//! Submodules: `call` (executing a dispatch walk), `ops` (typed operator
//! calls used by backward formulas and the engine), `backward` (the
//! `backward()` API), `decompose` (CompositeImplicitAutograd kernels),
//! `hooks` (the hook API and where the engine calls hooks).

mod anchor;
mod backward;
mod call;
mod conj_fallback;
mod coverage;
mod data;
mod decompose;
mod functions;
mod grad;
mod hooks;
mod node_holds;
mod node_hooks;
mod observed_composite;
mod ops;
mod ops_elementwise;
mod ops_foreach;
mod ops_indexing;
mod ops_nn;
pub(crate) mod ops_reduction;
mod ops_sparse;
mod saved_hooks;
mod views;

use std::sync::Arc;

pub use anchor::{NodeAnchor, overwrite_values};
pub use coverage::{BackwardSupport, OpSupport};
pub use functions::FunctionBackwardFn;
pub use grad::GradRequest;
pub use saved_hooks::{PackHookFn, SavedHooksHandle, UnpackHookFn};

use ft_trace::EventSink;
use ft_trace::event::{ApiEvent, ManualSeed, Mark};

use crate::autograd::anomaly::AnomalyMode;
use crate::autograd::hooks::HookRegistry;
use crate::autograd::node::{Edge, Node};
use crate::cpu::CpuProfile;
use crate::device::DeviceState;
use crate::dispatch::autocast::AutocastState;
use crate::dispatch::key::DispatchKey;
use crate::dispatch::registry::Registry;
use crate::dispatch::schema::FunctionSchema;
use crate::dispatch::tls::LocalDispatchKeySet;
use crate::error::{Result, RuntimeError};
use crate::faults::Faults;
use crate::kernels::random::RandomSource;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{checked_numel, storage_span};
use crate::tensor::{Tensor, VersionCounter};
use crate::trace::Tracer;

/// Where the runtime is executing, for the `context` of op events.
#[derive(Clone, Default)]
pub(crate) enum ExecContext {
    /// Called by the program.
    #[default]
    TopLevel,
    /// Inside `backward()`, outside any node.
    Backward,
    /// While the engine runs this node.
    Node(Arc<Node>),
}

/// A FrankenTorch runtime.
pub struct Runtime {
    tracer: Option<Tracer>,
    grad_enabled: bool,
    inference_mode: bool,
    dispatch_mode_active: bool,
    tls: LocalDispatchKeySet,
    /// CPU autocast (`torch.autocast("cpu")`).
    autocast_cpu: AutocastState,
    /// Autograd's anomaly mode (`torch.autograd.detect_anomaly()`).
    anomaly: AnomalyMode,
    /// Dispatching below autograd (api `below_autograd`): the autograd keys
    /// are excluded while a program-defined operator's kernel runs.
    below_autograd: bool,
    next_seq: u64,
    random: RandomSource,
    /// PyTorch's recorded outputs of the next call of an operator, for the
    /// spectral decompositions' gauge ([`Runtime::provide_gauge_reference`]).
    gauge_reference: Option<(String, Vec<Vec<f64>>)>,
    devices: DeviceState,
    faults: Faults,
    /// The CPU whose PyTorch kernels' rounding is reproduced.
    cpu: CpuProfile,
    context: ExecContext,
    default_dtype: DType,
    /// Clones of `self` that in-place operators dispatched for their
    /// backward during the last top-level call.
    original_selves: Vec<Tensor>,
    /// Arguments the last top-level call's kernels resized in place, by
    /// argument index, with their new handles.
    resized_arguments: Vec<(usize, Tensor)>,
    /// Backward hooks the program registered.
    hooks: HookRegistry,
    /// Backward functions of the program's custom autograd.Functions.
    functions: functions::FunctionRegistry,
    /// Saved-tensor hooks pairs and the tensors saved under them.
    saved_hooks: saved_hooks::SavedHooks,
    /// Anchored replay: puts recorded values into the inputs of operators
    /// backward nodes run.
    node_anchor: Option<Box<dyn NodeAnchor>>,
}

impl Default for Runtime {
    fn default() -> Runtime {
        Runtime::new()
    }
}

impl Runtime {
    /// A runtime with tracing off.
    pub fn new() -> Runtime {
        Runtime {
            tracer: None,
            grad_enabled: true,
            inference_mode: false,
            dispatch_mode_active: false,
            tls: LocalDispatchKeySet::default(),
            autocast_cpu: AutocastState::default(),
            anomaly: AnomalyMode::default(),
            below_autograd: false,
            next_seq: 0,
            random: RandomSource::default(),
            gauge_reference: None,
            devices: DeviceState::default(),
            faults: Faults::default(),
            cpu: CpuProfile::this_machine(),
            context: ExecContext::TopLevel,
            default_dtype: DType::Float32,
            original_selves: Vec::new(),
            resized_arguments: Vec::new(),
            hooks: HookRegistry::default(),
            functions: functions::FunctionRegistry::default(),
            saved_hooks: saved_hooks::SavedHooks::default(),
            node_anchor: None,
        }
    }

    /// The `clone(self)` results that in-place operators whose gradient
    /// needs the original `self` dispatched (at top level, before their own
    /// kernel) during the last top-level call, oldest first. PyTorch's program never
    /// names them, but they are tensors of the program's dispatch stream: a
    /// replayer binds them to the recorded clone outputs.
    pub fn take_original_selves(&mut self) -> Vec<Tensor> {
        std::mem::take(&mut self.original_selves)
    }

    /// The arguments the last top-level call resized in place (a kernel's
    /// `resize_`: `_fused_moving_avg_obs_fq_helper`'s per-channel observer
    /// state on its first call), by argument index: each the same tensor on
    /// new storage, which a replayer binds in place of the argument's
    /// handle.
    pub fn take_resized_arguments(&mut self) -> Vec<(usize, Tensor)> {
        std::mem::take(&mut self.resized_arguments)
    }

    /// A runtime that records every event into `sink`.
    pub fn with_sink(sink: Box<dyn EventSink>) -> Runtime {
        Runtime {
            tracer: Some(Tracer::new(sink)),
            ..Runtime::new()
        }
    }

    /// Whether events are recorded.
    pub fn is_tracing(&self) -> bool {
        self.tracer.is_some()
    }

    /// The sink, when tracing.
    pub fn sink(&self) -> Option<&dyn EventSink> {
        self.tracer.as_ref().map(Tracer::sink)
    }

    /// Stops tracing and hands the sink back.
    pub fn take_sink(&mut self) -> Option<Box<dyn EventSink>> {
        self.tracer.take().map(Tracer::into_sink)
    }

    /// The built-in operator registry.
    pub fn registry() -> Result<&'static Registry> {
        Registry::builtin()
    }

    /// The schema of an operator (`aten.addmm.default`).
    pub fn schema(op: &str) -> Result<&'static FunctionSchema> {
        Ok(&Registry::builtin()?.get(op)?.schema)
    }

    // -- faults and modes -------------------------------------------------------

    /// Installs test faults (see [`Faults`]).
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// The installed test faults.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Reproduces the kernels of PyTorch on `cpu` (by default this
    /// machine's: see [`CpuProfile`]).
    pub fn set_cpu_profile(&mut self, cpu: CpuProfile) {
        self.cpu = cpu;
    }

    /// The CPU whose kernels are reproduced.
    pub fn cpu_profile(&self) -> &CpuProfile {
        &self.cpu
    }

    /// Models PyTorch's `dispatch_mode_enabled()`: whether a Python
    /// `TorchDispatchMode` is active, as it is while the PyTorch capture
    /// records. PyTorch then treats all tensors as subclass-like, which makes
    /// autograd's input buffers accumulate out of place (`add`) instead of in
    /// place (`add_`). Replaying a capture should set this; off by default.
    pub fn set_dispatch_mode_active(&mut self, active: bool) {
        self.dispatch_mode_active = active;
    }

    /// See [`Runtime::set_dispatch_mode_active`].
    pub fn is_dispatch_mode_active(&self) -> bool {
        self.dispatch_mode_active
    }

    /// `torch.is_grad_enabled()`.
    pub fn is_grad_enabled(&self) -> bool {
        self.grad_enabled
    }

    /// `(torch.is_grad_enabled(), torch.is_inference_mode_enabled())`.
    pub fn grad_mode(&self) -> (bool, bool) {
        (self.grad_enabled, self.inference_mode)
    }

    /// Enters or leaves `no_grad` / `inference_mode` (api `grad_mode`).
    /// Inference mode also disables grad mode and removes the autograd keys
    /// from dispatch.
    pub fn set_grad_mode(&mut self, enabled: bool, inference: bool) {
        self.grad_enabled = enabled && !inference;
        self.inference_mode = inference;
        self.refresh_tls();
        if let Some(t) = &mut self.tracer {
            t.queue_grad_mode(self.grad_enabled, inference);
        }
    }

    /// The autocast state of `device_type` (`cpu`; no other device type
    /// is modelled).
    pub fn autocast(&self, device_type: &str) -> Result<AutocastState> {
        match device_type {
            "cpu" => Ok(self.autocast_cpu),
            other => Err(autocast_unsupported(other)),
        }
    }

    /// Sets a device type's autocast state, as entering or leaving
    /// `torch.autocast(device_type, dtype=..., enabled=..., cache_enabled=...)`
    /// does (api `autocast`). While CPU autocast is enabled, calls on CPU
    /// tensors dispatch through `AutocastCPU`
    /// ([`crate::dispatch::autocast`]); the casts autocast would make are
    /// not made (a replay re-executes those PyTorch recorded). Only `cpu`
    /// is modelled: any other device type is [`RuntimeError::Unsupported`].
    pub fn set_autocast(&mut self, device_type: &str, state: AutocastState) -> Result<()> {
        if device_type != "cpu" {
            return Err(autocast_unsupported(device_type));
        }
        self.autocast_cpu = state;
        self.refresh_tls();
        if let Some(t) = &mut self.tracer {
            t.queue_autocast("cpu", state);
        }
        Ok(())
    }

    /// Autograd's anomaly mode (`torch.is_anomaly_enabled()`,
    /// `torch.is_anomaly_check_nan_enabled()`).
    pub fn anomaly_mode(&self) -> AnomalyMode {
        self.anomaly
    }

    /// Enters or leaves anomaly mode, as `torch.autograd.detect_anomaly()`
    /// and `torch.autograd.set_detect_anomaly()` do (api `anomaly_mode`).
    /// While it is enabled with `check_nan`, the engine checks every
    /// gradient a node returns for NaN ([`crate::autograd::anomaly`]).
    pub fn set_anomaly_mode(&mut self, mode: AnomalyMode) {
        self.anomaly = mode;
        if let Some(t) = &mut self.tracer {
            t.queue_anomaly_mode(mode);
        }
    }

    /// Writes a held-back anomaly mode change now, alone: a hook or a
    /// custom Function's backward switched it while the engine runs (the
    /// engine reads it for every later node: its NaN checks and the parents
    /// of nodes made in backward).
    pub fn flush_anomaly_mode(&mut self) {
        if let Some(t) = &mut self.tracer {
            t.flush_anomaly();
        }
    }

    /// Whether dispatch runs below autograd (api `below_autograd`).
    pub fn is_below_autograd(&self) -> bool {
        self.below_autograd
    }

    /// Enters or leaves dispatch below autograd, as PyTorch's
    /// `AutoDispatchBelowAutograd` guard does around the kernel of an
    /// operator the program defined (`torch.library.custom_op`; api
    /// `below_autograd`). While set, the autograd keys are excluded from
    /// every call: the operators the kernel calls build no graph whatever
    /// the grad mode, and a composite reaches its backend key whole.
    /// ADInplaceOrView stays: views are views and in-place writes bump
    /// versions. The event is written now, not held back for the next op.
    pub fn set_below_autograd(&mut self, enabled: bool) {
        self.below_autograd = enabled;
        self.refresh_tls();
        if let Some(t) = &mut self.tracer {
            t.below_autograd(enabled);
        }
    }

    /// The TLS key sets of the current grad mode, autocast state and
    /// dispatch below autograd.
    fn refresh_tls(&mut self) {
        let base = if self.inference_mode {
            LocalDispatchKeySet::inference_mode()
        } else {
            LocalDispatchKeySet::default()
        };
        let base = if self.below_autograd && !self.faults.below_autograd_ignored {
            base.below_autograd()
        } else {
            base
        };
        let autocast = self.autocast_cpu.enabled && !self.faults.autocast_key_dropped;
        self.tls = base.with_autocast(DispatchKey::AutocastCPU, autocast);
    }

    pub(crate) fn set_grad_enabled_internal(&mut self, enabled: bool) {
        self.grad_enabled = enabled;
    }

    // -- api events ---------------------------------------------------------------

    /// `torch.manual_seed(seed)`: reseeds the runtime's own generator.
    pub fn manual_seed(&mut self, seed: u64) {
        self.random.reseed(seed);
        if let Some(t) = &mut self.tracer {
            t.api(ApiEvent::ManualSeed(ManualSeed { seed }));
        }
    }

    /// Opens a named region (`Optimizer.step#SGD.step`, user marks).
    pub fn mark_begin(&mut self, name: &str) {
        if let Some(t) = &mut self.tracer {
            t.api(ApiEvent::MarkBegin(Mark {
                name: name.to_owned(),
            }));
        }
    }

    /// `torch.get_default_dtype()`.
    pub fn default_dtype(&self) -> DType {
        self.default_dtype
    }

    /// `torch.set_default_dtype(dtype)`: factories without a dtype and true
    /// division of integers produce it from now on. Only floating dtypes are
    /// accepted, as in PyTorch. Traced as the api `default_dtype` state
    /// change, written before the next top-level operator or `backward()`.
    pub fn set_default_dtype(&mut self, dtype: DType) -> Result<()> {
        if !dtype.is_floating() {
            return Err(RuntimeError::TypeCast {
                op: "set_default_dtype".into(),
                message: format!(
                    "only floating-point types are supported as the default type, got {dtype}"
                ),
            });
        }
        self.default_dtype = dtype;
        if let Some(t) = &mut self.tracer {
            t.queue_default_dtype(dtype.name());
        }
        Ok(())
    }

    /// Closes the innermost named region.
    pub fn mark_end(&mut self, name: &str) {
        if let Some(t) = &mut self.tracer {
            t.api(ApiEvent::MarkEnd(Mark {
                name: name.to_owned(),
            }));
        }
    }

    /// The program raised `message` (`"Type: message"`, as Python shows
    /// the exception) and ends here: the api `program_error` event, the last
    /// of a recording. State changes not yet written stay unwritten, as in
    /// a PyTorch capture (nothing follows that would show them).
    pub fn program_error(&mut self, message: &str) {
        if let Some(t) = &mut self.tracer {
            t.program_error(message);
        }
    }

    /// Queues the exact output values of the next random operator
    /// (`randn`, `uniform_`, ...), as a recorded blob gives them: PyTorch's
    /// dtype name and the elements' little-endian bytes in logical order. One
    /// call per operator, in order; without queued values random operators
    /// use the runtime's own generator.
    pub fn provide_random_values(&mut self, dtype: &str, data: &[u8]) -> Result<()> {
        const OP: &str = "provide_random_values";
        if DType::from_name(dtype)?.is_integral(false) {
            // Exact: int64 draws (`random_()`) may exceed 2^53.
            let values = decode_tensor(OP, dtype, data)?.read_i64(OP)?;
            self.random.provide_i64(values);
        } else {
            let values = decode_elements(OP, dtype, data)?;
            self.random.provide(values);
        }
        Ok(())
    }

    /// Hands the runtime PyTorch's recorded outputs of the next call of
    /// `op` (each as a recorded blob gives it: dtype name, little-endian
    /// elements in logical order), or clears them (`None`). The spectral
    /// decompositions (`_linalg_svd`, `_linalg_eigh`) then return, of the
    /// decompositions equal to their own up to the gauge (a sign per
    /// singular/eigen vector pair, a rotation within a cluster of equal
    /// values), the one nearest to PyTorch's; nothing else reads them. The
    /// replay sets them before each such call it makes and clears them after.
    pub fn provide_gauge_reference(
        &mut self,
        op: &str,
        outputs: Option<&[(&str, &[u8])]>,
    ) -> Result<()> {
        const OP: &str = "provide_gauge_reference";
        self.gauge_reference = match outputs {
            None => None,
            Some(outs) => Some((
                op.to_owned(),
                outs.iter()
                    .map(|(dtype, data)| decode_elements(OP, dtype, data))
                    .collect::<Result<Vec<_>>>()?,
            )),
        };
        Ok(())
    }

    /// [`Runtime::provide_random_values`] with float32 values.
    pub fn provide_random_f32(&mut self, values: Vec<f32>) {
        self.random
            .provide(values.into_iter().map(f64::from).collect());
    }

    /// When `required`, a random operator without queued values (see
    /// [`Runtime::provide_random_values`]) fails with
    /// [`RuntimeError::Unsupported`] instead of drawing from the runtime's
    /// own generator, whose values are not PyTorch's. Native programs that
    /// must reproduce a PyTorch run turn this on.
    pub fn set_random_values_required(&mut self, required: bool) {
        self.random.set_required(required);
    }

    /// Random value batches queued and not yet used.
    pub fn pending_random_values(&self) -> usize {
        self.random.pending()
    }

    /// Replaces `tensor.grad` (api `set_grad`; `None` is `zero_grad`'s
    /// set-to-none).
    pub fn set_grad(&mut self, tensor: &Tensor, grad: Option<Tensor>) -> Result<()> {
        if let Some(g) = &grad
            && g.shape() != tensor.shape()
        {
            return Err(RuntimeError::shape(
                "set_grad",
                format!(
                    "assigned grad has data of a different size: {:?} vs {:?}",
                    g.shape(),
                    tensor.shape()
                ),
            ));
        }
        let before = std::mem::replace(&mut tensor.0.autograd.lock().grad, grad);
        if let Some(t) = &mut self.tracer {
            t.queue_set_grad(tensor, before.as_ref());
        }
        Ok(())
    }

    /// The program drops its reference to `tensor` (api `release`, written
    /// with the other state changes before the next top-level op or
    /// backward). The tensor lives on while the runtime still needs it — as
    /// a saved variable, a gradient, a view's base — exactly as in PyTorch.
    pub fn release(&mut self, tensor: Tensor) {
        if let Some(t) = &mut self.tracer {
            t.queue_release(&tensor);
        }
    }

    /// The program ended: the releases it made after its last operator
    /// (the gradients a hook kept to the end) are written, and nothing else
    /// that is pending (PyTorch's trace ends without them).
    pub fn end_program(&mut self) {
        if let Some(t) = &mut self.tracer {
            t.flush_releases();
        }
    }

    /// The program drops its reference to `tensor` the way Python drops an
    /// object: the api `release` is written at the first state flush (before
    /// a top-level op or `backward()`) after the runtime, too, let go of it
    /// — at once for a temporary, after the backward that frees the graph
    /// for a tensor saved by a node, after `zero_grad` for a gradient. What
    /// a native program (see [`crate::nn`]) calls where a Python program's
    /// name goes out of scope; [`Runtime::release`] writes the event
    /// unconditionally, as replay does.
    pub fn drop_tensor(&mut self, tensor: Tensor) {
        if let Some(t) = &mut self.tracer {
            t.queue_release_on_death(tensor);
        }
    }

    /// `tensor.requires_grad_(requires_grad)` (api `set_requires_grad`).
    pub fn set_requires_grad(&mut self, tensor: &Tensor, requires_grad: bool) -> Result<()> {
        if !tensor.is_leaf() {
            if requires_grad {
                return Ok(());
            }
            return Err(RuntimeError::autograd(
                "you can only change requires_grad flags of leaf variables",
            ));
        }
        if requires_grad && !(tensor.dtype().is_floating() || tensor.dtype().is_complex()) {
            return Err(RuntimeError::autograd(
                "only Tensors of floating point dtype can require gradients",
            ));
        }
        let before = std::mem::replace(&mut tensor.0.autograd.lock().requires_grad, requires_grad);
        if let Some(t) = &mut self.tracer {
            t.queue_set_requires_grad(tensor, before);
        }
        Ok(())
    }

    /// `Tensor.detach_()`: the tensor drops its history in place and becomes
    /// a leaf that does not require grad. PyTorch's Autograd kernel for it
    /// changes the autograd metadata and returns without redispatching
    /// (observed in torch 2.15: a dispatch mode never sees `detach_`), so a
    /// trace shows it as a `set_requires_grad [t, false]` on a tensor that
    /// had a `grad_fn` (followed by `[t, true]` when the program flags it
    /// again before the next op: `t.detach_().requires_grad_()`). A view
    /// cannot be detached in place.
    pub fn detach_(&mut self, tensor: &Tensor) -> Result<()> {
        if tensor.view_base().is_some() {
            return Err(RuntimeError::autograd(
                "Can't detach views in-place. Use detach() instead.",
            ));
        }
        let before = tensor.requires_grad();
        let had_history = !tensor.is_leaf();
        {
            let mut meta = tensor.0.autograd.lock();
            meta.requires_grad = false;
            meta.grad_fn = None;
            meta.output_nr = 0;
        }
        if let Some(t) = &mut self.tracer {
            // Fault `detach-flags-coalesced`: only the net flag change is
            // written, as for a leaf.
            if had_history && !self.faults.detach_flags_coalesced {
                t.queue_detach(tensor);
            } else {
                t.queue_set_requires_grad(tensor, before);
            }
        }
        Ok(())
    }

    /// A tensor that enters without an observed operator (api `tensor`),
    /// from a recorded value: PyTorch's dtype name (`float32`) and the
    /// elements' little-endian bytes in logical C order (a blob's `data`).
    /// The storage is sized for `shape`, `stride` and `offset`. The api
    /// event is emitted right before the first event that names the tensor.
    pub fn introduce_tensor(
        &mut self,
        dtype: &str,
        shape: &[i64],
        stride: &[i64],
        offset: i64,
        data: &[u8],
        requires_grad: bool,
    ) -> Result<Tensor> {
        const OP: &str = "introduce_tensor";
        let dtype = DType::from_name(dtype)?;
        let numel = checked_numel(shape)
            .ok_or_else(|| RuntimeError::shape(OP, format!("invalid shape {shape:?}")))?;
        if stride.len() != shape.len() || data.len() != numel * dtype.element_size() {
            return Err(RuntimeError::shape(
                OP,
                format!(
                    "{} bytes of {dtype} for shape {shape:?} with strides {stride:?}",
                    data.len()
                ),
            ));
        }
        let span = storage_span(shape, stride, offset).ok_or_else(|| {
            RuntimeError::shape(OP, format!("invalid strides {stride:?} / offset {offset}"))
        })?;
        crate::tensor::check_alloc(OP, span)?;
        if requires_grad && !(dtype.is_floating() || dtype.is_complex()) {
            return Err(RuntimeError::autograd(
                "only Tensors of floating point dtype can require gradients",
            ));
        }
        // The recorded bytes are in logical order; lay the storage out as a
        // flat buffer and write them through the geometry.
        let base = Tensor::zeroed(OP, &[span as i64], &[1], dtype)?;
        let t = base.alias_with(shape.to_vec(), stride.to_vec(), offset);
        let logical = Tensor::from_le_bytes_storage(
            OP,
            dtype,
            data,
            shape,
            &crate::tensor::strides::contiguous_strides(shape),
            0,
        )?;
        if dtype.is_integral(true) {
            t.write_i64(OP, &logical.read_i64(OP)?)?;
        } else {
            t.write_f64(OP, &logical.read_f64(OP)?)?;
        }
        t.0.autograd.lock().requires_grad = requires_grad;
        Ok(t)
    }

    /// A meta tensor that enters without an observed operator (api
    /// `tensor` of a tensor on `meta`, which has no value): what
    /// `torch.tensor(0)` under `torch.device("meta")` gives (a BatchNorm's
    /// `num_batches_tracked` built on meta, then `lift_fresh`).
    pub fn introduce_meta_tensor(
        &mut self,
        dtype: &str,
        shape: &[i64],
        stride: &[i64],
        offset: i64,
        requires_grad: bool,
    ) -> Result<Tensor> {
        const OP: &str = "introduce_tensor";
        let dtype = DType::from_name(dtype)?;
        if stride.len() != shape.len() {
            return Err(RuntimeError::shape(
                OP,
                format!("strides {stride:?} for shape {shape:?}"),
            ));
        }
        let span = storage_span(shape, stride, offset).ok_or_else(|| {
            RuntimeError::shape(OP, format!("invalid strides {stride:?} / offset {offset}"))
        })?;
        if requires_grad && !(dtype.is_floating() || dtype.is_complex()) {
            return Err(RuntimeError::autograd(
                "only Tensors of floating point dtype can require gradients",
            ));
        }
        let base = Tensor::meta(OP, &[span as i64], &[1], dtype)?;
        let t = base.alias_with(shape.to_vec(), stride.to_vec(), offset);
        t.0.autograd.lock().requires_grad = requires_grad;
        Ok(t)
    }

    /// [`Runtime::introduce_tensor`] for float32 elements given as numbers.
    pub fn introduce_tensor_f32(
        &mut self,
        shape: &[i64],
        stride: &[i64],
        offset: i64,
        data: &[f32],
        requires_grad: bool,
    ) -> Result<Tensor> {
        const OP: &str = "introduce_tensor";
        let numel = checked_numel(shape)
            .ok_or_else(|| RuntimeError::shape(OP, format!("invalid shape {shape:?}")))?;
        if stride.len() != shape.len() || data.len() != numel {
            return Err(RuntimeError::shape(
                OP,
                format!(
                    "{} values for shape {shape:?} with strides {stride:?}",
                    data.len()
                ),
            ));
        }
        let span = storage_span(shape, stride, offset).ok_or_else(|| {
            RuntimeError::shape(OP, format!("invalid strides {stride:?} / offset {offset}"))
        })?;
        crate::tensor::check_alloc(OP, span)?;
        // Lay the storage out as a flat buffer and view it with the geometry.
        let base = Tensor::from_f32_contiguous(OP, &[span as i64], vec![0.0; span])?;
        let t = base.alias_with(shape.to_vec(), stride.to_vec(), offset);
        t.write_f32(OP, data)?;
        t.0.autograd.lock().requires_grad = requires_grad;
        Ok(t)
    }

    /// A new tensor over `existing`'s storage (and version counter), like
    /// `nn.Parameter(t)` (api `tensor` with `alias = true`).
    pub fn introduce_alias(
        &mut self,
        existing: &Tensor,
        shape: &[i64],
        stride: &[i64],
        offset: i64,
        requires_grad: bool,
    ) -> Result<Tensor> {
        self.introduce_alias_as(
            existing,
            existing.dtype(),
            shape,
            stride,
            offset,
            requires_grad,
        )
    }

    /// [`Runtime::introduce_alias`] as `dtype`, with the geometry in
    /// elements of `dtype`. Besides `existing`'s own dtype, a complex
    /// storage may be aliased as its real parts and a real one as complex
    /// pairs (`nn.Parameter(torch.view_as_real(c))` records the parameter
    /// as a float alias of the complex tensor's storage); other dtypes
    /// would reinterpret bit patterns and are refused.
    pub fn introduce_alias_as(
        &mut self,
        existing: &Tensor,
        dtype: DType,
        shape: &[i64],
        stride: &[i64],
        offset: i64,
        requires_grad: bool,
    ) -> Result<Tensor> {
        const OP: &str = "introduce_alias";
        let from = existing.dtype();
        if dtype != from && dtype.to_real() != from.to_real() {
            return Err(RuntimeError::unsupported(
                OP,
                format!(
                    "an alias as {} of a {} storage (only a complex storage's real parts or a \
                     real storage's complex pairs)",
                    dtype.name(),
                    from.name()
                ),
            ));
        }
        let span = storage_span(shape, stride, offset)
            .filter(|_| stride.len() == shape.len())
            .ok_or_else(|| {
                RuntimeError::shape(OP, format!("invalid geometry {shape:?} {stride:?}"))
            })?;
        // A complex storage holds its elements as parts, two per element:
        // a real alias of one counts parts, a complex alias of a real one
        // needs two parts per element.
        let needed = if dtype.is_complex() && !from.is_complex() {
            span * 2
        } else {
            span
        };
        if needed > existing.0.storage.len() {
            return Err(RuntimeError::shape(
                OP,
                format!(
                    "geometry needs {needed} elements, the storage has {}",
                    existing.0.storage.len()
                ),
            ));
        }
        if requires_grad && !(dtype.is_floating() || dtype.is_complex()) {
            return Err(RuntimeError::autograd(
                "only Tensors of floating point dtype can require gradients",
            ));
        }
        let t = if dtype == from {
            existing.alias_with(shape.to_vec(), stride.to_vec(), offset)
        } else {
            existing.reinterpreted(dtype, false, shape.to_vec(), stride.to_vec(), offset)
        };
        t.0.autograd.lock().requires_grad = requires_grad;
        Ok(t)
    }

    /// [`Runtime::introduce_alias_as`] for a trace's alias introduction,
    /// which records the dtype and the version PyTorch's tensor had. A
    /// tensor made over a storage through a path that gave it a counter of
    /// its own — `nn.Parameter(w.data)` (the old `weight_norm`'s
    /// `weight_v`), a `detach()` of a `.data` read — starts at that
    /// counter's version, not at the storage's other tensors': when
    /// `existing`'s counter stands elsewhere the alias cannot share it and
    /// gets its own at `version`. When they agree, sharing is kept (the
    /// common `nn.Parameter(t)` of a live tensor).
    #[allow(clippy::too_many_arguments)]
    pub fn introduce_alias_at_version(
        &mut self,
        existing: &Tensor,
        dtype: &str,
        shape: &[i64],
        stride: &[i64],
        offset: i64,
        requires_grad: bool,
        version: u64,
    ) -> Result<Tensor> {
        let dtype = DType::from_name(dtype)?;
        let alias =
            self.introduce_alias_as(existing, dtype, shape, stride, offset, requires_grad)?;
        if alias.0.version.get() == version || alias.0.conj {
            return Ok(alias);
        }
        let own = Tensor::from_parts(
            Arc::clone(&alias.0.storage),
            alias.0.shape.clone(),
            alias.0.strides.clone(),
            alias.0.offset,
            alias.0.dtype,
            alias.0.device,
            VersionCounter::new(),
        );
        own.0.version.advance_to(version);
        own.0.autograd.lock().requires_grad = requires_grad;
        Ok(own)
    }

    /// Gives a tensor just made by [`Runtime::introduce_tensor`] the version
    /// its history outside the runtime left it at (a batch a DataLoader
    /// worker sent is rebuilt with an in-place `set_`: version 1). Counters
    /// only move forward.
    pub fn set_introduced_version(&mut self, tensor: &Tensor, version: u64) {
        tensor.0.version.advance_to(version);
    }

    /// Takes the next autograd sequence number for a node that is made and
    /// dropped before its operator runs, as PyTorch's autograd numbers a
    /// node before saving the operator's inputs: an operator stopped in
    /// between (a non-reentrant checkpoint ends its recomputation by
    /// raising from the pack hook of a saved input) leaves no node but
    /// moves the numbering on. Returns the number taken.
    pub fn number_a_dropped_node(&mut self) -> u64 {
        if self.faults.unnumbered_dropped_node {
            return self.next_seq;
        }
        self.next_sequence_nr()
    }

    // -- internals shared with autograd ---------------------------------------

    pub(crate) fn next_sequence_nr(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    pub(crate) fn set_context(&mut self, context: ExecContext) {
        self.context = context;
    }

    pub(crate) fn trace_accumulate(&mut self, node: &Arc<Node>, leaf: &Tensor) {
        if let Some(t) = &mut self.tracer {
            t.accumulate(node, leaf);
        }
    }

    pub(crate) fn trace_graph_root(&mut self, node: &Arc<Node>) {
        if let Some(t) = &mut self.tracer {
            t.node(node, &[], node.name());
        }
    }

    pub(crate) fn trace_graph_task_begin(
        &mut self,
        roots: &[Edge],
        depth: u32,
        keep: bool,
        create: bool,
    ) {
        if let Some(t) = &mut self.tracer {
            t.graph_task_begin(roots, depth, keep, create);
        }
    }

    pub(crate) fn trace_queue(&mut self, node: &Node, depth: u32, deps: u32, push: bool) {
        if let Some(t) = &mut self.tracer {
            t.queue(node, depth, deps, push);
        }
    }

    pub(crate) fn trace_graph_task_end(&mut self, executed: u64) {
        if let Some(t) = &mut self.tracer {
            t.graph_task_end(executed);
        }
    }
}

/// Decodes a recorded value's bytes (little-endian, logical order) into
/// numbers (exact for every dtype but int64 values beyond 2^53).
fn decode_elements(op: &str, dtype: &str, data: &[u8]) -> Result<Vec<f64>> {
    decode_tensor(op, dtype, data)?.read_f64(op)
}

/// A recorded blob as a one-dimensional tensor of its dtype.
fn decode_tensor(op: &str, dtype: &str, data: &[u8]) -> Result<Tensor> {
    let d = DType::from_name(dtype)?;
    Tensor::from_le_bytes_storage(
        op,
        d,
        data,
        &[(data.len() / d.element_size()) as i64],
        &[1],
        0,
    )
}

fn autocast_unsupported(device_type: &str) -> RuntimeError {
    RuntimeError::unsupported(
        "torch.autocast",
        format!("autocast for device type {device_type:?} (only \"cpu\" is modelled)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivalue::IValue;

    fn run_mlp_step(rt: &mut Runtime) -> Vec<Tensor> {
        let x = rt
            .introduce_tensor_f32(&[4, 3], &[3, 1], 0, &[0.5; 12], false)
            .expect("x");
        let w = rt
            .introduce_tensor_f32(&[2, 3], &[3, 1], 0, &[0.1, -0.2, 0.3, 0.4, -0.5, 0.6], true)
            .expect("w");
        let b = rt
            .introduce_tensor_f32(&[2], &[1], 0, &[0.0, 1.0], true)
            .expect("b");
        let out = rt
            .call(
                "aten.linear.default",
                vec![(&x).into(), (&w).into(), (&b).into()],
            )
            .expect("linear");
        let out = out
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("out");
        let r = rt
            .call("aten.relu.default", vec![out.into()])
            .expect("relu");
        let s = rt.call("aten.sum.default", r).expect("sum");
        let s = s
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("s");
        rt.backward(std::slice::from_ref(&s), &[None], false, false)
            .expect("backward");
        vec![x, w.grad().expect("gw"), w, b.grad().expect("gb"), b, s]
    }

    #[test]
    fn tracing_off_records_nothing_and_names_nothing() {
        let mut rt = Runtime::new();
        assert!(!rt.is_tracing());
        let tensors = run_mlp_step(&mut rt);
        // No id was ever assigned: no tracer ran on any object.
        for t in &tensors {
            assert!(!t.0.trace.is_assigned());
            assert!(!t.0.storage.trace.is_assigned());
        }
        let node = tensors[5].grad_fn_edge().map(|(n, _)| n).expect("grad_fn");
        assert!(!node.trace.is_assigned());
        assert!(rt.take_sink().is_none());
    }

    #[test]
    fn tracing_on_names_what_it_records() {
        let sink = ft_trace::MemorySink::new(ft_trace::ValuePolicy::None, false);
        let mut rt = Runtime::with_sink(Box::new(sink));
        let tensors = run_mlp_step(&mut rt);
        assert!(tensors.iter().all(|t| t.0.trace.is_assigned()));
    }

    #[test]
    fn an_alias_may_view_a_complex_storage_as_its_real_parts() {
        let mut rt = Runtime::new();
        let parts: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let c = rt
            .introduce_tensor("complex64", &[2], &[1], 0, &parts, false)
            .expect("complex");
        // nn.Parameter(torch.view_as_real(c)): a float32 alias of c's storage.
        let real = rt
            .introduce_alias_at_version(&c, "float32", &[2, 2], &[2, 1], 0, true, 0)
            .expect("real parts");
        assert_eq!(real.dtype(), DType::Float32);
        assert_eq!(real.to_f64_vec().expect("values"), vec![1.0, 2.0, 3.0, 4.0]);
        assert!(real.requires_grad());
        // The parts' geometry must fit the storage's parts.
        let too_long = rt.introduce_alias_at_version(&c, "float32", &[3, 2], &[2, 1], 0, true, 0);
        assert!(too_long.is_err());
        // And back: complex pairs over a real storage.
        let back = rt
            .introduce_alias_at_version(&real, "complex64", &[2], &[1], 0, false, 0)
            .expect("complex pairs");
        assert_eq!(back.dtype(), DType::Complex64);
        let too_long = rt.introduce_alias_at_version(&real, "complex64", &[3], &[1], 0, false, 0);
        assert!(too_long.is_err());
        // Reinterpreting bit patterns as another dtype is not an alias.
        let err = rt
            .introduce_alias_at_version(&real, "int32", &[2, 2], &[2, 1], 0, false, 0)
            .expect_err("bit reinterpretation");
        assert!(err.is_capability_gap());
    }

    #[test]
    fn an_alias_at_another_version_gets_a_counter_of_its_own() {
        let mut rt = Runtime::new();
        let base = rt
            .introduce_tensor("float32", &[2], &[1], 0, &[0u8; 8], false)
            .expect("base");
        base.0.version.bump();
        // nn.Parameter(w.data): the .data read's counter stood at 0.
        let own = rt
            .introduce_alias_at_version(&base, "float32", &[2], &[1], 0, true, 0)
            .expect("own");
        assert_eq!((own.version(), base.version()), (0, 1));
        base.0.version.bump();
        assert_eq!(own.version(), 0);
        // nn.Parameter(t) of the live tensor: the same counter.
        let shared = rt
            .introduce_alias_at_version(&base, "float32", &[2], &[1], 0, true, 2)
            .expect("shared");
        base.0.version.bump();
        assert_eq!(shared.version(), 3);
        assert!(Arc::ptr_eq(&own.0.storage, &base.0.storage));
    }
}
