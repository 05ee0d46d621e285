"""Antialiased resizing, as image pipelines and learned resizers run it.

torchvision's tensor transforms resize with `antialias=True` by default:
`v2.Resize` and `v2.RandomResizedCrop` downsample float images through
`_upsample_bilinear2d_aa`, `v2.Resize(interpolation=BICUBIC)` through
`_upsample_bicubic2d_aa` (PIL's cubic, A = -0.5, weights widened by the
scale and normalised). A learned resizer (Talebi & Milanfar style) trains
two Adam steps through antialiased bilinear and bicubic resizes, so the
backward kernels run (UpsampleBilinear2DAaBackward0,
UpsampleBicubic2DAaBackward0); then an upscale (the window keeps the
filter's own support), align_corners, a scale factor, an unchanged axis,
float64, a channels-last batch (kept channels-last), and an empty output
size refused with PyTorch's message.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.transforms import InterpolationMode, v2

torch.manual_seed(0)
images = torch.rand(4, 3, 20, 18)
pipeline = v2.Compose([v2.RandomResizedCrop((12, 12), scale=(0.5, 1.0)), v2.RandomHorizontalFlip()])
to_small = v2.Resize((8, 8))
to_small_cubic = v2.Resize((8, 8), interpolation=InterpolationMode.BICUBIC)


class LearnedResizer(nn.Module):
    """A residual resizer: a bilinear skip plus convolutions on the resized features."""

    def __init__(self, size=(8, 8)):
        super().__init__()
        self.size = size
        self.pre = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.LeakyReLU(0.2))
        self.post = nn.Conv2d(6, 3, 3, padding=1)

    def forward(self, x):
        skip = F.interpolate(x, size=self.size, mode="bilinear", antialias=True, align_corners=False)
        h = F.interpolate(self.pre(x), size=self.size, mode="bicubic", antialias=True, align_corners=False)
        return skip + self.post(h)


resizer = LearnedResizer()
classifier = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))
opt = torch.optim.Adam(list(resizer.parameters()) + list(classifier.parameters()), lr=1e-3)
labels = torch.randint(0, 5, (4,))
for step in range(2):
    crops = torch.stack([pipeline(img) for img in images])
    loss = F.cross_entropy(classifier(resizer(crops)), labels)
    loss = loss + 0.1 * F.mse_loss(resizer(crops), to_small(crops))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, round(loss.item(), 6))

with torch.no_grad():
    small = to_small(images)
    cubic = to_small_cubic(images)
    print("resized", small.shape, round(small.sum().item(), 4), round(cubic.sum().item(), 4))

# Gradients of the resize itself, in float32 and float64.
x = torch.rand(2, 2, 9, 7, requires_grad=True)
up = F.interpolate(x, size=(13, 11), mode="bilinear", antialias=True)
down = F.interpolate(x, size=(4, 3), mode="bicubic", antialias=True, align_corners=True)
by_factor = F.interpolate(x, scale_factor=0.6, mode="bilinear", antialias=True)
same_rows = F.interpolate(x, size=(9, 4), mode="bicubic", antialias=True)
(up.pow(2).sum() + down.sum() + by_factor.abs().sum() + same_rows.sum()).backward()
print("grad", x.grad.sum().item(), by_factor.shape)

x64 = torch.rand(1, 1, 10, 10, dtype=torch.float64, requires_grad=True)
y64 = F.interpolate(x64, size=(3, 5), mode="bicubic", antialias=True)
y64.sum().backward()
print("float64", y64.tolist(), x64.grad.sum().item())

cl = torch.rand(2, 3, 12, 12).to(memory_format=torch.channels_last)
r = F.interpolate(cl, size=(5, 5), mode="bilinear", antialias=True)
print("channels_last", r.is_contiguous(memory_format=torch.channels_last), r.sum().item())
try:
    F.interpolate(torch.rand(1, 1, 4, 4), size=(0, 2), mode="bilinear", antialias=True)
except RuntimeError as e:
    print("caught:", str(e).splitlines()[0])
