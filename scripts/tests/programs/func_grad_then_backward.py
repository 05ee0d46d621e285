"""torch.func.grad and grad_and_value, then an ordinary backward: the
transform's own autograd is no api event and its operators are top-level;
the ordinary graph built afterwards numbers its nodes from 0."""

import torch
from torch.func import grad, grad_and_value

torch.manual_seed(0)
w = torch.randn(3, 4)
x = torch.randn(5, 4)


def loss(w, x):
    return torch.tanh(x @ w.t()).pow(2).sum()


g = grad(loss)(w, x)
g2, value = grad_and_value(loss)(w, x)
leaf = w.clone().requires_grad_()
loss(leaf, x).backward()
print((leaf.grad - g).abs().max().item(), (g2 - g).abs().max().item(), value.item())
