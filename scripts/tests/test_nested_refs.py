"""Nested tensor references (format 2.6) in the Python writer and reader."""

from __future__ import annotations

import io
import re

import pytest

import ftr
import make_nested_fixture
from conftest import REPO

FIXTURE = REPO / "tracer" / "tests" / "fixtures" / "nested.ftr"
SPARSE_FIXTURE = REPO / "tracer" / "tests" / "fixtures" / "sparse_coo.ftr"
META = ftr.Meta("test", "synthetic", "all")


def strided(tid: int, dtype: str, shape: list) -> list:
    stride, step = [], 1
    for d in reversed(shape):
        stride.insert(0, step)
        step *= max(d, 1)
    return ftr.tensor_ref(tid, dtype, shape, stride, 0, tid, "cpu", False, 0, None)


def nested_parts(tid: int, rows: list) -> list:
    """The parts of a float32 nested tensor of components `[rows[i], 8]`."""
    offsets, at = [], 0
    for r in rows:
        offsets.append(at)
        at += r * 8
    buffer = ftr.tensor_ref(tid + 1, "float32", [at], [1], 0, tid, "cpu", False, 0, None)
    return ftr.nested_parts([[r, 8] for r in rows], [[8, 1] for _ in rows], offsets, buffer)


def nested(tid: int, rows: list) -> list:
    parts = nested_parts(tid, rows)
    shape = ftr.nested_opt_sizes(parts[1]) or [0]
    return ftr.tensor_ref(tid, "float32", shape, [], 0, tid, "cpu", False, 0, None, nested=parts)


def write(refs: list) -> bytes:
    out = io.BytesIO()
    w = ftr.TraceWriter(out, META)
    for ref in refs:
        w.append(ftr.API, ftr.API_TENSOR, ftr.p_tensor(ref, False))
    w.finish()
    return out.getvalue()


def read(data: bytes, tmp_path) -> ftr.TraceReader:
    path = tmp_path / "t.ftr"
    path.write_bytes(data)
    return ftr.TraceReader(str(path))


def test_regenerating_the_fixture_reproduces_the_committed_bytes(tmp_path):
    out = tmp_path / "nested.ftr"
    make_nested_fixture.write(str(out))
    assert out.read_bytes() == FIXTURE.read_bytes()


def test_the_fixture_reads_back(tmp_path):
    reader = ftr.TraceReader(str(FIXTURE))
    assert reader.version == (2, ftr.NESTED_TENSOR_MINOR)
    refs = [r for ev in reader.events for r in ftr.nested_refs(ev.payload)]
    assert len(refs) == 5
    made = reader.events[2].payload[4][0][1]
    assert made[2] == [3, -1, 8] and made[10][1] == [[3, 8], [5, 8], [0, 8]] and made[10][3] == [0, 24, 64]
    assert made[10][4][2] == [64] and made[10][4][9] is not None and made[9] is None
    # the buffer is a value reference right after its nested tensor (VIEW)
    values = ftr.value_refs(ftr.DISPATCH, ftr.DISPATCH_OP, reader.events[2].payload)
    assert values[-1] is made[10][4] and values[-2] is made


def test_a_file_says_minor_6_only_when_it_holds_a_nested_reference(tmp_path):
    assert read(write([strided(0, "float32", [2, 2])]), tmp_path).version == (2, 0)
    reader = read(write([strided(0, "float32", [2, 2]), nested(1, [3, 5, 0]), nested(4, [])]), tmp_path)
    assert reader.version == (2, ftr.NESTED_TENSOR_MINOR)
    ref = reader.events[1].payload[0]
    assert ref[2] == [3, -1, 8] and ref[10][0] == "nested"
    assert reader.events[2].payload[0][2] == [0]
    # a sparse reference alone still says 4
    assert ftr.TraceReader(str(SPARSE_FIXTURE)).version == (2, ftr.SPARSE_TENSOR_MINOR)


def test_pytorch_s_opt_sizes():
    assert ftr.nested_opt_sizes([[3, 8], [3, 8]]) == [2, 3, 8]
    assert ftr.nested_opt_sizes([[3, 8], [5, 8]]) == [2, -1, 8]
    assert ftr.nested_opt_sizes([[0, 8], [5, 8]]) == [2, 0, 8]
    assert ftr.nested_opt_sizes([]) is None


def test_the_structural_form_drops_the_buffer_s_digest():
    digest = bytes(range(32))
    ref = nested(0, [2, 3])
    ref[10][4][9] = digest
    stripped = ftr.structural_payload(ftr.API, ftr.API_TENSOR, [ref, False])
    assert stripped[0][10][4][9] is None and ref[10][4][9] == digest
    plain = nested(0, [2, 3])
    assert ftr.structural_payload(ftr.API, ftr.API_TENSOR, [plain, False])[0] is plain


def _set(path: tuple, value):
    def edit(ref: list) -> None:
        target = ref
        for i in path[:-1]:
            target = target[i]
        target[path[-1]] = value

    return edit


@pytest.mark.parametrize(
    "edit, message",
    [
        (_set((10, 0), "sparse_coo"), "layout 'sparse_coo' is not nested"),
        (lambda r: r[10][3].pop(), "sizes, strides and offsets have 3, 3 and 2 entries"),
        (_set((10, 1, 1), [5, 8, 1]), "component 1 has sizes [5, 8, 1] and strides [8, 1], not k=2 of each"),
        (_set((10, 1, 0, 1), -8), "component 0 has sizes [3, -8] and offset 0: negative"),
        (_set((10, 3, 1), -1), "component 1 has sizes [5, 8] and offset -1: negative"),
        (_set((10, 3, 2), 65), "component 2 (sizes [1, 8], strides [8, 1], offset 65) reaches elements 65..=72 of a buffer of 72"),
        (_set((10, 4, 3), [2]), "a buffer of shape [72] and stride [2] is not 1-D contiguous (stride [1])"),
        (_set((10, 4, 1), "float64"), "the buffer is float64, the tensor float32"),
        (_set((2,), [3, 5, 8]), "shape [3, 5, 8] disagrees with the components' sizes, which give [3, -1, 8]"),
        (_set((2,), [3, -1]), "a tensor of shape [3, -1] is not [n=3] and k=2 sizes"),
        (_set((3,), [8, 1]), "a nested tensor has no strides, offset 0 and no value of its own"),
        (_set((9,), bytes(32)), "a nested tensor has no strides, offset 0 and no value of its own"),
        (lambda r: r[10].append(None), "expected [layout, sizes, strides, offsets, buffer], got 6 elements"),
    ],
)
def test_malformed_parts_are_refused_by_the_writer_and_the_reader(tmp_path, edit, message):
    ref = nested(0, [3, 5, 1])
    edit(ref)
    with pytest.raises(ValueError, match="tensor.nested: " + re.escape(message)):
        ftr.tensor_ref(*ref[:10], nested=ref[10])
    bad = write([ref])
    with pytest.raises(ftr.TraceError) as error:
        read(bad, tmp_path)
    assert "tensor.nested: " in str(error.value) and message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_tensor_is_not_both_sparse_and_nested():
    sparse = ftr.sparse_parts(1, 1, False, strided(1, "int64", [1, 0]), strided(2, "float32", [0, 3]))
    with pytest.raises(ValueError, match="not both sparse and nested"):
        ftr.tensor_ref(0, "float32", [10, 3], [], 0, 2, "cpu", False, 0, None, sparse, nested=nested_parts(0, [1]))
