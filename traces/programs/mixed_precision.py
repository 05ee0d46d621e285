"""A float32 classifier whose loss is computed in float64, as evaluation and
training code often does for a stable log-sum-exp (`logits.double()`), plus a
float64 reduction of float32 activations (`sum(dtype=torch.float64)`) and the
way back to float32.

Every float64 value here carries float32 rounding from its inputs: replay must
judge it with float32's tolerance when running free, and with float64's when
each op runs on PyTorch's inputs (anchored)."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 5))
opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9, foreach=False)
x = torch.randn(24, 8)
y = torch.randint(0, 5, (24,))
for step in range(4):
    opt.zero_grad()
    hidden = model[1](model[0](x))
    logits = model[2](hidden).double()
    penalty = hidden.pow(2).sum(dtype=torch.float64) * 1e-4
    loss = F.cross_entropy(logits, y) + penalty
    loss.backward()
    opt.step()
with torch.no_grad():
    probs = F.softmax(model(x).double(), dim=1).float()
    accuracy = (probs.argmax(dim=1) == y).float().mean()
