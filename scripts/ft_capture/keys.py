"""The DispatchKeySet and key chain of a call, derived as the dispatcher
would have computed them without the capture's Python dispatch mode
(docs/CAPTURE.md §4)."""

from __future__ import annotations

import functools
import threading
from typing import Any, NamedTuple, Optional

import torch

from .errors import CaptureError, sparse_capture_enabled
from .python_kernels import entered_state

_C = torch._C
_DK = _C.DispatchKey


def _keyset(*keys: Any) -> Any:
    out = _C.DispatchKeySet(_DK.Undefined)
    for k in keys:
        out = out | _C.DispatchKeySet(k)
    return out


def keyset_names(ks: Any) -> list:
    """Key names of a DispatchKeySet, highest priority first."""
    names: list = []
    while True:
        k = ks.highestPriorityTypeId()
        if k == _DK.Undefined:
            return names
        names.append(k.name)
        ks = ks & _C._dispatch_keyset_full_after(k)


class TlsState(NamedTuple):
    """A local dispatch-key TLS state: keys forced in and keys excluded."""

    include: Any
    exclude: Any


class _HandlerCalls(threading.local):
    """Depth of calls a program's dispatch-mode handler makes itself
    (`saved_hooks._wrap_clone_before_mutate`): while positive, a call
    reaching the capture entered the dispatcher inside that handler."""

    depth = 0


mode_handler_calls = _HandlerCalls()


class _KernelState(threading.local):
    """The TLS state a program-defined operator's kernel runs in, while
    the capture runs one (`program_ops.run_program_kernel`): the calls it
    makes enter the dispatcher with it, and the snapshot PythonTLSSnapshot
    keeps is still the one the operator's own call took."""

    state: Optional[TlsState] = None


program_kernel_state = _KernelState()


def entry_tls() -> TlsState:
    """The TLS state the current call entered the dispatcher with (observed).

    Only valid inside `__torch_dispatch__` of a call that came through the
    dispatcher. PyTorch's PythonTLSSnapshot key snapshots the local
    include/exclude sets when a call enters the dispatcher (the outermost
    entry: calls nested in a C++ composite keep its snapshot, which is the
    state they are made in), and `_RestorePythonTLSSnapshot` puts that
    snapshot back; inside the mode itself the Python key's fallback has
    excluded every key above Python, whoever called. A Python factory
    binding (`torch.empty`, `torch.ones_like`) enters below ADInplaceOrView
    (`AutoDispatchBelowADInplaceOrView`: ADInplaceOrView and the autograd
    keys excluded); a factory that C++ calls (dropout's `empty_like`,
    batch norm's `empty`) enters with the caller's state. A call made inside
    a Python kernel at PythonTLSSnapshot (`to_dense`'s) has no snapshot of
    its own: it takes the state that kernel was entered with.
    """
    kernel_state = program_kernel_state.state
    if kernel_state is not None:
        return kernel_state
    if mode_handler_calls.depth > 0:
        # Made inside another mode's handler: no snapshot of its own (the
        # one restored is the handled call's); it entered with the state
        # the handler runs in, every key above Python excluded.
        return TlsState(_C._dispatch_tls_local_include_set(), _C._dispatch_tls_local_exclude_set())
    with _C._RestorePythonTLSSnapshot():
        state = TlsState(_C._dispatch_tls_local_include_set(), _C._dispatch_tls_local_exclude_set())
    if state.exclude.has(_DK.PythonTLSSnapshot):
        # Made inside a Python kernel at PythonTLSSnapshot: no snapshot was
        # taken on the way in; the one read here is from below the call's
        # own autograd kernel (python_kernels.py).
        entered = entered_state()
        if entered is None:
            raise CaptureError(
                "unsupported: a call made inside a Python kernel registered at PythonTLSSnapshot "
                f"(registered for {', '.join(_C._dispatch_get_registrations_for_dispatch_key('PythonTLSSnapshot'))}) "
                "the capture does not know; its keyset cannot be derived"
            )
        return TlsState(*entered)
    return state


# Dispatch table text -> its parsed handlers, and (table text, the rest of
# `DispatchDeriver.derive`'s key) -> derived (keyset names, chain): what a
# table says is all a derivation reads of the operator, so both are exact
# for any later capture in the process that dumps the same table.
_PARSED: dict = {}
_DERIVED: dict = {}


class DispatchTable:
    """Parsed `torch._C._dispatch_dump_table` of one operator: key -> handler."""

    def __init__(self, qualified_name: str) -> None:
        self.name = qualified_name
        self.text = _C._dispatch_dump_table(qualified_name)
        handlers = _PARSED.get(self.text)
        if handlers is None:
            handlers = {}
            for line in self.text.splitlines():
                key, sep, entry = line.partition(": ")
                if sep:
                    handlers[key.strip()] = self._classify(key.strip(), entry)
            _PARSED[self.text] = handlers
        self._handlers: dict = handlers

    @staticmethod
    def _classify(key: str, entry: str) -> str:
        if entry.startswith("fallthrough"):
            return "fallthrough"
        if entry.endswith("[math kernel]"):
            return "math"
        if key.startswith("Autograd") or entry.endswith("[autograd kernel]"):
            return "autograd"
        return "kernel"

    def handler(self, key: str) -> Optional[str]:
        """`autograd`, `fallthrough`, `kernel`, `math`, or None (no entry)."""
        return self._handlers.get(key)


def _vmap_mode_keys() -> Any:
    """The keys the legacy vmap's `_vmapmode_increment_nesting` adds to
    the TLS include set (`VmapMode`, which `DispatchKey` does not name)."""
    before = _C._dispatch_tls_local_include_set()
    _C._vmapmode_increment_nesting()
    try:
        during = _C._dispatch_tls_local_include_set()
    finally:
        _C._vmapmode_decrement_nesting()
    return during - before


class DispatchDeriver:
    """Computes the DispatchKeySet and key chain of a call the way the
    dispatcher would have without the capture's Python dispatch mode."""

    def __init__(self) -> None:
        # The capture's own keys, and the legacy vmap's `VmapMode` (a
        # fallthrough for every operator that is not random) that
        # `torch.autograd.grad(is_grads_batched=True)` puts in the TLS
        # around its engine call: the batched operators are derived as
        # plain calls, as functorch's are (docs/CAPTURE.md §6.8).
        self._capture_only = _keyset(_DK.Python, _DK.PythonTLSSnapshot, _DK.PreDispatch) | _vmap_mode_keys()
        self._after_backend_select = _C._dispatch_keyset_full_after(_DK.BackendSelect)
        self._tables: dict = {}
        self._cache: dict = {}

    def derive(self, func: Any, tensor_keys: Any, options: dict, tls: TlsState) -> tuple:
        """`(keyset names, chain)` for one call.

        `tensor_keys` is the union of the dispatch keys of the call's tensor
        arguments; `options` holds its `dtype`/`layout`/`device` arguments;
        `tls` is the state the call entered the dispatcher with
        (`entry_tls`), from which the capture's own Python keys are removed.
        """
        # The result depends on nothing else: keyed before anything is derived.
        # The operator by id (an `OpOverload` hashes in Python); the entry
        # holds it, so the id stays its own.
        cache_key = (
            id(func),
            tensor_keys.raw_repr(),
            tls.include.raw_repr(),
            tls.exclude.raw_repr(),
            str(options.get("device")),
            str(options.get("layout")),
        )
        hit = self._cache.get(cache_key)
        if hit is None or hit[0] is not func:
            # A sparse COO factory's backend depends on the sparse switch,
            # which may change between captures in one process.
            derived_key = (self._table(func).text, sparse_capture_enabled()) + cache_key[1:]
            derived = _DERIVED.get(derived_key)
            if derived is None:
                tls = TlsState(tls.include - self._capture_only, tls.exclude)
                ks = (tensor_keys | tls.include) - tls.exclude
                derived = _DERIVED[derived_key] = (keyset_names(ks), self._walk(func, ks, tensor_keys, options, tls))
            hit = (func, derived)
            self._cache[cache_key] = hit
        return hit[1]

    def _table(self, func: Any) -> DispatchTable:
        table = self._tables.get(func)
        if table is None:
            name = func._schema.name
            if func._schema.overload_name:
                name += "." + func._schema.overload_name
            table = DispatchTable(name)
            self._tables[func] = table
        return table

    def _backend_key(self, func: Any, options: dict) -> Any:
        layout = options.get("layout")
        device = options.get("device")
        if layout == torch.sparse_coo and (device is None or torch.device(device).type == "cpu") and sparse_capture_enabled():
            # a sparse COO factory (`_sparse_coo_tensor_with_dims_and_tensors`)
            return _DK.SparseCPU
        if layout not in (None, torch.strided):
            name = str(layout).removeprefix("torch.")
            raise CaptureError(f"unsupported: {func} makes a {name} tensor; a trace holds strided tensors only")
        device = options.get("device")
        dev_type = "cpu" if device is None else torch.device(device).type
        return getattr(_DK, _C._dispatch_key_for_device(dev_type))

    def _walk(self, func: Any, ks: Any, tensor_keys: Any, options: dict, tls: TlsState) -> list:
        table = self._table(func)
        chain: list = []
        remaining = ks
        while True:
            key = remaining.highestPriorityTypeId()
            if key == _DK.Undefined:
                # Every key fell through (or there was none: an operator
                # without tensor arguments): the dispatcher calls the kernel
                # in its table's first slot, the one dumped as `Undefined`.
                handler = table.handler("Undefined")
                if handler is None:
                    raise CaptureError(f"dispatch walk of {func} ran out of keys after {chain}")
                chain.append(["Undefined", handler])
                return chain
            handler = table.handler(key.name)
            if handler is None:
                raise CaptureError(f"no kernel for {key.name} in the dispatch table of {table.name}")
            chain.append([key.name, handler])
            if handler == "math" or (handler == "kernel" and self._is_backend(key)):
                return chain
            if handler == "kernel" and key == _DK.BackendSelect:
                # BackendSelect's kernel computes the backend from the call's
                # TensorOptions (default device cpu) and redispatches below itself.
                chosen = _keyset(self._backend_key(func, options)) | tensor_keys
                remaining = (chosen & self._after_backend_select) - tls.exclude
            else:
                remaining = remaining & _C._dispatch_keyset_full_after(key)

    def _is_backend(self, key: Any) -> bool:
        return self._after_backend_select.has(key) and key != _DK.PythonDispatcher


_NO_KEYS = _keyset()
_KEYED_TYPES = (torch.Tensor, list, tuple)
# `torch.Generator`'s metaclass overrides `isinstance` in Python (a frame
# and a global lookup for every value that is not a generator); the plain
# check, as `type` makes it, is the same for real generators.
_is_generator = functools.partial(type.__instancecheck__, torch.Generator)


def call_dispatch_keys(named: dict) -> Any:
    """Union of the dispatch keys of a call's arguments (`dispatch_keys_of`
    of each; arguments of other types have none)."""
    keys = _NO_KEYS
    for value in named.values():
        if isinstance(value, _KEYED_TYPES) or (value is not None and _is_generator(value)):
            keys = keys | dispatch_keys_of(value)
    return keys


def dispatch_keys_of(value: Any) -> Any:
    """Union of the dispatch keys of the tensors (and generators) in a value."""
    if isinstance(value, torch.Tensor):
        return _C._dispatch_keys(value)
    if isinstance(value, (list, tuple)):
        out = _NO_KEYS
        for v in value:
            if isinstance(v, _KEYED_TYPES) or (v is not None and _is_generator(v)):
                out = out | dispatch_keys_of(v)
        return out
    if value is not None and _is_generator(value):
        return _keyset(getattr(_DK, _C._dispatch_key_for_device(value.device.type)))
    return _NO_KEYS


def _is_induced(func: Any) -> bool:
    # Calls that came through the dispatcher reach the mode with
    # ADInplaceOrView (and much more) excluded by the Python key's fallback;
    # calls the Python interpreter issues directly (detach for SavedVariable)
    # do not.
    return not _C._dispatch_tls_is_dispatch_key_excluded(_DK.ADInplaceOrView)
