"""Sparse COO tensors recorded by the capture (format 2.4) by default, and
refused by name under the opt-out FT_CAPTURE_SPARSE=0."""

from __future__ import annotations

import pytest

import ftr
from conftest import REPO, program_path
from ft_capture import capture_program
from ft_capture.errors import SPARSE_SWITCH

# What a word2vec-style model does: a sparse embedding trained by SparseAdam
# (backward makes a sparse gradient; the step coalesces it, masks the
# moments with it and adds sparse updates into dense tensors), then SGD and
# Adagrad on sparse gradients and a graph convolution through sparse.mm.
PROGRAM = """
import torch, torch.nn as nn
torch.manual_seed(0)
emb = nn.Embedding(10, 3, sparse=True)
opt = torch.optim.SparseAdam(emb.parameters(), lr=0.1)
for step in range(2):
    loss = emb(torch.tensor([[1, 2, 1], [4, 2, 9]])).pow(2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
bag = nn.EmbeddingBag(8, 2, sparse=True, mode="mean")
sgd, ada = torch.optim.SGD(emb.parameters(), lr=0.1), torch.optim.Adagrad(bag.parameters(), lr=0.1)
loss = emb(torch.tensor([1, 3, 3])).sum() + bag(torch.tensor([1, 2, 4, 5, 4]), torch.tensor([0, 2])).pow(2).sum()
loss.backward()
sgd.step()
ada.step()
i = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
adj = torch.sparse_coo_tensor(i, torch.tensor([0.5, 0.5, 0.25, 0.25]), (3, 3)).coalesce()
x = torch.randn(3, 2, requires_grad=True)
torch.sparse.mm(adj, x).sum().backward()
"""


def capture(tmp_path, name: str) -> bytes:
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    out = tmp_path / f"{name}.ftr"
    result = capture_program(str(program), str(out), "all", timestamps=False)
    assert result.status == 0, result
    return out.read_bytes()


def test_with_the_opt_out_a_sparse_tensor_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv(SPARSE_SWITCH, "0")
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    result = capture_program(str(program), str(tmp_path / "t.ftr"), "all", timestamps=False)
    assert result.status == 4
    assert "aten._sparse_coo_tensor_with_dims_and_tensors.default makes a sparse_coo tensor" in result.message


@pytest.mark.parametrize(
    "name, message",
    [
        (
            "sparse_coo_factory",
            "unsupported: aten._sparse_coo_tensor_with_dims_and_tensors.default makes a sparse_coo tensor",
        ),
        ("sparse_to_sparse", "unsupported: aten._to_sparse.default takes or returns a sparse_coo tensor"),
    ],
)
def test_with_the_opt_out_sparse_programs_stop_with_exit_4(tmp_path, monkeypatch, name, message):
    """Under the opt-out, a sparse factory and `to_sparse()` stop the capture
    (exit 4, a `.partial` trace) naming the operator, in a process that has
    captured sparse tensors before (the derived dispatch keys depend on the
    switch)."""
    monkeypatch.delenv(SPARSE_SWITCH, raising=False)
    recorded = capture_program(program_path(name), str(tmp_path / "on.ftr"), "all", timestamps=False)
    assert recorded.status == 0, recorded
    monkeypatch.setenv(SPARSE_SWITCH, "0")
    out = tmp_path / "off.ftr"
    result = capture_program(program_path(name), str(out), "all", timestamps=False)
    assert result.status == 4
    assert result.message.startswith(message)
    assert not out.exists() and (tmp_path / "off.ftr.partial").exists()


def test_by_default_sparse_tensors_are_recorded_twice_alike(tmp_path, monkeypatch):
    monkeypatch.delenv(SPARSE_SWITCH, raising=False)
    first, second = capture(tmp_path, "a"), capture(tmp_path, "b")
    assert first == second
    reader = ftr.TraceReader(str(tmp_path / "a.ftr"))
    # with every value stored, a view of an earlier value makes it 2.5
    assert reader.version == (2, ftr.VIEW_MINOR if reader.holds_views else ftr.SPARSE_TENSOR_MINOR)
    ops = [e for e in reader.events if e.name == "op"]
    names = {e.payload[0] for e in ops}
    for op in ("_sparse_coo_tensor_with_dims_and_tensors", "_coalesce", "sparse_mask", "_values", "_sparse_addmm"):
        assert f"aten.{op}.default" in names
    # the capture's own reads of a sparse tensor's parts are not recorded:
    # AccumulateGrad's calls are PyTorch's (_indices, _values, _indices, clone)
    first_accumulate = next(e for e in reader.events if e.name == "accumulate")
    in_node = [e.payload[0] for e in ops if e.seq < first_accumulate.seq and e.payload[5][0] == ftr.CTX_NODE]
    assert in_node[-4:] == ["aten._indices.default", "aten._values.default", "aten._indices.default", "aten.clone.default"]
    # a sparse tensor's parts keep their ids: the accumulated gradient is
    # the clone's output, with the same indices and values
    clone = next(e for e in reversed(ops) if e.seq < first_accumulate.seq and e.payload[0] == "aten.clone.default")
    out = clone.payload[4][0][1]
    grad = first_accumulate.payload[2]
    assert grad[0] == out[0] and grad[10][4][0] == out[10][4][0] and grad[10][5][0] == out[10][5][0]
    assert grad[10][:4] == ["sparse_coo", 1, 1, False] and grad[10][4][9] is not None
    coalesced = next(e for e in ops if e.payload[0] == "aten._coalesce.default").payload[4][0][1]
    assert coalesced[10][3] is True and coalesced[10][4][2] == [1, 4]


@pytest.mark.parametrize("policy", ["stats", "none"])
def test_other_value_policies_record_sparse_tensors(tmp_path, monkeypatch, policy):
    monkeypatch.setenv(SPARSE_SWITCH, "1")
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    out = tmp_path / "t.ftr"
    assert capture_program(str(program), str(out), policy, timestamps=False).status == 0
    assert ftr.TraceReader(str(out)).version == (2, ftr.SPARSE_TENSOR_MINOR)


@pytest.mark.parametrize(
    "name, calls",
    [
        ("sparse_recommender", ["_coalesce", "sparse_mask", "_sparse_coo_tensor_with_dims_and_tensors", "add_"]),
        ("sparse_word2vec", ["_embedding_bag_backward", "_coalesce", "sparse_mask", "add_"]),
        ("sparse_gcn", ["_coalesce", "_sparse_addmm", "mm", "sparse_mask", "_values"]),
    ],
)
def test_the_sparse_programs_capture_twice_alike(tmp_path, monkeypatch, name, calls):
    """The programs a sparse corpus will replay (recommender with SparseAdam
    and Adam, word2vec with SGD and Adagrad, GCN through sparse.mm) capture,
    byte-identically, with the calls PyTorch makes on sparse tensors."""
    monkeypatch.setenv(SPARSE_SWITCH, "1")
    traces = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.ftr"
        assert capture_program(str(REPO / program_path(name)), str(out), "all", timestamps=False).status == 0
        traces.append(out.read_bytes())
    assert traces[0] == traces[1]
    reader = ftr.TraceReader(str(tmp_path / "a.ftr"))
    # with every value stored, a view of an earlier value makes it 2.5
    assert reader.version == (2, ftr.VIEW_MINOR if reader.holds_views else ftr.SPARSE_TENSOR_MINOR)
    recorded = {e.payload[0].split(".")[1] for e in reader.events if e.name == "op"}
    assert set(calls) <= recorded, set(calls) - recorded


# `to_dense` of a sparse tensor whose values require grad, in grad mode
# and in inference mode.
TO_DENSE = """
import torch
torch.manual_seed(0)
i = torch.tensor([[0, 1, 2, 1], [1, 2, 0, 1]])
w = torch.randn(4, requires_grad=True)
dense = torch.sparse_coo_tensor(i, w, (3, 3)).to_dense()
(dense @ torch.randn(3, 2)).sum().backward()
with torch.no_grad():
    s = torch.sparse_coo_tensor(i, w, (3, 3))
with torch.inference_mode():
    s.to_dense()
"""

_GRAD_WALK = (
    ["AutogradCPU", "ADInplaceOrView", "BackendSelect", "SparseCPU"],
    [["AutogradCPU", "autograd"], ["ADInplaceOrView", "fallthrough"], ["BackendSelect", "fallthrough"], ["SparseCPU", "kernel"]],
)


def test_to_dense_records_the_walk_pytorch_takes_unobserved(tmp_path, monkeypatch):
    """torch 2.15's Python kernel for `to_dense` at PythonTLSSnapshot (a key
    only a dispatch mode activates) takes no TLS snapshot; the capture
    derives `_to_dense`'s keyset from the state its caller entered with, as
    the dispatcher does without the capture: the autograd kernel runs (the
    profiler of an unobserved run shows `aten::_to_dense` numbered like its
    ToDenseBackward0), and in inference mode `to_dense` itself is seen whole,
    decomposing at SparseCPU."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    monkeypatch.delenv(SPARSE_SWITCH, raising=False)
    program = tmp_path / "program.py"
    program.write_text(TO_DENSE)
    out = tmp_path / "t.ftr"
    assert capture_program(str(program), str(out), "all", timestamps=False).status == 0
    ops = [e for e in ftr.TraceReader(str(out)).events if e.name == "op"]
    walks = [(e.payload[0], e.payload[1], e.payload[2]) for e in ops if "to_dense" in e.payload[0]]
    assert walks == [
        ("aten._to_dense.default", *_GRAD_WALK),
        (
            "aten.to_dense.default",
            ["ADInplaceOrView", "BackendSelect", "SparseCPU"],
            [["ADInplaceOrView", "fallthrough"], ["BackendSelect", "fallthrough"], ["SparseCPU", "math"]],
        ),
    ]
    # Unobserved: `_to_dense` runs inside `to_dense` and through autograd.
    i = torch.tensor([[0, 1], [1, 0]])
    w = torch.randn(2, requires_grad=True)
    s = torch.sparse_coo_tensor(i, w, (2, 2))
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        s.to_dense()
    names = [(e.name, e.sequence_nr) for e in sorted(prof.events(), key=lambda e: e.time_range.start)]
    top = [n for n in names if n[0] in ("aten::to_dense", "aten::_to_dense")]
    assert [n for n, _ in top] == ["aten::to_dense", "aten::_to_dense"]
    assert top[1][1] >= 0, "the autograd kernel numbers the node"


def test_after_a_capture_to_dense_has_pytorchs_python_kernel_again(tmp_path, monkeypatch):
    import torch

    monkeypatch.delenv(SPARSE_SWITCH, raising=False)
    before = torch._C._dispatch_dump_table("aten::to_dense")
    program = tmp_path / "program.py"
    program.write_text(TO_DENSE)
    assert capture_program(str(program), str(tmp_path / "t.ftr"), "all", timestamps=False).status == 0
    assert torch._C._dispatch_dump_table("aten::to_dense") == before
    assert "aten/to_dense/PythonTLSSnapshot" in torch.library._impls


def test_a_python_kernel_at_python_tls_snapshot_the_capture_does_not_know_is_refused(tmp_path):
    """Calls made inside another operator's Python kernel at PythonTLSSnapshot
    have no snapshot of their own: the capture stops naming the key."""
    import torch

    def kernel(x):
        with torch._C._ExcludeDispatchKeyGuard(torch._C.DispatchKeySet(torch._C.DispatchKey.PythonTLSSnapshot)):
            return torch.ops.aten.logit.default(x)

    program = tmp_path / "program.py"
    program.write_text("import torch\ntorch.logit(torch.rand(3, requires_grad=True))\n")
    with torch.library._scoped_library("aten", "IMPL") as lib:
        lib.impl("logit", kernel, "PythonTLSSnapshot")
        result = capture_program(str(program), str(tmp_path / "t.ftr"), "all", timestamps=False)
    assert result.status == 4
    assert "Python kernel registered at PythonTLSSnapshot" in result.message
    assert "aten::logit" in result.message
