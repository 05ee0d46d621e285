"""Double backward of activations and losses in the style of PyTorch's
gradgrad checks: each output backpropagated with a gradient that requires
grad under `create_graph=True`, then the squared input gradient, reaching
both edges of each backward kernel's node — gelu with the tanh
approximation, in-place elu (EluBackward1's kernel with `is_result=True`),
logsigmoid (its buffer kept), glu, mish (its gradient spelled out in
differentiable ops under grad mode); binary cross-entropy with class
weights, its `ggO *= grad` out of place as under any dispatch mode.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)


def gradgrad(fn, *shape):
    x = torch.randn(*shape, requires_grad=True)
    y = fn(x)
    v = torch.randn(y.shape, requires_grad=True)
    y.backward(v, create_graph=True)
    g = x.grad
    x.grad = None
    (g * g).sum().backward()


gradgrad(lambda t: F.gelu(t, approximate="tanh"), 5)
gradgrad(lambda t: F.elu(t * 1.0, alpha=0.7, inplace=True), 6)
gradgrad(F.logsigmoid, 2, 4)
gradgrad(lambda t: F.glu(t, -1), 2, 4)
gradgrad(F.mish, 5)

for reduction in ["mean", "sum"]:
    p = torch.rand(4).clamp(0.1, 0.9).requires_grad_()
    labels = torch.rand(4)
    scale = torch.rand((), requires_grad=True)
    loss = F.binary_cross_entropy(p, labels, weight=torch.rand(4), reduction=reduction) * scale
    loss.backward(create_graph=True)
    gp = p.grad
    p.grad = None
    scale.grad = None
    gp.pow(2).sum().backward()
