//! The event model: one stream, four layers, integer kinds.
//!
//! An event on the wire is the msgpack array `[seq, layer, kind, payload, ts]`.
//! `payload` is itself an array whose shape is fixed by `(layer, kind)`; the
//! field order of every payload struct below *is* the wire order (rmp-serde
//! writes structs as arrays), so reordering fields is a format change.
//!
//! Kinds are small integers, not names, so the encoding stays compact and
//! renaming a Rust type never changes a file. Numbers of removed kinds are
//! never reused; each layer notes its next free kind.
//!
//! A reader that meets a kind it does not know keeps the event as
//! [`EventBody::Unknown`] — sequence number, layer, kind and the payload as a
//! generic msgpack value — instead of failing: newer minor versions may add
//! kinds. Such an event still hashes (over its payload as written, since this
//! reader cannot tell which parts are values) and can be written back.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::hash::Digest;
use crate::name::Name;
use crate::value::{TensorRef, Value};

/// The four layers of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// What the user's program did at the top.
    Api = 0,
    /// Operator calls.
    Dispatch = 1,
    /// Graph construction and engine scheduling.
    Autograd = 2,
    /// Device guards and transfers.
    Device = 3,
}

impl Layer {
    /// All layers in wire order.
    pub const ALL: [Layer; 4] = [Layer::Api, Layer::Dispatch, Layer::Autograd, Layer::Device];

    /// The layer with this wire number.
    pub fn from_u8(n: u8) -> Option<Layer> {
        Layer::ALL.get(usize::from(n)).copied()
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Api => "api",
            Layer::Dispatch => "dispatch",
            Layer::Autograd => "autograd",
            Layer::Device => "device",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One event: a dense sequence number, a body and a timestamp.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Dense, starting at 0, one per event.
    pub seq: u64,
    /// Nanoseconds since the recording started, or 0 when timestamps are off.
    /// Never part of any hash.
    pub ts: u64,
    /// What happened.
    pub body: EventBody,
}

/// What an event says, by layer.
#[derive(Clone, Debug, PartialEq)]
pub enum EventBody {
    /// Layer 0.
    Api(ApiEvent),
    /// Layer 1.
    Dispatch(DispatchEvent),
    /// Layer 2.
    Autograd(AutogradEvent),
    /// Layer 3.
    Device(DeviceEvent),
    /// A kind (or layer) this reader does not know, kept verbatim.
    Unknown {
        /// Wire layer number.
        layer: u8,
        /// Wire kind number.
        kind: u8,
        /// The payload, undecoded.
        payload: rmpv::Value,
    },
}

// ---------------------------------------------------------------------------
// api layer (0). Next kind: 23.

/// api layer events.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ApiEvent {
    /// Kind 1: a tensor entered the program without an observed operator
    /// (a leaf made outside the trace, an `nn.Parameter` wrapping existing storage).
    Tensor(TensorIntro),
    /// Kind 2: `requires_grad_()` changed a tensor's flag.
    SetRequiresGrad(SetRequiresGrad),
    /// Kind 3: `backward()` was called.
    Backward(BackwardCall),
    /// Kind 4: grad mode or inference mode changed.
    GradMode(GradMode),
    /// Kind 5: the global RNG was seeded.
    ManualSeed(ManualSeed),
    /// Kind 6: a named region began (`Optimizer.step#SGD.step`, user marks).
    MarkBegin(Mark),
    /// Kind 7: the innermost named region ended.
    MarkEnd(Mark),
    /// Kind 8: a tensor's `.grad` was replaced outside the engine (`zero_grad`).
    SetGrad(SetGrad),
    /// Kind 9: the recorded program raised; the trace ends here.
    ProgramError(ProgramError),
    /// Kind 10: the program can no longer reach this tensor (its last
    /// program-level reference died). Format 1.1.
    Release(Release),
    /// Kind 11: `torch.get_default_dtype()` changed (`torch.set_default_dtype`).
    /// Format 1.2.
    DefaultDtype(DefaultDtype),
    /// Kind 12: `torch.autograd.grad` or `backward(inputs=...)`: a backward
    /// restricted to given inputs (format 1.3).
    Grad(GradCall),
    /// Kind 13: the gradients `torch.autograd.grad` returned (format 1.3).
    GradResult(GradResult),
    /// Kind 14: the program registered a backward hook (format 1.3).
    RegisterHook(RegisterHook),
    /// Kind 15: the program removed a hook (`handle.remove()`, format 1.3).
    RemoveHook(RemoveHook),
    /// Kind 16: `tensor.retain_grad()` (format 1.3).
    RetainGrad(RetainGrad),
    /// Kind 17: a custom `autograd.Function` was applied (format 1.3).
    Function(FunctionApplied),
    /// Kind 18: a hook was registered on a graph node (format 1.3).
    RegisterNodeHook(RegisterNodeHook),
    /// Kind 19: `tensor.data` read or assigned (format 1.3).
    Data(DataAccess),
    /// Kind 20: a saved-tensor hooks scope entered or left (format 1.3).
    SavedTensorsHooks(SavedTensorsHooks),
    /// Kind 21: a device type's autocast state changed (`torch.autocast`
    /// entered or left). Format 2.1.
    Autocast(Autocast),
    /// Kind 22: autograd's anomaly mode changed
    /// (`torch.autograd.detect_anomaly`, `set_detect_anomaly`). Format 2.3.
    AnomalyMode(AnomalyMode),
    /// `[enabled]` (2.7): the thread dispatches below autograd.
    BelowAutograd(BelowAutograd),
}

/// Payload of [`ApiEvent::Tensor`]: `[tensor, alias]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorIntro {
    /// The tensor; `value` is set unless `alias` is true or the policy is `none`.
    pub tensor: Box<TensorRef>,
    /// True when the tensor's storage already appeared in the stream: the
    /// tensor is a new view of known memory and carries no value of its own.
    pub alias: bool,
}

/// Payload of [`ApiEvent::SetRequiresGrad`]: `[tensor, requires_grad]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetRequiresGrad {
    /// Tensor id.
    pub tensor: u64,
    /// New flag.
    pub requires_grad: bool,
}

/// Payload of [`ApiEvent::Backward`]: `[roots, grads, retain_graph, create_graph]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackwardCall {
    /// Tensor ids of the outputs backward starts from.
    pub roots: Vec<u64>,
    /// One entry per root: the gradient tensor id, or nil for the implicit
    /// `ones_like` of a scalar root.
    pub grads: Vec<Option<u64>>,
    /// `retain_graph`.
    pub retain_graph: bool,
    /// `create_graph`.
    pub create_graph: bool,
}

/// Payload of [`ApiEvent::GradMode`]: `[grad_enabled, inference_mode]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradMode {
    /// `torch.is_grad_enabled()`.
    pub grad_enabled: bool,
    /// `torch.is_inference_mode_enabled()`.
    pub inference_mode: bool,
}

/// Payload of [`ApiEvent::ManualSeed`]: `[seed]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualSeed {
    /// The seed.
    pub seed: u64,
}

/// Payload of [`ApiEvent::MarkBegin`] and [`ApiEvent::MarkEnd`]: `[name]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// Region name.
    pub name: String,
}

/// Payload of [`ApiEvent::SetGrad`]: `[tensor, grad]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetGrad {
    /// The leaf whose `.grad` changed.
    pub tensor: u64,
    /// The new gradient tensor id, or nil for `None`.
    pub grad: Option<u64>,
}

/// Payload of [`ApiEvent::Release`]: `[tensor]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// Tensor id.
    pub tensor: u64,
}

/// Payload of [`ApiEvent::DefaultDtype`]: `[dtype]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DefaultDtype {
    /// The new default dtype, PyTorch's name without `torch.` (`float64`).
    pub dtype: String,
}

/// Payload of [`ApiEvent::RegisterHook`]: `[hook, kind, tensor]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisterHook {
    /// Hook id: dense from 0 in registration order.
    pub hook: u64,
    /// `tensor` (`Tensor.register_hook`: runs with the tensor's gradient
    /// before the node that consumes it) or `post_accumulate_grad`
    /// (`Tensor.register_post_accumulate_grad_hook`: runs with the leaf after
    /// its AccumulateGrad stored the gradient).
    pub kind: String,
    /// The tensor the hook was registered on.
    pub tensor: u64,
}

/// Payload of [`ApiEvent::Data`]: `[tensor, source, write]`. In both
/// directions `tensor` takes `source`'s storage and geometry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataAccess {
    /// Read (`tensor = source.data`): the new tensor, over `source`'s storage
    /// and geometry, not requiring grad, with a version counter of its own.
    /// Write (`tensor.data = source`): the tensor after the assignment; it
    /// keeps its id, autograd state and version counter. No `value`.
    pub tensor: Box<TensorRef>,
    /// The tensor whose data was read, or the tensor assigned.
    pub source: u64,
    /// False for a read, true for an assignment.
    pub write: bool,
}

/// Payload of [`ApiEvent::SavedTensorsHooks`]: `[hook, enter]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedTensorsHooks {
    /// Hook id of the pack/unpack pair, from the same counter as
    /// [`RegisterHook::hook`]; the `hook_begin` / `hook_end` of its unpacks
    /// name it.
    pub hook: u64,
    /// True when the scope (`torch.autograd.graph.saved_tensors_hooks`) is
    /// entered: tensors saved for backward from here on are packed by the
    /// hook. False when it is left.
    pub enter: bool,
}

/// Payload of [`ApiEvent::Autocast`]: `[device_type, enabled, dtype, cache_enabled]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Autocast {
    /// The device type whose state this is (`cpu`).
    pub device_type: String,
    /// `torch.is_autocast_enabled(device_type)`: while true, operators on
    /// that device's tensors dispatch through its `Autocast<Backend>` key.
    pub enabled: bool,
    /// `torch.get_autocast_dtype(device_type)`, PyTorch's name (`bfloat16`).
    pub dtype: String,
    /// `torch.is_autocast_cache_enabled()`: whether casts of leaf
    /// parameters are cached within the outermost autocast region.
    pub cache_enabled: bool,
}

/// Payload of [`ApiEvent::AnomalyMode`]: `[enabled, check_nan]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnomalyMode {
    /// `torch.is_anomaly_enabled()`.
    pub enabled: bool,
    /// `torch.is_anomaly_check_nan_enabled()`: while anomaly mode is
    /// enabled and this is true, the engine checks every gradient a node
    /// returns for NaN (`isnan`, `_is_any_true`, `_local_scalar_dense`).
    pub check_nan: bool,
}

/// Payload of [`ApiEvent::BelowAutograd`]: `[enabled]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BelowAutograd {
    /// Whether the thread's dispatch excludes the autograd keys, as
    /// PyTorch's `AutoDispatchBelowAutograd` guard does while an
    /// operator's kernel runs: set while the Python kernel of an operator
    /// the program defined (`torch.library.custom_op`) runs, so the
    /// operators it calls build no graph and reach the observer whole.
    pub enabled: bool,
}

/// Payload of [`ApiEvent::RegisterNodeHook`]: `[hook, kind, node]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisterNodeHook {
    /// Hook id, from the same counter as [`RegisterHook::hook`].
    pub hook: u64,
    /// `post` (`grad_fn.register_hook`: runs with the node's results and the
    /// gradients it received after the node's function, and may replace
    /// the results).
    pub kind: String,
    /// The node the hook was registered on.
    pub node: u64,
}

/// Payload of [`ApiEvent::RemoveHook`]: `[hook]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemoveHook {
    /// The hook id of its `register_hook` event.
    pub hook: u64,
}

/// Payload of [`ApiEvent::Grad`]:
/// `[roots, grads, inputs, retain_graph, create_graph, accumulate, allow_unused]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradCall {
    /// Tensor ids of the outputs the backward starts from.
    pub roots: Vec<u64>,
    /// One entry per root: the gradient tensor id, or nil for the implicit
    /// `ones_like` of a scalar root.
    pub grads: Vec<Option<u64>>,
    /// Tensor ids of the inputs the gradients are wanted for, in argument order.
    pub inputs: Vec<u64>,
    /// `retain_graph`.
    pub retain_graph: bool,
    /// `create_graph`.
    pub create_graph: bool,
    /// True for `backward(inputs=...)` (the inputs' gradients accumulate into
    /// `.grad`), false for `torch.autograd.grad` (they are returned).
    pub accumulate: bool,
    /// `allow_unused` (always true for `backward(inputs=...)`).
    pub allow_unused: bool,
}

/// Payload of [`ApiEvent::GradResult`]: `[grads]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradResult {
    /// One entry per input of the `grad` event: the gradient the engine
    /// returned, or nil for an input no path reached. No values.
    pub grads: Vec<Option<TensorRef>>,
}

/// Payload of [`ApiEvent::RetainGrad`]: `[tensor]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetainGrad {
    /// The tensor whose gradient is kept in `.grad`.
    pub tensor: u64,
}

/// Payload of [`ApiEvent::Function`]: `[name, inputs, outputs]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionApplied {
    /// The name of the node the Function creates (`<ClassName>Backward`).
    pub name: String,
    /// The tensor arguments of `apply`, in argument order (one next edge
    /// each).
    pub inputs: Vec<u64>,
    /// The tensors `apply` returned, in order.
    pub outputs: Vec<u64>,
}

/// Payload of [`ApiEvent::ProgramError`]: `[message]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgramError {
    /// `ExceptionType: message`.
    pub message: String,
}

// ---------------------------------------------------------------------------
// dispatch layer (1). Next kind: 3.

/// dispatch layer events.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum DispatchEvent {
    /// Kind 1: one operator call, recorded when it returns.
    Op(OpCall),
    /// Kind 2: an operator call that raised (format 1.3).
    OpError(OpError),
}

/// Where an operator call happened.
///
/// Wire form `[where, node]`: `[0, nil]` top level, `[1, nil]` inside a
/// `backward()` call but outside any node (the implicit `ones_like`),
/// `[2, node_id]` while the engine ran that node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    /// Called by the program itself. Replay re-executes these.
    TopLevel,
    /// Inside `backward()`, before or after the engine ran nodes.
    Backward,
    /// While the engine executed this node.
    Node(u64),
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (code, node): (u8, Option<u64>) = match *self {
            Context::TopLevel => (0, None),
            Context::Backward => (1, None),
            Context::Node(n) => (2, Some(n)),
        };
        (code, node).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Context, D::Error> {
        let (code, node): (u8, Option<u64>) = Deserialize::deserialize(deserializer)?;
        match (code, node) {
            (0, _) => Ok(Context::TopLevel),
            (1, _) => Ok(Context::Backward),
            (2, Some(n)) => Ok(Context::Node(n)),
            (2, None) => Err(de::Error::custom("context 2 (node) without a node id")),
            (other, _) => Err(de::Error::custom(format_args!("unknown context {other}"))),
        }
    }
}

/// One step of the dispatcher's walk: `[key, handler]`.
///
/// `handler` is `"autograd"` (an autograd kernel that records the graph and
/// redispatches below), `"fallthrough"` (the key is skipped), `"kernel"` (a
/// real kernel: backend kernels, BackendSelect for factories,
/// ADInplaceOrView for in-place and view ops) or `"math"` (a composite kernel
/// that decomposes into further calls).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChainStep {
    /// Dispatch key name as PyTorch spells it (`AutogradCPU`).
    pub key: Name,
    /// How the key handled the call.
    pub handler: Name,
}

/// A computed DispatchKeySet's keys, highest priority first.
///
/// Shared: a run computes a few dozen distinct key sets and repeats them on
/// every operator, so a reader and the runtime hand out one allocation per
/// distinct set (`Arc<[Name]>` builds from a `Vec` or an iterator).
pub type KeySet = Arc<[Name]>;

/// The steps of a dispatcher walk, in order; shared like [`KeySet`].
pub type Chain = Arc<[ChainStep]>;

/// Payload of [`DispatchEvent::Op`]: `[op, keyset, chain, args, outputs, context]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpCall {
    /// ATen overload name as PyTorch spells it in Python (`aten.addmm.default`).
    pub op: Name,
    /// Keys of the computed DispatchKeySet, highest priority first.
    pub keyset: KeySet,
    /// The keys the call walked, in order.
    pub chain: Chain,
    /// Every schema argument in schema order, defaults filled in: `[name, value]`.
    pub args: Vec<(Name, Value)>,
    /// Results, in schema order (tuples flattened).
    pub outputs: Vec<Value>,
    /// Top level, inside backward, or inside a node.
    pub context: Context,
}

/// Payload of [`DispatchEvent::OpError`]: `[op, keyset, chain, args, error, context]`.
///
/// The call as an [`OpCall`] would record it, without outputs: the operator
/// raised instead of returning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpError {
    /// ATen overload name (`aten.mm.default`).
    pub op: Name,
    /// Keys of the computed DispatchKeySet, highest priority first.
    pub keyset: KeySet,
    /// The keys the call walked, in order.
    pub chain: Chain,
    /// Every schema argument in schema order, defaults filled in: `[name, value]`.
    pub args: Vec<(Name, Value)>,
    /// The Python exception: `"Type: message"` (`RuntimeError: mm: mat1 and
    /// mat2 shapes cannot be multiplied (2x3 and 4x5)`).
    pub error: String,
    /// Top level, inside backward, or inside a node.
    pub context: Context,
}

// ---------------------------------------------------------------------------
// autograd layer (2). Next kind: 12.

/// autograd layer events.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AutogradEvent {
    /// Kind 1: a graph node was created.
    Node(NodeCreated),
    /// Kind 2: the engine started a GraphTask.
    GraphTaskBegin(GraphTaskBegin),
    /// Kind 3: a NodeTask was pushed onto the ReadyQueue.
    Push(QueueEntry),
    /// Kind 4: a NodeTask was popped from the ReadyQueue (the node runs next).
    Pop(QueueEntry),
    /// Kind 5: AccumulateGrad stored a gradient into a leaf.
    Accumulate(Accumulate),
    /// Kind 6: the GraphTask finished.
    GraphTaskEnd(GraphTaskEnd),
    /// Kind 7: the engine calls a program's hook (format 1.3).
    HookBegin(HookBegin),
    /// Kind 8: the hook returned (format 1.3).
    HookEnd(HookEnd),
    /// Kind 9: the `backward()` call raised; in place of `graph_task_end`
    /// (format 1.3).
    GraphTaskError(GraphTaskError),
    /// Kind 10: a custom Function's node returned its gradients (format 1.3).
    NodeResult(NodeResult),
    /// Kind 11: a node hook returned (format 1.3): the end of a hook whose
    /// result is a list.
    HookResult(HookResult),
}

/// An edge to the next node: `[node, input_nr]`, node nil for an undefined edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edge {
    /// Node id, or nil when the input needs no gradient.
    pub node: Option<u64>,
    /// Which input of that node the gradient flows into.
    pub input_nr: u32,
}

/// `sequence_nr` of AccumulateGrad nodes: they always run last among ties.
pub const ACCUMULATE_GRAD_SEQ: u64 = u64::MAX;

/// Payload of [`AutogradEvent::Node`]: `[node, name, seq_nr, next, tensors]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeCreated {
    /// Node id: dense, in order of first appearance.
    pub node: u64,
    /// PyTorch's node name (`AddmmBackward0`, `AccumulateGrad`).
    pub name: String,
    /// Sequence number relative to the start of the recording
    /// ([`ACCUMULATE_GRAD_SEQ`] for AccumulateGrad).
    pub seq_nr: u64,
    /// Next edges in `next_functions` order.
    pub next: Vec<Edge>,
    /// The tensors this node is attached to: the outputs whose `grad_fn` it is
    /// (output_nr order), or the leaf variable of an AccumulateGrad.
    pub tensors: Vec<u64>,
}

/// Payload of [`AutogradEvent::GraphTaskBegin`]: `[roots, depth, keep_graph, create_graph]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphTaskBegin {
    /// Root edges, in argument order.
    pub roots: Vec<Edge>,
    /// Reentrant depth (0 for a plain `backward()`).
    pub depth: u32,
    /// `retain_graph`.
    pub keep_graph: bool,
    /// `create_graph`.
    pub create_graph: bool,
}

/// Payload of [`AutogradEvent::Push`] and [`AutogradEvent::Pop`]:
/// `[node, depth, seq_nr, deps]`.
///
/// `(depth, seq_nr)` is the ReadyQueue's ordering key (a max-heap); `deps` is
/// the node's dependency count when the GraphTask started (the number of
/// incoming edges from reachable nodes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueEntry {
    /// Node id.
    pub node: u64,
    /// Reentrant depth of the GraphTask.
    pub depth: u32,
    /// The node's sequence number.
    pub seq_nr: u64,
    /// Initial dependency count.
    pub deps: u32,
}

/// Payload of [`AutogradEvent::Accumulate`]: `[node, tensor, grad]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Accumulate {
    /// The AccumulateGrad node.
    pub node: u64,
    /// The leaf.
    pub tensor: u64,
    /// The tensor now stored in the leaf's `.grad`.
    pub grad: Box<TensorRef>,
}

/// Payload of [`AutogradEvent::GraphTaskEnd`]: `[executed]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphTaskEnd {
    /// How many nodes the GraphTask executed.
    pub executed: u64,
}

/// Payload of [`AutogradEvent::HookBegin`]: `[hook, node, args]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HookBegin {
    /// The hook id of its `register_hook` event.
    pub hook: u64,
    /// The node the engine is running (the tensor's `grad_fn`, or the leaf's
    /// AccumulateGrad).
    pub node: u64,
    /// What the hook receives: the gradient (a tensor hook; nil when none
    /// flows) or the leaf (a post-accumulate-grad hook). No values.
    pub args: Vec<Option<TensorRef>>,
}

/// Payload of [`AutogradEvent::HookEnd`]: `[hook, result]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HookEnd {
    /// The hook id of its `register_hook` event.
    pub hook: u64,
    /// The gradient the hook returned in place of the one it received, or
    /// nil when it returned None. No value.
    pub result: Option<Box<TensorRef>>,
}

/// Payload of [`AutogradEvent::HookResult`]: `[hook, results]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HookResult {
    /// The hook id of its `register_node_hook` event.
    pub hook: u64,
    /// What the hook returned: nil for None (the node's results stand), or
    /// one entry per result it replaces them with (nil: no gradient). No
    /// values.
    pub results: Option<Vec<Option<TensorRef>>>,
}

/// Payload of [`AutogradEvent::NodeResult`]: `[node, grads, results]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeResult {
    /// The node (a custom Function's) that ran.
    pub node: u64,
    /// The gradients it received, one per input (nil: none flowed). No values.
    pub grads: Vec<Option<TensorRef>>,
    /// The gradients it returned, one per next edge (nil: none). No values.
    pub results: Vec<Option<TensorRef>>,
}

/// Payload of [`AutogradEvent::GraphTaskError`]: `[error]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphTaskError {
    /// The Python exception `backward()` raised: `"Type: message"`.
    pub error: String,
}

// ---------------------------------------------------------------------------
// device layer (3). Next kind: 4.

/// device layer events.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum DeviceEvent {
    /// Kind 1: a device guard switched the current device.
    GuardEnter(DeviceGuard),
    /// Kind 2: the guard restored the previous device.
    GuardExit(DeviceGuard),
    /// Kind 3: an operator moved data between devices.
    Transfer(Transfer),
}

/// Payload of guard events: `[device]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceGuard {
    /// The device made current (enter) or left (exit).
    pub device: String,
}

/// Payload of [`DeviceEvent::Transfer`]: `[src, dst, from, to]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// Source tensor id.
    pub src: u64,
    /// Destination tensor id.
    pub dst: u64,
    /// Source device.
    pub from: String,
    /// Destination device.
    pub to: String,
}

// ---------------------------------------------------------------------------
// Wire (de)serialization.

impl EventBody {
    /// `(layer, kind)` wire numbers.
    pub fn code(&self) -> (u8, u8) {
        match self {
            EventBody::Api(e) => (
                0,
                match e {
                    ApiEvent::Tensor(_) => 1,
                    ApiEvent::SetRequiresGrad(_) => 2,
                    ApiEvent::Backward(_) => 3,
                    ApiEvent::GradMode(_) => 4,
                    ApiEvent::ManualSeed(_) => 5,
                    ApiEvent::MarkBegin(_) => 6,
                    ApiEvent::MarkEnd(_) => 7,
                    ApiEvent::SetGrad(_) => 8,
                    ApiEvent::ProgramError(_) => 9,
                    ApiEvent::Release(_) => 10,
                    ApiEvent::DefaultDtype(_) => 11,
                    ApiEvent::Grad(_) => 12,
                    ApiEvent::GradResult(_) => 13,
                    ApiEvent::RegisterHook(_) => 14,
                    ApiEvent::RemoveHook(_) => 15,
                    ApiEvent::RetainGrad(_) => 16,
                    ApiEvent::Function(_) => 17,
                    ApiEvent::RegisterNodeHook(_) => 18,
                    ApiEvent::Data(_) => 19,
                    ApiEvent::SavedTensorsHooks(_) => 20,
                    ApiEvent::Autocast(_) => 21,
                    ApiEvent::AnomalyMode(_) => 22,
                    ApiEvent::BelowAutograd(_) => 23,
                },
            ),
            EventBody::Dispatch(DispatchEvent::Op(_)) => (1, 1),
            EventBody::Dispatch(DispatchEvent::OpError(_)) => (1, 2),
            EventBody::Autograd(e) => (
                2,
                match e {
                    AutogradEvent::Node(_) => 1,
                    AutogradEvent::GraphTaskBegin(_) => 2,
                    AutogradEvent::Push(_) => 3,
                    AutogradEvent::Pop(_) => 4,
                    AutogradEvent::Accumulate(_) => 5,
                    AutogradEvent::GraphTaskEnd(_) => 6,
                    AutogradEvent::HookBegin(_) => 7,
                    AutogradEvent::HookEnd(_) => 8,
                    AutogradEvent::GraphTaskError(_) => 9,
                    AutogradEvent::NodeResult(_) => 10,
                    AutogradEvent::HookResult(_) => 11,
                },
            ),
            EventBody::Device(e) => (
                3,
                match e {
                    DeviceEvent::GuardEnter(_) => 1,
                    DeviceEvent::GuardExit(_) => 2,
                    DeviceEvent::Transfer(_) => 3,
                },
            ),
            EventBody::Unknown { layer, kind, .. } => (*layer, *kind),
        }
    }

    /// The layer, or `None` for an unknown layer number.
    pub fn layer(&self) -> Option<Layer> {
        Layer::from_u8(self.code().0)
    }

    /// The 1.x minor version that introduced this kind (0 for the kinds
    /// of 1.0; unknown kinds, and kinds added after 1.x, count as this
    /// build's newest minor).
    pub fn since_minor(&self) -> u16 {
        match self {
            EventBody::Api(
                ApiEvent::Autocast(_) | ApiEvent::AnomalyMode(_) | ApiEvent::BelowAutograd(_),
            ) => crate::format::LEGACY_NEWEST_MINOR,
            EventBody::Api(ApiEvent::Release(_)) => 1,
            EventBody::Api(ApiEvent::DefaultDtype(_)) => 2,
            EventBody::Api(ApiEvent::Grad(_) | ApiEvent::GradResult(_)) => 3,
            EventBody::Dispatch(DispatchEvent::OpError(_))
            | EventBody::Autograd(AutogradEvent::GraphTaskError(_)) => 3,
            EventBody::Api(
                ApiEvent::RegisterHook(_) | ApiEvent::RemoveHook(_) | ApiEvent::RetainGrad(_),
            )
            | EventBody::Autograd(AutogradEvent::HookBegin(_) | AutogradEvent::HookEnd(_)) => 3,
            EventBody::Api(ApiEvent::Function(_))
            | EventBody::Autograd(AutogradEvent::NodeResult(_)) => 3,
            EventBody::Api(ApiEvent::Data(_) | ApiEvent::SavedTensorsHooks(_)) => 3,
            EventBody::Api(ApiEvent::RegisterNodeHook(_))
            | EventBody::Autograd(AutogradEvent::HookResult(_)) => 3,
            EventBody::Unknown { .. } => crate::format::VERSION_MINOR,
            _ => 0,
        }
    }

    /// The 2.x minor version that introduced this kind (0 for every kind of
    /// 2.0; unknown kinds count as this build's newest minor).
    pub fn since_minor_v2(&self) -> u16 {
        match self {
            EventBody::Api(ApiEvent::Autocast(_)) => 1,
            EventBody::Api(ApiEvent::AnomalyMode(_)) => crate::format::ANOMALY_MODE_MINOR,
            EventBody::Api(ApiEvent::BelowAutograd(_)) => crate::format::BELOW_AUTOGRAD_MINOR,
            EventBody::Unknown { .. } => crate::format::VERSION_MINOR,
            _ => 0,
        }
    }

    /// Short kind name for display (`op`, `push`, `node`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            EventBody::Api(e) => match e {
                ApiEvent::Tensor(_) => "tensor",
                ApiEvent::SetRequiresGrad(_) => "set_requires_grad",
                ApiEvent::Backward(_) => "backward",
                ApiEvent::GradMode(_) => "grad_mode",
                ApiEvent::ManualSeed(_) => "manual_seed",
                ApiEvent::MarkBegin(_) => "mark_begin",
                ApiEvent::MarkEnd(_) => "mark_end",
                ApiEvent::SetGrad(_) => "set_grad",
                ApiEvent::ProgramError(_) => "program_error",
                ApiEvent::Release(_) => "release",
                ApiEvent::DefaultDtype(_) => "default_dtype",
                ApiEvent::Grad(_) => "grad",
                ApiEvent::GradResult(_) => "grad_result",
                ApiEvent::RegisterHook(_) => "register_hook",
                ApiEvent::RemoveHook(_) => "remove_hook",
                ApiEvent::RetainGrad(_) => "retain_grad",
                ApiEvent::Function(_) => "function",
                ApiEvent::RegisterNodeHook(_) => "register_node_hook",
                ApiEvent::Data(_) => "data",
                ApiEvent::SavedTensorsHooks(_) => "saved_tensors_hooks",
                ApiEvent::Autocast(_) => "autocast",
                ApiEvent::AnomalyMode(_) => "anomaly_mode",
                ApiEvent::BelowAutograd(_) => "below_autograd",
            },
            EventBody::Dispatch(DispatchEvent::Op(_)) => "op",
            EventBody::Dispatch(DispatchEvent::OpError(_)) => "op_error",
            EventBody::Autograd(e) => match e {
                AutogradEvent::Node(_) => "node",
                AutogradEvent::GraphTaskBegin(_) => "graph_task_begin",
                AutogradEvent::Push(_) => "push",
                AutogradEvent::Pop(_) => "pop",
                AutogradEvent::Accumulate(_) => "accumulate",
                AutogradEvent::GraphTaskEnd(_) => "graph_task_end",
                AutogradEvent::HookBegin(_) => "hook_begin",
                AutogradEvent::HookEnd(_) => "hook_end",
                AutogradEvent::GraphTaskError(_) => "graph_task_error",
                AutogradEvent::NodeResult(_) => "node_result",
                AutogradEvent::HookResult(_) => "hook_result",
            },
            EventBody::Device(e) => match e {
                DeviceEvent::GuardEnter(_) => "guard_enter",
                DeviceEvent::GuardExit(_) => "guard_exit",
                DeviceEvent::Transfer(_) => "transfer",
            },
            EventBody::Unknown { .. } => "unknown",
        }
    }

    /// The same body with every value digest removed: what structural hashes cover.
    pub fn structural(&self) -> EventBody {
        match self {
            EventBody::Api(ApiEvent::Tensor(t)) => EventBody::Api(ApiEvent::Tensor(TensorIntro {
                tensor: Box::new(t.tensor.structural()),
                alias: t.alias,
            })),
            EventBody::Dispatch(DispatchEvent::Op(op)) => {
                EventBody::Dispatch(DispatchEvent::Op(OpCall {
                    args: op
                        .args
                        .iter()
                        .map(|(n, v)| (n.clone(), v.structural()))
                        .collect(),
                    outputs: op.outputs.iter().map(Value::structural).collect(),
                    ..op.clone()
                }))
            }
            EventBody::Dispatch(DispatchEvent::OpError(op)) => {
                EventBody::Dispatch(DispatchEvent::OpError(OpError {
                    args: op
                        .args
                        .iter()
                        .map(|(n, v)| (n.clone(), v.structural()))
                        .collect(),
                    ..op.clone()
                }))
            }
            EventBody::Autograd(AutogradEvent::Accumulate(a)) => {
                EventBody::Autograd(AutogradEvent::Accumulate(Accumulate {
                    grad: Box::new(a.grad.structural()),
                    ..a.clone()
                }))
            }
            other => other.clone(),
        }
    }

    /// BLAKE3 of `msgpack([layer, kind, structural payload])`.
    pub fn structural_hash(&self) -> Digest {
        let mut buf = Vec::with_capacity(256);
        let (layer, kind) = self.code();
        let payload = crate::structural::StructuralPayload(self);
        if rmp_serde::encode::write(&mut buf, &(layer, kind, payload)).is_err() {
            unreachable!("msgpack encoding into a Vec is infallible");
        }
        Digest::of(&buf)
    }

    /// Every tensor reference carried by the body (with metadata).
    pub fn tensor_refs(&self) -> smallvec::SmallVec<[&TensorRef; 4]> {
        match self {
            EventBody::Api(ApiEvent::Tensor(t)) => smallvec::smallvec![&*t.tensor],
            EventBody::Api(ApiEvent::Data(d)) => smallvec::smallvec![&*d.tensor],
            EventBody::Dispatch(DispatchEvent::Op(op)) => op
                .args
                .iter()
                .flat_map(|(_, v)| v.tensors())
                .chain(op.outputs.iter().flat_map(Value::tensors))
                .collect(),
            EventBody::Dispatch(DispatchEvent::OpError(op)) => {
                op.args.iter().flat_map(|(_, v)| v.tensors()).collect()
            }
            EventBody::Autograd(AutogradEvent::Accumulate(a)) => smallvec::smallvec![&*a.grad],
            EventBody::Api(ApiEvent::GradResult(g)) => g.grads.iter().flatten().collect(),
            EventBody::Autograd(AutogradEvent::HookBegin(h)) => h.args.iter().flatten().collect(),
            EventBody::Autograd(AutogradEvent::HookEnd(h)) => {
                h.result.as_deref().into_iter().collect()
            }
            EventBody::Autograd(AutogradEvent::NodeResult(r)) => {
                r.grads.iter().chain(&r.results).flatten().collect()
            }
            EventBody::Autograd(AutogradEvent::HookResult(h)) => {
                h.results.iter().flatten().flatten().collect()
            }
            _ => smallvec::SmallVec::new(),
        }
    }
}

/// Serializes just the payload of a body.
pub(crate) struct PayloadRef<'a>(pub(crate) &'a EventBody);

impl Serialize for PayloadRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            EventBody::Api(e) => match e {
                ApiEvent::Tensor(p) => p.serialize(s),
                ApiEvent::SetRequiresGrad(p) => p.serialize(s),
                ApiEvent::Backward(p) => p.serialize(s),
                ApiEvent::GradMode(p) => p.serialize(s),
                ApiEvent::ManualSeed(p) => p.serialize(s),
                ApiEvent::MarkBegin(p) | ApiEvent::MarkEnd(p) => p.serialize(s),
                ApiEvent::SetGrad(p) => p.serialize(s),
                ApiEvent::ProgramError(p) => p.serialize(s),
                ApiEvent::Release(p) => p.serialize(s),
                ApiEvent::DefaultDtype(p) => p.serialize(s),
                ApiEvent::Grad(p) => p.serialize(s),
                ApiEvent::GradResult(p) => p.serialize(s),
                ApiEvent::RegisterHook(p) => p.serialize(s),
                ApiEvent::RemoveHook(p) => p.serialize(s),
                ApiEvent::RetainGrad(p) => p.serialize(s),
                ApiEvent::Function(p) => p.serialize(s),
                ApiEvent::RegisterNodeHook(p) => p.serialize(s),
                ApiEvent::Data(p) => p.serialize(s),
                ApiEvent::SavedTensorsHooks(p) => p.serialize(s),
                ApiEvent::Autocast(p) => p.serialize(s),
                ApiEvent::AnomalyMode(p) => p.serialize(s),
                ApiEvent::BelowAutograd(p) => p.serialize(s),
            },
            EventBody::Dispatch(DispatchEvent::Op(p)) => p.serialize(s),
            EventBody::Dispatch(DispatchEvent::OpError(p)) => p.serialize(s),
            EventBody::Autograd(e) => match e {
                AutogradEvent::Node(p) => p.serialize(s),
                AutogradEvent::GraphTaskBegin(p) => p.serialize(s),
                AutogradEvent::Push(p) | AutogradEvent::Pop(p) => p.serialize(s),
                AutogradEvent::Accumulate(p) => p.serialize(s),
                AutogradEvent::GraphTaskEnd(p) => p.serialize(s),
                AutogradEvent::HookBegin(p) => p.serialize(s),
                AutogradEvent::HookEnd(p) => p.serialize(s),
                AutogradEvent::GraphTaskError(p) => p.serialize(s),
                AutogradEvent::NodeResult(p) => p.serialize(s),
                AutogradEvent::HookResult(p) => p.serialize(s),
            },
            EventBody::Device(e) => match e {
                DeviceEvent::GuardEnter(p) | DeviceEvent::GuardExit(p) => p.serialize(s),
                DeviceEvent::Transfer(p) => p.serialize(s),
            },
            EventBody::Unknown { payload, .. } => payload.serialize(s),
        }
    }
}

/// An event assembled from borrowed parts, for writing without cloning.
pub(crate) struct EventRef<'a> {
    pub(crate) seq: u64,
    pub(crate) ts: u64,
    pub(crate) body: &'a EventBody,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EventRef {
            seq: self.seq,
            ts: self.ts,
            body: &self.body,
        }
        .serialize(serializer)
    }
}

impl Serialize for EventRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (layer, kind) = self.body.code();
        let mut tuple = serializer.serialize_tuple(5)?;
        tuple.serialize_element(&self.seq)?;
        tuple.serialize_element(&layer)?;
        tuple.serialize_element(&kind)?;
        tuple.serialize_element(&PayloadRef(self.body))?;
        tuple.serialize_element(&self.ts)?;
        tuple.end()
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Event, D::Error> {
        deserializer.deserialize_tuple(5, EventVisitor)
    }
}

struct EventVisitor;

fn next<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    seq: &mut A,
    index: usize,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::invalid_length(index, &"an event of 5 elements"))
}

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event [seq, layer, kind, payload, ts]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Event, A::Error> {
        let seq_nr: u64 = next(&mut seq, 0)?;
        let layer: u8 = next(&mut seq, 1)?;
        let kind: u8 = next(&mut seq, 2)?;
        let s = &mut seq;
        let body = match (layer, kind) {
            (0, 1) => EventBody::Api(ApiEvent::Tensor(next(s, 3)?)),
            (0, 2) => EventBody::Api(ApiEvent::SetRequiresGrad(next(s, 3)?)),
            (0, 3) => EventBody::Api(ApiEvent::Backward(next(s, 3)?)),
            (0, 4) => EventBody::Api(ApiEvent::GradMode(next(s, 3)?)),
            (0, 5) => EventBody::Api(ApiEvent::ManualSeed(next(s, 3)?)),
            (0, 6) => EventBody::Api(ApiEvent::MarkBegin(next(s, 3)?)),
            (0, 7) => EventBody::Api(ApiEvent::MarkEnd(next(s, 3)?)),
            (0, 8) => EventBody::Api(ApiEvent::SetGrad(next(s, 3)?)),
            (0, 9) => EventBody::Api(ApiEvent::ProgramError(next(s, 3)?)),
            (0, 10) => EventBody::Api(ApiEvent::Release(next(s, 3)?)),
            (0, 11) => EventBody::Api(ApiEvent::DefaultDtype(next(s, 3)?)),
            (0, 12) => EventBody::Api(ApiEvent::Grad(next(s, 3)?)),
            (0, 13) => EventBody::Api(ApiEvent::GradResult(next(s, 3)?)),
            (0, 14) => EventBody::Api(ApiEvent::RegisterHook(next(s, 3)?)),
            (0, 15) => EventBody::Api(ApiEvent::RemoveHook(next(s, 3)?)),
            (0, 16) => EventBody::Api(ApiEvent::RetainGrad(next(s, 3)?)),
            (0, 17) => EventBody::Api(ApiEvent::Function(next(s, 3)?)),
            (0, 18) => EventBody::Api(ApiEvent::RegisterNodeHook(next(s, 3)?)),
            (0, 19) => EventBody::Api(ApiEvent::Data(next(s, 3)?)),
            (0, 20) => EventBody::Api(ApiEvent::SavedTensorsHooks(next(s, 3)?)),
            (0, 21) => EventBody::Api(ApiEvent::Autocast(next(s, 3)?)),
            (0, 22) => EventBody::Api(ApiEvent::AnomalyMode(next(s, 3)?)),
            (0, 23) => EventBody::Api(ApiEvent::BelowAutograd(next(s, 3)?)),
            (1, 1) => EventBody::Dispatch(DispatchEvent::Op(next(s, 3)?)),
            (1, 2) => EventBody::Dispatch(DispatchEvent::OpError(next(s, 3)?)),
            (2, 1) => EventBody::Autograd(AutogradEvent::Node(next(s, 3)?)),
            (2, 2) => EventBody::Autograd(AutogradEvent::GraphTaskBegin(next(s, 3)?)),
            (2, 3) => EventBody::Autograd(AutogradEvent::Push(next(s, 3)?)),
            (2, 4) => EventBody::Autograd(AutogradEvent::Pop(next(s, 3)?)),
            (2, 5) => EventBody::Autograd(AutogradEvent::Accumulate(next(s, 3)?)),
            (2, 6) => EventBody::Autograd(AutogradEvent::GraphTaskEnd(next(s, 3)?)),
            (2, 7) => EventBody::Autograd(AutogradEvent::HookBegin(next(s, 3)?)),
            (2, 8) => EventBody::Autograd(AutogradEvent::HookEnd(next(s, 3)?)),
            (2, 9) => EventBody::Autograd(AutogradEvent::GraphTaskError(next(s, 3)?)),
            (2, 10) => EventBody::Autograd(AutogradEvent::NodeResult(next(s, 3)?)),
            (2, 11) => EventBody::Autograd(AutogradEvent::HookResult(next(s, 3)?)),
            (3, 1) => EventBody::Device(DeviceEvent::GuardEnter(next(s, 3)?)),
            (3, 2) => EventBody::Device(DeviceEvent::GuardExit(next(s, 3)?)),
            (3, 3) => EventBody::Device(DeviceEvent::Transfer(next(s, 3)?)),
            (layer, kind) => EventBody::Unknown {
                layer,
                kind,
                payload: next(s, 3)?,
            },
        };
        let ts: u64 = next(&mut seq, 4)?;
        Ok(Event {
            seq: seq_nr,
            ts,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_tensor(id: u64, digest: Option<Digest>) -> TensorRef {
        TensorRef {
            id,
            dtype: "float32".into(),
            shape: vec![16, 4].into(),
            stride: vec![4, 1].into(),
            offset: 0,
            storage: id,
            device: "cpu".into(),
            requires_grad: false,
            version: 0,
            value: digest,
            sparse: None,
            nested: None,
        }
    }

    fn op(digest: Option<Digest>) -> EventBody {
        EventBody::Dispatch(DispatchEvent::Op(OpCall {
            op: "aten.relu.default".into(),
            keyset: vec!["AutogradCPU".into(), "CPU".into()].into(),
            chain: vec![ChainStep {
                key: "CPU".into(),
                handler: "kernel".into(),
            }]
            .into(),
            args: vec![(
                "self".into(),
                Value::Tensor(Box::new(sample_tensor(0, digest))),
            )],
            outputs: vec![Value::Tensor(Box::new(sample_tensor(1, digest)))],
            context: Context::Node(3),
        }))
    }

    #[test]
    fn structural_hash_ignores_values_seq_and_ts() {
        let a = op(Some(Digest::of(b"a")));
        let b = op(Some(Digest::of(b"b")));
        assert_eq!(a.structural_hash(), b.structural_hash());
        assert_eq!(a.structural_hash(), op(None).structural_hash());
    }

    #[test]
    fn borrowed_structural_form_encodes_like_the_cloned_one() {
        let body = op(Some(Digest::of(b"a")));
        let (layer, kind) = body.code();
        let cloned = body.structural();
        let mut buf = Vec::new();
        rmp_serde::encode::write(&mut buf, &(layer, kind, PayloadRef(&cloned))).expect("encode");
        assert_eq!(body.structural_hash(), Digest::of(&buf));
    }

    #[test]
    fn structural_hash_sees_metadata() {
        let a = op(None);
        let mut b = op(None);
        if let EventBody::Dispatch(DispatchEvent::Op(call)) = &mut b {
            call.context = Context::TopLevel;
        }
        assert_ne!(a.structural_hash(), b.structural_hash());
    }

    #[test]
    fn events_round_trip() {
        let bodies = vec![
            op(Some(Digest::of(b"a"))),
            EventBody::Api(ApiEvent::Backward(BackwardCall {
                roots: vec![5],
                grads: vec![None],
                retain_graph: false,
                create_graph: false,
            })),
            EventBody::Api(ApiEvent::Grad(GradCall {
                roots: vec![5, 6],
                grads: vec![None, Some(7)],
                inputs: vec![1, 3],
                retain_graph: true,
                create_graph: false,
                accumulate: false,
                allow_unused: true,
            })),
            EventBody::Api(ApiEvent::GradResult(GradResult {
                grads: vec![Some(sample_tensor(9, None)), None],
            })),
            EventBody::Autograd(AutogradEvent::Node(NodeCreated {
                node: 2,
                name: "AccumulateGrad".into(),
                seq_nr: ACCUMULATE_GRAD_SEQ,
                next: vec![Edge {
                    node: None,
                    input_nr: 0,
                }],
                tensors: vec![1],
            })),
            EventBody::Autograd(AutogradEvent::Push(QueueEntry {
                node: 2,
                depth: 0,
                seq_nr: 9,
                deps: 1,
            })),
            EventBody::Device(DeviceEvent::Transfer(Transfer {
                src: 1,
                dst: 2,
                from: "cpu".into(),
                to: "meta".into(),
            })),
        ];
        for (i, body) in bodies.into_iter().enumerate() {
            let event = Event {
                seq: i as u64,
                ts: 77,
                body,
            };
            let bytes = rmp_serde::to_vec(&event).expect("encode");
            let back: Event = rmp_serde::from_slice(&bytes).expect("decode");
            assert_eq!(back, event);
        }
    }

    #[test]
    fn unknown_kinds_are_kept_as_unknown() {
        // [7, 2, 99, [1, 2], 0]
        let bytes = [0x95, 7, 2, 99, 0x92, 1, 2, 0];
        let event: Event = rmp_serde::from_slice(&bytes).expect("decode");
        assert_eq!(event.seq, 7);
        let payload = rmpv::Value::Array(vec![1.into(), 2.into()]);
        assert_eq!(
            event.body,
            EventBody::Unknown {
                layer: 2,
                kind: 99,
                payload
            }
        );
        // It hashes and writes back byte for byte.
        let _ = event.body.structural_hash();
        assert_eq!(rmp_serde::to_vec(&event).expect("encode"), bytes);
    }

    #[test]
    fn accumulate_grad_seq_is_u64_max_on_the_wire() {
        let body = EventBody::Autograd(AutogradEvent::Pop(QueueEntry {
            node: 0,
            depth: 0,
            seq_nr: ACCUMULATE_GRAD_SEQ,
            deps: 1,
        }));
        let event = Event {
            seq: 0,
            ts: 0,
            body,
        };
        let bytes = rmp_serde::to_vec(&event).expect("encode");
        // 0xcf = uint64
        assert!(
            bytes
                .windows(9)
                .any(|w| w == [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        );
    }
}
