"""Spectral losses for a 1-D signal model, as audio and time-series code
writes them.

A small 1-D conv net maps a noisy signal to a clean one. Its loss adds to
the time-domain L1 error the L1 distance of `torch.fft.rfft` magnitudes
(`norm="ortho"`; the prediction's as `sqrt(re² + im² + eps)`, the
target's with `abs`) and a multi-resolution STFT loss: `torch.stft` with a Hann
window (`center=True`, reflect padding, `return_complex=True`) at two
resolutions, compared as log power spectrograms (`view_as_real`, squared
parts summed, log1p-compressed). Three Adam steps; then, without grad, `irfft` of the
predicted spectrum (`n=`), `istft` round trip of the target, and
`fftshift`/`ifftshift`/`fftfreq`-style bookkeeping of a detached spectrum.
"""

import torch

torch.manual_seed(0)
length = 160
t = torch.linspace(0, 1, length, dtype=torch.float64)
tones = torch.sin(2 * torch.pi * 12 * t) + 0.5 * torch.sin(2 * torch.pi * 31 * t + 0.3)
clean = tones.float().expand(3, length) * torch.rand(3, 1)
noisy = clean + 0.3 * torch.randn(3, length)

net = torch.nn.Sequential(
    torch.nn.Conv1d(1, 8, 9, padding=4),
    torch.nn.Tanh(),
    torch.nn.Conv1d(8, 1, 9, padding=4),
)
opt = torch.optim.Adam(net.parameters(), lr=1e-2)


def log_power(x, n_fft, hop):
    window = torch.hann_window(n_fft)
    spec = torch.stft(
        x, n_fft=n_fft, hop_length=hop, window=window, center=True,
        pad_mode="reflect", return_complex=True,
    )
    power = torch.view_as_real(spec).pow(2).sum(-1)
    return torch.log1p(power)


def magnitude(spec):
    # |X| kept differentiable at empty bins: sqrt(re² + im² + eps).
    return (torch.view_as_real(spec).pow(2).sum(-1) + 1e-3).sqrt()


for step in range(3):
    opt.zero_grad()
    pred = net(noisy.unsqueeze(1)).squeeze(1)
    time_loss = (pred - clean).abs().mean()
    mag_pred = magnitude(torch.fft.rfft(pred, norm="ortho"))
    mag_true = torch.fft.rfft(clean, norm="ortho").abs()
    spectral = (mag_pred - mag_true).abs().mean()
    stft_loss = 0.0
    for n_fft, hop in [(64, 16), (32, 8)]:
        stft_loss = stft_loss + (log_power(pred, n_fft, hop) - log_power(clean, n_fft, hop)).abs().mean()
    loss = time_loss + spectral + 0.1 * stft_loss
    loss.backward()
    opt.step()
    print(step, loss.item())

with torch.no_grad():
    spectrum = torch.fft.rfft(pred)
    rebuilt = torch.fft.irfft(spectrum, n=length)
    print((rebuilt - pred).abs().max().item())
    window = torch.hann_window(64)
    spec = torch.stft(clean, 64, hop_length=16, window=window, return_complex=True)
    back = torch.istft(spec, 64, hop_length=16, window=window, length=length)
    print((back - clean).abs().max().item())
    full = torch.fft.fft(pred.double())
    centred = torch.fft.fftshift(full.abs(), dim=-1)
    print(centred[:, length // 2].tolist(), torch.fft.ifftshift(centred, dim=-1)[:, 1].tolist())
