"""A bag-of-words recommender with sparse EmbeddingBag tables whose sparse
gradients accumulate over micro-batches before each optimiser step.

Exercises `_embedding_bag_backward` with sparse=True in mean mode (the bag
rows scaled by 1/bag_size) and in sum mode with per_sample_weights and a
padding_idx (padding entries dropped from the sparse gradient);
two backward passes per step, so AccumulateGrad adds a new sparse gradient
into the existing sparse `.grad` (`add_` of two sparse COO tensors, the
entry lists merged without coalescing); the mean table is trained by SGD
(a dense parameter plus a sparse gradient), the weighted table by
SparseAdam (coalesce, sparse_mask), a dense head by Adam."""

import torch
import torch.nn as nn

torch.manual_seed(0)
vocab, dim = 14, 5


class BagModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.EmbeddingBag(vocab, dim, mode="mean", sparse=True)
        self.tags = nn.EmbeddingBag(vocab, dim, mode="sum", sparse=True, padding_idx=0)
        self.head = nn.Linear(2 * dim, 1)

    def forward(self, words, word_offsets, tags, tag_offsets, tag_weights):
        a = self.tokens(words, word_offsets)
        b = self.tags(tags, tag_offsets, per_sample_weights=tag_weights)
        return self.head(torch.cat([a, b], 1)).squeeze(1)


model = BagModel()
sgd = torch.optim.SGD(model.tokens.parameters(), lr=0.3)
sparse_adam = torch.optim.SparseAdam(model.tags.parameters(), lr=0.05)
adam = torch.optim.Adam(model.head.parameters(), lr=0.02)
for step in range(3):
    for opt in (sgd, sparse_adam, adam):
        opt.zero_grad()
    for micro in range(2):
        words = torch.randint(0, vocab, (9,))
        word_offsets = torch.tensor([0, 2, 5, 6])
        tags = torch.randint(0, 4, (7,))
        tag_offsets = torch.tensor([0, 1, 3, 5])
        tag_weights = torch.rand(7)
        target = torch.randn(4)
        pred = model(words, word_offsets, tags, tag_offsets, tag_weights)
        loss = (pred - target).pow(2).mean() / 2
        loss.backward()
    for opt in (sgd, sparse_adam, adam):
        opt.step()
    print(step, round(loss.item(), 6))
print(model.tokens.weight[:2].tolist())
print(model.tags.weight[:3].tolist())
