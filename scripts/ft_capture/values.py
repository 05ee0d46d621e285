"""Wire values of operator arguments and results (FORMAT.md §3.1), tensor
bytes, and the operator classes the value policies name."""

from __future__ import annotations

from typing import Any

import torch

import ftr

from .errors import CaptureError, UnrecordableValue

_C = torch._C

# This list and RANDOM_OPS mirror tracer/src/op_class.rs (a test keeps them equal).
EMPTY_OPS = frozenset({"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided"})
# Operators whose outputs policy `inputs` keeps (replay feeds them back).
RANDOM_OPS = frozenset(
    {
        "uniform_",
        "normal_",
        "randn",
        "rand",
        "randint",
        "randperm",
        "bernoulli",
        "bernoulli_",
        "dropout",
        "native_dropout",
        "exponential_",
        "random_",
        "multinomial",
        "rand_like",
        "randn_like",
        "randint_like",
    }
)
# The arguments that make up a TensorOptions in an operator schema.
TENSOR_OPTIONS = ("dtype", "layout", "device", "pin_memory")

# c10 enum values that schema defaults use for ScalarType / Layout / MemoryFormat.
SCALAR_TYPE_NAMES = (
    "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
    "complex32", "complex64", "complex128", "bool", "qint8", "quint8", "qint32", "bfloat16",
)
LAYOUT_NAMES = ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn", "jagged")
MEMORY_FORMAT_NAMES = ("contiguous_format", "preserve_format", "channels_last", "channels_last_3d")


def dtype_name(dtype: torch.dtype) -> str:
    """`torch.float32` -> `float32`."""
    return str(dtype).removeprefix("torch.")


def device_name(device: torch.device) -> str:
    """`cpu`, `meta`, `cuda:0`."""
    return str(device)


def tensor_bytes(t: torch.Tensor) -> bytes:
    """The elements of `t` in logical C order, in the machine's byte order
    (FORMAT.md §2.3), whatever its geometry: stride 0 (an expanded gradient),
    size-1 dimensions with any stride, 0-dim, non-contiguous, a storage
    offset, the conjugate and negative bits. The values are copied into a
    fresh 1-d CPU buffer (stride 1) and that buffer is read as bytes;
    `t.contiguous()` is not enough, since PyTorch calls a tensor whose
    non-size-1 dimensions are dense contiguous even when a size-1 dimension
    has stride 0, and the byte view needs stride 1. Runs with dispatch modes
    disabled and on a detached tensor: no op, no node."""
    with _C._DisableTorchDispatch():
        src = t.detach()
        buf = torch.empty(src.numel(), dtype=src.dtype, device="cpu")
        if buf.numel() == 0:
            return b""
        buf.view(src.shape).copy_(src)
        return buf.view(torch.uint8).numpy().tobytes()


def node_name(node: Any) -> str:
    """PyTorch's node name without a C++ namespace (`AccumulateGrad`)."""
    return node.name().rsplit("::", 1)[-1]


def tensor_version(t: torch.Tensor) -> int:
    """`t._version`; 0 for inference tensors, which have no version counter."""
    try:
        return int(t._version)
    except RuntimeError:
        return 0


def covers_storage(t: torch.Tensor) -> bool:
    """Whether a tensor's elements are exactly its storage's, in order."""
    return t.storage_offset() == 0 and t.is_contiguous() and t.numel() * t.element_size() == t.untyped_storage().nbytes()


def bind_arguments(schema: Any, args: tuple, kwargs: dict) -> dict:
    """Every schema argument by name, positional and keyword, defaults filled."""
    named = {}
    params = schema.arguments
    if len(args) > len(params):
        raise CaptureError(f"{schema.name} received {len(args)} positional arguments for {len(params)} parameters")
    for param, value in zip(params, args):
        named[param.name] = value
    for param in params[len(args):]:
        if param.name in kwargs:
            named[param.name] = kwargs[param.name]
        elif param.has_default_value():
            named[param.name] = param.default_value
        else:
            named[param.name] = None
    unknown = set(kwargs) - {p.name for p in params}
    if unknown:
        raise CaptureError(f"{schema.name} received unknown keyword arguments {sorted(unknown)}")
    return named


def split_returns(schema: Any, out: Any) -> list:
    """One value per schema return (a tuple of results is flattened)."""
    count = len(schema.returns)
    if count == 0:
        return []
    if count == 1:
        return [out]
    return list(out)


def _enum_name(names: tuple, value: int, what: str) -> str:
    if 0 <= value < len(names):
        return names[value]
    raise CaptureError(f"unknown {what} enum value {value}")


def scalar_value(value: Any, real_type: Any) -> list:
    """Wire value of a non-tensor argument or result (FORMAT §3.1)."""
    if value is None:
        return ftr.v_none()
    if isinstance(value, bool):
        return ftr.v_bool(value)
    if isinstance(value, torch.dtype):
        return ftr.v_dtype(dtype_name(value))
    if isinstance(value, torch.layout):
        return ftr.v_layout(str(value).removeprefix("torch."))
    if isinstance(value, torch.memory_format):
        return ftr.v_memory_format(str(value).removeprefix("torch."))
    if isinstance(value, torch.device):
        return ftr.v_device(device_name(value))
    if isinstance(value, (int, torch.SymInt)):
        return _int_value(int(value), str(real_type) if real_type is not None else "")
    if isinstance(value, (float, torch.SymFloat)):
        return ftr.v_float(float(value))
    if isinstance(value, str):
        return ftr.v_str(value)
    if isinstance(value, torch.Generator):
        return ftr.v_str(f"generator:{value.device}")
    raise UnrecordableValue(value)


def _int_value(value: int, type_name: str) -> list:
    # Schema defaults of enum-typed arguments arrive as their c10 enum numbers.
    if "ScalarType" in type_name:
        return ftr.v_dtype(_enum_name(SCALAR_TYPE_NAMES, value, "ScalarType"))
    if "Layout" in type_name:
        return ftr.v_layout(_enum_name(LAYOUT_NAMES, value, "Layout"))
    if "MemoryFormat" in type_name:
        return ftr.v_memory_format(_enum_name(MEMORY_FORMAT_NAMES, value, "MemoryFormat"))
    return ftr.v_int(value)


def flatten_values(values: list) -> list:
    """Depth-first list of the scalar and tensor values inside values."""
    out = []
    for v in values:
        if v[0] == ftr.TAG_LIST:
            out.extend(flatten_values(v[1]))
        else:
            out.append(v)
    return out
