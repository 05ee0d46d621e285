"""Leaves through os._exit in the middle of a computation."""
import os

import torch

x = torch.randn(3, requires_grad=True)
for _ in range(50):
    x = x * 1.5
os._exit(7)
