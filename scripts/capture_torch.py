#!/usr/bin/env python3
"""Record an ordinary PyTorch program as a FrankenTorch trace (`.ftr`).

    python scripts/capture_torch.py PROGRAM.py -o OUT.ftr \
        [--values all|inputs|none] [--zero-timestamps] [-- PROGRAM ARGS...]

The program runs unmodified (`runpy`, `__name__ == "__main__"`, `sys.argv`
set to the program) under three observers:

* a `TorchDispatchMode` sees every ATen call below autograd (the dispatch
  layer), including the calls made by backward formulas and optimizers;
* a few wrapped Python entry points (`torch.manual_seed`,
  `torch.autograd.backward`, profiler annotations) give the api layer;
* a node-creation hook (`torch.autograd.graph.node_creation_hook`) sees
  each autograd node the moment autograd attaches it to an op's outputs, and
  pre-hooks on every node a `backward()` reaches observe the engine's
  execution order (the autograd layer).

What PyTorch does not tell an observer is *derived*: the DispatchKeySet and
the key chain of each call (from `torch._C._dispatch_keys`, the TLS state
the call entered the dispatcher with, and the dispatch tables), and the
ReadyQueue schedule (simulated with the engine's dependency counting and the
libstdc++ heap it uses). Derived and observed execution orders are compared;
a difference aborts the capture with exit status 4 rather than writing a
wrong trace. `docs/CAPTURE.md` states every rule precisely.

The capture must not change what it observes. It therefore never holds a
strong reference to a tensor or an autograd node beyond the call that
showed it: tensors are tracked through weak references (PyTorch keeps one
Python object per TensorImpl alive while C++ holds the tensor), storages
through weak storage references, nodes through a tag stored in the node's own
`metadata` dict.

Exit status: 0 recorded; 2 usage error; 3 the program raised (the trace is
finished and ends with an api `program_error` event); 4 the capture found an
internal inconsistency or an unsupported feature (the trace is left as
`OUT.ftr.partial`).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import platform
import runpy
import sys
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ftr  # noqa: E402  (the format module lives beside this script)

VERSION = "0.1.0"
PRODUCER = f"capture_torch.py {VERSION}"

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_PROGRAM_ERROR = 3
EXIT_INCONSISTENT = 4

# Operators whose outputs are uninitialised memory: never given a value digest.
# This list and RANDOM_OPS mirror tracer/src/op_class.rs (a test keeps them equal).
EMPTY_OPS = frozenset({"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided"})
# Operators whose outputs policy `inputs` keeps (replay feeds them back).
RANDOM_OPS = frozenset(
    {
        "uniform_",
        "normal_",
        "randn",
        "rand",
        "randint",
        "randperm",
        "bernoulli",
        "bernoulli_",
        "dropout",
        "native_dropout",
        "exponential_",
        "random_",
        "multinomial",
        "rand_like",
        "randn_like",
        "randint_like",
    }
)
# The arguments that make up a TensorOptions in an operator schema.
TENSOR_OPTIONS = ("dtype", "layout", "device", "pin_memory")

# c10 enum values that schema defaults use for ScalarType / Layout / MemoryFormat.
SCALAR_TYPE_NAMES = (
    "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
    "complex32", "complex64", "complex128", "bool", "qint8", "quint8", "qint32", "bfloat16",
)
LAYOUT_NAMES = ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn", "jagged")
MEMORY_FORMAT_NAMES = ("contiguous_format", "preserve_format", "channels_last", "channels_last_3d")


class CaptureError(BaseException):
    """The capture cannot produce a correct trace (exit status 4).

    A `BaseException` so that a program's `except Exception` cannot swallow it.
    """


class UnrecordableValue(CaptureError):
    """A value of a type FORMAT.md §3.1 has no tag for; the op that passed or
    returned it adds its name and the argument's."""

    def __init__(self, value: Any) -> None:
        super().__init__(type(value).__name__)
        self.type_name = type(value).__name__

    def at(self, func: Any, where: str) -> CaptureError:
        """The one-line refusal naming the op and the argument or result."""
        hint = " (Tensor.set_ on a storage: memory no recorded operator wrote)" if "Storage" in self.type_name else ""
        return CaptureError(f"unsupported: {func}: {where} is a {self.type_name}, which a trace cannot hold{hint}")


# ---------------------------------------------------------------------------
# The engine's ReadyQueue: std::priority_queue over libstdc++'s heap algorithms.


class LibstdcxxHeap:
    """A max-heap with exactly the sift steps of libstdc++'s `std::push_heap`
    (`__push_heap`) and `std::pop_heap` (`__adjust_heap`).

    Equal keys are not served first-in first-out: their order depends on the
    heap's shape, which is why PyTorch runs tied AccumulateGrad nodes in an
    order like p0, p2, p5, p6, p4, p1, p3. `less(a, b)` is the comparator the
    queue was built with (PyTorch: `(depth, sequence_nr)` of a < that of b).
    """

    def __init__(self, less: Callable[[Any, Any], bool]) -> None:
        self._less = less
        self._items: list = []

    def __len__(self) -> int:
        return len(self._items)

    def top(self) -> Any:
        """The element `pop` would return."""
        return self._items[0]

    def push(self, item: Any) -> None:
        """`c.push_back(item); push_heap(c.begin(), c.end())`."""
        self._items.append(item)
        self._sift_up(len(self._items) - 1, 0, item)

    def pop(self) -> Any:
        """`pop_heap(c.begin(), c.end()); c.pop_back()`; returns the old top."""
        items = self._items
        top = items[0]
        last = items.pop()
        if items:
            self._adjust(0, len(items), last)
        return top

    def _sift_up(self, hole: int, top_index: int, value: Any) -> None:
        items = self._items
        parent = (hole - 1) // 2
        while hole > top_index and self._less(items[parent], value):
            items[hole] = items[parent]
            hole = parent
            parent = (hole - 1) // 2
        items[hole] = value

    def _adjust(self, hole: int, length: int, value: Any) -> None:
        items = self._items
        top_index = hole
        child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if self._less(items[child], items[child - 1]):
                child -= 1
            items[hole] = items[child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            items[hole] = items[child - 1]
            hole = child - 1
        self._sift_up(hole, top_index, value)


@dataclass
class ScheduleStep:
    """One ReadyQueue pop and the pushes its completion caused; `runs` is
    false for a node that only captures a gradient (it runs nothing)."""

    node: int
    pushed: list
    runs: bool = True


def dependency_counts(root: int, successors: dict) -> dict:
    """Incoming edges per node, counting only edges from nodes reachable from `root`."""
    deps = {root: 0}
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        for nxt in successors[node]:
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def simulate_schedule(root: int, successors: dict, key: dict, runs: Optional[set] = None, captures: frozenset = frozenset()) -> list:
    """The engine's execution order for a GraphTask.

    `successors[n]` lists n's valid next edges in `next_functions` order
    (an edge reaching the same node twice appears twice); `key[n]` is the
    ReadyQueue ordering key `(depth, sequence_nr)`. Push the root; loop: pop,
    decrement the dependency count of each next edge's node in edge order and
    push it when the count reaches zero.

    A restricted backward (`torch.autograd.grad`, `backward(inputs=...)`)
    gives the nodes that run and those that capture: a successor that does
    neither is not pushed (its count still goes down), and a popped node
    that does not run pushes nothing.
    """
    deps = dependency_counts(root, successors)
    heap = LibstdcxxHeap(lambda a, b: key[a] < key[b])
    heap.push(root)
    steps = []
    while heap:
        node = heap.pop()
        if runs is not None and node not in runs:
            steps.append(ScheduleStep(node, [], runs=False))
            continue
        pushed = []
        for nxt in successors[node]:
            deps[nxt] -= 1
            if deps[nxt] == 0 and (runs is None or nxt in runs or nxt in captures):
                heap.push(nxt)
                pushed.append(nxt)
        steps.append(ScheduleStep(node, pushed))
    return steps


# ---------------------------------------------------------------------------
# Everything below needs torch; the heap above is importable without it.

import torch  # noqa: E402
from torch.multiprocessing.reductions import StorageWeakRef  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.utils.weak import WeakIdKeyDictionary  # noqa: E402

import capture_engine  # noqa: E402  (backward(), autograd.grad, beside this script)
import capture_hooks  # noqa: E402  (backward hooks, beside this script)
import capture_functions  # noqa: E402  (custom autograd.Functions)
import capture_saved_hooks  # noqa: E402  (saved-tensor hooks)
import capture_data  # noqa: E402  (Tensor.data reads and assignments)
from capture_engine import GRAPH_ROOT, EngineCall  # noqa: E402

_C = torch._C
_DK = _C.DispatchKey


def dtype_name(dtype: torch.dtype) -> str:
    """`torch.float32` -> `float32`."""
    return str(dtype).removeprefix("torch.")


def device_name(device: torch.device) -> str:
    """`cpu`, `meta`, `cuda:0`."""
    return str(device)


def tensor_bytes(t: torch.Tensor) -> bytes:
    """The elements of `t` in logical C order, in the machine's byte order
    (FORMAT.md §2.3), whatever its geometry: stride 0 (an expanded gradient),
    size-1 dimensions with any stride, 0-dim, non-contiguous, a storage
    offset, the conjugate and negative bits. The values are copied into a
    fresh 1-d CPU buffer (stride 1) and that buffer is read as bytes;
    `t.contiguous()` is not enough, since PyTorch calls a tensor whose
    non-size-1 dimensions are dense contiguous even when a size-1 dimension
    has stride 0, and the byte view needs stride 1. Runs with dispatch modes
    disabled and on a detached tensor: no op, no node."""
    with _C._DisableTorchDispatch():
        src = t.detach()
        buf = torch.empty(src.numel(), dtype=src.dtype, device="cpu")
        if buf.numel() == 0:
            return b""
        buf.view(src.shape).copy_(src)
        return buf.view(torch.uint8).numpy().tobytes()


def node_name(node: Any) -> str:
    """PyTorch's node name without a C++ namespace (`AccumulateGrad`)."""
    return node.name().rsplit("::", 1)[-1]


# ---------------------------------------------------------------------------
# Dispatch keyset and key chain (derived).


def _keyset(*keys: Any) -> Any:
    out = _C.DispatchKeySet(_DK.Undefined)
    for k in keys:
        out = out | _C.DispatchKeySet(k)
    return out


def keyset_names(ks: Any) -> list:
    """Key names of a DispatchKeySet, highest priority first."""
    names = []
    while True:
        k = ks.highestPriorityTypeId()
        if k == _DK.Undefined:
            return names
        names.append(k.name)
        ks = ks & _C._dispatch_keyset_full_after(k)


@dataclass(frozen=True)
class TlsState:
    """A local dispatch-key TLS state: keys forced in and keys excluded."""

    include: Any
    exclude: Any


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
    batch norm's `empty`) enters with the caller's state.
    """
    with _C._RestorePythonTLSSnapshot():
        return TlsState(_C._dispatch_tls_local_include_set(), _C._dispatch_tls_local_exclude_set())


class DispatchTable:
    """Parsed `torch._C._dispatch_dump_table` of one operator: key -> handler."""

    def __init__(self, qualified_name: str) -> None:
        self.name = qualified_name
        self._handlers: dict = {}
        for line in _C._dispatch_dump_table(qualified_name).splitlines():
            key, sep, entry = line.partition(": ")
            if sep:
                self._handlers[key.strip()] = self._classify(key.strip(), entry)

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


class DispatchDeriver:
    """Computes the DispatchKeySet and key chain of a call the way the
    dispatcher would have without the capture's Python dispatch mode."""

    def __init__(self) -> None:
        self._capture_only = _keyset(_DK.Python, _DK.PythonTLSSnapshot, _DK.PreDispatch)
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
        tls = TlsState(tls.include - self._capture_only, tls.exclude)
        ks = (tensor_keys | tls.include) - tls.exclude
        device = options.get("device")
        cache_key = (
            func,
            ks.raw_repr(),
            tensor_keys.raw_repr(),
            tls.exclude.raw_repr(),
            str(device),
            str(options.get("layout")),
        )
        hit = self._cache.get(cache_key)
        if hit is None:
            hit = (keyset_names(ks), self._walk(func, ks, tensor_keys, options, tls))
            self._cache[cache_key] = hit
        return hit

    def _table(self, func: Any) -> DispatchTable:
        table = self._tables.get(func)
        if table is None:
            name = func._schema.name
            if func._schema.overload_name:
                name += "." + func._schema.overload_name
            table = DispatchTable(name)
            self._tables[func] = table
        return table

    def _backend_key(self, options: dict) -> Any:
        layout = options.get("layout")
        if layout not in (None, torch.strided):
            raise CaptureError(f"unsupported: factory with layout {layout}")
        device = options.get("device")
        dev_type = "cpu" if device is None else torch.device(device).type
        return getattr(_DK, _C._dispatch_key_for_device(dev_type))

    def _walk(self, func: Any, ks: Any, tensor_keys: Any, options: dict, tls: TlsState) -> list:
        table = self._table(func)
        chain = []
        remaining = ks
        while True:
            key = remaining.highestPriorityTypeId()
            if key == _DK.Undefined:
                raise CaptureError(f"dispatch walk of {func} ran out of keys after {chain}")
            handler = table.handler(key.name)
            if handler is None:
                raise CaptureError(f"no kernel for {key.name} in the dispatch table of {table.name}")
            chain.append([key.name, handler])
            if handler == "math" or (handler == "kernel" and self._is_backend(key)):
                return chain
            if handler == "kernel" and key == _DK.BackendSelect:
                # BackendSelect's kernel computes the backend from the call's
                # TensorOptions (default device cpu) and redispatches below itself.
                chosen = _keyset(self._backend_key(options)) | tensor_keys
                remaining = (chosen & self._after_backend_select) - tls.exclude
            else:
                remaining = remaining & _C._dispatch_keyset_full_after(key)

    def _is_backend(self, key: Any) -> bool:
        return self._after_backend_select.has(key) and key != _DK.PythonDispatcher


# ---------------------------------------------------------------------------
# Identity tables.


@dataclass
class TensorInfo:
    """What the capture remembers about a live tensor (no strong references)."""

    tid: int
    requires_grad: bool = False
    leaf: bool = True
    watch: bool = True
    grad: Optional[weakref.ref] = None
    grad_watch: bool = False


class StorageTable:
    """Dense storage ids keyed by StorageImpl, with liveness.

    A `StorageWeakRef` keeps the StorageImpl's allocation (not its data)
    alive, so its address cannot be reused by another storage while the
    entry exists; expired entries are dropped from time to time.
    """

    PRUNE_EVERY = 1024

    def __init__(self) -> None:
        self._by_addr: dict = {}
        self._addr_of: dict = {}
        self._next = 0
        self._since_prune = 0

    def lookup(self, tensor: torch.Tensor) -> tuple:
        """`(storage id, first time seen)` of a tensor's storage."""
        try:
            storage = tensor.untyped_storage()
        except (RuntimeError, NotImplementedError) as e:
            raise CaptureError(f"unsupported: tensor without a storage ({e})") from e
        addr = storage._cdata
        hit = self._by_addr.get(addr)
        if hit is not None and not hit[0].expired():
            return hit[1], False
        if hit is not None:
            del self._addr_of[hit[1]]
        sid = self._next
        self._next += 1
        self._by_addr[addr] = (StorageWeakRef(storage), sid)
        self._addr_of[sid] = addr
        self._since_prune += 1
        if self._since_prune >= self.PRUNE_EVERY:
            self._prune()
        return sid, True

    def alive(self, sid: int) -> bool:
        """Whether storage `sid` still exists (something holds its StorageImpl)."""
        addr = self._addr_of.get(sid)
        if addr is None:
            return False
        ref, _ = self._by_addr[addr]
        return not ref.expired()

    def _prune(self) -> None:
        self._since_prune = 0
        for addr in [a for a, (ref, _) in self._by_addr.items() if ref.expired()]:
            del self._addr_of[self._by_addr.pop(addr)[1]]


class ReleaseTracker:
    """Which tensors the program can no longer reach (api `release`).

    Every Python object the capture gives a tensor id is a *carrier* of that
    id: the tensor itself and the mode-induced aliases that share its id
    (§9 of docs/CAPTURE.md: relu's saved output, its unpacked copy in
    backward). Each carrier is watched through a weak reference whose
    callback only notes the death: objects die anywhere (inside an operator,
    inside the engine, in a garbage collection), so deaths are taken into
    account at the next state check, before a top-level op or `backward()`.
    PyTorch keeps a tensor's Python object alive as long as C++ holds its
    TensorImpl (saved for backward, a view's base), so a death means the
    tensor is gone, not just the program's name for it.

    An id is released when its last carrier has died, if the program could
    reach it (introduced, output of a top-level op, stored in a leaf's
    `.grad`), and once its storage is dead or held by another tensor the
    program can still reach: a tensor made over that storage without an
    operator the capture sees (`nn.Parameter` over a dropped `empty`
    output) may still be introduced as an alias of it, and whoever replays
    that introduction needs a tensor on the storage.
    """

    def __init__(self) -> None:
        self._carriers: dict = {}  # tid -> live carrier objects
        self._refs: dict = {}  # id(weakref) -> weakref: keeps the callbacks alive
        self._deaths: list = []  # tids, one per carrier that died (appended by callbacks)
        self._reachable: set = set()  # live tids the program could reach
        self._storage_of: dict = {}  # tid -> storage id, while the tid is live or waiting
        self._held: dict = {}  # storage id -> tids in _reachable on it
        self._waiting: set = set()  # dead, reachable, storage still pinned

    def watch(self, t: torch.Tensor, tid: int) -> None:
        """`t` now carries id `tid`."""
        self._carriers[tid] = self._carriers.get(tid, 0) + 1
        ref = weakref.ref(t, self._on_death(tid))
        self._refs[id(ref)] = ref

    def _on_death(self, tid: int) -> Callable:
        refs, deaths = self._refs, self._deaths

        def died(ref: weakref.ref) -> None:
            refs.pop(id(ref), None)
            deaths.append(tid)

        return died

    def reachable(self, tid: int) -> None:
        """The program could reach `tid` (alive now): its death is a release."""
        if tid not in self._reachable:
            self._reachable.add(tid)
            self._hold(self._storage_of.get(tid), 1)

    def storage(self, tid: int, sid: int) -> None:
        """The storage `tid` was last seen on."""
        old = self._storage_of.get(tid)
        if old != sid:
            self._storage_of[tid] = sid
            if tid in self._reachable:
                self._hold(old, -1)
                self._hold(sid, 1)

    def _hold(self, sid: Optional[int], delta: int) -> None:
        if sid is not None:
            left = self._held.get(sid, 0) + delta
            if left:
                self._held[sid] = left
            else:
                del self._held[sid]

    def collect(self, storage_alive: Callable[[int], bool]) -> list:
        """Ids to release now, ascending; forgets them."""
        deaths = self._deaths[:]
        del self._deaths[: len(deaths)]  # callbacks may append meanwhile
        for tid in deaths:
            left = self._carriers[tid] - 1
            if left:
                self._carriers[tid] = left
                continue
            del self._carriers[tid]
            if tid in self._reachable:
                self._reachable.discard(tid)
                self._hold(self._storage_of.get(tid), -1)
                self._waiting.add(tid)
            else:
                self._storage_of.pop(tid, None)
        ready = []
        for tid in sorted(self._waiting):
            sid = self._storage_of.get(tid)
            if sid is None or sid in self._held or not storage_alive(sid):
                ready.append(tid)
        for tid in ready:
            self._waiting.discard(tid)
            self._storage_of.pop(tid, None)
        return ready


class NodeTags:
    """Node ids stored in each node's own `metadata` dict.

    Autograd nodes cannot be weakly referenced and their Python wrappers come
    and go, so `id()` is no identity; a tag inside the node lives exactly as
    long as the node and needs no bookkeeping on our side.
    """

    _counter = itertools.count()

    def __init__(self) -> None:
        self._key = f"ft_trace_node_{next(self._counter)}_{os.getpid()}"
        self._next = 0

    def get(self, node: Any) -> Optional[int]:
        """The node's id, or None when it has not appeared yet."""
        return node.metadata.get(self._key)

    def assign(self, node: Any) -> int:
        """Gives the node the next id."""
        nid = self.assign_id()
        node.metadata[self._key] = nid
        return nid

    def assign_id(self) -> int:
        """The next id, for a node Python cannot reach (the engine's GraphRoot)."""
        nid = self._next
        self._next += 1
        return nid


# ---------------------------------------------------------------------------
# Recording.


@dataclass
class OutTensor:
    """An operator output waiting for its op event (weakly referenced)."""

    ref: weakref.ref
    wire: list


@dataclass
class OutList:
    """A list-valued operator output (`Tensor[]`)."""

    items: list


@dataclass
class PendingOp:
    """An op recorded when it returned to the dispatch mode, before autograd
    has attached `grad_fn` or bumped version counters.

    Its event is written when autograd creates its node (the node-creation
    hook: outputs still alive, history set, versions bumped) or, for an op
    without a node, at the next event boundary. The op stays pending until
    that boundary, which writes the nodes the hook could not and the device
    transfers.
    """

    op: str
    keyset: list
    chain: list
    args: list
    outputs: list
    ctx: list
    mutates: bool = False
    wire_outputs: Optional[list] = None


@dataclass
class NodePlan:
    """What a backward needs to know about one reachable node."""

    nid: int
    seq: int
    deps: int = 0
    leaf: Optional[weakref.ref] = None
    accumulated: bool = False


@dataclass
class BackwardState:
    """One running call into the engine (`backward()`, `autograd.grad`).

    `plan` and `successors` are keyed by node id, the hidden GraphRoot of
    several roots by `GRAPH_ROOT` (its `NodePlan.nid` becomes its id when
    its node event is written). The schedule is derived when the GraphTask
    starts: a leaf root's AccumulateGrad may only appear once the engine
    created it.
    """

    call: EngineCall
    root: int
    root_edges: list
    plan: dict
    successors: dict
    handles: list = field(default_factory=list)
    # root index -> weak reference to a leaf root whose AccumulateGrad the
    # engine has yet to create
    pending_leaves: dict = field(default_factory=dict)
    created_at_begin: int = 0
    steps: list = field(default_factory=list)
    position: int = 0
    started: bool = False
    closed: bool = False
    current: Optional[int] = None
    mismatch: Optional[str] = None
    # reentrant depth: 0, or 1 + the running GraphTask's for a backward()
    # called while the engine runs a node (a reentrant checkpoint)
    depth: int = 0
    # the running GraphTask's state and context, restored when this ends
    outer: Optional[tuple] = None


class Unobserved:
    """`Recorder.unobserved()`: nests; the capture observes again on exit."""

    def __init__(self, rec: "Recorder") -> None:
        self.rec = rec

    def __enter__(self) -> None:
        self.rec._unobserved += 1

    def __exit__(self, *exc: Any) -> None:
        self.rec._unobserved -= 1


class Recorder:
    """Turns observations into events, in FORMAT.md §3.6 order."""

    def __init__(self, writer: ftr.TraceWriter, policy: str, timestamps: bool) -> None:
        self.writer = writer
        self.policy = policy
        self._t0 = time.monotonic_ns() if timestamps else None
        self.tensors = WeakIdKeyDictionary()
        self._aliases = WeakIdKeyDictionary()
        self._rebuilt = WeakIdKeyDictionary()
        self._partly_introduced: set = set()
        self.storages = StorageTable()
        self.releases = ReleaseTracker()
        self.nodes = NodeTags()
        self.dispatch = DispatchDeriver()
        self._next_tid = 0
        self._seq_base = _C._autograd._get_sequence_nr()
        self._pending: Optional[PendingOp] = None
        self._in_node_hook = False
        self._created_nodes = 0
        self._grad_mode = (True, False)
        self._default_dtype = "float32"
        self._marks: list = []
        self.ctx = ftr.context(ftr.CTX_TOP_LEVEL)
        self.backward: Optional[BackwardState] = None
        self.hooks = capture_hooks.HookTracker(self)
        self.functions = capture_functions.FunctionTracker(self)
        # Depth of running saved-tensor unpack hooks (program code).
        self.unpacking = 0
        self.failure: Optional[str] = None
        self.pid = os.getpid()
        self.thread = threading.get_ident()
        self._unobserved = 0

    def owns_process(self) -> bool:
        """False in a forked child (a DataLoader worker): it must not write."""
        return os.getpid() == self.pid

    def observing(self) -> bool:
        """True on the capturing thread of the capturing process, outside
        `unobserved()`. Dispatch modes are per thread: other threads' ops are
        not seen, so a thread that runs one is refused (`ThreadSentinel`)."""
        return self.owns_process() and threading.get_ident() == self.thread and not self._unobserved

    def unobserved(self) -> "Unobserved":
        """Context manager: the capturing thread's calls inside are not
        events (a tensor rebuilt over memory the program did not compute,
        introduced with its values when an op first names it)."""
        return Unobserved(self)

    def foreign_thread(self, thread: Any, what: str) -> None:
        """Refuses torch work on a thread other than the capturing one: the
        first such call is the capture's failure, raised on the capturing
        thread at its next op or `backward()`, or when the program ends (the
        other thread is left to run, so a program waiting for it does not
        hang)."""
        if self.owns_process():
            self.fail(
                f"unsupported: thread {thread.name!r} {what}; the capture records the main thread only "
                "(dispatch modes are per thread): run torch operators, backward() and manual_seed on the "
                "main thread (call the function directly instead of through threading.Thread or a "
                "ThreadPoolExecutor; DataLoader worker processes are fine)"
            )

    # -- events -------------------------------------------------------------

    def emit(self, layer: int, kind: int, payload: list) -> None:
        """Appends one event."""
        ts = 0 if self._t0 is None else time.monotonic_ns() - self._t0
        self.writer.append(layer, kind, payload, ts)

    def flush(self) -> None:
        """Finishes the pending op, if any: its event (unless its node
        already wrote it), node events not written yet, device transfers."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._emit_op(pending)

    def fail(self, message: str) -> CaptureError:
        """Remembers the first capture failure and returns it to raise."""
        if self.failure is None:
            self.failure = message
        return CaptureError(self.failure)

    # -- tensors ------------------------------------------------------------

    def _info(self, t: torch.Tensor) -> Optional[TensorInfo]:
        info = self.tensors.get(t)
        if info is None and t in self._aliases:
            source = self._aliases[t]()
            if source is not None:
                source_info = self._info(source)
                if source_info is not None:
                    info = TensorInfo(source_info.tid, watch=False)
                    self._register(t, info)
        return info

    def _new_info(self, t: torch.Tensor) -> TensorInfo:
        info = TensorInfo(self._next_tid)
        self._next_tid += 1
        self._register(t, info)
        return info

    def _register(self, t: torch.Tensor, info: TensorInfo) -> None:
        """`t` is known to the capture as tensor `info.tid` from now on."""
        self.tensors[t] = info
        self.releases.watch(t, info.tid)

    def tensor_id(self, t: torch.Tensor) -> int:
        """Id of a tensor the stream names as an input; introduces it
        (api `tensor` event) when no recorded operator produced it."""
        info = self._info(t)
        if info is None:
            info = self._introduce(t)
        return info.tid

    def rebuilt(self, t: Any) -> None:
        """`t` was rebuilt over a storage no recorded op wrote (§5.4)."""
        if isinstance(t, torch.Tensor):
            self._rebuilt[t] = True

    def _introduce(self, t: torch.Tensor) -> TensorInfo:
        sid, new_storage = self.storages.lookup(t)
        if t in self._rebuilt:
            self._check_rebuilt(t, sid, new_storage)
        alias = not new_storage
        info = self._new_info(t)
        self.releases.reachable(info.tid)
        digest = None if alias or self.policy == "none" else self.value_digest(t)
        ref = self._ref_from_parts(info, t, sid, digest)
        self.emit(ftr.API, ftr.API_TENSOR, ftr.p_tensor(ref, alias))
        return info

    def _check_rebuilt(self, t: torch.Tensor, sid: int, new_storage: bool) -> None:
        """A rebuilt tensor's introduction holds its own elements; a second
        one on the same storage is an alias, which a replayer builds from the
        first one's elements. That works when the first covers the whole
        storage (a collated batch); views of one dataset tensor that a
        DataLoader worker sends with `batch_size=None` do not, and are
        refused by name."""
        if new_storage:
            if not covers_storage(t):
                self._partly_introduced.add(sid)
        elif sid in self._partly_introduced:
            raise self.fail(
                f"unsupported: two tensors rebuilt over one storage that no recorded op wrote (a DataLoader "
                f"worker's or torch.load's), shape {list(t.shape)} at offset {t.storage_offset()}: the trace "
                "holds only the first one's elements; return copies from the Dataset (`.clone()`) or "
                "batch them (batch_size)"
            )

    def _ref_from_parts(self, info: TensorInfo, t: torch.Tensor, sid: int, digest: Optional[bytes]) -> list:
        info.requires_grad = t.requires_grad
        info.leaf = t.is_leaf
        self.releases.storage(info.tid, sid)
        return ftr.tensor_ref(
            info.tid,
            dtype_name(t.dtype),
            list(t.shape),
            list(t.stride()),
            t.storage_offset(),
            sid,
            device_name(t.device),
            t.requires_grad,
            tensor_version(t),
            digest,
        )

    def input_ref(self, t: torch.Tensor) -> list:
        """Reference to a tensor as an input (no value digest)."""
        tid = self.tensor_id(t)
        info = self._info(t)
        sid, _ = self.storages.lookup(t)
        assert info is not None and info.tid == tid
        return self._ref_from_parts(info, t, sid, None)

    def output_ref(self, t: torch.Tensor, digest: Optional[bytes]) -> list:
        """Reference to a tensor an operator returned (gets an id if new)."""
        info = self._info(t)
        if info is None:
            info = self._new_info(t)
        sid, _ = self.storages.lookup(t)
        return self._ref_from_parts(info, t, sid, digest)

    def value_digest(self, t: torch.Tensor) -> Optional[bytes]:
        """Stores the tensor's value as a blob; None when it has no data."""
        if t.device.type == "meta":
            return None
        return self.writer.put_blob(dtype_name(t.dtype), list(t.shape), tensor_bytes(t))

    def alias(self, out: torch.Tensor, source: torch.Tensor) -> None:
        """Makes `out` the same tensor (same id) as `source` (FORMAT §3.6.6)."""
        info = self._info(source)
        if info is not None:
            self._register(out, TensorInfo(info.tid, watch=False))
        else:
            self._aliases[out] = weakref.ref(source)

    # -- api layer ----------------------------------------------------------

    def check_state(self) -> None:
        """Emits grad_mode, default_dtype, set_requires_grad, set_grad and
        release for changes since the last check (before each top-level op
        and backward). A failure noted on another thread ends the capture
        here."""
        if self.failure is not None:
            raise CaptureError(self.failure)
        mode = (torch.is_grad_enabled(), torch.is_inference_mode_enabled())
        if mode != self._grad_mode:
            self._grad_mode = mode
            self.emit(ftr.API, ftr.API_GRAD_MODE, ftr.p_grad_mode(*mode))
        self._check_default_dtype()
        live = sorted(((info.tid, t, info) for t, info in self.tensors.items() if info.watch), key=lambda x: x[0])
        for tid, t, info in live:
            # A tensor with history that became a leaf was detached in place:
            # `detach_` changes autograd metadata without redispatching, so
            # no mode sees it (observed in torch 2.15).
            # Views are skipped: `detach_` refuses them, and reading a view's
            # `is_leaf` regenerates its grad_fn when its base changed in place
            # (a node and a sequence number an uncaptured run does not make).
            detached = not info.leaf and not t._is_view() and t.is_leaf
            if (info.leaf or detached) and t.is_leaf and (t.requires_grad != info.requires_grad or detached):
                info.requires_grad, info.leaf = t.requires_grad, True
                self.emit(ftr.API, ftr.API_SET_REQUIRES_GRAD, ftr.p_set_requires_grad(tid, t.requires_grad))
        for tid, t, info in live:
            # A non-leaf's `.grad` is read only when it retains it (reading
            # it otherwise warns); retain_grad's gradients are watched too.
            if (info.grad_watch or (info.leaf and info.requires_grad)) and (t.is_leaf or t.retains_grad):
                self._check_grad(tid, t, info)
        del live
        for tid in self.releases.collect(self.storages.alive):
            self.emit(ftr.API, ftr.API_RELEASE, ftr.p_release(tid))

    def _check_default_dtype(self) -> None:
        """api default_dtype (format 1.2) when `torch.get_default_dtype()`
        differs from the last one written (initially float32). Polling the
        state, rather than wrapping `torch.set_default_dtype`, also sees
        `torch.set_default_tensor_type` and a default set before the
        capture started; a change undone before the next op is not written,
        as for grad mode."""
        dtype = dtype_name(torch.get_default_dtype())
        if dtype != self._default_dtype:
            self._default_dtype = dtype
            self.emit(ftr.API, ftr.API_DEFAULT_DTYPE, ftr.p_default_dtype(dtype))

    def _check_grad(self, tid: int, t: torch.Tensor, info: TensorInfo) -> None:
        grad = t.grad
        known = None if info.grad is None else info.grad()
        # A dead weak reference means the recorded gradient was replaced and freed.
        unchanged = grad is known and not (info.grad is not None and known is None)
        if unchanged:
            return
        gid = None if grad is None else self.tensor_id(grad)
        if gid is not None:
            self.releases.reachable(gid)
        info.grad = None if grad is None else weakref.ref(grad)
        info.grad_watch = True
        self.emit(ftr.API, ftr.API_SET_GRAD, ftr.p_set_grad(tid, gid))

    def manual_seed(self, seed: int) -> None:
        """api manual_seed, as the generator stores it (mod 2**64)."""
        self.flush()
        self.emit(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(int(seed) & ftr.U64_MAX))

    def mark_begin(self, name: str) -> None:
        """A profiler annotation opened (`Optimizer.step#SGD.step`)."""
        self.flush()
        self._marks.append(name)
        self.emit(ftr.API, ftr.API_MARK_BEGIN, ftr.p_mark(name))

    def mark_end(self) -> None:
        """The innermost profiler annotation closed (they nest: the handle
        objects PyTorch passes are fresh wrappers, so the stack decides)."""
        self.flush()
        if not self._marks:
            raise self.fail("a profiler annotation closed that the capture never saw open")
        self.emit(ftr.API, ftr.API_MARK_END, ftr.p_mark(self._marks.pop()))

    def program_error(self, message: str) -> None:
        """The program raised: the last event."""
        self.flush()
        self.emit(ftr.API, ftr.API_PROGRAM_ERROR, ftr.p_program_error(message))

    # -- dispatch layer -----------------------------------------------------

    def op_arguments(self, func: Any, args: tuple, kwargs: dict) -> tuple:
        """`(named arguments, wire arguments)` of a call about to run.

        Taken before the operator runs: introductions carry the values from
        before it, and argument references its versions from before it.
        """
        schema = func._schema
        named = bind_arguments(schema, args, kwargs)
        wire_args = []
        for a in schema.arguments:
            try:
                wire_args.append([a.name, self.arg_value(named[a.name], a.real_type)])
            except UnrecordableValue as e:
                raise self.fail(str(e.at(func, f"argument {a.name!r}"))) from None
        return named, wire_args

    def record_op(self, func: Any, named: dict, wire_args: list, out: Any, tls: TlsState) -> None:
        """Records a call that returned (`tls`: the state it entered the
        dispatcher with); emitted at the next boundary."""
        if self.functions.in_run() or self.unpacking:
            # Program code the engine called back: grad mode, requires_grad
            # and releases are written before its ops (FORMAT.md §3.4.3,
            # §3.4.5).
            self.functions.before_program_code()
        schema = func._schema
        keys = _keyset()
        for value in named.values():
            keys = keys | dispatch_keys_of(value)
        keyset, chain = self.dispatch.derive(func, keys, named, tls)
        keep_value = self._keeps_output_value(schema.name.split("::", 1)[-1])
        try:
            outputs = [self.out_value(v, keep_value) for v in split_returns(schema, out)]
        except UnrecordableValue as e:
            raise self.fail(str(e.at(func, "a result"))) from None
        if self.ctx[0] == ftr.CTX_TOP_LEVEL:
            for value in outputs:
                self._mark_reachable(value)
        self._pending = PendingOp(str(func), keyset, chain, wire_args, outputs, self.ctx, schema.is_mutable)

    def record_op_error(self, func: Any, named: dict, wire_args: list, error: BaseException, tls: TlsState) -> None:
        """Writes the op_error event of a call that raised (format 1.3): the
        call as `record_op` would record it, the exception instead of
        outputs. Nothing is pending (the call's boundary flushed it) and
        nothing follows it: no node, no version bump."""
        keys = _keyset()
        for value in named.values():
            keys = keys | dispatch_keys_of(value)
        keyset, chain = self.dispatch.derive(func, keys, named, tls)
        payload = ftr.p_op_error(str(func), keyset, chain, wire_args, format_program_error(error), self.ctx)
        self.emit(ftr.DISPATCH, ftr.DISPATCH_OP_ERROR, payload)

    def _mark_reachable(self, value: Any) -> None:
        if isinstance(value, OutList):
            for v in value.items:
                self._mark_reachable(v)
        elif isinstance(value, OutTensor):
            self.releases.reachable(value.wire[0])

    def _keeps_output_value(self, base: str) -> bool:
        if self.policy == "none" or base in EMPTY_OPS:
            return False
        return self.policy == "all" or base in RANDOM_OPS

    def arg_value(self, value: Any, real_type: Any) -> list:
        """Wire value of an operator argument."""
        if isinstance(value, torch.Tensor):
            return ftr.v_tensor(self.input_ref(value))
        if isinstance(value, (list, tuple)):
            inner = getattr(real_type, "getElementType", None)
            elem = inner() if inner is not None else None
            return ftr.v_list(self.arg_value(v, elem) for v in value)
        return scalar_value(value, real_type)

    def out_value(self, value: Any, keep_value: bool) -> Any:
        """Output value; tensors become `OutTensor`s finished at emission."""
        if isinstance(value, torch.Tensor):
            digest = self.value_digest(value) if keep_value else None
            return OutTensor(weakref.ref(value), self.output_ref(value, digest))
        if isinstance(value, (list, tuple)):
            return OutList([self.out_value(v, keep_value) for v in value])
        return scalar_value(value, None)

    def _finish_out(self, value: Any, alive: list, bumped: frozenset = frozenset(), view_version: Optional[int] = None) -> list:
        """Wire value of an output once autograd has finished with the call.

        `version` is read now (ADInplaceOrView bumps it after the kernel).
        `requires_grad` is true when the call attached a `grad_fn`, else it is
        the flag the kernel returned the tensor with: a flag set afterwards
        without an operator (`torch.randn(..., requires_grad=True)`,
        `requires_grad_()`) is a set_requires_grad event. A tensor already
        gone keeps what the call showed, except its version: the output of
        an in-place op that went through ADInplaceOrView (`bumped`: the ids of
        the op's tensor arguments then) was bumped once after the kernel
        returned (a weight re-initialised with `uniform_` and then replaced
        by weight tying dies before the boundary); the output of a view op
        (`view_version`: its `self`'s version) was given its base's version
        counter after the kernel returned (observed in torch 2.15: a
        `detach()` of a parameter dropped at once, as `state_dict()` inside
        `torch.save` does, shows version 0 to the mode and its base's after).
        """
        if isinstance(value, OutList):
            return ftr.v_list(self._finish_out(v, alive, bumped, view_version) for v in value.items)
        if not isinstance(value, OutTensor):
            return value
        wire = list(value.wire)
        t = value.ref()
        if t is not None:
            # A custom Function's node is attached when `apply` returns: the
            # operator of its forward returned the tensor without it.
            hidden = self.functions.hides(t.grad_fn)
            if t.grad_fn is not None and not hidden:
                wire[7] = True
            wire[8] = tensor_version(t)
            if hidden and self.functions.dirty(t):
                # The op returned it before `apply` bumped a dirty output.
                wire[8] -= 1
            info = self._info(t)
            if info is not None:
                info.requires_grad, info.leaf = wire[7] or hidden, t.is_leaf
            alive.append(t)
        elif wire[0] in bumped:
            wire[8] += 1
        elif view_version is not None:
            wire[8] = view_version
        return ftr.v_tensor(wire)

    def _emit_op_event(self, op: PendingOp) -> list:
        """Writes the op event; returns the outputs that are still alive."""
        alive: list = []
        bumped = bumped_tensor_ids(op)
        view_version = view_base_version(op)
        op.wire_outputs = [self._finish_out(v, alive, bumped, view_version) for v in op.outputs]
        self.emit(ftr.DISPATCH, ftr.DISPATCH_OP, ftr.p_op(op.op, op.keyset, op.chain, op.args, op.wire_outputs, op.ctx))
        return alive

    def _emit_op(self, op: PendingOp) -> None:
        if op.wire_outputs is None:
            alive = self._emit_op_event(op)
        else:
            alive = live_tensors(op.outputs)
        self._emit_created_nodes(alive)
        self._emit_transfers(op.args, op.wire_outputs)

    def _emit_transfers(self, wire_args: list, outputs: list) -> None:
        """Device transfers: each output paired with the first tensor argument
        that lives on another device."""
        inputs = [v[1] for v in flatten_values([value for _, value in wire_args]) if v[0] == ftr.TAG_TENSOR]
        for value in flatten_values(outputs):
            if value[0] != ftr.TAG_TENSOR:
                continue
            dst = value[1]
            src = next((ref for ref in inputs if ref[6] != dst[6]), None)
            if src is not None:
                self.emit(ftr.DEVICE, ftr.DEV_TRANSFER, ftr.p_transfer(src[0], dst[0], src[6], dst[6]))

    # -- autograd layer: nodes ----------------------------------------------

    def node_created(self, fn: Any) -> None:
        """Node-creation hook: autograd just attached `fn` to the outputs of
        the op that returned last, saved its tensors and wired its edges.

        Writes the op event (once) and the node event, preceded by those of
        the not-yet-seen nodes its edges reach, while the outputs are
        certainly alive. AccumulateGrad nodes are created before their op
        even reaches the dispatch mode; they are written when first reached
        through an edge, as FORMAT.md §3.6.2 orders them. A node that belongs
        to no output of the pending op is left to be written when reached.
        """
        if not self.observing():
            return
        if node_name(fn) != "AccumulateGrad":
            # GraphRoot's sequence number is derived from this count (§6.2).
            self._created_nodes += 1
        if self._in_node_hook:
            return
        self._in_node_hook = True
        try:
            self._node_created(fn)
        except CaptureError:
            raise
        except ftr.TraceError as e:
            raise self.fail(str(e)) from e
        except Exception as e:
            raise self.fail(f"internal error in the node-creation observer: {e!r}") from e
        finally:
            self._in_node_hook = False

    def _node_created(self, fn: Any) -> None:
        op = self._pending
        if node_name(fn) == "AccumulateGrad":
            # The engine makes the AccumulateGrad of a leaf root that has none.
            if self.backward is not None and self.backward.pending_leaves:
                self._root_accumulator(fn)
            return
        if op is None or self.nodes.get(fn) is not None or self.functions.hides(fn):
            return
        outputs = live_tensors(op.outputs)
        if op.mutates and any(t._is_view() for t in outputs):
            # An in-place op on a view: autograd moves the base's history onto
            # a CopySlices node, then regenerates the view's grad_fn and calls
            # this hook for it while holding the view's lock (reading that
            # grad_fn here would deadlock). CopySlices's own call comes after,
            # outside the lock: write the op and its outputs' nodes then.
            if node_name(fn) == "CopySlices":
                if op.wire_outputs is None:
                    self._emit_op_event(op)
                self._emit_created_nodes(outputs)
            return
        tensors = sorted({(t.output_nr, self.tensor_id(t)) for t in outputs if t.grad_fn is fn})
        if not tensors:
            return
        if op.wire_outputs is None:
            self._emit_op_event(op)
        self.emit_node(fn, [tid for _, tid in tensors])

    def _emit_created_nodes(self, outputs: list) -> None:
        groups: dict = {}
        order: list = []
        for t in outputs:
            if not t.requires_grad:
                continue
            fn = t.grad_fn
            if fn is None or self.nodes.get(fn) is not None or self.functions.hides(fn):
                continue
            key = id(fn)
            if key not in groups:
                groups[key] = (fn, [])
                order.append(key)
            groups[key][1].append((t.output_nr, self.tensor_id(t)))
        for key in order:
            fn, tensors = groups[key]
            if self.nodes.get(fn) is None:
                self.emit_node(fn, [tid for _, tid in sorted(set(tensors))])

    def node_id(self, fn: Any) -> int:
        """Id of a node, emitting its node event first if it has none yet."""
        nid = self.nodes.get(fn)
        if nid is None:
            tensors = []
            if node_name(fn) == "AccumulateGrad":
                tensors = [self.tensor_id(fn.variable)]
            nid = self.emit_node(fn, tensors)
        return nid

    def emit_node(self, fn: Any, tensors: list) -> int:
        """Node event, preceded by those of not-yet-seen nodes its edges reach."""
        edges = []
        for nxt, input_nr in fn.next_functions:
            edges.append(ftr.edge(None if nxt is None else self.node_id(nxt), input_nr))
        nid = self.nodes.assign(fn)
        payload = ftr.p_node(nid, node_name(fn), self.node_seq(fn), edges, tensors)
        self.emit(ftr.AUTOGRAD, ftr.AG_NODE, payload)
        return nid

    def node_seq(self, fn: Any) -> int:
        """Sequence number counted from the start of the recording."""
        raw = fn._sequence_nr()
        if raw == ftr.ACCUMULATE_GRAD_SEQ:
            return raw
        if raw < self._seq_base:
            raise self.fail(f"node {node_name(fn)} was created before the capture started")
        return raw - self._seq_base

    # -- autograd layer: backward -------------------------------------------

    def begin_backward(self, call: EngineCall) -> None:
        """Emits the api event (`backward`, or `grad` for a call naming
        inputs) and plans the GraphTask."""
        outer = None
        if self.backward is not None:
            # A backward() called while the engine runs a node (reentrant
            # checkpointing): a nested GraphTask at depth + 1 (§6.7).
            outer = (self.backward, self.ctx)
            if self.functions.in_run():
                self.functions.before_program_code()
        self.flush()
        self.check_state()
        roots = [self.tensor_id(t) for t in call.roots]
        grads = [None if g is None else self.tensor_id(g) for g in call.grads]
        if call.restricted:
            inputs = [self.tensor_id(t) for t in call.inputs]
            payload = ftr.p_grad(roots, grads, inputs, call.keep, call.create, call.accumulate, call.allow_unused)
            self.emit(ftr.API, ftr.API_GRAD, payload)
        else:
            self.emit(ftr.API, ftr.API_BACKWARD, ftr.p_backward(roots, grads, call.keep, call.create))
        self.ctx = ftr.context(ftr.CTX_BACKWARD)
        if call.roots and all(t.requires_grad for t in call.roots):
            self.backward = self._plan(call)
            if outer is not None:
                self.backward.depth = outer[0].depth + 1
                self.backward.outer = outer
            self.hooks.mark_retaining(self.backward)
        elif outer is not None:
            raise self.fail("unsupported: a backward() inside a running backward whose roots do not all require grad")

    def _plan(self, call: EngineCall) -> BackwardState:
        """Walks the graph below the roots: node events for unseen nodes, a
        pre-hook on every reachable node. A leaf root without a live
        AccumulateGrad is left pending (`_root_accumulator`)."""
        bw = BackwardState(call, GRAPH_ROOT if len(call.roots) > 1 else -2, [], {}, {}, created_at_begin=self._created_nodes)
        root_fns = []
        for index, t in enumerate(call.roots):
            fn = t.grad_fn if t.grad_fn is not None else capture_engine.find_accumulator(self, t)
            if fn is None:
                bw.pending_leaves[index] = weakref.ref(t)
                bw.root_edges.append(None)
                continue
            nid = self.node_id(fn)
            bw.root_edges.append(ftr.edge(nid, t.output_nr if t.grad_fn is not None else 0))
            root_fns.append(fn)
        if len(call.roots) == 1 and root_fns:
            bw.root = bw.root_edges[0][0]
        for fn in root_fns:
            self._walk(bw, fn)
        return bw

    def _walk(self, bw: BackwardState, root_fn: Any) -> None:
        nid = self.nodes.get(root_fn)
        if nid in bw.plan:
            return
        bw.plan[nid] = self._node_plan(root_fn, nid)
        stack = [root_fn]
        while stack:
            fn = stack.pop()
            nid = self.nodes.get(fn)
            bw.successors[nid] = []
            bw.handles.append(fn.register_prehook(self._prehook(nid, bw)))
            self.functions.plan(fn, nid)
            for nxt, _ in fn.next_functions:
                if nxt is None:
                    continue
                nxt_id = self.node_id(nxt)
                bw.successors[nid].append(nxt_id)
                if nxt_id not in bw.plan:
                    bw.plan[nxt_id] = self._node_plan(nxt, nxt_id)
                    stack.append(nxt)

    def _root_accumulator(self, fn: Any) -> None:
        """The engine created the AccumulateGrad of a leaf root (node-creation
        hook): its node event, its pre-hook, its place among the roots."""
        bw = self.backward
        leaf = fn.variable
        for index, ref in list(bw.pending_leaves.items()):
            if ref() is not leaf:
                continue
            self.flush()
            del bw.pending_leaves[index]
            nid = self.node_id(fn)
            bw.root_edges[index] = ftr.edge(nid, 0)
            if len(bw.call.roots) == 1:
                bw.root = nid
            self._walk(bw, fn)

    def _derive_schedule(self, bw: BackwardState) -> None:
        """Dependency counts, which nodes run or capture, and the ReadyQueue
        order, once every root's node is known."""
        if bw.pending_leaves:
            index = min(bw.pending_leaves)
            raise self.fail(
                f"unsupported: backward from leaf root {index} whose AccumulateGrad the capture cannot reach "
                "(no tracked graph holds it and the engine did not create one)"
            )
        if bw.root == GRAPH_ROOT:
            bw.successors[GRAPH_ROOT] = [edge[0] for edge in bw.root_edges]
            bw.plan[GRAPH_ROOT] = NodePlan(GRAPH_ROOT, self._graph_root_seq(bw))
        for nid, count in dependency_counts(bw.root, bw.successors).items():
            bw.plan[nid].deps = count
        key = {nid: (0, p.seq) for nid, p in bw.plan.items()}
        if bw.call.restricted:
            outputs = [self._input_node(bw, t) for t in bw.call.inputs]
            runs, captures = capture_engine.exec_marks(bw.root, bw.successors, outputs, bw.call.accumulate)
            bw.steps = simulate_schedule(bw.root, bw.successors, key, runs, captures)
        else:
            bw.steps = simulate_schedule(bw.root, bw.successors, key)

    def _input_node(self, bw: BackwardState, t: torch.Tensor) -> Optional[int]:
        """The plan key of an input's node: its `grad_fn`, or for a leaf the
        AccumulateGrad found below the roots (None: no edge reaches it, so
        it is PyTorch's fresh `Identity` or a node of another graph)."""
        if t.grad_fn is not None:
            nid = self.nodes.get(t.grad_fn)
            return nid if nid in bw.plan else None
        for nid, p in bw.plan.items():
            if p.leaf is not None and p.leaf() is t:
                return nid
        return None

    def _graph_root_seq(self, bw: BackwardState) -> int:
        """GraphRoot's sequence number, derived from the counter: the engine
        made it last before running (after any `Identity` of an unreachable
        input), and since then only nodes the creation hook saw took numbers.
        Observed in torch 2.15: `backward([y, z])` advances the counter by
        one; at the first node's pre-hook it stands at GraphRoot's + 1."""
        since = self._created_nodes - bw.created_at_begin
        return _C._autograd._get_sequence_nr() - 1 - since - self._seq_base

    def _node_plan(self, fn: Any, nid: int) -> NodePlan:
        leaf = None
        if node_name(fn) == "AccumulateGrad":
            leaf = weakref.ref(fn.variable)
        return NodePlan(nid, self.node_seq(fn), leaf=leaf)

    def _prehook(self, nid: int, bw: BackwardState) -> Callable:
        def hook(grad_outputs: Any) -> None:
            if self.backward is not bw:
                # A node of an outer GraphTask that a nested one also runs.
                return None
            try:
                self.node_started(nid)
                self.hooks.retained(nid)
            except BaseException as e:  # never raise through the engine
                self.fail(f"internal error in the autograd observer: {e!r}")
            return None

        return hook

    def _queue_event(self, kind: int, key: int) -> None:
        p = self.backward.plan[key]
        self.emit(ftr.AUTOGRAD, kind, ftr.p_queue(p.nid, self.backward.depth, p.seq, p.deps))

    def node_started(self, nid: int) -> None:
        """The engine popped node `nid` and is about to run it: called by
        its pre-hook, or earlier by the first hook PyTorch runs for it
        (tensor hooks run before pre-hooks); later calls do nothing."""
        bw = self.backward
        if bw is None or bw.mismatch is not None or bw.current == nid or bw.closed:
            return
        self.flush()
        if not bw.started:
            self._start_graph_task(bw)
        else:
            self._finish_node()
        self._advance(bw, nid)
        if bw.mismatch is not None:
            return
        bw.current = nid
        self._queue_event(ftr.AG_POP, nid)
        self.ctx = ftr.context(ftr.CTX_NODE, nid)

    def _start_graph_task(self, bw: BackwardState) -> None:
        """The engine began: the schedule is derived now (every root's node
        exists); GraphRoot's node event, graph_task_begin, the root's push."""
        bw.started = True
        self._derive_schedule(bw)
        if bw.root == GRAPH_ROOT:
            edges = [ftr.edge(e[0], e[1]) for e in bw.root_edges]
            nid = self.nodes.assign_id()
            bw.plan[GRAPH_ROOT].nid = nid
            self.emit(ftr.AUTOGRAD, ftr.AG_NODE, ftr.p_node(nid, "GraphRoot", bw.plan[GRAPH_ROOT].seq, edges, []))
        call = bw.call
        self.emit(ftr.AUTOGRAD, ftr.AG_GRAPH_TASK_BEGIN, ftr.p_graph_task_begin(bw.root_edges, bw.depth, call.keep, call.create))
        self._queue_event(ftr.AG_PUSH, bw.root)

    def _advance(self, bw: BackwardState, nid: Optional[int]) -> None:
        """Writes the derived pops before node `nid` (None: the end of the
        GraphTask): GraphRoot's (it has no pre-hook) with its pushes, and
        those of nodes that only capture (popped, never run). Any other
        step before `nid` is a node the engine should have run: mismatch."""
        while bw.position < len(bw.steps):
            step = bw.steps[bw.position]
            if step.node == nid:
                return
            if step.runs and step.node != GRAPH_ROOT:
                break
            self._queue_event(ftr.AG_POP, step.node)
            for pushed in step.pushed:
                self._queue_event(ftr.AG_PUSH, pushed)
            bw.position += 1
        if nid is None and bw.position == len(bw.steps):
            return
        expected = bw.steps[bw.position].node if bw.position < len(bw.steps) else "nothing"
        got = "nothing more" if nid is None else f"node {nid}"
        bw.mismatch = (
            f"derived ReadyQueue order differs from the observed order at pop {bw.position}: "
            f"derived node {expected}, engine ran {got}"
        )
        self.fail(bw.mismatch)

    def _finish_node(self) -> None:
        bw = self.backward
        nid = bw.current
        if nid is None:
            return
        plan = bw.plan[nid]
        step = bw.steps[bw.position]
        if step.runs and plan.leaf is not None and not plan.accumulated:
            self._accumulate(nid, plan.leaf())
        if not step.runs:
            # Seen through its tensor hooks only (no pre-hook): its retain-grad
            # hooks ran all the same (observed in torch 2.15).
            self.hooks.retained(nid)
        for pushed in step.pushed:
            self._queue_event(ftr.AG_PUSH, pushed)
        bw.position += 1
        bw.current = None
        self.ctx = ftr.context(ftr.CTX_BACKWARD)

    def accumulate_now(self, nid: int) -> None:
        """AccumulateGrad `nid` stored its gradient and is about to call a
        post-accumulate-grad hook: its `accumulate` event comes first (the
        hook may change `.grad`)."""
        bw = self.backward
        plan = None if bw is None else bw.plan.get(nid)
        if plan is None or plan.leaf is None or plan.accumulated:
            return
        self.flush()
        plan.accumulated = True
        self._accumulate(nid, plan.leaf())

    def guarded(self, action: Callable) -> Any:
        """Runs capture bookkeeping inside a hook the engine called: a
        failure is the capture's (exit 4), never the program's."""
        try:
            return action()
        except CaptureError:
            raise
        except Exception as e:
            raise self.fail(f"internal error in the hook observer: {e!r}") from e

    def _accumulate(self, nid: int, leaf: Optional[torch.Tensor]) -> None:
        grad = None if leaf is None else leaf.grad
        if grad is None:
            return
        leaf_id = self.tensor_id(leaf)
        self.tensor_id(grad)
        digest = self.value_digest(grad) if self.policy == "all" else None
        ref = self.output_ref(grad, digest)
        self.releases.reachable(ref[0])
        info = self._info(leaf)
        info.grad = weakref.ref(grad)
        info.grad_watch = True
        self.emit(ftr.AUTOGRAD, ftr.AG_ACCUMULATE, ftr.p_accumulate(nid, leaf_id, ref))

    def end_backward(self, completed: bool, error: Optional[BaseException] = None) -> None:
        """After the engine returned (or raised): closes the GraphTask.

        When the program's backward raised `error`, a graph_task_error takes
        graph_task_end's place, where the engine stopped: after the pop of
        the node that raised and the ops it ran (observed in torch 2.15: the
        version check of a saved tensor raises from the node's apply, after
        its pre-hook; "element 0 of tensors does not require grad" and
        "grad can be implicitly created only for scalar outputs" raise before
        the engine starts, so no graph_task_begin precedes it).
        """
        bw = self.backward
        try:
            self.flush()
            if bw is not None and completed and bw.mismatch is None and not bw.closed:
                self._close_graph_task(bw)
            elif error is not None and not isinstance(error, CaptureError) and (bw is None or (bw.mismatch is None and not bw.closed)):
                self.emit(ftr.AUTOGRAD, ftr.AG_GRAPH_TASK_ERROR, ftr.p_graph_task_error(format_program_error(error)))
        finally:
            self._leave_backward(bw)
            for handle in bw.handles if bw is not None else ():
                handle.remove()
        if bw is not None and bw.mismatch is not None:
            raise self.fail(bw.mismatch)

    def engine_returned(self, result: Any) -> None:
        """The engine call of `backward()` / `autograd.grad` returned: the
        GraphTask ends here (graph_task_end, then grad_result for
        `autograd.grad`); what Python runs after it in the same call
        (`materialize_grads`) is top-level code."""
        bw = self.backward
        if bw is None or bw.mismatch is not None or bw.closed:
            return
        self.flush()
        self._close_graph_task(bw)
        if bw.call.restricted and not bw.call.accumulate and result is not None:
            self._grad_result(result)
        self.ctx = ftr.context(ftr.CTX_TOP_LEVEL) if bw.outer is None else bw.outer[1]

    def _leave_backward(self, bw: Optional[BackwardState]) -> None:
        """The engine call of `bw` is over: back to the GraphTask it ran in
        (and that one's node context), or to the top level."""
        if bw is not None and bw.outer is not None:
            self.backward, self.ctx = bw.outer
        else:
            self.backward = None
            self.ctx = ftr.context(ftr.CTX_TOP_LEVEL)

    def _close_graph_task(self, bw: BackwardState) -> None:
        bw.closed = True
        if not bw.started:
            self._start_graph_task(bw)
        self._finish_node()
        self._advance(bw, None)
        if bw.mismatch is not None:
            raise self.fail(bw.mismatch)
        executed = sum(1 for step in bw.steps if step.runs)
        self.emit(ftr.AUTOGRAD, ftr.AG_GRAPH_TASK_END, ftr.p_graph_task_end(executed))

    def _grad_result(self, grads: Any) -> None:
        """api grad_result: the returned gradients as references (no value);
        the program holds them, so they are released when they die."""
        refs = []
        for g in grads:
            if g is None:
                refs.append(None)
                continue
            self.tensor_id(g)
            ref = self.output_ref(g, None)
            self.releases.reachable(ref[0])
            refs.append(ref)
        self.emit(ftr.API, ftr.API_GRAD_RESULT, ftr.p_grad_result(refs))

    def raise_failure(self) -> None:
        """Raises the capture's failure, if any (after a wrapped call)."""
        if self.failure is not None:
            raise CaptureError(self.failure)


def live_tensors(outputs: list) -> list:
    """The tensors among pending outputs (`OutTensor`, `OutList`) still alive."""
    out = []
    for value in outputs:
        if isinstance(value, OutList):
            out.extend(live_tensors(value.items))
        elif isinstance(value, OutTensor):
            t = value.ref()
            if t is not None:
                out.append(t)
    return out


def bumped_tensor_ids(op: PendingOp) -> frozenset:
    """Ids of the tensor arguments whose version ADInplaceOrView bumps after
    the kernel of a mutating op: every tensor argument of an op whose chain
    ran the ADInplaceOrView kernel (inference tensors skip the key)."""
    if not op.mutates or ["ADInplaceOrView", "kernel"] not in op.chain:
        return frozenset()
    ids = set()

    def collect(value: list) -> None:
        if value[0] == ftr.TAG_TENSOR:
            ids.add(value[1][0])
        elif value[0] == ftr.TAG_LIST:
            for item in value[1]:
                collect(item)

    for _, value in op.args:
        collect(value)
    return frozenset(ids)


def covers_storage(t: torch.Tensor) -> bool:
    """Whether a tensor's elements are exactly its storage's, in order."""
    return t.storage_offset() == 0 and t.is_contiguous() and t.numel() * t.element_size() == t.untyped_storage().nbytes()


def view_base_version(op: PendingOp) -> Optional[int]:
    """The version of `self` for a view op (a non-mutating op whose chain ran
    the ADInplaceOrView kernel): its outputs share `self`'s version counter."""
    if op.mutates or ["ADInplaceOrView", "kernel"] not in op.chain:
        return None
    for _, value in op.args:
        if value[0] == ftr.TAG_TENSOR:
            return value[1][8]
    return None


def tensor_version(t: torch.Tensor) -> int:
    """`t._version`; 0 for inference tensors, which have no version counter."""
    try:
        return int(t._version)
    except RuntimeError:
        return 0


def dispatch_keys_of(value: Any) -> Any:
    """Union of the dispatch keys of the tensors (and generators) in a value."""
    if isinstance(value, torch.Tensor):
        return _C._dispatch_keys(value)
    if isinstance(value, (list, tuple)):
        out = _keyset()
        for v in value:
            out = out | dispatch_keys_of(v)
        return out
    if isinstance(value, torch.Generator):
        return _keyset(getattr(_DK, _C._dispatch_key_for_device(value.device.type)))
    return _keyset()


def bind_arguments(schema: Any, args: tuple, kwargs: dict) -> dict:
    """Every schema argument by name, positional and keyword, defaults filled."""
    named = {}
    params = schema.arguments
    if len(args) > len(params):
        raise CaptureError(f"{schema.name} received {len(args)} positional arguments for {len(params)} parameters")
    for param, value in zip(params, args):
        named[param.name] = value
    for param in params[len(args):]:
        if param.name in kwargs:
            named[param.name] = kwargs[param.name]
        elif param.has_default_value():
            named[param.name] = param.default_value
        else:
            named[param.name] = None
    unknown = set(kwargs) - {p.name for p in params}
    if unknown:
        raise CaptureError(f"{schema.name} received unknown keyword arguments {sorted(unknown)}")
    return named


def split_returns(schema: Any, out: Any) -> list:
    """One value per schema return (a tuple of results is flattened)."""
    count = len(schema.returns)
    if count == 0:
        return []
    if count == 1:
        return [out]
    return list(out)


def _enum_name(names: tuple, value: int, what: str) -> str:
    if 0 <= value < len(names):
        return names[value]
    raise CaptureError(f"unknown {what} enum value {value}")


def scalar_value(value: Any, real_type: Any) -> list:
    """Wire value of a non-tensor argument or result (FORMAT §3.1)."""
    if value is None:
        return ftr.v_none()
    if isinstance(value, bool):
        return ftr.v_bool(value)
    if isinstance(value, torch.dtype):
        return ftr.v_dtype(dtype_name(value))
    if isinstance(value, torch.layout):
        return ftr.v_layout(str(value).removeprefix("torch."))
    if isinstance(value, torch.memory_format):
        return ftr.v_memory_format(str(value).removeprefix("torch."))
    if isinstance(value, torch.device):
        return ftr.v_device(device_name(value))
    if isinstance(value, (int, torch.SymInt)):
        return _int_value(int(value), str(real_type) if real_type is not None else "")
    if isinstance(value, (float, torch.SymFloat)):
        return ftr.v_float(float(value))
    if isinstance(value, str):
        return ftr.v_str(value)
    if isinstance(value, torch.Generator):
        return ftr.v_str(f"generator:{value.device}")
    raise UnrecordableValue(value)


def _int_value(value: int, type_name: str) -> list:
    # Schema defaults of enum-typed arguments arrive as their c10 enum numbers.
    if "ScalarType" in type_name:
        return ftr.v_dtype(_enum_name(SCALAR_TYPE_NAMES, value, "ScalarType"))
    if "Layout" in type_name:
        return ftr.v_layout(_enum_name(LAYOUT_NAMES, value, "Layout"))
    if "MemoryFormat" in type_name:
        return ftr.v_memory_format(_enum_name(MEMORY_FORMAT_NAMES, value, "MemoryFormat"))
    return ftr.v_int(value)


def flatten_values(values: list) -> list:
    """Depth-first list of the scalar and tensor values inside values."""
    out = []
    for v in values:
        if v[0] == ftr.TAG_LIST:
            out.extend(flatten_values(v[1]))
        else:
            out.append(v)
    return out


# ---------------------------------------------------------------------------
# Observers.


def _is_induced(func: Any) -> bool:
    # Calls that came through the dispatcher reach the mode with
    # ADInplaceOrView (and much more) excluded by the Python key's fallback;
    # calls the Python interpreter issues directly (detach for SavedVariable)
    # do not.
    return not _C._dispatch_tls_is_dispatch_key_excluded(_DK.ADInplaceOrView)


class CaptureMode(TorchDispatchMode):
    """The dispatch-layer observer."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.rec = recorder

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        rec = self.rec
        if not rec.observing():
            return func(*args, **kwargs)
        if _is_induced(func):
            # Not an event, so not a boundary: the detach that saves relu's
            # output comes after relu returned, before its node's hook call.
            return self._induced(func, args, kwargs)
        self._guard(rec.flush)
        if func.namespace == "profiler":
            return self._profiler(func, args, kwargs)
        if rec.ctx[0] == ftr.CTX_TOP_LEVEL:
            self._guard(rec.check_state)
        named, wire_args = self._guard(lambda: rec.op_arguments(func, args, kwargs))
        tls = self._guard(entry_tls)
        try:
            out = func(*args, **kwargs)
        except Exception as error:
            # The kernel raised (a shape error, an index out of range): the
            # call is an op_error event and the exception goes on to the
            # program, which may catch it.
            self._guard(lambda: rec.record_op_error(func, named, wire_args, error, tls))
            raise
        self._guard(lambda: rec.record_op(func, named, wire_args, out, tls))
        return out

    def _guard(self, action: Callable) -> Any:
        """Runs capture bookkeeping; its own failures end the capture (exit 4)
        instead of looking like errors of the program."""
        try:
            return action()
        except CaptureError:
            raise
        except ftr.TraceError as e:
            raise self.rec.fail(str(e)) from e
        except Exception as e:
            raise self.rec.fail(f"internal error in the capture: {e!r}") from e

    def _induced(self, func, args, kwargs):
        if func is not torch.ops.aten.detach.default:
            raise self.rec.fail(f"unexpected observer-induced call of {func}")
        out = func(*args, **kwargs)
        self._guard(lambda: self.rec.alias(out, args[0]))
        return out

    def _profiler(self, func, args, kwargs):
        out = func(*args, **kwargs)
        name = func._schema.name
        if name == "profiler::_record_function_enter_new":
            self._guard(lambda: self.rec.mark_begin(str(args[0])))
        elif name == "profiler::_record_function_exit":
            self._guard(self.rec.mark_end)
        else:
            raise self.rec.fail(f"unsupported: profiler operator {func}")
        return out


class ThreadSentinel(TorchDispatchMode):
    """Pushed in every thread the program starts (dispatch modes are per
    thread, so the capture's own mode is not there): the thread's first
    operator is the capture's failure (`Recorder.foreign_thread`); the call
    itself runs on, as does every later one. A thread that never calls an
    operator (a progress bar's monitor, logging) is not refused."""

    def __init__(self, recorder: Recorder, thread: threading.Thread) -> None:
        super().__init__()
        self.rec = recorder
        self.thread = thread
        self.reported = False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not self.reported:
            self.reported = True
            self.rec.foreign_thread(self.thread, f"ran {func}")
        return func(*args, **(kwargs or {}))


class Patches:
    """Wrapped Python entry points for the api layer, undone on exit."""

    def __init__(self, rec: Recorder, on_exit: Callable[[Any], int]) -> None:
        self.rec = rec
        self._on_exit = on_exit
        self._saved: list = []

    def __enter__(self) -> "Patches":
        import torch.random

        seed = self._wrap_seed(torch.manual_seed)
        self._set(torch, "manual_seed", seed)
        self._set(torch.random, "manual_seed", seed)
        capture_engine.install(self, self.rec)
        self._set(os, "_exit", self._wrap_exit(os._exit))
        capture_hooks.install(self, self.rec)
        capture_functions.install(self, self.rec)
        capture_saved_hooks.install(self, self.rec)
        capture_data.install(self, self.rec)
        self._set(threading.Thread, "_bootstrap_inner", self._wrap_thread(threading.Thread._bootstrap_inner))
        self._set(torch._utils, "_rebuild_tensor", self._wrap_rebuild(torch._utils._rebuild_tensor))
        self._set(torch.Tensor, "share_memory_", self._refuse_share(torch.Tensor.share_memory_))
        self._default_dtype = torch.get_default_dtype()
        return self

    def __exit__(self, *exc: Any) -> None:
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)
        # A program may leave another default dtype; the next in-process
        # capture must start from the one found here.
        torch.set_default_dtype(self._default_dtype)

    def _set(self, module: Any, name: str, value: Any) -> None:
        self._saved.append((module, name, getattr(module, name)))
        setattr(module, name, value)

    def _wrap_seed(self, original: Callable) -> Callable:
        rec = self.rec

        def manual_seed(seed):
            result = original(seed)
            if rec.observing():
                rec.manual_seed(seed)
            elif threading.get_ident() != rec.thread:
                rec.foreign_thread(threading.current_thread(), "called torch.manual_seed")
            return result

        return manual_seed

    def _wrap_exit(self, original: Callable) -> Callable:
        on_exit = self._on_exit
        rec = self.rec

        def _exit(code):
            # A status that is not an int makes os._exit raise TypeError
            # and the program go on: nothing ends then.
            if rec.owns_process() and isinstance(code, int):
                code = on_exit(code)
            original(code)

        return _exit

    def _wrap_thread(self, original: Callable) -> Callable:
        """Every `threading.Thread` (subclasses overriding `run`, timers,
        executor workers) starts through `_bootstrap_inner`: it runs under a
        `ThreadSentinel` in the capturing process."""
        rec = self.rec

        def _bootstrap_inner(thread):
            if not rec.owns_process():
                return original(thread)
            with ThreadSentinel(rec, thread):
                return original(thread)

        return _bootstrap_inner

    def _refuse_share(self, original: Callable) -> Callable:
        """`Tensor.share_memory_()` (also `nn.Module.share_memory()`) moves a
        tensor into shared memory (observed in torch 2.15: an
        `aten.set_.source_Storage` the mode sees) so that other processes
        write it, as in Hogwild training: their writes would be missing from
        the trace, so it is refused by name."""
        rec = self.rec

        @functools.wraps(original)
        def share_memory_(tensor, *args, **kwargs):
            if rec.observing():
                raise rec.fail(
                    "unsupported: Tensor.share_memory_() (nn.Module.share_memory, Hogwild training): other "
                    "processes would write the tensor, and a trace holds one process's operators"
                )
            return original(tensor, *args, **kwargs)

        return share_memory_

    def _wrap_rebuild(self, original: Callable) -> Callable:
        """`torch._utils._rebuild_tensor` builds a tensor over an existing
        storage (`empty` + `set_` on it): a batch arriving from a DataLoader
        worker process through shared memory, a tensor read by `torch.load`.
        Its value was not computed by an operator the trace holds, so the
        two calls are not events; the tensor is introduced (api `tensor`,
        with its value) when an op first names it. `functools.wraps` keeps
        the function picklable by name, as multiprocessing sends it."""
        rec = self.rec

        @functools.wraps(original)
        def _rebuild_tensor(*args, **kwargs):
            if not rec.observing():
                return original(*args, **kwargs)
            with rec.unobserved():
                t = original(*args, **kwargs)
            rec.rebuilt(t)
            return t

        return _rebuild_tensor


# ---------------------------------------------------------------------------
# Running a program.


@dataclass
class CaptureResult:
    """How a capture ended.

    `message`: the failure (status 4) or the program's error (status 3);
    `ending`: how the program ended when it did not simply return ("the
    program raised (...)", "... called os._exit(0)"), said in one line;
    `forked_child`: the program forked and this is the child, which returned
    from it: it writes nothing and says nothing (`status` is its own).
    """

    status: int
    message: str = ""
    ending: str = ""
    forked_child: bool = False


def format_program_error(exc: BaseException) -> str:
    """`ExceptionType: message`."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def program_ending(error: BaseException) -> str:
    """How the program ended, for the one line the capture prints."""
    if isinstance(error, SystemExit) and isinstance(error.code, int):
        return f"the program exited with status {error.code} (sys.exit)"
    return f"the program raised ({format_program_error(error)})"


def finish_at_os_exit(rec: "Recorder", file_writer: ftr.FileTraceWriter, code: Any, abort: Callable[[], None]) -> CaptureResult:
    """The program called `os._exit(code)`: it ended there, so the trace is
    finished as at the end of the program (a nonzero status is a
    `program_error ["os._exit(code)"]`, as `sys.exit` gives one), unless a
    capture failure is pending or a `backward()` is running (its GraphTask
    never ends) or another thread called it: then it is left as `.partial`."""
    ending = f"the program called os._exit({code})"
    if threading.get_ident() != rec.thread:
        # The capturing thread may be in the middle of an event: the file is
        # left as it is, every chunk written so far readable.
        name = threading.current_thread().name
        return CaptureResult(EXIT_INCONSISTENT, f"unsupported: thread {name!r} called os._exit({code}) while the main thread ran; the trace is left unfinished")
    try:
        if rec.failure is not None:
            raise CaptureError(rec.failure)
        if rec.backward is not None:
            raise rec.fail(f"unsupported: {ending} inside backward() (its GraphTask never ended)")
        if code != 0:
            rec.program_error(f"os._exit({code})")
        rec.flush()
        file_writer.finish()
    except CaptureError as e:
        abort()
        return CaptureResult(EXIT_INCONSISTENT, str(e))
    status = EXIT_OK if code == 0 else EXIT_PROGRAM_ERROR
    return CaptureResult(status, "" if code == 0 else f"os._exit({code})", ending)


def child_status(error: Optional[BaseException]) -> int:
    """Exit status of a forked child that returned from the program, as
    Python gives it (traceback printed for an exception)."""
    if error is None:
        return 0
    if isinstance(error, SystemExit):
        return error.code if isinstance(error.code, int) else 1
    traceback.print_exception(error)
    return 1


def report(result: CaptureResult, out: str) -> None:
    """The one line on stderr for a capture that did not simply record."""
    if result.forked_child:
        return
    if result.status == EXIT_INCONSISTENT:
        print(f"capture_torch.py: error: {result.message}", file=sys.stderr, flush=True)
    elif result.ending:
        print(f"capture_torch.py: {result.ending}; trace written to {out}", file=sys.stderr, flush=True)


def run_program(program: str, argv: list) -> None:
    """Runs the program as `__main__` with its own argv and sys.path[0]."""
    saved_argv, saved_path0 = sys.argv, sys.path[0]
    sys.argv = [program] + list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(program))
    try:
        runpy.run_path(program, run_name="__main__")
    finally:
        sys.argv = saved_argv
        sys.path[0] = saved_path0


def capture(program: str, out: str, policy: str = "all", timestamps: bool = True, argv: Optional[list] = None) -> CaptureResult:
    """Records `program` into `out`; the trace is finished unless status is 4."""
    meta = ftr.Meta(
        PRODUCER,
        program,
        policy,
        (("torch_version", torch.__version__), ("python_version", platform.python_version())),
    )
    file_writer = ftr.FileTraceWriter(out, meta)
    rec = Recorder(file_writer.writer, policy, timestamps)

    def abort() -> None:
        try:
            rec.flush()
        except BaseException:
            pass
        file_writer.abort()

    def leave(code: Any) -> int:
        result = finish_at_os_exit(rec, file_writer, code, abort)
        report(result, out)
        return result.status

    error: Optional[BaseException] = None
    try:
        with Patches(rec, leave), CaptureMode(rec), torch.autograd.graph.node_creation_hook(rec.node_created):
            try:
                run_program(program, argv or [])
            except SystemExit as e:
                if e.code not in (None, 0):
                    error = e
            except CaptureError:
                raise
            except BaseException as e:  # the program raised
                error = e
        if not rec.owns_process():
            return CaptureResult(child_status(error), forked_child=True)
        if rec.failure is not None:
            raise CaptureError(rec.failure)
        if error is not None:
            if not isinstance(error, SystemExit):
                traceback.print_exception(error)
            rec.program_error(format_program_error(error))
        rec.flush()
        file_writer.finish()
    except CaptureError as e:
        abort()
        return CaptureResult(EXIT_INCONSISTENT, str(e))
    if error is not None:
        return CaptureResult(EXIT_PROGRAM_ERROR, format_program_error(error), program_ending(error))
    return CaptureResult(EXIT_OK)


def parse_args(argv: list) -> argparse.Namespace:
    """Command line; arguments after `--` go to the program."""
    program_args: list = []
    if "--" in argv:
        cut = argv.index("--")
        argv, program_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(
        prog="capture_torch.py",
        description="Record a PyTorch program as a FrankenTorch trace (.ftr).",
        epilog="Exit status: 0 recorded (also a program ending with os._exit(0)); 2 usage error; "
        "3 the program raised, called sys.exit(n) or os._exit(n) with n not 0 (trace finished, "
        "last event program_error); 4 internal inconsistency or unsupported feature "
        "(trace left as OUT.partial).",
    )
    parser.add_argument("program", help="the PyTorch script to run (as __main__)")
    parser.add_argument("-o", "--output", required=True, help="trace file to write")
    parser.add_argument("--values", choices=ftr.VALUE_POLICIES, default="all", help="which tensor values to store (default: all)")
    parser.add_argument("--zero-timestamps", action="store_true", help="write ts=0 so two captures are byte-identical")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.program):
        parser.error(f"program not found: {args.program}")
    args.program_args = program_args
    return args


def main(argv: Optional[list] = None) -> int:
    """CLI entry point; returns the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        result = capture(args.program, args.output, args.values, not args.zero_timestamps, args.program_args)
    except OSError as e:
        print(f"capture_torch.py: error: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    report(result, args.output)
    return result.status


if __name__ == "__main__":
    sys.exit(main())
