"""Graph nodes the program holds (FORMAT.md §3.4.4, `register_node_hook`
kind `hold`).

A Python reference to a graph node keeps the node alive, and a leaf's
AccumulateGrad is cached only weakly by its leaf: while the program holds
it, every new graph reuses it; once it is dropped (and no graph reaches
it), the next graph makes a new one. A replayer has to hold the same
nodes for as long, or its graphs get new AccumulateGrad nodes where
PyTorch reused one.

`torch.autograd.graph.register_multi_grad_hook(tensors, fn, mode="all")`
is such a holder: it looks up each tensor's node (`grad_fn`, or for a leaf
the AccumulateGrad reached through a `view_as` it drops at once) and keeps
the list in the closures of the tensor hooks it registers, to ask the
engine which of them a backward will run. Observed in torch 2.15:
without the hold, the leaf's AccumulateGrad dies with the `view_as`
output, and the next forward makes a new one. Mode `any` holds none.

The capture writes

* `register_node_hook [hook, "hold", node]` right after each node is
  looked up (its `view_as` op and node events first, the release of the
  dropped view after it), without a state check: the hold starts while
  the view still lives;
* `remove_hook [hook]` once every tensor hook of the registration has
  died (`handle.remove()`, or the tensors died), at the end of the next
  state check (after its releases). The closures die with the hooks:
  the death watch is a weak reference to each registered hook function,
  whose callback only counts.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import torch

import ftr

KIND_HOLD = "hold"


class HeldNodes:
    """Holds the program took on nodes, and those it dropped since the
    last state check."""

    def __init__(self, rec: Any) -> None:
        self.rec = rec
        # Hold ids whose owners all died (appended by weakref callbacks).
        self._dropped: list = []
        # Hold id -> the weak references watching its owners (kept alive).
        self._watches: dict = {}

    def hold(self, node: Any) -> int:
        """The program took a reference to `node`: its api event."""
        rec = self.rec
        rec.flush()
        nid = rec.node_id(node)
        hid = rec.hooks.new_id()
        rec.emit(ftr.API, ftr.API_REGISTER_NODE_HOOK, ftr.p_register_node_hook(hid, KIND_HOLD, nid))
        return hid

    def owned_by(self, hids: list, owners: list) -> None:
        """Holds `hids` end when every object of `owners` has died."""
        if not hids:
            return
        if not owners:
            self._dropped.extend(hids)
            return
        remaining = [len(owners)]
        dropped = self._dropped

        def died(_ref: Any) -> None:
            remaining[0] -= 1
            if remaining[0] == 0:
                dropped.extend(hids)

        refs = [weakref.ref(o, died) for o in owners]
        for hid in hids:
            self._watches[hid] = refs

    def collect(self) -> None:
        """At the end of a state check: `remove_hook` for each hold whose
        owners died since, in the order they were dropped."""
        while self._dropped:
            hid = self._dropped.pop(0)
            self._watches.pop(hid, None)
            self.rec.emit(ftr.API, ftr.API_REMOVE_HOOK, ftr.p_remove_hook(hid))


def install(patches: Any, rec: Any) -> None:
    """Wraps `torch.autograd.graph.register_multi_grad_hook` (undone with
    the other patches)."""
    graph = torch.autograd.graph
    patches._set(graph, "register_multi_grad_hook", _wrap_multi(rec, graph.register_multi_grad_hook))


def _hook_functions(handle: Any) -> list:
    """The hook functions a `_MultiHandle`'s tensor hooks are registered as
    (the capture's wrappers, which hold the program's closures)."""
    out = []
    for h in getattr(handle, "handles", ()):
        hooks = h.hooks_dict_ref()
        if hooks is not None and h.id in hooks:
            out.append(hooks[h.id])
    return out


def _wrap_multi(rec: Any, original: Callable) -> Callable:
    def register_multi_grad_hook(tensors, fn, *, mode="all"):
        if mode != "all" or not rec.observing():
            return original(tensors, fn, mode=mode)
        graph = torch.autograd.graph
        lookup = graph._get_grad_fn_or_grad_acc
        hids: list = []

        def lookup_and_hold(t):
            node = lookup(t)
            hids.append(rec.guarded(lambda: rec.held.hold(node)))
            return node

        graph._get_grad_fn_or_grad_acc = lookup_and_hold
        try:
            handle = original(tensors, fn, mode=mode)
        finally:
            graph._get_grad_fn_or_grad_acc = lookup
        rec.held.owned_by(hids, _hook_functions(handle))
        return handle

    return register_multi_grad_hook
