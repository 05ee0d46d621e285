"""backward() with two roots: the hidden GraphRoot takes a sequence number
and runs first."""
import torch

x = torch.randn(3, requires_grad=True)
torch.autograd.backward([(x * 2).sum(), (x * 3).sum()])
y = x * 4
