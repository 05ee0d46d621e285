"""Sparse coding with shrinkage activations: a LISTA network (Gregor &
LeCun's learned ISTA: a shared `softshrink` soft-threshold unrolled three
times with learned thresholds via `F.softshrink`'s scalar and a learned
per-unit threshold written out) trained three Adam steps to recover sparse
codes from noisy measurements, a denoising autoencoder with `nn.Hardshrink`
and `nn.Tanhshrink`, an old-style `nn.Threshold(0.1, -0.5)` layer, the
in-place `F.threshold(..., inplace=True)` on a non-leaf, float64 and
bfloat16 forwards, integer `torch.threshold`, and the kernels' errors
(a negative softshrink lambda, an integer hardshrink, a bool threshold)
caught."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)

# Measurements y = A z + noise of sparse codes z.
n, m, k = 12, 8, 16
A = torch.randn(m, k) / m**0.5
z_true = torch.randn(n, k) * (torch.rand(n, k) < 0.2)
y = z_true @ A.T + 0.01 * torch.randn(n, m)


class LISTA(nn.Module):
    def __init__(self, steps=3, lambd=0.1):
        super().__init__()
        self.W = nn.Linear(m, k, bias=False)
        self.S = nn.Linear(k, k, bias=False)
        self.steps, self.lambd = steps, lambd
        self.theta = nn.Parameter(torch.full((k,), 0.05))

    def forward(self, y):
        b = self.W(y)
        z = F.softshrink(b, self.lambd)
        for _ in range(self.steps - 1):
            c = b + self.S(z)
            # a learned per-unit soft threshold, written out
            z = torch.sign(c) * F.relu(c.abs() - self.theta)
            z = F.softshrink(z, self.lambd / 2)
        return z


lista = LISTA()
opt = torch.optim.Adam(lista.parameters(), lr=1e-2)
for step in range(3):
    z = lista(y)
    loss = F.mse_loss(z, z_true) + 1e-3 * z.abs().sum(1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("lista", step, round(loss.item(), 5))

# A denoising autoencoder with hard shrinkage and an old-style threshold.
dae = nn.Sequential(
    nn.Linear(k, 10), nn.Hardshrink(0.2), nn.Linear(10, 10), nn.Threshold(0.1, -0.5),
    nn.Linear(10, 10), nn.Tanhshrink(), nn.Linear(10, k),
)
dae_opt = torch.optim.SGD(dae.parameters(), lr=0.05, momentum=0.9)
for step in range(2):
    noisy = z_true + 0.1 * torch.randn_like(z_true)
    h = dae[0](noisy)
    out = dae[1:](h)
    # the in-place threshold on a non-leaf (ThresholdBackward1 keeps self)
    gate = F.threshold(h * 0.5, 0.05, 0.0, inplace=True)
    loss = F.mse_loss(out, z_true) + 0.01 * gate.sum()
    dae_opt.zero_grad()
    loss.backward()
    dae_opt.step()
    print("dae", step, round(loss.item(), 5))

# float64 and bfloat16 forwards and backwards; lambdas rounded to the dtype.
x64 = torch.linspace(-1, 1, 9, dtype=torch.float64, requires_grad=True)
(F.softshrink(x64, 0.3) * torch.arange(9.0, dtype=torch.float64)).sum().backward()
print(x64.grad.tolist())
xb = torch.tensor([-0.25, -0.1001, 0.1, 0.1001, 0.25, 1.0], dtype=torch.bfloat16, requires_grad=True)
(F.hardshrink(xb, 0.1) + F.softshrink(xb, 0.1) + F.threshold(xb, 0.1, 2.0)).float().sum().backward()
print(xb.grad.tolist())
print(F.softshrink(torch.tensor([-0.3, 0.3, 2.0], dtype=torch.float16), 0.5).tolist())
print(torch.threshold(torch.tensor([2, 3, 4, -7]), 3.7, -1).tolist())
print(torch.threshold(torch.tensor([0, 100, 200], dtype=torch.uint8), 100, 7).tolist())

for bad in (
    lambda: F.softshrink(torch.ones(2), -1.0),
    lambda: F.softshrink(torch.ones(2, dtype=torch.float16), 1e6),
    lambda: F.hardshrink(torch.ones(2, dtype=torch.long)),
    lambda: torch.threshold(torch.ones(2, dtype=torch.bool), 0, 1),
):
    try:
        bad()
    except (RuntimeError, NotImplementedError) as e:
        print(type(e).__name__, str(e)[:60])
