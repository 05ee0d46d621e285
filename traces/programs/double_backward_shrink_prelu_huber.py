"""Double backward of the piecewise-linear activations and the Huber loss,
the backward kernels whose nodes a gradient penalty reaches in robust
regression and GAN critics: hardshrink and softshrink
(HardshrinkBackwardBackward0 / SoftshrinkBackwardBackward0, the kernel
again for `grad_output`, zeros for `self`), rrelu in evaluation and
training mode (RreluWithNoiseBackwardBackward0, the kernel dispatched again
with `self_is_result=False` and its noise kept), PReLU with one and with
per-channel slopes (PreluKernelBackwardBackward0, two incoming gradients —
the input's and the weight's — or only the input's, the weight's
gradient summed to its shape by the engine), and the Huber loss under each
reduction (HuberLossBackwardBackward0, its `grad_output` gradient under a
reduction taken on `ones_like(grad_output)` and summed). Then the other
piecewise-linear kernels of robust training: the L1 loss, whose SgnBackward0
passes an efficient zero tensor on that SubBackward0 negates through the
ZeroTensor fallback (`zeros({})`, `expand`, `neg`), and 3-d adaptive max
pooling (AdaptiveMaxPool3DBackwardBackward0, the gradient gathered at the
saved indices).
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


def penalise(fn, *inputs):
    """Differentiates `fn`'s output scaled by a learnt scalar, then the
    squared gradients, reaching every edge of the backward kernels' nodes."""
    scale = torch.rand((), requires_grad=True)
    out = fn(*inputs) * scale
    grads = torch.autograd.grad(out.sum(), inputs, create_graph=True)
    sum(g.pow(2).sum() for g in grads).backward()
    return scale.grad


x = torch.randn(3, 5, requires_grad=True)
penalise(lambda t: F.hardshrink(t, 0.4), x)
penalise(lambda t: F.softshrink(t, 0.3), x)
penalise(lambda t: F.rrelu(t, 0.1, 0.3, training=False), x)
penalise(lambda t: F.rrelu(t, 0.1, 0.3, training=True), x)

# PReLU: per-channel and single slopes, then the input's gradient alone.
img = torch.randn(2, 3, 4, requires_grad=True)
per_channel = nn.PReLU(3, init=0.2)
penalise(lambda t, w: F.prelu(t, w), img, per_channel.weight)
single = nn.PReLU()
penalise(lambda t, w: F.prelu(t, w), x, single.weight)
(g,) = torch.autograd.grad(per_channel(img).sum(), img, create_graph=True)
g.pow(2).sum().backward()

# Huber regression: the penalty on the prediction's and the target's
# gradients under each reduction.
pred = torch.randn(4, 3, requires_grad=True)
target = torch.randn(4, 3, requires_grad=True)
for reduction in ["mean", "sum", "none"]:
    penalise(lambda p, t: F.huber_loss(p, t, reduction=reduction, delta=0.7), pred, target)
penalise(lambda p, t: F.l1_loss(p, t), pred, target)
vol = torch.randn(1, 2, 3, 4, 5, requires_grad=True)
penalise(lambda v: F.adaptive_max_pool3d(v, 2).tanh(), vol)
print(x.grad.sum().item(), img.grad.sum().item(), pred.grad.sum().item())
