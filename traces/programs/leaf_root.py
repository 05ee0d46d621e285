"""backward() started from a leaf and from non-scalar roots with explicit
gradients.

* `v.backward(g)` on a leaf: the root is the leaf's AccumulateGrad, which the
  engine creates for the call (no graph holds one);
* the same for a leaf some live graph already uses (its AccumulateGrad is
  reused), then that graph's own backward;
* a non-scalar output and a view of it (`backward(gradient=...)`);
* a batch-1 model: `autograd.grad` reruns a retained graph, then backward.
"""

import torch
from torch import nn

torch.manual_seed(0)
v = torch.randn(3, requires_grad=True)
v.backward(torch.ones(3))
v.backward(torch.full((3,), 2.0))

w = torch.randn(2, 3, requires_grad=True)
y = w * 3
w.backward(torch.ones(2, 3))
y.backward(torch.ones(2, 3))

z = torch.sigmoid(w)
z[1].backward(torch.tensor([1.0, -1.0, 0.5]), retain_graph=True)
z.backward(torch.ones(2, 3))

model = nn.Linear(4, 1)
x = torch.randn(1, 4)
pred = model(x)
(g1,) = torch.autograd.grad(pred, model.weight, torch.ones(1, 1), retain_graph=True)
(g2,) = torch.autograd.grad(pred, model.weight, torch.full((1, 1), 2.0), retain_graph=True)
pred.backward(torch.ones(1, 1))
print(v.grad.sum().item(), w.grad.sum().item(), g1.sum().item(), g2.sum().item(), model.bias.grad.item())
