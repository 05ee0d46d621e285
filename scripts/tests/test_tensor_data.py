"""`Tensor.data` under the capture (scripts/ft_capture/data.py): reads are new
tensors with their own version counter, assignments keep the tensor's id
and version, no `.data` shows up as an operator, and the capture changes
nothing PyTorch computes."""

from __future__ import annotations

import contextlib
import io
import runpy

import torch

import ftr
from conftest import REPO, program_path

PROBE = "tensor_data_probe"


def _events(captures) -> list:
    return captures.reader(PROBE).events


def _ref_of(events: list, tid: int) -> list:
    """Every reference to tensor `tid`, in stream order."""
    refs = []
    for e in events:
        if e.name == "op":
            for _, v in e.payload[3]:
                if v[0] == ftr.TAG_TENSOR and v[1][0] == tid:
                    refs.append(v[1])
        elif e.name in ("tensor", "data") and e.payload[0][0] == tid:
            refs.append(e.payload[0])
    return refs


def test_a_read_is_a_new_tensor_with_its_own_version_counter(captures):
    events = _events(captures)
    reads = [e.payload for e in events if e.name == "data" and not e.payload[2]]
    assert len(reads) == 2
    param = reads[0][1]
    ids = [r[0][0] for r in reads]
    assert len(set(ids)) == 2 and param not in ids
    for ref, source, _ in reads:
        assert source == param
        assert ref[1] == "float32" and ref[7] is False and ref[8] == 0 and ref[9] is None
    # the in-place ops through `.data` name the read tensors, not the parameter
    inplace = [e.payload for e in events if e.name == "op" and e.payload[0] in ("aten.add_.Tensor", "aten.clamp_.default")]
    assert [op[3][0][1][1][0] for op in inplace[-2:]] == ids
    # ... and leave the parameter's version where the two no_grad add_ left it
    mul = next(e.payload for e in events if e.name == "op" and e.payload[0] == "aten.mul.Tensor")
    assert mul[3][0][1][1][0] == param and mul[3][0][1][1][8] == 2


def test_an_assignment_keeps_the_id_and_version_and_changes_dtype_and_storage(captures):
    events = _events(captures)
    writes = [e.payload for e in events if e.name == "data" and e.payload[2]]
    assert len(writes) == 1
    ref, source, _ = writes[0]
    before = _ref_of(events[: events.index(next(e for e in events if e.name == "data" and e.payload[2]))], ref[0])
    assert before[-1][1] == "float32" and ref[1] == "float64"
    assert ref[5] != before[-1][5] and ref[8] == before[-1][8] == 2 and ref[7] is True
    ones = next(e.payload for e in events if e.name == "op" and e.payload[0] == "aten.ones.default")
    assert ones[4][0][1][0] == source and ones[4][0][1][5] == ref[5]


def test_no_data_access_is_recorded_as_an_operator(captures):
    events = _events(captures)
    assert not any(e.name == "op" and e.payload[0] == "aten.detach.default" and e.payload[5] == ftr.context(ftr.CTX_TOP_LEVEL) for e in events)


def test_the_capture_restores_the_property_and_changes_no_result(captures):
    captures.reader(PROBE)
    assert torch.Tensor.data.__get__ is not None
    p = torch.nn.Parameter(torch.zeros(2))
    d = p.data
    d.add_(1)
    assert p._version == 0 and d._version == 1 and torch.equal(p, torch.ones(2))
    with contextlib.redirect_stdout(io.StringIO()):
        plain = runpy.run_path(str(REPO / program_path(PROBE)), run_name="__main__")
    assert plain["w"].dtype == torch.float64 and plain["w"]._version == 2
    assert plain["z"].item() == 9.0


def test_the_corpus_program_writes_reads_and_assignments(captures):
    events = captures.reader("corpus/tensor_data").events
    names = [e.name for e in events]
    writes = [e.payload for e in events if e.name == "data" and e.payload[2]]
    assert names.count("data") > len(writes) > 0
    assert {w[0][1] for w in writes} == {"float64"}
