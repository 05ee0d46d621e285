"""Shared helpers for the capture and format tests.

Captures run in this process through `ft_capture.capture` (fast: torch is
imported once) unless a test is about the command line or about the process
dying, which need a subprocess. Each (program, options) pair is captured once
per session and shared by the tests that read it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
PROGRAMS = Path(__file__).resolve().parent / "programs"
CORPUS = REPO / "traces" / "programs"

sys.path.insert(0, str(SCRIPTS))

import torch  # noqa: E402

import ft_capture  # noqa: E402
import ftr  # noqa: E402


def corpus_names() -> list:
    """Every corpus program as `corpus/NAME` (traces/programs/NAME.py)."""
    return [f"corpus/{p.stem}" for p in sorted(CORPUS.glob("*.py"))]


def expected_capture_status(name: str) -> int:
    """The capture's exit status a program is written for: 3 for a program
    that raises on purpose (a line `# capture-exit: 3`), else 0."""
    source = (REPO / program_path(name)).read_text()
    return 3 if "# capture-exit: 3" in source.splitlines() else 0


def expected_capture_values(name: str) -> str:
    """The value policy a program is captured with: a line
    `# capture-values: POLICY`, else `all` (as scripts/test.sh does)."""
    for line in (REPO / program_path(name)).read_text().splitlines():
        if line.startswith("# capture-values: "):
            return line.removeprefix("# capture-values: ").strip()
    return "all"


def cpu_dependent_values(name: str) -> bool:
    """Whether a program's values depend on the CPU beyond the cross-CPU
    tolerance (a line `# cpu-dependent-values: WHY`; see recording_diff.py):
    its re-capture is compared with its golden up to the values."""
    return any(line.startswith("# cpu-dependent-values: ") for line in (REPO / program_path(name)).read_text().splitlines())


def program_path(name: str) -> str:
    """Repo-relative path of a program (as the goldens record it): `corpus/NAME`
    is traces/programs/NAME.py; a bare NAME is the test program of that name,
    or else the corpus program (some test programs share a corpus name)."""
    corpus = name.removeprefix("corpus/")
    bases = (CORPUS,) if corpus != name else (PROGRAMS, CORPUS)
    for base in bases:
        path = base / f"{corpus}.py"
        if path.exists():
            return os.path.relpath(path, REPO)
    raise FileNotFoundError(name)


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs `scripts/capture_torch.py` in a fresh interpreter from the repo root."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "capture_torch.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Captures:
    """Session cache of in-process captures."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._done: dict = {}

    def get(self, name: str, policy: str = "all", timestamps: bool = False, tag: str = "") -> tuple:
        """`(CaptureResult, path of the trace)` for a program."""
        key = (name, policy, timestamps, tag)
        if key not in self._done:
            out = self.root / f"{name.replace('/', '-')}-{policy}-{int(timestamps)}{tag}.ftr"
            cwd = os.getcwd()
            os.chdir(REPO)
            # As in a fresh process: PyTorch's global choice between full and
            # deprecated module backward hooks outlives the hooks' removal.
            torch.nn.modules.module._global_is_full_backward_hook = None
            try:
                result = ft_capture.capture_program(program_path(name), str(out), policy, timestamps)
            finally:
                os.chdir(cwd)
            self._done[key] = (result, out)
        return self._done[key]

    def reader(self, name: str, **kwargs) -> ftr.TraceReader:
        """A strict reader of a successful capture."""
        result, out = self.get(name, **kwargs)
        assert result.status in (ft_capture.EXIT_OK, ft_capture.EXIT_PROGRAM_ERROR), result.message
        return ftr.TraceReader(str(out))


@pytest.fixture(scope="session")
def captures(tmp_path_factory) -> Captures:
    """Captures shared by the whole session."""
    return Captures(tmp_path_factory.mktemp("captures"))


def ops(reader: ftr.TraceReader) -> list:
    """The op events' payloads."""
    return [e.payload for e in reader.events if e.name == "op"]


def events_named(reader: ftr.TraceReader, name: str) -> list:
    """Payloads of the events of one kind."""
    return [e.payload for e in reader.events if e.name == name]


@pytest.fixture(autouse=True)
def default_dtype_is_left_alone():
    """Every test leaves the process's default dtype as it found it: captures
    and uncaptured runs share one process, and a leaked float64 default (a
    program that sets it, run without the capture) would change what every
    later capture records."""
    import torch

    before = torch.get_default_dtype()
    yield
    after = torch.get_default_dtype()
    torch.set_default_dtype(before)
    assert after == before, f"the test left the default dtype {after} (found {before})"


@pytest.fixture(scope="session")
def ft_replay() -> str:
    """The ft-replay binary: $FT_REPLAY, else a debug build of this tree."""
    given = os.environ.get("FT_REPLAY")
    if given:
        return given
    subprocess.run(["cargo", "build", "-q", "-p", "ft-replay"], cwd=REPO, check=True, timeout=1800)
    return str(REPO / "target" / "debug" / "ft-replay")


def rewrite(src, dst, scale_value=None, rename_op=None, attrs=None) -> None:
    """A test's forged trace: copies trace `src` to `dst` event by event; the first float32 blob of
    more than one element is multiplied by `scale_value`, the first op
    named `rename_op[0]` is renamed to `rename_op[1]`, and META's attributes
    are replaced by `attrs`."""
    reader = ftr.TraceReader(str(src))
    renamed = scaled = False
    replaced: dict = {}
    meta = reader.meta
    if attrs is not None:
        meta = ftr.Meta(meta.producer, meta.program, meta.value_policy, tuple(attrs))
    with ftr.FileTraceWriter(str(dst), meta) as out:
        for digest, _ in reader.blob_entries:
            blob = reader.blob(bytes(digest))
            data = blob.data
            if scale_value is not None and not scaled and blob.dtype == "float32" and len(data) > 4:
                data = (np.frombuffer(data, dtype=np.float32) * np.float32(scale_value)).tobytes()
                scaled = True
            replaced[bytes(digest)] = out.writer.put_blob(blob.dtype, blob.shape, data)
        for event in reader.events:
            payload = _swap_digests(event.payload, replaced)
            if rename_op and not renamed and event.name == "op" and payload[0] == rename_op[0]:
                payload = [rename_op[1], *payload[1:]]
                renamed = True
            out.writer.append(event.layer, event.kind, payload, event.ts)


def _swap_digests(value, replaced):
    if isinstance(value, (bytes, bytearray)):
        return replaced.get(bytes(value), bytes(value))
    if isinstance(value, list):
        return [_swap_digests(v, replaced) for v in value]
    return value
