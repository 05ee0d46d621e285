"""Double backward through padding, upsampling and volumetric pooling, in
the style of PyTorch's gradgrad checks: each op's output is backpropagated
with a gradient that requires grad (`backward(v, create_graph=True)`), then
the squared input gradient is backpropagated, reaching both edges of the
backward kernel's node: ReflectionPad1D/2D, ReplicationPad1D/2D,
UpsampleNearest1D/2D/3D, UpsampleLinear1D, UpsampleBilinear2D,
UpsampleTrilinear3D, MaxPool3DWithIndices, AvgPool3D, AdaptiveAvgPool3D and
AdaptiveMaxPool2D `...BackwardBackward0` (the forward operator on the
incoming gradient; `zeros` of the input's sizes for `self`).
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


gradgrad(lambda t: F.pad(t, (1, 1), mode="reflect"), 1, 2, 4)
gradgrad(lambda t: F.pad(t, (1, 1, 1, 1), mode="reflect"), 1, 1, 3, 3)
gradgrad(lambda t: F.pad(t, (1, 2), mode="replicate"), 1, 2, 4)
gradgrad(lambda t: F.pad(t, (1, 1, 2, 0), mode="replicate"), 1, 1, 3, 3)
gradgrad(lambda t: F.interpolate(t, scale_factor=2, mode="nearest"), 1, 1, 2, 2)
gradgrad(lambda t: F.interpolate(t, size=5, mode="nearest"), 1, 1, 3)
gradgrad(lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False), 1, 1, 2, 2)
gradgrad(lambda t: F.interpolate(t, scale_factor=2, mode="linear", align_corners=True), 1, 1, 3)
gradgrad(lambda t: F.interpolate(t, scale_factor=2, mode="nearest"), 1, 1, 2, 2, 2)
gradgrad(lambda t: F.interpolate(t, scale_factor=2, mode="trilinear"), 1, 1, 2, 2, 2)
gradgrad(lambda t: F.max_pool3d(t, 2), 1, 1, 4, 4, 4)
gradgrad(lambda t: F.avg_pool3d(t, 2), 1, 1, 4, 4, 4)
gradgrad(lambda t: F.adaptive_avg_pool3d(t, 2), 1, 1, 4, 4, 4)
gradgrad(lambda t: F.adaptive_max_pool2d(t, 2), 1, 1, 4, 4)
