"""backward(inputs=...) runs only what leads to the named leaf: x's
AccumulateGrad is never pushed and MulBackward0 computes w's gradient only."""
import torch

x = torch.randn(3, requires_grad=True)
w = torch.randn(3, requires_grad=True)
(x * w).sum().backward(inputs=[w])
