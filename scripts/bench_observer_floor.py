"""What observing every operator call costs, by the observer's kind,
measured side by side in one process: the floor under any capture.

* `plain`: the program alone;
* `python mode`: a `TorchDispatchMode` that only calls each operator again
  (what the capture's Python recorder pays before it records anything);
* `compiled`: the C++ observer of `bench/observer_floor/observer.cpp`, a
  boxed fallback at the dispatch key just below Python that writes each
  call's operator and tensor metadata into a buffer (what a compiled
  recorder would pay before identities, keys and the writer).

Both observers see the calls that passed autograd and ADInplaceOrView;
the calls per step of each are printed: on the MLP they differ only by the
`detach` calls a Python dispatch mode itself causes (mode-induced aliases,
which the capture writes no event for; docs/CAPTURE.md).
Times are process CPU time (one thread), the median of interleaved
rounds. The C++ observer is compiled on first use with
`torch.utils.cpp_extension` (needs `ninja`: `pip install ninja`; about
25 s here).

    python scripts/bench_observer_floor.py [PROGRAM] [--steps N] [--rounds N]
    python scripts/bench_observer_floor.py --calls PROGRAM ...

`--calls` instead runs each program once under each observer and prints
the operators whose call counts differ (`python mode` / `compiled`): a
Python dispatch mode changes what PyTorch runs (autograd accumulates
gradients out of place and takes its composite-compliant branches when a
mode is active), which a compiled observer does not.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import os
import runpy
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "bench/observer_floor/observer.cpp"


def build_observer() -> Any:
    """The compiled observer module (built into torch's extension cache)."""
    from torch.utils import cpp_extension

    try:
        import ninja  # noqa: F401
    except ImportError:
        raise SystemExit("bench_observer_floor.py: the C++ observer needs ninja: pip install ninja") from None
    return cpp_extension.load("ft_observer_floor", [str(SOURCE)], extra_cflags=["-O2"], verbose=False)


def compare_calls(observer: Any, programs: list) -> None:
    """Prints, per program, the operators each observer saw a different
    number of times."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    seen: collections.Counter = collections.Counter()

    class Counting(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            schema = func._schema
            seen[schema.name + (f".{schema.overload_name}" if schema.overload_name else "")] += 1
            return func(*args, **(kwargs or {}))

    for program in programs:
        seen.clear()
        failure = None
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                torch.manual_seed(0)
                with Counting():
                    runpy.run_path(str(program), run_name="__main__")
                torch.manual_seed(0)
                observer.count_operators(True)
                observer.enable(True)
                try:
                    runpy.run_path(str(program), run_name="__main__")
                finally:
                    observer.enable(False)
        except Exception as e:  # the program's own error ends its comparison
            failure = f"{type(e).__name__}: {e}".splitlines()[0]
        compiled = collections.Counter(observer.operator_counts())
        observer.count_operators(False)
        differing = {op: (seen[op], compiled[op]) for op in sorted(set(seen) | set(compiled)) if seen[op] != compiled[op]}
        verdict = "raised " + failure if failure else ("same calls" if not differing else f"{len(differing)} operators differ")
        print(f"{Path(program).name}: python mode {sum(seen.values())} calls, compiled {sum(compiled.values())}; {verdict}")
        for op, (a, b) in differing.items():
            print(f"  {op}: {a} / {b}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program", nargs="?", type=Path, default=REPO / "bench/programs/mlp_long.py")
    parser.add_argument("--steps", type=int, default=200, help="FT_STEPS of the program (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--calls", nargs="+", type=Path, metavar="PROGRAM", help="compare the calls each observer sees instead")
    args = parser.parse_args()
    if args.calls:
        compare_calls(build_observer(), args.calls)
        return

    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    torch.set_num_threads(1)
    os.environ["FT_STEPS"] = str(args.steps)
    observer = build_observer()
    python_calls = [0]

    class Floor(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            python_calls[0] += 1
            return func(*args, **(kwargs or {}))

    def program() -> None:
        runpy.run_path(str(args.program), run_name="__main__")

    def under_mode() -> None:
        with Floor():
            program()

    def compiled() -> None:
        observer.enable(True)
        try:
            program()
        finally:
            observer.enable(False)

    modes: dict[str, Callable[[], None]] = {"plain": program, "python mode": under_mode, "compiled": compiled}
    for run in modes.values():
        run()  # warm-up
    per_step = {"python mode": python_calls[0] / args.steps, "compiled": observer.observed_calls() / args.steps}
    times: dict[str, list] = {name: [] for name in modes}
    for _ in range(args.rounds):
        for name, run in modes.items():
            start = time.process_time()
            run()
            times[name].append(time.process_time() - start)
    plain = statistics.median(times["plain"])
    print(f"{args.program.name}: CPU time per step ({args.steps} steps, median of {args.rounds} rounds, one thread)")
    for name in modes:
        t = statistics.median(times[name])
        calls = f"  {per_step[name]:.1f} calls/step" if name in per_step else ""
        print(f"  {name:<12} {t / args.steps * 1e3:7.3f} ms  {t / plain:5.2f}x{calls}")


if __name__ == "__main__":
    sys.exit(main())
