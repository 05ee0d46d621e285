"""torch.sort and argsort in a training step, float64 and float32.

A float64 leaf sorted descending along rows (`sort`, SortBackward0: the
gradient scattered back through the indices) with the top two kept, a
float32 stable sort along columns (`sort.stable`, SortBackward1), argsort of
a length vector used to reorder a batch (`index_select`), and NaN / signed
zero / tied values sorted both ways without grad; two SGD steps.
"""

import torch

torch.manual_seed(0)

x = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
y = torch.randn(3, 2, requires_grad=True)
batch = torch.randn(3, 4)
lengths = torch.tensor([2, 3, 1])
opt = torch.optim.SGD([x, y], lr=0.1)
for step in range(2):
    opt.zero_grad()
    top, where = torch.sort(x, dim=1, descending=True)
    cols, _ = torch.sort(y, dim=0, stable=True)
    order = torch.argsort(lengths, descending=True)
    loss = top[:, :2].sum() + (cols * cols).sum() + batch.index_select(0, order)[0].sum()
    loss.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.4f}", where[0].tolist())

special = torch.tensor([3.0, float("nan"), -0.0, 0.0, 3.0, -1.0])
ascending = torch.sort(special)
print(ascending.values.tolist(), ascending.indices.tolist(),
      torch.sort(special, descending=True).indices.tolist())
