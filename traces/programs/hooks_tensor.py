"""Tensor.register_hook on leaves and intermediates, as training code uses
it: a clipping hook and a scaling hook that return new gradients, hooks that
only read (gradient norms logged and used later), a hook on a leaf used
twice, several hooks on one tensor with retain_grad, removal, and a hook
that raises (the program catches it)."""

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(5, 3)
y = torch.randn(5, 2)

norms = []
handles = [
    # Per-parameter gradient clipping and scaling, by returning a new gradient.
    model[0].weight.register_hook(lambda g: g.clamp(-0.05, 0.05)),
    model[2].bias.register_hook(lambda g: g * 0.5),
    # A hook that only reads: the gradient norm, kept for later.
    model[2].weight.register_hook(lambda g: norms.append(g.norm())),
]

for step in range(2):
    opt.zero_grad()
    h = model[1](model[0](x))
    # Two hooks on one intermediate (the second sees the first's result),
    # and retain_grad, which sees what the hooks made of it.
    h.register_hook(lambda g: g * 2.0)
    h.register_hook(lambda g: g + 0.01)
    h.retain_grad()
    out = model[2](h)
    loss = ((out - y) ** 2).mean()
    loss.backward()
    opt.step()
    print(step, loss.item(), h.grad.abs().sum().item())

# Removing a hook: the scaling no longer applies.
handles[1].remove()
opt.zero_grad()
((model(x) - y) ** 2).mean().backward()
opt.step()

# A leaf used twice: its hook runs once, with the summed gradient.
w = torch.ones(3, requires_grad=True)
seen = []
w.register_hook(lambda g: seen.append(g.sum()))
w.register_hook(lambda g: g / 3.0)
(w * 2.0 + w * w).sum().backward()
logged = torch.stack(norms).sum() + torch.stack(seen).sum()
print(logged.item(), w.grad.tolist())


# A hook that raises: backward() raises its exception, the program goes on.
def reject(g):
    if g.abs().max() > 1.0:
        raise ValueError("gradient rejected")


v = torch.ones(2, requires_grad=True)
v.register_hook(reject)
try:
    (v * 3.0).sum().backward()
except ValueError as e:
    print("caught:", e)
print(v.grad is None)
