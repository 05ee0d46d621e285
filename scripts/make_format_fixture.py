#!/usr/bin/env python3
"""Writes `tracer/tests/fixtures/all_kinds.ftr`, the cross-writer fixture.

The file is written by the Python writer (`scripts/ftr.py`); a Rust test reads
it and rewrites the same events and blobs, in the same order, with the
`ft-trace` writer and compares the bytes. It is synthetic, not a recording:
its job is coverage of the encoding, so it holds

* every event kind of every layer, and every value tag;
* integers at every msgpack width boundary (fixint, 8, 16, 32, 64 bits,
  negative and positive, up to 2**64-1), floats that are easy to get wrong
  (-0.0, subnormal, infinities, NaN, integral floats), strings and byte
  strings long enough for the 8/16/32-bit length encodings, arrays with
  16-bit and 32-bit length headers;
* several blobs written between events of one pending chunk, one value
  stored twice (written once), and a blob larger than an events chunk;
* enough events for four EVENTS chunks, including one event that is larger
  than the 65 536-byte chunk target on its own, and non-zero timestamps.

Regenerate with `python scripts/make_format_fixture.py`; a pytest checks that
doing so reproduces the committed bytes.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ftr  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATH = os.path.join(REPO, "tracer", "tests", "fixtures", "all_kinds.ftr")

META = ftr.Meta(
    "make_format_fixture.py 1",
    "synthetic://all_kinds",
    "all",
    (("torch_version", "none"), ("python_version", "none"), ("purpose", "writer byte-identity fixture")),
)

# Integers straddling every msgpack integer width.
INT_EDGES = (
    0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1,
    -1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63),
)
FLOAT_EDGES = (0.0, -0.0, 1.0, -2.5, 0.1, 1e-310, 1e308, float("inf"), float("-inf"), float("nan"))


class Fixture:
    """Emits the fixture's events with a deterministic clock."""

    def __init__(self, writer: ftr.TraceWriter) -> None:
        self.w = writer
        self.clock = 0

    def emit(self, layer: int, kind: int, payload: list) -> int:
        """Appends an event with a strictly increasing, non-trivial timestamp."""
        self.clock += 10_000_019  # passes 2**32 ns: uint64 timestamps
        return self.w.append(layer, kind, payload, self.clock)

    def blob_f32(self, values: list, shape: list) -> bytes:
        """Stores float32 values; returns the digest."""
        return self.w.put_blob("float32", shape, struct.pack(f"<{len(values)}f", *values))


def ref(tid: int, shape: list, storage: int, value: bytes | None, *, requires_grad: bool = False, version: int = 0) -> list:
    """A contiguous float32 cpu tensor reference."""
    stride = []
    step = 1
    for d in reversed(shape):
        stride.insert(0, step)
        step *= max(d, 1)
    return ftr.tensor_ref(tid, "float32", shape, stride, 0, storage, "cpu", requires_grad, version, value)


def every_tag_args(t0: list) -> list:
    """One argument per value tag, nested lists included."""
    return [
        ["none", ftr.v_none()],
        ["flag", ftr.v_bool(True)],
        ["off", ftr.v_bool(False)],
        ["ints", ftr.v_list(ftr.v_int(n) for n in INT_EDGES)],
        ["floats", ftr.v_list(ftr.v_float(x) for x in FLOAT_EDGES)],
        ["reduce", ftr.v_str("mean")],
        ["long_name", ftr.v_str("é" * 40)],
        ["self", ftr.v_tensor(t0)],
        ["tensors", ftr.v_list([ftr.v_tensor(t0), ftr.v_none(), ftr.v_list([ftr.v_int(3)])])],
        ["dtype", ftr.v_dtype("float32")],
        ["device", ftr.v_device("meta")],
        ["layout", ftr.v_layout("strided")],
        ["memory_format", ftr.v_memory_format("preserve_format")],
        ["complex", ftr.v_list([ftr.v_complex(1j), ftr.v_complex(complex(-0.5, float("inf")))])],
    ]


def api_events(f: Fixture, t0: list) -> None:
    """Every api kind but program_error (which must come last)."""
    f.emit(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(2**64 - 1))
    f.emit(ftr.API, ftr.API_TENSOR, ftr.p_tensor(t0, False))
    alias = ftr.tensor_ref(1, "float32", [2, 2], [1, 2], 0, 0, "cpu", True, 0, None)
    f.emit(ftr.API, ftr.API_TENSOR, ftr.p_tensor(alias, True))
    f.emit(ftr.API, ftr.API_SET_REQUIRES_GRAD, ftr.p_set_requires_grad(1, True))
    f.emit(ftr.API, ftr.API_GRAD_MODE, ftr.p_grad_mode(False, False))
    f.emit(ftr.API, ftr.API_GRAD_MODE, ftr.p_grad_mode(False, True))
    f.emit(ftr.API, ftr.API_MARK_BEGIN, ftr.p_mark("Optimizer.step#SGD.step"))
    f.emit(ftr.API, ftr.API_MARK_BEGIN, ftr.p_mark("step " + "x" * 300))
    f.emit(ftr.API, ftr.API_MARK_END, ftr.p_mark("step " + "x" * 300))
    f.emit(ftr.API, ftr.API_MARK_END, ftr.p_mark("Optimizer.step#SGD.step"))
    f.emit(ftr.API, ftr.API_SET_GRAD, ftr.p_set_grad(1, None))
    f.emit(ftr.API, ftr.API_SET_GRAD, ftr.p_set_grad(1, 0))
    f.emit(ftr.API, ftr.API_RELEASE, ftr.p_release(0))
    f.emit(ftr.API, ftr.API_RELEASE, ftr.p_release(2**64 - 1))
    f.emit(ftr.API, ftr.API_DEFAULT_DTYPE, ftr.p_default_dtype("float64"))
    f.emit(ftr.API, ftr.API_DEFAULT_DTYPE, ftr.p_default_dtype("bfloat16"))
    f.emit(ftr.API, ftr.API_BACKWARD, ftr.p_backward([0], [None], False, False))
    f.emit(ftr.API, ftr.API_BACKWARD, ftr.p_backward([0], [1], True, True))


def autograd_events(f: Fixture, grad: list) -> None:
    """Every autograd kind, with an AccumulateGrad and a nil edge."""
    acc = ftr.ACCUMULATE_GRAD_SEQ
    f.emit(ftr.AUTOGRAD, ftr.AG_NODE, ftr.p_node(0, "AccumulateGrad", acc, [], [1]))
    edges = [ftr.edge(0, 0), ftr.edge(None, 0), ftr.edge(0, 70000)]
    f.emit(ftr.AUTOGRAD, ftr.AG_NODE, ftr.p_node(1, "AddmmBackward0", 0, edges, [2, 3]))
    f.emit(ftr.AUTOGRAD, ftr.AG_GRAPH_TASK_BEGIN, ftr.p_graph_task_begin([ftr.edge(1, 0)], 0, False, False))
    f.emit(ftr.AUTOGRAD, ftr.AG_PUSH, ftr.p_queue(1, 0, 0, 0))
    f.emit(ftr.AUTOGRAD, ftr.AG_POP, ftr.p_queue(1, 0, 0, 0))
    f.emit(ftr.AUTOGRAD, ftr.AG_PUSH, ftr.p_queue(0, 3, acc, 2**32 - 1))
    f.emit(ftr.AUTOGRAD, ftr.AG_POP, ftr.p_queue(0, 3, acc, 2**32 - 1))
    f.emit(ftr.AUTOGRAD, ftr.AG_ACCUMULATE, ftr.p_accumulate(0, 1, grad))
    f.emit(ftr.AUTOGRAD, ftr.AG_GRAPH_TASK_END, ftr.p_graph_task_end(2))


def device_events(f: Fixture) -> None:
    """Every device kind."""
    f.emit(ftr.DEVICE, ftr.DEV_GUARD_ENTER, ftr.p_guard("cuda:1"))
    f.emit(ftr.DEVICE, ftr.DEV_TRANSFER, ftr.p_transfer(0, 4, "cpu", "meta"))
    f.emit(ftr.DEVICE, ftr.DEV_GUARD_EXIT, ftr.p_guard("cuda:1"))


def error_events(f: Fixture, t0: list) -> None:
    """The error kinds (format 1.3): an op that raised, a backward that raised."""
    chain = [["AutogradCPU", "autograd"], ["ADInplaceOrView", "fallthrough"], ["BackendSelect", "fallthrough"], ["CPU", "kernel"]]
    keyset = ["AutogradCPU", "ADInplaceOrView", "BackendSelect", "CPU"]
    args = [["self", ftr.v_tensor(t0)], ["mat2", ftr.v_tensor(t0)]]
    message = "RuntimeError: mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
    f.emit(ftr.DISPATCH, ftr.DISPATCH_OP_ERROR, ftr.p_op_error("aten.mm.default", keyset, chain, args, message, ftr.context(ftr.CTX_TOP_LEVEL)))
    f.emit(ftr.DISPATCH, ftr.DISPATCH_OP_ERROR, ftr.p_op_error("aten.mul.Tensor", keyset, chain, args, "IndexError: é" * 30, ftr.context(ftr.CTX_NODE, 1)))
    f.emit(ftr.AUTOGRAD, ftr.AG_GRAPH_TASK_ERROR, ftr.p_graph_task_error("RuntimeError: Trying to backward through the graph a second time"))


def hook_events(f: Fixture, t0: list) -> None:
    """The hook kinds (format 1.3): registration, removal, retain_grad, and a
    hook's run with a gradient in and a new one out, then with none; a node
    hook returning a list, then None."""
    f.emit(ftr.API, ftr.API_REGISTER_HOOK, ftr.p_register_hook(0, "tensor", 0))
    f.emit(ftr.API, ftr.API_REGISTER_HOOK, ftr.p_register_hook(2**32, "post_accumulate_grad", 2**64 - 1))
    f.emit(ftr.API, ftr.API_RETAIN_GRAD, ftr.p_retain_grad(300))
    f.emit(ftr.AUTOGRAD, ftr.AG_HOOK_BEGIN, ftr.p_hook_begin(0, 7, [t0, None]))
    f.emit(ftr.AUTOGRAD, ftr.AG_HOOK_END, ftr.p_hook_end(0, t0))
    f.emit(ftr.AUTOGRAD, ftr.AG_HOOK_BEGIN, ftr.p_hook_begin(2**32, 65536, []))
    f.emit(ftr.AUTOGRAD, ftr.AG_HOOK_END, ftr.p_hook_end(2**32, None))
    f.emit(ftr.API, ftr.API_REMOVE_HOOK, ftr.p_remove_hook(0))
    # a node post-hook: results then received gradients in; a list out, then None
    f.emit(ftr.API, ftr.API_REGISTER_NODE_HOOK, ftr.p_register_node_hook(1, "post", 2**40))
    f.emit(ftr.AUTOGRAD, ftr.AG_HOOK_BEGIN, ftr.p_hook_begin(1, 2**40, [t0, None, t0]))
    f.emit(ftr.AUTOGRAD, ftr.AG_HOOK_RESULT, ftr.p_hook_result(1, [None, t0]))
    f.emit(ftr.AUTOGRAD, ftr.AG_HOOK_BEGIN, ftr.p_hook_begin(1, 2**40, []))
    f.emit(ftr.AUTOGRAD, ftr.AG_HOOK_RESULT, ftr.p_hook_result(1, None))


def function_events(f: Fixture, t0: list) -> None:
    """The custom-Function kinds (format 1.3): an `apply` with two tensor
    inputs and two outputs, its node's backward with one gradient in and
    one edge left without a gradient, then one with no inputs."""
    f.emit(ftr.API, ftr.API_FUNCTION, ftr.p_function("MulAddBackward", [0, 2**40], [8, 9]))
    f.emit(ftr.AUTOGRAD, ftr.AG_NODE_RESULT, ftr.p_node_result(4, [t0, None], [None, t0]))
    f.emit(ftr.API, ftr.API_FUNCTION, ftr.p_function("é" * 40, [], []))
    f.emit(ftr.AUTOGRAD, ftr.AG_NODE_RESULT, ftr.p_node_result(2**33, [], []))


def data_events(f: Fixture) -> None:
    """The `.data` kind (format 1.3): a read (a new tensor at version 0 over
    the source's storage), then an assignment that changes the tensor's
    dtype and storage."""
    read = ftr.tensor_ref(10, "float32", [3], [1], 0, 7, "cpu", False, 0, None)
    f.emit(ftr.API, ftr.API_DATA, ftr.p_data(read, 8, False))
    written = ftr.tensor_ref(8, "float64", [3], [1], 0, 2**40, "cpu", True, 2**33, None)
    f.emit(ftr.API, ftr.API_DATA, ftr.p_data(written, 2**64 - 1, True))


def saved_tensors_hooks_events(f: Fixture) -> None:
    """The saved-tensor hooks scope kind (format 1.3): entered, then left,
    with a hook id past 32 bits."""
    f.emit(ftr.API, ftr.API_SAVED_TENSORS_HOOKS, ftr.p_saved_tensors_hooks(2**40, True))
    f.emit(ftr.API, ftr.API_SAVED_TENSORS_HOOKS, ftr.p_saved_tensors_hooks(2**40, False))


def autocast_events(f: Fixture) -> None:
    """The autocast state kind (format 2.1): CPU autocast entered in
    bfloat16, a nested disabled region, float16 without the cache."""
    f.emit(ftr.API, ftr.API_AUTOCAST, ftr.p_autocast("cpu", True, "bfloat16", True))
    f.emit(ftr.API, ftr.API_AUTOCAST, ftr.p_autocast("cpu", False, "bfloat16", True))
    f.emit(ftr.API, ftr.API_AUTOCAST, ftr.p_autocast("cpu", True, "float16", False))


def anomaly_mode_events(f: Fixture) -> None:
    """The anomaly-mode state kind (format 2.3): `detect_anomaly()`
    entered, `check_nan=False`, then left."""
    f.emit(ftr.API, ftr.API_ANOMALY_MODE, ftr.p_anomaly_mode(True, True))
    f.emit(ftr.API, ftr.API_ANOMALY_MODE, ftr.p_anomaly_mode(True, False))
    f.emit(ftr.API, ftr.API_ANOMALY_MODE, ftr.p_anomaly_mode(False, True))


def below_autograd_events(f: Fixture) -> None:
    """The dispatch-below-autograd kind (format 2.7): a program-defined
    operator's kernel starts, then ends."""
    f.emit(ftr.API, ftr.API_BELOW_AUTOGRAD, ftr.p_below_autograd(True))
    f.emit(ftr.API, ftr.API_BELOW_AUTOGRAD, ftr.p_below_autograd(False))


def grad_events(f: Fixture, t0: list) -> None:
    """The restricted-backward kinds (format 1.3): `torch.autograd.grad` with
    an unused input, `backward(inputs=...)`, and the returned gradients."""
    f.emit(ftr.API, ftr.API_GRAD, ftr.p_grad([0, 2**40], [None, 1], [0, 3, 2**64 - 1], True, False, False, True))
    f.emit(ftr.API, ftr.API_GRAD_RESULT, ftr.p_grad_result([t0, None, None]))
    f.emit(ftr.API, ftr.API_GRAD, ftr.p_grad([5], [None], [1], False, True, True, True))
    f.emit(ftr.API, ftr.API_GRAD_RESULT, ftr.p_grad_result([]))


def op(f: Fixture, name: str, args: list, outputs: list, ctx: list, keyset: list | None = None) -> None:
    """One dispatch op with the usual autograd chain."""
    keyset = keyset or ["AutogradCPU", "ADInplaceOrView", "BackendSelect", "CPU"]
    chain = [["AutogradCPU", "autograd"], ["ADInplaceOrView", "fallthrough"], ["BackendSelect", "fallthrough"], ["CPU", "kernel"]]
    f.emit(ftr.DISPATCH, ftr.DISPATCH_OP, ftr.p_op(name, keyset, chain, args, outputs, ctx))


def bulk_ops(f: Fixture, count: int) -> None:
    """Many small ops with blobs interleaved (one value stored twice)."""
    repeated = [0.5, -0.5, 0.25, -0.25]
    for i in range(count):
        tid = 10 + i
        if i % 97 == 0:
            digest = f.blob_f32(repeated if i % 2 == 0 else [float(i)] * 4, [2, 2])
        else:
            digest = None
        out = ref(tid, [2, 2], 10 + i, digest, version=i % 3)
        args = [["self", ftr.v_tensor(ref(tid - 1, [2, 2], 9 + i, None))], ["alpha", ftr.v_float(i / 7)], ["k", ftr.v_int(-i)]]
        ctx = ftr.context(ftr.CTX_NODE, i % 5) if i % 3 else ftr.context(ftr.CTX_TOP_LEVEL)
        op(f, "aten.mul.Tensor", args, [ftr.v_tensor(out)], ctx)


def view_events(f: Fixture) -> None:
    """Values that are strided views of their storage's latest value (VIEW
    chunks, 2.5): a transpose, a row slice, an int64 reshape, and values
    that must stay BLOBs (a transpose of a value the file does not hold,
    a view under 128 bytes)."""
    base = [i * 0.5 - 3.0 for i in range(128)]
    d_base = f.blob_f32(base, [16, 8])
    w = ftr.tensor_ref(700, "float32", [16, 8], [8, 1], 0, 700, "cpu", True, 0, d_base)
    op(f, "aten.randn.default", [["size", ftr.v_list([ftr.v_int(16), ftr.v_int(8)])]], [ftr.v_tensor(w)], ftr.context(ftr.CTX_TOP_LEVEL))
    arg = ftr.v_tensor(ftr.tensor_ref(700, "float32", [16, 8], [8, 1], 0, 700, "cpu", True, 0, None))
    transposed = [base[i * 8 + j] for j in range(8) for i in range(16)]
    t = ftr.tensor_ref(701, "float32", [8, 16], [1, 8], 0, 700, "cpu", True, 0, f.blob_f32(transposed, [8, 16]))
    op(f, "aten.t.default", [["self", arg]], [ftr.v_tensor(t)], ftr.context(ftr.CTX_TOP_LEVEL))
    rows = ftr.tensor_ref(702, "float32", [8, 8], [8, 1], 16, 700, "cpu", True, 0, f.blob_f32(base[16:80], [8, 8]))
    small = ftr.tensor_ref(703, "float32", [2, 2], [1, 8], 0, 700, "cpu", True, 0, f.blob_f32([base[0], base[8], base[1], base[9]], [2, 2]))
    op(f, "aten.split.Tensor", [["self", arg], ["split_size", ftr.v_int(8)]], [ftr.v_list([ftr.v_tensor(rows), ftr.v_tensor(small)])], ftr.context(ftr.CTX_TOP_LEVEL))
    changed = [base[i * 8 + j] + 1.0 for j in range(8) for i in range(16)]
    stale = ftr.tensor_ref(704, "float32", [8, 16], [1, 8], 0, 700, "cpu", True, 1, f.blob_f32(changed, [8, 16]))
    op(f, "aten.t.default", [["self", arg]], [ftr.v_tensor(stale)], ftr.context(ftr.CTX_TOP_LEVEL))
    ints = struct.pack("<32q", *range(-16, 16))
    d_ints = f.w.put_blob("int64", [4, 8], ints)
    i = ftr.tensor_ref(705, "int64", [4, 8], [8, 1], 0, 705, "cpu", False, 0, d_ints)
    op(f, "aten.arange.default", [["end", ftr.v_int(32)]], [ftr.v_tensor(i)], ftr.context(ftr.CTX_TOP_LEVEL))
    flat = ftr.tensor_ref(706, "int64", [32], [1], 0, 705, "cpu", False, 0, f.w.put_blob("int64", [32], ints))
    grad = ftr.tensor_ref(707, "int64", [8, 4], [1, 8], 0, 705, "cpu", False, 0, f.w.put_blob("int64", [8, 4], struct.pack("<32q", *[b * 8 + a - 16 for a in range(8) for b in range(4)])))
    op(f, "aten.view.default", [["self", ftr.v_tensor(i)]], [ftr.v_tensor(flat)], ftr.context(ftr.CTX_TOP_LEVEL))
    f.emit(ftr.AUTOGRAD, ftr.AG_ACCUMULATE, ftr.p_accumulate(7, 705, grad))


def build(writer: ftr.TraceWriter) -> None:
    """All the fixture's events and blobs, in writing order."""
    f = Fixture(writer)
    d0 = f.blob_f32([1.0, 2.0, 3.0, 4.0], [2, 2])
    t0 = ref(0, [2, 2], 0, d0, requires_grad=True)
    api_events(f, t0)
    op(f, "aten.addmm.default", every_tag_args(t0), [ftr.v_tensor(ref(2, [2, 2], 1, f.blob_f32([0.0] * 4, [2, 2]))), ftr.v_int(7)], ftr.context(ftr.CTX_TOP_LEVEL))
    op(f, "aten.ones_like.default", [["self", ftr.v_tensor(t0)]], [ftr.v_tensor(ref(3, [], 2, f.blob_f32([1.0], [])))], ftr.context(ftr.CTX_BACKWARD), keyset=["BackendSelect", "CPU"])
    op(f, "aten.zeros.default", [["size", ftr.v_list([ftr.v_int(0)])]], [ftr.v_tensor(ref(4, [0], 3, f.blob_f32([], [0])))], ftr.context(ftr.CTX_TOP_LEVEL), keyset=["BackendSelect"])
    d0_again = f.blob_f32([1.0, 2.0, 3.0, 4.0], [2, 2])
    autograd_events(f, ref(5, [2, 2], 4, d0_again))
    device_events(f)
    error_events(f, t0)
    hook_events(f, ref(6, [2], 5, None, requires_grad=True, version=3))
    grad_events(f, ref(7, [3], 6, None, version=2))
    function_events(f, ref(8, [3], 7, None, requires_grad=True))
    data_events(f)
    saved_tensors_hooks_events(f)
    autocast_events(f)
    anomaly_mode_events(f)
    below_autograd_events(f)
    bulk_ops(f, 600)
    # Policy `stats`: two STATS records (one with non-finite elements and
    # no finite one), then a BLOB of the first digest superseding it.
    stats_data = struct.pack("<4f", 0.5, -2.0, 3.25, 1.0)
    stats_digest = ftr.blob_digest("float32", [2, 2], stats_data)
    f.w.put_stats([stats_digest, "float32", [2, 2], 0, -2.0, 3.25, 0.6875, 3.9528470752104741, [[0, 0.5], [1, -2.0], [2, 3.25], [3, 1.0]]])
    nan_data = struct.pack("<2d", float("nan"), float("-inf"))
    f.w.put_stats([ftr.blob_digest("float64", [2], nan_data), "float64", [2], 2, None, None, None, None, [[0, float("nan")], [1, float("-inf")]]])
    f.w.put_blob("float32", [2, 2], stats_data)
    big_blob = f.w.put_blob("uint8", [70000], bytes(i % 251 for i in range(70000)))
    many_dims = [1] * 65536  # array32 header; makes this one event larger than a chunk
    big = ftr.tensor_ref(9999, "uint8", many_dims, many_dims, 0, 9999, "cpu", False, 0, big_blob)
    op(f, "aten.view.default", [["size", ftr.v_list([ftr.v_int(70000)])]], [ftr.v_tensor(big)], ftr.context(ftr.CTX_NODE, 1))
    view_events(f)
    bulk_ops(f, 300)
    f.emit(ftr.API, ftr.API_PROGRAM_ERROR, ftr.p_program_error("RuntimeError: the fixture ends here"))


def write_fixture(path: str, meta: ftr.Meta, build_events: Callable[[ftr.TraceWriter], None]) -> list:
    """Writes a fixture of `meta` whose events `build_events` emits to
    `path` (left `.partial` if it fails); returns its index."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fw = ftr.FileTraceWriter(path, meta)
    try:
        build_events(fw.writer)
    except BaseException:
        fw.abort()
        raise
    return fw.finish()


def fixture_cli(doc: str, default_path: str, write_to: Callable[[str], list], chunks: bool = False) -> int:
    """A fixture script's command line: `-o PATH` (default `default_path`),
    then a summary of what `write_to` wrote (its EVENTS chunks too with
    `chunks`)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("-o", "--output", default=default_path, help="where to write (default: %(default)s)")
    args = parser.parse_args()
    index = write_to(args.output)
    counted = f", {len(index[5])} events chunks" if chunks else ""
    print(f"{args.output}: {index[0]} events{counted}, {len(index[6])} blobs")
    return 0


def write(path: str) -> list:
    """Writes the fixture to `path`; returns its index."""
    return write_fixture(path, META, build)


def main() -> int:
    """CLI: write the fixture (default: tracer/tests/fixtures/all_kinds.ftr)."""
    return fixture_cli(__doc__ or "", DEFAULT_PATH, write, chunks=True)


if __name__ == "__main__":
    sys.exit(main())
