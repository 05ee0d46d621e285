"""FrankenTorch's PyTorch capture: records an ordinary PyTorch program (or a
block of one) as a FrankenTorch trace (`.ftr`).

    python scripts/capture_torch.py PROGRAM.py -o OUT.ftr [--values all|inputs|none]

    import ft_capture
    with ft_capture.capture("out.ftr", values="all"):
        ...

The program runs under three observers: a `TorchDispatchMode` sees every
ATen call below autograd (the dispatch layer); wrapped Python entry points
(`torch.manual_seed`, `torch.autograd.backward`, hooks, profiler
annotations) give the api layer; a node-creation hook and pre-hooks on the
nodes a backward reaches give the autograd layer. What PyTorch does not tell
an observer is derived: the DispatchKeySet and key chain of each call, and
the ReadyQueue schedule, which is checked against the order the engine
actually runs nodes in. `docs/CAPTURE.md` states every rule.

The capture must not change what it observes: it never holds a strong
reference to a tensor or an autograd node beyond the call that showed it.

Modules, one job each:

* `schedule`: the engine's ReadyQueue heap and the derived execution order;
* `keys`: dispatch keyset and key-chain derivation;
* `identity`: tensor, storage and node identities, releases;
* `values`: wire values of arguments and results, tensor bytes;
* `recorder` (state, tensors, api layer), `ops` (dispatch layer), `nodes`,
  `backward`: the parts of the `Recorder`;
* `engine`, `hooks`, `module_hooks`, `functions`, `saved_hooks`, `data`:
  what the capture wraps for backward calls, hooks, custom Functions,
  saved-tensor hooks and `Tensor.data`;
* `observers` (the dispatch mode), `patches` (wrapped entry points);
* `session` (running a program or a block, how a capture ends), `cli`.

Exit statuses (CLI) and `CaptureResult.status`: 0 recorded; 2 usage error;
3 the program raised (trace finished, last event `program_error`); 4 the
capture found an internal inconsistency or an unsupported feature (the
trace is left as `OUT.ftr.partial`).
"""

from __future__ import annotations

import os
import sys

# The format module (scripts/ftr.py) lives beside this package.
_SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _SCRIPTS not in sys.path:
    sys.path.insert(0, _SCRIPTS)

from .cli import main  # noqa: E402
from .errors import (  # noqa: E402
    EXIT_INCONSISTENT,
    EXIT_OK,
    EXIT_PROGRAM_ERROR,
    EXIT_USAGE,
    PRODUCER,
    VERSION,
    CaptureError,
    UnrecordableValue,
)
from .identity import ReleaseTracker  # noqa: E402
from .schedule import LibstdcxxHeap, ScheduleStep, dependency_counts, simulate_schedule  # noqa: E402
from .session import CaptureResult, capture, capture_program, float16_convolutions_on_onednn, trace_meta  # noqa: E402
from .values import EMPTY_OPS, OPAQUE_OUTPUTS, RANDOM_OPS, flatten_values, tensor_bytes  # noqa: E402

__all__ = [
    "EXIT_INCONSISTENT",
    "EXIT_OK",
    "EXIT_PROGRAM_ERROR",
    "EXIT_USAGE",
    "PRODUCER",
    "VERSION",
    "CaptureError",
    "UnrecordableValue",
    "LibstdcxxHeap",
    "ScheduleStep",
    "dependency_counts",
    "simulate_schedule",
    "ReleaseTracker",
    "EMPTY_OPS",
    "OPAQUE_OUTPUTS",
    "RANDOM_OPS",
    "flatten_values",
    "tensor_bytes",
    "CaptureResult",
    "capture",
    "capture_program",
    "float16_convolutions_on_onednn",
    "trace_meta",
    "main",
]
