"""The `.ftr` trace format in Python: a streaming writer and a small reader.

This is the Python twin of the `ft-trace` crate (`tracer/src/format.rs`,
`writer.rs`, `reader.rs`, `hash.rs`); `docs/FORMAT.md` is normative for both.
The one design constraint that shapes everything here: for the same events the
two writers must produce *byte-identical* files. Hence

* events are plain msgpack arrays (never maps) built by the payload helpers
  below, which coerce every field to the exact Python type whose msgpack
  encoding matches rmp-serde's (ints stay ints and get the smallest encoding,
  floats are always float64, digests and tensor data are `bytes` -> `bin`);
* an EVENTS chunk is closed right after the event that makes the pending
  encoded events reach 16 384 bytes, and before the INDEX -- nothing else
  closes one;
* a value is held until the first event that names it is appended and
  written right before it, never twice: as a VIEW of its storage's latest
  stored value when the reference shows it to be a strided view of it and
  the bytes written confirm it, else as a BLOB (FORMAT.md §2.3, the rule
  `tracer/src/view.rs` follows too);
* an EVENTS chunk is stored as one Zstandard frame at level 3 (libzstd 1.5.7,
  the version both the `zstandard` package and the Rust `zstd-sys` crate
  bundle: its output is deterministic), every other chunk raw.

The file writer writes every chunk with one unbuffered `write`, so a process
killed at any point leaves a `NAME.partial` file whose complete chunks a
recovering reader decodes. Writing goes to `NAME.partial`; `finish()` renames it
to `NAME` once the trailer is on disk.

The reader parses header, chunks, index and trailer, verifies every chunk's
checksum before decoding it, recomputes the chain hashes and recovers the
readable prefix of an unfinished file, including the complete events at the
start of an EVENTS chunk cut short (msgpack events are self-delimiting), as
`ft_trace::TraceReader::recover` does. It returns events as `Event` tuples
whose payloads are the decoded msgpack arrays (lists), so tests can compare
them with what was written.
"""

from __future__ import annotations

import io
import operator
import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterable, Iterator, NamedTuple, Optional, Sequence

import blake3
import msgpack
import zstandard

# ---------------------------------------------------------------------------
# Container constants (FORMAT.md §2).

MAGIC = b"\x89FTR\r\n\x1a\n"
VERSION_MAJOR = 2  # the major this module writes (2.0: EVENTS chunks compressed)
VERSION_MINOR = 7  # newest minor of VERSION_MAJOR this module reads and writes (2.1: api autocast; 2.2: complex values; 2.3: api anomaly_mode; 2.4: sparse tensor references; 2.5: VIEW chunks; 2.6: nested tensor references; 2.7: api below_autograd)
VIEW_MINOR = 5  # the 2.x minor that added VIEW chunks
# Writers start with the floor minor and raise the header's minor when they
# append the first event of a newer kind (FORMAT.md §2.1).
FLOOR_MINOR = 0
# The previous major, still read: 1.1 to 1.3, every chunk raw.
LEGACY_MAJOR = 1
LEGACY_NEWEST_MINOR = 3
LEGACY_FLOOR_MINOR = 1
MINOR_OFFSET = 10
HEADER_LEN = 16
CHUNK_HEADER_LEN = 8
CHUNK_HASH_LEN = 32
TRAILER_MAGIC = b"FTRINDEX"
TRAILER_LEN = 16
MAX_CHUNK_PAYLOAD = 1 << 30
EVENT_CHUNK_TARGET = 16 * 1024

CHUNK_META = 1
CHUNK_EVENTS = 2
CHUNK_BLOB = 3
CHUNK_INDEX = 4
CHUNK_STATS = 5
CHUNK_VIEW = 6  # format 2.5: a value stored as a strided view of an earlier BLOB
# A value of fewer bytes is always a BLOB (tracer/src/view.rs VIEW_MIN_BYTES).
VIEW_MIN_BYTES = 128

# Chunk payload encodings (byte 5 of a chunk header, FORMAT.md §2.2).
ENCODING_RAW = 0
ENCODING_ZSTD = 1
ZSTD_LEVEL = 3
_COMPRESSOR = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
_DECOMPRESSOR = zstandard.ZstdDecompressor()

VALUE_POLICIES = ("all", "inputs", "stats", "none")
# Elements a STATS record samples (tracer/src/value_stats.rs).
STATS_SAMPLES = 16

# ---------------------------------------------------------------------------
# Event model (FORMAT.md §3): layers, kinds, value tags.

API, DISPATCH, AUTOGRAD, DEVICE = 0, 1, 2, 3
LAYER_NAMES = ("api", "dispatch", "autograd", "device")

# api layer (0)
API_TENSOR = 1
API_SET_REQUIRES_GRAD = 2
API_BACKWARD = 3
API_GRAD_MODE = 4
API_MANUAL_SEED = 5
API_MARK_BEGIN = 6
API_MARK_END = 7
API_SET_GRAD = 8
API_PROGRAM_ERROR = 9
API_RELEASE = 10  # format 1.1
API_DEFAULT_DTYPE = 11  # format 1.2
API_GRAD = 12  # format 1.3
API_GRAD_RESULT = 13  # format 1.3
API_REGISTER_HOOK = 14  # format 1.3
API_REMOVE_HOOK = 15  # format 1.3
API_RETAIN_GRAD = 16  # format 1.3
API_FUNCTION = 17  # format 1.3
API_REGISTER_NODE_HOOK = 18  # format 1.3
API_DATA = 19  # format 1.3
API_SAVED_TENSORS_HOOKS = 20  # format 1.3
API_AUTOCAST = 21  # format 2.1
API_ANOMALY_MODE = 22  # format 2.3
API_BELOW_AUTOGRAD = 23  # format 2.7
# dispatch layer (1)
DISPATCH_OP = 1
DISPATCH_OP_ERROR = 2  # format 1.3
# autograd layer (2)
AG_NODE = 1
AG_GRAPH_TASK_BEGIN = 2
AG_PUSH = 3
AG_POP = 4
AG_ACCUMULATE = 5
AG_GRAPH_TASK_END = 6
AG_HOOK_BEGIN = 7  # format 1.3
AG_HOOK_END = 8  # format 1.3
AG_GRAPH_TASK_ERROR = 9  # format 1.3
AG_NODE_RESULT = 10  # format 1.3
AG_HOOK_RESULT = 11  # format 1.3
# device layer (3)
DEV_GUARD_ENTER = 1
DEV_GUARD_EXIT = 2
DEV_TRANSFER = 3

KIND_NAMES = {
    (API, API_TENSOR): "tensor",
    (API, API_SET_REQUIRES_GRAD): "set_requires_grad",
    (API, API_BACKWARD): "backward",
    (API, API_GRAD_MODE): "grad_mode",
    (API, API_MANUAL_SEED): "manual_seed",
    (API, API_MARK_BEGIN): "mark_begin",
    (API, API_MARK_END): "mark_end",
    (API, API_SET_GRAD): "set_grad",
    (API, API_PROGRAM_ERROR): "program_error",
    (API, API_RELEASE): "release",
    (API, API_DEFAULT_DTYPE): "default_dtype",
    (API, API_GRAD): "grad",
    (API, API_GRAD_RESULT): "grad_result",
    (API, API_REGISTER_HOOK): "register_hook",
    (API, API_REMOVE_HOOK): "remove_hook",
    (API, API_RETAIN_GRAD): "retain_grad",
    (API, API_FUNCTION): "function",
    (API, API_REGISTER_NODE_HOOK): "register_node_hook",
    (API, API_DATA): "data",
    (API, API_SAVED_TENSORS_HOOKS): "saved_tensors_hooks",
    (API, API_AUTOCAST): "autocast",
    (API, API_ANOMALY_MODE): "anomaly_mode",
    (API, API_BELOW_AUTOGRAD): "below_autograd",
    (DISPATCH, DISPATCH_OP): "op",
    (DISPATCH, DISPATCH_OP_ERROR): "op_error",
    (AUTOGRAD, AG_NODE): "node",
    (AUTOGRAD, AG_GRAPH_TASK_BEGIN): "graph_task_begin",
    (AUTOGRAD, AG_PUSH): "push",
    (AUTOGRAD, AG_POP): "pop",
    (AUTOGRAD, AG_ACCUMULATE): "accumulate",
    (AUTOGRAD, AG_GRAPH_TASK_END): "graph_task_end",
    (AUTOGRAD, AG_HOOK_BEGIN): "hook_begin",
    (AUTOGRAD, AG_HOOK_END): "hook_end",
    (AUTOGRAD, AG_GRAPH_TASK_ERROR): "graph_task_error",
    (AUTOGRAD, AG_NODE_RESULT): "node_result",
    (AUTOGRAD, AG_HOOK_RESULT): "hook_result",
    (DEVICE, DEV_GUARD_ENTER): "guard_enter",
    (DEVICE, DEV_GUARD_EXIT): "guard_exit",
    (DEVICE, DEV_TRANSFER): "transfer",
}

# The minor of VERSION_MAJOR that introduced each kind newer than its .0.
KIND_MINOR: dict = {(API, API_AUTOCAST): 1, (API, API_ANOMALY_MODE): 3, (API, API_BELOW_AUTOGRAD): 7}
# The minor of VERSION_MAJOR that added value tag 11 (a complex number): an
# operator call holding one needs it (FORMAT.md §2.1).
COMPLEX_VALUE_MINOR = 2
# The minor of VERSION_MAJOR that added sparse tensor references (an 11th
# element, FORMAT.md §3.1): an event holding one needs it.
SPARSE_TENSOR_MINOR = 4
SPARSE_COO = "sparse_coo"
# A sparse reference's layout name as msgpack writes it (a fixstr of 10):
# a writer looks for sparse references only in payloads that hold it.
_SPARSE_MARKER = b"\xaa" + SPARSE_COO.encode()
# The minor of VERSION_MAJOR that added nested tensor references (an 11th
# element of layout "nested", FORMAT.md §3.1): an event holding one needs it.
NESTED_TENSOR_MINOR = 6
NESTED = "nested"
# A nested reference's layout name as msgpack writes it (a fixstr of 6).
_NESTED_MARKER = b"\xa6" + NESTED.encode()
# A complex value `[11, [re, im]]` as msgpack writes it: a 2-array, the
# fixint tag, a 2-array, a float64. A writer searches an operator call's
# values for complex ones only in payloads that hold these bytes.
_COMPLEX_MARKER = b"\x92\x0b\x92\xcb"

# The 1.x minor that introduced each kind newer than 1.0 (reading 1.x files).
LEGACY_KIND_MINOR = {
    (API, API_RELEASE): 1,
    (API, API_DEFAULT_DTYPE): 2,
    (API, API_GRAD): 3,
    (API, API_GRAD_RESULT): 3,
    (DISPATCH, DISPATCH_OP_ERROR): 3,
    (AUTOGRAD, AG_GRAPH_TASK_ERROR): 3,
    (API, API_REGISTER_HOOK): 3,
    (API, API_REMOVE_HOOK): 3,
    (API, API_RETAIN_GRAD): 3,
    (API, API_FUNCTION): 3,
    (AUTOGRAD, AG_NODE_RESULT): 3,
    (AUTOGRAD, AG_HOOK_BEGIN): 3,
    (AUTOGRAD, AG_HOOK_END): 3,
    (API, API_REGISTER_NODE_HOOK): 3,
    (API, API_DATA): 3,
    (API, API_SAVED_TENSORS_HOOKS): 3,
    (AUTOGRAD, AG_HOOK_RESULT): 3,
    # A 2.x kind counts in a 1.x file as a kind newer than 1.x does.
    (API, API_AUTOCAST): LEGACY_NEWEST_MINOR,
    (API, API_ANOMALY_MODE): LEGACY_NEWEST_MINOR,
    (API, API_BELOW_AUTOGRAD): LEGACY_NEWEST_MINOR,
}

# value tags (FORMAT.md §3.1)
TAG_NONE = 0
TAG_BOOL = 1
TAG_INT = 2
TAG_FLOAT = 3
TAG_STR = 4
TAG_TENSOR = 5
TAG_LIST = 6
TAG_DTYPE = 7
TAG_DEVICE = 8
TAG_LAYOUT = 9
TAG_MEMORY_FORMAT = 10
TAG_COMPLEX = 11

# dispatch context codes (FORMAT.md §3.3)
CTX_TOP_LEVEL = 0
CTX_BACKWARD = 1
CTX_NODE = 2

ACCUMULATE_GRAD_SEQ = (1 << 64) - 1
U64_MAX = (1 << 64) - 1
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
DIGEST_LEN = 32

# Index of the `value` field in a tensor reference.
_REF_VALUE = 9
# Index of a sparse tensor's parts in its reference (format 2.4), and of a
# nested tensor's (format 2.6).
_REF_SPARSE = 10
_REF_NESTED = 10


# ---------------------------------------------------------------------------
# Errors.


class TraceError(Exception):
    """Anything wrong with reading or writing a trace."""


class NotATrace(TraceError):
    """The file does not start with the trace magic."""


class UnsupportedVersion(TraceError):
    """The file's major version is not the one this module reads."""


class Truncated(TraceError):
    """The file ends before a complete chunk or has no footer."""

    def __init__(self, path: str, offset: int, detail: str) -> None:
        super().__init__(f"{path}: trace truncated at offset {offset}: {detail}")
        self.offset = offset
        self.detail = detail


class CorruptChunk(TraceError):
    """A chunk's framing or checksum is wrong."""

    def __init__(self, path: str, offset: int, detail: str) -> None:
        super().__init__(f"{path}: corrupt chunk at offset {offset}: {detail}")
        self.offset = offset
        self.detail = detail


class DecodeError(TraceError):
    """A chunk's checksum is right but its payload does not decode."""


class IndexMismatch(TraceError):
    """The events disagree with the footer index."""


# ---------------------------------------------------------------------------
# msgpack encoding and hashes.


def packb(obj: Any) -> bytes:
    """msgpack bytes of `obj` with the format's conventions.

    Python's msgpack already picks the smallest int/str/bin/array encodings
    and writes floats as float64, exactly as rmp-serde does for the Rust
    types the events use.
    """
    return msgpack.packb(obj, use_bin_type=True, use_single_float=False)


def unpackb(data: bytes) -> Any:
    """Decodes msgpack with arrays as lists and bin as bytes."""
    return msgpack.unpackb(data, raw=False, use_list=True, strict_map_key=False)


def digest_of(data: bytes) -> bytes:
    """BLAKE3-256 of `data`."""
    return blake3.blake3(data).digest()


def blob_digest(dtype: str, shape: Sequence[int], data: Any) -> bytes:
    """`blake3(msgpack([dtype, shape]) || data)` (FORMAT.md §2.3); `data`
    is any bytes-like object, hashed in place."""
    hasher = blake3.blake3(packb([dtype, [int(d) for d in shape]]))
    hasher.update(data)
    return hasher.digest()


def chain_next(chain: bytes, structural: bytes) -> bytes:
    """The next link of a chain hash: `blake3(chain || structural)`."""
    hasher = blake3.blake3(chain)
    hasher.update(structural)
    return hasher.digest()


def _strip_ref(ref: list) -> list:
    """A tensor reference with its digest (and a sparse tensor's parts'
    digests, a nested tensor's buffer's) set to nil; the reference itself
    when it carries none."""
    if len(ref) == 11 and _is_nested_parts(ref[_REF_NESTED]):
        parts = ref[_REF_NESTED]
        buffer = _strip_ref(parts[4])
        if ref[_REF_VALUE] is None and buffer is parts[4]:
            return ref
        stripped = list(ref)
        stripped[_REF_VALUE] = None
        stripped[_REF_NESTED] = parts[:4] + [buffer]
        return stripped
    if len(ref) == 11:
        parts = ref[_REF_SPARSE]
        indices, values = _strip_ref(parts[4]), _strip_ref(parts[5])
        if ref[_REF_VALUE] is None and indices is parts[4] and values is parts[5]:
            return ref
        stripped = list(ref)
        stripped[_REF_VALUE] = None
        stripped[_REF_SPARSE] = parts[:4] + [indices, values]
        return stripped
    if ref[_REF_VALUE] is None:
        return ref
    stripped = list(ref)
    stripped[_REF_VALUE] = None
    return stripped


def _strip_value(value: list) -> list:
    """A value `[tag, payload]` with every tensor's digest set to nil; the
    value itself when it carries no digest."""
    tag = value[0]
    if tag == TAG_TENSOR:
        ref = _strip_ref(value[1])
        return value if ref is value[1] else [tag, ref]
    if tag == TAG_LIST:
        items = value[1]
        stripped = [_strip_value(v) for v in items]
        if all(map(operator.is_, stripped, items)):
            return value
        return [tag, stripped]
    return value


def _strip_args(args: list) -> list:
    """Named arguments `[[name, value], ...]` stripped; `args` itself when no
    value carries a digest."""
    stripped = [[name, _strip_value(v)] for name, v in args]
    if all(s[1] is a[1] for s, a in zip(stripped, args)):
        return args
    return stripped


def structural_payload(layer: int, kind: int, payload: list) -> list:
    """The payload with every tensor reference's `value` set to nil (§4);
    the payload itself when no reference carries a value."""
    if layer == API and kind == API_TENSOR:
        ref = _strip_ref(payload[0])
        return payload if ref is payload[0] else [ref, payload[1]]
    if layer == DISPATCH and kind == DISPATCH_OP:
        op, keyset, chain, args, outputs, context = payload
        stripped_args = _strip_args(args)
        stripped_outputs = [_strip_value(v) for v in outputs]
        if stripped_args is args and all(map(operator.is_, stripped_outputs, outputs)):
            return payload
        return [op, keyset, chain, stripped_args, stripped_outputs, context]
    if layer == DISPATCH and kind == DISPATCH_OP_ERROR:
        op, keyset, chain, args, error, context = payload
        stripped_args = _strip_args(args)
        if stripped_args is args:
            return payload
        return [op, keyset, chain, stripped_args, error, context]
    if layer == AUTOGRAD and kind == AG_ACCUMULATE:
        ref = _strip_ref(payload[2])
        return payload if ref is payload[2] else [payload[0], payload[1], ref]
    return payload


def structural_hash(layer: int, kind: int, payload: list) -> bytes:
    """`BLAKE3(msgpack([layer, kind, payload']))`: seq, ts and values excluded."""
    return digest_of(packb([layer, kind, structural_payload(layer, kind, payload)]))


def _refs_with_parts(ref: list, out: list) -> None:
    out.append(ref)
    if len(ref) == 11 and _is_nested_parts(ref[_REF_NESTED]):
        out.append(ref[_REF_NESTED][4])
    elif len(ref) == 11:
        parts = ref[_REF_SPARSE]
        out.append(parts[4])
        out.append(parts[5])


def _value_refs_of(value: list, out: list) -> None:
    tag = value[0]
    if tag == TAG_TENSOR:
        _refs_with_parts(value[1], out)
    elif tag == TAG_LIST:
        for v in value[1]:
            _value_refs_of(v, out)


def value_refs(layer: int, kind: int, payload: list) -> list:
    """The tensor references that may carry a value digest, in wire order
    (§3.1): an introduced tensor, an operator call's arguments then results,
    an accumulated gradient; a sparse tensor's indices and values right
    after it, a nested tensor's buffer right after it (`tracer/src/view.rs`
    `value_refs`)."""
    out: list = []
    if layer == API and kind == API_TENSOR:
        _refs_with_parts(payload[0], out)
    elif layer == DISPATCH and kind == DISPATCH_OP:
        for _, v in payload[3]:
            _value_refs_of(v, out)
        for v in payload[4]:
            _value_refs_of(v, out)
    elif layer == DISPATCH and kind == DISPATCH_OP_ERROR:
        for _, v in payload[3]:
            _value_refs_of(v, out)
    elif layer == AUTOGRAD and kind == AG_ACCUMULATE:
        _refs_with_parts(payload[2], out)
    return out


# ---------------------------------------------------------------------------
# VIEW records (§2.3, format 2.5): a value stored as a strided view of an
# earlier BLOB of its storage. Mirrors tracer/src/view.rs.



def is_c_contiguous(shape: Sequence[int], stride: Sequence[int]) -> bool:
    """Whether strides are a C-contiguous tensor's (a dimension of size 1
    may have any stride; a tensor without elements is contiguous)."""
    if len(shape) != len(stride):
        return False
    if 0 in shape:
        return True
    expected = 1
    for size, step in zip(reversed(shape), reversed(stride)):
        if size != 1 and step != expected:
            return False
        expected *= size
    return True


def element_span(shape: Sequence[int], stride: Sequence[int], offset: int) -> Optional[tuple]:
    """Lowest and highest flat index a view reads; None without elements."""
    if len(shape) != len(stride) or any(d <= 0 for d in shape):
        return None
    low = high = offset
    for size, step in zip(shape, stride):
        reach = (size - 1) * step
        if reach < 0:
            low += reach
        else:
            high += reach
    return low, high


def gather(base: Any, elem: int, shape: Sequence[int], stride: Sequence[int], offset: int) -> Optional[bytes]:
    """A view's elements gathered from `base` (C order, `elem` bytes each);
    None when an element lies outside it."""
    import numpy as np  # noqa: PLC0415 - only views need it

    if len(shape) != len(stride) or any(d < 0 for d in shape) or elem not in (1, 2, 4, 8):
        return None
    if 0 in shape:
        return b""
    span = element_span(shape, stride, offset)
    numel = len(base) // elem
    if span is None or span[0] < 0 or span[1] >= numel:
        return None
    flat = np.frombuffer(base, dtype=f"<u{elem}", count=numel)
    # From the element at index zero; every element read lies in `base`
    # (checked above), negative strides included.
    view = np.lib.stride_tricks.as_strided(
        flat[offset:], shape=tuple(shape), strides=tuple(s * elem for s in stride), writeable=False
    )
    return view.tobytes()


def resolve_view(view: list, base_dtype: str, base_data: bytes) -> tuple:
    """A VIEW record's value `(data, None)` gathered from its base BLOB, or
    `(None, why)` when the pair is corrupt (`tracer/src/view.rs` `resolve`)."""
    digest, dtype, shape, _base, offset, stride = view
    elem = _ELEMENT_SIZES.get(dtype)
    if elem is None:
        return None, f"view of dtype {dtype} (not one a view may hold)"
    if len(shape) != len(stride) or any(d < 0 for d in shape):
        return None, f"view shape {list(shape)} and strides {list(stride)} do not describe a tensor"
    if base_dtype != dtype:
        return None, f"view of dtype {dtype} over a {base_dtype} base"
    data = gather(base_data, elem, shape, stride, offset)
    if data is None:
        return None, (
            f"view (offset {offset}, strides {list(stride)}, shape {list(shape)}) reads outside "
            f"its base's {len(base_data) // elem} elements"
        )
    if blob_digest(dtype, shape, data) != bytes(digest):
        return None, "view contents do not match their digest"
    return data, None


class ChainState:
    """Running chain hashes: one over all events, one per layer."""

    def __init__(self) -> None:
        self.all = bytes(DIGEST_LEN)
        self.layers = [bytes(DIGEST_LEN) for _ in LAYER_NAMES]

    def push(self, layer: int, structural: bytes) -> None:
        """Extends the chains with one event's structural hash."""
        self.all = chain_next(self.all, structural)
        if 0 <= layer < len(self.layers):
            self.layers[layer] = chain_next(self.layers[layer], structural)


# ---------------------------------------------------------------------------
# Payload builders: each returns the exact wire shape of FORMAT.md §3 with
# every field coerced to the type whose encoding matches the Rust writer.


def _u64(n: int) -> int:
    n = int(n)
    if not 0 <= n <= U64_MAX:
        raise ValueError(f"{n} does not fit an unsigned 64-bit field")
    return n


def _u32(n: int) -> int:
    n = int(n)
    if not 0 <= n < (1 << 32):
        raise ValueError(f"{n} does not fit an unsigned 32-bit field")
    return n


def _i64(n: int) -> int:
    n = int(n)
    if not I64_MIN <= n <= I64_MAX:
        raise ValueError(f"{n} does not fit a signed 64-bit field")
    return n


def _digest(d: Optional[bytes]) -> Optional[bytes]:
    if d is None:
        return None
    d = bytes(d)
    if len(d) != DIGEST_LEN:
        raise ValueError(f"a digest has {DIGEST_LEN} bytes, not {len(d)}")
    return d


def tensor_ref(
    tid: int,
    dtype: str,
    shape: Sequence[int],
    stride: Sequence[int],
    offset: int,
    storage: int,
    device: str,
    requires_grad: bool,
    version: int,
    value: Optional[bytes],
    sparse: Optional[list] = None,
    nested: Optional[list] = None,
) -> list:
    """`[id, dtype, shape, stride, offset, storage, device, requires_grad, version, value]`,
    and for a sparse tensor (format 2.4) its parts (`sparse_parts`) as an
    11th element, for a nested tensor (format 2.6) its parts
    (`nested_parts`)."""
    ref = [
        _u64(tid),
        str(dtype),
        [_i64(d) for d in shape],
        [_i64(s) for s in stride],
        _i64(offset),
        _u64(storage),
        str(device),
        bool(requires_grad),
        _u64(version),
        _digest(value),
    ]
    if sparse is not None and nested is not None:
        raise ValueError("a tensor is not both sparse and nested")
    if sparse is not None:
        ref.append(sparse)
        problem = sparse_ref_error(ref)
        if problem:
            raise ValueError(problem)
    if nested is not None:
        ref.append(nested)
        problem = nested_ref_error(ref)
        if problem:
            raise ValueError(problem)
    return ref


def sparse_parts(sparse_dim: int, dense_dim: int, coalesced: bool, indices: list, values: list) -> list:
    """A sparse COO tensor's parts, the 11th element of its reference
    (format 2.4): `[layout, sparse_dim, dense_dim, coalesced, indices,
    values]`, `indices` and `values` strided tensor references."""
    return [SPARSE_COO, _i64(sparse_dim), _i64(dense_dim), bool(coalesced), indices, values]


def _is_ref(x: Any) -> bool:
    return type(x) is list and len(x) in (10, 11) and type(x[0]) is int and type(x[1]) is str


def sparse_ref_error(ref: list) -> Optional[str]:
    """Why a tensor reference's sparse parts do not describe a sparse COO
    tensor (one line naming the field, as the Rust reader's), or None."""
    if len(ref) != 11 or _is_nested_parts(ref[_REF_SPARSE]):
        return None
    parts = ref[_REF_SPARSE]

    def bad(problem: str) -> str:
        return f"tensor.sparse: {problem}"

    if type(parts) is not list or len(parts) != 6:
        return bad(f"expected [layout, sparse_dim, dense_dim, coalesced, indices, values], got {parts!r}")
    layout, sparse_dim, dense_dim, coalesced, indices, values = parts
    if layout != SPARSE_COO:
        return bad(f"layout {layout!r} is not sparse_coo")
    if type(sparse_dim) is not int or type(dense_dim) is not int or type(coalesced) is not bool:
        return bad("sparse_dim and dense_dim must be ints, coalesced a bool")
    if sparse_dim < 0 or dense_dim < 0:
        return bad(f"sparse_dim {sparse_dim} and dense_dim {dense_dim} must not be negative")
    if not (_is_ref(indices) and _is_ref(values)) or len(indices) != 10 or len(values) != 10:
        return bad("indices and values must be strided tensors")
    if indices[1] != "int64":
        return bad(f"indices are {indices[1]}, not int64")
    if len(indices[2]) != 2 or indices[2][0] != sparse_dim:
        return bad(f"indices of shape {indices[2]} are not [sparse_dim={sparse_dim}, nnz]")
    nnz = indices[2][1]
    if values[2][:1] != [nnz] or len(values[2]) != 1 + dense_dim:
        return bad(f"values of shape {values[2]} are not [nnz={nnz}] and dense_dim={dense_dim} sizes")
    shape = ref[2]
    if len(shape) != sparse_dim + dense_dim:
        return bad(f"a tensor of shape {shape} has not sparse_dim + dense_dim = {sparse_dim + dense_dim} dimensions")
    if list(shape[sparse_dim:]) != list(values[2][1:]):
        return bad(f"values of shape {values[2]} do not have the dense sizes of {shape}")
    if values[1] != ref[1]:
        return bad(f"values are {values[1]}, the tensor {ref[1]}")
    if ref[3] or ref[4] != 0 or ref[_REF_VALUE] is not None:
        return bad("a sparse tensor has no strides, offset 0 and no value of its own")
    return None


def nested_parts(sizes: Sequence[Sequence[int]], strides: Sequence[Sequence[int]], offsets: Sequence[int], buffer: list) -> list:
    """A nested tensor's parts, the 11th element of its reference (format
    2.6): `[layout, sizes, strides, offsets, buffer]`; `sizes` and `strides`
    one row of k ints per component (`_nested_tensor_size()`,
    `_nested_tensor_strides()`), `offsets` one int per component
    (`_nested_tensor_storage_offsets()`), `buffer` the strided reference of
    the 1-D contiguous buffer."""
    return [
        NESTED,
        [[_i64(d) for d in row] for row in sizes],
        [[_i64(d) for d in row] for row in strides],
        [_i64(o) for o in offsets],
        buffer,
    ]


def _is_nested_parts(parts: Any) -> bool:
    """Whether a reference's 11th element is read as a nested tensor's
    parts: five elements, or the layout "nested" (else a sparse tensor's)."""
    return type(parts) is list and (len(parts) == 5 or (len(parts) > 0 and parts[0] == NESTED))


def nested_opt_sizes(sizes: Sequence[Sequence[int]]) -> Optional[list]:
    """The shape of the nested tensor of components `sizes`, PyTorch's
    `opt_sizes`: `[n, d1, ..., dk]`, `di` the first component's size of dim
    i when it is 0 or every component has it, else -1; None when n = 0."""
    if not sizes:
        return None
    first = list(sizes[0])
    shape = [len(sizes)]
    for i, d in enumerate(first):
        regular = d == 0 or all(len(row) > i and row[i] == d for row in sizes)
        shape.append(d if regular else -1)
    return shape


def nested_ref_error(ref: list) -> Optional[str]:
    """Why a tensor reference's nested parts do not describe a nested
    tensor (one line naming the field, as the Rust reader's), or None."""
    if len(ref) != 11 or not _is_nested_parts(ref[_REF_NESTED]):
        return None
    parts = ref[_REF_NESTED]

    def bad(problem: str) -> str:
        return f"tensor.nested: {problem}"

    if len(parts) != 5:
        return bad(f"expected [layout, sizes, strides, offsets, buffer], got {len(parts)} elements")
    layout, sizes, strides, offsets, buffer = parts
    if layout != NESTED:
        return bad(f"layout {layout!r} is not nested")
    rows = (sizes, strides)
    if not all(type(r) is list and all(type(row) is list and all(type(d) is int for d in row) for row in r) for r in rows):
        return bad("sizes and strides must be arrays of arrays of ints")
    if type(offsets) is not list or not all(type(o) is int for o in offsets):
        return bad("offsets must be an array of ints")
    n = len(sizes)
    if len(strides) != n or len(offsets) != n:
        return bad(f"sizes, strides and offsets have {n}, {len(strides)} and {len(offsets)} entries, not one per component")
    k = len(sizes[0]) if sizes else 0
    for i, (row, steps) in enumerate(zip(sizes, strides)):
        if len(row) != k or len(steps) != k:
            return bad(f"component {i} has sizes {row} and strides {steps}, not k={k} of each")
    for i, (row, offset) in enumerate(zip(sizes, offsets)):
        if offset < 0 or any(d < 0 for d in row):
            return bad(f"component {i} has sizes {row} and offset {offset}: negative")
    if not _is_ref(buffer) or len(buffer) != 10:
        return bad("the buffer must be a strided tensor")
    if len(buffer[2]) != 1 or list(buffer[3]) != [1]:
        return bad(f"a buffer of shape {buffer[2]} and stride {buffer[3]} is not 1-D contiguous (stride [1])")
    length = buffer[2][0]
    for i, (row, steps, offset) in enumerate(zip(sizes, strides, offsets)):
        span = element_span(row, steps, offset)
        if span is None:
            continue  # an empty component
        low, high = span
        if low < 0 or high >= length:
            return bad(f"component {i} (sizes {row}, strides {steps}, offset {offset}) reaches elements {low}..={high} of a buffer of {length}")
    shape = ref[2]
    if shape[:1] != [n] or (n > 0 and len(shape) != k + 1):
        return bad(f"a tensor of shape {shape} is not [n={n}] and k={k if n > 0 else '?'} sizes")
    expected = nested_opt_sizes(sizes)
    if expected is not None and list(shape) != expected:
        return bad(f"shape {shape} disagrees with the components' sizes, which give {expected} (-1: irregular)")
    if expected is None and any(d < -1 for d in shape[1:]):
        return bad(f"shape {shape} has a size below -1")
    if buffer[1] != ref[1]:
        return bad(f"the buffer is {buffer[1]}, the tensor {ref[1]}")
    if ref[3] or ref[4] != 0 or ref[_REF_VALUE] is not None:
        return bad("a nested tensor has no strides, offset 0 and no value of its own")
    return None


def _parts_refs(payload: Any) -> Iterator[list]:
    """Every tensor reference with an 11th element in an event's payload."""
    stack = [payload]
    while stack:
        x = stack.pop()
        if type(x) is not list:
            continue
        if len(x) == 11 and type(x[0]) is int and type(x[1]) is str:
            yield x
        else:
            stack.extend(x)


def sparse_refs(payload: Any) -> Iterator[list]:
    """Every sparse tensor reference in an event's payload."""
    return (x for x in _parts_refs(payload) if not _is_nested_parts(x[_REF_SPARSE]))


def nested_refs(payload: Any) -> Iterator[list]:
    """Every nested tensor reference in an event's payload."""
    return (x for x in _parts_refs(payload) if _is_nested_parts(x[_REF_NESTED]))


def v_none() -> list:
    """Value tag 0."""
    return [TAG_NONE, None]


def v_bool(b: bool) -> list:
    """Value tag 1."""
    return [TAG_BOOL, bool(b)]


def v_int(n: int) -> list:
    """Value tag 2 (ints and SymInts, signed 64-bit)."""
    return [TAG_INT, _i64(n)]


def v_float(x: float) -> list:
    """Value tag 3, always float64 on the wire."""
    return [TAG_FLOAT, float(x)]


def v_str(s: str) -> list:
    """Value tag 4."""
    return [TAG_STR, str(s)]


def v_tensor(ref: list) -> list:
    """Value tag 5: a tensor reference built by `tensor_ref`."""
    return [TAG_TENSOR, ref]


def v_list(items: Iterable[list]) -> list:
    """Value tag 6."""
    return [TAG_LIST, list(items)]


def v_dtype(name: str) -> list:
    """Value tag 7 (`float32`)."""
    return [TAG_DTYPE, str(name)]


def v_device(name: str) -> list:
    """Value tag 8 (`cpu`, `meta`)."""
    return [TAG_DEVICE, str(name)]


def v_layout(name: str) -> list:
    """Value tag 9 (`strided`)."""
    return [TAG_LAYOUT, str(name)]


def v_memory_format(name: str) -> list:
    """Value tag 10 (`preserve_format`)."""
    return [TAG_MEMORY_FORMAT, str(name)]


def v_complex(z: complex) -> list:
    """Value tag 11 (format 2.2): `[re, im]`, both float64 on the wire."""
    return [TAG_COMPLEX, [float(z.real), float(z.imag)]]


def _holds_complex_value(value: Sequence[Any]) -> bool:
    tag = value[0]
    if tag == TAG_COMPLEX:
        return True
    return tag == TAG_LIST and any(_holds_complex_value(v) for v in value[1] if isinstance(v, (list, tuple)) and v)


def _complex_value_error(value: Any) -> Optional[str]:
    """Why a tag-11 value is malformed (one line naming the field), or None."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    tag, payload = value[0], value[1]
    if tag == TAG_LIST and isinstance(payload, (list, tuple)):
        return next((e for e in map(_complex_value_error, payload) if e), None)
    if tag != TAG_COMPLEX:
        return None
    if not isinstance(payload, (list, tuple)) or len(payload) != 2 or not all(type(x) is float for x in payload):
        return f"value.complex: expected [re, im] as two float64, got {payload!r}"
    return None


def _op_values(layer: int, kind: int, payload: Any) -> list:
    """The argument and result values of an operator call event, else []."""
    if layer != DISPATCH or kind not in (DISPATCH_OP, DISPATCH_OP_ERROR) or not isinstance(payload, (list, tuple)):
        return []
    args = payload[3] if len(payload) > 3 and isinstance(payload[3], (list, tuple)) else []
    values = [a[1] for a in args if isinstance(a, (list, tuple)) and len(a) == 2]
    if kind == DISPATCH_OP and len(payload) > 4 and isinstance(payload[4], (list, tuple)):
        values.extend(payload[4])
    return [v for v in values if isinstance(v, (list, tuple)) and len(v) == 2]


def event_minor(layer: int, kind: int, payload: Any, known: int = 0, packed: Optional[bytes] = None) -> int:
    """The minor of VERSION_MAJOR an event needs: its kind's,
    NESTED_TENSOR_MINOR for an event holding a nested tensor reference,
    SPARSE_TENSOR_MINOR for an event holding a sparse tensor reference, or
    COMPLEX_VALUE_MINOR for an operator call holding a complex value.
    `known`: a minor the file already says (the values are not searched
    when it covers a complex value); `packed`: the payload's msgpack bytes,
    searched for sparse references only when they hold their layout name
    and for complex values only when they hold a complex value's bytes."""
    minor = KIND_MINOR.get((layer, kind), 0)
    if known < NESTED_TENSOR_MINOR and (packed is None or _NESTED_MARKER in packed):
        if next(nested_refs(payload), None) is not None:
            return max(minor, NESTED_TENSOR_MINOR)
    if known < SPARSE_TENSOR_MINOR and (packed is None or _SPARSE_MARKER in packed):
        if next(sparse_refs(payload), None) is not None:
            return max(minor, SPARSE_TENSOR_MINOR)
    if known < COMPLEX_VALUE_MINOR and (packed is None or _COMPLEX_MARKER in packed) and any(_holds_complex_value(v) for v in _op_values(layer, kind, payload)):
        minor = max(minor, COMPLEX_VALUE_MINOR)
    return minor


def edge(node: Optional[int], input_nr: int) -> list:
    """`[node_id or nil, input_nr]`."""
    return [None if node is None else _u64(node), _u32(input_nr)]


def context(code: int, node: Optional[int] = None) -> list:
    """`[0, nil]` top level, `[1, nil]` in backward, `[2, node]` in a node."""
    if code == CTX_NODE:
        if node is None:
            raise ValueError("context 2 needs a node id")
        return [CTX_NODE, _u64(node)]
    if code not in (CTX_TOP_LEVEL, CTX_BACKWARD):
        raise ValueError(f"unknown context {code}")
    return [int(code), None]


def p_tensor(ref: list, alias: bool) -> list:
    """api kind 1 payload."""
    return [ref, bool(alias)]


def p_set_requires_grad(tid: int, requires_grad: bool) -> list:
    """api kind 2 payload."""
    return [_u64(tid), bool(requires_grad)]


def p_backward(
    roots: Sequence[int], grads: Sequence[Optional[int]], retain_graph: bool, create_graph: bool
) -> list:
    """api kind 3 payload."""
    return [
        [_u64(r) for r in roots],
        [None if g is None else _u64(g) for g in grads],
        bool(retain_graph),
        bool(create_graph),
    ]


def p_grad_mode(grad_enabled: bool, inference_mode: bool) -> list:
    """api kind 4 payload."""
    return [bool(grad_enabled), bool(inference_mode)]


def p_manual_seed(seed: int) -> list:
    """api kind 5 payload."""
    return [_u64(seed)]


def p_mark(name: str) -> list:
    """api kinds 6 and 7 payload."""
    return [str(name)]


def p_set_grad(tid: int, grad: Optional[int]) -> list:
    """api kind 8 payload."""
    return [_u64(tid), None if grad is None else _u64(grad)]


def p_program_error(message: str) -> list:
    """api kind 9 payload."""
    return [str(message)]


def p_release(tid: int) -> list:
    """api kind 10 payload (format 1.1): `[tensor_id]`."""
    return [_u64(tid)]


def p_default_dtype(dtype: str) -> list:
    """api kind 11 payload (format 1.2): `[dtype]`, PyTorch's name (`float64`)."""
    return [str(dtype)]


def p_autocast(device_type: str, enabled: bool, dtype: str, cache_enabled: bool) -> list:
    """api kind 21 payload (format 2.1): `[device_type, enabled, dtype,
    cache_enabled]` — a device type's autocast state (`torch.autocast`);
    `dtype` is PyTorch's name (`bfloat16`)."""
    return [str(device_type), bool(enabled), str(dtype), bool(cache_enabled)]


def p_anomaly_mode(enabled: bool, check_nan: bool) -> list:
    """api kind 22 payload (format 2.3): `[enabled, check_nan]` — autograd's
    anomaly mode (`torch.is_anomaly_enabled()`,
    `torch.is_anomaly_check_nan_enabled()`)."""
    return [bool(enabled), bool(check_nan)]


def p_below_autograd(enabled: bool) -> list:
    """api kind 23 payload (format 2.7): `[enabled]` — whether the thread
    dispatches below autograd (PyTorch's `AutoDispatchBelowAutograd`), as
    it does while the kernel of an operator the program defined runs."""
    return [bool(enabled)]


def p_register_hook(hook: int, kind: str, tid: int) -> list:
    """api kind 14 payload (format 1.3): `[hook, kind, tensor]`; `kind` is
    `tensor` or `post_accumulate_grad`."""
    return [_u64(hook), str(kind), _u64(tid)]


def p_register_node_hook(hook: int, kind: str, node: int) -> list:
    """api kind 18 payload (format 1.3): `[hook, kind, node]`; `kind` is
    `post` (a node post-hook, `grad_fn.register_hook`) or `hold` (the
    program holds the node until `remove_hook [hook]`)."""
    return [_u64(hook), str(kind), _u64(node)]


def p_data(ref: list, source: int, write: bool) -> list:
    """api kind 19 payload (format 1.3): `[tensor, source, write]`. Read
    (`write` false): `tensor` is the new tensor `source.data` returned.
    Write: `tensor.data = source`, `tensor` referenced after the assignment.
    The reference carries no value."""
    return [ref, _u64(source), bool(write)]


def p_saved_tensors_hooks(hook: int, enter: bool) -> list:
    """api kind 20 payload (format 1.3): `[hook, enter]`. A
    `saved_tensors_hooks` scope entered (`enter` true) or left; `hook` is
    the pack/unpack pair's id, from the hook counter."""
    return [_u64(hook), bool(enter)]


def p_remove_hook(hook: int) -> list:
    """api kind 15 payload (format 1.3): `[hook]`."""
    return [_u64(hook)]


def p_retain_grad(tid: int) -> list:
    """api kind 16 payload (format 1.3): `[tensor]`."""
    return [_u64(tid)]


def p_function(name: str, inputs: Sequence[int], outputs: Sequence[int]) -> list:
    """api kind 17 payload (format 1.3): `[name, inputs, outputs]`, a custom
    autograd.Function applied: its node's name, the ids of its tensor
    inputs (in argument order) and of the tensors it returned."""
    return [name, [_u64(i) for i in inputs], [_u64(o) for o in outputs]]


def p_grad(
    roots: Sequence[int],
    grads: Sequence[Optional[int]],
    inputs: Sequence[int],
    retain_graph: bool,
    create_graph: bool,
    accumulate: bool,
    allow_unused: bool,
) -> list:
    """api kind 12 payload (format 1.3): `[roots, grads, inputs, retain_graph,
    create_graph, accumulate, allow_unused]` — `torch.autograd.grad`
    (`accumulate` false) or `backward(inputs=...)` (true)."""
    return [
        [_u64(r) for r in roots],
        [None if g is None else _u64(g) for g in grads],
        [_u64(i) for i in inputs],
        bool(retain_graph),
        bool(create_graph),
        bool(accumulate),
        bool(allow_unused),
    ]


def p_grad_result(grads: Sequence[Optional[list]]) -> list:
    """api kind 13 payload (format 1.3): `[grads]`, per input of the `grad`
    event the returned gradient's tensor reference (no value) or nil."""
    return [[None if g is None else list(g) for g in grads]]


def p_op(
    op: str,
    keyset: Sequence[str],
    chain: Sequence[Sequence[str]],
    args: Sequence[Sequence[Any]],
    outputs: Sequence[list],
    ctx: list,
) -> list:
    """dispatch kind 1 payload: `[op, keyset, chain, args, outputs, context]`."""
    return [
        str(op),
        [str(k) for k in keyset],
        [[str(k), str(h)] for k, h in chain],
        [[str(name), value] for name, value in args],
        list(outputs),
        ctx,
    ]


def p_op_error(
    op: str,
    keyset: Sequence[str],
    chain: Sequence[Sequence[str]],
    args: Sequence[Sequence[Any]],
    error: str,
    ctx: list,
) -> list:
    """dispatch kind 2 payload (format 1.3): `[op, keyset, chain, args, error,
    context]` — a call that raised; `error` is `"Type: message"`."""
    return [
        str(op),
        [str(k) for k in keyset],
        [[str(k), str(h)] for k, h in chain],
        [[str(name), value] for name, value in args],
        str(error),
        ctx,
    ]


def p_node(
    node: int, name: str, seq_nr: int, next_edges: Sequence[list], tensors: Sequence[int]
) -> list:
    """autograd kind 1 payload."""
    return [_u64(node), str(name), _u64(seq_nr), list(next_edges), [_u64(t) for t in tensors]]


def p_graph_task_begin(
    roots: Sequence[list], depth: int, keep_graph: bool, create_graph: bool
) -> list:
    """autograd kind 2 payload."""
    return [list(roots), _u32(depth), bool(keep_graph), bool(create_graph)]


def p_queue(node: int, depth: int, seq_nr: int, deps: int) -> list:
    """autograd kinds 3 (push) and 4 (pop) payload."""
    return [_u64(node), _u32(depth), _u64(seq_nr), _u32(deps)]


def p_accumulate(node: int, tid: int, grad_ref: list) -> list:
    """autograd kind 5 payload."""
    return [_u64(node), _u64(tid), grad_ref]


def p_graph_task_end(executed: int) -> list:
    """autograd kind 6 payload."""
    return [_u64(executed)]


def p_hook_begin(hook: int, node: int, args: Sequence[Optional[list]]) -> list:
    """autograd kind 7 payload (format 1.3): `[hook, node, args]`, each arg a
    tensor reference without value or nil."""
    return [_u64(hook), _u64(node), [None if a is None else a for a in args]]


def p_hook_end(hook: int, result: Optional[list]) -> list:
    """autograd kind 8 payload (format 1.3): `[hook, result]`, the returned
    gradient's tensor reference (no value) or nil."""
    return [_u64(hook), result]


def p_hook_result(hook: int, results: Optional[Sequence[Optional[list]]]) -> list:
    """autograd kind 11 payload (format 1.3): `[hook, results]`, nil when the
    node hook returned None, else one tensor reference (no value) or nil per
    result it returned."""
    return [_u64(hook), None if results is None else list(results)]


def p_node_result(node: int, grads: Sequence[Optional[list]], results: Sequence[Optional[list]]) -> list:
    """autograd kind 10 payload (format 1.3): `[node, grads, results]`, the
    gradients node `node` (a custom Function's) received and those it
    returned, each a tensor reference without value or nil."""
    return [_u64(node), list(grads), list(results)]


def p_graph_task_error(error: str) -> list:
    """autograd kind 9 payload (format 1.3): `[error]`, `"Type: message"` —
    the `backward()` call raised; written in place of graph_task_end."""
    return [str(error)]


def p_guard(device: str) -> list:
    """device kinds 1 and 2 payload."""
    return [str(device)]


def p_transfer(src: int, dst: int, src_device: str, dst_device: str) -> list:
    """device kind 3 payload."""
    return [_u64(src), _u64(dst), str(src_device), str(dst_device)]


# ---------------------------------------------------------------------------
# Container framing.


def file_header(minor: int = FLOOR_MINOR, major: int = VERSION_MAJOR) -> bytes:
    """The 16-byte header of version `<major>.<minor>` (writers start with the floor)."""
    return MAGIC + struct.pack("<HHI", major, minor, 0)


def chunk_header(kind: int, length: int, encoding: int = ENCODING_RAW) -> bytes:
    """`u32 LE stored length | u8 kind | u8 encoding | 2 zero bytes`."""
    return struct.pack("<IBB2x", length, kind, encoding)


def writer_encoding(kind: int) -> int:
    """How a writer stores a chunk of `kind`: EVENTS compressed, the rest raw."""
    return ENCODING_ZSTD if kind == CHUNK_EVENTS else ENCODING_RAW


def frame_chunk(kind: int, payload: bytes, encoding: int = ENCODING_RAW) -> bytes:
    """Header, the payload stored with `encoding`, and BLAKE3 of both."""
    if len(payload) > MAX_CHUNK_PAYLOAD:
        raise TraceError(
            f"cannot write trace: chunk of {len(payload)} bytes exceeds the "
            f"{MAX_CHUNK_PAYLOAD} byte limit"
        )
    stored = _COMPRESSOR.compress(payload) if encoding == ENCODING_ZSTD else payload
    header = chunk_header(kind, len(stored), encoding)
    hasher = blake3.blake3(header)
    hasher.update(stored)
    return header + stored + hasher.digest()


def decode_stored(encoding: int, stored: bytes) -> bytes:
    """The msgpack payload of a chunk stored with `encoding`; raises
    ValueError naming what is wrong with the stored bytes."""
    if encoding == ENCODING_RAW:
        return stored
    if encoding != ENCODING_ZSTD:
        raise ValueError(f"unknown chunk encoding {encoding}")
    try:
        params = zstandard.get_frame_parameters(stored)
    except zstandard.ZstdError as e:
        raise ValueError("payload is not a zstd frame") from e
    size = params.content_size
    if size == zstandard.CONTENTSIZE_UNKNOWN or size == zstandard.CONTENTSIZE_ERROR:
        raise ValueError("zstd frame does not declare its content size")
    if size > MAX_CHUNK_PAYLOAD:
        raise ValueError(f"zstd frame declares {size} bytes, more than the {MAX_CHUNK_PAYLOAD}-byte chunk limit")
    try:
        frame = _DECOMPRESSOR.decompressobj()
        payload = frame.decompress(stored)
    except zstandard.ZstdError as e:
        raise ValueError(f"zstd frame: {e}") from e
    if not frame.eof:
        raise ValueError("zstd frame is cut or malformed")
    if frame.unused_data:
        raise ValueError(f"{len(frame.unused_data)} bytes follow the zstd frame")
    if len(payload) != size:
        raise ValueError(f"zstd frame declares {size} bytes but holds {len(payload)}")
    return payload


def trailer(index_offset: int) -> bytes:
    """u64 LE offset of the INDEX chunk, then `FTRINDEX`."""
    return struct.pack("<Q", index_offset) + TRAILER_MAGIC


def _array_header(count: int) -> bytes:
    packer = msgpack.Packer()
    return packer.pack_array_header(count)


# Blobs of at least this many bytes are written in three pieces (framing,
# the elements in place, the hash) rather than copied into one chunk buffer.
_BLOB_IN_PLACE = 64 * 1024

# msgpack positive fixints: layers and kinds are below 128.
_FIXINTS = [bytes([n]) for n in range(128)]


def _bin_header(length: int) -> bytes:
    """The msgpack header of a `bin` of `length` bytes (the smallest form)."""
    if length < 1 << 8:
        return b"\xc4" + struct.pack(">B", length)
    if length < 1 << 16:
        return b"\xc5" + struct.pack(">H", length)
    return b"\xc6" + struct.pack(">I", length)


@dataclass(frozen=True)
class Meta:
    """META chunk: `[producer, program, value_policy, attrs]`."""

    producer: str
    program: str
    value_policy: str
    attrs: tuple = ()

    def payload(self) -> list:
        """Wire form."""
        if self.value_policy not in VALUE_POLICIES:
            raise ValueError(f"unknown value policy {self.value_policy!r}")
        return [
            str(self.producer),
            str(self.program),
            str(self.value_policy),
            [[str(k), str(v)] for k, v in self.attrs],
        ]

    def attr(self, key: str) -> Optional[str]:
        """Looks up an attribute."""
        for k, v in self.attrs:
            if k == key:
                return v
        return None


# ---------------------------------------------------------------------------
# Writer.


class TraceWriter:
    """Writes a trace to a binary stream, chunk by chunk.

    Mirrors `ft_trace::TraceWriter`: header and META on construction,
    `append` assigns dense sequence numbers, `put_blob` stores a value once,
    `finish` closes the pending chunk and writes INDEX and trailer.
    """

    def __init__(self, out: BinaryIO, meta: Meta) -> None:
        self._out = out
        self._offset = 0
        self._pending = bytearray()
        self._pending_count = 0
        self._pending_first_seq = 0
        self._next_seq = 0
        self._chains = ChainState()
        self._layer_counts = [0, 0, 0, 0]
        self._chunks: list = []
        self._blobs: list = []
        self._known_blobs: set = set()
        self._known_stats: set = set()
        # Values handed over and not yet written, in hand-over order:
        # digest -> (dtype, shape, data).
        self._held: dict = {}
        # Storage id -> its base (§2.3): (digest, dtype, offset, shape, numel, data_at).
        self._bases: dict = {}
        self._meta_offset = HEADER_LEN
        self._failed = False
        self._finished = False
        self._minor = FLOOR_MINOR
        self._packer = msgpack.Packer(use_bin_type=True, use_single_float=False)
        self._write_raw(file_header(FLOOR_MINOR))
        self._write_chunk(CHUNK_META, packb(meta.payload()))

    @property
    def next_seq(self) -> int:
        """Sequence number the next event will get."""
        return self._next_seq

    @property
    def minor_version(self) -> int:
        """The minor version the header says now."""
        return self._minor

    @property
    def offset(self) -> int:
        """Bytes written so far."""
        return self._offset

    def append(self, layer: int, kind: int, payload: list, ts: int = 0, values: bool = True) -> int:
        """Appends an event `[seq, layer, kind, payload, ts]`; returns its seq.

        `values=False` promises that no tensor reference in the payload
        carries a value digest (a capture with policy `none`): the payload
        is then its own structural form, not searched for digests."""
        if (layer, kind) not in KIND_NAMES:
            raise TraceError(
                f"cannot write trace: event of unknown kind ({layer}, {kind}) has no known payload"
            )
        if self._finished:
            raise TraceError("cannot write trace: the writer is finished")
        seq = self._next_seq
        # `[seq, layer, kind, payload, ts]` and the structural `[layer, kind,
        # payload']` are msgpack arrays: header and elements' encodings, so
        # the payload is packed once when it is its own structural form.
        pack = self._packer.pack
        packed_payload = pack(payload)
        if self._minor < VERSION_MINOR:
            self._raise_minor(event_minor(layer, kind, payload, self._minor, packed_payload))
        if self._held:
            self._write_values_named_by(layer, kind, payload)
        layer_kind = _FIXINTS[layer] + _FIXINTS[kind]
        if type(ts) is not int or not 0 <= ts <= U64_MAX:
            ts = _u64(ts)
        pending = self._pending
        if not pending:
            self._pending_first_seq = seq
        pending += b"\x95" + pack(seq) + layer_kind + packed_payload + pack(ts)
        self._pending_count += 1
        self._next_seq = seq + 1
        self._layer_counts[layer] += 1
        if values:
            structural = structural_payload(layer, kind, payload)
            # The same object when no tensor reference carries a digest.
            packed_structural = packed_payload if structural is payload else pack(structural)
        else:
            packed_structural = packed_payload
        # ChainState.push, inlined: `blake3(chain || structural)` per chain.
        digest = blake3.blake3(b"\x93" + layer_kind + packed_structural).digest()
        chains = self._chains
        chains.all = blake3.blake3(chains.all + digest).digest()
        layers = chains.layers
        if 0 <= layer < len(layers):
            layers[layer] = blake3.blake3(layers[layer] + digest).digest()
        if len(pending) >= EVENT_CHUNK_TARGET:
            self.flush_events()
        return seq

    def put_blob(self, dtype: str, shape: Sequence[int], data: Any) -> bytes:
        """Stores a tensor value once per digest; returns the digest.

        `data` holds the elements in logical C order, little-endian: any
        bytes-like object (bytes, a numpy array's buffer), copied. The value
        is written when the first event naming it is appended, as a BLOB or
        as a VIEW of an earlier value (§2.3); one no event names is written
        as a BLOB by `finish`.
        """
        shape = [_i64(d) for d in shape]
        view = memoryview(data).cast("B")
        digest = blob_digest(dtype, shape, view)
        if digest in self._known_blobs:
            return digest
        self._known_blobs.add(digest)
        self._held[digest] = (str(dtype), shape, bytes(view))
        return digest

    def _write_values_named_by(self, layer: int, kind: int, payload: list) -> None:
        """Writes the held values the event names, in the order it names
        them: each as a VIEW when its first reference shows it to be one."""
        held = self._held
        for ref in value_refs(layer, kind, payload):
            digest = ref[_REF_VALUE]
            if digest is None:
                continue
            value = held.pop(bytes(digest), None)
            if value is None:
                continue
            self._write_value(bytes(digest), value, ref)
            if not held:
                return

    def _write_value(self, digest: bytes, value: tuple, ref: Optional[list]) -> None:
        dtype, shape, data = value
        offset = self._offset
        if ref is not None:
            record = self._view_of(digest, dtype, shape, data, ref)
            if record is not None:
                self._raise_minor(VIEW_MINOR)
                self._write_chunk(CHUNK_VIEW, packb(record))
                self._blobs.append([digest, offset])
                return
        # The chunk `packb([digest, dtype, shape, data])`, framed: the
        # elements are never re-encoded, and a large value is written from
        # where it lies (no copy into a chunk buffer).
        pack = self._packer.pack
        head = b"\x94" + pack(digest) + pack(dtype) + pack(shape) + _bin_header(len(data))
        length = len(head) + len(data)
        if length > MAX_CHUNK_PAYLOAD:
            raise TraceError(
                f"cannot write trace: chunk of {length} bytes exceeds the "
                f"{MAX_CHUNK_PAYLOAD} byte limit"
            )
        prefix = chunk_header(CHUNK_BLOB, length) + head
        hasher = blake3.blake3(prefix)
        hasher.update(data)
        if len(data) < _BLOB_IN_PLACE:
            self._write_raw(prefix + data + hasher.digest())
        else:
            self._write_raw(prefix)
            self._write_raw(data)
            self._write_raw(hasher.digest())
        self._blobs.append([digest, offset])
        if ref is not None and len(ref) == 10 and is_c_contiguous(ref[2], ref[3]):
            numel = 1
            for d in ref[2]:
                numel *= d
            data_at = offset + CHUNK_HEADER_LEN + len(head)
            self._bases[ref[5]] = (digest, dtype, ref[4], list(ref[2]), numel, data_at)

    def _view_of(self, digest: bytes, dtype: str, shape: list, data: bytes, ref: list) -> Optional[list]:
        """The VIEW record of a value when its reference shows it to be a
        strided view of its storage's base (`tracer/src/view.rs`
        `ViewPlanner::candidate`), confirmed against the base's bytes."""
        if len(data) < VIEW_MIN_BYTES or len(ref) != 10 or list(ref[2]) != shape:
            return None
        base = self._bases.get(ref[5])
        if base is None:
            return None
        elem = _ELEMENT_SIZES.get(dtype)
        base_digest, base_dtype, base_offset, base_shape, numel, data_at = base
        if elem is None or base_dtype != dtype or ref[1] != dtype:
            return None
        offset = ref[4] - base_offset
        stride = list(ref[3])
        if offset == 0 and base_shape == shape and is_c_contiguous(shape, stride):
            return None  # the base's own place and shape: the base's digest
        span = element_span(shape, stride, offset)
        if span is None or span[0] < 0 or span[1] >= numel:
            return None
        low, high = span
        window = self._read_back(data_at + low * elem, (high - low + 1) * elem)
        if gather(window, elem, shape, stride, offset - low) != data:
            return None
        return [digest, dtype, shape, base_digest, offset, stride]

    def _read_back(self, at: int, length: int) -> bytes:
        """Bytes already written at `at` (a VIEW's base)."""
        out = self._out
        try:
            getbuffer = getattr(out, "getbuffer", None)
            if getbuffer is not None:
                return bytes(getbuffer()[at : at + length])
            out.flush()
            return os.pread(out.fileno(), length, at)
        except (OSError, ValueError, AttributeError) as e:
            self._failed = True
            raise TraceError(f"cannot write trace: reading back a value at offset {at}: {e}") from e

    def put_stats(self, record: list) -> bytes:
        """Stores a value's STATS record (policy `stats`) unless its digest
        already has a BLOB or STATS chunk; returns the digest. `record` is
        `[digest, dtype, shape, nonfinite, min, max, mean, norm, samples]`
        (see `stats_record`)."""
        digest = bytes(record[0])
        if digest in self._known_blobs or digest in self._known_stats:
            return digest
        offset = self._offset
        self._write_chunk(CHUNK_STATS, packb(record))
        self._known_stats.add(digest)
        self._blobs.append([digest, offset])
        return digest

    def has_blob(self, digest: bytes) -> bool:
        """Whether a blob with this digest was already handed over."""
        return digest in self._known_blobs

    def has_value(self, digest: bytes, full: bool) -> bool:
        """Whether `put_blob` (`full`) or `put_stats` of a value with this
        digest would write nothing: its chunk was already written."""
        return digest in self._known_blobs or (not full and digest in self._known_stats)

    def flush_events(self) -> None:
        """Writes out the pending EVENTS chunk, if any."""
        if self._pending_count == 0:
            return
        payload = _array_header(self._pending_count) + bytes(self._pending)
        offset = self._offset
        self._write_chunk(CHUNK_EVENTS, payload)
        self._chunks.append([offset, self._pending_first_seq, self._pending_count])
        self._pending = bytearray()
        self._pending_count = 0

    def index_payload(self) -> list:
        """The INDEX payload for what was written so far (pending included)."""
        return [
            self._next_seq,
            list(self._layer_counts),
            self._chains.all,
            list(self._chains.layers),
            self._meta_offset,
            [list(c) for c in self._chunks],
            [list(b) for b in self._blobs],
        ]

    def finish(self) -> list:
        """Writes the values no event named, flushes pending events, writes
        INDEX and trailer; returns the index."""
        held, self._held = self._held, {}
        for digest, value in held.items():
            self._write_value(digest, value, None)
        self.flush_events()
        index = self.index_payload()
        index_offset = self._offset
        self._write_chunk(CHUNK_INDEX, packb(index))
        self._write_raw(trailer(index_offset))
        self._finished = True
        return index

    def flush_partial(self) -> None:
        """Best effort: writes the pending EVENTS chunk so an unfinished trace
        stays readable up to this point."""
        if self._failed or self._finished:
            return
        self.flush_events()

    def _raise_minor(self, needed: int) -> None:
        """Rewrites the header's minor version when an event needs a newer
        one; the stream must be seekable (a file, `io.BytesIO`)."""
        if needed <= self._minor:
            return
        if self._failed:
            raise TraceError("cannot write trace: an earlier write failed")
        try:
            end = self._out.tell()
            self._out.seek(MINOR_OFFSET)
            self._out.write(struct.pack("<H", needed))
            self._out.seek(end)
        except (OSError, ValueError, AttributeError) as e:
            self._failed = True
            raise TraceError(f"cannot write trace: rewriting the header's minor version: {e}") from e
        self._minor = needed

    def _write_chunk(self, kind: int, payload: bytes) -> None:
        self._write_raw(frame_chunk(kind, payload, writer_encoding(kind)))

    def _write_raw(self, data: Any) -> None:
        if self._failed:
            raise TraceError("cannot write trace: an earlier write failed")
        view = memoryview(data)
        try:
            while view:
                written = self._out.write(view)
                if written is None:
                    raise OSError("non-blocking stream would block")
                view = view[written:]
        except OSError as e:
            self._failed = True
            raise TraceError(f"cannot write trace: write at offset {self._offset}: {e}") from e
        self._offset += len(data)


def rewritten(reader: "TraceReader", meta: Optional[Meta] = None) -> bytes:
    """The bytes of `reader`'s trace written again by `TraceWriter` (with
    `meta` instead of its own, when given): what it holds, handed over in
    file order. A trace a writer wrote comes back byte for byte."""
    out = io.BytesIO()
    writer = TraceWriter(out, reader.meta if meta is None else meta)
    for what, item in reader.file_order():
        if what == "value":
            writer.put_blob(item.dtype, item.shape, item.data)
        elif what == "stats":
            writer.put_stats(item)
        else:
            writer.append(item.layer, item.kind, item.payload, item.ts)
    writer.finish()
    return out.getvalue()


def partial_path(path: str) -> str:
    """`NAME.partial` for `NAME`."""
    return os.fspath(path) + ".partial"


class FileTraceWriter:
    """A `TraceWriter` on a file, written as `NAME.partial` until finished.

    Chunks go straight to the OS (no user-space buffering), so whatever kills
    the process, every chunk written so far is on disk. `abort()` (also run
    when a `with` block exits by an exception) writes the pending events and
    leaves the `.partial` file in place.
    """

    def __init__(self, path: str, meta: Meta) -> None:
        self.path = os.fspath(path)
        self.partial = partial_path(self.path)
        # Readable too: a VIEW is confirmed against its base's bytes, read back.
        self._file = open(self.partial, "w+b", buffering=0)
        try:
            self.writer = TraceWriter(self._file, meta)
        except BaseException:
            self._file.close()
            raise

    def finish(self) -> list:
        """Finishes the trace, syncs it and renames it into place."""
        index = self.writer.finish()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.partial, self.path)
        return index

    def abort(self) -> None:
        """Writes pending events and closes the file, leaving `NAME.partial`."""
        if self._file.closed:
            return
        try:
            self.writer.flush_partial()
        finally:
            self._file.close()

    @property
    def closed(self) -> bool:
        """Whether finish() or abort() ran."""
        return self._file.closed

    def __enter__(self) -> "FileTraceWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._file.closed:
            self.finish()


# ---------------------------------------------------------------------------
# Reader.


class Event(NamedTuple):
    """A decoded event; `payload` is the msgpack array as a list."""

    seq: int
    layer: int
    kind: int
    payload: Any
    ts: int

    @property
    def name(self) -> str:
        """Kind name (`op`, `push`, ...) or `unknown`."""
        return KIND_NAMES.get((self.layer, self.kind), "unknown")


def _is_event(raw: Any) -> bool:
    """Whether a decoded value has the shape `[seq, layer, kind, payload, ts]`."""
    return (
        isinstance(raw, list)
        and len(raw) == 5
        and all(isinstance(raw[i], int) and not isinstance(raw[i], bool) and raw[i] >= 0 for i in (0, 1, 2, 4))
        and raw[1] < len(LAYER_NAMES)
        and isinstance(raw[3], list)
    )


_ELEMENT_SIZES = {
    "float64": 8, "int64": 8, "complex64": 8, "float32": 4, "int32": 4,
    "float16": 2, "bfloat16": 2, "int16": 2, "bool": 1, "uint8": 1, "int8": 1,
}


def _blob_shape_problem(dtype: str, shape: Sequence[int], data: bytes) -> Optional[str]:
    """Why a blob's shape does not fit its data (FORMAT.md §2.3), or None."""
    if any(d < 0 for d in shape):
        return f"blob shape {list(shape)} has a negative size"
    numel = 1
    for d in shape:
        numel *= d
    size = _ELEMENT_SIZES.get(dtype)
    if size is not None:
        fits = numel * size == len(data)
    else:
        fits = len(data) == 0 if numel == 0 else len(data) % numel == 0
    if fits:
        return None
    return f"blob shape {list(shape)} of dtype {dtype} does not fit its {len(data)} bytes of data"


class Blob(NamedTuple):
    """A decoded BLOB chunk."""

    digest: bytes
    dtype: str
    shape: list
    data: bytes


@dataclass
class Truncation:
    """Where and why the readable part of a trace ends."""

    offset: int
    detail: str
    # Events decoded from the incomplete EVENTS chunk at `offset` (no checksum covers them).
    salvaged: int = 0


class TraceReader:
    """Reads a trace: strict by default, recovering with `recover=True`.

    Strict mode needs the footer (a missing one raises `Truncated` naming
    the offset where the readable part ends). Recovery scans chunks from
    offset 16 and keeps every complete, valid one before the first damage;
    when that damage is a cut inside an EVENTS chunk, the complete events
    before the cut are kept too (`truncation.salvaged` counts them).
    """

    def __init__(self, path: str, recover: bool = False) -> None:
        self.path = os.fspath(path)
        with open(self.path, "rb") as f:
            self._data = f.read()
        self.version = self._read_header()
        self.truncation: Optional[Truncation] = None
        self._index_offset = 0
        self._events: list = []
        self._blob_offsets: dict = {}
        index = self._read_footer()
        if index is None:
            self.index, self._events = self._scan()
        else:
            self.index = index
            self._events = self._read_indexed_events()
        if self.truncation is not None and not recover:
            raise Truncated(self.path, self.truncation.offset, self.truncation.detail)
        self.meta = self._read_meta()
        self._blob_offsets = {bytes(d): off for d, off in self.index[6]}
        self._check_chain()

    # -- public -------------------------------------------------------------

    @property
    def events(self) -> list:
        """Every readable event, in order."""
        return list(self._events)

    @property
    def event_count(self) -> int:
        """Number of readable events."""
        return self.index[0]

    @property
    def chunks(self) -> list:
        """`[offset, first_seq, count]` per EVENTS chunk."""
        return self.index[5]

    @property
    def blob_entries(self) -> list:
        """`[digest, offset]` per BLOB chunk."""
        return self.index[6]

    @property
    def chain(self) -> bytes:
        """Chain hash over all readable events."""
        return bytes(self.index[2])

    def blob(self, digest: bytes) -> Optional[Blob]:
        """The value stored under `digest`, or None (also when the trace
        holds only its STATS record, see `stats`)."""
        offset = self._blob_offsets.get(bytes(digest))
        if offset is None:
            return None
        kind, payload = self._read_chunk(offset)
        if kind == CHUNK_STATS:
            return None
        if kind == CHUNK_VIEW:
            return self._gathered_view(offset, payload, bytes(digest))
        if kind != CHUNK_BLOB:
            raise CorruptChunk(self.path, offset, f"expected chunk kind {CHUNK_BLOB}, found {kind}")
        return self._checked_blob(offset, payload, bytes(digest))

    def _checked_blob(self, offset: int, payload: bytes, digest: bytes) -> Blob:
        d, dtype, shape, data = self._decode(offset, payload, "blob")
        if bytes(d) != digest:
            raise CorruptChunk(self.path, offset, "blob chunk holds another digest than the index")
        fits = _blob_shape_problem(dtype, shape, data)
        if fits is not None:
            raise CorruptChunk(self.path, offset, fits)
        if blob_digest(dtype, shape, data) != bytes(d):
            raise CorruptChunk(self.path, offset, "blob contents do not match their digest")
        return Blob(bytes(d), dtype, list(shape), bytes(data))

    def _gathered_view(self, offset: int, payload: bytes, digest: bytes) -> Blob:
        """A VIEW chunk's value (§2.3), gathered from the earlier BLOB it names."""
        view = self._decode(offset, payload, "view")
        if not isinstance(view, list) or len(view) != 6:
            raise CorruptChunk(self.path, offset, "view payload is not [digest, dtype, shape, base, offset, stride]")
        if bytes(view[0]) != digest:
            raise CorruptChunk(self.path, offset, "view chunk holds another digest than the index")
        base_offset = self._blob_offsets.get(bytes(view[3]))
        if base_offset is None or base_offset >= offset:
            raise CorruptChunk(self.path, offset, f"view's base {bytes(view[3]).hex()[:16]} is not an earlier BLOB")
        kind, base_payload = self._read_chunk(base_offset)
        if kind != CHUNK_BLOB:
            raise CorruptChunk(self.path, offset, f"view's base is a chunk of kind {kind}, not a BLOB")
        base = self._checked_blob(base_offset, base_payload, bytes(view[3]))
        data, problem = resolve_view(view, base.dtype, base.data)
        if data is None:
            raise CorruptChunk(self.path, offset, problem)
        return Blob(digest, view[1], list(view[2]), data)

    def stats(self, digest: bytes) -> Optional[list]:
        """The STATS record of `digest` when the trace holds the value only
        as statistics; None when it holds its bytes or nothing."""
        offset = self._blob_offsets.get(bytes(digest))
        if offset is None:
            return None
        kind, payload = self._read_chunk(offset)
        if kind != CHUNK_STATS:
            return None
        record = self._decode(offset, payload, "stats")
        if bytes(record[0]) != bytes(digest):
            raise CorruptChunk(self.path, offset, "stats chunk holds another digest than the index")
        return list(record)

    @property
    def holds_views(self) -> bool:
        """Whether a value is stored as a VIEW chunk (the file then says
        minor 5 or newer, §2.1)."""
        return any(kind == CHUNK_VIEW for _, kind in self.chunk_kinds())

    def stats_at(self, offset: int) -> list:
        """The STATS record of the chunk at `offset` (an index entry's), also
        when a BLOB of the same digest supersedes it."""
        kind, payload = self._read_chunk(offset)
        if kind != CHUNK_STATS:
            raise CorruptChunk(self.path, offset, f"expected chunk kind {CHUNK_STATS}, found {kind}")
        return list(self._decode(offset, payload, "stats"))

    def chunk_kinds(self) -> list:
        """`(offset, kind)` of every complete chunk in file order (scan)."""
        out = []
        offset = HEADER_LEN
        end = self._readable_end()
        while offset < end:
            try:
                kind, payload = self._read_chunk(offset)
            except (Truncated, CorruptChunk):
                break
            out.append((offset, kind))
            offset = self._chunk_end(offset)
        return out

    def file_order(self) -> Iterator[tuple]:
        """What the trace holds in file order — the order its writer was
        handed it in, up to where it held values: `("value", Blob)`,
        `("stats", record)` and `("event", Event)` items."""
        digest_at = {offset: bytes(d) for d, offset in self.blob_entries}
        chunks = {c[0]: c for c in self.chunks}
        events = self.events
        for offset, kind in self.chunk_kinds():
            if kind in (CHUNK_BLOB, CHUNK_VIEW):
                yield "value", self.blob(digest_at[offset])
            elif kind == CHUNK_STATS:
                yield "stats", self.stats_at(offset)
            elif kind == CHUNK_EVENTS:
                _, first, count = chunks[offset]
                for event in events[first : first + count]:
                    yield "event", event

    # -- internals ----------------------------------------------------------

    def _readable_end(self) -> int:
        if self.truncation is None:
            return len(self._data) - TRAILER_LEN
        return self.truncation.offset

    def _read_header(self) -> tuple:
        data = self._data
        if len(data) >= 8 and data[:8] != MAGIC:
            raise NotATrace(f"{self.path}: not a FrankenTorch trace (bad magic bytes at offset 0)")
        if len(data) < HEADER_LEN:
            raise Truncated(
                self.path, 0, f"file is {len(data)} bytes, shorter than the {HEADER_LEN}-byte header"
            )
        major, minor = struct.unpack_from("<HH", data, 8)
        floors = {VERSION_MAJOR: FLOOR_MINOR, LEGACY_MAJOR: LEGACY_FLOOR_MINOR}
        if major not in floors:
            raise UnsupportedVersion(
                f"{self.path}: format version {major}.{minor} is not supported "
                f"(this reader reads {LEGACY_MAJOR}.x and {VERSION_MAJOR}.x); re-record the trace or upgrade"
            )
        if minor < floors[major]:
            raise TraceError(f"{self.path}: corrupt header: minor version {minor} is below {floors[major]}")
        if data[12:16] != b"\0\0\0\0":
            raise TraceError(f"{self.path}: corrupt header: reserved bytes 12..16 are not zero")
        return (major, minor)

    def _read_chunk(self, offset: int) -> tuple:
        data = self._data
        remaining = len(data) - offset
        if remaining < CHUNK_HEADER_LEN:
            raise Truncated(
                self.path,
                offset,
                f"{max(remaining, 0)} bytes left where an {CHUNK_HEADER_LEN}-byte chunk header was expected",
            )
        length, kind, encoding = struct.unpack_from("<IBB", data, offset)
        if not self._chunk_header_valid(offset) or length > MAX_CHUNK_PAYLOAD:
            raise CorruptChunk(
                self.path, offset, f"invalid chunk header {data[offset:offset + 8].hex()}"
            )
        total = CHUNK_HEADER_LEN + length + CHUNK_HASH_LEN
        if remaining < total:
            raise Truncated(
                self.path, offset, f"chunk (kind {kind}) needs {total} bytes but only {remaining} remain"
            )
        body_start = offset + CHUNK_HEADER_LEN
        payload = data[body_start : body_start + length]
        stored = data[body_start + length : body_start + length + CHUNK_HASH_LEN]
        hasher = blake3.blake3(data[offset:body_start])
        hasher.update(payload)
        if hasher.digest() != stored:
            raise CorruptChunk(self.path, offset, f"checksum mismatch in chunk of kind {kind}")
        try:
            return kind, decode_stored(encoding, bytes(payload))
        except ValueError as e:
            raise CorruptChunk(self.path, offset, f"chunk of kind {kind}: {e}") from e

    def _chunk_header_valid(self, offset: int) -> bool:
        """Bytes 5..8 of the chunk header at `offset`: an encoding this
        file's major allows (1.x: raw only), then two zero bytes."""
        data = self._data
        encoding = data[offset + 5]
        allowed = encoding == ENCODING_RAW or (encoding == ENCODING_ZSTD and self.version[0] == VERSION_MAJOR)
        return allowed and data[offset + 6 : offset + 8] == b"\0\0"

    def _chunk_end(self, offset: int) -> int:
        """Offset just past the (already verified) chunk at `offset`."""
        (length,) = struct.unpack_from("<I", self._data, offset)
        return offset + CHUNK_HEADER_LEN + length + CHUNK_HASH_LEN

    def _decode(self, offset: int, payload: bytes, what: str) -> Any:
        try:
            return unpackb(payload)
        except Exception as e:  # msgpack raises several unrelated types
            raise DecodeError(
                f"{self.path}: chunk at offset {offset}: {what} payload does not decode: {e}"
            ) from e

    def _read_footer(self) -> Optional[list]:
        data = self._data
        if len(data) < HEADER_LEN + TRAILER_LEN or data[-8:] != TRAILER_MAGIC:
            return None
        (index_offset,) = struct.unpack_from("<Q", data, len(data) - TRAILER_LEN)
        if not HEADER_LEN <= index_offset < len(data) - TRAILER_LEN:
            raise CorruptChunk(
                self.path,
                len(data) - TRAILER_LEN,
                f"trailer points at offset {index_offset}, outside the file",
            )
        kind, payload = self._read_chunk(index_offset)
        if kind != CHUNK_INDEX:
            raise CorruptChunk(self.path, index_offset, f"expected chunk kind {CHUNK_INDEX}, found {kind}")
        index_end = self._chunk_end(index_offset)
        if index_end != len(data) - TRAILER_LEN:
            raise CorruptChunk(
                self.path, index_end, "bytes between the INDEX chunk and the trailer: nothing may lie between them"
            )
        index = self._decode(index_offset, payload, "index")
        if index[4] != HEADER_LEN:
            raise IndexMismatch(f"{self.path}: the footer index places META at {index[4]}, not {HEADER_LEN}")
        self._index_offset = index_offset
        return index

    def _read_meta(self) -> Meta:
        offset = self.index[4]
        kind, payload = self._read_chunk(offset)
        if kind != CHUNK_META:
            raise CorruptChunk(self.path, offset, f"expected chunk kind {CHUNK_META}, found {kind}")
        producer, program, policy, attrs = self._decode(offset, payload, "meta")
        return Meta(producer, program, policy, tuple((k, v) for k, v in attrs))

    def _events_of_chunk(self, offset: int, payload: bytes) -> list:
        raw = self._decode(offset, payload, "events")
        return [Event(e[0], e[1], e[2], e[3], e[4]) for e in raw]

    def _read_indexed_events(self) -> list:
        events: list = []
        for offset, first_seq, count in self.index[5]:
            kind, payload = self._read_chunk(offset)
            if kind != CHUNK_EVENTS:
                raise CorruptChunk(self.path, offset, f"expected chunk kind {CHUNK_EVENTS}, found {kind}")
            chunk = self._events_of_chunk(offset, payload)
            if len(chunk) != count or (chunk and chunk[0].seq != first_seq):
                raise IndexMismatch(
                    f"{self.path}: events chunk at offset {offset} holds {len(chunk)} events; "
                    f"the index says {count} from {first_seq}"
                )
            events.extend(chunk)
        return events

    def _scan(self) -> tuple:
        """Rebuilds the index from every complete chunk of an unfinished file."""
        offset = HEADER_LEN
        events: list = []
        chunks: list = []
        blobs: list = []
        layer_counts = [0, 0, 0, 0]
        stop: Optional[Truncation] = None
        while stop is None:
            if offset == len(self._data):
                stop = Truncation(offset, "no footer index: the recording did not finish")
                break
            try:
                kind, payload = self._read_chunk(offset)
            except Truncated as e:
                salvaged = self._salvage(e.offset, len(events))
                detail = e.detail
                if salvaged:
                    detail += f" ({len(salvaged)} complete events before the cut read without checksum)"
                for ev in salvaged:
                    layer_counts[ev.layer] += 1
                events.extend(salvaged)
                stop = Truncation(e.offset, detail, len(salvaged))
                break
            except CorruptChunk as e:
                stop = Truncation(e.offset, f"damaged chunk: {e.detail}")
                break
            end = self._chunk_end(offset)
            if kind == CHUNK_EVENTS:
                try:
                    chunk = self._events_of_chunk(offset, payload)
                except DecodeError as e:
                    stop = Truncation(offset, str(e))
                    break
                if chunk and chunk[0].seq != len(events):
                    stop = Truncation(
                        offset, f"events chunk starts at seq {chunk[0].seq} where {len(events)} was expected"
                    )
                    break
                if chunk:
                    chunks.append([offset, chunk[0].seq, len(chunk)])
                for ev in chunk:
                    if 0 <= ev.layer < 4:
                        layer_counts[ev.layer] += 1
                events.extend(chunk)
            elif kind in (CHUNK_BLOB, CHUNK_STATS, CHUNK_VIEW):
                try:
                    record = self._decode(offset, payload, "blob")
                except DecodeError as e:
                    stop = Truncation(offset, str(e))
                    break
                blobs.append([bytes(record[0]), offset])
            elif kind == CHUNK_INDEX:
                stop = Truncation(end, "footer index present but its trailer is missing")
                break
            offset = end
        self.truncation = stop
        chains = ChainState()
        for ev in events:
            chains.push(ev.layer, structural_hash(ev.layer, ev.kind, ev.payload))
        index = [len(events), layer_counts, chains.all, chains.layers, HEADER_LEN, chunks, blobs]
        return index, events

    def _salvage(self, offset: int, next_seq: int) -> list:
        """The complete events at the start of an EVENTS chunk cut short at
        `offset`: the array header, then events one by one from the bytes
        after the chunk header, kept while they continue the sequence at
        `next_seq`. No checksum covers them."""
        data = self._data
        if len(data) - offset <= CHUNK_HEADER_LEN or data[offset + 4] != CHUNK_EVENTS:
            return []
        unpacker = msgpack.Unpacker(raw=False, use_list=True, strict_map_key=False)
        stored = data[offset + CHUNK_HEADER_LEN :]
        if data[offset + 5] == ENCODING_ZSTD:
            try:  # as much of the cut frame as decodes
                stored = _DECOMPRESSOR.decompressobj().decompress(stored)
            except zstandard.ZstdError:
                return []
        unpacker.feed(stored)
        events: list = []
        try:
            count = unpacker.read_array_header()
            for _ in range(count):
                raw = unpacker.unpack()
                if not _is_event(raw) or raw[0] != next_seq + len(events):
                    break
                events.append(Event(raw[0], raw[1], raw[2], raw[3], raw[4]))
        except Exception:  # the cut (OutOfData) or bytes that are no msgpack
            pass
        return events

    def _check_chain(self) -> None:
        """Dense sequence numbers; for a finished trace, chain hashes equal to
        the footer's. Events of kinds this reader does not know (a newer minor
        version) hash over their payload as written, as in ft-trace."""
        seqs_ok = all(ev.seq == i for i, ev in enumerate(self._events))
        if not seqs_ok:
            raise IndexMismatch(f"{self.path}: event sequence numbers are not dense from 0")
        self.chain_verified = False
        if self.truncation is not None:
            return
        chains = ChainState()
        for ev in self._events:
            chains.push(ev.layer, structural_hash(ev.layer, ev.kind, ev.payload))
        if chains.all != bytes(self.index[2]):
            raise IndexMismatch(
                f"{self.path}: chain hash of the events ({chains.all.hex()[:16]}) differs from "
                f"the footer's ({bytes(self.index[2]).hex()[:16]})"
            )
        layer_counts = [0, 0, 0, 0]
        for ev in self._events:
            if 0 <= ev.layer < 4:
                layer_counts[ev.layer] += 1
        if (
            [bytes(c) for c in self.index[3]] != list(chains.layers)
            or self.index[0] != len(self._events)
            or list(self.index[1]) != layer_counts
        ):
            raise IndexMismatch(f"{self.path}: the events' counts or per-layer chains differ from the footer's")
        self._holds_views = False
        self._check_layout()
        self._check_minor()
        self.chain_verified = True

    def _check_minor(self) -> None:
        """A complete file says exactly the lowest minor its event kinds need
        (FORMAT.md §2.1); with kinds this reader does not know, at least that."""
        known = [(ev.layer, ev.kind) in KIND_NAMES for ev in self._events]
        if self.version[0] == LEGACY_MAJOR:
            floor, newest, kind_minor = LEGACY_FLOOR_MINOR, LEGACY_NEWEST_MINOR, LEGACY_KIND_MINOR
        else:
            floor, newest, kind_minor = FLOOR_MINOR, VERSION_MINOR, KIND_MINOR
        for ev in self._events:
            problem = next((e for e in map(_complex_value_error, _op_values(ev.layer, ev.kind, ev.payload)) if e), None)
            problem = problem or next(filter(None, map(sparse_ref_error, sparse_refs(ev.payload))), None)
            problem = problem or next(filter(None, map(nested_ref_error, nested_refs(ev.payload))), None)
            if problem:
                raise TraceError(f"{self.path}: event {ev.seq}: {problem}")
        if self.version[0] == LEGACY_MAJOR:
            minors = [kind_minor.get((ev.layer, ev.kind), 0) if k else newest for ev, k in zip(self._events, known)]
        else:
            minors = [event_minor(ev.layer, ev.kind, ev.payload) if k else newest for ev, k in zip(self._events, known)]
        needed = max([floor] + minors)
        if self._holds_views and self.version[0] == VERSION_MAJOR:
            needed = max(needed, VIEW_MINOR)
        minor = self.version[1]
        if not (minor >= needed if not all(known) else minor == needed):
            raise TraceError(
                f"{self.path}: corrupt header: minor version {minor} at bytes 10..12, "
                f"but the events need exactly {needed}"
            )

    def _check_layout(self) -> None:
        """The chunks tile the file from the header to the INDEX chunk, at the
        offsets the index lists (FORMAT.md §2.2)."""
        data = self._data
        events = [c[0] for c in self.index[5]]
        blobs = [b[1] for b in self.index[6]]
        offset = HEADER_LEN
        while offset < self._index_offset:
            if self._index_offset - offset < CHUNK_HEADER_LEN or not self._chunk_header_valid(offset):
                raise CorruptChunk(self.path, offset, "invalid chunk header")
            length, kind = struct.unpack_from("<IB", data, offset)
            if kind == CHUNK_META:
                listed = offset == HEADER_LEN
            elif kind == CHUNK_EVENTS:
                listed = bool(events) and events.pop(0) == offset
            elif kind in (CHUNK_BLOB, CHUNK_STATS, CHUNK_VIEW):
                listed = bool(blobs) and blobs.pop(0) == offset
                self._holds_views = self._holds_views or kind == CHUNK_VIEW
            elif kind == CHUNK_INDEX:
                listed = False
            else:
                self._read_chunk(offset)
                listed = True
            if not listed or (offset == HEADER_LEN and kind != CHUNK_META):
                raise CorruptChunk(self.path, offset, f"chunk of kind {kind} is not where the footer index places chunks")
            offset += CHUNK_HEADER_LEN + length + CHUNK_HASH_LEN
        if offset != self._index_offset or events or blobs:
            raise CorruptChunk(self.path, offset, "the chunks do not tile the file up to the footer index")
