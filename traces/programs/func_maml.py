"""MAML on sine-wave regression tasks with `torch.func.functional_call`:
each task adapts a copy of the parameters in an inner loop of gradient
steps taken with `torch.autograd.grad(create_graph=True)`, the adapted
parameters' loss on the task's query set is backpropagated through the
inner loop into the model, and Adam takes the meta step; then the same
adaptation with `torch.func.grad` (the transform's gradient of parameters
that require grad outside it) for a first-order evaluation.
"""

import math

import torch
from torch import nn
from torch.func import functional_call, grad
from torch.nn import functional as F

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-2)
inner_lr, inner_steps, tasks_per_batch = 0.05, 2, 2


def sample_task():
    amplitude = 0.5 + 4.5 * torch.rand(()).item()
    phase = math.pi * torch.rand(()).item()

    def draw(n):
        x = torch.rand(n, 1) * 10 - 5
        return x, amplitude * torch.sin(x + phase)

    return draw


def adapt(params, x, y, create_graph):
    for _ in range(inner_steps):
        loss = F.mse_loss(functional_call(model, params, (x,)), y)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=create_graph)
        params = {name: p - inner_lr * g for (name, p), g in zip(params.items(), grads)}
    return params


for meta_step in range(2):
    meta_opt.zero_grad()
    total = 0.0
    for _ in range(tasks_per_batch):
        draw = sample_task()
        xs, ys = draw(10)
        xq, yq = draw(10)
        adapted = adapt(dict(model.named_parameters()), xs, ys, create_graph=True)
        query_loss = F.mse_loss(functional_call(model, adapted, (xq,)), yq) / tasks_per_batch
        query_loss.backward()
        total += query_loss.item()
    meta_opt.step()
    print("meta step", meta_step, "query loss", round(total, 5))


# Evaluation: adaptation with the torch.func.grad transform.
def support_loss(params, x, y):
    return F.mse_loss(functional_call(model, params, (x,)), y)


draw = sample_task()
xs, ys = draw(10)
xq, yq = draw(10)
params = dict(model.named_parameters())
for _ in range(inner_steps):
    grads = grad(support_loss)(params, xs, ys)
    params = {name: p - inner_lr * grads[name] for name, p in params.items()}
with torch.no_grad():
    before = F.mse_loss(model(xq), yq).item()
    after = F.mse_loss(functional_call(model, params, (xq,)), yq).item()
print("evaluation loss before", round(before, 5), "after", round(after, 5))
