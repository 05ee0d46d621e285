"""Double backward as the capture records it (CAPTURE.md §6.3), checked
against real PyTorch: with `create_graph=True` the ops a backward formula
dispatches record nodes of their own, in context `[2, node]`, each node event
right after its op, numbered by the program's sequence counter."""

from __future__ import annotations

import torch

import ft_capture
from conftest import events_named, ops


def _ctx_node_names(reader) -> dict:
    """node id → name."""
    return {p[0]: p[1] for p in events_named(reader, "node")}


def test_the_issue_program_captures_and_copies_the_gradient_with_history(captures):
    result, _ = captures.get("corpus/double_backward")
    assert result.status == ft_capture.EXIT_OK, result.message
    reader = captures.reader("corpus/double_backward")
    names = _ctx_node_names(reader)
    events = reader.events
    # AccumulateGrad under grad mode: new_empty_strided, then copy_ whose
    # node CopyBackwards has edges [nil (the fresh buffer), the gradient's node].
    for i, e in enumerate(events):
        if e.name == "op" and e.payload[0] == "aten.copy_.default" and e.payload[5][0] == 2:
            assert names[e.payload[5][1]] == "AccumulateGrad"
            assert events[i - 1].payload[0] == "aten.new_empty_strided.default"
            node = events[i + 1]
            assert node.name == "node" and node.payload[1] == "CopyBackwards"
            assert node.payload[3][0] == [None, 0]
            break
    else:
        raise AssertionError("no copy_ inside AccumulateGrad")


def test_backward_time_nodes_follow_their_op_and_continue_the_sequence(captures):
    reader = captures.reader("corpus/double_backward")
    events = reader.events
    seen_backward_node = False
    last_seq = -1
    for i, e in enumerate(events):
        if e.name != "node" or e.payload[1] == "AccumulateGrad":
            continue
        seq_nr = e.payload[2]
        assert seq_nr == last_seq + 1, f"sequence numbers skip at event {e.seq}"
        last_seq = seq_nr
        op = next(p for p in reversed(events[:i]) if p.name == "op")
        if op.payload[5][0] == 2:
            seen_backward_node = True
    assert seen_backward_node


def test_double_backward_nodes_are_named_as_pytorch_names_them(captures):
    names = set(_ctx_node_names(captures.reader("corpus/double_backward")).values())
    names |= set(_ctx_node_names(captures.reader("corpus/double_backward_higher")).values())
    for expected in [
        "TanhBackwardBackward0",
        "SigmoidBackwardBackward0",
        "ThresholdBackwardBackward0",
        "LeakyReluBackwardBackward0",
        "MseLossBackwardBackward0",
        "GeluBackwardBackward0",
        "SoftplusBackwardBackward0",
        "EluBackwardBackward0",
        "LogSoftmaxBackwardDataBackward0",
        "NllLossBackwardBackward0",
        "CopyBackwards",
    ]:
        assert expected in names


def test_a_second_create_graph_backward_adds_out_of_place(captures):
    reader = captures.reader("double_backward_accumulate")
    names = _ctx_node_names(reader)
    in_accumulate = [
        p[0] for p in ops(reader) if p[5][0] == 2 and names.get(p[5][1]) == "AccumulateGrad"
    ]
    # First create_graph backward copies, second adds out of place, the
    # last plain backward adds in place.
    assert in_accumulate == [
        "aten.new_empty_strided.default",
        "aten.copy_.default",
        "aten.add.Tensor",
        "aten.add_.Tensor",
    ]


def test_pytorch_gives_grad_mode_gradients_their_history():
    """Uncaptured torch 2.15: what the capture records is what PyTorch does."""
    torch.manual_seed(0)
    x = torch.randn(3, requires_grad=True)
    (x.tanh() ** 3).sum().backward(create_graph=True)
    # A hand-written node: the capture drops the C++ namespace (CAPTURE.md §6.1).
    assert x.grad.grad_fn.name() == "torch::autograd::CopyBackwards"
    assert x.grad.grad_fn.next_functions[0] == (None, 0)
    assert x.grad.grad_fn.next_functions[1][0].name() == "TanhBackwardBackward0"
    first = x.grad
    x.exp().sum().backward(create_graph=True)
    assert x.grad is not first
    assert x.grad.grad_fn.name() == "AddBackward0"
    x.grad = None


def _node_ops(reader, name: str) -> list:
    """The op names run in the context of each node called `name`."""
    names = _ctx_node_names(reader)
    runs: dict = {}
    for p in ops(reader):
        ctx = p[5]
        if ctx[0] == 2 and names.get(ctx[1]) == name:
            runs.setdefault(ctx[1], []).append(p[0])
    return list(runs.values())


def test_masked_convolution_backward_results_keep_their_output_numbers(captures):
    reader = captures.reader("corpus/double_backward_conv")
    names = _ctx_node_names(reader)
    events = reader.events
    for i, e in enumerate(events):
        if e.name != "op" or e.payload[0] != "aten.convolution_backward.default":
            continue
        args = dict((n, v) for n, v in e.payload[3])
        if args["output_mask"][1][0][1] is not False or e.payload[5][0] != 2:
            continue
        node = events[i + 1]
        if node.name != "node" or node.payload[1] != "ConvolutionBackwardBackward0":
            continue
        # The undefined input gradient keeps output number 0: the weight and
        # bias gradients' CopyBackwards point at outputs 1 and 2.
        copies = [
            p for p in events_named(reader, "node") if p[1] == "CopyBackwards" and p[3][1][0] == node.payload[0]
        ]
        assert sorted(c[3][1][1] for c in copies) == [1, 2]
        assert names[node.payload[0]] == "ConvolutionBackwardBackward0"
        return
    raise AssertionError("no masked convolution_backward under create_graph")


def test_pooling_double_backward_makes_zeros_from_the_inputs_sizes(captures):
    reader = captures.reader("corpus/double_backward_pool")
    max_runs = _node_ops(reader, "MaxPool2DWithIndicesBackwardBackward0")
    assert [
        "aten.view.default",
        "aten.view.default",
        "aten.gather.default",
        "aten.view.default",
        "aten.zeros.default",
    ] in max_runs
    assert ["aten.avg_pool2d.default", "aten.zeros.default"] in _node_ops(reader, "AvgPool2DBackwardBackward0")


def test_an_operator_without_a_formula_records_pytorchs_fallback_node(captures):
    reader = captures.reader("corpus/double_backward_attention")
    nodes = events_named(reader, "node")
    fallback = [p for p in nodes if p[1] == "NotImplemented"]
    assert len(fallback) == 1
    node = fallback[0]
    assert node[2] == 2**64 - 1  # no sequence number
    assert all(edge[0] is not None for edge in node[3])  # only inputs that require grad
    # The node takes no number: the numbered nodes around it stay consecutive.
    numbered = [p[2] for p in nodes if p[2] != 2**64 - 1]
    assert numbered == list(range(len(numbered)))
    errors = events_named(reader, "graph_task_error")
    assert errors and "derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward" in errors[0][0]
