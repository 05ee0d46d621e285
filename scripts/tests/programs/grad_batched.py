"""torch.autograd.grad(is_grads_batched=True) over a graph a create_graph
backward built (the outer Jacobian of hessian(..., vectorize=True)): its
batched operators read that backward's intermediates: unsupported."""
import torch

x = torch.randn(3, requires_grad=True)
(g,) = torch.autograd.grad((x.sin() ** 2).sum(), x, create_graph=True)
torch.autograd.grad(g, x, torch.eye(3), is_grads_batched=True)
