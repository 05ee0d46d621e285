"""Optimizer options that ordinary training scripts switch on, each driving
a small regression MLP for a few steps.

* `Rprop`: the default single-tensor step (`sign` of grad times previous
  grad, `gt`/`lt` masks, `masked_fill_` of the step sizes, `clamp_`, the
  zeroed grads where the sign flipped, `addcmul_`), the `foreach=True` path,
  and custom `etas`/`step_sizes` with `maximize=True`.
* `maximize=True` on SGD with momentum and nesterov and on Adam (the
  gradient negated before the update).
* `differentiable=True` SGD used for a learned inner learning rate: the
  inner step runs under grad mode, so `p.add_(buf, alpha=-lr)` and the
  momentum buffer's `mul_`/`add_` are recorded in the graph, and a meta
  loss after two inner steps trains `log_lr` with Adam.
* `ReduceLROnPlateau` driving SGD from the loss's `item()` (the learning
  rate halves when the loss stops improving by the threshold).
* Complex parameters: Rprop single-tensor and foreach with `maximize`
  (steps on `view_as_real` views), and foreach Adam and SGD with
  `maximize=True`, whose `_foreach_neg` negates the complex gradients.
* Rprop on bfloat16 (single-tensor and foreach) and float16 parameters.
"""

import torch
import torch.nn as nn

torch.manual_seed(0)

x = torch.randn(8, 4)
y = torch.randn(8, 2)


def make_mlp():
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))


def mse(model):
    return ((model(x) - y) ** 2).mean()


def train(model, opt, steps=3, sign=1.0):
    for _ in range(steps):
        opt.zero_grad()
        loss = sign * mse(model)
        loss.backward()
        opt.step()


# Rprop: single-tensor, foreach, and maximize with custom etas / step sizes.
train(mlp := make_mlp(), torch.optim.Rprop(mlp.parameters(), lr=0.01))
train(mlp := make_mlp(), torch.optim.Rprop(mlp.parameters(), lr=0.01, foreach=True))
train(
    mlp := make_mlp(),
    torch.optim.Rprop(
        mlp.parameters(), lr=0.02, etas=(0.4, 1.3), step_sizes=(1e-4, 0.5), maximize=True
    ),
    sign=-1.0,
)

# maximize=True: ascend the negated loss.
train(
    mlp := make_mlp(),
    torch.optim.SGD(mlp.parameters(), lr=0.05, momentum=0.9, nesterov=True, maximize=True),
    sign=-1.0,
)
train(mlp := make_mlp(), torch.optim.Adam(mlp.parameters(), lr=0.01, maximize=True), sign=-1.0)

# differentiable=True: a learned inner learning rate.
w = torch.randn(4, 2, requires_grad=True)
log_lr = torch.tensor(-2.0, requires_grad=True)
meta = torch.optim.Adam([log_lr], lr=0.1)
for _ in range(2):
    meta.zero_grad()
    p = w.detach().clone()
    inner = torch.optim.SGD([p], lr=1.0, momentum=0.9, weight_decay=0.01, differentiable=True)
    for _ in range(2):
        (gw,) = torch.autograd.grad(((x @ w - y) ** 2).mean(), [w])
        p.grad = gw * log_lr.exp()
        inner.step()
    meta_loss = ((x @ p - y) ** 2).mean()
    meta_loss.backward()
    meta.step()

# ReduceLROnPlateau: the learning rate follows the loss.
mlp = make_mlp()
opt = torch.optim.SGD(mlp.parameters(), lr=0.1)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=0.05)
for _ in range(4):
    opt.zero_grad()
    loss = mse(mlp)
    loss.backward()
    opt.step()
    plateau.step(loss.item())

# Complex parameters, maximize=True in the foreach paths.
xc = torch.randn(6, 3, dtype=torch.cfloat)
for make_opt in [
    lambda p: torch.optim.Rprop(p, lr=0.01),
    lambda p: torch.optim.Rprop(p, lr=0.01, foreach=True, maximize=True),
    lambda p: torch.optim.Adam(p, lr=0.01, foreach=True, maximize=True),
    lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, foreach=True, maximize=True),
]:
    wc = nn.Parameter(torch.randn(3, 2, dtype=torch.cfloat))
    opt = make_opt([wc])
    for _ in range(3):
        opt.zero_grad()
        loss = (xc @ wc).abs().pow(2).mean()
        loss.backward()
        opt.step()

# Rprop on reduced-precision parameters.
for dtype, foreach in [(torch.bfloat16, False), (torch.bfloat16, True), (torch.float16, False)]:
    xr = torch.randn(6, 3).to(dtype)
    wr = nn.Parameter(torch.randn(3, 2).to(dtype))
    opt = torch.optim.Rprop([wr], foreach=foreach)
    for _ in range(3):
        opt.zero_grad()
        loss = (xr @ wr).pow(2).mean()
        loss.backward()
        opt.step()
