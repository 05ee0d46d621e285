"""`torch.func` transforms for the capture (docs/CAPTURE.md §6.8).

Observed in torch 2.15: the capture's dispatch mode sits on the `Python`
key, below functorch's `FuncTorchDynamicLayerFrontMode` /
`FuncTorchDynamicLayerBackMode`, `FuncTorchBatched` and the grad
transform's `Autograd` on `TensorWrapper`s. Every operator a transform runs
reaches the mode only after functorch has peeled its wrappers: the mode sees
the batching rules' operators (`bmm` for a vmapped `mm`) and the grad
transform's forward and backward-formula operators, on ordinary tensors
(`is_functorch_wrapped_tensor` false, `maybe_get_level` -1). So the
dispatch layer already records what executes; what it does not see is the
transform's own autograd, which runs on the wrappers:

* `grad`, `grad_and_value`, `vjp`, `jacrev` (and `vmap` over them) call
  `torch.autograd.grad` on `TensorWrapper` outputs (`_autograd_grad`,
  `create_graph=True`). The engine runs the wrapper-level graph; the
  backward formulas' operators reach the mode on plain tensors. Such a call
  is not an api event: it is run through unobserved at the api layer, and
  the operators it dispatches are top-level ops (a replayer re-executes them
  as it does the forward's). The wrapper-level graph is not in the trace.
* Its nodes take sequence numbers from the same thread-local counter as the
  graph of ordinary tensors (and the engine's GraphRoot of a call with
  several outputs takes one). A grad level (`_grad_increment_nesting` to
  `_grad_decrement_nesting`) and a passed-through engine call are regions of
  that counter whose numbers are taken out of the trace's numbering
  (`FunctorchTracker.seq`), except those of ordinary nodes made inside (a
  transform over tensors that also require grad outside it), so that the
  trace numbers nodes as a runtime that never made the wrapper graph does.
* `torch.autograd.grad(is_grads_batched=True)` (`jacobian(...,
  vectorize=True)`) runs the engine over an ordinary graph under the
  legacy vmap: the engine wrapper passes it through the same way
  (`run_engine(batched=True)`), its batching rules' operators become
  top-level ops. An input of one that the program could not reach (a
  backward's intermediate: `hessian(..., vectorize=True)`) is refused.
* Forward-mode AD (`jvp`, `jacfwd`, `hessian`, `linearize`) is refused by
  name: its tangents travel as dual tensors and `ZeroTensor`s, which a trace
  cannot hold.
"""

from __future__ import annotations

import bisect
import functools
import sys
from types import FrameType
from typing import Any, Callable, Optional

import torch

_functorch = torch._C._functorch
_is_wrapped = _functorch.is_functorch_wrapped_tensor
_sequence_nr = torch._C._autograd._get_sequence_nr

# The public forward-mode transforms, outermost first when named in a refusal.
_FORWARD_MODE = ("hessian", "jacfwd", "linearize", "jvp")


def is_wrapped(t: Any) -> bool:
    """Whether `t` is a functorch wrapper (TensorWrapper, BatchedTensor)."""
    return isinstance(t, torch.Tensor) and _is_wrapped(t)


def describe(t: torch.Tensor) -> str:
    """`TensorWrapper at level 1`, `BatchedTensor at level 2`."""
    kind = "BatchedTensor" if _functorch.is_batchedtensor(t) else "TensorWrapper"
    return f"{kind} at level {_functorch.maybe_get_level(t)}"


class FunctorchTracker:
    """The grad transforms' autograd: their regions of the sequence-number
    counter, engine calls passed through, and the numbers of ordinary nodes
    made inside them."""

    def __init__(self, rec: Any) -> None:
        self.rec = rec
        # Depth of grad levels entered (grad, grad_and_value, vjp, jacrev)
        # and of passed-through engine calls; 0 outside every region.
        self.depth = 0
        # Depth of running engine calls of a transform (passed through).
        self.engine_depth = 0
        # Depth of running `torch.autograd.grad(is_grads_batched=True)`
        # calls (passed through the same way).
        self.batched_depth = 0
        # Closed regions [start, end) of raw sequence numbers, ascending and
        # disjoint, with the count of raw numbers in the regions before each.
        self._starts: list = []
        self._ends: list = []
        self._before: list = [0]
        self._open: Optional[int] = None
        # Raw numbers inside regions taken by ordinary nodes, ascending.
        self._kept: list = []

    def active(self) -> bool:
        """Inside a grad level or a transform's engine call."""
        return self.depth > 0

    def enter(self) -> None:
        """A grad level or a passed-through engine call begins: from here
        on, numbers taken belong to the region unless an ordinary node
        takes them."""
        if self.depth == 0:
            self._open = _sequence_nr()
        self.depth += 1

    def leave(self) -> None:
        self.depth -= 1
        if self.depth == 0 and self._open is not None:
            end = _sequence_nr()
            if end > self._open:
                self._starts.append(self._open)
                self._ends.append(end)
                self._before.append(self._before[-1] + end - self._open)
            self._open = None

    def seq(self, raw: int) -> int:
        """The trace's sequence number of raw number `raw`: counted from the
        start of the recording, the regions' numbers left out except those
        of ordinary nodes. Final when `raw`'s node is written: every number
        below it inside a region was taken by a wrapper-level node (left
        out) or by an ordinary node whose creation hook already ran (nodes
        of ordinary tensors do not nest)."""
        k = bisect.bisect_right(self._ends, raw)
        skipped = self._before[k]
        if k < len(self._starts) and self._starts[k] < raw:
            skipped += raw - self._starts[k]
        if self._open is not None and self._open < raw:
            skipped += raw - self._open
        skipped -= bisect.bisect_left(self._kept, raw)
        return raw - self.rec._seq_base - skipped

    def wrapper_node(self, fn: Any, attached: bool) -> bool:
        """Called for every node autograd creates (not AccumulateGrad):
        whether it belongs to a transform's wrapper-level graph, whose
        number is then left out. Inside a region, a node of an ordinary
        tensor is attached to the outputs of the operator the mode saw last
        (`attached`) and keeps its number; a wrapper-level node is made by
        the transform's autograd kernel (its number taken before the
        unwrapped operator ran) and belongs to none of them."""
        if not self.depth:
            return False
        if attached:
            bisect.insort(self._kept, fn._sequence_nr())
            return False
        return True

    def owns(self, roots: list, others: list) -> bool:
        """Whether an engine call is a transform's: its outputs are
        wrappers. Ordinary roots with wrapped gradients or inputs (the
        engine under `torch.func.vmap`) are refused."""
        wrapped_roots = [is_wrapped(t) for t in roots]
        if any(wrapped_roots):
            if not all(wrapped_roots):
                raise self.rec.fail("unsupported: torch.autograd.grad with both torch.func-wrapped and ordinary outputs")
            return True
        for t in others:
            if is_wrapped(t):
                raise self.rec.fail(
                    f"unsupported: torch.autograd.grad under torch.func.vmap (a {describe(t)} as the gradient or "
                    "input of ordinary outputs: the engine under vmap, as is_grads_batched=True runs it)"
                )
        return False

    def run_engine(self, original: Callable, args: tuple, kwargs: dict, batched: bool = False) -> Any:
        """A transform's `torch.autograd.grad`, or one with
        `is_grads_batched=True` (`batched`: the engine under the legacy
        vmap, over an ordinary graph): no api event, no GraphTask; the
        operators its nodes dispatch are top-level ops. It is a region: the
        numbers it takes (its nodes under `create_graph`, a GraphRoot, an
        `Identity`) are left out, except those of ordinary nodes."""
        rec = self.rec
        rec.flush()
        rec.check_state()
        self.enter()
        self.engine_depth += 1
        self.batched_depth += batched
        try:
            return original(*args, **kwargs)
        finally:
            self.batched_depth -= batched
            self.engine_depth -= 1
            self.leave()

    def check_batched_input(self, tid: int) -> None:
        """Inside a batched engine call, an operator's input must be a
        tensor the program could reach (a replayer re-executes the batched
        operators at top level and finds their inputs by id): a saved
        tensor a backward made (`hessian(..., vectorize=True)`, whose
        batched engine runs over the graph its inner `create_graph`
        backward built) is an intermediate no replayer can name."""
        if tid not in self.rec.releases.reachable_ids():
            raise self.rec.fail(
                "unsupported: torch.autograd.grad(is_grads_batched=True) over a graph a backward built "
                "(create_graph=True; hessian(..., vectorize=True)): its batched operators read tensors "
                "only that backward made, which a replayer cannot name; is_grads_batched over a forward's "
                "graph (jacobian(..., vectorize=True)) is recorded"
            )


def install(patches: Any, rec: Any) -> None:
    """Brackets the grad levels (grad, grad_and_value, vjp, jacrev enter
    one through functorch's `_grad_increment_nesting`); refuses
    forward-mode transforms where they enter their level."""
    import torch._functorch.eager_transforms as transforms  # loaded by `import torch`

    tracker = rec.functorch
    increment, decrement = transforms._grad_increment_nesting, transforms._grad_decrement_nesting

    def _grad_increment_nesting(*args, **kwargs):
        level = increment(*args, **kwargs)
        if rec.observing():
            tracker.enter()
        return level

    def _grad_decrement_nesting(*args, **kwargs):
        level = decrement(*args, **kwargs)
        if rec.observing() and tracker.depth:
            tracker.leave()
        return level

    patches._set(transforms, "_grad_increment_nesting", _grad_increment_nesting)
    patches._set(transforms, "_grad_decrement_nesting", _grad_decrement_nesting)
    patches._set(transforms, "_jvp_increment_nesting", _refuse_forward_mode(rec, transforms._jvp_increment_nesting))
    # linearize traces `jvp` with make_fx and plain forward AD: refused at
    # its entry (torch.func re-exports it).
    refuse_linearize = _refuse_linearize(rec, transforms.linearize)
    patches._set(transforms, "linearize", refuse_linearize)
    patches._set(torch.func, "linearize", refuse_linearize)
    # Plain forward AD (`with torch.autograd.forward_ad.dual_level():`,
    # `make_dual`): `dual_level.__enter__` calls the module's
    # `enter_dual_level`, refused there before any dual tensor exists.
    forward_ad = torch.autograd.forward_ad
    patches._set(forward_ad, "enter_dual_level", _refuse_dual_level(rec, forward_ad.enter_dual_level))


def _refuse_linearize(rec: Any, original: Callable) -> Callable:
    @functools.wraps(original)
    def linearize(*args, **kwargs):
        if rec.observing():
            raise rec.fail(
                "unsupported: torch.func.linearize (forward-mode AD): its tangents are dual tensors and "
                "ZeroTensors, which a trace cannot hold; jacrev and vjp are recorded"
            )
        return original(*args, **kwargs)

    return linearize


def _refuse_dual_level(rec: Any, original: Callable) -> Callable:
    @functools.wraps(original)
    def enter_dual_level(*args, **kwargs):
        if rec.observing():
            raise rec.fail(
                "unsupported: torch.autograd.forward_ad (forward-mode AD): its tangents are dual tensors and "
                "ZeroTensors, which a trace cannot hold; reverse mode (backward, torch.autograd.grad, "
                "torch.autograd.functional.jvp) is recorded"
            )
        return original(*args, **kwargs)

    return enter_dual_level


def _refuse_forward_mode(rec: Any, original: Callable) -> Callable:
    def _jvp_increment_nesting(*args, **kwargs):
        if rec.observing():
            name = _forward_transform()
            also = "; torch.func.hessian is jacfwd of jacrev" if name == "jacfwd" else ""
            raise rec.fail(f"unsupported: torch.func.{name} (forward-mode AD{also}): its tangents are dual tensors and ZeroTensors, which a trace cannot hold; jacrev and vjp are recorded")
        return original(*args, **kwargs)

    return _jvp_increment_nesting


def _forward_transform() -> str:
    """The outermost forward-mode transform on the stack (`jacfwd` for
    `jacfwd(f)(x)`, which runs `jvp` under `vmap`)."""
    names = set()
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if "_functorch" in code.co_filename:
            # `jacfwd.<locals>.wrapper_fn`, `_jvp_with_argnums`
            names.add(code.co_qualname.split(".")[0].lstrip("_").split("_with_")[0])
        frame = frame.f_back
    return next((n for n in _FORWARD_MODE if n in names), "jvp")
