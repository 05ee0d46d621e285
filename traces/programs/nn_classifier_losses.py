"""A small classifier, two SGD steps in float32 and one backward in bfloat16:
Linear -> LayerNorm -> ReLU -> Linear under cross entropy (class weights,
ignore_index), a multi-label head under binary_cross_entropy_with_logits
(pos_weight), an explicit log_softmax + nll_loss (summed and unreduced),
and, in float32, binary_cross_entropy on sigmoid outputs.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

CLASSES, LABELS = 4, 2

for dtype, steps in ((torch.float32, 2), (torch.bfloat16, 1)):
    body = nn.Sequential(nn.Linear(3, 5, dtype=dtype), nn.LayerNorm(5, dtype=dtype), nn.ReLU())
    head = nn.Linear(5, CLASSES, dtype=dtype)
    tags = nn.Linear(5, LABELS, dtype=dtype)
    params = [*body.parameters(), *head.parameters(), *tags.parameters()]
    optimizer = torch.optim.SGD(params, lr=0.1)
    class_weight = torch.rand(CLASSES, dtype=dtype) + 0.5
    pos_weight = torch.rand(LABELS, dtype=dtype) + 0.5

    x = torch.randn(4, 3, dtype=dtype)
    y = torch.randint(0, CLASSES, (4,))
    multi = torch.randint(0, 2, (4, LABELS)).to(dtype)
    for step in range(steps):
        optimizer.zero_grad()
        h = body(x)
        logits = head(h)
        loss = F.cross_entropy(logits, y, weight=class_weight, ignore_index=2)
        loss = loss + F.binary_cross_entropy_with_logits(tags(h), multi, pos_weight=pos_weight)
        if dtype == torch.float32:
            loss = loss + F.binary_cross_entropy(torch.sigmoid(tags(h)), multi, reduction="sum")
        log_probs = F.log_softmax(logits, dim=1)
        loss = loss + F.nll_loss(log_probs, y, reduction="sum") * 0.1
        loss = loss + F.nll_loss(log_probs, y, reduction="none").mean()
        loss.backward()
        if dtype == torch.float32:
            optimizer.step()
