"""erfc and the IEEE sign and extremum helpers as models use them.

A Black-Scholes call price through the normal CDF written with erfc,
calibrating per-strike volatilities with Adam; bilinear pooling with a
signed square root (copysign) in a small CNN; interval regression whose
optional bounds are NaN (fmax/fmin ignore them); a spiking layer that fires
through heaviside with a sigmoid surrogate gradient (and a backward straight
through heaviside, which PyTorch does not implement, caught); masks from
signbit, isposinf and isneginf.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def norm_cdf(x):
    return 0.5 * torch.special.erfc(-x / math.sqrt(2.0))


# -- implied volatility calibration -------------------------------------------------
spot, rate, maturity = 1.0, 0.01, 0.5
strikes = torch.tensor([0.8, 0.9, 1.0, 1.1, 1.2])
market = torch.tensor([0.212, 0.124, 0.059, 0.022, 0.007])
log_vol = nn.Parameter(torch.full((5,), math.log(0.3)))
opt = torch.optim.Adam([log_vol], lr=0.05)
for step in range(3):
    vol = log_vol.exp()
    d1 = (torch.log(spot / strikes) + (rate + 0.5 * vol**2) * maturity) / (vol * math.sqrt(maturity))
    d2 = d1 - vol * math.sqrt(maturity)
    price = spot * norm_cdf(d1) - strikes * math.exp(-rate * maturity) * norm_cdf(d2)
    tail = torch.special.erfc(d2.abs() * 4)
    loss = F.mse_loss(price, market) + tail.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("calibration", step, loss.item())


# -- bilinear pooling with a signed square root ---------------------------------
class BilinearCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 4, 3, padding=1))
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        f = self.features(x).flatten(2)
        b = torch.bmm(f, f.transpose(1, 2)) / f.size(-1)
        b = b.flatten(1)
        b = torch.copysign(torch.sqrt(b.abs() + 1e-3), b)
        b = F.normalize(b, dim=1)
        return self.fc(b)


net = BilinearCNN()
nopt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for step in range(3):
    x = torch.randn(4, 3, 6, 6)
    y = torch.randint(0, 3, (4,))
    loss = F.cross_entropy(net(x), y)
    nopt.zero_grad()
    loss.backward()
    nopt.step()
    print("bilinear", step, loss.item())

# -- interval regression with optional (NaN) bounds ------------------------------
reg = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
ropt = torch.optim.Adam(reg.parameters(), lr=1e-2)
nan = float("nan")
lower = torch.tensor([0.0, nan, -1.0, 0.5, nan, -0.5])
upper = torch.tensor([1.0, 0.2, nan, nan, nan, 0.5])
for step in range(3):
    x = torch.randn(6, 3)
    pred = reg(x).squeeze(1)
    clipped = torch.fmin(torch.fmax(pred, lower), upper)
    loss = F.mse_loss(pred, clipped.detach()) + (clipped - pred).abs().mean() + torch.fmax(lower, upper).nansum() * 0
    ropt.zero_grad()
    loss.backward()
    ropt.step()
    print("interval", step, loss.item())


# -- a spiking layer: heaviside forward, sigmoid surrogate backward ----------------
class SpikeFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, mem):
        ctx.save_for_backward(mem)
        return torch.heaviside(mem, torch.tensor(0.0))

    @staticmethod
    def backward(ctx, grad):
        (mem,) = ctx.saved_tensors
        s = torch.sigmoid(4 * mem)
        return grad * 4 * s * (1 - s)


fc_in = nn.Linear(5, 8)
fc_out = nn.Linear(8, 2)
sopt = torch.optim.Adam(list(fc_in.parameters()) + list(fc_out.parameters()), lr=1e-2)
for step in range(2):
    inp = torch.rand(6, 4, 5)
    mem = torch.zeros(4, 8)
    counts = 0
    for t in range(inp.size(0)):
        mem = 0.9 * mem + fc_in(inp[t])
        spk = SpikeFn.apply(mem - 1.0)
        mem = mem - spk
        counts = counts + fc_out(spk)
    loss = F.cross_entropy(counts / inp.size(0), torch.tensor([0, 1, 1, 0]))
    sopt.zero_grad()
    loss.backward()
    sopt.step()
    print("snn", step, loss.item())
try:
    hard = torch.heaviside(fc_in(torch.rand(2, 5)), torch.tensor(0.5))
    hard.sum().backward()
except RuntimeError as err:
    print("caught:", err)

# -- masks ---------------------------------------------------------------------------
logp = torch.log_softmax(torch.tensor([[0.0, -float("inf"), 1.0], [2.0, 0.5, float("inf")]]), dim=1)
print(torch.isneginf(logp).tolist(), torch.isposinf(logp).tolist())
clean = logp.masked_fill(torch.isneginf(logp), -1e4)
v = torch.tensor([-0.0, 0.0, -2.5, 3.0, float("-inf"), float("nan")])
print(torch.signbit(v).tolist(), torch.copysign(torch.tensor([1.0, 2.0, 3.0]), -0.0).tolist(), clean.tolist())
print(torch.copysign(torch.arange(-2, 3), torch.tensor([1, -1, 1, -1, 1])).tolist())
print(torch.fmax(torch.tensor([1, 5, -3]), torch.tensor([2, 4, -7])).tolist(), torch.fmin(v, torch.zeros(6)).tolist())
print(torch.signbit(torch.tensor([-3, 0, 4])).tolist(), torch.isposinf(torch.tensor([1, 2])).tolist())
h = torch.tensor([-1.0, 0.0, 2.0, float("nan")], dtype=torch.float64)
print(torch.heaviside(h, torch.tensor([0.5, 0.25, 0.5, 0.5], dtype=torch.float64)).tolist())
print(torch.special.erfc(torch.tensor([-30.0, -1.0, 0.0, 1e-4, 3.0, 10.0, 30.0])).tolist())
print(torch.special.erfc(torch.tensor([0.5, 5.0], dtype=torch.float64)).tolist(), torch.special.erfc(torch.tensor([0.5, 2.0], dtype=torch.bfloat16)).tolist())
z = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
w = torch.tensor([-2.0, -1.2], dtype=torch.float64, requires_grad=True)
(torch.special.erfc(z) * torch.fmax(z, w) + torch.copysign(z, w) + torch.copysign(z, -1.0) + torch.fmin(z, w)).sum().backward()
print(z.grad.tolist(), w.grad.tolist())
