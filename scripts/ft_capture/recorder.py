"""The recorder: turns observations into events, in FORMAT.md §3.6 order.

`Recorder` holds the state of one capture (tensor, storage and node
identities, the pending op, the running backward, the context) and the
tensor and api-layer parts; the dispatch layer (`ops`), node events
(`nodes`) and backward (`backward`) are its other parts.
"""

from __future__ import annotations

import operator
import os
import threading
import time
import weakref
from typing import Any, Callable, Optional

import torch

import ftr

from . import functions as capture_functions
from . import functorch as capture_functorch
from . import held_nodes as capture_held_nodes
from . import hooks as capture_hooks
from .backward import BackwardRecorder, BackwardState
from .digests import DigestCache
from .errors import CaptureError, sparse_capture_enabled
from .identity import IdentityMap, NodeTags, ReleaseTracker, StorageTable, TensorInfo
from .keys import DispatchDeriver
from .native_writer import AnyTraceWriter
from .nodes import NodeRecorder
from .ops import OpRecorder, PendingOp
from .progress import EVERY, Progress
from .state_marks import StateMarks
from .values import DTYPE_NAMES, covers_storage, device_name, dtype_name, is_leaf, raise_unless_rebased_view, stats_record, tensor_buffer

_C = torch._C
_BY_TID = operator.itemgetter(0)
# What `value_digest` gives for a sparse COO tensor: no digest of its own,
# its parts' stored in full or as STATS records (`_sparse_ref`).
# Markers compared by identity, never written (not 32 bytes long).
SPARSE_PARTS_FULL = b"sparse parts, full"
SPARSE_PARTS_STATS = b"sparse parts, stats"
# Likewise for a nested tensor: its buffer's (`_nested_ref`).
NESTED_BUFFER_FULL = b"nested buffer, full"
NESTED_BUFFER_STATS = b"nested buffer, stats"

# Forks of this process so far, counted in each child (`os.fork` runs the
# at-fork handlers): a recorder made before a fork knows it is in a child
# without asking the kernel for its pid on every operator.
_FORKS = [0]


def _count_fork() -> None:
    _FORKS[0] += 1


os.register_at_fork(after_in_child=_count_fork)


class Unobserved:
    """`Recorder.unobserved()`: nests; the capture observes again on exit."""

    def __init__(self, rec: "Recorder") -> None:
        self.rec = rec

    def __enter__(self) -> None:
        self.rec._unobserved += 1

    def __exit__(self, *exc: Any) -> None:
        self.rec._unobserved -= 1


# The initial CPU autocast state of a thread: (enabled, dtype, cache_enabled).
_AUTOCAST_INITIAL = (False, "bfloat16", True)
_autocast_enabled = torch.is_autocast_enabled
_autocast_dtype = torch.get_autocast_dtype
_autocast_cache_enabled = torch.is_autocast_cache_enabled
# Autograd's anomaly mode (global, not per thread): (enabled, check_nan).
_ANOMALY_INITIAL = (False, True)
_anomaly_enabled = torch.is_anomaly_enabled
_anomaly_check_nan = torch.is_anomaly_check_nan_enabled


def nested_shape(t: torch.Tensor) -> list:
    """A nested tensor's `shape` field (format 2.6), as PyTorch answers
    `size(i)`: its number of components, then each component dimension's
    size, or -1 where PyTorch calls the dimension irregular."""
    shape = [t.size(0)]
    for i in range(1, t.dim()):
        try:
            shape.append(t.size(i))
        except RuntimeError:  # "Given dimension i is irregular and does not have a size."
            shape.append(-1)
    return shape


class Recorder(OpRecorder, NodeRecorder, BackwardRecorder):
    """Turns observations into events, in FORMAT.md §3.6 order."""

    def __init__(self, writer: AnyTraceWriter, policy: str, timestamps: bool) -> None:
        self.writer = writer
        self.policy = policy
        # Whether sparse COO tensors are recorded, else refused (`_sparse_ref`).
        self._sparse = sparse_capture_enabled()
        # Whether tensor references may carry value digests (`TraceWriter.append`).
        self._values = policy != "none"
        self._t0 = time.monotonic_ns() if timestamps else None
        self.tensors = IdentityMap()
        self._tensor_entries = self.tensors.entries
        # The tensors whose autograd state the next check reads (state_marks.py).
        self.state_marks = StateMarks()
        self._aliases = IdentityMap()
        self._rebuilt = IdentityMap()
        self._partly_introduced: set = set()
        self.storages = StorageTable()
        self.digests = DigestCache(self.storages.alive)
        # Whether `value_digest` may answer from `digests` (not for the
        # results of a mutating call: it may write storages that none of its
        # tensor arguments lie on).
        self._reuse_digests = True
        self.releases = ReleaseTracker()
        self._storage_of = self.releases.storage_of
        self.nodes = NodeTags()
        self.dispatch = DispatchDeriver()
        self._next_tid = 0
        self._seq_base = _C._autograd._get_sequence_nr()
        self._pending: Optional[PendingOp] = None
        self._in_node_hook = False
        self._created_nodes = 0
        self._grad_mode = (True, False)
        self._default_dtype = "float32"
        # CPU autocast as last written, and as last read (dtype a torch.dtype).
        self._autocast = _AUTOCAST_INITIAL
        self._autocast_read = (False, torch.bfloat16, True)
        # Anomaly mode as last written.
        self._anomaly = _ANOMALY_INITIAL
        # Dispatch below autograd: while a program-defined operator's
        # kernel runs (`set_below_autograd`).
        self.below_autograd = False
        self._marks: list = []
        self.ctx = ftr.context(ftr.CTX_TOP_LEVEL)
        self.backward: Optional[BackwardState] = None
        self.hooks = capture_hooks.HookTracker(self)
        self.held = capture_held_nodes.HeldNodes(self)
        self.functions = capture_functions.FunctionTracker(self)
        self.functorch = capture_functorch.FunctorchTracker(self)
        # Depth of running saved-tensor unpack hooks (program code).
        self.unpacking = 0
        self.failure: Optional[str] = None
        self.pid = os.getpid()
        self._forks = _FORKS[0]
        self.thread = threading.get_ident()
        self._unobserved = 0
        # Whether every tensor reference so far named the CPU: no op was a
        # device transfer.
        self.only_cpu = True
        # The progress line on a terminal (`progress.on_terminal`), or None.
        self.progress: Optional[Progress] = None

    def owns_process(self) -> bool:
        """False in a forked child (a DataLoader worker): it must not write."""
        return _FORKS[0] == self._forks

    def observing(self) -> bool:
        """True on the capturing thread of the capturing process, outside
        `unobserved()`. Dispatch modes are per thread: other threads' ops are
        not seen, so a thread that runs one is refused (`ThreadSentinel`)."""
        return _FORKS[0] == self._forks and threading.get_ident() == self.thread and not self._unobserved

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

    # -- events -------------------------------------------------------------------

    def emit(self, layer: int, kind: int, payload: list) -> None:
        """Appends one event."""
        ts = 0 if self._t0 is None else time.monotonic_ns() - self._t0
        seq = self.writer.append(layer, kind, payload, ts, self._values)
        if self.progress is not None and seq % EVERY == 0:
            self.progress.tick()

    def flush(self) -> None:
        """Finishes the pending op, if any: its event (unless its node
        already wrote it), node events not written yet, device transfers."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._emit_op(pending)

    def activity(self) -> tuple:
        """A mark that changes when an operator is recorded (written, or
        pending): compare two to tell whether code in between ran any."""
        return (self.writer.next_seq, id(self._pending))

    def fail(self, message: str) -> CaptureError:
        """Remembers the first capture failure and returns it to raise."""
        if self.failure is None:
            self.failure = message
        return CaptureError(self.failure)

    # -- tensors ------------------------------------------------------------------

    def _info(self, t: torch.Tensor) -> Optional[TensorInfo]:
        # `self.tensors.get(t)`, inlined: this runs for every tensor of every op.
        entry = self._tensor_entries.get(id(t))
        if entry is not None and entry[0]() is t:
            return entry[1]
        info = None
        if t in self._aliases:
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
            # Shared memory another process may still write.
            self.expose(t)

    def expose(self, obj: Any) -> None:
        """The program can write the storage of `obj` (a tensor or a
        storage) without an operator: its values are never reused
        (`DigestCache`)."""
        try:
            storage = obj if isinstance(obj, torch.UntypedStorage) else obj.untyped_storage()
        except Exception:
            # No storage to name (a wrapper subclass): forget every digest.
            self.digests.clear()
            return
        sid = self.storages.known_storage(storage)
        if sid is not None:
            self.digests.exposed(sid)

    def _introduce(self, t: torch.Tensor) -> TensorInfo:
        if t.layout == torch.strided and (t.is_conj() or t.is_neg()):
            # A tensor reference has no conjugate or negative bit: a replayer
            # would build the view without it and compute with the
            # unconjugated elements (FORMAT.md §3.1).
            bit = "conjugate" if t.is_conj() else "negative"
            raise self.fail(
                f"unsupported: a {bit}-bit view that no recorded operator made (`nn.Parameter(z.conj())`, "
                f"a {t.dtype} tensor of shape {list(t.shape)}): a trace's tensor reference cannot hold the "
                "bit; materialize it first (`z.conj().resolve_conj()` or `z.conj_physical()`)"
            )
        sid, new_storage = self.storages.lookup(t)
        if t in self._rebuilt:
            self._check_rebuilt(t, sid, new_storage)
        alias = not new_storage
        info = self._new_info(t)
        self.releases.reachable(info.tid)
        self.state_marks.mark(t)
        digest = None if alias or self.policy == "none" else self.value_digest(t, sid=sid)
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

    def _sparse_ref(self, info: TensorInfo, t: torch.Tensor, sid: int, digest: Any) -> list:
        """The reference of a sparse COO tensor (format 2.4): its indices and
        values are strided tensors with ids of their own, which carry the
        digests (`digest` is `SPARSE_PARTS_*` then) its reference would.
        Under `FT_CAPTURE_SPARSE=0` it fails, and the call is refused by
        name (`layout_refusal`)."""
        if not self._sparse:
            raise RuntimeError("sparse tensors are not captured")
        # below autograd: `_indices()` is a view op there, a new alias each call
        with _C._DisableTorchDispatch(), _C._AutoDispatchBelowADInplaceOrView():
            indices, values = t._indices(), t._values()
            dims = (t.sparse_dim(), t.dense_dim(), t.is_coalesced())
        info.parts = (indices, values)
        parts = []
        for part in (indices, values):
            part_info = self._info(part) or self._new_info(part)
            part_sid, _ = self.storages.lookup(part)
            part_digest = None if digest is None else self.value_digest(part, digest is SPARSE_PARTS_FULL, part_sid)
            parts.append(self._ref_from_parts(part_info, part, part_sid, part_digest))
        ref = self._ref_from_parts(info, t, sid, None, strided=False)
        ref.append(ftr.sparse_parts(*dims, parts[0], parts[1]))
        return ref

    def _nested_ref(self, info: TensorInfo, t: torch.Tensor, sid: int, digest: Any) -> list:
        """The reference of a nested tensor (format 2.6): its components'
        sizes, strides and offsets into its buffer, a 1-D strided tensor with
        an id of its own (held by the nested tensor's TensorInfo, as
        `values()` makes a new view each call), which carries the digest
        (`digest` is `NESTED_BUFFER_*` then) its reference would."""
        if info.parts is None:
            with _C._DisableTorchDispatch(), _C._AutoDispatchBelowADInplaceOrView():
                info.parts = (t.values(),)
        buffer = info.parts[0]
        with _C._DisableTorchDispatch():
            sizes = t._nested_tensor_size().tolist()
            strides = t._nested_tensor_strides().tolist()
            offsets = t._nested_tensor_storage_offsets().tolist()
        part_info = self._info(buffer) or self._new_info(buffer)
        part_sid, _ = self.storages.lookup(buffer)
        part_digest = None if digest is None else self.value_digest(buffer, digest is NESTED_BUFFER_FULL, part_sid)
        parts = ftr.nested_parts(sizes, strides, offsets, self._ref_from_parts(part_info, buffer, part_sid, part_digest))
        ref = self._ref_from_parts(info, t, sid, None, strided=False, shape=nested_shape(t))
        ref.append(parts)
        return ref

    def _ref_from_parts(
        self, info: TensorInfo, t: torch.Tensor, sid: int, digest: Any, strided: bool = True, shape: Any = None
    ) -> list:
        """`ftr.tensor_ref` of `t` (built directly: every field is already
        of its wire type, and this runs for every tensor of every op)."""
        if strided and t.layout == torch.sparse_coo:
            return self._sparse_ref(info, t, sid, digest)
        if strided and t.is_nested:
            return self._nested_ref(info, t, sid, digest)
        requires_grad = t.requires_grad
        info.requires_grad = requires_grad
        try:
            info.leaf = t.is_leaf
        except RuntimeError as e:
            # Inline: this runs for every tensor of every op.
            raise_unless_rebased_view(e)
            info.leaf = True
        tid = info.tid
        if self._storage_of.get(tid) != sid:
            self.releases.storage(tid, sid)
        try:
            version = t._version
        except RuntimeError:  # an inference tensor (`tensor_version`)
            version = 0
        return [
            tid,
            DTYPE_NAMES.get(t.dtype) or dtype_name(t.dtype),
            list(t.shape) if shape is None else shape,
            list(t.stride()) if strided else [],
            t.storage_offset() if strided else 0,
            sid,
            "cpu" if t.is_cpu else self._other_device(t),
            requires_grad,
            version,
            digest,
        ]

    def _other_device(self, t: torch.Tensor) -> str:
        """The device name of a tensor not on the CPU; from now on an op
        may be a device transfer (`_emit_transfers`)."""
        self.only_cpu = False
        return device_name(t.device)

    def input_ref(self, t: torch.Tensor) -> list:
        """Reference to a tensor as an input (no value digest)."""
        info = self._info(t)
        if info is None:
            info = self._introduce(t)
        elif self.functorch.batched_depth:
            self.functorch.check_batched_input(info.tid)
        sid, _ = self.storages.lookup(t)
        return self._ref_from_parts(info, t, sid, None)

    def output_ref(self, t: torch.Tensor, digest: Optional[bytes], sid: Optional[int] = None) -> list:
        """Reference to a tensor an operator returned (gets an id if new;
        `sid`: its storage id when the caller has it)."""
        info = self._info(t)
        if info is None:
            info = self._new_info(t)
        if sid is None:
            sid, _ = self.storages.lookup(t)
        return self._ref_from_parts(info, t, sid, digest)

    def value_digest(self, t: torch.Tensor, full: bool = True, sid: Optional[int] = None) -> Optional[bytes]:
        """Stores the tensor's value as a blob, or with `full` false as a
        STATS record (policy `stats`; a dtype statistics cannot describe is
        stored in full); None when it has no data. With its storage id
        `sid`, a digest of the same elements already stored is reused
        (`DigestCache`): what is written is the same, its bytes are not
        read again."""
        if t.is_meta:
            return None
        if t.layout == torch.sparse_coo:
            # its value is its parts': `_ref_from_parts` stores them
            return SPARSE_PARTS_FULL if full else SPARSE_PARTS_STATS
        if t.is_nested:
            return NESTED_BUFFER_FULL if full else NESTED_BUFFER_STATS
        key = None
        if sid is not None and t.is_cpu:
            key = (t.storage_offset(), t.shape, t.stride(), t.dtype, t.is_conj(), t.is_neg())
            if self._reuse_digests:
                digest = self.digests.get(sid, key)
                if digest is not None and self.writer.has_value(digest, full):
                    return digest
        dtype, shape, buffer = dtype_name(t.dtype), list(t.shape), tensor_buffer(t)
        if not full:
            record = stats_record(t, dtype, shape, buffer)
            if record is not None:
                digest = self.writer.put_stats(record)
                if key is not None:
                    self.digests.put(sid, key, digest)  # type: ignore[arg-type]
                return digest
        digest = self.writer.put_blob(dtype, shape, buffer)
        if key is not None:
            self.digests.put(sid, key, digest)  # type: ignore[arg-type]
        return digest

    def alias(self, out: torch.Tensor, source: torch.Tensor) -> None:
        """Makes `out` the same tensor (same id) as `source` (FORMAT §3.6.6)."""
        info = self._info(source)
        if info is not None:
            self._register(out, TensorInfo(info.tid, watch=False))
        else:
            self._aliases[out] = weakref.ref(source)

    # -- api layer ----------------------------------------------------------------

    def check_state(self, autocast_cpu: Optional[bool] = None) -> None:
        """Emits grad_mode, default_dtype, autocast, anomaly_mode, set_requires_grad,
        set_grad, release and the end of node holds for changes since the last check (before each
        top-level op and backward). `autocast_cpu`: whether CPU autocast is
        enabled, when the caller knows it better than a read of the thread's
        state does (inside the dispatch mode, which excludes the key). A
        failure noted on another thread ends the capture here."""
        if self.failure is not None:
            raise CaptureError(self.failure)
        mode = (torch.is_grad_enabled(), torch.is_inference_mode_enabled())
        if mode != self._grad_mode:
            self._grad_mode = mode
            self.emit(ftr.API, ftr.API_GRAD_MODE, ftr.p_grad_mode(*mode))
        self._check_default_dtype()
        self._check_autocast(autocast_cpu)
        self._check_anomaly()
        # The live watched tensors by id (a snapshot: deaths while reading
        # are harmless): every one, or those whose state may have changed
        # since the last check (`StateMarks`; reading more writes the same).
        marks = self.state_marks
        if marks.read_all():
            entries = list(self._tensor_entries.values())
        else:
            known = self._tensor_entries
            entries = [entry for key in marks.ids if (entry := known.get(key)) is not None]
        marks.checked()
        live = [(info.tid, t, info) for ref, info in entries if info.watch and (t := ref()) is not None]
        marks.reads += len(live)
        live.sort(key=_BY_TID)
        for tid, t, info in live:
            # A tensor with history that became a leaf was detached in place:
            # `detach_` changes autograd metadata without redispatching, so
            # no mode sees it (observed in torch 2.15).
            # Views are skipped: `detach_` refuses them, and reading a view's
            # `is_leaf` regenerates its grad_fn when its base changed in place
            # (a node and a sequence number an uncaptured run does not make).
            if info.leaf:
                changed = is_leaf(t) and t.requires_grad != info.requires_grad
            else:
                changed = not t._is_view() and is_leaf(t)
            if changed:
                if not info.leaf and t.requires_grad:
                    # Detached in place, then made to require grad again
                    # (`t.detach_().requires_grad_()`): two state changes,
                    # both written, so the replay detaches before it flags.
                    self.emit(ftr.API, ftr.API_SET_REQUIRES_GRAD, ftr.p_set_requires_grad(tid, False))
                info.requires_grad, info.leaf = t.requires_grad, True
                self.emit(ftr.API, ftr.API_SET_REQUIRES_GRAD, ftr.p_set_requires_grad(tid, t.requires_grad))
        # A non-leaf's `.grad` is read only when it retains it (reading it
        # otherwise warns); retain_grad's gradients are watched too. A second
        # pass: its `is_leaf` reads come after all of the first's, as the
        # grad_fn regenerations they may cause.
        grads = [entry for entry in live if (entry[2].grad_watch or (entry[2].leaf and entry[2].requires_grad)) and (is_leaf(entry[1]) or entry[1].retains_grad)]
        for tid, t, info in grads:
            known = info.grad
            grad = t.grad
            # Unchanged: no gradient then and now, or the same live one.
            if known is None:
                if grad is None:
                    continue
            elif grad is not None and known() is grad:
                continue
            self._check_grad(tid, t, info)
        del live, grads
        for tid in self.releases.collect(self.storages.alive):
            self.emit(ftr.API, ftr.API_RELEASE, ftr.p_release(tid))
        # Nodes the program stopped holding (held_nodes.py).
        self.held.collect()

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

    def _check_autocast(self, enabled: Optional[bool]) -> None:
        """api autocast (format 2.1) when CPU autocast's state (enabled,
        dtype, cache) differs from the last one written (initially off,
        bfloat16, cache on). Polled like grad mode, so `torch.autocast` as a
        context manager or a decorator, `torch.cpu.amp.autocast` and
        `torch.set_autocast_enabled` are all seen. Enabling CPU autocast
        takes AutocastCPU out of the excluded keys (CAPTURE.md §4): the keys
        of every later call on a CPU tensor depend on it."""
        if enabled is None:
            enabled = _autocast_enabled("cpu")
        state = (enabled, _autocast_dtype("cpu"), _autocast_cache_enabled())
        if state == self._autocast_read:
            return
        self._autocast_read = state
        written = (state[0], dtype_name(state[1]), state[2])
        if written != self._autocast:
            self._autocast = written
            self.emit(ftr.API, ftr.API_AUTOCAST, ftr.p_autocast("cpu", *written))

    def set_below_autograd(self, enabled: bool) -> None:
        """api below_autograd (format 2.7), written where the state changes
        (after the operator before it; state held back for the next
        operator follows it): a program-defined operator's kernel starts or
        ends, in any context."""
        self.flush()
        self.below_autograd = enabled
        self.emit(ftr.API, ftr.API_BELOW_AUTOGRAD, ftr.p_below_autograd(enabled))

    def _check_anomaly(self) -> None:
        """api anomaly_mode (format 2.3) when autograd's anomaly mode
        (enabled, check_nan) differs from the last one written (initially
        off, check_nan on). Polled, so `detect_anomaly()` as a context
        manager or decorator and `set_detect_anomaly()` as a call or a
        context manager are all seen. While it is on with check_nan, the
        engine checks every node's outputs for NaN with operators the
        trace records (CAPTURE.md §6.9)."""
        state = (_anomaly_enabled(), _anomaly_check_nan())
        if state != self._anomaly:
            self._anomaly = state
            self.emit(ftr.API, ftr.API_ANOMALY_MODE, ftr.p_anomaly_mode(*state))

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

    # -- failures -----------------------------------------------------------------

    def guarded(self, action: Callable) -> Any:
        """Runs capture bookkeeping inside a hook the engine called: a
        failure is the capture's (exit 4), never the program's."""
        try:
            return action()
        except CaptureError:
            raise
        except Exception as e:
            raise self.fail(f"internal error in the hook observer: {e!r}") from e

    def raise_failure(self) -> None:
        """Raises the capture's failure, if any (after a wrapped call)."""
        if self.failure is not None:
            raise CaptureError(self.failure)
