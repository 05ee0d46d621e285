"""Errors as events (format 1.3): dispatch `op_error` for an operator that
raised inside the capture's dispatch mode, autograd `graph_task_error` for a
`backward()` that raised, `program_error` for the program's own exception.
Messages and placement are PyTorch's (observed in torch 2.15)."""

from __future__ import annotations

import ft_capture
from conftest import events_named, ftr, program_path, run_cli


def names(reader: ftr.TraceReader) -> list:
    return [e.name for e in reader.events]


def test_an_operator_that_raises_is_an_op_error_and_the_program_goes_on(captures):
    result, _ = captures.get("errors_probe")
    assert result.status == ft_capture.EXIT_OK, result.message
    reader = captures.reader("errors_probe")
    errors = events_named(reader, "op_error")
    assert len(errors) == 1
    op, keyset, chain, args, error, ctx = errors[0]
    assert op == "aten.mm.default"
    assert error == "RuntimeError: mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
    assert ctx == ftr.context(ftr.CTX_TOP_LEVEL)
    assert [name for name, _ in args] == ["self", "mat2"]
    assert keyset[0] == "AutogradCPU" and chain[-1] == ["CPU", "kernel"]
    # The program went on: a backward that completed follows.
    assert names(reader)[-1] in ("graph_task_end", "release")
    assert "graph_task_end" in names(reader)


def test_a_leaf_modified_in_place_is_not_seen_by_the_dispatch_mode(captures):
    """The autograd kernel raises before the call reaches the mode."""
    reader = captures.reader("errors_probe")
    assert not any(p[0] == "aten.mul_.Tensor" or p[0] == "aten.mul_.Scalar" for p in events_named(reader, "op"))
    assert all(p[0] == "aten.mm.default" for p in events_named(reader, "op_error"))


def test_a_backward_that_raises_ends_with_graph_task_error_after_the_node_that_raised(captures):
    events = captures.reader("errors_probe").events
    errors = [i for i, e in enumerate(events) if e.name == "graph_task_error"]
    assert len(errors) == 2
    version = events[errors[0]]
    assert version.payload[0].startswith(
        "RuntimeError: one of the variables needed for gradient computation has been modified by an "
        "inplace operation: [torch.FloatTensor [2, 3]], which is output 0 of Exp, is at version 1; "
        "expected version 0 instead. Hint: "
    )
    # Right after the pop of ExpBackward0: the node raised unpacking its
    # saved result, before any op.
    nodes = {e.payload[0]: e.payload[1] for e in events if e.name == "node"}
    before = events[errors[0] - 1]
    assert before.name == "pop" and nodes[before.payload[0]] == "ExpBackward0"
    # No graph_task_end for it: the next GraphTask event is another backward.
    after = [e.name for e in events[errors[0] + 1 :] if e.name.startswith("graph_task")]
    assert after[0] == "graph_task_error"
    # Before the engine: right after the api backward (and nothing between).
    no_grad = events[errors[1]]
    assert no_grad.payload == ["RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn"]
    assert events[errors[1] - 1].name == "backward"


def test_the_raising_program_still_ends_with_program_error(tmp_path):
    out = tmp_path / "raises.ftr"
    run = run_cli(program_path("raises"), "-o", str(out), "--zero-timestamps")
    assert run.returncode == ft_capture.EXIT_PROGRAM_ERROR
    reader = ftr.TraceReader(str(out))
    assert reader.events[-1].name == "program_error"
    assert reader.events[-1].payload == ["ValueError: boom"]
    assert "graph_task_error" not in names(reader) and "op_error" not in names(reader)


def test_a_corpus_program_that_raises_on_purpose_says_so(captures):
    from conftest import expected_capture_status

    assert expected_capture_status("corpus/raises_shape_error") == ft_capture.EXIT_PROGRAM_ERROR
    assert expected_capture_status("corpus/errors_caught") == ft_capture.EXIT_OK
    result, _ = captures.get("corpus/raises_shape_error")
    assert result.status == ft_capture.EXIT_PROGRAM_ERROR
    reader = captures.reader("corpus/raises_shape_error")
    last_op_error = events_named(reader, "op_error")[-1]
    assert reader.events[-1].payload == [last_op_error[4]]
