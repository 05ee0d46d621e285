"""The capture zero-fills what an `empty*` call returns before the program
sees it (scripts/ft_capture/values.py `zero_uninitialised`): a tensor filled
part by part (`new_empty` then `index_copy_` per cluster, as
`nn.AdaptiveLogSoftmaxWithLoss` builds its outputs) then has the same
in-between values in every capture, equal to the runtime's (whose `empty*`
kernels return zeros), instead of whatever the allocator left."""

from __future__ import annotations

import struct

import pytest
import torch

import ft_capture
import ftr
from conftest import ops


def reused_block_is_dirty() -> bool:
    """Whether `torch.empty` hands out memory that is not all zeros here
    (the premise of the test that fails without the zero fill)."""
    dirty = torch.full((12,), 7.0)
    del dirty
    return not bool((torch.empty(12) == 0.0).all())


def index_copy_values(path) -> list:
    reader = ftr.TraceReader(str(path))
    found = []
    for p in ops(reader):
        if p[0] == "aten.index_copy_.default":
            blob = reader.blob(p[4][0][1][9])
            assert blob is not None and blob.dtype == "float32"
            found.append(list(struct.unpack(f"<{len(blob.data) // 4}f", blob.data)))
    return found


def partial_fill(path) -> list:
    with ft_capture.capture(str(path), zero_timestamps=True):
        dirty = torch.full((6, 2), 7.0)
        del dirty
        out = torch.empty(6, 2)
        seen = out.tolist()
        out.index_copy_(0, torch.tensor([1, 4]), torch.ones(2, 2))
        out.index_copy_(0, torch.tensor([0, 2, 3, 5]), torch.full((4, 2), 3.0))
    return seen


def test_the_program_sees_zeros_and_the_partial_writes_are_recorded_over_them(tmp_path):
    if not reused_block_is_dirty():
        pytest.skip("this allocator hands out clean memory: nothing to show")
    seen = partial_fill(tmp_path / "a.ftr")
    assert seen == [[0.0, 0.0]] * 6
    first, second = index_copy_values(tmp_path / "a.ftr")
    assert first == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    assert second == [3.0, 3.0, 1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 1.0, 1.0, 3.0, 3.0]
    # The same bytes captured again.
    partial_fill(tmp_path / "b.ftr")
    assert (tmp_path / "a.ftr").read_bytes() == (tmp_path / "b.ftr").read_bytes()


def test_the_fill_moves_no_version_and_reaches_no_record(tmp_path):
    path = tmp_path / "versions.ftr"
    with ft_capture.capture(str(path)):
        t = torch.empty(3, 4, dtype=torch.float64).t()
        like = torch.empty_like(t, dtype=torch.int64)
        strided = torch.empty_strided((2, 3), (1, 2), dtype=torch.bfloat16)
        versions = [t._version, like._version, strided._version]
        leaf = torch.empty(5, requires_grad=True)
        values = [t.tolist(), like.tolist(), strided.float().tolist(), leaf.tolist()]
    assert versions == [0, 0, 0]
    assert values == [[[0.0] * 3] * 4, [[0] * 3] * 4, [[0.0] * 3] * 2, [0.0] * 5]
    names = [p[0] for p in ops(ftr.TraceReader(str(path)))]
    assert "aten.zero_.default" not in names and "aten.set_.source_Storage" not in names


def grow_by_resize(path) -> list:
    """Grows two storages with `resize_`/`resize_as_` over a dirty block;
    returns what the program then sees."""
    with ft_capture.capture(str(path), zero_timestamps=True):
        dirty = torch.full((64,), 7.0)
        del dirty
        a = torch.arange(3.0)
        a.resize_(2, 4)
        b = torch.tensor([True, False]).resize_as_(torch.empty(3, 2))
        seen = [a.tolist(), b.tolist(), a._version, b._version]
    return seen


def test_bytes_a_resize_adds_are_zeroed_and_the_kept_ones_are_not(tmp_path):
    # PyTorch keeps the storage's old elements and leaves the new ones as the
    # allocator found them (`zero_grown`); the runtime's resize gives zeros.
    seen = grow_by_resize(tmp_path / "a.ftr")
    assert seen == [[[0.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]], [[True, False], [False, False], [False, False]], 1, 1]
    reader = ftr.TraceReader(str(tmp_path / "a.ftr"))
    names = [p[0] for p in ops(reader)]
    assert names.count("aten.resize_.default") == 1 and names.count("aten.resize_as_.default") == 1
    assert "aten.zero_.default" not in names and "aten.narrow.default" not in names
    grow_by_resize(tmp_path / "b.ftr")
    assert (tmp_path / "a.ftr").read_bytes() == (tmp_path / "b.ftr").read_bytes()
