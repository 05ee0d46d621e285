"""Keypoint tracking with a robust heading estimate from median displacements.

A tiny heatmap network predicts K keypoints per frame by soft-argmax
(`softmax` over the flattened map, `linspace` pixel grids, sums of
products) and is trained three Adam steps on an MSE to labelled points.
Between consecutive frames the predicted displacements are quantised to a
quarter pixel (`round`, which gives -0.0 for small negative moves), and the
dominant motion is the all-element `median()` of each axis (`nanmedian()`
too, after masking invisible points with NaN); the heading is
`atan2(median_dy, median_dx)`, whose value for a zero median depends on the
sign of that zero: +pi or -pi when the x motion is to the left. The heading
rotates the next step's targets, so it feeds the training loss.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

K, H, W = 9, 12, 12


class HeatmapNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, K, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def soft_argmax(heat: torch.Tensor, beta: float = 4.0) -> torch.Tensor:
    n, k, h, w = heat.shape
    prob = F.softmax(heat.reshape(n, k, -1) * beta, dim=-1).reshape(n, k, h, w)
    xs = torch.linspace(0, w - 1, w)
    ys = torch.linspace(0, h - 1, h)
    ex = (prob.sum(2) * xs).sum(-1)
    ey = (prob.sum(3) * ys).sum(-1)
    return torch.stack([ex, ey], dim=-1)


def heading_of(prev: torch.Tensor, cur: torch.Tensor, visible: torch.Tensor):
    disp = torch.round((cur - prev) * 4) / 4
    dx, dy = disp[..., 0].flatten(), disp[..., 1].flatten()
    mdx, mdy = dx.median(), dy.median()
    masked_dy = torch.where(visible.flatten(), dy, torch.full_like(dy, float("nan")))
    ndy = masked_dy.nanmedian()
    return torch.atan2(mdy, mdx), torch.atan2(ndy, mdx), disp


net = HeatmapNet()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
frames = torch.randn(4, 1, H, W)
base = torch.rand(K, 2) * (W - 1)
# Each frame moves left by about a pixel; the vertical motion is tiny, so
# its quantised median is a zero of either sign.
motion = torch.tensor([-1.0, 0.0]) + torch.randn(4, K, 2) * torch.tensor([0.05, 0.02])
labels = base + motion.cumsum(0)
visible = torch.rand(3, K) > 0.2

for step in range(3):
    with torch.no_grad():
        tracked = labels + torch.randn(4, K, 2) * 0.01
        heading, nan_heading, disp = heading_of(tracked[:-1], tracked[1:], visible)
    c, s = torch.cos(heading), torch.sin(heading)
    rot = torch.stack([torch.stack([c, -s]), torch.stack([s, c])])
    centre = torch.tensor([(W - 1) / 2, (H - 1) / 2])
    target = (labels - centre) @ rot.T * 0.1 + labels * 0.9
    pred = soft_argmax(net(frames))
    loss = F.mse_loss(pred, target) + 0.01 * torch.cos(nan_heading)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.5f}", f"{heading.item() / math.pi:+.3f}pi", f"{nan_heading.item() / math.pi:+.3f}pi")
