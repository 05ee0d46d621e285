"""Operators outside PyTorch's own namespaces, and operators without tensor
arguments, as a capture records them.

An operator the program defines with `torch.library.custom_op` is such an
operator: recorded as one call (its Python kernel unobserved), which the
replay reports unsupported by name.

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


def test_a_custom_op_is_one_call_the_replay_names_unsupported(tmp_path, ft_replay):
    out = tmp_path / "custom_op.ftr"
    with ft_capture.capture(str(out), zero_timestamps=True):
        y = _softsign_scaled(torch.ones(2), 2.0)
    assert y.tolist() == [1.0, 1.0]
    names = [p[0] for p in ops(ftr.TraceReader(str(out)))]
    # Its kernel's `abs`, `add`, `div` and `mul` are not seen.
    assert names == ["aten.ones.default", "ftlibtest.softsign_scaled.default"]
    run = subprocess.run([ft_replay, "--against", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 5, run.stdout + run.stderr
    assert "ftlibtest.softsign_scaled.default" in run.stdout + run.stderr


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
