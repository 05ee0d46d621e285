"""The Python writer writes the repository's traces byte for byte.

The golden traces were written by the Rust writer (`ft-replay upgrade`)
or by the capture; re-writing each one here with scripts/ftr.py — its
values and events handed over in file order, as a capture hands them
over — must give the same bytes. This holds both writers to one rule for
everything a real trace exercises, VIEW chunks (FORMAT §2.3) included:
which values are views, of which base, and where each value lands.
"""

from __future__ import annotations

import pytest

import ftr
from conftest import REPO

TRACES = sorted((REPO / "traces").glob("*.torch.ftr")) + [REPO / "tracer/tests/fixtures/all_kinds.ftr"]


def rewritten(path: str) -> bytes:
    return ftr.rewritten(ftr.TraceReader(path))


@pytest.mark.parametrize("path", TRACES, ids=lambda p: p.name)
def test_the_python_writer_rewrites_every_trace_to_its_bytes(path):
    assert rewritten(str(path)) == path.read_bytes()


def test_the_goldens_store_views():
    """At least the transposed weights of the MLP goldens are views: a
    writer that stopped writing VIEW chunks would still pass the test above
    only if the goldens were re-written without them."""
    reader = ftr.TraceReader(str(REPO / "traces/mlp_train.torch.ftr"))
    assert ftr.CHUNK_VIEW in {kind for _, kind in reader.chunk_kinds()}
    assert reader.version == (2, ftr.VIEW_MINOR)
