//! The runtime's tracer context: turns runtime objects into FORMAT events.
//!
//! It owns the sink and the id counters. Rules it implements (FORMAT §3.6):
//!
//! * **Ids** — tensors, storages and nodes get dense ids at their first
//!   appearance in the stream, in wire order within an event (arguments,
//!   then outputs; a tensor reference's id before its storage id). Ids live
//!   in each object's [`slot::IdSlot`], tagged with this tracer's token.
//! * **Introductions** — a tensor that no recorded operator produced gets an
//!   api `tensor` event right before the first event naming it; `alias` is
//!   true when its storage already has an id (then no value is recorded).
//! * **Values** — digests follow the sink's [`ValuePolicy`]: `all` records
//!   operator outputs (never those of `empty*` operators), introduced
//!   tensors and accumulated gradients; `inputs` records introduced tensors
//!   and outputs of random operators; `none` nothing. Bytes are the elements
//!   in logical C order, little-endian; meta tensors have no value.
//! * **State changes** — `grad_mode`, `default_dtype`, `autocast`, `anomaly_mode`,
//!   `set_requires_grad` and `set_grad` are held back and emitted before the
//!   next top-level operator or `backward()`, as the PyTorch capture's state
//!   poll finds them: first the grad mode, then the default dtype, then CPU
//!   autocast, then anomaly mode (each only if it differs from the last one
//!   emitted; initially grad on, float32, autocast off in bfloat16 with the
//!   cache on, anomaly mode off with `check_nan` on), then
//!   `set_requires_grad` by ascending tensor id, then `set_grad` by ascending
//!   tensor id — each only for a net change since the last flush. A
//!   `set_requires_grad` on a tensor the stream has not named yet is dropped
//!   (its introduction carries the flag); a new `.grad` tensor is introduced
//!   right before its `set_grad`.
//!
//! With tracing off the runtime holds no tracer and none of this runs.

pub(crate) mod data;
pub(crate) mod function;
pub(crate) mod grad;
pub(crate) mod node_hook;
pub(crate) mod saved_hooks;
pub(crate) mod slot;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use ft_trace::ValuePolicy;
use ft_trace::event::{
    Accumulate, ApiEvent, AutogradEvent, BackwardCall, ChainStep, Context, DefaultDtype,
    DeviceEvent, DispatchEvent, Edge as TraceEdge, GradMode, GraphTaskBegin, GraphTaskEnd,
    NodeCreated, OpCall, QueueEntry, Release, SetGrad, SetRequiresGrad, TensorIntro, Transfer,
};
use ft_trace::event::{Autocast, GraphTaskError, OpError, ProgramError};
use ft_trace::event::{HookBegin, HookEnd, RegisterHook, RemoveHook, RetainGrad};
use ft_trace::value::{NestedParts, SPARSE_COO, SparseParts};
use ft_trace::{Chain, Digest, EventBody, EventSink, KeySet, Name, TensorRef, Value, ValueKey};

use crate::autograd::anomaly::AnomalyMode;
use crate::autograd::node::{Edge, Node, NodeKind};
use crate::dispatch::autocast::AutocastState;
use crate::dispatch::keyset::DispatchKeySet;
use crate::ivalue::IValue;
use crate::tensor::{Tensor, TensorImpl};

/// Distinguishes tracers in id slots (never written to a trace).
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

/// Version and `requires_grad` of a tensor argument before the operator ran.
/// A sparse argument's parts are kept too: an in-place sparse operator
/// gives its `self` new parts, and the argument is recorded with the parts
/// it had.
#[derive(Clone, Debug)]
pub(crate) struct ArgMeta {
    pub(crate) version: u64,
    pub(crate) requires_grad: bool,
    pub(crate) sparse: Option<Arc<crate::tensor::sparse::SparseCoo>>,
}

impl ArgMeta {
    pub(crate) fn of(t: &Tensor) -> ArgMeta {
        ArgMeta {
            version: t.version(),
            requires_grad: t.requires_grad(),
            sparse: t.sparse_parts("trace").ok(),
        }
    }
}

/// A leaf whose `requires_grad` changed since the last flush, with the flag
/// it had before the first change.
struct PendingRequiresGrad {
    tensor: Tensor,
    before: bool,
    /// Detached in place (`detach_`) since the last flush: its history is
    /// gone whatever its flag is now.
    detached: bool,
}

/// A leaf whose `.grad` was replaced since the last flush, with (the
/// identity of) the gradient it had before the first change. A weak pointer
/// keeps the address from being reused without keeping the tensor alive.
struct PendingGrad {
    tensor: Tensor,
    before: Option<Weak<TensorImpl>>,
}

fn same_grad(a: Option<&Weak<TensorImpl>>, b: Option<&Tensor>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(w), Some(t)) => std::ptr::eq(w.as_ptr(), Arc::as_ptr(&t.0)),
        _ => false,
    }
}

/// The tracer context of one runtime.
pub(crate) struct Tracer {
    sink: Box<dyn EventSink>,
    policy: ValuePolicy,
    token: u64,
    next_tensor: u64,
    next_storage: u64,
    next_node: u64,
    pending_requires_grad: Vec<PendingRequiresGrad>,
    pending_grads: Vec<PendingGrad>,
    pending_releases: Vec<u64>,
    /// Tensors the program dropped that the runtime may still hold (saved
    /// for backward, a `.grad`): released at the first flush that finds them
    /// dead. Watched through the trace identity, which every carrier of
    /// the id shares (a saved output's copy too).
    pending_deaths: Vec<(u64, Weak<slot::IdSlot>)>,
    pending_mode: Option<(bool, bool)>,
    emitted_mode: (bool, bool),
    /// The engine's grad mode of a Function's backward before its first
    /// state flush ([`Tracer::begin_function_run`]).
    run_engine_mode: Option<(bool, bool)>,
    pending_default_dtype: Option<&'static str>,
    emitted_default_dtype: &'static str,
    pending_autocast: Option<(&'static str, AutocastState)>,
    emitted_autocast: AutocastState,
    pending_anomaly: Option<AnomalyMode>,
    emitted_anomaly: AnomalyMode,
    /// The key sets and chains emitted so far, shared by every event that
    /// repeats one (a run has a few dozen of each).
    keysets: HashMap<DispatchKeySet, KeySet>,
    chains: HashMap<Vec<(&'static str, &'static str)>, Chain>,
    /// Shapes and strides, shared the same way; started over at
    /// [`MAX_SHARED_DIMS`] so a run of ever-new shapes cannot grow it.
    dims: HashSet<Arc<[i64]>>,
}

/// Distinct shapes and strides a tracer shares before it starts over.
const MAX_SHARED_DIMS: usize = 4096;

impl Tracer {
    pub(crate) fn new(sink: Box<dyn EventSink>) -> Tracer {
        let policy = sink.value_policy();
        Tracer {
            sink,
            policy,
            token: NEXT_TOKEN.fetch_add(1, Ordering::Relaxed),
            next_tensor: 0,
            next_storage: 0,
            next_node: 0,
            pending_requires_grad: Vec::new(),
            pending_grads: Vec::new(),
            pending_releases: Vec::new(),
            pending_deaths: Vec::new(),
            pending_mode: None,
            emitted_mode: (true, false),
            run_engine_mode: None,
            pending_default_dtype: None,
            emitted_default_dtype: "float32",
            pending_autocast: None,
            emitted_autocast: AutocastState::default(),
            pending_anomaly: None,
            emitted_anomaly: AnomalyMode::default(),
            keysets: HashMap::new(),
            chains: HashMap::new(),
            dims: HashSet::new(),
        }
    }

    /// `dims` (a shape or strides), shared with earlier references that had
    /// the same list.
    fn shared_dims(&mut self, dims: &[i64]) -> Arc<[i64]> {
        if let Some(shared) = self.dims.get(dims) {
            return shared.clone();
        }
        if self.dims.len() >= MAX_SHARED_DIMS {
            self.dims.clear();
        }
        let shared: Arc<[i64]> = dims.into();
        self.dims.insert(shared.clone());
        shared
    }

    /// `keyset`'s names, shared with earlier events that had the same set.
    fn shared_keyset(&mut self, keyset: DispatchKeySet) -> KeySet {
        self.keysets
            .entry(keyset)
            .or_insert_with(|| keyset.iter().map(|k| Name::new(k.name())).collect())
            .clone()
    }

    /// `chain`'s steps, shared with earlier events that walked the same keys.
    fn shared_chain(&mut self, chain: Vec<(&'static str, &'static str)>) -> Chain {
        if let Some(steps) = self.chains.get(&chain) {
            return steps.clone();
        }
        let steps = chain_steps(&chain);
        self.chains.insert(chain, steps.clone());
        steps
    }

    pub(crate) fn sink(&self) -> &dyn EventSink {
        self.sink.as_ref()
    }

    pub(crate) fn into_sink(self) -> Box<dyn EventSink> {
        self.sink
    }

    fn emit(&mut self, body: EventBody) {
        self.sink.record(body);
    }

    // -- identity -------------------------------------------------------------

    pub(crate) fn is_seen(&self, t: &Tensor) -> bool {
        t.0.trace.get(self.token).is_some()
    }

    fn tensor_id(&mut self, t: &Tensor) -> u64 {
        let next = &mut self.next_tensor;
        t.0.trace
            .get_or_assign(self.token, || {
                let id = *next;
                *next += 1;
                id
            })
            .0
    }

    fn storage_id(&mut self, t: &Tensor, sparse: Option<&crate::tensor::sparse::SparseCoo>) -> u64 {
        // A sparse tensor's storage is its values' (FORMAT §3.1).
        let storage = match sparse {
            Some(parts) => Arc::clone(&parts.values.0.storage),
            None => Arc::clone(&t.0.storage),
        };
        let next = &mut self.next_storage;
        storage
            .trace
            .get_or_assign(self.token, || {
                let id = *next;
                *next += 1;
                id
            })
            .0
    }

    fn node_id(&mut self, node: &Node) -> u64 {
        let next = &mut self.next_node;
        node.trace
            .get_or_assign(self.token, || {
                let id = *next;
                *next += 1;
                id
            })
            .0
    }

    fn node_seen(&self, node: &Node) -> bool {
        node.trace.get(self.token).is_some()
    }

    // -- values ---------------------------------------------------------------

    fn digest(&mut self, t: &Tensor, key: ValueKey) -> Option<Digest> {
        if !t.has_data() {
            return None;
        }
        let bytes = t.le_bytes("trace").ok()?;
        self.sink
            .put_value(key, t.dtype().name(), t.shape(), &bytes)
    }

    /// A tensor reference; `meta` overrides version/requires_grad (argument
    /// snapshots), `value` asks for a digest.
    fn tensor_ref(&mut self, t: &Tensor, meta: Option<ArgMeta>, value: bool) -> TensorRef {
        let id = self.tensor_id(t);
        let meta = meta.unwrap_or_else(|| ArgMeta::of(t));
        let storage = self.storage_id(t, meta.sparse.as_deref());
        TensorRef {
            id,
            dtype: Name::new(t.dtype().name()),
            shape: self.shared_dims(t.shape()),
            stride: self.shared_dims(t.stride()),
            offset: t.storage_offset(),
            storage,
            device: Name::from(t.device().name()),
            requires_grad: meta.requires_grad,
            version: meta.version,
            // A sparse tensor's elements are its parts' (FORMAT §3.1): they
            // carry the digests, the tensor itself none.
            value: if value && !t.is_sparse() && !t.is_nested() {
                self.digest(
                    t,
                    ValueKey {
                        id,
                        version: meta.version,
                    },
                )
            } else {
                None
            },
            sparse: self.sparse_parts(meta.sparse, value),
            nested: self.nested_parts(t, value),
        }
    }

    /// The parts of a sparse COO tensor's reference, named after the tensor
    /// itself (so its id comes first, then its indices', then its values').
    fn sparse_parts(
        &mut self,
        parts: Option<Arc<crate::tensor::sparse::SparseCoo>>,
        value: bool,
    ) -> Option<Box<SparseParts>> {
        let parts = parts?;
        Some(Box::new(SparseParts {
            layout: Name::new(SPARSE_COO),
            sparse_dim: parts.sparse_dim as i64,
            dense_dim: parts.dense_dim as i64,
            coalesced: parts.is_coalesced(),
            indices: self.tensor_ref(&parts.indices, None, value),
            values: self.tensor_ref(&parts.values, None, value),
        }))
    }

    /// The parts of a nested tensor's reference, named after the tensor
    /// itself (so its id comes first, then its buffer's); the buffer carries
    /// the digest (FORMAT §3.1).
    fn nested_parts(&mut self, t: &Tensor, value: bool) -> Option<Box<NestedParts>> {
        let layout = t.0.nested.clone()?;
        let buffer = self.tensor_ref(&layout.buffer, None, value);
        Some(Box::new(NestedParts::new(
            layout.sizes.clone(),
            layout.strides.clone(),
            layout.offsets.clone(),
            buffer,
        )))
    }

    fn value(
        &mut self,
        v: &IValue,
        metas: &mut dyn Iterator<Item = ArgMeta>,
        digests: bool,
    ) -> Value {
        match v {
            IValue::None => Value::None,
            IValue::Bool(b) => Value::Bool(*b),
            IValue::Int(i) => Value::Int(*i),
            IValue::Float(x) => Value::Float(*x),
            IValue::Complex(re, im) => Value::Complex { re: *re, im: *im },
            IValue::Str(s) => Value::Str(Name::new(s)),
            IValue::Tensor(t) => Value::Tensor(Box::new(self.tensor_ref(t, metas.next(), digests))),
            IValue::TensorList(ts) => Value::List(
                ts.iter()
                    .map(|t| Value::Tensor(Box::new(self.tensor_ref(t, metas.next(), digests))))
                    .collect(),
            ),
            IValue::OptionalTensorList(ts) => Value::List(
                ts.iter()
                    .map(|t| match t {
                        Some(t) => {
                            Value::Tensor(Box::new(self.tensor_ref(t, metas.next(), digests)))
                        }
                        None => Value::None,
                    })
                    .collect(),
            ),
            IValue::IntList(l) => Value::List(l.iter().map(|&i| Value::Int(i)).collect()),
            IValue::FloatList(l) => Value::List(l.iter().map(|&x| Value::Float(x)).collect()),
            IValue::ScalarList(l) => Value::List(
                l.iter()
                    .map(|v| match v {
                        IValue::Int(i) => Value::Int(*i),
                        IValue::Bool(b) => Value::Bool(*b),
                        IValue::Float(x) => Value::Float(*x),
                        _ => Value::None,
                    })
                    .collect(),
            ),
            IValue::BoolList(l) => Value::List(l.iter().map(|&b| Value::Bool(b)).collect()),
            IValue::Dtype(d) => Value::Dtype(Name::new(d.name())),
            IValue::Device(d) => Value::Device(Name::from(d.name())),
            IValue::Layout(l) => Value::Layout(Name::new(l.name())),
            IValue::MemoryFormat(m) => Value::MemoryFormat(Name::new(m.name())),
        }
    }

    // -- api layer ------------------------------------------------------------

    /// Emits introductions for the tensors the stream has not named yet.
    pub(crate) fn introduce_unseen<'a>(&mut self, tensors: impl IntoIterator<Item = &'a Tensor>) {
        for t in tensors {
            if self.is_seen(t) {
                continue;
            }
            let alias = t.0.storage.trace.get(self.token).is_some();
            let want_value = !alias && self.policy != ValuePolicy::None;
            let tensor = Box::new(self.tensor_ref(t, None, want_value));
            self.emit(EventBody::Api(ApiEvent::Tensor(TensorIntro {
                tensor,
                alias,
            })));
        }
    }

    pub(crate) fn api(&mut self, event: ApiEvent) {
        self.emit(EventBody::Api(event));
    }

    pub(crate) fn queue_grad_mode(&mut self, enabled: bool, inference: bool) {
        self.pending_mode = Some((enabled, inference));
    }

    /// Notes the default dtype (`torch.set_default_dtype`), by PyTorch's name.
    pub(crate) fn queue_default_dtype(&mut self, dtype: &'static str) {
        self.pending_default_dtype = Some(dtype);
    }

    /// Notes a device type's autocast state (`torch.autocast`).
    pub(crate) fn queue_autocast(&mut self, device_type: &'static str, state: AutocastState) {
        self.pending_autocast = Some((device_type, state));
    }

    /// Notes autograd's anomaly mode (`torch.autograd.detect_anomaly`).
    pub(crate) fn queue_anomaly_mode(&mut self, mode: AnomalyMode) {
        self.pending_anomaly = Some(mode);
    }

    /// Writes dispatch below autograd where it changes (a program-defined
    /// operator's kernel starts or ends; state held back for the next op
    /// follows it).
    pub(crate) fn below_autograd(&mut self, enabled: bool) {
        self.api(ApiEvent::BelowAutograd(ft_trace::event::BelowAutograd {
            enabled,
        }));
    }

    /// Notes that `t.grad` is about to change from `before`.
    pub(crate) fn queue_set_grad(&mut self, t: &Tensor, before: Option<&Tensor>) {
        if !self.pending_grads.iter().any(|p| p.tensor.same_tensor(t)) {
            self.pending_grads.push(PendingGrad {
                tensor: t.clone(),
                before: before.map(|g| Arc::downgrade(&g.0)),
            });
        }
    }

    /// Notes that `t.requires_grad` is about to change from `before`.
    pub(crate) fn queue_set_requires_grad(&mut self, t: &Tensor, before: bool) {
        if !self
            .pending_requires_grad
            .iter()
            .any(|p| p.tensor.same_tensor(t))
        {
            self.pending_requires_grad.push(PendingRequiresGrad {
                tensor: t.clone(),
                before,
                detached: false,
            });
        }
    }

    /// Notes that `t` (which had history and required grad) was detached
    /// in place: the next flush writes `set_requires_grad [t, false]`, and
    /// `[t, true]` after it when the program flagged it again by then
    /// (`t.detach_().requires_grad_()`), as PyTorch's capture does.
    pub(crate) fn queue_detach(&mut self, t: &Tensor) {
        match self
            .pending_requires_grad
            .iter_mut()
            .find(|p| p.tensor.same_tensor(t))
        {
            Some(p) => p.detached = true,
            None => self.pending_requires_grad.push(PendingRequiresGrad {
                tensor: t.clone(),
                before: true,
                detached: true,
            }),
        }
    }

    /// Notes that the program dropped `t`; a tensor the stream never named
    /// has nothing to release.
    pub(crate) fn queue_release(&mut self, t: &Tensor) {
        if self.is_seen(t) {
            let id = self.tensor_id(t);
            if !self.pending_releases.contains(&id) {
                self.pending_releases.push(id);
            }
        }
    }

    /// Notes that the program dropped `t`, which is released (api
    /// `release`) at the first flush after its last reference — the
    /// program's, a saved variable's, a leaf's `.grad` — is gone, as the
    /// PyTorch capture sees a tensor die. A tensor the stream never named
    /// has nothing to release.
    pub(crate) fn queue_release_on_death(&mut self, t: Tensor) {
        if self.is_seen(&t) {
            let id = self.tensor_id(&t);
            self.pending_deaths.push((id, Arc::downgrade(&t.0.trace)));
        }
    }

    /// Emits a held-back anomaly mode change alone (where PyTorch's capture
    /// polls it inside a backward: a hook's end, a Function's result).
    pub(crate) fn flush_anomaly(&mut self) {
        if let Some(mode) = self.pending_anomaly.take()
            && mode != self.emitted_anomaly
        {
            self.emitted_anomaly = mode;
            self.api(ApiEvent::AnomalyMode(ft_trace::event::AnomalyMode {
                enabled: mode.enabled,
                check_nan: mode.check_nan,
            }));
        }
    }

    /// Emits held-back state changes (before a top-level op or backward):
    /// grad mode, default dtype, autocast, anomaly mode, then `set_requires_grad`, `set_grad` and
    /// `release`, each by tensor id.
    pub(crate) fn flush_state(&mut self) {
        let run_engine = self.run_engine_mode.take();
        if let Some(mode) = self.pending_mode.take()
            && (mode != self.emitted_mode || run_engine.is_some_and(|engine| engine != mode))
        {
            self.emitted_mode = mode;
            self.api(ApiEvent::GradMode(GradMode {
                grad_enabled: mode.0,
                inference_mode: mode.1,
            }));
        }
        if let Some(dtype) = self.pending_default_dtype.take()
            && dtype != self.emitted_default_dtype
        {
            self.emitted_default_dtype = dtype;
            self.api(ApiEvent::DefaultDtype(DefaultDtype {
                dtype: dtype.to_owned(),
            }));
        }
        if let Some((device_type, state)) = self.pending_autocast.take()
            && state != self.emitted_autocast
        {
            self.emitted_autocast = state;
            self.api(ApiEvent::Autocast(Autocast {
                device_type: device_type.to_owned(),
                enabled: state.enabled,
                dtype: state.dtype.name().to_owned(),
                cache_enabled: state.cache_enabled,
            }));
        }
        self.flush_anomaly();
        let mut flags: Vec<(u64, bool)> = Vec::new();
        for p in std::mem::take(&mut self.pending_requires_grad) {
            if !self.is_seen(&p.tensor) {
                continue;
            }
            let now = p.tensor.requires_grad();
            if p.detached {
                flags.push((self.tensor_id(&p.tensor), false));
                if now {
                    flags.push((self.tensor_id(&p.tensor), true));
                }
            } else if now != p.before {
                flags.push((self.tensor_id(&p.tensor), now));
            }
        }
        // By tensor; a detached tensor's `false` stays before its `true`.
        flags.sort_by_key(|&(id, _)| id);
        for (tensor, requires_grad) in flags {
            self.api(ApiEvent::SetRequiresGrad(SetRequiresGrad {
                tensor,
                requires_grad,
            }));
        }
        let mut grads: Vec<(u64, Option<Tensor>)> = Vec::new();
        for p in std::mem::take(&mut self.pending_grads) {
            let now = p.tensor.grad();
            if !same_grad(p.before.as_ref(), now.as_ref()) && self.is_seen(&p.tensor) {
                grads.push((self.tensor_id(&p.tensor), now));
            }
        }
        grads.sort_unstable_by_key(|(id, _)| *id);
        for (tensor, grad) in grads {
            self.introduce_unseen(grad.iter());
            let grad = grad.as_ref().map(|g| self.tensor_id(g));
            self.api(ApiEvent::SetGrad(SetGrad { tensor, grad }));
        }
        self.flush_releases();
    }

    /// The `release` events due now (part of [`Tracer::flush_state`]); alone
    /// at the program's end, where nothing else is pending.
    pub(crate) fn flush_releases(&mut self) {
        let mut released = std::mem::take(&mut self.pending_releases);
        self.pending_deaths.retain(|(id, weak)| {
            let dead = weak.strong_count() == 0;
            if dead && !released.contains(id) {
                released.push(*id);
            }
            !dead
        });
        released.sort_unstable();
        for tensor in released {
            self.api(ApiEvent::Release(Release { tensor }));
        }
    }

    /// The api `backward` event.
    pub(crate) fn backward_call(
        &mut self,
        roots: &[Tensor],
        grads: &[Option<Tensor>],
        retain_graph: bool,
        create_graph: bool,
    ) {
        self.introduce_unseen(roots.iter().chain(grads.iter().flatten()));
        let roots = roots.iter().map(|t| self.tensor_id(t)).collect();
        let grads = grads
            .iter()
            .map(|g| g.as_ref().map(|g| self.tensor_id(g)))
            .collect();
        self.api(ApiEvent::Backward(BackwardCall {
            roots,
            grads,
            retain_graph,
            create_graph,
        }));
    }

    // -- dispatch layer -------------------------------------------------------

    /// The op event of a call that returned.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn op(
        &mut self,
        op: &str,
        keyset: DispatchKeySet,
        chain: Vec<(&'static str, &'static str)>,
        arg_names: &[String],
        args: &[IValue],
        arg_metas: Vec<ArgMeta>,
        outputs: &[IValue],
        output_metas: Vec<ArgMeta>,
        context: Context,
    ) {
        let mut metas = arg_metas.into_iter();
        let args = arg_names
            .iter()
            .zip(args)
            .map(|(name, v)| (Name::new(name), self.value(v, &mut metas, false)))
            .collect();
        let mut out_metas = output_metas.into_iter();
        let outputs = outputs
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let digests = ft_trace::op_class::keeps_output_value_at(op, i, self.policy);
                self.value(v, &mut out_metas, digests)
            })
            .collect();
        let chain = self.shared_chain(chain);
        let keyset = self.shared_keyset(keyset);
        self.emit(EventBody::Dispatch(DispatchEvent::Op(OpCall {
            op: Name::new(op),
            keyset,
            chain,
            args,
            outputs,
            context,
        })));
    }

    /// The api `program_error` event.
    pub(crate) fn program_error(&mut self, message: &str) {
        self.api(ApiEvent::ProgramError(ProgramError {
            message: message.to_owned(),
        }));
    }

    /// The op_error event of a call whose kernel raised `error` (`"Type:
    /// message"`): the call as [`Tracer::op`] records it, without outputs.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn op_error(
        &mut self,
        op: &str,
        keyset: DispatchKeySet,
        chain: Vec<(&'static str, &'static str)>,
        arg_names: &[String],
        args: &[IValue],
        arg_metas: Vec<ArgMeta>,
        error: String,
        context: Context,
    ) {
        let mut metas = arg_metas.into_iter();
        let args = arg_names
            .iter()
            .zip(args)
            .map(|(name, v)| (Name::new(name), self.value(v, &mut metas, false)))
            .collect();
        let chain = self.shared_chain(chain);
        let keyset = self.shared_keyset(keyset);
        self.emit(EventBody::Dispatch(DispatchEvent::OpError(OpError {
            op: Name::new(op),
            keyset,
            chain,
            args,
            error,
            context,
        })));
    }

    /// The context value for the current execution context.
    pub(crate) fn context_of(&mut self, node: Option<&Node>, in_backward: bool) -> Context {
        match node {
            Some(n) => Context::Node(self.node_id(n)),
            None if in_backward => Context::Backward,
            None => Context::TopLevel,
        }
    }

    // -- autograd layer -------------------------------------------------------

    fn edge(&mut self, e: &Edge) -> TraceEdge {
        TraceEdge {
            node: e.function.as_deref().map(|n| self.node_id(n)),
            input_nr: e.input_nr,
        }
    }

    /// Emits a node event (after the nodes its edges newly reach, in edge
    /// order: AccumulateGrad nodes, a view's regenerated history).
    /// `tensors` are the outputs the node is the grad_fn of, or the leaf of
    /// an AccumulateGrad.
    pub(crate) fn node(&mut self, node: &Arc<Node>, tensors: &[Tensor], name: &str) {
        for e in &node.next_edges {
            if let Some(next) = &e.function
                && !self.node_seen(next)
            {
                // An AccumulateGrad names its leaf; any other node reached
                // first through an edge (a view's history regenerated when
                // the call read it) is attached to no output of the call.
                let leaf = match next.kind() {
                    NodeKind::AccumulateGrad => accumulate_leaf(next),
                    _ => None,
                };
                self.node_event(next, &leaf.into_iter().collect::<Vec<_>>(), next.name());
            }
        }
        self.node_event(node, tensors, name);
    }

    fn node_event(&mut self, node: &Arc<Node>, tensors: &[Tensor], name: &str) {
        self.introduce_unseen(tensors.iter());
        let id = self.node_id(node);
        let next = node.next_edges.iter().map(|e| self.edge(e)).collect();
        let tensors = tensors.iter().map(|t| self.tensor_id(t)).collect();
        self.emit(EventBody::Autograd(AutogradEvent::Node(NodeCreated {
            node: id,
            name: name.to_owned(),
            seq_nr: node.sequence_nr(),
            next,
            tensors,
        })));
    }

    /// Emits node events for AccumulateGrad nodes among `edges` not yet seen
    /// (backward roots that are leaves).
    pub(crate) fn unseen_accumulators(&mut self, edges: &[Edge]) {
        for e in edges {
            if let Some(n) = &e.function
                && n.kind() == NodeKind::AccumulateGrad
                && !self.node_seen(n)
            {
                let leaf = accumulate_leaf(n);
                self.node_event(n, &leaf.into_iter().collect::<Vec<_>>(), n.name());
            }
        }
    }

    pub(crate) fn graph_task_begin(
        &mut self,
        roots: &[Edge],
        depth: u32,
        keep_graph: bool,
        create_graph: bool,
    ) {
        let roots = roots.iter().map(|e| self.edge(e)).collect();
        self.emit(EventBody::Autograd(AutogradEvent::GraphTaskBegin(
            GraphTaskBegin {
                roots,
                depth,
                keep_graph,
                create_graph,
            },
        )));
    }

    pub(crate) fn queue(&mut self, node: &Node, depth: u32, deps: u32, push: bool) {
        let entry = QueueEntry {
            node: self.node_id(node),
            depth,
            seq_nr: node.sequence_nr(),
            deps,
        };
        self.emit(EventBody::Autograd(if push {
            AutogradEvent::Push(entry)
        } else {
            AutogradEvent::Pop(entry)
        }));
    }

    pub(crate) fn accumulate(&mut self, node: &Node, leaf: &Tensor) {
        let Some(grad) = leaf.grad() else { return };
        let node = self.node_id(node);
        let tensor = self.tensor_id(leaf);
        let grad = Box::new(self.tensor_ref(&grad, None, self.policy.records_every_value()));
        self.emit(EventBody::Autograd(AutogradEvent::Accumulate(Accumulate {
            node,
            tensor,
            grad,
        })));
    }

    /// api `register_hook [hook, kind, tensor]`.
    pub(crate) fn register_hook(&mut self, hook: u64, kind: &str, t: &Tensor) {
        self.introduce_unseen(std::iter::once(t));
        let tensor = self.tensor_id(t);
        self.api(ApiEvent::RegisterHook(RegisterHook {
            hook,
            kind: kind.to_owned(),
            tensor,
        }));
    }

    /// api `remove_hook [hook]`.
    pub(crate) fn remove_hook(&mut self, hook: u64) {
        self.api(ApiEvent::RemoveHook(RemoveHook { hook }));
    }

    /// api `retain_grad [tensor]`.
    pub(crate) fn retain_grad(&mut self, t: &Tensor) {
        self.introduce_unseen(std::iter::once(t));
        let tensor = self.tensor_id(t);
        self.api(ApiEvent::RetainGrad(RetainGrad { tensor }));
    }

    /// autograd `hook_begin [hook, node, args]` (references without values).
    pub(crate) fn hook_begin(&mut self, hook: u64, node: &Node, args: &[Option<&Tensor>]) {
        self.introduce_unseen(args.iter().flatten().copied());
        let node = self.node_id(node);
        let args = args
            .iter()
            .map(|a| a.map(|t| self.tensor_ref(t, None, false)))
            .collect();
        self.emit(EventBody::Autograd(AutogradEvent::HookBegin(HookBegin {
            hook,
            node,
            args,
        })));
    }

    /// autograd `hook_end [hook, result]` (a reference without value).
    pub(crate) fn hook_end(&mut self, hook: u64, result: Option<&Tensor>) {
        self.introduce_unseen(result);
        let result = result.map(|t| Box::new(self.tensor_ref(t, None, false)));
        self.emit(EventBody::Autograd(AutogradEvent::HookEnd(HookEnd {
            hook,
            result,
        })));
    }

    /// The `backward()` call raised `error` (`"Type: message"`): written in
    /// place of `graph_task_end`, where the engine stopped.
    pub(crate) fn graph_task_error(&mut self, error: String) {
        self.emit(EventBody::Autograd(AutogradEvent::GraphTaskError(
            GraphTaskError { error },
        )));
    }

    pub(crate) fn graph_task_end(&mut self, executed: u64) {
        self.emit(EventBody::Autograd(AutogradEvent::GraphTaskEnd(
            GraphTaskEnd { executed },
        )));
    }

    // -- device layer ---------------------------------------------------------

    pub(crate) fn device(&mut self, event: DeviceEvent) {
        self.emit(EventBody::Device(event));
    }

    pub(crate) fn transfer(&mut self, src: &Tensor, dst: &Tensor) {
        let event = Transfer {
            src: self.tensor_id(src),
            dst: self.tensor_id(dst),
            from: src.device().name(),
            to: dst.device().name(),
        };
        self.device(DeviceEvent::Transfer(event));
    }
}

/// The leaf an AccumulateGrad node accumulates into.
fn accumulate_leaf(node: &Node) -> Option<Tensor> {
    let function = node.function.try_lock()?;
    function.leaf()
}

/// The dispatcher's walk as the event writes it: `[key, handler]` steps.
fn chain_steps(chain: &[(&'static str, &'static str)]) -> Chain {
    chain
        .iter()
        .map(|&(key, handler)| ChainStep {
            key: Name::new(key),
            handler: Name::new(handler),
        })
        .collect()
}
