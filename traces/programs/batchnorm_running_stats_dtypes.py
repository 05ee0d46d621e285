"""Batch norm's running statistics in every float type, then evaluation on them.

Training updates `running_mean` and `running_var` inside PyTorch's CPU
kernel, and `model.eval()` then normalises with them, so an ulp of
difference in the update shows in every evaluation output. The update is
`m·batch + (1 − m)·running` in the statistics' own arithmetic: float32
products and sums round to float (momentum 0.1 is float 0.100000001…),
bfloat16 ones round to bfloat16 after every operation (momentum 0.3 becomes
0.30078125), and the unbiased variance divides by `n − 1` converted to that
type. float16 parameters receive statistics computed in float32, rounded
once. `momentum=None` (a cumulative average, momentum 1/k at the k-th
batch) and float32 parameters under reduced inputs (mixed precision) are
covered too. Each model (a `BatchNorm1d` over sequences, then one over
features) trains three SGD steps on inputs whose mean is far from zero,
then evaluates a held-out batch under `no_grad`.
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


def make(momentum):
    return nn.Sequential(
        nn.BatchNorm1d(6, momentum=momentum),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 9, 10),
        nn.BatchNorm1d(10, momentum=0.3),
        nn.Tanh(),
        nn.Linear(10, 3),
    )


y = torch.tensor([0, 2, 1, 1])
for dtype in (torch.float32, torch.bfloat16, torch.float16, torch.float64):
    for momentum in (0.1, None):
        model = make(momentum).to(dtype)
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        for step in range(3):
            x = (torch.rand(4, 6, 9) * 3 + 5).to(dtype)
            loss = F.cross_entropy(model(x).float(), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            held_out = (torch.rand(2, 6, 9) * 3 + 5).to(dtype)
            out = model(held_out)
        bn = model[0]
        print(dtype, momentum, bn.running_mean.float().sum().item(), bn.running_var.float().sum().item(), out.float().sum().item())

# Mixed precision: reduced inputs with float32 parameters and statistics.
for dtype in (torch.bfloat16, torch.float16):
    running_mean, running_var = torch.zeros(5), torch.ones(5)
    weight = torch.rand(5, requires_grad=True)
    bias = torch.zeros(5, requires_grad=True)
    for step in range(3):
        x = (torch.randn(6, 5, 4) * 2 + 7).to(dtype)
        out = F.batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum=0.3)
        out.float().square().mean().backward()
    evaluated = F.batch_norm(x, running_mean, running_var, weight, bias, training=False)
    print(dtype, running_mean.sum().item(), running_var.sum().item(), evaluated.float().sum().item())
