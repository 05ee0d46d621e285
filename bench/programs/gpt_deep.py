"""A deep, narrow GPT (FT_LAYERS pre-norm blocks, default 24; width 32,
two heads, 15 tokens, batch 2) trained two AdamW steps.

The depth workload of the capture benchmark: tiny operators, and a number of
live tensors (parameters, gradients, optimizer state, activations) that grows
with the depth as the number of operators does, so any per-operator work
proportional to the live tensors shows as quadratic growth.
"""

import os

import torch
from torch import nn

layers = int(os.environ.get("FT_LAYERS", "24"))
torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, 2, batch_first=True)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, vocab: int = 64, width: int = 32, context: int = 16) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.zeros(context, width))
        self.blocks = nn.ModuleList(Block(width) for _ in range(layers))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, idx):
        x = self.tok(idx) + self.pos[: idx.shape[1]]
        mask = torch.triu(torch.ones(idx.shape[1], idx.shape[1], dtype=torch.bool), 1)
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.ln(x))


model = GPT()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, foreach=False)
idx = torch.randint(0, 64, (2, 16))
for _ in range(2):
    logits = model(idx[:, :-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, 64), idx[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
