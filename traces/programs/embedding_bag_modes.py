"""A bag-of-words classifier over nn.EmbeddingBag in every mode, float32 and float64.

Bags given as flat indices + offsets (an empty bag in the middle), as a 2-D
batch (no offsets) and with include_last_offset; `sum` with trained
per_sample_weights (the float32 fast path leaves offset2bag empty;
`_embedding_bag_per_sample_weights_backward`), `mean` with padding_idx,
`max`, `mean` with scale_grad_by_freq, `sum` with padding_idx; Adam with
amsgrad in float32 (torch.maximum(..., out=) per parameter), one SGD step in
float64, then an eval-mode forward under no_grad (`_embedding_bag_forward_only`).
"""

import torch
from torch import nn

torch.manual_seed(0)

VOCAB, DIM, CLASSES = 10, 3, 3

for dtype in (torch.float32, torch.float64):
    bags = nn.ModuleList(
        [
            nn.EmbeddingBag(VOCAB, DIM, mode="sum", dtype=dtype),
            nn.EmbeddingBag(VOCAB, DIM, mode="mean", padding_idx=0, dtype=dtype),
            nn.EmbeddingBag(VOCAB, DIM, mode="max", dtype=dtype),
            nn.EmbeddingBag(VOCAB, DIM, mode="mean", scale_grad_by_freq=True, include_last_offset=True, dtype=dtype),
            nn.EmbeddingBag(VOCAB, DIM, mode="sum", padding_idx=2, dtype=dtype),
        ]
    )
    head = nn.Linear(DIM, CLASSES, dtype=dtype)
    psw = torch.rand(7, dtype=dtype, requires_grad=True)
    params = list(bags.parameters()) + list(head.parameters()) + [psw]
    if dtype == torch.float32:
        opt = torch.optim.Adam(params, lr=0.05, amsgrad=True)
    else:
        opt = torch.optim.SGD(params, lr=0.1)
    flat = torch.tensor([1, 2, 2, 7, 0, 3, 9])
    offsets = torch.tensor([0, 3, 3])
    grid = torch.tensor([[1, 0, 4], [5, 5, 2]])
    y = torch.tensor([0, 2, 1])
    for step in range(2 if dtype == torch.float32 else 1):
        opt.zero_grad()
        h = bags[0](flat, offsets, per_sample_weights=psw) + bags[1](flat, offsets) + bags[2](flat, offsets)
        h = h + bags[3](flat, torch.tensor([0, 3, 3, 7]))
        h = h + torch.cat([bags[4](grid), bags[2](grid[:1])])
        loss = nn.functional.cross_entropy(head(h), y)
        loss.backward()
        opt.step()
    bags.eval()
    with torch.no_grad():
        print(dtype, f"loss {loss.item():.4f}", f"eval {bags[1](grid).sum().item():.4f}")
