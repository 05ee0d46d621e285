"""Autograd's anomaly mode in the trace (format 2.3, api `anomaly_mode`;
CAPTURE.md §6.9).

`torch.autograd.detect_anomaly()` / `set_detect_anomaly()` set global state
the capture polls with the other state changes. While it is on with
`check_nan`, PyTorch's engine runs `isnan`, `_is_any_true` and
`_local_scalar_dense` on every gradient a node returns, in the node's
context, and raises at the first NaN; the replayer gives the state to the
runtime, whose engine does the same.
"""

from __future__ import annotations

from conftest import events_named, ftr

CHECK = ["aten.isnan.default", "aten._is_any_true.default", "aten._local_scalar_dense.default"]


def test_each_change_is_written_once_before_the_next_call(captures):
    reader = captures.reader("anomaly_probe")
    assert events_named(reader, "anomaly_mode") == [
        [True, True],  # detect_anomaly()
        [False, True],  # left, seen at `.item()`
        [True, False],  # detect_anomaly(check_nan=False)
        [True, True],  # set_detect_anomaly(True)
        [False, True],  # set_detect_anomaly(False)
    ]


def node_names(reader: ftr.TraceReader) -> dict:
    return {e.payload[0]: e.payload[1] for e in reader.events if e.name == "node"}


def test_every_node_output_is_checked_after_the_node_ran_while_check_nan_is_on(captures):
    reader = captures.reader("anomaly_probe")
    names = node_names(reader)
    check_nan = False
    checked: list = []
    ops = []
    popped = None
    for e in reader.events:
        if e.name == "anomaly_mode":
            check_nan = e.payload[0] and e.payload[1]
        elif e.name == "graph_task_begin":
            popped = None
        elif e.name == "pop":
            ops = []
            popped = names[e.payload[0]]
        elif e.name == "op" and e.payload[5][0] == ftr.CTX_NODE:
            ops.append(e.payload[0])
            if e.payload[0] == CHECK[-1]:
                assert check_nan
                assert ops[-3:] == CHECK
                checked.append(names[e.payload[5][1]])
        elif e.name == "push" and check_nan and popped is not None:
            # A node that pushes a successor checked its defined outputs; what
            # may follow is the input buffers' sums, which get the checked
            # gradients.
            last = len(ops) - 1 - ops[::-1].index(CHECK[0]) if CHECK[0] in ops else -1
            assert last >= 0 and ops[last : last + 3] == CHECK, (popped, ops)
            assert all(op == "aten.add.Tensor" for op in ops[last + 3 :]), (popped, ops)
    # MmBackward0 checks only the gradient of `w` (x needs none);
    # AccumulateGrad returns nothing; GraphRoot checks both root gradients,
    # after its pop; check_nan=False checks nothing.
    assert checked == [
        "MseLossBackward0",
        "MmBackward0",
        "SumBackward0",
        "MmBackward0",
        "GraphRoot",
        "GraphRoot",
        "MeanBackward0",
        "SumBackward0",
        "MmBackward0",
        "SumBackward0",
        "MulBackward0",
        "SqrtBackward0",
    ]


def test_a_nan_ends_the_backward_with_pytorchs_error(captures):
    reader = captures.reader("anomaly_probe")
    errors = events_named(reader, "graph_task_error")
    assert errors == [["RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output."]]
    in_nodes = [e for e in reader.events if e.name == "op" and e.payload[5][0] == ftr.CTX_NODE]
    last_check = [e for e in in_nodes if e.payload[0] == CHECK[-1]][-1]
    assert last_check.payload[4] == [[ftr.TAG_BOOL, True]]


def test_header_says_2_3_only_with_an_anomaly_mode_event(captures):
    # Without values: a VIEW chunk (2.5) would say more than the events.
    _, with_event = captures.get("anomaly_probe", policy="none")
    assert ftr.TraceReader(str(with_event)).version == (2, 3)
    assert not events_named(captures.reader("corpus/tiny_mlp"), "anomaly_mode")
    assert ftr.TraceReader(str(captures.get("corpus/tiny_mlp", policy="none")[1])).version == (2, 0)


def test_the_event_round_trips_and_a_lower_minor_is_refused(tmp_path):
    path = tmp_path / "a.ftr"
    fw = ftr.FileTraceWriter(str(path), ftr.Meta("t", "p", "all", ()))
    fw.writer.append(ftr.API, ftr.API_AUTOCAST, ftr.p_autocast("cpu", True, "float16", False))
    assert fw.writer.minor_version == 1
    fw.writer.append(ftr.API, ftr.API_ANOMALY_MODE, ftr.p_anomaly_mode(True, False))
    assert fw.writer.minor_version == 3
    fw.finish()
    reader = ftr.TraceReader(str(path))
    assert reader.version == (2, 3)
    assert events_named(reader, "anomaly_mode") == [[True, False]]
    data = bytearray(path.read_bytes())
    data[10] = 2
    low = tmp_path / "low.ftr"
    low.write_bytes(bytes(data))
    try:
        ftr.TraceReader(str(low))
    except ftr.TraceError as e:
        assert "minor" in str(e)
    else:
        raise AssertionError("a 2.2 header over a 2.3 kind was accepted")
