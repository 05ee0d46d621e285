"""TorchScript under a capture: scripted functions and modules traced
before the capture run unoptimised, so every operator dispatches through
autograd as in eager mode (no `DifferentiableGraphBackward`); the executor's
setting is restored afterwards; `torch.jit.trace` while capturing, and a
program that switches optimised execution back on, are refused with one
line."""

from __future__ import annotations

import torch

import ft_capture
import ftr
from conftest import events_named, ops, run_cli


@torch.jit.script
def scripted_swish(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(x)


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


def train(step, params, calls: int = 3) -> None:
    opt = torch.optim.SGD(params, lr=0.1)
    x = torch.ones(4, 6)
    for _ in range(calls):
        loss = scripted_swish(step(x)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()


def node_names(path) -> list:
    return [p[1] for p in events_named(ftr.TraceReader(str(path)), "node")]


def test_scripted_and_traced_functions_record_the_eager_run(tmp_path):
    eager, scripted = tmp_path / "eager.ftr", tmp_path / "scripted.ftr"
    m = model()
    with ft_capture.capture(str(eager), zero_timestamps=True):
        train(m, m.parameters())
    m = model()
    traced = torch.jit.trace(m, torch.ones(4, 6))
    with ft_capture.capture(str(scripted), zero_timestamps=True):
        train(traced, m.parameters())
    assert "DifferentiableGraphBackward" not in node_names(scripted)
    eager_ops = [p[0] for p in ops(ftr.TraceReader(str(eager)))]
    scripted_ops = [p[0] for p in ops(ftr.TraceReader(str(scripted)))]
    assert scripted_ops == eager_ops
    assert "aten.sigmoid.default" in eager_ops
    assert torch._C._get_graph_executor_optimize() is True


def test_the_executor_setting_is_restored_after_a_capture(tmp_path):
    torch._C._set_graph_executor_optimize(False)
    try:
        with ft_capture.capture(str(tmp_path / "t.ftr"), zero_timestamps=True):
            assert torch._C._get_graph_executor_optimize() is False
        assert torch._C._get_graph_executor_optimize() is False
    finally:
        torch._C._set_graph_executor_optimize(True)


def test_optimised_torchscript_switched_on_by_the_program_is_refused(tmp_path):
    program = tmp_path / "optimised.py"
    program.write_text(
        "import torch\n"
        "@torch.jit.script\n"
        "def f(x):\n"
        "    return torch.tanh(x * 2.0) * x\n"
        "torch._C._set_graph_executor_optimize(True)\n"
        "w = torch.ones(3, requires_grad=True)\n"
        "for _ in range(3):\n"
        "    f(w).sum().backward()\n"
    )
    result = run_cli(str(program), "-o", str(tmp_path / "o.ftr"))
    assert result.returncode == 4, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "DifferentiableGraphBackward" in last and "optimized_execution" in last, last
    assert not (tmp_path / "o.ftr").exists()


def test_jit_trace_while_capturing_is_refused(tmp_path):
    program = tmp_path / "traced.py"
    program.write_text(
        "import torch\n"
        "m = torch.nn.Linear(3, 2)\n"
        "traced = torch.jit.trace(m, torch.ones(1, 3))\n"
        "traced(torch.ones(2, 3)).sum().backward()\n"
    )
    result = run_cli(str(program), "-o", str(tmp_path / "t.ftr"))
    assert result.returncode == 4, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "unsupported: torch.jit.trace while capturing" in last, last
