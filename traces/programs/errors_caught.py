"""Operator errors a program catches and goes on from, each recorded as a
dispatch op_error and replayed expecting the same exception: a matmul of
mismatched shapes, broadcasting, view of a non-contiguous tensor, an index
out of range (IndexError), an embedding index out of range, a cross-entropy
target out of range, an in-place result that cannot be cast, a leaf that
requires grad modified in place (raised above the capture: no event), a
backward() from a tensor that does not require grad, and the shape,
dimension and index checks of `cat`, `stack`, `bmm`, `matmul`, `mv`,
`conv2d`, `max_pool2d`, `layer_norm`, `gather`, `index_select`,
`index_fill_`, reductions, `transpose`, `softmax`, `expand`, `view`,
`masked_fill`, `where` and `nll_loss`. Training continues after each."""

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
# Shapes, dimensions and indices in other operators.
attempt("cat", lambda: torch.cat([x, torch.randn(2, 4)]))
attempt("stack", lambda: torch.stack([x, torch.randn(3, 2)]))
attempt("bmm", lambda: torch.bmm(torch.randn(2, 3, 4), torch.randn(2, 5, 6)))
attempt("matmul 3-d", lambda: torch.randn(2, 3, 4) @ torch.randn(5, 6))
attempt("mv", lambda: torch.mv(x, torch.randn(4)))
attempt("conv2d", lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 2, 3, 3)))
attempt("max_pool2d", lambda: F.max_pool2d(torch.randn(1, 1, 2, 2), 3))
attempt("layer_norm", lambda: F.layer_norm(x, (4,)))
attempt("gather", lambda: x.gather(1, torch.tensor([[0], [7]])))
attempt("index_select", lambda: x.index_select(0, torch.tensor([9])))
attempt("index_fill", lambda: x.clone().index_fill_(0, torch.tensor([5]), 1.0))
attempt("sum dim", lambda: x.sum(dim=2))
attempt("transpose", lambda: x.transpose(0, 3))
attempt("softmax dim", lambda: x.softmax(dim=5))
attempt("expand", lambda: x.expand(4, 4))
attempt("view -1", lambda: x.view(-1, 4))
attempt("masked_fill", lambda: x.masked_fill(torch.tensor([True, False]), 0.0))
attempt("where", lambda: torch.where(torch.tensor([True, False]), x, x))
attempt("target dtype", lambda: F.nll_loss(x.log_softmax(1), torch.tensor([1.0, 2.0])))

for step in range(2):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), torch.tensor([1, 3]))
    loss.backward()
    optimizer.step()

print(caught)
print(loss.item())
