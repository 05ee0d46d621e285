"""Long runs: replay + diff throughput and peak memory at 20, 200 and 1000
training steps, measured in one run.

The workload is bench/programs/mlp_long.py (an MLP 256 wide, batch 64, SGD
with momentum), captured with PyTorch at each length. For each capture it
runs, one after the other:

* `ft-replay --against T` (free running: replay on the runtime + every check),
* `ft-replay --against T --anchor` (only for `--values all` captures),
* `ft-replay T --against T` (diff only: the two streams loaded and checked,
  no runtime),

and prints wall time, events per second and peak resident memory (the
child's maxrss). Exit codes are printed too: a free-running long run may
fail on accumulated drift (exit 3), which is what anchored replay is for.

    python scripts/bench_long_run.py [--steps 20 200 1000] [--values inputs] [--keep DIR]

Needs the venv of scripts/test.sh (torch); builds ft-replay in release mode.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "bench" / "programs" / "mlp_long.py"
BINARY = REPO / "target" / "release" / "ft-replay"


def run_measured(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, float, int]:
    """Runs argv; returns (exit code, wall seconds, peak RSS in bytes)."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return code, wall, usage.ru_maxrss * 1024


def event_count(trace: Path) -> int:
    """Events in a trace, read by a separate interpreter: a child's peak RSS
    counts the memory of the process it was forked from, so this process
    never holds a trace itself."""
    code = "import sys, ftr; print(ftr.TraceReader(sys.argv[1]).event_count)"
    out = subprocess.run(
        [sys.executable, "-c", code, str(trace)],
        cwd=REPO / "scripts",
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[20, 200, 1000])
    parser.add_argument("--values", choices=["inputs", "stats", "all"], default="inputs")
    parser.add_argument("--keep", type=Path, help="keep the captures in this directory")
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "ft-replay"], cwd=REPO, check=True)
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="ft-long-run-"))
    scratch.mkdir(parents=True, exist_ok=True)
    print(f"workload: {PROGRAM.relative_to(REPO)}, capture --values {args.values}")
    header = f"{'steps':>6} {'events':>8} {'MB':>8} {'run':<12} {'exit':>4} {'seconds':>8} {'events/s':>10} {'peak RSS':>9}"
    print(header)
    for steps in args.steps:
        trace = scratch / f"mlp_long_{steps}.{args.values}.torch.ftr"
        if not trace.exists():
            env = dict(os.environ, FT_STEPS=str(steps))
            subprocess.run(
                [sys.executable, str(REPO / "scripts" / "capture_torch.py"), str(PROGRAM), "-o", str(trace), "--values", args.values],
                cwd=REPO,
                env=env,
                check=True,
            )
        events = event_count(trace)
        size = trace.stat().st_size / 1e6
        runs = [("replay+diff", ["--against", str(trace)])]
        if args.values == "all":
            runs.append(("anchored", ["--against", str(trace), "--anchor"]))
        runs.append(("diff only", [str(trace), "--against", str(trace)]))
        for label, extra in runs:
            code, wall, rss = run_measured([str(BINARY), *extra])
            print(f"{steps:>6} {events:>8} {size:>8.1f} {label:<12} {code:>4} {wall:>8.2f} {events / wall:>10.0f} {rss / 2**20:>7.0f}MB")
        if args.keep is None:
            trace.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
