"""The capture pins Python's cyclic garbage collector (scripts/ft_capture/
collector.py `collector_pinned`, docs/CAPTURE.md §5.1): a tensor only a
dropped reference cycle holds is released at the collection before the next
top-level backward(), wherever the process's allocation counts stand, so a
capture records the same bytes in any process."""

from __future__ import annotations

import gc
import os

import ft_capture
import ftr
from conftest import REPO, program_path

PROGRAM = "cycle_release"


def capture_after(tmp_path, tag: str, garbage: int) -> bytes:
    """Captures the program in this process after making `garbage`
    container objects (kept alive, so the collector's counts stand higher)."""
    out = tmp_path / f"{tag}.ftr"
    cwd = os.getcwd()
    os.chdir(REPO)
    kept = [[] for _ in range(garbage)]
    try:
        result = ft_capture.capture_program(program_path(PROGRAM), str(out), "all", False)
    finally:
        os.chdir(cwd)
        del kept
    assert result.status == ft_capture.EXIT_OK, result.message
    return out.read_bytes()


def test_a_cycles_tensor_is_released_before_the_next_backward(tmp_path):
    capture_after(tmp_path, "fresh", 0)
    events = ftr.TraceReader(str(tmp_path / "fresh.ftr")).events
    ops = [e.payload for e in events if e.name == "op"]
    held = ops[2][4][0][1][0]  # randn, randn, mul: the held tensor
    assert ops[2][0] == "aten.mul.Tensor"
    names = [e.name for e in events]
    at = next(i for i, e in enumerate(events) if e.name == "release" and e.payload[0] == held)
    backward = names.index("backward")
    last_op = max(i for i, n in enumerate(names[:backward]) if n == "op")
    # Among the state changes written between the forward's last op and
    # backward: no automatic collection freed it among the 300 ops before.
    assert last_op < at < backward, (last_op, at, backward)

def test_allocation_history_changes_nothing(tmp_path):
    first = capture_after(tmp_path, "fresh", 0)
    for garbage in (233, 467, 691):
        assert capture_after(tmp_path, f"after-{garbage}", garbage) == first, garbage


def test_the_collector_is_restored(tmp_path):
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    capture_after(tmp_path, "restored", 0)
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_each_steps_cycle_is_released_before_the_next_backward_but_the_first(tmp_path):
    """Step k's cycle is garbage from step k + 1 on and dies at the
    collection before backward k + 1; step 0's survived the first
    collection, which froze it with the model (released only when the
    capture ends, so never in the trace)."""
    out = tmp_path / "steps.ftr"
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        result = ft_capture.capture_program(program_path("cycle_release_steps"), str(out), "none", False)
    finally:
        os.chdir(cwd)
    assert result.status == ft_capture.EXIT_OK, result.message
    events = ftr.TraceReader(str(out)).events
    held = [e.payload[4][0][1][0] for e in events if e.name == "op" and e.payload[0] == "aten.full.default"]
    backwards = [i for i, e in enumerate(events) if e.name == "backward"]
    released = {e.payload[0]: i for i, e in enumerate(events) if e.name == "release"}
    assert len(held) == 4 and len(backwards) == 4
    assert held[0] not in released
    for step in (1, 2):
        assert backwards[step] < released[held[step]] < backwards[step + 1], step
    assert held[3] not in released


class _RunsAnOperatorWhenCollected:
    """Cyclic garbage whose finaliser runs a PyTorch operator."""

    def __init__(self, ran: list) -> None:
        self.me = self
        self.ran = ran

    def __del__(self) -> None:
        import torch

        self.ran.append(torch.ones(1).item())


def test_garbage_made_before_the_capture_is_not_freed_inside_it(tmp_path):
    """Garbage the process made before the capture is frozen with everything
    else alive then, never collected inside the capture (its finaliser's
    operator would be recorded in the middle of the program, at the first
    collection point) and collectable again afterwards."""
    ran: list = []
    _RunsAnOperatorWhenCollected(ran)
    first = capture_after(tmp_path, "with-garbage", 0)
    assert ran == []
    gc.collect()
    assert ran == [1.0]
    assert first == capture_after(tmp_path, "without-garbage", 0)
