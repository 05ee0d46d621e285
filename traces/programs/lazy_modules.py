"""Lazy modules, as models that infer their input sizes are written.

`nn.LazyConv2d`, `nn.LazyBatchNorm2d` and `nn.LazyLinear` hold
`UninitializedParameter`/`UninitializedBuffer` placeholders until the first
forward, whose pre-hook materializes each (`.data` read for its device and
dtype, `.data = torch.empty(shape)`, then the module's ordinary
`reset_parameters`: kaiming/uniform init, running statistics zeroed and
filled). The placeholders have no storage a trace could name: the capture
leaves materialization unrecorded and each parameter is introduced at its
first use as an alias of its `empty` result. Then the optimizer is built,
two SGD steps train the CNN, magnitude pruning (`prune.l1_unstructured`,
a forward pre-hook multiplying `weight_orig` by `weight_mask`) trains a
third step, and a `LazyLinear` in float64 is materialized under `no_grad`.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

torch.manual_seed(0)
model = nn.Sequential(
    nn.LazyConv2d(6, 3, padding=1),
    nn.LazyBatchNorm2d(),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.LazyLinear(10),
    nn.ReLU(),
    nn.Linear(10, 3),
)
images = torch.randn(4, 2, 6, 6)
labels = torch.tensor([0, 2, 1, 2])
# The first forward (a dummy batch) materializes every lazy parameter.
with torch.no_grad():
    model(images[:2])
print([tuple(p.shape) for p in model.parameters()], model[1].running_mean.tolist())
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for step in range(2):
    loss = F.cross_entropy(model(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, round(loss.item(), 6))

prune.l1_unstructured(model[5], "weight", amount=0.4)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
loss = F.cross_entropy(model(images), labels)
opt.zero_grad()
loss.backward()
opt.step()
print("pruned", round(loss.item(), 6), int(model[5].weight_mask.sum().item()))

head = nn.LazyLinear(2, dtype=torch.float64)
with torch.no_grad():
    out = head(torch.randn(3, 5, dtype=torch.float64))
print(head.weight.dtype, tuple(head.weight.shape), out.sum().item())
