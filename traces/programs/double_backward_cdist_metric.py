"""Second derivatives through `torch.cdist`, as a metric-learning model
penalises the input gradient of a distance-based loss: a small embedding
net trained two steps on a prototype loss over Euclidean distances
between anchors and class prototypes plus a gradient penalty
(`create_graph=True`), then Manhattan and batched Euclidean distances
penalised the same way.

CdistBackwardBackward0 (the node of `_cdist_backward`, edges grad, x1, x2,
cdist): for p = 2 the gradients divide by the saved distances with the
zero-distance entries masked (`eq`, `div`, `masked_fill`), `x2`'s through
`matmul` (`mm`, or `bmm` for a batch); for p = 1 the gradient reaching
`grad` is `sgn` of the pairwise differences, and `x1`, `x2`, `cdist` get
`zeros_like`.
"""

import torch
from torch import nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

embed = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
prototypes = nn.Parameter(torch.randn(3, 3))
opt = torch.optim.SGD([*embed.parameters(), prototypes], lr=0.05, momentum=0.9)

for step in range(2):
    x = torch.randn(5, 4, requires_grad=True)
    labels = torch.tensor([0, 1, 2, 1, 0])
    dist = torch.cdist(embed(x), prototypes)
    loss = nn.functional.cross_entropy(-dist.pow(2), labels)
    (gx,) = torch.autograd.grad(loss, x, create_graph=True)
    total = loss + 0.1 * gx.pow(2).sum()
    opt.zero_grad()
    total.backward()
    opt.step()

a = torch.randn(4, 3, requires_grad=True)
b = torch.randn(5, 3, requires_grad=True)
d1 = torch.cdist(a, b, p=1)
ga, gb = torch.autograd.grad(d1.pow(2).sum(), [a, b], create_graph=True)
(ga.pow(2).sum() + gb.pow(2).sum()).backward()

a3 = torch.randn(2, 4, 3, requires_grad=True)
b3 = torch.randn(2, 5, 3, requires_grad=True)
(g3,) = torch.autograd.grad(torch.cdist(a3, b3).sum(), a3, create_graph=True)
g3.norm().backward()
print(a.grad.abs().sum().item(), b3.grad.abs().sum().item())
