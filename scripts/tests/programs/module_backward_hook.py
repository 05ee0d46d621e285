"""The deprecated module backward hook (`register_backward_hook`): refused
by the capture (exit 4); the full hooks are recorded."""

import torch
import torch.nn as nn

layer = nn.Linear(3, 2)
layer.register_backward_hook(lambda module, grad_input, grad_output: None)
layer(torch.randn(4, 3, requires_grad=True)).sum().backward()
