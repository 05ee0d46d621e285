"""A float16 language model whose AdamW update underflows and diverges to NaN.

A one-block causal LM kept entirely in float16 (token embedding, pre-norm
attention through `F.scaled_dot_product_attention` with an additive float
`-inf` mask, a tanh-GELU MLP, a tied head) is trained with AdamW at the
default `eps=1e-8`, which rounds to zero in float16: every parameter element
whose gradient is exactly zero (embedding rows of tokens absent from the
batch) is updated by `0 / 0` and becomes NaN. The next batches feed those
rows in, so some query rows of the attention are NaN while the others stay
finite:

* the CPU flash attention kernel (`_scaled_dot_product_flash_attention_for_cpu`
  and its backward) propagates a NaN query row into that row's output and
  logsumexp instead of reading it as a fully masked row;
* a causal `is_causal=True` call on the same heads;
* the loss turns NaN and the loop notices it with `torch.isfinite`, as a
  training script's divergence check does, and reports which embedding rows
  went bad.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
V, D, H, T = 16, 8, 2, 6


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)
        self.ff = nn.Sequential(nn.Linear(D, 2 * D), nn.GELU(approximate="tanh"), nn.Linear(2 * D, D))

    def forward(self, x, causal_flag):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.n1(x)).view(b, t, 3, H, D // H).permute(2, 0, 3, 1, 4)
        if causal_flag:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            mask = torch.full((t, t), float("-inf"), dtype=x.dtype).triu(1)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, D))
        return x + self.ff(self.n2(x))


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.block = Block()
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, V, bias=False)
        self.head.weight = self.emb.weight

    def forward(self, idx, causal_flag=False):
        return self.head(self.norm(self.block(self.emb(idx), causal_flag)))


model = TinyLM().half()
opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
batches = [
    torch.tensor([[1, 2, 3, 4, 5, 6, 7], [2, 3, 4, 5, 6, 7, 1]]),
    torch.tensor([[1, 9, 2, 3, 10, 4, 5], [6, 11, 7, 1, 2, 12, 3]]),
    torch.tensor([[9, 10, 11, 12, 1, 2, 3], [4, 5, 6, 7, 9, 10, 11]]),
]
for step, batch in enumerate(batches):
    logits = model(batch[:, :-1], causal_flag=step == 2)
    loss = F.cross_entropy(logits.float().reshape(-1, V), batch[:, 1:].reshape(-1))
    if not torch.isfinite(loss):
        bad = torch.isnan(model.emb.weight).any(1).nonzero().flatten()
        print(f"step {step}: loss is not finite; NaN embedding rows {bad.tolist()}")
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())
