"""A multi-resolution STFT loss on one waveform.

A small 1-d convolutional enhancer (as neural vocoders and speech
enhancers train) maps one noisy 1-d waveform to a clean one, trained three
Adam steps on the time-domain L1 plus a multi-resolution STFT loss
(Parallel WaveGAN's): for each (n_fft, hop, window) resolution,
`torch.stft(..., window=torch.hann_window(n), return_complex=True)` of the
1-d signal (unsqueezed to a batch of one, then its complex result squeezed
in place: `squeeze_(0)` on complex64), magnitudes through `abs` clamped
away from zero, spectral convergence (Frobenius norms of the difference
and of the target) and the L1 of log magnitudes. Then a batch of two
signals through the same loss (no squeeze) and an evaluation under
`no_grad`.
"""
# cpu-dependent-values: the convolutions round their last bit differently on different CPUs, and the spectral loss's FFTs and its overlap-add backward carry that into Adam's steps beyond elementwise tolerance

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)
RESOLUTIONS = ((16, 4, 16), (32, 8, 24), (8, 2, 8))


def stft_mag(x: torch.Tensor, n_fft: int, hop: int, win: int) -> torch.Tensor:
    window = torch.hann_window(win)
    spec = torch.stft(x, n_fft, hop_length=hop, win_length=win, window=window, return_complex=True)
    return spec.abs().clamp(min=1e-7)


def stft_loss(y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    total = y.new_zeros(())
    for n_fft, hop, win in RESOLUTIONS:
        ym, tm = stft_mag(y, n_fft, hop, win), stft_mag(t, n_fft, hop, win)
        sc = torch.norm(tm - ym, p="fro") / torch.norm(tm, p="fro")
        mag = F.l1_loss(torch.log(ym), torch.log(tm))
        total = total + sc + mag
    return total / len(RESOLUTIONS)


class Enhancer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Conv1d(1, 6, 5, padding=2)
        self.mid = nn.Conv1d(6, 6, 3, padding=2, dilation=2)
        self.out = nn.Conv1d(6, 1, 3, padding=1)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.inp(wave.view(-1, 1, wave.shape[-1])), 0.2)
        h = h + F.leaky_relu(self.mid(h), 0.2)
        return torch.tanh(self.out(h)).view(wave.shape)


model = Enhancer()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
t = torch.arange(64, dtype=torch.float32)
clean = 0.5 * torch.sin(2 * torch.pi * t / 9) + 0.2 * torch.sin(2 * torch.pi * t / 4)
for _ in range(3):
    noisy = clean + 0.1 * torch.randn(64)
    out = model(noisy)
    loss = F.l1_loss(out, clean) + stft_loss(out, clean)
    opt.zero_grad()
    loss.backward()
    opt.step()
batch = torch.stack([clean, clean.flip(0)]) + 0.1 * torch.randn(2, 64)
loss = stft_loss(model(batch), torch.stack([clean, clean.flip(0)]))
opt.zero_grad()
loss.backward()
opt.step()
with torch.no_grad():
    print(f"stft loss {stft_loss(model(clean), clean).item():.4f}")
