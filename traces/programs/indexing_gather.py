"""Index-driven operators, forward and backward, in float32 and float64:
token and position embeddings (`padding_idx`, `scale_grad_by_freq`), a
one-hot built with `scatter`, per-row picks with `gather`, `scatter_add`
histograms, `index_select`, advanced indexing with integer, boolean and
column indices (`index.Tensor`) and assignments through it
(`index_put(_)`, with and without `accumulate`), `repeat` and `flip`.
int64 tensors (values above 2^53) and bool masks go through the same
kernels without autograd."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

VOCAB, DIM, SEQ = 7, 3, 4

tokens = torch.tensor([[1, 3, 3, 0], [6, 0, 2, 3]])
positions = torch.arange(SEQ)
for dtype in (torch.float32, torch.float64):
    wte = torch.randn(VOCAB, DIM, dtype=dtype, requires_grad=True)
    wpe = torch.randn(SEQ, DIM, dtype=dtype, requires_grad=True)
    h = F.embedding(tokens, wte, padding_idx=0) + F.embedding(positions, wpe, scale_grad_by_freq=True)
    logits = h @ wte.t()                                    # tied output head
    picked = logits.gather(2, tokens.unsqueeze(-1)).squeeze(-1)
    one_hot = torch.zeros(2, SEQ, VOCAB, dtype=dtype).scatter(2, tokens.unsqueeze(-1), 1.0)
    spread = logits.scatter(2, tokens.unsqueeze(-1), picked.unsqueeze(-1) * 0.5)
    hist = torch.zeros(2, VOCAB, dtype=dtype).scatter_add(1, tokens, picked)
    rows = wte.index_select(0, torch.tensor([6, 1, 1]))
    chosen = logits[torch.tensor([1, 0]), torch.tensor([3, 2])]
    masked = logits[logits.detach() > 0]
    cols = logits[:, :, torch.tensor([0, 5])]
    updated = h.index_put((torch.tensor([1]), torch.tensor([2])), rows[:1].squeeze(0))
    summed = h.index_put((torch.tensor([0, 0]),), h[1], accumulate=True)
    tiled = wpe.repeat(2, 1).flip(0)
    loss = (picked.sum() + (one_hot * logits).sum() + spread.sum() + (hist * hist).sum()
            + chosen.sum() + masked.sum() + cols.sum() + (updated * updated).sum()
            + summed.sum() + (tiled * tiled).sum())
    loss.backward()

big = torch.tensor([2**60 + 1, 2**55 + 3, -7, 11])
table = torch.stack([big, big.flip(0)])
print(table.gather(1, torch.tensor([[3, 0], [1, 1]])).tolist(), table[table > 10].tolist())
print(table.index_select(1, torch.tensor([2, 0])).tolist(), table[:, torch.tensor([1])].tolist())
counts = torch.zeros(VOCAB, dtype=torch.long)
counts.scatter_add_(0, tokens.flatten(), torch.ones(8, dtype=torch.long))
seen = torch.zeros(2, VOCAB, dtype=torch.bool)
seen[torch.tensor([0, 1, 1]), torch.tensor([1, 6, 0])] = True
slots = torch.full((2, VOCAB), -1, dtype=torch.long)
slots.scatter_(1, tokens, 9)
print(counts.tolist(), seen.tolist(), slots.tolist())
