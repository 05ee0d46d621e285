//! Saved-tensor hooks (`torch.autograd.graph.saved_tensors_hooks`): a
//! pack/unpack pair for the tensors operators save for backward while its
//! scope is active (FORMAT.md §3.2 kind 20, §3.4.5).
//!
//! The pack hook runs when the saving node is made and its result is what
//! the node keeps; the unpack hook runs, with the runtime, when the engine
//! is about to run the node — once per hooked saved tensor, in saving order,
//! in the node's context between `hook_begin` and `hook_end` — and the
//! node's function reads what it returned. A native program uses them as a
//! Python program does (`checkpoint(use_reentrant=False)` recomputes in its
//! unpack hook); a replayer re-executes there what the recorded hook did.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::Runtime;
use crate::autograd::node::Node;
use crate::autograd::saved::{self, HookedSaved, HookedSlot};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// A pack hook: receives the tensor an operator saves, returns what the
/// node keeps in its place.
pub type PackHookFn = Box<dyn FnMut(&mut Runtime, &Tensor) -> Result<Tensor>>;

/// An unpack hook: receives what the pack hook returned, returns the tensor
/// the node's function uses.
pub type UnpackHookFn = Box<dyn FnMut(&mut Runtime, &Tensor) -> Result<Tensor>>;

/// An entered saved-tensor hooks scope; leave it with
/// [`Runtime::saved_tensors_hooks_exit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavedHooksHandle(u64);

impl SavedHooksHandle {
    /// The pair's hook id (the `hook` of its trace events).
    pub fn id(self) -> u64 {
        self.0
    }
}

/// One pack/unpack pair; a function is `None` while it runs.
struct Pair {
    pack: Option<PackHookFn>,
    unpack: Option<UnpackHookFn>,
    /// A program dispatch mode is on the stack while the pair's unpacks run
    /// ([`Runtime::saved_tensors_hooks_under_dispatch_mode`]).
    dispatch_mode: bool,
}

/// The runtime's saved-tensor hooks: the pairs by id and, per node that
/// saved under one, its hooked slots in saving order.
#[derive(Default)]
pub(crate) struct SavedHooks {
    pairs: HashMap<u64, Pair>,
    nodes: HashMap<usize, NodeSlots>,
}

/// A node that saved under a pair, and its hooked slots in saving order.
type NodeSlots = (Weak<Node>, Vec<Weak<Mutex<HookedSaved>>>);

fn node_key(node: &Arc<Node>) -> usize {
    Arc::as_ptr(node) as usize
}

impl Runtime {
    /// Enters a `saved_tensors_hooks(pack, unpack)` scope: until it is left,
    /// every tensor an operator saves for backward is packed by `pack` and
    /// unpacked by `unpack` when its node runs.
    pub fn saved_tensors_hooks_enter(
        &mut self,
        pack: PackHookFn,
        unpack: UnpackHookFn,
    ) -> SavedHooksHandle {
        let id = self.hooks.reserve_id();
        self.saved_hooks.pairs.insert(
            id,
            Pair {
                pack: Some(pack),
                unpack: Some(unpack),
                dispatch_mode: false,
            },
        );
        saved::push_scope(id);
        self.flush_state_before_scope();
        if let Some(t) = &mut self.tracer {
            t.saved_tensors_hooks(id, true);
        }
        SavedHooksHandle(id)
    }

    /// Says that the program's unpacks of pair `handle` run under a
    /// dispatch mode of its own (`allow_mutation_on_saved_tensors()` enters
    /// its scope together with `_CloneArgBeforeMutateMode`). PyTorch's
    /// saved variable gives the tensor an unpack returned the saved
    /// tensor's autograd state through a shallow copy, unless the saved
    /// tensor had none (an input without history that does not require
    /// grad) and the returned one requires no grad; while a dispatch mode
    /// is active that copy is a `detach` the mode sees (observed in torch
    /// 2.15, also without the capture: `aten.detach.default` after the
    /// unpack in the node, none for a saved `x` that requires no grad).
    /// The runtime then dispatches that `detach` right after the unpack's
    /// `hook_end`, and the node's function reads its result.
    pub fn saved_tensors_hooks_under_dispatch_mode(&mut self, handle: SavedHooksHandle) {
        if let Some(pair) = self.saved_hooks.pairs.get_mut(&handle.0) {
            pair.dispatch_mode = true;
        }
    }

    /// Leaves the scope `handle` entered. Tensors saved under it keep their
    /// pair: their nodes still unpack through it.
    pub fn saved_tensors_hooks_exit(&mut self, handle: SavedHooksHandle) {
        saved::pop_scope(handle.0);
        self.flush_state_before_scope();
        if let Some(t) = &mut self.tracer {
            t.saved_tensors_hooks(handle.0, false);
        }
    }

    /// After `node` was made: packs the hooked tensors saved for it
    /// (`slots`, in saving order) and remembers them for its unpack.
    pub(crate) fn pack_saved(&mut self, node: &Arc<Node>, slots: Vec<HookedSlot>) -> Result<()> {
        if slots.is_empty() {
            return Ok(());
        }
        self.saved_hooks
            .nodes
            .retain(|_, (n, _)| n.strong_count() > 0);
        for slot in &slots {
            let (hook, saved) = {
                let s = slot.lock();
                (s.hook, s.packed.clone())
            };
            let packed = self.with_pair(hook, |rt, pair| match pair.pack.as_mut() {
                Some(pack) => pack(rt, &saved),
                None => Ok(saved.clone()),
            })?;
            slot.lock().packed = packed;
        }
        let weak = slots.iter().map(Arc::downgrade).collect();
        self.saved_hooks
            .nodes
            .insert(node_key(node), (Arc::downgrade(node), weak));
        Ok(())
    }

    /// Before `node`'s function: each of its live hooked saved tensors is
    /// unpacked by its pair, bracketed by `hook_begin [hook, node, []]`
    /// and `hook_end [hook, result]`.
    pub(crate) fn unpack_saved(&mut self, node: &Arc<Node>) -> Result<()> {
        let slots: Vec<HookedSlot> = match self.saved_hooks.nodes.get(&node_key(node)) {
            Some((n, slots)) if n.upgrade().is_some_and(|n| Arc::ptr_eq(&n, node)) => {
                slots.iter().filter_map(Weak::upgrade).collect()
            }
            _ => return Ok(()),
        };
        for slot in slots {
            let (hook, packed, state) = {
                let s = slot.lock();
                (s.hook, s.packed.clone(), s.state.clone())
            };
            if self.faults.stale_saved_tensors {
                slot.lock().unpacked = Some(packed);
                continue;
            }
            let belief = self.tracer.as_ref().map(|t| t.grad_mode_belief());
            let (grad, inference) = (self.grad_enabled, self.inference_mode);
            if let Some(t) = &mut self.tracer {
                t.hook_begin(hook, node, &[]);
                // The unpack is program code: the state it starts in (the
                // node's grad mode) is written first.
                t.queue_grad_mode(grad, inference);
                t.flush_state();
            }
            let result = self.with_pair(hook, |rt, pair| match pair.unpack.as_mut() {
                Some(unpack) => unpack(rt, &packed),
                None => Ok(packed.clone()),
            })?;
            if let Some(t) = &mut self.tracer {
                // What it changed (a `requires_grad_()`), then its result;
                // the engine undoes its grad mode, so the belief is restored.
                t.flush_state();
                t.hook_end(hook, Some(&result));
                if let Some(b) = belief {
                    t.restore_grad_mode_belief(b);
                }
            }
            let under_mode = self
                .saved_hooks
                .pairs
                .get(&hook)
                .is_some_and(|p| p.dispatch_mode);
            let result = if under_mode
                && (!state.is_plain() || result.requires_grad())
                && !self.faults.unpack_without_detach
            {
                saved::expect_unpack_detach(state, node);
                self.call("aten.detach.default", vec![IValue::from(&result)])?
                    .into_iter()
                    .next()
                    .and_then(IValue::into_tensor)
                    .ok_or_else(|| RuntimeError::autograd("detach returned no tensor"))?
            } else {
                result
            };
            slot.lock().unpacked = Some(result);
        }
        Ok(())
    }

    /// At top level, the held-back state changes are written before a scope
    /// event, as before an operator (FORMAT.md §3.6.4).
    fn flush_state_before_scope(&mut self) {
        if matches!(self.context, super::ExecContext::TopLevel) {
            self.flush_state();
        }
    }

    /// Runs `f` with pair `hook` taken out of the registry (a hook may
    /// enter scopes of its own while it runs).
    fn with_pair<T>(
        &mut self,
        hook: u64,
        f: impl FnOnce(&mut Runtime, &mut Pair) -> Result<T>,
    ) -> Result<T> {
        let mut pair = self.saved_hooks.pairs.remove(&hook).ok_or_else(|| {
            RuntimeError::autograd(format!(
                "saved-tensor hooks pair {hook} is running or unknown"
            ))
        })?;
        let outcome = f(self, &mut pair);
        self.saved_hooks.pairs.insert(hook, pair);
        outcome
    }
}
