"""The sample state dict the checkpoint fixtures and tests save: every dtype
the runtime's checkpoints carry, views sharing one storage (offset,
transposed), a 0-dim and an empty tensor, and `_metadata`. Deterministic
(seeded), so the committed fixture `traces/checkpoints/every_dtype` is its
`torch.save` byte for byte."""

from __future__ import annotations

import collections

import torch

DTYPES = [
    torch.float32,
    torch.float64,
    torch.float16,
    torch.bfloat16,
    torch.int64,
    torch.int32,
    torch.int16,
    torch.int8,
    torch.uint8,
    torch.bool,
]


def values(dtype: torch.dtype, n: int) -> torch.Tensor:
    """n values of dtype, specials included for floats (bit patterns matter)."""
    torch.manual_seed(0)
    if dtype == torch.bool:
        return torch.rand(n) > 0.5
    if dtype.is_floating_point:
        v = torch.randn(n, dtype=torch.float64) * 100
        v[:4] = torch.tensor([float("nan"), float("inf"), -0.0, 1e-40])
        return v.to(dtype)
    info = torch.iinfo(dtype)
    v = torch.randint(info.min, info.max, (n,), dtype=torch.int64)
    v[:2] = torch.tensor([info.min, info.max])
    return v.to(dtype)


def sample_state_dict() -> collections.OrderedDict:
    """Every dtype; views sharing one storage (offset, transposed); 0-dim; empty."""
    sd: collections.OrderedDict = collections.OrderedDict()
    for dtype in DTYPES:
        name = str(dtype).removeprefix("torch.")
        base = values(dtype, 24)
        sd[f"{name}.weight"] = base[:12].view(3, 4)
        sd[f"{name}.view_t"] = base.view(4, 6).t()  # shares base's storage
        sd[f"{name}.offset"] = base[5:9]
    sd["scalar"] = torch.tensor(2.5, dtype=torch.float64)
    sd["empty"] = torch.zeros(0, 3, dtype=torch.int32)
    sd["num_batches_tracked"] = torch.tensor(7)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])  # type: ignore[attr-defined]
    return sd
