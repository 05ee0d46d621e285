"""Writes `tracer/tests/fixtures/sparse_coo.ftr`, the cross-writer fixture of
sparse COO tensor references (format 2.4).

Synthetic, like `all_kinds.ftr`: what `nn.Embedding(sparse=True)`'s backward
and a sparse optimizer step record, reduced to the references they hold —
a sparse tensor made from strided indices and values
(`_sparse_coo_tensor_with_dims_and_tensors`), its parts read back
(`_indices`, `_values`), a coalesced copy whose parts are new tensors with
values of their own (`_coalesce`), a sparse gradient accumulated into a
leaf, a sparse tensor added into a dense one (`add_`), and a node's sparse
gradient (`node_result`). A Rust test rewrites it with the `ft-trace` writer
and compares the bytes; a pytest checks that regenerating it reproduces the
committed bytes.

Regenerate with `python scripts/make_sparse_fixture.py`.
"""

from __future__ import annotations

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ftr  # noqa: E402
from make_format_fixture import Fixture, fixture_cli, op, ref, write_fixture  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATH = os.path.join(REPO, "tracer", "tests", "fixtures", "sparse_coo.ftr")

META = ftr.Meta(
    "make_sparse_fixture.py 1",
    "synthetic://sparse_coo",
    "all",
    (("torch_version", "none"), ("python_version", "none"), ("purpose", "sparse reference fixture")),
)


def indices_ref(f: Fixture, tid: int, storage: int, rows: list, digest: bool) -> list:
    """An int64 `[1, nnz]` indices tensor (one sparse dimension)."""
    value = f.w.put_blob("int64", [1, len(rows)], struct.pack(f"<{len(rows)}q", *rows)) if digest else None
    return ftr.tensor_ref(tid, "int64", [1, len(rows)], [len(rows), 1], 0, storage, "cpu", False, 0, value)


def sparse_ref(tid: int, indices: list, values: list, coalesced: bool, *, requires_grad: bool = False) -> list:
    """A `[10, 3]` float32 sparse COO tensor of one sparse and one dense
    dimension; its storage is its values'."""
    parts = ftr.sparse_parts(1, 1, coalesced, indices, values)
    return ftr.tensor_ref(tid, "float32", [10, 3], [], 0, values[5], "cpu", requires_grad, 0, None, parts)


def build(writer: ftr.TraceWriter) -> None:
    """The fixture's events and blobs, in writing order."""
    f = Fixture(writer)
    top, backward = ftr.context(ftr.CTX_TOP_LEVEL), ftr.context(ftr.CTX_BACKWARD)
    weight = ref(0, [10, 3], 0, f.blob_f32([i / 4 for i in range(30)], [10, 3]), requires_grad=True)
    f.emit(ftr.API, ftr.API_TENSOR, ftr.p_tensor(weight, False))
    # embedding's backward: indices [1, 6] and gradient rows [6, 3], unsorted
    # and with duplicates
    rows = [1, 2, 1, 4, 2, 9]
    indices = indices_ref(f, 1, 1, rows, digest=True)
    values = ref(2, [6, 3], 2, f.blob_f32([float(i) for i in range(18)], [6, 3]))
    grad = sparse_ref(3, indices, values, False)
    args = [
        ["sparse_dim", ftr.v_int(1)],
        ["dense_dim", ftr.v_int(1)],
        ["size", ftr.v_list([ftr.v_int(10), ftr.v_int(3)])],
        ["indices", ftr.v_tensor(ftr.tensor_ref(1, "int64", [1, 6], [6, 1], 0, 1, "cpu", False, 0, None))],
        ["values", ftr.v_tensor(ref(2, [6, 3], 2, None))],
        ["dtype", ftr.v_dtype("float32")],
        ["layout", ftr.v_layout("sparse_coo")],
        ["device", ftr.v_device("cpu")],
        ["pin_memory", ftr.v_none()],
    ]
    op(f, "aten._sparse_coo_tensor_with_dims_and_tensors.default", args, [ftr.v_tensor(grad)], backward, keyset=["CPU"])
    bare = sparse_ref(3, indices_ref(f, 1, 1, rows, digest=False), ref(2, [6, 3], 2, None), False)
    op(f, "aten._indices.default", [["self", ftr.v_tensor(bare)]], [ftr.v_tensor(indices_ref(f, 4, 1, rows, digest=True))], backward, keyset=["CPU"])
    f.emit(ftr.AUTOGRAD, ftr.AG_ACCUMULATE, ftr.p_accumulate(7, 0, grad))
    # the optimizer's coalesce: sorted unique rows, duplicates summed
    merged = indices_ref(f, 6, 4, [1, 2, 4, 9], digest=True)
    summed = ref(7, [4, 3], 5, f.blob_f32([6.0, 8.0, 10.0, 15.0, 17.0, 19.0, 9.0, 10.0, 11.0, 15.0, 16.0, 17.0], [4, 3]))
    op(f, "aten._coalesce.default", [["self", ftr.v_tensor(bare)]], [ftr.v_tensor(sparse_ref(5, merged, summed, True))], top, keyset=["CPU"])
    coalesced = sparse_ref(5, indices_ref(f, 6, 4, [1, 2, 4, 9], digest=False), ref(7, [4, 3], 5, None), True)
    op(f, "aten.is_coalesced.default", [["self", ftr.v_tensor(coalesced)]], [ftr.v_bool(True)], top, keyset=["CPU"])
    dense = ref(0, [10, 3], 0, None, requires_grad=True)
    updated = ref(0, [10, 3], 0, f.blob_f32([0.0] * 30, [10, 3]), requires_grad=True, version=1)
    add_args = [["self", ftr.v_tensor(dense)], ["other", ftr.v_tensor(coalesced)], ["alpha", ftr.v_float(-0.1)]]
    op(f, "aten.add_.Tensor", add_args, [ftr.v_tensor(updated)], top, keyset=["CPU"])
    f.emit(ftr.AUTOGRAD, ftr.AG_NODE_RESULT, ftr.p_node_result(8, [ref(8, [2, 3], 8, None)], [bare, None]))
    # an empty sparse gradient: no specified element
    empty = sparse_ref(9, indices_ref(f, 10, 9, [], digest=True), ref(11, [0, 3], 10, f.blob_f32([], [0, 3])), True)
    op(f, "aten.zeros_like.default", [["self", ftr.v_tensor(coalesced)]], [ftr.v_tensor(empty)], top, keyset=["CPU"])


def write(path: str) -> list:
    """Writes the fixture to `path`; returns its index."""
    return write_fixture(path, META, build)


def main() -> int:
    """CLI: write the fixture (default: tracer/tests/fixtures/sparse_coo.ftr)."""
    return fixture_cli(__doc__ or "", DEFAULT_PATH, write)


if __name__ == "__main__":
    sys.exit(main())
