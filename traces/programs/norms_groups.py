"""Group, instance and layer normalisation over conv features, grouped and
dilated convolutions, a channels-last model and the modern activations.

GroupNorm (affine, affine=False, num_groups=1, and over Conv1d features),
InstanceNorm2d (affine with running statistics, then eval; and plain),
a ConvNeXt-style LayerNorm over the channel dim (permute to NHWC and back),
depthwise (groups=C) and dilated convolutions, a 1x1 grouped convolution;
SiLU, Hardswish, Mish, GELU, ReLU6, LeakyReLU, ELU; the stem moved to
channels_last with `.to(memory_format=...)` and fed a channels-last batch.
Convolutions feeding a normalisation have no bias (their gradient would be
zero); one AdamW step with weight decay. Then a float64 functional group norm with a
weight and no bias.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

stem = nn.Conv2d(3, 4, 3, padding=1, bias=False).to(memory_format=torch.channels_last)
body = nn.Sequential(
    nn.GroupNorm(2, 4),
    nn.SiLU(),
    nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=4, bias=False),
    nn.GroupNorm(1, 4, affine=False),
    nn.Hardswish(),
    nn.Conv2d(4, 4, 1, groups=2, bias=False),
    nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
    nn.Mish(),
    nn.Conv2d(4, 4, 3, padding=1, bias=False),
    nn.InstanceNorm2d(4),
    nn.GELU(),
)
channel_norm = nn.LayerNorm(4, eps=1e-6)
seq = nn.Sequential(nn.Conv1d(3, 4, 3, padding=1, bias=False), nn.GroupNorm(2, 4), nn.ReLU6())
head = nn.Linear(4, 2)
modules = (stem, body, channel_norm, seq, head)
params = [p for m in modules for p in m.parameters()]
optimizer = torch.optim.AdamW(params, lr=1e-2, weight_decay=0.05)
for step in range(1):
    images = torch.randn(2, 3, 5, 5).contiguous(memory_format=torch.channels_last)
    h = body(stem(images))
    h = channel_norm(h.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    h = F.elu(F.leaky_relu(h, 0.1))
    signal = seq(torch.randn(2, 3, 7))
    logits = head(h.mean((2, 3)) + signal.mean(2))
    loss = F.cross_entropy(logits, torch.tensor([0, 1]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

body.eval()
with torch.no_grad():
    features = body(stem(torch.randn(1, 3, 5, 5)))

x = torch.randn(1, 4, 2, 3, dtype=torch.float64, requires_grad=True)
w = torch.randn(4, dtype=torch.float64, requires_grad=True)
F.group_norm(x, 2, w, None, eps=1e-3).pow(2).sum().backward()
