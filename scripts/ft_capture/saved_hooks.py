"""Saved-tensor hooks (`torch.autograd.graph.saved_tensors_hooks`, format
1.3, FORMAT.md §3.2 kind 20 and §3.4.5).

Entering and leaving a scope writes api `saved_tensors_hooks [hook, enter]`
(`hook` from the hook counter). The scope's unpack hook is program code the
engine runs inside a node: each unpack during an observed backward is
bracketed by `hook_begin [hook, node, []]` and `hook_end [hook, result]`,
with the ops it dispatched (the non-reentrant checkpoint's recomputation)
between them, in the node's context."""

from __future__ import annotations

from typing import Any, Callable

import torch

import ftr

from . import keys


def install(patches: Any, rec: Any) -> None:
    """Wraps `saved_tensors_hooks.__enter__` / `__exit__` (undone with the
    other patches)."""
    cls = torch.autograd.graph.saved_tensors_hooks
    patches._set(cls, "__enter__", _wrap_enter(rec, cls.__enter__))
    patches._set(cls, "__exit__", _wrap_exit(rec, cls.__exit__))
    mode = getattr(torch.autograd.graph, "_CloneArgBeforeMutateMode", None)
    if mode is not None:
        patches._set(mode, "__torch_dispatch__", _wrap_clone_before_mutate(mode.__torch_dispatch__))


class _Forwarded:
    """The operator `allow_mutation_on_saved_tensors`' mode handles, as its
    handler sees it: reading the schema is reading the operator's; calling
    it (the mutation, forwarded to the next mode) ends the stretch of new
    calls the handler makes itself (`keys.mode_handler_calls`)."""

    def __init__(self, func: Any) -> None:
        self._func = func

    def __getattr__(self, name: str) -> Any:
        return getattr(self._func, name)

    def __call__(self, *args, **kwargs):
        keys.mode_handler_calls.depth -= 1
        try:
            return self._func(*args, **kwargs)
        finally:
            keys.mode_handler_calls.depth += 1


def _wrap_clone_before_mutate(original: Callable) -> Callable:
    """`torch.autograd.graph.allow_mutation_on_saved_tensors()` pushes a
    dispatch mode above the capture's whose handler clones a saved tensor
    before an in-place operator writes it (observed in torch 2.15:
    `ctx.original[handle].clone()`, then the mutation forwarded with
    `func(*args)`). The clone is a new call made inside the handler, where
    the Python key's fallback has excluded every key above Python: it runs
    without autograd (no node, an output that does not require grad). The
    mutation itself entered the dispatcher with the program's state."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        keys.mode_handler_calls.depth += 1
        try:
            return original(self, _Forwarded(func), types, args, kwargs)
        finally:
            keys.mode_handler_calls.depth -= 1

    return __torch_dispatch__


def _scope_event(rec: Any, hid: int, enter: bool) -> None:
    rec.hooks._api_call()
    rec.emit(ftr.API, ftr.API_SAVED_TENSORS_HOOKS, ftr.p_saved_tensors_hooks(hid, enter))


def _wrap_enter(rec: Any, original: Callable) -> Callable:
    def enter(self):
        if rec.observing():
            hid = rec.hooks.new_id()
            self._ft_hook_id = hid
            self.pack_hook = _wrap_pack(rec, self.pack_hook)
            self.unpack_hook = _wrap_unpack(rec, hid, self.unpack_hook)
            rec.guarded(lambda: _scope_event(rec, hid, True))
        return original(self)

    return enter


def _wrap_exit(rec: Any, original: Callable) -> Callable:
    def exit_(self, *args):
        result = original(self, *args)
        hid = getattr(self, "_ft_hook_id", None)
        if hid is not None and rec.observing():
            rec.guarded(lambda: _scope_event(rec, hid, False))
        return result

    return exit_


def _wrap_pack(rec: Any, pack: Callable) -> Callable:
    """The scope's pack hook, after the pending op is finished.

    Autograd packs an operator's saved outputs after it attached their
    `grad_fn`, so the op is finished here: its outputs, their
    `requires_grad` and its node are what the program sees. Without this
    an op whose pack raises (the non-reentrant checkpoint's early stop in
    `native_layer_norm`'s statistics, which need no `detach` that would
    finish it) is finished only after its outputs died, and the trace
    would show output 0 without grad and no node. Observed in torch 2.15:
    a pack hook raising on `native_layer_norm`'s `mean` leaves output 0
    with NativeLayerNormBackward0."""

    return _Pack(rec, pack)


class _Pack:
    """A pack hook finishing the pending op first; every attribute is the
    hook's own (the checkpoint keeps its user hooks on its pack function)."""

    def __init__(self, rec: Any, pack: Callable) -> None:
        object.__setattr__(self, "_ft_rec", rec)
        object.__setattr__(self, "_ft_pack", pack)

    def __call__(self, tensor: Any) -> Any:
        rec = self._ft_rec
        if rec.observing():
            rec.guarded(rec.flush)
        return self._ft_pack(tensor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ft_pack, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._ft_pack, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._ft_pack, name)


def _wrap_unpack(rec: Any, hid: int, unpack: Callable) -> Callable:
    """The scope's unpack hook, bracketed while the engine runs a node."""

    def wrapped(packed):
        bw = rec.backward
        nid = None if bw is None or not rec.observing() else bw.current
        if nid is None:
            return unpack(packed)
        belief = rec._grad_mode
        rec.guarded(lambda: rec.hooks.hook_begin(hid, nid, []))
        # Program code: the state it starts in (the node's grad mode) first.
        rec.guarded(rec.check_state)
        rec.unpacking += 1
        try:
            result = unpack(packed)
        finally:
            rec.unpacking -= 1
        # What it changed (a `requires_grad_()`), then its result; the
        # engine undoes its grad mode when the node returns.
        rec.guarded(lambda: (rec.flush(), rec.check_state()))
        rec.guarded(lambda: rec.hooks.hook_end(hid, result))
        rec._grad_mode = belief
        return result

    return wrapped
