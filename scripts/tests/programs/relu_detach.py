"""relu saves its own output (mode-induced detaches); x.detach() is a real call."""
import torch

x = torch.randn(6, requires_grad=True)
y = x.relu()
z = x.detach()
(y * z).sum().backward()
