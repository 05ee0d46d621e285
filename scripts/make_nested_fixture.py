"""Writes `tracer/tests/fixtures/nested.ftr`, the cross-writer fixture of
nested tensor references (format 2.6).

Synthetic, like `sparse_coo.ftr`: what `nn.TransformerEncoder` in eval with
a padding mask records, reduced to the references it holds — a padded batch
turned into a nested tensor by `_nested_tensor_from_mask` (three sequences
of 3, 5 and 0 tokens: an irregular dim and an empty component; the buffer
carries the value), a nested tensor as an operator's input and output
(`linear`), a dense tensor made from a nested one (`to_padded_tensor`), and
an empty nested tensor (no component). A Rust test rewrites it with the
`ft-trace` writer and compares the bytes; a pytest checks that regenerating
it reproduces the committed bytes.

Regenerate with `python scripts/make_nested_fixture.py`.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ftr  # noqa: E402
from make_format_fixture import Fixture, fixture_cli, op, ref, write_fixture  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATH = os.path.join(REPO, "tracer", "tests", "fixtures", "nested.ftr")

META = ftr.Meta(
    "make_nested_fixture.py 1",
    "synthetic://nested",
    "all",
    (("torch_version", "none"), ("python_version", "none"), ("purpose", "nested reference fixture")),
)

# The batch: 3 sequences of at most 5 tokens of 8 features; the padding
# mask keeps 3, 5 and 0 tokens.
LENGTHS = [3, 5, 0]
BATCH, SEQ, FEATURES = 3, 5, 8


def nested_ref(tid: int, storage: int, lengths: list, buffer_id: int, buffer_value: bytes | None) -> list:
    """A float32 nested tensor of components `[length, FEATURES]` packed one
    after another in its buffer (the storage is the buffer's)."""
    sizes = [[n, FEATURES] for n in lengths]
    strides = [[FEATURES, 1] for _ in lengths]
    offsets, at = [], 0
    for n in lengths:
        offsets.append(at)
        at += n * FEATURES
    buffer = ftr.tensor_ref(buffer_id, "float32", [at], [1], 0, storage, "cpu", False, 0, buffer_value)
    parts = ftr.nested_parts(sizes, strides, offsets, buffer)
    shape = ftr.nested_opt_sizes(sizes) or [0]
    return ftr.tensor_ref(tid, "float32", shape, [], 0, storage, "cpu", False, 0, None, nested=parts)


def build(writer: ftr.TraceWriter) -> None:
    """The fixture's events and blobs, in writing order."""
    f = Fixture(writer)
    top = ftr.context(ftr.CTX_TOP_LEVEL)
    src_values = [((i * 7) % 13) / 4 - 1.5 for i in range(BATCH * SEQ * FEATURES)]
    src = ref(0, [BATCH, SEQ, FEATURES], 0, f.blob_f32(src_values, [BATCH, SEQ, FEATURES]))
    f.emit(ftr.API, ftr.API_TENSOR, ftr.p_tensor(src, False))
    keep = [t < n for n in LENGTHS for t in range(SEQ)]
    mask_value = f.w.put_blob("bool", [BATCH, SEQ], bytes(keep))
    mask = ftr.tensor_ref(1, "bool", [BATCH, SEQ], [SEQ, 1], 0, 1, "cpu", False, 0, mask_value)
    f.emit(ftr.API, ftr.API_TENSOR, ftr.p_tensor(mask, False))
    # the padded batch's kept tokens, packed
    packed = [v for b, n in enumerate(LENGTHS) for v in src_values[b * SEQ * FEATURES : (b * SEQ + n) * FEATURES]]
    buffer_value = f.blob_f32(packed, [len(packed)])
    args = [
        ["t", ftr.v_tensor(ref(0, [BATCH, SEQ, FEATURES], 0, None))],
        ["mask", ftr.v_tensor(ftr.tensor_ref(1, "bool", [BATCH, SEQ], [SEQ, 1], 0, 1, "cpu", False, 0, None))],
        ["mask_check", ftr.v_bool(True)],
    ]
    nested = nested_ref(2, 2, LENGTHS, 3, buffer_value)
    op(f, "aten._nested_tensor_from_mask.default", args, [ftr.v_tensor(nested)], top, keyset=["CPU"])
    # a linear layer over the nested tensor: a nested input and output
    weight = ref(4, [FEATURES, FEATURES], 4, f.blob_f32([(i % 9) / 8 for i in range(FEATURES * FEATURES)], [FEATURES, FEATURES]))
    f.emit(ftr.API, ftr.API_TENSOR, ftr.p_tensor(weight, False))
    projected = [sum(packed[r * FEATURES + j] * ((o * FEATURES + j) % 9) / 8 for j in range(FEATURES)) for r in range(len(packed) // FEATURES) for o in range(FEATURES)]
    linear_args = [
        ["input", ftr.v_tensor(nested_ref(2, 2, LENGTHS, 3, None))],
        ["weight", ftr.v_tensor(ref(4, [FEATURES, FEATURES], 4, None))],
        ["bias", ftr.v_none()],
    ]
    out = nested_ref(5, 5, LENGTHS, 6, f.blob_f32(projected, [len(projected)]))
    op(f, "aten.linear.default", linear_args, [ftr.v_tensor(out)], top, keyset=["NestedTensorCPU"])
    # back to a padded dense tensor
    padded = [0.0] * (BATCH * SEQ * FEATURES)
    row = 0
    for b, n in enumerate(LENGTHS):
        for t in range(n):
            base = (b * SEQ + t) * FEATURES
            padded[base : base + FEATURES] = projected[row * FEATURES : (row + 1) * FEATURES]
            row += 1
    pad_args = [
        ["self", ftr.v_tensor(nested_ref(5, 5, LENGTHS, 6, None))],
        ["padding", ftr.v_float(0.0)],
        ["output_size", ftr.v_list([ftr.v_int(BATCH), ftr.v_int(SEQ), ftr.v_int(FEATURES)])],
    ]
    dense = ref(7, [BATCH, SEQ, FEATURES], 7, f.blob_f32(padded, [BATCH, SEQ, FEATURES]))
    op(f, "aten.to_padded_tensor.default", pad_args, [ftr.v_tensor(dense)], top, keyset=["NestedTensorCPU"])
    # an empty nested tensor: no component, an empty buffer
    empty = nested_ref(8, 8, [], 9, f.blob_f32([], [0]))
    f.emit(ftr.API, ftr.API_TENSOR, ftr.p_tensor(empty, False))


def write(path: str) -> list:
    """Writes the fixture to `path`; returns its index."""
    return write_fixture(path, META, build)


def main() -> int:
    """CLI: write the fixture (default: tracer/tests/fixtures/nested.ftr)."""
    return fixture_cli(__doc__ or "", DEFAULT_PATH, write)


if __name__ == "__main__":
    sys.exit(main())
