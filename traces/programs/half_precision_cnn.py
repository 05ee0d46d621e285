"""A small CNN held in bfloat16, then in float16, end to end.

The model is converted with `.to(dtype)` (conv, GroupNorm, SiLU, AvgPool2d,
Linear in the reduced dtype), the logits cast to float32 for the loss, SGD
updates the reduced-precision weights; then a float16 batch norm with
float32 affine parameters (mixed-type statistics) and its backward.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
for dtype in (torch.bfloat16, torch.float16):
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, bias=False),
        nn.GroupNorm(2, 4),
        nn.SiLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 2 * 2, 3),
    ).to(dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(2):
        x = torch.randn(2, 2, 4, 4, dtype=dtype)
        loss = F.cross_entropy(model(x).float(), torch.tensor([0, 2]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

bn = nn.BatchNorm2d(3)
x = torch.randn(2, 3, 2, 2, dtype=torch.float16, requires_grad=True)
y = F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, training=True)
y.float().pow(2).sum().backward()
