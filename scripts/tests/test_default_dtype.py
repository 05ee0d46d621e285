"""The default dtype in the trace (format 1.2, api `default_dtype`).

The capture polls `torch.get_default_dtype()` with the other state before
each top-level op and `backward()` and writes a `default_dtype` event for a
net change (initially float32). Both writers raise the header's minor
version from 1.1 to 1.2 at the first such event, so programs that never
change the default record the same bytes as before.
"""

from __future__ import annotations

import io

import pytest

from conftest import REPO, events_named, ftr, ops


def header_minor(path) -> int:
    with open(path, "rb") as f:
        return int.from_bytes(f.read(12)[10:12], "little")


def kinds(reader: ftr.TraceReader) -> list:
    """`(name, payload)` of every event, in order."""
    return [(e.name, e.payload) for e in reader.events]


def out_dtype(op_payload: list) -> str:
    """The dtype of an op's first output (a tensor value)."""
    return op_payload[4][0][1][1]


def test_float64_default_is_written_before_the_factories_it_affects(captures):
    reader = captures.reader("corpus/default_dtype")
    events = kinds(reader)
    changes = [(i, p) for i, (name, p) in enumerate(events) if name == "default_dtype"]
    assert [p for _, p in changes] == [["float64"], ["float32"]]
    first_op = next(i for i, (name, _) in enumerate(events) if name == "op")
    assert changes[0][0] < first_op
    factories = [p for p in ops(reader) if p[0] in ("aten.zeros.default", "aten.randn.default", "aten.ones.default")]
    assert [out_dtype(p) for p in factories] == ["float64", "float64", "float64", "float32"]
    # The dtype argument stays None: the default decides.
    for p in factories:
        assert dict((n, v) for n, v in p[3])["dtype"] == [ftr.TAG_NONE, None]


def test_a_change_is_written_with_the_state_changes_grad_mode_first(captures):
    reader = captures.reader("corpus/default_dtype")
    events = kinds(reader)
    second = [i for i, (name, _) in enumerate(events) if name == "default_dtype"][1]
    # After backward: the change comes before the releases it is flushed with.
    assert events[second + 1][0] in ("release", "op")
    assert all(name != "default_dtype" for name, _ in events[second + 1 :])


def test_net_changes_only_and_set_default_tensor_type_is_seen(captures):
    reader = captures.reader("default_dtype_undone")
    events = kinds(reader)
    seen = [(name, p) for name, p in events if name in ("default_dtype", "op")]
    assert [(name, p if name == "default_dtype" else out_dtype(p)) for name, p in seen] == [
        ("op", "float32"),
        ("default_dtype", ["float16"]),
        ("op", "float16"),
        ("default_dtype", ["float64"]),
        ("op", "float64"),
        ("default_dtype", ["float32"]),
        ("op", "float32"),
    ]


def test_header_says_2_0_with_or_without_a_default_dtype_event(captures):
    # Without values: a VIEW chunk (2.5) would say more than the events.
    _, with_event = captures.get("corpus/default_dtype", policy="none")
    _, without = captures.get("corpus/tiny_mlp", policy="none")
    assert header_minor(with_event) == header_minor(without) == ftr.FLOOR_MINOR == 0
    assert ftr.TraceReader(str(with_event)).version == (2, 0)
    assert not events_named(captures.reader("corpus/tiny_mlp"), "default_dtype")
    # A trace recorded in 1.2 (the minor that added the kind) reads as before.
    legacy = ftr.TraceReader(str(REPO / "tracer/tests/fixtures/legacy_1_2_default_dtype.ftr"))
    assert legacy.version == (1, 2)
    assert [e.payload for e in legacy.events if e.name == "default_dtype"]


def test_the_capture_restores_the_default_dtype_it_found(captures):
    import torch

    result, path = captures.get("default_dtype_left_set")
    assert result.status == 0, result.message
    # The program ends on float64; the capture puts float32 back.
    assert torch.get_default_dtype() == torch.float32
    assert [e.payload for e in ftr.TraceReader(str(path)).events if e.name == "default_dtype"] == [["float64"]]


@pytest.fixture
def newer_default_dtype(monkeypatch):
    """Pretends `default_dtype` were added by minor 1 of the current major,
    to exercise how a writer raises the header's minor."""
    monkeypatch.setitem(ftr.KIND_MINOR, (ftr.API, ftr.API_DEFAULT_DTYPE), 2)


def test_writer_raises_the_minor_in_place_and_keeps_appending(newer_default_dtype):
    out = io.BytesIO()
    w = ftr.TraceWriter(out, ftr.Meta("t", "p", "all", ()))
    w.append(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(1))
    assert w.minor_version == 0
    w.append(ftr.API, ftr.API_DEFAULT_DTYPE, ftr.p_default_dtype("float64"))
    assert w.minor_version == 2
    w.append(ftr.API, ftr.API_RELEASE, ftr.p_release(0))
    assert w.minor_version == 2
    w.finish()
    data = out.getvalue()
    assert data[10:12] == b"\x02\x00"
    assert data[:10] + data[12:16] == ftr.file_header()[:10] + ftr.file_header()[12:16]


def test_reading_back_the_event(tmp_path):
    path = tmp_path / "d.ftr"
    fw = ftr.FileTraceWriter(str(path), ftr.Meta("t", "p", "all", ()))
    fw.writer.append(ftr.API, ftr.API_DEFAULT_DTYPE, ftr.p_default_dtype("bfloat16"))
    fw.finish()
    reader = ftr.TraceReader(str(path))
    assert reader.version == (2, 0)
    assert kinds(reader) == [("default_dtype", ["bfloat16"])]


class _AppendOnly(io.RawIOBase):
    """A stream that cannot seek (a pipe)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.data += bytes(b)
        return len(b)


def test_an_unseekable_stream_cannot_take_a_newer_kind(newer_default_dtype):
    w = ftr.TraceWriter(_AppendOnly(), ftr.Meta("t", "p", "all", ()))
    w.append(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(1))
    with pytest.raises(ftr.TraceError, match="minor version"):
        w.append(ftr.API, ftr.API_DEFAULT_DTYPE, ftr.p_default_dtype("float64"))
