"""Convolution and 2-d pooling forward and backward across dtypes.

nn.Conv2d / F.conv1d / F.conv2d reach aten.convolution (ConvolutionBackward0
calls convolution_backward with an output mask: no input gradient when the
input does not require grad, no bias gradient without a bias); F.max_pool2d
is max_pool2d_with_indices (its int64 indices get no grad_fn); avg_pool2d
with count_include_pad / divisor_override; nn.AdaptiveAvgPool2d is
_adaptive_avg_pool2d, except for a 1x1 output (mean over the last two dims).
nn.ConvTranspose2d/1d are aten.convolution with transposed=True.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

# float32: stride, padding, dilation, groups, bias or not
x = torch.randn(2, 4, 8, 8, requires_grad=True)
conv = nn.Conv2d(4, 6, 3, stride=2, padding=1)
grouped = nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2, bias=False)
h = torch.relu(conv(x))
g = grouped(x)
pooled, indices = F.max_pool2d(h, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)
avg = F.avg_pool2d(g, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
avg_div = F.avg_pool2d(g, 2, divisor_override=3)
adaptive = nn.AdaptiveAvgPool2d((2, 3))(g)
global_avg = nn.AdaptiveAvgPool2d(1)(h)
loss = (
    (pooled * pooled).sum()
    + avg.sum()
    + avg_div.sum()
    + (adaptive * adaptive).sum()
    + global_avg.sum()
    + F.max_pool2d(g, 2).sum()
)
loss.backward()

# 1-d convolution
signal = torch.randn(2, 2, 11, requires_grad=True)
conv1 = nn.Conv1d(2, 3, 4, stride=2, padding=1)
F.max_pool2d(conv1(signal).unsqueeze(1), (1, 2)).sum().backward()

# the input does not require grad: only weight and bias gradients
frozen = torch.randn(1, 4, 5, 5)
(conv(frozen) * 2.0).sum().backward()

# transposed convolutions (stride with output padding, groups, 1-d)
up = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
grouped_up = nn.ConvTranspose2d(4, 2, 2, stride=2, groups=2, bias=False)
u = up(x[:, :, :4, :4])
((u * u).sum() + grouped_up(x[:1, :, :3, :3]).sum()).backward()
nn.ConvTranspose1d(2, 3, 4, stride=3, padding=1)(signal).sum().backward()

# other floating dtypes
for dtype in (torch.float64, torch.float16, torch.bfloat16):
    xd = torch.randn(1, 2, 7, 7, dtype=dtype, requires_grad=True)
    cd = nn.Conv2d(2, 3, 3, padding=1, dtype=dtype)
    y = F.max_pool2d(torch.relu(cd(xd)), 2)
    z = nn.AdaptiveAvgPool2d(3)(F.avg_pool2d(y, 2, stride=1))
    z.sum().backward()

# inference: no nodes
with torch.no_grad():
    F.avg_pool2d(F.max_pool2d(conv(x), 2), 1)
