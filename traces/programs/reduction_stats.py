"""Reductions in a small training loop and around it.

A linear model trained for two steps on a loss built from reductions:
`mean` (all and over a dimension), `var`/`std` with a correction, the
vector norm used as a penalty, `max` over a dimension (values and int64
indices, MaxBackward0), the all-reduce `max`/`min` (MaxBackward1,
MinBackward1), `amax`, `prod` and `cumsum` — each with its backward.
Bookkeeping without gradients: `argmax` accuracy, `all`/`any`, `.item()`
(`_local_scalar_dense`, a Python number in the trace). Forward reductions
in float64, float16, bfloat16, int64, int32, uint8 and bool, where
integer sums, products and cumulative sums come out as int64.
"""

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(4, 3)
x = torch.randn(6, 4)
target = torch.randint(0, 3, (6,))
opt = torch.optim.SGD(model.parameters(), lr=0.1, foreach=False)

for step in range(2):
    opt.zero_grad()
    logits = model(x)
    best, where = logits.max(dim=1)
    spread = logits.var(dim=0, correction=0).mean() + logits.std()
    penalty = torch.linalg.vector_norm(model.weight) + model.weight.norm(dim=1).sum()
    extremes = logits.max() - logits.min() + logits.amax(dim=-1).mean()
    scan = logits.cumsum(dim=1).mean(dim=(0, 1))
    loss = -best.mean() + 0.1 * spread + 0.01 * penalty + 0.1 * extremes + 0.1 * scan
    loss = loss + 0.01 * logits[:2, :2].prod() + 0.01 * logits.prod(dim=0, keepdim=True).sum()
    loss.backward()
    opt.step()
    with torch.no_grad():
        accuracy = (logits.argmax(dim=1) == target).float().mean().item()
        all_positive = bool((logits > 0).all())
        rows_positive = (logits > 0).any(dim=1)
        steps_done = torch.tensor(step + 1).item()

wide = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
wide.var(dim=1).sum().backward()
stats = [wide.mean(), wide.std(correction=0), wide.amin(dim=0), wide.argmin()]

for dtype in (torch.float16, torch.bfloat16):
    h = torch.randn(4, 3).to(dtype)
    reduced = [h.mean(dim=0), h.sum(), h.max(), h.var(), torch.linalg.vector_norm(h), h.cumsum(0)]

for dtype in (torch.int64, torch.int32, torch.uint8):
    ints = torch.arange(1, 7, dtype=dtype).reshape(2, 3)
    reduced = [ints.sum(), ints.prod(dim=1), ints.cumsum(dim=0), ints.max(dim=0), ints.argmax(), ints.all()]
    first = ints[0, 0].item()

flags = torch.tensor([[True, False], [True, True]])
counted = [flags.sum(), flags.any(), flags.all(dim=1), flags.cumsum(dim=1), flags.max(), flags[0, 0].item()]
