"""Whether two captures of one program record the same run.

Two captures of a program on one machine are byte-identical (the capture is
deterministic). Across machines they need not be: PyTorch's float kernels
(MKL GEMM, vectorised math) round differently on different CPUs (observed:
an AVX-512 Xeon's float32 `addmm` differs from the goldens' machine by up to
2.4e-7), so every value — and a Python number read from a tensor
(`loss.item()`) — may move by an ulp while nothing else changes.

Over a run the first ulp grows: on an AMD EPYC (AVX-512 without AVX-512
FP16) five goldens re-capture with values beyond `assert_close`'s defaults
although every event is the same — float16 convolutions rounded 3 ulps
apart (the goldens' CPU computes them in native float16), a float64 loss
made from float32 logits 2.4e-7 apart, a transformer value near zero 5.6e-5
apart, and an L-BFGS objective 2e-6 apart after its first line search and
2e-4 apart after its last.

`first_difference(a, b)` therefore accepts two traces when they are
byte-identical, or when they have the same events in the same order, equal in
every structural field, with every recorded value (blob or Python float)
within `CROSS_CPU_TOLERANCES` for its dtype — 0.1% for float32 and
float64 and for each part of a complex64 or complex128 value, a few float16
or bfloat16 ulps: room for another CPU's rounding
grown over a run, yet far below what a capture that records a wrong or
stale value produces (and on the goldens' machine the bytes must be equal);
the
shape and strides of an opaque output (`OPAQUE_OUTPUTS`: scratch such as
oneDNN's LSTM workspace, whose size the library chooses for the CPU it runs
on) and of every later reference to that tensor are not compared. It
returns None then, and otherwise a one-line description of the first
difference. `python scripts/recording_diff.py A B` exits 0 or 1 accordingly.

Some programs' values depend on the CPU beyond any tolerance: a discontinuity
(a rounding step, a distance that is exactly zero on one CPU and a rounding
residue on another) or an implementation-defined choice (the sign of a
singular vector) turns an ulp into a different value. Their programs say so
with a line `# cpu-dependent-values: WHY`; `first_difference(a, b,
values=False)` (`--structure-only`) then compares everything but the values:
the events, their order and structural fields, each value's dtype and shape.
META must be the same but for the capturing machine's attributes
(`MACHINE_ATTRS`: the CPU capability, thread count, float16 convolution
backend, oneDNN's GELU and MKL's square root, CAPTURE.md §5.2.1).

A capture on another kind of CPU that computed every value the same
differs from its golden only there: `machine_only_difference(a, b)`
(`--machine-only`, exit 0 and the attributes printed) says so, a claim as
strong as byte identity, since A written again with B's META is B.
scripts/test.sh replays such a re-capture on the runtime instead, anchored,
so this CPU's values are still checked.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Optional

import numpy as np

import ftr

# dtype -> (rtol, atol) for a value recorded on two CPUs (see the module
# doc). float64 values are often made from float32 ones (a `.double()` loss),
# so they get float32's bound.
CROSS_CPU_TOLERANCES = {
    "float32": (1e-3, 1e-3),
    "float64": (1e-3, 1e-3),
    "float16": (2e-2, 2e-3),
    "bfloat16": (1e-1, 2e-2),
    # A complex value's real and imaginary parts, each as its part dtype.
    "complex64": (1e-3, 1e-3),
    "complex128": (1e-3, 1e-3),
}
NUMPY_DTYPES = {
    "float32": np.float32,
    "float64": np.float64,
    "float16": np.float16,
    "int64": np.int64,
    "int32": np.int32,
    "int16": np.int16,
    "int8": np.int8,
    "uint8": np.uint8,
    "bool": np.bool_,
    # Stored as interleaved (real, imaginary) parts (FORMAT.md).
    "complex64": np.float32,
    "complex128": np.float64,
}
# A Python float in an op's arguments or results: float32 is the usual source.
SCALAR_TOLERANCE = CROSS_CPU_TOLERANCES["float32"]


def _close(x: float, y: float, rtol: float, atol: float) -> bool:
    if x == y:  # also equal infinities, whose difference is NaN
        return True
    if math.isinf(x) or math.isinf(y):  # the tolerance would be infinite
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return abs(x - y) <= atol + rtol * abs(y)


def _values(blob: ftr.Blob) -> np.ndarray:
    if blob.dtype == "bfloat16":
        raw = np.frombuffer(blob.data, dtype=np.uint16).astype(np.uint32) << 16
        return raw.view(np.float32).astype(np.float64)
    return np.frombuffer(blob.data, dtype=NUMPY_DTYPES[blob.dtype]).astype(np.float64)


def _blob_difference(a: ftr.Blob, b: ftr.Blob, values: bool = True) -> Optional[str]:
    if (a.dtype, list(a.shape)) != (b.dtype, list(b.shape)):
        return f"value {a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}"
    if a.data == b.data or not values:
        return None
    if a.dtype not in NUMPY_DTYPES and a.dtype != "bfloat16":
        return f"{a.dtype} values differ"
    xa, xb = _values(a), _values(b)
    rtol, atol = CROSS_CPU_TOLERANCES.get(a.dtype, (0.0, 0.0))
    close = np.isclose(xa, xb, rtol=rtol, atol=atol, equal_nan=True)
    if bool(close.all()):
        return None
    # The element furthest beyond its bound (NaN against a number first).
    with np.errstate(invalid="ignore"):
        excess = np.abs(xa - xb) - (atol + rtol * np.abs(xb))
    excess = np.where(close, -np.inf, np.nan_to_num(excess, nan=np.inf))
    worst = int(np.argmax(excess))
    return f"{a.dtype} value differs beyond tolerance at element {worst}: {xa[worst]!r} vs {xb[worst]!r}"


def _stats_difference(a: list, b: list) -> Optional[str]:
    """Two STATS records (policy `stats`) of values equal within tolerance:
    same dtype, shape and non-finite count; statistics and samples close."""
    if (a[1], list(a[2]), a[3]) != (b[1], list(b[2]), b[3]):
        return f"statistics of {a[1]}{list(a[2])} vs {b[1]}{list(b[2])}"
    rtol, atol = CROSS_CPU_TOLERANCES.get(a[1], (0.0, 0.0))
    xa = [v for v in a[4:8]] + [v for _, v in a[8]]
    xb = [v for v in b[4:8]] + [v for _, v in b[8]]
    if [v is None for v in xa] != [v is None for v in xb]:
        return f"statistics of {a[1]}{list(a[2])} differ"
    fa = np.array([v for v in xa if v is not None], dtype=np.float64)
    fb = np.array([v for v in xb if v is not None], dtype=np.float64)
    if fa.shape != fb.shape or not bool(np.isclose(fa, fb, rtol=rtol, atol=atol, equal_nan=True).all()):
        return f"{a[1]} statistics differ beyond tolerance"
    return None


def _stats_shape_difference(a: list, b: list) -> Optional[str]:
    """Two STATS records of values of the same dtype and shape."""
    if (a[1], list(a[2])) != (b[1], list(b[2])):
        return f"statistics of {a[1]}{list(a[2])} vs {b[1]}{list(b[2])}"
    return None


def _payload_difference(a: Any, b: Any, digests: list, values: bool = True) -> Optional[str]:
    """Compares decoded payloads; digest pairs are collected for the blob check.
    Without `values`, two Python floats are not compared."""
    if isinstance(a, (bytes, bytearray)) and isinstance(b, (bytes, bytearray)):
        digests.append((bytes(a), bytes(b)))
        return None
    if isinstance(a, float) and isinstance(b, float):
        return None if not values or _close(a, b, *SCALAR_TOLERANCE) else f"number {a!r} vs {b!r}"
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{len(a)} fields vs {len(b)}"
        for x, y in zip(a, b):
            why = _payload_difference(x, y, digests, values)
            if why:
                return why
        return None
    return None if a == b and type(a) is type(b) else f"{a!r} vs {b!r}"


def _opaque_outputs() -> dict:
    from ft_capture.values import OPAQUE_OUTPUTS  # torch only when needed

    return OPAQUE_OUTPUTS


def _note_opaque(payload: list, ids: set, opaque: dict) -> None:
    """Adds the tensor ids an op event's opaque outputs get to `ids`."""
    base = str(payload[0]).split(".")[1] if "." in str(payload[0]) else str(payload[0])
    for i, out in enumerate(payload[4] if len(payload) > 4 else []):
        if (base, i) in opaque and isinstance(out, list) and out and out[0] == ftr.TAG_TENSOR:
            ids.add(out[1][0])


def _mask_opaque(value: Any, ids: set) -> Any:
    """`value` with the shape and strides of references to `ids` blanked."""
    if isinstance(value, list):
        if len(value) == 2 and value[0] == ftr.TAG_TENSOR and isinstance(value[1], list) and value[1] and value[1][0] in ids:
            ref = list(value[1])
            ref[2], ref[3] = None, None
            return [value[0], ref]
        return [_mask_opaque(v, ids) for v in value]
    return value


# META attributes that describe the capturing machine, not the run: a
# re-capture elsewhere may record other ones (its values then show what they
# change).
MACHINE_ATTRS = ("cpu_capability", "intra_op_threads", "float16_conv_onednn", "onednn_gelu", "vml_sqrt")


def _program_meta(meta: "ftr.Meta") -> list:
    """META's wire form without the machine's attributes."""
    producer, program, policy, attrs = meta.payload()
    return [producer, program, policy, [kv for kv in attrs if kv[0] not in MACHINE_ATTRS]]


def _machine_attrs(meta: "ftr.Meta") -> dict:
    return {k: v for k, v in meta.attrs if k in MACHINE_ATTRS}


def machine_only_difference(path_a: str, path_b: str) -> Optional[str]:
    """When the traces differ only in META's machine attributes — A written
    again with B's META is B, byte for byte — those attributes
    (`float16_conv_onednn 1 vs absent`); else None. A capture on another
    kind of CPU than its golden's that computed every value the same."""
    ra, rb = ftr.TraceReader(path_a), ftr.TraceReader(path_b)
    ma, mb = _machine_attrs(ra.meta), _machine_attrs(rb.meta)
    if ma == mb or _program_meta(ra.meta) != _program_meta(rb.meta):
        return None
    if [bytes(d) for d, _ in ra.blob_entries] != [bytes(d) for d, _ in rb.blob_entries]:
        return None  # a value differs (the common case across CPUs): no rewrite needed to tell
    with open(path_b, "rb") as f:
        if ftr.rewritten(ra, rb.meta) != f.read():
            return None
    return ", ".join(f"{k} {ma.get(k, 'absent')} vs {mb.get(k, 'absent')}" for k in MACHINE_ATTRS if ma.get(k) != mb.get(k))


def first_difference(path_a: str, path_b: str, values: bool = True) -> Optional[str]:
    """None when the traces record the same run (see the module doc); without
    `values`, when they record the same run up to the values themselves."""
    with open(path_a, "rb") as fa, open(path_b, "rb") as fb:
        if fa.read() == fb.read():
            return None
    ra, rb = ftr.TraceReader(path_a), ftr.TraceReader(path_b)
    if _program_meta(ra.meta) != _program_meta(rb.meta):
        return "META differs"
    ea, eb = ra.events, rb.events
    opaque: Optional[dict] = None
    opaque_ids: set = set()
    for x, y in zip(ea, eb):
        if (x.seq, x.layer, x.kind, x.ts) != (y.seq, y.layer, y.kind, y.ts):
            return f"seq {x.seq}: {x.name} vs seq {y.seq}: {y.name}"
        digests: list = []
        xp, yp = x.payload, y.payload
        if x.name == "op":
            if opaque is None:
                opaque = _opaque_outputs()
            _note_opaque(xp, opaque_ids, opaque)
        if opaque_ids:
            xp, yp = _mask_opaque(xp, opaque_ids), _mask_opaque(yp, opaque_ids)
        why = _payload_difference(xp, yp, digests, values)
        if why:
            return f"seq {x.seq} ({x.name}): {why}"
        for da, db in digests:
            if da == db:
                continue
            ba, bb = ra.blob(da), rb.blob(db)
            if ba is None and bb is None:
                sa, sb = ra.stats(da), rb.stats(db)
                if sa is not None and sb is not None:
                    why = _stats_difference(sa, sb) if values else _stats_shape_difference(sa, sb)
                    if why:
                        return f"seq {x.seq} ({x.name}): {why}"
                    continue
            if ba is None or bb is None:
                return f"seq {x.seq} ({x.name}): a value is missing from its trace"
            why = _blob_difference(ba, bb, values)
            if why:
                return f"seq {x.seq} ({x.name}): {why}"
    if len(ea) != len(eb):
        return f"{len(ea)} events vs {len(eb)}"
    return None


def main(argv: list) -> int:
    values = "--structure-only" not in argv
    paths = [a for a in argv[1:] if a not in ("--structure-only", "--machine-only")]
    if len(paths) != 2:
        print("usage: recording_diff.py [--structure-only | --machine-only] A.ftr B.ftr", file=sys.stderr)
        return 2
    if "--machine-only" in argv:
        which = machine_only_difference(paths[0], paths[1])
        if which is None:
            return 1
        print(which)
        return 0
    why = first_difference(paths[0], paths[1], values)
    argv = [argv[0], *paths]
    if why:
        print(f"{argv[1]} and {argv[2]} record different runs: {why}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
