"""Operators whose PythonTLSSnapshot kernel is Python code (docs/CAPTURE.md §9).

The PythonTLSSnapshot key is in a call's keyset only while a Python
dispatch mode is active, so only under the capture. Its fallback snapshots
the local include/exclude sets a call entered the dispatcher with, and the
capture derives each call's keyset from that snapshot (`keys.entry_tls`).
torch 2.15 registers a Python kernel at that key for `aten::to_dense`
(`torch._subclasses.fake_impls.to_dense_python_tls_impl`): for an ordinary
tensor it calls `to_dense` again with PythonTLSSnapshot excluded, so no
snapshot is taken on the way in, and the call that reaches the mode (the
composite's `_to_dense`, or `to_dense` itself in inference mode) carries a
snapshot taken below its own autograd kernel (the autograd keys and
ADInplaceOrView excluded, and PythonTLSSnapshot). Unobserved, PyTorch
dispatches `to_dense` (CompositeImplicitAutograd) and `_to_dense` with the
caller's state: AutogradCPU, ADInplaceOrView, BackendSelect, SparseCPU.

For each such operator the capture registers, for the session only, a
kernel at PythonTLSSnapshot that reads the caller's state on entry, keeps
it while PyTorch's own Python kernel runs, and removes itself on exit (the
dispatcher then runs PyTorch's kernel again). A call whose snapshot has
PythonTLSSnapshot excluded takes that kept state (`entered_state`). A Python
kernel at that key the capture does not know of is refused by name when a
call made inside it reaches the mode.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

import torch

_C = torch._C
_DK = _C.DispatchKey

_KEY = "PythonTLSSnapshot"


def _known_kernels() -> dict:
    """Operator (name without namespace) -> PyTorch's Python kernel at
    PythonTLSSnapshot, for the ones this capture knows."""
    known: dict = {}
    try:
        from torch._subclasses import fake_impls
    except ImportError:
        return known
    kernel = getattr(fake_impls, "to_dense_python_tls_impl", None)
    if kernel is not None:
        known["to_dense"] = kernel
    return known


class _Entered(threading.local):
    def __init__(self) -> None:
        self.states: list = []


_ENTERED = _Entered()


def entered_state() -> Optional[tuple]:
    """`(include, exclude)` the innermost Python kernel at PythonTLSSnapshot
    was entered with on this thread, or None outside every one."""
    states = _ENTERED.states
    return states[-1] if states else None


def _wrap(kernel: Callable) -> Callable:
    states = _ENTERED

    def entered(*args: Any, **kwargs: Any) -> Any:
        # Nothing above PythonTLSSnapshot (PreDispatch, PythonDispatcher)
        # is active under the capture: this is the caller's state.
        states.states.append((_C._dispatch_tls_local_include_set(), _C._dispatch_tls_local_exclude_set()))
        try:
            return kernel(*args, **kwargs)
        finally:
            states.states.pop()

    return entered


class PythonKernels:
    """The session's registrations at PythonTLSSnapshot (undone on exit)."""

    def __init__(self) -> None:
        self._lib: Any = None
        self._keys: list = []

    def __enter__(self) -> "PythonKernels":
        registered = set(_C._dispatch_get_registrations_for_dispatch_key(_KEY))
        for name, kernel in _known_kernels().items():
            if f"aten::{name}" not in registered:
                continue
            if self._lib is None:
                self._lib = torch.library.Library("aten", "IMPL", _KEY)
            self._lib.impl(name, _wrap(kernel), _KEY, allow_override=True)
            self._keys.append(f"aten/{name}/{_KEY}")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._lib is None:
            return
        self._lib._destroy()
        self._lib = None
        # `_destroy` forgets the keys it registered, which PyTorch's own
        # registrations (active again) still hold.
        torch.library._impls.update(self._keys)
        self._keys.clear()
