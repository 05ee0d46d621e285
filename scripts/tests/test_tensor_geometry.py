"""Value digests of tensors of any geometry (ft_capture.tensor_bytes).

A gradient expanded from a 0-dim tensor to shape [1] has stride 0 but counts
as contiguous, so `t.contiguous().view(torch.uint8)` used to fail ("must be 1
to view Float as Byte") and abort the capture of `x = torch.ones(1,
requires_grad=True); (x * 2).sum().backward()` with exit 4.
"""

from __future__ import annotations

import runpy

import numpy as np
import pytest
import torch

import ft_capture
import ftr
from conftest import REPO, events_named, ops, program_path

NUMPY = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}


def blob_array(reader: ftr.TraceReader, digest: bytes) -> np.ndarray:
    blob = reader.blob(bytes(digest))
    return np.frombuffer(blob.data, dtype=NUMPY[blob.dtype]).reshape(blob.shape)


def geometries() -> dict:
    base = torch.arange(24.0)
    return {
        "expand [1] stride 0": torch.tensor(2.5).expand(1),
        "expand [1, 1] strides 0": torch.tensor(3.0).expand(1, 1),
        "expand [2, 3] strides 0": torch.tensor([1.0, 2.0, 3.0]).expand(2, 3),
        "0-dim": torch.tensor(4.5),
        "0-dim view with offset": base[7],
        "size-1 dim stride 7": base.as_strided((2, 1), (1, 7), 1),
        "all size-1, odd strides": base.as_strided((1, 1), (5, 3), 4),
        "transposed": base[:6].view(2, 3).t(),
        "strided slice": base.view(4, 6)[1:, ::2],
        "empty": torch.ones(0, 3),
        "int64 expand": torch.tensor(5).expand(1, 1),
        "bool expand": torch.tensor(True).expand(1),
        "bfloat16 expand": torch.tensor(1.5, dtype=torch.bfloat16).expand(1, 2),
        "conjugate": torch.tensor([1 + 2j, 3 - 1j]).conj(),
    }


@pytest.mark.parametrize("name", list(geometries()))
def test_tensor_bytes_are_the_logical_c_order_values(name):
    t = geometries()[name]
    want = torch.tensor(t.resolve_conj().tolist(), dtype=t.dtype).reshape(-1)  # rebuilt from Python values
    assert want.numel() == t.numel()
    assert ft_capture.tensor_bytes(t) == want.view(torch.uint8).numpy().tobytes()


def test_size_one_and_stride_zero_tensors_are_captured_with_their_values(captures):
    result, _ = captures.get("odd_geometry")
    assert result.status == ft_capture.EXIT_OK, result.message
    reader = captures.reader("odd_geometry")
    outputs = []
    for p in ops(reader):
        for v in ft_capture.flatten_values(p[4]):
            if v[0] == ftr.TAG_TENSOR and v[1][9] is not None:
                ref = v[1]
                value = blob_array(reader, ref[9])
                assert list(value.shape) == ref[2]
                outputs.append((p[0], ref[1], ref[2], ref[3], ref[4], value))

    def recorded(op, dtype, shape, stride, offset=0):
        found = [o[5] for o in outputs if o[:5] == (op, dtype, shape, stride, offset)]
        assert found, f"no {op} {dtype} {shape} {stride} +{offset} output recorded"
        return found[0]

    base = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(recorded("aten.expand.default", "float32", [1], [0]), [1.0])
    np.testing.assert_array_equal(recorded("aten.expand.default", "float32", [2, 3], [0, 0]), np.ones((2, 3)))
    np.testing.assert_array_equal(recorded("aten.slice.Tensor", "float32", [1, 1], [4, 1], 6), [[6.0]])
    np.testing.assert_array_equal(recorded("aten.as_strided.default", "float32", [2, 1], [1, 7], 1), [[1.0], [2.0]])
    np.testing.assert_array_equal(recorded("aten.t.default", "float32", [4, 3], [1, 4]), base.T)
    np.testing.assert_array_equal(recorded("aten.expand.default", "int64", [1, 1], [0, 0]), [[5]])
    np.testing.assert_array_equal(recorded("aten.expand.default", "bool", [1], [0]), [True])
    assert recorded("aten.mul.Tensor", "float32", [], []).shape == ()


def test_gradients_of_size_one_and_0_dim_leaves_are_pytorchs(captures):
    reader = captures.reader("odd_geometry")
    program = runpy.run_path(str(REPO / program_path("odd_geometry")), run_name="__main__")
    expected = [program[name].grad.numpy() for name in ("x", "s", "w")]  # one backward() each, in this order
    accumulated = [blob_array(reader, grad[9]) for _, _, grad in events_named(reader, "accumulate")]
    assert len(accumulated) == len(expected)
    for got, want in zip(accumulated, expected):
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_capturing_odd_geometry_twice_gives_identical_bytes(captures):
    _, first = captures.get("odd_geometry")
    _, second = captures.get("odd_geometry", tag="-again")
    assert first.read_bytes() == second.read_bytes()


def quantized() -> dict:
    x = torch.linspace(-1.0, 1.0, 24).reshape(4, 6)
    per_channel = torch.quantize_per_channel(x, torch.tensor([0.01, 0.02, 0.03, 0.04]), torch.tensor([0, 1, -2, 3]), 0, torch.qint8)
    return {
        "per tensor quint8": torch.quantize_per_tensor(x, 0.05, 3, torch.quint8),
        "per tensor qint32, transposed": torch.quantize_per_tensor(x, 0.001, 0, torch.qint32).t(),
        "per channel qint8": per_channel,
        "per channel qint8, sliced": per_channel[1:, ::2],
    }


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor")
@pytest.mark.parametrize("name", list(quantized()))
def test_a_quantized_tensor_reads_as_its_integer_representation(name):
    # A per-channel quantized tensor cannot be restrided (PyTorch refuses
    # "Setting strides is possible only on uniformly quantized tensor"),
    # which once failed its capture as an internal error.
    t = quantized()[name]
    want = t.int_repr().contiguous().reshape(-1)
    assert ft_capture.tensor_bytes(t) == want.view(torch.uint8).numpy().tobytes()
