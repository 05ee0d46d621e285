"""Volumetric (3-D) image registration, as VoxelMorph-style medical imaging
code writes it: `F.grid_sample` of 5-D volumes.

A small 3-D convolutional network predicts a dense displacement field from a
(moving, fixed) pair of volumes; the moving volume is warped by
`grid_sample` (`grid_sampler_3d`: trilinear over the eight corners of each
position, accumulated tnw..bse in float32) with border padding and
`align_corners=True`, and trained three Adam steps on an MSE + flow
smoothness loss, so GridSampler3DBackward0 runs `grid_sampler_3d_backward`
(the input's gradient scattered to the corners and the grid's from the
corner weights' derivatives). Then an affine alignment step on a (2, 3, 4)
matrix (`F.affine_grid` of a 5-D size: `affine_grid_generator` and its
composite backward over `(x, y, z, 1)` columns), segmentation labels warped
with `mode="nearest"`, and the three paddings with and without
`align_corners` (float64 included) under `no_grad`; a two-channel input and
a grid that only the input's gradient needs close the run.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


class FlowNet3d(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv3d(2, 6, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv3d(6, 3, 3, padding=1),
        )
        nn.init.normal_(self.body[-1].weight, 0.0, 1e-2)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, moving, fixed):
        return self.body(torch.cat([moving, fixed], 1))


def identity_grid(n, d, h, w, dtype=torch.float32):
    zs = torch.linspace(-1, 1, d, dtype=dtype)
    ys = torch.linspace(-1, 1, h, dtype=dtype)
    xs = torch.linspace(-1, 1, w, dtype=dtype)
    gz, gy, gx = torch.meshgrid(zs, ys, xs, indexing="ij")
    return torch.stack([gx, gy, gz], -1).unsqueeze(0).expand(n, d, h, w, 3)


def warp(vol, flow, mode="bilinear", padding_mode="border"):
    n, _, d, h, w = vol.shape
    grid = identity_grid(n, d, h, w, vol.dtype) + flow.permute(0, 2, 3, 4, 1)
    return F.grid_sample(vol, grid, mode=mode, padding_mode=padding_mode, align_corners=True)


def smoothness(flow):
    dz = (flow[:, :, 1:] - flow[:, :, :-1]).pow(2).mean()
    dy = (flow[:, :, :, 1:] - flow[:, :, :, :-1]).pow(2).mean()
    dx = (flow[..., 1:] - flow[..., :-1]).pow(2).mean()
    return dx + dy + dz


net = FlowNet3d()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
fixed = torch.rand(2, 1, 5, 6, 7)
moving = torch.roll(fixed, shifts=(1, -1, 1), dims=(2, 3, 4)) + 0.05 * torch.randn(2, 1, 5, 6, 7)
for step in range(3):
    flow = net(moving, fixed)
    warped = warp(moving, flow)
    loss = F.mse_loss(warped, fixed) + 0.1 * smoothness(flow)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.6f}")

# Affine alignment: the matrix's gradient through a 5-D affine grid, zero
# padding without align_corners.
theta = (torch.eye(3, 4) + 0.05 * torch.randn(3, 4)).unsqueeze(0).repeat(2, 1, 1).requires_grad_()
grid = F.affine_grid(theta, list(fixed.shape), align_corners=False)
aligned = F.grid_sample(moving, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
affine_loss = F.mse_loss(aligned, fixed)
affine_loss.backward()
print("affine loss", affine_loss.item(), "theta grad", theta.grad.abs().sum().item())

with torch.no_grad():
    flow = net(moving, fixed)
    labels = (fixed > 0.5).float()
    warped_labels = warp(labels, flow, mode="nearest")
    print("label overlap", (warped_labels * labels).sum().item())
    far = identity_grid(2, 4, 4, 4) * 1.3 + 0.1
    for padding in ("zeros", "border", "reflection"):
        for align in (False, True):
            out = F.grid_sample(moving, far, padding_mode=padding, align_corners=align)
            out64 = F.grid_sample(moving.double(), far.double(), padding_mode=padding, align_corners=align)
            print(padding, align, out.sum().item(), out64.sum().item())

# Two channels, and a fixed grid whose gradient nobody needs.
vol = torch.randn(1, 2, 4, 5, 3, requires_grad=True)
fixed_grid = identity_grid(1, 3, 3, 3) * 0.9 - 0.05
sampled = F.grid_sample(vol, fixed_grid, padding_mode="reflection", align_corners=False)
(sampled * torch.arange(sampled.numel()).view_as(sampled)).sum().backward()
print("input grad", vol.grad.sum().item())
