"""Module backward hooks: full backward hooks that log gradient norms
(on a first layer whose input needs no gradient: PyTorch calls them with
`grad_input` all None) and one that rescales `grad_input`, a full backward
pre-hook that clips `grad_output`, hooks on a two-input module, a global
module hook (on every module, the container too) that is removed after a
step, a module hook removed after two steps, a deprecated
`register_backward_hook` that halves a bias gradient; SGD with momentum. Then a
hook that raises (the backward ends with its exception, caught) and the
same step once it is removed."""

import torch
import torch.nn as nn
from torch.nn.modules.module import (
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)


class Gate(nn.Module):
    """Two inputs: `a * sigmoid(b)`."""

    def forward(self, a, b):
        return a * torch.sigmoid(b)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 6)
        self.gate_proj = nn.Linear(4, 6)
        self.gate = Gate()
        self.act = nn.Tanh()
        self.out = nn.Linear(6, 3)

    def forward(self, x):
        h = self.gate(self.inp(x), self.gate_proj(x))
        return self.out(self.act(h))


torch.manual_seed(0)
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x = torch.randn(5, 4)
y = torch.randn(5, 3)

norms = []


def log_norms(module, grad_input, grad_output):
    norms.append(grad_output[0].norm())
    for g in grad_input:
        if g is not None:
            norms.append(g.norm())


def rescale_input_grad(module, grad_input, grad_output):
    return tuple(None if g is None else g * 0.5 for g in grad_input)


def clip_output_grad(module, grad_output):
    return tuple(g.clamp(-0.05, 0.05) for g in grad_output)


def halve_bias_grad(module, grad_input, grad_output):
    """Deprecated `register_backward_hook`: a post-hook of the module's
    output node (AddmmBackward0), whose results are (bias, input, weight.t())
    gradients."""
    return (grad_input[0] * 0.5,) + tuple(grad_input[1:])


global_calls = []


def count_global(module, grad_input, grad_output):
    global_calls.append(type(module).__name__)


def global_pre(module, grad_output):
    return None


model.inp.register_full_backward_hook(log_norms)
gate_log = model.gate.register_full_backward_hook(log_norms)
model.act.register_full_backward_hook(rescale_input_grad)
model.out.register_full_backward_pre_hook(clip_output_grad)
model.gate_proj.register_backward_hook(halve_bias_grad)
g_hook = register_module_full_backward_hook(count_global)
g_pre = register_module_full_backward_pre_hook(global_pre)

for step in range(3):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    print(step, loss.item(), len(norms), sorted(set(global_calls)))
    if step == 0:
        g_hook.remove()
        g_pre.remove()
    if step == 1:
        gate_log.remove()

print(torch.stack(norms).sum().item())


def reject_large(module, grad_input, grad_output):
    if grad_output[0].abs().max() > 0.01:
        raise ValueError("gradient rejected")


guard = model.out.register_full_backward_hook(reject_large)
opt.zero_grad()
try:
    (nn.functional.mse_loss(model(x), y) * 10).backward()
except ValueError as e:
    print("caught", e)
guard.remove()
opt.zero_grad()
nn.functional.mse_loss(model(x), y).backward()
opt.step()
print(model.out.weight.grad.norm().item())
