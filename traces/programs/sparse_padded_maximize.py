"""Padded token batches through sparse embedding tables, trained by the
sparse-capable optimizers with their less common flags.

* `nn.Embedding(sparse=True, padding_idx=0)`: EmbeddingBackward0's sparse
  path drops the padding lookups (`ne.Scalar` mask, `index.Tensor` of the
  indices and of the gradient rows, `view`s), and a batch of size 1 made
  only of padding gives a gradient without entries (`empty.memory_format`
  values, then indices, an empty coalesced sparse tensor).
* A reward to ascend: `SparseAdam(maximize=True)` negates the uncoalesced
  sparse gradient (`neg` keeps the input's coalesced flag, so the step
  coalesces afterwards), and the dense head steps with
  `Adagrad(lr_decay=..., initial_accumulator_value=..., maximize=True)`.
* A sparse `nn.EmbeddingBag` (sum mode, `padding_idx`) stepped by Adagrad
  with `lr_decay`/`initial_accumulator_value` on its sparse path and
  `SGD(maximize=True)` adding the negated sparse gradient.
* The same table in float64.
"""

import torch
from torch import nn

torch.manual_seed(0)

VOCAB, DIM = 12, 4
# Rows of token ids right-padded with 0; the last batch is one all-padding row.
batches = [
    torch.tensor([[3, 5, 7, 0], [2, 9, 0, 0]]),
    torch.tensor([[11, 4, 4, 1]]),
    torch.tensor([[0, 0, 0, 0]]),
]


def train(dtype):
    emb = nn.Embedding(VOCAB, DIM, sparse=True, padding_idx=0).to(dtype)
    head = nn.Linear(DIM, 1).to(dtype)
    table_opt = torch.optim.SparseAdam(emb.parameters(), lr=0.05, betas=(0.8, 0.99), maximize=True)
    head_opt = torch.optim.Adagrad(
        head.parameters(), lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, maximize=True
    )
    for epoch in range(2):
        for tokens in batches:
            mask = (tokens != 0).to(dtype).unsqueeze(-1)
            pooled = (emb(tokens) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            reward = -(head(pooled) - 1.0).pow(2).mean() + 0.01 * pooled.sum()
            table_opt.zero_grad()
            head_opt.zero_grad()
            reward.backward()
            if emb.weight.grad is not None:
                table_opt.step()
            head_opt.step()
    return emb


train(torch.float32)
train(torch.float64)

bag = nn.EmbeddingBag(VOCAB, DIM, mode="sum", sparse=True, padding_idx=0)
bag_opt = torch.optim.Adagrad(bag.parameters(), lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)
ascent = torch.optim.SGD(bag.parameters(), lr=0.05, maximize=True)
flat = torch.tensor([3, 0, 5, 7, 0, 2])
offsets = torch.tensor([0, 3])
for _ in range(2):
    bag_opt.zero_grad()
    bag(flat, offsets).pow(2).sum().backward()
    bag_opt.step()
    ascent.step()
