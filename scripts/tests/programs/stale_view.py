"""A view taken before its base is modified through another view, used
after: PyTorch regenerates its history (AsStridedBackward0) when the next
op's autograd kernel reads it."""
import torch

torch.manual_seed(0)
a = torch.randn(3, 4, requires_grad=True)
x = a.clone()
v1 = x[0]
v2 = x[1]
v1.mul_(2)
y = v2 * 3
(y.sum() + x.sum()).backward()
