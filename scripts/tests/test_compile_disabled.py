"""`torch.compile`d code runs eagerly while it is captured: the trace is the
eager program's, Dynamo compiles nothing (it would otherwise trace into the
capture's dispatch mode), and the switch is restored afterwards."""

from __future__ import annotations

import os

import torch

import ft_capture
import ftr
from conftest import ops


def train(model: torch.nn.Module, step) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.ones(4, 8)
    for _ in range(2):
        loss = step(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))


def test_a_compiled_model_is_captured_as_the_eager_one(tmp_path):
    import torch._dynamo.utils

    eager, compiled = tmp_path / "eager.ftr", tmp_path / "compiled.ftr"
    with ft_capture.capture(str(eager), zero_timestamps=True):
        m = model()
        train(m, m)
    torch._dynamo.utils.counters.clear()
    with ft_capture.capture(str(compiled), zero_timestamps=True):
        m = model()
        train(m, torch.compile(m))
    assert torch._dynamo.utils.counters["frames"]["total"] == 0
    names = [[p[0] for p in ops(ftr.TraceReader(str(path)))] for path in (eager, compiled)]
    assert names[0] == names[1] and "aten.addmm.default" in names[0]
    assert os.environ.get("TORCH_COMPILE_DISABLE") is None
    assert torch._dynamo.config.disable is False


def test_fullgraph_compiles_and_module_compile_are_captured_as_the_eager_program(tmp_path):
    # A disabled Dynamo refuses a fullgraph=True call that compiled no frame
    # unless the stance is force_eager; the capture sets it on the first
    # torch.compile call and restores it afterwards.
    from torch._dynamo import eval_frame

    eager, compiled = tmp_path / "eager.ftr", tmp_path / "compiled.ftr"
    with ft_capture.capture(str(eager), zero_timestamps=True):
        m = model()
        train(m, lambda x: m(x) * 2)
    with ft_capture.capture(str(compiled), zero_timestamps=True):
        m = model()
        full = torch.compile(m, backend="eager", fullgraph=True)

        @torch.compile(backend="aot_eager", fullgraph=True)
        def double(t):
            return t * 2

        train(m, lambda x: double(full(x)))
        m.compile(backend="eager", fullgraph=True)
        m(torch.ones(1, 8))
    names = [[p[0] for p in ops(ftr.TraceReader(str(path)))] for path in (eager, compiled)]
    assert names[1][: len(names[0])] == names[0] and "aten.mul.Tensor" in names[0]
    assert eval_frame._stance.stance == "default"
    assert torch.compile.__module__ == "torch"
