"""In-place operators on views of tensors that require grad, as the capture
records them: the base's CopySlices, the view's AsStridedBackward0, and the
history PyTorch regenerates for another view of the same base (observed in
torch 2.15)."""

from __future__ import annotations

import runpy

import torch

from conftest import REPO, events_named, program_path


def numbers_without_capture(name: str) -> list:
    """`(node name, sequence number)` of every node PyTorch creates running
    the program uncaptured (relative to its start)."""
    created = []
    before = torch._C._autograd._get_sequence_nr()
    with torch.autograd.graph.node_creation_hook(lambda n: created.append((n.name(), n._sequence_nr() - before))):
        runpy.run_path(str(REPO / program_path(name)), run_name="__main__")
    return [(n.removeprefix("torch::autograd::"), s) for n, s in created if not n.endswith("AccumulateGrad")]


def test_views_get_the_sequence_numbers_of_an_uncaptured_run(captures):
    """CopySlices, AsStridedBackward0 and regenerated histories are numbered
    as without the capture (reading a view's history does not regenerate it)."""
    for name in ("stale_view", "corpus/inplace_views_grad"):
        recorded = [(p[1], p[2]) for p in events_named(captures.reader(name), "node") if p[1] != "AccumulateGrad"]
        unobserved = set(numbers_without_capture(name))
        assert set(recorded) <= unobserved, set(recorded) - unobserved
        views = [r for r in recorded if r[0] in ("CopySlices", "AsStridedBackward0")]
        assert views, name


def test_a_stale_view_is_regenerated_after_the_node_of_the_op_that_uses_it(captures):
    nodes = events_named(captures.reader("stale_view"), "node")
    names = [(p[1], p[2], p[4]) for p in nodes if p[1] != "AccumulateGrad"]
    # clone 0, selects 1 and 2, MulBackward0 of mul_ 3 (wrapped, no event),
    # CopySlices 4, v1's AsStridedBackward0 5; `v2 * 3`: MulBackward0 6, then
    # v2's regenerated AsStridedBackward0 7, written first, attached to none.
    assert names[3:7] == [
        ("CopySlices", 4, []),
        ("AsStridedBackward0", 5, [2]),
        ("AsStridedBackward0", 7, []),
        ("MulBackward0", 6, [4]),
    ]
    regenerated = next(p for p in nodes if p[1] == "AsStridedBackward0" and p[2] == 7)
    copy_slices = next(p for p in nodes if p[1] == "CopySlices")
    assert regenerated[3] == [[copy_slices[0], 0]]
