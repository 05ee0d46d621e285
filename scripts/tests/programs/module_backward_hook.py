"""Deprecated module backward hooks (`register_backward_hook`, the global
`register_module_backward_hook`): post-hooks on the node that made each
module's output; one replaces grad_input, one logs grad_output."""

import torch
import torch.nn as nn
from torch.nn.modules.module import register_module_backward_hook

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
x = torch.randn(5, 3, requires_grad=True)
seen = []
model[1].register_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
model[2].register_backward_hook(lambda m, gi, go: seen.append(go[0].norm()))
global_hook = register_module_backward_hook(lambda m, gi, go: None)
for step in range(2):
    model(x).pow(2).sum().backward()
    global_hook.remove()
print(len(seen), x.grad.sum().item())
