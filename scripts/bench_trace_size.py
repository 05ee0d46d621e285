"""How many bytes a trace takes, next to the Chrome JSON of PyTorch's profiler.

For each program (default: bench/programs/mlp_long.py at FT_STEPS=20, the
corpus programs gpt_decoder and cnn_sgd) this captures the program with the
value policies `none` and `all`, and exports the Chrome trace of the same
program run under `torch.profiler.profile` (CPU activity). It prints:

* structure: the trace's bytes per event with `--values none` (the whole
  file: header, chunks, checksums, index), what its EVENTS payloads take
  before compression (format 1.x stored them so), and the profiler's JSON
  bytes per event of ours (and per JSON event);
* values: with `--values all`, the bytes of the tensor values (every
  stored value's elements, a VIEW's gathered ones included), how many of
  them BLOB chunks hold (the rest are VIEWs of those: format 2.5), and the
  whole file next to them.

    python scripts/bench_trace_size.py [PROGRAM ...] [--steps N]
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"
sys.path.insert(0, str(SCRIPTS))

import ftr  # noqa: E402

DEFAULT_PROGRAMS = [
    REPO / "bench/programs/mlp_long.py",
    REPO / "traces/programs/gpt_decoder.py",
    REPO / "traces/programs/cnn_sgd.py",
]

PROFILE = r"""
import runpy, sys, torch
torch.set_num_threads(1)
with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
    runpy.run_path(sys.argv[1], run_name="__main__")
prof.export_chrome_trace(sys.argv[2])
"""


def capture(program: Path, out: str, policy: str, env: dict) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPTS / "capture_torch.py"), str(program), "-o", out, "--values", policy, "--zero-timestamps"],
        cwd=program.parent,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def chunk_sizes(path: str) -> dict:
    """Stored and decoded bytes per chunk kind, and the event count."""
    data = Path(path).read_bytes()
    sizes = {"events_stored": 0, "events_raw": 0, "blob_data": 0, "value_data": 0, "views": 0, "events": 0}
    offset = ftr.HEADER_LEN
    end = len(data) - ftr.TRAILER_LEN
    while offset < end:
        length, kind, encoding = struct.unpack_from("<IBB", data, offset)
        stored = data[offset + ftr.CHUNK_HEADER_LEN : offset + ftr.CHUNK_HEADER_LEN + length]
        payload = ftr.decode_stored(encoding, stored)
        if kind == ftr.CHUNK_EVENTS:
            sizes["events_stored"] += length
            sizes["events_raw"] += len(payload)
            sizes["events"] += len(ftr.unpackb(payload))
        elif kind == ftr.CHUNK_BLOB:
            sizes["blob_data"] += len(ftr.unpackb(payload)[3])
            sizes["value_data"] += len(ftr.unpackb(payload)[3])
        elif kind == ftr.CHUNK_VIEW:
            _, dtype, shape, _, _, _ = ftr.unpackb(payload)
            numel = 1
            for d in shape:
                numel *= d
            sizes["value_data"] += numel * ftr._ELEMENT_SIZES[dtype]
            sizes["views"] += 1
        offset += ftr.CHUNK_HEADER_LEN + length + ftr.CHUNK_HASH_LEN
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("programs", nargs="*", type=Path)
    parser.add_argument("--steps", type=int, default=20, help="FT_STEPS for stepped programs (default 20)")
    args = parser.parse_args()
    programs = [p.resolve() for p in args.programs] or DEFAULT_PROGRAMS
    env = dict(os.environ, FT_STEPS=str(args.steps), OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as scratch:
        for program in programs:
            none, everything, chrome = (os.path.join(scratch, f"{program.stem}.{m}") for m in ("none.ftr", "all.ftr", "json"))
            capture(program, none, "none", env)
            capture(program, everything, "all", env)
            subprocess.run(
                [sys.executable, "-c", PROFILE, str(program), chrome],
                cwd=program.parent,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            structure = chunk_sizes(none)
            values = chunk_sizes(everything)
            events = structure["events"]
            file_none = os.path.getsize(none)
            file_all = os.path.getsize(everything)
            json_bytes = os.path.getsize(chrome)
            with open(chrome, encoding="utf-8") as f:
                json_events = len(json.load(f).get("traceEvents", []))
            print(f"{program.relative_to(REPO) if program.is_relative_to(REPO) else program}: {events} events")
            print(
                f"  structure (--values none): {file_none / events:6.1f} B/event"
                f"  (EVENTS chunks {structure['events_stored'] / events:.1f} stored,"
                f" {structure['events_raw'] / events:.1f} before compression)"
            )
            print(
                f"  profiler Chrome JSON:      {json_bytes / events:6.1f} B per event of ours"
                f"  ({json_events} JSON events, {json_bytes / max(json_events, 1):.1f} B each);"
                f" trace/JSON = {file_none / json_bytes:.3f}"
            )
            data = max(values["value_data"], 1)
            print(
                f"  values (--values all):     {values['value_data'] / 1e6:8.2f} MB of tensor data,"
                f" file {file_all / 1e6:8.2f} MB ({file_all / data:.3f}x the data;"
                f" {values['views']} values stored as VIEWs, BLOBs hold {values['blob_data'] / data:.3f} of the data)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
