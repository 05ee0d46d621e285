"""Integer and boolean tensor work around a tiny classifier: accuracy via
argmax/eq/float().mean(), boolean masks, torch.where, gather, scatter_ and
scatter_add_, index_put_, cumsum and arange, one-hot targets (`F.one_hot`
without a class count finds it with `aminmax`), plus a differentiable loss
that goes through several of them."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

BATCH, FEATURES, CLASSES = 4, 5, 6
model = nn.Linear(FEATURES, CLASSES)
x = torch.randn(BATCH, FEATURES)
y = torch.randint(0, CLASSES, (BATCH,))

logits = model(x)

# Integer / boolean bookkeeping (no gradient).
with torch.no_grad():
    pred = logits.argmax(dim=1)
    correct = pred.eq(y)
    accuracy = correct.float().mean()
    one_hot = torch.zeros(BATCH, CLASSES).scatter_(1, y.unsqueeze(1), 1.0)
    counts = torch.zeros(CLASSES, dtype=torch.long).scatter_add_(0, y, torch.ones_like(y))
    seen = counts > 0
    positions = torch.arange(BATCH)
    running = correct.long().cumsum(dim=0)
    marks = torch.zeros(BATCH, CLASSES, dtype=torch.bool)
    marks[positions, pred] = True  # index_put_

# Differentiable part.
log_probs = F.log_softmax(logits, dim=1)
picked = log_probs.gather(1, y.unsqueeze(1)).squeeze(1)
wrong = ~correct
weights = torch.where(wrong, torch.full((BATCH,), 2.0), torch.ones(BATCH))
nll = -(picked * weights).sum() / weights.sum()
margin = torch.where(marks, logits, torch.zeros_like(logits)).sum(dim=1)
cumulative = logits[:, seen].cumsum(dim=1)
targets = F.one_hot(y)  # aminmax finds the class count
round_trip = bool((targets.argmax(dim=1) == y).all())
smoothed = F.one_hot(y, num_classes=CLASSES).float() * 0.9 + 0.1 / CLASSES
soft = -(smoothed * log_probs).sum(dim=1).mean()
loss = nll + 0.1 * margin.mean() + 0.01 * cumulative.pow(2).mean() + 0.1 * soft
loss.backward()
