"""Runtime speed against PyTorch eager: one untraced training step of the
long-run workload (bench/programs/mlp_long.py: MLP 256 wide, batch 64,
cross-entropy, SGD momentum 0.9, foreach=False), one thread each, measured
side by side in one run.

PyTorch's time per step is the best of several batches of steps with
`torch.set_num_threads(1)` (after warm-up steps, so the momentum buffers
exist as in the Rust bench). FrankenTorch's is criterion's mean of
`mlp_step/step` from `runtime/benches/mlp_step.rs`, the same operator
sequence driven through `Runtime::call` with no event sink. The two are
measured in alternating rounds; each side reports its best round (the minimum
is robust to other load on the machine). The ratio is FrankenTorch / PyTorch.

    python scripts/bench_runtime.py [--rounds N] [--kernels]

`--kernels` also prints the bench's per-kernel times (the step's matrix
products, relu, threshold_backward, sum over the batch, add).
Needs the venv of scripts/test.sh (torch); builds the bench first.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CRITERION = REPO / "target" / "criterion"

TORCH_TIMER = r"""
import json, sys, time, torch
from torch import nn
torch.set_num_threads(1)
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
x = torch.randn(64, 256)
y = torch.randint(0, 10, (64,))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, foreach=False)
loss_fn = nn.CrossEntropyLoss()
def step():
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()
for _ in range(50):
    step()
best = float("inf")
for _ in range(int(sys.argv[1])):
    start = time.perf_counter()
    for _ in range(200):
        step()
    best = min(best, (time.perf_counter() - start) / 200)
print(json.dumps({"ms": best * 1e3, "threads": torch.get_num_threads()}))
"""


def torch_ms(batches: int) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TORCH_TIMER, str(batches)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["threads"] != 1:
        raise SystemExit(f"PyTorch ran on {result['threads']} threads")
    return result["ms"]


def build_bench() -> Path:
    out = subprocess.run(
        ["cargo", "bench", "-p", "ft-runtime", "--bench", "mlp_step", "--no-run", "--message-format=json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in out.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "mlp_step":
            if message.get("executable"):
                return Path(message["executable"])
    raise SystemExit("cargo built no mlp_step bench executable")


def bench_ms(binary: Path, filter_: str, seconds: float) -> dict:
    """Runs the criterion bench on `filter_`; criterion's mean per benchmark, ms."""
    subprocess.run(
        [
            str(binary),
            "--bench",
            "--noplot",
            "--warm-up-time",
            "1",
            "--measurement-time",
            str(seconds),
            filter_,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    results = {}
    for estimates in sorted(CRITERION.glob("mlp_step*/**/new/estimates.json")):
        name = "/".join(estimates.relative_to(CRITERION).parts[:-2]).replace("mlp_step_", "")
        results[name] = json.loads(estimates.read_text())["mean"]["point_estimate"] / 1e6
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--kernels", action="store_true", help="also time the step's kernels")
    args = parser.parse_args()

    binary = build_bench()
    torch_best = float("inf")
    ours_best = float("inf")
    for round_ in range(args.rounds):
        t = torch_ms(batches=5)
        ours = bench_ms(binary, "mlp_step/step", seconds=3)
        o = next(v for k, v in ours.items() if k.endswith("step"))
        print(f"round {round_ + 1}: pytorch {t:.3f} ms/step, ft-runtime {o:.3f} ms/step, ratio {o / t:.2f}x")
        torch_best = min(torch_best, t)
        ours_best = min(ours_best, o)
    print(f"pytorch (1 thread)    {torch_best:8.3f} ms/step")
    print(f"ft-runtime (untraced) {ours_best:8.3f} ms/step")
    print(f"ratio                 {ours_best / torch_best:8.2f}x")
    if args.kernels:
        for name, ms in bench_ms(binary, "mlp_step/kernel", seconds=1).items():
            if "kernel" in name:
                print(f"  {name:<40} {ms * 1e3:9.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
