"""The same graph run twice: retain_graph=True, then the second gradient accumulates."""
import torch

w = torch.randn(3, 2, requires_grad=True)
x = torch.randn(4, 3)
loss = (x @ w).relu().sum()
loss.backward(retain_graph=True)
loss.backward()
