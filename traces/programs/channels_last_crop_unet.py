"""A channels-last 2-d U-Net whose skips are center-cropped views, with a split-channel block.

The classic U-Net crops each encoder map to the decoder's size before
concatenating (`x[:, :, m:-m, m:-m]`), and ShuffleNet/GhostNet-style blocks
split the channels (`chunk`). Of a channels-last tensor both give non-dense
views whose strides still walk in NHWC order, so PyTorch's
`suggest_memory_format()` reads them as channels-last and the pooling,
resampling, padding and normalisation kernels fed with them return NHWC
results:

* `max_pool2d` (with indices), `avg_pool2d`, `adaptive_avg_pool2d`,
  `adaptive_max_pool2d` and `lp_pool2d` of cropped or chunked maps, and
  their input gradients;
* nearest and bilinear `interpolate`, `reflect` padding and `GroupNorm`
  of such views;
* `LocalResponseNorm` (a 5-d `avg_pool3d` over the padded squares);
* float32 batches of two and one, two SGD steps with momentum each;
* a bfloat16 decoder step: the antialiased bilinear resize has no
  bfloat16 kernel (refused, caught), nor has `LocalResponseNorm`'s
  `avg_pool3d` (refused, caught).
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

CL = torch.channels_last


def crop_to(t, like):
    dh = (t.shape[-2] - like.shape[-2]) // 2
    dw = (t.shape[-1] - like.shape[-1]) // 2
    return t[:, :, dh:dh + like.shape[-2], dw:dw + like.shape[-1]]


class SplitBlock(nn.Module):
    """Half the channels pass through, half are convolved (ShuffleNetV2 unit)."""

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c // 2, c // 2, 3, padding=1, groups=c // 2)
        self.norm = nn.GroupNorm(1, c // 2)

    def forward(self, x):
        keep, work = x.chunk(2, dim=1)
        keep = keep + F.interpolate(F.avg_pool2d(keep, 3), size=keep.shape[-2:], mode="nearest")
        pooled = F.adaptive_avg_pool2d(work, 3) + F.adaptive_max_pool2d(work, 3)
        work = F.relu(self.norm(self.conv(work)))
        work = work + F.interpolate(pooled, size=work.shape[-2:], mode="bilinear")
        return torch.cat([keep, work], 1)


class UNet(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.e1 = nn.Conv2d(3, 8, 3)
        self.e2 = nn.Conv2d(8, 8, 3)
        self.lrn = nn.LocalResponseNorm(3, alpha=1e-2, beta=0.75, k=1.0)
        self.block = SplitBlock(8)
        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.d1 = nn.Conv2d(16, 8, 3, padding=1)
        self.gn = nn.GroupNorm(2, 8)
        self.head = nn.Conv2d(8, classes, 1)

    def forward(self, x):
        s1 = F.relu(self.e1(x))  # N, 8, 10, 10
        s1 = self.lrn(s1)
        b, idx = F.max_pool2d(s1, 2, return_indices=True)  # N, 8, 5, 5
        b = F.relu(self.e2(b))  # N, 8, 3, 3
        b = self.block(b)
        u = self.up(b)  # N, 8, 6, 6
        skip = crop_to(s1, u)  # non-dense NHWC view
        smooth = F.avg_pool2d(F.pad(skip, (1, 1, 1, 1), mode="reflect"), 3, stride=1)
        skip = self.gn(skip) + smooth
        h = F.relu(self.d1(torch.cat([u, skip], 1)))
        peak = F.max_pool2d(crop_to(s1, u)[:, :, 1:-1, 1:-1], 2)  # N, 8, 2, 2
        ctx = peak + F.lp_pool2d(skip[:, :, 1:-1, 1:-1], 2, 2)
        h = h + F.interpolate(ctx, scale_factor=3.0, mode="nearest")
        return self.head(h), b, idx


def run(batch, steps):
    torch.manual_seed(1)
    net = UNet().to(memory_format=CL)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x = torch.randn(batch, 3, 12, 12).contiguous(memory_format=CL)
    y = torch.randint(0, 3, (batch, 6, 6))
    for step in range(steps):
        logits, b, idx = net(x)
        loss = F.cross_entropy(logits, y, weight=torch.tensor([0.5, 1.0, 2.0]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(batch, step, round(loss.item(), 4), logits.is_contiguous(memory_format=CL), idx.stride())
    return net


net = run(2, 2)
run(1, 2)

# bfloat16: the split block runs, the antialiased resize and LRN are refused.
with torch.no_grad():
    half = net.to(torch.bfloat16)
    feat = half.block(torch.randn(1, 8, 3, 3, dtype=torch.bfloat16).contiguous(memory_format=CL))
    print(feat.stride(), feat.float().sum().item())
    try:
        F.interpolate(feat, scale_factor=0.6, mode="bilinear", antialias=True)
    except NotImplementedError as err:
        print("refused:", err)
    try:
        half.lrn(feat)
    except NotImplementedError as err:
        print("refused:", err)
