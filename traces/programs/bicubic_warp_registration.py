"""Image registration with bicubic grid sampling (`F.grid_sample(...,
mode="bicubic")`), as deformable-registration and super-resolution
warping code uses it.

A small network predicts a dense displacement field from a (moving, fixed)
pair; the moving image is warped by `grid_sample` with `mode="bicubic"`
(`grid_sampler_2d` interpolation mode 2: Keys' cubic with A = -0.75 over the
4x4 pixels around each position, every tap's coordinate padded on its own)
and trained three Adam steps on an MSE + smoothness loss, so
GridSampler2DBackward0 runs `grid_sampler_2d_backward` in bicubic mode (the
input's and the grid's gradients). Then, an affine alignment step (the
matrix's gradient through `F.affine_grid`), and the three paddings
(zeros, border, reflection) with and without `align_corners`, float64
included, under `no_grad`.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


class FlowNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(2, 8, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(8, 8, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(8, 2, 3, padding=1),
        )
        nn.init.normal_(self.body[-1].weight, 0.0, 1e-2)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, moving, fixed):
        return self.body(torch.cat([moving, fixed], 1))


def identity_grid(n, h, w, dtype=torch.float32):
    ys = torch.linspace(-1, 1, h, dtype=dtype)
    xs = torch.linspace(-1, 1, w, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], -1).unsqueeze(0).expand(n, h, w, 2)


def warp(img, flow, padding_mode="border"):
    grid = identity_grid(img.shape[0], img.shape[2], img.shape[3]) + flow.permute(0, 2, 3, 1)
    return F.grid_sample(img, grid, mode="bicubic", padding_mode=padding_mode, align_corners=True)


net = FlowNet()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
fixed = torch.rand(2, 1, 10, 12)
moving = torch.roll(fixed, shifts=(1, -1), dims=(2, 3)) + 0.05 * torch.randn(2, 1, 10, 12)
for step in range(3):
    flow = net(moving, fixed)
    warped = warp(moving, flow)
    smooth = (flow[:, :, 1:, :] - flow[:, :, :-1, :]).pow(2).mean() + (flow[:, :, :, 1:] - flow[:, :, :, :-1]).pow(2).mean()
    loss = F.mse_loss(warped, fixed) + 0.1 * smooth
    opt.zero_grad()
    loss.backward()
    opt.step()

# Affine alignment: gradient descent on the matrix itself.
theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], requires_grad=True)
target = F.grid_sample(
    fixed[:1],
    F.affine_grid(torch.tensor([[[0.95, 0.1, 0.05], [-0.1, 0.95, -0.05]]]), [1, 1, 10, 12], align_corners=False),
    mode="bicubic",
    padding_mode="reflection",
    align_corners=False,
)
grid = F.affine_grid(theta, [1, 1, 10, 12], align_corners=False)
out = F.grid_sample(fixed[:1], grid, mode="bicubic", padding_mode="reflection", align_corners=False)
err = (out - target).pow(2).sum()
(g,) = torch.autograd.grad(err, theta)
with torch.no_grad():
    theta -= 0.01 * g

with torch.no_grad():
    x = torch.rand(1, 2, 7, 9)
    g = torch.rand(1, 5, 6, 2) * 2.4 - 1.2
    samples = [
        F.grid_sample(x, g, mode="bicubic", padding_mode=pad, align_corners=ac)
        for pad in ("zeros", "border", "reflection")
        for ac in (False, True)
    ]
    x64 = F.grid_sample(x.double(), g.double(), mode="bicubic", padding_mode="zeros", align_corners=False)
