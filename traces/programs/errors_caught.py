"""Operator errors a program catches and goes on from, each recorded as a
dispatch op_error and replayed expecting the same exception: a matmul of
mismatched shapes, broadcasting, view of a non-contiguous tensor, an index
out of range (IndexError), an embedding index out of range, a cross-entropy
target out of range, an in-place result that cannot be cast, a leaf that
requires grad modified in place (raised above the capture: no event), and a
backward() from a tensor that does not require grad. Training continues
after each."""

import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)

model = nn.Linear(3, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(2, 3)
caught = []


def attempt(name, fn):
    try:
        fn()
    except (RuntimeError, IndexError) as e:
        caught.append(f"{name}: {type(e).__name__}")


attempt("matmul", lambda: x @ torch.randn(4, 5))
attempt("broadcast", lambda: model(x) + torch.randn(2, 3))
attempt("view", lambda: model(x).t().view(8))
attempt("view size", lambda: x.view(5))
attempt("index", lambda: x[torch.tensor([0, 2])])
attempt("select", lambda: torch.select(x, 0, 4))
attempt("embedding", lambda: F.embedding(torch.tensor([1, 6]), torch.randn(5, 2)))
attempt("target", lambda: F.cross_entropy(model(x), torch.tensor([1, 4])))
attempt("cast", lambda: torch.zeros(2, 3, dtype=torch.long).add_(x))
attempt("leaf in-place", lambda: model.weight.mul_(2))
attempt("no grad", lambda: x.sum().backward())

for step in range(2):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), torch.tensor([1, 3]))
    loss.backward()
    optimizer.step()

print(caught)
print(loss.item())
