"""What observing a PyTorch program costs, measured side by side in one run.

For each program, every mode runs in its own fresh interpreter (torch
imported, one thread): one warm-up run of the program under the mode (lazy
imports, first-call caches), then the timed runs; the time is the median.
Rounds interleave the modes so that machine noise hits them alike. Modes:

* `plain`: the program alone;
* `profiler`: under `torch.profiler.profile` (CPU activity);
* `debugmode`: under `torch.utils._debug_mode.DebugMode` (records every
  ATen call as a string; skipped when this torch has none);
* `floor`: under a dispatch mode that only calls each operator again: what
  any capture built on a Python dispatch mode pays before it records
  anything (the capture's `none` minus `floor` is the recorder's own work);
  like the capture's mode, it is called without `torch._disable_dynamo`'s
  wrapper frames;
* `refs`: under a dispatch mode that, besides calling each operator, reads
  what a trace's tensor reference holds (an id by object identity, dtype,
  sizes, strides, offset, storage, `requires_grad`, version) for every
  tensor argument and result and packs one msgpack record a call: the
  least a Python recorder of this format does, before dispatch keys,
  autograd nodes, the schedule, state checks, releases and values;
* `none`, `inputs`, `all`: the FrankenTorch capture (`ft_capture.capture`)
  with that value policy, writing a real trace file with the compiled
  writer when it is built (`cargo build --release -p ft-trace-ffi`; else
  the Python one: the header line says which);
* `none@py`, `all@py` (added by `--python-writer`): the same with the
  pure-Python writer (`FT_CAPTURE_WRITER=python`), to measure what the
  compiled writer saves in the same rounds.

Times are the process's CPU time by default (`--clock cpu`: every mode runs
on one thread, and CPU time does not grow when other work shares the
machine), or wall time (`--clock wall`). Ratios are against `plain`. The capture's split: `none` is the structure
(events, dispatch keys, identities, the schedule); `all - none` is what the
values add (copying, hashing and writing every tensor).

    python scripts/bench_capture.py [PROGRAM ...] [--steps N] [--repeat N] [--rounds N]
        [--modes plain,profiler,...] [--baseline SCRIPTS_DIR] [--profile MODE]

Without programs it measures bench/programs/mlp_long.py (`FT_STEPS=N`, the
per-step time is the run's time divided by N) and the corpus programs
gpt_decoder and cnn_sgd (whole-program times). `--profile MODE` instead runs
the first program once under cProfile in that mode and prints the hottest
functions (cumulative and own time). `--baseline DIR` also measures the
capture of another checkout's `scripts` directory (say, the last release's,
from `git archive`) in the same rounds: modes `none@base`, `all@base`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"
DEFAULT_PROGRAMS = [
    REPO / "bench/programs/mlp_long.py",
    REPO / "traces/programs/gpt_decoder.py",
    REPO / "traces/programs/cnn_sgd.py",
]
MODES = ("plain", "profiler", "debugmode", "floor", "refs", "none", "inputs", "all")
CAPTURE_MODES = ("none", "inputs", "all")

# Runs in a fresh interpreter: argv = program, mode, repeat, out, profile.
WORKER = r"""
import contextlib, json, os, runpy, sys, time
sys.path.insert(0, os.environ["FT_SCRIPTS"])
import torch
torch.set_num_threads(1)
program, mode, repeat, out, profile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]


def run_plain():
    runpy.run_path(program, run_name="__main__")


def run_profiler():
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]):
        runpy.run_path(program, run_name="__main__")


def run_debugmode():
    from torch.utils._debug_mode import DebugMode
    with DebugMode():
        runpy.run_path(program, run_name="__main__")


def run_floor():
    from torch.utils._python_dispatch import TorchDispatchMode

    class Floor(TorchDispatchMode):
        @classmethod
        def _should_skip_dynamo(cls):
            return False

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    with Floor():
        runpy.run_path(program, run_name="__main__")


def run_refs():
    import msgpack
    from torch.utils._python_dispatch import TorchDispatchMode

    pack = msgpack.Packer(use_bin_type=True).pack
    ids = {}
    records = bytearray()

    def ref(t):
        tid = ids.get(id(t))
        if tid is None:
            tid = ids[id(t)] = len(ids)
        return [tid, str(t.dtype), list(t.shape), list(t.stride()), t.storage_offset(),
                t.untyped_storage()._cdata, "cpu", t.requires_grad, t._version, None]

    def wire(v):
        if isinstance(v, torch.Tensor):
            return ref(v)
        if isinstance(v, (list, tuple)):
            return [wire(x) for x in v]
        return v if v is None or isinstance(v, (bool, int, float, str)) else str(v)

    class Refs(TorchDispatchMode):
        @classmethod
        def _should_skip_dynamo(cls):
            return False

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            inputs = [wire(a) for a in args] + [[k, wire(v)] for k, v in kwargs.items()]
            out = func(*args, **kwargs)
            records.extend(pack([func.__name__, inputs, wire(out)]))
            return out

    with Refs():
        runpy.run_path(program, run_name="__main__")


def run_capture():
    try:
        from ft_capture import capture_program
    except ImportError:  # a baseline from before the package existed
        from capture_torch import capture as capture_program
    result = capture_program(program, out, policy=mode, timestamps=True)
    if result.status not in (0, 3):
        raise SystemExit(f"capture failed: {result.status} {result.message}")


if mode == "debugmode":
    try:
        from torch.utils._debug_mode import DebugMode  # noqa: F401
    except ImportError:
        print(json.dumps({"times": None, "cpu_times": None}))
        sys.exit(0)
run = {"plain": run_plain, "profiler": run_profiler, "debugmode": run_debugmode, "floor": run_floor, "refs": run_refs}.get(
    mode, run_capture
)
run()  # warm-up
if profile == "1":
    import cProfile, pstats
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(45)
    print(json.dumps({"times": None, "cpu_times": None}))
    sys.exit(0)
times, cpu_times = [], []
for _ in range(repeat):
    start, start_cpu = time.perf_counter(), time.process_time()
    run()
    cpu_times.append(time.process_time() - start_cpu)
    times.append(time.perf_counter() - start)
size = os.path.getsize(out) if mode in ("none", "inputs", "all") and os.path.exists(out) else None
print(json.dumps({"times": times, "cpu_times": cpu_times, "bytes": size}))
"""


def run_worker(program: Path, mode: str, repeat: int, steps: int, scratch: str, profile: bool = False, baseline: str = "") -> dict:
    scripts = str(SCRIPTS)
    out = os.path.join(scratch, f"{program.stem}.{mode}.ftr")
    env = dict(os.environ, FT_SCRIPTS=scripts, FT_STEPS=str(steps), OMP_NUM_THREADS="1")
    if mode.endswith("@base"):
        mode, env["FT_SCRIPTS"] = mode.removesuffix("@base"), baseline
    elif mode.endswith("@py"):
        mode, env["FT_CAPTURE_WRITER"] = mode.removesuffix("@py"), "python"
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, str(program), mode, str(repeat), out, "1" if profile else "0"],
        cwd=program.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    if profile:
        sys.stdout.write(proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"{program.name} under {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def writer_in_use() -> str:
    """Which writer the capture modes use (`FT_CAPTURE_WRITER`, default auto)."""
    sys.path.insert(0, str(SCRIPTS))
    from ft_capture import native_writer

    choice = native_writer.writer_choice()
    if choice == "python":
        return "Python (FT_CAPTURE_WRITER=python)"
    try:
        native_writer.load()
    except native_writer.NativeWriterUnavailable as e:
        return f"Python ({e})"
    return f"compiled ({native_writer.library_path()})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("programs", nargs="*", type=Path)
    parser.add_argument("--steps", type=int, default=20, help="FT_STEPS for step-parameterised programs (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per worker (default 3)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of all modes (default 2)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="process CPU time (default: robust on a busy machine; one thread) or wall time")
    parser.add_argument("--baseline", help="a scripts directory whose capture is also measured (modes none@base, all@base)")
    parser.add_argument("--python-writer", action="store_true", help="also measure the capture with the pure-Python writer (modes none@py, all@py)")
    parser.add_argument("--profile", choices=MODES, help="cProfile the first program in this mode and stop")
    args = parser.parse_args()
    programs = [p.resolve() for p in args.programs] or DEFAULT_PROGRAMS
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            parser.error(f"unknown mode {m}")
    if "plain" not in modes:
        modes.insert(0, "plain")
    if args.baseline:
        modes += ["none@base", "all@base"]
    if args.python_writer:
        modes += ["none@py", "all@py"]
    with tempfile.TemporaryDirectory(prefix="ft-bench-capture-") as scratch:
        if args.profile:
            run_worker(programs[0], args.profile, 1, args.steps, scratch, profile=True)
            return 0
        print(f"torch threads 1; {args.clock} time, median of {args.rounds} rounds x {args.repeat} runs after a warm-up; ratio = mode / plain")
        print(f"capture writer: {writer_in_use()}")
        for program in programs:
            stepped = "FT_STEPS" in program.read_text()
            times: dict = {m: [] for m in modes}
            sizes: dict = {}
            for r in range(args.rounds):
                order = modes[r % len(modes):] + modes[: r % len(modes)]
                for mode in order:
                    result = run_worker(program, mode, args.repeat, args.steps, scratch, baseline=args.baseline or "")
                    measured = result["cpu_times" if args.clock == "cpu" else "times"]
                    if measured is not None:
                        times[mode].extend(measured)
                    if result.get("bytes") is not None:
                        sizes[mode] = result["bytes"]
            unit = f"per step ({args.steps} steps)" if stepped else "per run"
            div = args.steps if stepped else 1
            median = {m: statistics.median(t) / div for m, t in times.items() if t}
            base = median["plain"]
            print(f"\n{program.relative_to(REPO) if program.is_relative_to(REPO) else program}: time {unit}")
            for m in modes:
                if m not in median:
                    print(f"  {m:10s}  unavailable")
                    continue
                extra = f"  trace {sizes[m] / 1e6:8.2f} MB" if m in sizes else ""
                print(f"  {m:10s} {median[m] * 1e3:9.2f} ms  {median[m] / base:6.2f}x{extra}")
            for suffix in [s for s, wanted in (("@base", args.baseline), ("@py", args.python_writer)) if wanted]:
                if f"none{suffix}" in median and f"all{suffix}" in median:
                    structure, values = median[f"none{suffix}"] - base, median[f"all{suffix}"] - median[f"none{suffix}"]
                    label = "baseline" if suffix == "@base" else "Python writer"
                    print(f"  {label} split: structure {structure / base:.2f}x plain, values {values / base:.2f}x plain")
            if "floor" in median and "none" in median:
                floor, recorder = median["floor"] - base, median["none"] - median["floor"]
                print(
                    f"  structure = dispatch-mode floor {floor / base:.2f}x plain"
                    f" + the recorder's own work {recorder / base:.2f}x plain"
                )
            if "floor" in median and "refs" in median:
                print(f"  tensor references and one record a call, in Python: {(median['refs'] - median['floor']) / base:.2f}x plain above the floor")
            if "none" in median and "all" in median:
                structure = median["none"] - base
                values = median["all"] - median["none"]
                total = median["all"] - base
                if total > 0:
                    print(
                        f"  split of the capture's cost (all values): structure {structure / total:.0%}"
                        f" ({structure / base:.2f}x plain), values {values / total:.0%} ({values / base:.2f}x plain)"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
