"""Higher-order gradients: curvature of activations, softmax classifiers,
a third derivative, a norm penalty.

Backward with `create_graph=True` and a gradient that itself requires grad
reaches both edges of the backward kernels' nodes (GeluBackwardBackward0,
SoftplusBackwardBackward0, EluBackwardBackward0; silu differentiates with
ordinary ops under grad mode); cross-entropy goes through
LogSoftmaxBackwardDataBackward0 and NllLossBackwardBackward0; a third
derivative through pow, exp, log, sqrt, rsqrt and div accumulates `.grad`
with grad mode on; where, mean, expand and `norm(2, dim=1)` make a
WGAN-GP style penalty.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

# Curvature of gelu, silu, softplus and elu with a gradient that requires grad.
for f in [F.gelu, F.silu, F.softplus, F.elu]:
    a = torch.randn(3, requires_grad=True)
    v = torch.randn(3, requires_grad=True)
    f(a).backward(v, create_graph=True)
    ga = a.grad
    a.grad = None
    (ga * ga).sum().backward()

# Softmax and log-softmax classifiers: the penalty of the input gradient.
logits = torch.randn(4, 3, requires_grad=True)
labels = torch.tensor([0, 2, 1, 2])
F.cross_entropy(logits, labels).backward(create_graph=True)
gl = logits.grad
logits.grad = None
(F.softmax(logits, dim=1) * gl).sum().backward()

# Third derivative through pow, exp, log, sqrt, rsqrt and div. The second
# backward accumulates into the existing z.grad with grad mode on (grad + new,
# out of place), so the last backward differentiates f' + f''.
z = torch.rand(3, requires_grad=True)
w = ((z + 1).log() * z.exp()).sum() + (z.rsqrt() / (z + 2)).sum() + z.sqrt().pow(3).sum()
w.backward(create_graph=True)
z.grad.sum().backward(create_graph=True)
both = z.grad
z.grad = None
both.sum().backward()

# where, mean, expand and norm: a WGAN-GP style penalty through backward.
pts = torch.randn(4, 3, requires_grad=True)
critic = torch.where(pts > 0, pts * pts, -pts).mean(dim=1).expand(2, 4).sum()
critic.backward(create_graph=True)
gp = ((pts.grad.norm(2, dim=1) - 1) ** 2).mean()
pts.grad = None
gp.backward()
