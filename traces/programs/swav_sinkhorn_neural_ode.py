"""SwAV's Sinkhorn-Knopp cluster assignment and a fixed-step neural ODE,
as the SwAV reference code and torchdiffeq-style tutorials write them.

* SwAV: an encoder with an L2-normalised embedding, prototypes as a
  bias-free `nn.Linear` whose weight is re-normalised every step under
  `no_grad` (`w = model.prototypes.weight.data.clone()`,
  `nn.functional.normalize(w, dim=1, p=2)`, `.copy_(w)`), codes from
  `distributed_sinkhorn`: `torch.exp(out / epsilon).t()`, a global
  `sum_Q` division, three rounds of row and column normalisation by
  `torch.sum(Q, dim=1, keepdim=True)` and `torch.sum(Q, dim=0,
  keepdim=True)`, all under `no_grad`; the swapped prediction loss
  `-torch.mean(torch.sum(q * F.log_softmax(p / T, dim=1), dim=1))`; the
  prototypes' gradient zeroed for the first iteration (`p.grad = None`
  for names containing "prototypes"); SGD.
* Neural ODE: an `ODEFunc` MLP with `tanh` and a call counter, a
  hand-written classic Runge-Kutta 4 integrator over a `torch.linspace`
  time grid stacking states with `torch.stack`, trajectory MSE against a
  spiral, backpropagation through the solver, RMSprop; then an Euler
  integration of the trained field under `no_grad`.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)


class SwAVNet(nn.Module):
    def __init__(self, nmb_prototypes=6):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 8))
        self.prototypes = nn.Linear(8, nmb_prototypes, bias=False)

    def forward(self, x):
        z = nn.functional.normalize(self.backbone(x), dim=1, p=2)
        return z, self.prototypes(z)


@torch.no_grad()
def distributed_sinkhorn(out, epsilon=0.05, iters=3):
    Q = torch.exp(out / epsilon).t()
    B = Q.shape[1]
    K = Q.shape[0]
    sum_Q = torch.sum(Q)
    Q /= sum_Q
    for _ in range(iters):
        sum_of_rows = torch.sum(Q, dim=1, keepdim=True)
        Q /= sum_of_rows
        Q /= K
        Q /= torch.sum(Q, dim=0, keepdim=True)
        Q /= B
    Q *= B
    return Q.t()


model = SwAVNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-6)
data = torch.randn(24, 10)
bs, temperature = 8, 0.1
for it in range(3):
    with torch.no_grad():
        w = model.prototypes.weight.data.clone()
        w = nn.functional.normalize(w, dim=1, p=2)
        model.prototypes.weight.copy_(w)
    x = data[torch.randperm(24)[:bs]]
    inputs = torch.cat([x + 0.1 * torch.randn_like(x), x.flip(1)])
    embedding, output = model(inputs)
    embedding = embedding.detach()
    loss = 0
    for i, crop_id in enumerate([0, 1]):
        with torch.no_grad():
            out = output[bs * crop_id: bs * (crop_id + 1)].detach()
            q = distributed_sinkhorn(out)[-bs:]
        subloss = 0
        for v in [1 - crop_id]:
            x_ = output[bs * v: bs * (v + 1)] / temperature
            subloss -= torch.mean(torch.sum(q * F.log_softmax(x_, dim=1), dim=1))
        loss += subloss
    loss /= 2
    optimizer.zero_grad()
    loss.backward()
    if it < 1:
        for name, p in model.named_parameters():
            if "prototypes" in name:
                p.grad = None
    optimizer.step()
    print("swav", it, loss.item())


class ODEFunc(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
        for m in self.net.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0, std=0.1)
                nn.init.constant_(m.bias, val=0)
        self.nfe = 0

    def forward(self, t, y):
        self.nfe += 1
        return self.net(y ** 3)


def rk4_odeint(func, y0, t):
    ys = [y0]
    y = y0
    for t0, t1 in zip(t[:-1], t[1:]):
        dt = t1 - t0
        k1 = func(t0, y)
        k2 = func(t0 + dt / 2, y + dt * k1 / 2)
        k3 = func(t0 + dt / 2, y + dt * k2 / 2)
        k4 = func(t1, y + dt * k3)
        y = y + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6
        ys.append(y)
    return torch.stack(ys)


true_y0 = torch.tensor([[2.0, 0.0]])
t = torch.linspace(0.0, 1.0, 6)
true_A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])
with torch.no_grad():
    true_y = rk4_odeint(lambda t, y: torch.mm(y ** 3, true_A), true_y0, t)
func = ODEFunc()
ode_opt = torch.optim.RMSprop(func.parameters(), lr=1e-3)
for itr in range(3):
    ode_opt.zero_grad()
    pred_y = rk4_odeint(func, true_y0, t)
    loss = torch.mean(torch.abs(pred_y - true_y)) + F.mse_loss(pred_y, true_y)
    loss.backward()
    ode_opt.step()
    print("ode", itr, loss.item(), func.nfe)
with torch.no_grad():
    y = true_y0
    for t0, t1 in zip(t[:-1], t[1:]):
        y = y + (t1 - t0) * func(t0, y)
    print(y)
