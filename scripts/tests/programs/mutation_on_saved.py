"""An in-place write to a tensor saved for backward inside
torch.autograd.graph.allow_mutation_on_saved_tensors()."""
import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
with torch.autograd.graph.allow_mutation_on_saved_tensors():
    a = w * 1.0
    b = a.sin()
    a.mul_(2)
    b.sum().backward()
print(w.grad)
