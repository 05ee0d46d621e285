"""How far a trace's tensor values compress losslessly, and why.

Measures, on a trace captured with `--values all` (by default the 20-step
MLP of `bench/programs/mlp_long.py`, captured here), the ratio of
compressed to raw bytes of every stored value for:

* zstd (level 3) of the raw bytes;
* zstd after a byte shuffle (byte k of every element together);
* the better of that and the same after XOR with an earlier value of the
  same size: the tensor's previous version, the previous output of the same
  operator and output index, or the previous value on the same storage
  (what a format could reference without storing it twice);
* that, with every value that is a strided view of an earlier stored value
  on the same storage (a transposed weight, the heads split out of a fused
  projection, a slice) counted as a reference to it instead of its bytes:
  the view's element `i` is the earlier C-contiguous value's element
  `offset + Σ iₖ·strideₖ` (what `torch.save` does for views, which share
  their storage);

and, for float32 values, the ratio of each byte plane alone: the three
mantissa planes bound what any per-value coder can reach.

    python scripts/bench_value_compression.py [--trace T.ftr] [--steps 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np
import zstandard

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import ftr  # noqa: E402

PROGRAM = REPO / "bench" / "programs" / "mlp_long.py"
_WIDTHS = {"float64": 8, "int64": 8, "float32": 4, "int32": 4, "float16": 2, "bfloat16": 2}


def tensor_refs(value: Any) -> Iterator[list]:
    """The tensor references (10-element wire lists) inside a payload."""
    if isinstance(value, list):
        if len(value) == 10 and isinstance(value[0], int) and isinstance(value[1], str):
            yield value
            return
        for item in value:
            yield from tensor_refs(item)


def stored_values(reader: ftr.TraceReader) -> Iterator[tuple]:
    """`(blob, tensor id, role, storage)` for each value, at its first mention."""
    seen: set = set()
    for event in reader.events:
        if event.name == "op":
            refs = [(ref, (event.payload[0], i)) for i, ref in enumerate(tensor_refs(event.payload[4]))]
        else:
            refs = [(ref, (event.name, 0)) for ref in tensor_refs(event.payload)]
        for ref, role in refs:
            digest = ref[9]
            if digest is None or digest in seen:
                continue
            seen.add(digest)
            blob = reader.blob(digest)
            if blob is not None:
                yield blob, ref[0], role + (tuple(ref[2]),), ref[5], ref


# What a view record would hold instead of the bytes: a digest, the base's
# digest, an offset and the strides (msgpack, rounded up).
VIEW_RECORD_BYTES = 96


def c_strides(shape: list) -> list:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return strides[::-1]


class ViewBases:
    """The latest stored value of each storage that is C-contiguous, and the
    test whether a new value is a strided view of it."""

    def __init__(self) -> None:
        self.bases: dict = {}

    def is_view(self, ref: list, data: bytes, width: int) -> bool:
        dtype, shape, strides, offset, storage = ref[1], ref[2], ref[3], ref[4], ref[5]
        if not shape or any(size == 0 for size in shape):
            return False
        if list(strides) == c_strides(shape):
            self.bases[storage] = (dtype, offset, data)
            return False
        base = self.bases.get(storage)
        if base is None or base[0] != dtype or width not in (1, 2, 4, 8):
            return False
        index = np.full((), offset - base[1], dtype=np.int64)
        for size, stride in zip(shape, strides):
            index = index[..., None] + np.arange(size, dtype=np.int64) * stride
        elements = len(base[2]) // width
        if index.min() < 0 or index.max() >= elements:
            return False
        kind = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[width]
        gathered = np.frombuffer(base[2], kind)[index.reshape(-1)]
        return gathered.tobytes() == data


def shuffled(data: bytes, width: int) -> bytes:
    return np.frombuffer(data, np.uint8).reshape(-1, width).T.tobytes()


def measure(path: str) -> dict:
    reader = ftr.TraceReader(path)
    zstd = zstandard.ZstdCompressor(level=3)
    totals = {"raw": 0, "zstd": 0, "shuffle": 0, "reference": 0, "views": 0, "views_only": 0}
    views = ViewBases()
    planes = [0, 0, 0, 0]
    float32_elements = 0
    earlier: dict = {}
    for blob, tensor, role, storage, tensor_ref in stored_values(reader):
        data = blob.data
        width = _WIDTHS.get(blob.dtype, 1)
        if len(data) % width:
            width = 1
        totals["raw"] += len(data)
        totals["zstd"] += len(zstd.compress(data))
        plain = len(zstd.compress(shuffled(data, width)))
        totals["shuffle"] += plain
        best = plain
        for key in (("tensor", tensor), ("role", role), ("storage", storage)):
            ref: Optional[bytes] = earlier.get(key)
            if ref is not None and len(ref) == len(data):
                xor = np.bitwise_xor(np.frombuffer(data, np.uint8), np.frombuffer(ref, np.uint8)).tobytes()
                best = min(best, len(zstd.compress(shuffled(xor, width))))
            earlier[key] = data
        totals["reference"] += best
        if views.is_view(tensor_ref, data, width):
            totals["views"] += VIEW_RECORD_BYTES
            totals["views_only"] += VIEW_RECORD_BYTES
        else:
            totals["views"] += best
            totals["views_only"] += len(data)
        if blob.dtype == "float32" and len(data) % 4 == 0:
            grid = np.frombuffer(data, np.uint8).reshape(-1, 4)
            float32_elements += grid.shape[0]
            for plane in range(4):
                planes[plane] += len(zstd.compress(grid[:, plane].tobytes()))
    return {"totals": totals, "planes": planes, "float32_elements": float32_elements}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trace", help="a trace captured with --values all (default: capture the MLP)")
    parser.add_argument("--steps", type=int, default=20, help="training steps of the MLP to capture")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.trace
        if path is None:
            path = os.path.join(scratch, "mlp.all.ftr")
            env = dict(os.environ, FT_STEPS=str(args.steps))
            capture = [sys.executable, str(REPO / "scripts" / "capture_torch.py"), str(PROGRAM), "-o", path, "--values", "all"]
            subprocess.run(capture, cwd=REPO, env=env, check=True)
        result = measure(path)
    totals = result["totals"]
    raw = totals["raw"]
    if raw == 0:
        print("the trace stores no values (capture it with --values all)", file=sys.stderr)
        return 2
    print(f"values: {raw / 1e6:.1f} MB raw")
    print(f"  zstd                         {totals['zstd'] / raw:.3f}")
    print(f"  byte shuffle + zstd          {totals['shuffle'] / raw:.3f}")
    print(f"  + XOR with an earlier value  {totals['reference'] / raw:.3f}")
    print(f"  + views of earlier values    {totals['views'] / raw:.3f}")
    print(f"views of earlier values alone  {totals['views_only'] / raw:.3f}  (every other value raw)")
    elements = result["float32_elements"]
    if elements:
        ratios = [size / elements for size in result["planes"]]
        mantissa = sum(ratios[:3]) / 4
        print("float32 byte planes alone (low mantissa .. sign and exponent): " + " ".join(f"{r:.3f}" for r in ratios))
        print(f"  the three mantissa planes alone take {mantissa:.3f} of the raw bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
