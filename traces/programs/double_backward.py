"""Double backward: gradients that are differentiated again.

`backward(create_graph=True)` records the backward formulas' ops with their
own history (TanhBackwardBackward0, ThresholdBackwardBackward0,
SigmoidBackwardBackward0, MseLossBackwardBackward0, MulBackward0 and
MmBackward0 inside backward, CopyBackwards from AccumulateGrad), so a
function of the gradients can be backpropagated: the program of the issue,
then a gradient-norm penalty added to the loss of small MLPs trained with
SGD.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

# d/dx sum((dy/dx)^2) for y = sum(tanh(x)^3).
x = torch.randn(3, requires_grad=True)
y = (x.tanh() ** 3).sum()
y.backward(create_graph=True)
g = x.grad
x.grad = None
(g * g).sum().backward()

# A gradient-norm penalty on sigmoid, relu and leaky-relu MLPs.
for act in [nn.Sigmoid(), nn.ReLU(), nn.LeakyReLU(0.2)]:
    net = nn.Sequential(nn.Linear(3, 4), act, nn.Linear(4, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    inp = torch.randn(5, 3)
    target = torch.randn(5, 1)
    loss = F.mse_loss(net(inp), target)
    loss.backward(create_graph=True)
    penalty = sum((p.grad ** 2).sum() for p in net.parameters())
    opt.zero_grad()
    (loss + 0.1 * penalty).backward()
    opt.step()
