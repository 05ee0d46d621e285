"""nn.MultiheadAttention trained with the masks sequence models pass it.

Self-attention (batch_first) with a key_padding_mask and need_weights=True
(the head-averaged weights feed the loss), then with a boolean causal
attn_mask and need_weights=False (the fused SDPA path), and cross-attention
with separate key/value inputs (kdim/vdim), a float attn_mask and
average_attn_weights=False; one backward through all three and an SGD step.
"""

import torch
from torch import nn

torch.manual_seed(0)

BATCH, TGT, SRC, EMBED, HEADS = 2, 3, 4, 4, 2

self_attn = nn.MultiheadAttention(EMBED, HEADS, batch_first=True)
cross_attn = nn.MultiheadAttention(EMBED, HEADS, kdim=3, vdim=5, batch_first=True)
params = list(self_attn.parameters()) + list(cross_attn.parameters())
opt = torch.optim.SGD(params, lr=0.1)

x = torch.randn(BATCH, TGT, EMBED)
keys = torch.randn(BATCH, SRC, 3)
values = torch.randn(BATCH, SRC, 5)
padding = torch.tensor([[False, False, True], [False, False, False]])
causal = torch.triu(torch.ones(TGT, TGT, dtype=torch.bool), diagonal=1)
bias = torch.randn(TGT, SRC) * 0.1

for step in range(1):
    opt.zero_grad()
    out1, w1 = self_attn(x, x, x, key_padding_mask=padding, need_weights=True)
    out2, _ = self_attn(x, x, x, attn_mask=causal, need_weights=False)
    out3, w3 = cross_attn(out2, keys, values, attn_mask=bias, average_attn_weights=False)
    loss = out1.pow(2).mean() + out3.pow(2).mean() + (w1 * w3.mean(1)[..., :TGT]).sum()
    loss.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.4f}", tuple(w3.shape))
