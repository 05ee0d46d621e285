"""F.interpolate(mode="nearest-exact") in 1-d, 2-d and 3-d.

A conv feature map resized to larger, non-integer, mixed and equal sizes
(`_upsample_nearest_exact2d`, UpsampleNearestExact2DBackward0 →
`_upsample_nearest_exact2d_backward`; source index `floor((dst + 0.5) ·
scale)`, no shortcut for equal sizes) with an SGD step each; a float64
1-d resize by `scale_factor=1.7` and a 3-d resize by per-axis factors
(upsampling, downsampling and non-integer), each differentiated.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
conv = nn.Conv2d(2, 2, 3, padding=1)
opt = torch.optim.SGD(conv.parameters(), lr=0.1)
for size in [(7, 7), (10, 10), (3, 4), (5, 5)]:
    x = torch.randn(1, 2, 5, 5)
    y = F.interpolate(conv(x), size=size, mode="nearest-exact")
    loss = (y * torch.arange(y.numel(), dtype=torch.float32).view_as(y)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
x = torch.randn(1, 2, 6, dtype=torch.float64, requires_grad=True)
F.interpolate(x, scale_factor=1.7, mode="nearest-exact").pow(2).sum().backward()
v = torch.randn(1, 1, 3, 4, 5, requires_grad=True)
F.interpolate(v, scale_factor=(2, 0.5, 1.5), mode="nearest-exact").sum().backward()
