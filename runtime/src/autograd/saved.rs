//! Tensors a node keeps for backward (PyTorch's `SavedVariable`).
//!
//! * A saved **input** keeps the tensor itself; unpacking returns it.
//! * A saved **output** (ReluBackward0 keeps relu's result) cannot keep the
//!   tensor — its `grad_fn` is the saving node, a reference cycle — so it
//!   keeps a history-free copy of the metadata over the same storage and
//!   version counter. Unpacking rebuilds a tensor whose `grad_fn` is the
//!   node, as PyTorch does. The copy shares the output's trace identity:
//!   in the stream it is the same tensor (FORMAT §3.6 rule 6).
//!
//! Unpacking checks the version counter: a saved tensor modified in place
//! since it was saved is an error, and so is unpacking after the graph was
//! freed (`release_variables` after a backward without `retain_graph`).
//!
//! While a saved-tensor hooks scope is active
//! ([`crate::Runtime::saved_tensors_hooks_enter`]), a saved tensor is
//! *hooked* instead: it keeps a [`HookedSaved`] slot that the runtime packs
//! when the saving node is made and fills through the unpack hook before the
//! node's function runs; unpacking returns what the hook returned.

use std::cell::RefCell;
use std::sync::Arc;

use parking_lot::Mutex;

use super::node::Node;
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// A tensor saved for backward.
pub(crate) struct SavedVariable {
    data: Option<Tensor>,
    saved_version: u64,
    output_nr: Option<u32>,
    hooked: Option<HookedSlot>,
    /// For a hooked saved input: the history it had (its `grad_fn` edge),
    /// or whether the leaf required grad.
    history: Option<(Arc<Node>, u32)>,
    leaf_requires_grad: bool,
}

/// A tensor saved under a saved-tensor hooks pair.
pub(crate) struct HookedSaved {
    /// The pair's hook id.
    pub(crate) hook: u64,
    /// The tensor the operator saved, then what the pack hook returned.
    pub(crate) packed: Tensor,
    /// What the unpack hook returned, while the saving node runs.
    pub(crate) unpacked: Option<Tensor>,
    /// For a saved output, its position among the operator's returns.
    pub(crate) output_nr: Option<u32>,
    /// The autograd state the saved tensor gives back to what the unpack
    /// returned.
    pub(crate) state: SavedState,
    /// Where the saving code's reference pointed: an element of the bound
    /// arguments when a backward function saved an argument as it was
    /// handed over (tells `addcmul(h, a, h)`'s `tensor2` from its `self`).
    saved_from: usize,
}

/// A hooked saved tensor, shared by its [`SavedVariable`] and the runtime.
pub(crate) type HookedSlot = Arc<Mutex<HookedSaved>>;

/// The autograd state a saved tensor had, which PyTorch's saved variable
/// gives to the tensor an unpack hook returned.
#[derive(Clone)]
pub(crate) enum SavedState {
    /// Output `nr` of the saving node.
    Output(u32),
    /// An input with history: its `grad_fn` edge.
    History(Arc<Node>, u32),
    /// A leaf that requires grad.
    Leaf,
    /// An input without history that requires no grad.
    Plain,
}

impl SavedState {
    /// Whether there is state to give (PyTorch rebuilds the unpacked tensor
    /// then, or when it requires grad itself).
    pub(crate) fn is_plain(&self) -> bool {
        matches!(self, SavedState::Plain)
    }

    /// Gives `t` this state in place; `node` is the saving node.
    fn give(&self, t: &Tensor, node: &Arc<Node>) {
        let mut meta = t.0.autograd.lock();
        match self {
            SavedState::Output(nr) => {
                meta.grad_fn = Some(Arc::clone(node));
                meta.output_nr = *nr;
            }
            SavedState::History(f, nr) => {
                meta.grad_fn = Some(Arc::clone(f));
                meta.output_nr = *nr;
            }
            SavedState::Leaf => meta.requires_grad = true,
            SavedState::Plain => {}
        }
    }
}

thread_local! {
    /// The hook ids of the active saved-tensor hooks scopes, innermost last.
    static SCOPES: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// Hooked slots saved since the runtime last took them.
    static PENDING: RefCell<Vec<HookedSlot>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    /// A view whose history the error for a modified saved tensor read
    /// ([`take_stale_view`]).
    static STALE_VIEW: RefCell<Option<Tensor>> = const { RefCell::new(None) };
}

/// The saved view that the last unpack error described by its regenerated
/// history: PyTorch gives the view that AsStridedBackward0 for real (reading
/// its `grad_fn` regenerates it, taking a sequence number), so the engine
/// regenerates it when the node's backward fails.
pub(crate) fn take_stale_view() -> Option<Tensor> {
    STALE_VIEW.with(|v| v.borrow_mut().take())
}

thread_local! {
    /// The state the next `detach`'s output takes
    /// ([`expect_unpack_detach`]).
    static UNPACK_DETACH: RefCell<Option<(SavedState, Arc<Node>)>> = const { RefCell::new(None) };
}

/// The next `aten.detach.default` call is the one PyTorch's saved variable
/// makes of an unpacked tensor under a dispatch mode: its output takes
/// `state` (of `node`'s saved tensor) in place, before its op event is
/// written, as PyTorch's `make_variable` gives the shallow copy its
/// history before the mode's event is finished (the recorded output
/// requires grad).
pub(crate) fn expect_unpack_detach(state: SavedState, node: &Arc<Node>) {
    UNPACK_DETACH.with(|d| *d.borrow_mut() = Some((state, Arc::clone(node))));
}

/// Called with the outputs of every `aten.detach.default`: gives the
/// first one the state [`expect_unpack_detach`] left, if any. True when
/// that state is a history (a saved output or a saved input with a
/// `grad_fn`): the op's event then shows the output requiring grad, as
/// the capture reads it once `make_variable` set its `grad_fn`. A leaf's
/// flag is set as quietly (observed in torch 2.15: the output is recorded
/// not requiring grad; the capture's next state check, when one runs while
/// the node still holds it, writes its `set_requires_grad`, which the
/// runtime does not reproduce).
pub(crate) fn give_unpack_detach_state(outputs: &[Tensor]) -> bool {
    if let Some((state, node)) = UNPACK_DETACH.with(|d| d.borrow_mut().take())
        && let Some(t) = outputs.first()
    {
        state.give(t, &node);
        return matches!(state, SavedState::Output(_) | SavedState::History(..));
    }
    false
}

/// Makes hook `id` the innermost saved-tensor hooks scope of this thread.
pub(crate) fn push_scope(id: u64) {
    SCOPES.with(|s| s.borrow_mut().push(id));
}

/// Leaves scope `id` (and any scope entered after it and not left).
pub(crate) fn pop_scope(id: u64) {
    SCOPES.with(|s| {
        let mut s = s.borrow_mut();
        if let Some(pos) = s.iter().rposition(|&h| h == id) {
            s.truncate(pos);
        }
    });
}

/// The hooked slots saved since the last call, in saving order.
pub(crate) fn take_pending() -> Vec<HookedSlot> {
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

/// A slot for `t` when a scope is active (registered as pending).
fn hook_slot(t: &Tensor, output_nr: Option<u32>) -> Option<HookedSlot> {
    let hook = SCOPES.with(|s| s.borrow().last().copied())?;
    let slot = Arc::new(Mutex::new(HookedSaved {
        hook,
        packed: t.clone(),
        unpacked: None,
        output_nr,
        state: match (output_nr, t.grad_fn_edge()) {
            (Some(nr), _) => SavedState::Output(nr),
            (None, Some((f, nr))) => SavedState::History(f, nr),
            (None, None) if t.requires_grad() => SavedState::Leaf,
            (None, None) => SavedState::Plain,
        },
        saved_from: std::ptr::from_ref(t) as usize,
    }));
    PENDING.with(|p| p.borrow_mut().push(Arc::clone(&slot)));
    Some(slot)
}

/// Puts a node's hooked saved inputs in PyTorch's saving order: autograd's
/// generated code saves an operator's inputs sorted by argument name
/// (observed in torch 2.15 with a pack hook: `lerp` saves `end`, `self`,
/// `weight`; `native_layer_norm` `bias`, `input`, `weight`; `bmm` `mat2`,
/// `self`), a `Tensor[]` argument's elements in list order. The pack and
/// unpack hooks see that order. Left as saved when a slot holds a tensor
/// that is not one of the arguments (a derived tensor has no name to sort
/// by).
pub(crate) fn order_saved_inputs(
    slots: &mut [HookedSlot],
    arguments: &[crate::dispatch::schema::Argument],
    args: &[crate::ivalue::IValue],
) {
    if slots.len() < 2 {
        return;
    }
    let named: Vec<(&str, usize, &Tensor)> = arguments
        .iter()
        .zip(args)
        .flat_map(|(a, v)| {
            v.tensors()
                .into_iter()
                .enumerate()
                .map(move |(i, t)| (a.name.as_str(), i, t))
        })
        .collect();
    let (from, packed): (Vec<usize>, Vec<Tensor>) = slots
        .iter()
        .map(|slot| {
            let s = slot.lock();
            (s.saved_from, s.packed.clone())
        })
        .unzip();
    let mut taken = vec![false; named.len()];
    let mut found: Vec<Option<usize>> = vec![None; slots.len()];
    // The argument element the saving code referred to, where it did.
    for (k, &address) in from.iter().enumerate() {
        let hit = named
            .iter()
            .position(|(_, _, t)| std::ptr::from_ref(*t) as usize == address);
        if let Some(i) = hit
            && !taken[i]
            && named[i].2.same_tensor(&packed[k])
        {
            taken[i] = true;
            found[k] = Some(i);
        }
    }
    // Otherwise the last argument that is the same tensor (a saved operand
    // named twice is rarely the leading `self` that accumulates).
    for k in 0..slots.len() {
        if found[k].is_some() {
            continue;
        }
        let hit = (0..named.len())
            .rev()
            .find(|&i| !taken[i] && named[i].2.same_tensor(&packed[k]));
        let Some(i) = hit else { return };
        taken[i] = true;
        found[k] = Some(i);
    }
    let keys: Vec<(&str, usize)> = found
        .iter()
        .flatten()
        .map(|&i| (named[i].0, named[i].1))
        .collect();
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&k| keys[k]);
    let sorted: Vec<HookedSlot> = order.iter().map(|&k| Arc::clone(&slots[k])).collect();
    slots.clone_from_slice(&sorted);
}

/// Puts a node's hooked saved outputs in PyTorch's saving order: by return
/// name (`(output, logsumexp)` saves `logsumexp` first), an unnamed return
/// `i` of several being `result{i}` (observed in torch 2.15). A result
/// saved without history (the attention's logsumexp) is found among
/// `outputs`; left as saved when a slot is none of them.
pub(crate) fn order_saved_outputs(
    slots: &mut [HookedSlot],
    returns: &[crate::dispatch::schema::Return],
    outputs: &[Tensor],
) {
    if slots.len() < 2 {
        return;
    }
    let mut names = Vec::with_capacity(slots.len());
    for slot in slots.iter() {
        let s = slot.lock();
        let nr = s
            .output_nr
            .map(|nr| nr as usize)
            .or_else(|| outputs.iter().position(|t| t.same_tensor(&s.packed)));
        let Some(nr) = nr else { return };
        names.push(match returns.get(nr).and_then(|r| r.name.clone()) {
            Some(name) => name,
            None if returns.len() == 1 => "result".to_owned(),
            None => format!("result{nr}"),
        });
    }
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by(|&a, &b| names[a].cmp(&names[b]));
    let sorted: Vec<HookedSlot> = order.iter().map(|&i| Arc::clone(&slots[i])).collect();
    slots.clone_from_slice(&sorted);
}

impl SavedVariable {
    /// Saves an input (or any tensor that is not an output of the saving node).
    pub(crate) fn input(t: &Tensor) -> SavedVariable {
        if let Some(slot) = hook_slot(t, None) {
            return SavedVariable::hooked(slot, t, None);
        }
        SavedVariable {
            data: Some(t.clone()),
            saved_version: t.version(),
            output_nr: None,
            hooked: None,
            history: None,
            leaf_requires_grad: false,
        }
    }

    /// A saved tensor the hooks pair of `slot` keeps.
    fn hooked(slot: HookedSlot, t: &Tensor, output_nr: Option<u32>) -> SavedVariable {
        let history = if output_nr.is_none() {
            t.grad_fn_edge()
        } else {
            None
        };
        SavedVariable {
            data: None,
            saved_version: t.version(),
            output_nr,
            hooked: Some(slot),
            leaf_requires_grad: history.is_none() && t.requires_grad(),
            history,
        }
    }

    /// What the unpack hook returned, with the saved tensor's autograd
    /// state when it has none of its own (observed in torch 2.15: the
    /// checkpoint's detached recomputed tensors reach the node's formula
    /// requiring grad): the saving node for an output, the input's history
    /// or leaf flag otherwise, over the same storage and trace identity.
    fn rewrap(&self, t: Tensor, node: &Arc<Node>) -> Tensor {
        let wants = self.output_nr.is_some() || self.history.is_some() || self.leaf_requires_grad;
        if !wants || t.requires_grad() {
            return t;
        }
        let copy = t.saved_output_copy();
        {
            let mut meta = copy.0.autograd.lock();
            match (self.output_nr, &self.history) {
                (Some(nr), _) => {
                    meta.grad_fn = Some(Arc::clone(node));
                    meta.output_nr = nr;
                }
                (None, Some((f, nr))) => {
                    meta.grad_fn = Some(Arc::clone(f));
                    meta.output_nr = *nr;
                }
                (None, None) => meta.requires_grad = true,
            }
        }
        copy
    }

    /// Saves output `output_nr` of the saving node.
    pub(crate) fn output(t: &Tensor, output_nr: u32) -> SavedVariable {
        let copy = t.saved_output_copy();
        if let Some(slot) = hook_slot(&copy, Some(output_nr)) {
            return SavedVariable::hooked(slot, t, Some(output_nr));
        }
        SavedVariable {
            data: Some(copy),
            saved_version: t.version(),
            output_nr: Some(output_nr),
            hooked: None,
            history: None,
            leaf_requires_grad: false,
        }
    }

    /// The saved tensor, for `node` (the node that saved it).
    pub(crate) fn unpack(&self, node: &Arc<Node>) -> Result<Tensor> {
        if let Some(slot) = &self.hooked {
            let unpacked = slot.lock().unpacked.clone().ok_or_else(|| {
                RuntimeError::autograd(format!(
                    "{}: a hooked saved tensor was read before its unpack hook ran",
                    node.name()
                ))
            })?;
            return Ok(self.rewrap(unpacked, node));
        }
        let data = self.data.as_ref().ok_or_else(|| RuntimeError::GraphFreed {
            node: node.name().to_owned(),
        })?;
        let current = data.version();
        if current != self.saved_version && !VERSION_CHECK_OFF.with(std::cell::Cell::get) {
            return Err(self.modified_error(data, node, current));
        }
        Ok(match self.output_nr {
            None => data.clone(),
            Some(nr) => {
                let t = data.saved_output_copy();
                {
                    let mut meta = t.0.autograd.lock();
                    meta.grad_fn = Some(Arc::clone(node));
                    meta.output_nr = nr;
                }
                t
            }
        })
    }

    /// PyTorch's error for a saved tensor modified in place: the tensor
    /// described by type and sizes, and its history — for a saved output
    /// the saving node, for a saved input its current `grad_fn` (observed
    /// in torch 2.15: `h.mm(w)` then `h.add_(1)` names `output 0 of Add`,
    /// `e = x.exp()` then `e.add_(1)` names `output 0 of Exp`). Reading the
    /// `grad_fn` of a view whose base changed in place since its history
    /// was set regenerates it as an AsStridedBackward0 (`v = t[:, 1:]`
    /// saved by `v.cumprod(1)`, then `t[:, :2].copy_(..)` names `output 0
    /// of AsStrided`).
    fn modified_error(&self, data: &Tensor, node: &Arc<Node>, current: u64) -> RuntimeError {
        let stale_view = self.output_nr.is_none()
            && data.view_base().is_some_and(|base| base.requires_grad())
            && data.0.autograd.lock().view_version != current;
        if stale_view {
            STALE_VIEW.with(|v| *v.borrow_mut() = Some(data.clone()));
        }
        let history = match self.output_nr {
            Some(nr) => Some((node.name().to_owned(), nr)),
            None if stale_view => Some(("AsStridedBackward0".to_owned(), 0)),
            None => data.grad_fn_edge().map(|(f, nr)| (f.name().to_owned(), nr)),
        };
        RuntimeError::SavedTensorModified {
            node: node.name().to_owned(),
            tensor: describe_tensor(data),
            output_of: history.map(|(name, nr)| format!("output {nr} of {}", forward_name(&name))),
            saved: self.saved_version,
            current,
            anomaly: false,
        }
    }

    /// Frees the saved tensor.
    pub(crate) fn release(&mut self) {
        self.data = None;
        self.hooked = None;
        self.history = None;
    }
}

thread_local! {
    /// True while the engine runs a backward under the
    /// `Faults::skip_saved_version_check` test fault (never in production).
    static VERSION_CHECK_OFF: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Switches the version check of [`SavedVariable::unpack`] off (`true`) or
/// on for this thread; the engine sets it for the length of one backward
/// from the runtime's faults and returns the previous setting.
pub(crate) fn set_version_check_off(off: bool) -> bool {
    VERSION_CHECK_OFF.with(|c| c.replace(off))
}

/// `[torch.FloatTensor [2, 3]]`: how PyTorch's version-check message names a
/// tensor (observed in torch 2.15: `torch.<Scalar>Tensor` for the legacy
/// CPU types, `CPUBFloat16Type` and `CPUBoolType` for bfloat16 and bool).
fn describe_tensor(t: &Tensor) -> String {
    let dims: Vec<String> = t.shape().iter().map(i64::to_string).collect();
    let ty = match t.dtype() {
        DType::BFloat16 => "CPUBFloat16Type".to_owned(),
        DType::Bool => "CPUBoolType".to_owned(),
        d => format!("torch.{}Tensor", d.scalar_type_name()),
    };
    format!("[{ty} [{}]]", dims.join(", "))
}

/// A node's name as the version-check message shows it: `Backward0`
/// dropped, any other `Backward` dropped (observed in torch 2.15:
/// `ExpBackward0` → `Exp`, `LeakyReluBackward1` → `LeakyRelu1`); nodes
/// outside the generated ones keep their C++ name
/// (`torch::autograd::CopySlices`).
pub(crate) fn forward_name(name: &str) -> String {
    if name == "CopySlices" {
        return "torch::autograd::CopySlices".to_owned();
    }
    if let Some(stem) = name.strip_suffix("Backward0") {
        return stem.to_owned();
    }
    name.replacen("Backward", "", 1)
}
