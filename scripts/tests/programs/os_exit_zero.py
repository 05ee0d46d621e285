"""Leaves through os._exit(0) after some work: the program ended there."""
import os

import torch

x = torch.randn(3, requires_grad=True)
y = (x * 2).sum()
y.backward()
os._exit(0)
