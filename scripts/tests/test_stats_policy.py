"""Value policy `stats` (FORMAT.md §2.3): the same events and digests as
`all`, inputs and random outputs kept in full, every other value as a STATS
record that describes exactly the value `all` stores."""

from __future__ import annotations

import struct

import numpy as np

from conftest import ftr

PROGRAM = "corpus/values_stats"


def _values(blob: ftr.Blob) -> np.ndarray:
    if blob.dtype == "bfloat16":
        raw = np.frombuffer(blob.data, dtype=np.uint16).astype(np.uint32) << 16
        return raw.view(np.float32).astype(np.float64)
    kinds = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "int64": np.int64, "int32": np.int32, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "bool": np.bool_}
    return np.frombuffer(blob.data, dtype=kinds[blob.dtype]).astype(np.float64)


def test_stats_records_the_events_and_digests_of_all(captures):
    stats = captures.reader(PROGRAM, policy="stats")
    every = captures.reader(PROGRAM, policy="all")
    assert stats.meta.value_policy == "stats"
    assert [e.payload for e in stats.events] == [e.payload for e in every.events]


def test_inputs_are_blobs_and_the_rest_statistics_of_the_same_values(captures):
    stats = captures.reader(PROGRAM, policy="stats")
    every = captures.reader(PROGRAM, policy="all")
    full = kept_as_stats = 0
    for event in stats.events:
        if event.name == "tensor" and not event.payload[1]:
            assert stats.blob(event.payload[0][9]) is not None  # an input, in full
        if event.name != "op":
            continue
        for out in event.payload[4]:
            if out[0] != ftr.TAG_TENSOR or out[1][9] is None:
                continue
            digest = bytes(out[1][9])
            blob = stats.blob(digest)
            if blob is not None:
                full += 1
                continue
            kept_as_stats += 1
            record = stats.stats(digest)
            assert record is not None and bytes(record[0]) == digest
            truth = every.blob(digest)
            assert truth is not None and (record[1], list(record[2])) == (truth.dtype, list(truth.shape))
            x = _values(truth)
            finite = x[np.isfinite(x)]
            assert record[3] == x.size - finite.size
            if finite.size:
                assert (record[4], record[5]) == (float(finite.min()), float(finite.max()))
                assert np.isclose(record[6], finite.mean(), rtol=1e-12, atol=1e-12)
                assert np.isclose(record[7], np.linalg.norm(finite), rtol=1e-12)
            else:
                assert record[4:8] == [None, None, None, None]
            k = min(x.size, ftr.STATS_SAMPLES)
            assert [i for i, _ in record[8]] == [i * x.size // k for i in range(k)]
            for i, v in record[8]:
                assert struct.pack("<d", v) == struct.pack("<d", x[i]) or (np.isnan(v) and np.isnan(x[i]))
    assert full > 0 and kept_as_stats > 100


def test_stats_traces_are_smaller(captures):
    _, stats = captures.get(PROGRAM, policy="stats")
    _, every = captures.get(PROGRAM, policy="all")
    assert stats.stat().st_size < 0.6 * every.stat().st_size
