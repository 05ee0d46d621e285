"""Memory an `empty*` call returns holds whatever the allocator left there:
neither its outputs nor views of it carry a value until something writes the
storage — a write that covers all of it —, so captures stay deterministic; a mutating op
on such a view (`uniform_` of an `empty` weight) keeps its value."""

from __future__ import annotations

import torch

import ft_capture
import ftr
from conftest import ops


def selects(path) -> list:
    return [p for p in ops(ftr.TraceReader(str(path))) if p[0] == "aten.select.int"]


def test_views_of_unwritten_empty_memory_carry_no_value(tmp_path):
    path = tmp_path / "views.ftr"
    with ft_capture.capture(str(path)):
        base = torch.empty(2, 3)
        unwritten = base.select(0, 0)
        base.select(0, 1).fill_(2.0)
        half_written = base.select(0, 1)
        base.fill_(1.0)
        written = base.select(0, 1)
        del unwritten, half_written, written
    first, before_fill, half_written, written = selects(path)
    assert first[4][0][1][9] is None
    assert before_fill[4][0][1][9] is None
    # Filling one row leaves the other garbage: the storage is not written
    # until one write covers all of it.
    assert half_written[4][0][1][9] is None
    assert written[4][0][1][9] is not None
    fills = [p for p in ops(ftr.TraceReader(str(path))) if p[0] == "aten.fill_.Scalar"]
    assert fills[0][4][0][1][9] is not None


def test_a_weight_initialised_in_place_keeps_its_value(tmp_path):
    path = tmp_path / "init.ftr"
    with ft_capture.capture(str(path)):
        torch.manual_seed(0)
        weight = torch.empty(4, 3)
        torch.nn.init.uniform_(weight)
        row = weight.select(0, 2)
        del row
    uniforms = [p for p in ops(ftr.TraceReader(str(path))) if p[0] == "aten.uniform_.default"]
    assert uniforms[0][4][0][1][9] is not None
    assert selects(path)[0][4][0][1][9] is not None
