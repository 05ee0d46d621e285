"""torch.autograd.backward with several roots: a hidden GraphRoot node takes
a sequence number, runs first and hands each root its gradient.

* two losses of a shared network in one call (the shared nodes get the sum
  of both gradients);
* non-scalar roots with explicit `grad_tensors`, one of them a leaf;
* several roots of which one depends on the other.
"""

import torch
from torch import nn

torch.manual_seed(0)
net = nn.Linear(3, 2)
x = torch.randn(4, 3)
out = net(x)
loss1 = out.pow(2).mean()
loss2 = out.abs().sum()
torch.autograd.backward([loss1, loss2])

a = torch.randn(3, requires_grad=True)
h = torch.tanh(a * 2)
torch.autograd.backward([h, a], grad_tensors=[torch.ones(3), torch.full((3,), 0.5)])

y = net(x)
z = y.sum()
torch.autograd.backward((z, y), (None, torch.ones(4, 2)))
print(net.weight.grad.sum().item(), a.grad.sum().item())
