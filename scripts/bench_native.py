"""Native MLP training step on ft-runtime vs the same step in PyTorch eager.

Builds `runtime/examples/native_mlp_step.rs` (tracing off), then in
interleaved rounds runs it (a fresh process timing `--steps` steps after a
warm-up) and PyTorch's twin step in this interpreter (one thread, warmed
up), and prints microseconds per step and the ratio (median over rounds).

    python scripts/bench_native.py --rounds 5 --steps 200
"""

import argparse
import statistics
import subprocess
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent


def torch_step_us(steps: int) -> float:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1))
    x, y = torch.randn(12, 6), torch.randn(12, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3, foreach=False)
    loss_fn = nn.MSELoss()

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(10):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) * 1e6 / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "ft-runtime", "--example", "native_mlp_step"],
        cwd=ROOT,
        check=True,
    )
    binary = ROOT / "target" / "release" / "examples" / "native_mlp_step"
    native, eager = [], []
    for _ in range(args.rounds):
        out = subprocess.run([str(binary), "--steps", str(args.steps)], capture_output=True, text=True, check=True)
        native.append(float(out.stdout.strip()))
        eager.append(torch_step_us(args.steps))
    n, e = statistics.median(native), statistics.median(eager)
    print(f"native ft-runtime: {n:8.1f} us/step (rounds: {', '.join(f'{v:.1f}' for v in native)})")
    print(f"PyTorch eager:     {e:8.1f} us/step (rounds: {', '.join(f'{v:.1f}' for v in eager)})")
    print(f"ratio native/eager: {n / e:.2f}x")


if __name__ == "__main__":
    main()
