"""Operators the program defines in Python with `torch.library.custom_op`
(docs/CAPTURE.md §9.2).

Such an operator reaches the capture's dispatch mode whole, below its
autograd kernel, and its CPU kernel is the program's own Python function:
the operators that function calls are PyTorch's, and the runtime replays
those. The capture runs the kernel PyTorch would run (the library's
wrapper, with its aliasing checks) with its mode pushed again, so each call
the function makes is an event of its own and the program-defined
operator itself is none. Its autograd side needs nothing here: the
operator's autograd kernel applies a generated `autograd.Function`, which
the capture records as it records any other (`functions.py`).

A custom operator that declares `mutates_args` bumps the versions of what
it mutates with `torch.autograd.graph.increment_version` before it reaches
the mode, which the capture refuses (`state_marks.py`). Operators of other
libraries (torchvision's C++ kernels) are not program code and stay
operators."""

from __future__ import annotations

from typing import Any, Optional

import torch

from .keys import TlsState, program_kernel_state

# Namespaces of PyTorch's own operators: never program-defined.
_TORCH_NAMESPACES = frozenset({"aten", "prims", "prim", "profiler", "_c10d_functional", "c10d"})
# OpOverload -> its CPU kernel (or None when not program-defined).
_KERNELS: dict = {}


def program_kernel(func: Any) -> Optional[Any]:
    """The CPU kernel of `func` (callable boxed) if the program defined it
    with `torch.library.custom_op`, else None."""
    try:
        return _KERNELS[func]
    except KeyError:
        pass
    kernel = None
    if func.namespace not in _TORCH_NAMESPACES and _custom_op_def(func) is not None:
        name = func._schema.name
        if torch._C._dispatch_has_computed_kernel_for_dispatch_key(name, "CPU"):
            kernel = torch._C._dispatch_get_computed_kernel_for_dispatch_key(name, "CPU")
    _KERNELS[func] = kernel
    return kernel


def run_program_kernel(rec: Any, kernel: Any, tls: Any, args: tuple, kwargs: dict) -> Any:
    """Runs a program-defined operator's kernel as the dispatcher would:
    under the include/exclude sets the call entered with (`tls`, from
    `keys.entry_tls`; the mode handler's own state excludes every key
    above Python, ADInplaceOrView included, which would keep the kernel's
    in-place calls from bumping versions) and below autograd, as the
    operator's autograd kernel leaves it. The operators the kernel calls
    then build no graph and reach the mode whole, composites too; the
    recorder writes that state (api `below_autograd`) where the kernel
    starts and where it ends. The caller has pushed the mode again."""
    outer = rec.below_autograd, program_kernel_state.state
    rec.set_below_autograd(True)
    try:
        with torch._C._ForceDispatchKeyGuard(tls.include, tls.exclude), torch._C._AutoDispatchBelowAutograd():
            program_kernel_state.state = TlsState(torch._C._dispatch_tls_local_include_set(), torch._C._dispatch_tls_local_exclude_set())
            return kernel.call_boxed(torch._C._dispatch_keyset_full(), *args, **kwargs)
    finally:
        # Also when the kernel raised: the guard is gone either way.
        program_kernel_state.state = outer[1]
        rec.set_below_autograd(outer[0])


def _custom_op_def(func: Any) -> Optional[Any]:
    try:
        from torch._library.custom_ops import _maybe_get_opdef
    except ImportError:
        return None
    return _maybe_get_opdef(func)
