"""Embeddings with a norm bound and bucketed features.

`nn.Embedding(max_norm=...)` rescales, before every lookup and under
`no_grad`, each looked-up row whose norm exceeds the bound
(`embedding_renorm_` on a detached alias of the weight, in place): one
table with the L2 norm, one with the L1 norm and a repeated index. A
continuous feature is bucketed (`torch.bucketize`, left and right edges,
int32 output, a NaN) and looked up in a third, unbounded table; the
bucket boundaries per row come from `torch.searchsorted` (a batched
sorted sequence with `side="right"`, and a 1-d one read through a
`sorter`). Trained with Adagrad.
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)

words = nn.Embedding(10, 4, max_norm=1.0)
tags = nn.Embedding(8, 3, max_norm=0.5, norm_type=1.0)
buckets = nn.Embedding(4, 2)
head = nn.Linear(9, 3)
params = [*words.parameters(), *tags.parameters(), *buckets.parameters(), *head.parameters()]
opt = torch.optim.Adagrad(params, lr=0.5)

tokens = torch.randint(0, 10, (3, 5))
tag_ids = torch.tensor([[1, 1, 7], [0, 3, 1], [5, 5, 5]])
feature = torch.tensor([0.05, 0.45, 0.9])
edges = torch.tensor([0.1, 0.3, 0.6])
y = torch.tensor([1, 2, 0])

for step in range(3):
    bucket = torch.bucketize(feature + 0.1 * step, edges)
    h = torch.cat([words(tokens).mean(1), tags(tag_ids).sum(1), buckets(bucket)], -1)
    loss = F.cross_entropy(head(h), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

with torch.no_grad():
    norms = words.weight.norm(dim=1)
    right = torch.bucketize(torch.tensor([0.1, 0.5, float("nan"), 0.6]), edges, right=True, out_int32=True)
    per_row = torch.searchsorted(torch.tensor([[0.0, 1.0, 2.0], [1.0, 3.0, 5.0]]), torch.tensor([[0.5, 2.0], [3.0, 9.0]]), side="right")
    unsorted = torch.tensor([3.0, 1.0, 2.0])
    via_sorter = torch.searchsorted(unsorted, torch.tensor([1.5, 2.5]), sorter=unsorted.argsort())
