"""float32 batch norm gradients when the channels are innermost in memory.

PyTorch's CPU backward for a `(N, C)` input (a `BatchNorm1d` in an MLP),
an `(N, C, 1, 1)` one and a channels-last image splits the rows between
threads, adds `dy` and the fused `(x - mean)·dy` into float32 sums per
channel, adds the threads' sums in float64, and takes the input gradient
with the product fused into the subtraction over whole vectors of 8
channels (rounded first in the channels after them). An MLP with two
`BatchNorm1d` layers (30 and 7 features: vector and tail channels) and a
channels-last CNN with `BatchNorm2d` layers (20 and 8 channels) train
three SGD steps together, then a `(N, C, 1, 1)` batch norm of 16 samples.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
mlp = nn.Sequential(
    nn.Linear(13, 30), nn.BatchNorm1d(30), nn.ReLU(),
    nn.Linear(30, 7), nn.BatchNorm1d(7), nn.ReLU(),
    nn.Linear(7, 3),
)
conv = nn.Sequential(
    nn.Conv2d(3, 20, 3, padding=1), nn.BatchNorm2d(20), nn.ReLU(),
    nn.Conv2d(20, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3),
).to(memory_format=torch.channels_last)
opt = torch.optim.SGD(list(mlp.parameters()) + list(conv.parameters()), lr=0.1, momentum=0.9)
for step in range(3):
    x = torch.randn(16, 13)
    y = torch.randint(0, 3, (16,))
    img = torch.randn(4, 3, 6, 6).to(memory_format=torch.channels_last)
    loss = F.cross_entropy(mlp(x), y) + F.cross_entropy(conv(img), torch.randint(0, 3, (4,)))
    opt.zero_grad()
    loss.backward()
    opt.step()

pooled = nn.BatchNorm2d(11)
feats = torch.randn(16, 11, 1, 1, requires_grad=True)
pooled(feats).pow(2).sum().backward()
print(loss.item(), feats.grad.sum().item())
