"""A spatial transformer network, as in PyTorch's STN tutorial.

A localisation network predicts a 2x3 affine matrix per image (its last
layer initialised to the identity transform); `F.affine_grid` turns it into a
sampling grid (`affine_grid_generator`; its backward is PyTorch's composite
of `empty`, `linspace` columns, `bmm`) and `F.grid_sample` warps the input
(bilinear, zero padding), before a small classifier. Trained with SGD with
momentum. Then, under `no_grad`, the other sampling modes: nearest with
border padding, bilinear with reflection padding and `align_corners=True`.
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


class STN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.localization = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.ReLU())
        self.fc_loc = nn.Sequential(nn.Linear(4 * 3 * 3, 8), nn.ReLU(), nn.Linear(8, 6))
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]))
        self.classifier = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 8 * 8, 3))

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        theta = self.fc_loc(self.localization(x).flatten(1)).view(-1, 2, 3)
        grid = F.affine_grid(theta, list(x.size()), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.transform(x))


model = STN()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(2, 1, 8, 8)
y = torch.tensor([0, 2])
for _ in range(3):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

with torch.no_grad():
    theta = torch.tensor([[[0.9, 0.2, 0.1], [-0.1, 1.1, -0.2]]]).repeat(2, 1, 1)
    grid = F.affine_grid(theta, [2, 1, 8, 8], align_corners=True)
    nearest = F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=True)
    reflected = F.grid_sample(x, grid * 1.3, padding_mode="reflection", align_corners=True)
