"""CPU autocast in the trace (format 2.1, api `autocast`; CAPTURE.md §5.6).

Enabling `torch.autocast("cpu")` takes AutocastCPU out of the excluded
dispatch keys, so every call on a CPU tensor inside the region has the key.
The capture polls the state with the other state changes and writes an
`autocast` event for a net change; the replayer gives it to the runtime,
whose keysets then carry the key where PyTorch's do.
"""

from __future__ import annotations

import re

import torch

from conftest import REPO, events_named, ftr

AUTOCAST_RS = REPO / "runtime/src/dispatch/autocast.rs"


def stream(reader: ftr.TraceReader) -> list:
    """`(name, payload)` of the autocast, grad_mode, backward and op events."""
    keep = ("autocast", "grad_mode", "backward", "op")
    return [(e.name, e.payload) for e in reader.events if e.name in keep]


def keys_of(op_payload: list) -> list:
    return op_payload[1]


def handler(op_payload: list, key: str):
    return dict((k, h) for k, h in op_payload[2]).get(key)


def test_each_region_writes_its_state_before_its_first_op(captures):
    reader = captures.reader("autocast_probe")
    states = events_named(reader, "autocast")
    assert states == [
        ["cpu", True, "bfloat16", True],
        ["cpu", False, "bfloat16", True],  # the nested enabled=False
        ["cpu", True, "bfloat16", True],
        ["cpu", True, "float16", False],
        ["cpu", True, "bfloat16", True],  # the decorator
        ["cpu", False, "bfloat16", True],  # after it, at `loss.item()`
    ]
    events = stream(reader)
    first = next(i for i, (name, _) in enumerate(events) if name == "autocast")
    assert events[first + 1][0] == "op"
    assert events[first + 1][1][0] == "aten._to_copy.default"


def test_keysets_carry_autocast_cpu_exactly_while_it_is_enabled(captures):
    reader = captures.reader("autocast_probe")
    enabled = False
    seen = 0
    for name, p in stream(reader):
        if name == "autocast":
            enabled = p[1]
        elif name == "op" and p[5][0] == ftr.CTX_TOP_LEVEL:
            has_cpu_tensor = "CPU" in keys_of(p) and p[0] != "aten.zeros.default"
            assert ("AutocastCPU" in keys_of(p)) == (enabled and has_cpu_tensor), p[:3]
            seen += enabled
    assert seen > 10
    # A factory without tensor arguments has no autocast key, even inside.
    zeros = [p for name, p in stream(reader) if name == "op" and p[0] == "aten.zeros.default"]
    assert [keys_of(p) for p in zeros] == [["BackendSelect"]]


def test_listed_operators_have_a_kernel_others_fall_through(captures):
    reader = captures.reader("autocast_probe")
    handlers = {}
    for name, p in stream(reader):
        if name == "op" and "AutocastCPU" in keys_of(p):
            handlers.setdefault(p[0], handler(p, "AutocastCPU"))
            # The walk goes on below the key whatever its handler.
            assert p[2][0][0] == "AutocastCPU" and len(p[2]) > 1
    assert handlers["aten.addmm.default"] == "kernel"
    assert handlers["aten.cat.default"] == "kernel"
    assert handlers["aten.mse_loss.default"] == "kernel"
    assert handlers["aten._to_copy.default"] == "fallthrough"
    assert handlers["aten.t.default"] == "fallthrough"


def test_a_backward_inside_the_region_runs_its_nodes_with_the_key(captures):
    reader = captures.reader("autocast_probe")
    node_ops = [e.payload for e in reader.events if e.name == "op" and e.payload[5][0] == ftr.CTX_NODE]
    assert node_ops
    assert all("AutocastCPU" in keys_of(p) for p in node_ops)


def test_weight_casts_are_cached_unless_the_cache_is_off(captures):
    reader = captures.reader("autocast_probe")
    casts, region = {}, None
    for name, p in stream(reader):
        if name == "autocast":
            region = (p[2], p[3]) if p[1] else None
        elif name == "op" and p[0] == "aten._to_copy.default" and p[5][0] == ftr.CTX_TOP_LEVEL and region:
            casts[region] = casts.get(region, 0) + 1
    # bfloat16 region: weight, bias and x for the first lin(x); x only for
    # the second (the cached weight and bias), one float32 cast for mse_loss
    # — the decorator's region adds its own three.
    assert casts[("bfloat16", True)] == 3 + 1 + 1 + 3
    # float16 without the cache: three casts for one call.
    assert casts[("float16", False)] == 3


def test_header_says_2_1_only_with_an_autocast_event(captures):
    # Without values: a VIEW chunk (2.5) would say more than the events.
    _, with_event = captures.get("autocast_probe", policy="none")
    _, without = captures.get("corpus/tiny_mlp", policy="none")
    assert ftr.TraceReader(str(with_event)).version == (2, 1)
    assert ftr.TraceReader(str(without)).version == (2, 0)
    assert not events_named(captures.reader("corpus/tiny_mlp"), "autocast")


def test_the_event_round_trips_and_raises_the_minor(tmp_path):
    path = tmp_path / "a.ftr"
    fw = ftr.FileTraceWriter(str(path), ftr.Meta("t", "p", "all", ()))
    fw.writer.append(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(1))
    assert fw.writer.minor_version == 0
    fw.writer.append(ftr.API, ftr.API_AUTOCAST, ftr.p_autocast("cpu", True, "float16", False))
    assert fw.writer.minor_version == 1
    fw.finish()
    reader = ftr.TraceReader(str(path))
    assert reader.version == (2, 1)
    assert events_named(reader, "autocast") == [["cpu", True, "float16", False]]


def test_a_2_1_file_claiming_2_0_is_refused(tmp_path):
    path = tmp_path / "a.ftr"
    fw = ftr.FileTraceWriter(str(path), ftr.Meta("t", "p", "all", ()))
    fw.writer.append(ftr.API, ftr.API_AUTOCAST, ftr.p_autocast("cpu", True, "bfloat16", True))
    fw.finish()
    data = bytearray(path.read_bytes())
    data[10:12] = b"\x00\x00"
    path.write_bytes(bytes(data))
    try:
        ftr.TraceReader(str(path))
    except ftr.TraceError as e:
        assert "minor version 0" in str(e) and "exactly 1" in str(e)
    else:
        raise AssertionError("a 2.0 header over an autocast event was accepted")


def test_the_runtime_lists_exactly_the_operators_with_an_autocast_cpu_kernel():
    """runtime/src/dispatch/autocast.rs `CPU_KERNELS` against torch's
    dispatch tables, over every aten operator torch registers."""
    listed = re.findall(r'^\s*"(aten\.[^"]+)",', AUTOCAST_RS.read_text(), re.M)
    assert listed == sorted(listed)
    torch_kernels = set()
    for qualified in torch._C._dispatch_get_all_op_names():
        if not qualified.startswith("aten::"):
            continue
        for line in torch._C._dispatch_dump_table(qualified).splitlines():
            key, _, entry = line.partition(": ")
            if key.strip() == "AutocastCPU" and not entry.startswith("fallthrough"):
                base, _, overload = qualified.removeprefix("aten::").partition(".")
                torch_kernels.add(f"aten.{base}.{overload or 'default'}")
    assert set(listed) == torch_kernels
