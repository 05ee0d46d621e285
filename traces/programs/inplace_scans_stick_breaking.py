"""Scans written in place, as mixture and ranking code writes them to save a
buffer: `Tensor.cumsum_` and `Tensor.cumprod_` on autograd graphs.

A truncated stick-breaking prior turns per-component fractions into mixture
weights with `cumprod_` of `1 - v` (PyTorch clones `self` first, the
original_self that CumprodBackward0 saves with the in-place result) and a
cumulative distribution with `cumsum_` (CumsumBackward0, nothing saved);
a small network predicts the fractions and the mixture's log-likelihood of
1-D data is trained three Adam steps. Then discounted returns accumulated
in place on a reversed reward sequence, a `cumsum_` given its own dtype
(float64 on float64 data), and a `cumprod_` along the first dimension of a
matrix with a zero in it.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

components = 5
net = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, components * 3))
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
data = torch.cat([torch.randn(20) * 0.3 - 1.0, torch.randn(20) * 0.5 + 1.5])
context = torch.ones(1, 1)


def mixture_weights(fractions):
    remaining = (1 - fractions).clone()
    remaining.cumprod_(-1)
    before = torch.cat([torch.ones_like(remaining[..., :1]), remaining[..., :-1]], -1)
    return fractions * before


for step in range(3):
    raw = net(context).view(3, components)
    fractions = torch.sigmoid(raw[0])
    weights = mixture_weights(fractions)
    means, log_scales = raw[1] * 2, raw[2].clamp(-3, 2)
    comp = torch.distributions.Normal(means, log_scales.exp())
    log_lik = torch.logsumexp(comp.log_prob(data.unsqueeze(-1)) + weights.clamp_min(1e-6).log(), -1)
    cdf = weights.clone()
    cdf.cumsum_(0)
    loss = -log_lik.mean() + F.relu(cdf[-1] - 1).pow(2)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.6f}, mass {cdf[-1].item():.6f}")

rewards = torch.randn(4, 6, requires_grad=True)
gamma = 0.9
discounts = torch.full((6,), gamma).cumprod(0) / gamma
returns = (rewards * discounts).flip(1)
returns.cumsum_(1)
returns = returns.flip(1) / discounts
(returns.pow(2).mean() + returns[:, 0].sum()).backward()
print("rewards grad", rewards.grad.sum().item())

probs = torch.tensor([[0.5, 0.2, 1.0], [0.0, 0.7, 0.3], [0.4, 0.9, 0.6]], requires_grad=True)
survival = probs * 1
survival.cumprod_(0)
ranks = torch.rand(3, 3, dtype=torch.float64, requires_grad=True)
acc = ranks.clone()
acc.cumsum_(1, dtype=torch.float64)
(survival * torch.arange(9.0).view(3, 3)).sum().backward()
acc.sum().backward()
print("probs grad", probs.grad, "ranks grad", ranks.grad.sum().item())
