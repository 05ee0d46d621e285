"""Saved-tensor hooks (format 1.3, FORMAT.md §3.2 kind 20, §3.4.5): the
non-reentrant checkpoint's scopes and unpacks as the capture writes them."""

from __future__ import annotations

import ftr


def _events(captures, name: str) -> list:
    return list(captures.reader(name).events)


def test_each_scope_is_entered_then_left(captures):
    events = _events(captures, "nonreentrant_checkpoint")
    scopes = [e.payload for e in events if e.name == "saved_tensors_hooks"]
    # The checkpoint's scope in forward; the recomputation's inside the unpack.
    assert [enter for _, enter in scopes] == [True, False, True, False]
    assert scopes[0][0] == scopes[1][0] and scopes[2][0] == scopes[3][0] != scopes[0][0]


def test_the_first_unpack_recomputes_in_the_node_context(captures):
    events = _events(captures, "nonreentrant_checkpoint")
    begins = [i for i, e in enumerate(events) if e.name == "hook_begin"]
    ends = [i for i, e in enumerate(events) if e.name == "hook_end"]
    assert len(begins) == len(ends) >= 1
    first, last = begins[0], ends[0]
    hook, node, args = events[first].payload
    assert args == []
    inner = events[first + 1 : last]
    ops = [e.payload for e in inner if e.name == "op"]
    # (t * 2).sin() again, with grad mode on, up to the last tensor the
    # block saved (sin saves its input): the mul and its node, no sin.
    assert [op[0] for op in ops if op[0] != "aten.detach.default"] == ["aten.mul.Tensor"]
    assert all(op[5] == ftr.context(ftr.CTX_NODE, node) for op in ops)
    assert any(e.name == "node" for e in inner)
    modes = [e.payload[0] for e in inner if e.name == "grad_mode"]
    assert modes[:2] == [False, True]
    # The node's formula uses what the unpack returned.
    result = events[last].payload[1]
    after = [e.payload for e in events[last + 1 :] if e.name == "op"]
    used = {v[1][0] for op in after[:1] for _, v in op[3] if v[0] == ftr.TAG_TENSOR}
    assert result[0] in used


def test_unpacks_without_program_code_are_bracketed_too(captures):
    events = _events(captures, "corpus/checkpoint_nonreentrant")
    begins = [e for e in events if e.name == "hook_begin"]
    with_ops = 0
    for i, e in enumerate(events):
        if e.name == "hook_begin":
            j = next(k for k in range(i + 1, len(events)) if events[k].name == "hook_end")
            with_ops += any(x.name == "op" for x in events[i + 1 : j])
    # Two blocks, three steps: one recomputation per block and step.
    assert with_ops == 6
    assert len(begins) > with_ops


def test_a_clone_before_a_mutation_on_a_saved_tensor_runs_below_autograd(captures):
    # allow_mutation_on_saved_tensors: its mode clones the saved `a` inside
    # its handler (no Autograd key, no node); the mutation itself goes
    # through autograd; the unpack hook returns the clone, which
    # SavedVariable detaches in the node (PyTorch runs that detach without
    # the capture too).
    events = _events(captures, "mutation_on_saved")
    ops = [(i, e.payload) for i, e in enumerate(events) if e.name == "op"]
    clones = [(i, p) for i, p in ops if p[0] == "aten.clone.default"]
    assert len(clones) == 1
    i, clone = clones[0]
    assert clone[1] == ["BackendSelect", "CPU"]
    assert events[i + 1].name == "op" and events[i + 1].payload[0] == "aten.mul_.Tensor"
    assert "AutogradCPU" in events[i + 1].payload[1]
    nodes = [e.payload[1] for e in events if e.name == "node"]
    assert "CloneBackward0" not in nodes
    backward_ops = [p[0] for _, p in ops if p[5][0] == ftr.CTX_NODE]
    assert "aten.detach.default" in backward_ops[: backward_ops.index("aten.cos.default")]
    hook_ends = [e.payload for e in events if e.name == "hook_end"]
    assert [r[0] for _, r in hook_ends] == [clone[4][0][1][0]]


def test_an_early_stop_in_an_output_pack_keeps_the_ops_node(captures):
    # The recomputed layer norm's output got its grad_fn before the pack of
    # its statistics raised: the trace shows it requiring grad, then its
    # node, inside the recomputation scope.
    events = _events(captures, "checkpoint_stop_in_output_pack")
    begin = next(i for i, e in enumerate(events) if e.name == "hook_begin")
    end = next(i for i, e in enumerate(events) if e.name == "hook_end")
    inner = events[begin + 1 : end]
    k = next(i for i, e in enumerate(inner) if e.name == "op" and e.payload[0] == "aten.native_layer_norm.default")
    outputs = [v[1] for v in inner[k].payload[4]]
    assert [ref[7] for ref in outputs] == [True, False, False]
    node = inner[k + 1]
    assert node.name == "node" and node.payload[1] == "NativeLayerNormBackward0"
    assert node.payload[4] == [outputs[0][0]]
    assert inner[k + 2].name == "saved_tensors_hooks" and inner[k + 2].payload[1] is False
