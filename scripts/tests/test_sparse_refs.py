"""Sparse COO tensor references (format 2.4) in the Python writer and reader."""

from __future__ import annotations

import io

import pytest

import ftr
import make_sparse_fixture
from conftest import REPO

FIXTURE = REPO / "tracer" / "tests" / "fixtures" / "sparse_coo.ftr"
META = ftr.Meta("test", "synthetic", "all")


def strided(tid: int, dtype: str, shape: list) -> list:
    stride, step = [], 1
    for d in reversed(shape):
        stride.insert(0, step)
        step *= max(d, 1)
    return ftr.tensor_ref(tid, dtype, shape, stride, 0, tid, "cpu", False, 0, None)


def sparse(tid: int, nnz: int) -> list:
    parts = ftr.sparse_parts(1, 1, False, strided(tid + 1, "int64", [1, nnz]), strided(tid + 2, "float32", [nnz, 3]))
    return ftr.tensor_ref(tid, "float32", [10, 3], [], 0, tid + 2, "cpu", False, 0, None, parts)


def write(refs: list) -> ftr.TraceReader:
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
    out = tmp_path / "sparse_coo.ftr"
    make_sparse_fixture.write(str(out))
    assert out.read_bytes() == FIXTURE.read_bytes()


def test_a_file_says_minor_4_only_when_it_holds_a_sparse_reference(tmp_path):
    assert read(write([strided(0, "float32", [2, 2])]), tmp_path).version == (2, 0)
    reader = read(write([strided(0, "float32", [2, 2]), sparse(1, 4)]), tmp_path)
    assert reader.version == (2, ftr.SPARSE_TENSOR_MINOR)
    ref = reader.events[1].payload[0]
    assert ref[10][:4] == ["sparse_coo", 1, 1, False] and ref[10][4][2] == [1, 4]


def test_the_structural_form_drops_the_parts_digests():
    digest = bytes(range(32))
    ref = sparse(0, 2)
    ref[10][4][9] = digest
    stripped = ftr.structural_payload(ftr.API, ftr.API_TENSOR, [ref, False])
    assert stripped[0][10][4][9] is None and ref[10][4][9] == digest
    plain = sparse(0, 2)
    assert ftr.structural_payload(ftr.API, ftr.API_TENSOR, [plain, False])[0] is plain


@pytest.mark.parametrize(
    "field, value, message",
    [
        (0, "sparse_csr", "layout 'sparse_csr' is not sparse_coo"),
        (1, 2, "are not [sparse_dim=2, nnz]"),
        (2, 0, "dense_dim=0 sizes"),
    ],
)
def test_malformed_parts_are_refused_by_the_writer_and_the_reader(tmp_path, field, value, message):
    ref = sparse(0, 4)
    ref[10][field] = value
    with pytest.raises(ValueError, match="tensor.sparse: .*" + message.replace("[", r"\[").replace("]", r"\]")):
        ftr.tensor_ref(*ref[:10], ref[10])
    # a trace written around the check is refused when read, in one line
    good = write([sparse(0, 4)])
    bad = write([ref])
    assert len(bad) != len(good) or bad != good
    with pytest.raises(ftr.TraceError) as error:
        read(bad, tmp_path)
    assert "tensor.sparse: " in str(error.value) and message in str(error.value)
    assert "\n" not in str(error.value)
