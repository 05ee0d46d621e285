"""A GPT-2 style MLP block trained whole in bfloat16, with the hand-written
pieces minGPT and llama ports use instead of nn modules: `NewGELU`
(`0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x ** 3)))`), an RMSNorm
(`x * rsqrt(mean(x ** 2) + eps)`), label smoothing written as
`1 - eps` / `eps / k`, a mask inverted by `1 - mask` on a float mask, and
three AdamW steps.

Covers bfloat16 arithmetic as PyTorch's CPU kernels round it: a Python
number added to or subtracted from a bfloat16 tensor is rounded to
bfloat16 first (`h + 1e-6`, `1 + t`, `1.0 - m`), `x ** 3` is
`(x * x) * x` and `x ** -2` is `1 / (x * x)` with each product rounded to
bfloat16, while `*` and `/` by a number keep it in float32.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


class NewGELU(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Block(nn.Module):
    def __init__(self, d, hidden, classes):
        super().__init__()
        self.norm = RMSNorm(d)
        self.up = nn.Linear(d, hidden)
        self.act = NewGELU()
        self.down = nn.Linear(hidden, d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        h = x + self.down(self.act(self.up(self.norm(x))))
        return self.head(h)


d, hidden, classes, batch = 16, 48, 5, 12
model = Block(d, hidden, classes).to(torch.bfloat16)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
x = torch.randn(batch, d).to(torch.bfloat16)
y = torch.randint(0, classes, (batch,))
keep = (torch.rand(batch) > 0.25).to(torch.bfloat16)
smooth = 0.1

for step in range(3):
    opt.zero_grad()
    logits = model(x)
    logp = F.log_softmax(logits, dim=-1)
    target = F.one_hot(y, classes).to(torch.bfloat16) * (1.0 - smooth) + smooth / classes
    per_sample = -(target * logp).sum(-1)
    dropped = 1.0 - keep
    loss = (per_sample * keep).sum() / keep.sum() + 1e-3 * (per_sample * dropped).mean()
    loss.backward()
    opt.step()

with torch.no_grad():
    scale = x.pow(-2.0).clamp(max=1e4)
    calib = (x * 0.3 + 0.1) / 1.5 - 0.05
