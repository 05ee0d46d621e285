"""Which tensors' autograd state may have changed since the last state check.

Before every top-level operator the capture writes the changes of the
program's tensors' autograd state that no operator made (`Recorder.check_state`):
a leaf's `requires_grad` flipped, a tensor detached in place, a `.grad`
replaced or cleared. Reading that state from every live tensor before every
operator costs live tensors × operators (a few hundred nanoseconds per
attribute read), which grows quadratically with a model's size. Outside the
autograd engine these changes have Python entry points only, so the capture
wraps them and marks the tensor; a check then reads the marked tensors only:

* `requires_grad` assigned (`t.requires_grad = ...`, also by `torch.load`'s
  rebuild and `torch.utils.checkpoint`'s detached inputs) and
  `requires_grad_()` (`Module.requires_grad_` calls it per parameter);
* `.grad` assigned (`p.grad = None` of `zero_grad`, `p.grad = g`);
* `detach_()` as a method and `torch.detach_`;
* `torch.utils.swap_tensors` (`Module._apply` under
  `torch.__future__.set_swap_module_params_on_conversion`). PyTorch refuses
  to swap a tensor that has weak references, and the capture holds one to
  every tensor it recorded (to write its `release`): such a swap would make
  the program fail only under the capture, so it is refused by name
  instead (exit 4).

A check also reads the tensors the operator it precedes takes and those the
operators since the last check returned (a factory's `requires_grad=True`
is set after its kernel returned), and the tensors introduced since then.

The engine changes gradients from C++ (AccumulateGrad, a retained
gradient): while it runs every check reads every live tensor, as does the
first check after it returns and the first check of the capture. Reading a
tensor that did not change writes nothing, so reading more than the marked
tensors never changes a trace; `FT_CAPTURE_STATE_POLL=all` makes every check
read every live tensor (the reference the tests compare against).
"""

from __future__ import annotations

import functools
import os
import weakref
from typing import Any, Callable

import torch

from .errors import CaptureError


class StateMarks:
    """The ids (`id(tensor)`, as `IdentityMap` keys them) of the tensors
    whose state a check must read, or everything."""

    def __init__(self) -> None:
        self.poll_all = os.environ.get("FT_CAPTURE_STATE_POLL", "") == "all"
        self.ids: set = set()
        # The first check reads every tensor (state set before the capture).
        self.everything = True
        # Engine calls in progress (`torch.autograd._engine_run_backward`).
        self.engine_depth = 0
        # Live tensors the checks have read, summed (for the tests).
        self.reads = 0

    def mark(self, t: Any) -> None:
        """`t`'s state may have changed (an id only: no reference that
        would keep it alive)."""
        self.ids.add(id(t))

    def mark_arguments(self, args: tuple, kwargs: dict) -> None:
        """Marks the tensors among an operator's arguments (in lists too):
        a check before the operator reads them, so a change no entry point
        marked (native code) still comes before the operator that sees it."""
        ids = self.ids
        for group in (args, kwargs.values()):
            for a in group:
                if isinstance(a, torch.Tensor):
                    ids.add(id(a))
                elif type(a) is list or type(a) is tuple:
                    for item in a:
                        if isinstance(item, torch.Tensor):
                            ids.add(id(item))

    def read_all(self) -> bool:
        """Whether the next check reads every live tensor."""
        return self.poll_all or self.everything or self.engine_depth > 0

    def checked(self) -> None:
        """A check has read what was marked."""
        self.ids.clear()
        self.everything = False


def _marking_property(marks: StateMarks, original: Any) -> property:
    """`original` (a getset descriptor of `TensorBase`) as a property whose
    assignments mark the tensor."""
    getter, setter = original.__get__, original.__set__

    def set_value(self, value):
        setter(self, value)
        marks.mark(self)

    return property(getter, set_value, doc=original.__doc__)


def _marking_call(marks: StateMarks, original: Callable, which: Callable[..., tuple]) -> Callable:
    """`original` marking the tensors `which(*args)` names after it returns
    (after: a subclass's `__torch_function__` may run operators, and so
    checks, before the change)."""

    @functools.wraps(original)
    def call(*args, **kwargs):
        result = original(*args, **kwargs)
        for t in which(*args):
            marks.mark(t)
        return result

    return call


SWAP_REFUSAL = (
    "unsupported: torch.utils.swap_tensors of a tensor the capture has recorded: the capture "
    "holds a weak reference to every recorded tensor, which swap_tensors refuses "
    "(torch.__future__.set_swap_module_params_on_conversion(True) makes Module.to/double/half "
    "swap parameters): convert modules with the default `param.data` assignment"
)


def _swapping_call(marks: StateMarks, original: Callable) -> Callable:
    """`torch.utils.swap_tensors` marking both tensors, refused by name when
    PyTorch rejects it for the weak references the capture holds."""

    @functools.wraps(original)
    def call(t1, t2, *args, **kwargs):
        try:
            result = original(t1, t2, *args, **kwargs)
        except RuntimeError as e:
            if "weakref" in str(e) and any(weakref.getweakrefcount(t) for t in (t1, t2)):
                raise CaptureError(SWAP_REFUSAL) from e
            raise
        marks.mark(t1)
        marks.mark(t2)
        return result

    return call


def _first(*args: Any) -> tuple:
    return args[:1]


def install(patches: Any, marks: StateMarks) -> None:
    """Wraps the entry points the module doc lists (undone with the other
    patches)."""
    base = torch._C.TensorBase
    for name in ("requires_grad", "grad"):
        patches._set(torch.Tensor, name, _marking_property(marks, getattr(base, name)))
    patches._set(torch.Tensor, "requires_grad_", _marking_call(marks, torch.Tensor.requires_grad_, _first))
    patches._set(torch.Tensor, "detach_", _marking_call(marks, torch.Tensor.detach_, _first))
    patches._set(torch, "detach_", _marking_call(marks, torch.detach_, _first))
    patches._set(torch.utils, "swap_tensors", _swapping_call(marks, torch.utils.swap_tensors))
