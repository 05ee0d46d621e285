"""Custom autograd.Functions: `apply` as api `function` then its node,
the program's backward in the node's context closed by `node_result`
(FORMAT.md §3.4.3)."""

from __future__ import annotations

import torch

import ft_capture
import ftr
from conftest import events_named


def _events(captures, name: str) -> list:
    return captures.reader(name).events


def test_function_event_precedes_its_node_and_names_tensor_arguments(captures):
    events = _events(captures, "corpus/custom_function")
    functions = [(i, e) for i, e in enumerate(events) if e.name == "function"]
    assert [e.payload[0] for _, e in functions[:3]] == ["RoundSTEBackward", "ScaleBackward", "MulAddBackward"]
    # The last apply (under no_grad) makes no node.
    for i, e in functions[:-1]:
        name, inputs, outputs = e.payload
        node = events[i + 1]
        assert node.name == "node" and node.payload[1] == name
        # One next edge per tensor argument (Scale's float factor has none).
        assert len(node.payload[3]) == len(inputs)
        # Attached to every output but the one marked non-differentiable.
        expected = outputs[:1] if name == "ScaleWithArgmaxBackward" else outputs
        assert node.payload[4] == expected


def test_forward_ops_run_with_grad_mode_off_and_return_tensors_without_history(captures):
    events = _events(captures, "corpus/custom_function")
    i = next(i for i, e in enumerate(events) if e.name == "function" and e.payload[0] == "ScaleBackward")
    outputs = events[i].payload[2]
    op = next(e for e in reversed(events[:i]) if e.name == "op")
    assert op.payload[0] == "aten.mul.Tensor" and op.payload[5] == ftr.context(ftr.CTX_TOP_LEVEL)
    out_ref = op.payload[4][0][1]
    assert out_ref[0] == outputs[0] and out_ref[7] is False
    modes = [e.payload for e in events[:i] if e.name == "grad_mode"]
    assert modes[-2:] == [[False, False], [True, False]]


def test_backward_ops_are_in_the_node_context_and_end_with_node_result(captures):
    events = _events(captures, "corpus/custom_function")
    results = [(i, e) for i, e in enumerate(events) if e.name == "node_result"]
    assert len(results) == 18  # six Functions, three steps
    for i, e in results:
        nid, grads, returned = e.payload
        pop = max(j for j in range(i) if events[j].name == "pop" and events[j].payload[0] == nid)
        for inside in events[pop + 1 : i]:
            # State changes are written before the program's ops.
            if inside.name in ("grad_mode", "release"):
                continue
            assert inside.name == "op" and inside.payload[5] == ftr.context(ftr.CTX_NODE, nid)
        node = next(n for n in events if n.name == "node" and n.payload[0] == nid)
        assert len(returned) == len(node.payload[3])
        assert all(r is None or r[9] is None for r in grads + returned)


def test_every_apply_is_a_function_event_with_or_without_a_node(captures):
    """Observed in torch 2.15: every apply takes a sequence number, even
    under no_grad, where it attaches no node."""
    events = captures.reader("corpus/custom_function").events
    names = [p[0] for p in events_named(captures.reader("corpus/custom_function"), "function")]
    assert names.count("ScaleBackward") == 4
    last = max(i for i, e in enumerate(events) if e.name == "function")
    assert events[last + 1].name != "node"


def test_apply_is_unwrapped_after_a_capture(captures):
    captures.reader("corpus/custom_function")
    # Observed in torch 2.15: `Function.apply` is `_FunctionBase`'s C method.
    assert not isinstance(torch.autograd.Function.__dict__["apply"], classmethod)

    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = torch.ones(2, requires_grad=True)
    y = Twice.apply(x)
    assert y.grad_fn.name() == "TwiceBackward"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_a_backward_inside_a_function_backward_is_a_nested_graph_task(captures):
    result, _ = captures.get("reentrant_checkpoint")
    assert result.status == 0
    events = captures.reader("reentrant_checkpoint").events
    begins = [(i, e) for i, e in enumerate(events) if e.name == "graph_task_begin"]
    assert [e.payload[1] for _, e in begins] == [0, 1]
    inner = begins[1][0]
    # The nested backward follows the recomputation inside the outer node.
    call = events[inner - 1]
    assert call.name == "backward"
    end = next(i for i in range(inner, len(events)) if events[i].name == "graph_task_end")
    assert events[end + 1].name == "node_result"
    for e in events[inner:end]:
        if e.name in ("push", "pop"):
            assert e.payload[1] == 1
    # Grad mode inside the Function's backward: off, on for the
    # recomputation, off again for the nested backward.
    pop = max(i for i in range(inner) if events[i].name == "pop")
    modes = [e.payload[0] for e in events[pop:inner] if e.name == "grad_mode"]
    assert modes == [False, True, False]


def test_saved_tensor_hooks_are_recorded(captures):
    # Once refused by name; now recorded (test_saved_hooks.py).
    result, out = captures.get("nonreentrant_checkpoint")
    assert result.status == ft_capture.EXIT_OK, result.message
    assert out.exists()


def test_a_dirty_output_is_recorded_at_the_version_its_op_returned(captures):
    """`x.add_(0.5); ctx.mark_dirty(x)`: `add_` returned version v + 1,
    `apply` bumps it once more (observed in torch 2.15): the next op sees
    v + 2."""
    events = _events(captures, "corpus/custom_function")
    i = next(i for i, e in enumerate(events) if e.name == "function" and e.payload[0] == "ShiftInplaceBackward")
    add = next(e for e in reversed(events[:i]) if e.name == "op")
    assert add.payload[0] == "aten.add_.Tensor"
    before = add.payload[3][0][1][1][8]
    assert add.payload[4][0][1][8] == before + 1
    after = next(e for e in events[i:] if e.name == "op")
    assert after.payload[3][0][1][1][8] == before + 2


def test_a_backward_that_begins_with_enable_grad_writes_the_grad_mode(captures):
    # The engine runs the node with grad mode off (create_graph=False); the
    # program turns it on first thing, which is also the top level's mode:
    # still a change, written before the run's first op.
    events = captures.reader("corpus/function_backward_recompute").events
    names = {e.payload[0]: e.payload[1] for e in events if e.name == "node"}
    first_run = next(i for i, e in enumerate(events) if e.name == "pop" and names.get(e.payload[0]) == "RecomputedGatedSiLUBackward")
    first_op = next(i for i in range(first_run, len(events)) if events[i].name == "op")
    modes = [e.payload for e in events[first_run:first_op] if e.name == "grad_mode"]
    assert modes == [[True, False]]
    # Its torch.autograd.grad is a nested GraphTask whose result is named.
    later = [e.name for e in events[first_op:]]
    assert later.index("grad") < later.index("grad_result") < later.index("node_result")
