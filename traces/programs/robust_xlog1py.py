# xlog1py with a number on either side, as likelihood code writes it: a
# Student-t robust regression whose negative log-density term is
# -(nu + 1) / 2 * log1p(r^2 / nu) with nu a Python float
# (special_xlog1py.self_scalar), a discrete-time survival model whose
# geometric log-likelihood k * log1p(-h) has a fixed hazard h and a learned
# expected duration k (special_xlog1py.other_scalar), and the edge where
# the number is -1 (log1p(-1) = -inf, the gradient masked where k == 0).
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(53)
nu = 3.0
x = torch.randn(40, 3)
y = x @ torch.tensor([1.5, -2.0, 0.5]) + 0.3 * torch.randn(40)
y[::7] += 6.0  # outliers
model = nn.Linear(3, 1)
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(5):
    r = model(x).squeeze(1) - y
    nll = -torch.special.xlog1py(-(nu + 1) / 2, r.pow(2) / nu).mean()
    opt.zero_grad()
    nll.backward()
    opt.step()
    print("student_t", step, nll.item())

h = 0.1
surv = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
opt2 = torch.optim.SGD(surv.parameters(), lr=0.05)
for step in range(3):
    k = F.softplus(surv(x)).squeeze(1)
    ll = torch.special.xlog1py(k, -h) + torch.log(torch.tensor(h))
    loss = -ll.mean() + 0.01 * torch.special.xlog1py(2, k).mean()
    opt2.zero_grad()
    loss.backward()
    opt2.step()
    print("survival", step, loss.item())

k = torch.tensor([0.0, 0.0, 1.5, 2.0], dtype=torch.float64, requires_grad=True)
edge = torch.special.xlog1py(k, -1.0)
(g,) = torch.autograd.grad(edge.sum(), k)
print(edge.tolist(), g.tolist())
z = torch.tensor([0.5, -0.5, 3.0], requires_grad=True)
w = torch.special.xlog1py(z, -2.0)
(gz,) = torch.autograd.grad(w.nansum(), z)
print(w.tolist(), gz.tolist())
print(torch.special.xlog1py(torch.tensor([1, 2, 0]), 1.0).tolist(), torch.special.xlog1py(0.0, torch.tensor([-1.0, 0.5])).tolist())
