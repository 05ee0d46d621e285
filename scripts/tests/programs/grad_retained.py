"""retain_grad() on a tensor torch.autograd.grad asks for: its grad_fn only
captures (no pre-hook), yet its retain-grad hook runs and sets .grad."""
import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
h = w * 2
h.retain_grad()
y = (h * h).sum()
(g,) = torch.autograd.grad(y, [h], retain_graph=True)
g2 = torch.autograd.grad(y, [h, w])

