"""Checkpoints between PyTorch and the Rust runtime (`ft-replay checkpoint`).

Round trips torch -> Rust -> torch and Rust -> torch -> Rust with byte
equality for every dtype the runtime has, shared storages, non-contiguous
views, storage offsets, 0-dim and empty tensors, and `_metadata`; pickles
that would execute code, name other globals or lie about sizes are refused
with the exit code the README documents, and nothing runs.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
import torch

from checkpoint_samples import sample_state_dict
from conftest import REPO


def run(binary: str, *args: object) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=120)


def raw_bytes(t: torch.Tensor) -> bytes:
    """The tensor's whole storage, as bytes."""
    return bytes(t.untyped_storage())


def assert_same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        x, y = a[k], b[k]
        assert (x.dtype, x.shape, x.stride(), x.storage_offset()) == (
            y.dtype,
            y.shape,
            y.stride(),
            y.storage_offset(),
        ), k
        assert raw_bytes(x) == raw_bytes(y), k

    # Sharing: keys viewing one storage still do, others still do not.
    def groups(d: dict) -> list:
        ptrs = [d[k].untyped_storage().data_ptr() for k in d]
        return [ptrs.index(p) for p in ptrs]

    assert groups(a) == groups(b)
    assert getattr(a, "_metadata", None) == getattr(b, "_metadata", None)


def test_torch_to_rust_to_torch_is_byte_equal(tmp_path: Path, ft_replay: str) -> None:
    sd = sample_state_dict()
    # Named archive.pt: torch names the archive's folder after the file, as
    # the Rust writer names it `archive`, so the two files can be compared.
    original = tmp_path / "archive.pt"
    torch.save(sd, original)
    ftc = tmp_path / "model.ftc"
    back = tmp_path / "back.pt"
    r = run(ft_replay, "checkpoint", "convert", original, "-o", ftc)
    assert r.returncode == 0, r.stderr
    r = run(ft_replay, "checkpoint", "convert", ftc, "-o", back)
    assert r.returncode == 0, r.stderr
    loaded = torch.load(back, weights_only=True)
    assert_same(sd, loaded)
    assert_same_archive(back, original)


def assert_same_archive(ours_path: Path, theirs_path: Path) -> None:
    """The Rust writer lays the archive out as torch does: every entry but
    torch's random serialization id is the same bytes at the same offset
    (`theirs_path` must be named archive.pt: torch names the archive's
    folder after the file, the Rust writer names it `archive`)."""
    ours = zipfile.ZipFile(ours_path)
    theirs = zipfile.ZipFile(theirs_path)
    their_entries = [i for i in theirs.infolist() if not i.filename.endswith("serialization_id")]
    assert [i.filename for i in ours.infolist()] == [i.filename for i in their_entries]
    for mine, their in zip(ours.infolist(), their_entries):
        assert ours.read(mine) == theirs.read(their), mine.filename
        assert mine.header_offset == their.header_offset, mine.filename


def test_rust_to_torch_to_rust_is_byte_equal(tmp_path: Path, ft_replay: str) -> None:
    torch.save(sample_state_dict(), tmp_path / "seed.pt")
    first = tmp_path / "first.ftc"
    assert run(ft_replay, "checkpoint", "convert", tmp_path / "seed.pt", "-o", first).returncode == 0
    rust_pt = tmp_path / "rust.pt"
    assert run(ft_replay, "checkpoint", "convert", first, "-o", rust_pt).returncode == 0
    # PyTorch reads the Rust-written file and saves it again itself.
    resaved = tmp_path / "resaved.pt"
    torch.save(torch.load(rust_pt, weights_only=True), resaved)
    second = tmp_path / "second.ftc"
    r = run(ft_replay, "checkpoint", "convert", resaved, "-o", second)
    assert r.returncode == 0, r.stderr
    assert first.read_bytes() == second.read_bytes()
    # Deterministic: converting again gives the same bytes.
    again = tmp_path / "again.ftc"
    assert run(ft_replay, "checkpoint", "convert", resaved, "-o", again).returncode == 0
    assert again.read_bytes() == second.read_bytes()


def test_info_reports_geometry_and_one_hash_for_both_formats(tmp_path: Path, ft_replay: str) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    pt = tmp_path / "model.pt"
    torch.save(model.state_dict(), pt)
    ftc = tmp_path / "model.ftc"
    assert run(ft_replay, "checkpoint", "convert", pt, "-o", ftc).returncode == 0
    infos = []
    for path in (pt, ftc):
        r = run(ft_replay, "checkpoint", "info", path, "--format", "json")
        assert r.returncode == 0, r.stderr
        infos.append(json.loads(r.stdout))
    assert infos[0]["content_hash"] == infos[1]["content_hash"]
    names = [(t["name"], t["dtype"], t["shape"]) for t in infos[0]["tensors"]]
    assert names == [(k, str(v.dtype).removeprefix("torch."), list(v.shape)) for k, v in model.state_dict().items()]
    assert infos[1]["version"] == "1.0"
    # A damaged envelope is refused (checksum), exit 4.
    data = bytearray(ftc.read_bytes())
    data[len(data) // 2] ^= 1
    ftc.write_bytes(bytes(data))
    r = run(ft_replay, "checkpoint", "info", ftc)
    assert r.returncode == 4 and "checksum mismatch" in r.stderr, r.stderr


class Pwn:
    """A pickle that would run a shell command when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def test_code_execution_is_refused_and_nothing_runs(tmp_path: Path, ft_replay: str) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"w": torch.ones(2), "x": Pwn(marker)}, evil)
    for args in (("info", evil), ("convert", evil, "-o", tmp_path / "out.ftc")):
        r = run(ft_replay, "checkpoint", *args)
        assert r.returncode == 4, r.stderr
        assert "global posix.system is not allowed" in r.stderr, r.stderr
        assert "nothing was executed" in r.stderr
    assert not marker.exists()
    assert not (tmp_path / "out.ftc").exists()
    # PyTorch's weights_only loader refuses it too.
    with pytest.raises(Exception, match="system"):
        torch.load(evil, weights_only=True)


def test_other_globals_are_refused_by_name(tmp_path: Path, ft_replay: str) -> None:
    path = tmp_path / "opt.pt"
    torch.save({"w": torch.ones(2), "fn": collections.Counter}, path)
    r = run(ft_replay, "checkpoint", "info", path)
    # Counter is allowed by weights_only but is not a tensor reader's business.
    assert r.returncode == 5 and "collections.Counter" in r.stderr, r.stderr
    path = tmp_path / "cls.pt"
    torch.save({"w": zipfile.ZipInfo("x")}, path)
    r = run(ft_replay, "checkpoint", "info", path)
    assert r.returncode == 4 and "global zipfile.ZipInfo is not allowed" in r.stderr, r.stderr


def test_unsupported_dtype_and_damaged_files(tmp_path: Path, ft_replay: str) -> None:
    path = tmp_path / "complex.pt"
    torch.save({"z": torch.ones(2, dtype=torch.complex64)}, path)
    r = run(ft_replay, "checkpoint", "info", path)
    assert r.returncode == 5 and "complex64" in r.stderr, r.stderr
    good = tmp_path / "good.pt"
    torch.save({"w": torch.arange(10.0)}, good)
    data = good.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) - 30])
    r = run(ft_replay, "checkpoint", "info", cut)
    assert r.returncode == 4 and "zip archive refused" in r.stderr, r.stderr
    # A flipped bit in a storage record: its CRC-32 fails.
    z = zipfile.ZipFile(good)
    record = next(i for i in z.infolist() if i.filename.endswith("data/0"))
    flipped = bytearray(data)
    start = data.index(z.read(record), record.header_offset)
    flipped[start + 3] ^= 1
    bad = tmp_path / "bad.pt"
    bad.write_bytes(bytes(flipped))
    r = run(ft_replay, "checkpoint", "info", bad)
    assert r.returncode == 4 and "CRC-32" in r.stderr, r.stderr


def test_legacy_files_are_read_and_protocol_4_refused(tmp_path: Path, ft_replay: str) -> None:
    sd = sample_state_dict()
    legacy = tmp_path / "legacy.pt"
    torch.save(sd, legacy, _use_new_zipfile_serialization=False)
    back = tmp_path / "back.pt"
    r = run(ft_replay, "checkpoint", "convert", legacy, "-o", back)
    assert r.returncode == 0, r.stderr
    assert_same(sd, torch.load(back, weights_only=True))
    # Damage past the pickles: the storage records no longer add up. The
    # records follow the storage keys' order, and legacy keys are object
    # addresses, so the last record is the empty tensor's (the cut takes its
    # element count) or another one (the cut takes its bytes) from run to run.
    data = legacy.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[:-5])
    r = run(ft_replay, "checkpoint", "info", cut)
    assert r.returncode == 4, r.stderr
    truncated = ("more than the file holds", "truncated: its element count at offset")
    assert any(m in r.stderr for m in truncated), r.stderr
    # Protocol 4 frames its pickle: refused by name, as weights_only refuses it.
    p4 = tmp_path / "p4.pt"
    torch.save(sd, p4, pickle_protocol=4)
    r = run(ft_replay, "checkpoint", "info", p4)
    assert r.returncode == 4 and "opcode FRAME (0x95)" in r.stderr, r.stderr


def test_convert_usage_errors(tmp_path: Path, ft_replay: str) -> None:
    pt = tmp_path / "m.pt"
    torch.save({"w": torch.ones(1)}, pt)
    r = run(ft_replay, "checkpoint", "convert", pt, "-o", pt)
    assert r.returncode == 2 and "the output is the input" in r.stderr
    r = run(ft_replay, "checkpoint", "convert", pt, "-o", tmp_path / "m.weird")
    assert r.returncode == 2 and "--to" in r.stderr
    r = run(ft_replay, "checkpoint", "convert", pt, "-o", tmp_path / "m.weird", "--to", "ftc")
    assert r.returncode == 0, r.stderr


def test_sidecar_repairs_a_checkpoint(tmp_path: Path, ft_replay: str) -> None:
    pt = tmp_path / "m.pt"
    torch.save(sample_state_dict(), pt)
    r = run(ft_replay, "checkpoint", "protect", pt, "--overhead", "20")
    assert r.returncode == 0, r.stderr
    original = pt.read_bytes()
    damaged = bytearray(original)
    damaged[200:260] = bytes(60)
    pt.write_bytes(bytes(damaged))
    assert run(ft_replay, "checkpoint", "info", pt).returncode == 4
    r = run(ft_replay, "checkpoint", "repair", pt)
    assert r.returncode == 0, r.stderr
    assert pt.read_bytes() == original


def test_pytorch_mlp_state_dict_runs_in_rust_modules_and_back(tmp_path: Path) -> None:
    """Acceptance: a state dict PyTorch saved loads into the runtime's nn
    modules (strict), their forward pass matches PyTorch's, and the state
    dict the Rust modules save loads back into PyTorch with equal values."""
    subprocess.run(
        ["cargo", "build", "-q", "-p", "ft-runtime", "--example", "checkpoint_mlp"],
        cwd=REPO,
        check=True,
        timeout=1800,
    )
    program = REPO / "target" / "debug" / "examples" / "checkpoint_mlp"
    torch.manual_seed(0)

    def mlp() -> torch.nn.Sequential:
        return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))

    model = mlp()
    x = torch.randn(10, 6)
    expected = model(x).detach()
    torch.save(model.state_dict(), tmp_path / "model.pt")
    torch.save({"x": x}, tmp_path / "input.pt")
    r = subprocess.run(
        [program, tmp_path / "model.pt", tmp_path / "input.pt", tmp_path / "out.pt", tmp_path / "state.pt"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    y = torch.load(tmp_path / "out.pt", weights_only=True)["y"]
    assert y.shape == expected.shape
    torch.testing.assert_close(y, expected, rtol=1e-5, atol=1e-6)
    # Back: the Rust modules' state dict drives a fresh PyTorch model.
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    again = mlp()
    again.load_state_dict(state, strict=True)
    assert getattr(state, "_metadata", None) == model.state_dict()._metadata  # type: ignore[attr-defined]
    for k, v in model.state_dict().items():
        assert torch.equal(state[k], v), k
        # state_dict() detaches: torch.save records requires_grad=False.
        assert state[k].requires_grad is v.requires_grad is False, k
    assert torch.equal(again(x).detach(), expected)
    # The file the Rust modules wrote is torch.save(model.state_dict())'s,
    # byte for byte (the pickle records each entry's requires_grad).
    (tmp_path / "torch").mkdir()
    torch.save(model.state_dict(), tmp_path / "torch" / "archive.pt")
    assert_same_archive(tmp_path / "state.pt", tmp_path / "torch" / "archive.pt")
