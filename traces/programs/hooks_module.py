"""Module hooks: forward pre-hooks and forward hooks (input normalisation,
activation capture, output rewriting — plain Python around forward, so
their operators are ordinary top-level ones), and the optimizer step in
backward: one SGD optimizer per parameter, stepped and zeroed by a
post-accumulate-grad hook as soon as the parameter's gradient is ready."""

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
x = torch.randn(8, 4)
y = torch.randint(0, 3, (8,))

activations = {}


def scale_input(module, args):
    (inp,) = args
    return (inp / (inp.norm(dim=1, keepdim=True) + 1e-6),)


def keep_activation(module, args, output):
    activations["hidden"] = output.detach()


def damp_logits(module, args, output):
    return output * 0.5


pre = model[0].register_forward_pre_hook(scale_input)
model[1].register_forward_hook(keep_activation)
model[2].register_forward_hook(damp_logits)

optimizers = {p: torch.optim.SGD([p], lr=0.1, momentum=0.9) for p in model.parameters()}


def step_in_backward(p):
    optimizers[p].step()
    optimizers[p].zero_grad()


for p in model.parameters():
    p.register_post_accumulate_grad_hook(step_in_backward)

for step in range(3):
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    sparsity = (activations["hidden"] == 0).float().mean()
    print(step, loss.item(), sparsity.item())
    if step == 1:
        pre.remove()

with torch.no_grad():
    print(model(x).argmax(dim=1).tolist())
