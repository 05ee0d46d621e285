"""Capture fidelity: true exit statuses, other threads, DataLoader worker
processes, values the trace cannot hold, and grad-mode state PyTorch changes
without an operator (docs/CAPTURE.md §5.3, §5.4, §10)."""

from __future__ import annotations

import os
import re
import signal
import threading

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import ft_capture
import ftr
from conftest import events_named, ops, program_path, run_cli

# -- endings ------------------------------------------------------------------------------------


def capture_cli(tmp_path, name: str, *program_args: str):
    """`(completed process, trace path)` of a command-line capture."""
    out = tmp_path / f"{name}.ftr"
    extra = ["--", *program_args] if program_args else []
    return run_cli(program_path(name), "-o", str(out), "--zero-timestamps", *extra), out


def test_os_exit_with_a_status_finishes_the_trace_with_exit_3(tmp_path):
    run, out = capture_cli(tmp_path, "os_exit")
    assert run.returncode == 3
    assert run.stderr == f"capture_torch.py: the program called os._exit(7); trace written to {out}\n"
    assert not os.path.exists(str(out) + ".partial")
    reader = ftr.TraceReader(str(out))  # strict: a finished trace
    assert sum(1 for p in ops(reader) if p[0] == "aten.mul.Tensor") == 50
    assert reader.events[-1].name == "program_error" and reader.events[-1].payload == ["os._exit(7)"]


def test_os_exit_0_finishes_the_trace_with_exit_0(tmp_path):
    run, out = capture_cli(tmp_path, "os_exit_zero")
    assert run.returncode == 0
    assert run.stderr == f"capture_torch.py: the program called os._exit(0); trace written to {out}\n"
    reader = ftr.TraceReader(str(out))
    assert reader.events[-1].name == "graph_task_end"
    assert not events_named(reader, "program_error")


def test_os_exit_inside_backward_leaves_a_partial_with_exit_4(tmp_path):
    run, out = capture_cli(tmp_path, "os_exit_in_backward")
    assert run.returncode == 4
    assert re.fullmatch(r"capture_torch\.py: error: unsupported: the program called os\._exit\(0\) inside backward\(\)[^\n]*\n", run.stderr)
    assert not out.exists() and os.path.exists(str(out) + ".partial")


def test_os_exit_on_another_thread_leaves_a_partial_with_exit_4(tmp_path):
    run, out = capture_cli(tmp_path, "os_exit_thread")
    assert run.returncode == 4
    assert run.stderr == (
        "capture_torch.py: error: unsupported: thread 'watchdog' called os._exit(0) while the main thread ran; "
        "the trace is left unfinished\n"
    )
    assert not out.exists() and os.path.exists(str(out) + ".partial")


def test_os_exit_with_a_bad_status_raises_and_the_program_goes_on(captures):
    result, _ = captures.get("os_exit_bad_status")
    assert result.status == ft_capture.EXIT_OK, result.message
    assert [p[0] for p in ops(captures.reader("os_exit_bad_status"))] == ["aten.ones.default", "aten.add.Tensor"]


def test_sys_exit_with_a_status_says_so_in_one_line(tmp_path):
    run, out = capture_cli(tmp_path, "exit_nonzero")
    assert run.returncode == 3
    assert run.stderr == f"capture_torch.py: the program exited with status 5 (sys.exit); trace written to {out}\n"
    assert ftr.TraceReader(str(out)).events[-1].payload == ["SystemExit: 5"]


def test_a_forked_child_returning_from_the_program_writes_nothing(tmp_path):
    run, out = capture_cli(tmp_path, "fork_returns")
    assert run.returncode == 0 and run.stderr == ""
    assert [p[0] for p in ops(ftr.TraceReader(str(out)))] == ["aten.ones.default", "aten.add.Tensor"]


def test_a_killed_capture_exits_with_the_signal_and_no_finished_trace(tmp_path):
    run, out = capture_cli(tmp_path, "sigkill")
    assert run.returncode == -signal.SIGKILL
    assert not out.exists() and os.path.exists(str(out) + ".partial")


@pytest.mark.parametrize("name", ["os_exit", "os_exit_zero", "exit_nonzero", "raises", "fork_returns", "thread_ops", "set_storage"])
def test_exit_0_or_3_if_and_only_if_the_trace_was_written(tmp_path, name):
    run, out = capture_cli(tmp_path, name)
    assert run.returncode in (0, 3, 4)
    assert out.exists() == (run.returncode in (0, 3))
    assert os.path.exists(str(out) + ".partial") == (run.returncode == 4)


# -- threads ------------------------------------------------------------------------------------


def test_dispatch_modes_are_per_thread():
    """Observed in torch 2.15: a mode entered on one thread does not see
    another thread's operators, nor the backward another thread runs."""
    seen: list = []

    class Spy(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append((threading.current_thread().name, str(func)))
            return func(*args, **(kwargs or {}))

    a = torch.ones(2, requires_grad=True)
    with Spy():
        loss = (a * 2).sum()
        seen.clear()
        for target in (lambda: torch.ones(2) + 1, loss.backward):
            t = threading.Thread(target=target, name="other")
            t.start()
            t.join()
    assert seen == []
    assert a.grad is not None


@pytest.mark.parametrize(
    "name, what",
    [
        ("thread_ops", "thread 'side-worker' ran aten.ones.default"),
        ("thread_pool", "thread 'pool_0' ran aten.mul.Tensor"),
        ("thread_backward", "thread 'bw' ran aten.ones_like.default"),
        ("thread_seed", "thread 'seeder' called torch.manual_seed"),
    ],
)
def test_torch_work_on_another_thread_is_refused_with_exit_4(captures, name, what):
    result, out = captures.get(name)
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert result.message.startswith(f"unsupported: {what}; the capture records the main thread only")
    assert "call the function directly" in result.message
    assert not out.exists() and os.path.exists(str(out) + ".partial")


def test_a_thread_refusal_is_one_line(tmp_path):
    run, _ = capture_cli(tmp_path, "thread_ops")
    assert run.returncode == 4
    assert re.fullmatch(r"capture_torch\.py: error: unsupported: thread 'side-worker' ran aten\.ones\.default;[^\n]+\n", run.stderr)


def test_threads_without_torch_operators_are_not_refused(captures):
    result, _ = captures.get("thread_quiet")
    assert result.status == ft_capture.EXIT_OK, result.message
    reader = captures.reader("thread_quiet")
    assert len(events_named(reader, "backward")) == 3


def test_the_thread_wrapper_is_removed_after_the_capture(captures):
    captures.get("thread_quiet")
    assert threading.Thread._bootstrap_inner.__module__ == "threading"


# -- values the program did not compute --------------------------------------------------------


def test_a_value_the_trace_cannot_hold_names_the_op_and_the_argument(captures):
    result, _ = captures.get("set_storage")
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert result.message.startswith(
        "unsupported: aten.set_.source_Storage_storage_offset: argument 'source' is a UntypedStorage, which a trace cannot hold"
    )


def test_a_conjugate_view_introduced_without_an_operator_is_refused_by_name(captures):
    """`nn.Parameter(z.conj())` introduces a tensor with the conjugate bit,
    which a tensor reference cannot hold: replayed, it would compute with
    the unconjugated elements, so the capture refuses it (exit 4)."""
    result, _ = captures.get("conj_parameter")
    assert result.status == ft_capture.EXIT_INCONSISTENT, result.message
    assert result.message.startswith("unsupported: a conjugate-bit view that no recorded operator made")


def test_swapping_a_recorded_tensor_is_refused_by_name(captures):
    """`swap_tensors` refuses tensors with weak references, and the capture
    holds one to every tensor it recorded: the conversion that works without
    the capture is refused (exit 4), not turned into a program error."""
    result, _ = captures.get("swap_module_params")
    assert result.status == ft_capture.EXIT_INCONSISTENT, result.message
    assert result.message.startswith("unsupported: torch.utils.swap_tensors of a tensor the capture has recorded")


def test_tensors_read_by_torch_load_are_introduced_with_their_values(captures):
    reader = captures.reader("torch_load")
    assert not [p for p in ops(reader) if p[0].startswith("aten.set_")]
    intros = [p for p in events_named(reader, "tensor") if not p[1]]
    loaded = {tuple(ref[2]): ref for ref, _ in intros}
    assert set(loaded) >= {(2, 3), (2,)}
    assert all(ref[9] is not None for ref in loaded.values())


def test_deepcopied_tensors_are_introduced_with_their_values(captures):
    """`copy.deepcopy` of a plain tensor (BatchNorm buffers of a target
    network or an EMA model, a `state_dict()` snapshot) copies its storage
    outside the dispatcher and `set_`s it: the copy runs unobserved and each
    copied tensor is introduced with its value and version 1 where an op first
    names it; parameters copy themselves with a recorded `clone`."""
    reader = captures.reader("corpus/model_copies")
    names = [p[0] for p in ops(reader)]
    assert not [n for n in names if n.startswith("aten.set_")]
    assert "aten.clone.default" in names
    copies = [ref for ref, alias in events_named(reader, "tensor") if not alias and ref[8] == 1]
    assert copies and all(ref[9] is not None for ref in copies)
    assert {tuple(ref[2]) for ref in copies} >= {(16,), ()}  # running statistics, num_batches_tracked


def test_pad_packed_sequence_lengths_are_introduced_with_their_values(captures):
    """`_pad_packed_sequence` stores its lengths through a pointer into an
    `empty` tensor: the program gets an unobserved copy, introduced with its
    value (int64, version 0) where `index.Tensor` reorders it."""
    reader = captures.reader("corpus/model_copies")
    lengths = [ref for ref, alias in events_named(reader, "tensor") if not alias and ref[1] == "int64" and ref[2] == [4]]
    assert lengths and all(ref[8] == 0 and ref[9] is not None for ref in lengths)


def test_dataloader_worker_batches_are_introduced_with_their_values(captures):
    """Batches arrive from the workers through shared memory: rebuilt with
    `empty` + `set_` (version 1), which are not events; each batch tensor is
    introduced with its value where the loop first uses it."""
    reader = captures.reader("corpus/dataloader_workers")
    names = [p[0] for p in ops(reader)]
    assert "aten.set_.source_Storage_storage_offset" not in names
    batches = [ref for ref, alias in events_named(reader, "tensor") if not alias and ref[2] in ([4, 5], [4])]
    assert len(batches) == 2 * 3 * 2  # two epochs of three batches (inputs, labels)
    assert all(ref[8] == 1 and ref[9] is not None for ref in batches)


def test_worker_views_of_one_storage_are_refused_by_name(captures):
    result, _ = captures.get("dataloader_views")
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert result.message.startswith("unsupported: two tensors rebuilt over one storage that no recorded op wrote")
    assert "shape [3] at offset" in result.message and "`.clone()`" in result.message


def test_tensors_shared_with_other_processes_are_refused_by_name(captures):
    result, _ = captures.get("share_memory")
    assert result.status == ft_capture.EXIT_INCONSISTENT
    assert result.message.startswith("unsupported: Tensor.share_memory_() (nn.Module.share_memory, Hogwild training)")


def test_the_worker_start_method_does_not_change_the_trace(tmp_path):
    def events(method: str) -> list:
        run, out = capture_cli(tmp_path, "dataloader_spawn", method)
        assert run.returncode == 0, run.stderr
        return [(e.name, e.payload) for e in ftr.TraceReader(str(out)).events]

    fork = events("fork")
    assert fork == events("spawn")
    assert sum(1 for name, _ in fork if name == "backward") == 2


# -- grad-mode state ----------------------------------------------------------------------------


class Calls(TorchDispatchMode):
    """The operators a dispatch mode sees."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.names.append(str(func))
        return func(*args, **(kwargs or {}))


def test_a_view_dropped_at_once_has_its_base_version(captures):
    """`torch.save(m.state_dict())` detaches every parameter and drops the
    results before the next op: each detach output shows version 0 to the
    mode and gets its base's counter (version 1 after `uniform_`) after."""
    reader = captures.reader("torch_load")
    detaches = [p for p in ops(reader) if p[0] == "aten.detach.default"]
    assert detaches
    for p in detaches:
        self_ref, out_ref = p[3][0][1][1], p[4][0][1]
        assert out_ref[8] == self_ref[8]


def test_detach_in_place_never_reaches_a_dispatch_mode():
    """Observed in torch 2.15: `detach_`'s Autograd kernel changes autograd
    metadata and returns; the capture polls it (a tensor with history that
    became a leaf)."""
    x = torch.randn(3, requires_grad=True)
    h = x * 2
    with Calls() as calls:
        h.detach_()
    assert calls.names == [] and h.is_leaf and not h.requires_grad


def test_detach_in_place_is_a_set_requires_grad_false_before_the_next_op(captures):
    reader = captures.reader("detach_in_place")
    events = [(e.name, e.payload) for e in reader.events]
    mul = next(i for i, (name, p) in enumerate(events) if name == "op" and p[0] == "aten.mul.Tensor")
    h = events[mul][1][4][0][1][0]
    mul_ = next(i for i, (name, p) in enumerate(events) if name == "op" and p[0] == "aten.mul_.Tensor")
    assert ("set_requires_grad", [h, False]) in events[mul + 1 : mul_]
    self_ref = events[mul_][1][3][0][1][1]
    assert self_ref[0] == h and self_ref[7] is False
    # No node for the in-place op on the detached tensor.
    assert events[mul_ + 1][0] != "node"


def test_detach_in_place_then_requires_grad_writes_false_then_true(captures):
    """`h.detach_().requires_grad_()` between two ops: the poll sees a leaf
    that requires grad where a tensor with history was, and writes both
    changes, so a replayer detaches `h` before flagging it (a flag alone
    would leave its grad_fn)."""
    reader = captures.reader("detach_in_place_regrad")
    events = [(e.name, e.payload) for e in reader.events]
    mul = next(i for i, (name, p) in enumerate(events) if name == "op" and p[0] == "aten.mul.Tensor")
    h = events[mul][1][4][0][1][0]
    flags = [p for name, p in events if name == "set_requires_grad" and p[0] == h]
    assert flags == [[h, False], [h, True]]
    # h * h records a new AccumulateGrad (h's), not an edge into x * 2.
    nodes = [p[1] for name, p in events if name == "node"]
    assert nodes == ["AccumulateGrad", "MulBackward0", "AccumulateGrad", "MulBackward0", "SumBackward0"]


def test_under_inference_mode_a_mode_sees_composites_whole():
    """Observed in torch 2.15: with the Autograd keys excluded, `linear`
    reaches the Python key undecomposed; with grad mode off (`no_grad`) it
    still decomposes at AutogradCPU."""
    lin = torch.nn.Linear(2, 3)
    x = torch.ones(1, 2)
    with torch.inference_mode(), Calls() as calls:
        lin(x)
    assert calls.names == ["aten.linear.default"]
    with torch.no_grad(), Calls() as calls:
        lin(x)
    assert calls.names == ["aten.t.default", "aten.addmm.default"]


def test_grad_modes_records_each_state_change(captures):
    reader = captures.reader("corpus/grad_modes")
    modes = [tuple(p) for p in events_named(reader, "grad_mode")]
    assert (False, False) in modes and (False, True) in modes and (True, False) in modes
    linear = [p for p in ops(reader) if p[0] == "aten.linear.default"]
    assert linear and all(p[2][-1] == ["CPU", "math"] for p in linear)


def test_the_size_one_leaf_of_the_issue_captures(tmp_path):
    program = tmp_path / "size_one.py"
    program.write_text("import torch\nx = torch.ones(1, requires_grad=True)\n(x * 2).sum().backward()\n")
    out = tmp_path / "size_one.ftr"
    result = ft_capture.capture_program(str(program), str(out), "all", False)
    assert result.status == ft_capture.EXIT_OK, result.message
    reader = ftr.TraceReader(str(out))
    (accumulate,) = events_named(reader, "accumulate")
    grad = accumulate[2]
    assert grad[2] == [1] and grad[9] is not None
    assert reader.blob(bytes(grad[9])).data == torch.tensor([2.0]).numpy().tobytes()


def test_a_distributed_collective_is_refused_with_what_to_do_instead(tmp_path):
    run, _ = capture_cli(tmp_path, "distributed_collective")
    assert run.returncode == 4, run.stderr
    line = run.stderr.strip().splitlines()[-1]
    assert line.startswith("capture_torch.py: error: unsupported: c10d.allreduce_.default: argument "), line
    assert "is a ScriptObject, which a trace cannot hold (torch.distributed collectives are not recorded: " in line, line
