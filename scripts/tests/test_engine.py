"""Every way a program starts a backward (docs/CAPTURE.md §6.2, FORMAT.md
§3.4.2): several roots (GraphRoot), a leaf root, `backward(inputs=...)` and
`torch.autograd.grad` with the engine's pruning."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import ft_capture
import ftr
from conftest import REPO, events_named, program_path, run_cli
from ft_capture import engine as capture_engine
from ft_capture.engine import exec_marks
from ft_capture.schedule import LibstdcxxHeap, simulate_schedule
from test_capture import evaluated_nodes_without_capture, program_globals

ENGINE_PROGRAMS = [
    "autograd_grad",
    "backward_inputs",
    "multi_root",
    "leaf_root_live",
    "grad_retained",
    "corpus/autograd_grad",
    "corpus/backward_inputs",
    "corpus/multi_root",
    "corpus/leaf_root",
]


# -- the derivation, without torch ---------------------------------------------------


def test_only_nodes_leading_to_an_input_run():
    # root 0 -> 1 -> 2 (input, captures); 0 -> 3 (leads nowhere)
    successors = {0: [1, 3], 1: [2], 2: [], 3: []}
    runs, captures = exec_marks(0, successors, [2], accumulate=False)
    assert runs == {0, 1} and captures == {2}
    key = {0: (0, 9), 1: (0, 5), 2: (0, 1), 3: (0, 7)}
    steps = simulate_schedule(0, successors, key, runs, captures)
    assert [(s.node, s.pushed, s.runs) for s in steps] == [(0, [1], True), (1, [2], True), (2, [], False)]


def test_an_input_above_another_input_captures_and_runs():
    successors = {0: [1], 1: [2], 2: []}
    runs, captures = exec_marks(0, successors, [1, 2], accumulate=False)
    assert runs == {0, 1} and captures == {1, 2}


def test_with_accumulate_the_inputs_nodes_run():
    successors = {0: [1, 2], 1: [], 2: []}
    runs, captures = exec_marks(0, successors, [2, None], accumulate=True)
    assert runs == {0, 2} and captures == set()


def test_a_pruned_successor_still_counts_as_a_dependency():
    # 0 -> 1 -> 3 and 0 -> 2 -> 3, input 3 reached only through 2's edge? No:
    # both lead to 3, but 4 (below 1 only) is pruned; 3 waits for both edges.
    successors = {0: [1, 2], 1: [3, 4], 2: [3], 3: [], 4: []}
    runs, captures = exec_marks(0, successors, [3], accumulate=False)
    assert runs == {0, 1, 2} and 4 not in runs | captures
    key = {0: (0, 9), 1: (0, 8), 2: (0, 7), 3: (0, 1), 4: (0, 2)}
    steps = simulate_schedule(0, successors, key, runs, captures)
    assert [s.node for s in steps] == [0, 1, 2, 3]
    assert steps[1].pushed == [] and steps[2].pushed == [3]


# -- captures against PyTorch ------------------------------------------------------------


@pytest.mark.parametrize("name", ENGINE_PROGRAMS)
def test_pops_are_the_engines_evaluation_order(captures, name):
    """Derived pops (GraphRoot, nodes that only capture) included, the pops
    are what the profiler sees the engine evaluate without the capture."""
    result, _ = captures.get(name)
    assert result.status == ft_capture.EXIT_OK, result.message
    reader = captures.reader(name)
    nodes = {p[0]: p[1] for p in events_named(reader, "node")}
    popped = [nodes[p[0]] for p in events_named(reader, "pop")]
    assert popped == evaluated_nodes_without_capture(name)


@pytest.mark.parametrize("name", ENGINE_PROGRAMS)
def test_queue_events_replay_on_the_heap(captures, name):
    heap = None
    for e in captures.reader(name).events:
        if e.name == "graph_task_begin":
            heap = LibstdcxxHeap(lambda a, b: (a[1], a[2]) < (b[1], b[2]))
        elif e.name == "push":
            heap.push(tuple(e.payload))
        elif e.name == "pop":
            assert heap.pop() == tuple(e.payload)
        elif e.name == "graph_task_end":
            assert len(heap) == 0


def test_a_node_that_only_captures_runs_nothing(captures):
    events = captures.reader("autograd_grad").events
    names = {e.payload[0]: e.payload[1] for e in events if e.name == "node"}
    pops = [i for i, e in enumerate(events) if e.name == "pop" and names[e.payload[0]] == "AccumulateGrad"]
    assert len(pops) == 1
    assert events[pops[0] + 1].name == "graph_task_end"
    assert events[pops[0] + 1].payload == [2]  # SumBackward0, MulBackward0; not the AccumulateGrad
    assert not events_named(captures.reader("autograd_grad"), "accumulate")


def test_an_unused_input_takes_a_sequence_number(captures):
    """PyTorch's Identity for `u`: the next node's number skips one."""
    seqs = [p[2] for p in events_named(captures.reader("autograd_grad"), "node") if p[1] != "AccumulateGrad"]
    assert seqs == [0, 1, 3, 4]


def test_graph_root_takes_the_next_sequence_number(captures):
    events = captures.reader("multi_root").events
    kinds = [e.name for e in events]
    root = kinds.index("graph_task_begin") - 1
    assert events[root].name == "node" and events[root].payload[1] == "GraphRoot"
    assert events[root].payload[2] == 4 and events[root].payload[4] == []
    assert [edge[0] for edge in events[root].payload[3]] == [edge[0] for edge in events[root + 1].payload[0]]
    later = [p for p in events_named(captures.reader("multi_root"), "node") if p[1] == "MulBackward0"]
    assert later[-1][2] == 5


def test_graph_root_is_the_counters_next_number_without_the_capture():
    x = torch.randn(3, requires_grad=True)
    y, z = (x * 2).sum(), (x * 3).sum()
    before = torch._C._autograd._get_sequence_nr()
    torch.autograd.backward([y, z])
    assert torch._C._autograd._get_sequence_nr() == before + 1


def test_backward_inputs_accumulates_into_the_inputs_only(captures):
    reader = captures.reader("backward_inputs")
    (grad,) = events_named(reader, "grad")
    assert grad[5] is True and grad[6] is True
    assert [p[1] for p in events_named(reader, "accumulate")] == grad[2]
    names = {p[0]: p[1] for p in events_named(reader, "node")}
    assert [names[p[0]] for p in events_named(reader, "push")] == ["SumBackward0", "MulBackward0", "AccumulateGrad"]
    (mul,) = [p for p in reader.events if p.name == "op" and p.payload[0] == "aten.mul.Tensor" and p.payload[5][0] == 2]
    assert mul is not None  # one gradient computed, not two


def blob_values(reader: ftr.TraceReader) -> dict:
    """Tensor id -> its latest recorded value (op outputs, introductions)."""
    values = {}
    for e in reader.events:
        refs = []
        if e.name == "op":
            refs = [v[1] for v in ft_capture.flatten_values(e.payload[4]) if v[0] == ftr.TAG_TENSOR]
        elif e.name == "tensor":
            refs = [e.payload[0]]
        for ref in refs:
            if ref[9] is not None:
                blob = reader.blob(bytes(ref[9]))
                values[ref[0]] = np.frombuffer(blob.data, dtype=np.float32).reshape(blob.shape)
    return values


def test_returned_gradients_are_pytorchs(captures):
    reader = captures.reader("corpus/autograd_grad")
    results = events_named(reader, "grad_result")
    values = blob_values(reader)
    run = program_globals("corpus/autograd_grad")
    expected = [("g_w1", "g_x"), ("g_hidden", "g_x2"), ("g_b1", "g_unused"), ("g_w2", None), ("g_x3",)]
    assert len(results) == len(expected)
    for (grads,), names in zip(results, expected):
        for ref, name in zip(grads, names):
            want = None if name is None else run[name]
            if want is None:
                assert ref is None
            else:
                np.testing.assert_allclose(values[ref[0]], want.detach().numpy(), rtol=1.3e-6, atol=1e-5)


def test_materialized_zeros_are_top_level_ops_after_the_result(captures):
    events = captures.reader("corpus/autograd_grad").events
    results = [i for i, e in enumerate(events) if e.name == "grad_result"]
    after = [e for e in events[results[3] + 1 :] if e.name != "release"][0]
    assert after.name == "op" and after.payload[0] == "aten.zeros_like.default"
    assert after.payload[5] == ftr.context(ftr.CTX_TOP_LEVEL)


def test_leaf_roots_use_the_live_accumulate_grad_or_the_engines_new_one(captures):
    events = captures.reader("leaf_root_live").events
    starts = [i for i, e in enumerate(events) if e.name == "backward"]
    begins = [i for i, e in enumerate(events) if e.name == "graph_task_begin"]
    # reused: nothing between the api event and the GraphTask but the root
    # gradient; created by the engine: its node event comes in between
    assert [e.name for e in events[starts[0] : begins[0]]] == ["backward"]
    created = [e for e in events[starts[2] : begins[2]] if e.name == "node"]
    assert [p.payload[1] for p in created] == ["AccumulateGrad"]


def test_grads_batched_is_refused_with_one_line(tmp_path):
    run = run_cli(program_path("grad_batched"), "-o", str(tmp_path / "b.ftr"))
    assert run.returncode == 4
    assert re.fullmatch(r"capture_torch\.py: error: unsupported: torch\.autograd\.grad\(is_grads_batched=True\)[^\n]*\n", run.stderr)


def test_a_derived_pruning_that_disagrees_with_the_engine_aborts(tmp_path, monkeypatch):
    def everything_runs(root, successors, outputs, accumulate):
        runs, captures = exec_marks(root, successors, outputs, accumulate)
        return runs | set(successors), captures

    monkeypatch.setattr(capture_engine, "exec_marks", everything_runs)
    monkeypatch.chdir(REPO)
    out = tmp_path / "t.ftr"
    result = ft_capture.capture_program(program_path("backward_inputs"), str(out), "all", False)
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert "derived ReadyQueue order differs from the observed order" in result.message


def test_a_capture_only_node_still_runs_its_retain_grad_hook(captures):
    """Observed in torch 2.15: `autograd.grad(y, [h])` with `h.retain_grad()`
    sets `h.grad` though h's node only captures; the `accumulate` into h
    follows its pop."""
    events = captures.reader("grad_retained").events
    names = {e.payload[0]: e.payload[1] for e in events if e.name == "node"}
    first_end = next(i for i, e in enumerate(events) if e.name == "graph_task_end")
    pop, clone, acc = events[first_end - 3 : first_end]
    assert names[pop.payload[0]] == "MulBackward0" and pop.name == "pop"
    assert clone.payload[0] == "aten.clone.default" and clone.payload[5] == ftr.context(ftr.CTX_NODE, pop.payload[0])
    assert acc.name == "accumulate" and acc.payload[0] == pop.payload[0]


def test_iterator_arguments_are_read_for_the_trace_and_left_for_the_call(captures):
    # `inputs=model.parameters()`: a generator the capture reads once; the
    # call gets a tuple of the same tensors, so it neither raises (`inputs`
    # empty) nor differs from the program run without the capture.
    result, _ = captures.get("grad_of_generators")
    assert result.status == 0, result.message
    reader = captures.reader("grad_of_generators")
    # Two grad calls, then backward(inputs=...): an engine call that
    # accumulates into its two inputs.
    calls = events_named(reader, "grad")
    assert [(len(p[2]), p[5]) for p in calls] == [(2, False), (2, False), (2, True)]
    assert [len(p[0]) for p in events_named(reader, "grad_result")] == [2, 2]
