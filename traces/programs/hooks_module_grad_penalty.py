"""Module full backward hooks under a gradient penalty: a hook logging the
output gradient's norm and a pre-hook halving `grad_output` run in
`torch.autograd.grad(create_graph=True)` and again in the backward through
that gradient; the hooked nodes' results are summed with other gradients
in the engine's input buffers. Two SGD steps."""

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
norms = []
model[2].register_full_backward_hook(lambda m, gi, go: norms.append(go[0].norm()))
model[1].register_full_backward_pre_hook(lambda m, go: tuple(g * 0.5 for g in go))
x = torch.randn(5, 3, requires_grad=True)
for step in range(2):
    opt.zero_grad()
    out = model(x)
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    loss = out.pow(2).mean() + g.pow(2).sum()
    loss.backward()
    opt.step()
    print(step, loss.item(), len(norms), x.grad.sum().item())
