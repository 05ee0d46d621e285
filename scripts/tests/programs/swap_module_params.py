"""A module converted with its parameters swapped rather than assigned
(`torch.__future__.set_swap_module_params_on_conversion(True)`): the swap
needs tensors nothing holds a weak reference to."""

import torch
import torch.nn as nn

torch.manual_seed(0)
torch.__future__.set_swap_module_params_on_conversion(True)
m = nn.Linear(3, 2)
m(torch.randn(4, 3)).sum().backward()
m.to(torch.float64)
print(m.weight.dtype)
