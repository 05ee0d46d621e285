"""Nested tensors recorded by the capture (format 2.6): what
`nn.TransformerEncoder` builds in evaluation from a right-padded batch and
its padding mask."""

from __future__ import annotations

import numpy as np
import pytest

import ftr
from ft_capture import capture_program

# A batch of three sentences of 2, 4 and 1 tokens (and a second batch whose
# first sentence is empty), evaluated by a two-layer encoder.
PROGRAM = """
import warnings
import torch
from torch import nn
warnings.simplefilter("ignore")
torch.manual_seed(0)
layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, batch_first=True)
encoder = nn.TransformerEncoder(layer, 2).eval()
x = torch.randn(3, 4, 4)
padding = torch.tensor([[0, 0, 1, 1], [0, 0, 0, 0], [0, 1, 1, 1]], dtype=torch.bool)
with torch.no_grad():
    y = encoder(x, src_key_padding_mask=padding)
    packed = torch._nested_tensor_from_mask(x[:2], torch.tensor([[0, 0, 0, 0], [1, 1, 0, 0]], dtype=torch.bool))
    z = packed.to_padded_tensor(-1.0)
"""


def capture(tmp_path, name: str, policy: str = "all") -> str:
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    out = tmp_path / f"{name}.ftr"
    result = capture_program(str(program), str(out), policy, timestamps=False)
    assert result.status == 0, result
    return str(out)


def ops(path: str, name: str) -> list:
    reader = ftr.TraceReader(path)
    return [e for e in reader.events if e.name == "op" and e.payload[0] == f"aten.{name}.default"]


def test_a_nested_batch_is_recorded_twice_alike(tmp_path):
    first, second = capture(tmp_path, "a"), capture(tmp_path, "b")
    with open(first, "rb") as f, open(second, "rb") as g:
        assert f.read() == g.read()
    assert ftr.TraceReader(first).version == (2, ftr.NESTED_TENSOR_MINOR)


def test_the_packed_batch_names_its_components_and_buffer(tmp_path):
    path = capture(tmp_path, "a")
    reader = ftr.TraceReader(path)
    pack = ops(path, "_nested_tensor_from_mask")[0]
    (tag, ref), = pack.payload[4]
    assert tag == ftr.TAG_TENSOR
    # shape: 3 components, an irregular dim, 4 features; no strides or value
    assert ref[2] == [3, -1, 4] and ref[3] == [] and ref[9] is None
    layout, sizes, strides, offsets, buffer = ref[10]
    assert layout == "nested" and sizes == [[2, 4], [4, 4], [1, 4]]
    assert strides == [[4, 1]] * 3 and offsets == [0, 8, 24]
    # the buffer: 1-D, its own id, the nested tensor's storage, PyTorch's values
    assert buffer[2] == [28] and buffer[3] == [1] and buffer[0] != ref[0] and buffer[5] == ref[5]
    x = np.frombuffer(reader.blob(_introduced_x(reader)).data, dtype=np.float32).reshape(3, 4, 4)
    packed = np.frombuffer(reader.blob(buffer[9]).data, dtype=np.float32)
    assert np.array_equal(packed, np.concatenate([x[0, :2], x[1], x[2, :1]]).ravel())


def _introduced_x(reader) -> bytes:
    """The digest of the program's `x`, what `torch.randn(3, 4, 4)` returned."""
    for e in reader.events:
        if e.name == "op" and e.payload[0] == "aten.randn.default" and e.payload[4][0][1][2] == [3, 4, 4]:
            return e.payload[4][0][1][9]
    raise AssertionError("x not made")


def test_each_layer_takes_and_returns_the_nested_batch(tmp_path):
    path = capture(tmp_path, "a")
    layers = ops(path, "_transformer_encoder_layer_fwd")
    assert len(layers) == 2
    for layer in layers:
        src = layer.payload[3][0][1][1]
        out = layer.payload[4][0][1]
        assert src[10][1] == out[10][1] == [[2, 4], [4, 4], [1, 4]]
        assert out[10][4][9] is not None  # the output's value: its buffer's
        # PyTorch's walk: the nested autograd key first, the kernel at NestedTensorCPU
        assert layer.payload[2][0] == ["AutogradNestedTensor", "autograd"]
        assert layer.payload[2][-1] == ["NestedTensorCPU", "kernel"]


def test_an_empty_first_component_makes_that_dim_zero(tmp_path):
    """torch 2.15 answers `size(1)` of a nested tensor whose first component
    has no rows with 0, whatever the others have; the reference says so."""
    path = capture(tmp_path, "a")
    second = ops(path, "_nested_tensor_from_mask")[1]
    ref = second.payload[4][0][1]
    assert ref[10][1] == [[0, 4], [2, 4]] and ref[2] == [2, 0, 4]
    padded = ops(path, "to_padded_tensor")[-1].payload[4][0][1]
    assert padded[2] == [2, 2, 4]


@pytest.mark.parametrize("policy", ["stats", "none"])
def test_other_value_policies_record_nested_tensors(tmp_path, policy):
    path = capture(tmp_path, "a", policy)
    buffer = ops(path, "_nested_tensor_from_mask")[0].payload[4][0][1][10][4]
    reader = ftr.TraceReader(path)
    if policy == "none":
        assert buffer[9] is None
    else:
        assert reader.stats(buffer[9]) is not None or reader.blob(buffer[9]) is not None
