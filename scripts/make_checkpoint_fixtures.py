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

import os
from pathlib import Path

import torch
from torch import nn

from checkpoint_samples import sample_state_dict

OUT = Path(__file__).resolve().parent.parent / "traces" / "checkpoints"


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
    save("every_dtype", sample_state_dict())
    save("os_system", {"weight": torch.ones(2), "payload": RunsAShell()})
    cut = OUT / "truncated" / "archive.pt"
    cut.parent.mkdir(parents=True, exist_ok=True)
    data = mlp.read_bytes()
    cut.write_bytes(data[: len(data) - 30])


if __name__ == "__main__":
    main()
