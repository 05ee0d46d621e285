"""A bfloat16 bag-of-ids ranker as recommendation models train one: two
bfloat16 EmbeddingBags (mean mode with scale_grad_by_freq, sum mode with
bfloat16 per-sample weights), a third with a padding_idx (PyTorch's slow
path, rounded to nearest even), and a float32 bag weighted per sample (a
fused multiply-add in fbgemm), scored against a click target with SGD."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, DIM = 24, 8
item_mean = nn.EmbeddingBag(VOCAB, DIM, mode="mean", scale_grad_by_freq=True).to(torch.bfloat16)
item_sum = nn.EmbeddingBag(VOCAB, DIM, mode="sum").to(torch.bfloat16)
padded = nn.EmbeddingBag(VOCAB, DIM, mode="mean", padding_idx=0).to(torch.bfloat16)
user = nn.EmbeddingBag(VOCAB, DIM, mode="sum")
params = [
    *item_mean.parameters(),
    *item_sum.parameters(),
    *padded.parameters(),
    *user.parameters(),
]
opt = torch.optim.SGD(params, lr=0.5)

for step in range(3):
    ids = torch.randint(0, VOCAB, (16,))
    offsets = torch.tensor([0, 4, 9, 11])
    weights = torch.rand(16)
    a = item_mean(ids, offsets)
    b = item_sum(ids, offsets, per_sample_weights=weights.to(torch.bfloat16))
    c = padded(ids, offsets)
    u = user(ids.flip(0), offsets, per_sample_weights=weights)
    score = ((a + b + c).float() * u).sum(1)
    target = torch.tensor([1.0, 0.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(score, target)
    opt.zero_grad()
    loss.backward()
    opt.step()
