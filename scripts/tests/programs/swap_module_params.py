"""Module conversion by swapping tensors, after a training step recorded the parameters."""
import torch
import torch.nn as nn

torch.manual_seed(0)
net = nn.Linear(3, 2)
net(torch.randn(4, 3)).sum().backward()
torch.__future__.set_swap_module_params_on_conversion(True)
try:
    net.double()
finally:
    torch.__future__.set_swap_module_params_on_conversion(False)
print(net.weight.dtype)
