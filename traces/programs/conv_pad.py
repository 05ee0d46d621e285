"""Padding, upsampling and adaptive max pooling forward and backward.

F.pad(mode="constant") is constant_pad_nd (negative entries crop;
ConstantPadNdBackward0 pads the gradient by the negated amounts), as is the
zero-padding of a convolution with padding="same" and an even kernel;
"reflect" and "replicate" are reflection_pad{1,2}d / replication_pad{1,2}d
with their *_backward kernels; padding_mode="reflect" in nn.Conv2d pads
before a convolution without padding. F.interpolate is upsample_nearest2d
(index doubling, floor(dst * in / out)) or upsample_bilinear2d (half-pixel
or align_corners sources); nn.AdaptiveMaxPool2d is adaptive_max_pool2d (int64
indices without grad_fn). F.unfold / F.fold are im2col / col2im and
nn.PixelShuffle / F.pixel_unshuffle are pixel_shuffle / pixel_unshuffle, each
the other's gradient.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
x = torch.randn(2, 3, 5, 5, requires_grad=True)
s = torch.randn(2, 3, 5, requires_grad=True)
constant = F.pad(x, (1, 2, 0, 1), value=0.5)
cropped = F.pad(x, (-1, 2))
reflect = F.pad(x, (1, 1, 2, 1), mode="reflect")
replicate = F.pad(x, (2, 1, 1, 1), mode="replicate")
reflect1 = F.pad(s, (2, 1), mode="reflect")
replicate1 = F.pad(s, (1, 3), mode="replicate")
same = nn.Conv2d(3, 2, 4, padding="same")(x)
mirrored = nn.Conv2d(3, 2, 3, padding=1, padding_mode="reflect")(x)
loss = (
    (constant * constant).sum()
    + cropped.sum()
    + (reflect * reflect).sum()
    + (replicate * replicate).sum()
    + (reflect1 * reflect1).sum()
    + replicate1.sum()
    + same.mean()
    + mirrored.mean()
)
loss.backward()

# upsampling and adaptive max pooling
z = torch.randn(2, 2, 4, 5, requires_grad=True)
nearest = F.interpolate(z, scale_factor=2, mode="nearest")
nearest_sized = F.interpolate(z, size=(7, 9), mode="nearest")
bilinear = F.interpolate(z, scale_factor=2, mode="bilinear", align_corners=False)
corners = F.interpolate(z, size=(6, 11), mode="bilinear", align_corners=True)
shrunk = F.interpolate(z, size=(3, 3), mode="bilinear")
amax = nn.AdaptiveMaxPool2d((3, 2))(z)
(
    (nearest * nearest).sum()
    + nearest_sized.sum()
    + (bilinear * bilinear).sum()
    + corners.mean()
    + (shrunk * shrunk).sum()
    + (amax * amax).sum()
).backward()

# sliding blocks and sub-pixel shuffles
blocks = F.unfold(x, (2, 3), padding=1, stride=2)
cols = torch.randn(2, 12, 15, requires_grad=True)
folded = F.fold(cols, (4, 5), 2, padding=1, stride=(1, 2))
packed = torch.randn(2, 8, 3, 3, requires_grad=True)
spread = nn.PixelShuffle(2)(packed)
unshuffled = F.pixel_unshuffle(spread * 2.0, 2)
((blocks * blocks).sum() + (folded * folded).sum() + (spread * spread).sum() + unshuffled.sum()).backward()

for dtype in (torch.float64, torch.bfloat16):
    xd = torch.randn(1, 2, 4, 4, dtype=dtype, requires_grad=True)
    (
        F.pad(xd, (1, 1, 1, 1), mode="reflect").sum()
        + F.pad(xd, (1, 0, 0, 2)).sum()
        + F.interpolate(xd, scale_factor=2.5, mode="bilinear").sum()
        + nn.AdaptiveMaxPool2d(2)(xd).sum()
    ).backward()
