"""Bicubic resampling: `F.interpolate(mode="bicubic")` in training and in a
position-embedding resize.

A convolution's output is upsampled by a scale factor (align_corners=False:
source positions go below zero at the border and are not clamped, the four
taps are), resized to an explicit size with align_corners=True, and
downsampled; the three losses train the convolution (UpsampleBicubic2DBackward0
dispatches `upsample_bicubic2d_backward`). Then, as vision transformers do
when the input resolution changes, a grid of position embeddings (a permuted,
non-contiguous view) is resized bicubically under `no_grad`.
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)

conv = nn.Conv2d(2, 2, 3, padding=1)
opt = torch.optim.SGD(conv.parameters(), lr=0.1)
x = torch.randn(2, 2, 5, 4)
for _ in range(2):
    h = conv(x)
    up = F.interpolate(h, scale_factor=2, mode="bicubic", align_corners=False)
    sized = F.interpolate(h, size=(7, 9), mode="bicubic", align_corners=True)
    down = F.interpolate(h, size=(3, 3), mode="bicubic")
    loss = up.pow(2).mean() + sized.abs().mean() + down.sum()
    opt.zero_grad()
    loss.backward()
    opt.step()

pos_embed = nn.Parameter(torch.randn(1, 4 * 4, 8))
with torch.no_grad():
    grid = pos_embed.reshape(1, 4, 4, 8).permute(0, 3, 1, 2)
    resized = F.interpolate(grid, size=(6, 6), mode="bicubic", align_corners=False)
    new_pos_embed = resized.permute(0, 2, 3, 1).reshape(1, 36, 8)
