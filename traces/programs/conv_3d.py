"""3-d convolution and pooling forward and backward.

nn.Conv3d reaches aten.convolution with 5-d operands (ConvolutionBackward0,
one convolution_backward with its output mask): anisotropic kernel, stride,
padding and dilation, groups, no bias, an input without grad, float64.
F.max_pool3d is max_pool3d_with_indices (indices without grad_fn),
F.avg_pool3d is avg_pool3d (count_include_pad, divisor_override) and
nn.AdaptiveAvgPool3d is _adaptive_avg_pool3d (mean for a 1x1x1 output).
F.interpolate on 3-d and 5-d inputs is upsample_nearest1d/3d,
upsample_linear1d or upsample_trilinear3d.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
x = torch.randn(2, 2, 5, 4, 6, requires_grad=True)
grouped = nn.Conv3d(2, 4, (3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2)
plain = nn.Conv3d(2, 3, 2, bias=False)
y = grouped(torch.relu(x))
((y * y).sum() + plain(x).mean()).backward()

frozen = torch.randn(1, 2, 3, 3, 3)
grouped(frozen).sum().backward()

xd = torch.randn(1, 1, 3, 3, 3, dtype=torch.float64, requires_grad=True)
nn.Conv3d(1, 2, 2, padding=1, dtype=torch.float64)(xd).sum().backward()

# pooling
p = torch.randn(2, 2, 5, 6, 7, requires_grad=True)
top = F.max_pool3d(p, 3, stride=2, padding=1, ceil_mode=True)
mean = F.avg_pool3d(p, (2, 3, 2), stride=2, padding=1, count_include_pad=False)
fixed = F.avg_pool3d(p, 2, ceil_mode=True, divisor_override=3)
adaptive = nn.AdaptiveAvgPool3d((2, 3, 4))(p)
(
    (top * top).sum()
    + (mean * mean).sum()
    + fixed.sum()
    + adaptive.sum()
    + nn.AdaptiveAvgPool3d(1)(p).sum()
    + F.max_pool3d(p[0], 2).sum()
).backward()

# 1-d and 3-d upsampling
signal = torch.randn(2, 3, 5, requires_grad=True)
volume = torch.randn(1, 2, 3, 4, 5, requires_grad=True)
resized = [
    F.interpolate(signal, scale_factor=2, mode="nearest"),
    F.interpolate(signal, size=9, mode="linear", align_corners=True),
    F.interpolate(signal, scale_factor=2.5, mode="linear"),
    F.interpolate(volume, scale_factor=2, mode="nearest"),
    F.interpolate(volume, size=(4, 6, 7), mode="trilinear"),
]
sum((r * r).sum() for r in resized).backward()
