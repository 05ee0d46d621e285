"""The capture reuses the digest of a value it already hashed (`DigestCache`)
only while nothing can have written its storage: every program here writes
a storage after one of its tensors was hashed and then hashes a tensor with
the same geometry again, and its trace must be byte for byte the trace
without the cache. Each case also runs with the one safeguard it exercises
removed, to show that the comparison sees the stale digest then."""

from __future__ import annotations

import textwrap

import pytest

from ft_capture import capture_program, ops
from ft_capture.digests import DigestCache

PRELUDE = """\
import ctypes
import numpy as np
import torch
torch.manual_seed(0)
w = torch.randn(4, 4)
before = w.detach()  # hashed with w's geometry
"""
# Hashes a tensor with w's geometry again, and a value computed from it.
CODA = """
after = w.detach()
print(after.sum().item())
"""


def _never_written(self, sid):
    return None


def _never_exposed(self, sid):
    return None


def _trust_everything(self, sid, key, digest):
    self._by_sid.setdefault(sid, {})[key] = digest


CASES = {
    # A write through `.data` (its own version counter) into a view of it.
    "data_view": ("w.data[0].mul_(2)", "written", _never_written),
    # In place through a view, under no_grad, through a detached alias.
    "view": ("w[1].add_(1)", "written", _never_written),
    "no_grad": ("with torch.no_grad():\n    w[1:3].zero_()", "written", _never_written),
    "detached_alias": ("d = w.detach()\nd[2].fill_(5.0)", "written", _never_written),
    # An `out=` operator writing a view of w.
    "out": ("torch.mul(torch.ones(4), 3.0, out=w[3])", "written", _never_written),
    # Writes no operator makes: numpy (directly and through `np.asarray`),
    # DLPack, the data pointer.
    "numpy": ("w.numpy()[0, 0] = 7.0", "exposed", _never_exposed),
    "asarray": ("np.asarray(w)[1, 1] = 3.0", "exposed", _never_exposed),
    "dlpack": ("np.from_dlpack(w)[2, 2] = 4.0", "exposed", _never_exposed),
    # A storage's own write (its `fill_` and `copy_` are refused: they set a
    # tensor on the storage first).
    "byteswap": ("w.untyped_storage().byteswap(torch.float32)", "exposed", _never_exposed),
    "data_ptr": ("ctypes.memset(w.data_ptr(), 0, 4)", "exposed", _never_exposed),
    "storage_data_ptr": ("ctypes.memset(w.untyped_storage().data_ptr() + 4, 0, 4)", "exposed", _never_exposed),
}


def capture(tmp_path, variant: str, source: str, policy: str = "all") -> bytes:
    """The trace of `source` (the same program path for every variant: the
    trace names it)."""
    program = tmp_path / "program.py"
    program.write_text(source)
    out = tmp_path / f"{variant}.{policy}.ftr"
    result = capture_program(str(program), str(out), policy, timestamps=False)
    assert result.status == 0, result
    return out.read_bytes()


def capture_uncached(tmp_path, monkeypatch, variant: str, source: str, policy: str = "all") -> bytes:
    with monkeypatch.context() as m:
        m.setattr(DigestCache, "get", lambda self, sid, key: None)
        return capture(tmp_path, variant + "_uncached", source, policy)


@pytest.mark.parametrize("policy", ["all", "stats"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_write_between_two_hashes_is_never_hidden_by_the_cache(tmp_path, monkeypatch, case, policy):
    write, safeguard, broken = CASES[case]
    source = PRELUDE + write + "\n" + CODA
    want = capture_uncached(tmp_path, monkeypatch, case, source, policy)
    assert capture(tmp_path, case, source, policy) == want
    with monkeypatch.context() as m:
        m.setattr(DigestCache, safeguard, broken)
        assert capture(tmp_path, case + "_broken", source, policy) != want, "the case does not reach the safeguard"


def test_memory_from_numpy_is_never_cached(tmp_path, monkeypatch):
    source = textwrap.dedent(
        """\
        import numpy as np
        import torch
        arr = np.ones((4, 4), dtype=np.float32)
        x = torch.from_numpy(arr)
        before = x.detach()
        arr[0, 0] = 5.0
        after = x.detach()
        print(after.sum().item())
        """
    )
    want = capture_uncached(tmp_path, monkeypatch, "from_numpy", source)
    assert capture(tmp_path, "from_numpy", source) == want
    with monkeypatch.context() as m:
        m.setattr(DigestCache, "put", _trust_everything)
        assert capture(tmp_path, "from_numpy_broken", source) != want


def test_a_file_mapped_shared_is_never_cached(tmp_path, monkeypatch):
    data = tmp_path / "data.bin"
    source = textwrap.dedent(
        f"""\
        import numpy as np
        import torch
        np.ones(16, dtype=np.float32).tofile({str(data)!r})
        x = torch.from_file({str(data)!r}, shared=True, size=16)
        before = x.detach()
        with open({str(data)!r}, "r+b") as f:
            f.write(np.full(4, 9.0, dtype=np.float32).tobytes())
        after = x.detach()
        print(after.sum().item())
        """
    )
    want = capture_uncached(tmp_path, monkeypatch, "from_file", source)
    assert capture(tmp_path, "from_file", source) == want
    with monkeypatch.context() as m:
        m.setattr(ops, "FILE_BACKED_OPS", frozenset())
        assert capture(tmp_path, "from_file_broken", source) != want


def test_gradients_accumulated_over_two_backward_calls(tmp_path, monkeypatch):
    source = textwrap.dedent(
        """\
        import torch
        torch.manual_seed(0)
        w = torch.randn(3, 3, requires_grad=True)
        x = torch.randn(2, 3)
        for _ in range(3):
            (x @ w.t()).relu().sum().backward()
        g = w.grad.detach()
        with torch.no_grad():
            w.grad.t().mul_(0.5)
        print(w.grad.detach().sum().item(), g.sum().item())
        """
    )
    assert capture(tmp_path, "accumulate", source) == capture_uncached(tmp_path, monkeypatch, "accumulate", source)


def test_a_storage_swapped_under_a_tensor_is_another_storage(tmp_path, monkeypatch):
    source = PRELUDE + "w.data = torch.zeros(4, 4)\n" + CODA
    assert capture(tmp_path, "swap", source) == capture_uncached(tmp_path, monkeypatch, "swap", source)


def test_training_reuses_digests_and_writes_the_same_trace(tmp_path, monkeypatch):
    source = textwrap.dedent(
        """\
        import torch
        from torch import nn
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        x, y = torch.randn(4, 8), torch.randint(0, 2, (4,))
        for _ in range(3):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
        """
    )
    hits = []
    original = DigestCache.get

    def counting_get(self, sid, key):
        digest = original(self, sid, key)
        hits.append(digest is not None)
        return digest

    want = capture_uncached(tmp_path, monkeypatch, "train", source)
    monkeypatch.setattr(DigestCache, "get", counting_get)
    assert capture(tmp_path, "train", source) == want
    # The transposed weights' `t` in backward and AccumulateGrad's `detach`.
    assert sum(hits) >= 3 * 4
