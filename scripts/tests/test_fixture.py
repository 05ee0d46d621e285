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
    assert tags == set(range(11))
    assert len(reader.chunks) >= 3
    assert any(e.ts > 2**32 for e in events)
    # one value stored twice (introduced tensor, accumulated gradient) is written once
    digests = [bytes(d) for d, _ in reader.blob_entries]
    assert len(digests) == len(set(digests))
    intro = next(e for e in events if e.name == "tensor" and not e.payload[1]).payload[0][9]
    accumulated = next(e for e in events if e.name == "accumulate").payload[2][9]
    assert intro == accumulated and digests.count(bytes(intro)) == 1
    assert events[-1].name == "program_error"
    assert reader.chain_verified
