"""Causal padding at batch size 1.

A WaveNet-style model on one raw waveform (batch 1, one input channel):
each dilated Conv1d is made causal with `F.pad(x, (dilation * (k - 1), 0))`,
behind a learnable one-channel pre-emphasis filter, gated tanh x sigmoid
units with residual and skip 1x1 convolutions, a softmax over 16 mu-law
classes, and a token shift over time on the [1, T, C] features
(`F.pad(h, (0, 0, 1, 0))[:, :-1]`, each step seeing the one before, as
RWKV's time mixing does). ConstantPadNdBackward0 crops the padded gradient with
a negative pad; PyTorch's crop is a narrowed clone, which keeps the
gradient's strides where the crop is dense ([1, 1, T] cut from
[1, 1, T + 2] has strides [T + 2, T + 2, 1]). Trained three Adam steps
with gradient clipping, then a short autoregressive generation.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
CLASSES = 16


def mu_law(x: torch.Tensor) -> torch.Tensor:
    mu = CLASSES - 1
    y = torch.sign(x) * torch.log1p(mu * x.abs()) / torch.log1p(torch.tensor(float(mu)))
    return ((y + 1) / 2 * mu + 0.5).long().clamp(0, mu)


class GatedLayer(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.dilation = dilation
        self.filter = nn.Conv1d(channels, channels, 2, dilation=dilation)
        self.gate = nn.Conv1d(channels, channels, 2, dilation=dilation)
        self.residual = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        padded = F.pad(x, (self.dilation, 0))
        z = torch.tanh(self.filter(padded)) * torch.sigmoid(self.gate(padded))
        return x + self.residual(z), self.skip(z)


class WaveNet(nn.Module):
    def __init__(self, channels: int = 6) -> None:
        super().__init__()
        self.pre_emphasis = nn.Conv1d(1, 1, 3, bias=False)
        self.input = nn.Conv1d(1, channels, 2)
        self.layers = nn.ModuleList(GatedLayer(channels, d) for d in (1, 2, 4))
        self.mix = nn.Linear(channels, channels)
        self.out = nn.Conv1d(channels, CLASSES, 1)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        emphasised = self.pre_emphasis(F.pad(wave, (2, 0)))
        h = self.input(F.pad(emphasised, (1, 0)))
        skips = 0
        for layer in self.layers:
            h, s = layer(h)
            skips = skips + s
        # Token shift over time on [1, T, C]: each step sees the previous one.
        feats = F.relu(skips).transpose(1, 2)
        shifted = F.pad(feats, (0, 0, 1, 0))[:, :-1]
        mixed = self.mix(0.5 * feats + 0.5 * shifted).transpose(1, 2)
        return self.out(F.relu(mixed))


T = 24
t = torch.linspace(0, 4 * torch.pi, T + 1)
wave = (0.6 * torch.sin(t) + 0.1 * torch.randn(T + 1)).view(1, 1, -1)
inputs, targets = wave[:, :, :-1], mu_law(wave[:, 0, 1:])

model = WaveNet()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(3):
    logits = model(inputs)
    loss = F.cross_entropy(logits, targets)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    print(step, round(loss.item(), 5))

model.eval()
with torch.no_grad():
    seq = inputs[:, :, :8].clone()
    for _ in range(4):
        nxt = model(seq)[:, :, -1].argmax(1)
        value = (nxt.float() / (CLASSES - 1)) * 2 - 1
        seq = torch.cat([seq, value.view(1, 1, 1)], dim=2)
    print(seq[0, 0, 8:].tolist())
