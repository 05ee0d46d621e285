"""Inverse hyperbolic functions as hyperbolic and squashed-policy models use them.

Poincare embeddings of a small hierarchy trained with Riemannian SGD (the
distance through acosh), a hyperbolic linear layer through the ball's
logarithmic map (atanh), a tanh-squashed Gaussian policy fitted to logged
actions (TanhTransform's inverse is atanh), asinh-compressed rewards, a
SIREN layer whose sine runs in place, phases wrapped with fmod_, and the
in-place inverse hyperbolics, whose gradient PyTorch does not implement.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal, TransformedDistribution
from torch.distributions.transforms import TanhTransform

torch.manual_seed(0)
EPS = 1e-5

# -- Poincare embeddings (Nickel & Kiela) -----------------------------------------
edges = torch.tensor([[1, 0], [2, 0], [3, 1], [4, 1], [5, 2], [6, 2], [7, 3]])
n_nodes = 8
emb = nn.Embedding(n_nodes, 2)
with torch.no_grad():
    emb.weight.uniform_(-1e-3, 1e-3)


def poincare_distance(u, v):
    sq_u = torch.clamp(torch.sum(u * u, dim=-1), 0, 1 - EPS)
    sq_v = torch.clamp(torch.sum(v * v, dim=-1), 0, 1 - EPS)
    sq_dist = torch.sum((u - v) ** 2, dim=-1)
    x = 1 + 2 * sq_dist / ((1 - sq_u) * (1 - sq_v))
    return torch.acosh(x)


lr = 0.3
for step in range(3):
    neg = torch.randint(0, n_nodes, (edges.size(0), 3))
    idx = torch.cat([edges, neg], dim=1)
    e = emb(idx)
    d = poincare_distance(e[:, :1], e[:, 1:])
    loss = F.cross_entropy(-d, torch.zeros(edges.size(0), dtype=torch.long))
    emb.zero_grad()
    loss.backward()
    with torch.no_grad():
        w = emb.weight
        scale = ((1 - w.pow(2).sum(-1, keepdim=True)) ** 2) / 4
        w.sub_(lr * scale * w.grad)
        norm = w.norm(dim=-1, keepdim=True)
        w.copy_(torch.where(norm >= 1, w / norm * (1 - EPS), w))
    print("poincare", step, loss.item())


# -- a hyperbolic linear layer through the ball's log map ---------------------------
def expmap0(v, c=1.0):
    sc = c ** 0.5
    n = v.norm(dim=-1, keepdim=True).clamp_min(EPS)
    return torch.tanh(sc * n) * v / (sc * n)


def logmap0(y, c=1.0):
    sc = c ** 0.5
    n = y.norm(dim=-1, keepdim=True).clamp_min(EPS)
    return torch.atanh((sc * n).clamp(max=1 - EPS)) * y / (sc * n)


class HypLinear(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.lin = nn.Linear(i, o)

    def forward(self, x):
        return expmap0(self.lin(logmap0(x)))


hyp = nn.Sequential(HypLinear(4, 8), HypLinear(8, 3))
opt = torch.optim.Adam(hyp.parameters(), lr=1e-2)
for step in range(3):
    x = expmap0(torch.randn(6, 4))
    y = torch.randint(0, 3, (6,))
    logits = logmap0(hyp(x)) * 5
    loss = F.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("hyplinear", step, loss.item())


# -- a tanh-squashed Gaussian policy fitted to logged actions ----------------------
class Actor(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 16), nn.ReLU())
        self.mu = nn.Linear(16, 2)
        self.log_std = nn.Linear(16, 2)

    def forward(self, s):
        h = self.body(s)
        return self.mu(h), self.log_std(h).clamp(-5, 2)


actor = Actor()
aopt = torch.optim.Adam(actor.parameters(), lr=3e-4)
for step in range(3):
    s = torch.randn(6, 5)
    logged = (torch.rand(6, 2) * 2 - 1).clamp(-1 + 1e-4, 1 - 1e-4)
    reward = torch.randn(6) * 20
    mu, log_std = actor(s)
    dist = TransformedDistribution(Normal(mu, log_std.exp()), [TanhTransform(cache_size=1)])
    logp = dist.log_prob(logged).sum(-1)
    pre = torch.atanh(logged)
    weight = torch.softmax(torch.asinh(reward), dim=0)
    loss = -(weight * logp).sum() + 1e-3 * (mu - pre).pow(2).mean()
    aopt.zero_grad()
    loss.backward()
    aopt.step()
    print("bc", step, loss.item())


# -- SIREN with an in-place sine, phases wrapped by fmod_ --------------------------
class Siren(nn.Module):
    def __init__(self, i, o, omega=3.0):
        super().__init__()
        self.omega = omega
        self.lin = nn.Linear(i, o)
        with torch.no_grad():
            self.lin.weight.uniform_(-1 / i, 1 / i)

    def forward(self, x):
        h = self.lin(x) * self.omega
        return h.sin_()


siren = nn.Sequential(Siren(2, 16), Siren(16, 16), nn.Linear(16, 1))
period = nn.Parameter(torch.tensor([2.5, 3.0]))
sopt = torch.optim.Adam(list(siren.parameters()) + [period], lr=1e-4)
coords = torch.linspace(-1, 1, 6)
grid = torch.stack(torch.meshgrid(coords, coords, indexing="ij"), -1).view(-1, 2)
target = torch.sin(3 * grid[:, :1]) * torch.cos(2 * grid[:, 1:])
for step in range(3):
    phase = grid * 7.0
    phase.fmod_(period)
    out = siren(phase)
    loss = F.mse_loss(out, target)
    sopt.zero_grad()
    loss.backward()
    sopt.step()
    with torch.no_grad():
        period.fmod_(4.0)
    print("siren", step, loss.item(), period.tolist())

# In-place forms on activations that require grad, and on buffers.
x = torch.linspace(-0.9, 0.9, 7, requires_grad=True)
parts = []
for name in ["cos_", "tan_", "sinh_", "cosh_", "asin_", "acos_", "atan_"]:
    t = x * 0.8
    getattr(t, name)()
    parts.append(t.sum())
torch.stack(parts).sum().backward()
print("in-place grads", x.grad.tolist())
buf = torch.arange(6, dtype=torch.float64) / 7
for name in ["sin_", "cos_", "tan_", "sinh_", "cosh_", "asin_", "acos_", "atan_", "asinh_", "atanh_"]:
    getattr(buf, name)()
buf.add_(1.5).acosh_()
counts = torch.tensor([7, -7, 9, 10])
counts.fmod_(torch.tensor([3, 3, -4, 5]))
print("buffers", buf.tolist(), counts.tolist())

for name in ["atanh_", "asinh_", "acosh_"]:
    t = x * 0.5 + (1.5 if name == "acosh_" else 0.0)
    getattr(t, name)()
    try:
        t.sum().backward()
    except NotImplementedError as err:
        print("caught:", err)

# Edges: domain limits, integers, float64 and half precision.
edge = torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, -2.0, 1e-8, 30.0])
print(torch.atanh(edge).tolist())
print(torch.acosh(edge.abs() + 0.5).tolist(), torch.acosh(edge).tolist())
print(torch.asinh(edge * 1e4).tolist())
print(torch.asinh(torch.arange(-3, 4)).tolist(), torch.atanh(torch.tensor([0, 1])).tolist())
z = torch.tensor([0.3, -0.7, 0.95], dtype=torch.float64, requires_grad=True)
(torch.atanh(z) * torch.asinh(z * 3) + torch.acosh(2 + z)).sum().backward()
print(z.grad.tolist())
for dt in (torch.float16, torch.bfloat16):
    h = torch.tensor([0.25, -0.6, 0.9], dtype=dt)
    print(dt, torch.atanh(h).tolist(), torch.asinh(h * 4).tolist(), torch.acosh(h + 2).tolist())
