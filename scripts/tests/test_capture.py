"""Tests of scripts/capture_torch.py against real PyTorch."""

from __future__ import annotations

import contextlib
import os
import re
import runpy
import signal
from typing import Any, Iterator

import numpy as np
import pytest
import torch

import ft_capture
import ftr
from conftest import REPO, corpus_names, cpu_dependent_values, events_named, expected_capture_status, expected_capture_values, ops, program_path, run_cli
from ft_capture.schedule import LibstdcxxHeap
from ft_capture.session import onednn_gelu_takes_abramowitz_stegun, torchscript_unoptimised
from recording_diff import first_difference

CORPUS = corpus_names()
GOLDEN = {name: REPO / "traces" / f"{name.removeprefix('corpus/')}.torch.ftr" for name in CORPUS}
GOLDEN.update(tiny_mlp=GOLDEN["corpus/tiny_mlp"], mlp_train=GOLDEN["corpus/mlp_train"])
# Programs whose op results die before the next event boundary.
SHORT_LIVED = ["discarded_results", "last_result_dies", "dropped_graphs"]
SCHEDULE_PROGRAMS = ["diamond", "leaf_twice", "tied_leaves", "chain_adds", "retain_twice"] + SHORT_LIVED + CORPUS


# -- determinism and goldens ----------------------------------------------------


def test_capturing_twice_gives_identical_bytes_and_the_golden(captures):
    _, first = captures.get("tiny_mlp")
    _, second = captures.get("tiny_mlp", tag="-again")
    assert first.read_bytes() == second.read_bytes()
    assert first_difference(str(first), str(GOLDEN["tiny_mlp"])) is None


@pytest.mark.parametrize("name", CORPUS)
def test_every_corpus_program_recaptures_to_its_golden(captures, name):
    result, path = captures.get(name, policy=expected_capture_values(name))
    assert result.status == expected_capture_status(name), result.message
    # A program whose values another CPU moves beyond tolerance is compared up
    # to its values here; scripts/test.sh replays its re-capture on the runtime.
    why = first_difference(str(path), str(GOLDEN[name]), values=not cpu_dependent_values(name))
    assert why is None, f"{why} (run scripts/update_goldens.sh if {name} changed on purpose)"


def test_command_line_recapture_equals_the_golden(tmp_path):
    out = tmp_path / "mlp_train.ftr"
    run = run_cli(program_path("mlp_train"), "-o", str(out), "--zero-timestamps")
    assert run.returncode == 0, run.stderr
    assert first_difference(str(out), str(GOLDEN["mlp_train"])) is None


def test_meta_names_producer_program_and_versions(captures):
    meta = captures.reader("tiny_mlp").meta
    assert meta.producer == f"capture_torch.py {ft_capture.VERSION}"
    assert meta.program == "traces/programs/tiny_mlp.py"
    assert meta.value_policy == "all"
    # and, on a CPU whose PyTorch runs float16 convolutions on oneDNN or
    # whose oneDNN takes Abramowitz and Stegun's erf, those facts; then the
    # square root `torch.sqrt` computes
    optional = ["float16_conv_onednn"] if ft_capture.float16_convolutions_on_onednn() else []
    optional += ["onednn_gelu"] if onednn_gelu_takes_abramowitz_stegun() else []
    expected = ["torch_version", "python_version", "cpu_capability", "intra_op_threads", *optional, "vml_sqrt"]
    assert [k for k, _ in meta.attrs] == expected
    assert meta.attr("vml_sqrt") in ("rsqrt14", "correctly_rounded", "other")
    assert meta.attr("torch_version") == torch.__version__


def test_timestamps_are_recorded_unless_zeroed(captures):
    stamped = [e.ts for e in captures.reader("tiny_mlp", timestamps=True).events]
    assert stamped == sorted(stamped) and stamped[-1] > 0
    assert {e.ts for e in captures.reader("tiny_mlp").events} == {0}


# -- identity rules (FORMAT §3.6.1) ------------------------------------------------


class IdWalker:
    """Checks that tensor, storage and node ids are dense in order of first appearance."""

    def __init__(self) -> None:
        self.seen = {"tensor": set(), "storage": set(), "node": set()}

    def see(self, space: str, ident, where: str) -> None:
        if ident is None or ident in self.seen[space]:
            return
        assert ident == len(self.seen[space]), f"{space} id {ident} first appears at {where}, expected {len(self.seen[space])}"
        self.seen[space].add(ident)

    def ref(self, ref: list, where: str) -> None:
        self.see("tensor", ref[0], where)
        self.see("storage", ref[5], where)
        # a sparse tensor's parts (format 2.4), a nested tensor's buffer
        # (2.6), come right after it
        if len(ref) > 10 and ref[10] is not None:
            for part in ref[10][4:]:
                self.ref(part, where)

    def value(self, value: list, where: str) -> None:
        if value[0] == ftr.TAG_TENSOR:
            self.ref(value[1], where)
        elif value[0] == ftr.TAG_LIST:
            for v in value[1]:
                self.value(v, where)

    def event(self, e: ftr.Event) -> None:
        where, p = f"seq {e.seq} ({e.name})", e.payload
        if e.name == "tensor":
            self.ref(p[0], where)
        elif e.name == "data":
            self.ref(p[0], where)
            self.see("tensor", p[1], where)
        elif e.name in ("set_requires_grad", "set_grad"):
            self.see("tensor", p[0], where)
            if e.name == "set_grad":
                self.see("tensor", p[1], where)
        elif e.name in ("backward", "grad"):
            for t in p[0] + p[1] + (p[2] if e.name == "grad" else []):
                self.see("tensor", t, where)
        elif e.name == "grad_result":
            for ref in p[0]:
                if ref is not None:
                    self.ref(ref, where)
        elif e.name == "op":
            for _, v in p[3]:
                self.value(v, where)
            for v in p[4]:
                self.value(v, where)
            self.see("node", p[5][1], where)
        elif e.name == "node":
            for edge in p[3]:
                self.see("node", edge[0], where)
            self.see("node", p[0], where)
            for t in p[4]:
                self.see("tensor", t, where)
        elif e.name in ("push", "pop"):
            self.see("node", p[0], where)
        elif e.name == "accumulate":
            self.see("node", p[0], where)
            self.see("tensor", p[1], where)
            self.ref(p[2], where)
        elif e.name == "graph_task_begin":
            for edge in p[0]:
                self.see("node", edge[0], where)


@pytest.mark.parametrize("name", ["requires_grad_changes", "relu_detach"] + CORPUS)
def test_ids_are_dense_in_order_of_first_appearance(captures, name):
    walker = IdWalker()
    for e in captures.reader(name).events:
        walker.event(e)


@pytest.mark.parametrize("name", CORPUS)
def test_every_digest_names_an_earlier_blob(captures, name):
    _, path = captures.get(name)
    reader = ftr.TraceReader(str(path))
    blob_offsets = {bytes(d): off for d, off in reader.blob_entries}
    chunk_of_seq = {}
    for offset, first, count in reader.chunks:
        for seq in range(first, first + count):
            chunk_of_seq[seq] = offset
    for e in reader.events:
        for digest in digests_in(e):
            assert digest in blob_offsets, f"seq {e.seq}: missing blob"
            assert blob_offsets[digest] < chunk_of_seq[e.seq]


def digests_in(e: ftr.Event) -> list:
    refs = []
    if e.name == "tensor":
        refs = [e.payload[0]]
    elif e.name == "accumulate":
        refs = [e.payload[2]]
    elif e.name == "op":
        refs = [v[1] for v in ft_capture.flatten_values(e.payload[4]) if v[0] == ftr.TAG_TENSOR]
    return [bytes(r[9]) for r in refs if r[9] is not None]


# -- values ---------------------------------------------------------------------------


def test_accumulated_gradients_are_pytorchs(captures):
    """The gradients in the trace are bit-identical to an uncaptured run's."""
    reader = captures.reader("tiny_mlp")
    names = dict(program_globals("tiny_mlp")["net"].named_parameters())
    expected = [p.grad.numpy() for p in names.values()]
    recorded = {}
    for _, leaf, grad in events_named(reader, "accumulate"):
        blob = reader.blob(bytes(grad[9]))
        recorded[leaf] = np.frombuffer(blob.data, dtype=np.float32).reshape(blob.shape)
    intros = [p[0][0] for p in events_named(reader, "tensor") if p[1]]  # parameters, in creation order
    for leaf, want in zip(intros, expected):
        np.testing.assert_array_equal(recorded[leaf], want)


def program_globals(name: str) -> dict:
    """Runs a program without the capture and returns its globals. Like the
    capture, it puts back the default dtype the program may change
    (`logreg_float64` leaves float64), so later tests start from float32,
    and runs TorchScript unoptimised, as the capture does
    (`torchscript_unoptimised`: optimised, its ops would run under a
    `DifferentiableGraphBackward` the capture never sees)."""
    saved = torch.get_default_dtype()
    try:
        with torchscript_unoptimised():
            return runpy.run_path(str(REPO / program_path(name)), run_name="__main__")
    except Exception:
        # A program written to raise (`# capture-exit: 3`) has run to its end.
        if expected_capture_status(name) != ft_capture.EXIT_PROGRAM_ERROR:
            raise
        return {}
    finally:
        torch.set_default_dtype(saved)


def test_policy_inputs_keeps_introductions_and_random_outputs(captures):
    reader = captures.reader("tiny_mlp", policy="inputs")
    for p in ops(reader):
        base = p[0].split(".")[1]
        for v in ft_capture.flatten_values(p[4]):
            if v[0] == ftr.TAG_TENSOR and v[1][9] is not None:
                assert base in ft_capture.RANDOM_OPS, p[0]
    assert all(p[2][9] is None for p in events_named(reader, "accumulate"))
    kept = {p[0] for p in ops(reader) if any(v[1][9] for v in p[4] if v[0] == ftr.TAG_TENSOR)}
    assert kept == {"aten.randn.default", "aten.uniform_.default"}


def test_policy_none_stores_nothing(captures):
    reader = captures.reader("tiny_mlp", policy="none")
    assert reader.blob_entries == []
    assert reader.meta.value_policy == "none"


def test_uninitialised_outputs_carry_no_value(captures):
    for p in ops(captures.reader("mlp_train")):
        if p[0].split(".")[1] in ft_capture.EMPTY_OPS:
            assert p[4][0][1][9] is None


def test_opaque_outputs_carry_no_value_and_capture_deterministically(captures):
    """oneDNN's LSTM workspace (uninitialised scratch) carries no value even
    under policy `all`, so two captures are byte-identical; the layer's other
    outputs keep theirs."""
    _, first = captures.get("corpus/lstm_language_model")
    _, second = captures.get("corpus/lstm_language_model", tag="-again")
    assert first.read_bytes() == second.read_bytes()
    layers = [p for p in ops(ftr.TraceReader(str(first))) if p[0] == "aten.mkldnn_rnn_layer.default"]
    assert layers
    for p in layers:
        for i, out in enumerate(p[4]):
            if out[0] == ftr.TAG_TENSOR:
                assert (out[1][9] is None) == (i == 3), (i, out)


def test_ctc_log_alpha_carries_no_value_and_captures_deterministically(captures):
    """CTC's `log_alpha` (output 1 of both `_ctc_loss` overloads) is
    uninitialised outside each sample's lengths: it carries no value, so two
    captures are byte-identical; the loss keeps its value."""
    _, first = captures.get("corpus/ctc_speech")
    _, second = captures.get("corpus/ctc_speech", tag="-again")
    assert first.read_bytes() == second.read_bytes()
    calls = [p for p in ops(ftr.TraceReader(str(first))) if p[0].startswith("aten._ctc_loss.")]
    assert {p[0] for p in calls} == {"aten._ctc_loss.Tensor", "aten._ctc_loss.default"}
    for p in calls:
        loss, log_alpha = p[4]
        assert loss[1][9] is not None and log_alpha[1][9] is None, p


# -- the autograd schedule --------------------------------------------------------------


@pytest.mark.parametrize("name", SCHEDULE_PROGRAMS)
def test_queue_events_replay_on_the_heap(captures, name):
    """Every pop is what a libstdc++ heap fed the recorded pushes serves next."""
    result, _ = captures.get(name)
    assert result.status == expected_capture_status(name), result.message  # derived == observed, else 4
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


def evaluated_nodes_without_capture(name: str) -> list:
    """Node names in the order the engine evaluated them, seen by the profiler."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof, functorch_engine_marked():
        program_globals(name)
    prefix = "autograd::engine::evaluate_function: "
    # A torch.func transform's own engine call runs its wrapper-level graph,
    # which the capture leaves out (docs/CAPTURE.md §6.8).
    transform = [e.time_range for e in prof.events() if e.name == FUNCTORCH_ENGINE]
    events = sorted(
        (e for e in prof.events() if e.name.startswith(prefix) and not any(r.start <= e.time_range.start <= r.end for r in transform)),
        key=lambda e: e.time_range.start,
    )
    return [e.name[len(prefix):].rsplit("::", 1)[-1] for e in events]


FUNCTORCH_ENGINE = "ft_test::functorch_autograd_grad"


@contextlib.contextmanager
def functorch_engine_marked():
    """A torch.func transform's engine calls (`_autograd_grad`), and
    `torch.autograd.grad(is_grads_batched=True)` (the engine under the
    legacy vmap, run through the same way), inside a profiler range
    `FUNCTORCH_ENGINE`."""
    import torch._functorch.eager_transforms as transforms

    original = transforms._autograd_grad
    original_grad = torch.autograd.grad

    def _autograd_grad(*args, **kwargs):
        with torch.profiler.record_function(FUNCTORCH_ENGINE):
            return original(*args, **kwargs)

    def grad(*args, **kwargs):
        if not kwargs.get("is_grads_batched"):
            return original_grad(*args, **kwargs)
        with torch.profiler.record_function(FUNCTORCH_ENGINE):
            return original_grad(*args, **kwargs)

    transforms._autograd_grad = _autograd_grad
    torch.autograd.grad = grad
    try:
        yield
    finally:
        transforms._autograd_grad = original
        torch.autograd.grad = original_grad


def is_contiguous(shape: list, stride: list) -> bool:
    """PyTorch's `is_contiguous()`: empty tensors are; size-1 dimensions'
    strides do not count."""
    if 0 in shape:
        return True
    expected = 1
    for size, step in zip(reversed(shape), reversed(stride)):
        if size != 1:
            if step != expected:
                return False
            expected *= size
    return True


def producers(reader: ftr.TraceReader) -> dict:
    """Tensor id -> payload of the op event that produced it."""
    made = {}
    for p in ops(reader):
        for v in ft_capture.flatten_values(p[4]):
            if v[0] == ftr.TAG_TENSOR:
                made.setdefault(v[1][0], p)
    return made


def assert_reshape_alias_seen_as_view(node: list, made: dict) -> None:
    """The one observer effect on node names (CAPTURE.md §9): where an
    unobserved run evaluates ReshapeAliasBackward0, the trace has the
    ViewBackward0 of an `aten.view.default` whose input is a non-contiguous
    tensor not on `meta` — `reshape` with a dispatch mode active takes its
    `view` path exactly for the inputs it would otherwise `_reshape_alias`."""
    assert node[1] == "ViewBackward0", f"node {node[0]} is {node[1]}, not the view of a reshape"
    op = made[node[4][0]]
    assert op[0] == "aten.view.default"
    self_ref = dict(op[3])["self"][1]
    shape, stride, device = self_ref[2], self_ref[3], self_ref[6]
    assert device != "meta" and not is_contiguous(shape, stride), f"{op[0]} of {shape} {stride} on {device}"


def quantile_sorts(popped: list) -> list:
    """The SortBackward0 nodes of `torch.quantile` that only a dispatch
    mode sees (CAPTURE.md §9): with any mode active, quantile's sort is
    recorded, a SortBackward0 between its GatherBackward0 and the input;
    unobserved it is not. They are popped right after that GatherBackward0."""
    return [node for before, node in zip(popped, popped[1:]) if node[1] == "SortBackward0" and before[1] == "GatherBackward0"]


@pytest.mark.parametrize("name", SCHEDULE_PROGRAMS)
def test_pops_match_the_profilers_evaluation_order(captures, name):
    """An observer without hooks or dispatch mode sees the same execution
    order and node names, but for reshape's observer effect (§9)."""
    reader = captures.reader(name)
    nodes = {p[0]: p for p in events_named(reader, "node")}
    popped = [nodes[p[0]] for p in events_named(reader, "pop")]
    unobserved = evaluated_nodes_without_capture(name)
    if len(popped) != len(unobserved):
        extra = {id(node) for node in quantile_sorts(popped)}
        popped = [node for node in popped if id(node) not in extra]
    assert len(popped) == len(unobserved)
    made = producers(reader)
    for node, name_seen_unobserved in zip(popped, unobserved):
        if name_seen_unobserved == "ReshapeAliasBackward0":
            assert_reshape_alias_seen_as_view(node, made)
        elif node[1] == "CtcLossBackward1":
            # `ctc_loss` with tensor lengths: unobserved, its fast path
            # converts them to int lists first (§9).
            assert name_seen_unobserved == "CtcLossBackward0"
        else:
            assert node[1] == name_seen_unobserved


def test_tied_accumulate_grads_run_in_heap_order(captures):
    reader = captures.reader("tied_leaves")
    leaves = [p[4][0][1][0] for p in ops(reader) if p[0] == "aten.randn.default"]
    node_leaf = {p[0]: p[4][0] for p in events_named(reader, "node") if p[1] == "AccumulateGrad"}
    order = [leaves.index(node_leaf[p[0]]) for p in events_named(reader, "pop") if p[0] in node_leaf]
    assert order == [0, 2, 5, 6, 4, 1, 3]


def test_dependency_counts_are_incoming_edges(captures):
    reader = captures.reader("leaf_twice")
    names = {p[0]: p[1] for p in events_named(reader, "node")}
    deps = {names[p[0]]: p[3] for p in events_named(reader, "push")}
    assert deps == {"SumBackward0": 0, "MulBackward0": 1, "AccumulateGrad": 2}


def test_a_derived_order_that_disagrees_with_the_engine_aborts(tmp_path, monkeypatch):
    real = ft_capture.simulate_schedule

    def wrong(root, successors, key):
        steps = real(root, successors, key)
        if len(steps) > 3:
            steps[2], steps[3] = steps[3], steps[2]
        return steps

    monkeypatch.setattr(ft_capture.backward, "simulate_schedule", wrong)
    monkeypatch.chdir(REPO)
    out = tmp_path / "t.ftr"
    result = ft_capture.capture_program(program_path("tied_leaves"), str(out), "all", False)
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert "derived ReadyQueue order differs from the observed order" in result.message
    assert not out.exists() and (tmp_path / "t.ftr.partial").exists()


def test_backward_event_sequence(captures):
    events = captures.reader("tiny_mlp").events
    start = next(i for i, e in enumerate(events) if e.name == "backward")
    assert [e.name for e in events[start : start + 5]] == ["backward", "op", "graph_task_begin", "push", "pop"]
    ones_like = events[start + 1].payload
    assert ones_like[0] == "aten.ones_like.default" and ones_like[5] == [ftr.CTX_BACKWARD, None]
    assert events[-1].name == "graph_task_end" and events[-1].payload == [len(events_named(captures.reader("tiny_mlp"), "pop"))]


def test_node_events_follow_their_op_with_new_accumulate_grads_first(captures):
    events = captures.reader("tiny_mlp").events
    names = [e.name for e in events]
    first_addmm = next(i for i, e in enumerate(events) if e.name == "op" and e.payload[0] == "aten.addmm.default")
    assert names[first_addmm + 1 : first_addmm + 3] == ["node", "node"]
    acc, addmm = events[first_addmm + 1].payload, events[first_addmm + 2].payload
    assert acc[1] == "AccumulateGrad" and acc[2] == ftr.ACCUMULATE_GRAD_SEQ
    assert addmm[1] == "AddmmBackward0" and addmm[3][0] == [acc[0], 0] and addmm[3][1] == [None, 0]
    seqs = [p[2] for p in events_named(captures.reader("tiny_mlp"), "node") if p[1] != "AccumulateGrad"]
    assert seqs == list(range(len(seqs)))


# -- nodes of short-lived results ------------------------------------------------------------


def nodes_created_without_capture(name: str) -> tuple:
    """`(numbered, accumulate_grads)`: how many nodes PyTorch creates running
    the program uncaptured, taking a sequence number and AccumulateGrad."""
    created = []
    before = torch._C._autograd._get_sequence_nr()

    def made(node) -> None:
        # A torch.func grad level's AccumulateGrad accumulates into a
        # TensorWrapper; the capture leaves the wrapper graph out (§6.8).
        if not (node.name().endswith("AccumulateGrad") and torch._C._functorch.is_functorch_wrapped_tensor(node.variable)):
            created.append(node.name())

    with torch.autograd.graph.node_creation_hook(made):
        program_globals(name)
    numbered = torch._C._autograd._get_sequence_nr() - before
    return numbered, sum(1 for n in created if n.endswith("AccumulateGrad"))


def uses_grad_transforms(name: str) -> bool:
    """Whether a program calls torch.func's grad, grad_and_value, vjp or jacrev."""
    source = (REPO / program_path(name)).read_text()
    return "torch.func" in source and any(f"{t}(" in source for t in ("grad", "grad_and_value", "vjp", "jacrev"))


def recomputation_scopes(events: list) -> int:
    """At most how many nodes a non-reentrant checkpoint's early stop
    dropped: one per recomputation, the saved-tensor hooks scope an unpack
    enters (payload `[hook, enter]`) between `hook_begin` and `hook_end`
    (CAPTURE.md §6.7: the stop can fall after a node was numbered)."""
    count, depth = 0, 0
    for e in events:
        if e.name == "hook_begin":
            depth += 1
        elif e.name == "hook_end":
            depth = max(depth - 1, 0)
        elif e.name == "saved_tensors_hooks" and depth > 0 and e.payload[1]:
            count += 1
    return count


def unused_grad_inputs(events: list) -> int:
    """At most how many inputs of torch.autograd.grad calls got an Identity:
    those returned as nil, and every input of a call that raised (no
    grad_result before the next backward)."""
    count, open_inputs = 0, 0
    for e in events:
        if e.name in ("grad", "backward"):
            count += open_inputs
            open_inputs = len(e.payload[2]) if e.name == "grad" and not e.payload[5] else 0
        elif e.name == "grad_result":
            count += sum(g is None for g in e.payload[0])
            open_inputs = 0
    return count + open_inputs


@pytest.mark.parametrize("name", SHORT_LIVED + CORPUS)
def test_every_node_pytorch_creates_has_a_node_event(captures, name):
    """However short-lived its op's result: sequence numbers 0..n-1 with n
    as counted without the capture, and as many AccumulateGrad nodes."""
    numbered, accumulate_grads = nodes_created_without_capture(name)
    nodes = events_named(captures.reader(name), "node")
    # PyTorch's NotImplemented fallback node takes no number (CAPTURE.md §6.3).
    numbers = sorted(p[2] for p in nodes if p[1] not in ("AccumulateGrad", "NotImplemented"))
    # A call that raised may have taken a number for a node it never
    # attached (its autograd kernel numbers the node before the kernel runs).
    failed_calls = len(events_named(captures.reader(name), "op_error"))
    # An unused input of torch.autograd.grad may get an Identity node: a
    # number, no event (FORMAT.md §3.4.2).
    unused_inputs = unused_grad_inputs(captures.reader(name).events)
    # torch.quantile's sort takes a number only under a dispatch mode (§9).
    if numbers and max(numbers) >= numbered:
        by_id = {p[0]: p for p in nodes}
        numbered += len(quantile_sorts([by_id[p[0]] for p in events_named(captures.reader(name), "pop")]))
    assert len(set(numbers)) == len(numbers) and set(numbers) <= set(range(numbered))
    # The node of an in-place op on a view is wrapped in CopySlices and
    # attached to no tensor: numbered, never written.
    wrapped = sum(1 for p in nodes if p[1] == "CopySlices")
    # Every custom Function's apply takes a number, node or not (§3.4.3).
    events = captures.reader(name).events
    nodeless = len(events_named(captures.reader(name), "function")) - len(function_nodes(events))
    # A torch.func grad level's wrapper-level nodes take numbers the capture
    # leaves out of the trace's numbering (§6.8): the trace numbers fewer.
    if uses_grad_transforms(name):
        assert set(numbers) == set(range(len(numbers))) and len(numbers) < numbered
    else:
        dropped = recomputation_scopes(events)
        # A version-check error describing a saved view whose base was
        # written through another view regenerates the view's history
        # (AsStridedBackward0, a number); its node event comes only if the
        # program uses the view again (CAPTURE.md §6.1).
        regenerated = sum(1 for p in events_named(captures.reader(name), "graph_task_error") if "which is output 0 of AsStrided," in p[0])
        allowance = failed_calls + unused_inputs + wrapped + nodeless + dropped + regenerated
        assert numbered - len(numbers) <= allowance, (numbered, numbers)
    assert sum(1 for p in nodes if p[1] == "AccumulateGrad") == accumulate_grads


@pytest.mark.parametrize("name", SHORT_LIVED + CORPUS)
def test_an_op_that_creates_a_node_is_followed_by_it(captures, name):
    """FORMAT §3.6.2: in grad mode, an op whose output requires grad is
    followed by node events, the last one being its node, naming the outputs."""
    events = captures.reader(name).events
    grad_enabled = True
    for i, e in enumerate(events):
        if e.name == "grad_mode":
            grad_enabled = e.payload[0]
        if e.name != "op" or e.payload[5][0] != ftr.CTX_TOP_LEVEL or not grad_enabled:
            continue
        outputs = [v[1] for v in ft_capture.flatten_values(e.payload[4]) if v[0] == ftr.TAG_TENSOR]
        if not any(ref[7] for ref in outputs):
            continue
        j = i + 1
        # An in-place op on a view names the view with AsStridedBackward0,
        # after the base's CopySlices (attached to no output of the call); a
        # stale view's regenerated AsStridedBackward0 is attached to none.
        while j < len(events) and events[j].name == "node" and (
            events[j].payload[1] in ("AccumulateGrad", "CopySlices")
            or (events[j].payload[1] == "AsStridedBackward0" and not events[j].payload[4])
        ):
            j += 1
        assert events[j].name == "node", f"seq {e.seq} {e.payload[0]}: no node event follows"
        assert set(events[j].payload[4]) == {ref[0] for ref in outputs if ref[7]}


def test_discarded_results_keep_their_nodes(captures):
    reader = captures.reader("discarded_results")
    names = [p[1] for p in events_named(reader, "node")]
    # h = net(x); h.relu(), h + 1 and a second net(x) dropped; then h * 2 and sum.
    assert names == [
        "AccumulateGrad", "TBackward0", "AccumulateGrad", "AccumulateGrad", "AddmmBackward0",
        "ReluBackward0", "AddBackward0", "TBackward0", "AddmmBackward0", "MulBackward0", "SumBackward0",
    ]
    add = next(p for p in ops(reader) if p[0] == "aten.add.Tensor" and p[5][0] == ftr.CTX_TOP_LEVEL)
    assert add[4][0][1][7] is True  # the output had a grad_fn, though nothing held it


def test_the_last_ops_node_is_written_although_its_result_died(captures):
    events = captures.reader("last_result_dies").events
    op, node = events[-2], events[-1]
    assert op.name == "op" and op.payload[0] == "aten.mul.Tensor" and op.payload[4][0][1][7] is True
    assert node.name == "node" and node.payload[1] == "MulBackward0" and node.payload[4] == [op.payload[4][0][1][0]]


def test_dropped_graphs_free_the_accumulate_grad_node(captures):
    """x * 2 and x + 1 are dropped: each time, the next op on x gets a new AccumulateGrad."""
    nodes = events_named(captures.reader("dropped_graphs"), "node")
    accumulate = [p for p in nodes if p[1] == "AccumulateGrad"]
    assert len(accumulate) == 3 and all(p[4] == accumulate[0][4] for p in accumulate)


def test_in_place_op_on_a_view_writes_its_nodes_without_deadlock(tmp_path):
    """The hook runs inside the view's grad_fn regeneration; the capture must
    not read that grad_fn there (a subprocess, so a deadlock fails the test)."""
    out = tmp_path / "view.ftr"
    run = run_cli(program_path("inplace_on_view"), "-o", str(out), "--zero-timestamps", timeout=120)
    assert run.returncode == 0, run.stderr
    events = ftr.TraceReader(str(out)).events
    at = next(i for i, e in enumerate(events) if e.name == "op" and e.payload[0] == "aten.mul_.Tensor")
    view = events[at].payload[4][0][1][0]
    copy_slices, regenerated = events[at + 1].payload, events[at + 2].payload
    assert copy_slices[1] == "CopySlices" and copy_slices[4] == []
    assert regenerated[1] == "AsStridedBackward0" and regenerated[3] == [[copy_slices[0], 0]] and regenerated[4] == [view]


def profiled(name: str, hook=None) -> tuple:
    """What the profiler sees of an uncaptured run: ATen ops and engine
    evaluations with their sequence numbers (relative) and parents."""
    from torch.profiler import ProfilerActivity, profile

    before = torch._C._autograd._get_sequence_nr()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        if hook is None:
            program_globals(name)
        else:
            with torch.autograd.graph.node_creation_hook(hook):
                program_globals(name)
    used = torch._C._autograd._get_sequence_nr() - before
    seen = []
    for e in sorted(prof.events(), key=lambda e: e.time_range.start):
        if e.name.startswith(("aten::", "autograd::")):
            seq = e.sequence_nr - before if e.sequence_nr >= 0 else e.sequence_nr
            seen.append((e.name, seq, e.cpu_parent.name if e.cpu_parent else None))
    return without_rebuilds(seen), used


def without_rebuilds(seen: list) -> list:
    """Leaves out the `empty` + `set_` pairs that rebuild a DataLoader worker's
    batch: the main process unpickles a batch when it arrives, which depends
    on the workers' timing (the capture does not record them, CAPTURE.md §5.4)."""
    out: list = []
    for event in seen:
        if event[0] == "aten::set_" and out and out[-1][0] == "aten::empty" and out[-1][2] == event[2]:
            out.pop()
            continue
        out.append(event)
    return out


@pytest.mark.parametrize("name", SHORT_LIVED + CORPUS)
def test_a_node_creation_hook_changes_nothing_pytorch_does(name):
    """Same ops (so the same AccumulateGrad steal/copy), parents, sequence
    numbers and engine order with a hook that reads every node as the
    capture's does."""
    def hook(node):
        node.metadata["ft_test"] = (node.name(), node._sequence_nr(), [n for n, _ in node.next_functions])

    assert profiled(name, hook) == profiled(name)


# -- observer effects ----------------------------------------------------------------------


def test_mode_induced_detaches_are_dropped_and_aliased(captures):
    reader = captures.reader("relu_detach")
    recorded = ops(reader)
    relu = next(p for p in recorded if p[0] == "aten.relu.default")
    relu_out = relu[4][0][1][0]
    threshold = next(p for p in recorded if p[0] == "aten.threshold_backward.default")
    assert dict(threshold[3])["self"][1][0] == relu_out  # the saved output is relu's own tensor
    user_detach = [p for p in recorded if p[0] == "aten.detach.default" and p[5][0] == ftr.CTX_TOP_LEVEL]
    assert len(user_detach) == 1
    x_id = dict(relu[3])["self"][1][0]
    assert dict(user_detach[0][3])["self"][1][0] == x_id and user_detach[0][4][0][1][0] != x_id
    node_names = {p[0]: p[1] for p in events_named(reader, "node")}
    others = [p for p in recorded if p[0] == "aten.detach.default" and p[5][0] == ftr.CTX_NODE]
    assert all(node_names[p[5][1]] == "AccumulateGrad" for p in others)


# Operators whose CPU kernels call `detach` on their operands internally:
# the slow convolutions, and `convolution_backward` of a 1x1x1 3-d
# convolution on the slow loops (its weight gradient detaches the operands
# below the dispatch mode).
KERNEL_DETACHES = re.compile(r"aten::(_?slow_conv|convolution_backward$)")
# `nanmean` detaches its input itself before counting the non-NaN
# elements: a composite, so in grad mode that detach reaches the dispatch
# mode (recorded at top level); seen whole under `inference_mode` it runs
# below the mode with the composite's other parts (not recorded).
COMPOSITE_DETACHES = "aten::nanmean"


@pytest.mark.parametrize("name", SHORT_LIVED + ["printed_tensors"] + CORPUS)
def test_recorded_detaches_are_the_ones_pytorch_runs_without_the_capture(captures, name):
    """Profiler, no dispatch mode: every detach PyTorch runs is recorded —
    in AccumulateGrad, at top level where the program (or an optimizer's
    `clone(grad).detach()`) calls it, or as the alias introduction of an
    nn.Parameter (whose detach is hidden from dispatch modes) — and the
    capture records no other detach (the ones its own mode induces are
    dropped). A lazy module's constructor is the one place a Parameter's
    detach has no introduction: its base class makes an ordinary zero-size
    `weight` that the lazy constructor replaces by an `UninitializedParameter`
    before anything can use it (the placeholders themselves are introduced,
    materialized, at their first use)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof, lazy_placeholders() as replaced, tensor_formatting_marked():
        program_globals(name)
    # A slow convolution's kernel (thnn_conv2d: float64, dilated or
    # one-channel convolutions) detaches its operands itself, below the
    # dispatch mode: part of that operator, not a call the program makes.
    # A program's dispatch mode (`allow_mutation_on_saved_tensors`) forwards
    # each detach it sees: the profiler shows that one call twice, the
    # forwarded one inside the first (`aten::detach` > `PythonDispatchMode`
    # > `aten::detach`), counted once here.
    parents = [
        e.cpu_parent.name if e.cpu_parent else None
        for e in prof.events()
        if e.name == "aten::detach"
        and not (e.cpu_parent and KERNEL_DETACHES.match(e.cpu_parent.name))
        and not (e.cpu_parent and e.cpu_parent.name == "PythonDispatchMode" and _inside_detach(e.cpu_parent))
        and not _inside(e, TENSOR_FORMATTING)
    ]
    reader = captures.reader(name)
    # A `nanmean` recorded whole ran its detach below the mode: one fewer.
    for _ in range(sum(1 for p in ops(reader) if p[0] == "aten.nanmean.default")):
        parents.remove(COMPOSITE_DETACHES)
    node_names = {p[0]: p[1] for p in events_named(reader, "node")}
    # The program's own detaches inside a hook (an optimizer stepped by a
    # post-accumulate-grad hook) count with the top-level ones.
    in_hook, depth = [], 0
    for e in reader.events:
        depth += (e.name == "hook_begin") - (e.name in ("hook_end", "hook_result"))
        depth = 0 if e.name == "graph_task_error" else depth  # a hook that raised has no end
        if e.name == "op" and e.payload[0] == "aten.detach.default" and depth:
            in_hook.append(e.payload)
    # So do those of a custom Function's backward (`detach_variable` of a
    # reentrant checkpoint).
    function_ids = function_nodes(reader.events)
    in_hook += [e.payload for e in reader.events if e.name == "op" and e.payload[0] == "aten.detach.default" and e.payload[5][0] == ftr.CTX_NODE and e.payload[5][1] in function_ids]
    # So do the saved variable's under a program dispatch mode
    # (`allow_mutation_on_saved_tensors`): a detach of what an unpack
    # returned, right after its `hook_end` (CAPTURE.md §6.7) — not
    # AccumulateGrad's detach of what a tensor hook returned.
    events = reader.events
    in_hook += [
        e.payload
        for end, e in zip(events, events[1:])
        if end.name == "hook_end" and end.payload[1] is not None and e.name == "op" and e.payload[0] == "aten.detach.default" and e.payload[3][0][1][1][0] == end.payload[1][0]
        and not (e.payload[5][0] == ftr.CTX_NODE and node_names.get(e.payload[5][1]) == "AccumulateGrad")
    ]
    recorded = [p for p in ops(reader) if p[0] == "aten.detach.default"]
    in_accumulate = [p for p in recorded if p[5][0] == ftr.CTX_NODE and node_names[p[5][1]] == "AccumulateGrad" and not any(p is h for h in in_hook)]
    top_level = [p for p in recorded if p[5][0] == ftr.CTX_TOP_LEVEL] + in_hook
    assert len(in_accumulate) + len(top_level) == len(recorded)
    assert parents.count("torch::autograd::AccumulateGrad") == len(in_accumulate)
    aliases = [p for p in events_named(reader, "tensor") if p[1]]
    assert len(parents) - parents.count("torch::autograd::AccumulateGrad") == len(aliases) + len(top_level) + len(replaced)
    assert len(parents) == len(recorded) + len(aliases) + len(replaced)


def _inside_detach(event: Any) -> bool:
    """Whether a profiler event runs inside an `aten::detach`."""
    return _inside(event, "aten::detach")


def _inside(event: Any, range_name: str) -> bool:
    """Whether a profiler event runs inside a range of that name."""
    parent = event.cpu_parent
    while parent is not None:
        if parent.name == range_name:
            return True
        parent = parent.cpu_parent
    return False


TENSOR_FORMATTING = "ft.tensor_formatting"


@contextlib.contextmanager
def tensor_formatting_marked() -> Iterator[None]:
    """Marks formatting a tensor as text (`print(t)`, `str(t)`, `repr(t)`)
    with a profiler range. PyTorch formats a tensor with every dispatch mode
    disabled, so the operators it runs to do so (a `detach`, the min/max that
    choose the number format) are invisible to any mode and to the capture,
    by PyTorch's design, while the profiler still sees them."""
    import torch._tensor_str as tensor_str

    original = tensor_str._str

    def marked(*args: Any, **kwargs: Any) -> str:
        with torch.profiler.record_function(TENSOR_FORMATTING):
            return original(*args, **kwargs)

    tensor_str._str = marked
    try:
        yield
    finally:
        tensor_str._str = original


@contextlib.contextmanager
def lazy_placeholders() -> Iterator[list]:
    """The Parameters lazy modules' constructors replace by a placeholder
    before any op can name them (`LazyLinear`: `Linear.__init__(0, 0)` makes
    `weight` over `torch.empty((0, 0))`, then `self.weight =
    UninitializedParameter()`), one `(module class, name)` each, seen by a
    global parameter-registration hook (which runs no operator)."""
    from torch.nn.modules.module import register_module_parameter_registration_hook
    from torch.nn.parameter import UninitializedParameter

    replaced: list = []

    def registered(module, name, param):
        if isinstance(param, UninitializedParameter) and isinstance(module._parameters.get(name), torch.nn.Parameter):
            replaced.append((type(module).__name__, name))

    handle = register_module_parameter_registration_hook(registered)
    try:
        yield replaced
    finally:
        handle.remove()


def reshape_calls(t: torch.Tensor, shape: tuple) -> tuple:
    """`(unobserved, under a mode)`: the ATen calls `t.reshape(shape)` makes
    as the profiler sees them without a dispatch mode, and as a mode sees them."""
    from torch.profiler import ProfilerActivity, profile
    from torch.utils._python_dispatch import TorchDispatchMode

    class Seen(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.calls = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.calls.append(func._schema.name.removeprefix("aten::"))
            return func(*args, **(kwargs or {}))

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t.reshape(shape)
    unobserved = [e.name.removeprefix("aten::") for e in prof.events() if e.cpu_parent is not None and e.cpu_parent.name == "aten::reshape"]
    with Seen() as mode:
        t.reshape(shape)
    return unobserved, mode.calls


def test_reshape_takes_its_view_path_under_a_mode_exactly_where_it_would_alias():
    """CAPTURE.md §9: `reshape` calls `_reshape_alias` for a viewable input
    that is not contiguous, unless the tensor is subclass-like — which every
    tensor is while a dispatch mode is active, and a meta tensor always is."""
    piece = torch.randn(2, 12).split(4, dim=1)[0]  # (2, 4) with strides (12, 1)
    assert reshape_calls(piece, (2, 2, 2)) == (["_reshape_alias"], ["view"])
    assert reshape_calls(torch.randn(3, 4).t(), (2, 2, 3)) == (["_reshape_alias"], ["view"])
    assert reshape_calls(torch.randn(3, 4), (12,)) == (["view"], ["view"])
    assert reshape_calls(torch.randn(2, 12, device="meta")[:, :4], (2, 2, 2)) == (["view"], ["view"])
    copy = (["clone", "_unsafe_view"], ["clone", "_unsafe_view"])
    assert reshape_calls(torch.randn(3, 4).t(), (12,)) == copy


# -- api layer ----------------------------------------------------------------------------


def test_state_changes_without_operators(captures):
    reader = captures.reader("requires_grad_changes")
    api = [(e.name, e.payload) for e in reader.events if e.layer == ftr.API and e.name != "tensor"]
    made = {p[0]: p[4][0][1][0] for p in ops(reader) if p[5][0] == ftr.CTX_TOP_LEVEL}
    randn, ones, zeros = made["aten.randn.default"], made["aten.ones.default"], made["aten.zeros.default"]
    grads = {leaf: grad[0] for _, leaf, grad in events_named(reader, "accumulate")}
    assert api == [
        ("set_requires_grad", [randn, True]),  # w.requires_grad_()
        ("set_requires_grad", [ones, True]),  # torch.ones(..., requires_grad=True)
        ("release", [made["aten.mul.Tensor"]]),  # w * v, dropped once sum() took it
        ("backward", [[made["aten.sum.default"]], [None], False, False]),
        ("release", [made["aten.sum.default"]]),  # the statement's loss, dropped after backward()
        ("grad_mode", [False, False]),
        ("set_grad", [ones, zeros]),  # v.grad = torch.zeros(3)
        ("release", [grads[ones]]),  # v's old gradient
        ("grad_mode", [True, False]),
        ("set_grad", [randn, None]),  # w.grad = None
        ("release", [grads[randn]]),  # w's old gradient
    ]


def test_optimizer_marks_and_zero_grad(captures):
    reader = captures.reader("mlp_train")
    api = [(e.name, e.payload) for e in reader.events if e.name in ("mark_begin", "mark_end", "set_grad", "manual_seed")]
    assert api[0] == ("manual_seed", [0])
    begins = [p[0] for n, p in api if n == "mark_begin"]
    assert begins == ["Optimizer.zero_grad#SGD.zero_grad", "Optimizer.step#SGD.step"] + [
        "Optimizer.zero_grad#SGD.zero_grad",
        "Optimizer.step#SGD.step",
    ] * 2
    assert [p[1] for n, p in api if n == "set_grad"] == [None] * 8  # zero_grad(set_to_none) twice, 4 params


# -- releases (FORMAT §3.6.4, CAPTURE §5.1) ---------------------------------------------------

RELEASE_PROGRAMS = SHORT_LIVED + ["requires_grad_changes", "relu_detach", "release_in_backward", "retain_twice"] + CORPUS
STATE_RANK = {"grad_mode": 0, "default_dtype": 1, "autocast": 2, "anomaly_mode": 3, "set_requires_grad": 4, "set_grad": 5, "release": 6}
# The state kinds that name a tensor (ordered by its id within the kind).
PER_TENSOR_STATE = ("set_requires_grad", "set_grad", "release")


def tensor_ids_named(e: ftr.Event) -> set:
    """The tensor ids an event names (a release is not a use)."""
    p = e.payload
    if e.name == "tensor":
        return {p[0][0]}
    if e.name == "set_requires_grad":
        return {p[0]}
    if e.name == "set_grad":
        return {p[0]} | ({p[1]} if p[1] is not None else set())
    if e.name == "backward":
        return set(p[0]) | {g for g in p[1] if g is not None}
    if e.name == "grad":
        return set(p[0]) | {g for g in p[1] if g is not None} | set(p[2])
    if e.name == "grad_result":
        return {ref[0] for ref in p[0] if ref is not None}
    if e.name == "op":
        values = ft_capture.flatten_values([v for _, v in p[3]] + p[4])
        return {v[1][0] for v in values if v[0] == ftr.TAG_TENSOR}
    if e.name == "node":
        return set(p[4])
    if e.name == "accumulate":
        return {p[1], p[2][0]}
    if e.name == "transfer":
        return {p[0], p[1]}
    if e.name == "data":
        return {p[0][0], p[1]}
    return set()


def release_seqs(events: list) -> dict:
    """Tensor id -> seq of its release."""
    out = {}
    for e in events:
        if e.name == "release":
            assert e.payload[0] not in out, f"seq {e.seq}: T{e.payload[0]} released twice"
            out[e.payload[0]] = e.seq
    return out


def is_top_level_op(e: ftr.Event) -> bool:
    return e.name == "op" and e.payload[5][0] == ftr.CTX_TOP_LEVEL


def next_boundary(events: list, after: int) -> int:
    """Seq of the first top-level op or backward after seq `after`."""
    return next(e.seq for e in events[after + 1 :] if is_top_level_op(e) or e.name in ("backward", "grad"))


def top_level_outputs(e: ftr.Event) -> list:
    return [v[1][0] for v in ft_capture.flatten_values(e.payload[4]) if v[0] == ftr.TAG_TENSOR]


def test_discarded_results_are_released_at_the_next_boundary(captures):
    """h.relu(), h + 1, a second net(x) (its `t` and `addmm`) and h * 2 are
    dropped: each is released right before the first op or backward after
    the last event that used it. relu's output lives on in its node (a
    mode-induced alias carries its id) until the node dies with it."""
    events = captures.reader("discarded_results").events
    released = release_seqs(events)
    last_use = {}
    for e in events:
        for tid in tensor_ids_named(e):
            last_use[tid] = e.seq
    top = [e for e in events if is_top_level_op(e)]
    made = [(e.payload[0], top_level_outputs(e)[0]) for e in top]
    h = made[6][1]
    dropped = [tid for op, tid in made[7:] if op != "aten.sum.default"]
    assert [op for op, _ in made[7:]] == ["aten.relu.default", "aten.add.Tensor", "aten.t.default", "aten.addmm.default", "aten.mul.Tensor", "aten.sum.default"]
    for tid in dropped:
        assert last_use[tid] < released[tid] < next_boundary(events, last_use[tid]), f"T{tid}"
    x, weight, bias = made[0][1], made[3][1], made[4][1]
    assert not {h, x, weight, bias} & set(released)  # still held at the end


def test_rebinding_releases_the_previous_value(captures):
    """mlp_train rebinds `loss` after the next forward: step k's loss is
    released between step k+1's mse_loss and its backward, and the four
    AccumulateGrad nodes live through all three steps."""
    events = captures.reader("mlp_train").events
    released = release_seqs(events)
    mse = [e for e in events if is_top_level_op(e) and e.payload[0] == "aten.mse_loss.default"]
    backwards = [e.seq for e in events if e.name == "backward"]
    losses = [top_level_outputs(e)[0] for e in mse]
    for k in range(2):
        assert mse[k + 1].seq < released[losses[k]] < backwards[k + 1]
    assert losses[2] not in released  # nothing follows the program's end
    assert sum(1 for p in events_named(captures.reader("mlp_train"), "node") if p[1] == "AccumulateGrad") == 4


def test_a_step_in_a_function_releases_its_graph_before_the_next_forward(captures):
    """train_step_fn: everything step k's forward made and the gradients it
    stored are released before step k+1's first forward op, which then gets
    new AccumulateGrad nodes (4 per step), as in an uncaptured run."""
    events = captures.reader("corpus/train_step_fn").events
    released = release_seqs(events)
    zero_grads = [e.seq for e in events if e.name == "mark_end" and e.payload[0].startswith("Optimizer.zero_grad")]
    backwards = [e.seq for e in events if e.name == "backward"]
    assert len(zero_grads) == len(backwards) == 3
    for k in range(2):
        forward = [tid for e in events[zero_grads[k] : backwards[k]] if is_top_level_op(e) for tid in top_level_outputs(e)]
        grads = [p[2][0] for e in events[backwards[k] : zero_grads[k + 1]] if e.name == "accumulate" for p in [e.payload]]
        next_forward = next_boundary(events, zero_grads[k + 1])
        assert len(forward) == 6 and len(grads) == 4
        for tid in forward + grads:
            assert tid in released and released[tid] < next_forward, f"step {k}: T{tid}"
        new_nodes = [e.payload for e in events[next_forward:backwards[k + 1]] if e.name == "node" and e.payload[1] == "AccumulateGrad"]
        assert len(new_nodes) == 4
    _, accumulate_grads = nodes_created_without_capture("corpus/train_step_fn")
    assert accumulate_grads == 12


def test_dropped_graphs_are_released_before_their_leafs_next_op(captures):
    events = captures.reader("dropped_graphs").events
    released = release_seqs(events)
    top = [e for e in events if is_top_level_op(e)]
    twice, plus_one = top_level_outputs(top[1])[0], top_level_outputs(top[2])[0]
    assert top[1].seq < released[twice] < top[2].seq
    assert top[2].seq < released[plus_one] < top[3].seq


def function_nodes(events: list) -> set:
    """Ids of the nodes of custom autograd.Functions (the node event of the
    `function`'s name among those right after it, FORMAT.md §3.4.3)."""
    out = set()
    for i, e in enumerate(events):
        if e.name != "function":
            continue
        for n in events[i + 1 :]:
            if n.name != "node":
                break
            if n.payload[1] == e.payload[0]:
                out.add(n.payload[0])
    return out


def in_function_runs(events: list) -> set:
    """Seqs of the events of custom Functions' backwards: from the node's
    pop to its node_result (program code, with its own state changes); and
    those of saved-tensor unpack hooks."""
    nodes = function_nodes(events)
    seqs, open_runs = set(), []
    for e in events:
        if e.name == "pop" and e.payload[0] in nodes:
            open_runs.append(e.payload[0])
        elif e.name == "node_result" and open_runs:
            open_runs.pop()
        elif open_runs:
            seqs.add(e.seq)
    return seqs | in_unpack_ranges(events)


def in_unpack_ranges(events: list) -> set:
    """Seqs of the events inside saved-tensor unpack hooks: from
    `hook_begin` to `hook_end` of a `saved_tensors_hooks` pair (program
    code, with its own state changes, FORMAT.md §3.4.5); `hook_end` too."""
    pairs = {e.payload[0] for e in events if e.name == "saved_tensors_hooks"}
    seqs, open_hook = set(), None
    for e in events:
        if e.name == "hook_begin" and e.payload[0] in pairs and open_hook is None:
            open_hook = e.payload[0]
        elif open_hook is not None:
            seqs.add(e.seq)
            if e.name == "hook_end" and e.payload[0] == open_hook:
                open_hook = None
    return seqs


@pytest.mark.parametrize("name", RELEASE_PROGRAMS)
def test_no_release_inside_backward(captures, name):
    """Except before the ops of a custom Function's backward (program code,
    FORMAT.md §3.4.3)."""
    events = captures.reader(name).events
    runs = in_function_runs(events)
    inside = False
    for e in events:
        if e.name in ("backward", "grad"):
            inside = True
        elif e.name in ("graph_task_end", "graph_task_error"):
            inside = False
        assert not (inside and e.name == "release" and e.seq not in runs), f"seq {e.seq}: release inside backward"


def test_a_death_inside_backward_is_released_after_it(captures):
    """A hook drops `kept` while the engine runs: its release follows
    graph_task_end, before the next top-level op."""
    events = captures.reader("release_in_backward").events
    released = release_seqs(events)
    kept = top_level_outputs(next(e for e in events if is_top_level_op(e) and e.payload[0] == "aten.mul.Tensor"))[0]
    end = next(e.seq for e in events if e.name == "graph_task_end")
    add = next(e.seq for e in events if is_top_level_op(e) and e.payload[0] == "aten.add.Tensor")
    assert end < released[kept] < add


@pytest.mark.parametrize("name", RELEASE_PROGRAMS)
def test_only_tensors_the_program_could_reach_are_released(captures, name):
    """Introduced tensors, top-level outputs, gradients stored in a .grad and
    gradients a tensor hook kept; never what only backward produced and
    consumed (ones_like, formulas)."""
    events = captures.reader(name).events
    reachable = set()
    for e in events:
        if e.name == "tensor":
            reachable.add(e.payload[0][0])
        elif is_top_level_op(e):
            reachable.update(top_level_outputs(e))
        elif e.name == "accumulate":
            reachable.add(e.payload[2][0])
        elif e.name == "set_grad" and e.payload[1] is not None:
            reachable.add(e.payload[1])
        elif e.name == "grad_result":
            reachable.update(ref[0] for ref in e.payload[0] if ref is not None)
        elif e.name == "data" and not e.payload[2]:
            reachable.add(e.payload[0][0])  # a `.data` read (format 1.3)
        elif e.name == "hook_begin":
            # a gradient a tensor hook kept (a list, a multi-grad buffer)
            reachable.update(ref[0] for ref in e.payload[2] if ref is not None)
        elif e.name == "release":
            assert e.payload[0] in reachable, f"seq {e.seq}: T{e.payload[0]} was never reachable"


@pytest.mark.parametrize("name", RELEASE_PROGRAMS)
def test_state_changes_come_in_order_before_an_op_or_backward(captures, name):
    """grad_mode, default_dtype, autocast, anomaly_mode, then set_requires_grad,
    set_grad and release, each by ascending id (introductions may come between), then
    a top-level op or backward."""
    events = captures.reader(name).events
    runs = in_function_runs(events)
    # Gradients hooks received: those a hook kept are released at the
    # program's end, with nothing after them but a program_error.
    hooked = {arg[0] for e in events if e.name == "hook_begin" for arg in e.payload[2] if arg is not None}

    def kept_at_the_end(run: list) -> bool:
        return all(r.name == "release" and r.payload[0] in hooked for r in run)

    run: list = []
    for e in events:
        if e.name in STATE_RANK:
            run.append(e)
            continue
        if e.name == "tensor":
            continue
        if run:
            keys = [(STATE_RANK[r.name], r.payload[0] if r.name in PER_TENSOR_STATE else -1) for r in run]
            assert keys == sorted(keys), f"seq {run[0].seq}: {[(r.name, r.payload) for r in run]}"
            # One change per tensor, but for a tensor detached in place and
            # flagged again (`t.detach_().requires_grad_()`): false, then true.
            for (ka, a), (kb, b) in zip(zip(keys, run), zip(keys[1:], run[1:])):
                assert ka != kb or (a.name == b.name == "set_requires_grad" and a.payload[1] is False and b.payload[1] is True), f"seq {a.seq}: {[(r.name, r.payload) for r in run]}"
            top_level_call = is_top_level_op(e) or (e.name == "op_error" and e.payload[5][0] == ftr.CTX_TOP_LEVEL)
            # Hook api events (format 1.3) depend on the state too (FORMAT §3.6.4).
            hook_call = e.name in ("register_hook", "remove_hook", "retain_grad", "register_node_hook", "function", "data", "saved_tensors_hooks")
            # An op of a custom Function's backward is program code (§3.4.3).
            run_call = e.name in ("op", "saved_tensors_hooks", "hook_end") and e.seq in runs
            # Anomaly mode switched by a hook or a Function's backward is
            # written before that call's end (CAPTURE.md §6.9).
            switched_in_call = all(r.name == "anomaly_mode" for r in run) and e.name in ("hook_end", "hook_result", "node_result")
            ending = e.name == "program_error" and kept_at_the_end(run)
            assert top_level_call or hook_call or run_call or switched_in_call or ending or e.name in ("backward", "grad"), f"seq {e.seq}: state changes followed by {e.name}"
        run = []
    # Nothing written at the end but the releases of kept gradients.
    assert kept_at_the_end(run)


@pytest.mark.parametrize("name", RELEASE_PROGRAMS)
def test_a_released_id_is_never_named_again(captures, name):
    """And an alias introduction always finds a tensor that was not
    released on its storage (the release of a dropped `empty` output waits
    for the nn.Parameter made over it)."""
    storage_of: dict = {}
    released: set = set()
    for e in captures.reader(name).events:
        named = tensor_ids_named(e)
        assert not named & released, f"seq {e.seq} ({e.name}) names released {named & released}"
        if e.name == "tensor" and e.payload[1]:
            sid = e.payload[0][5]
            assert any(s == sid and t not in released for t, s in storage_of.items()), f"seq {e.seq}: alias of a released storage"
        if e.name == "release":
            released.add(e.payload[0])
        for ref in refs_in(e):
            storage_of[ref[0]] = ref[5]


def refs_in(e: ftr.Event) -> list:
    if e.name == "tensor":
        return [e.payload[0]]
    if e.name == "accumulate":
        return [e.payload[2]]
    if e.name == "op":
        values = ft_capture.flatten_values([v for _, v in e.payload[3]] + e.payload[4])
        return [v[1] for v in values if v[0] == ftr.TAG_TENSOR]
    return []


def test_a_parameters_empty_output_is_released_after_the_parameter_appears(captures):
    events = captures.reader("mlp_train").events
    released = release_seqs(events)
    empties = [top_level_outputs(e)[0] for e in events if is_top_level_op(e) and e.payload[0] == "aten.empty.memory_format"]
    aliases = {e.payload[0][5]: e.seq for e in events if e.name == "tensor" and e.payload[1]}
    storage = {ref[0]: ref[5] for e in events for ref in refs_in(e)}
    assert len(empties) == 4
    for tid in empties:
        assert aliases[storage[tid]] < released[tid]


@pytest.mark.parametrize("name", ["corpus/train_step_fn", "release_in_backward"])
def test_releases_are_deterministic(captures, name):
    _, first = captures.get(name)
    _, second = captures.get(name, tag="-again")
    assert first.read_bytes() == second.read_bytes()
    assert any(e.name == "release" for e in ftr.TraceReader(str(first)).events)


@pytest.mark.parametrize("name", ["corpus/train_step_fn", "corpus/mlp_train", "discarded_results", "relu_detach", "release_in_backward"])
def test_watching_deaths_changes_nothing_pytorch_does(captures, name, tmp_path, monkeypatch):
    """With the death watch off (no callbacks), the capture records the same
    ops, nodes, AccumulateGrad steals and copies, schedule and ids: only the
    releases are missing."""
    def structure(events: list) -> list:  # values aside: relu_detach has no seed
        return [(e.layer, e.kind, ftr.structural_payload(e.layer, e.kind, e.payload)) for e in events if e.name != "release"]

    with_watch = structure(captures.reader(name).events)
    monkeypatch.setattr(ft_capture.ReleaseTracker, "watch", lambda self, t, tid: None)
    out = tmp_path / "unwatched.ftr"
    monkeypatch.chdir(REPO)
    result = ft_capture.capture_program(program_path(name), str(out), "all", False)
    assert result.status == ft_capture.EXIT_OK, result.message
    events = ftr.TraceReader(str(out)).events
    assert not any(e.name == "release" for e in events)
    assert structure(events) == with_watch


def test_device_transfer_is_derived_from_the_op(captures):
    reader = captures.reader("to_meta")
    copy = next(p for p in ops(reader) if p[0] == "aten._to_copy.default")
    assert copy[2] == [["AutogradCPU", "autograd"], ["ADInplaceOrView", "fallthrough"], ["BackendSelect", "kernel"], ["Meta", "kernel"]]
    src, dst = dict(copy[3])["self"][1][0], copy[4][0][1][0]
    assert events_named(reader, "transfer") == [[src, dst, "cpu", "meta"]]
    assert copy[4][0][1][9] is None  # meta tensors have no data


# -- keysets and chains ----------------------------------------------------------------------


def documented_chains() -> set:
    text = (REPO / "docs" / "CAPTURE.md").read_text()
    section = text.split("<!-- corpus-chains:begin -->", 1)[1].split("<!-- corpus-chains:end -->", 1)[0]
    return table_rows(section)


def table_rows(section: str) -> set:
    """(op, keyset, chain) of each row of a keyset/chain table."""
    rows = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        # an operator name in any namespace (`aten.`, `prims.`, a library's)
        if len(cells) >= 3 and re.fullmatch(r"`[A-Za-z_]\w*\.[^`\s]+`", cells[0]):
            rows.add((cells[0].strip("`"), cells[1], cells[2]))
    return rows


def recorded_chains(reader: ftr.TraceReader) -> set:
    return {(p[0], ", ".join(p[1]), " → ".join(f"{k}[{h}]" for k, h in p[2])) for p in ops(reader)}


def test_docs_list_exactly_the_corpus_keysets_and_chains(captures):
    recorded = set().union(*(recorded_chains(captures.reader(name)) for name in CORPUS))
    assert recorded == documented_chains()


def test_the_table_generator_prints_what_the_goldens_record():
    """`scripts/corpus_chains.py --write` keeps the table above in sync."""
    import corpus_chains

    goldens = corpus_chains.goldens()
    printed = table_rows(corpus_chains.table(corpus_chains.chains(goldens)))
    assert printed == set().union(*(recorded_chains(ftr.TraceReader(str(g))) for g in goldens))


def test_factory_and_autograd_chains(captures):
    chains = {p[0]: (p[1], p[2]) for p in ops(captures.reader("mlp_train"))}
    assert chains["aten.randn.default"] == (["BackendSelect"], [["BackendSelect", "kernel"], ["CPU", "kernel"]])
    assert chains["aten.mm.default"][0] == ["AutogradCPU", "ADInplaceOrView", "BackendSelect", "CPU"]
    assert chains["aten.add_.Tensor"][1][1] == ["ADInplaceOrView", "kernel"]
    assert chains["aten.ones_like.default"] == (["BackendSelect", "CPU"], [["BackendSelect", "fallthrough"], ["CPU", "kernel"]])


# Runs a program with kernels registered at AutogradCPU and ADInplaceOrView
# for factory operators (each notes its key and redispatches below it) and a
# dispatch mode that hands each call the keys its probes saw. The probes sit
# above the Python key, so the mode changes nothing they see.
FACTORY_PROBE = r"""
import json, runpy, sys
import torch
from torch.utils._python_dispatch import TorchDispatchMode

OPS = sys.argv[2].split(",")
reached, calls = [], []
lib = torch.library.Library("aten", "IMPL")
for name in OPS:
    base, overload = name.split(".")
    op = getattr(getattr(torch.ops.aten, base), overload)
    for key in ("AutogradCPU", "ADInplaceOrView"):
        below = torch._C._dispatch_keyset_full_after(getattr(torch._C.DispatchKey, key))
        def probe(ks, *args, _op=op, _key=key, _below=below, **kwargs):
            reached.append(_key)
            return _op.redispatch(ks & _below, *args, **kwargs)
        lib.impl(name.removesuffix(".default"), probe, key, with_keyset=True)

class Calls(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if f"{func.__name__}" in OPS or str(func).removeprefix("aten.") in OPS:
            calls.append([str(func), sorted(reached)])
        reached.clear()
        return func(*args, **(kwargs or {}))

with Calls():
    runpy.run_path(sys.argv[1], run_name="__main__")
print(json.dumps(calls))
"""
FACTORIES = ("empty.memory_format", "empty_like.default", "lift_fresh.default", "scalar_tensor.default",
             "zeros.default", "ones.default", "ones_like.default", "randn.default")


def test_factory_keysets_are_the_keys_pytorch_walks(captures):
    """CAPTURE.md §7: a factory's recorded keyset has AutogradCPU and
    ADInplaceOrView exactly when PyTorch's dispatcher walks them: not from a
    Python binding (`torch.randn`, `torch.tensor`'s `lift_fresh`), but from
    C++ composites at top level (dropout's `empty_like`, batch norm's
    `empty`, `where`'s `scalar_tensor`) and in backward formulas — checked
    against kernels registered at both keys."""
    import json
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", FACTORY_PROBE, program_path("factory_entries"), ",".join(FACTORIES)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    walked = json.loads(run.stdout.strip().splitlines()[-1])
    recorded = [
        [p[0], sorted(k for k in p[1] if k in ("AutogradCPU", "ADInplaceOrView"))]
        for p in ops(captures.reader("factory_entries"))
        if p[0].removeprefix("aten.") in FACTORIES
    ]
    assert recorded == walked
    # The program has each kind of entry (so the test would see a regression).
    kinds = {(op, tuple(keys)) for op, keys in recorded}
    assert ("aten.lift_fresh.default", ()) in kinds
    assert ("aten.empty_like.default", ("ADInplaceOrView", "AutogradCPU")) in kinds
    assert ("aten.empty.memory_format", ("ADInplaceOrView",)) in kinds
    assert ("aten.empty.memory_format", ()) in kinds


# -- endings ------------------------------------------------------------------------------------


def test_program_error_finishes_the_trace_with_exit_3(tmp_path):
    out = tmp_path / "raises.ftr"
    run = run_cli(program_path("raises"), "-o", str(out), "--zero-timestamps")
    assert run.returncode == 3
    assert "ValueError: boom" in run.stderr
    events = ftr.TraceReader(str(out)).events
    assert events[-1].name == "program_error" and events[-1].payload == ["ValueError: boom"]


def test_nonzero_sys_exit_is_a_program_error(captures):
    result, _ = captures.get("exit_nonzero")
    assert result.status == ft_capture.EXIT_PROGRAM_ERROR
    assert captures.reader("exit_nonzero").events[-1].payload == ["SystemExit: 5"]


def test_os_exit_finishes_the_trace_with_every_event(tmp_path):
    out = tmp_path / "exit.ftr"
    run = run_cli(program_path("os_exit"), "-o", str(out), "--zero-timestamps")
    assert run.returncode == 3  # os._exit(7): the program ended with a failure status
    reader = ftr.TraceReader(str(out))
    assert sum(1 for p in ops(reader) if p[0] == "aten.mul.Tensor") == 50


def test_sigkill_leaves_a_partial_whose_complete_chunks_decode(tmp_path):
    out = tmp_path / "killed.ftr"
    run = run_cli(program_path("sigkill"), "-o", str(out), "--zero-timestamps")
    assert run.returncode == -signal.SIGKILL
    assert not out.exists()
    with pytest.raises(ftr.Truncated):
        ftr.TraceReader(str(out) + ".partial")
    reader = ftr.TraceReader(str(out) + ".partial", recover=True)
    assert len(reader.chunks) >= 2
    assert [e.seq for e in reader.events] == list(range(reader.event_count))
    assert reader.truncation is not None


@pytest.mark.parametrize(
    "name, message",
    [
        ("grad_batched", "unsupported: torch.autograd.grad(is_grads_batched=True)"),
    ],
)
def test_unsupported_features_abort_with_exit_4(captures, name, message):
    result, out = captures.get(name)
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert result.message.startswith(message)
    assert not out.exists() and os.path.exists(str(out) + ".partial")


def test_exit_4_prints_one_clear_line(tmp_path):
    run = run_cli(program_path("grad_batched"), "-o", str(tmp_path / "m.ftr"))
    assert run.returncode == 4
    assert re.fullmatch(r"capture_torch\.py: error: unsupported: [^\n]+\n", run.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["does/not/exist.py", "-o", "x.ftr"],
        ["traces/programs/tiny_mlp.py"],
        ["traces/programs/tiny_mlp.py", "-o", "x.ftr", "--values", "some"],
        ["traces/programs/tiny_mlp.py", "-o", "/nonexistent-dir/x.ftr"],
    ],
)
def test_usage_errors_exit_2(args, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    try:
        status = ft_capture.main(args)
    except SystemExit as e:  # argparse
        status = e.code
    assert status == 2
    assert capsys.readouterr().err.strip()


def test_usage_error_from_the_command_line():
    run = run_cli()
    assert run.returncode == 2
    assert "usage: capture_torch.py" in run.stderr


def test_a_forked_child_writes_nothing(captures):
    result, _ = captures.get("fork_child")
    assert result.status == ft_capture.EXIT_OK, result.message
    assert [p[0] for p in ops(captures.reader("fork_child"))] == ["aten.ones.default", "aten.add.Tensor"]


def test_a_dead_in_place_result_records_the_bumped_version(captures):
    reader = captures.reader("inplace_result_dies")
    uniform = [p for p in ops(reader) if p[0] == "aten.uniform_.default"]
    assert len(uniform) == 1
    (_, (_, self_ref)), *_ = uniform[0][3]
    (_, out_ref) = uniform[0][4][0]
    assert out_ref[0] == self_ref[0]
    assert out_ref[8] == self_ref[8] + 1


def test_printing_tensors_records_nothing(captures, tmp_path):
    """PyTorch formats a tensor with every dispatch mode disabled
    (`torch._tensor_str._str`), so a program that prints its tensors is
    captured as the same program without the prints: the same events, in the
    same order, with the same values. The profiler does see the formatting's
    operators: `test_recorded_detaches_are_the_ones_pytorch_runs_without_the_capture`
    leaves out the detaches inside it."""
    source = (REPO / program_path("printed_tensors")).read_text()
    silent_source, prints = re.subn(r"^( *)print\(.*\)$", r"\1pass", source, flags=re.MULTILINE)
    assert prints == 7
    silent = tmp_path / "printed_tensors_silent.py"
    silent.write_text(silent_source)
    printed = captures.reader("printed_tensors")
    out = tmp_path / "silent.ftr"
    result = ft_capture.capture_program(str(silent), str(out), "all", False)
    assert result.status == ft_capture.EXIT_OK, result.message
    quiet = ftr.TraceReader(str(out))
    assert [(e.name, e.payload) for e in printed.events] == [(e.name, e.payload) for e in quiet.events]
    assert [d for d, _ in printed.blob_entries] == [d for d, _ in quiet.blob_entries]
