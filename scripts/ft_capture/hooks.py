"""Backward hooks for the capture: registration, removal, retain_grad,
and where the engine ran each hook (FORMAT.md §3.4.1, docs/CAPTURE.md §6.3).

A hook is program code that PyTorch's engine runs in the middle of a
backward. The capture wraps the program's hook function, so that what it
dispatches is bracketed by `hook_begin` / `hook_end`, and records the
registration calls as api events:

* `Tensor.register_hook` → api `register_hook [hook, "tensor", t]`;
* `Tensor.register_post_accumulate_grad_hook` → `register_hook [hook,
  "post_accumulate_grad", t]`;
* `RemovableHandle.remove()` of such a hook (first removal only) →
  `remove_hook [hook]`;
* `Tensor.retain_grad()` → `retain_grad [t]`. PyTorch runs its retain-grad
  hook natively (no program code): its `clone`/`add` are recorded as the
  node's ops, and once the node's retain-grad hooks ran (at the capture's
  own pre-hook of the node) an `accumulate [node, t, t.grad]` binds the
  gradient the program may read.

PyTorch runs a node's tensor hooks and retain-grad hooks before its
pre-hooks, and the capture learns that the engine popped a node from a
pre-hook (§6.2): so whichever comes first of a wrapped hook, the capture's
marker hook (below) and the capture's pre-hook writes the node's `pop`.
The marker is a tensor hook the capture adds to the non-leaf's node, in a
hook dict of its own, when the program calls `retain_grad()`; it runs before
the retain-grad hook (PyTorch runs those after every tensor hook) and only
starts the node. It is not an event; it changes no gradient (it returns
None) and leaves the program's tensors' hook dicts alone.

Wrappers hold no strong reference to a tensor: the leaf of a hook is found
through the backward's plan when the hook runs (the engine holds it).
"""

from __future__ import annotations

import sys
import weakref
from collections import OrderedDict
from typing import Any, Callable, Optional

import torch

import ftr

from . import module_hooks as capture_module_hooks

KIND_TENSOR = "tensor"
KIND_POST_ACCUMULATE = "post_accumulate_grad"


class HookTracker:
    """Hook ids, the handles that remove them, and the non-leaves that
    retain their gradient (per node, by output number)."""

    def __init__(self, rec: Any) -> None:
        self.rec = rec
        self._next = 0
        self._handles: "weakref.WeakKeyDictionary[Any, int]" = weakref.WeakKeyDictionary()
        self._retains: dict = {}
        self._marked: set = set()
        # Ids of gradients a tensor hook kept a reference to.
        self._kept: set = set()
        # Adds the start marker of a retaining node (set by `install`).
        self.register_marker: Optional[Callable] = None

    # -- registration -------------------------------------------------------

    def _api_call(self) -> None:
        """Before a hook api event: the pending op, and at top level the
        state changes (FORMAT.md §3.6.4: `torch.ones(3, requires_grad=True)`
        then `register_hook` needs the flag first)."""
        rec = self.rec
        rec.flush()
        if rec.ctx[0] == ftr.CTX_TOP_LEVEL:
            rec.check_state()

    def new_id(self) -> int:
        """The next hook id (tensor hooks and node hooks share the counter)."""
        hid = self._next
        self._next += 1
        return hid

    def registered(self, kind: str, t: torch.Tensor, handle: Any) -> int:
        """A hook was registered: its id and api event."""
        rec = self.rec
        self._api_call()
        hid = self.new_id()
        self._handles[handle] = hid
        rec.emit(ftr.API, ftr.API_REGISTER_HOOK, ftr.p_register_hook(hid, kind, rec.tensor_id(t)))
        return hid

    def removed(self, handle: Any) -> None:
        """`handle.remove()`: an event for the first removal of one of ours."""
        hid = self._handles.pop(handle, None)
        if hid is not None:
            self._api_call()
            self.rec.emit(ftr.API, ftr.API_REMOVE_HOOK, ftr.p_remove_hook(hid))

    def retain_grad(self, t: torch.Tensor) -> Optional[int]:
        """`t.retain_grad()` succeeded: the api event; for a non-leaf, the
        node whose retain-grad hooks now include `t` (None for a leaf)."""
        rec = self.rec
        self._api_call()
        tid = rec.tensor_id(t)
        rec.emit(ftr.API, ftr.API_RETAIN_GRAD, ftr.p_retain_grad(tid))
        return self.track_retained(t)

    def track_retained(self, t: torch.Tensor) -> Optional[int]:
        """`t` retains its gradient from now on (the program's `retain_grad()`,
        or PyTorch's own for a non-leaf input of `backward(inputs=...)`): the
        node whose retain-grad hooks now include `t`, when new (None for a
        leaf or a tensor already tracked)."""
        rec = self.rec
        if t.grad_fn is None:
            return None
        nid = rec.node_id(t.grad_fn)
        outputs = self._retains.setdefault(nid, {})
        fresh = t.output_nr not in outputs
        outputs[t.output_nr] = weakref.ref(t)
        return nid if fresh else None

    # -- during backward ----------------------------------------------------

    def node_of_leaf(self, leaf: torch.Tensor) -> Optional[int]:
        """The AccumulateGrad the running backward planned for `leaf`."""
        bw = self.rec.backward
        if bw is None:
            return None
        for nid, plan in bw.plan.items():
            if plan.leaf is not None and plan.leaf() is leaf:
                return nid
        return None

    def hook_begin(self, hid: int, nid: int, args: list) -> None:
        """The engine calls hook `hid` while it runs node `nid`."""
        rec = self.rec
        rec.flush()
        rec.node_started(nid)
        refs = [None if a is None else rec.input_ref(a) for a in args]
        rec.emit(ftr.AUTOGRAD, ftr.AG_HOOK_BEGIN, ftr.p_hook_begin(hid, nid, refs))

    def hook_end(self, hid: int, result: Any) -> None:
        """Hook `hid` returned `result` (a tensor replaces the gradient)."""
        rec = self.rec
        rec.flush()
        # Anomaly mode switched by the hook: the engine reads it for the
        # rest of the backward (CAPTURE.md §6.9).
        rec._check_anomaly()
        ref = rec.input_ref(result) if isinstance(result, torch.Tensor) else None
        rec.emit(ftr.AUTOGRAD, ftr.AG_HOOK_END, ftr.p_hook_end(hid, ref))

    def kept(self, grad: torch.Tensor) -> None:
        """A tensor hook kept a reference to the gradient it received: the
        program can reach it, so its death is a release (AccumulateGrad
        copies a gradient someone else holds rather than stealing it)."""
        rec = self.rec
        info = rec._info(grad)
        if info is not None:
            rec.releases.reachable(info.tid)
            self._kept.add(info.tid)

    def release_kept(self) -> None:
        """At the program's end: `release` for each gradient a hook kept
        that is still held (or died with the program's globals), so that a
        replayer holds it through the backwards after the hook, as the
        program did (FORMAT.md §3.6.4: AccumulateGrad copies it instead of
        stealing it). Other tensors alive at the end are not released: no
        later event depends on them."""
        rec = self.rec
        rec.flush()
        for tid in rec.releases.outlive(self._kept):
            rec.emit(ftr.API, ftr.API_RELEASE, ftr.p_release(tid))

    def retained(self, nid: int) -> None:
        """After node `nid`'s retain-grad hooks ran: `accumulate` for each
        retaining output whose `.grad` is not the one last recorded."""
        rec = self.rec
        rec.flush()
        for t in sorted(self._retaining(nid), key=lambda t: t.output_nr):
            if t.grad is None:
                continue
            info = rec._info(t)
            known = None if info is None or info.grad is None else info.grad()
            if t.grad is not known:
                rec._accumulate(nid, t)

    def _retaining(self, nid: int) -> list:
        """The live tracked tensors whose `grad_fn` is node `nid` now: the
        retain-grad hook follows a tensor to the new `grad_fn` an in-place
        op gives it (observed in torch 2.15: `y.retain_grad(); y.mul_(3)`
        retains the gradient of the new `y`)."""
        out = []
        for outputs in self._retains.values():
            for ref in outputs.values():
                t = ref()
                if t is not None and t.grad_fn is not None and self.rec.nodes.get(t.grad_fn) == nid:
                    out.append(t)
        return out

    def mark_retaining(self, bw: Any) -> None:
        """Before the engine runs: a node-start marker on each planned node
        that has a retaining output now (an in-place op may have moved one
        to a new node since `retain_grad()`)."""
        for outputs in list(self._retains.values()):
            for ref in outputs.values():
                t = ref()
                fn = None if t is None else t.grad_fn
                nid = None if fn is None else self.rec.nodes.get(fn)
                if nid is not None and nid in bw.plan:
                    self.mark(fn, nid)

    def mark(self, fn: Any, nid: int) -> None:
        """Puts the node-start marker on node `fn` (once per node)."""
        if nid not in self._marked:
            self._marked.add(nid)
            _install_marker(self.rec, fn, _marker(self.rec, nid))


def install(patches: Any, rec: Any) -> None:
    """Wraps the hook entry points (undone with the other patches)."""
    tracker = rec.hooks
    tensor = torch.Tensor
    tracker.register_marker = lambda t, nid: tracker.mark(t.grad_fn, nid)
    patches._set(tensor, "register_hook", _wrap_register(rec, tensor.register_hook, KIND_TENSOR))
    patches._set(
        tensor,
        "register_post_accumulate_grad_hook",
        _wrap_register(rec, tensor.register_post_accumulate_grad_hook, KIND_POST_ACCUMULATE),
    )
    patches._set(tensor, "retain_grad", _wrap_retain_grad(rec, tensor.retain_grad))
    handle_cls = torch.utils.hooks.RemovableHandle
    patches._set(handle_cls, "remove", _wrap_remove(rec, tracker, handle_cls.remove))
    capture_module_hooks.install(patches, rec)
    # Node hooks: `grad_fn.register_hook` / `register_prehook` are methods of
    # immutable C types, but both call this Python helper with the hook.
    mixin = torch.autograd.function._HookMixin
    patches._saved.append((mixin, "_register_hook", mixin.__dict__["_register_hook"]))
    mixin._register_hook = staticmethod(_wrap_node_hook_registration(rec, mixin._register_hook))


def _wrap_register(rec: Any, original: Callable, kind: str) -> Callable:
    def register(self, hook):
        if not rec.observing():
            return original(self, hook)
        cell: list = []
        leaf = weakref.ref(self) if self.grad_fn is None else None
        wrapped = _wrap_hook(rec, hook, kind, cell, leaf)
        handle = original(self, wrapped)
        hid = rec.hooks.registered(kind, self, handle)
        nid = None if leaf is not None else rec.node_id(self.grad_fn)
        cell.extend((hid, nid))
        return handle

    return register


def _wrap_hook(rec: Any, hook: Callable, kind: str, cell: list, leaf: Optional[weakref.ref]) -> Callable:
    """The program's hook, bracketed by hook_begin/hook_end. The node is the
    non-leaf's grad_fn (known at registration) or the leaf's AccumulateGrad
    (found in the backward's plan)."""

    def node_id(arg: Any) -> Optional[int]:
        if leaf is None:
            return cell[1]
        target = leaf()
        return None if target is None else rec.hooks.node_of_leaf(target)

    def wrapped(arg):
        nid = node_id(arg) if cell and rec.observing() and rec.backward is not None else None
        if nid is None:
            return hook(arg)
        hid = cell[0]
        if kind == KIND_POST_ACCUMULATE:
            rec.accumulate_now(nid)
        rec.guarded(lambda: rec.hooks.hook_begin(hid, nid, [arg]))
        # A hook of a Function node's output is not the Function's
        # backward: its ops are no program code of the run.
        running, rec.functions.hook_running = rec.functions.hook_running, True
        # References to the gradient before the program's hook runs: one
        # the hook leaves behind (a list of gradients, register_multi_grad_hook's
        # buffer) makes the program hold the gradient past the hook.
        held = sys.getrefcount(arg) if kind == KIND_TENSOR and isinstance(arg, torch.Tensor) else None
        try:
            result = hook(arg)
        finally:
            rec.functions.hook_running = running
        if held is not None:
            # The hook's last op may still be pending, holding the gradient.
            rec.guarded(rec.flush)
            if sys.getrefcount(arg) - (result is arg) > held:
                rec.guarded(lambda: rec.hooks.kept(arg))
        rec.guarded(lambda: rec.hooks.hook_end(hid, None if kind == KIND_POST_ACCUMULATE else result))
        return result

    return wrapped


def _wrap_node_hook_registration(rec: Any, original: Callable) -> Callable:
    """`grad_fn.register_prehook(fn)` and `grad_fn.register_hook(fn)` on any
    node (observed in torch 2.15: the C++ method hands the hook to
    `torch.autograd.function._HookMixin._register_hook`, which puts it in
    the node's hook dict; nothing there says which node, or pre or post).
    The program's hook is stored behind a check: the engine calls a node
    pre-hook with one argument (the gradients the node received) and a
    post-hook with two. Neither is recorded, so a replay runs without it.
    A program's pre-hook is refused when the engine calls it, before it
    runs (its ops would land in the context of the node that ran before,
    ahead of this node's `pop`). A post-hook runs, and is refused after it
    returns if it ran an operator or replaced the node's results: the
    replay would miss both and blame the runtime. One that only looks
    (stores the gradients, counts calls) records as before. The capture's
    own hooks are stored as they are, and so are the hooks of modules it
    records (CAPTURE.md §6.4)."""

    def _register_hook(backward_hooks, hook):
        if not rec.observing() or str(getattr(hook, "__module__", "")).startswith("ft_capture"):
            return original(backward_hooks, hook)
        return original(backward_hooks, _checked_node_hook(rec, hook))

    return _register_hook


def _checked_node_hook(rec: Any, hook: Callable) -> Callable:
    name = getattr(hook, "__qualname__", type(hook).__name__)

    def node_hook(*args):
        # A module's deprecated backward hook is a node post-hook the
        # capture records (`module_hooks`): it knows its node once the
        # module call that registered it has returned.
        if not rec.observing() or getattr(hook, "node_hook", None) is not None:
            return hook(*args)
        if len(args) == 1:
            raise rec.fail(
                f"unsupported: a node pre-hook ({name}, registered with grad_fn.register_prehook) ran in "
                "backward: the capture does not record node pre-hooks, so a replay would run without it; "
                "use Tensor.register_hook on the node's output tensor instead (it runs just before the node's pre-hooks, "
                "with that output's gradient, and is recorded)"
            )
        before = rec.activity()
        result = hook(*args)
        ran_ops = rec.activity() != before
        replaced = result is not None and not _same_tensors(result, args[0])
        if ran_ops or replaced:
            what = "ran operators" if ran_ops else "replaced the node's gradients"
            raise rec.fail(
                f"unsupported: a node post-hook ({name}, registered with grad_fn.register_hook) {what} in backward: "
                "the capture does not record hooks a program registers on nodes, so a replay would run without it; "
                "use Tensor.register_hook on the node's inputs, or a module's register_full_backward_hook, "
                "which are recorded"
            )
        return result

    return node_hook


def _same_tensors(result: Any, grad_inputs: Any) -> bool:
    """Whether a post-hook's returned tuple is the node's own results, each
    the very same object (or None where the node gave None)."""
    if not isinstance(result, (tuple, list)) or len(result) != len(grad_inputs):
        return False
    return all(r is g for r, g in zip(result, grad_inputs))


def _wrap_retain_grad(rec: Any, original: Callable) -> Callable:
    def retain_grad(self):
        result = original(self)
        if rec.observing():
            nid = rec.hooks.retain_grad(self)
            if nid is not None:
                rec.hooks.register_marker(self, nid)
        return result

    return retain_grad


def _install_marker(rec: Any, fn: Any, marker: Callable) -> None:
    """Adds `marker` to node `fn`'s tensor hooks through a hook dict of its
    own (held by the node, carried in by a throwaway empty tensor made
    unobserved), so the program's tensors and the order of their hook dicts
    stay untouched."""
    with rec.unobserved():
        carrier = torch.empty(0)
    carrier._backward_hooks = OrderedDict({0: marker})
    fn._register_hook_dict(carrier)


def _marker(rec: Any, nid: int) -> Callable:
    """A tensor hook that only tells the capture the engine started `nid`."""

    def marker(grad):
        if rec.observing() and rec.backward is not None:
            rec.guarded(lambda: (rec.flush(), rec.node_started(nid)))
        return None

    return marker


def _wrap_remove(rec: Any, tracker: HookTracker, original: Callable) -> Callable:
    def remove(self):
        original(self)
        if rec.observing():
            tracker.removed(self)

    return remove
