"""A state check reads only the tensors whose autograd state may have
changed (scripts/ft_capture/state_marks.py): the traces are the bytes a
check reading every live tensor before every operator writes
(`FT_CAPTURE_STATE_POLL=all`), for programs that change `requires_grad`,
`.grad` and leaf-ness by every Python entry point, inside and outside the
engine, and the checks read far fewer tensors."""

from __future__ import annotations

import os

import pytest
import torch

import ft_capture
import ftr
from conftest import REPO, program_path
from ft_capture import state_marks

PROGRAMS = [
    "state_changes_between_ops",
    "requires_grad_changes",
    "detach_in_place",
    "detach_in_place_regrad",
    "grad_retained",
    "tensor_data_probe",
    "hooks_order",
    "reentrant_checkpoint",
    "nonreentrant_checkpoint",
    "tied_leaves",
    "double_backward_accumulate",
    "backward_inputs",
    "autograd_grad",
    "leaf_twice",
    "stale_view",
    "inplace_on_view",
    "func_grad_then_backward",
    "corpus/grad_modes",
    "corpus/mlp_train",
]


def capture(tmp_path, monkeypatch, name: str, poll: str) -> tuple:
    """`(trace bytes, tensors the checks read)` of a capture with the poll
    mode `poll` ("all" or "" for the marks)."""
    monkeypatch.setenv("FT_CAPTURE_STATE_POLL", poll)
    made: list = []
    original_init = state_marks.StateMarks.__init__

    def init(self):
        original_init(self)
        made.append(self)

    monkeypatch.setattr(state_marks.StateMarks, "__init__", init)
    out = tmp_path / f"{name.replace('/', '-')}-{poll or 'marks'}.ftr"
    cwd = os.getcwd()
    os.chdir(REPO)
    # As in a fresh process (conftest.Captures).
    torch.nn.modules.module._global_is_full_backward_hook = None
    # Some test programs draw without seeding: both captures draw the same.
    torch.manual_seed(0)
    try:
        result = ft_capture.capture_program(program_path(name), str(out), "all", False)
    finally:
        os.chdir(cwd)
        monkeypatch.undo()
    assert result.status in (ft_capture.EXIT_OK, ft_capture.EXIT_PROGRAM_ERROR), result.message
    assert len(made) == 1
    return out.read_bytes(), made[0].reads


@pytest.mark.parametrize("name", PROGRAMS)
def test_marked_checks_write_what_full_checks_write(tmp_path, monkeypatch, name):
    marked, _ = capture(tmp_path, monkeypatch, name, "")
    full, _ = capture(tmp_path, monkeypatch, name, "all")
    assert marked == full


def test_the_state_changes_program_writes_each_change(tmp_path, monkeypatch):
    data, _ = capture(tmp_path, monkeypatch, "state_changes_between_ops", "")
    path = tmp_path / "copy.ftr"
    path.write_bytes(data)
    events = ftr.TraceReader(str(path)).events
    flags = [e.payload for e in events if e.name == "set_requires_grad"]
    grads = [e.payload for e in events if e.name == "set_grad"]
    # Freezing two parameters, unfreezing them by the setter, the detaches
    # in place, `scale` off and on, `loaded` off: each change is written.
    assert [f[1] for f in flags].count(False) >= 6, flags
    assert [f[1] for f in flags].count(True) >= 4, flags
    # Gradients assigned, cleared and replaced in a hook are all written.
    assert sum(1 for g in grads if g[1] is None) >= 4, grads


def test_marked_checks_read_a_fraction_of_the_tensors(tmp_path, monkeypatch):
    _, marked = capture(tmp_path, monkeypatch, "corpus/gpt_decoder", "")
    _, full = capture(tmp_path, monkeypatch, "corpus/gpt_decoder", "all")
    # Measured: 1,281 of 48,158 (the arguments and outputs of each op,
    # and every tensor at the checks around each backward()).
    assert 0 < marked * 5 < full, (marked, full)
