"""Gradients kept alive by tensor hooks until the program ends, as a
training script keeps them for a post-mortem dump: each parameter's hook
stores the latest gradient it received in a dict (the previous step's dies
when it is replaced), a hook on the hidden activation appends every
gradient to a list, and nothing reads them because no step goes
non-finite. A leaf's gradient a hook holds is not stolen by AccumulateGrad
but copied (`new_empty_strided` + `copy_`), on every step including the
last, whose gradients are still held when the program ends (their releases
close the trace)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

last_grad = {}
activation_grads = []


def keep_latest(name):
    def hook(grad):
        last_grad[name] = grad

    return hook


for name, p in model.named_parameters():
    p.register_hook(keep_latest(name))

x = torch.randn(16, 4)
y = x.sum(1, keepdim=True).sin()
for step in range(3):
    opt.zero_grad()
    hidden = model[1](model[0](x))
    hidden.register_hook(activation_grads.append)
    loss = F.mse_loss(model[2](hidden), y)
    if not torch.isfinite(loss):
        torch.save({"grads": last_grad, "activation_grads": activation_grads}, "nan_dump.pt")
        break
    loss.backward()
    opt.step()
    print("step", step, "loss", round(loss.item(), 5))
