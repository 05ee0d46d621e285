"""Replay time on the FrankenTorch runtime against PyTorch running the same
program, measured side by side in one run.

For each corpus program: PyTorch's time is the median wall time of running
the program body in a warm interpreter (torch imported, one warm-up run, so
lazy imports are not counted); FrankenTorch's is the median of the `replay`
phase that `ft-replay --against GOLDEN --timings` reports — the runtime
re-executing the program's operators and backward passes while recording
its own trace with every value hashed — excluding reading the golden and
diffing. The ratio is FrankenTorch / PyTorch.

    python scripts/bench_replay.py [PROGRAM ...] [--repeat N] [--threads N]

Without programs it measures the GPT and CNN corpus programs. Needs the venv
of scripts/test.sh (torch) and builds ft-replay in release mode first.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PROGRAMS = ["gpt_decoder", "cnn_sgd", "cnn_batchnorm"]
TIMINGS = re.compile(r"timings: load ([\d.]+) ms, replay ([\d.]+) ms, diff ([\d.]+) ms")

TORCH_TIMER = r"""
import json, runpy, sys, time, torch
program, repeat, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if threads > 0:
    torch.set_num_threads(threads)
runpy.run_path(program, run_name="__main__")  # warm-up: lazy imports, caches
times = []
for _ in range(repeat):
    start = time.perf_counter()
    runpy.run_path(program, run_name="__main__")
    times.append((time.perf_counter() - start) * 1e3)
print(json.dumps({"times": times, "threads": torch.get_num_threads()}))
"""


def torch_ms(program: Path, repeat: int, threads: int) -> tuple:
    out = subprocess.run(
        [sys.executable, "-c", TORCH_TIMER, str(program), str(repeat), str(threads)],
        cwd=program.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return statistics.median(result["times"]), result["threads"]


def replay_ms(binary: Path, golden: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        run = subprocess.run(
            [str(binary), "--against", str(golden), "--timings"],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise SystemExit(f"ft-replay --against {golden} exited {run.returncode}:\n{run.stdout}{run.stderr}")
        match = TIMINGS.search(run.stderr)
        if match is None:
            raise SystemExit(f"ft-replay printed no timings for {golden}")
        times.append(float(match.group(2)))
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("programs", nargs="*", default=DEFAULT_PROGRAMS, help="corpus program names")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch.set_num_threads for PyTorch (the runtime is single-threaded); 0 keeps torch's default",
    )
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "ft-replay"], cwd=REPO, check=True)
    binary = REPO / "target" / "release" / "ft-replay"
    print(f"{'program':<20} {'pytorch ms':>11} {'replay ms':>10} {'ratio':>7}")
    for name in args.programs:
        program = REPO / "traces" / "programs" / f"{name}.py"
        golden = REPO / "traces" / f"{name}.torch.ftr"
        theirs, threads = torch_ms(program, args.repeat, args.threads)
        ours = replay_ms(binary, golden, args.repeat)
        print(f"{name:<20} {theirs:>11.2f} {ours:>10.2f} {ours / theirs:>6.2f}x   (torch threads: {threads})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
