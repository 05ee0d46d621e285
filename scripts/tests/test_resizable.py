"""The capture reads tensor bytes without marking their storages not
resizable (scripts/ft_capture/values.py `tensor_buffer`): `numpy()` would,
and a program that resizes a tensor the capture has read (an observer's
per-channel scale) would fail with "Trying to resize storage that is not
resizable"."""

from __future__ import annotations

import torch

import ft_capture
from conftest import ops
from ft_capture.values import tensor_buffer

PROGRAM = "resize_after_read"


def test_a_read_storage_can_be_resized():
    t = torch.arange(4.0)
    assert bytes(tensor_buffer(t)) == t.numpy().tobytes()
    s = torch.ones(2)
    tensor_buffer(s)
    s.resize_(8)
    assert s.untyped_storage().nbytes() == 32


def test_the_buffer_holds_the_memory_it_reads():
    """A copy made for a non-contiguous tensor lives as long as the buffer."""
    t = torch.arange(12.0).reshape(3, 4).t()
    buffer = tensor_buffer(t)
    del t
    assert bytes(buffer) == torch.arange(12.0).reshape(3, 4).t().contiguous().numpy().tobytes()


def test_a_program_resizing_what_the_capture_read_records(captures):
    result, _ = captures.get(PROGRAM)
    assert result.status == ft_capture.EXIT_OK, result.message
    names = [p[0] for p in ops(captures.reader(PROGRAM))]
    assert names.count("aten.resize_.default") == 3, names
