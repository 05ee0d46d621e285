"""Reduced-precision spatial augmentation and a spatial transformer in a
segmentation trainer: `grid_sample` on bfloat16 and float16 tensors.

A tiny bfloat16 segmentation net (channels-last convolutions, batch 2)
trains three SGD steps on images warped by random affine augmentations:
`affine_grid` + `grid_sample` of the image (bilinear, reflection padding,
`align_corners=False`) and of its mask as a float (nearest, zeros padding),
the mask rounded back to class ids. A learnable spatial transformer (a
localisation head regressing `theta`, initialised at identity) resamples the
features with bilinear/border/`align_corners=True` sampling and again with
bicubic/zeros sampling, so the backward runs `grid_sampler_2d_backward` for
both the features' and the grid's gradients in bfloat16, bilinear and
bicubic. Evaluation runs a float16 copy at batch 1 with the
mask warped by nearest sampling, reporting per-class pixel counts.

PyTorch's CPU kernel computes these in the tensors' own dtype, rounding
every operation (the unnormalised coordinates, the reflection, the bilinear
fractions and weights, Keys' cubic coefficients, each product and partial
sum), and scatters the
input gradient in chunks of 16 output pixels, corner by corner.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def random_affine(n: int, dtype: torch.dtype) -> torch.Tensor:
    angle = (torch.rand(n) - 0.5) * 0.6
    scale = 1.0 + (torch.rand(n) - 0.5) * 0.3
    shift = (torch.rand(n, 2) - 0.5) * 0.4
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    return theta.to(dtype)


class SegNet(nn.Module):
    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1))
        self.loc = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 6))
        nn.init.zeros_(self.loc[2].weight)
        with torch.no_grad():
            self.loc[2].bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]))
        self.head = nn.Conv2d(8, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = F.relu(self.enc(x))
        theta = self.loc(f).view(-1, 2, 3)
        grid = F.affine_grid(theta, list(f.shape), align_corners=True)
        f = F.grid_sample(f, grid, mode="bilinear", padding_mode="border", align_corners=True)
        # A sharper bicubic resampling of the same features feeds the head too.
        sharp = F.grid_sample(f, grid, mode="bicubic", padding_mode="zeros", align_corners=False)
        return self.head(f + 0.5 * sharp)


def augment(img: torch.Tensor, mask: torch.Tensor):
    theta = random_affine(img.shape[0], img.dtype)
    grid = F.affine_grid(theta, list(img.shape), align_corners=False)
    img = F.grid_sample(img, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    m = F.grid_sample(mask.unsqueeze(1).to(img.dtype), grid, mode="nearest", padding_mode="zeros", align_corners=False)
    return img, m.squeeze(1).round().long()


net = SegNet().to(torch.bfloat16).to(memory_format=torch.channels_last)
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
images = torch.randn(2, 3, 12, 14).to(torch.bfloat16).to(memory_format=torch.channels_last)
masks = torch.randint(0, 3, (2, 12, 14))

for step in range(3):
    img, mask = augment(images, masks)
    logits = net(img)
    loss = F.cross_entropy(logits.float(), mask)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")

half = SegNet().to(torch.float16)
half.load_state_dict({k: v.to(torch.float16) for k, v in net.state_dict().items()})
half.eval()
with torch.no_grad():
    img, mask = augment(images[:1].to(torch.float16), masks[:1])
    pred = half(img).argmax(1)
    print(torch.bincount(pred.flatten(), minlength=3), torch.bincount(mask.flatten(), minlength=3))
