"""BatchNorm1d and BatchNorm2d in float32 and float64: two training steps
(batch statistics; running mean/var updated in place by the kernel;
num_batches_tracked incremented), then evaluation with autograd (running
statistics, NativeBatchNormBackward0 in eval mode) and under no_grad, and a
per-pixel cross entropy (nll_loss2d) on a batch-normalised map.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

for dtype in (torch.float32, torch.float64):
    bn2 = nn.BatchNorm2d(3, dtype=dtype)
    bn1 = nn.BatchNorm1d(4, dtype=dtype)
    images = torch.randn(2, 3, 2, 2, dtype=dtype, requires_grad=True)
    rows = torch.randn(5, 4, dtype=dtype, requires_grad=True)
    for step in range(2):
        out = (bn2(images) * images).sum() + (bn1(rows) * rows).sum()
        out.backward()
    target = torch.randint(0, 3, (2, 2, 2))
    F.cross_entropy(bn2(images), target).backward()
    bn2.eval()
    bn1.eval()
    (bn2(images) * 3).sum().backward()
    with torch.no_grad():
        evaluated = bn1(rows)
