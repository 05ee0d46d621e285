"""Lazy modules under the capture (scripts/ft_capture/data.py): the
`UninitializedParameter`/`UninitializedBuffer` placeholders have no storage,
so their materialization (`.data` read, `.data = torch.empty(shape)`) is left
unrecorded; the recording succeeds and each materialized tensor is introduced
at its first use, aliasing its `empty` result's storage."""

from __future__ import annotations

PROBE = "lazy_probe"


def test_a_lazy_module_records(captures):
    result, out = captures.get(PROBE)
    assert result.status == 0, result.message
    assert out.exists()


def test_materialization_is_not_a_data_event(captures):
    events = captures.reader(PROBE).events
    assert not [e for e in events if e.name == "data"]
    ops = [e.payload[0] for e in events if e.name == "op"]
    # LazyLinear's weight and bias, LazyBatchNorm1d's weight, bias and
    # running statistics: one `empty` each before its initialisation.
    assert sum(1 for op in ops if op.startswith("aten.empty")) >= 6, ops


def test_the_placeholders_are_never_introduced(captures):
    """Only materialized parameters and program tensors are introduced:
    nothing of the placeholders' zero-element shape."""
    events = captures.reader(PROBE).events
    introduced = [e.payload for e in events if e.name == "tensor"]
    assert introduced, "no tensor introduced"
    shapes = [tuple(p[0][2]) for p in introduced]
    assert (0,) not in shapes, shapes
