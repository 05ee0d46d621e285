"""Module full backward hooks for the capture (FORMAT.md §3.4.4,
docs/CAPTURE.md §6.4).

Observed in torch 2.15: `nn.Module.register_full_backward_hook`,
`register_full_backward_pre_hook` and the global
`torch.nn.modules.module.register_module_full_backward_hook` /
`..._pre_hook` do not hook tensors. Each forward of a module that has such
hooks makes a `torch.utils.hooks.BackwardHook`, which applies the identity
custom Function `BackwardHookFunction` to the module's tensor inputs (when
one requires grad and grad mode is on) and to its tensor outputs, and
registers one node post-hook (`grad_fn.register_hook`) on each resulting
`BackwardHookFunctionBackward` node. In backward, the output node's hook
receives `grad_output`, runs the pre-hooks and returns the (possibly
replaced) `grad_output` tuple; the input node's hook runs the full hooks
with `(module, grad_input, grad_output)` and returns the `grad_input` tuple
they leave, which replaces the node's results.

The capture records these node hooks, not the module's: while a
`BackwardHook` sets up, `BackwardHookFunctionBackward.register_hook` is
wrapped, so each registration writes api `register_node_hook [hook,
"post", node]` (its node event was written when `apply` returned) and each
call is bracketed by `hook_begin [hook, node, results + received]` and
`hook_result [hook, returned]`. Before the module's hook is registered, the
node's `node_result` hook (functions.py) is registered first, so
the Function's own result is written before the module's hooks change it.
Removing a module hook only changes what the next forward installs: no
event.

The deprecated `register_backward_hook` / `register_module_backward_hook`
are post-hooks of the node that made the module's output, registered by
`Module._call_impl` through a `_WrappedHook` object: that class is replaced
by a subclass that notes its instances made during a module call, and
`_maybe_warn_non_full_backward_hook` (called with that node right after)
writes their `register_node_hook`; their runs are bracketed alike.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.modules.module as module_mod
from torch.nn.modules._functions import BackwardHookFunction
from torch.utils.hooks import BackwardHook

import ftr

KIND_POST = "post"


class ModuleHookTracker:
    """Whether a `BackwardHook` is setting up (its node hooks are the ones
    recorded)."""

    def __init__(self, rec: Any) -> None:
        self.rec = rec
        self.setting_up = 0
        # Set while the capture registers a node's result hook itself.
        self.planning = False
        # Deprecated module hooks wrapped since the last registration point.
        self.pending: list = []

    def registered(self, fn: Any) -> Any:
        """A module's node post-hook is being registered on node `fn`: the
        node's result hook first, then the api event; returns the hook id
        (None when the node is not in the trace)."""
        rec = self.rec
        nid = rec.nodes.get(fn)
        if nid is None:
            return None
        self.planning = True
        try:
            rec.functions.plan(fn, nid)
        finally:
            self.planning = False
        rec.flush()
        if rec.ctx[0] == ftr.CTX_TOP_LEVEL:
            rec.check_state()
        hid = rec.hooks.new_id()
        rec.emit(ftr.API, ftr.API_REGISTER_NODE_HOOK, ftr.p_register_node_hook(hid, KIND_POST, nid))
        return (hid, nid)

    def begin(self, hid: int, nid: int, results: tuple, received: tuple) -> None:
        """The engine calls node hook `hid` of node `nid`."""
        self.rec.hooks.hook_begin(hid, nid, list(results) + list(received))

    def end(self, hid: int, returned: Any) -> None:
        """Node hook `hid` returned `returned` (None, or a tuple replacing
        the node's results)."""
        rec = self.rec
        rec.flush()
        rec._check_anomaly()
        refs = None
        if returned is not None:
            refs = [rec.input_ref(g) if isinstance(g, torch.Tensor) else None for g in returned]
        rec.emit(ftr.AUTOGRAD, ftr.AG_HOOK_RESULT, ftr.p_hook_result(hid, refs))


def install(patches: Any, rec: Any) -> None:
    """Wraps `BackwardHook`'s two setup methods and the node class's
    `register_hook` (undone with the other patches)."""
    tracker = ModuleHookTracker(rec)
    for name in ("setup_input_hook", "setup_output_hook"):
        patches._set(BackwardHook, name, _wrap_setup(tracker, getattr(BackwardHook, name)))
    node_cls = BackwardHookFunction._backward_cls
    original = node_cls.register_hook
    patches._set(node_cls, "register_hook", _wrap_register(rec, tracker, original))
    patches._set(module_mod, "_WrappedHook", _recorded_wrapped_hook(rec, tracker))
    warn = torch.nn.Module._maybe_warn_non_full_backward_hook
    patches._set(torch.nn.Module, "_maybe_warn_non_full_backward_hook", _wrap_deprecated(rec, tracker, warn))


def _recorded_wrapped_hook(rec: Any, tracker: ModuleHookTracker) -> type:
    """`_WrappedHook` (the module's deprecated backward hook, bound to the
    module) that remembers it was made during a module call, and brackets
    its run once its registration was written."""
    base: Any = module_mod._WrappedHook

    class RecordedWrappedHook(base):
        def __init__(self, hook: Callable, module: Any = None) -> None:
            super().__init__(hook, module)
            self.node_hook = None
            if module is not None and rec.observing():
                tracker.pending.append(self)

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            ids = getattr(self, "node_hook", None)
            if ids is None or kwargs or len(args) != 2 or not rec.observing() or rec.backward is None:
                return super().__call__(*args, **kwargs)
            return _bracketed(rec, tracker, lambda: super(RecordedWrappedHook, self).__call__(*args), ids, args)

    return RecordedWrappedHook


def _wrap_deprecated(rec: Any, tracker: ModuleHookTracker, original: Callable) -> Callable:
    """Observed in torch 2.15: a module call registers its deprecated
    backward hooks (`register_backward_hook`, the global
    `register_module_backward_hook`) as post-hooks of its output's
    `grad_fn`, then calls `_maybe_warn_non_full_backward_hook(inputs,
    result, grad_fn)`: there each hook wrapped since the last call is
    written as `register_node_hook` on that node."""

    def warn(self, inputs, result, grad_fn):
        pending, tracker.pending = tracker.pending, []
        if rec.observing():
            for wrapped in pending:
                if wrapped.with_module and wrapped.module() is self:
                    wrapped.node_hook = rec.guarded(lambda: tracker.registered(grad_fn))
        return original(self, inputs, result, grad_fn)

    return warn


def _wrap_setup(tracker: ModuleHookTracker, original: Callable) -> Callable:
    def setup(self, args):
        tracker.setting_up += 1
        try:
            return original(self, args)
        finally:
            tracker.setting_up -= 1

    return setup


def _wrap_register(rec: Any, tracker: ModuleHookTracker, original: Callable) -> Callable:
    def register_hook(self, hook):
        if not tracker.setting_up or tracker.planning or not rec.observing():
            return original(self, hook)
        ids = rec.guarded(lambda: tracker.registered(self))
        if ids is None:
            return original(self, hook)
        return original(self, _wrap_hook(rec, tracker, hook, *ids))

    return register_hook


def _wrap_hook(rec: Any, tracker: ModuleHookTracker, hook: Callable, hid: int, nid: int) -> Callable:
    """The module's node hook, bracketed by hook_begin/hook_result."""

    def wrapped(grad_inputs, grad_outputs):
        if not (rec.observing() and rec.backward is not None):
            return hook(grad_inputs, grad_outputs)
        return _bracketed(rec, tracker, lambda: hook(grad_inputs, grad_outputs), (hid, nid), (grad_inputs, grad_outputs))

    return wrapped


def _bracketed(rec: Any, tracker: ModuleHookTracker, call: Callable, ids: tuple, args: tuple) -> Any:
    """Runs a node hook between `hook_begin` and `hook_result`."""
    hid, nid = ids
    grad_inputs, grad_outputs = args
    rec.guarded(lambda: tracker.begin(hid, nid, grad_inputs, grad_outputs))
    rec.functions.hook_running = True
    try:
        returned = call()
    finally:
        rec.functions.hook_running = False
    rec.guarded(lambda: tracker.end(hid, returned))
    return returned
