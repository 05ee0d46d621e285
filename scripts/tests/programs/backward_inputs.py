"""backward(inputs=...) prunes the graph: unsupported."""
import torch

x = torch.randn(3, requires_grad=True)
w = torch.randn(3, requires_grad=True)
(x * w).sum().backward(inputs=[w])
