"""Speech front ends built on every window function PyTorch has.

A keyword classifier on synthetic tones trained three SGD-momentum steps
(CyclicLR), each step computing its features through:

* an MFCC pipeline (pre-emphasis, `torch.stft` with a `hamming_window`,
  power spectrum, a triangular mel filter bank from `linspace`, `log10` of
  the clamped energies with an 80 dB floor, a DCT-II matrix), as Kaldi-style
  and speechbrain front ends compute it; `hamming_window.default` and
  `periodic=False`, and a `hamming_window(…, alpha=0.5, beta=0.5)` (the
  `periodic_alpha_beta` overload, equal to Hann) for a second resolution;
* a `blackman_window` STFT branch (periodic and `periodic=False` float64
  for the spectral-flatness statistic);
* `bartlett_window` as a triangular smoothing kernel over frames
  (`conv1d` with the window as a fixed depthwise filter);
* a `kaiser_window` (default beta 12 and `beta=8.6`) windowed-sinc low-pass
  FIR applied with `conv1d` before a stride-2 decimation, as resamplers
  design it;
* `hann_window` in float64 and bfloat16 for a spectral magnitude check,
  and a zero- and one-point window, as length guards hit.

SpecAugment masks by slicing, a Conv1d + BatchNorm1d + AdaptiveMaxPool1d
classifier, cross entropy, batch sizes 4, 4 and 1.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(31)
SR, N_FFT, HOP = 800, 64, 16


def hz_to_mel(f):
    return 2595.0 * math.log10(1.0 + f / 700.0)


def mel_fbanks(n_freqs, n_mels):
    all_freqs = torch.linspace(0, SR // 2, n_freqs)
    m_pts = torch.linspace(hz_to_mel(0.0), hz_to_mel(SR / 2), n_mels + 2)
    f_pts = 700.0 * (10 ** (m_pts / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.clamp(torch.min(down, up), min=0.0)


def dct_matrix(n_mfcc, n_mels):
    n = torch.arange(float(n_mels))
    k = torch.arange(float(n_mfcc)).unsqueeze(1)
    dct = torch.cos(math.pi / float(n_mels) * (n + 0.5) * k)
    dct[0] *= 1.0 / math.sqrt(2.0)
    dct *= math.sqrt(2.0 / float(n_mels))
    return dct.t()


FBANK = mel_fbanks(N_FFT // 2 + 1, 10)
DCT = dct_matrix(6, 10)


def mfcc(wave, window):
    wave = torch.cat([wave[:, :1], wave[:, 1:] - 0.97 * wave[:, :-1]], 1)
    spec = torch.stft(wave, N_FFT, HOP, window=window, center=True, pad_mode="reflect", return_complex=True)
    mel = torch.matmul(spec.abs().pow(2.0).transpose(-1, -2), FBANK).transpose(-1, -2)
    log_mel = 10.0 * torch.log10(torch.clamp(mel, min=1e-10))
    log_mel = torch.max(log_mel, log_mel.amax(dim=(-2, -1), keepdim=True) - 80.0)
    return torch.matmul(log_mel.transpose(-1, -2), DCT).transpose(-1, -2)


def kaiser_lowpass(taps, cutoff, beta=None):
    window = torch.kaiser_window(taps, periodic=False) if beta is None else torch.kaiser_window(taps, False, beta)
    t = torch.arange(taps) - (taps - 1) / 2
    sinc = torch.where(t == 0, torch.ones(()), torch.sin(math.pi * cutoff * t) / (math.pi * cutoff * t))
    h = cutoff * sinc * window
    return (h / h.sum()).view(1, 1, -1)


def spectral_flatness(wave):
    win = torch.blackman_window(N_FFT, periodic=False, dtype=torch.float64)
    power = torch.stft(wave.double(), N_FFT, HOP, window=win, return_complex=True).abs().pow(2) + 1e-12
    return (power.log().mean(1).exp() / power.mean(1)).float()


class Classifier(nn.Module):
    def __init__(self, n_in=6 + 6 + 33 + 1, n_classes=3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(n_in, 12, 3, padding=1),
            nn.BatchNorm1d(12),
            nn.ReLU(),
            nn.AdaptiveMaxPool1d(1),
            nn.Flatten(),
            nn.Linear(12, n_classes),
        )

    def forward(self, x):
        return self.net(x)


def features(wave):
    ham = torch.hamming_window(N_FFT)
    ham_sym = torch.hamming_window(N_FFT, periodic=False)
    hann_like = torch.hamming_window(N_FFT, True, 0.5, 0.5)
    low = F.conv1d(wave.unsqueeze(1), kaiser_lowpass(15, 0.45), padding=7).squeeze(1)
    low = low + F.conv1d(wave.unsqueeze(1), kaiser_lowpass(9, 0.45, beta=8.6), padding=4).squeeze(1)
    a = mfcc(wave, ham) + 0.1 * mfcc(wave, ham_sym)
    b = mfcc(F.pad(low[:, ::2], (0, 200)), hann_like)[..., : a.shape[-1]]
    bl = torch.stft(wave, N_FFT, HOP, window=torch.blackman_window(N_FFT), return_complex=True).abs()
    bl = torch.log1p(bl)
    tri = torch.bartlett_window(5).view(1, 1, 5).expand(bl.shape[1], 1, 5)
    bl = F.conv1d(bl, tri / tri.sum(-1, keepdim=True), padding=2, groups=bl.shape[1])
    flat = spectral_flatness(wave).unsqueeze(1)
    x = torch.cat([a, b, bl, flat], 1)
    return (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-5)


def spec_augment(x):
    x = x.clone()
    f0 = int(torch.randint(0, 3, (1,)))
    x[:, f0:f0 + 2, :] = 0
    t0 = int(torch.randint(0, 5, (1,)))
    x[:, :, t0:t0 + 3] = x.mean()
    return x


model = Classifier()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
sched = torch.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2)
t = torch.arange(400) / SR
for step, batch in enumerate((4, 4, 1)):
    y = torch.randint(0, 3, (batch,))
    tone = torch.sin(2 * math.pi * (100 + 100 * y[:, None]).double() * t.double()).float()
    wave = tone + 0.3 * torch.randn(batch, 400)
    loss = F.cross_entropy(model(spec_augment(features(wave))), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(step, loss.item())

with torch.no_grad():
    hann64 = torch.hann_window(N_FFT, periodic=False, dtype=torch.float64)
    hann_bf16 = torch.hann_window(N_FFT, dtype=torch.bfloat16)
    ham_f16 = torch.hamming_window(9, dtype=torch.float16)
    guards = torch.kaiser_window(1).sum() + torch.bartlett_window(0).sum() + torch.blackman_window(1, periodic=False).sum()
    print((hann64.float() - hann_bf16.float()).abs().max().item(), ham_f16.sum().item(), guards.item())
