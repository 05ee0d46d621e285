"""Exit statuses, the producer name and the capture's failures."""

from __future__ import annotations

from typing import Any

VERSION = "0.1.0"
PRODUCER = f"capture_torch.py {VERSION}"

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_PROGRAM_ERROR = 3
EXIT_INCONSISTENT = 4


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
        hint = ""
        if "Storage" in self.type_name:
            hint = " (Tensor.set_ on a storage: memory no recorded operator wrote)"
        elif str(func).startswith("c10d."):
            hint = (
                " (torch.distributed collectives are not recorded: capture a single-process run, "
                "without init_process_group and DistributedDataParallel)"
            )
        return CaptureError(f"unsupported: {func}: {where} is a {self.type_name}, which a trace cannot hold{hint}")


# The switch that turns off recording sparse COO tensors (format 2.4):
# `FT_CAPTURE_SPARSE=0` refuses them by name, as captures did before the
# runtime replayed them (for a trace that must stay readable by format 2.3
# readers).
SPARSE_SWITCH = "FT_CAPTURE_SPARSE"


def sparse_capture_enabled() -> bool:
    """Whether sparse COO tensors are recorded (FORMAT.md §3.1) instead of
    refused: unless `FT_CAPTURE_SPARSE=0`."""
    import os

    return os.environ.get(SPARSE_SWITCH) != "0"


# What to do instead, per layout a trace cannot hold.
LAYOUT_HINTS = {
    "sparse_coo": "use dense tensors: a dense adjacency and `@` instead of torch.sparse",
    "nested": "nn.TransformerEncoder builds one in eval with a padding mask: pass enable_nested_tensor=False",
}


def layout_refusal(func: Any, values: Any) -> "CaptureError | None":
    """The one-line refusal of a call that passed or returned a tensor
    without strided storage (sparse, mkldnn, nested), or None.

    Checked only once recording the call has failed: such tensors have no
    storage to reference or read, so the failure is always there, and the
    operators that record cleanly pay nothing for the check."""
    stack = [values]
    while stack:
        value = stack.pop()
        if isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif _is_tensor(value):
            layout = "nested" if value.is_nested else str(value.layout).removeprefix("torch.")
            if layout != "strided":
                return CaptureError(
                    f"unsupported: {func} takes or returns a {layout} tensor; a trace holds strided tensors only "
                    f"({LAYOUT_HINTS.get(layout, 'use dense tensors')})"
                )
    return None


def _is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)
