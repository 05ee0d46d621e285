"""ft-inspect on a very large trace: first frame, key → next frame, memory.

Builds the `big_trace` and `bench_inspect` examples of `inspector/`, writes a
trace of `--events` events (a three-layer MLP's training step, repeated, value
policy none) unless it exists, then runs the benchmark: it opens the trace as
`ft-inspect` does (more than a million events: read lazily), draws frames into
a ratatui TestBackend and prints the time to the first frame, per key the
median and worst time from key to the next frame (while the background index
is built, and after), and the peak resident memory. Needs only cargo.

    python3 scripts/bench_inspect.py                      # 10M events
    python3 scripts/bench_inspect.py --events 2000000 --size 80x24
"""

import argparse
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--trace", type=Path, help="trace to write or reuse (default under /tmp)")
    parser.add_argument("--size", default="120x40", help="terminal WIDTHxHEIGHT")
    args = parser.parse_args()
    trace = args.trace or Path(f"/tmp/ft-inspect-bench/mlp_{args.events}.ftr")
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "ft-inspect", "--example", "big_trace", "--example", "bench_inspect"],
        cwd=ROOT,
        check=True,
    )
    examples = ROOT / "target" / "release" / "examples"
    if not trace.exists():
        trace.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([examples / "big_trace", trace, str(args.events)], check=True)
    print(f"trace: {trace} ({trace.stat().st_size / 1e6:.1f} MB)")
    return subprocess.run([examples / "bench_inspect", trace, args.size]).returncode


if __name__ == "__main__":
    raise SystemExit(main())
