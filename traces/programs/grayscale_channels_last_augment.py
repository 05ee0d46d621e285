"""On-the-fly augmentation of uint8 images in channels-last: flips, rolls, quarter turns, mixup and cutmix.

A data pipeline that keeps images channels-last (NHWC) from decoding to the
model, as channels-last training does on CPU:

* grayscale uint8 scans `(N, 1, H, W)` moved to `channels_last`: with one
  channel the tensor is also contiguous and `suggest_memory_format()` reads
  it as channels-last, so `flip` (allocated `empty_like(self)`) and `rot90`
  keep the `(H·W, 1, W, 1)` strides, and `roll` — one `cat` of two
  narrowed views per rolled dimension — returns channels-last results;
  rolling the channel dimension of a one-channel image (a multiple of its
  size: one narrowed piece is empty) comes back contiguous;
* RGB uint8 images in channels-last: normalised in place
  (`.float().div_(255)`, `sub_(mean).div_(std)`), random horizontal
  flips chosen per sample with `torch.where`, a jitter `roll` over
  `dims=(2, 3)` (channels-last kept), `rot90`;
* mixup (`Beta` sample, `randperm`, `lerp`) and cutmix (a box pasted by
  slicing assignment), label-mixed cross entropy;
* a small channels-last CNN for each stream, trained two SGD steps with a
  batch of four and then of one; the backward of `roll`, `flip` and
  `rot90` (RollBackward0, FlipBackward0, Rot90Backward0) flows into the
  images, which require grad for an input-gradient saliency map.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

CL = torch.channels_last
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def net(channels: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(channels, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4),
    ).to(memory_format=CL)


def gray_views(x):
    """Flips, rolls and quarter turns of a one-channel NHWC batch."""
    a = x.flip(-1)
    b = torch.roll(x, shifts=(2, -1), dims=(2, 3))
    c = torch.rot90(x, 1, (2, 3))
    d = torch.roll(x, 1, 1)  # one channel: a roll by its whole size
    return (a + b + c + d) / 4


def rgb_views(x, flips):
    x = torch.where(flips[:, None, None, None], x.flip(3), x)
    x = torch.roll(x, shifts=(1, 2), dims=(2, 3))
    return torch.rot90(x, 2, (2, 3))


def mix(x, y, gen, cut):
    lam = torch.distributions.Beta(torch.tensor(0.4), torch.tensor(0.4)).sample().item()
    perm = torch.randperm(x.shape[0], generator=gen)
    if not cut:
        return torch.lerp(x[perm], x, lam), y, y[perm], lam
    h, w = x.shape[-2:]
    ch, cw = int(h * (1 - lam) ** 0.5), int(w * (1 - lam) ** 0.5)
    top, left = (h - ch) // 2, (w - cw) // 2
    x = x.clone()
    x[:, :, top:top + ch, left:left + cw] = x[perm, :, top:top + ch, left:left + cw]
    return x, y, y[perm], 1 - ch * cw / (h * w)


def train(batch):
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(2)
    gray_net, rgb_net = net(1), net(3)
    opt = torch.optim.SGD(list(gray_net.parameters()) + list(rgb_net.parameters()), lr=0.05, momentum=0.9)
    gray_u8 = torch.randint(0, 256, (batch, 1, 8, 8), dtype=torch.uint8).to(memory_format=CL)
    rgb_u8 = torch.randint(0, 256, (batch, 3, 8, 8), dtype=torch.uint8).to(memory_format=CL)
    y = torch.randint(0, 4, (batch,))
    for step in range(2):
        gray = gray_u8.float().div_(255).requires_grad_()
        rgb = rgb_u8.float().div_(255).sub_(MEAN).div_(STD).requires_grad_()
        flips = torch.rand(batch, generator=gen) < 0.5
        gx = gray_views(gray)
        rx, ya, yb, lam = mix(rgb_views(rgb, flips), y, gen, cut=step == 1)
        out_g, out_r = gray_net(gx), rgb_net(rx)
        loss = F.cross_entropy(out_g, y) + lam * F.cross_entropy(out_r, ya) + (1 - lam) * F.cross_entropy(out_r, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        saliency = rgb.grad.abs().amax(1)
        print(batch, step, round(loss.item(), 4), gx.stride(), rx.stride(), gray.grad.stride(), saliency.shape)


train(4)
train(1)
