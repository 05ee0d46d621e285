"""Per-sample gradients with `torch.func`, as differentially private SGD
computes them: `vmap(grad(loss_of_one_example))` over a batch through
`functional_call`, each example's gradient clipped to a norm bound, the
clipped gradients summed, Gaussian noise added and a manual SGD update of
the parameter dict; then the mean of the per-sample gradients checked
against an ordinary `backward()` of the batch loss, and `vmap` of the
model's forward for a batched evaluation.
"""

import torch
from torch import nn
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
params = {name: p.detach() for name, p in model.named_parameters()}


def loss_of_one(p, x, y):
    # vmap strips the batch dimension: put a batch of one back for the model.
    logits = functional_call(model, p, (x.unsqueeze(0),))
    return F.cross_entropy(logits, y.unsqueeze(0))


per_sample_grads = vmap(grad(loss_of_one), in_dims=(None, 0, 0))
max_norm, noise_multiplier, lr = 1.0, 0.3, 0.5

for step in range(3):
    x = torch.randn(8, 6)
    y = torch.randint(0, 3, (8,))
    grads = per_sample_grads(params, x, y)
    # One norm per example over all of its parameter gradients.
    norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()], dim=1).norm(dim=1)
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    new_params = {}
    for name, g in grads.items():
        clipped = (g * scale.view(-1, *([1] * (g.dim() - 1)))).sum(0)
        noise = torch.randn_like(clipped) * noise_multiplier * max_norm
        new_params[name] = params[name] - lr * (clipped + noise) / x.shape[0]
    params = new_params
    print("step", step, "per-sample norms", [round(n, 4) for n in norms.tolist()])

# The mean of the per-sample gradients is the batch gradient autograd gives.
x = torch.randn(8, 6)
y = torch.randint(0, 3, (8,))
grads = per_sample_grads(params, x, y)
leaves = {name: p.clone().requires_grad_() for name, p in params.items()}
batch_loss = F.cross_entropy(functional_call(model, leaves, (x,)), y)
batch_loss.backward()
for name, leaf in leaves.items():
    gap = (grads[name].mean(0) - leaf.grad).abs().max().item()
    print(name, "per-sample mean vs batch gradient", gap < 1e-5)

# Batched evaluation: the forward of one example, vmapped.
logits = vmap(lambda xi: functional_call(model, params, (xi,)))(x)
print("accuracy", (logits.argmax(1) == y).float().mean().item())
