"""Wire values of operator arguments and results (FORMAT.md §3.1), tensor
bytes, and the operator classes the value policies name."""

from __future__ import annotations

import ctypes
from typing import Any, Optional

import torch

import ftr

from .errors import CaptureError, UnrecordableValue

_C = torch._C

# This list and RANDOM_OPS mirror tracer/src/op_class.rs (a test keeps them equal).
EMPTY_OPS = frozenset({"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided"})
# Single outputs that are a kernel's uninitialised scratch, (base name, output
# index) -> reason: never a value, like EMPTY_OPS' outputs (mirrors
# OPAQUE_OUTPUTS in tracer/src/op_class.rs).
OPAQUE_OUTPUTS = {
    ("mkldnn_rnn_layer", 3): "oneDNN workspace: scratch whose bytes oneDNN leaves partly uninitialised",
    ("_ctc_loss", 1): "CTC log_alpha: uninitialised outside each sample's input and target lengths",
}
# Operators whose outputs policy `inputs` keeps (replay feeds them back).
RANDOM_OPS = frozenset(
    {
        "uniform_",
        "normal_",
        "normal",
        "randn",
        "rand",
        "randint",
        "randperm",
        "bernoulli",
        "bernoulli_",
        "dropout",
        "native_dropout",
        "exponential_",
        "cauchy_",
        "log_normal_",
        "geometric_",
        "random_",
        "multinomial",
        "rand_like",
        "randn_like",
        "randint_like",
        "_standard_gamma",
        "_sample_dirichlet",
        "poisson",
        "binomial",
        "rrelu_with_noise",
        "rrelu_with_noise_",
        # The dropout family and rrelu seen whole (inside inference_mode): their
        # results carry the masks and slopes drawn inside the composite.
        "dropout_",
        "alpha_dropout",
        "alpha_dropout_",
        "feature_dropout",
        "feature_dropout_",
        "feature_alpha_dropout",
        "feature_alpha_dropout_",
        "rrelu",
        "rrelu_",
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


DTYPE_NAMES: dict = {}
_DEVICE_NAMES: dict = {}


def dtype_name(dtype: torch.dtype) -> str:
    """`torch.float32` -> `float32`."""
    name = DTYPE_NAMES.get(dtype)
    if name is None:
        name = DTYPE_NAMES[dtype] = str(dtype).removeprefix("torch.")
    return name


def device_name(device: torch.device) -> str:
    """`cpu`, `meta`, `cuda:0`."""
    name = _DEVICE_NAMES.get(device)
    if name is None:
        name = _DEVICE_NAMES[device] = str(device)
    return name


# Dtypes a STATS record describes (their elements read as float64).
_STATS_DTYPES = frozenset(
    {torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool}
)


def stats_record(t: torch.Tensor, dtype: str, shape: list, buffer: Any) -> Optional[list]:
    """The STATS record of `t` (FORMAT.md §2.3, policy `stats`):
    `[digest, dtype, shape, nonfinite, min, max, mean, norm, samples]`, the
    statistics over its finite elements read as float64 and the elements at
    `tracer/src/value_stats.rs`'s sample indices; None for a dtype it cannot
    describe (complex, quantized), which is then stored in full."""
    if t.dtype not in _STATS_DTYPES:
        return None
    with _C._DisableTorchDispatch():
        x = t.detach().reshape(-1).to(torch.float64)
        numel = x.numel()
        finite = torch.isfinite(x)
        n_finite = int(finite.sum())
        values = x if n_finite == numel else x[finite]
        lo: Optional[float]
        hi: Optional[float]
        mean: Optional[float]
        norm: Optional[float]
        if n_finite:
            lo, hi = float(values.min()), float(values.max())
            mean = float(values.sum()) / n_finite
            norm = float(torch.linalg.vector_norm(values))
        else:
            lo = hi = mean = norm = None
        k = min(numel, ftr.STATS_SAMPLES)
        indices = [i * numel // k for i in range(k)]
        picked = x[indices].tolist() if indices else []
    samples = [[i, float(v)] for i, v in zip(indices, picked)]
    return [ftr.blob_digest(dtype, shape, buffer), dtype, shape, numel - n_finite, lo, hi, mean, norm, samples]


def tensor_buffer(t: torch.Tensor) -> Any:
    """The elements of `t` in logical C order, in the machine's byte order
    (FORMAT.md §2.3), as a 1-d byte buffer, whatever its geometry: stride 0
    (an expanded gradient), size-1 dimensions with any stride, 0-dim,
    non-contiguous, a storage offset, the conjugate and negative bits.

    A contiguous CPU tensor without those bits is read in place, no copy:
    its elements are the `numel` elements from its data pointer (which
    includes the storage offset), whatever the strides of its size-1
    dimensions (PyTorch calls such a tensor contiguous and keeps them). Any
    other tensor is copied, detached, into a fresh 1-d CPU buffer first. The
    buffer aliases the tensor's memory: use it before the program runs on.
    Runs with dispatch modes disabled: no op, no node.

    A quantized tensor's elements are its integer representation
    (`int_repr()`, the same geometry in the integer type of its element
    size), whatever its scheme: per-channel ones cannot be restrided."""
    with _C._DisableTorchDispatch():
        src = t
        if src.is_quantized:
            src = src.detach().int_repr()
        numel = src.numel()
        if numel == 0:
            return b""
        if src._is_zerotensor():
            # An efficient zero tensor (`_efficientzerotensor`, what
            # SgnBackward0 returns for a real input) has sizes but no memory
            # (a null data pointer): its elements are zeros.
            return bytes(numel * src.element_size())
        if not (src.is_cpu and src.layout == torch.strided and src.is_contiguous() and not src.is_conj() and not src.is_neg()):
            flat = torch.empty(numel, dtype=src.dtype, device="cpu")
            flat.view(src.shape).copy_(src.detach())
            src = flat
        # Read by address, not through `numpy()`, which marks the storage
        # not resizable (a later `resize_` of it, as an observer's
        # per-channel scale does, would fail), nor `Tensor.const_data_ptr`,
        # which the capture wraps (`Patches._wrap_exposing`). The array
        # keeps `src`, and so the memory, alive; the view of it in plain
        # bytes (format "B", which hashers take) keeps the array.
        address = _C.TensorBase.const_data_ptr(src)
        if not address:
            raise CaptureError(f"unsupported: a {src.dtype} tensor of size {list(src.shape)} without memory (null data pointer)")
        array = (ctypes.c_ubyte * (numel * src.element_size())).from_address(address)
        array.keep = src
        return memoryview(array).cast("B")


def tensor_bytes(t: torch.Tensor) -> bytes:
    """`tensor_buffer(t)` copied into `bytes`."""
    return bytes(tensor_buffer(t))


_NODE_NAMES: dict = {}


def node_name(node: Any) -> str:
    """PyTorch's node name without a C++ namespace (`AccumulateGrad`)."""
    raw = node.name()
    name = _NODE_NAMES.get(raw)
    if name is None:
        name = _NODE_NAMES[raw] = raw.rsplit("::", 1)[-1]
    return name


def tensor_version(t: torch.Tensor) -> int:
    """`t._version`; 0 for inference tensors, which have no version counter."""
    try:
        return int(t._version)
    except RuntimeError:
        return 0


# PyTorch's refusal to regenerate the node of a view made under no_grad
# whose base was since modified in place (torch 2.15 wording).
_NO_GRAD_VIEW_REBASED = "A view was created in no_grad mode and its base"


def grad_fn_of(t: torch.Tensor) -> Any:
    """`t.grad_fn`, or None for a view made under `no_grad` whose base was
    modified in place since: PyTorch raises on reading that view's node
    (it would regenerate it) whatever the grad mode, and the call that made
    the view attached none. The capture reads an op's outputs' nodes at the
    next boundary, after the program may have done that (a complex Adam
    step's `view_as_complex` of a parameter it then updates); the program
    itself never reads it."""
    try:
        return t.grad_fn
    except RuntimeError as e:
        raise_unless_rebased_view(e)
        return None


def is_leaf(t: torch.Tensor) -> bool:
    """`t.is_leaf`, true for the views [`grad_fn_of`] reads as having no node."""
    try:
        return t.is_leaf
    except RuntimeError as e:
        raise_unless_rebased_view(e)
        return True


def raise_unless_rebased_view(error: RuntimeError) -> None:
    """Re-raises `error` unless it is PyTorch's refusal to regenerate the
    node of a no_grad view whose base changed (a view with no node)."""
    if not str(error).startswith(_NO_GRAD_VIEW_REBASED):
        raise error


def zero_uninitialised(out: Any) -> None:
    """Zero-fills the storages an `empty*` call returned, before the program
    sees them. PyTorch leaves that memory as the allocator found it, so a
    program that fills such a tensor part by part (`new_empty(n)` then an
    `index_copy_` per cluster, as `nn.AdaptiveLogSoftmaxWithLoss` does) has
    values in between that differ from run to run; zeroed, they are the
    same every time and equal to the runtime's, whose `empty*` kernels
    return zeros. No correct program reads these bytes before writing them.

    The zeros go through a separate uint8 tensor over the same storage:
    the result's own version counter does not move, and nothing reaches the
    dispatch mode or autograd."""
    tensors = out if isinstance(out, (list, tuple)) else [out]
    for t in tensors:
        if not isinstance(t, torch.Tensor) or t.layout != torch.strided or t.device.type != "cpu":
            continue
        storage = t.untyped_storage()
        if storage.nbytes() == 0:
            continue
        torch.ops.aten.zero_.default(_storage_bytes(storage))


def zero_grown(t: Any, held: int) -> None:
    """Zero-fills the bytes a `resize_`/`resize_as_` added to `t`'s storage
    (it held `held` bytes before), before the program sees them: PyTorch
    reallocates the storage keeping its old bytes and leaves the new ones
    as the allocator found them, so a value recorded over them (the
    resize's own result) would differ from capture to capture. Zeroed, they
    equal the runtime's, whose resize lengthens a storage with zeros; as
    for `zero_uninitialised`, no event is recorded and the version counter
    does not move."""
    if not isinstance(t, torch.Tensor) or t.layout != torch.strided or t.device.type != "cpu":
        return
    storage = t.untyped_storage()
    grown = storage.nbytes() - held
    if grown <= 0:
        return
    torch.ops.aten.zero_.default(torch.ops.aten.narrow.default(_storage_bytes(storage), 0, held, grown))


def _storage_bytes(storage: Any) -> torch.Tensor:
    """A uint8 tensor over all of `storage`, made below the dispatch mode
    (no event) with a version counter of its own."""
    return torch.ops.aten.set_.source_Storage(torch.ops.aten.empty.memory_format([0], dtype=torch.uint8), storage)


def covers_storage(t: torch.Tensor) -> bool:
    """Whether a tensor's elements are exactly its storage's, in order."""
    return t.storage_offset() == 0 and t.is_contiguous() and t.numel() * t.element_size() == t.untyped_storage().nbytes()


class TypeText:
    """An argument type as the wire needs it: its text (enum-typed defaults
    are told by it) and, for a list, its element type's, made once."""

    __slots__ = ("text", "_type", "_elem")

    def __init__(self, real_type: Any) -> None:
        self._type = real_type
        self.text = str(real_type) if real_type is not None else ""
        self._elem: Optional[TypeText] = None

    def elem(self) -> "TypeText":
        """The element type (text "" when the type has none)."""
        if self._elem is None:
            inner = getattr(self._type, "getElementType", None)
            self._elem = TypeText(inner() if inner is not None else None)
        return self._elem


NO_TYPE = TypeText(None)


class Param:
    """One schema argument, read from the schema once."""

    __slots__ = ("name", "type", "has_default", "default")

    def __init__(self, argument: Any) -> None:
        self.name = argument.name
        self.type = TypeText(argument.real_type)
        self.has_default = argument.has_default_value()
        self.default = argument.default_value if self.has_default else None


class OpSchema:
    """What the capture reads from an operator's schema, once per operator
    (the schema's Python objects are made anew on every access)."""

    __slots__ = ("func", "name", "wire_name", "base", "mutable", "returns", "params", "param_names")

    def __init__(self, func: Any) -> None:
        self.func = func
        schema = func._schema
        self.name = schema.name
        self.wire_name = str(func)
        self.base = schema.name.split("::", 1)[-1]
        self.mutable = schema.is_mutable
        self.returns = len(schema.returns)
        self.params = [Param(a) for a in schema.arguments]
        self.param_names = frozenset(p.name for p in self.params)

    def bind(self, args: tuple, kwargs: dict) -> dict:
        """`bind_arguments` with the schema read once."""
        named = {}
        params = self.params
        if len(args) > len(params):
            raise CaptureError(f"{self.name} received {len(args)} positional arguments for {len(params)} parameters")
        for param, value in zip(params, args):
            named[param.name] = value
        for param in params[len(args):]:
            if param.name in kwargs:
                named[param.name] = kwargs[param.name]
            elif param.has_default:
                named[param.name] = param.default
            else:
                named[param.name] = None
        if kwargs:
            unknown = set(kwargs) - self.param_names
            if unknown:
                raise CaptureError(f"{self.name} received unknown keyword arguments {sorted(unknown)}")
        return named

    def split_returns(self, out: Any) -> list:
        """`split_returns` with the schema read once."""
        if self.returns == 0:
            return []
        if self.returns == 1:
            return [out]
        return list(out)


# id(operator) -> OpSchema, which holds the operator (so the id stays its
# own): an `OpOverload` hashes in Python, an id in C.
_SCHEMAS: dict = {}


def op_schema(func: Any) -> OpSchema:
    """The operator's `OpSchema`, read on its first call."""
    schema = _SCHEMAS.get(id(func))
    if schema is None or schema.func is not func:
        schema = _SCHEMAS[id(func)] = OpSchema(func)
    return schema


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
    return typed_scalar_value(value, str(real_type) if real_type is not None else "")


def typed_scalar_value(value: Any, type_text: str) -> list:
    """`scalar_value` with the type's text given (`TypeText.text`)."""
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
        return _int_value(int(value), type_text)
    if isinstance(value, (float, torch.SymFloat)):
        return ftr.v_float(float(value))
    if isinstance(value, complex):
        return ftr.v_complex(value)
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
