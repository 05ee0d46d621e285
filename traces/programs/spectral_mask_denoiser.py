"""A spectral-mask speech denoiser as audio models write one: a causal
dilated grouped Conv1d front end (left padding with F.pad), a normalized
Hamming-window STFT with constant centre padding, log-magnitude and phase
features (`abs` and `angle` of the complex spectrum, whose real result
PyTorch returns contiguous although the spectrum is frequency-major in
memory), a sigmoid mask applied to the spectrum and inverted by `istft`
with an explicit length, plus a bfloat16 head of Hardsigmoid, LogSigmoid,
Softshrink, Threshold, Mish, CELU and Softplus(beta, threshold) and a GLU,
trained two Adam steps."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
conv = nn.Conv1d(2, 4, 3, dilation=2, groups=2)
proj = nn.Linear(9, 4)
opt = torch.optim.Adam([*conv.parameters(), *proj.parameters()], lr=1e-3)
window = torch.hamming_window(16, periodic=False)

for step in range(2):
    wav = torch.randn(2, 2, 64)
    h = conv(F.pad(wav, (4, 0)))
    spec = torch.stft(
        h.reshape(-1, 64),
        n_fft=16,
        hop_length=4,
        window=window,
        center=True,
        pad_mode="constant",
        normalized=True,
        onesided=True,
        return_complex=True,
    )
    log_mag = spec.abs().clamp_min(1e-5).log1p()
    phase = torch.angle(spec)
    feat = proj(log_mag.transpose(1, 2)) + 0.1 * proj(torch.cos(phase).transpose(1, 2))
    mask = torch.sigmoid(feat.mean(-1)).unsqueeze(1)
    clean = torch.istft(
        spec * mask, n_fft=16, hop_length=4, window=window, center=True, normalized=True, length=60
    )
    x = feat.to(torch.bfloat16)
    acts = (
        F.hardsigmoid(x)
        + F.logsigmoid(x)
        + F.softshrink(x, 0.3)
        + F.threshold(x, 0.1, -1.0)
        + F.mish(x)
        + F.celu(x, alpha=0.5)
        + F.softplus(x, beta=2.0, threshold=5.0)
    )
    gated = F.glu(torch.cat([feat, feat], -1), dim=-1)
    loss = clean.pow(2).mean() + acts.float().mean() + gated.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
