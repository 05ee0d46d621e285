"""A parameter's shape changed through `.data` while its gradient node is kept.

Pruning-style code shrinks a weight with `p.data = p.data[:, :k].clone()`.
PyTorch keeps the parameter's AccumulateGrad node, whose input metadata
still holds the old shape, so a backward through a new use of the
parameter is refused by the engine's output validation: `Function
TBackward0 returned an invalid gradient at index 0 - got [2, 2] but
expected shape compatible with [2, 4]` (a graph_task_error, caught here).
Clearing `.grad` does not help; a new leaf does: training continues on a
fresh `nn.Parameter` of the shrunk value. Around it, features computed
under `inference_mode` and cloned into a normal tensor, an evaluation
function under `@torch.no_grad()` that takes an input gradient inside
`torch.enable_grad()`, and SGD steps.
"""

import torch
import torch.nn as nn

torch.manual_seed(0)

net = nn.Linear(4, 2)
with torch.inference_mode():
    feats = torch.randn(6, 4) * 2
    feats = feats - feats.mean(0)
x = feats.clone()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(2):
    loss = net(x).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")


@torch.no_grad()
def evaluate(model, z):
    with torch.enable_grad():
        zz = z.clone().requires_grad_(True)
        g = torch.autograd.grad(model(zz).sum(), zz)[0]
    return model(z).sum(), g.abs().sum()


print("eval", [v.item() for v in evaluate(net, x)])

w = net.weight
w.data = w.data[:, :2].clone()
w.grad = None
head = nn.Linear(2, 2)
head.weight = w
loss = head(x[:, :2]).sum()
try:
    loss.backward()
except RuntimeError as e:
    print("caught:", e)

head.weight = nn.Parameter(w.detach().clone())
opt = torch.optim.SGD(head.parameters(), lr=0.1)
for step in range(2):
    loss = head(x[:, :2]).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"shrunk step {step} loss {loss.item():.6f}")
