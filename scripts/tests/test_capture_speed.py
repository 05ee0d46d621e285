"""The capture's caches and shortcuts write exactly what the long ways
would: the structural form of a payload without digests is the payload
itself, the writer's no-values promise changes no byte, dispatch
derivations shared between captures by table text equal fresh ones, and
the fork check that replaced asking for the pid."""

from __future__ import annotations

import io
import os

import torch

import ftr
from ft_capture import keys, recorder
from ft_capture.keys import DispatchDeriver, call_dispatch_keys, entry_tls


def ref(tid: int, digest: bytes | None) -> list:
    return ftr.tensor_ref(tid, "float32", [2], [1], 0, 0, "cpu", True, 0, digest)


DIGEST = bytes(range(32))


def op_payload(digest: bytes | None) -> list:
    return ftr.p_op(
        "aten.cat.default",
        ["CPU"],
        [["CPU", "kernel"]],
        [["tensors", ftr.v_list([ftr.v_tensor(ref(0, None)), ftr.v_list([ftr.v_tensor(ref(1, digest))])])], ["dim", ftr.v_int(0)]],
        [ftr.v_tensor(ref(2, digest))],
        ftr.context(ftr.CTX_TOP_LEVEL),
    )


def test_structural_payload_without_digests_is_the_payload_itself():
    for layer, kind, payload in [
        (ftr.DISPATCH, ftr.DISPATCH_OP, op_payload(None)),
        (ftr.API, ftr.API_TENSOR, ftr.p_tensor(ref(0, None), False)),
        (ftr.AUTOGRAD, ftr.AG_ACCUMULATE, ftr.p_accumulate(0, 1, ref(2, None))),
        (ftr.DISPATCH, ftr.DISPATCH_OP_ERROR, ftr.p_op_error("aten.neg.default", ["CPU"], [["CPU", "kernel"]], [["self", ftr.v_tensor(ref(0, None))]], "E", [0, None])),
    ]:
        assert ftr.structural_payload(layer, kind, payload) is payload


def test_structural_payload_strips_digests_nested_in_lists_and_leaves_the_event_alone():
    payload = op_payload(DIGEST)
    before = ftr.packb(payload)
    stripped = ftr.structural_payload(ftr.DISPATCH, ftr.DISPATCH_OP, payload)
    assert stripped == op_payload(None)
    assert ftr.packb(payload) == before


def test_the_no_values_promise_writes_the_same_bytes():
    events = [
        (ftr.DISPATCH, ftr.DISPATCH_OP, op_payload(None)),
        (ftr.API, ftr.API_TENSOR, ftr.p_tensor(ref(0, None), False)),
        (ftr.API, ftr.API_RELEASE, ftr.p_release(0)),
    ]
    outputs = []
    for values in (True, False):
        out = io.BytesIO()
        w = ftr.TraceWriter(out, ftr.Meta("test", "p.py", "none", ()))
        for seq, (layer, kind, payload) in enumerate(events):
            w.append(layer, kind, payload, seq, values)
        w.finish()
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]


def test_a_large_blob_written_in_place_is_one_well_framed_chunk():
    data = bytes(range(256)) * 1024  # above the in-place threshold
    out = io.BytesIO()
    w = ftr.TraceWriter(out, ftr.Meta("test", "p.py", "all", ()))
    digest = w.put_blob("uint8", [len(data)], memoryview(data))
    w.finish()
    assert ftr.frame_chunk(ftr.CHUNK_BLOB, ftr.packb([digest, "uint8", [len(data)], data])) in out.getvalue()


class _Mode(torch.utils._python_dispatch.TorchDispatchMode):
    """Derives every call's keys with two derivers: one fresh, one whose
    derivations come from the process-wide cache."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        named = dict(zip([a.name for a in func._schema.arguments], args)) | kwargs
        tls = entry_tls()
        shared = dict(keys._DERIVED)
        keys._DERIVED.clear()
        fresh = DispatchDeriver().derive(func, call_dispatch_keys(named), named, tls)
        keys._DERIVED.clear()
        keys._DERIVED.update(shared)
        cached = DispatchDeriver().derive(func, call_dispatch_keys(named), named, tls)
        self.pairs.append((fresh, cached))
        return func(*args, **kwargs)


def test_derivations_shared_between_captures_equal_fresh_ones():
    x = torch.randn(3, requires_grad=True)
    with _Mode() as mode:
        for _ in range(2):  # the second round's derivations come from the cache
            (x * 2).sum().backward()
            torch.zeros(2)
            torch.zeros(2, device="meta")
            torch.ones(2).add_(1)
            with torch.no_grad():
                (x * 2).add_(1)
            with torch.inference_mode():
                torch.ones(3).mul(x.detach())
    assert mode.pairs
    for fresh, cached in mode.pairs:
        assert fresh == cached


def test_a_recorder_knows_a_forked_child_without_its_pid():
    out = io.BytesIO()
    rec = recorder.Recorder(ftr.TraceWriter(out, ftr.Meta("test", "p.py", "none", ())), "none", False)
    assert rec.owns_process() and rec.observing()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: reports what its recorder thinks, then leaves
        os.write(write, b"1" if rec.owns_process() or rec.observing() else b"0")
        os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"0"
    os.close(read)
    os.waitpid(pid, 0)
    assert rec.owns_process()


def test_generator_arguments_add_their_device_key_without_isinstance():
    # `torch.Generator`'s metaclass overrides isinstance in Python; the keys
    # code checks generators the plain way and must find the same ones.
    g = torch.Generator()
    cpu = torch._C.DispatchKeySet(torch._C.DispatchKey.CPU)
    none = torch._C.DispatchKeySet(torch._C.DispatchKey.Undefined)
    assert keys._is_generator(g) and not keys._is_generator(0.5) and not keys._is_generator(torch.zeros(1))
    assert call_dispatch_keys({"size": [2, 3], "generator": g, "p": 0.5}).raw_repr() == cpu.raw_repr()
    assert call_dispatch_keys({"size": [2, 3], "generator": None, "p": 0.5}).raw_repr() == none.raw_repr()
    assert keys.dispatch_keys_of([1, g, None]).raw_repr() == cpu.raw_repr()
    t = torch.zeros(2, device="meta")
    assert call_dispatch_keys({"self": t, "generator": g}).raw_repr() == (torch._C._dispatch_keys(t) | cpu).raw_repr()
