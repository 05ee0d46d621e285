"""A censored (Tobit) regression and a probit classifier with a max-norm
weight constraint, and a majority vote over votes with gaps.

The Tobit likelihood of a left-censored target uses `special.log_ndtr`
(log Φ of the censoring margin) and the hazard of the truncated normal
through `special.erfcx` (φ(z)/(1 - Φ(z)) = √(2/π) / erfcx(z/√2)), as
survival and econometrics code writes them to stay finite in the tails.
The probit head keeps each output unit's weight row within a norm bound
with `torch.renorm` inside the graph (RenormBackward0), L2 and L1, float32
and float64. Votes from several annotators, NaN where one abstained, are
reduced with `torch.mode`, PyTorch's choice among ties and NaNs.
"""

import math

import torch
from torch import nn
from torch.special import erfcx, log_ndtr

torch.manual_seed(0)

x = torch.randn(24, 4)
latent = x @ torch.tensor([1.5, -2.0, 0.5, 0.0]) + 0.3 * torch.randn(24)
censor = 0.0
y = latent.clamp(min=censor)
censored = latent <= censor

w = nn.Parameter(torch.zeros(4))
b = nn.Parameter(torch.zeros(()))
log_sigma = nn.Parameter(torch.zeros(()))
opt = torch.optim.Adam([w, b, log_sigma], lr=0.05)
for step in range(3):
    mu = x @ w + b
    sigma = log_sigma.exp()
    z = (y - mu) / sigma
    observed = -0.5 * z.pow(2) - log_sigma - 0.5 * math.log(2 * math.pi)
    left = log_ndtr((censor - mu) / sigma)
    nll = -torch.where(censored, left, observed).mean()
    # The inverse Mills ratio of the uncensored margin, a tail-stable
    # correction term (Heckman-style).
    mills = math.sqrt(2 / math.pi) / erfcx(-z / math.sqrt(2))
    loss = nll + 1e-2 * mills.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))

# The extreme tails stay finite, float32 and float64.
tails = torch.tensor([-40.0, -12.0, -3.0, 0.0, 4.0, 30.0, 80.0])
print([round(v, 4) for v in log_ndtr(tails).tolist()], [float("%.6g" % v) for v in erfcx(tails).tolist()])
tails64 = tails.double().requires_grad_()
(erfcx(tails64).sum() + log_ndtr(tails64).sum()).backward()
print([float("%.6g" % v) for v in tails64.grad.tolist()])


class MaxNormProbit(nn.Module):
    def __init__(self, d, k, max_norm, p):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(k, d))
        self.bias = nn.Parameter(torch.zeros(k))
        self.max_norm, self.p = max_norm, p

    def forward(self, x):
        w = torch.renorm(self.weight, self.p, 0, self.max_norm)
        return x @ w.t() + self.bias


for dtype, p in [(torch.float32, 2), (torch.float64, 1)]:
    model = MaxNormProbit(4, 3, 1.0, p).to(dtype)
    labels = torch.randint(0, 2, (24, 3)).to(dtype) * 2 - 1
    inputs = x.to(dtype)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(3):
        loss = -log_ndtr(labels * model(inputs)).mean()
        sgd.zero_grad()
        loss.backward()
        sgd.step()
        print(str(dtype), step, round(loss.item(), 5))

# A column-wise bound on a 3-d tensor (dim=-1), infinity norm.
v = torch.randn(2, 3, 4, requires_grad=True)
torch.renorm(v, float("inf"), -1, 0.8).pow(2).sum().backward()
print([round(t, 5) for t in v.grad.flatten().tolist()[:6]])

# Annotator votes (classes 0-3), NaN where an annotator abstained.
votes = torch.randint(0, 4, (6, 5)).float()
votes[torch.rand(6, 5) < 0.35] = float("nan")
votes[2] = float("nan")
values, indices = torch.mode(votes, dim=1)
print(values.tolist(), indices.tolist())
values0, indices0 = torch.mode(votes.double(), dim=0, keepdim=True)
print(values0.tolist(), indices0.tolist())
