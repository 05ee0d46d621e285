"""Composites seen whole that conjugate inside themselves compute under the
capture what they compute without it.

A dispatch mode's handler runs with the Conjugate and Negative keys
excluded, so `torch.fft.hfft` (which transforms `input.conj()`) seen whole
under `inference_mode` would ignore the conjugation inside it: the program
would compute another result while captured than when run alone, and the
trace would hold it (observed in torch 2.15). The capture restores the two
keys for those composites.
"""

from __future__ import annotations

import pytest
import torch

import ft_capture
import ftr


def transforms(x: torch.Tensor) -> list:
    return [
        torch.fft.hfft(x[0], 6),
        torch.fft.hfft2(x),
        torch.fft.hfftn(x, norm="ortho"),
        torch.fft.hfft(x[1].conj(), 4, norm="forward"),
    ]


def test_hfft_seen_whole_keeps_its_conjugation_under_the_capture(tmp_path):
    x = torch.randn(4, 5, dtype=torch.complex64, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        alone = transforms(x)
    path = tmp_path / "hfft.ftr"
    with ft_capture.capture(str(path), values="none") as cap:
        with torch.inference_mode():
            captured = transforms(x)
    assert cap.result.status == 0
    for a, b in zip(alone, captured):
        assert torch.equal(a, b)
    names = [e.payload[0] for e in ftr.TraceReader(str(path)).events if e.name == "op"]
    assert names.count("aten.fft_hfft.default") == 2 and "aten.fft_hfftn.default" in names


@pytest.mark.parametrize("mode", ["plain", "mode"])
def test_without_the_restored_keys_a_mode_drops_the_conjugation(mode):
    # The PyTorch behaviour the capture works around: if this starts to
    # pass with equal results under a bare mode, the workaround can go.
    from torch.utils._python_dispatch import TorchDispatchMode

    class Bare(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    x = torch.tensor([1 + 1j, 2 - 1j, 3 + 0.5j])
    with torch.inference_mode():
        if mode == "plain":
            assert torch.fft.hfft(x, 4).tolist() == [8.0, -4.0, 0.0, 0.0]
        else:
            with Bare():
                assert torch.fft.hfft(x, 4).tolist() == [8.0, 0.0, 0.0, -4.0]
