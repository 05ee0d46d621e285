"""VIEW chunks (format 2.5) in scripts/ftr.py: which values the writer
stores as strided views of an earlier value of their storage, that the
reader gathers them back exactly, and that a damaged view is refused."""

from __future__ import annotations

import struct

import pytest

import ftr

META = ftr.Meta("views", "p.py", "all", ())
BASE = [i * 0.5 - 3.0 for i in range(128)]


def f32(values: list) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def ref(tid: int, shape: list, stride: list, offset: int, value: bytes | None, storage: int = 0) -> list:
    return ftr.tensor_ref(tid, "float32", shape, stride, offset, storage, "cpu", False, 0, value)


def op(w: ftr.TraceWriter, name: str, outputs: list) -> None:
    arg = ftr.v_tensor(ref(0, [16, 8], [8, 1], 0, None))
    w.append(ftr.DISPATCH, ftr.DISPATCH_OP, ftr.p_op(name, ["CPU"], [], [["self", arg]], outputs, ftr.context(ftr.CTX_TOP_LEVEL)))


def write(path: str, *, with_base: bool = True) -> dict:
    """A 16×8 base, its transpose, a row slice, a stale transpose and a small corner."""
    digests = {}
    fw = ftr.FileTraceWriter(path, META)
    w = fw.writer
    if with_base:
        digests["base"] = w.put_blob("float32", [16, 8], f32(BASE))
        w.append(ftr.API, ftr.API_TENSOR, ftr.p_tensor(ref(0, [16, 8], [8, 1], 0, digests["base"]), False))
    transposed = [BASE[i * 8 + j] for j in range(8) for i in range(16)]
    digests["t"] = w.put_blob("float32", [8, 16], f32(transposed))
    op(w, "aten.t.default", [ftr.v_tensor(ref(1, [8, 16], [1, 8], 0, digests["t"]))])
    digests["rows"] = w.put_blob("float32", [8, 8], f32(BASE[16:80]))
    digests["corner"] = w.put_blob("float32", [2, 2], f32([BASE[0], BASE[8], BASE[1], BASE[9]]))
    op(w, "aten.split.Tensor", [ftr.v_list([
        ftr.v_tensor(ref(2, [8, 8], [8, 1], 16, digests["rows"])),
        ftr.v_tensor(ref(3, [2, 2], [1, 8], 0, digests["corner"])),
    ])])
    stale = [BASE[i * 8 + j] + 1.0 for j in range(8) for i in range(16)]
    digests["stale"] = w.put_blob("float32", [8, 16], f32(stale))
    op(w, "aten.t.default", [ftr.v_tensor(ref(4, [8, 16], [1, 8], 0, digests["stale"]))])
    fw.finish()
    return digests


def kinds(reader: ftr.TraceReader) -> dict:
    at = dict(reader.chunk_kinds())
    return {bytes(d): at[off] for d, off in reader.blob_entries}


def test_views_of_the_latest_value_are_stored_as_views_and_read_back(tmp_path):
    path = str(tmp_path / "v.ftr")
    d = write(path)
    reader = ftr.TraceReader(path)
    assert reader.version == (2, ftr.VIEW_MINOR)
    k = kinds(reader)
    assert k[d["t"]] == ftr.CHUNK_VIEW and k[d["rows"]] == ftr.CHUNK_VIEW
    assert k[d["stale"]] == ftr.CHUNK_BLOB, "the storage changed: not a view of what the file holds"
    assert k[d["corner"]] == ftr.CHUNK_BLOB, "under VIEW_MIN_BYTES"
    t = reader.blob(d["t"])
    assert t.shape == [8, 16] and t.data == f32([BASE[i * 8 + j] for j in range(8) for i in range(16)])
    assert reader.blob(d["rows"]).data == f32(BASE[16:80])


def test_without_a_base_every_value_is_a_blob_and_the_file_says_2_4_or_lower(tmp_path):
    path = str(tmp_path / "n.ftr")
    write(path, with_base=False)
    reader = ftr.TraceReader(path)
    assert ftr.CHUNK_VIEW not in {k for _, k in reader.chunk_kinds()}
    assert reader.version[1] < ftr.VIEW_MINOR


def test_a_value_is_copied_when_handed_over(tmp_path):
    """Values are written at the event that names them: a buffer the
    program changes in between must not change what is stored."""
    path = str(tmp_path / "c.ftr")
    fw = ftr.FileTraceWriter(path, META)
    buf = bytearray(f32(BASE))
    digest = fw.writer.put_blob("float32", [16, 8], buf)
    buf[:4] = b"\0\0\0\0"
    fw.writer.append(ftr.API, ftr.API_TENSOR, ftr.p_tensor(ref(0, [16, 8], [8, 1], 0, digest), False))
    fw.finish()
    assert ftr.TraceReader(path).blob(digest).data == f32(BASE)


def test_value_refs_are_in_wire_order_with_sparse_parts_after_their_tensor():
    a, b, c = (ref(i, [2], [1], 0, bytes([i]) * 32) for i in range(3))
    payload = ftr.p_op("aten.x", ["CPU"], [], [["self", ftr.v_tensor(a)]], [ftr.v_list([ftr.v_tensor(b), ftr.v_tensor(c)])], ftr.context(ftr.CTX_TOP_LEVEL))
    assert [r[0] for r in ftr.value_refs(ftr.DISPATCH, ftr.DISPATCH_OP, payload)] == [0, 1, 2]


def damage(path: str, digest: bytes, edit) -> None:
    """Re-frames the VIEW chunk of `digest` with `edit` applied to its record."""
    reader = ftr.TraceReader(path)
    offset = dict((bytes(d), o) for d, o in reader.blob_entries)[digest]
    data = bytearray(open(path, "rb").read())
    (length,) = struct.unpack_from("<I", data, offset)
    record = ftr.unpackb(bytes(data[offset + 8 : offset + 8 + length]))
    edit(record)
    framed = ftr.frame_chunk(ftr.CHUNK_VIEW, ftr.packb(record))
    assert len(framed) == 8 + length + 32
    data[offset : offset + len(framed)] = framed
    open(path, "wb").write(bytes(data))


@pytest.mark.parametrize(
    "name, edit, message",
    [
        ("rows", lambda r: r.__setitem__(4, 17), "do not match their digest"),
        ("t", lambda r: r.__setitem__(4, 1), "reads outside its base's 128 elements"),
        ("rows", lambda r: r.__setitem__(1, "float16"), "over a float32 base"),
    ],
)
def test_a_damaged_view_is_refused_naming_the_chunk(tmp_path, name, edit, message):
    path = str(tmp_path / "d.ftr")
    d = write(path)
    damage(path, d[name], edit)
    with pytest.raises(ftr.CorruptChunk, match=message):
        ftr.TraceReader(path).blob(d[name])


def test_a_view_of_a_base_that_is_not_earlier_is_refused(tmp_path):
    path = str(tmp_path / "o.ftr")
    d = write(path)
    damage(path, d["t"], lambda r: r.__setitem__(3, d["stale"]))
    with pytest.raises(ftr.CorruptChunk, match="is not an earlier BLOB"):
        ftr.TraceReader(path).blob(d["t"])
