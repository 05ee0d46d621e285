"""The cross-writer fixture tracer/tests/fixtures/all_kinds.ftr."""

from __future__ import annotations

import ftr
import make_format_fixture
from conftest import REPO

FIXTURE = REPO / "tracer" / "tests" / "fixtures" / "all_kinds.ftr"


def test_regenerating_the_fixture_reproduces_the_committed_bytes(tmp_path):
    out = tmp_path / "all_kinds.ftr"
    make_format_fixture.write(str(out))
    assert out.read_bytes() == FIXTURE.read_bytes()


def collect_tags(value: list, tags: set) -> None:
    tags.add(value[0])
    if value[0] == ftr.TAG_LIST:
        for v in value[1]:
            collect_tags(v, tags)


def test_fixture_covers_every_kind_tag_and_layout_rule():
    reader = ftr.TraceReader(str(FIXTURE))
    events = reader.events
    assert {(e.layer, e.kind) for e in events} == set(ftr.KIND_NAMES)
    tags: set = set()
    for e in events:
        if e.name == "op":
            for _, v in e.payload[3]:
                collect_tags(v, tags)
            for v in e.payload[4]:
                collect_tags(v, tags)
    assert tags == set(range(12))
    assert len(reader.chunks) >= 3
    assert any(e.ts > 2**32 for e in events)
    # one value stored twice (introduced tensor, accumulated gradient) is
    # written once; a digest appears twice only as a STATS record superseded
    # by its BLOB (in that order)
    digests = [bytes(d) for d, _ in reader.blob_entries]
    kinds = dict(reader.chunk_kinds())
    twice = {d for d in digests if digests.count(d) > 1}
    assert len(twice) == 1
    (superseded,) = twice
    assert [kinds[o] for d, o in reader.blob_entries if bytes(d) == superseded] == [ftr.CHUNK_STATS, ftr.CHUNK_BLOB]
    assert reader.stats(superseded) is None and reader.blob(superseded) is not None
    stats_only = [bytes(d) for d, o in reader.blob_entries if kinds[o] == ftr.CHUNK_STATS and bytes(d) != superseded]
    assert len(stats_only) == 1 and reader.blob(stats_only[0]) is None
    assert reader.stats(stats_only[0])[3:8] == [2, None, None, None, None]
    intro = next(e for e in events if e.name == "tensor" and not e.payload[1]).payload[0][9]
    accumulated = next(e for e in events if e.name == "accumulate").payload[2][9]
    assert intro == accumulated and digests.count(bytes(intro)) == 1
    assert events[-1].name == "program_error"
    assert reader.chain_verified
