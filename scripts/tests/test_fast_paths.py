"""The capture's fast paths write exactly what the plain ones would: events
packed once, blobs hashed and framed in place, schemas and names read once,
tensor identities without wrapper objects; and the progress line."""

from __future__ import annotations

import gc
import io
import struct

import numpy as np
import pytest
import torch

import ftr
from ft_capture import progress, values
from ft_capture.identity import IdentityMap
from ft_capture.values import op_schema, tensor_buffer, tensor_bytes


@pytest.mark.parametrize("length", [0, 1, 255, 256, 65535, 65536, 70000])
def test_bin_headers_are_msgpack_s(length):
    data = b"x" * length
    header = ftr._bin_header(length)
    assert ftr.packb(data) == header + data


def writer() -> tuple:
    out = io.BytesIO()
    return out, ftr.TraceWriter(out, ftr.Meta("test", "p.py", "all", ()))


def test_a_blob_from_a_buffer_is_the_blob_from_its_bytes():
    values_ = np.arange(70000, dtype=np.float32)
    out_a, a = writer()
    out_b, b = writer()
    da = a.put_blob("float32", [70000], values_.view(np.uint8))
    db = b.put_blob("float32", [70000], values_.tobytes())
    assert da == db == ftr.blob_digest("float32", [70000], values_.tobytes())
    a.finish()
    b.finish()
    assert out_a.getvalue() == out_b.getvalue()
    # The chunk is `packb([digest, dtype, shape, data])` framed as frame_chunk does.
    chunk = ftr.frame_chunk(ftr.CHUNK_BLOB, ftr.packb([da, "float32", [70000], values_.tobytes()]))
    assert chunk in out_a.getvalue()


def test_events_are_the_msgpack_of_seq_layer_kind_payload_ts_and_chain_as_before():
    out, w = writer()
    digest = bytes(range(32))
    ref = ftr.tensor_ref(0, "float32", [2], [1], 0, 0, "cpu", False, 0, digest)
    events = [
        (ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(3), 0),
        (ftr.API, ftr.API_TENSOR, ftr.p_tensor(ref, False), 12345678901),
        (ftr.DISPATCH, ftr.DISPATCH_OP, ftr.p_op("aten.neg.default", ["CPU"], [["CPU", "kernel"]], [["self", ftr.v_tensor(ref)]], [ftr.v_tensor(ref)], ftr.context(ftr.CTX_TOP_LEVEL)), 7),
        (ftr.API, ftr.API_RELEASE, ftr.p_release(0), 1 << 40),
    ]
    chains = ftr.ChainState()
    want = b""
    for seq, (layer, kind, payload, ts) in enumerate(events):
        w.append(layer, kind, payload, ts)
        want += ftr.packb([seq, layer, kind, payload, ts])
        chains.push(layer, ftr.structural_hash(layer, kind, payload))
    w.flush_events()
    data = out.getvalue()
    payloads, offset = [], ftr.HEADER_LEN
    while offset < len(data):
        length, kind, encoding = struct.unpack_from("<IBB", data, offset)
        if kind == ftr.CHUNK_EVENTS:
            payloads.append(ftr.decode_stored(encoding, data[offset + 8 : offset + 8 + length]))
        offset += ftr.CHUNK_HEADER_LEN + length + ftr.CHUNK_HASH_LEN
    assert payloads == [ftr._array_header(len(events)) + want]
    index = w.index_payload()
    assert index[2] == chains.all and index[3] == chains.layers


def test_a_contiguous_tensor_is_read_in_place_and_any_other_copied_in_c_order():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    buf = tensor_buffer(t)
    t[0, 0] = 42.0  # the buffer aliases the tensor: no copy was made
    assert np.frombuffer(buf, dtype=np.float32)[0] == 42.0
    z = torch.complex(torch.ones(2), torch.arange(2.0))
    for other in (t.t(), t.expand(2, 2, 3), t[:, 1:], z.conj(), torch.ones(1, 3).as_strided((1, 3), (0, 1)), torch.ones(1).as_strided((1,), (0,)), torch.arange(8.0).as_strided((1, 1), (0, 4), 2), torch.arange(8).as_strided((2, 1), (1, 4), 3)):
        want = other.resolve_conj().contiguous().numpy().tobytes()
        assert bytes(tensor_buffer(other)) == tensor_bytes(other) == want
    assert tensor_buffer(torch.ones(0)) == b""


def test_the_identity_map_forgets_the_dead_and_never_confuses_a_reused_id():
    m = IdentityMap()
    a, b = torch.ones(1), torch.ones(1)
    m[a] = "a"
    m[b] = "b"
    m[a] = "a2"  # updated in place: order kept
    assert m.get(a) == "a2" and m[b] == "b" and a in m and torch.ones(1) not in m
    assert [v for _, v in m.items()] == ["a2", "b"] and m.keys()[1] is b
    del a
    gc.collect()
    assert [v for _, v in m.items()] == ["b"]
    with pytest.raises(KeyError):
        m[torch.zeros(1)]


@pytest.mark.parametrize(
    "func, args, kwargs",
    [
        (torch.ops.aten.add.Tensor, (torch.ones(1), torch.ones(1)), {"alpha": 2}),
        (torch.ops.aten.sum.dim_IntList, (torch.ones(2, 2), [0]), {}),
        (torch.ops.aten.empty.memory_format, ([2],), {"dtype": torch.float64, "device": torch.device("cpu")}),
        (torch.ops.aten.convolution.default, (torch.ones(1, 1, 3), torch.ones(1, 1, 1), None, [1], [0], [1], False, [0], 1), {}),
    ],
)
def test_a_schema_read_once_binds_as_the_schema_does(func, args, kwargs):
    schema = op_schema(func)
    assert schema is op_schema(func)
    assert schema.bind(args, kwargs) == values.bind_arguments(func._schema, args, kwargs)
    assert schema.wire_name == str(func) and schema.mutable == func._schema.is_mutable
    for param, argument in zip(schema.params, func._schema.arguments):
        assert param.type.text == str(argument.real_type)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_shows_on_a_terminal_and_is_erased(monkeypatch):
    monkeypatch.setattr(progress, "DELAY_NS", 0)
    monkeypatch.setattr(progress, "PERIOD_NS", 0)
    _, w = writer()
    stream = FakeTerminal()
    line = progress.on_terminal(w, stream)
    assert line is not None
    w.append(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(1))
    line.tick()
    assert stream.getvalue().startswith("\r\x1b[Kcapture_torch.py: 1 events, ")
    line.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    assert progress.on_terminal(w, io.StringIO()) is None
