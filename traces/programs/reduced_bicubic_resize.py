"""Bicubic resizing in bfloat16 and float16.

A ViT fine-tuned at a new resolution in bfloat16: its learned absolute
position embedding grid is resampled bicubically (timm's
`resample_abs_pos_embed`, 4x4 -> 3x3), and a bicubic downscale by 3/4 of
the input images feeds a convolutional stem. Then a float16 eval pass
resizes feature maps bicubically both ways. Non-dyadic fractions give
cubic weights that PyTorch stores in the tensor's own dtype before
applying them.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def resample_pos_embed(pos, new_grid):
    n, length, dim = pos.shape
    old = int(length**0.5)
    grid = pos.reshape(n, old, old, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=new_grid, mode="bicubic", align_corners=False)
    return grid.permute(0, 2, 3, 1).reshape(n, -1, dim)


class TinyViT(nn.Module):
    def __init__(self, dim=8, grid=4):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 2, 2)
        self.pos = nn.Parameter(torch.randn(1, grid * grid, dim) * 0.5)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 3)

    def forward(self, img):
        img = F.interpolate(img, scale_factor=0.75, mode="bicubic", align_corners=False)
        x = self.patch(img).flatten(2).transpose(1, 2)
        side = int(x.shape[1] ** 0.5)
        x = x + resample_pos_embed(self.pos, (side, side))
        return self.head(self.norm(x).mean(1))


model = TinyViT().to(torch.bfloat16)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(2):
    img = torch.randn(2, 3, 8, 8, dtype=torch.bfloat16)
    loss = F.cross_entropy(model(img).float(), torch.tensor([0, 2]))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())

with torch.no_grad():
    feat = torch.randn(1, 4, 8, 8, dtype=torch.float16)
    down = F.interpolate(feat, size=(6, 6), mode="bicubic", align_corners=False)
    up = F.interpolate(down, size=(7, 7), mode="bicubic", align_corners=True)
    print(down.sum().item(), up.sum().item())
