"""`torch.func` transforms under the capture (docs/CAPTURE.md §6.8): the
transforms' own autograd is run through (its operators are top-level ops,
its sequence numbers left out), forward-mode transforms and wrappers
outside an operator are refused with one line naming them."""

from __future__ import annotations

import re

import pytest

import ft_capture
import ftr
from conftest import events_named, ops, program_path, run_cli


def test_the_grad_transform_is_top_level_ops_and_no_api_event(captures):
    reader = captures.reader("func_grad_then_backward")
    names = [e.name for e in reader.events]
    # Only the ordinary backward() is an api event and a GraphTask.
    assert names.count("backward") == 1 and names.count("grad") == 0
    assert names.count("graph_task_begin") == 1
    first_backward = names.index("backward")
    before = [e.payload for e in reader.events[:first_backward] if e.name == "op"]
    assert all(p[5] == ftr.context(ftr.CTX_TOP_LEVEL) for p in before)
    # The transform's backward formulas ran: the root's ones_like and the
    # gradient of tanh, twice (grad, then grad_and_value).
    op_names = [p[0] for p in before]
    assert op_names.count("aten.ones_like.default") == 2
    assert op_names.count("aten.tanh_backward.default") == 2
    # No node before the ordinary forward, which starts with the clone.
    clone = next(i for i, e in enumerate(reader.events) if e.name == "op" and e.payload[0] == "aten.clone.default")
    assert "node" not in names[:clone]


def test_nodes_after_a_transform_are_numbered_as_without_it(captures):
    reader = captures.reader("func_grad_then_backward")
    seqs = sorted(p[2] for p in events_named(reader, "node") if p[1] != "AccumulateGrad")
    # The ordinary forward tanh(x @ w.t()).pow(2).sum() of a leaf: TBackward0,
    # MmBackward0, TanhBackward0, PowBackward0, SumBackward0 (the transforms'
    # wrapper-level nodes took the numbers before them).
    assert seqs == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "name, transform",
    [
        ("func_jvp", "torch.func.jvp (forward-mode AD)"),
        ("func_jacfwd", "torch.func.jacfwd (forward-mode AD; torch.func.hessian is jacfwd of jacrev)"),
        ("func_hessian", "torch.func.jacfwd (forward-mode AD; torch.func.hessian is jacfwd of jacrev)"),
        ("func_linearize", "torch.func.linearize (forward-mode AD)"),
        ("forward_ad_dual_level", "torch.autograd.forward_ad (forward-mode AD)"),
    ],
)
def test_forward_mode_transforms_are_refused_by_name(captures, name, transform):
    result, out = captures.get(name)
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert result.message.startswith(f"unsupported: {transform}: its tangents are dual tensors"), result.message
    assert not out.exists()


def test_a_wrapper_outside_an_operator_is_refused(captures):
    result, _ = captures.get("func_hook_inside")
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert result.message.startswith("unsupported: a torch.func transform's TensorWrapper (level 1) reached the capture outside an operator")


def test_the_engine_under_vmap_is_refused(captures):
    result, _ = captures.get("func_grad_under_vmap")
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert result.message.startswith("unsupported: torch.autograd.grad under torch.func.vmap (a BatchedTensor at level 1")


def test_a_refused_transform_prints_one_line(tmp_path):
    run = run_cli(program_path("func_jacfwd"), "-o", str(tmp_path / "j.ftr"))
    assert run.returncode == 4
    assert re.fullmatch(r"capture_torch\.py: error: unsupported: torch\.func\.jacfwd [^\n]+\n", run.stderr)


def test_vmap_of_grad_records_the_batching_rules_operators(captures):
    names = [p[0] for p in ops(captures.reader("corpus/func_per_sample_grads"))]
    assert "aten.bmm.default" in names and "aten.squeeze_.dims" in names


def test_the_engine_under_the_legacy_vmap_is_top_level_ops(captures):
    # is_grads_batched=True: no api event, no GraphTask; the batched
    # backward's operators (tanh_backward's per-row fallback loop, stack) are
    # top-level ops, derived as plain calls (no VmapMode in their keysets),
    # run with grad mode off as the engine ran them.
    reader = captures.reader("grad_batched_forward")
    names = [e.name for e in reader.events]
    assert not {"grad", "backward", "graph_task_begin", "grad_result"} & set(names)
    op_events = events_named(reader, "op")
    assert all(p[5] == ftr.context(ftr.CTX_TOP_LEVEL) for p in op_events)
    op_names = [p[0] for p in op_events]
    assert op_names.count("aten.tanh_backward.default") == 3
    assert "aten.stack.default" in op_names
    assert all("VmapMode" not in p[1] for p in op_events)
    assert [p[0] for p in events_named(reader, "grad_mode")] == [False, True]
    # The graph built after the call is numbered as without it: tanh 0,
    # mul 1, then the new mul and sum.
    seqs = [p[2] for p in events_named(reader, "node") if p[1] != "AccumulateGrad"]
    assert seqs == [0, 1, 2, 3]


def test_the_engine_under_the_legacy_vmap_over_a_backwards_graph_is_refused(captures):
    result, out = captures.get("grad_batched")
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert result.message.startswith(
        "unsupported: torch.autograd.grad(is_grads_batched=True) over a graph a backward built (create_graph=True; hessian(..., vectorize=True))"
    ), result.message
    assert not out.exists()
