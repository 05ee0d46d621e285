"""A bfloat16 regressor with a one-output head trained by foreach optimizers.

Two small MLPs (`Linear(5, 12) -> Tanh -> Linear(12, 1)`) kept entirely in
bfloat16, and a float16 copy of the first, fit a batch of 16 targets. One is
trained by `SGD` with Nesterov momentum, one by `RMSprop` with momentum and
`centered=True`, both `foreach=True`, so each step's parameter update is
`torch._foreach_add_(params, bufs, alpha=-lr)` (and the momentum buffers'
`_foreach_add_(..., alpha=...)`). PyTorch's CPU foreach add/sub with an
alpha runs the single-tensor `add_` per tensor: `alpha` rounded to the
dtype, then `param + alpha·buf` rounded once in the vectorised loop and
twice (`alpha·buf` first) in the scalar loop, which takes every element of
these tensors (all have fewer than 32 elements but the 60-element first
weight, whose last 28 it takes). In-place foreach results are not recorded,
so an update rounded the wrong way shows in the next forward's `addmm` with
the head's single output column (`mat2` the transposed [1, 12] weight). The
float16 model is trained by `foreach=False` SGD with momentum for contrast,
and out-of-place `torch._foreach_add`/`_foreach_sub` with an alpha close the
run.
"""

import torch
from torch import nn

torch.manual_seed(0)


def regressor(dtype):
    return nn.Sequential(nn.Linear(5, 12), nn.Tanh(), nn.Linear(12, 1)).to(dtype)


bf_sgd_net = regressor(torch.bfloat16)
bf_rms_net = regressor(torch.bfloat16)
half_net = regressor(torch.float16)

x = torch.randn(16, 5)
y = (x[:, :1] * 0.7 - x[:, 1:2].tanh() + 0.1 * torch.randn(16, 1))

runs = [
    (bf_sgd_net, torch.optim.SGD(bf_sgd_net.parameters(), lr=0.1, momentum=0.9, nesterov=True, foreach=True), torch.bfloat16),
    (bf_rms_net, torch.optim.RMSprop(bf_rms_net.parameters(), lr=0.01, momentum=0.5, centered=True, foreach=True), torch.bfloat16),
    (half_net, torch.optim.SGD(half_net.parameters(), lr=0.05, momentum=0.8, foreach=False), torch.float16),
]

for step in range(4):
    for net, opt, dtype in runs:
        opt.zero_grad()
        pred = net(x.to(dtype))
        loss = ((pred - y.to(dtype)) ** 2).mean()
        loss.backward()
        opt.step()
        print("step", step, dtype, "loss", loss.item())

with torch.no_grad():
    params = list(bf_sgd_net.parameters())
    others = list(bf_rms_net.parameters())
    moved = torch._foreach_add(params, others, alpha=0.37)
    pulled = torch._foreach_sub(params, others, alpha=0.011)
    print("foreach out of place", sum(t.float().sum().item() for t in moved + pulled))
    print("final", bf_sgd_net(x.bfloat16()).float().sum().item(), bf_rms_net(x.bfloat16()).float().sum().item())
