"""A device transfer: cpu -> meta."""
import torch

x = torch.randn(2, 3, requires_grad=True)
m = x.to("meta")
