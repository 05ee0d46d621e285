"""The dispatch-layer observers: the capture's `TorchDispatchMode` and the
sentinel that refuses torch work on other threads."""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode

import ftr

from .errors import CaptureError, layout_refusal
from .keys import _is_induced, entry_tls
from .program_ops import program_kernel, run_program_kernel
from .recorder import Recorder
from .values import op_schema, zero_grown

_AUTOCAST_CPU = torch._C.DispatchKey.AutocastCPU
_ISNAN = torch.ops.aten.isnan.default
# Operators that may grow their first argument's storage in place, leaving
# the new bytes as the allocator found them (`zero_grown`).
_RESIZES = frozenset({torch.ops.aten.resize_.default, torch.ops.aten.resize_as_.default})

# Composites seen whole (under `inference_mode`) that conjugate inside
# themselves: `hfft` runs `_fft_c2r` on `input.conj()`. A dispatch mode's
# handler runs with the Conjugate and Negative keys excluded (the call
# already passed them on its way to the Python key), so the conjugate view
# made inside reaches `_fft_c2r` unresolved and its bit is ignored: observed
# in torch 2.15, `hfft([1+1j, 2-1j, 3+.5j], 4)` gives `[8, 0, 0, -4]` under
# any TorchDispatchMode and `[8, -4, 0, 0]` without one. These run with the
# two keys restored, as they do without a mode.
_CONJUGATING_COMPOSITES = frozenset(
    getattr(packet, overload)
    for packet in (torch.ops.aten.fft_hfft, torch.ops.aten.fft_hfft2, torch.ops.aten.fft_hfftn)
    for overload in packet.overloads()
    if not overload.endswith("out")
)
_CONJUGATE_KEYS = (torch._C.DispatchKey.Conjugate, torch._C.DispatchKey.Negative)


def _run_with_conjugation(func: Any, args: tuple, kwargs: dict) -> Any:
    """`func(*args, **kwargs)` with the Conjugate and Negative keys taken
    out of the excluded set, as a call without a dispatch mode runs."""
    excluded = torch._C._dispatch_tls_local_exclude_set()
    for key in _CONJUGATE_KEYS:
        excluded = excluded.remove(key)
    with torch._C._ForceDispatchKeyGuard(torch._C._dispatch_tls_local_include_set(), excluded):
        return func(*args, **kwargs)


# Namespaces of PyTorch's own operators: every one of their calls is an event.
_TORCH_NAMESPACES = frozenset({"aten", "prims", "prim", "profiler"})
_LIBRARY_QUERIES: dict = {}


def is_library_query(func: Any) -> bool:
    """Whether `func` is another library's operator that takes and returns no
    tensor (torchvision's `_cuda_version`, which `import torchvision` calls to
    check its build): it reads the library's build, not the program's state,
    so the capture runs it without an event (docs/CAPTURE.md §9)."""
    known = _LIBRARY_QUERIES.get(func)
    if known is None:
        schema = func._schema
        types = [a.type for a in schema.arguments] + [r.type for r in schema.returns]
        known = func.namespace not in _TORCH_NAMESPACES and not any("Tensor" in str(t) for t in types)
        _LIBRARY_QUERIES[func] = known
    return known


class CaptureMode(TorchDispatchMode):
    """The dispatch-layer observer."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.rec = recorder

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # TorchDispatchMode wraps a subclass's __torch_dispatch__ in
        # `torch._disable_dynamo` (two Python frames per operator call); the
        # capture does not run under torch.compile, so it is called directly.
        return False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        rec = self.rec
        if not rec.observing():
            if op_schema(func).mutable:
                # A write the trace does not hold (`DigestCache`).
                rec.digests.clear()
            return func(*args, **kwargs)
        if _is_induced(func):
            # Not an event, so not a boundary: the detach that saves relu's
            # output comes after relu returned, before its node's hook call.
            return self._induced(func, args, kwargs)
        if func.namespace == "profiler":
            self._guard(rec.flush)
            return self._profiler(func, args, kwargs)
        if is_library_query(func):
            return func(*args, **kwargs)
        kernel = program_kernel(func)
        if kernel is not None:
            # The program's own Python function: the calls it makes are
            # the events (program_ops.py).
            tls = entry_tls()
            with self:
                return run_program_kernel(rec, kernel, tls, args, kwargs)
        # Capture bookkeeping (as `_guard` runs it, without a closure per step).
        try:
            rec.flush()
            if func is _ISNAN and rec.ctx[0] == ftr.CTX_BACKWARD:
                # Maybe anomaly mode's check of GraphRoot's results.
                rec.graph_root_checked()
            tls = entry_tls()
            if rec.ctx[0] == ftr.CTX_TOP_LEVEL:
                # Inside the mode AutocastCPU is excluded whatever the
                # program's state: the entry snapshot has that state.
                rec.state_marks.mark_arguments(args, kwargs)
                rec.check_state(autocast_cpu=not tls.exclude.has(_AUTOCAST_CPU))
            elif rec.backward is not None and rec.functions.in_run():
                # Program code of a Function's backward: its state changes
                # are written before its arguments are referenced (the
                # reference reads `requires_grad` now: a reentrant
                # checkpoint's detached input set to require grad would
                # otherwise show as having required it from its `detach`).
                rec.functions.before_program_code()
            named, wire_args = rec.op_arguments(func, args, kwargs)
        except CaptureError:
            raise
        except ftr.TraceError as e:
            raise rec.fail(str(e)) from e
        except Exception as e:
            raise self._failure(func, (args, kwargs), e) from e
        try:
            if func in _CONJUGATING_COMPOSITES:
                out = _run_with_conjugation(func, args, kwargs)
            elif func in _RESIZES:
                held = args[0].untyped_storage().nbytes()
                out = func(*args, **kwargs)
                zero_grown(out, held)
            else:
                out = func(*args, **kwargs)
        except Exception as error:
            # The kernel raised (a shape error, an index out of range): the
            # call is an op_error event and the exception goes on to the
            # program, which may catch it.
            self._guard(functools.partial(rec.record_op_error, func, named, wire_args, error, tls))
            raise
        try:
            rec.record_op(func, named, wire_args, out, tls)
        except CaptureError:
            raise
        except ftr.TraceError as e:
            raise rec.fail(str(e)) from e
        except Exception as e:
            raise self._failure(func, (args, kwargs, out), e) from e
        return out

    def _failure(self, func: Any, values: Any, error: Exception) -> CaptureError:
        """The capture's failure to record a call: the refusal of a sparse
        or nested tensor when the call involves one, else an internal error."""
        refusal = layout_refusal(func, values)
        if refusal is not None:
            return self.rec.fail(str(refusal))
        return self.rec.fail(f"internal error in the capture: {error!r}")

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
