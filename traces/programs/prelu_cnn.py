"""Parametric ReLU in a small CNN: nn.PReLU(num_parameters=3) per channel
and nn.PReLU() with one shared slope.

`F.prelu` views the weight to `(1, C, 1, 1)` and dispatches `_prelu_kernel`;
PreluKernelBackward0 calls `_prelu_kernel_backward` once for both
gradients, returned in the input's shape, and the engine's `sum_to`
(`sum.dim_IntList`) reduces the slope's to the weight's view. SGD with
momentum, two steps; then a float64 functional prelu on a 1-d input whose
slope needs no gradient.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 3, 3, padding=1),
    nn.PReLU(3),
    nn.Conv2d(3, 2, 3),
    nn.PReLU(),
    nn.Flatten(),
    nn.Linear(2 * 3 * 3, 2),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for step in range(2):
    x = torch.randn(2, 1, 5, 5)
    loss = F.cross_entropy(model(x), torch.tensor([0, 1]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

v = torch.randn(4, dtype=torch.float64, requires_grad=True)
F.prelu(v, torch.tensor([0.3], dtype=torch.float64)).sum().backward()
