"""`Tensor.data` reads and assignments on one parameter, for test_tensor_data."""

import torch

torch.manual_seed(0)
w = torch.nn.Parameter(torch.zeros(3))
with torch.no_grad():
    w.add_(1)
    w.add_(1)
w.data.add_(0.5)
w.data.clamp_(-1.0, 2.0)
y = (w * 2).sum()
y.backward()
w.data = torch.ones(3, dtype=torch.float64)
z = (w * 3).sum()
