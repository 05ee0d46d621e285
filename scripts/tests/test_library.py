"""The capture as a library: `with ft_capture.capture("out.ftr"): ...` records
a block of the running process as the command line records a program."""

from __future__ import annotations

import textwrap

import pytest
import torch

import ft_capture
import ftr

# A training step that makes every tensor it uses, so a program running it
# and a block running it name the same tensors and nodes.
BODY = textwrap.dedent(
    """
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, foreach=False)
    x = torch.randn(3, 4)
    for _ in range(2):
        opt.zero_grad()
        loss = net(x).pow(2).mean()
        loss.backward()
        opt.step()
    """
)


def events(path) -> list:
    return [(e.layer, e.kind, e.payload) for e in ftr.TraceReader(str(path)).events]


def test_a_block_records_what_the_same_program_records(tmp_path):
    program = tmp_path / "step.py"
    program.write_text(BODY)
    from_program = tmp_path / "program.ftr"
    result = ft_capture.capture_program(str(program), str(from_program), "all", False)
    assert result.status == ft_capture.EXIT_OK, result.message
    from_block = tmp_path / "block.ftr"
    with ft_capture.capture(str(from_block), values="all", zero_timestamps=True, program=str(program)) as cap:
        exec(compile(BODY, str(program), "exec"), {"__name__": "__main__"})
    assert cap.result is not None and cap.result.status == ft_capture.EXIT_OK
    recorded = events(from_block)
    assert any(name == "backward" for name in (ftr.KIND_NAMES[(layer, kind)] for layer, kind, _ in recorded))
    assert recorded == events(from_program)
    # Same events, same values, same META: the same bytes.
    assert from_block.read_bytes() == from_program.read_bytes()


def test_tensors_made_before_the_block_are_introduced_with_their_values(tmp_path):
    torch.manual_seed(1)
    w = torch.randn(2, 2, requires_grad=True)
    out = tmp_path / "t.ftr"
    with ft_capture.capture(str(out), zero_timestamps=True):
        (w * 3).sum().backward()
    reader = ftr.TraceReader(str(out))
    introduced = [e.payload for e in reader.events if e.name == "tensor"]
    assert introduced and introduced[0][0][0] == 0  # the first id, given to w
    digest = introduced[0][0][9]
    assert reader.blob(digest).data == w.detach().numpy().tobytes()
    w.grad = None


def test_a_block_that_raises_finishes_the_trace_with_program_error(tmp_path):
    out = tmp_path / "t.ftr"
    with pytest.raises(ValueError, match="stop here"):
        with ft_capture.capture(str(out), values="none", zero_timestamps=True) as cap:
            torch.ones(2).add(1)
            raise ValueError("stop here")
    assert cap.result is not None and cap.result.status == ft_capture.EXIT_PROGRAM_ERROR
    last = ftr.TraceReader(str(out)).events[-1]
    assert last.name == "program_error" and last.payload == ["ValueError: stop here"]


def test_a_capture_failure_leaves_a_partial_trace_and_raises(tmp_path):
    out = tmp_path / "t.ftr"
    t = torch.ones(3)
    with pytest.raises(ft_capture.CaptureError, match="share_memory_"):
        with ft_capture.capture(str(out), zero_timestamps=True) as cap:
            t.share_memory_()
    assert cap.result is not None and cap.result.status == ft_capture.EXIT_INCONSISTENT
    assert not out.exists() and (tmp_path / "t.ftr.partial").exists()
    # Everything the capture wrapped is restored.
    assert torch.Tensor.share_memory_.__name__ == "share_memory_"
    assert not hasattr(torch.Tensor.share_memory_, "__wrapped__")


def test_an_unknown_value_policy_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="values must be one of"):
        ft_capture.capture(str(tmp_path / "t.ftr"), values="some")
    assert list(tmp_path.iterdir()) == []
