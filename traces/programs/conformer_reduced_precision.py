"""The Conformer-style CTC encoder of `conformer_rotary_ctc`, trained entirely in bfloat16 and float16.

Batch size one, every parameter and activation in the reduced dtype (rotary
tables cast to it), AdamW with `eps=1e-4`, `clip_grad_norm_`, CTC on
float32 log-probabilities, then a greedy eval decode. The backward runs the
reduced kernels whose rounding differs by dtype:

* `sigmoid_backward` of the hand-written swish: float16 rounds every step to
  float16, bfloat16 computes `g·(1−y)·y` in float32 and rounds once;
* `glu_backward` of the convolution module's GLU takes the sigmoid of the
  gate half as a tensor of the dtype, then its products in float32;
* depthwise Conv1d, BatchNorm1d, LayerNorm and softmax backward in both dtypes.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
N_MELS, D, CLASSES = 16, 8, 6


class ConvSubsample(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, stride=2)
        self.conv2 = nn.Conv2d(4, 4, 3, stride=2)
        self.out = nn.Linear(4 * 3, D)

    def forward(self, x):
        x = x.unsqueeze(1)
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        b, c, t, f = x.size()
        return self.out(x.transpose(1, 2).contiguous().view(b, t, c * f))


class FeedForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(D)
        self.l1 = nn.Linear(D, 4 * D)
        self.l2 = nn.Linear(4 * D, D)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.drop(self.l2(self.drop(F.silu(self.l1(self.norm(x))))))


class ConvModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(D)
        self.pw1 = nn.Conv1d(D, 2 * D, 1)
        self.dw = nn.Conv1d(D, D, 5, padding=2, groups=D)
        self.bn = nn.BatchNorm1d(D)
        self.pw2 = nn.Conv1d(D, D, 1)

    def forward(self, x):
        x = self.norm(x).transpose(1, 2)
        x = F.glu(self.pw1(x), dim=1)
        x = self.bn(self.dw(x))
        x = x * torch.sigmoid(x)
        return self.pw2(x).transpose(1, 2)


def rotary(x):
    t, d = x.shape[-2], x.shape[-1]
    inv = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))
    ang = torch.outer(torch.arange(t).float(), inv)
    cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class RotaryMHSA(nn.Module):
    def __init__(self, heads=2):
        super().__init__()
        self.h = heads
        self.norm = nn.LayerNorm(D)
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)

    def forward(self, x, pad_mask):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.norm(x)).chunk(3, dim=-1)
        q, k, v = (z.view(b, t, self.h, D // self.h).transpose(1, 2) for z in (q, k, v))
        q, k = rotary(q), rotary(k)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D // self.h)
        scores = scores.masked_fill(pad_mask[:, None, None, :], float("-inf"))
        att = scores.softmax(-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, D))


class ConformerBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.ff1 = FeedForward()
        self.att = RotaryMHSA()
        self.conv = ConvModule()
        self.ff2 = FeedForward()
        self.norm = nn.LayerNorm(D)

    def forward(self, x, pad_mask):
        x = x + 0.5 * self.ff1(x)
        x = x + self.att(x, pad_mask)
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.norm(x)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.sub = ConvSubsample()
        self.blocks = nn.ModuleList([ConformerBlock()])
        self.head = nn.Linear(D, CLASSES)

    def forward(self, x, pad_mask):
        x = self.sub(x)
        for blk in self.blocks:
            x = blk(x, pad_mask)
        return self.head(x)


def spec_augment(x, n_time=2, n_freq=1, width=3):
    b, t, f = x.shape
    x = x.clone()
    for _ in range(n_freq):
        w = int(torch.randint(0, width + 1, ()).item())
        f0 = int(torch.randint(0, f - w, ()).item())
        fr = torch.arange(f)
        x = x.masked_fill(((fr >= f0) & (fr < f0 + w))[None, None, :], 0.0)
    for _ in range(n_time):
        w = torch.randint(0, width + 1, (b, 1))
        t0 = torch.randint(0, t - width, (b, 1))
        tr = torch.arange(t)[None, :]
        m = (tr >= t0) & (tr < t0 + w)
        x = x.masked_fill(m[:, :, None], x.mean())
    return x



for dt in (torch.bfloat16, torch.float16):
    torch.manual_seed(1)
    model = Encoder().to(dt)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, eps=1e-4)
    spec = torch.randn(1, 23, N_MELS).abs().log1p().to(dt)
    for step in range(2):
        x = spec_augment(spec, n_time=1)
        pm = torch.zeros(1, 5, dtype=torch.bool)
        logits = model(x, pm)
        lp = logits.float().log_softmax(-1).transpose(0, 1)
        loss = F.ctc_loss(lp, torch.tensor([[1, 2]]), torch.tensor([5]), torch.tensor([2]))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        print(dt, loss.item())
    model.eval()
    with torch.no_grad():
        print(model(spec, torch.zeros(1, 5, dtype=torch.bool)).argmax(-1).tolist())
