"""Backward hooks under the capture (scripts/ft_capture/hooks.py): where hook
events fall, what retain_grad records, what is refused, and that the capture
changes nothing PyTorch computes."""

from __future__ import annotations

import contextlib
import io
import os
import runpy

import torch

import ft_capture
import ftr
from conftest import REPO, program_path


def _events(captures, name: str) -> list:
    return captures.reader(name).events


def _node_ranges(events: list) -> list:
    """`(hook_begin, events inside, hook_end or graph_task_error)` per hook
    run (a hook that raised ends its backward without a hook_end)."""
    out = []
    for i, e in enumerate(events):
        if e.name != "hook_begin":
            continue
        end = next(j for j in range(i + 1, len(events)) if events[j].name in ("hook_end", "graph_task_error"))
        out.append((e, events[i + 1 : end], events[end]))
    return out


def test_hook_ops_run_in_the_node_that_called_the_hook(captures):
    events = _events(captures, "corpus/hooks_tensor")
    ranges = _node_ranges(events)
    assert len(ranges) >= 10
    assert [end.payload for _, _, end in ranges if end.name == "graph_task_error"] == [["ValueError: gradient rejected"]]
    for begin, inside, end in ranges:
        hid, nid, _args = begin.payload
        assert end.name == "graph_task_error" or end.payload[0] == hid
        for e in inside:
            assert e.name in ("op", "node", "tensor"), e.name
            if e.name == "op":
                assert e.payload[5] == ftr.context(ftr.CTX_NODE, nid)


def test_tensor_hooks_come_right_after_the_pop_of_their_node(captures):
    events = _events(captures, "corpus/hooks_tensor")
    for i, e in enumerate(events):
        if e.name == "hook_begin":
            before = events[i - 1]
            assert before.name in ("pop", "hook_end"), before.name
            if before.name == "pop":
                assert before.payload[0] == e.payload[1]


def test_retain_grad_clones_then_adds_and_binds_the_gradient(captures):
    events = _events(captures, "corpus/hooks_retain_grad")
    accumulates = [(i, e) for i, e in enumerate(events) if e.name == "accumulate"]
    nodes = {e.payload[0]: e.payload[1] for e in events if e.name == "node"}
    retained = [(i, e) for i, e in accumulates if nodes[e.payload[0]] != "AccumulateGrad"]
    assert retained
    for i, e in retained:
        op = events[i - 1]
        assert op.name == "op"
        name = op.payload[0]
        assert name in ("aten.clone.default", "aten.add.Tensor")
        # The retained gradient is what the clone or the add produced.
        assert op.payload[4][0][1][0] == e.payload[2][0]
        if name == "aten.clone.default":
            assert dict(op.payload[3])["memory_format"] == [ftr.TAG_MEMORY_FORMAT, "contiguous_format"]
    names = [events[i - 1].payload[0] for i, _ in retained]
    assert "aten.add.Tensor" in names and "aten.clone.default" in names


def test_post_accumulate_grad_hooks_follow_their_accumulate(captures):
    events = _events(captures, "corpus/hooks_module")
    kinds = {}
    for e in events:
        if e.name == "register_hook":
            kinds[e.payload[0]] = e.payload[1]
    assert set(kinds.values()) == {"post_accumulate_grad"}
    ranges = _node_ranges(events)
    assert len(ranges) == 12  # 4 parameters, 3 steps
    for begin, inside, _ in ranges:
        index = events.index(begin)
        assert events[index - 1].name == "accumulate"
        assert events[index - 1].payload[0] == begin.payload[1]
        marks = [e.payload[0] for e in inside if e.name == "mark_begin"]
        assert marks == ["Optimizer.step#SGD.step", "Optimizer.zero_grad#SGD.zero_grad"]


def test_removed_hooks_are_recorded_once(captures):
    events = _events(captures, "corpus/hooks_tensor")
    removed = [e.payload[0] for e in events if e.name == "remove_hook"]
    assert len(removed) == len(set(removed)) == 1
    later = events[[e.name for e in events].index("remove_hook") :]
    assert all(e.payload[0] != removed[0] for e in later if e.name == "hook_begin")


def _output(run) -> str:
    buffer = io.StringIO()
    torch.manual_seed(0)
    with contextlib.redirect_stdout(buffer):
        run()
    return buffer.getvalue()


def test_the_capture_changes_nothing_hooks_compute(tmp_path):
    """Every printed loss, retained gradient and parameter of the hook
    programs is the same with and without the capture (the wrapped hooks
    and the retain_grad marker change no gradient)."""
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        for name in ("hooks_retain_grad", "hooks_tensor", "hooks_module"):
            path = program_path(f"corpus/{name}")
            plain = _output(lambda: runpy.run_path(path, run_name="__main__"))
            out = tmp_path / f"{name}.ftr"
            captured = _output(lambda: ft_capture.capture_program(path, str(out), "all", False))
            assert plain == captured, name
    finally:
        os.chdir(cwd)


def test_retain_grad_leaves_the_programs_hook_order_alone(captures, tmp_path):
    """The capture's node-start marker sits in a hook dict of its own: the
    program's tensors keep only their own hooks, and b's hooks (registered
    first) still run before a's."""
    events = captures.reader("hooks_order").events
    registered = [e.payload for e in events if e.name == "register_hook"]
    ran = [e.payload[0] for e in events if e.name == "hook_begin"]
    b_hook, a_hook = (p[0] for p in registered)
    assert ran == [b_hook, a_hook]
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        path = program_path("hooks_order")
        plain = _output(lambda: runpy.run_path(path, run_name="__main__"))
        captured = _output(lambda: ft_capture.capture_program(path, str(tmp_path / "order.ftr"), "all", False))
    finally:
        os.chdir(cwd)
    assert plain == captured and plain.split()[0] == "1"


def test_gradients_a_hook_kept_are_released_when_the_program_ends(captures):
    # Nothing follows the last backward, yet the gradients the hook still
    # holds are released at the end (a replayer holds them until then, so
    # AccumulateGrad copies rather than steals them); the gradient the other
    # hook only looked at was never reachable.
    events = _events(captures, "hook_kept_to_the_end")
    begins = [e.payload for e in events if e.name == "hook_begin"]
    assert len(begins) == 4
    kept = [args[0][0] for hid, _nid, args in begins if hid == 0]
    looked_at = [args[0][0] for hid, _nid, args in begins if hid == 1]
    last_task_end = max(i for i, e in enumerate(events) if e.name == "graph_task_end")
    tail = events[last_task_end + 1 :]
    assert [e.name for e in tail] == ["release"] * len(kept)
    assert [e.payload[0] for e in tail] == sorted(kept)
    released = {e.payload[0] for e in events if e.name == "release"}
    assert not released & set(looked_at)
