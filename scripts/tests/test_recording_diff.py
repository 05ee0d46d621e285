"""Tests of scripts/recording_diff.py: when two captures record the same run."""

from __future__ import annotations

import numpy as np

import ftr
from conftest import REPO, rewrite
from recording_diff import _blob_difference, _payload_difference, first_difference, machine_only_difference

GOLDEN = REPO / "traces" / "mlp_train.torch.ftr"


def test_a_faithful_rewrite_records_the_same_run(tmp_path):
    copy = tmp_path / "copy.ftr"
    rewrite(GOLDEN, copy)
    assert first_difference(str(copy), str(GOLDEN)) is None
    assert first_difference(str(GOLDEN), str(GOLDEN)) is None


def test_values_moved_within_tolerance_are_the_same_run(tmp_path):
    moved = tmp_path / "moved.ftr"
    # Another CPU's rounding, grown over a run: beyond assert_close's
    # float32 default (1.3e-6), within the cross-CPU bound.
    rewrite(GOLDEN, moved, scale_value=1 + 2e-4)
    assert moved.read_bytes() != GOLDEN.read_bytes()
    assert first_difference(str(moved), str(GOLDEN)) is None


def test_values_beyond_tolerance_differ(tmp_path):
    moved = tmp_path / "moved.ftr"
    rewrite(GOLDEN, moved, scale_value=1.01)
    why = first_difference(str(moved), str(GOLDEN))
    assert why is not None and "beyond tolerance" in why


def test_the_capturing_machine_is_not_the_run(tmp_path):
    """Another machine's CPU capability and thread count leave the run the
    same (its values show what they change); other attributes do not."""
    attrs = list(ftr.TraceReader(str(GOLDEN)).meta.attrs)
    other_machine = tmp_path / "other_machine.ftr"
    rewrite(GOLDEN, other_machine, attrs=[*attrs, ("cpu_capability", "AVX2"), ("intra_op_threads", "8")])
    assert other_machine.read_bytes() != GOLDEN.read_bytes()
    assert first_difference(str(other_machine), str(GOLDEN)) is None
    other_torch = tmp_path / "other_torch.ftr"
    rewrite(GOLDEN, other_torch, attrs=[(k, "0.0" if k == "torch_version" else v) for k, v in attrs])
    assert first_difference(str(other_torch), str(GOLDEN)) == "META differs"


def test_a_capture_on_another_cpu_with_the_same_values_differs_only_by_machine(tmp_path):
    """The corpus says `byte-identical but for META's machine attributes`
    only when writing one trace again with the other's META gives the
    other's bytes: a moved value, an op or another attribute is not that."""
    attrs = list(ftr.TraceReader(str(GOLDEN)).meta.attrs)
    machine = [*attrs, ("cpu_capability", "AVX512"), ("float16_conv_onednn", "1"), ("vml_sqrt", "rsqrt14")]
    other_cpu = tmp_path / "other_cpu.ftr"
    rewrite(GOLDEN, other_cpu, attrs=machine)
    assert other_cpu.read_bytes() != GOLDEN.read_bytes()
    assert (
        machine_only_difference(str(other_cpu), str(GOLDEN))
        == "cpu_capability AVX512 vs absent, float16_conv_onednn 1 vs absent, vml_sqrt rsqrt14 vs absent"
    )
    assert machine_only_difference(str(GOLDEN), str(GOLDEN)) is None, "no machine attribute differs"
    moved = tmp_path / "moved.ftr"
    rewrite(GOLDEN, moved, attrs=machine, scale_value=1 + 2e-4)
    assert machine_only_difference(str(moved), str(GOLDEN)) is None
    renamed = tmp_path / "renamed.ftr"
    rewrite(GOLDEN, renamed, attrs=machine, rename_op=("aten.relu.default", "aten.gelu.default"))
    assert machine_only_difference(str(renamed), str(GOLDEN)) is None
    other_torch = tmp_path / "other_torch.ftr"
    rewrite(GOLDEN, other_torch, attrs=[*machine, ("torch_version", "0.0")])
    assert machine_only_difference(str(other_torch), str(GOLDEN)) is None


def test_a_changed_op_differs(tmp_path):
    changed = tmp_path / "changed.ftr"
    rewrite(GOLDEN, changed, rename_op=("aten.relu.default", "aten.gelu.default"))
    why = first_difference(str(changed), str(GOLDEN))
    assert why is not None and "aten.gelu.default" in why


def test_equal_special_numbers_are_the_same_and_others_differ():
    """An argument of `inf` (`clamp(max=inf)`, `scalar_tensor(inf)`) or NaN is
    the same number in both traces; a sign or a finite value is not."""
    inf, nan = float("inf"), float("nan")
    assert _payload_difference([["s", [3, inf]]], [["s", [3, inf]]], []) is None
    assert _payload_difference([3, -inf], [3, -inf], []) is None
    assert _payload_difference([3, nan], [3, nan], []) is None
    assert _payload_difference([3, inf], [3, -inf], []) is not None
    assert _payload_difference([3, inf], [3, 1e308], []) is not None
    assert _payload_difference([3, nan], [3, 0.0], []) is not None


def test_complex_values_compare_part_by_part():
    """A complex value's real and imaginary parts (stored interleaved) move
    by another CPU's rounding within the bound of their part dtype; a wrong
    part differs."""
    z = np.array([1.5 - 2.0j, -0.25 + 3.0j], dtype=np.complex64)

    def blob(v: np.ndarray) -> ftr.Blob:
        return ftr.Blob(b"", str(v.dtype), [2], v.tobytes())

    nudged = z.copy()
    nudged.imag[1] = np.nextafter(np.float32(3.0), np.float32(4.0))
    assert _blob_difference(blob(nudged), blob(z)) is None
    wrong = z.copy()
    wrong.imag[0] = 2.0
    why = _blob_difference(blob(wrong), blob(z))
    assert why is not None and "complex64" in why and "beyond tolerance" in why
    z128 = z.astype(np.complex128)
    assert _blob_difference(blob(z128 * (1 + 1e-6)), blob(z128)) is None
    assert _blob_difference(blob(z128.conj()), blob(z128)) is not None


def _reshape_refs(value, tid, shape):
    """`value` with every reference to tensor `tid` given `shape` (contiguous)."""
    if isinstance(value, list):
        if len(value) == 2 and value[0] == ftr.TAG_TENSOR and isinstance(value[1], list) and value[1] and value[1][0] == tid:
            ref = list(value[1])
            ref[2], ref[3] = list(shape), [1]
            return [value[0], ref]
        return [_reshape_refs(v, tid, shape) for v in value]
    return value


def _rewrite_output_shape(src, dst, op: str, index: int) -> None:
    """Copies `src`, giving output `index` of the first `op` call (and every
    later reference to it) another shape."""
    reader = ftr.TraceReader(str(src))
    target = None
    with ftr.FileTraceWriter(str(dst), reader.meta) as out:
        for digest, _ in reader.blob_entries:
            blob = reader.blob(bytes(digest))
            out.writer.put_blob(blob.dtype, blob.shape, blob.data)
        for event in reader.events:
            payload = event.payload
            if target is None and event.name == "op" and payload[0] == op:
                target = payload[4][index][1][0]
            if target is not None:
                payload = _reshape_refs(payload, target, [12345])
            out.writer.append(event.layer, event.kind, payload, event.ts)


def test_an_opaque_outputs_size_may_differ_between_machines(tmp_path):
    """oneDNN chooses its LSTM workspace's size for the CPU it runs on: a
    re-capture elsewhere records the same run with another workspace shape;
    any other output's shape still counts."""
    golden = REPO / "traces" / "lstm_language_model.torch.ftr"
    workspace = tmp_path / "workspace.ftr"
    _rewrite_output_shape(golden, workspace, "aten.mkldnn_rnn_layer.default", 3)
    assert first_difference(str(workspace), str(golden)) is None
    hidden = tmp_path / "hidden.ftr"
    _rewrite_output_shape(golden, hidden, "aten.mkldnn_rnn_layer.default", 1)
    assert first_difference(str(hidden), str(golden)) is not None


def test_structure_only_ignores_values_but_not_events(tmp_path):
    moved, changed = tmp_path / "moved.ftr", tmp_path / "changed.ftr"
    rewrite(GOLDEN, moved, scale_value=1.5)
    rewrite(GOLDEN, changed, rename_op=("aten.relu.default", "aten.gelu.default"))
    assert first_difference(str(moved), str(GOLDEN)) is not None
    assert first_difference(str(moved), str(GOLDEN), values=False) is None
    why = first_difference(str(changed), str(GOLDEN), values=False)
    assert why is not None and "aten.gelu.default" in why


def test_structure_only_still_compares_a_value_s_dtype_and_shape():
    a = ftr.Blob(b"", "float32", [2, 2], np.zeros(4, np.float32).tobytes())
    b = ftr.Blob(b"", "float32", [4], np.ones(4, np.float32).tobytes())
    assert _blob_difference(a, b, values=False) == "value float32[2, 2] vs float32[4]"
    assert _blob_difference(a, ftr.Blob(b"", "float32", [2, 2], np.ones(4, np.float32).tobytes()), values=False) is None


def test_the_reported_element_is_the_one_beyond_tolerance():
    """A large value moved within its relative bound is not the one named; the
    small one moved beyond its absolute bound is (and NaN against a number
    before both)."""
    a = ftr.Blob(b"", "float32", [3], np.array([-18800.86, -0.0048, 1.0], np.float32).tobytes())
    b = ftr.Blob(b"", "float32", [3], np.array([-18802.34, -0.0037, 1.0], np.float32).tobytes())
    why = _blob_difference(a, b)
    assert why is not None and "at element 1:" in why, why
    c = ftr.Blob(b"", "float32", [3], np.array([-18802.34, -0.0037, np.nan], np.float32).tobytes())
    why = _blob_difference(a, c)
    assert why is not None and "at element 2:" in why, why
