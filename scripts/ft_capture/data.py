"""`Tensor.data` for the capture: reads and assignments as api `data`
events (FORMAT.md §3.2 kind 19, docs/CAPTURE.md §5.5).

Observed in torch 2.15:

* a read `t.data` returns a new tensor (a new Python object each time) over
  `t`'s storage, with `t`'s geometry, `requires_grad` false, not a view, and
  a version counter of its own starting at 0: in-place ops through it
  (`p.data.add_(...)`, `p.data.clamp_(...)`, `w.data.normal_(...)`) bump
  neither `t`'s version nor another read's;
* the read makes the shallow copy without the dispatcher, but while a
  dispatch mode is active PyTorch routes it through the mode as
  `aten.detach.default` (an observer effect: no `detach` runs without the
  mode), indistinguishable there from the detach that saves a tensor for
  backward, so the capture wraps the property instead of reading the mode;
* an assignment `t.data = s` (`Module._apply`: `model.double()`,
  `module.to(dtype)`; `vector_to_parameters`; `param.grad.data = ...`) swaps
  `t`'s storage, dtype and geometry for `s`'s under the same Python object
  without any operator; `t` keeps its `requires_grad`, `.grad`, `grad_fn`
  and version counter (the version does not move).

The capture wraps the `data` property of `torch.Tensor`; each read and each
assignment on the capturing thread is one event, written after the pending
op and, at top level, after the state check (as for the hook api events).
"""

from __future__ import annotations

from typing import Any

import torch

import ftr


def _api_call(rec: Any) -> None:
    """Before a `data` event: the pending op, and at top level the state
    changes (a tensor made with `requires_grad=True` gets its flag first)."""
    rec.flush()
    if rec.ctx[0] == ftr.CTX_TOP_LEVEL:
        rec.check_state()


def _reference(rec: Any, t: torch.Tensor, info: Any) -> list:
    sid, _ = rec.storages.lookup(t)
    return rec._ref_from_parts(info, t, sid, None)


def read(rec: Any, source: torch.Tensor, out: torch.Tensor) -> None:
    """`out = source.data`: `source` (introduced when new), then the new
    tensor `out`, which the program can reach (a release follows its death)."""
    _api_call(rec)
    sid = rec.tensor_id(source)
    info = rec._new_info(out)
    rec.releases.reachable(info.tid)
    rec.emit(ftr.API, ftr.API_DATA, ftr.p_data(_reference(rec, out, info), sid, False))


def before_write(rec: Any, target: torch.Tensor, source: Any) -> None:
    """Before `target.data = source` runs: both tensors named (introduced
    with their state before the assignment when new)."""
    _api_call(rec)
    rec.tensor_id(target)
    if isinstance(source, torch.Tensor):
        rec.tensor_id(source)


def written(rec: Any, target: torch.Tensor, source: torch.Tensor) -> None:
    """`target.data = source` succeeded: `target` referenced afterwards."""
    info = rec._info(target)
    if info is None:
        raise rec.fail("internal error in the capture: a `.data` assignment to a tensor with no id")
    ref = _reference(rec, target, info)
    rec.emit(ftr.API, ftr.API_DATA, ftr.p_data(ref, rec.tensor_id(source), True))


def _uninitialized(t: Any) -> bool:
    """A lazy module's placeholder parameter or buffer before its first
    forward (`UninitializedParameter`/`UninitializedBuffer`): it has no
    storage a trace could name, and `materialize` reads its `.data` device
    and dtype, then assigns `.data = torch.empty(shape)` and becomes an
    ordinary Parameter; the capture leaves both unrecorded, and the tensor is
    introduced at its first use as an alias of the `empty` result's storage."""
    return isinstance(t, torch.nn.parameter.UninitializedTensorMixin)


def _wrap_data(rec: Any, original: Any) -> property:
    getter, setter = original.__get__, original.__set__
    guard = rec.guarded

    def get_data(self):
        if not rec.observing() or _uninitialized(self):
            return getter(self)
        # The mode would see PyTorch's detach of the shallow copy (module doc).
        with rec.unobserved():
            out = getter(self)
        guard(lambda: read(rec, self, out))
        return out

    def set_data(self, value):
        if not rec.observing() or _uninitialized(self):
            return setter(self, value)
        guard(lambda: before_write(rec, self, value))
        setter(self, value)
        guard(lambda: written(rec, self, value))

    return property(get_data, set_data, doc=original.__doc__)


def install(patches: Any, rec: Any) -> None:
    """Wraps `torch.Tensor.data` (undone with the other patches)."""
    patches._set(torch.Tensor, "data", _wrap_data(rec, torch._C.TensorBase.data))
