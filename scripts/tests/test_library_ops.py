"""Operators outside PyTorch's own namespaces, and operators without tensor
arguments, as a capture records them.

An operator the program defines with `torch.library.custom_op` is not
recorded as one call: its Python kernel runs below autograd with the
capture's mode pushed again, so the calls it makes are the events, between
two `below_autograd` events (format 2.7), and the replay runs them. An
operator registered with `torch.library.Library` and a Python function is
another library's operator to the capture: one call.

`import torchvision` calls `torchvision::_cuda_version()` (no tensor in, an
int out) to check its build: another library's operator that takes and
returns no tensor reads that library's build, not the program's state, so
the capture runs it without an event. An operator that takes a tensor is an
event whatever its namespace. An operator with no tensor argument whose
every dispatch key falls through reaches its table's first slot (dumped as
`Undefined`), and the chain says so.
"""

from __future__ import annotations

import subprocess

import torch

import ft_capture
import ftr
from conftest import ops

_LIB = torch.library.Library("ftlibtest", "DEF")
_LIB.define("build_version() -> int")
_LIB.define("scaled(Tensor x, float s) -> Tensor")
_LIB.impl("build_version", lambda: 1234, "CompositeExplicitAutograd")
_LIB.impl("scaled", lambda x, s: x * s, "CompositeExplicitAutograd")


def test_a_library_query_without_tensors_is_run_without_an_event(tmp_path):
    out = tmp_path / "query.ftr"
    with ft_capture.capture(str(out), zero_timestamps=True):
        version = torch.ops.ftlibtest.build_version()
        y = torch.ones(3) * 2
    assert version == 1234 and y.tolist() == [2.0, 2.0, 2.0]
    names = [p[0] for p in ops(ftr.TraceReader(str(out)))]
    assert names == ["aten.ones.default", "aten.mul.Tensor"]


def test_a_library_operator_on_tensors_is_an_event(tmp_path):
    out = tmp_path / "tensor_op.ftr"
    with ft_capture.capture(str(out), zero_timestamps=True):
        torch.ops.ftlibtest.scaled(torch.ones(2), 3.0)
    names = [p[0] for p in ops(ftr.TraceReader(str(out)))]
    assert "ftlibtest.scaled.default" in names


@torch.library.custom_op("ftlibtest::softsign_scaled", mutates_args=())
def _softsign_scaled(x: torch.Tensor, s: float) -> torch.Tensor:
    return x / (1 + x.abs()) * s


def _kinds(reader: ftr.TraceReader) -> list:
    return [(e.name, e.payload[0] if e.name == "op" else e.payload) for e in reader.events if e.name in ("op", "below_autograd", "grad_mode")]


def test_a_custom_op_kernel_runs_below_autograd_and_its_calls_replay(tmp_path, ft_replay):
    out = tmp_path / "custom_op.ftr"
    with ft_capture.capture(str(out), zero_timestamps=True):
        x = torch.ones(2, requires_grad=True)
        y = _softsign_scaled(x, 2.0)
        y.sum()
    assert y.tolist() == [1.0, 1.0] and y.grad_fn is not None
    reader = ftr.TraceReader(str(out))
    assert reader.version == (2, 7)
    # The operator's generated autograd.Function runs its forward with grad
    # mode off; the kernel's calls are made below autograd, so none of them
    # has an autograd key in its keyset, and no node is made for them.
    # below_autograd is written where it changes, the grad mode (held back)
    # before the next operator.
    assert _kinds(reader) == [
        ("op", "aten.ones.default"),
        ("below_autograd", [True]),
        ("grad_mode", [False, False]),
        ("op", "aten.abs.default"),
        ("op", "aten.add.Tensor"),
        ("op", "aten.div.Tensor"),
        ("op", "aten.mul.Tensor"),
        ("below_autograd", [False]),
        ("grad_mode", [True, False]),
        ("op", "aten.sum.default"),
    ]
    for op, keyset, *_ in ops(reader)[1:5]:
        assert "AutogradCPU" not in keyset, op
    run = subprocess.run([ft_replay, "--against", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    broken = subprocess.run([ft_replay, "--against", str(out), "--inject-fault", "below-autograd-ignored"], capture_output=True, text=True, timeout=600)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "aten.abs.default" in broken.stdout


@torch.library.custom_op("ftlibtest::split_sum", mutates_args=())
def _split_sum(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2)
    return torch.nn.functional.linear(a.reshape(1, -1), b.reshape(1, -1)).flatten()


def test_composites_a_custom_op_kernel_calls_are_seen_whole(tmp_path):
    out = tmp_path / "composites.ftr"
    with ft_capture.capture(str(out), zero_timestamps=True):
        _split_sum(torch.arange(4.0))
    names = [p[0] for p in ops(ftr.TraceReader(str(out)))]
    # Below autograd a composite reaches the mode before it decomposes.
    assert "aten.chunk.default" in names and "aten.linear.default" in names
    assert "aten.split.Tensor" not in names and "aten.addmm.default" not in names


def test_without_a_custom_op_no_below_autograd_event_is_written(captures):
    reader = captures.reader("corpus/tiny_mlp")
    assert not [e for e in reader.events if e.name == "below_autograd"]
    assert ftr.TraceReader(str(captures.get("corpus/tiny_mlp", policy="none")[1])).version == (2, 0)


def test_an_operator_whose_keys_all_fall_through_reaches_the_first_slot(tmp_path):
    out = tmp_path / "nnpack.ftr"
    with ft_capture.capture(str(out), zero_timestamps=True):
        available = torch._nnpack_available()
    calls = ops(ftr.TraceReader(str(out)))
    assert [p[0] for p in calls] == ["aten._nnpack_available.default"]
    op, keyset, chain, args, outputs, _ = calls[0]
    assert chain[-1][0] == "Undefined"
    assert all(handler == "fallthrough" for _, handler in chain[:-1])
    assert outputs == [ftr.v_bool(available)]
