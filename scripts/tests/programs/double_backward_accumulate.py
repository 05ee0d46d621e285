"""backward(create_graph=True) twice into the same leaf: the first copies the
gradient (new_empty_strided + copy_, CopyBackwards), the second adds out of
place (grad + new, AddBackward0); then a backward through the sum."""

import torch

torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
(x.sigmoid() * x).sum().backward(create_graph=True)
(x.exp()).sum().backward(create_graph=True)
x.grad.sum().backward()
