"""Elements addressed by their position in a tensor's flattened (logical)
order, as ranking, evaluation and sparse-update code uses them: a pairwise
ranking model reading the scores of chosen (query, item) pairs with
`torch.take(scores, q * n_items + i)`, a confusion matrix counted with
`put_(..., accumulate=True)` in int64, an out-of-place `put` whose
gradient reaches both the tensor and the written values (repeated
positions: the last write wins), an accumulating `put_` on a non-leaf,
`take` from a transposed (non-contiguous) tensor and with negative
positions, float64, and the kernel's errors caught."""
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)

N_QUERIES, N_ITEMS, DIM = 5, 7, 6
queries = nn.Embedding(N_QUERIES, DIM)
items = nn.Embedding(N_ITEMS, DIM)
opt = torch.optim.Adam(list(queries.parameters()) + list(items.parameters()), lr=0.05)

for step in range(3):
    q = torch.randint(0, N_QUERIES, (8,))
    pos = torch.randint(0, N_ITEMS, (8,))
    neg = torch.randint(0, N_ITEMS, (8,))
    scores = queries.weight @ items.weight.t()  # (queries, items)
    s_pos = torch.take(scores, q * N_ITEMS + pos)
    s_neg = scores.take(q * N_ITEMS + neg)
    loss = F.softplus(s_neg - s_pos).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, "ranking loss", loss.item())

# A confusion matrix from flat positions, exact in int64.
with torch.no_grad():
    labels = torch.randint(0, 3, (20,))
    predicted = torch.randint(0, 3, (20,))
    confusion = torch.zeros(3, 3, dtype=torch.int64)
    confusion.put_(labels * 3 + predicted, torch.ones(20, dtype=torch.int64), accumulate=True)
    print("confusion", confusion.tolist())

# Gradients through put (last write wins) and an accumulating put_.
base = torch.randn(3, 4, requires_grad=True)
values = torch.randn(4, requires_grad=True)
written = base.put(torch.tensor([0, 5, 5, -1]), values)
summed = (base * 2).put_(torch.tensor([1, 1, 10]), values[:3] * 3, accumulate=True)
loss = (written ** 2).sum() + summed.tanh().sum()
loss.backward()
print("put grads", base.grad.tolist(), values.grad.tolist())

# take from a transposed tensor and with negative positions, float64.
table = torch.arange(12, dtype=torch.float64).reshape(3, 4).t().requires_grad_()
picked = torch.take(table, torch.tensor([[0, 1], [-1, -12]]))
(picked * torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)).sum().backward()
print("take of a transposed table", picked.tolist(), table.grad.tolist())

for bad in (lambda: torch.take(table, torch.tensor([12])), lambda: torch.zeros(4).put_(torch.tensor([0, 1]), torch.ones(3))):
    try:
        bad()
    except (IndexError, RuntimeError) as e:
        print("refused:", type(e).__name__, e)
