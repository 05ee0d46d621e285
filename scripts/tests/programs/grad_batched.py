"""torch.autograd.grad(is_grads_batched=True) runs the engine under vmap:
unsupported."""
import torch

x = torch.randn(3, requires_grad=True)
y = x * 2
torch.autograd.grad(y, x, torch.eye(3), is_grads_batched=True)
