"""Leaves through os._exit from a gradient hook, in the middle of backward()."""
import os

import torch

x = torch.randn(3, requires_grad=True)
y = x * 2
y.register_hook(lambda g: os._exit(0))
y.sum().backward()
