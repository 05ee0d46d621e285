"""The view test of `scripts/bench_value_compression.py`: a value counts as
a reference to an earlier one only when it is a strided view of the latest
C-contiguous value stored on its storage and its elements agree."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_value_compression import ViewBases, c_strides  # noqa: E402


def ref(shape: list, strides: list, offset: int = 0, storage: int = 7, dtype: str = "float32") -> list:
    return [1, dtype, shape, strides, offset, storage, "cpu", False, 0, None]


WEIGHT = np.arange(12, dtype=np.float32).reshape(3, 4)


def bases_with_weight() -> ViewBases:
    bases = ViewBases()
    assert not bases.is_view(ref([3, 4], [4, 1]), WEIGHT.tobytes(), 4)
    return bases


def test_c_strides():
    assert c_strides([3, 4, 5]) == [20, 5, 1]
    assert c_strides([2, 0, 3]) == [3, 3, 1]


def test_a_transposed_view_of_the_stored_weight_is_a_reference():
    bases = bases_with_weight()
    assert bases.is_view(ref([4, 3], [1, 4]), WEIGHT.T.copy().tobytes(), 4)


def test_a_slice_with_an_offset_and_a_broadcast_are_references():
    bases = bases_with_weight()
    assert bases.is_view(ref([2], [2], offset=5), WEIGHT.reshape(-1)[5:9:2].copy().tobytes(), 4)
    row = WEIGHT[1]
    assert bases.is_view(ref([2, 4], [0, 1], offset=4), np.stack([row, row]).tobytes(), 4)


def test_a_view_whose_elements_differ_is_stored():
    bases = bases_with_weight()
    written = WEIGHT.T.copy()
    written[0, 0] += 1
    assert not bases.is_view(ref([4, 3], [1, 4]), written.tobytes(), 4)


def test_a_view_reaching_past_the_stored_value_or_on_another_storage_is_stored():
    bases = bases_with_weight()
    assert not bases.is_view(ref([4, 3], [1, 4], offset=1), b"\0" * 48, 4)
    assert not bases.is_view(ref([4, 3], [1, 4], storage=8), WEIGHT.T.copy().tobytes(), 4)
    assert not bases.is_view(ref([4, 3], [1, 4], dtype="int32"), WEIGHT.T.copy().tobytes(), 4)


def test_a_later_contiguous_value_replaces_the_base():
    bases = bases_with_weight()
    updated = WEIGHT * 2
    assert not bases.is_view(ref([3, 4], [4, 1]), updated.tobytes(), 4)
    assert not bases.is_view(ref([4, 3], [1, 4]), WEIGHT.T.copy().tobytes(), 4)
    assert bases.is_view(ref([4, 3], [1, 4]), updated.T.copy().tobytes(), 4)
