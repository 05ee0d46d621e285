"""Resampling layers of the super-resolution / segmentation examples.

MaxPool2d(ceil_mode=True, return_indices=True) + MaxUnpool2d (module and
functional, with output_size), AvgPool2d with count_include_pad=False,
ceil_mode and divisor_override, F.interpolate (nearest by scale_factor and
by size, bilinear with align_corners True and False, recompute_scale_factor),
nn.Upsample, ConvTranspose2d with output_padding and groups, PixelShuffle /
PixelUnshuffle, Dropout2d, F.unfold / F.fold; one Adam step. Then max_unpool3d and a
channels-last max_pool2d + max_unpool2d, each differentiated.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

conv = nn.Conv2d(1, 4, 3, padding=1)
pool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True, return_indices=True)
unpool = nn.MaxUnpool2d(3, stride=2, padding=1)
up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
grouped_up = nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1, groups=2)
upsample = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
shuffle = nn.PixelShuffle(2)
unshuffle = nn.PixelUnshuffle(2)
drop = nn.Dropout2d(0.5)
fold_weight = nn.Parameter(torch.randn(3, 4 * 4) * 0.2)
params = [*conv.parameters(), *up.parameters(), *grouped_up.parameters(), fold_weight]
optimizer = torch.optim.Adam(params, lr=1e-2)
for step in range(1):
    x = torch.randn(1, 1, 7, 7)
    h = conv(x)
    p, idx = pool(h)
    u = unpool(p, idx, output_size=h.size())
    p2, idx2 = F.max_pool2d(h, 2, 2, ceil_mode=True, return_indices=True)
    u2 = F.max_unpool2d(p2, idx2, 2, 2, output_size=h.shape[-2:])
    a = F.avg_pool2d(u + u2, 3, stride=2, padding=1, count_include_pad=False)
    b = F.avg_pool2d(u, 2, ceil_mode=True, divisor_override=3)
    n = F.interpolate(a, scale_factor=2, mode="nearest")
    s = F.interpolate(b, size=(5, 5), mode="nearest")
    b1 = F.interpolate(a, size=(5, 5), mode="bilinear", align_corners=True)
    b2 = F.interpolate(a, scale_factor=1.5, mode="bilinear", align_corners=False)
    b3 = upsample(F.interpolate(b, scale_factor=0.5, mode="bilinear", recompute_scale_factor=True))
    y = up(drop(n))
    g = grouped_up(s)
    sr = shuffle(torch.cat([y, y], 1))
    z = unshuffle(g)
    cols = F.unfold(g, kernel_size=2, stride=2)
    folded = F.fold(cols * 0.5, output_size=(10, 10), kernel_size=2, stride=2)
    mixed = fold_weight @ cols
    loss = (
        sr.square().mean() + b1.abs().mean() + b2.mean() + b3.mean()
        + z.mean() + folded.pow(2).mean() + mixed.relu().mean()
    )
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

v = torch.randn(1, 2, 4, 4, 4, requires_grad=True)
p3, i3 = F.max_pool3d(v, 2, return_indices=True)
F.max_unpool3d(p3 * 2, i3, 2).sum().backward()
xc = torch.randn(1, 3, 4, 4).contiguous(memory_format=torch.channels_last).requires_grad_()
pc, ic = F.max_pool2d(xc, 2, return_indices=True)
uc = F.max_unpool2d(pc, ic, 2)
(uc * torch.arange(48.0).view(1, 3, 4, 4)).sum().backward()
