"""Channels-last layouts through convolution, pooling, padding and upsampling.

A channels-last (NHWC-strided) input, here a permuted NHWC tensor, gives
channels-last results and input gradients: convolution and
convolution_backward, max_pool2d_with_indices, avg_pool2d,
_adaptive_avg_pool2d, constant_pad_nd and upsample_bilinear2d keep the
input's memory format, as PyTorch's CPU kernels do.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
x = torch.randn(2, 6, 6, 3).permute(0, 3, 1, 2).requires_grad_()
conv = nn.Conv2d(3, 4, 3, padding=1)
y = F.max_pool2d(conv(x), 2)
(y * y).sum().backward()
(
    F.avg_pool2d(x, 2).sum()
    + nn.AdaptiveAvgPool2d(2)(x).sum()
    + F.pad(x, (1, 1, 1, 1)).sum()
    + F.interpolate(x, scale_factor=2, mode="bilinear").sum()
).backward()
