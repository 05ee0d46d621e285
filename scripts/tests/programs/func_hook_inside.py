"""A tensor hook registered inside torch.func.grad: a TensorWrapper reaches
the capture outside an operator, which is refused."""

import torch
from torch.func import grad


def f(x):
    y = x * 2
    y.register_hook(lambda g: g * 3)
    return y.sum()


grad(f)(torch.randn(3))
