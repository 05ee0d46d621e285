"""Ends with a float64 default dtype (the capture restores the previous one)."""

import torch

torch.set_default_dtype(torch.float64)
x = torch.zeros(1)
