//! Backward hooks: program code the engine calls while it runs a node.
//!
//! PyTorch keeps three kinds of hooks that a program registers on tensors,
//! and the engine calls them at fixed points of running a node (engine.cpp
//! `call_function`, AccumulateGrad::apply); the runtime calls them at the
//! same points:
//!
//! 1. **tensor hooks** (`Tensor.register_hook`) — before the node runs, with
//!    the gradient of one of its inputs; a hook may return a new gradient,
//!    which replaces it for the hooks after it and for the node. A non-leaf's
//!    hooks sit on its `grad_fn`, keyed by output number; a leaf's on the leaf
//!    itself, which its AccumulateGrad consults. Observed in torch 2.15: the
//!    hooks of one tensor run together in registration order, tensors in the
//!    order their first hook was registered (each tensor has one hook dict,
//!    put on the node when its first hook is registered); a hook is called
//!    with `None` when no gradient flows to its output;
//! 2. **retain-grad hooks** (`Tensor.retain_grad` on a non-leaf) — native,
//!    after all tensor hooks of the node (whatever the registration order),
//!    by output number, so they see a gradient a hook replaced; see
//!    [`retain_gradient`];
//! 3. **post-accumulate-grad hooks** (`Tensor.register_post_accumulate_grad_hook`,
//!    leaves only) — with the leaf, after its AccumulateGrad stored the
//!    gradient (only when a gradient arrived).
//!
//! Hooks are kept in the runtime's [`HookRegistry`], keyed by *weak*
//! references to the node or leaf they belong to: a hook never keeps a graph
//! or a tensor alive, and a weak reference pins its allocation, so a key
//! cannot be confused with a later object at the same address.
//!
//! The registry also keeps the program's *holds* on nodes ([`HookFn::Hold`]):
//! a strong reference the program took (`register_multi_grad_hook` keeps the
//! nodes of its tensors, a leaf's AccumulateGrad included, in its hooks'
//! closures), which keeps the node, and the leaf's cached AccumulateGrad,
//! alive until the hold is removed.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use super::node::Node;
use crate::error::Result;
use crate::runtime::Runtime;
use crate::tensor::{Tensor, TensorImpl};

/// A tensor hook: receives the gradient (`None` when none flows) and returns
/// a replacement, or `None` to keep it.
pub type TensorHookFn = Box<dyn FnMut(&mut Runtime, Option<&Tensor>) -> Result<Option<Tensor>>>;

/// A post-accumulate-grad hook: receives the leaf whose `.grad` was just
/// updated.
pub type PostAccumulateHookFn = Box<dyn FnMut(&mut Runtime, &Tensor) -> Result<()>>;

/// A node post-hook (`grad_fn.register_hook`): receives the node's results
/// (one per next edge) and the gradients it received (one per input), and
/// returns results that replace them, or `None` to keep them.
pub type NodePostHookFn = Box<
    dyn FnMut(
        &mut Runtime,
        &[Option<Tensor>],
        &[Option<Tensor>],
    ) -> Result<Option<Vec<Option<Tensor>>>>,
>;

/// Handle of a registered hook (`torch.utils.hooks.RemovableHandle`); its id
/// is the `hook` of the trace's `register_hook` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HookHandle(pub(crate) u64);

impl HookHandle {
    /// The hook's id: dense from 0 in registration order, per runtime.
    pub fn id(self) -> u64 {
        self.0
    }
}

/// A registered hook's function.
pub(crate) enum HookFn {
    Tensor(TensorHookFn),
    PostAccumulate(PostAccumulateHookFn),
    NodePost(NodePostHookFn),
    /// No function: a strong reference the program holds on a node (read
    /// by no one: it keeps the node alive until the hook is removed).
    Hold {
        _node: Arc<Node>,
    },
}

/// The hook dict of one tensor: its hooks in registration order.
struct TensorDict {
    output_nr: u32,
    hooks: Vec<u64>,
}

/// The hooks of one node, and the weak key that pins it.
struct NodeHooks {
    node: Weak<Node>,
    /// One dict per non-leaf output, in the order of their first hook.
    dicts: Vec<TensorDict>,
    /// Node post-hooks, in registration order.
    post: Vec<u64>,
}

/// The hooks of one leaf, and the weak key that pins it.
struct LeafHooks {
    leaf: Weak<TensorImpl>,
    hooks: Vec<u64>,
    post_accumulate: Vec<u64>,
}

/// Every hook a program registered on this runtime.
#[derive(Default)]
pub(crate) struct HookRegistry {
    next_id: u64,
    /// Hook id → its function; `None` while the function runs.
    fns: HashMap<u64, Option<HookFn>>,
    nodes: HashMap<usize, NodeHooks>,
    leaves: HashMap<usize, LeafHooks>,
    /// Non-leaves that retain their gradient. Their retain-grad hook follows
    /// the tensor to a new `grad_fn` after an in-place op (observed in torch
    /// 2.15: `y.retain_grad(); y.mul_(3)` retains the gradient of the new
    /// `y`), while tensor hooks stay on the node they were registered on.
    retaining: Vec<Weak<TensorImpl>>,
}

fn node_key(node: &Arc<Node>) -> usize {
    Arc::as_ptr(node) as usize
}

fn leaf_key(t: &Tensor) -> usize {
    Arc::as_ptr(&t.0) as usize
}

impl HookRegistry {
    /// A fresh id from the hook counter, for a hook kept elsewhere (a
    /// saved-tensor hooks pair).
    pub(crate) fn reserve_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn next_handle(&mut self, f: HookFn) -> HookHandle {
        let id = self.next_id;
        self.next_id += 1;
        self.fns.insert(id, Some(f));
        HookHandle(id)
    }

    fn node_entry(&mut self, node: &Arc<Node>) -> &mut NodeHooks {
        self.nodes
            .entry(node_key(node))
            .or_insert_with(|| NodeHooks {
                node: Arc::downgrade(node),
                dicts: Vec::new(),
                post: Vec::new(),
            })
    }

    fn leaf_entry(&mut self, leaf: &Tensor) -> &mut LeafHooks {
        self.leaves
            .entry(leaf_key(leaf))
            .or_insert_with(|| LeafHooks {
                leaf: Arc::downgrade(&leaf.0),
                hooks: Vec::new(),
                post_accumulate: Vec::new(),
            })
    }

    /// Drops the entries of nodes and leaves that died.
    fn prune(&mut self) {
        let fns = &mut self.fns;
        self.nodes.retain(|_, n| {
            let alive = n.node.strong_count() > 0;
            if !alive {
                for d in &n.dicts {
                    for id in &d.hooks {
                        fns.remove(id);
                    }
                }
                for id in &n.post {
                    fns.remove(id);
                }
            }
            alive
        });
        self.leaves.retain(|_, l| {
            let alive = l.leaf.strong_count() > 0;
            if !alive {
                for id in l.hooks.iter().chain(&l.post_accumulate) {
                    fns.remove(id);
                }
            }
            alive
        });
    }

    /// A tensor hook on `t`: on its `grad_fn` (keyed by output number) for a
    /// non-leaf, on the leaf itself otherwise.
    pub(crate) fn add_tensor_hook(&mut self, t: &Tensor, f: TensorHookFn) -> HookHandle {
        self.prune();
        let handle = self.next_handle(HookFn::Tensor(f));
        match t.grad_fn_edge() {
            Some((node, output_nr)) => {
                let entry = self.node_entry(&node);
                match entry.dicts.iter_mut().find(|d| d.output_nr == output_nr) {
                    Some(dict) => dict.hooks.push(handle.0),
                    None => entry.dicts.push(TensorDict {
                        output_nr,
                        hooks: vec![handle.0],
                    }),
                }
            }
            None => self.leaf_entry(t).hooks.push(handle.0),
        }
        handle
    }

    /// A post-accumulate-grad hook on leaf `t`.
    pub(crate) fn add_post_accumulate_hook(
        &mut self,
        t: &Tensor,
        f: PostAccumulateHookFn,
    ) -> HookHandle {
        self.prune();
        let handle = self.next_handle(HookFn::PostAccumulate(f));
        self.leaf_entry(t).post_accumulate.push(handle.0);
        handle
    }

    /// A post-hook on `node`, called after its function.
    pub(crate) fn add_node_post_hook(&mut self, node: &Arc<Node>, f: NodePostHookFn) -> HookHandle {
        self.prune();
        let handle = self.next_handle(HookFn::NodePost(f));
        self.node_entry(node).post.push(handle.0);
        handle
    }

    /// A hold on `node`: it lives until the handle is removed.
    pub(crate) fn add_hold(&mut self, node: Arc<Node>) -> HookHandle {
        self.prune();
        self.next_handle(HookFn::Hold { _node: node })
    }

    /// The post-hooks of `node`, in registration order.
    pub(crate) fn node_post_hooks(&self, node: &Arc<Node>) -> Vec<u64> {
        self.nodes
            .get(&node_key(node))
            .map(|n| n.post.clone())
            .unwrap_or_default()
    }

    /// Makes non-leaf `t` retain its gradient (idempotent).
    pub(crate) fn add_retains_grad(&mut self, t: &Tensor) {
        if t.is_leaf() || self.retains_grad(t) {
            return;
        }
        self.retaining.retain(|w| w.strong_count() > 0);
        self.retaining.push(Arc::downgrade(&t.0));
    }

    /// Whether `t` retains its gradient (`Tensor.retains_grad`).
    pub(crate) fn retains_grad(&self, t: &Tensor) -> bool {
        self.retaining
            .iter()
            .any(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(&t.0)))
    }

    /// Removes a hook; false when it was not registered (or already removed).
    pub(crate) fn remove(&mut self, handle: HookHandle) -> bool {
        let id = handle.0;
        for n in self.nodes.values_mut() {
            for d in &mut n.dicts {
                d.hooks.retain(|&h| h != id);
            }
            n.post.retain(|&h| h != id);
        }
        for l in self.leaves.values_mut() {
            l.hooks.retain(|&h| h != id);
            l.post_accumulate.retain(|&h| h != id);
        }
        self.fns.remove(&id).is_some()
    }

    /// The tensor hooks to call for `node`'s inputs, in calling order, each
    /// with the input (output number) it receives. `leaf` is the variable
    /// of an AccumulateGrad node, whose hooks are the leaf's.
    pub(crate) fn tensor_hooks(&self, node: &Arc<Node>, leaf: Option<&Tensor>) -> Vec<(u64, u32)> {
        if let Some(leaf) = leaf {
            return self
                .leaves
                .get(&leaf_key(leaf))
                .map(|l| l.hooks.iter().map(|&h| (h, 0)).collect())
                .unwrap_or_default();
        }
        self.nodes
            .get(&node_key(node))
            .map(|n| {
                n.dicts
                    .iter()
                    .flat_map(|d| d.hooks.iter().map(|&h| (h, d.output_nr)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The live non-leaf outputs of `node` that retain their gradient, by
    /// output number.
    pub(crate) fn retaining(&self, node: &Arc<Node>) -> Vec<(u32, Tensor)> {
        let mut out: Vec<(u32, Tensor)> = self
            .retaining
            .iter()
            .filter_map(Weak::upgrade)
            .map(Tensor)
            .filter_map(|t| {
                let (fn_, nr) = t.grad_fn_edge()?;
                Arc::ptr_eq(&fn_, node).then_some((nr, t))
            })
            .collect();
        out.sort_by_key(|(nr, _)| *nr);
        out
    }

    /// The post-accumulate-grad hooks of `leaf`, in registration order.
    pub(crate) fn post_accumulate_hooks(&self, leaf: &Tensor) -> Vec<u64> {
        self.leaves
            .get(&leaf_key(leaf))
            .map(|l| l.post_accumulate.clone())
            .unwrap_or_default()
    }

    /// Takes a hook's function out while it runs (`None` when it was removed
    /// meanwhile or is already running).
    pub(crate) fn take(&mut self, id: u64) -> Option<HookFn> {
        self.fns.get_mut(&id).and_then(Option::take)
    }

    /// Puts a hook's function back after it ran, unless the hook was removed
    /// while it ran.
    pub(crate) fn restore(&mut self, id: u64, f: HookFn) {
        if let Some(slot) = self.fns.get_mut(&id) {
            *slot = Some(f);
        }
    }
}

/// The retain-grad hook of a non-leaf (PyTorch's `retain_grad` lambda):
/// the first gradient is stored as `grad.clone(memory_format=contiguous)`,
/// later ones as `old + grad`. Observed in torch 2.15: `aten.clone.default`
/// with `memory_format=torch.contiguous_format`, then `aten.add.Tensor`.
/// Returns whether `.grad` was set.
pub(crate) fn retain_gradient(rt: &mut Runtime, t: &Tensor, grad: Option<&Tensor>) -> Result<bool> {
    let Some(grad) = grad else {
        return Ok(false);
    };
    let stored = match t.grad() {
        None => rt.clone_tensor(grad, crate::tensor::options::MemoryFormat::Contiguous)?,
        Some(old) => rt.add(&old, grad)?,
    };
    t.0.autograd.lock().grad = Some(stored);
    Ok(true)
}
