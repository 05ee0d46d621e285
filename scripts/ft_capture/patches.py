"""Wrapped Python entry points for the api layer, undone on exit."""

from __future__ import annotations

import functools
import os
import threading
from typing import Any, Callable

import torch

from . import data as capture_data
from . import engine as capture_engine
from . import functions as capture_functions
from . import functorch as capture_functorch
from . import held_nodes as capture_held_nodes
from . import hooks as capture_hooks
from . import saved_hooks as capture_saved_hooks
from . import state_marks as capture_state_marks
from .observers import ThreadSentinel
from .python_kernels import PythonKernels
from .recorder import Recorder

# Methods that hand a tensor's or a storage's memory to other code, or write
# it without an operator (`Patches._wrap_exposing`).
EXPOSING = (
    (torch.Tensor, "numpy"),
    (torch.Tensor, "__dlpack__"),
    (torch.Tensor, "data_ptr"),
    (torch.Tensor, "const_data_ptr"),
    (torch.UntypedStorage, "data_ptr"),
    (torch.UntypedStorage, "byteswap"),
    (torch.UntypedStorage, "_byteswap"),
    (torch.UntypedStorage, "resize_"),
    (torch.UntypedStorage, "_set_from_file"),
    (torch.UntypedStorage, "share_memory_"),
    (torch.UntypedStorage, "_share_fd_cpu_"),
    (torch.UntypedStorage, "_share_filename_cpu_"),
)


class Patches:
    """Wrapped Python entry points for the api layer, undone on exit."""

    def __init__(self, rec: Recorder, on_exit: Callable[[Any], int]) -> None:
        self.rec = rec
        self._on_exit = on_exit
        self._saved: list = []
        self._python_kernels = PythonKernels()

    def __enter__(self) -> "Patches":
        import torch.random

        seed = self._wrap_seed(torch.manual_seed)
        self._set(torch, "manual_seed", seed)
        self._set(torch.random, "manual_seed", seed)
        capture_engine.install(self, self.rec)
        self._set(os, "_exit", self._wrap_exit(os._exit))
        capture_hooks.install(self, self.rec)
        capture_held_nodes.install(self, self.rec)
        capture_functions.install(self, self.rec)
        capture_saved_hooks.install(self, self.rec)
        capture_data.install(self, self.rec)
        capture_state_marks.install(self, self.rec.state_marks)
        capture_functorch.install(self, self.rec)
        self._python_kernels.__enter__()
        self._set(threading.Thread, "_bootstrap_inner", self._wrap_thread(threading.Thread._bootstrap_inner))  # type: ignore[attr-defined]
        self._set(torch._utils, "_rebuild_tensor", self._wrap_rebuild(torch._utils._rebuild_tensor))
        self._set(torch.Tensor, "__deepcopy__", self._wrap_deepcopy(torch.Tensor.__deepcopy__))
        import torch._VF

        for module in (torch._VF, torch):
            self._set(module, "_pad_packed_sequence", self._wrap_pad_packed(getattr(module, "_pad_packed_sequence")))
        self._set(torch.Tensor, "share_memory_", self._refuse_share(torch.Tensor.share_memory_))
        self._set(torch._C, "_increment_version", self._refuse_increment_version(torch._C._increment_version))
        saved_tensor = torch._C._autograd.SavedTensor
        self._set(saved_tensor, "register_hooks", self._refuse_saved_tensor_hooks(saved_tensor.register_hooks))
        self._set(torch._C._functions, "UndefinedGrad", self._refuse_undefined_grad(torch._C._functions.UndefinedGrad))
        for name in ("trace", "trace_module"):
            self._set(torch.jit, name, self._refuse_jit_trace(getattr(torch.jit, name)))
        for owner, name in EXPOSING:
            self._set(owner, name, self._wrap_exposing(getattr(owner, name)))
        import torch.utils.dlpack

        for module in (torch, torch.utils.dlpack):
            if hasattr(module, "to_dlpack"):
                self._set(module, "to_dlpack", self._wrap_exposing(module.to_dlpack))
        self._default_dtype = torch.get_default_dtype()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._python_kernels.__exit__(*exc)
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

    def _refuse_increment_version(self, original: Callable) -> Callable:
        """`torch.autograd.graph.increment_version(t)` (which calls
        `torch._C._increment_version`) bumps the version counter of `t`
        without an operator, so that a tensor saved for backward and
        written behind PyTorch's back fails the saved-tensor check at
        backward ("modified by an inplace operation"). A trace has no event
        for it: a replay would run that backward without the error.
        Refused by name, unless it bumps nothing (only inference tensors,
        which have no version counter)."""
        rec = self.rec

        @functools.wraps(original)
        def _increment_version(tensors, *args, **kwargs):
            if not rec.observing():
                return original(tensors, *args, **kwargs)
            items = (tensors,) if isinstance(tensors, torch.Tensor) else tuple(tensors)
            if any(isinstance(t, torch.Tensor) and not t.is_inference() for t in items):
                raise rec.fail(
                    "unsupported: torch.autograd.graph.increment_version bumps a version counter without an "
                    "operator, which a trace cannot hold (a replay would miss the saved-tensor check it arms: "
                    "'modified by an inplace operation' at backward); write the tensor with an in-place "
                    "operator instead"
                )
            return original(items, *args, **kwargs)

        return _increment_version

    def _refuse_saved_tensor_hooks(self, original: Callable) -> Callable:
        """`grad_fn._raw_saved_X.register_hooks(pack, unpack)` puts hooks on
        one saved tensor (the autograd saved-tensors tutorial): the node
        then unpacks what the program's hook returned, which no event
        records (observed in torch 2.15: the replayed node reads the
        original tensor and diverges in dataflow). Refused by name; the
        scoped `torch.autograd.graph.saved_tensors_hooks` is recorded."""
        rec = self.rec

        @functools.wraps(original)
        def register_hooks(saved, *args, **kwargs):
            if rec.observing():
                raise rec.fail(
                    "unsupported: hooks on one saved tensor (grad_fn._raw_saved_*.register_hooks): what the "
                    "node unpacks comes from the program's hook, which a trace cannot hold; register them for "
                    "a region with torch.autograd.graph.saved_tensors_hooks instead"
                )
            return original(saved, *args, **kwargs)

        return register_hooks

    def _refuse_undefined_grad(self, original: Any) -> Callable:
        """`torch._C._functions.UndefinedGrad()(t)` (what `gradcheck` and
        `gradgradcheck` call with the default `check_undefined_grad=True`)
        wraps `t` in an UndefinedGradBackward node without an operator: the
        node takes a sequence number and its outputs enter the graph
        unseen (observed in torch 2.15: every later node's `seq_nr` is one
        higher than a replay gives it). Refused by name."""
        rec = self.rec

        def UndefinedGrad(*args, **kwargs):
            if rec.observing():
                raise rec.fail(
                    "unsupported: torch._C._functions.UndefinedGrad (gradcheck/gradgradcheck's undefined-gradient "
                    "check) makes an autograd node without an operator, which a trace cannot hold; pass "
                    "check_undefined_grad=False"
                )
            return original(*args, **kwargs)

        return UndefinedGrad

    def _refuse_jit_trace(self, original: Callable) -> Callable:
        """`torch.jit.trace` records, into the graph it builds, every call
        made while it runs the function, the capture's own reads of sizes
        and values among them (observed in torch 2.15: a traced size read
        as a 0-dim tensor, then an internal assert of the tracer, or a
        traced graph that keeps a freed autograd graph): refused by name. A
        module traced before the capture starts, and `torch.jit.script`, run
        under the capture (`torchscript_unoptimised`)."""
        rec = self.rec

        @functools.wraps(original)
        def trace(*args, **kwargs):
            if rec.observing():
                raise rec.fail(
                    f"unsupported: torch.jit.{original.__name__} while capturing: the tracer would record the "
                    "capture's own reads into its graph; trace the module before the capture starts "
                    "(ft_capture.capture as a library) or capture the eager module"
                )
            return original(*args, **kwargs)

        return trace

    def _wrap_exposing(self, original: Callable) -> Callable:
        """A call that hands a tensor's or a storage's memory to other code
        (`numpy()`, also behind `np.asarray`; DLPack; `data_ptr()`), which may
        write it without an operator, or writes a storage itself without one
        (`byteswap`, reading a file into it): its values are hashed anew
        every time from then on (`DigestCache`)."""
        expose = self.rec.expose

        @functools.wraps(original)
        def exposing(obj, *args, **kwargs):
            expose(obj)
            return original(obj, *args, **kwargs)

        return exposing

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

    def _wrap_deepcopy(self, original: Callable) -> Callable:
        """`copy.deepcopy` of a plain tensor (a module's buffers when the
        module is copied for an EMA or a target network, the entries of
        `copy.deepcopy(model.state_dict())`) copies its storage outside the
        dispatcher (`UntypedStorage.clone`) and then dispatches
        `new_empty([])` + `aten.set_.source_Storage_storage_offset` onto
        it: a storage argument a trace cannot hold, and a value no recorded
        operator computed (observed in torch 2.15). For a dense CPU tensor
        the copy runs unobserved and the result is introduced (api
        `tensor`, with its value and version 1) where an operator first
        names it, as a rebuilt tensor is (§5.4). Parameters copy themselves
        with `clone` (`Parameter.__deepcopy__`), which is recorded as
        usual; other tensors take PyTorch's path unchanged."""
        rec = self.rec

        @functools.wraps(original)
        def __deepcopy__(tensor, memo):
            if not rec.observing() or not _plain_cpu_tensor(tensor):
                return original(tensor, memo)
            with rec.unobserved():
                copied = original(tensor, memo)
            rec.rebuilt(copied)
            return copied

        return __deepcopy__

    def _wrap_pad_packed(self, original: Callable) -> Callable:
        """`_pad_packed_sequence` (behind `pad_packed_sequence`) is a
        composite: its `full`, `slice`s, `copy_`s and `transpose` dispatch
        and are recorded, but the lengths it returns are an `empty` tensor
        whose elements the C++ code stores through a pointer (ATen's
        PackedSequence.cpp), which no operator records. The lengths are
        therefore handed back as an unobserved copy, introduced (api
        `tensor`, with its value) where an operator first names them, as a
        rebuilt tensor is (§5.4); the `empty` is released unused."""
        rec = self.rec

        @functools.wraps(original)
        def _pad_packed_sequence(*args, **kwargs):
            padded, lengths = original(*args, **kwargs)
            if not rec.observing() or not _plain_cpu_tensor(lengths):
                return padded, lengths
            with rec.unobserved():
                written = lengths.clone()
            rec.rebuilt(written)
            return padded, written

        return _pad_packed_sequence


def _plain_cpu_tensor(t: Any) -> bool:
    """A dense CPU tensor of PyTorch's own class (no subclass, no
    quantized, sparse or nested layout): `Tensor.__deepcopy__` copies its
    storage."""
    return (
        type(t) is torch.Tensor
        and t.layout == torch.strided
        and t.device.type == "cpu"
        and not t.is_quantized
        and not t.is_nested
    )
