"""Writes the torch.save files of packet FT-P2C-006's checkpoint fixtures
(traces/checkpoints/<id>/archive.pt; torch names an archive's folder after
its file, the runtime's writer names it `archive`, so the files compare
record for record). Run once with real torch; the files are committed and
`ft-replay parity-report --packet FT-P2C-006` reads each, writes it back
and compares the bytes (docs/CHECKPOINT.md):

    python scripts/make_checkpoint_fixtures.py

torch.save writes a random `.data/serialization_id`, so a re-run changes
the files (and stales the packet's report) without changing the fixtures.
"""

import collections
import os
from pathlib import Path

import torch
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "traces" / "checkpoints"

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


def every_dtype() -> collections.OrderedDict:
    """Every dtype; views sharing one storage (offset, transposed); 0-dim; empty."""
    sd: collections.OrderedDict = collections.OrderedDict()
    for dtype in DTYPES:
        name = str(dtype).removeprefix("torch.")
        base = values(dtype, 24)
        sd[f"{name}.weight"] = base[:12].view(3, 4)
        sd[f"{name}.view_t"] = base.view(4, 6).t()
        sd[f"{name}.offset"] = base[5:9]
    sd["scalar"] = torch.tensor(2.5, dtype=torch.float64)
    sd["empty"] = torch.zeros(0, 3, dtype=torch.int32)
    sd["num_batches_tracked"] = torch.tensor(7)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])  # type: ignore[attr-defined]
    return sd


class RunsAShell:
    """Pickles as a call of os.system: what weights_only refuses."""

    def __reduce__(self) -> tuple:
        return (os.system, ("echo loaded a checkpoint that runs a shell",))


def save(name: str, obj: object) -> Path:
    path = OUT / name / "archive.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(obj, path)
    return path


def main() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3), nn.BatchNorm1d(3))
    model(torch.randn(8, 6))  # BatchNorm's running statistics and counter move
    mlp = save("mlp_state_dict", model.state_dict())
    save("every_dtype", every_dtype())
    save("os_system", {"weight": torch.ones(2), "payload": RunsAShell()})
    cut = OUT / "truncated" / "archive.pt"
    cut.parent.mkdir(parents=True, exist_ok=True)
    data = mlp.read_bytes()
    cut.write_bytes(data[: len(data) - 30])


if __name__ == "__main__":
    main()
