"""Reduced-precision volumetric spatial transformers: `grid_sample` on 5-d
bfloat16 and float16 tensors (3-d augmentation and deformable registration).

A tiny bfloat16 volumetric net (batch 2, 2 channels, 6 x 7 x 8 voxels)
trains three SGD steps on volumes warped by random 3-d affine
augmentations: `affine_grid` with a 5-d size and `grid_sample` of the image
(trilinear, reflection padding, `align_corners=False`) and of its label map
as a float (nearest, zeros padding), rounded back to class ids. Inside the
net a localisation head regresses a `(N, 3, 4)` theta (initialised at
identity) that resamples the features with trilinear/border/
`align_corners=True` sampling, and a dense displacement field (a
VoxelMorph-style flow added to the identity grid, permuted to channels-last
so the grid is not contiguous) warps them again with zeros padding, so the
backward runs `grid_sampler_3d_backward` for both the features' and the
grid's gradients in bfloat16. Evaluation runs a float16 copy at batch 1,
warping with nearest/reflection/`align_corners=True` and trilinear/
zeros sampling.

PyTorch's CPU kernel for 5-d inputs is a scalar loop on the element type,
so in bfloat16 and float16 every operation rounds to the dtype: the axis
sizes converted to the dtype, the unnormalised coordinates, the
reflection, the eight corner weights, each product and partial sum of the
interpolation and of both gradients.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def random_affine_3d(n: int, dtype: torch.dtype) -> torch.Tensor:
    angle = (torch.rand(n) - 0.5) * 0.5
    scale = 1.0 + (torch.rand(n, 3) - 0.5) * 0.3
    shift = (torch.rand(n, 3) - 0.5) * 0.4
    cos, sin = torch.cos(angle), torch.sin(angle)
    zero, one = torch.zeros(n), torch.ones(n)
    # A rotation about the depth axis, anisotropic scaling and a shift.
    rot = torch.stack(
        [torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1), torch.stack([zero, zero, one], 1)], 1
    )
    theta = torch.cat([rot * scale.unsqueeze(1), shift.unsqueeze(2)], 2)
    return theta.to(dtype)


class WarpNet(nn.Module):
    def __init__(self, channels: int = 2, classes: int = 3) -> None:
        super().__init__()
        self.enc = nn.Linear(channels, 6)
        self.loc = nn.Linear(6, 12)
        nn.init.zeros_(self.loc.weight)
        with torch.no_grad():
            self.loc.bias.copy_(torch.tensor([1.0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0, 1.0, 0]))
        self.flow = nn.Linear(6, 3)
        nn.init.normal_(self.flow.weight, std=0.05)
        nn.init.zeros_(self.flow.bias)
        self.head = nn.Linear(6, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Per-voxel features: (N, C, D, H, W) -> (N, 6, D, H, W).
        f = torch.tanh(self.enc(x.movedim(1, -1))).movedim(-1, 1)
        theta = self.loc(f.mean((2, 3, 4))).view(-1, 3, 4)
        grid = F.affine_grid(theta, list(f.shape), align_corners=True)
        f = F.grid_sample(f, grid, mode="bilinear", padding_mode="border", align_corners=True)
        # Dense displacement on top of the identity grid; the flow is computed
        # channels-last and permuted, so the grid is a non-contiguous view.
        flow = self.flow(f.movedim(1, -1))
        identity = F.affine_grid(torch.eye(3, 4, dtype=x.dtype).expand(x.shape[0], 3, 4), list(f.shape), align_corners=False)
        f = F.grid_sample(f, identity + 0.3 * flow, mode="bilinear", padding_mode="zeros", align_corners=False)
        return self.head(f.movedim(1, -1)).movedim(-1, 1)


def augment(vol: torch.Tensor, labels: torch.Tensor):
    theta = random_affine_3d(vol.shape[0], vol.dtype)
    grid = F.affine_grid(theta, list(vol.shape), align_corners=False)
    vol = F.grid_sample(vol, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    lab = F.grid_sample(labels.unsqueeze(1).to(vol.dtype), grid, mode="nearest", padding_mode="zeros", align_corners=False)
    return vol, lab.squeeze(1).round().long()


net = WarpNet().to(torch.bfloat16)
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
volumes = torch.randn(2, 2, 6, 7, 8).to(torch.bfloat16)
labels = torch.randint(0, 3, (2, 6, 7, 8))

for step in range(3):
    vol, lab = augment(volumes, labels)
    logits = net(vol)
    loss = F.cross_entropy(logits.float(), lab)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")

half = WarpNet().to(torch.float16)
half.load_state_dict({k: v.to(torch.float16) for k, v in net.state_dict().items()})
half.eval()
with torch.no_grad():
    vol = volumes[:1].to(torch.float16)
    theta = random_affine_3d(1, torch.float16)
    grid = F.affine_grid(theta, list(vol.shape), align_corners=True)
    warped = F.grid_sample(vol, grid, mode="nearest", padding_mode="reflection", align_corners=True)
    warped = F.grid_sample(warped, grid * 1.2, mode="bilinear", padding_mode="zeros", align_corners=False)
    pred = half(warped).argmax(1)
    print(torch.bincount(pred.flatten(), minlength=3))
