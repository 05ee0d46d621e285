"""A training loop that prints its tensors, as programs do while debugging.

PyTorch formats a tensor as text (`print(t)`, `str(t)`, `repr(t)`, an
f-string) with every dispatch mode disabled: the operators it runs to do so
(a `detach` of a tensor that requires grad, the `abs`/`min`/`max` that pick
the number format, the slices of a summarised large tensor) are invisible to
any mode, so the capture records none of them, and the trace is the one of
the same loop without its prints. Each `print` is a statement of its own:
the test replaces those lines to get that loop. Formatting a 0-dim tensor
into an f-string is not printing it: `Tensor.__format__` reads it as a
Python number through `detach()` and `item()`, operators every mode sees,
so they are recorded (and kept in both loops).
"""

import torch
from torch import nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
x = torch.randn(8, 6)
target = torch.randint(0, 3, (8,))
big = torch.randn(40, 40)
for step in range(3):
    logits = net(x)
    loss = nn.functional.cross_entropy(logits, target)
    print(logits)
    line = f"step {step} loss {loss:.4f}"
    print(line)
    print(repr(loss), str(net[0].weight), net[0])
    opt.zero_grad()
    loss.backward()
    print(net[2].bias.grad)
    opt.step()
half, extremes, flags = big.half(), torch.tensor([1e-9, 1e9]), torch.tensor([True, False])
empty, double, complex_value = torch.zeros(2, 0), torch.tensor(3.5, dtype=torch.float64), torch.tensor([1 + 2j])
print(big)
print(half, extremes, flags)
print(empty, double, complex_value)
