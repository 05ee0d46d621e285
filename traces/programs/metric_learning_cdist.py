"""Metric learning with batch-hard mining over pairwise distances.

An embedding MLP trains on two noisy views of a batch of 32: the
distances between the views (`torch.cdist(e1, e2)`, more than 25 rows, so
p=2 takes the matrix-product path: `_euclidean_dist` under `cdist`'s
expand/view, EuclideanDistBackward0's `div`/`masked_fill_`/`mm`
composite) have the positives on the diagonal, and the hardest negative
per anchor comes from `topk` over the distances with the diagonal masked
out; the same labels' other samples are positives too (batch-hard
mining, the hardest via `topk`). Extra terms cover every
`_cdist_forward` family on 5 × 7 rows (p = 0, 1, 1.5, 2, 3, ∞; the three
`compute_mode`s, `use_mm_for_euclid_dist` forcing `_euclidean_dist` on a
small batch), a batch that broadcasts (`[2, 6, 6]` against `[1, 3, 6]`,
the engine summing `_cdist_backward`'s broadcast gradient back),
`F.pairwise_distance` (p=2 and p=1 with keepdim), `F.cosine_similarity`
(rows and a broadcast all-pairs matrix) and `F.triplet_margin_loss` with
`swap=True`, `F.pdist` over ten rows (p = 1, 2, 3, ∞: `_pdist_forward`,
PdistBackward0's `_pdist_backward`) and a batched `[2, 16, 6]` cdist on the
matrix-product path (EuclideanDistBackward0's products are batched
`matmul`s: `expand`/`view` per operand, `bmm`). CdistBackward0 runs `_cdist_backward` for each side (the second
on transposed, `clone`d gradient and distances). SGD with momentum, then a
float64 cdist with its gradients and a `no_grad` nearest-neighbour lookup.
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(4)

net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 6))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(32, 8)
labels = torch.arange(8).repeat_interleave(4)
same = labels[:, None] == labels[None, :]

for step in range(2):
    e = net(x)
    e2 = net(x + 0.1 * torch.randn_like(x))
    d = torch.cdist(e, e2)
    hardest_pos = (d * same).topk(1, dim=1).values.squeeze(1)
    hardest_neg = (d + same * 1e4).topk(1, dim=1, largest=False).values.squeeze(1)
    loss = F.relu(hardest_pos - hardest_neg + 0.5).mean()
    for mode in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        loss = loss + torch.cdist(e[:4], e[4:12], compute_mode=mode).mean() * 0.01
    for p in (0.0, 1.0, 1.5, 3.0, float("inf")):
        loss = loss + torch.cdist(e[:5], e[5:12], p=p).mean() * 0.01
    loss = loss + torch.cdist(e[:12].view(2, 6, 6), e[12:15].unsqueeze(0), p=1.0).sum() * 0.001
    loss = loss + F.pairwise_distance(e[:6], e[6:12]).mean()
    loss = loss + F.pairwise_distance(e[:6], e[6:12], p=1, keepdim=True).sum() * 0.1
    loss = loss + (1 - F.cosine_similarity(e[:6], e[6:12])).mean()
    loss = loss + F.cosine_similarity(e[:6, None], e[None, 6:12], dim=-1).sum() * 0.001
    loss = loss + F.triplet_margin_loss(e[0:4], e[1:5], e[8:12], margin=1.0, p=2, swap=True)
    for p in (2.0, 1.0, 3.0, float("inf")):
        loss = loss + F.pdist(e[:10], p=p).mean() * 0.01
    groups = torch.cdist(e.view(2, 16, 6), e2.view(2, 16, 6), compute_mode="use_mm_for_euclid_dist")
    loss = loss + groups.mean() * 0.01
    opt.zero_grad()
    loss.backward()
    opt.step()

a = torch.randn(5, 3, dtype=torch.double, requires_grad=True)
b = torch.randn(4, 3, dtype=torch.double, requires_grad=True)
(torch.cdist(a, b) + torch.cdist(a, b, p=1) + torch.cdist(a, b, p=float("inf"))).sum().backward()

with torch.no_grad():
    queries = net(torch.randn(3, 8))
    nearest = torch.cdist(queries, net(x)).argmin(dim=1)
print(f"loss {loss.item():.4f} nearest {labels[nearest].tolist()}")
