"""Holds on graph nodes under the capture (scripts/ft_capture/held_nodes.py,
FORMAT.md §3.4.4 kind `hold`): register_multi_grad_hook(mode="all") holds
its tensors' nodes from the lookup until every hook of the registration
died, and PyTorch reuses a held AccumulateGrad for every graph meanwhile."""

from __future__ import annotations

NAME = "corpus/multi_grad_hook_layers"


def _holds(events: list) -> dict:
    """Hold id -> (index of its register_node_hook, node id)."""
    return {e.payload[0]: (i, e.payload[2]) for i, e in enumerate(events) if e.name == "register_node_hook" and e.payload[1] == "hold"}


def test_each_hold_names_an_accumulate_grad_before_the_lookup_view_is_released(captures):
    events = captures.reader(NAME).events
    nodes = {e.payload[0]: e.payload for e in events if e.name == "node"}
    holds = _holds(events)
    # Mode "all" on three layers of two parameters; mode "any" holds none.
    assert len(holds) == 6
    for i, nid in holds.values():
        assert nodes[nid][1] == "AccumulateGrad"
        view = events[i - 3]
        assert view.name == "op" and view.payload[0] == "aten.view.default"
        view_out = view.payload[4][0][1][0]
        assert events[i + 1].name == "release" and events[i + 1].payload == [view_out]


def test_a_held_accumulate_grad_is_reused_until_the_hold_ends(captures):
    events = captures.reader(NAME).events
    holds = _holds(events)
    ended = {e.payload[0]: i for i, e in enumerate(events) if e.name == "remove_hook" and e.payload[0] in holds}
    # The first two registrations were removed, the head's never was.
    assert len(ended) == 4
    for hid, (start, nid) in holds.items():
        leaf = next(e.payload[4][0] for e in events if e.name == "node" and e.payload[0] == nid)
        end = ended.get(hid, len(events))
        assert start < end
        made_while_held = [e for e in events[start:end] if e.name == "node" and e.payload[1] == "AccumulateGrad" and e.payload[4] == [leaf]]
        assert made_while_held == []
        if hid in ended:
            # Steps run in a function after the removal make new ones.
            assert any(e.name == "node" and e.payload[1] == "AccumulateGrad" and e.payload[4] == [leaf] for e in events[end:])
