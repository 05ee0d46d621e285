"""What writing a trace costs the capture, per event, with each writer.

Reads a trace's events and values once, then writes them again through the
interface the capture uses (`append`, `put_blob`, `put_stats`), with the
Python writer (`ftr.FileTraceWriter`) and the compiled one
(`ft_capture.native_writer`, crate `tracer/ffi`; build it with `cargo build
--release -p ft-trace-ffi`), alternating the two for `--rounds` rounds in one
process; prints each one's best and median CPU time per event and checks
that both wrote the same bytes.

    python scripts/bench_writer.py [TRACE] [--rounds N]

Without a trace it writes the 20-step MLP of `bench/programs/mlp_long.py`,
captured first with `--values none` (a temporary file).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import ftr  # noqa: E402
from ft_capture import native_writer  # noqa: E402


def items(path: str) -> tuple:
    """`(meta, [("value", (dtype, shape, data)) | ("stats", record) | ("event", (layer, kind, payload, ts))])` in file order."""
    reader = ftr.TraceReader(path)
    out: list = []
    for what, item in reader.file_order():
        if what == "value":
            out.append(("value", (item.dtype, item.shape, item.data)))
        elif what == "stats":
            out.append(("stats", item))
        else:
            out.append(("event", (item.layer, item.kind, item.payload, item.ts)))
    return reader.meta, out


def write(factory, out: str, meta, work: list) -> float:
    """CPU seconds to hand `work` to a fresh writer and finish it."""
    file_writer = factory(out, meta)
    writer = file_writer.writer
    start = time.process_time()
    for what, item in work:
        if what == "event":
            writer.append(*item)
        elif what == "value":
            writer.put_blob(*item)
        else:
            writer.put_stats(item)
    file_writer.finish()
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace", nargs="?", help="a trace to write again (default: the MLP, captured first)")
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds of both writers (default 9)")
    args = parser.parse_args()
    native_writer.load()  # says why when the compiled writer is not built
    with tempfile.TemporaryDirectory(prefix="ft-bench-writer-") as scratch:
        trace = args.trace
        if trace is None:
            trace = os.path.join(scratch, "mlp_long.ftr")
            capture = [sys.executable, str(REPO / "scripts/capture_torch.py"), str(REPO / "bench/programs/mlp_long.py")]
            subprocess.run([*capture, "-o", trace, "--values", "none", "--zero-timestamps", "--writer", "python"], check=True)
        meta, work = items(trace)
        events = sum(1 for what, _ in work if what == "event")
        gc.freeze()  # the items are not garbage; keep the collector off them
        writers = {"python": ftr.FileTraceWriter, "compiled": native_writer.NativeFileTraceWriter}
        times: dict = {name: [] for name in writers}
        for _ in range(args.rounds):
            for name, factory in writers.items():
                times[name].append(write(factory, os.path.join(scratch, f"{name}.ftr"), meta, work))
        same = Path(scratch, "python.ftr").read_bytes() == Path(scratch, "compiled.ftr").read_bytes()
        print(f"{trace}: {events} events, {len(work) - events} values; CPU time per event, {args.rounds} alternating rounds")
        for name, measured in times.items():
            print(f"  {name:8s}  best {min(measured) / events * 1e6:6.2f} µs   median {statistics.median(measured) / events * 1e6:6.2f} µs")
        ratio = statistics.median(times["compiled"]) / statistics.median(times["python"])
        print(f"  compiled / python (medians): {ratio:.2f}; same bytes: {'yes' if same else 'NO'}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
