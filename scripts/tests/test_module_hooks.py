"""Module full backward hooks under the capture (scripts/ft_capture/module_hooks.py):
the node post-hooks of BackwardHookFunctionBackward nodes, where their runs
fall, what they receive and return, and that the capture changes nothing
PyTorch computes."""

from __future__ import annotations

import contextlib
import io
import os
import runpy

import torch

import ft_capture
from conftest import REPO, program_path


def _capture(tmp_path, name: str):
    out = tmp_path / f"{name}.ftr"
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        result = ft_capture.capture_program(program_path(name), str(out), "all", False)
    finally:
        os.chdir(cwd)
    return result, out


def _runs(events: list) -> list:
    """`(hook_begin, ops inside, hook_result)` per node-hook run."""
    out = []
    for i, e in enumerate(events):
        if e.name != "hook_begin":
            continue
        j = next(j for j in range(i + 1, len(events)) if events[j].name in ("hook_result", "hook_end"))
        out.append((e, [x for x in events[i + 1 : j] if x.name == "op"], events[j]))
    return out


def test_each_hooked_node_gets_one_node_hook_after_its_node_event(captures):
    events = captures.reader("module_full_hooks").events
    names = [e.name for e in events]
    nodes = {e.payload[0]: e.payload[1] for e in events if e.name == "node"}
    registered = [(i, e.payload) for i, e in enumerate(events) if e.name == "register_node_hook"]
    # the input side, then the output side
    assert len(registered) == 2
    for i, (hook, kind, node) in registered:
        assert kind == "post" and nodes[node] == "BackwardHookFunctionBackward"
        assert names[i - 1] == "node" and events[i - 1].payload[0] == node
    assert [p[0] for _, p in registered] == [0, 1]


def test_node_result_comes_before_the_hook_and_the_returned_tuple_is_recorded(captures):
    events = captures.reader("module_full_hooks").events
    runs = _runs(events)
    assert [b.payload[0] for b, _, _ in runs] == [1, 0]  # output node first
    for begin, ops, end in runs:
        before = events[events.index(begin) - 1]
        assert before.name == "node_result" and before.payload[0] == begin.payload[1]
        # results (one per next edge) then received gradients
        assert len(begin.payload[2]) == 2
        assert end.name == "hook_result" and len(end.payload[1]) == 1
        assert [op.payload[0] for op in ops] == ["aten.mul.Tensor" if begin.payload[0] == 1 else "aten.add.Tensor"]
        returned = end.payload[1][0][0]
        assert returned == ops[0].payload[4][0][1][0]


def test_deprecated_hooks_are_node_hooks_of_the_output_node(captures):
    """`register_backward_hook` and the global `register_module_backward_hook`:
    one `register_node_hook` per hook on the node that made the module's
    output (global hooks first, the container's too), right after the
    module's forward; each run bracketed like a full hook's."""
    events = captures.reader("module_backward_hook").events
    nodes = {e.payload[0]: e.payload[1] for e in events if e.name == "node"}
    on = [nodes[e.payload[2]] for e in events if e.name == "register_node_hook"]
    first_forward = on[: on.index("AddmmBackward0", 1) + 3]
    assert first_forward == ["AddmmBackward0", "TanhBackward0", "TanhBackward0", "AddmmBackward0", "AddmmBackward0", "AddmmBackward0"]
    runs = _runs(events)
    tanh = [(b, ops, end) for b, ops, end in runs if nodes[b.payload[1]] == "TanhBackward0" and end.payload[1] is not None]
    assert tanh and all([op.payload[0] for op in ops] == ["aten.mul.Tensor"] for _, ops, _ in tanh)
    assert "BackwardHookFunctionBackward" not in nodes.values()


def _output(run) -> str:
    buffer = io.StringIO()
    torch.manual_seed(0)
    with contextlib.redirect_stdout(buffer):
        run()
    return buffer.getvalue()


def test_the_capture_changes_nothing_module_hooks_compute(tmp_path):
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        for name in ("corpus/hooks_module_backward", "module_full_hooks", "module_backward_hook"):
            path = program_path(name)
            # PyTorch's global choice between full and deprecated module
            # hooks outlives a program's removal of its hooks.
            torch.nn.modules.module._global_is_full_backward_hook = None
            plain = _output(lambda: runpy.run_path(path, run_name="__main__"))
            out = tmp_path / f"{name.replace('/', '_')}.ftr"
            captured = _output(lambda: ft_capture.capture_program(path, str(out), "all", False))
            assert plain == captured, name
    finally:
        os.chdir(cwd)


def test_a_module_hook_that_raises_ends_the_backward_without_hook_result(captures):
    """The corpus's `reject_large`: its `hook_begin` and ops, then the
    backward's `graph_task_error` with the hook's exception; no `hook_result`."""
    events = captures.reader("corpus/hooks_module_backward").events
    i = next(i for i, e in enumerate(events) if e.name == "graph_task_error")
    assert events[i].payload[0] == "ValueError: gradient rejected"
    begin = max(j for j in range(i) if events[j].name == "hook_begin")
    between = [e.name for e in events[begin + 1 : i]]
    assert "hook_result" not in between and set(between) == {"op"}
