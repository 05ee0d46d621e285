"""Greedy decoding of a small seq2seq `nn.Transformer` (sequence-first,
two heads) under `torch.inference_mode()` after two SGD-momentum steps of teacher
forcing, as translation demos run inference.

Inside inference mode a dispatch mode sees CompositeImplicitAutograd
operators whole: `nn.MultiheadAttention`'s math path (sequence-first
layers take no fused kernel) splits the packed self-attention q/k/v
projection with `unflatten(-1, (3, E))` and its heads with `view`s;
`unflatten.int` is one view of the input with the split dimension replaced
by the given sizes (a `-1` inferred). The decoder's causal mask comes from
`generate_square_subsequent_mask` each step.
"""

import torch
from torch import nn

torch.manual_seed(0)

VOCAB, D, BOS = 10, 8, 1

emb = nn.Embedding(VOCAB, D)
model = nn.Transformer(D, 2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16, dropout=0.0)
out = nn.Linear(D, VOCAB)
params = [*emb.parameters(), *model.parameters(), *out.parameters()]
opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)

src = torch.tensor([[4, 7], [5, 2], [9, 3], [6, 8]])  # (S, N)
tgt = torch.tensor([[BOS, BOS], [3, 6], [2, 4], [7, 5]])
for _ in range(2):
    opt.zero_grad()
    mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(0) - 1)
    h = model(emb(src), emb(tgt[:-1]), tgt_mask=mask)
    loss = nn.functional.cross_entropy(out(h).reshape(-1, VOCAB), tgt[1:].reshape(-1))
    loss.backward()
    opt.step()

model.eval()
with torch.inference_mode():
    memory = model.encoder(emb(src))
    ys = torch.full((1, 2), BOS)
    for _ in range(3):
        mask = nn.Transformer.generate_square_subsequent_mask(ys.size(0))
        h = model.decoder(emb(ys), memory, tgt_mask=mask)
        nxt = out(h[-1]).argmax(-1)
        ys = torch.cat([ys, nxt.unsqueeze(0)], 0)
print(ys.t().tolist(), f"{loss.item():.4f}")
