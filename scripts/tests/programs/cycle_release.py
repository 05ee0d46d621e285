"""A tensor only a reference cycle holds: its release comes where the
capture collects, before the next backward() (docs/CAPTURE.md §5.1)."""

import torch

torch.manual_seed(0)


class Holder:
    """Holds a tensor and itself (a reference cycle)."""

    def __init__(self, tensor):
        self.tensor = tensor
        self.me = self


w = torch.randn(4, requires_grad=True)
held = Holder(torch.randn(4) * 2)
del held
# Enough ops (and allocations) that an automatic collection would run here.
y = w
for _ in range(300):
    y = y * 1.0001
y.sum().backward()
print(w.grad.tolist())
