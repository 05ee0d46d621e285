"""Identities without strong references: tensor ids and what the capture
remembers of them, storage ids, releases, node ids (docs/CAPTURE.md §5)."""

from __future__ import annotations

import itertools
import os
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch
from torch.multiprocessing.reductions import StorageWeakRef

from .errors import CaptureError

# `StorageWeakRef.expired` without its two Python frames.
_expired = torch.UntypedStorage._expired


class IdentityMap:
    """Objects (tensors) to values by identity, an entry dropped when its
    object dies: `torch.utils.weak.WeakIdKeyDictionary` without the wrapper
    object that dictionary makes for every lookup. Iteration is in insertion
    order over a snapshot, so deaths while iterating are harmless."""

    def __init__(self) -> None:
        # id(obj) -> (weakref to obj, value); read directly by hot paths
        self.entries: dict = {}

    def get(self, obj: Any, default: Any = None) -> Any:
        """The value of `obj`, or `default`."""
        entry = self.entries.get(id(obj))
        if entry is not None and entry[0]() is obj:
            return entry[1]
        return default

    def __contains__(self, obj: Any) -> bool:
        entry = self.entries.get(id(obj))
        return entry is not None and entry[0]() is obj

    def __getitem__(self, obj: Any) -> Any:
        entry = self.entries.get(id(obj))
        if entry is None or entry[0]() is not obj:
            raise KeyError(obj)
        return entry[1]

    def __setitem__(self, obj: Any, value: Any) -> None:
        key = id(obj)
        entries = self.entries

        def died(ref: weakref.ref) -> None:
            entry = entries.get(key)
            if entry is not None and entry[0] is ref:
                del entries[key]

        entries[key] = (weakref.ref(obj, died), value)

    def items(self) -> list:
        """`(obj, value)` of the live entries, in insertion order."""
        out = []
        for ref, value in list(self.entries.values()):
            obj = ref()
            if obj is not None:
                out.append((obj, value))
        return out

    def keys(self) -> list:
        """The live objects, in insertion order."""
        return [obj for obj, _ in self.items()]


@dataclass(slots=True)
class TensorInfo:
    """What the capture remembers about a live tensor (no strong references
    but a sparse tensor's parts)."""

    tid: int
    requires_grad: bool = False
    leaf: bool = True
    watch: bool = True
    grad: Optional[weakref.ref] = None
    grad_watch: bool = False
    # A sparse COO tensor's indices and values, held while it lives: the
    # same parts keep their ids (`_indices()` gives the same object then).
    parts: Optional[tuple] = None


def wrapped_refusal(tensor: torch.Tensor) -> str:
    """The one-line refusal of a torch.func wrapper outside an operator
    (docs/CAPTURE.md §6.8): a hook, a custom Function or `.grad` of a
    tensor inside a transform."""
    functorch = torch._C._functorch
    kind = "BatchedTensor" if functorch.is_batchedtensor(tensor) else "TensorWrapper"
    return (
        f"unsupported: a torch.func transform's {kind} (level {functorch.maybe_get_level(tensor)}) reached the capture "
        "outside an operator (a hook, a custom autograd.Function, .grad or .data of a tensor inside "
        "grad/vjp/jacrev/vmap); inside a transform only operators, functional_call and the transform's own "
        "autograd are recorded"
    )


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
        """`(storage id, first time seen)` of a tensor's storage; a sparse
        COO tensor's is its values' (FORMAT.md §3.1)."""
        if tensor.layout == torch.sparse_coo:
            with torch._C._DisableTorchDispatch(), torch._C._AutoDispatchBelowADInplaceOrView():
                tensor = tensor._values()
        try:
            storage = tensor.untyped_storage()
        except (RuntimeError, NotImplementedError) as e:
            if torch._C._functorch.is_functorch_wrapped_tensor(tensor):
                raise CaptureError(wrapped_refusal(tensor)) from e
            raise CaptureError(f"unsupported: tensor without a storage ({e})") from e
        addr = storage._cdata
        hit = self._by_addr.get(addr)
        if hit is not None and not _expired(hit[0].cdata):
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

    def known_storage(self, storage: torch.UntypedStorage) -> Optional[int]:
        """The id of a storage if it has one already (none is given)."""
        hit = self._by_addr.get(storage._cdata)
        if hit is not None and not _expired(hit[0].cdata):
            return hit[1]
        return None

    def alive(self, sid: int) -> bool:
        """Whether storage `sid` still exists (something holds its StorageImpl)."""
        addr = self._addr_of.get(sid)
        if addr is None:
            return False
        ref, _ = self._by_addr[addr]
        return not _expired(ref.cdata)

    def _prune(self) -> None:
        self._since_prune = 0
        for addr in [a for a, (ref, _) in self._by_addr.items() if _expired(ref.cdata)]:
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
        # tid -> storage id, while the tid is live or waiting (read directly by hot paths)
        self.storage_of: dict = {}
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
            self._hold(self.storage_of.get(tid), 1)

    def storage(self, tid: int, sid: int) -> None:
        """The storage `tid` was last seen on."""
        old = self.storage_of.get(tid)
        if old != sid:
            self.storage_of[tid] = sid
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

    def reachable_ids(self) -> set:
        """Live ids the program could reach (read-only)."""
        return self._reachable

    def outlive(self, tids: set) -> list:
        """Of `tids`, those not released yet, ascending: at the program's end
        they are released (alive or not); forgets them."""
        ready = sorted(tid for tid in tids if tid in self._reachable or tid in self._waiting)
        for tid in ready:
            if tid in self._reachable:
                self._reachable.discard(tid)
                self._hold(self.storage_of.get(tid), -1)
            self._waiting.discard(tid)
        return ready

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
                self._hold(self.storage_of.get(tid), -1)
                self._waiting.add(tid)
            else:
                self.storage_of.pop(tid, None)
        if not self._waiting:
            return []
        storage_of, held = self.storage_of, self._held
        # Most waiting ids stay waiting (a saved activation's storage lives
        # until its graph is freed): only the ready ones are sorted.
        ready = [tid for tid in self._waiting if (sid := storage_of.get(tid)) is None or sid in held or not storage_alive(sid)]
        ready.sort()
        for tid in ready:
            self._waiting.discard(tid)
            self.storage_of.pop(tid, None)
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
