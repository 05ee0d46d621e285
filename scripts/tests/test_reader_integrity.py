"""ftr.py's reader covers every byte of a trace with a checksum or a validity
rule, as ft-trace's does (docs/FORMAT.md §2; tracer/tests/integrity.rs holds
the Rust side of the same cases): header reserved bytes and minor version,
nothing between the INDEX chunk and the trailer, chunks where the index
places them, footer counts, a blob's digest and its shape."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

import ftr

META = ftr.Meta("integrity", "p", "all", ())


def sample(tmp_path: Path) -> bytes:
    path = tmp_path / "sample.ftr"
    with open(path, "wb") as f:
        w = ftr.TraceWriter(f, META)
        w.put_blob("float32", [2], struct.pack("<2f", 1.0, 2.0))
        for seed in range(5):
            w.append(ftr.API, ftr.API_MANUAL_SEED, [seed])
        w.finish()
    return path.read_bytes()


def read_everything(path: Path) -> None:
    reader = ftr.TraceReader(str(path))
    for digest, _ in reader.blob_entries:
        reader.blob(bytes(digest))


def index_offset(data: bytes) -> int:
    return struct.unpack_from("<Q", data, len(data) - 16)[0]


def refused(tmp_path: Path, data: bytes, needle: str) -> None:
    path = tmp_path / "damaged.ftr"
    path.write_bytes(data)
    with pytest.raises(ftr.TraceError, match=needle):
        read_everything(path)


def test_the_sample_reads(tmp_path):
    path = tmp_path / "ok.ftr"
    path.write_bytes(sample(tmp_path))
    read_everything(path)


@pytest.mark.parametrize("at", [12, 13, 14, 15])
def test_reserved_header_bytes_must_be_zero(tmp_path, at):
    data = bytearray(sample(tmp_path))
    data[at] = 1
    refused(tmp_path, bytes(data), "reserved bytes 12..16")


@pytest.mark.parametrize("minor", [1, 3, 0x0101])
def test_minor_version_must_be_the_one_the_events_need(tmp_path, minor):
    data = bytearray(sample(tmp_path))
    assert data[8:12] == b"\x02\x00\x00\x00"
    data[10:12] = struct.pack("<H", minor)
    refused(tmp_path, bytes(data), "need exactly 0")


LEGACY = Path(__file__).resolve().parents[2] / "tracer" / "tests" / "fixtures" / "legacy_1_1_mlp_train.ftr"


@pytest.mark.parametrize("minor,needle", [(0, "below 1"), (2, "need exactly 1"), (0x0101, "need exactly 1")])
def test_a_legacy_minor_version_must_be_the_one_the_events_need(tmp_path, minor, needle):
    data = bytearray(LEGACY.read_bytes())
    assert data[8:12] == b"\x01\x00\x01\x00"
    data[10:12] = struct.pack("<H", minor)
    refused(tmp_path, bytes(data), needle)


def test_chunk_encodings_are_checked_per_major(tmp_path):
    data = bytearray(sample(tmp_path))
    events_at = ftr.TraceReader(str(LEGACY)).chunks[0][0]
    legacy = bytearray(LEGACY.read_bytes())
    assert legacy[events_at + 5] == ftr.ENCODING_RAW
    legacy[events_at + 5] = ftr.ENCODING_ZSTD  # zstd is a 2.x encoding
    refused(tmp_path, bytes(legacy), "invalid chunk header")
    path = tmp_path / "s.ftr"
    path.write_bytes(bytes(data))
    at = ftr.TraceReader(str(path)).chunks[0][0]
    assert data[at + 5] == ftr.ENCODING_ZSTD
    data[at + 5] = 9
    refused(tmp_path, bytes(data), "invalid chunk header")


def test_nothing_may_lie_between_index_and_trailer(tmp_path):
    data = sample(tmp_path)
    refused(tmp_path, data[:-16] + b"\0" * 5 + data[-16:], "nothing may lie between them")


def test_chunks_must_be_where_the_index_places_them(tmp_path):
    data = sample(tmp_path)
    at = index_offset(data)
    stray = ftr.frame_chunk(ftr.CHUNK_BLOB, ftr.packb([b"\0" * 32, "int8", [1], b"\1"]))
    moved = data[:at] + stray + data[at:-16] + ftr.trailer(at + len(stray))
    refused(tmp_path, moved, "not where the footer index places chunks")


def test_a_blob_must_hash_to_its_digest(tmp_path):
    data = bytearray(sample(tmp_path))
    reader_path = tmp_path / "ok.ftr"
    reader_path.write_bytes(bytes(data))
    (digest, at), = ftr.TraceReader(str(reader_path)).blob_entries
    length = struct.unpack_from("<I", data, at)[0]
    payload = bytearray(data[at + 8 : at + 8 + length])
    payload[-1] ^= 1
    data[at : at + 40 + length] = ftr.frame_chunk(ftr.CHUNK_BLOB, bytes(payload))
    refused(tmp_path, bytes(data), "do not match their digest")


@pytest.mark.parametrize("dtype,shape,size", [("float32", [3], 8), ("float32", [0], 4), ("float8_e4m3fn", [3], 4)])
def test_a_blob_shape_must_fit_its_data(tmp_path, dtype, shape, size):
    path = tmp_path / "shape.ftr"
    with open(path, "wb") as f:
        w = ftr.TraceWriter(f, META)
        w.put_blob(dtype, shape, b"\0" * size)
        w.finish()
    refused(tmp_path, path.read_bytes(), "does not fit")
