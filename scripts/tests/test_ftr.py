"""Unit tests of scripts/ftr.py: encodings, framing, chunking, blobs, reading."""

from __future__ import annotations

import io
import re
import struct

import blake3
import pytest

import ftr
from conftest import REPO

META = ftr.Meta("doc", "p.py", "all", ())


def new_writer(meta: ftr.Meta = META) -> tuple:
    out = io.BytesIO()
    return out, ftr.TraceWriter(out, meta)


def sample_ref(tid: int = 0, value: bytes | None = None) -> list:
    return ftr.tensor_ref(tid, "float32", [2, 3], [3, 1], 0, tid, "cpu", True, 1, value)


# -- encodings ---------------------------------------------------------------


def test_values_are_tag_payload_pairs_with_rust_encodings():
    assert ftr.packb(ftr.v_int(5)) == bytes([0x92, 2, 5])
    assert ftr.packb(ftr.v_none()) == bytes([0x92, 0, 0xC0])
    assert ftr.packb(ftr.v_bool(True)) == bytes([0x92, 1, 0xC3])
    # floats are always float64, integral ones included
    assert ftr.packb(ftr.v_float(1)) == bytes([0x92, 3, 0xCB]) + struct.pack(">d", 1.0)
    assert ftr.packb(ftr.v_str("cpu")) == bytes([0x92, 4, 0xA3]) + b"cpu"
    assert ftr.packb(ftr.v_dtype("float32"))[:3] == bytes([0x92, 7, 0xA7])


@pytest.mark.parametrize(
    "value, encoded",
    [
        (0, "00"), (127, "7f"), (128, "cc80"), (256, "cd0100"), (65536, "ce00010000"),
        (2**32, "cf0000000100000000"), (2**64 - 1, "cfffffffffffffffff"),
        (-1, "ff"), (-32, "e0"), (-33, "d0df"), (-129, "d1ff7f"), (-32769, "d2ffff7fff"),
        (-(2**63), "d38000000000000000"),
    ],
)
def test_integers_use_the_smallest_encoding(value, encoded):
    assert ftr.packb(value).hex() == encoded


def test_digests_and_data_are_bin():
    digest = ftr.digest_of(b"x")
    assert ftr.packb(digest)[:2] == bytes([0xC4, 32])
    assert ftr.packb(b"\x00" * 300)[:3] == bytes([0xC5, 0x01, 0x2C])


def test_tensor_reference_wire_order():
    ref = sample_ref(4, ftr.digest_of(b"v"))
    assert ref[:9] == [4, "float32", [2, 3], [3, 1], 0, 4, "cpu", True, 1]
    assert len(ref) == 10 and len(ref[9]) == 32


def test_field_range_checks():
    with pytest.raises(ValueError):
        ftr.v_int(2**63)
    with pytest.raises(ValueError):
        ftr.edge(1, -1)
    with pytest.raises(ValueError):
        ftr.context(ftr.CTX_NODE)


def test_structural_hash_ignores_values_seq_and_ts():
    def op(digest):
        ref = sample_ref(1, digest)
        return ftr.p_op("aten.relu.default", ["CPU"], [["CPU", "kernel"]], [["self", ftr.v_tensor(ref)]], [ftr.v_list([ftr.v_tensor(ref)])], ftr.context(2, 3))

    a = ftr.structural_hash(ftr.DISPATCH, ftr.DISPATCH_OP, op(ftr.digest_of(b"a")))
    b = ftr.structural_hash(ftr.DISPATCH, ftr.DISPATCH_OP, op(None))
    assert a == b
    other = op(None)
    other[5] = ftr.context(0)
    assert ftr.structural_hash(ftr.DISPATCH, ftr.DISPATCH_OP, other) != a
    # hash input is msgpack([layer, kind, payload']) exactly
    expected = blake3.blake3(ftr.packb([1, 1, op(None)])).digest()
    assert a == expected


# -- the hand-checked example of FORMAT.md §5 --------------------------------


def format_md_hexdump() -> bytes:
    text = (REPO / "docs" / "FORMAT.md").read_text()
    block = text.split("<!-- hexdump:begin -->", 1)[1].split("<!-- hexdump:end -->", 1)[0]
    data = bytearray()
    for line in block.splitlines():
        m = re.match(r"^[0-9a-f]{8}\s+((?:[0-9a-f]{2}\s*)+)$", line.strip())
        if m:
            data += bytes.fromhex(m.group(1).replace(" ", ""))
    return bytes(data)


def test_writer_reproduces_the_format_md_example():
    out, w = new_writer(ftr.Meta("doc", "p.py", "all", ()))
    w.put_blob("float32", [2], struct.pack("<2f", 1.0, 2.0))
    w.append(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(0), 0)
    w.finish()
    expected = format_md_hexdump()
    assert len(expected) > 16
    assert out.getvalue() == expected


def test_tiny_trace_byte_layout_by_hand():
    out, w = new_writer(ftr.Meta("p", "q", "none", (("k", "v"),)))
    w.append(ftr.API, ftr.API_GRAD_MODE, ftr.p_grad_mode(False, False), 7)
    w.finish()
    data = out.getvalue()
    assert data[:16] == b"\x89FTR\r\n\x1a\n\x02\x00\x00\x00\x00\x00\x00\x00"  # 2.0
    meta_payload = bytes([0x94, 0xA1]) + b"p" + bytes([0xA1]) + b"q" + bytes([0xA4]) + b"none" + bytes([0x91, 0x92, 0xA1]) + b"k" + bytes([0xA1]) + b"v"
    meta_header = struct.pack("<IB3x", len(meta_payload), 1)
    assert data[16:24] == meta_header
    assert data[24 : 24 + len(meta_payload)] == meta_payload
    after_meta = 24 + len(meta_payload)
    assert data[after_meta : after_meta + 32] == blake3.blake3(meta_header + meta_payload).digest()
    events_at = after_meta + 32
    # one EVENTS chunk: [[0, 0, 4, [false, false], 7]]
    # stored as one zstd frame (encoding 1): magic, a one-segment frame
    # header with content size 9, one raw block of 9 bytes, the payload.
    payload = bytes([0x91, 0x95, 0x00, 0x00, 0x04, 0x92, 0xC2, 0xC2, 0x07])
    frame = bytes([0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x09, 0x49, 0x00, 0x00]) + payload
    assert data[events_at : events_at + 8] == struct.pack("<IBB2x", len(frame), 2, 1)
    assert data[events_at + 8 : events_at + 8 + len(frame)] == frame
    index_at = events_at + 8 + len(frame) + 32
    assert data[-16:] == struct.pack("<Q", index_at) + b"FTRINDEX"
    assert data[index_at + 4] == ftr.CHUNK_INDEX


# -- chunking rule -------------------------------------------------------------


def mark_event_size(seq: int, name: str) -> int:
    return len(ftr.packb([seq, ftr.API, ftr.API_MARK_BEGIN, [name], 0]))


def fill_to(w: ftr.TraceWriter, target: int) -> int:
    """Appends mark events until the pending bytes total exactly `target`."""
    total = 0
    while total < target:
        seq = w.next_seq
        remaining = target - total
        name = "m" * 100
        if remaining < 2 * mark_event_size(seq, name):
            # last event: pick the name length that lands exactly on target
            for n in range(0, remaining):
                if mark_event_size(seq, "m" * n) == remaining:
                    name = "m" * n
                    break
            else:
                raise AssertionError(f"cannot land exactly on {target}")
        total += mark_event_size(seq, name)
        w.append(ftr.API, ftr.API_MARK_BEGIN, ftr.p_mark(name), 0)
    assert total == target
    return total


def test_chunk_stays_open_below_the_target():
    out, w = new_writer()
    before = w.offset
    fill_to(w, ftr.EVENT_CHUNK_TARGET - 1)
    assert w.offset == before  # nothing written yet: the chunk is still pending
    w.append(ftr.API, ftr.API_MARK_END, ftr.p_mark("x"), 0)
    assert w.offset > before  # this event crossed the target and closed the chunk
    index = w.finish()
    assert [c[1:] for c in index[5]] == [[0, w.next_seq]]


def test_chunk_closes_exactly_at_the_target():
    out, w = new_writer()
    fill_to(w, ftr.EVENT_CHUNK_TARGET)
    first_count = w.next_seq
    w.append(ftr.API, ftr.API_MARK_END, ftr.p_mark("x"), 0)
    index = w.finish()
    assert [c[1:] for c in index[5]] == [[0, first_count], [first_count, 1]]


def test_pending_chunk_is_closed_before_the_index_and_empty_is_skipped():
    out, w = new_writer()
    w.flush_events()  # nothing pending: no chunk
    w.append(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(1), 0)
    index = w.finish()
    assert len(index[5]) == 1
    kinds = [k for _, k in chunk_kinds(out.getvalue())]
    assert kinds == [ftr.CHUNK_META, ftr.CHUNK_EVENTS, ftr.CHUNK_INDEX]


def chunk_kinds(data: bytes) -> list:
    out, offset = [], ftr.HEADER_LEN
    while offset < len(data) - ftr.TRAILER_LEN:
        length, kind = struct.unpack_from("<IB", data, offset)
        out.append((offset, kind))
        offset += 8 + length + 32
    return out


# -- blobs -----------------------------------------------------------------------


def test_blobs_are_written_once_and_before_the_events_naming_them():
    out, w = new_writer()
    data = struct.pack("<4f", 1, 2, 3, 4)
    d1 = w.put_blob("float32", [2, 2], data)
    d2 = w.put_blob("float32", [2, 2], data)
    d3 = w.put_blob("float32", [4], data)  # same bytes, other shape: another value
    assert d1 == d2 != d3
    assert d1 == blake3.blake3(ftr.packb(["float32", [2, 2]]) + data).digest()
    w.append(ftr.API, ftr.API_TENSOR, ftr.p_tensor(sample_ref(0, d1), False), 0)
    index = w.finish()
    kinds = [k for _, k in chunk_kinds(out.getvalue())]
    assert kinds == [ftr.CHUNK_META, ftr.CHUNK_BLOB, ftr.CHUNK_BLOB, ftr.CHUNK_EVENTS, ftr.CHUNK_INDEX]
    assert [bytes(b[0]) for b in index[6]] == [d1, d3]


def test_round_trip_through_the_reader(tmp_path):
    path = tmp_path / "t.ftr"
    with ftr.FileTraceWriter(str(path), ftr.Meta("w", "prog.py", "inputs", (("a", "b"),))) as fw:
        digest = fw.writer.put_blob("int64", [2], struct.pack("<2q", -1, 5))
        payloads = [
            (ftr.API, ftr.API_TENSOR, ftr.p_tensor(sample_ref(0, digest), False)),
            (ftr.AUTOGRAD, ftr.AG_NODE, ftr.p_node(0, "AccumulateGrad", ftr.ACCUMULATE_GRAD_SEQ, [ftr.edge(None, 0)], [0])),
            (ftr.DEVICE, ftr.DEV_TRANSFER, ftr.p_transfer(0, 1, "cpu", "meta")),
        ]
        for i, (layer, kind, payload) in enumerate(payloads):
            fw.writer.append(layer, kind, payload, 10 * i)
    assert not (tmp_path / "t.ftr.partial").exists()
    r = ftr.TraceReader(str(path))
    assert r.meta == ftr.Meta("w", "prog.py", "inputs", (("a", "b"),))
    assert [(e.seq, e.layer, e.kind, e.payload, e.ts) for e in r.events] == [
        (i, layer, kind, payload, 10 * i) for i, (layer, kind, payload) in enumerate(payloads)
    ]
    assert r.chain_verified
    assert r.index[1] == [1, 0, 1, 1]
    blob = r.blob(digest)
    assert blob.dtype == "int64" and blob.shape == [2] and struct.unpack("<2q", blob.data) == (-1, 5)


def test_writer_refuses_unknown_kinds():
    _, w = new_writer()
    with pytest.raises(ftr.TraceError, match="unknown kind"):
        w.append(ftr.API, 42, [], 0)


def test_reader_keeps_events_of_unknown_kinds(tmp_path, monkeypatch):
    # A newer minor version may add kinds: simulate a writer that knows (2, 99).
    monkeypatch.setitem(ftr.KIND_NAMES, (ftr.AUTOGRAD, 99), "from_the_future")
    monkeypatch.setitem(ftr.KIND_MINOR, (ftr.AUTOGRAD, 99), ftr.VERSION_MINOR + 1)
    path = tmp_path / "future.ftr"
    with ftr.FileTraceWriter(str(path), META) as fw:
        fw.writer.append(ftr.AUTOGRAD, 99, [1, ["x", b"\x00"]], 5)
        fw.writer.append(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(1), 6)
    monkeypatch.delitem(ftr.KIND_NAMES, (ftr.AUTOGRAD, 99))
    r = ftr.TraceReader(str(path))
    assert [e.name for e in r.events] == ["unknown", "manual_seed"]
    assert r.events[0].payload == [1, ["x", b"\x00"]] and r.events[0].seq == 0
    assert r.chain_verified  # hashed over the payload as written
    assert r.version == (ftr.VERSION_MAJOR, ftr.VERSION_MINOR + 1)


# -- damaged and unfinished files ---------------------------------------------------


def write_unfinished(tmp_path, events: int) -> str:
    fw = ftr.FileTraceWriter(str(tmp_path / "run.ftr"), META)
    for i in range(events):
        fw.writer.append(ftr.API, ftr.API_MARK_BEGIN, ftr.p_mark(f"step {i} " + "y" * 200), 0)
        if i % 100 == 0:
            fw.writer.put_blob("int64", [1], struct.pack("<q", i))
    fw.abort()
    return fw.partial


def test_aborted_writer_leaves_a_readable_partial(tmp_path):
    partial = write_unfinished(tmp_path, 700)
    assert not (tmp_path / "run.ftr").exists()
    with pytest.raises(ftr.Truncated, match="did not finish"):
        ftr.TraceReader(partial)
    r = ftr.TraceReader(partial, recover=True)
    assert r.event_count == 700  # abort() wrote the pending chunk too
    assert len(r.chunks) >= 3
    assert r.truncation.detail.startswith("no footer index")


@pytest.mark.parametrize("cut_back", [1, 31, 33, 100])
def test_cut_partial_keeps_every_complete_chunk(tmp_path, cut_back):
    partial = write_unfinished(tmp_path, 700)
    data = open(partial, "rb").read()
    complete = chunk_kinds(data + b"\0" * 16)  # list of chunk offsets, last one is whole
    last_offset, _ = complete[-1]
    cut = tmp_path / "cut.ftr.partial"
    cut.write_bytes(data[: len(data) - cut_back])
    r = ftr.TraceReader(str(cut), recover=True)
    assert r.truncation.offset == last_offset
    survivors = [c for c in r.chunks]
    assert all(c[0] < last_offset for c in survivors)
    # The last chunk holds events: those complete before the cut are salvaged,
    # all of them when only its checksum is cut.
    in_last = _last_chunk_events(data)
    assert r.truncation.salvaged == in_last if cut_back <= ftr.CHUNK_HASH_LEN else r.truncation.salvaged < in_last
    assert r.event_count == sum(c[2] for c in survivors) + r.truncation.salvaged
    assert [e.seq for e in r.events] == list(range(r.event_count))


def _last_chunk_events(data: bytes) -> int:
    offset, kind = chunk_kinds(data + b"\0" * 16)[-1]
    assert kind == ftr.CHUNK_EVENTS
    length = struct.unpack_from("<I", data, offset)[0]
    return len(ftr.unpackb(ftr.decode_stored(data[offset + 5], data[offset + 8 : offset + 8 + length])))


def as_legacy_partial(path: str) -> str:
    """The unfinished 2.0 file at `path` as a 1.1 file would hold it: the
    same chunks stored raw (how salvage works on raw EVENTS chunks)."""
    data = open(path, "rb").read()
    out = bytearray(ftr.file_header(1, ftr.LEGACY_MAJOR))
    offset = ftr.HEADER_LEN
    while offset + ftr.CHUNK_HEADER_LEN <= len(data):
        length, kind, encoding = struct.unpack_from("<IBB", data, offset)
        end = offset + ftr.CHUNK_HEADER_LEN + length + ftr.CHUNK_HASH_LEN
        if end > len(data):
            break
        out += ftr.frame_chunk(kind, ftr.decode_stored(encoding, data[offset + 8 : offset + 8 + length]))
        offset = end
    legacy = path + ".legacy.partial"
    with open(legacy, "wb") as f:
        f.write(out)
    return legacy


def test_a_cut_inside_a_compressed_events_chunk_keeps_the_chunks_before_it(tmp_path):
    """A 2.0 EVENTS chunk is one zstd block: cut inside it, no event of it
    decodes, and reading stops there with every chunk before it."""
    partial = write_unfinished(tmp_path, 700)
    whole = ftr.TraceReader(partial, recover=True)
    offset, first_seq, _ = whole.chunks[1]
    data = open(partial, "rb").read()
    cut = tmp_path / "cut.ftr.partial"
    cut.write_bytes(data[: offset + 200])
    r = ftr.TraceReader(str(cut), recover=True)
    assert r.truncation.offset == offset and r.truncation.salvaged == 0
    assert r.events == whole.events[:first_seq]


def test_a_cut_inside_an_events_chunk_salvages_the_complete_events_before_it(tmp_path):
    """As ft-trace's reader, in a 1.x file (raw chunks): the array header,
    then events one by one from the bytes after the chunk header, kept while
    they continue the sequence."""
    partial = as_legacy_partial(write_unfinished(tmp_path, 700))
    whole = ftr.TraceReader(partial, recover=True)
    offset, first_seq, count = whole.chunks[1]
    data = open(partial, "rb").read()
    cut = tmp_path / "cut.ftr.partial"
    cut.write_bytes(data[: offset + 5000])
    r = ftr.TraceReader(str(cut), recover=True)
    t = r.truncation
    assert t.offset == offset  # reading stops at the cut chunk
    assert 0 < t.salvaged < count
    assert t.detail.endswith(f"({t.salvaged} complete events before the cut read without checksum)")
    assert r.event_count == first_seq + t.salvaged
    assert r.events == whole.events[: first_seq + t.salvaged]
    assert r.chunks == whole.chunks[:1]  # the index lists complete chunks only
    assert r.index[1] == [first_seq + t.salvaged, 0, 0, 0]
    with pytest.raises(ftr.Truncated, match="read without checksum"):
        ftr.TraceReader(str(cut))


def test_half_a_golden_trace_recovers_the_events_before_the_cut(tmp_path):
    """Cut in the middle of the first EVENTS chunk of the second half of a
    golden recorded in format 1.1 (raw chunks)."""
    golden = REPO / "tracer" / "tests" / "fixtures" / "legacy_1_1_mlp_train.ftr"
    data = golden.read_bytes()
    whole = ftr.TraceReader(str(golden))
    offset, first_seq, count = next(c for c in whole.chunks if c[0] >= len(data) // 2)
    length = struct.unpack_from("<I", data, offset)[0]
    cut = tmp_path / "half.ftr"
    cut.write_bytes(data[: offset + 8 + length // 2])
    r = ftr.TraceReader(str(cut), recover=True)
    assert r.truncation.offset == offset and 0 < r.truncation.salvaged < count
    assert r.event_count == first_seq + r.truncation.salvaged
    assert r.events == whole.events[: r.event_count]


@pytest.mark.parametrize("keep", [7, 8, 9, 12])
def test_a_cut_before_the_first_complete_event_salvages_nothing(tmp_path, keep):
    """Cut in the chunk header, right after it, or inside the array header or first event."""
    partial = write_unfinished(tmp_path, 700)
    offset = ftr.TraceReader(partial, recover=True).chunks[1][0]
    cut = tmp_path / "cut.ftr.partial"
    cut.write_bytes(open(partial, "rb").read()[: offset + keep])
    r = ftr.TraceReader(str(cut), recover=True)
    assert r.truncation.offset == offset and r.truncation.salvaged == 0
    assert "without checksum" not in r.truncation.detail


def test_salvaged_events_must_continue_the_sequence(tmp_path):
    """A cut chunk whose events do not follow on (here: a chunk written
    twice) yields nothing."""
    partial = write_unfinished(tmp_path, 700)
    r = ftr.TraceReader(partial, recover=True)
    (first, _, _), (second, _, _) = r.chunks[0], r.chunks[1]
    data = open(partial, "rb").read()
    cut = tmp_path / "cut.ftr.partial"
    cut.write_bytes(data[:second] + data[first : first + 5000])
    assert ftr.TraceReader(str(cut), recover=True).truncation.salvaged == 0


def test_reader_refuses_other_files_and_versions(tmp_path):
    path = tmp_path / "x.ftr"
    path.write_bytes(b"not a trace at all")
    with pytest.raises(ftr.NotATrace):
        ftr.TraceReader(str(path))
    out, w = new_writer()
    w.finish()
    data = bytearray(out.getvalue())
    data[8:10] = struct.pack("<H", 3)
    path.write_bytes(bytes(data))
    with pytest.raises(ftr.UnsupportedVersion, match=rf"version 3\.{ftr.FLOOR_MINOR} .*reads 1\.x and 2\.x"):
        ftr.TraceReader(str(path))


def test_damaged_chunk_is_detected(tmp_path):
    out, w = new_writer()
    w.append(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(3), 0)
    w.finish()
    data = bytearray(out.getvalue())
    events_at = chunk_kinds(bytes(data))[1][0]
    data[events_at + 9] ^= 0xFF
    path = tmp_path / "bad.ftr"
    path.write_bytes(bytes(data))
    with pytest.raises(ftr.CorruptChunk, match="checksum"):
        ftr.TraceReader(str(path))
