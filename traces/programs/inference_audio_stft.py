"""An audio classifier and a mask-based speech enhancer, evaluated under
`torch.inference_mode()` with the short-time Fourier transforms seen whole.

A log-mel front end (`torch.stft` with a Hann window, power spectrum, a
triangular mel filterbank applied by matmul, log) feeds a small classifier
(a `Conv1d` over mel bands and a `Conv2d` over the spectrogram image) that
trains three Adam steps on three tones; a speech enhancer (`stft` → a
`Conv1d` sigmoid mask on the magnitudes → `istft(length=...)`) trains three
Adam steps on a waveform MSE. With autograd on, `stft`/`istft` decompose
before the mode. The evaluation then runs in inference mode, where a
dispatch mode sees `aten.stft` and `aten.istft` whole: the classifier's
predictions; `stft` of a 1-d signal without centering, with constant
padding, `normalized` and two-sided, a window shorter than `n_fft`, no
window; the enhancer's output; `istft` with and without `length` (shorter
and longer than the signal), `normalized`, two-sided with
`return_complex=True`, without a window and `win_length < n_fft`, and
`center=False`.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
N_FFT, HOP, N_MELS, SR = 32, 8, 6, 800
E_FFT, E_HOP = 16, 4


def mel_matrix(n_freq: int, n_mels: int) -> torch.Tensor:
    hz = torch.linspace(0, SR / 2, n_freq)
    mel = 2595.0 * torch.log10(1.0 + hz / 700.0)
    pts = torch.linspace(mel.min().item(), mel.max().item(), n_mels + 2)
    lo, mid, hi = pts[:-2].unsqueeze(1), pts[1:-1].unsqueeze(1), pts[2:].unsqueeze(1)
    up = (mel - lo) / (mid - lo)
    down = (hi - mel) / (hi - mid)
    return torch.clamp(torch.minimum(up, down), min=0.0)


MEL = mel_matrix(N_FFT // 2 + 1, N_MELS)


def log_mel(wave: torch.Tensor, center: bool = True, pad_mode: str = "reflect") -> torch.Tensor:
    win = torch.hann_window(N_FFT)
    spec = torch.stft(wave, N_FFT, hop_length=HOP, window=win, center=center,
                      pad_mode=pad_mode, return_complex=True)
    power = spec.abs().pow(2)
    return torch.log(MEL @ power + 1e-6)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv1d(N_MELS, 8, 3, padding=1)
        self.c2 = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(8 + 4, 3)

    def forward(self, m: torch.Tensor) -> torch.Tensor:
        a = F.relu(self.c1(m)).mean(-1)
        b = F.relu(self.c2(m.unsqueeze(1))).mean((-1, -2))
        return self.fc(torch.cat([a, b], 1))


t = torch.arange(128, dtype=torch.float32) / SR
waves = torch.stack([torch.sin(2 * torch.pi * f * t) for f in (50.0, 150.0, 300.0)])
labels = torch.tensor([0, 1, 2])
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for _ in range(3):
    x = waves + 0.05 * torch.randn_like(waves)
    loss = F.cross_entropy(model(log_mel(x)), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
model.eval()
with torch.inference_mode():
    logits = model(log_mel(waves))
    print("predicted", logits.argmax(1).tolist())
    m2 = log_mel(waves[0], center=False)
    m3 = log_mel(waves, pad_mode="constant")
    s = torch.stft(waves, 16, hop_length=4, window=torch.hann_window(16), normalized=True, onesided=False, return_complex=True)
    s2 = torch.stft(waves, 16, hop_length=4, win_length=12, window=torch.hann_window(12), return_complex=True)
    s3 = torch.stft(waves, 16, return_complex=True)
    print(m2.shape, f"{m3.sum().item():.3f} {s.abs().sum().item():.3f} {s2.abs().sum().item():.3f} {s3.abs().sum().item():.3f}")


class Masker(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv1d(E_FFT // 2 + 1, E_FFT // 2 + 1, 3, padding=1)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        win = torch.hann_window(E_FFT)
        spec = torch.stft(wave, E_FFT, hop_length=E_HOP, window=win, return_complex=True)
        mask = torch.sigmoid(self.c(spec.abs()))
        return torch.istft(spec * mask, E_FFT, hop_length=E_HOP, window=win, length=wave.shape[-1])


t2 = torch.arange(64, dtype=torch.float32)
clean = torch.stack([torch.sin(t2 / 3), torch.cos(t2 / 5)])
enhancer = Masker()
opt2 = torch.optim.Adam(enhancer.parameters(), lr=1e-2)
for _ in range(3):
    noisy = clean + 0.2 * torch.randn_like(clean)
    loss = F.mse_loss(enhancer(noisy), clean)
    opt2.zero_grad()
    loss.backward()
    opt2.step()
enhancer.eval()
with torch.inference_mode():
    out = enhancer(clean + 0.2 * torch.randn_like(clean))
    print(f"enhanced mse {F.mse_loss(out, clean).item():.4f}")
    win = torch.hann_window(E_FFT)
    spec = torch.stft(clean, E_FFT, hop_length=E_HOP, window=win, return_complex=True)
    back = torch.istft(spec, E_FFT, hop_length=E_HOP, window=win)
    short = torch.istft(spec, E_FFT, hop_length=E_HOP, window=win, length=60)
    long = torch.istft(spec, E_FFT, hop_length=E_HOP, window=win, length=70)
    specn = torch.stft(clean, E_FFT, hop_length=E_HOP, window=win, normalized=True, return_complex=True)
    backn = torch.istft(specn, E_FFT, hop_length=E_HOP, window=win, normalized=True)
    spec1 = torch.stft(clean[0], E_FFT, hop_length=E_HOP, window=win, onesided=False, return_complex=True)
    back1 = torch.istft(spec1, E_FFT, hop_length=E_HOP, window=win, onesided=False, return_complex=True)
    backw = torch.istft(spec, E_FFT, hop_length=E_HOP, win_length=12)
    winc = win + 0.1
    specc = torch.stft(clean, E_FFT, hop_length=E_HOP, window=winc, center=False, return_complex=True)
    backc = torch.istft(specc, E_FFT, hop_length=E_HOP, window=winc, center=False)
    print(back.shape, short.shape, long.shape, backw.shape, backc.shape)
    print(f"round trip {(back - clean).abs().max().item():.2e} {(backc - clean).abs().max().item():.2e}")
    print(f"{backn.sum().item():.4f} {back1.abs().sum().item():.4f}")
