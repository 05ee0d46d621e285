"""A training loop that keeps each step's tensor in a reference cycle and
drops the previous step's: the capture collects before each backward() and
freezes what survives the first collection (docs/CAPTURE.md §5.1)."""

import torch

torch.manual_seed(0)


class Holder:
    """Holds a tensor and itself (a reference cycle)."""

    def __init__(self, tensor):
        self.tensor = tensor
        self.me = self


w = torch.randn(4, requires_grad=True)
holder = None
for step in range(4):
    holder = Holder(torch.full((4,), float(step)))  # the previous one is now cyclic garbage
    (w * holder.tensor).sum().backward()
print(w.grad.tolist())
