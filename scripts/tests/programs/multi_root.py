"""backward() with two roots (a hidden GraphRoot): unsupported."""
import torch

x = torch.randn(3, requires_grad=True)
torch.autograd.backward([(x * 2).sum(), (x * 3).sum()])
